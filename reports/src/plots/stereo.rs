//! Stereo plot: side-to-mid level per band of mix, reference and output as grouped bars,
//! and L/R correlation over time.
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    legend_strip, mesh, moving_average, time_axis, time_label, titled, DrawResult, Glyph,
    LegendEntry, Plot, PlotId, TickAxis,
};
use crate::decimate::segments;
use crate::style::{self, freq_text, Role, FONT};
use crate::view::ReportView;

/// Bars bottom out here: side this far under mid is effectively mono, dB.
const WIDTH_FLOOR_DB: f64 = -40.0;
/// Half-width of the correlation smoothing, hops (1.5 s either side: a 3 s average).
const CORRELATION_SMOOTH_HOPS: usize = 15;

/// Side-to-mid per band of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct WidthBars {
    /// Colour.
    pub role: Role,
    /// Legend name.
    pub label: String,
    /// Side over mid per band, dB (`None`: mono or silent band).
    pub side_to_mid_db: Vec<Option<f64>>,
}

/// Correlation over time of one file (entry `k` at `(k + 1) * hop_s`).
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationTrack {
    /// Colour.
    pub role: Role,
    /// Legend name.
    pub label: String,
    /// Hop, s.
    pub hop_s: f64,
    /// L/R correlation, -1..1.
    pub correlation: Vec<Option<f64>>,
}

/// Input of the stereo plot.
#[derive(Debug, Clone, PartialEq)]
pub struct StereoPlot {
    /// Band edges (lo, hi), Hz.
    pub bands_hz: Vec<(f64, f64)>,
    /// Bars per file.
    pub width: Vec<WidthBars>,
    /// Correlation series (mix, output).
    pub correlation: Vec<CorrelationTrack>,
}

impl StereoPlot {
    /// Bands of the mix; bars for mix, reference and output; correlation of mix and output.
    pub fn from_view(view: &ReportView) -> Self {
        let bands_hz = view
            .mix
            .analysis
            .stereo
            .bands
            .iter()
            .map(|b| (b.lo_hz, b.hi_hz))
            .collect();
        let width = view
            .sources()
            .into_iter()
            .map(|(role, s)| WidthBars {
                role,
                label: role.name().into(),
                side_to_mid_db: s
                    .analysis
                    .stereo
                    .bands
                    .iter()
                    .map(|b| b.side_to_mid_db)
                    .collect(),
            })
            .collect();
        let correlation = view
            .sources()
            .into_iter()
            .filter(|(role, _)| *role != Role::Reference)
            .map(|(role, s)| CorrelationTrack {
                role,
                label: role.name().into(),
                hop_s: s.analysis.series.hop_s,
                correlation: s.analysis.series.correlation.clone(),
            })
            .collect();
        Self {
            bands_hz,
            width,
            correlation,
        }
    }

    fn band_name(&self, i: usize) -> String {
        let Some(&(lo, hi)) = self.bands_hz.get(i) else {
            return String::new();
        };
        if i == 0 {
            format!("lows < {}", freq_text(hi))
        } else if i + 1 == self.bands_hz.len() {
            format!("highs > {}", freq_text(lo))
        } else {
            format!("mids {}-{}", freq_text(lo), freq_text(hi))
        }
    }

    fn bars_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = self.bands_hz.len().max(1);
        let top = self
            .width
            .iter()
            .flat_map(|w| w.side_to_mid_db.iter().flatten())
            .fold(WIDTH_FLOOR_DB, |a, &b| a.max(b));
        let hi = ((top + 5.0) / 5.0).ceil() * 5.0;
        let hi = hi.max(0.0);
        let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut chart = ChartBuilder::on(area)
            .caption("Width per band", (FONT, style::CAPTION_PX))
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(
                TickAxis::new(-0.5, n as f64 - 0.5, keys),
                WIDTH_FLOOR_DB..hi,
            )?;
        mesh(
            &mut chart,
            "frequency band",
            "side relative to mid (dB)",
            &|x: &f64| self.band_name(x.round().max(0.0) as usize),
            &|y| format!("{y:.0}"),
        )?;
        let m = self.width.len().max(1) as f64;
        let slot = 0.8 / m;
        for (j, w) in self.width.iter().enumerate() {
            let colour = w.role.colour();
            let mut bars = Vec::new();
            let mut labels = Vec::new();
            for (g, v) in w.side_to_mid_db.iter().enumerate() {
                let x0 = g as f64 - 0.4 + j as f64 * slot + 0.01;
                let x1 = x0 + slot - 0.02;
                let Some(v) = *v else { continue };
                let shown = v.clamp(WIDTH_FLOOR_DB, hi);
                bars.push(Rectangle::new(
                    [(x0, WIDTH_FLOOR_DB), (x1, shown)],
                    colour.filled(),
                ));
                let text = if v <= WIDTH_FLOOR_DB {
                    "mono".to_string()
                } else {
                    // Avoid "-0".
                    format!("{:.0}", if v.abs() < 0.5 { 0.0 } else { v })
                };
                labels.push(Text::new(
                    text,
                    ((x0 + x1) / 2.0, shown),
                    (FONT, style::TICK_PX)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                ));
            }
            chart.draw_series(bars)?;
            chart.draw_series(labels)?;
        }
        Ok(())
    }

    fn correlation_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let duration_s = self
            .correlation
            .iter()
            .map(|t| t.hop_s * t.correlation.len() as f64)
            .fold(1.0, f64::max);
        let (w, _) = area.dim_in_pixel();
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Correlation over time (3 s average)",
                (FONT, style::CAPTION_PX),
            )
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(time_axis(duration_s, w), -1.0..1.05)?;
        mesh(
            &mut chart,
            "time (min:s)",
            "L/R correlation",
            &time_label,
            &|y| format!("{y:.1}"),
        )?;
        chart.draw_series(DashedLineSeries::new(
            [(0.0, 0.0), (duration_s, 0.0)],
            10,
            6,
            RGBColor(0x77, 0x77, 0x77).stroke_width(1),
        ))?;
        for t in &self.correlation {
            let colour = t.role.colour();
            let smooth = moving_average(&t.correlation, CORRELATION_SMOOTH_HOPS);
            let hop = t.hop_s;
            for seg in segments(&smooth, |k| (k + 1) as f64 * hop, style::MAX_POINTS) {
                chart.draw_series(LineSeries::new(seg, colour.stroke_width(2)))?;
            }
        }
        Ok(())
    }
}

impl Plot for StereoPlot {
    fn id(&self) -> PlotId {
        PlotId::Stereo
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(root, "Stereo width: side level per band, and correlation")?;
        let mut entries: Vec<LegendEntry> = self
            .width
            .iter()
            .map(|w| LegendEntry::new(Glyph::Box(w.role.colour().to_rgba()), w.label.clone()))
            .collect();
        for t in &self.correlation {
            if !self.width.iter().any(|w| w.role == t.role) {
                entries.push(LegendEntry::new(
                    Glyph::Line(t.role.colour().to_rgba(), 2),
                    t.label.clone(),
                ));
            }
        }
        let area = legend_strip(&area, &entries)?;
        let (w, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(w * 9 / 20);
        self.bars_panel(&left)?;
        self.correlation_panel(&right)?;
        Ok(())
    }
}
