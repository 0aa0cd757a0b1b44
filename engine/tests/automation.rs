//! Gain automation: exact gains at breakpoints, smooth monotone moves between them, the
//! held ends, agreement with `gain_db_at` at every sample, and block-size invariance.
mod common;

use coda_engine::processors::automation::{AutomationPoint, AutomationProcessor, GainAutomation};
use coda_engine::processors::Processor;
use common::{noise, run_blocks};

fn automation(points: &[(f64, f64)]) -> GainAutomation {
    GainAutomation {
        points: points
            .iter()
            .map(|&(time_s, gain_db)| AutomationPoint { time_s, gain_db })
            .collect(),
    }
}

/// The applied gain of every sample, in dB, from a constant input of ones.
fn applied_db(a: &GainAutomation, fs: u32, frames: usize, block: usize) -> Vec<f64> {
    let mut p = AutomationProcessor::new(a, fs).unwrap();
    let mut ch = vec![vec![1.0f32; frames]];
    run_blocks(&mut p, &mut ch, block);
    ch[0].iter().map(|&g| 20.0 * f64::from(g).log10()).collect()
}

fn test_curve() -> GainAutomation {
    // Breakpoints at exact sample instants at 48 kHz, and one (2.7031 s) between samples.
    automation(&[
        (0.5, -3.0),
        (1.25, 2.0),
        (2.0, 2.0),
        (2.703_1, -4.0),
        (3.5, 0.5),
    ])
}

#[test]
fn gains_at_breakpoints_are_exact() {
    let fs = 48_000;
    let a = test_curve();
    let db = applied_db(&a, fs, 4 * fs as usize, 1000);
    for p in &a.points {
        let n = (p.time_s * f64::from(fs)).round() as usize;
        if (n as f64 / f64::from(fs) - p.time_s).abs() > 1e-12 {
            continue; // not on a sample instant
        }
        // One f32 ulp of the output is 1e-6 dB; the curve's own error is ~1e-12 dB.
        assert!(
            (db[n] - p.gain_db).abs() < 2e-6,
            "{} s: {} dB instead of {} dB",
            p.time_s,
            db[n],
            p.gain_db
        );
    }
    // Held before the first point and after the last.
    assert!(db[..24_000].iter().all(|&g| (g + 3.0).abs() < 2e-6));
    assert!(db[3 * 48_000 + 24_000..]
        .iter()
        .all(|&g| (g - 0.5).abs() < 2e-6));
}

#[test]
fn every_sample_matches_gain_db_at() {
    for fs in [44_100u32, 48_000, 96_000] {
        let a = test_curve();
        let frames = 4 * fs as usize;
        let db = applied_db(&a, fs, frames, 4096);
        let worst = db
            .iter()
            .enumerate()
            .map(|(n, g)| (g - a.gain_db_at(n as f64 / f64::from(fs))).abs())
            .fold(0.0, f64::max);
        // Bounded by the f32 rounding of the output (6e-8 relative = 5e-7 dB).
        assert!(worst < 1.1e-6, "{fs} Hz: worst {worst} dB");
    }
}

#[test]
fn transitions_are_monotone_and_smooth() {
    let fs = 48_000;
    let a = test_curve();
    let db = applied_db(&a, fs, 4 * fs as usize, 777);
    let pts = &a.points;
    for w in pts.windows(2) {
        let (n0, n1) = (
            (w[0].time_s * 48_000.0).ceil() as usize,
            (w[1].time_s * 48_000.0).floor() as usize,
        );
        let rising = w[1].gain_db >= w[0].gain_db;
        let seg = &db[n0..=n1];
        // Monotone, allowing f32 rounding of the output (1e-6 dB).
        for d in seg.windows(2) {
            let step = d[1] - d[0];
            assert!(if rising { step > -1e-6 } else { step < 1e-6 });
        }
        // Smooth: the steepest step is the raised cosine's, pi/2 * delta / samples, and the
        // slope at each breakpoint is ~zero (first step << steepest).
        let len = (w[1].time_s - w[0].time_s) * f64::from(fs);
        let steepest = std::f64::consts::FRAC_PI_2 * (w[1].gain_db - w[0].gain_db).abs() / len;
        let max_step = seg
            .windows(2)
            .map(|d| (d[1] - d[0]).abs())
            .fold(0.0, f64::max);
        if steepest > 0.0 {
            assert!(
                (max_step - steepest).abs() < 0.01 * steepest + 2e-6,
                "{max_step} vs {steepest}"
            );
            assert!((seg[1] - seg[0]).abs() < 0.01 * steepest + 2e-6);
            assert!((seg[seg.len() - 1] - seg[seg.len() - 2]).abs() < 0.01 * steepest + 2e-6);
        }
    }
}

#[test]
fn output_is_identical_in_any_block_size() {
    let fs = 44_100;
    let a = test_curve();
    let frames = 4 * fs as usize;
    let input = vec![noise(frames, 7, 0.8), noise(frames, 8, 0.8)];
    let mut whole = input.clone();
    let mut p = AutomationProcessor::new(&a, fs).unwrap();
    run_blocks(&mut p, &mut whole, frames);
    for block in [1, 17, 1000, 16_384] {
        let mut out = input.clone();
        run_blocks(
            &mut AutomationProcessor::new(&a, fs).unwrap(),
            &mut out,
            block,
        );
        assert_eq!(out, whole, "block size {block}");
    }
    p.reset();
    let mut again = input.clone();
    run_blocks(&mut p, &mut again, 999);
    assert_eq!(again, whole, "after reset");
}

#[test]
fn empty_automation_is_identity_and_bad_points_name_their_path() {
    let mut p = AutomationProcessor::new(&GainAutomation::default(), 48_000).unwrap();
    assert!(p.is_identity());
    let x = noise(5000, 9, 0.9);
    let mut ch = vec![x.clone()];
    run_blocks(&mut p, &mut ch, 512);
    assert_eq!(ch[0], x);
    let bad = [
        (
            automation(&[(1.0, 0.0), (1.0, 1.0)]),
            "automation.points[1].time_s",
        ),
        (automation(&[(0.0, 30.0)]), "automation.points[0].gain_db"),
        (automation(&[(-1.0, 0.0)]), "automation.points[0].time_s"),
    ];
    for (a, path) in bad {
        match AutomationProcessor::new(&a, 48_000) {
            Err(coda_engine::Error::Plan { field, .. }) => assert_eq!(field, path),
            other => panic!("expected plan error, got {other:?}"),
        }
    }
}
