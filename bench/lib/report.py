#!/usr/bin/python3
"""Turn bench/run's results file into bench/RESULTS.md and its charts.

    report.py RESULTS.TSV OUTDIR

The results file is written by bench/lib/common.sh (record kinds G, M, S,
C, N, I; see there).  For every row this computes the median of the
samples, their range and spread, and the cost ratio to the group's
baseline configuration from the same run (value / baseline for times,
baseline / value for rates, so that above 1 always means slower).  The
aims of issue 7 are checked against the same figures.  Nothing is
estimated: a row without samples shows the recorded reason.
"""
import collections
import os
import statistics
import sys

# bench/svg.py, without leaving a __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import svg  # noqa: E402


# Markers of the section bench/fuse_requests.sh -w maintains.
FUSE_BEGIN = "<!-- fuse_requests.sh begin -->"
FUSE_END = "<!-- fuse_requests.sh end -->"


class Group:
    def __init__(self, name):
        self.name = name
        self.title = name
        self.baseline = ""
        self.ref2 = ""
        self.desc = ""
        self.cases = collections.OrderedDict()  # case -> (unit, better)
        self.configs = []
        self.samples = collections.defaultdict(list)
        self.cmds = collections.OrderedDict()  # (case, cfg) -> [cmd]
        self.na = collections.OrderedDict()  # (case, cfg) -> [reason]
        self.order = []  # preferred row order (O records)

    def rows(self):
        """Configurations in table order: the declared order first."""
        first = []
        for c in self.order:
            if c in self.configs and c not in first:
                first.append(c)
        return first + [c for c in self.configs if c not in first]

    def config(self, cfg):
        if cfg not in self.configs:
            self.configs.append(cfg)

    def case(self, case):
        if case not in self.cases:
            self.cases[case] = ("", "lower")

    def median(self, case, cfg):
        v = self.samples.get((case, cfg))
        return statistics.median(v) if v else None

    def ratio(self, case, cfg, ref):
        """Cost of cfg relative to ref for case, or None."""
        a, b = self.median(case, cfg), self.median(case, ref)
        if a is None or b is None or a <= 0 or b <= 0:
            return None
        better = self.cases.get(case, ("", "lower"))[1]
        return a / b if better == "lower" else b / a


def load(path):
    groups = collections.OrderedDict()
    info = []

    def group(name):
        if name not in groups:
            groups[name] = Group(name)
        return groups[name]

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            kind = p[0]
            if kind == "I" and len(p) >= 3:
                info.append((p[1], p[2]))
            elif kind == "O" and len(p) >= 3:
                g = group(p[1])
                g.order = [c for c in p[2:] if c]
            elif kind == "G" and len(p) >= 6:
                g = group(p[1])
                g.title, g.baseline, g.ref2, g.desc = p[2], p[3], p[4], p[5]
            elif kind == "M" and len(p) >= 5:
                group(p[1]).cases[p[2]] = (p[3], p[4])
            elif kind == "S" and len(p) >= 5:
                g = group(p[1])
                g.case(p[2])
                g.config(p[3])
                try:
                    g.samples[(p[2], p[3])].append(float(p[4]))
                except ValueError:
                    g.na.setdefault((p[2], p[3]), []).append(
                        "unparsable figure %r" % p[4])
            elif kind == "C" and len(p) >= 5:
                g = group(p[1])
                g.case(p[2])
                g.config(p[3])
                g.cmds.setdefault((p[2], p[3]), [])
                if p[4] not in g.cmds[(p[2], p[3])]:
                    g.cmds[(p[2], p[3])].append(p[4])
            elif kind == "N" and len(p) >= 5:
                g = group(p[1])
                g.case(p[2])
                g.config(p[3])
                r = g.na.setdefault((p[2], p[3]), [])
                if p[4] not in r:
                    r.append(p[4])
    return groups, info


def fmt(v, unit=""):
    if v is None:
        return "—"
    a = abs(v)
    if unit.endswith("/s") and a >= 1e4:
        for div, pre in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return "%.3g %s" % (v / div, pre)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 100:
        return "%.0f×" % r
    if r >= 10:
        return "%.1f×" % r
    return "%.2f×" % r


def md_escape(s):
    return s.replace("|", "\\|")


# --- aims (issue 7, and the bench lines of issues 4 and 5) ---------------

def aims(groups):
    """Yields (aim, measured, status) rows."""
    G = groups.get
    empty = Group("")

    def g(name):
        return G(name) or empty

    def why(grp, case, cfg):
        r = g(grp).na.get((case, cfg))
        return r[0] if r else "not measured in this run"

    def check(aim, pairs, ok_fn, show):
        """pairs: list of (label, value or None, (grp, case, cfg))."""
        missing = [(lbl, src) for lbl, v, src in pairs if v is None]
        if missing:
            lbl, src = missing[0]
            return (aim, "%s: not available (%s)" % (lbl, why(*src)),
                    "not measured")
        text = "; ".join("%s %s" % (lbl, show(v)) for lbl, v, _ in pairs)
        ok = all(ok_fn(v) for _, v, _ in pairs)
        return (aim, text, "**met**" if ok else "**missed**")

    sc = g("syscalls")
    out = []
    out.append(check(
        "A translated call (uname) within 1.5× of the bare notify "
        "round trip",
        [("uname", sc.ratio("uname", "micronos-run", "notify floor"),
          ("syscalls", "uname", "micronos-run"))],
        lambda r: r <= 1.5, fmt_ratio))
    out.append(check(
        "Untrapped calls within 1.1× of native",
        [(c, sc.ratio(c, "micronos-run", "native"),
          ("syscalls", c, "micronos-run")) for c in ("stat", "read4k")],
        lambda r: r <= 1.1, fmt_ratio))
    for peer in ("runsc", "proot"):
        out.append(check(
            "At least 10× faster than %s on every syscall case" % peer,
            [(c, sc.ratio(c, peer, "micronos-run"),
              ("syscalls", c, peer if sc.median(c, peer) is None
               else "micronos-run"))
             for c in ("getpid", "open_close", "stat", "read4k")],
            lambda r: r >= 10, lambda r: "%s faster" % fmt_ratio(r)))
    wk = g("work")
    cases = list(wk.cases) or ["tar", "find", "python3", "build", "sh-1000"]
    out.append(check(
        "Real work under micronos-run within 1.3× of native",
        [(c, wk.ratio(c, "micronos-run", "native"),
          ("work", c, "micronos-run")) for c in cases],
        lambda r: r <= 1.3, fmt_ratio))
    for peer in ("proot", "runsc"):
        out.append(check(
            "Real work ahead of %s (micronos-run faster)" % peer,
            [(c, wk.ratio(c, peer, "micronos-run"),
              ("work", c, peer if wk.median(c, peer) is None
               else "micronos-run")) for c in cases],
            lambda r: r > 1, lambda r: "%s faster" % fmt_ratio(r)))
    st = g("startup")
    out.append(check(
        "Startup of micronos-run under 10 ms with an instance running",
        [("median", st.median("true", "micronos-run, instance up"),
          ("startup", "true", "micronos-run, instance up"))],
        lambda v: v < 10, lambda v: "%s ms" % fmt(v)))
    fs = g("fs")
    # The instance's own mount when it ran, else bench_fs's (same code).
    mn = "micronos"
    if not any(k[1] == mn for k in fs.samples):
        if any(k[1] == "micronos (bench_fs)" for k in fs.samples):
            mn = "micronos (bench_fs)"
    out.append(check(
        "Storage throughput at or above bindfs's (%s)" % mn,
        [(c, fs.ratio(c, "bindfs", mn),
          ("fs", c, mn if fs.median(c, mn) is None
           else "bindfs")) for c in ("write 256 MiB", "read 256 MiB")],
        lambda r: r >= 1, lambda r: "%s of bindfs" % fmt_ratio(r)))
    out.append(check(
        "dev/zero 1 MiB reads through the mount above 2 GB/s (%s)" % mn,
        [("MicronOS", fs.median("dev/zero 1 MiB reads", mn),
          ("fs", "dev/zero 1 MiB reads", mn))],
        lambda v: v > 2000, lambda v: "%s MB/s" % fmt(v)))
    mem = g("memory")
    out.append(check(
        "Daemon idle RSS under 16 MiB",
        [("idle", mem.median("idle", "daemon"), ("memory", "idle", "daemon"))],
        lambda v: v < 16, lambda v: "%s MiB" % fmt(v)))
    a = mem.median("after 50,000 create/unlink", "daemon")
    b = mem.median("after 100,000 create/unlink", "daemon")
    out.append(check(
        "No growth over create/unlink cycles (RSS after 100,000 minus "
        "after 50,000, at most 0.5 MiB)",
        [("growth", None if a is None or b is None else b - a,
          ("memory", "after 100,000 create/unlink", "daemon"))],
        lambda v: v <= 0.5, lambda v: "%+.2f MiB" % v))
    kn = g("kernel")
    out.append(check(
        "At least 5 million syscall dispatches a second on one core",
        [("bench_core", kn.median("syscall.dispatch", "bench_core"),
          ("kernel", "syscall.dispatch", "bench_core"))],
        lambda v: v >= 5e6, lambda v: "%s/s" % fmt(v, "/s")))
    out.append(check(
        "At least 2 million events published a second",
        [("bench_evbus", kn.median("evbus.publish", "bench_evbus"),
          ("kernel", "evbus.publish", "bench_evbus"))],
        lambda v: v >= 2e6, lambda v: "%s/s" % fmt(v, "/s")))
    return out


# --- tables ---------------------------------------------------------------

def table(g):
    """Markdown for one group's table, with footnotes for partial rows."""
    has_base = bool(g.baseline)
    head = ["case", "configuration", "median", "min … max", "spread", "runs"]
    if has_base:
        head.append("× %s" % g.baseline)
    if g.ref2:
        head.append("× %s" % g.ref2)
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * 2 + ["--:"] * (len(head) - 2)) + "|"]
    notes = []

    def note(text):
        if text not in notes:
            notes.append(text)
        return "[%d]" % (notes.index(text) + 1)

    for case, (unit, better) in g.cases.items():
        first = True
        for cfg in g.rows():
            key = (case, cfg)
            if key not in g.samples and key not in g.na:
                continue
            label = "%s (%s)" % (case, unit) if first and unit else (
                case if first else "")
            first = False
            v = g.samples.get(key)
            reasons = g.na.get(key, [])
            if not v:
                r = "; ".join(reasons)
                cells = [md_escape(label), md_escape(cfg),
                         "not available " + note(r) if len(r) > 60
                         else "not available: %s" % md_escape(r)]
                cells += [""] * (len(head) - 3)
                lines.append("| " + " | ".join(cells) + " |")
                continue
            med = statistics.median(v)
            spread = (max(v) - min(v)) / 2 / med * 100 if med else 0
            mark = ""
            if reasons:
                mark = " " + note("; ".join(reasons))
            cells = [md_escape(label), md_escape(cfg) + mark, fmt(med, unit),
                     "%s … %s" % (fmt(min(v), unit), fmt(max(v), unit)),
                     "±%.0f%%" % spread, str(len(v))]
            if has_base:
                cells.append(fmt_ratio(g.ratio(case, cfg, g.baseline)))
            if g.ref2:
                cells.append(fmt_ratio(g.ratio(case, cfg, g.ref2)))
            lines.append("| " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
    for i, n in enumerate(notes, 1):
        lines.append("- [%d] %s" % (i, md_escape(n)))
    return lines


def commands(g):
    """The exact command lines, one per configuration where they agree."""
    out = []
    for cfg in g.rows():
        cmds = [(case, c) for (case, k), cs in g.cmds.items() if k == cfg
                for c in cs]
        distinct = []
        for _, c in cmds:
            if c not in distinct:
                distinct.append(c)
        if len(distinct) == 1:
            out.append("- %s: `%s`" % (cfg, distinct[0]))
        else:
            for case, c in cmds:
                out.append("- %s, %s: `%s`" % (cfg, case, c))
    return out


def chart(g, outdir):
    if not g.baseline:
        return None
    cases = []
    for case in g.cases:
        rows = []
        for cfg in g.rows():
            key = (case, cfg)
            if key in g.samples or key in g.na:
                unit = g.cases.get(case, ("", ""))[0]
                med = g.median(case, cfg)
                detail = "" if med is None else "%s %s" % (fmt(med, unit),
                                                           unit)
                if med is None and any(r.startswith("skipped")
                                       for r in g.na.get(key, [])):
                    detail = "skipped by --quick"
                rows.append((cfg, g.ratio(case, cfg, g.baseline), detail))
        if any(r is not None for _, r, _ in rows):
            cases.append((case, rows))
    if not cases:
        return None
    name = "chart-%s.svg" % g.name
    svg.render(os.path.join(outdir, name), "%s: cost relative to %s"
               % (g.title, g.baseline), cases)
    return name


def render(groups, info, outdir):
    inf = dict(info)
    md = ["# MicronOS benchmarks", "",
          "Generated by `%s` on %s; do not edit by hand (see "
          "[README.md](README.md) for how to run it and what each figure "
          "means). Every figure below was measured in this one run; rows "
          "that could not run say why." % (inf.get("mode", "bench/run"),
                                           inf.get("date", "?")), "",
          "## Machine", "", "| | |", "|---|---|"]
    for k, v in info:
        if k in ("mode", "date"):
            continue
        md.append("| %s | %s |" % (md_escape(k), md_escape(v)))
    md += ["", "## Aims", "",
           "| aim | measured | status |", "|---|---|---|"]
    for aim, measured, status in aims(groups):
        md.append("| %s | %s | %s |" % (aim, md_escape(measured), status))
    unavailable = []
    for g in groups.values():
        for (case, cfg), reasons in g.na.items():
            if not g.samples.get((case, cfg)):
                unavailable.append((g.title, case, cfg, reasons[0]))
    if unavailable:
        md += ["", "## Not available in this run", ""]
        by_reason = collections.OrderedDict()
        for title, case, cfg, reason in unavailable:
            by_reason.setdefault((cfg, reason), []).append(
                "%s/%s" % (title, case))
        for (cfg, reason), where in by_reason.items():
            md.append("- **%s** (%s): %s" % (cfg, ", ".join(where), reason))
    for g in groups.values():
        md += ["", "## %s" % g.title, "", g.desc, ""]
        name = chart(g, outdir)
        if name:
            md += ["![%s](%s)" % (g.title, name), ""]
        md += table(g)
        cl = commands(g)
        if cl:
            md += ["", "Commands:", ""] + cl
    # The section bench/fuse_requests.sh -w wrote stays: another run's.
    path = os.path.join(outdir, "RESULTS.md")
    kept = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            old = f.read()
        a = old.find(FUSE_BEGIN)
        b = old.find(FUSE_END)
        if a >= 0 and b > a:
            kept = "\n" + old[a:b + len(FUSE_END)] + "\n"
    with open(path, "w") as f:
        f.write("\n".join(md) + "\n" + kept)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: report.py RESULTS.TSV OUTDIR\n")
        return 2
    groups, info = load(sys.argv[1])
    render(groups, info, sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
