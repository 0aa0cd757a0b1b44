//! coda-corpus: deterministic synthetic music (orchestral, hybrid, film cue), pink noise,
//! and the location of real music installed by `corpus/fetch-real.sh`.
#![forbid(unsafe_code)]

mod pink;
pub mod real;
pub mod synth;

pub use pink::{pink_noise, PINK_RMS};
