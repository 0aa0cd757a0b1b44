//! Console-style saturation: a smooth odd-symmetric waveshaper with drive and dry/wet mix,
//! run 4x oversampled so aliasing stays inaudible.
use serde::{Deserialize, Serialize};

use super::check_range;
use crate::Result;

/// Saturation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaturationConfig {
    /// Drive into the shaper, dB (0 = gentle colour on peaks only; up to 24).
    pub drive_db: f64,
    /// Wet share, 0..=1 (0 = off).
    #[serde(default = "default_mix")]
    pub mix: f64,
}

fn default_mix() -> f64 {
    1.0
}

impl SaturationConfig {
    /// Checks drive 0..=24 dB and mix 0..=1.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.drive_db"),
            self.drive_db,
            0.0,
            24.0,
            " dB",
        )?;
        check_range(&format!("{field}.mix"), self.mix, 0.0, 1.0, "")
    }

    /// True when the stage would change nothing.
    pub fn is_identity(&self) -> bool {
        self.mix == 0.0
    }
}
