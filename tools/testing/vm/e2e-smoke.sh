#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check's one pass through the two-level rig (make check-e2e has the
# rest): our vhost_net in the test host, a nested guest with our
# virtio_net under the relay QEMU (vhost=on). The sync command reaches
# the host, ping and TCP go both ways. No rate scaling: nothing is timed.

. "$(dirname "$0")/lib.sh"
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

cleanup() {
	l2_stop
	use_qemu system
}

relay_begin
sync_guest_up

ours() {
	local want got

	want="$(built_ident vhost_net) $(built_ident virtio_net)"
	got="$(loaded_ident vhost_net) $(l2 "strings -n 8 /sys/module/virtio_net/notes/.note.ncoal | grep -m1 '^ncoal-'")"
	echo "built: $want; loaded: $got"
	[ "$got" = "$want" ] && [[ "$(ls -l "/proc/$(l2_pid)/fd")" == */dev/vhost-net* ]]
}
check "our modules on both levels, the guest's rings on /dev/vhost-net" ours

# The guest's budget, through the relay, sets the host's RX ring.
sync_cmd() {
	l2 "cd /sys/class/net/eth0/virtio_coalesce && echo 0 > tx_kick_usecs &&
	    echo 900 > budget_usecs && echo 700 > host_rx_usecs &&
	    echo 20 > host_rx_frames && cat sync_state host_rx_usecs_applied" |
		tr '\n' ' ' | grep -qx 'synced 700 ' || fail "guest: not synced at 700"
	ring_is "$D0" rx 700 20 explicit
}
check "sync: guest budget 900, host RX 700/20 applied on the host's ring" sync_cmd

pings() {
	ping -q -c 20 -i 0.1 -W 3 $L2_IP | grep -q ' 0% packet loss' ||
		fail "test host -> guest: loss"
	l2 "ping -q -c 20 -i 0.1 -W 3 $L1_IP" | grep -q ' 0% packet loss' ||
		fail "guest -> test host: loss"
}
check "ping both ways, 20 packets each, no loss" pings

# A fixed amount each way, through to iperf3's end (the receiver's own
# count stops at the sender's end, with data still in flight).
tcp() {
	local dir got

	for dir in "" -R; do
		got=$(timeout 120 iperf3 -c $L2_IP -n 1M $dir -J | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
print(e["sum_sent"]["bytes"], e["sum_received"]["bytes"])') ||
			fail "iperf3 -n 1M $dir did not complete"
		echo "iperf3 -n 1M $dir: bytes sent, received: $got"
		[ "${got%% *}" -ge 1048576 ] && [ "${got##* }" -gt 0 ] ||
			fail "iperf3 -n 1M $dir: not all sent"
	done
}
check "TCP both ways, 1 MiB each" tcp

cleanup
ksft_finish
