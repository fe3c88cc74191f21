#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module parameters of our vhost_net, from the shell: for each of them,
# bad writes to /sys/module/vhost_net/parameters/ (not a number, negative,
# 0 where invalid, above the parameter's cap or hard limit, violations of
# the cross-parameter rules) fail and leave the value unchanged; good
# writes succeed and read back. insmod with a bad value fails cleanly and
# leaves no module behind. Ends with our vhost_net loaded with defaults.

# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
ksft_begin

P=/sys/module/vhost_net/parameters

declare -A DEF=(
	[rx_coalesce_usecs]=500 [rx_max_coalesced_frames]=64
	[tx_coalesce_usecs]=500 [tx_max_coalesced_frames]=64
	[coalesce_rate_threshold]=10000 [coalesce_rate_interval_ms]=1000
	[coalesce_max_usecs]=2000 [coalesce_min_usecs]=10
	[coalesce_max_frames]=1024 [coalesce_mode]=1 [coalesce_gap_usecs]=0
)
# DEF is where every group starts (delays on, so that the caps have
# something to hold against); what insmod gives differs from it here:
# the shipped delays are 0, coalescing off.
declare -A SHIP=([rx_coalesce_usecs]=0 [tx_coalesce_usecs]=0)
NAMES="rx_coalesce_usecs rx_max_coalesced_frames tx_coalesce_usecs
	tx_max_coalesced_frames coalesce_rate_threshold coalesce_rate_interval_ms
	coalesce_max_usecs coalesce_min_usecs coalesce_max_frames
	coalesce_mode coalesce_gap_usecs"

# No guest may hold /dev/vhost-net: this test reloads the module.
l2_stop
if ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi

errs=()

# rd NAME: the value, in REPLY (no fork: the VM is slow at those)
rd() {
	REPLY=
	read -r REPLY < "$P/$1" 2>/dev/null
}

# pw NAME VALUE: the write's status (the echo into sysfs)
pw() {
	{ echo "$2" > "$P/$1"; } 2>/dev/null
}

# bad NAME VALUE WHY: the write fails, the value stays
bad() {
	local before

	rd "$1"
	before=$REPLY
	if pw "$1" "$2"; then
		rd "$1"
		errs+=("$1='$2' ($3) accepted, now $REPLY")
		return
	fi
	rd "$1"
	[ "$REPLY" = "$before" ] ||
		errs+=("$1='$2' ($3) failed but changed $before -> $REPLY")
}

# good NAME VALUE [READBACK]: the write succeeds and reads back
good() {
	local want=${3:-$2}

	if ! pw "$1" "$2"; then
		rd "$1"
		errs+=("$1='$2' rejected (value $REPLY)")
		return
	fi
	rd "$1"
	[ "$REPLY" = "$want" ] ||
		errs+=("$1='$2' reads back '$REPLY', want '$want'")
}

# The defaults from any valid state: widen the caps, set the defaults,
# narrow the caps again (each step valid whatever the state).
defaults() {
	local n

	pw coalesce_max_usecs 1000000
	pw coalesce_min_usecs 1
	pw coalesce_max_frames 4096
	for n in rx_coalesce_usecs rx_max_coalesced_frames tx_coalesce_usecs \
		 tx_max_coalesced_frames coalesce_rate_threshold \
		 coalesce_rate_interval_ms coalesce_max_usecs \
		 coalesce_min_usecs coalesce_max_frames coalesce_mode \
		 coalesce_gap_usecs; do
		pw $n "${DEF[$n]}"
	done
	for n in $NAMES; do
		rd $n
		[ "$REPLY" = "${DEF[$n]}" ] || {
			echo "$n is '$REPLY', want ${DEF[$n]}"
			return 1
		}
	done
}

# group NAME FUNC: one result per parameter (group), from the defaults
group() {
	local name=$1 e out

	errs=()
	if ! out=$(defaults); then
		log "$name: cannot restore the defaults first: $out"
		not_ok "$name"
		return
	fi
	$2
	if [ ${#errs[@]} -eq 0 ]; then
		ok "$name"
	else
		for e in "${errs[@]}"; do
			log "$e"
		done
		not_ok "$name"
	fi
}

# The junk no unsigned parameter takes.
not_numbers() {
	bad "$1" abc "not a number"
	bad "$1" "" "empty"
	bad "$1" 1.5 "not an integer"
	bad "$1" " 5" "leading space"
	bad "$1" -1 "negative"
	bad "$1" 4294967296 "above u32"
}

check_defaults() {
	local n

	for n in $NAMES; do
		rd $n
		[ "$REPLY" = "${SHIP[$n]:-${DEF[$n]}}" ] ||
			errs+=("$n is '$REPLY' after insmod, want ${SHIP[$n]:-${DEF[$n]}}")
	done
}
errs=()
check_defaults
if [ ${#errs[@]} -eq 0 ]; then
	ok "defaults after insmod"
else
	for e in "${errs[@]}"; do log "$e"; done
	not_ok "defaults after insmod"
fi

usecs_param() {
	local n=$1 other=$2

	not_numbers $n
	bad $n 2001 "above coalesce_max_usecs 2000"
	bad $n 1000001 "above the 1 s limit"
	bad $n 9 "below coalesce_min_usecs 10"
	bad $n 1 "below coalesce_min_usecs 10"
	good $n 0		# off
	good $n 10		# == coalesce_min_usecs
	good $n 2000		# == coalesce_max_usecs
	good $n 0x1f4 500	# base 0, like every kernel uint parameter
	# The caps move: what they allow follows.
	good coalesce_max_usecs 1000
	bad $n 1001 "above the lowered coalesce_max_usecs 1000"
	good $n 1000
	good coalesce_min_usecs 100
	bad $n 99 "below the raised coalesce_min_usecs 100"
	good $n 100
	good $n 0
	# The other ring's default is not affected.
	rd $other
	[ "$REPLY" = 500 ] || errs+=("$other changed to $REPLY")
}
rx_usecs() { usecs_param rx_coalesce_usecs tx_coalesce_usecs; }
tx_usecs() { usecs_param tx_coalesce_usecs rx_coalesce_usecs; }
group "rx_coalesce_usecs: bad writes rejected, good ones read back" rx_usecs
group "tx_coalesce_usecs: bad writes rejected, good ones read back" tx_usecs

frames_param() {
	local n=$1

	not_numbers $n
	bad $n 0 "0 frames"
	bad $n 1025 "above coalesce_max_frames 1024"
	bad $n 4097 "above the 4096 limit"
	good $n 1
	good $n 1024		# == coalesce_max_frames
	good $n 64
	good coalesce_max_frames 100
	bad $n 101 "above the lowered coalesce_max_frames 100"
	good $n 100
}
rx_frames() { frames_param rx_max_coalesced_frames; }
tx_frames() { frames_param tx_max_coalesced_frames; }
group "rx_max_coalesced_frames: bad writes rejected, good ones read back" rx_frames
group "tx_max_coalesced_frames: bad writes rejected, good ones read back" tx_frames

threshold() {
	local n=coalesce_rate_threshold

	not_numbers $n
	bad $n 100000001 "above 100 Mpps"
	bad $n 4294967295 "above 100 Mpps"
	good $n 0		# always active
	good $n 100000000
	good $n 10000
}
group "coalesce_rate_threshold: bad writes rejected, good ones read back" threshold

interval() {
	local n=coalesce_rate_interval_ms

	not_numbers $n
	bad $n 0 "0 ms"
	bad $n 9 "below 10 ms"
	bad $n 60001 "above 60 s"
	good $n 10
	good $n 60000
	good $n 1000
}
group "coalesce_rate_interval_ms: bad writes rejected, good ones read back" interval

max_usecs() {
	local n=coalesce_max_usecs

	not_numbers $n
	bad $n 0 "0"
	bad $n 1000001 "above the 1 s limit"
	bad $n 499 "below rx/tx_coalesce_usecs 500"
	good $n 500		# == the defaults
	good $n 1000000
	good rx_coalesce_usecs 0
	good tx_coalesce_usecs 700
	bad $n 699 "below tx_coalesce_usecs 700"
	good $n 700
	good tx_coalesce_usecs 0
	bad $n 9 "below coalesce_min_usecs 10 (defaults off)"
	good $n 10		# == coalesce_min_usecs
	good $n 2000
	good tx_coalesce_usecs 500
	good rx_coalesce_usecs 600
	bad $n 599 "below rx_coalesce_usecs 600"
}
group "coalesce_max_usecs: bad writes (incl. below rx/tx_coalesce_usecs, min) rejected" max_usecs

min_usecs() {
	local n=coalesce_min_usecs

	not_numbers $n
	bad $n 0 "0"
	bad $n 2001 "above coalesce_max_usecs 2000"
	bad $n 501 "above rx/tx_coalesce_usecs 500"
	good $n 1
	good $n 500		# == the defaults
	good $n 10
	good rx_coalesce_usecs 0
	bad $n 501 "above tx_coalesce_usecs 500 (rx off)"
	good tx_coalesce_usecs 0
	good $n 2000		# both defaults off: up to the max
	bad $n 2001 "above coalesce_max_usecs 2000 (defaults off)"
	bad rx_coalesce_usecs 500 "below the raised coalesce_min_usecs 2000"
	good $n 10
	good rx_coalesce_usecs 500
	good tx_coalesce_usecs 300
	bad $n 301 "above tx_coalesce_usecs 300"
}
group "coalesce_min_usecs: bad writes (incl. above a nonzero rx/tx_coalesce_usecs) rejected" min_usecs

max_frames() {
	local n=coalesce_max_frames

	not_numbers $n
	bad $n 0 "0"
	bad $n 4097 "above the 4096 limit"
	bad $n 63 "below rx/tx_max_coalesced_frames 64"
	good $n 64		# == the defaults
	good $n 4096
	good rx_max_coalesced_frames 1
	good tx_max_coalesced_frames 100
	bad $n 99 "below tx_max_coalesced_frames 100"
	good $n 100
	good tx_max_coalesced_frames 1
	good $n 1
	good $n 1024
	good rx_max_coalesced_frames 200
	bad $n 199 "below rx_max_coalesced_frames 200"
}
group "coalesce_max_frames: bad writes (incl. below rx/tx_max_coalesced_frames) rejected" max_frames

mode() {
	local n=coalesce_mode

	not_numbers $n
	bad $n 3 "not 0, 1 or 2"
	bad $n 4294967295 "not 0, 1 or 2"
	good $n 0		# off
	good $n 2		# adaptive
	good $n 1		# fixed
}
group "coalesce_mode: bad writes rejected, good ones read back" mode

gap() {
	local n=coalesce_gap_usecs

	not_numbers $n
	bad $n 9 "below coalesce_min_usecs 10"
	bad $n 2001 "above coalesce_max_usecs 2000"
	good $n 10
	good $n 2000
	bad coalesce_max_usecs 1999 "below coalesce_gap_usecs 2000"
	good $n 100
	bad coalesce_min_usecs 101 "above coalesce_gap_usecs 100"
	good $n 0
}
group "coalesce_gap_usecs: bad writes (incl. outside the usecs caps) rejected" gap

# insmod: a bad value fails the load and leaves nothing behind; a good
# one loads. The insmod line is checked as a set, in any order.
insmod_try() {
	if [ -d /sys/module/vhost_net ] && ! rmmod vhost_net; then
		errs+=("rmmod vhost_net failed")
		return 1
	fi
	out=$(insmod "$NCOAL_BUILD/vhost_net.ko" "$@" 2>&1)
}
insmod_bad() {
	if insmod_try "$@"; then
		errs+=("insmod $* succeeded")
	elif [ -d /sys/module/vhost_net ]; then
		errs+=("insmod $* failed but left vhost_net behind")
	fi
}
insmod_good() {
	local a

	if ! insmod_try "$@"; then
		errs+=("insmod $* failed: $out")
		return
	fi
	for a in "$@"; do
		rd "${a%%=*}"
		[ "$REPLY" = "${a#*=}" ] ||
			errs+=("insmod $*: ${a%%=*} reads '$REPLY'")
	done
	[ -c /dev/vhost-net ] || errs+=("insmod $*: no /dev/vhost-net")
}
insmod_params() {
	insmod_bad rx_coalesce_usecs=5000
	insmod_bad tx_coalesce_usecs=5
	insmod_bad rx_max_coalesced_frames=0
	insmod_bad tx_max_coalesced_frames=2000
	insmod_bad coalesce_rate_threshold=100000001
	insmod_bad coalesce_rate_interval_ms=0
	insmod_bad coalesce_max_usecs=abc
	insmod_bad coalesce_min_usecs=0
	insmod_bad coalesce_max_frames=32
	insmod_bad coalesce_max_usecs=-1
	insmod_bad coalesce_mode=3
	insmod_bad coalesce_gap_usecs=5
	insmod_bad rx_coalesce_usecs=3000 coalesce_max_usecs=2500
	insmod_bad coalesce_min_usecs=600 tx_coalesce_usecs=500
	# a value above the default cap, the new cap after it
	insmod_good rx_coalesce_usecs=3000 coalesce_max_usecs=5000
	insmod_good coalesce_max_usecs=5000 rx_coalesce_usecs=3000
	insmod_good tx_max_coalesced_frames=2000 coalesce_max_frames=2048
	insmod_good coalesce_gap_usecs=3000 coalesce_max_usecs=5000 \
		coalesce_mode=2
	insmod_good coalesce_max_frames=4096 tx_max_coalesced_frames=4096 \
		coalesce_rate_threshold=0 coalesce_rate_interval_ms=60000
}
errs=()
insmod_params
if [ ${#errs[@]} -eq 0 ]; then
	ok "insmod with bad parameter values fails cleanly, good ones load"
else
	for e in "${errs[@]}"; do log "$e"; done
	not_ok "insmod with bad parameter values fails cleanly, good ones load"
fi

# Back to our module with its defaults.
errs=()
if ! host_load_ours; then
	not_ok "reload our vhost_net with defaults"
else
	check_defaults
	if [ ${#errs[@]} -eq 0 ]; then
		ok "reload our vhost_net with defaults"
	else
		for e in "${errs[@]}"; do log "$e"; done
		not_ok "reload our vhost_net with defaults"
	fi
fi

ksft_finish
