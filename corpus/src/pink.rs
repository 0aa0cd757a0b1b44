//! Pink noise shaped in the frequency domain (equal energy per octave).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// RMS level of [`pink_noise`] output, linear full scale (−20 dBFS).
pub const PINK_RMS: f64 = 0.1;

/// Lowest frequency in Hz that gets the 1/f slope; bins below it keep its magnitude.
const PINK_FLOOR_HZ: f64 = 10.0;

/// Deterministic pink noise: `frames` samples at `sample_rate_hz`, RMS −20 dBFS.
///
/// Every FFT bin gets magnitude 1/√f (constant below 10 Hz, zero at DC) and a random phase
/// from a ChaCha8 stream seeded by `seed`, so third-octave band energies are flat up to the
/// bins' discretisation (well under ±0.1 dB above 20 Hz for one second or more). The
/// buffer is one period of a periodic signal, so it loops without a click.
pub fn pink_noise(seed: u64, frames: usize, sample_rate_hz: u32) -> Vec<f32> {
    if frames < 2 {
        return vec![0.0; frames];
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut planner = RealFftPlanner::<f64>::new();
    let inverse = planner.plan_fft_inverse(frames);
    let mut spectrum = inverse.make_input_vec();
    let bin_hz = f64::from(sample_rate_hz) / frames as f64;
    let last = spectrum.len() - 1;
    for (k, bin) in spectrum.iter_mut().enumerate() {
        let phase = rng.gen::<f64>() * std::f64::consts::TAU;
        if k == 0 {
            *bin = Complex::new(0.0, 0.0);
            continue;
        }
        let freq_hz = (k as f64 * bin_hz).max(PINK_FLOOR_HZ);
        let magnitude = freq_hz.sqrt().recip();
        // The Nyquist bin of an even-length transform must be real.
        *bin = if frames % 2 == 0 && k == last {
            Complex::new(magnitude, 0.0)
        } else {
            Complex::from_polar(magnitude, phase)
        };
    }
    let mut output = inverse.make_output_vec();
    inverse
        .process(&mut spectrum, &mut output)
        .expect("buffer sizes come from the plan");
    let energy: f64 = output.iter().map(|x| x * x).sum();
    let rms = (energy / frames as f64).sqrt();
    let scale = if rms > 0.0 { PINK_RMS / rms } else { 0.0 };
    output.iter().map(|&x| (x * scale) as f32).collect()
}
