//! `coda analyze`: measure files and print a table or JSON.
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use coda_analysis::Analysis;

use crate::cli::AnalyzeArgs;

/// The JSON object for one file: `file` first, then the analysis (series only on request).
pub fn analysis_json(file: &Path, a: &Analysis, with_series: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(a).expect("analysis serialises");
    let obj = v.as_object_mut().expect("analysis is an object");
    if !with_series {
        obj.remove("series");
    }
    let mut out = serde_json::Map::new();
    out.insert("file".into(), file.display().to_string().into());
    out.extend(std::mem::take(obj));
    serde_json::Value::Object(out)
}

/// Decodes and analyses one file, with the file named in any error.
pub fn analyze_file(path: &Path) -> Result<Analysis> {
    let audio = coda_engine::io::read(path)?;
    let a =
        coda_analysis::analyze(&audio).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(a)
}

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    use rayon::prelude::*;
    let results: Vec<(&Path, Result<Analysis>)> = args
        .files
        .par_iter()
        .map(|f| (f.as_path(), analyze_file(f)))
        .collect();
    let mut failed = 0;
    let mut objects = Vec::new();
    for (path, r) in &results {
        match r {
            Ok(a) => {
                for w in &a.health.warnings {
                    eprintln!("coda: warning: {}: {w}", path.display());
                }
                objects.push((path, a));
            }
            Err(e) => {
                failed += 1;
                eprintln!("coda: error: {e:#}");
            }
        }
    }
    if let Some(dir) = &args.plots {
        if let Err(e) = write_plots(dir, args, &objects) {
            eprintln!("coda: error: {e:#}");
            failed += 1;
        }
    }
    if args.json {
        let vals: Vec<_> = objects
            .iter()
            .map(|(p, a)| analysis_json(p, a, args.series))
            .collect();
        let out = if args.files.len() == 1 && vals.len() == 1 {
            vals.into_iter().next().expect("one")
        } else {
            serde_json::Value::Array(vals)
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_table(&objects);
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--plots DIR`: one report (plots, diagnosis, HTML) per file, against `--ref` if given.
fn write_plots(dir: &Path, args: &AnalyzeArgs, files: &[(&&Path, &Analysis)]) -> Result<()> {
    use coda_reports::{write_report_with, ReportOptions, ReportView, Source};
    std::fs::create_dir_all(dir)?;
    let reference = match &args.reference {
        Some(r) => Some(Source {
            name: file_name(r),
            path: Some(r.clone()),
            analysis: analyze_file(r)?,
        }),
        None => None,
    };
    for (path, a) in files {
        let stem = path
            .file_stem()
            .map_or_else(|| "file".into(), |s| s.to_string_lossy().into_owned());
        let mut view = ReportView::new(
            format!("{}: analysis", file_name(path)),
            Source {
                name: file_name(path),
                path: Some(path.to_path_buf()),
                analysis: (*a).clone(),
            },
        );
        if let Some(r) = &reference {
            view = view.with_reference(r.clone());
        }
        for f in &view.diagnosis {
            eprintln!("coda: {}: {}", file_name(path), f.message);
        }
        let files = write_report_with(
            dir,
            &view,
            &ReportOptions {
                html_name: format!("{stem}.report.html"),
                plots_dir_name: format!("{stem}.plots"),
                png: args.png,
            },
        )?;
        eprintln!("coda: wrote {}", files.html.display());
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.1} {unit}"))
}

fn print_table(rows: &[(&&Path, &Analysis)]) {
    for (path, a) in rows {
        let l = &a.loudness;
        println!("{}", path.display());
        println!(
            "  {:>6} Hz  {} ch  {:.2} s  {} ({:.0}% confidence)",
            a.sample_rate,
            a.channels,
            a.duration_s,
            match a.content.kind {
                coda_analysis::ContentKind::Orchestral => "orchestral",
                coda_analysis::ContentKind::Hybrid => "hybrid",
            },
            a.content.confidence * 100.0
        );
        println!(
            "  integrated {:>11}   range {:>8}   true peak {:>10}   sample peak {:>10}",
            fmt(l.integrated_lufs, "LUFS"),
            fmt(l.range_lu, "LU"),
            fmt(l.true_peak_dbtp, "dBTP"),
            fmt(l.sample_peak_dbfs, "dBFS")
        );
        println!(
            "  short-term max {:>11}   momentary max {:>11}   crest {:>8}   PLR {:>8}",
            fmt(l.short_term_max_lufs, "LUFS"),
            fmt(l.momentary_max_lufs, "LUFS"),
            fmt(a.dynamics.crest_db, "dB"),
            fmt(a.dynamics.plr_db, "dB")
        );
        let bands: Vec<String> = a
            .stereo
            .bands
            .iter()
            .map(|b| {
                format!(
                    "{:.0}-{:.0} Hz {}",
                    b.lo_hz,
                    b.hi_hz,
                    fmt(b.side_to_mid_db, "dB")
                )
            })
            .collect();
        println!(
            "  correlation {}   side/mid: {}",
            a.stereo
                .correlation
                .map_or("-".into(), |c| format!("{c:.2}")),
            bands.join(", ")
        );
        println!(
            "  clipped samples {}   headroom {}",
            a.health.clipped_samples,
            fmt(a.health.headroom_db, "dB")
        );
    }
}
