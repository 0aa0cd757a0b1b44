//! Loudness-distribution plot: the share of time spent at each short-term loudness (1 LU
//! bins) for mix, reference and output, with each file's integrated loudness marked.
use coda_analysis::Analysis;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    extent, legend_strip, mesh, no_data, titled, DrawResult, Glyph, LegendEntry, Plot, PlotId,
};
use crate::style::Role;
use crate::view::ReportView;

/// Bin width, LU.
const BIN_LU: f64 = 1.0;
/// Readings before the first full 3 s window hold the meter's start-up silence; skipped.
const SKIP_HOPS: usize = 29;
/// Widest span shown below the loudest bin, LU.
const SHOWN_RANGE_LU: f64 = 40.0;

/// One file's short-term loudness readings.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionTrack {
    /// Colour.
    pub role: Role,
    /// Legend name.
    pub label: String,
    /// Short-term loudness every hop, LUFS.
    pub short_term_lufs: Vec<Option<f64>>,
    /// Integrated loudness, LUFS (marked with a dashed line).
    pub integrated_lufs: Option<f64>,
}

impl DistributionTrack {
    /// The readings of `a` under `role`'s name.
    pub fn of(role: Role, a: &Analysis) -> Self {
        Self {
            role,
            label: role.name().into(),
            short_term_lufs: a.series.short_term_lufs.clone(),
            integrated_lufs: a.loudness.integrated_lufs,
        }
    }

    fn readings(&self) -> impl Iterator<Item = f64> + '_ {
        let skip = if self.short_term_lufs.len() > 2 * SKIP_HOPS {
            SKIP_HOPS
        } else {
            0
        };
        self.short_term_lufs
            .iter()
            .skip(skip)
            .flatten()
            .copied()
            .filter(|v| v.is_finite() && *v > -70.0)
    }
}

/// Input of the distribution plot.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionPlot {
    /// Tracks (mix, reference, output).
    pub tracks: Vec<DistributionTrack>,
}

impl DistributionPlot {
    /// Every measured file of `view`.
    pub fn from_view(view: &ReportView) -> Self {
        Self {
            tracks: view
                .sources()
                .into_iter()
                .map(|(role, s)| DistributionTrack::of(role, &s.analysis))
                .collect(),
        }
    }
}

impl Plot for DistributionPlot {
    fn id(&self) -> PlotId {
        PlotId::Distribution
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(root, "Short-term loudness distribution")?;
        let entries: Vec<LegendEntry> = self
            .tracks
            .iter()
            .map(|t| {
                let text = match t.integrated_lufs {
                    Some(i) => format!("{} (integrated {i:.1} LUFS, dashed)", t.label),
                    None => t.label.clone(),
                };
                LegendEntry::new(Glyph::Line(t.role.colour().to_rgba(), 3), text)
            })
            .collect();
        let area = legend_strip(&area, &entries)?;
        let mut all: Vec<f64> = self.tracks.iter().flat_map(|t| t.readings()).collect();
        let Some((_, hi_v)) = extent(all.iter()) else {
            no_data(&area, "no audible short-term loudness")?;
            return Ok(());
        };
        // Fade-outs leave a thin tail of quiet readings: start at the 1st percentile.
        all.sort_by(f64::total_cmp);
        let lo_v = all[all.len() / 100];
        let hi = (hi_v / BIN_LU).ceil() * BIN_LU + 2.0;
        let lo = ((lo_v / BIN_LU).floor() * BIN_LU - 2.0).max(hi - SHOWN_RANGE_LU);
        let bins = ((hi - lo) / BIN_LU).round() as usize;
        let hists: Vec<Vec<f64>> = self
            .tracks
            .iter()
            .map(|t| {
                let mut h = vec![0.0; bins];
                let mut n = 0usize;
                for v in t.readings() {
                    n += 1;
                    let b = ((v - lo) / BIN_LU).floor();
                    if b >= 0.0 && (b as usize) < bins {
                        h[b as usize] += 1.0;
                    }
                }
                h.iter_mut().for_each(|c| *c *= 100.0 / n.max(1) as f64);
                h
            })
            .collect();
        let peak = hists.iter().flatten().fold(1.0, |a: f64, &b| a.max(b));
        let y_hi = (peak * 1.15 / 2.0).ceil() * 2.0;
        let mut chart = ChartBuilder::on(&area)
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(lo..hi, 0.0..y_hi)?;
        mesh(
            &mut chart,
            "short-term loudness (LUFS)",
            "share of time (%)",
            &|x| format!("{x:.0}"),
            &|y| format!("{y:.0}"),
        )?;
        for (t, h) in self.tracks.iter().zip(&hists) {
            let colour = t.role.colour();
            let mut outline = vec![(lo, 0.0)];
            for (b, &v) in h.iter().enumerate() {
                let x0 = lo + b as f64 * BIN_LU;
                outline.push((x0, v));
                outline.push((x0 + BIN_LU, v));
            }
            outline.push((hi, 0.0));
            chart.draw_series(AreaSeries::new(outline.clone(), 0.0, colour.mix(0.12)))?;
            chart.draw_series(LineSeries::new(outline, colour.stroke_width(3)))?;
            if let Some(i) = t.integrated_lufs.filter(|i| (lo..=hi).contains(i)) {
                chart.draw_series(DashedLineSeries::new(
                    [(i, 0.0), (i, y_hi)],
                    10,
                    6,
                    colour.stroke_width(2),
                ))?;
            }
        }
        Ok(())
    }
}
