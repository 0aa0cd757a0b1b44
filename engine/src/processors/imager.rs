//! Multiband stereo imager: Linkwitz-Riley bands, each with its own side gain.
use serde::{Deserialize, Serialize};

use super::check_range;
use super::crossover::validate_crossovers;
use crate::{Error, Result};

/// Imager settings: `widths.len() == crossovers_hz.len() + 1`, lowest band first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagerConfig {
    /// Crossover frequencies, Hz, increasing (e.g. [150, 2500]).
    pub crossovers_hz: Vec<f64>,
    /// Side gain per band: 0 = mono, 1 = unchanged, up to 2.
    pub widths: Vec<f64>,
}

impl ImagerConfig {
    /// Checks crossovers and one width (0..=2) per band.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        validate_crossovers(
            &format!("{field}.crossovers_hz"),
            &self.crossovers_hz,
            sample_rate_hz,
        )?;
        if self.widths.len() != self.crossovers_hz.len() + 1 {
            return Err(Error::Plan {
                field: format!("{field}.widths"),
                reason: format!(
                    "{} widths for {} bands",
                    self.widths.len(),
                    self.crossovers_hz.len() + 1
                ),
            });
        }
        for (i, w) in self.widths.iter().enumerate() {
            check_range(&format!("{field}.widths[{i}]"), *w, 0.0, 2.0, "")?;
        }
        Ok(())
    }

    /// True when every width is 1 (nothing changes).
    pub fn is_identity(&self) -> bool {
        self.widths.iter().all(|&w| w == 1.0)
    }
}
