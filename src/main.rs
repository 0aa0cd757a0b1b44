//! coda: the command-line mastering engine.
//!
//! Exit codes: 0 success, 1 failure (any file failed), 2 bad usage (clap's own).
#![forbid(unsafe_code)]

mod analyze_cmd;
mod cli;
// mod render_cmd; (enabled when the processors land)

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Analyze(a) => analyze_cmd::run(&a),
        cli::Command::Render(_) => Err(anyhow::anyhow!("render: not available yet")),
        cli::Command::Match(_) | cli::Command::Demo(_) => {
            Err(anyhow::anyhow!("not available in this build"))
        }
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
