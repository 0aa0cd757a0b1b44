//! True-peak limiter: stereo-linked brickwall with lookahead, 8x true-peak detection, a
//! smooth attack that completes before each peak and a one-pole release.
use serde::{Deserialize, Serialize};

use super::biquad::{Coeffs, State};
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
const CHUNK: usize = 1024;

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

/// Sliding-window minimum of the last `window` pushed values, O(1) amortised: a monotone
/// deque (values increasing from front to back) in a preallocated power-of-two ring.
#[derive(Debug, Clone)]
struct SlidingMin<T> {
    window: u64,
    mask: usize,
    idx: Vec<u64>,
    val: Vec<T>,
    head: usize,
    len: usize,
}

impl<T: Copy + PartialOrd + Default> SlidingMin<T> {
    fn new(window: usize) -> Self {
        let cap = window.next_power_of_two();
        Self {
            window: window as u64,
            mask: cap - 1,
            idx: vec![0; cap],
            val: vec![T::default(); cap],
            head: 0,
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Pushes `v` at index `n` (one more than the previous push) and returns the minimum
    /// of the values pushed at indices `n - window + 1 ..= n`.
    #[inline]
    fn push(&mut self, n: u64, v: T) -> T {
        // Larger-or-equal values at the back can never be the minimum again.
        while self.len > 0 && self.val[(self.head + self.len - 1) & self.mask] >= v {
            self.len -= 1;
        }
        // At most one index leaves the window per push.
        if self.len > 0 && self.idx[self.head] + self.window <= n {
            self.head = (self.head + 1) & self.mask;
            self.len -= 1;
        }
        let slot = (self.head + self.len) & self.mask;
        self.idx[slot] = n;
        self.val[slot] = v;
        self.len += 1;
        self.val[self.head]
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
///    samples, `H` = [`HOLD`]), by a monotone deque.
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
/// Nyquist-band filter `f` ([`HF_TAPS`] taps, unit gain at Nyquist), so the error there is
/// bounded by the amplitude of `f * x`. That band is narrow, so its samples show its
/// amplitude within half a beat period: `p` adds the largest `|f * x|` from
/// `HF_BEHIND_MS` before to `HF_AHEAD` samples after the interval. Hence
/// `p = (1 + u) * detector + max |f * x|`. For music, with little content above 17 kHz,
/// the allowance is negligible; for white noise it costs about 1 dB of extra reduction.
///
/// **Limits.** A steady tone within `fs / (4 * HF_AHEAD)` of Nyquist (344 Hz at 44.1 kHz)
/// whose samples start near its envelope's zero shows its amplitude only when its first
/// envelope crest arrives; until then its intersample peaks can exceed the ceiling. No
/// finite lookahead can see such a tone (its samples are locally those of a far smaller
/// one); naive square waves whose harmonics alias within a few hertz of Nyquist are the
/// practical case.
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
    near: Coeffs,
    near_state: [State; 2],
    /// Sign of the next Nyquist demodulation, +-1 (alternates every sample).
    near_sign: f64,
    /// Per channel: `hist` samples of history, then up to `CHUNK` new samples (and slack
    /// for the detector's last block).
    buf: [Vec<f32>; 2],
    peaks: [Vec<f32>; 2],
    hf_abs: [Vec<f32>; 2],
    gains: Vec<f64>,
    index: u64,
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
        let near_hz = (NEAR_HZ_MS / config.lookahead_ms)
            .max(NEAR_MIN_HZ)
            .min(0.2 * fs);
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
            near: Coeffs::low_pass(near_hz, std::f64::consts::FRAC_1_SQRT_2, fs),
            near_state: [State::default(); 2],
            near_sign: 1.0,
            buf: std::array::from_fn(|_| vec![0.0; hist + CHUNK + LANES]),
            peaks: std::array::from_fn(|_| vec![0.0; CHUNK + LANES]),
            hf_abs: std::array::from_fn(|_| vec![0.0; CHUNK]),
            gains: vec![1.0; CHUNK],
            index: 0,
            hf_env: SlidingMin::new(hf_behind + 1 + HF_AHEAD),
            min: SlidingMin::new(lookahead + 2 * HOLD),
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

    /// Detector peaks and Nyquist-band magnitudes for the `k` intervals of channel
    /// `ch`'s newest chunk.
    fn detect(&mut self, ch: usize, k: usize) {
        let buf = &self.buf[ch];
        // The first new interval, as a buffer index.
        let c0 = self.hist - DETECT_AHEAD;
        let kp = k.next_multiple_of(LANES);
        self.fast.peaks(
            &buf[c0 - HALF..c0 + kp + HALF - 1],
            &mut self.peaks[ch][..kp],
        );
        // |f * x| at the samples HF_AHEAD after each interval.
        let x = &buf[c0 + HF_AHEAD - HF_TAPS / 2..c0 + HF_AHEAD + k + HF_TAPS / 2];
        let f = &self.hf;
        for (i, a) in self.hf_abs[ch][..k].iter_mut().enumerate() {
            let w = &x[i..i + HF_TAPS];
            let mut acc = f[HF_TAPS / 2] * w[HF_TAPS / 2];
            for t in 0..HF_TAPS / 2 {
                acc += f[t] * (w[t] + w[HF_TAPS - 1 - t]);
            }
            *a = acc.abs();
        }
        // Plus NEAR_GAIN times the content within `near_hz` of Nyquist.
        let state = &mut self.near_state[ch];
        let mut sign = self.near_sign;
        for (a, &v) in self.hf_abs[ch][..k]
            .iter_mut()
            .zip(&x[HF_TAPS / 2..HF_TAPS / 2 + k])
        {
            let near = state.tick(&self.near, sign * f64::from(v));
            sign = -sign;
            *a += (NEAR_GAIN * near.abs()) as f32;
        }
        state.flush_denormals();
    }

    /// Gains for the `k` newest intervals into `self.gains[..k]`.
    fn gains_for(&mut self, k: usize, channels: usize) {
        let [p0, p1] = &mut self.peaks;
        let [h0, h1] = &mut self.hf_abs;
        if channels == 2 {
            for (a, &b) in p0[..k].iter_mut().zip(&p1[..k]) {
                *a = if b > *a { b } else { *a };
            }
            for (a, &b) in h0[..k].iter_mut().zip(&h1[..k]) {
                *a = if b > *a { b } else { *a };
            }
        }
        let one = self.one;
        let onef = one as f64;
        for ((g, &p), &h) in self.gains[..k].iter_mut().zip(&p0[..k]).zip(&h0[..k]) {
            self.index += 1;
            let hf = -self.hf_env.push(self.index, -h);
            let p = f64::from(p * self.detector_scale + hf);
            let r = if p > self.ceiling {
                ((self.ceiling / p) * onef) as i64
            } else {
                one
            };
            let m = self.min.push(self.index, r);
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
                self.detect(ch, k);
            }
            if k % 2 == 1 {
                self.near_sign = -self.near_sign;
            }
            self.gains_for(k, nch);
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
        self.index = 0;
        self.hf_env.clear();
        self.near_state = [State::default(); 2];
        self.near_sign = 1.0;
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
