#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest TX kick coalescing below the rate threshold (issue 4): at 10
# pings a second the guest behaves as stock. With coalescing on (scaled
# profile) no kick is held, kicks per packet match coalescing off, and the
# round trip time matches coalescing off, compared as ratios in the same
# run (this rig's absolute times mean nothing).
#
# Emulation scaling: threshold 1,000 pps (250 ms sampling), 1 ms, 32
# frames; 10 pings/s is far below it either way.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_guest.sh"
ksft_begin

COUNT=${NCOAL_PING_COUNT:-50}
# Tolerances: kicks per packet within 20%, median RTT within 50% (the
# emulated RTT varies by 2-30 ms from one packet to the next).
KPP_TOL=0.2
RTT_TOL=1.5

if ! rig_up; then
	not_ok "guest up"
	ksft_finish
fi
log "scaled profile: threshold $SCALED_THRESHOLD pps, ${SCALED_USECS} us, $SCALED_FRAMES frames; $COUNT pings at 10/s from L1"

out=$NCOAL_OUT/23-guest-ping
mkdir -p "$out"

# run MODE: pings from L1; the guest transmits the replies.
run() {
	local mode=$1 p=$out/$1 line

	gstats "$p.before"
	ping -c "$COUNT" -i 0.1 -W 5 "$L2_IP" > "$p.ping" 2>&1
	gstats "$p.after"
	line=$(grep -E '^(rtt|round-trip)' "$p.ping")
	log "$mode: $(grep 'packets transmitted' "$p.ping"); $line"
	# The median: one stalled packet of the emulator moves the mean.
	eval "rtt_$mode=\$(sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' \"$p.ping\" |
		sort -n | awk '{v[NR] = \$1} END {if (NR) print v[int((NR + 1) / 2)]}')"
	eval "recv_$mode=\$(sed -n 's/.* \([0-9]*\) received.*/\1/p' \"$p.ping\")"
	eval "kicks_$mode=\$(gdelta \"$p.before\" \"$p.after\" tx0_kicks)"
	eval "due_$mode=\$(gdelta \"$p.before\" \"$p.after\" tx0_kick_due)"
	eval "deferred_$mode=\$(gdelta \"$p.before\" \"$p.after\" tx0_kick_deferred)"
}

coal_off >/dev/null || { not_ok "set coalescing off"; ksft_finish; }
run off
coal_scaled >/dev/null || { not_ok "set the scaled profile"; ksft_finish; }
run on
state=$(coal_get state)

kpp_off=$(ratio "$kicks_off" "$COUNT")
kpp_on=$(ratio "$kicks_on" "$COUNT")
log "kicks/ping: off $kpp_off ($kicks_off), on $kpp_on ($kicks_on, due $due_on, held $deferred_on); state after: $state"
log "median RTT: off $rtt_off ms, on $rtt_on ms"

if [ "$recv_off" = "$COUNT" ] && [ "$recv_on" = "$COUNT" ]; then
	ok "every ping answered (off $recv_off, on $recv_on of $COUNT)"
else
	not_ok "every ping answered (off '$recv_off', on '$recv_on' of $COUNT)"
fi
if [ "$deferred_on" = 0 ] && [ "$state" = idle ]; then
	ok "below the threshold no kick is held (state idle)"
else
	not_ok "below the threshold no kick is held (held $deferred_on, state '$state')"
fi
kr=$(ratio "$kpp_on" "$kpp_off")
if fcmp "$kr" ">=" "$(awk -v t=$KPP_TOL 'BEGIN {print 1 - t}')" &&
   fcmp "$kr" "<=" "$(awk -v t=$KPP_TOL 'BEGIN {print 1 + t}')"; then
	ok "kicks per packet match coalescing off (on/off $kr)"
else
	not_ok "kicks per packet match coalescing off (on/off $kr, tolerance $KPP_TOL)"
fi
rr=$(ratio "$rtt_on" "$rtt_off")
if [ -n "$rtt_on" ] && [ -n "$rtt_off" ] && fcmp "$rr" "<=" "$RTT_TOL"; then
	ok "RTT matches coalescing off (on/off $rr <= $RTT_TOL)"
else
	not_ok "RTT matches coalescing off (on/off '$rr', want <= $RTT_TOL)"
fi

coal_defaults >/dev/null 2>&1
ksft_finish
