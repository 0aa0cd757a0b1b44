//! Measured features of each style against the ranges the corpus promises
//! (run with `--nocapture` to see the figures).
mod common;

use coda_corpus::synth;
use coda_engine::Audio;
use common::*;
use std::time::Instant;

/// Figures of one piece.
struct Features {
    lufs: f64,
    lra_lu: f64,
    crest_db: f64,
    low60_share: f64,
    low40_share: f64,
    correlation: f64,
}

fn measure(name: &str, audio: &Audio, gen_s: f64) -> Features {
    let (lufs, lra_lu) = loudness(audio);
    let f = Features {
        lufs,
        lra_lu,
        crest_db: crest_db(audio),
        low60_share: low_share(audio, 60.0),
        low40_share: low_share(audio, 40.0),
        correlation: correlation(audio),
    };
    println!(
        "{name}: gen {gen_s:.3} s, peak {:.2} dBFS, {:.1} LUFS, LRA {:.1} LU, crest {:.1} dB, \
         <40 Hz {:.2} %, <60 Hz {:.2} %, corr {:.2}",
        peak_dbfs(audio),
        f.lufs,
        f.lra_lu,
        f.crest_db,
        100.0 * f.low40_share,
        100.0 * f.low60_share,
        f.correlation
    );
    f
}

fn timed(render: impl FnOnce() -> Audio) -> (Audio, f64) {
    let t = Instant::now();
    let audio = render();
    (audio, t.elapsed().as_secs_f64())
}

#[test]
fn orchestral_and_hybrid_measure_like_their_genres() {
    for seed in [1u64, 2] {
        let (o, to) = timed(|| synth::orchestral(seed, 30.0, 48000));
        let (h, th) = timed(|| synth::hybrid(seed, 30.0, 48000));
        let o = measure(&format!("orchestral seed {seed}"), &o, to);
        let h = measure(&format!("hybrid seed {seed}"), &h, th);
        for f in [&o, &h] {
            assert!(
                (-25.0..=-14.0).contains(&f.lufs),
                "integrated {} LUFS",
                f.lufs
            );
        }
        assert!(
            (8.0..=15.0).contains(&o.lra_lu),
            "orchestral LRA {}",
            o.lra_lu
        );
        assert!(o.crest_db > 14.0, "orchestral crest {}", o.crest_db);
        assert!(
            o.low40_share < 0.02,
            "orchestral <40 Hz share {}",
            o.low40_share
        );
        assert!(
            (0.3..=0.8).contains(&o.correlation),
            "orchestral correlation {}",
            o.correlation
        );
        assert!((4.0..=8.0).contains(&h.lra_lu), "hybrid LRA {}", h.lra_lu);
        assert!(
            h.crest_db < o.crest_db,
            "hybrid crest {} vs {}",
            h.crest_db,
            o.crest_db
        );
        assert!(h.low60_share > 0.2, "hybrid <60 Hz share {}", h.low60_share);
    }
}

#[test]
fn film_cue_has_a_huge_loudness_range() {
    let (f, tf) = timed(|| synth::film_cue(5, 60.0, 48000));
    let m = measure("film_cue seed 5 (60 s)", &f, tf);
    assert!(m.lra_lu > 15.0, "film cue LRA {}", m.lra_lu);
    assert!(
        (-25.0..=-14.0).contains(&m.lufs),
        "integrated {} LUFS",
        m.lufs
    );
}
