//! The diagnosis against known answers: shelves applied to a piece are named with their
//! gains (synthetic and real music), faults (clipping, overs, DC, phase, silence) are
//! reported as problems, and a level-shifted copy has no tonal findings.
mod common;

use coda_engine::processors::biquad::{run_cascade, Coeffs, State};
use coda_engine::Audio;
use coda_reports::{diagnose, Finding, PlotId, Severity, Topic};

/// The figure after "up to " in a tonal finding, dB.
fn figure(f: &Finding) -> f64 {
    let rest = f.message.split("up to ").nth(1).expect("figure in message");
    rest.split(' ').next().unwrap().parse().expect("number")
}

fn tone(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.topic == Topic::Tone).collect()
}

/// Asserts a low-shelf boost and a high-shelf cut of `gain_db` are named with figures within
/// 1.5 dB (the acceptance tolerance of the match issue).
fn assert_shelves_named(findings: &[Finding], gain_db: f64) {
    let tone = tone(findings);
    let low = tone
        .iter()
        .find(|f| f.message.starts_with("Below") && f.message.contains("louder"))
        .unwrap_or_else(|| panic!("no low-end boost named: {findings:#?}"));
    let high = tone
        .iter()
        .find(|f| f.message.starts_with("Above") && f.message.contains("quieter"))
        .unwrap_or_else(|| panic!("no treble loss named: {findings:#?}"));
    for (f, want) in [(low, gain_db), (high, gain_db)] {
        let got = figure(f);
        assert!(
            (got - want).abs() <= 1.5,
            "{got} dB vs {want} dB applied: {}",
            f.message
        );
        assert_eq!(f.plot, Some(PlotId::Spectrum));
        assert_eq!(f.severity, Severity::Advice);
    }
    assert!(low.message.contains("more low end"), "{}", low.message);
    assert!(high.message.contains("less air"), "{}", high.message);
    assert!(tone.len() <= 3, "spurious tonal findings: {tone:#?}");
}

#[test]
fn synthetic_shelves_are_named_with_their_gains() {
    let piece = coda_corpus::synth::orchestral(5, 20.0, 44_100);
    let mix = common::shelved(&piece, 4.0, -4.0);
    let findings = diagnose(&common::analysed(&mix), Some(&common::analysed(&piece)));
    for f in &findings {
        eprintln!("[{}] {}", f.severity.label(), f.message);
    }
    assert_shelves_named(&findings, 4.0);
}

#[test]
fn real_track_shelves_are_named_with_their_gains() {
    let Some(path) = coda_corpus::real::wesnoth_track("battle-epic") else {
        common::loud_skip(
            "Wesnoth music not installed (run scripts/setup.sh); \
             real_track_shelves_are_named_with_their_gains did not run",
        );
        return;
    };
    let mut piece = coda_engine::io::read(&path).expect("decode");
    let frames = (60 * piece.sample_rate_hz as usize).min(piece.frames());
    for ch in &mut piece.channels {
        ch.truncate(frames);
    }
    let mix = common::shelved(&piece, 4.0, -4.0);
    let findings = diagnose(&common::analysed(&mix), Some(&common::analysed(&piece)));
    for f in &findings {
        eprintln!("[{}] {}", f.severity.label(), f.message);
    }
    assert_shelves_named(&findings, 4.0);
}

#[test]
fn a_level_shifted_copy_matches_in_tone_and_differs_in_loudness() {
    let piece = coda_corpus::synth::orchestral(6, 12.0, 44_100);
    let mut quieter = piece.clone();
    for ch in &mut quieter.channels {
        ch.iter_mut().for_each(|x| *x *= 0.5); // -6.02 dB
    }
    let findings = diagnose(&common::analysed(&piece), Some(&common::analysed(&quieter)));
    let tone = tone(&findings);
    assert_eq!(tone.len(), 1, "{tone:#?}");
    assert!(tone[0]
        .message
        .contains("follows the reference within 1.5 dB"));
    assert_eq!(tone[0].severity, Severity::Info);
    let loud = findings
        .iter()
        .find(|f| f.topic == Topic::Loudness && f.message.contains("louder than the reference"))
        .expect("loudness finding");
    assert!(loud.message.contains("6.0 LU louder"), "{}", loud.message);
}

fn stereo(sample_rate_hz: u32, left: Vec<f32>, right: Vec<f32>) -> Audio {
    Audio::new(sample_rate_hz, vec![left, right])
}

#[test]
fn faults_are_problems_with_figures_and_times() {
    let fs = 48_000u32;
    let n = 10 * fs as usize;
    // A 1 kHz sine at -6 dBFS with DC +0.01 on the left; at 4 s, 50 ms driven into clipping.
    let sine = |i: usize| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / fs as f32).sin();
    let clip_at = 4 * fs as usize;
    let left: Vec<f32> = (0..n)
        .map(|i| {
            let x = if (clip_at..clip_at + fs as usize / 20).contains(&i) {
                (sine(i) * 3.0).clamp(-1.0, 1.0)
            } else {
                sine(i)
            };
            x + 0.01
        })
        .collect();
    let right: Vec<f32> = (0..n).map(sine).collect();
    let a = common::analysed(&stereo(fs, left, right));
    let findings = diagnose(&a, None);
    for f in &findings {
        eprintln!("[{}] {}", f.severity.label(), f.message);
    }
    let clip = findings
        .iter()
        .find(|f| f.topic == Topic::Clipping)
        .expect("clipping");
    assert_eq!(clip.severity, Severity::Problem);
    assert!(clip.message.contains("first at 00:04"), "{}", clip.message);
    let dc = findings
        .iter()
        .find(|f| f.topic == Topic::DcOffset)
        .expect("dc");
    assert!(
        dc.message.contains("+0.0100") && dc.message.contains("left channel"),
        "{}",
        dc.message
    );
    let tp = findings
        .iter()
        .find(|f| f.topic == Topic::Peaks)
        .expect("true peak");
    assert_eq!(tp.severity, Severity::Problem);
    let want = a.loudness.true_peak_dbtp.unwrap();
    assert!(
        want > 0.0 && tp.message.contains(&format!("{want:+.1} dBTP")),
        "{}",
        tp.message
    );
    // Problems come first.
    assert!(findings.windows(2).all(|w| w[0].severity >= w[1].severity));
}

#[test]
fn opposite_polarity_channels_are_a_mono_problem() {
    let piece = coda_corpus::synth::orchestral(7, 8.0, 44_100);
    let left = piece.channels[0].clone();
    let right: Vec<f32> = left.iter().map(|x| -x).collect();
    let findings = diagnose(&common::analysed(&stereo(44_100, left, right)), None);
    let mono = findings
        .iter()
        .find(|f| f.topic == Topic::MonoCompatibility)
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(mono.severity, Severity::Problem);
    assert!(
        mono.message.contains("correlation -1.00"),
        "{}",
        mono.message
    );
    assert_eq!(findings[0].severity, Severity::Problem);
}

#[test]
fn wide_lows_are_advice_against_a_narrow_reference() {
    let fs = 44_100u32;
    let piece = coda_corpus::synth::orchestral(8, 12.0, fs);
    // Side below ~100 Hz: the left channel's lows, added to L and subtracted from R.
    let mut lows = piece.channels[0].clone();
    let lp = Coeffs::low_pass(100.0, 0.707, f64::from(fs));
    let mut st = [State::default(); 2];
    run_cascade(&[lp, lp], &mut st, &mut lows);
    let left: Vec<f32> = piece.channels[0]
        .iter()
        .zip(&lows)
        .map(|(x, s)| x + s)
        .collect();
    let right: Vec<f32> = piece.channels[1]
        .iter()
        .zip(&lows)
        .map(|(x, s)| x - s)
        .collect();
    let mix = common::analysed(&stereo(fs, left, right));
    let reference = common::analysed(&piece);
    let (m, r) = (
        mix.stereo.bands[0].side_to_mid_db.unwrap(),
        reference.stereo.bands[0].side_to_mid_db.unwrap(),
    );
    assert!(
        m > -12.0 && r < m - 4.0,
        "test signal: mix {m} dB, reference {r} dB"
    );
    let findings = diagnose(&mix, Some(&reference));
    let wide = findings
        .iter()
        .find(|f| f.topic == Topic::Stereo && f.message.starts_with("Below 150 Hz the mix is wide"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(wide.severity, Severity::Advice);
    assert!(
        wide.message
            .contains(&format!("side {:.0} dB under mid", -m))
            && wide
                .message
                .contains(&format!("the reference: side {:.0} dB under mid", -r)),
        "{}",
        wide.message
    );
    assert_eq!(wide.plot, Some(PlotId::Stereo));
}

#[test]
fn silence_is_one_problem() {
    let a = common::analysed(&Audio::silence(48_000, 2, 48_000 * 5));
    let findings = diagnose(&a, None);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].topic, Topic::Silence);
    assert_eq!(findings[0].severity, Severity::Problem);
}
