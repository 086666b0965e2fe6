#!/usr/bin/env python3
"""Loads pages of a benchgate HTML report in headless Chromium and checks them.

Driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands
on fd 3, replies on fd 4), so console messages, failed loads and script
dialogs are seen as events rather than scraped from logs. For each page:
  - it loads, with no console error, no failed resource load, no exception
    and no JavaScript dialog (a benchmark named <script>alert(1)</script>
    must not run);
  - every <img> loaded (naturalWidth > 0) and its SVG file draws data (a
    gnuplot plot group with more than its key sample: axes, grid and key
    alone do not count);
  - the page holds no <script> element (the report needs no JavaScript);
  - a screenshot is not blank (a PNG decoded here: more than one colour,
    and enough pixels that are not the background);
  - the texts given with --expect-text appear as text on the index page.

usage: browser_check.py [--screenshots DIR] [--expect-text T]... [--min-images N]
                        [--chromium PATH] REPORT_DIR [PAGE...]
Exit status 0 when every page passes, 1 otherwise, 77 (meson's "skipped")
when Chromium is not installed.
"""
import argparse
import base64
import json
import os
import shutil
import struct
import subprocess
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib


def find_chromium(explicit):
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium and one page (tab) driven over the pipe."""

    def __init__(self, exe, width, height):
        self.profile = tempfile.mkdtemp(prefix="bg-chromium-")
        cmd_r, cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        ev_r, ev_w = os.pipe()    # Chromium writes fd 4, we read

        def child_fds():
            # Through high numbers first: the pipe ends may already be 3 or 4.
            hi_r, hi_w = os.dup(cmd_r), os.dup(ev_w)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
             "--window-size=%d,%d" % (width, height), "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)  # Python's own fds are not inherited (PEP 446)
        os.close(cmd_r)
        os.close(ev_w)
        self.w = os.fdopen(cmd_w, "wb")
        self.r = os.fdopen(ev_r, "rb")
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _read_message(self):
        while b"\0" not in self.buf:
            chunk = self.r.read1(1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        self.w.flush()
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method):
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method:
                    return self.events.pop(i)
            m = self._read_message()
            if "method" in m:
                self.events.append(m)
            if m.get("method") == "Page.javascriptDialogOpening":
                # A dialog blocks the page until answered; it is reported later.
                self.call("Page.handleJavaScriptDialog", {"accept": True})

    def close(self):
        try:
            self.session = None
            self.call("Browser.close")
        except (RuntimeError, OSError, BrokenPipeError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def png_pixels(data):
    """Decodes an 8-bit RGB/RGBA, non-interlaced PNG: (width, height, rows)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def blank_reason(png):
    """None when the screenshot shows something; else why it looks blank."""
    width, height, bpp, rows = png_pixels(png)
    counts = {}
    for row in rows:
        for x in range(0, width * bpp, bpp):
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    if len(counts) < 2:
        return "a single colour"
    if (total - background) / total < 0.005:
        return "%.2f %% of pixels differ from the background" % (100 * (total - background) / total)
    return None


SVG_NS = "{http://www.w3.org/2000/svg}"
POINT = re.compile(r"-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?")


def svg_series(path):
    """The data series of a gnuplot SVG file, one dict per plot group (gnuplot
    puts each plot of its `plot` command in a <g id="..._plot_N"> group):
    title (its first text, the key's, "" without one), texts (its <text>
    elements: the key's title and character point symbols such as pt '|'),
    vertices (the points of its paths and polygons) and marks (its point
    symbols: <use>, <circle>, <rect>). Raises ValueError when not SVG."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise ValueError("%s is not a whole SVG file: %s" % (path, e))
    series = []
    for g in root.iter(SVG_NS + "g"):
        if not re.search(r"_plot_\d+$", g.get("id", "")):
            continue
        s = {"title": "", "texts": 0, "vertices": 0, "marks": 0}
        for e in g.iter():
            tag = e.tag.replace(SVG_NS, "")
            if tag == "text":
                s["title"] = s["title"] or "".join(e.itertext())
                s["texts"] += 1
            elif tag == "path":
                s["vertices"] += len(POINT.findall(e.get("d", "")))
            elif tag in ("polygon", "polyline"):
                s["vertices"] += len(POINT.findall(e.get("points", "")))
            elif tag in ("use", "circle", "rect"):
                s["marks"] += 1
        series.append(s)
    return series


def series_data(s):
    """What a series draws beyond its key entry. A titled series spends on the
    key its title text, at most 4 vertices (a line's 2, a filled area's box)
    and one point symbol (a mark or a character); the rest is data."""
    vertices, symbols = s["vertices"], s["marks"] + s["texts"]
    if s["title"]:
        vertices, symbols = max(0, vertices - 4), max(0, symbols - 2)
    return vertices + symbols


def svg_reason(path):
    """None when the SVG file draws data; else what is wrong with it. Axes,
    grid, labels and keys are not data: some plot group must draw more than
    its key sample."""
    try:
        series = svg_series(path)
    except ValueError as e:
        return str(e)
    if not series:
        return "%s has no data series (no gnuplot plot group)" % path
    if not any(series_data(s) > 0 for s in series):
        return "%s draws no data (%d series, each at most its key sample)" % (path, len(series))
    return None


PAGE_FACTS = """JSON.stringify({
  title: document.title,
  text: document.body ? document.body.innerText.length : 0,
  scripts: document.getElementsByTagName('script').length,
  images: Array.from(document.images).map(function (i) {
    return {src: i.getAttribute('src'), done: i.complete, w: i.naturalWidth, h: i.naturalHeight};
  })
})"""


def check_page(br, report, name, shots, expect, problems):
    url = "file://" + os.path.abspath(os.path.join(report, name))
    br.events = []
    br.call("Page.navigate", {"url": url})
    br.wait_event("Page.loadEventFired")
    facts = json.loads(br.call("Runtime.evaluate", {"expression": PAGE_FACTS,
                                                    "returnByValue": True})["result"]["value"])
    if expect:
        body = br.call("Runtime.evaluate", {"expression": "document.body.innerText",
                                            "returnByValue": True})["result"]["value"]
        for t in expect:
            if t not in body:
                problems.append("%s: the text %r is not shown on the page" % (name, t))
    # The whole page, so that plots below the fold are in the picture; the
    # blank check decodes a fifth-scale copy (decoding PNG here is slow).
    size = br.call("Page.getLayoutMetrics")["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 0.2}
    small = base64.b64decode(br.call("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                                 "captureBeyondViewport": True})["data"])
    if shots:
        clip["scale"] = 1
        full = base64.b64decode(br.call("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                                    "captureBeyondViewport": True})["data"])
        with open(os.path.join(shots, name.replace(".html", ".png")), "wb") as f:
            f.write(full)
    # Events that arrived while the page loaded and was inspected.
    for e in br.events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            problems.append("%s: console %s: %s" % (name, p["type"],
                            " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", []))))
        elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            problems.append("%s: console %s: %s" % (name, p["entry"]["level"], p["entry"]["text"]))
        elif m == "Runtime.exceptionThrown":
            problems.append("%s: exception: %s" % (name, p["exceptionDetails"].get("text")))
        elif m == "Page.javascriptDialogOpening":
            problems.append("%s: a script opened a dialog: %s" % (name, p.get("message")))
    br.events = []
    if not facts["title"]:
        problems.append("%s: no title" % name)
    if facts["text"] < 40:
        problems.append("%s: almost no text (%d characters)" % (name, facts["text"]))
    if facts["scripts"]:
        problems.append("%s: holds %d <script> element(s)" % (name, facts["scripts"]))
    for img in facts["images"]:
        if not img["done"] or img["w"] == 0:
            problems.append("%s: image %s did not load" % (name, img["src"]))
            continue
        why = svg_reason(os.path.join(report, img["src"]))
        if why:
            problems.append("%s: image %s: %s" % (name, img["src"], why))
    why = blank_reason(small)
    if why:
        problems.append("%s: the screenshot looks blank: %s" % (name, why))
    return len(facts["images"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report")
    ap.add_argument("pages", nargs="*")
    ap.add_argument("--screenshots")
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--min-images", type=int, default=0,
                    help="fail unless the pages show at least this many images in all")
    ap.add_argument("--max-images", type=int, default=-1,
                    help="fail when the pages show more images than this (-1: no limit)")
    ap.add_argument("--chromium", default=os.environ.get("BENCHGATE_CHROMIUM"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=1000)
    a = ap.parse_args()
    exe = find_chromium(a.chromium)
    if not exe:
        print("skipped: chromium not installed (apt-get install chromium)")
        return 77
    pages = a.pages or sorted(p for p in os.listdir(a.report) if p.endswith(".html"))
    if a.screenshots:
        os.makedirs(a.screenshots, exist_ok=True)
    problems, images = [], 0
    br = Browser(exe, a.width, a.height)
    try:
        for name in pages:
            images += check_page(br, a.report, name, a.screenshots,
                                 a.expect_text if name == "index.html" else [], problems)
    finally:
        br.close()
    if images < a.min_images:
        problems.append("%d images in all, expected at least %d" % (images, a.min_images))
    if a.max_images >= 0 and images > a.max_images:
        problems.append("%d images in all, expected at most %d" % (images, a.max_images))
    for p in problems:
        print("FAIL " + p)
    print("%d page(s), %d image(s), %d problem(s)" % (len(pages), images, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
