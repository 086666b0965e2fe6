#!/usr/bin/env python3
"""The HTML report's plots and pages, read as SVG and in a real headless browser.

Makes a history of 24 commits x 3 benchmarks with tools/make-history.sh (the
first steps up 8 % at commit 16) and gives every run two more benchmarks whose
names must be escaped (<script>alert(1)</script> and a"b\\c), so that they have
a history, a baseline, a comparison and a sparkline too. Then:
  - the plot checker itself: a gnuplot SVG with axes, grid and key but no data
    is flagged, one with data is not (needs gnuplot);
  - the plots' contents, parsed as SVG: the history has its confidence band and
    the change point marked, the fit its slope line and a series per process,
    the overlay a baseline and a head series; the escaped names are text in
    their plots' titles (needs gnuplot);
  - every page in Chromium (browser_check.py): no console errors, every plot
    loads and draws data, no script runs, the screenshots are not blank, and
    the escaped names show as text on the index and on their own pages; then
    the same without gnuplot: no images, the note on how to get plots.

usage: test_report_browser.py BENCHGATE_EXE SOURCE_DIR
Exit 77 (skipped) when Chromium is not installed and nothing else failed; CI
installs it.
"""
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_check  # noqa: E402

NAMES = ["<script>alert(1)</script>", 'a"b\\c']
COL_CP = "214,  39,  40"  # gnuplot.c COL_CP (#d62728) as gnuplot's SVG writes it


def run(cmd, cwd, env=None, stdin=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode != 0:
        raise SystemExit("FAIL %s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stdout))
    return p.stdout


def bench_pages(report):
    """{benchmark name: its page's file name}, from the pages' <h1>."""
    pages = {}
    for path in glob.glob(os.path.join(report, "bench-*.html")):
        m = re.search(r"<h1>(.*?)</h1>", open(path, encoding="utf-8").read())
        if m:
            pages[html.unescape(m.group(1))] = os.path.basename(path)
    return pages


def plot_of(report, page, kind):
    """The path of the `kind` plot (dist, fit, cmp, hist) a benchmark page shows."""
    m = re.search(r'src="(plots/[^"]*-%s\.svg)"' % kind, open(os.path.join(report, page), encoding="utf-8").read())
    return os.path.join(report, m.group(1)) if m else None


def svg_text(path):
    root = ET.parse(path).getroot()
    return [("".join(t.itertext())) for t in root.iter(browser_check.SVG_NS + "text")]


def check_checker(tmp, problems):
    """svg_reason flags a gnuplot SVG without data (axes, grid and key only)
    and passes one with data."""
    cases = [("nodata-key", "plot NaN title 'mean'", False),
             ("nodata", "plot NaN notitle", False),
             ("nodata-points", "plot NaN with points title 'samples'", False),
             ("data", "plot '-' using 1:2 with lines title 'mean'\n1 1\n2 3\n3 2\ne", True),
             ("one-point", "plot '-' using 1:2 with points notitle\n1 1\ne", True)]
    for name, plot, has_data in cases:
        path = os.path.join(tmp, name + ".svg")
        run(["gnuplot"], tmp, stdin="set terminal svg size 600,400\nset output '%s'\nset grid\n"
            "set xrange [0:4]\nset yrange [0:4]\nset xlabel 'x'\nset ylabel 'y'\n%s\nset output\n" % (path, plot))
        why = browser_check.svg_reason(path)
        if has_data and why:
            problems.append("plot checker: %s flagged although it draws data: %s" % (name, why))
        if not has_data and not why:
            problems.append("plot checker: %s (%s) passed although it draws no data" % (name, plot))
    with open(os.path.join(tmp, "cut.svg"), "w") as f:
        f.write("<svg xmlns='http://www.w3.org/2000/svg'><g id='gnuplot_plot_1'><path d='M1,1 L2,2 L3,3")
    if not browser_check.svg_reason(os.path.join(tmp, "cut.svg")):
        problems.append("plot checker: a truncated SVG passed")


def series(path, title_prefix):
    return [s for s in browser_check.svg_series(path) if s["title"].startswith(title_prefix)]


def check_plots(report, problems):
    """What the plots draw, parsed as SVG."""
    pages = bench_pages(report)
    for name in ["bench_00_sort", "bench_01_hash", "bench_02_parse"] + NAMES:
        if name not in pages:
            problems.append("no page for benchmark %r" % name)
            continue
        paths = {k: plot_of(report, pages[name], k) for k in ("dist", "fit", "cmp", "hist")}
        for k, path in paths.items():
            if not path:
                problems.append("%s: the page of %r shows no %s plot" % (pages[name], name, k))
        if None in paths.values():
            continue
        # The fit: the slope line (data beyond its key sample) and one
        # series per process, as many as the run has (5).
        slope = series(paths["fit"], "fitted slope")
        if len(slope) != 1 or browser_check.series_data(slope[0]) < 2:
            problems.append("%s: no fitted slope line" % paths["fit"])
        procs = series(paths["fit"], "process ")
        if len(procs) != 5 or not all(browser_check.series_data(s) > 0 for s in procs):
            problems.append("%s: %d process series with data, expected 5" % (paths["fit"], len(procs)))
        # The overlay: a baseline and a head series, both drawn.
        for who in ("baseline", "head"):
            s = series(paths["cmp"], who)
            if len(s) != 1 or browser_check.series_data(s[0]) < 10:
                problems.append("%s: no %s distribution drawn" % (paths["cmp"], who))
        # The history: a confidence band along the commits and the means.
        band = series(paths["hist"], "confidence interval")
        if len(band) != 1 or browser_check.series_data(band[0]) < 2 * 24 - 4:
            problems.append("%s: no confidence band over the 24 commits" % paths["hist"])
        line = series(paths["hist"], "mean")
        if not line or browser_check.series_data(line[0]) < 24:
            problems.append("%s: no line of means" % paths["hist"])
        # Names are text in the plots' titles (XML-escaped, read back here).
        for k in ("dist", "fit", "cmp", "hist"):
            if not any(t.startswith(name + ":") for t in svg_text(paths[k])):
                problems.append("%s: the title does not name %r" % (paths[k], name))
    # The change point of bench_00_sort (+8 % from commit 16): a vertical
    # line in the change-point colour, its label, its key entry and the
    # dashed segment means; bench_02_parse stays flat: none.
    hist = plot_of(report, pages.get("bench_00_sort", ""), "hist") if "bench_00_sort" in pages else None
    if hist:
        text = open(hist, encoding="utf-8").read()
        vertical = [m for m in re.finditer(r"stroke='rgb\(%s\)'\s+d='M([\d.]+),[\d.]+ L([\d.]+),[\d.]+\s*'"
                                           % re.escape(COL_CP), text) if m.group(1) == m.group(2)]
        if len(vertical) != 1:
            problems.append("%s: %d change-point line(s), expected 1" % (hist, len(vertical)))
        if not any(re.fullmatch(r"\+[78]\.\d%", t) for t in svg_text(hist)):
            problems.append("%s: no '+8.0%%'-like label at the change point" % hist)
        if len(series(hist, "change point")) != 1 or len(series(hist, "mean between change points")) != 1:
            problems.append("%s: the key lacks the change point or the segment means" % hist)
    flat = plot_of(report, pages.get("bench_02_parse", ""), "hist") if "bench_02_parse" in pages else None
    if flat and series(flat, "change point"):
        problems.append("%s: a change point on a flat history" % flat)


def check(report, expect, min_images, max_images):
    """Every page in Chromium; `expect` texts on the index and, for each
    escaped name, on its own page."""
    pages = sorted(p for p in os.listdir(report) if p.endswith(".html"))
    own = bench_pages(report)
    expect_on = {"index.html": expect}
    problems, images = [], 0
    for name in NAMES:
        if name in own:
            expect_on[own[name]] = [name]
        else:
            problems.append("%s: no page for benchmark %r" % (report, name))
    br = browser_check.Browser(browser_check.find_chromium(os.environ.get("BENCHGATE_CHROMIUM")), 1280, 1000)
    try:
        for name in pages:
            images += browser_check.check_page(br, report, name, None, expect_on.get(name, []), problems)
    finally:
        br.close()
    if images < min_images:
        problems.append("%s: %d images in all, expected at least %d" % (report, images, min_images))
    if max_images >= 0 and images > max_images:
        problems.append("%s: %d images in all, expected at most %d" % (report, images, max_images))
    print("%s: %d page(s), %d image(s), %d problem(s)" % (report, len(pages), images, len(problems)))
    return problems


def add_names(repo):
    """Every stored run gets the two benchmarks with names to escape (copies
    of its first two benchmarks), so they have a history and a baseline."""
    for path in glob.glob(os.path.join(repo, ".benchgate", "runs", "*", "*", "*.json")):
        record = json.load(open(path))
        for i, name in enumerate(NAMES):
            extra = json.loads(json.dumps(record["benchmarks"][i]))
            extra["name"] = name
            record["benchmarks"].append(extra)
        json.dump(record, open(path, "w"))


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    have_gnuplot = shutil.which("gnuplot") is not None
    have_chromium = browser_check.find_chromium(os.environ.get("BENCHGATE_CHROMIUM")) is not None
    if not have_gnuplot and not have_chromium:
        print("skipped: neither gnuplot nor chromium is installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="bg_browser.")
    problems = []
    try:
        repo = os.path.join(tmp, "repo")
        run([os.path.join(src, "tools", "make-history.sh"), repo, "24", "3", "16"], cwd=tmp)
        add_names(repo)
        env = dict(os.environ)
        env.pop("BENCHGATE_GNUPLOT", None)
        with_plots = os.path.join(tmp, "report")
        run([exe, "report", "--out", with_plots], cwd=repo, env=env)
        if have_gnuplot:
            check_checker(tmp, problems)
            check_plots(with_plots, problems)
        if have_chromium:
            # Per benchmark: dist, fit, cmp and history on its page, its
            # sparkline on the index.
            problems += check(with_plots, NAMES, 5 * 5 if have_gnuplot else 0, 5 * 5)
            env["BENCHGATE_GNUPLOT"] = "/nonexistent/gnuplot"
            no_plots = os.path.join(tmp, "report-noplots")
            run([exe, "report", "--out", no_plots], cwd=repo, env=env)
            problems += check(no_plots, NAMES + ["apt-get install gnuplot-nox"], 0, 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("FAIL " + p)
    if problems:
        return 1
    if not have_chromium:
        print("plots checked; browser checks skipped: chromium not installed")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
