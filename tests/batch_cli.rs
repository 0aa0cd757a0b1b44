//! `coda batch` end to end on a small library (6 files, one corrupt; 2 purposes x 2
//! formats): outputs meet their spec by ffmpeg's meter, `bext` loudness fields hold the
//! manifest's figures, a rerun skips finished work and redoes a changed input, a corrupt
//! file fails alone (exit 1), and three shards merged equal one run byte for byte.
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::Value;

const PURPOSES: &str = "library,tv";
const FORMATS: &str = "48k/24,44.1k/16";

/// Writes a 24-bit synthetic track (`gain_db` under the synth's -3 dBFS peak).
fn track(path: &Path, seed: u64, secs: f64, rate: u32, gain_db: f32, mono: bool) {
    let a = if seed % 2 == 0 {
        coda_corpus::synth::orchestral(seed, secs, rate)
    } else {
        coda_corpus::synth::hybrid(seed, secs, rate)
    };
    let g = 10f32.powf(gain_db / 20.0);
    let mut ch: Vec<Vec<f32>> = a
        .channels
        .iter()
        .map(|c| c.iter().map(|x| x * g).collect())
        .collect();
    if mono {
        ch.truncate(1);
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: ch.len() as u16,
        sample_rate: rate,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..ch[0].len() {
        for c in &ch {
            w.write_sample((c[i] * 8_388_607.0).round() as i32).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// The library: `a/t1`, `a/t2`, `a/t3` (mono), `a/t6` without a reference (purpose-only
/// masters); `b/t4` with `b/reference.wav` (the folder's reference); `b/t5`, which is text.
/// Tracks are short and only one has a reference: the EQ fit costs about 2 s per track and
/// purpose whatever the length, and this test should take seconds.
fn library(root: &Path) {
    track(&root.join("a/t1.wav"), 1, 4.0, 48_000, -6.0, false);
    track(&root.join("a/t2.wav"), 2, 4.0, 44_100, -9.0, false);
    track(&root.join("a/t3.wav"), 3, 5.0, 48_000, -4.0, true);
    track(&root.join("a/t6.wav"), 7, 4.0, 48_000, -5.0, false);
    track(&root.join("b/reference.wav"), 40, 4.0, 48_000, 0.0, false);
    track(&root.join("b/t4.wav"), 4, 4.0, 44_100, -12.0, false);
    std::fs::write(root.join("b/t5.wav"), "not audio, a cue sheet\n").unwrap();
}

fn batch(lib: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "batch",
        lib.to_str().unwrap(),
        "--purpose",
        PURPOSES,
        "--deliver",
        FORMATS,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    coda(&args)
}

fn spawn_batch(lib: &Path, out: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_coda"))
        .args(["batch", lib.to_str().unwrap(), "--purpose", PURPOSES])
        .args(["--deliver", FORMATS, "-o", out.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn coda")
}

fn manifest(out: &Path) -> BTreeMap<String, Value> {
    std::fs::read_to_string(out.join("delivery.manifest.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["output"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn wavs(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect()
}

/// The five `bext` v2 loudness fields (x100 int16, Tech 3285 offsets 412..422), parsed
/// here independently of coda's writer.
fn bext_loudness(wav: &[u8]) -> [i16; 5] {
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    let mut at = 12;
    while at + 8 <= wav.len() {
        let len = u32::from_le_bytes(wav[at + 4..at + 8].try_into().unwrap()) as usize;
        if &wav[at..at + 4] == b"bext" {
            let b = &wav[at + 8..at + 8 + len];
            assert_eq!(u16::from_le_bytes([b[346], b[347]]), 2, "bext version");
            let f = |k: usize| i16::from_le_bytes([b[412 + 2 * k], b[413 + 2 * k]]);
            return [f(0), f(1), f(2), f(3), f(4)];
        }
        at += 8 + len + len % 2;
    }
    panic!("no bext chunk");
}

fn x100(v: &Value) -> i16 {
    (v.as_f64().unwrap() * 100.0).round() as i16
}

fn mtimes(dir: &Path) -> BTreeMap<PathBuf, std::time::SystemTime> {
    wavs(dir)
        .into_iter()
        .map(|p| {
            let t = std::fs::metadata(dir.join(&p)).unwrap().modified().unwrap();
            (p, t)
        })
        .collect()
}

/// `N rendered now, M already delivered` from the summary line.
fn counts(err: &str) -> (usize, usize) {
    let line = err
        .lines()
        .rev()
        .find(|l| l.contains("rendered now"))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    let num_before = |key: &str| -> usize {
        let head = &line[..line.find(key).unwrap()];
        head.split(|c: char| !c.is_ascii_digit())
            .rfind(|s| !s.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        num_before(" rendered now"),
        num_before(" already delivered"),
    )
}

#[test]
fn batch_delivers_resumes_isolates_failures_and_shards() {
    let t0 = std::time::Instant::now();
    let lap = |what: &str| eprintln!("batch_cli: {:5.1} s {what}", t0.elapsed().as_secs_f64());
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    library(&lib);
    lap("library written");
    let full = dir.path().join("full");

    // Bad usage exits 2 and writes nothing.
    let o = batch(&lib, &full, &["--deliver", "48k"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!full.exists());

    // One run: 5 tracks x 4 outputs delivered, the text file fails alone.
    let o = batch(&lib, &full, &["--jobs", "2"]);
    lap("one run");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(counts(&err), (20, 0), "{err}");
    // stderr is a pipe, not a terminal: one plain line per output, no bars or escapes.
    let progress = err.lines().filter(|l| l.starts_with("coda: [")).count();
    assert_eq!(progress, 24, "{err}");
    assert!(err.contains("coda: [24/24] "), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\r'), "{err}");
    let failed: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("coda: failed: "))
        .collect();
    assert_eq!(failed.len(), 1, "{err}");
    assert!(
        failed[0].contains("b/t5.wav") && failed[0].contains("not a readable audio file"),
        "{err}"
    );
    let m = manifest(&full);
    assert_eq!(m.len(), 24);
    let bad: Vec<&String> = m
        .iter()
        .filter(|(_, r)| r["status"] == "failed")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(bad.len(), 4);
    assert!(bad.iter().all(|k| k.starts_with("b/t5.")));
    // The folder reference applies to its folder only (and is not a track itself).
    for (k, r) in &m {
        if r["status"] == "ok" {
            assert_eq!(r["distance_db"].is_number(), k.starts_with("b/"), "{k}");
        }
    }
    let outputs = wavs(&full);
    assert_eq!(outputs.len(), 20, "{outputs:?}");
    assert!(outputs.contains(&PathBuf::from("a/t2.tv.44.1k-16.wav")));
    assert!(
        files(&full)
            .iter()
            .all(|p| !p.to_string_lossy().contains(".tmp-")),
        "temp files left"
    );
    let csv = std::fs::read_to_string(full.join("delivery.report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 25);
    assert_eq!(csv.matches(",FAILED,").count(), 4);
    assert!(std::fs::read_to_string(full.join("delivery.report.html"))
        .unwrap()
        .contains("4 failed"));

    // Formats, bext v2 loudness fields against the manifest, INFO title.
    for p in &outputs {
        let bytes = std::fs::read(full.join(p)).unwrap();
        let r = &m[&p.to_string_lossy().replace('\\', "/")];
        assert_eq!(r["status"], "ok");
        assert_eq!(r["spec_ok"], true, "{r}");
        let name = p.to_string_lossy();
        let spec = hound::WavReader::new(std::io::Cursor::new(&bytes))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .spec();
        let (rate, bits) = if name.ends_with(".48k-24.wav") {
            (48_000, 24)
        } else {
            (44_100, 16)
        };
        assert_eq!(
            (spec.sample_rate, spec.bits_per_sample),
            (rate, bits),
            "{name}"
        );
        assert_eq!(spec.channels, if name.contains("t3.") { 1 } else { 2 });
        let want = [
            "integrated_lufs",
            "range_lu",
            "true_peak_dbtp",
            "momentary_max_lufs",
            "short_term_max_lufs",
        ]
        .map(|k| x100(&r[k]));
        assert_eq!(bext_loudness(&bytes), want, "{name}");
        let title = p.file_name().unwrap().to_string_lossy();
        let title = title.split('.').next().unwrap();
        // The title, NUL-terminated and padded to an even length.
        let len = (title.len() + 2) / 2 * 2;
        let inam = [
            b"INAM".as_slice(),
            &(len as u32).to_le_bytes(),
            title.as_bytes(),
        ]
        .concat();
        assert!(
            bytes.windows(inam.len()).any(|w| w == inam.as_slice()),
            "{name}: no INAM"
        );
    }

    // The independent meter: ffmpeg's ebur128 on every output.
    if have("ffmpeg", "batch_cli ffmpeg loudness check") {
        for p in &outputs {
            let r = &m[&p.to_string_lossy().replace('\\', "/")];
            let (i, _, tp) = ffmpeg_ebur128(&full.join(p));
            let target = r["target_lufs"].as_f64().unwrap();
            let tol = r["tolerance_lu"].as_f64().unwrap();
            let ceiling = r["ceiling_dbtp"].as_f64().unwrap();
            // ffmpeg prints one decimal.
            assert!((i - target).abs() <= tol + 0.05, "{p:?}: {i} vs {target}");
            assert!(tp <= ceiling + 0.05, "{p:?}: true peak {tp}");
            if r["purpose"] == "tv" {
                assert!((i + 23.0).abs() <= 0.55, "{p:?}: {i}");
            }
        }
    }

    lap("outputs checked");
    // Rerun: nothing rendered, nothing rewritten; the corrupt file is retried and fails.
    let before = mtimes(&full);
    let o = batch(&lib, &full, &["--jobs", "2"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(counts(&stderr(&o)), (0, 20), "{}", stderr(&o));
    assert_eq!(mtimes(&full), before);
    assert_eq!(manifest(&full), m);

    // A changed input is redone (its 4 outputs), the rest skipped.
    track(&lib.join("a/t2.wav"), 2, 4.0, 44_100, -5.0, false);
    let o = batch(&lib, &full, &["--jobs", "2"]);
    assert_eq!(counts(&stderr(&o)), (4, 16), "{}", stderr(&o));
    let after = mtimes(&full);
    for (p, t) in &before {
        let changed = p.starts_with("a") && p.to_string_lossy().contains("t2.");
        assert_eq!(after[p] != *t, changed, "{p:?}");
    }
    let m = manifest(&full);
    lap("reruns");

    // Three shards (two at once, in one folder) and a merge equal the one run.
    let sharded = dir.path().join("sharded");
    let (s1, s2) = (
        spawn_batch(&lib, &sharded, &["--shard", "1/3", "--jobs", "1"]),
        spawn_batch(&lib, &sharded, &["--shard", "2/3", "--jobs", "1"]),
    );
    for c in [s1, s2] {
        let o = c.wait_with_output().unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    }
    let o = coda(&["batch", "--merge", "-o", sharded.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("3/3"), "{}", stderr(&o));
    let o = batch(&lib, &sharded, &["--shard", "3/3", "--jobs", "2"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let o = coda(&["batch", "--merge", "-o", sharded.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("coda: failed: "), "{}", stderr(&o));
    lap("shards merged");
    assert_eq!(wavs(&sharded), wavs(&full));
    for p in wavs(&full) {
        assert!(
            std::fs::read(full.join(&p)).unwrap() == std::fs::read(sharded.join(&p)).unwrap(),
            "{p:?} differs between the sharded and the one run"
        );
    }
    assert_eq!(
        std::fs::read_to_string(sharded.join("delivery.manifest.jsonl")).unwrap(),
        std::fs::read_to_string(full.join("delivery.manifest.jsonl")).unwrap()
    );
    assert_eq!(manifest(&sharded), m);
    assert_eq!(
        std::fs::read_to_string(sharded.join("delivery.report.csv")).unwrap(),
        std::fs::read_to_string(full.join("delivery.report.csv")).unwrap()
    );
}
