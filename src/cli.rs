//! Command-line arguments: plain structs parsed by clap, validated, nothing built yet.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// coda: mastering for orchestral, cinematic and hybrid music.
#[derive(Debug, Parser)]
#[command(name = "coda", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure files: loudness, spectrum, dynamics, stereo width, health, content kind.
    Analyze(AnalyzeArgs),
    /// Render a mix through an (edited) plan.
    Render(RenderArgs),
    /// Fit a mastering chain to a reference and a purpose, render and report it.
    Match(MatchArgs),
    /// Master a built-in synthetic mix against a built-in reference.
    Demo(DemoArgs),
    /// Deliver a library: every track, every purpose, every format, with a manifest.
    Batch(BatchArgs),
    /// Master the test corpus, score it against its ground truth, tune the optimizer.
    Tune(TuneArgs),
}

/// `coda analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Audio files (WAV, FLAC, OGG, MP3, AIFF).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON (one object per file, an array for several) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Include the time series (100 ms loudness, crest, correlation) in the JSON.
    #[arg(long)]
    pub series: bool,
    /// Draw the analysis plots, diagnosis and an HTML report into this folder
    /// (one `<stem>.report.html` and `<stem>.plots/` per file).
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Reference to compare against in the plots and diagnosis.
    #[arg(long = "ref")]
    pub reference: Option<PathBuf>,
    /// Also write each plot as PNG.
    #[arg(long)]
    pub png: bool,
}

/// `coda render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The mix to render.
    pub mix: PathBuf,
    /// The plan (JSON, as written by `coda match`).
    #[arg(long)]
    pub plan: PathBuf,
    /// Output WAV file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Overwrite an existing output.
    #[arg(long)]
    pub force: bool,
}

/// `coda match`.
#[derive(Debug, Args, Clone)]
pub struct MatchArgs {
    /// The mix to master.
    pub mix: PathBuf,
    /// Reference track(s); several are averaged. `FILE:WEIGHT` weights one.
    #[arg(long = "ref")]
    pub refs: Vec<String>,
    /// Purpose of the delivery (reference, film, tv, tv-promo, tv-us, game, game-mobile,
    /// trailer, library, streaming).
    #[arg(long, default_value = "reference")]
    pub purpose: String,
    /// Output folder.
    #[arg(short = 'o', long = "out", default_value = ".")]
    pub out_dir: PathBuf,
    /// Integrated loudness target in LUFS (overrides purpose and reference).
    #[arg(long)]
    pub target_lufs: Option<f64>,
    /// True-peak ceiling in dBTP (overrides the purpose).
    #[arg(long)]
    pub ceiling: Option<f64>,
    /// Output word length: 16, 24 or 32f.
    #[arg(long, default_value = "24")]
    pub bits: String,
    /// Output sample rate in Hz (default: the mix's).
    #[arg(long)]
    pub rate: Option<u32>,
    /// Overall match strength 0..1.
    #[arg(long, default_value_t = 1.0)]
    pub strength: f64,
    /// Strength of the tonal (EQ) match 0..1 (default: --strength).
    #[arg(long)]
    pub eq: Option<f64>,
    /// Strength of the width match 0..1 (default: --strength).
    #[arg(long)]
    pub width: Option<f64>,
    /// Strength of the dynamics match 0..1 (default: --strength).
    #[arg(long)]
    pub dynamics: Option<f64>,
    /// Strength of the loudness match 0..1 (default: --strength).
    #[arg(long)]
    pub loudness: Option<f64>,
    /// Treat the mix as hybrid (orchestra + electronics): enables the multiband compressor.
    #[arg(long)]
    pub hybrid: bool,
    /// Largest total range of the volume automation, in dB.
    #[arg(long, default_value_t = 4.0)]
    pub max_automation_db: f64,
    /// Allow more limiting than a gentle master takes (gain reduction above ~4 dB).
    #[arg(long)]
    pub allow_heavy_limiting: bool,
    /// Optimizer hyperparameters (JSON, as written by `coda tune --search`).
    #[arg(long)]
    pub tuning: Option<PathBuf>,
    /// Also write each plot as PNG next to its SVG.
    #[arg(long)]
    pub png: bool,
    /// Overwrite existing outputs.
    #[arg(long)]
    pub force: bool,
}

/// `coda demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output folder (default: ./coda-demo).
    pub dir: Option<PathBuf>,
    /// Overwrite existing outputs.
    #[arg(long, default_value_t = true)]
    pub force: bool,
}

/// `coda batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// A folder (searched recursively for audio; `reference.*` files are per-folder
    /// references) or a manifest (.csv or .json: file, reference, purposes, title, artist).
    pub input: Option<PathBuf>,
    /// Reference track(s) for every file without its own; `FILE:WEIGHT` weights one.
    #[arg(long = "ref")]
    pub refs: Vec<String>,
    /// Purposes, comma-separated: each track is rendered once per purpose.
    #[arg(long, default_value = "library")]
    pub purpose: String,
    /// Deliverable formats, comma-separated RATE/BITS (e.g. 48k/24,44.1k/16).
    #[arg(long, default_value = "48k/24")]
    pub deliver: String,
    /// Delivery folder.
    #[arg(short = 'o', long = "out", default_value = "delivery")]
    pub out_dir: PathBuf,
    /// Parallel workers (default: the machine's cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Deliver only shard I of N (1-based), for array jobs; join with --merge.
    #[arg(long)]
    pub shard: Option<String>,
    /// Join the shards' manifests in the delivery folder and write the report.
    #[arg(long)]
    pub merge: bool,
    /// Match strength 0..1.
    #[arg(long, default_value_t = 1.0)]
    pub strength: f64,
    /// Treat every track as hybrid (multiband compressor on).
    #[arg(long)]
    pub hybrid: bool,
    /// Largest total range of the volume automation, in dB.
    #[arg(long, default_value_t = 4.0)]
    pub max_automation_db: f64,
    /// Optimizer hyperparameters (JSON).
    #[arg(long)]
    pub tuning: Option<PathBuf>,
}

/// `coda tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Case manifests: a folder of `*.json` files or one file (see corpus/cases/README.md).
    pub cases: PathBuf,
    /// Write the scoreboard as `tune.json` and `tune.html` into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Parallel workers (default: the machine's cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Only cases whose name contains, or whose tag or group (`synthetic`, `real`)
    /// equals, one of these comma-separated words.
    #[arg(long)]
    pub filter: Option<String>,
    /// Hyperparameters to master (and start the search) with (default: compiled-in).
    #[arg(long)]
    pub tuning: Option<PathBuf>,
    /// Tune hyperparameters (argmin Nelder-Mead) on a training split of the cases, report
    /// the held-back split before and after, and write --tuning-out if it improved.
    #[arg(long)]
    pub search: bool,
    /// Hyperparameters the search moves, comma-separated.
    #[arg(
        long,
        default_value = "eq_regularisation,eq_smoothing_octaves,eq_min_improvement_db2,automation_smoothing_s"
    )]
    pub search_params: String,
    /// Most Nelder-Mead iterations.
    #[arg(long, default_value_t = 25)]
    pub search_iters: u64,
    /// Where --search writes the tuned hyperparameters (the optimizer's compiled-in
    /// defaults; rebuild to use them).
    #[arg(long, default_value = "optimizer/tuning.json")]
    pub tuning_out: PathBuf,
    /// Write each case's mix and references (32-bit float WAV) and `case.json` into
    /// `DIR/<case>/`, then stop (for bench/compare).
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
}
