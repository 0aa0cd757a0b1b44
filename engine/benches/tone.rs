//! Throughput of the tone stages (automation, EQ, saturation, reverb) on 44.1 kHz stereo
//! noise, in samples per second (one sample = one frame of both channels).
use coda_engine::processors::automation::{AutomationPoint, AutomationProcessor, GainAutomation};
use coda_engine::processors::eq::{Eq, EqBand, EqChannel, EqConfig, EqKind};
use coda_engine::processors::reverb::{Reverb, ReverbConfig};
use coda_engine::processors::saturation::{Saturation, SaturationConfig};
use coda_engine::processors::Processor;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const FS: u32 = 44_100;
/// Frames per benchmark iteration (1 s), processed in blocks of `BLOCK`.
const FRAMES: usize = 44_100;
const BLOCK: usize = 16_384;

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

fn run(p: &mut dyn Processor, l: &mut [f32], r: &mut [f32]) {
    for (a, b) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
        p.process(&mut [a, b]);
    }
}

/// Benchmarks `p` on one second of stereo noise per iteration. The processor keeps its
/// state across iterations (a stream), except the automation, whose gain curve is a
/// function of the stream position and so is rewound each time.
fn bench_stage(c: &mut Criterion, name: &str, p: &mut dyn Processor, rewind: bool) {
    let (l0, r0) = (noise(FRAMES, 1), noise(FRAMES, 2));
    let (mut l, mut r) = (l0.clone(), r0.clone());
    let mut g = c.benchmark_group("tone");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function(name, |bch| {
        bch.iter(|| {
            l.copy_from_slice(&l0);
            r.copy_from_slice(&r0);
            if rewind {
                p.reset();
            }
            run(p, &mut l, &mut r);
            black_box((&l, &r));
        })
    });
    g.finish();
}

fn eq_config(mid_side: bool) -> EqConfig {
    let b = |kind, freq_hz, gain_db, q, channel| EqBand {
        kind,
        freq_hz,
        gain_db,
        q,
        slope_db_per_oct: 24,
        channel,
    };
    let ms = if mid_side {
        EqChannel::Side
    } else {
        EqChannel::Stereo
    };
    EqConfig {
        bands: vec![
            b(EqKind::LowCut, 25.0, 0.0, 0.707, EqChannel::Stereo),
            b(EqKind::LowShelf, 90.0, 1.5, 0.707, EqChannel::Stereo),
            b(EqKind::Peaking, 300.0, -2.0, 1.4, EqChannel::Stereo),
            b(EqKind::Peaking, 800.0, -1.0, 1.0, ms),
            b(EqKind::Peaking, 3000.0, -1.5, 2.0, EqChannel::Stereo),
            b(EqKind::Peaking, 6000.0, 1.0, 1.0, EqChannel::Stereo),
            b(EqKind::HighShelf, 10_000.0, 1.5, 0.707, EqChannel::Stereo),
            b(EqKind::HighCut, 20_000.0, 0.0, 0.707, EqChannel::Stereo),
        ],
    }
}

/// Gain automation, rewound each iteration so every sample is on the interpolated curve.
fn automation(c: &mut Criterion) {
    // A move every 0.5 s: the first second (one iteration) is all interpolation.
    let a = GainAutomation {
        points: (0..8)
            .map(|i| AutomationPoint {
                time_s: 0.5 * f64::from(i),
                gain_db: if i % 2 == 0 { -2.0 } else { 2.0 },
            })
            .collect(),
    };
    bench_stage(
        c,
        "automation",
        &mut AutomationProcessor::new(&a, FS).unwrap(),
        true,
    );
}

fn eq(c: &mut Criterion) {
    bench_stage(
        c,
        "eq_8_bands_stereo",
        &mut Eq::new(&eq_config(false), FS).unwrap(),
        false,
    );
    bench_stage(
        c,
        "eq_8_bands_mid_side",
        &mut Eq::new(&eq_config(true), FS).unwrap(),
        false,
    );
}

fn saturation(c: &mut Criterion) {
    let cfg = SaturationConfig {
        drive_db: 6.0,
        mix: 0.8,
    };
    bench_stage(
        c,
        "saturation_4x",
        &mut Saturation::new(&cfg, FS).unwrap(),
        false,
    );
}

fn reverb(c: &mut Criterion) {
    let cfg = ReverbConfig {
        predelay_ms: 20.0,
        decay_s: 2.2,
        damping: 0.5,
        mix: 0.2,
    };
    bench_stage(c, "reverb_fdn8", &mut Reverb::new(&cfg, FS).unwrap(), false);
}

criterion_group!(benches, automation, eq, saturation, reverb);
criterion_main!(benches);
