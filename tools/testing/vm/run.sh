#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [TEST...]: the VM integration suite, run inside the test host
# (scripts/vm -- tools/testing/vm/run.sh). TESTs are names of scripts in
# tests/ without the number and .sh (default: all, in order). Output is
# one kselftest TAP stream; each script's results are renumbered.
# NCOAL_TEST_TIMEOUT: seconds a test script may take (default 600; the
# long reliability runs of make stress take more). A test that boots
# several guests may ask for more in its header, "# ncoal-timeout: SEC";
# the larger of the two applies.
#
# A test whose guest the rig took (lib_rig.sh: the emulator's fault,
# not ours) before its first failure runs once more: its results so far
# are dropped, and "# ncoal-rerun" says so (suite.sh turns the dropped
# results into comments). At most NCOAL_RIG_RERUNS (default 2) in a run.
# A failure while the guest still ran is never rerun.

set -u
cd "$(dirname "$0")" || exit 2
. ./lib.sh

tests=()
if [ $# -eq 0 ]; then
	tests=(tests/[0-9]*.sh)
else
	for t in "$@"; do
		f=$(ls tests/[0-9]*-"$t".sh 2>/dev/null | head -n1)
		[ -n "$f" ] || { echo "run.sh: no test $t" >&2; exit 2; }
		tests+=("$f")
	done
fi

# first_failure: at a test's first failure, whether its guest was gone.
first_failure() {
	[ -n "$gone_at_fail" ] && return 0
	gone_at_fail=yes
	l2_running && gone_at_fail=no
	return 0
}

echo "TAP version 13"
n=0 pass=0 fail=0 skip=0 rc=0
reruns=0 rerun=" "
i=0
while [ $i -lt ${#tests[@]} ]; do
	t=${tests[$i]}
	name=$(basename "$t" .sh)
	name=${name#[0-9][0-9]-}
	echo "# === $name"
	start=$(date +%s)
	limit=${NCOAL_TEST_TIMEOUT:-600}
	own=$(sed -n 's/^# ncoal-timeout: *\([0-9][0-9]*\)$/\1/p' "$t" | head -n1)
	[ -n "$own" ] && [ "$own" -gt "$limit" ] && limit=$own
	f0=$fail p0=$pass s0=$skip r0=$((pass + fail + skip))
	gone_at_fail=
	rig_reap
	rigs=$(rig_count)
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*)
			n=$((n + 1)); skip=$((skip + 1))
			echo "ok $n $name: ${line#ok [0-9]* }" ;;
		"ok "*)
			n=$((n + 1)); pass=$((pass + 1))
			echo "ok $n $name: ${line#ok [0-9]* }" ;;
		"not ok "*)
			first_failure
			n=$((n + 1)); fail=$((fail + 1))
			echo "not ok $n $name: ${line#not ok [0-9]* }" ;;
		"TAP version"*|1..*|"# Totals"*) ;;
		# The test's end, not the pipe's: a process the test left
		# running (the guest's QEMU and its launcher outlive tests)
		# may still hold the pipe open, and waiting for its end then
		# hung the suite after reload.
		"# ncoal-exit "*) rc=${line#\# ncoal-exit }; break ;;
		*) echo "# $line" | sed 's/^# # /# /' ;;
		esac
	done < <(timeout "$limit" bash "$t" 2>&1; echo "# ncoal-exit $?")
	if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ $fail -eq $f0 ]; then
		first_failure
		n=$((n + 1)); fail=$((fail + 1))
		echo "not ok $n $name: script exited with status $rc"
	elif [ $((pass + fail + skip)) -eq $r0 ]; then
		first_failure
		n=$((n + 1)); fail=$((fail + 1))
		echo "not ok $n $name: no results"
	fi
	rig_reap
	if [ $fail -gt $f0 ] && [ "$gone_at_fail" = yes ] &&
	   [ "$(rig_count)" -gt "$rigs" ] && [[ "$rerun" != *" $name "* ]] &&
	   [ $reruns -lt "${NCOAL_RIG_RERUNS:-2}" ]; then
		rerun+="$name "
		reruns=$((reruns + 1))
		pass=$p0 fail=$f0 skip=$s0
		echo "# ncoal-rerun $name: the rig took its guest before its first failure ($(tail -n 1 $L2_DIR/rig.log), console: $L2_DIR/rig-$(rig_count).serial.log); its results above are dropped, it runs again"
		"$NCOAL_ROOT/scripts/oops-digest" $L2_DIR/rig-"$(rig_count)".serial.log
		l2_stop
		continue
	fi
	echo "# $name took $(( $(date +%s) - start )) s"
	i=$((i + 1))
done
l2_stop
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail -eq 0 ]
