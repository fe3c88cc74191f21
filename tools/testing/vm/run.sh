#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [TEST...]: VM tests, one kselftest TAP stream; each script's
# results are renumbered. TESTs are names of scripts in tests/ without
# the number and .sh, or paths of scripts (default: all tests/, in
# order). suite.sh runs it in the test host, or (NCOAL_LEVEL=one) on
# this machine. NCOAL_TEST_TIMEOUT: seconds a test script may take
# (default 600); a script may ask for more in its header,
# "# ncoal-timeout: SEC"; the larger of the two applies.
#
# A guest that ends while a test runs, other than by l2_stop, fails that
# test. Only in the two-level rig (NCOAL_LEVEL=e2e), where the emulated
# SVM now and then kills a nested guest, a test that failed with its
# guest gone runs once more, once per run: its first results are shown
# as comments. This is the harness's only retry.

set -u
cd "$(dirname "$0")" || exit 2
. ./lib.sh

tests=()
if [ $# -eq 0 ]; then
	tests=(tests/[0-9]*.sh)
else
	for t in "$@"; do
		case "$t" in
		*.sh) f=$t ;;
		*) f=$(ls tests/[0-9]*-"$t".sh 2>/dev/null | head -n1) ;;
		esac
		[ -f "$f" ] || { echo "run.sh: no test $t" >&2; exit 2; }
		tests+=("$f")
	done
fi

echo "TAP version 13"
n=0 pass=0 fail=0 skip=0 rc=0 retried=
i=0
while [ $i -lt ${#tests[@]} ]; do
	t=${tests[$i]}
	name=$(basename "$t" .sh)
	name=${name#[0-9][0-9]-}
	start=$(date +%s)
	limit=${NCOAL_TEST_TIMEOUT:-600}
	own=$(sed -n 's/^# ncoal-timeout: *\([0-9][0-9]*\)$/\1/p' "$t" | head -n1)
	[ -n "$own" ] && [ "$own" -gt "$limit" ] && limit=$own
	# The test's lines, kept until its verdict (a retry drops them).
	res=() tf=0 tp=0 ts=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*) ts=$((ts + 1)); res+=("ok|${line#ok [0-9]* }") ;;
		"ok "*) tp=$((tp + 1)); res+=("ok|${line#ok [0-9]* }") ;;
		"not ok "*) tf=$((tf + 1)); res+=("not ok|${line#not ok [0-9]* }") ;;
		"TAP version"*|1..*|"# Totals"*) ;;
		# The test's end, not the pipe's: a guest QEMU the test
		# left running may still hold the pipe open.
		"# ncoal-exit "*) rc=${line#\# ncoal-exit }; break ;;
		*) res+=("#|${line#\# }") ;;
		esac
	done < <(timeout "$limit" bash "$t" 2>&1; echo "# ncoal-exit $?")
	if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ $tf -eq 0 ]; then
		tf=1; res+=("not ok|script exited with status $rc")
	elif [ $((tp + tf + ts)) -eq 0 ]; then
		tf=1; res+=("not ok|no results")
	fi
	died=
	if l2_died; then
		died=$(grep -m1 '^qemu exit status ' $L2_DIR/qemu.log)
		touch $L2_DIR/stopped
	fi
	[ -n "$died" ] && [ $tf -eq 0 ] && {
		tf=1; res+=("not ok|the guest died under it ($died)"); }
	if [ -n "$died" ] && [ "$NCOAL_LEVEL" = e2e ] && [ -z "$retried" ]; then
		retried=$name
		printf '# %s\n' "${res[@]#*|}"
		echo "# ncoal-retry $name: its guest died ($died; console below), it runs once more"
		"$NCOAL_ROOT/scripts/oops-digest" $L2_DIR/serial.log | sed 's/^/# /'
		continue
	fi
	for line in "${res[@]}"; do
		case "${line%%|*}" in
		"#") echo "# ${line#*|}" ;;
		*) n=$((n + 1)); echo "${line%%|*} $n $name: ${line#*|}" ;;
		esac
	done
	pass=$((pass + tp)) fail=$((fail + tf)) skip=$((skip + ts))
	if [ -n "$died" ]; then
		tail -n 40 $L2_DIR/serial.log | sed 's/^/# guest console: /'
	fi
	echo "# $name took $(( $(date +%s) - start )) s"
	i=$((i + 1))
done
l2_stop
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail -eq 0 ]
