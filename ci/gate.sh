#!/bin/sh
# CI benchmark gate: build, fetch the runs shared by earlier jobs, measure
# HEAD and compare it with the base (merge-base with main/master, on main
# itself HEAD's parent, or $BENCH_BASE) in two stages: stage 1 against the
# stored base run, drift-aware; what it cannot clear runs again, base and
# head binaries interleaved (stage 2: the base binary is $BENCH_BASE_BIN,
# e.g. restored from a CI cache, else built from the base commit in a
# temporary worktree with $BENCH_BUILD_CMD). On the main branch, push the
# runs so that later jobs (pull requests) have a stored base and the
# between-run noise record grows.
# Exit status is benchgate gate's: 0 pass, 1 regression, 2 usage/environment
# (e.g. no stored run for the base), 3 crash/timeout.
# Writes bench-junit.xml and bench-summary.md in the current directory.
#
# Environment (all optional):
#   BUILD             build directory (default build)
#   BENCH_BUILD_CMD   the build command (default: make BUILD=$BUILD build where
#                     there is a Makefile, else meson setup + compile of $BUILD
#                     where there is a meson.build); with BENCH_AB=1 it builds
#                     each checkout
#   BENCHGATE         the benchgate command (default $BUILD/benchgate when
#                     that exists, as in benchgate's own tree; else the one
#                     installed beside this script, else benchgate on PATH)
#   BENCH_BIN         the bench binary (default $BUILD/benches/benchgate-benches;
#                     BENCH is accepted as the old name)
#   BENCH_ARGS        arguments for the bench binary, split on blanks
#   BENCH_BASE        the base, a commit-ish (e.g. origin/main on a merge request)
#   BENCH_BASE_BIN    a prebuilt bench binary of the base for stage 2 (cache it
#                     keyed by the base commit; default: stage 2 builds the base)
#   GATE_ARGS         more gate options (e.g. "--threshold 3"), split on blanks
#   BENCH_AB=1        build the base too and run both interleaved (gate --ab:
#                     robust to a noisy shared runner, no stored base needed;
#                     BENCH_BIN is then relative to each build)
#   BENCH_REMOTE      where runs are shared as git notes (default origin)
#   BENCH_PUSH=0      never push; otherwise runs are pushed on the main branch
#                     when BENCH_REMOTE exists
#   BENCH_MAIN_BRANCH the branch whose runs are pushed (default: $CI_DEFAULT_BRANCH,
#                     else main)
#   BENCH_BRANCH      the branch being built (default: $CI_COMMIT_BRANCH, then
#                     $GITHUB_REF_NAME on a push, then git's current branch)
set -eu
set -f   # BENCH_ARGS and GATE_ARGS are split on blanks, never globbed

BUILD=${BUILD:-build}
if [ -z "${BENCH_BUILD_CMD:-}" ]; then
    if [ ! -f Makefile ] && [ -f meson.build ]; then
        BENCH_BUILD_CMD="{ [ -f $BUILD/build.ninja ] || meson setup $BUILD; } && meson compile -C $BUILD"
    else
        BENCH_BUILD_CMD="make BUILD=$BUILD build"
    fi
fi
if [ -z "${BENCHGATE:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    if [ -x "$BUILD/benchgate" ]; then
        BENCHGATE=$BUILD/benchgate
    elif [ -x "$here/../../bin/benchgate" ]; then   # installed: PREFIX/share/benchgate/gate.sh
        BENCHGATE=$here/../../bin/benchgate
    else
        BENCHGATE=benchgate
    fi
fi
BENCH_BIN=${BENCH_BIN:-${BENCH:-$BUILD/benches/benchgate-benches}}
BENCH_REMOTE=${BENCH_REMOTE:-origin}
main_branch=${BENCH_MAIN_BRANCH:-${CI_DEFAULT_BRANCH:-main}}
if [ -z "${BENCH_BRANCH:-}" ]; then
    BENCH_BRANCH=${CI_COMMIT_BRANCH:-}
    if [ -z "$BENCH_BRANCH" ] && [ "${GITHUB_EVENT_NAME:-}" = push ]; then
        BENCH_BRANCH=${GITHUB_REF_NAME:-}
    fi
    if [ -z "$BENCH_BRANCH" ]; then
        BENCH_BRANCH=$(git symbolic-ref --short -q HEAD || true)
    fi
fi

# The remote exists: a configured remote, or a path or URL.
have_remote() {
    git remote get-url "$BENCH_REMOTE" >/dev/null 2>&1 || git ls-remote "$BENCH_REMOTE" >/dev/null 2>&1
}

sh -c "$BENCH_BUILD_CMD"

# Runs shared by earlier CI jobs (git notes on refs/notes/benchgate).
if have_remote; then
    "$BENCHGATE" fetch "$BENCH_REMOTE" || echo "ci/gate.sh: no benchmark runs fetched" >&2
fi

# gate --bench runs "$BENCH_BIN" --save (with $BENCH_ARGS) to measure HEAD;
# stage 2 runs the suspects again, base and head interleaved, with the base
# binary given or built by $BENCH_BUILD_CMD (BENCH_BIN is then relative to
# the base's checkout, so give a relative path or BENCH_BASE_BIN).
if [ "${BENCH_AB:-0}" = 1 ]; then
    set -- --ab --build-cmd "$BENCH_BUILD_CMD" --bench-bin "$BENCH_BIN"
else
    set -- --bench "$BENCH_BIN" --build-cmd "$BENCH_BUILD_CMD" --bench-bin "$BENCH_BIN"
    if [ -n "${BENCH_BASE_BIN:-}" ]; then set -- "$@" --base-bin "$BENCH_BASE_BIN"; fi
fi
# The reports are written outside the checkout and moved in at the end, so
# that no run this job saves is recorded as made with uncommitted changes.
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
set -- "$@" --junit "$reports/bench-junit.xml" --markdown "$reports/bench-summary.md"
if [ -n "${BENCH_BASE:-}" ]; then set -- "$@" --base "$BENCH_BASE"; fi
# shellcheck disable=SC2086
for a in ${BENCH_ARGS:-}; do set -- "$@" --bench-arg "$a"; done
rc=0
# shellcheck disable=SC2086
"$BENCHGATE" gate "$@" ${GATE_ARGS:-} || rc=$?

if [ "$BENCH_BRANCH" = "$main_branch" ] && [ "${BENCH_PUSH:-1}" != 0 ] && have_remote; then
    # The gate stops before measuring when the base has no stored run (the
    # first run on main): record HEAD's run anyway, so the next job has a base.
    head=$(git rev-parse HEAD | cut -c1-12)
    if ! "$BENCHGATE" ls HEAD 2>/dev/null | grep -q "^$head"; then
        echo "ci/gate.sh: recording a run of $head for later jobs" >&2
        # shellcheck disable=SC2086
        "$BENCH_BIN" ${BENCH_ARGS:-} --save >&2 || echo "ci/gate.sh: the bench binary failed" >&2
    fi
    "$BENCHGATE" push "$BENCH_REMOTE" || echo "ci/gate.sh: the runs were not pushed" >&2
fi
for f in bench-junit.xml bench-summary.md; do
    if [ -f "$reports/$f" ]; then cp "$reports/$f" "$f"; fi
done
exit "$rc"
