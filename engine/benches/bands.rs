//! Band processors' throughput at 44.1 kHz stereo, in stereo frames per second: the LR4
//! crossover split (3 bands), the imager (3 linear-phase FIR bands) and the multiband compressor (3 bands,
//! every band compressing all the time, the costly case; and a mostly-idle case).
//!
//! Time is this thread's CPU time (`/proc/thread-self/schedstat`, Linux), not wall time: the
//! build machine is shared, and wall time there measures the other jobs. Elsewhere it falls back
//! to wall time. Real time at 44.1 kHz is 44.1 k frames/s, so 1000x real time is 44.1 Melem/s.
use coda_engine::processors::crossover::Crossover;
use coda_engine::processors::imager::{Imager, ImagerConfig};
use coda_engine::processors::multiband::{
    CompressorBand, MultibandCompressor, MultibandCompressorConfig,
};
use coda_engine::processors::Processor;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};

const FS: u32 = 44_100;
/// One second of audio per iteration.
const FRAMES: usize = 44_100;
/// The renderer's block size.
const BLOCK: usize = 16_384;

fn noise(seed: u64, amplitude: f32) -> Vec<f32> {
    let mut s = seed;
    (0..FRAMES)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * amplitude
        })
        .collect()
}

/// Runs `p` over a copy of the signal in renderer-sized blocks.
fn run(p: &mut dyn Processor, l: &[f32], r: &[f32], bl: &mut [f32], br: &mut [f32]) {
    bl.copy_from_slice(l);
    br.copy_from_slice(r);
    for (cl, cr) in bl.chunks_mut(BLOCK).zip(br.chunks_mut(BLOCK)) {
        p.process(&mut [cl, cr]);
    }
}

fn compressor(threshold_db: f64) -> MultibandCompressorConfig {
    let band = CompressorBand {
        threshold_db,
        ratio: 3.0,
        knee_db: 6.0,
        attack_ms: 10.0,
        release_ms: 120.0,
        makeup_db: 1.0,
    };
    MultibandCompressorConfig {
        crossovers_hz: vec![150.0, 2500.0],
        bands: vec![band; 3],
    }
}

/// Nanoseconds of CPU time this thread has used (the scheduler's count, updated at least every
/// tick), or wall nanoseconds since first use where that is not available.
fn thread_time_ns() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| START.get_or_init(Instant::now).elapsed().as_nanos() as u64)
}

/// Criterion measurement: thread CPU time, in ns.
struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_time_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_time_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}

/// Formats nanoseconds, and throughput in elements per second.
struct NsFormatter;

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical_ns < 1e3 {
            (1.0, "ns")
        } else if typical_ns < 1e6 {
            (1e-3, "us")
        } else if typical_ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical_ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let n = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => n,
        };
        // values are ns per iteration; report millions of elements per second.
        values.iter_mut().for_each(|v| *v = n as f64 * 1e3 / *v);
        "Melem/s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn bench(c: &mut Criterion<CpuTime>) {
    let (l, r) = (noise(1, 0.5), noise(2, 0.5));
    let (mut bl, mut br) = (vec![0.0f32; FRAMES], vec![0.0f32; FRAMES]);
    let mut g = c.benchmark_group("bands");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.warm_up_time(Duration::from_secs(1));
    // Long samples (~0.3 s each): the CPU-time clock is updated once per scheduler tick.
    g.measurement_time(Duration::from_secs(6));
    g.sample_size(20);

    let mut xo = Crossover::new(&[150.0, 2500.0], FS).unwrap();
    g.bench_function("crossover_3_bands_stereo", |b| {
        b.iter(|| {
            let mut acc = [0.0; 2];
            for (&x, &y) in l.iter().zip(&r) {
                let out = xo.tick_bands::<3>([f64::from(x), f64::from(y)]);
                acc[0] += out[0][0] + out[1][0] + out[2][0];
                acc[1] += out[0][1] + out[1][1] + out[2][1];
            }
            black_box(acc)
        })
    });

    let mut xo = Crossover::new(&[150.0, 2500.0], FS).unwrap();
    g.bench_function("crossover_3_bands_stereo_run", |b| {
        b.iter(|| {
            let mut acc = [0.0; 2];
            xo.run_bands::<3>(
                FRAMES,
                |i| [f64::from(l[i]), f64::from(r[i])],
                |_, out| {
                    acc[0] += out[0][0] + out[1][0] + out[2][0];
                    acc[1] += out[0][1] + out[1][1] + out[2][1];
                },
            );
            black_box(acc)
        })
    });

    let mut imager = Imager::new(
        &ImagerConfig {
            crossovers_hz: vec![150.0, 2500.0],
            widths: vec![0.0, 1.1, 1.3],
        },
        FS,
    )
    .unwrap();
    g.bench_function("imager_3_bands_stereo", |b| {
        b.iter(|| run(&mut imager, &l, &r, &mut bl, &mut br))
    });

    // Noise at 0.5 peak is about -11 dBFS RMS per channel: -40 dB keeps every band compressing.
    let mut busy = MultibandCompressor::new(&compressor(-40.0), FS).unwrap();
    g.bench_function("compressor_3_bands_stereo_compressing", |b| {
        b.iter(|| run(&mut busy, &l, &r, &mut bl, &mut br))
    });
    let mut idle = MultibandCompressor::new(&compressor(0.0), FS).unwrap();
    g.bench_function("compressor_3_bands_stereo_below_threshold", |b| {
        b.iter(|| run(&mut idle, &l, &r, &mut bl, &mut br))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = bench
}
criterion_main!(benches);
