//! Writes a sample report (synthetic orchestral mix, reference and master) into a folder,
//! with PNGs: `cargo run -p coda-reports --example sample_report -- OUT_DIR [SECONDS]`;
//! `OUT_DIR real` uses Wesnoth's "battle-epic" instead of synthetic music.
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "sample-report".into()));
    let arg = args.next().unwrap_or_else(|| "60".into());
    let t = std::time::Instant::now();
    let view = if arg == "real" {
        let path = coda_corpus::real::wesnoth_track("battle-epic").expect("Wesnoth music");
        common::sample_view_of(coda_engine::io::read(&path).expect("decode"))
    } else {
        common::sample_view(arg.parse().unwrap_or(60.0))
    };
    eprintln!("sample data made in {:.2} s", t.elapsed().as_secs_f64());
    if std::env::var_os("DEBUG_TONE").is_some() {
        debug_tone(&view);
    }
    for f in &view.diagnosis {
        eprintln!("[{}] {}", f.severity.label(), f.message);
    }
    let t = std::time::Instant::now();
    let opts = coda_reports::ReportOptions {
        png: true,
        ..Default::default()
    };
    let files = coda_reports::write_report_with(&dir, &view, &opts).expect("report");
    eprintln!(
        "report written in {:.3} s: {}",
        t.elapsed().as_secs_f64(),
        files.html.display()
    );
}

#[allow(dead_code)]
fn debug_tone(view: &coda_reports::ReportView) {
    let r = view.reference.as_ref().unwrap();
    let c = coda_reports::tone::compare(&view.mix.analysis.spectrum, &r.analysis.spectrum).unwrap();
    for (f, d) in c.freqs_hz.iter().zip(&c.diff_db) {
        eprintln!("{f:8.1} {d:?}");
    }
}
