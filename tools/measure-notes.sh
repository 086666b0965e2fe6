#!/bin/sh
# Measures sharing runs as git notes over a synthetic history made by
# tools/make-history.sh (one run per commit):
#
#   tools/make-history.sh /tmp/hist1k 1000 20
#   tools/measure-notes.sh /tmp/hist1k build/benchgate
#
#   tools/make-history.sh /tmp/hist10k 10000 20    (about 3 minutes)
#   tools/measure-notes.sh /tmp/hist10k build/benchgate
#
# Prints the time of the first push of every run to an empty bare remote,
# the remote's size before and after (loose objects, then packed by git gc)
# and so the bytes per run, the number of notes commits pushed, the time to
# list the notes (git notes list) and to read every note (git cat-file), the
# time of a fetch of all of them into a fresh clone with an empty store, the
# time of a push after one more run and of a fetch of that run by a clone
# that has all the others.
set -eu
dir=${1:?usage: tools/measure-notes.sh DIR BENCHGATE}
bg=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$dir"
work=$(mktemp -d /tmp/measure-notes.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=$(find .benchgate/runs -name '*.json' | wc -l)
json=$(find .benchgate/runs -name '*.json' -exec cat {} + | wc -c)
# Notes left in DIR by an earlier measurement would make the push below a
# push of nothing new: start from none.
git update-ref -d refs/notes/benchgate 2>/dev/null || true
git clone -q --bare . "$work/remote.git"
git -C "$work/remote.git" gc -q
before=$(du -sb "$work/remote.git" | cut -f1)

t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'; }

echo "runs: $runs ($json bytes of run JSON, $((json / runs)) per run)"
echo "push (all runs, empty remote): $(t "$bg" push "$work/remote.git") s"
loose=$(du -sb "$work/remote.git" | cut -f1)
# The notes' objects alone, packed as git gc would (deltas between notes):
# the size of the whole repository after a gc also moves with the history's
# own repacking.
packed=$(git -C "$work/remote.git" rev-list --objects refs/notes/benchgate |
         git -C "$work/remote.git" pack-objects -q --stdout | wc -c)
echo "remote growth: $((loose - before)) bytes as pushed ($(( (loose - before) / runs )) per run); the notes packed: $packed bytes ($((packed / runs)) per run)"

ref=refs/notes/benchgate
echo "notes commits pushed: $(git -C "$work/remote.git" rev-list --count $ref)"
echo "list the notes (git notes list): $(t git -C "$work/remote.git" notes --ref=$ref list) s"
listed=$(git -C "$work/remote.git" notes --ref=$ref list | wc -l)
readall() { git -C "$work/remote.git" notes --ref=$ref list | cut -d' ' -f1 | git -C "$work/remote.git" cat-file --batch; }
echo "read every note ($listed notes, git cat-file --batch): $(t readall) s"

git clone -q "$work/remote.git" "$work/clone"
echo "fetch (all runs, empty store): $(cd "$work/clone" && t "$bg" fetch) s"
git clone -q "$work/remote.git" "$work/clone2"
(cd "$work/clone2" && "$bg" fetch >/dev/null 2>&1)
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
echo "fetch (one new run, store holding the others): $(cd "$work/clone2" && git pull -q 2>/dev/null; t "$bg" fetch) s"
got=$(find "$work/clone2/.benchgate/runs" -name '*.json' 2>/dev/null | wc -l)
echo "runs in the second clone's store after that fetch: $got"
