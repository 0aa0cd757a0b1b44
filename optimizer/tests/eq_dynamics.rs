//! The EQ held back to keep the loudness range: a piece whose soft passages are high and
//! whose loud passages are low loses range through an EQ that lifts highs and cuts lows;
//! `keep_lra` must scale the EQ until the range stays within tolerance, and leave an EQ
//! that does not move the range alone.
use coda_engine::plan::Plan;
use coda_engine::processors::eq::{EqBand, EqChannel, EqConfig, EqKind};
use coda_engine::Audio;
use coda_optimizer::eq_dynamics::{keep_lra, EQ_LRA_TOLERANCE_LU};

const FS: u32 = 48_000;

/// Stereo: 6 s of a soft 4 kHz tone, then 6 s of a loud 80 Hz tone, three times, with
/// slow level steps inside each passage so the loudness range is spread, not two points.
fn registers_piece() -> Audio {
    let mut x = Vec::new();
    for _ in 0..3 {
        for (freq_hz, level_db) in [(4000.0, -36.0), (80.0, -12.0)] {
            for step in 0..6 {
                let amp = 10f64.powf((level_db - 2.0 * f64::from(step)) / 20.0);
                for n in 0..FS as usize {
                    let t = n as f64 / f64::from(FS);
                    x.push((amp * (std::f64::consts::TAU * freq_hz * t).sin()) as f32);
                }
            }
        }
    }
    Audio::new(FS, vec![x.clone(), x])
}

fn band(kind: EqKind, freq_hz: f64, gain_db: f64) -> EqBand {
    EqBand {
        kind,
        freq_hz,
        gain_db,
        q: 0.707,
        slope_db_per_oct: 12,
        channel: EqChannel::Stereo,
    }
}

fn lra(audio: &Audio) -> f64 {
    coda_analysis::measure_loudness(audio)
        .unwrap()
        .0
        .range_lu
        .expect("range")
}

#[test]
fn an_eq_that_evens_the_registers_is_scaled_until_the_range_holds() {
    let mix = registers_piece();
    let mix_lra = lra(&mix);
    let mut plan = Plan::empty(FS);
    plan.eq = EqConfig {
        bands: vec![
            band(EqKind::LowShelf, 300.0, -4.0),
            band(EqKind::HighShelf, 1500.0, 4.0),
        ],
    };
    let (kept, account) = keep_lra(&mix, &plan, mix_lra).unwrap();
    let full_change = account.fitted_lra_lu.unwrap() - mix_lra;
    assert!(
        full_change < -3.0,
        "the full EQ should cut the range: {full_change:.2} LU"
    );
    assert!(
        account.gain_scale > 0.0 && account.gain_scale < 1.0,
        "{account:?}"
    );
    // The kept EQ, rendered and measured independently of keep_lra's own account.
    plan.eq = kept.clone();
    let out = coda_engine::render::render(&mix, &plan).unwrap().audio;
    let change = lra(&out) - mix_lra;
    assert!(
        change.abs() <= EQ_LRA_TOLERANCE_LU + 0.01,
        "kept EQ moves the range by {change:.2} LU (scale {})",
        account.gain_scale
    );
    // Every band scaled by the same factor.
    for (k, b) in kept.bands.iter().zip([-4.0, 4.0]) {
        assert!((k.gain_db - b * account.gain_scale).abs() <= 0.006, "{k:?}");
    }
}

#[test]
fn an_eq_that_leaves_the_range_alone_is_kept_whole() {
    let mix = registers_piece();
    let mix_lra = lra(&mix);
    let mut plan = Plan::empty(FS);
    // A mid bell far from both registers barely touches either.
    plan.eq = EqConfig {
        bands: vec![band(EqKind::Peaking, 700.0, 3.0)],
    };
    let (kept, account) = keep_lra(&mix, &plan, mix_lra).unwrap();
    assert_eq!(account.gain_scale, 1.0, "{account:?}");
    assert_eq!(account.probes, 1);
    assert_eq!(kept, plan.eq);
}
