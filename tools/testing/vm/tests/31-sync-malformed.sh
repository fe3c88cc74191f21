#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed VIRTIO_NET_CTRL_NOTF_COAL_SYNC payloads (issue 5) next to a
# guest that is synchronised: eth0 runs our virtio_net (sync_state
# "synced"), eth1's device is taken over by ctrlq_inject.ko
# (tools/testing/vm/ctrlq_inject, as in 30-relay-sync.sh) which sends raw
# commands our driver never would. Each one gets VIRTIO_NET_ERR and
# leaves the host state of both devices unchanged; eth0 stays synced.
#
# No traffic is judged here, so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

C=/sys/class/net/eth0/virtio_coalesce
ERR=1

cleanup() {
	l2_stop
	taps_extra down tap1
	use_qemu system
}

ctrlq_begin "relay, our virtio_net"
D0=${D[0]} D1=${D[1]}

take_over() {
	DEV=$(ctrlq_take_over) || return 1
	F=$(l2 "cat $CIDIR/$DEV/features") || return 1
	echo "eth1 = $DEV, features 0x$F"
	(( (16#$F >> 58) & 1 )) || fail "bit 58 not negotiated on eth1"
}
eth0_synced() {
	local s

	s=$(l2 "echo 1000 > $C/budget_usecs && cat $C/sync_state") || return 1
	[ "$s" = synced ] || fail "eth0 sync_state $s, want synced"
}
check "eth0 synced (our virtio_net, budget 1000)" eth0_synced
# Not in check: DEV must outlive it.
if take_over > "$L2_DIR/take_over.log" 2>&1; then
	sed 's/^/# /' "$L2_DIR/take_over.log"
	ok "eth1 driven by ctrlq_inject, bit 58 negotiated"
else
	sed 's/^/# /' "$L2_DIR/take_over.log"
	not_ok "eth1 driven by ctrlq_inject, bit 58 negotiated"
	cleanup
	ksft_finish
fi

# inject CMD INLEN HEX: one class 6 command on eth1; sets ST.
inject() {
	local out

	ST=''
	out=$(l2 "echo '6 $1 $2 $3' > $CIDIR/$DEV/cmd && cat $CIDIR/$DEV/cmd") ||
		return 1
	ST=$(echo "$out" | sed -n 's/^status=\([0-9]*\).*/\1/p')
}

sync_hex() {
	le32 "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-0}"
}

# A known state on eth1 first.
GOOD=$(sync_hex 1000 250 16 500 16 1000 100)
inject 4 32 "$GOOD"
state() {
	echo "$(ring_state "$D1" rx)| $(ring_state "$D1" tx)| $(ring_state "$D0" rx)"
}
BEFORE=$(state)
G0=$(l2 "echo \$(cat $C/sync_state $C/host_rx_usecs_applied $C/tx_kick_usecs_allowed)")
log "good SYNC status $ST; host: $BEFORE; eth0: $G0"

bad_one() {
	local after

	inject "$@" || return 1
	after=$(state)
	[ "$ST" = $ERR ] || fail "status $ST, want $ERR (VIRTIO_NET_ERR)"
	[ "$after" = "$BEFORE" ] || fail "host state changed: $after"
	[ "$ST" = $ERR ] && [ "$after" = "$BEFORE" ]
}
bad() {
	local name=$1

	shift
	check "malformed SYNC: $name -> VIRTIO_NET_ERR, host unchanged" bad_one "$@"
}
bad "short (31 bytes)" 4 32 "${GOOD:0:62}"
bad "oversized (36 bytes)" 4 32 "${GOOD}00000000"
bad "reserved 1" 4 32 "$(sync_hex 1000 250 16 500 16 1000 100 1)"
bad "rx_usecs 1200 > budget 1000" 4 32 "$(sync_hex 1000 1200 16 500 16 1000 100)"
bad "unknown command 5" 5 32 "$GOOD"

eth0_kept() {
	local g

	g=$(l2 "echo \$(cat $C/sync_state $C/host_rx_usecs_applied $C/tx_kick_usecs_allowed)") ||
		return 1
	echo "eth0: $g"
	[ "$g" = "$G0" ] || fail "eth0 changed from $G0"
	case "$g" in synced*) ;; *) fail "eth0 not synced: $g" ;; esac
}
check "eth0 (our virtio_net) still synced, its values unchanged" eth0_kept

cleanup
ksft_finish
