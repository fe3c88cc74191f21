#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ab.py: the A/B verdict table of one benchmark run.

    tools/bench/ab.py [--md] RUN_DIR_OR_RAW_CSV...

For each guest scenario, direction and rate of the run, and each key
metric: stock's median over the repetitions, the A/A noise floor (how
far stock's own repetitions stray from their median, the largest
|x_r / median - 1|), and for every other setting the median of its
paired ratios to stock (repetition r of the setting over repetition r
of stock: the same L1 boot, minutes apart) with their [min, max]. A
verdict marks a median ratio outside the floor: "better" or "WORSE" in
the metric's good direction, "=" inside it (no measured difference).

Only the rows of the files given are used, so a table comes from the
repetitions of one run, one revision.
"""

import argparse
import csv
import glob
import os
import statistics
import sys

# scenario: [(column, label, higher is better)]
KEYS = {
    "guest-flood": [
        ("guest_irqs_per_pkt", "guest IRQs/pkt", False),
        ("guest_tx_kicks_per_pkt", "guest TX kicks/pkt", False),
        ("l2_ctxsw_per_pkt", "guest ctxsw/pkt", False),
        ("l1_ctxsw_per_pkt", "host ctxsw/pkt", False),
        ("achieved_pps", "delivered pps", True),
    ],
    "guest-synflood": [
        ("degradation_p50", "RTT p50 flood/idle", False),
        ("tcp_kept", "TCP kept", True),
        ("guest_irqs_per_pkt", "guest IRQs/pkt", False),
        ("l1_ctxsw_per_pkt", "host ctxsw/pkt", False),
    ],
    "guest-rr": [
        ("tps", "transactions/s", True),
        ("lat_p50_us", "p50", False),
        ("lat_p99_us", "p99", False),
        ("guest_irqs_per_pkt", "guest IRQs/txn", False),
        ("l1_ctxsw_per_pkt", "host ctxsw/txn", False),
    ],
    "guest-web": [
        ("rps", "requests/s", True),
        ("lat_p50_ms", "p50", False),
        ("lat_p99_ms", "p99", False),
        ("guest_irqs_per_pkt", "guest IRQs/req", False),
        ("l1_ctxsw_per_pkt", "host ctxsw/req", False),
    ],
    "guest-memcached": [
        ("rps", "requests/s", True),
        ("lat_p50_ms", "p50", False),
        ("lat_p99_ms", "p99", False),
        ("guest_irqs_per_pkt", "guest IRQs/req", False),
        ("l1_ctxsw_per_pkt", "host ctxsw/req", False),
    ],
}
BASE = "stock"


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def load(paths):
    """rows[(scenario, direction, rate)][setting][rep] = row"""
    files = []
    for p in paths:
        files += sorted(glob.glob(os.path.join(p, "raw-guest-*.csv"))) \
            if os.path.isdir(p) else [p]
    rows = {}
    for f in files:
        with open(f, newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("ok") != "1" or r["scenario"] not in KEYS:
                    continue
                cell = (r["scenario"], r["direction"], r["rate"])
                rows.setdefault(cell, {}).setdefault(
                    r["setting"], {})[r["rep"]] = r
    return rows


def fmt(x):
    if x is None:
        return "-"
    if x == 0:
        return "0"
    a = abs(x)
    return f"{x:.3g}" if a < 100 else f"{x:,.0f}"


def table(rows, order, md):
    out = []
    for cell in sorted(rows, key=lambda c: (list(KEYS).index(c[0]), c[1],
                                            int(c[2]))):
        sc, d, rate = cell
        by = rows[cell]
        if BASE not in by:
            continue
        sets = [s for s in order if s in by and s != BASE] + \
            sorted(s for s in by if s not in order and s != BASE)
        where = f"{sc} {d} {'max' if rate == '0' else rate}"
        head = ["setting"]
        cols = {}
        for col, label, up in KEYS[sc]:
            st0 = cell_stats(by, BASE, col)
            if not st0:
                continue
            _, _, _, n, floor, med = st0
            head.append(label)
            line = {BASE: f"{fmt(med)} (±{floor * 100:.0f}%, n={n})"}
            for s in sets:
                st = cell_stats(by, s, col)
                if not st:
                    line[s] = "-"
                    continue
                v = verdict(st, up)
                line[s] = (f"x{st[0]:.2f} [{st[1]:.2f},{st[2]:.2f}] "
                           f"{WORDS[v]}")
            cols[col] = line
        if not cols:
            continue
        body = [[s] + [cols[c].get(s, "-") for c in cols]
                for s in [BASE] + sets]
        if md:
            out.append(f"\n**{where}**\n")
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(b) + " |" for b in body]
        else:
            out.append(f"\n{where}")
            w = [max(len(str(r[i])) for r in [head] + body)
                 for i in range(len(head))]
            for r in [head] + body:
                out.append("  ".join(str(x).ljust(w[i])
                                     for i, x in enumerate(r)))
    return "\n".join(out)


# The one-page report: key metrics per scenario (a subset of KEYS)
PAGE = {
    "guest-flood": ["guest_irqs_per_pkt", "guest_tx_kicks_per_pkt",
                    "l1_ctxsw_per_pkt"],
    "guest-synflood": ["degradation_p50", "tcp_kept"],
    "guest-rr": ["tps", "lat_p50_us", "lat_p99_us"],
    "guest-web": ["rps", "lat_p50_ms", "lat_p99_ms"],
    "guest-memcached": ["rps", "lat_p50_ms", "lat_p99_ms"],
}


def cell_stats(by, s, col, ref=None):
    """(median paired ratio, min, max, n, floor, base median) or None"""
    base = {k: num(v.get(col))
            for k, v in by.get(ref or BASE, {}).items()}
    base = {k: v for k, v in base.items() if v is not None}
    if not base or s not in by:
        return None
    med = statistics.median(base.values())
    floor = max(abs(v / med - 1) for v in base.values()) if med else 0.0
    rs = [num(v.get(col)) / base[k] for k, v in by[s].items()
          if k in base and base[k] and num(v.get(col)) is not None]
    if not rs:
        return None
    return statistics.median(rs), min(rs), max(rs), len(rs), floor, med


# verdict() marks as the text tables spell them
WORDS = {"?": "(n<3)", "=": "=", "+": "better", "-": "WORSE"}


def verdict(st, up):
    m, _, _, n, floor, _ = st
    if n < 3:
        return "?"
    if abs(m - 1) <= floor:
        return "="
    return "+" if (m > 1) == up else "-"


def read_meta(paths):
    meta = {}
    for p in paths:
        d = p if os.path.isdir(p) else os.path.dirname(p)
        for f in (os.path.join(d, "meta.txt"),
                  os.path.join(os.path.dirname(d), "host-meta.txt"),
                  os.path.join(d, "host-meta.txt")):
            if os.path.exists(f):
                for line in open(f):
                    k, _, v = line.rstrip("\n").partition("=")
                    meta.setdefault(k, v)
    return meta


def rst_table(title, head, body):
    out = [f".. list-table:: {title}", "   :header-rows: 1",
           "   :stub-columns: 1", ""]
    for row in [head] + body:
        out.append("   * - " + str(row[0]))
        out += [f"     - {x}" for x in row[1:]]
    return out + [""]


def page(rows, order, default, meta):
    """results.rst: one page, from the rows of one run."""
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from report import GUEST_SETTINGS as desc
    except ImportError:
        desc = {}
    sets = [s for s in order if s != BASE and
            any(s in by for by in rows.values())]
    cells = sorted(rows, key=lambda c: (list(KEYS).index(c[0]), c[1],
                                        int(c[2])))
    o = [".. SPDX-License-Identifier: GPL-2.0", "",
         ".. GENERATED by tools/bench/ab.py from one run of "
         "tools/bench/bench.sh; do not edit.", "",
         "ncoal benchmark results", "=======================", ""]
    o += [f":revision: {meta.get('git_rev', '?')}",
          f":our vhost_net: {meta.get('ours_ident', '?')}",
          f":our virtio_net: {meta.get('l2_ours_virtio_net', '?')}",
          f":kernels: test host {meta.get('l1_kernel', '?')}, guest "
          f"{meta.get('l2_kernel', '?')}",
          f":rig: {meta.get('emulator', '?')}, TCG (about 100x slower "
          "than hardware), two levels (the guest nested in the test host)",
          f":started: {meta.get('started', '?')}, "
          f"{meta.get('reps', '?')} repetitions",
          f":command: ``{meta.get('command', '?')}``", ""]
    o += ["Every setting ran once per repetition, all in the same test-host "
          "boot, rig by rig: a rig's guest boots once and its settings "
          "alternate repetition by repetition. A ratio is repetition r of "
          "a setting over repetition r of its base, and a table gives the "
          "median of those paired ratios, [min, max] in ab.txt. The noise "
          "floor of a cell is the base's own spread (the largest distance "
          "of a repetition from the base's median). A mark says where a "
          "median ratio lies outside the floor: ``+`` better, ``-`` worse, "
          "``=`` no measured difference, ``?`` fewer than 3 repetitions. "
          "Emulated: compare ratios and counts, not times. Per-run rows: "
          "the raw CSVs of the run in Documentation/benchmarks/data/.", ""]
    o += ["Settings", "--------", ""]
    rig = {}
    for s in [BASE] + sets:
        spec = meta.get("guest-flood_setting_" + s, "").split()
        rig[s] = spec[1] if len(spec) == 3 else ""
        spec = f" (rig {spec[1]}, {spec[2]})" if len(spec) == 3 else ""
        o.append(f"- ``{s}``: {desc.get(s, '')}{spec}")
    o.append("")
    ctl = "ours-off"
    same = [s for s in sets if s != ctl and rig.get(s) and
            rig.get(s) == rig.get(ctl)]
    if ctl in sets and same:
        t = f"Inside one guest boot: ratios to ``{ctl}``"
        o += [t, "-" * len(t), "",
              f"``{ctl}`` is our code with nothing held, in the same guest "
              "boot as the settings below, alternating with them: the clean "
              "A/B of what holding costs or saves.", ""]
        o += ratio_table(rows, cells, ctl, same)
    t = f"Against {BASE} and the alternatives"
    o += [t, "-" * len(t), "",
          f"Each rig's guest boots once, so a setting of another rig than "
          f"``{BASE}`` is compared across guest boots, minutes to an hour "
          f"apart; ``{ctl}`` against ``{BASE}`` shows what that alone "
          "moves.", ""]
    o += ratio_table(rows, cells, BASE, sets)
    if default in sets:
        o += costs(rows, cells, default, ctl if default in same else BASE)
        o += goals(rows, cells, default,
                   ref=ctl if default in same else BASE)
    return "\n".join(o)


def ratio_table(rows, cells, ref, sets):
    head = ["scenario, metric", f"{ref} (floor)"] + sets
    body = []
    for cell in cells:
        sc, d, rate = cell
        for col in PAGE.get(sc, []):
            st0 = cell_stats(rows[cell], ref, col, ref)
            if not st0:
                continue
            lab, up = next((x[1], x[2]) for x in KEYS[sc] if x[0] == col)
            line = [f"{sc} {d} {'max' if rate == '0' else rate}: {lab}",
                    f"{fmt(st0[5])} ±{st0[4] * 100:.0f}%"]
            for s in sets:
                st = cell_stats(rows[cell], s, col, ref)
                line.append("-" if not st else
                            f"x{st[0]:.2f} {verdict(st, up)}")
            body.append(line)
    return rst_table(f"paired ratio to {ref}, median, and its mark", head,
                     body)


def costs(rows, cells, default, ref):
    t = f"Where ``{default}`` costs (against ``{ref}``)"
    o = [t, "-" * len(t), ""]
    worse, unjudged = [], 0
    for cell in cells:
        for col, lab, up in KEYS[cell[0]]:
            st = cell_stats(rows[cell], default, col, ref)
            unjudged += bool(st and verdict(st, up) == "?")
            if st and verdict(st, up) == "-":
                worse.append(f"- {cell[0]} {cell[1]} "
                             f"{'max' if cell[2] == '0' else cell[2]}: "
                             f"{lab} x{st[0]:.2f} [{st[1]:.2f}, "
                             f"{st[2]:.2f}] (floor ±{st[4] * 100:.0f}%)")
    if unjudged:
        worse.append(f"- {unjudged} cells not judged: fewer than 3 "
                     "repetitions")
    return o + (worse or ["- nowhere outside the noise floor"]) + [""]


def goals(rows, cells, default, fixed="both", ref=None):
    """Issue 20's flood goal: the default keeps at least 70% of the fixed
    mode's reduction of guest IRQs and kicks per packet on the floods."""
    t = f"``{default}`` against the fixed delays (``{fixed}``) on the floods"
    o = [t, "-" * len(t), "",
         f"Share of the fixed mode's reduction (1 - ratio to {ref}) that "
         f"``{default}`` keeps, from the medians (goal: 70% or more):", ""]
    n = 0
    for cell in cells:
        if cell[0] != "guest-flood":
            continue
        col = "guest_irqs_per_pkt" if cell[1] == "rx" else \
            "guest_tx_kicks_per_pkt"
        a = cell_stats(rows[cell], default, col, ref)
        f = cell_stats(rows[cell], fixed, col, ref)
        if not a or not f or f[0] >= 1:
            continue
        n += 1
        o.append(f"- flood {cell[1]} {cell[2]} pps, {col}: fixed "
                 f"x{f[0]:.2f}, {default} x{a[0]:.2f}: "
                 f"{(1 - a[0]) / (1 - f[0]) * 100:.0f}% of the reduction")
    return (o + [""]) if n else []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--md", action="store_true", help="markdown tables")
    ap.add_argument("--order", default="stock,napi-defer,busy-poll,"
                    "guest-dim,ours-off,both,host-adapt,adaptive,synced")
    ap.add_argument("--rst", help="write the one-page report there")
    ap.add_argument("--base", default="stock",
                    help="the setting every ratio is taken to (ours-off: "
                         "the A/B inside one guest boot)")
    ap.add_argument("--default", default="adaptive",
                    help="the setting whose costs the page lists")
    a = ap.parse_args()
    global BASE
    BASE = a.base
    rows = load(a.paths)
    if not rows:
        print("ab.py: no guest rows with ok=1", file=sys.stderr)
        return 1
    if a.rst:
        with open(a.rst, "w") as f:
            f.write(page(rows, a.order.split(","), a.default,
                         read_meta(a.paths)) + "\n")
    print(f"Paired ratios to {BASE} (same rep, same L1 boot): median "
          f"[min,max]; floor: {BASE}'s A/A spread (largest "
          "|rep/median-1|); verdict outside the floor only.")
    print(table(rows, a.order.split(","), a.md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
