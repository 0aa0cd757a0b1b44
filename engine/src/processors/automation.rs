//! Slow gain automation: breakpoints in (seconds, dB) with smooth sample-accurate
//! interpolation between them.
use serde::{Deserialize, Serialize};

use super::Processor;
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

/// Frames per internal chunk of the gain computation.
const CHUNK: usize = 1024;

/// dB to natural-log factor: 10^(dB/20) = exp(dB * LN10_OVER_20).
const LN10_OVER_20: f64 = std::f64::consts::LN_10 / 20.0;

/// `sin(x)` for `|x| <= pi/2`: Taylor series to x^17 (error < 5e-14), no libm call, so
/// loops over it vectorise.
#[inline(always)]
fn sin_poly(x: f64) -> f64 {
    let x2 = x * x;
    // 1/(2k+1)! for k = 0..=8.
    const C: [f64; 9] = [
        1.0,
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
        1.0 / 355_687_428_096_000.0,
    ];
    let mut p = C[8];
    for k in (0..8).rev() {
        p = p * x2 + C[k];
    }
    p * x
}

/// `exp(x)` for `|x| <= 2.8` (a +/-24 dB gain): Taylor series of `exp(x/8)` to degree 13,
/// squared three times (relative error < 1e-14), no libm call.
#[inline(always)]
fn exp_small(x: f64) -> f64 {
    // 1/k! for k = 0..=13.
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let y = x * 0.125;
    let mut p = C[13];
    for k in (0..13).rev() {
        p = p * y + C[k];
    }
    let p2 = p * p;
    let p4 = p2 * p2;
    p4 * p4
}

/// One interpolated stretch between two breakpoints, with its first sample.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// First sample index of the segment: the smallest n with n / fs >= `t0_s`.
    start_n: u64,
    t0_s: f64,
    inv_dur_s: f64,
    g0_db: f64,
    delta_db: f64,
}

/// Applies a [`GainAutomation`] sample-accurately: sample `n` (counted from the start of the
/// stream) is multiplied by `10^(gain_db_at(n / fs) / 20)`. The curve is evaluated per sample
/// from the running sample index with polynomial `cos`/`exp` (agreeing with
/// [`GainAutomation::gain_db_at`] to ~1e-12 dB), so any block size gives identical output.
#[derive(Debug, Clone)]
pub struct AutomationProcessor {
    fs_hz: f64,
    /// Interpolated stretches, in time order (one fewer than the points).
    segments: Vec<Segment>,
    /// Gain held before the first point, linear.
    first_gain: f64,
    /// Gain held from the last point on, linear, and the sample where that starts.
    last_gain: f64,
    last_start_n: u64,
    /// Index of the next sample to process.
    pos: u64,
    /// Per-sample linear gains of one chunk.
    gains: Vec<f64>,
}

/// The smallest sample index `n` with `n / fs >= t_s`.
fn first_sample_at(t_s: f64, fs_hz: f64) -> u64 {
    let mut n = (t_s * fs_hz).ceil().max(0.0) as u64;
    while n > 0 && (n - 1) as f64 / fs_hz >= t_s {
        n -= 1;
    }
    while (n as f64 / fs_hz) < t_s {
        n += 1;
    }
    n
}

impl AutomationProcessor {
    /// Builds the processor for `sample_rate_hz`; errors name `automation.points[i].x`.
    pub fn new(automation: &GainAutomation, sample_rate_hz: u32) -> Result<Self> {
        automation.validate("automation")?;
        if sample_rate_hz == 0 {
            return Err(Error::OutOfRange {
                name: "sample_rate_hz",
                value: 0.0,
                range: "> 0",
            });
        }
        let fs_hz = f64::from(sample_rate_hz);
        let pts = &automation.points;
        let linear = |db: f64| 10f64.powf(db / 20.0);
        let segments = pts
            .windows(2)
            .map(|w| Segment {
                start_n: first_sample_at(w[0].time_s, fs_hz),
                t0_s: w[0].time_s,
                inv_dur_s: 1.0 / (w[1].time_s - w[0].time_s),
                g0_db: w[0].gain_db,
                delta_db: w[1].gain_db - w[0].gain_db,
            })
            .collect();
        let (first_gain, last_gain, last_start_n) = match (pts.first(), pts.last()) {
            (Some(a), Some(b)) => (
                linear(a.gain_db),
                linear(b.gain_db),
                first_sample_at(b.time_s, fs_hz),
            ),
            _ => (1.0, 1.0, 0),
        };
        Ok(Self {
            fs_hz,
            segments,
            first_gain,
            last_gain,
            last_start_n,
            pos: 0,
            gains: vec![1.0; CHUNK],
        })
    }

    /// True when the processor changes nothing (no points, or all at 0 dB).
    pub fn is_identity(&self) -> bool {
        self.first_gain == 1.0
            && self.last_gain == 1.0
            && self
                .segments
                .iter()
                .all(|s| s.g0_db == 0.0 && s.delta_db == 0.0)
    }

    /// Fills `gains` with the linear gains of samples `pos..pos + gains.len()`.
    fn fill_gains(&self, pos: u64, gains: &mut [f64]) {
        let mut n = pos;
        let mut out = gains;
        while !out.is_empty() {
            let first_start = self
                .segments
                .first()
                .map_or(self.last_start_n, |s| s.start_n);
            // Which region holds sample n, and where does it end?
            let (len, seg) = if n < first_start {
                ((first_start - n) as usize, None)
            } else if n >= self.last_start_n {
                (out.len(), None)
            } else {
                let k = self.segments.partition_point(|s| s.start_n <= n) - 1;
                let end = self
                    .segments
                    .get(k + 1)
                    .map_or(self.last_start_n, |s| s.start_n);
                ((end - n) as usize, Some(self.segments[k]))
            };
            let len = len.min(out.len());
            let (run, rest) = out.split_at_mut(len);
            match seg {
                None => {
                    let g = if n < first_start {
                        self.first_gain
                    } else {
                        self.last_gain
                    };
                    run.fill(g);
                }
                Some(s) => {
                    // n + i as f64, exactly (both are integers far below 2^53); the i32
                    // conversion vectorises where u64 -> f64 does not.
                    let n_f = n as f64;
                    for (i, g) in run.iter_mut().enumerate() {
                        let t_s = (n_f + f64::from(i as i32)) / self.fs_hz;
                        let u = ((t_s - s.t0_s) * s.inv_dur_s).clamp(0.0, 1.0);
                        // 0.5 - 0.5 cos(pi u) = 0.5 + 0.5 sin(pi (u - 0.5)).
                        let shape = 0.5 + 0.5 * sin_poly(std::f64::consts::PI * (u - 0.5));
                        let db = s.g0_db + s.delta_db * shape;
                        *g = exp_small(db * LN10_OVER_20);
                    }
                }
            }
            n += len as u64;
            out = rest;
        }
    }
}

impl Processor for AutomationProcessor {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let frames = channels.first().map_or(0, |c| c.len());
        assert!(
            channels.iter().all(|c| c.len() == frames),
            "channel lengths differ"
        );
        let mut start = 0;
        while start < frames {
            let len = CHUNK.min(frames - start);
            let mut gains = std::mem::take(&mut self.gains);
            self.fill_gains(self.pos, &mut gains[..len]);
            for ch in channels.iter_mut() {
                for (x, g) in ch[start..start + len].iter_mut().zip(&gains[..len]) {
                    *x = (f64::from(*x) * g) as f32;
                }
            }
            self.gains = gains;
            self.pos += len as u64;
            start += len;
        }
    }

    fn reset(&mut self) {
        self.pos = 0;
    }
}
