//! The EQ against its analytic RBJ / Butterworth response, across sample rates; stability
//! at 20 Hz and 192 kHz; block-size invariance; mid/side isolation.
mod common;

use coda_engine::processors::biquad::Coeffs;
use coda_engine::processors::eq::{response_db, Eq, EqBand, EqChannel, EqConfig, EqKind};
use coda_engine::processors::Processor;
use common::{magnitude_db, noise, run_blocks};

fn band(kind: EqKind, freq_hz: f64, gain_db: f64, q: f64, slope: u32) -> EqBand {
    EqBand {
        kind,
        freq_hz,
        gain_db,
        q,
        slope_db_per_oct: slope,
        channel: EqChannel::Stereo,
    }
}

/// One band of every kind (and every cut slope).
fn all_kinds() -> Vec<EqBand> {
    let mut v = vec![
        band(EqKind::Peaking, 1000.0, 6.0, 1.0, 12),
        band(EqKind::Peaking, 300.0, -5.0, 2.0, 12),
        band(EqKind::Peaking, 40.0, 3.0, 0.7, 12),
        band(EqKind::LowShelf, 100.0, 4.0, 0.707, 12),
        band(EqKind::LowShelf, 250.0, -3.0, 1.2, 12),
        band(EqKind::HighShelf, 8000.0, -3.0, 0.707, 12),
        band(EqKind::HighShelf, 12_000.0, 2.5, 0.5, 12),
    ];
    for slope in [12, 24, 36, 48] {
        v.push(band(EqKind::LowCut, 40.0, 0.0, 0.707, slope));
        v.push(band(EqKind::HighCut, 12_000.0, 0.0, 0.707, slope));
    }
    v
}

/// The processor's left-channel impulse response, `len` samples, as f64.
fn impulse_response(config: &EqConfig, fs: u32, len: usize) -> Vec<f64> {
    let mut eq = Eq::new(config, fs).expect("valid config");
    let mut l = vec![0.0f32; len];
    let mut r = vec![0.0f32; len];
    l[0] = 1.0;
    r[0] = 1.0;
    eq.process(&mut [&mut l[..], &mut r[..]]);
    l.iter().map(|&x| f64::from(x)).collect()
}

/// Worst deviation, in dB, of the measured response from `response_db` over FFT bins in
/// 20 Hz..=20 kHz where the analytic response is above -80 dB (below it the f32 output's
/// rounding noise, about -140 dB, starts to matter); bins below -80 dB must measure below
/// -79 dB.
fn worst_error_db(config: &EqConfig, fs: u32, n: usize) -> f64 {
    let h = impulse_response(config, fs, n);
    let measured = magnitude_db(&h, n);
    let bin_hz = f64::from(fs) / n as f64;
    let freqs: Vec<f64> = (0..measured.len()).map(|k| k as f64 * bin_hz).collect();
    let analytic = response_db(config, fs, &freqs, EqChannel::Stereo);
    let mut worst = 0.0f64;
    for k in 0..measured.len() {
        if !(20.0..=20_000.0).contains(&freqs[k]) {
            continue;
        }
        assert!(measured[k].is_finite());
        if analytic[k] >= -80.0 {
            worst = worst.max((measured[k] - analytic[k]).abs());
        } else {
            assert!(
                measured[k] < -79.0,
                "{} Hz: {} dB where analytic is {} dB",
                freqs[k],
                measured[k],
                analytic[k]
            );
        }
    }
    worst
}

#[test]
fn every_kind_measures_within_0_1_db_of_analytic_at_44k_48k_96k() {
    let mut overall = 0.0f64;
    for fs in [44_100u32, 48_000, 96_000] {
        // Longest ring: the Q = 2.56 section of a 48 dB/oct cut at 40 Hz, time constant
        // 2Q/w0 = 20 ms; 2^16 samples at 44.1 kHz hold 70 time constants.
        let n = if fs > 50_000 { 1 << 17 } else { 1 << 16 };
        for b in all_kinds() {
            let config = EqConfig { bands: vec![b] };
            let worst = worst_error_db(&config, fs, n);
            assert!(worst < 0.1, "{b:?} at {fs} Hz: worst error {worst} dB");
            overall = overall.max(worst);
        }
    }
    eprintln!("worst deviation over all kinds and rates: {overall:.2e} dB");
}

#[test]
fn a_full_chain_measures_within_0_1_db_of_analytic() {
    let config = EqConfig {
        bands: vec![
            band(EqKind::LowCut, 25.0, 0.0, 0.707, 24),
            band(EqKind::LowShelf, 80.0, 2.0, 0.707, 12),
            band(EqKind::Peaking, 300.0, -2.0, 1.4, 12),
            band(EqKind::Peaking, 3000.0, -1.5, 2.0, 12),
            band(EqKind::HighShelf, 10_000.0, 1.5, 0.707, 12),
            band(EqKind::HighCut, 19_000.0, 0.0, 0.707, 12),
        ],
    };
    for fs in [44_100u32, 48_000, 96_000] {
        let worst = worst_error_db(&config, fs, 1 << 17);
        assert!(worst < 0.1, "chain at {fs} Hz: worst error {worst} dB");
    }
}

#[test]
fn analytic_response_equals_product_of_section_magnitudes() {
    // The closed-form Butterworth magnitude and the |H|^2 expansion against the biquad
    // module's independent complex evaluation.
    for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        for b in all_kinds() {
            for f in [20.0, 31.5, 63.0, 125.0, 1000.0, 4000.0, 16_000.0, 20_000.0] {
                let expected: f64 = b.sections(fs).iter().map(|c| c.magnitude_db(f, fs)).sum();
                let got = b.response_db(f, fs);
                if expected > -200.0 {
                    assert!(
                        (got - expected).abs() < 1e-6,
                        "{b:?} {f} Hz at {fs}: {got} vs {expected}"
                    );
                }
            }
        }
    }
    // Sanity anchors: the cut's corner is at -3.01 dB, the bell's centre at its gain.
    let cut = band(EqKind::LowCut, 40.0, 0.0, 0.707, 48);
    assert!((cut.response_db(40.0, 48_000.0) + 3.0103).abs() < 1e-3);
    let bell = band(EqKind::Peaking, 1000.0, 6.0, 1.0, 12);
    assert!((bell.response_db(1000.0, 48_000.0) - 6.0).abs() < 1e-9);
    // A 48 dB/oct cut is down 48 dB one octave below... asymptotically; check two octaves.
    let two_oct = cut.response_db(10.0, 48_000.0);
    assert!((two_oct + 96.3).abs() < 0.5, "{two_oct}");
}

#[test]
fn response_db_counts_the_bands_of_each_channel() {
    let mut mid = band(EqKind::Peaking, 1000.0, 6.0, 1.0, 12);
    mid.channel = EqChannel::Mid;
    let mut side = band(EqKind::Peaking, 1000.0, -4.0, 1.0, 12);
    side.channel = EqChannel::Side;
    let stereo = band(EqKind::Peaking, 1000.0, 1.0, 1.0, 12);
    let config = EqConfig {
        bands: vec![mid, side, stereo],
    };
    let at = |ch| response_db(&config, 48_000, &[1000.0], ch)[0];
    assert!((at(EqChannel::Mid) - 7.0).abs() < 1e-9);
    assert!((at(EqChannel::Side) + 3.0).abs() < 1e-9);
    assert!((at(EqChannel::Stereo) - 1.0).abs() < 1e-9);
}

#[test]
fn low_cut_20_hz_48_db_at_192k_is_stable_and_correct() {
    let fs = 192_000;
    let config = EqConfig {
        bands: vec![band(EqKind::LowCut, 20.0, 0.0, 0.707, 48)],
    };
    // Time constant of the sharpest section: 2 * 2.56 / (2 pi 20) = 41 ms; 2^19 samples
    // (2.7 s) hold 66 of them.
    let n = 1 << 19;
    let h = impulse_response(&config, fs, n);
    assert!(h.iter().all(|x| x.is_finite()));
    let tail: f64 = h[n - 1000..].iter().map(|x| x.abs()).fold(0.0, f64::max);
    assert!(tail < 1e-9, "impulse response still ringing: {tail}");
    let worst = worst_error_db(&config, fs, n);
    assert!(worst < 0.1, "worst error {worst} dB");
    eprintln!("20 Hz low cut at 192 kHz: worst deviation {worst:.2e} dB");
    let corner = response_db(&config, fs, &[20.0], EqChannel::Stereo)[0];
    assert!((corner + 3.0103).abs() < 1e-3, "corner at {corner} dB");
    // Magnitude at the bin nearest the corner (20.14 Hz, -2.77 dB) from the spectrum.
    let measured = magnitude_db(&h, n);
    let bin = (20.0 * n as f64 / f64::from(fs)).round() as usize;
    let f = bin as f64 * f64::from(fs) / n as f64;
    let expected = response_db(&config, fs, &[f], EqChannel::Stereo)[0];
    assert!(
        (expected + 3.01).abs() < 0.3 && (measured[bin] - expected).abs() < 0.01,
        "{f} Hz: measured {} dB, analytic {expected} dB",
        measured[bin]
    );

    // A loud 20 Hz sine for 3 s: steady-state amplitude -3.01 dB, nothing blows up.
    let len = 3 * fs as usize;
    let x: Vec<f32> = (0..len)
        .map(|i| (2.0 * std::f64::consts::PI * 20.0 * i as f64 / f64::from(fs)).sin() as f32)
        .collect();
    let mut chans = vec![x.clone(), x];
    let mut eq = Eq::new(&config, fs).unwrap();
    run_blocks(&mut eq, &mut chans, 4096);
    assert!(chans[0].iter().all(|v| v.is_finite()));
    let peak = chans[0][len - fs as usize..]
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    let peak_db = 20.0 * f64::from(peak).log10();
    assert!(
        (peak_db + 3.0103).abs() < 0.01,
        "20 Hz sine at {peak_db} dB"
    );
}

fn busy_config() -> EqConfig {
    let mut bands = vec![
        band(EqKind::LowCut, 25.0, 0.0, 0.707, 36),
        band(EqKind::Peaking, 300.0, -2.0, 1.4, 12),
        band(EqKind::HighShelf, 9000.0, 2.0, 0.707, 12),
    ];
    let mut m = band(EqKind::Peaking, 3000.0, -3.0, 2.0, 12);
    m.channel = EqChannel::Mid;
    let mut s = band(EqKind::LowShelf, 150.0, -6.0, 0.707, 12);
    s.channel = EqChannel::Side;
    bands.push(m);
    bands.push(s);
    EqConfig { bands }
}

#[test]
fn output_is_identical_in_any_block_size() {
    let fs = 48_000;
    let len = 100_000;
    for config in [busy_config(), EqConfig { bands: all_kinds() }] {
        let input = vec![noise(len, 1, 0.5), noise(len, 2, 0.5)];
        let mut whole = input.clone();
        run_blocks(&mut Eq::new(&config, fs).unwrap(), &mut whole, len);
        for block in [1, 17, 1000, 16_384] {
            let mut out = input.clone();
            run_blocks(&mut Eq::new(&config, fs).unwrap(), &mut out, block);
            assert_eq!(out, whole, "block size {block} differs");
        }
        // reset() returns to the initial state.
        let mut eq = Eq::new(&config, fs).unwrap();
        let mut once = input.clone();
        run_blocks(&mut eq, &mut once, 4096);
        eq.reset();
        let mut again = input.clone();
        run_blocks(&mut eq, &mut again, 4096);
        assert_eq!(again, whole);
    }
}

#[test]
fn mid_only_band_leaves_side_untouched_and_side_only_leaves_mid() {
    let fs = 48_000;
    let len = 48_000;
    let l = noise(len, 3, 0.5);
    let r = noise(len, 4, 0.5);
    for (channel, kept_sign) in [(EqChannel::Mid, -1.0f32), (EqChannel::Side, 1.0)] {
        let mut b = band(EqKind::Peaking, 1000.0, 9.0, 0.7, 12);
        b.channel = channel;
        let mut shelf = band(EqKind::LowShelf, 200.0, -6.0, 0.707, 12);
        shelf.channel = channel;
        let config = EqConfig {
            bands: vec![b, shelf],
        };
        let mut out = vec![l.clone(), r.clone()];
        run_blocks(&mut Eq::new(&config, fs).unwrap(), &mut out, 1000);
        // The untouched component: side (L-R)/2 for a mid band, mid (L+R)/2 for a side band.
        let mut worst = 0.0f32;
        let mut changed = 0.0f32;
        for i in 0..len {
            let before = 0.5 * (l[i] + kept_sign * r[i]);
            let after = 0.5 * (out[0][i] + kept_sign * out[1][i]);
            worst = worst.max((after - before).abs());
            let other_before = 0.5 * (l[i] - kept_sign * r[i]);
            let other_after = 0.5 * (out[0][i] - kept_sign * out[1][i]);
            changed = changed.max((other_after - other_before).abs());
        }
        assert!(
            worst < 1e-6,
            "{channel:?} band moved the other component by {worst}"
        );
        assert!(changed > 0.05, "{channel:?} band did nothing ({changed})");
    }
}

#[test]
fn mid_band_shapes_the_mid_impulse_like_the_analytic_mid_curve() {
    // An impulse on mid only (L = R): the output's mid must follow the Mid curve.
    let fs = 48_000;
    let config = busy_config();
    let n = 1 << 16;
    let mut l = vec![0.0f32; n];
    let mut r = vec![0.0f32; n];
    l[0] = 1.0;
    r[0] = 1.0;
    Eq::new(&config, fs)
        .unwrap()
        .process(&mut [&mut l[..], &mut r[..]]);
    let mid: Vec<f64> = l
        .iter()
        .zip(&r)
        .map(|(a, b)| 0.5 * f64::from(a + b))
        .collect();
    let measured = magnitude_db(&mid, n);
    let bin_hz = f64::from(fs) / n as f64;
    for k in (20.0 / bin_hz) as usize..=(20_000.0 / bin_hz) as usize {
        let a = response_db(&config, fs, &[k as f64 * bin_hz], EqChannel::Mid)[0];
        assert!(
            (measured[k] - a).abs() < 0.1,
            "bin {k}: {} vs {a}",
            measured[k]
        );
    }
    // And an impulse on side only (L = -R) follows the Side curve.
    let mut l = vec![0.0f32; n];
    let mut r = vec![0.0f32; n];
    l[0] = 1.0;
    r[0] = -1.0;
    Eq::new(&config, fs)
        .unwrap()
        .process(&mut [&mut l[..], &mut r[..]]);
    let side: Vec<f64> = l
        .iter()
        .zip(&r)
        .map(|(a, b)| 0.5 * f64::from(a - b))
        .collect();
    let measured = magnitude_db(&side, n);
    for k in (20.0 / bin_hz) as usize..=(20_000.0 / bin_hz) as usize {
        let a = response_db(&config, fs, &[k as f64 * bin_hz], EqChannel::Side)[0];
        assert!(
            (measured[k] - a).abs() < 0.1,
            "bin {k}: {} vs {a}",
            measured[k]
        );
    }
}

#[test]
fn mono_runs_the_mid_chain() {
    let fs = 44_100;
    let config = busy_config();
    let x = noise(20_000, 5, 0.5);
    let mut mono = vec![x.clone()];
    run_blocks(&mut Eq::new(&config, fs).unwrap(), &mut mono, 512);
    let mut stereo = vec![x.clone(), x];
    run_blocks(&mut Eq::new(&config, fs).unwrap(), &mut stereo, 512);
    assert!(common::max_abs_diff(&mono[0], &stereo[0]) < 1e-6);
}

#[test]
fn flat_bands_pass_the_signal_bit_exactly() {
    let config = EqConfig {
        bands: vec![
            band(EqKind::Peaking, 1000.0, 0.0, 1.0, 12),
            band(EqKind::HighShelf, 5000.0, 0.0, 0.707, 12),
        ],
    };
    let mut eq = Eq::new(&config, 48_000).unwrap();
    assert!(eq.is_identity() && config.is_identity());
    let x = noise(1000, 6, 0.9);
    let mut out = vec![x.clone(), x.clone()];
    run_blocks(&mut eq, &mut out, 100);
    assert_eq!(out[0], x);
    let sections = Coeffs::peaking(1000.0, 1.0, 0.0, 48_000.0);
    assert!((sections.magnitude_db(300.0, 48_000.0)).abs() < 1e-12);
}

#[test]
fn invalid_bands_name_their_json_path() {
    let cases = [
        (
            band(EqKind::Peaking, 30_000.0, 1.0, 1.0, 12),
            "eq.bands[0].freq_hz",
        ),
        (
            band(EqKind::Peaking, 1000.0, 30.0, 1.0, 12),
            "eq.bands[0].gain_db",
        ),
        (band(EqKind::Peaking, 1000.0, 1.0, 0.0, 12), "eq.bands[0].q"),
        (
            band(EqKind::LowCut, 30.0, 0.0, 0.707, 18),
            "eq.bands[0].slope_db_per_oct",
        ),
        (
            band(EqKind::Peaking, f64::NAN, 1.0, 1.0, 12),
            "eq.bands[0].freq_hz",
        ),
    ];
    for (b, path) in cases {
        match Eq::new(&EqConfig { bands: vec![b] }, 48_000) {
            Err(coda_engine::Error::Plan { field, .. }) => assert_eq!(field, path),
            other => panic!("{b:?}: expected a plan error, got {other:?}"),
        }
    }
}
