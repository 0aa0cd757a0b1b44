//! Turning a finished master into the reports crate's [`ReportView`]: the plan in words,
//! the EQ curve, the automation and the gain-reduction traces.
use std::path::Path;

use coda_analysis::{Analysis, STEREO_SPLITS_HZ};
use coda_engine::plan::Plan;
use coda_engine::processors::eq::{EqChannel, EqKind};
use coda_optimizer::Purpose;
use coda_reports::{AutomationPoint, GainTrace, PlanRow, ReportView, Source, Target};

use crate::master::{Mastered, Reference};

fn source(name_of: &Path, analysis: &Analysis) -> Source {
    Source {
        name: name_of.file_name().map_or_else(
            || name_of.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        path: Some(name_of.to_path_buf()),
        analysis: analysis.clone(),
    }
}

fn hz(f: f64) -> String {
    if f >= 1000.0 {
        format!("{:.1} kHz", f / 1000.0)
    } else {
        format!("{f:.0} Hz")
    }
}

/// The plan as (stage, settings in words) rows, in chain order.
pub fn plan_rows(plan: &Plan) -> Vec<PlanRow> {
    let mut rows = Vec::new();
    let mut row = |stage: &str, settings: String| {
        rows.push(PlanRow {
            stage: stage.into(),
            settings,
        })
    };
    if plan.headroom_trim_db != 0.0 {
        row("headroom trim", format!("{:+.1} dB", plan.headroom_trim_db));
    }
    if !plan.automation.points.is_empty() {
        let pts = &plan.automation.points;
        let max = pts.iter().map(|p| p.gain_db).fold(f64::MIN, f64::max);
        let min = pts.iter().map(|p| p.gain_db).fold(f64::MAX, f64::min);
        row(
            "volume automation",
            format!(
                "{} breakpoints, {min:+.1} to {max:+.1} dB (range {:.1} dB)",
                pts.len(),
                max - min
            ),
        );
    }
    if !plan.eq.bands.is_empty() {
        let bands: Vec<String> = plan
            .eq
            .bands
            .iter()
            .map(|b| {
                let on = match b.channel {
                    EqChannel::Stereo => "",
                    EqChannel::Mid => " (mid)",
                    EqChannel::Side => " (side)",
                };
                match b.kind {
                    EqKind::Peaking => {
                        format!(
                            "bell {} {:+.1} dB Q {:.1}{on}",
                            hz(b.freq_hz),
                            b.gain_db,
                            b.q
                        )
                    }
                    EqKind::LowShelf => {
                        format!("low shelf {} {:+.1} dB{on}", hz(b.freq_hz), b.gain_db)
                    }
                    EqKind::HighShelf => {
                        format!("high shelf {} {:+.1} dB{on}", hz(b.freq_hz), b.gain_db)
                    }
                    EqKind::LowCut => {
                        format!(
                            "low cut {} {} dB/oct{on}",
                            hz(b.freq_hz),
                            b.slope_db_per_oct
                        )
                    }
                    EqKind::HighCut => {
                        format!(
                            "high cut {} {} dB/oct{on}",
                            hz(b.freq_hz),
                            b.slope_db_per_oct
                        )
                    }
                }
            })
            .collect();
        row("EQ", bands.join("; "));
    }
    if let Some(s) = &plan.saturation {
        row(
            "saturation",
            format!("drive {:.1} dB, mix {:.0} %", s.drive_db, s.mix * 100.0),
        );
    }
    if let Some(r) = &plan.reverb {
        row(
            "reverb",
            format!(
                "decay {:.1} s, pre-delay {:.0} ms, damping {:.2}, mix {:.0} %",
                r.decay_s,
                r.predelay_ms,
                r.damping,
                r.mix * 100.0
            ),
        );
    }
    if let Some(i) = &plan.imager {
        let names = band_names(&i.crossovers_hz);
        let w: Vec<String> = names
            .iter()
            .zip(&i.widths)
            .map(|(n, w)| format!("{n} width {w:.2}"))
            .collect();
        row("stereo imager", w.join("; "));
    }
    if let Some(c) = &plan.compressor {
        let names = band_names(&c.crossovers_hz);
        let b: Vec<String> = names
            .iter()
            .zip(&c.bands)
            .map(|(n, b)| {
                format!(
                    "{n}: {:.1} dB, {:.1}:1, knee {:.0} dB, {:.0}/{:.0} ms",
                    b.threshold_db, b.ratio, b.knee_db, b.attack_ms, b.release_ms
                )
            })
            .collect();
        row("multiband compressor", b.join("; "));
    }
    if plan.output_gain_db != 0.0 {
        row(
            "output gain",
            format!("{:+.2} dB into the limiter", plan.output_gain_db),
        );
    }
    if let Some(l) = &plan.limiter {
        row(
            "true-peak limiter",
            format!(
                "ceiling {:.1} dBTP, lookahead {:.0} ms, release {:.0} ms",
                l.ceiling_dbtp, l.lookahead_ms, l.release_ms
            ),
        );
    }
    row(
        "output",
        format!(
            "{} bit{}",
            plan.output.bit_depth.label(),
            plan.output
                .sample_rate_hz
                .map_or(String::new(), |r| format!(", resampled to {r} Hz"))
        ),
    );
    rows
}

/// "low (< 150 Hz)", "mid (150 Hz-2.5 kHz)", "high (> 2.5 kHz)" for crossovers.
fn band_names(crossovers_hz: &[f64]) -> Vec<String> {
    let n = crossovers_hz.len() + 1;
    (0..n)
        .map(|i| {
            let label = match (i, n) {
                (0, _) => "low",
                (i, n) if i == n - 1 => "high",
                _ => "mid",
            };
            match i {
                0 => format!("{label} (< {})", hz(crossovers_hz[0])),
                i if i == n - 1 => format!("{label} (> {})", hz(crossovers_hz[i - 1])),
                _ => format!(
                    "{label} ({}-{})",
                    hz(crossovers_hz[i - 1]),
                    hz(crossovers_hz[i])
                ),
            }
        })
        .collect()
}

/// The full report view of a `match` run.
pub fn match_view(
    mix_file: &Path,
    mix: &Analysis,
    refs: &[Reference],
    out_file: &Path,
    purpose: Purpose,
    m: &Mastered,
) -> ReportView {
    let title = format!(
        "{}, mastered for {}",
        mix_file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into()),
        purpose.name()
    );
    let mut view = ReportView::new(title, source(mix_file, mix));
    if let Some(r) = refs.first() {
        view = view.with_reference(source(&r.file, &r.analysis));
    }
    view.output = Some(source(out_file, &m.output));
    view.target = Some(Target {
        description: format!(
            "{}: {:.1} LUFS, true peak <= {:.1} dBTP",
            purpose.name(),
            m.fit.target_lufs,
            m.fit.ceiling_dbtp
        ),
        integrated_lufs: Some(m.fit.target_lufs),
        true_peak_dbtp: Some(m.fit.ceiling_dbtp),
        range_lu: m.fit.automation.target_lra_lu,
        plr_db: None,
        crest_db: None,
    });
    if let Some(eq) = &m.fit.eq {
        view.eq_curve = Some(
            eq.freqs_hz
                .iter()
                .copied()
                .zip(eq.fitted_db.iter().copied())
                .collect(),
        );
    }
    if !m.fit.plan.automation.points.is_empty() {
        view.automation = Some(
            m.fit
                .plan
                .automation
                .points
                .iter()
                .map(|p| AutomationPoint {
                    time_s: p.time_s,
                    gain_db: p.gain_db,
                })
                .collect(),
        );
    }
    if let Some(t) = &m.rendered.limiter_gain_reduction {
        view.gain_reduction.push(GainTrace {
            label: "limiter".into(),
            hop_s: t.hop_s,
            reduction_db: t.reduction_db.clone(),
        });
    }
    let names = band_names(&STEREO_SPLITS_HZ);
    for (i, t) in m.rendered.compressor_gain_reduction.iter().enumerate() {
        view.gain_reduction.push(GainTrace {
            label: format!(
                "compressor {}",
                names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("band {}", i + 1))
            ),
            hop_s: t.hop_s,
            reduction_db: t.reduction_db.clone(),
        });
    }
    view.plan = plan_rows(&m.fit.plan);
    view.warnings = m.fit.warnings.clone();
    view
}
