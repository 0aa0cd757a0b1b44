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

/// A plan with every kind of stage the fit uses, plus saturation: EQ, imager (latency),
/// compressor, output gain into the limiter, at `out_rate` (`None`: the input's).
fn full_plan(out_rate: Option<u32>) -> Plan {
    let mut plan = Plan::from_json(
        r#"{
          "version": 1, "sample_rate_hz": 44100, "headroom_trim_db": -3.0,
          "eq": { "bands": [ { "kind": "peaking", "freq_hz": 300.0, "gain_db": -2.5, "q": 1.2 },
                             { "kind": "high_shelf", "freq_hz": 6000.0, "gain_db": 3.0, "q": 0.7 } ] },
          "saturation": { "drive_db": 2.0, "mix": 0.5 },
          "imager": { "crossovers_hz": [150.0, 2500.0], "widths": [0.3, 1.2, 1.4] },
          "compressor": {
            "crossovers_hz": [150.0, 2500.0],
            "bands": [
              { "threshold_db": -20.0, "ratio": 2.0, "knee_db": 6.0, "attack_ms": 30.0, "release_ms": 250.0, "makeup_db": 0.0 },
              { "threshold_db": -22.0, "ratio": 1.7, "knee_db": 6.0, "attack_ms": 15.0, "release_ms": 180.0, "makeup_db": 0.0 },
              { "threshold_db": -26.0, "ratio": 1.5, "knee_db": 6.0, "attack_ms": 8.0, "release_ms": 120.0, "makeup_db": 0.0 }
            ]
          },
          "output_gain_db": 9.0,
          "limiter": { "ceiling_dbtp": -1.0, "lookahead_ms": 5.0, "release_ms": 150.0 },
          "output": { "sample_rate_hz": null, "bit_depth": "24" }
        }"#,
    )
    .unwrap();
    plan.output.sample_rate_hz = out_rate;
    plan
}

#[test]
fn render_is_the_pre_drive_render_then_the_drive_bit_for_bit() {
    use coda_engine::render::{drive_plan, pre_drive_plan};
    // Longer than a few pipeline blocks, and not a multiple of one.
    let audio = Audio::new(FS, vec![noise(150_001, 10, 0.5), noise(150_001, 11, 0.4)]);
    let mut imager_only = full_plan(None);
    imager_only.eq = Default::default();
    imager_only.saturation = None;
    imager_only.compressor = None;
    for plan in [
        full_plan(None),
        full_plan(Some(48_000)),
        imager_only,
        chain_plan(),
    ] {
        let whole = render(&audio, &plan).unwrap();
        let pre = render(&audio, &pre_drive_plan(&plan)).unwrap();
        let drive = render(&pre.audio, &drive_plan(&plan)).unwrap();
        let joined = pre.then_drive(drive);
        assert_eq!(whole.audio, joined.audio, "{plan:?}");
        assert_eq!(whole.limiter_gain_reduction, joined.limiter_gain_reduction);
        assert_eq!(
            whole.compressor_gain_reduction,
            joined.compressor_gain_reduction
        );
        assert_eq!(
            whole.compensated_latency_samples,
            joined.compensated_latency_samples
        );
        if plan.output_gain_db > 0.0 {
            let gr = whole.limiter_gain_reduction.unwrap().reduction_db;
            assert!(gr.iter().any(|&g| g > 1.0), "the limiter works");
        }
    }
}
