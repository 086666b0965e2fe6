#!/bin/sh
# Measures the harness figures: empty-loop time, spin(1e6)/spin(1e4) ratio
# (ideal 100), wall seconds per benchmark at defaults, and the coefficient of
# variation of the spin_1e4 (~10 µs) estimate across 8 separate runs.
# Usage: tools/measure-harness.sh [build-dir]
set -eu
B=${1:-build}/benches/benchgate-benches
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for i in 1 2 3 4 5 6 7 8; do
    "$B" --filter '^(harness_empty_loop|spin_1e4|spin_1e6)$' --json "$T/run$i.json" --color never >/dev/null
done
python3 - "$T" <<'PY'
import json, sys, glob, statistics as st
runs = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/run*.json"))]
def est(r, name):
    b = next(b for b in r["benchmarks"] if b["name"] == name)
    return b["estimates"]["mean"]["point"], b["elapsed_s"], len(b["processes"])
empty = [est(r, "harness_empty_loop")[0] for r in runs]
ratio = [est(r, "spin_1e6")[0] / est(r, "spin_1e4")[0] for r in runs]
s4 = [est(r, "spin_1e4")[0] for r in runs]
wall = [est(r, n)[1] for r in runs for n in ("harness_empty_loop", "spin_1e4", "spin_1e6")]
procs = [est(r, n)[2] for r in runs for n in ("harness_empty_loop", "spin_1e4", "spin_1e6")]
print("empty loop ns/iter: median %.3f (min %.3f, max %.3f)" % (st.median(empty), min(empty), max(empty)))
print("spin(1e6)/spin(1e4): median %.2f (min %.2f, max %.2f), ideal 100" % (st.median(ratio), min(ratio), max(ratio)))
print("spin_1e4 estimate: mean %.1f ns, CV across %d runs %.2f %%" % (st.mean(s4), len(s4), 100 * st.stdev(s4) / st.mean(s4)))
print("wall seconds per benchmark: median %.2f (min %.2f, max %.2f); processes median %d"
      % (st.median(wall), min(wall), max(wall), st.median(procs)))
PY
