//! Spectrum plot: smoothed long-term mid and side spectra of mix, reference and output
//! (the reference level-matched to the mix, the output to the reference), and the fitted
//! EQ curve on its own axis.
use coda_analysis::Analysis;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    extent, freq_axis, freq_label, fx, legend_strip, mesh, no_data, signed_tick, titled,
    DrawResult, Glyph, LegendEntry, Plot, PlotId,
};
use crate::style::{self, Role, FONT};
use crate::tone;
use crate::view::ReportView;

/// Range shown below the loudest point of the spectra, dB.
const SHOWN_RANGE_DB: f64 = 60.0;

/// One file's smoothed spectra as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumCurve {
    /// Colour and order.
    pub role: Role,
    /// Legend text.
    pub label: String,
    /// Mid level at each frequency, dB.
    pub mid_db: Vec<Option<f64>>,
    /// Side level at each frequency, dB (all `None` for mono).
    pub side_db: Vec<Option<f64>>,
}

/// Input of the spectrum plot.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumPlot {
    /// Frequencies of every curve's points, Hz.
    pub freqs_hz: Vec<f64>,
    /// Curves, drawn in order (the mix last, on top).
    pub curves: Vec<SpectrumCurve>,
    /// EQ response as (frequency Hz, gain dB) points.
    pub eq_curve: Option<Vec<(f64, f64)>>,
    /// Mix minus level-matched reference at each frequency, dB (what the diagnosis reads).
    pub difference_db: Option<Vec<Option<f64>>>,
}

impl SpectrumPlot {
    /// From the analyses: fine curves smoothed to ~1/3 octave; the reference shifted by its
    /// level-match offset against the mix, the output by its offset against the reference
    /// (against the mix without one; see [`tone::compare`]).
    pub fn from_analyses(
        mix: &Analysis,
        reference: Option<&Analysis>,
        output: Option<&Analysis>,
        eq_curve: Option<Vec<(f64, f64)>>,
    ) -> Self {
        let smooth = |v: &[Option<f64>], offset: f64| -> Vec<Option<f64>> {
            tone::smooth(v, tone::SMOOTH_HALF_POINTS)
                .into_iter()
                .map(|x| x.map(|x| x + offset))
                .collect()
        };
        let mut curves = Vec::new();
        let offset_to = |anchor: &Analysis, a: &Analysis| {
            tone::compare(&anchor.spectrum, &a.spectrum).map_or(0.0, |c| c.offset_db)
        };
        let ref_offset = reference.map(|r| offset_to(mix, r));
        for (role, a) in [(Role::Reference, reference), (Role::Output, output)] {
            let Some(a) = a else { continue };
            // The output is matched to the reference when there is one (it was mastered
            // toward it, so the two should lie on each other where the tone matches; matched
            // to the mix, it would sit wherever the EQ moved most of the spectrum).
            let offset = match (role, reference, ref_offset) {
                (Role::Output, Some(r), Some(ro)) => ro + offset_to(r, a),
                _ => offset_to(mix, a),
            };
            curves.push(SpectrumCurve {
                role,
                label: format!(
                    "{} (level-matched {} dB)",
                    role.name(),
                    style::signed(offset)
                ),
                mid_db: smooth(&a.spectrum.fine_mid_db, offset),
                side_db: smooth(&a.spectrum.fine_side_db, offset),
            });
        }
        let difference_db = reference
            .and_then(|r| tone::compare(&mix.spectrum, &r.spectrum))
            .map(|c| c.diff_db);
        curves.push(SpectrumCurve {
            role: Role::Mix,
            label: "mix".into(),
            mid_db: smooth(&mix.spectrum.fine_mid_db, 0.0),
            side_db: smooth(&mix.spectrum.fine_side_db, 0.0),
        });
        Self {
            freqs_hz: mix.spectrum.fine_hz.clone(),
            curves,
            eq_curve,
            difference_db,
        }
    }

    /// From a report view.
    pub fn from_view(view: &ReportView) -> Self {
        Self::from_analyses(
            &view.mix.analysis,
            view.reference.as_ref().map(|s| &s.analysis),
            view.output.as_ref().map(|s| &s.analysis),
            view.eq_curve.clone(),
        )
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        pick: impl Fn(&SpectrumCurve) -> &[Option<f64>],
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let Some((_, top)) = extent(self.curves.iter().flat_map(|c| pick(c).iter().flatten()))
        else {
            let (w, _) = area.dim_in_pixel();
            let (head, body) = area.split_vertically(40);
            head.draw(&Text::new(
                caption.to_string(),
                (w as i32 / 2 - 60, 10),
                (FONT, style::CAPTION_PX),
            ))?;
            no_data(&body, "no side signal (mono)")?;
            return Ok(());
        };
        let hi = (top / 5.0).ceil() * 5.0 + 5.0;
        let lo = hi - SHOWN_RANGE_DB;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, style::CAPTION_PX))
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(freq_axis(), lo..hi)?;
        mesh(
            &mut chart,
            "frequency (Hz)",
            "level (dB)",
            &freq_label,
            &|y| format!("{y:.0}"),
        )?;
        for c in &self.curves {
            let width = if c.role == Role::Mix { 3 } else { 2 };
            let colour = c.role.colour();
            let values = pick(c);
            let pts: Vec<Option<f64>> = values
                .iter()
                .map(|v| v.filter(|v| *v >= lo && *v <= hi))
                .collect();
            let segs = crate::decimate::segments(&pts, |k| fx(self.freqs_hz[k]), style::MAX_POINTS);
            for seg in segs {
                chart.draw_series(LineSeries::new(seg, colour.stroke_width(width)))?;
            }
        }
        Ok(())
    }

    /// Whether the lower right panel (difference and / or EQ) has anything to show.
    fn has_difference_panel(&self) -> bool {
        self.eq_curve.as_ref().is_some_and(|e| !e.is_empty())
            || self
                .difference_db
                .as_ref()
                .is_some_and(|d| d.iter().any(Option::is_some))
    }

    fn difference_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let eq = self.eq_curve.as_deref().unwrap_or(&[]);
        let diff = self.difference_db.as_deref().unwrap_or(&[]);
        let peak = eq
            .iter()
            .map(|p| p.1.abs())
            .chain(diff.iter().flatten().map(|d| d.abs()))
            .fold(0.0, f64::max);
        let span = (peak + 1.0).max(3.0).ceil();
        let caption = match (eq.is_empty(), diff.is_empty()) {
            (false, false) => "Mix minus reference, and coda's EQ",
            (false, true) => "EQ applied by coda",
            _ => "Mix minus reference",
        };
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, style::CAPTION_PX))
            .margin(8)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(freq_axis(), -span..span)?;
        mesh(
            &mut chart,
            "frequency (Hz)",
            "difference, EQ gain (dB)",
            &freq_label,
            &signed_tick,
        )?;
        if !diff.is_empty() {
            // Differences inside this band are not reported by the diagnosis.
            let t = crate::diagnosis::TONE_THRESHOLD_DB;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(fx(20.0), -t), (fx(20_000.0), t)],
                RGBColor(0xEE, 0xEE, 0xEE).filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(
            [(fx(20.0), 0.0), (fx(20_000.0), 0.0)],
            RGBColor(0x88, 0x88, 0x88).stroke_width(1),
        ))?;
        let clipped: Vec<Option<f64>> = diff
            .iter()
            .map(|d| d.map(|d| d.clamp(-span, span)))
            .collect();
        for seg in crate::decimate::segments(&clipped, |k| fx(self.freqs_hz[k]), style::MAX_POINTS)
        {
            chart.draw_series(LineSeries::new(seg, Role::Mix.colour().stroke_width(3)))?;
        }
        let pts: Vec<(f64, f64)> = eq
            .iter()
            .filter(|p| p.0 >= 20.0 && p.0 <= 20_000.0 && p.1.is_finite())
            .map(|p| (fx(p.0), p.1.clamp(-span, span)))
            .collect();
        let step = pts.len().div_ceil(style::MAX_POINTS).max(1);
        chart.draw_series(LineSeries::new(
            pts.into_iter().step_by(step),
            style::EQ_COLOUR.stroke_width(3),
        ))?;
        Ok(())
    }
}

impl Plot for SpectrumPlot {
    fn id(&self) -> PlotId {
        PlotId::Spectrum
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let mut names: Vec<&str> = self.curves.iter().map(|c| c.role.name()).collect();
        names.sort_by_key(|n| ["mix", "reference", "output"].iter().position(|x| x == n));
        let title = match names.as_slice() {
            [one] => format!("Spectrum of the {one}"),
            [rest @ .., last] => format!("Spectrum: {} and {last}", rest.join(", ")),
            [] => "Spectrum".into(),
        };
        let area = titled(root, &title)?;
        let mut entries: Vec<LegendEntry> = ["mix", "reference", "output"]
            .iter()
            .filter_map(|n| self.curves.iter().find(|c| c.role.name() == *n))
            .map(|c| {
                let w = if c.role == Role::Mix { 3 } else { 2 };
                LegendEntry::new(Glyph::Line(c.role.colour().to_rgba(), w), c.label.clone())
            })
            .collect();
        if self.difference_db.is_some() {
            entries.push(LegendEntry::new(
                Glyph::Box(RGBColor(0xEE, 0xEE, 0xEE).to_rgba()),
                format!(
                    "within {} dB of the reference",
                    crate::diagnosis::TONE_THRESHOLD_DB
                ),
            ));
        }
        if self.eq_curve.as_ref().is_some_and(|e| !e.is_empty()) {
            entries.push(LegendEntry::new(
                Glyph::Line(style::EQ_COLOUR.to_rgba(), 3),
                "EQ applied by coda",
            ));
        }
        let area = legend_strip(&area, &entries)?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h * 3 / 5);
        self.panel(&top, "Mid (centre)", |c| &c.mid_db)?;
        if self.has_difference_panel() {
            let (w, _) = bottom.dim_in_pixel();
            let (side, right) = bottom.split_horizontally(w / 2);
            self.panel(&side, "Side (width)", |c| &c.side_db)?;
            self.difference_panel(&right)?;
        } else {
            self.panel(&bottom, "Side (width)", |c| &c.side_db)?;
        }
        Ok(())
    }
}
