#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Adaptive TX kicks (issue 20): tx_kick_mode 2 lets net_dim pick each
# send queue's hold. Judged on counts, each mode against off in the same
# run:
#  - a UDP flood from the guest above the gate: the adaptive queue holds
#    kicks (kicks per packet well below off), as the fixed mode does;
#  - closed-loop request/response above the gate (sockperf ping-pong, the
#    guest answers, one request in flight): the fixed mode holds every
#    reply, the adaptive queue (almost) none.
#
# Emulation scaling: the flood uses the scaled profile of lib_guest.sh
# (threshold 1,000 pps, 250 ms, 1 ms, 32 frames) at RATE pps in bursts of
# BATCH datagrams (a sender's burst: one kick due per datagram). Ping-pong
# under TCG runs at a few hundred transactions per second, so the
# request/response part lowers the gate to RR_THRESHOLD pps.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

RATE=${NCOAL_ADAPT_RATE:-2000}
BATCH=${NCOAL_ADAPT_BATCH:-4}
SECS=${NCOAL_ADAPT_SECS:-5}
RR_SECS=${NCOAL_ADAPT_RR_SECS:-6}
RR_THRESHOLD=50
RR_PORT=11111
# Flood: kicks per packet of a holding mode below this share of off's.
MAX_SHARE=0.6
# Request/response: replies held, of the kicks due; the fixed mode holds
# at least FIXED_MIN_HELD of them, the adaptive one at most
# ADAPT_MAX_HELD (net_dim probes a longer hold now and then).
FIXED_MIN_HELD=0.9
ADAPT_MAX_HELD=0.2

if ! rig_up; then
	not_ok "guest up"
	ksft_finish
fi
log "flood: scaled profile ($SCALED_THRESHOLD pps, ${SCALED_INTERVAL_MS} ms, ${SCALED_USECS} us, $SCALED_FRAMES frames), $RATE pps in bursts of $BATCH for $SECS s; request/response: gate $RR_THRESHOLD pps, sockperf ping-pong for $RR_SECS s"

out=$NCOAL_OUT/22-guest-adaptive
mkdir -p "$out"

# set_mode MODE THRESHOLD: the scaled profile with that gate and mode.
set_mode() {
	coal_profile "$2" $SCALED_INTERVAL_MS $SCALED_USECS $SCALED_FRAMES &&
		coal_set tx_kick_mode "$1"
}

# counters NAME P: queue 0's counter deltas of run P into NAME_* variables.
counters() {
	local c

	for c in kicks kick_due kick_deferred kick_timer kick_frames \
		 kick_profile_moves; do
		eval "${c}_$1=\$(gdelta \"$2.before\" \"$2.after\" tx0_$c)"
	done
	eval "profile_$1=\$(gstat \"$2.after\" tx0_kick_profile)"
}

# flood NAME MODE: one flood; sets sent_NAME and the counters.
flood() {
	local p=$out/flood-$1 s

	set_mode "$2" $SCALED_THRESHOLD || return 1
	"$UDPFLOOD" recv --idle 2 --timeout 60 5003 > "$p.recv" &
	sleep 0.5
	gstats "$p.before"
	l2 -t $((SECS + 60)) "udpflood send --rate $RATE --batch $BATCH --duration $SECS $L1_IP:5003" > "$p.send"
	gstats "$p.after"
	wait
	s=$(grep mode=send "$p.send")
	log "flood $1: $s; $(grep mode=recv "$p.recv")"
	eval "sent_$1=\$(kv sent \"\$s\")"
	counters "$1" "$p"
}

# rr NAME MODE: one ping-pong run; sets trans_NAME and the counters.
rr() {
	local p=$out/rr-$1 t

	set_mode "$2" $RR_THRESHOLD || return 1
	gstats "$p.before"
	timeout $((RR_SECS + 30)) sockperf ping-pong -i "$L2_IP" -p $RR_PORT \
		-t "$RR_SECS" --full-rtt > "$p.out" 2>&1
	gstats "$p.after"
	t=$(sed 's/\x1b\[[0-9;]*m//g' "$p.out" | awk '/\[Total Run\]/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^ReceivedMessages=/) {
			sub(/.*=/, "", $i); print $i + 0 } }')
	log "rr $1: $t transactions; $(sed 's/\x1b\[[0-9;]*m//g' "$p.out" | grep -m1 'Summary:')"
	eval "trans_$1=\${t:-0}"
	counters "$1" "$p"
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
	eval "kpp_$n=\$(ratio \"\$kicks_$n\" \"\$sent_$n\")"
	eval "log \"flood \$n: \$kicks_$n kicks / \$sent_$n packets = \$kpp_$n; due \$kick_due_$n, held \$kick_deferred_$n, by timer \$kick_timer_$n, by frames \$kick_frames_$n; profile \$profile_$n, moves \$kick_profile_moves_$n\""
done
for n in off fixed adaptive; do
	eval "held_$n=\$(ratio \"\$kick_deferred_$n\" \"\$kick_due_$n\")"
	eval "rkpp_$n=\$(ratio \"\$kicks_$n\" \"\$trans_$n\")"
	eval "log \"rr \$n: \$trans_$n transactions, \$kicks_$n kicks (\$rkpp_$n per reply); due \$kick_due_$n, held \$kick_deferred_$n (\$held_$n); profile \$profile_$n, moves \$kick_profile_moves_$n\""
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
   fcmp "$share_adapt" "<" $MAX_SHARE && [ "${kick_deferred_adaptive:-0}" -gt 0 ]; then
	ok "flood, adaptive: holds kicks, kicks per packet well below off ($kpp_off -> $kpp_adaptive, $share_adapt < $MAX_SHARE; profile $profile_adaptive)"
else
	not_ok "flood, adaptive: holds kicks, kicks per packet well below off ($kpp_off -> $kpp_adaptive, $share_adapt, want < $MAX_SHARE; held $kick_deferred_adaptive, profile $profile_adaptive)"
fi
if [ "${kick_deferred_off:-1}" -eq 0 ] && [ "$profile_off" = 0 ] &&
   [ "$profile_fixed" = 4 ] && [ "${kick_profile_moves_fixed:-1}" -eq 0 ]; then
	ok "off holds nothing (profile 0), fixed stays at profile 4 without moves"
else
	not_ok "off holds nothing, fixed at profile 4 (off: held $kick_deferred_off profile $profile_off; fixed: profile $profile_fixed moves $kick_profile_moves_fixed)"
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
	ok "request/response, adaptive: (almost) no reply held ($held_adaptive <= $ADAPT_MAX_HELD; $kick_deferred_adaptive of $kick_due_adaptive)"
else
	not_ok "request/response, adaptive: (almost) no reply held ($held_adaptive, want <= $ADAPT_MAX_HELD; $kick_deferred_adaptive of $kick_due_adaptive)"
fi

coal_set tx_kick_mode 1 >/dev/null 2>&1
coal_defaults >/dev/null 2>&1
ksft_finish
