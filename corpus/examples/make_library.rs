//! Writes a synthetic production-music library for `coda batch` tests and benchmarks.
//!
//!     cargo run --release -p coda-corpus --example make_library -- DIR N [SECS] [CORRUPT]
//!
//! `N` tracks (orchestral, hybrid and film-cue styles; 44.1 and 48 kHz; a few mono; mix
//! levels 4-12 dB under the synth's -3 dBFS peak) in `DIR/album-NN/track-NNN.wav`, 25 to an
//! album, `SECS` seconds long (default 20). `DIR/reference.wav` is the library's reference
//! and `DIR/album-02/reference.wav` that album's own. `CORRUPT` of the N tracks (default 0,
//! at most 5) are broken files, one of each kind: truncated, text, zero bytes, NaN samples,
//! random bytes. Every file is listed on stdout as `track|reference|corrupt:<kind> PATH`.
//! Same arguments, same bytes.
use std::path::{Path, PathBuf};

use coda_corpus::synth;
use coda_engine::io::{encode_wav, BitDepth, WriteOptions};
use coda_engine::Audio;
use rayon::prelude::*;

/// The kinds of broken file, in the order they are placed.
const CORRUPT: [&str; 5] = ["truncated", "text", "empty", "nan", "noise"];

fn scaled(a: Audio, gain_db: f64) -> Audio {
    let g = 10f64.powf(gain_db / 20.0) as f32;
    let ch = a
        .channels
        .into_iter()
        .map(|c| c.into_iter().map(|x| x * g).collect())
        .collect();
    Audio::new(a.sample_rate_hz, ch)
}

fn wav(a: &Audio, bits: BitDepth) -> Vec<u8> {
    encode_wav(
        a,
        WriteOptions {
            bit_depth: bits,
            ..WriteOptions::default()
        },
    )
    .expect("encode")
}

/// A deterministic track for index `i`.
fn track(i: usize, secs: f64) -> Audio {
    let seed = 1000 + i as u64;
    let rate = if i % 3 == 1 { 44_100 } else { 48_000 };
    let secs = secs + (i % 5) as f64;
    let a = match i % 4 {
        0 | 2 => synth::orchestral(seed, secs, rate),
        1 => synth::hybrid(seed, secs, rate),
        _ => synth::film_cue(seed, secs, rate),
    };
    let a = scaled(a, -4.0 - (i % 9) as f64);
    if i % 10 == 7 {
        // Mono: the left channel.
        Audio::new(a.sample_rate_hz, vec![a.channels[0].clone()])
    } else {
        a
    }
}

/// The bytes of broken file `kind` (built from track `i` where a track is needed).
fn corrupt(kind: &str, i: usize, secs: f64) -> Vec<u8> {
    match kind {
        "truncated" => {
            let mut b = wav(&track(i, secs), BitDepth::Int24);
            b.truncate(b.len() / 3);
            b
        }
        "text" => b"This is a cue sheet, not audio.\ntrack 1, 00:00:00\n".to_vec(),
        "empty" => Vec::new(),
        "nan" => {
            let mut a = track(i, secs);
            let n = a.frames();
            for k in (n / 2..n / 2 + 64).step_by(8) {
                a.channels[0][k] = f32::NAN;
            }
            wav(&a, BitDepth::Float32)
        }
        _ => {
            // xorshift noise: not RIFF, not any format symphonia knows.
            let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ i as u64;
            (0..65_536)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect()
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: make_library DIR N [SECS] [CORRUPT]");
        std::process::exit(2);
    }
    let dir = PathBuf::from(&args[0]);
    let n: usize = args[1].parse().expect("N");
    let secs: f64 = args.get(2).map_or(20.0, |s| s.parse().expect("SECS"));
    let n_corrupt: usize = args.get(3).map_or(0, |s| s.parse().expect("CORRUPT"));
    assert!(
        n_corrupt <= CORRUPT.len() && n_corrupt <= n,
        "at most 5 corrupt files"
    );
    // Corrupt files spread over the library: tracks 3, 3+s, 3+2s, ...
    let stride = (n / CORRUPT.len()).max(1);
    let corrupt_at: Vec<usize> = (0..n_corrupt).map(|k| (3 + k * stride) % n).collect();

    let refs = [
        (dir.join("reference.wav"), synth::hybrid(7, 30.0, 48_000)),
        (
            dir.join("album-02").join("reference.wav"),
            synth::orchestral(8, 30.0, 48_000),
        ),
    ];
    for (p, a) in &refs {
        write(p, &wav(a, BitDepth::Int24));
        println!("reference {}", p.display());
    }
    let lines: Vec<String> = (0..n)
        .into_par_iter()
        .map(|i| {
            let path = dir
                .join(format!("album-{:02}", i / 25 + 1))
                .join(format!("track-{i:03}.wav"));
            let line = match corrupt_at.iter().position(|&c| c == i) {
                Some(k) => {
                    write(&path, &corrupt(CORRUPT[k], i, secs));
                    format!("corrupt:{} {}", CORRUPT[k], path.display())
                }
                None => {
                    write(&path, &wav(&track(i, secs), BitDepth::Int24));
                    format!("track {}", path.display())
                }
            };
            line
        })
        .collect();
    for l in lines {
        println!("{l}");
    }
}
