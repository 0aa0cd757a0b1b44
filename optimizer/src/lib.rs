//! coda-optimizer: purposes and the fits that turn analyses into a Plan.
#![forbid(unsafe_code)]

pub mod automation_fit;
pub mod eq_fit;
mod profile;
mod purpose;
mod tuning;

pub use profile::TargetProfile;
pub use purpose::{DynamicsPolicy, LoudnessTarget, Purpose, PurposeSpec};
pub use tuning::Tuning;
