//! The case manifests in `corpus/cases/`: they all load and validate, and the corpus has
//! the coverage issue 7 asks for.
use std::path::Path;

use coda_corpus::cases::{self, Degradation, Source, SynthKind};

fn all() -> Vec<cases::LoadedCase> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    cases::load(&dir).expect("every manifest loads and validates")
}

#[test]
fn manifests_load_with_unique_names() {
    let all = all();
    assert!(!all.is_empty());
    for c in &all {
        assert!(
            !c.case.description.is_empty(),
            "{} has no description",
            c.case.name
        );
    }
}

#[test]
fn corpus_covers_the_issue() {
    let all = all();
    let synthetic: Vec<_> = all
        .iter()
        .filter(|c| c.case.group() == "synthetic")
        .collect();
    let real = all.len() - synthetic.len();
    assert!(synthetic.len() >= 40, "{} synthetic cases", synthetic.len());
    assert!(real >= 10, "{real} real cases");
    let rates: std::collections::BTreeSet<u32> = synthetic
        .iter()
        .filter_map(|c| match c.case.mix.source {
            Source::Synth { rate_hz, .. } => Some(rate_hz),
            _ => None,
        })
        .collect();
    for r in [44_100, 48_000, 96_000] {
        assert!(rates.contains(&r), "no case at {r} Hz");
    }
    let has = |f: &dyn Fn(&cases::Case) -> bool| synthetic.iter().any(|c| f(&c.case));
    assert!(
        has(&|c| c.mix.degrade.contains(&Degradation::Mono)),
        "no mono case"
    );
    assert!(has(&|c| c
        .mix
        .degrade
        .iter()
        .any(|d| matches!(d, Degradation::ClipDbfs(_)))));
    assert!(has(&|c| c
        .mix
        .degrade
        .iter()
        .any(|d| matches!(d, Degradation::Limit { .. }))));
    for purpose in ["trailer", "film"] {
        assert!(
            has(&|c| c.purpose == purpose
                && matches!(
                    c.mix.source,
                    Source::Synth {
                        kind: SynthKind::FilmCue,
                        ..
                    }
                )),
            "no film cue for {purpose}"
        );
    }
    let gains: Vec<f64> = synthetic
        .iter()
        .flat_map(|c| c.case.mix.degrade.iter())
        .filter_map(|d| match d {
            Degradation::GainDb(g) => Some(*g),
            _ => None,
        })
        .collect();
    assert!(gains.iter().any(|&g| g <= -20.0) && gains.iter().any(|&g| g >= 3.0));
    assert!(all.iter().any(|c| c.case.tags.iter().any(|t| t == "fast")));
}
