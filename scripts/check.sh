#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [all|unit|build|checkpatch|vm]...: the project's tests, as one
# TAP stream. Every sub-result counts; the last line is "N passed, N failed".
#
#   unit        engine unit tests (userspace, fake clock)
#   build       module build (W=1, sparse), tools, series failure path
#   checkpatch  checkpatch --strict on the series and our files, kernel-doc
#   lint        make lint: checkpatch, sparse, W=1, kernel-doc, shellcheck
#   ship        make patches applies and builds; docs match the modules
#   vm          the VM tests on one level, and one e2e smoke (suite.sh check)
#   e2e         the two-level rig's tests (suite.sh e2e, make check-e2e)
#   bench       the benchmark harness on one tiny cell (not a benchmark)

set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NCOAL_ROOT" || exit 2

pass=0
fail=0
skip=0
n=0
failed=()

ok() {
	n=$((n + 1)); pass=$((pass + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1)); fail=$((fail + 1))
	failed+=("$*")
	echo "not ok $n $*"
}

skip() {
	n=$((n + 1)); skip=$((skip + 1))
	echo "ok $n $1 # SKIP ${*:2}"
}

# Run a command as one result; on failure show the tail of its output.
run() {
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		echo "$out" | tail -n 40 | sed 's/^/# /'
		not_ok "$name"
	fi
}

# Re-emit a TAP stream of sub-results under a prefix.
tap() {
	local prefix=$1 line rc=0 seen=0

	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*)
			seen=1; n=$((n + 1)); skip=$((skip + 1))
			echo "ok $n $prefix: ${line#ok [0-9]* }" ;;
		"ok "*)
			seen=1; n=$((n + 1)); pass=$((pass + 1))
			echo "ok $n $prefix: ${line#ok [0-9]* }" ;;
		"not ok "*)
			seen=1; n=$((n + 1)); fail=$((fail + 1))
			failed+=("$prefix: ${line#not ok [0-9]* }")
			echo "not ok $n $prefix: ${line#not ok [0-9]* }" ;;
		"TAP version"*|1..*|"# Totals"*) ;;
		"__rc="*) rc=${line#__rc=} ;;
		*) echo "# ${line#\# }" ;;
		esac
	done
	if [ "$seen" = 0 ] || { [ "$rc" != 0 ] && [ "$rc" != 4 ]; }; then
		n=$((n + 1)); fail=$((fail + 1))
		failed+=("$prefix: exited with status $rc")
		echo "not ok $n $prefix: exited with status $rc"
	fi
}

do_unit() {
	echo "# --- unit"
	tap unit < <(make -s -C tools/testing/ncoal run 2>&1; echo "__rc=$?")
}

# patches/series must fail loudly, naming the patch, when a hunk rejects.
series_failure_is_reported() {
	local tmp out

	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	cp -r "$NCOAL_ROOT"/{Kbuild,include,drivers,scripts} "$tmp/"
	[ -d "$NCOAL_ROOT/lib" ] && cp -r "$NCOAL_ROOT/lib" "$tmp/"
	mkdir -p "$tmp/patches"
	cat > "$tmp/patches/9999-broken.patch" <<'EOP'
--- a/drivers/vhost/net.c
+++ b/drivers/vhost/net.c
@@ -1,3 +1,3 @@
-this line is not in net.c
+neither is this one
 nor this
 nor that
EOP
	echo 9999-broken.patch > "$tmp/patches/series"
	mkdir -p "$tmp/build"
	cp -r "$NCOAL_BUILD/upstream" "$tmp/build/upstream"
	if out=$(NCOAL_ROOT=$tmp NCOAL_BUILD=$tmp/build "$tmp/scripts/prepare.sh" 2>&1); then
		echo "prepare.sh accepted a patch that does not apply"
		return 1
	fi
	echo "$out" | grep -q "patch 9999-broken.patch does not apply to drivers/vhost/net.c" || {
		echo "$out"
		echo "error message does not name the patch and file"
		return 1
	}
	[ ! -e "$tmp/build/src/drivers/vhost/net.c" ] || {
		echo "a half-applied tree was left for the build"
		return 1
	}
}

no_upstream_files_committed() {
	local bad

	bad=$(git ls-files | grep -E '^(drivers/vhost/(net\.c|vhost\.h)|drivers/net/virtio_net\.c|scripts/checkpatch\.pl)$' || true)
	[ -z "$bad" ] || { echo "upstream files in git: $bad"; return 1; }
}

do_build() {
	echo "# --- build"
	if [[ " ${what[*]} " == *" lint "* ]]; then
		# lint runs the same two builds; once is enough.
		echo "# W=1 and sparse builds: part of lint"
		scripts/build.sh > /dev/null 2>&1 ||
			not_ok "build: modules build (see lint's W=1 result)"
	else
		run "build: modules build with W=1, no new warnings" scripts/build.sh
		run "build: sparse (C=2) finds nothing new" env CHECK_SPARSE=1 scripts/build.sh
	fi
	run "build: series failure names the patch and file" series_failure_is_reported
	run "build: no upstream kernel file is committed" no_upstream_files_committed
	run "build: test tools" make -s tools
	run "build: QEMU with the relay (tools/qemu, cached)" tools/qemu/fetch-build.sh
}

# checkpatch --strict --codespell and kernel-doc -Wall are part of lint
# (scripts/lint.sh: on the upstream series, which carries every file of
# ours, and on our C files). "checkpatch" (make checkpatch) runs lint; a
# run that has the lint part anyway does not run it twice.
do_checkpatch() {
	local w

	for w in "${what[@]}"; do
		if [ "$w" = lint ]; then
			echo "# --- checkpatch: part of lint"
			return
		fi
	done
	do_lint
}

do_vm() {
	echo "# --- vm"
	if ! scripts/build.sh >/dev/null 2>&1 || ! make -s tools >/dev/null 2>&1; then
		not_ok "vm: modules and tools build (see build results)"
		return
	fi
	if ! scripts/mkinitramfs.sh l2 "$NCOAL_BUILD/vm/l2-initramfs.gz"; then
		not_ok "vm: guest initramfs"
		return
	fi
	# One VM level: host tests in a test host, guest tests against a
	# VM on this machine; then one pass through the two-level rig.
	# Any VM death is a failure.
	tap vm < <(tools/testing/vm/suite.sh "${vm_part:-check}" 2>&1; echo "__rc=$?")
}

# make lint: every check netdev runs on the upstream series (scripts/lint.sh).
do_lint() {
	echo "# --- lint"
	tap lint < <(scripts/lint.sh --tap 2>&1; echo "__rc=$?")
}

# make patches and the operator's install paths that need no VM: the
# series applies to a clean tree and builds patch by patch, the docs
# match the modules (tools/testing/ship).
do_ship() {
	local t

	echo "# --- ship"
	for t in tools/testing/ship/[0-9]*.sh; do
		[ -e "$t" ] || continue
		tap "ship: $(basename "$t" .sh)" < <(bash "$t" 2>&1; echo "__rc=$?")
	done
}

# The benchmark harness itself: report generator self-test and one tiny
# cell end to end, so it cannot rot. Numbers are not judged here.
do_bench() {
	echo "# --- bench"
	tap bench-report < <(tools/bench/test_report.sh 2>&1; echo "__rc=$?")
	if ! scripts/build.sh >/dev/null 2>&1 || ! make -s tools >/dev/null 2>&1; then
		not_ok "bench: modules and tools build"
		return
	fi
	run "bench: quick host cell, harness end to end" tools/bench/bench.sh --quick -q
}

# The test hosts of make check run on one vCPU (README, "Tests").
export NCOAL_VM_SMP=${NCOAL_VM_SMP:-1}
# make patches signs the series as git config's identity, and ship
# checks that it did: a fresh machine with none gets one of its own.
if [ -z "$(git config user.name)" ] || [ -z "$(git config user.email)" ]; then
	export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name \
		GIT_CONFIG_VALUE_0="ncoal check" GIT_CONFIG_KEY_1=user.email \
		GIT_CONFIG_VALUE_1=check@ncoal.invalid
fi
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(all)
[ "${what[0]}" = all ] && what=(unit build checkpatch lint ship vm bench)

echo "TAP version 13"
SECONDS=0
times=()
for w in "${what[@]}"; do
	t0=$SECONDS
	case "$w" in
	unit) do_unit ;;
	build) do_build ;;
	checkpatch) do_checkpatch ;;
	lint) if [ -x scripts/lint.sh ]; then do_lint; fi ;;
	ship) do_ship ;;
	vm) do_vm ;;
	e2e) vm_part=e2e do_vm ;;
	bench) do_bench ;;
	*) echo "check.sh: unknown part $w" >&2; exit 2 ;;
	esac
	times+=("$w $((SECONDS - t0)) s")
done
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
# Per part: the CI budget (README, "Tests") is spent where this says.
printf '# took %s s:' "$SECONDS"
printf ' %s;' "${times[@]}"
echo
if [ $fail -gt 0 ]; then
	# The failed list last: CI shows only the tail of the output.
	echo "# failed:"
	printf '#   %s\n' "${failed[@]}"
fi
echo "$((pass + skip)) passed, $fail failed"
[ $fail -eq 0 ]
