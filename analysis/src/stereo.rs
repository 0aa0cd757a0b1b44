//! Stereo image: L/R correlation overall (Pearson, time domain) and per band (from the
//! Welch cross spectrum), side-to-mid power per band, and a correlation series.
//!
//! Mono files have correlation 1 (a single channel played on both speakers) and no side
//! signal, so their `side_to_mid_db` is `None`. More than two channels: L and R only.
use serde::{Deserialize, Serialize};

use crate::units::{hops, power_db};
use crate::welch::{band_power, WelchSpectra};
use coda_engine::Audio;

/// Crossovers of the stereo bands, Hz: lows below 150 Hz, mids to 2.5 kHz, highs above.
pub const STEREO_SPLITS_HZ: [f64; 2] = [150.0, 2500.0];

/// Lower edge of the lowest stereo band and upper edge of the highest, Hz.
const STEREO_RANGE_HZ: (f64, f64) = (20.0, 20_000.0);

/// Reported side-to-mid when a stereo file's side is exactly zero (identical channels), dB.
pub const SIDE_FLOOR_DB: f64 = -120.0;

/// Window of the correlation series, in hops of 0.1 s (0.4 s, as momentary loudness).
pub const CORRELATION_WINDOW_HOPS: usize = 4;

/// Width of one band of the stereo image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StereoBand {
    /// Lower band edge, Hz.
    pub lo_hz: f64,
    /// Upper band edge, Hz.
    pub hi_hz: f64,
    /// Side power over mid power in the band, dB (`None` for mono or a silent band;
    /// [`SIDE_FLOOR_DB`] for identical channels).
    pub side_to_mid_db: Option<f64>,
    /// L/R correlation in the band, -1..1 (`Re ΣS_lr / sqrt(ΣS_ll ΣS_rr)`).
    pub correlation: Option<f64>,
}

/// Stereo image of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stereo {
    /// Pearson correlation of L and R over the whole file, -1..1 (mono: 1).
    pub correlation: Option<f64>,
    /// Low, mid and high bands split at [`STEREO_SPLITS_HZ`].
    pub bands: Vec<StereoBand>,
}

/// Time-domain correlation: overall and a series every 0.1 s over a 0.4 s window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorrelationSeries {
    /// Pearson correlation of the whole file.
    pub overall: Option<f64>,
    /// Pearson correlation of the 0.4 s ending at each 0.1 s hop.
    pub series: Vec<Option<f64>>,
}

/// Sums of one hop for Pearson correlation.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: f64,
    l: f64,
    r: f64,
    ll: f64,
    rr: f64,
    lr: f64,
}

impl Moments {
    fn of(l: &[f32], r: &[f32]) -> Self {
        assert_eq!(l.len(), r.len());
        let mut m = Moments {
            n: l.len() as f64,
            ..Default::default()
        };
        for (&a, &b) in l.iter().zip(r) {
            let (a, b) = (f64::from(a), f64::from(b));
            m.l += a;
            m.r += b;
            m.ll += a * a;
            m.rr += b * b;
            m.lr += a * b;
        }
        m
    }

    fn add(&mut self, o: &Moments) {
        self.n += o.n;
        self.l += o.l;
        self.r += o.r;
        self.ll += o.ll;
        self.rr += o.rr;
        self.lr += o.lr;
    }

    fn pearson(&self) -> Option<f64> {
        if self.n == 0.0 {
            return None;
        }
        let (ml, mr) = (self.l / self.n, self.r / self.n);
        let var_l = self.ll / self.n - ml * ml;
        let var_r = self.rr / self.n - mr * mr;
        let cov = self.lr / self.n - ml * mr;
        let denom = (var_l * var_r).sqrt();
        // Variance at rounding level of the mean square is a constant signal, not audio.
        let tiny = 1e-12 * (self.ll / self.n).max(self.rr / self.n);
        if denom.is_nan() || denom <= 0.0 || var_l <= tiny || var_r <= tiny {
            return None;
        }
        Some((cov / denom).clamp(-1.0, 1.0))
    }
}

/// Correlation of L and R (channels 0 and 1) overall and per 0.1 s hop; mono reads 1
/// wherever the channel is not silent.
pub fn correlation_series(audio: &Audio, hop_s: f64) -> CorrelationSeries {
    let left = audio.channels.first().map_or(&[][..], Vec::as_slice);
    let right = audio.channels.get(1).map_or(left, Vec::as_slice);
    let per_hop: Vec<Moments> = hops(hop_s, audio.sample_rate_hz, audio.frames())
        .into_iter()
        .map(|r| Moments::of(&left[r.clone()], &right[r]))
        .collect();
    let mut total = Moments::default();
    per_hop.iter().for_each(|m| total.add(m));
    let series = (0..per_hop.len())
        .map(|k| {
            let mut w = Moments::default();
            per_hop[(k + 1).saturating_sub(CORRELATION_WINDOW_HOPS)..=k]
                .iter()
                .for_each(|m| w.add(m));
            w.pearson()
        })
        .collect();
    CorrelationSeries {
        overall: total.pearson(),
        series,
    }
}

/// Per-band width from the Welch pass; `overall` is the time-domain correlation.
pub fn stereo_from(w: &WelchSpectra, overall: Option<f64>) -> Stereo {
    let nyquist_hz = w.bin_hz * (w.mid.len().saturating_sub(1)) as f64;
    let top = STEREO_RANGE_HZ.1.min(nyquist_hz);
    let edges = [
        STEREO_RANGE_HZ.0,
        STEREO_SPLITS_HZ[0],
        STEREO_SPLITS_HZ[1],
        top.max(STEREO_SPLITS_HZ[1]),
    ];
    let bands = edges
        .windows(2)
        .map(|e| {
            let (lo_hz, hi_hz) = (e[0], e[1]);
            let p = |v: &[f64]| band_power(v, w.bin_hz, lo_hz, hi_hz);
            let (ll, rr, lr, mid) = (p(&w.left), p(&w.right), p(&w.cross), p(&w.mid));
            let correlation = if ll > 0.0 && rr > 0.0 {
                Some((lr / (ll * rr).sqrt()).clamp(-1.0, 1.0))
            } else {
                None
            };
            let side_to_mid_db = match &w.side {
                Some(side) if mid > 0.0 => {
                    let s = p(side);
                    Some(power_db(s / mid).map_or(SIDE_FLOOR_DB, |db| db.max(SIDE_FLOOR_DB)))
                }
                _ => None,
            };
            StereoBand {
                lo_hz,
                hi_hz,
                side_to_mid_db,
                correlation,
            }
        })
        .collect();
    Stereo {
        correlation: overall,
        bands,
    }
}
