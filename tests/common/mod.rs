//! Helpers for the end-to-end tests: running the binary, writing test audio, skipping
//! loudly when an outside tool is missing.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the coda binary with `args`.
pub fn coda(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coda"))
        .args(args)
        .output()
        .expect("run coda")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// True if `tool` runs; otherwise prints a loud SKIPPED line naming `test`.
pub fn have(tool: &str, test: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        || Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !ok {
        eprintln!("\n*** SKIPPED {test}: `{tool}` is not installed (run scripts/setup.sh) ***\n");
    }
    ok
}

/// A Wesnoth track, or a loud SKIPPED line naming `test`.
pub fn wesnoth(name: &str, test: &str) -> Option<PathBuf> {
    let p = coda_corpus::real::wesnoth_track(name);
    if p.is_none() {
        eprintln!(
            "\n*** SKIPPED {test}: wesnoth-1.16-music is not installed (run corpus/fetch-real.sh) ***\n"
        );
    }
    p
}

/// Writes 32-bit float WAV.
pub fn write_f32(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Reads any WAV as f32 planar (for checks).
pub fn read_wav(path: &Path) -> (u32, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let n = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    let mut ch = vec![Vec::with_capacity(samples.len() / n); n];
    for (i, s) in samples.into_iter().enumerate() {
        ch[i % n].push(s);
    }
    (spec.sample_rate, ch)
}

/// ffmpeg's EBU R128 summary of a file: (integrated LUFS, LRA LU, true peak dBTP).
pub fn ffmpeg_ebur128(path: &Path) -> (f64, f64, f64) {
    let o = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let text = String::from_utf8_lossy(&o.stderr);
    let summary = &text[text.rfind("Summary:").expect("ffmpeg summary")..];
    let grab = |key: &str| -> f64 {
        let at = summary
            .find(key)
            .unwrap_or_else(|| panic!("{key} in {summary}"))
            + key.len();
        summary[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (grab("I:"), grab("LRA:"), grab("Peak:"))
}
