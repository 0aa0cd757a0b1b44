//! Rendering a plan: latency compensation through the whole chain (imager split, saturation
//! filters, limiter lookahead), mono through an imager plan, identical bits across thread
//! counts.
mod common;

use coda_engine::plan::Plan;
use coda_engine::processors::imager::ImagerConfig;
use coda_engine::processors::limiter::LimiterConfig;
use coda_engine::processors::saturation::SaturationConfig;
use coda_engine::render::render;
use coda_engine::Audio;
use common::noise;

const FS: u32 = 44_100;

fn chain_plan() -> Plan {
    let mut plan = Plan::empty(FS);
    plan.saturation = Some(SaturationConfig {
        drive_db: 0.0,
        mix: 1.0,
    });
    plan.imager = Some(ImagerConfig {
        crossovers_hz: vec![150.0, 2500.0],
        widths: vec![0.0, 1.0, 1.0],
    });
    plan.limiter = Some(LimiterConfig {
        ceiling_dbtp: 0.0,
        lookahead_ms: 5.0,
        release_ms: 150.0,
    });
    plan
}

fn argmax(x: &[f32]) -> usize {
    (0..x.len())
        .max_by(|&a, &b| x[a].abs().total_cmp(&x[b].abs()))
        .unwrap()
}

#[test]
fn impulse_comes_out_at_its_index_through_the_full_chain() {
    let frames = 60_000;
    let at = 12_345;
    let mut l = vec![0.0; frames];
    l[at] = 0.25;
    let audio = Audio::new(FS, vec![l, vec![0.0; frames]]);
    let out = render(&audio, &chain_plan()).unwrap();
    assert!(out.compensated_latency_samples > 6_000);
    assert_eq!(out.audio.frames(), frames);
    let [ol, or] = &out.audio.channels[..] else {
        panic!("stereo out")
    };
    let mid: Vec<f32> = ol.iter().zip(or).map(|(a, b)| 0.5 * (a + b)).collect();
    assert_eq!(argmax(ol), at);
    assert_eq!(argmax(&mid), at);
    // Within 5%: the saturation's oversampling filters band-limit the impulse to 20 kHz.
    assert!((mid[at] - 0.125).abs() < 6e-3, "mid peak {}", mid[at]);
}

#[test]
fn mono_render_skips_the_imager() {
    let x = noise(30_000, 7, 0.5);
    let mut plan = Plan::empty(FS);
    plan.imager = chain_plan().imager;
    let out = render(&Audio::new(FS, vec![x.clone()]), &plan).unwrap();
    assert_eq!(out.compensated_latency_samples, 0);
    assert_eq!(out.audio.channels, vec![x]);
}

#[test]
fn bits_do_not_depend_on_the_thread_count() {
    let audio = Audio::new(FS, vec![noise(80_000, 8, 0.7), noise(80_000, 9, 0.7)]);
    let plan = chain_plan();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| render(&audio, &plan).unwrap().audio.channels)
    };
    let one = run(1);
    assert_eq!(run(2), one);
    assert_eq!(run(4), one);
}
