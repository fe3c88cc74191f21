#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest TX kick coalescing knobs (issue 4): the sysfs group and the ethtool
# coalesce parameters show one set of values; every bad value is rejected
# by the interface it came through and changes nothing; the upstream
# ethtool parameters keep their meaning.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

# The shipped tx_kick_mode: fixed.
DEF_MODE=1

if ! rig_up; then
	not_ok "guest up with our virtio_net"
	ksft_finish
fi

want=$(built_ident virtio_net)
got=$(l2 "strings /sys/module/virtio_net/notes/.note.ncoal | grep -m1 '^ncoal-'")
if [ -n "$want" ] && [ "$got" = "$want" ]; then
	ok "guest runs our virtio_net ($got)"
else
	log "built: '$want' loaded in the guest: '$got'"
	l2 'ls -la /sys/module/virtio_net/ /sys/module/virtio_net/notes/' | sed 's/^/# /'
	l2 'od -c /sys/module/virtio_net/notes/.note.ncoal | head' | sed 's/^/# /' 
	not_ok "guest runs our virtio_net"
	ksft_finish
fi

files=$(l2 "ls $COAL_DIR" | tr '\n' ' ')
# The six of kick coalescing and the six of the sync command (31-sync-*).
if [ "$files" = "budget_usecs host_rx_frames host_rx_usecs host_rx_usecs_applied rate_interval_ms rate_threshold state sync_state tx_kick_frames tx_kick_mode tx_kick_usecs tx_kick_usecs_allowed " ]; then
	ok "sysfs group virtio_coalesce has the six knobs and the sync ones"
else
	log "found: $files"
	not_ok "sysfs group virtio_coalesce has the six knobs and the sync ones"
fi

# A fresh probe shows the shipped (hardware) defaults: reload the module,
# earlier tests may have changed them.
if ! guest_reload; then
	not_ok "guest reachable after reloading virtio_net"
	ksft_finish
fi
defaults_ok() {
	local v

	v=$(coal_values) || return 1
	[ "$v" = "$DEF_THRESHOLD $DEF_INTERVAL_MS $SHIP_USECS $DEF_FRAMES" ] ||
		fail "defaults: '$v'"
	v=$(coal_get tx_kick_mode)
	[ "$v" = "$DEF_MODE" ] || fail "default tx_kick_mode: '$v'"
}

# Values through ethtool read back through sysfs.
ethtool_to_sysfs() {
	local v

	coal_defaults || return 1
	l2 'ethtool -C eth0 pkt-rate-low 1234 sample-interval 3' ||
		fail "ethtool -C pkt-rate-low 1234 sample-interval 3 failed"
	v=$(coal_values)
	[ "$v" = "1234 3000 $DEF_USECS $DEF_FRAMES" ] || fail "sysfs shows '$v'"
}

# Values through sysfs read back through ethtool.
sysfs_to_ethtool() {
	local c

	coal_set rate_threshold 4321 && coal_set rate_interval_ms 2000 ||
		fail "sysfs write failed"
	c=$(l2 'ethtool -c eth0')
	echo "$c" | grep -qx 'pkt-rate-low: 4321' || fail "ethtool -c: $c"
	echo "$c" | grep -qx 'sample-interval: 2' || fail "ethtool -c: $c"
}

# sample-interval is in whole seconds: 1500 ms reads as 2 and survives an
# unrelated ethtool -C, which writes the value read back.
subsecond_interval() {
	local c v

	coal_set rate_interval_ms 1500 || fail "write 1500"
	c=$(l2 'ethtool -c eth0')
	echo "$c" | grep -qx 'sample-interval: 2' || fail "ethtool -c: $c"
	l2 'ethtool -C eth0 pkt-rate-low 999' || fail "ethtool -C pkt-rate-low 999"
	v=$(coal_values)
	[ "$v" = "999 1500 $DEF_USECS $DEF_FRAMES" ] || fail "sysfs shows '$v'"
}

# Guest shell helpers for the bad-value checks, which run as one guest
# script each (one round trip per value is too slow on this rig): try
# KNOB VALUE writes VALUE, and reports a write that succeeded or one that
# changed any of the five values.
GUEST_TRY="cd $COAL_DIR
vals() { echo \$(cat rate_threshold rate_interval_ms tx_kick_usecs tx_kick_frames tx_kick_mode); }
bad=0
try() {
	b=\$(vals)
	if echo \"\$2\" > \$1 2>/dev/null; then
		echo \"accepted: \$1='\$2'\"; bad=1
	fi
	a=\$(vals)
	[ \"\$a\" = \"\$b\" ] || { echo \"\$1='\$2' changed '\$b' to '\$a'\"; bad=1; }
}
try_cmd() {
	b=\$(vals)
	if out=\$(\"\$@\" 2>&1); then
		echo \"accepted: \$*\"; bad=1
	fi
	echo \"# \$*: \$(echo \"\$out\" | head -n1)\"
	a=\$(vals)
	[ \"\$a\" = \"\$b\" ] || { echo \"\$* changed '\$b' to '\$a'\"; bad=1; }
}
# ethtool 6.1 exits 0 when a per-queue set fails: judge it by its message.
try_perqueue() {
	b=\$(vals)
	out=\$(ethtool -Q eth0 \"\$@\" 2>&1)
	echo \"\$out\" | grep -q 'Cannot set device per queue' ||
		{ echo \"accepted: ethtool -Q eth0 \$*\"; bad=1; }
	echo \"# ethtool -Q eth0 \$*: \$(echo \"\$out\" | head -n1)\"
	a=\$(vals)
	[ \"\$a\" = \"\$b\" ] || { echo \"-Q \$* changed '\$b' to '\$a'\"; bad=1; }
}
"

bad_sysfs_all() {
	coal_defaults || return 1
	l2 "$GUEST_TRY
	    for v in '' abc -1 1.5 0x10 4294967296 99999999999999999999 \
		     '12 34' 100000001; do
		try rate_threshold \"\$v\"
	    done
	    for v in 0 9 60001 4294967295 abc; do try rate_interval_ms \$v; done
	    for v in 10001 4294967295 -5 xyz; do try tx_kick_usecs \$v; done
	    for v in 0 257 4294967295 ''; do try tx_kick_frames \"\$v\"; done
	    for v in 3 4294967295 -1 1.5 abc ''; do try tx_kick_mode \"\$v\"; done
	    echo 2 > tx_kick_mode
	    for v in 3 -1 ''; do try tx_kick_mode \"\$v\"; done
	    echo 1 > tx_kick_mode
	    if (echo active > state) 2>/dev/null; then
		echo 'state is writable'; bad=1
	    fi
	    exit \$bad"
}

bad_ethtool_all() {
	coal_defaults || return 1
	l2 "$GUEST_TRY
	    try_cmd ethtool -C eth0 pkt-rate-low 100000001
	    try_cmd ethtool -C eth0 sample-interval 0
	    try_cmd ethtool -C eth0 sample-interval 61
	    try_cmd ethtool -C eth0 sample-interval 4294967
	    try_cmd ethtool -C eth0 sample-interval 4294967295
	    # A bad value next to a good one: nothing of either is applied.
	    try_cmd ethtool -C eth0 pkt-rate-low 5555 sample-interval 0
	    # Unsupported by this device (no VIRTIO_NET_F_NOTF_COAL): rejected
	    # by virtio_net as upstream, and our value is not applied either.
	    try_cmd ethtool -C eth0 rx-usecs 10 pkt-rate-low 5555
	    # adaptive-tx next to a bad value: the mode is not changed either.
	    try_cmd ethtool -C eth0 adaptive-tx on sample-interval 0
	    try_cmd ethtool -C eth0 adaptive-tx on rx-usecs 10
	    # Kick coalescing is per device: a per-queue request with its
	    # parameters is refused, not ignored.
	    try_perqueue queue_mask 0x1 --coalesce adaptive-tx on
	    try_perqueue queue_mask 0x1 --coalesce pkt-rate-low 5555
	    exit \$bad"
}

# tx-aggr-* (not in Debian 12's ethtool 6.1): through coalnl, our small
# netlink client, both ways, and bad values rejected.
tx_aggr() {
	local v out

	l2 'command -v coalnl' >/dev/null || fail "coalnl missing in the guest"
	coal_defaults || return 1
	l2 'coalnl eth0 tx-aggr-max-frames 16 tx-aggr-time-usecs 200' ||
		fail "coalnl set tx-aggr failed"
	v=$(coal_values)
	[ "$v" = "$DEF_THRESHOLD $DEF_INTERVAL_MS 200 16" ] || fail "sysfs shows '$v'"
	coal_set tx_kick_usecs 300 && coal_set tx_kick_frames 8 || return 1
	out=$(l2 'coalnl eth0')
	echo "$out" | grep -q 'tx-aggr-max-frames=8 tx-aggr-time-usecs=300' ||
		fail "coalnl shows '$out'"
	l2 "$GUEST_TRY
	    try_cmd coalnl eth0 tx-aggr-max-frames 0
	    try_cmd coalnl eth0 tx-aggr-max-frames 257
	    try_cmd coalnl eth0 tx-aggr-time-usecs 10001
	    try_cmd coalnl eth0 tx-aggr-max-bytes 100
	    try_cmd coalnl eth0 tx-aggr-time-usecs 50 tx-aggr-max-frames 300
	    exit \$bad"
}

# rx-frames / tx-frames keep their upstream meaning on a device without
# VIRTIO_NET_F_NOTF_COAL: rx-frames must stay 1, tx-frames 1 (napi-tx).
upstream_params() {
	local c

	c=$(l2 'ethtool -c eth0')
	echo "$c" | grep -qx 'rx-frames: 1' || fail "rx-frames: $c"
	echo "$c" | grep -qx 'tx-frames: 1' || fail "tx-frames: $c"
	l2 'ethtool -C eth0 tx-frames 1 rx-frames 1' >/dev/null 2>&1 ||
		fail "ethtool -C tx-frames 1 rx-frames 1 (no change) failed"
	if l2 'ethtool -C eth0 rx-frames 2' >/dev/null 2>&1; then
		fail "rx-frames 2 accepted"
	fi
	return 0
}

state_values() {
	local s

	coal_defaults || return 1
	s=$(coal_get state)
	case "$s" in
	idle|active) ;;
	*) fail "state '$s' with defaults" ;;
	esac
	coal_set tx_kick_usecs 0 || return 1
	s=$(coal_get state)
	[ "$s" = off ] || fail "state '$s' with tx_kick_usecs 0"
	coal_set tx_kick_usecs $DEF_USECS && coal_set tx_kick_frames 1 || return 1
	s=$(coal_get state)
	[ "$s" = off ] || fail "state '$s' with tx_kick_frames 1"
	coal_set tx_kick_frames $DEF_FRAMES && coal_set rate_threshold 0 || return 1
	s=$(coal_get state)
	[ "$s" = active ] || fail "state '$s' with rate_threshold 0"
}

check "fresh probe shows the shipped defaults" defaults_ok
check "ethtool -C pkt-rate-low/sample-interval read back in sysfs" ethtool_to_sysfs
check "sysfs values read back in ethtool -c" sysfs_to_ethtool
check "sub-second rate_interval_ms reads rounded up, survives ethtool -C" subsecond_interval
check "bad sysfs values rejected, nothing changes" bad_sysfs_all
check "bad ethtool -C values rejected, nothing changes" bad_ethtool_all
check "tx-aggr-max-frames/time-usecs map to tx_kick_frames/usecs" tx_aggr
check "rx-frames/tx-frames keep their upstream meaning" upstream_params
# tx_kick_mode and ethtool's adaptive-tx: on selects mode 2, off the
# fixed mode; ethtool -c shows it; mode 0 switches the engine off with
# the bounds kept; other values of an ethtool -C keep the mode.
kick_mode() {
	local c s v

	coal_defaults && coal_set tx_kick_mode 1 || return 1
	c=$(l2 'ethtool -c eth0')
	echo "$c" | grep -q '^Adaptive RX: off  TX: off' || fail "mode 1: ethtool -c: $c"
	l2 'ethtool -C eth0 adaptive-tx on' || fail "ethtool -C adaptive-tx on failed"
	v=$(coal_get tx_kick_mode)
	[ "$v" = 2 ] || fail "adaptive-tx on: tx_kick_mode '$v'"
	c=$(l2 'ethtool -c eth0')
	echo "$c" | grep -q '^Adaptive RX: off  TX: on' || fail "mode 2: ethtool -c: $c"
	l2 'ethtool -C eth0 pkt-rate-low 2222' || fail "ethtool -C pkt-rate-low 2222"
	v="$(coal_values) $(coal_get tx_kick_mode)"
	[ "$v" = "2222 $DEF_INTERVAL_MS $DEF_USECS $DEF_FRAMES 2" ] ||
		fail "pkt-rate-low in mode 2: sysfs shows '$v'"
	l2 'ethtool -C eth0 adaptive-tx off' || fail "ethtool -C adaptive-tx off failed"
	v=$(coal_get tx_kick_mode)
	[ "$v" = 1 ] || fail "adaptive-tx off: tx_kick_mode '$v'"
	coal_set tx_kick_mode 0 || fail "write tx_kick_mode 0"
	s=$(coal_get state)
	v=$(coal_values)
	[ "$s" = off ] && [ "$v" = "2222 $DEF_INTERVAL_MS $DEF_USECS $DEF_FRAMES" ] ||
		fail "mode 0: state '$s', values '$v'"
	l2 'ethtool -C eth0 pkt-rate-low 3333' || fail "ethtool -C pkt-rate-low 3333"
	v=$(coal_get tx_kick_mode)
	[ "$v" = 0 ] || fail "pkt-rate-low in mode 0: tx_kick_mode '$v'"
	l2 'ethtool -C eth0 adaptive-tx on' || fail "adaptive-tx on from mode 0"
	v=$(coal_get tx_kick_mode)
	[ "$v" = 2 ] || fail "adaptive-tx on from mode 0: tx_kick_mode '$v'"
	coal_set rate_threshold 0 || return 1
	s=$(coal_get state)
	[ "$s" = active ] || fail "mode 2, rate_threshold 0: state '$s'"
	coal_set tx_kick_mode 1
}

# adaptive-rx keeps its upstream meaning: on this device (no
# VIRTIO_NET_F_NOTF_COAL) upstream accepts it and does nothing, and it
# does not touch the TX kick mode.
adaptive_rx() {
	local c v

	coal_defaults && coal_set tx_kick_mode 1 || return 1
	l2 'ethtool -C eth0 adaptive-rx on' >/dev/null 2>&1
	v=$(coal_get tx_kick_mode)
	[ "$v" = 1 ] || fail "adaptive-rx on: tx_kick_mode '$v'"
	c=$(l2 'ethtool -c eth0')
	echo "$c" | grep -q '^Adaptive RX: off  TX: off' || fail "ethtool -c: $c"
}

# ethtool -S: the profile and its moves per TX queue; 4 in fixed mode, 0
# in mode 0.
stats_profile() {
	local p

	coal_defaults && coal_set tx_kick_mode 1 || return 1
	p=$(l2 'ethtool -S eth0' | grep -E '^ *tx0_kick_profile(_moves)?:' | tr -d ' ' | tr '\n' ' ')
	[ "$p" = "tx0_kick_profile:4 tx0_kick_profile_moves:0 " ] || fail "mode 1: '$p'"
	coal_set tx_kick_mode 0 || return 1
	p=$(l2 'ethtool -S eth0' | grep -E '^ *tx0_kick_profile:' | tr -d ' ')
	[ "$p" = "tx0_kick_profile:0" ] || fail "mode 0: '$p'"
	coal_set tx_kick_mode 1
}

check "state: off, idle, active" state_values
check "tx_kick_mode and adaptive-tx: ethtool -C/-c, modes kept" kick_mode
check "adaptive-rx keeps its upstream meaning" adaptive_rx
check "ethtool -S: txN_kick_profile, txN_kick_profile_moves" stats_profile

coal_defaults >/dev/null 2>&1
coal_set tx_kick_mode "$DEF_MODE" >/dev/null 2>&1
ksft_finish
