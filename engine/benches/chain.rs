//! Throughput of the whole render (`render::render`) on 10 s of 44.1 kHz stereo noise through
//! the plan of `bench/render.sh` (8 EQ bands, saturation, 3-band imager, 3-band compressor,
//! limiter), in frames per second (441 k frames/s is 10x real time).
use coda_engine::plan::Plan;
use coda_engine::render::render;
use coda_engine::Audio;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const FS: u32 = 44_100;
const FRAMES: usize = 10 * 44_100;

const PLAN: &str = r#"{
  "version": 1,
  "sample_rate_hz": 44100,
  "headroom_trim_db": -5.0,
  "eq": { "bands": [
    { "kind": "low_cut", "freq_hz": 25.0, "slope_db_per_oct": 24 },
    { "kind": "low_shelf", "freq_hz": 110.0, "gain_db": -2.0, "q": 0.8 },
    { "kind": "peaking", "freq_hz": 310.0, "gain_db": -1.8, "q": 1.2 },
    { "kind": "peaking", "freq_hz": 800.0, "gain_db": 0.7, "q": 1.0 },
    { "kind": "peaking", "freq_hz": 2900.0, "gain_db": -1.2, "q": 1.5 },
    { "kind": "peaking", "freq_hz": 5000.0, "gain_db": 0.5, "q": 2.0 },
    { "kind": "high_shelf", "freq_hz": 9000.0, "gain_db": 2.0, "q": 0.707 },
    { "kind": "peaking", "freq_hz": 120.0, "gain_db": -2.0, "q": 0.9, "channel": "side" }
  ] },
  "saturation": { "drive_db": 3.0, "mix": 0.3 },
  "imager": { "crossovers_hz": [150.0, 2500.0], "widths": [0.3, 1.1, 1.2] },
  "compressor": { "crossovers_hz": [150.0, 2500.0], "bands": [
    { "threshold_db": -17.5, "ratio": 2.0, "knee_db": 6.0, "attack_ms": 30.0, "release_ms": 250.0, "makeup_db": 0.0 },
    { "threshold_db": -21.0, "ratio": 1.7, "knee_db": 6.0, "attack_ms": 15.0, "release_ms": 180.0, "makeup_db": 0.0 },
    { "threshold_db": -26.3, "ratio": 1.5, "knee_db": 6.0, "attack_ms": 8.0, "release_ms": 120.0, "makeup_db": 0.0 }
  ] },
  "output_gain_db": 6.0,
  "limiter": { "ceiling_dbtp": -1.0, "lookahead_ms": 5.0, "release_ms": 150.0 }
}"#;

fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            ((s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u32 << 24) as f32 - 0.5) * 0.5
        })
        .collect()
}

fn chain(c: &mut Criterion) {
    let plan = Plan::from_json(PLAN).expect("bench plan is valid");
    let audio = Audio::new(FS, vec![noise(FRAMES, 1), noise(FRAMES, 2)]);
    let mut g = c.benchmark_group("chain");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("render_full_chain_stereo", |b| {
        b.iter(|| black_box(render(&audio, &plan).expect("renders")))
    });
    g.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
