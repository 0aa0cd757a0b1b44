//! Fits the EQ between two analyses from `coda analyze --json MIX REF` (a file holding the
//! JSON array) and prints the bands, cost and time: a quick way to study the EQ fit.
//!
//!     cargo run --release -p coda-optimizer --example eq_fit_json -- analyses.json [fs_hz]
use coda_optimizer::eq_fit::fit_eq;
use coda_optimizer::Tuning;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("read the analyses");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let fs: u32 = args.get(2).map_or(44_100, |s| s.parse().expect("fs_hz"));
    let curve = |i: usize, k: &str| -> Vec<Option<f64>> {
        serde_json::from_value(v[i]["spectrum"][k].clone()).expect("curve")
    };
    let freqs: Vec<f64> = serde_json::from_value(v[0]["spectrum"]["fine_hz"].clone()).unwrap();
    let t = std::time::Instant::now();
    let fit = fit_eq(
        &freqs,
        &curve(0, "fine_mid_db"),
        &curve(1, "fine_mid_db"),
        1.0,
        fs,
        &Tuning::default(),
    );
    println!(
        "{:.3} s, {} iterations, cost {:.4}, rms {:.3} dB",
        t.elapsed().as_secs_f64(),
        fit.iterations,
        fit.cost,
        fit.rms_error_db
    );
    for b in &fit.config.bands {
        println!(
            "{:?} {:.1} Hz {:+.2} dB q {:.2}",
            b.kind, b.freq_hz, b.gain_db, b.q
        );
    }
}
