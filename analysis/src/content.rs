//! Content kind: orchestral or hybrid (orchestra with electronic beat and sub-bass), from
//! measured features combined by a logistic score.
//!
//! Features: sub-bass share (power below 60 Hz over 20 Hz-20 kHz, from the Welch mid
//! spectrum), onset rate and beat strength from a spectral-flux onset envelope (log
//! magnitude, ~23 ms frames, 50 % overlap), and the whole-file crest factor. Beat strength
//! is the largest normalised autocorrelation of the onset envelope at lags of 60-180 BPM:
//! a steady electronic pulse gives a high peak, rubato orchestral playing a low one.
use std::sync::Arc;

use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

use crate::units::power_db;
use crate::welch::{band_power, WelchSpectra};
use coda_engine::Audio;

/// Onset-analysis frame length at 44.1 kHz (scaled with rate to a power of two).
const ONSET_FRAME_AT_44K: f64 = 1024.0;
/// Highest frequency in the onset flux, Hz (transients and beats show below it).
const ONSET_MAX_HZ: f64 = 8000.0;
/// Compression constant of the log magnitude `ln(1 + C |X|)`.
const LOG_COMPRESSION: f64 = 1000.0;
/// Sub-bass upper edge, Hz.
const SUB_BASS_HZ: f64 = 60.0;
/// Tempo range searched for a steady beat, BPM.
const BEAT_BPM: (f64, f64) = (60.0, 180.0);
/// Local-mean window of the onset envelope, seconds (removed before peak picking and ACF).
const ENVELOPE_MEAN_S: f64 = 1.0;
/// Onset peaks must stand out this many standard deviations above the local mean.
const ONSET_THRESHOLD_SD: f64 = 1.0;
/// Minimum spacing of counted onsets, seconds.
const ONSET_MIN_GAP_S: f64 = 0.05;
/// Frames per rayon task in the onset STFT.
const FRAMES_PER_TASK: usize = 512;

/// Logistic weights (score > 0 means hybrid), fitted by hand on coda-corpus synthetic
/// orchestral/hybrid renders and on Wesnoth's orchestral soundtrack; see the tests.
const W_BIAS: f64 = -3.0;
const W_BEAT: f64 = 8.0;
const W_SUB_BASS_DB: f64 = 0.25;
const SUB_BASS_REF_DB: f64 = -12.0;
const W_CREST_DB: f64 = -0.15;
const CREST_REF_DB: f64 = 15.0;

/// Broad kind of material, which decides e.g. whether multiband compression is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    /// Acoustic orchestral or cinematic score.
    Orchestral,
    /// Orchestra with electronic beat, synths and sub-bass.
    Hybrid,
}

/// The measured features behind the classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentFeatures {
    /// Mid power below 60 Hz relative to 20 Hz-20 kHz, dB.
    pub sub_bass_share_db: Option<f64>,
    /// Onsets per second (peaks of the spectral-flux envelope), Hz.
    pub onset_rate_hz: f64,
    /// Largest normalised autocorrelation of the onset envelope at 60-180 BPM, 0..1.
    pub beat_strength: f64,
    /// Tempo at that autocorrelation peak, BPM.
    pub beat_bpm: Option<f64>,
    /// Whole-file crest factor, dB.
    pub crest_db: Option<f64>,
    /// Logistic score (log-odds of hybrid).
    pub score: f64,
}

/// Content classification with its confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// Orchestral or hybrid.
    pub kind: ContentKind,
    /// Probability of the chosen kind, 0.5..1.
    pub confidence: f64,
    /// The features the decision used.
    pub features: ContentFeatures,
}

/// Onset envelope (spectral flux per frame) and its frame rate, Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetEnvelope {
    /// Positive log-magnitude flux of each frame.
    pub flux: Vec<f64>,
    /// Envelope frames per second, Hz.
    pub rate_hz: f64,
}

/// Spectral-flux onset envelope of the channel mean of `audio`.
pub fn onset_envelope(audio: &Audio) -> OnsetEnvelope {
    let rate = f64::from(audio.sample_rate_hz);
    let n = ((ONSET_FRAME_AT_44K * rate / 44_100.0).round().max(16.0) as usize).next_power_of_two();
    let hop = n / 2;
    let frames = audio.frames();
    let count = if frames >= n {
        (frames - n) / hop + 1
    } else {
        0
    };
    let window: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos())
        .collect();
    let gain = 1.0 / audio.channel_count().max(1) as f64;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let bins = ((ONSET_MAX_HZ * n as f64 / rate).ceil() as usize).clamp(1, n / 2 + 1);
    let starts: Vec<usize> = (0..count).collect();
    let flux: Vec<f64> = starts
        .par_chunks(FRAMES_PER_TASK)
        .flat_map_iter(|chunk| {
            let mut st = FluxState::new(&fft, n, bins);
            let first = chunk[0];
            // Prime with the previous frame so the flux is continuous across tasks.
            if first > 0 {
                st.magnitudes(audio, &window, (first - 1) * hop, gain);
                std::mem::swap(&mut st.prev, &mut st.cur);
            }
            let mut out = Vec::with_capacity(chunk.len());
            for &f in chunk {
                st.magnitudes(audio, &window, f * hop, gain);
                let v = if f == 0 {
                    0.0
                } else {
                    st.cur
                        .iter()
                        .zip(&st.prev)
                        .map(|(c, p)| (c - p).max(0.0))
                        .sum()
                };
                out.push(v);
                std::mem::swap(&mut st.prev, &mut st.cur);
            }
            out
        })
        .collect();
    OnsetEnvelope {
        flux,
        rate_hz: rate / hop as f64,
    }
}

struct FluxState {
    fft: Arc<dyn RealToComplex<f64>>,
    input: Vec<f64>,
    spec: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    prev: Vec<f64>,
    cur: Vec<f64>,
}

impl FluxState {
    fn new(fft: &Arc<dyn RealToComplex<f64>>, n: usize, bins: usize) -> Self {
        Self {
            fft: Arc::clone(fft),
            input: vec![0.0; n],
            spec: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            prev: vec![0.0; bins],
            cur: vec![0.0; bins],
        }
    }

    /// Log magnitudes of the frame at `start` into `cur`.
    fn magnitudes(&mut self, audio: &Audio, window: &[f64], start: usize, gain: f64) {
        let n = window.len();
        self.input.iter_mut().for_each(|x| *x = 0.0);
        for ch in &audio.channels {
            let s = &ch[start..start + n];
            for ((o, &x), w) in self.input.iter_mut().zip(s).zip(window) {
                *o += f64::from(x) * w * gain;
            }
        }
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spec, &mut self.scratch)
            .expect("buffer lengths come from the same plan");
        // 0.5 ln(1 + (C|X|)^2) ~ ln(1 + C|X|) without the square root.
        let scale = (LOG_COMPRESSION * 2.0 / n as f64).powi(2);
        for (c, x) in self.cur.iter_mut().zip(&self.spec) {
            *c = 0.5 * (scale * x.norm_sqr()).ln_1p();
        }
    }
}

/// The envelope minus its moving mean (half window `half` frames), floored at zero.
fn detrend(flux: &[f64], half: usize) -> Vec<f64> {
    let mut prefix = Vec::with_capacity(flux.len() + 1);
    prefix.push(0.0);
    for &x in flux {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + x);
    }
    (0..flux.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(flux.len()));
            let mean = (prefix[b] - prefix[a]) / (b - a) as f64;
            (flux[i] - mean).max(0.0)
        })
        .collect()
}

/// Onsets per second: local maxima of the detrended envelope above `mean + k sd`, at least
/// [`ONSET_MIN_GAP_S`] apart.
fn onset_rate(d: &[f64], rate_hz: f64) -> f64 {
    if d.len() < 3 {
        return 0.0;
    }
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
    let threshold = mean + ONSET_THRESHOLD_SD * sd;
    let gap = (ONSET_MIN_GAP_S * rate_hz).ceil() as usize;
    let mut last: Option<usize> = None;
    let mut count = 0usize;
    for i in 1..d.len() - 1 {
        if d[i] > threshold
            && d[i] >= d[i - 1]
            && d[i] > d[i + 1]
            && last.map_or(true, |l| i - l >= gap)
        {
            count += 1;
            last = Some(i);
        }
    }
    count as f64 * rate_hz / d.len() as f64
}

/// Largest normalised autocorrelation over the beat-lag range and its tempo.
fn beat_strength(d: &[f64], rate_hz: f64) -> (f64, Option<f64>) {
    let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
    let x: Vec<f64> = d.iter().map(|v| v - mean).collect();
    let r0: f64 = x.iter().map(|v| v * v).sum();
    let lo = (60.0 / BEAT_BPM.1 * rate_hz).floor() as usize;
    let hi = (60.0 / BEAT_BPM.0 * rate_hz).ceil() as usize;
    if r0 <= 0.0 || x.len() <= hi * 2 {
        return (0.0, None);
    }
    let (best_lag, best) = (lo.max(1)..=hi)
        .into_par_iter()
        .map(|lag| {
            let r: f64 = x[..x.len() - lag]
                .iter()
                .zip(&x[lag..])
                .map(|(a, b)| a * b)
                .sum();
            // Unbiased: compensate for the shorter overlap.
            (lag, r / r0 * x.len() as f64 / (x.len() - lag) as f64)
        })
        .reduce(
            || (0, f64::MIN),
            // Ties go to the shorter lag, so the result does not depend on the split.
            |a, b| {
                if b.1 > a.1 || (b.1 == a.1 && b.0 < a.0) {
                    b
                } else {
                    a
                }
            },
        );
    if best_lag == 0 {
        return (0.0, None);
    }
    (best.clamp(0.0, 1.0), Some(60.0 * rate_hz / best_lag as f64))
}

/// Classifies from the onset envelope, the Welch spectra and the crest factor.
pub fn content_from(env: &OnsetEnvelope, w: &WelchSpectra, crest_db: Option<f64>) -> Content {
    let total = band_power(&w.mid, w.bin_hz, 20.0, 20_000.0);
    let sub = band_power(&w.mid, w.bin_hz, 20.0, SUB_BASS_HZ);
    let sub_bass_share_db = if total > 0.0 {
        power_db(sub / total)
    } else {
        None
    };
    let half = (ENVELOPE_MEAN_S * env.rate_hz / 2.0).round() as usize;
    let d = detrend(&env.flux, half.max(1));
    let onset_rate_hz = onset_rate(&d, env.rate_hz);
    let (beat, beat_bpm) = beat_strength(&d, env.rate_hz);
    let score = W_BIAS
        + W_BEAT * beat
        + W_SUB_BASS_DB
            * (sub_bass_share_db.unwrap_or(-100.0) - SUB_BASS_REF_DB).clamp(-20.0, 20.0)
        + W_CREST_DB * (crest_db.unwrap_or(CREST_REF_DB) - CREST_REF_DB);
    let p_hybrid = 1.0 / (1.0 + (-score).exp());
    let (kind, confidence) = if p_hybrid > 0.5 {
        (ContentKind::Hybrid, p_hybrid)
    } else {
        (ContentKind::Orchestral, 1.0 - p_hybrid)
    };
    Content {
        kind,
        confidence,
        features: ContentFeatures {
            sub_bass_share_db,
            onset_rate_hz,
            beat_strength: beat,
            beat_bpm,
            crest_db,
            score,
        },
    }
}
