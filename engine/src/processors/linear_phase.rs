//! Linear-phase FIR low-passes (Kaiser-windowed sinc, designed in f64) for complementary
//! band splits.
//!
//! A split at crossovers `f_1 < ... < f_n` uses one low-pass `LP_j` per crossover, all of the
//! same odd length `N` and delay `D = (N - 1) / 2`. The bands `LP_1`, `LP_2 - LP_1`, ...,
//! `delay_D - LP_n` sum exactly to the input delayed by `D`, and every band is linear phase
//! with the same delay, so bands never rotate against each other or against the delayed input.
//!
//! Each low-pass is -6.02 dB (amplitude 0.5) at its crossover: the window is symmetric, so the
//! transition band is centred on the crossover, from `f_j - h` to `f_j + h`. Outside it the
//! low-pass is within [`RIPPLE`] of 1 (below) or of 0 (above), so the complementary high band
//! `delay_D - LP_j` is at most [`ATTENUATION_DB`] below the delayed input under `f_j - h`.
//!
//! The half-width `h` is [`HALF_TRANSITION`] times the lowest crossover (so the lowest band's
//! edge sits at 0.8 times its crossover), narrowed if needed so the highest transition ends
//! before Nyquist. All low-passes share it in hertz, and the length follows from it by
//! Kaiser's formula: `N` is proportional to `fs / h`, so the delay in seconds depends only on
//! the lowest crossover (about 36 ms for 150 Hz, at any sample rate).

/// Stopband attenuation (and passband ripple, as a fraction) the design aims for, dB.
pub const ATTENUATION_DB: f64 = 70.0;
/// Largest deviation of a low-pass from 1 in its passband and from 0 in its stopband.
pub const RIPPLE: f64 = 3.162_277_660_168_379_5e-4; // 10^(-70/20)
/// Attenuation the window is designed for, dB: Kaiser's length and beta formulas are
/// estimates (designed for exactly 70 dB, the passband ripple came out -69.0 dB), so the
/// design aims 2 dB lower (measured: -72.0 dB passband, -72.3 dB stopband at 150 Hz).
const DESIGN_DB: f64 = ATTENUATION_DB + 2.0;
/// Half the transition band, as a fraction of the lowest crossover frequency.
pub const HALF_TRANSITION: f64 = 0.2;

/// The common design of a set of complementary linear-phase low-passes.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitDesign {
    /// Half-width of every transition band, Hz (each is `crossover ± half_transition_hz`).
    pub half_transition_hz: f64,
    /// Taps of every low-pass (odd).
    pub taps: usize,
    /// Kaiser window shape parameter.
    pub beta: f64,
}

impl SplitDesign {
    /// The design for `crossovers_hz` (increasing, validated, non-empty) at `sample_rate_hz`.
    pub fn new(crossovers_hz: &[f64], sample_rate_hz: u32) -> Self {
        let fs = f64::from(sample_rate_hz);
        let lowest = crossovers_hz[0];
        let highest = crossovers_hz[crossovers_hz.len() - 1];
        let half = (HALF_TRANSITION * lowest).min(0.5 * (0.5 * fs - highest));
        let a = DESIGN_DB;
        // Kaiser (1974): N - 1 = (A - 7.95) / (2.285 * transition in rad/sample).
        let width_rad = 2.0 * std::f64::consts::PI * (2.0 * half) / fs;
        let order = ((a - 7.95) / (2.285 * width_rad)).ceil() as usize;
        let taps = order + 1 + order % 2; // odd, so the delay is a whole number of samples
        Self {
            half_transition_hz: half,
            taps,
            beta: 0.1102 * (a - 8.7),
        }
    }

    /// Delay of every filter of the split, samples: `(taps - 1) / 2`.
    pub fn delay_samples(&self) -> usize {
        (self.taps - 1) / 2
    }

    /// The low-pass at `cutoff_hz` (-6.02 dB there), `taps` long. Not normalised to a DC gain
    /// of exactly 1: that would shift the whole passband by the ripple at DC, up to doubling it.
    pub fn low_pass(&self, cutoff_hz: f64, sample_rate_hz: u32) -> Vec<f64> {
        let d = self.delay_samples() as f64;
        let fc = cutoff_hz / f64::from(sample_rate_hz); // cycles per sample
        let i0_beta = bessel_i0(self.beta);
        (0..self.taps)
            .map(|n| {
                let t = n as f64 - d;
                let sinc = if t == 0.0 {
                    2.0 * fc
                } else {
                    (2.0 * std::f64::consts::PI * fc * t).sin() / (std::f64::consts::PI * t)
                };
                let r = t / d;
                let window = bessel_i0(self.beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
                sinc * window
            })
            .collect()
    }
}

/// Modified Bessel function of the first kind, order 0 (power series; exact to f64 rounding
/// for the arguments a Kaiser window uses).
pub fn bessel_i0(x: f64) -> f64 {
    let q = 0.25 * x * x;
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..500 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Amplitude response of a symmetric FIR at `f_hz` (real: the delay is removed).
    fn amplitude(h: &[f64], f_hz: f64, fs: f64) -> f64 {
        let d = (h.len() - 1) as f64 / 2.0;
        h.iter()
            .enumerate()
            .map(|(n, &v)| v * (2.0 * std::f64::consts::PI * f_hz / fs * (n as f64 - d)).cos())
            .sum()
    }

    #[test]
    fn bessel_i0_matches_tabulated_values() {
        // Abramowitz & Stegun table 9.8: I0(1) = 1.266065878, I0(5) = 27.23987182.
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_878).abs() < 1e-9);
        assert!((bessel_i0(5.0) - 27.239_871_82).abs() < 1e-7);
    }

    #[test]
    fn low_pass_meets_the_ripple_outside_its_transition_band() {
        for fs in [44_100u32, 48_000, 96_000, 192_000] {
            let design = SplitDesign::new(&[150.0, 2500.0], fs);
            let fsf = f64::from(fs);
            for fc in [150.0, 2500.0] {
                let h = design.low_pass(fc, fs);
                assert!((amplitude(&h, fc, fsf) - 0.5).abs() < 1e-3, "{fs} {fc}");
                let lo = fc - design.half_transition_hz;
                let hi = fc + design.half_transition_hz;
                let mut f = 0.0;
                while f < 0.5 * fsf {
                    let a = amplitude(&h, f, fsf);
                    if f <= lo {
                        assert!((a - 1.0).abs() <= RIPPLE, "{fs} Hz, {fc}: {f} Hz pass {a}");
                    } else if f >= hi {
                        assert!(a.abs() <= RIPPLE, "{fs} Hz, {fc}: {f} Hz stop {a}");
                    }
                    f += if f < 4.0 * hi { 1.0 } else { 97.0 };
                }
            }
        }
    }
}
