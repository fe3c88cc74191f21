#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host coalescer under traffic, driven by our userspace vhost-net
# driver (tools/vhost_net_drv): it injects UDP frames into the tap (RX)
# or queues them on the TX ring, and counts call-eventfd signals.
#
# Scaling: the test host is emulated (TCG, ~100x slower than hardware),
# so the rate threshold is scaled down from the shipped 10,000 pps to
# 1,000 pps and the traffic runs at 300 pps (below) and 3,000 pps
# (above). Results are ratios to coalescing off in the same boot, plus
# exact engine invariants; no absolute times are judged.
#
# A loaded test host cannot always keep the driver's pace: a driver that
# falls behind catches up in bursts, and one that cannot reach 3,000 pps
# never crosses the threshold. So the run below the threshold samples
# the rate over 1 s (a burst is averaged out), and the run above it
# takes its threshold and delay from the rate the coalescing-off run
# really sent: threshold at most half of it, a window that holds about
# three packets (1000 us at 3,000 pps). Each verdict says which rate
# the engine measured.

. "$(dirname "$0")/../lib.sh"
ksft_begin

DRV=$NCOAL_ROOT/tools/vhost_net_drv/vhost-net-drv
P=/sys/module/vhost_net/parameters
OUT=$(mktemp -d)
THR=1000

l2_stop
if ! host_load_ours; then
	not_ok "insmod our vhost_net"
	ksft_finish
fi
[ -x "$DRV" ] || { not_ok "vhost-net-drv built"; ksft_finish; }

# run NAME ARGS...: one driver run, its key=value output in $OUT/NAME
run() {
	local name=$1

	shift
	if ! "$DRV" "$@" > "$OUT/$name" 2> "$OUT/$name.err"; then
		log "$name: vhost-net-drv $* failed: $(tail -n 3 "$OUT/$name.err")"
		return 1
	fi
}

# v NAME KEY: a value from a run
v() {
	sed -n "s/^$2=//p" "$OUT/$1" | head -n1
}

# fcmp EXPR: a floating-point comparison, true or false
fcmp() {
	awk "BEGIN { exit !($*) }"
}

for dir in rx tx; do
	# Below the threshold: the gate stays closed, nothing is held.
	run ${dir}_low_off -m $dir -r 300 -d 3 -c "$dir:0:64:$THR:1000" &&
	run ${dir}_low_on -m $dir -r 300 -d 3 -c "$dir:1000:64:$THR:1000"
	low_ok() {
		local s=${dir}_low_on o=${dir}_low_off r

		[ "$(v $s ${dir}_coal_state)" = 1 ] ||
			fail "state $(v $s ${dir}_coal_state), want 1 (idle); engine measured $(v $s ${dir}_coal_rate) pps"
		[ "$(v $s ${dir}_coal_signals_deferred)" = 0 ] ||
			fail "$(v $s ${dir}_coal_signals_deferred) signals deferred below the threshold ($(v $s ${dir}_coal_activations) activations; driver sent $(v $s ${dir}_send_rate) pps)"
		[ "$(v $s ${dir}_coal_signals_sent)" = "$(v $s ${dir}_coal_signals_due)" ] ||
			fail "sent != due below the threshold"
		[ "$(v $s ${dir}_lost)" = 0 ] || fail "lost $(v $s ${dir}_lost)"
		r=$(awk -v a="$(v $s ${dir}_signals_per_pkt)" \
			-v b="$(v $o ${dir}_signals_per_pkt)" 'BEGIN{printf "%.2f", a / b}')
		# Informational: with event idx, signals per packet follow the
		# emulated rig's timing (0.6-0.9 seen in both runs); sent ==
		# due above is what proves that nothing was held.
		log "$dir 300 pps: signals/pkt off $(v $o ${dir}_signals_per_pkt), gated $(v $s ${dir}_signals_per_pkt) (ratio $r)"
	}
	check "$dir below threshold (300 pps < $THR): gate idle, every due signal sent at once, no loss" low_ok

	# Above the threshold: at most about one signal per window.
	run ${dir}_high_off -m $dir -r 3000 -d 3 -c "$dir:0:64:$THR:100"
	# What the rig really sent decides the threshold and the window.
	got=$(v ${dir}_high_off ${dir}_send_rate)
	thr=$(awk -v g="${got:-0}" -v t=$THR 'BEGIN{printf "%d", g / 2 < t ? g / 2 : t}')
	us=$(awk -v g="${got:-0}" 'BEGIN{u = g > 0 ? 3e6 / g : 1000; printf "%d", u < 1000 ? 1000 : u}')
	[ "$thr" -ge 1 ] || thr=1
	run ${dir}_high_on -m $dir -r 3000 -d 3 -c "$dir:$us:64:$thr:100"
	high_ok() {
		local s=${dir}_high_on o=${dir}_high_off r sent win ff

		log "$dir: the off run sent $got pps: threshold $thr pps, $us us windows; on run sent $(v $s ${dir}_send_rate) pps, engine measured $(v $s ${dir}_coal_rate) pps"
		[ "$(v $s ${dir}_coal_state)" = 2 ] ||
			fail "state $(v $s ${dir}_coal_state), want 2 (active) at a measured $(v $s ${dir}_coal_rate) pps >= $thr"
		[ "$(v $s ${dir}_lost)" = 0 ] || fail "lost $(v $s ${dir}_lost)"
		[ "$(v $s ${dir}_unsignalled)" = 0 ] ||
			fail "$(v $s ${dir}_unsignalled) used buffers never signalled"
		r=$(awk -v a="$(v $s ${dir}_signals_per_pkt)" \
			-v b="$(v $o ${dir}_signals_per_pkt)" 'BEGIN{printf "%.2f", a / b}')
		sent=$(v $s ${dir}_coal_signals_sent)
		ff=$(v $s ${dir}_coal_frame_flushes)
		# windows of $us us in the run, with 20% for the rate ramp
		win=$(awk -v t="$(v $s elapsed_s)" -v u="$us" 'BEGIN{printf "%d", t * 1e6 / u * 1.2 + 10}')
		log "$dir $(v $s ${dir}_send_rate) pps, $us us: signals/pkt off $(v $o ${dir}_signals_per_pkt), on $(v $s ${dir}_signals_per_pkt) (ratio $r); sent $sent, windows <= $win, frame flushes $ff, timer fires $(v $s ${dir}_coal_timer_fires)"
		fcmp "$r < 0.9" || fail "signals/pkt ratio $r, want < 0.9"
		[ "$sent" -le $((win + ff)) ] ||
			fail "$sent signals > $win windows + $ff frame flushes"
	}
	check "$dir above threshold (offered 3000 pps): fewer signals, <= 1 per window, no loss" high_ok
done

# The frame bound flushes before the timer when frames arrive fast.
run rx_frames -m rx -r 3000 -d 2 -c "rx:2000:4:0:100"
frames_ok() {
	local ff pk sent

	ff=$(v rx_frames rx_coal_frame_flushes)
	pk=$(v rx_frames rx_coal_packets)
	sent=$(v rx_frames rx_coal_signals_sent)
	log "rx 3000 pps, 2000 us, 4 frames: $ff frame flushes, $sent signals, $pk packets"
	[ "$ff" -gt 0 ] || fail "no frame-bound flush"
	[ "$(v rx_frames rx_lost)" = 0 ] || fail "lost $(v rx_frames rx_lost)"
	[ "$(v rx_frames rx_unsignalled)" = 0 ] || fail "unsignalled buffers"
}
check "rx frame bound (4 frames) flushes before the timer" frames_ok

# Module parameters changed during traffic reach rings without an
# explicit setting.
param_live() {
	local old_u old_t old_i

	old_u=$(cat $P/rx_coalesce_usecs)
	old_t=$(cat $P/coalesce_rate_threshold)
	old_i=$(cat $P/coalesce_rate_interval_ms)
	echo 0 > $P/rx_coalesce_usecs
	echo $THR > $P/coalesce_rate_threshold
	echo 100 > $P/coalesce_rate_interval_ms
	( sleep 1.5; echo 1000 > $P/rx_coalesce_usecs ) &
	run rx_live -m rx -r 3000 -d 4
	wait
	echo "$old_u" > $P/rx_coalesce_usecs
	echo "$old_t" > $P/coalesce_rate_threshold
	echo "$old_i" > $P/coalesce_rate_interval_ms
	log "rx live change 0 -> 1000 us: state $(v rx_live rx_coal_state), timer fires $(v rx_live rx_coal_timer_fires), flags $(v rx_live rx_coal_flags)"
	[ "$(v rx_live rx_coal_state)" = 2 ] || fail "not active after the change"
	[ "$(v rx_live rx_coal_timer_fires)" -gt 0 ] || fail "no timer fired"
	[ "$(v rx_live rx_lost)" = 0 ] || fail "lost $(v rx_live rx_lost)"
}
check "module parameter changed during traffic takes effect" param_live

# Teardown with armed timers: open, traffic, close at once, 1000 times.
cycles_ok() {
	run cycles -m both -r 2000 -d 0.01 --cycles 1000 \
		-c rx:1000:64:0:100 -c tx:1000:64:0:100 || return 1
	log "cycles: $(v cycles cycles_done) done ($(v cycles teardown_close) close, $(v cycles teardown_detach) detach, $(v cycles teardown_reset_owner) reset-owner)"
	[ "$(v cycles cycles_done)" = 1000 ] || fail "only $(v cycles cycles_done) cycles"
}
check "1000 open/arm/close cycles with traffic" cycles_ok

# Adaptive moderation (net_dim picks the hold, 2 ms the bound), rate
# threshold 0: always above the gate. Request/response with one frame in
# flight gains nothing from a hold, so the ring must end up holding
# (almost) nothing; a flood gains, so it must hold. Judged by the
# engine's counts; the rates are logged.
run rr_fixed -m rx -r 20000 -d 5 --closed-loop 1 -c rx:2000:64:0:100
run rr_adaptive -m rx -r 20000 -d 5 --closed-loop 1 -c rx:2000:64:0:100:adaptive
adaptive_rr_ok() {
	local f=rr_fixed a=rr_adaptive

	log "rr 1 in flight: fixed $(v $f rx_received) frames, deferred $(v $f rx_coal_signals_deferred) of $(v $f rx_coal_signals_due) due; adaptive $(v $a rx_received) frames, deferred $(v $a rx_coal_signals_deferred) of $(v $a rx_coal_signals_due), profile $(v $a rx_coal_profile) after $(v $a rx_coal_profile_moves) moves"
	[ "$(v $a rx_coal_mode)" = 2 ] || fail "mode $(v $a rx_coal_mode), want 2 (adaptive)"
	[ "$(v $a rx_lost)" = 0 ] || fail "lost $(v $a rx_lost)"
	fcmp "$(v $a rx_coal_signals_deferred) * 5 <= $(v $a rx_coal_signals_due)" ||
		fail "adaptive held more than 1 in 5 due signals"
	fcmp "$(v $f rx_coal_signals_deferred) * 10 > $(v $f rx_coal_signals_due) * 9" ||
		fail "fixed mode did not hold (the comparison means nothing)"
}
check "rx adaptive, request/response: holds (almost) nothing where fixed holds every frame" adaptive_rr_ok

# An evenly paced flood: adaptive must reach most of fixed mode's
# reduction of signals/packet (issue 20 asks for 70% in the bench; the
# policy stayed at profile 0-1 here and reached about half).
for dir in rx tx; do
	run flood_off_$dir -m $dir -r 3000 -d 4 -c $dir:0:64:0:100
	run flood_fixed_$dir -m $dir -r 3000 -d 4 -c $dir:2000:64:0:100
	run flood_adaptive_$dir -m $dir -r 3000 -d 4 -c $dir:2000:64:0:100:adaptive
	adaptive_flood_ok() {
		local o=flood_off_$dir f=flood_fixed_$dir a=flood_adaptive_$dir
		local so sf sa

		so=$(v $o ${dir}_signals_per_pkt)
		sf=$(v $f ${dir}_signals_per_pkt)
		sa=$(v $a ${dir}_signals_per_pkt)
		log "$dir flood $(v $a ${dir}_send_rate) pps: signals/pkt off $so, fixed $sf, adaptive $sa; deferred $(v $a ${dir}_coal_signals_deferred) of $(v $a ${dir}_coal_signals_due) due, profile $(v $a ${dir}_coal_profile) after $(v $a ${dir}_coal_profile_moves) moves"
		[ "$(v $a ${dir}_lost)" = 0 ] || fail "lost $(v $a ${dir}_lost)"
		[ "$(v $a ${dir}_unsignalled)" = 0 ] || fail "unsignalled buffers"
		fcmp "$(v $a ${dir}_coal_signals_deferred) * 2 > $(v $a ${dir}_coal_signals_due)" ||
			fail "adaptive held fewer than half the due signals under a flood"
		fcmp "$so - $sf > 0.2" ||
			fail "fixed mode saved little (the comparison means nothing)"
		fcmp "$so - $sa >= 0.7 * ($so - $sf)" ||
			fail "adaptive reached less than 70% of fixed's reduction"
	}
	check "$dir adaptive, flood: holds, >= 70% of fixed's reduction" adaptive_flood_ok
done

# Signals held for half a second (rate threshold 0: always active), then
# what must send them at once; judged by counts, not by time: the signal
# is on the call eventfd when the ioctl returns, the timer never fired.
old_max=$(cat $P/coalesce_max_usecs)
echo 1000000 > $P/coalesce_max_usecs
HOLD=(-c rx:500000:64:0:100 -c tx:500000:64:0:100)

# A VMM stops a ring (VM stop, migration, link down, a queue's
# RING_RESET) with VHOST_NET_SET_BACKEND -1 and may then close the call
# eventfd: a signal sent later reaches nobody.
# With the vhost_net_coal_flush tracepoint on, for trace_ok below: the
# detach, and a short run whose frame bound (4) flushes.
T=/sys/kernel/tracing
E=$T/events/vhost_net_coal/vhost_net_coal_flush
[ -e $T/trace ] || mount -t tracefs tracefs $T 2> /dev/null
traced=0
if [ -w $E/enable ] && : > $T/trace && echo 1 > $E/enable; then
	traced=1
fi
run held_detach -m both --held detach "${HOLD[@]}"
run trace_frames -m rx -r 3000 -d 0.3 -c rx:2000:4:0:100
if [ $traced = 1 ]; then
	echo 0 > $E/enable
	cp $T/trace "$OUT/trace"
fi
detach_ok() {
	local r=$1 k

	k() { v held_detach "${r}_held_$1"; }
	log "$r: used $(k used), signals before detach $(k signals_before), at detach $(k signals_at_detach), timer fires $(k timer_fires), flushes $(k flushes), signalled after re-attach $(k reattached_signalled)"
	[ "$(k used)" = 1 ] || fail "the frames were not used"
	[ "$(k signals_before)" = 0 ] || fail "the signal was not held"
	[ "$(k signals_at_detach)" -ge 1 ] ||
		fail "no signal when VHOST_NET_SET_BACKEND -1 returned"
	[ "$(k timer_fires)" = 0 ] || fail "the timer sent it, not the detach"
	[ "$(k reattached_signalled)" = 1 ] ||
		fail "the ring did not signal after the backend came back"
}
check "rx: a held signal is sent before VHOST_NET_SET_BACKEND -1 returns" detach_ok rx
check "tx: a held completion is sent before VHOST_NET_SET_BACKEND -1 returns" detach_ok tx

# A tracepoint names the device by the <n> of its debugfs directory
# vhost_net/<pid>-<n> and the ring by its index, and the reason by name:
# a hashed pointer tells an operator nothing.
trace_ok() {
	local id fid r bad

	[ $traced = 1 ] || fail "cannot enable $E"
	id=$(v held_detach dev_id)
	fid=$(v trace_frames dev_id)
	log "devices $id (detach), $fid (frame bound): $(grep -c 'vhost_net_coal_flush:' "$OUT/trace") flush lines:$(grep -o 'vhost_net_coal_flush: .*' "$OUT/trace" | sort | uniq -c | tr -s ' \n' ' ')"
	bad=$(grep -o 'vhost_net_coal_flush: .*' "$OUT/trace" |
		grep -Ev '^vhost_net_coal_flush: dev=[0-9]+ ring=[01] why=[a-z]+$' | head -n1)
	[ -z "$bad" ] || fail "a line without dev=<n> ring=<index> why=<name>: $bad"
	grep -Eq "vhost_net_coal_flush: dev=$fid ring=0 why=frames\$" "$OUT/trace" ||
		fail "no line 'vhost_net_coal_flush: dev=$fid ring=0 why=frames'"
	for r in 0 1; do
		grep -Eq "vhost_net_coal_flush: dev=$id ring=$r why=backend\$" "$OUT/trace" ||
			fail "no line 'vhost_net_coal_flush: dev=$id ring=$r why=backend'"
	done
}
check "tracepoint: flushes read dev=<n> ring=<index> why=<name> (frames, backend)" trace_ok

# The guest posted 8 RX buffers; 12 frames arrive: it refills only once
# it hears of the 8, so the signal goes now, not after 500 ms.
run held_starve -m rx --held starve --rx-posted 8 "${HOLD[@]}"
# starved RUN RING WHAT: RING's starve run signalled at once, not by
# the timer, though the guest had no WHAT left
starved() {
	k() { v "$1" "$2_starve_$3"; }
	[ "$(k "$1" "$2" used)" = 1 ] || fail "the frames were not used"
	[ "$(k "$1" "$2" signalled)" = 1 ] || fail "no signal"
	[ "$(k "$1" "$2" timer_fires)" = 0 ] ||
		fail "the guest waited for the timer with no $3 left"
	[ "$(k "$1" "$2" flushes)" -ge 1 ] || fail "no flush counted"
}
starve_ok() {
	log "rx, $(v held_starve rx_starve_posted) buffers posted: used $(v held_starve rx_starve_used), signalled $(v held_starve rx_starve_signalled), timer fires $(v held_starve rx_starve_timer_fires), flushes $(v held_starve rx_starve_flushes)"
	starved held_starve rx buffer
}
check "rx: a guest out of buffers hears at once, not when the timer fires" starve_ok

# 8 TX frames of 8 chained descriptors each fill a 64-entry ring: the
# guest can send nothing more until it hears of them, so the signal goes
# now, not after 500 ms, though 8 frames are fewer than the frame bound.
run held_starve_tx -m tx --held starve -R 64 "${HOLD[@]}"
starve_tx_ok() {
	log "tx, $(v held_starve_tx tx_starve_frames) frames in $(v held_starve_tx tx_starve_descriptors) descriptors: used $(v held_starve_tx tx_starve_used), signalled $(v held_starve_tx tx_starve_signalled), timer fires $(v held_starve_tx tx_starve_timer_fires), flushes $(v held_starve_tx tx_starve_flushes)"
	starved held_starve_tx tx descriptor
}
check "tx: a guest out of descriptors hears at once, not when the timer fires" starve_tx_ok

# The admin lowers the cap under a held signal: it goes out now, not
# when the timer armed with the old delay fires.
run held_cap -m rx --held cap "${HOLD[@]}"
cap_ok() {
	local k

	k() { v held_cap "rx_cap_$1"; }
	log "rx: used $(k used), signals before $(k signals_before), signalled $(k signalled), timer fires $(k timer_fires), flushes $(k flushes), cap now $(cat $P/coalesce_max_usecs)"
	[ "$(k used)" = 1 ] || fail "the frames were not used"
	[ "$(k signals_before)" = 0 ] || fail "the signal was not held"
	[ "$(k signalled)" = 1 ] || fail "no signal"
	[ "$(k timer_fires)" = 0 ] ||
		fail "the timer armed before the write sent it"
}
check "rx: lowering coalesce_max_usecs sends a held signal at once" cap_ok
echo 1000000 > $P/coalesce_max_usecs

# A guest that negotiated VIRTIO_F_NOTIFY_ON_EMPTY asked to hear when the
# device has used every buffer it gave: 4 TX frames of one descriptor,
# all sent, none left, so the signal goes now; without the feature it is
# held. (4 of 256 descriptors: far from the half-ring rule above.)
run held_empty_noe -m tx --held empty --notify-on-empty "${HOLD[@]}"
run held_empty -m tx --held empty "${HOLD[@]}"
empty_ok() {
	local k

	k() { v "$1" "tx_empty_$2"; }
	log "tx, $(k held_empty_noe frames) frames, features $(v held_empty_noe acked_features): used $(k held_empty_noe used), signalled $(k held_empty_noe signalled), timer fires $(k held_empty_noe timer_fires), flushes $(k held_empty_noe flushes)"
	log "tx, features $(v held_empty acked_features) (no NOTIFY_ON_EMPTY): used $(k held_empty used), signalled $(k held_empty signalled), timer fires $(k held_empty timer_fires), flushes $(k held_empty flushes)"
	[ "$(k held_empty_noe used)" = 1 ] || fail "the frames were not sent"
	[ "$(k held_empty_noe signalled)" = 1 ] || fail "no signal"
	[ "$(k held_empty_noe timer_fires)" = 0 ] ||
		fail "with NOTIFY_ON_EMPTY and the ring empty, the guest waited for the timer"
	[ "$(k held_empty_noe flushes)" -ge 1 ] || fail "no flush counted"
	[ "$(k held_empty used)" = 1 ] ||
		fail "without NOTIFY_ON_EMPTY: the frames were not sent"
	[ "$(k held_empty signalled)" = 1 ] ||
		fail "without NOTIFY_ON_EMPTY: no signal"
	[ "$(k held_empty timer_fires)" -ge 1 ] ||
		fail "without NOTIFY_ON_EMPTY nothing was held (the comparison means nothing)"
}
check "tx: VIRTIO_F_NOTIFY_ON_EMPTY: a ring used up signals at once, not by the timer" empty_ok

# Below, the RX ring follows the module parameters (no --coalesce): holds
# of 1 s, the gate always open.
old_u=$(cat $P/rx_coalesce_usecs)
old_t=$(cat $P/coalesce_rate_threshold)
old_f=$(cat $P/rx_max_coalesced_frames)
echo 0 > $P/coalesce_rate_threshold
echo 1000000 > $P/rx_coalesce_usecs

# A debugfs read only shows. The write (a frame bound of 2, 4 held)
# sends the held signal at once; the reads after it must leave the
# counters and the call eventfd as they were. A module that applied the
# write only at the next signal or read would flush at the first read.
run held_debugfs -m rx --held debugfs --knob rx_max_coalesced_frames=2
echo "$old_f" > $P/rx_max_coalesced_frames
debugfs_ok() {
	local k f

	k() { v held_debugfs "rx_dbg_$1"; }
	log "rx: pending $(k pending_before) and $(k signals_before) signals before the write, $(k signals_at_write) at it; timer fires $(k timer_fires)"
	log "rx: $(k reads) reads of rx and tx: pending $(k pending_first) -> $(k pending_last), flushes $(k flushes_first) -> $(k flushes_last), signals_sent $(k signals_sent_first) -> $(k signals_sent_last), all alike $(k reads_same), call eventfd +$(k signals_across_reads)"
	[ "$(k used)" = 1 ] || fail "the frames were not used"
	[ "$(k signals_before)" = 0 ] || fail "the signal was not held"
	[ "$(k pending_before)" -gt 0 ] || fail "debugfs showed nothing pending"
	[ "$(k signals_across_reads)" = 0 ] ||
		fail "the call eventfd counted $(k signals_across_reads) signals across the reads"
	for f in pending flushes signals_sent; do
		[ "$(k ${f}_first)" = "$(k ${f}_last)" ] ||
			fail "$f changed across the reads"
	done
	[ "$(k reads_same)" = 1 ] || fail "two reads of one file differ"
	[ "$(k signals_at_write)" = 1 ] ||
		fail "the write did not send the held signal (the reads had nothing to change)"
	[ "$(k timer_fires)" = 0 ] || fail "the timer sent the held signal"
}
check "rx: reading debugfs changes nothing: counters, held signals, call eventfd" debugfs_ok

# Without event idx each vhost_signal() is one count on the call
# eventfd. Over a write that flushes a held signal (coalescing off) and
# the frames after it, signals_sent must be what the eventfd counted: a
# flush and the frames' own signal are two, not one counted twice.
run held_count -m rx --held count --no-event-idx --knob rx_coalesce_usecs=0
count_ok() {
	local k

	k() { v held_count "rx_count_$1"; }
	log "rx, event idx $(k event_idx): call eventfd counted $(k call_signals) in $(k call_reads) reads; signals_sent $(k signals_sent), flushes $(k flushes), timer fires $(k timer_fires)"
	[ "$(k used)" = 1 ] || fail "the frames were not used"
	[ "$(k signals_sent)" = "$(k call_signals)" ] ||
		fail "signals_sent $(k signals_sent), the call eventfd counted $(k call_signals)"
	[ "$(k flushes)" -ge 1 ] ||
		fail "no flush: the write met no held signal (the count means little)"
	[ "$(k timer_fires)" = 0 ] || fail "the timer fired: the write came too late"
}
check "rx: each signal the ring counts as sent is one call eventfd signal" count_ok
echo "$old_u" > $P/rx_coalesce_usecs
echo "$old_t" > $P/coalesce_rate_threshold

# A frame bound above half the ring is brought down to it: a guest never
# waits for a signal with most of its ring used.
run ring_clamp -m rx -r 100 -d 0.2 --ring 64 -c rx:1000:1024:0:100
clamp_ok() {
	log "ring 64, rx-frames 1024 asked: $(v ring_clamp rx_coal_max_frames) applied"
	[ "$(v ring_clamp rx_coal_max_frames)" = 32 ] ||
		fail "max_frames $(v ring_clamp rx_coal_max_frames), want 32"
}
check "max_frames is bounded by half the ring" clamp_ok
echo "$old_max" > $P/coalesce_max_usecs

rm -rf "$OUT"
ksft_finish
