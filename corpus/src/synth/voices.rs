//! Sustained voices: string sections, brass, and the solo melody (detuned band-limited saws).

use super::dsp::{apply_gain, db_to_gain, dynamic_lowpass, midi_to_hz, saw, smoothstep, CTRL};
use super::score::{Note, Score};
use super::{Context, Part};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How a section plays its notes: players, spread, vibrato, envelope.
pub(crate) struct Ensemble {
    /// Players per note (detuned copies).
    pub players: usize,
    /// Largest random detune of one player, in cents.
    pub detune_cents: f64,
    /// Vibrato rate in Hz (each player varies it by ±10 %).
    pub vibrato_hz: f64,
    /// Vibrato depth in cents, reached `vibrato_delay_s` after the onset.
    pub vibrato_cents: f64,
    /// Time in seconds for vibrato to fade in.
    pub vibrato_delay_s: f64,
    /// Attack time in seconds (smoothstep rise).
    pub attack_s: f64,
    /// Release time in seconds to −60 dB after the note is let go.
    pub release_s: f64,
    /// Mix of a square-like tone (difference of two saws) into the saw, 0..1.
    pub hollow: f64,
}

/// Adds `notes` played by `ens` into `out` at `rate_hz`.
pub(crate) fn render_notes(
    out: &mut [f32],
    notes: &[Note],
    ens: &Ensemble,
    rate_hz: f64,
    rng: &mut ChaCha8Rng,
) {
    let players = ens.players.clamp(1, 8);
    let norm = 1.0 / (players as f64).sqrt();
    let hollow = ens.hollow > 0.0;
    for note in notes {
        let n0 = (note.start_s * rate_hz) as usize;
        if n0 >= out.len() {
            break;
        }
        let held = (note.dur_s * rate_hz) as usize;
        let n_end = (n0 + held + (ens.release_s * rate_hz) as usize).min(out.len());
        let base_inc = midi_to_hz(note.midi) / rate_hz;
        let mut phase = [0.0f64; 8];
        let mut phase2 = [0.0f64; 8];
        let mut detune = [0.0f64; 8];
        let mut vib_phase = [0.0f64; 8];
        let mut vib_rate = [0.0f64; 8];
        for p in 0..players {
            phase[p] = rng.gen::<f64>();
            phase2[p] = (phase[p] + 0.5).fract();
            detune[p] = rng.gen_range(-ens.detune_cents..=ens.detune_cents);
            vib_phase[p] = rng.gen::<f64>() * std::f64::consts::TAU;
            vib_rate[p] = ens.vibrato_hz * rng.gen_range(0.9..1.1);
        }
        let attack = (ens.attack_s * rate_hz).max(1.0);
        let release_mul = (-6.9 / (ens.release_s * rate_hz).max(1.0)).exp();
        let mut release_gain = 1.0f64;
        let amp = note.velocity * norm;
        let mut i = n0;
        while i < n_end {
            let block_end = (i + CTRL).min(n_end);
            let t_s = (i - n0) as f64 / rate_hz;
            let depth = ens.vibrato_cents * smoothstep(t_s / ens.vibrato_delay_s.max(1e-3));
            let mut inc = [0.0f64; 8];
            for p in 0..players {
                let vib = depth * (vib_phase[p] + std::f64::consts::TAU * vib_rate[p] * t_s).sin();
                inc[p] = base_inc * 2f64.powf((detune[p] + vib) / 1200.0);
            }
            for j in i..block_end {
                let k = (j - n0) as f64;
                let mut env = smoothstep(k / attack);
                if j - n0 >= held {
                    release_gain *= release_mul;
                    env *= release_gain;
                }
                let mut sum = 0.0f64;
                for p in 0..players {
                    let s1 = saw(phase[p], inc[p]);
                    phase[p] += inc[p];
                    if phase[p] >= 1.0 {
                        phase[p] -= 1.0;
                    }
                    sum += s1;
                    if hollow {
                        // A saw minus a half-cycle-shifted saw is a square: odd harmonics.
                        let s2 = saw(phase2[p], inc[p]);
                        sum += ens.hollow * (s1 - s2) * 0.5;
                        phase2[p] += inc[p];
                        if phase2[p] >= 1.0 {
                            phase2[p] -= 1.0;
                        }
                    }
                }
                out[j] += (sum * env * amp) as f32;
            }
            i = block_end;
        }
    }
}

/// The five string sections: (name, low, high MIDI relative to the tonic, pan, level dB).
const STRINGS: [(i32, i32, f64, f64); 5] = [
    (12, 26, -0.65, 0.0),   // violins I, far left
    (5, 19, -0.3, -2.0),    // violins II, left of centre
    (-2, 12, 0.15, -3.0),   // violas, just right
    (-12, 0, 0.5, -1.0),    // cellos, right
    (-24, -12, 0.75, -4.0), // basses, far right
];

/// One string section `index` (0 = violins I .. 4 = basses).
pub(crate) fn strings(ctx: &Context, index: usize, rng: &mut ChaCha8Rng) -> Part {
    let (lo, hi, pan, level_db) = STRINGS[index];
    let score: &Score = ctx.score;
    let tonic = score.tonic_midi;
    let notes = score.chord_line(tonic + lo, tonic + hi, |c| match index {
        0 => vec![c.pcs[0], c.pcs[1], c.pcs[2]],
        1 => vec![c.pcs[1], c.pcs[2]],
        2 => vec![c.pcs[2], c.pcs[0]],
        3 => vec![c.root_pc],
        _ => vec![c.root_pc],
    });
    let ens = Ensemble {
        players: 4,
        detune_cents: 7.0,
        vibrato_hz: 5.5,
        vibrato_cents: 9.0,
        vibrato_delay_s: 0.6,
        attack_s: 0.45,
        release_s: 0.9,
        hollow: 0.0,
    };
    let mut buf = vec![0.0f32; ctx.frames];
    render_notes(&mut buf, &notes, &ens, ctx.rate_hz, rng);
    let bright = ctx.style.brightness;
    // Strings darken when soft: 1.2 kHz at pp up to about 5 kHz at ff (brightness 0.5).
    dynamic_lowpass(&mut buf, ctx.level_db, ctx.rate_hz, 2, |l| {
        (2500.0 + 3000.0 * bright) * db_to_gain(0.5 * l.max(-30.0))
    });
    apply_gain(&mut buf, ctx.gain);
    Part::new(buf, pan, level_db - 14.0)
}

/// Dynamics level in dB below which the brass is silent.
const BRASS_ENTRY_DB: f64 = -12.0;

/// French horns and trombones: a three-voice chord that swells in only when loud,
/// brighter with level.
pub(crate) fn brass(ctx: &Context, rng: &mut ChaCha8Rng) -> Part {
    let tonic = ctx.score.tonic_midi;
    let ens = Ensemble {
        players: 2,
        detune_cents: 4.0,
        vibrato_hz: 4.8,
        vibrato_cents: 4.0,
        vibrato_delay_s: 1.0,
        attack_s: 0.35,
        release_s: 0.6,
        hollow: 0.3,
    };
    let mut buf = vec![0.0f32; ctx.frames];
    let ranges = [(-5, 7), (-10, 2), (-17, -5)];
    // Only notes that reach the brass entry level are played.
    let audible = |n: &Note| {
        let steps = (n.dur_s / 0.25).ceil() as usize;
        (0..=steps).any(|k| ctx.score.level_db_at(n.start_s + 0.25 * k as f64) > BRASS_ENTRY_DB)
    };
    for (v, (lo, hi)) in ranges.into_iter().enumerate() {
        let mut notes = ctx
            .score
            .chord_line(tonic + lo, tonic + hi, |c| vec![c.pcs[(3 - v) % 3]]);
        notes.retain(audible);
        render_notes(&mut buf, &notes, &ens, ctx.rate_hz, rng);
    }
    let bright = ctx.style.brightness;
    dynamic_lowpass(&mut buf, ctx.level_db, ctx.rate_hz, 2, |l| {
        (300.0 + 700.0 * bright) * db_to_gain(1.6 * (l + 14.0).max(-6.0))
    });
    // Brass enters from −12 dB and is fully in by −4 dB.
    let entry = |l: f32| smoothstep((f64::from(l) - BRASS_ENTRY_DB) / 8.0);
    for (chunk, pair) in buf.chunks_mut(CTRL).zip(ctx.level_db.windows(2)) {
        let (g0, g1) = (entry(pair[0]), entry(pair[1]));
        for (j, x) in chunk.iter_mut().enumerate() {
            *x *= (g0 + (g1 - g0) * j as f64 / CTRL as f64) as f32;
        }
    }
    apply_gain(&mut buf, ctx.gain);
    Part::new(buf, 0.25, -15.0)
}

/// A solo melody (horn/oboe-like, hollow tone with delayed vibrato), near the centre.
pub(crate) fn melody(ctx: &Context, rng: &mut ChaCha8Rng) -> Part {
    let tonic = ctx.score.tonic_midi;
    let notes = ctx.score.melody(rng, tonic + 7, tonic + 22);
    let ens = Ensemble {
        players: 1,
        detune_cents: 0.0,
        vibrato_hz: 5.2,
        vibrato_cents: 18.0,
        vibrato_delay_s: 0.35,
        attack_s: 0.08,
        release_s: 0.35,
        hollow: 0.7,
    };
    let mut buf = vec![0.0f32; ctx.frames];
    render_notes(&mut buf, &notes, &ens, ctx.rate_hz, rng);
    let bright = ctx.style.brightness;
    dynamic_lowpass(&mut buf, ctx.level_db, ctx.rate_hz, 2, |l| {
        (1800.0 + 2000.0 * bright) * db_to_gain(0.4 * l.max(-30.0))
    });
    // The solo stays forward in soft passages: it follows only 70 % of the dynamics in dB.
    for (x, &g) in buf.iter_mut().zip(ctx.gain) {
        *x *= g.max(1e-6).powf(0.7);
    }
    Part::new(buf, -0.1, -13.0)
}
