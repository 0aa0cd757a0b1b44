//! The report's plots, one file each. Every plot is a plain input struct implementing
//! [`Plot`]: `draw` works on any plotters backend; `svg()` renders 1200x600 SVG into a
//! `String` and `png(path)` rasterises that SVG.
use std::path::Path;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::style::{self, freq_tick, mm_ss, FONT};
use crate::view::ReportView;

mod distribution;
mod dynamics;
mod gain_reduction;
mod loudness;
mod spectrum;
mod stereo;

pub use distribution::{DistributionPlot, DistributionTrack};
pub use dynamics::{DynamicsEntry, DynamicsPlot};
pub use gain_reduction::GainReductionPlot;
pub use loudness::{LoudnessPlot, LoudnessTrack, Passage};
pub use spectrum::{SpectrumCurve, SpectrumPlot};
pub use stereo::{CorrelationTrack, StereoPlot, WidthBars};

/// Result of drawing on a plotters backend (its error boxed).
pub type DrawResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Which plot; names its SVG file, its HTML anchor and the diagnosis findings tied to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlotId {
    /// Long-term spectra of mix, reference and output, with the EQ curve.
    Spectrum,
    /// Short-term and momentary loudness over time, automation, target.
    Loudness,
    /// Gain reduction of the limiter and compressor bands over time.
    GainReduction,
    /// Stereo width per band and correlation over time.
    Stereo,
    /// Crest factor, PLR and LRA.
    Dynamics,
    /// Distribution of short-term loudness.
    Distribution,
}

impl PlotId {
    /// Every plot, in report order.
    pub const ALL: [PlotId; 6] = [
        PlotId::Spectrum,
        PlotId::Loudness,
        PlotId::GainReduction,
        PlotId::Stereo,
        PlotId::Dynamics,
        PlotId::Distribution,
    ];

    /// File stem and anchor name, e.g. `gain-reduction` (`plots/gain-reduction.svg`,
    /// `#plot-gain-reduction`).
    pub fn slug(self) -> &'static str {
        match self {
            PlotId::Spectrum => "spectrum",
            PlotId::Loudness => "loudness",
            PlotId::GainReduction => "gain-reduction",
            PlotId::Stereo => "stereo",
            PlotId::Dynamics => "dynamics",
            PlotId::Distribution => "loudness-distribution",
        }
    }

    /// Heading in the report.
    pub fn heading(self) -> &'static str {
        match self {
            PlotId::Spectrum => "Tonal balance (spectrum)",
            PlotId::Loudness => "Loudness over time",
            PlotId::GainReduction => "Gain reduction",
            PlotId::Stereo => "Stereo width",
            PlotId::Dynamics => "Dynamics",
            PlotId::Distribution => "Loudness distribution",
        }
    }

    /// One or two sentences telling a composer how to read the plot.
    pub fn how_to_read(self) -> &'static str {
        match self {
            PlotId::Spectrum => {
                "Average level per frequency, smoothed to about 1/3 octave. The reference is \
                 shifted to the mix's level and the output to the reference's, so only the \
                 tonal shape differs: where the mix line lies above the reference, the mix has \
                 more of that register; where the output lies on the reference, the master \
                 matches its tone. Mid is what both speakers share (the centre); side is the \
                 difference between them (the width). The lower right panel shows the mix \
                 minus the reference (above zero: the mix has more) and the EQ coda applies, \
                 which leans the other way; the grey band is too small a difference to report."
            }
            PlotId::Loudness => {
                "Loudness as a listener perceives it, in LUFS (higher is louder). The thick \
                 line follows 3-second stretches (short-term), the thin one 0.4-second moments. \
                 The shaded span is the loudest passage, where the limiter and compressors are \
                 set to just begin working. The lower panel is the gentle volume automation \
                 applied before the processors."
            }
            PlotId::GainReduction => {
                "How many dB each dynamics stage turns the signal down over time. Zero means \
                 the stage is not working; short dips of 1-3 dB on the loudest peaks are the \
                 intended gentle touch, long deep valleys would mean over-compression."
            }
            PlotId::Stereo => {
                "Left: how wide each register is, as side level relative to mid level (higher \
                 is wider; below about -15 dB is nearly mono). Focused lows and wide mids and \
                 highs are the usual goal. Right: correlation of left and right over time: \
                 1 is mono, 0 is very wide, below 0 parts cancel when played in mono."
            }
            PlotId::Dynamics => {
                "Crest factor (peak over average level) and PLR (true peak over integrated \
                 loudness) say how much the peaks stand out: lower means more compressed. \
                 LRA (loudness range) says how far soft and loud passages lie apart."
            }
            PlotId::Distribution => {
                "How much of the time the music spends at each short-term loudness. A narrow \
                 hill means an even, dense level; a wide one means large dynamics. The dashed \
                 lines mark each file's integrated loudness."
            }
        }
    }
}

/// A plot: plain input data that draws itself.
pub trait Plot {
    /// Which plot this is.
    fn id(&self) -> PlotId;

    /// Draws the whole plot (title, panels, legend) on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;

    /// The plot as a 1200x600 SVG document.
    fn svg(&self) -> Result<String> {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (style::WIDTH_PX, style::HEIGHT_PX))
                .into_drawing_area();
            let err = |e: &dyn std::fmt::Display| Error::Plot {
                plot: self.id().slug(),
                reason: e.to_string(),
            };
            root.fill(&WHITE).map_err(|e| err(&e))?;
            self.draw(&root).map_err(|e| err(&e))?;
            root.present().map_err(|e| err(&e))?;
        }
        Ok(out)
    }

    /// Writes the plot as a PNG (1200x600) to `path`, atomically.
    fn png(&self, path: &Path) -> Result<()> {
        let bytes = crate::png::svg_to_png(&self.svg()?)?;
        crate::write::write_atomic(path, &bytes)
    }
}

/// One drawn plot of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPlot {
    /// Which plot.
    pub id: PlotId,
    /// The SVG document.
    pub svg: String,
}

/// Draws every plot that `view` has data for, in report order (gain reduction only when
/// the view has traces).
pub fn render_all(view: &ReportView) -> Result<Vec<RenderedPlot>> {
    let mut out = Vec::with_capacity(PlotId::ALL.len());
    let mut push = |id: PlotId, svg: Result<String>| -> Result<()> {
        out.push(RenderedPlot { id, svg: svg? });
        Ok(())
    };
    push(PlotId::Spectrum, SpectrumPlot::from_view(view).svg())?;
    push(PlotId::Loudness, LoudnessPlot::from_view(view).svg())?;
    if let Some(p) = GainReductionPlot::from_view(view) {
        push(PlotId::GainReduction, p.svg())?;
    }
    push(PlotId::Stereo, StereoPlot::from_view(view).svg())?;
    push(PlotId::Dynamics, DynamicsPlot::from_view(view).svg())?;
    push(
        PlotId::Distribution,
        DistributionPlot::from_view(view).svg(),
    )?;
    Ok(out)
}

// ---- shared drawing helpers -------------------------------------------------------------

/// Labelled frequencies of log-frequency axes, Hz.
const FREQ_TICKS_HZ: [f64; 10] = [
    20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0,
];
/// Unlabelled grid frequencies of log-frequency axes, Hz.
const FREQ_LIGHT_HZ: [f64; 18] = [
    30.0, 40.0, 60.0, 70.0, 80.0, 90.0, 300.0, 400.0, 600.0, 700.0, 800.0, 900.0, 3000.0, 4000.0,
    6000.0, 7000.0, 8000.0, 9000.0,
];

/// x coordinate of a frequency on log-frequency axes (log10 Hz).
pub(crate) fn fx(f_hz: f64) -> f64 {
    f_hz.max(1.0).log10()
}

/// A 20 Hz - 20 kHz log-frequency axis (values are log10 Hz), ticks at 20, 50, 100, ..., 20k.
pub(crate) fn freq_axis() -> TickAxis {
    TickAxis {
        lo: fx(20.0),
        hi: fx(20_000.0),
        bold: FREQ_TICKS_HZ.iter().map(|&f| fx(f)).collect(),
        light: FREQ_LIGHT_HZ.iter().map(|&f| fx(f)).collect(),
    }
}

/// Tick label of a log-frequency coordinate.
pub(crate) fn freq_label(x: &f64) -> String {
    freq_tick(10f64.powf(*x))
}

/// Time axis over `0..duration_s` with ticks at a round step, at most one per 90 px of
/// `width_px`.
pub(crate) fn time_axis(duration_s: f64, width_px: u32) -> TickAxis {
    let d = duration_s.max(1.0);
    let most = (f64::from(width_px) / 90.0).max(2.0);
    let step = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0]
        .into_iter()
        .find(|s| d / s <= most)
        .unwrap_or(1200.0);
    TickAxis {
        lo: 0.0,
        hi: d,
        bold: (0..=(d / step) as usize).map(|i| i as f64 * step).collect(),
        light: Vec::new(),
    }
}

/// A linear f64 axis with chosen tick (bold) and grid-only (light) positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TickAxis {
    /// Lower end of the axis.
    pub lo: f64,
    /// Upper end of the axis.
    pub hi: f64,
    /// Labelled ticks with bold grid lines.
    pub bold: Vec<f64>,
    /// Unlabelled light grid lines.
    pub light: Vec<f64>,
}

impl TickAxis {
    /// An axis over `lo..hi` with ticks at `bold` only.
    pub fn new(lo: f64, hi: f64, bold: Vec<f64>) -> Self {
        Self {
            lo,
            hi,
            bold,
            light: Vec::new(),
        }
    }
}

impl Ranged for TickAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (span * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Tick label of a time coordinate (`mm:ss`).
pub(crate) fn time_label(t: &f64) -> String {
    mm_ss(*t)
}

/// Draws the plot title and returns the area under it.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.titled(
        title,
        (FONT, style::TITLE_PX).into_font().style(FontStyle::Bold),
    )
}

/// Mesh styling shared by all panels: grid colours, fonts, axis descriptions.
pub(crate) fn mesh<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    x_fmt: &dyn Fn(&X::ValueType) -> String,
    y_fmt: &dyn Fn(&Y::ValueType) -> String,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
{
    chart
        .configure_mesh()
        .bold_line_style(style::GRID)
        .light_line_style(style::GRID_LIGHT)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, style::AXIS_DESC_PX))
        .label_style((FONT, style::TICK_PX))
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .y_labels(8)
        .x_labels(12)
        .max_light_lines(4)
        .draw()
}

/// How a legend entry's series looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Glyph {
    /// A line of a colour and width, px.
    Line(RGBAColor, u32),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled box.
    Box(RGBAColor),
    /// A hollow box (targets).
    Outline(RGBColor),
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LegendEntry {
    /// Look of the series.
    pub glyph: Glyph,
    /// Text.
    pub text: String,
}

impl LegendEntry {
    pub fn new(glyph: Glyph, text: impl Into<String>) -> Self {
        Self {
            glyph,
            text: text.into(),
        }
    }
}

/// Row height of the legend strip, px.
const LEGEND_ROW_PX: u32 = 26;
/// Estimated advance of one legend character, px (DejaVu Sans averages ~0.55 em).
const LEGEND_CHAR_PX: f64 = style::LEGEND_PX / 1.24 * 0.56;

/// Draws `entries` as centred rows in a strip at the top of `area` (never over the data)
/// and returns the area below the strip.
pub(crate) fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let avail = f64::from(w) - 40.0;
    let item_w = |e: &LegendEntry| 36.0 + e.text.chars().count() as f64 * LEGEND_CHAR_PX + 28.0;
    let mut rows: Vec<Vec<&LegendEntry>> = vec![Vec::new()];
    let mut used = 0.0;
    for e in entries {
        let iw = item_w(e);
        if used + iw > avail && !rows.last().is_some_and(Vec::is_empty) {
            rows.push(Vec::new());
            used = 0.0;
        }
        if let Some(r) = rows.last_mut() {
            r.push(e);
        }
        used += iw;
    }
    let height = rows.len() as u32 * LEGEND_ROW_PX + 6;
    let (strip, rest) = area.split_vertically(height);
    let font = (FONT, style::LEGEND_PX)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (r, row) in rows.iter().enumerate() {
        let row_w: f64 = row.iter().map(|e| item_w(e)).sum();
        let mut x = ((f64::from(w) - row_w) / 2.0).max(0.0) as i32;
        let y = (r as u32 * LEGEND_ROW_PX + LEGEND_ROW_PX / 2 + 3) as i32;
        for e in row {
            match e.glyph {
                Glyph::Line(c, width) => strip.draw(&PathElement::new(
                    vec![(x, y), (x + 28, y)],
                    c.stroke_width(width),
                ))?,
                Glyph::Dashed(c) => {
                    for d in [0, 11, 22] {
                        strip.draw(&PathElement::new(
                            vec![(x + d, y), (x + d + 7, y)],
                            c.stroke_width(2),
                        ))?;
                    }
                }
                Glyph::Box(c) => strip.draw(&Rectangle::new(
                    [(x + 6, y - 8), (x + 22, y + 8)],
                    c.filled(),
                ))?,
                Glyph::Outline(c) => strip.draw(&Rectangle::new(
                    [(x + 6, y - 8), (x + 22, y + 8)],
                    c.stroke_width(2),
                ))?,
            }
            strip.draw(&Text::new(e.text.clone(), (x + 36, y), font.clone()))?;
            x += item_w(e) as i32;
        }
    }
    Ok(rest)
}

/// A y tick label with sign, and plain `0` at zero.
pub(crate) fn signed_tick(y: &f64) -> String {
    if y.abs() < 0.05 {
        "0".into()
    } else {
        format!("{y:+.0}")
    }
}

/// Largest and smallest finite value of several series (`None` when all are empty).
pub(crate) fn extent<'a>(values: impl IntoIterator<Item = &'a f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, &v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Writes `text` centred in `area` (used when a panel has no data).
pub(crate) fn no_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2),
        (FONT, style::CAPTION_PX)
            .into_font()
            .color(&RGBColor(0x55, 0x55, 0x55))
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            )),
    ))
}

/// Central moving average over `half` entries either side (defined entries only).
pub(crate) fn moving_average(values: &[Option<f64>], half: usize) -> Vec<Option<f64>> {
    let n = values.len();
    let mut prefix = vec![(0.0, 0usize); n + 1];
    for (k, v) in values.iter().enumerate() {
        let (s, c) = prefix[k];
        prefix[k + 1] = match v {
            Some(v) if v.is_finite() => (s + v, c + 1),
            _ => (s, c),
        };
    }
    (0..n)
        .map(|k| {
            values[k]?;
            let (lo, hi) = (k.saturating_sub(half), (k + half + 1).min(n));
            let (s, c) = (prefix[hi].0 - prefix[lo].0, prefix[hi].1 - prefix[lo].1);
            (c > 0).then(|| s / c as f64)
        })
        .collect()
}
