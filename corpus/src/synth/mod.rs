//! Deterministic synthetic orchestral, hybrid and film-cue music.
//!
//! A [`Style`] sets tempo, key, dynamics and colour; a seeded score (chords, phrases,
//! dynamics curve, melody) drives string sections, brass, a solo line and timpani, and for
//! hybrid pieces a beat, sub bass and arpeggio. Each part renders mono from its own ChaCha8
//! stream (in parallel), is seated in the stereo field, summed in a fixed order and sent
//! through a small room, then peak-normalised to −3 dBFS. Same seed, same bits.

mod dsp;
mod electronic;
mod percussion;
mod room;
mod score;
mod voices;

use coda_engine::Audio;
use dsp::{db_to_gain, stream_rng};
use rayon::prelude::*;
use score::Score;

/// Sample peak of every rendered piece, in dBFS.
pub const PEAK_DBFS: f64 = -3.0;

/// Share (linear) of the electronic layer sent to the room, relative to the orchestra's.
const ELECTRONIC_SEND: f64 = 0.15;

/// The large-scale dynamic shape of a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Four-bar phrases that swell and relax, on an arc peaking at about 70 % of the piece.
    Phrases,
    /// A film cue: long pp opening, crescendo to a held ff climax at about 60 %, pp ending.
    Cue,
}

/// Knobs of a synthetic piece.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Style {
    /// Tempo in beats per minute (30–240).
    pub tempo_bpm: f64,
    /// Tonic of the minor key as a MIDI note (40–72; 57 = A3).
    pub tonic_midi: u8,
    /// Level difference in dB between the softest passage and the climax (0–40).
    pub dynamics_range_db: f64,
    /// Large-scale dynamic shape.
    pub form: Form,
    /// Tone colour 0 (dark) .. 1 (bright); scales the voices' lowpass cutoffs.
    pub brightness: f64,
    /// Room level 0 (dry) .. 1 (wet as dry).
    pub reverb_mix: f64,
    /// Adds the electronic layer: kick, snare, hats, sub bass and arpeggio.
    pub electronic: bool,
}

impl Default for Style {
    /// An orchestral piece in A minor at 72 BPM with 11 dB of dynamics.
    fn default() -> Self {
        Self {
            tempo_bpm: 72.0,
            tonic_midi: 57,
            dynamics_range_db: 11.0,
            form: Form::Phrases,
            brightness: 0.5,
            reverb_mix: 0.4,
            electronic: false,
        }
    }
}

impl Style {
    /// Orchestral style with tempo (64–84 BPM) and key drawn from `seed`.
    pub fn orchestral(seed: u64) -> Self {
        let (tempo_bpm, tonic_midi) = tempo_and_key(seed, 64.0, 84.0);
        Self {
            tempo_bpm,
            tonic_midi,
            ..Self::default()
        }
    }

    /// Hybrid style (orchestra plus beat, 96–132 BPM, 7 dB of dynamics) from `seed`.
    pub fn hybrid(seed: u64) -> Self {
        let (tempo_bpm, tonic_midi) = tempo_and_key(seed, 96.0, 132.0);
        Self {
            tempo_bpm,
            tonic_midi,
            dynamics_range_db: 7.0,
            brightness: 0.65,
            reverb_mix: 0.25,
            electronic: true,
            ..Self::default()
        }
    }

    /// Film-cue style (pp 26 dB under the climax, 56–76 BPM) from `seed`.
    pub fn film_cue(seed: u64) -> Self {
        let (tempo_bpm, tonic_midi) = tempo_and_key(seed, 56.0, 76.0);
        Self {
            tempo_bpm,
            tonic_midi,
            dynamics_range_db: 26.0,
            form: Form::Cue,
            reverb_mix: 0.45,
            ..Self::default()
        }
    }

    /// Checks every knob's range; `field` prefixes the reported field name.
    pub fn validate(&self, field: &str) -> coda_engine::Result<()> {
        let check = |name: &str, value: f64, lo: f64, hi: f64| {
            if value.is_finite() && (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(coda_engine::Error::Plan {
                    field: format!("{field}.{name}"),
                    reason: format!("{value} is outside {lo}..={hi}"),
                })
            }
        };
        check("tempo_bpm", self.tempo_bpm, 30.0, 240.0)?;
        check("tonic_midi", f64::from(self.tonic_midi), 40.0, 72.0)?;
        check("dynamics_range_db", self.dynamics_range_db, 0.0, 40.0)?;
        check("brightness", self.brightness, 0.0, 1.0)?;
        check("reverb_mix", self.reverb_mix, 0.0, 1.0)
    }
}

/// Tempo in [lo, hi) BPM and a tonic in E3..D#4 from random stream 1 of `seed`.
fn tempo_and_key(seed: u64, lo: f64, hi: f64) -> (f64, u8) {
    use rand::Rng;
    let mut rng = stream_rng(seed, 1);
    let tempo = rng.gen_range(lo..hi).round();
    let tonic = rng.gen_range(52u8..64);
    (tempo, tonic)
}

/// An orchestral piece: strings, brass swells, melody, timpani, room. LRA about 8–15 LU.
pub fn orchestral(seed: u64, duration_s: f64, sample_rate_hz: u32) -> Audio {
    render(&Style::orchestral(seed), seed, duration_s, sample_rate_hz)
}

/// A hybrid cinematic piece: the orchestral bed plus kick, snare, hats, sub bass and arp.
pub fn hybrid(seed: u64, duration_s: f64, sample_rate_hz: u32) -> Audio {
    render(&Style::hybrid(seed), seed, duration_s, sample_rate_hz)
}

/// A very dynamic film cue: pp passages about 20–26 dB under a held ff climax.
pub fn film_cue(seed: u64, duration_s: f64, sample_rate_hz: u32) -> Audio {
    render(&Style::film_cue(seed), seed, duration_s, sample_rate_hz)
}

/// Everything a part renderer reads.
pub(crate) struct Context<'a> {
    pub style: &'a Style,
    pub score: &'a Score,
    pub frames: usize,
    pub rate_hz: f64,
    /// Dynamics as per-sample linear gain.
    pub gain: &'a [f32],
    /// Dynamics level in dB per control block (one more entry than blocks).
    pub level_db: &'a [f32],
}

/// One rendered mono part with its seat and mix level.
pub(crate) struct Part {
    pub buf: Vec<f32>,
    pub pan: f64,
    pub level_db: f64,
}

impl Part {
    /// A part at `pan` (−1..1) mixed at `level_db`.
    pub fn new(buf: Vec<f32>, pan: f64, level_db: f64) -> Self {
        Self { buf, pan, level_db }
    }
}

/// The parts a piece is made of; the index is the part's random stream.
#[derive(Clone, Copy)]
enum PartKind {
    Strings(usize),
    Brass,
    Melody,
    Timpani,
    Kick,
    Snare,
    Hats,
    SubBass,
    Arp(usize),
}

/// Renders `style` for `duration_s` seconds at `sample_rate_hz` as stereo, peak −3 dBFS.
///
/// Panics if `style` fails [`Style::validate`], `duration_s` is negative or not finite,
/// or `sample_rate_hz` is below 8000.
pub fn render(style: &Style, seed: u64, duration_s: f64, sample_rate_hz: u32) -> Audio {
    if let Err(e) = style.validate("style") {
        panic!("invalid synth style: {e}");
    }
    assert!(
        duration_s.is_finite() && duration_s >= 0.0,
        "duration_s must be finite and >= 0, got {duration_s}"
    );
    assert!(sample_rate_hz >= 8000, "sample_rate_hz must be >= 8000");
    let rate_hz = f64::from(sample_rate_hz);
    let frames = (duration_s * rate_hz).round() as usize;
    if frames == 0 {
        return Audio::silence(sample_rate_hz, 2, 0);
    }
    let score = Score::compose(style, seed, duration_s);
    let (gain, level_db) = score.dynamics(frames, rate_hz);
    let ctx = Context {
        style,
        score: &score,
        frames,
        rate_hz,
        gain: &gain,
        level_db: &level_db,
    };
    let mut kinds: Vec<PartKind> = (0..5).map(PartKind::Strings).collect();
    kinds.extend([PartKind::Brass, PartKind::Melody, PartKind::Timpani]);
    if style.electronic {
        kinds.extend([
            PartKind::Kick,
            PartKind::Snare,
            PartKind::Hats,
            PartKind::SubBass,
            PartKind::Arp(0),
            PartKind::Arp(1),
        ]);
    }
    let parts: Vec<Part> = kinds
        .par_iter()
        .enumerate()
        .map(|(i, &kind)| {
            let mut rng = stream_rng(seed, 16 + i as u64);
            match kind {
                PartKind::Strings(s) => voices::strings(&ctx, s, &mut rng),
                PartKind::Brass => voices::brass(&ctx, &mut rng),
                PartKind::Melody => voices::melody(&ctx, &mut rng),
                PartKind::Timpani => percussion::timpani(&ctx, &mut rng),
                PartKind::Kick => percussion::kick(&ctx, &mut rng),
                PartKind::Snare => percussion::snare(&ctx, &mut rng),
                PartKind::Hats => percussion::hats(&ctx, &mut rng),
                PartKind::SubBass => electronic::sub_bass(&ctx),
                PartKind::Arp(side) => electronic::arp(&ctx, side, &mut rng),
            }
        })
        .collect();
    let mut left = vec![0.0f64; frames];
    let mut right = vec![0.0f64; frames];
    let mut dry_l = vec![0.0f64; frames];
    let mut dry_r = vec![0.0f64; frames];
    // Orchestra goes to the room; the electronic layer stays mostly dry.
    for (kind, part) in kinds.iter().zip(&parts) {
        let g = db_to_gain(part.level_db);
        match kind {
            PartKind::Strings(_) | PartKind::Brass | PartKind::Melody | PartKind::Timpani => {
                room::place(&mut left, &mut right, &part.buf, part.pan, g, rate_hz);
            }
            _ => room::place(&mut dry_l, &mut dry_r, &part.buf, part.pan, g, rate_hz),
        }
    }
    drop(parts);
    // One room for all: the orchestra fully, the electronic layer as a small send.
    let send: Vec<f64> = (0..frames)
        .map(|i| 0.5 * (left[i] + right[i]) + ELECTRONIC_SEND * 0.5 * (dry_l[i] + dry_r[i]))
        .collect();
    let (wet_l, wet_r) = room::room(send, rate_hz);
    let mix = style.reverb_mix;
    let combine = |orch: &[f64], el: &[f64], wet: &[f64]| -> Vec<f64> {
        orch.iter()
            .zip(el)
            .zip(wet)
            .map(|((o, e), w)| o + e + mix * w)
            .collect()
    };
    let out_l = combine(&left, &dry_l, &wet_l);
    let out_r = combine(&right, &dry_r, &wet_r);
    let peak = out_l
        .iter()
        .chain(&out_r)
        .fold(0.0f64, |m, &x| m.max(x.abs()));
    let scale = if peak > 0.0 {
        db_to_gain(PEAK_DBFS) / peak
    } else {
        0.0
    };
    let to_f32 = |v: Vec<f64>| v.into_iter().map(|x| (x * scale) as f32).collect();
    Audio::new(sample_rate_hz, vec![to_f32(out_l), to_f32(out_r)])
}
