//! Multiband stereo imager: Linkwitz-Riley bands, each with its own side gain.
use serde::{Deserialize, Serialize};

use super::check_range;
use super::crossover::{validate_crossovers, Crossover, MAX_BANDS};
use super::Processor;
use crate::{Error, Result};

/// Imager settings: `widths.len() == crossovers_hz.len() + 1`, lowest band first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagerConfig {
    /// Crossover frequencies, Hz, increasing (e.g. [150, 2500]).
    pub crossovers_hz: Vec<f64>,
    /// Side gain per band: 0 = mono, 1 = unchanged, up to 2.
    pub widths: Vec<f64>,
}

impl ImagerConfig {
    /// Checks crossovers and one width (0..=2) per band.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        validate_crossovers(
            &format!("{field}.crossovers_hz"),
            &self.crossovers_hz,
            sample_rate_hz,
        )?;
        if self.widths.len() != self.crossovers_hz.len() + 1 {
            return Err(Error::Plan {
                field: format!("{field}.widths"),
                reason: format!(
                    "{} widths for {} bands",
                    self.widths.len(),
                    self.crossovers_hz.len() + 1
                ),
            });
        }
        for (i, w) in self.widths.iter().enumerate() {
            check_range(&format!("{field}.widths[{i}]"), *w, 0.0, 2.0, "")?;
        }
        Ok(())
    }

    /// True when every width is 1 (nothing changes).
    pub fn is_identity(&self) -> bool {
        self.widths.iter().all(|&w| w == 1.0)
    }
}

/// The multiband imager: mid/side, the side scaled per band by its width.
///
/// The side runs through a [`Crossover`] tree and its bands are weighted by their widths before
/// they are summed. The mid must keep the same phase as the summed side bands, so it runs
/// through the tree's all-pass (`AP_0 ... AP_{N-1}`, flat magnitude): it is computed as the sum
/// of the mid's bands in the second f64 lane of the same tree, which is that all-pass exactly
/// (up to rounding) and costs nothing over the side alone (both lanes share one SIMD register).
/// Leaving the mid untouched instead would rotate the side against it: at a crossover frequency
/// the all-pass is at -180 degrees, so a source panned hard left would come out hard right.
///
/// All bands of an LR4 tree are in phase with each other (and with the all-pass), so the side
/// gain at frequency `f` is exactly `sum_k width_k |band_k(f)|`: between 0 and 1 for widths
/// between 0 and 1, with LR4 slopes (24 dB/octave) between bands of different widths.
///
/// When every width is 1 the imager does nothing (bit-exact pass-through, no all-pass); mono
/// input passes unchanged. No latency.
#[derive(Debug, Clone)]
pub struct Imager {
    crossover: Crossover,
    widths: [f64; MAX_BANDS],
    identity: bool,
}

impl Imager {
    /// Validates `config` (fields under `imager`) and builds the crossover for `sample_rate_hz`.
    pub fn new(config: &ImagerConfig, sample_rate_hz: u32) -> Result<Self> {
        config.validate("imager", sample_rate_hz)?;
        let mut widths = [0.0; MAX_BANDS];
        widths[..config.widths.len()].copy_from_slice(&config.widths);
        Ok(Self {
            crossover: Crossover::new(&config.crossovers_hz, sample_rate_hz)?,
            widths,
            identity: config.is_identity(),
        })
    }

    /// The per-sample loop for a tree of `B` bands.
    fn run<const B: usize>(&mut self, left: &mut [f32], right: &mut [f32]) {
        assert_eq!(
            left.len(),
            right.len(),
            "channels of one block differ in length"
        );
        let mut widths = [0.0; B];
        widths.copy_from_slice(&self.widths[..B]);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (lf, rf) = (f64::from(*l), f64::from(*r));
            let bands = self
                .crossover
                .tick_bands::<B>([0.5 * (lf + rf), 0.5 * (lf - rf)]);
            let (mut mid, mut side) = (0.0, 0.0);
            for k in 0..B {
                mid += bands[k][0];
                side += widths[k] * bands[k][1];
            }
            *l = (mid + side) as f32;
            *r = (mid - side) as f32;
        }
    }
}

impl Processor for Imager {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        if self.identity {
            return;
        }
        let [left, right] = channels else {
            return; // mono (or anything but stereo): no side to shape
        };
        match self.crossover.bands() {
            1 => self.run::<1>(left, right),
            2 => self.run::<2>(left, right),
            3 => self.run::<3>(left, right),
            4 => self.run::<4>(left, right),
            5 => self.run::<5>(left, right),
            _ => self.run::<MAX_BANDS>(left, right),
        }
    }

    fn reset(&mut self) {
        self.crossover.reset();
    }
}
