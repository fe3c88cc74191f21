#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Adaptive TX kicks (issue 20): tx_kick_mode 2 lets net_dim pick each
# send queue's hold. Judged on counts, each mode against off in the same
# run:
#  - a UDP flood from the guest above the gate: the adaptive queue holds
#    kicks (kicks per packet well below off), as the fixed mode does;
#  - closed-loop request/response above the gate (sockperf ping-pong, the
#    guest answers, one request in flight), counted from a second after
#    the exchange starts, once the gate is open: the fixed mode holds every reply, the
#    adaptive queue (almost) none.
#
# Emulation scaling: the flood uses the scaled profile of lib_guest.sh
# (threshold 1,000 pps, 250 ms, 32 frames) held 4 ms, at RATE pps in bursts of
# BATCH datagrams (a sender's burst: one kick due per datagram). Held at
# 1 ms per reply, ping-pong under TCG drops to under 1,000 transactions
# per second, so the request/response part (held 1 ms) lowers the gate
# to RR_THRESHOLD pps.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

RATE=${NCOAL_ADAPT_RATE:-2000}
BATCH=${NCOAL_ADAPT_BATCH:-4}
SECS=${NCOAL_ADAPT_SECS:-5}
RR_SECS=${NCOAL_ADAPT_RR_SECS:-4}
RR_WARM=1
RR_THRESHOLD=50
# The flood's hold: bursts come every BATCH / RATE s and the device's
# own suppression already merges a burst's kicks, so a hold of a burst
# or two could not tell a holding mode from off.
FLOOD_USECS=4000
RR_PORT=11111
# Flood: kicks per packet of a holding mode below this share of off's.
MAX_SHARE=0.6
# Request/response: replies the mode held, of the kicks due; the fixed
# mode holds at least FIXED_MIN_HELD of them, the adaptive one at most
# ADAPT_MAX_HELD (net_dim probes a longer hold now and then). A held
# reply that BQL's stopped queue forces out at once (kick_forced) was
# still held by the mode.
FIXED_MIN_HELD=0.9
ADAPT_MAX_HELD=0.2

if ! rig_up; then
	not_ok "guest up"
	ksft_finish
fi
log "flood: scaled profile ($SCALED_THRESHOLD pps, ${SCALED_INTERVAL_MS} ms, $SCALED_FRAMES frames) held ${FLOOD_USECS} us, $RATE pps in bursts of $BATCH for $SECS s; request/response: gate $RR_THRESHOLD pps, held ${SCALED_USECS} us, sockperf ping-pong counted for $RR_SECS s from $RR_WARM s after it starts"

out=$NCOAL_OUT/22-guest-adaptive
mkdir -p "$out"

# set_mode MODE THRESHOLD USECS: the scaled profile with that gate, hold
# and mode.
set_mode() {
	coal_profile "$2" "$SCALED_INTERVAL_MS" "$3" "$SCALED_FRAMES" &&
		coal_set tx_kick_mode "$1"
}

# counters NAME P: queue 0's counter deltas of run P into <counter>_NAME
# variables (NAME is flood_MODE or rr_MODE: one run's counters must not
# overwrite another's).
counters() {
	local c

	for c in kicks kick_due kick_deferred kick_timer kick_frames \
		 kick_forced kick_profile_moves; do
		eval "${c}_$1=\$(gdelta \"$2.before\" \"$2.after\" tx0_$c)"
	done
	eval "profile_$1=\$(gstat \"$2.after\" tx0_kick_profile)"
}

# flood NAME MODE: one flood; sets sent_NAME and the counters.
flood() {
	local p=$out/flood-$1 s

	set_mode "$2" "$SCALED_THRESHOLD" "$FLOOD_USECS" || return 1
	"$UDPFLOOD" recv --idle 2 --timeout 60 5003 > "$p.recv" &
	sleep 0.5
	gstats "$p.before"
	l2 -t $((SECS + 60)) "udpflood send --rate $RATE --batch $BATCH --duration $SECS $L1_IP:5003" > "$p.send"
	gstats "$p.after"
	wait
	s=$(grep mode=send "$p.send")
	log "flood $1: $s; $(grep mode=recv "$p.recv")"
	eval "sent_$1=\$(kv sent \"\$s\")"
	counters "flood_$1" "$p"
}

# traffic_started P: wait (up to 10 s) until queue 0 counts 200 kicks due
# more than in P.start. sockperf takes seconds to start exchanging (its
# own warm-up, on a loaded rig): a clock started with it says nothing.
traffic_started() {
	local i n0 n

	n0=$(gstat "$1.start" tx0_kick_due)
	for i in $(seq 20); do
		sleep 0.5
		gstats "$1.poll"
		n=$(gstat "$1.poll" tx0_kick_due)
		[ "$n" != NA ] && [ "$n0" != NA ] && [ $((n - n0)) -ge 200 ] &&
			return 0
	done
	return 1
}

# rr NAME MODE: one ping-pong run; sets trans_NAME (the whole run's
# transactions) and the counters of RR_SECS that start RR_WARM s after
# the exchange did (sockperf runs 4 s longer than that: it usually starts
# within 2 s; a later start shortens the count, it does not bias it). Until the first rate window closes the gate is shut
# and replies go out unheld at the unheld rate: counted, that start
# would decide the fixed mode's share of held replies more than the
# mode does.
rr() {
	local p=$out/rr-$1 t pid

	set_mode "$2" "$RR_THRESHOLD" "$SCALED_USECS" || return 1
	gstats "$p.start"
	timeout $((RR_SECS + 60)) sockperf ping-pong -i "$L2_IP" \
		-p $RR_PORT -t $((RR_SECS + RR_WARM + 4)) --full-rtt \
		> "$p.out" 2>&1 &
	pid=$!
	if ! traffic_started "$p"; then
		wait "$pid"
		log "rr $1: no exchange within 10 s: $(tail -n 3 "$p.out")"
		return 1
	fi
	sleep "$RR_WARM"
	gstats "$p.before"
	sleep "$RR_SECS"
	gstats "$p.after"
	wait "$pid"
	t=$({ sed 's/\x1b\[[0-9;]*m//g' "$p.out"; echo __END__; } |
		awk -f "$NCOAL_ROOT/tools/testing/vm/sockperf-sum.awk" | cut -d' ' -f1)
	log "rr $1: $t transactions; $(sed 's/\x1b\[[0-9;]*m//g' "$p.out" | grep -m1 'Summary:')"
	eval "trans_$1=\${t:-0}"
	counters "rr_$1" "$p"
}

for m in off:0 fixed:1 adaptive:2; do
	flood "${m%:*}" "${m#*:}" || { not_ok "flood in mode ${m#*:}"; ksft_finish; }
done

l2 "command -v sockperf >/dev/null || { echo 'no sockperf in the guest image'; exit 1; }
    pidof sockperf >/dev/null ||
	setsid sockperf sr -i $L2_IP -p $RR_PORT > /tmp/sockperf.log 2>&1 < /dev/null &
    sleep 1
    pidof sockperf >/dev/null || { cat /tmp/sockperf.log; exit 1; }" ||
	{ not_ok "sockperf server in the guest"; ksft_finish; }
for m in off:0 fixed:1 adaptive:2; do
	rr "${m%:*}" "${m#*:}" || { not_ok "request/response in mode ${m#*:}"; ksft_finish; }
done
l2 'kill $(pidof sockperf) 2>/dev/null; true' >/dev/null

for n in off fixed adaptive; do
	eval "kpp_$n=\$(ratio \"\$kicks_flood_$n\" \"\$sent_$n\")"
	eval "log \"flood \$n: \$kicks_flood_$n kicks / \$sent_$n packets = \$kpp_$n; due \$kick_due_flood_$n, held \$kick_deferred_flood_$n, by timer \$kick_timer_flood_$n, by frames \$kick_frames_flood_$n, forced \$kick_forced_flood_$n; profile \$profile_flood_$n, moves \$kick_profile_moves_flood_$n\""
done
for n in off fixed adaptive; do
	eval "heldall_rr_$n=\$((kick_deferred_rr_$n + kick_forced_rr_$n))"
	eval "held_$n=\$(ratio \"\$heldall_rr_$n\" \"\$kick_due_rr_$n\")"
	eval "log \"rr \$n, \$RR_SECS s counted: \$kicks_rr_$n kicks, due \$kick_due_rr_$n, held \$heldall_rr_$n (\$held_$n; \$kick_forced_rr_$n of them forced out by a stopped queue); profile \$profile_rr_$n, moves \$kick_profile_moves_rr_$n\""
done

share_fixed=$(ratio "$kpp_fixed" "$kpp_off")
share_adapt=$(ratio "$kpp_adaptive" "$kpp_off")
if [ "$kpp_off" != inf ] && [ "$kpp_off" != 0.000 ] &&
   fcmp "$share_fixed" "<" $MAX_SHARE; then
	ok "flood, fixed: kicks per packet well below off ($kpp_off -> $kpp_fixed, $share_fixed < $MAX_SHARE)"
else
	not_ok "flood, fixed: kicks per packet well below off ($kpp_off -> $kpp_fixed, $share_fixed, want < $MAX_SHARE)"
fi
if [ "$kpp_off" != inf ] && [ "$kpp_off" != 0.000 ] &&
   fcmp "$share_adapt" "<" $MAX_SHARE && [ "${kick_deferred_flood_adaptive:-0}" -gt 0 ]; then
	ok "flood, adaptive: holds kicks, kicks per packet well below off ($kpp_off -> $kpp_adaptive, $share_adapt < $MAX_SHARE; profile $profile_flood_adaptive)"
else
	not_ok "flood, adaptive: holds kicks, kicks per packet well below off ($kpp_off -> $kpp_adaptive, $share_adapt, want < $MAX_SHARE; held $kick_deferred_flood_adaptive, profile $profile_flood_adaptive)"
fi
if [ "${kick_deferred_flood_off:-1}" -eq 0 ] && [ "$profile_flood_off" = 0 ] &&
   [ "$profile_flood_fixed" = 4 ] && [ "${kick_profile_moves_flood_fixed:-1}" -eq 0 ]; then
	ok "off holds nothing (profile 0), fixed stays at profile 4 without moves"
else
	not_ok "off holds nothing, fixed at profile 4 (off: held $kick_deferred_flood_off profile $profile_flood_off; fixed: profile $profile_flood_fixed moves $kick_profile_moves_flood_fixed)"
fi
if [ "${trans_off:-0}" -gt 100 ] && [ "${trans_fixed:-0}" -gt 100 ] &&
   [ "${trans_adaptive:-0}" -gt 100 ]; then
	ok "request/response ran in every mode (off $trans_off, fixed $trans_fixed, adaptive $trans_adaptive transactions)"
else
	not_ok "request/response ran in every mode (off '$trans_off', fixed '$trans_fixed', adaptive '$trans_adaptive')"
fi
if [ "${trans_fixed:-0}" -gt 0 ] && fcmp "$held_fixed" ">=" $FIXED_MIN_HELD; then
	ok "request/response, fixed: above the gate every reply is held ($held_fixed >= $FIXED_MIN_HELD)"
else
	not_ok "request/response, fixed: above the gate every reply is held ($held_fixed, want >= $FIXED_MIN_HELD)"
fi
if [ "${trans_adaptive:-0}" -gt 0 ] && fcmp "$held_adaptive" "<=" $ADAPT_MAX_HELD; then
	ok "request/response, adaptive: (almost) no reply held ($held_adaptive <= $ADAPT_MAX_HELD; $heldall_rr_adaptive of $kick_due_rr_adaptive)"
else
	not_ok "request/response, adaptive: (almost) no reply held ($held_adaptive, want <= $ADAPT_MAX_HELD; $heldall_rr_adaptive of $kick_due_rr_adaptive)"
fi

coal_set tx_kick_mode 1 >/dev/null 2>&1
coal_defaults >/dev/null 2>&1
ksft_finish
