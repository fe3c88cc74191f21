# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the tests that run a TAP program against our vhost-net
# uAPI or relay (tests/11-host-ioctl.sh, the fuzz tests of issue 8
# tests/5N-fuzz-*.sh). Source after lib.sh; runs in the test host (L1).
# Brings lib_stress.sh (stress_seed, stress_count, stress_case, hp_save,
# hp_restore, hp_set).
#
# Environment, shared by every fuzz test (and by make stress):
#   NCOAL_SEED     PRNG seed to replay (default: a fresh one, printed)
#   NCOAL_FUZZ_N   number of fuzzed calls/commands (default: the test's
#                  short count, or its long count with NCOAL_STRESS=1)
#   NCOAL_STRESS   1: the long version (10,000 calls/commands)

# shellcheck source=lib_stress.sh
. "$NCOAL_ROOT/tools/testing/vm/lib_stress.sh"

FUZZ_BIN=${NCOAL_FUZZ_BIN:-$NCOAL_BUILD/fuzz}

# fuzz_count SHORT LONG: how many calls this run makes.
fuzz_count() {
	if [ -n "${NCOAL_FUZZ_N:-}" ]; then
		echo "$NCOAL_FUZZ_N"
	else
		stress_count "$1" "$2"
	fi
}

# uapi_ready PROG HINT: PROG is built (else a failure saying HINT) and
# our vhost_net is loaded (loaded now if it was not). Status 1: the test
# cannot go on (the failure is reported).
uapi_ready() {
	if [ ! -x "$1" ]; then
		log "$1 missing: $2"
		not_ok "$(basename "$1") built"
		return 1
	fi
	if ! loaded_ident vhost_net >/dev/null && ! host_load_ours; then
		not_ok "insmod our vhost_net"
		return 1
	fi
}

# tap_reemit PREFIX CMD...: run a program that prints TAP 13 (at most
# TAP_TIMEOUT seconds, default 1800) and re-emit its results as this
# test's (ok/not_ok/skip), each name preceded by PREFIX; its
# diagnostics pass through. A non-zero exit without a failed result, or
# no result, is a failure.
tap_reemit() {
	local pre=$1 prog line rc=255 f0=$ksft_fail n0=$ksft_n

	shift
	prog=$(basename "$1")
	while IFS= read -r line; do
		if [[ $line =~ ^ok\ [0-9]+\ (.*)\ \#\ SKIP\ ?(.*)$ ]]; then
			skip "$pre${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
		elif [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
			ok "$pre${BASH_REMATCH[1]}"
		elif [[ $line =~ ^not\ ok\ [0-9]+\ (.*)$ ]]; then
			not_ok "$pre${BASH_REMATCH[1]}"
		elif [[ $line =~ ^1\.\.0\ #\ SKIP\ (.*)$ ]]; then
			skip "$pre$prog" "${BASH_REMATCH[1]}"
		elif [[ $line =~ ^(TAP\ version|1\.\.|#\ Totals) ]]; then
			:
		elif [[ $line =~ ^__ncoal_exit\ ([0-9]+)$ ]]; then
			rc=${BASH_REMATCH[1]}
		else
			echo "# ${line#\# }"
		fi
	done < <(timeout "${TAP_TIMEOUT:-1800}" "$@" 2>&1; echo "__ncoal_exit $?")
	case "$rc" in
	0|4) ;;
	1)	[ "$ksft_fail" -gt "$f0" ] ||
			not_ok "$pre$prog failed without a failed result" ;;
	124)	not_ok "$pre$prog timed out after ${TAP_TIMEOUT:-1800} s" ;;
	*)	not_ok "$pre$prog exited with status $rc" ;;
	esac
	[ "$ksft_n" -gt "$n0" ] || not_ok "$pre$prog reported no results"
}
