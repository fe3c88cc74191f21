#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 37-storms-resume: the teardown storms' bookkeeping
# (tools/testing/vm/lib_storms.sh) without a VM. A test host that dies
# under the long storms leaves storms.resume; the next one goes on from
# its words and reports what the dead one did. Checked here: the words
# say the case and cycles to go on from and the failures per case and
# outside the cases (a failure in a check's subshell included), in
# suite.sh's NCOAL_*=number format; a new test host reports each case
# finished earlier with its failures, the case cut short with its
# earlier ones and the rest apart, only the cases asked for, and counts
# none of them twice in its own words.

set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VM=$(cd "$HERE/../vm" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# host DIR STEPS [ENV...]: one test host's storms in a child shell with
# the VM tests' libraries: storms_init, storms_earlier, then STEPS
# (shell code); NCOAL_OUT is DIR. Prints the TAP lines.
host() {
	local dir=$1 steps=$2

	shift 2
	mkdir -p "$dir"
	env NCOAL_OUT="$dir" NCOAL_SEED=7 "$@" VM="$VM" STEPS="$steps" bash -c '
		set -u
		. "$VM/lib.sh"
		. "$VM/lib_stress.sh"
		. "$VM/lib_storms.sh"
		storms_init "$NCOAL_OUT/storms"
		storms_earlier
		eval "$STEPS"' 2>&1
}

# word DIR KEY...: the values of KEYs (NCOAL_STORMS_KEY) in DIR's
# storms.resume, space separated
word() {
	local f=$1/storms.resume k out=()

	shift
	for k in "$@"; do
		out+=("$(tr ' ' '\n' < "$f" | sed -n "s/^NCOAL_STORMS_$k=//p")")
	done
	echo "${out[*]}"
}

# Test host 1: a failure before any case, one in close-busy, one in
# kill-busy's check subshell (saved there, then reported by the main
# shell as check does), then it dies 7 cycles into guest-rmmod.
host "$T/1" '
	not_ok "storms: setup"
	storms_save close-busy 0
	not_ok "close-busy: census"
	storms_save kill-busy 0
	( ksft_fail=$((ksft_fail + 1)); storms_save kill-busy 0 )
	not_ok "kill-busy: cycles"
	storms_save guest-rmmod 0
	SWAPS=41
	( storms_save guest-rmmod 7 )' > "$T/1.out"
check "host 1: where to go on and the failures, in all and per case" \
	"$(word "$T/1" FROM CYCLES SWAPS FAILED FAILED_1 FAILED_2 FAILED_3 FAILED_4 HOSTS_LOST)" \
	"4 7 41 3 1 1 0 0 1"
bad=$(tr ' ' '\n' < "$T/1/storms.resume" | grep -vE '^NCOAL_[A-Z0-9_]+=[0-9]+$')
check "host 1: every word is suite.sh's NCOAL_*=number" "$bad" ""

# Test host 2 from host 1's words: one more failure in guest-rmmod,
# then it dies in guest-off.
read -r -a words < "$T/1/storms.resume"
host "$T/2" '
	storms_save guest-rmmod 7
	not_ok "guest-rmmod: census"
	storms_save guest-off 0
	( storms_save guest-off 3 )' "${words[@]}" > "$T/2.out"
check "host 2: the earlier cases each with its failures, the rest apart" \
	"$(grep -E '^(ok|not ok|# stress-case)' "$T/2.out")" \
	"# stress-case: close-busy 100 cycles
not ok 1 close-busy: 1 check(s) failed in an earlier test host (its output.log)
# stress-case: kill-busy 30 cycles
not ok 2 kill-busy: 1 check(s) failed in an earlier test host (its output.log)
# stress-case: swap-call 41 swaps
ok 3 swap-call: its checks passed in an earlier test host
not ok 4 storms: 1 check(s) outside the cases failed in the earlier test host(s) (their output.log)
# stress-case: storms-host-loss 1 hosts
not ok 5 guest-rmmod: census"
check "host 2: its words count the earlier failures once, its own once" \
	"$(word "$T/2" FROM CYCLES FAILED FAILED_1 FAILED_2 FAILED_4 FAILED_5 HOSTS_LOST)" \
	"5 3 4 1 1 1 0 2"

# Test host 3 from host 2's words: guest-rmmod is done, with its
# failure; guest-off, cut short, had none.
read -r -a words < "$T/2/storms.resume"
host "$T/3" 'storms_save guest-off 3' "${words[@]}" > "$T/3.out"
check "host 3: the case finished in host 2 reported with its failure" \
	"$(grep -E '^(ok|not ok)' "$T/3.out" | sed -n 4,6p)" \
	"not ok 4 guest-rmmod: 1 check(s) failed in an earlier test host (its output.log)
not ok 5 storms: 1 check(s) outside the cases failed in the earlier test host(s) (their output.log)"
check "host 3: two test hosts lost" \
	"$(grep '^# stress-case: storms-host-loss' "$T/3.out")" \
	"# stress-case: storms-host-loss 2 hosts"

# A case cut short with earlier failures says them before its own.
host "$T/4" '' NCOAL_STORMS_FROM=4 NCOAL_STORMS_CYCLES=2 \
	NCOAL_STORMS_FAILED=2 NCOAL_STORMS_FAILED_4=2 NCOAL_STORMS_HOSTS_LOST=1 \
	"NCOAL_STORMS=close-busy guest-rmmod" > "$T/4.out"
check "the case cut short: its earlier failures; only the cases asked" \
	"$(grep -E '^(ok|not ok|# stress-case)' "$T/4.out")" \
	"# stress-case: close-busy 100 cycles
ok 1 close-busy: its checks passed in an earlier test host
not ok 2 guest-rmmod: 2 check(s) failed in an earlier test host (its output.log)
# stress-case: storms-host-loss 1 hosts"

# A first test host says its seed and reports nothing earlier.
host "$T/5" '' > "$T/5.out"
check "a first test host: its seed, nothing earlier" \
	"$(cat "$T/5.out")" "# seed 7 (replay: NCOAL_SEED=7; timing still differs)"

finish
