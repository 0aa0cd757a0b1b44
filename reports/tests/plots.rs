//! Every plot's SVG parsed back: its series (polylines / bars in the role colours), axis
//! labels, log-frequency ticks and legend entries; decimation keeps series under 2000 points
//! and the whole report cheap for a 3.5-minute track.
mod common;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use coda_reports::plots::render_all;
use coda_reports::{render_html, GainTrace, PlotId, ReportView, Role};

fn view() -> &'static ReportView {
    static VIEW: OnceLock<ReportView> = OnceLock::new();
    VIEW.get_or_init(|| common::sample_view(30.0))
}

/// What a test needs from one SVG.
struct Parsed {
    texts: Vec<String>,
    /// Polyline stroke colour -> point counts of each polyline.
    polylines: HashMap<String, Vec<usize>>,
    /// Rect fill colour -> count.
    rects: HashMap<String, usize>,
}

impl Parsed {
    fn of(svg: &str) -> Self {
        let doc = roxmltree::Document::parse(svg).expect("SVG parses as XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert_eq!(doc.root_element().attribute("width"), Some("1200"));
        assert_eq!(doc.root_element().attribute("height"), Some("600"));
        let mut p = Parsed {
            texts: Vec::new(),
            polylines: HashMap::new(),
            rects: HashMap::new(),
        };
        for n in doc.descendants().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "text" => p.texts.push(n.text().unwrap_or("").trim().to_string()),
                "polyline" => {
                    let pts = n
                        .attribute("points")
                        .unwrap_or("")
                        .split_whitespace()
                        .count();
                    p.polylines
                        .entry(n.attribute("stroke").unwrap_or("").to_string())
                        .or_default()
                        .push(pts);
                }
                "rect" => {
                    *p.rects
                        .entry(n.attribute("fill").unwrap_or("").to_string())
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        p
    }

    fn has_text(&self, want: &str) -> bool {
        self.texts.iter().any(|t| t == want)
    }

    fn has_text_starting(&self, want: &str) -> bool {
        self.texts.iter().any(|t| t.starts_with(want))
    }

    fn assert_texts(&self, plot: &str, wanted: &[&str]) {
        for w in wanted {
            assert!(
                self.has_text(w) || self.has_text_starting(w),
                "{plot}: no text {w:?} in {:?}",
                self.texts
            );
        }
    }

    /// Points in the longest polyline of `colour` (0 when none).
    fn longest(&self, colour: &str) -> usize {
        self.polylines
            .get(colour)
            .and_then(|v| v.iter().copied().max())
            .unwrap_or(0)
    }
}

fn plots_of(view: &ReportView) -> HashMap<PlotId, Parsed> {
    render_all(view)
        .expect("plots render")
        .into_iter()
        .map(|p| (p.id, Parsed::of(&p.svg)))
        .collect()
}

const MIX: &str = "#D55E00";
const REFERENCE: &str = "#0072B2";
const OUTPUT: &str = "#009E73";
const EQ: &str = "#CC79A7";
const AUTOMATION: &str = "#56B4E9";
const BLACK: &str = "#000000";
const ORANGE: &str = "#E69F00";

#[test]
fn role_colours_are_okabe_ito() {
    assert_eq!(Role::Mix.css(), MIX);
    assert_eq!(Role::Reference.css(), REFERENCE);
    assert_eq!(Role::Output.css(), OUTPUT);
}

#[test]
fn spectrum_svg_has_three_files_eq_log_ticks_and_legend() {
    let plots = plots_of(view());
    let p = &plots[&PlotId::Spectrum];
    p.assert_texts(
        "spectrum",
        &[
            "Spectrum: mix, reference and output",
            "frequency (Hz)",
            "level (dB)",
            "difference, EQ gain (dB)",
            "Mid (centre)",
            "Side (width)",
            "20",
            "100",
            "1k",
            "10k",
            "20k",
            "mix",
            "reference (level-matched",
            "output (level-matched",
            "EQ applied by coda",
        ],
    );
    let fine = view().mix.analysis.spectrum.fine_hz.len();
    // Mid and side of each file are one unbroken curve each of up to 120 points.
    for colour in [REFERENCE, OUTPUT] {
        assert!(
            p.polylines[colour].len() >= 2,
            "{colour}: {:?}",
            p.polylines[colour]
        );
        assert!(
            p.longest(colour) >= fine - 10 && p.longest(colour) <= fine,
            "{colour}"
        );
    }
    // The mix has mid, side and the mix-minus-reference curve (25 Hz-16 kHz only).
    assert!(p.polylines[MIX].len() >= 3, "{:?}", p.polylines[MIX]);
    assert!(
        p.longest(EQ) >= fine - 10,
        "EQ curve {:?}",
        p.polylines.get(EQ)
    );
}

#[test]
fn loudness_svg_has_series_target_automation_and_loudest_passage() {
    let plots = plots_of(view());
    let p = &plots[&PlotId::Loudness];
    p.assert_texts(
        "loudness",
        &[
            "Loudness over time: mix and output",
            "time (min:s)",
            "loudness (LUFS)",
            "automation (dB)",
            "00:00",
            "00:10",
            "mix short-term (3 s)",
            "mix momentary (0.4 s)",
            "output short-term (3 s)",
            "target -",
            "loudest 3 s of the mix",
            "gain automation (lower panel)",
        ],
    );
    // 30 s at 0.1 s: 300 readings, the first 29 short-term ones (meter warm-up) not drawn.
    let defined = view().mix.analysis.series.short_term_lufs[29..]
        .iter()
        .flatten()
        .count();
    assert!(
        p.longest(MIX) >= defined - 5 && p.longest(MIX) <= 300,
        "{}",
        p.longest(MIX)
    );
    assert!(p.longest(OUTPUT) >= defined - 5);
    assert!(p.longest(AUTOMATION) >= 3);
    assert!(
        p.rects.contains_key("#FFF3B0"),
        "loudest passage shaded: {:?}",
        p.rects
    );
}

#[test]
fn gain_reduction_svg_is_decimated_with_peaks_kept() {
    let plots = plots_of(view());
    let p = &plots[&PlotId::GainReduction];
    p.assert_texts(
        "gain reduction",
        &[
            "Gain reduction over time",
            "gain reduction (dB)",
            "time (min:s)",
            "limiter (max",
            "compressor low band (< 150 Hz) (max",
        ],
    );
    // 30 s of 10 ms hops = 3000 values, drawn as at most 2000 points.
    let hops = view().gain_reduction[0].reduction_db.len();
    assert!(hops >= 2999, "{hops}");
    let n = p.longest(BLACK);
    assert!(
        (1500..=2000).contains(&n),
        "limiter polyline has {n} points"
    );
    assert!(p.longest(ORANGE) <= 2000 && p.longest(ORANGE) >= 1500);
    // The legend's figure is the deepest reduction.
    let max = view().gain_reduction[0]
        .reduction_db
        .iter()
        .copied()
        .fold(0.0f32, f32::max);
    assert!(p.has_text(&format!("limiter (max {max:.1} dB)")));
}

#[test]
fn stereo_svg_has_bars_per_band_and_correlation_lines() {
    let plots = plots_of(view());
    let p = &plots[&PlotId::Stereo];
    p.assert_texts(
        "stereo",
        &[
            "side relative to mid (dB)",
            "L/R correlation",
            "lows < 150 Hz",
            "mids 150 Hz-2.5 kHz",
            "highs > 2.5 kHz",
            "Correlation over time (3 s average)",
            "mix",
            "reference",
            "output",
        ],
    );
    // Three bands: three bars each for mix, reference and output (plus a legend box).
    for colour in [MIX, REFERENCE, OUTPUT] {
        assert!(
            p.rects.get(colour).copied().unwrap_or(0) >= 3,
            "{colour}: {:?}",
            p.rects
        );
    }
    assert!(p.longest(MIX) >= 200 && p.longest(OUTPUT) >= 200);
    // Each bar is labelled with its value.
    let b = &view().mix.analysis.stereo.bands[0];
    assert!(p.has_text(&format!("{:.0}", b.side_to_mid_db.unwrap())));
}

#[test]
fn dynamics_svg_has_bars_for_files_and_target() {
    let plots = plots_of(view());
    let p = &plots[&PlotId::Dynamics];
    p.assert_texts(
        "dynamics",
        &[
            "crest factor (dB)",
            "PLR (dB)",
            "loudness range LRA (LU)",
            "dB (LRA in LU)",
            "target",
        ],
    );
    for colour in [MIX, REFERENCE, OUTPUT] {
        assert!(
            p.rects.get(colour).copied().unwrap_or(0) >= 3,
            "{colour}: {:?}",
            p.rects
        );
    }
    let crest = view().mix.analysis.dynamics.crest_db.unwrap();
    assert!(
        p.has_text(&format!("{crest:.1}")),
        "crest value written on its bar"
    );
}

#[test]
fn distribution_svg_has_one_outline_per_file() {
    let plots = plots_of(view());
    let p = &plots[&PlotId::Distribution];
    p.assert_texts(
        "distribution",
        &[
            "Short-term loudness distribution",
            "short-term loudness (LUFS)",
            "share of time (%)",
            "mix (integrated",
            "reference (integrated",
            "output (integrated",
        ],
    );
    for colour in [MIX, REFERENCE, OUTPUT] {
        assert!(p.longest(colour) >= 6, "{colour}");
    }
}

#[test]
fn a_mix_alone_draws_five_plots_without_reference_pieces() {
    let mut view = ReportView::new("mix alone", view().mix.clone());
    view.diagnosis.clear();
    let plots = plots_of(&view);
    assert_eq!(plots.len(), 5, "no gain-reduction plot without a render");
    assert!(!plots.contains_key(&PlotId::GainReduction));
    let s = &plots[&PlotId::Spectrum];
    assert!(s.has_text("Spectrum of the mix"));
    assert!(!s.texts.iter().any(|t| t.contains("reference")));
    assert!(!s.polylines.contains_key(REFERENCE) && !s.polylines.contains_key(EQ));
    let l = &plots[&PlotId::Loudness];
    assert!(!l.has_text("automation (dB)"));
    assert!(!l.polylines.contains_key(OUTPUT));
    let html = render_html(&view, &render_all(&view).unwrap());
    assert!(html.contains("Analysis only: no mastering plan was made."));
    assert!(!html.contains(">reference</th>") && !html.contains(">target</th>"));
    assert!(html.contains(">mix</th>"));
    assert!(!html.contains("id=\"plot-gain-reduction\""));
    assert_eq!(html.matches("<svg").count(), 5);
}

/// A view with 3.5-minute series: the mix's and output's series repeated to 2100 hops, four
/// 10 ms gain-reduction traces and 420 automation points.
fn long_view() -> ReportView {
    let mut v = view().clone();
    let stretch = |a: &mut coda_analysis::Analysis| {
        let s = &mut a.series;
        let n = 2100;
        for series in [
            &mut s.momentary_lufs,
            &mut s.short_term_lufs,
            &mut s.short_term_crest_db,
            &mut s.correlation,
        ] {
            *series = series.iter().cycle().take(n).copied().collect();
        }
        a.duration_s = 210.0;
    };
    stretch(&mut v.mix.analysis);
    stretch(&mut v.output.as_mut().unwrap().analysis);
    let base = v.gain_reduction[0].reduction_db.clone();
    v.gain_reduction = (0..4)
        .map(|i| GainTrace {
            label: format!("trace {i}"),
            hop_s: 0.01,
            reduction_db: base
                .iter()
                .cycle()
                .take(21_000)
                .map(|r| r * (i as f32 + 1.0) / 4.0)
                .collect(),
        })
        .collect();
    let auto = v.automation.clone().unwrap();
    v.automation = Some(
        (0..420)
            .map(|k| coda_reports::AutomationPoint {
                time_s: k as f64 * 0.5,
                gain_db: auto[k % auto.len()].gain_db,
            })
            .collect(),
    );
    v
}

#[test]
fn report_for_a_long_track_is_cheap_and_every_series_is_decimated() {
    let v = long_view();
    // Warm up once (font-free SVG; first call pays allocator growth).
    render_all(&v).unwrap();
    let t = Instant::now();
    let plots = render_all(&v).unwrap();
    let html = render_html(&v, &plots);
    let elapsed = t.elapsed().as_secs_f64();
    eprintln!(
        "all plots + HTML for a 3.5-minute track: {:.1} ms, {} KB of HTML",
        elapsed * 1000.0,
        html.len() / 1024
    );
    // Budget: 10 % of a 3.5-minute `coda match` (~0.3 s); allow slack for a loaded CI box.
    assert!(elapsed < 1.0, "report took {elapsed:.3} s");
    for p in &plots {
        let parsed = Parsed::of(&p.svg);
        for (colour, counts) in &parsed.polylines {
            for &n in counts {
                assert!(n <= 2000, "{:?}: a {colour} polyline has {n} points", p.id);
            }
        }
    }
    let gr = Parsed::of(
        &plots
            .iter()
            .find(|p| p.id == PlotId::GainReduction)
            .unwrap()
            .svg,
    );
    assert!(
        gr.longest(BLACK) >= 1500,
        "21 000 hops drawn as ~2000 points"
    );
}
