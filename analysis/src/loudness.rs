//! Loudness per ITU-R BS.1770-4 / EBU R 128 (the ebur128 crate): integrated, range, maxima,
//! true and sample peak, and the momentary / short-term series at a 0.1 s hop.
//!
//! Channel weighting follows the ebur128 default map, which is BS.1770's: 1 channel is
//! measured as one front channel (weight 1.0, like ffmpeg's `ebur128` filter without
//! `dualmono`), 2 are L/R, 5 are L/R/C/Ls/Rs, 6 are L/R/C/LFE(unused)/Ls/Rs.
use ebur128::{Channel, EbuR128, Mode};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kweight::{k_hops, KHops};
use crate::peak::{channel_peaks, ChannelPeaks};
use crate::units::{amplitude_db, finite, hops};
use coda_engine::Audio;

/// Hop of the momentary and short-term series, in seconds (ffmpeg's and EBU's meter rate).
pub const SERIES_HOP_S: f64 = 0.1;

/// Frames handed to the integrated-loudness meter per call.
const CHUNK_FRAMES: usize = 1 << 16;

/// Programme loudness and peak figures; `None` where undefined (silence, too short).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    /// Gated integrated loudness (BS.1770-4), LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range (EBU Tech 3342), LU.
    pub range_lu: Option<f64>,
    /// Highest true peak over all channels (8x oversampled interpolation), dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Highest absolute sample over all channels, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Highest short-term (3 s) loudness, sampled every 0.1 s, LUFS.
    pub short_term_max_lufs: Option<f64>,
    /// Highest momentary (0.4 s) loudness, sampled every 0.1 s, LUFS.
    pub momentary_max_lufs: Option<f64>,
    /// True peak of each channel in file order, dBTP.
    pub true_peak_per_channel_dbtp: Vec<Option<f64>>,
    /// Time of the highest true peak from the start, seconds (`None` for silence).
    #[serde(default)]
    pub true_peak_at_s: Option<f64>,
}

/// Momentary and short-term loudness every [`SERIES_HOP_S`] seconds.
///
/// Entry `k` is the reading at the end of hop `k`, i.e. at `(k + 1) * 0.1` s (the last hop
/// may be shorter). Before 0.4 s (momentary) or 3 s (short-term) the window still holds the
/// meter's initial silence, as in ffmpeg.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoudnessSeries {
    /// Momentary loudness (0.4 s window), LUFS.
    pub momentary_lufs: Vec<Option<f64>>,
    /// Short-term loudness (3 s window), LUFS.
    pub short_term_lufs: Vec<Option<f64>>,
}

/// Loudness figures of `audio` (without keeping the series); parallel over the gated
/// meter and one true-peak meter per channel.
pub fn loudness_of(audio: &Audio) -> Result<Loudness> {
    Ok(measure_loudness(audio)?.0)
}

/// Gated integrated loudness only (cheapest call: channels in parallel), LUFS; `None` for
/// silence.
pub fn integrated_lufs(audio: &Audio) -> Result<Option<f64>> {
    if audio.channel_count() == 0 {
        return Err(Error::NoChannels);
    }
    if let Some(k) = fast_hops(audio) {
        return Ok(integrated_from_hops(&k.energy));
    }
    if audio.sample_rate_hz % 10 == 0 {
        let map = new_meter(audio, audio.channel_count(), Mode::M)?
            .channel_map()
            .to_vec();
        let per_channel: Vec<Vec<f64>> = audio
            .channels
            .par_iter()
            .zip(map.par_iter())
            .map(|(ch, &pos)| channel_hop_energies(audio, ch, pos).map(|k| k.0))
            .collect::<Result<_>>()?;
        let hops_n = per_channel[0].len();
        let hop_sum: Vec<f64> = (0..hops_n)
            .map(|k| per_channel.iter().map(|c| c[k]).sum())
            .collect();
        return Ok(integrated_from_hops(&hop_sum));
    }
    let mut meter = new_meter(audio, audio.channel_count(), Mode::I)?;
    let frames = audio.frames();
    let mut start = 0;
    while start < frames {
        let end = (start + CHUNK_FRAMES).min(frames);
        add(&mut meter, audio, start..end)?;
        start = end;
    }
    Ok(finite(
        meter.loudness_global().map_err(|e| meter_error(audio, e))?,
    ))
}

/// Short-term loudness every 0.1 s (as [`LoudnessSeries::short_term_lufs`]) and the
/// loudness range, LU, without the peak meters (cheapest for mono and stereo).
pub fn short_term_and_range(audio: &Audio) -> Result<(Vec<Option<f64>>, Option<f64>)> {
    let (loudness, series) = match fast_hops(audio) {
        Some(k) => from_hops(audio, &k.energy, k.tail, &[]),
        None => measure_loudness(audio)?,
    };
    Ok((series.short_term_lufs, loudness.range_lu))
}

/// Loudness figures plus the 0.1 s series.
///
/// At sample rates that are a multiple of 10 Hz (whole-frame 0.1 s hops) each channel runs
/// its own K-weighting and true-peak meter in parallel, and the BS.1770 gating (400 ms
/// blocks every 100 ms, -70 LUFS absolute and -10 LU relative gates) and the Tech 3342 range
/// (3 s blocks every 1 s, -20 LU relative gate, 10th-95th percentile) are computed here
/// from the per-hop energies, exactly as ebur128 does; other rates use one ebur128 meter
/// ([`measure_loudness_reference`]).
pub fn measure_loudness(audio: &Audio) -> Result<(Loudness, LoudnessSeries)> {
    if audio.channel_count() == 0 {
        return Err(Error::NoChannels);
    }
    if audio.sample_rate_hz % 10 != 0 {
        return measure_loudness_reference(audio);
    }
    if audio.channel_count() <= 2 {
        // K-weighting of both channels in one pass beside a true-peak meter per channel.
        let (k, peaks) = rayon::join(
            || fast_hops(audio).expect("mono or stereo at a multiple of 10 Hz"),
            || peaks(audio),
        );
        return Ok(from_hops(audio, &k.energy, k.tail, &peaks));
    }
    let map = new_meter(audio, audio.channel_count(), Mode::M)?
        .channel_map()
        .to_vec();
    let per_channel: Vec<ChannelLoudness> = audio
        .channels
        .par_iter()
        .zip(map.par_iter())
        .map(|(ch, &pos)| channel_loudness(audio, ch, pos))
        .collect::<Result<_>>()?;
    let hops_n = per_channel[0].hop_energy.len();
    let hop_sum: Vec<f64> = (0..hops_n)
        .map(|k| per_channel.iter().map(|c| c.hop_energy[k]).sum())
        .collect();
    let tail = per_channel[0].tail.map(|_| {
        per_channel
            .iter()
            .filter_map(|c| c.tail)
            .fold((0.0, 0.0), |a, t| (a.0 + t.0, a.1 + t.1))
    });
    let peaks: Vec<ChannelPeaks> = per_channel.iter().map(|c| c.peaks).collect();
    Ok(from_hops(audio, &hop_sum, tail, &peaks))
}

/// K-weighted hop energies without the ebur128 crate (mono or stereo at a multiple of
/// 10 Hz; `None` otherwise).
fn fast_hops(audio: &Audio) -> Option<KHops> {
    let n = audio.channel_count();
    ((1..=2).contains(&n) && audio.sample_rate_hz % 10 == 0).then(|| {
        let ch: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
        k_hops(&ch, audio.sample_rate_hz)
    })
}

/// Loudness figures and series from channel-summed hop energies, the (momentary,
/// short-term) energy after a final partial hop, and each channel's peaks.
fn from_hops(
    audio: &Audio,
    hop_sum: &[f64],
    tail: Option<(f64, f64)>,
    peaks: &[ChannelPeaks],
) -> (Loudness, LoudnessSeries) {
    let hops_n = hop_sum.len();
    let mut series = LoudnessSeries {
        momentary_lufs: (0..hops_n)
            .map(|k| mean_tail_lufs(&hop_sum[..=k], 4))
            .collect(),
        short_term_lufs: (0..hops_n)
            .map(|k| mean_tail_lufs(&hop_sum[..=k], 30))
            .collect(),
    };
    if let Some((m, st)) = tail {
        series.momentary_lufs.push(energy_lufs(m));
        series.short_term_lufs.push(energy_lufs(st));
    }
    let integrated = integrated_from_hops(hop_sum);
    let range = integrated.and(range_from_hops(hop_sum));
    assemble(audio, integrated, range, series, peaks)
}

/// Loudness through one multichannel ebur128 meter (the reference path; also used at sample
/// rates that are not a multiple of 10 Hz).
pub fn measure_loudness_reference(audio: &Audio) -> Result<(Loudness, LoudnessSeries)> {
    if audio.channel_count() == 0 {
        return Err(Error::NoChannels);
    }
    let (gated, peaks) = rayon::join(|| gated(audio), || peaks(audio));
    let (integrated, range, series) = gated?;
    Ok(assemble(audio, integrated, range, series, &peaks))
}

fn assemble(
    audio: &Audio,
    integrated_lufs: Option<f64>,
    range_lu: Option<f64>,
    series: LoudnessSeries,
    peaks: &[ChannelPeaks],
) -> (Loudness, LoudnessSeries) {
    let max_of = |v: &[Option<f64>]| v.iter().flatten().copied().reduce(f64::max);
    let loudest = peaks
        .iter()
        .copied()
        .reduce(|a, b| if b.true_peak > a.true_peak { b } else { a })
        .unwrap_or_default();
    let true_peak = loudest.true_peak;
    let sample_peak = peaks.iter().map(|p| p.sample_peak).fold(0.0, f64::max);
    let loudness = Loudness {
        integrated_lufs,
        range_lu,
        true_peak_dbtp: amplitude_db(true_peak),
        sample_peak_dbfs: amplitude_db(sample_peak),
        short_term_max_lufs: max_of(&series.short_term_lufs),
        momentary_max_lufs: max_of(&series.momentary_lufs),
        true_peak_per_channel_dbtp: peaks.iter().map(|p| amplitude_db(p.true_peak)).collect(),
        true_peak_at_s: (true_peak > 0.0)
            .then(|| loudest.true_peak_index as f64 / f64::from(audio.sample_rate_hz)),
    };
    (loudness, series)
}

/// One channel's weighted K-filtered energy per full 0.1 s hop, the (momentary,
/// short-term) energy after a final partial hop, and (true peak, sample peak).
struct ChannelLoudness {
    hop_energy: Vec<f64>,
    tail: Option<(f64, f64)>,
    peaks: ChannelPeaks,
}

/// Block energies and the (momentary, short-term) energies after a final partial hop.
type KSeries = (Vec<f64>, Option<(f64, f64)>);

/// One channel's K-weighted energy per full 0.1 s hop (BS.1770 channel weight applied).
fn channel_hop_energies(audio: &Audio, ch: &[f32], pos: Channel) -> Result<KSeries> {
    let err = |e| meter_error(audio, e);
    let mono = Audio {
        sample_rate_hz: audio.sample_rate_hz,
        channels: Vec::new(),
    };
    let mut meter = new_meter(&mono, 1, Mode::S)?;
    meter.set_channel(0, pos).map_err(err)?;
    let hop = audio.sample_rate_hz as usize / 10;
    let mut energies = Vec::with_capacity(ch.len() / hop + 1);
    let mut tail = None;
    for c in ch.chunks(hop) {
        meter.add_frames_planar_f32(&[c]).map_err(err)?;
        if c.len() == hop {
            energies.push(lufs_to_energy(meter.loudness_window(100).map_err(err)?));
        } else {
            tail = Some((
                lufs_to_energy(meter.loudness_momentary().map_err(err)?),
                lufs_to_energy(meter.loudness_shortterm().map_err(err)?),
            ));
        }
    }
    Ok((energies, tail))
}

fn channel_loudness(audio: &Audio, ch: &[f32], pos: Channel) -> Result<ChannelLoudness> {
    let (k, tp) = rayon::join(
        || channel_hop_energies(audio, ch, pos),
        || channel_peaks(ch),
    );
    let (hop_energy, tail) = k?;
    Ok(ChannelLoudness {
        hop_energy,
        tail,
        peaks: tp,
    })
}

/// Energy of the -70 LUFS absolute gate.
fn absolute_gate_energy() -> f64 {
    lufs_to_energy(-70.0)
}

/// Block energies: mean of `len` hops ending at hops `len-1, len-1+step, ...`.
fn blocks(hop_sum: &[f64], len: usize, step: usize) -> Vec<f64> {
    (len.saturating_sub(1)..hop_sum.len())
        .step_by(step)
        .map(|k| hop_sum[k + 1 - len..=k].iter().sum::<f64>() / len as f64)
        .filter(|&e| e >= absolute_gate_energy())
        .collect()
}

/// BS.1770-4 gated integrated loudness from 0.1 s hop energies, LUFS.
fn integrated_from_hops(hop_sum: &[f64]) -> Option<f64> {
    let b = blocks(hop_sum, 4, 1);
    if b.is_empty() {
        return None;
    }
    let relative = b.iter().sum::<f64>() / b.len() as f64 * 10f64.powf(-10.0 / 10.0);
    let gated: Vec<f64> = b.into_iter().filter(|&e| e >= relative).collect();
    energy_lufs(gated.iter().sum::<f64>() / gated.len().max(1) as f64)
}

/// EBU Tech 3342 loudness range from 0.1 s hop energies (3 s blocks every 1 s), LU.
fn range_from_hops(hop_sum: &[f64]) -> Option<f64> {
    let mut b = blocks(hop_sum, 30, 10);
    if b.is_empty() {
        return Some(0.0);
    }
    b.sort_by(f64::total_cmp);
    let relative = b.iter().sum::<f64>() / b.len() as f64 * 10f64.powf(-20.0 / 10.0);
    let kept = &b[b.iter().take_while(|&&e| e < relative).count()..];
    let last = kept.len().checked_sub(1)? as f64;
    let hi = kept[(last * 0.95 + 0.5) as usize];
    let lo = kept[(last * 0.1 + 0.5) as usize];
    Some(energy_lufs(hi)? - energy_lufs(lo)?)
}

fn energy_lufs(e: f64) -> Option<f64> {
    crate::units::power_db(e).map(|db| db + LUFS_OFFSET)
}

type Gated = (Option<f64>, Option<f64>, LoudnessSeries);

/// Integrated, range and the series from one meter fed in 0.1 s hops.
fn gated(audio: &Audio) -> Result<Gated> {
    let mut meter = new_meter(audio, audio.channel_count(), Mode::I | Mode::LRA)?;
    let ranges = hops(SERIES_HOP_S, audio.sample_rate_hz, audio.frames());
    let mut series = LoudnessSeries {
        momentary_lufs: Vec::with_capacity(ranges.len()),
        short_term_lufs: Vec::with_capacity(ranges.len()),
    };
    let err = |e| meter_error(audio, e);
    let rate = f64::from(audio.sample_rate_hz);
    let hop_frames = (SERIES_HOP_S * rate).round() as usize;
    // Momentary and short-term windows as whole hops (4 and 30). Asking the meter for them
    // every hop re-sums 3 s of audio each time; instead take the energy of each 0.1 s hop
    // once and average the last 4 / 30 (zeros before the start, as the meter's own buffer).
    let exact_hops = (hop_frames as f64 - SERIES_HOP_S * rate).abs() < 1e-9;
    let mut energies: Vec<f64> = Vec::with_capacity(ranges.len());
    for r in ranges {
        let full = r.len() == hop_frames;
        add(&mut meter, audio, r)?;
        if exact_hops && full {
            let lufs = meter
                .loudness_window((SERIES_HOP_S * 1000.0).round() as u32)
                .map_err(err)?;
            energies.push(lufs_to_energy(lufs));
            series.momentary_lufs.push(mean_tail_lufs(&energies, 4));
            series.short_term_lufs.push(mean_tail_lufs(&energies, 30));
        } else {
            energies.push(0.0);
            series
                .momentary_lufs
                .push(finite(meter.loudness_momentary().map_err(err)?));
            series
                .short_term_lufs
                .push(finite(meter.loudness_shortterm().map_err(err)?));
        }
    }
    let integrated = finite(meter.loudness_global().map_err(err)?);
    // ebur128 reports 0 LU for a signal with no gated short-term blocks; that is undefined.
    let range = match integrated {
        Some(_) => finite(meter.loudness_range().map_err(err)?),
        None => None,
    };
    Ok((integrated, range, series))
}

/// BS.1770 loudness offset: `L = -0.691 + 10 log10(weighted mean square)`.
const LUFS_OFFSET: f64 = -0.691;

fn lufs_to_energy(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs - LUFS_OFFSET) / 10.0)
    } else {
        0.0
    }
}

/// Loudness of the mean of the last `n` hop energies (missing hops count as silence).
fn mean_tail_lufs(energies: &[f64], n: usize) -> Option<f64> {
    let tail = &energies[energies.len().saturating_sub(n)..];
    let mean = tail.iter().sum::<f64>() / n as f64;
    crate::units::power_db(mean).map(|db| db + LUFS_OFFSET)
}

/// Sample and true peaks of each channel, in parallel.
fn peaks(audio: &Audio) -> Vec<ChannelPeaks> {
    audio
        .channels
        .par_iter()
        .map(|ch| channel_peaks(ch))
        .collect()
}

fn new_meter(audio: &Audio, channels: usize, mode: Mode) -> Result<EbuR128> {
    EbuR128::new(channels as u32, audio.sample_rate_hz, mode).map_err(|e| Error::Meter {
        channels,
        sample_rate_hz: audio.sample_rate_hz,
        reason: e.to_string(),
    })
}

fn add(meter: &mut EbuR128, audio: &Audio, r: std::ops::Range<usize>) -> Result<()> {
    let mut slices: [&[f32]; 64] = [&[]; 64];
    let n = audio.channel_count().min(64);
    for (s, ch) in slices.iter_mut().zip(&audio.channels) {
        *s = &ch[r.clone()];
    }
    meter
        .add_frames_planar_f32(&slices[..n])
        .map_err(|e| meter_error(audio, e))
}

fn meter_error(audio: &Audio, e: ebur128::Error) -> Error {
    Error::Meter {
        channels: audio.channel_count(),
        sample_rate_hz: audio.sample_rate_hz,
        reason: e.to_string(),
    }
}
