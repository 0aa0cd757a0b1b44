//! TPDF dither and quantisation to integer PCM.
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A deterministic TPDF (triangular, +/-1 LSB) dither source.
pub struct Dither {
    rng: ChaCha8Rng,
}

impl Dither {
    /// A dither source with a fixed seed, so the same input gives the same bits.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// One TPDF sample in LSB units, in (-1, 1).
    #[inline]
    pub fn next_lsb(&mut self) -> f64 {
        self.rng.gen::<f64>() - self.rng.gen::<f64>()
    }
}

/// Quantises f32 samples (full scale 1.0) to `bits`-bit integers with TPDF dither.
///
/// Values are clamped to the integer range; the true-peak limiter upstream keeps real
/// material well inside it, so the clamp only guards against misuse.
pub fn quantise(samples: &[f32], bits: u32, dither: &mut Dither) -> Vec<i32> {
    assert!((8..=32).contains(&bits), "bits must be 8..=32");
    let scale = f64::from(1u32 << (bits - 1));
    let max = scale - 1.0;
    samples
        .iter()
        .map(|&s| {
            let v = f64::from(s) * scale + dither.next_lsb();
            round_half_away(v.clamp(-scale, max)) as i32
        })
        .collect()
}

/// `v.round()` (halves away from zero) for `|v| < 2^52`, without the libm call `round`
/// compiles to on baseline x86-64 (no SSE4.1): truncation by conversion, then the exact
/// fractional part decides. Bit-identical to `f64::round` in that range (and NaN gives 0
/// after the cast to an integer, as before).
#[inline(always)]
fn round_half_away(v: f64) -> f64 {
    let t = v as i64 as f64;
    let frac = v - t; // exact: `t` is `v` with its fractional bits cleared
    if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_away_matches_f64_round() {
        let halves: [f64; 5] = [0.5, 1.5, 2.5, 8_388_607.5, 2_147_483_647.5];
        for h in halves {
            // The half itself and its neighbours on both sides, both signs.
            let (below, above) = (
                f64::from_bits(h.to_bits() - 1),
                f64::from_bits(h.to_bits() + 1),
            );
            for v in [h, below, above, -h, -below, -above] {
                assert_eq!(round_half_away(v), v.round(), "{v}");
            }
        }
        let mut d = Dither::new(9);
        for _ in 0..1_000_000 {
            let v = d.next_lsb() * 9_000_000.0;
            assert_eq!(round_half_away(v), v.round(), "{v}");
        }
    }

    #[test]
    fn dither_is_triangular_and_bounded() {
        let mut d = Dither::new(1);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| d.next_lsb()).collect();
        assert!(xs.iter().all(|x| x.abs() < 1.0));
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // TPDF of two uniform(0,1) differences: mean 0, variance 1/6.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0 / 6.0).abs() < 0.005, "var {var}");
    }

    #[test]
    fn quantise_is_deterministic_and_close() {
        let s: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let a = quantise(&s, 16, &mut Dither::new(7));
        let b = quantise(&s, 16, &mut Dither::new(7));
        assert_eq!(a, b);
        for (q, x) in a.iter().zip(&s) {
            assert!((f64::from(*q) / 32768.0 - f64::from(*x)).abs() <= 1.5 / 32768.0);
        }
    }

    #[test]
    fn dither_decorrelates_error_from_signal() {
        // A -100 dBFS sine quantised to 16 bits: with TPDF, the error is not the signal.
        let s: Vec<f32> = (0..48000)
            .map(|i| (i as f32 * 0.0712).sin() * 1e-5 * 3.0)
            .collect();
        let q = quantise(&s, 16, &mut Dither::new(3));
        let err: Vec<f64> = q
            .iter()
            .zip(&s)
            .map(|(q, x)| f64::from(*q) / 32768.0 - f64::from(*x))
            .collect();
        let corr: f64 = err.iter().zip(&s).map(|(e, x)| e * f64::from(*x)).sum();
        let ex: f64 = err.iter().map(|e| e * e).sum::<f64>().sqrt();
        let sx: f64 = s.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        assert!(
            (corr / (ex * sx)).abs() < 0.05,
            "error correlates with signal"
        );
    }
}
