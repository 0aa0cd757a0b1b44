//! True-peak detector: the peak of the band-limited signal over each base-rate sample
//! interval, by 8x polyphase FIR interpolation (minimax fractional-delay phases).
//!
//! For the interval `(c-1, c]` the detector evaluates the reconstruction at the seven
//! fractional positions `c-1 + k/8` (k = 1..7) with [`TAPS`]-tap filters centred on the
//! interval, and takes the largest magnitude together with `|x[c]|` itself. The phases are
//! designed as separate fractional-delay filters, minimax (Lawson's iteratively reweighted
//! least squares) over `0..=PASSBAND * Nyquist`; above that the detector is not accurate.
//!
//! Phases `k` and `8-k` are mirror images, so each pair costs one symmetric and one
//! antisymmetric dot product of half length, and `max(|S+A|, |S-A|) = |S|+|A|`: the whole
//! interval costs `3.5 * TAPS` multiply-adds instead of `7 * TAPS`.
//!
//! Grid: the points lie on the same 8x grid an independent 8x true-peak meter uses, so the
//! only error against such a meter is the filters' (bounded by
//! [`TruePeakDetector::worst_underestimate`] for content below the passband edge). The
//! continuous peak of a tone at the passband edge can lie up to `1 - cos(0.9 pi / 16)`
//! (0.14 dB) above the 8x grid; BS.1770's 4x meter reads lower still.
#[cfg(test)]
use std::f64::consts::PI;

/// Oversampling factor: points per base-rate sample interval.
pub const OVERSAMPLING: usize = 8;
/// Taps of each fractional-delay phase (even).
pub const TAPS: usize = 24;
/// Upper edge of the accurate band, as a fraction of Nyquist (0.9 = 19.8 kHz at 44.1 kHz,
/// 21.6 kHz at 48 kHz).
pub const PASSBAND: f64 = 0.9;

const HALF: usize = TAPS / 2;
/// Independent phase pairs (k, 8-k) for k = 1..=3, plus the symmetric middle phase k = 4.
const PAIRS: usize = OVERSAMPLING / 2 - 1;
/// Intervals evaluated together by [`TruePeakDetector::peaks`].
const LANES: usize = 4;

/// The designed filter bank, shared by every detector (it does not depend on the rate).
#[derive(Debug)]
struct Bank {
    /// Per half-tap row: symmetric parts of phases 1..=4.
    sym: [[f64; 4]; HALF],
    /// Per half-tap row: antisymmetric parts of phases 1..=3 (lane 3 is zero).
    anti: [[f64; 4]; HALF],
    /// Largest relative error of any phase below the passband edge.
    worst_error: f64,
}

/// The bank: the stored output of `design_bank` (designing it takes ~0.1 s of sin/cos
/// evaluations, which every true-peak reading would otherwise wait for; the test
/// `stored_bank_is_the_design` re-runs the design and compares).
fn bank() -> &'static Bank {
    static BANK: Bank = Bank {
        sym: SYM,
        anti: ANTI,
        worst_error: WORST_ERROR,
    };
    &BANK
}

/// Symmetric parts of phases 1..=4 per half-tap row: the output of `design_bank`.
const SYM: [[f64; 4]; HALF] = [
    [
        -0.003146537527893468,
        -0.00580717956731045,
        -0.007582071695045911,
        -0.00820483751394839,
    ],
    [
        0.0030346344210352497,
        0.005599110624549863,
        0.007309201383903846,
        0.00790911912991094,
    ],
    [
        -0.004462451982581684,
        -0.00823212404797238,
        -0.010745292649848076,
        -0.011626837438609223,
    ],
    [
        0.006324630367125822,
        0.011664738211415025,
        0.015223773932053722,
        0.01647198820380201,
    ],
    [
        -0.008740149598051895,
        -0.016114655275036447,
        -0.021027415327401204,
        -0.0227500382107196,
    ],
    [
        0.011901108672872446,
        0.021932393841038324,
        0.028610740560673913,
        0.030951719823834045,
    ],
    [
        -0.016130292656740312,
        -0.029704221636506017,
        -0.03873185625568239,
        -0.041894769122861816,
    ],
    [
        0.022051093994992776,
        0.04055513285367593,
        0.0528398464248957,
        0.05714021247712485,
    ],
    [
        -0.031027432540279527,
        -0.05691821187781161,
        -0.07404679304577694,
        -0.08003265449767244,
    ],
    [
        0.04678965148722267,
        0.08529603054908289,
        0.11055356585188478,
        0.11934404511761074,
    ],
    [
        -0.08475820588767251,
        -0.15089826159015302,
        -0.19292897849646498,
        -0.20734137141683928,
    ],
    [
        0.5562287615261514,
        0.599055290892216,
        0.6258612740234616,
        0.6349862156164594,
    ],
];
/// Antisymmetric parts of phases 1..=3 per half-tap row (lane 3 is zero): the output
/// of `design_bank`.
const ANTI: [[f64; 4]; HALF] = [
    [
        -8.913280579732146e-5,
        -0.00010966064381074878,
        -7.158566158311239e-5,
        0.0,
    ],
    [
        0.00010032793232734412,
        0.0001234040267462889,
        8.054553505324824e-5,
        0.0,
    ],
    [
        -0.00016570360664222962,
        -0.00020378050129804277,
        -0.0001329930167968587,
        0.0,
    ],
    [
        0.0002663282255107578,
        0.00032745263905437864,
        0.00021367575484579782,
        0.0,
    ],
    [
        -0.00042212939267685396,
        -0.0005188464333021371,
        -0.000338503348161873,
        0.0,
    ],
    [
        0.0006695567065107032,
        0.0008225774350345081,
        0.0005365114473989321,
        0.0,
    ],
    [
        -0.0010807741714047659,
        -0.0013267880861703631,
        -0.0008649894063322457,
        0.0,
    ],
    [
        0.0018167232926365271,
        0.0022273833824044756,
        0.0014510076683643541,
        0.0,
    ],
    [
        -0.003302016248954733,
        -0.004038081320402596,
        -0.0026265705350519836,
        0.0,
    ],
    [
        0.006994811577609936,
        0.008500517002787845,
        0.005508688422413935,
        0.0,
    ],
    [
        -0.02116519741356772,
        -0.02511974053349507,
        -0.016057848028903754,
        0.0,
    ],
    [
        0.4171464977240056,
        0.29949679100608373,
        0.1564451741340357,
        0.0,
    ],
];
/// Largest relative error of any designed phase below the passband edge.
const WORST_ERROR: f64 = 0.010127469163422331;

/// Detects the true peak of each base-rate interval of one channel.
///
/// Stateless: the caller supplies a window of [`TAPS`] consecutive samples; the interval
/// `(c-1, c]` is detected from `x[c - TAPS/2 ..= c + TAPS/2 - 1]`, so the detector looks
/// [`TruePeakDetector::delay_samples`] samples ahead of the interval it reports.
#[derive(Debug, Clone, Copy)]
pub struct TruePeakDetector {
    bank: &'static Bank,
}

impl Default for TruePeakDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl TruePeakDetector {
    /// The detector (the filter bank is designed once per process and shared).
    pub fn new() -> Self {
        Self { bank: bank() }
    }

    /// Window length, samples.
    pub const fn window_len(&self) -> usize {
        TAPS
    }

    /// Samples after `c` the window reaches: the detection delay of interval `(c-1, c]`.
    pub const fn delay_samples(&self) -> usize {
        HALF - 1
    }

    /// Worst-case relative underestimate of the 8x-grid peak for any tone below
    /// `PASSBAND * Nyquist` (largest complex error of any phase there), e.g. 0.01 = 1 %.
    pub fn worst_underestimate(&self) -> f64 {
        self.bank.worst_error
    }

    /// Largest gain of any phase (the sum of its absolute taps, at least 1): no interval's
    /// peak exceeds this times the largest magnitude in its window.
    pub fn max_gain(&self) -> f64 {
        (1..OVERSAMPLING)
            .map(|k| self.phase_taps(k).iter().map(|h| h.abs()).sum::<f64>())
            .fold(1.0, f64::max)
    }

    /// True peak of the interval between `window[TAPS/2 - 1]` and `window[TAPS/2]`
    /// (both included), linear. `window` holds exactly [`TAPS`] samples.
    #[inline]
    pub fn interval_peak(&self, window: &[f32]) -> f64 {
        let w: &[f32; TAPS] = window.try_into().expect("window of TAPS samples");
        let mut s = [0.0f64; 4];
        let mut a = [0.0f64; 4];
        for m in 0..HALF {
            let lo = f64::from(w[m]);
            let hi = f64::from(w[TAPS - 1 - m]);
            let (xs, xa) = (lo + hi, lo - hi);
            let cs = &self.bank.sym[m];
            let ca = &self.bank.anti[m];
            for i in 0..4 {
                s[i] += cs[i] * xs;
                a[i] += ca[i] * xa;
            }
        }
        let mut peak = f64::from(w[HALF].abs());
        for i in 0..4 {
            peak = peak.max(s[i].abs() + a[i].abs());
        }
        peak
    }

    /// Peaks of consecutive intervals: `out[i]` = [`Self::interval_peak`] of
    /// `input[i..i + TAPS]`. `input.len()` must be `out.len() + TAPS - 1`.
    ///
    /// Evaluates [`LANES`] intervals at a time (vectorised across time), with the same
    /// operations in the same order as [`Self::interval_peak`], so the results are
    /// bit-identical to it.
    pub fn peaks(&self, input: &[f32], out: &mut [f64]) {
        assert_eq!(input.len(), out.len() + TAPS - 1, "peaks: input length");
        let done = out.len() - out.len() % LANES;
        for (b, o) in out[..done].chunks_exact_mut(LANES).enumerate() {
            let x = &input[b * LANES..b * LANES + LANES + TAPS - 1];
            let x: [f64; LANES + TAPS - 1] = std::array::from_fn(|j| f64::from(x[j]));
            let o: &mut [f64; LANES] = o.try_into().expect("chunk of LANES");
            self.lanes(&x, o);
        }
        for (i, o) in out.iter_mut().enumerate().skip(done) {
            *o = self.interval_peak(&input[i..i + TAPS]);
        }
    }

    /// [`Self::interval_peak`] of the [`LANES`] windows `x[j..j + TAPS]`.
    #[inline]
    fn lanes(&self, x: &[f64; LANES + TAPS - 1], out: &mut [f64; LANES]) {
        let mut s = [[0.0f64; LANES]; 4];
        let mut a = [[0.0f64; LANES]; PAIRS];
        for m in 0..HALF {
            let cs = &self.bank.sym[m];
            let ca = &self.bank.anti[m];
            for j in 0..LANES {
                let (lo, hi) = (x[j + m], x[j + TAPS - 1 - m]);
                let (xs, xa) = (lo + hi, lo - hi);
                for i in 0..4 {
                    s[i][j] += cs[i] * xs;
                }
                for i in 0..PAIRS {
                    a[i][j] += ca[i] * xa;
                }
            }
        }
        for j in 0..LANES {
            // Lane 3's antisymmetric sum in `interval_peak` is a sum of zeros, |.| = 0.
            let mut peak = x[j + HALF].abs().max(s[3][j].abs());
            for i in 0..PAIRS {
                peak = peak.max(s[i][j].abs() + a[i][j].abs());
            }
            out[j] = peak;
        }
    }

    /// Phase `k` (1..=7) as a plain `TAPS`-tap filter over the window (for tests).
    pub fn phase_taps(&self, k: usize) -> [f64; TAPS] {
        assert!((1..OVERSAMPLING).contains(&k), "phase 1..=7");
        let (lane, sign) = if k <= 4 {
            (k - 1, 1.0)
        } else {
            (OVERSAMPLING - k - 1, -1.0)
        };
        let mut h = [0.0; TAPS];
        for m in 0..HALF {
            let s = self.bank.sym[m][lane];
            let a = sign * self.bank.anti[m][lane];
            h[m] = s + a;
            h[TAPS - 1 - m] = s - a;
        }
        h
    }
}

#[cfg(test)]
/// Tap positions relative to the target point `c-1 + d`: tap `m` sits at `c - HALF + m`.
fn tau(d: f64) -> [f64; TAPS] {
    std::array::from_fn(|m| m as f64 - HALF as f64 + 1.0 - d)
}

#[cfg(test)]
/// Complex error `|sum h e^{j w tau} - 1|` of a fractional-delay filter at `w` rad/sample.
fn error_at(h: &[f64; TAPS], tau: &[f64; TAPS], w: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for m in 0..TAPS {
        let (sin, cos) = (w * tau[m]).sin_cos();
        re += h[m] * cos;
        im += h[m] * sin;
    }
    ((re - 1.0).powi(2) + im * im).sqrt()
}

#[cfg(test)]
/// Minimax fractional-delay filter for the point `c-1 + d` over `0..=wp`: Lawson's
/// iteratively reweighted least squares on a dense grid. The normal matrix is Toeplitz
/// (`sum_g w_g cos(w_g (i-j))`) since tap positions differ by integers.
fn design_phase(d: f64, wp: f64) -> [f64; TAPS] {
    const GRID: usize = 16 * TAPS;
    const ITERATIONS: usize = 60;
    let tau = tau(d);
    let omegas: Vec<f64> = (0..=GRID).map(|g| wp * g as f64 / GRID as f64).collect();
    // cos(w (i - j)) for lags 0..TAPS and cos(w tau_m), per grid point.
    let lag_cos: Vec<[f64; TAPS]> = omegas
        .iter()
        .map(|&w| std::array::from_fn(|lag| (w * lag as f64).cos()))
        .collect();
    let tau_cos: Vec<[f64; TAPS]> = omegas
        .iter()
        .map(|&w| std::array::from_fn(|m| (w * tau[m]).cos()))
        .collect();
    let mut weights = vec![1.0 / omegas.len() as f64; omegas.len()];
    let mut h = [0.0; TAPS];
    for _ in 0..ITERATIONS {
        let mut lags = [0.0; TAPS];
        let mut b = [0.0; TAPS];
        for (g, &wg) in weights.iter().enumerate() {
            for k in 0..TAPS {
                lags[k] += wg * lag_cos[g][k];
                b[k] += wg * tau_cos[g][k];
            }
        }
        // A small ridge keeps the system well conditioned (the band is not the full
        // Nyquist band, so the plain normal matrix is nearly singular).
        lags[0] += 1e-9;
        let mut a: [[f64; TAPS]; TAPS] =
            std::array::from_fn(|i| std::array::from_fn(|j| lags[i.abs_diff(j)]));
        h = solve(&mut a, b);
        let mut total = 0.0;
        for (g, wg) in weights.iter_mut().enumerate() {
            *wg *= error_at(&h, &tau, omegas[g]).max(1e-15);
            total += *wg;
        }
        for wg in weights.iter_mut() {
            *wg /= total;
        }
    }
    h
}

#[cfg(test)]
/// Gaussian elimination with partial pivoting.
fn solve(a: &mut [[f64; TAPS]; TAPS], mut b: [f64; TAPS]) -> [f64; TAPS] {
    for col in 0..TAPS {
        let pivot = (col..TAPS)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..TAPS {
            let f = a[row][col] / a[col][col];
            for k in col..TAPS {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; TAPS];
    for row in (0..TAPS).rev() {
        let mut s = b[row];
        for k in row + 1..TAPS {
            s -= a[row][k] * x[k];
        }
        x[row] = s / a[row][row];
    }
    x
}

/// Designs the bank (test only: its output is stored in [`SYM`], [`ANTI`], [`WORST_ERROR`]).
#[cfg(test)]
fn design_bank() -> Bank {
    let wp = PASSBAND * PI;
    let mut sym = [[0.0; 4]; HALF];
    let mut anti = [[0.0; 4]; HALF];
    let mut worst_error: f64 = 0.0;
    for k in 1..=PAIRS + 1 {
        let d = k as f64 / OVERSAMPLING as f64;
        let h = design_phase(d, wp);
        // Phase 8-k is the mirror image of phase k (same error), so checking k covers both.
        let t = tau(d);
        const CHECK: usize = 4096;
        for g in 0..=CHECK {
            worst_error = worst_error.max(error_at(&h, &t, wp * g as f64 / CHECK as f64));
        }
        for m in 0..HALF {
            let (lo, hi) = (h[m], h[TAPS - 1 - m]);
            sym[m][k - 1] = 0.5 * (lo + hi);
            if k <= PAIRS {
                anti[m][k - 1] = 0.5 * (lo - hi);
            }
        }
    }
    Bank {
        sym,
        anti,
        worst_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain evaluation of the interpolated point `c-1 + k/8` with the phase's taps.
    fn point(det: &TruePeakDetector, w: &[f32], k: usize) -> f64 {
        let h = det.phase_taps(k);
        h.iter().zip(w).map(|(h, &x)| h * f64::from(x)).sum()
    }

    #[test]
    fn fast_path_matches_plain_phases() {
        let det = TruePeakDetector::new();
        let mut state = 0x1234_5678_u32;
        for _ in 0..200 {
            let w: Vec<f32> = (0..TAPS)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
                })
                .collect();
            let plain = (1..OVERSAMPLING)
                .map(|k| point(&det, &w, k).abs())
                .fold(f64::from(w[HALF].abs()), f64::max);
            let fast = det.interval_peak(&w);
            assert!((plain - fast).abs() < 1e-12, "{plain} vs {fast}");
        }
    }

    #[test]
    fn stored_bank_is_the_design() {
        let designed = design_bank();
        let stored = bank();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1e-3);
        for m in 0..HALF {
            for i in 0..4 {
                assert!(close(designed.sym[m][i], stored.sym[m][i]), "sym {m} {i}");
                assert!(
                    close(designed.anti[m][i], stored.anti[m][i]),
                    "anti {m} {i}"
                );
            }
        }
        assert!(close(designed.worst_error, stored.worst_error));
    }

    #[test]
    fn block_peaks_are_bit_identical_to_interval_peaks() {
        let det = TruePeakDetector::new();
        let mut state = 0x9e37_79b9_u32;
        let n = 4 * LANES + 3;
        let x: Vec<f32> = (0..n + TAPS - 1)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect();
        let mut out = vec![0.0; n];
        det.peaks(&x, &mut out);
        for (i, &p) in out.iter().enumerate() {
            assert_eq!(
                p.to_bits(),
                det.interval_peak(&x[i..i + TAPS]).to_bits(),
                "{i}"
            );
        }
    }

    #[test]
    fn max_gain_bounds_every_interval() {
        let det = TruePeakDetector::new();
        let g = det.max_gain();
        assert!(g > 2.0 && g < 3.0, "{g}");
        // Worst case for phase 4: samples of the signs of its taps.
        let h = det.phase_taps(4);
        let x: Vec<f32> = h.iter().map(|v| v.signum() as f32).collect();
        let p = det.interval_peak(&x);
        assert!(p <= g * (1.0 + 1e-12) && p > 0.99 * g, "{p} vs {g}");
    }

    #[test]
    fn phases_interpolate_tones_below_passband() {
        let det = TruePeakDetector::new();
        let u = det.worst_underestimate();
        // The design target: better than 0.1 dB below the passband edge.
        assert!(u > 0.0 && u < 0.0115, "worst error {u}");
        for &f in &[0.01, 0.1, 0.25, 0.4, 0.449] {
            let w = 2.0 * PI * f;
            for k in 1..OVERSAMPLING {
                let d = k as f64 / OVERSAMPLING as f64;
                let h = det.phase_taps(k);
                let x: Vec<f32> = (0..TAPS)
                    .map(|m| ((w * (m as f64 - HALF as f64)) + 0.3).cos() as f32)
                    .collect();
                let exact = (w * (d - 1.0) + 0.3).cos();
                let got: f64 = h.iter().zip(&x).map(|(h, &x)| h * f64::from(x)).sum();
                assert!(
                    (got - exact).abs() <= u + 1e-6,
                    "f={f} k={k}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn fs_over_4_at_45_degrees_reads_full_scale() {
        // Samples +-0.707, true peak 1.0 midway between samples (phase 4).
        let det = TruePeakDetector::new();
        let x: Vec<f32> = (0..TAPS)
            .map(|n| (PI / 2.0 * n as f64 - PI / 4.0).sin() as f32)
            .collect();
        let p = det.interval_peak(&x);
        assert!((p - 1.0).abs() < det.worst_underestimate(), "{p}");
    }
}
