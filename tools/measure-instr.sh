#!/bin/sh
# Measures instruction mode (valgrind backend): the per-iteration counts of
# the example benchmarks in two separate runs (identical?), the wall time of
# the example suite in instruction mode and in time mode, and the smallest
# change it detects: tests/instr_bench's hash_env made longer by k bytes of
# 20000 (k = 1, 2, 10, 200), each compared with the unchanged benchmark.
# Usage: tools/measure-instr.sh [build-dir]   (a build without sanitizers)
set -eu
BUILD=${1:-build}
B=$BUILD/benches/benchgate-benches
I=$BUILD/tests/instr_bench
EX='^(sort_qsort_1k|sort_qsort_100k|memcpy_64B|memcpy_4KiB|memcpy_1MiB|hash_fnv1a_1KiB|spin_1e4|spin_1e6)$'
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

secs() { # command... -> wall seconds on stdout, the command's output discarded
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    echo "$s $e" | awk '{printf "%.1f", $2 - $1}'
}

t_instr1=$(secs "$B" --mode instructions:valgrind --filter "$EX" --json "$T/i1.json" --color never)
t_instr2=$(secs "$B" --mode instructions:valgrind --filter "$EX" --json "$T/i2.json" --color never)
t_time=$(secs "$B" --filter "$EX" --json "$T/t.json" --color never)
"$I" --mode instructions:valgrind --filter '^hash_env$' --json "$T/h0.json" >/dev/null 2>&1
for k in 1 2 10 200; do
    INSTR_EXTRA_BYTES=$k "$I" --mode instructions:valgrind --filter '^hash_env$' \
        --json "$T/h$k.json" >/dev/null 2>&1
done

python3 - "$T" "$t_instr1" "$t_instr2" "$t_time" <<'PY'
import json, sys
d, ti1, ti2, tt = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def per_iter(path, counter):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b["status"] != "ok":
            out[b["name"]] = [b["status"]]
            continue
        out[b["name"]] = [p["counters"][counter][0] / p["iters"][0] for p in b["processes"]]
    return out
a, b = per_iter(d + "/i1.json", "instructions"), per_iter(d + "/i2.json", "instructions")
ca, cb = per_iter(d + "/i1.json", "est_cycles"), per_iter(d + "/i2.json", "est_cycles")
print("%-18s %16s %16s  %s" % ("benchmark", "instr/iter", "est_cycles/iter", "run 2"))
for name in sorted(a):
    same = a[name] == b.get(name) and ca[name] == cb.get(name)
    procs = " / ".join("%.1f" % x if isinstance(x, float) else x for x in a[name])
    cyc = " / ".join("%.1f" % x if isinstance(x, float) else x for x in ca[name])
    print("%-18s %16s %16s  %s" % (name, procs, cyc, "identical" if same else "DIFFERENT: %s" % b.get(name)))
print("example suite wall time: instruction mode %.1f s and %.1f s, time mode %.1f s" % (ti1, ti2, tt))
base = per_iter(d + "/h0.json", "instructions")["hash_env"][0]
for k in (1, 2, 10, 200):
    x = per_iter(d + "/h%d.json" % k, "instructions")["hash_env"][0]
    print("hash_env +%d of 20000 bytes (%.3f %%): instructions/iter %.1f -> %.1f (%+.4f %%)%s"
          % (k, 100.0 * k / 20000, base, x, 100 * (x / base - 1), "" if x != base else "  NOT DETECTED"))
PY
