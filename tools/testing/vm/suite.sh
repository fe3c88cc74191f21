#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# suite.sh check|e2e|host|guest|smoke [TEST...]: the VM tests as make
# check and make check-e2e run them, from this machine; one TAP stream,
# exit status 0 only if every result passed.
#
#   host   tests/ of level host in one test host (scripts/vm, no guest):
#          our vhost_net driven by tools/vhost_net_drv
#   guest  tests/ of level guest on this machine, in a network namespace
#          of their own: the guest is a VM on this machine whose NIC our
#          virtio_net drives (lib.sh, NCOAL_LEVEL=one)
#   smoke  e2e-smoke.sh in one test host: the two-level rig under the
#          relay QEMU, once
#   check  host, guest, smoke (make check)
#   e2e    tests/ of level e2e in one test host (make check-e2e)
#
# A test's level: its header line "# ncoal-level: host|guest|e2e", else
# 1N-*, 40-* and 51-* are host, 02-04 and 2N-* guest, the rest e2e.
# Any death of a test host or of the guest VM is a failure; nothing is
# retried here (run.sh's one retry of a nested guest is e2e's only).
# The test hosts' consoles must show no kernel report (a guest's kernel
# log is judged by each test, lib.sh's ksft_finish; a dead guest fails
# its test, run.sh).
#
#   VM_TIMEOUT        seconds per test host (default 3600)
#   NCOAL_VM_SMP      the test host's vCPUs (default 1)
#   NCOAL_SUITE_ENV   VAR=VALUE words for run.sh (make stress)
#   NCOAL_SUITE_OUT   where the files go (default $NCOAL_BUILD/vm)

set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 2
NCOAL_BUILD=${NCOAL_BUILD:-$PWD/build}
export NCOAL_BUILD
. scripts/lib.sh

part=${1:?usage: suite.sh check|e2e|host|guest|smoke [TEST...]}
shift
top=${NCOAL_SUITE_OUT:-$NCOAL_BUILD/vm}
read -r -a suite_env <<< "${NCOAL_SUITE_ENV:-}"
reports='BUG:|Oops:|WARNING:|general protection fault|kernel BUG at|soft lockup|hard LOCKUP|blocked for more than|rcu_.*detected stall'
n=0 fail=0

result() {
	n=$((n + 1))
	[ "$1" = ok ] || fail=$((fail + 1))
	echo "$1 $n ${*:2}"
}

# relay FILE: run.sh's stream, renumbered into ours.
relay() {
	local line

	while IFS= read -r line; do
		case "$line" in
		"ok "*) result ok "${line#ok [0-9]* }" ;;
		"not ok "*) result "not ok" "${line#not ok [0-9]* }" ;;
		"TAP version"*|1..*|"# Totals"*) ;;
		*) echo "$line" ;;
		esac
	done < "$1"
}

level() {
	local l

	l=$(sed -n 's/^# ncoal-level: *\([a-z0-9]*\)$/\1/p' "$1" | head -n1)
	[ -n "$l" ] && { echo "$l"; return; }
	case "${1##*/}" in
	1[0-9]-*|40-*|51-*) echo host ;;
	# loads this machine's release of Debian's modules into the guest
	# (uname -r): two-level until it asks the guest
	26-*) echo e2e ;;
	0[2-4]-*|2[0-9]-*) echo guest ;;
	*) echo e2e ;;
	esac
}

# tests_of LEVEL: the names of the tests of that level (or the ones asked).
tests_of() {
	local t

	if [ ${#asked[@]} -gt 0 ]; then
		echo "${asked[@]}"
		return
	fi
	for t in tools/testing/vm/tests/[0-9]*.sh; do
		[ "$(level "$t")" = "$1" ] || continue
		t=${t##*/}; t=${t%.sh}
		echo -n "${t#[0-9][0-9]-} "
	done
}

# in_host NAME TEST...: run.sh in one test host; its death fails.
in_host() {
	local name=$1 out=$top/$1 rc

	shift
	echo "# --- $name: test host (TCG, ${NCOAL_VM_SMP:-1} vCPU): $*"
	NCOAL_VM_SMP=${NCOAL_VM_SMP:-1} scripts/vm -q -t "${VM_TIMEOUT:-3600}" -o "$out" -- \
		env "${suite_env[@]}" "NCOAL_LEVEL=$NCOAL_LEVEL" \
		tools/testing/vm/run.sh "$@" > "$out.err" 2>&1
	rc=$?
	relay "$out/output.log"
	if [ ! -f "$out/status" ]; then
		sed 's/^/# /' "$out.err"
		scripts/oops-digest "$out/serial.log" | sed 's/^/# /'
		result "not ok" "$name: the test host died (scripts/vm status $rc, console $out/serial.log)"
	elif [ "$rc" != 0 ] && ! grep -q '^not ok' "$out/output.log"; then
		sed 's/^/# /' "$out.err"
		result "not ok" "$name: run.sh exited with status $rc"
	fi
	logs+=("$out/serial.log")
}

# on_this_machine NAME TEST...: run.sh here, in a network namespace,
# against a guest VM (NCOAL_LEVEL=one).
on_this_machine() {
	local name=$1 out=$top/$1 ns=ncoal-$$ rc

	shift
	echo "# --- $name: guest VM on this machine (TCG, 1 vCPU), netns $ns: $*"
	mkdir -p "$out"
	ip netns add "$ns" || { result "not ok" "$name: ip netns add $ns"; return; }
	ip -n "$ns" link set lo up
	ip netns exec "$ns" env "${suite_env[@]}" NCOAL_LEVEL=one \
		NCOAL_OUT="$out" L2_DIR="$out/l2" NCOAL_L2_KERNEL="$(ncoal_vmlinuz)" \
		timeout "${VM_TIMEOUT:-3600}" tools/testing/vm/run.sh "$@" > "$out/output.log" 2>&1
	rc=$?
	# A guest that outlived run.sh (its timeout) goes with the namespace.
	L2_DIR=$out/l2 ip netns exec "$ns" bash -c '. tools/testing/vm/lib.sh; l2_stop'
	ip netns pids "$ns" | xargs -r kill -9
	ip netns del "$ns"
	relay "$out/output.log"
	[ "$rc" = 0 ] || grep -q '^not ok' "$out/output.log" ||
		result "not ok" "$name: run.sh exited with status $rc"
}

# The guest image carries our virtio_net.ko: one older than the module
# would test the module built before (make check and make bench build
# it anyway; a suite.sh run straight after make modules did not).
l2_image() {
	local img=$NCOAL_BUILD/vm/l2-initramfs.gz

	[ -f "$img" ] && [ ! "$NCOAL_BUILD/virtio_net.ko" -nt "$img" ] && return
	echo "# guest image older than $NCOAL_BUILD/virtio_net.ko: rebuilding it"
	scripts/mkinitramfs.sh l2 "$img" > /dev/null ||
		{ echo "suite.sh: the guest image did not build" >&2; exit 2; }
}

asked=("$@")
logs=()
mkdir -p "$top"
echo "TAP version 13"
case "$part" in
check) parts=(host guest smoke) ;;
host|guest|smoke|e2e) parts=("$part") ;;
*) echo "suite.sh: unknown part $part" >&2; exit 2 ;;
esac
[ "${parts[*]}" = host ] || l2_image
for p in "${parts[@]}"; do
	case "$p" in
	host)	NCOAL_LEVEL=host
		# shellcheck disable=SC2046 # test names are words
		in_host host $(tests_of host) ;;
	guest)	# shellcheck disable=SC2046
		on_this_machine guest $(tests_of guest) ;;
	smoke)	NCOAL_LEVEL=e2e in_host smoke e2e-smoke.sh ;;
	e2e)	NCOAL_LEVEL=e2e
		# shellcheck disable=SC2046
		in_host e2e $(tests_of e2e) ;;
	esac
done

bad=
for l in "${logs[@]}"; do
	[ -f "$l" ] || continue
	r=$(grep -E "$reports" "$l")
	[ -n "$r" ] && bad+="$l: $r"$'\n'
done
if [ -n "$bad" ]; then
	printf '%s' "$bad" | sed 's/^/# /'
	result "not ok" "vm: the test hosts' consoles have no BUG, WARNING, Oops, lockup or hung task"
else
	result ok "vm: the test hosts' consoles have no BUG, WARNING, Oops, lockup or hung task"
fi
echo "1..$n"
[ "$fail" -eq 0 ]
