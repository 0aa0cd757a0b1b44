//! Percussion: timpani (pitched membranes with a mallet noise), kick, snare and hats.

use super::dsp::{db_to_gain, midi_to_hz, one_pole_coef};
use super::score::BEATS_PER_BAR;
use super::{Context, Part};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Timpani partials: frequency ratio to the fundamental, amplitude, decay time constant (s).
/// Ratios after Rossing's measurements of a tuned kettle drum (1 : 1.50 : 1.98 : 2.44 ...).
const TIMPANI_PARTIALS: [(f64, f64, f64); 6] = [
    (1.0, 1.0, 0.9),
    (1.504, 0.55, 0.6),
    (1.742, 0.25, 0.35),
    (1.994, 0.35, 0.45),
    (2.44, 0.2, 0.3),
    (2.9, 0.1, 0.2),
];

/// Adds one timpani stroke at sample `n0` with fundamental `freq_hz` and linear `velocity`.
/// `ring_s` caps the ring (a roll's strokes are damped by the next ones).
fn timpani_hit(
    out: &mut [f32],
    n0: usize,
    freq_hz: f64,
    velocity: f64,
    ring_s: f64,
    rate_hz: f64,
    rng: &mut ChaCha8Rng,
) {
    let len = ((ring_s * rate_hz) as usize).min(out.len().saturating_sub(n0));
    let seg = &mut out[n0..n0 + len];
    for &(ratio, amp, tau_s) in &TIMPANI_PARTIALS {
        // Each partial stops at −60 dB (6.9 time constants).
        let partial_len = ((6.9 * tau_s * rate_hz) as usize).min(len);
        let w = std::f64::consts::TAU * freq_hz * ratio / rate_hz;
        let (sin_w, cos_w) = w.sin_cos();
        let decay = (-1.0 / (tau_s * rate_hz)).exp();
        let start = rng.gen::<f64>() * std::f64::consts::TAU;
        let (mut s, mut c) = start.sin_cos();
        let mut a = amp * velocity;
        for x in seg[..partial_len].iter_mut() {
            *x += (a * s) as f32;
            let s_next = s * cos_w + c * sin_w;
            c = c * cos_w - s * sin_w;
            s = s_next;
            a *= decay;
        }
    }
    // Felt mallet: 25 ms of lowpassed noise.
    let noise_len = ((0.025 * rate_hz) as usize).min(len);
    let lp = one_pole_coef(2500.0, rate_hz);
    let mut y = 0.0f64;
    let decay = (-1.0 / (0.006 * rate_hz)).exp();
    let mut a = 0.6 * velocity;
    for x in seg[..noise_len].iter_mut() {
        y += lp * (rng.gen_range(-1.0..1.0) - y);
        *x += (a * y) as f32;
        a *= decay;
    }
}

/// Timpani on phrase starts when the music is loud enough, and a roll into the climax.
pub(crate) fn timpani(ctx: &Context, rng: &mut ChaCha8Rng) -> Part {
    let score = ctx.score;
    let rate = ctx.rate_hz;
    let mut buf = vec![0.0f32; ctx.frames];
    // Tuned in the F2–F3 range: tonic and dominant.
    let tonic_pc = score.tonic_midi.rem_euclid(12);
    let low = 41 + (tonic_pc - 41).rem_euclid(12);
    let dominant = 41 + (tonic_pc + 7 - 41).rem_euclid(12);
    let hit = |t_s: f64, midi: i32, ring_s: f64, buf: &mut [f32], rng: &mut ChaCha8Rng| {
        let n0 = (t_s * rate) as usize;
        if n0 < buf.len() {
            let vel = db_to_gain(score.level_db_at(t_s));
            timpani_hit(buf, n0, midi_to_hz(f64::from(midi)), vel, ring_s, rate, rng);
        }
    };
    for &t in &score.phrase_starts_s {
        if score.level_db_at(t + 0.5) > -10.0 {
            hit(t, low, 3.0, &mut buf, rng);
            hit(t + 2.0 * score.beat_s, dominant, 3.0, &mut buf, rng);
        }
    }
    // A one-bar roll (sixteenths) crescendoing into the climax, then the downbeat.
    let sixteenth = score.beat_s / 4.0;
    let roll_start = score.climax_s - BEATS_PER_BAR as f64 * score.beat_s;
    for k in 0..(4 * BEATS_PER_BAR) {
        let t = roll_start + k as f64 * sixteenth;
        if t >= 0.0 {
            hit(t, low, 4.0 * sixteenth, &mut buf, rng);
        }
    }
    hit(score.climax_s, low, 3.0, &mut buf, rng);
    Part::new(buf, 0.3, -9.0)
}

/// Kick on every beat: a sine diving from 150 Hz to 45 Hz with a click.
pub(crate) fn kick(ctx: &Context, rng: &mut ChaCha8Rng) -> Part {
    let rate = ctx.rate_hz;
    let mut buf = vec![0.0f32; ctx.frames];
    let len = (0.6 * rate) as usize;
    let pitch_decay = (-1.0 / (0.035 * rate)).exp();
    let amp_decay = (-1.0 / (0.28 * rate)).exp();
    let click_len = (0.003 * rate) as usize;
    let beats = (ctx.frames as f64 / rate / ctx.score.beat_s).ceil() as usize;
    for b in 0..beats {
        let n0 = (b as f64 * ctx.score.beat_s * rate) as usize;
        if n0 >= buf.len() {
            break;
        }
        let end = (n0 + len).min(buf.len());
        let vel = if b % 2 == 0 { 1.0 } else { 0.9 };
        let mut sweep = 105.0f64;
        let mut phase = 0.0f64;
        let mut amp = vel;
        for (k, x) in buf[n0..end].iter_mut().enumerate() {
            let freq = 45.0 + sweep;
            let mut v = amp * phase.sin();
            if k < click_len {
                v += 0.3 * vel * rng.gen_range(-1.0..1.0);
            }
            *x += v as f32;
            phase += std::f64::consts::TAU * freq / rate;
            sweep *= pitch_decay;
            amp *= amp_decay;
        }
    }
    Part::new(buf, 0.0, -6.0)
}

/// Snare/clap on beats 2 and 4: bright noise burst over a 185 Hz body.
pub(crate) fn snare(ctx: &Context, rng: &mut ChaCha8Rng) -> Part {
    let rate = ctx.rate_hz;
    let mut buf = vec![0.0f32; ctx.frames];
    let len = (0.35 * rate) as usize;
    let noise_decay = (-1.0 / (0.11 * rate)).exp();
    let tone_decay = (-1.0 / (0.06 * rate)).exp();
    let hp = one_pole_coef(900.0, rate);
    let w = std::f64::consts::TAU * 185.0 / rate;
    let beats = (ctx.frames as f64 / rate / ctx.score.beat_s).ceil() as usize;
    for b in (1..beats).step_by(2) {
        let n0 = (b as f64 * ctx.score.beat_s * rate) as usize;
        if n0 >= buf.len() {
            break;
        }
        let end = (n0 + len).min(buf.len());
        let (mut an, mut at, mut low) = (1.0f64, 0.5f64, 0.0f64);
        for (k, x) in buf[n0..end].iter_mut().enumerate() {
            let n = rng.gen_range(-1.0..1.0);
            low += hp * (n - low);
            *x += (an * (n - low) + at * (w * k as f64).sin()) as f32;
            an *= noise_decay;
            at *= tone_decay;
        }
    }
    Part::new(buf, -0.05, -12.0)
}

/// Closed hats on eighths, accented on the off-beat: highpassed noise, 30 ms decay.
pub(crate) fn hats(ctx: &Context, rng: &mut ChaCha8Rng) -> Part {
    let rate = ctx.rate_hz;
    let mut buf = vec![0.0f32; ctx.frames];
    let len = (0.12 * rate) as usize;
    let decay = (-1.0 / (0.03 * rate)).exp();
    let hp = one_pole_coef(7000.0, rate);
    let eighth = ctx.score.beat_s / 2.0;
    let count = (ctx.frames as f64 / rate / eighth).ceil() as usize;
    for e in 0..count {
        let n0 = (e as f64 * eighth * rate) as usize;
        if n0 >= buf.len() {
            break;
        }
        let end = (n0 + len).min(buf.len());
        let mut a = if e % 2 == 1 { 1.0 } else { 0.55 };
        let (mut l1, mut l2) = (0.0f64, 0.0f64);
        for x in buf[n0..end].iter_mut() {
            let n = rng.gen_range(-1.0..1.0);
            l1 += hp * (n - l1);
            let h1 = n - l1;
            l2 += hp * (h1 - l2);
            *x += (a * (h1 - l2)) as f32;
            a *= decay;
        }
    }
    Part::new(buf, 0.35, -20.0)
}
