# SPDX-License-Identifier: GPL-2.0
#
# The teardown storms' cases and their cycle counts (tests/61-storms.sh).
# Source after lib.sh and lib_stress.sh.

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

# want CASE: CASE is in NCOAL_STORMS (or it is unset).
want() {
	[[ " $CASES " == *" $1 "* ]]
}

# storms_init DIR: the seed (printed, RANDOM from it) and DIR.
storms_init() {
	SEED=$(stress_seed)
	RANDOM=$SEED
	log "seed $SEED (replay: NCOAL_SEED=$SEED; timing still differs)"
	mkdir -p "$1"
}
