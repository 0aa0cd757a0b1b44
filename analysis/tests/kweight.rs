//! The fast K-weighting path (mono and stereo at rates that are a multiple of 10 Hz)
//! against the ebur128 crate's meter (`measure_loudness_reference`): integrated loudness,
//! range and every momentary and short-term reading within 0.001 LU, on EBU Tech 3341
//! signals (level steps with gates, modulated noise, sines), noise, across rates, channel
//! counts and lengths with a partial last hop.
mod common;
use coda_analysis::{integrated_lufs, measure_loudness, measure_loudness_reference};
use coda_engine::Audio;
use common::*;

const TOL_LU: f64 = 0.001;

fn near(what: &str, a: Option<f64>, b: Option<f64>) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= TOL_LU, "{what}: {a} vs {b}"),
        (a, b) => assert_eq!(a.is_some(), b.is_some(), "{what}: {a:?} vs {b:?}"),
    }
}

fn agree(name: &str, audio: &Audio) {
    let (fast, fs) = measure_loudness(audio).unwrap();
    let (slow, ss) = measure_loudness_reference(audio).unwrap();
    near(
        &format!("{name} I"),
        fast.integrated_lufs,
        slow.integrated_lufs,
    );
    near(
        &format!("{name} I only"),
        integrated_lufs(audio).unwrap(),
        slow.integrated_lufs,
    );
    near(&format!("{name} LRA"), fast.range_lu, slow.range_lu);
    assert_eq!(fs.momentary_lufs.len(), ss.momentary_lufs.len(), "{name}");
    for (k, (a, b)) in fs.momentary_lufs.iter().zip(&ss.momentary_lufs).enumerate() {
        near(&format!("{name} M[{k}]"), *a, *b);
    }
    for (k, (a, b)) in fs
        .short_term_lufs
        .iter()
        .zip(&ss.short_term_lufs)
        .enumerate()
    {
        near(&format!("{name} S[{k}]"), *a, *b);
    }
    assert_eq!(fast.true_peak_dbtp, slow.true_peak_dbtp, "{name} TP");
}

#[test]
fn fast_k_weighting_agrees_with_ebur128() {
    for rate in [44_100, 48_000, 96_000] {
        // Tech 3341 case 4: absolute and relative gates.
        let gates = steps(
            &[
                (Some(-72.0), 10.0),
                (Some(-36.0), 10.0),
                (Some(-23.0), 10.0),
                (Some(-36.0), 10.0),
                (Some(-72.0), 10.0),
            ],
            rate,
        );
        agree(&format!("{rate} case 4"), &copies(gates, 2, rate));
        // Tech 3341 case 9: short-term constant under 3 s modulation (with a partial hop).
        let mut mod3 = Vec::new();
        for i in 0..6 {
            let level = if i % 2 == 0 { -20.0 } else { -30.0 };
            mod3.extend(sine(1000.0, level, 0.0, 1.5 + 0.01 * f64::from(i), rate));
        }
        agree(&format!("{rate} case 9"), &copies(mod3, 2, rate));
        // Pink and white noise, stereo and mono, a length off the hop grid.
        let frames = 7 * rate as usize + 1234;
        let stereo = Audio::new(
            rate,
            vec![pink(1, frames, rate, -18.0), white(2, frames, -30.0)],
        );
        agree(&format!("{rate} noise"), &stereo);
        agree(
            &format!("{rate} mono"),
            &Audio::new(rate, vec![pink(3, frames, rate, -25.0)]),
        );
        // Shorter than a momentary block: no gated loudness.
        agree(
            &format!("{rate} short"),
            &Audio::new(rate, vec![white(4, rate as usize / 5, -20.0); 2]),
        );
    }
}
