//! EQ fit: a bounded parametric EQ (low shelf, high shelf, up to six bells) whose response
//! follows the level-normalised difference between the target's and the mix's mid spectra,
//! weighted to where the music has energy and regularised toward small moves.
//!
//! The fit is greedy then joint: shelves first (from several corners, solved in parallel),
//! then one bell at a time where the weighted residual is largest, each time re-fitting
//! every band together with argmin's L-BFGS
//! (More-Thuente line search, central-difference gradients in an unbounded
//! parametrisation, so every band stays inside its bounds). A free broadband offset takes
//! the level difference; the loudness fit deals with level, the EQ only with tone. A bell
//! is kept only if it lowers the cost by a minimum amount, so a mix that already matches
//! gets no EQ at all. Nothing about where mud or harshness live is hard-coded.
use coda_engine::processors::biquad::Coeffs;
use coda_engine::processors::eq::{EqBand, EqChannel, EqConfig, EqKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::tuning::Tuning;

/// Largest boost or cut of any band, dB.
pub const MAX_GAIN_DB: f64 = 6.0;
/// Most bells the fit places (besides the two shelves).
pub const MAX_BELLS: usize = 6;
const BELL_Q: (f64, f64) = (0.4, 4.0);
const SHELF_Q: (f64, f64) = (0.5, 1.2);
const LOW_SHELF_HZ: (f64, f64) = (30.0, 300.0);
const HIGH_SHELF_HZ: (f64, f64) = (2000.0, 16_000.0);
/// Bells stay below 12 kHz: above it "air" is a shelf's job (a bell there rolls off again
/// right where the third-octave at 16 kHz is judged).
const BELL_HZ: (f64, f64) = (30.0, 12_000.0);
/// Corners the low shelf's fit starts from, Hz.
const SHELF_STARTS_LOW_HZ: [f64; 2] = [60.0, 150.0];
/// Corners the high shelf's fit starts from, Hz.
const SHELF_STARTS_HIGH_HZ: [f64; 3] = [3000.0, 6000.0, 11_000.0];
/// Cost per dB² the whole curve goes beyond the total limit (a soft wall).
const OVER_LIMIT_PENALTY: f64 = 10.0;
/// Cost per dB² of band gain (keeps opposing bands from cancelling each other).
const BAND_GAIN_PENALTY: f64 = 1e-4;

/// The fitted EQ and how the fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EqFit {
    /// The EQ for the plan (bands under 0.1 dB dropped).
    pub config: EqConfig,
    /// Frequencies of the curves below, Hz.
    pub freqs_hz: Vec<f64>,
    /// What the EQ aimed at (target minus mix, level-normalised, times strength), dB.
    pub target_db: Vec<f64>,
    /// The fitted EQ's response, dB.
    pub fitted_db: Vec<f64>,
    /// Weight of each point in the fit, 0..1.
    pub weights: Vec<f64>,
    /// Solver description.
    pub solver: String,
    /// L-BFGS iterations summed over the greedy steps.
    pub iterations: u64,
    /// Final cost (weighted mean squared error in dB² plus regularisation).
    pub cost: f64,
    /// Weighted RMS error of the fitted curve against its target, dB.
    pub rms_error_db: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    LowShelf,
    HighShelf,
    Bell,
}

impl Shape {
    fn freq_bounds(self) -> (f64, f64) {
        match self {
            Shape::LowShelf => LOW_SHELF_HZ,
            Shape::HighShelf => HIGH_SHELF_HZ,
            Shape::Bell => BELL_HZ,
        }
    }
    fn q_bounds(self) -> (f64, f64) {
        match self {
            Shape::Bell => BELL_Q,
            _ => SHELF_Q,
        }
    }
}

/// Maps an unbounded value into `lo..hi` (logistic).
fn squash(u: f64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) / (1.0 + (-u).exp())
}

/// Inverse of [`squash`], clamped inside the open interval.
fn unsquash(x: f64, lo: f64, hi: f64) -> f64 {
    let t = ((x - lo) / (hi - lo)).clamp(1e-4, 1.0 - 1e-4);
    (t / (1.0 - t)).ln()
}

/// One band in physical units.
#[derive(Debug, Clone, Copy)]
struct Band {
    shape: Shape,
    freq_hz: f64,
    gain_db: f64,
    q: f64,
}

impl Band {
    fn coeffs(&self, fs: f64) -> Coeffs {
        match self.shape {
            Shape::LowShelf => Coeffs::low_shelf(self.freq_hz, self.q, self.gain_db, fs),
            Shape::HighShelf => Coeffs::high_shelf(self.freq_hz, self.q, self.gain_db, fs),
            Shape::Bell => Coeffs::peaking(self.freq_hz, self.q, self.gain_db, fs),
        }
    }

    fn encode(&self) -> [f64; 3] {
        let (flo, fhi) = self.shape.freq_bounds();
        let (qlo, qhi) = self.shape.q_bounds();
        [
            unsquash(self.freq_hz.ln(), flo.ln(), fhi.ln()),
            unsquash(self.gain_db, -MAX_GAIN_DB, MAX_GAIN_DB),
            unsquash(self.q, qlo, qhi),
        ]
    }

    fn decode(shape: Shape, u: &[f64]) -> Self {
        let (flo, fhi) = shape.freq_bounds();
        let (qlo, qhi) = shape.q_bounds();
        Band {
            shape,
            freq_hz: squash(u[0], flo.ln(), fhi.ln()).exp(),
            gain_db: squash(u[1], -MAX_GAIN_DB, MAX_GAIN_DB),
            q: squash(u[2], qlo, qhi),
        }
    }
}

/// `cos w` and `cos 2w` of each fit frequency (the response needs no trigonometry then).
fn cosines(freqs_hz: &[f64], fs: f64) -> Vec<(f64, f64)> {
    freqs_hz
        .iter()
        .map(|f| {
            let w = std::f64::consts::TAU * f / fs;
            (w.cos(), (2.0 * w).cos())
        })
        .collect()
}

/// `|H(e^jw)|²` of a section from `cos w` and `cos 2w`.
#[inline]
fn power(c: &Coeffs, (c1, c2): (f64, f64)) -> f64 {
    let num = c.b0 * c.b0
        + c.b1 * c.b1
        + c.b2 * c.b2
        + 2.0 * (c.b0 * c.b1 + c.b1 * c.b2) * c1
        + 2.0 * c.b0 * c.b2 * c2;
    let den = 1.0 + c.a1 * c.a1 + c.a2 * c.a2 + 2.0 * (c.a1 + c.a1 * c.a2) * c1 + 2.0 * c.a2 * c2;
    num / den
}

/// The fitting problem: bands of fixed shapes, parameters `[f, g, q]*n + [offset]`.
struct Problem<'a> {
    shapes: Vec<Shape>,
    freqs_hz: &'a [f64],
    cos: &'a [(f64, f64)],
    target_db: &'a [f64],
    weights: &'a [f64],
    fs: f64,
    lambda: f64,
    limit_db: f64,
}

impl Problem<'_> {
    fn bands(&self, p: &[f64]) -> Vec<Band> {
        self.shapes
            .iter()
            .enumerate()
            .map(|(i, &s)| Band::decode(s, &p[3 * i..3 * i + 3]))
            .collect()
    }

    /// One band's response at every fit point, dB.
    fn band_db(&self, band: &Band) -> Vec<f64> {
        let c = band.coeffs(self.fs);
        self.cos
            .iter()
            .map(|&cw| 10.0 * power(&c, cw).max(1e-30).log10())
            .collect()
    }

    /// The whole EQ's response at every fit point, dB.
    fn response(&self, bands: &[Band]) -> Vec<f64> {
        let per: Vec<Vec<f64>> = bands.iter().map(|b| self.band_db(b)).collect();
        self.sum_db(&per)
    }

    /// The sum of per-band responses, dB.
    fn sum_db(&self, per: &[Vec<f64>]) -> Vec<f64> {
        let mut total = vec![0.0; self.cos.len()];
        for d in per {
            for (t, x) in total.iter_mut().zip(d) {
                *t += x;
            }
        }
        total
    }

    /// The cost of a response `resp` (dB) with a broadband `offset` (dB) and the sum of the
    /// bands' squared gains (dB²).
    fn cost_from(&self, resp: &[f64], offset: f64, gains_sq_db2: f64) -> f64 {
        let wsum: f64 = self.weights.iter().sum::<f64>().max(1e-12);
        let (mut err, mut size, mut over) = (0.0, 0.0, 0.0);
        for ((r, t), w) in resp.iter().zip(self.target_db).zip(self.weights) {
            err += w * (r + offset - t).powi(2);
            size += w * r * r;
            over += (r.abs() - self.limit_db).max(0.0).powi(2);
        }
        // Regularisation on the curve, not on band gains: shrinking the response toward 0
        // does not reward splitting one move into several bands. A tiny band-gain term
        // keeps opposing bands from cancelling each other.
        (err + self.lambda * size) / wsum
            + BAND_GAIN_PENALTY * gains_sq_db2
            + OVER_LIMIT_PENALTY * over / self.freqs_hz.len() as f64
    }

    fn cost_of(&self, p: &[f64]) -> f64 {
        let bands = self.bands(p);
        let gains: f64 = bands.iter().map(|b| b.gain_db * b.gain_db).sum();
        self.cost_from(&self.response(&bands), p[p.len() - 1], gains)
    }

    /// Central-difference gradient of [`Self::cost_of`], recomputing only the perturbed
    /// band's response (the others are summed once): about as many band evaluations as
    /// one cost evaluation per parameter instead of one per band and parameter.
    fn gradient_of(&self, p: &[f64]) -> Vec<f64> {
        let bands = self.bands(p);
        let per: Vec<Vec<f64>> = bands.iter().map(|b| self.band_db(b)).collect();
        let total = self.sum_db(&per);
        let gains: f64 = bands.iter().map(|b| b.gain_db * b.gain_db).sum();
        let last = p.len() - 1;
        let mut q = p.to_vec();
        let mut grad = vec![0.0; p.len()];
        let mut resp = vec![0.0; total.len()];
        for (k, (shape, base)) in self.shapes.iter().zip(&per).enumerate() {
            let g0 = bands[k].gain_db;
            for j in 3 * k..3 * k + 3 {
                grad[j] = crate::lbfgs::central_difference(
                    |u: &[f64]| {
                        let b = Band::decode(*shape, &u[3 * k..3 * k + 3]);
                        let c = b.coeffs(self.fs);
                        for (((r, t), x), &cw) in
                            resp.iter_mut().zip(&total).zip(base).zip(self.cos)
                        {
                            *r = t - x + 10.0 * power(&c, cw).max(1e-30).log10();
                        }
                        let g = gains - g0 * g0 + b.gain_db * b.gain_db;
                        self.cost_from(&resp, u[last], g)
                    },
                    &mut q,
                    j,
                );
            }
        }
        grad[last] = crate::lbfgs::central_difference(
            |u: &[f64]| self.cost_from(&total, u[last], gains),
            &mut q,
            last,
        );
        grad
    }
}

/// Runs L-BFGS from `init` (with an evaluation budget, see [`crate::lbfgs`]); returns
/// (best parameters, cost, iterations).
fn solve(problem: Problem<'_>, init: Vec<f64>, max_iters: u64) -> (Vec<f64>, f64, u64) {
    crate::lbfgs::minimise_with_gradient(
        |p| problem.cost_of(p),
        |p| problem.gradient_of(p),
        init,
        max_iters,
    )
}

/// Per-point fit weights: where both spectra have energy (within `range_db` of their
/// loudest point), inside 30 Hz..16 kHz and below 0.45 fs, equal per octave.
fn weights(
    freqs_hz: &[f64],
    mix_db: &[Option<f64>],
    target_db: &[Option<f64>],
    fs: f64,
    range_db: f64,
) -> Vec<f64> {
    let top = |v: &[Option<f64>]| {
        v.iter()
            .flatten()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let (mtop, ttop) = (top(mix_db), top(target_db));
    freqs_hz
        .iter()
        .zip(mix_db.iter().zip(target_db))
        .map(|(&f, (m, t))| match (m, t) {
            (Some(m), Some(t)) if (30.0..=16_000.0).contains(&f) && f < 0.45 * fs => {
                let depth = (m - mtop).min(t - ttop); // <= 0
                (1.0 + depth / range_db).clamp(0.0, 1.0)
            }
            _ => 0.0,
        })
        .collect()
}

/// Fits the EQ moving `mix_db` toward `target_db` (fine curves on `freqs_hz`, dB) with the
/// given strength 0..1, for a mix at `sample_rate_hz`.
pub fn fit_eq(
    freqs_hz: &[f64],
    mix_db: &[Option<f64>],
    target_db: &[Option<f64>],
    strength: f64,
    sample_rate_hz: u32,
    tuning: &Tuning,
) -> EqFit {
    let fs = f64::from(sample_rate_hz);
    let w = weights(freqs_hz, mix_db, target_db, fs, tuning.eq_weight_range_db);
    let raw: Vec<f64> = mix_db
        .iter()
        .zip(target_db)
        .map(|(m, t)| match (m, t) {
            (Some(m), Some(t)) => t - m,
            _ => 0.0,
        })
        .collect();
    let wsum: f64 = w.iter().sum();
    let smoothed = smooth_log(freqs_hz, &raw, &w, tuning.eq_smoothing_octaves);
    let mean = if wsum > 0.0 {
        smoothed.iter().zip(&w).map(|(d, w)| d * w).sum::<f64>() / wsum
    } else {
        0.0
    };
    let strength = strength.clamp(0.0, 1.0);
    // A gentle master never asks the EQ for more than the total limit anywhere.
    let limit = tuning.eq_max_total_db;
    let target: Vec<f64> = smoothed
        .iter()
        .map(|d| ((d - mean) * strength).clamp(-limit, limit))
        .collect();
    let solver = "argmin L-BFGS (More-Thuente), greedy bell insertion".to_string();
    if wsum <= 0.0 || strength == 0.0 {
        return EqFit {
            config: EqConfig::default(),
            freqs_hz: freqs_hz.to_vec(),
            fitted_db: vec![0.0; freqs_hz.len()],
            target_db: target,
            weights: w,
            solver,
            iterations: 0,
            cost: 0.0,
            rms_error_db: 0.0,
        };
    }
    let cos = cosines(freqs_hz, fs);
    let problem = |shapes: Vec<Shape>| Problem {
        shapes,
        freqs_hz,
        cos: &cos,
        target_db: &target,
        weights: &w,
        fs,
        lambda: tuning.eq_regularisation,
        limit_db: limit,
    };
    let offset_of = |p: &[f64]| p[p.len() - 1];
    // Start: the shelves from several corners (a tilt from 2 kHz and an air shelf from
    // 12 kHz are different local minima), keeping the best.
    let shapes = vec![Shape::LowShelf, Shape::HighShelf];
    let start = |low_hz: f64, high_hz: f64| -> Vec<f64> {
        [
            Band {
                shape: Shape::LowShelf,
                freq_hz: low_hz,
                gain_db: 0.0,
                q: std::f64::consts::FRAC_1_SQRT_2,
            },
            Band {
                shape: Shape::HighShelf,
                freq_hz: high_hz,
                gain_db: 0.0,
                q: std::f64::consts::FRAC_1_SQRT_2,
            },
        ]
        .iter()
        .flat_map(|b| b.encode())
        .chain([0.0])
        .collect()
    };
    // The starts are independent: solve them side by side (the result does not depend on
    // the order, ties go to the earlier start).
    let starts: Vec<(f64, f64)> = SHELF_STARTS_LOW_HZ
        .iter()
        .flat_map(|&l| SHELF_STARTS_HIGH_HZ.iter().map(move |&h| (l, h)))
        .collect();
    let solved: Vec<(Vec<f64>, f64, u64)> = starts
        .par_iter()
        .map(|&(l, h)| solve(problem(shapes.clone()), start(l, h), 200))
        .collect();
    let mut iterations: u64 = solved.iter().map(|s| s.2).sum();
    let (mut params, mut cost) = best_of(solved).expect("at least one start");
    let mut shapes = shapes;
    while shapes.len() < MAX_BELLS + 2 {
        // Place a bell at the largest weighted residual. (Trying the three largest residual
        // peaks and keeping the best fit brought issue 5's real pair from 2.08 to 1.89 dB,
        // but chased the notes of a different piece: on a dynamic synthetic film cue it
        // placed +/-6 dB bells at 230-730 Hz and cut the LRA by 1.4 LU. Not done.)
        let pr = problem(shapes.clone());
        let resp = pr.response(&pr.bands(&params));
        let off = offset_of(&params);
        let Some((i, resid)) = (0..freqs_hz.len())
            .filter(|&i| w[i] > 0.0 && (BELL_HZ.0..=BELL_HZ.1).contains(&freqs_hz[i]))
            .map(|i| (i, target[i] - resp[i] - off))
            .max_by(|a, b| (a.1.abs() * w[a.0]).total_cmp(&(b.1.abs() * w[b.0])))
        else {
            break;
        };
        let bell = Band {
            shape: Shape::Bell,
            freq_hz: freqs_hz[i],
            gain_db: resid.clamp(-MAX_GAIN_DB * 0.9, MAX_GAIN_DB * 0.9),
            q: 1.4,
        };
        let mut trial_shapes = shapes.clone();
        trial_shapes.push(Shape::Bell);
        let mut trial: Vec<f64> = params[..params.len() - 1].to_vec();
        trial.extend(bell.encode());
        trial.push(off);
        let (p, c, it) = solve(problem(trial_shapes.clone()), trial, 200);
        iterations += it;
        if cost - c < tuning.eq_min_improvement_db2 {
            break;
        }
        shapes = trial_shapes;
        params = p;
        cost = c;
    }
    // The shelves were placed before the bells and may sit in a compromise the joint refit
    // cannot leave (a high shelf at 2 kHz standing in for air lost at 12 kHz while a bell
    // does the rest). Restart each shelf from every corner with the bells in place.
    let restarts: Vec<Vec<f64>> = [
        (0usize, Shape::LowShelf, &SHELF_STARTS_LOW_HZ[..]),
        (1, Shape::HighShelf, &SHELF_STARTS_HIGH_HZ[..]),
    ]
    .iter()
    .flat_map(|&(k, shape, corners)| {
        let params = &params;
        corners.iter().map(move |&f| {
            let mut p = params.clone();
            let b = Band {
                shape,
                freq_hz: f,
                gain_db: 0.0,
                q: std::f64::consts::FRAC_1_SQRT_2,
            };
            p[3 * k..3 * k + 3].copy_from_slice(&b.encode());
            p
        })
    })
    .collect();
    let solved: Vec<(Vec<f64>, f64, u64)> = restarts
        .into_par_iter()
        .map(|p| solve(problem(shapes.clone()), p, 200))
        .collect();
    iterations += solved.iter().map(|s| s.2).sum::<u64>();
    if let Some((p, c)) = best_of(solved) {
        if c < cost {
            params = p;
            cost = c;
        }
    }
    let pr = problem(shapes.clone());
    let bands = pr.bands(&params);
    let fitted = pr.response(&bands);
    let off = offset_of(&params);
    let rms = (fitted
        .iter()
        .zip(&target)
        .zip(&w)
        .map(|((f, t), w)| w * (f + off - t).powi(2))
        .sum::<f64>()
        / wsum)
        .sqrt();
    let mut kept: Vec<EqBand> = bands
        .iter()
        .filter(|b| b.gain_db.abs() >= 0.1)
        .map(|b| EqBand {
            kind: match b.shape {
                Shape::LowShelf => EqKind::LowShelf,
                Shape::HighShelf => EqKind::HighShelf,
                Shape::Bell => EqKind::Peaking,
            },
            freq_hz: round_to(b.freq_hz, 0.1),
            gain_db: round_to(b.gain_db, 0.01),
            q: round_to(b.q, 0.001),
            slope_db_per_oct: 12,
            channel: EqChannel::Stereo,
        })
        .collect();
    kept.sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
    let config = EqConfig { bands: kept };
    let fitted_db = response_db(&config, freqs_hz, fs);
    EqFit {
        config,
        freqs_hz: freqs_hz.to_vec(),
        target_db: target,
        fitted_db,
        weights: w,
        solver,
        iterations,
        cost,
        rms_error_db: rms,
    }
}

/// The lowest-cost solution (the first of equals), as (parameters, cost).
fn best_of(solved: Vec<(Vec<f64>, f64, u64)>) -> Option<(Vec<f64>, f64)> {
    solved
        .into_iter()
        .map(|(p, c, _)| (p, c))
        .reduce(|a, b| if b.1 < a.1 { b } else { a })
}

/// Gaussian smoothing over log frequency with full width at half maximum `fwhm_oct`
/// octaves, weighted by `w` (points without energy do not pull their neighbours). Each
/// point is the intercept of a locally weighted straight line (local linear regression),
/// not a weighted mean: a mean is biased toward the inside at the ends of the range and
/// would read a shelf at the top or bottom as smaller than it is.
fn smooth_log(freqs_hz: &[f64], x: &[f64], w: &[f64], fwhm_oct: f64) -> Vec<f64> {
    if fwhm_oct <= 0.0 {
        return x.to_vec();
    }
    let sigma = fwhm_oct / 2.354_820_045;
    let oct: Vec<f64> = freqs_hz.iter().map(|f| f.log2()).collect();
    (0..x.len())
        .map(|i| {
            let (mut s0, mut s1, mut s2, mut t0, mut t1) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for j in 0..x.len() {
                let d = oct[j] - oct[i];
                if (d / sigma).abs() > 4.0 {
                    continue;
                }
                let k = (-0.5 * (d / sigma).powi(2)).exp() * w[j];
                s0 += k;
                s1 += k * d;
                s2 += k * d * d;
                t0 += k * x[j];
                t1 += k * d * x[j];
            }
            let det = s0 * s2 - s1 * s1;
            if s0 <= 1e-12 {
                x[i]
            } else if det > 1e-9 * s0 * s2.max(1e-12) {
                (s2 * t0 - s1 * t1) / det
            } else {
                t0 / s0
            }
        })
        .collect()
}

/// Rounds `x` to a multiple of `step` (plans stay readable).
fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// Magnitude response of a stereo/mid EQ at `freqs_hz`, dB (cuts included).
pub fn response_db(config: &EqConfig, freqs_hz: &[f64], fs: f64) -> Vec<f64> {
    let coeffs: Vec<Coeffs> = config
        .bands
        .iter()
        .filter(|b| b.channel != EqChannel::Side)
        .flat_map(|b| band_coeffs(b, fs))
        .collect();
    freqs_hz
        .iter()
        .map(|&f| coeffs.iter().map(|c| c.magnitude_db(f, fs)).sum())
        .collect()
}

/// The biquad sections of one band.
fn band_coeffs(b: &EqBand, fs: f64) -> Vec<Coeffs> {
    use coda_engine::processors::biquad::butterworth_qs;
    match b.kind {
        EqKind::Peaking => vec![Coeffs::peaking(b.freq_hz, b.q, b.gain_db, fs)],
        EqKind::LowShelf => vec![Coeffs::low_shelf(b.freq_hz, b.q, b.gain_db, fs)],
        EqKind::HighShelf => vec![Coeffs::high_shelf(b.freq_hz, b.q, b.gain_db, fs)],
        EqKind::LowCut => butterworth_qs((b.slope_db_per_oct / 6) as usize)
            .into_iter()
            .map(|q| Coeffs::high_pass(b.freq_hz, q, fs))
            .collect(),
        EqKind::HighCut => butterworth_qs((b.slope_db_per_oct / 6) as usize)
            .into_iter()
            .map(|q| Coeffs::low_pass(b.freq_hz, q, fs))
            .collect(),
    }
}
