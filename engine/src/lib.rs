//! coda-engine: audio I/O, the mastering processors, the Plan and the renderer.
#![forbid(unsafe_code)]

mod audio;
pub mod bwf;
mod error;
pub mod io;
mod pcm_wav;
pub mod plan;
pub mod processors;
pub mod render;
pub mod resample;

pub use audio::Audio;
pub use error::{Error, Result};
