//! The delivery manifest: one JSON line per output with the hashes that decide whether a
//! rerun must redo it, and the output's measured figures. Lines are appended as outputs
//! finish (an interrupted run keeps what it finished); at the end the file is rewritten
//! sorted, one line per output, so a run and a sharded run merged give the same file.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// File name of the manifest of a whole delivery.
pub const MANIFEST: &str = "delivery.manifest.jsonl";

/// File name of one shard's manifest.
pub fn shard_manifest(index: usize, count: usize) -> String {
    format!("delivery.shard-{index}-of-{count}.manifest.jsonl")
}

/// Outcome of one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Written and measured.
    Ok,
    /// Not written; see `error`.
    Failed,
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Output path relative to the delivery folder.
    pub output: String,
    /// Input path as listed.
    pub input: String,
    /// Purpose.
    pub purpose: String,
    /// Deliverable (`48k/24`).
    pub deliverable: String,
    /// Ok or failed.
    pub status: Status,
    /// Why it failed.
    pub error: Option<String>,
    /// SHA-256 of the input file.
    pub input_sha256: Option<String>,
    /// SHA-256 of everything else that decides the output (settings, references, version).
    pub settings_sha256: String,
    /// SHA-256 of the plan JSON that was rendered.
    pub plan_sha256: Option<String>,
    /// SHA-256 of the output file.
    pub output_sha256: Option<String>,
    /// coda version.
    pub coda_version: String,
    /// Integrated loudness the purpose asks for (the fit's target), LUFS.
    pub target_lufs: Option<f64>,
    /// Tolerance around the target that still meets the spec, LU.
    pub tolerance_lu: Option<f64>,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: Option<f64>,
    /// Measured integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Measured true peak, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Measured loudness range, LU.
    pub range_lu: Option<f64>,
    /// Measured maximum momentary loudness, LUFS.
    pub momentary_max_lufs: Option<f64>,
    /// Measured maximum short-term loudness, LUFS.
    pub short_term_max_lufs: Option<f64>,
    /// Third-octave distance to the reference (level-normalised, 40 Hz-10 kHz), dB.
    pub distance_db: Option<f64>,
    /// Whether the output meets its purpose's spec.
    pub spec_ok: Option<bool>,
    /// What was checked against the spec, and any miss.
    pub spec_notes: Vec<String>,
    /// Warnings from the fit.
    pub warnings: Vec<String>,
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads a manifest, keeping the last line per output; unreadable lines (a line cut by an
/// interruption) are skipped.
pub fn load(path: &Path) -> BTreeMap<String, Record> {
    let mut out = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(path) {
        for line in text.lines() {
            if let Ok(r) = serde_json::from_str::<Record>(line) {
                out.insert(r.output.clone(), r);
            }
        }
    }
    out
}

/// Writes records sorted by output, one line each, atomically.
pub fn write_sorted(path: &Path, records: &BTreeMap<String, Record>) -> Result<()> {
    let mut text = String::new();
    for r in records.values() {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    coda_engine::io::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Appends records as they finish (shared by the workers).
pub struct Appender {
    file: Mutex<std::fs::File>,
}

impl Appender {
    /// Opens `path` for appending (creating it).
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open for appending", path.display()))?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Appends one line and flushes it to disk.
    pub fn append(&self, r: &Record) -> Result<()> {
        let mut line = serde_json::to_string(r)?;
        line.push('\n');
        let mut f = self.file.lock().expect("manifest lock");
        f.write_all(line.as_bytes())?;
        f.sync_data()?;
        Ok(())
    }
}
