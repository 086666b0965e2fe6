#!/bin/bash
# The project's own suite gated in 2 shards against the same suite gated
# whole. In a scratch repository with commits A and B: a base run of the
# whole suite at A; at B a run of the whole suite (W). Then
#   1. the same verdicts, by construction: W's benchmarks split into two
#      shard records by the bench binary's own plan (--list --shard K/2),
#      stored at commit C; the gate of C (the shards merged on load) against
#      A must give every benchmark the verdict and adjusted p-value the gate
#      of B (W whole) gives;
#   2. fresh shard runs: the suite run as --shard 1/2 and 2/2 at commit D,
#      gated against A (verdicts may differ from W's by measurement noise).
#
#   tools/measure-shards.sh build [BENCH_ARGS...]     (default --quick)
set -eu -o pipefail
build=$(cd "${1:?usage: tools/measure-shards.sh BUILD_DIR [BENCH_ARGS...]}" && pwd)
shift
[ $# -gt 0 ] || set -- --quick
bench=$build/benches/benchgate-benches
bg=$build/benchgate
work=$(mktemp -d /tmp/measure-shards.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q -b main .
for c in A B C D; do git -c user.name=m -c user.email=m@e commit -q --allow-empty -m "$c"; done
export BENCHGATE_DIR="$work/store"
A=$(git rev-parse HEAD~3); B=$(git rev-parse HEAD~2); C=$(git rev-parse HEAD~1)
git checkout -q "$A"; "$bench" "$@" --save >/dev/null 2>&1 || true
git checkout -q "$B"; t0=$(date +%s); "$bench" "$@" --save >/dev/null 2>&1 || true; t1=$(date +%s)
echo "whole suite at B: $((t1 - t0)) s"
W=$(ls "$BENCHGATE_DIR/runs/$B"/*/*.json)
machine=$(basename "$(dirname "$W")")
for k in 1 2; do "$bench" --list --shard $k/2 > "shard$k.txt"; done
"$bench" --list > suite.txt
mkdir -p "$BENCHGATE_DIR/runs/$C/$machine"
python3 - "$W" "$C" "$BENCHGATE_DIR/runs/$C/$machine" <<'PY'
import json, sys
w, commit, out = sys.argv[1], sys.argv[2], sys.argv[3]
run = json.load(open(w))
suite = sorted(open("suite.txt").read().split())
for k in (1, 2):
    names = set(open("shard%d.txt" % k).read().split())
    r = dict(run)
    r["git"] = dict(run["git"], commit=commit)
    r["benchmarks"] = [b for b in run["benchmarks"] if b["name"] in names]
    r["shard"] = {"k": k, "n": 2, "method": "name", "cost_from": None, "suite": suite}
    r["created_unix"] = run["created_unix"] + k
    json.dump(r, open("%s/%d-1-shard%d.json" % (out, r["created_unix"], k), "w"))
PY
wrc=0; "$bg" gate --base "$A" --head "$B" --stages 1 > whole-console.txt 2>&1 || wrc=$?
mrc=0; "$bg" gate --base "$A" --head "$C" --stages 1 > merged-console.txt 2>&1 || mrc=$?
strip() { sed -n '/^benchmark/,/^between-run/p' "$1" | grep -v '^between-run'; }
if [ "$(strip whole-console.txt)" = "$(strip merged-console.txt)" ]; then
    echo "split shards of W, merged (C) vs W whole (B): identical verdict tables, exit $mrc vs $wrc"
else
    echo "split shards of W, merged (C) vs W whole (B): TABLES DIFFER (exit $mrc vs $wrc)"
    diff whole-console.txt merged-console.txt || true
fi
git checkout -q main
t0=$(date +%s)
for k in 1 2; do "$bench" "$@" --shard $k/2 --save >/dev/null 2>&1 || true; done
t1=$(date +%s)
echo "fresh shards 1/2 and 2/2 at D: $((t1 - t0)) s in all"
frc=0; "$bg" gate --base "$A" --head main --stages 1 > fresh.txt 2>&1 || frc=$?
echo "gate against A of the whole run W (exit $wrc) and of the fresh shards (exit $frc), stage 1:"
verdicts() { strip "$1" | awk 'NR > 1 { v = "?"; if (match($0, /(regressed|improved|unchanged|inconclusive|failed|only in [AB])/)) v = substr($0, RSTART, RLENGTH); print $1, v }'; }
paste -d' ' <(verdicts whole-console.txt) <(verdicts fresh.txt | cut -d' ' -f2) | column -t
echo "same verdict: $(paste -d' ' <(verdicts whole-console.txt) <(verdicts fresh.txt | cut -d' ' -f2) | awk '$2 == $3' | wc -l) of $(verdicts whole-console.txt | wc -l)"
