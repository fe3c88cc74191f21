# SPDX-License-Identifier: GPL-2.0
#
# lib.sh: kselftest TAP for the ship tests, sourced after set -uo
# pipefail; it prints the TAP header.
#
#   ok NAME                 a pass
#   not_ok NAME [DETAILS]   a failure; the last 40 lines of DETAILS first,
#                           as comments
#   skip NAME WHY           a skip
#   result NAME PROBLEMS    ok when PROBLEMS is empty, else not_ok with them
#   check NAME GOT WANT     ok when GOT is WANT, else not_ok showing both
#   skip_all NAME WHY       nothing can run here: one skip, exit 4
#   finish                  the plan and totals; exit 1 after a failure

n=0
fails=0
skips=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1)); fails=$((fails + 1))
	[ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 40 | sed 's/^/# /'
	echo "not ok $n $1"
}

skip() {
	n=$((n + 1)); skips=$((skips + 1))
	echo "ok $n $1 # SKIP $2"
}

result() {
	if [ -z "$2" ]; then ok "$1"; else not_ok "$1" "$2"; fi
}

check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got:  $2"$'\n'"want: $3"
	fi
}

skip_all() {
	echo "ok 1 $1 # SKIP $2"
	echo "1..1"
	exit 4
}

finish() {
	echo "1..$n"
	echo "# Totals: pass:$((n - fails - skips)) fail:$fails xfail:0 xpass:0 skip:$skips error:0"
	[ "$fails" -eq 0 ] || exit 1
	exit 0
}

echo "TAP version 13"
