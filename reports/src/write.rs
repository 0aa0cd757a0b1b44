//! Writing a report to disk: report.html and plots/*.svg (and PNGs on request), each file
//! through a temporary file and a rename, never over one of the report's inputs.
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::html::render_html;
use crate::plots::render_all;
use crate::view::ReportView;

/// Names and options of the files a report writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// File name of the HTML page inside the output folder (`report.html`).
    pub html_name: String,
    /// Name of the plots folder inside the output folder (`plots`).
    pub plots_dir_name: String,
    /// Also write every plot as PNG beside its SVG.
    pub png: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            html_name: "report.html".into(),
            plots_dir_name: "plots".into(),
            png: false,
        }
    }
}

/// Paths of the files written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFiles {
    /// The HTML page.
    pub html: PathBuf,
    /// One SVG per plot, in report order.
    pub svgs: Vec<PathBuf>,
    /// One PNG per plot when asked for.
    pub pngs: Vec<PathBuf>,
}

/// Writes `report.html` and `plots/<plot>.svg` into `dir` (created if missing).
pub fn write_report(dir: &Path, view: &ReportView) -> Result<ReportFiles> {
    write_report_with(dir, view, &ReportOptions::default())
}

/// [`write_report`] with file names and PNG output chosen by `opts`.
pub fn write_report_with(
    dir: &Path,
    view: &ReportView,
    opts: &ReportOptions,
) -> Result<ReportFiles> {
    let plots = render_all(view)?;
    let html = render_html(view, &plots);
    let plots_dir = dir.join(&opts.plots_dir_name);
    let mut files = ReportFiles {
        html: dir.join(&opts.html_name),
        ..Default::default()
    };
    for p in &plots {
        files
            .svgs
            .push(plots_dir.join(format!("{}.svg", p.id.slug())));
        if opts.png {
            files
                .pngs
                .push(plots_dir.join(format!("{}.png", p.id.slug())));
        }
    }
    let inputs: Vec<PathBuf> = view
        .sources()
        .into_iter()
        .filter_map(|(_, s)| s.path.as_deref())
        .filter_map(|p| fs::canonicalize(p).ok())
        .collect();
    let mkdir = |d: &Path| {
        fs::create_dir_all(d).map_err(|source| Error::Write {
            path: d.to_path_buf(),
            source,
        })
    };
    mkdir(dir)?;
    mkdir(&plots_dir)?;
    for path in std::iter::once(&files.html)
        .chain(&files.svgs)
        .chain(&files.pngs)
    {
        if let Some(input) = inputs.iter().find(|i| same_file(i, path)) {
            return Err(Error::WouldOverwriteInput {
                path: input.clone(),
            });
        }
    }
    for (p, path) in plots.iter().zip(&files.svgs) {
        write_atomic(path, p.svg.as_bytes())?;
    }
    for (p, path) in plots.iter().zip(&files.pngs) {
        write_atomic(path, &crate::png::svg_to_png(&p.svg)?)?;
    }
    write_atomic(&files.html, html.as_bytes())?;
    Ok(files)
}

/// Whether `path` (which may not exist yet) names the canonical file `input`.
fn same_file(input: &Path, path: &Path) -> bool {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    fs::canonicalize(path).is_ok_and(|p| p == input)
        || fs::canonicalize(parent).is_ok_and(|p| p.join(name) == input)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename
/// (the engine's atomic writer, with this crate's error).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    coda_engine::io::write_atomic(path, bytes).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        source: match e {
            coda_engine::Error::Write { reason, .. } => std::io::Error::other(reason),
            other => std::io::Error::other(other.to_string()),
        },
    })
}
