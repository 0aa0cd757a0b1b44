//! Linkwitz-Riley crossover tree: flat band sum, -6 dB per band at its crossover, agreement
//! with a direct LR4 cascade, block-size independence.
use coda_engine::processors::biquad::{Coeffs, State};
use coda_engine::processors::crossover::{all_pass, Crossover};
use realfft::RealFftPlanner;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

const RATES: [u32; 3] = [44_100, 48_000, 96_000];
const SPLITS: [&[f64]; 3] = [&[1000.0], &[150.0, 2500.0], &[100.0, 1000.0, 8000.0]];
const IR_LEN: usize = 1 << 16;

/// Impulse responses of every band (f64 lanes, no f32 rounding).
fn band_irs(xo: &mut Crossover) -> Vec<Vec<f64>> {
    let mut irs = vec![vec![0.0; IR_LEN]; xo.bands()];
    for n in 0..IR_LEN {
        let out = xo.tick([if n == 0 { 1.0 } else { 0.0 }, 0.0]);
        for (ir, o) in irs.iter_mut().zip(out.iter()) {
            ir[n] = o[0];
        }
    }
    irs
}

/// |DTFT| of `h` at `freq_hz`, dB.
fn dtft_db(h: &[f64], freq_hz: f64, fs: f64) -> f64 {
    let w = 2.0 * PI * freq_hz / fs;
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in h.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        re += v * c;
        im -= v * s;
    }
    10.0 * (re * re + im * im).log10()
}

/// Analytic magnitude of band `k`, dB: HP^2 below, LP^2 at its own crossover (all-passes are 1).
fn analytic_band_db(splits: &[f64], k: usize, f: f64, fs: f64) -> f64 {
    let mut db = 0.0;
    for (j, &fc) in splits.iter().enumerate() {
        if j < k {
            db += 2.0 * Coeffs::high_pass(fc, FRAC_1_SQRT_2, fs).magnitude_db(f, fs);
        } else if j == k {
            db += 2.0 * Coeffs::low_pass(fc, FRAC_1_SQRT_2, fs).magnitude_db(f, fs);
        }
    }
    db
}

#[test]
fn band_sum_is_flat_within_0_05_db_from_20_hz_to_20_khz() {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(IR_LEN);
    for fs in RATES {
        for splits in SPLITS {
            let mut xo = Crossover::new(splits, fs).unwrap();
            let irs = band_irs(&mut xo);
            let mut sum: Vec<f64> = (0..IR_LEN)
                .map(|n| irs.iter().map(|b| b[n]).sum())
                .collect();
            // The tail must have decayed, or the FFT would not see the whole response.
            let tail: f64 = sum[IR_LEN - 1024..].iter().map(|v| v.abs()).sum();
            assert!(tail < 1e-12, "IR not decayed: {tail}");
            let mut spec = fft.make_output_vec();
            fft.process(&mut sum, &mut spec).unwrap();
            let bin_hz = f64::from(fs) / IR_LEN as f64;
            let mut worst = 0.0f64;
            for (i, c) in spec.iter().enumerate() {
                let f = i as f64 * bin_hz;
                if (20.0..=20_000.0).contains(&f) {
                    worst = worst.max((20.0 * c.norm().log10()).abs());
                }
            }
            assert!(
                worst < 0.05,
                "fs {fs} splits {splits:?}: deviation {worst} dB"
            );
            // All-pass in fact, to rounding.
            assert!(
                worst < 1e-6,
                "fs {fs} splits {splits:?}: deviation {worst} dB"
            );
        }
    }
}

#[test]
fn each_band_is_minus_6_db_at_its_crossovers() {
    let lr4_db = 40.0 * FRAC_1_SQRT_2.log10(); // -6.0206 dB
    for fs in RATES {
        let fsf = f64::from(fs);
        for splits in SPLITS {
            let mut xo = Crossover::new(splits, fs).unwrap();
            let irs = band_irs(&mut xo);
            for (j, &fc) in splits.iter().enumerate() {
                for k in [j, j + 1] {
                    let got = dtft_db(&irs[k], fc, fsf);
                    let want = analytic_band_db(splits, k, fc, fsf);
                    assert!(
                        (got - want).abs() < 0.01,
                        "fs {fs} {splits:?} band {k} at {fc} Hz: {got} vs analytic {want}"
                    );
                    // Crossovers a decade or more apart: the other filters are ~0 dB there.
                    assert!(
                        (got - lr4_db).abs() < 0.05,
                        "fs {fs} {splits:?} band {k} at {fc} Hz: {got} dB"
                    );
                }
            }
            // Analytic shape away from the crossovers (a few probe frequencies per band).
            for (k, ir) in irs.iter().enumerate() {
                for f in [50.0, 300.0, 1500.0, 5000.0, 12_000.0] {
                    let want = analytic_band_db(splits, k, f, fsf);
                    if want > -60.0 {
                        let got = dtft_db(ir, f, fsf);
                        assert!(
                            (got - want).abs() < 0.01,
                            "fs {fs} {splits:?} band {k} at {f} Hz: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}

/// The reference path: LR4 as two cascaded Butterworth LP or HP biquads per band, the tree by
/// hand, all-pass compensation as its own cascade.
fn direct_tree(splits: &[f64], fs: f64, x: &[f64]) -> Vec<Vec<f64>> {
    let lp: Vec<Coeffs> = splits
        .iter()
        .map(|&f| Coeffs::low_pass(f, FRAC_1_SQRT_2, fs))
        .collect();
    let hp: Vec<Coeffs> = splits
        .iter()
        .map(|&f| Coeffs::high_pass(f, FRAC_1_SQRT_2, fs))
        .collect();
    let ap: Vec<Coeffs> = splits
        .iter()
        .map(|&f| all_pass(f, FRAC_1_SQRT_2, fs))
        .collect();
    let run = |c: &Coeffs, v: &[f64]| -> Vec<f64> {
        let mut s = State::default();
        v.iter().map(|&x| s.tick(c, x)).collect()
    };
    let mut bands = Vec::new();
    let mut rest = x.to_vec();
    for k in 0..splits.len() {
        let mut lo = run(&lp[k], &run(&lp[k], &rest));
        for a in &ap[k + 1..] {
            lo = run(a, &lo);
        }
        bands.push(lo);
        rest = run(&hp[k], &run(&hp[k], &rest));
    }
    bands.push(rest);
    bands
}

#[test]
fn bands_match_a_direct_two_biquad_lr4_tree() {
    for fs in RATES {
        for splits in SPLITS {
            let mut xo = Crossover::new(splits, fs).unwrap();
            let irs = band_irs(&mut xo);
            let mut impulse = vec![0.0; IR_LEN];
            impulse[0] = 1.0;
            let want = direct_tree(splits, f64::from(fs), &impulse);
            for (k, (a, b)) in irs.iter().zip(want.iter()).enumerate() {
                let err = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max);
                assert!(err < 1e-12, "fs {fs} {splits:?} band {k}: max error {err}");
            }
        }
    }
}

fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1.5
        })
        .collect()
}

#[test]
fn output_is_identical_whatever_the_block_size() {
    let x = noise(50_000, 7);
    let splits = [150.0, 2500.0];
    let run = |block: usize| -> Vec<Vec<f32>> {
        let mut xo = Crossover::new(&splits, 48_000).unwrap();
        let mut out = vec![vec![0.0f32; x.len()]; 3];
        let [o0, o1, o2] = &mut out[..] else {
            unreachable!()
        };
        let mut start = 0;
        while start < x.len() {
            let end = (start + block).min(x.len());
            xo.split(
                &x[start..end],
                &mut [
                    &mut o0[start..end],
                    &mut o1[start..end],
                    &mut o2[start..end],
                ],
            );
            start = end;
        }
        out
    };
    let whole = run(x.len());
    assert_eq!(whole, run(16_384));
    assert_eq!(whole, run(1000));
    assert_eq!(whole, run(1));
}

#[test]
fn no_crossovers_is_one_band_equal_to_the_input_and_reset_clears_state() {
    let x = noise(1000, 3);
    let mut xo = Crossover::new(&[], 44_100).unwrap();
    assert_eq!(xo.bands(), 1);
    let mut out = vec![0.0f32; x.len()];
    xo.split(&x, &mut [&mut out]);
    assert_eq!(out, x);

    let mut xo = Crossover::new(&[200.0, 3000.0], 44_100).unwrap();
    let mut a = vec![vec![0.0f32; x.len()]; 3];
    let mut b = a.clone();
    {
        let [a0, a1, a2] = &mut a[..] else {
            unreachable!()
        };
        xo.split(&x, &mut [a0, a1, a2]);
    }
    xo.reset();
    {
        let [b0, b1, b2] = &mut b[..] else {
            unreachable!()
        };
        xo.split(&x, &mut [b0, b1, b2]);
    }
    assert_eq!(a, b);
}

#[test]
fn bad_crossovers_are_rejected_with_the_field() {
    for bad in [&[10.0][..], &[1000.0, 1100.0], &[30_000.0], &[f64::NAN]] {
        let err = Crossover::new(bad, 48_000).unwrap_err().to_string();
        assert!(err.contains("crossovers_hz["), "{err}");
    }
    let six = [50.0, 100.0, 200.0, 400.0, 800.0, 1600.0];
    assert!(Crossover::new(&six, 48_000).is_err());
}
