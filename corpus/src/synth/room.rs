//! Stereo seating (constant-power pan plus a small inter-channel delay) and the room:
//! early reflections and a Freeverb-style stereo tail (parallel combs into allpasses).

use super::dsp::highpass_in_place;

/// Largest inter-channel delay in seconds, for a source panned hard to one side.
const MAX_ITD_S: f64 = 0.001;

/// Adds `mono` × `gain` into `left`/`right` at `pan` (−1 left .. +1 right); the far
/// channel is delayed by up to 1 ms.
pub(crate) fn place(
    left: &mut [f64],
    right: &mut [f64],
    mono: &[f32],
    pan: f64,
    gain: f64,
    rate_hz: f64,
) {
    let theta = (pan.clamp(-1.0, 1.0) + 1.0) * std::f64::consts::FRAC_PI_4;
    let (gl, gr) = (theta.cos() * gain, theta.sin() * gain);
    let delay = (pan.abs() * MAX_ITD_S * rate_hz).round() as usize;
    let (dl, dr) = if pan > 0.0 { (delay, 0) } else { (0, delay) };
    add_delayed(left, mono, gl, dl);
    add_delayed(right, mono, gr, dr);
}

/// `dst[i + delay] += g * src[i]`.
fn add_delayed(dst: &mut [f64], src: &[f32], g: f64, delay: usize) {
    if delay >= dst.len() {
        return;
    }
    let n = dst.len() - delay;
    for (d, &s) in dst[delay..].iter_mut().zip(&src[..n.min(src.len())]) {
        *d += g * f64::from(s);
    }
}

/// Freeverb comb lengths in samples at 44.1 kHz (Jezar's tuning); the right side adds 23.
const COMBS: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASSES: [usize; 4] = [556, 441, 341, 225];
const STEREO_SPREAD: usize = 23;
/// Early reflections per side: (delay ms, gain). Different per side to decorrelate.
const EARLY_LEFT: [(f64, f64); 5] = [
    (7.1, 0.42),
    (11.3, 0.33),
    (17.9, 0.27),
    (23.4, 0.2),
    (31.7, 0.15),
];
const EARLY_RIGHT: [(f64, f64); 5] = [
    (8.3, 0.4),
    (13.1, 0.32),
    (16.7, 0.26),
    (26.2, 0.19),
    (34.9, 0.14),
];

/// One lowpass-feedback comb (Freeverb).
struct Comb {
    buf: Vec<f64>,
    pos: usize,
    store: f64,
}

impl Comb {
    fn new(len: usize) -> Self {
        Self {
            buf: vec![0.0; len.max(1)],
            pos: 0,
            store: 0.0,
        }
    }
    #[inline]
    fn tick(&mut self, x: f64, feedback: f64, damp: f64) -> f64 {
        let y = self.buf[self.pos];
        self.store = y * (1.0 - damp) + self.store * damp;
        self.buf[self.pos] = x + self.store * feedback;
        self.pos += 1;
        if self.pos == self.buf.len() {
            self.pos = 0;
        }
        y
    }
}

/// One Schroeder allpass (Freeverb, gain 0.5).
struct Allpass {
    buf: Vec<f64>,
    pos: usize,
}

impl Allpass {
    fn new(len: usize) -> Self {
        Self {
            buf: vec![0.0; len.max(1)],
            pos: 0,
        }
    }
    #[inline]
    fn tick(&mut self, x: f64) -> f64 {
        let b = self.buf[self.pos];
        let y = b - x;
        self.buf[self.pos] = x + b * 0.5;
        self.pos += 1;
        if self.pos == self.buf.len() {
            self.pos = 0;
        }
        y
    }
}

/// The room's stereo wet signal for a mono send: early reflections plus a tail of about
/// 2 s (feedback 0.84, damping 0.25), fed by the send highpassed at 180 Hz.
/// Returns (left, right), each as long as the send.
pub(crate) fn room(mut input: Vec<f64>, rate_hz: f64) -> (Vec<f64>, Vec<f64>) {
    let n = input.len();
    highpass_in_place(&mut input, 180.0, rate_hz);
    let scale = rate_hz / 44100.0;
    let sized = |len: usize| ((len as f64) * scale).round() as usize;
    let predelay = (0.018 * rate_hz) as usize;
    let side = |extra: usize, early: &[(f64, f64)]| -> Vec<f64> {
        let mut combs: Vec<Comb> = COMBS.iter().map(|&l| Comb::new(sized(l + extra))).collect();
        let mut allpasses: Vec<Allpass> = ALLPASSES
            .iter()
            .map(|&l| Allpass::new(sized(l + extra)))
            .collect();
        let mut out = vec![0.0f64; n];
        for i in predelay..n {
            let x = input[i - predelay] * 0.015;
            let mut y = 0.0;
            for c in combs.iter_mut() {
                y += c.tick(x, 0.84, 0.25);
            }
            for a in allpasses.iter_mut() {
                y = a.tick(y);
            }
            out[i] = 3.0 * y; // Freeverb's wet scale
        }
        for &(ms, g) in early {
            let d = (ms * 1e-3 * rate_hz) as usize;
            if d < n {
                for (o, &x) in out[d..].iter_mut().zip(&input[..n - d]) {
                    *o += g * x;
                }
            }
        }
        out
    };
    let (wet_l, wet_r) = rayon::join(
        || side(0, &EARLY_LEFT),
        || side(STEREO_SPREAD, &EARLY_RIGHT),
    );
    (wet_l, wet_r)
}
