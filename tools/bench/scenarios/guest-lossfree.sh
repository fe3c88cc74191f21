# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-lossfree": the highest loss-free rate of host -> guest
# UDP (the thesis's "degradation under flood", seen from the guest's
# side), per comparator in the same L1 boot: guest-flood's rx run at the
# rates of GUEST_LOSSFREE_STEPS (matrix.sh), in order, each for
# GUEST_LOSSFREE_STEP_DURATION seconds, until the loss exceeds
# GUEST_LOSSFREE_MAX_LOSS percent. One row per setting and rep (rate column 0, shown "max"):
# the delivered rate of the last step within the bound, the step that
# broke it, and the counters of that last good step.
#
# Scale: the emulated guest saturates near 7-10 kpps (hardware: ~1 Mpps
# and more); the steps are chosen around that.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"
. "$BENCH_DIR/scenarios/guest-flood.sh"

GUEST_LOSSFREE_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,lossfree_pps,lossfree_offered_pps,lossy_offered_pps,lossy_loss_pct,steps,$GUEST_COUNTER_COLUMNS,wall_s

bench_guest-lossfree_runs() {
	bench_count guest-lossfree
}

# lossfree_once REP DIR RATE NAME: the search; prints the metric columns.
lossfree_once() {
	local rep=$1 name=$4 t0=$EPOCHREALTIME step m good="" goodrate=0
	local goodoff=0 badoff="" badloss="" steps=0 loss ncounters
	local -a f steplist

	# each step's duration (DURATION is the time estimate of a search)
	local GUEST_DUR

	GUEST_DUR=$(bench_list guest-lossfree STEP_DURATION)
	ncounters=$(tr ',' '\n' <<< "$GUEST_COUNTER_COLUMNS" | wc -l)
	FLOOD_RUNDIR=$BENCH_OUT/runs/guest-lossfree
	mapfile -t steplist < <(bench_list guest-lossfree STEPS)
	for step in "${steplist[@]}"; do
		steps=$((steps + 1))
		m=$(flood_once "$rep" rx "$step" "$name" 5003) || {
			FLOOD_RUNDIR=
			return 1
		}
		IFS=, read -r -a f <<< "$m"
		# duration,sent,received,lost,loss_pct,achieved_pps,counters...
		loss=${f[4]:-0}
		if awk -v l="$loss" -v b="$GUEST_LOSSFREE_MAX_LOSS" 'BEGIN { exit !(l + 0 > b + 0) }'; then
			badoff=$step
			badloss=$loss
			break
		fi
		goodoff=$step
		goodrate=${f[5]}
		good=$(IFS=,; echo "${f[*]:6:ncounters}")
	done
	FLOOD_RUNDIR=
	[ -n "$good" ] || good=$(printf ',%.0s' $(seq 2 "$ncounters"))
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$GUEST_DUR" "$goodrate" "$goodoff" \
		"$badoff" "$badloss" "$steps" "$good" \
		"$(since "$t0")"
}

bench_guest-lossfree() {
	guest_bench guest-lossfree
}
guest_register guest-lossfree lossfree_once "$GUEST_LOSSFREE_COLUMNS"
