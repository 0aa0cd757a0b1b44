//! `coda match`: fit a chain to a reference and a purpose, render, verify, report.
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use coda_engine::io::{self, BitDepth, WriteOptions};
use coda_optimizer::{FitOptions, Purpose, Strengths, Tuning};
use serde_json::json;

use crate::analyze_cmd::analysis_json;
use crate::cli::MatchArgs;
use crate::master::{self, Mastered, Reference};

/// The files `match` writes for one purpose.
#[derive(Debug, Clone)]
pub struct OutputPaths {
    /// The master.
    pub wav: PathBuf,
    /// The plan.
    pub plan: PathBuf,
    /// The report JSON.
    pub report_json: PathBuf,
    /// The report HTML.
    pub report_html: PathBuf,
    /// The plots folder.
    pub plots: PathBuf,
}

impl OutputPaths {
    /// `<dir>/<stem>.<purpose>.{wav,plan.json,report.json,report.html,plots/}`.
    pub fn new(dir: &Path, mix: &Path, purpose: Purpose) -> Self {
        let stem = mix
            .file_stem()
            .map_or_else(|| "mix".into(), |s| s.to_string_lossy().into_owned());
        let base = format!("{stem}.{}", purpose.name());
        Self {
            wav: dir.join(format!("{base}.wav")),
            plan: dir.join(format!("{base}.plan.json")),
            report_json: dir.join(format!("{base}.report.json")),
            report_html: dir.join(format!("{base}.report.html")),
            plots: dir.join(format!("{base}.plots")),
        }
    }

    fn files(&self) -> [&Path; 4] {
        [&self.wav, &self.plan, &self.report_json, &self.report_html]
    }
}

/// Builds the fit options from the command line.
pub fn fit_options(args: &MatchArgs) -> Result<FitOptions> {
    let purpose: Purpose = args
        .purpose
        .parse()
        .map_err(|e: String| anyhow!("--purpose: {e}"))?;
    let unit = |name: &str, v: f64| -> Result<f64> {
        if !(0.0..=1.0).contains(&v) {
            bail!("--{name} {v}: must be within 0..1");
        }
        Ok(v)
    };
    let s = unit("strength", args.strength)?;
    let strengths = Strengths {
        eq: unit("eq", args.eq.unwrap_or(s))?,
        width: unit("width", args.width.unwrap_or(s))?,
        dynamics: unit("dynamics", args.dynamics.unwrap_or(s))?,
        loudness: unit("loudness", args.loudness.unwrap_or(s))?,
    };
    if let Some(t) = args.target_lufs {
        if !(-60.0..=0.0).contains(&t) {
            bail!("--target-lufs {t}: must be within -60..0 LUFS");
        }
    }
    if let Some(c) = args.ceiling {
        if !(-20.0..=0.0).contains(&c) {
            bail!("--ceiling {c}: must be within -20..0 dBTP");
        }
    }
    if !(0.0..=6.0).contains(&args.max_automation_db) {
        bail!(
            "--max-automation-db {}: must be within 0..6 dB",
            args.max_automation_db
        );
    }
    let bit_depth = BitDepth::parse(&args.bits)
        .ok_or_else(|| anyhow!("--bits {}: use 16, 24 or 32f", args.bits))?;
    if let Some(r) = args.rate {
        if !(8_000..=384_000).contains(&r) {
            bail!("--rate {r}: must be within 8000..384000 Hz");
        }
    }
    let tuning = match &args.tuning {
        Some(p) => Tuning::from_file(p).map_err(|e| anyhow!(e))?,
        None => Tuning::default(),
    };
    Ok(FitOptions {
        purpose,
        target_lufs: args.target_lufs,
        ceiling_dbtp: args.ceiling,
        strengths,
        hybrid: args.hybrid.then_some(true),
        max_automation_db: args.max_automation_db,
        allow_heavy_limiting: args.allow_heavy_limiting,
        bit_depth,
        output_rate_hz: args.rate,
        tuning,
    })
}

/// Refuses outputs that are inputs, or that exist without `--force`.
fn guard(paths: &OutputPaths, inputs: &[&Path], force: bool) -> Result<()> {
    for f in paths.files() {
        crate::guard_output(f, inputs, force)?;
    }
    Ok(())
}

/// The report JSON: analyses of mix, references and output, the plan, the fit, warnings.
pub fn report_json(
    mix_file: &Path,
    mix: &coda_analysis::Analysis,
    refs: &[Reference],
    out_file: &Path,
    m: &Mastered,
) -> serde_json::Value {
    json!({
        "coda_version": env!("CARGO_PKG_VERSION"),
        "mix": analysis_json(mix_file, mix, true),
        "references": refs.iter().map(|r| {
            let mut v = analysis_json(&r.file, &r.analysis, true);
            v["weight"] = json!(r.weight);
            v
        }).collect::<Vec<_>>(),
        "output": analysis_json(out_file, &m.output, true),
        "target": {
            "integrated_lufs": m.fit.target_lufs,
            "ceiling_dbtp": m.fit.ceiling_dbtp,
            "range_lu": m.fit.automation.target_lra_lu,
        },
        "plan": m.fit.plan,
        "fit": {
            "eq": m.fit.eq,
            "automation": m.fit.automation,
            "width": m.fit.width,
            "compressor": m.fit.compressor,
            "loudness": m.fit.loudness,
        },
        "meters": {
            "limiter_gain_reduction": m.rendered.limiter_gain_reduction,
            "compressor_gain_reduction": m.rendered.compressor_gain_reduction,
            "compensated_latency_samples": m.rendered.compensated_latency_samples,
        },
        "timings": m.timings,
        "warnings": m.fit.warnings,
        "diagnosis": [],
    })
}

/// Runs `coda match`.
pub fn run(args: &MatchArgs) -> Result<ExitCode> {
    let t0 = Instant::now();
    let opts = fit_options(args)?;
    let refs: Vec<(PathBuf, f64)> = args
        .refs
        .iter()
        .map(|s| master::parse_ref(s))
        .collect::<Result<_>>()?;
    let paths = OutputPaths::new(&args.out_dir, &args.mix, opts.purpose);
    let mut inputs: Vec<&Path> = vec![&args.mix];
    inputs.extend(refs.iter().map(|(p, _)| p.as_path()));
    if let Some(t) = &args.tuning {
        inputs.push(t);
    }
    guard(&paths, &inputs, args.force)?;
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| anyhow!("{}: cannot create: {e}", args.out_dir.display()))?;
    let (mix, references) = rayon::join(
        || -> Result<_> {
            let audio = master::load_mix(&args.mix)?;
            let analysis = master::analyse_mix(&args.mix, &audio)?;
            Ok((audio, analysis))
        },
        || master::load_references(&refs),
    );
    let (mix_audio, mix_analysis) = mix?;
    let references = references?;
    let profile = master::profile_of(&references);
    if references.is_empty() {
        eprintln!(
            "coda: no reference: a {} master with no EQ moves",
            opts.purpose
        );
    }
    // The WAV is written while the master is measured.
    let write_wav = |audio: &coda_engine::Audio| -> Result<()> {
        let options = WriteOptions {
            bit_depth: opts.bit_depth,
            ..WriteOptions::default()
        };
        Ok(io::write_wav(&paths.wav, audio, options)?)
    };
    let mastered = master::master_then(
        Cow::Owned(mix_audio),
        &mix_analysis,
        profile.as_ref(),
        &opts,
        write_wav,
    )?;
    for w in &mastered.fit.warnings {
        eprintln!("coda: warning: {w}");
    }
    write_outputs(
        &paths,
        &args.mix,
        &mix_analysis,
        &references,
        &mastered,
        &opts,
        args.png,
    )?;
    summary(&mix_analysis, profile.as_ref(), &mastered);
    eprintln!(
        "coda: wrote {} ({:.1} s)",
        paths.wav.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the plan and the report (the master's WAV is written by then).
pub fn write_outputs(
    paths: &OutputPaths,
    mix_file: &Path,
    mix: &coda_analysis::Analysis,
    refs: &[Reference],
    m: &Mastered,
    opts: &FitOptions,
    png: bool,
) -> Result<()> {
    io::write_atomic(&paths.plan, m.fit.plan.to_json().as_bytes())?;
    let t = Instant::now();
    let view = crate::report_view::match_view(mix_file, mix, refs, &paths.wav, opts.purpose, m);
    let name = |p: &Path| {
        p.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    };
    coda_reports::write_report_with(
        paths.report_html.parent().unwrap_or(Path::new(".")),
        &view,
        &coda_reports::ReportOptions {
            html_name: name(&paths.report_html),
            plots_dir_name: name(&paths.plots),
            png,
        },
    )?;
    let report_s = t.elapsed().as_secs_f64();
    let mut report = report_json(mix_file, mix, refs, &paths.wav, m);
    report["diagnosis"] = serde_json::to_value(&view.diagnosis)?;
    report["timings"]["report_s"] = json!(report_s);
    io::write_atomic(
        &paths.report_json,
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    Ok(())
}

fn f(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.1}"))
}

/// Prints mix / reference / output / target figures to stderr.
pub fn summary(
    mix: &coda_analysis::Analysis,
    target: Option<&coda_optimizer::TargetProfile>,
    m: &Mastered,
) {
    let o = &m.output;
    eprintln!(
        "            {:>9} {:>9} {:>9} {:>9}",
        "mix", "reference", "output", "target"
    );
    eprintln!(
        "LUFS        {:>9} {:>9} {:>9} {:>9}",
        f(mix.loudness.integrated_lufs),
        f(target.and_then(|t| t.integrated_lufs)),
        f(o.loudness.integrated_lufs),
        f(Some(m.fit.target_lufs))
    );
    eprintln!(
        "true peak   {:>9} {:>9} {:>9} {:>9}",
        f(mix.loudness.true_peak_dbtp),
        "",
        f(o.loudness.true_peak_dbtp),
        format!("<= {:.1}", m.fit.ceiling_dbtp)
    );
    eprintln!(
        "LRA         {:>9} {:>9} {:>9} {:>9}",
        f(mix.loudness.range_lu),
        f(target.and_then(|t| t.range_lu)),
        f(o.loudness.range_lu),
        f(m.fit.automation.target_lra_lu)
    );
    eprintln!(
        "limiter GR  {:>9} {:>9} {:>9.1}",
        "", "", m.fit.loudness.limiter_max_gr_db
    );
}
