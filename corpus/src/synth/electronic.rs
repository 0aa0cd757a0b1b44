//! Electronic layer of hybrid pieces: the sub bass and the filtered saw arpeggio.

use super::dsp::{midi_to_hz, saw};
use super::{Context, Part};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Sub bass: a sine on each bar's root between 39 and 73 Hz (MIDI 27–38), ducked by the
/// kick on every beat, with a little second harmonic so small speakers hear it.
pub(crate) fn sub_bass(ctx: &Context) -> Part {
    let rate = ctx.rate_hz;
    let mut buf = vec![0.0f32; ctx.frames];
    let duck_mul = (-1.0 / (0.12 * rate)).exp();
    let glide = 1.0 - (-1.0 / (0.01 * rate)).exp();
    let beats = (ctx.frames as f64 / rate / ctx.score.beat_s).ceil() as usize;
    // Sine by a rotating phasor, renormalised each beat.
    let (mut s, mut c) = (0.0f64, 1.0f64);
    let mut amp = 0.0f64;
    for b in 0..beats {
        let n0 = ((b as f64 * ctx.score.beat_s * rate) as usize).min(buf.len());
        let n1 = (((b + 1) as f64 * ctx.score.beat_s * rate) as usize).min(buf.len());
        let chord = ctx.score.chord_at((b as f64 + 0.5) * ctx.score.beat_s);
        let midi = 27 + (chord.root_pc - 27).rem_euclid(12);
        let w = std::f64::consts::TAU * midi_to_hz(f64::from(midi)) / rate;
        let (sin_w, cos_w) = w.sin_cos();
        let norm = (s * s + c * c).sqrt().recip();
        s *= norm;
        c *= norm;
        let mut duck = 0.7f64;
        for x in buf[n0..n1].iter_mut() {
            amp += glide * (1.0 - duck - amp);
            *x = (amp * (s + 0.15 * s * s.abs())) as f32;
            let s_next = s * cos_w + c * sin_w;
            c = c * cos_w - s * sin_w;
            s = s_next;
            duck *= duck_mul;
        }
    }
    Part::new(buf, 0.0, -8.0)
}

/// Arpeggio on sixteenths over the chord tones (two octaves, up and down), saw through a
/// resonant state-variable lowpass whose cutoff snaps open and decays each note. `side`
/// 0 renders the even notes (left), 1 the odd notes (right): a ping-pong.
pub(crate) fn arp(ctx: &Context, side: usize, rng: &mut ChaCha8Rng) -> Part {
    let rate = ctx.rate_hz;
    let mut buf = vec![0.0f32; ctx.frames];
    let step_s = ctx.score.beat_s / 4.0;
    let steps = (ctx.frames as f64 / rate / step_s).ceil() as usize;
    let note_len = (step_s * 0.9 * rate) as usize;
    let base = ctx.score.tonic_midi + 12;
    let env_decay = (-1.0 / (0.07 * rate)).exp();
    let damping = 0.5;
    let pattern = [0usize, 1, 2, 3, 4, 5, 4, 3];
    for s in (side..steps).step_by(2) {
        let t_s = s as f64 * step_s;
        let n0 = (t_s * rate) as usize;
        if n0 >= buf.len() {
            break;
        }
        let chord = ctx.score.chord_at(t_s);
        let k = pattern[s % pattern.len()];
        let pc = chord.pcs[k % 3];
        let midi = base + (pc - base).rem_euclid(12) + 12 * (k / 3) as i32;
        let inc = midi_to_hz(f64::from(midi)) / rate;
        let mut phase = rng.gen::<f64>();
        let (mut low, mut band) = (0.0f64, 0.0f64);
        let mut env = 1.0f64;
        let end = (n0 + note_len).min(buf.len());
        let len = end - n0;
        for (j, x) in buf[n0..end].iter_mut().enumerate() {
            let cutoff_hz = 350.0 + 3200.0 * env;
            // Chamberlin SVF; f ≈ 2π fc / fs is accurate for fc ≪ fs (here < 4 kHz).
            let f = std::f64::consts::TAU * cutoff_hz / rate;
            let input = saw(phase, inc);
            low += f * band;
            let high = input - low - damping * band;
            band += f * high;
            // 2 ms fade at both ends against clicks.
            let edge = ((j.min(len - j)) as f64 / (0.002 * rate)).min(1.0);
            *x += (low * edge) as f32;
            phase += inc;
            if phase >= 1.0 {
                phase -= 1.0;
            }
            env *= env_decay;
        }
    }
    let pan = if side == 0 { -0.45 } else { 0.45 };
    Part::new(buf, pan, -19.0)
}
