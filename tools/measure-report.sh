#!/bin/sh
# Times a full report against an incremental one (the report into the
# directory of the last one, after one new commit with a run), over a copy
# of a synthetic history made by tools/make-history.sh:
#
#   tools/make-history.sh /tmp/hist500 500 20
#   tools/measure-report.sh /tmp/hist500 build/benchgate
#
# Prints wall/CPU seconds (CPU = user + system) of: the full report into an
# empty directory; the same report again into its directory (nothing new);
# after one more commit, the incremental report and a full report into an
# empty directory; and whether the two directories hold the same files
# (SOURCE_DATE_EPOCH fixes the report's time so that they can).
set -eu
src=${1:?usage: tools/measure-report.sh DIR BENCHGATE}
bg=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$(mktemp -d /tmp/measure-report.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$src" "$work/hist"
cd "$work/hist"
git update-ref -d refs/notes/benchgate 2>/dev/null || true
export SOURCE_DATE_EPOCH=1700000000

t() { # "wall/cpu" seconds of one command (its output dropped)
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>&1
    awk '{ printf "%.2f/%.2f", $1, $2 + $3 }' "$work/time"
}
runs=$(find .benchgate/runs -name '*.json' | wc -l)
echo "store: $runs runs; benchgate: $bg"
echo "full report, empty directory:        $(t "$bg" report --out "$work/inc") s (wall/cpu)"
echo "the same report again, its directory: $(t "$bg" report --out "$work/inc") s"

head=$(git rev-parse HEAD)
last=$(find ".benchgate/runs/$head" -name '*.json' | head -1)
machine=$(basename "$(dirname "$last")")
git commit -q --allow-empty -m "one more"
new=$(git rev-parse HEAD)
mkdir -p ".benchgate/runs/$new/$machine"
sed "s/$head/$new/g" "$last" > ".benchgate/runs/$new/$machine/9999999999-1-1.json"
echo "after one new commit:"
echo "  incremental report (last report's directory): $(t "$bg" report --out "$work/inc") s"
echo "  full report (empty directory):                $(t "$bg" report --out "$work/full") s"
if diff -r "$work/inc" "$work/full" >/dev/null; then
    echo "  the two directories: identical ($(find "$work/full" -type f | wc -l) files)"
else
    echo "  the two directories DIFFER:"; diff -rq "$work/inc" "$work/full" | head
fi
