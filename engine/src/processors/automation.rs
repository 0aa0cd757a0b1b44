//! Slow gain automation: breakpoints in (seconds, dB) with smooth sample-accurate
//! interpolation between them.
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One breakpoint of the volume automation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationPoint {
    /// Time from the start of the mix, seconds.
    pub time_s: f64,
    /// Gain at that time, dB.
    pub gain_db: f64,
}

/// Volume automation: gain is held at the first point's value before it and the last's after
/// it, and moves between points along a raised-cosine (smoothstep-like) curve so its slope is
/// zero at each breakpoint. No points = no automation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GainAutomation {
    /// Breakpoints, strictly increasing in time.
    #[serde(default)]
    pub points: Vec<AutomationPoint>,
}

impl GainAutomation {
    /// Checks times are finite, non-negative, strictly increasing and gains within +/-24 dB.
    pub fn validate(&self, field: &str) -> Result<()> {
        let mut prev = f64::NEG_INFINITY;
        for (i, p) in self.points.iter().enumerate() {
            if !p.time_s.is_finite() || p.time_s < 0.0 || p.time_s <= prev {
                return Err(Error::Plan {
                    field: format!("{field}.points[{i}].time_s"),
                    reason: format!(
                        "{} must be finite, >= 0 and later than the previous point",
                        p.time_s
                    ),
                });
            }
            if !p.gain_db.is_finite() || p.gain_db.abs() > 24.0 {
                return Err(Error::Plan {
                    field: format!("{field}.points[{i}].gain_db"),
                    reason: format!("{} is outside -24..=24 dB", p.gain_db),
                });
            }
            prev = p.time_s;
        }
        Ok(())
    }

    /// The automation's gain at `time_s`, in dB.
    pub fn gain_db_at(&self, time_s: f64) -> f64 {
        let pts = &self.points;
        match pts.len() {
            0 => 0.0,
            _ if time_s <= pts[0].time_s => pts[0].gain_db,
            _ if time_s >= pts[pts.len() - 1].time_s => pts[pts.len() - 1].gain_db,
            _ => {
                let k = pts.partition_point(|p| p.time_s <= time_s);
                let (a, b) = (pts[k - 1], pts[k]);
                let t = (time_s - a.time_s) / (b.time_s - a.time_s);
                let s = 0.5 - 0.5 * (std::f64::consts::PI * t).cos();
                a.gain_db + (b.gain_db - a.gain_db) * s
            }
        }
    }

    /// Largest minus smallest gain, in dB (0 with no points).
    pub fn range_db(&self) -> f64 {
        let max = self
            .points
            .iter()
            .map(|p| p.gain_db)
            .fold(f64::MIN, f64::max);
        let min = self
            .points
            .iter()
            .map(|p| p.gain_db)
            .fold(f64::MAX, f64::min);
        if self.points.is_empty() {
            0.0
        } else {
            max - min
        }
    }
}
