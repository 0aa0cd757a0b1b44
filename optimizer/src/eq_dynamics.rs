//! Keeping the loudness range through the EQ. For purposes that keep the mix's dynamics
//! (film, TV, game), an EQ toward a reference can still move the loudness range a lot when
//! soft and loud passages live in different registers: Wesnoth's `revelation` matched to
//! `the_city_falls` for ATSC A/85 went from LRA 21.3 to 13.9 LU with no automation,
//! compression or limiting, because the EQ lifted the highs of its soft passages and cut
//! the lows of its loud ones. Here the fitted band gains are scaled down, by bisection on
//! the measured LRA of the EQ'd mix, until the range stays within a tolerance of the mix's.
use coda_engine::plan::Plan;
use coda_engine::processors::eq::EqConfig;
use coda_engine::render::render;
use coda_engine::Audio;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Largest change of the loudness range the EQ may cause for purposes that keep dynamics,
/// LU (half the 1 LU those purposes allow in all, leaving the rest to the limiter).
pub const EQ_LRA_TOLERANCE_LU: f64 = 0.5;
/// Bisection steps on the gain scale (the scale ends within 1/16 of the largest allowed).
const BISECTION_STEPS: usize = 4;

/// How the EQ was held back to keep the loudness range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EqDynamics {
    /// Factor applied to every fitted band gain, 0..1 (1 = the EQ as fitted).
    pub gain_scale: f64,
    /// Loudness range of the mix, LU.
    pub mix_lra_lu: f64,
    /// Loudness range of the mix through the full-strength EQ, LU.
    pub fitted_lra_lu: Option<f64>,
    /// Loudness range of the mix through the EQ as kept, LU.
    pub kept_lra_lu: Option<f64>,
    /// Renders of the EQ'd mix measured.
    pub probes: u32,
}

/// `config` with every band's gain multiplied by `scale` (rounded to 0.01 dB).
pub fn scale_gains(config: &EqConfig, scale: f64) -> EqConfig {
    let mut c = config.clone();
    for b in &mut c.bands {
        b.gain_db = (b.gain_db * scale * 100.0).round() / 100.0;
    }
    c
}

/// Loudness range of `mix` through `plan` (which holds only the stages before the EQ and
/// the EQ), LU; `None` when too little of it is above the gates.
fn lra_through(mix: &Audio, plan: &Plan) -> Result<Option<f64>> {
    let toned = render(mix, plan)?.audio;
    Ok(coda_analysis::short_term_and_range(&toned)?.1)
}

/// Scales `plan.eq` (fitted, not yet scaled) down until the mix's loudness range through
/// it is within [`EQ_LRA_TOLERANCE_LU`] of `mix_lra_lu`. `plan` must hold no stage after
/// the EQ. Returns the kept EQ and the account.
pub fn keep_lra(mix: &Audio, plan: &Plan, mix_lra_lu: f64) -> Result<(EqConfig, EqDynamics)> {
    let fitted = plan.eq.clone();
    let mut trial = plan.clone();
    let within =
        |lra: Option<f64>| lra.map_or(true, |l| (l - mix_lra_lu).abs() <= EQ_LRA_TOLERANCE_LU);
    let full = lra_through(mix, plan)?;
    let mut account = EqDynamics {
        gain_scale: 1.0,
        mix_lra_lu,
        fitted_lra_lu: full,
        kept_lra_lu: full,
        probes: 1,
    };
    if within(full) {
        return Ok((fitted, account));
    }
    // Scale 0 is the mix itself (within by definition); 1 is not.
    let (mut lo, mut hi) = (0.0, 1.0);
    let mut kept_lra = Some(mix_lra_lu);
    for _ in 0..BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        trial.eq = scale_gains(&fitted, mid);
        let lra = lra_through(mix, &trial)?;
        account.probes += 1;
        if within(lra) {
            lo = mid;
            kept_lra = lra;
        } else {
            hi = mid;
        }
    }
    account.gain_scale = lo;
    account.kept_lra_lu = kept_lra;
    Ok((scale_gains(&fitted, lo), account))
}
