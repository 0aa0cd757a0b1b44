//! Algorithmic stereo reverb (feedback delay network) for orchestral material.
use serde::{Deserialize, Serialize};

use super::check_range;
use crate::Result;

/// Reverb settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverbConfig {
    /// Pre-delay before the reverb's onset, ms (0..=200).
    pub predelay_ms: f64,
    /// Reverberation time RT60 at mid frequencies, seconds (0.2..=10).
    pub decay_s: f64,
    /// High-frequency damping, 0 (bright) ..= 1 (dark).
    pub damping: f64,
    /// Wet share added to the dry signal, 0..=1 (0 = off).
    pub mix: f64,
}

impl ReverbConfig {
    /// Checks every field's range.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.predelay_ms"),
            self.predelay_ms,
            0.0,
            200.0,
            " ms",
        )?;
        check_range(&format!("{field}.decay_s"), self.decay_s, 0.2, 10.0, " s")?;
        check_range(&format!("{field}.damping"), self.damping, 0.0, 1.0, "")?;
        check_range(&format!("{field}.mix"), self.mix, 0.0, 1.0, "")
    }

    /// True when the stage would change nothing.
    pub fn is_identity(&self) -> bool {
        self.mix == 0.0
    }
}
