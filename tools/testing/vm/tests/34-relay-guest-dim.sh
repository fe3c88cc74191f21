#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ncoal-level: e2e
#
# guest-dim (issue 20, item 3): a stock 6.12 guest that runs its own RX
# moderation (`ethtool -C eth0 adaptive-rx on`: lib/dim's net_dim, whose
# work item sends VIRTIO_NET_CTRL_NOTF_COAL_VQ_SET for RX virtqueue 0
# with the profile it picked) under the relay QEMU steers our
# vhost_net's RX ring. 6.12's virtio_net uses net_dim's EQE RX profiles
# (lib/dim/net_dim.c): 1, 8, 64, 128 and 256 us, each with 256 packets.
# The host brings them inside its bounds (usecs up to
# coalesce_min_usecs, frames down to coalesce_max_frames and half the
# ring) and must never refuse one: a refused VQ_SET is only a pr_debug in
# the guest, which goes on as if the device had taken it.
#
# One boot, the relay QEMU with eth0 (stock virtio_net, DIM on) and eth1
# (ctrlq_inject, for VQ_GET, which no stock driver sends). Judged: the
# VQ_SETs the relay received and what it answered (its trace), the
# host's applied values (debugfs) during and after a flood above the
# gate, each profile's clamp, and VQ_GET's answer against the host.
#
# Emulation scaling (as 32-sync-flood.sh): the nested guest runs ~100x
# slower than hardware, so the flood is 600 pps over a host gate scaled
# to 300 pps / 250 ms (shipped: 10,000 pps / 1 s). No time is judged.

. "$(dirname "$0")/../lib.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

RATE=600
DUR=12
PORT=5004
THRESHOLD=300
INTERVAL=250
# lib/dim/net_dim.c, NET_DIM_RX_EQE_PROFILES (6.12): usecs; 256 packets.
PROFILES="1 8 64 128 256"
PKTS=256

cleanup() {
	[ -z "${GATE_SAVED:-}" ] || {
		echo "${GATE_SAVED% *}" > "$P/coalesce_rate_threshold"
		echo "${GATE_SAVED#* }" > "$P/coalesce_rate_interval_ms"
	}
	params_restore
	l2_stop
	taps_extra down tap1
	use_qemu system
}

ctrlq_begin "relay, stock virtio_net" stock
GATE_SAVED="$(cat "$P/coalesce_rate_threshold") $(cat "$P/coalesce_rate_interval_ms")"
params_save
# Interval first: every intermediate state is valid.
echo $INTERVAL > "$P/coalesce_rate_interval_ms"
echo $THRESHOLD > "$P/coalesce_rate_threshold"
D0=${D[0]} D1=${D[1]}
DEV=$(ctrlq_take_over)
log "eth1's device: ${DEV:-none}"
RING=$(l2 'ethtool -g eth0' |
	awk '/^Current/ { c = 1 } c && /^RX:/ { print $2; exit }')
log "eth0 RX ring: ${RING:-?} entries; host bounds: usecs $(cat "$P/coalesce_min_usecs")-$(cat "$P/coalesce_max_usecs"), frames <= $(cat "$P/coalesce_max_frames") and half the ring"

# host_applies USECS FRAMES: what our vhost_net makes of a relayed
# virtio request on a running ring of $RING entries: "usecs frames".
host_applies() {
	local u=$1 f=$2 lo hi mf

	lo=$(cat "$P/coalesce_min_usecs")
	hi=$(cat "$P/coalesce_max_usecs")
	mf=$(cat "$P/coalesce_max_frames")
	if [ "$u" = 0 ] || [ "$f" = 0 ]; then
		echo "0 1"
		return
	fi
	[ "$u" -lt "$lo" ] && u=$lo
	[ "$u" -gt "$hi" ] && u=$hi
	[ "$f" -gt "$mf" ] && f=$mf
	[ "$f" -gt $((RING / 2)) ] && f=$((RING / 2))
	echo "$u $f"
}

dim_on() {
	local out

	[ -n "$RING" ] || fail "no RX ring size from ethtool -g eth0" || return 1
	feature 52 || fail "VIRTIO_NET_F_VQ_NOTF_COAL (52) not negotiated" ||
		return 1
	out=$(l2 'ethtool -C eth0 adaptive-rx on 2>&1') ||
		fail "ethtool -C eth0 adaptive-rx on: $out" || return 1
	out=$(l2 'ethtool -c eth0') || return 1
	echo "$out" | grep -E '^Adaptive RX:'
	echo "$out" | grep -q '^Adaptive RX:[[:space:]]*on' ||
		fail "adaptive RX not on"
}
if ! check "stock guest on the relay: VQ_NOTF_COAL negotiated, ethtool -C eth0 adaptive-rx on" dim_on; then
	cleanup
	ksft_finish
fi

# rx_sample: "usecs frames state" of eth0's host RX ring, builtins only
# (a fork costs up to a second in the emulated test host).
rx_sample() {
	local k v u='' f='' st=''

	while read -r k v; do
		case "$k" in
		usecs:) u=$v ;;
		max_frames:) f=$v ;;
		state:) st=$v ;;
		esac
	done < "$D0/rx"
	echo "$u $f $st"
}

# The flood, host -> guest, with the host's RX ring sampled about twice
# a second; the relay's trace of it alone. PRE: the ring before it.
read -r PRE_U PRE_F _ < <(rx_sample)
T0=$(wc -l < "$TRACE")
l2 "udpflood recv --idle 3 --timeout 60 $PORT > /tmp/recv.out 2>&1 &"
sleep 0.5
"$UDPFLOOD" send --rate $RATE --duration $DUR "$L2_IP:$PORT" > "$L2_DIR/dim.send" &
FLOOD=$!
: > "$L2_DIR/dim.samples"
while kill -0 $FLOOD 2> /dev/null; do
	rx_sample >> "$L2_DIR/dim.samples"
	sleep 0.5
done
wait $FLOOD
# net_dim's last work item, and the receiver's idle end.
sleep 4
tail -n +$((T0 + 1)) "$TRACE" > "$L2_DIR/dim.trace"
log "flood: $(cat "$L2_DIR/dim.send"); guest: $(l2 'cat /tmp/recv.out')"
log "host RX ring before: $PRE_U us / $PRE_F; mid-run (usecs frames state): $(sort "$L2_DIR/dim.samples" | uniq -c | tr -s ' \n' ' ')"
# The relay's requests for RX ring 0 ("usecs frames"), its answers.
sed -n 's/.*virtio_net_coal_set vq 0: host default 0, \([0-9]*\) us, \([0-9]*\) frames.*/\1 \2/p' \
	"$L2_DIR/dim.trace" > "$L2_DIR/dim.sets"
sed -n 's/.*virtio_net_coal_cmd command 2: status \(-\{0,1\}[0-9]*\).*/\1/p' \
	"$L2_DIR/dim.trace" > "$L2_DIR/dim.status"
log "guest VQ_SETs (usecs frames): $(tr '\n' ',' < "$L2_DIR/dim.sets")"

vq_sets() {
	local n s u f bad=0

	n=$(wc -l < "$L2_DIR/dim.status")
	s=$(grep -cvx 0 "$L2_DIR/dim.status")
	echo "VQ_SET commands: $n, answered VIRTIO_NET_ERR: $s; RX ring requests: $(wc -l < "$L2_DIR/dim.sets")"
	[ "$n" -gt 0 ] || fail "the guest's net_dim sent no VQ_SET" || return 1
	[ "$s" = 0 ] || fail "$s VQ_SET refused" || return 1
	[ "$(wc -l < "$L2_DIR/dim.sets")" = "$n" ] ||
		fail "each VQ_SET must be one RX ring request" || return 1
	while read -r u f; do
		case " $PROFILES " in *" $u "*) ;; *) bad=1 ;; esac
		[ "$f" = $PKTS ] || bad=1
	done < "$L2_DIR/dim.sets"
	[ $bad = 0 ] || fail "a request that is no EQE profile ($PROFILES us / $PKTS)"
}
check "guest DIM under a flood above the gate: its VQ_SETs are EQE profiles, none refused" vq_sets

follows() {
	local u f eu ef out gu gf

	read -r u f < <(tail -n1 "$L2_DIR/dim.sets")
	[ -n "$u" ] || fail "no VQ_SET to follow" || return 1
	read -r eu ef < <(host_applies "$u" "$f")
	echo "guest's last VQ_SET: $u us / $f; host applies $eu / $ef"
	ring_is "$D0" rx "$eu" "$ef" explicit $THRESHOLD $INTERVAL || return 1
	# The guest's own view: the last profile it sent.
	out=$(l2 'ethtool -Q eth0 queue_mask 0x1 --show-coalesce') || return 1
	gu=$(echo "$out" | sed -n 's/^rx-usecs:[[:space:]]*//p')
	gf=$(echo "$out" | sed -n 's/^rx-frames:[[:space:]]*//p')
	echo "guest queue 0: rx-usecs $gu rx-frames $gf"
	[ "$gu $gf" = "$u $f" ] || fail "guest's queue 0 at $gu/$gf, last VQ_SET $u/$f"
}
check "host RX ring ends at the clamp of the guest's last VQ_SET" follows

mid_run() {
	local want u f st ok_set=" " seen=0 active=0 bad=0

	# Before the first VQ_SET the ring is as it was before the flood.
	ok_set+="$PRE_U/$PRE_F "
	while read -r u f; do
		read -r u f < <(host_applies "$u" "$f")
		want+="$u/$f "
	done < "$L2_DIR/dim.sets"
	ok_set+=$want
	while read -r u f st; do
		case "$ok_set" in *" $u/$f "*) ;; *) bad=1 ;; esac
		case " $want" in *" $u/$f "*) seen=$((seen + 1)) ;; esac
		[ "$st" != active ] || active=$((active + 1))
	done < "$L2_DIR/dim.samples"
	echo "samples $(wc -l < "$L2_DIR/dim.samples"): $seen at a DIM value, $active active; allowed:$ok_set"
	[ $bad = 0 ] || fail "a sample outside the defaults and the clamped requests" ||
		return 1
	[ $seen -gt 0 ] || fail "no sample at a value the guest's DIM asked for"
}
check "host RX ring mid-run: only the defaults and the clamped VQ_SET values" mid_run

# Each EQE profile alone, through the same command (DIM off, ethtool -Q).
profiles() {
	local u eu ef bad=0

	l2 'ethtool -C eth0 adaptive-rx off' || fail "adaptive-rx off" ||
		return 1
	for u in $PROFILES; do
		if ! l2 "ethtool -Q eth0 queue_mask 0x1 --coalesce rx-usecs $u rx-frames $PKTS"; then
			fail "ethtool -Q rx-usecs $u rx-frames $PKTS refused"
			return 1
		fi
		read -r eu ef < <(host_applies "$u" $PKTS)
		ring_is "$D0" rx "$eu" "$ef" explicit $THRESHOLD $INTERVAL || bad=1
	done
	return $bad
}
check "each EQE profile by VQ_SET ($PROFILES us / $PKTS): host ring at its clamp" profiles

vq_get() {
	local u eu ef v bad=0

	[ -n "$DEV" ] || fail "ctrlq_inject did not take eth1 over" || return 1
	for u in $PROFILES; do
		ctrlq_cmd "$DEV" 2 0 "$(le16 0 0)$(le32 $PKTS "$u")" || return 1
		[ "$CQ_ST" = 0 ] || fail "VQ_SET $u/$PKTS: status $CQ_ST" ||
			return 1
		ctrlq_cmd "$DEV" 3 8 "$(le16 0 0)" || return 1
		v=$(unle32 "$CQ_ANSWER" | tr '\n' ' ')
		read -r eu ef < <(host_applies "$u" $PKTS)
		echo "VQ_SET $u us / $PKTS -> VQ_GET max_packets max_usecs: $v(status $CQ_ST, used $CQ_USED); host $(dbg "$D1" rx usecs)/$(dbg "$D1" rx max_frames)"
		[ "$CQ_ST" = 0 ] && [ "$v" = "$ef $eu " ] || bad=1
		ring_is "$D1" rx "$eu" "$ef" explicit > /dev/null || bad=1
	done
	[ $bad = 0 ] || fail "VQ_GET does not read back what the host applied"
}
check "VQ_GET reads back what the host applied to each EQE profile (eth1, ctrlq_inject)" vq_get

cleanup
ksft_finish
