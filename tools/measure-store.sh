#!/bin/sh
# Times the commands that read the whole store, over a synthetic store made by
# tools/make-history.sh (one run of BENCHES benchmarks per commit):
#
#   tools/make-history.sh /tmp/st10k 10000 20
#   tools/measure-store.sh /tmp/st10k build/benchgate [REPORT=0|1]
#
# Prints one line per command: the first call (which builds the store's
# index when it is missing) and the best of three later calls, in seconds.
# Give an older benchgate as the second argument for the figures before the
# index. The figures in NOTES-18.md come from this script.
set -eu
dir=${1:?usage: tools/measure-store.sh DIR BENCHGATE [REPORT]}
bg=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
report=${3:-1}
cd "$dir"

t() { # seconds one command takes (its output dropped)
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'
}
best3() {
    b=; for i in 1 2 3; do
        x=$(t "$@"); if [ -z "$b" ] || awk -v x="$x" -v b="$b" 'BEGIN { exit !(x < b) }'; then b=$x; fi
    done; echo "$b"
}
one() {
    name=$1; shift
    first=$(t "$@")
    printf '%-28s first %6s s   then %6s s\n' "$name" "$first" "$(best3 "$@")"
}
runs=$(find .benchgate/runs -name '*.json' | wc -l)
echo "store: $runs runs in $dir; benchgate: $bg"
rm -f .benchgate/index.json
one "ls" "$bg" ls
one "compare HEAD~1 HEAD" "$bg" compare HEAD~1 HEAD
one "gate (base lookup, stage 1)" "$bg" gate --base HEAD~1 --head HEAD
one "noise" "$bg" noise
if [ "$report" = 1 ]; then
    rm -rf /tmp/measure-store-report.$$
    one "report" "$bg" report --out /tmp/measure-store-report.$$
    rm -rf /tmp/measure-store-report.$$
fi
