//! The target a mix is matched to: one reference's measurements, or several references'
//! averaged with weights (spectra in the power domain, loudness figures linearly).
use coda_analysis::Analysis;
use serde::{Deserialize, Serialize};

/// What the fits aim at, distilled from one or more reference analyses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProfile {
    /// Fine-curve frequencies, Hz (the analysis' 1/12-octave grid).
    pub fine_hz: Vec<f64>,
    /// Mid power per fine point, dB re full-scale sine (`None` where no reference has energy).
    pub fine_mid_db: Vec<Option<f64>>,
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU.
    pub range_lu: Option<f64>,
    /// Side-to-mid power per stereo band (150 Hz / 2.5 kHz splits), dB; `None` for mono.
    pub side_to_mid_db: Vec<Option<f64>>,
    /// Peak-to-loudness ratio, dB.
    pub plr_db: Option<f64>,
    /// How many references went in.
    pub references: usize,
}

/// Weighted mean of the `Some` values (`None` when all are `None`).
fn mean_some(values: impl Iterator<Item = (Option<f64>, f64)>) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (v, w) in values {
        if let Some(v) = v {
            sum += v * w;
            weight += w;
        }
    }
    (weight > 0.0).then(|| sum / weight)
}

/// Weighted power-domain mean of dB values (`None` entries are skipped).
fn mean_power_db(values: impl Iterator<Item = (Option<f64>, f64)>) -> Option<f64> {
    mean_some(values.map(|(v, w)| (v.map(|db| 10f64.powf(db / 10.0)), w)))
        .filter(|&p| p > 0.0)
        .map(|p| 10.0 * p.log10())
}

impl TargetProfile {
    /// The profile of one reference.
    pub fn from_analysis(a: &Analysis) -> Self {
        Self::average(&[(a, 1.0)])
    }

    /// The weighted average of several references (weights > 0; they are normalised).
    ///
    /// Each reference's spectrum is first level-normalised to its own integrated loudness,
    /// so a loud and a quiet reference weigh on the tone as their weights say, not as
    /// their levels do; the averaged curve is then put back at the averaged loudness.
    pub fn average(refs: &[(&Analysis, f64)]) -> Self {
        assert!(!refs.is_empty(), "at least one reference");
        let fine_hz = refs[0].0.spectrum.fine_hz.clone();
        let lufs = mean_some(refs.iter().map(|(a, w)| (a.loudness.integrated_lufs, *w)));
        let offset = |a: &Analysis| lufs.unwrap_or(0.0) - a.loudness.integrated_lufs.unwrap_or(0.0);
        let fine_mid_db = (0..fine_hz.len())
            .map(|i| {
                mean_power_db(refs.iter().map(|(a, w)| {
                    (
                        a.spectrum
                            .fine_mid_db
                            .get(i)
                            .copied()
                            .flatten()
                            .map(|d| d + offset(a)),
                        *w,
                    )
                }))
            })
            .collect();
        let bands = refs[0].0.stereo.bands.len();
        let side_to_mid_db = (0..bands)
            .map(|b| {
                mean_some(
                    refs.iter()
                        .map(|(a, w)| (a.stereo.bands.get(b).and_then(|s| s.side_to_mid_db), *w)),
                )
            })
            .collect();
        Self {
            fine_hz,
            fine_mid_db,
            integrated_lufs: lufs,
            range_lu: mean_some(refs.iter().map(|(a, w)| (a.loudness.range_lu, *w))),
            side_to_mid_db,
            plr_db: mean_some(refs.iter().map(|(a, w)| (a.dynamics.plr_db, *w))),
            references: refs.len(),
        }
    }
}
