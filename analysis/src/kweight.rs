//! BS.1770 K-weighting without the ebur128 crate, for one or two equally weighted channels
//! (mono, L/R): ebur128's own filter (the two stages folded into one 4th-order direct-form
//! section, the same coefficients, f64 state), squared and summed per 0.1 s hop, the two
//! channels in parallel. Agrees with the crate to rounding
//! (`tests/kweight.rs`: well within 0.001 LU) at a fraction of its time.

/// ebur128's K-weighting at `rate_hz`: the high-shelf and high-pass stages multiplied
/// into one 4th-order filter, `(b, a)` with `a[0] = 1` (libebur128's formulas and constants).
#[allow(non_snake_case)]
fn coefficients(rate_hz: f64) -> ([f64; 5], [f64; 5]) {
    let f0 = 1681.974450955533;
    let G = 3.999843853973347;
    let Q = 0.7071752369554196;
    let K = f64::tan(std::f64::consts::PI * f0 / rate_hz);
    let Vh = f64::powf(10.0, G / 20.0);
    let Vb = f64::powf(Vh, 0.4996667741545416);
    let a0 = 1.0 + K / Q + K * K;
    let pb = [
        (Vh + Vb * K / Q + K * K) / a0,
        2.0 * (K * K - Vh) / a0,
        (Vh - Vb * K / Q + K * K) / a0,
    ];
    let pa = [1.0, 2.0 * (K * K - 1.0) / a0, (1.0 - K / Q + K * K) / a0];
    let f0 = 38.13547087602444;
    let Q = 0.5003270373238773;
    let K = f64::tan(std::f64::consts::PI * f0 / rate_hz);
    let rb = [1.0, -2.0, 1.0];
    let ra = [
        1.0,
        2.0 * (K * K - 1.0) / (1.0 + K / Q + K * K),
        (1.0 - K / Q + K * K) / (1.0 + K / Q + K * K),
    ];
    let fold = |p: [f64; 3], r: [f64; 3]| {
        [
            p[0] * r[0],
            p[0] * r[1] + p[1] * r[0],
            p[0] * r[2] + p[1] * r[1] + p[2] * r[0],
            p[1] * r[2] + p[2] * r[1],
            p[2] * r[2],
        ]
    };
    (fold(pb, rb), fold(pa, ra))
}

/// K-weighted energies of a signal on the 0.1 s hop grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct KHops {
    /// Mean square of the K-weighted signal in each full hop, summed over channels.
    pub energy: Vec<f64>,
    /// (momentary, short-term) energy after a final partial hop, summed over channels.
    pub tail: Option<(f64, f64)>,
}

/// One channel's filter state and the last 3 s of its squared output.
struct Lane {
    s: [f64; 5],
    ring: Vec<f64>,
}

impl Lane {
    fn new(ring_len: usize) -> Self {
        Self {
            s: [0.0; 5],
            ring: vec![0.0; ring_len],
        }
    }

    /// Sum of the last `n` squares before ring position `pos`, oldest first.
    fn last(&self, pos: usize, n: usize) -> f64 {
        let len = self.ring.len();
        (0..n).map(|i| self.ring[(pos + len - n + i) % len]).sum()
    }

    /// ebur128 flushes denormal state at the end of each call.
    fn flush(&mut self) {
        for v in &mut self.s {
            if v.abs() < f64::MIN_POSITIVE {
                *v = 0.0;
            }
        }
    }
}

/// Filters `x` through one lane: returns the sum of squares and writes them to the ring.
#[inline(always)]
fn step(lane: &mut Lane, b: &[f64; 5], a: &[f64; 5], x: f32, pos: usize) -> f64 {
    let s = &mut lane.s;
    // The previous output's term last: the loop-carried chain is one multiply and one add.
    let v0 = f64::from(x) - a[4] * s[4] - a[3] * s[3] - a[2] * s[2] - a[1] * s[1];
    let y = b[0] * v0 + b[1] * s[1] + b[2] * s[2] + b[3] * s[3] + b[4] * s[4];
    s[4] = s[3];
    s[3] = s[2];
    s[2] = s[1];
    s[1] = v0;
    let sq = y * y;
    lane.ring[pos] = sq;
    sq
}

/// K-weighted hop energies of `channels` (one or two, equal length, weight 1 each) at
/// `rate_hz`, a multiple of 10 Hz. Two channels run in parallel (rayon) and their hop
/// energies are added in channel order, so the result does not depend on the threads.
pub(crate) fn k_hops(channels: &[&[f32]], rate_hz: u32) -> KHops {
    assert!((1..=2).contains(&channels.len()) && rate_hz % 10 == 0);
    let frames = channels[0].len();
    assert!(channels.iter().all(|c| c.len() == frames));
    match channels {
        [x] => channel_hops(x, rate_hz),
        [x, y] => {
            let (a, b) = rayon::join(|| channel_hops(x, rate_hz), || channel_hops(y, rate_hz));
            KHops {
                energy: a.energy.iter().zip(&b.energy).map(|(p, q)| p + q).collect(),
                tail: a.tail.zip(b.tail).map(|(p, q)| (p.0 + q.0, p.1 + q.1)),
            }
        }
        _ => unreachable!(),
    }
}

/// One channel's K-weighted hop energies.
fn channel_hops(x: &[f32], rate_hz: u32) -> KHops {
    let (b, a) = coefficients(f64::from(rate_hz));
    let hop = rate_hz as usize / 10;
    let ring_len = 30 * hop;
    let mut lane = Lane::new(ring_len);
    let mut out = KHops {
        energy: Vec::with_capacity(x.len() / hop + 1),
        tail: None,
    };
    let mut pos = 0;
    for chunk in x.chunks(hop) {
        let mut sum = 0.0;
        for &u in chunk {
            sum += step(&mut lane, &b, &a, u, pos);
            pos = if pos + 1 == ring_len { 0 } else { pos + 1 };
        }
        lane.flush();
        if chunk.len() == hop {
            out.energy.push(sum / hop as f64);
        } else {
            let window = |k: usize| lane.last(pos, k * hop) / (k * hop) as f64;
            out.tail = Some((window(4), window(30)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn coefficients_match_ebur128s_filter_on_an_impulse() {
        // The crate's meter on a unit impulse (short-term window) against ours.
        let rate = 48_000;
        let mut x = vec![0.0f32; 4_800];
        x[0] = 1.0;
        let ours = super::k_hops(&[&x], rate).energy[0];
        let mut m = ebur128::EbuR128::new(1, rate, ebur128::Mode::S).unwrap();
        m.add_frames_planar_f32(&[&x]).unwrap();
        let lufs = m.loudness_window(100).unwrap();
        let theirs = 10f64.powf((lufs + 0.691) / 10.0);
        assert!((ours / theirs - 1.0).abs() < 1e-9, "{ours} vs {theirs}");
    }
}
