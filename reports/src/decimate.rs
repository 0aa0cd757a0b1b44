//! Decimation of time series for plotting: min/max per bucket, so a 1200 px plot gets at
//! most [`crate::style::MAX_POINTS`] points per series and still shows every peak and dip.
//! Gaps (`None`: below the gate, silence) break a series into separate segments.

/// Runs of defined points `(x, y)` of `values`, decimated to at most `max_points` points in
/// total (two per bucket: the bucket's minimum and maximum, in time order).
///
/// `x_of(k)` gives the x coordinate of entry `k`. A bucket with no defined value ends the
/// current segment. With `values.len() <= max_points` nothing is dropped.
pub fn segments(
    values: &[Option<f64>],
    x_of: impl Fn(usize) -> f64,
    max_points: usize,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut flush = |current: &mut Vec<(f64, f64)>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    if values.len() <= max_points.max(2) {
        for (k, v) in values.iter().enumerate() {
            match v {
                Some(y) if y.is_finite() => current.push((x_of(k), *y)),
                _ => flush(&mut current),
            }
        }
        flush(&mut current);
        return out;
    }
    let buckets = (max_points / 2).max(1);
    let size = values.len().div_ceil(buckets);
    for (b, chunk) in values.chunks(size).enumerate() {
        let base = b * size;
        let mut lo: Option<(usize, f64)> = None;
        let mut hi: Option<(usize, f64)> = None;
        for (i, v) in chunk.iter().enumerate() {
            let Some(y) = v.filter(|y| y.is_finite()) else {
                continue;
            };
            if lo.map_or(true, |(_, m)| y < m) {
                lo = Some((base + i, y));
            }
            if hi.map_or(true, |(_, m)| y > m) {
                hi = Some((base + i, y));
            }
        }
        match (lo, hi) {
            (Some(a), Some(b)) => {
                let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
                current.push((x_of(first.0), first.1));
                if second.0 != first.0 {
                    current.push((x_of(second.0), second.1));
                }
            }
            _ => flush(&mut current),
        }
    }
    flush(&mut current);
    out
}

/// [`segments`] of an `f32` series with no gaps.
pub fn segments_f32(
    values: &[f32],
    x_of: impl Fn(usize) -> f64,
    max_points: usize,
) -> Vec<Vec<(f64, f64)>> {
    let v: Vec<Option<f64>> = values.iter().map(|&x| Some(f64::from(x))).collect();
    segments(&v, x_of, max_points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_pass_unchanged_and_gaps_split() {
        let v = [Some(1.0), Some(2.0), None, Some(3.0)];
        let s = segments(&v, |k| k as f64, 100);
        assert_eq!(s, vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 3.0)]]);
    }

    #[test]
    fn long_series_keep_extremes_within_budget() {
        // 21 000 points (3.5 min of 10 ms gain-reduction hops) with one 1-sample spike.
        let mut v: Vec<Option<f64>> = (0..21_000).map(|k| Some((k as f64 * 0.01).sin())).collect();
        v[12_345] = Some(9.0);
        v[777] = Some(-9.0);
        let s = segments(&v, |k| k as f64, 2000);
        let n: usize = s.iter().map(Vec::len).sum();
        assert!(n <= 2000, "{n} points");
        assert!(n >= 1900, "{n} points");
        let all: Vec<(f64, f64)> = s.concat();
        assert!(all.contains(&(12_345.0, 9.0)));
        assert!(all.contains(&(777.0, -9.0)));
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "time order kept");
    }

    #[test]
    fn all_none_buckets_make_gaps_in_long_series() {
        let v: Vec<Option<f64>> = (0..10_000)
            .map(|k| (!(4000..6000).contains(&k)).then_some(1.0))
            .collect();
        let s = segments(&v, |k| k as f64, 1000);
        assert_eq!(s.len(), 2);
        assert!(s[0].last().unwrap().0 < 4000.0 && s[1][0].0 >= 6000.0);
    }
}
