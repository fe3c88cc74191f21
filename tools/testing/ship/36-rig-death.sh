#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 36-rig-death: the soak's classifier of a lost guest
# (tools/testing/vm/lib_stress.sh rig_guest_death), on guest consoles
# made up the way the rig's fault and our own failures print them. A
# death it calls the rig's costs the soak one new start; every other
# one fails the soak. No VM.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# What lib.sh (the VM tests') defines and the classifier reads.
DMESG_BAD='BUG|WARNING|Oops|hung task|general protection|Call Trace'
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
finish
