//! FFT convolution of fixed-size blocks with a long FIR (overlap-save, f64, realfft).
use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Convolves blocks of `hop` new samples with a kernel of `taps` taps by overlap-save.
///
/// The caller keeps a history of `taps - 1 + hop` samples (the `taps - 1` before the block,
/// then the block) and gets the `hop` outputs of the block. Each block is computed the same
/// way whatever came before, so a stream cut into blocks at the same positions always gives
/// the same bits.
#[derive(Clone)]
pub struct BlockConvolver {
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Spectrum of the kernel, scaled by 1 / fft length.
    kernel: Vec<Complex<f64>>,
    taps: usize,
    time: Vec<f64>,
    freq: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

impl fmt::Debug for BlockConvolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockConvolver")
            .field("taps", &self.taps)
            .field("fft_len", &self.time.len())
            .finish()
    }
}

impl BlockConvolver {
    /// A convolver for `kernel`, with an FFT of at least twice its length (a power of two).
    pub fn new(kernel: &[f64]) -> Self {
        let taps = kernel.len().max(1);
        let n = (2 * taps).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let mut time = vec![0.0; n];
        time[..kernel.len()].copy_from_slice(kernel);
        let mut spectrum = forward.make_output_vec();
        forward
            .process(&mut time, &mut spectrum)
            .expect("buffer sizes come from the plan");
        let scale = 1.0 / n as f64;
        for c in &mut spectrum {
            *c *= scale;
        }
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Self {
            freq: forward.make_output_vec(),
            forward,
            inverse,
            kernel: spectrum,
            taps,
            time,
            scratch: vec![Complex::default(); scratch_len],
        }
    }

    /// New samples per block.
    pub fn hop(&self) -> usize {
        self.time.len() + 1 - self.taps
    }

    /// Length of the history [`BlockConvolver::process`] reads: `taps - 1 + hop`.
    pub fn history_len(&self) -> usize {
        self.time.len()
    }

    /// Writes to `out` (`hop` long) the convolution at the last `hop` samples of `history`
    /// (`history_len` long). Allocates nothing.
    pub fn process(&mut self, history: &[f64], out: &mut [f64]) {
        assert_eq!(history.len(), self.time.len(), "history length");
        assert_eq!(out.len(), self.hop(), "output length");
        self.time.copy_from_slice(history);
        self.forward
            .process_with_scratch(&mut self.time, &mut self.freq, &mut self.scratch)
            .expect("buffer sizes come from the plan");
        for (x, k) in self.freq.iter_mut().zip(&self.kernel) {
            *x *= k;
        }
        self.inverse
            .process_with_scratch(&mut self.freq, &mut self.time, &mut self.scratch)
            .expect("buffer sizes come from the plan");
        out.copy_from_slice(&self.time[self.taps - 1..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_convolution() {
        let kernel: Vec<f64> = (0..37)
            .map(|i| ((i * 7919) % 23) as f64 / 23.0 - 0.5)
            .collect();
        let signal: Vec<f64> = (0..1000)
            .map(|i| ((i * 104_729) % 97) as f64 / 97.0 - 0.5)
            .collect();
        let mut conv = BlockConvolver::new(&kernel);
        let (hop, hist) = (conv.hop(), conv.history_len());
        let mut history = vec![0.0; hist];
        let mut out = vec![0.0; hop];
        let mut got = Vec::new();
        for block in signal.chunks(hop) {
            history.copy_within(hop.., 0);
            history[hist - hop..].fill(0.0);
            history[hist - hop..hist - hop + block.len()].copy_from_slice(block);
            conv.process(&history, &mut out);
            got.extend_from_slice(&out[..block.len()]);
        }
        for (n, g) in got.iter().enumerate() {
            let want: f64 = (0..kernel.len())
                .filter(|&k| k <= n)
                .map(|k| kernel[k] * signal[n - k])
                .sum();
            assert!((g - want).abs() < 1e-12, "sample {n}: {g} vs {want}");
        }
    }
}
