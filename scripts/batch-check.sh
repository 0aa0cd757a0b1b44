#!/usr/bin/env bash
# Proves issue 8's figures for `coda batch` on a synthetic production-music library:
# N tracks (default 100, 5 of them corrupt), 3 purposes, 2 deliverable formats.
#
#   scripts/batch-check.sh [WORKDIR]        (env: N=100 SECS=20 KEEP=1 to keep WORKDIR)
#
#  1. one run, --jobs 2, timed on a quiet machine (env LOAD_MAX, QUIET_WAIT): every output
#     against its spec by ffmpeg's ebur128 meter (targets from the standards and the
#     references, not from coda), its format, and its bext v2 loudness fields / INFO title
#     against the manifest (Python);
#     exactly the corrupt files reported, with reasons; exit status 1
#  2. the same with --jobs 1, straight after: throughput ratio, the outputs byte-identical
#  3. 10 tracks, --jobs 2: peak RSS against the 100-track run
#  4. kill -9 in the middle of a run, rerun: complete, no partial or duplicate files,
#     outputs recorded before the kill not rendered again (counted, inodes unchanged)
#  5. --shard 1/3, 2/3, 3/3 (at once, one folder) then --merge: same files and manifest
# Prints a results table (also WORKDIR/results.md); exits 1 if any check fails.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-100}
SECS=${SECS:-20}
PURPOSES=library,trailer,tv
FORMATS=48k/24,44.1k/16
W=$(realpath -m "${1:-${TMPDIR:-/tmp}/coda-batch-check}")
for tool in ffmpeg python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: batch-check needs $tool (scripts/setup.sh)" >&2; exit 0; }
done
cargo build --release -q --bin coda && cargo build --release -q -p coda-corpus --example make_library || exit 1
CODA=$ROOT/target/release/coda
CHECK="python3 $ROOT/scripts/batch_check.py"
rm -rf "$W"; mkdir -p "$W"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
FAIL=0
ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 |"); [ "$4" = ok ] || FAIL=1; echo "check: $1: $2 ($3) $4" >&2; }
verdict() { [ "$1" = 0 ] && echo ok || echo FAIL; }
val() { grep "^$1 " "$2" | head -1 | cut -d' ' -f2-; }
load() { cut -d' ' -f1 /proc/loadavg; }
# quiet: waits (up to QUIET_WAIT s, default 600) until the 1-minute load average is under
# LOAD_MAX (default 1.5), so the timings are not measuring someone else's work.
quiet() {
  local waited=0
  while ! python3 -c "import sys; sys.exit(0 if $(load) < ${LOAD_MAX:-1.5} else 1)" \
    && [ "$waited" -lt "${QUIET_WAIT:-600}" ]; do
    echo "batch-check: load $(load), waiting for a quiet machine" >&2; sleep 30; waited=$((waited + 30))
  done
}
# busy: CPU seconds used by everything on the machine so far (from /proc/stat).
busy() { awk '/^cpu /{print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat; }
# timing FILE: "%e %M %U %S" of a timed run (GNU time puts "Command exited with non-zero
# status N" on the line before when the exit status is not 0).
timing() { tail -n 1 "$1"; }
# batch OUT TIMEFILE args...: a timed run; stderr to OUT.log, "%e %M %U %S" to TIMEFILE.
batch() {
  local out=$1 tf=$2; shift 2
  /usr/bin/time -f "%e %M %U %S" -o "$tf" "$CODA" batch --purpose "$PURPOSES" \
    --deliver "$FORMATS" -o "$out" "$@" 2>"$out.log"
}

echo "batch-check: writing a $N-track library (${SECS}-$((SECS + 4)) s each) in $W" >&2
"$ROOT/target/release/examples/make_library" "$W/lib" "$N" "$SECS" 5 >"$W/lib.txt" || exit 1
TEN=$((N < 10 ? N : 10))
"$ROOT/target/release/examples/make_library" "$W/lib10" "$TEN" "$SECS" 0 >/dev/null || exit 1
GOOD=$((N - 5)); OUTPUTS=$((GOOD * 6))

# 1-2. The same library with two workers, then one, back to back on a quiet machine; the
# CPU other processes used meanwhile is the whole machine's busy time minus coda's.
quiet; L2=$(load); B0=$(busy); batch "$W/j2" "$W/j2.time" "$W/lib" --jobs 2; rc=$?; B1=$(busy)
read -r T2 RSS2 U2 S2 <<<"$(timing "$W/j2.time")"
quiet; L1=$(load); B2=$(busy); batch "$W/j1" "$W/j1.time" "$W/lib" --jobs 1; B3=$(busy)
read -r T1 RSS1 U1 S1 <<<"$(timing "$W/j1.time")"
O2=$(python3 -c "print(f'{$B1 - $B0 - $U2 - $S2:.0f}')")
O1=$(python3 -c "print(f'{$B3 - $B2 - $U1 - $S1:.0f}')")
SPEED=$(python3 -c "print(f'{$T1 / $T2:.2f}')")
row "throughput --jobs 2 vs --jobs 1" "${SPEED}x" "$T1 s vs $T2 s wall; coda CPU $U1+$S1 s vs $U2+$S2 s; load before $L1 / $L2; other processes' CPU during the runs $O1 s / $O2 s" \
  "$(python3 -c "print('ok' if $T1 / $T2 >= 1.8 else 'FAIL')")"
row "exit status with 5 corrupt files" "$rc" "want 1" "$( [ "$rc" = 1 ] && echo ok || echo FAIL)"
$CHECK spec "$W/j2" 2 >"$W/spec.txt" 2>"$W/spec.err"; r=$?
row "outputs delivered (ok records = WAV files)" "$(val outputs_ok "$W/spec.txt") / $(val wav_files "$W/spec.txt")" "want $OUTPUTS" \
  "$( [ "$(val outputs_ok "$W/spec.txt")" = "$OUTPUTS" ] && echo ok || echo FAIL)"
row "outputs missing spec by ffmpeg ebur128 / format / bext / INFO" "$(val spec_misses "$W/spec.txt")" \
  "targets: tv -23 LUFS, library/trailer the reference's I by ffmpeg, ceiling -1 dBTP; worst I off target $(val worst_ffmpeg_I_off_target_LU "$W/spec.txt") LU, worst TP - ceiling $(val worst_ffmpeg_TP_minus_ceiling_dB "$W/spec.txt") dB, coda vs ffmpeg I <= $(val max_coda_vs_ffmpeg_I_LU "$W/spec.txt") LU, coda's target vs independent <= $(val max_coda_target_vs_independent_LU "$W/spec.txt") LU" "$(verdict $r)"
row "outputs coda itself flags as missing spec" "$(val coda_spec_flags "$W/spec.txt")" "report verdicts" \
  "$( [ "$(val coda_spec_flags "$W/spec.txt")" = 0 ] && echo ok || echo FAIL)"
$CHECK corrupt "$W/j2" "$W/j2.log" "$W/lib.txt" >"$W/corrupt.txt" 2>"$W/reasons.txt"; r=$?
row "corrupt files reported (summary = manifest = planted)" "$(val corrupt_reported "$W/corrupt.txt") of $(val corrupt_expected "$W/corrupt.txt")" \
  "$(sed 's/^REASON //' "$W/reasons.txt" | tr '\n' ';' | sed 's/;$//; s/|/\//g')" "$(verdict $r)"
$CHECK same "$W/j2" "$W/j1" >"$W/same1.txt"; r=$?
row "--jobs 1 outputs and manifest = --jobs 2" "$(val wavs_differing "$W/same1.txt") differ" "manifest identical: $(val manifest_identical "$W/same1.txt")" "$(verdict $r)"

# 3. Peak RSS, 10 tracks.
batch "$W/ten" "$W/ten.time" "$W/lib10" --jobs 2
read -r T10 RSS10 _ _ <<<"$(timing "$W/ten.time")"
GROW=$(python3 -c "print(f'{($RSS2 / $RSS10 - 1) * 100:+.1f}')")
row "peak RSS $N tracks vs $TEN tracks (--jobs 2)" "$((RSS2 / 1024)) MiB vs $((RSS10 / 1024)) MiB" "${GROW} %" \
  "$(python3 -c "print('ok' if abs($RSS2 / $RSS10 - 1) <= 0.2 else 'FAIL')")"

# 4. kill -9 half way, then rerun.
"$CODA" batch "$W/lib" --purpose "$PURPOSES" --deliver "$FORMATS" -o "$W/kill" --jobs 2 2>"$W/kill.first.log" &
PID=$!
$CHECK kill "$PID" "$W/kill" $((OUTPUTS / 2)) >"$W/killed.txt"; wait "$PID" 2>/dev/null
$CHECK snapshot "$W/kill" "$W/snap.json" >"$W/snap.txt"
batch "$W/kill" "$W/kill.time" "$W/lib" --jobs 2
$CHECK resume "$W/kill" "$W/snap.json" "$W/kill.log" >"$W/resume.txt"; r=$?
row "kill -9 then rerun: rendered again / already delivered" \
  "$(val rerun_rendered "$W/resume.txt") / $(val rerun_skipped "$W/resume.txt")" \
  "killed (while a temp file was open: $(val killed_while_temp "$W/killed.txt")) with $(val killed_recorded_outputs "$W/snap.txt") outputs recorded, $(val killed_temp_files "$W/snap.txt") temp file(s) left; after: $(val recorded_outputs_rewritten "$W/resume.txt") recorded rewritten, $(val temp_files_after "$W/resume.txt") temp, $(val wav_files_after "$W/resume.txt") WAVs" \
  "$(verdict $r)"
$CHECK same "$W/j2" "$W/kill" >"$W/same2.txt"; r=$?
row "killed + resumed delivery = one run" "$(val wavs_differing "$W/same2.txt") differ" "manifest identical: $(val manifest_identical "$W/same2.txt")" "$(verdict $r)"

# 5. Three shards at once in one folder, then merge.
for i in 1 2 3; do
  "$CODA" batch "$W/lib" --purpose "$PURPOSES" --deliver "$FORMATS" -o "$W/shards" --jobs 1 \
    --shard "$i/3" 2>"$W/shard$i.log" &
done
wait
"$CODA" batch --merge -o "$W/shards" 2>"$W/merge.log"; rc=$?
$CHECK same "$W/j2" "$W/shards" >"$W/same3.txt"; r=$?
[ "$rc" = 1 ] || r=1
row "shards 1/3 2/3 3/3 + --merge = one run" "$(val wavs_differing "$W/same3.txt") differ" \
  "WAV sets equal: $(val wav_sets_equal "$W/same3.txt"); manifest identical: $(val manifest_identical "$W/same3.txt"); merge exit $rc" "$(verdict $r)"

{
  echo "coda batch check: $N tracks (${SECS}-$((SECS + 4)) s, 5 corrupt), purposes $PURPOSES, formats $FORMATS, $(nproc) cores"
  echo
  echo "| check | result | detail | verdict |"
  echo "|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$W/results.md"
exit $FAIL
