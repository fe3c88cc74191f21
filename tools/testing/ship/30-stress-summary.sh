#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 30-stress-summary.sh: make stress's summary table (stress-run.sh
# --summary) on a TAP stream of known content, so that the long run's
# report cannot rot between the runs that need hours: cycles add up per
# case over several tests' lines, a result counts for the case its name
# starts with (also one printed before the case's first table line),
# failures are counted, results of other tests count only in the last
# line. kselftest TAP, no VM.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NCOAL_ROOT=${NCOAL_ROOT:-$(cd "$HERE/../../.." && pwd)}
RUN=$NCOAL_ROOT/tools/testing/vm/stress-run.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

cat > "$T/in.tap" <<'EOT'
TAP version 13
# === host-ioctl
ok 1 host-ioctl: VHOST_NET_SET_VRING_COALESCE refuses bad values
# === fuzz-ioctl
# stress-case: uapi-fuzz 10000 calls
# stress-case: uapi-fuzz 10000 calls
ok 2 fuzz-ioctl: uapi-fuzz: errors only
not ok 3 fuzz-ioctl: uapi-fuzz: no state change on rejects
# === fuzz-ctrlq
# stress-case: hostile-guest 10000 commands
ok 4 fuzz-ctrlq: hostile-guest: every command answered
ok 5 fuzz-ctrlq: dmesg clean (L1, L2)
not ok 6 fuzz-ctrlq: script exited with status 124
# === storms
not ok 7 storms: guest-off: 1 check(s) failed in an earlier test host
ok 8 storms: guest-off: 1 poweroffs under traffic
# stress-case: guest-off 1 cycles
EOT
out=$("$RUN" --summary "$T/in.tap")
row() { echo "$out" | awk -v c="$1" '$1 == c { $1 = $1; print }'; }
check "cycles add up per case, its checks and failures counted" \
	"$(row uapi-fuzz)" "uapi-fuzz 20000 calls 2 1"
check "a case's results only: other results of its test not counted" \
	"$(row hostile-guest)" "hostile-guest 10000 commands 1 0"
check "a case's checks before its first table line count" \
	"$(row guest-off)" "guest-off 1 cycles 2 1"
check "the last line counts every result" \
	"$(echo "$out" | tail -n1)" "5 passed, 3 failed"
printf 'TAP version 13\nok 1 x: y\n' > "$T/none.tap"
check "a run without stress cases says so" \
	"$("$RUN" --summary "$T/none.tap" | sed -n 2p)" "(no stress case reported)"

finish
