#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU relay (tools/qemu, issue 5), device side of the commands no
# stock driver sends: VIRTIO_NET_CTRL_NOTF_COAL_SYNC (ours), VQ_GET, and
# malformed payloads of every command of the class. A guest-side sender
# does not exist yet, so the guest runs ctrlq_inject.ko
# (tools/testing/vm/ctrlq_inject, built on the host by its Makefile): a
# virtio driver that takes over a second virtio-net device (eth1, on
# tap1) and sends whatever control command a test writes to its debugfs
# file. eth0 keeps serving the test commands.
#
# Checks: the SYNC round trip (applied values, the TX kick delay left in
# the budget, the rate on the RX and the TX rings, the host caps lowering
# them, a zero budget, a host minimum above the budget); the standard
# commands keeping the SYNC rate; VQ_GET reading the host back; each
# malformed request answered VIRTIO_NET_ERR with the host state
# unchanged; device reset forgetting everything. Every command has the
# virtio layout: the ack byte, then the command-specific result (VQ_GET's
# struct virtio_net_ctrl_coal, SYNC's answer), and the used length covers
# the ack and, on VIRTIO_NET_OK, the result.
#
# No traffic is judged here, so no rate scaling applies.

. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

ERR=1

cleanup() {
	params_restore
	l2_stop
	taps_extra down tap1
	use_qemu system
}

ctrlq_begin "relay" stock
D1=${D[1]}

# At the top level: DEV is used by every check after (check runs its
# command in a subshell).
DEV=$(ctrlq_take_over)
log "eth1's device: ${DEV:-none}"

features_ok() {
	local f b

	[ -n "$DEV" ] || fail "ctrlq_inject did not take eth1 over" || return 1
	f=$(l2 "cat $CIDIR/$DEV/features") || return 1
	echo "$DEV: features 0x$f"
	for b in 17 52 53 58; do
		(( (16#$f >> b) & 1 )) || fail "feature bit $b not negotiated" ||
			return 1
	done
}
if ! check "ctrlq_inject drives eth1: CTRL_VQ, VQ_NOTF_COAL, NOTF_COAL, NOTF_COAL_SYNC (58) negotiated" features_ok; then
	cleanup
	ksft_finish
fi

# inject CMD INLEN HEX: one class 6 command on eth1 whose result (INLEN
# bytes) follows the ack; sets ST, USED and ANSWER.
inject() {
	local out

	ST='' USED='' ANSWER=''
	out=$(l2 "echo '6 $1 $2 $3' > $CIDIR/$DEV/cmd && cat $CIDIR/$DEV/cmd") ||
		{ fail "inject $*: $out"; return 1; }
	ST=$(echo "$out" | sed -n 's/^status=\([0-9]*\).*/\1/p')
	USED=$(echo "$out" | sed -n 's/.* used=\([0-9]*\).*/\1/p')
	ANSWER=$(echo "$out" | sed -n 's/.*answer=//p')
}

# sync_hex BUDGET RX_USECS RX_PKTS TX_USECS TX_PKTS THRESHOLD INTERVAL [RSVD]
sync_hex() {
	le32 "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-0}"
}

# sync_is FIELD=VALUE...: the last SYNC answer, by field.
sync_is() {
	local names=(budget rx_usecs rx_max_packets tx_kick_usecs
		     tx_kick_packets rate_threshold rate_interval_ms reserved)
	local -A got
	local i=0 v kv bad=0

	[ "$ST" = 0 ] || { fail "status $ST, want 0 (OK)"; return 1; }
	[ "$USED" = 33 ] || { fail "used $USED, want 33 (ack + answer)"; return 1; }
	for v in $(unle32 "$ANSWER"); do
		got[${names[$i]}]=$v
		i=$((i + 1))
	done
	echo "answer: $(for n in "${names[@]}"; do printf '%s=%s ' "$n" "${got[$n]}"; done)"
	for kv in "$@"; do
		[ "${got[${kv%%=*}]}" = "${kv#*=}" ] ||
			{ fail "${kv%%=*} ${got[${kv%%=*}]}, want ${kv#*=}"; bad=1; }
	done
	return $bad
}

sync_ok() {
	inject 4 32 "$(sync_hex 1000 400 32 800 16 1000 100)" || return 1
	sync_is budget=1000 rx_usecs=400 rx_max_packets=32 tx_kick_usecs=600 \
		tx_kick_packets=16 rate_threshold=1000 rate_interval_ms=100 || return 1
	ring_is "$D1" rx 400 32 explicit 1000 100 || return 1
	# The rate is for both directions; TX keeps its delay.
	ring_is "$D1" tx "$(cat "$P/tx_coalesce_usecs")" \
		"$(cat "$P/tx_max_coalesced_frames")" explicit 1000 100
}
check "SYNC budget 1000: RX 400/32 applied, TX kick 800 -> 600 (budget - RX), rate 1000/100 ms on RX and TX" sync_ok

# The rate on TX judged on the host's ring alone, not on the answer:
# sync_ok stops at the first field of the answer that is wrong.
sync_tx_rate() {
	inject 4 32 "$(sync_hex 1000 400 32 800 16 1000 100)" || return 1
	ring_is "$D1" tx "$(cat "$P/tx_coalesce_usecs")" \
		"$(cat "$P/tx_max_coalesced_frames")" explicit 1000 100
}
check "SYNC's rate 1000/100 ms reaches the host TX ring, which keeps its delay and frame bound" sync_tx_rate

std_keeps_rate() {
	inject 1 0 "$(le32 8 150)" || return 1
	[ "$ST" = 0 ] || fail "RX_SET status $ST" || return 1
	ring_is "$D1" rx 150 8 explicit 1000 100 || return 1
	inject 0 0 "$(le32 4 50)" || return 1
	[ "$ST" = 0 ] || fail "TX_SET status $ST" || return 1
	ring_is "$D1" tx 50 4 explicit 1000 100
}
check "RX_SET 150/8 and TX_SET 50/4 after SYNC keep the SYNC rate (1000 pps / 100 ms)" std_keeps_rate

vq_get() {
	local v

	inject 3 8 "$(le16 0 0)" || return 1
	[ "$ST" = 0 ] || fail "VQ_GET 0 status $ST" || return 1
	v=$(unle32 "$ANSWER" | tr '\n' ' ')
	echo "VQ_GET 0: max_packets max_usecs = $v, used $USED"
	[ "$v" = "8 150 " ] || fail "want 8 150" || return 1
	[ "$USED" = 9 ] || fail "used $USED, want 9 (ack + 8)" || return 1
	inject 2 0 "$(le16 1 0)$(le32 2 30)" || return 1
	[ "$ST" = 0 ] || fail "VQ_SET 1 status $ST" || return 1
	ring_is "$D1" tx 30 2 explicit || return 1
	inject 3 8 "$(le16 1 0)" || return 1
	v=$(unle32 "$ANSWER" | tr '\n' ' ')
	echo "VQ_GET 1: max_packets max_usecs = $v"
	[ "$ST" = 0 ] && [ "$v" = "2 30 " ] || fail "VQ_GET 1: status $ST, $v, want 2 30"
}
check "VQ_GET, result after the ack, reads the host back (vq 0: 8/150); VQ_SET vq 1 -> host TX 30/2, VQ_GET agrees" vq_get

sync_capped() {
	local rc=0

	params_save
	caps_lower 300 48 || { params_restore; fail "could not lower the caps"; return 1; }
	inject 4 32 "$(sync_hex 1000 800 100 900 16 1000 100)" &&
		sync_is rx_usecs=300 rx_max_packets=48 tx_kick_usecs=700 &&
		ring_is "$D1" rx 300 48 explicit || rc=1
	params_restore
	return $rc
}
check "SYNC under host caps 300 us/48: RX 800/100 -> 300/48, TX kick 900 -> 700" sync_capped

sync_huge() {
	local max frames

	max=$(cat $P/coalesce_max_usecs)
	frames=$(cat $P/coalesce_max_frames)
	# a running ring's frame bound is at most half its size (QEMU's
	# default 256-entry RX ring)
	[ "$frames" -gt 128 ] && frames=128
	inject 4 32 "$(sync_hex 4294967295 4294967295 4294967295 4294967295 \
		4294967295 4294967295 4294967295)" || return 1
	sync_is rx_usecs="$max" rx_max_packets="$frames" \
		tx_kick_usecs=$((4294967295 - max)) rate_threshold=100000000 \
		rate_interval_ms=60000 || return 1
	ring_is "$D1" rx "$max" "$frames" explicit 100000000 60000
}
check "SYNC with every value 0xffffffff: clamped to the host's limits, not past them" sync_huge

sync_zero() {
	inject 4 32 "$(sync_hex 0 0 0 100 8 1000 100)" || return 1
	sync_is budget=0 rx_usecs=0 tx_kick_usecs=0 || return 1
	ring_is "$D1" rx 0 1 explicit
}
check "SYNC budget 0: RX coalescing off (0 us, 1 frame), TX kick 0" sync_zero

sync_below_min() {
	local min

	min=$(cat $P/coalesce_min_usecs)
	inject 4 32 "$(sync_hex $((min - 2)) $((min - 3)) 4 50 8 1000 100)" ||
		return 1
	sync_is rx_usecs=0 tx_kick_usecs=$((min - 2)) || return 1
	ring_is "$D1" rx 0 1 explicit
}
check "SYNC with the host minimum delay above the budget: RX off rather than over budget" sync_below_min

# A known state, then each malformed request: ERR, state unchanged.
inject 4 32 "$(sync_hex 1000 250 16 500 16 1000 100)"
inject 2 0 "$(le16 1 0)$(le32 3 40)"
GOOD=$(sync_hex 1000 250 16 500 16 1000 100)
BEFORE="$(ring_state "$D1" rx)| $(ring_state "$D1" tx)"
log "state before the malformed requests: $BEFORE"

# bad NAME CMD INLEN HEX: one malformed request, sent later in one batch
# (each l2 round trip is slow here).
BAD_NAMES=() BAD_CMDS=()
bad() {
	BAD_NAMES+=("$1")
	BAD_CMDS+=("$2 $3 $4")
}
bad "SYNC 31 bytes" 4 32 "${GOOD:0:62}"
bad "SYNC 33 bytes" 4 32 "${GOOD}00"
bad "SYNC answer of 16 bytes" 4 16 "$GOOD"
bad "SYNC without answer" 4 0 "$GOOD"
bad "SYNC reserved 1" 4 32 "$(sync_hex 1000 250 16 500 16 1000 100 1)"
bad "SYNC rx_usecs 200 > budget 100" 4 32 "$(sync_hex 100 200 16 50 16 1000 100)"
bad "SYNC rx_usecs 100, rx_max_packets 0" 4 32 "$(sync_hex 1000 100 0 50 16 1000 100)"
bad "SYNC rate_interval_ms 0" 4 32 "$(sync_hex 1000 100 16 50 16 1000 0)"
bad "RX_SET 4 bytes" 1 0 "$(le32 8)"
bad "RX_SET 12 bytes" 1 0 "$(le32 8 150 0)"
bad "RX_SET with an answer" 1 8 "$(le32 8 150)"
bad "TX_SET empty" 0 0 -
bad "VQ_SET vq 2 (the control queue)" 2 0 "$(le16 2 0)$(le32 8 150)"
bad "VQ_SET vq 99" 2 0 "$(le16 99 0)$(le32 8 150)"
bad "VQ_SET 8 bytes" 2 0 "$(le16 0 0)$(le32 8)"
bad "VQ_GET vq 5" 3 8 "$(le16 5 0)"
bad "VQ_GET 2 bytes" 3 8 "$(le16 0)"
bad "VQ_GET answer of 4 bytes" 3 4 "$(le16 0 0)"
bad "unknown command 5" 5 0 "$GOOD"
bad "unknown command 255" 255 0 -

script=
for i in "${!BAD_CMDS[@]}"; do
	script+="echo '6 ${BAD_CMDS[$i]}' > $CIDIR/$DEV/cmd; echo \"@$i \$(cat $CIDIR/$DEV/cmd)\";"
done
BAD_OUT=$(l2 -t 300 "$script")
AFTER="$(ring_state "$D1" rx)| $(ring_state "$D1" tx)"
for i in "${!BAD_NAMES[@]}"; do
	st=$(echo "$BAD_OUT" | sed -n "s/^@$i status=\([0-9]*\) used=1 .*/\1/p")
	if [ "$st" = $ERR ]; then
		ok "malformed: ${BAD_NAMES[$i]} -> VIRTIO_NET_ERR, used 1"
	else
		log "$(echo "$BAD_OUT" | grep "^@$i "), want status $ERR used 1"
		not_ok "malformed: ${BAD_NAMES[$i]} -> VIRTIO_NET_ERR"
	fi
done
unchanged() {
	echo "after: $AFTER"
	[ "$AFTER" = "$BEFORE" ]
}
check "malformed: host RX and TX rings unchanged after all ${#BAD_NAMES[@]} requests" unchanged

reset() {
	local v

	l2 "echo $DEV > /sys/bus/virtio/drivers/ctrlq_inject/unbind" || return 1
	ring_default "$D1" rx || return 1
	ring_default "$D1" tx || return 1
	l2 "echo $DEV > /sys/bus/virtio/drivers/ctrlq_inject/bind" || return 1
	inject 3 8 "$(le16 0 0)" || return 1
	v=$(unle32 "$ANSWER" | tr '\n' ' ')
	echo "VQ_GET 0 after reset: $v"
	[ "$v" = "$(cat $P/rx_max_coalesced_frames) $(cat $P/rx_coalesce_usecs) " ] ||
		fail "want the host defaults" || return 1
	# The SYNC rate is forgotten too: RX_SET keeps the ring's own.
	inject 1 0 "$(le32 8 150)" || return 1
	ring_is "$D1" rx 150 8 explicit "$(cat $P/coalesce_rate_threshold)" \
		"$(cat $P/coalesce_rate_interval_ms)"
}
check "device reset: rings back to the host defaults, VQ_GET reports them, SYNC rate forgotten" reset

# Migration: a destination QEMU with the same command line (other taps,
# pid file, logs, monitor) takes the guest over; the settings travel in
# the "virtio-net-device/coal" subsection and reach the destination's
# vhost-net when it starts. The guest is not reachable afterwards (the
# destination's taps have no address), so this comes last.
migrate() {
	local src dst_pid args=() a i st

	src=$(cat "$L2_DIR/qemu.pid") || return 1
	l2 'ethtool -C eth0 rx-usecs 350 rx-frames 20' || return 1
	S0="$(ring_state "${D[0]}" rx)| $(ring_state "${D[0]}" tx)"
	S1="$(ring_state "$D1" rx)| $(ring_state "$D1" tx)"
	taps_extra up tapm0 tapm1 || return 1
	while IFS= read -r -d '' a; do
		case "$a" in
		*ifname=tap0,*) a=${a/ifname=tap0,/ifname=tapm0,} ;;
		*ifname=tap1,*) a=${a/ifname=tap1,/ifname=tapm1,} ;;
		"$L2_DIR/qemu.pid") a=$L2_DIR/dst.pid ;;
		file:*serial.log) a=file:$L2_DIR/dst-serial.log ;;
		unix:"$MON",*) a=unix:$L2_DIR/dst-monitor.sock,server=on,wait=off ;;
		unix:"$L2_MON",*) a=unix:$L2_DIR/dst-l2-monitor.sock,server=on,wait=off ;;
		"$TRACE") a=$L2_DIR/dst-trace.log ;;
		esac
		args+=("$a")
	done < /proc/"$src"/cmdline
	rm -f "$L2_DIR/dst.pid"
	"${args[@]}" -incoming "unix:$L2_DIR/migrate.sock" > "$L2_DIR/dst.log" \
		2>&1 < /dev/null &
	for i in $(seq 1 50); do
		[ -S "$L2_DIR/migrate.sock" ] && [ -s "$L2_DIR/dst.pid" ] && break
		proc_alive $! || { cat "$L2_DIR/dst.log"; return 1; }
		sleep 0.2
	done
	dst_pid=$(cat "$L2_DIR/dst.pid")
	hmp "migrate -d unix:$L2_DIR/migrate.sock"
	for i in $(seq 1 300); do
		st=$(hmp 'info migrate' | sed -n 's/^Migration status: //p')
		case "$st" in completed|failed|cancelled) break ;; esac
		sleep 0.5
	done
	echo "migration: ${st:-no status} after about $((i / 2)) s"
	# The source's end is ours (run.sh would call it a death).
	touch "$L2_DIR/stopped"
	kill "$src" 2> /dev/null
	[ "$st" = completed ] || fail "migration $st" || return 1
	# The destination starts vhost (and re-applies) once it runs.
	for i in $(seq 1 40); do
		grep -q 'virtio_net_coal_set_done vq 0' "$L2_DIR/dst-trace.log" 2> /dev/null &&
			break
		sleep 0.5
	done
	mapfile -t DD < <(ls -d "$DBG/$dst_pid"-* 2> /dev/null | sort -t- -k2 -n)
	[ ${#DD[@]} = 2 ] || fail "destination vhost-net devices: ${DD[*]}" || return 1
	echo "source eth0: $S0"
	echo "dest   eth0: $(ring_state "${DD[0]}" rx)| $(ring_state "${DD[0]}" tx)"
	echo "source eth1: $S1"
	echo "dest   eth1: $(ring_state "${DD[1]}" rx)| $(ring_state "${DD[1]}" tx)"
	[ "$(ring_state "${DD[0]}" rx)| $(ring_state "${DD[0]}" tx)" = "$S0" ] ||
		fail "eth0 settings differ on the destination" || return 1
	[ "$(ring_state "${DD[1]}" rx)| $(ring_state "${DD[1]}" tx)" = "$S1" ] ||
		fail "eth1 settings differ on the destination"
}
check "migration: the destination's vhost-net gets the source's settings (eth0 350/20, eth1)" migrate
if [ -f "$L2_DIR/dst.pid" ]; then
	kill "$(cat "$L2_DIR/dst.pid")" 2> /dev/null
	rm -f "$L2_DIR/dst.pid"
fi
taps_extra down tapm0 tapm1

cleanup
ksft_finish
