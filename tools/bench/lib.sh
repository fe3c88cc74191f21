# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by tools/bench/bench.sh (this machine) and
# tools/bench/bench-l1.sh (the test host). Source after matrix.sh; they
# read these globals, set from the command line:
#
#   BENCH_QUICK     1: use the <NAME>_QUICK_* lists
#   BENCH_RATES, BENCH_SETTINGS, BENCH_DIRS, BENCH_DURATION
#                   overrides (space-separated), empty: the matrix's

BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_RATES=${BENCH_RATES:-}
BENCH_SETTINGS=${BENCH_SETTINGS:-}
BENCH_DIRS=${BENCH_DIRS:-}
BENCH_DURATION=${BENCH_DURATION:-}

# bench_upper NAME: the variable prefix of a scenario (host -> HOST).
# Builtins only, here and below: a fork costs up to a second in the
# emulated test host when the machine is busy.
bench_upper() {
	local u=${1^^}

	echo "${u//-/_}"
}

# bench_list SCENARIO WHAT: the values in effect, one per line.
#   WHAT: RATES, DIRS, SETTINGS (names), DURATION, or any other
#   <S>_<WHAT> of matrix.sh (e.g. WARMUP)
# Order: command-line override, then <S>_QUICK_<WHAT> under --quick,
# then <S>_<WHAT>.
bench_list() {
	local p=${1^^} what=$2 ov="" v x

	p=${p//-/_}
	case "$what" in
	RATES) ov=$BENCH_RATES ;;
	DIRS) ov=$BENCH_DIRS ;;
	SETTINGS) ov=$BENCH_SETTINGS ;;
	DURATION) ov=$BENCH_DURATION ;;
	esac
	if [ -n "$ov" ]; then
		printf '%s\n' $ov
		return
	fi
	v="${p}_${what}[@]"
	if [ "$BENCH_QUICK" = 1 ] && declare -p "${p}_QUICK_${what}" >/dev/null 2>&1; then
		v="${p}_QUICK_${what}[@]"
		printf '%s\n' "${!v}"
		return
	fi
	if [ "$what" = SETTINGS ]; then
		# names only: the first word of each definition
		for x in "${!v}"; do
			set -- $x
			echo "$1"
		done
		return
	fi
	printf '%s\n' "${!v}"
}

# bench_setting SCENARIO NAME: the definition "NAME MODULE SPEC", or
# nothing (status 1) if there is no such setting.
bench_setting() {
	local p=${1^^} n=$2 v x

	p=${p//-/_}
	v="${p}_SETTINGS[@]"
	# guest scenarios: also the settings defined outside the matrix
	[[ "$p" == GUEST_* ]] && v="$v GUEST_EXTRA_SETTINGS[@]"
	for v in $v; do
		for x in "${!v}"; do
			set -- $x
			if [ "$1" = "$n" ]; then
				echo "$1 $2 $3"
				return 0
			fi
		done
	done
	return 1
}

# bench_known_scenario NAME: in BENCH_SCENARIOS and has a runner.
bench_known_scenario() {
	local s

	for s in "${BENCH_SCENARIOS[@]}"; do
		[ "$s" = "$1" ] && [ -f "$BENCH_DIR/scenarios/$1.sh" ] && return 0
	done
	return 1
}

# bench_count SCENARIO: runs of that scenario with BENCH_REPS reps
# (settings x rates x directions x reps).
bench_count() {
	local -a s r d

	mapfile -t s < <(bench_list "$1" SETTINGS)
	mapfile -t r < <(bench_list "$1" RATES)
	mapfile -t d < <(bench_list "$1" DIRS)
	echo $((${#s[@]} * ${#r[@]} * ${#d[@]} * BENCH_REPS))
}
