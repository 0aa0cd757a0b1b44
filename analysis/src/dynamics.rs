//! Dynamics: crest factor (sample peak over RMS, all channels), peak-to-loudness ratio, and
//! a short-term crest series (3 s windows every 0.1 s).
//!
//! RMS is plain `20 log10(rms)` of full scale, so a sine has a crest of 3.01 dB.
use serde::{Deserialize, Serialize};

use crate::units::{amplitude_db, hops, power_db};
use coda_engine::Audio;

/// Short-term crest window, in hops of 0.1 s (3 s, as short-term loudness).
pub const CREST_WINDOW_HOPS: usize = 30;

/// Whole-file dynamics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dynamics {
    /// Sample peak minus RMS over all channels, dB (`None` for silence).
    pub crest_db: Option<f64>,
    /// Peak-to-loudness ratio: true peak minus integrated loudness, dB.
    pub plr_db: Option<f64>,
    /// RMS over all channels and samples, dBFS (`20 log10(rms)`).
    pub rms_dbfs: Option<f64>,
}

/// Per-hop level statistics: peak and mean square over all channels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelSeries {
    /// Largest absolute sample in each hop (all channels), linear.
    pub peak: Vec<f64>,
    /// Sum of squares in each hop (all channels).
    pub sum_sq: Vec<f64>,
    /// Samples in each hop (all channels).
    pub count: Vec<usize>,
}

/// Peak and energy of each `hop_s` hop of `audio`.
pub fn level_series(audio: &Audio, hop_s: f64) -> LevelSeries {
    let ranges = hops(hop_s, audio.sample_rate_hz, audio.frames());
    let mut out = LevelSeries {
        peak: Vec::with_capacity(ranges.len()),
        sum_sq: Vec::with_capacity(ranges.len()),
        count: Vec::with_capacity(ranges.len()),
    };
    for r in ranges {
        let (mut peak, mut sum) = (0.0f32, 0.0f64);
        for ch in &audio.channels {
            let s = &ch[r.clone()];
            peak = s.iter().fold(peak, |m, &x| m.max(x.abs()));
            // f32 partial sums per 64 samples vectorise; the total stays f64.
            sum += s
                .chunks(64)
                .map(|c| f64::from(c.iter().map(|&x| x * x).sum::<f32>()))
                .sum::<f64>();
        }
        out.peak.push(f64::from(peak));
        out.sum_sq.push(sum);
        out.count.push(r.len() * audio.channel_count());
    }
    out
}

impl LevelSeries {
    /// RMS of the whole file over all channels, dBFS.
    pub fn rms_dbfs(&self) -> Option<f64> {
        let n: usize = self.count.iter().sum();
        if n == 0 {
            return None;
        }
        power_db(self.sum_sq.iter().sum::<f64>() / n as f64)
    }

    /// Crest of the [`CREST_WINDOW_HOPS`] hops ending at each hop, dB (`None` if silent).
    pub fn short_term_crest_db(&self) -> Vec<Option<f64>> {
        (0..self.peak.len())
            .map(|k| {
                let w = (k + 1).saturating_sub(CREST_WINDOW_HOPS)..k + 1;
                let peak = self.peak[w.clone()].iter().copied().fold(0.0, f64::max);
                let n: usize = self.count[w.clone()].iter().sum();
                let ms = self.sum_sq[w].iter().sum::<f64>() / n.max(1) as f64;
                Some(amplitude_db(peak)? - power_db(ms)?)
            })
            .collect()
    }
}

/// Dynamics from the level series and the loudness figures.
pub fn dynamics_from(
    levels: &LevelSeries,
    sample_peak_dbfs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    integrated_lufs: Option<f64>,
) -> Dynamics {
    let rms_dbfs = levels.rms_dbfs();
    Dynamics {
        crest_db: sample_peak_dbfs.zip(rms_dbfs).map(|(p, r)| p - r),
        plr_db: true_peak_dbtp.zip(integrated_lufs).map(|(p, i)| p - i),
        rms_dbfs,
    }
}
