#!/bin/sh
# Measures what counters cost: the per-sample cost of each counter group
# (begin + end, measured by the harness when a run starts), and a
# malloc/free pair straight into glibc, through the process's malloc with
# allocation counting off (the interposer is not loaded), with the
# interposer preloaded by hand but not counting, and while counting
# (--counters=alloc). Medians over 5 runs of each.
# Usage: tools/measure-counters.sh [build-dir]
set -eu
B=${1:-build}/benches/benchgate-benches
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for i in 1 2 3 4 5; do
    "$B" --filter '^alloc_pair_' --counters sw,hw --json "$T/off$i.json" --color never >/dev/null 2>&1
    LD_PRELOAD=${1:-build}/libbenchgate-alloc.so \
        "$B" --filter '^alloc_pair_' --counters sw,hw --json "$T/pre$i.json" --color never >/dev/null 2>&1
    "$B" --filter '^alloc_pair_' --counters all --json "$T/on$i.json" --color never >/dev/null 2>&1
done
/usr/bin/python3 - "$T" <<'PY'
import json, sys, glob, statistics as st
d = sys.argv[1]
def runs(kind):
    return [json.load(open(f)) for f in sorted(glob.glob(d + "/%s*.json" % kind))]
def mean(r, name):
    b = next(b for b in r["benchmarks"] if b["name"] == name)
    return b["estimates"]["mean"]["point"] if b["status"] == "ok" else float("nan")
on, off, pre = runs("on"), runs("off"), runs("pre")
print("per-sample cost of each counter group (begin + end, min of 200; median over runs):")
for g in on[0]["counter_groups"]:
    vals = [x["sample_ns"] for r in on for x in r["counter_groups"] if x["name"] == g["name"]]
    if g["available"]:
        print("  %-6s %8.0f ns" % (g["name"], st.median(vals)))
    else:
        print("  %-6s unavailable: %s" % (g["name"], g["note"]))
print("  total  %8.0f ns (overhead.counters_sample_ns, --counters=all)"
      % st.median([r["overhead"]["counters_sample_ns"] for r in on]))
libc = st.median([mean(r, "alloc_pair_libc") for r in off])
offp = st.median([mean(r, "alloc_pair_interposed") for r in off])
prep = st.median([mean(r, "alloc_pair_interposed") for r in pre])
onp = st.median([mean(r, "alloc_pair_interposed") for r in on])
print("malloc(64)+free pair: glibc direct %.2f ns; counting off (interposer not loaded) %.2f ns "
      "(%+.2f); preloaded by hand, not counting %.2f ns (%+.2f); counting %.2f ns (%+.2f)"
      % (libc, offp, offp - libc, prep, prep - libc, onp, onp - libc))
PY
