//! Regression: `analyze` gave results differing in the last bit with the rayon thread
//! count (Welch sums reduced in a work-stealing order), which changed EQ fits and so the
//! bytes of `coda batch` outputs between `--jobs 1` and `--jobs 2`.
use coda_analysis::analyze;

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn analysis_is_bit_identical_for_any_thread_count() {
    // 70 s at 48 kHz: about 820 Welch frames in 26 parallel tasks.
    let audio = coda_corpus::synth::hybrid(5, 70.0, 48_000);
    let one = serde_json::to_string(&in_pool(1, || analyze(&audio).unwrap())).unwrap();
    for threads in [2, 3, 5] {
        for _ in 0..2 {
            let many =
                serde_json::to_string(&in_pool(threads, || analyze(&audio).unwrap())).unwrap();
            assert!(one == many, "analysis differs with {threads} threads");
        }
    }
}
