//! Gain-reduction plot: how far the limiter and each compressor band turn the signal down
//! over time (drawn downwards from 0 dB, as on a console meter).
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    legend_strip, mesh, no_data, time_axis, time_label, titled, DrawResult, Glyph, LegendEntry,
    Plot, PlotId,
};
use crate::decimate::segments_f32;
use crate::style;
use crate::view::{GainTrace, ReportView};

/// Input of the gain-reduction plot.
#[derive(Debug, Clone, PartialEq)]
pub struct GainReductionPlot {
    /// Traces in legend order (limiter first).
    pub traces: Vec<GainTrace>,
}

impl GainReductionPlot {
    /// The view's traces, or `None` when it has none (no render, e.g. `coda analyze`).
    pub fn from_view(view: &ReportView) -> Option<Self> {
        (!view.gain_reduction.is_empty()).then(|| Self {
            traces: view.gain_reduction.clone(),
        })
    }
}

impl Plot for GainReductionPlot {
    fn id(&self) -> PlotId {
        PlotId::GainReduction
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(root, "Gain reduction over time")?;
        let duration_s = self
            .traces
            .iter()
            .map(|t| t.hop_s * t.reduction_db.len() as f64)
            .fold(0.0, f64::max);
        let deepest = self
            .traces
            .iter()
            .flat_map(|t| t.reduction_db.iter())
            .map(|&r| f64::from(r))
            .filter(|r| r.is_finite())
            .fold(0.0, f64::max);
        if duration_s <= 0.0 {
            no_data(&area, "no gain-reduction data")?;
            return Ok(());
        }
        let entries: Vec<LegendEntry> = self
            .traces
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let colour = style::TRACE_COLOURS[i % style::TRACE_COLOURS.len()];
                let max = t.reduction_db.iter().copied().fold(0.0f32, f32::max);
                LegendEntry::new(
                    Glyph::Line(colour.to_rgba(), 2),
                    format!("{} (max {max:.1} dB)", t.label),
                )
            })
            .collect();
        let area = legend_strip(&area, &entries)?;
        let floor = -((deepest + 1.0).max(3.0).ceil());
        let (w, _) = area.dim_in_pixel();
        let mut chart = ChartBuilder::on(&area)
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(time_axis(duration_s, w), floor..0.5)?;
        mesh(
            &mut chart,
            "time (min:s)",
            "gain reduction (dB)",
            &time_label,
            &|y| format!("{y:.0}"),
        )?;
        for (i, t) in self.traces.iter().enumerate() {
            let colour = style::TRACE_COLOURS[i % style::TRACE_COLOURS.len()];
            let down: Vec<f32> = t.reduction_db.iter().map(|&r| -r.max(0.0)).collect();
            let hop = t.hop_s;
            for seg in segments_f32(&down, |k| (k as f64 + 0.5) * hop, style::MAX_POINTS) {
                chart.draw_series(LineSeries::new(seg, colour.stroke_width(2)))?;
            }
        }
        if deepest < 0.05 {
            let (w, h) = area.dim_in_pixel();
            area.draw(&Text::new(
                "no gain reduction: the dynamics stages never engaged",
                (w as i32 / 2 - 260, h as i32 / 2),
                (style::FONT, style::CAPTION_PX),
            ))?;
        }
        Ok(())
    }
}
