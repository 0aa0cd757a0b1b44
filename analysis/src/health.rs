//! File health: DC offset, clipped runs, headroom, silence, and readable warnings.
use serde::{Deserialize, Serialize};

use crate::loudness::Loudness;
use coda_engine::Audio;

/// A sample at or above this magnitude counts towards a clipped run.
pub const CLIP_LEVEL: f32 = 0.999;
/// Shortest run of consecutive near-full-scale samples counted as clipping.
pub const CLIP_MIN_RUN: usize = 3;
/// DC offset above which a warning is given (linear, full scale = 1).
pub const DC_WARN: f64 = 0.001;
/// Sample peak below which a file counts as silent, dBFS.
pub const SILENT_PEAK_DBFS: f64 = -90.0;
/// Integrated loudness below which a file is "very low level", LUFS.
pub const LOW_LEVEL_LUFS: f64 = -40.0;

/// Health of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// Mean of each channel (DC offset), linear.
    pub dc_offset: Vec<f64>,
    /// Samples (all channels) inside runs of >= 3 consecutive samples at |x| >= 0.999.
    pub clipped_samples: usize,
    /// Time of the first clipped run, seconds.
    pub first_clip_s: Option<f64>,
    /// Distance of the sample peak below full scale, dB (`-sample_peak_dbfs`).
    pub headroom_db: Option<f64>,
    /// No gated loudness, or sample peak below -90 dBFS.
    pub silent: bool,
    /// Human-readable problems found.
    pub warnings: Vec<String>,
}

/// Clipped-run statistics of one channel: (samples in runs, first run start frame).
fn clipped_runs(ch: &[f32]) -> (usize, Option<usize>) {
    let (mut count, mut first, mut run) = (0usize, None, 0usize);
    let close = |run: usize, end: usize, count: &mut usize, first: &mut Option<usize>| {
        if run >= CLIP_MIN_RUN {
            *count += run;
            let start = end - run;
            *first = Some(first.map_or(start, |f: usize| f.min(start)));
        }
    };
    for (i, &x) in ch.iter().enumerate() {
        if x.abs() >= CLIP_LEVEL {
            run += 1;
        } else {
            close(run, i, &mut count, &mut first);
            run = 0;
        }
    }
    close(run, ch.len(), &mut count, &mut first);
    (count, first)
}

fn mm_ss(t_s: f64) -> String {
    let total = t_s.max(0.0);
    let m = (total / 60.0).floor();
    format!("{:02}:{:04.1}", m as u64, total - 60.0 * m)
}

/// Health of `audio` given its loudness and overall correlation.
pub fn health_of(audio: &Audio, loudness: &Loudness, correlation: Option<f64>) -> Health {
    let dc_offset: Vec<f64> = audio
        .channels
        .iter()
        .map(|ch| {
            let sum: f64 = ch
                .chunks(64)
                .map(|c| f64::from(c.iter().sum::<f32>()))
                .sum();
            if ch.is_empty() {
                0.0
            } else {
                sum / ch.len() as f64
            }
        })
        .collect();
    let runs: Vec<(usize, Option<usize>)> =
        audio.channels.iter().map(|c| clipped_runs(c)).collect();
    let clipped_samples = runs.iter().map(|r| r.0).sum();
    let first_clip_s = runs
        .iter()
        .filter_map(|r| r.1)
        .min()
        .map(|f| f as f64 / f64::from(audio.sample_rate_hz));
    let silent = loudness.integrated_lufs.is_none()
        || loudness
            .sample_peak_dbfs
            .map_or(true, |p| p < SILENT_PEAK_DBFS);
    let mut warnings = Vec::new();
    if silent {
        warnings
            .push("silence: no audible signal (no gated loudness or peak below -90 dBFS)".into());
    }
    if let Some(t) = first_clip_s {
        warnings.push(format!(
            "clipping: {clipped_samples} samples in runs of >= {CLIP_MIN_RUN} at full scale, first at {}",
            mm_ss(t)
        ));
    }
    for (i, dc) in dc_offset.iter().enumerate() {
        if dc.abs() > DC_WARN {
            warnings.push(format!(
                "DC offset on channel {}: {dc:+.4} (above {DC_WARN})",
                i + 1
            ));
        }
    }
    if let Some(tp) = loudness.true_peak_dbtp.filter(|&tp| tp > 0.0) {
        warnings.push(format!("true peak above 0 dBTP: {tp:+.2} dBTP"));
    }
    if let Some(i) = loudness.integrated_lufs.filter(|&i| i < LOW_LEVEL_LUFS) {
        warnings.push(format!(
            "very low level: integrated {i:.1} LUFS (below {LOW_LEVEL_LUFS} LUFS)"
        ));
    }
    if let Some(c) = correlation.filter(|&c| c < 0.0) {
        warnings.push(format!(
            "mono compatibility: L/R correlation {c:.2} is negative (cancels when summed to mono)"
        ));
    }
    Health {
        dc_offset,
        clipped_samples,
        first_clip_s,
        headroom_db: loudness.sample_peak_dbfs.map(|p| -p),
        silent,
        warnings,
    }
}
