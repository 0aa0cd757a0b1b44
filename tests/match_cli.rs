//! `coda match`, `coda render` and `coda demo` end to end: files written, loudness and
//! true peak met, render reproduces match bit for bit, bad input refused cleanly.
mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn synth(path: &Path, seed: u64, secs: f64, rate: u32, gain_db: f32) {
    let a = coda_corpus::synth::orchestral(seed, secs, rate);
    let g = 10f32.powf(gain_db / 20.0);
    let ch: Vec<Vec<f32>> = a
        .channels
        .iter()
        .map(|c| c.iter().map(|x| x * g).collect())
        .collect();
    write_f32(path, rate, &ch);
}

fn report(dir: &Path, stem: &str, purpose: &str) -> Value {
    let p = dir.join(format!("{stem}.{purpose}.report.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn match_hits_reference_loudness_under_the_ceiling_and_render_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mix, reference) = (dir.path().join("mix.wav"), dir.path().join("ref.wav"));
    synth(&mix, 3, 20.0, 44_100, -12.0);
    synth(&reference, 4, 20.0, 48_000, 0.0);
    let out = dir.path().join("out");
    let o = coda(&[
        "match",
        mix.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report(&out, "mix", "reference");
    let out_i = r["output"]["loudness"]["integrated_lufs"].as_f64().unwrap();
    let ref_i = r["references"][0]["loudness"]["integrated_lufs"]
        .as_f64()
        .unwrap();
    let tp = r["output"]["loudness"]["true_peak_dbtp"].as_f64().unwrap();
    assert!(
        (out_i - ref_i).abs() <= 0.1,
        "output {out_i} vs reference {ref_i}"
    );
    assert!(tp <= -1.0, "true peak {tp}");
    assert_eq!(r["output"]["sample_rate"].as_u64(), Some(44_100));
    let wav = out.join("mix.reference.wav");
    let plan = out.join("mix.reference.plan.json");
    assert!(out.join("mix.reference.report.json").is_file());
    // Render reproduces match.
    let again = dir.path().join("again.wav");
    let o = coda(&[
        "render",
        mix.to_str().unwrap(),
        "--plan",
        plan.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&wav).unwrap(),
        std::fs::read(&again).unwrap(),
        "render --plan differs from match"
    );
    // Existing outputs are not overwritten without --force.
    let o = coda(&[
        "match",
        mix.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
}

#[test]
fn tv_purpose_lands_on_r128() {
    let dir = tempfile::tempdir().unwrap();
    let mix = dir.path().join("cue.wav");
    synth(&mix, 5, 20.0, 48_000, -3.0);
    let o = coda(&[
        "match",
        mix.to_str().unwrap(),
        "--purpose",
        "tv",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report(dir.path(), "cue", "tv");
    let i = r["output"]["loudness"]["integrated_lufs"].as_f64().unwrap();
    assert!((i + 23.0).abs() <= 0.1, "{i}");
    assert!(r["plan"]["eq"]["bands"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent.wav");
    write_f32(&silent, 48_000, &[vec![0.0; 480_000], vec![0.0; 480_000]]);
    let short = dir.path().join("short.wav");
    synth(&short, 1, 2.0, 48_000, 0.0);
    let mix = dir.path().join("mix.wav");
    synth(&mix, 2, 10.0, 48_000, -6.0);
    let out = dir.path().join("out");
    for (m, r, why) in [
        (&silent, &mix, "silent"),
        (&mix, &short, "2.0 s"),
        (&mix, &silent, "silent"),
    ] {
        let o = coda(&[
            "match",
            m.to_str().unwrap(),
            "--ref",
            r.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains(why), "{why}: {}", stderr(&o));
        let written = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
        assert_eq!(written, 0, "files written on refusal");
    }
    let o = coda(&["match", mix.to_str().unwrap(), "--purpose", "loud"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown purpose"));
}

#[test]
fn mono_reference_and_clipped_loud_mix_give_a_master_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // A mix driven 6 dB into hard clipping.
    let a = coda_corpus::synth::orchestral(8, 15.0, 48_000);
    let peak = a.sample_peak();
    let g = 2.0 / peak;
    let clipped: Vec<Vec<f32>> = a
        .channels
        .iter()
        .map(|c| c.iter().map(|x| (x * g).clamp(-1.0, 1.0)).collect())
        .collect();
    let mix = dir.path().join("hot.wav");
    write_f32(&mix, 48_000, &clipped);
    let r = coda_corpus::synth::orchestral(9, 15.0, 44_100);
    let mono: Vec<f32> = r.channels[0]
        .iter()
        .zip(&r.channels[1])
        .map(|(l, r)| 0.5 * (l + r))
        .collect();
    let reference = dir.path().join("mono.wav");
    write_f32(&reference, 44_100, &[mono]);
    let o = coda(&[
        "match",
        mix.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("clipped"), "{err}");
    assert!(err.contains("mono"), "{err}");
    let r = report(dir.path(), "hot", "reference");
    assert!(r["output"]["loudness"]["true_peak_dbtp"].as_f64().unwrap() <= -1.0);
    assert!(r["warnings"].as_array().unwrap().len() >= 2);
}

#[test]
fn demo_writes_a_master() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let o = coda(&["demo", d.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("demo-mix.reference.wav").is_file());
    let r = report(&d, "demo-mix", "reference");
    assert!(!r["plan"]["eq"]["bands"].as_array().unwrap().is_empty());
}

#[test]
fn render_reproduces_match_through_imager_resampling_and_dither() {
    // A mix far wider than the reference, so the imager splits the side (its linear-phase
    // latency is compensated before the limiter); delivered at another rate in 16 bits
    // (resampled first, TPDF dither when written).
    let dir = tempfile::tempdir().unwrap();
    let (mix, reference) = (dir.path().join("wide.wav"), dir.path().join("ref.wav"));
    let a = coda_corpus::synth::orchestral(6, 12.0, 44_100);
    let (l, r) = (&a.channels[0], &a.channels[1]);
    let wide: Vec<Vec<f32>> = vec![
        l.iter()
            .zip(r)
            .map(|(l, r)| 0.3 * (1.2 * l - 0.8 * r))
            .collect(),
        l.iter()
            .zip(r)
            .map(|(l, r)| 0.3 * (1.2 * r - 0.8 * l))
            .collect(),
    ];
    write_f32(&mix, 44_100, &wide);
    synth(&reference, 7, 12.0, 44_100, 0.0);
    let out = dir.path().join("out");
    let o = coda(&[
        "match",
        mix.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
        "--rate",
        "48000",
        "--bits",
        "16",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan_path = out.join("wide.reference.plan.json");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let widths: Vec<f64> = plan["imager"]["widths"]
        .as_array()
        .expect("an imager")
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect();
    assert!(
        widths.iter().any(|&w| w != widths[0]),
        "the side is split: {widths:?}"
    );
    assert_eq!(plan["output"]["sample_rate_hz"].as_u64(), Some(48_000));
    assert!(plan["limiter"].is_object());
    let again = dir.path().join("again.wav");
    let o = coda(&[
        "render",
        mix.to_str().unwrap(),
        "--plan",
        plan_path.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("wide.reference.wav")).unwrap(),
        std::fs::read(&again).unwrap(),
        "render --plan differs from match"
    );
}
