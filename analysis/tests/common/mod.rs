//! Deterministic test signals shared by the analysis tests.
#![allow(dead_code)]

use coda_engine::Audio;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;
use std::f64::consts::TAU;

/// xorshift64* generator: uniform and Gaussian deviates, fixed seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn gauss(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
    }
}

/// Linear amplitude of a level in dBFS.
pub fn amp(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A sine of `freq_hz` with peak `level_dbfs`, starting phase `phase_rad`, `secs` long.
pub fn sine(freq_hz: f64, level_dbfs: f64, phase_rad: f64, secs: f64, rate: u32) -> Vec<f32> {
    let n = (secs * f64::from(rate)).round() as usize;
    let a = amp(level_dbfs);
    (0..n)
        .map(|i| (a * (TAU * freq_hz * i as f64 / f64::from(rate) + phase_rad).sin()) as f32)
        .collect()
}

/// 1 kHz sine segments at (peak dBFS, seconds) one after another, phase-continuous;
/// `None` as level means silence.
pub fn steps(segments: &[(Option<f64>, f64)], rate: u32) -> Vec<f32> {
    let mut out = Vec::new();
    for &(level, secs) in segments {
        let n = (secs * f64::from(rate)).round() as usize;
        let a = level.map_or(0.0, amp);
        let start = out.len();
        out.extend(
            (start..start + n)
                .map(|i| (a * (TAU * 1000.0 * i as f64 / f64::from(rate)).sin()) as f32),
        );
    }
    out
}

/// The same signal in `channels` channels.
pub fn copies(x: Vec<f32>, channels: usize, rate: u32) -> Audio {
    Audio::new(rate, vec![x; channels])
}

/// Gaussian white noise at RMS `rms_dbfs`.
pub fn white(seed: u64, frames: usize, rms_dbfs: f64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    let a = amp(rms_dbfs);
    (0..frames).map(|_| (a * r.gauss()) as f32).collect()
}

/// Periodic noise with exact magnitude `mag(f_hz)` per FFT bin and random phases, scaled to
/// RMS `rms_dbfs` (one period of a periodic signal: no edge effects).
pub fn shaped_noise(
    seed: u64,
    frames: usize,
    rate: u32,
    rms_dbfs: f64,
    mag: impl Fn(f64) -> f64,
) -> Vec<f32> {
    let mut r = Rng::new(seed);
    let mut planner = RealFftPlanner::<f64>::new();
    let inv = planner.plan_fft_inverse(frames);
    let mut spec = inv.make_input_vec();
    let bin_hz = f64::from(rate) / frames as f64;
    let last = spec.len() - 1;
    for (k, b) in spec.iter_mut().enumerate() {
        *b = if k == 0 || (k == last && frames % 2 == 0) {
            Complex::new(0.0, 0.0)
        } else {
            Complex::from_polar(mag(k as f64 * bin_hz), TAU * r.uniform())
        };
    }
    let mut out = inv.make_output_vec();
    inv.process(&mut spec, &mut out).expect("fft");
    let rms = (out.iter().map(|x| x * x).sum::<f64>() / frames as f64).sqrt();
    let g = amp(rms_dbfs) / rms;
    out.iter().map(|x| (x * g) as f32).collect()
}

/// Pink noise (1/f power) at RMS `rms_dbfs`.
pub fn pink(seed: u64, frames: usize, rate: u32, rms_dbfs: f64) -> Vec<f32> {
    shaped_noise(seed, frames, rate, rms_dbfs, |f| 1.0 / f.sqrt())
}

/// Asserts `|actual - expected| <= tol` with a readable message.
#[track_caller]
pub fn assert_near(what: &str, actual: Option<f64>, expected: f64, tol: f64) {
    let a = actual.unwrap_or_else(|| panic!("{what}: got None, expected {expected}"));
    assert!(
        (a - expected).abs() <= tol,
        "{what}: got {a:.4}, expected {expected} ± {tol}"
    );
}
