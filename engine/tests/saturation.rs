//! Saturation: aliasing of a driven 10 kHz sine, identity at low level / mix 0, exact
//! latency (impulse alignment), block-size invariance.
mod common;

use coda_engine::processors::saturation::{Saturation, SaturationConfig, LATENCY_SAMPLES};
use coda_engine::processors::Processor;
use common::{blackman_harris, magnitude_db, noise, run_blocks};

const FS: u32 = 44_100;
/// FFT length: one second at 44.1 kHz, so 1 kHz and 10 kHz fall exactly on bins.
const N: usize = 44_100;

fn sat(drive_db: f64, mix: f64) -> Saturation {
    Saturation::new(&SaturationConfig { drive_db, mix }, FS).unwrap()
}

fn sine(freq_hz: f64, amp: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * freq_hz * i as f64 / f64::from(FS)).sin()) as f32
        })
        .collect()
}

/// Blackman-Harris windowed spectrum (dB) of N samples of the processed sine, taken after
/// the filters have settled.
fn processed_spectrum(p: &mut Saturation, freq_hz: f64, amp: f64) -> Vec<f64> {
    let skip = 4096;
    let x = sine(freq_hz, amp, N + skip);
    let mut ch = vec![x.clone(), x];
    run_blocks(p, &mut ch, 1000);
    let w = blackman_harris(N);
    let seg: Vec<f64> = ch[0][skip..]
        .iter()
        .zip(&w)
        .map(|(&v, &w)| f64::from(v) * w)
        .collect();
    magnitude_db(&seg, N)
}

/// Power summed over the window's main lobe (+/-4 bins) around `bin`.
fn lobe_power(spec_db: &[f64], bin: usize) -> f64 {
    (bin - 4..=bin + 4)
        .map(|k| 10f64.powf(spec_db[k] / 10.0))
        .sum()
}

/// THD (ratio) of a 1 kHz sine: harmonics 2..=20 against the fundamental.
fn thd_1k(drive_db: f64, amp: f64) -> f64 {
    let spec = processed_spectrum(&mut sat(drive_db, 1.0), 1000.0, amp);
    let fund = lobe_power(&spec, 1000);
    let harm: f64 = (2..=20).map(|h| lobe_power(&spec, 1000 * h)).sum();
    (harm / fund).sqrt()
}

/// Worst non-fundamental bin of a 10 kHz sine (every harmonic is above Nyquist, so
/// everything but the fundamental is aliasing), relative to the fundamental's peak, dB.
fn worst_alias_db(drive_db: f64, amp: f64) -> f64 {
    let spec = processed_spectrum(&mut sat(drive_db, 1.0), 10_000.0, amp);
    let fund = spec[10_000];
    spec.iter()
        .enumerate()
        .filter(|(k, _)| k.abs_diff(10_000) > 6)
        .map(|(_, &db)| db - fund)
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn driven_10k_sine_aliases_at_least_80_db_down() {
    // -6 dBFS with 0.5 dB drive: the shaper's THD (measured at 1 kHz, where the
    // harmonics are in band) is about 3%.
    let (drive_db, amp) = (0.5, 0.5);
    let thd = thd_1k(drive_db, amp);
    assert!((0.025..=0.035).contains(&thd), "THD {:.2}%", thd * 100.0);
    let alias = worst_alias_db(drive_db, amp);
    eprintln!("THD {:.2}%: worst alias {alias:.1} dB", thd * 100.0);
    assert!(alias < -80.0, "aliasing at {alias:.1} dB");
}

#[test]
fn heavy_drive_still_keeps_aliasing_low() {
    // 12 dB drive at -6 dBFS (about 18% THD): the 17th and 19th harmonics fold into the
    // audio band at 4x, so this bounds the oversampling itself.
    let thd = thd_1k(12.0, 0.5);
    let alias = worst_alias_db(12.0, 0.5);
    eprintln!("THD {:.1}%: worst alias {alias:.1} dB", thd * 100.0);
    assert!(thd > 0.1 && alias < -70.0, "THD {thd}, alias {alias:.1} dB");
}

#[test]
fn small_signals_pass_at_unity_and_mix_zero_is_the_delayed_dry() {
    let len = 20_000;
    // Band-limited test signal (below 18 kHz) at -40 dBFS peak.
    let mut x = vec![0.0f32; len];
    for (f, a) in [
        (97.0, 0.004),
        (1234.5, 0.003),
        (7000.0, 0.002),
        (17_000.0, 0.001),
    ] {
        for (v, s) in x.iter_mut().zip(sine(f, a, len)) {
            *v += s;
        }
    }
    let l = LATENCY_SAMPLES;
    for drive_db in [0.0, 24.0] {
        let mut ch = vec![x.clone(), x.clone()];
        run_blocks(&mut sat(drive_db, 1.0), &mut ch, 512);
        // The shaper deviates from unity by about (g x)^2 / 2 relatively (x <= 0.01 here),
        // plus the filters' passband ripple (1e-5) and f32 rounding.
        let g = 10f64.powf(drive_db / 20.0);
        let tol = 1.2 * 0.01 * (g * 0.01).powi(2) / 2.0 + 1e-6;
        let worst = (l + 1000..len)
            .map(|n| f64::from((ch[0][n] - x[n - l]).abs()))
            .fold(0.0, f64::max);
        eprintln!("drive {drive_db} dB at -40 dBFS: worst deviation {worst:.2e}");
        assert!(
            worst < tol.max(1e-6),
            "drive {drive_db}: worst deviation {worst}"
        );
    }
    // Mix 0: exactly the input, delayed by the latency, whatever the drive.
    let loud = noise(len, 11, 0.9);
    let mut ch = vec![loud.clone(), loud.clone()];
    run_blocks(&mut sat(18.0, 0.0), &mut ch, 333);
    assert!(ch[0][..l].iter().all(|&v| v == 0.0));
    assert_eq!(&ch[0][l..], &loud[..len - l]);
    assert_eq!(&ch[1][l..], &loud[..len - l]);
}

#[test]
fn latency_is_exact_impulse_alignment() {
    for (drive_db, mix) in [(0.0, 1.0), (6.0, 0.5), (0.0, 0.3)] {
        let mut p = sat(drive_db, mix);
        assert_eq!(p.latency_samples(), LATENCY_SAMPLES);
        let len = 2000;
        let at = 500;
        let mut x = vec![0.0f32; len];
        x[at] = 0.01;
        let mut ch = vec![x.clone(), vec![0.0; len]];
        run_blocks(&mut p, &mut ch, 64);
        let y = &ch[0];
        let peak = (0..len)
            .max_by(|&a, &b| y[a].abs().total_cmp(&y[b].abs()))
            .unwrap();
        assert_eq!(peak, at + LATENCY_SAMPLES, "drive {drive_db} mix {mix}");
        // Linear phase: the response is symmetric about the peak.
        let asym = (1..200)
            .map(|k| (y[peak + k] - y[peak - k]).abs())
            .fold(0.0f32, f32::max);
        assert!(asym < 1e-9, "asymmetry {asym}");
        // Unity gain: the (band-limited) impulse keeps its amplitude at the peak.
        assert!((y[peak] / 0.01 - 1.0).abs() < 0.1, "peak {}", y[peak]);
        // The right channel stayed silent.
        assert!(ch[1].iter().all(|&v| v == 0.0));
    }
}

#[test]
fn output_is_identical_in_any_block_size() {
    let len = 30_000;
    let input = vec![noise(len, 12, 0.9), noise(len, 13, 0.9)];
    let mut whole = input.clone();
    let mut p = sat(9.0, 0.7);
    run_blocks(&mut p, &mut whole, len);
    for block in [1, 17, 1000, 16_384] {
        let mut out = input.clone();
        run_blocks(&mut sat(9.0, 0.7), &mut out, block);
        assert_eq!(out, whole, "block size {block}");
    }
    p.reset();
    let mut again = input.clone();
    run_blocks(&mut p, &mut again, 4096);
    assert_eq!(again, whole, "after reset");
    // Mono runs the same chain as the left channel.
    let mut mono = vec![input[0].clone()];
    run_blocks(&mut sat(9.0, 0.7), &mut mono, 700);
    assert_eq!(mono[0], whole[0]);
}

#[test]
fn bad_settings_name_their_path() {
    for (c, path) in [
        (
            SaturationConfig {
                drive_db: 30.0,
                mix: 1.0,
            },
            "saturation.drive_db",
        ),
        (
            SaturationConfig {
                drive_db: 3.0,
                mix: 1.5,
            },
            "saturation.mix",
        ),
    ] {
        match Saturation::new(&c, FS) {
            Err(coda_engine::Error::Plan { field, .. }) => assert_eq!(field, path),
            other => panic!("expected plan error, got {other:?}"),
        }
    }
}

#[test]
fn chain_is_flat_to_20_khz_at_low_level() {
    // A small impulse (the shaper is linear to 5e-7 at 1e-3) through drive 0, mix 1: the
    // up/down filters' combined ripple over 20 Hz..20 kHz.
    let n = 8192;
    let mut x = vec![0.0f32; n];
    x[100] = 1e-3;
    let mut ch = vec![x];
    run_blocks(&mut sat(0.0, 1.0), &mut ch, 1000);
    let h: Vec<f64> = ch[0].iter().map(|&v| f64::from(v) * 1e3).collect();
    let db = magnitude_db(&h, n);
    let bin_hz = f64::from(FS) / n as f64;
    let (lo, hi) = db[(20.0 / bin_hz) as usize + 1..=(20_000.0 / bin_hz) as usize]
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    eprintln!("passband 20 Hz..20 kHz: {lo:.4}..{hi:.4} dB");
    assert!(lo > -0.006 && hi < 0.006, "passband {lo}..{hi} dB");
    // And the stopband of the whole chain: nothing of the impulse above 24.1 kHz exists
    // at 44.1 kHz, but the band edge is steep: -3 dB or lower by 22 kHz.
    let edge = db[(22_000.0 / bin_hz) as usize];
    assert!(edge < -3.0, "22 kHz at {edge} dB");
}
