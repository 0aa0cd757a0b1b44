//! coda-optimizer.
#![forbid(unsafe_code)]
