//! Second-order IIR sections: RBJ Audio-EQ-Cookbook designs, their analytic magnitude
//! response, and a transposed direct form II runner in f64.
//!
//! Coefficients and state are f64 (STYLE.md): at 20 Hz and 192 kHz the poles sit within
//! 1e-3 of the unit circle, where f32 coefficients would misplace them audibly.
use std::f64::consts::PI;

/// Normalised biquad coefficients (a0 = 1): `y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coeffs {
    /// Feed-forward coefficient b0.
    pub b0: f64,
    /// Feed-forward coefficient b1.
    pub b1: f64,
    /// Feed-forward coefficient b2.
    pub b2: f64,
    /// Feedback coefficient a1.
    pub a1: f64,
    /// Feedback coefficient a2.
    pub a2: f64,
}

impl Coeffs {
    /// The identity section (passes the input unchanged).
    pub const IDENTITY: Coeffs = Coeffs {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Self {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        }
    }

    fn w0_alpha(freq_hz: f64, q: f64, fs_hz: f64) -> (f64, f64, f64) {
        let w0 = 2.0 * PI * freq_hz / fs_hz;
        let (sin, cos) = w0.sin_cos();
        (cos, sin / (2.0 * q), sin)
    }

    /// RBJ peaking EQ at `freq_hz` with `gain_db` and bandwidth `q`.
    pub fn peaking(freq_hz: f64, q: f64, gain_db: f64, fs_hz: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let (cos, alpha, _) = Self::w0_alpha(freq_hz, q, fs_hz);
        Self::normalised(
            1.0 + alpha * a,
            -2.0 * cos,
            1.0 - alpha * a,
            1.0 + alpha / a,
            -2.0 * cos,
            1.0 - alpha / a,
        )
    }

    /// RBJ low shelf with corner `freq_hz`, `gain_db` and shelf slope given as `q`.
    pub fn low_shelf(freq_hz: f64, q: f64, gain_db: f64, fs_hz: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let (cos, alpha, _) = Self::w0_alpha(freq_hz, q, fs_hz);
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) - (a - 1.0) * cos + k),
            2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
            a * ((a + 1.0) - (a - 1.0) * cos - k),
            (a + 1.0) + (a - 1.0) * cos + k,
            -2.0 * ((a - 1.0) + (a + 1.0) * cos),
            (a + 1.0) + (a - 1.0) * cos - k,
        )
    }

    /// RBJ high shelf with corner `freq_hz`, `gain_db` and shelf slope given as `q`.
    pub fn high_shelf(freq_hz: f64, q: f64, gain_db: f64, fs_hz: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let (cos, alpha, _) = Self::w0_alpha(freq_hz, q, fs_hz);
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) + (a - 1.0) * cos + k),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
            a * ((a + 1.0) + (a - 1.0) * cos - k),
            (a + 1.0) - (a - 1.0) * cos + k,
            2.0 * ((a - 1.0) - (a + 1.0) * cos),
            (a + 1.0) - (a - 1.0) * cos - k,
        )
    }

    /// RBJ second-order low-pass at `freq_hz` with quality `q`.
    pub fn low_pass(freq_hz: f64, q: f64, fs_hz: f64) -> Self {
        let (cos, alpha, _) = Self::w0_alpha(freq_hz, q, fs_hz);
        let b1 = 1.0 - cos;
        Self::normalised(b1 / 2.0, b1, b1 / 2.0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
    }

    /// RBJ second-order high-pass at `freq_hz` with quality `q`.
    pub fn high_pass(freq_hz: f64, q: f64, fs_hz: f64) -> Self {
        let (cos, alpha, _) = Self::w0_alpha(freq_hz, q, fs_hz);
        let b1 = 1.0 + cos;
        Self::normalised(
            b1 / 2.0,
            -b1,
            b1 / 2.0,
            1.0 + alpha,
            -2.0 * cos,
            1.0 - alpha,
        )
    }

    /// Magnitude of the section's response at `freq_hz`, linear.
    pub fn magnitude(&self, freq_hz: f64, fs_hz: f64) -> f64 {
        let w = 2.0 * PI * freq_hz / fs_hz;
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        let nr = self.b0 + self.b1 * c1 + self.b2 * c2;
        let ni = -(self.b1 * s1 + self.b2 * s2);
        let dr = 1.0 + self.a1 * c1 + self.a2 * c2;
        let di = -(self.a1 * s1 + self.a2 * s2);
        ((nr * nr + ni * ni) / (dr * dr + di * di)).sqrt()
    }

    /// Magnitude of the section's response at `freq_hz`, in dB.
    pub fn magnitude_db(&self, freq_hz: f64, fs_hz: f64) -> f64 {
        20.0 * self.magnitude(freq_hz, fs_hz).max(1e-300).log10()
    }
}

/// Q values of the second-order sections of an even-order Butterworth filter.
pub fn butterworth_qs(order: usize) -> Vec<f64> {
    assert!(
        order >= 2 && order % 2 == 0,
        "Butterworth order must be even"
    );
    (0..order / 2)
        .map(|k| 1.0 / (2.0 * (PI * (2 * k + 1) as f64 / (2 * order) as f64).sin()))
        .collect()
}

/// Transposed direct form II state of one section for one channel, in f64.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct State {
    s1: f64,
    s2: f64,
}

/// Values below this are flushed to zero in the state, so decaying tails never reach
/// denormal numbers (which cost 100x on x86).
const DENORMAL_FLOOR: f64 = 1e-30;

impl State {
    /// Runs one sample through `c`.
    #[inline(always)]
    pub fn tick(&mut self, c: &Coeffs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Flushes tiny state values to zero (call once per block).
    #[inline]
    pub fn flush_denormals(&mut self) {
        if self.s1.abs() < DENORMAL_FLOOR {
            self.s1 = 0.0;
        }
        if self.s2.abs() < DENORMAL_FLOOR {
            self.s2 = 0.0;
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Runs a cascade of sections over a block in place, one channel.
pub fn run_cascade(coeffs: &[Coeffs], states: &mut [State], block: &mut [f32]) {
    assert_eq!(coeffs.len(), states.len());
    for (c, s) in coeffs.iter().zip(states.iter_mut()) {
        for x in block.iter_mut() {
            *x = s.tick(c, f64::from(*x)) as f32;
        }
        s.flush_denormals();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaking_has_its_gain_at_centre_and_unity_far_away() {
        let c = Coeffs::peaking(1000.0, 1.0, 6.0, 48_000.0);
        assert!((c.magnitude_db(1000.0, 48_000.0) - 6.0).abs() < 1e-9);
        assert!(c.magnitude_db(20.0, 48_000.0).abs() < 0.05);
    }

    #[test]
    fn shelves_reach_their_gain_at_the_extremes() {
        let lo = Coeffs::low_shelf(100.0, 0.707, -4.0, 44_100.0);
        assert!((lo.magnitude_db(5.0, 44_100.0) + 4.0).abs() < 0.05);
        assert!(lo.magnitude_db(10_000.0, 44_100.0).abs() < 0.05);
        let hi = Coeffs::high_shelf(8000.0, 0.707, 3.0, 44_100.0);
        assert!((hi.magnitude_db(22_000.0, 44_100.0) - 3.0).abs() < 0.05);
    }

    #[test]
    fn butterworth_fourth_order_qs() {
        let mut q = butterworth_qs(4);
        q.sort_by(f64::total_cmp);
        assert!((q[0] - 0.541_196_1).abs() < 1e-6 && (q[1] - 1.306_563).abs() < 1e-6);
        let q2 = butterworth_qs(2);
        assert!((q2[0] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    }

    #[test]
    fn impulse_response_matches_magnitude() {
        let fs = 48_000.0;
        let c = Coeffs::peaking(300.0, 2.0, -5.0, fs);
        let mut s = State::default();
        // DC gain from the impulse response sum equals |H(0)|.
        let mut sum = 0.0;
        for n in 0..200_000 {
            sum += s.tick(&c, if n == 0 { 1.0 } else { 0.0 });
        }
        assert!((sum - c.magnitude(0.0, fs)).abs() < 1e-9);
    }
}
