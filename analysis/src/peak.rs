//! Sample and true peak of one channel, with the position of the true peak.
//!
//! The true peak is read by the engine's 8x polyphase detector
//! ([`coda_engine::processors::truepeak`]), the same one the limiter uses, so the meter and
//! the limiter agree on what "over" means. The ebur128 crate's 4x interpolator over-reads
//! tones near fs/6 and fs/8 by up to 0.4 dB (EBU Tech 3341 cases 17/18), which is why the
//! analysis does not use it for peaks.
use coda_engine::processors::truepeak::TruePeakDetector;

/// Samples handed to the detector per pass (bounded scratch, independent of file length).
const CHUNK: usize = 1 << 15;

/// Peaks of one channel, linear.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChannelPeaks {
    /// Largest interpolated (8x) magnitude, linear full scale.
    pub true_peak: f64,
    /// Sample index at the end of the interval holding the true peak.
    pub true_peak_index: usize,
    /// Largest sample magnitude, linear full scale.
    pub sample_peak: f64,
}

/// Sample and true peak of `ch`, including the reconstruction just after its last sample.
pub fn channel_peaks(ch: &[f32]) -> ChannelPeaks {
    let det = TruePeakDetector::new();
    let taps = det.window_len();
    let half = taps / 2;
    let mut out = ChannelPeaks::default();
    for &x in ch {
        let a = f64::from(x.abs());
        if a > out.sample_peak {
            out.sample_peak = a;
        }
    }
    // Interval c (ending at sample c) needs samples c-half ..= c+half-1; out of range is 0.
    let intervals = ch.len() + 1;
    let mut window = vec![0.0f32; CHUNK + taps - 1];
    let mut peaks = vec![0.0f64; CHUNK];
    let mut start = 0usize;
    while start < intervals {
        let n = CHUNK.min(intervals - start);
        let buf = &mut window[..n + taps - 1];
        for (j, w) in buf.iter_mut().enumerate() {
            let idx = (start + j) as isize - half as isize;
            *w = if idx >= 0 && (idx as usize) < ch.len() {
                ch[idx as usize]
            } else {
                0.0
            };
        }
        det.peaks(buf, &mut peaks[..n]);
        for (j, &p) in peaks[..n].iter().enumerate() {
            if p > out.true_peak {
                out.true_peak = p;
                out.true_peak_index = start + j;
            }
        }
        start += n;
    }
    out.true_peak = out.true_peak.max(out.sample_peak);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn quarter_fs_at_45_degrees_reads_3_db_over_samples() {
        let x: Vec<f32> = (0..4800)
            .map(|n| (0.5 * (PI / 2.0 * n as f64 + PI / 4.0).sin()) as f32)
            .collect();
        let p = channel_peaks(&x);
        assert!((p.sample_peak - 0.5 * 0.5f64.sqrt()).abs() < 1e-6);
        assert!((20.0 * (p.true_peak / 0.5).log10()).abs() < 0.1, "{p:?}");
    }

    #[test]
    fn lone_impulse_is_found_where_it_is() {
        let mut x = vec![0.0f32; 100_000];
        x[70_001] = -0.25;
        let p = channel_peaks(&x);
        assert_eq!(p.sample_peak, 0.25);
        assert!((p.true_peak - 0.25).abs() < 1e-9);
        assert_eq!(p.true_peak_index, 70_001);
    }

    #[test]
    fn silence_and_empty_read_zero() {
        assert_eq!(channel_peaks(&[]).true_peak, 0.0);
        assert_eq!(channel_peaks(&[0.0; 10]).true_peak, 0.0);
    }
}
