//! The report on disk: files written atomically and never over an input, PNGs decodable,
//! and the page rendered by headless Chromium (skipped loudly without it) to a non-blank
//! screenshot whose DOM holds the summary, the diagnosis and every plot.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use coda_reports::{
    escape, write_report, write_report_with, Error, PlotId, ReportOptions, ReportView,
};

fn view() -> &'static ReportView {
    static VIEW: OnceLock<ReportView> = OnceLock::new();
    VIEW.get_or_init(|| common::sample_view(20.0))
}

/// (width, height, RGB pixels) of a PNG file.
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("png file"));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let px = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|c| match channels {
            1 | 2 => [c[0]; 3],
            _ => [c[0], c[1], c[2]],
        })
        .collect();
    (info.width, info.height, px)
}

/// Luminance standard deviation and the share of pixels far from the most common colour.
fn busyness(px: &[[u8; 3]]) -> (f64, f64) {
    let lum: Vec<f64> = px
        .iter()
        .map(|p| 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f64>() / lum.len() as f64;
    let sd = (lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64).sqrt();
    let mut counts = std::collections::HashMap::new();
    for p in px {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let bg = counts.iter().max_by_key(|e| e.1).map(|e| *e.0).unwrap();
    let far = px
        .iter()
        .filter(|p| p.iter().zip(&bg).any(|(a, b)| a.abs_diff(*b) > 40))
        .count();
    (sd, far as f64 / px.len() as f64)
}

#[test]
fn report_files_are_written_with_pngs_and_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ReportOptions {
        png: true,
        ..Default::default()
    };
    let files = write_report_with(dir.path(), view(), &opts).expect("report");
    assert_eq!(files.html, dir.path().join("report.html"));
    assert_eq!(files.svgs.len(), 6);
    assert_eq!(files.pngs.len(), 6);
    for id in PlotId::ALL {
        let svg = dir.path().join("plots").join(format!("{}.svg", id.slug()));
        assert!(files.svgs.contains(&svg), "{svg:?}");
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    }
    for png in &files.pngs {
        let (w, h, px) = decode_png(png);
        assert_eq!((w, h), (1200, 600), "{png:?}");
        let (sd, far) = busyness(&px);
        assert!(
            sd > 10.0 && far > 0.02,
            "{png:?} looks blank: sd {sd:.1}, {far:.3} inked"
        );
    }
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["<script", "src=", "href=\"http", "url(", "@import", "<link"] {
        assert!(!html.contains(external), "not self-contained: {external}");
    }
    assert_eq!(html.matches("<svg").count(), 6);
    let leftovers: Vec<PathBuf> = walk(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn a_report_never_overwrites_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("report.html");
    std::fs::write(&input, b"the user's file").unwrap();
    let mut v = view().clone();
    v.mix.path = Some(input.clone());
    match write_report(dir.path(), &v) {
        Err(Error::WouldOverwriteInput { path }) => {
            assert_eq!(path, std::fs::canonicalize(&input).unwrap())
        }
        other => panic!("expected WouldOverwriteInput, got {other:?}"),
    }
    assert_eq!(std::fs::read(&input).unwrap(), b"the user's file");
    // The same input through another spelling of the folder is still caught.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let odd = dir.path().join("sub").join("..");
    assert!(matches!(
        write_report(&odd, &v),
        Err(Error::WouldOverwriteInput { .. })
    ));
    // With the input elsewhere the report is written.
    v.mix.path = Some(sub.join("mix.wav"));
    write_report(dir.path(), &v).expect("report beside an unrelated input");
    assert!(std::fs::read_to_string(&input)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs Chromium headless with `args` on `url`, returning stdout; panics after 90 s.
fn run_chromium(bin: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        common::loud_skip(
            "chromium not found (run scripts/setup.sh); \
             report_renders_in_headless_chromium did not check the page",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(dir.path(), view()).expect("report");
    let url = format!("file://{}", files.html.display());
    let profile = tempfile::tempdir().unwrap();
    // One run prints the DOM and takes the screenshot (Chromium starts slowly).
    let shot = dir.path().join("report.png");
    let dom = run_chromium(
        &bin,
        profile.path(),
        &[
            "--dump-dom".into(),
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,4000".into(),
        ],
        &url,
    );
    for id in ["summary", "diagnosis", "plots", "plan"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "DOM lacks #{id}");
    }
    for id in PlotId::ALL {
        assert!(
            dom.contains(&format!("id=\"plot-{}\"", id.slug())),
            "DOM lacks plot {}",
            id.slug()
        );
    }
    assert_eq!(dom.matches("<svg").count(), 6, "six inline plots");
    let mix_i = view().mix.analysis.loudness.integrated_lufs.unwrap();
    assert!(
        dom.contains(&format!("<td>{mix_i:.1}</td>")),
        "summary holds the mix's LUFS"
    );
    assert!(!view().diagnosis.is_empty());
    for f in &view().diagnosis {
        assert!(
            dom.contains(&escape(&f.message)),
            "DOM lacks finding {:?}",
            f.message
        );
    }
    for row in &view().plan {
        assert!(dom.contains(&escape(&row.settings)));
    }
    let (w, h, px) = decode_png(&shot);
    assert_eq!((w, h), (1280, 4000));
    let (sd, far) = busyness(&px);
    eprintln!(
        "screenshot: luminance sd {sd:.1}, {:.1} % inked",
        far * 100.0
    );
    assert!(
        sd > 15.0 && far > 0.05,
        "screenshot looks blank: sd {sd:.1}, {far:.3}"
    );
    // The plots are drawn, not just laid out: the mix colour appears in the page.
    let mix = px.iter().filter(|p| **p == [0xD5, 0x5E, 0x00]).count();
    assert!(mix > 2000, "only {mix} mix-coloured pixels");
}
