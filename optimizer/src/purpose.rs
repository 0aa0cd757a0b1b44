//! Delivery purposes: loudness target, true-peak ceiling and dynamics policy.
//!
//! Figures and their sources:
//! - EBU R 128 (2020) and EBU Tech 3343: programme loudness -23.0 LUFS, tolerance +/-0.5 LU
//!   for file-based delivery, maximum true peak -1 dBTP.
//! - EBU R 128 s1 (2016), short-form content (promos, trailers, commercials): programme
//!   loudness -23 LUFS and maximum short-term loudness +5 LU above target, i.e. -18 LUFS.
//! - ATSC A/85:2013 (US television): -24 LKFS, +/-2 dB, true peak at most -2 dBTP.
//! - ASWG-R001 (Sony Interactive Audio Standards Working Group, 2016): home/console
//!   -24 LUFS +/-2 LU, portable -18 LUFS +/-2 LU, true peak at most -1 dBTP. Secondary
//!   sources also quote -23 LUFS for home; the document's table gives -24, which we use.
//! - Streaming (Spotify, YouTube, Tidal playback normalisation): -14 LUFS integrated,
//!   true peak -1 dBTP (Spotify's loudness guidelines).
//! - Creative purposes (reference, film, trailer, library) follow the reference's loudness
//!   and keep -1 dBTP, the common delivery ceiling that leaves room for lossy encoding.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What the master is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Match the reference (default).
    Reference,
    /// Film: reference loudness at most, dynamics kept.
    Film,
    /// Broadcast TV, EBU R 128.
    Tv,
    /// Short-form TV (promos), EBU R 128 s1.
    TvPromo,
    /// US broadcast TV, ATSC A/85.
    TvUs,
    /// Game cinematics, ASWG-R001 home.
    Game,
    /// Game audio for portable devices, ASWG-R001 portable.
    GameMobile,
    /// Trailers: reduced dynamics, soft passages lifted.
    Trailer,
    /// Production-music libraries: reduced dynamics.
    Library,
    /// Streaming platforms' normalisation level.
    Streaming,
}

/// How a purpose treats the mix's dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DynamicsPolicy {
    /// Follow the reference's loudness range; automation allowed.
    FollowReference,
    /// Keep the mix's dynamics: LRA within 1 LU of the mix, no automation.
    Keep,
    /// Reduce: automation lifts soft passages (3-5 dB).
    Reduce,
}

/// Where the integrated loudness target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoudnessTarget {
    /// The reference's integrated loudness (the mix's own when there is no reference).
    Reference,
    /// The reference's, but never louder than the mix needs (film).
    ReferenceAtMost,
    /// A fixed delivery standard, in LUFS, with its tolerance in LU.
    Fixed {
        /// Target in LUFS.
        lufs: f64,
        /// Allowed deviation in LU.
        tolerance_lu: f64,
    },
}

/// The figures a purpose imposes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PurposeSpec {
    /// The purpose.
    pub purpose: Purpose,
    /// Integrated loudness target.
    pub target: LoudnessTarget,
    /// Maximum true peak in dBTP.
    pub ceiling_dbtp: f64,
    /// Dynamics policy.
    pub dynamics: DynamicsPolicy,
    /// Largest short-term loudness allowed, in LUFS (EBU R 128 s1), if any.
    pub short_term_max_lufs: Option<f64>,
}

impl Purpose {
    /// Every purpose, in the order of DESIGN.md.
    pub const ALL: [Purpose; 10] = [
        Purpose::Reference,
        Purpose::Film,
        Purpose::Tv,
        Purpose::TvPromo,
        Purpose::TvUs,
        Purpose::Game,
        Purpose::GameMobile,
        Purpose::Trailer,
        Purpose::Library,
        Purpose::Streaming,
    ];

    /// The command-line and file-name spelling (`tv-promo`).
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Reference => "reference",
            Purpose::Film => "film",
            Purpose::Tv => "tv",
            Purpose::TvPromo => "tv-promo",
            Purpose::TvUs => "tv-us",
            Purpose::Game => "game",
            Purpose::GameMobile => "game-mobile",
            Purpose::Trailer => "trailer",
            Purpose::Library => "library",
            Purpose::Streaming => "streaming",
        }
    }

    /// The figures this purpose imposes (see the module docs for sources).
    pub fn spec(self) -> PurposeSpec {
        use DynamicsPolicy::*;
        use LoudnessTarget::*;
        let (target, ceiling_dbtp, dynamics, st_max) = match self {
            Purpose::Reference => (Reference, -1.0, FollowReference, None),
            Purpose::Film => (ReferenceAtMost, -1.0, Keep, None),
            Purpose::Tv => (
                Fixed {
                    lufs: -23.0,
                    tolerance_lu: 0.5,
                },
                -1.0,
                Keep,
                None,
            ),
            Purpose::TvPromo => (
                Fixed {
                    lufs: -23.0,
                    tolerance_lu: 0.5,
                },
                -1.0,
                Keep,
                Some(-18.0),
            ),
            Purpose::TvUs => (
                Fixed {
                    lufs: -24.0,
                    tolerance_lu: 2.0,
                },
                -2.0,
                Keep,
                None,
            ),
            Purpose::Game => (
                Fixed {
                    lufs: -24.0,
                    tolerance_lu: 2.0,
                },
                -1.0,
                Keep,
                None,
            ),
            Purpose::GameMobile => (
                Fixed {
                    lufs: -18.0,
                    tolerance_lu: 2.0,
                },
                -1.0,
                Keep,
                None,
            ),
            Purpose::Trailer => (Reference, -1.0, Reduce, None),
            Purpose::Library => (Reference, -1.0, Reduce, None),
            Purpose::Streaming => (
                Fixed {
                    lufs: -14.0,
                    tolerance_lu: 1.0,
                },
                -1.0,
                FollowReference,
                None,
            ),
        };
        PurposeSpec {
            purpose: self,
            target,
            ceiling_dbtp,
            dynamics,
            short_term_max_lufs: st_max,
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Purpose {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Purpose::ALL.iter().map(|p| p.name()).collect();
                format!("unknown purpose `{s}` (one of: {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_standards_hold() {
        for p in Purpose::ALL {
            assert_eq!(p.name().parse::<Purpose>().unwrap(), p);
        }
        assert!("radio".parse::<Purpose>().is_err());
        let tv = Purpose::Tv.spec();
        assert_eq!(
            tv.target,
            LoudnessTarget::Fixed {
                lufs: -23.0,
                tolerance_lu: 0.5
            }
        );
        assert_eq!(Purpose::TvUs.spec().ceiling_dbtp, -2.0);
        assert_eq!(Purpose::TvPromo.spec().short_term_max_lufs, Some(-18.0));
        assert_eq!(Purpose::Trailer.spec().dynamics, DynamicsPolicy::Reduce);
        assert_eq!(Purpose::Film.spec().dynamics, DynamicsPolicy::Keep);
    }
}
