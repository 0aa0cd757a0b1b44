#!/usr/bin/env bash
# Speed and memory of `coda analyze --json` against ffmpeg's ebur128 meter (true peak on),
# side by side on the same 3-4 minute 44.1 kHz stereo file, run RUNS times each; prints the
# medians of wall time and peak RSS and their ratios (issue 3's figure: coda <= 0.5x).
#
#   bench/analyze.sh [FILE.ogg|wav] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-/usr/share/games/wesnoth/1.16/data/core/music/heroes_rite.ogg}
RUNS=${2:-5}
[ -f "$FILE" ] || { echo "bench: $FILE missing (corpus/fetch-real.sh installs Wesnoth)" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "bench: ffmpeg missing (scripts/setup.sh)" >&2; exit 1; }
cargo build --release -q
CODA=target/release/coda
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# 44.1 kHz stereo WAV of the track, so both tools read the same PCM without decoding cost
# differences dominating (both are also timed on the OGG itself).
WAV="$TMP/track.wav"
ffmpeg -v error -i "$FILE" -ar 44100 -ac 2 -c:a pcm_s16le "$WAV"

measure() { # name, command...: prints "name secs kib" per run
  local name=$1; shift
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$TMP/t" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
    echo "$name $(cat "$TMP/t")"
  done
}
{
  for input in "$WAV" "$FILE"; do
    kind=${input##*.}
    measure "coda-$kind" "$CODA" analyze --json "$input"
    measure "ffmpeg-$kind" ffmpeg -nostats -hide_banner -i "$input" -af ebur128=peak=true -f null -
  done
} > "$TMP/runs"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "# coda analyze vs ffmpeg ebur128=peak=true ($(basename "$FILE"), $RUNS runs, $(date -u +%F), $(nproc) cores)"
echo
echo "| input | coda wall s | ffmpeg wall s | time ratio coda/ffmpeg | coda peak RSS MiB | ffmpeg peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for kind in wav ogg; do
  ct=$(awk -v n="coda-$kind" '$1==n {print $2}' "$TMP/runs" | median)
  ft=$(awk -v n="ffmpeg-$kind" '$1==n {print $2}' "$TMP/runs" | median)
  cm=$(awk -v n="coda-$kind" '$1==n {print $3}' "$TMP/runs" | median)
  fm=$(awk -v n="ffmpeg-$kind" '$1==n {print $3}' "$TMP/runs" | median)
  awk -v k="$kind" -v ct="$ct" -v ft="$ft" -v cm="$cm" -v fm="$fm" \
    'BEGIN {printf "| %s | %.2f | %.2f | %.2f | %.0f | %.0f |\n", k, ct, ft, ct/ft, cm/1024, fm/1024}'
done
