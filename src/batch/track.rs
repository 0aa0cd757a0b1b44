//! Delivering one track: decode and measure it once, fit each purpose once, render each
//! purpose once per sample rate, then write, measure and tag every deliverable. Each
//! output is reported (and so recorded in the manifest) the moment its file is in place;
//! an error fails only the outputs it touches, and a panic only the outputs still pending.
use std::cell::RefCell;
use std::path::Path;

use anyhow::{bail, Result};
use coda_analysis::Analysis;
use coda_engine::bwf::{add_bwf_chunks, Bext, InfoTags};
use coda_engine::io::{encode_wav, write_atomic, WriteOptions};
use coda_engine::render::render;
use coda_engine::Audio;
use coda_optimizer::{Fit, FitOptions, LoudnessTarget, Purpose, PurposeSpec};

use super::deliver::{self, Deliverable};
use super::inputs::Track;
use super::manifest::{sha256_hex, Record, Status};
use super::{rel_output, settings_hash, RefCache, Settings};
use crate::master::{self, Reference};

/// One output of a track.
pub type Output = (Purpose, Deliverable);

/// The outputs of a track not yet reported, and where reports go.
struct Pending<'a> {
    t: &'a Track,
    sha: &'a str,
    s: &'a Settings,
    refs: &'a RefCache,
    left: RefCell<Vec<Output>>,
    emit: &'a dyn Fn(Record),
}

impl Pending<'_> {
    /// Reports a finished output.
    fn done(&self, r: Record, o: Output) {
        self.left.borrow_mut().retain(|x| *x != o);
        (self.emit)(r);
    }

    /// Reports every pending output matching `which` as failed with `error`.
    fn fail(&self, which: impl Fn(&Output) -> bool, error: &str) {
        let failed: Vec<Output> = {
            let mut left = self.left.borrow_mut();
            let (f, keep) = left.drain(..).partition(|o| which(o));
            *left = keep;
            f
        };
        for (p, d) in failed {
            (self.emit)(failed_record(
                self.t,
                p,
                &d,
                self.s,
                self.refs,
                Some(self.sha),
                error,
            ));
        }
    }
}

/// Masters `t` for the outputs in `todo`, calling `emit` once per output (ok or failed).
/// Never panics the batch.
pub fn deliver(
    t: &Track,
    sha: &str,
    todo: &[Output],
    s: &Settings,
    refs: &RefCache,
    step: &dyn Fn(&str),
    emit: &dyn Fn(Record),
) {
    let pending = Pending {
        t,
        sha,
        s,
        refs,
        left: RefCell::new(todo.to_vec()),
        emit,
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        deliver_inner(&pending, step);
    }));
    if result.is_err() {
        pending.fail(|_| true, "internal error (panic) while mastering this file");
    }
}

fn deliver_inner(out: &Pending, step: &dyn Fn(&str)) {
    let t = out.t;
    step("decoding");
    let prepared = (|| -> Result<_> {
        let mix = master::load_mix(&t.input)?;
        let mix_analysis = master::analyse_mix(&t.input, &mix)?;
        let mut references = Vec::new();
        for (p, _) in &t.refs {
            match out.refs.get(p) {
                Some(Ok((r, _))) => references.push(r.clone()),
                Some(Err(e)) => bail!("reference {e}"),
                None => bail!("reference {}: not analysed", p.display()),
            }
        }
        let profile = master::profile_of(&references);
        Ok((mix, mix_analysis, references, profile))
    })();
    let (mix, mix_analysis, references, profile) = match prepared {
        Ok(x) => x,
        Err(e) => return out.fail(|_| true, &super::strip_input(t, &format!("{e:#}"))),
    };
    let mut purposes: Vec<Purpose> = Vec::new();
    for (p, _) in out.left.borrow().iter() {
        if !purposes.contains(p) {
            purposes.push(*p);
        }
    }
    let mut fits: Vec<(PurposeSpec, Fit)> = Vec::new();
    for purpose in purposes {
        let fit = match fits.iter().find(|(s, _)| same_figures(s, &purpose.spec())) {
            Some((_, f)) => refit_for(f, purpose),
            None => {
                step(&format!("fitting {purpose}"));
                let opts = FitOptions {
                    purpose,
                    ..out.s.fit.clone()
                };
                match coda_optimizer::fit(&mix, &mix_analysis, profile.as_ref(), &opts) {
                    Ok(f) => {
                        fits.push((purpose.spec(), f.clone()));
                        f
                    }
                    Err(e) => {
                        out.fail(|(p, _)| *p == purpose, &format!("fitting {purpose}: {e}"));
                        continue;
                    }
                }
            }
        };
        deliver_purpose(out, purpose, &mix, &fit, &references, step);
    }
}

/// True if two purposes impose the same figures. `coda_optimizer::fit` reads the purpose
/// only through these (and names it in the plan's provenance), so such purposes (today
/// `library` and `trailer`) get the same fit, bit for bit; the batch fits once and
/// renames. `fit_is_shared_only_by_purposes_with_the_same_figures` checks this holds.
fn same_figures(a: &PurposeSpec, b: &PurposeSpec) -> bool {
    a.target == b.target
        && a.ceiling_dbtp == b.ceiling_dbtp
        && a.dynamics == b.dynamics
        && a.short_term_max_lufs == b.short_term_max_lufs
}

/// A fit made for another purpose with the same figures, as if made for `purpose`.
fn refit_for(f: &Fit, purpose: Purpose) -> Fit {
    let mut f = f.clone();
    if let Some(serde_json::Value::Object(p)) = f.plan.provenance.as_mut() {
        p.insert("purpose".into(), purpose.name().into());
    }
    f
}

/// Renders one fitted purpose at each rate its deliverables need and writes them.
fn deliver_purpose(
    out: &Pending,
    purpose: Purpose,
    mix: &Audio,
    fit: &Fit,
    references: &[Reference],
    step: &dyn Fn(&str),
) {
    let formats: Vec<Deliverable> = out
        .left
        .borrow()
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
        let rendered = match render(mix, &plan) {
            Ok(r) => r,
            Err(e) => {
                out.fail(
                    |(p, d)| *p == purpose && d.rate_hz == rate,
                    &format!("rendering {purpose} at {rate} Hz: {e}"),
                );
                continue;
            }
        };
        for d in formats.iter().filter(|d| d.rate_hz == rate) {
            plan.output.bit_depth = d.bits;
            match write_one(out, purpose, d, &rendered.audio, fit, &plan, references) {
                Ok(r) => out.done(r, (purpose, *d)),
                Err(e) => out.fail(
                    |(p, x)| *p == purpose && x == d,
                    &format!("writing {purpose} {}: {e:#}", d.spec()),
                ),
            }
        }
    }
}

/// Quantises, measures, tags and writes one deliverable; returns its record.
fn write_one(
    out: &Pending,
    purpose: Purpose,
    d: &Deliverable,
    audio: &Audio,
    fit: &Fit,
    plan: &coda_engine::plan::Plan,
    references: &[Reference],
) -> Result<Record> {
    let (t, s) = (out.t, out.s);
    let wav = encode_wav(
        audio,
        WriteOptions {
            bit_depth: d.bits,
            ..WriteOptions::default()
        },
    )?;
    // Measure what the file holds (after quantisation and dither).
    let measured = coda_analysis::analyze(&coda_engine::io::decode_wav_bytes(&wav)?)?;
    let plan_sha = sha256_hex(plan.to_json().as_bytes());
    let bext = bext_for(&measured, purpose, d, &plan_sha);
    let info = InfoTags {
        title: Some(t.title.clone()),
        artist: t.artist.clone(),
        comment: Some(format!("{} master, {}", purpose.name(), d.spec())),
        software: Some(format!("coda {}", env!("CARGO_PKG_VERSION"))),
    };
    let bytes = add_bwf_chunks(&wav, &bext, &info)?;
    drop(wav);
    let rel = rel_output(t, purpose, d);
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
    let (spec_ok, notes, tolerance) = spec_check(purpose, fit, &measured);
    let l = &measured.loudness;
    Ok(Record {
        output: rel,
        input: t.input.display().to_string(),
        purpose: purpose.name().into(),
        deliverable: d.spec(),
        status: Status::Ok,
        error: None,
        input_sha256: Some(out.sha.to_string()),
        settings_sha256: settings_hash(t, purpose, d, s, out.refs),
        plan_sha256: Some(plan_sha),
        output_sha256: Some(sha256_hex(&bytes)),
        coda_version: env!("CARGO_PKG_VERSION").into(),
        target_lufs: Some(round2(fit.target_lufs)),
        tolerance_lu: Some(tolerance),
        ceiling_dbtp: Some(round2(fit.ceiling_dbtp)),
        integrated_lufs: l.integrated_lufs.map(round2),
        true_peak_dbtp: l.true_peak_dbtp.map(round2),
        range_lu: l.range_lu.map(round2),
        momentary_max_lufs: l.momentary_max_lufs.map(round2),
        short_term_max_lufs: l.short_term_max_lufs.map(round2),
        distance_db: distance.map(round2),
        spec_ok: Some(spec_ok),
        spec_notes: notes,
        warnings: fit.warnings.clone(),
    })
}

/// A failed record for one expected output.
pub fn failed_record(
    t: &Track,
    p: Purpose,
    d: &Deliverable,
    s: &Settings,
    refs: &RefCache,
    sha: Option<&str>,
    error: &str,
) -> Record {
    Record {
        output: rel_output(t, p, d),
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
        target_lufs: None,
        tolerance_lu: None,
        ceiling_dbtp: None,
        integrated_lufs: None,
        true_peak_dbtp: None,
        range_lu: None,
        momentary_max_lufs: None,
        short_term_max_lufs: None,
        distance_db: None,
        spec_ok: None,
        spec_notes: Vec::new(),
        warnings: Vec::new(),
    }
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

/// The `bext` chunk from the output's own measurement. Origination date and time are left
/// empty so that a rerun (or another shard) writes the same bytes.
fn bext_for(a: &Analysis, purpose: Purpose, d: &Deliverable, plan_sha: &str) -> Bext {
    let l = &a.loudness;
    Bext {
        description: format!("coda master, purpose {}, {}", purpose.name(), d.spec()),
        originator: "coda".into(),
        originator_reference: plan_sha[..32].to_string(),
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
/// Returns the verdict, the notes on any miss and the tolerance used.
fn spec_check(purpose: Purpose, fit: &Fit, a: &Analysis) -> (bool, Vec<String>, f64) {
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
    (ok, notes, tol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coda_optimizer::TargetProfile;

    #[test]
    fn fit_is_shared_only_by_purposes_with_the_same_figures() {
        let mix = coda_corpus::synth::orchestral(11, 6.0, 48_000);
        let reference = coda_corpus::synth::hybrid(12, 6.0, 48_000);
        let mix_a = coda_analysis::analyze(&mix).unwrap();
        let ref_a = coda_analysis::analyze(&reference).unwrap();
        let profile = TargetProfile::average(&[(&ref_a, 1.0)]);
        let fit = |purpose| {
            let opts = FitOptions {
                purpose,
                ..FitOptions::default()
            };
            coda_optimizer::fit(&mix, &mix_a, Some(&profile), &opts).unwrap()
        };
        let library = fit(Purpose::Library);
        for p in Purpose::ALL {
            if p != Purpose::Library && same_figures(&p.spec(), &Purpose::Library.spec()) {
                let (shared, own) = (refit_for(&library, p), fit(p));
                assert_eq!(shared.plan.to_json(), own.plan.to_json(), "{p}");
                assert_eq!(shared.warnings, own.warnings, "{p}");
            }
        }
        assert!(same_figures(
            &Purpose::Trailer.spec(),
            &Purpose::Library.spec()
        ));
        assert!(!same_figures(&Purpose::Tv.spec(), &Purpose::Library.spec()));
    }
}
