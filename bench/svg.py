"""Ratio charts for bench/RESULTS.md, as plain SVG (no plotting library).

One chart per benchmark: for each case a cluster of horizontal bars, one
per configuration, showing its cost relative to the baseline measured in
the same run (1 = as fast as the baseline, 3 = three times the time or a
third of the throughput).  The axis is logarithmic and bars grow from the
baseline line, right for slower and left for faster, so a 100x peer and a
1.2x MicronOS row are both readable.  Rows with no figure say why in a
word ("not available") instead of a bar.

Used by bench/lib/report.py: render(path, title, cases) where cases is a
list of (case name, [(config, ratio or None, detail), ...]); detail (the
median with its unit) is printed after the ratio.
"""
import math
from xml.sax.saxutils import escape

COLOURS = {
    "native": "#868e96",
    "bwrap": "#4263eb",
    "proot": "#7048e8",
    "runsc": "#1098ad",
    "strace": "#ae3ec9",
    "bindfs": "#4263eb",
    "lxcfs": "#1098ad",
}
MICRONOS = "#e8590c"
FLOOR = "#2f9e44"
OTHER = "#495057"

LABEL_W = 250
PLOT_W = 470
RIGHT_W = 150
ROW_H = 17
CASE_H = 24
TOP = 54
BOTTOM = 34


def colour(config):
    if "micronos" in config:
        return MICRONOS
    if "floor" in config:
        return FLOOR
    return COLOURS.get(config, OTHER)


def _ticks(lo, hi):
    out = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                out.append(v)
        e += 1
    return out


def _fmt_ratio(r):
    if r >= 100:
        return "%.0f\u00d7" % r
    if r >= 10:
        return "%.1f\u00d7" % r
    return "%.2f\u00d7" % r


def _fmt_tick(v):
    return ("%g" % v) + "\u00d7"


def render(path, title, cases):
    ratios = [r for _, rows in cases for _, r, _ in rows if r]
    lo = min(min(ratios + [1.0]) / 1.3, 0.5)
    hi = max(max(ratios + [1.0]) * 1.35, 2.0)
    llo, lhi = math.log10(lo), math.log10(hi)

    def x(v):
        return LABEL_W + (math.log10(v) - llo) / (lhi - llo) * PLOT_W

    nrows = sum(len(rows) for _, rows in cases)
    height = TOP + len(cases) * CASE_H + nrows * ROW_H + BOTTOM
    width = LABEL_W + PLOT_W + RIGHT_W
    s = []
    s.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, sans-serif" '
             'font-size="11">' % (width, height, width, height))
    s.append('<rect width="100%" height="100%" fill="white"/>')
    s.append('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>'
             % escape(title))
    s.append('<text x="10" y="38" fill="#495057">cost relative to the '
             'baseline in the same run (log scale; right of 1\u00d7 is '
             'slower, left is faster)</text>')
    plot_top, plot_bot = TOP - 4, height - BOTTOM + 4
    for t in _ticks(lo, hi):
        xt = x(t)
        s.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" '
                 'stroke-width="%s"/>' % (xt, plot_top, xt, plot_bot,
                                          "#343a40" if t == 1 else "#dee2e6",
                                          "1.5" if t == 1 else "1"))
        s.append('<text x="%.1f" y="%d" text-anchor="middle" '
                 'fill="#495057">%s</text>' % (xt, plot_bot + 14,
                                               _fmt_tick(t)))
    y = TOP
    for case, rows in cases:
        s.append('<text x="10" y="%d" font-weight="bold">%s</text>'
                 % (y + 16, escape(case)))
        y += CASE_H
        for config, r, detail in rows:
            s.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                     % (LABEL_W - 8, y + 12, escape(config)))
            if r is None or r <= 0:
                s.append('<text x="%.1f" y="%d" fill="#adb5bd" '
                         'font-style="italic">%s</text>'
                         % (x(1) + 6, y + 12, escape(detail or
                                                     "not available")))
            else:
                x0, x1 = sorted((x(1), x(r)))
                s.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                         'fill="%s"><title>%s: %s</title></rect>'
                         % (x0, y + 2, max(x1 - x0, 1.5), ROW_H - 4,
                            colour(config), escape(config), _fmt_ratio(r)))
                label = _fmt_ratio(r)
                xl = max(x(r), x(1)) + 4
                s.append('<text x="%.1f" y="%d" fill="#212529">%s</text>'
                         % (xl, y + 12, label))
                if detail:
                    # A text of its own, not a tspan: some renderers
                    # place tspans on top of the text before them.
                    s.append('<text x="%.1f" y="%d" fill="#868e96">%s'
                             '</text>' % (xl + 7 * len(label) + 6, y + 12,
                                          escape(detail)))
            y += ROW_H
    s.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")
