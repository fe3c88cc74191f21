# SPDX-License-Identifier: GPL-2.0
#
# Scenario "guest-web": a small web workload (the thesis's Apache test,
# scaled): nginx in the guest (Debian's package, unpacked into the guest
# image by scripts/guest-debs.sh and scripts/mkinitramfs.sh; its config
# is scripts/vm.d/nginx.conf: one worker, no access log, everything in
# /tmp) serves a 1 KiB page, wrk in L1 fetches it as fast as it can over
# C parallel connections, for every comparator in the same L1 boot.
# Direction "http": nginx closes each connection (keepalive_timeout 0,
# port 8080: a TCP connection per request); "keepalive": port 8081
# keeps them open (many requests per connection). Requests/s, wrk's latency percentiles and the counters per
# request (request + response packets: as in guest-flood, divided by
# requests completed).
# Runs saved before nginx (data of 2026-12-02) measured busybox httpd,
# also a connection per request; the meta key guest-web_server says
# which server a run measured, and report.py does not pool the two.
# The rate column is the number of connections (wrk -c), not a rate.
#
# Sourced by bench-l1.sh (which provides bench_row, bench_module, ...).

. "$BENCH_DIR/scenarios/guest-lib.sh"

# scripts/vm.d/nginx.conf listens there
WEB_PORT=8080
WEB_KA_PORT=8081
# what the run measured, for meta.txt (report.py names it; the Debian
# version is added from the guest image's guest-debs/versions)
WEB_SERVER=nginx
GUEST_WEB_COLUMNS=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,requests,rps,lat_p50_ms,lat_p99_ms,socket_errors,$GUEST_COUNTER_COLUMNS,wall_s

bench_guest-web_runs() {
	bench_count guest-web
}

# wrk_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.50s" in milliseconds
wrk_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1;
		else if (v ~ /m$/) m = 60000; else if (v ~ /s$/) m = 1000; else m = 1
		sub(/[a-z]+$/, "", v); printf "%.4g\n", v * m }'
}

# web_once REP DIR CONNS NAME: one wrk run; prints the metric columns.
web_once() {
	local rep=$1 conns=$3 name=$4
	local r=$BENCH_OUT/runs/guest-web/$name-$2-$conns-r$rep
	local t0=$EPOCHREALTIME req rps p50 p99 err port

	command -v wrk >/dev/null || { echo "wrk not installed (make deps)" >&2; return 1; }
	[ "$conns" -gt 0 ] 2>/dev/null || conns=1
	# the page and the server (once per guest boot), the guest's snapshot
	l2 "[ -f /tmp/www/index.html ] || {
		mkdir -p /tmp/www
		head -c 1024 /dev/zero | tr '\\0' x > /tmp/www/index.html
	    }
	    command -v nginx >/dev/null || { echo 'no nginx in the guest image' >&2; exit 1; }
	    if ! [ -s /tmp/nginx.pid ] || ! kill -0 \$(cat /tmp/nginx.pid) 2>/dev/null; then
		nginx -c /etc/nginx/nginx.conf -p /tmp/ > /tmp/nginx.log 2>&1 < /dev/null ||
			{ cat /tmp/nginx.log /tmp/nginx-error.log >&2; exit 1; }
	    fi
	    $GUEST_COUNTERS" > "$r.gb" || { cat "$r.gb" >&2; return 1; }
	# once per benchmark (this runs in a subshell: a marker file)
	if [ ! -e "$BENCH_OUT/runs/guest-web/.meta" ]; then
		: > "$BENCH_OUT/runs/guest-web/.meta"
		bench_meta guest-web_server "$WEB_SERVER $(awk '$1 == "nginx" { print $2 }' \
			"$GUEST_BUILD/guest-debs/versions" 2>/dev/null)"
	fi
	l1_snap > "$r.hb"
	port=$WEB_PORT
	[ "$2" = keepalive ] && port=$WEB_KA_PORT
	timeout $((${GUEST_DUR%.*} + 30)) wrk -t 1 -c "$conns" \
		-d "${GUEST_DUR%.*}s" --latency "http://$L2_IP:$port/index.html" \
		> "$r.out" 2>&1 || { cat "$r.out" >&2; return 1; }
	l1_snap > "$r.ha"
	l2 "$GUEST_COUNTERS" > "$r.ga" || return 1
	req=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$r.out")
	rps=$(sed -n 's/^Requests\/sec: *//p' "$r.out")
	p50=$(wrk_ms "$(awk '$1 == "50%" { print $2 }' "$r.out")")
	p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' "$r.out")")
	err=$(sed -n 's/.*Socket errors: \(.*\)/\1/p' "$r.out" |
		awk -F'[ ,]+' '{ for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }')
	[ -n "$req" ] && [ "$req" -gt 0 ] ||
		{ echo "no request completed" >&2; cat "$r.out" >&2; return 1; }
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$GUEST_DUR" "$req" "$rps" "$p50" \
		"$p99" "$err" \
		"$(guest_counters "$r.gb" "$r.ga" "$r.hb" "$r.ha" "$req")" \
		"$(since "$t0")"
}

bench_guest-web() {
	guest_bench guest-web
}
guest_register guest-web web_once "$GUEST_WEB_COLUMNS"
