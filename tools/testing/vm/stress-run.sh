#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress-run.sh [TEST...]: make stress. Boots the test host and runs
# the reliability tests (tests/5x-*, 6x-*: hostile guest, uAPI fuzz, and
# whatever soak and storm tests exist) in their long versions
# (NCOAL_STRESS=1), then prints a summary table: per case, the cycles it
# ran (the tests' "# stress-case: CASE COUNT UNIT" lines) and its
# failures (results named "TEST: CASE: ..."), ending with
# "N passed, N failed" over every result.
#
#   stress-run.sh --summary FILE   only the table, from a saved TAP stream
#
# NCOAL_SEED=N replays a run's random choices (each test prints its seed).
# The short versions of the same tests run in make check-e2e.

set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 2
NCOAL_BUILD=${NCOAL_BUILD:-$PWD/build}

# summary TAPFILE: the table and the last line. The cases are read
# first (a case's first check may come before its first stress-case
# line), then the results.
summary() {
	awk '
	NR == FNR {
		if ($0 ~ /^# stress-case: /) {
			c = $3; cyc[c] += $4; unit[c] = $5
			if (!(c in seen)) { seen[c] = 1; order[n++] = c }
		}
		next
	}
	/^ok [0-9]+ / { pass++; res($0, 0); next }
	/^not ok [0-9]+ / { fail++; res($0, 1); next }
	function res(line, bad,   f, c) {
		# "ok N TEST: CASE: what" -> CASE, if the test names one
		split(line, f, ": ")
		c = f[2]
		if (!(c in seen)) return
		checks[c]++
		if (bad) fails[c]++
	}
	END {
		printf "%-16s %10s %-10s %7s %9s\n", "case", "cycles", "unit", "checks", "failures"
		for (i = 0; i < n; i++) {
			c = order[i]
			printf "%-16s %10d %-10s %7d %9d\n", c, cyc[c], unit[c], checks[c], fails[c]
		}
		if (!n) print "(no stress case reported)"
		printf "%d passed, %d failed\n", pass, fail
	}' "$1" "$1"
}

if [ "${1:-}" = --summary ]; then
	[ -f "${2:-}" ] || { echo "usage: $0 --summary TAPFILE" >&2; exit 2; }
	summary "$2"
	exit
fi

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for t in tools/testing/vm/tests/[56][0-9]-*.sh; do
		t=${t##*/}; t=${t%.sh}
		tests+=("${t#[0-9][0-9]-}")
	done
fi
echo "==> make stress: ${tests[*]} (long versions, NCOAL_STRESS=1)"
scripts/mkinitramfs.sh l2 "$NCOAL_BUILD/vm/l2-initramfs.gz" >/dev/null ||
	{ echo "guest image (scripts/mkinitramfs.sh l2) failed" >&2; exit 1; }
out=$NCOAL_BUILD/stress
mkdir -p "$out"
VM_TIMEOUT=${STRESS_TIMEOUT:-14400} NCOAL_SUITE_OUT=$out \
NCOAL_SUITE_ENV="NCOAL_STRESS=1 NCOAL_TEST_TIMEOUT=5400" \
	tools/testing/vm/suite.sh e2e "${tests[@]}" > "$out/stress.tap" 2> "$out/vm.err"
rc=$?
cat "$out/stress.tap"
echo
summary "$out/stress.tap" | tee "$out/summary.txt"
echo "(TAP: $out/stress.tap; test host log: $out/e2e/serial.log)"
[ "$rc" = 0 ] && ! grep -q '^not ok' "$out/stress.tap"
