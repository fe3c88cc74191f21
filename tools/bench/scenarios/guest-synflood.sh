# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-synflood": a TCP SYN flood from L1 into the guest
# (hping3 -S at the guest's listening iperf3 port 5201; the guest answers
# with SYN cookies once its queue fills, L1 resets them), and the
# "degradation under flood": ping RTT from L1 to the guest at 10/s (below
# the gate) during the flood divided by the same ping without the flood,
# measured right before it, for every comparator in the same L1 boot.
# Plus guest interrupts, context switches and CPU per packet sent to the
# guest (tap0's tx_packets in L1: the SYNs, L1's resets answering the
# guest's SYN-ACKs, and the pings).
#
# Then the thesis's kind of degradation, in a second flood of the same
# rate: a TCP stream from L1 to the guest (iperf3, as fast as it goes,
# to the flooded server) without the flood and under it; tcp_kept is
# the throughput under flood / without (the throughput lost: 1 -
# tcp_kept). Its packets stay out of the per-packet counters above.
#
# Scale: the matrix's rates are ~100x below a hardware SYN flood (which
# runs at 100k-1M SYN/s); "max" is hping3 --flood, what one emulated L1
# CPU manages. The rate column is the offered rate; syn_pps what went.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"

SYN_PORT=5201
GUEST_SYNFLOOD_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,syn_sent,syn_pps,rtt_idle_p50_ms,rtt_idle_p99_ms,rtt_flood_p50_ms,rtt_flood_p99_ms,degradation_p50,degradation_p99,ping_loss_flood_pct,$GUEST_COUNTER_COLUMNS,tcp_idle_mbps,tcp_flood_mbps,tcp_kept,wall_s

bench_guest-synflood_runs() {
	bench_count guest-synflood
}

# ping_stats FILE: "p50 p99 loss_pct" of an iputils ping output (ms)
ping_stats() {
	awk '/time=/ { sub(/.*time=/, ""); sub(/ .*/, ""); t[n++] = $0 + 0 }
	     /packets transmitted/ { tx = $1; rx = $4 }
	     END {
		if (n == 0) { print "- - 100"; exit }
		# insertion sort: a few hundred values at most
		for (i = 1; i < n; i++) {
			v = t[i]
			for (j = i - 1; j >= 0 && t[j] > v; j--) t[j + 1] = t[j]
			t[j + 1] = v
		}
		p50 = t[int((n - 1) * 0.50 + 0.5)]
		p99 = t[int((n - 1) * 0.99 + 0.5)]
		printf "%.4g %.4g %.3g\n", p50, p99, (tx > 0 ? 100 * (tx - rx) / tx : 0)
	     }' "$1"
}

# hping_args RATE DUR: hping3's pacing for RATE SYN/s over DUR s
hping_args() {
	if [ "$1" = 0 ]; then
		echo --flood
	else
		echo "-i u$((1000000 / $1)) -c $(($1 * $2))"
	fi
}

# tcp_mbps FILE: the receiver's Mbit/s of an iperf3 -f m client output
tcp_mbps() {
	awk '/ receiver$/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) }
	     END { if (v != "") print v }' "$1"
}

# synflood_tcp R RATE DUR: "idle,flood,kept" Mbit/s of a TCP stream to
# the guest without and under a SYN flood at RATE (empty fields when
# a stream did not run: the flood may keep its connection out).
synflood_tcp() {
	local r=$1 rate=$2 dur=$3 hpid idle flood

	timeout $((dur + 15)) iperf3 -c "$L2_IP" -p "$SYN_PORT" -t "$dur" -f m \
		--connect-timeout 3000 > "$r.tcp-idle" 2>&1
	idle=$(tcp_mbps "$r.tcp-idle")
	# shellcheck disable=SC2046 # hping_args: words
	timeout "$((dur + 4))" hping3 -q -S -p "$SYN_PORT" \
		$(hping_args "$rate" $((dur + 2))) "$L2_IP" > "$r.hping-tcp" 2>&1 &
	hpid=$!
	sleep 0.5
	timeout $((dur + 15)) iperf3 -c "$L2_IP" -p "$SYN_PORT" -t "$dur" -f m \
		--connect-timeout 3000 > "$r.tcp-flood" 2>&1
	flood=$(tcp_mbps "$r.tcp-flood")
	wait $hpid
	echo "$idle,$flood,$(per "$flood" "$idle")"
}

# synflood_once REP DIR RATE NAME: one run; prints the metric columns.
synflood_once() {
	local rep=$1 rate=$3 name=$4
	local r=$BENCH_OUT/runs/guest-synflood/$name-$2-$rate-r$rep
	local t0=$EPOCHREALTIME dur=${GUEST_DUR%.*} hpid n i0 i1 i2 f0 f1 f2 sent i
	local tcp

	command -v hping3 >/dev/null || { echo "hping3 not installed (make deps)" >&2; return 1; }
	n=$((dur * 10 - 10))
	[ "$n" -ge 10 ] || n=10
	ping -n -c "$n" -i 0.1 -W 2 "$L2_IP" > "$r.ping-idle" 2>&1
	l2 "$GUEST_COUNTERS" > "$r.gb" || return 1
	l1_snap > "$r.hb"
	# shellcheck disable=SC2046 # hping_args: words
	timeout "$((dur + 2))" hping3 -q -S -p "$SYN_PORT" \
		$(hping_args "$rate" "$dur") "$L2_IP" > "$r.hping" 2>&1 &
	hpid=$!
	sleep 0.5
	ping -n -c "$n" -i 0.1 -W 2 "$L2_IP" > "$r.ping-flood" 2>&1
	wait $hpid
	sleep 0.5
	l1_snap > "$r.ha"
	# a flooded guest may stop answering for a while (seen with
	# napi-defer): wait for it, the run still counts if it comes back
	for i in 1 2 3 4 5 6; do
		l2 -t 30 "$GUEST_COUNTERS" > "$r.ga" && break
		: > "$r.ga"
		sleep 5
	done
	[ -s "$r.ga" ] || { echo "guest did not answer after the flood" >&2; return 1; }
	sent=$(snap_delta "$r.hb" "$r.ha" tap_tx)
	[ -n "$sent" ] && [ "$sent" -gt 0 ] || { echo "nothing sent" >&2; return 1; }
	read -r i0 i1 i2 <<< "$(ping_stats "$r.ping-idle")"
	read -r f0 f1 f2 <<< "$(ping_stats "$r.ping-flood")"
	[ "$i0" != - ] || { echo "no ping reply without the flood" >&2; return 1; }
	[ "$f0" = - ] && { f0=""; f1=""; }
	[ "$i0" = - ] && { i0=""; i1=""; }
	tcp=$(synflood_tcp "$r" "$rate" "$dur")
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$GUEST_DUR" "$sent" \
		"$(per "$sent" "$GUEST_DUR")" "$i0" "$i1" "$f0" "$f1" \
		"$(per "$f0" "$i0")" "$(per "$f1" "$i1")" "$f2" \
		"$(guest_counters "$r.gb" "$r.ga" "$r.hb" "$r.ha" "$sent")" \
		"$tcp" "$(since "$t0")"
}

bench_guest-synflood() {
	guest_bench guest-synflood
}
guest_register guest-synflood synflood_once "$GUEST_SYNFLOOD_COLUMNS"
