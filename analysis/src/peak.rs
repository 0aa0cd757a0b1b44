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

/// Intervals whose window maximum is checked together before the detector runs on them.
const BLOCK: usize = 64;

/// Relative margin on the detector's gain bound, far above its floating-point rounding.
const BOUND_MARGIN: f64 = 1e-9;

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
///
/// Blocks of intervals that cannot reach the running maximum (their window's largest
/// sample times the detector's [`max_gain`](TruePeakDetector::max_gain) is below it) are
/// not interpolated; that changes no result, only skips work on the quieter passages.
pub fn channel_peaks(ch: &[f32]) -> ChannelPeaks {
    let det = TruePeakDetector::new();
    let taps = det.window_len();
    let half = taps / 2;
    let gain = det.max_gain() * (1.0 + BOUND_MARGIN);
    let mut out = ChannelPeaks {
        sample_peak: f64::from(abs_max(ch)),
        ..Default::default()
    };
    // Interval c (ending at sample c) needs samples c-half ..= c+half-1; out of range is 0.
    let intervals = ch.len() + 1;
    let mut window = vec![0.0f32; CHUNK + taps - 1];
    let mut peaks = [0.0f64; BLOCK];
    let mut start = 0usize;
    while start < intervals {
        let n = CHUNK.min(intervals - start);
        let buf = &mut window[..n + taps - 1];
        // buf[j] is sample start + j - half.
        let from = start.saturating_sub(half);
        let lead = half.saturating_sub(start);
        let avail = ch.len().saturating_sub(from).min(buf.len() - lead);
        buf[..lead].fill(0.0);
        buf[lead..lead + avail].copy_from_slice(&ch[from..from + avail]);
        buf[lead + avail..].fill(0.0);
        let mut b = 0;
        while b < n {
            let len = BLOCK.min(n - b);
            let w = &buf[b..b + len + taps - 1];
            let threshold = out.true_peak.max(out.sample_peak);
            if f64::from(abs_max(w)) * gain >= threshold {
                det.peaks(w, &mut peaks[..len]);
                for (j, &p) in peaks[..len].iter().enumerate() {
                    if p > out.true_peak {
                        out.true_peak = p;
                        out.true_peak_index = start + b + j;
                    }
                }
            }
            b += len;
        }
        start += n;
    }
    out.true_peak = out.true_peak.max(out.sample_peak);
    out
}

/// Largest magnitude in `x` (0 for an empty slice); lane-wise so it vectorises.
fn abs_max(x: &[f32]) -> f32 {
    const L: usize = 8;
    let mut lanes = [0.0f32; L];
    let mut chunks = x.chunks_exact(L);
    for c in chunks.by_ref() {
        for i in 0..L {
            let a = c[i].abs();
            lanes[i] = if a > lanes[i] { a } else { lanes[i] };
        }
    }
    let rest = chunks
        .remainder()
        .iter()
        .fold(0.0f32, |m, &v| m.max(v.abs()));
    lanes.iter().fold(rest, |m, &v| m.max(v))
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

    /// The plain scan: every interval through the detector, first maximum kept.
    fn unskipped(ch: &[f32]) -> (f64, usize) {
        let det = TruePeakDetector::new();
        let half = det.window_len() / 2;
        let mut padded = vec![0.0f32; half];
        padded.extend_from_slice(ch);
        padded.extend(std::iter::repeat(0.0).take(half));
        let mut p = vec![0.0; ch.len() + 1];
        det.peaks(&padded, &mut p);
        let (mut best, mut at) = (0.0, 0);
        for (i, &v) in p.iter().enumerate() {
            if v > best {
                best = v;
                at = i;
            }
        }
        (best, at)
    }

    #[test]
    fn skipping_quiet_blocks_changes_nothing() {
        // Decaying noise bursts with a loud one late, across chunk and block edges.
        let mut state = 0x2545_f491_u32;
        let x: Vec<f32> = (0..(CHUNK + 5000))
            .map(|n| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
                let env = if (CHUNK - 300..CHUNK + 200).contains(&n) {
                    0.9
                } else {
                    0.02 + 0.3 * ((n % 9000) as f32 / 9000.0)
                };
                noise * env
            })
            .collect();
        let p = channel_peaks(&x);
        let (best, at) = unskipped(&x);
        assert_eq!(p.true_peak.to_bits(), best.max(p.sample_peak).to_bits());
        assert_eq!(p.true_peak_index, at);
    }

    #[test]
    fn silence_and_empty_read_zero() {
        assert_eq!(channel_peaks(&[]).true_peak, 0.0);
        assert_eq!(channel_peaks(&[0.0; 10]).true_peak, 0.0);
    }
}
