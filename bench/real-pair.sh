#!/usr/bin/env bash
# Issue 5's real pair: heroes_rite degraded with sox (gain -9 bass +4 treble -5), matched to
# the_king_is_dead; prints third-octave distance (40 Hz-10 kHz, level-normalised mid),
# loudness and true peak of the master. Usage: bench/real-pair.sh [WORKDIR] [extra match args]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-/tmp/coda-real-pair}; shift || true
M=/usr/share/games/wesnoth/1.16/data/core/music
mkdir -p "$W" && cd "$W"
ffmpeg -v error -y -i $M/heroes_rite.ogg -ar 44100 -c:a pcm_s16le heroes_rite.wav
sox heroes_rite.wav mix.wav gain -9 bass +4 treble -5
ffmpeg -v error -y -i $M/the_king_is_dead.ogg -ar 44100 -c:a pcm_s16le king.wav
/usr/bin/time -f "coda match: %e s wall, %M KiB peak RSS" "$ROOT/target/release/coda" match mix.wav --ref king.wav -o out --force "$@"
python3 "$ROOT/bench/distance.py" out/mix.reference.wav king.wav
