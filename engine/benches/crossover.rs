//! Crossover throughput: a 3-band LR4 tree on two lanes (stereo), in stereo frames per second.
use coda_engine::processors::crossover::Crossover;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const FRAMES: usize = 44_100;

fn signal() -> (Vec<f32>, Vec<f32>) {
    let mut s = 1u64;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let l = (0..FRAMES).map(|_| next()).collect();
    let r = (0..FRAMES).map(|_| next()).collect();
    (l, r)
}

fn bench(c: &mut Criterion) {
    let (l, r) = signal();
    let mut g = c.benchmark_group("crossover");
    g.throughput(Throughput::Elements(FRAMES as u64));
    for splits in [&[150.0, 2500.0][..], &[120.0, 800.0, 5000.0][..]] {
        let mut xo = Crossover::new(splits, 44_100).unwrap();
        g.bench_function(format!("{}_bands_stereo_44k1", splits.len() + 1), |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for (&x, &y) in l.iter().zip(&r) {
                    let out = xo.tick([f64::from(x), f64::from(y)]);
                    acc += out[0][0] + out[1][1];
                }
                black_box(acc)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
