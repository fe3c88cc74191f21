#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Aggregate benchmark runs and generate the report.

Reads the raw CSVs written by tools/bench/bench-l1.sh (one row per
scenario, module, setting, rate, direction and repetition) and writes

  OUT/results.csv   aggregated: one row per cell and metric, with the
                    median, min and max over the repetitions and the
                    ratio to the baseline (stock) setting
  OUT/*.png         plots (matplotlib, if installed; tables only if not)
  RST               the report, generated: nothing in it is hand-written

Ratios are paired: repetition r of a setting is divided by repetition r
of stock in the same cell (measured back to back in the same boot); the
report gives the median of those ratios and their min-max.

usage: report.py [--out DIR] [--rst FILE] [--meta FILE]... [--no-plots]
                 [--sweep-rate PPS] RAW.csv...
"""

import argparse
import csv
import glob
import os
import statistics
import sys
import textwrap

KEY_COLUMNS = ("scenario", "module", "setting", "usecs", "frames",
               "threshold", "interval_ms", "rate", "direction", "rep", "ok")
BASELINE = "stock"

# Per scenario: metrics in table order as (column, label, ratio wanted).
SCENARIOS = {
    "host": {
        "title": "Host: vhost_net alone (userspace driver, no guest)",
        "intro": (
            "tools/vhost_net_drv acts as VMM and guest in one process "
            "(rings in its own memory, a tap backend, call and kick "
            "eventfds) inside the test host (L1) and counts what "
            "vhost_net does per packet. RX: 18-byte UDP frames are "
            "injected into the tap and delivered to the RX ring; TX: "
            "frames queued on the TX ring are transmitted to the tap "
            "(signals are TX completions). Stock is the distribution's "
            "vhost_net.ko; ours is build/vhost_net.ko with the setting "
            "applied to both rings by VHOST_NET_SET_VRING_COALESCE. Both "
            "are loaded in turn in the same boot."),
        "dirs": {"rx": "RX (host to guest ring)",
                 "tx": "TX (guest ring to host; completion signals)"},
        "metrics": [
            ("signals_per_pkt", "signals/packet", True),
            ("vhost_wakeups_per_pkt", "vhost worker wakeups/packet", True),
            ("driver_wakeups_per_pkt", "driver wakeups/packet", True),
            ("ctxsw_per_pkt", "process context switches/packet", True),
            ("cpu_us_per_pkt", "CPU us/packet (emulated)", True),
            ("achieved_pps", "achieved rate, pps", True),
            ("loss_pct", "loss, %", False),
            ("delay_p50_us", "notification delay p50, us (emulated)", True),
            ("delay_p99_us", "notification delay p99, us (emulated)", True),
            ("timer_fires_per_pkt", "timer fires/packet", False),
            ("sock_defers_per_pkt", "socket wakeups absorbed/packet", False),
        ],
        "headline": ["signals_per_pkt", "vhost_wakeups_per_pkt"],
        # shown as values next to the headline ratios
        "headline_abs": ["loss_pct"],
        # behaves like stock by construction: its ratios are the noise
        "control": "ours-off",
        "plots": ["signals_per_pkt", "vhost_wakeups_per_pkt"],
        "notes": [
            "vhost worker wakeups: voluntary context switches of the vhost "
            "worker thread (vhost_ctxsw_vol). Driver wakeups: the driver's "
            "wakeups on the call eventfd. Process context switches and CPU "
            "time: the whole driver process (getrusage), which includes "
            "the vhost worker thread and the driver's own pacing and "
            "guest-side work.",
            "Notification delay: RX, from the send time to the moment the "
            "driver saw the delivering signal; TX, from queueing on the "
            "ring to reception on the tap.",
            "Timer fires and socket wakeups absorbed: our coalescer's "
            "counters (VHOST_NET_GET_VRING_COALESCE_STATS) for the ring of "
            "the run's direction; stock has none.",
        ],
    },
}


# The guest scenarios (scenarios/guest-*.sh): comparators in one L1 boot.
GUEST_ORDER = ["stock", "napi-defer", "busy-poll", "guest-dim", "ours-off",
               "guest-only", "host-only", "host-adapt", "guest-adapt",
               "adapt-both", "adapt-txc", "both", "adaptive", "synced"]

GUEST_SETTINGS = {
    "stock": "stock vhost_net (L1) and stock virtio_net (L2)",
    "napi-defer": "stock modules; guest eth0 napi_defer_hard_irqs 2, "
                  "gro_flush_timeout 5 ms",
    "busy-poll": "stock modules; QEMU tap poll-us=500 (vhost busy polling)",
    "guest-dim": "our vhost_net (L1) on our relay QEMU, stock virtio_net "
                 "(L2) with its own RX net_dim (ethtool -C eth0 adaptive-rx "
                 "on), which sets the host's RX rings per queue",
    "ours-off": "our vhost_net and virtio_net, coalescing off (0 us) on "
                "both levels",
    "guest-only": "ours; guest TX kicks held up to 5 ms / 32 frames, "
                  "host off",
    "host-only": "ours; host interrupts (RX and TX completions) held up "
                 "to 5 ms / 64 frames, guest off",
    "host-adapt": "ours; the host's RX-ring interrupts held as net_dim "
                  "chooses, up to 5 ms / 64 frames (coalesce_mode 2), TX "
                  "completions and the guest off",
    "guest-adapt": "ours; guest TX kicks held as net_dim chooses, up to "
                   "5 ms / 32 frames (tx_kick_mode 2), host off",
    "adapt-both": "ours, adaptive as below and the host's TX "
                  "completions held as net_dim chooses too (up to 5 ms / "
                  "64 frames)",
    "adapt-txc": "ours, adaptive as below but the host's RX-ring "
                 "interrupts never held (rx_coalesce_usecs 0)",
    "both": "ours, fixed delays: host 5 ms / 64 frames and guest kicks "
            "5 ms / 32 frames, each side set by its own admin (Debian's "
            "QEMU)",
    "adaptive": "ours, adaptive on both levels: net_dim picks each hold "
                "of the host's RX-ring interrupts (up to 5 ms / 64 frames, "
                "coalesce_mode 2; TX completions not held, "
                "tx_coalesce_usecs 0) and of the guest's kicks (up to 5 ms "
                "/ 32 frames, tx_kick_mode 2)",
    "synced": "ours on our relay QEMU; the guest's budget of 10 ms, half "
              "to the host's RX interrupts (5 ms / 32 frames, asked "
              "through the sync command), half to its own kicks; host TX "
              "completions 5 ms / 64 frames",
}
# Emulation scaling of the two-level rig (matrix.sh)
GUEST_SCALING = (
    "the nested guest saturates from about 1,500 pps, so its rates are "
    "~100x below hardware; gate 300 pps over 250 ms (shipped: 10,000 pps "
    "over 1 s); buffer times 10x the hardware ones (5 ms stands for the "
    "shipped 500 us) so that a window holds a few packets, as on hardware")
GUEST_INTRO = (
    "Two-level rig: the test host (L1, TCG) runs QEMU with vhost=on and "
    "the guest (L2, nested KVM inside L1) with virtio_net; L1 tap0 "
    "10.0.2.1, L2 eth0 10.0.2.2. Stock is the distribution's vhost_net "
    "in L1 and virtio_net in L2 (ncoal.stock=1); ours are build/"
    "vhost_net.ko and build/virtio_net.ko, set at run time through "
    "/sys/module/vhost_net/parameters (L1) and /sys/class/net/eth0/"
    "virtio_coalesce (L2); our gates are 300 pps sampled every 250 ms "
    "on both levels. Settings of one kind of boot (stock, stock with "
    "busy polling, ours, ours on the relay QEMU) share a guest boot; all "
    "run in the same L1 boot.")
GUEST_COUNTER_NOTE = (
    "Guest IRQs: virtio input and output interrupts in the guest's "
    "/proc/interrupts. Kicks: the guest's ethtool -S rxN_kicks (RX "
    "refills) and txN_kicks. Host signals: our vhost_net's debugfs "
    "signals_sent over both rings, the coalescer's calls to "
    "vhost_signal(), which event-idx suppression may still drop, so "
    "guest IRQs are what arrived (stock has no such counter: '-'). "
    "Context switches and CPU: /proc/stat of each level (L1's includes "
    "the guest's QEMU and vhost worker). Counter windows include about "
    "a second of drain and one command exchange with the guest, the "
    "same for every setting.")
GUEST_METRICS = [
    ("guest_irqs_per_pkt", "guest IRQs/packet", True),
    ("guest_rx_irqs_per_pkt", "guest RX IRQs/packet", True),
    ("guest_tx_irqs_per_pkt", "guest TX IRQs/packet", True),
    ("guest_tx_kicks_per_pkt", "guest TX kicks/packet", True),
    ("guest_rx_kicks_per_pkt", "guest RX kicks/packet", True),
    ("host_signals_per_pkt", "host signals/packet (ours only)", False),
    ("host_timer_fires_per_pkt", "host timer fires/packet (ours only)",
     False),
    ("l2_ctxsw_per_pkt", "guest (L2) context switches/packet", True),
    ("l1_ctxsw_per_pkt", "host (L1) context switches/packet", True),
    ("l2_cpu_us_per_pkt", "guest CPU us/packet (emulated)", True),
    ("l1_cpu_us_per_pkt", "host CPU us/packet (emulated)", True),
]

# Request/response scenarios: throughput and latency, and the guest
# counters per request (a request and its answer) instead of per packet.
REQUEST_METRICS = [
    ("rps", "requests/s (emulated)", True),
    ("lat_p50_ms", "latency p50, ms (emulated)", True),
    ("lat_p99_ms", "latency p99, ms (emulated)", True),
]
GUEST_PER_REQUEST = [(c, l.replace("/packet", "/request"), w)
                     for c, l, w in GUEST_METRICS]


def guest_scenario(fields):
    """A guest scenario's entry: what they all share (ours-off as the
    control, the guest comparators in their order, no plots and no
    buffer-time sweep unless @fields say so, the counter note), then
    @fields."""
    return {"control": "ours-off", "plots": [], "settings": GUEST_SETTINGS,
            "order": GUEST_ORDER, "sweep": False,
            "notes": [GUEST_COUNTER_NOTE], **fields}


def per_txn(metrics):
    return [(c, l.replace("/packet", "/transaction"), w)
            for c, l, w in metrics]


SCENARIOS.update({
    "guest-flood": guest_scenario({
        "title": "Guest: small-packet UDP floods through the two-level rig",
        "intro": GUEST_INTRO + (
            " tools/udpflood sends 18-byte UDP datagrams at a fixed rate: "
            "RX from L1 to a receiver in the guest, TX from the guest to a "
            "receiver in L1. Per-packet values divide by the packets "
            "delivered."),
        "dirs": {"rx": "RX (host to guest)", "tx": "TX (guest to host)"},
        "metrics": GUEST_METRICS + [
            ("achieved_pps", "delivered rate, pps", True),
            ("loss_pct", "loss, %", False),
        ],
        "headline": ["guest_irqs_per_pkt", "guest_tx_kicks_per_pkt",
                     "l2_ctxsw_per_pkt", "l1_ctxsw_per_pkt"],
        "headline_abs": ["host_signals_per_pkt", "loss_pct"],
        "plots": ["guest_irqs_per_pkt", "guest_tx_kicks_per_pkt",
                  "l2_ctxsw_per_pkt", "l1_ctxsw_per_pkt"],
    }),
    "guest-synflood": guest_scenario({
        "title": "Guest: TCP SYN flood, degradation under flood",
        "intro": GUEST_INTRO + (
            " hping3 in L1 sends TCP SYNs to the guest's listening port "
            "5201 at the offered rate (max: hping3 --flood), about 100x "
            "below a hardware SYN flood; the guest answers with SYN "
            "cookies. Meanwhile L1 pings the guest at 10/s (below the "
            "gate). Degradation: the ping RTT during the flood divided by "
            "the RTT of the same ping without the flood, right before "
            "it. Per-packet values divide by the packets L1 sent to the "
            "guest (tap0 tx_packets: the SYNs and the pings). Then, in a "
            "second flood at the same rate, the thesis's kind of "
            "degradation: a TCP stream from L1 to the flooded server "
            "(iperf3, as fast as it goes) without the flood and under it; "
            "TCP kept is the throughput under flood / without (1 - TCP "
            "kept: the throughput the flood takes away)."),
        "dirs": {"syn": "SYN flood, host to guest"},
        "rate_label": "{:,} SYN/s",
        "metrics": [
            ("syn_pps", "packets sent to the guest per second", True),
            ("rtt_idle_p50_ms", "ping RTT p50 without flood, ms (emulated)",
             True),
            ("rtt_idle_p99_ms", "ping RTT p99 without flood, ms (emulated)",
             True),
            ("rtt_flood_p50_ms", "ping RTT p50 under flood, ms (emulated)",
             True),
            ("rtt_flood_p99_ms", "ping RTT p99 under flood, ms (emulated)",
             True),
            ("degradation_p50", "degradation: RTT p50 flood / idle", True),
            ("degradation_p99", "degradation: RTT p99 flood / idle", True),
            ("ping_loss_flood_pct", "ping loss under flood, %", False),
            ("tcp_idle_mbps", "TCP Mbit/s without flood (emulated)", False),
            ("tcp_flood_mbps", "TCP Mbit/s under flood (emulated)", False),
            ("tcp_kept", "TCP kept: Mbit/s under flood / without", False),
        ] + GUEST_METRICS,
        "headline": ["guest_irqs_per_pkt", "l2_ctxsw_per_pkt",
                     "l1_ctxsw_per_pkt", "degradation_p50"],
        "headline_abs": ["degradation_p50", "degradation_p99",
                         "ping_loss_flood_pct", "tcp_kept"],
        "plots": ["guest_irqs_per_pkt", "l2_ctxsw_per_pkt",
                  "degradation_p50"],
    }),
    "guest-rr": guest_scenario({
        "title": "Guest: request/response latency (sockperf)",
        "intro": GUEST_INTRO + (
            " sockperf in L1 against a sockperf server in the guest, UDP, "
            "14-byte messages. Below 1,000/s: ping-pong at that rate "
            "(below the gate, where ours must equal stock); max: "
            "ping-pong as fast as one request in flight allows; 1,000/s "
            "and up: under-load at that rate with every request "
            "answered. Latency is the full round trip over sockperf's "
            "valid period; per-transaction counters divide by the "
            "replies received."),
        "dirs": {"udp": "UDP request/response, host to guest and back",
                 "udp8": "UDP request/response, 8 clients at once (8 in "
                         "flight)"},
        "rate_label": "{:,} req/s",
        "metrics": [
            ("tps", "transactions/s (emulated)", True),
            ("lat_p50_us", "RTT p50, us (emulated)", True),
            ("lat_p99_us", "RTT p99, us (emulated)", True),
            ("lat_avg_us", "RTT average, us (emulated)", True),
        ] + per_txn(GUEST_METRICS),
        "headline": ["lat_p50_us", "lat_p99_us", "tps",
                     "guest_irqs_per_pkt"],
        "headline_abs": ["lat_p50_us"],
        "plots": ["lat_p50_us", "lat_p99_us", "guest_irqs_per_pkt"],
    }),
    "guest-web": guest_scenario({
        # title and intro: web_server_info(), from the server the rows
        # measured
        "title": "Guest: web requests",
        "intro": "",
        "dirs": {"http": "HTTP GET, host to guest, a connection per "
                         "request",
                 "keepalive": "HTTP GET, host to guest, keep-alive "
                              "connections"},
        "rate_label": "{} connections",
        "metrics": REQUEST_METRICS + [
            ("socket_errors", "socket errors", False),
        ] + GUEST_PER_REQUEST,
        "headline": ["rps", "guest_irqs_per_pkt", "l2_ctxsw_per_pkt"],
        "headline_abs": ["rps"],
    }),
    "guest-memcached": guest_scenario({
        "title": "Guest: key-value requests (memcached, mcload)",
        "intro": GUEST_INTRO + (
            " memcached in the guest (Debian's package, unpacked into the "
            "guest image; one thread, TCP) and tools/mcload in L1 over the "
            "given number of TCP connections (the column header), each "
            "with one request in flight, as fast as memcached answers: "
            "90% gets and 10% sets of 100-byte values over 1,000 keys, "
            "all set before the run (so gets hit), memcached's text "
            "protocol. Latency: each request from its write to its "
            "complete answer, p50 and p99 over the requests answered in "
            "the run (mcload); per-request counters divide by the "
            "requests answered (a request and its answer each)."),
        "dirs": {"getset": "memcached get/set, host to guest and back"},
        "rate_label": "{} connections",
        "metrics": REQUEST_METRICS + [
            ("lat_avg_ms", "latency average, ms (emulated)", True),
            ("hit_pct", "get hits, %", False),
            ("errors", "errors (error answers, timeouts)", False),
        ] + GUEST_PER_REQUEST,
        "headline": ["lat_p50_ms", "lat_p99_ms", "rps",
                     "guest_irqs_per_pkt", "l2_ctxsw_per_pkt"],
        "headline_abs": ["lat_p50_ms", "lat_p99_ms"],
    }),
    "guest-lossfree": guest_scenario({
        "title": "Guest: highest loss-free rate, host to guest UDP",
        "intro": GUEST_INTRO + (
            " guest-flood's RX run at increasing rates (the matrix's "
            "steps) until more than 0.1% is lost; the result is the "
            "delivered rate of the last step within that bound (0: "
            "already the first step lost more). The emulated guest "
            "saturates near 7-10 kpps, about 100x below hardware. The "
            "counters are those of that last loss-free step."),
        "dirs": {"rx": "RX (host to guest), stepped rate"},
        "rate_zero": "stepped",
        "metrics": [
            ("lossfree_pps", "highest loss-free rate, pps delivered", True),
            ("lossfree_offered_pps", "its offered rate, pps", True),
            ("lossy_offered_pps", "first step above 0.1% loss, pps", True),
            ("lossy_loss_pct", "its loss, %", False),
        ] + GUEST_METRICS,
        "headline": ["lossfree_pps"],
        "headline_abs": ["lossfree_pps", "lossy_offered_pps"],
    }),
})


# guest-sweep: guest-flood's runs at one rate, the buffer time swept
SCENARIOS["guest-sweep"] = dict(
    SCENARIOS["guest-flood"],
    title="Guest: the buffer-time sweep",
    intro=GUEST_INTRO + (
        " guest-flood's UDP floods at one rate above the gate, with the "
        "host's interrupt delay (RX and TX completions) and the guest's "
        "kick delay both set to the buffer time of the setting's name "
        "(us; sweep-0 is our modules with coalescing off), stock as the "
        "baseline: the thesis's sweep of 0 to 1,000 us, scaled 10x."),
    headline_abs=["loss_pct"],
    control="sweep-0",
    plots=[],
    sweep_plots=SCENARIOS["guest-flood"]["plots"],
    settings={"stock": GUEST_SETTINGS["stock"],
              "sweep-0": GUEST_SETTINGS["ours-off"]},
    order=["stock", "sweep-0", "sweep-500", "sweep-1000", "sweep-2500",
           "sweep-5000", "sweep-10000"],
    sweep=True,
)


# guest-web's server: the meta key guest-web_server of the run ("nginx
# VERSION"); runs saved before it was recorded measured busybox httpd.
WEB_SERVER_OLD = "busybox httpd"
WEB_SERVERS = {
    "nginx": (
        "nginx",
        " nginx in the guest (Debian's package, unpacked into the guest "
        "image; one worker process, no access log) serves a 1 KiB page; "
        "wrk in L1 fetches it as fast as it can over the given number of "
        "parallel connections (the column header; nginx closes each "
        "connection, keepalive_timeout 0, so every request is a TCP "
        "connection: the thesis's Apache test, scaled). Latency "
        "percentiles are wrk's; per-request counters divide by the "
        "requests completed."),
    "busybox": (
        "busybox httpd",
        " busybox httpd in the guest serves a 1 KiB page; wrk in L1 "
        "fetches it as fast as it can over the given number of "
        "parallel connections (the column header; busybox httpd "
        "closes each connection, so every request is a TCP "
        "connection: the thesis's Apache test, scaled). Latency "
        "percentiles are wrk's; per-request counters divide by the "
        "requests completed."),
}


def tag_web_server(rows, meta):
    """Mark guest-web rows with the server of their run (meta)."""
    server = meta.get("guest-web_server") or WEB_SERVER_OLD
    for r in rows:
        if r.get("scenario") == "guest-web":
            r["_web_server"] = server


def web_server_rows(rows):
    """guest-web's rows of one server only: that of the newest rows
    (the last run); the rows of another server are left out, not pooled
    (a different workload).  Returns (rows, server, left out)."""
    web = [r for r in rows if r.get("scenario") == "guest-web"]
    if not web:
        return rows, None, 0
    server = web[-1].get("_web_server") or WEB_SERVER_OLD
    key = server.split()[0].lower()
    keep = [r for r in rows if r.get("scenario") != "guest-web" or
            (r.get("_web_server") or WEB_SERVER_OLD).split()[0].lower() == key]
    return keep, server, len(rows) - len(keep)


def web_server_info(server, left_out):
    """guest-web's title, intro and notes for the server it measured."""
    info = SCENARIOS["guest-web"]
    key = server.split()[0].lower()
    name, text = WEB_SERVERS.get(key, (server, WEB_SERVERS["nginx"][1]
                                       .replace("nginx", server)))
    info["title"] = f"Guest: web requests ({name}, wrk)"
    info["intro"] = GUEST_INTRO + text
    if left_out:
        info["notes"] = [
            f"{left_out} run{'s' if left_out != 1 else ''} of guest-web "
            "in the saved runs measured another web server and "
            f"{'are' if left_out != 1 else 'is'} left out: this section "
            f"is the latest runs' server, {server}, alone."
        ] + [GUEST_COUNTER_NOTE]


# --------------------------------------------------------------------------
# input

def fnum(s):
    """A float from a CSV field, or None if empty or not a number."""
    if s is None:
        return None
    s = s.strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        return None


def read_meta(paths):
    meta = {}
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line:
                    k, v = line.split("=", 1)
                    meta[k] = v
    return meta


def read_rows(paths, tag=None):
    """Rows of raw CSVs; with @tag, each row's rep becomes "tag.rep"."""
    rows = []
    for p in paths:
        with open(p, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if tag is not None:
                    r["rep"] = f"{tag}.{r.get('rep', '1')}"
                rows.append(r)
    return rows


def read_runs(dirs):
    """Saved runs (bench.sh --save): each DIR holds raw-*.csv and the
    run's meta files.  Returns (rows, runs), runs a list of meta dicts in
    DIR order.  With more than one run, reps are numbered run.rep: a
    paired ratio pairs a setting with stock of the same run and rep only
    (the same boot)."""
    rows, runs = [], []
    dirs = sorted(dirs)
    for k, d in enumerate(dirs, 1):
        csvs = sorted(glob.glob(os.path.join(d, "raw-*.csv")))
        metas = [m for m in (os.path.join(d, "host-meta.txt"),
                             os.path.join(d, "meta.txt"))
                 if os.path.exists(m)]
        meta = read_meta(metas)
        meta["run_dir"] = os.path.basename(os.path.normpath(d))
        got = read_rows(csvs, str(k) if len(dirs) > 1 else None)
        tag_web_server(got, meta)
        meta["run_rows"] = str(len(got))
        reps = {r.get("rep") for r in got}
        meta.setdefault("reps", str(len(reps)))
        rows += got
        runs.append(meta)
    return rows, runs


# --------------------------------------------------------------------------
# aggregation

class Cell:
    """One (scenario, setting, rate, direction) with its repetitions."""

    def __init__(self, r):
        self.scenario = r["scenario"]
        self.setting = r["setting"]
        self.module = r.get("module", "")
        self.usecs = fnum(r.get("usecs"))
        self.frames = fnum(r.get("frames"))
        self.threshold = fnum(r.get("threshold"))
        self.interval = fnum(r.get("interval_ms"))
        self.rate = int(fnum(r.get("rate")) or 0)
        self.direction = r.get("direction", "")
        self.reps = {}          # rep -> row (successful runs)
        self.failed = 0

    def values(self, col):
        return {rep: fnum(row.get(col)) for rep, row in self.reps.items()
                if fnum(row.get(col)) is not None}


def stats(vals):
    if not vals:
        return None
    v = sorted(vals)
    return (statistics.median(v), v[0], v[-1], len(v))


def aggregate(rows):
    cells = {}
    for r in rows:
        if not r.get("scenario") or not r.get("setting"):
            continue
        k = (r["scenario"], r["setting"], r.get("rate", ""),
             r.get("direction", ""))
        if k not in cells:
            cells[k] = Cell(r)
        c = cells[k]
        if r.get("ok", "1").strip() == "1":
            c.reps[r.get("rep", str(len(c.reps) + 1))] = r
        else:
            c.failed += 1
    return cells


def baseline_of(cells, c):
    return cells.get((c.scenario, BASELINE, str(c.rate), c.direction)) or \
        next((b for b in cells.values()
              if b.scenario == c.scenario and b.setting == BASELINE and
              b.rate == c.rate and b.direction == c.direction), None)


def ratio_stats(cells, c, col):
    """Paired ratios c/baseline per repetition: (median, min, max, n)."""
    if c.setting == BASELINE:
        return None
    b = baseline_of(cells, c)
    if b is None:
        return None
    cv, bv = c.values(col), b.values(col)
    rs = [cv[k] / bv[k] for k in cv if k in bv and bv[k] > 0]
    if rs:
        return stats(rs)
    # no pairs (reps failed on one side): ratio of the medians
    cs, bs = stats(list(cv.values())), stats(list(bv.values()))
    if cs and bs and bs[0] > 0:
        return (cs[0] / bs[0], None, None, 0)
    return None


def metrics_of(scenario, rows):
    if scenario in SCENARIOS:
        return SCENARIOS[scenario]["metrics"]
    cols = []
    for r in rows:
        if r.get("scenario") != scenario:
            continue
        for k in r:
            if k not in KEY_COLUMNS and k not in cols and fnum(r[k]) is not None:
                cols.append(k)
    return [(k, k, True) for k in cols]


def setting_order(c):
    order = SCENARIOS.get(c.scenario, {}).get("order")
    if order:
        return (0 if c.setting in order else 1,
                order.index(c.setting) if c.setting in order else 0,
                c.setting)
    gated = 1 if (c.threshold or 0) > 0 else 0
    return (c.setting != BASELINE, c.module != "ours", gated,
            c.usecs if c.usecs is not None else -1, c.setting)


def rate_order(r):
    return (r == 0, r)


def rate_label(r, scen=None):
    info = SCENARIOS.get(scen, {})
    if r == 0:
        return info.get("rate_zero", "max")
    text = info.get("rate_label", "{:,} pps").format(r)
    # "1 connections"
    return text.replace("connections", "connection") if r == 1 else text


def rate_short(r):
    if r == 0:
        return "max"
    return f"{r // 1000}k" if r % 1000 == 0 else str(r)


# --------------------------------------------------------------------------
# formatting

def decimals(x):
    """Decimals that give x about 3 significant digits (at most 4)."""
    a = abs(x)
    if a >= 100:
        return 0
    if a >= 10:
        return 1
    if a >= 1:
        return 2
    if a >= 0.1:
        return 3
    return 4


def fmt(x, d=None):
    if x is None:
        return "-"
    if d is None:
        d = decimals(x)
    if d == 0:
        return f"{x:,.0f}"
    return f"{x:.{d}f}"


def fmt_spread(med, lo, hi):
    """median [min, max], all three with the median's precision."""
    if med == lo == hi == 0:
        return "0 [0, 0]"
    d = decimals(med) if med else decimals(max(abs(lo), abs(hi)))
    return f"{fmt(med, d)} [{fmt(lo, d)}, {fmt(hi, d)}]"


def fmt_ratio(x, d=None):
    if x is None:
        return "-"
    if d is None:
        d = 3 if abs(x) < 0.1 else 2
    return f"{x:.{d}f}"


def cell_text(cells, c, col, want_ratio, nreps):
    if c is None:
        return "not run"
    s = stats(list(c.values(col).values()))
    if s is None:
        return "failed" if c.failed else "-"
    med, lo, hi, n = s
    t = fmt_spread(med, lo, hi)
    if n < nreps:
        t += f" (n={n})"
    if want_ratio:
        rs = ratio_stats(cells, c, col)
        if rs is not None:
            t += f" ×{fmt_ratio(rs[0])}"
    return t


def ratio_text(cells, c, col):
    if c is None:
        return "not run"
    rs = ratio_stats(cells, c, col)
    if rs is None:
        return "-"
    med, lo, hi, n = rs
    if n == 0:
        return f"{fmt_ratio(med)} (medians)"
    d = 3 if abs(med) < 0.1 else 2
    return f"{fmt_ratio(med, d)} [{fmt_ratio(lo, d)}, {fmt_ratio(hi, d)}]"


def setting_desc(c):
    desc = SCENARIOS.get(c.scenario, {}).get("settings", {})
    if c.setting in desc:
        return desc[c.setting]
    if c.setting == BASELINE or c.module == "stock":
        return "distribution vhost_net.ko, no coalescing ioctl"
    if not c.usecs:
        return "our vhost_net.ko, coalescing off (0 us)"
    thr = c.threshold or 0
    gate = "always on (threshold 0)" if thr == 0 else \
        f"gated at {thr:,.0f} pps (sampled every {c.interval or 0:.0f} ms)"
    return (f"our vhost_net.ko, {c.usecs:.0f} us, {c.frames or 0:.0f} frames, "
            f"{gate}")


class Rst:
    def __init__(self):
        self.lines = []

    def add(self, *lines):
        self.lines.extend(lines)

    def para(self, text):
        self.lines.extend(wrap(text))
        self.lines.append("")

    def heading(self, text, ch):
        self.lines.extend([text, ch * len(text), ""])

    def table(self, title, header, rows, note):
        # the emulation scaling, next to every table
        self.para(f"*{note}*")
        self.add(f".. list-table:: {title}", "   :header-rows: 1",
                 "   :stub-columns: 1", "")
        for row in [header] + rows:
            first = True
            for v in row:
                v = str(v).replace("*", "\\*") or "-"
                self.add(("   * - " if first else "     - ") + v)
                first = False
        self.add("")

    def text(self):
        out = "\n".join(self.lines).rstrip("\n") + "\n"
        return "\n".join(line.rstrip() for line in out.split("\n"))


def wrap(text, width=76):
    words = text.split()
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


# --------------------------------------------------------------------------
# plots

def load_matplotlib(disabled):
    if disabled:
        return None, "disabled with --no-plots"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt, None
    except Exception as e:  # noqa: BLE001 -- any failure: tables only
        return None, (f"matplotlib not available ({type(e).__name__}); "
                      "install python3-matplotlib for plots")


def plot_vs_rate(plt, cells, scen, col, label, path, scaling):
    sc = [c for c in cells.values() if c.scenario == scen]
    dirs = sorted({c.direction for c in sc})
    rates = sorted({c.rate for c in sc}, key=rate_order)
    settings = sorted({c.setting: c for c in sc}.values(), key=setting_order)
    fig, axes = plt.subplots(1, len(dirs), figsize=(6 * len(dirs), 4.5),
                             squeeze=False)
    # one colour per buffer time; gated settings dashed
    us = sorted({s.usecs or 0 for s in settings if s.setting != BASELINE})
    cmap = plt.get_cmap("viridis")
    colour = {u: cmap(i / max(1, len(us) - 1) * 0.9) for i, u in enumerate(us)}
    by_setting = "order" in SCENARIOS.get(scen, {})
    if by_setting:
        others = [x.setting for x in settings if x.setting != BASELINE]
        tab = plt.get_cmap("tab10")
        scol = {n: tab(i % 10) for i, n in enumerate(others)}
    for ax, d in zip(axes[0], dirs):
        for s in settings:
            xs, ys, lo, hi = [], [], [], []
            for i, r in enumerate(rates):
                c = next((x for x in sc if x.setting == s.setting and
                          x.rate == r and x.direction == d), None)
                st = stats(list(c.values(col).values())) if c else None
                if st is None:
                    continue
                xs.append(i)
                ys.append(st[0])
                lo.append(st[0] - st[1])
                hi.append(st[2] - st[0])
            if not xs:
                continue
            base = s.setting == BASELINE
            if base:
                col = "black"
            elif by_setting:
                col = scol[s.setting]
            else:
                col = colour[s.usecs or 0]
            ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3,
                        linestyle="--" if (s.threshold or 0) > 0 and
                        not by_setting else "-",
                        linewidth=2.5 if base else 1.2, color=col,
                        label=s.setting)
        ax.set_xticks(range(len(rates)))
        ax.set_xticklabels([rate_short(r) for r in rates])
        ax.set_xlabel("offered rate, pps (emulated)")
        ax.set_ylabel(label)
        if all(v > 0 for line in ax.get_lines() for v in line.get_ydata()):
            ax.set_yscale("log")
        ax.set_title(SCENARIOS.get(scen, {}).get("dirs", {}).get(d, d))
        ax.grid(True, which="both", alpha=0.3)
    if axes[0][-1].get_legend_handles_labels()[0]:
        axes[0][-1].legend(fontsize=7, loc="center left",
                           bbox_to_anchor=(1, 0.5))
    fig.suptitle(f"{label} vs rate: median, bars min-max\n" +
                 textwrap.fill(scaling, 60 * len(dirs)), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_sweep(plt, cells, scen, cols, rate, path, scaling):
    sc = [c for c in cells.values() if c.scenario == scen and c.rate == rate]
    dirs = sorted({c.direction for c in sc})
    fig, axes = plt.subplots(len(cols), len(dirs),
                             figsize=(5.5 * len(dirs), 3.6 * len(cols)),
                             squeeze=False)
    for i, (col, label) in enumerate(cols):
        for j, d in enumerate(dirs):
            ax = axes[i][j]
            dc = [c for c in sc if c.direction == d]
            for gated, style in ((False, "-"), (True, "--")):
                # 0 us (coalescing off) starts both lines
                pts = sorted((c for c in dc if c.module == "ours" and
                              (not c.usecs or
                               ((c.threshold or 0) > 0) == gated)),
                             key=lambda c: c.usecs or 0)
                xs, ys, lo, hi = [], [], [], []
                for c in pts:
                    st = stats(list(c.values(col).values()))
                    if st is None:
                        continue
                    xs.append(c.usecs or 0)
                    ys.append(st[0])
                    lo.append(st[0] - st[1])
                    hi.append(st[2] - st[0])
                if xs:
                    ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3,
                                linestyle=style,
                                label="ours, gated" if gated else
                                "ours, always on")
            b = next((c for c in dc if c.setting == BASELINE), None)
            st = stats(list(b.values(col).values())) if b else None
            if st:
                ax.axhline(st[0], color="black", linewidth=2, label="stock")
                ax.axhspan(st[1], st[2], color="black", alpha=0.1)
            ax.set_xlabel("buffer time, us")
            ax.set_ylabel(label)
            ax.set_title(SCENARIOS.get(scen, {}).get("dirs", {}).get(d, d),
                         fontsize=9)
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    fig.suptitle(f"buffer-time sweep at {rate_label(rate)}: median, bars "
                 "min-max\n" + textwrap.fill(scaling, 55 * len(dirs)),
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --------------------------------------------------------------------------
# report

def scaling_note(cells, scen, nreps):
    sc = [c for c in cells.values() if c.scenario == scen]
    thr = sorted({c.threshold for c in sc if (c.threshold or 0) > 0})
    t = ("Emulated rig (QEMU TCG, about 100x slower than hardware): rates "
         "are what the emulated test host is offered")
    if thr:
        t += ("; gated settings use a rate threshold of " +
              ", ".join(f"{x:,.0f}" for x in thr) +
              " pps, scaled down from the shipped 10,000 pps")
    if scen.startswith("guest"):
        t += "; " + GUEST_SCALING
    else:
        t += "; buffer times are real microseconds"
    t += (". Compare per-packet counts "
          f"and ratios to stock in the same boot, not times. Cells: median "
          f"[min, max] over {nreps} repetition{'s' if nreps != 1 else ''}")
    return t + "."


def short_scaling(cells, scen):
    sc = [c for c in cells.values() if c.scenario == scen]
    thr = sorted({c.threshold for c in sc if (c.threshold or 0) > 0})
    t = ("emulated, TCG ~100x slower than hardware: rates are the emulated "
         "host's (~100x below hardware)")
    if thr:
        t += f"; gate {thr[0]:,.0f} pps (hardware default 10,000)"
    if scen.startswith("guest"):
        return t + ("; buffer times 10x hardware's (5 ms for 500 us); "
                    "compare ratios, not times")
    return t + "; buffer times in real us; compare ratios, not times"


def reps_text(n):
    return f"{n} rep{'s' if n != 1 else ''}"


def generate(cells, rows, meta, args, out_files, plot_note):
    r = Rst()
    scens = scenario_order(cells)
    # the repetitions asked for (a cell may have fewer: failed runs)
    nreps = int(meta["reps"]) if meta.get("reps", "").isdigit() else \
        max((len(c.reps) for c in cells.values()), default=0)
    srcs = ", ".join(os.path.basename(p) for p in args.csv)
    r.add(".. SPDX-License-Identifier: GPL-2.0", "",
          ".. GENERATED by tools/bench/report.py from " + srcs + ".",
          "   Do not edit: rerun ``make bench`` (or ``tools/bench/bench.sh",
          "   --report-only`` to regenerate from the same runs).", "")
    r.heading("ncoal benchmark results", "=")
    quick = meta.get("quick") == "1"
    if quick:
        r.add(".. warning::", "")
        r.add(*["   " + x for x in wrap(
            "Quick run (the make check smoke test of the harness): one "
            "cell, one repetition, one second. Not a result.")])
        r.add("")
    r.para("Generated from the raw runs of tools/bench/bench.sh. Every "
           "number below is a median over repetitions with its spread "
           "(min, max); every ratio compares a setting of our modules with "
           "the stock modules measured in the same boot, back to back, "
           "repetition by repetition.")

    # -- run
    r.heading("Run", "-")
    fields = [
        ("date (UTC)", meta.get("started", meta.get("host_started", "?"))),
        ("command", meta.get("command", "?")),
        ("source revision", meta.get("git_rev", "?")),
        ("our vhost_net", f"{meta.get('ours_ident', '?')} (srcversion "
                          f"{meta.get('ours_srcversion', '?')})"),
        ("stock vhost_net", f"{meta.get('stock_file', '?')} (srcversion "
                            f"{meta.get('stock_srcversion', '?')})"),
        ("test host kernel", meta.get("l1_kernel", "?")),
    ]
    if any(x.startswith("guest") for x in scens):
        fields += [
            ("guest kernel", meta.get("l2_kernel", "?")),
            ("our virtio_net (guest)",
             meta.get("l2_ours_virtio_net")
             or meta.get("l2_ours-sync_virtio_net", "-")),
            ("stock virtio_net (guest)",
             meta.get("l2_stock_virtio_net", "-")),
        ]
    fields += [
        ("emulation", f"{meta.get('accel', '?')} "
                      f"({meta.get('emulator', 'QEMU 7.2, Debian')}); test host "
                      f"{meta.get('l1_cpus', '?')} vCPUs "
                      f"({meta.get('l1_cpu_model', '?')}) on a "
                      f"{meta.get('host_cpus', '?')}-CPU machine"),
        ("rig speed", f"fork+exec of /bin/true in the test host (root "
                      f"over 9p): "
                      f"{meta.get('l1_exec_ms', '?')} ms at the start "
                      "(well under 1 ms on hardware)"),
        ("repetitions", str(nreps)),
        ("load average of the machine",
         f"{meta.get('host_loadavg_start', '?')} at start, "
         f"{meta.get('host_loadavg_end', '?')} at end (other VMs on the "
         "same machine add noise: see the spreads)"),
        ("test host time", f"{meta.get('l1_seconds', '?')} s of runs"),
        ("test host restarts", meta.get("restarts", "0") + " (a test host "
         "the emulator killed: the scenario it was in runs again from its "
         "start in a new one)"),
        ("failed runs", meta.get("failed_runs",
                                 str(sum(c.failed for c in cells.values())))),
    ]
    if meta.get("runs_planned", "").isdigit():
        t = f"{len(rows)} of {meta['runs_planned']} planned"
        if meta.get("vm_status") == "124":
            t += (" (the test host reached its time limit: the runs not "
                  "made have no row)")
        fields.append(("runs", t))
    if "guest-web" in scens and meta.get("guest-web_server"):
        fields.append(("guest-web server", meta["guest-web_server"]))
    if "guest-memcached" in scens:
        for k in ("server", "load"):
            if meta.get(f"guest-memcached_{k}"):
                fields.append((f"guest-memcached {k}",
                               meta[f"guest-memcached_{k}"]))
    for s in scens:
        for k in ("rates", "dirs", "duration_s"):
            if f"{s}_{k}" in meta:
                fields.append((f"{s} {k.replace('_s', ' (s)')}",
                               meta[f"{s}_{k}"]))
    for k, v in fields:
        r.add(f":{k}: {v}")
    r.add("")
    if len(getattr(args, "runs", [])) > 1:
        r.para("The repetitions come from these runs (saved by "
               "``bench.sh --save`` in Documentation/benchmarks/data/; "
               "a ratio pairs runs of the same run and repetition only):")
        for m in args.runs:
            t = (f"{m['run_dir']}: {m.get('host_started', '?')}, revision "
                 f"{m.get('git_rev', '?')}, {reps_text(int(m['reps']))}"
                 if m["reps"].isdigit() else m["run_dir"])
            t += f", {m['run_rows']} runs"
            if m.get("runs_planned", "").isdigit():
                t += f" of {m['runs_planned']} planned"
            if m.get("emulator"):
                t += f", {m['emulator']}"
            if m.get("restarts", "0") != "0":
                t += f", {m['restarts']} test host restart(s)"
            if m.get("vm_status") == "124":
                t += " (time limit reached)"
            t += (f", load {m.get('host_loadavg_start', '?')} at start, "
                  f"{m.get('host_loadavg_end', '?')} at end")
            r.add(f"- {t}")
        r.add("")

    r.heading("How to read the tables", "-")
    r.para("A cell is ``median [min, max]`` over the repetitions of that "
           "cell; ``(n=K)`` marks a cell where only K repetitions "
           "succeeded. ``×R`` is the ratio to stock: repetition r of the "
           "setting divided by repetition r of stock in the same cell "
           "(measured minutes apart in the same boot), and R is the median "
           "of those paired ratios; ratio tables also give their "
           "``[min, max]``. Below 1 means fewer than stock.")
    if scens:
        r.para(scaling_note(cells, scens[0], nreps))

    guest_summary(r, cells, scens, nreps)
    thesis_table(r, cells, scens, nreps, meta)
    costs_table(r, cells, scens, nreps)
    for s in scens:
        report_scenario(r, cells, rows, s, meta, args, out_files, nreps)

    # -- plots
    r.heading("Plots", "-")
    if plot_note:
        r.para(f"Not generated: {plot_note}. The tables above hold every "
               "number.")
    else:
        r.para("Generated next to the aggregated CSV (not committed; "
               "``make bench`` regenerates them). Each states the emulation "
               "scaling in its title.")
        for f, what in out_files:
            r.add(f"- ``{f}``: {what}")
        r.add("")

    # -- honesty
    r.heading("What an emulated rig can and cannot show", "-")
    for p in HONEST:
        r.para(p)

    # -- placeholder: what the data does not cover yet
    todo = [p for key, p in PLACEHOLDER
            if not key or not any(x.startswith(key) for x in scens)]
    if todo:
        r.heading("Not measured yet (PLACEHOLDER)", "-")
        r.add(".. note::", "")
        r.add(*["   " + x for x in wrap(
            "PLACEHOLDER generated by report.py: these parts of issue 6 "
            "have no data in this run.")])
        r.add("")
        for p in todo:
            w = wrap("- " + p, 74)
            r.add(w[0], *["  " + x for x in w[1:]])
        r.add("")
    return r.text()


HONEST = [
    "It can show: per-packet notification counts (signals, vhost worker "
    "and driver wakeups, context switches) and how they change with the "
    "buffer time, the rate and the gate; the ratio of our modules to "
    "stock under the same emulated conditions in the same boot; that the "
    "coalescer keeps its bound and loses nothing that stock delivers; and "
    "the order of the settings.",
    "It cannot show: absolute throughput, latency or CPU cost on "
    "hardware. Under TCG every instruction is emulated, about 100x "
    "slower, so the rates here are about two orders of magnitude below "
    "hardware ones and the vhost worker saturates early. CPU us/packet "
    "is emulated time and includes the driver's own pacing and "
    "guest-side work; notification delays include the emulated "
    "scheduler's latency, so only their relation to the buffer time and "
    "to stock means something. The cost of a real interrupt injection or "
    "VM exit (APIC, posted interrupts, cache effects) is not here at all: "
    "in this scenario a signal is an eventfd write read by a thread.",
    "Noise: the emulated test host shares the machine's CPUs with "
    "whatever else runs there (load average above), and an emulated CPU "
    "that is descheduled stalls every thread on it at once; repetitions "
    "spread accordingly. Read the [min, max] before a median, and a "
    "ratio whose range includes 1 as no measured change.",
    "Rates and threshold are scaled to the rig (see each table's note); "
    "the hardware profile they stand for is 500 us, 64 frames, "
    "10,000 pps (coalescing ships off).",
]

# (scenario prefix that covers it, or "" for never covered by a run)
PLACEHOLDER = [
    ("guest", "Guest scenarios (L2 guest with our virtio_net over "
     "vhost=on): small-packet UDP floods both ways, TCP SYN flood "
     "(hping3), sockperf request/response latency, the highest loss-free "
     "rate (make bench runs them; this run did not)."),
    ("guest-web", "Web (nginx in the guest, wrk from L1): make "
     "bench runs it; this run did not."),
    ("guest-memcached", "Key-value service (memcached in the guest, "
     "tools/mcload from L1, latency p50/p99 per request): make bench runs "
     "it; this run did not."),
    ("guest-sweep", "The buffer-time sweep in the guest: make bench runs "
     "it (guest-sweep); this run did not."),
    ("", "Energy: the rig has no power meter (and emulated CPU time is not "
     "energy); CPU time per packet on both levels stands in for it."),
]


def scenario_order(cells):
    """Scenarios of the run: SCENARIOS order (the matrix's), then others."""
    known = list(SCENARIOS)
    have = dict.fromkeys(c.scenario for c in cells.values())
    return sorted(have, key=lambda x: (known.index(x) if x in known
                                       else len(known), x))


# The guest summary: (scenario, direction, rate pick, metric, as ratio);
# rate pick "top" is the highest non-zero rate of the run, "low" the
# lowest, "zero" rate 0.
GUEST_SUMMARY = [
    ("guest-flood", "rx", "top", "guest_irqs_per_pkt", True),
    ("guest-flood", "rx", "top", "l2_ctxsw_per_pkt", True),
    ("guest-flood", "tx", "top", "guest_tx_kicks_per_pkt", True),
    ("guest-flood", "tx", "top", "l1_ctxsw_per_pkt", True),
    ("guest-flood", "rx", "top", "loss_pct", False),
    ("guest-synflood", "syn", "top", "degradation_p50", False),
    ("guest-synflood", "syn", "top", "tcp_kept", False),
    ("guest-rr", "udp", "low", "lat_p50_us", True),
    ("guest-rr", "udp", "top", "lat_p99_us", True),
    ("guest-web", "http", "top", "rps", True),
    ("guest-memcached", "getset", "low", "lat_p50_ms", True),
    ("guest-memcached", "getset", "top", "lat_p99_ms", True),
    ("guest-lossfree", "rx", "zero", "lossfree_pps", False),
]


def guest_summary(r, cells, scens, nreps):
    """One table: every guest comparator, the key numbers of each scenario
    (ratios to stock, or values where a ratio would hide the point)."""
    cols = []
    for sc, d, pick, col, as_ratio in GUEST_SUMMARY:
        if sc not in scens:
            continue
        rates = sorted({c.rate for c in cells.values()
                        if c.scenario == sc and c.direction == d})
        nz = [x for x in rates if x]
        rate = {"top": nz[-1] if nz else None, "low": nz[0] if nz else None,
                "zero": 0 if 0 in rates else None}[pick]
        if rate is None:
            continue
        cols.append((sc, d, rate, col, as_ratio))
    if not cols:
        return
    names = []
    for sc, _, _, _, _ in cols:
        for c in sorted((c for c in cells.values() if c.scenario == sc),
                        key=setting_order):
            if c.setting not in names:
                names.append(c.setting)
    r.heading("Guest summary: key numbers per comparator", "-")
    r.para("One column per key number of the guest scenarios (details in "
           "each scenario's section below). ``×R``: median paired ratio "
           "to stock at that rate (below 1: fewer, or faster, than "
           "stock); plain numbers: the median value (stock's row gives "
           "the values every ratio is taken to).")
    header = ["setting"]
    for sc, d, rate, col, _ in cols:
        label = dict((m[0], m[1]) for m in SCENARIOS[sc]["metrics"])
        header.append(f"{sc} {d} {rate_label(rate, sc)}: "
                      f"{label.get(col, col)}")
    body = []
    for n in names:
        row = [n]
        for sc, d, rate, col, as_ratio in cols:
            c = cells.get((sc, n, str(rate), d))
            if c is None:
                row.append("not run")
                continue
            st = stats(list(c.values(col).values()))
            if st is None:
                row.append("failed" if c.failed else "-")
            elif as_ratio and n != BASELINE:
                rs = ratio_stats(cells, c, col)
                row.append(f"×{fmt_ratio(rs[0])}" if rs else fmt(st[0]))
            else:
                row.append(fmt(st[0]))
        body.append(row)
    note = (short_scaling(cells, cols[0][0]) +
            f"; median of {reps_text(nreps)}")
    r.table("guest scenarios: key numbers, ratios to stock", header, body,
            note)


# The thesis (R. Shea, SFU PhD thesis, 2016): its headline numbers, on
# hardware, and where this report measures the same thing.
#   (what, thesis, scenario, direction, column, kind), read at the rate
#   matrix.sh names for the scenario (its regime), else the highest
# kind "ratio": ours / stock as a change in %; "pair": stock's value and
# ours side by side (degradation: the RTT under flood / without - 1);
# "lost": the same for a share kept (1 - it: the throughput lost).
THESIS = [
    ("guest interrupts", "-31%", "guest-flood", "rx",
     "guest_irqs_per_pkt", "ratio"),
    ("guest interrupts, guest to host", "-31%", "guest-flood", "tx",
     "guest_irqs_per_pkt", "ratio"),
    ("context switches, guest", "-40%", "guest-flood", "rx",
     "l2_ctxsw_per_pkt", "ratio"),
    ("context switches, host", "-40%", "guest-flood", "rx",
     "l1_ctxsw_per_pkt", "ratio"),
    ("guest kicks (VM exits), guest to host", "(not given)", "guest-flood",
     "tx", "guest_tx_kicks_per_pkt", "ratio"),
    ("network degradation under a SYN flood (TCP throughput lost)",
     "42% -> <1%", "guest-synflood", "syn", "tcp_kept", "lost"),
    ("latency under a SYN flood (ping RTT, a probe below the gate)",
     "(not given)", "guest-synflood", "syn", "degradation_p50", "pair"),
    ("highest loss-free rate under a UDP flood (degradation under flood "
     "read as the rate the guest still sustains)",
     "42% -> <1% (degradation)", "guest-lossfree",
     "rx", "lossfree_pps", "ratio"),
    ("context switches under a SYN flood, guest", "-40%", "guest-synflood",
     "syn", "l2_ctxsw_per_pkt", "ratio"),
    ("web requests/s", "(a figure, no single number)", "guest-web",
     "http", "rps", "ratio"),
    ("energy (CPU per packet stands in: no power meter)", "-12% to -32%",
     "guest-flood", "rx", "l1_cpu_us_per_pkt", "ratio"),
]


def matrix_rate(meta, s):
    """The rate matrix.sh names for scenario s (<S>_SWEEP_RATE, in the
    run's meta), or None."""
    named = meta.get(f"{s}_sweep_rate", "")
    return int(named) if named.isdigit() else None


def thesis_change(cells, c, b, col, kind):
    """Ours (cell c) against stock (cell b) as the thesis states it, or
    None when either side has no value."""
    if kind == "ratio":
        rs = ratio_stats(cells, c, col)
        if not rs:
            return None
        txt = f"{(rs[0] - 1) * 100:+.0f}%"
        if rs[1] is not None:
            txt += (f" [{(rs[1] - 1) * 100:+.0f}%, "
                    f"{(rs[2] - 1) * 100:+.0f}%]")
        return txt
    sb = stats(list(b.values(col).values()))
    so = stats(list(c.values(col).values()))
    if not sb or not so:
        return None
    if kind == "lost":
        return (f"{(1 - sb[0]) * 100:.0f}% -> {(1 - so[0]) * 100:.0f}% "
                "(1 - TCP Mbit/s under flood / without)")
    return (f"{(sb[0] - 1) * 100:.0f}% -> {(so[0] - 1) * 100:.0f}% "
            "(RTT p50 under flood / without, - 1)")


def thesis_vs_off(c, off, col, kind):
    """Ours against our own modules with coalescing off (same kind of
    guest boot, the control), as a change of the medians."""
    so = stats(list(c.values(col).values()))
    sf = stats(list(off.values(col).values())) if off else None
    if not so or not sf or sf[0] <= 0:
        return "-"
    if kind == "ratio":
        return f"{(so[0] / sf[0] - 1) * 100:+.0f}%"
    if kind == "lost":
        return f"{(1 - sf[0]) * 100:.0f}% -> {(1 - so[0]) * 100:.0f}%"
    return f"{(sf[0] - 1) * 100:.0f}% -> {(so[0] - 1) * 100:.0f}%"


def thesis_table(r, cells, scens, nreps, meta):
    """The thesis's headline numbers next to ours (synced where it ran,
    else both levels), each as the change against stock."""
    body = []
    for what, theirs, sc, d, col, kind in THESIS:
        if sc not in scens:
            continue
        rates = sorted({c.rate for c in cells.values()
                        if c.scenario == sc and c.direction == d})
        if len(rates) > 1:
            # rate 0 (as fast as it goes) only where it is the one rate
            rates = [x for x in rates if x]
        if not rates:
            continue
        rate = matrix_rate(meta, sc)
        if rate not in rates:
            rate = rates[-1]
        b = cells.get((sc, BASELINE, str(rate), d))
        if b is None:
            continue
        off = cells.get((sc, "ours-off", str(rate), d))
        for ours in ("synced", "both"):
            c = cells.get((sc, ours, str(rate), d))
            txt = thesis_change(cells, c, b, col, kind) if c else None
            if txt:
                body.append([what, theirs, txt, ours,
                             thesis_vs_off(c, off, col, kind),
                             f"{sc} {d} {rate_label(rate, sc)}"])
                break
    if not body:
        return
    r.heading("The thesis and this run", "-")
    r.para("The published design (R. Shea, SFU PhD thesis, 2016) on "
           "hardware, and the same quantity here for our setting "
           "``synced`` (``both`` where synced has no result) against stock "
           "in the same boot, at the rate matrix.sh names for the "
           "scenario: median change [min, max] over the "
           "repetitions' paired ratios. The thesis measured Apache, SYN "
           "floods and energy on real machines; here the rig is emulated "
           "(see the note), so read the direction and the size of a "
           "change, not a time. The column against ours-off (our modules, "
           "coalescing off, the same kind of guest boot, run right before) "
           "is the control: where it and the stock column disagree, the "
           "difference between the two boots (stock's guest runs its own "
           "virtio_net build) is larger than the effect, and more "
           "repetitions are needed.")
    r.table("the thesis's headline numbers and ours",
            ["quantity", "thesis (hardware)", "ours / stock", "setting",
             "ours / ours-off", "where"], body,
            short_scaling(cells, "guest-flood") +
            f"; median of {reps_text(nreps)}")


# Where coalescing can cost: (scenario, direction, column, higher is
# worse, why). costs_table lists every rate where ours is worse than stock
# by more than COST_MIN; the text says why for the scenarios it lists.
CLOSED_LOOP = (
    "A client with one request in flight per connection is a closed "
    "loop: the next request leaves only when the answer has arrived. "
    "Once the loop runs fast enough to open the rate gate (the scaled "
    "threshold), the answer's interrupt waits for the host's RX delay and "
    "the request's kick for the guest's TX delay, so each exchange "
    "carries up to one latency budget more, and a connection completes "
    "fewer exchanges per second. Coalescing saves a notification only "
    "when several packets share it, and a loop with one exchange in "
    "flight has nothing to share it with. The gate counts packets per "
    "second, not packets in flight, so it cannot tell such a loop from a "
    "flood of the same rate. What helps today: a smaller budget "
    "(budget_usecs, or ethtool -C rx-usecs/tx-usecs) for such guests, or "
    "pkt-rate-low above the loop's rate.")
COSTS = [
    ("guest-rr", "udp", "lat_p50_us", True, CLOSED_LOOP),
    ("guest-rr", "udp", "lat_p99_us", True, CLOSED_LOOP),
    ("guest-rr", "udp", "tps", False, CLOSED_LOOP),
    ("guest-memcached", "getset", "lat_p50_ms", True, CLOSED_LOOP),
    ("guest-memcached", "getset", "lat_p99_ms", True, CLOSED_LOOP),
    ("guest-memcached", "getset", "rps", False, CLOSED_LOOP),
    ("guest-web", "http", "rps", False, CLOSED_LOOP),
    ("guest-synflood", "syn", "degradation_p50", True,
     "The probe that measures degradation (a ping at 10/s) shares the "
     "guest's queue with the flood. With the gate open, its echo request "
     "waits for the RX delay like every other packet, so the RTT under "
     "flood grows by up to the delay. At the rig's flood rates (about "
     "100x below a hardware SYN flood) stock's guest is far from the "
     "interrupt storm the thesis measured, so the delay added to the probe "
     "can outweigh the load coalescing takes away."),
    ("guest-flood", "rx", "loss_pct", True,
     "Held interrupts mean larger batches per NAPI poll; where the "
     "emulated guest is already near saturation a burst can overflow the "
     "ring before the held interrupt fires."),
    ("guest-lossfree", "rx", "lossfree_pps", False,
     "Held interrupts mean larger batches per NAPI poll; where the "
     "emulated guest is already near saturation a burst can overflow the "
     "ring before the held interrupt fires."),
]
COST_MIN = 0.10


def costs_table(r, cells, scens, nreps):
    """Where ours (synced, else both) is worse than stock by more than
    COST_MIN at any rate, with the control's ratio next to it, and why."""
    body, why = [], []
    for sc, d, col, up, text in COSTS:
        if sc not in scens:
            continue
        label = dict((m[0], m[1]) for m in SCENARIOS[sc]["metrics"])
        rates = sorted({c.rate for c in cells.values()
                        if c.scenario == sc and c.direction == d},
                       key=rate_order)
        for rate in rates:
            b = cells.get((sc, BASELINE, str(rate), d))
            c = next((cells[k] for k in ((sc, o, str(rate), d)
                                         for o in ("synced", "both"))
                      if k in cells), None)
            if b is None or c is None:
                continue
            sb = stats(list(b.values(col).values()))
            so = stats(list(c.values(col).values()))
            if not sb or not so:
                continue
            rs = ratio_stats(cells, c, col)
            if rs:
                worse = rs[0] - 1 if up else 1 - rs[0]
                change = f"×{fmt_ratio(rs[0])}"
                if rs[1] is not None and rs[3] > 1:
                    change += f" [{fmt_ratio(rs[1])}, {fmt_ratio(rs[2])}]"
            elif col.endswith("_pct"):
                # stock lost nothing: the difference in points
                worse = (so[0] - sb[0]) / 100 if up else (sb[0] - so[0]) / 100
                change = f"{so[0] - sb[0]:+.2f} points"
            else:
                continue
            if round(worse, 6) <= COST_MIN:
                continue
            off = cells.get((sc, "ours-off", str(rate), d))
            ro = ratio_stats(cells, off, col) if off else None
            body.append([f"{sc} {d} {rate_label(rate, sc)}",
                         label.get(col, col), c.setting, fmt(sb[0]),
                         fmt(so[0]), change,
                         f"×{fmt_ratio(ro[0])}" if ro else "-"])
            if text not in why:
                why.append(text)
    r.heading("Where coalescing costs", "-")
    if not body:
        r.para("In this run no scenario measured here is worse with our "
               f"setting synced (or both) than with stock by more than "
               f"{COST_MIN * 100:.0f}% (latency, requests/s, degradation, "
               "loss, loss-free rate).")
        return
    r.para("Every rate at which our setting ``synced`` (``both`` where "
           "synced did not run) is worse than stock by more than "
           f"{COST_MIN * 100:.0f}% in latency, requests or transactions "
           "per second, degradation under flood, loss or loss-free rate. "
           "The last column is the control: our modules with coalescing "
           "off against stock; where it moves as much, the difference is "
           "the two guest boots, not coalescing.")
    r.table("where ours is worse than stock",
            ["scenario, rate", "quantity", "setting", "stock", "ours",
             "ours / stock", "ours-off / stock"], body,
            short_scaling(cells, body[0][0].split()[0]) +
            f"; median of {reps_text(nreps)}; [min, max] of the paired "
            "ratios")
    for text in why:
        r.para(text)


def report_scenario(r, cells, rows, s, meta, args, out_files, nreps):
    info = SCENARIOS.get(s, {})
    sc = [c for c in cells.values() if c.scenario == s]
    dirs = sorted({c.direction for c in sc})
    rates = sorted({c.rate for c in sc}, key=rate_order)
    settings = [c for c in sorted({c.setting: c for c in sc}.values(),
                                  key=setting_order)]
    metrics = metrics_of(s, rows)
    mlabel = {m[0]: m[1] for m in metrics}
    note = (short_scaling(cells, s) +
            f"; median [min, max] of {reps_text(nreps)}")
    dlabel = info.get("dirs", {})

    def get(setting, rate, d):
        return cells.get((s, setting, str(rate), d)) or next(
            (c for c in sc if c.setting == setting and c.rate == rate and
             c.direction == d), None)

    r.heading(info.get("title", f"Scenario {s}"), "-")
    if info.get("intro"):
        r.para(info["intro"])
    for n in info.get("notes", []):
        r.para(n)

    r.table(f"{s}: settings", ["setting", "what"],
            [[c.setting, setting_desc(c)] for c in settings], note)

    # headline: ratios of the key metrics
    ours = [c for c in settings if c.setting != BASELINE]
    r.heading(f"{s}: headline ratios, ours / stock", "~")
    ctl = info.get("control")
    if ctl and any(c.setting == ctl for c in sc):
        for col in info.get("headline", []):
            rs = [x for c in sc if c.setting == ctl
                  for x in [ratio_stats(cells, c, col)] if x and x[3]]
            if rs:
                lo = min(x[1] for x in rs)
                hi = max(x[2] for x in rs)
                r.para(f"Noise floor, {mlabel.get(col, col)}: {ctl} is "
                       "our module with coalescing off, which behaves like "
                       "stock by construction, so its row in each ratio "
                       "table is this run's noise at that rate (over all "
                       "rates and directions its paired ratios span "
                       f"{fmt_ratio(lo)} to {fmt_ratio(hi)}). A ratio whose "
                       f"range overlaps the {ctl} range at the same rate "
                       "is not a measured difference.")
    for col in info.get("headline", []):
        for d in dirs:
            body = [[c.setting] + [ratio_text(cells, get(c.setting, x, d), col)
                                   for x in rates] for c in ours]
            base = [f"stock ({mlabel.get(col, col)})"] + [
                cell_text(cells, get(BASELINE, x, d), col, False, nreps)
                for x in rates]
            r.table(f"{dlabel.get(d, d)}: {mlabel.get(col, col)}, ratio ours "
                    f"/ stock, median [min, max] of paired ratios",
                    ["setting"] + [rate_label(x, s) for x in rates],
                    [base] + body, note)

    for col in info.get("headline_abs", []):
        for d in dirs:
            body = [[c.setting] + [cell_text(cells, get(c.setting, x, d), col,
                                             False, nreps) for x in rates]
                    for c in settings]
            r.table(f"{dlabel.get(d, d)}: {mlabel.get(col, col)}",
                    ["setting"] + [rate_label(x, s) for x in rates], body, note)

    # the buffer-time sweep at one rate
    sweep = args.sweep_rate
    if sweep is None:
        sweep = matrix_rate(meta, s)
    if sweep is not None and sweep not in rates:
        sweep = None
    if sweep is None and rates:
        sweep = rates[0]
    if sweep is not None:
        r.heading(f"{s}: all metrics at {rate_label(sweep, s)}" +
                  (" (buffer-time sweep)" if info.get("sweep", True) else ""),
                  "~")
        cols = [m for m in metrics]
        for d in dirs:
            body = []
            for c in settings:
                cc = get(c.setting, sweep, d)
                body.append([c.setting] + [cell_text(cells, cc, m[0], m[2],
                                                     nreps) for m in cols])
            r.table(f"{dlabel.get(d, d)} at {rate_label(sweep, s)}",
                    ["setting"] + [m[1] for m in cols], body, note)

    # every metric against the rate
    r.heading(f"{s}: every metric against the rate", "~")
    for d in dirs:
        for col, label, want in metrics:
            body = [[c.setting] + [cell_text(cells, get(c.setting, x, d),
                                             col, want, nreps)
                                   for x in rates] for c in settings]
            r.table(f"{dlabel.get(d, d)}: {label}",
                    ["setting"] + [rate_label(x, s) for x in rates], body, note)


def write_results_csv(path, cells, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "module", "setting", "usecs", "frames",
                    "threshold", "interval_ms", "rate", "direction", "metric",
                    "n", "failed", "median", "min", "max", "ratio_median",
                    "ratio_min", "ratio_max", "ratio_n"])

        def g(x):
            return "" if x is None else f"{x:.6g}"

        for c in sorted(cells.values(), key=lambda c: (
                c.scenario, c.direction, rate_order(c.rate),
                setting_order(c))):
            for col, _, _ in metrics_of(c.scenario, rows):
                st = stats(list(c.values(col).values()))
                rs = ratio_stats(cells, c, col)
                w.writerow([c.scenario, c.module, c.setting, g(c.usecs),
                            g(c.frames), g(c.threshold), g(c.interval),
                            c.rate, c.direction, col,
                            st[3] if st else 0, c.failed,
                            g(st[0]) if st else "", g(st[1]) if st else "",
                            g(st[2]) if st else "",
                            g(rs[0]) if rs else "", g(rs[1]) if rs else "",
                            g(rs[2]) if rs else "", rs[3] if rs else ""])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="*", help="raw CSV files (raw-*.csv)")
    ap.add_argument("--run", action="append", default=[],
                    help="a saved run directory (raw-*.csv and its meta "
                         "files; repeatable: the runs' repetitions add up)")
    ap.add_argument("--out", default="build/bench",
                    help="directory for results.csv and the plots")
    ap.add_argument("--rst", default=None,
                    help="the report (default OUT/results.rst)")
    ap.add_argument("--meta", action="append", default=[],
                    help="key=value run description (repeatable)")
    ap.add_argument("--no-plots", action="store_true", help="tables only")
    ap.add_argument("--sweep-rate", type=int, default=None,
                    help="rate of the buffer-time sweep (default: matrix)")
    args = ap.parse_args()

    rows = read_rows(args.csv)
    meta = read_meta(args.meta)
    tag_web_server(rows, meta)
    runs = []
    if args.run:
        rrows, runs = read_runs(args.run)
        rows += rrows
        # the common fields (module identities, kernel, matrix) from the
        # latest run; the repetitions are all runs' together
        meta = {**runs[-1], **meta}
        meta["reps"] = str(sum(int(m["reps"]) for m in runs
                               if m["reps"].isdigit()))
        if len(runs) > 1:
            # per-run fields: listed run by run instead
            meta["l1_seconds"] = str(sum(
                int(m.get("l1_seconds", "0")) for m in runs
                if m.get("l1_seconds", "").isdigit()))
            for k in ("runs_planned", "vm_status", "failed_runs"):
                meta.pop(k, None)
        args.csv = [m["run_dir"] for m in runs]
    rows, server, left_out = web_server_rows(rows)
    if server:
        web_server_info(server, left_out)
        # the Run field when the run recorded it (runs that did not are
        # busybox httpd's: the section's title says so)
        if server != WEB_SERVER_OLD:
            meta["guest-web_server"] = server
    cells = aggregate(rows)
    if not cells:
        print("report.py: no runs in " + " ".join(args.csv), file=sys.stderr)
        return 1
    args.runs = runs
    os.makedirs(args.out, exist_ok=True)
    rst = args.rst or os.path.join(args.out, "results.rst")

    write_results_csv(os.path.join(args.out, "results.csv"), cells, rows)

    # plots of an earlier run must not outlive it
    for f in os.listdir(args.out):
        if f.endswith(".png") and f.split("-")[0] in SCENARIOS:
            os.remove(os.path.join(args.out, f))
    plt, plot_note = load_matplotlib(args.no_plots)
    out_files = []
    if plt is not None:
        scens = scenario_order(cells)
        for s in scens:
            info = SCENARIOS.get(s)
            if not info:
                continue
            scal = short_scaling(cells, s)
            labels = {m[0]: m[1] for m in info["metrics"]}
            for col in info["plots"]:
                f = os.path.join(args.out, f"{s}-{col}.png")
                plot_vs_rate(plt, cells, s, col, labels[col], f, scal)
                out_files.append((os.path.relpath(f), f"{labels[col]} vs "
                                  "rate, every setting, both directions"))
            rates = sorted({c.rate for c in cells.values() if c.scenario == s})
            sweep = args.sweep_rate
            if sweep is None:
                sweep = matrix_rate(meta, s)
            if sweep not in rates and rates:
                sweep = rates[0]
            if sweep is not None and info.get("sweep", True):
                f = os.path.join(args.out, f"{s}-sweep-{sweep}.png")
                plot_sweep(plt, cells, s, [(c, labels[c]) for c in
                                           info.get("sweep_plots",
                                                    info["plots"])],
                           sweep, f, scal)
                out_files.append((os.path.relpath(f), "buffer-time sweep "
                                  f"at {rate_label(sweep)}, always on and "
                                  "gated, stock as a band"))
    text = generate(cells, rows, meta, args, out_files, plot_note)
    d = os.path.dirname(rst)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(rst, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"report.py: {len(cells)} cells, {len(rows)} runs -> "
          f"{os.path.join(args.out, 'results.csv')}, {rst}"
          + (f", {len(out_files)} plots" if out_files else
             f" (no plots: {plot_note})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
