//! Pink noise: flat third-octave energy 20 Hz–20 kHz, level, determinism.

use coda_corpus::{pink_noise, PINK_RMS};
use realfft::RealFftPlanner;

/// Energy per third-octave band (IEC base-10 centres 20 Hz .. 20 kHz) in dB.
fn third_octave_db(x: &[f32], rate_hz: u32) -> Vec<(f64, f64)> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(x.len());
    let mut input: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let bin_hz = f64::from(rate_hz) / x.len() as f64;
    (-17..=13)
        .map(|n| {
            let centre = 1000.0 * 10f64.powf(f64::from(n) / 10.0);
            let (lo, hi) = (centre * 10f64.powf(-0.05), centre * 10f64.powf(0.05));
            let e: f64 = spectrum
                .iter()
                .enumerate()
                .filter(|(k, _)| (lo..hi).contains(&(*k as f64 * bin_hz)))
                .map(|(_, c)| c.norm_sqr())
                .sum();
            (centre, 10.0 * e.log10())
        })
        .collect()
}

#[test]
fn third_octave_bands_are_flat_within_0_3_db() {
    for (frames, rate) in [(480_000usize, 48000u32), (441_001, 44100)] {
        let noise = pink_noise(42, frames, rate);
        assert_eq!(noise.len(), frames);
        let bands = third_octave_db(&noise, rate);
        let mean = bands.iter().map(|b| b.1).sum::<f64>() / bands.len() as f64;
        let worst =
            bands
                .iter()
                .map(|&(f, db)| (f, db - mean))
                .fold(
                    (0.0, 0.0),
                    |w: (f64, f64), b| if b.1.abs() > w.1.abs() { b } else { w },
                );
        println!(
            "{frames} frames at {rate} Hz: worst band {:.0} Hz at {:+.3} dB",
            worst.0, worst.1
        );
        assert!(
            worst.1.abs() < 0.3,
            "band {} Hz off by {} dB",
            worst.0,
            worst.1
        );
    }
}

#[test]
fn level_is_minus_20_dbfs_rms_and_deterministic() {
    let a = pink_noise(3, 96_000, 48000);
    let rms = (a.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / a.len() as f64).sqrt();
    assert!((rms / PINK_RMS - 1.0).abs() < 1e-4, "rms {rms}");
    let mean = a.iter().map(|&x| f64::from(x)).sum::<f64>() / a.len() as f64;
    assert!(mean.abs() < 1e-6, "DC {mean}");
    assert_eq!(a, pink_noise(3, 96_000, 48000));
    assert_ne!(a, pink_noise(4, 96_000, 48000));
    assert_eq!(pink_noise(1, 1, 48000), vec![0.0]);
    assert!(pink_noise(1, 0, 48000).is_empty());
}
