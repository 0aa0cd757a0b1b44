//! The mastering processors, one per file.
pub mod dither;
