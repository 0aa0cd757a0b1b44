//! Deliverable formats (`48k/24`) and output naming.
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use coda_engine::io::BitDepth;
use coda_optimizer::Purpose;

/// One output format: sample rate and word length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deliverable {
    /// Sample rate, Hz.
    pub rate_hz: u32,
    /// Word length.
    pub bits: BitDepth,
}

impl Deliverable {
    /// Parses `48k/24`, `44.1k/16`, `96000/32f`.
    pub fn parse(s: &str) -> Result<Self> {
        let (rate, bits) = s
            .split_once('/')
            .ok_or_else(|| anyhow!("--deliver {s}: expected RATE/BITS, e.g. 48k/24"))?;
        let rate = rate.trim().to_ascii_lowercase();
        let hz = if let Some(k) = rate.strip_suffix('k') {
            k.parse::<f64>().map(|k| (k * 1000.0).round())
        } else {
            rate.parse::<f64>()
        }
        .map_err(|_| anyhow!("--deliver {s}: `{rate}` is not a sample rate"))?;
        if !(8_000.0..=384_000.0).contains(&hz) {
            bail!("--deliver {s}: {hz} Hz is outside 8000..384000");
        }
        let bits = BitDepth::parse(bits.trim())
            .ok_or_else(|| anyhow!("--deliver {s}: bits must be 16, 24 or 32f"))?;
        Ok(Self {
            rate_hz: hz as u32,
            bits,
        })
    }

    /// Parses a comma-separated list, keeping the order and dropping repeats.
    pub fn parse_list(s: &str) -> Result<Vec<Self>> {
        let mut out: Vec<Self> = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let d = Self::parse(part)?;
            if !out.contains(&d) {
                out.push(d);
            }
        }
        if out.is_empty() {
            bail!("--deliver: no formats given");
        }
        Ok(out)
    }

    /// `48k-24`, `44.1k-16`: the form used in file names.
    pub fn label(&self) -> String {
        format!("{}-{}", rate_label(self.rate_hz), self.bits.label())
    }

    /// `48k/24`: the form used on the command line and in reports.
    pub fn spec(&self) -> String {
        format!("{}/{}", rate_label(self.rate_hz), self.bits.label())
    }
}

/// `48000` -> `48k`, `44100` -> `44.1k`, `22050` -> `22.05k`.
pub fn rate_label(hz: u32) -> String {
    let k = f64::from(hz) / 1000.0;
    let s = format!("{k:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}k")
}

/// `<dir>/<rel folder>/<stem>.<purpose>.<rate>-<bits>.wav`.
pub fn output_path(dir: &Path, rel_input: &Path, purpose: Purpose, d: &Deliverable) -> PathBuf {
    let stem = rel_input
        .file_stem()
        .map_or_else(|| "track".into(), |s| s.to_string_lossy().into_owned());
    let name = format!("{stem}.{}.{}.wav", purpose.name(), d.label());
    match rel_input.parent() {
        Some(p) if !p.as_os_str().is_empty() => dir.join(p).join(name),
        _ => dir.join(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names() {
        let d = Deliverable::parse_list("48k/24, 44.1k/16,48000/24,96k/32f").unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].label(), "48k-24");
        assert_eq!(d[1].label(), "44.1k-16");
        assert_eq!(d[2].label(), "96k-32f");
        let p = output_path(
            Path::new("out"),
            Path::new("a/b/Theme.flac"),
            Purpose::Library,
            &d[1],
        );
        assert_eq!(p, Path::new("out/a/b/Theme.library.44.1k-16.wav"));
        assert!(Deliverable::parse("48k").is_err());
        assert!(Deliverable::parse("48k/20").is_err());
        assert!(Deliverable::parse("1k/24").is_err());
    }
}
