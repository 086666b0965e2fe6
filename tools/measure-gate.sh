#!/bin/sh
# Measures, on this machine and over time, the verdicts of runs compared
# with stored runs made minutes earlier (the figures of the two-stage gate):
#  1. calibrate: CALIBRATE runs of the suite at commit C0 of a scratch
#     repository (the noise record a new machine starts with; they are also
#     the stored base);
#  2. per round, at commit C1 (same code):
#     a. A/A: `benchgate gate --base C0 --bench BENCH --base-bin BASE` over the
#        suite; exit 1 is a false failure (the suspects and what stage 2
#        decided are printed);
#     b. A/A of `make bench`: the bench binary with --save --baseline auto;
#        every "regressed" or "improved" line of its change table is false;
#     c. in the first DETECT rounds, for each PCT: the same gate over a
#        suite of 6 (DETECT_FILTER) with spin_injected made PCT % slower (BENCHGATE_INJECT_PCT; the base
#        binary is a wrapper that unsets it), on a copy of the store so the
#        slowed runs never teach the noise; caught = exit 1 with
#        spin_injected regressed;
#  3. `benchgate ab` on the same binaries: AB_AA A/A runs over the suite,
#     and AB_DETECT runs with spin_injected 2 % slower.
# Each line gives the seconds it took; the summary gives k/n.
# Usage: tools/measure-gate.sh [build-dir] [ROUNDS (20)] [DETECT (10)] [PCTS ("2 5 10")]
# Environment: FILTER (the suite, default 14 benchmarks), CALIBRATE (5),
# PAUSE (seconds between rounds, 0), GATE_ARGS (more gate options),
# AB_AA (3), AB_DETECT (5), OUT (keep the logs there).
set -eu
BUILD=${1:-build}
ROUNDS=${2:-20}
DETECT=${3:-10}
PCTS=${4-"2 5 10"}
FILTER=${FILTER:-'^(sort_|memcpy_|hash_|spin_|chase_|alloc_pair_libc$|harness_)'}
# The detection runs use a smaller suite (6 benchmarks) to fit the hour.
DETECT_FILTER=${DETECT_FILTER:-'^(spin_|hash_|sort_qsort_1k$|memcpy_4KiB$)'}
CALIBRATE=${CALIBRATE:-5}
PAUSE=${PAUSE:-0}
GATE_ARGS=${GATE_ARGS:-}
AB_AA=${AB_AA:-3}
AB_DETECT=${AB_DETECT:-5}
T=$(mktemp -d)
OUT=${OUT:-$T/logs}
mkdir -p "$OUT"
trap 'rm -rf "$T/repo" "$T/bin" "$T/ds"' EXIT
unset BENCHGATE_INJECT_PCT BENCHGATE_INJECT_MEM_PCT BENCHGATE_DIR GITHUB_STEP_SUMMARY || true

# The binaries and the library are copied, so that rebuilding BUILD while
# this runs (an hour) cannot change what is measured.
mkdir -p "$T/bin"
cp "$BUILD/benches/benchgate-benches" "$BUILD/benchgate" "$T/bin/"
find "$BUILD" -maxdepth 1 -name "libbenchgate.so*" ! -type d -exec cp -P {} "$T/bin/" \;
export LD_LIBRARY_PATH="$T/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
BENCH=$T/bin/benchgate-benches
BG=$T/bin/benchgate
BASE=$T/bin/base.sh
printf '#!/bin/sh\nunset BENCHGATE_INJECT_PCT\nexec "%s" "$@"\n' "$BENCH" > "$BASE"
chmod +x "$BASE"

secs() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(secs)"; }

GIT="git -c user.name=m -c user.email=m@example.com -c commit.gpgsign=false"
mkdir "$T/repo"
cd "$T/repo"
git init -q -b main .
echo 0 > f && git add f && $GIT commit -q -m C0
C0=$(git rev-parse HEAD)
nb=$("$BENCH" --list --filter "$FILTER" | wc -l)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); suite: $nb benchmarks ($FILTER)"

t0=$(secs)
"$BG" calibrate --bench "$BENCH" --runs "$CALIBRATE" --bench-arg --filter --bench-arg "$FILTER" \
    >"$OUT/calibrate.txt" 2>&1
echo "calibrate: $CALIBRATE runs at C0 in $(since "$t0") s"
echo 1 > f && $GIT commit -q -am C1

gate() { # gate LOG FILTER [extra args...]: the two-stage gate of C1 against C0
    log=$1
    filt=$2
    shift 2
    # shellcheck disable=SC2086
    "$BG" gate --base "$C0" --bench "$BENCH" --base-bin "$BASE" --bench-arg --filter \
        --bench-arg "$filt" $GATE_ARGS "$@" >"$log" 2>&1
}

aa_fail=0 aa_n=0 aa_secs=0 mb_bad=0 mb_lines=0 mb_n=0 suspects_total=0
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    r=$((r + 1))
    # a. A/A gate
    t=$(secs)
    rc=0
    gate "$OUT/aa$r.txt" "$FILTER" || rc=$?
    dt=$(since "$t")
    aa_n=$((aa_n + 1))
    aa_secs=$(python3 -c "print($aa_secs + $dt)")
    sus=$(sed -n 's/.*; \([0-9]*\) went on to stage 2.*/\1/p' "$OUT/aa$r.txt" | tail -1)
    suspects_total=$((suspects_total + ${sus:-0}))
    decided=$(grep -E '^stage [12] decided' "$OUT/aa$r.txt" | sed 's/^stage \([12]\) decided \([^:]*\): \([a-z]*\).*/\2 \3 (stage \1)/' | tr '\n' ';')
    [ "$rc" -eq 1 ] && aa_fail=$((aa_fail + 1))
    [ "$rc" -gt 1 ] && { echo "round $r: gate exit $rc"; tail -20 "$OUT/aa$r.txt"; exit 1; }
    echo "round $r A/A gate: exit $rc, ${sus:-0} to stage 2 [$decided], $dt s"
    # b. A/A make bench
    t=$(secs)
    "$BENCH" --filter "$FILTER" --save --baseline auto --color never >"$OUT/mb$r.txt" 2>&1 || true
    dt=$(since "$t")
    bad=$(sed -n '/^change against baseline/,$p' "$OUT/mb$r.txt" | grep -cE ' (regressed|improved)' || true)
    if sed -n '/^change against baseline/,$p' "$OUT/mb$r.txt" | grep -q .; then
        mb_n=$((mb_n + 1))
        mb_lines=$((mb_lines + bad))
        [ "$bad" -gt 0 ] && mb_bad=$((mb_bad + 1))
    fi
    echo "round $r make bench: $bad false regressed/improved line(s), $dt s"
    # c. detection
    if [ "$r" -le "$DETECT" ]; then
        for pct in $PCTS; do
            rm -rf "$T/ds"
            cp -r .benchgate "$T/ds"
            t=$(secs)
            rc=0
            BENCHGATE_INJECT_PCT=$pct gate "$OUT/inj$pct-$r.txt" "$DETECT_FILTER" --store "$T/ds" || rc=$?
            dt=$(since "$t")
            [ "$rc" -gt 1 ] && { echo "gate exit $rc"; tail -20 "$OUT/inj$pct-$r.txt"; exit 1; }
            hit=0
            [ "$rc" -eq 1 ] && grep -qE '^stage [12] decided spin_injected: regressed' "$OUT/inj$pct-$r.txt" && hit=1
            others=$(grep -E '^stage [12] decided [^:]*: regressed' "$OUT/inj$pct-$r.txt" | grep -vc spin_injected || true)
            eval "c=\${caught_$pct:-0}; s=\${secs_$pct:-0}; o=\${other_$pct:-0}"
            eval "caught_$pct=$((c + hit)); other_$pct=$((o + others))"
            eval "secs_$pct=$(python3 -c "print($s + $dt)")"
            stage=$(grep -E '^stage [12] decided spin_injected' "$OUT/inj$pct-$r.txt" | sed 's/ decided.*//' || true)
            echo "round $r +$pct %: exit $rc, caught $hit (${stage:-stage 1 cleared it}), $others other regressed, $dt s"
        done
    fi
    [ "$PAUSE" -gt 0 ] && sleep "$PAUSE"
done

echo "== summary ($(date -u +%H:%M) UTC)"
echo "A/A gate: $aa_fail false failure(s) in $aa_n runs of $nb benchmarks," \
     "$(python3 -c "print('%.1f' % ($aa_secs / max($aa_n, 1)))") s per run, $suspects_total suspects went to stage 2 in all"
echo "A/A make bench: $mb_bad of $mb_n runs with a false regressed/improved line ($mb_lines lines of $((mb_n * nb)))"
for pct in $PCTS; do
    [ "$DETECT" -gt 0 ] || break
    eval "c=\${caught_$pct:-0}; s=\${secs_$pct:-0}; o=\${other_$pct:-0}"
    echo "+$pct %: caught $c/$DETECT, $o other benchmark(s) called regressed," \
         "$(python3 -c "print('%.1f' % ($s / $DETECT))") s per gate run"
done

# 3. ab on the same binaries
ab_false=0 ab_secs=0
i=0
while [ "$i" -lt "$AB_AA" ]; do
    i=$((i + 1))
    t=$(secs)
    rc=0
    "$BG" ab --bin-a "$BENCH" --bin-b "$BENCH" --filter "$FILTER" --no-save >"$OUT/ab-aa$i.txt" 2>&1 || rc=$?
    dt=$(since "$t")
    flagged=$(grep -cE '(\+\+ regressed|-- improved)' "$OUT/ab-aa$i.txt" || true)
    [ "$flagged" -gt 0 ] && ab_false=$((ab_false + 1))
    ab_secs=$(python3 -c "print($ab_secs + $dt)")
    echo "ab A/A $i: exit $rc, $flagged benchmark(s) called regressed or improved, $dt s ($(python3 -c "print('%.1f' % ($dt / $nb))") s per benchmark)"
done
ab_hit=0 ab_dsecs=0
i=0
while [ "$i" -lt "$AB_DETECT" ]; do
    i=$((i + 1))
    t=$(secs)
    rc=0
    BENCHGATE_INJECT_PCT=2 "$BG" ab --bin-a "$BASE" --bin-b "$BENCH" --filter '^spin_injected$' --no-save \
        >"$OUT/ab-inj$i.txt" 2>&1 || rc=$?
    dt=$(since "$t")
    [ "$rc" -eq 1 ] && ab_hit=$((ab_hit + 1))
    ab_dsecs=$(python3 -c "print($ab_dsecs + $dt)")
    echo "ab +2 % $i: exit $rc, $dt s"
done
[ "$AB_AA" -gt 0 ] && echo "ab A/A: $ab_false of $AB_AA runs flagged a benchmark," \
    "$(python3 -c "print('%.1f' % ($ab_secs / max($AB_AA, 1) / $nb))") s per benchmark"
[ "$AB_DETECT" -gt 0 ] && echo "ab +2 %: caught $ab_hit/$AB_DETECT," \
    "$(python3 -c "print('%.1f' % ($ab_dsecs / max($AB_DETECT, 1)))") s per run of one benchmark"
echo "logs: $OUT"
