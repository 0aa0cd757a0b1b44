#!/usr/bin/env python3
"""Independent checks of a `coda batch` delivery, for scripts/batch-check.sh.

    batch_check.py spec DIR [THREADS]        every output against its spec (ffmpeg ebur128),
                                             its format and its bext/INFO chunks
    batch_check.py corrupt DIR STDERR LIST   exactly the corrupt files of LIST failed
    batch_check.py same DIR_A DIR_B          same files, byte for byte, same manifest
    batch_check.py kill PID DIR HALF         kill -9 PID once HALF outputs are recorded, at a
                                             moment a temp file is being written if possible
    batch_check.py snapshot DIR OUT.json     recorded outputs and inodes (before a rerun)
    batch_check.py resume DIR SNAP STDERR    recorded outputs untouched, counts add up

Each prints one `key value` line per figure for the results table and exits 1 on a miss.
Only the Python standard library and ffmpeg are used; the RIFF/bext parsing is written
here from EBU Tech 3285, independently of coda's writer.
"""
import concurrent.futures
import json
import os
import re
import struct
import subprocess
import sys

MANIFEST = "delivery.manifest.jsonl"


def manifest(d):
    recs = {}
    with open(os.path.join(d, MANIFEST)) as f:
        for line in f:
            r = json.loads(line)
            recs[r["output"]] = r
    return recs


def files(d):
    out = []
    for root, _, names in os.walk(d):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), d))
    return sorted(out)


def chunks(b):
    """Top-level RIFF chunks: {id: body}; a pad byte follows an odd-sized body."""
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", "not RIFF/WAVE"
    assert struct.unpack("<I", b[4:8])[0] + 8 == len(b), "RIFF size"
    out, at = {}, 12
    while at + 8 <= len(b):
        cid, n = b[at:at + 4].decode("latin-1"), struct.unpack("<I", b[at + 4:at + 8])[0]
        out[cid] = (at + 8, n)
        at += 8 + n + (n & 1)
    assert at == len(b), "chunks do not end at the end of the file"
    return out


def bext_loudness(body):
    """bext v2: Version at 346, five int16 loudness values (x100) from 412."""
    version = struct.unpack("<H", body[346:348])[0]
    return version, struct.unpack("<5h", body[412:422])


def info(body):
    assert body[:4] == b"INFO"
    out, at = {}, 4
    while at + 8 <= len(body):
        cid, n = body[at:at + 4].decode("latin-1"), struct.unpack("<I", body[at + 4:at + 8])[0]
        out[cid] = body[at + 8:at + 8 + n].rstrip(b"\0").decode("utf-8")
        at += 8 + n + (n & 1)
    return out


def fmt(body):
    tag, ch, rate = struct.unpack("<HHI", body[:8])
    bits = struct.unpack("<H", body[14:16])[0]
    return ch, rate, bits


def ffmpeg_r128(path):
    p = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", path, "-af", "ebur128=peak=true",
         "-f", "null", "-"], capture_output=True, text=True)
    s = p.stderr[p.stderr.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", s).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", s).group(1))
    return i, tp


# The figures each purpose must meet, from the published sources (docs/DESIGN purpose
# table), not from coda: EBU R128 -23 LUFS +/-0.5 LU for tv; the reference's integrated
# loudness for library and trailer (coda's stated tolerance 0.5 LU); -1 dBTP for all three.
FIXED = {"tv": (-23.0, 0.5)}
FOLLOW_REF_TOL_LU = 0.5
CEILING_DBTP = -1.0
# ffmpeg prints one decimal: each reading may be 0.05 off.
ROUNDING = 0.05


def nearest_reference(input_path):
    """The `reference.*` in the input's folder or the nearest folder above it."""
    d = os.path.dirname(os.path.abspath(input_path))
    while True:
        for n in sorted(os.listdir(d)):
            if n.rsplit(".", 1)[0].lower() == "reference" and os.path.isfile(os.path.join(d, n)):
                return os.path.join(d, n)
        up = os.path.dirname(d)
        if up == d:
            return None
        d = up


_ref_cache = {}


def expected(r):
    """(target LUFS, tolerance LU, how many ffmpeg readings in the comparison) for r."""
    if r["purpose"] in FIXED:
        t, tol = FIXED[r["purpose"]]
        return t, tol, 1
    ref = nearest_reference(r["input"])
    if ref not in _ref_cache:
        _ref_cache[ref] = ffmpeg_r128(ref)[0]
    return _ref_cache[ref], FOLLOW_REF_TOL_LU, 2


def check_one(d, r):
    """Misses of one ok output, plus (ffmpeg I - target, TP, coda - ffmpeg I, coda target -
    independent target)."""
    path = os.path.join(d, r["output"])
    b = open(path, "rb").read()
    c = chunks(b)
    miss = []
    ch, rate, bits = fmt(b[c["fmt "][0]:c["fmt "][0] + c["fmt "][1]])
    want_rate, want_bits = r["deliverable"].split("/")
    want_rate = round(float(want_rate.rstrip("k")) * 1000)
    if (rate, bits) != (want_rate, int(want_bits.rstrip("f"))):
        miss.append(f"format {rate}/{bits} is not {r['deliverable']}")
    if "bext" not in c:
        miss.append("no bext chunk")
    else:
        at, n = c["bext"]
        version, got = bext_loudness(b[at:at + n])
        keys = ["integrated_lufs", "range_lu", "true_peak_dbtp", "momentary_max_lufs",
                "short_term_max_lufs"]
        want = tuple(0x7FFF if r[k] is None else round(r[k] * 100) for k in keys)
        if version != 2:
            miss.append(f"bext version {version}")
        if got != want:
            miss.append(f"bext loudness {got} != manifest x100 {want}")
    if "LIST" in c:
        at, n = c["LIST"]
        title = info(b[at:at + n]).get("INAM")
        stem = os.path.basename(r["input"]).rsplit(".", 1)[0]
        if title != stem:
            miss.append(f"INAM {title!r} is not {stem!r}")
    else:
        miss.append("no LIST/INFO chunk")
    i, tp = ffmpeg_r128(path)
    target, tol, readings = expected(r)
    if abs(i - target) > tol + readings * ROUNDING:
        miss.append(f"ffmpeg I {i} LUFS misses {target} +/-{tol}")
    if tp > CEILING_DBTP + ROUNDING:
        miss.append(f"ffmpeg true peak {tp} dBTP over {CEILING_DBTP}")
    return miss, (i - target, tp, r["integrated_lufs"] - i, r["target_lufs"] - target)


def spec(d, threads=2):
    recs = manifest(d)
    ok = [r for r in recs.values() if r["status"] == "ok"]
    bad, worst_i, worst_tp, max_diff, max_target = [], 0.0, -99.0, 0.0, 0.0
    with concurrent.futures.ThreadPoolExecutor(int(threads)) as ex:
        for r, (miss, (off, tp, diff, tdiff)) in zip(ok, ex.map(lambda r: check_one(d, r), ok)):
            if miss:
                bad.append((r["output"], miss))
            worst_i = max(worst_i, abs(off))
            worst_tp = max(worst_tp, tp - CEILING_DBTP)
            max_diff = max(max_diff, abs(diff))
            max_target = max(max_target, abs(tdiff))
    wavs = [f for f in files(d) if f.endswith(".wav")]
    print(f"outputs_ok {len(ok)}")
    print(f"wav_files {len(wavs)}")
    print(f"spec_misses {len(bad)}")
    print(f"coda_spec_flags {sum(1 for r in ok if r['spec_ok'] is not True)}")
    print(f"worst_ffmpeg_I_off_target_LU {worst_i:.2f}")
    print(f"worst_ffmpeg_TP_minus_ceiling_dB {worst_tp:+.2f}")
    print(f"max_coda_vs_ffmpeg_I_LU {max_diff:.2f}")
    print(f"max_coda_target_vs_independent_LU {max_target:.2f}")
    for o, m in bad[:20]:
        print(f"MISS {o}: {'; '.join(m)}", file=sys.stderr)
    return 0 if not bad and len(wavs) == len(ok) else 1


def corrupt(d, stderr_path, list_path):
    want = set()
    for line in open(list_path):
        kind, path = line.split(None, 1)
        if kind.startswith("corrupt:"):
            want.add(path.strip())
    said = {}
    for line in open(stderr_path):
        m = re.match(r"coda: failed: (.*?\.wav): (.+)$", line.rstrip("\n"))
        if m:
            said[m.group(1)] = m.group(2)
    recs = manifest(d)
    failed_inputs = {r["input"] for r in recs.values() if r["status"] == "failed"}
    for p in sorted(said):
        print(f"REASON {os.path.basename(p)}: {said[p]}", file=sys.stderr)
    print(f"corrupt_expected {len(want)}")
    print(f"corrupt_reported {len(said)}")
    good = set(said) == want == failed_inputs and all(said.values())
    print(f"corrupt_match {'yes' if good else 'NO'}")
    return 0 if good else 1


def same(a, b):
    fa = [f for f in files(a) if f.endswith(".wav")]
    fb = [f for f in files(b) if f.endswith(".wav")]
    diff = [f for f in fa if f in fb and open(os.path.join(a, f), "rb").read()
            != open(os.path.join(b, f), "rb").read()]
    ma = open(os.path.join(a, MANIFEST), "rb").read()
    mb = open(os.path.join(b, MANIFEST), "rb").read()
    print(f"wav_sets_equal {'yes' if fa == fb else 'NO'} ({len(fa)} vs {len(fb)})")
    print(f"wavs_differing {len(diff)}")
    print(f"manifest_identical {'yes' if ma == mb else 'NO'}")
    for f in diff[:10]:
        print(f"DIFF {f}", file=sys.stderr)
    return 0 if fa == fb and not diff and ma == mb else 1


def kill(pid, d, half):
    """kill -9 `pid` once `half` outputs are in the manifest, at a moment one of its temp
    files exists if one appears within 20 s (so the rerun must clean up a real partial
    file), else then."""
    import signal
    import time
    pid, half, path = int(pid), int(half), os.path.join(d, MANIFEST)

    def alive():
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False

    def recorded():
        try:
            with open(path, "rb") as f:
                return f.read().count(b"\n")
        except OSError:
            return 0

    while alive() and recorded() < half:
        time.sleep(0.05)
    t_end, temp = time.time() + 20, False
    while alive() and time.time() < t_end:
        if any(".tmp-" in n for _, _, names in os.walk(d) for n in names):
            temp = True
            break
    if alive():
        os.kill(pid, signal.SIGKILL)
    print(f"killed_at_recorded {recorded()}")
    print(f"killed_while_temp {'yes' if temp else 'no'}")
    return 0


def snapshot(d, out):
    recorded = {}
    path = os.path.join(d, MANIFEST)
    if os.path.exists(path):
        for line in open(path):
            try:
                r = json.loads(line)
            except ValueError:
                continue  # a line cut by the kill
            p = os.path.join(d, r["output"])
            if r["status"] == "ok" and os.path.exists(p):
                recorded[r["output"]] = os.stat(p).st_ino
    every = files(d)
    snap = {
        "recorded": recorded,
        "wavs": [f for f in every if f.endswith(".wav")],
        "temps": [f for f in every if ".tmp-" in os.path.basename(f)],
    }
    json.dump(snap, open(out, "w"))
    print(f"killed_recorded_outputs {len(recorded)}")
    print(f"killed_wav_files {len(snap['wavs'])}")
    print(f"killed_temp_files {len(snap['temps'])}")
    return 0


def resume(d, snap_path, stderr_path):
    snap = json.load(open(snap_path))
    text = open(stderr_path).read()
    m = re.findall(r"\((\d+) rendered now, (\d+) already delivered", text)
    rendered, skipped = map(int, m[-1])
    recs = manifest(d)
    ok = [r for r in recs.values() if r["status"] == "ok"]
    touched = [o for o, ino in snap["recorded"].items()
               if os.stat(os.path.join(d, o)).st_ino != ino]
    every = files(d)
    temps = [f for f in every if ".tmp-" in os.path.basename(f)]
    wavs = [f for f in every if f.endswith(".wav")]
    print(f"rerun_rendered {rendered}")
    print(f"rerun_skipped {skipped}")
    print(f"recorded_outputs_rewritten {len(touched)}")
    print(f"temp_files_after {len(temps)}")
    print(f"wav_files_after {len(wavs)} (ok records {len(ok)})")
    good = (skipped == len(snap["recorded"]) and rendered + skipped == len(ok)
            and not touched and not temps and len(wavs) == len(ok))
    print(f"resume_ok {'yes' if good else 'NO'}")
    return 0 if good else 1


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"spec": spec, "corrupt": corrupt, "same": same, "kill": kill, "snapshot": snapshot,
              "resume": resume}[cmd](*args))
