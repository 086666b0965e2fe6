#!/bin/sh
# Measures what scopes cost (issue 15): the cost of one BG_SCOPE entry on,
# switched off (--no-scopes) and what an empty scope reads, from the run
# records' overhead; the overhead a scope adds to a ~100 ns and a ~1 us
# body (scope_cost against the same body without a scope, scope_plain, and
# with scopes compiled out, scope_compiled_out), RUNS runs each, medians of
# the per-run ratios of the minimum per-iteration time (the least
# disturbed); and the time and size of a Chrome trace of the project's
# suite (a --quick run of every benchmark of make bench).
# Usage: tools/measure-scopes.sh [build-dir] [runs]
set -eu
BUILD=${1:-build}
RUNS=${2:-5}
B=$BUILD/benches/benchgate-benches
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

echo "== scope cost: $RUNS runs with scopes on, $RUNS with --no-scopes"
for i in $(seq 1 "$RUNS"); do
    s=$(date +%s.%N)
    "$B" --filter '^scope_' --json "$T/on$i.json" --color never --counters none >/dev/null 2>&1
    e=$(date +%s.%N)
    echo "on $i $s $e" >> "$T/seconds"
    "$B" --filter '^scope_' --no-scopes --json "$T/off$i.json" --color never --counters none >/dev/null 2>&1
done

python3 - "$T" "$RUNS" <<'PY'
import json, statistics, sys
d, runs = sys.argv[1], int(sys.argv[2])
def load(p):
    with open(p) as f:
        return json.load(f)
def per_iter_min(r):
    return min(w / i for p in r["processes"] for w, i in zip(p["wall_ns"], p["iters"]))
entry, off, read = [], [], []
rows = {}
for k in range(1, runs + 1):
    for mode in ("on", "off"):
        run = load(f"{d}/{mode}{k}.json")
        ov = run["overhead"]
        if mode == "on":
            entry.append(ov.get("scope_entry_ns", float("nan")))
            off.append(ov.get("scope_off_ns", float("nan")))
            read.append(ov.get("scope_read_ns", float("nan")))
            clock = ov.get("scope_clock", "?")
        res = {r["name"]: r for r in run["benchmarks"] if r.get("status") == "ok"}
        for steps in ("75", "750"):
            plain = per_iter_min(res[f"scope_plain/{steps}"])
            for name in ("scope_cost", "scope_compiled_out"):
                t = per_iter_min(res[f"{name}/{steps}"])
                rows.setdefault((mode, name, steps), []).append((t / plain - 1) * 100)
            rows.setdefault(("plain", "ns", steps), []).append(plain)
            if mode == "on":
                sc = per_iter_min(res[f"scope_cost/{steps}/work"])
                rows.setdefault(("scope", "ns", steps), []).append(sc)
med = statistics.median
print(f"clock: {clock}")
print(f"entry, on:  min {min(entry):.1f} ns, median {med(entry):.1f} ns  ({runs} runs)")
print(f"entry, off: min {min(off):.1f} ns, median {med(off):.1f} ns")
print(f"empty scope reads (taken out): median {med(read):.1f} ns")
for steps in ("75", "750"):
    plain = med(rows[("plain", "ns", steps)])
    print(f"-- body of ~{plain:.0f} ns per iteration (steps {steps}); the scope reads "
          f"{med(rows[('scope', 'ns', steps)]):.1f} ns")
    for mode, name, label in (("on", "scope_cost", "scope on"),
                              ("off", "scope_cost", "switched off (--no-scopes)"),
                              ("on", "scope_compiled_out", "compiled out (-DBG_NO_SCOPES)")):
        v = rows[(mode, name, steps)]
        print(f"   {label:32s} overhead median {med(v):+.2f} %  (runs: "
              + ", ".join(f"{x:+.1f}" for x in v) + ")")
PY
awk '{printf "run %s: %.1f s\n", $2, $4 - $3}' "$T/seconds"

echo "== trace of the project's suite (--quick)"
"$B" --quick --json "$T/suite.json" --color never >/dev/null 2>&1 || true
s=$(date +%s.%N)
"$BUILD/benchgate" export --format trace --out "$T/trace.json" "$T/suite.json"
e=$(date +%s.%N)
python3 - "$T/trace.json" "$s" "$e" <<'PY'
import json, os, sys
p, s, e = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
t = json.load(open(p))
ev = t["traceEvents"]
cats = {}
for x in ev:
    cats[x.get("cat", x["ph"])] = cats.get(x.get("cat", x["ph"]), 0) + 1
print(f"trace: {os.path.getsize(p) / 1e6:.2f} MB, {len(ev)} events {cats}, written in {e - s:.2f} s")
PY
