//! coda-optimizer: purposes and the fits that turn analyses into a Plan.
#![forbid(unsafe_code)]

pub mod automation_fit;
pub mod compressor_fit;
pub mod eq_dynamics;
pub mod eq_fit;
mod error;
mod fit;
mod lbfgs;
pub mod loudness_fit;
mod profile;
mod purpose;
mod tuning;
pub mod width_fit;
pub mod width_predict;

pub use error::{Error, Result};
pub use fit::{clock, fit, fit_rendered, Fit, FitOptions, Strengths, HEADROOM_DB};
pub use profile::TargetProfile;
pub use purpose::{DynamicsPolicy, LoudnessTarget, Purpose, PurposeSpec};
pub use tuning::Tuning;
