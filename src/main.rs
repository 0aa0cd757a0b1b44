//! coda: the command-line mastering engine.
//!
//! Exit codes: 0 success, 1 failure (any file failed), 2 bad usage (clap's own).
#![forbid(unsafe_code)]

mod analyze_cmd;
mod batch;
mod cli;
mod demo_cmd;
mod master;
mod match_cmd;
mod render_cmd;
mod report_view;
mod tune_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Analyze(a) => analyze_cmd::run(&a),
        cli::Command::Render(r) => render_cmd::run(&r),
        cli::Command::Match(m) => match_cmd::run(&m),
        cli::Command::Demo(d) => demo_cmd::run(&d),
        cli::Command::Batch(b) => batch::run(&b),
        cli::Command::Tune(t) => tune_cmd::run(&t),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coda: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Refuses to write `out` over any of `inputs`, or over an existing file without `force`.
pub fn guard_output(
    out: &std::path::Path,
    inputs: &[&std::path::Path],
    force: bool,
) -> anyhow::Result<()> {
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    if let Some(o) = canon(out) {
        for i in inputs {
            if canon(i).as_ref() == Some(&o) {
                anyhow::bail!("{}: refusing to write over an input file", out.display());
            }
        }
        if !force {
            anyhow::bail!(
                "{}: already exists (use --force to overwrite)",
                out.display()
            );
        }
    }
    Ok(())
}
