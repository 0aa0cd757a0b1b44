//! Loudness fit: the gain into the true-peak limiter that lands the master's integrated
//! loudness on the target, held back when reaching it would take more limiting than a
//! gentle master allows.
//!
//! Every probe renders gain + limiter over the whole track and measures it, so the solver
//! spends as few probes as the physics allows. Without limiting, loudness follows the gain
//! dB for dB; limiting only takes a little of it back, and the limiter's largest gain
//! reduction grows dB for dB with the drive once it acts. So the first probe is the linear
//! prediction (corrected by the loss a previous solve measured), the next ones are secant
//! steps on the measured loudness, and a limit on gain reduction is met by stepping back by
//! the excess. A safeguarded bracket (argmin's Brent root finder) takes over only when the
//! secant steps have not converged after a few probes.
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;
use coda_analysis::integrated_lufs;
use coda_engine::plan::Plan;
use coda_engine::processors::limiter::LimiterConfig;
use coda_engine::render::{render, Rendered};
use coda_engine::Audio;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How close to the target the final loudness must land, LU. Delivery specs and the issue
/// ask for 0.1 LU on an independent meter, and coda's meter and ffmpeg's `ebur128` agree
/// within 0.04 LU; tighter than this only costs limiter probes.
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.02;
/// Secant probes before the bracketed solver takes over.
const SECANT_PROBES: usize = 4;

/// The solved limiter drive and what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoudnessFit {
    /// Gain into the limiter, dB.
    pub output_gain_db: f64,
    /// The limiter settings.
    pub limiter: LimiterConfig,
    /// Loudness aimed at, LUFS.
    pub target_lufs: f64,
    /// Loudness the fit reached on its own render, LUFS.
    pub reached_lufs: f64,
    /// Loudness the limiter takes away at that gain (linear prediction minus reached), LU.
    pub limiter_loss_lu: f64,
    /// Largest limiter gain reduction at that gain, dB.
    pub limiter_max_gr_db: f64,
    /// True when the target needed more limiting than allowed and the fit stopped short.
    pub stopped_short: bool,
    /// Gain reduction the target would have needed (when stopped short; extrapolated), dB.
    pub needed_gr_db: Option<f64>,
    /// Solver iterations (secant steps and Brent iterations).
    pub iterations: u64,
    /// Trial renders (gain + limiter over the whole track) the solve made.
    pub renders: u64,
}

/// Loudness and the limiter's largest gain reduction for one drive.
#[derive(Debug, Clone, Copy)]
struct Probe {
    gain_db: f64,
    lufs: f64,
    max_gr_db: f64,
}

struct Drive<'a> {
    pre: &'a Audio,
    limiter: LimiterConfig,
    /// Renders already made, by the gain's bits (Brent re-evaluates its bracket ends).
    memo: std::cell::RefCell<Vec<Probe>>,
    /// The latest render (dropped before the next one, so at most one is held).
    last: std::cell::RefCell<Option<(f64, Rendered)>>,
}

impl Drive<'_> {
    /// The drive at `gain_db` rendered over `pre` (what [`coda_engine::render::drive_plan`]
    /// gives for a plan with this gain and limiter).
    fn render(&self, gain_db: f64) -> Result<Rendered> {
        let mut plan = Plan::empty(self.pre.sample_rate_hz);
        plan.output_gain_db = gain_db;
        plan.limiter = Some(self.limiter);
        Ok(render(self.pre, &plan)?)
    }

    fn probe(&self, gain_db: f64) -> Result<Probe> {
        if let Some(p) = self.memo.borrow().iter().find(|p| p.gain_db == gain_db) {
            return Ok(*p);
        }
        self.last.borrow_mut().take();
        let out = self.render(gain_db)?;
        let lufs = integrated_lufs(&out.audio)?.ok_or(Error::Silent("the master"))?;
        let max_gr_db = out
            .limiter_gain_reduction
            .as_ref()
            .map(|t| t.reduction_db.iter().copied().fold(0.0f32, f32::max))
            .unwrap_or(0.0);
        let p = Probe {
            gain_db,
            lufs,
            max_gr_db: f64::from(max_gr_db),
        };
        self.memo.borrow_mut().push(p);
        *self.last.borrow_mut() = Some((gain_db, out));
        Ok(p)
    }

    fn renders(&self) -> u64 {
        self.memo.borrow().len() as u64
    }
}

/// Loudness minus target over the drive, for Brent.
struct Root<'a> {
    drive: &'a Drive<'a>,
    target: f64,
}

impl CostFunction for Root<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, g: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let p = self
            .drive
            .probe(*g)
            .map_err(|e| argmin::core::Error::msg(e.to_string()))?;
        Ok(p.lufs - self.target)
    }
}

/// Brent on the loudness between `lo` (below the target) and `hi` (above it).
fn brent(drive: &Drive<'_>, target: f64, lo: f64, hi: f64) -> Result<(f64, u64)> {
    let root = Root { drive, target };
    let res = Executor::new(root, BrentRoot::new(lo, hi, 0.002))
        .configure(|s| s.param(0.5 * (lo + hi)).max_iters(40))
        .run()
        .map_err(|e| Error::Solver(e.to_string()))?;
    let st = res.state();
    Ok((st.get_best_param().copied().unwrap_or(lo), st.get_iter()))
}

/// Solves the drive into a limiter at `ceiling_dbtp` so `pre` (the chain's output before
/// the output gain) reaches `target_lufs`, with at most `max_gr_db` of limiting.
/// `loss_hint_lu` is the limiter's loudness loss a previous solve on a similar `pre`
/// measured (0 when there is none); it only moves the first probe. The loudness lands
/// within `tolerance_lu` of the target (or of the drive the limit allows). Returns the fit
/// and `pre` rendered through the solved drive (the solve's last probe when it was at the
/// solved gain, else one more render).
pub fn fit_loudness(
    pre: &Audio,
    target_lufs: f64,
    ceiling_dbtp: f64,
    max_gr_db: f64,
    loss_hint_lu: f64,
    tolerance_lu: f64,
) -> Result<(LoudnessFit, Rendered)> {
    let limiter = LimiterConfig {
        ceiling_dbtp,
        lookahead_ms: 5.0,
        release_ms: 150.0,
    };
    let drive = Drive {
        pre,
        limiter,
        memo: Default::default(),
        last: Default::default(),
    };
    let base = integrated_lufs(pre)?.ok_or(Error::Silent("the mix"))?;
    let linear = target_lufs - base;
    let mut iterations = 0;
    let mut probe = drive.probe(linear + loss_hint_lu.max(0.0))?;
    // Secant steps on the loudness; the first assumes a slope of 1 (no limiting).
    let mut prev: Option<Probe> = None;
    // Searching stops early once the limit on gain reduction is crossed below the target:
    // the target is out of a gentle master's reach and the drive steps back instead.
    let over_limit = |p: &Probe| p.max_gr_db > max_gr_db && p.lufs < target_lufs;
    let searching = |p: &Probe| (p.lufs - target_lufs).abs() > tolerance_lu && !over_limit(p);
    while searching(&probe) && (drive.renders() as usize) < SECANT_PROBES {
        let slope = prev
            .filter(|q| (q.gain_db - probe.gain_db).abs() > 1e-6)
            .map(|q| (probe.lufs - q.lufs) / (probe.gain_db - q.gain_db))
            .filter(|s| s.is_finite() && *s > 0.05)
            .unwrap_or(1.0)
            .min(1.0);
        let next = probe.gain_db + (target_lufs - probe.lufs) / slope;
        prev = Some(probe);
        probe = drive.probe(next)?;
        iterations += 1;
    }
    if searching(&probe) {
        // Not converged: bracket the target between probes and let Brent finish.
        let (mut lo, mut hi) = bracket_from(&drive.memo.borrow(), target_lufs, linear);
        while drive.probe(hi)?.lufs < target_lufs && hi < linear + 24.0 {
            let p = drive.probe(hi)?;
            hi += 2.0 * (target_lufs - p.lufs) + 0.1;
        }
        if drive.probe(hi)?.lufs < target_lufs {
            return Err(Error::Solver(format!(
                "{target_lufs:.1} LUFS is out of reach under a {ceiling_dbtp:.1} dBTP ceiling"
            )));
        }
        while drive.probe(lo)?.lufs > target_lufs && lo > linear - 24.0 {
            lo -= 1.0;
        }
        let (g, it) = brent(&drive, target_lufs, lo, hi)?;
        iterations += it;
        probe = drive.probe(g)?;
    }
    let mut stopped_short = false;
    let mut needed = None;
    if probe.max_gr_db > max_gr_db {
        stopped_short = true;
        // The target needs at least this probe's reduction plus whatever loudness is still
        // missing (reduction grows dB for dB with the drive, loudness at most as fast).
        needed = Some(probe.max_gr_db + (target_lufs - probe.lufs).max(0.0));
        // Step back by the excess until the limiter does at most `max_gr_db`.
        for _ in 0..6 {
            let excess = probe.max_gr_db - max_gr_db;
            if excess <= 0.0 && excess > -4.0 * tolerance_lu {
                break;
            }
            probe = drive.probe(probe.gain_db - excess - 0.002)?;
            iterations += 1;
        }
        while probe.max_gr_db > max_gr_db {
            probe = drive.probe(probe.gain_db - 0.05)?;
            iterations += 1;
        }
    }
    let last = drive.last.take().filter(|(g, _)| *g == probe.gain_db);
    let master = match last {
        Some((_, rendered)) => rendered,
        None => drive.render(probe.gain_db)?,
    };
    let fit = LoudnessFit {
        output_gain_db: probe.gain_db,
        limiter,
        target_lufs,
        reached_lufs: probe.lufs,
        limiter_loss_lu: probe.gain_db + base - probe.lufs,
        limiter_max_gr_db: probe.max_gr_db,
        stopped_short,
        needed_gr_db: needed,
        iterations,
        renders: drive.renders(),
    };
    Ok((fit, master))
}

/// The closest probed gains below and above the target (falling back to steps around the
/// linear prediction when every probe is on one side).
fn bracket_from(probes: &[Probe], target_lufs: f64, linear: f64) -> (f64, f64) {
    let below = probes
        .iter()
        .filter(|p| p.lufs < target_lufs)
        .map(|p| p.gain_db)
        .fold(f64::NEG_INFINITY, f64::max);
    let above = probes
        .iter()
        .filter(|p| p.lufs >= target_lufs)
        .map(|p| p.gain_db)
        .fold(f64::INFINITY, f64::min);
    let lo = if below.is_finite() {
        below
    } else {
        linear - 1.0
    };
    let hi = if above.is_finite() {
        above
    } else {
        lo.max(linear) + 1.0
    };
    (lo, hi)
}
