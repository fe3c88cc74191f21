# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the VM tests of the QEMU relay (tools/testing/vm/tests/
# 30-relay-*.sh). Source after tools/testing/vm/lib.sh; runs in the test
# host (L1).
#
# The relay QEMU is $NCOAL_BUILD/qemu/qemu-system-x86_64, built on the
# host by tools/qemu/fetch-build.sh (L1's root is read-only);
# NCOAL_RELAY_QEMU overrides the path. lib.sh's l2_start runs
# "qemu-system-x86_64": use_qemu relay defines a shell function of that
# name which runs the relay QEMU instead, so lib.sh needs no change.

RELAY_QEMU=${NCOAL_RELAY_QEMU:-$NCOAL_BUILD/qemu/qemu-system-x86_64}
P=/sys/module/vhost_net/parameters
DBG=/sys/kernel/debug/vhost_net
MON=$L2_DIR/monitor.sock
TRACE=$L2_DIR/qemu-trace.log
# Arguments after lib.sh's for the next "use_qemu relay" (extra NICs).
RELAY_EXTRA=()

# use_qemu relay|system: the guest's QEMU for the next l2_start. The
# relay QEMU gets a monitor socket ($MON), the relay's trace points in
# $TRACE and RELAY_EXTRA after lib.sh's arguments (so lib.sh's NIC stays
# eth0 and the first vhost-net device).
use_qemu() {
	# If lib.sh ever runs ${NCOAL_QEMU:-qemu-system-x86_64}: the choice
	# made here must win.
	unset NCOAL_QEMU
	unset -f qemu-system-x86_64
	[ "$1" = system ] && return 0
	RELAY_HEAD=("$RELAY_QEMU" -L /usr/share/qemu -L /usr/share/seabios
		-monitor "unix:$MON,server=on,wait=off" -D "$TRACE"
		-trace enable=virtio_net_coal_cmd
		-trace enable=virtio_net_coal_set
		-trace enable=virtio_net_coal_set_done)
	RELAY_TAIL=("${RELAY_EXTRA[@]}")
	qemu-system-x86_64() {
		"${RELAY_HEAD[@]}" "$@" "${RELAY_TAIL[@]}"
	}
	rm -f "$MON" "$TRACE"
}

# relay_available: the relay QEMU is built (else the caller skips).
relay_available() {
	[ -x "$RELAY_QEMU" ] || return 1
	log "relay QEMU: $RELAY_QEMU, $(sed -n 's/^patches: //p' \
		"${RELAY_QEMU%/*}/build-info" 2>/dev/null | wc -w) patches"
}

# relay_begin: how a relay test starts: skipped without the relay QEMU,
# otherwise no guest running and our vhost_net loaded (a failure to load
# it is a failed result and ends the test).
relay_begin() {
	if ! relay_available; then
		skip "relay QEMU" "$RELAY_QEMU missing: run tools/qemu/fetch-build.sh on the host"
		ksft_finish
	fi
	l2_stop
	if ! host_load_ours; then
		not_ok "insmod our vhost_net"
		ksft_finish
	fi
}

# sync_guest_up: after relay_begin (and whatever the test sets on the
# host before the guest boots), a guest with our virtio_net on the relay
# QEMU; D0 gets its vhost-net debugfs directory. A failure ends the test
# (after the caller's cleanup function).
sync_guest_up() {
	use_qemu relay
	if ! guest_up "relay, our virtio_net"; then
		cleanup
		ksft_finish
	fi
	D0=$(vhost_dirs | head -n1)
}

CI=${NCOAL_CTRLQ_INJECT:-$NCOAL_BUILD/qemu-ctrlq_inject/ctrlq_inject.ko}
CIDIR=/sys/kernel/debug/ctrlq_inject

# ctrlq_begin WHAT [stock]: how a test of raw control commands starts:
# relay_begin, skipped without ctrlq_inject.ko ($CI), then a guest on the
# relay QEMU with a second virtio-net device (eth1 on tap1) for
# ctrlq_inject to take over; D gets the vhost-net debugfs directories
# (eth0's, eth1's). A failure ends the test (after the caller's cleanup
# function).
ctrlq_begin() {
	relay_begin
	if [ ! -f "$CI" ]; then
		skip "ctrlq_inject" "$CI missing: make -C tools/testing/vm/ctrlq_inject on the host"
		ksft_finish
	fi
	taps_extra up tap1 || not_ok "tap1 for eth1"
	# shellcheck disable=SC2054 # commas belong to QEMU options
	RELAY_EXTRA=(-netdev tap,id=n1,ifname=tap1,script=no,downscript=no,vhost=on
		-device virtio-net-pci,netdev=n1,mac=52:54:00:12:34:12,romfile=)
	use_qemu relay
	RELAY_EXTRA=()
	if ! guest_up "$@"; then
		cleanup
		ksft_finish
	fi
	mapfile -t D < <(vhost_dirs)
	if [ ${#D[@]} -ne 2 ]; then
		not_ok "two vhost-net devices in debugfs (eth0, eth1; found ${#D[@]})"
		cleanup
		ksft_finish
	fi
}

# ctrlq_insmod SCRIPT: load ctrlq_inject.ko ($CI) into the guest
# (stripped, as base64 through l2), then run SCRIPT there; prints the
# last line of its output.
ctrlq_insmod() {
	local ko=/tmp/ctrlq_inject.ko b64 out

	strip --strip-debug -o $ko "$CI" || return 1
	b64=$(base64 -w0 $ko)
	rm -f $ko
	out=$(l2 "echo $b64 | base64 -d > /tmp/ci.ko && insmod /tmp/ci.ko &&
		$1") || return 1
	echo "$out" | tail -n1
}

# ctrlq_take_over: ctrlq_insmod, and move eth1's device from virtio_net
# to ctrlq_inject; prints the device's name (virtioN).
ctrlq_take_over() {
	# shellcheck disable=SC2016 # expanded in the guest
	ctrlq_insmod 'd=$(basename $(readlink /sys/class/net/eth1/device)) &&
		echo $d > /sys/bus/virtio/drivers/virtio_net/unbind &&
		echo $d > /sys/bus/virtio/drivers/ctrlq_inject/bind &&
		echo $d'
}

# ctrlq_cmd DEV CMD INLEN HEX: one class 6 command through ctrlq_inject
# on DEV (ctrlq_take_over's), its result INLEN bytes after the ack; sets
# CQ_ST (the ack), CQ_USED (the used length) and CQ_ANSWER (the result,
# hex).
ctrlq_cmd() {
	local out

	CQ_ST='' CQ_USED='' CQ_ANSWER=''
	out=$(l2 "echo '6 $2 $3 $4' > $CIDIR/$1/cmd && cat $CIDIR/$1/cmd") ||
		{ fail "ctrlq_inject $*: $out"; return 1; }
	CQ_ST=$(echo "$out" | sed -n 's/^status=\([0-9]*\).*/\1/p')
	CQ_USED=$(echo "$out" | sed -n 's/.* used=\([0-9]*\).*/\1/p')
	CQ_ANSWER=$(echo "$out" | sed -n 's/.*answer=//p')
}

# guest_up WHAT [stock]: a fresh guest with the chosen QEMU; a failed
# boot is a failed result named after WHAT.
guest_up() {
	local out rc=0

	l2_stop
	out=$(l2_start "${@:2}" 2>&1) || rc=1
	echo "$out" | sed 's/^\(# \)\{0,1\}/# /'
	[ $rc = 0 ] || not_ok "$1: guest up"
	return $rc
}

# hmp CMD: one human monitor command on the relay QEMU's monitor.
hmp() {
	printf '%s\n' "$1" | timeout 10 socat - "UNIX-CONNECT:$MON" 2>&1 |
		tr -d '\r' | grep -v '^(qemu)\|^QEMU .*monitor'
}

# The debugfs directories of the guest QEMU's vhost-net devices (one per
# queue pair), in creation order, i.e. the command line's.
vhost_dirs() {
	local pid

	pid=$(cat "$L2_DIR/qemu.pid" 2> /dev/null) || return 1
	ls -d "$DBG/$pid"-* 2> /dev/null | sort -t- -k2 -n
}

# dbg DIR RING KEY: one value of a ring's debugfs file.
dbg() {
	sed -n "s/^$3: //p" "$1/$2"
}

# ring_state DIR RING: what a ring's settings are (not its counters).
ring_state() {
	grep -E '^(source|usecs|max_frames|rate_threshold|rate_interval_ms):' \
		"$1/$2" | tr '\n' ' '
}

# ring_is DIR RING USECS FRAMES [SOURCE [THRESHOLD INTERVAL]]
ring_is() {
	local u f s t i

	u=$(dbg "$1" "$2" usecs)
	f=$(dbg "$1" "$2" max_frames)
	s=$(dbg "$1" "$2" source)
	t=$(dbg "$1" "$2" rate_threshold)
	i=$(dbg "$1" "$2" rate_interval_ms)
	echo "host ${1##*/}/$2: usecs $u, max_frames $f, rate $t/${i}ms, source $s"
	[ "$u" = "$3" ] || fail "usecs $u, want $3"
	[ "$f" = "$4" ] || fail "max_frames $f, want $4"
	[ -z "${5:-}" ] || [ "$s" = "$5" ] || fail "source '$s', want '$5'"
	[ -z "${6:-}" ] || [ "$t" = "$6" ] || fail "rate_threshold $t, want $6"
	[ -z "${7:-}" ] || [ "$i" = "$7" ] || fail "rate_interval_ms $i, want $7"
	[ "$u" = "$3" ] && [ "$f" = "$4" ] &&
		{ [ -z "${5:-}" ] || [ "$s" = "$5" ]; } &&
		{ [ -z "${6:-}" ] || [ "$t" = "$6" ]; } &&
		{ [ -z "${7:-}" ] || [ "$i" = "$7" ]; }
}

# ring_default DIR RING: the ring follows the module parameters.
ring_default() {
	local r=$2

	ring_is "$1" "$r" "$(cat "$P/${r}_coalesce_usecs")" \
		"$(cat "$P/${r}_max_coalesced_frames")" "module parameters"
}

# feature BIT [IFACE]: the guest negotiated virtio feature BIT on IFACE.
feature() {
	local f

	f=$(l2 "cat /sys/class/net/${2:-eth0}/device/features") || return 2
	[ "${f:$1:1}" = 1 ]
}

# fallback_ok [IFACE]: ethtool -C fails as without NOTF_COAL, and the
# guest is still reachable.
fallback_ok() {
	local i=${1:-eth0} out

	if out=$(l2 "ethtool -C $i rx-usecs 100 2>&1"); then
		fail "ethtool -C $i rx-usecs 100 succeeded: $out"
		return 1
	fi
	echo "ethtool -C $i rx-usecs 100: $out"
	echo "$out" | grep -q 'Operation not supported' ||
		fail "want 'Operation not supported'" || return 1
	! feature 53 "$i" || fail "VIRTIO_NET_F_NOTF_COAL negotiated on $i" ||
		return 1
	l2_ping || fail "no ping $L2_IP"
}

# params_save / params_restore: the module parameters a test changes.
params_save() {
	local p

	for p in coalesce_max_usecs coalesce_max_frames coalesce_min_usecs \
		 rx_coalesce_usecs tx_coalesce_usecs rx_max_coalesced_frames \
		 tx_max_coalesced_frames; do
		echo "$p=$(cat "$P/$p")"
	done > "$L2_DIR/params.saved"
}

# Order matters: the caps must stay above the defaults at every step.
params_restore() {
	local kv

	[ -f "$L2_DIR/params.saved" ] || return 0
	for kv in $(grep -E '^coalesce_max' "$L2_DIR/params.saved") \
		  $(grep -vE '^coalesce_max' "$L2_DIR/params.saved"); do
		echo "${kv#*=}" > "$P/${kv%%=*}" 2> /dev/null
	done
	rm -f "$L2_DIR/params.saved"
}

# caps_lower USECS FRAMES: admin caps coalesce_max_usecs/_frames (the
# defaults first go below them). params_save first.
caps_lower() {
	echo "$1" > "$P/rx_coalesce_usecs" &&
	echo "$1" > "$P/tx_coalesce_usecs" &&
	echo "$1" > "$P/coalesce_max_usecs" &&
	echo "$2" > "$P/rx_max_coalesced_frames" &&
	echo "$2" > "$P/tx_max_coalesced_frames" &&
	echo "$2" > "$P/coalesce_max_frames"
}

# taps_extra up|down [NAME[:mq]...]: taps for extra NICs (no address).
taps_extra() {
	local how=$1 t

	shift
	for t in "$@"; do
		ip link del "${t%:mq}" 2> /dev/null
		[ "$how" = up ] || continue
		if [ "${t%:mq}" != "$t" ]; then
			ip tuntap add "${t%:mq}" mode tap multi_queue || return 1
		else
			ip tuntap add "$t" mode tap || return 1
		fi
		ip link set "${t%:mq}" up || return 1
	done
}

# le32 N...: little-endian 32-bit words as hex.
le32() {
	local v

	for v in "$@"; do
		printf '%02x%02x%02x%02x' $((v & 255)) $(((v >> 8) & 255)) \
			$(((v >> 16) & 255)) $(((v >> 24) & 255))
	done
}

# le16 N...: little-endian 16-bit words as hex.
le16() {
	local v

	for v in "$@"; do
		printf '%02x%02x' $((v & 255)) $(((v >> 8) & 255))
	done
}

# unle32 HEX: the little-endian 32-bit words of HEX, decimal, one a line.
unle32() {
	local h=$1

	while [ ${#h} -ge 8 ]; do
		echo $((16#${h:6:2}${h:4:2}${h:2:2}${h:0:2}))
		h=${h:8}
	done
}
