//! coda: the command-line mastering engine.
fn main() {}
