//! Times each analysis stage alone on one file (development aid): `--example stage_timing -- FILE`.
use std::time::Instant;

fn time<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    println!("{name:>12}: {:.3} s", t.elapsed().as_secs_f64());
    v
}

fn main() {
    let path = std::env::args().nth(1).expect("file");
    let a = coda_engine::io::read(std::path::Path::new(&path)).expect("read");
    time("loudness", || {
        coda_analysis::measure_loudness(&a).expect("loudness")
    });
    time("welch", || coda_analysis::welch(&a));
    time("onsets", || coda_analysis::onset_envelope(&a));
    time("levels", || coda_analysis::level_series(&a, 0.1));
    time("correlation", || coda_analysis::correlation_series(&a, 0.1));
    time("analyze", || coda_analysis::analyze(&a).expect("analyze"));
}
