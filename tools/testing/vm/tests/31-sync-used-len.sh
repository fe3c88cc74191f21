#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SYNC answer's used length (issue 18, item 7): our virtio_net takes
# the device's answer only if the device says it wrote exactly the ack
# and the whole answer, 1 + 32 bytes. ctrlq_inject.ko's used_len (a
# kretprobe on virtqueue_get_buf(), see tools/testing/vm/ctrlq_inject)
# makes eth0's device report another length for the next buffer of its
# control queue, the bytes it wrote untouched; a budget write then sends
# the SYNC. A wrong length (ack only, one short, one long, none) must
# leave the driver in "fallback" (kicks within the budget alone), the
# true one "synced"; each time exactly one length was replaced, and the
# next SYNC without the fault synchronises again.
#
# No traffic is judged here, so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

C=/sys/class/net/eth0/virtio_coalesce
U=$CIDIR/used_len
ANSWER=33	# the ack byte and struct virtio_net_ctrl_coal_sync

cleanup() {
	l2 "echo - 0 > $U" > /dev/null 2>&1
	l2_stop
	use_qemu system
}

relay_begin
if [ ! -f "$CI" ]; then
	skip "ctrlq_inject" "$CI missing: make -C tools/testing/vm/ctrlq_inject on the host"
	ksft_finish
fi
sync_guest_up

# load_ci: ctrlq_inject.ko into the guest, bound to nothing; sets DEV to
# eth0's virtio device (virtioN).
load_ci() {
	# shellcheck disable=SC2016 # expanded in the guest
	DEV=$(ctrlq_insmod 'basename $(readlink /sys/class/net/eth0/device)') ||
		return 1
	echo "eth0 = $DEV"
	case "$DEV" in virtio[0-9]*) ;; *) fail "eth0's device: '$DEV'" ;; esac
}
if load_ci > "$L2_DIR/load_ci.log" 2>&1; then
	sed 's/^/# /' "$L2_DIR/load_ci.log"
	ok "ctrlq_inject.ko loaded next to our virtio_net"
else
	sed 's/^/# /' "$L2_DIR/load_ci.log"
	not_ok "ctrlq_inject.ko loaded next to our virtio_net"
	cleanup
	ksft_finish
fi

# sync_once [LEN]: a budget (1000-1499 us) other than the one set, so a
# SYNC goes out; with LEN, its answer's used length is reported as LEN.
# Sets BUDGET, HITS, STATE, ALLOWED.
sync_once() {
	local arm="echo - 0 > $U" what="the device's" out

	[ -n "${1:-}" ] && arm="echo $DEV $1 > $U" what=$1
	out=$(l2 "b=\$((1000 + (\$(cat $C/budget_usecs) + 10) % 500)) &&
		$arm && echo \$b > $C/budget_usecs &&
		echo \$b \$(sed -n 's/.*hits=\([0-9]*\).*/\1/p' $U) \$(cat $C/sync_state $C/tx_kick_usecs_allowed)") ||
		return 1
	read -r BUDGET HITS STATE ALLOWED <<< "$(echo "$out" | tail -n1)"
	echo "used length $what, budget $BUDGET: replaced $HITS, sync_state $STATE, tx_kick_usecs_allowed $ALLOWED"
}

synced_again() {
	sync_once || return 1
	[ "$STATE" = synced ] || fail "sync_state $STATE after a SYNC without the fault, want synced"
}
check "a budget set: synced (no fault armed)" synced_again

# refused LEN: the answer with used length LEN is not taken.
refused() {
	sync_once "$1" || return 1
	[ "$HITS" = 1 ] || fail "$HITS lengths replaced, want 1 (the SYNC's)"
	[ "$STATE" = fallback ] || fail "sync_state $STATE, want fallback"
	[ "$ALLOWED" = "$BUDGET" ] ||
		fail "tx_kick_usecs_allowed $ALLOWED, want the budget $BUDGET (answer not applied)"
	synced_again
}
# taken: the true length, through the same fault path.
taken() {
	sync_once $ANSWER || return 1
	[ "$HITS" = 1 ] || fail "$HITS lengths replaced, want 1 (the SYNC's)"
	[ "$STATE" = synced ] || fail "sync_state $STATE, want synced"
}
check "SYNC answer, used length $ANSWER (ack + answer): taken, synced" taken
check "SYNC answer, used length 1 (ack only): refused, fallback" refused 1
check "SYNC answer, used length $((ANSWER - 1)) (one byte short): refused, fallback" refused $((ANSWER - 1))
check "SYNC answer, used length $((ANSWER + 1)) (one byte more than the buffer): refused, fallback" refused $((ANSWER + 1))
check "SYNC answer, used length 0: refused, fallback" refused 0

cleanup
ksft_finish
