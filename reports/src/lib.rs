//! coda-reports: the plots (plotters, SVG/PNG), the diagnosis of a mix against a reference,
//! and the self-contained HTML report of `coda match` and `coda analyze --plots`.
#![forbid(unsafe_code)]

mod decimate;
mod diagnosis;
mod error;
mod html;
pub mod plots;
mod png;
mod style;
pub mod tone;
mod view;
mod write;

pub use decimate::{segments, segments_f32};
pub use diagnosis::{diagnose, Finding, Severity, Topic};
pub use error::{Error, Result};
pub use html::{escape, overall_width_db, render_html};
pub use plots::{Plot, PlotId, RenderedPlot};
pub use png::svg_to_png;
pub use style::{freq_text, freq_tick, mm_ss, okabe_ito, Role};
pub use view::{AutomationPoint, GainTrace, PlanRow, ReportView, Source, Target};
pub use write::{write_atomic, write_report, write_report_with, ReportFiles, ReportOptions};
