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
            base = {k: num(v.get(col)) for k, v in by[BASE].items()}
            base = {k: v for k, v in base.items() if v is not None}
            if not base:
                continue
            med = statistics.median(base.values())
            floor = max(abs(v / med - 1) for v in base.values()) \
                if med else 0.0
            head.append(label)
            line = {BASE: f"{fmt(med)} (±{floor * 100:.0f}%, "
                          f"n={len(base)})"}
            for s in sets:
                rs = [num(v.get(col)) / base[k]
                      for k, v in by[s].items()
                      if k in base and base[k] and num(v.get(col)) is not None]
                if not rs:
                    line[s] = "-"
                    continue
                m = statistics.median(rs)
                verdict = "="
                if len(base) < 3 or len(rs) < 3:
                    verdict = "(n<3)"
                elif abs(m - 1) > floor:
                    verdict = "better" if (m > 1) == up else "WORSE"
                line[s] = (f"x{m:.2f} [{min(rs):.2f},{max(rs):.2f}] "
                           f"{verdict}")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--md", action="store_true", help="markdown tables")
    ap.add_argument("--order", default="stock,napi-defer,busy-poll,"
                    "guest-dim,ours-off,both,host-adapt,adaptive,synced")
    a = ap.parse_args()
    rows = load(a.paths)
    if not rows:
        print("ab.py: no guest rows with ok=1", file=sys.stderr)
        return 1
    print("Paired ratios to stock (same rep, same L1 boot): median "
          "[min,max]; floor: stock's A/A spread (largest |rep/median-1|);"
          " verdict outside the floor only.")
    print(table(rows, a.order.split(","), a.md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
