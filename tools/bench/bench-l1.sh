#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-l1.sh: the benchmark runs, inside the test host (L1). Started by
# tools/bench/bench.sh through scripts/vm; everything it keeps goes to
# $NCOAL_OUT (shared with this machine: scripts/vm -o DIR):
#
#   raw-<scenario>.csv  one row per (scenario, module, setting, rate,
#                       direction, rep); ok=0 rows are failed runs
#   meta.txt            key=value: kernel, module identities, matrix, times
#   runs/<scenario>/    each run's key=value output, for digging
#   errors.log          failed runs: command line and stderr
#   scenarios.done      the scenarios finished, one a line
#
# usage: bench-l1.sh [--quick] [--reps N] [--only S[,S...]]
#                    [--rates "R ..."] [--settings "NAME ..."]
#                    [--dirs "rx tx"] [--duration SEC]
#
# The matrix is tools/bench/matrix.sh; a scenario's runs are in
# tools/bench/scenarios/<name>.sh.

set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH_DIR/../testing/vm/lib.sh"
. "$BENCH_DIR/matrix.sh"

only=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) BENCH_QUICK=1; shift ;;
	--reps) BENCH_REPS=$2; shift 2 ;;
	--only) IFS=, read -r -a only <<< "$2"; shift 2 ;;
	--rates) BENCH_RATES=$2; shift 2 ;;
	--settings) BENCH_SETTINGS=$2; shift 2 ;;
	--dirs) BENCH_DIRS=$2; shift 2 ;;
	--duration) BENCH_DURATION=$2; shift 2 ;;
	*) echo "bench-l1.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
. "$BENCH_DIR/lib.sh"
[ ${#only[@]} -gt 0 ] || only=("${BENCH_SCENARIOS[@]}")

BENCH_OUT=$NCOAL_OUT
mkdir -p "$BENCH_OUT" || exit 1
: > "$BENCH_OUT/errors.log"
: > "$BENCH_OUT/meta.txt"
: > "$BENCH_OUT/scenarios.done"

# --- helpers for the scenarios -------------------------------------------

bench_meta() {
	printf '%s=%s\n' "$1" "$2" >> "$BENCH_OUT/meta.txt"
}

BENCH_RUN_I=0
BENCH_RUN_N=0

# bench_progress TEXT: one line per run, with a count and a time estimate.
bench_progress() {
	local el=$SECONDS eta=""

	BENCH_RUN_I=$((BENCH_RUN_I + 1))
	if [ "$BENCH_RUN_I" -gt 1 ]; then
		eta=$(( el * (BENCH_RUN_N - BENCH_RUN_I + 1) / (BENCH_RUN_I - 1) ))
		eta=", ~$(( (eta + 59) / 60 )) min left"
	fi
	printf '>>> [%d/%d %dm%02ds%s] %s\n' "$BENCH_RUN_I" "$BENCH_RUN_N" \
		$((el / 60)) $((el % 60)) "$eta" "$*"
}

# bench_row SCENARIO COLUMNS VALUES: append one CSV row to
# raw-SCENARIO.csv (the header is written with the first row).
bench_row() {
	local f=$BENCH_OUT/raw-$1.csv

	[ -s "$f" ] || echo "$2" > "$f"
	echo "$3" >> "$f"
}

# bench_error TEXT FILE: record a failed run.
bench_error() {
	{
		echo "=== $1"
		[ -f "$2" ] && tail -n 20 "$2"
	} >> "$BENCH_OUT/errors.log"
	log "FAILED: $1 (see errors.log)"
}

# bench_module stock|ours: make that vhost_net the loaded one.
# BENCH_MODULE is the one loaded; BENCH_MODULE_CHANGED=1 if this call
# switched (the scenario may want a warm-up run).
BENCH_MODULE=
BENCH_MODULE_CHANGED=0
bench_module() {
	local v

	BENCH_MODULE_CHANGED=0
	[ "$BENCH_MODULE" = "$1" ] && [ -d /sys/module/vhost_net ] && return 0
	BENCH_MODULE=
	case "$1" in
	stock) host_load_stock || return 1 ;;
	ours) host_load_ours || return 1 ;;
	*) echo "bench: unknown module $1" >&2; return 1 ;;
	esac
	BENCH_MODULE=$1
	BENCH_MODULE_CHANGED=1
	# what was measured: each module's identity, once
	if [ -z "${BENCH_SEEN[$1]:-}" ]; then
		BENCH_SEEN[$1]=1
		read -r v < /sys/module/vhost_net/srcversion &&
			bench_meta "${1}_srcversion" "$v"
		[ "$1" = ours ] && bench_meta ours_ident "$(loaded_ident vhost_net)"
	fi
	return 0
}
declare -A BENCH_SEEN

# --- run ------------------------------------------------------------------

for s in "${only[@]}"; do
	if ! bench_known_scenario "$s"; then
		echo "bench-l1.sh: unknown scenario $s (have: ${BENCH_SCENARIOS[*]})" >&2
		exit 2
	fi
	. "$BENCH_DIR/scenarios/$s.sh"
	BENCH_RUN_N=$((BENCH_RUN_N + $(bench_count "$s")))
done

# What ran where: identities of both modules, the kernel, the matrix.
bench_meta l1_kernel "$(uname -r)"
bench_meta l1_cpus "$(nproc)"
bench_meta l1_cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
bench_meta l1_loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
bench_meta started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
bench_meta quick "$BENCH_QUICK"
bench_meta reps "$BENCH_REPS"
bench_meta scenarios "${only[*]}"
bench_meta stock_file "$(stock_ko vhost_net)"
# how slow the rig is right now: fork+exec of /bin/true, 5 times
# (hardware: well under 1 ms each)
t0=$EPOCHREALTIME
for i in 1 2 3 4 5; do /bin/true; done
t1=$EPOCHREALTIME
bench_meta l1_exec_ms "$(( (10#${t1/./} - 10#${t0/./}) / 5000 ))"
for s in "${only[@]}"; do
	p=$(bench_upper "$s")
	bench_meta "${s}_rates" "$(bench_list "$s" RATES | xargs)"
	bench_meta "${s}_dirs" "$(bench_list "$s" DIRS | xargs)"
	bench_meta "${s}_duration_s" "$(bench_list "$s" DURATION | xargs)"
	for n in $(bench_list "$s" SETTINGS); do
		def=$(bench_setting "$s" "$n") || {
			echo "bench-l1.sh: $s has no setting $n" >&2
			exit 2
		}
		bench_meta "${s}_setting_$n" "$def"
	done
	bench_meta "${s}_sweep_rate" "$(v="${p}_SWEEP_RATE"; echo "${!v:-}")"
done

log "benchmark: ${only[*]}, $BENCH_RUN_N runs, $BENCH_REPS rep(s)$([ "$BENCH_QUICK" = 1 ] && echo ', quick')"
l2_stop
SECONDS=0
status=0
for s in "${only[@]}"; do
	"bench_$s" || status=1
	# finished (bench.sh restarts a dead test host after the last one)
	echo "$s" >> "$BENCH_OUT/scenarios.done"
done

bench_meta l1_loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
bench_meta finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
bench_meta l1_seconds "$SECONDS"
bench_meta failed_runs "$(grep -c '^=== ' "$BENCH_OUT/errors.log")"
log "benchmark runs done in $SECONDS s"

if dmesg | grep -Eq "$DMESG_BAD"; then
	log "kernel log of the test host has problems:"
	dmesg | grep -E "$DMESG_BAD" | head -n 20 | sed 's/^/#   /'
	bench_meta l1_dmesg_clean 0
	status=1
else
	bench_meta l1_dmesg_clean 1
fi
exit $status
