//! Reverb: RT60 from the Schroeder integral against `decay_s`, frequency-dependent decay
//! with damping, mix 0 is the dry signal exactly, stability at the extremes, block
//! invariance.
mod common;

use coda_engine::processors::biquad::{butterworth_qs, Coeffs, State};
use coda_engine::processors::reverb::{Reverb, ReverbConfig};
use coda_engine::processors::Processor;
use common::{noise, run_blocks};

const FS: u32 = 48_000;

fn reverb(decay_s: f64, damping: f64, predelay_ms: f64, mix: f64) -> Reverb {
    Reverb::new(
        &ReverbConfig {
            predelay_ms,
            decay_s,
            damping,
            mix,
        },
        FS,
    )
    .unwrap()
}

/// Wet impulse response (left input impulse, left output minus the dry), `len` samples.
fn wet_ir(r: &mut Reverb, len: usize) -> (Vec<f64>, Vec<f64>) {
    let mut l = vec![0.0f32; len];
    let mut rr = vec![0.0f32; len];
    l[0] = 1.0;
    r.process(&mut [&mut l[..], &mut rr[..]]);
    l[0] -= 1.0; // the dry impulse
    (
        l.iter().map(|&v| f64::from(v)).collect(),
        rr.iter().map(|&v| f64::from(v)).collect(),
    )
}

/// RT60 from the Schroeder backward integral, fitted (least squares) between -5 and -35 dB
/// and extrapolated to 60 dB (T30).
fn rt60_s(ir: &[f64]) -> f64 {
    let mut edc = vec![0.0; ir.len()];
    let mut acc = 0.0;
    for i in (0..ir.len()).rev() {
        acc += ir[i] * ir[i];
        edc[i] = acc;
    }
    let total = edc[0];
    let db: Vec<f64> = edc.iter().map(|&e| 10.0 * (e / total).log10()).collect();
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &d) in db.iter().enumerate() {
        if (-35.0..=-5.0).contains(&d) {
            let t = i as f64 / f64::from(FS);
            n += 1.0;
            sx += t;
            sy += d;
            sxx += t * t;
            sxy += t * d;
        }
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx); // dB per second
    -60.0 / slope
}

/// `x` through a Butterworth low-pass (`lp`) or high-pass of order 4 at `freq_hz`.
fn filtered(x: &[f64], freq_hz: f64, lp: bool) -> Vec<f64> {
    let fs = f64::from(FS);
    let cs: Vec<Coeffs> = butterworth_qs(4)
        .into_iter()
        .map(|q| {
            if lp {
                Coeffs::low_pass(freq_hz, q, fs)
            } else {
                Coeffs::high_pass(freq_hz, q, fs)
            }
        })
        .collect();
    let mut st = vec![State::default(); cs.len()];
    x.iter()
        .map(|&v| {
            cs.iter()
                .zip(st.iter_mut())
                .fold(v, |v, (c, s)| s.tick(c, v))
        })
        .collect()
}

#[test]
fn broadband_rt60_matches_decay_without_damping() {
    for decay_s in [0.3, 1.0, 2.5, 6.0] {
        let len = ((decay_s * 0.8 + 0.3) * f64::from(FS)) as usize;
        let (ir, _) = wet_ir(&mut reverb(decay_s, 0.0, 0.0, 1.0), len);
        let rt = rt60_s(&ir);
        eprintln!("decay {decay_s} s: measured RT60 {rt:.3} s");
        assert!(
            (rt / decay_s - 1.0).abs() < 0.15,
            "decay {decay_s}: RT60 {rt}"
        );
    }
}

#[test]
fn low_frequency_rt60_matches_decay_at_any_damping_and_highs_decay_faster() {
    let decay_s = 2.0;
    let len = (1.9 * f64::from(FS)) as usize;
    for damping in [0.0, 0.5, 1.0] {
        let (ir, _) = wet_ir(&mut reverb(decay_s, damping, 20.0, 1.0), len);
        let low = rt60_s(&filtered(&ir, 300.0, true));
        let high = rt60_s(&filtered(&ir, 5000.0, false));
        eprintln!("damping {damping}: RT60 below 300 Hz {low:.3} s, above 5 kHz {high:.3} s");
        assert!(
            (low / decay_s - 1.0).abs() < 0.15,
            "damping {damping}: low RT60 {low}"
        );
        // Above 5 kHz the target is decay * (1 - 0.85 damping) at 5 kHz, shorter above.
        let target = decay_s * (1.0 - 0.85 * damping);
        assert!(
            high <= target * 1.15,
            "damping {damping}: high RT60 {high} > {target}"
        );
        if damping == 0.0 {
            assert!((high / decay_s - 1.0).abs() < 0.15);
        } else {
            assert!(high < 0.75 * low, "damping {damping}: {high} vs {low}");
        }
    }
}

#[test]
fn predelay_delays_the_onset_and_tails_are_decorrelated() {
    let pre_ms = 50.0;
    let (l, r) = wet_ir(&mut reverb(1.5, 0.3, pre_ms, 1.0), FS as usize);
    let onset = |x: &[f64]| x.iter().position(|v| v.abs() > 1e-9).unwrap();
    let pre = (pre_ms * f64::from(FS) / 1000.0) as usize;
    let shortest = (29.3 * f64::from(FS) / 1000.0) as usize;
    assert!(onset(&l) >= pre + shortest && onset(&l) < pre + shortest + 200);
    // Energy: about decay / 2 per output channel for a unit impulse, within 3 dB.
    let e: f64 = l.iter().map(|v| v * v).sum();
    assert!((10.0 * (e / 0.75).log10()).abs() < 3.0, "tail energy {e}");
    // Left and right tails (from a left impulse) are nearly uncorrelated.
    let er: f64 = r.iter().map(|v| v * v).sum();
    let lr: f64 = l.iter().zip(&r).map(|(a, b)| a * b).sum();
    let rho = lr / (e * er).sqrt();
    assert!(rho.abs() < 0.2, "correlation {rho}");
}

#[test]
fn mix_zero_passes_the_dry_signal_exactly() {
    let len = 50_000;
    let input = vec![noise(len, 21, 0.9), noise(len, 22, 0.9)];
    let mut out = input.clone();
    run_blocks(&mut reverb(3.0, 0.5, 30.0, 0.0), &mut out, 1000);
    assert_eq!(out, input);
}

#[test]
fn stable_and_silent_afterwards_at_the_extremes() {
    for (decay_s, damping) in [(0.2, 0.0), (0.2, 1.0), (10.0, 0.0), (10.0, 1.0)] {
        let len = 10 * FS as usize;
        let burst = 2 * FS as usize;
        let mut x = noise(len, 23, 0.9);
        x[burst..].fill(0.0);
        let mut ch = vec![x.clone(), x];
        run_blocks(&mut reverb(decay_s, damping, 0.0, 1.0), &mut ch, 4096);
        let peak = ch.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(
            ch.iter().flatten().all(|v| v.is_finite()),
            "non-finite output"
        );
        assert!(
            peak < 30.0,
            "decay {decay_s} damping {damping}: peak {peak}"
        );
        // The tail follows the decay: 8 s after the burst a 0.2 s reverb is gone, and a
        // 10 s one has fallen by about 8 / 10 * 60 = 48 dB (at least 40 dB here).
        let rms = |s: &[f32]| {
            (s.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
        };
        let during = rms(&ch[0][burst - FS as usize..burst]);
        let last = rms(&ch[0][len - FS as usize / 10..]);
        let drop_db = 20.0 * (during / last.max(1e-300)).log10();
        if decay_s < 1.0 {
            assert!(
                last < 1e-12,
                "decay {decay_s} damping {damping}: tail rms {last}"
            );
        } else {
            assert!(
                drop_db > 40.0,
                "decay {decay_s} damping {damping}: dropped {drop_db} dB"
            );
        }
    }
}

#[test]
fn output_is_identical_in_any_block_size() {
    let len = 40_000;
    let input = vec![noise(len, 24, 0.5), noise(len, 25, 0.5)];
    let mut whole = input.clone();
    let mut r = reverb(1.2, 0.4, 12.0, 0.35);
    run_blocks(&mut r, &mut whole, len);
    for block in [1, 17, 1000, 16_384] {
        let mut out = input.clone();
        run_blocks(&mut reverb(1.2, 0.4, 12.0, 0.35), &mut out, block);
        assert_eq!(out, whole, "block size {block}");
    }
    r.reset();
    let mut again = input.clone();
    run_blocks(&mut r, &mut again, 999);
    assert_eq!(again, whole, "after reset");
}

#[test]
fn bad_settings_name_their_path() {
    let ok = ReverbConfig {
        predelay_ms: 10.0,
        decay_s: 2.0,
        damping: 0.5,
        mix: 0.2,
    };
    for (c, path) in [
        (ReverbConfig { decay_s: 0.1, ..ok }, "reverb.decay_s"),
        (
            ReverbConfig {
                predelay_ms: 300.0,
                ..ok
            },
            "reverb.predelay_ms",
        ),
        (
            ReverbConfig {
                damping: -0.1,
                ..ok
            },
            "reverb.damping",
        ),
        (
            ReverbConfig {
                mix: f64::NAN,
                ..ok
            },
            "reverb.mix",
        ),
    ] {
        match Reverb::new(&c, FS) {
            Err(coda_engine::Error::Plan { field, .. }) => assert_eq!(field, path),
            other => panic!("expected plan error, got {other:?}"),
        }
    }
}

#[test]
fn short_dark_settings_keep_their_low_frequency_decay() {
    // Regression: at 0.2 s with damping 1 the absorption pole used to land at exactly 1,
    // and a capped pole must still leave the low-frequency decay right.
    for decay_s in [0.2, 0.3] {
        let (ir, _) = wet_ir(&mut reverb(decay_s, 1.0, 0.0, 1.0), FS as usize);
        let low = rt60_s(&filtered(&ir, 300.0, true));
        eprintln!("decay {decay_s} s, damping 1: RT60 below 300 Hz {low:.3} s");
        assert!(
            (low / decay_s - 1.0).abs() < 0.15,
            "decay {decay_s}: low RT60 {low}"
        );
    }
}
