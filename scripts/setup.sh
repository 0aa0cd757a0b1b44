#!/usr/bin/env bash
# Installs what coda's tests and benchmarks use beyond cargo: ffmpeg and sox (reference meters,
# format round trips), Debian's wesnoth-1.16-music (real orchestral music) and chromium
# (HTML report screenshots). Idempotent; a missing package makes the tests that need it
# skip loudly ("SKIPPED: ...") rather than fail.
set -u
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v sox >/dev/null || need+=(sox)
[ -d /usr/share/games/wesnoth/1.16/data/core/music ] || need+=(wesnoth-1.16-music)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  echo "setup: ffmpeg, sox, wesnoth-1.16-music and chromium already installed" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "setup: cannot install ${need[*]} (not root, no sudo); dependent tests will skip" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup: installing ${need[*]}" >&2
$SUDO apt-get update -qq >&2 || echo "setup: apt-get update failed" >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
  || echo "setup: could not install ${need[*]}; dependent tests will skip" >&2
exit 0
