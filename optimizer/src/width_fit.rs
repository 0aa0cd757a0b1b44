//! Width fit: side gain per band (lows below 150 Hz, mids, highs above 2.5 kHz) moving the
//! mix's side-to-mid balance toward the target's. Lows are only ever narrowed (a focused,
//! mono-compatible low end); mids and highs move within limits.
use coda_analysis::STEREO_SPLITS_HZ;
use coda_engine::processors::imager::ImagerConfig;
use serde::{Deserialize, Serialize};

use crate::tuning::Tuning;

/// The fitted imager and the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidthFit {
    /// The imager for the plan (`None` when every width rounds to 1).
    pub imager: Option<ImagerConfig>,
    /// Mix side-to-mid per band, dB.
    pub mix_side_to_mid_db: Vec<Option<f64>>,
    /// Target side-to-mid per band, dB.
    pub target_side_to_mid_db: Vec<Option<f64>>,
}

/// Low-band side-to-mid a focused master does not exceed without a reference, dB.
const LOW_BAND_FOCUS_DB: f64 = -12.0;

/// Fits per-band side gains with strength 0..1 (applied as an exponent on the gain).
pub fn fit_width(
    mix: &[Option<f64>],
    target: &[Option<f64>],
    strength: f64,
    tuning: &Tuning,
) -> WidthFit {
    let strength = strength.clamp(0.0, 1.0);
    let bands = STEREO_SPLITS_HZ.len() + 1;
    let widths: Vec<f64> = (0..bands)
        .map(|b| {
            let m = mix.get(b).copied().flatten();
            let t = target.get(b).copied().flatten();
            let gain = match (m, t) {
                // Side gain g changes side-to-mid by 20 log10 g.
                (Some(m), Some(t)) => 10f64.powf((t - m) / 20.0),
                // No target width (mono reference or none): only focus a wide low end.
                (Some(m), None) if b == 0 && m > LOW_BAND_FOCUS_DB => {
                    10f64.powf((LOW_BAND_FOCUS_DB - m) / 20.0)
                }
                _ => 1.0,
            };
            let limited = if b == 0 {
                gain.clamp(0.0, tuning.low_width_max)
            } else {
                gain.clamp(tuning.width_limits[0], tuning.width_limits[1])
            };
            let w = limited.max(1e-3).powf(strength);
            (w * 100.0).round() / 100.0
        })
        .collect();
    let imager = widths.iter().any(|&w| w != 1.0).then(|| ImagerConfig {
        crossovers_hz: STEREO_SPLITS_HZ.to_vec(),
        widths,
    });
    WidthFit {
        imager,
        mix_side_to_mid_db: mix.to_vec(),
        target_side_to_mid_db: target.to_vec(),
    }
}

/// Side-to-mid the open-loop fit aims for in each band (the mix's moved by 20 log10 of the
/// band's side gain, strength and limits included), dB.
fn aimed_side_to_mid_db(fit: &WidthFit) -> Vec<Option<f64>> {
    let widths = fit.imager.as_ref().map_or(&[][..], |i| i.widths.as_slice());
    fit.mix_side_to_mid_db
        .iter()
        .enumerate()
        .map(|(b, m)| {
            let w = widths.get(b).copied().unwrap_or(1.0);
            m.map(|m| m + 20.0 * w.max(1e-3).log10())
        })
        .collect()
}

/// Closed-loop correction: the imager's bands overlap the analysis bands (a 150 Hz crossover
/// still passes half the side at 150 Hz into the mids), so the side-to-mid
/// `measured` on the mix through the fitted chain misses the aim. Each band's side gain is
/// scaled by the remaining error and clamped to the same limits as the open-loop fit.
pub fn refine_width(fit: &WidthFit, measured: &[Option<f64>], tuning: &Tuning) -> WidthFit {
    let Some(imager) = &fit.imager else {
        return fit.clone();
    };
    let aim = aimed_side_to_mid_db(fit);
    let widths: Vec<f64> = imager
        .widths
        .iter()
        .enumerate()
        .map(|(b, &w)| {
            let Some((a, o)) = aim
                .get(b)
                .copied()
                .flatten()
                .zip(measured.get(b).copied().flatten())
            else {
                return w;
            };
            let corrected = w * 10f64.powf((a - o) / 20.0);
            let limited = if b == 0 {
                corrected.clamp(1e-3, tuning.low_width_max)
            } else {
                corrected.clamp(tuning.width_limits[0], tuning.width_limits[1])
            };
            (limited * 100.0).round() / 100.0
        })
        .collect();
    WidthFit {
        imager: Some(ImagerConfig {
            crossovers_hz: imager.crossovers_hz.clone(),
            widths,
        }),
        ..fit.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_wide_lows_and_widens_narrow_mids() {
        let t = Tuning::default();
        let fit = fit_width(
            &[Some(-4.0), Some(-14.0), Some(-10.0)],
            &[Some(-18.0), Some(-10.0), Some(-10.0)],
            1.0,
            &t,
        );
        let w = fit.imager.unwrap().widths;
        assert!((20.0 * w[0].log10() + 14.0).abs() < 0.1, "{w:?}");
        assert!((20.0 * w[1].log10() - 4.0).abs() < 0.1, "{w:?}");
        assert_eq!(w[2], 1.0);
    }

    #[test]
    fn never_widens_lows_and_respects_limits() {
        let t = Tuning::default();
        let fit = fit_width(
            &[Some(-30.0), Some(-30.0), Some(0.0)],
            &[Some(-10.0), Some(0.0), Some(-30.0)],
            1.0,
            &t,
        );
        let w = fit.imager.unwrap().widths;
        assert_eq!(w[0], 1.0);
        assert_eq!(w[1], t.width_limits[1]);
        assert_eq!(w[2], t.width_limits[0]);
    }

    #[test]
    fn zero_strength_or_matching_width_does_nothing() {
        let t = Tuning::default();
        let m = [Some(-20.0), Some(-10.0), Some(-8.0)];
        assert!(fit_width(&m, &m, 1.0, &t).imager.is_none());
        let r = [Some(-30.0), Some(-4.0), Some(-2.0)];
        assert!(fit_width(&m, &r, 0.0, &t).imager.is_none());
    }

    #[test]
    fn mono_reference_only_focuses_the_low_end() {
        let t = Tuning::default();
        let fit = fit_width(&[Some(-6.0), Some(-8.0), Some(-8.0)], &[None; 3], 1.0, &t);
        let w = fit.imager.unwrap().widths;
        assert!((20.0 * w[0].log10() + 6.0).abs() < 0.1 && w[1] == 1.0 && w[2] == 1.0);
    }

    #[test]
    fn refinement_closes_the_remaining_error_within_limits() {
        let t = Tuning::default();
        let fit = fit_width(
            &[Some(-6.0), Some(-10.0), Some(-10.0)],
            &[Some(-12.0), Some(-10.0), Some(-6.0)],
            1.0,
            &t,
        );
        let w = fit.imager.clone().unwrap().widths;
        // Through the chain the lows only came down 4 dB of the 6 aimed; highs overshot by 1 dB.
        let r = refine_width(&fit, &[Some(-10.0), Some(-10.0), Some(-5.0)], &t);
        let v = r.imager.unwrap().widths;
        assert!(
            (20.0 * (v[0] / w[0]).log10() + 2.0).abs() < 0.1,
            "{w:?} -> {v:?}"
        );
        assert_eq!(v[1], w[1]);
        assert!(
            (20.0 * (v[2] / w[2]).log10() + 1.0).abs() < 0.1,
            "{w:?} -> {v:?}"
        );
    }
}
