#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile guest (issue 8, case "hostile-guest"): the guest's second
# virtio-net device (eth1, relay QEMU, our vhost_net) is driven by
# ctrlq_inject.ko, which sends random control commands: every NOTF_COAL
# command (TX_SET, RX_SET, VQ_SET, VQ_GET), our SYNC, unknown ones and
# other classes, well formed and not, with edge values. The commands
# come from tools/testing/fuzz/ctrlq_fuzz in the test host, one at a
# time over a shell loop in the guest; after each one it compares the
# host's rings (debugfs) with its model of the device (see the
# program's header for every result line). Meanwhile traffic flows on
# both rings of eth1 (ctrlq_inject sends frames and recycles receive
# buffers, the test host floods UDP into tap1) and the program checks
# the timer fires per second of each ring against coalesce_min_usecs; a
# final hot phase asks for the shortest delays with a rate threshold
# of 0.
#
# Emulation scaling: coalesce_min_usecs is raised to 50 ms, a bound of
# 20 timer fires per second. A timer fire needs a signal that came due
# and armed it, and the emulated rig's vhost workers find only 60-350
# signals due per second under this traffic (TX the fewest: the guest
# batches its frames): the bound must be well below that for a broken
# clamp to show (the hot phase checks that it is, 1.5 x). The caps move
# at random during the run (minimum 50-75 ms, maximum 75 ms-1 s, 32-4096
# frames).
#
#   NCOAL_SEED=N      replay (the seed is printed)
#   NCOAL_FUZZ_N=N    commands (default 250; 10,000 with NCOAL_STRESS=1)
#   NCOAL_FUZZ_BATCH=K  commands sent back to back, host rings compared
#                     after each K-th only (default 1: after every one)
#   NCOAL_FUZZ_MIN_USECS, NCOAL_FUZZ_TX_PPS, NCOAL_FUZZ_RX_PPS: the
#                     minimum delay cap and the traffic (50000, 3000,
#                     3000)

# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
# shellcheck source=../lib_fuzz.sh
. "$(dirname "$0")/../lib_fuzz.sh"
ksft_begin

CASE=hostile-guest

FUZZ=$FUZZ_BIN/ctrlq_fuzz
UDPFLOOD=$NCOAL_BUILD/l2-tools/udpflood
SAVED=$L2_DIR/fuzz-ctrlq-params.saved
PORT=7001
MIN_USECS=${NCOAL_FUZZ_MIN_USECS:-50000}
TX_PPS=${NCOAL_FUZZ_TX_PPS:-3000}
RX_PPS=${NCOAL_FUZZ_RX_PPS:-3000}
FLOOD=
T0=$(date +%s)

# Seconds since the test started (lib.sh's l2_start resets SECONDS).
elapsed() {
	echo $(($(date +%s) - T0))
}

cleanup() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null && wait "$FLOOD" 2>/dev/null
	FLOOD=
	l2_stop
	ip neigh del 10.0.3.2 dev tap1 2>/dev/null
	taps_extra down tap1
	use_qemu system
	hp_restore "$SAVED"
	rm -f "$SAVED"
}

for b in "$FUZZ" "$UDPFLOOD"; do
	if [ ! -x "$b" ]; then
		log "$b missing: make tools"
		not_ok "$CASE: $(basename "$b") built"
		ksft_finish
	fi
done

SEED=$(stress_seed)
N=$(fuzz_count 250 10000)
log "seed $SEED, $N commands (replay: NCOAL_SEED=$SEED NCOAL_FUZZ_N=$N)"

ctrlq_begin "$CASE"
D0=${D[0]} D1=${D[1]}
mkdir -p "$L2_DIR"
hp_save "$SAVED"
DEV=$(ctrlq_take_over)
if [ -z "$DEV" ]; then
	not_ok "$CASE: ctrlq_inject drives eth1"
	cleanup
	ksft_finish
fi
log "eth1 = $DEV: host ${D1##*/}; eth0: host ${D0##*/} ($(elapsed) s)"

# Caps for the run: the defaults (3/2 of the minimum) stay inside every
# cap set ctrlq_fuzz picks later.
if ! hp_set coalesce_max_usecs=$((MIN_USECS * 2)) \
	   rx_coalesce_usecs=$((MIN_USECS * 3 / 2)) \
	   tx_coalesce_usecs=$((MIN_USECS * 3 / 2)) \
	   rx_max_coalesced_frames=32 tx_max_coalesced_frames=32 \
	   coalesce_rate_threshold=1000 coalesce_rate_interval_ms=100 \
	   coalesce_min_usecs="$MIN_USECS"; then
	not_ok "$CASE: module parameters for the run"
	cleanup
	ksft_finish
fi

# The guest's loop: one command per line from the test host, one line
# back; no process is started per command.
loop="D=$CIDIR/$DEV
B=/sys/bus/virtio/drivers/ctrlq_inject
T='$TX_PPS 1'
while read -r op a; do
	case \$op in
	c)	echo \"\$a\" > \$D/cmd 2>/dev/null; w=\$?
		read -r r < \$D/cmd
		echo \"w=\$w \$r\" ;;
	r)	echo $DEV > \$B/unbind && echo $DEV > \$B/bind &&
			echo \"\$T\" > \$D/traffic
		echo \"w=\$? reset\" ;;
	t)	read -r r < \$D/traffic; echo \"\$r\" ;;
	q)	echo bye; exit 0 ;;
	esac
done"
start_loop() {
	l2 "cat > /tmp/fuzz-loop.sh <<'__EOS__'
$loop
__EOS__
echo '$TX_PPS 1' > $CIDIR/$DEV/traffic || exit 1
setsid nc -l -p $PORT -e sh /tmp/fuzz-loop.sh < /dev/null > /dev/null 2>&1 &"
}
check "$CASE: guest: traffic on eth1 ($TX_PPS frames/s sent, receive buffers recycled), command loop on port $PORT" start_loop

# Host -> eth1: UDP through tap1 to eth1's MAC.
ip addr add 10.0.3.1/24 dev tap1 2>/dev/null
ip neigh replace 10.0.3.2 lladdr 52:54:00:12:34:12 dev tap1 nud permanent
"$UDPFLOOD" send --rate "$RX_PPS" --duration 100000 10.0.3.2:9 \
	> /dev/null 2>&1 &
FLOOD=$!

args=(--seed "$SEED" --count "$N" --guest "$L2_IP:$PORT" --dbg "$D1"
      --other "$D0" --caps-ops --reset-ops --batch "${NCOAL_FUZZ_BATCH:-1}")
log "fuzzing from $(elapsed) s"
# At least 1 command/s even on a loaded machine (6-10/s measured).
TAP_TIMEOUT=$((600 + N)) tap_reemit "$CASE: " "$FUZZ" "${args[@]}"
stress_case "$CASE" "$N" commands
log "fuzzing done at $(elapsed) s"

traffic_flowed() {
	local t

	t=$(l2 "cat $CIDIR/$DEV/traffic") || fail "guest does not answer"
	echo "eth1 (since the last reset): $t"
	[ "$(echo "$t" | sed -n 's/.* tx_done=\([0-9]*\).*/\1/p')" -gt 0 ] ||
		fail "no frame sent"
	[ "$(echo "$t" | sed -n 's/.* rx=\([0-9]*\).*/\1/p')" -gt 0 ] ||
		fail "no frame received"
}
check "$CASE: traffic flowed both ways on eth1" traffic_flowed

alive() {
	local pid

	pid=$(l2_pid)
	proc_alive "$pid" || fail "the relay QEMU is gone"
	grep -i 'assert\|abort\|error' "$L2_DIR/qemu.log" && fail "QEMU complained"
	l2 -t 10 true || fail "the guest does not answer on eth0"
}
check "$CASE: relay QEMU alive and quiet, guest answering" alive

restored() {
	kill "$FLOOD" 2>/dev/null
	wait "$FLOOD" 2>/dev/null
	FLOOD=
	hp_restore "$SAVED" || fail "could not restore a parameter"
}
check "$CASE: module parameters restored" restored

# The guest's log now: ksft_finish comes after the guest is gone.
kernel_logs_clean() {
	stress_dmesg_l1 && dmesg_clean_l2 && stress_dmesg_l2
}
check "$CASE: no oops, WARN, lockdep, hung task or RCU stall (L1, L2)" kernel_logs_clean
cleanup
ksft_finish
