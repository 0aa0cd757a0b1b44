//! Small DSP building blocks shared by the synth voices: oscillators, filters, gain curves.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Samples per control-rate block (vibrato, filter cutoffs).
pub(crate) const CTRL: usize = 32;

/// An independent, reproducible random stream for one part of a piece.
pub(crate) fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Linear gain of `db` decibels.
#[inline]
pub(crate) fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Frequency in Hz of a (fractional) MIDI note number (A4 = 69 = 440 Hz).
#[inline]
pub(crate) fn midi_to_hz(midi: f64) -> f64 {
    440.0 * 2f64.powf((midi - 69.0) / 12.0)
}

/// PolyBLEP residual that removes most aliasing from a sawtooth's reset.
#[inline]
fn poly_blep(t: f64, dt: f64) -> f64 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

/// Band-limited sawtooth (−1..1) at phase `t` in [0, 1) advancing `dt` cycles per sample.
#[inline]
pub(crate) fn saw(t: f64, dt: f64) -> f64 {
    2.0 * t - 1.0 - poly_blep(t, dt)
}

/// Coefficient of a one-pole lowpass with cutoff `freq_hz` at `rate_hz`.
#[inline]
pub(crate) fn one_pole_coef(freq_hz: f64, rate_hz: f64) -> f64 {
    1.0 - (-std::f64::consts::TAU * freq_hz / rate_hz).exp()
}

/// Cascade of `poles` one-pole lowpasses whose cutoff follows `cutoff_hz(level_db)` per block.
///
/// `level_db` holds one value per [`CTRL`] samples of `buf`.
pub(crate) fn dynamic_lowpass(
    buf: &mut [f32],
    level_db: &[f32],
    rate_hz: f64,
    poles: usize,
    cutoff_hz: impl Fn(f64) -> f64,
) {
    let mut state = vec![0.0f64; poles];
    for (block, chunk) in buf.chunks_mut(CTRL).enumerate() {
        let level = f64::from(level_db[block.min(level_db.len() - 1)]);
        let a = one_pole_coef(cutoff_hz(level).min(0.45 * rate_hz), rate_hz);
        for x in chunk.iter_mut() {
            let mut y = f64::from(*x);
            for s in state.iter_mut() {
                *s += a * (y - *s);
                y = *s;
            }
            *x = y as f32;
        }
    }
}

/// Fixed one-pole highpass at `freq_hz`, in place.
pub(crate) fn highpass_in_place(buf: &mut [f64], freq_hz: f64, rate_hz: f64) {
    let a = one_pole_coef(freq_hz, rate_hz);
    let mut low = 0.0f64;
    for x in buf.iter_mut() {
        low += a * (*x - low);
        *x -= low;
    }
}

/// Multiplies `buf` by `gain` sample by sample.
pub(crate) fn apply_gain(buf: &mut [f32], gain: &[f32]) {
    assert_eq!(buf.len(), gain.len());
    for (x, g) in buf.iter_mut().zip(gain) {
        *x *= g;
    }
}

/// Hermite smoothstep of `x` clamped to [0, 1].
#[inline]
pub(crate) fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}
