# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-sweep": the buffer-time sweep of the thesis in the
# two-level rig. guest-flood's runs (tools/udpflood, 18-byte UDP, both
# directions) at one rate above the gate, with the host's interrupt
# delay and the guest's kick delay both set to each buffer time of the
# matrix (GUEST_SWEEP_SETTINGS; 0 is our modules with coalescing off),
# and stock as the baseline of every ratio. Same columns as guest-flood.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"
. "$BENCH_DIR/scenarios/guest-flood.sh"

bench_guest-sweep_runs() {
	bench_count guest-sweep
}

# sweep_once REP DIR RATE NAME: one guest-flood run, filed under
# guest-sweep; prints the metric columns.
sweep_once() {
	FLOOD_RUNDIR=$BENCH_OUT/runs/guest-sweep flood_once "$@"
}

bench_guest-sweep() {
	guest_bench guest-sweep
}
guest_register guest-sweep sweep_once "${GUEST_FLOOD_COLUMNS}"
