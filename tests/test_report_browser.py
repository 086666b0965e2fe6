#!/usr/bin/env python3
"""The HTML report in a real headless browser (Chromium).

Makes a history of 24 commits x 3 benchmarks with tools/make-history.sh, adds
two benchmarks whose names must be escaped (<script>alert(1)</script> and
a"b\\c) to the head run, writes the report with `benchgate report` and loads
every page with browser_check.py: no console errors, every plot loads and
draws, no script runs, the screenshots are not blank, the names show as text.
Then the same without gnuplot: no images, the note on how to get plots.

usage: test_report_browser.py BENCHGATE_EXE SOURCE_DIR
Exit 77 (skipped) when Chromium is not installed; CI installs it.
"""
import copy
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_check  # noqa: E402

NAMES = ["<script>alert(1)</script>", 'a"b\\c']


def run(cmd, cwd, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise SystemExit("FAIL %s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stdout))
    return p.stdout


def check(report, expect, min_images, max_images):
    pages = sorted(p for p in os.listdir(report) if p.endswith(".html"))
    problems, images = [], 0
    br = browser_check.Browser(browser_check.find_chromium(os.environ.get("BENCHGATE_CHROMIUM")), 1280, 1000)
    try:
        for name in pages:
            images += browser_check.check_page(br, report, name, None,
                                               expect if name == "index.html" else [], problems)
    finally:
        br.close()
    if images < min_images:
        problems.append("%s: %d images in all, expected at least %d" % (report, images, min_images))
    if max_images >= 0 and images > max_images:
        problems.append("%s: %d images in all, expected at most %d" % (report, images, max_images))
    print("%s: %d page(s), %d image(s), %d problem(s)" % (report, len(pages), images, len(problems)))
    return problems


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not browser_check.find_chromium(os.environ.get("BENCHGATE_CHROMIUM")):
        print("skipped: chromium not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="bg_browser.")
    try:
        repo = os.path.join(tmp, "repo")
        run([os.path.join(src, "tools", "make-history.sh"), repo, "24", "3", "16"], cwd=tmp)
        head = run(["git", "rev-parse", "HEAD"], cwd=repo).strip()
        stored = glob.glob(os.path.join(repo, ".benchgate", "runs", head, "*", "*.json"))[0]
        record = json.load(open(stored))
        for name in NAMES:
            extra = copy.deepcopy(record["benchmarks"][0])
            extra["name"] = name
            record["benchmarks"].append(extra)
        head_file = os.path.join(tmp, "head.json")
        json.dump(record, open(head_file, "w"))
        env = dict(os.environ)
        env.pop("BENCHGATE_GNUPLOT", None)
        with_plots = os.path.join(tmp, "report")
        run([exe, "report", "--out", with_plots, head_file], cwd=repo, env=env)
        have_gnuplot = shutil.which("gnuplot") is not None
        # Per benchmark: dist, fit, cmp, history and its sparkline; the two
        # added ones have no baseline and a history of one commit: dist, fit.
        problems = check(with_plots, NAMES, 5 * 3 + 2 * 2 if have_gnuplot else 0, -1)
        env["BENCHGATE_GNUPLOT"] = "/nonexistent/gnuplot"
        no_plots = os.path.join(tmp, "report-noplots")
        run([exe, "report", "--out", no_plots, head_file], cwd=repo, env=env)
        problems += check(no_plots, NAMES + ["apt-get install gnuplot-nox"], 0, 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
