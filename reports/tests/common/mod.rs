//! Test data: synthetic orchestral audio from coda-corpus, EQ'd, limited and analysed, so
//! reports built from it look like real ones.
#![allow(dead_code)]

use coda_analysis::{analyze, Analysis};
use coda_engine::processors::biquad::{run_cascade, Coeffs, State};
use coda_engine::Audio;
use coda_reports::{AutomationPoint, GainTrace, PlanRow, ReportView, Source, Target};

/// Low shelf applied to make the "mix": corner, Q, gain.
pub const LOW_SHELF: (f64, f64, f64) = (150.0, 0.707, 4.0);
/// High shelf applied to make the "mix": corner, Q, gain.
pub const HIGH_SHELF: (f64, f64, f64) = (6000.0, 0.707, -4.0);

/// `audio` through a low shelf and a high shelf of the given gains (dB).
pub fn shelved(audio: &Audio, low_db: f64, high_db: f64) -> Audio {
    let fs = f64::from(audio.sample_rate_hz);
    let coeffs = [
        Coeffs::low_shelf(LOW_SHELF.0, LOW_SHELF.1, low_db, fs),
        Coeffs::high_shelf(HIGH_SHELF.0, HIGH_SHELF.1, high_db, fs),
    ];
    let mut out = audio.clone();
    for ch in &mut out.channels {
        let mut states = [State::default(); 2];
        run_cascade(&coeffs, &mut states, ch);
    }
    out
}

/// The EQ response of [`shelved`] at `freqs_hz`, as (Hz, dB) points.
pub fn shelf_curve(freqs_hz: &[f64], low_db: f64, high_db: f64, fs: f64) -> Vec<(f64, f64)> {
    let lo = Coeffs::low_shelf(LOW_SHELF.0, LOW_SHELF.1, low_db, fs);
    let hi = Coeffs::high_shelf(HIGH_SHELF.0, HIGH_SHELF.1, high_db, fs);
    freqs_hz
        .iter()
        .map(|&f| (f, lo.magnitude_db(f, fs) + hi.magnitude_db(f, fs)))
        .collect()
}

/// `audio` raised by `gain_db` into a soft clipper at `ceiling` (linear); returns the audio
/// and its gain reduction per 10 ms hop (dB).
pub fn limited(audio: &Audio, gain_db: f64, ceiling: f32) -> (Audio, GainTrace) {
    let g = 10f32.powf(gain_db as f32 / 20.0);
    let mut out = audio.clone();
    let hop = (f64::from(audio.sample_rate_hz) * 0.01).round() as usize;
    let mut red = vec![0.0f32; audio.frames().div_ceil(hop)];
    for ch in &mut out.channels {
        for (i, x) in ch.iter_mut().enumerate() {
            let v = *x * g;
            let y = ceiling * (v / ceiling).tanh();
            if v.abs() > 1e-6 {
                let r = -20.0 * (y / v).abs().log10();
                let slot = &mut red[i / hop];
                *slot = slot.max(r);
            }
            *x = y;
        }
    }
    let trace = GainTrace {
        label: "limiter".into(),
        hop_s: hop as f64 / f64::from(audio.sample_rate_hz),
        reduction_db: red,
    };
    (out, trace)
}

/// Prints a skip notice straight to the process's stderr, past libtest's output capture, so
/// it shows in a plain `cargo test` run.
pub fn loud_skip(what: &str) {
    use std::io::Write;
    let line = "*".repeat(72);
    let _ = writeln!(std::io::stderr(), "\n{line}\nSKIPPED: {what}\n{line}");
}

/// Analyses or panics.
pub fn analysed(audio: &Audio) -> Analysis {
    analyze(audio).expect("analysis")
}

/// A complete view: mix = orchestral piece with +4 dB lows / -4 dB highs; reference = the
/// same piece untouched but limited 6 dB louder; output = the mix EQ'd back and limited.
pub fn sample_view(duration_s: f64) -> ReportView {
    sample_view_of(coda_corpus::synth::orchestral(11, duration_s, 44_100))
}

/// [`sample_view`] of any piece.
pub fn sample_view_of(piece: Audio) -> ReportView {
    let rate = piece.sample_rate_hz;
    let mix = shelved(&piece, LOW_SHELF.2, HIGH_SHELF.2);
    let (reference, _) = limited(&piece, 8.0, 0.85);
    // coda's fit undoes most, not all, of the shelves and limits a little less hard.
    let eq = shelved(&mix, -3.0, 3.0);
    let (output, limiter) = limited(&eq, 7.0, 0.85);
    let (mix_a, ref_a, out_a) = (analysed(&mix), analysed(&reference), analysed(&output));
    let eq_curve = shelf_curve(&mix_a.spectrum.fine_hz, -3.0, 3.0, f64::from(rate));
    // Lift soft passages gently: half the distance to the loudest short-term, at most 3 dB.
    let st = &mix_a.series.short_term_lufs;
    let top = mix_a.loudness.short_term_max_lufs.unwrap_or(-20.0);
    let automation: Vec<AutomationPoint> = (0..st.len())
        .step_by(50)
        .map(|k| AutomationPoint {
            time_s: (k + 1) as f64 * 0.1,
            gain_db: st[k].map_or(0.0, |v| ((top - v) * 0.5).clamp(0.0, 3.0)),
        })
        .collect();
    let band = GainTrace {
        label: "compressor low band (< 150 Hz)".into(),
        hop_s: limiter.hop_s,
        reduction_db: limiter.reduction_db.iter().map(|r| r * 0.4).collect(),
    };
    let mut view = ReportView::new(
        "orchestral-sketch.wav, mastered for trailer",
        Source {
            name: "orchestral-sketch.wav".into(),
            path: None,
            analysis: mix_a,
        },
    )
    .with_reference(Source {
        name: "pro-reference.flac".into(),
        path: None,
        analysis: ref_a,
    });
    view.output = Some(Source {
        name: "orchestral-sketch.trailer.wav".into(),
        path: None,
        analysis: out_a.clone(),
    });
    view.target = Some(Target {
        description: "trailer: the reference's loudness, true peak at most -1 dBTP".into(),
        integrated_lufs: view
            .reference
            .as_ref()
            .and_then(|r| r.analysis.loudness.integrated_lufs),
        true_peak_dbtp: Some(-1.0),
        range_lu: view
            .reference
            .as_ref()
            .and_then(|r| r.analysis.loudness.range_lu),
        plr_db: None,
        crest_db: None,
    });
    view.eq_curve = Some(eq_curve);
    view.automation = Some(automation);
    view.gain_reduction = vec![limiter, band];
    view.plan = vec![
        PlanRow {
            stage: "headroom".into(),
            settings: "trim -3.0 dB so the mix peaks at -6 dBFS".into(),
        },
        PlanRow {
            stage: "automation".into(),
            settings: "lift soft passages by up to 3.0 dB (12 breakpoints, 2 s ramps)".into(),
        },
        PlanRow {
            stage: "EQ".into(),
            settings: "low shelf 150 Hz -3.0 dB (Q 0.71); high shelf 6 kHz +3.0 dB (Q 0.71)".into(),
        },
        PlanRow {
            stage: "limiter".into(),
            settings: "ceiling -1.0 dBTP, release 120 ms, threshold just below the loudest passage"
                .into(),
        },
    ];
    view.warnings =
        vec!["the reference is a lossy file: its spectrum above 16 kHz is ignored".into()];
    view
}
