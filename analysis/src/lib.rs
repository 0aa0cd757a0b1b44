//! coda-analysis: the measurements coda takes of a mix, a reference and a master —
//! loudness, spectra, dynamics, stereo width per band, file health and content kind.
#![forbid(unsafe_code)]

mod analysis;
mod compare;
mod content;
mod dynamics;
mod error;
mod health;
mod kweight;
mod loudness;
mod peak;
mod spectrum;
mod stereo;
mod units;
mod welch;

pub use analysis::{analyze, Analysis, Series};
pub use compare::{spectral_distance_db, DISTANCE_BAND_HZ};
pub use content::{
    content_from, onset_envelope, Content, ContentFeatures, ContentKind, OnsetEnvelope,
};
pub use dynamics::{dynamics_from, level_series, Dynamics, LevelSeries, CREST_WINDOW_HOPS};
pub use error::{Error, Result};
pub use health::{
    health_of, Health, CLIP_LEVEL, CLIP_MIN_RUN, DC_WARN, LOW_LEVEL_LUFS, SILENT_PEAK_DBFS,
};
pub use loudness::{
    integrated_lufs, loudness_of, measure_loudness, measure_loudness_reference,
    short_term_and_range, Loudness, LoudnessSeries, SERIES_HOP_S,
};
pub use spectrum::{
    fine_centres_hz, spectrum_from, spectrum_of, third_octave_centres_hz, Spectrum,
};
pub use stereo::{
    correlation_series, stereo_from, CorrelationSeries, Stereo, StereoBand,
    CORRELATION_WINDOW_HOPS, SIDE_FLOOR_DB, STEREO_SPLITS_HZ,
};
pub use units::{amplitude_db, finite, power_db};
pub use welch::{band_power, welch, welch_fft_len, WelchSpectra};
