//! coda-optimizer: purposes and the fits that turn analyses into a Plan.
#![forbid(unsafe_code)]

mod purpose;

pub use purpose::{DynamicsPolicy, LoudnessTarget, Purpose, PurposeSpec};
