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
	progress "$dir: same traffic, coalescing on ($USECS us, 64 frames, gate $THR pps)"
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
echo "Host (vhost_net) guest-notification coalescing, ${RATE} pps, emulated (TCG)"
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

# host_coal on|off: the host's module defaults (stock QEMU: no relay, so
# the guest's rings follow them), scaled gate.
host_coal() {
	echo 100 > $P/coalesce_rate_interval_ms
	echo $THR > $P/coalesce_rate_threshold
	if [ "$1" = on ]; then
		echo "$USECS" > $P/rx_coalesce_usecs
		echo "$USECS" > $P/tx_coalesce_usecs
	else
		echo 0 > $P/rx_coalesce_usecs
		echo 0 > $P/tx_coalesce_usecs
	fi
}

# guest_irqs: virtio interrupts (input, output) taken by the guest so far
guest_irqs() {
	l2 "awk '/virtio0-input/ {for (i = 2; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) n += \$i}
		 /virtio0-output/ {for (i = 2; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) m += \$i}
		 END {print n + 0, m + 0}' /proc/interrupts"
}

guest_ctxt() {
	l2 "awk '/^ctxt/ {print \$2}' /proc/stat"
}

l1_ctxt() {
	awk '/^ctxt/ {print $2}' /proc/stat
}

# flood_in MODE: host -> guest UDP at RATE for DUR s
flood_in() {
	local m=$1 i0 i1 c0 c1 h0 h1 r

	l2 "udpflood recv --idle 2 --timeout 60 5002 > /tmp/recv.out 2>&1 &"
	sleep 0.5
	i0=$(guest_irqs); c0=$(guest_ctxt); h0=$(l1_ctxt)
	"$UDPFLOOD" send --rate "$RATE" --duration "$DUR" "$L2_IP:5002" > "$T/in_$m.send"
	sleep 3
	i1=$(guest_irqs); c1=$(guest_ctxt); h1=$(l1_ctxt)
	r=$(l2 "cat /tmp/recv.out")
	local recv lost
	recv=$(kv received "$r"); lost=$(kv lost "$r")
	echo "in_$m recv=$recv lost=$lost irq=$(( ${i1% *} - ${i0% *} )) gctx=$((c1 - c0)) hctx=$((h1 - h0))" >> "$T/summary"
	echo "$recv $lost $(( ${i1% *} - ${i0% *} )) $((c1 - c0)) $((h1 - h0))" > "$T/in_$m"
}

# flood_out MODE: guest -> host UDP at ORATE for DUR s
flood_out() {
	local m=$1 p=$T/out_$m

	guest_udp_run "$ORATE" "$DUR" 5001 "$p"
	echo "$(kv received "$(grep mode=recv "$p.recv")") $(kv lost "$(grep mode=recv "$p.recv")") $(gdelta "$p.before" "$p.after" tx0_kicks)" > "$T/out_$m"
}

pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "-" }'
}

RATE=${DEMO_GUEST_RATE:-3000}
ORATE=${DEMO_GUEST_ORATE:-1500}
DUR=${DEMO_GUEST_DURATION:-5}

progress "booting the guest (L2) with our virtio_net over vhost=on"
l2_start || exit 1
for m in off on; do
	progress "guest, coalescing $m: host->guest UDP ${RATE} pps, ${DUR}s"
	host_coal $m
	if [ $m = on ]; then coal_scaled >/dev/null; else coal_off >/dev/null; fi
	flood_in $m
	progress "guest, coalescing $m: guest->host UDP ${ORATE} pps, ${DUR}s"
	flood_out $m
	progress "guest, coalescing $m: ping at 10/s (below the gate), 30 packets"
	ping -q -c 30 -i 0.1 $L2_IP > "$T/ping_$m"
	progress "guest, coalescing $m: iperf3 TCP 3 s"
	iperf3 -c $L2_IP -t 3 -J > "$T/tcp_$m.json" 2>/dev/null
done
host_coal off

read -r r0 l0 i0 gc0 hc0 < "$T/in_off"
read -r r1 l1 i1 gc1 hc1 < "$T/in_on"
read -r or0 ol0 k0 < "$T/out_off"
read -r or1 ol1 k1 < "$T/out_on"
rtt() { sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' "$1"; }
tcp() { python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$1" 2>/dev/null || echo 0; }

echo
echo "Two levels (L1 host -> L2 guest over vhost=on), emulated: rates scaled ~100x down,"
echo "gate ${THR} pps (shipped: 10,000), host ${USECS} us, guest kicks ${SCALED_USECS} us"
printf "%-46s %12s %12s %8s\n" "" "off" "on" "ratio"
grow() {
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		r = (a > 0) ? sprintf("%.2f", b / a) : "-"
		printf "%-46s %12s %12s %8s\n", l, a, b, r }'
	echo "$1,$2,$3" >> "$CSV"
}
grow "host->guest delivered (of $((RATE * DUR)))" "$r0" "$r1"
grow "host->guest lost" "$l0" "$l1"
grow "guest RX interrupts/packet" "$(pct "$i0" "$r0")" "$(pct "$i1" "$r1")"
grow "guest context switches/packet" "$(pct "$gc0" "$r0")" "$(pct "$gc1" "$r1")"
grow "host (L1) context switches/packet" "$(pct "$hc0" "$r0")" "$(pct "$hc1" "$r1")"
grow "guest->host delivered (of $((ORATE * DUR)))" "$or0" "$or1"
grow "guest->host lost" "$ol0" "$ol1"
grow "guest kicks/packet" "$(pct "$k0" "$or0")" "$(pct "$k1" "$or1")"
grow "ping RTT avg, ms (below gate; emulated)" "$(rtt "$T/ping_off")" "$(rtt "$T/ping_on")"
grow "TCP throughput, Mbit/s (emulated)" "$(tcp "$T/tcp_off.json")" "$(tcp "$T/tcp_on.json")"
echo
l2_stop
rm -rf "$T"
progress "done"
