//! The scoreboard: per-case rows and per-group aggregates, printed as text and written as
//! `tune.json` and a self-contained `tune.html`.
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use coda_optimizer::Tuning;
use coda_reports::escape;
use serde::Serialize;

use super::search::SearchSummary;
use super::CaseResult;

/// JSON file name in the report folder.
pub const JSON: &str = "tune.json";
/// HTML file name in the report folder.
pub const HTML: &str = "tune.html";

/// One metric over a group of cases.
#[derive(Debug, Clone, Serialize)]
pub struct MetricStat {
    /// Metric name.
    pub metric: String,
    /// Cases it was checked on.
    pub n: usize,
    /// Cases within the threshold.
    pub passed: usize,
    /// Mean |value|.
    pub mean_abs: f64,
    /// Largest |value|.
    pub max_abs: f64,
}

/// A group's totals.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    /// `all`, `synthetic` or `real`.
    pub group: String,
    /// Cases.
    pub cases: usize,
    /// Cases with every check passed.
    pub passed: usize,
    /// Cases with a failed check.
    pub failed: usize,
    /// Cases that could not run.
    pub errors: usize,
    /// Mean loss per case.
    pub loss_mean: f64,
    /// Each checked metric.
    pub metrics: Vec<MetricStat>,
    /// Mean spectral distance master-reference, dB (every case with a value).
    pub distance_mean_db: Option<f64>,
    /// Mean spectral distance mix-reference before mastering, dB.
    pub mix_distance_mean_db: Option<f64>,
    /// Audio mastered, seconds.
    pub audio_s: f64,
    /// Sum of fit + render + verify times, seconds.
    pub master_s: f64,
    /// Largest fit + render + verify time of one case, seconds.
    pub master_max_s: f64,
    /// Sum of build + measure times of the inputs, seconds.
    pub build_s: f64,
}

/// The machine the run was on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    /// Memory, GiB.
    pub memory_gib: Option<f64>,
}

/// Everything the run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Scoreboard {
    /// coda's version.
    pub coda_version: &'static str,
    /// When, UTC.
    pub date_utc: String,
    /// Where.
    pub machine: Machine,
    /// Worker threads.
    pub jobs: usize,
    /// Wall time of the whole run, seconds.
    pub wall_s: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Hyperparameters the cases were mastered with.
    pub tuning: Tuning,
    /// Totals: all, synthetic, real.
    pub aggregate: Vec<Aggregate>,
    /// Every case.
    pub cases: Vec<CaseResult>,
}

impl Scoreboard {
    /// Aggregates the results.
    pub fn new(cases: Vec<CaseResult>, tuning: &Tuning, jobs: usize, wall_s: f64) -> Self {
        let mut aggregate = vec![aggregate_of("all", cases.iter())];
        for g in ["synthetic", "real"] {
            if cases.iter().any(|c| c.group == g) {
                aggregate.push(aggregate_of(g, cases.iter().filter(|c| c.group == g)));
            }
        }
        Self {
            coda_version: env!("CARGO_PKG_VERSION"),
            date_utc: utc_now(),
            machine: machine(),
            jobs,
            wall_s,
            peak_rss_mib: peak_rss_mib(),
            tuning: tuning.clone(),
            aggregate,
            cases,
        }
    }
}

/// Totals over `cases`.
pub fn aggregate_of<'a>(group: &str, cases: impl Iterator<Item = &'a CaseResult>) -> Aggregate {
    let list: Vec<&CaseResult> = cases.collect();
    let mut names: Vec<&str> = Vec::new();
    for c in &list {
        for k in &c.checks {
            if !names.contains(&k.metric) {
                names.push(k.metric);
            }
        }
    }
    let metrics = names
        .iter()
        .map(|name| {
            let vals: Vec<(f64, bool)> = list
                .iter()
                .flat_map(|c| c.checks.iter())
                .filter(|k| k.metric == *name)
                .map(|k| (k.value.abs(), k.pass))
                .collect();
            let finite: Vec<f64> = vals.iter().map(|v| v.0).filter(|v| v.is_finite()).collect();
            MetricStat {
                metric: (*name).to_string(),
                n: vals.len(),
                passed: vals.iter().filter(|v| v.1).count(),
                mean_abs: finite.iter().sum::<f64>() / finite.len().max(1) as f64,
                max_abs: finite.iter().copied().fold(0.0, f64::max),
            }
        })
        .collect();
    let mean_of = |f: &dyn Fn(&CaseResult) -> Option<f64>| {
        let v: Vec<f64> = list.iter().filter_map(|c| f(c)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let ran: Vec<&CaseResult> = list.iter().copied().filter(|c| c.error.is_none()).collect();
    Aggregate {
        group: group.to_string(),
        cases: list.len(),
        passed: list.iter().filter(|c| c.pass).count(),
        failed: ran.iter().filter(|c| !c.pass).count(),
        errors: list.len() - ran.len(),
        loss_mean: list.iter().map(|c| c.loss).sum::<f64>() / list.len().max(1) as f64,
        metrics,
        distance_mean_db: mean_of(&|c| c.metrics.as_ref()?.spectral_distance_db),
        mix_distance_mean_db: mean_of(&|c| c.metrics.as_ref()?.mix_spectral_distance_db),
        audio_s: ran.iter().map(|c| c.duration_s).sum(),
        master_s: ran
            .iter()
            .filter_map(|c| c.metrics.as_ref())
            .map(|m| m.time_s)
            .sum(),
        master_max_s: ran
            .iter()
            .filter_map(|c| c.metrics.as_ref())
            .map(|m| m.time_s)
            .fold(0.0, f64::max),
        build_s: list.iter().map(|c| c.build_s).sum(),
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "-".into(), |x| format!("{x:.digits$}"))
}

/// The per-case table and the aggregates as text lines.
pub fn text(board: &Scoreboard) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<32} {:<9} {:<10} {:>6} {:>7} {:>6} {:>11} {:>6} {:<10} {:>6} {:>5} {:>6}  verdict",
        "case",
        "group",
        "purpose",
        "EQ dB",
        "loud LU",
        "TP dB",
        "LRA mix>out",
        "wid dB",
        "kind",
        "dist",
        "GR",
        "time s"
    );
    for c in &board.cases {
        let m = c.metrics.as_ref();
        let lra = m.map_or_else(
            || "-".into(),
            |m| format!("{}>{}", opt(m.mix_lra_lu, 1), opt(m.output_lra_lu, 1)),
        );
        let why = match &c.error {
            Some(e) => format!(" {e}"),
            None if !c.failures.is_empty() => format!(" {}", c.failures.join("; ")),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<32} {:<9} {:<10} {:>6} {:>7} {:>6} {:>11} {:>6} {:<10} {:>6} {:>5} {:>6}  {}{}",
            c.name,
            c.group,
            c.purpose,
            opt(m.and_then(|m| m.eq_max_db), 2),
            opt(m.and_then(|m| m.loudness_error_lu), 2),
            opt(m.and_then(|m| m.true_peak_margin_db), 2),
            lra,
            opt(m.and_then(|m| m.width_error_db), 2),
            m.map_or("-", |m| m.content.as_str()),
            opt(m.and_then(|m| m.spectral_distance_db), 2),
            opt(m.map(|m| m.limiter_gr_db), 1),
            opt(m.map(|m| m.time_s), 1),
            c.verdict(),
            why
        );
    }
    let _ = writeln!(s);
    for a in &board.aggregate {
        let _ = writeln!(
            s,
            "{}: {} cases, {} pass, {} fail, {} error; mean loss {:.3}; spectral distance \
             mix {} -> master {} dB; {:.0} s of audio mastered in {:.1} s (slowest case \
             {:.1} s), inputs built in {:.1} s",
            a.group,
            a.cases,
            a.passed,
            a.failed,
            a.errors,
            a.loss_mean,
            opt(a.mix_distance_mean_db, 2),
            opt(a.distance_mean_db, 2),
            a.audio_s,
            a.master_s,
            a.master_max_s,
            a.build_s
        );
        for m in &a.metrics {
            let _ = writeln!(
                s,
                "  {:<22} {:>3}/{:<3} pass   mean |x| {:>7.3}   max |x| {:>7.3}",
                m.metric, m.passed, m.n, m.mean_abs, m.max_abs
            );
        }
    }
    let _ = writeln!(
        s,
        "run: {:.1} s wall on {} workers, peak RSS {} MiB ({}, {} cores)",
        board.wall_s,
        board.jobs,
        opt(board.peak_rss_mib, 0),
        board.machine.cpu,
        board.machine.cores
    );
    s
}

/// Prints the scoreboard to stdout.
pub fn print(board: &Scoreboard) {
    print!("{}", text(board));
}

/// Writes `tune.json` and `tune.html` into `dir`.
pub fn write(dir: &Path, board: &Scoreboard, search: Option<&SearchSummary>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut v = serde_json::to_value(board)?;
    if let Some(s) = search {
        v["search"] = serde_json::to_value(s)?;
    }
    coda_engine::io::write_atomic(
        &dir.join(JSON),
        serde_json::to_string_pretty(&v)?.as_bytes(),
    )?;
    coda_engine::io::write_atomic(&dir.join(HTML), html(board, search).as_bytes())?;
    Ok(())
}

/// A table cell coloured by the case's check of `metric` (if checked).
fn cell(c: &CaseResult, metric: &str, text: String) -> String {
    match c.checks.iter().find(|k| k.metric == metric) {
        Some(k) => format!(
            "<td class=\"{}\" title=\"{}\">{}</td>",
            if k.pass { "ok" } else { "bad" },
            escape(&k.limit),
            escape(&text)
        ),
        None => format!("<td>{}</td>", escape(&text)),
    }
}

/// The self-contained HTML page.
pub fn html(board: &Scoreboard, search: Option<&SearchSummary>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>coda tune</title><style>\
         body{{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}\
         .ok{{background:#e3f4e1}}.bad{{background:#f9d6d2}}.err{{background:#f3e0a8}}\
         caption{{text-align:left;font-weight:bold}}code{{font-size:12px}}\
         </style></head><body><h1>coda tune</h1>\
         <p>coda {} &middot; {} &middot; {} ({} cores, {} GiB) &middot; {} workers &middot; \
         wall {:.1} s &middot; peak RSS {} MiB</p>",
        board.coda_version,
        escape(&board.date_utc),
        escape(&board.machine.cpu),
        board.machine.cores,
        opt(board.machine.memory_gib, 1),
        board.jobs,
        board.wall_s,
        opt(board.peak_rss_mib, 0)
    );
    if let Some(s) = search {
        h.push_str(&s.html());
    }
    h.push_str("<h2>Aggregate</h2>");
    for a in &board.aggregate {
        let _ = write!(
            h,
            "<table><caption>{}: {}/{} pass, {} fail, {} error, mean loss {:.3}, spectral \
             distance mix {} &rarr; master {} dB, {:.0} s audio in {:.1} s</caption>\
             <tr><th>metric</th><th>pass</th><th>mean |x|</th><th>max |x|</th></tr>",
            escape(&a.group),
            a.passed,
            a.cases,
            a.failed,
            a.errors,
            a.loss_mean,
            opt(a.mix_distance_mean_db, 2),
            opt(a.distance_mean_db, 2),
            a.audio_s,
            a.master_s
        );
        for m in &a.metrics {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"{}\">{}/{}</td><td>{:.3}</td><td>{:.3}</td></tr>",
                escape(&m.metric),
                if m.passed == m.n { "ok" } else { "bad" },
                m.passed,
                m.n,
                m.mean_abs,
                m.max_abs
            );
        }
        h.push_str("</table>");
    }
    h.push_str(
        "<h2>Cases</h2><table><tr><th>case</th><th>group</th><th>purpose</th><th>rate</th>\
         <th>EQ max dB</th><th>loudness LU</th><th>TP margin dB</th><th>LRA mix</th>\
         <th>LRA out</th><th>width dB</th><th>kind</th><th>distance dB</th><th>GR dB</th>\
         <th>automation dB</th><th>time s</th><th>verdict</th><th>why</th></tr>",
    );
    for c in &board.cases {
        let m = c.metrics.as_ref();
        let lra_metric = if c.checks.iter().any(|k| k.metric == "lra_change_lu") {
            "lra_change_lu"
        } else {
            "lra_lu"
        };
        let why = c.error.clone().unwrap_or_else(|| c.failures.join("; "));
        let _ = write!(
            h,
            "<tr><td title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}{}<td>{}</td>{}{}{}{}{}{}{}\
             <td class=\"{}\">{}</td><td>{}</td></tr>",
            escape(&c.description),
            escape(&c.name),
            c.group,
            escape(&c.purpose),
            if c.sample_rate_hz > 0 {
                format!("{}/{}ch", c.sample_rate_hz, c.channels)
            } else {
                "-".into()
            },
            cell(c, "eq_db", opt(m.and_then(|m| m.eq_max_db), 2)),
            cell(c, "loudness_lu", opt(m.and_then(|m| m.loudness_error_lu), 2)),
            cell(
                c,
                "true_peak_margin_db",
                opt(m.and_then(|m| m.true_peak_margin_db), 2)
            ),
            opt(m.and_then(|m| m.mix_lra_lu), 1),
            cell(c, lra_metric, opt(m.and_then(|m| m.output_lra_lu), 1)),
            cell(c, "width_db", opt(m.and_then(|m| m.width_error_db), 2)),
            cell(c, "content", m.map_or("-".into(), |m| m.content.clone())),
            cell(
                c,
                "spectral_distance_db",
                opt(m.and_then(|m| m.spectral_distance_db), 2)
            ),
            cell(c, "limiter_gr_db", opt(m.map(|m| m.limiter_gr_db), 1)),
            cell(
                c,
                "automation_range_db",
                opt(m.map(|m| m.automation_range_db), 1)
            ),
            cell(c, "time_s", opt(m.map(|m| m.time_s), 1)),
            match c.verdict() {
                "PASS" => "ok",
                "FAIL" => "bad",
                _ => "err",
            },
            c.verdict(),
            escape(&why)
        );
    }
    let _ = writeln!(
        h,
        "</table><h2>Hyperparameters</h2><pre><code>{}</code></pre></body></html>",
        escape(&serde_json::to_string_pretty(&board.tuning).unwrap_or_default())
    );
    h
}

/// Peak resident set size of this process (Linux `VmHWM`), MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let memory_gib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: f64 = l.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0 / 1024.0)
    });
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib,
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` now.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
