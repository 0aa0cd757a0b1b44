//! Measurements the corpus tests share: levels, low-frequency share, stereo, loudness range.
#![allow(dead_code)] // each test binary uses a different subset

use coda_engine::Audio;

/// Sample peak in dBFS over all channels.
pub fn peak_dbfs(audio: &Audio) -> f64 {
    20.0 * f64::from(audio.sample_peak()).log10()
}

/// RMS in dBFS of all channels together.
pub fn rms_dbfs(audio: &Audio) -> f64 {
    let (sum, n) = audio.channels.iter().fold((0.0f64, 0usize), |(s, n), c| {
        (
            s + c.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>(),
            n + c.len(),
        )
    });
    10.0 * (sum / n as f64).log10()
}

/// Crest factor in dB: sample peak over RMS.
pub fn crest_db(audio: &Audio) -> f64 {
    peak_dbfs(audio) - rms_dbfs(audio)
}

/// RMS in dB of the mid signal over consecutive windows of `window_s` seconds.
pub fn window_rms_db(audio: &Audio, window_s: f64) -> Vec<f64> {
    let n = (window_s * f64::from(audio.sample_rate_hz)) as usize;
    let (l, r) = (&audio.channels[0], &audio.channels[1]);
    l.chunks_exact(n)
        .zip(r.chunks_exact(n))
        .map(|(a, b)| {
            let e: f64 = a
                .iter()
                .zip(b)
                .map(|(&x, &y)| (0.5 * f64::from(x + y)).powi(2))
                .sum();
            10.0 * (e / n as f64).log10()
        })
        .collect()
}

/// Share (0..1) of the mid signal's energy below `freq_hz`, through a 2nd-order Butterworth
/// lowpass (bilinear transform, f64 state).
pub fn low_share(audio: &Audio, freq_hz: f64) -> f64 {
    let fs = f64::from(audio.sample_rate_hz);
    let k = (std::f64::consts::PI * freq_hz / fs).tan();
    let q = std::f64::consts::FRAC_1_SQRT_2;
    let norm = 1.0 / (1.0 + k / q + k * k);
    let b0 = k * k * norm;
    let (b1, b2) = (2.0 * b0, b0);
    let a1 = 2.0 * (k * k - 1.0) * norm;
    let a2 = (1.0 - k / q + k * k) * norm;
    let (mut z1, mut z2) = (0.0f64, 0.0f64);
    let (mut low, mut all) = (0.0f64, 0.0f64);
    for (&l, &r) in audio.channels[0].iter().zip(&audio.channels[1]) {
        let x = 0.5 * f64::from(l + r);
        let y = b0 * x + z1;
        z1 = b1 * x - a1 * y + z2;
        z2 = b2 * x - a2 * y;
        low += y * y;
        all += x * x;
    }
    low / all
}

/// Pearson correlation between left and right.
pub fn correlation(audio: &Audio) -> f64 {
    let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
    for (&l, &r) in audio.channels[0].iter().zip(&audio.channels[1]) {
        let (l, r) = (f64::from(l), f64::from(r));
        lr += l * r;
        ll += l * l;
        rr += r * r;
    }
    lr / (ll * rr).sqrt()
}

/// (integrated LUFS, loudness range LU) by EBU R128 (ebur128 crate).
pub fn loudness(audio: &Audio) -> (f64, f64) {
    use ebur128::{EbuR128, Mode};
    let mut meter = EbuR128::new(2, audio.sample_rate_hz, Mode::I | Mode::LRA).unwrap();
    let planes: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planes).unwrap();
    (
        meter.loudness_global().unwrap(),
        meter.loudness_range().unwrap(),
    )
}
