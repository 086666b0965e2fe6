#!/bin/sh
# Measures sharing runs as git notes over a synthetic history made by
# tools/make-history.sh (one run per commit):
#
#   tools/make-history.sh /tmp/hist1k 1000 20
#   tools/measure-notes.sh /tmp/hist1k build/benchgate
#
# Prints the time of the first push of every run to an empty bare remote,
# the remote's size before and after (loose objects, then packed by git gc)
# and so the bytes per run, the time of a fetch of all of them into a fresh
# clone with an empty store, and the time of a push after one more run.
set -eu
dir=${1:?usage: tools/measure-notes.sh DIR BENCHGATE}
bg=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$dir"
work=$(mktemp -d /tmp/measure-notes.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=$(find .benchgate/runs -name '*.json' | wc -l)
json=$(find .benchgate/runs -name '*.json' -exec cat {} + | wc -c)
git clone -q --bare . "$work/remote.git"
git -C "$work/remote.git" gc -q
before=$(du -sb "$work/remote.git" | cut -f1)

t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'; }

echo "runs: $runs ($json bytes of run JSON, $((json / runs)) per run)"
echo "push (all runs, empty remote): $(t "$bg" push "$work/remote.git") s"
loose=$(du -sb "$work/remote.git" | cut -f1)
git -C "$work/remote.git" gc -q
packed=$(du -sb "$work/remote.git" | cut -f1)
echo "remote growth: $((loose - before)) bytes as pushed ($(( (loose - before) / runs )) per run), $((packed - before)) after git gc ($(( (packed - before) / runs )) per run)"

git clone -q "$work/remote.git" "$work/clone"
echo "fetch (all runs, empty store): $(cd "$work/clone" && t "$bg" fetch) s"
got=$(find "$work/clone/.benchgate/runs" -name '*.json' 2>/dev/null | wc -l)
echo "runs in the clone's store after fetch: $got"

# One more run on a new commit, pushed: what every CI job pays.
last=$(find .benchgate/runs -name '*.json' | head -1)
git -C "$work/clone" commit -q --allow-empty -m "one more"
head=$(git -C "$work/clone" rev-parse HEAD)
machine=$(basename "$(dirname "$last")")
mkdir -p "$work/clone/.benchgate/runs/$head/$machine"
sed "s/\"commit\": \"[0-9a-f]*\"/\"commit\": \"$head\"/" "$last" > "$work/clone/.benchgate/runs/$head/$machine/9999999999-1-1.json"
git -C "$work/clone" push -q origin HEAD:main
echo "push (one new run): $(cd "$work/clone" && t "$bg" push) s"
