#!/usr/bin/env python3
"""Builds bench/results.md from the per-case folders bench/compare leaves in bench/work/cases:
every output measured by `coda analyze --json`, wall time and peak RSS from /usr/bin/time."""
import glob
import json
import math
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

TOOLS = ["coda", "matchering", "loudnorm"]
DIST_BAND = (40.0, 10000.0)  # coda_analysis::DISTANCE_BAND_HZ


def load(path):
    with open(path) as f:
        return json.load(f)


def distance(out, refs):
    """Third-octave mid distance, 40 Hz-10 kHz, mean difference removed (as coda's
    spectral_distance_db); several references are level-normalised and power-averaged."""
    diffs = []
    for i, f in enumerate(out["spectrum"]["bands_hz"]):
        if not (DIST_BAND[0] * 0.99 <= f <= DIST_BAND[1] * 1.01):
            continue
        x = out["spectrum"]["mid_db"][i]
        ys = [r["spectrum"]["mid_db"][i] for r in refs]
        if x is None or any(y is None for y in ys):
            continue
        if len(refs) == 1:
            y = ys[0]
        else:
            p = [10 ** ((y - r["loudness"]["integrated_lufs"]) / 10) for y, r in zip(ys, refs)]
            y = 10 * math.log10(sum(p) / len(p))
        diffs.append(x - y)
    if len(diffs) < 3:
        return None
    m = sum(diffs) / len(diffs)
    return math.sqrt(sum((d - m) ** 2 for d in diffs) / len(diffs))


def width_error(out, refs):
    errs = []
    for b, band in enumerate(out["stereo"]["bands"]):
        o = band["side_to_mid_db"]
        rs = [r["stereo"]["bands"][b]["side_to_mid_db"] for r in refs]
        if o is None or any(x is None for x in rs):
            continue
        e = o - sum(rs) / len(rs)
        errs.append(max(e, 0.0) if b == 0 else abs(e))
    return max(errs) if errs else None


def timing(path):
    with open(path) as f:
        wall, rss = f.read().split()[-2:]
    return float(wall), float(rss) / 1024.0


def fmt(x, d=2):
    return "-" if x is None else f"{x:.{d}f}"


def machine():
    cpu = platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
    except (OSError, IndexError):
        return "?"


def main(root):
    rows = []
    for d in sorted(glob.glob(os.path.join(root, "*", "case.json"))):
        d = os.path.dirname(d)
        case = load(os.path.join(d, "case.json"))
        refs = [load(p) for p in sorted(glob.glob(os.path.join(d, "ref*.analysis.json")))]
        mix = load(os.path.join(d, "mix.analysis.json"))
        r = {"case": case, "mix": mix, "tools": {}}
        for t in TOOLS:
            a = load(os.path.join(d, f"{t}.analysis.json"))
            wall, rss = timing(os.path.join(d, f"{t}.time"))
            lufs = a["loudness"]["integrated_lufs"]
            r["tools"][t] = {
                "err": None if lufs is None else lufs - case["target_lufs"],
                "tp": a["loudness"]["true_peak_dbtp"],
                "lra": a["loudness"]["range_lu"],
                "dist": distance(a, refs),
                "width": width_error(a, refs),
                "wall": wall,
                "rss": rss,
            }
        # coda's own account of its loudness: did it stop short of the target at the
        # purpose's gain-reduction cap (issue 5's rule), and at what reduction?
        rep = glob.glob(os.path.join(d, "coda-out", "*.report.json"))
        if rep:
            lf = load(rep[0])["fit"]["loudness"]
            r["stop"] = {"stopped": lf["stopped_short"], "gr": lf["limiter_max_gr_db"],
                         "needed": lf.get("needed_gr_db")}
        else:
            r["stop"] = {"stopped": False, "gr": None, "needed": None}
        rows.append(r)
    if not rows:
        sys.exit(f"compare.py: no cases under {root}")

    out = []
    p = out.append
    p("# coda match vs Matchering 2.0.6 vs ffmpeg loudnorm (two-pass)")
    p("")
    p(f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    p(f"- machine: {machine()} (shared; tools run one at a time)")
    rev = version(["git", "rev-parse", "--short", "HEAD"])
    p(f"- coda {rev}; {version(['ffmpeg', '-version']).split(' Copyright')[0]}; "
      "Matchering 2.0.6 (PyPI, bench/venv)")
    p("- command: `bench/compare` (cases: `coda tune corpus/cases --filter real --export`, "
      "see corpus/cases/real.json)")
    p("- meter: `coda analyze --json` for every output: BS.1770-4 integrated loudness, "
      "8x true peak, EBU 3342 LRA, side-to-mid per band (150 Hz / 2.5 kHz), third-octave "
      "mid spectrum; distance = RMS of the level-normalised difference to the reference, "
      "40 Hz-10 kHz")
    p("- target: the case's purpose (reference loudness, or the delivery standard) and its "
      "ceiling; loudnorm gets I and TP set to them (LRA=50, linear when possible); "
      "Matchering takes no target (it matches the reference's RMS with its own limiter)")
    p("- wall time and peak RSS: `/usr/bin/time -f \"%e %M\"` around the whole command "
      "(loudnorm: both passes)")
    p("")
    p("Cells are coda / Matchering / loudnorm. *dist*: spectral distance to the reference, "
      "dB; *LU err*: output minus target (where coda stopped short of a target that needs "
      "more limiting than the purpose allows, the cell says so); *TP*: output true peak, dBTP; *width*: largest "
      "side-to-mid error per band against the reference, dB.")
    p("")
    p("| case | purpose | target LUFS / ceiling | dist dB | LU err | TP dBTP | LRA mix -> out | "
      "width dB | wall s | peak RSS MiB | Matchering/coda time | Matchering/coda RSS |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|")

    def cell(r, key, d=2):
        return " / ".join(fmt(r["tools"][t][key], d) for t in TOOLS)

    def err_cell(r):
        c = cell(r, "err")
        st = r["stop"]
        if st["stopped"]:
            c += f" (coda stopped at {st['gr']:.1f} dB GR; needs {fmt(st['needed'], 1)})"
        return c

    for r in rows:
        c, T = r["case"], r["tools"]
        p(f"| {c['name']} | {c['purpose']} | {c['target_lufs']:.1f} / {c['ceiling_dbtp']:.1f} | "
          f"{cell(r, 'dist')} | {err_cell(r)} | {cell(r, 'tp')} | "
          f"{fmt(r['mix']['loudness']['range_lu'], 1)} -> {cell(r, 'lra', 1)} | "
          f"{cell(r, 'width')} | {cell(r, 'wall', 1)} | {cell(r, 'rss', 0)} | "
          f"{T['matchering']['wall'] / T['coda']['wall']:.2f} | "
          f"{T['matchering']['rss'] / T['coda']['rss']:.2f} |")
    n = len(rows)

    def count(pred):
        return sum(1 for r in rows if pred(r))

    def ok_err(t):
        return lambda r: r["tools"][t]["err"] is not None and abs(r["tools"][t]["err"]) <= 0.1

    def ok_tp(t):
        return lambda r: r["tools"][t]["tp"] is not None and r["tools"][t]["tp"] <= r["case"]["ceiling_dbtp"] + 1e-9

    def total(t, k):
        return sum(r["tools"][t][k] for r in rows)

    def median(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2

    p("")
    p("## Summary")
    p("")
    p("| figure | coda | Matchering | loudnorm | issue 7 asks |")
    p("|---|---|---|---|---|")
    better = count(lambda r: r["tools"]["coda"]["dist"] is not None
                   and r["tools"]["matchering"]["dist"] is not None
                   and r["tools"]["coda"]["dist"] < r["tools"]["matchering"]["dist"])
    p(f"| spectral distance below Matchering's | {better}/{n} | - | "
      f"{count(lambda r: r['tools']['loudnorm']['dist'] < r['tools']['matchering']['dist'])}/{n} | >= 8 of >= 10 |")
    p("| mean spectral distance, dB | " + " | ".join(
        fmt(sum(r['tools'][t]['dist'] for r in rows) / n) for t in TOOLS) + " | |")
    p("| loudness error <= 0.1 LU | " + " | ".join(f"{count(ok_err(t))}/{n}" for t in TOOLS)
      + " | all (coda) |")
    stopped = [r for r in rows if r["stop"]["stopped"]]
    reached = count(lambda r: not r["stop"]["stopped"] and ok_err("coda")(r))
    p(f"| ... of the targets coda did not stop short of | {reached}/{n - len(stopped)} | | | |")
    p(f"| coda stopped short (target needs more limiting than the purpose allows) | "
      f"{len(stopped)}/{n}: " + ", ".join(
          f"{r['case']['name']} {r['tools']['coda']['err']:+.2f} LU, needs "
          f"{fmt(r['stop']['needed'], 1)} dB GR" for r in stopped) + " | | | |")
    p("| largest loudness error, LU | " + " | ".join(
        fmt(max(abs(r['tools'][t]['err']) for r in rows)) for t in TOOLS) + " | |")
    p("| true peak at or under the ceiling | " + " | ".join(f"{count(ok_tp(t))}/{n}" for t in TOOLS)
      + " | all (coda) |")
    p("| highest true peak, dBTP | " + " | ".join(
        fmt(max(r['tools'][t]['tp'] for r in rows)) for t in TOOLS) + " | |")
    p("| total wall time, s | " + " | ".join(fmt(total(t, 'wall'), 1) for t in TOOLS) + " | |")
    p("| median peak RSS, MiB | " + " | ".join(
        fmt(median([r['tools'][t]['rss'] for r in rows]), 0) for t in TOOLS) + " | |")
    tr = [r["tools"]["matchering"]["wall"] / r["tools"]["coda"]["wall"] for r in rows]
    rr = [r["tools"]["matchering"]["rss"] / r["tools"]["coda"]["rss"] for r in rows]
    p(f"| Matchering/coda wall time (median, min) | {median(tr):.2f}, {min(tr):.2f} | | | >= 5 |")
    p(f"| Matchering/coda peak RSS (median, min) | {median(rr):.2f}, {min(rr):.2f} | | | >= 5 |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/work/cases")
