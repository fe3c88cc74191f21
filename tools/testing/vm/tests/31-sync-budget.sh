#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The coalescing sync command (issue 5) end to end, driver side: our
# virtio_net in the guest, the relay QEMU, our vhost_net.
#
# One source of truth (issue 18): the standard commands (ethtool -C
# rx-usecs/rx-frames, per-queue VQ_SET) own the device's RX values; the
# sync command carries them and never invents any. Checks: bit 58
# negotiated, but no command at probe (no budget set, sync_state "off",
# the host RX ring untouched); a budget set after ethtool -C proposes
# ethtool's RX values; ethtool -c shows what the device applied under a
# host cap; an ethtool -C that fails changes nothing, also not the next
# proposal; a queue's own VQ_SET values survive a later sysfs write; RX
# values through sysfs need a budget, are checked against it, and are
# refused while adaptive RX is on; bad writes change nothing; budget 0
# stops the command.
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

# shows USECS FRAMES: ethtool -c (and host_rx_*) show these RX values.
shows() {
	local e s

	e=$(l2 "ethtool -c eth0" | awk '$1 == "rx-usecs:" { u = $2 }
		$1 == "rx-frames:" { f = $2 } END { print u, f }') || return 1
	s=$(l2 "echo \$(cat $C/host_rx_usecs $C/host_rx_frames)") || return 1
	echo "ethtool -c: rx-usecs/rx-frames $e; sysfs host_rx: $s"
	[ "$e" = "$1 $2" ] || fail "ethtool -c shows $e, want $1 $2" || return 1
	[ "$s" = "$1 $2" ] || fail "host_rx_usecs/frames $s, want $1 $2"
}

probe() {
	local s

	feature 58 || fail "VIRTIO_NET_F_NOTF_COAL_SYNC (58) not negotiated" ||
		return 1
	s=$(l2 "echo \$(cat $C/budget_usecs $C/sync_state)") || return 1
	echo "budget, state: $s"
	[ "$s" = "0 off" ] || fail "want budget 0, state off" || return 1
	ring_default "$D0" rx || fail "a command reached the host RX ring" ||
		return 1
	shows 0 0
}
check "probe: bit 58 negotiated, no budget, no command: host RX ring at its defaults, ethtool -c 0/0" probe

std_first() {
	l2 'ethtool -C eth0 rx-usecs 300 rx-frames 20' || return 1
	ring_is "$D0" rx 300 20 explicit || return 1
	l2 "cd $C && echo 300 > tx_kick_usecs && echo 1000 > budget_usecs" ||
		return 1
	# Kick 300 wanted, 1000 - 300 = 700 left.
	sync_is 1000 300 300 || return 1
	ring_is "$D0" rx 300 20 explicit || return 1
	shows 300 20
}
check "ethtool -C rx-usecs 300 rx-frames 20, then budget 1000: proposed as is, host RX 300/20, kick 300" std_first

capped() {
	local rc=0

	params_save
	caps_lower 200 16 || { params_restore; fail "could not lower the caps"; return 1; }
	# The host is told nothing yet; the guest re-sends on a write.
	l2 "echo 1000 > $C/budget_usecs" || rc=1
	# RX 300/20 -> 200/16, kick min(300, 1000 - 200) = 300.
	sync_is 1000 200 300 && ring_is "$D0" rx 200 16 explicit &&
		shows 200 16 || rc=1
	params_restore
	l2 'ethtool -C eth0 rx-usecs 300 rx-frames 20' || rc=1
	ring_is "$D0" rx 300 20 explicit && shows 300 20 || rc=1
	return $rc
}
check "host cap 200 us/16: the answer 200/16 is what ethtool -c shows; ethtool -C 300/20 again: back" capped

failed_ethtool() {
	local before after w

	before=$(sync_vals) || return 1
	# Each refused command, then a budget write, which sends the
	# proposal: it carries what is in effect, not the refused values.
	for w in "adaptive-rx on rx-usecs 77:adaptive-rx on with a new rx-usecs" \
		 "rx-usecs 1500:rx-usecs 1500 over the budget 1000" \
		 "rx-usecs 100 rx-frames 0:rx-usecs 100 without rx-frames while synchronised"; do
		if l2 "ethtool -C eth0 ${w%%:*}" > /dev/null 2>&1; then
			fail "${w#*:} accepted"
			return 1
		fi
		l2 "echo 1000 > $C/budget_usecs" || return 1
		after=$(sync_vals) || return 1
		[ "$after" = "$before" ] ||
			fail "after ethtool -C ${w%%:*}: $before -> $after" || return 1
		ring_is "$D0" rx 300 20 explicit || return 1
	done
	shows 300 20
}
check "failed ethtool -C (adaptive-rx with rx-usecs 77, 1500 > budget, no rx-frames): nothing changes, not the next proposal" failed_ethtool

vq_kept() {
	local q

	l2 'ethtool -Q eth0 queue_mask 0x1 --coalesce rx-usecs 150 rx-frames 8' ||
		return 1
	ring_is "$D0" rx 150 8 explicit || return 1
	# A sysfs write sends the command; the queue gets its own back.
	l2 "echo 250 > $C/tx_kick_usecs" || return 1
	sync_is 1000 300 250 || return 1
	ring_is "$D0" rx 150 8 explicit || return 1
	q=$(l2 "ethtool -Q eth0 queue_mask 0x1 --show-coalesce" |
		awk '$1 == "rx-usecs:" { u = $2 } $1 == "rx-frames:" { f = $2 }
		END { print u, f }') || return 1
	echo "queue 0: $q"
	[ "$q" = "150 8" ] || fail "queue 0 shows $q, want 150 8" || return 1
	l2 'ethtool -Q eth0 queue_mask 0x1 --coalesce rx-usecs 300 rx-frames 20' ||
		return 1
	ring_is "$D0" rx 300 20 explicit
}
check "per-queue rx-usecs 150 rx-frames 8 (VQ_SET) kept across a sysfs write that sends the command" vq_kept

sysfs_rx() {
	local before after w

	l2 "cd $C && echo 24 > host_rx_frames && echo 800 > host_rx_usecs" ||
		return 1
	# Kick 250 wanted, 1000 - 800 = 200 left.
	sync_is 1000 800 200 || return 1
	ring_is "$D0" rx 800 24 explicit || return 1
	shows 800 24 || return 1
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
check "host_rx_frames 24, host_rx_usecs 800 through sysfs: host RX 800/24, ethtool -c agrees; bad writes change nothing" sysfs_rx

dim_busy() {
	local before after rc=0

	l2 'ethtool -C eth0 adaptive-rx on' || return 1
	before=$(sync_vals) || rc=1
	if l2 "echo 400 > $C/host_rx_usecs" > /dev/null 2>&1; then
		fail "host_rx_usecs accepted while adaptive RX is on"
		rc=1
	fi
	after=$(sync_vals) || rc=1
	[ "$after" = "$before" ] || fail "changed: $before -> $after" || rc=1
	# DIM may move the ring meanwhile; off, RX_SET puts 800/24 back.
	l2 'ethtool -C eth0 adaptive-rx off' || rc=1
	return $rc
}
check "adaptive-rx on: host_rx_usecs refused, nothing changes" dim_busy

zero() {
	local s

	l2 "echo 0 > $C/budget_usecs" || return 1
	s=$(l2 "echo \$(cat $C/sync_state $C/tx_kick_usecs_allowed)") || return 1
	echo "budget 0: state, allowed: $s"
	[ "$s" = "off 0" ] || fail "want off 0" || return 1
	# Nothing sent: the host keeps what the standard commands set.
	ring_is "$D0" rx 800 24 explicit || return 1
	if l2 "echo 100 > $C/host_rx_usecs" > /dev/null 2>&1; then
		fail "host_rx_usecs accepted without a budget"
		return 1
	fi
	l2 "echo 1000 > $C/budget_usecs" || return 1
	sync_is 1000 800 200
}
check "budget 0: no command, state off, host RX as set, host_rx_usecs refused; budget 1000 again: synced" zero

once() {
	local n

	n=$(l2 'dmesg | grep -c "coalescing sync"')
	echo "fallback lines in dmesg: $n"
	[ "$n" = 0 ] || fail "a fallback line while synced"
}
check "no fallback line in dmesg while synced" once

cleanup
ksft_finish
