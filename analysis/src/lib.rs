//! coda-analysis.
#![forbid(unsafe_code)]
