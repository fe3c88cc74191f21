#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netconsole through a guest whose TX kicks are held (issue 18): netpoll
# transmits with IRQs off, and at panic, after smp_send_stop(), no timer
# runs again, so a kick held for a timer is never sent and the panic's
# last lines never leave the guest. The driver kicks at once under
# netpoll. Checks: with coalescing always active and kicks held up to
# 10 ms or 256 frames, a line logged in normal operation arrives at the
# test host, and so does the panic's last one, "Rebooting in 300
# seconds..", printed after smp_send_stop() before 300 s with IRQs off
# (kernel.panic 0 would enable IRQs again, and the timer would send it).
#
# Emulation scaling: coalescing always active (threshold 0); the delay
# and frame bound are the largest accepted, so that nothing but the
# timer or netpoll's own kick sends a held frame.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

PORT=6666
NC_LOG=$NCOAL_OUT/26-netconsole.log
KMOD=/lib/modules/$(uname -r)/kernel

if ! rig_up; then
	not_ok "guest up"
	ksft_finish
fi

# guest_insmod FILE.ko.xz [PARAMS]: load one of Debian's modules into the
# guest (the initramfs has only ours), through l2 as base64.
guest_insmod() {
	local b64

	b64=$(xz -dc "$1" | base64 -w0) || return 1
	l2 "echo $b64 | base64 -d > /tmp/m.ko && insmod /tmp/m.ko ${2:-}"
}

rm -f "$NC_LOG"
socat -u "UDP-RECV:$PORT,bind=$L1_IP" "OPEN:$NC_LOG,creat,append" &
spid=$!

setup() {
	coal_profile 0 "$SCALED_INTERVAL_MS" 10000 256 || return 1
	guest_insmod "$KMOD/fs/configfs/configfs.ko.xz" || return 1
	guest_insmod "$KMOD/drivers/net/netconsole.ko.xz" \
		"netconsole=6665@$L2_IP/eth0,$PORT@$L1_IP/ff:ff:ff:ff:ff:ff" ||
		return 1
	l2 "echo '<0>ncoal-netconsole: before the panic' > /dev/kmsg" ||
		return 1
	wait_for 'ncoal-netconsole: before the panic'
}

# wait_for TEXT: TEXT arrived in the test host's netconsole log (polls
# for up to 60 s; the guest's clock plays no part).
wait_for() {
	local i

	for i in $(seq 1 60); do
		grep -q "$1" "$NC_LOG" 2> /dev/null && return 0
		sleep 1
	done
	echo "netconsole log:"
	sed 's/^/  /' "$NC_LOG" 2> /dev/null | tail -n 20
	fail "'$1' never arrived"
}
check "netconsole in the guest, kicks held (threshold 0, 10 ms, 256 frames): a line logged in normal operation arrives" setup

panic_line() {
	# The guest waits 300 s in panic() with IRQs off, then resets.
	l2 -t 5 "echo 300 > /proc/sys/kernel/panic; echo c > /proc/sysrq-trigger" \
		> /dev/null 2>&1
	wait_for 'Rebooting in 300 seconds' || return 1
	grep -c . "$NC_LOG" | sed 's/^/lines received: /'
}
check "sysrq crash: the panic's last line, sent after smp_send_stop() with IRQs off, reaches the test host" panic_line

l2_stop
kill "$spid" 2> /dev/null
wait "$spid" 2> /dev/null
ksft_finish
