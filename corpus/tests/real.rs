//! Locating the Wesnoth soundtrack installed by `corpus/fetch-real.sh`.

use coda_corpus::real::{wesnoth_music_dir, wesnoth_track, WESNOTH_MUSIC_DIR};

#[test]
fn tracks_resolve_only_when_present() {
    assert!(wesnoth_track("no_such_track_xyz").is_none());
    match wesnoth_music_dir() {
        Some(dir) => {
            assert_eq!(dir.to_str(), Some(WESNOTH_MUSIC_DIR));
            let track = wesnoth_track("heroes_rite").expect("heroes_rite.ogg ships with 1.16");
            assert_eq!(wesnoth_track("heroes_rite.ogg"), Some(track.clone()));
            assert!(std::fs::metadata(track).unwrap().len() > 100_000);
        }
        None => assert!(wesnoth_track("heroes_rite").is_none()),
    }
}
