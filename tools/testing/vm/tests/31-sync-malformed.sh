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

CI=${NCOAL_CTRLQ_INJECT:-$NCOAL_BUILD/qemu-ctrlq_inject/ctrlq_inject.ko}
CIDIR=/sys/kernel/debug/ctrlq_inject
C=/sys/class/net/eth0/virtio_coalesce
ERR=1

cleanup() {
	l2_stop
	taps_extra down tap1
	use_qemu system
}

if ! relay_available; then
	skip "relay QEMU" "$RELAY_QEMU missing: run tools/qemu/fetch-build.sh on the host"
	ksft_finish
fi
if [ ! -f "$CI" ]; then
	skip "ctrlq_inject" "$CI missing: make -C tools/testing/vm/ctrlq_inject on the host"
	ksft_finish
fi

l2_stop
if ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi
taps_extra up tap1 || not_ok "tap1 for eth1"
# shellcheck disable=SC2054 # commas belong to QEMU options
RELAY_EXTRA=(-netdev tap,id=n1,ifname=tap1,script=no,downscript=no,vhost=on
	-device virtio-net-pci,netdev=n1,mac=52:54:00:12:34:12,romfile=)
use_qemu relay
RELAY_EXTRA=()
if ! guest_up "relay, our virtio_net"; then
	cleanup
	ksft_finish
fi
mapfile -t D < <(vhost_dirs)
D0=${D[0]} D1=${D[1]}

take_over() {
	local ko=/tmp/ctrlq_inject.ko b64

	strip --strip-debug -o $ko "$CI" || return 1
	b64=$(base64 -w0 $ko)
	rm -f $ko
	DEV=$(l2 "echo $b64 | base64 -d > /tmp/ci.ko && insmod /tmp/ci.ko &&
		d=\$(basename \$(readlink /sys/class/net/eth1/device)) &&
		echo \$d > /sys/bus/virtio/drivers/virtio_net/unbind &&
		echo \$d > /sys/bus/virtio/drivers/ctrlq_inject/bind &&
		echo \$d") || return 1
	DEV=$(echo "$DEV" | tail -n1)
	F=$(l2 "cat $CIDIR/$DEV/features") || return 1
	echo "eth1 = $DEV, features 0x$F"
	(( (16#$F >> 58) & 1 )) || fail "bit 58 not negotiated on eth1"
}
eth0_synced() {
	local s

	s=$(l2 "cat $C/sync_state") || return 1
	[ "$s" = synced ] || fail "eth0 sync_state $s, want synced"
}
check "eth0 synced (our virtio_net)" eth0_synced
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
