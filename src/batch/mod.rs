//! `coda batch`: production-music library delivery. Every track is mastered once per
//! purpose and written in every deliverable format, with BWF loudness metadata, a
//! resumable delivery manifest and a delivery report. Work is spread over `--jobs`
//! workers (each holds one track at a time, so memory does not grow with the library) and
//! over machines with `--shard I/N` + `--merge`.
pub mod deliver;
pub mod inputs;
pub mod manifest;
pub mod progress;
pub mod report;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use coda_analysis::Analysis;
use coda_engine::bwf::{add_bwf_chunks, Bext, InfoTags};
use coda_engine::io::{encode_wav, write_atomic, WriteOptions};
use coda_engine::render::render;
use coda_optimizer::{FitOptions, LoudnessTarget, Purpose, Strengths, Tuning};
use serde_json::json;

use crate::cli::BatchArgs;
use crate::master::{self, Reference};
use deliver::{output_path, Deliverable};
use inputs::Track;
use manifest::{sha256_file, sha256_hex, Record, Status};
use progress::Progress;

/// Options shared by every track.
struct Settings {
    deliverables: Vec<Deliverable>,
    fit: FitOptions,
    out_dir: PathBuf,
}

/// A track, its input hash and the outputs it still needs.
type Work = (Track, String, Vec<(Purpose, Deliverable)>);

/// The references of the whole batch, each analysed once.
type RefCache = HashMap<PathBuf, std::result::Result<(Reference, String), String>>;

/// Runs `coda batch`.
pub fn run(args: &BatchArgs) -> Result<ExitCode> {
    if args.merge {
        return merge(&args.out_dir);
    }
    let t0 = Instant::now();
    let input = args
        .input
        .as_ref()
        .ok_or_else(|| anyhow!("batch: give a folder or a manifest (CSV/JSON) to deliver"))?;
    let purposes = inputs::parse_purposes(&args.purpose)?;
    let deliverables = Deliverable::parse_list(&args.deliver)?;
    let global_refs: Vec<(PathBuf, f64)> = args
        .refs
        .iter()
        .map(|s| master::parse_ref(s))
        .collect::<Result<_>>()?;
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    // Inner parallelism (analysis, resampling) uses the same number of threads, so --jobs
    // bounds the CPU and the memory in flight.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build_global();
    let shard = args.shard.as_deref().map(inputs::parse_shard).transpose()?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("{}: cannot create", args.out_dir.display()))?;
    let mut tracks = if input.is_dir() {
        inputs::from_folder(input, &args.out_dir, &global_refs, &purposes)?
    } else {
        inputs::from_manifest(input, &global_refs, &purposes)?
    };
    if let Some((i, n)) = shard {
        tracks = inputs::shard(tracks, i, n);
    }
    let tuning = match &args.tuning {
        Some(p) => Tuning::from_file(p).map_err(|e| anyhow!(e))?,
        None => Tuning::default(),
    };
    let settings = Settings {
        deliverables,
        fit: FitOptions {
            strengths: Strengths::uniform(args.strength),
            hybrid: args.hybrid.then_some(true),
            max_automation_db: args.max_automation_db,
            tuning,
            ..FitOptions::default()
        },
        out_dir: args.out_dir.clone(),
    };
    let removed = remove_stale_temps(&args.out_dir);
    if removed > 0 {
        eprintln!("coda: removed {removed} partial file(s) left by an interrupted run");
    }
    let manifest_path = args.out_dir.join(match shard {
        Some((i, n)) => manifest::shard_manifest(i, n),
        None => manifest::MANIFEST.to_string(),
    });
    let previous = manifest::load(&manifest_path);
    let refs = analyse_references(&tracks);

    // What is already delivered and still current.
    let mut plan: Vec<Work> = Vec::new();
    let mut records: BTreeMap<String, Record> = BTreeMap::new();
    let mut skipped = 0;
    let mut expected = 0;
    for t in tracks {
        let sha = match sha256_file(&t.input) {
            Ok(s) => s,
            Err(e) => {
                let todo = outputs_of(&t, &settings);
                expected += todo.len();
                for (p, d) in todo {
                    let r = failed(&t, p, &d, &settings, &refs, None, &format!("{e:#}"));
                    records.insert(r.output.clone(), r);
                }
                continue;
            }
        };
        let mut todo = Vec::new();
        for (p, d) in outputs_of(&t, &settings) {
            expected += 1;
            let key = rel_output(&settings, &t, p, &d);
            let settings_sha = settings_hash(&t, p, &d, &settings, &refs);
            match previous.get(&key) {
                Some(r)
                    if r.status == Status::Ok
                        && r.input_sha256.as_deref() == Some(sha.as_str())
                        && r.settings_sha256 == settings_sha
                        && output_intact(&settings.out_dir.join(&key), r) =>
                {
                    skipped += 1;
                    records.insert(key, r.clone());
                }
                _ => todo.push((p, d)),
            }
        }
        if !todo.is_empty() {
            plan.push((t, sha, todo));
        }
    }
    let to_render: usize = plan.iter().map(|(_, _, o)| o.len()).sum();
    eprintln!(
        "coda: batch: {expected} outputs, {skipped} already delivered, {to_render} to render, \
         {jobs} worker(s){}",
        shard.map_or(String::new(), |(i, n)| format!(", shard {i}/{n}"))
    );
    let progress = Progress::new(to_render, jobs);
    let appender = manifest::Appender::open(&manifest_path)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Record>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for w in 0..jobs.min(plan.len().max(1)) {
            let (plan, settings, refs, progress, appender, next, results) = (
                &plan, &settings, &refs, &progress, &appender, &next, &results,
            );
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((track, sha, todo)) = plan.get(i) else {
                    progress.working(w, "done");
                    break;
                };
                progress.working(w, &track.rel.display().to_string());
                let recs = deliver_track(track, sha, todo, settings, refs, |what| {
                    progress.working(w, &format!("{}: {what}", track.rel.display()))
                });
                for r in recs {
                    if let Err(e) = appender.append(&r) {
                        eprintln!("coda: warning: manifest: {e:#}");
                    }
                    progress.finished(&describe(&r));
                    results.lock().expect("results").push(r);
                }
            });
        }
    });
    progress.finish();
    for r in results.into_inner().expect("results") {
        records.insert(r.output.clone(), r);
    }
    manifest::write_sorted(&manifest_path, &records)?;
    if shard.is_none() {
        report::write(&args.out_dir, &records)?;
    }
    summarise(&records, skipped, t0.elapsed().as_secs_f64());
    Ok(exit_code(&records))
}

/// Every (purpose, deliverable) of a track.
fn outputs_of(t: &Track, s: &Settings) -> Vec<(Purpose, Deliverable)> {
    t.purposes
        .iter()
        .flat_map(|&p| s.deliverables.iter().map(move |&d| (p, d)))
        .collect()
}

/// Output path relative to the delivery folder, `/`-separated.
fn rel_output(_s: &Settings, t: &Track, p: Purpose, d: &Deliverable) -> String {
    output_path(Path::new(""), &t.rel, p, d)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// True if the output file exists and is the one the record describes (size and hash).
fn output_intact(path: &Path, r: &Record) -> bool {
    path.is_file()
        && r.output_sha256
            .as_deref()
            .is_some_and(|h| sha256_file(path).ok().as_deref() == Some(h))
}

/// Deletes `.name.tmp-PID` files under `dir` (written by `write_atomic`, left by a kill).
fn remove_stale_temps(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if name.starts_with('.')
                && name.contains(".tmp-")
                && std::fs::remove_file(&p).is_ok()
            {
                n += 1;
            }
        }
    }
    n
}

/// Analyses every distinct reference once, in parallel.
fn analyse_references(tracks: &[Track]) -> RefCache {
    use rayon::prelude::*;
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
fn settings_hash(t: &Track, p: Purpose, d: &Deliverable, s: &Settings, refs: &RefCache) -> String {
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

/// A failed record for one expected output.
fn failed(
    t: &Track,
    p: Purpose,
    d: &Deliverable,
    s: &Settings,
    refs: &RefCache,
    sha: Option<&str>,
    error: &str,
) -> Record {
    Record {
        output: rel_output(s, t, p, d),
        input: t.input.display().to_string(),
        purpose: p.name().into(),
        deliverable: d.spec(),
        status: Status::Failed,
        error: Some(error.to_string()),
        input_sha256: sha.map(str::to_string),
        settings_sha256: settings_hash(t, p, d, s, refs),
        plan_sha256: None,
        output_sha256: None,
        coda_version: env!("CARGO_PKG_VERSION").into(),
        integrated_lufs: None,
        true_peak_dbtp: None,
        range_lu: None,
        short_term_max_lufs: None,
        distance_db: None,
        spec_ok: None,
        spec_notes: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Masters one track for its purposes and writes its outputs; never panics the batch.
fn deliver_track(
    t: &Track,
    sha: &str,
    todo: &[(Purpose, Deliverable)],
    s: &Settings,
    refs: &RefCache,
    step: impl Fn(&str),
) -> Vec<Record> {
    let fail_all = |e: &str| {
        todo.iter()
            .map(|(p, d)| failed(t, *p, d, s, refs, Some(sha), e))
            .collect::<Vec<_>>()
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        deliver_track_inner(t, sha, todo, s, refs, &step)
    }));
    match result {
        Ok(Ok(recs)) => recs,
        Ok(Err(e)) => fail_all(&format!("{e:#}")),
        Err(_) => fail_all("internal error (panic) while mastering this file"),
    }
}

fn deliver_track_inner(
    t: &Track,
    sha: &str,
    todo: &[(Purpose, Deliverable)],
    s: &Settings,
    refs: &RefCache,
    step: &dyn Fn(&str),
) -> Result<Vec<Record>> {
    step("decoding");
    let mix = master::load_mix(&t.input)?;
    let mix_analysis = master::analyse_mix(&t.input, &mix)?;
    let mut references = Vec::new();
    for (p, _) in &t.refs {
        match refs.get(p) {
            Some(Ok((r, _))) => references.push(r.clone()),
            Some(Err(e)) => bail!("reference {e}"),
            None => bail!("reference {}: not analysed", p.display()),
        }
    }
    let profile = master::profile_of(&references);
    let mut out = Vec::new();
    let mut purposes: Vec<Purpose> = todo.iter().map(|(p, _)| *p).collect();
    purposes.dedup();
    for purpose in purposes {
        step(&format!("fitting {purpose}"));
        let opts = FitOptions {
            purpose,
            ..s.fit.clone()
        };
        let fit = coda_optimizer::fit(&mix, &mix_analysis, profile.as_ref(), &opts)?;
        let formats: Vec<Deliverable> = todo
            .iter()
            .filter(|(p, _)| *p == purpose)
            .map(|(_, d)| *d)
            .collect();
        let mut rates: Vec<u32> = formats.iter().map(|d| d.rate_hz).collect();
        rates.sort_unstable();
        rates.dedup();
        for rate in rates {
            step(&format!(
                "rendering {purpose} at {}",
                deliver::rate_label(rate)
            ));
            let mut plan = fit.plan.clone();
            plan.output.sample_rate_hz = (rate != mix.sample_rate_hz).then_some(rate);
            let rendered = render(&mix, &plan)?;
            for d in formats.iter().filter(|d| d.rate_hz == rate) {
                plan.output.bit_depth = d.bits;
                let wav = encode_wav(
                    &rendered.audio,
                    WriteOptions {
                        bit_depth: d.bits,
                        ..WriteOptions::default()
                    },
                )?;
                // Measure what the file holds (after quantisation and dither).
                let decoded = coda_engine::io::decode_wav_bytes(&wav)?;
                let measured = coda_analysis::analyze(&decoded)?;
                let bext = bext_for(&measured, purpose, d, &fit.plan);
                let info = InfoTags {
                    title: Some(t.title.clone()),
                    artist: t.artist.clone(),
                    comment: Some(format!("{} master, {}", purpose.name(), d.spec())),
                    software: Some(format!("coda {}", env!("CARGO_PKG_VERSION"))),
                };
                let bytes = add_bwf_chunks(&wav, &bext, &info)?;
                let rel = rel_output(s, t, purpose, d);
                let path = s.out_dir.join(&rel);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                if same_file(&path, &t.input) {
                    bail!("{}: output would overwrite the input", path.display());
                }
                write_atomic(&path, &bytes)?;
                let distance = references
                    .first()
                    .and_then(|r| coda_analysis::spectral_distance_db(&measured, &r.analysis));
                let (spec_ok, notes) = spec_check(purpose, &fit, &measured);
                out.push(Record {
                    output: rel,
                    input: t.input.display().to_string(),
                    purpose: purpose.name().into(),
                    deliverable: d.spec(),
                    status: Status::Ok,
                    error: None,
                    input_sha256: Some(sha.to_string()),
                    settings_sha256: settings_hash(t, purpose, d, s, refs),
                    plan_sha256: Some(sha256_hex(plan.to_json().as_bytes())),
                    output_sha256: Some(sha256_hex(&bytes)),
                    coda_version: env!("CARGO_PKG_VERSION").into(),
                    integrated_lufs: measured.loudness.integrated_lufs.map(round2),
                    true_peak_dbtp: measured.loudness.true_peak_dbtp.map(round2),
                    range_lu: measured.loudness.range_lu.map(round2),
                    short_term_max_lufs: measured.loudness.short_term_max_lufs.map(round2),
                    distance_db: distance.map(round2),
                    spec_ok: Some(spec_ok),
                    spec_notes: notes,
                    warnings: fit.warnings.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The `bext` chunk from the output's own measurement.
fn bext_for(
    a: &Analysis,
    purpose: Purpose,
    d: &Deliverable,
    plan: &coda_engine::plan::Plan,
) -> Bext {
    let l = &a.loudness;
    let plan_id = sha256_hex(plan.to_json().as_bytes());
    Bext {
        description: format!("coda master, purpose {}, {}", purpose.name(), d.spec()),
        originator: "coda".into(),
        originator_reference: plan_id[..32].to_string(),
        loudness_value: l.integrated_lufs,
        loudness_range: l.range_lu,
        max_true_peak_level: l.true_peak_dbtp,
        max_momentary_loudness: l.momentary_max_lufs,
        max_short_term_loudness: l.short_term_max_lufs,
        coding_history: format!(
            "A=PCM,F={},W={},M={},T=coda {} {}\r\n",
            d.rate_hz,
            d.bits.bits(),
            if a.channels == 1 { "mono" } else { "stereo" },
            env!("CARGO_PKG_VERSION"),
            purpose.name()
        ),
        ..Bext::default()
    }
}

/// Checks a measured output against its purpose: loudness target (a delivery standard's
/// tolerance, or 0.5 LU of the fitted target), true-peak ceiling, short-term maximum.
fn spec_check(purpose: Purpose, fit: &coda_optimizer::Fit, a: &Analysis) -> (bool, Vec<String>) {
    let spec = purpose.spec();
    let mut ok = true;
    let mut notes = Vec::new();
    let l = &a.loudness;
    let (target, tol) = match spec.target {
        LoudnessTarget::Fixed { lufs, tolerance_lu } => (lufs, tolerance_lu),
        _ => (fit.target_lufs, 0.5),
    };
    match l.integrated_lufs {
        Some(i) if (i - target).abs() <= tol => {}
        Some(i) => {
            ok = false;
            notes.push(format!(
                "integrated {i:.1} LUFS misses {target:.1} +/-{tol} LUFS"
            ));
        }
        None => {
            ok = false;
            notes.push("no measurable loudness".into());
        }
    }
    match l.true_peak_dbtp {
        Some(tp) if tp > fit.ceiling_dbtp => {
            ok = false;
            notes.push(format!(
                "true peak {tp:+.2} dBTP over the {:.1} dBTP ceiling",
                fit.ceiling_dbtp
            ));
        }
        _ => {}
    }
    if let (Some(max), Some(st)) = (spec.short_term_max_lufs, l.short_term_max_lufs) {
        if st > max {
            ok = false;
            notes.push(format!(
                "short-term loudness reaches {st:.1} LUFS (max {max:.1})"
            ));
        }
    }
    (ok, notes)
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

fn summarise(records: &BTreeMap<String, Record>, skipped: usize, secs: f64) {
    let ok = records.values().filter(|r| r.status == Status::Ok).count();
    let miss = records
        .values()
        .filter(|r| r.status == Status::Ok && r.spec_ok != Some(true))
        .count();
    let mut failed_inputs: BTreeMap<&str, &str> = BTreeMap::new();
    for r in records.values().filter(|r| r.status == Status::Failed) {
        failed_inputs.insert(&r.input, r.error.as_deref().unwrap_or(""));
    }
    eprintln!(
        "coda: batch: {ok} outputs delivered ({skipped} were already done), {miss} miss their \
         spec, {} input(s) failed, {secs:.1} s",
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

/// `--merge`: joins the shards' manifests into the delivery manifest and writes the report.
fn merge(dir: &Path) -> Result<ExitCode> {
    let mut records = BTreeMap::new();
    let mut shards = 0;
    for e in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let p = e?.path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("delivery.shard-") && name.ends_with(".manifest.jsonl") {
            shards += 1;
            records.extend(manifest::load(&p));
        }
    }
    if shards == 0 {
        bail!("{}: no shard manifests to merge", dir.display());
    }
    manifest::write_sorted(&dir.join(manifest::MANIFEST), &records)?;
    report::write(dir, &records)?;
    eprintln!(
        "coda: merged {shards} shard manifests: {} outputs",
        records.len()
    );
    summarise(&records, 0, 0.0);
    Ok(exit_code(&records))
}
