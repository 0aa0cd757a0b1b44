//! Multiband compressor fit (hybrid material): per band, the threshold at which the band
//! *just kicks in* on the loudest passage, solved with argmin's Brent root finder on the
//! compressor's own measured gain reduction.
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;
use coda_analysis::STEREO_SPLITS_HZ;
use coda_engine::processors::multiband::{
    CompressorBand, MultibandCompressor, MultibandCompressorConfig,
};
use coda_engine::processors::Processor;
use coda_engine::Audio;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Seconds of the loudest passage the thresholds are fitted on.
const PASSAGE_S: f64 = 12.0;

/// The fitted compressor and its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompressorFit {
    /// The compressor for the plan.
    pub config: MultibandCompressorConfig,
    /// Start of the loudest passage the thresholds were fitted on, seconds.
    pub passage_start_s: f64,
    /// Largest gain reduction per band on that passage, dB.
    pub band_max_gr_db: Vec<f64>,
    /// Brent iterations summed over bands.
    pub iterations: u64,
}

/// Gentle per-band settings: low band slower and firmer, highs faster and lighter.
fn band_defaults() -> [CompressorBand; 3] {
    let band = |ratio, attack_ms, release_ms| CompressorBand {
        threshold_db: 0.0,
        ratio,
        knee_db: 6.0,
        attack_ms,
        release_ms,
        makeup_db: 0.0,
    };
    [
        band(2.0, 30.0, 250.0),
        band(1.7, 15.0, 180.0),
        band(1.5, 8.0, 120.0),
    ]
}

/// The `len`-sample stretch of `audio` starting at `start`.
fn excerpt(audio: &Audio, start: usize, len: usize) -> Vec<Vec<f32>> {
    audio
        .channels
        .iter()
        .map(|c| c[start.min(c.len())..(start + len).min(c.len())].to_vec())
        .collect()
}

struct BandProblem<'a> {
    passage: &'a [Vec<f32>],
    band: usize,
    sample_rate_hz: u32,
    target_gr_db: f64,
}

impl BandProblem<'_> {
    /// Largest gain reduction of `band` at `threshold_db`, other bands off.
    fn max_gr(&self, threshold_db: f64) -> Result<f64> {
        let mut bands = band_defaults();
        for (i, b) in bands.iter_mut().enumerate() {
            if i == self.band {
                b.threshold_db = threshold_db;
            } else {
                b.ratio = 1.0;
            }
        }
        let cfg = MultibandCompressorConfig {
            crossovers_hz: STEREO_SPLITS_HZ.to_vec(),
            bands: bands.to_vec(),
        };
        let mut comp = MultibandCompressor::new(&cfg, self.sample_rate_hz)?;
        let mut buf = self.passage.to_vec();
        let mut views: Vec<&mut [f32]> = buf.iter_mut().map(|c| c.as_mut_slice()).collect();
        comp.process(&mut views);
        let traces = comp.gain_reduction();
        Ok(traces
            .get(self.band)
            .map(|t| t.reduction_db.iter().copied().fold(0.0f32, f32::max))
            .map_or(0.0, f64::from))
    }
}

impl CostFunction for BandProblem<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, t: &f64) -> std::result::Result<f64, argmin::core::Error> {
        self.max_gr(*t)
            .map(|g| g - self.target_gr_db)
            .map_err(|e| argmin::core::Error::msg(e.to_string()))
    }
}

/// Fits thresholds on `pre` (the chain's signal at the compressor input) so each band
/// reduces by `target_gr_db` at most, on the loudest passage found from the short-term
/// series (`hop_s` apart).
pub fn fit_compressor(
    pre: &Audio,
    short_term_lufs: &[Option<f64>],
    hop_s: f64,
    target_gr_db: f64,
) -> Result<CompressorFit> {
    let fs = pre.sample_rate_hz;
    let loudest = short_term_lufs
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0, |(i, _)| i);
    // The short-term value at hop k covers the 3 s ending at (k+1) hops; centre the
    // passage on that window.
    let end_s = (loudest + 1) as f64 * hop_s;
    let start_s = (end_s - 1.5 - PASSAGE_S / 2.0).max(0.0);
    let len = (PASSAGE_S * f64::from(fs)) as usize;
    let start = ((start_s * f64::from(fs)) as usize).min(pre.frames().saturating_sub(len));
    let passage = excerpt(pre, start, len);
    let mut bands = band_defaults();
    let mut band_max_gr_db = Vec::new();
    let mut iterations = 0;
    for (b, band) in bands.iter_mut().enumerate() {
        let problem = BandProblem {
            passage: &passage,
            band: b,
            sample_rate_hz: fs,
            target_gr_db,
        };
        // At 0 dBFS threshold nothing is reduced (the chain has headroom); search down.
        let hi = 0.0;
        let mut lo = -24.0;
        while problem.max_gr(lo)? < target_gr_db && lo > -80.0 {
            lo -= 12.0;
        }
        if problem.max_gr(lo)? < target_gr_db {
            // A silent band: leave it off.
            band.ratio = 1.0;
            band.threshold_db = 0.0;
            band_max_gr_db.push(0.0);
            continue;
        }
        let res = Executor::new(problem, BrentRoot::new(lo, hi, 0.01))
            .configure(|s| s.param(0.5 * (lo + hi)).max_iters(50))
            .run()
            .map_err(|e| Error::Solver(e.to_string()))?;
        let t = res.state().get_best_param().copied().unwrap_or(hi);
        iterations += res.state().get_iter();
        band.threshold_db = (t * 100.0).round() / 100.0;
        let check = BandProblem {
            passage: &passage,
            band: b,
            sample_rate_hz: fs,
            target_gr_db,
        };
        band_max_gr_db.push(check.max_gr(band.threshold_db)?);
    }
    Ok(CompressorFit {
        config: MultibandCompressorConfig {
            crossovers_hz: STEREO_SPLITS_HZ.to_vec(),
            bands: bands.to_vec(),
        },
        passage_start_s: start as f64 / f64::from(fs),
        band_max_gr_db,
        iterations,
    })
}
