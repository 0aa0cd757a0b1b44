//! Comparing two measurements: the tonal distance between a master and its reference.
use crate::analysis::Analysis;

/// Lowest and highest third-octave centre the distance covers, Hz.
pub const DISTANCE_BAND_HZ: (f64, f64) = (40.0, 10_000.0);

/// RMS difference between the third-octave mid spectra of `a` and `b` from 40 Hz to 10 kHz
/// after removing their mean difference (level-normalised), dB. `None` if fewer than three
/// bands have energy in both.
pub fn spectral_distance_db(a: &Analysis, b: &Analysis) -> Option<f64> {
    let diffs: Vec<f64> = a
        .spectrum
        .bands_hz
        .iter()
        .zip(a.spectrum.mid_db.iter().zip(&b.spectrum.mid_db))
        .filter(|(f, _)| (DISTANCE_BAND_HZ.0 * 0.99..=DISTANCE_BAND_HZ.1 * 1.01).contains(*f))
        .filter_map(|(_, (x, y))| Some((*x)? - (*y)?))
        .collect();
    if diffs.len() < 3 {
        return None;
    }
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    Some((diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / diffs.len() as f64).sqrt())
}
