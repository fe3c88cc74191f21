#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 36-rig-death: the soak's classifier of a lost guest
# (tools/testing/vm/lib_rig.sh rig_guest_death), on guest consoles
# made up the way the rig's fault and our own failures print them, and
# its watchdog (ping_watch, ping_last) on made-up ping logs, with and
# without a guest the rig took. A death it calls the rig's costs the
# soak a new guest for the time left; every other one fails the soak.
# No VM.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# What lib.sh (the VM tests') defines and the classifier reads.
DMESG_BAD='BUG|WARNING|Oops|hung task|general protection|Call Trace'
# shellcheck source=../vm/lib_rig.sh
. "$HERE/../vm/lib_rig.sh"
# shellcheck source=../vm/lib_stress.sh
. "$HERE/../vm/lib_stress.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "qemu exit status 0 (128+N: signal N)" > "$T/exit0"
echo "qemu exit status 137 (128+N: signal N)" > "$T/killed"
: > "$T/none"

# console NAME LINE...: a guest console that came up, then LINEs.
console() {
	local f=$T/$1

	shift
	printf '%s\n' "[    0.000000] Linux version 6.12" \
		"[    0.1] Oops: int3 before the guest was up does not count" \
		"NCOAL_L2_READY driver=virtio_net" "$@" > "$f"
}

console silent
console df "[  5.1] PANIC: double fault, error_code: 0x0" \
	"[  5.1] Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI" \
	"[  5.1] RIP: 0010:entry_SYSCALL_64+0x0/0x1c0" \
	"[  5.1] Call Trace:" "[  5.1] Kernel panic - not syncing: Machine halted."
console guard "[  5.1] BUG: TASK stack guard page was hit at 0000000012345678" \
	"[  5.1] Oops: stack guard page: 0000 [#1] PREEMPT SMP NOPTI" \
	"[  5.1] RIP: 0010:exc_page_fault+0x21/0x190" "[  5.1]  asm_exc_page_fault+0x26/0x30" \
	"[  5.1]  irqentry_enter+0x15/0x50"
console ours "[  5.1] PANIC: double fault, error_code: 0x0" \
	"[  5.1]  virtnet_coal_timer+0x1c/0x90 [virtio_net]"
console warn "[  5.1] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 x+0x1/0x2" \
	"[  5.2] PANIC: double fault, error_code: 0x0"
console null "[  5.1] BUG: kernel NULL pointer dereference, address: 0000000000000000"
console hung "[ 60.1] INFO: task ethtool:321 blocked for more than 30 seconds."
console poweroff "[ 60.1] reboot: Power down"
# Guests that died while booting (no NCOAL_L2_READY).
printf '%s\n' "[    0.000000] Linux version 6.12" "[    1.2] virtio_net virtio0: probe" \
	> "$T/boot_silent"
printf '%s\n' "[    0.000000] Linux version 6.12" \
	"[    1.2] BUG: kernel NULL pointer dereference, address: 0000000000000000" \
	"[    1.2]  virtnet_probe+0x1c/0x90 [virtio_net]" > "$T/boot_ours"

# verdict NAME CONSOLE QEMULOG WANT: WANT is rig (returns 0 with a
# reason) or ours (returns 1).
verdict() {
	local why rc=0 got

	why=$(rig_guest_death "$T/$2" "$T/$3") || rc=$?
	got=ours
	[ $rc = 0 ] && [ -n "$why" ] && got=rig
	check "$1${why:+ ($why)}" "$got" "$4"
}

verdict "silent death, QEMU exit 0: the rig's" silent exit0 rig
verdict "double fault first: the rig's" df exit0 rig
verdict "stack guard page first: the rig's" guard exit0 rig
verdict "silent death, QEMU killed by a signal: ours" silent killed ours
verdict "no exit status recorded: ours" silent none ours
verdict "double fault with a virtio_net frame: ours" ours exit0 ours
verdict "a WARNING before the double fault: ours" warn exit0 ours
verdict "a NULL pointer BUG: ours" null exit0 ours
verdict "a hung task: ours" hung exit0 ours
verdict "the guest powered itself off: not the rig's" poweroff exit0 ours
verdict "silent death while booting, QEMU exit 0: the rig's" boot_silent exit0 rig
verdict "a BUG in virtio_net while booting: ours" boot_ours exit0 ours
# pings LOG SEQ...: a "ping -D -i 1" log, one answer per SEQ (sent at
# T0 + SEQ), then the summary line with SENT transmitted (last arg).
T0=1000
pings() {
	local f=$T/$1 sent=${*: -1} q

	shift
	echo "PING 192.168.100.2 56(84) bytes of data." > "$f"
	for q in "${@:1:$#-1}"; do
		echo "[$((T0 + q)).123456] 64 bytes from 192.168.100.2: icmp_seq=$q ttl=64 time=3.1 ms" >> "$f"
	done
	echo "$sent packets transmitted, $(($# - 1)) received" >> "$f"
}

pings steady $(seq 1 60) 60
pings gap $(seq 1 20) $(seq 41 60) 60
pings early $(seq 1 3) $(seq 9 60) 60
pings died $(seq 1 30) 60
pings died_gap $(seq 1 10) $(seq 31 40) 60
pings never 20

# watch NAME LOG WANT [lost [DIED]]: ping_watch with a gap of at most
# 15; DIED in seconds after T0.
watch() {
	local got=pass

	ping_watch "$T/$2" $T0 15 "${4:-}" "${5:+$((T0 + $5))}" > "$T/watch.out" || got=fail
	check "ping_watch: $1 ($(cat "$T/watch.out"))" $got "$3"
}

watch "answered throughout" steady pass
watch "20 in a row unanswered mid-soak" gap fail
watch "a gap in the first 10 s does not count" early pass
watch "the guest died at 30 s" died fail
watch "the guest died at 30 s, the rig took it" died pass lost
watch "a gap before the rig took the guest" died_gap fail lost
watch "the rig took the guest 3 s after its last answer" died pass lost 33
watch "its QEMU ended 10 s after its last answer" died pass lost 40
watch "it stopped answering 20 s before its QEMU ended (a hang)" died fail lost 50
watch "it hung 40 s, the pings ended with the soak (at 60 s)" died fail lost 90
watch "the QEMU's end is before the last answer (clock skew)" died pass lost 20
watch "no answer at all" never fail lost
watch "no answer yet, the rig took it 1 s into the soak" never pass lost 1
watch "no answer for 20 s, then its QEMU ended (a hang)" never fail lost 21
check "ping_last: the last answer of a guest that died at 30 s" \
	"$(ping_last "$T/died" $T0)" 30
check "ping_last: no answer" "$(ping_last "$T/never" $T0)" 0
finish
