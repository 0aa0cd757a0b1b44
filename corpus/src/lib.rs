//! coda-corpus.
#![forbid(unsafe_code)]
