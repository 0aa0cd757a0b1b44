//! coda-corpus: deterministic synthetic music (orchestral, hybrid, film cue), pink noise,
//! the location of real music installed by `corpus/fetch-real.sh`, and the test cases
//! with known answers that `coda tune` scores.
#![forbid(unsafe_code)]

pub mod cases;
mod pink;
pub mod real;
pub mod synth;

pub use pink::{pink_noise, PINK_RMS};
