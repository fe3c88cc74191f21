#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The coalescing sync command (issue 5) end to end, driver side: our
# virtio_net in the guest, the relay QEMU, our vhost_net.
#
# Checks: bit 58 negotiated and sync_state "synced" after probe; a budget
# set in the guest yields applied values on both sides that respect it
# (guest sysfs: host_rx_usecs_applied + tx_kick_usecs_allowed <= budget;
# host debugfs RX ring = the applied values); the knobs reject bad writes
# and change nothing; a host cap (coalesce_max_usecs) lowers the host
# value and, once the guest re-sends (writing the budget again), the
# guest's allowed kick delay grows into the freed budget; budget 0 turns
# coalescing off on both sides; ethtool -C rx-usecs goes into the next
# proposal.
#
# No traffic is judged here, so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

C=/sys/class/net/eth0/virtio_coalesce

cleanup() {
	params_restore
	l2_stop
	use_qemu system
}

relay_begin
sync_guest_up

# sync_vals: the guest's view, as "budget rx frames state applied allowed".
sync_vals() {
	l2 "cd $C && echo \$(cat budget_usecs host_rx_usecs host_rx_frames sync_state host_rx_usecs_applied tx_kick_usecs_allowed)"
}

# sync_is BUDGET APPLIED ALLOWED: guest sysfs, and the budget respected.
sync_is() {
	local v

	v=$(sync_vals) || return 1
	set -- "$@" $v
	echo "guest: budget $4 host_rx $5/$6 state $7 applied $8 allowed $9"
	[ "$7" = synced ] || fail "sync_state $7, want synced"
	[ "$8" = "$2" ] || fail "host_rx_usecs_applied $8, want $2"
	[ "$9" = "$3" ] || fail "tx_kick_usecs_allowed $9, want $3"
	[ $(($8 + $9)) -le "$1" ] || fail "$8 + $9 over the budget $1"
	[ "$7" = synced ] && [ "$8" = "$2" ] && [ "$9" = "$3" ] &&
		[ $(($8 + $9)) -le "$1" ]
}

probe() {
	feature 58 || fail "VIRTIO_NET_F_NOTF_COAL_SYNC (58) not negotiated" ||
		return 1
	# Defaults: budget 600, RX 400/32, own kick 100: allowed 100.
	sync_is 600 400 100 || return 1
	ring_is "$D0" rx 400 32 explicit
}
check "probe: bit 58 negotiated, synced, defaults 600/400/32 -> host RX 400/32, kick 100" probe

budget() {
	l2 "cd $C && echo 300 > tx_kick_usecs && echo 1000 > budget_usecs &&
	    echo 800 > host_rx_usecs && echo 24 > host_rx_frames" || return 1
	# Kick 300 wanted, 1000 - 800 = 200 left.
	sync_is 1000 800 200 || return 1
	ring_is "$D0" rx 800 24 explicit
}
check "budget 1000, host RX 800/24, kick 300 -> host RX 800/24, kick allowed 200" budget

knobs() {
	local before after w

	before=$(sync_vals) || return 1
	for w in "budget_usecs 700" "budget_usecs 10001" "budget_usecs -1" \
		 "budget_usecs x" "host_rx_usecs 1001" "host_rx_frames 0" \
		 "host_rx_frames 257" "sync_state synced" \
		 "tx_kick_usecs_allowed 5"; do
		if l2 "echo ${w#* } > $C/${w% *}" > /dev/null 2>&1; then
			fail "write $w accepted"
		fi
	done
	after=$(sync_vals) || return 1
	[ "$after" = "$before" ] || fail "knobs changed: $before -> $after" ||
		return 1
	ring_is "$D0" rx 800 24 explicit
}
check "bad writes (budget < host RX, > 10000, not a number, frames 0/257, read-only files) rejected, nothing changes" knobs

capped() {
	local rc=0

	params_save
	caps_lower 500 48 || { params_restore; fail "could not lower the caps"; return 1; }
	# The host is told nothing yet; the guest re-sends on a write.
	l2 "echo 1000 > $C/budget_usecs" || rc=1
	# RX 800 -> 500, kick min(300, 1000 - 500) = 300 (from 200).
	sync_is 1000 500 300 && ring_is "$D0" rx 500 24 explicit || rc=1
	params_restore
	l2 "echo 1000 > $C/budget_usecs" || rc=1
	sync_is 1000 800 200 || rc=1
	return $rc
}
check "host cap 500 us: host RX 800 -> 500, guest kick allowed 200 -> 300; cap lifted: back" capped

zero() {
	l2 "echo 0 > $C/budget_usecs" || return 1
	sync_is 0 0 0 || return 1
	ring_is "$D0" rx 0 1 explicit || return 1
	l2 "echo 1000 > $C/budget_usecs" || return 1
	sync_is 1000 800 200
}
check "budget 0: host RX off (0 us, 1 frame), kick allowed 0; budget 1000 again: back" zero

ethtool_rx() {
	l2 'ethtool -C eth0 rx-usecs 500 rx-frames 16' || return 1
	sync_is 1000 500 300 || return 1
	ring_is "$D0" rx 500 16 explicit || return 1
	if l2 'ethtool -C eth0 rx-usecs 1500' > /dev/null 2>&1; then
		fail "rx-usecs 1500 over the budget 1000 accepted"
		return 1
	fi
	ring_is "$D0" rx 500 16 explicit
}
check "ethtool -C rx-usecs 500 rx-frames 16: proposed and applied (kick 300); 1500 > budget refused" ethtool_rx

once() {
	local n

	n=$(l2 'dmesg | grep -c "coalescing sync"')
	echo "fallback lines in dmesg: $n"
	[ "$n" = 0 ] || fail "a fallback line while synced"
}
check "no fallback line in dmesg while synced" once

cleanup
ksft_finish
