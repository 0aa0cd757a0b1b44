//! Width through the chain without rendering it: side-to-mid per stereo band of the mix
//! after the plan's EQ and imager, predicted from the mix's Welch power spectra.
//!
//! The EQ is linear and time-invariant (its stereo bands act alike on mid and side), and
//! the imager passes the mid delayed and filters the side by a linear-phase FIR, so each
//! Welch bin's mid power is scaled by `|E_mid|^2` and its side power by
//! `|E_side|^2 A_side^2`. Gains ahead of the EQ (trim, automation) scale mid and side
//! alike and are left out.
use coda_analysis::{stereo_from, WelchSpectra};
use coda_engine::plan::Plan;
use coda_engine::processors::eq::{response_db, EqChannel};

/// Side-to-mid per stereo band (the analysis' bands) of the mix whose Welch spectra are
/// `welch` after `plan`'s EQ and imager at the plan's processing rate, dB (`None` for
/// mono or a silent band).
pub fn predict_side_to_mid_db(welch: &WelchSpectra, plan: &Plan) -> Vec<Option<f64>> {
    let fs = plan.processing_rate_hz();
    let nyquist = 0.5 * f64::from(fs);
    let freqs: Vec<f64> = (0..welch.mid.len())
        .map(|k| k as f64 * welch.bin_hz)
        .collect();
    let power = |db: Vec<f64>| -> Vec<f64> { db.iter().map(|d| 10f64.powf(d / 10.0)).collect() };
    let mid_gain = power(response_db(&plan.eq, fs, &freqs, EqChannel::Mid));
    let mut side_gain = power(response_db(&plan.eq, fs, &freqs, EqChannel::Side));
    if let Some(i) = plan.imager.as_ref().filter(|i| !i.is_identity()) {
        for (g, a) in side_gain.iter_mut().zip(i.side_gain(&freqs, fs)) {
            *g *= a * a;
        }
    }
    // A lower output rate's resampler removes what lies above its Nyquist.
    let scale = |p: &[f64], g: &[f64]| -> Vec<f64> {
        p.iter()
            .zip(g)
            .zip(&freqs)
            .map(|((p, g), &f)| if f <= nyquist { p * g } else { 0.0 })
            .collect()
    };
    let predicted = WelchSpectra {
        mid: scale(&welch.mid, &mid_gain),
        side: welch.side.as_ref().map(|s| scale(s, &side_gain)),
        ..welch.clone()
    };
    stereo_from(&predicted, None)
        .bands
        .iter()
        .map(|b| b.side_to_mid_db)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coda_engine::processors::eq::{EqBand, EqConfig, EqKind};
    use coda_engine::processors::imager::ImagerConfig;
    use coda_engine::render::render;
    use coda_engine::Audio;

    /// Uniform noise in -1..1 (a fixed LCG).
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            })
            .collect()
    }

    fn band(kind: EqKind, freq_hz: f64, gain_db: f64, q: f64) -> EqBand {
        EqBand {
            kind,
            freq_hz,
            gain_db,
            q,
            slope_db_per_oct: 12,
            channel: Default::default(),
        }
    }

    #[test]
    fn predicted_width_agrees_with_a_rendered_chain() {
        let fs = 44_100;
        let n = 20 * fs as usize;
        // Mid: white noise; side: a quieter noise with a one-pole low-pass (more side in
        // the lows, as real mixes have), so the bands' widths differ.
        let (m, mut s) = (noise(n, 1), noise(n, 2));
        let mut y = 0.0;
        for v in &mut s {
            y += 0.05 * (*v - y);
            *v = 0.4 * *v + 2.0 * y;
        }
        let l: Vec<f32> = m
            .iter()
            .zip(&s)
            .map(|(m, s)| (0.3 * (m + s)) as f32)
            .collect();
        let r: Vec<f32> = m
            .iter()
            .zip(&s)
            .map(|(m, s)| (0.3 * (m - s)) as f32)
            .collect();
        let mix = Audio::new(fs, vec![l, r]);
        let welch = coda_analysis::welch(&mix);
        for out_rate in [None, Some(48_000)] {
            let mut plan = Plan::empty(fs);
            plan.output.sample_rate_hz = out_rate;
            plan.eq = EqConfig {
                bands: vec![
                    band(EqKind::LowShelf, 120.0, 4.0, 0.7),
                    band(EqKind::Peaking, 180.0, -5.0, 1.5),
                    band(EqKind::Peaking, 2500.0, 3.0, 1.0),
                    band(EqKind::HighShelf, 8000.0, -4.0, 0.7),
                ],
            };
            plan.imager = Some(ImagerConfig {
                crossovers_hz: coda_analysis::STEREO_SPLITS_HZ.to_vec(),
                widths: vec![0.4, 1.3, 0.8],
            });
            let out = render(&mix, &plan).unwrap().audio;
            let measured = coda_analysis::stereo_from(&coda_analysis::welch(&out), None);
            let predicted = predict_side_to_mid_db(&welch, &plan);
            for (b, p) in measured.bands.iter().zip(&predicted) {
                let (m, p) = (b.side_to_mid_db.unwrap(), p.unwrap());
                println!("{out_rate:?} {}-{} Hz: {m:.3} {p:.3}", b.lo_hz, b.hi_hz);
                // At another rate the output's Welch bins fall elsewhere on the band edges.
                let tolerance_db = if out_rate.is_some() { 0.1 } else { 0.03 };
                assert!(
                    (m - p).abs() < tolerance_db,
                    "{out_rate:?}: {}-{} Hz measured {m:.3} dB predicted {p:.3} dB",
                    b.lo_hz,
                    b.hi_hz
                );
            }
        }
    }
}
