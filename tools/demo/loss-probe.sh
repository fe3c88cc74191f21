#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loss-probe.sh [CONFIG...]: where do host->guest packets go missing?
# A diagnostic, not a test: run in the test host (L1) with
#   scripts/vm -t 1800 -- tools/demo/loss-probe.sh [CONFIG...]
# For each CONFIG it floods the guest from L1 at RATE pps for DUR s and
# attributes every packet the receiver did not get to a stage:
#   tap      dropped by the tap device (vhost did not drain it: the
#            guest's RX ring was full)
#   guest    dropped in the guest before UDP (softnet backlog, ring errors)
#   sock     UDP receive-buffer drops in the guest (RcvbufErrors)
# CONFIGs (default: all): off, rx (host RX coalescing), rxtx (host RX and
# TX), all (host RX+TX and the guest's TX kick coalescing). Knobs: RATE (3000), DUR (5), USECS (1000).

. "$(dirname "$0")/../testing/vm/lib.sh"
. "$(dirname "$0")/../testing/vm/lib_guest.sh"

P=/sys/module/vhost_net/parameters
RATE=${RATE:-3000}
DUR=${DUR:-5}
USECS=${USECS:-1000}
REPS=${REPS:-1}
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(off rx rxtx all)

host_set() {
	echo 100 > $P/coalesce_rate_interval_ms
	echo 1000 > $P/coalesce_rate_threshold
	echo "$1" > $P/rx_coalesce_usecs
	echo "$2" > $P/tx_coalesce_usecs
}

configure() {
	case "$1" in
	off)	host_set 0 0; coal_off ;;
	rx)	host_set "$USECS" 0; coal_off ;;
	rxtx)	host_set "$USECS" "$USECS"; coal_off ;;
	all)	host_set "$USECS" "$USECS"; coal_scaled ;;
	*)	echo "loss-probe: unknown config $1" >&2; exit 2 ;;
	esac > /dev/null
}

tap_tx_dropped() {
	cat /sys/class/net/$TAP/statistics/tx_dropped
}

vhost_rx() {
	local d

	d=$(ls -d /sys/kernel/debug/vhost_net/"$(cat $L2_DIR/qemu.pid)"-* 2>/dev/null | head -n1)
	[ -n "$d" ] && tr '\n' ' ' < "$d/rx"
}

# Context switches of the guest QEMU's vhost worker threads (vhost-PID),
# and of the whole test host, one line.
host_ctxt() {
	local pid t n=0

	pid=$(cat $L2_DIR/qemu.pid)
	for t in /proc/"$pid"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		vhost-*) n=$((n + $(awk '/ctxt_switches/ {s += $2} END {print s + 0}' "$t/status"))) ;;
		esac
	done
	echo "$n $(awk '/^ctxt/ {print $2}' /proc/stat)"
}

probe() {
	local c=$1 g0=$L2_DIR/probe.g0 g1=$L2_DIR/probe.g1 t0 t1 r recv lost w0 w1

	configure "$c"
	l2 "udpflood recv --idle 3 --timeout 60 5002 > /tmp/recv.out 2>&1 &"
	sleep 0.5
	l2 "$GUEST_COUNTERS" > "$g0"; t0=$(tap_tx_dropped); w0=$(host_ctxt)
	"$UDPFLOOD" send --rate "$RATE" --duration "$DUR" "$L2_IP:5002" > /tmp/send.out
	sleep 4
	l2 "$GUEST_COUNTERS" > "$g1"; t1=$(tap_tx_dropped); w1=$(host_ctxt)
	r=$(l2 "cat /tmp/recv.out")
	recv=$(kv received "$r"); lost=$(kv lost "$r")
	printf '%-6s sent=%s recv=%s lost=%s tap_drop=%s udp_in=%s udp_err=%s rcvbuf=%s softnet_drop=%s\n' \
		"$c" "$(kv sent "$(cat /tmp/send.out)")" "$recv" "$lost" \
		$((t1 - t0)) "$(snap_delta "$g0" "$g1" udp_in)" \
		"$(snap_delta "$g0" "$g1" udp_err)" \
		"$(snap_delta "$g0" "$g1" udp_rcvbuf)" \
		"$(snap_delta "$g0" "$g1" softnet_drop)"
	awk -v w0="${w0% *}" -v w1="${w1% *}" -v h0="${w0#* }" -v h1="${w1#* }" \
	    -v irqs="$(snap_delta "$g0" "$g1" irq_in)" -v n="$recv" 'BEGIN { if (n > 0)
		printf "       per packet: vhost worker ctxsw %.4f, L1 ctxsw %.4f, guest RX irqs %.4f\n",
			(w1 - w0) / n, (h1 - h0) / n, irqs / n }'
	echo "       vhost rx: $(vhost_rx)"
}

l2_stop
host_load_ours || exit 1
rig_up > /dev/null || { echo "guest did not come up"; exit 1; }
for i in $(seq 1 "$REPS"); do
	for c in "${configs[@]}"; do
		probe "$c"
	done
done
host_set 0 0 0
l2_stop
