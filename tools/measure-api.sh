#!/bin/sh
# Measures the benchmark API's figures (issue 14): the cost of one
# bg_pause+bg_resume pair, the 1K..10M sort and hash-table insert sweeps
# with their fitted growth orders and the seconds each sweep took, the
# parallel-sum thread sweep's best team and knee, and the empty loop's cost
# (the harness's own figure and the harness_empty_loop benchmark), here and,
# given a second build directory, in that build too (before/after).
# Usage: tools/measure-api.sh [build-dir] [baseline-build-dir]
set -eu
B=${1:-build}/benches/benchgate-benches
BASE=${2:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

echo "== pause+resume pair and empty loop (5 runs each)"
for i in 1 2 3 4 5; do
    "$B" --filter '^(api_pause_resume|harness_empty_loop|api_empty_body)$' --json "$T/api$i.json" \
        --color never >/dev/null 2>&1
done
if [ -n "$BASE" ]; then
    for i in 1 2 3 4 5; do
        "$BASE/benches/benchgate-benches" --filter '^harness_empty_loop$' --json "$T/base$i.json" \
            --color never >/dev/null 2>&1
    done
fi

echo "== sweeps 1K..10M (--quick budgets; selected with --filter, they are not in make bench)"
for s in sort hash_insert; do
    start=$(date +%s.%N)
    "$B" --quick --filter "^$s/" --json "$T/$s.json" --color never > "$T/$s.txt" 2>&1 || true
    end=$(date +%s.%N)
    echo "$s $start $end" >> "$T/seconds"
    grep -E "^growth|does not fit|skipped" "$T/$s.txt" || true
done

echo "== thread sweep (psum, teams of 1, 2, 4; 3 runs)"
for i in 1 2 3; do
    "$B" --filter '^psum/' --json "$T/psum$i.json" --color never > "$T/psum$i.txt" 2>&1
    grep -A3 "^threads psum" "$T/psum$i.txt"
done

python3 - "$T" <<'PY'
import json, sys, glob, statistics as st
d = sys.argv[1]
def load(pat):
    return [json.load(open(f)) for f in sorted(glob.glob(d + "/" + pat))]
def mean(r, name):
    b = next(b for b in r["benchmarks"] if b["name"] == name)
    return b["estimates"]["mean"]["point"]
api = load("api*.json")
pr = [mean(r, "api_pause_resume") for r in api]
el = [mean(r, "harness_empty_loop") for r in api]
ho = [r["overhead"]["empty_loop_ns"] for r in api]
print("pause+resume pair: median %.1f ns (min %.1f, max %.1f) over %d runs" % (st.median(pr), min(pr), max(pr), len(pr)))
print("empty loop, this build: harness_empty_loop median %.3f ns/iter (min %.3f, max %.3f); harness figure median %.3f"
      % (st.median(el), min(el), max(el), st.median(ho)))
base = load("base*.json")
if base:
    bl = [mean(r, "harness_empty_loop") for r in base]
    bh = [r["overhead"]["empty_loop_ns"] for r in base]
    print("empty loop, baseline build: harness_empty_loop median %.3f ns/iter (min %.3f, max %.3f); harness figure median %.3f"
          % (st.median(bl), min(bl), max(bl), st.median(bh)))
secs = {l.split()[0]: float(l.split()[2]) - float(l.split()[1]) for l in open(d + "/seconds")}
for s in ("sort", "hash_insert"):
    try:
        r = json.load(open(d + "/" + s + ".json"))
    except Exception as e:
        print(s, "no record:", e)
        continue
    for w in r.get("sweeps", []):
        if w["kind"] == "growth":
            pts = ", ".join("%d: %.4g ns" % (p["x"], p["time_ns"]) for p in w["points"])
            print("%s: %s (coef %.4g, RMS %.1f %%), sweep took %.1f s; %s" % (w["key"], w["big_o"], w["coef"], 100 * w["rms"], float(secs[s]), pts))
for r in load("psum*.json"):
    for w in r.get("sweeps", []):
        if w["kind"] == "threads":
            print("psum: best %d, knee %s; efficiency %s" % (w["best_threads"], w["knee_threads"] or "none",
                  ", ".join("T=%d %.0f %%" % (p["x"], 100 * p["efficiency"]) for p in w["points"])))
PY
