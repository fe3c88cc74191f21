# SPDX-License-Identifier: GPL-2.0
#
# The rig's own guest deaths. Sourced by lib.sh (and by ship/36, which
# tests the classifier on made-up consoles). The outer QEMU's emulated
# SVM (TCG) now and then corrupts the %gs base of a level at a switch
# between it and its guest, and that level dies on its first per-CPU
# access after an entry: a double fault or a page fault recursing to the
# stack guard page, or a triple fault with nothing on the console. It
# was seen with stock modules on both levels and Debian's QEMU
# (Documentation/networking/ncoal_reliability.rst, "Open problem").
#
# Needs DMESG_BAD (lib.sh) and L2_DIR (lib.sh) where it is used.

# Kernel log lines the stress tests fail on besides lib.sh's DMESG_BAD:
# hung tasks (their first line), lockdep, RCU stalls, lockups and the
# TX watchdog.
STRESS_DMESG_BAD='INFO: task .* blocked for more than|possible (recursive|circular) locking|inconsistent lock state|lockdep|rcu.* (stall|detected stalls)|soft lockup|hard LOCKUP|NETDEV WATCHDOG|transmit queue [0-9]+ timed out|TX timeout'

# rig_guest_death CONSOLE QEMULOG: whether a guest that died died of the
# rig's known fault (prints why, returns 0) rather than of something a
# test must fail on (prints why not, returns 1). It is the rig's only if
# the guest's QEMU exited by itself with status 0 (panic=-1 and
# -no-reboot turn a panic or a triple fault into that; a signal or an
# abort is QEMU's own death), the guest did not power itself off, no
# frame on the console is in a module (ours is virtio_net), and the
# console shows either no kernel report at all or only that signature:
# after the guest came up, or anywhere for a guest that died while
# booting.
rig_guest_death() {
	local console=$1 qlog=$2 after first st

	st=$(grep -m1 '^qemu exit status ' "$qlog" 2>/dev/null)
	case "$st" in
	"qemu exit status 0 "*) ;;
	"")	echo "not the rig's: no QEMU exit status recorded"; return 1 ;;
	*)	echo "not the rig's: ${st%% (*}"; return 1 ;;
	esac
	# A poweroff (a test's, or storms' guest-off) exits 0 too.
	if grep -q 'reboot: Power down' "$console"; then
		echo "not the rig's: the guest powered off"
		return 1
	fi
	if grep -q NCOAL_L2_READY "$console"; then
		after=$(sed -n '/NCOAL_L2_READY/,$p' "$console")
	else
		after=$(cat "$console")
	fi
	# A frame in a module: not only the rig's.
	first=$(echo "$after" | grep -m1 -E '\+0x[0-9a-f]+/0x[0-9a-f]+ \[[a-z0-9_]+\]')
	if [ -n "$first" ]; then
		first=${first#*] }
		echo "not the rig's: a frame in a module (${first# })"
		return 1
	fi
	# The first report is the cause; what follows it is its fallout.
	first=$(echo "$after" | grep -m1 -E "$DMESG_BAD|$STRESS_DMESG_BAD|PANIC:|Kernel panic")
	case "$first" in
	"")	echo "no kernel report on its console, QEMU exit status 0 (a triple fault)" ;;
	*"PANIC: double fault"*|*"BUG: TASK stack guard page was hit"*)
		echo "${first#*] }" ;;
	*)	echo "not the rig's: ${first#*] }"; return 1 ;;
	esac
}

# rig_reap: once per guest, when its QEMU has ended and not by l2_stop:
# if the rig took it (rig_guest_death), one line in $L2_DIR/rig.log
# (why) and its console kept as rig-N.serial.log. l2_start calls it
# before it boots the next guest, run.sh after every test. Prints
# nothing.
rig_reap() {
	local why n

	[ -f $L2_DIR/qemu.log ] && [ ! -e $L2_DIR/reaped ] || return 0
	grep -q '^qemu exit status ' $L2_DIR/qemu.log || return 0
	touch $L2_DIR/reaped
	[ -e $L2_DIR/stopped ] && return 0
	why=$(rig_guest_death $L2_DIR/serial.log $L2_DIR/qemu.log) || return 0
	n=$(($(rig_count) + 1))
	cp $L2_DIR/serial.log $L2_DIR/rig-$n.serial.log
	echo "$why" >> $L2_DIR/rig.log
}

# rig_count: how many guests the rig took since the test host booted.
rig_count() {
	local n=0

	[ -f $L2_DIR/rig.log ] && n=$(wc -l < $L2_DIR/rig.log)
	echo "$n"
}
