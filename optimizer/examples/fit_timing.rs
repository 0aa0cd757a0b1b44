//! Times the steps of a fit on a real pair: `cargo run --release -p coda-optimizer
//! --example fit_timing -- MIX REF`.
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mix = coda_engine::io::read(std::path::Path::new(&args[1])).unwrap();
    let reference = coda_engine::io::read(std::path::Path::new(&args[2])).unwrap();
    let t = Instant::now();
    let ma = coda_analysis::analyze(&mix).unwrap();
    let ra = coda_analysis::analyze(&reference).unwrap();
    eprintln!("analyse both: {:.2} s", t.elapsed().as_secs_f64());
    let profile = coda_optimizer::TargetProfile::from_analysis(&ra);
    let tuning = coda_optimizer::Tuning::default();
    let t = Instant::now();
    let eq = coda_optimizer::eq_fit::fit_eq(
        &ma.spectrum.fine_hz,
        &ma.spectrum.fine_mid_db,
        &profile.fine_mid_db,
        1.0,
        mix.sample_rate_hz,
        &tuning,
    );
    eprintln!(
        "eq fit: {:.2} s, {} iterations, rms {:.2} dB",
        t.elapsed().as_secs_f64(),
        eq.iterations,
        eq.rms_error_db
    );
    let t = Instant::now();
    let l = coda_analysis::integrated_lufs(&mix).unwrap();
    eprintln!("integrated: {:.3} s ({l:?})", t.elapsed().as_secs_f64());
    let mut plan = coda_engine::plan::Plan::empty(mix.sample_rate_hz);
    plan.output_gain_db = 8.0;
    plan.limiter = Some(coda_engine::processors::limiter::LimiterConfig {
        ceiling_dbtp: -1.0,
        lookahead_ms: 5.0,
        release_ms: 150.0,
    });
    let t = Instant::now();
    let _ = coda_engine::render::render(&mix, &plan).unwrap();
    eprintln!("gain+limiter render: {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let f = coda_optimizer::fit(
        &mix,
        &ma,
        Some(&profile),
        &coda_optimizer::FitOptions::default(),
    )
    .unwrap();
    eprintln!(
        "whole fit: {:.2} s (loudness iterations {})",
        t.elapsed().as_secs_f64(),
        f.loudness.iterations
    );
}
