#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""demo chart: ratio on/off of every per-packet metric of the demo run."""
import csv
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    labels, ratios, up = [], [], []
    with open(src) as f:
        for row in csv.DictReader(f):
            try:
                off, on = float(row["off"]), float(row["on"])
            except ValueError:
                continue
            name = row["metric"]
            if off <= 0 or not ("/packet" in name or "ctx" in name
                                or "RTT" in name or "Mbit" in name
                                or "transactions/s" in name):
                continue
            labels.append(name)
            ratios.append(on / off)
            # throughputs: more is better, so below 1 is the cost
            up.append("Mbit" in name or "transactions/s" in name)
    if not labels:
        print("chart: no comparable rows", file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("chart: matplotlib missing (make deps)", file=sys.stderr)
        return 1
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) + 1.5))
    colors = ["tab:green" if (r > 1) == u or r == 1 else "tab:red"
              for r, u in zip(ratios, up)]
    ax.barh(range(len(labels)), ratios, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("coalescing on / off (same boot; green: better, red: "
                  "worse)")
    ax.set_title("ncoal demo, emulated rig (rates scaled ~100x down)")
    for i, r in enumerate(ratios):
        ax.text(r, i, " %.2f" % r, va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
