//! Real music on this machine: the Battle for Wesnoth soundtrack (Debian `wesnoth-1.16-music`).
//!
//! `corpus/fetch-real.sh` installs it; these functions only look, they never install.

use std::path::PathBuf;

/// Where Debian's `wesnoth-1.16-music` package puts its Ogg Vorbis tracks.
pub const WESNOTH_MUSIC_DIR: &str = "/usr/share/games/wesnoth/1.16/data/core/music";

/// The Wesnoth music folder if it exists and holds at least one `.ogg` file.
pub fn wesnoth_music_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(WESNOTH_MUSIC_DIR);
    let has_ogg = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|entry| entry.ok())
        .any(|entry| entry.path().extension().is_some_and(|e| e == "ogg"));
    has_ogg.then_some(dir)
}

/// The path of track `name` (with or without the `.ogg` suffix, e.g. `"heroes_rite"`), if present.
pub fn wesnoth_track(name: &str) -> Option<PathBuf> {
    let file = if name.ends_with(".ogg") {
        name.to_owned()
    } else {
        format!("{name}.ogg")
    };
    let path = wesnoth_music_dir()?.join(file);
    path.is_file().then_some(path)
}
