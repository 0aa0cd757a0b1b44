//! Parametric EQ: RBJ peaking and shelves, Butterworth low/high cut (12-48 dB/oct), each
//! band on stereo, mid or side.
use serde::{Deserialize, Serialize};

use super::check_range;
use crate::{Error, Result};

/// The shape of one EQ band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqKind {
    /// RBJ peaking bell (`freq_hz`, `gain_db`, `q`).
    Peaking,
    /// RBJ low shelf (`freq_hz`, `gain_db`, `q` as shelf slope; 0.707 = Butterworth-like).
    LowShelf,
    /// RBJ high shelf.
    HighShelf,
    /// Butterworth high-pass ("low cut"): `freq_hz` (-3 dB), `slope_db_per_oct`.
    LowCut,
    /// Butterworth low-pass ("high cut").
    HighCut,
}

/// Which signal a band acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqChannel {
    /// Both channels (left and right alike).
    #[default]
    Stereo,
    /// The mid signal (L+R)/2 only.
    Mid,
    /// The side signal (L-R)/2 only.
    Side,
}

/// One EQ band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EqBand {
    /// Filter shape.
    pub kind: EqKind,
    /// Centre / corner frequency, Hz.
    pub freq_hz: f64,
    /// Gain at the centre (peaking) or of the shelf, dB; ignored for cuts.
    #[serde(default)]
    pub gain_db: f64,
    /// Quality (peaking: bandwidth; shelves: slope). Ignored for cuts.
    #[serde(default = "default_q")]
    pub q: f64,
    /// Slope of a cut: 12, 24, 36 or 48 dB/octave. Ignored otherwise.
    #[serde(default = "default_slope")]
    pub slope_db_per_oct: u32,
    /// Stereo, mid or side.
    #[serde(default)]
    pub channel: EqChannel,
}

fn default_q() -> f64 {
    std::f64::consts::FRAC_1_SQRT_2
}

fn default_slope() -> u32 {
    12
}

/// The whole EQ: bands applied in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EqConfig {
    /// Bands in processing order.
    #[serde(default)]
    pub bands: Vec<EqBand>,
}

impl EqBand {
    /// Checks frequency below Nyquist, gain within +/-24 dB, Q within 0.1..=20 and slope.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        let nyq = f64::from(sample_rate_hz) / 2.0;
        check_range(
            &format!("{field}.freq_hz"),
            self.freq_hz,
            10.0,
            nyq * 0.95,
            " Hz",
        )?;
        check_range(
            &format!("{field}.gain_db"),
            self.gain_db,
            -24.0,
            24.0,
            " dB",
        )?;
        check_range(&format!("{field}.q"), self.q, 0.1, 20.0, "")?;
        if matches!(self.kind, EqKind::LowCut | EqKind::HighCut)
            && ![12, 24, 36, 48].contains(&self.slope_db_per_oct)
        {
            return Err(Error::Plan {
                field: format!("{field}.slope_db_per_oct"),
                reason: format!("{} is not one of 12, 24, 36, 48", self.slope_db_per_oct),
            });
        }
        Ok(())
    }
}

impl EqConfig {
    /// Checks every band; the error names `field.bands[i].x`.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        for (i, b) in self.bands.iter().enumerate() {
            b.validate(&format!("{field}.bands[{i}]"), sample_rate_hz)?;
        }
        Ok(())
    }
}
