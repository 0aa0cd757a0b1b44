//! Loudness fit: the gain into the true-peak limiter, solved with argmin's Brent root
//! finder so the master's integrated loudness lands on the target, and held back when
//! reaching it would take more limiting than a gentle master allows.
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;
use coda_analysis::integrated_lufs;
use coda_engine::plan::Plan;
use coda_engine::processors::limiter::LimiterConfig;
use coda_engine::render::render;
use coda_engine::Audio;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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
    /// Largest limiter gain reduction at that gain, dB.
    pub limiter_max_gr_db: f64,
    /// True when the target needed more limiting than allowed and the fit stopped short.
    pub stopped_short: bool,
    /// Gain reduction the target would have needed (when stopped short), dB.
    pub needed_gr_db: Option<f64>,
    /// Brent iterations (both solves).
    pub iterations: u64,
    /// Trial renders (gain + limiter over the whole track) the solves made.
    pub renders: u64,
}

/// Loudness and the limiter's largest gain reduction for one drive.
#[derive(Debug, Clone, Copy)]
struct Probe {
    lufs: f64,
    max_gr_db: f64,
}

struct Drive<'a> {
    pre: &'a Audio,
    limiter: LimiterConfig,
    /// Renders already made, by the gain's bits (Brent re-evaluates its bracket ends).
    memo: std::cell::RefCell<Vec<(f64, Probe)>>,
    /// Renders made.
    renders: std::cell::Cell<u64>,
}

impl Drive<'_> {
    fn probe(&self, gain_db: f64) -> Result<Probe> {
        if let Some((_, p)) = self.memo.borrow().iter().find(|(g, _)| *g == gain_db) {
            return Ok(*p);
        }
        let p = self.render_probe(gain_db)?;
        self.memo.borrow_mut().push((gain_db, p));
        self.renders.set(self.renders.get() + 1);
        Ok(p)
    }

    fn render_probe(&self, gain_db: f64) -> Result<Probe> {
        let mut plan = Plan::empty(self.pre.sample_rate_hz);
        plan.output_gain_db = gain_db;
        plan.limiter = Some(self.limiter);
        let out = render(self.pre, &plan)?;
        let lufs = integrated_lufs(&out.audio)?.ok_or(Error::Silent("the master"))?;
        let max_gr_db = out
            .limiter_gain_reduction
            .map(|t| t.reduction_db.iter().copied().fold(0.0f32, f32::max))
            .unwrap_or(0.0);
        Ok(Probe {
            lufs,
            max_gr_db: f64::from(max_gr_db),
        })
    }
}

/// Root problems over the drive: loudness minus target, or gain reduction minus limit.
struct Root<'a> {
    drive: &'a Drive<'a>,
    target: f64,
    on_gr: bool,
}

impl CostFunction for Root<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, g: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let p = self
            .drive
            .probe(*g)
            .map_err(|e| argmin::core::Error::msg(e.to_string()))?;
        Ok(if self.on_gr { p.max_gr_db } else { p.lufs } - self.target)
    }
}

fn brent(root: Root<'_>, lo: f64, hi: f64) -> Result<(f64, u64)> {
    let res = Executor::new(root, BrentRoot::new(lo, hi, 0.005))
        .configure(|s| s.param(0.5 * (lo + hi)).max_iters(40))
        .run()
        .map_err(|e| Error::Solver(e.to_string()))?;
    let st = res.state();
    Ok((st.get_best_param().copied().unwrap_or(lo), st.get_iter()))
}

/// Solves the drive into a limiter at `ceiling_dbtp` so `pre` (the chain's output before
/// the output gain) reaches `target_lufs`, with at most `max_gr_db` of limiting.
pub fn fit_loudness(
    pre: &Audio,
    target_lufs: f64,
    ceiling_dbtp: f64,
    max_gr_db: f64,
) -> Result<LoudnessFit> {
    let limiter = LimiterConfig {
        ceiling_dbtp,
        lookahead_ms: 5.0,
        release_ms: 150.0,
    };
    let drive = Drive {
        pre,
        limiter,
        memo: Default::default(),
        renders: Default::default(),
    };
    let base = integrated_lufs(pre)?.ok_or(Error::Silent("the mix"))?;
    // Without limiting, loudness follows the gain exactly; limiting only lowers it.
    let g0 = target_lufs - base;
    let p0 = drive.probe(g0)?;
    let mut iterations = 0;
    let (mut gain, mut probe) = (g0, p0);
    if (p0.lufs - target_lufs).abs() > 0.01 {
        // Bracket: loudness is monotone in drive and limiting costs less loudness than the
        // gain adds, so 1.5x the shortfall (plus a little) is above the target.
        let mut hi = g0 + 1.5 * (target_lufs - p0.lufs).max(0.0) + 0.05;
        let mut p_hi = drive.probe(hi)?;
        while p_hi.lufs < target_lufs && hi < g0 + 24.0 {
            hi += 2.0 * (target_lufs - p_hi.lufs) + 0.1;
            p_hi = drive.probe(hi)?;
        }
        if p_hi.lufs < target_lufs {
            return Err(Error::Solver(format!(
                "{target_lufs:.1} LUFS is out of reach under a {ceiling_dbtp:.1} dBTP ceiling"
            )));
        }
        let (g, it) = brent(
            Root {
                drive: &drive,
                target: target_lufs,
                on_gr: false,
            },
            g0,
            hi,
        )?;
        iterations += it;
        gain = g;
        probe = drive.probe(g)?;
    }
    let mut stopped_short = false;
    let mut needed = None;
    if probe.max_gr_db > max_gr_db {
        needed = Some(probe.max_gr_db);
        stopped_short = true;
        // Back off until the limiter does exactly `max_gr_db`: peak reduction falls about
        // dB for dB with the drive.
        let mut lo = gain - (probe.max_gr_db - max_gr_db) - 0.5;
        while drive.probe(lo)?.max_gr_db > max_gr_db && lo > gain - 40.0 {
            lo -= 3.0;
        }
        let (g, it) = brent(
            Root {
                drive: &drive,
                target: max_gr_db,
                on_gr: true,
            },
            lo,
            gain,
        )?;
        iterations += it;
        gain = g;
        probe = drive.probe(g)?;
    }
    Ok(LoudnessFit {
        output_gain_db: gain,
        limiter,
        target_lufs,
        reached_lufs: probe.lufs,
        limiter_max_gr_db: probe.max_gr_db,
        stopped_short,
        needed_gr_db: needed,
        iterations,
        renders: drive.renders.get(),
    })
}
