#!/usr/bin/env python3
"""check-report.py: checks of a campaign's report.html and of its screenshot,
for tests/t155-report.sh.  Standard library only.

    check-report.py html DIR        report.html against DIR's tables
    check-report.py empty DIR       the page of a campaign with no rows yet
    check-report.py png FILE        a screenshot of the report: not blank

Prints what it found wrong and exits 1, or exits 0."""
import html.parser
import math
import os
import struct
import sys
import zlib

VOID = {"meta", "br", "img", "input", "link", "hr", "wbr"}


class Page(html.parser.HTMLParser):
    """Tags must nest (every non-void tag closed, in order)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.svgs = [], [], 0
        self.polylines, self.text = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
        if tag == "polyline":
            self.polylines.append(dict(attrs))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag == "polyline":
            self.polylines.append(dict(attrs))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s> at line %d" % (
                tag, self.stack[-1] if self.stack else "nothing",
                self.getpos()[0]))
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    src = open(path, encoding="utf-8").read()
    p = Page()
    p.feed(src)
    p.close()
    if p.stack:
        p.errors.append("unclosed: %s" % p.stack)
    return src, p


def tsv(path):
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def fail(msgs):
    for m in msgs:
        print("check-report: " + m)
    sys.exit(1 if msgs else 0)


def no_outside(src, bad):
    # self-contained: no script, nothing fetched
    for s in ("<script", " src=", " href=", "url(", "@import", "https:"):
        if s in src:
            bad.append("found %r" % s)
    if src.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http:"):
        bad.append("a http: reference besides the SVG namespace")


def check_html(d):
    src, p = parse(d + "/report.html")
    bad = list(p.errors)
    no_outside(src, bad)
    m = tsv(d + "/metrics.tsv")
    text = " ".join(p.text)
    if p.svgs != 6:
        bad.append("%d svg elements, want 6" % p.svgs)
    last = m[-1]
    want = ["%d" % len(m), last["labels"], "%.4g" % float(last["val_rmse"]),
            "%.4g" % float(last["prosp_rmse"]),
            "%.4g" % float(last["wall_s"]) + " s",
            "Learning curve", "Calibration", "Worker utilisation",
            "Time per stage"]
    # A campaign of pal-orchestrate has its baseline only with baseline =
    # yes; the synthetic one always has it.
    has_base = os.path.exists(d + "/baseline/metrics.tsv")
    if has_base:
        want.append("baseline (random)")
    # busy seconds per stage, summed here from events.tsv
    busy = {}
    for e in tsv(d + "/events.tsv"):
        busy[e["stage"]] = busy.get(e["stage"], 0.0) + \
            float(e["t_end"]) - float(e["t_start"])
    for st, s in busy.items():
        want.append("%.4g s" % s)
    for w in want:
        if w not in text:
            bad.append("no %r in the page's text" % w)
    # the learning curve: one point per generation, NaN left out
    for colour, col, base in (("#1f77b4", "val_rmse", ""),
                              ("#d62728", "prosp_rmse", ""),
                              ("#2ca02c", "mean_std", ""),
                              ("#7f7f7f", "val_rmse", "/baseline")):
        if base and not has_base:
            continue
        rows = tsv(d + base + "/metrics.tsv")
        n = sum(1 for r in rows if not math.isnan(float(r[col])))
        lines = [pl for pl in p.polylines if pl.get("stroke") == colour]
        if not lines:
            bad.append("no %s polyline for %s" % (colour, col))
            continue
        got = len(lines[0]["points"].split())
        if got != n:
            bad.append("%s%s curve has %d points, want %d" % (
                base, col, got, n))
    # per generation, in the page's order: calibration, busy fraction
    purple = [pl for pl in p.polylines if pl.get("stroke") == "#9467bd"]
    cols = ["prosp_mean_abs_z", "prosp_within2", "busy_label"]
    if len(purple) != len(cols):
        bad.append("%d per-generation curves, want %d" % (len(purple),
                                                          len(cols)))
    for pl, col in zip(purple, cols):
        n = sum(1 for r in m if not math.isnan(float(r[col])))
        if len(pl["points"].split()) != n:
            bad.append("%s curve has %d points, want %d" % (
                col, len(pl["points"].split()), n))
    # escaped config value, read back as text by the parser
    cfg = open(d + "/config").read()
    if '<x>' in cfg and './oracle <x> & echo "done"' not in text:
        bad.append("the config value is not in the text as written")
    if "<x>" in src:
        bad.append("an unescaped config value in the source")
    fail(bad)


def check_empty(d):
    src, p = parse(d + "/report.html")
    bad = list(p.errors)
    no_outside(src, bad)
    text = " ".join(p.text)
    for w in ("Nothing yet", "No events recorded yet"):
        if w not in text:
            bad.append("no %r" % w)
    if p.svgs:
        bad.append("%d svg elements in an empty report" % p.svgs)
    fail(bad)


def png_pixels(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, lace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or lace:
                raise ValueError("PNG of depth %d, colour type %d, "
                                 "interlace %d" % (depth, ctype, lace))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path):
    w, h, bpp, rows = png_pixels(path)
    colours, nonwhite = set(), 0
    seen = {"#1f77b4": 0, "#d62728": 0, "#2ca02c": 0, "#ff7f0e": 0}
    want = {k: tuple(int(k[i:i + 2], 16) for i in (1, 3, 5)) for k in seen}
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = (row[x], row[x + 1], row[x + 2])
            colours.add(px)
            if px != (255, 255, 255):
                nonwhite += 1
                for k, c in want.items():
                    if sum(abs(px[i] - c[i]) for i in range(3)) < 30:
                        seen[k] += 1
    bad = []
    if len(colours) < 2:
        bad.append("one colour only: blank")
    if nonwhite < w * h // 100:
        bad.append("only %d non-white pixels of %d" % (nonwhite, w * h))
    for k, n in seen.items():
        if n < 20:
            bad.append("%d pixels of the colour %s (a curve or bar)" % (n, k))
    print("%dx%d, %d colours, %d non-white pixels, curve colours %s" % (
        w, h, len(colours), nonwhite, seen))
    fail(bad)


if __name__ == "__main__":
    {"html": check_html, "empty": check_empty, "png": check_png}[
        sys.argv[1]](sys.argv[2])
