#!/bin/bash
# Usage: bench/render.sh [runs] (from anywhere; builds release unless NO_BUILD=1, works in a
# scratch folder).
# Full-chain render speed: a 3.5-minute 44.1 kHz stereo track (a Wesnoth cue, looped and
# cut to 210 s) through 8 EQ bands, saturation, a 3-band imager, a 3-band compressor and
# the limiter. Prints each run's wall time and peak RSS, then the median wall time, the
# real-time factor (210 s / wall), the render alone (timed by coda, without decode and
# encode) and the load average.
set -euo pipefail
RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CODA=$ROOT/target/release/coda
DUR=210
[ -n "${NO_BUILD:-}" ] || (cd "$ROOT" && cargo build --release --quiet --bin coda)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
OGG=/usr/share/games/wesnoth/1.16/data/core/music/heroes_rite.ogg
if [ -f "$OGG" ]; then
  ffmpeg -v error -y -stream_loop -1 -i "$OGG" -t $DUR -ar 44100 -ac 2 -c:a pcm_s24le mix.wav
else
  echo "no $OGG; using a synthetic corpus track" >&2
  "$CODA" demo demo >/dev/null 2>&1 || true
  first=$(ls demo/*.wav | head -1)
  ffmpeg -v error -y -stream_loop -1 -i "$first" -t $DUR -ar 44100 -ac 2 -c:a pcm_s24le mix.wav
fi
cat > plan.json <<'JSON'
{
  "version": 1,
  "sample_rate_hz": 44100,
  "headroom_trim_db": -5.0,
  "eq": {
    "bands": [
      { "kind": "low_cut", "freq_hz": 25.0, "slope_db_per_oct": 24 },
      { "kind": "low_shelf", "freq_hz": 110.0, "gain_db": -2.0, "q": 0.8 },
      { "kind": "peaking", "freq_hz": 310.0, "gain_db": -1.8, "q": 1.2 },
      { "kind": "peaking", "freq_hz": 800.0, "gain_db": 0.7, "q": 1.0 },
      { "kind": "peaking", "freq_hz": 2900.0, "gain_db": -1.2, "q": 1.5 },
      { "kind": "peaking", "freq_hz": 5000.0, "gain_db": 0.5, "q": 2.0 },
      { "kind": "high_shelf", "freq_hz": 9000.0, "gain_db": 2.0, "q": 0.707 },
      { "kind": "peaking", "freq_hz": 120.0, "gain_db": -2.0, "q": 0.9, "channel": "side" }
    ]
  },
  "saturation": { "drive_db": 3.0, "mix": 0.3 },
  "imager": { "crossovers_hz": [150.0, 2500.0], "widths": [0.3, 1.1, 1.2] },
  "compressor": {
    "crossovers_hz": [150.0, 2500.0],
    "bands": [
      { "threshold_db": -17.5, "ratio": 2.0, "knee_db": 6.0, "attack_ms": 30.0, "release_ms": 250.0, "makeup_db": 0.0 },
      { "threshold_db": -21.0, "ratio": 1.7, "knee_db": 6.0, "attack_ms": 15.0, "release_ms": 180.0, "makeup_db": 0.0 },
      { "threshold_db": -26.3, "ratio": 1.5, "knee_db": 6.0, "attack_ms": 8.0, "release_ms": 120.0, "makeup_db": 0.0 }
    ]
  },
  "output_gain_db": 6.0,
  "limiter": { "ceiling_dbtp": -1.0, "lookahead_ms": 5.0, "release_ms": 150.0 },
  "output": { "sample_rate_hz": null, "bit_depth": "24" }
}
JSON
echo "load before: $(uptime | sed 's/.*load average: //')"
printf '%4s %8s %8s %10s %10s\n' run wall_s rss_MB render_s render_x
for i in $(seq "$RUNS"); do
  /usr/bin/time -o time.txt -f "%e %M" "$CODA" render mix.wav --plan plan.json -o out.wav --force 2>err.txt
  read -r wall rss <time.txt
  render=$(sed -n 's/.*(render \([0-9.]*\) s.*/\1/p' err.txt)
  echo "$wall $rss $render" >>runs.txt
  awk -v i="$i" -v w="$wall" -v r="$rss" -v s="$render" -v d=$DUR \
    'BEGIN { printf "%4d %8.2f %8.0f %10.3f %9.0fx\n", i, w, r / 1024, s, d / s }'
done
sort -n -k1 runs.txt | awk -v d=$DUR '{ w[NR] = $1; r[NR] = $2 } END {
  m = w[int((NR + 1) / 2)]
  printf "median wall %.2f s  ->  %.0fx real time (210 s track), peak RSS %.0f MB\n", m, d / m, r[NR] / 1024 }'
sort -n -k3 runs.txt | awk -v d=$DUR '{ s[NR] = $3 } END {
  m = s[int((NR + 1) / 2)]
  printf "median render alone %.3f s  ->  %.0fx real time\n", m, d / m }'
echo "load after: $(uptime | sed 's/.*load average: //')"
