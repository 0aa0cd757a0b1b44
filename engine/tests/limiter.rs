//! Limiter tests. The ceiling is checked with an independent 8x true-peak measurement:
//! the whole output is upsampled by FFT zero-padding (ideal band-limited interpolation),
//! not by the limiter's own `TruePeakDetector`.
use coda_engine::processors::limiter::{Limiter, LimiterConfig};
use coda_engine::processors::Processor;
use proptest::prelude::*;
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use realfft::RealFftPlanner;
use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

/// The signal the samples describe (silence before and after), upsampled 8x: FFT of the
/// signal zero-padded by at least 8192 samples, spectrum zero-extended to 8x, inverse FFT.
/// The Nyquist bin is split between +-Nyquist so it interpolates as a cosine.
fn upsample_8x(x: &[f32]) -> Vec<f64> {
    let m = (x.len() + 8192).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(m);
    let inv = planner.plan_fft_inverse(8 * m);
    let mut input = vec![0.0f64; m];
    for (i, &v) in x.iter().enumerate() {
        input[i] = f64::from(v);
    }
    let mut spec = fwd.make_output_vec();
    fwd.process(&mut input, &mut spec).unwrap();
    let mut big = inv.make_input_vec();
    big[..m / 2].copy_from_slice(&spec[..m / 2]);
    big[m / 2] = spec[m / 2] * 0.5;
    let mut out = inv.make_output_vec();
    inv.process(&mut big, &mut out).unwrap();
    let scale = 1.0 / m as f64;
    out.iter().map(|v| v * scale).collect()
}

/// Independent 8x true peak of all channels, linear.
fn true_peak_8x(channels: &[Vec<f32>]) -> f64 {
    channels
        .iter()
        .flat_map(|c| upsample_8x(c))
        .fold(0.0, |a, v| a.max(v.abs()))
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

fn cfg(ceiling_dbtp: f64, lookahead_ms: f64, release_ms: f64) -> LimiterConfig {
    LimiterConfig {
        ceiling_dbtp,
        lookahead_ms,
        release_ms,
    }
}

/// Renders like `render.rs`: pads the input with the latency, processes in blocks of
/// `block` frames, drops the latency. Returns the output and the limiter.
fn render(
    config: &LimiterConfig,
    fs: u32,
    input: &[Vec<f32>],
    block: usize,
) -> (Vec<Vec<f32>>, Limiter) {
    let mut lim = Limiter::new(config, fs).unwrap();
    let d = lim.latency_samples();
    let n = input[0].len();
    let mut buf: Vec<Vec<f32>> = input
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.resize(n + d, 0.0);
            c
        })
        .collect();
    let mut start = 0;
    while start < n + d {
        let end = (start + block).min(n + d);
        let mut views: Vec<&mut [f32]> = buf.iter_mut().map(|c| &mut c[start..end]).collect();
        lim.process(&mut views);
        start = end;
    }
    for c in &mut buf {
        c.drain(..d);
    }
    (buf, lim)
}

/// Output true peak minus the ceiling, dB (must be <= 0).
fn over_db(config: &LimiterConfig, fs: u32, input: &[Vec<f32>]) -> f64 {
    let (out, _) = render(config, fs, input, 16_384);
    db(true_peak_8x(&out)) - config.ceiling_dbtp
}

fn stereo(x: Vec<f32>) -> Vec<Vec<f32>> {
    vec![x.clone(), x]
}

fn scaled(x: &[Vec<f32>], gain: f32) -> Vec<Vec<f32>> {
    x.iter()
        .map(|c| c.iter().map(|&v| v * gain).collect())
        .collect()
}

/// Naive digital square wave (+-amp), period `fs / freq_hz` samples, any phase.
fn square(freq_hz: f64, fs: u32, frames: usize, amp: f32) -> Vec<f32> {
    let period = f64::from(fs) / freq_hz;
    (0..frames)
        .map(|i| {
            if (i as f64 / period + 0.13).fract() < 0.5 {
                amp
            } else {
                -amp
            }
        })
        .collect()
}

#[test]
fn checker_reads_known_peaks() {
    // A Hann-faded fs/4 sine at 45 degrees: samples +-A/sqrt(2), peaks A midway (on the
    // 8x grid).
    let n = 8192;
    let fade = |i: usize| (PI * i as f64 / n as f64).sin().powi(2);
    let x: Vec<f32> = (0..n)
        .map(|i| (fade(i) * (FRAC_PI_2 * i as f64 + FRAC_PI_4).sin()) as f32)
        .collect();
    let sample_peak = x.iter().fold(0.0f32, |a, &v| a.max(v.abs()));
    assert!((f64::from(sample_peak) - 0.5f64.sqrt()).abs() < 1e-3);
    let tp = true_peak_8x(&[x]);
    assert!((tp - 1.0).abs() < 1e-6, "{tp}");
    // A faded 997 Hz tone of amplitude 0.8: the 8x grid misses the crest by at most
    // 1 - cos(2 pi 997 / 44100 / 16) = 2e-5.
    let x: Vec<f32> = (0..n)
        .map(|i| (0.8 * fade(i) * (2.0 * PI * 997.0 * i as f64 / 44_100.0 + 0.3).sin()) as f32)
        .collect();
    let tp = true_peak_8x(&[x]);
    assert!((tp - 0.8).abs() < 1e-4, "{tp}");
}

#[test]
fn ceiling_holds_on_full_scale_square_waves() {
    let fs = 44_100;
    let frames = 22_050;
    for &f in &[40.0, 441.0, 1000.0, 3001.0, 7000.0, 11_025.0, 14_700.0] {
        let x = stereo(square(f, fs, frames, 1.0));
        let input_over = db(true_peak_8x(&x));
        assert!(input_over > 2.0, "{f} Hz square: {input_over} dBTP in");
        for ceiling in [-1.0, -0.1] {
            let over = over_db(&cfg(ceiling, 5.0, 150.0), fs, &x);
            assert!(
                over <= 0.0,
                "{f} Hz square, ceiling {ceiling}: {over:+.4} dB over"
            );
        }
    }
}

#[test]
fn ceiling_holds_on_fs4_sines_at_45_degrees() {
    // Samples at +-1.0 (full scale) and +-2.0, true peaks sqrt(2) times higher: +3 dB
    // intersample overs.
    for &fs in &[44_100, 48_000, 96_000] {
        for &amp in &[1.0f64, 2.0] {
            let x: Vec<f32> = (0..fs as usize / 2)
                .map(|i| (amp * 2f64.sqrt() * (FRAC_PI_2 * i as f64 + FRAC_PI_4).sin()) as f32)
                .collect();
            let x = stereo(x);
            assert!(db(true_peak_8x(&x)) > db(amp) + 2.9);
            for ceiling in [-1.0, 0.0] {
                let over = over_db(&cfg(ceiling, 5.0, 150.0), fs, &x);
                assert!(over <= 0.0, "fs {fs}, amp {amp}: {over:+.4} dB over");
                // Steady material is limited to the ceiling, not far below it.
                assert!(
                    over > -0.3,
                    "fs {fs}, amp {amp}: {over:+.4} dB (over-limited)"
                );
            }
        }
    }
}

/// Synthetic drums at 120 BPM, driven +12 dB into a hard sample clipper at full scale:
/// the clipped flat tops make intersample overs.
fn clipped_drums(fs: u32, frames: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let fsf = f64::from(fs);
    let beat = (0.5 * fsf) as usize;
    let mut l = vec![0.0f64; frames];
    let mut r = vec![0.0f64; frames];
    let mut start = 0;
    let mut bar = 0;
    while start < frames {
        for i in 0..(0.4 * fsf) as usize {
            let n = start + i;
            if n >= frames {
                break;
            }
            let t = i as f64 / fsf;
            // Kick: a pitch sweep 150 -> 45 Hz with a fast decay.
            let phase = 2.0 * PI * (45.0 * t + 105.0 * (1.0 - (-t * 30.0).exp()) / 30.0);
            let kick = 0.9 * phase.sin() * (-t * 8.0).exp();
            l[n] += kick;
            r[n] += kick;
        }
        if bar % 2 == 1 {
            // Snare: a noise burst with a 190 Hz body.
            for i in 0..(0.25 * fsf) as usize {
                let n = start + i;
                if n >= frames {
                    break;
                }
                let t = i as f64 / fsf;
                let env = (-t * 18.0).exp();
                let body = 0.4 * (2.0 * PI * 190.0 * t).sin();
                l[n] += env * (0.6 * rng.gen_range(-1.0..1.0) + body);
                r[n] += env * (0.6 * rng.gen_range(-1.0..1.0) + body);
            }
        }
        // Hats on the off-beats: differentiated (bright) noise.
        let hat = start + beat / 2;
        let mut prev = 0.0;
        for i in 0..(0.05 * fsf) as usize {
            let n = hat + i;
            if n >= frames {
                break;
            }
            let v: f64 = rng.gen_range(-1.0..1.0);
            let env = (-(i as f64) / fsf * 80.0).exp();
            l[n] += 0.3 * env * (v - prev);
            r[n] += 0.3 * env * (prev - v);
            prev = v;
        }
        start += beat;
        bar += 1;
    }
    let clip = |c: Vec<f64>| -> Vec<f32> {
        c.into_iter()
            .map(|v| (v * 4.0).clamp(-1.0, 1.0) as f32)
            .collect()
    };
    vec![clip(l), clip(r)]
}

#[test]
fn ceiling_holds_on_clipped_drums() {
    for &fs in &[44_100, 48_000] {
        let x = clipped_drums(fs, fs as usize * 2, 11);
        let input_tp = db(true_peak_8x(&x));
        assert!(input_tp > 0.5, "clipping makes overs: {input_tp} dBTP");
        for ceiling in [-1.0, -3.0] {
            let over = over_db(&cfg(ceiling, 5.0, 150.0), fs, &x);
            assert!(
                over <= 0.0,
                "fs {fs}, ceiling {ceiling}: {over:+.4} dB over"
            );
            assert!(over > -0.6, "fs {fs}, ceiling {ceiling}: {over:+.4} dB");
        }
    }
}

#[test]
fn ceiling_holds_on_music_driven_20_db_over() {
    let fs = 44_100;
    let pieces = [
        coda_corpus::synth::hybrid(5, 3.0, fs),
        coda_corpus::synth::orchestral(6, 3.0, fs),
        coda_corpus::synth::film_cue(7, 3.0, fs),
    ];
    for (i, piece) in pieces.iter().enumerate() {
        let x = scaled(&piece.channels, 10.0);
        for (ceiling, lookahead_ms, release_ms) in [(-1.0, 5.0, 150.0), (-0.3, 1.0, 50.0)] {
            let c = cfg(ceiling, lookahead_ms, release_ms);
            let over = over_db(&c, fs, &x);
            assert!(over <= 0.0, "piece {i}, {c:?}: {over:+.4} dB over");
            // Music has little content near Nyquist: the safety margin stays small.
            assert!(
                over > -0.25,
                "piece {i}, {c:?}: {over:+.4} dB (over-limited)"
            );
        }
    }
}

/// A random test signal of `frames` frames: one of several kinds (white noise, tones up
/// to Nyquist, clicks, random steps, near-Nyquist tones over a bass), at `gain_db`.
fn random_signal(kind: u8, seed: u64, frames: usize, gain_db: f64, fs: u32) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = 10f64.powf(gain_db / 20.0);
    let linked: bool = rng.gen();
    let channel = |rng: &mut ChaCha8Rng| -> Vec<f32> {
        let x: Vec<f64> = match kind {
            0 => (0..frames).map(|_| rng.gen_range(-1.0..1.0)).collect(),
            1 => {
                let tones: Vec<(f64, f64, f64)> = (0..rng.gen_range(1..5))
                    .map(|_| {
                        (
                            rng.gen_range(0.0..PI),
                            rng.gen_range(0.0..2.0 * PI),
                            rng.gen_range(0.1..1.0),
                        )
                    })
                    .collect();
                (0..frames)
                    .map(|n| {
                        tones
                            .iter()
                            .map(|&(w, ph, a)| a * (w * n as f64 + ph).sin())
                            .sum()
                    })
                    .collect()
            }
            2 => {
                let mut x = vec![0.0; frames];
                for _ in 0..rng.gen_range(1..40) {
                    let at = rng.gen_range(0..frames);
                    x[at] = rng.gen_range(-1.0..1.0);
                }
                x
            }
            3 => {
                let mut x = Vec::with_capacity(frames);
                while x.len() < frames {
                    let v: f64 = rng.gen_range(-1.0..1.0);
                    let hold = rng.gen_range(1..60);
                    x.extend(std::iter::repeat(v).take(hold));
                }
                x.truncate(frames);
                x
            }
            _ => {
                let w = rng.gen_range(0.85 * PI..PI);
                let ph = rng.gen_range(0.0..2.0 * PI);
                let bass = 2.0 * PI * rng.gen_range(30.0..200.0) / f64::from(fs);
                (0..frames)
                    .map(|n| 0.5 * (w * n as f64 + ph).sin() + 0.5 * (bass * n as f64).sin())
                    .collect()
            }
        };
        x.into_iter().map(|v| (v * g) as f32).collect()
    };
    let l = channel(&mut rng);
    let r = if linked { l.clone() } else { channel(&mut rng) };
    vec![l, r]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn ceiling_holds_on_random_signals(
        kind in 0u8..5,
        seed in any::<u64>(),
        gain_db in -6.0f64..30.0,
        ceiling in -20.0f64..=0.0,
        lookahead_ms in 1.0f64..=20.0,
        release_ms in 10.0f64..=2000.0,
        rate in 0usize..3,
    ) {
        let fs = [44_100, 48_000, 96_000][rate];
        let x = random_signal(kind, seed, 4096, gain_db, fs);
        let c = cfg(ceiling, lookahead_ms, release_ms);
        let over = over_db(&c, fs, &x);
        prop_assert!(over <= 0.0, "kind {kind}, {c:?} at {fs} Hz: {over:+.4} dB over");
    }
}

/// Distance from Nyquist of the nearest alias of the naive square's odd harmonics whose
/// amplitude (4 / (pi k) of the square's) exceeds 1 %, Hz.
fn nearest_strong_alias_hz(freq_hz: f64, fs: u32) -> f64 {
    let fs = f64::from(fs);
    (1..=127)
        .step_by(2)
        .map(|k| {
            let h = (k as f64 * freq_hz) % fs;
            let folded = if h > fs / 2.0 { fs - h } else { h };
            fs / 2.0 - folded
        })
        .fold(f64::MAX, f64::min)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Naive squares at any frequency, except those with a strong alias within 20 Hz of
    /// Nyquist: such a tone beats so slowly that its samples can sit near its envelope's
    /// zero for longer than any lookahead while its intersample peaks stay full (see
    /// `Limiter`'s limits).
    #[test]
    fn ceiling_holds_on_squares_of_any_frequency(
        freq in 0.0f64..1.0,
        amp in 0.3f32..4.0,
        ceiling in -6.0f64..=0.0,
        lookahead_ms in 1.0f64..=20.0,
        rate in 0usize..2,
    ) {
        let fs = [44_100, 48_000][rate];
        let freq_hz = 20.0 + freq * (f64::from(fs) / 2.0 - 20.0);
        prop_assume!(nearest_strong_alias_hz(freq_hz, fs) > 20.0);
        let x = stereo(square(freq_hz, fs, 8192, amp));
        let c = cfg(ceiling, lookahead_ms, 150.0);
        let over = over_db(&c, fs, &x);
        prop_assert!(over <= 0.0, "{freq_hz} Hz square at {fs} Hz, {c:?}: {over:+.4} dB over");
    }
}

#[test]
fn signals_below_the_ceiling_pass_unchanged() {
    let fs = 48_000;
    let piece = coda_corpus::synth::orchestral(3, 2.0, fs);
    let tp = db(true_peak_8x(&piece.channels));
    for (ceiling, block) in [(-1.0, 16_384), (-0.1, 1000)] {
        // 0.5 dB of true-peak headroom under the ceiling.
        let gain = 10f64.powf((ceiling - 0.5 - tp) / 20.0) as f32;
        let x = scaled(&piece.channels, gain);
        let (out, lim) = render(&cfg(ceiling, 5.0, 150.0), fs, &x, block);
        for (o, i) in out.iter().zip(&x) {
            let worst = o
                .iter()
                .zip(i)
                .fold(0.0f32, |a, (&o, &i)| a.max((o - i).abs()));
            assert!(worst <= 1e-7, "ceiling {ceiling}: differs by {worst}");
            assert!(o == i, "ceiling {ceiling}: not bit-exact");
        }
        let trace = lim.gain_reduction();
        assert!(trace.reduction_db.iter().all(|&r| r == 0.0));
    }
}

#[test]
fn latency_is_exact() {
    for &fs in &[8_000, 44_100, 48_000, 96_000, 192_000] {
        for &lookahead_ms in &[1.0, 5.0, 20.0] {
            let c = cfg(-1.0, lookahead_ms, 150.0);
            let lim = Limiter::new(&c, fs).unwrap();
            let lookahead = (lookahead_ms * 1e-3 * f64::from(fs)).round() as usize;
            assert!(lim.latency_samples() >= lookahead);
            let frames = 3 * lim.latency_samples() + 5000;
            let at = lim.latency_samples() + 1234;
            // Well below the ceiling: the impulse comes out unchanged at the same index.
            let mut x = vec![0.0f32; frames];
            x[at] = 0.25;
            let (out, _) = render(&c, fs, &stereo(x.clone()), 777);
            assert!(out[0] == x, "fs {fs}, lookahead {lookahead_ms} ms");
            // Over the ceiling: the peak stays at the same index, scaled under it.
            x[at] = 4.0;
            let (out, _) = render(&c, fs, &stereo(x), 777);
            let (imax, vmax) = out[0]
                .iter()
                .enumerate()
                .fold((0, 0.0f32), |(i0, v0), (i, &v)| {
                    if v.abs() > v0 {
                        (i, v.abs())
                    } else {
                        (i0, v0)
                    }
                });
            assert_eq!(imax, at, "fs {fs}, lookahead {lookahead_ms} ms");
            assert!(f64::from(vmax) <= 10f64.powf(-1.0 / 20.0));
            // An impulse is broadband: the Nyquist-band allowances make the limiter treat a
            // lone click as up to 1.3 dB louder than it is (more with a 1 ms lookahead, and
            // at 8 kHz, where the modulation allowance covers much of the band).
            if fs >= 44_100 {
                let floor = if lookahead_ms >= 5.0 { -2.3 } else { -4.0 };
                let out_db = db(f64::from(vmax)) + 1.0;
                assert!(
                    out_db > floor,
                    "fs {fs}, lookahead {lookahead_ms} ms: {out_db} dB"
                );
            }
        }
    }
}

/// A 1 kHz sine at `level_db` dBFS (sample peak) with a burst `burst_db` louder over
/// `burst` (seconds).
fn sine_with_burst(
    fs: u32,
    seconds: f64,
    level_db: f64,
    burst_db: f64,
    burst: (f64, f64),
) -> Vec<f32> {
    let fsf = f64::from(fs);
    let a = 10f64.powf(level_db / 20.0);
    let b = 10f64.powf(burst_db / 20.0);
    (0..(seconds * fsf) as usize)
        .map(|n| {
            let t = n as f64 / fsf;
            let g = if t >= burst.0 && t < burst.1 { b } else { 1.0 };
            (a * g * (2.0 * PI * 1000.0 * t + 0.1).sin()) as f32
        })
        .collect()
}

#[test]
fn gain_reduction_trace_is_non_zero_exactly_when_limiting() {
    let fs = 44_100;
    // -12 dBFS sine, with 6 dB bursts to -6 dBFS (over a -9 dBTP ceiling) at 1.0-1.2 s
    // and 2.5-2.52 s.
    let mut x = sine_with_burst(fs, 4.0, -12.0, 6.0, (1.0, 1.2));
    let second = sine_with_burst(fs, 4.0, -12.0, 6.0, (2.5, 2.52));
    for (a, b) in x.iter_mut().zip(second) {
        if b.abs() > a.abs() {
            *a = b;
        }
    }
    let c = cfg(-9.0, 5.0, 100.0);
    let (out, lim) = render(&c, fs, &stereo(x.clone()), 4096);
    let d = lim.latency_samples();
    let trace = lim.gain_reduction();
    let hop = (trace.hop_s * f64::from(fs)).round() as usize;
    assert_eq!(hop, 441);
    // The raw trace covers the padded output: hop h holds output frames h*hop - d...
    let raw_frames = x.len() + d;
    assert_eq!(trace.reduction_db.len(), raw_frames.div_ceil(hop));
    let mut limited_hops = 0;
    for (h, &r) in trace.reduction_db.iter().enumerate() {
        let lo = (h * hop).saturating_sub(d);
        let hi = ((h + 1) * hop).saturating_sub(d).min(x.len());
        let changed = (lo..hi).any(|n| out[0][n] != x[n]);
        assert_eq!(
            r > 0.0,
            changed,
            "hop {h}: trace {r} dB, output changed: {changed}"
        );
        if changed {
            limited_hops += 1;
            // The trace is the deepest reduction in the hop: compare with out / in where
            // the input is not near a zero crossing (the gain moves < 0.05 dB per sample).
            let measured = (lo..hi)
                .filter(|&n| x[n].abs() > 0.05)
                .map(|n| -db(f64::from(out[0][n] / x[n])))
                .fold(0.0f64, f64::max);
            assert!(
                (f64::from(r) - measured).abs() < 0.05,
                "hop {h}: trace {r} dB, measured {measured} dB"
            );
        }
    }
    // Both bursts are limited (about 3 dB), nothing long before them is.
    assert!(limited_hops > 20 + 2, "{limited_hops}");
    let burst_hop = (1.1 * f64::from(fs)) as usize / hop + d / hop;
    assert!(trace.reduction_db[burst_hop] > 2.5);
    assert!(trace.reduction_db[..(0.95 * 100.0) as usize]
        .iter()
        .all(|&r| r == 0.0));
}

#[test]
fn release_recovers_to_within_1_db_in_about_release_ms() {
    let fs = 48_000;
    for &release_ms in &[50.0, 150.0, 500.0] {
        // A -10 dBFS sine with a 100 ms burst 4 dB louder under a -9 dBTP ceiling: about
        // 3 dB of reduction during the burst.
        let burst_end = 1.1;
        let x = sine_with_burst(
            fs,
            2.0 + release_ms / 1000.0 * 2.0,
            -10.0,
            4.0,
            (1.0, burst_end),
        );
        let c = cfg(-9.0, 5.0, release_ms);
        let (out, _) = render(&c, fs, &stereo(x.clone()), 16_384);
        let gain_db = |n: usize| db(f64::from(out[0][n] / x[n]));
        let end = (burst_end * f64::from(fs)) as usize;
        let depth = (end - 2000..end)
            .filter(|&n| x[n].abs() > 0.1)
            .map(gain_db)
            .fold(0.0f64, f64::min);
        assert!((-3.6..=-2.6).contains(&depth), "depth {depth} dB");
        // First time after the burst from which the gain stays within 1 dB of unity.
        let last_below = (end..x.len())
            .filter(|&n| x[n].abs() > 0.1 && gain_db(n) < -1.0)
            .max()
            .unwrap();
        let t_ms = (last_below - end) as f64 / f64::from(fs) * 1000.0;
        assert!(
            (t_ms - release_ms).abs() <= 0.2 * release_ms,
            "release {release_ms} ms: within 1 dB after {t_ms:.1} ms"
        );
        // Against the one-pole law: 1 - g decays by e every release_ms, so from the depth
        // g0 the gain reaches -1 dB after release_ms * ln((1 - g0) / (1 - 10^(-1/20))),
        // plus at most the hold and the ramp (5 ms lookahead, 12 samples).
        let g0 = 10f64.powf(depth / 20.0);
        let law = release_ms * ((1.0 - g0) / (1.0 - 10f64.powf(-1.0 / 20.0))).ln();
        assert!(
            t_ms >= law - 0.5 && t_ms <= law + 5.5,
            "release {release_ms} ms: {t_ms:.2} ms against the law's {law:.2} ms"
        );
    }
}

#[test]
fn output_is_identical_for_any_block_size() {
    let fs = 44_100;
    let piece = coda_corpus::synth::hybrid(9, 1.5, fs);
    let x = scaled(&piece.channels, 8.0);
    let c = cfg(-1.0, 5.0, 150.0);
    let (whole, lim) = render(&c, fs, &x, usize::MAX);
    let trace = lim.gain_reduction();
    assert!(trace.reduction_db.iter().any(|&r| r > 6.0));
    for block in [1, 7, 1000, 1024, 1025, 16_384] {
        let (out, lim) = render(&c, fs, &x, block);
        assert!(out == whole, "block {block}");
        assert_eq!(lim.gain_reduction(), trace, "block {block}");
    }
    // Mono runs the same way.
    let mono = vec![x[0].clone()];
    let (a, _) = render(&c, fs, &mono, usize::MAX);
    let (b, _) = render(&c, fs, &mono, 333);
    assert!(a == b);
}

#[test]
fn reset_restores_the_initial_state() {
    let fs = 44_100;
    let x = scaled(&coda_corpus::synth::hybrid(2, 0.5, fs).channels, 6.0);
    let c = cfg(-1.0, 5.0, 150.0);
    let mut lim = Limiter::new(&c, fs).unwrap();
    let run = |lim: &mut Limiter| {
        let mut y = x.clone();
        let (l, r) = y.split_at_mut(1);
        lim.process(&mut [&mut l[0][..], &mut r[0][..]]);
        y
    };
    let first = run(&mut lim);
    let first_trace = lim.gain_reduction();
    lim.reset();
    assert!(lim.gain_reduction().reduction_db.is_empty());
    assert!(run(&mut lim) == first);
    assert_eq!(lim.gain_reduction(), first_trace);
}

#[test]
fn invalid_configs_name_the_field() {
    for (c, field) in [
        (cfg(0.5, 5.0, 150.0), "limiter.ceiling_dbtp"),
        (cfg(-1.0, 0.5, 150.0), "limiter.lookahead_ms"),
        (cfg(-1.0, 5.0, f64::NAN), "limiter.release_ms"),
    ] {
        match Limiter::new(&c, 44_100) {
            Err(coda_engine::Error::Plan { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{c:?}: {other:?}"),
        }
    }
}
