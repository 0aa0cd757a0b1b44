//! `coda batch`: production-music library delivery. Every track is mastered once per
//! purpose and written in every deliverable format, with BWF loudness metadata, a
//! resumable delivery manifest and a delivery report. Work is spread over `--jobs`
//! workers (each holds one track at a time, so memory does not grow with the library) and
//! over machines with `--shard I/N` + `--merge`.
pub mod deliver;
pub mod inputs;
pub mod manifest;
pub mod merge;
pub mod progress;
pub mod report;
pub mod track;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use coda_optimizer::{FitOptions, Purpose, Strengths, Tuning};
use rayon::prelude::*;
use serde_json::json;

use crate::cli::BatchArgs;
use crate::master::{self, Reference};
use deliver::{output_path, Deliverable};
use inputs::Track;
use manifest::{sha256_file, sha256_hex, Record, Status};
use progress::Progress;
use track::Output;

/// Options shared by every track.
pub struct Settings {
    deliverables: Vec<Deliverable>,
    fit: FitOptions,
    out_dir: PathBuf,
}

/// A track, its input hash, the outputs it still needs and its size in bytes.
struct Work {
    track: Track,
    sha: String,
    todo: Vec<Output>,
    bytes: u64,
}

/// A track, its input hash (or why it cannot be read) and each output with its record
/// if it is already delivered and current.
type Classified = (Track, Result<String>, Vec<(Output, Option<Record>)>);

/// The references of the whole batch, each analysed once: (measurement, SHA-256).
pub type RefCache = HashMap<PathBuf, std::result::Result<(Reference, String), String>>;

/// The command line, checked.
struct Request {
    input: PathBuf,
    purposes: Vec<Purpose>,
    deliverables: Vec<Deliverable>,
    refs: Vec<(PathBuf, f64)>,
    jobs: usize,
    shard: Option<(usize, usize)>,
}

impl Request {
    fn from_args(args: &BatchArgs) -> Result<Self> {
        let input = args
            .input
            .clone()
            .ok_or_else(|| anyhow!("give a folder or a manifest (CSV/JSON) to deliver"))?;
        let jobs = args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        Ok(Self {
            input,
            purposes: inputs::parse_purposes(&args.purpose)?,
            deliverables: Deliverable::parse_list(&args.deliver)?,
            refs: args
                .refs
                .iter()
                .map(|s| master::parse_ref(s))
                .collect::<Result<_>>()?,
            jobs,
            shard: args.shard.as_deref().map(inputs::parse_shard).transpose()?,
        })
    }
}

/// Runs `coda batch`. Exit status: 0 all delivered, 1 anything failed, 2 bad usage.
pub fn run(args: &BatchArgs) -> Result<ExitCode> {
    if args.merge {
        if args.input.is_some() || args.shard.is_some() {
            eprintln!("coda: error: --merge takes only the delivery folder (-o)");
            return Ok(ExitCode::from(2));
        }
        return merge::run(&args.out_dir);
    }
    let req = match Request::from_args(args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("coda: error: batch: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let t0 = Instant::now();
    // Inner parallelism (analysis, resampling) uses the same number of threads, so --jobs
    // bounds the CPU and the memory in flight.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(req.jobs)
        .build_global();
    let out_dir = &args.out_dir;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("{}: cannot create", out_dir.display()))?;
    if req.input.is_dir() && same_path(&req.input, out_dir) {
        bail!(
            "{}: the delivery folder must not be the input folder",
            out_dir.display()
        );
    }
    let mut tracks = if req.input.is_dir() {
        inputs::from_folder(&req.input, out_dir, &req.refs, &req.purposes)?
    } else {
        inputs::from_manifest(&req.input, &req.refs, &req.purposes)?
    };
    if let Some((i, n)) = req.shard {
        tracks = inputs::shard(tracks, i, n);
    }
    let tuning = match &args.tuning {
        Some(p) => Tuning::from_file(p).map_err(|e| anyhow!(e))?,
        None => Tuning::default(),
    };
    let settings = Settings {
        deliverables: req.deliverables.clone(),
        fit: FitOptions {
            strengths: Strengths::uniform(args.strength),
            hybrid: args.hybrid.then_some(true),
            max_automation_db: args.max_automation_db,
            tuning,
            ..FitOptions::default()
        },
        out_dir: out_dir.clone(),
    };
    check_outputs(&tracks, &settings)?;
    let manifest_name = match req.shard {
        Some((i, n)) => manifest::shard_manifest(i, n),
        None => manifest::MANIFEST.to_string(),
    };
    let removed = remove_stale_temps(&tracks, &settings, &manifest_name);
    if removed > 0 {
        eprintln!("coda: removed {removed} partial file(s) left by an interrupted run");
    }
    let manifest_path = out_dir.join(&manifest_name);
    // A shard also trusts what a whole run (or an earlier merge) recorded.
    let mut previous = manifest::load(&out_dir.join(manifest::MANIFEST));
    if req.shard.is_some() {
        previous.extend(manifest::load(&manifest_path));
    }
    let refs = analyse_references(&tracks);

    // What is already delivered and still current (hashing in parallel).
    let classified: Vec<Classified> = tracks
        .into_par_iter()
        .map(|t| {
            let sha = sha256_file(&t.input);
            let outs = outputs_of(&t, &settings)
                .into_iter()
                .map(|o| {
                    let key = rel_output(&t, o.0, &o.1);
                    let done = match (&sha, previous.get(&key)) {
                        (Ok(sha), Some(r))
                            if r.status == Status::Ok
                                && r.input_sha256.as_deref() == Some(sha.as_str())
                                && r.settings_sha256
                                    == settings_hash(&t, o.0, &o.1, &settings, &refs)
                                && output_intact(&settings.out_dir.join(&key), r) =>
                        {
                            Some(r.clone())
                        }
                        _ => None,
                    };
                    (o, done)
                })
                .collect();
            (t, sha, outs)
        })
        .collect();
    let mut plan: Vec<Work> = Vec::new();
    let mut records: BTreeMap<String, Record> = BTreeMap::new();
    let (mut skipped, mut expected) = (0, 0);
    for (t, sha, outs) in classified {
        expected += outs.len();
        let sha = match sha {
            Ok(s) => s,
            Err(e) => {
                let why = strip_input(&t, &format!("{e:#}"));
                for ((p, d), _) in outs {
                    let r = track::failed_record(&t, p, &d, &settings, &refs, None, &why);
                    records.insert(r.output.clone(), r);
                }
                continue;
            }
        };
        let mut todo = Vec::new();
        for (o, done) in outs {
            match done {
                Some(r) => {
                    skipped += 1;
                    records.insert(r.output.clone(), r);
                }
                None => todo.push(o),
            }
        }
        if !todo.is_empty() {
            let bytes = std::fs::metadata(&t.input).map_or(0, |m| m.len());
            plan.push(Work {
                track: t,
                sha,
                todo,
                bytes,
            });
        }
    }
    // Longest first, so no worker is left with a long track at the end.
    plan.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.track.rel.cmp(&b.track.rel)));
    let to_render: usize = plan.iter().map(|w| w.todo.len()).sum();
    let jobs = req.jobs;
    eprintln!(
        "coda: batch: {expected} outputs, {skipped} already delivered, {to_render} to render, \
         {jobs} worker(s){}",
        req.shard
            .map_or(String::new(), |(i, n)| format!(", shard {i}/{n}"))
    );
    let progress = Progress::new(to_render, jobs);
    let appender = manifest::Appender::open(&manifest_path)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Record>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for w in 0..jobs.min(plan.len()) {
            let (plan, settings, refs, progress, appender, next, results) = (
                &plan, &settings, &refs, &progress, &appender, &next, &results,
            );
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(work) = plan.get(i) else {
                    progress.working(w, "done");
                    break;
                };
                let name = work.track.rel.display().to_string();
                progress.working(w, &name);
                let step = |what: &str| progress.working(w, &format!("{name}: {what}"));
                let emit = |r: Record| {
                    if let Err(e) = appender.append(&r) {
                        eprintln!("coda: warning: manifest: {e:#}");
                    }
                    progress.finished(&describe(&r));
                    results.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                };
                track::deliver(
                    &work.track,
                    &work.sha,
                    &work.todo,
                    settings,
                    refs,
                    &step,
                    &emit,
                );
            });
        }
    });
    progress.finish();
    drop(appender);
    let mut rendered = 0;
    for r in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        if r.status == Status::Ok {
            rendered += 1;
        }
        records.insert(r.output.clone(), r);
    }
    manifest::write_sorted(&manifest_path, &records)?;
    if req.shard.is_none() {
        report::write(out_dir, &records)?;
    }
    summarise(
        &records,
        Some((rendered, skipped)),
        t0.elapsed().as_secs_f64(),
    );
    Ok(exit_code(&records))
}

/// Every (purpose, deliverable) of a track.
fn outputs_of(t: &Track, s: &Settings) -> Vec<Output> {
    t.purposes
        .iter()
        .flat_map(|&p| s.deliverables.iter().map(move |&d| (p, d)))
        .collect()
}

/// Output path relative to the delivery folder, `/`-separated.
pub fn rel_output(t: &Track, p: Purpose, d: &Deliverable) -> String {
    output_path(Path::new(""), &t.rel, p, d)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn same_path(a: &Path, b: &Path) -> bool {
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

/// Refuses, before any work, two inputs that would deliver the same output file (`a.wav`
/// and `a.flac` side by side) and any output that would land on an input.
fn check_outputs(tracks: &[Track], s: &Settings) -> Result<()> {
    let inputs: HashSet<PathBuf> = tracks
        .iter()
        .filter_map(|t| std::fs::canonicalize(&t.input).ok())
        .collect();
    let root = std::fs::canonicalize(&s.out_dir)?;
    let mut owner: HashMap<String, &Path> = HashMap::new();
    for t in tracks {
        for (p, d) in outputs_of(t, s) {
            let rel = rel_output(t, p, &d);
            if let Some(other) = owner.insert(rel.clone(), &t.input) {
                if other != t.input {
                    bail!(
                        "{} and {} would both deliver {rel}: rename one of them",
                        other.display(),
                        t.input.display()
                    );
                }
            }
            if inputs.contains(&root.join(&rel)) {
                bail!("{rel}: the output would overwrite an input file");
            }
        }
    }
    Ok(())
}

/// True if the output file exists and is the one the record describes.
pub fn output_intact(path: &Path, r: &Record) -> bool {
    path.is_file()
        && r.output_sha256
            .as_deref()
            .is_some_and(|h| sha256_file(path).ok().as_deref() == Some(h))
}

/// Deletes the `.<name>.tmp-<pid>` files (written by `write_atomic`, left by a kill) of
/// this run's own outputs and manifest, and nothing else: shards running at the same time
/// in the same folder keep their files in flight.
fn remove_stale_temps(tracks: &[Track], s: &Settings, manifest_name: &str) -> usize {
    let mut by_dir: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut add = |path: PathBuf| {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        by_dir.entry(dir).or_default().insert(name);
    };
    for t in tracks {
        for (p, d) in outputs_of(t, s) {
            add(s.out_dir.join(rel_output(t, p, &d)));
        }
    }
    add(s.out_dir.join(manifest_name));
    add(s.out_dir.join(report::CSV));
    add(s.out_dir.join(report::HTML));
    let mut n = 0;
    for (dir, names) in by_dir {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            let ours = file
                .strip_prefix('.')
                .and_then(|f| f.rsplit_once(".tmp-"))
                .is_some_and(|(name, pid)| {
                    names.contains(name) && pid.bytes().all(|b| b.is_ascii_digit())
                });
            if ours && std::fs::remove_file(e.path()).is_ok() {
                n += 1;
            }
        }
    }
    n
}

/// Analyses every distinct reference once, in parallel.
fn analyse_references(tracks: &[Track]) -> RefCache {
    let mut unique: Vec<(PathBuf, f64)> =
        tracks.iter().flat_map(|t| t.refs.iter().cloned()).collect();
    unique.sort_by(|a, b| a.0.cmp(&b.0));
    unique.dedup_by(|a, b| a.0 == b.0);
    unique
        .par_iter()
        .map(|(p, w)| {
            let r = master::load_references(&[(p.clone(), *w)])
                .and_then(|mut v| {
                    let sha = sha256_file(p)?;
                    Ok((v.remove(0), sha))
                })
                .map_err(|e| format!("{e:#}"));
            (p.clone(), r)
        })
        .collect()
}

/// Hash of everything besides the input that decides an output.
pub fn settings_hash(
    t: &Track,
    p: Purpose,
    d: &Deliverable,
    s: &Settings,
    refs: &RefCache,
) -> String {
    let ref_ids: Vec<(String, f64)> = t
        .refs
        .iter()
        .map(|(path, w)| {
            let id = match refs.get(path) {
                Some(Ok((_, sha))) => sha.clone(),
                _ => format!("missing:{}", path.display()),
            };
            (id, *w)
        })
        .collect();
    let f = &s.fit;
    let v = json!({
        "coda": env!("CARGO_PKG_VERSION"),
        "purpose": p.name(),
        "deliverable": d.spec(),
        "refs": ref_ids,
        "strengths": f.strengths,
        "hybrid": f.hybrid,
        "max_automation_db": f.max_automation_db,
        "tuning": f.tuning,
        "title": t.title,
        "artist": t.artist,
    });
    sha256_hex(v.to_string().as_bytes())
}

/// An error message without a leading `<input path>: ` (the summary names the input).
fn strip_input(t: &Track, text: &str) -> String {
    let prefix = format!("{}: ", t.input.display());
    text.strip_prefix(&prefix).unwrap_or(text).to_string()
}

fn describe(r: &Record) -> String {
    match r.status {
        Status::Ok => format!(
            "{} {} {:.1} LUFS {:+.1} dBTP",
            r.output,
            if r.spec_ok == Some(true) {
                "ok"
            } else {
                "MISSES SPEC"
            },
            r.integrated_lufs.unwrap_or(f64::NAN),
            r.true_peak_dbtp.unwrap_or(f64::NAN)
        ),
        Status::Failed => format!(
            "{} FAILED: {}",
            r.output,
            r.error.as_deref().unwrap_or("unknown error")
        ),
    }
}

/// The closing lines: counts, then one line per failed input with its reason.
/// `counts` is (rendered now, already delivered), or `None` for a merge.
fn summarise(records: &BTreeMap<String, Record>, counts: Option<(usize, usize)>, secs: f64) {
    let ok = records.values().filter(|r| r.status == Status::Ok).count();
    let miss = records
        .values()
        .filter(|r| r.status == Status::Ok && r.spec_ok != Some(true))
        .count();
    let mut failed_inputs: BTreeMap<&str, &str> = BTreeMap::new();
    for r in records.values().filter(|r| r.status == Status::Failed) {
        failed_inputs
            .entry(&r.input)
            .or_insert(r.error.as_deref().unwrap_or(""));
    }
    let how = counts.map_or_else(
        || "merged".to_string(),
        |(rendered, skipped)| {
            format!("{rendered} rendered now, {skipped} already delivered; {secs:.1} s")
        },
    );
    eprintln!(
        "coda: batch: {ok} of {} outputs delivered ({how}), {miss} miss their spec, {} failed \
         from {} input(s)",
        records.len(),
        records.len() - ok,
        failed_inputs.len()
    );
    for (input, why) in failed_inputs {
        eprintln!("coda: failed: {input}: {why}");
    }
}

fn exit_code(records: &BTreeMap<String, Record>) -> ExitCode {
    if records.values().any(|r| r.status == Status::Failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
