//! Long-term spectra of mid and side: third-octave bands and a 1/12-octave-spaced fine
//! curve for EQ fitting, from the shared Welch pass.
//!
//! Calibration: every value is the power in the band relative to a full-scale sine
//! (`10 log10(P_band / 0.5)`), so a -20 dBFS sine reads -20 dB in the band that holds it,
//! and pink noise reads flat across third-octave bands. Bands reaching past Nyquist hold
//! only the part below it; bands wholly above Nyquist, and zero power, are `None`.
use serde::{Deserialize, Serialize};

use crate::units::power_db;
use crate::welch::{band_power, welch, WelchSpectra};
use coda_engine::Audio;

/// Mean-square power of a full-scale sine.
const FULL_SCALE_SINE_POWER: f64 = 0.5;

/// Base-10 third-octave band numbers relative to 1 kHz: -17 (19.95 Hz) ..= 13 (19.95 kHz).
const THIRD_OCTAVE_BANDS: std::ops::RangeInclusive<i32> = -17..=13;

/// Fine-curve points per octave, and the lowest point, Hz.
const FINE_PER_OCTAVE: f64 = 12.0;
const FINE_LOWEST_HZ: f64 = 20.0;
const FINE_HIGHEST_HZ: f64 = 20_000.0;

/// Long-term spectra of mid (L+R)/2 and side (L-R)/2, dB re full-scale sine per band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Exact base-10 third-octave centres `1000 * 10^(n/10)` Hz, n = -17..=13 (31 bands,
    /// nominal 20 Hz .. 20 kHz); edges at `centre * 10^(±1/20)`.
    pub bands_hz: Vec<f64>,
    /// Mid power per third-octave band, dB re full-scale sine.
    pub mid_db: Vec<Option<f64>>,
    /// Side power per third-octave band, dB re full-scale sine; all `None` for mono.
    pub side_db: Vec<Option<f64>>,
    /// Fine-curve points `20 * 2^(i/12)` Hz up to 20 kHz (120 points).
    pub fine_hz: Vec<f64>,
    /// Mid power in a 1/6-octave window (±1/12 octave) around each fine point, dB re
    /// full-scale sine (pink noise reads 3 dB below its third-octave level).
    pub fine_mid_db: Vec<Option<f64>>,
    /// Side power in the same windows, dB re full-scale sine; all `None` for mono.
    pub fine_side_db: Vec<Option<f64>>,
}

/// Exact base-10 third-octave centre frequencies from 20 Hz to 20 kHz (31 values), Hz.
pub fn third_octave_centres_hz() -> Vec<f64> {
    THIRD_OCTAVE_BANDS
        .map(|n| 1000.0 * 10f64.powf(f64::from(n) / 10.0))
        .collect()
}

/// Fine-curve frequencies: 1/12-octave steps from 20 Hz to 20 kHz (120 values), Hz.
pub fn fine_centres_hz() -> Vec<f64> {
    (0..)
        .map(|i| FINE_LOWEST_HZ * 2f64.powf(f64::from(i) / FINE_PER_OCTAVE))
        .take_while(|&f| f <= FINE_HIGHEST_HZ)
        .collect()
}

/// Spectrum of `audio` (Welch pass of its own).
pub fn spectrum_of(audio: &Audio) -> Spectrum {
    spectrum_from(&welch(audio))
}

/// Spectrum from an existing Welch pass.
pub fn spectrum_from(w: &WelchSpectra) -> Spectrum {
    let nyquist_hz = w.bin_hz * (w.mid.len().saturating_sub(1)) as f64;
    let bands_hz = third_octave_centres_hz();
    let third = 10f64.powf(1.0 / 20.0);
    let fine_hz = fine_centres_hz();
    let fine = 2f64.powf(1.0 / FINE_PER_OCTAVE);
    let levels = |psd: Option<&Vec<f64>>, centres: &[f64], ratio: f64| -> Vec<Option<f64>> {
        centres
            .iter()
            .map(|&fc| {
                let (lo, hi) = (fc / ratio, fc * ratio);
                let psd = psd?;
                if lo >= nyquist_hz {
                    return None;
                }
                power_db(band_power(psd, w.bin_hz, lo, hi) / FULL_SCALE_SINE_POWER)
            })
            .collect()
    };
    Spectrum {
        mid_db: levels(Some(&w.mid), &bands_hz, third),
        side_db: levels(w.side.as_ref(), &bands_hz, third),
        fine_mid_db: levels(Some(&w.mid), &fine_hz, fine),
        fine_side_db: levels(w.side.as_ref(), &fine_hz, fine),
        bands_hz,
        fine_hz,
    }
}
