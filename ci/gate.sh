#!/bin/sh
# CI benchmark gate: build, fetch shared runs, measure HEAD and compare it
# with the base (merge-base with main/master, or $BENCH_BASE). Exit status is
# benchgate gate's: 0 pass, 1 regression, 2 usage/environment, 3 crash/timeout.
# Writes bench-junit.xml and bench-summary.md in the current directory.
# Environment: BUILD (build), BENCH (the bench binary), BENCH_ARGS,
# BENCH_BASE (a commit-ish), GATE_ARGS (e.g. "--threshold 3"), BENCH_AB=1 to
# build the base too and run both interleaved (gate --ab: robust to a noisy
# shared runner, no stored base needed; BENCH is then relative to each build).
set -eu
BUILD=${BUILD:-build}
BENCH=${BENCH:-$BUILD/benches/benchgate-benches}

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release
ninja -C "$BUILD"

# Runs shared by earlier CI jobs (git notes), when there is an origin.
if git remote get-url origin >/dev/null 2>&1; then
    "$BUILD/benchgate" fetch origin || echo "ci/gate.sh: no benchmark notes fetched" >&2
fi

# gate --bench runs "$BENCH" --save (with $BENCH_ARGS, split on blanks) to
# measure HEAD, and re-runs regressed benchmarks once to confirm them.
if [ "${BENCH_AB:-0}" = 1 ]; then
    set -- --ab --build-cmd "meson setup $BUILD --buildtype=release && ninja -C $BUILD" \
        --bench-bin "$BENCH" --junit bench-junit.xml --markdown bench-summary.md
else
    set -- --bench "$BENCH" --junit bench-junit.xml --markdown bench-summary.md
fi
if [ -n "${BENCH_BASE:-}" ]; then set -- "$@" --base "$BENCH_BASE"; fi
# shellcheck disable=SC2086
for a in ${BENCH_ARGS:-}; do set -- "$@" --bench-arg "$a"; done
rc=0
# shellcheck disable=SC2086
"$BUILD/benchgate" gate "$@" ${GATE_ARGS:-} || rc=$?
exit "$rc"
