//! Small conversions shared by the measures: finite-or-None and decibels.

/// `Some(x)` when `x` is finite, else `None` (JSON `null`, never NaN).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Power ratio to dB (`10 log10`), `None` for zero, negative or non-finite input.
pub fn power_db(power: f64) -> Option<f64> {
    if power > 0.0 {
        finite(10.0 * power.log10())
    } else {
        None
    }
}

/// Amplitude ratio to dB (`20 log10`), `None` for zero, negative or non-finite input.
pub fn amplitude_db(amplitude: f64) -> Option<f64> {
    if amplitude > 0.0 {
        finite(20.0 * amplitude.log10())
    } else {
        None
    }
}

/// Consecutive non-empty frame ranges `start..end` of `hop_s` seconds covering `0..frames`
/// (hop ends rounded to whole frames, so non-integer hop lengths do not drift; the last range
/// may be shorter).
pub(crate) fn hops(hop_s: f64, sample_rate_hz: u32, frames: usize) -> Vec<std::ops::Range<usize>> {
    let hop_frames = hop_s * f64::from(sample_rate_hz);
    let mut out = Vec::with_capacity((frames as f64 / hop_frames).ceil() as usize + 1);
    let mut start = 0usize;
    let mut k = 1usize;
    while start < frames {
        let end = ((k as f64 * hop_frames).round() as usize).min(frames);
        if end > start {
            out.push(start..end);
            start = end;
        }
        k += 1;
    }
    out
}
