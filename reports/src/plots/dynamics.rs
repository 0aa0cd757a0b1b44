//! Dynamics plot: crest factor, PLR and LRA of mix, reference, output and target as
//! grouped bars with their values written on top.
use coda_analysis::Analysis;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{legend_strip, mesh, titled, DrawResult, Glyph, LegendEntry, Plot, PlotId, TickAxis};
use crate::style::{self, Role, FONT};
use crate::view::ReportView;

/// Dynamics figures of one file or of the target.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicsEntry {
    /// Colour (the target is drawn as an outline).
    pub role: Role,
    /// Legend name.
    pub label: String,
    /// Crest factor (sample peak over RMS), dB.
    pub crest_db: Option<f64>,
    /// Peak-to-loudness ratio, dB.
    pub plr_db: Option<f64>,
    /// Loudness range, LU.
    pub lra_lu: Option<f64>,
}

impl DynamicsEntry {
    /// Figures of `a` under `role`'s name.
    pub fn of(role: Role, a: &Analysis) -> Self {
        Self {
            role,
            label: role.name().into(),
            crest_db: a.dynamics.crest_db,
            plr_db: a.dynamics.plr_db,
            lra_lu: a.loudness.range_lu,
        }
    }

    fn values(&self) -> [Option<f64>; 3] {
        [self.crest_db, self.plr_db, self.lra_lu]
    }
}

/// Input of the dynamics plot.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicsPlot {
    /// Bars in legend order.
    pub entries: Vec<DynamicsEntry>,
}

impl DynamicsPlot {
    /// Mix, reference, output and (when it sets any of the three) target.
    pub fn from_view(view: &ReportView) -> Self {
        let mut entries: Vec<DynamicsEntry> = view
            .sources()
            .into_iter()
            .map(|(role, s)| DynamicsEntry::of(role, &s.analysis))
            .collect();
        if let Some(t) = &view.target {
            if t.crest_db.is_some() || t.plr_db.is_some() || t.range_lu.is_some() {
                entries.push(DynamicsEntry {
                    role: Role::Target,
                    label: "target".into(),
                    crest_db: t.crest_db,
                    plr_db: t.plr_db,
                    lra_lu: t.range_lu,
                });
            }
        }
        Self { entries }
    }
}

const METRICS: [&str; 3] = ["crest factor (dB)", "PLR (dB)", "loudness range LRA (LU)"];

impl Plot for DynamicsPlot {
    fn id(&self) -> PlotId {
        PlotId::Dynamics
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(
            root,
            "Dynamics: crest factor, peak-to-loudness ratio, loudness range",
        )?;
        let entries: Vec<LegendEntry> = self
            .entries
            .iter()
            .map(|e| {
                let glyph = if e.role == Role::Target {
                    Glyph::Outline(e.role.colour())
                } else {
                    Glyph::Box(e.role.colour().to_rgba())
                };
                LegendEntry::new(glyph, e.label.clone())
            })
            .collect();
        let area = legend_strip(&area, &entries)?;
        let top = self
            .entries
            .iter()
            .flat_map(|e| e.values())
            .flatten()
            .fold(10.0, f64::max);
        let hi = (top * 1.15 / 5.0).ceil() * 5.0;
        let mut chart = ChartBuilder::on(&area)
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(TickAxis::new(-0.5, 2.5, vec![0.0, 1.0, 2.0]), 0.0..hi)?;
        mesh(
            &mut chart,
            "measure",
            "dB (LRA in LU)",
            &|x: &f64| {
                METRICS
                    .get(x.round().max(0.0) as usize)
                    .copied()
                    .unwrap_or("")
                    .to_string()
            },
            &|y| format!("{y:.0}"),
        )?;
        let slot = 0.8 / self.entries.len().max(1) as f64;
        for (j, e) in self.entries.iter().enumerate() {
            let colour = e.role.colour();
            let style = if e.role == Role::Target {
                colour.stroke_width(3)
            } else {
                colour.filled()
            };
            let mut bars = Vec::new();
            let mut labels = Vec::new();
            for (g, v) in e.values().into_iter().enumerate() {
                let Some(v) = v else { continue };
                let x0 = g as f64 - 0.4 + j as f64 * slot + 0.01;
                let x1 = x0 + slot - 0.02;
                let shown = v.clamp(0.0, hi);
                if e.role == Role::Target {
                    bars.push(Rectangle::new(
                        [(x0, 0.0), (x1, shown)],
                        colour.mix(0.12).filled(),
                    ));
                }
                bars.push(Rectangle::new([(x0, 0.0), (x1, shown)], style));
                labels.push(Text::new(
                    format!("{v:.1}"),
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
}
