//! Helpers shared by the processor integration tests: impulse responses, FFT magnitudes,
//! windows and deterministic noise.
#![allow(dead_code)]

use coda_engine::processors::Processor;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// Runs `p` over `channels` in blocks of `block` samples (the last block may be shorter).
pub fn run_blocks(p: &mut dyn Processor, channels: &mut [Vec<f32>], block: usize) {
    let n = channels[0].len();
    let mut start = 0;
    while start < n {
        let end = (start + block).min(n);
        let mut views: Vec<&mut [f32]> = channels.iter_mut().map(|c| &mut c[start..end]).collect();
        p.process(&mut views);
        start = end;
    }
}

/// Deterministic white noise in -amp..amp (xorshift64*).
pub fn noise(len: usize, seed: u64, amp: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
            ((2.0 * u - 1.0) as f32) * amp
        })
        .collect()
}

/// Complex spectrum of `x` (zero-padded or truncated to `n`), bins 0..=n/2.
pub fn spectrum(x: &[f64], n: usize) -> Vec<Complex<f64>> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input = vec![0.0; n];
    let m = x.len().min(n);
    input[..m].copy_from_slice(&x[..m]);
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).expect("fft");
    out
}

/// Magnitude in dB of each bin of the spectrum of `x` (length `n`).
pub fn magnitude_db(x: &[f64], n: usize) -> Vec<f64> {
    spectrum(x, n)
        .iter()
        .map(|c| 20.0 * c.norm().max(1e-300).log10())
        .collect()
}

/// 4-term Blackman-Harris window (-92 dB sidelobes) of length `n`.
pub fn blackman_harris(n: usize) -> Vec<f64> {
    let (a0, a1, a2, a3) = (0.35875, 0.48829, 0.14128, 0.01168);
    (0..n)
        .map(|i| {
            let w = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            a0 - a1 * w.cos() + a2 * (2.0 * w).cos() - a3 * (3.0 * w).cos()
        })
        .collect()
}

/// Largest absolute difference between two slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
