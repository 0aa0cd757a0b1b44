//! Tonal comparison of two long-term mid spectra: smoothing, level matching on the part of
//! the spectrum where the two agree, and the regions where they differ. Shared by the
//! spectrum plot (which draws the level-matched curves) and the diagnosis (which names the
//! regions), so the figures in the text can be read off the plot.
use coda_analysis::Spectrum;

/// Half-width of the smoothing window, in fine-curve points (1/12 octave each): the moving
/// average spans 5 points, about 1/3 octave on top of the 1/6-octave bands.
pub const SMOOTH_HALF_POINTS: usize = 2;
/// Lowest frequency compared, Hz (below it orchestral recordings hold mostly rumble).
pub const COMPARE_LO_HZ: f64 = 25.0;
/// Highest frequency compared, Hz (lossy references are often cut above it).
pub const COMPARE_HI_HZ: f64 = 16_000.0;
/// A point is compared only while both curves are within this much of their own maximum, dB.
pub const DYNAMIC_RANGE_DB: f64 = 60.0;
/// Points whose differences lie within this of each other count as agreeing when the level
/// offset is chosen, dB.
pub const AGREEMENT_DB: f64 = 1.0;

/// Longest dip (fine-curve points, 1/12 octave each: half an octave) joined into one region
/// with the runs on both sides.
pub const MAX_GAP_POINTS: usize = 6;

/// A region starting (ending) within this many points (1/3 octave) of the compared range's
/// lower (upper) end counts as a low-end (top-end) region.
pub const EDGE_POINTS: usize = 4;

/// Moving average of a dB curve over `half` points either side (defined points only).
pub fn smooth(values: &[Option<f64>], half: usize) -> Vec<Option<f64>> {
    (0..values.len())
        .map(|k| {
            values[k]?;
            let lo = k.saturating_sub(half);
            let hi = (k + half).min(values.len() - 1);
            let (sum, n) = values[lo..=hi]
                .iter()
                .flatten()
                .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            Some(sum / n as f64)
        })
        .collect()
}

/// The smoothed, level-matched difference of a mix's mid spectrum against another's.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneComparison {
    /// Fine-curve frequencies, Hz.
    pub freqs_hz: Vec<f64>,
    /// Smoothed mix minus smoothed other, after level matching, dB (`None` outside the
    /// compared range or where either curve is near silent).
    pub diff_db: Vec<Option<f64>>,
    /// Gain added to the other curve to match the mix's level, dB.
    pub offset_db: f64,
}

/// A contiguous span where the mix differs from the other curve by more than a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Lowest frequency of the span, Hz.
    pub lo_hz: f64,
    /// Highest frequency of the span, Hz.
    pub hi_hz: f64,
    /// Frequency of the largest difference, Hz.
    pub peak_hz: f64,
    /// Largest difference (signed: positive = mix louder), dB.
    pub peak_db: f64,
    /// Mean difference over the span, dB.
    pub mean_db: f64,
    /// The span starts within [`EDGE_POINTS`] of the lowest compared frequency (a low-end
    /// difference).
    pub open_below: bool,
    /// The span ends within [`EDGE_POINTS`] of the highest compared frequency (a top-end
    /// difference).
    pub open_above: bool,
    /// Sum of |difference| over the span's points (dB x 1/12 octave): its weight.
    pub area_db: f64,
}

fn valid_mask(freqs_hz: &[f64], curve: &[Option<f64>]) -> Vec<bool> {
    let in_range = |f: f64| (COMPARE_LO_HZ..=COMPARE_HI_HZ).contains(&f);
    let max = freqs_hz
        .iter()
        .zip(curve)
        .filter(|(f, _)| in_range(**f))
        .filter_map(|(_, v)| *v)
        .fold(f64::NEG_INFINITY, f64::max);
    freqs_hz
        .iter()
        .zip(curve)
        .map(|(&f, v)| in_range(f) && v.is_some_and(|v| v > max - DYNAMIC_RANGE_DB))
        .collect()
}

/// `curve` with points outside the compared range or near silence removed, then smoothed.
pub fn audible_smoothed(freqs_hz: &[f64], curve: &[Option<f64>]) -> Vec<Option<f64>> {
    let mask = valid_mask(freqs_hz, curve);
    let kept: Vec<Option<f64>> = curve
        .iter()
        .zip(&mask)
        .map(|(v, &ok)| v.filter(|_| ok))
        .collect();
    smooth(&kept, SMOOTH_HALF_POINTS)
}

/// Gain that brings `other` to the level of `mix`: the median difference over the largest
/// set of points whose differences agree within 2 x [`AGREEMENT_DB`] (so a shelf or a
/// resonance does not pull the match, as a plain mean would). `None` when nothing overlaps.
pub fn level_offset_db(diffs: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = diffs.iter().copied().filter(|d| d.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    // Widest window of sorted values no wider than 2 x AGREEMENT_DB (two pointers).
    let (mut best, mut best_n, mut j) = ((0, 1), 0usize, 0usize);
    for i in 0..sorted.len() {
        while j < sorted.len() && sorted[j] - sorted[i] <= 2.0 * AGREEMENT_DB {
            j += 1;
        }
        if j - i > best_n {
            best_n = j - i;
            best = (i, j);
        }
    }
    // The window's median: the plateau itself, not pulled by the shoulders of a bump.
    let window = &sorted[best.0..best.1];
    let mid = window.len() / 2;
    Some(if window.len() % 2 == 1 {
        window[mid]
    } else {
        (window[mid - 1] + window[mid]) / 2.0
    })
}

/// Compares the mid spectra of `mix` and `other` (fine curves, smoothed, level-matched).
/// `None` when they share no audible band.
pub fn compare(mix: &Spectrum, other: &Spectrum) -> Option<ToneComparison> {
    if mix.fine_hz.len() != other.fine_hz.len() {
        return None;
    }
    let freqs_hz = mix.fine_hz.clone();
    let a = audible_smoothed(&freqs_hz, &mix.fine_mid_db);
    let b = audible_smoothed(&freqs_hz, &other.fine_mid_db);
    let raw: Vec<Option<f64>> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| Some(x.as_ref()? - y.as_ref()?))
        .collect();
    let flat: Vec<f64> = raw.iter().flatten().copied().collect();
    let offset_db = level_offset_db(&flat)?;
    Some(ToneComparison {
        freqs_hz,
        diff_db: raw.iter().map(|d| d.map(|d| d - offset_db)).collect(),
        offset_db,
    })
}

/// Spans of at least `min_points` consecutive points where the difference exceeds
/// `threshold_db` with one sign, largest first (by [`Region::area_db`]).
pub fn regions(cmp: &ToneComparison, threshold_db: f64, min_points: usize) -> Vec<Region> {
    let first = cmp.diff_db.iter().position(Option::is_some);
    let last = cmp.diff_db.iter().rposition(Option::is_some);
    let (Some(first), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let sign = |d: Option<f64>| match d {
        Some(d) if d > threshold_db => 1,
        Some(d) if d < -threshold_db => -1,
        _ => 0,
    };
    // Runs of one sign beyond the threshold, as inclusive index spans.
    let mut runs: Vec<(usize, usize, i32)> = Vec::new();
    let mut k = first;
    while k <= last {
        let s = sign(cmp.diff_db[k]);
        if s == 0 {
            k += 1;
            continue;
        }
        let start = k;
        while k <= last && sign(cmp.diff_db[k]) == s {
            k += 1;
        }
        runs.push((start, k - 1, s));
    }
    // Join runs of one sign split by a short dip that keeps the sign and half the threshold.
    let mut joined: Vec<(usize, usize, i32)> = Vec::new();
    for run in runs {
        if let Some(prev) = joined.last_mut() {
            let gap = prev.1 + 1..run.0;
            let keeps = cmp.diff_db[gap.clone()]
                .iter()
                .all(|d| d.is_some_and(|d| d * f64::from(run.2) > threshold_db / 2.0));
            if prev.2 == run.2 && gap.len() <= MAX_GAP_POINTS && keeps {
                prev.1 = run.1;
                continue;
            }
        }
        joined.push(run);
    }
    let mut out = Vec::new();
    for (start, end, _) in joined {
        if end + 1 - start < min_points {
            continue;
        }
        let span: Vec<(f64, f64)> = (start..=end)
            .map(|i| (cmp.freqs_hz[i], cmp.diff_db[i].unwrap_or(0.0)))
            .collect();
        let peak = span
            .iter()
            .copied()
            .max_by(|x, y| x.1.abs().total_cmp(&y.1.abs()))
            .unwrap_or((0.0, 0.0));
        out.push(Region {
            lo_hz: cmp.freqs_hz[start],
            hi_hz: cmp.freqs_hz[end],
            peak_hz: peak.0,
            peak_db: peak.1,
            mean_db: span.iter().map(|p| p.1).sum::<f64>() / span.len() as f64,
            open_below: start <= first + EDGE_POINTS,
            open_above: end + EDGE_POINTS >= last,
            area_db: span.iter().map(|p| p.1.abs()).sum(),
        });
    }
    out.sort_by(|x, y| y.area_db.total_cmp(&x.area_db));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum(mid: impl Fn(f64) -> f64) -> Spectrum {
        let fine_hz = coda_analysis::fine_centres_hz();
        let fine_mid_db = fine_hz.iter().map(|&f| Some(mid(f))).collect();
        Spectrum {
            bands_hz: Vec::new(),
            mid_db: Vec::new(),
            side_db: Vec::new(),
            fine_mid_db,
            fine_side_db: vec![None; fine_hz.len()],
            fine_hz,
        }
    }

    #[test]
    fn level_offset_ignores_a_shelf() {
        // 60 % of points agree at +6 dB, 40 % are 4 dB higher (a shelf): the plain mean
        // would say 7.6 dB.
        let mut d = vec![6.0; 60];
        d.extend(vec![10.0; 40]);
        assert!((level_offset_db(&d).unwrap() - 6.0).abs() < 1e-9);
        assert_eq!(level_offset_db(&[]), None);
    }

    #[test]
    fn shelf_and_bell_found_with_their_figures() {
        // Mix = reference - 3 dB overall, +4 dB below 100 Hz, +3 dB bell at 3 kHz.
        let pink = |f: f64| -20.0 - 3.0 * (f / 1000.0).log2();
        let reference = spectrum(pink);
        let mix = spectrum(|f: f64| {
            let oct = (f / 3000.0).log2();
            pink(f) - 3.0 + if f < 100.0 { 4.0 } else { 0.0 } + 3.0 * (-oct * oct * 8.0).exp()
        });
        let cmp = compare(&mix, &reference).unwrap();
        assert!(
            (cmp.offset_db + 3.0).abs() < 1e-9,
            "offset {}",
            cmp.offset_db
        );
        let r = regions(&cmp, 1.5, 3);
        assert_eq!(r.len(), 2, "{r:?}");
        let low = r.iter().find(|r| r.open_below).unwrap();
        assert!((low.peak_db - 4.0).abs() < 0.01, "{low:?}");
        assert!(low.hi_hz < 120.0 && low.hi_hz > 80.0, "{low:?}");
        let bell = r.iter().find(|r| !r.open_below).unwrap();
        assert!(
            (bell.peak_hz / 3000.0).log2().abs() < 1.0 / 12.0 + 1e-9,
            "{bell:?}"
        );
        // 5-point smoothing of a Gaussian bell lowers its top a little.
        assert!(bell.peak_db > 2.3 && bell.peak_db <= 3.0, "{bell:?}");
        assert!(!bell.open_above);
    }

    #[test]
    fn near_silent_points_are_not_compared() {
        let reference = spectrum(|f| if f < 40.0 { -150.0 } else { -20.0 });
        let mix = spectrum(|_| -20.0);
        let cmp = compare(&mix, &reference).unwrap();
        assert!(regions(&cmp, 1.5, 3).is_empty());
    }
}
