//! Decoding every supported format and word length, and failing clearly on bad files.
use std::path::Path;
use std::process::Command;

use coda_engine::io::{self, BitDepth, WriteOptions};
use coda_engine::{Audio, Error};

fn sine(rate: u32, frames: usize, amp: f32) -> Audio {
    let l = (0..frames)
        .map(|i| amp * (i as f32 * 2.0 * std::f32::consts::PI * 997.0 / rate as f32).sin())
        .collect::<Vec<_>>();
    let r = l.iter().map(|x| -x * 0.5).collect();
    Audio::new(rate, vec![l, r])
}

fn max_err(a: &Audio, b: &Audio) -> f32 {
    assert_eq!(a.channel_count(), b.channel_count());
    assert_eq!(a.frames(), b.frames());
    a.channels
        .iter()
        .zip(&b.channels)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

fn write_hound(path: &Path, a: &Audio, bits: u16, float: bool) {
    let spec = hound::WavSpec {
        channels: a.channel_count() as u16,
        sample_rate: a.sample_rate_hz,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let scale = (1i64 << (bits - 1)) as f64;
    for i in 0..a.frames() {
        for ch in &a.channels {
            if float {
                w.write_sample(ch[i]).unwrap();
            } else {
                w.write_sample((f64::from(ch[i]) * scale).round() as i32)
                    .unwrap();
            }
        }
    }
    w.finalize().unwrap();
}

/// A 64-bit float WAV (hound cannot write these), with a plain WAVE_FORMAT_IEEE_FLOAT header.
fn write_f64_wav(path: &Path, a: &Audio) {
    let ch = a.channel_count() as u16;
    let data_len = (a.frames() * a.channel_count() * 8) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes());
    b.extend_from_slice(&ch.to_le_bytes());
    b.extend_from_slice(&a.sample_rate_hz.to_le_bytes());
    b.extend_from_slice(&(a.sample_rate_hz * u32::from(ch) * 8).to_le_bytes());
    b.extend_from_slice(&(ch * 8).to_le_bytes());
    b.extend_from_slice(&64u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..a.frames() {
        for c in &a.channels {
            b.extend_from_slice(&f64::from(c[i]).to_le_bytes());
        }
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn wav_fast_path_reads_exactly_what_symphonia_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x1234_5678_u32;
    let mut noise = || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * 0.999
    };
    for n_ch in [1usize, 2, 3] {
        let mut channels: Vec<Vec<f32>> = (0..n_ch)
            .map(|_| (0..3001).map(|_| noise()).collect())
            .collect();
        channels[0][0] = -1.0;
        channels[0][1] = 1.0 - 1.0 / 32_768.0;
        let a = Audio::new(44100, channels);
        for (bits, float) in [(16u16, false), (24, false), (32, true)] {
            let p = dir.path().join(format!("fast{n_ch}_{bits}{float}.wav"));
            write_hound(&p, &a, bits, float);
            let (fast, fast_info) = io::read_with_info(&p).unwrap();
            let (general, general_info) = io::read_general(&p).unwrap();
            assert_eq!(fast_info, general_info, "{n_ch} ch {bits}-bit");
            assert_eq!(fast.sample_rate_hz, general.sample_rate_hz);
            assert_eq!(fast.channels.len(), general.channels.len());
            for (x, y) in fast.channels.iter().zip(&general.channels) {
                assert_eq!(x.len(), y.len());
                assert!(
                    x.iter().zip(y).all(|(u, v)| u.to_bits() == v.to_bits()),
                    "{n_ch} ch {bits}-bit float={float}: samples differ"
                );
            }
        }
    }
}

#[test]
fn vorbis_halves_decode_exactly_as_one_piece() {
    let Some(path) = ["heroes_rite", "battle_epic"]
        .iter()
        .map(|t| {
            Path::new("/usr/share/games/wesnoth/1.16/data/core/music").join(format!("{t}.ogg"))
        })
        .find(|p| p.exists())
    else {
        eprintln!("skipped: no Wesnoth music (corpus/fetch-real.sh installs it)");
        return;
    };
    // A 40 s excerpt keeps the serial decode quick and has well over 64 packets.
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.ogg");
    if !ffmpeg() {
        eprintln!("skipped: no ffmpeg");
        return;
    }
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&path)
        .args(["-t", "40", "-c:a", "copy"])
        .arg(&cut)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let (split, _) = io::read_with_info(&cut).unwrap();
    let (serial, _) = io::read_general_serial(&cut).unwrap();
    assert_eq!(split.sample_rate_hz, serial.sample_rate_hz);
    assert_eq!(split.channels.len(), serial.channels.len());
    for (x, y) in split.channels.iter().zip(&serial.channels) {
        assert_eq!(x.len(), y.len());
        assert!(x.iter().zip(y).all(|(u, v)| u.to_bits() == v.to_bits()));
    }
}

#[test]
fn wav_integer_and_float_word_lengths_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let a = sine(48000, 4800, 0.5);
    for (bits, float, tol) in [
        (16u16, false, 1.0 / 32768.0),
        (24, false, 1.0 / 8_388_608.0),
        (32, false, 1e-7),
        (32, true, 0.0),
    ] {
        let p = dir.path().join(format!("s{bits}{float}.wav"));
        write_hound(&p, &a, bits, float);
        let b = io::read(&p).unwrap();
        assert_eq!(b.sample_rate_hz, 48000);
        let e = max_err(&a, &b);
        assert!(e <= tol, "{bits}-bit float={float}: error {e}");
    }
    let p = dir.path().join("f64.wav");
    write_f64_wav(&p, &a);
    let b = io::read(&p).unwrap();
    assert_eq!(max_err(&a, &b), 0.0);
}

#[test]
fn extensible_header_multichannel_decodes() {
    // hound writes WAVE_FORMAT_EXTENSIBLE for more than two channels.
    let dir = tempfile::tempdir().unwrap();
    let s = sine(44100, 1000, 0.25);
    let a = Audio::new(
        44100,
        vec![
            s.channels[0].clone(),
            s.channels[1].clone(),
            s.channels[0].clone(),
            s.channels[1].clone(),
        ],
    );
    let p = dir.path().join("quad.wav");
    write_hound(&p, &a, 24, false);
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 0xFFFE);
    let b = io::read(&p).unwrap();
    assert_eq!(b.channel_count(), 4);
    assert!(max_err(&a, &b) <= 1.0 / 8_388_608.0);
}

#[test]
fn written_wav_is_atomic_dithered_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let a = sine(44100, 44100, 0.7);
    for depth in [BitDepth::Int16, BitDepth::Int24, BitDepth::Float32] {
        let p = dir.path().join(format!("out{}.wav", depth.label()));
        let opts = WriteOptions {
            bit_depth: depth,
            ..WriteOptions::default()
        };
        io::write_wav(&p, &a, opts).unwrap();
        let b = io::read(&p).unwrap();
        let lsb = match depth {
            BitDepth::Int16 => 1.0 / 32768.0,
            BitDepth::Int24 => 1.0 / 8_388_608.0,
            BitDepth::Float32 => 0.0,
        };
        assert!(max_err(&a, &b) <= 1.5 * lsb, "{depth:?}");
        // Same input, same bits.
        let again = io::encode_wav(&a, opts).unwrap();
        assert_eq!(again, std::fs::read(&p).unwrap());
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left behind");
}

#[test]
fn bad_files_fail_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.wav");
    let e = io::read(&missing).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("nope.wav"));

    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let e = io::read(&empty).unwrap_err().to_string();
    assert!(e.contains("empty.wav") && e.contains("empty"), "{e}");

    let text = dir.path().join("text.wav");
    std::fs::write(&text, "this is not audio, just a text file\n".repeat(20)).unwrap();
    let e = io::read(&text).unwrap_err().to_string();
    assert!(
        e.contains("text.wav") && e.contains("not a readable audio file"),
        "{e}"
    );

    let good = dir.path().join("good.wav");
    write_hound(&good, &sine(44100, 44100, 0.5), 16, false);
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.wav");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = io::read(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.wav") && e.contains("truncated"), "{e}");

    let zero = dir.path().join("zero.wav");
    write_hound(&zero, &Audio::silence(44100, 2, 0), 16, false);
    let e = io::read(&zero).unwrap_err().to_string();
    assert!(e.contains("zero.wav") && e.contains("no audio"), "{e}");

    let mut nan = sine(44100, 1000, 0.5);
    nan.channels[1][10] = f32::NAN;
    nan.channels[0][20] = f32::INFINITY;
    let nanp = dir.path().join("nan.wav");
    write_hound(&nanp, &nan, 32, true);
    let e = io::read(&nanp).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                count: 2,
                first_index: 10,
                ..
            }
        ),
        "{e}"
    );
}

fn ffmpeg() -> bool {
    let ok = Command::new("ffmpeg").arg("-version").output().is_ok();
    if !ok {
        eprintln!(
            "SKIPPED: ffmpeg not installed (run scripts/setup.sh); compressed formats untested"
        );
    }
    ok
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn flac_ogg_mp3_aiff_decode_via_ffmpeg_encodes() {
    if !ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = sine(44100, 44100, 0.5);
    let src = dir.path().join("src.wav");
    write_hound(&src, &a, 24, false);
    for (ext, lossless, args) in [
        ("flac", true, vec!["-c:a", "flac"]),
        ("aiff", true, vec!["-c:a", "pcm_s24be"]),
        ("ogg", false, vec!["-c:a", "libvorbis", "-q:a", "6"]),
        ("mp3", false, vec!["-c:a", "libmp3lame", "-b:a", "256k"]),
    ] {
        let out = dir.path().join(format!("t.{ext}"));
        let st = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(&src)
            .args(&args)
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success(), "ffmpeg failed for {ext}");
        let b = io::read(&out).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(b.channel_count(), 2, "{ext}");
        assert_eq!(b.sample_rate_hz, 44100, "{ext}");
        if lossless {
            assert!(max_err(&a, &b) <= 1.0 / 8_388_608.0, "{ext}");
        } else {
            // Lossy: length within a codec frame, RMS level within 0.2 dB.
            assert!(
                (b.frames() as i64 - a.frames() as i64).abs() < 2048,
                "{ext}: {} frames",
                b.frames()
            );
            let d = 20.0 * (rms(&b.channels[0]) / rms(&a.channels[0])).log10();
            assert!(d.abs() < 0.2, "{ext}: level off by {d} dB");
        }
    }
}
