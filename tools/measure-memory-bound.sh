#!/bin/bash
# Measures how `benchgate ab` (the gate's stage 2) decides a memory-bound
# benchmark (chase_16MiB: dependent loads over 16 MiB, bound by memory
# latency) under each way of running it:
#   seq-min     blocks of A then B (random order), each run's minimum
#               (--sequential; the default before lockstep)
#   seq-median  the same, each run's median
#   duet-min    A and B at the same time, each pinned to its own CPU (--duet)
#   duet-median --duet with each run's median
#   lockstep    A and B at once, taking turns sample by sample; a block's
#               change is the median of adjacent samples' ratios (the default)
#   seq-many    sequential, six short processes per run (warm-up 0.01 s,
#               measure 0.03 s): the budget spent on processes, not samples
#   seq-short   sequential, each run's minimum, blocks a third as long
#               (warm-up 0.02 s, measure 0.04 s per process) and up to 150
#               of them: more, shorter blocks in the same budget
# The modes take turns trial by trial. For each mode: A/A trials (the same binary on both sides: any "regressed" or
# "improved" is false) and trials with B's walk made PCT % longer
# (BENCHGATE_INJECT_MEM_PCT): caught when "regressed". Prints per trial the
# verdict, change, interval half-width and seconds, then a summary line per
# mode: A/A false k/n, caught k/n, inconclusive counts, mean half-width and
# seconds per trial.
#
# usage: tools/measure-memory-bound.sh [BUILD_DIR] [TRIALS] [PCT]
#   BUILD_DIR  a built meson build directory (default build)
#   TRIALS     trials per mode and kind (default 5)
#   PCT        injected slowdown in percent (default 5)
# environment: MODES (default "seq-min lockstep"),
#   BENCH (default chase_16MiB), AB_ARGS (extra ab arguments, e.g. "--budget 8"),
#   OUT (log directory; default a new temporary one)
set -u
build=${1:-build}
trials=${2:-5}
pct=${3:-5}
modes=${MODES:-seq-min lockstep}
bench=${BENCH:-chase_16MiB}
for f in benchgate benches/benchgate-benches; do
    [ -x "$build/$f" ] || { echo "measure-memory-bound: $build/$f is missing; build first" >&2; exit 2; }
done
out=${OUT:-$(mktemp -d /tmp/measure-mb.XXXXXX)}
mkdir -p "$out/bin"
cp "$build/benchgate" "$build/benches/benchgate-benches" "$out/bin/"
for lib in "$build"/libbenchgate.so*; do
    [ -d "$lib" ] || cp -P "$lib" "$out/bin/"
done
export LD_LIBRARY_PATH="$out/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bg="$out/bin/benchgate"
suite="$out/bin/benchgate-benches"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $bench, $trials trials per mode and kind, +$pct %"

trial() { # mode kind n -> one line
    local mode=$1 kind=$2 n=$3 args=() log
    case $mode in
    seq-min) args+=(--sequential) ;;
    seq-median) args+=(--sequential --statistic median) ;;
    duet-min) args+=(--duet) ;;
    duet-median) args+=(--duet --statistic median) ;;
    lockstep) args+=(--lockstep) ;;
    seq-many)   args+=(--sequential --procs 6 --bench-arg=--warmup --bench-arg=0.01 --bench-arg=--measure
                      --bench-arg=0.03) ;;
    seq-short) args+=(--sequential --max-blocks 150 --bench-arg=--warmup --bench-arg=0.02 --bench-arg=--measure
                      --bench-arg=0.04) ;;
    esac
    [ "$kind" = inject ] && args+=(--env-b "BENCHGATE_INJECT_MEM_PCT=$pct")
    log="$out/$mode-$kind-$n.txt"
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bg" ab --bin-a "$suite" --bin-b "$suite" --filter "^$bench\$" --format json --no-save \
        "${args[@]}" ${AB_ARGS:-} >"$log" 2>"$log.err"
    t1=$(date +%s.%N)
    python3 - "$log" "$mode" "$kind" "$n" "$t0" "$t1" <<'EOF'
import json, sys
log, mode, kind, n, t0, t1 = sys.argv[1:]
try:
    d = json.load(open(log))
    b = d["benchmarks"][0]
    v, ch, lo, hi = b["verdict"], b.get("change"), b.get("change_lo"), b.get("change_hi")
    hw = (hi - lo) / 2 * 100 if lo is not None and hi is not None else float("nan")
    print("%-11s %-6s %2s %-12s change %+6.2f %%  +-%5.2f %%  %5.1f s" % (mode, kind, n, v, 100 * (ch or 0), hw,
          float(t1) - float(t0)))
except Exception as e:
    print("%-11s %-6s %2s error %s" % (mode, kind, n, e))
EOF
}

# Modes take turns trial by trial, so that each sees the same spells of a
# shared machine's noise (one mode after the other would compare the
# machine's quiet hour with its busy one).
for n in $(seq 1 "$trials"); do
    for mode in $modes; do
        trial "$mode" aa "$n"
        trial "$mode" inject "$n"
    done
done | tee "$out/trials.txt"

python3 - "$out/trials.txt" "$pct" <<'EOF'
import sys, re, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4 or f[3] == "error":
        continue
    m = re.search(r"\+-\s*([0-9.]+) %\s+([0-9.]+) s", line)
    rows[(f[0], f[1])].append((f[3], float(m.group(1)), float(m.group(2))))
for mode in dict.fromkeys(k[0] for k in rows):
    aa, inj = rows[(mode, "aa")], rows[(mode, "inject")]
    false = sum(v in ("regressed", "improved") for v, _, _ in aa)
    caught = sum(v == "regressed" for v, _, _ in inj)
    inc = sum(v == "inconclusive" for v, _, _ in aa + inj)
    hw = [h for _, h, _ in aa + inj]
    secs = [s for _, _, s in aa + inj]
    print("%-11s A/A false %d/%d, +%s %% caught %d/%d, inconclusive %d/%d, half-width %.2f %%, %.1f s per trial"
          % (mode, false, len(aa), sys.argv[2], caught, len(inj), inc, len(aa) + len(inj),
             sum(hw) / max(len(hw), 1), sum(secs) / max(len(secs), 1)))
EOF
echo "log: $out"
