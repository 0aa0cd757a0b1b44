//! Linkwitz-Riley 4th-order crossovers splitting a signal into bands that sum flat.
//!
//! Each crossover at `f` Hz is a pair of LR4 filters: the low-pass is two cascaded
//! Butterworth (Q = 1/sqrt 2) low-pass biquads, and the high-pass is the matching LR4 high-pass.
//! `LP(z) + HP(z) = AP(z)`, the second-order all-pass at `f` with the same Q (this holds exactly
//! for the bilinear-transformed RBJ designs, which share one prewarped denominator), so the
//! high-pass is computed as `AP(x) - LP(x)`: three biquads per crossover instead of four, the
//! same transfer function, and a band sum that is exactly the all-pass (f64 state, the
//! subtraction costs nothing measurable in accuracy; the tests check the high-pass magnitude
//! against the analytic LR4 response).
//!
//! More than two bands use the standard tree: the signal is split at the lowest crossover, the
//! high side is split again at the next, and so on. Band `k` is then passed through the all-pass
//! equivalents of the crossovers above it (`AP_{k+1} ... AP_{N-1}`), so the bands sum to the
//! all-pass `AP_0 AP_1 ... AP_{N-1}`: flat magnitude, a smooth phase rotation.
//!
//! The state runs two lanes at once (left/right, or mid/side), which the compiler packs into
//! one SIMD register per biquad.
use super::biquad::Coeffs;
use crate::{Error, Result};

/// Most crossovers a [`Crossover`] accepts (as [`validate_crossovers`] allows).
pub const MAX_CROSSOVERS: usize = 5;
/// Most bands a [`Crossover`] produces.
pub const MAX_BANDS: usize = MAX_CROSSOVERS + 1;

/// The state is flushed to zero below this magnitude every [`FLUSH_PERIOD`] samples, so decaying
/// tails never reach denormal numbers (which cost ~100x on x86).
const DENORMAL_FLOOR: f64 = 1e-30;
/// Samples between denormal flushes. Counted over the whole stream (not per block), so the
/// output does not depend on how the stream is cut into blocks.
const FLUSH_PERIOD: u32 = 4096;

/// Butterworth Q of each biquad in an LR4 section.
const Q: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// RBJ second-order all-pass at `freq_hz` with quality `q`: the bilinear transform of
/// `(s^2 - s/q + 1) / (s^2 + s/q + 1)`, prewarped like [`Coeffs::low_pass`].
pub fn all_pass(freq_hz: f64, q: f64, fs_hz: f64) -> Coeffs {
    let w0 = 2.0 * std::f64::consts::PI * freq_hz / fs_hz;
    let (sin, cos) = w0.sin_cos();
    let alpha = sin / (2.0 * q);
    let a0 = 1.0 + alpha;
    Coeffs {
        b0: (1.0 - alpha) / a0,
        b1: -2.0 * cos / a0,
        b2: 1.0,
        a1: -2.0 * cos / a0,
        a2: (1.0 - alpha) / a0,
    }
}

/// Transposed direct form II state of one biquad for two lanes, f64.
#[derive(Debug, Clone, Copy, Default)]
struct Lanes {
    s1: [f64; 2],
    s2: [f64; 2],
}

impl Lanes {
    #[inline(always)]
    fn tick(&mut self, c: &Coeffs, x: [f64; 2]) -> [f64; 2] {
        let mut y = [0.0; 2];
        for i in 0..2 {
            y[i] = c.b0 * x[i] + self.s1[i];
            self.s1[i] = c.b1 * x[i] - c.a1 * y[i] + self.s2[i];
            self.s2[i] = c.b2 * x[i] - c.a2 * y[i];
        }
        y
    }

    fn flush_denormals(&mut self) {
        for v in self.s1.iter_mut().chain(self.s2.iter_mut()) {
            if v.abs() < DENORMAL_FLOOR {
                *v = 0.0;
            }
        }
    }
}

/// One LR4 crossover point: coefficients and the state of its splitting filters.
#[derive(Debug, Clone, Copy)]
struct Split {
    /// Butterworth low-pass biquad (used twice in cascade).
    lp: Coeffs,
    /// All-pass equal to LP^2 + HP^2.
    ap: Coeffs,
    lp1: Lanes,
    lp2: Lanes,
    ap_state: Lanes,
}

/// A tree of Linkwitz-Riley 4th-order crossovers splitting two lanes into `N + 1` bands whose sum
/// is an all-pass (flat magnitude).
///
/// Band 0 is the lowest. Band `k` of `N + 1` is `HP_0 ... HP_{k-1} LP_k AP_{k+1} ... AP_{N-1}`
/// (LR4 responses, -6.02 dB at their crossover frequency).
#[derive(Debug, Clone)]
pub struct Crossover {
    splits: [Split; MAX_CROSSOVERS],
    /// `comp[k][j]`: state of the all-pass `AP_j` compensating band `k` (`j > k`).
    comp: [[Lanes; MAX_CROSSOVERS]; MAX_CROSSOVERS],
    crossovers: usize,
    until_flush: u32,
}

impl Crossover {
    /// A crossover tree at `crossovers_hz` (increasing, at most [`MAX_CROSSOVERS`], each below
    /// Nyquist) for `sample_rate_hz`; validates with [`validate_crossovers`] (field
    /// `crossovers_hz`). An empty list gives one band equal to the input.
    pub fn new(crossovers_hz: &[f64], sample_rate_hz: u32) -> Result<Self> {
        validate_crossovers("crossovers_hz", crossovers_hz, sample_rate_hz)?;
        let fs = f64::from(sample_rate_hz);
        let idle = Split {
            lp: Coeffs::IDENTITY,
            ap: Coeffs::IDENTITY,
            lp1: Lanes::default(),
            lp2: Lanes::default(),
            ap_state: Lanes::default(),
        };
        let mut splits = [idle; MAX_CROSSOVERS];
        for (s, &f) in splits.iter_mut().zip(crossovers_hz) {
            s.lp = Coeffs::low_pass(f, Q, fs);
            s.ap = all_pass(f, Q, fs);
        }
        Ok(Self {
            splits,
            comp: [[Lanes::default(); MAX_CROSSOVERS]; MAX_CROSSOVERS],
            crossovers: crossovers_hz.len(),
            until_flush: FLUSH_PERIOD,
        })
    }

    /// Number of bands produced (crossovers + 1).
    pub fn bands(&self) -> usize {
        self.crossovers + 1
    }

    /// Splits one sample of two lanes; the first [`Crossover::bands`] entries of the result are
    /// the bands, lowest first (the rest are zero).
    #[inline(always)]
    pub fn tick(&mut self, x: [f64; 2]) -> [[f64; 2]; MAX_BANDS] {
        let n = self.crossovers;
        let mut out = [[0.0; 2]; MAX_BANDS];
        let mut rest = x;
        for (k, s) in self.splits[..n].iter_mut().enumerate() {
            let lo = s.lp2.tick(&s.lp, s.lp1.tick(&s.lp, rest));
            let ap = s.ap_state.tick(&s.ap, rest);
            out[k] = lo;
            rest = [ap[0] - lo[0], ap[1] - lo[1]];
        }
        out[n] = rest;
        for k in 0..n.saturating_sub(1) {
            for j in k + 1..n {
                out[k] = self.comp[k][j].tick(&self.splits[j].ap, out[k]);
            }
        }
        self.until_flush -= 1;
        if self.until_flush == 0 {
            self.flush_denormals();
        }
        out
    }

    /// [`Crossover::tick`] for a tree known to have `B` bands at compile time (`B` must equal
    /// [`Crossover::bands`]): the loops unroll and the result holds exactly the bands. Same
    /// arithmetic in the same order as `tick`, so the output is bit-identical.
    #[inline(always)]
    pub fn tick_bands<const B: usize>(&mut self, x: [f64; 2]) -> [[f64; 2]; B] {
        debug_assert_eq!(B, self.bands(), "tick_bands::<B> on a tree of another size");
        let out = tick_tree::<B>(&mut self.splits, &mut self.comp, x);
        self.until_flush -= 1;
        if self.until_flush == 0 {
            self.flush_denormals();
        }
        out
    }

    /// Splits `len` samples of a tree of `B` bands (`B` must equal [`Crossover::bands`]):
    /// `input(i)` gives sample `i`'s two lanes and `output(i, bands)` receives its bands, in
    /// order. Bit-identical to calling [`Crossover::tick_bands`] per sample, and faster: the
    /// filter state is copied into locals for runs of samples between the (block-independent)
    /// denormal flushes, so the compiler can keep it in registers.
    #[inline(always)]
    pub fn run_bands<const B: usize>(
        &mut self,
        len: usize,
        mut input: impl FnMut(usize) -> [f64; 2],
        mut output: impl FnMut(usize, [[f64; 2]; B]),
    ) {
        assert_eq!(B, self.bands(), "run_bands::<B> on a tree of another size");
        let mut start = 0;
        while start < len {
            let n = (len - start).min(self.until_flush as usize);
            let mut splits = self.splits;
            let mut comp = self.comp;
            for i in start..start + n {
                output(i, tick_tree::<B>(&mut splits, &mut comp, input(i)));
            }
            self.splits = splits;
            self.comp = comp;
            self.until_flush -= n as u32;
            if self.until_flush == 0 {
                self.flush_denormals();
            }
            start += n;
        }
    }

    #[cold]
    fn flush_denormals(&mut self) {
        self.until_flush = FLUSH_PERIOD;
        for s in self.splits.iter_mut() {
            s.lp1.flush_denormals();
            s.lp2.flush_denormals();
            s.ap_state.flush_denormals();
        }
        for l in self.comp.iter_mut().flatten() {
            l.flush_denormals();
        }
    }

    /// Splits one channel's block (run on lane 0) into `bands`, each as long as `input`
    /// (`bands.len()` must equal [`Crossover::bands`]). State carries over between calls.
    pub fn split(&mut self, input: &[f32], bands: &mut [&mut [f32]]) {
        assert_eq!(bands.len(), self.bands(), "one output slice per band");
        for b in bands.iter() {
            assert_eq!(b.len(), input.len(), "band slices as long as the input");
        }
        for (i, &x) in input.iter().enumerate() {
            let out = self.tick([f64::from(x), 0.0]);
            for (b, o) in bands.iter_mut().zip(out.iter()) {
                b[i] = o[0] as f32;
            }
        }
    }

    /// Clears all filter state.
    pub fn reset(&mut self) {
        for s in self.splits.iter_mut() {
            s.lp1 = Lanes::default();
            s.lp2 = Lanes::default();
            s.ap_state = Lanes::default();
        }
        self.comp = [[Lanes::default(); MAX_CROSSOVERS]; MAX_CROSSOVERS];
        self.until_flush = FLUSH_PERIOD;
    }
}

/// One sample through a tree of `B` bands (see [`Crossover::tick`]), on the given state.
#[inline(always)]
fn tick_tree<const B: usize>(
    splits: &mut [Split; MAX_CROSSOVERS],
    comp: &mut [[Lanes; MAX_CROSSOVERS]; MAX_CROSSOVERS],
    x: [f64; 2],
) -> [[f64; 2]; B] {
    let mut out = [[0.0; 2]; B];
    let mut rest = x;
    for k in 0..B - 1 {
        let s = &mut splits[k];
        let lo = s.lp2.tick(&s.lp, s.lp1.tick(&s.lp, rest));
        let ap = s.ap_state.tick(&s.ap, rest);
        out[k] = lo;
        rest = [ap[0] - lo[0], ap[1] - lo[1]];
    }
    out[B - 1] = rest;
    for k in 0..B.saturating_sub(2) {
        for j in k + 1..B - 1 {
            out[k] = comp[k][j].tick(&splits[j].ap, out[k]);
        }
    }
    out
}

/// Checks crossover frequencies are increasing (each above 1.25x the last), within 20 Hz and
/// 0.45 x the sample rate.
pub fn validate_crossovers(field: &str, crossovers_hz: &[f64], sample_rate_hz: u32) -> Result<()> {
    let top = f64::from(sample_rate_hz) * 0.45;
    let mut prev = 0.0;
    for (i, &f) in crossovers_hz.iter().enumerate() {
        if !f.is_finite() || f < 20.0 || f > top || f <= prev * 1.25 {
            return Err(Error::Plan {
                field: format!("{field}[{i}]"),
                reason: format!(
                    "{f} Hz must be within 20..={top:.0} Hz and above 1.25x the previous crossover"
                ),
            });
        }
        prev = f;
    }
    if crossovers_hz.len() > 5 {
        return Err(Error::Plan {
            field: field.to_string(),
            reason: format!("{} crossovers; at most 5", crossovers_hz.len()),
        });
    }
    Ok(())
}
