//! The whole fit: two analyses and a purpose in, a Plan out, in chain order.
//!
//! headroom trim -> automation (purposes that reduce dynamics) -> EQ toward the target's
//! tone -> imager toward the target's width -> multiband compressor (hybrid only) ->
//! drive into the true-peak limiter solved for the loudness target.
use coda_analysis::{Analysis, ContentKind, SERIES_HOP_S};
use coda_engine::io::BitDepth;
use coda_engine::plan::{OutputFormat, Plan};
use coda_engine::render::{render, Rendered};
use coda_engine::Audio;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::automation_fit::{fit_automation, AutomationFit};
use crate::compressor_fit::{fit_compressor, CompressorFit};
use crate::eq_dynamics::{keep_lra, scale_gains};
use crate::eq_fit::{fit_eq, EqFit};
use crate::error::{Error, Result};
use crate::loudness_fit::{fit_loudness, LoudnessFit, LOUDNESS_TOLERANCE_LU};
use crate::profile::TargetProfile;
use crate::purpose::{DynamicsPolicy, LoudnessTarget, Purpose};
use crate::tuning::Tuning;
use crate::width_fit::{fit_width, refine_width, WidthFit};
use crate::width_predict::predict_side_to_mid_db;

/// Headroom the chain gets ahead of the processors, dB below full scale (true peak).
pub const HEADROOM_DB: f64 = 5.0;

/// How far to move toward the reference, per dimension, each 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Strengths {
    /// Tone (EQ).
    pub eq: f64,
    /// Stereo width.
    pub width: f64,
    /// Dynamics (automation range, compression).
    pub dynamics: f64,
    /// Loudness (creative targets only; delivery standards are always met).
    pub loudness: f64,
}

impl Strengths {
    /// The same strength everywhere.
    pub fn uniform(s: f64) -> Self {
        Self {
            eq: s,
            width: s,
            dynamics: s,
            loudness: s,
        }
    }
}

/// Everything the user decides.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// What the master is for.
    pub purpose: Purpose,
    /// Integrated target override, LUFS.
    pub target_lufs: Option<f64>,
    /// True-peak ceiling override, dBTP.
    pub ceiling_dbtp: Option<f64>,
    /// Match strengths.
    pub strengths: Strengths,
    /// Force (`Some(true)`) or forbid the multiband compressor; `None` decides by content.
    pub hybrid: Option<bool>,
    /// Largest automation range, dB.
    pub max_automation_db: f64,
    /// Let the limiter work harder than a gentle master allows.
    pub allow_heavy_limiting: bool,
    /// Output word length.
    pub bit_depth: BitDepth,
    /// Output sample rate (`None` keeps the mix's).
    pub output_rate_hz: Option<u32>,
    /// Hyperparameters.
    pub tuning: Tuning,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            purpose: Purpose::Reference,
            target_lufs: None,
            ceiling_dbtp: None,
            strengths: Strengths::uniform(1.0),
            hybrid: None,
            max_automation_db: 4.0,
            allow_heavy_limiting: false,
            bit_depth: BitDepth::Int24,
            output_rate_hz: None,
            tuning: Tuning::default(),
        }
    }
}

/// The plan and every figure behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// The chain to render.
    pub plan: Plan,
    /// Integrated loudness aimed at, LUFS.
    pub target_lufs: f64,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f64,
    /// EQ fit (absent without a reference or at zero strength).
    pub eq: Option<EqFit>,
    /// Automation fit.
    pub automation: AutomationFit,
    /// Width fit.
    pub width: WidthFit,
    /// Compressor fit (hybrid only).
    pub compressor: Option<CompressorFit>,
    /// Loudness fit.
    pub loudness: LoudnessFit,
    /// Things the user should know, in plain language with figures.
    pub warnings: Vec<String>,
}

/// Fits the chain for `mix` (with its analysis) toward `target` for `opts.purpose`.
pub fn fit(
    mix: &Audio,
    mix_analysis: &Analysis,
    target: Option<&TargetProfile>,
    opts: &FitOptions,
) -> Result<Fit> {
    fit_rendered(mix, mix_analysis, target, opts).map(|(fit, _)| fit)
}

/// [`fit`], and the mix rendered through the fitted plan: bit for bit what
/// `render(mix, &fit.plan)` gives, taken from the fit's own last renders (the loudness
/// solve's final probe is the master's drive) instead of rendering the chain again.
pub fn fit_rendered(
    mix: &Audio,
    mix_analysis: &Analysis,
    target: Option<&TargetProfile>,
    opts: &FitOptions,
) -> Result<(Fit, Rendered)> {
    let spec = opts.purpose.spec();
    let tuning = &opts.tuning;
    let st = opts.strengths;
    let mut warnings = Vec::new();
    let mix_lufs = mix_analysis
        .loudness
        .integrated_lufs
        .ok_or(Error::Silent("the mix"))?;
    let ceiling = opts.ceiling_dbtp.unwrap_or(spec.ceiling_dbtp);
    let ref_lufs = target.and_then(|t| t.integrated_lufs);
    let creative = |t: f64| mix_lufs + st.loudness.clamp(0.0, 1.0) * (t - mix_lufs);
    let mut target_lufs = match spec.target {
        LoudnessTarget::Fixed { lufs, .. } => lufs,
        LoudnessTarget::Reference | LoudnessTarget::ReferenceAtMost => {
            creative(ref_lufs.unwrap_or(mix_lufs))
        }
    };
    if let Some(t) = opts.target_lufs {
        target_lufs = t;
    }
    let h = mix_analysis.health.clipped_samples;
    {
        if h > 0 {
            warnings.push(format!(
                "the mix has {h} clipped samples{}: clipping cannot be undone, only kept \
                 from getting worse",
                mix_analysis
                    .health
                    .first_clip_s
                    .map(|t| format!(" (first at {})", clock(t)))
                    .unwrap_or_default()
            ));
        }
    }
    if let (Some(tp), Some(at)) = (
        mix_analysis.loudness.true_peak_dbtp,
        mix_analysis.loudness.true_peak_at_s,
    ) {
        if tp > ceiling {
            warnings.push(format!(
                "true peak {tp:+.1} dBTP in the mix at {}, above the {ceiling:.1} dBTP ceiling",
                clock(at)
            ));
        }
    }

    let fs = mix.sample_rate_hz;
    let mut plan = Plan::empty(fs);
    plan.output = OutputFormat {
        sample_rate_hz: opts.output_rate_hz.filter(|&r| r != fs),
        bit_depth: opts.bit_depth,
    };
    let tp = mix_analysis.loudness.true_peak_dbtp.unwrap_or(-120.0);
    plan.headroom_trim_db = round2((-HEADROOM_DB - tp).min(0.0));

    // Tone.
    let eq = target.filter(|_| st.eq > 0.0).map(|t| {
        fit_eq(
            &mix_analysis.spectrum.fine_hz,
            &mix_analysis.spectrum.fine_mid_db,
            &t.fine_mid_db,
            st.eq,
            plan.processing_rate_hz(),
            tuning,
        )
    });
    if let Some(e) = &eq {
        plan.eq = e.config.clone();
    }
    // Purposes that keep dynamics: the EQ must not move the loudness range either.
    let mut eq_dynamics = None;
    if spec.dynamics == DynamicsPolicy::Keep && !plan.eq.bands.is_empty() {
        if let Some(mix_lra) = mix_analysis.loudness.range_lu {
            let (kept, account) = keep_lra(mix, &plan, mix_lra)?;
            if account.gain_scale < 1.0 {
                warnings.push(format!(
                    "the EQ toward the reference would move the loudness range from {mix_lra:.1} \
                     to {:.1} LU; {} keeps the mix's dynamics, so the EQ is applied at {:.0} % \
                     (LRA {:.1} LU)",
                    account.fitted_lra_lu.unwrap_or(f64::NAN),
                    opts.purpose,
                    100.0 * account.gain_scale,
                    account.kept_lra_lu.unwrap_or(f64::NAN)
                ));
            }
            plan.eq = kept;
            eq_dynamics = Some(account);
        }
    }
    let eq_gain_scale = eq_dynamics.as_ref().map_or(1.0, |d| d.gain_scale);

    // Automation, before the processors, fitted on the mix as the EQ leaves it (taking the
    // boom out of a boomy mix changes its loudness range).
    // Following a reference without a loudness range needs no automation: no render.
    let ref_lra = target.and_then(|t| t.range_lu);
    let needs_series = match spec.dynamics {
        DynamicsPolicy::Keep => false,
        DynamicsPolicy::Reduce => true,
        DynamicsPolicy::FollowReference => ref_lra.is_some(),
    };
    let (eq_series, eq_lra) = if !needs_series {
        (Vec::new(), None)
    } else {
        let toned = render(mix, &plan)?.audio;
        coda_analysis::short_term_and_range(&toned)?
    };
    let range = (opts.max_automation_db * st.dynamics.clamp(0.0, 1.0)).clamp(0.0, 6.0);
    let automation = match spec.dynamics {
        DynamicsPolicy::Keep => fit_automation(&[], SERIES_HOP_S, 0.0, None, tuning),
        DynamicsPolicy::Reduce => {
            let mix_lra = eq_lra.unwrap_or(0.0);
            // Trailer and library masters come out at least as even as the reference and
            // lose a noticeable part of the mix's range either way.
            let wanted =
                ref_lra.map(|r| r.min(mix_lra - tuning.automation_lra_reduction_share * range));
            fit_automation(&eq_series, SERIES_HOP_S, range, wanted, tuning)
        }
        DynamicsPolicy::FollowReference => match ref_lra {
            Some(r) if eq_lra.is_some_and(|m| m > r + 1.5) => {
                fit_automation(&eq_series, SERIES_HOP_S, range, Some(r), tuning)
            }
            _ => fit_automation(&[], SERIES_HOP_S, 0.0, None, tuning),
        },
    };
    plan.automation = automation.automation.clone();

    // Width.
    let mix_width: Vec<Option<f64>> = mix_analysis
        .stereo
        .bands
        .iter()
        .map(|b| b.side_to_mid_db)
        .collect();
    let target_width = target.map(|t| t.side_to_mid_db.clone()).unwrap_or_default();
    if mix.channel_count() == 2 && target.is_some() && target_width.iter().all(Option::is_none) {
        warnings.push(
            "the reference is mono: its width is not matched; only the low end is focused".into(),
        );
    }
    let width = if mix.channel_count() == 2 {
        fit_width(&mix_width, &target_width, st.width, tuning)
    } else {
        fit_width(&[], &[], 0.0, tuning)
    };
    plan.imager = width.imager.clone();
    // Closed loop on the width: the imager's crossover bands overlap the measured bands, so
    // take the mix's width through EQ and imager and correct the side gains (twice at most).
    // The width through the chain is predicted from the mix's spectra (no render) when the
    // analysis kept them, else measured on a render.
    let mut width = width;
    // The mix rendered through the plan as it stands, when a step already has it.
    let mut rendered: Option<Rendered> = None;
    if target.is_some() && width.imager.is_some() {
        for _ in 0..tuning.width_refinements {
            let (measured, out) = match &mix_analysis.welch {
                Some(w) => (predict_side_to_mid_db(w, &plan), None),
                None => {
                    let out = render(mix, &plan)?;
                    let w = coda_analysis::welch(&out.audio);
                    let bands = coda_analysis::stereo_from(&w, None).bands;
                    let m: Vec<Option<f64>> = bands.iter().map(|b| b.side_to_mid_db).collect();
                    (m, Some(out))
                }
            };
            let refined = refine_width(&width, &measured, tuning);
            if refined.imager == width.imager {
                rendered = out;
                break;
            }
            width = refined;
            plan.imager = width.imager.clone();
        }
    }

    // Multiband compression, hybrid material only.
    let hybrid = opts
        .hybrid
        .unwrap_or(mix_analysis.content.kind == ContentKind::Hybrid);
    let compressor = if hybrid && st.dynamics > 0.0 && spec.dynamics != DynamicsPolicy::Keep {
        let pre = match rendered.take() {
            Some(r) => r.audio,
            None => render(mix, &plan)?.audio,
        };
        let c = fit_compressor(
            &pre,
            &mix_analysis.series.short_term_lufs,
            SERIES_HOP_S,
            tuning.compressor_target_gr_db * st.dynamics.clamp(0.0, 1.0),
        )?;
        plan.compressor = Some(c.config.clone());
        Some(c)
    } else {
        None
    };

    // Loudness: drive into the limiter.
    let max_gr = if opts.allow_heavy_limiting {
        24.0
    } else if spec.target == LoudnessTarget::ReferenceAtMost
        || spec.dynamics == DynamicsPolicy::Keep
    {
        tuning.film_limiter_max_gr_db
    } else if spec.dynamics == DynamicsPolicy::Reduce {
        tuning.reduce_limiter_max_gr_db
    } else {
        tuning.limiter_max_gr_db
    };
    let mut pre = match rendered.take() {
        Some(r) => r,
        None => render(mix, &plan)?,
    };
    // When the EQ is refitted below, this first solve only has to be close: the master it
    // gives is measured for tone, and the final solve starts from its limiter loss.
    // (Not when the EQ was held back to keep the loudness range: it does not aim at the
    // reference's tone then, and a refit would move the range again.)
    let refit_eq = tuning.eq_closed_loop
        && eq_gain_scale == 1.0
        && target.is_some()
        && eq.as_ref().is_some_and(|e| !e.config.bands.is_empty());
    let first_tolerance_lu = if refit_eq { 0.1 } else { LOUDNESS_TOLERANCE_LU };
    let (mut loudness, mut master) = fit_loudness(
        &pre.audio,
        target_lufs,
        ceiling,
        max_gr,
        0.0,
        first_tolerance_lu,
    )?;
    // Only the pre-drive render's meters are kept for the master.
    pre.audio.channels = Vec::new();
    // Closed loop: the chain after the EQ (imager, compressor, limiter) colours the tone
    // too (limiting loud bass lowers the lows). Measure the first master and refit the EQ
    // against what the mix becomes through the rest of the chain.
    let mut eq = eq;
    if let (Some(t), Some(first)) = (target, eq.as_ref()) {
        if refit_eq {
            plan.output_gain_db = loudness.output_gain_db;
            plan.limiter = Some(loudness.limiter);
            let measured = coda_analysis::spectrum_of(&master.audio);
            master.audio.channels = Vec::new();
            let fs_eq = f64::from(plan.processing_rate_hz());
            let curve = crate::eq_fit::response_db(&first.config, &measured.fine_hz, fs_eq);
            let effective: Vec<Option<f64>> = measured
                .fine_mid_db
                .iter()
                .zip(&curve)
                .map(|(m, c)| m.map(|m| m - c))
                .collect();
            let second = fit_eq(
                &measured.fine_hz,
                &effective,
                &t.fine_mid_db,
                st.eq,
                plan.processing_rate_hz(),
                tuning,
            );
            plan.eq = scale_gains(&second.config, eq_gain_scale);
            plan.output_gain_db = 0.0;
            plan.limiter = None;
            pre = render(mix, &plan)?;
            (loudness, master) = fit_loudness(
                &pre.audio,
                target_lufs,
                ceiling,
                max_gr,
                loudness.limiter_loss_lu,
                LOUDNESS_TOLERANCE_LU,
            )?;
            pre.audio.channels = Vec::new();
            eq = Some(second);
        }
    }
    // The EQ as applied (held back to keep the loudness range, when it was).
    if let Some(e) = eq.as_mut().filter(|_| eq_gain_scale < 1.0) {
        e.config = plan.eq.clone();
        e.fitted_db =
            crate::eq_fit::response_db(&plan.eq, &e.freqs_hz, f64::from(plan.processing_rate_hz()));
    }
    if loudness.stopped_short {
        let needed = loudness.needed_gr_db.unwrap_or(f64::NAN);
        warnings.push(format!(
            "reaching {target_lufs:.1} LUFS needs {needed:.1} dB of limiting, more than a \
             gentle master takes ({max_gr:.1} dB): stopped at {:.1} LUFS. Use \
             --allow-heavy-limiting to reach the target anyway",
            loudness.reached_lufs
        ));
    }
    plan.output_gain_db = loudness.output_gain_db;
    plan.limiter = Some(loudness.limiter);
    plan.provenance = Some(json!({
        "coda_version": env!("CARGO_PKG_VERSION"),
        "purpose": opts.purpose.name(),
        "target_lufs": target_lufs,
        "ceiling_dbtp": ceiling,
        "references": target.map_or(0, |t| t.references),
        "strengths": st,
        "hybrid": hybrid,
        "eq": eq.as_ref().map(|e| json!({
            "solver": e.solver, "iterations": e.iterations, "cost": e.cost,
            "rms_error_db": e.rms_error_db, "keep_dynamics": eq_dynamics,
        })),
        "automation": json!({
            "solver": "argmin BrentRoot on the predicted LRA",
            "iterations": automation.iterations, "amount": automation.amount,
            "mix_lra_lu": automation.mix_lra_lu, "target_lra_lu": automation.target_lra_lu,
            "predicted_lra_lu": automation.predicted_lra_lu,
        }),
        "compressor": compressor.as_ref().map(|c| json!({
            "solver": "argmin BrentRoot on measured gain reduction",
            "iterations": c.iterations, "passage_start_s": c.passage_start_s,
            "band_max_gr_db": c.band_max_gr_db,
        })),
        "loudness": json!({
            "solver": "secant steps on rendered integrated loudness (argmin BrentRoot fallback)",
            "iterations": loudness.iterations, "renders": loudness.renders, "reached_lufs": loudness.reached_lufs,
            "limiter_max_gr_db": loudness.limiter_max_gr_db,
            "stopped_short": loudness.stopped_short,
        }),
    }));
    let fit = Fit {
        plan,
        target_lufs,
        ceiling_dbtp: ceiling,
        eq,
        automation,
        width,
        compressor,
        loudness,
        warnings,
    };
    Ok((fit, pre.then_drive(master)))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `m:ss.s` for a time in seconds.
pub fn clock(t_s: f64) -> String {
    let m = (t_s / 60.0).floor();
    format!("{}:{:04.1}", m as u64, t_s - 60.0 * m)
}
