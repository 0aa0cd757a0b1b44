//! Linkwitz-Riley 4th-order crossovers splitting a signal into bands that sum flat.
use crate::{Error, Result};

/// Checks crossover frequencies are increasing (each above 1.25x the last), within 20 Hz and
/// 0.45 x the sample rate.
pub fn validate_crossovers(field: &str, crossovers_hz: &[f64], sample_rate_hz: u32) -> Result<()> {
    let top = f64::from(sample_rate_hz) * 0.45;
    let mut prev = 0.0;
    for (i, &f) in crossovers_hz.iter().enumerate() {
        if !f.is_finite() || f < 20.0 || f > top || f <= prev * 1.25 {
            return Err(Error::Plan {
                field: format!("{field}[{i}]"),
                reason: format!(
                    "{f} Hz must be within 20..={top:.0} Hz and above 1.25x the previous crossover"
                ),
            });
        }
        prev = f;
    }
    if crossovers_hz.len() > 5 {
        return Err(Error::Plan {
            field: field.to_string(),
            reason: format!("{} crossovers; at most 5", crossovers_hz.len()),
        });
    }
    Ok(())
}
