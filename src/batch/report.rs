//! The delivery report: every output's figures against its purpose's spec, as CSV (for a
//! spreadsheet) and a self-contained HTML table (for a music supervisor).
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use super::manifest::{Record, Status};

/// CSV file name.
pub const CSV: &str = "delivery.report.csv";
/// HTML file name.
pub const HTML: &str = "delivery.report.html";

fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| format!("{x:.2}"))
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The verdict column: PASS, MISS or FAILED.
fn verdict(r: &Record) -> &'static str {
    match (r.status, r.spec_ok) {
        (Status::Failed, _) => "FAILED",
        (Status::Ok, Some(true)) => "PASS",
        _ => "MISS",
    }
}

/// The CSV text.
pub fn csv(records: &BTreeMap<String, Record>) -> String {
    let mut out = String::from(
        "output,input,purpose,deliverable,verdict,integrated_lufs,true_peak_dbtp,range_lu,\
         short_term_max_lufs,distance_db,notes\n",
    );
    for r in records.values() {
        let notes: Vec<String> = r
            .error
            .iter()
            .cloned()
            .chain(r.spec_notes.iter().cloned())
            .chain(r.warnings.iter().cloned())
            .collect();
        let row = [
            csv_quote(&r.output),
            csv_quote(&r.input),
            r.purpose.clone(),
            r.deliverable.clone(),
            verdict(r).into(),
            num(r.integrated_lufs),
            num(r.true_peak_dbtp),
            num(r.range_lu),
            num(r.short_term_max_lufs),
            num(r.distance_db),
            csv_quote(&notes.join("; ")),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The HTML text (inline CSS, no scripts, no network).
pub fn html(records: &BTreeMap<String, Record>) -> String {
    let total = records.len();
    let pass = records.values().filter(|r| verdict(r) == "PASS").count();
    let failed = records
        .values()
        .filter(|r| r.status == Status::Failed)
        .count();
    let mut rows = String::new();
    for r in records.values() {
        let v = verdict(r);
        let notes: Vec<String> = r
            .error
            .iter()
            .cloned()
            .chain(r.spec_notes.iter().cloned())
            .chain(r.warnings.iter().cloned())
            .map(|n| html_escape(&n))
            .collect();
        rows.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=v>{v}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td></tr>\n",
            v.to_ascii_lowercase(),
            html_escape(&r.output),
            html_escape(&r.input),
            r.purpose,
            r.deliverable,
            num(r.integrated_lufs),
            num(r.true_peak_dbtp),
            num(r.range_lu),
            num(r.short_term_max_lufs),
            num(r.distance_db),
            notes.join("<br>")
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coda delivery report</title>
<style>
body{{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;width:100%}}
th,td{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}}
th{{background:#f4f4f4;position:sticky;top:0}}
td:nth-child(-n+4),th:nth-child(-n+4),td.n{{text-align:left}}
tr.pass td.v{{color:#0072B2;font-weight:600}}
tr.miss td{{background:#fff4e0}} tr.miss td.v{{color:#D55E00;font-weight:700}}
tr.failed td{{background:#fde8e8}} tr.failed td.v{{color:#a00;font-weight:700}}
</style></head><body>
<h1>Delivery report</h1>
<p id="summary">{total} outputs: {pass} meet their purpose's spec, {} miss it, {failed} failed.
coda {}</p>
<table><thead><tr><th>output</th><th>input</th><th>purpose</th><th>format</th><th>verdict</th>
<th>integrated LUFS</th><th>true peak dBTP</th><th>LRA LU</th><th>max short-term LUFS</th>
<th>distance to reference dB</th><th>notes</th></tr></thead>
<tbody>
{rows}</tbody></table></body></html>
"#,
        total - pass - failed,
        env!("CARGO_PKG_VERSION"),
    )
}

/// Writes both reports into `dir` atomically.
pub fn write(dir: &Path, records: &BTreeMap<String, Record>) -> Result<()> {
    coda_engine::io::write_atomic(&dir.join(CSV), csv(records).as_bytes())?;
    coda_engine::io::write_atomic(&dir.join(HTML), html(records).as_bytes())?;
    Ok(())
}
