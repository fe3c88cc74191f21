# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-rr": request/response latency between L1 (sockperf
# client) and the guest (sockperf server, UDP, 14-byte messages), every
# comparator in the same L1 boot. The rate column picks the mode:
#   R < 300    ping-pong at R requests/s (below the 300 pps gate:
#              ours must behave like stock)
#   0 ("max")  ping-pong as fast as it goes: one request in flight, so
#              the rate is 1/RTT (under TCG a few hundred per second,
#              which may stay below the gate)
#   R >= 300   under-load at R requests/s, every request answered
#              (--reply-every 1): many in flight, above the gate
# Direction "udp": one client; "udp8": RR_CLIENTS (8) ping-pong clients
# at once against the same server port, so 8 requests are in flight
# (their transactions and rates add up; p50 is the median of the
# clients' p50s, p99 the largest p99, the average their mean).
# Latency is the full round trip (--full-rtt) over the valid part of the
# run (sockperf drops its 400 ms warm-up); transactions/s are replies per
# second. Counters per transaction (request + reply) as in guest-flood.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"

RR_PORT=11111
RR_CLIENTS=8
GUEST_RR_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,mode,transactions,tps,lat_p50_us,lat_p99_us,lat_avg_us,dropped,$GUEST_COUNTER_COLUMNS,wall_s

bench_guest-rr_runs() {
	bench_count guest-rr
}

# rr_once REP DIR RATE NAME: one sockperf run; prints the metric columns.
rr_once() {
	local rep=$1 rate=$3 name=$4
	local r=$BENCH_OUT/runs/guest-rr/$name-$2-$rate-r$rep
	local t0=$EPOCHREALTIME mode args=() m clients=1 i p fail=0
	local -a pids=()

	command -v sockperf >/dev/null || { echo "sockperf not installed (make deps)" >&2; return 1; }
	if [ "$rate" = 0 ]; then
		mode=pp; args=(ping-pong --mps max)
	elif [ "$rate" -lt "$GUEST_THRESHOLD" ]; then
		mode=pp; args=(ping-pong --mps "$rate")
	else
		mode=ul; args=(under-load --mps "$rate" --reply-every 1)
	fi
	# the server (once per guest boot) and the guest's snapshot
	l2 "command -v sockperf >/dev/null || { echo 'no sockperf in the guest image' >&2; exit 1; }
	    if ! pidof sockperf >/dev/null; then
		setsid sockperf sr -i $L2_IP -p $RR_PORT > /tmp/sockperf.log 2>&1 < /dev/null &
		sleep 1
		pidof sockperf >/dev/null || { cat /tmp/sockperf.log >&2; exit 1; }
	    fi
	    $GUEST_COUNTERS" > "$r.gb" || { cat "$r.gb" >&2; return 1; }
	[ "$2" = udp8 ] && clients=$RR_CLIENTS
	l1_snap > "$r.hb"
	for ((i = 1; i <= clients; i++)); do
		timeout $((${GUEST_DUR%.*} + 30)) sockperf "${args[@]}" \
			-i "$L2_IP" -p "$RR_PORT" -t "$GUEST_DUR" --full-rtt \
			> "$r.out.$i" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail=1
	done
	l1_snap > "$r.ha"
	cat "$r".out.* > "$r.out"
	[ "$fail" = 0 ] || { cat "$r.out" >&2; return 1; }
	l2 "$GUEST_COUNTERS" > "$r.ga" || return 1
	# the numbers of every client, without sockperf's colour escapes
	m=$(for ((i = 1; i <= clients; i++)); do
		sed 's/\x1b\[[0-9;]*m//g' "$r.out.$i"; echo __END__
	    done | awk -f "$NCOAL_ROOT/tools/testing/vm/sockperf-sum.awk") || { echo "no sockperf result" >&2; tail -n 5 "$r.out" >&2; return 1; }
	set -- $m
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$GUEST_DUR" "$mode" "$1" "$2" \
		"$3" "$4" "$5" "$6" \
		"$(guest_counters "$r.gb" "$r.ga" "$r.hb" "$r.ha" "$1")" \
		"$(since "$t0")"
}

bench_guest-rr() {
	guest_bench guest-rr
}
guest_register guest-rr rr_once "$GUEST_RR_COLUMNS"
