//! The score: chord per bar in a minor key, phrase form, dynamics curve and melody.

use super::dsp::{db_to_gain, stream_rng, CTRL};
use super::{Form, Style};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Natural minor scale, semitones above the tonic.
const MINOR_SCALE: [i32; 7] = [0, 2, 3, 5, 7, 8, 10];

/// Chord progressions as 0-based scale degrees, one chord per bar (i–VI–III–VII and kin).
const PROGRESSIONS: [[usize; 4]; 4] = [[0, 5, 2, 6], [0, 3, 6, 2], [0, 5, 3, 4], [0, 6, 5, 4]];

/// Bars per phrase and beats per bar.
pub(crate) const BARS_PER_PHRASE: usize = 4;
pub(crate) const BEATS_PER_BAR: usize = 4;

/// One note: onset and held length in seconds, MIDI pitch, linear velocity (0..1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Note {
    pub start_s: f64,
    pub dur_s: f64,
    pub midi: f64,
    pub velocity: f64,
}

/// One bar's chord: onset, length, root pitch class and the triad's pitch classes (0..11).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chord {
    pub start_s: f64,
    pub dur_s: f64,
    pub root_pc: i32,
    pub pcs: [i32; 3],
}

/// Everything the voices read: timing, harmony, and the dynamics curve in dB (0 = ff).
pub(crate) struct Score {
    pub beat_s: f64,
    pub tonic_midi: i32,
    pub chords: Vec<Chord>,
    pub phrase_starts_s: Vec<f64>,
    /// Breakpoints (time in s, level in dB), linear in dB between them.
    pub curve: Vec<(f64, f64)>,
    /// Time in seconds of the loudest moment.
    pub climax_s: f64,
}

impl Score {
    /// Composes a score for `style` lasting `duration_s`, from random stream 0 of `seed`.
    pub fn compose(style: &Style, seed: u64, duration_s: f64) -> Self {
        let mut rng = stream_rng(seed, 0);
        let beat_s = 60.0 / style.tempo_bpm;
        let bar_s = beat_s * BEATS_PER_BAR as f64;
        let phrase_s = bar_s * BARS_PER_PHRASE as f64;
        let tonic_midi = i32::from(style.tonic_midi);
        let tonic_pc = tonic_midi.rem_euclid(12);
        let bars = (duration_s / bar_s).ceil().max(1.0) as usize + 1;
        let mut chords = Vec::with_capacity(bars);
        let mut progression = PROGRESSIONS[0];
        for bar in 0..bars {
            if bar % BARS_PER_PHRASE == 0 && bar > 0 {
                progression = PROGRESSIONS[rng.gen_range(0..PROGRESSIONS.len())];
            }
            let degree = progression[bar % BARS_PER_PHRASE];
            chords.push(triad(degree, tonic_pc, bar as f64 * bar_s, bar_s));
        }
        let phrase_starts_s: Vec<f64> = (0..)
            .map(|p| p as f64 * phrase_s)
            .take_while(|&t| t < duration_s)
            .collect();
        let (curve, climax_s) = match style.form {
            Form::Phrases => phrase_curve(style, &mut rng, duration_s, bar_s),
            Form::Cue => cue_curve(style, &mut rng, duration_s, bar_s),
        };
        Self {
            beat_s,
            tonic_midi,
            chords,
            phrase_starts_s,
            curve,
            climax_s,
        }
    }

    /// Dynamics level in dB (0 = ff) at `time_s`.
    pub fn level_db_at(&self, time_s: f64) -> f64 {
        let c = &self.curve;
        if time_s <= c[0].0 {
            return c[0].1;
        }
        for w in c.windows(2) {
            if time_s <= w[1].0 {
                let x = (time_s - w[0].0) / (w[1].0 - w[0].0).max(1e-9);
                return w[0].1 + x * (w[1].1 - w[0].1);
            }
        }
        c[c.len() - 1].1
    }

    /// The dynamics as per-sample linear gain and per-[`CTRL`]-block level in dB.
    pub fn dynamics(&self, frames: usize, rate_hz: f64) -> (Vec<f32>, Vec<f32>) {
        let blocks = frames.div_ceil(CTRL).max(1);
        let level: Vec<f32> = (0..=blocks)
            .map(|b| self.level_db_at((b * CTRL) as f64 / rate_hz) as f32)
            .collect();
        let mut gain = vec![0.0f32; frames];
        for (b, chunk) in gain.chunks_mut(CTRL).enumerate() {
            let g0 = db_to_gain(f64::from(level[b]));
            let g1 = db_to_gain(f64::from(level[b + 1]));
            for (j, g) in chunk.iter_mut().enumerate() {
                *g = (g0 + (g1 - g0) * j as f64 / CTRL as f64) as f32;
            }
        }
        (gain, level)
    }

    /// The chord sounding at `time_s`.
    pub fn chord_at(&self, time_s: f64) -> &Chord {
        let bar = self.chords.first().map_or(1.0, |c| c.dur_s);
        let i = (time_s / bar).floor().max(0.0) as usize;
        &self.chords[i.min(self.chords.len() - 1)]
    }

    /// A voice-led line: per bar the chord tone `tone` places nearest the previous note in
    /// [`lo`, `hi`] (MIDI); repeated pitches are tied into one note.
    pub fn chord_line(&self, lo: i32, hi: i32, pick: impl Fn(&Chord) -> Vec<i32>) -> Vec<Note> {
        let mut notes: Vec<Note> = Vec::new();
        let mut prev = (lo + hi) / 2;
        for chord in &self.chords {
            let candidates = pick(chord);
            let midi = nearest_in_range(&candidates, prev, lo, hi);
            prev = midi;
            match notes.last_mut() {
                Some(last) if last.midi as i32 == midi => last.dur_s += chord.dur_s,
                _ => notes.push(Note {
                    start_s: chord.start_s,
                    dur_s: chord.dur_s,
                    midi: f64::from(midi),
                    velocity: 1.0,
                }),
            }
        }
        notes
    }

    /// A singing melody over the chords in [`lo`, `hi`] (MIDI), resting at phrase ends.
    pub fn melody(&self, rng: &mut ChaCha8Rng, lo: i32, hi: i32) -> Vec<Note> {
        const RHYTHMS: [&[f64]; 6] = [
            &[2.0, 2.0],
            &[1.0, 1.0, 2.0],
            &[3.0, 1.0],
            &[2.0, 1.0, 1.0],
            &[1.5, 0.5, 2.0],
            &[4.0],
        ];
        let tonic_pc = self.tonic_midi.rem_euclid(12);
        let scale: Vec<i32> = (lo..=hi)
            .filter(|m| MINOR_SCALE.contains(&(m - tonic_pc).rem_euclid(12)))
            .collect();
        let mut notes = Vec::new();
        let mut idx = scale.len() / 2;
        for (bar, chord) in self.chords.iter().enumerate() {
            let last_of_phrase = bar % BARS_PER_PHRASE == BARS_PER_PHRASE - 1;
            let rhythm: &[f64] = if last_of_phrase {
                &[3.0]
            } else {
                RHYTHMS[rng.gen_range(0..RHYTHMS.len())]
            };
            let mut t = chord.start_s;
            for (k, &beats) in rhythm.iter().enumerate() {
                if k == 0 {
                    // Strong beat: the chord tone nearest the current pitch.
                    let target: Vec<i32> = chord.pcs.to_vec();
                    let midi = nearest_in_range(&target, scale[idx], lo, hi);
                    idx = scale.iter().position(|&m| m == midi).unwrap_or(idx);
                } else {
                    let step: i32 = [-2, -1, -1, 1, 1, 2][rng.gen_range(0..6)];
                    idx = (idx as i32 + step).clamp(0, scale.len() as i32 - 1) as usize;
                }
                let dur_s = beats * self.beat_s;
                notes.push(Note {
                    start_s: t,
                    dur_s: dur_s * 0.92,
                    midi: f64::from(scale[idx]),
                    velocity: if k == 0 { 1.0 } else { 0.8 },
                });
                t += dur_s;
            }
        }
        notes
    }
}

/// The triad on scale degree `degree` (V is major, as in harmonic minor).
fn triad(degree: usize, tonic_pc: i32, start_s: f64, dur_s: f64) -> Chord {
    let pc = |d: usize| (tonic_pc + MINOR_SCALE[d % 7]).rem_euclid(12);
    let third = if degree == 4 {
        (tonic_pc + 11).rem_euclid(12)
    } else {
        pc(degree + 2)
    };
    Chord {
        start_s,
        dur_s,
        root_pc: pc(degree),
        pcs: [pc(degree), third, pc(degree + 4)],
    }
}

/// The MIDI note in [`lo`, `hi`] with a pitch class in `pcs` that is nearest `prev`.
fn nearest_in_range(pcs: &[i32], prev: i32, lo: i32, hi: i32) -> i32 {
    (lo..=hi)
        .filter(|m| pcs.contains(&m.rem_euclid(12)))
        .min_by_key(|m| (m - prev).abs())
        .unwrap_or(prev.clamp(lo, hi))
}

/// Phrase form: each phrase swells toward its own level; one arc peaks near 70 % at 0 dB.
fn phrase_curve(
    style: &Style,
    rng: &mut ChaCha8Rng,
    duration_s: f64,
    bar_s: f64,
) -> (Vec<(f64, f64)>, f64) {
    let range = style.dynamics_range_db;
    let bars = (duration_s / bar_s).ceil().max(1.0) as usize;
    let climax_bar = ((bars as f64 * 0.7) as usize).min(bars - 1);
    let mut curve = Vec::with_capacity(bars * 2 + 2);
    for bar in 0..bars {
        let x = (bar as f64 + 0.5) / bars as f64;
        // Arc: soft at the start, loudest at 70 %, easing off after.
        let arc = if x < 0.7 {
            (x / 0.7).powf(1.3)
        } else {
            1.0 - 0.6 * (x - 0.7) / 0.3
        };
        // Inside each phrase: build over three bars, relax on the fourth.
        let inner = [0.0, 0.35, 0.7, 0.4][bar % BARS_PER_PHRASE];
        let jitter = rng.gen_range(-0.06..0.06);
        let shape = (0.55 * arc + 0.45 * inner + jitter).clamp(0.0, 1.0);
        let level = if bar == climax_bar {
            0.0
        } else {
            -range * (1.0 - shape)
        };
        curve.push((bar as f64 * bar_s + 0.5 * bar_s, level));
    }
    let first = curve[0].1;
    curve.insert(0, (0.0, first));
    let climax_s = (climax_bar as f64 + 0.5) * bar_s;
    (curve, climax_s)
}

/// Cue form: a long pp opening, a crescendo to a held ff climax, then pp again.
fn cue_curve(
    style: &Style,
    rng: &mut ChaCha8Rng,
    duration_s: f64,
    bar_s: f64,
) -> (Vec<(f64, f64)>, f64) {
    let pp = -style.dynamics_range_db;
    let d = duration_s;
    let swell = rng.gen_range(2.0..4.0);
    let mut curve = vec![(0.0, pp - 2.0), (0.2 * d, pp + swell), (0.36 * d, pp)];
    curve.push((0.58 * d, -1.5));
    curve.push((0.62 * d, 0.0));
    curve.push((0.74 * d, -1.0));
    curve.push((0.78 * d, -2.0));
    curve.push((0.84 * d, pp));
    curve.push((d, pp - 3.0));
    let climax_s = (0.62 * d / bar_s).round() * bar_s;
    (curve, climax_s)
}
