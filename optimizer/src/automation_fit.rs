//! Automation fit: a slow volume curve that lifts soft passages (trailer and library
//! masters), computed from the short-term loudness series.
//!
//! The curve is `g(t) = clamp(s * (L_loud - L_slow(t)), 0, range)`: `L_slow` is the
//! short-term loudness averaged over several seconds (energy domain), `L_loud` the level
//! of the loudest passages (95th percentile), so the loudest passages are untouched and
//! quieter ones rise. The amount `s` is solved with argmin's Brent root finder so the
//! loudness range of the automated series hits the target LRA (the reference's, or the
//! mix's lowered by a share of the range). The curve is then slope-limited (forward and
//! backward passes) so it never moves faster than a listener would notice, and sampled
//! into breakpoints the engine interpolates with raised-cosine segments.
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;
use coda_engine::processors::automation::{AutomationPoint, GainAutomation};
use serde::{Deserialize, Serialize};

use crate::tuning::Tuning;

/// Passages within this many dB of the loud level are left alone: the automation shapes
/// sections, not the phrasing inside them.
const DEADBAND_DB: f64 = 2.0;
/// Largest amount: gain per dB of shortfall below the loud level (minus the deadband).
const MAX_AMOUNT: f64 = 2.0;

/// The fitted automation and its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationFit {
    /// Breakpoints for the plan.
    pub automation: GainAutomation,
    /// LRA of the mix's short-term series, LU.
    pub mix_lra_lu: Option<f64>,
    /// LRA aimed at, LU.
    pub target_lra_lu: Option<f64>,
    /// LRA the automated short-term series is predicted to have, LU.
    pub predicted_lra_lu: Option<f64>,
    /// Amount `s` (0..2 dB of lift per dB of shortfall) solved by Brent's method.
    pub amount: f64,
    /// Brent iterations.
    pub iterations: u64,
}

/// Loudness range of a short-term series (EBU Tech 3342: absolute gate -70 LUFS, relative
/// gate -20 LU, 10th to 95th percentile), LU. Values before 3 s should be left out by the
/// caller if the window was not yet full.
pub fn lra_of(short_term_lufs: &[f64]) -> Option<f64> {
    let mut kept: Vec<f64> = short_term_lufs
        .iter()
        .copied()
        .filter(|&l| l > -70.0)
        .collect();
    if kept.len() < 2 {
        return None;
    }
    let mean_energy = kept.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / kept.len() as f64;
    let gate = 10.0 * mean_energy.log10() - 20.0;
    kept.retain(|&l| l >= gate);
    kept.sort_by(f64::total_cmp);
    let last = (kept.len() - 1) as f64;
    Some(kept[(last * 0.95).round() as usize] - kept[(last * 0.10).round() as usize])
}

/// Moving average of `x` (dB values, averaged as energy) over `len` entries, centred.
fn smooth_db(x: &[f64], len: usize) -> Vec<f64> {
    let e: Vec<f64> = x.iter().map(|l| 10f64.powf(l / 10.0)).collect();
    let mut prefix = vec![0.0; e.len() + 1];
    for (i, v) in e.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v;
    }
    let half = len / 2;
    (0..e.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(e.len());
            10.0 * ((prefix[hi] - prefix[lo]) / (hi - lo) as f64)
                .max(1e-30)
                .log10()
        })
        .collect()
}

/// Limits the slope of `g` (per entry) to `max_step` both ways, never raising it.
fn slope_limit(g: &mut [f64], max_step: f64) {
    for i in 1..g.len() {
        g[i] = g[i].min(g[i - 1] + max_step);
    }
    for i in (0..g.len().saturating_sub(1)).rev() {
        g[i] = g[i].min(g[i + 1] + max_step);
    }
}

/// What the curve is built from.
struct Curve<'a> {
    short_term: &'a [f64],
    slow: Vec<f64>,
    loud: f64,
    range_db: f64,
    max_step_db: f64,
}

impl Curve<'_> {
    fn gains(&self, s: f64) -> Vec<f64> {
        let mut g: Vec<f64> = self
            .slow
            .iter()
            .map(|l| (s * (self.loud - DEADBAND_DB - l)).clamp(0.0, self.range_db))
            .collect();
        slope_limit(&mut g, self.max_step_db);
        g
    }

    fn lra(&self, s: f64) -> Option<f64> {
        let g = self.gains(s);
        let shifted: Vec<f64> = self.short_term.iter().zip(&g).map(|(l, g)| l + g).collect();
        lra_of(&shifted)
    }
}

/// Root problem: LRA(s) - target.
struct LraRoot<'a> {
    curve: &'a Curve<'a>,
    target: f64,
}

impl CostFunction for LraRoot<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, s: &f64) -> Result<f64, argmin::core::Error> {
        Ok(self.curve.lra(*s).unwrap_or(0.0) - self.target)
    }
}

/// Fits the automation for a mix's short-term series (`hop_s` apart; `None` = silence).
///
/// `range_db` is the largest lift (the automation's total range), `target_lra_lu` the
/// reference's LRA if any. Without a reference, the LRA is lowered by
/// `tuning.automation_lra_reduction_share * range_db`.
pub fn fit_automation(
    short_term_lufs: &[Option<f64>],
    hop_s: f64,
    range_db: f64,
    target_lra_lu: Option<f64>,
    tuning: &Tuning,
) -> AutomationFit {
    let none = |mix_lra| AutomationFit {
        automation: GainAutomation::default(),
        mix_lra_lu: mix_lra,
        target_lra_lu,
        predicted_lra_lu: mix_lra,
        amount: 0.0,
        iterations: 0,
    };
    // Skip the first 3 s (the short-term window is still filling).
    let skip = (3.0 / hop_s).round() as usize;
    let st: Vec<f64> = short_term_lufs
        .iter()
        .map(|v| v.unwrap_or(-120.0))
        .collect();
    if st.len() <= skip + 10 || range_db <= 0.0 {
        return none(None);
    }
    let mix_lra = lra_of(&st[skip..]);
    let Some(mix_lra_v) = mix_lra else {
        return none(None);
    };
    // Passages far below the programme (silence, reverb tails) are not lifted: the
    // curve holds the level of the music around them.
    let audible: Vec<f64> = st.iter().copied().filter(|&l| l > -70.0).collect();
    let mut sorted = audible.clone();
    sorted.sort_by(f64::total_cmp);
    let loud = sorted[((sorted.len() - 1) as f64 * 0.95).round() as usize];
    let floor = loud - 30.0;
    let held: Vec<f64> = st.iter().map(|&l| l.max(floor)).collect();
    let smooth_len = (tuning.automation_smoothing_s / hop_s).round().max(1.0) as usize;
    let curve = Curve {
        short_term: &st[skip..],
        slow: smooth_db(&held, smooth_len)[skip..].to_vec(),
        loud,
        range_db,
        max_step_db: tuning.automation_max_slope_db_per_s * hop_s,
    };
    let wanted = target_lra_lu
        .unwrap_or(mix_lra_v - tuning.automation_lra_reduction_share * range_db)
        .max(0.0);
    if wanted >= mix_lra_v - 0.05 {
        return none(mix_lra);
    }
    let at_max = curve.lra(MAX_AMOUNT).unwrap_or(mix_lra_v);
    let (amount, iterations) = if at_max > wanted {
        (MAX_AMOUNT, 0)
    } else {
        let problem = LraRoot {
            curve: &curve,
            target: wanted,
        };
        match Executor::new(problem, BrentRoot::new(0.0, MAX_AMOUNT, 1e-4))
            .configure(|s| s.param(0.5).max_iters(60))
            .run()
        {
            Ok(r) => (
                r.state().get_best_param().copied().unwrap_or(MAX_AMOUNT),
                r.state().get_iter(),
            ),
            Err(_) => (MAX_AMOUNT, 0),
        }
    };
    let g = curve.gains(amount);
    // Breakpoints every `spacing` seconds, plus the first and last hop; the gain series
    // is indexed from `skip` on, and the first 3 s take the first value.
    let step = (tuning.automation_point_spacing_s / hop_s).round().max(1.0) as usize;
    let mut points = Vec::new();
    let mut i = 0;
    while i < g.len() {
        points.push(AutomationPoint {
            time_s: ((skip + i) as f64 * hop_s * 1000.0).round() / 1000.0,
            gain_db: (g[i] * 100.0).round() / 100.0,
        });
        i += step;
    }
    if (g.len() - 1) % step != 0 {
        points.push(AutomationPoint {
            time_s: ((skip + g.len() - 1) as f64 * hop_s * 1000.0).round() / 1000.0,
            gain_db: (g[g.len() - 1] * 100.0).round() / 100.0,
        });
    }
    if points.iter().all(|p| p.gain_db.abs() < 0.05) {
        return none(mix_lra);
    }
    AutomationFit {
        automation: GainAutomation { points },
        mix_lra_lu: mix_lra,
        target_lra_lu: Some(wanted),
        predicted_lra_lu: curve.lra(amount),
        amount,
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loud-soft-loud: 60 s at -14, 60 s at -26, 60 s at -14 LUFS, with a little motion.
    fn dynamic_series() -> Vec<Option<f64>> {
        (0..1800)
            .map(|i| {
                let base = if (600..1200).contains(&i) {
                    -26.0
                } else {
                    -14.0
                };
                Some(base + 1.5 * (i as f64 * 0.05).sin())
            })
            .collect()
    }

    #[test]
    fn lra_of_two_levels_is_their_spread() {
        let mut v = vec![-20.0; 100];
        v.extend(vec![-30.0; 100]);
        assert!((lra_of(&v).unwrap() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn lifts_the_soft_passage_within_range_and_slope() {
        let t = Tuning::default();
        let fit = fit_automation(&dynamic_series(), 0.1, 4.0, None, &t);
        let pts = &fit.automation.points;
        assert!(!pts.is_empty());
        let max = pts.iter().map(|p| p.gain_db).fold(f64::MIN, f64::max);
        let min = pts.iter().map(|p| p.gain_db).fold(f64::MAX, f64::min);
        assert!(max <= 4.0 + 1e-9 && min >= -1e-9, "{min}..{max}");
        // Soft middle lifted, loud parts untouched.
        assert!(
            fit.automation.gain_db_at(90.0) > 2.5,
            "{:?}",
            fit.automation.gain_db_at(90.0)
        );
        assert!(fit.automation.gain_db_at(20.0) < 0.1);
        // Never faster than the slope limit (checked between breakpoints).
        for w in pts.windows(2) {
            let slope = (w[1].gain_db - w[0].gain_db).abs() / (w[1].time_s - w[0].time_s);
            assert!(slope <= t.automation_max_slope_db_per_s + 0.01, "{slope}");
        }
        let (mix, pred) = (fit.mix_lra_lu.unwrap(), fit.predicted_lra_lu.unwrap());
        assert!(mix - pred >= 2.0, "LRA {mix} -> {pred}");
    }

    #[test]
    fn hits_a_reachable_target_lra() {
        let fit = fit_automation(&dynamic_series(), 0.1, 5.0, Some(11.0), &Tuning::default());
        assert!(
            (fit.predicted_lra_lu.unwrap() - 11.0).abs() < 0.1,
            "{fit:?}"
        );
        assert!(fit.amount > 0.0 && fit.amount < MAX_AMOUNT);
    }

    #[test]
    fn steady_music_gets_no_automation() {
        let flat: Vec<Option<f64>> = (0..1200).map(|_| Some(-16.0)).collect();
        let fit = fit_automation(&flat, 0.1, 4.0, None, &Tuning::default());
        assert!(fit.automation.points.is_empty());
    }
}
