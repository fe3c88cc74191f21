# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-memcached": a latency-sensitive service. memcached in
# the guest (Debian's package, unpacked into the guest image by
# scripts/guest-debs.sh and scripts/mkinitramfs.sh; one thread, 64 MB,
# TCP only) and tools/mcload in L1: C TCP connections, each with one
# request in flight (closed loop, as fast as memcached answers), 90% gets
# and 10% sets of 100-byte values over 1,000 keys, memcached's text
# protocol. The keys are set once per guest boot before any counter
# snapshot (mcload --prefill), so gets hit. For every comparator in the
# same L1 boot: requests/s, mcload's latency p50/p99 of each request
# (write to complete answer), and the counters per request (request +
# answer packets: as in guest-flood, divided by the requests answered).
# The rate column is the number of connections (mcload --conns), not a
# rate; the direction "getset" is the only one.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"

MC_PORT=11211
MC_KEYS=1000
MC_SIZE=100
MC_GET_PCT=90
MCLOAD=$NCOAL_BUILD/l1-tools/mcload
GUEST_MEMCACHED_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,requests,rps,lat_p50_ms,lat_p99_ms,lat_avg_ms,hit_pct,errors,$GUEST_COUNTER_COLUMNS,wall_s

bench_guest-memcached_runs() {
	bench_count guest-memcached
}

# mc_once REP DIR CONNS NAME: one mcload run; prints the metric columns.
mc_once() {
	local rep=$1 conns=$3 name=$4
	local r=$BENCH_OUT/runs/guest-memcached/$name-$2-$conns-r$rep
	local t0=$EPOCHREALTIME out req gets hits

	[ -x "$MCLOAD" ] || { echo "$MCLOAD missing (make tools)" >&2; return 1; }
	[ "$conns" -gt 0 ] 2>/dev/null || conns=1
	# the server (once per guest boot: it says __MC_STARTED, and then
	# the keys are set before the snapshot is taken again), the guest's
	# snapshot. 2BCB: port 11211 in /proc/net/tcp, 0A: listening.
	l2 "command -v memcached >/dev/null || { echo 'no memcached in the guest image' >&2; exit 1; }
	    if ! [ -s /tmp/memcached.pid ] || ! kill -0 \$(cat /tmp/memcached.pid) 2>/dev/null; then
		memcached -d -u root -l $L2_IP -p $MC_PORT -U 0 -t 1 -m 64 -c 256 \
			-P /tmp/memcached.pid > /tmp/memcached.log 2>&1 < /dev/null ||
			{ cat /tmp/memcached.log >&2; exit 1; }
		i=0
		while ! grep -q ':2BCB 00000000:0000 0A' /proc/net/tcp; do
			i=\$((i + 1))
			[ \$i -lt 100 ] || { echo 'memcached does not listen' >&2; cat /tmp/memcached.log >&2; exit 1; }
			sleep 0.1
		done
		echo __MC_STARTED
	    fi
	    $GUEST_COUNTERS" > "$r.gb" || { cat "$r.gb" >&2; return 1; }
	if [[ "$(< "$r.gb")" == *__MC_STARTED* ]]; then
		"$MCLOAD" --prefill --duration 0 --keys $MC_KEYS --size $MC_SIZE \
			"$L2_IP:$MC_PORT" > "$r.prefill" 2>&1 ||
			{ cat "$r.prefill" >&2; return 1; }
		l2 "$GUEST_COUNTERS" > "$r.gb" || { cat "$r.gb" >&2; return 1; }
	fi
	# once per benchmark (this runs in a subshell: a marker file)
	if [ ! -e "$BENCH_OUT/runs/guest-memcached/.meta" ]; then
		: > "$BENCH_OUT/runs/guest-memcached/.meta"
		bench_meta guest-memcached_server "memcached $(awk '$1 == "memcached" { print $2 }' \
			"$GUEST_BUILD/guest-debs/versions" 2>/dev/null)"
		bench_meta guest-memcached_load "mcload keys=$MC_KEYS size=$MC_SIZE get_pct=$MC_GET_PCT"
	fi
	l1_snap > "$r.hb"
	timeout $((${GUEST_DUR%.*} + 30)) "$MCLOAD" --conns "$conns" \
		--duration "$GUEST_DUR" --keys $MC_KEYS --size $MC_SIZE \
		--get-pct $MC_GET_PCT "$L2_IP:$MC_PORT" > "$r.out" 2>&1 ||
		{ cat "$r.out" >&2; return 1; }
	l1_snap > "$r.ha"
	l2 "$GUEST_COUNTERS" > "$r.ga" || return 1
	out=$(< "$r.out")
	req=$(kvb requests "$out")
	gets=$(kvb gets "$out")
	hits=$(kvb hits "$out")
	[ -n "$req" ] && [ "$req" -gt 0 ] ||
		{ echo "no request answered" >&2; cat "$r.out" >&2; return 1; }
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$GUEST_DUR" "$req" \
		"$(kvb rps "$out")" "$(kvb lat_p50_ms "$out")" \
		"$(kvb lat_p99_ms "$out")" "$(kvb lat_avg_ms "$out")" \
		"$(per "$hits" "$gets" 100)" "$(kvb errors "$out")" \
		"$(guest_counters "$r.gb" "$r.ga" "$r.hb" "$r.ha" "$req")" \
		"$(since "$t0")"
}

bench_guest-memcached() {
	guest_bench guest-memcached
}
guest_register guest-memcached mc_once "$GUEST_MEMCACHED_COLUMNS"
