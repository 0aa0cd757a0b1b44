//! The Plan: everything the renderer does, as editable, versioned JSON.
//!
//! The optimizer writes a Plan, the engine renders it; a user can edit it and re-render
//! with `coda render --plan`. Unknown fields are rejected, and every value is checked with
//! a message naming its JSON path, before any audio is touched.
use serde::{Deserialize, Serialize};

use crate::io::BitDepth;
use crate::processors::automation::GainAutomation;
use crate::processors::eq::EqConfig;
use crate::processors::imager::ImagerConfig;
use crate::processors::limiter::LimiterConfig;
use crate::processors::multiband::MultibandCompressorConfig;
use crate::processors::reverb::ReverbConfig;
use crate::processors::saturation::SaturationConfig;
use crate::{Error, Result};

/// The Plan format version this engine reads and writes.
pub const PLAN_VERSION: u32 = 1;

/// A complete mastering chain, in render order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Format version; must equal [`PLAN_VERSION`].
    pub version: u32,
    /// Sample rate of the mix this plan was fitted for, in Hz.
    pub sample_rate_hz: u32,
    /// Gain applied first so the chain has headroom, in dB (usually negative).
    #[serde(default)]
    pub headroom_trim_db: f64,
    /// Slow volume automation applied before the processors.
    #[serde(default)]
    pub automation: GainAutomation,
    /// Parametric EQ.
    #[serde(default)]
    pub eq: EqConfig,
    /// Console-style saturation (off when absent).
    #[serde(default)]
    pub saturation: Option<SaturationConfig>,
    /// Algorithmic reverb (off when absent).
    #[serde(default)]
    pub reverb: Option<ReverbConfig>,
    /// Multiband stereo imager (off when absent).
    #[serde(default)]
    pub imager: Option<ImagerConfig>,
    /// Multiband compressor, for hybrid material (off when absent).
    #[serde(default)]
    pub compressor: Option<MultibandCompressorConfig>,
    /// Gain into the limiter, in dB.
    #[serde(default)]
    pub output_gain_db: f64,
    /// True-peak limiter (off when absent).
    #[serde(default)]
    pub limiter: Option<LimiterConfig>,
    /// Output format.
    #[serde(default)]
    pub output: OutputFormat,
    /// How the plan was made (solver, iterations, costs, targets); informational only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<serde_json::Value>,
}

/// Sample rate and word length of the rendered file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputFormat {
    /// Output sample rate in Hz; `null` keeps the mix's rate.
    #[serde(default)]
    pub sample_rate_hz: Option<u32>,
    /// Word length: "16", "24" (TPDF-dithered) or "32f".
    pub bit_depth: BitDepth,
}

impl Default for OutputFormat {
    fn default() -> Self {
        Self {
            sample_rate_hz: None,
            bit_depth: BitDepth::Int24,
        }
    }
}

fn check_db(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if !v.is_finite() || v < lo || v > hi {
        return Err(Error::Plan {
            field: field.into(),
            reason: format!("{v} is outside {lo}..={hi} dB"),
        });
    }
    Ok(())
}

impl Plan {
    /// A plan that does nothing but write the mix at `sample_rate_hz`.
    pub fn empty(sample_rate_hz: u32) -> Self {
        Self {
            version: PLAN_VERSION,
            sample_rate_hz,
            headroom_trim_db: 0.0,
            automation: GainAutomation::default(),
            eq: EqConfig::default(),
            saturation: None,
            reverb: None,
            imager: None,
            compressor: None,
            output_gain_db: 0.0,
            limiter: None,
            output: OutputFormat::default(),
            provenance: None,
        }
    }

    /// Parses and validates a plan from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| Error::Plan {
            field: json_error_field(&e),
            reason: e.to_string(),
        })?;
        plan.validate()?;
        Ok(plan)
    }

    /// Pretty JSON of the plan.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plan serialises")
    }

    /// The rate the chain runs at: the output rate if set, else the mix's.
    pub fn processing_rate_hz(&self) -> u32 {
        self.output.sample_rate_hz.unwrap_or(self.sample_rate_hz)
    }

    /// Checks every field; the error names the first offending JSON path.
    pub fn validate(&self) -> Result<()> {
        if self.version != PLAN_VERSION {
            return Err(Error::Plan {
                field: "version".into(),
                reason: format!(
                    "this coda reads plan version {PLAN_VERSION}, not {}",
                    self.version
                ),
            });
        }
        if !(8_000..=768_000).contains(&self.sample_rate_hz) {
            return Err(Error::Plan {
                field: "sample_rate_hz".into(),
                reason: format!("{} Hz is not a supported rate", self.sample_rate_hz),
            });
        }
        if let Some(r) = self.output.sample_rate_hz {
            if !(8_000..=768_000).contains(&r) {
                return Err(Error::Plan {
                    field: "output.sample_rate_hz".into(),
                    reason: format!("{r} Hz is not a supported rate"),
                });
            }
        }
        let fs = self.processing_rate_hz();
        check_db("headroom_trim_db", self.headroom_trim_db, -60.0, 24.0)?;
        check_db("output_gain_db", self.output_gain_db, -60.0, 36.0)?;
        self.automation.validate("automation")?;
        self.eq.validate("eq", fs)?;
        if let Some(s) = &self.saturation {
            s.validate("saturation")?;
        }
        if let Some(r) = &self.reverb {
            r.validate("reverb")?;
        }
        if let Some(i) = &self.imager {
            i.validate("imager", fs)?;
        }
        if let Some(c) = &self.compressor {
            c.validate("compressor", fs)?;
        }
        if let Some(l) = &self.limiter {
            l.validate("limiter")?;
        }
        Ok(())
    }
}

/// Best-effort JSON path of a serde error: the field named in "unknown field `x`" or
/// "missing field `x`", else the line and column.
fn json_error_field(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    for key in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(start) = msg.find(key) {
            let rest = &msg[start + key.len()..];
            if let Some(end) = rest.find('`') {
                return rest[..end].to_string();
            }
        }
    }
    format!("line {} column {}", e.line(), e.column())
}
