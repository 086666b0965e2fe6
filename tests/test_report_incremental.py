#!/usr/bin/env python3
"""The incremental report: after a new run (and after a changed run, a page
edited by hand, a damaged cache, a shorter history), `benchgate report` into
the directory of an earlier report leaves exactly the files, byte for byte,
that a full report into an empty directory writes; and it keeps (does not
rewrite) the commit pages whose runs did not change.

usage: test_report_incremental.py BENCHGATE SOURCE_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BG = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
COMMITS, BENCHES = 30, 5
failures = []


def run(cmd, cwd, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def files_of(d):
    out = {}
    for base, _, names in os.walk(d):
        for n in names:
            p = os.path.join(base, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def same_tree(what, got_dir, want_dir):
    got, want = files_of(got_dir), files_of(want_dir)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    differ = sorted(n for n in set(got) & set(want) if got[n] != want[n])
    if missing or extra or differ:
        failures.append(f"{what}: missing {missing[:5]}, extra {extra[:5]}, differ {differ[:5]} "
                        f"({len(missing)}/{len(extra)}/{len(differ)})")
    elif not want:
        failures.append(f"{what}: the full report wrote no files")
    else:
        print(f"ok: {what}: {len(want)} files identical")


def main():
    work = tempfile.mkdtemp(prefix="bg-incr-")
    try:
        hist = os.path.join(work, "hist")
        run(["sh", os.path.join(ROOT, "tools", "make-history.sh"), hist, str(COMMITS), str(BENCHES)], work)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        inc = os.path.join(work, "inc")
        n = [0]

        def full(what, *args):
            n[0] += 1
            d = os.path.join(work, f"full{n[0]}")
            run([BG, "report", "--out", d, *args], hist, env)
            same_tree(what, inc, d)

        def report(*args):
            run([BG, "report", "--out", inc, *args], hist, env)

        report()
        cache = os.path.join(inc, ".benchgate-report-cache")
        if not os.path.exists(cache):
            failures.append("no cache file after a report")
        full("report into an empty directory, twice")
        report()
        full("the same report again into its own directory")

        # A user's own file in the directory is never removed.
        with open(os.path.join(inc, "mine.txt"), "w") as f:
            f.write("kept\n")

        # One new commit with a run (the newest run with other numbers).
        runs = os.path.join(hist, ".benchgate", "runs")
        head = run(["git", "rev-parse", "HEAD"], hist).strip()
        machine = os.listdir(os.path.join(runs, head))[0]
        src_dir = os.path.join(runs, head, machine)
        src = os.path.join(src_dir, sorted(os.listdir(src_dir))[0])
        old_page = os.path.join(inc, "commit-" + run(["git", "rev-parse", "HEAD~5"], hist).strip() + ".html")
        old_inode = os.stat(old_page).st_ino
        run(["git", "commit", "-q", "--allow-empty", "-m", "one more"], hist)
        new = run(["git", "rev-parse", "HEAD"], hist).strip()
        text = open(src).read().replace(head, new)
        text = re.sub(r'("mean": \{"point": )([0-9.]+)', lambda m: m.group(1) + str(float(m.group(2)) * 1.3), text)
        os.makedirs(os.path.join(runs, new, machine))
        with open(os.path.join(runs, new, machine, "1800000000-1-1.json"), "w") as f:
            f.write(text)
        report()
        os.unlink(os.path.join(inc, "mine.txt"))
        full("after one new commit")
        if os.stat(old_page).st_ino != old_inode:
            failures.append("an unchanged commit's page was written again (nothing reused)")
        else:
            print("ok: the page of an unchanged commit was kept")

        # A run rewritten in the store, and a kept page edited by hand: both
        # are made again from the store.
        victim = run(["git", "rev-parse", "HEAD~10"], hist).strip()
        vdir = os.path.join(runs, victim, machine)
        vfile = os.path.join(vdir, os.listdir(vdir)[0])
        vtext = open(vfile).read()
        vtext = re.sub(r'("mean": \{"point": )([0-9.]+)', lambda m: m.group(1) + str(float(m.group(2)) * 2), vtext,
                       count=1)
        with open(vfile, "w") as f:
            f.write(vtext)
        with open(old_page, "a") as f:
            f.write("<!-- edited -->\n")
        report()
        full("after a stored run changed and a page was edited")

        # A damaged cache: a full rebuild, the same files.
        with open(cache, "w") as f:
            f.write("benchgate report cache 1\nsite zz\npage ../../x 1 2 3\n")
        report()
        full("after the cache was damaged")

        # A shorter history (the report of HEAD~1): the newest commit's page
        # and plots of the last report are removed.
        report("HEAD~1")
        full("the report of an older commit", "HEAD~1")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
