# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the VM tests. Sourced by run.sh and by every test. The
# guest ("L2") is started once and shared by the tests that follow.
#
# NCOAL_LEVEL says where the tests and the guest run (suite.sh sets it):
#   e2e  (default) the tests run in the test host (L1, scripts/vm); the
#        guest is nested under KVM there, vhost=on through our vhost_net
#   one  make check's guest-side tests: they run on this machine in a
#        network namespace of their own; the guest is a VM on this
#        machine (TCG, one vCPU, the same initramfs) whose NIC our
#        virtio_net drives; this machine's vhost_net is not touched
#
# Network:  tap0 10.0.2.1/24  <-- virtio-net -->  guest eth0 10.0.2.2/24

NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
NCOAL_BUILD=${NCOAL_BUILD:-$NCOAL_ROOT/build}
NCOAL_OUT=${NCOAL_OUT:-/tmp}
NCOAL_LEVEL=${NCOAL_LEVEL:-e2e}
L1_IP=10.0.2.1
L2_IP=10.0.2.2
L2_PORT=7000
L2_DIR=${L2_DIR:-/run/ncoal-l2}
L2_MON=$L2_DIR/l2-monitor.sock
TAP=tap0

ksft_pass=0
ksft_fail=0
ksft_skip=0
ksft_n=0

log() {
	echo "# $*"
}

# Result lines of one test script (kselftest style). A script may report
# several results; run.sh numbers them.
ok() {
	ksft_n=$((ksft_n + 1))
	ksft_pass=$((ksft_pass + 1))
	echo "ok $ksft_n $*"
}

not_ok() {
	ksft_n=$((ksft_n + 1))
	ksft_fail=$((ksft_fail + 1))
	echo "not ok $ksft_n $*"
}

skip() {
	ksft_n=$((ksft_n + 1))
	ksft_skip=$((ksft_skip + 1))
	echo "ok $ksft_n $1 # SKIP ${*:2}"
}

# close_inherited_fds: for a subshell that outlives its caller: close
# every descriptor above stderr.
close_inherited_fds() {
	local fd

	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
	done
	return 0
}

# check NAME CMD...: one result from a command's status; its output is
# shown as diagnostics. CMD runs in a subshell, where fail() ends it: in
# a check function "cond || fail why" stops at the first failed condition.
# Returns CMD's status (0 or 1), for "if ! check ...".
check() {
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		[ -n "$out" ] && echo "$out" | sed 's/^\(# \)\{0,1\}/# /'
		ok "$name"
	else
		[ -n "$out" ] && echo "$out" | sed 's/^\(# \)\{0,1\}/# /'
		not_ok "$name"
		return 1
	fi
}

# fail WHY: report a failed condition; inside check (a subshell) this
# ends the check, elsewhere it returns 1.
fail() {
	echo "# FAIL: $*" >&2
	[ "$BASH_SUBSHELL" -gt 0 ] && exit 1
	return 1
}

# The distribution's module file (for comparisons and restores): from
# kernel/, not what depmod resolves, which prefers updates/ (make
# install's and DKMS's place: a copy of ours there must not become the
# baseline).
stock_ko() {
	find "/lib/modules/$(uname -r)/kernel" -name "$1.ko*" 2>/dev/null | head -n1
}

# Our module's identity note, as the kernel shows it once loaded.
loaded_ident() {
	local f=/sys/module/$1/notes/.note.ncoal

	[ -r "$f" ] && tr -c '[:print:]' '\n' < "$f" | grep -m1 '^ncoal-'
}

built_ident() {
	modinfo -F ncoal "$NCOAL_BUILD/$1.ko"
}

# host_load_ours [PARAM=VALUE...]: load our vhost_net (replacing whatever
# is loaded) and its stock deps.
# shellcheck disable=SC2120 # callers may pass module parameters
host_load_ours() {
	modprobe -q vhost || return 1
	modprobe -q tun || return 1
	modprobe -q tap || return 1
	if [ -d /sys/module/vhost_net ]; then
		rmmod vhost_net || return 1
	fi
	insmod "$NCOAL_BUILD/vhost_net.ko" "$@"
}

host_load_stock() {
	local ko

	[ -d /sys/module/vhost_net ] && { rmmod vhost_net || return 1; }
	ko=$(stock_ko vhost_net)
	[ -n "$ko" ] || { echo "no stock vhost_net in /lib/modules/$(uname -r)/kernel"; return 1; }
	modprobe -q vhost && modprobe -q tun && modprobe -q tap && insmod "$ko"
}

# kvm_hold: keep one empty KVM VM for the test host's lifetime. Every VM
# created while none exists flips the preempt-notifier static key, which
# patches __schedule() with text_poke_bp(); under multi-threaded TCG the
# other CPU can take the transient int3 after the patch is complete, and
# the test host dies ("Oops: int3" at __schedule+0x428, seen in CI). With
# a VM always open, guests only bump the key's count: no patching. Its
# never-run vCPU does the same for KVM's apic_sw_disabled key, which
# every guest's APIC enable toggled (second int3, in
# kvm_arch_vcpu_ioctl_run).
kvm_hold() {
	local f=/run/ncoal-kvm-hold.pid

	[ -f $f ] && proc_alive "$(cat $f)" && return 0
	setsid /usr/bin/python3 -c '
import fcntl, os, signal, socket
# SO_TIMESTAMP keeps netstamp_needed_key on: every ping (iputils sets
# it) would otherwise flip that key and patch netif_receive_skb(), and
# a vhost worker on the other vCPU took the int3 (soak, this session).
ts = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ts.setsockopt(socket.SOL_SOCKET, 29, 1)	# SO_TIMESTAMP (x86)
kvm = os.open("/dev/kvm", os.O_RDWR)
vm = fcntl.ioctl(kvm, 0xAE01, 0)	# KVM_CREATE_VM
fcntl.ioctl(vm, 0xAE60, 0)		# KVM_CREATE_IRQCHIP
cpu = fcntl.ioctl(vm, 0xAE41, 0)	# KVM_CREATE_VCPU 0 (its APIC stays
signal.pause()				# software-disabled: holds that key too)' < /dev/null > /dev/null 2>&1 &
	echo $! > $f
	disown $!
}

kvm_setup() {
	if [ ! -e /dev/kvm ]; then
		modprobe -q kvm_amd 2>/dev/null || modprobe -q kvm_intel 2>/dev/null
	fi
	[ -e /dev/kvm ] || { echo "no /dev/kvm in L1 (nested SVM/VMX)"; return 1; }
	kvm_hold
}

tap_setup() {
	if [ ! -d /sys/class/net/$TAP ]; then
		ip tuntap add $TAP mode tap || return 1
		ip addr add $L1_IP/24 dev $TAP || return 1
	fi
	ip link set $TAP up
}

# proc_alive PID: the process runs (exists and is not a zombie).
proc_alive() {
	local st

	# No pid is no process (and "/proc//stat" is the system's file).
	[ -n "$1" ] || return 1
	st=$(cat /proc/$1/stat 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# l2_ping: the guest answers ICMP (one reply of up to 10 is enough: an
# emulated guest can miss a 2 s window; CI saw it once right after boot).
# On failure, ping's statistics and the guest's view of eth0.
l2_ping() {
	local out

	out=$(ping -c 10 -i 0.3 -W 3 "$L2_IP" 2>&1) && return 0
	echo "$out" | tail -n 2
	l2 -t 10 'ip -s link show eth0; cat /sys/class/net/eth0/virtio_coalesce/state' 2>&1
	l2_postmortem
	return 1
}

# l2_postmortem: what the guest shows when its network does not answer:
# its console, blocked tasks and CPU backtraces (SysRq w and l, typed on
# its keyboard through the QEMU monitor), the oops digest and the host's
# view of the vhost rings.
l2_postmortem() {
	local from k

	from=$(wc -l < $L2_DIR/serial.log)
	l2_cpu_view
	if [ -S "$L2_MON" ]; then
		for k in w l; do
			printf 'sendkey alt-sysrq-%s\n' $k |
				timeout 5 socat - "UNIX-CONNECT:$L2_MON" >/dev/null 2>&1
			sleep 2
		done
	fi
	echo "guest console, last lines before SysRq:"
	head -n "$from" $L2_DIR/serial.log | tail -n 15
	echo "guest console after SysRq w, l:"
	tail -n +$((from + 1)) $L2_DIR/serial.log | head -n 120
	"$NCOAL_ROOT/scripts/oops-digest" $L2_DIR/serial.log
	l1_view_of_l2
	local d r
	for d in /sys/kernel/debug/vhost_net/*-*; do
		for r in rx tx; do
			[ -e "$d/$r" ] || continue
			echo "host $d/$r:" "$(grep -E '^(state|packets|signals_(due|sent)|timer_fires):' "$d/$r" | tr '\n' ' ')"
		done
	done
}

# l2_monitor CMD: one human monitor command to the guest's QEMU; its
# answer (nothing if the monitor does not answer within 5 s).
l2_monitor() {
	[ -S "$L2_MON" ] || return 1
	printf '%s\n' "$1" | timeout 5 socat - "UNIX-CONNECT:$L2_MON" 2>/dev/null |
		tr -d '\r' | grep -v '^(qemu)\|^QEMU .* monitor'
}

# l2_cpu_view: the guest's run state and where its vCPU is, three
# samples: RIP and whether interrupts are on (RFLAGS.IF: a vCPU spinning
# with interrupts off does not see SysRq).
l2_cpu_view() {
	local i regs rip fl

	echo "guest run state: $(l2_monitor 'info status' | tr '\n' ' ')"
	for i in 1 2 3; do
		regs=$(l2_monitor 'info registers') || break
		rip=$(echo "$regs" | sed -n 's/.*RIP=\([0-9a-f]*\).*/\1/p' | head -n1)
		fl=$(echo "$regs" | sed -n 's/.*RFL=\([0-9a-f]*\).*/\1/p' | head -n1)
		[ -n "$rip" ] || { echo "guest vCPU: no registers"; break; }
		echo "guest vCPU: RIP $rip, IF $(( (0x${fl:-0} >> 9) & 1 ))"
		sleep 1
	done
}

# l2_vring_view: the guest's first RX and TX rings as they are in its
# memory (read through its QEMU's monitor, which vhost does not stop):
# the avail and used indexes, and the event indexes each side asked to
# be told at. A used index ahead of the guest's used_event with the
# guest idle is an interrupt that did not come; an avail index ahead of
# the used one with avail_event passed is a kick vhost did not act on.
l2_vring_view() {
	local dev q st num avail used

	dev=$(l2_monitor 'info virtio' | awk '/virtio-net/ { print $1; exit }')
	[ -n "$dev" ] || { echo "guest rings: no virtio-net device on the monitor"; return 0; }
	for q in 0 1; do
		st=$(l2_monitor "info virtio-queue-status $dev $q")
		num=$(echo "$st" | awk '$1 == "num:" { print $2; exit }')
		avail=$(echo "$st" | awk '$1 == "avail:" { print $2; exit }')
		used=$(echo "$st" | awk '$1 == "used:" { print $2; exit }')
		if [ -z "$num" ] || [ -z "$avail" ] || [ $((avail)) = 0 ]; then
			echo "guest ring $q: not set up"
			continue
		fi
		echo "guest ring $q ($([ $q = 0 ] && echo rx || echo tx), $num entries):" \
			"avail flags/idx $(vring_u16 "$avail" 2)," \
			"used_event $(vring_u16 $((avail + 4 + 2 * num)) 1);" \
			"used flags/idx $(vring_u16 "$used" 2)," \
			"avail_event $(vring_u16 $((used + 4 + 8 * num)) 1)"
	done
}

# vring_u16 GPA N: N little-endian 16-bit words of guest memory at GPA,
# in decimal.
vring_u16() {
	local w out=

	for w in $(l2_monitor "xp /$2hx $1" | sed 's/^[0-9a-f]*: *//'); do
		out+="${out:+/}$((w))"
	done
	echo "${out:-?}"
}

# l1_view_of_l2: where the guest's QEMU threads are in the test host
# (state, wait channel, kernel stack: a guest frozen as a whole, console
# and monitor silent, is a QEMU thread stuck in the kernel, e.g. in a
# vhost ioctl), the vhost worker's, and the test host's recent kernel log
# (hung tasks).
l1_view_of_l2() {
	local pid t

	pid=$(l2_pid)
	[ -n "$pid" ] || { echo "no guest QEMU pid"; return 0; }
	if ! proc_alive "$pid"; then
		echo "test host: guest QEMU $pid is gone; its last output:"
		tail -n 15 $L2_DIR/qemu.log | sed 's/^/  /'
	fi
	echo "test host: guest QEMU $pid threads (tid comm state wchan):"
	for t in /proc/"$pid"/task/*; do
		[ -r "$t/stat" ] || continue
		echo "  ${t##*/} $(cat "$t/comm") $(awk '{ print $3 }' "$t/stat") $(cat "$t/wchan" 2>/dev/null)"
		case "$(awk '{ print $3 }' "$t/stat")" in
		D|R) sed 's/^/    /' "$t/stack" 2>/dev/null | head -n 20 ;;
		esac
	done
	for t in $(ps -eLo tid,comm | awk -v c="vhost-$pid" '$2 == c { print $1 }'); do
		echo "  worker $t state $(awk '{ print $3 }' /proc/"$t"/stat 2>/dev/null)"
		sed 's/^/    /' /proc/"$t"/stack 2>/dev/null | head -n 20
	done
	echo "test host: last kernel messages:"
	dmesg | tail -n 25 | sed 's/^/  /'
}

# l2_start [stock]: boot the guest with our virtio_net (or the stock one).
# L2_NETDEV_OPTS (optional, default empty): extra options appended to the
# guest's tap -netdev, e.g. "poll-us=50" (vhost busy polling).
l2_start() {
	local extra="" launcher vhost=on kernel vmm

	# shellcheck disable=SC2054 # commas belong to QEMU options
	vmm=(-enable-kvm -cpu host,-xsave)
	kernel=/boot/vmlinuz-$(uname -r)

	if [ "$NCOAL_LEVEL" = one ]; then
		vmm=(-accel tcg -cpu max)
		vhost=off
		kernel=${NCOAL_L2_KERNEL:?suite.sh sets NCOAL_L2_KERNEL}
	else
		kvm_setup || return 1
	fi
	tap_setup || return 1

	[ "${1:-}" = stock ] && extra="ncoal.stock=1"
	mkdir -p $L2_DIR
	: > $L2_DIR/serial.log
	rm -f $L2_DIR/qemu.pid $L2_DIR/qemu.lastpid $L2_DIR/stopped
	# Not -daemonize: QEMU's own last words (a KVM error, an abort) must
	# reach qemu.log, and a daemonized QEMU sends them to /dev/null.
	# "qemu-system-x86_64" may be a shell function (the relay tests').
	# In a subshell that records QEMU's exit status (a guest QEMU that
	# died without a word once: the status says whether it was a signal;
	# the time, how long the guest hung before it died).
	# The launcher outlives the test: it closes every descriptor it
	# inherited above stderr, or a pipe a caller reads to its end (a
	# check's "$(...)", run.sh's) never ends: bash keeps copies of fds
	# it redirects around a function call (fd 10 and up).
	( close_inherited_fds
	  ${NCOAL_QEMU:-qemu-system-x86_64} "${vmm[@]}" -smp 1 -m 384 \
		-display none -nodefaults -no-reboot \
		-serial file:$L2_DIR/serial.log \
		-kernel "$kernel" \
		-initrd "$NCOAL_BUILD/vm/l2-initramfs.gz" \
		-append "console=ttyS0 panic=-1 loglevel=6 mitigations=off sysrq_always_enabled nokaslr $extra" \
		-monitor "unix:$L2_MON,server=on,wait=off" \
		-netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=$vhost${L2_NETDEV_OPTS:+,$L2_NETDEV_OPTS} \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:02,romfile= \
		-pidfile $L2_DIR/qemu.pid > $L2_DIR/qemu.log 2>&1 < /dev/null
	  echo "qemu exit status $? (128+N: signal N) at $(date +%s)" >> $L2_DIR/qemu.log
	) > /dev/null 2>&1 < /dev/null &
	launcher=$!
	# Out of the job table: a caller's bare "wait" must not wait for it.
	disown $launcher
	SECONDS=0
	while [ $SECONDS -lt 240 ]; do
		if grep -q NCOAL_L2_READY $L2_DIR/serial.log &&
		   l2 -t 3 true >/dev/null 2>&1; then
			log "guest up after $SECONDS s ($(grep -o 'driver=.*' $L2_DIR/serial.log))"
			# QEMU removes its pid file when it exits: keep the pid.
			cp $L2_DIR/qemu.pid $L2_DIR/qemu.lastpid
			return 0
		fi
		# Not the pid file: it is briefly empty while QEMU writes it.
		if ! proc_alive $launcher; then
			echo "guest QEMU exited"; tail -n 20 $L2_DIR/serial.log
			echo; sed 's/^/qemu: /' $L2_DIR/qemu.log
			"$NCOAL_ROOT/scripts/oops-digest" $L2_DIR/serial.log
			return 1
		fi
		sleep 0.5
	done
	echo "guest not reachable after $SECONDS s"; tail -n 20 $L2_DIR/serial.log
	return 1
}

# l2_pid: the guest QEMU's pid, also once it has exited (and removed its
# pid file); empty if no guest was started.
l2_pid() {
	cat $L2_DIR/qemu.pid 2>/dev/null || cat $L2_DIR/qemu.lastpid 2>/dev/null
}

l2_running() {
	[ -f $L2_DIR/qemu.pid ] && kill -0 "$(cat $L2_DIR/qemu.pid)" 2>/dev/null
}

l2_stop() {
	local pid i

	l2_running || return 0
	pid=$(cat $L2_DIR/qemu.pid)
	# Its end is ours (run.sh: a guest that ended otherwise died).
	touch $L2_DIR/stopped
	l2 'poweroff -f' >/dev/null 2>&1 &
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill "$pid" 2>/dev/null
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -9 "$pid" 2>/dev/null
	rm -f $L2_DIR/qemu.pid
	return 0
}

l2_ensure() {
	l2_running || l2_start "$@"
}

# l2 [-t SEC] SCRIPT: run a shell script in the guest; prints its output,
# returns its status (255 if the guest did not answer).
l2() {
	local t=60 out rc

	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	# The script goes through a pipe, not an argument: a long one (the
	# soak's 600 s plan is ~100 KB in base64) is over the kernel's limit
	# for one argument (128 KB).
	out=$(printf '%s\n' "$*" | base64 -w0 | timeout "$t" bash -c '
		exec 3<>/dev/tcp/$0/$1 || exit 255
		{ cat; echo; } >&3
		cat <&3' $L2_IP $L2_PORT) || { [ -n "$out" ] || return 255; }
	rc=$(printf '%s\n' "$out" | sed -n 's/^__NCOAL_RC=//p' | tail -n1)
	printf '%s\n' "$out" | grep -v '^__NCOAL_RC='
	[ -n "$rc" ] || return 255
	return "$rc"
}

# Kernel log problems: the patterns every VM test fails on.
DMESG_BAD='BUG|WARNING|Oops|hung task|general protection|Call Trace'

# l2_died: the guest's QEMU ended, not by l2_stop nor by the guest's own
# poweroff.
l2_died() {
	grep -q '^qemu exit status ' $L2_DIR/qemu.log 2>/dev/null &&
		[ ! -e $L2_DIR/stopped ] &&
		! grep -q 'reboot: Power down' $L2_DIR/serial.log
}

# dmesg_mark: remember where both kernel logs end, so a test only answers
# for what it caused.
dmesg_mark() {
	mkdir -p $L2_DIR
	dmesg | wc -l > $L2_DIR/dmesg-l1.mark
	if l2_running; then
		l2 'dmesg | wc -l' > $L2_DIR/dmesg-l2.mark 2>/dev/null ||
			echo 0 > $L2_DIR/dmesg-l2.mark
	else
		echo 0 > $L2_DIR/dmesg-l2.mark
	fi
}

# dmesg_clean_l1: no bad pattern in L1's kernel log since the last mark
# (NCOAL_LEVEL=one: this machine's kernel runs none of our code).
dmesg_clean_l1() {
	local from=0 bad

	[ "$NCOAL_LEVEL" = one ] && return 0

	[ -f $L2_DIR/dmesg-l1.mark ] && from=$(cat $L2_DIR/dmesg-l1.mark)
	bad=$(dmesg | tail -n +"$((from + 1))" | grep -E "$DMESG_BAD" || true)
	[ -z "$bad" ] && return 0
	echo "L1 dmesg:"; echo "$bad"
	return 1
}

dmesg_clean_l2() {
	local from=0 bad

	l2_running || return 0
	[ -f $L2_DIR/dmesg-l2.mark ] && from=$(cat $L2_DIR/dmesg-l2.mark)
	bad=$(l2 "dmesg | tail -n +$((from + 1))" | grep -E "$DMESG_BAD" || true)
	[ -z "$bad" ] && return 0
	echo "L2 dmesg:"; echo "$bad"
	return 1
}

# ksft_begin: call first in every test script.
ksft_begin() {
	echo "TAP version 13"
	dmesg_mark
}

# ksft_finish: the dmesg verdict, the plan, the totals; exits with the
# kselftest status (0 pass, 1 fail, 4 skip).
ksft_finish() {
	local out

	if out=$(dmesg_clean_l1 && dmesg_clean_l2); then
		ok "dmesg clean (L1, L2)"
	else
		echo "$out" | sed 's/^/# /'
		not_ok "dmesg clean (L1, L2)"
	fi
	echo "1..$ksft_n"
	echo "# Totals: pass:$ksft_pass fail:$ksft_fail xfail:0 xpass:0 skip:$ksft_skip error:0"
	[ $ksft_fail -gt 0 ] && exit 1
	[ $ksft_pass -le 1 ] && [ $ksft_skip -gt 0 ] && exit 4
	exit 0
}

# rig_up [stock]: what every test needs: our vhost_net in L1 (not with
# NCOAL_LEVEL=one) and a guest.
rig_up() {
	if [ "$NCOAL_LEVEL" != one ] && ! loaded_ident vhost_net >/dev/null; then
		host_load_ours || return 1
	fi
	l2_ensure "$@"
}
