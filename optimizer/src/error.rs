//! Errors of the fits.

/// Why a fit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A signal the fit needs has no measurable loudness.
    #[error("{0} is silent (no gated loudness)")]
    Silent(&'static str),
    /// A solver failed or a target is unreachable.
    #[error("optimizer: {0}")]
    Solver(String),
    /// Rendering a trial chain failed.
    #[error(transparent)]
    Engine(#[from] coda_engine::Error),
    /// Measuring a trial render failed.
    #[error(transparent)]
    Analysis(#[from] coda_analysis::Error),
}

/// Result of a fit.
pub type Result<T> = std::result::Result<T, Error>;
