#!/bin/sh
# Times the commands that read the whole store, over a synthetic store made by
# tools/make-history.sh (one run of BENCHES benchmarks per commit):
#
#   tools/make-history.sh /tmp/st10k 10000 20
#   tools/measure-store.sh /tmp/st10k build/benchgate [REPORT=0|1]
#
# Prints one line per command: the first call (which builds the store's
# index when it is missing) and the best of three later calls, each as wall
# and CPU (user + system) seconds: on a shared machine the wall time of a
# command that waits for no one is mostly the CPU time plus the wait for a
# core.
# Give an older benchgate as the second argument for the figures before the
# index.
set -eu
dir=${1:?usage: tools/measure-store.sh DIR BENCHGATE [REPORT]}
bg=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
report=${3:-1}
cd "$dir"

t() { # "wall/cpu" seconds of one command (its output dropped); cpu = user + sys
    /usr/bin/time -f "%e %U %S" -o /tmp/measure-store-time.$$ "$@" >/dev/null 2>&1 || true
    awk '{ printf "%.2f/%.2f", $1, $2 + $3 }' /tmp/measure-store-time.$$
}
best3() { # the call of three with the least cpu time
    b=; bc=; for i in 1 2 3; do
        x=$(t "$@"); c=${x#*/}
        if [ -z "$b" ] || awk -v x="$c" -v b="$bc" 'BEGIN { exit !(x < b) }'; then b=$x; bc=$c; fi
    done; echo "$b"
}
one() {
    name=$1; shift
    first=$(t "$@")
    printf '%-28s first %12s s   then %12s s  (wall/cpu)\n' "$name" "$first" "$(best3 "$@")"
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
