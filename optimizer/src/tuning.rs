//! The optimizer's hyperparameters. Defaults come from `optimizer/tuning.json`, which
//! `coda tune --search` rewrites; a file given at run time overrides them.
use serde::{Deserialize, Serialize};

/// Hyperparameters of the fits (units in the names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    /// EQ: weight of the fitted curve's mean square against the fit error (0.01 shrinks
    /// every move by about 1 %).
    pub eq_regularisation: f64,
    /// EQ: least cost reduction (dB²) a new bell must bring to be kept.
    pub eq_min_improvement_db2: f64,
    /// EQ: points more than this far below the spectrum's top get no weight, dB.
    pub eq_weight_range_db: f64,
    /// EQ: smoothing of the target difference (Gaussian FWHM over log frequency), octaves.
    pub eq_smoothing_octaves: f64,
    /// EQ: largest boost or cut of the whole curve anywhere, dB.
    pub eq_max_total_db: f64,
    /// EQ: refit once against the first master (what the rest of the chain does to tone).
    pub eq_closed_loop: bool,
    /// Automation: length of the moving average over short-term loudness, seconds.
    pub automation_smoothing_s: f64,
    /// Automation: steepest gain change allowed, dB per second.
    pub automation_max_slope_db_per_s: f64,
    /// Automation: time between breakpoints, seconds.
    pub automation_point_spacing_s: f64,
    /// Automation: without a reference, the LRA reduction aimed at as a share of the
    /// automation range (0..1).
    pub automation_lra_reduction_share: f64,
    /// Compressor: gain reduction each band reaches on the loudest passage, dB.
    pub compressor_target_gr_db: f64,
    /// Limiter: most gain reduction a gentle master takes, dB.
    pub limiter_max_gr_db: f64,
    /// Limiter: most gain reduction for trailer and library masters, whose automation
    /// already evens the level, dB.
    pub reduce_limiter_max_gr_db: f64,
    /// Limiter: most gain reduction for purposes that keep dynamics (film, TV, game), dB.
    pub film_limiter_max_gr_db: f64,
    /// Imager: widest the low band may become (1 = unchanged).
    pub low_width_max: f64,
    /// Imager: range of the mid and high bands' side gain, [min, max].
    pub width_limits: [f64; 2],
    /// Imager: closed-loop corrections after the open-loop width fit (0 = open loop).
    pub width_refinements: usize,
}

/// The compiled-in tuned defaults.
const DEFAULTS_JSON: &str = include_str!("../tuning.json");

impl Default for Tuning {
    fn default() -> Self {
        serde_json::from_str(DEFAULTS_JSON).expect("optimizer/tuning.json is valid")
    }
}

impl Tuning {
    /// Reads hyperparameters from a JSON file (all fields required).
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read tuning: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn defaults_parse() {
        let t = super::Tuning::default();
        assert!(t.eq_regularisation > 0.0 && t.width_limits[0] < t.width_limits[1]);
    }
}
