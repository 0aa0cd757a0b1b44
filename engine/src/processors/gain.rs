//! A static gain stage (headroom trim, output gain).
use super::Processor;

/// Multiplies every sample by a fixed gain.
#[derive(Debug, Clone)]
pub struct Gain {
    linear: f64,
}

impl Gain {
    /// A gain of `gain_db` decibels.
    pub fn new(gain_db: f64) -> Self {
        Self {
            linear: 10f64.powf(gain_db / 20.0),
        }
    }

    /// True when the stage changes nothing (0 dB).
    pub fn is_identity(&self) -> bool {
        self.linear == 1.0
    }
}

impl Processor for Gain {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        for ch in channels.iter_mut() {
            for s in ch.iter_mut() {
                *s = (f64::from(*s) * self.linear) as f32;
            }
        }
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_six_db_halves() {
        let mut g = Gain::new(-6.020_599_913_279_624);
        let mut x = [1.0f32, -0.5];
        g.process(&mut [&mut x[..]]);
        assert!((x[0] - 0.5).abs() < 1e-7 && (x[1] + 0.25).abs() < 1e-7);
        assert!(Gain::new(0.0).is_identity());
    }
}
