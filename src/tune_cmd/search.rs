//! `coda tune --search`: Nelder-Mead (argmin) over a few of the optimizer's
//! hyperparameters, minimising the mean case loss on a training split; the held-back split's
//! loss before and after decides whether the tuned values are written (they are the
//! optimizer's compiled-in defaults, `optimizer/tuning.json`).
//!
//! The split is fixed by name: a case is held back when the FNV-1a hash of its name is
//! divisible by 3 (about a third of the cases), so adding a case never moves the others.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use coda_corpus::cases::LoadedCase;
use coda_optimizer::Tuning;
use coda_reports::escape;
use rayon::prelude::*;
use serde::Serialize;

use super::report::{self, Scoreboard};
use super::{prepare, run_prepared, CaseResult, Prepared};
use crate::cli::TuneArgs;

/// A hyperparameter the search may move.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Field name in [`Tuning`].
    pub name: &'static str,
    /// Searched on a log scale.
    pub log: bool,
    /// Smallest value allowed.
    pub lo: f64,
    /// Largest value allowed.
    pub hi: f64,
    /// First simplex step in the searched scale (natural log for `log` parameters).
    pub step: f64,
}

/// Every searchable hyperparameter with its bounds.
pub const PARAMS: &[Param] = &[
    Param {
        name: "eq_regularisation",
        log: true,
        lo: 1e-4,
        hi: 0.3,
        step: 1.0,
    },
    Param {
        name: "eq_smoothing_octaves",
        log: false,
        lo: 0.05,
        hi: 1.0,
        step: 0.12,
    },
    Param {
        name: "eq_min_improvement_db2",
        log: true,
        lo: 1e-4,
        hi: 0.5,
        step: 1.0,
    },
    Param {
        name: "eq_weight_range_db",
        log: false,
        lo: 20.0,
        hi: 90.0,
        step: 10.0,
    },
    Param {
        name: "automation_smoothing_s",
        log: false,
        lo: 1.0,
        hi: 30.0,
        step: 3.0,
    },
    Param {
        name: "automation_max_slope_db_per_s",
        log: false,
        lo: 0.1,
        hi: 3.0,
        step: 0.25,
    },
    Param {
        name: "automation_lra_reduction_share",
        log: false,
        lo: 0.0,
        hi: 1.0,
        step: 0.15,
    },
];

/// FNV-1a, 64-bit.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// True when the case is in the held-back split.
pub fn held_back(name: &str) -> bool {
    fnv1a(name) % 3 == 0
}

/// Rounds to 4 significant digits (what is evaluated is what gets written).
fn round4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn get(t: &Tuning, name: &str) -> Result<f64> {
    serde_json::to_value(t)?
        .get(name)
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| anyhow!("tuning has no number {name}"))
}

/// `base` with the searched parameters set from the searched-scale vector `x`.
fn apply(base: &Tuning, params: &[Param], x: &[f64]) -> Result<Tuning> {
    let mut v = serde_json::to_value(base)?;
    for (p, &u) in params.iter().zip(x) {
        let value = if p.log { u.exp() } else { u };
        v[p.name] = round4(value.clamp(p.lo, p.hi)).into();
    }
    Ok(serde_json::from_value(v)?)
}

fn values(t: &Tuning, params: &[Param]) -> BTreeMap<String, f64> {
    params
        .iter()
        .filter_map(|p| Some((p.name.to_string(), get(t, p.name).ok()?)))
        .collect()
}

/// One cost evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Order of evaluation, from 1.
    pub index: usize,
    /// The values tried.
    pub values: BTreeMap<String, f64>,
    /// Mean training loss.
    pub loss: f64,
    /// Training cases passing.
    pub passed: usize,
}

/// A split's figures before and after.
#[derive(Debug, Clone, Serialize)]
pub struct SplitFigures {
    /// Cases.
    pub cases: Vec<String>,
    /// Mean loss with the starting hyperparameters.
    pub loss_before: f64,
    /// Mean loss with the tuned ones.
    pub loss_after: f64,
    /// Cases passing before.
    pub passed_before: usize,
    /// Cases passing after.
    pub passed_after: usize,
}

/// What the search did.
#[derive(Debug, Clone, Serialize)]
pub struct SearchSummary {
    /// Solver.
    pub solver: String,
    /// Nelder-Mead iterations.
    pub iterations: u64,
    /// Searched parameters with their values before and after.
    pub before: BTreeMap<String, f64>,
    /// Tuned values.
    pub after: BTreeMap<String, f64>,
    /// Training split.
    pub train: SplitFigures,
    /// Held-back split.
    pub held_back: SplitFigures,
    /// Every evaluation.
    pub evaluations: Vec<Evaluation>,
    /// Where the tuned hyperparameters were written (only when the held-back loss fell).
    pub written: Option<String>,
    /// Search wall time, seconds.
    pub wall_s: f64,
}

impl SearchSummary {
    /// The search section of the HTML report.
    pub fn html(&self) -> String {
        let mut h = String::from("<h2>Hyperparameter search</h2>");
        let _ = write!(
            h,
            "<p>{} &middot; {} iterations, {} evaluations, {:.0} s &middot; {}</p>\
             <table><tr><th>split</th><th>cases</th><th>loss before</th><th>loss after</th>\
             <th>pass before</th><th>pass after</th></tr>",
            escape(&self.solver),
            self.iterations,
            self.evaluations.len(),
            self.wall_s,
            match &self.written {
                Some(p) => format!("tuned values written to {}", escape(p)),
                None => "held-back loss did not fall: nothing written".into(),
            }
        );
        for (name, s) in [("train", &self.train), ("held-back", &self.held_back)] {
            let _ = write!(
                h,
                "<tr><td>{name}</td><td>{}</td><td>{:.4}</td><td class=\"{}\">{:.4}</td>\
                 <td>{}</td><td>{}</td></tr>",
                s.cases.len(),
                s.loss_before,
                if s.loss_after < s.loss_before {
                    "ok"
                } else {
                    "bad"
                },
                s.loss_after,
                s.passed_before,
                s.passed_after
            );
        }
        h.push_str("</table><table><tr><th>parameter</th><th>before</th><th>after</th></tr>");
        for (k, v) in &self.before {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{v}</td><td>{}</td></tr>",
                escape(k),
                self.after.get(k).copied().unwrap_or(f64::NAN)
            );
        }
        h.push_str("</table>");
        h
    }
}

struct Problem<'a> {
    cases: &'a [Prepared],
    base: &'a Tuning,
    params: &'a [Param],
    evaluations: Mutex<Vec<Evaluation>>,
}

/// Masters every case with `tuning`.
fn evaluate(cases: &[Prepared], tuning: &Tuning) -> Vec<CaseResult> {
    cases.par_iter().map(|p| run_prepared(p, tuning)).collect()
}

fn mean_loss(results: &[CaseResult]) -> f64 {
    results.iter().map(|r| r.loss).sum::<f64>() / results.len().max(1) as f64
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        let t = apply(self.base, self.params, x)?;
        let results = evaluate(self.cases, &t);
        let loss = mean_loss(&results);
        let passed = results.iter().filter(|r| r.pass).count();
        let vals = values(&t, self.params);
        let mut evals = self.evaluations.lock().expect("not poisoned");
        let index = evals.len() + 1;
        eprintln!(
            "search: eval {index}: {} -> loss {loss:.4} ({passed}/{} pass)",
            vals.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            results.len()
        );
        evals.push(Evaluation {
            index,
            values: vals,
            loss,
            passed,
        });
        Ok(loss)
    }
}

fn split_figures(before: &[CaseResult], after: &[CaseResult]) -> SplitFigures {
    SplitFigures {
        cases: before.iter().map(|r| r.name.clone()).collect(),
        loss_before: mean_loss(before),
        loss_after: mean_loss(after),
        passed_before: before.iter().filter(|r| r.pass).count(),
        passed_after: after.iter().filter(|r| r.pass).count(),
    }
}

/// Runs the search and reports it.
pub fn run(
    args: &TuneArgs,
    selected: &[LoadedCase],
    base: &Tuning,
    jobs: usize,
    t0: Instant,
) -> Result<ExitCode> {
    let params: Vec<Param> = args
        .search_params
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            PARAMS
                .iter()
                .copied()
                .find(|p| p.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
                    anyhow!(
                        "--search-params: {name} is not searchable (one of: {})",
                        names.join(", ")
                    )
                })
        })
        .collect::<Result<_>>()?;
    if params.is_empty() {
        bail!("--search-params: name at least one hyperparameter");
    }
    let (held, train): (Vec<&LoadedCase>, Vec<&LoadedCase>) =
        selected.iter().partition(|lc| held_back(&lc.case.name));
    if train.is_empty() || held.is_empty() {
        bail!(
            "--search needs cases in both splits ({} training, {} held back); widen --filter",
            train.len(),
            held.len()
        );
    }
    eprintln!(
        "search: preparing {} training and {} held-back cases",
        train.len(),
        held.len()
    );
    let prep = |list: &[&LoadedCase]| -> Vec<Prepared> {
        list.par_iter()
            .filter_map(|lc| match prepare(lc) {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!("search: skipping {}: {e:#}", lc.case.name);
                    None
                }
            })
            .collect()
    };
    let train = prep(&train);
    let held = prep(&held);
    let t_search = Instant::now();
    let train_before = evaluate(&train, base);
    let held_before = evaluate(&held, base);
    eprintln!(
        "search: before: train loss {:.4}, held-back loss {:.4}",
        mean_loss(&train_before),
        mean_loss(&held_before)
    );

    let x0: Vec<f64> = params
        .iter()
        .map(|p| {
            get(base, p.name).map(|v| {
                let v = v.clamp(p.lo, p.hi);
                if p.log {
                    v.ln()
                } else {
                    v
                }
            })
        })
        .collect::<Result<_>>()?;
    let mut simplex = vec![x0.clone()];
    for (i, p) in params.iter().enumerate() {
        let mut x = x0.clone();
        // Step toward the side with more room, so the vertex stays inside the bounds.
        let (lo, hi) = if p.log {
            (p.lo.ln(), p.hi.ln())
        } else {
            (p.lo, p.hi)
        };
        x[i] += if hi - x[i] >= x[i] - lo {
            p.step
        } else {
            -p.step
        };
        simplex.push(x);
    }
    let problem = Problem {
        cases: &train,
        base,
        params: &params,
        evaluations: Mutex::new(Vec::new()),
    };
    let solver = NelderMead::new(simplex).with_sd_tolerance(1e-3)?;
    let res = Executor::new(problem, solver)
        .configure(|s| s.max_iters(args.search_iters))
        .run()?;
    let iterations = res.state().get_iter();
    let best_x = res
        .state()
        .get_best_param()
        .cloned()
        .ok_or_else(|| anyhow!("the search evaluated nothing"))?;
    let evaluations = res
        .problem
        .problem
        .as_ref()
        .map(|p| p.evaluations.lock().expect("not poisoned").clone())
        .unwrap_or_default();
    let tuned = apply(base, &params, &best_x)?;
    let train_after = evaluate(&train, &tuned);
    let held_after = evaluate(&held, &tuned);
    let train_fig = split_figures(&train_before, &train_after);
    let held_fig = split_figures(&held_before, &held_after);
    let improved = held_fig.loss_after < held_fig.loss_before;
    let written = if improved {
        let text = serde_json::to_string_pretty(&tuned)? + "\n";
        let out = &args.tuning_out;
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                bail!(
                    "--tuning-out {}: folder {} does not exist (run from the repository root \
                     or give --tuning-out)",
                    out.display(),
                    dir.display()
                );
            }
        }
        coda_engine::io::write_atomic(out, text.as_bytes())?;
        Some(out.display().to_string())
    } else {
        None
    };
    let summary = SearchSummary {
        solver: format!(
            "argmin Nelder-Mead over {} (sd tolerance 1e-3, at most {} iterations)",
            params
                .iter()
                .map(|p| if p.log {
                    format!("ln {}", p.name)
                } else {
                    p.name.to_string()
                })
                .collect::<Vec<_>>()
                .join(", "),
            args.search_iters
        ),
        iterations,
        before: values(base, &params),
        after: values(&tuned, &params),
        train: train_fig,
        held_back: held_fig,
        evaluations,
        written,
        wall_s: t_search.elapsed().as_secs_f64(),
    };
    let mut results: Vec<CaseResult> = Vec::new();
    for (list, split) in [(train_after, "train"), (held_after, "held-back")] {
        for mut r in list {
            r.split = Some(split);
            results.push(r);
        }
    }
    let board = Scoreboard::new(results, &tuned, jobs, t0.elapsed().as_secs_f64());
    report::print(&board);
    print!("{}", summary_text(&summary));
    if let Some(dir) = &args.report {
        report::write(dir, &board, Some(&summary))?;
        eprintln!("tune: wrote {}", dir.join(report::HTML).display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The search's figures as text.
pub fn summary_text(s: &SearchSummary) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nsearch: {}; {} iterations, {} evaluations, {:.0} s",
        s.solver,
        s.iterations,
        s.evaluations.len(),
        s.wall_s
    );
    for (name, f) in [("train", &s.train), ("held-back", &s.held_back)] {
        let _ = writeln!(
            t,
            "  {name:<9} {:>3} cases: loss {:.4} -> {:.4}, pass {} -> {}",
            f.cases.len(),
            f.loss_before,
            f.loss_after,
            f.passed_before,
            f.passed_after
        );
    }
    for (k, v) in &s.before {
        let _ = writeln!(
            t,
            "  {k:<32} {v} -> {}",
            s.after.get(k).copied().unwrap_or(f64::NAN)
        );
    }
    let _ = writeln!(
        t,
        "  {}",
        match &s.written {
            Some(p) => format!("wrote {p} (rebuild coda to make them the defaults)"),
            None => "held-back loss did not fall: tuning left unchanged".into(),
        }
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stable_and_about_a_third() {
        let names: Vec<String> = (0..300).map(|i| format!("case-{i}")).collect();
        let held = names.iter().filter(|n| held_back(n)).count();
        assert!((70..=130).contains(&held), "{held}");
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn apply_sets_clamps_and_rounds() {
        let base = Tuning::default();
        let p = [PARAMS[0], PARAMS[1]];
        let t = apply(&base, &p, &[(0.0123456f64).ln(), 5.0]).unwrap();
        assert_eq!(t.eq_regularisation, 0.01235);
        assert_eq!(t.eq_smoothing_octaves, 1.0);
        assert_eq!(t.width_limits, base.width_limits);
        assert_eq!(round4(123_456.0), 123_500.0);
    }
}
