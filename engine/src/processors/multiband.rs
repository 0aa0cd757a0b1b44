//! Multiband compressor: Linkwitz-Riley bands, each with a soft-knee feed-forward
//! compressor; records each band's gain reduction over time.
use serde::{Deserialize, Serialize};

use super::check_range;
use super::crossover::{validate_crossovers, Crossover, MAX_BANDS};
use super::{GainReductionMeter, GainReductionTrace, Processor};
use crate::{Error, Result};

/// One band's compressor settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompressorBand {
    /// Threshold, dBFS, of the band's detector level `10 log10((L^2 + R^2) / 2)` (see
    /// [`MultibandCompressor`]).
    pub threshold_db: f64,
    /// Ratio (1 = no compression, up to 20).
    pub ratio: f64,
    /// Knee width, dB (0 = hard).
    pub knee_db: f64,
    /// Attack time constant, ms.
    pub attack_ms: f64,
    /// Release time constant, ms.
    pub release_ms: f64,
    /// Makeup gain, dB.
    #[serde(default)]
    pub makeup_db: f64,
}

/// Multiband compressor settings: `bands.len() == crossovers_hz.len() + 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultibandCompressorConfig {
    /// Crossover frequencies, Hz, increasing.
    pub crossovers_hz: Vec<f64>,
    /// One compressor per band, lowest first.
    pub bands: Vec<CompressorBand>,
}

impl CompressorBand {
    /// Checks every field's range.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.threshold_db"),
            self.threshold_db,
            -80.0,
            0.0,
            " dB",
        )?;
        check_range(&format!("{field}.ratio"), self.ratio, 1.0, 20.0, "")?;
        check_range(&format!("{field}.knee_db"), self.knee_db, 0.0, 24.0, " dB")?;
        check_range(
            &format!("{field}.attack_ms"),
            self.attack_ms,
            0.1,
            500.0,
            " ms",
        )?;
        check_range(
            &format!("{field}.release_ms"),
            self.release_ms,
            1.0,
            5000.0,
            " ms",
        )?;
        check_range(
            &format!("{field}.makeup_db"),
            self.makeup_db,
            -12.0,
            24.0,
            " dB",
        )
    }
}

impl MultibandCompressorConfig {
    /// Checks crossovers and one band per split.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        validate_crossovers(
            &format!("{field}.crossovers_hz"),
            &self.crossovers_hz,
            sample_rate_hz,
        )?;
        if self.bands.len() != self.crossovers_hz.len() + 1 {
            return Err(Error::Plan {
                field: format!("{field}.bands"),
                reason: format!(
                    "{} bands for {} crossovers (need one more band than crossovers)",
                    self.bands.len(),
                    self.crossovers_hz.len()
                ),
            });
        }
        for (i, b) in self.bands.iter().enumerate() {
            b.validate(&format!("{field}.bands[{i}]"))?;
        }
        Ok(())
    }
}

impl CompressorBand {
    /// True when the band changes nothing (ratio 1 and no makeup gain).
    pub fn is_identity(&self) -> bool {
        self.ratio == 1.0 && self.makeup_db == 0.0
    }

    /// Static gain reduction, dB (>= 0), at detector level `level_db`: the soft-knee gain
    /// computer of Giannoulis, Massberg & Reiss (2012), eq. 4, as `level_db - output_db`.
    pub fn static_reduction_db(&self, level_db: f64) -> f64 {
        Curve::new(self).reduction_db(level_db)
    }
}

/// `10 log10(2)`: dB per octave of power.
const DB_PER_LOG2_POWER: f64 = 3.010_299_956_639_812;
/// `log2(10) / 20`: octaves of amplitude per dB.
const LOG2_PER_DB: f64 = 0.166_096_404_744_368_1;
/// Smoothed gain reductions below this (dB) at the end of a chunk are flushed to zero: the
/// release tail ends there instead of decaying into denormals, and a band at rest needs no dB
/// arithmetic.
const GR_FLOOR_DB: f64 = 1e-9;
/// Detector power floor (-300 dB): keeps `log2` on normal numbers.
const MIN_POWER: f64 = 1e-30;
/// Samples per internal chunk: the stages of one chunk (crossover, levels, ballistics, gains)
/// run as separate loops over scratch buffers that stay in L1. Chunks are aligned to the
/// stream (sample `n` is in chunk `n / CHUNK` whatever the blocks), so the once-per-chunk
/// flush of tiny reductions happens at the same samples for any block size.
const CHUNK: usize = 128;

/// `a > b ? a : b` (a plain select the compiler vectorises; no NaN handling needed here).
#[inline(always)]
fn max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// `a < b ? a : b`.
#[inline(always)]
fn min(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// Static curve of one band in the form the per-sample loop uses.
#[derive(Debug, Clone, Copy)]
struct Curve {
    threshold_db: f64,
    knee_db: f64,
    /// `1 - 1/ratio`.
    slope: f64,
    /// `slope / (2 knee)` (0 for a hard knee).
    knee_coef: f64,
}

impl Curve {
    fn new(band: &CompressorBand) -> Self {
        let slope = 1.0 - 1.0 / band.ratio;
        Self {
            threshold_db: band.threshold_db,
            knee_db: band.knee_db,
            slope,
            knee_coef: if band.knee_db > 0.0 {
                slope / (2.0 * band.knee_db)
            } else {
                0.0
            },
        }
    }

    /// Giannoulis et al. (2012) eq. 4, as gain reduction `x_G - y_G` (dB, >= 0), without
    /// branches: the knee's quadratic on the clamped excess plus the line above the knee.
    #[inline(always)]
    fn reduction_db(&self, level_db: f64) -> f64 {
        let over = level_db - self.threshold_db;
        let half_knee = 0.5 * self.knee_db;
        let in_knee = min(max(over + half_knee, 0.0), self.knee_db);
        let above_knee = max(over - half_knee, 0.0);
        self.knee_coef * in_knee * in_knee + self.slope * above_knee
    }
}

/// One band's compressor: static curve, ballistics, makeup and the smoothed gain reduction.
#[derive(Debug, Clone, Copy)]
struct Band {
    curve: Curve,
    /// Detector power (`(L^2 + R^2) / 2`, linear) up to which the curve gives no reduction
    /// (the knee's lower end); infinite for ratio 1.
    knee_start_power: f64,
    /// One-pole coefficients `exp(-1 / (tau fs))` for rising and falling reduction.
    attack_coef: f64,
    release_coef: f64,
    makeup_gain: f64,
    /// Smoothed gain reduction, dB (>= 0): the compressor's state.
    reduction_db: f64,
}

impl Band {
    fn new(band: &CompressorBand, fs: f64) -> Self {
        let knee_start_power = if band.ratio > 1.0 {
            10f64.powf((band.threshold_db - 0.5 * band.knee_db) / 10.0)
        } else {
            f64::INFINITY
        };
        Self {
            curve: Curve::new(band),
            knee_start_power,
            attack_coef: (-1000.0 / (band.attack_ms * fs)).exp(),
            release_coef: (-1000.0 / (band.release_ms * fs)).exp(),
            makeup_gain: 10f64.powf(band.makeup_db / 20.0),
            reduction_db: 0.0,
        }
    }

    /// Target reduction (dB) for detector power `power`: exactly 0 up to the knee.
    #[inline(always)]
    fn target_db(&self, power: f64) -> f64 {
        let level_db = DB_PER_LOG2_POWER * fast_log2(max(power, MIN_POWER));
        let t = self.curve.reduction_db(level_db);
        if power > self.knee_start_power {
            t
        } else {
            0.0
        }
    }

    /// One step of the branching one-pole smoother from `prev` toward `target` (dB).
    #[inline(always)]
    fn smooth(&self, prev: f64, target: f64) -> f64 {
        let coef = if target > prev {
            self.attack_coef
        } else {
            self.release_coef
        };
        target + coef * (prev - target)
    }
}

/// `log2(x)` for normal positive `x`, absolute error below 2e-9 (6e-9 dB of power).
///
/// Splits `x = 2^e m` with `m` in `[sqrt(1/2), sqrt(2))` and evaluates
/// `ln m = 2 atanh(s)`, `s = (m - 1)/(m + 1)`, `|s| < 0.1716`, by its series to `s^9`
/// (the first omitted term is below 7e-10 in `ln m`). Integer and float steps only, so a loop
/// of it vectorises.
#[inline(always)]
fn fast_log2(x: f64) -> f64 {
    const MANTISSA: u64 = 0x000f_ffff_ffff_ffff;
    const ONE: u64 = 0x3ff0_0000_0000_0000;
    /// 2^52 as bits: OR-ing a small integer into the mantissa gives 2^52 + that integer.
    const TWO_52: u64 = 0x4330_0000_0000_0000;
    let bits = x.to_bits();
    // Biased exponent as a float without an int-to-float conversion (none for i64 in SSE2).
    let biased = f64::from_bits((bits >> 52) | TWO_52) - 4_503_599_627_370_496.0;
    let m = f64::from_bits((bits & MANTISSA) | ONE);
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let e = biased - if big { 1022.0 } else { 1023.0 };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    e + 2.0 * std::f64::consts::LOG2_E * s * series
}

/// `2^x`, relative error below 1e-8, for `x` within +-1000 (clamped there).
///
/// Rounds `x` to the nearest integer `n` by adding and subtracting 1.5 * 2^52 (whose bits then
/// hold `n` in the low mantissa bits, from which `2^n` is built), and evaluates
/// `2^f = e^(f ln 2)`, `|f| <= 1/2`, by its Taylor series to the 8th power (the first omitted
/// term is below 5e-10 relative). No libm call and no int/float conversion, so it vectorises.
#[inline(always)]
fn fast_exp2(x: f64) -> f64 {
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    let x = min(max(x, -1000.0), 1000.0);
    let shifted = x + ROUND;
    let n = shifted - ROUND;
    let t = (x - n) * std::f64::consts::LN_2;
    let poly = 1.0
        + t * (1.0
            + t * (1.0 / 2.0
                + t * (1.0 / 6.0
                    + t * (1.0 / 24.0
                        + t * (1.0 / 120.0
                            + t * (1.0 / 720.0 + t * (1.0 / 5040.0 + t * (1.0 / 40_320.0))))))));
    // Low bits of `shifted` are n (two's complement); n + 1023 shifted into the exponent field.
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    poly * scale
}

/// Detector powers `(l^2 + r^2) / 2` into `power`; true if any exceeds `knee_start_power`.
#[inline(always)]
fn powers(l: &[f64], r: &[f64], power: &mut [f64], knee_start_power: f64) -> bool {
    let mut above = 0u32;
    for ((p, &l), &r) in power.iter_mut().zip(l).zip(r) {
        *p = 0.5 * (l * l + r * r);
        above |= u32::from(*p > knee_start_power);
    }
    above != 0
}

/// Detector powers to target reductions (dB), in place.
#[inline(always)]
fn targets(band: &Band, work: &mut [f64]) {
    for w in work.iter_mut() {
        *w = band.target_db(*w);
    }
}

/// Smoothed reductions (dB) to linear reduction gains (1 for no reduction), in place.
#[inline(always)]
fn reduction_gains(work: &mut [f64]) {
    for w in work.iter_mut() {
        let g = fast_exp2(-LOG2_PER_DB * *w);
        *w = if *w == 0.0 { 1.0 } else { g };
    }
}

/// `out += makeup * gain * band`, both lanes.
#[inline(always)]
fn accumulate(
    makeup: f64,
    gain: &[f64],
    l: &[f64],
    r: &[f64],
    out_l: &mut [f64],
    out_r: &mut [f64],
) {
    let n = gain.len();
    let (l, r, out_l, out_r) = (&l[..n], &r[..n], &mut out_l[..n], &mut out_r[..n]);
    for i in 0..n {
        let g = makeup * gain[i];
        out_l[i] += g * l[i];
        out_r[i] += g * r[i];
    }
}

/// `out += gain * band`, both lanes.
#[inline(always)]
fn accumulate_constant(gain: f64, l: &[f64], r: &[f64], out_l: &mut [f64], out_r: &mut [f64]) {
    let n = l.len();
    let (r, out_l, out_r) = (&r[..n], &mut out_l[..n], &mut out_r[..n]);
    for i in 0..n {
        out_l[i] += gain * l[i];
        out_r[i] += gain * r[i];
    }
}

/// Scratch buffers of one chunk, per band (allocated once, in the constructor).
#[derive(Debug, Clone)]
struct Scratch {
    /// Band samples, two lanes.
    left: [[f64; CHUNK]; MAX_BANDS],
    right: [[f64; CHUNK]; MAX_BANDS],
    /// Detector power, then target reduction, then smoothed reduction (dB), per sample.
    work: [[f64; CHUNK]; MAX_BANDS],
    /// Sum of the bands after their gains.
    out: [[f64; CHUNK]; 2],
}

/// The multiband compressor.
///
/// The input is split by a [`Crossover`] (LR4 tree, bands summing to an all-pass); each band
/// has a feed-forward compressor and the bands are summed back.
///
/// Per band and per sample:
/// - **Detector**, stereo-linked by power: `level_db = 10 log10((L^2 + R^2) / 2)` of the band's
///   samples (mono input is treated as `L = R`). For identical channels this is the sample
///   peak level `20 log10 |x|`; a stereo sine whose channels are in quadrature reads as its
///   RMS level (a constant, so no ripple); a source panned by a constant-power law reads the
///   same wherever it is panned.
/// - **Gain computer**: the soft-knee curve of Giannoulis, Massberg & Reiss, "Digital Dynamic
///   Range Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012, eq. 4
///   (`threshold_db`, `ratio`, `knee_db`), giving the target reduction `x_G - y_G` in dB.
/// - **Ballistics**: the "smooth branching" peak detector of the same paper (eq. 17) applied
///   to the reduction in dB: a one-pole filter with coefficient `exp(-1 / (tau fs))`, `tau` =
///   `attack_ms` while the reduction rises and `release_ms` while it falls, so a step in the
///   target reaches `1 - 1/e` of its size after `tau`. A reduction still below 1e-9 dB at
///   the end of a 128-sample chunk is flushed to 0.
/// - **Gain**: `10^((makeup_db - reduction_db) / 20)`; the meter records the reduction alone.
///
/// The dB conversions use polynomial `log2`/`exp2` (errors below 1e-8 dB) in vectorised loops
/// over chunks of [`CHUNK`] samples; a band whose level stays below its knee with nothing left
/// to release skips them for the chunk, as do bands with ratio 1 (which cost only their share
/// of the crossover and the meter). When every band has ratio 1 and no makeup the compressor
/// passes its input through unchanged (no all-pass) and meters zeros. No latency.
#[derive(Debug, Clone)]
pub struct MultibandCompressor {
    crossover: Crossover,
    bands: [Band; MAX_BANDS],
    meters: Vec<GainReductionMeter>,
    scratch: Box<Scratch>,
    /// Samples of the current (stream-aligned) chunk already processed, `0..CHUNK`.
    in_chunk: usize,
    identity: bool,
}

impl MultibandCompressor {
    /// Validates `config` (fields under `compressor`) and builds the crossover and the band
    /// compressors for `sample_rate_hz`.
    pub fn new(config: &MultibandCompressorConfig, sample_rate_hz: u32) -> Result<Self> {
        config.validate("compressor", sample_rate_hz)?;
        let fs = f64::from(sample_rate_hz);
        let idle = CompressorBand {
            threshold_db: 0.0,
            ratio: 1.0,
            knee_db: 0.0,
            attack_ms: 1.0,
            release_ms: 1.0,
            makeup_db: 0.0,
        };
        let mut bands = [Band::new(&idle, fs); MAX_BANDS];
        for (b, c) in bands.iter_mut().zip(&config.bands) {
            *b = Band::new(c, fs);
        }
        Ok(Self {
            crossover: Crossover::new(&config.crossovers_hz, sample_rate_hz)?,
            bands,
            meters: (0..config.bands.len())
                .map(|_| GainReductionMeter::new(fs))
                .collect(),
            scratch: Box::new(Scratch {
                left: [[0.0; CHUNK]; MAX_BANDS],
                right: [[0.0; CHUNK]; MAX_BANDS],
                work: [[0.0; CHUNK]; MAX_BANDS],
                out: [[0.0; CHUNK]; 2],
            }),
            in_chunk: 0,
            identity: config.bands.iter().all(CompressorBand::is_identity),
        })
    }

    /// Gain reduction of each band over everything processed since construction or
    /// [`Processor::reset`], lowest band first: one value per 10 ms hop (a partial last hop
    /// included), in dB, positive = reduction, makeup gain not included.
    pub fn gain_reduction(&self) -> Vec<GainReductionTrace> {
        self.meters.iter().map(|m| m.clone().finish()).collect()
    }

    /// One chunk (at most [`CHUNK`] samples) of a tree of `B` bands, in place; `right` is
    /// `None` for mono.
    fn run_chunk<const B: usize>(&mut self, left: &mut [f32], right: Option<&mut [f32]>) {
        let n = left.len();
        debug_assert!(n <= CHUNK);
        let sc = &mut *self.scratch;
        {
            let (sl, sr) = (&mut sc.left, &mut sc.right);
            let (inl, inr) = (&*left, right.as_deref().unwrap_or(&*left));
            self.crossover.run_bands::<B>(
                n,
                |i| [f64::from(inl[i]), f64::from(inr[i])],
                |i, bands| {
                    for k in 0..B {
                        sl[k][i] = bands[k][0];
                        sr[k][i] = bands[k][1];
                    }
                },
            );
        }
        let mut bands = [self.bands[0]; B];
        bands.copy_from_slice(&self.bands[..B]);

        // Target reductions per band; a band below its knee with nothing to release stays at
        // rest for the chunk (its reduction is 0 throughout, as the full path would give).
        let mut active = [false; B];
        for k in 0..B {
            let w = &mut sc.work[k][..n];
            active[k] = powers(
                &sc.left[k][..n],
                &sc.right[k][..n],
                w,
                bands[k].knee_start_power,
            ) || bands[k].reduction_db > 0.0;
            if active[k] {
                targets(&bands[k], w);
            } else {
                w.fill(0.0);
            }
        }

        // Ballistics: the only recurrence, all bands in one loop (independent chains overlap).
        if active.iter().any(|&a| a) {
            let mut prev = [0.0; B];
            for k in 0..B {
                prev[k] = bands[k].reduction_db;
            }
            for i in 0..n {
                for k in 0..B {
                    prev[k] = bands[k].smooth(prev[k], sc.work[k][i]);
                    sc.work[k][i] = prev[k];
                }
            }
            for k in 0..B {
                self.bands[k].reduction_db = prev[k];
            }
        }

        // Gains, the band sum and the meters.
        let [out_l, out_r] = &mut sc.out;
        let (out_l, out_r) = (&mut out_l[..n], &mut out_r[..n]);
        out_l.fill(0.0);
        out_r.fill(0.0);
        for k in 0..B {
            let (l, r, w) = (&sc.left[k][..n], &sc.right[k][..n], &mut sc.work[k][..n]);
            let meter = &mut self.meters[k];
            if active[k] {
                reduction_gains(w);
                accumulate(bands[k].makeup_gain, w, l, r, out_l, out_r);
                for &g in w.iter() {
                    meter.push(g);
                }
            } else {
                accumulate_constant(bands[k].makeup_gain, l, r, out_l, out_r);
                for _ in 0..n {
                    meter.push(1.0);
                }
            }
        }
        for (y, &v) in left.iter_mut().zip(out_l.iter()) {
            *y = v as f32;
        }
        if let Some(right) = right {
            for (y, &v) in right.iter_mut().zip(out_r.iter()) {
                *y = v as f32;
            }
        }
    }

    /// All chunks of a block for a tree of `B` bands.
    fn run<const B: usize>(&mut self, left: &mut [f32], mut right: Option<&mut [f32]>) {
        if let Some(r) = right.as_deref() {
            assert_eq!(
                left.len(),
                r.len(),
                "channels of one block differ in length"
            );
        }
        let mut start = 0;
        while start < left.len() {
            let end = (start + CHUNK - self.in_chunk).min(left.len());
            let r = right.as_deref_mut().map(|r| &mut r[start..end]);
            self.run_chunk::<B>(&mut left[start..end], r);
            self.in_chunk = (self.in_chunk + end - start) % CHUNK;
            if self.in_chunk == 0 {
                for b in &mut self.bands[..B] {
                    if b.reduction_db < GR_FLOOR_DB {
                        b.reduction_db = 0.0;
                    }
                }
            }
            start = end;
        }
    }
}

impl Processor for MultibandCompressor {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        if self.identity {
            let frames = channels.first().map_or(0, |c| c.len());
            for m in &mut self.meters {
                for _ in 0..frames {
                    m.push(1.0);
                }
            }
            return;
        }
        let (left, right) = match channels {
            [l] => (&mut **l, None),
            [l, r, ..] => (&mut **l, Some(&mut **r)),
            [] => return,
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
        for b in &mut self.bands {
            b.reduction_db = 0.0;
        }
        self.in_chunk = 0;
        for m in &mut self.meters {
            m.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_log2_is_within_2e_9_of_libm() {
        let mut worst = 0.0f64;
        let mut x = 1e-12;
        while x < 1e6 {
            worst = worst.max((fast_log2(x) - x.log2()).abs());
            x *= 1.000_37;
        }
        for x in [
            1.0,
            2.0,
            0.5,
            std::f64::consts::SQRT_2,
            1.414_213_562_373_096,
        ] {
            worst = worst.max((fast_log2(x) - x.log2()).abs());
        }
        assert!(worst < 2e-9, "worst {worst}");
    }

    #[test]
    fn fast_exp2_is_within_1e_8_relative_of_libm() {
        let mut worst = 0.0f64;
        let mut x: f64 = -60.0;
        while x < 20.0 {
            let want = x.exp2();
            worst = worst.max((fast_exp2(x) - want).abs() / want);
            x += 0.000_913;
        }
        assert!(worst < 1e-8, "worst {worst}");
        assert_eq!(fast_exp2(0.0), 1.0);
        assert_eq!(fast_exp2(-3.0), 0.125);
    }

    #[test]
    fn gain_computer_is_continuous_at_the_knee_edges() {
        let band = CompressorBand {
            threshold_db: -20.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 5.0,
            release_ms: 50.0,
            makeup_db: 0.0,
        };
        for edge in [-23.0, -17.0] {
            let lo = band.static_reduction_db(edge - 1e-9);
            let hi = band.static_reduction_db(edge + 1e-9);
            assert!((lo - hi).abs() < 1e-8, "{edge}: {lo} vs {hi}");
        }
        assert_eq!(band.static_reduction_db(-23.0), 0.0);
        assert!((band.static_reduction_db(-17.0) - 3.0 * 0.75).abs() < 1e-12);
        assert!((band.static_reduction_db(-20.0) - 0.75 * 9.0 / 12.0).abs() < 1e-12);
    }
}
