//! EBU Tech 3342 loudness-range cases 1-4 (stepped 1 kHz stereo sines, ±1 LU); cases 5 and
//! 6 are programme files.
mod common;
use coda_analysis::loudness_of;
use common::*;

const RATE: u32 = 48_000;

fn lra(seg: &[(f64, f64)]) -> Option<f64> {
    let seg: Vec<_> = seg.iter().map(|&(l, s)| (Some(l), s)).collect();
    let l = loudness_of(&copies(steps(&seg, RATE), 2, RATE)).expect("loudness");
    eprintln!("LRA {:?}", l.range_lu);
    l.range_lu
}

#[test]
fn case1_minus20_then_minus30_is_10_lu() {
    assert_near("LRA", lra(&[(-20.0, 20.0), (-30.0, 20.0)]), 10.0, 1.0);
}

#[test]
fn case2_minus20_then_minus15_is_5_lu() {
    assert_near("LRA", lra(&[(-20.0, 20.0), (-15.0, 20.0)]), 5.0, 1.0);
}

#[test]
fn case3_minus40_then_minus20_is_20_lu() {
    assert_near("LRA", lra(&[(-40.0, 20.0), (-20.0, 20.0)]), 20.0, 1.0);
}

#[test]
fn case4_five_steps_is_15_lu() {
    let seg = [
        (-50.0, 20.0),
        (-35.0, 20.0),
        (-20.0, 20.0),
        (-35.0, 20.0),
        (-50.0, 20.0),
    ];
    assert_near("LRA", lra(&seg), 15.0, 1.0);
}
