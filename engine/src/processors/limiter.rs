//! True-peak limiter: stereo-linked brickwall with lookahead, 8x true-peak detection, a
//! smooth attack that completes before each peak and a one-pole release.
use serde::{Deserialize, Serialize};

use super::check_range;
use super::truepeak::{TruePeakDetector, TAPS};
use super::{GainReductionMeter, GainReductionTrace, Processor};
use crate::Result;

/// Limiter settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimiterConfig {
    /// Ceiling the output's true peak never exceeds, dBTP.
    pub ceiling_dbtp: f64,
    /// Lookahead, ms (also the attack time).
    #[serde(default = "default_lookahead")]
    pub lookahead_ms: f64,
    /// Release time constant, ms (one-pole on the linear gain: a 3 dB reduction recovers
    /// to within 1 dB of unity in about this time).
    #[serde(default = "default_release")]
    pub release_ms: f64,
}

fn default_lookahead() -> f64 {
    5.0
}

fn default_release() -> f64 {
    150.0
}

impl LimiterConfig {
    /// Checks ceiling -20..=0 dBTP, lookahead 1..=20 ms, release 10..=2000 ms.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.ceiling_dbtp"),
            self.ceiling_dbtp,
            -20.0,
            0.0,
            " dBTP",
        )?;
        check_range(
            &format!("{field}.lookahead_ms"),
            self.lookahead_ms,
            1.0,
            20.0,
            " ms",
        )?;
        check_range(
            &format!("{field}.release_ms"),
            self.release_ms,
            10.0,
            2000.0,
            " ms",
        )
    }
}

/// Frames per internal chunk (the size of the scratch buffers).
const CHUNK: usize = 4096;
/// Shortest chunk whose two channels are detected in parallel, frames.
const PARALLEL_MIN: usize = 1024;

/// Samples on each side of a gain's sample that are guaranteed to require at least as
/// much reduction: half the detector's window, so the gain is flat across the core of
/// the interpolation kernel around each peak.
pub const HOLD: usize = 12;

/// Half the detector's window.
const HALF: usize = TAPS / 2;
/// Intervals the fast detector evaluates together.
const LANES: usize = 8;
/// Allowance for evaluating the detector in f32 (relative).
const F32_SLACK: f64 = 1e-5;

/// Taps of the Nyquist-band filter that measures the content the detector cannot see.
const HF_TAPS: usize = 17;
/// Samples after an interval the Nyquist-band envelope looks.
const HF_AHEAD: usize = 32;
/// Time before an interval the Nyquist-band envelope remembers, ms.
const HF_BEHIND_MS: f64 = 100.0;
/// Allowance for the gain's modulation of content near Nyquist (see [`Limiter`]), times
/// the amplitude of that content.
const NEAR_GAIN: f64 = 2.0;
/// Width of the band below Nyquist the modulation allowance covers: this over the
/// lookahead in ms, Hz (the attack ramp's bandwidth), at least [`NEAR_MIN_HZ`].
const NEAR_HZ_MS: f64 = 2000.0;
/// Narrowest band the modulation allowance covers, Hz.
const NEAR_MIN_HZ: f64 = 500.0;
/// Samples after an interval the detection reads (`>=` the detector's 11).
const DETECT_AHEAD: usize = HF_TAPS / 2 + HF_AHEAD;
/// Samples before the newest one the detection reads.
const DETECT_BACK: usize = DETECT_AHEAD + HALF;

/// Extra margin below the ceiling, dB: rounding of the gain and the f32 output, and the
/// intersample effect of the gain's own movement (a smooth gain spreads the spectrum by
/// a few hundred hertz; it matters only for content near Nyquist, which the Nyquist-band
/// allowance already over-counts).
const EXTRA_MARGIN_DB: f64 = 0.02;

/// Release snaps to its target once within this distance (linear gain, -120 dB), so the
/// limiter returns to an exact pass-through after a release.
const SNAP: f64 = 1e-6;

/// Sliding-window minimum of the last `window` pushed values in O(1) amortised time
/// without data-dependent branches (van Herk / Gil-Werman, streaming): the pushes are cut
/// into blocks of `window`; the minimum of the window ending in the current block is the
/// minimum of the current block's prefix and the previous block's suffix from the same
/// offset. Each completed block's suffix minima cost one backward pass.
#[derive(Debug, Clone)]
struct SlidingMin<T> {
    /// Values of the current block.
    block: Vec<T>,
    /// Suffix minima of the previous block.
    suffix: Vec<T>,
    prefix: T,
    pos: usize,
    /// Value standing for the pushes before the first (not below any real value).
    fill: T,
}

impl<T: Copy + PartialOrd> SlidingMin<T> {
    fn new(window: usize, fill: T) -> Self {
        Self {
            block: vec![fill; window],
            suffix: vec![fill; window],
            prefix: fill,
            pos: 0,
            fill,
        }
    }

    fn clear(&mut self) {
        self.block.fill(self.fill);
        self.suffix.fill(self.fill);
        self.prefix = self.fill;
        self.pos = 0;
    }

    /// Pushes `v` and returns the minimum of the last `window` pushes (the pushes before
    /// the first count as `fill`).
    #[inline]
    fn push(&mut self, v: T) -> T {
        let w = self.block.len();
        let pos = self.pos;
        self.block[pos] = v;
        self.prefix = if pos == 0 || v < self.prefix {
            v
        } else {
            self.prefix
        };
        let min = if pos + 1 < w && self.suffix[pos + 1] < self.prefix {
            self.suffix[pos + 1]
        } else {
            self.prefix
        };
        self.pos += 1;
        if self.pos == w {
            self.pos = 0;
            let mut m = self.block[w - 1];
            for j in (0..w).rev() {
                if self.block[j] < m {
                    m = self.block[j];
                }
                self.suffix[j] = m;
            }
        }
        min
    }
}

/// Moving sum over the last `len` pushed integers (exact: no drift).
#[derive(Debug, Clone)]
struct MovingSum {
    ring: Vec<i64>,
    pos: usize,
    sum: i64,
    fill: i64,
}

impl MovingSum {
    /// A sum whose history is `len` copies of `fill`.
    fn new(len: usize, fill: i64) -> Self {
        Self {
            ring: vec![fill; len],
            pos: 0,
            sum: fill * len as i64,
            fill,
        }
    }

    fn clear(&mut self) {
        self.ring.fill(self.fill);
        self.pos = 0;
        self.sum = self.fill * self.ring.len() as i64;
    }

    #[inline]
    fn push(&mut self, v: i64) -> i64 {
        let old = std::mem::replace(&mut self.ring[self.pos], v);
        self.sum = self.sum - old + v;
        self.pos += 1;
        if self.pos == self.ring.len() {
            self.pos = 0;
        }
        self.sum
    }
}

/// The [`TruePeakDetector`]'s filters evaluated in f32 for [`LANES`] consecutive
/// intervals at once (vectorised across time rather than across phases): the same taps
/// and the same points, checked against [`TruePeakDetector::interval_peak`] in the tests.
#[derive(Debug, Clone)]
struct FastDetector {
    /// Per half-tap row: symmetric parts of phases 1..=4.
    sym: [[f32; 4]; HALF],
    /// Per half-tap row: antisymmetric parts of phases 1..=3.
    anti: [[f32; 3]; HALF],
}

impl FastDetector {
    fn new(det: &TruePeakDetector) -> Self {
        let mut sym = [[0.0; 4]; HALF];
        let mut anti = [[0.0; 3]; HALF];
        for k in 1..=4 {
            let h = det.phase_taps(k);
            for m in 0..HALF {
                sym[m][k - 1] = (0.5 * (h[m] + h[TAPS - 1 - m])) as f32;
                if k < 4 {
                    anti[m][k - 1] = (0.5 * (h[m] - h[TAPS - 1 - m])) as f32;
                }
            }
        }
        Self { sym, anti }
    }

    /// `out[i]` = the true peak of the window `x[i..i + TAPS]`, i.e. of its interval
    /// between `x[i + HALF - 1]` and `x[i + HALF]`. `out.len()` is a multiple of
    /// [`LANES`] and `x.len() == out.len() + TAPS - 1`.
    fn peaks(&self, x: &[f32], out: &mut [f32]) {
        assert!(out.len() % LANES == 0 && x.len() == out.len() + TAPS - 1);
        for (b, out) in out.chunks_exact_mut(LANES).enumerate() {
            let x = &x[b * LANES..b * LANES + LANES + TAPS - 1];
            let mut s = [[0.0f32; LANES]; 4];
            let mut a = [[0.0f32; LANES]; 3];
            for m in 0..HALF {
                let lo: &[f32; LANES] = x[m..m + LANES].try_into().expect("lanes");
                let hi: &[f32; LANES] = x[TAPS - 1 - m..TAPS - 1 - m + LANES]
                    .try_into()
                    .expect("lanes");
                let cs = self.sym[m];
                let ca = self.anti[m];
                for i in 0..LANES {
                    let xs = lo[i] + hi[i];
                    let xa = lo[i] - hi[i];
                    for p in 0..4 {
                        s[p][i] += cs[p] * xs;
                    }
                    for p in 0..3 {
                        a[p][i] += ca[p] * xa;
                    }
                }
            }
            let centre: &[f32; LANES] = x[HALF..HALF + LANES].try_into().expect("lanes");
            for i in 0..LANES {
                let mut peak = centre[i].abs();
                for p in 0..3 {
                    let v = s[p][i].abs() + a[p][i].abs();
                    peak = if v > peak { v } else { peak };
                }
                let v = s[3][i].abs();
                out[i] = if v > peak { v } else { peak };
            }
        }
    }
}

/// The Nyquist-band filter: a Blackman window modulated by `(-1)^n`, unit gain at
/// Nyquist, -58 dB below 0.6 Nyquist, 0.16 at 0.8 Nyquist. Its taps alternate in sign
/// with absolute sum 1.
fn hf_taps() -> [f32; HF_TAPS] {
    let n = HF_TAPS as f64 + 1.0;
    let w: [f64; HF_TAPS] = std::array::from_fn(|i| {
        let t = 2.0 * std::f64::consts::PI * (i as f64 + 1.0) / n;
        0.42 - 0.5 * t.cos() + 0.08 * (2.0 * t).cos()
    });
    let sum: f64 = w.iter().sum();
    std::array::from_fn(|i| {
        let sign = if (i + HF_TAPS / 2) % 2 == 0 {
            1.0
        } else {
            -1.0
        };
        (sign * w[i] / sum) as f32
    })
}

/// Lookahead true-peak limiter, stereo-linked (one gain for all channels).
///
/// Signal path, per base-rate interval `c` (the span from sample `c-1` to sample `c`):
/// 1. `p[c]`: a bound on the interval's 8x true peak over the channels: the
///    [`TruePeakDetector`]'s reading plus an allowance for what it cannot see (below).
/// 2. `r[c] = min(1, ceiling / p[c])`, rounded down to a fixed-point integer.
/// 3. `m[c]`: the minimum of `r` over the last `W = L + 2H` intervals (`L` = lookahead
///    samples, `H` = [`HOLD`]), by a streaming van Herk / Gil-Werman minimum.
/// 4. `s[c]`: `m` smoothed by two cascaded moving averages of lengths `L1 + L2 - 1 = L`
///    (an S-shaped attack ramp of exactly `L` samples), in exact integer arithmetic: no
///    drift, and exactly 1 whenever nothing is limited.
/// 5. `g[c]`: a one-pole release: falls with `s` at once, rises toward it with the
///    release time constant (snapping the last 1e-6), so `g <= s` always.
/// 6. `g[c]` multiplies input sample `c - L + 1 - H`: the latency is
///    `DETECT_AHEAD + L - 1 + H` samples (the detection reads 40 samples past `c`).
///
/// **Bound.** `s[c] = sum_k w_k m[c-k]` over `k = 0..L` with `w_k >= 0`, `sum w_k = 1`.
/// Each `m[c-k]` is the minimum of `r` over `[c-k-W+1, c-k]`, and every index `j` in
/// `[c-W+1, c-L+1]` lies in all of these windows (`k <= L-1`), so `m[c-k] <= r[j]` for all
/// `k`, hence `s[c] <= r[j]` and `g[c] <= r[j]`. With `W = L + 2H` that range is
/// `[j0 - H, j0 + H]` around the sample `j0 = c - L + 1 - H` the gain is applied to: every
/// interval within `H` samples of a sample requires at least the reduction applied to
/// it. So the attack completes before each peak, and around the loudest interval of a
/// region the gain is flat at its required value across the detector's whole window.
///
/// **Detection.** The detector's phases are minimax fractional-delay filters, exact
/// within `u` ([`TruePeakDetector::worst_underestimate`], 1.1 %) below 0.9 Nyquist but
/// blind at Nyquist (the middle phase's error reaches 100 % there). Above 0.86 Nyquist
/// every phase's error magnitude stays below the magnitude response of the
/// Nyquist-band filter `f` ([`HF_TAPS`] taps, unit gain at Nyquist; checked in the
/// tests), so the error there is bounded by the amplitude of `f * x`. That band is
/// narrow, so its samples show its amplitude within half a beat period: the allowance is
/// the largest `|f * x|` from `HF_BEHIND_MS` before to `HF_AHEAD` samples after the
/// interval. A second allowance covers the gain itself: a moving gain spreads each
/// component by the gain's bandwidth (about `2 / lookahead`), and content that close to
/// Nyquist then folds over it, so its intersample peaks no longer follow `g * x`. That
/// allowance is `NEAR_GAIN` times the content within `2 / lookahead` (at least 500 Hz)
/// of Nyquist, measured by three moving averages of the Nyquist-demodulated signal.
/// Hence `p = (1 + u) * detector + max (|f * x| + 2 |near|)`. For music, with little
/// content above 17 kHz, the allowances cost a few hundredths of a dB; for white noise
/// about 1.5 dB of extra reduction, for a lone one-sample click about 1.2 dB.
///
/// **Limits.** A steady tone within about 20 Hz of Nyquist beats so slowly that its
/// samples can sit near the zero of its envelope for longer than any lookahead while its
/// intersample peaks stay at full amplitude: no finite lookahead can tell it from a far
/// smaller tone, and its overs pass until the envelope's next crest is in view. Naive
/// (aliased) square waves whose harmonics fold within a few hertz of Nyquist are the
/// practical case; the tests exclude those and cover everything else.
#[derive(Debug, Clone)]
pub struct Limiter {
    ceiling: f64,
    lookahead: usize,
    delay: usize,
    /// History kept before each chunk: the larger of the delay and the detection's reach.
    hist: usize,
    one: i64,
    denom: i64,
    inv_denom: f64,
    release_coef: f64,
    detector_scale: f32,
    fast: FastDetector,
    hf: [f32; HF_TAPS],
    /// Per channel: `hist` samples of history, then up to `CHUNK` new samples (and slack
    /// for the detector's last block).
    buf: [Vec<f32>; 2],
    peaks: [Vec<f32>; 2],
    hf_abs: [Vec<f32>; 2],
    /// The inputs of the three moving averages over the last `near_len` samples, and
    /// their running sums, per stage and channel.
    near_ring: Vec<[[f64; 2]; 3]>,
    near_sum: [[f64; 2]; 3],
    near_pos: usize,
    near_scale: f64,
    /// Sign of the next Nyquist demodulation, +-1 (alternates every sample).
    near_sign: f64,
    required: Vec<i64>,
    gains: Vec<f64>,
    hf_env: SlidingMin<f32>,
    min: SlidingMin<i64>,
    avg1: MovingSum,
    avg2: MovingSum,
    env: f64,
    meter: GainReductionMeter,
}

impl Limiter {
    /// A limiter for `config` at `sample_rate_hz`; validates the config.
    pub fn new(config: &LimiterConfig, sample_rate_hz: u32) -> Result<Self> {
        config.validate("limiter")?;
        let fs = f64::from(sample_rate_hz);
        let detector = TruePeakDetector::new();
        let lookahead = ((config.lookahead_ms * 1e-3 * fs).round() as usize).max(1);
        let l1 = lookahead.div_ceil(2);
        let l2 = lookahead + 1 - l1;
        // Fixed point: the cascaded sums reach l1 * l2 * one < 2^63.
        let bits = 64 - ((l1 * l2) as u64).leading_zeros();
        let one = 1i64 << (63 - bits);
        let delay = DETECT_AHEAD.max(detector.delay_samples()) + lookahead - 1 + HOLD;
        let hist = delay.max(DETECT_BACK);
        let hf_behind = (HF_BEHIND_MS * 1e-3 * fs).round() as usize;
        // Three cascaded moving averages of length 0.255 fs / B pass +-B at -3 dB.
        let near_hz = (NEAR_HZ_MS / config.lookahead_ms).max(NEAR_MIN_HZ);
        let near_len = ((0.255 * fs / near_hz).round() as usize).max(1);
        let ceiling = 10f64.powf((config.ceiling_dbtp - EXTRA_MARGIN_DB) / 20.0);
        let release_coef = (-1.0 / (config.release_ms * 1e-3 * fs)).exp();
        Ok(Self {
            ceiling,
            lookahead,
            delay,
            hist,
            one,
            denom: one * (l1 * l2) as i64,
            inv_denom: 1.0 / (one as f64 * (l1 * l2) as f64),
            release_coef,
            detector_scale: (1.0 + detector.worst_underestimate() + F32_SLACK) as f32,
            fast: FastDetector::new(&detector),
            hf: hf_taps(),
            buf: std::array::from_fn(|_| vec![0.0; hist + CHUNK + LANES]),
            peaks: std::array::from_fn(|_| vec![0.0; CHUNK + LANES]),
            hf_abs: std::array::from_fn(|_| vec![0.0; CHUNK]),
            near_ring: vec![[[0.0; 2]; 3]; near_len],
            near_sum: [[0.0; 2]; 3],
            near_pos: 0,
            near_scale: NEAR_GAIN / (near_len as f64).powi(3),
            near_sign: 1.0,
            required: vec![0; CHUNK],
            gains: vec![1.0; CHUNK],
            hf_env: SlidingMin::new(hf_behind + 1 + HF_AHEAD, 0.0),
            min: SlidingMin::new(lookahead + 2 * HOLD, one),
            avg1: MovingSum::new(l1, one),
            avg2: MovingSum::new(l2, one * l1 as i64),
            env: 1.0,
            meter: GainReductionMeter::new(fs),
        })
    }

    /// Lookahead in samples (the attack ramp's length).
    pub fn lookahead_samples(&self) -> usize {
        self.lookahead
    }

    /// The gain reduction so far: the largest per 10 ms hop of the output, in dB, from the
    /// first processed sample (so including the latency, which the renderer trims).
    pub fn gain_reduction(&self) -> GainReductionTrace {
        self.meter.clone().finish()
    }

    /// Detector peaks and Nyquist-band magnitudes of the `k` newest intervals of every
    /// channel; two channels in parallel (rayon) once the chunk is long enough to pay for it.
    fn detect_all(&mut self, k: usize, channels: usize) {
        let Limiter {
            fast,
            hf,
            hist,
            buf,
            peaks,
            hf_abs,
            ..
        } = self;
        let (fast, hf, hist) = (&*fast, &*hf, *hist);
        match (channels, &buf[..], &mut peaks[..], &mut hf_abs[..]) {
            (2, [b0, b1], [p0, p1], [h0, h1]) if k >= PARALLEL_MIN => {
                rayon::join(
                    || detect(fast, hf, hist, b0, p0, h0, k),
                    || detect(fast, hf, hist, b1, p1, h1, k),
                );
            }
            _ => {
                for ch in 0..channels {
                    detect(fast, hf, hist, &buf[ch], &mut peaks[ch], &mut hf_abs[ch], k);
                }
            }
        }
    }

    /// Combines the channels into `peaks[0]` and `hf_abs[0]`, adding to the latter
    /// `NEAR_GAIN` times the content within `near_hz` of Nyquist: the Nyquist-demodulated
    /// signal through three cascaded moving averages (sidelobes below -40 dB). Both
    /// channels run as the two lanes of each sum (a mono input fills both).
    fn combine(&mut self, k: usize, channels: usize) {
        let c = self.hist - DETECT_AHEAD + HF_AHEAD;
        let scale = self.near_scale;
        let right = channels - 1;
        let x0 = &self.buf[0][c..c + k];
        let x1 = &self.buf[right][c..c + k];
        let [h0, h1] = &mut self.hf_abs;
        let h1 = &h1[..k];
        let ring = &mut self.near_ring;
        let len = ring.len();
        let mut sums = self.near_sum;
        let mut sign = self.near_sign;
        let mut pos = self.near_pos;
        for i in 0..k {
            let v = [sign * f64::from(x0[i]), sign * f64::from(x1[i])];
            let old = ring[pos];
            let mut next = [[0.0; 2]; 3];
            for lane in 0..2 {
                let s0 = sums[0][lane] + v[lane] - old[0][lane];
                let s1 = sums[1][lane] + s0 - old[1][lane];
                let s2 = sums[2][lane] + s1 - old[2][lane];
                next[0][lane] = s0;
                next[1][lane] = s1;
                next[2][lane] = s2;
            }
            ring[pos] = [v, next[0], next[1]];
            sums = next;
            pos = if pos + 1 == len { 0 } else { pos + 1 };
            sign = -sign;
            let hb = if channels == 2 { h1[i] } else { h0[i] };
            let a0 = h0[i] + (sums[2][0].abs() * scale) as f32;
            let a1 = hb + (sums[2][1].abs() * scale) as f32;
            h0[i] = if a1 > a0 { a1 } else { a0 };
        }
        self.near_sum = sums;
        self.near_sign = sign;
        self.near_pos = pos;
        if channels == 2 {
            let [p0, p1] = &mut self.peaks;
            for (a, &b) in p0[..k].iter_mut().zip(&p1[..k]) {
                *a = if b > *a { b } else { *a };
            }
        }
    }

    /// Gains for the `k` newest (combined) intervals into `self.gains[..k]`.
    fn gains_for(&mut self, k: usize) {
        // Nyquist-band envelope over its window, then the safe peak.
        for (p, &h) in self.peaks[0][..k].iter_mut().zip(&self.hf_abs[0][..k]) {
            let env = -self.hf_env.push(-h);
            *p = *p * self.detector_scale + env;
        }
        // Required gains in fixed point, rounded down.
        let (ceiling, one, onef) = (self.ceiling, self.one, self.one as f64);
        for (r, &p) in self.required[..k].iter_mut().zip(&self.peaks[0][..k]) {
            let p = f64::from(p);
            *r = if p > ceiling {
                ((ceiling / p) * onef) as i64
            } else {
                one
            };
        }
        for (g, &r) in self.gains[..k].iter_mut().zip(&self.required[..k]) {
            let m = self.min.push(r);
            let s1 = self.avg1.push(m);
            let s2 = self.avg2.push(s1);
            let s = if s2 == self.denom {
                1.0
            } else {
                s2 as f64 * self.inv_denom
            };
            let env = if s <= self.env {
                s
            } else {
                let e = s - (s - self.env) * self.release_coef;
                if s - e < SNAP {
                    s
                } else {
                    e
                }
            };
            self.env = env;
            *g = env;
        }
    }
}

/// Detector peaks and Nyquist-band magnitudes `|f * x|` for the `k` newest intervals of
/// one channel's buffer `buf` (`hist` samples of history first).
fn detect(
    fast: &FastDetector,
    f: &[f32; HF_TAPS],
    hist: usize,
    buf: &[f32],
    peaks: &mut [f32],
    hf_abs: &mut [f32],
    k: usize,
) {
    // The first new interval, as a buffer index.
    let c0 = hist - DETECT_AHEAD;
    let kp = k.next_multiple_of(LANES);
    fast.peaks(&buf[c0 - HALF..c0 + kp + HALF - 1], &mut peaks[..kp]);
    // At the samples HF_AHEAD after each interval.
    let x = &buf[c0 + HF_AHEAD - HF_TAPS / 2..c0 + HF_AHEAD + k + HF_TAPS / 2];
    for (i, a) in hf_abs[..k].iter_mut().enumerate() {
        let w = &x[i..i + HF_TAPS];
        let mut acc = f[HF_TAPS / 2] * w[HF_TAPS / 2];
        for t in 0..HF_TAPS / 2 {
            acc += f[t] * (w[t] + w[HF_TAPS - 1 - t]);
        }
        *a = acc.abs();
    }
}

impl Processor for Limiter {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let nch = channels.len();
        assert!((1..=2).contains(&nch), "limiter: 1 or 2 channels");
        let len = channels[0].len();
        assert!(
            channels.iter().all(|c| c.len() == len),
            "limiter: channel lengths"
        );
        let (h, d) = (self.hist, self.delay);
        let mut start = 0;
        while start < len {
            let k = (len - start).min(CHUNK);
            for (ch, x) in channels.iter().enumerate() {
                self.buf[ch][h..h + k].copy_from_slice(&x[start..start + k]);
            }
            self.detect_all(k, nch);
            self.combine(k, nch);
            self.gains_for(k);
            for (ch, x) in channels.iter_mut().enumerate() {
                let buf = &mut self.buf[ch];
                for ((y, &s), &g) in x[start..start + k]
                    .iter_mut()
                    .zip(&buf[h - d..h - d + k])
                    .zip(&self.gains[..k])
                {
                    *y = (f64::from(s) * g) as f32;
                }
                buf.copy_within(k..k + h, 0);
            }
            for &g in &self.gains[..k] {
                self.meter.push(g);
            }
            start += k;
        }
    }

    fn reset(&mut self) {
        for b in &mut self.buf {
            b.fill(0.0);
        }
        self.near_ring.fill([[0.0; 2]; 3]);
        self.near_sum = [[0.0; 2]; 3];
        self.near_pos = 0;
        self.near_sign = 1.0;
        self.hf_env.clear();
        self.min.clear();
        self.avg1.clear();
        self.avg2.clear();
        self.env = 1.0;
        self.meter.reset();
    }

    fn latency_samples(&self) -> usize {
        self.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    fn config() -> LimiterConfig {
        LimiterConfig {
            ceiling_dbtp: -1.0,
            lookahead_ms: 5.0,
            release_ms: 150.0,
        }
    }

    #[test]
    fn fast_detector_matches_the_true_peak_detector() {
        let det = TruePeakDetector::new();
        let fast = FastDetector::new(&det);
        let mut state = 7;
        let n = 256;
        let x: Vec<f32> = (0..n + TAPS - 1)
            .map(|_| (2.0 * lcg(&mut state) - 1.0) as f32)
            .collect();
        let mut out = vec![0.0f32; n];
        fast.peaks(&x, &mut out);
        for (i, &p) in out.iter().enumerate() {
            let reference = det.interval_peak(&x[i..i + TAPS]);
            let rel = (f64::from(p) - reference).abs() / reference;
            assert!(rel < 1e-6, "interval {i}: {p} vs {reference}");
        }
    }

    #[test]
    fn sliding_min_matches_a_plain_minimum() {
        let mut state = 3;
        for window in [1, 2, 5, 64, 100] {
            let mut min = SlidingMin::<i64>::new(window, i64::MAX);
            let v: Vec<i64> = (0..2000).map(|_| (lcg(&mut state) * 50.0) as i64).collect();
            for n in 0..v.len() {
                let got = min.push(v[n]);
                let want = *v[n.saturating_sub(window - 1)..=n].iter().min().unwrap();
                assert_eq!(got, want, "window {window}, n {n}");
            }
        }
    }

    /// Error magnitude of phase `k`'s filter against the ideal fractional delay at `w`.
    fn phase_error(det: &TruePeakDetector, k: usize, w: f64) -> f64 {
        let h = det.phase_taps(k);
        let d = k as f64 / 8.0;
        let (mut re, mut im) = (0.0, 0.0);
        for (m, &h) in h.iter().enumerate() {
            let tau = m as f64 - HALF as f64 + 1.0 - d;
            re += h * (w * tau).cos();
            im += h * (w * tau).sin();
        }
        ((re - 1.0).powi(2) + im * im).sqrt()
    }

    #[test]
    fn nyquist_band_filter_covers_the_detector_error() {
        let f = hf_taps();
        let abs_sum: f64 = f.iter().map(|&v| f64::from(v).abs()).sum();
        assert!((abs_sum - 1.0).abs() < 1e-6);
        let response = |w: f64| -> f64 {
            let (mut re, mut im) = (0.0, 0.0);
            for (t, &v) in f.iter().enumerate() {
                let n = t as f64 - (HF_TAPS / 2) as f64;
                re += f64::from(v) * (w * n).cos();
                im += f64::from(v) * (w * n).sin();
            }
            (re * re + im * im).sqrt()
        };
        assert!((response(PI) - 1.0).abs() < 1e-6);
        assert!(response(0.6 * PI) < 1.5e-3);
        let det = TruePeakDetector::new();
        let u = det.worst_underestimate();
        for g in 0..=1000 {
            let w = PI * g as f64 / 1000.0;
            for k in 1..8 {
                let e = phase_error(&det, k, w);
                // Below 0.86 Nyquist the (1 + u) factor covers the error, above it the
                // Nyquist-band filter does.
                if w < 0.86 * PI {
                    assert!(e <= u + 1e-9, "phase {k} at {w}: {e}");
                } else {
                    assert!(e <= response(w) + 1e-6, "phase {k} at {w}: {e}");
                }
            }
        }
    }

    /// Runs the gain computer on given detector peaks (mono, no Nyquist-band content).
    fn gains(lim: &mut Limiter, peaks: &[f32]) -> Vec<f64> {
        let mut out = Vec::new();
        for block in peaks.chunks(CHUNK) {
            let k = block.len();
            lim.peaks[0][..k].copy_from_slice(block);
            lim.hf_abs[0][..k].fill(0.0);
            lim.gains_for(k);
            out.extend_from_slice(&lim.gains[..k]);
        }
        out
    }

    #[test]
    fn each_gain_is_below_the_required_gain_of_its_neighbourhood() {
        let fs = 44_100;
        let mut lim = Limiter::new(&config(), fs).unwrap();
        let (l, w) = (lim.lookahead, lim.lookahead + 2 * HOLD);
        let mut state = 11;
        // Sparse random peaks up to 12 dB over the ceiling.
        let peaks: Vec<f32> = (0..20_000)
            .map(|_| {
                let v = lcg(&mut state);
                if v > 0.995 {
                    (lim.ceiling * 4.0 * lcg(&mut state)) as f32
                } else {
                    (0.5 * lim.ceiling * v) as f32
                }
            })
            .collect();
        let g = gains(&mut lim, &peaks);
        let required: Vec<f64> = peaks
            .iter()
            .map(|&p| (lim.ceiling / f64::from(p * lim.detector_scale)).min(1.0))
            .collect();
        for i in w..g.len() {
            // The gain pushed with interval i applies to sample i - L + 1 - H.
            for j in i + 1 - w..=i + 1 - l {
                assert!(g[i] <= required[j] + 1e-12, "gain {i}: {} > r[{j}]", g[i]);
            }
        }
        // At the deepest peak the gain reaches exactly the required value (to the
        // fixed-point step) and is flat within HOLD samples either side.
        let (jmin, rmin) =
            required.iter().enumerate().fold(
                (0, 1.0),
                |(j0, r0), (j, &r)| if r < r0 { (j, r) } else { (j0, r0) },
            );
        let at = jmin + l - 1 + HOLD;
        for i in at - HOLD..=at + HOLD {
            assert!((g[i] - rmin).abs() < 1e-9, "{i}: {} vs {rmin}", g[i]);
        }
    }

    #[test]
    fn gain_returns_to_exactly_one() {
        let mut lim = Limiter::new(&config(), 48_000).unwrap();
        let mut peaks = vec![3.0f32; 500];
        peaks.extend(std::iter::repeat(0.1).take(48_000 * 4));
        let g = gains(&mut lim, &peaks);
        assert!(g[600] < 0.5);
        // 150 ms release: within 1e-6 of unity after 150 ms * ln(1e6) = 2.1 s, then 1.
        let last_below = g.iter().rposition(|&v| v != 1.0).unwrap();
        assert!(last_below < 48_000 * 5 / 2, "{last_below}");
        assert!(g[last_below + 1..].iter().all(|&v| v == 1.0));
    }
}
