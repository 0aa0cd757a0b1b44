//! `coda batch --merge`: joins the manifests of the shards `1/N .. N/N` into the delivery
//! manifest and writes the delivery report, as one unsharded run would have. Refuses to
//! merge an incomplete set of shards or shards of different splits, and checks that every
//! delivered file is still the one its shard recorded.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use super::manifest::{self, Record, Status};
use super::{exit_code, output_intact, report, summarise};

/// `(I, N)` of a shard manifest's file name.
fn shard_of(name: &str) -> Option<(usize, usize)> {
    let rest = name
        .strip_prefix("delivery.shard-")?
        .strip_suffix(".manifest.jsonl")?;
    let (i, n) = rest.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

/// Runs the merge in the delivery folder `dir`.
pub fn run(dir: &Path) -> Result<ExitCode> {
    let mut found: BTreeMap<(usize, usize), std::path::PathBuf> = BTreeMap::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let p = e?.path();
        if let Some(s) = p.file_name().and_then(|n| n.to_str()).and_then(shard_of) {
            found.insert(s, p);
        }
    }
    let splits: BTreeSet<usize> = found.keys().map(|&(_, n)| n).collect();
    let n = match splits.len() {
        0 => bail!("{}: no shard manifests to merge", dir.display()),
        1 => *splits.first().expect("one split"),
        _ => bail!(
            "{}: shard manifests of different splits ({}): remove the stale ones",
            dir.display(),
            splits
                .iter()
                .map(|n| format!("N={n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let missing: Vec<String> = (1..=n)
        .filter(|i| !found.contains_key(&(*i, n)))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: shard(s) {} have no manifest yet: run them before --merge",
            dir.display(),
            missing.join(", ")
        );
    }
    let mut records: BTreeMap<String, Record> = BTreeMap::new();
    for path in found.values() {
        records.extend(manifest::load(path));
    }
    // Every delivered file must still be the one its shard recorded.
    let gone: Vec<String> = records
        .par_iter()
        .filter(|(_, r)| r.status == Status::Ok && !output_intact(&dir.join(&r.output), r))
        .map(|(k, _)| k.clone())
        .collect();
    for k in &gone {
        if let Some(r) = records.get_mut(k) {
            r.status = Status::Failed;
            r.error = Some("output file missing or changed since its shard wrote it".into());
        }
    }
    manifest::write_sorted(&dir.join(manifest::MANIFEST), &records)?;
    report::write(dir, &records)?;
    eprintln!(
        "coda: merged {n} shard manifests: {} outputs",
        records.len()
    );
    summarise(&records, None, 0.0);
    Ok(exit_code(&records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_manifest_names_parse() {
        assert_eq!(shard_of(&manifest::shard_manifest(2, 3)), Some((2, 3)));
        assert_eq!(shard_of(manifest::MANIFEST), None);
        assert_eq!(shard_of("delivery.shard-x-of-3.manifest.jsonl"), None);
    }
}
