//! The self-contained report page: inline CSS and SVG, no script, no network. Sections:
//! header, summary table, diagnosis (linked to the plots), plots with reading notes, plan,
//! warnings.
use std::fmt::Write;

use coda_analysis::Analysis;

use crate::diagnosis::Severity;
use crate::plots::{PlotId, RenderedPlot};
use crate::style::{mm_ss, opt1, Role};
use crate::view::ReportView;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Side power over mid power across the whole spectrum (third-octave bands), dB.
pub fn overall_width_db(a: &Analysis) -> Option<f64> {
    let sum =
        |v: &[Option<f64>]| -> f64 { v.iter().flatten().map(|db| 10f64.powf(db / 10.0)).sum() };
    let (mid, side) = (sum(&a.spectrum.mid_db), sum(&a.spectrum.side_db));
    (mid > 0.0 && side > 0.0).then(|| 10.0 * (side / mid).log10())
}

const CSS: &str = r#"
:root { --ink:#1d1d1f; --muted:#5b5b60; --line:#dedee3; --bg:#fafafa;
  --mix:#D55E00; --ref:#0072B2; --out:#009E73; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:16px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width:1240px; margin:0 auto; padding:24px 20px 48px; }
h1 { font-size:28px; margin:0 0 4px; }
h2 { font-size:22px; margin:36px 0 12px; padding-bottom:4px; border-bottom:2px solid var(--line); }
h3 { font-size:18px; margin:0 0 4px; }
p { margin:4px 0; }
.files { color:var(--muted); }
.files b { color:var(--ink); }
nav a { margin-right:16px; color:var(--ref); }
table { border-collapse:collapse; background:#fff; }
th, td { padding:6px 14px; border-bottom:1px solid var(--line); text-align:right; }
th:first-child, td:first-child { text-align:left; }
thead th { border-bottom:2px solid var(--ink); }
.swatch { display:inline-block; width:12px; height:12px; border-radius:2px; margin-right:6px; vertical-align:-1px; }
.findings { list-style:none; padding:0; margin:0; }
.finding { background:#fff; border:1px solid var(--line); border-left:6px solid #999;
  border-radius:4px; padding:8px 12px; margin:6px 0; }
.finding.problem { border-left-color:#D55E00; }
.finding.advice { border-left-color:#E69F00; }
.finding.info { border-left-color:#56B4E9; }
.badge { display:inline-block; min-width:92px; margin-right:6px; font-size:13px; font-weight:bold;
  text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
.finding a { margin-left:8px; font-size:14px; color:var(--ref); white-space:nowrap; }
figure.plot { margin:20px 0 32px; background:#fff; border:1px solid var(--line); border-radius:4px; padding:12px; }
figure.plot figcaption { margin-bottom:8px; }
figure.plot figcaption p { color:var(--muted); font-size:15px; }
figure.plot svg { display:block; width:100%; height:auto; }
table.plan td { text-align:left; vertical-align:top; }
table.plan td:first-child { font-weight:bold; white-space:nowrap; }
.note { color:var(--muted); }
footer { margin-top:40px; color:var(--muted); font-size:13px; }
"#;

fn describe(a: &Analysis) -> String {
    let ch = match a.channels {
        1 => "mono".to_string(),
        2 => "stereo".to_string(),
        n => format!("{n} channels"),
    };
    format!(
        "{}, {:.1} kHz {ch}",
        mm_ss(a.duration_s),
        f64::from(a.sample_rate) / 1000.0
    )
}

fn header(view: &ReportView, out: &mut String) {
    let _ = writeln!(out, "<header><h1>{}</h1>", escape(&view.title));
    let mut files = Vec::new();
    for (role, s) in view.sources() {
        files.push(format!(
            "<span class=\"swatch\" style=\"background:{}\"></span>{}: <b>{}</b> ({})",
            role.css(),
            role.name(),
            escape(&s.name),
            describe(&s.analysis)
        ));
    }
    let _ = writeln!(
        out,
        "<p class=\"files\">{}</p>",
        files.join(" &nbsp;&middot;&nbsp; ")
    );
    if let Some(t) = view.target.as_ref().filter(|t| !t.description.is_empty()) {
        let _ = writeln!(
            out,
            "<p class=\"files\">target: <b>{}</b></p>",
            escape(&t.description)
        );
    }
    out.push_str(
        "<nav><a href=\"#summary\">Summary</a><a href=\"#diagnosis\">Diagnosis</a>\
         <a href=\"#plots\">Plots</a><a href=\"#plan\">Plan</a></nav></header>\n",
    );
}

fn summary(view: &ReportView, out: &mut String) {
    let sources = view.sources();
    let target = view.target.as_ref();
    out.push_str("<section id=\"summary\"><h2>Summary</h2>\n<table class=\"summary\"><thead><tr><th>measure</th>");
    for (role, _) in &sources {
        let _ = write!(
            out,
            "<th><span class=\"swatch\" style=\"background:{}\"></span>{}</th>",
            role.css(),
            role.name()
        );
    }
    if target.is_some() {
        let _ = write!(out, "<th>{}</th>", Role::Target.name());
    }
    out.push_str("</tr></thead><tbody>\n");
    type Getter = fn(&Analysis) -> Option<f64>;
    let rows: [(&str, Getter, Option<f64>, &str); 7] = [
        (
            "integrated loudness (LUFS)",
            |a| a.loudness.integrated_lufs,
            target.and_then(|t| t.integrated_lufs),
            "",
        ),
        (
            "true peak (dBTP)",
            |a| a.loudness.true_peak_dbtp,
            target.and_then(|t| t.true_peak_dbtp),
            "max ",
        ),
        (
            "loudness range LRA (LU)",
            |a| a.loudness.range_lu,
            target.and_then(|t| t.range_lu),
            "",
        ),
        (
            "peak-to-loudness ratio PLR (dB)",
            |a| a.dynamics.plr_db,
            target.and_then(|t| t.plr_db),
            "",
        ),
        (
            "crest factor (dB)",
            |a| a.dynamics.crest_db,
            target.and_then(|t| t.crest_db),
            "",
        ),
        (
            "width: side relative to mid (dB)",
            overall_width_db,
            None,
            "",
        ),
        ("L/R correlation", |a| a.stereo.correlation, None, ""),
    ];
    for (name, get, t, prefix) in rows {
        let _ = write!(out, "<tr><td>{name}</td>");
        for (_, s) in &sources {
            let v = get(&s.analysis);
            let text = if name.starts_with("L/R") {
                v.map_or("\u{2014}".into(), |c| format!("{c:.2}"))
            } else {
                opt1(v)
            };
            let _ = write!(out, "<td>{text}</td>");
        }
        if target.is_some() {
            let text = t.map_or("\u{2014}".into(), |v| format!("{prefix}{v:.1}"));
            let _ = write!(out, "<td>{text}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></section>\n");
}

fn diagnosis(view: &ReportView, shown: &[PlotId], out: &mut String) {
    out.push_str("<section id=\"diagnosis\"><h2>Diagnosis</h2>\n");
    if view.reference.is_some() {
        out.push_str(
            "<p class=\"note\">Tonal comparisons match the two files' levels on the part of \
             the spectrum where they agree, then name the regions that differ.</p>\n",
        );
    }
    if view.diagnosis.is_empty() {
        out.push_str("<p>Nothing to report.</p>\n");
    }
    out.push_str("<ol class=\"findings\">\n");
    for f in &view.diagnosis {
        let link = f
            .plot
            .filter(|p| shown.contains(p))
            .map_or(String::new(), |p| {
                format!(
                    "<a href=\"#plot-{}\">see {}</a>",
                    p.slug(),
                    p.heading().to_lowercase()
                )
            });
        let _ = writeln!(
            out,
            "<li class=\"finding {sev}\"><span class=\"badge\">{sev}</span>{}{link}</li>",
            escape(&f.message),
            sev = f.severity.label()
        );
    }
    out.push_str("</ol></section>\n");
}

fn plots(view: &ReportView, plots: &[RenderedPlot], out: &mut String) {
    out.push_str("<section id=\"plots\"><h2>Plots</h2>\n");
    for p in plots {
        let notes: Vec<&str> = view
            .diagnosis
            .iter()
            .filter(|f| f.plot == Some(p.id) && f.severity >= Severity::Advice)
            .map(|f| f.message.as_str())
            .collect();
        let _ = write!(
            out,
            "<figure class=\"plot\" id=\"plot-{}\"><figcaption><h3>{}</h3><p>{}</p>",
            p.id.slug(),
            p.id.heading(),
            escape(p.id.how_to_read())
        );
        for n in notes {
            let _ = write!(out, "<p><b>Look for:</b> {}</p>", escape(n));
        }
        out.push_str("</figcaption>\n");
        out.push_str(p.svg.trim_start_matches(|c: char| c != '<'));
        out.push_str("</figure>\n");
    }
    out.push_str("</section>\n");
}

fn plan(view: &ReportView, out: &mut String) {
    out.push_str("<section id=\"plan\"><h2>Plan</h2>\n");
    if view.plan.is_empty() {
        out.push_str("<p class=\"note\">Analysis only: no mastering plan was made.</p>\n");
    } else {
        out.push_str("<table class=\"plan\"><thead><tr><th>stage</th><th>settings</th></tr></thead><tbody>\n");
        for row in &view.plan {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&row.stage),
                escape(&row.settings)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
    if !view.warnings.is_empty() {
        out.push_str("<section id=\"warnings\"><h2>Warnings</h2><ul>\n");
        for w in &view.warnings {
            let _ = writeln!(out, "<li>{}</li>", escape(w));
        }
        out.push_str("</ul></section>\n");
    }
}

/// The whole report page for `view` with its drawn `plots` inlined.
pub fn render_html(view: &ReportView, rendered: &[RenderedPlot]) -> String {
    let size: usize = rendered.iter().map(|p| p.svg.len()).sum();
    let mut out = String::with_capacity(size + 32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>coda report: {}</title>\n<style>{CSS}</style>\n</head>\n<body><main>\n",
        escape(&view.title)
    );
    header(view, &mut out);
    summary(view, &mut out);
    let shown: Vec<PlotId> = rendered.iter().map(|p| p.id).collect();
    diagnosis(view, &shown, &mut out);
    plots(view, rendered, &mut out);
    plan(view, &mut out);
    let _ = write!(
        out,
        "<footer>Made by coda {}. Loudness per ITU-R BS.1770-4 / EBU R 128.</footer>\n</main></body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<b>"a" & 'b'</b>"#),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("plain -1.0 dBTP"), "plain -1.0 dBTP");
    }
}
