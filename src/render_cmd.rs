//! `coda render`: render a mix through a plan.
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use coda_engine::io::{self, WriteOptions};
use coda_engine::plan::Plan;

use crate::cli::RenderArgs;

pub fn run(args: &RenderArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("{}: cannot read plan", args.plan.display()))?;
    let plan =
        Plan::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.plan.display()))?;
    crate::guard_output(&args.output, &[&args.mix, &args.plan], args.force)?;
    let audio = io::read(&args.mix)?;
    if audio.sample_rate_hz != plan.sample_rate_hz {
        bail!(
            "{}: plan: sample_rate_hz: the plan is for {} Hz but the mix is {} Hz",
            args.plan.display(),
            plan.sample_rate_hz,
            audio.sample_rate_hz
        );
    }
    let started = std::time::Instant::now();
    let rendered = coda_engine::render::render(&audio, &plan)?;
    let render_s = started.elapsed().as_secs_f64();
    io::write_wav(
        &args.output,
        &rendered.audio,
        WriteOptions {
            bit_depth: plan.output.bit_depth,
            ..WriteOptions::default()
        },
    )?;
    eprintln!(
        "coda: wrote {} (render {render_s:.3} s, {:.0}x real time)",
        args.output.display(),
        audio.duration_s() / render_s.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
