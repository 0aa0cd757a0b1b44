//! The mastering pipeline shared by `match`, `demo`, `batch` and `tune`: decode, analyse,
//! fit, render, verify.
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use coda_analysis::Analysis;
use coda_engine::render::Rendered;
use coda_engine::Audio;
use coda_optimizer::{fit_rendered, Fit, FitOptions, TargetProfile};
use rayon::prelude::*;
use serde::Serialize;

/// Shortest reference coda accepts, seconds (its short-term loudness needs 3 s).
pub const MIN_REFERENCE_S: f64 = 3.0;

/// A reference file with its weight and measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// Where it came from.
    pub file: PathBuf,
    /// Its weight in the average (normalised later).
    pub weight: f64,
    /// Its measurement.
    pub analysis: Analysis,
}

/// Parses `FILE` or `FILE:WEIGHT`.
pub fn parse_ref(spec: &str) -> Result<(PathBuf, f64)> {
    if let Some((file, w)) = spec.rsplit_once(':') {
        if let Ok(w) = w.parse::<f64>() {
            if !(w.is_finite() && w > 0.0) {
                bail!("--ref {spec}: the weight must be a positive number");
            }
            return Ok((PathBuf::from(file), w));
        }
    }
    Ok((PathBuf::from(spec), 1.0))
}

/// Decodes and checks a mix: mono or stereo, not silent.
pub fn load_mix(path: &Path) -> Result<Audio> {
    let audio = coda_engine::io::read(path)?;
    if !(1..=2).contains(&audio.channel_count()) {
        bail!(
            "{}: {} channels; coda masters mono and stereo mixes (fold multichannel stems to \
             stereo first)",
            path.display(),
            audio.channel_count()
        );
    }
    Ok(audio)
}

/// Measures a mix and refuses silence.
pub fn analyse_mix(path: &Path, audio: &Audio) -> Result<Analysis> {
    let a = coda_analysis::analyze(audio).with_context(|| format!("{}", path.display()))?;
    if a.loudness.integrated_lufs.is_none() {
        bail!(
            "{}: the mix is silent (no gated loudness): nothing to master",
            path.display()
        );
    }
    Ok(a)
}

/// Decodes and measures references in parallel; refuses silent or too short ones.
pub fn load_references(refs: &[(PathBuf, f64)]) -> Result<Vec<Reference>> {
    refs.par_iter()
        .map(|(file, weight)| {
            let audio = coda_engine::io::read(file)?;
            if audio.duration_s() < MIN_REFERENCE_S {
                bail!(
                    "{}: the reference is {:.1} s long; coda needs at least {MIN_REFERENCE_S} s \
                     to measure its loudness and tone",
                    file.display(),
                    audio.duration_s()
                );
            }
            let analysis =
                coda_analysis::analyze(&audio).with_context(|| format!("{}", file.display()))?;
            if analysis.loudness.integrated_lufs.is_none() {
                bail!(
                    "{}: the reference is silent (no gated loudness)",
                    file.display()
                );
            }
            Ok(Reference {
                file: file.clone(),
                weight: *weight,
                analysis,
            })
        })
        .collect()
}

/// The target profile of the references (`None` without any).
pub fn profile_of(refs: &[Reference]) -> Option<TargetProfile> {
    (!refs.is_empty()).then(|| {
        let pairs: Vec<(&Analysis, f64)> = refs.iter().map(|r| (&r.analysis, r.weight)).collect();
        TargetProfile::average(&pairs)
    })
}

/// Wall time of each step, seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Fitting the plan (including trial renders and the master's own render: the loudness
    /// solve's last probe is the master).
    pub fit_s: f64,
    /// The final render (0: the fit's renders are reused; kept for report readers).
    pub render_s: f64,
    /// Measuring the master (and, for `match`, writing the WAV beside it).
    pub verify_s: f64,
}

/// A finished master in memory.
pub struct Mastered {
    /// The fit and its plan.
    pub fit: Fit,
    /// The rendered audio and meters.
    pub rendered: Rendered,
    /// The master's own measurement.
    pub output: Analysis,
    /// Step times.
    pub timings: Timings,
}

/// Fits, renders and verifies one mix. The fit renders the master as it solves the
/// loudness ([`fit_rendered`]); an owned mix is dropped once the fit is done, so the
/// verification does not hold both.
pub fn master(
    mix: Cow<'_, Audio>,
    mix_analysis: &Analysis,
    profile: Option<&TargetProfile>,
    opts: &FitOptions,
) -> Result<Mastered> {
    master_then(mix, mix_analysis, profile, opts, |_| Ok(()))
}

/// [`master`], running `deliver` on the rendered master (writing it, say) while the master
/// is verified.
pub fn master_then(
    mix: Cow<'_, Audio>,
    mix_analysis: &Analysis,
    profile: Option<&TargetProfile>,
    opts: &FitOptions,
    deliver: impl FnOnce(&Audio) -> Result<()> + Send,
) -> Result<Mastered> {
    let t0 = Instant::now();
    let (fit, rendered) = fit_rendered(&mix, mix_analysis, profile, opts)?;
    let t1 = Instant::now();
    drop(mix);
    let t2 = Instant::now();
    let (output, delivered) = rayon::join(
        || coda_analysis::analyze(&rendered.audio),
        || deliver(&rendered.audio),
    );
    delivered?;
    let output = output?;
    let t3 = Instant::now();
    Ok(Mastered {
        fit,
        rendered,
        output,
        timings: Timings {
            fit_s: (t1 - t0).as_secs_f64(),
            render_s: (t2 - t1).as_secs_f64(),
            verify_s: (t3 - t2).as_secs_f64(),
        },
    })
}
