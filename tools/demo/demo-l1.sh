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

progress() {
	echo ">>> $*"
}

v() {
	sed -n "s/^$2=//p" "$T/$1" | head -n1
}

progress "loading our vhost_net ($(built_ident vhost_net))"
l2_stop
host_load_ours || exit 1

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
}

echo
echo "Host (vhost_net) guest-notification coalescing, ${RATE} pps, emulated (TCG)"
printf "%-44s %12s %12s %8s\n" "" "stock" "coalesced" "ratio"
for dir in rx tx; do
	name=$([ $dir = rx ] && echo "RX (host->guest)" || echo "TX completions (guest->host)")
	row "$name signals/packet" "$(v ${dir}_off ${dir}_signals_per_pkt)" "$(v ${dir}_on ${dir}_signals_per_pkt)"
	row "$name delivered" "$(v ${dir}_off ${dir}_received)" "$(v ${dir}_on ${dir}_received)"
	row "$name lost" "$(v ${dir}_off ${dir}_lost)" "$(v ${dir}_on ${dir}_lost)"
	row "$name notify delay p99 (us, emulated)" "$(v ${dir}_off ${dir}_delay_p99_us)" "$(v ${dir}_on ${dir}_delay_p99_us)"
	row "$name vhost worker ctx switches/packet" "$(v ${dir}_off vhost_ctxsw_vol_per_pkt)" "$(v ${dir}_on vhost_ctxsw_vol_per_pkt)"
done
echo

progress "booting the guest (L2) with our virtio_net over vhost=on"
l2_start || exit 1
progress "ping, 20 packets"
ping -q -c 20 -i 0.05 $L2_IP | tail -n 2
progress "iperf3 TCP, 3 s each way"
iperf3 -c $L2_IP -t 3 | grep -E 'sender|receiver'
iperf3 -c $L2_IP -t 3 -R | grep -E 'sender|receiver'
l2_stop
rm -rf "$T"
progress "done"
