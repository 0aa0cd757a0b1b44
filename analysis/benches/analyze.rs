//! Criterion bench: the whole `analyze` and its loudness part on 30 s of stereo noise at
//! 44.1 kHz (deterministic xorshift noise, -20 dBFS RMS, independent channels).
use coda_engine::Audio;
use criterion::{criterion_group, criterion_main, Criterion};

fn noise(seed: u64, frames: usize) -> Vec<f32> {
    let mut s = seed | 1;
    (0..frames)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Uniform in [-0.17, 0.17]: RMS 0.1 (-20 dBFS).
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * 0.173
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rate = 44_100;
    let frames = 30 * rate as usize;
    let audio = Audio::new(rate, vec![noise(1, frames), noise(2, frames)]);
    let mut g = c.benchmark_group("analysis_30s_stereo_44k");
    g.sample_size(10);
    g.bench_function("analyze", |b| {
        b.iter(|| coda_analysis::analyze(&audio).expect("analyze"))
    });
    g.bench_function("loudness_of", |b| {
        b.iter(|| coda_analysis::loudness_of(&audio).expect("loudness"))
    });
    g.bench_function("loudness_reference", |b| {
        b.iter(|| coda_analysis::measure_loudness_reference(&audio).expect("loudness"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
