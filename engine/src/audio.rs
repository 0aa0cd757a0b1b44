//! The planar sample buffer every stage passes along.

/// Planar audio: one `Vec<f32>` per channel, all the same length, at `sample_rate_hz`.
///
/// Samples are f32 (full scale = 1.0). f32 holds any 24-bit PCM sample exactly and halves
/// memory against f64, which matters for 30-minute cues in parallel batches; every
/// processor keeps its state and accumulators in f64, so no precision is lost in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Sample rate in Hz.
    pub sample_rate_hz: u32,
    /// One buffer per channel (L, R, ... in file order).
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    /// Builds a buffer; panics if the channels differ in length (a programming error).
    pub fn new(sample_rate_hz: u32, channels: Vec<Vec<f32>>) -> Self {
        if let Some(first) = channels.first() {
            assert!(
                channels.iter().all(|c| c.len() == first.len()),
                "all channels must have the same length"
            );
        }
        Self {
            sample_rate_hz,
            channels,
        }
    }

    /// A silent buffer of `frames` frames.
    pub fn silence(sample_rate_hz: u32, channel_count: usize, frames: usize) -> Self {
        Self::new(sample_rate_hz, vec![vec![0.0; frames]; channel_count])
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate_hz)
    }

    /// The same audio as stereo: mono is duplicated, more than two channels keep L and R.
    pub fn to_stereo(&self) -> Audio {
        match self.channels.len() {
            0 => Audio::silence(self.sample_rate_hz, 2, 0),
            1 => Audio::new(
                self.sample_rate_hz,
                vec![self.channels[0].clone(), self.channels[0].clone()],
            ),
            _ => Audio::new(
                self.sample_rate_hz,
                vec![self.channels[0].clone(), self.channels[1].clone()],
            ),
        }
    }

    /// Largest absolute sample value (linear, 1.0 = full scale).
    pub fn sample_peak(&self) -> f32 {
        self.channels
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, &s| m.max(s.abs()))
    }
}
