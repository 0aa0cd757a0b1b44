//! Algorithmic stereo reverb (feedback delay network) for orchestral material.
use serde::{Deserialize, Serialize};

use super::{check_range, Processor};
use crate::Result;

/// Reverb settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverbConfig {
    /// Pre-delay before the reverb's onset, ms (0..=200).
    pub predelay_ms: f64,
    /// Reverberation time RT60 at mid frequencies, seconds (0.2..=10).
    pub decay_s: f64,
    /// High-frequency damping, 0 (bright) ..= 1 (dark).
    pub damping: f64,
    /// Wet share added to the dry signal, 0..=1 (0 = off).
    pub mix: f64,
}

impl ReverbConfig {
    /// Checks every field's range.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(
            &format!("{field}.predelay_ms"),
            self.predelay_ms,
            0.0,
            200.0,
            " ms",
        )?;
        check_range(&format!("{field}.decay_s"), self.decay_s, 0.2, 10.0, " s")?;
        check_range(&format!("{field}.damping"), self.damping, 0.0, 1.0, "")?;
        check_range(&format!("{field}.mix"), self.mix, 0.0, 1.0, "")
    }

    /// True when the stage would change nothing.
    pub fn is_identity(&self) -> bool {
        self.mix == 0.0
    }
}

/// Number of delay lines in the network.
const LINES: usize = 8;

/// Nominal delay-line lengths in ms (mutually prime once rounded to primes at any rate);
/// mean 46 ms, a medium hall's mean free path.
const LINE_MS: [f64; LINES] = [29.3, 33.7, 37.9, 42.1, 47.3, 53.9, 59.9, 67.1];

/// Frequency at which `damping` sets the reverberation time, Hz (capped at fs / 4).
const DAMPING_REF_HZ: f64 = 5000.0;

/// RT60 at [`DAMPING_REF_HZ`] relative to the low-frequency RT60 at damping 1 (0.15) —
/// it moves linearly from 1 at damping 0.
const DARKEST_HF_RATIO: f64 = 0.15;

/// Longest time constant of a line's absorption filter, seconds (a cutoff of at least
/// 640 Hz).
const MAX_POLE_TAU_S: f64 = 0.25e-3;

/// Line contents below this are stored as zero, so a decaying tail never reaches the
/// denormal range (which costs 100x on x86).
const DENORMAL_FLOOR: f64 = 1e-30;

/// The smallest prime >= `n`.
fn next_prime(n: usize) -> usize {
    let is_prime = |k: usize| k >= 2 && (2..).take_while(|d| d * d <= k).all(|d| k % d != 0);
    (n.max(2)..)
        .find(|&k| is_prime(k))
        .expect("primes are unbounded")
}

/// Per-line damping: `y[n] = b x[n] + a y[n-1]`, a one-pole low-pass whose gain at DC is
/// the line's loss for `decay_s` and whose gain at `ref_hz` is its loss for the shorter
/// high-frequency decay (Jot's absorption filter). Returns `(b, a)` with `0 <= a < 1`.
fn absorption(len: usize, fs_hz: f64, decay_s: f64, hf_decay_s: f64, ref_hz: f64) -> (f64, f64) {
    // Amplitude gain for one pass through a line of `len` samples so a loop decays 60 dB
    // in `t` seconds.
    let gain = |t: f64| 10f64.powf(-3.0 * len as f64 / (fs_hz * t));
    let (g0, gr) = (gain(decay_s), gain(hf_decay_s));
    if gr >= g0 {
        return (g0, 0.0);
    }
    // |b / (1 - a e^-jw)|^2 = gr^2 at w_ref with b = g0 (1 - a) is a quadratic in `a`
    // with reciprocal roots, a + 1/a = 2 (1 + m), m = gr^2 (1 - cos w) / (g0^2 - gr^2).
    // The root inside the unit circle is 1 - a = 2m / (sqrt(m (m + 2)) + m), written so
    // that nothing cancels: solving the quadratic directly put the pole at exactly 1 for
    // short, dark settings (a 0.2 s decay with damping 1), and the tail never died.
    let c = (2.0 * std::f64::consts::PI * ref_hz / fs_hz).cos();
    let m = gr * gr * (1.0 - c) / (g0 * g0 - gr * gr);
    // The per-pass loss model holds only while the filter's memory is short against the
    // lines (>= 29 ms): a pole near 1 would hold its own slowly decaying state and the
    // tail would linger for seconds. So the pole's time constant is capped at
    // MAX_POLE_TAU_S; very short, very dark settings then decay somewhat slower at high
    // frequencies than asked.
    let a_max = (-1.0 / (MAX_POLE_TAU_S * fs_hz)).exp();
    let one_minus_a = (2.0 * m / ((m * (m + 2.0)).sqrt() + m)).max(1.0 - a_max);
    (g0 * one_minus_a, 1.0 - one_minus_a)
}

/// In-place 8-point fast Walsh-Hadamard transform (unnormalised: the matrix times
/// sqrt(8); the 1/sqrt(8) is folded into the line gains).
#[inline(always)]
fn hadamard(v: &mut [f64; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (x, y) = (v[j], v[j + h]);
                v[j] = x + y;
                v[j + h] = x - y;
            }
        }
        h *= 2;
    }
}

/// Algorithmic stereo reverb: a feedback delay network of eight lines (lengths 29-67 ms,
/// primes) mixed by a normalised 8x8 Hadamard matrix, each line followed by a first-order
/// absorption filter so low frequencies decay by 60 dB in `decay_s` and the band around
/// 5 kHz faster as `damping` rises. Left feeds lines 0-3, right lines 4-7; each output is a
/// different +/- sum of all eight, so the two tails are decorrelated. A pre-delay precedes
/// the network; the output is `dry + mix * wet` (no latency: the dry path is untouched).
///
/// The wet level is normalised so the tail's energy for a unit impulse is about
/// `decay_s / 2` (a 2 s hall returns as much energy as it receives).
#[derive(Debug, Clone)]
pub struct Reverb {
    mix: f64,
    /// Line lengths, samples.
    len: [usize; LINES],
    /// Absorption filters: feed-forward `b` (with the Hadamard's 1/sqrt(8) folded in) and
    /// pole `a`, and their states.
    b: [f64; LINES],
    a: [f64; LINES],
    state: [f64; LINES],
    /// Output weights for left and right.
    out_l: [f64; LINES],
    out_r: [f64; LINES],
    /// Input weights per line for left and right.
    in_l: [f64; LINES],
    in_r: [f64; LINES],
    /// The lines, interleaved: `ring` rows (a power of two) of one sample per line, all
    /// written at one position and each read `len[i]` rows back.
    lines: Vec<[f64; LINES]>,
    ring: usize,
    pos: usize,
    /// Pre-delay ring per channel (`predelay.len()` samples), and its position.
    pre_l: Vec<f64>,
    pre_r: Vec<f64>,
    pre_pos: usize,
}

impl Reverb {
    /// Builds the reverb for `sample_rate_hz`; errors name `reverb.<field>`.
    pub fn new(config: &ReverbConfig, sample_rate_hz: u32) -> Result<Self> {
        config.validate("reverb")?;
        let fs = f64::from(sample_rate_hz);
        let len: [usize; LINES] =
            std::array::from_fn(|i| next_prime((LINE_MS[i] * fs / 1000.0).round() as usize));
        let ring = len.iter().max().expect("eight lines").next_power_of_two();
        let hf_decay_s = config.decay_s * (1.0 - (1.0 - DARKEST_HF_RATIO) * config.damping);
        let ref_hz = DAMPING_REF_HZ.min(fs / 4.0);
        let norm = 1.0 / (LINES as f64).sqrt();
        let mut b = [0.0; LINES];
        let mut a = [0.0; LINES];
        for i in 0..LINES {
            let (bi, ai) = absorption(len[i], fs, config.decay_s, hf_decay_s, ref_hz);
            b[i] = bi * norm;
            a[i] = ai;
        }
        // Input: each channel into four lines at 1/2 (unit energy in), alternating signs.
        let in_l = std::array::from_fn(|i| if i < 4 { 0.5 * sign(i) } else { 0.0 });
        let in_r = std::array::from_fn(|i| if i >= 4 { 0.5 * sign(i) } else { 0.0 });
        // Output: two orthogonal sign patterns over all lines. With energy E(t) in the
        // network, about E / L_h leaves the lines per sample (L_h the harmonic mean
        // length; the filtered outputs carry 1/8 of it, the Hadamard's normalisation), and
        // E(t) = e^(-13.8 t / decay) per unit of input energy, so the tail's energy is
        // c^2 fs decay / (8 * 13.8 L_h); c below makes it decay / 2.
        let inv_mean: f64 = len.iter().map(|&l| 1.0 / l as f64).sum::<f64>() / LINES as f64;
        let c = (LINES as f64 * 13.8 / (2.0 * fs * inv_mean)).sqrt();
        let out_l = std::array::from_fn(|i| c * if i % 2 == 0 { 1.0 } else { -1.0 });
        let out_r = std::array::from_fn(|i| c * if (i / 2) % 2 == 0 { 1.0 } else { -1.0 });
        let pre = ((config.predelay_ms * fs / 1000.0).round() as usize).max(1);
        Ok(Self {
            mix: config.mix,
            len,
            b,
            a,
            state: [0.0; LINES],
            out_l,
            out_r,
            in_l,
            in_r,
            lines: vec![[0.0; LINES]; ring],
            ring,
            pos: 0,
            pre_l: vec![0.0; pre],
            pre_r: vec![0.0; pre],
            pre_pos: 0,
        })
    }

    /// One frame: returns the wet (left, right) for input (left, right).
    #[inline(always)]
    fn tick(&mut self, xl: f64, xr: f64) -> (f64, f64) {
        // Pre-delay (a delay of `len` samples: read the oldest, write the newest). With no
        // pre-delay configured the ring has one sample, a one-sample delay that the
        // shortest line absorbs.
        let pl = std::mem::replace(&mut self.pre_l[self.pre_pos], xl);
        let pr = std::mem::replace(&mut self.pre_r[self.pre_pos], xr);
        self.pre_pos += 1;
        if self.pre_pos == self.pre_l.len() {
            self.pre_pos = 0;
        }
        let mask = self.ring - 1;
        let lines = &mut self.lines[..=mask];
        // Line outputs (a gather: each line is read at its own delay) through their
        // absorption filters; the rest is arithmetic on all eight lines at once.
        let x: [f64; LINES] =
            std::array::from_fn(|i| lines[(self.pos.wrapping_sub(self.len[i])) & mask][i]);
        let mut y = [0.0; LINES];
        for i in 0..LINES {
            y[i] = self.b[i] * x[i] + self.a[i] * self.state[i];
        }
        self.state = y;
        let (mut wl, mut wr) = (0.0, 0.0);
        for i in 0..LINES {
            wl += self.out_l[i] * y[i];
            wr += self.out_r[i] * y[i];
        }
        hadamard(&mut y);
        let row = &mut lines[self.pos];
        for i in 0..LINES {
            let v = y[i] + self.in_l[i] * pl + self.in_r[i] * pr;
            row[i] = if v.abs() < DENORMAL_FLOOR { 0.0 } else { v };
        }
        self.pos = (self.pos + 1) & mask;
        (wl, wr)
    }
}

/// +1 or -1 alternating with `i`.
fn sign(i: usize) -> f64 {
    if i % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

impl Processor for Reverb {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let mix = self.mix;
        match channels {
            [] => {}
            [mono] => {
                // Mono: the same signal into both inputs, the mean of both outputs.
                for s in mono.iter_mut() {
                    let x = f64::from(*s);
                    let (wl, wr) = self.tick(x, x);
                    *s = (x + mix * 0.5 * (wl + wr)) as f32;
                }
            }
            [left, right, ..] => {
                assert_eq!(left.len(), right.len(), "channel lengths differ");
                for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                    let (xl, xr) = (f64::from(*l), f64::from(*r));
                    let (wl, wr) = self.tick(xl, xr);
                    *l = (xl + mix * wl) as f32;
                    *r = (xr + mix * wr) as f32;
                }
            }
        }
    }

    fn reset(&mut self) {
        self.state = [0.0; LINES];
        self.lines.fill([0.0; LINES]);
        self.pre_l.fill(0.0);
        self.pre_r.fill(0.0);
        self.pos = 0;
        self.pre_pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |b / (1 - a e^-jw)| at `freq_hz`.
    fn gain_at(b: f64, a: f64, freq_hz: f64, fs_hz: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq_hz / fs_hz;
        b / (1.0 - 2.0 * a * w.cos() + a * a).sqrt()
    }

    #[test]
    fn absorption_filter_has_the_loss_of_both_decay_times() {
        let fs = 48_000.0;
        for (len, decay, hf) in [(1409, 2.0, 1.0), (3221, 2.0, 0.3), (2000, 5.0, 4.9)] {
            let (b, a) = absorption(len, fs, decay, hf, 5000.0);
            let loss = |t: f64| 10f64.powf(-3.0 * len as f64 / (fs * t));
            assert!((0.0..1.0).contains(&a));
            assert!((gain_at(b, a, 0.0, fs) / loss(decay) - 1.0).abs() < 1e-12);
            assert!((gain_at(b, a, 5000.0, fs) / loss(hf) - 1.0).abs() < 1e-9);
        }
        // Equal decay times: a plain gain.
        let (b, a) = absorption(1500, fs, 2.0, 2.0, 5000.0);
        assert_eq!(a, 0.0);
        assert!((b - 10f64.powf(-3.0 * 1500.0 / (fs * 2.0))).abs() < 1e-15);
        // An extreme request is capped: the pole stays short-lived, DC still exact.
        let (b, a) = absorption(3221, fs, 0.2, 0.03, 5000.0);
        assert!(a <= (-1.0 / (MAX_POLE_TAU_S * fs)).exp() + 1e-12);
        assert!(
            (gain_at(b, a, 0.0, fs) / 10f64.powf(-3.0 * 3221.0 / (fs * 0.2)) - 1.0).abs() < 1e-12
        );
    }

    #[test]
    fn line_lengths_are_distinct_primes() {
        for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            let len: Vec<usize> = LINE_MS
                .iter()
                .map(|ms| next_prime((ms * fs / 1000.0f64).round() as usize))
                .collect();
            for (i, &l) in len.iter().enumerate() {
                assert!((2..l).take_while(|d| d * d <= l).all(|d| l % d != 0));
                assert!(len[..i].iter().all(|&m| m != l));
            }
        }
    }

    #[test]
    fn hadamard_is_orthogonal_up_to_sqrt_8() {
        for k in 0..LINES {
            let mut v = [0.0; LINES];
            v[k] = 1.0;
            hadamard(&mut v);
            assert!(v.iter().all(|x| x.abs() == 1.0));
            let mut w = v;
            hadamard(&mut w);
            for (i, x) in w.iter().enumerate() {
                assert_eq!(*x, if i == k { 8.0 } else { 0.0 });
            }
        }
    }
}
