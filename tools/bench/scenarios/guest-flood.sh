# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-flood": small-packet UDP floods through the two-level
# rig (tools/udpflood, 18-byte payloads), at rates across the scaled
# 1,000 pps gate, every comparator in the same L1 boot.
#   rx: L1 sends to a receiver in the guest (host -> guest)
#   tx: the guest sends to a receiver in L1 (guest -> host)
# Per delivered packet: guest virtio interrupts (/proc/interrupts in L2),
# guest kicks (ethtool -S rxN_kicks / txN_kicks in L2), host signals
# (our vhost_net's debugfs, both rings; stock has none), context
# switches and busy CPU time on both levels (/proc/stat), and the loss.
# The counter windows span the flood plus about a second of drain and
# one command exchange with the guest, the same for every comparator.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"

GUEST_FLOOD_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,sent,received,lost,loss_pct,achieved_pps,$GUEST_COUNTER_COLUMNS,wall_s

bench_guest-flood_runs() {
	bench_count guest-flood
}

# flood_once REP DIR RATE NAME [PORT]: one flood; prints the metric
# columns from duration_s on. Two commands to the guest per run at most
# (each costs seconds in the emulated test host).
flood_once() {
	local rep=$1 dir=$2 rate=$3 name=$4 port=${5:-5002}
	local r=$BENCH_OUT/runs/guest-flood/$name-$dir-$rate-r$rep
	local t0=$EPOCHREALTIME sent recv lost rpid out

	[ -n "${FLOOD_RUNDIR:-}" ] && r=$FLOOD_RUNDIR/$name-$dir-$rate-r$rep
	if [ "$dir" = rx ]; then
		# receiver in the guest, started before the guest's snapshot
		l2 "udpflood recv --idle 1 --timeout 60 $port > /tmp/recv.out 2>&1 &
		    $GUEST_COUNTERS > /tmp/gb" >/dev/null || return 1
		l1_snap > "$r.hb"
		"$UDPFLOOD" send --rate "$rate" --duration "$GUEST_DUR" \
			"$L2_IP:$port" > "$r.send" || return 1
		sleep 1
		l1_snap > "$r.ha"
		l2 -t 60 "while pidof udpflood >/dev/null; do sleep 0.2; done
		    $GUEST_COUNTERS > /tmp/ga
		    echo '== gb'; cat /tmp/gb; echo '== ga'; cat /tmp/ga
		    echo '== recv'; cat /tmp/recv.out" > "$r.out" || return 1
		split_sections "$r.out" "$r"
		read -r out < "$r.send"
		sent=$(kvb sent "$out")
		read -r out < "$r.recv"
	else
		"$UDPFLOOD" recv --idle 1 --timeout 60 "$port" > "$r.recv" &
		rpid=$!
		sleep 0.3
		l1_snap > "$r.hb"
		l2 -t $((${GUEST_DUR%.*} + 90)) "$GUEST_COUNTERS > /tmp/gb
		    udpflood send --rate $rate --duration $GUEST_DUR $L1_IP:$port > /tmp/send.out
		    sleep 0.5
		    $GUEST_COUNTERS > /tmp/ga
		    echo '== gb'; cat /tmp/gb; echo '== ga'; cat /tmp/ga
		    echo '== send'; cat /tmp/send.out" > "$r.out" ||
			{ kill $rpid 2>/dev/null; return 1; }
		wait $rpid
		l1_snap > "$r.ha"
		split_sections "$r.out" "$r"
		read -r out < "$r.send"
		sent=$(kvb sent "$out")
		read -r out < "$r.recv"
	fi
	recv=$(kvb received "$out")
	lost=$(kvb lost "$out")
	[ -n "$recv" ] && [ "$recv" -gt 0 ] 2>/dev/null ||
		{ echo "nothing received: $out" >&2; return 1; }
	[ -n "$sent" ] || { echo "no sender report" >&2; return 1; }
	# lost: what the receiver saw missing, plus a lost tail
	[ "$sent" -gt "$((recv + lost))" ] && lost=$((sent - recv))
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$GUEST_DUR" "$sent" "$recv" "$lost" \
		"$(per $((100 * lost)) "$sent")" "$(per "$recv" "$GUEST_DUR")" \
		"$(guest_counters "$r.gb" "$r.ga" "$r.hb" "$r.ha" "$recv")" \
		"$(since "$t0")"
}

bench_guest-flood() {
	guest_bench guest-flood
}
guest_register guest-flood flood_once "$GUEST_FLOOD_COLUMNS"
