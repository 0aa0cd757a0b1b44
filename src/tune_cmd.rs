//! `coda tune`: masters every corpus case (in parallel), scores each metric against the
//! case's ground truth, prints a scoreboard per case and in aggregate and writes it as JSON
//! and HTML; `--search` tunes the optimizer's hyperparameters on a training split and
//! reports the held-back split; `--export` writes the cases' audio for the benchmark.
//!
//! Exit codes: 0 when every case passes (or the search / export completed), 1 when any
//! case fails its thresholds or cannot be run.
mod report;
mod score;
mod search;

use std::borrow::Cow;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use coda_analysis::Analysis;
use coda_corpus::cases::{self, LoadedCase};
use coda_engine::io::{self, BitDepth, WriteOptions};
use coda_engine::Audio;
use coda_optimizer::{FitOptions, Purpose, TargetProfile, Tuning};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::cli::TuneArgs;
use score::{Check, Metrics};

/// A case built and measured, ready to be mastered with any tuning.
pub struct Prepared {
    /// The case and its manifest.
    pub loaded: LoadedCase,
    /// Its purpose.
    pub purpose: Purpose,
    /// The damaged mix.
    pub mix: Audio,
    /// The mix's measurement.
    pub mix_analysis: Analysis,
    /// The references' measurements.
    pub refs: Vec<Analysis>,
    /// What the fit aims at.
    pub profile: TargetProfile,
    /// Time to build and measure, seconds.
    pub build_s: f64,
}

/// The outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// `synthetic` or `real`.
    pub group: &'static str,
    /// Purpose.
    pub purpose: String,
    /// Tags.
    pub tags: Vec<String>,
    /// What it checks.
    pub description: String,
    /// Search split (`train` or `held-back`), if searching.
    pub split: Option<&'static str>,
    /// Mix length, seconds.
    pub duration_s: f64,
    /// Mix rate, Hz.
    pub sample_rate_hz: u32,
    /// Mix channels.
    pub channels: usize,
    /// Every check passed.
    pub pass: bool,
    /// Why it could not run, if it could not.
    pub error: Option<String>,
    /// The failed checks as text.
    pub failures: Vec<String>,
    /// The fit's warnings.
    pub warnings: Vec<String>,
    /// The figures.
    pub metrics: Option<Metrics>,
    /// The checks.
    pub checks: Vec<Check>,
    /// Sum of squared normalised errors (the search's loss).
    pub loss: f64,
    /// Time to build and measure the inputs, seconds.
    pub build_s: f64,
}

impl CaseResult {
    /// The case's identity with nothing measured yet (an `ERROR`-level loss until scored).
    fn of_case(lc: &LoadedCase) -> Self {
        let c = &lc.case;
        Self {
            name: c.name.clone(),
            group: c.group(),
            purpose: c.purpose.clone(),
            tags: c.tags.clone(),
            description: c.description.clone(),
            split: None,
            duration_s: 0.0,
            sample_rate_hz: 0,
            channels: 0,
            pass: false,
            error: None,
            failures: Vec::new(),
            warnings: Vec::new(),
            metrics: None,
            checks: Vec::new(),
            loss: score::ERROR_LOSS,
            build_s: 0.0,
        }
    }

    fn failed(lc: &LoadedCase, error: String) -> Self {
        Self {
            error: Some(error),
            ..Self::of_case(lc)
        }
    }

    /// `PASS`, `FAIL` or `ERROR`.
    pub fn verdict(&self) -> &'static str {
        match (&self.error, self.pass) {
            (Some(_), _) => "ERROR",
            (None, true) => "PASS",
            (None, false) => "FAIL",
        }
    }
}

fn purpose_of(lc: &LoadedCase) -> Result<Purpose> {
    lc.case
        .purpose
        .parse()
        .map_err(|e: String| anyhow!("case {}: {e}", lc.case.name))
}

/// Builds and measures a case.
pub fn prepare(lc: &LoadedCase) -> Result<Prepared> {
    let t = Instant::now();
    let purpose = purpose_of(lc)?;
    let built = cases::build(&lc.case, lc.base_dir())?;
    let (mix_analysis, refs) = rayon::join(
        || coda_analysis::analyze(&built.mix),
        || {
            built
                .references
                .par_iter()
                .map(coda_analysis::analyze)
                .collect::<coda_analysis::Result<Vec<_>>>()
        },
    );
    let (mix_analysis, refs) = (mix_analysis?, refs?);
    if mix_analysis.loudness.integrated_lufs.is_none() {
        bail!("the mix is silent");
    }
    if refs.iter().any(|r| r.loudness.integrated_lufs.is_none()) {
        bail!("a reference is silent");
    }
    let weighted: Vec<(&Analysis, f64)> = refs.iter().map(|a| (a, 1.0)).collect();
    let profile = TargetProfile::average(&weighted);
    Ok(Prepared {
        loaded: lc.clone(),
        purpose,
        mix: built.mix,
        mix_analysis,
        refs,
        profile,
        build_s: t.elapsed().as_secs_f64(),
    })
}

/// Masters a prepared case with `tuning` and scores it.
pub fn run_prepared(p: &Prepared, tuning: &Tuning) -> CaseResult {
    let lc = &p.loaded;
    let opts = FitOptions {
        purpose: p.purpose,
        hybrid: lc.case.hybrid,
        tuning: tuning.clone(),
        ..FitOptions::default()
    };
    let t = Instant::now();
    let mastered = match crate::master::master(
        Cow::Borrowed(&p.mix),
        &p.mix_analysis,
        Some(&p.profile),
        &opts,
    ) {
        Ok(m) => m,
        Err(e) => {
            let mut r = CaseResult::failed(lc, format!("{e:#}"));
            r.build_s = p.build_s;
            return r;
        }
    };
    let time_s = t.elapsed().as_secs_f64();
    let metrics = score::measure(
        &lc.case,
        p.purpose,
        &p.mix_analysis,
        &p.refs,
        &mastered,
        time_s,
    );
    let checks = score::checks(&lc.case, &metrics);
    let failures = checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{} {:.2} ({})", c.metric, c.value, c.limit))
        .collect();
    CaseResult {
        duration_s: p.mix_analysis.duration_s,
        sample_rate_hz: p.mix_analysis.sample_rate,
        channels: p.mix_analysis.channels,
        pass: checks.iter().all(|c| c.pass),
        failures,
        warnings: mastered.fit.warnings.clone(),
        loss: score::loss(&checks),
        metrics: Some(metrics),
        checks,
        build_s: p.build_s,
        ..CaseResult::of_case(lc)
    }
}

/// Builds, masters and scores one case; errors become an `ERROR` result.
pub fn run_one(lc: &LoadedCase, tuning: &Tuning) -> CaseResult {
    match prepare(lc) {
        Ok(p) => run_prepared(&p, tuning),
        Err(e) => CaseResult::failed(lc, format!("{e:#}")),
    }
}

/// Prints one progress line to stderr.
fn progress(done: &AtomicUsize, total: usize, r: &CaseResult) {
    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
    let time = r.metrics.as_ref().map_or(0.0, |m| m.time_s) + r.build_s;
    let why = match &r.error {
        Some(e) => format!(": {e}"),
        None if !r.failures.is_empty() => format!(": {}", r.failures.join(", ")),
        None => String::new(),
    };
    eprintln!(
        "tune: [{n}/{total}] {} {} ({time:.1} s){why}",
        r.verdict(),
        r.name
    );
}

/// Runs `coda tune`.
pub fn run(args: &TuneArgs) -> Result<ExitCode> {
    let t0 = Instant::now();
    let all = cases::load(&args.cases)?;
    let filter = args.filter.as_deref().unwrap_or("");
    let selected: Vec<LoadedCase> = all.into_iter().filter(|c| c.case.matches(filter)).collect();
    if selected.is_empty() {
        bail!(
            "{}: no case matches --filter {filter:?}",
            args.cases.display()
        );
    }
    for lc in &selected {
        purpose_of(lc)?;
    }
    let tuning = match &args.tuning {
        Some(p) => Tuning::from_file(p).map_err(|e| anyhow!(e))?,
        None => Tuning::default(),
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the worker pool")?;
    if let Some(dir) = &args.export {
        return pool.install(|| export(dir, &selected));
    }
    if args.search {
        return pool.install(|| search::run(args, &selected, &tuning, jobs, t0));
    }
    eprintln!(
        "tune: {} cases from {} on {jobs} workers",
        selected.len(),
        args.cases.display()
    );
    let done = AtomicUsize::new(0);
    let results: Vec<CaseResult> = pool.install(|| {
        selected
            .par_iter()
            .map(|lc| {
                let r = run_one(lc, &tuning);
                progress(&done, selected.len(), &r);
                r
            })
            .collect()
    });
    let board = report::Scoreboard::new(results, &tuning, jobs, t0.elapsed().as_secs_f64());
    report::print(&board);
    if let Some(dir) = &args.report {
        report::write(dir, &board, None)?;
        eprintln!("tune: wrote {}", dir.join(report::HTML).display());
    }
    Ok(if board.cases.iter().all(|c| c.pass) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes `DIR/<case>/mix.wav`, `ref1.wav`, ... (32-bit float) and `case.json` (purpose,
/// loudness target, ceiling) for every case.
fn export(dir: &Path, selected: &[LoadedCase]) -> Result<ExitCode> {
    let float = WriteOptions {
        bit_depth: BitDepth::Float32,
        ..WriteOptions::default()
    };
    selected
        .par_iter()
        .map(|lc| -> Result<()> {
            let c = &lc.case;
            let purpose = purpose_of(lc)?;
            let built = cases::build(c, lc.base_dir()).with_context(|| c.name.clone())?;
            let refs: Vec<Analysis> = built
                .references
                .iter()
                .map(coda_analysis::analyze)
                .collect::<coda_analysis::Result<_>>()?;
            let d = dir.join(&c.name);
            std::fs::create_dir_all(&d)
                .with_context(|| format!("{}: cannot create", d.display()))?;
            io::write_wav(&d.join("mix.wav"), &built.mix, float)?;
            let mut names = Vec::new();
            for (i, r) in built.references.iter().enumerate() {
                let name = format!("ref{}.wav", i + 1);
                io::write_wav(&d.join(&name), r, float)?;
                names.push(name);
            }
            let meta = json!({
                "name": c.name,
                "group": c.group(),
                "description": c.description,
                "purpose": c.purpose,
                "mix": "mix.wav",
                "references": names,
                "target_lufs": score::expected_target_lufs(&c.truth, purpose, &refs),
                "ceiling_dbtp": c.truth.ceiling_dbtp.unwrap_or(purpose.spec().ceiling_dbtp),
            });
            io::write_atomic(
                &d.join("case.json"),
                serde_json::to_string_pretty(&meta)?.as_bytes(),
            )?;
            eprintln!("tune: exported {}", d.display());
            Ok(())
        })
        .collect::<Result<Vec<()>>>()?;
    Ok(ExitCode::SUCCESS)
}
