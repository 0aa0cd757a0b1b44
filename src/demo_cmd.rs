//! `coda demo`: writes a built-in synthetic mix and reference, then masters the one
//! against the other, as `coda match` would.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use coda_engine::io::{self, BitDepth, WriteOptions};
use coda_engine::processors::eq::{Eq, EqBand, EqChannel, EqConfig, EqKind};
use coda_engine::processors::gain::Gain;
use coda_engine::processors::Processor;
use coda_engine::Audio;

use crate::cli::{DemoArgs, MatchArgs};

/// Length of the demo music, seconds.
const DEMO_S: f64 = 45.0;
/// Rate of the demo files, Hz.
const DEMO_RATE_HZ: u32 = 48_000;

/// The "composer's mix": the reference piece itself with a known muddy, boomy, dull
/// balance, 8 dB too quiet, so the demo shows coda finding and undoing a known damage.
fn degrade(mut audio: Audio) -> Result<Audio> {
    let band = |kind, freq_hz, gain_db, q| EqBand {
        kind,
        freq_hz,
        gain_db,
        q,
        slope_db_per_oct: 12,
        channel: EqChannel::Stereo,
    };
    let eq = EqConfig {
        bands: vec![
            band(EqKind::Peaking, 300.0, 4.0, 1.0),
            band(EqKind::HighShelf, 6000.0, -4.0, 0.707),
            band(EqKind::LowShelf, 80.0, 2.0, 0.707),
        ],
    };
    let mut eq = Eq::new(&eq, audio.sample_rate_hz)?;
    let mut gain = Gain::new(-8.0);
    let mut views: Vec<&mut [f32]> = audio
        .channels
        .iter_mut()
        .map(|c| c.as_mut_slice())
        .collect();
    eq.process(&mut views);
    gain.process(&mut views);
    Ok(audio)
}

/// Writes the demo inputs and returns (mix, reference) paths.
pub fn write_inputs(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let reference = coda_corpus::synth::orchestral(1, DEMO_S, DEMO_RATE_HZ);
    let mix = degrade(reference.clone())?;
    let (mix_path, ref_path) = (dir.join("demo-mix.wav"), dir.join("demo-reference.wav"));
    let opts = WriteOptions {
        bit_depth: BitDepth::Int24,
        ..WriteOptions::default()
    };
    io::write_wav(&mix_path, &mix, opts)?;
    io::write_wav(&ref_path, &reference, opts)?;
    Ok((mix_path, ref_path))
}

/// Runs `coda demo`.
pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("coda-demo"));
    let (mix, reference) = write_inputs(&dir)?;
    eprintln!(
        "coda: demo: mastering {} against {}",
        mix.display(),
        reference.display()
    );
    let m = MatchArgs {
        mix,
        refs: vec![reference.display().to_string()],
        purpose: "reference".into(),
        out_dir: dir,
        target_lufs: None,
        ceiling: None,
        bits: "24".into(),
        rate: None,
        strength: 1.0,
        eq: None,
        width: None,
        dynamics: None,
        loudness: None,
        hybrid: false,
        max_automation_db: 4.0,
        allow_heavy_limiting: false,
        tuning: None,
        png: false,
        force: true,
    };
    crate::match_cmd::run(&m)
}
