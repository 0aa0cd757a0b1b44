//! The whole measurement of one file: [`Analysis`] and [`analyze`], which runs the
//! measures in parallel (loudness with per-channel true peak; Welch spectra; onset
//! envelope; time-domain level, correlation and health passes).
use serde::{Deserialize, Serialize};

use crate::content::{content_from, onset_envelope, Content};
use crate::dynamics::{dynamics_from, level_series, Dynamics};
use crate::error::{Error, Result};
use crate::health::{health_of, Health};
use crate::loudness::{measure_loudness, Loudness, SERIES_HOP_S};
use crate::spectrum::{spectrum_from, Spectrum};
use crate::stereo::{correlation_series, stereo_from, Stereo};
use crate::welch::{welch, WelchSpectra};
use coda_engine::Audio;

/// Time series of one file, all on the same 0.1 s hop (entry `k` ends at `(k+1) * hop_s`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Hop between entries, seconds (0.1).
    pub hop_s: f64,
    /// Momentary loudness (0.4 s window), LUFS.
    pub momentary_lufs: Vec<Option<f64>>,
    /// Short-term loudness (3 s window), LUFS.
    pub short_term_lufs: Vec<Option<f64>>,
    /// Crest factor (sample peak over RMS) of the 3 s ending at each hop, dB.
    pub short_term_crest_db: Vec<Option<f64>>,
    /// L/R Pearson correlation of the 0.4 s ending at each hop (every 0.1 s), -1..1.
    pub correlation: Vec<Option<f64>>,
}

/// Everything coda measures of one file; serialises to the `analyze --json` contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: usize,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Loudness and peaks.
    pub loudness: Loudness,
    /// Crest and PLR.
    pub dynamics: Dynamics,
    /// Third-octave and fine spectra of mid and side.
    pub spectrum: Spectrum,
    /// Correlation and width per band.
    pub stereo: Stereo,
    /// DC, clipping, headroom, warnings.
    pub health: Health,
    /// Orchestral or hybrid.
    pub content: Content,
    /// Loudness, crest and correlation over time.
    pub series: Series,
    /// The Welch power spectra the spectrum, stereo and content measures came from, for
    /// fits that predict how a chain changes them (not serialised: `None` when read back).
    #[serde(skip)]
    pub welch: Option<WelchSpectra>,
}

/// Measures `audio` completely; the measures run in parallel on the rayon pool.
pub fn analyze(audio: &Audio) -> Result<Analysis> {
    if audio.channel_count() == 0 {
        return Err(Error::NoChannels);
    }
    let (loud, ((welch, onsets), (levels, corr))) = rayon::join(
        || measure_loudness(audio),
        || {
            rayon::join(
                || rayon::join(|| welch(audio), || onset_envelope(audio)),
                || {
                    rayon::join(
                        || level_series(audio, SERIES_HOP_S),
                        || correlation_series(audio, SERIES_HOP_S),
                    )
                },
            )
        },
    );
    let (loudness, loud_series) = loud?;
    let dynamics = dynamics_from(
        &levels,
        loudness.sample_peak_dbfs,
        loudness.true_peak_dbtp,
        loudness.integrated_lufs,
    );
    let stereo = stereo_from(&welch, corr.overall);
    let health = health_of(audio, &loudness, corr.overall);
    let content = content_from(&onsets, &welch, dynamics.crest_db);
    Ok(Analysis {
        sample_rate: audio.sample_rate_hz,
        channels: audio.channel_count(),
        duration_s: audio.duration_s(),
        spectrum: spectrum_from(&welch),
        series: Series {
            hop_s: SERIES_HOP_S,
            momentary_lufs: loud_series.momentary_lufs,
            short_term_lufs: loud_series.short_term_lufs,
            short_term_crest_db: levels.short_term_crest_db(),
            correlation: corr.series,
        },
        loudness,
        dynamics,
        stereo,
        health,
        content,
        welch: Some(welch),
    })
}
