//! Console-style saturation: a smooth odd-symmetric waveshaper with drive and dry/wet mix,
//! run 4x oversampled so aliasing stays inaudible.
use serde::{Deserialize, Serialize};

use super::linear_phase::bessel_i0;
use super::{check_range, Processor};
use crate::Result;

/// Saturation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaturationConfig {
    /// Drive into the shaper, dB (0 = gentle colour on peaks only; up to 24).
    pub drive_db: f64,
    /// Wet share, 0..=1 (0 = off).
    #[serde(default = "default_mix")]
    pub mix: f64,
}

fn default_mix() -> f64 {
    1.0
}

impl SaturationConfig {
    /// Checks drive 0..=24 dB and mix 0..=1.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.drive_db"),
            self.drive_db,
            0.0,
            24.0,
            " dB",
        )?;
        check_range(&format!("{field}.mix"), self.mix, 0.0, 1.0, "")
    }

    /// True when the stage would change nothing.
    pub fn is_identity(&self) -> bool {
        self.mix == 0.0
    }
}

// The four half-band FIRs (Kaiser-windowed, length 4 K - 1, centre 1/2, every other tap
// zero). Normalised to each filter's own rate, stage 1 (1x <-> 2x) passes to 0.4535 fs
// (20.0 kHz at 44.1 kHz) and stops from 0.5465 fs (24.1 kHz), so nothing folds below
// 20 kHz; stage 2 (2x <-> 4x) passes the same band and stops the images of everything
// stage 1 passes (from 1.4535 fs). Each filter is as long as its job needs: the
// interpolators' images only feed the shaper and are removed again by the decimators, so
// they get less stopband than the decimators, whose stopband is what folds back as
// aliasing. Stopbands (measured): up 1 -80 dB, stage 2 -75 dB, down 1 -92 dB; passband
// ripple of the whole chain below 0.003 dB.

/// Half-length of the 1x -> 2x interpolator (4 K - 1 = 111 taps).
const K1_UP: usize = 28;
/// Kaiser beta of the 1x -> 2x interpolator (-80 dB).
const BETA1_UP: f64 = 8.0;
/// Half-length of the 2x -> 1x decimator (127 taps).
const K1_DOWN: usize = 32;
/// Kaiser beta of the 2x -> 1x decimator (-92 dB).
const BETA1_DOWN: f64 = 9.18;
/// Half-length of the 2x <-> 4x interpolator and decimator (23 taps each; their sum must be
/// even for the latency to be whole).
const K2: usize = 6;
/// Kaiser beta of the 2x <-> 4x filters (-75 dB).
const BETA2: f64 = 7.86;
/// Base-rate frames per internal chunk.
const CHUNK: usize = 256;

/// Total delay of the oversampling chain at the base rate. In 4x samples: up 1 delays
/// 2 (2 K1_UP - 1), up 2 and down 2 each 2 K2 - 1, down 1 2 (2 K1_DOWN - 1) less 2 (it
/// keeps the odd phase, which makes the sum a multiple of 4); divided by 4.
pub const LATENCY_SAMPLES: usize = K1_UP + K1_DOWN + K2 - 2;

/// Frames of past input kept: enough for the interpolator's window and for the dry path,
/// which reads the input `LATENCY_SAMPLES` back.
const X_HISTORY: usize = if LATENCY_SAMPLES > 2 * K1_UP - 1 {
    LATENCY_SAMPLES
} else {
    2 * K1_UP - 1
};

/// The first half of the nonzero off-centre taps of a Kaiser-windowed half-band low-pass
/// of length 4 K - 1 (the taps at even distance from the centre are zero and the centre is
/// 1/2), scaled so all `2 K` of them sum to exactly 1/2 (unity gain at DC), times `gain`,
/// repeated for both lanes.
fn half_band<const K: usize>(beta: f64, gain: f64) -> [[f64; 2]; K] {
    let n = 4 * K - 1;
    let centre = (n - 1) as f64 / 2.0;
    let i0_beta = bessel_i0(beta);
    let tap = |j: usize| {
        let d = (2 * j) as f64 - centre; // odd distance from the centre
        let ideal = (std::f64::consts::FRAC_PI_2 * d).sin() / (std::f64::consts::PI * d);
        let r = d / centre;
        ideal * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta
    };
    // The taps are symmetric: tap(j) = tap(2K - 1 - j).
    let sum: f64 = (0..2 * K).map(tap).sum();
    std::array::from_fn(|j| {
        let t = gain * tap(j) * 0.5 / sum;
        [t, t]
    })
}

/// Two consecutive outputs of a symmetric polyphase branch of `2 H` taps (`taps` is its
/// first half, per lane), for two lanes: `sum_i taps[i] * (w[i] + w[2H - 1 - i])` and the
/// same over `w[1..]`, sharing every load of data and coefficients. Two partial sums per
/// output keep the additions from forming one long chain; `H` is a constant so the loop
/// unrolls.
#[inline(always)]
fn dot_symmetric_pair<const H: usize>(
    taps: &[[f64; 2]; H],
    w: &[[f64; 2]],
) -> ([f64; 2], [f64; 2]) {
    let w = &w[..2 * H + 1];
    // Term i of both outputs, added into (x, y).
    let step = |i: usize, x: &mut [f64; 2], y: &mut [f64; 2]| {
        let t = taps[i];
        let (a0, b0) = (w[i], w[2 * H - 1 - i]);
        let (a1, b1) = (w[i + 1], w[2 * H - i]);
        for ch in 0..2 {
            x[ch] += t[ch] * (a0[ch] + b0[ch]);
            y[ch] += t[ch] * (a1[ch] + b1[ch]);
        }
    };
    let (mut x0, mut x1, mut y0, mut y1) = ([0.0f64; 2], [0.0f64; 2], [0.0f64; 2], [0.0f64; 2]);
    let mut i = 0;
    while i + 2 <= H {
        step(i, &mut x0, &mut y0);
        step(i + 1, &mut x1, &mut y1);
        i += 2;
    }
    if i < H {
        step(i, &mut x0, &mut y0);
    }
    (
        [x0[0] + x1[0], x0[1] + x1[1]],
        [y0[0] + y1[0], y0[1] + y1[1]],
    )
}

/// [`dot_symmetric_pair`] kept out of line: inlined into the long stage-1 loops, LLVM
/// vectorises across outputs instead of lanes and drowns the sums in shuffles.
#[inline(never)]
fn dot_long_pair<const H: usize>(taps: &[[f64; 2]; H], w: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    dot_symmetric_pair(taps, w)
}

/// A linear working buffer: `history` frames kept from the previous chunk, then the chunk.
#[derive(Debug, Clone)]
struct Line {
    buf: Vec<[f64; 2]>,
    history: usize,
}

impl Line {
    fn new(history: usize, chunk: usize) -> Self {
        Self {
            buf: vec![[0.0; 2]; history + chunk],
            history,
        }
    }

    /// Keeps the last `history` frames of a chunk of `len` for the next chunk.
    fn shift(&mut self, len: usize) {
        self.buf.copy_within(len..len + self.history, 0);
    }

    fn clear(&mut self) {
        self.buf.fill([0.0; 2]);
    }
}

/// `1 / sqrt(a)` for `a >= 1` without libm or the divider: the classic bit-level estimate
/// (relative error < 3.5%) refined by three Newton steps (< 4e-11), in plain arithmetic on
/// the bits so the loop vectorises.
#[inline(always)]
fn inv_sqrt(a: f64) -> f64 {
    let mut y = f64::from_bits(0x5FE6_EB50_C7B5_37A9 - (a.to_bits() >> 1));
    let half = 0.5 * a;
    for _ in 0..3 {
        y *= 1.5 - half * y * y;
    }
    y
}

/// The shaper with drive `g`: `f(g x) / g` with `f(x) = x / sqrt(1 + x^2)`, a smooth
/// (analytic) odd sigmoid with unity slope at zero, so small signals pass at unity gain
/// whatever the drive and the output approaches +/-1/g.
#[inline(always)]
fn shape(x: f64, drive: f64) -> f64 {
    let d = drive * x;
    x * inv_sqrt(1.0 + d * d)
}

/// 4x-oversampled soft saturation with a latency-matched dry/wet mix.
///
/// The signal is upsampled 1x -> 2x -> 4x by polyphase half-band FIRs, shaped, and
/// decimated back by the mirror filters, all in f64. The chain is linear-phase and delays
/// by exactly [`LATENCY_SAMPLES`] at every rate (an impulse comes out, symmetric, that many
/// samples late); the dry path is delayed as much so the mix does not comb.
#[derive(Debug, Clone)]
pub struct Saturation {
    drive: f64,
    mix: f64,
    /// Branch taps (first halves of the symmetric polyphase branches, per lane); the
    /// interpolators' are doubled (zero stuffing halves the level).
    up1: [[f64; 2]; K1_UP],
    up2: [[f64; 2]; K2],
    down2: [[f64; 2]; K2],
    down1: [[f64; 2]; K1_DOWN],
    /// Base-rate input, history [`X_HISTORY`]: the interpolator's window and the dry path.
    x: Line,
    /// 2x stream, history 2 K2 - 1.
    u: Line,
    /// Even / odd samples of the 4x stream, histories 2 K2 - 1 and K2.
    ve: Line,
    vo: Line,
    /// Even / odd samples of the decimated 2x stream, histories K1_DOWN - 1 and
    /// 2 K1_DOWN - 1.
    we: Line,
    wo: Line,
    /// Wet output of one chunk.
    wet: Vec<[f64; 2]>,
}

impl Saturation {
    /// Builds the stage; errors name `saturation.drive_db` / `saturation.mix`. The filters
    /// are specified relative to the sample rate, so one design serves every rate.
    pub fn new(config: &SaturationConfig, sample_rate_hz: u32) -> Result<Self> {
        config.validate("saturation")?;
        let _ = sample_rate_hz;
        Ok(Self {
            drive: 10f64.powf(config.drive_db / 20.0),
            mix: config.mix,
            up1: half_band::<K1_UP>(BETA1_UP, 2.0),
            up2: half_band::<K2>(BETA2, 2.0),
            down2: half_band::<K2>(BETA2, 1.0),
            down1: half_band::<K1_DOWN>(BETA1_DOWN, 1.0),
            x: Line::new(X_HISTORY, CHUNK),
            u: Line::new(2 * K2 - 1, 2 * CHUNK),
            ve: Line::new(2 * K2 - 1, 2 * CHUNK),
            vo: Line::new(K2, 2 * CHUNK),
            we: Line::new(K1_DOWN - 1, CHUNK),
            wo: Line::new(2 * K1_DOWN - 1, CHUNK),
            wet: vec![[0.0; 2]; CHUNK],
        })
    }

    /// Runs the oversampled chain over the `len` new frames in `self.x`, leaving the wet
    /// base-rate output in `self.wet[..len]`.
    /// Up 1x -> 2x: u[2n] = sum 2 h[2j] x[n-j]; u[2n+1] = x[n-K+1] (the centre tap).
    #[inline(never)]
    fn up1(&mut self, len: usize) {
        let x = &self.x.buf[X_HISTORY + 1 - 2 * K1_UP..][..len + 2 * K1_UP - 1];
        let u = &mut self.u.buf[2 * K2 - 1..][..2 * len];
        let mut quads = u.chunks_exact_mut(4);
        for (n, quad) in (0..).step_by(2).zip(&mut quads) {
            let (e0, e1) = dot_long_pair(&self.up1, &x[n..]);
            quad[0] = e0;
            quad[1] = x[n + K1_UP];
            quad[2] = e1;
            quad[3] = x[n + 1 + K1_UP];
        }
        if let [e, o] = quads.into_remainder() {
            let n = len - 1;
            (*e, _) = dot_long_pair(&self.up1, &self.x.buf[X_HISTORY + 1 - 2 * K1_UP + n..]);
            *o = x[n + K1_UP];
        }
    }

    /// Up 2x -> 4x, straight into the even/odd lines of the 4x stream, then the shaper.
    #[inline(never)]
    fn up2_and_shape(&mut self, len: usize) {
        let u = &self.u.buf[..2 * len + 2 * K2 - 1];
        let ve = &mut self.ve.buf[2 * K2 - 1..][..2 * len];
        let vo = &mut self.vo.buf[K2..][..2 * len];
        for (m, (e, o)) in (0..)
            .step_by(2)
            .zip(ve.chunks_exact_mut(2).zip(vo.chunks_exact_mut(2)))
        {
            let (e0, e1) = dot_symmetric_pair(&self.up2, &u[m..]);
            e[0] = e0;
            e[1] = e1;
            o[0] = u[m + K2];
            o[1] = u[m + 1 + K2];
        }
        // The shaper, as its own pass: independent samples, so it runs at full throughput.
        let g = self.drive;
        for line in [ve, vo] {
            for v in line.iter_mut() {
                *v = [shape(v[0], g), shape(v[1], g)];
            }
        }
    }

    /// Down 4x -> 2x (even phase): y[m] = sum h[2j] ve[m-j] + vo[m-K]/2; even outputs to
    /// `we`, odd ones to `wo`.
    #[inline(never)]
    fn down2(&mut self, len: usize) {
        let ve = &self.ve.buf[..2 * len + 2 * K2 - 1];
        let vo = &self.vo.buf[..2 * len];
        let we = &mut self.we.buf[K1_DOWN - 1..][..len];
        let wo = &mut self.wo.buf[2 * K1_DOWN - 1..][..len];
        for (p, (e, o)) in we.iter_mut().zip(wo.iter_mut()).enumerate() {
            let m = 2 * p;
            let (s0, s1) = dot_symmetric_pair(&self.down2, &ve[m..]);
            let (c0, c1) = (vo[m], vo[m + 1]);
            *e = [s0[0] + 0.5 * c0[0], s0[1] + 0.5 * c0[1]];
            *o = [s1[0] + 0.5 * c1[0], s1[1] + 0.5 * c1[1]];
        }
    }

    /// Down 2x -> 1x (odd phase): y[n] = sum h[2j] wo[n-j] + we[n-K+1]/2.
    #[inline(never)]
    fn down1(&mut self, len: usize) {
        let wo = &self.wo.buf[..len + 2 * K1_DOWN - 1];
        let we = &self.we.buf[..len];
        let out = &mut self.wet[..len];
        let mut pairs = out.chunks_exact_mut(2);
        for (n, y) in (0..).step_by(2).zip(&mut pairs) {
            let (s0, s1) = dot_long_pair(&self.down1, &wo[n..]);
            let (c0, c1) = (we[n], we[n + 1]);
            y[0] = [s0[0] + 0.5 * c0[0], s0[1] + 0.5 * c0[1]];
            y[1] = [s1[0] + 0.5 * c1[0], s1[1] + 0.5 * c1[1]];
        }
        if let [y] = pairs.into_remainder() {
            let n = len - 1;
            let (s, _) = dot_long_pair(&self.down1, &self.wo.buf[n..]);
            let c = we[n];
            *y = [s[0] + 0.5 * c[0], s[1] + 0.5 * c[1]];
        }
    }

    fn run_wet(&mut self, len: usize) {
        self.up1(len);
        self.up2_and_shape(len);
        self.down2(len);
        self.down1(len);
        self.u.shift(2 * len);
        self.ve.shift(2 * len);
        self.vo.shift(2 * len);
        self.we.shift(len);
        self.wo.shift(len);
    }
}

impl Processor for Saturation {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let frames = channels.first().map_or(0, |c| c.len());
        assert!(
            channels.iter().all(|c| c.len() == frames),
            "channel lengths differ"
        );
        let (dry_gain, wet_gain) = (1.0 - self.mix, self.mix);
        let mut start = 0;
        while start < frames {
            let len = CHUNK.min(frames - start);
            let new = &mut self.x.buf[X_HISTORY..][..len];
            match channels {
                [] => return,
                [mono] => {
                    for (x, &a) in new.iter_mut().zip(&mono[start..start + len]) {
                        *x = [f64::from(a), 0.0];
                    }
                }
                [left, right, ..] => {
                    let (l, r) = (&left[start..start + len], &right[start..start + len]);
                    for ((x, &a), &b) in new.iter_mut().zip(l).zip(r) {
                        *x = [f64::from(a), f64::from(b)];
                    }
                }
            }
            self.run_wet(len);
            // The dry signal LATENCY_SAMPLES back, still in the input line.
            let dry = &self.x.buf[X_HISTORY - LATENCY_SAMPLES..][..len];
            let mix = |d: f64, w: f64| (d * dry_gain + w * wet_gain) as f32;
            for (ch, out) in channels.iter_mut().take(2).enumerate() {
                for ((y, d), w) in out[start..start + len].iter_mut().zip(dry).zip(&self.wet) {
                    *y = mix(d[ch], w[ch]);
                }
            }
            self.x.shift(len);
            start += len;
        }
    }

    fn reset(&mut self) {
        for line in [
            &mut self.x,
            &mut self.u,
            &mut self.ve,
            &mut self.vo,
            &mut self.we,
            &mut self.wo,
        ] {
            line.clear();
        }
    }

    fn latency_samples(&self) -> usize {
        LATENCY_SAMPLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magnitude (dB) at `f` (cycles per sample of the filter's rate) of the full
    /// half-band built from its first-half branch taps.
    fn half_band_db(taps: &[[f64; 2]], f: f64) -> f64 {
        // Zero-phase response: centre 1/2 plus the symmetric odd-distance pairs.
        let k = taps.len();
        let mut h = 0.5;
        for (j, t) in taps.iter().enumerate() {
            let d = (2 * k - 1 - 2 * j) as f64; // distance from the centre
            h += 2.0 * t[0] * (2.0 * std::f64::consts::PI * f * d).cos();
        }
        20.0 * h.abs().max(1e-300).log10()
    }

    /// Lowest and highest magnitude (dB) over `lo..=hi`.
    fn extremes(taps: &[[f64; 2]], lo: f64, hi: f64) -> (f64, f64) {
        (0..=4000)
            .map(|i| half_band_db(taps, lo + (hi - lo) * f64::from(i) / 4000.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            })
    }

    #[test]
    fn half_bands_meet_their_specifications() {
        // Stage 1 at 2x: pass to 0.4535/2, stop from 0.5465/2. Stage 2 at 4x: pass to
        // 0.4535/4, stop from 1.4535/4.
        // (name, branch taps, passband edge, stopband edge, stopband ceiling in dB)
        type Case<'a> = (&'a str, &'a [[f64; 2]], f64, f64, f64);
        let cases: [Case; 3] = [
            (
                "up 1",
                &half_band::<K1_UP>(BETA1_UP, 1.0),
                0.22675,
                0.27325,
                -79.5,
            ),
            (
                "down 1",
                &half_band::<K1_DOWN>(BETA1_DOWN, 1.0),
                0.22675,
                0.27325,
                -91.5,
            ),
            (
                "stage 2",
                &half_band::<K2>(BETA2, 1.0),
                0.113_375,
                0.363_375,
                -74.5,
            ),
        ];
        for (name, taps, pass, stop, floor) in cases {
            let (lo, hi) = extremes(taps, 0.0, pass);
            let stopband = extremes(taps, stop, 0.5).1;
            assert!(
                lo > -0.0025 && hi < 0.0035,
                "{name}: passband {lo}..{hi} dB"
            );
            assert!(stopband < floor, "{name}: stopband {stopband} dB");
        }
        // Unity at DC exactly (the off-centre taps sum to 1/2).
        let t = half_band::<K1_DOWN>(BETA1_DOWN, 1.0);
        assert!(half_band_db(&t, 0.0).abs() < 1e-12);
    }

    #[test]
    fn inv_sqrt_is_accurate_over_the_shapers_range() {
        let mut worst = 0.0f64;
        let mut a = 1.0f64;
        while a < 1e8 {
            let exact = 1.0 / a.sqrt();
            worst = worst.max((inv_sqrt(a) / exact - 1.0).abs());
            a *= 1.000_37;
        }
        assert!(worst < 1e-10, "worst relative error {worst}");
    }
}
