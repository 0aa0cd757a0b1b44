//! Parametric EQ: RBJ peaking and shelves, Butterworth low/high cut (12-48 dB/oct), each
//! band on stereo, mid or side.
use serde::{Deserialize, Serialize};

use super::biquad::{butterworth_qs, Coeffs};
use super::{check_range, Processor};
use crate::{Error, Result};

/// The shape of one EQ band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqKind {
    /// RBJ peaking bell (`freq_hz`, `gain_db`, `q`).
    Peaking,
    /// RBJ low shelf (`freq_hz`, `gain_db`, `q` as shelf slope; 0.707 = Butterworth-like).
    LowShelf,
    /// RBJ high shelf.
    HighShelf,
    /// Butterworth high-pass ("low cut"): `freq_hz` (-3 dB), `slope_db_per_oct`.
    LowCut,
    /// Butterworth low-pass ("high cut").
    HighCut,
}

/// Which signal a band acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqChannel {
    /// Both channels (left and right alike).
    #[default]
    Stereo,
    /// The mid signal (L+R)/2 only.
    Mid,
    /// The side signal (L-R)/2 only.
    Side,
}

/// One EQ band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EqBand {
    /// Filter shape.
    pub kind: EqKind,
    /// Centre / corner frequency, Hz.
    pub freq_hz: f64,
    /// Gain at the centre (peaking) or of the shelf, dB; ignored for cuts.
    #[serde(default)]
    pub gain_db: f64,
    /// Quality (peaking: bandwidth; shelves: slope). Ignored for cuts.
    #[serde(default = "default_q")]
    pub q: f64,
    /// Slope of a cut: 12, 24, 36 or 48 dB/octave. Ignored otherwise.
    #[serde(default = "default_slope")]
    pub slope_db_per_oct: u32,
    /// Stereo, mid or side.
    #[serde(default)]
    pub channel: EqChannel,
}

fn default_q() -> f64 {
    std::f64::consts::FRAC_1_SQRT_2
}

fn default_slope() -> u32 {
    12
}

/// The whole EQ: bands applied in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EqConfig {
    /// Bands in processing order.
    #[serde(default)]
    pub bands: Vec<EqBand>,
}

impl EqBand {
    /// Checks frequency below Nyquist, gain within +/-24 dB, Q within 0.1..=20 and slope.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        let nyq = f64::from(sample_rate_hz) / 2.0;
        check_range(
            &format!("{field}.freq_hz"),
            self.freq_hz,
            10.0,
            nyq * 0.95,
            " Hz",
        )?;
        check_range(
            &format!("{field}.gain_db"),
            self.gain_db,
            -24.0,
            24.0,
            " dB",
        )?;
        check_range(&format!("{field}.q"), self.q, 0.1, 20.0, "")?;
        if matches!(self.kind, EqKind::LowCut | EqKind::HighCut)
            && ![12, 24, 36, 48].contains(&self.slope_db_per_oct)
        {
            return Err(Error::Plan {
                field: format!("{field}.slope_db_per_oct"),
                reason: format!("{} is not one of 12, 24, 36, 48", self.slope_db_per_oct),
            });
        }
        Ok(())
    }
}

impl EqConfig {
    /// Checks every band; the error names `field.bands[i].x`.
    pub fn validate(&self, field: &str, sample_rate_hz: u32) -> Result<()> {
        for (i, b) in self.bands.iter().enumerate() {
            b.validate(&format!("{field}.bands[{i}]"), sample_rate_hz)?;
        }
        Ok(())
    }
}

impl EqBand {
    /// Order of a cut band's Butterworth filter (slope / 6, even, 2..=8).
    fn cut_order(&self) -> usize {
        ((self.slope_db_per_oct / 6) as usize).clamp(2, 8) & !1
    }

    /// True when the band cannot change the signal (a bell or shelf at 0 dB).
    fn is_flat(&self) -> bool {
        matches!(
            self.kind,
            EqKind::Peaking | EqKind::LowShelf | EqKind::HighShelf
        ) && self.gain_db == 0.0
    }

    /// The second-order sections realising this band at `sample_rate_hz` (none when flat).
    pub fn sections(&self, sample_rate_hz: f64) -> Vec<Coeffs> {
        let (f, q, g, fs) = (self.freq_hz, self.q, self.gain_db, sample_rate_hz);
        if self.is_flat() {
            return Vec::new();
        }
        match self.kind {
            EqKind::Peaking => vec![Coeffs::peaking(f, q, g, fs)],
            EqKind::LowShelf => vec![Coeffs::low_shelf(f, q, g, fs)],
            EqKind::HighShelf => vec![Coeffs::high_shelf(f, q, g, fs)],
            EqKind::LowCut => butterworth_qs(self.cut_order())
                .into_iter()
                .map(|q| Coeffs::high_pass(f, q, fs))
                .collect(),
            EqKind::HighCut => butterworth_qs(self.cut_order())
                .into_iter()
                .map(|q| Coeffs::low_pass(f, q, fs))
                .collect(),
        }
    }

    /// The band's own magnitude response at `freq_hz`, in dB.
    pub fn response_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let probe = Probe::new(freq_hz, sample_rate_hz);
        10.0 * self.power_at(&probe, sample_rate_hz).max(1e-300).log10()
    }

    /// Squared magnitude |H|^2 at the probe frequency.
    fn power_at(&self, p: &Probe, fs: f64) -> f64 {
        if self.is_flat() {
            return 1.0;
        }
        let section = match self.kind {
            EqKind::Peaking => Coeffs::peaking(self.freq_hz, self.q, self.gain_db, fs),
            EqKind::LowShelf => Coeffs::low_shelf(self.freq_hz, self.q, self.gain_db, fs),
            EqKind::HighShelf => Coeffs::high_shelf(self.freq_hz, self.q, self.gain_db, fs),
            EqKind::LowCut | EqKind::HighCut => {
                // The RBJ sections with Butterworth Qs are the bilinear transform (prewarped
                // at the corner) of an analog Butterworth filter, so the cascade's magnitude
                // is exactly 1 / (1 + (W/Wc)^(2N)) with W = tan(w/2).
                let wc = (std::f64::consts::PI * self.freq_hz / fs).tan();
                let ratio = if self.kind == EqKind::HighCut {
                    p.tan_half / wc
                } else if p.tan_half > 0.0 {
                    wc / p.tan_half
                } else {
                    return 0.0;
                };
                return 1.0 / (1.0 + ratio.powi(2 * self.cut_order() as i32));
            }
        };
        // |H|^2 in terms of phi = sin^2(w/2) (RBJ cookbook): the cos(w)-expansion cancels
        // catastrophically at low frequencies (w^4 terms), this form does not.
        let Coeffs { b0, b1, b2, a1, a2 } = section;
        let phi = p.phi;
        let bs = b0 + b1 + b2;
        let as_ = 1.0 + a1 + a2;
        let num =
            bs * bs - 4.0 * (b0 * b1 + 4.0 * b0 * b2 + b1 * b2) * phi + 16.0 * b0 * b2 * phi * phi;
        let den = as_ * as_ - 4.0 * (a1 + 4.0 * a2 + a1 * a2) * phi + 16.0 * a2 * phi * phi;
        num / den
    }

    /// True when the band acts on the signal heard on `channel` (stereo bands act on both).
    fn acts_on(&self, channel: EqChannel) -> bool {
        self.channel == EqChannel::Stereo || self.channel == channel
    }
}

/// Trigonometric values of one probe frequency, shared by all bands.
struct Probe {
    /// sin^2(w/2), w the normalised angular frequency.
    phi: f64,
    /// tan(w/2), the bilinear-transform frequency.
    tan_half: f64,
}

impl Probe {
    fn new(freq_hz: f64, fs_hz: f64) -> Self {
        let half = std::f64::consts::PI * freq_hz.clamp(0.0, fs_hz / 2.0) / fs_hz;
        let (sin, cos) = half.sin_cos();
        Self {
            phi: sin * sin,
            // At Nyquist cos is ~6e-17, so tan is huge but finite.
            tan_half: sin / cos,
        }
    }
}

impl EqConfig {
    /// Analytic magnitude of the whole EQ at `freq_hz`, in dB, as heard on `channel`:
    /// `Mid` counts the stereo and mid bands, `Side` the stereo and side bands, and `Stereo`
    /// only the stereo bands (the part common to both). Costs one `cos`/`tan` per call plus
    /// one coefficient design per band; no allocation.
    pub fn response_db(&self, freq_hz: f64, sample_rate_hz: f64, channel: EqChannel) -> f64 {
        let probe = Probe::new(freq_hz, sample_rate_hz);
        let power: f64 = self
            .bands
            .iter()
            .filter(|b| b.acts_on(channel))
            .map(|b| b.power_at(&probe, sample_rate_hz))
            .product();
        10.0 * power.max(1e-300).log10()
    }

    /// True when the EQ changes nothing (no band, or only 0 dB bells and shelves).
    pub fn is_identity(&self) -> bool {
        self.bands.iter().all(EqBand::is_flat)
    }
}

/// Analytic magnitude of the whole EQ `config` at sample rate `sample_rate_hz`, in dB, at
/// each of `freqs_hz`, as heard on `channel` (see [`EqConfig::response_db`]: `Mid` = stereo
/// and mid bands, `Side` = stereo and side bands, `Stereo` = stereo bands only). This is
/// exactly the magnitude the [`Eq`] processor realises (its measured impulse response
/// agrees within 0.1 dB, see `engine/tests/eq.rs`), for plotting and fitting the curve.
pub fn response_db(
    config: &EqConfig,
    sample_rate_hz: u32,
    freqs_hz: &[f64],
    channel: EqChannel,
) -> Vec<f64> {
    let fs = f64::from(sample_rate_hz);
    freqs_hz
        .iter()
        .map(|&f| config.response_db(f, fs, channel))
        .collect()
}

/// One second-order section with separate coefficients for two lanes (left/right or
/// mid/side).
#[derive(Debug, Clone, Copy)]
struct Section {
    b0: [f64; 2],
    b1: [f64; 2],
    b2: [f64; 2],
    a1: [f64; 2],
    a2: [f64; 2],
    s1: [f64; 2],
    s2: [f64; 2],
}

impl Section {
    fn new(lane0: &Coeffs, lane1: &Coeffs) -> Self {
        Self {
            b0: [lane0.b0, lane1.b0],
            b1: [lane0.b1, lane1.b1],
            b2: [lane0.b2, lane1.b2],
            a1: [lane0.a1, lane1.a1],
            a2: [lane0.a2, lane1.a2],
            s1: [0.0; 2],
            s2: [0.0; 2],
        }
    }

    fn flush_denormals(&mut self) {
        for v in self.s1.iter_mut().chain(self.s2.iter_mut()) {
            if v.abs() < DENORMAL_FLOOR {
                *v = 0.0;
            }
        }
    }
}

/// Runs `N` sections over `buf` (frames of two f64 lanes), holding their state in locals.
///
/// Each section's recurrence is a chain of dependent multiply-adds, so one section alone
/// is latency bound; running `N` in one pass lets their chains overlap. Transposed direct
/// form II with the feedback product added last, so the loop-carried chain per sample is
/// one add, one multiply and one subtract.
#[inline(always)]
fn run_group<const N: usize>(group: &mut [Section], buf: &mut [[f64; 2]]) {
    let group: &mut [Section; N] = group.try_into().expect("group of N sections");
    let c: [Section; N] = *group;
    let mut s1: [[f64; 2]; N] = std::array::from_fn(|k| c[k].s1);
    let mut s2: [[f64; 2]; N] = std::array::from_fn(|k| c[k].s2);
    for frame in buf.iter_mut() {
        let mut x = *frame;
        for k in 0..N {
            let sec = &c[k];
            let mut y = [0.0; 2];
            for ch in 0..2 {
                y[ch] = sec.b0[ch] * x[ch] + s1[k][ch];
                s1[k][ch] = (sec.b1[ch] * x[ch] + s2[k][ch]) - sec.a1[ch] * y[ch];
                s2[k][ch] = sec.b2[ch] * x[ch] - sec.a2[ch] * y[ch];
            }
            x = y;
        }
        *frame = x;
    }
    for k in 0..N {
        group[k].s1 = s1[k];
        group[k].s2 = s2[k];
    }
}

/// State magnitudes below this are set to zero, so decaying tails never reach denormals.
const DENORMAL_FLOOR: f64 = 1e-30;

/// Frames per internal chunk. Chunks are cut at multiples of this counted from the start of
/// the stream (not of the block) and denormals are flushed at each cut, so the output does
/// not depend on how the caller cuts the stream into blocks.
const CHUNK: usize = 1024;

/// Sections run together in one pass over a chunk.
const GROUP: usize = 4;

/// The parametric EQ processor.
///
/// Stereo bands run on left and right. When any band is mid- or side-only, the signal is
/// converted to mid = (L+R)/2 and side = (L-R)/2 (in f64), the mid lane runs the stereo and
/// mid bands, the side lane the stereo and side bands, and L = M+S, R = M-S restores it. A
/// mono input is its own mid; its side is zero. The whole cascade runs in f64 on a chunk
/// of up to [`CHUNK`] frames held in a scratch buffer allocated by [`Eq::new`].
#[derive(Debug, Clone)]
pub struct Eq {
    /// The cascade; lane 0 is left (or mid), lane 1 right (or side).
    sections: Vec<Section>,
    mid_side: bool,
    /// Position within the current chunk, in frames since the stream start, mod `CHUNK`.
    phase: usize,
    /// f64 working copy of one chunk.
    scratch: Vec<[f64; 2]>,
}

impl Eq {
    /// Builds the EQ for `sample_rate_hz`; errors name `eq.bands[i].field`.
    pub fn new(config: &EqConfig, sample_rate_hz: u32) -> Result<Eq> {
        config.validate("eq", sample_rate_hz)?;
        let fs = f64::from(sample_rate_hz);
        let mid_side = config
            .bands
            .iter()
            .any(|b| !b.is_flat() && b.channel != EqChannel::Stereo);
        let (lane0, lane1) = if mid_side {
            (EqChannel::Mid, EqChannel::Side)
        } else {
            (EqChannel::Stereo, EqChannel::Stereo)
        };
        let chain = |channel: EqChannel| -> Vec<Coeffs> {
            config
                .bands
                .iter()
                .filter(|b| b.acts_on(channel))
                .flat_map(|b| b.sections(fs))
                .collect()
        };
        let (c0, c1) = (chain(lane0), chain(lane1));
        let sections = (0..c0.len().max(c1.len()))
            .map(|i| {
                let id = Coeffs::IDENTITY;
                Section::new(c0.get(i).unwrap_or(&id), c1.get(i).unwrap_or(&id))
            })
            .collect();
        Ok(Eq {
            sections,
            mid_side,
            phase: 0,
            scratch: vec![[0.0; 2]; CHUNK],
        })
    }

    /// True when the EQ passes the signal unchanged.
    pub fn is_identity(&self) -> bool {
        self.sections.is_empty()
    }

    /// Runs the whole cascade over the first `len` frames of the scratch buffer, then
    /// advances the chunk phase (flushing denormals at chunk ends).
    fn run_scratch(&mut self, len: usize) {
        let buf = &mut self.scratch[..len];
        for group in self.sections.chunks_mut(GROUP) {
            match group.len() {
                1 => run_group::<1>(group, buf),
                2 => run_group::<2>(group, buf),
                3 => run_group::<3>(group, buf),
                _ => run_group::<GROUP>(group, buf),
            }
        }
        self.phase += len;
        if self.phase == CHUNK {
            self.phase = 0;
            for s in &mut self.sections {
                s.flush_denormals();
            }
        }
    }

    fn process_mono(&mut self, x: &mut [f32]) {
        let mut start = 0;
        while start < x.len() {
            let len = (CHUNK - self.phase).min(x.len() - start);
            let block = &mut x[start..start + len];
            for (v, f) in block.iter().zip(self.scratch.iter_mut()) {
                *f = [f64::from(*v), 0.0];
            }
            self.run_scratch(len);
            for (v, f) in block.iter_mut().zip(self.scratch.iter()) {
                *v = f[0] as f32;
            }
            start += len;
        }
    }

    fn process_stereo(&mut self, left: &mut [f32], right: &mut [f32]) {
        assert_eq!(left.len(), right.len(), "channel lengths differ");
        let mut start = 0;
        while start < left.len() {
            let len = (CHUNK - self.phase).min(left.len() - start);
            let l = &mut left[start..start + len];
            let r = &mut right[start..start + len];
            let scratch = &mut self.scratch[..len];
            if self.mid_side {
                for ((a, b), f) in l.iter().zip(r.iter()).zip(scratch.iter_mut()) {
                    let (x0, x1) = (f64::from(*a), f64::from(*b));
                    *f = [(x0 + x1) * 0.5, (x0 - x1) * 0.5];
                }
            } else {
                for ((a, b), f) in l.iter().zip(r.iter()).zip(scratch.iter_mut()) {
                    *f = [f64::from(*a), f64::from(*b)];
                }
            }
            self.run_scratch(len);
            let scratch = &self.scratch[..len];
            if self.mid_side {
                for ((a, b), f) in l.iter_mut().zip(r.iter_mut()).zip(scratch.iter()) {
                    *a = (f[0] + f[1]) as f32;
                    *b = (f[0] - f[1]) as f32;
                }
            } else {
                for ((a, b), f) in l.iter_mut().zip(r.iter_mut()).zip(scratch.iter()) {
                    *a = f[0] as f32;
                    *b = f[1] as f32;
                }
            }
            start += len;
        }
    }
}

impl Processor for Eq {
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        if self.sections.is_empty() {
            return;
        }
        match channels {
            [] => {}
            [mono] => self.process_mono(mono),
            [left, right, ..] => self.process_stereo(left, right),
        }
    }

    fn reset(&mut self) {
        for s in &mut self.sections {
            s.s1 = [0.0; 2];
            s.s2 = [0.0; 2];
        }
        self.phase = 0;
    }
}
