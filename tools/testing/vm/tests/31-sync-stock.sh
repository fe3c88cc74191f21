#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The coalescing sync command (issue 5), driver side, without a device
# that offers it: our virtio_net on the system (stock) QEMU, which offers
# neither VIRTIO_NET_F_NOTF_COAL nor bit 58 with vhost=on. The guest
# works, reports sync_state "off", coalesces its kicks alone within
# budget_usecs, and says so in dmesg once, however often the settings
# change.
#
# No traffic is judged (a ping only), so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

C=/sys/class/net/eth0/virtio_coalesce

l2_stop
if ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi
use_qemu system
if ! guest_up "system QEMU, our virtio_net"; then
	ksft_finish
fi

off() {
	local s

	! feature 58 || fail "bit 58 negotiated with the system QEMU" || return 1
	s=$(l2 "cat $C/sync_state") || return 1
	echo "sync_state: $s"
	[ "$s" = off ] || fail "sync_state $s, want off" || return 1
	l2_ping || fail "no ping $L2_IP"
}
check "system QEMU: bit 58 absent, sync_state off, guest answers ping" off

budget() {
	local a

	l2 "cd $C && echo 300 > tx_kick_usecs && echo 250 > budget_usecs" ||
		return 1
	a=$(l2 "echo \$(cat $C/tx_kick_usecs_allowed $C/sync_state)") ||
		return 1
	echo "allowed, state: $a"
	[ "$a" = "250 off" ] || fail "want '250 off'" || return 1
	# The device's RX values cannot be reached without the command.
	if l2 "echo 200 > $C/host_rx_usecs" > /dev/null 2>&1; then
		fail "host_rx_usecs accepted without the feature"
	fi
}
check "budget 250 with kick 300: allowed 250 (the budget alone), still off; host_rx_usecs refused" budget

once() {
	local n

	l2 "cd $C && for i in 1 2 3 4 5; do echo \$((300 + i)) > budget_usecs; done" ||
		return 1
	n=$(l2 'dmesg | grep -c "no coalescing sync with the device"')
	l2 'dmesg | grep "coalescing sync"'
	[ "$n" = 1 ] || fail "$n lines, want 1"
}
check "dmesg: one 'no coalescing sync' line after six budget writes" once

l2_stop
ksft_finish
