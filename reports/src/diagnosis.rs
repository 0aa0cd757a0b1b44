//! Diagnosis: plain-language findings with numbers about a mix, alone or against a
//! reference, each tied to the plot that shows it.
use coda_analysis::{Analysis, ContentKind, SIDE_FLOOR_DB};
use serde::{Deserialize, Serialize};

use crate::plots::PlotId;
use crate::style::{freq_text, mm_ss};
use crate::tone;

/// Tonal differences smaller than this are not reported, dB.
pub const TONE_THRESHOLD_DB: f64 = 1.5;
/// Tonal differences at least this large are worth acting on (advice, not info), dB.
pub const TONE_ADVICE_DB: f64 = 3.0;
/// Shortest reported tonal region, fine-curve points (1/12 octave each): 1/4 octave.
pub const TONE_MIN_POINTS: usize = 3;
/// Most tonal regions reported (the largest by area).
pub const TONE_MAX_FINDINGS: usize = 4;
/// Lows with side above this relative to mid are called wide, dB.
pub const LOW_WIDE_DB: f64 = -12.0;
/// Width differences to the reference reported from this size, dB.
pub const WIDTH_DIFF_DB: f64 = 4.0;
/// A band whose L/R correlation is below this is out of phase (near 0 is merely wide).
pub const BAND_OUT_OF_PHASE: f64 = -0.2;
/// Bands holding less than this share of the mix's mid power get no width findings, dB.
pub const BAND_MIN_SHARE_DB: f64 = -30.0;
/// Share of time out of phase (correlation below [`BAND_OUT_OF_PHASE`]) reported from this
/// fraction.
pub const OUT_OF_PHASE_SHARE: f64 = 0.05;
/// Loudness differences to the reference reported from this size, LU.
pub const LOUDNESS_DIFF_LU: f64 = 1.0;
/// LRA differences to the reference reported from this size, LU.
pub const LRA_DIFF_LU: f64 = 3.0;
/// PLR differences to the reference reported from this size, dB.
pub const PLR_DIFF_DB: f64 = 3.0;
/// A mix louder than this is already heavily limited, LUFS.
pub const VERY_LOUD_LUFS: f64 = -9.0;
/// A PLR below this means heavy limiting (without a reference to compare), dB.
pub const LOW_PLR_DB: f64 = 8.0;
/// A sample peak above this leaves little headroom into the chain, dBFS.
pub const HEADROOM_PEAK_DBFS: f64 = -1.0;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// Worth a look in the mix.
    Advice,
    /// A fault to fix (clipping, overs, phase cancellation, silence).
    Problem,
}

impl Severity {
    /// Label shown in the report.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Advice => "advice",
            Severity::Problem => "problem",
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    /// Tonal balance (spectrum).
    Tone,
    /// Stereo width.
    Stereo,
    /// Mono compatibility (correlation).
    MonoCompatibility,
    /// Integrated loudness and headroom.
    Loudness,
    /// Crest, PLR, LRA.
    Dynamics,
    /// True peak.
    Peaks,
    /// Clipped samples.
    Clipping,
    /// DC offset.
    DcOffset,
    /// No audible signal.
    Silence,
    /// Orchestral or hybrid.
    Content,
}

/// One finding of the diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// What it is about.
    pub topic: Topic,
    /// Plain-language sentence with the figures.
    pub message: String,
    /// The plot that shows it.
    pub plot: Option<PlotId>,
}

fn finding(severity: Severity, topic: Topic, plot: Option<PlotId>, message: String) -> Finding {
    Finding {
        severity,
        topic,
        message,
        plot,
    }
}

/// Diagnoses `mix`, against `reference` when given. Problems come first, then advice,
/// then information; within a severity, in the order tone, stereo, loudness, dynamics.
pub fn diagnose(mix: &Analysis, reference: Option<&Analysis>) -> Vec<Finding> {
    let mut out = Vec::new();
    if mix.health.silent {
        out.push(finding(
            Severity::Problem,
            Topic::Silence,
            Some(PlotId::Loudness),
            "The mix is silent: no audible signal (no gated loudness, or peaks below -90 dBFS)."
                .into(),
        ));
        return out;
    }
    health(mix, &mut out);
    if let Some(r) = reference.filter(|r| !r.health.silent) {
        tone_vs_reference(mix, r, &mut out);
    }
    stereo(mix, reference, &mut out);
    loudness(mix, reference, &mut out);
    dynamics(mix, reference, &mut out);
    content(mix, &mut out);
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

fn health(mix: &Analysis, out: &mut Vec<Finding>) {
    let h = &mix.health;
    if h.clipped_samples > 0 {
        let when = h
            .first_clip_s
            .map_or(String::new(), |t| format!(", first at {}", mm_ss(t)));
        out.push(finding(
            Severity::Problem,
            Topic::Clipping,
            None,
            format!(
                "The mix is clipped: {} samples sit in runs at full scale{when}. Export it \
                 again with the master fader lower; clipping cannot be undone by mastering.",
                h.clipped_samples
            ),
        ));
    }
    if let Some(tp) = mix.loudness.true_peak_dbtp.filter(|&tp| tp > 0.0) {
        out.push(finding(
            Severity::Problem,
            Topic::Peaks,
            None,
            format!(
                "True peak {tp:+.1} dBTP in the mix: the peaks between samples go over full \
                 scale and distort on playback and in MP3/AAC encoding. coda's limiter keeps \
                 the master under its ceiling."
            ),
        ));
    }
    for (ch, dc) in h.dc_offset.iter().enumerate() {
        if dc.abs() > coda_analysis::DC_WARN {
            let name = match (mix.channels, ch) {
                (2, 0) => "left channel".to_string(),
                (2, 1) => "right channel".to_string(),
                _ => format!("channel {}", ch + 1),
            };
            out.push(finding(
                Severity::Advice,
                Topic::DcOffset,
                None,
                format!(
                    "DC offset of {dc:+.4} ({:.0} dBFS) on the {name}: it wastes headroom; a \
                     high-pass filter at 10-20 Hz removes it.",
                    20.0 * dc.abs().log10()
                ),
            ));
        }
    }
    if let Some(peak) = mix
        .loudness
        .sample_peak_dbfs
        .filter(|&p| p > HEADROOM_PEAK_DBFS && h.clipped_samples == 0)
    {
        out.push(finding(
            Severity::Info,
            Topic::Loudness,
            None,
            format!(
                "The mix peaks at {peak:.1} dBFS, with little headroom. coda lowers it before \
                 processing, but a mix that peaks around -6 dBFS leaves room for the chain."
            ),
        ));
    }
}

/// Where a tonal region lies, as a phrase starting a sentence.
fn region_place(r: &tone::Region) -> String {
    match (r.open_below, r.open_above) {
        (true, true) => "Across the whole spectrum".into(),
        (true, false) => format!("Below {}", freq_text(r.hi_hz)),
        (false, true) => format!("Above {}", freq_text(r.lo_hz)),
        (false, false) => format!(
            "Around {} ({}-{})",
            freq_text(r.peak_hz),
            freq_text(r.lo_hz),
            freq_text(r.hi_hz)
        ),
    }
}

/// What a level difference at `f_hz` sounds like (more, less).
fn register_character(f_hz: f64) -> (&'static str, &'static str) {
    match f_hz {
        f if f < 250.0 => ("more low end, heavier", "less low end, thinner"),
        f if f < 800.0 => ("fuller, possibly muddy", "leaner"),
        f if f < 2500.0 => ("more forward mids, possibly boxy", "recessed mids"),
        f if f < 6000.0 => ("more presence, possibly harsh", "less presence, softer"),
        _ => ("brighter, more air", "duller, less air"),
    }
}

fn tone_vs_reference(mix: &Analysis, reference: &Analysis, out: &mut Vec<Finding>) {
    let Some(cmp) = tone::compare(&mix.spectrum, &reference.spectrum) else {
        return;
    };
    let mut regions = tone::regions(&cmp, TONE_THRESHOLD_DB, TONE_MIN_POINTS);
    regions.truncate(TONE_MAX_FINDINGS);
    regions.sort_by(|a, b| a.lo_hz.total_cmp(&b.lo_hz));
    if regions.is_empty() {
        out.push(finding(
            Severity::Info,
            Topic::Tone,
            Some(PlotId::Spectrum),
            format!(
                "The mix's tonal balance follows the reference within {TONE_THRESHOLD_DB} dB \
                 from {} to {}.",
                freq_text(tone::COMPARE_LO_HZ),
                freq_text(tone::COMPARE_HI_HZ)
            ),
        ));
    }
    for r in regions {
        let (more, less) = register_character(r.peak_hz);
        let (dir, character) = if r.peak_db > 0.0 {
            ("louder", more)
        } else {
            ("quieter", less)
        };
        let severity = if r.peak_db.abs() >= TONE_ADVICE_DB {
            Severity::Advice
        } else {
            Severity::Info
        };
        out.push(finding(
            severity,
            Topic::Tone,
            Some(PlotId::Spectrum),
            format!(
                "{} the mix is up to {:.1} dB {dir} than the reference, {:.1} dB on average \
                 ({character}).",
                region_place(&r),
                r.peak_db.abs(),
                r.mean_db.abs()
            ),
        ));
    }
}

/// Mid power between `lo_hz` and `hi_hz` relative to the whole mid spectrum (third-octave
/// bands by centre), dB; `None` when the spectrum is empty.
fn band_share_db(a: &Analysis, lo_hz: f64, hi_hz: f64) -> Option<f64> {
    let s = &a.spectrum;
    let power = |keep: &dyn Fn(f64) -> bool| -> f64 {
        s.bands_hz
            .iter()
            .zip(&s.mid_db)
            .filter(|(f, _)| keep(**f))
            .filter_map(|(_, db)| db.map(|db| 10f64.powf(db / 10.0)))
            .sum()
    };
    let (band, total) = (power(&|f| f >= lo_hz && f < hi_hz), power(&|_| true));
    (total > 0.0).then(|| 10.0 * (band.max(1e-30) / total).log10())
}

/// "side 4 dB under mid" / "side 2 dB above mid" / "identical channels".
fn side_phrase(db: f64) -> String {
    if db <= SIDE_FLOOR_DB {
        "identical channels".into()
    } else if db.abs() < 0.5 {
        "side as loud as mid".into()
    } else if db < 0.0 {
        format!("side {:.0} dB under mid", -db)
    } else {
        format!("side {db:.0} dB above mid")
    }
}

fn band_place(lo_hz: f64, hi_hz: f64, i: usize, n: usize) -> String {
    if i == 0 {
        format!("below {}", freq_text(hi_hz))
    } else if i + 1 == n {
        format!("above {}", freq_text(lo_hz))
    } else {
        format!("from {} to {}", freq_text(lo_hz), freq_text(hi_hz))
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn stereo(mix: &Analysis, reference: Option<&Analysis>, out: &mut Vec<Finding>) {
    if mix.channels < 2 {
        out.push(finding(
            Severity::Info,
            Topic::Stereo,
            Some(PlotId::Stereo),
            "The mix is mono (one channel).".into(),
        ));
        return;
    }
    let bands = &mix.stereo.bands;
    let n = bands.len();
    if bands.iter().all(|b| b.side_to_mid_db.is_none_or_floor()) {
        out.push(finding(
            Severity::Info,
            Topic::Stereo,
            Some(PlotId::Stereo),
            "The mix is mono: left and right are identical.".into(),
        ));
    }
    let audible =
        |lo: f64, hi: f64| band_share_db(mix, lo, hi).is_some_and(|d| d >= BAND_MIN_SHARE_DB);
    for (i, b) in bands.iter().enumerate() {
        let Some(s) = b.side_to_mid_db.filter(|_| audible(b.lo_hz, b.hi_hz)) else {
            continue;
        };
        let place = band_place(b.lo_hz, b.hi_hz, i, n);
        let r = reference
            .and_then(|r| r.stereo.bands.get(i))
            .and_then(|rb| rb.side_to_mid_db);
        let ref_note = r.map_or(String::new(), |r| {
            format!("; the reference: {}", side_phrase(r))
        });
        if i == 0 && s > LOW_WIDE_DB {
            // As wide as the reference: worth knowing, not worth changing.
            let like_reference = r.is_some_and(|r| (s - r).abs() < WIDTH_DIFF_DB);
            let (severity, advice) = if like_reference {
                (Severity::Info, " That is close to the reference.")
            } else {
                (
                    Severity::Advice,
                    " A low end near mono sounds focused and keeps its weight on mono and \
                     club systems.",
                )
            };
            out.push(finding(
                severity,
                Topic::Stereo,
                Some(PlotId::Stereo),
                format!(
                    "{} the mix is wide ({}{ref_note}).{advice}",
                    capitalise(&place),
                    side_phrase(s)
                ),
            ));
            continue;
        }
        if let Some(r) = r {
            let diff = s.max(SIDE_FLOOR_DB) - r.max(SIDE_FLOOR_DB);
            if diff.abs() >= WIDTH_DIFF_DB {
                let word = if diff > 0.0 { "wider" } else { "narrower" };
                out.push(finding(
                    Severity::Info,
                    Topic::Stereo,
                    Some(PlotId::Stereo),
                    format!(
                        "{} the mix is {word} than the reference ({}{ref_note}).",
                        capitalise(&place),
                        side_phrase(s)
                    ),
                ));
            }
        }
    }
    // Mono compatibility.
    if let Some(c) = mix.stereo.correlation.filter(|&c| c < 0.0) {
        out.push(finding(
            Severity::Problem,
            Topic::MonoCompatibility,
            Some(PlotId::Stereo),
            format!(
                "Left and right are out of phase over the whole mix (correlation {c:.2}): \
                 much of it cancels when played in mono (phones, some TVs). Check for a \
                 polarity-inverted channel or an extreme stereo widener."
            ),
        ));
        return;
    }
    for (i, b) in bands.iter().enumerate() {
        let c = b
            .correlation
            .filter(|&c| c < BAND_OUT_OF_PHASE && audible(b.lo_hz, b.hi_hz));
        if let Some(c) = c {
            out.push(finding(
                if i == 0 {
                    Severity::Problem
                } else {
                    Severity::Advice
                },
                Topic::MonoCompatibility,
                Some(PlotId::Stereo),
                format!(
                    "{} left and right are out of phase (correlation {c:.2}): that part \
                     cancels in mono.",
                    capitalise(&band_place(b.lo_hz, b.hi_hz, i, n))
                ),
            ));
        }
    }
    let series = &mix.series.correlation;
    let defined = series.iter().flatten().count();
    let negative: Vec<usize> = series
        .iter()
        .enumerate()
        .filter_map(|(k, c)| c.filter(|&c| c < BAND_OUT_OF_PHASE).map(|_| k))
        .collect();
    if defined > 0 {
        let share = negative.len() as f64 / defined as f64;
        if share >= OUT_OF_PHASE_SHARE {
            let hop = mix.series.hop_s;
            out.push(finding(
                Severity::Advice,
                Topic::MonoCompatibility,
                Some(PlotId::Stereo),
                format!(
                    "Left and right are out of phase (correlation below {BAND_OUT_OF_PHASE}) \
                     for {:.0} s, {:.0} % of the mix, first at {}: those passages lose level \
                     in mono.",
                    negative.len() as f64 * hop,
                    share * 100.0,
                    mm_ss(negative[0] as f64 * hop)
                ),
            ));
        }
    }
}

trait FloorExt {
    fn is_none_or_floor(&self) -> bool;
}

impl FloorExt for Option<f64> {
    fn is_none_or_floor(&self) -> bool {
        self.map_or(true, |v| v <= SIDE_FLOOR_DB)
    }
}

fn loudness(mix: &Analysis, reference: Option<&Analysis>, out: &mut Vec<Finding>) {
    let Some(i) = mix.loudness.integrated_lufs else {
        return;
    };
    if let Some(r) = reference.and_then(|r| r.loudness.integrated_lufs) {
        let d = i - r;
        if d.abs() >= LOUDNESS_DIFF_LU {
            out.push(finding(
                Severity::Info,
                Topic::Loudness,
                Some(PlotId::Distribution),
                format!(
                    "The mix is {:.1} LU {} than the reference ({i:.1} vs {r:.1} LUFS \
                     integrated).",
                    d.abs(),
                    if d < 0.0 { "softer" } else { "louder" }
                ),
            ));
        }
    }
    if i > VERY_LOUD_LUFS {
        out.push(finding(
            Severity::Advice,
            Topic::Loudness,
            Some(PlotId::Loudness),
            format!(
                "The mix is already very loud ({i:.1} LUFS integrated): it is probably limited \
                 hard, which leaves mastering little room. A mix without a limiter on the bus \
                 masters better."
            ),
        ));
    } else if i < coda_analysis::LOW_LEVEL_LUFS {
        out.push(finding(
            Severity::Advice,
            Topic::Loudness,
            Some(PlotId::Loudness),
            format!(
                "The mix is very quiet ({i:.1} LUFS integrated): raising it far also raises \
                 its noise floor."
            ),
        ));
    }
}

fn dynamics(mix: &Analysis, reference: Option<&Analysis>, out: &mut Vec<Finding>) {
    let r = reference.filter(|r| !r.health.silent);
    if let (Some(m), Some(rl)) = (mix.loudness.range_lu, r.and_then(|r| r.loudness.range_lu)) {
        let d = m - rl;
        if d >= LRA_DIFF_LU {
            out.push(finding(
                Severity::Advice,
                Topic::Dynamics,
                Some(PlotId::Distribution),
                format!(
                    "The mix's loudness range is {m:.1} LU, the reference's {rl:.1} LU: its soft \
                     passages lie much further below the loud ones, and may get lost on \
                     small speakers or in a noisy room."
                ),
            ));
        } else if d <= -LRA_DIFF_LU {
            out.push(finding(
                Severity::Info,
                Topic::Dynamics,
                Some(PlotId::Distribution),
                format!(
                    "The mix is more even than the reference: loudness range {m:.1} LU \
                     against {rl:.1} LU."
                ),
            ));
        }
    }
    match (mix.dynamics.plr_db, r.and_then(|r| r.dynamics.plr_db)) {
        (Some(m), Some(rp)) if m - rp >= PLR_DIFF_DB => out.push(finding(
            Severity::Info,
            Topic::Dynamics,
            Some(PlotId::Dynamics),
            format!(
                "Peaks stand out more than in the reference (peak-to-loudness ratio {m:.1} dB \
                 against {rp:.1} dB): the reference is more compressed or limited."
            ),
        )),
        (Some(m), Some(rp)) if rp - m >= PLR_DIFF_DB => out.push(finding(
            Severity::Advice,
            Topic::Dynamics,
            Some(PlotId::Dynamics),
            format!(
                "The mix is more compressed than the reference (peak-to-loudness ratio \
                 {m:.1} dB against {rp:.1} dB): its transients have less room."
            ),
        )),
        (Some(m), None) if m < LOW_PLR_DB => out.push(finding(
            Severity::Advice,
            Topic::Dynamics,
            Some(PlotId::Dynamics),
            format!(
                "The peak-to-loudness ratio is only {m:.1} dB: the mix is heavily compressed \
                 or limited for orchestral music."
            ),
        )),
        _ => {}
    }
}

fn content(mix: &Analysis, out: &mut Vec<Finding>) {
    let c = &mix.content;
    let what = match c.kind {
        ContentKind::Orchestral => "orchestral (acoustic score)",
        ContentKind::Hybrid => "hybrid (orchestra with electronic beat and sub-bass)",
    };
    out.push(finding(
        Severity::Info,
        Topic::Content,
        None,
        format!(
            "Content: {what}, {:.0} % confident.{}",
            c.confidence * 100.0,
            if c.kind == ContentKind::Hybrid {
                " Multiband compression is used only for hybrid material."
            } else {
                ""
            }
        ),
    ));
}
