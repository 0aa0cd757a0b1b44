//! `cargo test` runs the fast subset of the corpus (cases tagged `fast` in corpus/cases/)
//! through `coda tune` with each case's own thresholds, and checks the report files.
mod common;

use std::path::Path;

use common::{coda, stderr, stdout};
use serde_json::Value;

#[test]
fn fast_corpus_subset_passes_its_thresholds() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/cases");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let out = coda(&[
        "tune",
        cases.to_str().unwrap(),
        "--filter",
        "fast",
        "--report",
        report.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    eprintln!("{text}\n{}", stderr(&out));
    let board: Value =
        serde_json::from_slice(&std::fs::read(report.join("tune.json")).unwrap()).unwrap();
    let list = board["cases"].as_array().unwrap();
    assert!(list.len() >= 5, "{} fast cases", list.len());
    for c in list {
        let checks = c["checks"].as_array().unwrap();
        let metrics: Vec<&str> = checks.iter().filter_map(|k| k["metric"].as_str()).collect();
        for m in ["loudness_lu", "true_peak_margin_db"] {
            assert!(metrics.contains(&m), "{}: no {m} check", c["name"]);
        }
        assert!(
            c["pass"].as_bool().unwrap(),
            "{} failed: {}",
            c["name"],
            c["failures"]
        );
    }
    assert!(metrics_seen(list, "eq_db") && metrics_seen(list, "width_db"));
    assert!(out.status.success(), "coda tune exited {:?}", out.status);
    let html = std::fs::read_to_string(report.join("tune.html")).unwrap();
    assert!(html.contains("eq-mud-orchestral") && html.contains("</html>"));
}

fn metrics_seen(list: &[Value], metric: &str) -> bool {
    list.iter().any(|c| {
        c["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["metric"] == metric)
    })
}

#[test]
fn bad_filter_and_bad_manifest_are_refused() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/cases");
    let out = coda(&["tune", cases.to_str().unwrap(), "--filter", "no-such-case"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no case matches"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"name": "x", "mix": {"source": {"synth": {}}}, "references": []}]"#,
    )
    .unwrap();
    let out = coda(&["tune", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}
