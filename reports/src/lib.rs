//! coda-reports.
#![forbid(unsafe_code)]
