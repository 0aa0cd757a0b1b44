#!/bin/bash
# Usage: bench/purposes.sh [wesnoth_track] (run in a scratch folder; needs a release build).
# Purposes on a dynamic Wesnoth cue (issue 5 figures).
M=/usr/share/games/wesnoth/1.16/data/core/music
ffmpeg -v error -y -i $M/${1:-journeys_end}.ogg -ar 44100 -c:a pcm_s24le cue.wav
for p in trailer library film tv tv-us game; do
  "$(dirname "$0")/../target/release/coda" match cue.wav --purpose $p -o out --force 2>err.$p >/dev/null
  python3 - "$p" <<'PY'
import json,sys
p=sys.argv[1]
r=json.load(open(f'out/cue.{p}.report.json'))
m,o=r['mix']['loudness'],r['output']['loudness']
pts=r['plan']['automation']['points']
rng=(max(x['gain_db'] for x in pts)-min(x['gain_db'] for x in pts)) if pts else 0
gr=r['fit']['loudness']['limiter_max_gr_db']
print(f"{p:8s} mix LRA {m['range_lu']:5.1f} -> {o['range_lu']:5.1f} (d {o['range_lu']-m['range_lu']:+.1f})  I {o['integrated_lufs']:6.2f} target {r['target']['integrated_lufs']:6.2f}  TP {o['true_peak_dbtp']:+.2f}  automation {rng:.1f} dB  limiter GR {gr:.1f} dB")
PY
done
