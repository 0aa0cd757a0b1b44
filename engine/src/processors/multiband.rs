//! Multiband compressor: Linkwitz-Riley bands, each with a soft-knee feed-forward
//! compressor; records each band's gain reduction over time.
use serde::{Deserialize, Serialize};

use super::check_range;
use super::crossover::validate_crossovers;
use crate::{Error, Result};

/// One band's compressor settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompressorBand {
    /// Threshold, dBFS (level of the band's detector, stereo-linked peak/RMS as documented).
    pub threshold_db: f64,
    /// Ratio (1 = no compression, up to 20).
    pub ratio: f64,
    /// Knee width, dB (0 = hard).
    pub knee_db: f64,
    /// Attack time constant, ms.
    pub attack_ms: f64,
    /// Release time constant, ms.
    pub release_ms: f64,
    /// Makeup gain, dB.
    #[serde(default)]
    pub makeup_db: f64,
}

/// Multiband compressor settings: `bands.len() == crossovers_hz.len() + 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultibandCompressorConfig {
    /// Crossover frequencies, Hz, increasing.
    pub crossovers_hz: Vec<f64>,
    /// One compressor per band, lowest first.
    pub bands: Vec<CompressorBand>,
}

impl CompressorBand {
    /// Checks every field's range.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.threshold_db"),
            self.threshold_db,
            -80.0,
            0.0,
            " dB",
        )?;
        check_range(&format!("{field}.ratio"), self.ratio, 1.0, 20.0, "")?;
        check_range(&format!("{field}.knee_db"), self.knee_db, 0.0, 24.0, " dB")?;
        check_range(
            &format!("{field}.attack_ms"),
            self.attack_ms,
            0.1,
            500.0,
            " ms",
        )?;
        check_range(
            &format!("{field}.release_ms"),
            self.release_ms,
            1.0,
            5000.0,
            " ms",
        )?;
        check_range(
            &format!("{field}.makeup_db"),
            self.makeup_db,
            -12.0,
            24.0,
            " dB",
        )
    }
}

impl MultibandCompressorConfig {
    /// Checks crossovers and one band per split.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        validate_crossovers(
            &format!("{field}.crossovers_hz"),
            &self.crossovers_hz,
            sample_rate_hz,
        )?;
        if self.bands.len() != self.crossovers_hz.len() + 1 {
            return Err(Error::Plan {
                field: format!("{field}.bands"),
                reason: format!(
                    "{} bands for {} crossovers (need one more band than crossovers)",
                    self.bands.len(),
                    self.crossovers_hz.len()
                ),
            });
        }
        for (i, b) in self.bands.iter().enumerate() {
            b.validate(&format!("{field}.bands[{i}]"))?;
        }
        Ok(())
    }
}
