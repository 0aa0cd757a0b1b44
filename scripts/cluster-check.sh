#!/usr/bin/env bash
# Runs the cluster recipes of docs/cluster.md on this machine, taken from the file itself:
# the Slurm array script (once per SLURM_ARRAY_TASK_ID) and the Kubernetes Indexed Job's
# shard command (once per JOB_COMPLETION_INDEX), each followed by the merge Job's command,
# on a small synthetic library with one corrupt file. Both must equal one unsharded run:
# same WAV files byte for byte and the same manifest. Also checks that the Dockerfile in
# the doc is the repository's. No scheduler, container runtime or cluster is needed.
#
#   scripts/cluster-check.sh [WORKDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$(realpath -m "${1:-${TMPDIR:-/tmp}/coda-cluster-check}")
command -v python3 >/dev/null || { echo "SKIPPED: cluster-check needs python3" >&2; exit 0; }
python3 -c "import yaml" 2>/dev/null || { echo "SKIPPED: cluster-check needs PyYAML" >&2; exit 0; }
cargo build --release -q --bin coda && cargo build --release -q -p coda-corpus --example make_library || exit 1
export PATH="$ROOT/target/release:$PATH"
rm -rf "$W"; mkdir -p "$W"
FAIL=0
check() { if [ "$2" = 0 ]; then echo "ok: $1"; else echo "FAIL: $1"; FAIL=1; fi; }

# The doc's blocks: the Slurm script, the two Job manifests.
python3 - "$ROOT/docs/cluster.md" "$W" <<'PY' || exit 1
import re, sys, yaml
doc, w = open(sys.argv[1]).read(), sys.argv[2]
blocks = re.findall(r"```(\w*)\n(.*?)```", doc, re.S)
slurm = [b for k, b in blocks if k == "bash" and "#SBATCH --array" in b]
jobs = [yaml.safe_load(b) for k, b in blocks if k == "yaml"]
shards = next(j for j in jobs if j["spec"].get("completionMode") == "Indexed")
merge = next(j for j in jobs if j["metadata"]["name"] == "coda-merge")
c = shards["spec"]["template"]["spec"]["containers"][0]
assert shards["spec"]["completions"] == int({e["name"]: e["value"] for e in c["env"]}["SHARDS"])
open(f"{w}/shards.sbatch", "w").write(slurm[0])
local = lambda a: a.replace("/data/library", f"{w}/library").replace("/data/delivery", f"{w}/k8s")
open(f"{w}/k8s-shard.sh", "w").write(local(c["args"][0]))
open(f"{w}/k8s-shards.count", "w").write(str(shards["spec"]["completions"]))
m = merge["spec"]["template"]["spec"]["containers"][0]["args"]
open(f"{w}/k8s-merge.args", "w").write("\n".join(local(a) for a in m))
PY
[ -f Dockerfile ] && grep -q '^RUN cargo build --release --locked --bin coda$' Dockerfile
check "Dockerfile builds the coda binary with --locked" $?
cargo metadata --locked --format-version 1 >/dev/null 2>&1
check "Cargo.lock is current (the Dockerfile's --locked build)" $?

"$ROOT/target/release/examples/make_library" "$W/library" 6 4 1 >/dev/null || exit 1
FLAGS=(--purpose library,trailer,tv --deliver 48k/24,44.1k/16)
coda batch "$W/library" "${FLAGS[@]}" -o "$W/one" --jobs 1 2>"$W/one.log"
check "one run exits 1 (one corrupt input)" $(( $? != 1 ))

# Slurm: the array tasks one after another, then the merge of the --wrap line.
grep -q -- "--merge -o /shared/delivery" "$ROOT/docs/cluster.md"
check "the doc's Slurm merge step is coda batch --merge -o DELIVERY" $?
rc=0
for i in 1 2 3; do
  LIBRARY=$W/library DELIVERY=$W/slurm SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=1 \
    bash "$W/shards.sbatch" 2>>"$W/slurm.log" || rc=1
done
check "Slurm array tasks 1-3 succeed (status 1 tolerated as documented)" $rc
coda batch --merge -o "$W/slurm" 2>>"$W/slurm.log"
check "Slurm merge exits 1 (one corrupt input)" $(( $? != 1 ))
python3 "$ROOT/scripts/batch_check.py" same "$W/one" "$W/slurm"
check "Slurm shards + merge = one run" $?

# Kubernetes: the container command for each index, then the merge Job's args.
rc=0
for ((i = 0; i < $(cat "$W/k8s-shards.count"); i++)); do
  JOB_COMPLETION_INDEX=$i SHARDS=$(cat "$W/k8s-shards.count") sh -c "$(cat "$W/k8s-shard.sh")" \
    2>>"$W/k8s.log" || rc=1
done
check "Kubernetes indexes 0-2 succeed (status 1 tolerated as documented)" $rc
mapfile -t ARGS <"$W/k8s-merge.args"
coda "${ARGS[@]}" 2>>"$W/k8s.log"
check "Kubernetes merge Job exits 1 (one corrupt input)" $(( $? != 1 ))
python3 "$ROOT/scripts/batch_check.py" same "$W/one" "$W/k8s"
check "Kubernetes shards + merge = one run" $?
exit $FAIL
