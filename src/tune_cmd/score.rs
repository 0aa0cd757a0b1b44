//! Scoring one mastered case against its ground truth: every metric, its threshold and a
//! normalised error for the search's loss.
use coda_analysis::{Analysis, ContentKind};
use coda_corpus::cases::{Case, Truth};
use coda_engine::processors::eq::EqConfig;
use coda_optimizer::eq_fit::response_db;
use coda_optimizer::{LoudnessTarget, Purpose};
use serde::Serialize;

use crate::master::Mastered;

/// Lowest and highest third-octave centre the EQ error covers, Hz (issue 5's range).
pub const EQ_BAND_HZ: (f64, f64) = (40.0, 16_000.0);

/// Loss of a case that could not be built or mastered (a pass costs 0, a typical miss 1-10).
pub const ERROR_LOSS: f64 = 100.0;

/// One metric against its threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Metric name (`eq_db`, `loudness_lu`, ...).
    pub metric: &'static str,
    /// Measured value.
    pub value: f64,
    /// The threshold as text (`<= 0.5`, `>= 0`, `-1..1`).
    pub limit: String,
    /// Within the threshold.
    pub pass: bool,
    /// Error in units of the threshold (0 = perfect, 1 = at the limit for `<=` metrics;
    /// distance outside the allowed range per unit for ranges); the search squares it.
    pub normalised: f64,
}

/// Every figure of one mastered case.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    /// Largest |fitted + known EQ − mean| at third-octave centres 40 Hz-16 kHz, dB.
    pub eq_max_db: Option<f64>,
    /// RMS of the same deviation, dB.
    pub eq_rms_db: Option<f64>,
    /// Bands the fit used.
    pub eq_bands: usize,
    /// Integrated loudness aimed at (ground truth), LUFS.
    pub target_lufs: Option<f64>,
    /// Output integrated loudness, LUFS.
    pub output_lufs: Option<f64>,
    /// Output − target, LU.
    pub loudness_error_lu: Option<f64>,
    /// True-peak ceiling (ground truth), dBTP.
    pub ceiling_dbtp: f64,
    /// Output true peak, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Ceiling − output true peak, dB.
    pub true_peak_margin_db: Option<f64>,
    /// Mix loudness range, LU.
    pub mix_lra_lu: Option<f64>,
    /// Output loudness range, LU.
    pub output_lra_lu: Option<f64>,
    /// References' mean loudness range, LU.
    pub reference_lra_lu: Option<f64>,
    /// Largest width error per band, dB (|output − reference| side-to-mid for mids and
    /// highs; lows only count when wider than the reference's).
    pub width_error_db: Option<f64>,
    /// Width error per band [lows, mids, highs], dB (signed, output − reference).
    pub width_band_error_db: Vec<Option<f64>>,
    /// Content kind the mix was measured as.
    pub content: String,
    /// Mean spectral distance of the output to the references, dB.
    pub spectral_distance_db: Option<f64>,
    /// The same for the mix, before mastering, dB.
    pub mix_spectral_distance_db: Option<f64>,
    /// Largest limiter gain reduction in the render, dB.
    pub limiter_gr_db: f64,
    /// Total range of the volume automation, dB.
    pub automation_range_db: f64,
    /// Whether the multiband compressor ran.
    pub compressor: bool,
    /// Fit + render + verify wall time, seconds.
    pub time_s: f64,
    /// Audio seconds mastered per wall-clock second.
    pub realtime_x: f64,
}

/// The loudness target the case's ground truth implies.
pub fn expected_target_lufs(truth: &Truth, purpose: Purpose, refs: &[Analysis]) -> Option<f64> {
    truth.target_lufs.or(match purpose.spec().target {
        LoudnessTarget::Fixed { lufs, .. } => Some(lufs),
        LoudnessTarget::Reference | LoudnessTarget::ReferenceAtMost => {
            mean(refs.iter().filter_map(|a| a.loudness.integrated_lufs))
        }
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for v in values {
        s += v;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

/// Third-octave centres (base-10, 1 kHz reference) from 40 Hz to 16 kHz, below 0.45 fs.
pub fn eq_centres_hz(fs: f64) -> Vec<f64> {
    (-14..=12)
        .map(|n| 1000.0 * 10f64.powf(f64::from(n) / 10.0))
        .filter(|&f| f >= EQ_BAND_HZ.0 * 0.99 && f <= EQ_BAND_HZ.1 * 1.01 && f < 0.45 * fs)
        .collect()
}

/// Deviation of fitted + known EQ from flat (mean removed): (max |dev|, rms), dB.
pub fn eq_error_db(fitted: &EqConfig, known: &EqConfig, fs: f64) -> (f64, f64) {
    let centres = eq_centres_hz(fs);
    let a = response_db(fitted, &centres, fs);
    let b = response_db(known, &centres, fs);
    let sum: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    let m = sum.iter().sum::<f64>() / sum.len() as f64;
    let max = sum.iter().map(|s| (s - m).abs()).fold(0.0, f64::max);
    let rms = (sum.iter().map(|s| (s - m).powi(2)).sum::<f64>() / sum.len() as f64).sqrt();
    (max, rms)
}

/// Spectral distance of `a` to the references' mean tone, dB. One reference:
/// [`coda_analysis::spectral_distance_db`]. Several: each reference's third-octave mid
/// spectrum is level-normalised to its integrated loudness and averaged in power (as the
/// fit's target profile is), then compared the same way (40 Hz-10 kHz, mean removed).
pub fn distance_to_refs(a: &Analysis, refs: &[Analysis]) -> Option<f64> {
    match refs {
        [] => None,
        [r] => coda_analysis::spectral_distance_db(a, r),
        _ => {
            let (lo, hi) = coda_analysis::DISTANCE_BAND_HZ;
            let diffs: Vec<f64> = a
                .spectrum
                .bands_hz
                .iter()
                .enumerate()
                .filter(|(_, f)| (lo * 0.99..=hi * 1.01).contains(*f))
                .filter_map(|(i, _)| {
                    let x = (*a.spectrum.mid_db.get(i)?)?;
                    let powers: Vec<f64> = refs
                        .iter()
                        .map(|r| {
                            let db = (*r.spectrum.mid_db.get(i)?)?;
                            Some(10f64.powf((db - r.loudness.integrated_lufs?) / 10.0))
                        })
                        .collect::<Option<_>>()?;
                    let y = 10.0 * (powers.iter().sum::<f64>() / powers.len() as f64).log10();
                    Some(x - y)
                })
                .collect();
            if diffs.len() < 3 {
                return None;
            }
            let m = diffs.iter().sum::<f64>() / diffs.len() as f64;
            Some((diffs.iter().map(|d| (d - m).powi(2)).sum::<f64>() / diffs.len() as f64).sqrt())
        }
    }
}

/// Measures everything about one master.
pub fn measure(
    case: &Case,
    purpose: Purpose,
    mix: &Analysis,
    refs: &[Analysis],
    m: &Mastered,
    time_s: f64,
) -> Metrics {
    let truth = &case.truth;
    let out = &m.output;
    let fs = f64::from(m.fit.plan.processing_rate_hz());
    let (eq_max_db, eq_rms_db) = match &truth.eq {
        Some(known) => {
            let fitted = m
                .fit
                .eq
                .as_ref()
                .map(|e| e.config.clone())
                .unwrap_or_default();
            let (max, rms) = eq_error_db(
                &fitted,
                &EqConfig {
                    bands: known.clone(),
                },
                fs,
            );
            (Some(max), Some(rms))
        }
        None => (None, None),
    };
    let target_lufs = expected_target_lufs(truth, purpose, refs);
    let ceiling_dbtp = truth.ceiling_dbtp.unwrap_or(purpose.spec().ceiling_dbtp);
    let output_lufs = out.loudness.integrated_lufs;
    let loudness_error_lu = output_lufs.zip(target_lufs).map(|(o, t)| o - t);
    let true_peak_dbtp = out.loudness.true_peak_dbtp;
    let stereo = mix.channels == 2 && refs.iter().all(|r| r.channels == 2);
    let width_band_error_db: Vec<Option<f64>> = if stereo {
        (0..out.stereo.bands.len())
            .map(|b| {
                let o = out.stereo.bands[b].side_to_mid_db?;
                let r = mean(
                    refs.iter()
                        .filter_map(|a| a.stereo.bands.get(b).and_then(|s| s.side_to_mid_db)),
                )?;
                Some(o - r)
            })
            .collect()
    } else {
        Vec::new()
    };
    let width_error_db = (!width_band_error_db.is_empty())
        .then(|| {
            width_band_error_db
                .iter()
                .enumerate()
                .filter_map(|(b, e)| e.map(|e| if b == 0 { e.max(0.0) } else { e.abs() }))
                .reduce(f64::max)
        })
        .flatten();
    let distance = |a: &Analysis| distance_to_refs(a, refs);
    let gains: Vec<f64> = m
        .fit
        .plan
        .automation
        .points
        .iter()
        .map(|p| p.gain_db)
        .collect();
    let automation_range_db = gains.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - gains.iter().copied().fold(f64::INFINITY, f64::min);
    let limiter_gr_db = m.rendered.limiter_gain_reduction.as_ref().map_or(0.0, |t| {
        t.reduction_db.iter().copied().fold(0.0f32, f32::max) as f64
    });
    Metrics {
        eq_max_db,
        eq_rms_db,
        eq_bands: m.fit.eq.as_ref().map_or(0, |e| e.config.bands.len()),
        target_lufs,
        output_lufs,
        loudness_error_lu,
        ceiling_dbtp,
        true_peak_dbtp,
        true_peak_margin_db: true_peak_dbtp.map(|tp| ceiling_dbtp - tp),
        mix_lra_lu: mix.loudness.range_lu,
        output_lra_lu: out.loudness.range_lu,
        reference_lra_lu: mean(refs.iter().filter_map(|a| a.loudness.range_lu)),
        width_error_db,
        width_band_error_db,
        content: match mix.content.kind {
            ContentKind::Orchestral => "orchestral",
            ContentKind::Hybrid => "hybrid",
        }
        .to_string(),
        spectral_distance_db: distance(out),
        mix_spectral_distance_db: distance(mix),
        limiter_gr_db,
        automation_range_db: if gains.is_empty() {
            0.0
        } else {
            automation_range_db
        },
        compressor: m.fit.plan.compressor.is_some(),
        time_s,
        realtime_x: mix.duration_s / time_s.max(1e-9),
    }
}

/// `value <= limit`, normalised by the limit.
fn at_most(metric: &'static str, value: f64, limit: f64) -> Check {
    Check {
        metric,
        value,
        limit: format!("<= {limit}"),
        pass: value <= limit,
        normalised: value.max(0.0) / limit.max(1e-3),
    }
}

/// `value` within `lo..hi` (either open); normalised as the distance outside per `unit`.
fn within(metric: &'static str, value: f64, range: [Option<f64>; 2], unit: f64) -> Check {
    let lo = range[0].unwrap_or(f64::NEG_INFINITY);
    let hi = range[1].unwrap_or(f64::INFINITY);
    let outside = (lo - value).max(value - hi).max(0.0);
    let text = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v}"));
    Check {
        metric,
        value,
        limit: format!("{}..{}", text(range[0]), text(range[1])),
        pass: outside == 0.0,
        normalised: outside / unit,
    }
}

/// Every check the case's truth and thresholds ask for; a missing measurement fails.
pub fn checks(case: &Case, m: &Metrics) -> Vec<Check> {
    let t = &case.thresholds;
    let truth = &case.truth;
    let missing = |metric: &'static str| Check {
        metric,
        value: f64::NAN,
        limit: "measured".into(),
        pass: false,
        normalised: 10.0,
    };
    let mut out = Vec::new();
    if truth.eq.is_some() {
        out.push(match m.eq_max_db {
            Some(v) => at_most("eq_db", v, t.eq_db),
            None => missing("eq_db"),
        });
    }
    out.push(match m.loudness_error_lu {
        Some(v) => {
            let mut c = at_most("loudness_lu", v.abs(), t.loudness_lu);
            c.value = v;
            c.limit = format!("|x| <= {}", t.loudness_lu);
            c
        }
        None => missing("loudness_lu"),
    });
    out.push(match m.true_peak_margin_db {
        Some(v) => within(
            "true_peak_margin_db",
            v,
            [Some(t.true_peak_margin_db), None],
            0.1,
        ),
        None => missing("true_peak_margin_db"),
    });
    if truth.width.is_some() && !m.width_band_error_db.is_empty() {
        out.push(match m.width_error_db {
            Some(v) => at_most("width_db", v, t.width_db),
            None => missing("width_db"),
        });
    }
    if let Some(range) = truth.lra_lu {
        out.push(match m.output_lra_lu {
            Some(v) => within("lra_lu", v, range, 1.0),
            None => missing("lra_lu"),
        });
    }
    if let Some(range) = truth.lra_change_lu {
        out.push(match m.output_lra_lu.zip(m.mix_lra_lu) {
            Some((o, i)) => within("lra_change_lu", o - i, range, 1.0),
            None => missing("lra_change_lu"),
        });
    }
    if let Some(range) = truth.lra_vs_reference_lu {
        out.push(match m.output_lra_lu.zip(m.reference_lra_lu) {
            Some((o, r)) => within("lra_vs_reference_lu", o - r, range, 1.0),
            None => missing("lra_vs_reference_lu"),
        });
    }
    if let Some(kind) = &truth.content {
        let pass = *kind == m.content;
        out.push(Check {
            metric: "content",
            value: f64::from(u8::from(pass)),
            limit: kind.clone(),
            pass,
            normalised: if pass { 0.0 } else { 1.0 },
        });
    }
    if let Some(limit) = t.spectral_distance_db {
        out.push(match m.spectral_distance_db {
            Some(v) => at_most("spectral_distance_db", v, limit),
            None => missing("spectral_distance_db"),
        });
    }
    if let Some(limit) = t.limiter_gr_db {
        out.push(within(
            "limiter_gr_db",
            m.limiter_gr_db,
            [None, Some(limit)],
            1.0,
        ));
    }
    if let Some(limit) = t.automation_range_db {
        out.push(within(
            "automation_range_db",
            m.automation_range_db,
            [None, Some(limit)],
            1.0,
        ));
    }
    if let Some(limit) = t.time_s {
        let mut c = at_most("time_s", m.time_s, limit);
        c.normalised = 0.0; // speed is not the search's business
        out.push(c);
    }
    out
}

/// Largest normalised error a check contributes to the loss (one far miss must not drown
/// every other case: it costs at most as much as a case that cannot run).
pub const MAX_NORMALISED: f64 = 10.0;

/// The search's loss of one case: the sum of squared normalised errors, each capped at
/// [`MAX_NORMALISED`].
pub fn loss(checks: &[Check]) -> f64 {
    checks
        .iter()
        .map(|c| c.normalised.min(MAX_NORMALISED).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coda_engine::processors::eq::{EqBand, EqChannel, EqKind};

    fn bell(f: f64, g: f64) -> EqBand {
        EqBand {
            kind: EqKind::Peaking,
            freq_hz: f,
            gain_db: g,
            q: 1.0,
            slope_db_per_oct: 12,
            channel: EqChannel::Stereo,
        }
    }

    #[test]
    fn centres_cover_40_hz_to_16_khz() {
        let c = eq_centres_hz(48_000.0);
        assert_eq!(c.len(), 27);
        assert!((c[0] - 39.81).abs() < 0.01 && (c[26] - 15_848.9).abs() < 0.1);
        assert_eq!(
            eq_centres_hz(32_000.0).last().map(|f| *f < 14_400.0),
            Some(true)
        );
    }

    #[test]
    fn exact_inverse_is_flat_and_a_miss_is_measured() {
        let known = EqConfig {
            bands: vec![bell(300.0, 4.0)],
        };
        let inverse = EqConfig {
            bands: vec![bell(300.0, -4.0)],
        };
        let (max, rms) = eq_error_db(&inverse, &known, 48_000.0);
        assert!(max < 1e-9 && rms < 1e-9, "{max} {rms}");
        let (max, _) = eq_error_db(&EqConfig::default(), &known, 48_000.0);
        assert!(max > 3.0, "{max}");
    }

    #[test]
    fn ranges_normalise_the_distance_outside() {
        let c = within("lra_change_lu", -1.5, [Some(-1.0), Some(1.0)], 1.0);
        assert!(!c.pass && (c.normalised - 0.5).abs() < 1e-12);
        let c = within("x", 3.0, [None, Some(5.0)], 1.0);
        assert!(c.pass && c.normalised == 0.0);
        let c = at_most("eq_db", 0.25, 0.5);
        assert!(c.pass && (c.normalised - 0.5).abs() < 1e-12);
    }
}
