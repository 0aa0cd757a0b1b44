//! The crate's error type: plotting, PNG conversion and file writing failures.
use std::path::PathBuf;

/// What went wrong while drawing or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// plotters could not draw a plot.
    #[error("plot {plot}: {reason}")]
    Plot {
        /// The plot's file stem, e.g. `spectrum`.
        plot: &'static str,
        /// The backend's message.
        reason: String,
    },
    /// An SVG could not be turned into a PNG.
    #[error("png: {reason}")]
    Png {
        /// What failed (parsing, allocation or encoding).
        reason: String,
    },
    /// A file or folder could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The path being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A report file would replace one of the report's input files.
    #[error("refusing to overwrite input file {path}")]
    WouldOverwriteInput {
        /// The input that the report would have replaced.
        path: PathBuf,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
