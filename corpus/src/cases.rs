//! Test cases with known answers: the manifests in `corpus/cases/*.json` and the audio they
//! describe.
//!
//! A case names a mix source (a synthetic piece, a Wesnoth track or a file), a chain of
//! degradations rendered by coda's own engine (EQ, gain, width, clipping, over-limiting,
//! mono fold-down), one or more references, the purpose, the ground truth (the EQ, gain
//! and width change the mix was given, the loudness range and content kind to expect) and
//! per-metric pass thresholds. `coda tune` masters every case and scores it; this module
//! only loads and builds, it knows nothing about the optimizer.
//!
//! A manifest file holds one case object or an array of them. Paths of `file` sources are
//! relative to the manifest's folder. See `corpus/cases/README.md` for the format.
use std::path::{Path, PathBuf};

use coda_engine::plan::Plan;
use coda_engine::processors::eq::{EqBand, EqConfig};
use coda_engine::processors::imager::ImagerConfig;
use coda_engine::processors::limiter::LimiterConfig;
use coda_engine::render::render;
use coda_engine::Audio;
use serde::{Deserialize, Serialize};

use crate::real::wesnoth_track;
use crate::synth;

/// Crossovers of the width degradation, Hz: the analysis' stereo bands (lows, mids, highs).
pub const WIDTH_SPLITS_HZ: [f64; 2] = [150.0, 2500.0];

/// Errors loading or building a case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A manifest is not valid JSON for the case schema.
    #[error("{path}: {source}")]
    Json {
        /// The manifest.
        path: PathBuf,
        /// The parser's message (with line and column).
        source: serde_json::Error,
    },
    /// A case's values are out of range or inconsistent.
    #[error("case {case}: {reason}")]
    Invalid {
        /// The case name.
        case: String,
        /// What is wrong.
        reason: String,
    },
    /// Audio the case needs is not on this machine.
    #[error("{what} is missing: {hint}")]
    Missing {
        /// The file or track.
        what: String,
        /// How to get it.
        hint: String,
    },
    /// The engine refused a degradation or could not decode a file.
    #[error("{0}")]
    Engine(#[from] coda_engine::Error),
}

/// The crate's result.
pub type Result<T> = std::result::Result<T, Error>;

/// Which synthetic generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynthKind {
    /// [`synth::orchestral`].
    Orchestral,
    /// [`synth::hybrid`].
    Hybrid,
    /// [`synth::film_cue`].
    FilmCue,
}

/// Where a piece of audio comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// A deterministic synthetic piece.
    Synth {
        /// Generator.
        kind: SynthKind,
        /// Seed (same seed, same bits).
        seed: u64,
        /// Length, seconds.
        duration_s: f64,
        /// Sample rate, Hz.
        rate_hz: u32,
    },
    /// A track of the Wesnoth soundtrack (`corpus/fetch-real.sh`), decoded by coda.
    Wesnoth {
        /// Track name without `.ogg`, e.g. `heroes_rite`.
        track: String,
        /// Start of the excerpt, seconds.
        #[serde(default)]
        start_s: f64,
        /// Length of the excerpt, seconds (default: to the end).
        #[serde(default)]
        duration_s: Option<f64>,
    },
    /// An audio file, relative to the manifest's folder (e.g. built by `fetch-real.sh`).
    File {
        /// The file.
        path: PathBuf,
        /// Start of the excerpt, seconds.
        #[serde(default)]
        start_s: f64,
        /// Length of the excerpt, seconds (default: to the end).
        #[serde(default)]
        duration_s: Option<f64>,
    },
}

impl Source {
    /// True for real music (a track or a file), false for a synthetic piece.
    pub fn is_real(&self) -> bool {
        !matches!(self, Source::Synth { .. })
    }
}

/// One step of the damage done to the mix, applied in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Degradation {
    /// These EQ bands (coda's EQ, as in a plan).
    Eq(Vec<EqBand>),
    /// Gain, dB.
    GainDb(f64),
    /// Side gain per band [lows < 150 Hz, mids, highs > 2.5 kHz] (coda's imager, 0..2).
    Width([f64; 3]),
    /// Hard clipping of every sample at this level, dBFS.
    ClipDbfs(f64),
    /// Over-limiting: this much gain into coda's true-peak limiter.
    Limit {
        /// Gain into the limiter, dB.
        drive_db: f64,
        /// Its ceiling, dBTP.
        ceiling_dbtp: f64,
        /// Its release, ms.
        #[serde(default = "default_release_ms")]
        release_ms: f64,
    },
    /// Fold to one channel, (L + R) / 2.
    Mono,
    /// Convert to this sample rate (coda's resampler).
    ResampleHz(u32),
}

fn default_release_ms() -> f64 {
    50.0
}

/// The mix: a source and what was done to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixSpec {
    /// The undamaged audio.
    pub source: Source,
    /// The damage, in order.
    #[serde(default)]
    pub degrade: Vec<Degradation>,
}

/// What the master should come out as; absent fields are not scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Truth {
    /// The EQ the mix was given: the fitted EQ plus this should be flat up to a constant
    /// at third-octave centres 40 Hz-16 kHz (an empty list: the fit should stay flat).
    #[serde(default)]
    pub eq: Option<Vec<EqBand>>,
    /// The gain the mix was given, dB (informational; loudness is scored).
    #[serde(default)]
    pub gain_db: Option<f64>,
    /// The side gains the mix was given [lows, mids, highs]: the master's width per band
    /// should come back to the reference's.
    #[serde(default)]
    pub width: Option<[f64; 3]>,
    /// Integrated loudness the master must reach, LUFS (default: the purpose's fixed
    /// target, else the references' mean).
    #[serde(default)]
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP (default: the purpose's).
    #[serde(default)]
    pub ceiling_dbtp: Option<f64>,
    /// The master's loudness range, [low, high] LU (`null`: open).
    #[serde(default)]
    pub lra_lu: Option<[Option<f64>; 2]>,
    /// The master's loudness range minus the mix's, [low, high] LU (`null`: open).
    #[serde(default)]
    pub lra_change_lu: Option<[Option<f64>; 2]>,
    /// The master's loudness range minus the references' mean, [low, high] LU.
    #[serde(default)]
    pub lra_vs_reference_lu: Option<[Option<f64>; 2]>,
    /// The content kind the mix should be measured as: `orchestral` or `hybrid`.
    #[serde(default)]
    pub content: Option<String>,
}

/// Pass thresholds per metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Largest deviation of fitted + known EQ from flat, dB.
    #[serde(default = "default_eq_db")]
    pub eq_db: f64,
    /// Largest |output − target| integrated loudness, LU.
    #[serde(default = "default_loudness_lu")]
    pub loudness_lu: f64,
    /// Least margin of the output's true peak under the ceiling, dB (0: at or under).
    #[serde(default)]
    pub true_peak_margin_db: f64,
    /// Largest width error per band against the reference (side-to-mid), dB.
    #[serde(default = "default_width_db")]
    pub width_db: f64,
    /// Largest spectral distance of the master to the reference(s), dB.
    #[serde(default)]
    pub spectral_distance_db: Option<f64>,
    /// Largest limiter gain reduction, dB.
    #[serde(default)]
    pub limiter_gr_db: Option<f64>,
    /// Largest total range of the volume automation, dB.
    #[serde(default)]
    pub automation_range_db: Option<f64>,
    /// Largest wall time of fit + render + verify, seconds.
    #[serde(default)]
    pub time_s: Option<f64>,
}

fn default_eq_db() -> f64 {
    0.5
}
fn default_loudness_lu() -> f64 {
    0.1
}
fn default_width_db() -> f64 {
    1.0
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            eq_db: default_eq_db(),
            loudness_lu: default_loudness_lu(),
            true_peak_margin_db: 0.0,
            width_db: default_width_db(),
            spectral_distance_db: None,
            limiter_gr_db: None,
            automation_range_db: None,
            time_s: None,
        }
    }
}

/// One test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique name (lowercase letters, digits, `-`).
    pub name: String,
    /// What the case checks.
    #[serde(default)]
    pub description: String,
    /// Labels for `--filter` (e.g. `fast` for the `cargo test` subset).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The mix.
    pub mix: MixSpec,
    /// The reference(s), equally weighted.
    pub references: Vec<Source>,
    /// Damage done to every reference, in order (e.g. `mono`, `resample_hz`).
    #[serde(default)]
    pub reference_degrade: Vec<Degradation>,
    /// Purpose name as on the command line (`reference`, `film`, `tv`, `trailer`...).
    #[serde(default = "default_purpose")]
    pub purpose: String,
    /// Force (`true`) or forbid (`false`) the multiband compressor; absent: by content.
    #[serde(default)]
    pub hybrid: Option<bool>,
    /// What the master should come out as.
    #[serde(default)]
    pub truth: Truth,
    /// Pass thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
}

fn default_purpose() -> String {
    "reference".into()
}

impl Case {
    /// `real` when any source is real music, else `synthetic`.
    pub fn group(&self) -> &'static str {
        if self.mix.source.is_real() || self.references.iter().any(Source::is_real) {
            "real"
        } else {
            "synthetic"
        }
    }

    /// True when `filter` (comma-separated alternatives) names this case: a substring of
    /// its name, one of its tags, or its group. An empty filter matches everything.
    pub fn matches(&self, filter: &str) -> bool {
        let alts: Vec<&str> = filter
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        alts.is_empty()
            || alts.iter().any(|a| {
                self.name.contains(a) || self.tags.iter().any(|t| t == a) || self.group() == *a
            })
    }

    /// Checks names, ranges and rates; the error names the case and the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Error::Invalid {
            case: self.name.clone(),
            reason,
        };
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(bad("name must be lowercase letters, digits and '-'".into()));
        }
        if self.references.is_empty() {
            return Err(bad("at least one reference is needed".into()));
        }
        for (i, s) in std::iter::once(&self.mix.source)
            .chain(&self.references)
            .enumerate()
        {
            validate_source(s).map_err(|r| bad(format!("source {i}: {r}")))?;
        }
        let rate = match self.mix.source {
            Source::Synth { rate_hz, .. } => Some(rate_hz),
            _ => None,
        };
        for (i, d) in self.mix.degrade.iter().enumerate() {
            validate_degradation(d, rate).map_err(|r| bad(format!("degrade[{i}]: {r}")))?;
        }
        for (i, d) in self.reference_degrade.iter().enumerate() {
            validate_degradation(d, None)
                .map_err(|r| bad(format!("reference_degrade[{i}]: {r}")))?;
        }
        if let Some(eq) = &self.truth.eq {
            let cfg = EqConfig { bands: eq.clone() };
            cfg.validate("truth.eq", rate.unwrap_or(44_100))
                .map_err(|e| bad(e.to_string()))?;
        }
        if let Some(w) = self.truth.width {
            if w.iter().any(|x| !(0.0..=2.0).contains(x)) {
                return Err(bad("truth.width must be within 0..2".into()));
            }
        }
        if let Some(c) = &self.truth.content {
            if c != "orchestral" && c != "hybrid" {
                return Err(bad(format!(
                    "truth.content {c:?} is not orchestral or hybrid"
                )));
            }
        }
        let t = &self.thresholds;
        let positive = [
            ("eq_db", Some(t.eq_db)),
            ("loudness_lu", Some(t.loudness_lu)),
            ("width_db", Some(t.width_db)),
            ("spectral_distance_db", t.spectral_distance_db),
            ("limiter_gr_db", t.limiter_gr_db),
            ("automation_range_db", t.automation_range_db),
            ("time_s", t.time_s),
        ];
        for (name, v) in positive {
            if let Some(v) = v {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(bad(format!("thresholds.{name} {v} must be >= 0")));
                }
            }
        }
        Ok(())
    }
}

fn validate_source(s: &Source) -> std::result::Result<(), String> {
    let excerpt = |start_s: f64, duration_s: Option<f64>| {
        if !(start_s.is_finite() && start_s >= 0.0) {
            return Err(format!("start_s {start_s} must be >= 0"));
        }
        match duration_s {
            Some(d) if !(d.is_finite() && d > 0.0) => Err(format!("duration_s {d} must be > 0")),
            _ => Ok(()),
        }
    };
    match s {
        Source::Synth {
            duration_s,
            rate_hz,
            ..
        } => {
            if !(duration_s.is_finite() && *duration_s >= 3.0 && *duration_s <= 3600.0) {
                return Err(format!("duration_s {duration_s} must be within 3..3600"));
            }
            if !(8_000..=384_000).contains(rate_hz) {
                return Err(format!("rate_hz {rate_hz} must be within 8000..384000"));
            }
            Ok(())
        }
        Source::Wesnoth {
            track,
            start_s,
            duration_s,
        } => {
            if track.is_empty() || track.contains('/') {
                return Err(format!("track {track:?} must be a bare track name"));
            }
            excerpt(*start_s, *duration_s)
        }
        Source::File {
            start_s,
            duration_s,
            ..
        } => excerpt(*start_s, *duration_s),
    }
}

fn validate_degradation(d: &Degradation, rate: Option<u32>) -> std::result::Result<(), String> {
    let finite = |name: &str, v: f64, lo: f64, hi: f64| {
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(format!("{name} {v} must be within {lo}..{hi}"))
        }
    };
    match d {
        Degradation::Eq(bands) => EqConfig {
            bands: bands.clone(),
        }
        .validate("eq", rate.unwrap_or(44_100))
        .map_err(|e| e.to_string()),
        Degradation::GainDb(g) => finite("gain_db", *g, -60.0, 24.0),
        Degradation::Width(w) => {
            for x in w {
                finite("width", *x, 0.0, 2.0)?;
            }
            Ok(())
        }
        Degradation::ClipDbfs(c) => finite("clip_dbfs", *c, -40.0, 0.0),
        Degradation::Limit {
            drive_db,
            ceiling_dbtp,
            release_ms,
        } => {
            finite("drive_db", *drive_db, 0.0, 36.0)?;
            finite("ceiling_dbtp", *ceiling_dbtp, -20.0, 0.0)?;
            finite("release_ms", *release_ms, 10.0, 2000.0)
        }
        Degradation::Mono => Ok(()),
        Degradation::ResampleHz(r) => {
            if (8_000..=384_000).contains(r) {
                Ok(())
            } else {
                Err(format!("resample_hz {r} must be within 8000..384000"))
            }
        }
    }
}

/// A case with the manifest it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The case.
    pub case: Case,
    /// Its manifest file (`file` sources are relative to its folder).
    pub manifest: PathBuf,
}

impl LoadedCase {
    /// The folder `file` sources are relative to.
    pub fn base_dir(&self) -> &Path {
        self.manifest.parent().unwrap_or(Path::new("."))
    }
}

/// Loads one manifest file: one case object or an array of them.
pub fn load_file(path: &Path) -> Result<Vec<LoadedCase>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // Parse as an array first so a bad field gets serde's precise message, not untagged's.
    let cases = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Case>>(&text)
    } else {
        serde_json::from_str::<Case>(&text).map(|c| vec![c])
    }
    .map_err(|source| Error::Json {
        path: path.to_path_buf(),
        source,
    })?;
    cases
        .into_iter()
        .map(|case| {
            case.validate()?;
            Ok(LoadedCase {
                case,
                manifest: path.to_path_buf(),
            })
        })
        .collect()
}

/// Loads every `*.json` manifest in `path` (sorted by file name), or the one file `path`;
/// refuses duplicate case names. Cases keep their file order.
pub fn load(path: &Path) -> Result<Vec<LoadedCase>> {
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut all = Vec::new();
    for f in files {
        all.extend(load_file(&f)?);
    }
    let mut names: Vec<&str> = all.iter().map(|c| c.case.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::Invalid {
            case: w[0].to_string(),
            reason: "the name is used twice".into(),
        });
    }
    Ok(all)
}

/// The audio of a case.
#[derive(Debug, Clone)]
pub struct Built {
    /// The damaged mix.
    pub mix: Audio,
    /// The references, in manifest order.
    pub references: Vec<Audio>,
}

/// Builds the mix and references of `case` (`base_dir`: where `file` paths start).
pub fn build(case: &Case, base_dir: &Path) -> Result<Built> {
    let source = load_source(&case.mix.source, base_dir)?;
    let references = case
        .references
        .iter()
        .map(|r| {
            let audio = if *r == case.mix.source {
                source.clone()
            } else {
                load_source(r, base_dir)?
            };
            degrade(audio, &case.reference_degrade)
        })
        .collect::<Result<Vec<_>>>()?;
    let mix = degrade(source, &case.mix.degrade)?;
    Ok(Built { mix, references })
}

/// Decodes or synthesises one source.
pub fn load_source(source: &Source, base_dir: &Path) -> Result<Audio> {
    match source {
        Source::Synth {
            kind,
            seed,
            duration_s,
            rate_hz,
        } => Ok(match kind {
            SynthKind::Orchestral => synth::orchestral(*seed, *duration_s, *rate_hz),
            SynthKind::Hybrid => synth::hybrid(*seed, *duration_s, *rate_hz),
            SynthKind::FilmCue => synth::film_cue(*seed, *duration_s, *rate_hz),
        }),
        Source::Wesnoth {
            track,
            start_s,
            duration_s,
        } => {
            let path = wesnoth_track(track).ok_or_else(|| Error::Missing {
                what: format!("Wesnoth track {track}"),
                hint: "run corpus/fetch-real.sh".into(),
            })?;
            Ok(excerpt(
                coda_engine::io::read(&path)?,
                *start_s,
                *duration_s,
            ))
        }
        Source::File {
            path,
            start_s,
            duration_s,
        } => {
            let full = base_dir.join(path);
            if !full.is_file() {
                return Err(Error::Missing {
                    what: full.display().to_string(),
                    hint: "run corpus/fetch-real.sh".into(),
                });
            }
            Ok(excerpt(
                coda_engine::io::read(&full)?,
                *start_s,
                *duration_s,
            ))
        }
    }
}

/// The part of `audio` from `start_s` lasting `duration_s` (to the end if `None`).
fn excerpt(mut audio: Audio, start_s: f64, duration_s: Option<f64>) -> Audio {
    let fs = f64::from(audio.sample_rate_hz);
    let frames = audio.frames();
    let a = ((start_s * fs).round() as usize).min(frames);
    let b = duration_s.map_or(frames, |d| (a + (d * fs).round() as usize).min(frames));
    if a == 0 && b == frames {
        return audio;
    }
    for c in &mut audio.channels {
        c.truncate(b);
        c.drain(..a);
    }
    audio
}

/// Applies the degradation chain in order; each engine step is a one-stage plan rendered
/// by coda's own renderer (so latency is compensated and the bits are reproducible).
pub fn degrade(mut audio: Audio, steps: &[Degradation]) -> Result<Audio> {
    for step in steps {
        let mut plan = Plan::empty(audio.sample_rate_hz);
        match step {
            Degradation::Eq(bands) => {
                plan.eq = EqConfig {
                    bands: bands.clone(),
                }
            }
            Degradation::GainDb(g) => plan.headroom_trim_db = *g,
            Degradation::Width(w) => {
                if audio.channel_count() != 2 {
                    continue;
                }
                plan.imager = Some(ImagerConfig {
                    crossovers_hz: WIDTH_SPLITS_HZ.to_vec(),
                    widths: w.to_vec(),
                });
            }
            Degradation::Limit {
                drive_db,
                ceiling_dbtp,
                release_ms,
            } => {
                plan.output_gain_db = *drive_db;
                plan.limiter = Some(LimiterConfig {
                    ceiling_dbtp: *ceiling_dbtp,
                    lookahead_ms: 5.0,
                    release_ms: *release_ms,
                });
            }
            Degradation::ClipDbfs(level) => {
                let c = 10f64.powf(level / 20.0) as f32;
                for ch in &mut audio.channels {
                    for x in ch.iter_mut() {
                        *x = x.clamp(-c, c);
                    }
                }
                continue;
            }
            Degradation::ResampleHz(r) => {
                audio = coda_engine::resample::resample(&audio, *r)?;
                continue;
            }
            Degradation::Mono => {
                if audio.channel_count() == 2 {
                    let m: Vec<f32> = audio.channels[0]
                        .iter()
                        .zip(&audio.channels[1])
                        .map(|(l, r)| 0.5 * (l + r))
                        .collect();
                    audio = Audio::new(audio.sample_rate_hz, vec![m]);
                }
                continue;
            }
        }
        audio = render(&audio, &plan)?.audio;
    }
    Ok(audio)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coda_engine::processors::eq::{EqChannel, EqKind};

    fn synth_case() -> Case {
        serde_json::from_str(
            r#"{
              "name": "t",
              "mix": {"source": {"synth": {"kind": "orchestral", "seed": 1, "duration_s": 4,
                                           "rate_hz": 16000}},
                      "degrade": [{"gain_db": -6}, {"clip_dbfs": -12}, "mono"]},
              "references": [{"synth": {"kind": "orchestral", "seed": 1, "duration_s": 4,
                                        "rate_hz": 16000}}],
              "truth": {"eq": []}
            }"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_defaults_and_groups() {
        let c = synth_case();
        c.validate().unwrap();
        assert_eq!(c.purpose, "reference");
        assert_eq!(c.thresholds, Thresholds::default());
        assert_eq!(c.group(), "synthetic");
        assert!(c.matches("") && c.matches("synthetic") && c.matches("x,t") && !c.matches("u"));
    }

    #[test]
    fn builds_gain_clip_and_mono_in_order() {
        let c = synth_case();
        let b = build(&c, Path::new(".")).unwrap();
        assert_eq!(b.mix.channel_count(), 1);
        assert_eq!(b.references[0].channel_count(), 2);
        // Source peak is -3 dBFS; -6 dB gain puts it at -9 dBFS, the clip at -12 dBFS, and
        // the fold-down averages two clipped channels (at or under the clip level).
        let peak = 20.0 * f64::from(b.mix.sample_peak()).log10();
        assert!((-14.0..=-11.999).contains(&peak), "peak {peak}");
        let stereo = degrade(b.references[0].clone(), &c.mix.degrade[..2]).unwrap();
        let peak = 20.0 * f64::from(stereo.sample_peak()).log10();
        assert!((peak + 12.0).abs() < 0.01, "peak {peak}");
    }

    #[test]
    fn eq_degradation_matches_the_engine_response() {
        let band = EqBand {
            kind: EqKind::Peaking,
            freq_hz: 1000.0,
            gain_db: 6.0,
            q: 1.0,
            slope_db_per_oct: 12,
            channel: EqChannel::Stereo,
        };
        let fs = 16_000;
        let n = 16_000;
        let sine: Vec<f32> = (0..n)
            .map(|i| (0.1 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 16e3).sin()) as f32)
            .collect();
        let a = Audio::new(fs, vec![sine.clone(), sine]);
        let out = degrade(a, &[Degradation::Eq(vec![band])]).unwrap();
        let rms = |x: &[f32]| {
            (x[n / 2..]
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                / (n / 2) as f64)
                .sqrt()
        };
        let gain_db = 20.0 * (rms(&out.channels[0]) / (0.1 / 2f64.sqrt())).log10();
        assert!((gain_db - 6.0).abs() < 0.05, "{gain_db}");
    }

    #[test]
    fn rejects_bad_values_with_the_field() {
        let mut c = synth_case();
        c.mix.degrade.push(Degradation::Width([1.0, 3.0, 1.0]));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("degrade[3]") && e.contains("width"), "{e}");
    }

    #[test]
    fn excerpt_cuts_inside_the_audio() {
        let a = Audio::new(10, vec![(0..100).map(|i| i as f32).collect()]);
        let e = excerpt(a, 2.0, Some(3.0));
        assert_eq!(
            e.channels[0],
            (20..50).map(|i| i as f32).collect::<Vec<_>>()
        );
    }
}
