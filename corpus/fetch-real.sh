#!/bin/sh
# Installs the Battle for Wesnoth soundtrack (Debian package wesnoth-1.16-music, Ogg Vorbis,
# GPL), builds the files the real corpus cases read (corpus/real/, see
# corpus/cases/README.md) and prints the music folder. Idempotent: does nothing that is
# already done.
#
# corpus/real/heroes_rite.wav       heroes_rite decoded to 44.1 kHz 32-bit float WAV (ffmpeg)
# corpus/real/heroes_rite.sox.wav   issue 5's mix: `sox heroes_rite.wav mix.wav gain -9 bass +4 treble -5`
#
# Every other real case is built in memory by coda itself (decode + damage with coda's
# engine) from the installed OGG files.
set -eu

PKG=wesnoth-1.16-music
DIR=/usr/share/games/wesnoth/1.16/data/core/music

has_music() {
    ls "$DIR"/*.ogg >/dev/null 2>&1
}

# Builds corpus/real/ from the installed music.
build_real() {
    REAL="$(cd "$(dirname "$0")" && pwd)/real"
    mkdir -p "$REAL"
    if [ ! -f "$REAL/heroes_rite.sox.wav" ]; then
        for tool in ffmpeg sox; do
            command -v $tool >/dev/null 2>&1 || {
                echo "fetch-real.sh: $tool is needed to build corpus/real/ (apt-get install $tool)" >&2
                exit 1
            }
        done
        ffmpeg -v error -y -i "$DIR/heroes_rite.ogg" -ar 44100 -c:a pcm_f32le "$REAL/heroes_rite.wav.tmp.wav"
        mv "$REAL/heroes_rite.wav.tmp.wav" "$REAL/heroes_rite.wav"
        sox "$REAL/heroes_rite.wav" "$REAL/heroes_rite.sox.tmp.wav" gain -9 bass +4 treble -5
        mv "$REAL/heroes_rite.sox.tmp.wav" "$REAL/heroes_rite.sox.wav"
        echo "fetch-real.sh: built $REAL/heroes_rite.sox.wav" >&2
    fi
}

if has_music; then
    build_real
    echo "$DIR"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "fetch-real.sh: $PKG is not installed and this user cannot run apt-get (not root, no sudo)" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "fetch-real.sh: apt-get not found; install $PKG by other means (needs Debian/Ubuntu)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when apt does not know the package yet.
if ! apt-cache show "$PKG" >/dev/null 2>&1; then
    $SUDO apt-get update -qq || {
        echo "fetch-real.sh: apt-get update failed (network?)" >&2
        exit 1
    }
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "$PKG" >&2; then
    echo "fetch-real.sh: apt-get install $PKG failed" >&2
    exit 1
fi

if has_music; then
    build_real
    echo "$DIR"
else
    echo "fetch-real.sh: $PKG installed but $DIR holds no .ogg files" >&2
    exit 1
fi
