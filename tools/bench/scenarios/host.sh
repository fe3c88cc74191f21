# SPDX-License-Identifier: GPL-2.0
#
# Scenario "host": vhost_net alone, no guest. tools/vhost_net_drv acts as
# VMM and guest in one process (rings in its own memory, a tap backend,
# call/kick eventfds) and counts the signals vhost_net sends per packet.
#   rx: frames injected into the tap, vhost delivers them to the RX ring
#   tx: frames queued on the TX ring, vhost transmits them to the tap
# Stock and ours are loaded in turn in the same boot; each (rep,
# direction, rate) group runs every setting back to back, the module
# already loaded first (one reload per group), so stock and ours are
# measured minutes apart at most.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

HOST_DRV=$NCOAL_ROOT/tools/vhost_net_drv/vhost-net-drv

# The raw CSV. Per-packet values divide by the packets received in the
# run's direction (process-wide counters: by all packets received).
HOST_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,elapsed_s,sent,received,lost,loss_pct,achieved_pps,signals,signals_per_pkt,vhost_wakeups_per_pkt,driver_wakeups_per_pkt,ctxsw_per_pkt,ctxsw_vol_per_pkt,cpu_us_per_pkt,delay_p50_us,delay_p99_us,timer_fires,timer_fires_per_pkt,sock_defers,sock_defers_per_pkt,frame_flushes,coal_state,coal_activations,wall_s

bench_host_runs() {
	bench_count host
}

# host_metrics KVFILE DIR MODULE T0 T1: the metric columns (from
# duration_s on) of one run that took T0..T1 ($EPOCHREALTIME); fails if
# the output is unusable or the wrong module answered.
host_metrics() {
	awk -v d="$2" -v mod="$3" -v t0="$4" -v t1="$5" '
	{ i = index($0, "="); if (i) v[substr($0, 1, i - 1)] = substr($0, i + 1) }
	function num(k) { return (k in v) ? v[k] + 0 : 0 }
	function per(x, n) { return n > 0 ? sprintf("%.6g", x / n) : "" }
	function coal(k) { return (v["coalesce_supported"] == 1 && (d "_coal_" k) in v) ? v[d "_coal_" k] : "" }
	END {
		if (!("pkts_total" in v)) { print "no report from the driver" > "/dev/stderr"; exit 1 }
		if (mod == "ours" && v["coalesce_supported"] != 1) { print "ours loaded but coalescing not supported" > "/dev/stderr"; exit 1 }
		if (mod == "stock" && v["coalesce_supported"] == 1) { print "stock loaded but coalescing supported" > "/dev/stderr"; exit 1 }
		sent = num(d "_sent"); recv = num(d "_received"); tot = num("pkts_total")
		if (recv == 0) { print "no packet received" > "/dev/stderr"; exit 1 }
		el = num("elapsed_s")
		tf = coal("timer_fires"); sd = coal("sock_defers")
		printf "%s,%s,%d,%d,%d,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.1f\n",
			v["duration_s"], v["elapsed_s"], sent, recv, num(d "_lost"),
			per(100 * num(d "_lost"), sent), per(recv, el),
			num(d "_signals"), per(num(d "_signals"), recv),
			per(num("vhost_ctxsw_vol"), tot),
			per(num(d "_wakeups"), recv),
			per(num("ctxsw_vol") + num("ctxsw_invol"), tot),
			per(num("ctxsw_vol"), tot),
			per(1000 * (num("cpu_user_ms") + num("cpu_sys_ms")), tot),
			v[d "_delay_p50_us"], v[d "_delay_p99_us"],
			tf, (tf == "" ? "" : per(tf, recv)),
			sd, (sd == "" ? "" : per(sd, recv)),
			coal("frame_flushes"), coal("state"), coal("activations"),
			t1 - t0
	}' "$1"
}

# host_one REP DIR RATE SETTING: one run, one CSV row.
host_one() {
	local rep=$1 dir=$2 rate=$3 name=$4 mod spec
	local us="" fr="" th="" iv="" args=() id kv m key t0

	mod=${HOST_MOD[$name]}
	spec=${HOST_SPEC[$name]}
	args=(-m "$dir" -r "$rate" -d "$HOST_DUR")
	if [ "$spec" != - ]; then
		IFS=: read -r us fr th iv <<< "$spec"
		args+=(-c "rx:$spec" -c "tx:$spec")
	fi
	id=$name-$dir-$rate-r$rep
	kv=$BENCH_OUT/runs/host/$id
	m="$rate pps"
	[ "$rate" = 0 ] && m=max
	bench_progress "host rep $rep $dir $m $name"
	key="host,$mod,$name,$us,$fr,$th,$iv,$rate,$dir,$rep"
	if ! bench_module "$mod"; then
		bench_error "$id: loading $mod vhost_net" /dev/null
		bench_row host "$HOST_COLUMNS" "$key,0"
		return 1
	fi
	if [ "$BENCH_MODULE_CHANGED" = 1 ] && [ "$HOST_WARM" != 0 ]; then
		# warm-up after a reload (module text, driver pages): not recorded
		timeout 60 "$HOST_DRV" -m "$dir" -r 1000 -d "$HOST_WARM" >/dev/null 2>&1
	fi
	t0=$EPOCHREALTIME
	if timeout $((${HOST_DUR%.*} * 3 + 90)) "$HOST_DRV" "${args[@]}" \
			> "$kv" 2> "$kv.err" &&
	   m=$(host_metrics "$kv" "$dir" "$mod" "$t0" "$EPOCHREALTIME" 2>> "$kv.err"); then
		bench_row host "$HOST_COLUMNS" "$key,1,$m"
		return 0
	fi
	bench_error "$id: vhost-net-drv ${args[*]}" "$kv.err"
	bench_row host "$HOST_COLUMNS" "$key,0"
	return 1
}

bench_host() {
	local rep dir rate n mod first second status=0 line
	local -a settings rates dirs order
	declare -gA HOST_MOD HOST_SPEC

	[ -x "$HOST_DRV" ] || { bench_error "host: $HOST_DRV not built" /dev/null; return 1; }
	mkdir -p "$BENCH_OUT/runs/host"
	mapfile -t settings < <(bench_list host SETTINGS)
	mapfile -t rates < <(bench_list host RATES)
	mapfile -t dirs < <(bench_list host DIRS)
	HOST_DUR=$(bench_list host DURATION)
	HOST_WARM=$(bench_list host WARMUP)
	for n in "${settings[@]}"; do
		read -r _ HOST_MOD[$n] HOST_SPEC[$n] <<< "$(bench_setting host "$n")"
	done
	for ((rep = 1; rep <= BENCH_REPS; rep++)); do
		for dir in "${dirs[@]}"; do
			for rate in "${rates[@]}"; do
				# the loaded module's settings first: one reload per group
				first=${BENCH_MODULE:-stock}
				[ "$first" = stock ] && second=ours || second=stock
				order=()
				for mod in "$first" "$second"; do
					for n in "${settings[@]}"; do
						[ "${HOST_MOD[$n]}" = "$mod" ] && order+=("$n")
					done
				done
				for n in "${order[@]}"; do
					host_one "$rep" "$dir" "$rate" "$n" || status=1
				done
			done
		done
	done
	return $status
}
