# SPDX-License-Identifier: GPL-2.0
#
# The benchmark matrix. Sourced by tools/bench/bench.sh (on this machine:
# time estimate, validation) and tools/bench/bench-l1.sh (in the test
# host: the runs). Edit here to add settings or rates; add a scenario by
#
#   1. naming it in BENCH_SCENARIOS,
#   2. giving it <NAME>_* variables below (settings, rates, directions,
#      duration, and the same with _QUICK for --quick),
#   3. writing tools/bench/scenarios/<name>.sh, which defines
#      bench_<name>_runs (prints the number of runs, for progress and
#      the time budget) and bench_<name> (runs them, one CSV row per
#      run through bench_row; see scenarios/host.sh),
#   4. teaching tools/bench/report.py its metrics (SCENARIOS there);
#      a scenario it does not know still gets generic tables.
#
# Emulation scaling: the rig runs under TCG, about 100x slower than
# hardware (../../../shared/ENVIRONMENT.md, README "The VM rig"). Rates
# below are what the emulated test host sustains; the gated settings use
# a rate threshold of 1,000 pps, scaled down from the shipped 10,000 pps,
# as the VM tests do. Buffer times are real microseconds (not scaled).

# Scenarios in run order; bench.sh --only picks a subset.
BENCH_SCENARIOS=(host)

# Repetitions of the whole matrix (interleaved: every cell once per rep).
BENCH_REPS=3

# --- host: vhost_net alone, driven by tools/vhost_net_drv (no guest) ----
#
# One setting per line: NAME MODULE COALESCE
#   MODULE    stock (the distribution's vhost_net, host_load_stock) or
#             ours (build/vhost_net.ko, host_load_ours); both are
#             measured in the same boot, cell by cell
#   COALESCE  USECS:FRAMES:THRESHOLD:INTERVAL_MS, applied to both rings
#             with vhost-net-drv -c (VHOST_NET_SET_VRING_COALESCE);
#             "-" for none (stock has no such ioctl)
# The setting named "stock" is the baseline every ratio is taken to.
HOST_SETTINGS=(
	"stock       stock  -"
	"ours-off    ours   0:64:0:100"
	"on-100      ours   100:64:0:100"
	"on-250      ours   250:64:0:100"
	"on-500      ours   500:64:0:100"
	"on-1000     ours   1000:64:0:100"
	"gated-100   ours   100:64:1000:100"
	"gated-250   ours   250:64:1000:100"
	"gated-500   ours   500:64:1000:100"
	"gated-1000  ours   1000:64:1000:100"
)
# pps offered per direction; 0 = as fast as the driver can (shown "max")
HOST_RATES=(1000 3000 10000 30000 0)
HOST_DIRS=(rx tx)
# seconds of traffic per run
HOST_DURATION=3
# seconds of unrecorded traffic after each module reload (0: none)
HOST_WARMUP=0.2

# --quick (make check): one tiny cell (RX, one rate, stock and one
# setting of ours, one short run each): the harness end to end, not a
# measurement
HOST_QUICK_SETTINGS=(stock on-1000)
HOST_QUICK_RATES=(3000)
HOST_QUICK_DIRS=(rx)
HOST_QUICK_DURATION=1
HOST_QUICK_WARMUP=0

# The rate of the buffer-time sweep table and plot (report.py --sweep-rate)
HOST_SWEEP_RATE=3000
