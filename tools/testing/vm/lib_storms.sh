# SPDX-License-Identifier: GPL-2.0
#
# The teardown storms' bookkeeping (tests/61-storms.sh): the cases and
# their cycle counts, and storms.resume, the NCOAL_*=number words by
# which a new test host goes on where a dead one was (suite.sh). Source
# after lib.sh and lib_stress.sh; storms_init reads the words.
#
# Globals: ALL and CASES (the cases, and those asked for), FROM and
# CYCLES (the case to start from, its place in ALL counted from 1, and
# the cycles of it done), SWAPS (swap-call's, the caller adds its own),
# FAILED and CASE_FAILED[K] (failures in the earlier test hosts, in all
# and per case), RIG_LOST, HOSTS_LOST, RIG_MAX, RIG_FILE, SEED.

ALL="close-busy kill-busy swap-call guest-rmmod guest-off qemu-kill"
CASES=${NCOAL_STORMS:-$ALL}

# case_cycles CASE: the cycles CASE runs (short or long, 61-storms.sh).
case_cycles() {
	case $1 in
	close-busy)	stress_count 100 1000 ;;
	kill-busy)	stress_count 30 1000 ;;
	swap-call)	stress_count 30 500 ;;	# plus the swaps of S s
	guest-rmmod)	stress_count 3 300 ;;
	*)		stress_count 1 25 ;;
	esac
}

# case_index CASE: CASE's place in ALL, from 1 (end: past the last).
case_index() {
	local c i=0

	for c in $ALL; do
		i=$((i + 1))
		[ "$c" = "$1" ] && { echo "$i"; return; }
	done
	[ "$1" = end ] && { echo $((i + 1)); return; }
	echo 0
}

# asked CASE: CASE is in NCOAL_STORMS (or it is unset).
asked() {
	[[ " $CASES " == *" $1 "* ]]
}

# want CASE: CASE is asked for and not done in an earlier test host.
want() {
	asked "$1" && [ "$(case_index "$1")" -ge "$FROM" ]
}

# storms_init DIR: the state from storms.resume's words (suite.sh puts
# them in the environment of a new test host; none: a first one), the
# seed, and DIR/rig-lost, the guests the rig took (a file: checks'
# subshells count them).
storms_init() {
	local c k=0 v

	FROM=${NCOAL_STORMS_FROM:-1}
	CYCLES=${NCOAL_STORMS_CYCLES:-0}
	SWAPS=${NCOAL_STORMS_SWAPS:-0}
	FAILED=${NCOAL_STORMS_FAILED:-0}
	CASE_FAILED=()
	for c in $ALL; do
		k=$((k + 1))
		v=NCOAL_STORMS_FAILED_$k
		CASE_FAILED[k]=${!v:-0}
	done
	RIG_LOST=${NCOAL_STORMS_RIG_LOST:-0}
	HOSTS_LOST=${NCOAL_STORMS_HOSTS_LOST:-0}
	# Guests the rig may take (guest-rmmod's, or one that dies booting
	# in guest-off and qemu-kill) before the storms fail (see the
	# soak). Under this load the rig takes a guest every 17-34 rmmod
	# cycles (December 2026's make stress: four in 300 cycles' first
	# 70, against a cap of 3 then); the long cap allows one per 10
	# rmmod cycles and one per 5 death cycles.
	RIG_MAX=${NCOAL_STORMS_RIG_MAX:-$(stress_count 1 40)}
	SEED=$(stress_seed)
	mkdir -p "$1"
	RIG_FILE=$1/rig-lost
	echo "$RIG_LOST" > "$RIG_FILE"
	# The case running (its place in ALL; 0: none yet, past ALL: the
	# checks after the last) and ksft_fail when it started; KF0:
	# ksft_fail once the earlier failures were reported (they are not
	# counted twice).
	CUR=0
	CUR_F0=0
	KF0=0
}

# storms_save CASE CYCLES: storms.resume says "start from CASE
# (a name in ALL, or end: past the last) with CYCLES of it done". The
# failures counted are those reported so far (a check's subshell saving
# its progress counts the ones before it); a CASE other than the one
# running (the main shell starting the next) ends the running one.
storms_save() {
	local i k n words=()

	i=$(case_index "$1")
	if [ "$i" != "$CUR" ]; then
		[ -n "${CASE_FAILED[CUR]:-}" ] &&
			CASE_FAILED[CUR]=$((CASE_FAILED[CUR] + ksft_fail - CUR_F0))
		CUR=$i
		CUR_F0=$ksft_fail
	fi
	for k in "${!CASE_FAILED[@]}"; do
		n=${CASE_FAILED[k]}
		[ "$k" = "$CUR" ] && n=$((n + ksft_fail - CUR_F0))
		words+=("NCOAL_STORMS_FAILED_$k=$n")
	done
	resume_save storms "NCOAL_SEED=$SEED" \
		"NCOAL_STORMS_FROM=$i NCOAL_STORMS_CYCLES=$2" \
		"NCOAL_STORMS_SWAPS=$SWAPS" \
		"NCOAL_STORMS_FAILED=$((FAILED + ksft_fail - KF0))" "${words[@]}" \
		"NCOAL_STORMS_RIG_LOST=$(cat "$RIG_FILE")" \
		"NCOAL_STORMS_HOSTS_LOST=$((HOSTS_LOST + 1))"
}

# rig_took: one more guest the rig took (the caller said which and
# why), its QEMU's pid file gone with it; fails past RIG_MAX.
rig_took() {
	local n=$(($(cat "$RIG_FILE") + 1))

	echo "$n" > "$RIG_FILE"
	rm -f "$L2_DIR/qemu.pid"
	stress_case storms-rig-loss 1 guests
	[ "$n" -le "$RIG_MAX" ] ||
		fail "the rig took $n guests, more than NCOAL_STORMS_RIG_MAX=$RIG_MAX"
}

# start_cycles CASE: the cycles of CASE done in earlier test hosts.
start_cycles() {
	if [ "$(case_index "$1")" = "$FROM" ]; then
		echo "$CYCLES"
	else
		echo 0
	fi
}

# storms_earlier: in a new test host, what the earlier ones did, for
# the table: each case they finished with its failures (their checks
# are in those hosts' output.log; suite.sh drops them from the stream),
# the earlier failures of the case cut short (its checks here say the
# rest), those outside the cases, and the losses. In a first test host:
# the seed.
storms_earlier() {
	local c k=0 n other=$FAILED

	if [ "$HOSTS_LOST" -eq 0 ]; then
		log "seed $SEED (replay: NCOAL_SEED=$SEED; timing still differs)"
		return 0
	fi
	log "the storms go on in a new test host: $HOSTS_LOST died under them; from case $FROM of \"$ALL\" with $CYCLES cycle(s) of it done, $FAILED failure(s) and $RIG_LOST guest(s) lost before (seed $SEED)"
	for c in $ALL; do
		k=$((k + 1))
		n=${CASE_FAILED[k]}
		other=$((other - n))
		if [ "$k" -eq "$FROM" ] && [ "$n" -gt 0 ]; then
			not_ok "$c: $n check(s) failed in an earlier test host (its output.log)"
		fi
		[ "$k" -lt "$FROM" ] && asked "$c" || continue
		if [ "$c" = swap-call ]; then
			stress_case "$c" "$SWAPS" swaps
		else
			stress_case "$c" "$(case_cycles "$c")" cycles
		fi
		if [ "$n" -gt 0 ]; then
			not_ok "$c: $n check(s) failed in an earlier test host (its output.log)"
		else
			ok "$c: its checks passed in an earlier test host"
		fi
	done
	if [ "$other" -gt 0 ]; then
		not_ok "storms: $other check(s) outside the cases failed in the earlier test host(s) (their output.log)"
	fi
	KF0=$ksft_fail
	if [ "$RIG_LOST" -gt 0 ]; then
		stress_case storms-rig-loss "$RIG_LOST" guests
	fi
	stress_case storms-host-loss "$HOSTS_LOST" hosts
}
