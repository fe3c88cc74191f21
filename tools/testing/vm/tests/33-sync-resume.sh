#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The coalescing sync survives suspend to RAM (issue 5): our virtio_net
# in the guest, the relay QEMU, our vhost_net. The guest sets a budget
# of its own, suspends (S3, "mem"), and the QEMU monitor wakes it
# (system_wakeup). Resuming resets the device, which forgets the RX
# coalescing the last command applied; virtnet_restore() re-sends the
# proposal, so the host's RX ring is back at the guest's values, and the
# kick coalescer runs with what the answer allows.
#
# Checks: suspend and resume happen (the guest's own log and QEMU's
# status); a SYNC command after the resume (relay trace); the host RX
# ring at the guest's values again and the guest synced; the guest
# answers ping; both dmesgs clean (ksft_finish).
#
# No traffic is judged here, so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

C=/sys/class/net/eth0/virtio_coalesce

cleanup() {
	l2_stop
	use_qemu system
}

relay_begin
sync_guest_up

# sync_cmds: SYNC commands the relay has seen so far.
sync_cmds() {
	grep -c 'virtio_net_coal_cmd command 4:' "$TRACE" 2>/dev/null || true
}

own_budget() {
	l2 "cd $C && echo 1000 > budget_usecs && echo 800 > host_rx_usecs &&
	    echo 24 > host_rx_frames && cat sync_state" | grep -qx synced ||
		fail "guest not synced after setting its budget" || return 1
	ring_is "$D0" rx 800 24 explicit
}
check "guest budget 1000, host RX 800/24: synced, host ring at 800/24" own_budget

# suspend_resume: S3 from the guest (detached: eth0 goes away), woken
# through the monitor once QEMU reports the guest suspended.
suspend_resume() {
	local i st log waker

	rm -f "$L2_DIR/suspended"
	(
		for i in $(seq 1 120); do
			st=$(hmp 'info status')
			case "$st" in
			*suspended*)
				echo "$st" > "$L2_DIR/suspended"
				sleep 1
				hmp system_wakeup
				exit 0 ;;
			esac
			sleep 0.5
		done
	) &
	waker=$!
	log=$(guest_detached "echo mem > /sys/power/state && echo resumed ||
		echo 'suspend failed'
		$ETH0_UP")
	wait "$waker"
	echo "$log"
	[ -s "$L2_DIR/suspended" ] ||
		fail "QEMU never reported the guest suspended" || return 1
	echo "QEMU: $(cat "$L2_DIR/suspended")"
	echo "$log" | grep -qx resumed || fail "the guest did not resume" ||
		return 1
	l2 'dmesg | grep -E "PM: suspend (entry|exit)"'
}
# At the top level: check runs its command in a subshell.
SYNC0=$(sync_cmds)
check "suspend to RAM in the guest, woken by the monitor (system_wakeup)" suspend_resume

resynced() {
	local n

	n=$(sync_cmds)
	echo "SYNC commands: $SYNC0 before the suspend, $n after"
	[ -n "$SYNC0" ] && [ "$n" -gt "$SYNC0" ] ||
		fail "no SYNC command after the resume" || return 1
	l2 "cat $C/sync_state" | grep -qx synced ||
		fail "guest not synced after the resume" || return 1
	ring_is "$D0" rx 800 24 explicit
}
check "after the resume: SYNC re-sent, guest synced, host RX ring at 800/24 again" resynced

check "the guest answers ping after the resume" l2_ping

cleanup
ksft_finish
