//! Errors of the analysis crate.

/// Everything that can stop a measurement.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The buffer has no channels, so there is nothing to measure.
    #[error("audio has no channels")]
    NoChannels,
    /// The loudness meter rejected the channel count or sample rate.
    #[error("loudness meter cannot measure {channels} channels at {sample_rate_hz} Hz: {reason}")]
    Meter {
        /// Channel count given to the meter.
        channels: usize,
        /// Sample rate given to the meter, in Hz.
        sample_rate_hz: u32,
        /// The meter's own message.
        reason: String,
    },
}

/// Result with the analysis crate's error.
pub type Result<T> = std::result::Result<T, Error>;
