//! What a batch delivers: tracks from a folder (recursive) or a manifest (CSV or JSON),
//! each with its references, purposes and metadata.
//!
//! References, most specific first: the manifest's `reference` column for a file; a file
//! named `reference.<ext>` in the track's folder or the nearest folder above it (it is not
//! itself a track); `--ref` for everything else.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use coda_optimizer::Purpose;
use serde::Deserialize;

/// File extensions coda decodes.
pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "wave", "flac", "ogg", "mp3", "aif", "aiff"];

/// One track to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The file to read.
    pub input: PathBuf,
    /// Path relative to the batch root: the output tree mirrors it.
    pub rel: PathBuf,
    /// References and weights (empty: purpose-only masters).
    pub refs: Vec<(PathBuf, f64)>,
    /// Purposes to render.
    pub purposes: Vec<Purpose>,
    /// Title for the LIST/INFO chunk.
    pub title: String,
    /// Artist for the LIST/INFO chunk.
    pub artist: Option<String>,
}

fn is_audio(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn is_reference_file(p: &Path) -> bool {
    is_audio(p)
        && p.file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("reference"))
}

fn stem_title(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "untitled".into(), |s| s.to_string_lossy().into_owned())
}

/// Parses `library,trailer,tv` (also `;` or `|` separated).
pub fn parse_purposes(s: &str) -> Result<Vec<Purpose>> {
    let mut out = Vec::new();
    for p in s
        .split([',', ';', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let p: Purpose = p.parse().map_err(|e: String| anyhow!("purpose: {e}"))?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.is_empty() {
        bail!("no purpose given");
    }
    Ok(out)
}

/// Every audio file under `root` (sorted, hidden files and folders and `skip` left out),
/// with the per-folder references applied.
pub fn from_folder(
    root: &Path,
    skip: &Path,
    global_refs: &[(PathBuf, f64)],
    purposes: &[Purpose],
) -> Result<Vec<Track>> {
    let mut files = Vec::new();
    let mut folder_refs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let skip = std::fs::canonicalize(skip).ok();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if skip.is_some() && std::fs::canonicalize(&dir).ok() == skip {
            continue;
        }
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("{}: cannot list", dir.display()))?;
        for e in entries {
            let e = e?;
            let p = e.path();
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            let ft = e.file_type()?;
            if ft.is_dir() {
                stack.push(p);
            } else if is_reference_file(&p) {
                folder_refs.insert(dir.clone(), p);
            } else if is_audio(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|input| {
            let rel = input.strip_prefix(root).unwrap_or(&input).to_path_buf();
            // Nearest folder reference from the track's folder up to the root.
            let mut refs = global_refs.to_vec();
            let mut dir = input.parent();
            while let Some(d) = dir {
                if let Some(r) = folder_refs.get(d) {
                    refs = vec![(r.clone(), 1.0)];
                    break;
                }
                if d == root {
                    break;
                }
                dir = d.parent();
            }
            Track {
                title: stem_title(&input),
                input,
                rel,
                refs,
                purposes: purposes.to_vec(),
                artist: None,
            }
        })
        .collect())
}

/// One manifest row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    file: String,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    purposes: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    artist: Option<String>,
}

/// JSON rows may give purposes as a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Purposes {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    file: String,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    purposes: Option<Purposes>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    artist: Option<String>,
}

/// Splits one CSV line (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

fn parse_csv(text: &str, path: &Path) -> Result<Vec<Row>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = csv_fields(
        lines
            .next()
            .ok_or_else(|| anyhow!("{}: empty manifest", path.display()))?,
    );
    let known = ["file", "reference", "purposes", "title", "artist"];
    for h in &header {
        if !known.contains(&h.as_str()) {
            bail!(
                "{}: unknown column `{h}` (known: {})",
                path.display(),
                known.join(", ")
            );
        }
    }
    if !header.iter().any(|h| h == "file") {
        bail!("{}: the manifest needs a `file` column", path.display());
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let f = csv_fields(line);
            let get = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .and_then(|k| f.get(k))
                    .filter(|v| !v.is_empty())
                    .cloned()
            };
            Ok(Row {
                file: get("file")
                    .ok_or_else(|| anyhow!("{}: line {}: no file", path.display(), i + 2))?,
                reference: get("reference"),
                purposes: get("purposes"),
                title: get("title"),
                artist: get("artist"),
            })
        })
        .collect()
}

/// Tracks listed in a CSV or JSON manifest; relative paths are relative to its folder.
pub fn from_manifest(
    path: &Path,
    global_refs: &[(PathBuf, f64)],
    purposes: &[Purpose],
) -> Result<Vec<Track>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let rows: Vec<Row> = if is_json {
        let rows: Vec<JsonRow> =
            serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
        rows.into_iter()
            .map(|r| Row {
                file: r.file,
                reference: r.reference,
                purposes: r.purposes.map(|p| match p {
                    Purposes::One(s) => s,
                    Purposes::Many(v) => v.join(","),
                }),
                title: r.title,
                artist: r.artist,
            })
            .collect()
    } else {
        parse_csv(&text, path)?
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |f: &str| {
        let p = PathBuf::from(f);
        if p.is_absolute() {
            p
        } else {
            base.join(p)
        }
    };
    rows.into_iter()
        .map(|r| {
            let input = resolve(&r.file);
            let refs = match &r.reference {
                Some(spec) => {
                    let (p, w) = crate::master::parse_ref(spec)?;
                    vec![(resolve(&p.to_string_lossy()), w)]
                }
                None => global_refs.to_vec(),
            };
            let purposes = match &r.purposes {
                Some(s) => {
                    parse_purposes(s).with_context(|| format!("{}: {}", path.display(), r.file))?
                }
                None => purposes.to_vec(),
            };
            let rel = output_rel(Path::new(&r.file));
            Ok(Track {
                title: r.title.unwrap_or_else(|| stem_title(&input)),
                artist: r.artist,
                input,
                rel,
                refs,
                purposes,
            })
        })
        .collect()
}

/// Where a manifest row's outputs go, relative to the delivery folder: an absolute file
/// by its name, a relative one by its path with `..` and `.` left out, so no output can
/// land outside the delivery folder.
fn output_rel(file: &Path) -> PathBuf {
    if file.is_absolute() {
        return PathBuf::from(file.file_name().unwrap_or_default());
    }
    file.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// Tracks of shard `index` (1-based) of `count`: every `count`-th track of the sorted list.
pub fn shard(tracks: Vec<Track>, index: usize, count: usize) -> Vec<Track> {
    let mut tracks = tracks;
    tracks.sort_by(|a, b| a.rel.cmp(&b.rel));
    tracks
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % count == index - 1)
        .map(|(_, t)| t)
        .collect()
}

/// Parses `I/N` with 1 <= I <= N.
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| anyhow!("--shard {s}: expected I/N, e.g. 2/3"))?;
    let (i, n): (usize, usize) = (
        i.trim()
            .parse()
            .map_err(|_| anyhow!("--shard {s}: bad index"))?,
        n.trim()
            .parse()
            .map_err(|_| anyhow!("--shard {s}: bad count"))?,
    );
    if n == 0 || i == 0 || i > n {
        bail!("--shard {s}: need 1 <= I <= N");
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_columns() {
        assert_eq!(
            csv_fields(r#"a.wav,"x, y.wav",library;tv,"The ""Big"" One""#),
            vec!["a.wav", "x, y.wav", "library;tv", "The \"Big\" One"]
        );
        let rows = parse_csv(
            "file,purposes,title\na.wav,library,A\nb.wav,,\n",
            Path::new("m.csv"),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].purposes, None);
        assert!(parse_csv("file,colour\na.wav,red\n", Path::new("m.csv")).is_err());
    }

    #[test]
    fn shards_partition_every_track_once() {
        let t = |n: &str| Track {
            input: n.into(),
            rel: n.into(),
            refs: vec![],
            purposes: vec![Purpose::Library],
            title: n.into(),
            artist: None,
        };
        let all: Vec<Track> = (0..10).map(|i| t(&format!("t{i:02}.wav"))).collect();
        let mut seen: Vec<PathBuf> = (1..=3)
            .flat_map(|i| shard(all.clone(), i, 3))
            .map(|t| t.rel)
            .collect();
        seen.sort();
        assert_eq!(seen, all.iter().map(|t| t.rel.clone()).collect::<Vec<_>>());
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
        assert!(parse_shard("4/3").is_err());
    }

    #[test]
    fn manifest_paths_never_lead_out_of_the_delivery_folder() {
        assert_eq!(output_rel(Path::new("a/b.wav")), Path::new("a/b.wav"));
        assert_eq!(output_rel(Path::new("../../x/b.wav")), Path::new("x/b.wav"));
        assert_eq!(output_rel(Path::new("./a/../b.wav")), Path::new("a/b.wav"));
        assert_eq!(output_rel(Path::new("/data/lib/b.wav")), Path::new("b.wav"));
    }
}
