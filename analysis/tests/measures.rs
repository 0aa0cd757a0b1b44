//! Issue 3's measures beyond the meter: spectrum flatness and sine placement, stereo width
//! per band, and the content kind of synthetic orchestral and hybrid music.
mod common;

use coda_analysis::{analyze, ContentKind};
use coda_engine::Audio;
use common::*;

const RATE: u32 = 48_000;

#[test]
fn pink_noise_reads_flat_per_third_octave() {
    let x = coda_corpus::pink_noise(11, 30 * RATE as usize, RATE);
    let a = analyze(&copies(x, 2, RATE)).unwrap();
    let s = &a.spectrum;
    let inband: Vec<f64> = s
        .bands_hz
        .iter()
        .zip(&s.mid_db)
        .filter(|(f, _)| (39.0..=16_500.0).contains(*f))
        .map(|(_, v)| v.unwrap())
        .collect();
    let mean = inband.iter().sum::<f64>() / inband.len() as f64;
    let worst = inband.iter().map(|v| (v - mean).abs()).fold(0.0, f64::max);
    eprintln!(
        "pink: {} bands 40 Hz-16 kHz, worst deviation {worst:.3} dB",
        inband.len()
    );
    assert!(worst <= 0.5, "pink noise deviates {worst:.3} dB from flat");
}

#[test]
fn a_sine_lands_in_its_band_at_its_level() {
    // -12 dBFS sine at 1 kHz in both channels: mid = the sine, -12 dB re full-scale sine.
    let x = sine(1000.0, -12.0, 0.0, 10.0, RATE);
    let a = analyze(&copies(x, 2, RATE)).unwrap();
    let s = &a.spectrum;
    let (k, _) = s
        .bands_hz
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - 1000.0).abs().total_cmp(&(b.1 - 1000.0).abs()))
        .unwrap();
    let v = s.mid_db[k].unwrap();
    eprintln!("1 kHz -12 dBFS sine reads {v:.3} dB in the 1 kHz band");
    assert!((v + 12.0).abs() < 0.2, "{v}");
    for (i, other) in s.mid_db.iter().enumerate() {
        if i.abs_diff(k) >= 2 {
            assert!(other.is_none_or(|o| o < v - 40.0), "band {i}: {other:?}");
        }
    }
}

fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| (0.1 * r.gauss()) as f32).collect()
}

#[test]
fn mono_reads_fully_correlated_with_no_side() {
    let a = analyze(&copies(noise(1, 10 * RATE as usize), 2, RATE)).unwrap();
    assert!((a.stereo.correlation.unwrap() - 1.0).abs() < 1e-9);
    for b in &a.stereo.bands {
        assert!(b.side_to_mid_db.unwrap() < -60.0, "{b:?}");
    }
}

#[test]
fn independent_channels_read_side_equal_to_mid() {
    let n = 20 * RATE as usize;
    let audio = Audio::new(RATE, vec![noise(2, n), noise(3, n)]);
    let a = analyze(&audio).unwrap();
    assert!(a.stereo.correlation.unwrap().abs() < 0.02);
    for b in &a.stereo.bands {
        let sm = b.side_to_mid_db.unwrap();
        assert!(sm.abs() < 0.5, "{b:?}");
    }
}

#[test]
fn wide_only_above_2500_hz_reads_so_per_band() {
    // Common noise everywhere, plus independent noise high-passed above ~4 kHz (first
    // difference twice: +12 dB/oct) in opposite polarity, so only the highs are wide.
    let n = 20 * RATE as usize;
    let common = noise(4, n);
    let hp = |mut x: Vec<f32>| {
        for _ in 0..3 {
            let mut prev = 0.0f32;
            for v in x.iter_mut() {
                let cur = *v;
                *v = cur - prev;
                prev = cur;
            }
        }
        x
    };
    let wide = hp(noise(5, n));
    let l: Vec<f32> = common.iter().zip(&wide).map(|(c, w)| 0.3 * c + w).collect();
    let r: Vec<f32> = common.iter().zip(&wide).map(|(c, w)| 0.3 * c - w).collect();
    let a = analyze(&Audio::new(RATE, vec![l, r])).unwrap();
    let b = &a.stereo.bands;
    eprintln!(
        "side/mid per band: {:?}",
        b.iter().map(|b| b.side_to_mid_db).collect::<Vec<_>>()
    );
    assert!(b[0].side_to_mid_db.unwrap() < -30.0, "lows {b:?}");
    assert!(b[2].side_to_mid_db.unwrap() > 0.0, "highs {b:?}");
    assert!(b[2].correlation.unwrap() < 0.0 && b[0].correlation.unwrap() > 0.99);
}

#[test]
fn synthetic_orchestral_and_hybrid_are_classified() {
    for seed in [1, 2] {
        let o = analyze(&coda_corpus::synth::orchestral(seed, 30.0, 44_100)).unwrap();
        let h = analyze(&coda_corpus::synth::hybrid(seed, 30.0, 44_100)).unwrap();
        eprintln!(
            "seed {seed}: orchestral -> {:?} ({:.2}), hybrid -> {:?} ({:.2})",
            o.content.kind, o.content.confidence, h.content.kind, h.content.confidence
        );
        assert_eq!(o.content.kind, ContentKind::Orchestral);
        assert_eq!(h.content.kind, ContentKind::Hybrid);
        assert!(o.content.confidence > 0.6 && h.content.confidence > 0.6);
    }
}
