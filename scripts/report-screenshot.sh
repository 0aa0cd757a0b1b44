#!/usr/bin/env bash
# Remakes docs/report.png: coda's report for issue 5's real pair (heroes_rite degraded with
# sox, matched to the_king_is_dead), rendered by headless Chromium at scale 0.64 (768 px wide).
# Needs a release build, ffmpeg, sox, and chromium (scripts/setup.sh).
#   scripts/report-screenshot.sh [WORKDIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-/tmp/coda-report-shot}
mkdir -p "$W"
"$ROOT/bench/real-pair.sh" "$W" >/dev/null 2>&1
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE" --hide-scrollbars --window-size=1200,2250 --force-device-scale-factor=0.64 \
  --screenshot="$W/shot.png" "file://$W/out/mix.reference.report.html" >/dev/null 2>&1
cp "$W/shot.png" "$ROOT/docs/report.png"
ls -l "$ROOT/docs/report.png"
