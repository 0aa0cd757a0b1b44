//! Imager: linear-phase FIR split of the side. Side under mid below the lowest crossover
//! with the low band at width 0, unity above it, per-band gains, no phase rotation between
//! mid and side, pass-through cases, exact latency, block-size invariance.
mod common;

use coda_engine::processors::imager::{Imager, ImagerConfig};
use coda_engine::processors::linear_phase::{SplitDesign, HALF_TRANSITION};
use coda_engine::processors::Processor;
use common::{noise, run_blocks};

const RATES: [u32; 4] = [44_100, 48_000, 96_000, 192_000];
const CROSSOVERS: [f64; 2] = [150.0, 2500.0];

fn imager(widths: [f64; 3], fs: u32) -> Imager {
    Imager::new(
        &ImagerConfig {
            crossovers_hz: CROSSOVERS.to_vec(),
            widths: widths.to_vec(),
        },
        fs,
    )
    .unwrap()
}

/// Complex response at `f_hz` of `x` (an impulse response), with the delay `lat` removed.
fn response(x: &[f32], lat: usize, f_hz: f64, fs: u32) -> (f64, f64) {
    let w = 2.0 * std::f64::consts::PI * f_hz / f64::from(fs);
    x.iter()
        .enumerate()
        .filter(|(_, &v)| v != 0.0)
        .fold((0.0, 0.0), |(re, im), (n, &v)| {
            let t = n as f64 - lat as f64;
            let v = f64::from(v);
            (re + v * (w * t).cos(), im - v * (w * t).sin())
        })
}

/// Left and right outputs of an impulse on the left only (mid = side = 0.5).
fn left_impulse(im: &mut Imager) -> (Vec<f32>, Vec<f32>, usize) {
    let lat = im.latency_samples();
    let len = lat + im.filter_taps() + 16;
    let mut l = vec![0.0; len];
    l[0] = 1.0;
    let mut ch = vec![l, vec![0.0; len]];
    run_blocks(im, &mut ch, 4096);
    let r = ch.pop().unwrap();
    (ch.pop().unwrap(), r, lat)
}

/// Side gain (side out over side in) at `f_hz`: real after removing the latency.
fn side_gain(l: &[f32], r: &[f32], lat: usize, f_hz: f64, fs: u32) -> (f64, f64) {
    let side: Vec<f32> = l.iter().zip(r).map(|(a, b)| a - b).collect(); // 2 * side
    response(&side, lat, f_hz, fs)
}

/// Frequencies from `lo` to `hi` Hz, `per_octave` per octave.
fn log_grid(lo: f64, hi: f64, per_octave: f64) -> Vec<f64> {
    let n = ((hi / lo).log2() * per_octave).ceil() as usize;
    (0..=n)
        .map(|i| (lo * 2f64.powf(i as f64 / per_octave)).min(hi))
        .collect()
}

#[test]
fn low_width_zero_puts_side_60_db_under_mid_below_the_crossover() {
    for fs in RATES {
        let design = SplitDesign::new(&CROSSOVERS, fs);
        let lower = CROSSOVERS[0] - design.half_transition_hz;
        let upper = CROSSOVERS[0] + design.half_transition_hz;
        assert!(lower >= (1.0 - HALF_TRANSITION) * CROSSOVERS[0] - 1e-9);
        let mut im = imager([0.0, 1.0, 1.0], fs);
        let (l, r, lat) = left_impulse(&mut im);
        // Mid out over mid in: exactly the delay.
        let mid: Vec<f32> = l.iter().zip(&r).map(|(a, b)| a + b).collect();
        assert_eq!(mid[lat], 1.0);
        assert!(mid
            .iter()
            .enumerate()
            .all(|(n, &v)| n == lat || v.abs() < 1e-7));
        let mut worst = f64::NEG_INFINITY;
        for f in log_grid(20.0, lower, 48.0) {
            let (re, im) = side_gain(&l, &r, lat, f, fs);
            let db = 10.0 * (re * re + im * im).max(1e-30).log10();
            worst = worst.max(db);
            assert!(db <= -60.0, "{fs} Hz: side/mid {db:.1} dB at {f:.1} Hz");
        }
        let mut dev: f64 = 0.0;
        for f in log_grid(upper, 20_000.0, 24.0) {
            let (re, im) = side_gain(&l, &r, lat, f, fs);
            let db = 10.0 * (re * re + im * im).log10();
            dev = dev.max(db.abs());
            assert!(
                db.abs() <= 0.1,
                "{fs} Hz: side gain {db:.3} dB at {f:.0} Hz"
            );
        }
        println!(
            "{fs} Hz: taps {} latency {lat} (filter {} + block {}), transition {lower:.1}..{upper:.1} Hz, \
             worst side/mid below {worst:.1} dB, worst |gain| above {dev:.4} dB",
            im.filter_taps(),
            design.delay_samples(),
            lat - design.delay_samples()
        );
    }
}

#[test]
fn sines_below_the_crossover_lose_their_side() {
    // Per-frequency sines (a hard-left source: mid = side), measured in the steady state.
    let fs = 44_100;
    let design = SplitDesign::new(&CROSSOVERS, fs);
    let lower = CROSSOVERS[0] - design.half_transition_hz;
    for f in [
        20.0, 30.0, 40.0, 50.0, 60.0, 75.0, 80.0, 90.0, 100.0, 110.0, 115.0, lower,
    ] {
        let mut im = imager([0.0, 1.0, 1.0], fs);
        let settle = im.latency_samples() + im.filter_taps();
        let len = settle + 2 * fs as usize;
        let x: Vec<f32> = (0..len)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * f * i as f64 / f64::from(fs)).sin()) as f32
            })
            .collect();
        let mut ch = vec![x, vec![0.0; len]];
        run_blocks(&mut im, &mut ch, 10_000);
        let (mut m2, mut s2) = (0.0, 0.0);
        for (l, r) in ch[0][settle..].iter().zip(&ch[1][settle..]) {
            let (l, r) = (f64::from(*l), f64::from(*r));
            m2 += (l + r) * (l + r);
            s2 += (l - r) * (l - r);
        }
        let db = 10.0 * (s2 / m2).log10();
        println!("{f:.1} Hz: side/mid {db:.1} dB");
        assert!(db <= -60.0, "{f} Hz: side/mid {db:.1} dB");
    }
}

#[test]
fn intermediate_widths_give_each_band_its_gain() {
    for fs in [44_100, 96_000] {
        let widths = [0.3, 1.1, 1.6];
        let h = SplitDesign::new(&CROSSOVERS, fs).half_transition_hz;
        let mut im = imager(widths, fs);
        let (l, r, lat) = left_impulse(&mut im);
        let bands = [
            (20.0, CROSSOVERS[0] - h),
            (CROSSOVERS[0] + h, CROSSOVERS[1] - h),
            (CROSSOVERS[1] + h, 20_000.0),
        ];
        for (w, (lo, hi)) in widths.iter().zip(bands) {
            for f in log_grid(lo, hi, 12.0) {
                let (re, im) = side_gain(&l, &r, lat, f, fs);
                let err_db = 20.0 * (re / w).log10();
                assert!(err_db.abs() < 0.01, "{fs} Hz: {f:.0} Hz gain {re} want {w}");
                assert!(im.abs() < 1e-6, "{fs} Hz: {f:.0} Hz not in phase: {im}");
            }
        }
        // At each crossover, halfway between the two bands' widths.
        for (k, f) in CROSSOVERS.iter().enumerate() {
            let (re, _) = side_gain(&l, &r, lat, *f, fs);
            let want = 0.5 * (widths[k] + widths[k + 1]);
            assert!(
                (re - want).abs() < 2e-3,
                "{fs} Hz: at {f} Hz {re} want {want}"
            );
        }
    }
}

#[test]
fn hard_left_source_stays_left_across_the_crossovers() {
    // No phase rotation: both outputs are real (zero phase after the latency) at every
    // frequency, the left positive and larger than the right.
    for fs in RATES {
        for widths in [[0.0, 1.0, 1.0], [0.5, 1.0, 1.5], [0.2, 1.4, 0.8]] {
            let mut im = imager(widths, fs);
            let (l, r, lat) = left_impulse(&mut im);
            for f in log_grid(30.0, 16_000.0, 6.0).into_iter().chain(CROSSOVERS) {
                let (lre, lim) = response(&l, lat, f, fs);
                let (rre, rim) = response(&r, lat, f, fs);
                assert!(
                    lim.abs() < 1e-6 && rim.abs() < 1e-6,
                    "{fs} {widths:?} {f}: phase"
                );
                // Width 0 makes the lows mono: left and right equal up to the ripple.
                assert!(
                    lre > 0.4 && lre >= rre.abs() - 1e-3,
                    "{fs} {widths:?} {f}: L {lre} R {rre}"
                );
            }
        }
    }
}

#[test]
fn all_widths_one_is_a_bit_exact_pass_through_without_latency() {
    let mut im = imager([1.0, 1.0, 1.0], 44_100);
    assert_eq!(im.latency_samples(), 0);
    let input = vec![noise(50_000, 1, 0.9), noise(50_000, 2, 0.9)];
    let mut ch = input.clone();
    run_blocks(&mut im, &mut ch, 777);
    assert_eq!(ch, input);
}

#[test]
fn mono_passes_unchanged_after_the_latency() {
    let mut im = imager([0.0, 1.0, 1.5], 48_000);
    let lat = im.latency_samples();
    let x = noise(60_000, 3, 0.9);
    let mut ch = vec![x.clone()];
    run_blocks(&mut im, &mut ch, 1000);
    assert!(ch[0][..lat].iter().all(|&v| v == 0.0));
    assert_eq!(&ch[0][lat..], &x[..x.len() - lat]);
}

#[test]
fn output_does_not_depend_on_block_size() {
    let input = vec![noise(40_000, 4, 0.9), noise(40_000, 5, 0.9)];
    let mut outs = Vec::new();
    for block in [40_000, 4096, 1000, 1] {
        let mut im = imager([0.2, 1.3, 0.9], 44_100);
        let mut ch = input.clone();
        run_blocks(&mut im, &mut ch, block);
        outs.push(ch);
    }
    for o in &outs[1..] {
        assert_eq!(o, &outs[0]);
    }
    // And reset() restarts the stream.
    let mut im = imager([0.2, 1.3, 0.9], 44_100);
    let mut ch = input.clone();
    run_blocks(&mut im, &mut ch, 3000);
    im.reset();
    let mut again = input.clone();
    run_blocks(&mut im, &mut again, 3000);
    assert_eq!(again, outs[0]);
}

#[test]
fn side_gain_is_the_measured_side_response() {
    for fs in [44_100, 96_000] {
        let widths = [0.2, 1.3, 0.7];
        let mut im = imager(widths, fs);
        let (l, r, lat) = left_impulse(&mut im);
        let config = ImagerConfig {
            crossovers_hz: CROSSOVERS.to_vec(),
            widths: widths.to_vec(),
        };
        // Across both transition bands and the passbands.
        let freqs = log_grid(20.0, 20_000.0, 48.0);
        let predicted = config.side_gain(&freqs, fs);
        for (f, p) in freqs.iter().zip(&predicted) {
            let (re, _) = side_gain(&l, &r, lat, *f, fs);
            assert!(
                (re - p).abs() < 1e-5,
                "{fs} Hz: {f:.1} Hz measured {re} predicted {p}"
            );
        }
    }
    let uniform = ImagerConfig {
        crossovers_hz: CROSSOVERS.to_vec(),
        widths: vec![0.8; 3],
    };
    assert_eq!(uniform.side_gain(&[100.0, 5000.0], 48_000), vec![0.8, 0.8]);
}
