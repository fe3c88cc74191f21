#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest TX kick coalescing teardown (issue 4): with kicks held and timers
# armed under a UDP stream from the guest, taking the link down and up,
# pausing the send queue (ethtool -G, which pauses it even where the
# device cannot resize) and removing the module are clean: the guest
# keeps working, the kernel logs no warning and no TX timeout.
#
# Emulation scaling: coalescing always active (threshold 0), kicks held up
# to 5 ms or 32 frames so that a timer is armed most of the time, 3,000
# pps streams.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

RATE=3000
PORT=5003

if ! rig_up; then
	not_ok "guest up"
	ksft_finish
fi
log "profile: threshold 0 (always active), 5000 us, 32 frames; UDP $RATE pps"

hold() {
	coal_profile 0 $SCALED_INTERVAL_MS 5000 32
}

"$UDPFLOOD" recv --idle 30 --timeout 300 "$L1_IP:$PORT" > "$NCOAL_OUT/25-recv.out" &
rpid=$!

# flood_during NAME ACTION: a 6 s stream from the guest; ACTION (guest
# shell) runs after 1 s with coalescing active.
flood_during() {
	local log

	log=$(guest_detached "
		udpflood send --rate $RATE --duration 6 $L1_IP:$PORT > /tmp/flood.out 2>&1 &
		sleep 1
		echo state: \$(cat $COAL_DIR/state 2>/dev/null)
		ethtool -S eth0 | grep -E 'tx0_kick_(deferred|timer):'
		$2
		wait
		cat /tmp/flood.out")
	local rc=$?

	echo "$log" | sed "s|^|# $1: |"
	[ $rc -eq 0 ] || { echo "# $1: guest did not come back"; return 1; }
	echo "$log" | grep -q '^state: active' ||
		{ echo "# $1: coalescing was not active"; return 1; }
	ping -q -c 3 -i 0.2 -W 5 "$L2_IP" >/dev/null ||
		{ echo "# $1: no ping after it"; return 1; }
}

link_cycle() {
	hold >/dev/null || return 1
	flood_during "link down/up" "ip link set eth0 down
		sleep 0.5
		ip link set eth0 up"
}

queue_pause() {
	hold >/dev/null || return 1
	flood_during "ethtool -G" "ethtool -G eth0 tx 128 || echo 'ethtool -G: not supported here (the queue was paused anyway)'
		sleep 0.5
		ethtool -G eth0 tx 256 2>/dev/null"
}

module_remove() {
	hold >/dev/null || return 1
	flood_during "rmmod" "rmmod virtio_net || echo rmmod failed
		sleep 0.3
		insmod /lib/virtio_net.ko || echo insmod failed
		$ETH0_UP
		sleep 1" || return 1
	[ "$(coal_values)" = "$DEF_THRESHOLD $DEF_INTERVAL_MS $SHIP_USECS $DEF_FRAMES" ] ||
		{ echo "# reloaded module does not show the defaults"; return 1; }
}

no_tx_timeout() {
	local from=0 t

	[ -f $L2_DIR/dmesg-l2.mark ] && from=$(cat $L2_DIR/dmesg-l2.mark)
	t=$(l2 "dmesg | tail -n +$((from + 1))" | grep -E 'NETDEV WATCHDOG|TX timeout|transmit queue [0-9]+ timed out' || true)
	[ -z "$t" ] || { echo "$t"; return 1; }
}

check "link down/up with armed kick timers" link_cycle
check "send queue pause (ethtool -G) with armed kick timers" queue_pause
check "rmmod/insmod with armed kick timers" module_remove
check "no TX timeout in the guest" no_tx_timeout

kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
log "receiver (three streams, each numbered from 0): $(cat "$NCOAL_OUT/25-recv.out")"

coal_defaults >/dev/null 2>&1
ksft_finish
