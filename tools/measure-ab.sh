#!/bin/bash
# Measures `benchgate ab` on this machine:
#  - the false-alarm rate: A/A runs over the project's own benchmarks (the
#    same bench binary on both sides), counting runs that report any
#    benchmark regressed (exit 1) or improved;
#  - the detection rate: tests/faulty_bench's fine_slowable made 1, 2 and 5 %
#    slower on side B through FAULTY_SLOWDOWN_PCT, counting runs that exit 1
#    with fine_slowable regressed (plus an A/A control at 0 %);
#  - the wall time of each run.
#
# usage: tools/measure-ab.sh [BUILD_DIR] [AA_RUNS] [INJECT_RUNS]
#   BUILD_DIR    a configured and built meson build directory (default build)
#   AA_RUNS      A/A suite runs (default 20)
#   INJECT_RUNS  runs per injected slowdown (default 10)
# environment:
#   AB_ARGS      extra arguments for every `benchgate ab` (e.g. "--budget 10")
#   AB_FILTER    benchmarks of the A/A suite runs (default: all)
#   OUT          directory for the raw log (default: a new temporary one)
#   INJECT       the injected workload: "faulty" (default: tests/faulty_bench's
#                fine_slowable, FAULTY_SLOWDOWN_PCT) or "spin" (the project's own
#                spin_injected of benchgate-benches, BENCHGATE_INJECT_PCT)
#   PHASES       what to measure (default "aa inject"); "suite" adds A/A suite
#                runs in which B's spin_injected (benches/bench_examples.c) is
#                SUITE_PCT % slower (default 2), SUITE_RUNS times (default 10):
#                detection with the suite-wide correction over every benchmark
#
# The binaries are copied first, so that rebuilding the build directory while
# this runs (about an hour) cannot change what is measured.
set -u

build=${1:-build}
aa_runs=${2:-20}
inject_runs=${3:-10}
extra=${AB_ARGS:-}
filter=${AB_FILTER:-}
phases=${PHASES:-aa inject}
suite_pct=${SUITE_PCT:-2}
suite_runs=${SUITE_RUNS:-10}
case ${INJECT:-faulty} in
faulty) inj_name=fine_slowable inj_var=FAULTY_SLOWDOWN_PCT ;;
spin) inj_name=spin_injected inj_var=BENCHGATE_INJECT_PCT ;;
*) echo "measure-ab: INJECT is faulty or spin, not '$INJECT'" >&2; exit 2 ;;
esac

for f in benchgate benches/benchgate-benches tests/faulty_bench; do
    if [ ! -x "$build/$f" ]; then
        echo "measure-ab: $build/$f is missing; build first (meson setup $build && ninja -C $build)" >&2
        exit 2
    fi
done

out=${OUT:-$(mktemp -d /tmp/measure-ab.XXXXXX)}
mkdir -p "$out/bin"
cp "$build/benchgate" "$build/benches/benchgate-benches" "$build/tests/faulty_bench" "$out/bin/"
for lib in "$build"/libbenchgate.so*; do
    [ -d "$lib" ] || cp -P "$lib" "$out/bin/"
done
export LD_LIBRARY_PATH="$out/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bg="$out/bin/benchgate"
suite="$out/bin/benchgate-benches"
faulty="$out/bin/faulty_bench"
log="$out/runs.log"
: > "$log"
cd "$out" || exit 2

now() { date +%s.%N; }

# One ab run; prints "exit regressed improved inconclusive unchanged seconds change%".
# $1: label for the log, then the arguments of `benchgate ab`.
one_run() {
    local label=$1
    shift
    local t0 t1 text rc
    t0=$(now)
    text=$("$bg" ab "$@" $extra --no-save 2>&1)
    rc=$?
    t1=$(now)
    {
        echo "=== $label: benchgate ab $* $extra (exit $rc)"
        echo "$text"
    } >> "$log"
    local summary change
    summary=$(echo "$text" | grep '^ab: ' | tail -n 1)
    change=$(echo "$text" | awk -v b="$inj_name" '$1 == b { for (i = 2; i <= NF; i++) if ($i ~ /%$/) { print $i; exit } }')
    echo "$summary" | awk -v rc="$rc" -v t0="$t0" -v t1="$t1" -v ch="${change:--}" '
        { for (i = 1; i <= NF; i++) { v = $i; gsub(/[,;]/, "", $(i + 1));
              if ($(i + 1) == "unchanged") u = v; if ($(i + 1) == "improved") im = v;
              if ($(i + 1) == "regressed") r = v; if ($(i + 1) == "inconclusive") inc = v } }
        END { printf "%d %d %d %d %d %.1f %s\n", rc, r + 0, im + 0, inc + 0, u + 0, t1 - t0, ch }'
}

nbench=$("$suite" --list ${filter:+--filter "$filter"} | wc -l)
echo "benchgate ab on $(hostname): $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw output: $log"
echo

has_phase() { case " $phases " in *" $1 "*) return 0 ;; esac; return 1; }
has_phase aa || aa_runs=0
has_phase inject || inject_runs=0

[ "$aa_runs" -gt 0 ] && echo "A/A: $aa_runs runs of $nbench benchmarks (benchgate-benches against itself)"
aa_false=0 aa_improved=0 aa_time=0 aa_inconcl=0
for i in $(seq 1 "$aa_runs"); do
    r=$(one_run "A/A $i" --bin-a "$suite" --bin-b "$suite" --seed "$i" ${filter:+--filter "$filter"})
    set -- $r
    echo "  run $i: exit $1, regressed $2, improved $3, inconclusive $4, unchanged $5, $6 s"
    [ "$1" = 1 ] && aa_false=$((aa_false + 1))
    [ "$3" -gt 0 ] && aa_improved=$((aa_improved + 1))
    aa_inconcl=$((aa_inconcl + $4))
    aa_time=$(echo "$aa_time + $6" | bc)
done
echo

declare -A hits times
for pct in 0 1 2 5; do
    [ "$inject_runs" -gt 0 ] || break
    echo "$inj_name, B slower by $pct %: $inject_runs runs"
    hits[$pct]=0
    times[$pct]=0
    for i in $(seq 1 "$inject_runs"); do
        bin=$faulty
        [ "$inj_name" = spin_injected ] && bin=$suite
        r=$(one_run "+$pct % run $i" --bin-a "$bin" --bin-b "$bin" --filter "^$inj_name\$" \
            --env-a "$inj_var=0" --env-b "$inj_var=$pct" --seed "$((100 + i))")
        set -- $r
        echo "  run $i: exit $1, change $7, $6 s"
        [ "$1" = 1 ] && hits[$pct]=$((hits[$pct] + 1))
        times[$pct]=$(echo "${times[$pct]} + $6" | bc)
    done
done
echo

suite_hits=0 suite_false=0 suite_time=0
if has_phase suite; then
    echo "suite, B's spin_injected slower by $suite_pct %: $suite_runs runs of $nbench benchmarks"
    for i in $(seq 1 "$suite_runs"); do
        r=$(one_run "suite +$suite_pct % run $i" --bin-a "$suite" --bin-b "$suite" --seed "$((200 + i))" \
            --env-a BENCHGATE_INJECT_PCT=0 --env-b BENCHGATE_INJECT_PCT=$suite_pct ${filter:+--filter "$filter"})
        set -- $r
        hit=$(awk -v l="=== suite +$suite_pct % run $i:" 'index($0, l) == 1 { f = 1; next }
              /^=== / { f = 0 } f && $1 == "spin_injected" && /regressed/ { print 1; exit }' "$log")
        others=$(( $2 + $3 - ${hit:-0} ))
        echo "  run $i: exit $1, spin_injected $([ -n "$hit" ] && echo regressed || echo "not regressed"), others regressed or improved: $others, $6 s"
        [ -n "$hit" ] && suite_hits=$((suite_hits + 1))
        suite_false=$((suite_false + others))
        suite_time=$(echo "$suite_time + $6" | bc)
    done
    echo
fi

echo "summary"
if [ "$aa_runs" -gt 0 ]; then
    printf "  A/A suite runs with a false regression: %d of %d (runs with a false improvement: %d;\n" \
        "$aa_false" "$aa_runs" "$aa_improved"
    printf "    inconclusive verdicts: %d of %d); mean wall time %.0f s per run, %.1f s per benchmark\n" \
        "$aa_inconcl" "$((aa_runs * nbench))" "$(echo "$aa_time / $aa_runs" | bc -l)" \
        "$(echo "$aa_time / $aa_runs / $nbench" | bc -l)"
fi
if [ "$inject_runs" -gt 0 ]; then
    for pct in 0 1 2 5; do
        printf "  +%d %%: regressed in %d of %d runs, mean wall time %.1f s per run\n" "$pct" \
            "${hits[$pct]}" "$inject_runs" "$(echo "${times[$pct]} / $inject_runs" | bc -l)"
    done
fi
if has_phase suite; then
    printf "  suite, spin_injected +%s %%: regressed in %d of %d runs; other benchmarks called\n" \
        "$suite_pct" "$suite_hits" "$suite_runs"
    printf "    regressed or improved: %d of %d; mean wall time %.0f s per run\n" "$suite_false" \
        "$((suite_runs * (nbench - 1)))" "$(echo "$suite_time / $suite_runs" | bc -l)"
fi
