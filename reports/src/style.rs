//! Shared look of every plot: the Okabe-Ito colour-blind-safe palette, the colour of each
//! role (mix, reference, output, target), font sizes, and number / time / frequency labels.
use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};

/// Okabe & Ito (2008), "Color Universal Design": eight colours distinguishable with the
/// common colour-vision deficiencies.
pub mod okabe_ito {
    use plotters::style::RGBColor;
    /// Black.
    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Yellow (use for fills only: too light for lines on white).
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
}

/// What a series shows; decides its colour in every plot and its column in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user's mix (the input).
    Mix,
    /// The professional reference track.
    Reference,
    /// coda's master (the output).
    Output,
    /// The purpose's target figures.
    Target,
}

impl Role {
    /// The role's colour: mix vermillion, reference blue, output bluish green, target black.
    pub fn colour(self) -> RGBColor {
        match self {
            Role::Mix => okabe_ito::VERMILLION,
            Role::Reference => okabe_ito::BLUE,
            Role::Output => okabe_ito::BLUISH_GREEN,
            Role::Target => okabe_ito::BLACK,
        }
    }

    /// CSS hex colour of [`Role::colour`], e.g. `#D55E00`.
    pub fn css(self) -> String {
        let RGBColor(r, g, b) = self.colour();
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    /// Plain name: "mix", "reference", "output", "target".
    pub fn name(self) -> &'static str {
        match self {
            Role::Mix => "mix",
            Role::Reference => "reference",
            Role::Output => "output",
            Role::Target => "target",
        }
    }
}

/// Colour of the fitted EQ curve.
pub const EQ_COLOUR: RGBColor = okabe_ito::REDDISH_PURPLE;
/// Colour of the gain automation curve.
pub const AUTOMATION_COLOUR: RGBColor = okabe_ito::SKY_BLUE;
/// Colours of gain-reduction traces in order (limiter first, then compressor bands).
pub const TRACE_COLOURS: [RGBColor; 5] = [
    okabe_ito::BLACK,
    okabe_ito::ORANGE,
    okabe_ito::SKY_BLUE,
    okabe_ito::REDDISH_PURPLE,
    okabe_ito::BLUISH_GREEN,
];
/// Grid line colour.
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Light grid line colour.
pub const GRID_LIGHT: RGBColor = RGBColor(0xF0, 0xF0, 0xF0);
/// Shade of highlighted time spans (the loudest passage).
pub const HIGHLIGHT: RGBColor = RGBColor(0xFF, 0xF3, 0xB0);

/// Plot width, px.
pub const WIDTH_PX: u32 = 1200;
/// Plot height, px.
pub const HEIGHT_PX: u32 = 600;
/// Font family written into the SVG.
pub const FONT: &str = "sans-serif";
/// Title size, px (plotters divides by 1.24 when writing SVG).
pub const TITLE_PX: f64 = 30.0;
/// Panel caption size, px.
pub const CAPTION_PX: f64 = 22.0;
/// Axis description size, px.
pub const AXIS_DESC_PX: f64 = 20.0;
/// Tick label size, px.
pub const TICK_PX: f64 = 18.0;
/// Legend text size, px.
pub const LEGEND_PX: f64 = 18.0;
/// Most points drawn per series (min/max decimation keeps peaks beyond this).
pub const MAX_POINTS: usize = 2000;

/// `mm:ss` of a time in seconds (e.g. `01:23`), hours as `h:mm:ss`.
pub fn mm_ss(t_s: f64) -> String {
    let total = t_s.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// Frequency tick label without unit: `20`, `100`, `1k`, `2.5k`, `10k`.
pub fn freq_tick(f_hz: f64) -> String {
    if f_hz >= 1000.0 {
        let k = f_hz / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{}k", k.round())
        } else {
            format!("{k:.1}k")
        }
    } else {
        format!("{}", f_hz.round())
    }
}

/// Frequency in prose, two significant figures: `40 Hz`, `180 Hz`, `2.5 kHz`, `12 kHz`.
pub fn freq_text(f_hz: f64) -> String {
    let round2 = |x: f64| {
        if x <= 0.0 {
            return 0.0;
        }
        let p = 10f64.powf(x.log10().floor() - 1.0);
        (x / p).round() * p
    };
    let f = round2(f_hz);
    if f >= 1000.0 {
        let k = f / 1000.0;
        if k >= 10.0 || (k - k.round()).abs() < 1e-9 {
            format!("{} kHz", k.round())
        } else {
            format!("{k:.1} kHz")
        }
    } else {
        format!("{} Hz", f.round())
    }
}

/// A signed figure with one decimal, e.g. `+2.8` or `-4.0`.
pub fn signed(x: f64) -> String {
    format!("{x:+.1}")
}

/// One decimal or an em dash for `None`.
pub fn opt1(x: Option<f64>) -> String {
    x.map_or_else(|| "\u{2014}".into(), |v| format!("{v:.1}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_a_musician_expects() {
        assert_eq!(mm_ss(83.4), "01:23");
        assert_eq!(mm_ss(3725.0), "1:02:05");
        assert_eq!(freq_tick(100.0), "100");
        assert_eq!(freq_tick(1000.0), "1k");
        assert_eq!(freq_tick(10_000.0), "10k");
        assert_eq!(freq_tick(2500.0), "2.5k");
        assert_eq!(freq_text(178.0), "180 Hz");
        assert_eq!(freq_text(2512.0), "2.5 kHz");
        assert_eq!(freq_text(3010.0), "3 kHz");
        assert_eq!(freq_text(12_600.0), "13 kHz");
        assert_eq!(freq_text(39.7), "40 Hz");
        assert_eq!(Role::Mix.css(), "#D55E00");
        assert_eq!(opt1(None), "\u{2014}");
    }
}
