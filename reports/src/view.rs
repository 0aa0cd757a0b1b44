//! [`ReportView`]: everything a report shows, as plain data. The caller (`coda match`,
//! `coda analyze --plots`) fills it; reference, output and plan pieces are optional so a
//! mix alone makes a report too.
use std::path::PathBuf;

use coda_analysis::Analysis;
use serde::{Deserialize, Serialize};

use crate::diagnosis::{diagnose, Finding};

/// One measured file.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Name shown in the report (usually the file name).
    pub name: String,
    /// Where the file is; report files are never written over it.
    pub path: Option<PathBuf>,
    /// Its measurements.
    pub analysis: Analysis,
}

/// The purpose's targets; `None` fields are not constrained by the purpose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Short description, e.g. "trailer: reference's loudness, -1 dBTP".
    pub description: String,
    /// Integrated loudness target, LUFS.
    pub integrated_lufs: Option<f64>,
    /// True-peak ceiling, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Loudness range target, LU.
    pub range_lu: Option<f64>,
    /// Peak-to-loudness ratio target, dB.
    pub plr_db: Option<f64>,
    /// Crest factor target, dB.
    pub crest_db: Option<f64>,
}

/// One breakpoint of the gain automation curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutomationPoint {
    /// Time from the start of the file, s.
    pub time_s: f64,
    /// Gain applied at that time, dB.
    pub gain_db: f64,
}

/// A gain-reduction trace of one dynamics stage (limiter or one compressor band).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainTrace {
    /// Legend name, e.g. "limiter" or "compressor low band (< 150 Hz)".
    pub label: String,
    /// Hop between values, s.
    pub hop_s: f64,
    /// Largest gain reduction within each hop, dB (positive = reduction).
    pub reduction_db: Vec<f32>,
}

/// One row of the plan section: a stage and its settings in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    /// Stage name, e.g. "EQ".
    pub stage: String,
    /// Human-readable settings, e.g. "low shelf 120 Hz +1.5 dB; bell 3 kHz -1.0 dB (Q 1.2)".
    pub settings: String,
}

/// Everything one report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    /// Page title, e.g. "mix.wav, mastered for trailer".
    pub title: String,
    /// The mix (the input).
    pub mix: Source,
    /// The reference track.
    pub reference: Option<Source>,
    /// The master.
    pub output: Option<Source>,
    /// The purpose's targets.
    pub target: Option<Target>,
    /// Fitted EQ response as (frequency Hz, gain dB) points, ascending in frequency.
    pub eq_curve: Option<Vec<(f64, f64)>>,
    /// Gain automation breakpoints, ascending in time.
    pub automation: Option<Vec<AutomationPoint>>,
    /// Gain reduction of the limiter and each compressor band (empty: no plot).
    pub gain_reduction: Vec<GainTrace>,
    /// The plan in words.
    pub plan: Vec<PlanRow>,
    /// Findings shown in the diagnosis section.
    pub diagnosis: Vec<Finding>,
    /// Warnings from decoding, fitting or rendering.
    pub warnings: Vec<String>,
}

impl ReportView {
    /// A view of a mix alone, diagnosed; add reference, output and plan pieces by field.
    pub fn new(title: impl Into<String>, mix: Source) -> Self {
        let diagnosis = diagnose(&mix.analysis, None);
        Self {
            title: title.into(),
            mix,
            reference: None,
            output: None,
            target: None,
            eq_curve: None,
            automation: None,
            gain_reduction: Vec::new(),
            plan: Vec::new(),
            diagnosis,
            warnings: Vec::new(),
        }
    }

    /// Sets the reference and re-runs the diagnosis against it.
    pub fn with_reference(mut self, reference: Source) -> Self {
        self.diagnosis = diagnose(&self.mix.analysis, Some(&reference.analysis));
        self.reference = Some(reference);
        self
    }

    /// The measured files present, in report order, with their roles.
    pub fn sources(&self) -> Vec<(crate::Role, &Source)> {
        let mut out = vec![(crate::Role::Mix, &self.mix)];
        if let Some(r) = &self.reference {
            out.push((crate::Role::Reference, r));
        }
        if let Some(o) = &self.output {
            out.push((crate::Role::Output, o));
        }
        out
    }
}
