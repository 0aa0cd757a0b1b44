//! The mastering processors, one per file.
//!
//! Every processor follows one contract: it is built once for a sample rate from its
//! validated config (allocating whatever it needs), then [`Processor::process`] runs in
//! place over planar blocks of any length without allocating. Blocks may be the whole file
//! or small chunks; the output is identical either way.
pub mod automation;
pub mod biquad;
pub mod convolver;
pub mod crossover;
pub mod dither;
pub mod eq;
pub mod gain;
pub mod imager;
pub mod limiter;
pub mod linear_phase;
pub mod multiband;
pub mod reverb;
pub mod saturation;
pub mod truepeak;

/// A processor running in place on planar audio.
pub trait Processor: Send {
    /// Processes one block in place. All channel slices have the same length.
    fn process(&mut self, channels: &mut [&mut [f32]]);
    /// Clears all internal state (filter memories, envelopes, delay lines).
    fn reset(&mut self);
    /// Delay the processor adds, in samples at the processing rate.
    fn latency_samples(&self) -> usize {
        0
    }
}

/// Gain reduction recorded over time: the largest reduction in each hop, in dB (>= 0).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GainReductionTrace {
    /// Hop between values, in seconds.
    pub hop_s: f64,
    /// Largest gain reduction within each hop, in dB (positive = reduction).
    pub reduction_db: Vec<f32>,
}

/// Records the largest gain reduction per hop while a processor runs.
#[derive(Debug, Clone)]
pub struct GainReductionMeter {
    hop_samples: usize,
    in_hop: usize,
    min_gain: f64,
    trace: GainReductionTrace,
}

impl GainReductionMeter {
    /// A meter with a 10 ms hop at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        let hop_samples = (sample_rate_hz * 0.01).round().max(1.0) as usize;
        Self {
            hop_samples,
            in_hop: 0,
            min_gain: 1.0,
            trace: GainReductionTrace {
                hop_s: hop_samples as f64 / sample_rate_hz,
                reduction_db: Vec::new(),
            },
        }
    }

    /// Records one sample's linear gain (1.0 = no reduction).
    #[inline]
    pub fn push(&mut self, gain: f64) {
        if gain < self.min_gain {
            self.min_gain = gain;
        }
        self.in_hop += 1;
        if self.in_hop == self.hop_samples {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let db = -20.0 * self.min_gain.max(1e-10).log10();
        self.trace.reduction_db.push(db.max(0.0) as f32);
        self.in_hop = 0;
        self.min_gain = 1.0;
    }

    /// Drops `n` leading hops' worth of samples (latency compensation is done by the caller
    /// trimming the trace; see `render`).
    pub fn trace(&self) -> &GainReductionTrace {
        &self.trace
    }

    /// Ends the trace, flushing a partial hop.
    pub fn finish(mut self) -> GainReductionTrace {
        if self.in_hop > 0 {
            self.flush();
        }
        self.trace
    }

    /// Clears the recorded trace.
    pub fn reset(&mut self) {
        self.in_hop = 0;
        self.min_gain = 1.0;
        self.trace.reduction_db.clear();
    }
}

/// Checks `value` is finite and within `lo..=hi`; the error names the plan field.
pub(crate) fn check_range(
    field: &str,
    value: f64,
    lo: f64,
    hi: f64,
    unit: &str,
) -> crate::Result<()> {
    if !value.is_finite() || value < lo || value > hi {
        return Err(crate::Error::Plan {
            field: field.to_string(),
            reason: format!("{value} is outside {lo}..={hi}{unit}"),
        });
    }
    Ok(())
}
