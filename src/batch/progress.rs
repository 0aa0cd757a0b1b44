//! Progress: indicatif bars (overall with ETA, one line per worker) on a terminal, plain
//! log lines otherwise.
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Reports what the workers are doing.
pub enum Progress {
    /// Terminal: live bars.
    Bars {
        /// Overall outputs.
        overall: ProgressBar,
        /// One spinner line per worker.
        workers: Vec<ProgressBar>,
    },
    /// Not a terminal: one line per finished output.
    Log {
        /// Outputs expected.
        total: usize,
        /// Outputs finished.
        done: AtomicUsize,
    },
}

impl Progress {
    /// Bars if stderr is a terminal, else log lines.
    pub fn new(total: usize, jobs: usize) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress::Log {
                total,
                done: AtomicUsize::new(0),
            };
        }
        let multi = MultiProgress::new();
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} outputs  {elapsed_precise} elapsed, ETA {eta}",
            )
            .expect("template"),
        );
        let workers = (0..jobs)
            .map(|i| {
                let b = multi.add(ProgressBar::new_spinner());
                b.set_style(ProgressStyle::with_template("  {spinner} {msg}").expect("template"));
                b.set_message(format!("worker {}: idle", i + 1));
                b.enable_steady_tick(std::time::Duration::from_millis(200));
                b
            })
            .collect();
        Progress::Bars { overall, workers }
    }

    /// A worker started a step.
    pub fn working(&self, worker: usize, what: &str) {
        if let Progress::Bars { workers, .. } = self {
            if let Some(b) = workers.get(worker) {
                b.set_message(format!("worker {}: {what}", worker + 1));
            }
        }
    }

    /// An output finished (or failed); `line` describes it.
    pub fn finished(&self, line: &str) {
        match self {
            Progress::Bars { overall, .. } => {
                overall.inc(1);
                if line.contains("FAILED") {
                    overall.println(line);
                }
            }
            Progress::Log { total, done } => {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!("coda: [{n}/{total}] {line}");
            }
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        if let Progress::Bars { overall, workers } = self {
            for w in workers {
                w.finish_and_clear();
            }
            overall.finish();
        }
    }
}
