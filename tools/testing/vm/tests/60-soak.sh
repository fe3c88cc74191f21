#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak (issue 8, case "soak"): mixed traffic through the two-level rig
# while two flappers change the coalescing knobs at random, every
# 200-600 ms, on both sides:
#
#   traffic   UDP L1 -> guest and guest -> L1 (udpflood), each at rates
#             drawn from 200-3,000 pps every 3-8 s, so that both the
#             host's and the guest's rate gates cross their thresholds
#             both ways; a TCP stream (iperf3 at 2 Mbit/s, 8 s runs, the
#             direction alternating); ping once a second (the watchdog,
#             one ping process for the whole soak)
#   host      every vhost_net module parameter (the caps too, values out
#             of range included: those writes must fail and change
#             nothing), tap0 down/up for 0.1-0.5 s now and then
#   guest     (a script of the same seed running in the guest) the
#             virtio_coalesce sysfs knobs, ethtool -C pkt-rate-low /
#             sample-interval, the sync knobs (budget_usecs,
#             host_rx_usecs, host_rx_frames: each write sends the control
#             queue's SYNC command), ethtool -C rx-usecs / tx-usecs /
#             rx-frames (per-ring settings of the host's rings, through
#             the relay QEMU's NOTF_COAL commands), eth0 down/up for
#             0.2-1 s, ethtool -L combined 1 and ethtool -G (pauses the
#             send queue)
#
# The guest runs on the relay QEMU (tools/qemu) when it is built, so
# that the per-ring and SYNC paths reach vhost_net; otherwise on the
# system QEMU, and those guest commands fail harmlessly (logged).
#
# Pass: no line of DMESG_BAD or STRESS_DMESG_BAD (oops, WARN, lockdep,
# hung task, RCU stall, TX watchdog timeout) in either kernel's log; the
# watchdog: during the soak no run of more than NCOAL_SOAK_STUCK_S (15)
# consecutive unanswered pings, one a second (the longest planned outage
# is 1 s of link down; a starved test host sends fewer pings, it does
# not lose answers); at the end a ping and a fresh TCP transfer go through; traffic
# flowed in all three streams; the host's per-ring counters balance
# (debugfs: signals_sent = signals_due - signals_deferred + timer_fires
# + flushes) at every check during the soak and at the end, where no
# ring holds a signal for longer than 2 s without new buffers (a lost
# signal).
#
# Emulation scaling: the rig's guest saturates near 7 kpps, so the rates
# and thresholds are 1/10 to 1/100 of the hardware defaults (see
# lib_guest.sh).
#
#   NCOAL_SEED=N          replay the flappers' and rates' choices (printed;
#                         timing still differs)
#   NCOAL_SOAK_S=S        soak seconds (default 45, which with the boot and
#                         the checks makes about 3 minutes; 600 with
#                         NCOAL_STRESS=1)
#   NCOAL_SOAK_STUCK_S=N  the watchdog's longest allowed run of unanswered
#                         pings (default 15)
#   NCOAL_SOAK_RELAY=1|0  the guest on the relay QEMU (default, when
#                         built) or on Debian's
#
# The test host is emulated and, under this traffic, starved: its loops
# fork as little as they can (EPOCHSECONDS, a timed read for sleep).
#
# A guest that dies under the soak fails it (run.sh runs the test once
# more if the emulator killed it: the rig's one retry).

# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib_guest.sh
. "$(dirname "$0")/../lib_guest.sh"
# shellcheck source=../lib_stress.sh
. "$(dirname "$0")/../lib_stress.sh"
# shellcheck source=../../../qemu/vm-test-lib.sh
. "$NCOAL_ROOT/tools/qemu/vm-test-lib.sh"
ksft_begin

CASE=soak
SAVED=$L2_DIR/soak-params.saved
OUT=$NCOAL_OUT/soak
PIDS=$L2_DIR/soak.pids
PORT_RX=5021	# L1 -> guest UDP
PORT_TX=5022	# guest -> L1 UDP
PORT_TCP=5202	# the final TCP check's one-off server
TOTAL=${NCOAL_SOAK_S:-$(stress_count 45 600)}
STUCK=${NCOAL_SOAK_STUCK_S:-15}
DUR=$TOTAL
SEED=${NCOAL_SOAK_SEED:-$(stress_seed)}
RANDOM=$SEED
log "seed $SEED, $TOTAL s (replay: NCOAL_SOAK_SEED=$SEED NCOAL_SOAK_S=$TOTAL; timing still differs)"
rm -rf "$OUT"
mkdir -p "$OUT" "$L2_DIR"

bg_stop() {
	kill_pidfile "$PIDS"
}

# nap MS: sleep without a process (a read that times out on a pipe no
# one writes).
exec {NAP}<> <(:)
nap() {
	local s

	printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$s" -u "$NAP"
}

# since: seconds since the test started.
TSTART=$EPOCHSECONDS
since() {
	echo "+$((EPOCHSECONDS - TSTART)) s"
}

cleanup() {
	bg_stop
	ip link set $TAP up 2>/dev/null
	hp_restore "$SAVED"
	rm -f "$SAVED"
}

# A guest on the relay QEMU if there is one (per-ring settings, SYNC);
# NCOAL_SOAK_RELAY=0: on Debian's QEMU (to compare: the guest dies in
# long soaks, see Documentation/networking/ncoal_reliability.rst, "Open
# problem").
soak_relay=${NCOAL_SOAK_RELAY:-1}
if [ "$soak_relay" = 1 ] && relay_available; then
	RELAY=1
	use_qemu relay
else
	RELAY=0
	log "Debian's QEMU (NCOAL_SOAK_RELAY=$soak_relay, relay $RELAY_QEMU): per-ring and SYNC commands will fail in the guest"
fi
l2_stop
if ! loaded_ident vhost_net >/dev/null && ! host_load_ours; then
	not_ok "$CASE: insmod our vhost_net"
	ksft_finish
fi
hp_save "$SAVED"
if ! guest_up "$CASE"; then
	cleanup
	ksft_finish
fi
# A new guest: its whole log is this test's.
echo 0 > $L2_DIR/dmesg-l2.mark
mapfile -t DIRS < <(vhost_dirs)
log "$(since): guest up ($([ $RELAY = 1 ] && echo relay || echo system) QEMU), host rings: ${DIRS[*]##*/}"

# ---- what the flappers and the traffic will do, from the seed ----

# guest_plan: the guest's script: one action every 200-600 ms for DUR s.
# (pick_to, not $(pick): replayable from the seed.)
guest_plan() {
	local t=0 a v w
	local C=$COAL_DIR

	echo "n=0; end=\$((\$(date +%s) + $DUR))"
	echo "more() { [ \$(date +%s) -lt \$end ] || { echo __flap_done \$n; exit 0; }; }"
	while [ $t -lt $((DUR * 1000)) ]; do
		a=$((200 + RANDOM % 401))
		t=$((t + a))
		printf 'sleep %d.%03d; more; n=$((n + 1)); ' $((a / 1000)) $((a % 1000))
		case $((RANDOM % 20)) in
		0|1|2)	pick_to v 0 500 1000 2000 5000 10000 100000
			echo "echo $v > $C/rate_threshold" ;;
		3)	pick_to v 10 50 100 250 1000 0
			echo "echo $v > $C/rate_interval_ms" ;;
		4|5|6)	pick_to v 0 50 200 1000 5000 10000 20000
			echo "echo $v > $C/tx_kick_usecs" ;;
		7|8)	pick_to v 1 4 16 32 256 0 300
			echo "echo $v > $C/tx_kick_frames" ;;
		9)	pick_to v 0 800 3000
			pick_to w 1 2 0
			echo "ethtool -C eth0 pkt-rate-low $v sample-interval $w" ;;
		10)	pick_to v 0 300 600 2000 10000 20000
			echo "echo $v > $C/budget_usecs" ;;
		11)	pick_to v 0 100 400 1000
			echo "echo $v > $C/host_rx_usecs" ;;
		12)	pick_to v 1 32 256 0
			echo "echo $v > $C/host_rx_frames" ;;
		13)	pick_to v 0 50 200 1000 5000
			pick_to w 1 16 64
			echo "ethtool -C eth0 rx-usecs $v rx-frames $w" ;;
		14)	pick_to v 0 50 200 1000
			pick_to w 1 16 64
			echo "ethtool -C eth0 tx-usecs $v tx-frames $w" ;;
		15|16)	a=$((200 + RANDOM % 801))
			t=$((t + a))
			printf 'ip link set eth0 down; sleep %d.%03d; ip link set eth0 up\n' \
				$((a / 1000)) $((a % 1000)) ;;
		17)	echo "ethtool -L eth0 combined 1" ;;
		18)	pick_to v 128 256
			echo "ethtool -G eth0 tx $v" ;;
		19)	echo "cat $C/state" ;;
		esac
	done
	echo "ip link set eth0 up; echo __flap_done \$n"
}

# udp_plan PEER: a UDP stream's runs, rates and lengths, for DUR s, as
# "run RATE SECONDS PEER" lines. run (below, and in the guest's script)
# starts udpflood again until its time is up: a link taken down makes
# its connect fail at once.
udp_plan() {
	local t=0 d r

	while [ $t -lt "$DUR" ]; do
		d=$((3 + RANDOM % 6))
		[ $((t + d)) -le "$DUR" ] || d=$((DUR - t))
		t=$((t + d))
		pick_to r 200 800 1500 3000
		echo "run $r $d $1"
	done
}

guest_plan > "$OUT/guest-flap.sh"
udp_plan "$L1_IP:$PORT_TX" > "$OUT/guest-tx.sh"
udp_plan "$L2_IP:$PORT_RX" > "$OUT/l1-rx.sh"
log "plan: guest $(grep -c '^sleep' "$OUT/guest-flap.sh") actions and $(wc -l < "$OUT/guest-tx.sh") UDP runs to L1, L1 $(wc -l < "$OUT/l1-rx.sh") UDP runs to the guest"

# ---- start ----

# start_guest: one command (each costs seconds in a loaded test host):
# the scaled profile, the guest's flapper, its stream and its receiver.
start_guest() {
	l2 "cd $COAL_DIR && echo $SCALED_INTERVAL_MS > rate_interval_ms &&
	echo $SCALED_FRAMES > tx_kick_frames && echo $SCALED_USECS > tx_kick_usecs &&
	echo $SCALED_THRESHOLD > rate_threshold && echo sync_state: \$(cat sync_state) || exit 1
cd /
rm -f /tmp/flap.log /tmp/tx.log /tmp/rx.out
cat > /tmp/flap.sh <<'__EOS__'
$(cat "$OUT/guest-flap.sh")
__EOS__
cat > /tmp/tx.sh <<'__EOS__'
run() {
	end=\$((\$(date +%s) + \$2))
	while [ \$(date +%s) -lt \$end ]; do
		udpflood send --rate \$1 --duration \$((end - \$(date +%s))) \$3 && break
		sleep 0.2
	done
}
$(cat "$OUT/guest-tx.sh")
echo __tx_done
__EOS__
setsid udpflood recv --idle 100000 --timeout 100000 $PORT_RX > /tmp/rx.out 2>&1 < /dev/null &
echo \$! > /tmp/rx.pid
setsid sh /tmp/tx.sh > /tmp/tx.log 2>&1 < /dev/null &
setsid sh /tmp/flap.sh > /tmp/flap.log 2>&1 < /dev/null &"
}

# rx_loop: L1's UDP stream to the guest, as planned.
rx_loop() {
	local r d peer end

	while read -r _ r d peer; do
		end=$((EPOCHSECONDS + d))
		while [ $EPOCHSECONDS -lt $end ]; do
			"$UDPFLOOD" send --rate "$r" --duration $((end - EPOCHSECONDS)) \
				"$peer" && break
			nap 200
		done
	done < "$OUT/l1-rx.sh" >> "$OUT/rx-send.log" 2>&1
}

tcp_loop() {
	local end=$1 dir="" t

	while [ $((end - EPOCHSECONDS)) -ge 3 ]; do
		t=$((end - EPOCHSECONDS))
		[ $t -le 8 ] || t=8
		if timeout $((t + 20)) iperf3 -c $L2_IP -t $t -b 2M --connect-timeout 3000 \
			$dir > "$OUT/tcp.last" 2>&1; then
			echo "ok ${dir:--} $(grep receiver "$OUT/tcp.last" | tail -n1 | awk '{print $7, $8}')"
		else
			echo "fail ${dir:--} $(tail -n1 "$OUT/tcp.last")"
			nap 1000
		fi
		if [ -z "$dir" ]; then dir=-R; else dir=""; fi
	done >> "$OUT/tcp.log"
}

# post_mortem: the test host's view of the guest's QEMU and the guest's
# console (kept whole in $OUT/l2-console.log), when its device is gone.
post_mortem() {
	l1_view_of_l2
	cp "$L2_DIR/serial.log" "$OUT/l2-console.log"
	echo "the guest's console, last lines (all: $OUT/l2-console.log):"
	tail -n 40 "$L2_DIR/serial.log" | sed 's/^/  /'
}

# The watchdog: one ping process, one ping a second, a timestamp (-D)
# on every answer; the run of unanswered ones shows in the icmp_seq
# numbers.
ping_start() {
	ping -D -i 1 -W 2 $L2_IP > "$OUT/ping.log" 2>&1 &
	PING=$!
}

# ring_read DIR RING: lib_stress.sh's ring_counts without a process:
# one read of the debugfs file (one consistent snapshot) into RC, as
# "due sent deferred fires flushes pending".
ring_read() {
	local l k
	local -A v

	mapfile -t l 2>/dev/null < "$1/$2" || return 1
	for k in "${l[@]}"; do
		v[${k%%: *}]=${k#*: }
	done
	RC="${v[signals_due]} ${v[signals_sent]} ${v[signals_deferred]} ${v[timer_fires]} ${v[flushes]} ${v[pending]}"
}

# rings_balance: every host ring's counters balance right now.
rings_balance() {
	local d r rc=0

	for d in "${DIRS[@]}"; do
		for r in rx tx; do
			ring_read "$d" "$r" || { echo "${d##*/}/$r: gone"; rc=1; continue; }
			# shellcheck disable=SC2086 # six numbers
			ring_sum_ok $RC || { echo "${d##*/}/$r: out of balance: due sent deferred fires flushes pending = $RC"; rc=1; }
		done
	done
	[ $rc = 0 ] && echo "ok ${#DIRS[@]} devices"
	return $rc
}

# host_flap: one random host action; prints what it did.
host_flap() {
	local p v

	case $((RANDOM % 16)) in
	0|1)	pick_to p rx_coalesce_usecs tx_coalesce_usecs
		pick_to v 0 10 50 200 500 1000 2000 5000 ;;
	2|3)	pick_to p rx_max_coalesced_frames tx_max_coalesced_frames
		pick_to v 1 8 32 64 256 0 ;;
	4|5)	p=coalesce_rate_threshold
		pick_to v 0 300 1000 3000 10000 ;;
	6)	p=coalesce_rate_interval_ms
		pick_to v 10 100 250 1000 5 ;;
	7)	p=coalesce_max_usecs
		pick_to v 2000 5000 20000 500 ;;
	8)	p=coalesce_min_usecs
		pick_to v 10 50 200 0 ;;
	9)	p=coalesce_max_frames
		pick_to v 64 256 1024 4096 8 ;;
	10|11)	p=rx_max_coalesced_frames
		pick_to v 2 16 64 0 ;;
	12)	v=$((100 + RANDOM % 401))
		ip link set $TAP down
		nap $v
		ip link set $TAP up
		echo "tap0 down ${v} ms"
		return ;;
	*)	# read the rings (applies changed parameters)
		rings_balance >> "$OUT/balance.log" || echo "imbalance" >> "$OUT/balance.bad"
		echo "read debugfs"
		return ;;
	esac
	if echo "$v" > "$VNP/$p" 2>/dev/null; then
		echo "$p=$v"
	else
		echo "$p=$v refused"
	fi
}

# stall_view SILENT: once, when no ping was answered for SILENT s and
# the guest's QEMU still runs: where its vCPU is, its rings as they are
# in its memory, the host's rings, and whether the guest still answers
# over TCP. Whether a stall is the guest not running (the rig) or a
# queue that stopped (a lost interrupt or kick: ours) is told here, not
# after the guest died.
stall_view() {
	local d r

	echo "+$((EPOCHSECONDS - T0)) s: no ping answered for $1 s and the guest's QEMU runs: a look at it"
	l2_cpu_view
	l2_vring_view
	for d in "${DIRS[@]}"; do
		for r in rx tx; do
			echo "host ${d##*/}/$r: $(grep -vE '^(usecs_hist|frames_hist)' "$d/$r" 2>/dev/null | tr '\n' ' ')"
		done
	done
	l2 -t 8 "grep -E 'virtio|CPU' /proc/interrupts; ip -s link show eth0; cat $COAL_DIR/state" 2>&1 ||
		echo "guest: no answer over TCP in 8 s"
	# The rings again, seconds later: whether their indexes moved.
	l2_vring_view
}

# loops_stop: L1's traffic loops, now (their plans would run on for the
# soak's whole time against a guest that is gone).
loops_stop() {
	local p

	for p in "${LOOPS[@]}"; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait "${LOOPS[@]}" 2>/dev/null
}

if ! check "$CASE: guest: flapper, UDP stream and receiver started" start_guest; then
	cleanup
	ksft_finish
fi
T0=$EPOCHSECONDS
END=$((T0 + DUR))
"$UDPFLOOD" recv --idle 100000 --timeout 100000 "$L1_IP:$PORT_TX" > "$OUT/tx-recv.out" 2>&1 &
TXR=$!
echo $TXR >> "$PIDS"
rx_loop &
LOOPS=($!)
tcp_loop "$END" &
LOOPS+=($!)
ping_start

log "$(since): soaking for $DUR s"
next_check=$((T0 + 10))
flaps=0
GONE=
LOST=
STALLED=
while [ $EPOCHSECONDS -lt $END ]; do
	host_flap >> "$OUT/host-flap.log"
	flaps=$((flaps + 1))
	nap $((200 + RANDOM % 401))
	if [ $EPOCHSECONDS -ge $next_check ]; then
		next_check=$((next_check + 10))
		rings_balance >> "$OUT/balance.log" || echo "imbalance" >> "$OUT/balance.bad"
		log "+$((EPOCHSECONDS - T0)) s: $flaps host actions"
		if [ -z "$LOST" ] && ! [ -d "${DIRS[0]}" ]; then
			LOST=1
			log "+$((EPOCHSECONDS - T0)) s: ${DIRS[0]##*/} is gone; vhost-net devices now: $(ls $VDBG | tr '\n' ' ')"
			post_mortem
		fi
		if ! proc_alive "$(l2_pid)"; then
			GONE=1
			log "+$((EPOCHSECONDS - T0)) s: the guest's QEMU is gone: the soak ends here"
			break
		fi
		if [ -z "$STALLED" ]; then
			silent=$((EPOCHSECONDS - T0 - $(ping_last "$OUT/ping.log" "$T0")))
			if [ "$silent" -ge 8 ]; then
				STALLED=1
				stall_view "$silent" | sed 's/^/  /' | tee "$OUT/stall.log"
			fi
		fi
	fi
done
# A guest that died after the loop's last check is as gone.
if [ -z "$GONE" ] && ! proc_alive "$(l2_pid)"; then
	GONE=1
	log "+$((EPOCHSECONDS - T0)) s: the guest's QEMU is gone at the end of the soak"
fi
kill -INT "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
log "soak over after $((EPOCHSECONDS - T0)) s: $flaps host actions ($(grep -c refused "$OUT/host-flap.log") refused as out of range)"

# wind_down: the guest's plans end with the soak (a command may outlast
# it by seconds); waits up to 120 s for both to say so, their last
# lines in WOUND. A guest whose QEMU goes meanwhile is as gone as one
# that went during the soak (GONE): the rig takes guests then too (CI
# saw one stop answering at +17 s and its QEMU end during this wait).
# A guest that hangs must not hold the test until its time limit.
wind_down() {
	local end=$((EPOCHSECONDS + 120))

	WOUND=
	while [ $EPOCHSECONDS -lt $end ]; do
		if ! proc_alive "$(l2_pid)"; then
			GONE=1
			log "+$((EPOCHSECONDS - T0)) s: the guest's QEMU is gone while its plans wind down"
			return
		fi
		WOUND=$(l2 -t 10 'tail -n 1 /tmp/flap.log; tail -n 1 /tmp/tx.log' 2>/dev/null) &&
			[[ $WOUND == *__flap_done*__tx_done* ]] && return
		nap 2000
	done
}
[ -n "$GONE" ] || wind_down

# A gone guest soaked until its last answered ping.
if [ -n "$GONE" ]; then
	[ -n "$LOST" ] || post_mortem
	cp "$L2_DIR/qemu.log" "$OUT/l2-qemu.log" 2>/dev/null
	loops_stop
	stress_case "$CASE" "$(ping_last "$OUT/ping.log" "$T0")" seconds
else
	stress_case "$CASE" "$DUR" seconds
fi

# ---- judging ----

ip link set $TAP up
guest_done() {
	[ -z "$GONE" ] || fail "the guest's QEMU is gone"
	echo "guest: $(echo "$WOUND" | tr '\n' ' ')"
	[[ $WOUND == *__flap_done* ]] || fail "the guest's flapper did not finish"
	[[ $WOUND == *__tx_done* ]] || fail "the guest's UDP stream did not finish"
}
check "$CASE: guest flapper and stream finished" guest_done
log "$(since): the guest is done"
# The loops end by themselves (their last run may outlast the soak by
# up to 30 s); then the receiver.
wait "${LOOPS[@]}" 2>/dev/null
bg_stop
wait "$TXR" 2>/dev/null
# Quiet knobs for the final checks.
hp_restore "$SAVED"
# One command: stop the receiver, quiet knobs for the final checks, the
# receiver's count.
l2 "ip link set eth0 up; kill \$(cat /tmp/rx.pid); sleep 1
	ethtool -C eth0 rx-usecs 0 tx-usecs 0 2>/dev/null
	echo 600 > $COAL_DIR/budget_usecs 2>/dev/null
	cd $COAL_DIR && echo $SCALED_INTERVAL_MS > rate_interval_ms &&
	echo $SCALED_FRAMES > tx_kick_frames && echo $SCALED_USECS > tx_kick_usecs &&
	echo $SCALED_THRESHOLD > rate_threshold
	cat /tmp/rx.out" > "$OUT/rx-recv.out" 2>&1

traffic_flowed() {
	local rx tx tcp

	rx=$(grep mode=recv "$OUT/rx-recv.out")
	tx=$(cat "$OUT/tx-recv.out")
	tcp=$(grep -c '^ok' "$OUT/tcp.log")
	echo "L1 -> guest UDP: $rx"
	echo "guest -> L1 UDP: $tx"
	echo "TCP: $tcp runs of 8 s completed, $(grep -c '^fail' "$OUT/tcp.log") failed (link flaps)"
	[ "$(kv received "$rx")" -gt 0 ] 2>/dev/null || fail "the guest received no UDP"
	[ "$(kv received "$tx")" -gt 0 ] 2>/dev/null || fail "L1 received no UDP from the guest"
	[ "$tcp" -gt 0 ] || fail "no TCP run completed"
}
check "$CASE: UDP both ways and TCP flowed during the soak" traffic_flowed
log "$(since): judging"

check "$CASE: watchdog: never more than $STUCK pings in a row unanswered" \
	ping_watch "$OUT/ping.log" "$T0" "$STUCK"

flows_at_end() {
	local out

	l2_ping || fail "no ping at the end"
	l2 "iperf3 -s -1 -p $PORT_TCP -D" > /dev/null || fail "no TCP server in the guest"
	sleep 1
	out=$(timeout 60 iperf3 -c $L2_IP -p $PORT_TCP -t 3 2>&1) ||
		{ echo "$out" | tail -n 3; fail "TCP at the end"; }
	echo "$out" | grep receiver
}
check "$CASE: ping and TCP go through at the end" flows_at_end

balanced() {
	local d r rc=0

	echo "checks during the soak: $(grep -c '^ok' "$OUT/balance.log" 2>/dev/null) reads of every ring"
	if [ -f "$OUT/balance.bad" ]; then
		grep -v '^ok' "$OUT/balance.log" | head -n 10
		fail "counters out of balance during the soak"
	fi
	for d in "${DIRS[@]}"; do
		for r in rx tx; do
			ring_settled "$d" "$r" || rc=1
			echo "${d##*/}/$r: $(grep -E '^(source|usecs|state|signals_due|signals_sent|timer_fires|flushes|pending):' "$d/$r" | tr '\n' ' ')"
		done
	done
	[ $rc = 0 ] || fail "a ring lost a signal or its counters do not balance"
}
check "$CASE: host rings' counters balance, nothing held at the end" balanced

alive() {
	local pid

	pid=$(l2_pid)
	if ! proc_alive "$pid"; then
		post_mortem
		fail "the guest's QEMU is gone"
	fi
	grep -i 'assert\|abort' "$L2_DIR/qemu.log" && fail "QEMU complained"
	return 0
}
check "$CASE: guest QEMU alive and quiet" alive

restored() {
	hp_restore "$SAVED" || fail "could not restore a parameter"
	rm -f "$SAVED"
}
check "$CASE: module parameters restored" restored
kernel_logs_clean() {
	stress_dmesg_l1 && dmesg_clean_l2 && stress_dmesg_l2
}
check "$CASE: no oops, WARN, lockdep, hung task, RCU stall or TX timeout (L1, L2)" kernel_logs_clean

cleanup
# The next test gets a guest of the system QEMU (this one's log was
# judged above). A relay guest left running kept run.sh waiting after
# the test had finished.
l2_stop
use_qemu system
ksft_finish
