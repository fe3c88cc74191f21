#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_report.sh: self-test of tools/bench/report.py on a small synthetic
# CSV (no VM). Prints TAP; exits 0 when every test passes.

set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
# KEEP=1: leave the files for a look
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

n=0
failed=0
skipped=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n $1 # SKIP ${*:2}"; }
# check NAME CMD...: one result; the command's output as diagnostics
check() {
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		[ -n "$out" ] && echo "$out" | sed 's/^/# /'
		not_ok "$name"
	fi
}

# The same interpreter choice as bench.sh: Debian's python3 has
# Debian's matplotlib.
PY=${PYTHON:-python3}
for p in "${PYTHON:-python3}" /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import matplotlib' 2>/dev/null; then
		PY=$p
		break
	fi
done

echo "TAP version 13"
[ -z "${KEEP:-}" ] || echo "# files in $T"

# Synthetic runs. At rx 3000 pps, signals/packet: stock 0.8 0.9 1.0,
# on-500 0.2 0.18 0.3, so the paired ratios are 0.25 0.2 0.3: median
# 0.25 [0.2, 0.3]; the ratio of the medians (0.2 / 0.9) would be 0.22.
# vhost wakeups: stock 0.5, on-500 0.25: ratio 0.5. One failed run
# (ok=0) must be left out; gated-500 at 1000 pps has 2 reps only.
H=scenario,module,setting,usecs,frames,threshold,interval_ms,rate,direction,rep,ok,duration_s,elapsed_s,sent,received,lost,loss_pct,achieved_pps,signals,signals_per_pkt,vhost_wakeups_per_pkt,driver_wakeups_per_pkt,ctxsw_per_pkt,ctxsw_vol_per_pkt,cpu_us_per_pkt,delay_p50_us,delay_p99_us,timer_fires,timer_fires_per_pkt,sock_defers,sock_defers_per_pkt,frame_flushes,coal_state,coal_activations
{
	echo "$H"
	row() { # setting module usecs thr rate rep sig wake
		echo "host,$2,$1,$3,$([ "$2" = ours ] && echo 64),$4,$([ "$2" = ours ] && echo 100),$5,rx,$6,1,3,3.0,9000,9000,0,0,3000,0,$7,$8,$7,1.0,0.9,100,500,900,,,,,,,"
	}
	for rate in 1000 3000; do
		row stock stock "" "" $rate 1 0.8 0.5
		row stock stock "" "" $rate 2 0.9 0.5
		row stock stock "" "" $rate 3 1.0 0.5
		row ours-off ours 0 0 $rate 1 0.8 0.5
		row ours-off ours 0 0 $rate 2 0.9 0.5
		row ours-off ours 0 0 $rate 3 1.0 0.5
		row on-500 ours 500 0 $rate 1 0.2 0.25
		row on-500 ours 500 0 $rate 2 0.18 0.25
		row on-500 ours 500 0 $rate 3 0.3 0.25
		row gated-500 ours 500 1000 $rate 1 0.4 0.5
		row gated-500 ours 500 1000 $rate 2 0.4 0.5
		[ $rate = 1000 ] || row gated-500 ours 500 1000 $rate 3 0.4 0.5
	done
	echo "host,ours,on-500,500,64,0,100,3000,rx,4,0"
} > "$T/raw-host.csv"
cat > "$T/meta.txt" <<EOF
started=2000-01-01T00:00:00Z
reps=3
host_sweep_rate=3000
host_rates=1000 3000
EOF

run_report() {
	"$PY" "$BENCH_DIR/report.py" --out "$T/out" --rst "$T/out/results.rst" \
		--meta "$T/meta.txt" "$@" "$T/raw-host.csv"
}

check "report.py runs on a synthetic CSV (tables only)" run_report --no-plots
R=$T/out/results.rst
A=$T/out/results.csv

agg() { # setting rate metric column
	"$PY" - "$A" "$@" <<'EOF'
import csv, sys
f, s, rate, m, col = sys.argv[1:]
for r in csv.DictReader(open(f)):
    if (r["setting"], r["rate"], r["metric"]) == (s, rate, m):
        print(r[col])
EOF
}
want() { # what got expected
	[ "$2" = "$3" ] || { echo "$1: got '$2', want '$3'"; return 1; }
}

check "aggregated CSV: median, min, max over reps" eval '
	want median "$(agg on-500 3000 signals_per_pkt median)" 0.2 &&
	want min "$(agg on-500 3000 signals_per_pkt min)" 0.18 &&
	want max "$(agg on-500 3000 signals_per_pkt max)" 0.3'
check "aggregated CSV: paired ratio to stock, median and range" eval '
	want ratio "$(agg on-500 3000 signals_per_pkt ratio_median)" 0.25 &&
	want ratio_min "$(agg on-500 3000 signals_per_pkt ratio_min)" 0.2 &&
	want ratio_max "$(agg on-500 3000 signals_per_pkt ratio_max)" 0.3 &&
	want wakeups "$(agg on-500 3000 vhost_wakeups_per_pkt ratio_median)" 0.5'
check "aggregated CSV: failed run left out and counted" eval '
	want n "$(agg on-500 3000 signals_per_pkt n)" 3 &&
	want failed "$(agg on-500 3000 signals_per_pkt failed)" 1'
check "aggregated CSV: stock has no ratio to itself" eval '
	want ratio "$(agg stock 3000 signals_per_pkt ratio_median)" ""'

# Saved runs (bench.sh --save): the same data as two runs, reps 1-2 and
# the failed row in one, rep 3 renumbered 1 in the other. The runs'
# repetitions add up and a ratio pairs within a run: without that, the
# second run's rep 1 would overwrite the first's (n=2, ratios of reps
# measured in different boots).
saved_runs() {
	local a=$T/data/20000101T000000Z b=$T/data/20000102T000000Z

	mkdir -p "$a" "$b"
	awk -F, 'NR == 1 || $10 != 3' "$T/raw-host.csv" > "$a/raw-host.csv"
	awk -F, -v OFS=, 'NR == 1 { print; next } $10 == 3 { $10 = 1; print }' \
		"$T/raw-host.csv" > "$b/raw-host.csv"
	printf 'host_started=2000-01-01T00:00:00Z\ngit_rev=aaa\nruns_planned=9\n' > "$a/host-meta.txt"
	printf 'host_started=2000-01-02T00:00:00Z\ngit_rev=bbb\n' > "$b/host-meta.txt"
	printf 'reps=2\nhost_sweep_rate=3000\nhost_rates=1000 3000\n' > "$a/meta.txt"
	printf 'reps=1\nhost_sweep_rate=3000\nhost_rates=1000 3000\n' > "$b/meta.txt"
	"$PY" "$BENCH_DIR/report.py" --out "$T/runs" --rst "$T/runs/results.rst" \
		--no-plots --run "$a" --run "$b" >/dev/null || return 1
	A=$T/runs/results.csv
	want n "$(agg on-500 3000 signals_per_pkt n)" 3 &&
	want ratio "$(agg on-500 3000 signals_per_pkt ratio_median)" 0.25 &&
	want ratio_min "$(agg on-500 3000 signals_per_pkt ratio_min)" 0.2 &&
	want ratio_max "$(agg on-500 3000 signals_per_pkt ratio_max)" 0.3 &&
	grep -q '^:repetitions: 3$' "$T/runs/results.rst" &&
	grep -q '^- 20000101T000000Z: .*revision aaa, 2 reps, .* of 9 planned' "$T/runs/results.rst" &&
	grep -q '^- 20000102T000000Z: .*revision bbb, 1 rep, ' "$T/runs/results.rst"
}
check "saved runs: repetitions add up, ratios paired within a run" saved_runs
A=$T/out/results.csv

check "rst: generated marker, not hand-written" \
	grep -q '^.. GENERATED by tools/bench/report.py' "$R"
check "rst: headline ratio with its spread (0.25 [0.20, 0.30])" \
	grep -qF '0.25 [0.20, 0.30]' "$R"
check "rst: median [min, max] and ratio in a detail cell" \
	grep -qF '0.200 [0.180, 0.300] ×0.25' "$R"
check "rst: wakeups ratio (0.50)" grep -qF '0.50 [0.50, 0.50]' "$R"
check "rst: a cell with fewer reps says so (n=2)" grep -qF '(n=2)' "$R"
check "rst: stock rows carry no ratio" eval '
	! grep -A3 "^   \* - stock\$" "$R" | grep -q "×"'
scaling_next_to_tables() {
	"$PY" - "$R" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
tables = [i for i, l in enumerate(lines) if l.startswith(".. list-table::")]
if not tables:
    sys.exit("no tables")
for i in tables:
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    k = j
    while k >= 0 and lines[k].strip():
        k -= 1
    para = " ".join(lines[k + 1:j + 1])
    if "TCG ~100x slower" not in para or " reps" not in para:
        sys.exit(f"table at line {i + 1} has no scaling note: {para!r}")
print(f"{len(tables)} tables, each with the scaling note")
EOF
}
check "rst: the emulation scaling and reps stated next to every table" \
	scaling_next_to_tables
check "rst: honest section on the emulated rig" \
	grep -q '^What an emulated rig can and cannot show' "$R"
check "rst: placeholder for what is not measured, marked" eval '
	grep -q "^Not measured yet (PLACEHOLDER)" "$R" &&
	grep -q "^- Guest scenarios" "$R"'
check "rst: says why there are no plots" grep -q 'Not generated: disabled' "$R"

if "$PY" -c 'import docutils' 2>/dev/null; then
	check "rst: valid reStructuredText (docutils, no warnings)" "$PY" -c '
import sys, io, docutils.core
err = io.StringIO()
docutils.core.publish_doctree(open(sys.argv[1]).read(), settings_overrides={
    "warning_stream": err, "report_level": 2, "halt_level": 5})
sys.exit(err.getvalue() or None)' "$R"
else
	skip "rst: valid reStructuredText" "python3-docutils not installed"
fi

# Without matplotlib: tables only, and the report says so.
mkdir -p "$T/nompl/matplotlib"
echo 'raise ImportError("hidden by test_report.sh")' > "$T/nompl/matplotlib/__init__.py"
rm -rf "$T/out"
check "without matplotlib: report still generated, tables only" eval '
	PYTHONPATH=$T/nompl run_report >/dev/null &&
	grep -q "Not generated: matplotlib not available" "$R" &&
	! ls "$T"/out/*.png >/dev/null 2>&1'

if "$PY" -c 'import matplotlib' 2>/dev/null; then
	rm -rf "$T/out"
	check "with matplotlib: plots vs rate and the sweep" eval '
		run_report >/dev/null &&
		test -s "$T/out/host-signals_per_pkt.png" &&
		test -s "$T/out/host-vhost_wakeups_per_pkt.png" &&
		test -s "$T/out/host-sweep-3000.png" &&
		grep -q "host-sweep-3000.png" "$R"'
else
	skip "with matplotlib: plots" "python3-matplotlib not installed"
fi

# Guest scenarios: generated rows through the same columns the scenario
# scripts write (their header variables), so a renamed column breaks
# this test. guest-flood, guest IRQs/packet: stock 0.9 1.0 1.1, both
# 0.2 0.3 0.22 -> paired ratios 0.222 0.3 0.2: median 0.22 [0.20, 0.30];
# host signals only for ours (stock has no counter).
(
	NCOAL_ROOT=$(cd "$BENCH_DIR/../.." && pwd)
	NCOAL_BUILD=$T/build
	. "$NCOAL_ROOT/tools/testing/vm/lib.sh"
	for f in guest-flood guest-synflood guest-rr guest-web guest-memcached \
		guest-lossfree; do
		. "$BENCH_DIR/scenarios/$f.sh" || exit 1
	done
	# row SCEN COLUMNS KEY VALUE...: a row, every metric column filled
	# from the NAME=VALUE pairs, else 1
	row() {
		local cols=$2 key=$3 c out="" v

		shift 3
		declare -A val
		for v in "$@"; do val[${v%%=*}]=${v#*=}; done
		IFS=, read -r -a c <<< "$cols"
		for ((i = 11; i < ${#c[@]}; i++)); do
			v=${val[${c[$i]}]-1}
			out+=",$v"
		done
		echo "$key,1$out"
	}
	{
		echo "$GUEST_FLOOD_COLUMNS"
		for dir in rx tx; do
			for rate in 500 3000; do
				rep=0
				for v in "0.9 0.2" "1.0 0.3" "1.1 0.22"; do
					rep=$((rep + 1))
					set -- $v
					row x "$GUEST_FLOOD_COLUMNS" "guest-flood,stock,stock,,,,,$rate,$dir,$rep" \
						guest_irqs_per_pkt=$1 host_signals_per_pkt= host_state= guest_state= loss_pct=0
					row x "$GUEST_FLOOD_COLUMNS" "guest-flood,ours,ours-off,0,64,1000,250,$rate,$dir,$rep" \
						guest_irqs_per_pkt=$1 host_signals_per_pkt=$1 host_state=off/off guest_state=off loss_pct=0
					row x "$GUEST_FLOOD_COLUMNS" "guest-flood,ours,both,500,64,1000,250,$rate,$dir,$rep" \
						guest_irqs_per_pkt=$2 host_signals_per_pkt=$2 host_state=active/active guest_state=active loss_pct=0
				done
			done
		done
	} > "$T/raw-guest-flood.csv"
	{
		echo "$GUEST_SYNFLOOD_COLUMNS"
		for rep in 1 2 3; do
			row x "$GUEST_SYNFLOOD_COLUMNS" "guest-synflood,stock,stock,,,,,1000,syn,$rep" degradation_p50=4 tcp_kept=0.58
			row x "$GUEST_SYNFLOOD_COLUMNS" "guest-synflood,ours,both,500,64,1000,250,1000,syn,$rep" degradation_p50=2 tcp_kept=0.996
		done
	} > "$T/raw-guest-synflood.csv"
	{
		echo "$GUEST_RR_COLUMNS"
		row x "$GUEST_RR_COLUMNS" "guest-rr,stock,stock,,,,,100,udp,1" mode=pp lat_p50_us=2000
		row x "$GUEST_RR_COLUMNS" "guest-rr,ours,both,500,64,1000,250,100,udp,1" mode=pp lat_p50_us=2100
		# above the gate: a closed loop pays the delay (x1.5)
		row x "$GUEST_RR_COLUMNS" "guest-rr,stock,stock,,,,,2000,udp,1" mode=ul lat_p50_us=2000
		row x "$GUEST_RR_COLUMNS" "guest-rr,ours,both,500,64,1000,250,2000,udp,1" mode=ul lat_p50_us=3000
	} > "$T/raw-guest-rr.csv"
	# guest-web: requests/s stock 100 120, both 90 132 -> ratios 0.9 1.1
	{
		echo "$GUEST_WEB_COLUMNS"
		rep=0
		for v in "100 90" "120 132"; do
			rep=$((rep + 1))
			set -- $v
			row x "$GUEST_WEB_COLUMNS" "guest-web,stock,stock,,,,,4,http,$rep" rps=$1 host_signals_per_pkt= host_state= guest_state=
			row x "$GUEST_WEB_COLUMNS" "guest-web,ours,both,500,64,1000,250,4,http,$rep" rps=$2 host_state=active/active guest_state=active
		done
	} > "$T/raw-guest-web.csv"
	# guest-memcached, latency p50 at 1 connection: stock 2.0 2.5, both
	# 2.4 2.5 -> ratios 1.2 1.0: median 1.1 [1.00, 1.20]; at 4
	# connections p99 stock 10, both 8: 0.8
	{
		echo "$GUEST_MEMCACHED_COLUMNS"
		rep=0
		for v in "2.0 2.4" "2.5 2.5"; do
			rep=$((rep + 1))
			set -- $v
			for c in 1 4; do
				row x "$GUEST_MEMCACHED_COLUMNS" "guest-memcached,stock,stock,,,,,$c,getset,$rep" \
					lat_p50_ms=$1 lat_p99_ms=10 hit_pct=100 errors=0 host_signals_per_pkt= host_state= guest_state=
				row x "$GUEST_MEMCACHED_COLUMNS" "guest-memcached,ours,both,500,64,1000,250,$c,getset,$rep" \
					lat_p50_ms=$2 lat_p99_ms=8 hit_pct=100 errors=0 host_state=active/active guest_state=active
			done
		done
	} > "$T/raw-guest-memcached.csv"
	{
		echo "$GUEST_LOSSFREE_COLUMNS"
		row x "$GUEST_LOSSFREE_COLUMNS" "guest-lossfree,stock,stock,,,,,0,rx,1" lossfree_pps=6000
		row x "$GUEST_LOSSFREE_COLUMNS" "guest-lossfree,ours,both,500,64,1000,250,0,rx,1" lossfree_pps=8000
	} > "$T/raw-guest-lossfree.csv"
) || echo "# could not generate the guest CSVs"
G=$T/gout
# the run's web server, as guest-web.sh records it
printf 'guest-web_server=nginx 1.22.1-9+deb12u11\nguest-memcached_server=memcached 1.6.18-1+deb12u1\n' > "$T/gmeta.txt"
run_guest() {
	"$PY" "$BENCH_DIR/report.py" --out "$G" --rst "$G/results.rst" \
		--meta "$T/meta.txt" --meta "$T/gmeta.txt" "$@" \
		"$T/raw-host.csv" "$T"/raw-guest-*.csv
}
check "guest: report.py runs on host and guest CSVs" run_guest --no-plots
GR=$G/results.rst
gagg() { # scenario setting rate direction metric column
	"$PY" - "$G/results.csv" "$@" <<'EOF2'
import csv, sys
f, sc, s, rate, d, m, col = sys.argv[1:]
for r in csv.DictReader(open(f)):
    if (r["scenario"], r["setting"], r["rate"], r["direction"], r["metric"]) == (sc, s, rate, d, m):
        print(r[col])
EOF2
}
check "guest: paired ratio of guest IRQs/packet, both / stock" eval '
	want ratio "$(gagg guest-flood both 3000 tx guest_irqs_per_pkt ratio_median)" 0.222222 &&
	want min "$(gagg guest-flood both 3000 tx guest_irqs_per_pkt ratio_min)" 0.2 &&
	want max "$(gagg guest-flood both 3000 tx guest_irqs_per_pkt ratio_max)" 0.3'
check "guest: host signals only for ours, no ratio to stock" eval '
	want stock "$(gagg guest-flood stock 500 rx host_signals_per_pkt n)" 0 &&
	want ours "$(gagg guest-flood both 500 rx host_signals_per_pkt median)" 0.22 &&
	want ratio "$(gagg guest-flood both 500 rx host_signals_per_pkt ratio_median)" ""'
check "guest: degradation under flood and the loss-free rate" eval '
	want degradation "$(gagg guest-synflood both 1000 syn degradation_p50 ratio_median)" 0.5 &&
	want lossfree "$(gagg guest-lossfree both 0 rx lossfree_pps median)" 8000'
check "guest rst: a section per scenario, comparators described" eval '
	grep -q "^Guest: small-packet UDP floods through the two-level rig" "$GR" &&
	grep -q "^Guest: TCP SYN flood, degradation under flood" "$GR" &&
	grep -q "^Guest: request/response latency (sockperf)" "$GR" &&
	grep -q "^Guest: highest loss-free rate" "$GR" &&
	grep -q "^Guest: web requests (nginx, wrk)" "$GR" &&
	grep -q "^Guest: key-value requests (memcached, mcload)" "$GR" &&
	grep -qF "stock vhost_net (L1) and stock virtio_net (L2)" "$GR"'
check "guest rst: headline ratio with spread (0.22 [0.20, 0.30])" \
	grep -qF '0.22 [0.20, 0.30]' "$GR"
settings_order() {
	awk '/^\.\. list-table:: guest-flood: settings/ { on = 1; next }
	     on && /^\.\. list-table::/ { exit }
	     on && /^   \* - / { printf "%s ", $3 }' "$GR"
}
check "guest rst: comparators in matrix order (stock, ours-off, both)" eval '
	want order "$(settings_order)" "setting stock ours-off both "'
check "guest rst: no placeholder for the guest scenarios once measured" eval '
	! grep -q "^- Guest scenarios" "$GR" && ! grep -q "^- Web" "$GR" &&
	grep -q "^- Energy" "$GR"'
summary_row() { # setting: its cells in the guest summary table
	awk -v n="$1" '/^Guest summary/ { on = 1 }
	     on && /^\.\. list-table::/ { t = 1 }
	     t && $0 == "   * - " n { r = 1; next }
	     r && /^     - / { sub(/^     - /, ""); printf "%s|", $0; next }
	     r { exit }' "$GR"
}
check "guest rst: summary table, ratios and values per comparator" eval '
	grep -q "^Guest summary: key numbers per comparator" "$GR" &&
	summary_row both | grep -q "^×0.22|" &&
	summary_row both | grep -q "|8,000|\$" &&
	summary_row stock | grep -q "^1.00|"'
thesis_row() { # quantity: its cells in the thesis table
	awk -v n="$1" '/^The thesis and this run/ { on = 1 }
	     on && /^\.\. list-table::/ { t = 1 }
	     t && $0 == "   * - " n { r = 1; next }
	     r && /^     - / { sub(/^     - /, ""); printf "%s|", $0; next }
	     r { exit }' "$GR"
}
check "guest rst: the thesis's numbers next to ours (change vs stock)" eval '
	want irqs "$(thesis_row "guest interrupts")" "-31%|-78% [-80%, -70%]|both|-78%|guest-flood rx 3,000 pps|" &&
	want synflood "$(thesis_row "network degradation under a SYN flood (TCP throughput lost)")" \
		"42% -> <1%|42% -> 0% (1 - TCP Mbit/s under flood / without)|both|-|guest-synflood syn 1,000 SYN/s|" &&
	want synrtt "$(thesis_row "latency under a SYN flood (ping RTT, a probe below the gate)")" \
		"(not given)|300% -> 100% (RTT p50 under flood / without, - 1)|both|-|guest-synflood syn 1,000 SYN/s|" &&
	want lossfree "$(thesis_row "highest loss-free rate under a UDP flood (degradation under flood read as the rate the guest still sustains)")" \
		"42% -> <1% (degradation)|+33% [+33%, +33%]|both|-|guest-lossfree rx stepped|"'
check "guest-web: requests/s ratio, the server named in the run" eval '
	want ratio "$(gagg guest-web both 4 http rps ratio_median)" 1 &&
	want min "$(gagg guest-web both 4 http rps ratio_min)" 0.9 &&
	grep -q "^:guest-web server: nginx 1.22.1-9+deb12u11\$" "$GR"'
check "guest-memcached: latency ratios, the server named in the run" eval '
	want p50 "$(gagg guest-memcached both 1 getset lat_p50_ms ratio_median)" 1.1 &&
	want p50min "$(gagg guest-memcached both 1 getset lat_p50_ms ratio_min)" 1 &&
	want p50max "$(gagg guest-memcached both 1 getset lat_p50_ms ratio_max)" 1.2 &&
	want p99 "$(gagg guest-memcached both 4 getset lat_p99_ms ratio_median)" 0.8 &&
	want n "$(gagg guest-memcached stock 4 getset lat_p50_ms n)" 2 &&
	grep -q "^:guest-memcached server: memcached 1.6.18-1+deb12u1\$" "$GR"'
memcached_summary() {
	local h

	h=$(awk "/^Guest summary/ { on = 1 } on && /^\.\. list-table::/ { t = 1 }
		t && /^   \* - setting\$/ { r = 1; next }
		r && /^     - / { sub(/^     - /, \"\"); printf \"%s|\", \$0; next }
		r { exit }" "$GR")
	echo "header: $h"
	[[ "$h" == *"guest-memcached getset 1 connection: latency p50, ms (emulated)|guest-memcached getset 4 connections: latency p99, ms (emulated)|"* ]] &&
	summary_row both | grep -q "|×1.10|×0.80|"
}
check "guest rst: memcached latency in the summary table" memcached_summary
# The costs section: guest-rr at 2,000 req/s is 50% slower (listed, with
# the closed-loop reason); memcached's p50 at exactly +10% and guest-rr at
# 100 req/s (+5%) are not; the section sits after the thesis table.
costs() {
	local sec

	sec=$(awk '/^Where coalescing costs/ { p = 1 } p && /^Guest: / { exit } p' "$GR")
	[ -n "$sec" ] || { echo "no costs section"; return 1; }
	echo "$sec" | tr -d '\n' | grep -q -- '- guest-rr udp 2,000 req/s *- RTT p50, us (emulated) *- both *- 2,000 *- 3,000 *- ×1.50' ||
		{ echo "$sec"; echo "guest-rr at 2,000 req/s not listed"; return 1; }
	echo "$sec" | grep -q "closed loop" || { echo "no reason given"; return 1; }
	! echo "$sec" | grep -q "guest-memcached\|100 req/s" ||
		{ echo "$sec"; echo "a change of 10% or less listed"; return 1; }
	[ "$(grep -n '^The thesis and this run' "$GR" | cut -d: -f1)" -lt \
	  "$(grep -n '^Where coalescing costs' "$GR" | cut -d: -f1)" ]
}
check "guest rst: where ours is worse than stock, and why" costs
check "rst: memcached placeholder until measured" eval '
	grep -q "^- Key-value service (memcached" "$R" &&
	! grep -q "^- Key-value service" "$GR"'
# Saved runs of two web servers: the one before guest-web_server was
# recorded (busybox httpd) and a newer one (nginx). Their repetitions
# are different workloads: the newest server's alone, the rest named.
web_servers() {
	local a=$T/wdata/20000101T000000Z b=$T/wdata/20000102T000000Z

	mkdir -p "$a" "$b"
	cp "$T/raw-guest-web.csv" "$a/"
	awk -F, 'NR == 1 || $10 == 1' "$T/raw-guest-web.csv" > "$b/raw-guest-web.csv"
	printf 'reps=2\n' > "$a/meta.txt"
	printf 'reps=1\nguest-web_server=nginx 1.22.1-9+deb12u11\n' > "$b/meta.txt"
	"$PY" "$BENCH_DIR/report.py" --out "$T/wout" --rst "$T/wout/results.rst" \
		--no-plots --run "$a" --run "$b" >/dev/null || return 1
	A=$T/wout/results.csv
	want n "$(agg both 4 rps n)" 1 &&
	grep -q "^Guest: web requests (nginx, wrk)" "$T/wout/results.rst" &&
	grep -q "^4 runs of guest-web in the saved runs measured another web" "$T/wout/results.rst" &&
	"$PY" "$BENCH_DIR/report.py" --out "$T/wout" --rst "$T/wout/old.rst" \
		--no-plots --run "$a" >/dev/null &&
	grep -q "^Guest: web requests (busybox httpd, wrk)" "$T/wout/old.rst" &&
	! grep -q "^:guest-web server:" "$T/wout/old.rst"
}
check "guest-web: runs of another server are left out, not pooled" web_servers
A=$T/out/results.csv
R_SAVE=$R; R=$GR
check "guest rst: the emulation scaling next to every table" scaling_next_to_tables
R=$R_SAVE
if "$PY" -c 'import matplotlib' 2>/dev/null; then
	rm -rf "$G"
	check "guest: plots per metric, no buffer-time sweep" eval '
		run_guest >/dev/null &&
		test -s "$G/guest-flood-guest_irqs_per_pkt.png" &&
		test -s "$G/guest-synflood-degradation_p50.png" &&
		! ls "$G"/guest-*-sweep-*.png >/dev/null 2>&1'
else
	skip "guest: plots" "python3-matplotlib not installed"
fi

head -n 1 "$T/raw-host.csv" > "$T/empty.csv"
check "no runs: report.py fails" eval '
	! "$PY" "$BENCH_DIR/report.py" --out "$T/o2" "$T/empty.csv" 2>/dev/null'

echo "1..$n"
echo "# Totals: pass:$((n - failed - skipped)) fail:$failed xfail:0 xpass:0 skip:$skipped error:0"
[ "$failed" = 0 ]
