#!/bin/sh
# Measures the gate's figures on this machine:
#  1. false-alarm rate: one base run of the example benchmarks, then RUNS
#     `benchgate gate --bench` runs of the same, unchanged binary (A/A); a run
#     that exits 1 is a false alarm;
#  2. detection: for each injected slowdown (BENCHGATE_INJECT_PCT raises the
#     cost of spin_injected by that many percent), DETECT gate runs; how many
#     exit 1;
#  3. load-and-compare time over a store of 1000 runs.
# Usage: tools/measure-gate.sh [build-dir] [RUNS (20)] [DETECT (10)] [PCTS ("1 2 3 5")]
# GATE_ARGS adds options to every gate run (e.g. GATE_ARGS="--threshold 10").
set -eu
GATE_ARGS=${GATE_ARGS:-}
BUILD=${1:-build}
RUNS=${2:-20}
DETECT=${3:-10}
PCTS=${4-"1 2 3 5"}  # "" skips the detection runs
BENCH=$(realpath "$BUILD/benches/benchgate-benches")
BG=$(realpath "$BUILD/benchgate")
FILTER='^(sort_|memcpy_|hash_|spin_)'
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset BENCHGATE_INJECT_PCT BENCHGATE_DIR GITHUB_STEP_SUMMARY || true

secs() { date +%s.%N; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# 1. A/A
"$BENCH" --filter "$FILTER" --json "$T/base.json" --color never >/dev/null 2>&1
nb=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['benchmarks']))" "$T/base.json")
alarms=0
t0=$(secs)
i=0
while [ "$i" -lt "$RUNS" ]; do
    i=$((i + 1))
    rc=0
    # shellcheck disable=SC2086
    "$BG" gate --base "$T/base.json" --store "$T/store" --bench "$BENCH" $GATE_ARGS \
        --bench-arg --filter --bench-arg "$FILTER" >"$T/aa$i.txt" 2>&1 || rc=$?
    if [ "$rc" -eq 1 ]; then
        alarms=$((alarms + 1))
        echo "  run $i: false alarm: $(grep -E 're-measured: confirmed' "$T/aa$i.txt" | sed 's/.*confirmed //' | tr '\n' ' ')"
    else
        echo "  run $i: exit $rc"
    fi
    [ "$rc" -gt 1 ] && { echo "gate run $i failed with exit $rc:"; tail -20 "$T/aa$i.txt"; exit 1; }
done
t1=$(secs)
[ "$RUNS" -eq 0 ] || echo "A/A: $alarms false alarm(s) in $RUNS gate runs of $nb benchmarks each" \
     "($(python3 -c "print('%.1f' % (($t1 - $t0) / $RUNS))") s per gate run)"

# 2. injected slowdowns on spin_injected
[ "$DETECT" -gt 0 ] || PCTS=""
[ -z "$PCTS" ] || "$BENCH" --filter '^spin_injected$' --json "$T/spin-base.json" --color never >/dev/null 2>&1
for pct in $PCTS; do
    caught=0
    i=0
    t0=$(secs)
    while [ "$i" -lt "$DETECT" ]; do
        i=$((i + 1))
        rc=0
        # shellcheck disable=SC2086
        BENCHGATE_INJECT_PCT=$pct "$BG" gate --base "$T/spin-base.json" --store "$T/store" $GATE_ARGS \
            --bench "$BENCH" --bench-arg --filter --bench-arg '^spin_injected$' \
            >"$T/inj.txt" 2>&1 || rc=$?
        [ "$rc" -eq 1 ] && caught=$((caught + 1))
        [ "$rc" -gt 1 ] && { echo "gate failed with exit $rc:"; tail -20 "$T/inj.txt"; exit 1; }
    done
    t1=$(secs)
    echo "+$pct %: caught $caught/$DETECT ($(python3 -c "print('%.1f' % (($t1 - $t0) / $DETECT))") s per gate run)"
done

# 3. 1000 stored runs: copies of the base run under 1000 commit ids
python3 - "$T/base.json" "$T/big" <<'PY'
import json, os, sys, hashlib
run = json.load(open(sys.argv[1]))
m = run["machine"]["id"]
for i in range(1000):
    c = hashlib.sha1(str(i).encode()).hexdigest()
    run["git"]["commit"] = c
    run["created_unix"] = 1700000000 + i
    d = os.path.join(sys.argv[2], "runs", c, m)
    os.makedirs(d, exist_ok=True)
    json.dump(run, open(os.path.join(d, "%d-1-0.json" % (1700000000 + i)), "w"))
PY
first=$(python3 -c "import hashlib; print(hashlib.sha1(b'0').hexdigest())")
last=$(python3 -c "import hashlib; print(hashlib.sha1(b'999').hexdigest())")
size=$(du -sh "$T/big" | cut -f1)
t0=$(secs)
"$BG" ls --store "$T/big" >/dev/null
t1=$(secs)
a=$(ls "$T/big/runs/$first"/*/*.json)
b=$(ls "$T/big/runs/$last"/*/*.json)
t2=$(secs)
# compare exits 1 when a benchmark regressed: only 2 or 3 is a failure here.
"$BG" compare "$a" "$b" --store "$T/big" >/dev/null || [ $? -eq 1 ]
t3=$(secs)
echo "1000 stored runs ($size, $nb benchmarks each): ls (load + parse all) $(python3 -c "print('%.2f' % ($t1 - $t0))") s;" \
     "one compare $(python3 -c "print('%.3f' % ($t3 - $t2))") s"
