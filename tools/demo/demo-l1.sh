#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the test host (L1): stock vs coalesced side by side.
# Run by scripts/demo.sh through scripts/vm.
#
# Emulation scaling: everything runs under TCG, about 100x slower than
# hardware, so the rate threshold is scaled from 10,000 pps to 1,000 pps
# and the floods run at 3,000 pps. Compare the ratios, not the times.

. "$(dirname "$0")/../testing/vm/lib.sh"

DRV=$NCOAL_ROOT/tools/vhost_net_drv/vhost-net-drv
RATE=${DEMO_RATE:-3000}
DUR=${DEMO_DURATION:-4}
USECS=${DEMO_USECS:-1000}
THR=1000
T=$(mktemp -d)
CSV=$NCOAL_OUT/demo.csv
echo "metric,off,on" > "$CSV"

progress() {
	echo ">>> $*"
}

v() {
	sed -n "s/^$2=//p" "$T/$1" | head -n1
}

progress "loading our vhost_net ($(built_ident vhost_net))"
l2_stop
host_load_ours || exit 1
# The host-only part sets each ring explicitly; the guest part uses the
# module defaults, which the guest's rings follow.

for dir in rx tx; do
	progress "$dir: ${RATE} pps of 18-byte UDP for ${DUR}s, coalescing off"
	"$DRV" -m $dir -r "$RATE" -d "$DUR" -c "$dir:0:64:$THR:100" > "$T/${dir}_off" || exit 1
	progress "$dir: same traffic, coalescing on (fixed mode: $USECS us, 64 frames, gate $THR pps)"
	"$DRV" -m $dir -r "$RATE" -d "$DUR" -c "$dir:$USECS:64:$THR:100" > "$T/${dir}_on" || exit 1
done

row() {
	local label=$1 a=$2 b=$3

	awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN {
		r = (a > 0) ? sprintf("%.2f", b / a) : "-"
		printf "%-44s %12s %12s %8s\n", l, a, b, r }'
	echo "host: $label,$a,$b" >> "$CSV"
}

echo
echo "Host (vhost_net) guest-notification coalescing, the mechanism (fixed mode), ${RATE} pps, emulated (TCG)"
printf "%-44s %12s %12s %8s\n" "" "off" "on" "ratio"
for dir in rx tx; do
	name=$([ $dir = rx ] && echo "RX" || echo "TX completions")
	row "$name signals/packet" "$(v ${dir}_off ${dir}_signals_per_pkt)" "$(v ${dir}_on ${dir}_signals_per_pkt)"
	row "$name delivered" "$(v ${dir}_off ${dir}_received)" "$(v ${dir}_on ${dir}_received)"
	row "$name lost" "$(v ${dir}_off ${dir}_lost)" "$(v ${dir}_on ${dir}_lost)"
	row "$name notify delay p99 (us, emulated)" "$(v ${dir}_off ${dir}_delay_p99_us)" "$(v ${dir}_on ${dir}_delay_p99_us)"
	row "$name vhost worker ctx switches/packet" "$(v ${dir}_off vhost_ctxsw_vol_per_pkt)" "$(v ${dir}_on vhost_ctxsw_vol_per_pkt)"
done
echo

# ---------------------------------------------------------------- guest
. "$(dirname "$0")/../testing/vm/lib_guest.sh"
P=/sys/module/vhost_net/parameters

# The two-level part runs where the nested guest is not saturated: from
# about 1,500 pps up its NAPI already polls and takes one interrupt per
# 15-30 packets whatever the host does (tests/32-sync-flood.sh). So it
# scales everything by the rig's ~100x: floods of 600 pps (~60 kpps on
# hardware), a gate of 300 pps over 250 ms, host and guest delays of
# 10 ms (~100 us on hardware; the admin cap is raised to allow it).
G_RATE=${DEMO_GUEST_RATE:-600}
G_ORATE=${DEMO_GUEST_ORATE:-600}
G_THR=300
G_USECS=${DEMO_GUEST_USECS:-10000}

# host_coal on|off: the host's module defaults (stock QEMU: no relay, so
# the guest's rings follow them), scaled gate. "on" is the recipe of
# README.md's "Turning it on": the RX ring adaptive, the delay its bound;
# TX completions not held (holding them costs one request in flight).
host_coal() {
	echo 250 > $P/coalesce_rate_interval_ms
	echo $G_THR > $P/coalesce_rate_threshold
	echo 0 > $P/tx_coalesce_usecs
	if [ "$1" = on ]; then
		echo 2 > $P/coalesce_mode
		echo "$G_USECS" > $P/coalesce_max_usecs
		echo "$G_USECS" > $P/rx_coalesce_usecs
	else
		echo 0 > $P/rx_coalesce_usecs
		echo 1 > $P/coalesce_mode
		echo 2000 > $P/coalesce_max_usecs
	fi
}

# guest_coal on|off: the guest's TX kicks, adaptive when on (no sync with
# stock QEMU: the guest coalesces alone, within its budget)
guest_coal() {
	if [ "$1" = on ]; then
		l2 "echo $G_USECS > $COAL_DIR/budget_usecs &&
		    echo 2 > $COAL_DIR/tx_kick_mode" &&
		coal_profile $G_THR 250 "$G_USECS" 32
	else
		coal_profile $G_THR 250 0 32 &&
		l2 "echo 1 > $COAL_DIR/tx_kick_mode"
	fi
}

# snap FILE: the counters a flood is judged by, "key value" lines:
# guest virtio interrupts (input, output), guest and L1 context switches
# and busy CPU time (jiffies: user+nice+system+irq+softirq), the guest's
# UDP receive-buffer drops, the tap's drops, the host's signals on the
# guest's rings (debugfs), the guest's TX kicks.
snap() {
	local d

	{
		l2 "$GUEST_COUNTERS" | sed -n 's/^\([a-z_]*\)=/g_\1 /p'
		awk '/^ctxt/ {print "h_ctxt", $2}
		     /^cpu / {print "h_busy", $2 + $3 + $4 + $7 + $8}' /proc/stat
		echo "tap_drop $(cat /sys/class/net/$TAP/statistics/tx_dropped)"
		d=$(ls -d /sys/kernel/debug/vhost_net/"$(cat $L2_DIR/qemu.pid)"-* 2>/dev/null | head -n1)
		echo "h_sig_rx $(sed -n 's/^signals_sent: //p' "$d/rx" 2>/dev/null)"
		echo "h_sig_tx $(sed -n 's/^signals_sent: //p' "$d/tx" 2>/dev/null)"
	} > "$1"
}

# delta BEFORE AFTER KEY
delta() {
	awk -v k="$3" 'FNR == NR && $1 == k {a = $2} FNR != NR && $1 == k {b = $2}
		END {print b - a}' "$1" "$2"
}

# flood_in MODE: host -> guest UDP at RATE for DUR s
flood_in() {
	local m=$1 r

	l2 "udpflood recv --idle 3 --timeout 60 5002 > /tmp/recv.out 2>&1 &"
	sleep 0.5
	snap "$T/in_$m.0"
	"$UDPFLOOD" send --rate "$RATE" --duration "$DUR" "$L2_IP:5002" > "$T/in_$m.send"
	sleep 4
	snap "$T/in_$m.1"
	r=$(l2 "cat /tmp/recv.out")
	echo "recv $(kv received "$r")" > "$T/in_$m"
	echo "lost $(kv lost "$r")" >> "$T/in_$m"
	for k in g_irq_in g_ctxt g_ksoftirqd_ctxt g_busy g_udp_rcvbuf h_ctxt h_busy tap_drop h_sig_rx; do
		echo "$k $(delta "$T/in_$m.0" "$T/in_$m.1" $k)"
	done >> "$T/in_$m"
}

# flood_out MODE: guest -> host UDP at ORATE for DUR s
flood_out() {
	local m=$1 p

	p=$T/out_$m

	local rpid

	"$UDPFLOOD" recv --idle 3 --timeout 60 5001 > "$p.recv" &
	rpid=$!
	sleep 0.5
	snap "$p.0"
	l2 -t $((DUR + 60)) "udpflood send --rate $ORATE --duration $DUR $L1_IP:5001" > "$p.send"
	wait $rpid
	snap "$p.1"
	echo "recv $(kv received "$(cat "$p.recv")")" > "$p"
	echo "lost $(kv lost "$(cat "$p.recv")")" >> "$p"
	for k in g_tx_kicks g_irq_out g_ctxt g_ksoftirqd_ctxt g_busy h_ctxt h_busy h_sig_tx; do
		echo "$k $(delta "$p.0" "$p.1" $k)"
	done >> "$p"
}

# ping_run MODE: 100 pings at 20/s (below the gate); RTTs one per line
ping_run() {
	ping -c 100 -i 0.05 "$L2_IP" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' > "$T/ping_$1"
}

# rr_run MODE: closed-loop UDP request/response above the gate: RR_CLIENTS
# sockperf ping-pong clients at once for RR_DUR s (each waits for its
# answer before it asks again). "tps" (the clients' sum) and "p50" (the
# median of their p50 RTTs, us; sockperf-sum.awk, as the bench) into
# $T/rr_MODE.
RR_CLIENTS=8
RR_DUR=3
rr_run() {
	local i

	l2 "pidof sockperf >/dev/null ||
	    { setsid sockperf sr -i $L2_IP -p 11111 > /tmp/sockperf.log 2>&1 < /dev/null & sleep 1; }"
	for ((i = 1; i <= RR_CLIENTS; i++)); do
		sockperf ping-pong --mps max -i "$L2_IP" -p 11111 -t $RR_DUR \
			--full-rtt > "$T/rr_$1.$i" 2>&1 &
	done
	wait
	for ((i = 1; i <= RR_CLIENTS; i++)); do
		sed 's/\x1b\[[0-9;]*m//g' "$T/rr_$1.$i"; echo __END__
	done | awk -f "$NCOAL_ROOT/tools/testing/vm/sockperf-sum.awk" > "$T/rr_$1.sum" ||
		echo "0 0 -" > "$T/rr_$1.sum"
	awk '{print "tps", int($2); print "p50", $3}' "$T/rr_$1.sum" > "$T/rr_$1"
}

RATE=$G_RATE
ORATE=$G_ORATE
DUR=${DEMO_GUEST_DURATION:-6}

progress "booting the guest (L2) with our virtio_net over vhost=on"
l2_start || exit 1
for m in off on; do
	progress "guest, coalescing $m: host->guest UDP ${RATE} pps, ${DUR}s"
	host_coal $m
	guest_coal $m > /dev/null
	flood_in $m
	progress "guest, coalescing $m: guest->host UDP ${ORATE} pps, ${DUR}s"
	flood_out $m
	# Let both gates see the quiet (100 ms and 250 ms windows) first.
	sleep 1
	progress "guest, coalescing $m: ping at 20/s (below the gate), 100 packets"
	ping_run $m
	progress "guest, coalescing $m: UDP request/response, $RR_CLIENTS in flight, ${RR_DUR}s (above the gate)"
	rr_run $m
	progress "guest, coalescing $m: iperf3 TCP 3 s"
	iperf3 -c $L2_IP -t 3 -J > "$T/tcp_$m.json" 2>/dev/null
done
host_coal off

# g FILE KEY: one value of a result file
g() {
	awk -v k="$2" '$1 == k {print $2}' "$T/$1"
}

# per NUM DEN: NUM/DEN with 4 decimals
per() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "-" }'
}

# pctl FILE P: the P-th percentile of the numbers in FILE (nearest rank)
pctl() {
	sort -n "$1" | awk -v p="$2" '{v[NR] = $1}
		END {if (!NR) {print "-"; exit}; i = int((p * NR + 99) / 100); if (i < 1) i = 1;
		     printf "%.2f", v[i]}'
}

tcp() { python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$1" 2>/dev/null || echo 0; }
# jiffies (USER_HZ 100) per packet -> microseconds of CPU per packet
cpu_us() {
	awk -v j="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", j * 10000 / n; else print "-" }'
}

echo
echo "Two levels (L1 host -> L2 guest over vhost=on), emulated (TCG): rates scaled ~100x down,"
echo "gate ${G_THR} pps (shipped: 10,000); on: host RX ring and guest kicks adaptive (net_dim) up to ${G_USECS} us"
echo "(~100 us on hardware), host TX completions not held; loss counts"
echo "what the receiver did not get (its 16 MiB socket buffer keeps an emulated guest's scheduling out)"
printf "%-46s %12s %12s %8s\n" "" "off" "on" "ratio"
grow() {
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		r = (a > 0) ? sprintf("%.2f", b / a) : "-"
		printf "%-46s %12s %12s %8s\n", l, a, b, r }'
	echo "$SEC${1#  },$2,$3" >> "$CSV"
}
both() {	# both LABEL FN ARGS...: one row, FN run for off and on
	local l=$1 f=$2

	shift 2
	grow "$l" "$($f off "$@")" "$($f on "$@")"
}
in_val() { g "in_$1" "$2"; }
in_per() { per "$(g "in_$1" "$2")" "$(g "in_$1" recv)"; }
in_ps() { per "$(g "in_$1" "$2")" "$DUR"; }
in_cpu() { cpu_us "$(g "in_$1" "$2")" "$(g "in_$1" recv)"; }
out_val() { g "out_$1" "$2"; }
out_per() { per "$(g "out_$1" "$2")" "$(g "out_$1" recv)"; }
out_cpu() { cpu_us "$(g "out_$1" "$2")" "$(g "out_$1" recv)"; }
rtt() { pctl "$T/ping_$1" "$2"; }
rr() { g "rr_$1" "$2"; }
tput() { tcp "$T/tcp_$1.json"; }

echo "host -> guest, UDP ${RATE} pps x ${DUR} s"
SEC="host->guest: "
both "  delivered (of $((RATE * DUR)))" in_val recv
both "  lost" in_val lost
both "  guest RX interrupts/s" in_ps g_irq_in
both "  guest RX interrupts/packet" in_per g_irq_in
both "  host RX signals/packet" in_per h_sig_rx
both "  guest context switches/packet" in_per g_ctxt
both "    of which ksoftirqd's" in_per g_ksoftirqd_ctxt
both "  host (L1) context switches/packet" in_per h_ctxt
both "  guest CPU us/packet (emulated)" in_cpu g_busy
both "  host CPU us/packet (emulated)" in_cpu h_busy
echo "guest -> host, UDP ${ORATE} pps x ${DUR} s"
SEC="guest->host: "
both "  delivered (of $((ORATE * DUR)))" out_val recv
both "  lost" out_val lost
both "  guest kicks/packet" out_per g_tx_kicks
both "  host TX-completion signals/packet" out_per h_sig_tx
both "  guest context switches/packet" out_per g_ctxt
both "    of which ksoftirqd's" out_per g_ksoftirqd_ctxt
both "  host (L1) context switches/packet" out_per h_ctxt
echo "an application above the gate: UDP request/response, $RR_CLIENTS in flight (closed loop)"
SEC="request/response: "
both "  transactions/s (emulated)" rr tps
both "  RTT p50, us (emulated)" rr p50
echo "low rate and bulk"
SEC=
both "  ping RTT p50, ms (20/s, below the gate)" rtt 50
both "  ping RTT p99, ms (20/s, below the gate)" rtt 99
both "  TCP throughput, Mbit/s (emulated)" tput
echo
l2_stop
rm -rf "$T"
progress "done"
