//! The EQ fit on analytic curves: a mix that is a target with a known EQ applied is fitted
//! with the inverse EQ (up to a broadband offset).
use coda_engine::processors::eq::{EqBand, EqChannel, EqConfig, EqKind};
use coda_optimizer::eq_fit::{fit_eq, response_db};
use coda_optimizer::Tuning;

fn fine_hz() -> Vec<f64> {
    (0..120)
        .map(|i| 20.0 * 2f64.powf(i as f64 / 12.0))
        .collect()
}

fn band(kind: EqKind, freq_hz: f64, gain_db: f64, q: f64) -> EqBand {
    EqBand {
        kind,
        freq_hz,
        gain_db,
        q,
        slope_db_per_oct: 12,
        channel: EqChannel::Stereo,
    }
}

/// A pinkish music-like target: -3 dB/oct tilt with a low and high roll-off.
fn target_db(f: &[f64]) -> Vec<Option<f64>> {
    f.iter()
        .map(|&f| Some(-20.0 - 3.0 * (f / 1000.0).log2() - 6.0 * (30.0 / f).powi(2)))
        .collect()
}

fn third_octaves_40_16k() -> Vec<f64> {
    (-14..=12)
        .map(|n| 1000.0 * 10f64.powf(f64::from(n) / 10.0))
        .collect()
}

fn check(known: EqConfig) {
    let f = fine_hz();
    let fs = 48_000.0;
    let target = target_db(&f);
    let known_resp = response_db(&known, &f, fs);
    let mix: Vec<Option<f64>> = target
        .iter()
        .zip(&known_resp)
        .map(|(t, k)| t.map(|t| t + k))
        .collect();
    let fit = fit_eq(&f, &mix, &target, 1.0, 48_000, &Tuning::default());
    let centres = third_octaves_40_16k();
    let a = response_db(&fit.config, &centres, fs);
    let b = response_db(&known, &centres, fs);
    let sum: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    let mean = sum.iter().sum::<f64>() / sum.len() as f64;
    let worst = sum.iter().map(|s| (s - mean).abs()).fold(0.0, f64::max);
    eprintln!(
        "{} bands, {} iterations, cost {:.4}, worst {worst:.3} dB: {:?}",
        fit.config.bands.len(),
        fit.iterations,
        fit.cost,
        fit.config
            .bands
            .iter()
            .map(|b| (b.kind, b.freq_hz, b.gain_db, b.q))
            .collect::<Vec<_>>()
    );
    assert!(
        worst <= 0.5,
        "fitted + known deviates {worst:.3} dB from flat"
    );
}

#[test]
fn inverts_mud_and_harshness() {
    check(EqConfig {
        bands: vec![
            band(EqKind::Peaking, 300.0, 4.0, 1.2),
            band(EqKind::Peaking, 3000.0, 3.0, 1.5),
        ],
    });
}

#[test]
fn inverts_shelves_and_a_dip() {
    check(EqConfig {
        bands: vec![
            band(EqKind::LowShelf, 120.0, 5.0, 0.707),
            band(EqKind::HighShelf, 6000.0, -6.0, 0.707),
            band(EqKind::Peaking, 800.0, -3.0, 2.0),
        ],
    });
}

#[test]
fn inverts_four_bands() {
    check(EqConfig {
        bands: vec![
            band(EqKind::LowShelf, 80.0, -4.0, 0.707),
            band(EqKind::Peaking, 250.0, 3.0, 1.0),
            band(EqKind::Peaking, 2500.0, -4.0, 1.2),
            band(EqKind::HighShelf, 10_000.0, 5.0, 0.707),
        ],
    });
}

#[test]
fn matching_mix_gets_no_eq() {
    let f = fine_hz();
    let t = target_db(&f);
    let shifted: Vec<Option<f64>> = t.iter().map(|v| v.map(|v| v - 7.0)).collect();
    let fit = fit_eq(&f, &shifted, &t, 1.0, 44_100, &Tuning::default());
    assert!(fit.config.bands.is_empty(), "{:?}", fit.config);
}

#[test]
fn strength_scales_the_move() {
    let f = fine_hz();
    let t = target_db(&f);
    let known = EqConfig {
        bands: vec![band(EqKind::Peaking, 300.0, 4.0, 1.0)],
    };
    let k = response_db(&known, &f, 48_000.0);
    let mix: Vec<Option<f64>> = t.iter().zip(&k).map(|(t, k)| t.map(|t| t + k)).collect();
    let full = fit_eq(&f, &mix, &t, 1.0, 48_000, &Tuning::default());
    let half = fit_eq(&f, &mix, &t, 0.5, 48_000, &Tuning::default());
    let at = |fit: &coda_optimizer::eq_fit::EqFit| {
        let r = response_db(&fit.config, &[300.0, 10_000.0], 48_000.0);
        r[0] - r[1]
    };
    assert!((at(&full) + 4.0).abs() < 0.3, "{}", at(&full));
    assert!((at(&half) + 2.0).abs() < 0.3, "{}", at(&half));
}
