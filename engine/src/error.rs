//! Errors of the engine crate.
use std::path::PathBuf;

/// Everything that can go wrong reading, writing or rendering audio.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not audio coda can decode.
    #[error("{path}: not a readable audio file ({reason})")]
    Format { path: PathBuf, reason: String },
    /// The file decodes but holds no samples.
    #[error("{path}: file holds no audio (zero length)")]
    Empty { path: PathBuf },
    /// The decoded samples hold NaN or infinity.
    #[error("{path}: {count} samples are NaN or infinite (first at sample {first_index})")]
    NonFinite {
        path: PathBuf,
        count: usize,
        first_index: usize,
    },
    /// Writing an output failed.
    #[error("{path}: cannot write output ({reason})")]
    Write { path: PathBuf, reason: String },
    /// A buffer had an unexpected channel count.
    #[error("wrong channel count: expected {expected}, got {actual}")]
    WrongChannelCount { expected: usize, actual: usize },
    /// A plan failed validation; `field` names the offending JSON path.
    #[error("plan: {field}: {reason}")]
    Plan { field: String, reason: String },
    /// A parameter is outside the range a processor accepts.
    #[error("{name} = {value} is out of range ({range})")]
    OutOfRange {
        name: &'static str,
        value: f64,
        range: &'static str,
    },
}

/// Result with the engine's error.
pub type Result<T> = std::result::Result<T, Error>;
