//! True-peak limiter: lookahead, smooth release, 4x-oversampled peak detection.
use serde::{Deserialize, Serialize};

use super::check_range;
use crate::Result;

/// Limiter settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimiterConfig {
    /// Ceiling the output's true peak never exceeds, dBTP.
    pub ceiling_dbtp: f64,
    /// Lookahead, ms (also the attack time).
    #[serde(default = "default_lookahead")]
    pub lookahead_ms: f64,
    /// Release time constant, ms.
    #[serde(default = "default_release")]
    pub release_ms: f64,
}

fn default_lookahead() -> f64 {
    5.0
}

fn default_release() -> f64 {
    150.0
}

impl LimiterConfig {
    /// Checks ceiling -20..=0 dBTP, lookahead 1..=20 ms, release 10..=2000 ms.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.ceiling_dbtp"),
            self.ceiling_dbtp,
            -20.0,
            0.0,
            " dBTP",
        )?;
        check_range(
            &format!("{field}.lookahead_ms"),
            self.lookahead_ms,
            1.0,
            20.0,
            " ms",
        )?;
        check_range(
            &format!("{field}.release_ms"),
            self.release_ms,
            10.0,
            2000.0,
            " ms",
        )
    }
}
