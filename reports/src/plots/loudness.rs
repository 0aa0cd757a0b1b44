//! Loudness-over-time plot: short-term and momentary loudness of mix and output, the
//! target, the loudest passage shaded, and the gain automation in a lower panel.
use coda_analysis::Analysis;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    extent, legend_strip, mesh, signed_tick, time_axis, time_label, titled, DrawResult, Glyph,
    LegendEntry, Plot, PlotId,
};
use crate::decimate::segments;
use crate::style::{self, mm_ss, Role};
use crate::view::{AutomationPoint, ReportView};

/// Range shown below the loudest reading, LU.
const SHOWN_RANGE_LU: f64 = 40.0;
/// Length of the short-term window, s (the loudest passage spans one window).
const SHORT_TERM_S: f64 = 3.0;
/// Short-term readings before the first full 3 s window (meter warm-up), not drawn.
const SHORT_TERM_WARMUP_HOPS: usize = 29;
/// Momentary readings before the first full 0.4 s window, not drawn.
const MOMENTARY_WARMUP_HOPS: usize = 3;

/// A loudness series, LUFS per hop.
type Series = Vec<Option<f64>>;

/// `values` with the first `n` entries blanked (when the series is long enough to spare them).
fn skip_warmup(values: &[Option<f64>], n: usize) -> Vec<Option<f64>> {
    let n = if values.len() > 2 * n { n } else { 0 };
    values
        .iter()
        .enumerate()
        .map(|(k, v)| if k < n { None } else { *v })
        .collect()
}

/// One file's loudness series (entry `k` is the reading at `(k + 1) * hop_s`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessTrack {
    /// Colour.
    pub role: Role,
    /// Legend name, e.g. "mix".
    pub label: String,
    /// Hop between entries, s.
    pub hop_s: f64,
    /// Short-term (3 s) loudness, LUFS (`None` below the gate / silence).
    pub short_term_lufs: Vec<Option<f64>>,
    /// Momentary (0.4 s) loudness, LUFS.
    pub momentary_lufs: Vec<Option<f64>>,
}

impl LoudnessTrack {
    /// The series of `a` under `role`'s name.
    pub fn of(role: Role, a: &Analysis) -> Self {
        Self {
            role,
            label: role.name().into(),
            hop_s: a.series.hop_s,
            short_term_lufs: a.series.short_term_lufs.clone(),
            momentary_lufs: a.series.momentary_lufs.clone(),
        }
    }

    /// Time of entry `k`, s.
    pub fn time_s(&self, k: usize) -> f64 {
        (k + 1) as f64 * self.hop_s
    }

    /// End time of the loudest short-term window and its loudness, LUFS.
    pub fn loudest(&self) -> Option<(f64, f64)> {
        self.short_term_lufs
            .iter()
            .enumerate()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, v)| (self.time_s(k), v))
    }
}

/// A marked span of time.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// Start, s.
    pub start_s: f64,
    /// End, s.
    pub end_s: f64,
    /// Legend text.
    pub label: String,
}

/// Input of the loudness plot.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessPlot {
    /// Series drawn (mix, output).
    pub tracks: Vec<LoudnessTrack>,
    /// Gain automation breakpoints.
    pub automation: Option<Vec<AutomationPoint>>,
    /// Integrated loudness target, LUFS.
    pub target_lufs: Option<f64>,
    /// The loudest passage, shaded.
    pub loudest: Option<Passage>,
}

impl LoudnessPlot {
    /// Mix and output series, the automation and target of `view`, and the mix's loudest
    /// 3 s marked.
    pub fn from_view(view: &ReportView) -> Self {
        let mut tracks = vec![LoudnessTrack::of(Role::Mix, &view.mix.analysis)];
        if let Some(o) = &view.output {
            tracks.push(LoudnessTrack::of(Role::Output, &o.analysis));
        }
        let loudest = tracks[0].loudest().map(|(end_s, lufs)| Passage {
            start_s: (end_s - SHORT_TERM_S).max(0.0),
            end_s,
            label: format!(
                "loudest 3 s of the mix, {} ({lufs:.1} LUFS)",
                mm_ss(end_s - SHORT_TERM_S / 2.0)
            ),
        });
        Self {
            tracks,
            automation: view.automation.clone(),
            target_lufs: view.target.as_ref().and_then(|t| t.integrated_lufs),
            loudest,
        }
    }

    fn duration_s(&self) -> f64 {
        let series = self
            .tracks
            .iter()
            .map(|t| t.time_s(t.short_term_lufs.len().max(1) - 1))
            .fold(0.0, f64::max);
        let auto = self
            .automation
            .iter()
            .flatten()
            .map(|p| p.time_s)
            .fold(0.0, f64::max);
        series.max(auto).max(1.0)
    }

    fn loudness_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        duration_s: f64,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        // (short-term, momentary) of each track without the meter's warm-up.
        let series: Vec<(Series, Series)> = self
            .tracks
            .iter()
            .map(|t| {
                (
                    skip_warmup(&t.short_term_lufs, SHORT_TERM_WARMUP_HOPS),
                    skip_warmup(&t.momentary_lufs, MOMENTARY_WARMUP_HOPS),
                )
            })
            .collect();
        let st_all = series.iter().flat_map(|s| s.0.iter().flatten());
        let m_all = series.iter().flat_map(|s| s.1.iter().flatten());
        let (st_lo, st_hi) =
            extent(st_all.chain(self.target_lufs.iter())).unwrap_or((-40.0, -10.0));
        let m_hi = extent(m_all).map_or(st_hi, |e| e.1);
        let hi = (st_hi.max(m_hi) / 5.0).ceil() * 5.0 + 2.0;
        // Short-term decides the floor; momentary dips below it are cut.
        let lo = (((st_lo - 8.0) / 5.0).floor() * 5.0).max(hi - SHOWN_RANGE_LU);
        let (w, _) = area.dim_in_pixel();
        let mut chart = ChartBuilder::on(area)
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(time_axis(duration_s, w), lo..hi)?;
        mesh(
            &mut chart,
            "time (min:s)",
            "loudness (LUFS)",
            &time_label,
            &|y| format!("{y:.0}"),
        )?;
        if let Some(p) = &self.loudest {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(p.start_s, lo), (p.end_s, hi)],
                style::HIGHLIGHT.filled(),
            )))?;
        }
        let clip = |v: &Option<f64>| v.map(|v| v.clamp(lo, hi));
        for (t, (_, m)) in self.tracks.iter().zip(&series) {
            let colour = t.role.colour();
            let m: Vec<Option<f64>> = m.iter().map(clip).collect();
            for seg in segments(&m, |k| t.time_s(k), style::MAX_POINTS) {
                chart.draw_series(LineSeries::new(seg, colour.mix(0.45).stroke_width(1)))?;
            }
        }
        for (t, (st, _)) in self.tracks.iter().zip(&series) {
            let colour = t.role.colour();
            let st: Vec<Option<f64>> = st.iter().map(clip).collect();
            for seg in segments(&st, |k| t.time_s(k), style::MAX_POINTS) {
                chart.draw_series(LineSeries::new(seg, colour.stroke_width(3)))?;
            }
        }
        if let Some(target) = self.target_lufs.filter(|t| (lo..=hi).contains(t)) {
            chart.draw_series(DashedLineSeries::new(
                [(0.0, target), (duration_s, target)],
                12,
                8,
                Role::Target.colour().stroke_width(2),
            ))?;
        }
        Ok(())
    }

    fn legend_entries(&self) -> Vec<LegendEntry> {
        let mut out = Vec::new();
        for t in &self.tracks {
            let c = t.role.colour();
            out.push(LegendEntry::new(
                Glyph::Line(c.to_rgba(), 3),
                format!("{} short-term (3 s)", t.label),
            ));
            out.push(LegendEntry::new(
                Glyph::Line(c.mix(0.45), 1),
                format!("{} momentary (0.4 s)", t.label),
            ));
        }
        if let Some(t) = self.target_lufs {
            out.push(LegendEntry::new(
                Glyph::Dashed(Role::Target.colour()),
                format!("target {t:.1} LUFS integrated"),
            ));
        }
        if let Some(p) = &self.loudest {
            out.push(LegendEntry::new(
                Glyph::Box(style::HIGHLIGHT.to_rgba()),
                p.label.clone(),
            ));
        }
        if self.automation.as_ref().is_some_and(|a| !a.is_empty()) {
            out.push(LegendEntry::new(
                Glyph::Line(style::AUTOMATION_COLOUR.to_rgba(), 3),
                "gain automation (lower panel)",
            ));
        }
        out
    }

    fn automation_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        duration_s: f64,
        points: &[AutomationPoint],
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let peak = points.iter().map(|p| p.gain_db.abs()).fold(0.0, f64::max);
        let span = (peak + 0.5).max(1.0).ceil();
        let (w, _) = area.dim_in_pixel();
        let mut chart = ChartBuilder::on(area)
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(time_axis(duration_s, w), -span..span)?;
        mesh(
            &mut chart,
            "time (min:s)",
            "automation (dB)",
            &time_label,
            &signed_tick,
        )?;
        let mut pts: Vec<(f64, f64)> = Vec::with_capacity(points.len() + 2);
        if let Some(first) = points.first() {
            pts.push((0.0, first.gain_db));
        }
        let step = points.len().div_ceil(style::MAX_POINTS).max(1);
        pts.extend(points.iter().step_by(step).map(|p| (p.time_s, p.gain_db)));
        if let Some(last) = points.last() {
            pts.push((last.time_s, last.gain_db));
            pts.push((duration_s, last.gain_db));
        }
        chart.draw_series(LineSeries::new(
            pts,
            style::AUTOMATION_COLOUR.stroke_width(3),
        ))?;
        Ok(())
    }
}

impl Plot for LoudnessPlot {
    fn id(&self) -> PlotId {
        PlotId::Loudness
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let names: Vec<&str> = self.tracks.iter().map(|t| t.label.as_str()).collect();
        let area = titled(
            root,
            &format!("Loudness over time: {}", names.join(" and ")),
        )?;
        let area = legend_strip(&area, &self.legend_entries())?;
        let duration_s = self.duration_s();
        match self.automation.as_deref() {
            Some(points) if !points.is_empty() => {
                let (_, h) = area.dim_in_pixel();
                let (top, bottom) = area.split_vertically(h * 7 / 10);
                self.loudness_panel(&top, duration_s)?;
                self.automation_panel(&bottom, duration_s, points)?;
            }
            _ => self.loudness_panel(&area, duration_s)?,
        }
        Ok(())
    }
}
