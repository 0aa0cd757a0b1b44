//! Limiter throughput: frames (stereo samples) per second at 44.1 kHz.
use coda_engine::processors::limiter::{Limiter, LimiterConfig};
use coda_engine::processors::Processor;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Ten seconds of a deterministic two-tone-plus-noise signal, about 6 dB over the ceiling.
fn signal(frames: usize, fs: f64) -> [Vec<f32>; 2] {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut l = Vec::with_capacity(frames);
    let mut r = Vec::with_capacity(frames);
    for n in 0..frames {
        let t = n as f64 / fs;
        let beat = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 2.0 * t).sin().max(0.0);
        let tone = (2.0 * std::f64::consts::PI * 110.0 * t).sin()
            + 0.5 * (2.0 * std::f64::consts::PI * 1760.0 * t).sin();
        l.push((1.2 * beat * tone + 0.2 * noise()) as f32);
        r.push((1.2 * beat * tone + 0.2 * noise()) as f32);
    }
    [l, r]
}

fn bench(c: &mut Criterion) {
    let fs = 44_100;
    let frames = 10 * fs as usize;
    let input = signal(frames, f64::from(fs));
    let cfg = LimiterConfig {
        ceiling_dbtp: -1.0,
        lookahead_ms: 5.0,
        release_ms: 150.0,
    };
    let mut group = c.benchmark_group("limiter");
    group.throughput(Throughput::Elements(frames as u64));
    group.sample_size(10);
    let mut lim = Limiter::new(&cfg, fs).unwrap();
    let mut buf = input.clone();
    group.bench_function("stereo_44k1_limiting_10s", |b| {
        b.iter(|| {
            buf[0].copy_from_slice(&input[0]);
            buf[1].copy_from_slice(&input[1]);
            let (l, r) = buf.split_at_mut(1);
            for (bl, br) in l[0].chunks_mut(16_384).zip(r[0].chunks_mut(16_384)) {
                lim.process(&mut [bl, br]);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
