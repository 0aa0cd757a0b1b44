//! `coda analyze` end to end: JSON contract, several files, bad input, and agreement with
//! ffmpeg's ebur128 meter on real orchestral music.
mod common;

use common::*;
use serde_json::Value;

fn tone(rate: u32, secs: f64, amp: f32, f_hz: f64) -> Vec<f32> {
    (0..(rate as f64 * secs) as usize)
        .map(|i| amp * (std::f64::consts::TAU * f_hz * i as f64 / rate as f64).sin() as f32)
        .collect()
}

#[test]
fn json_contract_for_one_and_several_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    let t = tone(48_000, 5.0, 0.5, 1000.0);
    write_f32(&a, 48_000, &[t.clone(), t.clone()]);
    write_f32(&b, 44_100, &[tone(44_100, 4.0, 0.1, 440.0)]);
    let o = coda(&["analyze", "--json", a.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v.is_object());
    // BS.1770: a full-scale 1 kHz sine in one channel reads -3.01 LUFS, in both 0 LUFS;
    // at amplitude 0.5 (-6.02 dBFS) in both, -6.02 LUFS.
    let i = v["loudness"]["integrated_lufs"].as_f64().unwrap();
    assert!((i + 6.02).abs() < 0.1, "{i}");
    for key in [
        "file",
        "sample_rate",
        "channels",
        "duration_s",
        "loudness",
        "dynamics",
        "spectrum",
        "stereo",
        "health",
        "content",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["stereo"]["bands"].as_array().unwrap().len(), 3);
    assert_eq!(v["spectrum"]["bands_hz"].as_array().unwrap().len(), 31);
    let o = coda(&[
        "analyze",
        "--json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(!stdout(&o).contains("NaN"));
}

#[test]
fn silence_reads_null_not_nan() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("silence.wav");
    write_f32(&s, 48_000, &[vec![0.0; 96_000], vec![0.0; 96_000]]);
    let o = coda(&["analyze", "--json", s.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["loudness"]["integrated_lufs"].is_null());
    assert!(v["loudness"]["true_peak_dbtp"].is_null());
}

#[test]
fn bad_files_fail_clearly_and_others_still_print() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_f32(&good, 48_000, &[tone(48_000, 3.0, 0.3, 200.0)]);
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "this is not audio at all, just text pretending").unwrap();
    let trunc = dir.path().join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap();
    let nan = dir.path().join("nan.wav");
    let mut x = tone(48_000, 1.0, 0.3, 200.0);
    x[100] = f32::NAN;
    write_f32(&nan, 48_000, &[x]);
    let missing = dir.path().join("missing.wav");
    let before: Vec<Vec<u8>> = [&good, &text, &trunc, &nan]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let o = coda(&[
        "analyze",
        "--json",
        good.to_str().unwrap(),
        text.to_str().unwrap(),
        trunc.to_str().unwrap(),
        nan.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for name in ["notes.wav", "truncated.wav", "nan.wav", "missing.wav"] {
        assert!(err.contains(name), "no error naming {name}: {err}");
    }
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v.as_array().unwrap().len(),
        1,
        "the good file is still reported"
    );
    // Inputs untouched.
    for (p, b) in [&good, &text, &trunc, &nan].iter().zip(&before) {
        assert_eq!(&std::fs::read(p).unwrap(), b);
    }
}

/// Issue figures: integrated within 0.1 LU and LRA within 0.5 LU of ffmpeg's ebur128,
/// true peak within 0.2 dB of ebur128=peak=true, on Wesnoth tracks decoded directly.
#[test]
fn agrees_with_ffmpeg_on_wesnoth() {
    let name = "agrees_with_ffmpeg_on_wesnoth";
    if !have("ffmpeg", name) {
        return;
    }
    let tracks = [
        "heroes_rite",
        "the_king_is_dead",
        "battle-epic",
        "elvish-theme",
    ];
    let mut worst = (0.0f64, 0.0f64, 0.0f64);
    for t in tracks {
        let Some(path) = wesnoth(t, name) else {
            return;
        };
        let o = coda(&["analyze", "--json", path.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let l = &v["loudness"];
        let (fi, flra, ftp) = ffmpeg_ebur128(&path);
        let (ci, clra, ctp) = (
            l["integrated_lufs"].as_f64().unwrap(),
            l["range_lu"].as_f64().unwrap(),
            l["true_peak_dbtp"].as_f64().unwrap(),
        );
        eprintln!(
            "{t}: I {ci:.2} vs {fi:.1} LUFS, LRA {clra:.2} vs {flra:.1} LU, TP {ctp:.2} vs {ftp:.1} dBTP"
        );
        // ffmpeg prints one decimal: allow its rounding (0.05) on top of the tolerance.
        assert!(
            (ci - fi).abs() <= 0.1 + 0.05,
            "{t}: integrated {ci} vs {fi}"
        );
        assert!(
            (clra - flra).abs() <= 0.5 + 0.05,
            "{t}: LRA {clra} vs {flra}"
        );
        assert!(
            (ctp - ftp).abs() <= 0.2 + 0.05,
            "{t}: true peak {ctp} vs {ftp}"
        );
        worst.0 = worst.0.max((ci - fi).abs());
        worst.1 = worst.1.max((clra - flra).abs());
        worst.2 = worst.2.max((ctp - ftp).abs());
    }
    eprintln!(
        "worst differences: I {:.3} LU, LRA {:.3} LU, TP {:.3} dB",
        worst.0, worst.1, worst.2
    );
}
