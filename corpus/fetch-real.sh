#!/bin/sh
# Installs the Battle for Wesnoth soundtrack (Debian package wesnoth-1.16-music, Ogg Vorbis,
# GPL) and prints its folder. Idempotent: exits 0 at once when it is already installed.
set -eu

PKG=wesnoth-1.16-music
DIR=/usr/share/games/wesnoth/1.16/data/core/music

has_music() {
    ls "$DIR"/*.ogg >/dev/null 2>&1
}

if has_music; then
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
    echo "$DIR"
else
    echo "fetch-real.sh: $PKG installed but $DIR holds no .ogg files" >&2
    exit 1
fi
