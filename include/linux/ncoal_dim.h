/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ncoal_dim: how long an ncoal engine holds, chosen on lib/dim.
 *
 * The engine (include/linux/ncoal.h) holds notifications; this policy
 * decides for how long.  In adaptive mode it measures, per ring, frames,
 * bytes and notifications (DIM's events) over windows of DIM_NEVENTS
 * notifications and moves between five profiles with net_dim()'s
 * decision: lib/dim's state machine (struct dim, dim_turn(),
 * dim_on_top(), dim_park_on_top(), dim_park_tired()), net_dim()'s steps
 * and its comparison: throughput (bytes, then frames) first, then fewer
 * notifications, each by more than 10%.  The policy maps the profile
 * onto the engine's parameters, which stay the upper bound
 * (ncoal_set_profile()).  The engine's rate gate stays the floor: below
 * it nothing is held, and nothing is measured.
 *
 * Two things differ from calling net_dim() itself:
 *
 * - The comparison runs on exact per-second rates.  net_dim() rounds
 *   each rate up to whole events per ms over 64 events: at the few
 *   thousand frames/s of an emulated host (and the first profiles at
 *   10,000), halving the notifications reads as 3 -> 2 or 2 -> 1 -> 1
 *   events per ms, so a climb that pays looks like no gain and DIM
 *   turns back.  Its clock cannot be slowed to fix that: it stamps a
 *   window's start with ktime_get() itself.
 * - A profile whose window shows a frame rate more than 1/32 below
 *   the one measured at profile 0 costs the peer frames (closed-loop
 *   request/response waits for our notifications; an open flood does
 *   not slow down): climbing, that is a step that did not pay; parked
 *   there, DIM starts over from 0.  net_dim() alone accepts up to 10%
 *   less throughput per step, compared with the step before, which adds
 *   up over steps.
 *
 * Profile 0 holds nothing (DIM's 1 us there means "no moderation" on
 * hardware, and a software timer that short costs more than the
 * notification).  For a bound of U us and F frames, profile i > 0 per
 * &ncoal_dim_params.table:
 *
 * - NCOAL_DIM_TABLE_FRAMES: profiles 1-3 hold at most 2^i frames for at
 *   most 2^i frame gaps at the rate measured at profile 0 (U until one
 *   was measured); profile 4 is the bound, U and F.  Each step doubles
 *   the frames a notification can cover, so it shows a gain wherever
 *   frames keep arriving during a hold, evenly paced or not; a hold
 *   shorter than the gap between frames never does, which keeps the
 *   other tables at profile 0 on an evenly paced flood.
 * - NCOAL_DIM_TABLE_NET_DIM: net_dim()'s proportions.  Profile i holds
 *   U * usec(i) / usec(4) us and F * pkts(i) / pkts(4) frames, where
 *   usec() and pkts() are net_dim()'s period-from-first-event (EQE)
 *   profiles: RX for receive rings, TX for completions and kicks.  For
 *   U = 500: RX 0, 15, 125, 250, 500 us; TX 0, 31, 125, 250, 500 us; F
 *   frames in each (EQE profiles keep pkts constant).
 * - NCOAL_DIM_TABLE_HALVING: 0, U/8, U/4, U/2, U us, F frames.
 *
 * Every delay is at least &ncoal_dim_params.min_usecs and never above U;
 * every frame bound at least 2 and never above F.
 *
 * The caller serialises all calls on one ring with the engine's own
 * serialisation (the ring's lock), and calls ncoal_dim_due() in place of
 * ncoal_due()::
 *
 *	switch (ncoal_dim_due(&d, &c, ktime_get_ns(), frames, bytes)) {
 *	...	as for ncoal_due()
 *	}
 *
 * Parked at profile 0, DIM probes profile 1 again whenever the rates it
 * measures move by 10%, which a noisy request/response workload does
 * every few windows; each probe holds a window of frames that gain
 * nothing.  So when DIM comes back to 0 from a profile whose holds
 * covered fewer than 1.5 frames each (a hold of a single frame is pure
 * delay), it pauses for a number of windows that grows fourfold with
 * each such probe (up to NCOAL_DIM_BACKOFF_MAX), counted above the rate
 * gate (a dip below the gate starts the pause over); a profile whose holds
 * covered 2 frames or more clears it, so traffic that batches is never
 * paused.
 * A probe whose first 4 notifications covered fewer than 1.25 frames
 * each ends there, as a step back to 0, instead of after a window.
 *
 * The profile is applied within ncoal_dim_due(), so no other lock is
 * needed and no work is scheduled.
 */
#ifndef _LINUX_NCOAL_DIM_H
#define _LINUX_NCOAL_DIM_H

#include <linux/dim.h>
#include <linux/ncoal.h>
#include <linux/types.h>

/*
 * Longest pause after probes that came back to profile 0, in windows:
 * 16,384 notifications, under a second at 20,000 requests/s.
 */
#define NCOAL_DIM_BACKOFF_MAX	256

/**
 * enum ncoal_mode - how long a held notification waits
 * @NCOAL_MODE_OFF: nothing is held
 * @NCOAL_MODE_FIXED: the full &ncoal_params.usecs and
 *	&ncoal_params.max_frames, above the rate gate
 * @NCOAL_MODE_ADAPTIVE: the profile DIM picks, bounded by them
 * @NCOAL_MODE_NUM: number of modes
 */
enum ncoal_mode {
	NCOAL_MODE_OFF,
	NCOAL_MODE_FIXED,
	NCOAL_MODE_ADAPTIVE,
	NCOAL_MODE_NUM,
};

/**
 * enum ncoal_dim_dir - which of net_dim()'s profile tables a ring uses
 *	(&NCOAL_DIM_TABLE_NET_DIM)
 * @NCOAL_DIM_RX: receive: interrupts for received frames
 * @NCOAL_DIM_TX: transmit: completion interrupts and kicks
 */
enum ncoal_dim_dir {
	NCOAL_DIM_RX,
	NCOAL_DIM_TX,
};

/**
 * enum ncoal_dim_table - how the profiles map onto the bound
 * @NCOAL_DIM_TABLE_NET_DIM: in net_dim()'s own proportions
 * @NCOAL_DIM_TABLE_HALVING: 1/8, 1/4, 1/2 and all of the bound
 * @NCOAL_DIM_TABLE_FRAMES: 2, 4 and 8 frames (as many gaps), then the bound
 * @NCOAL_DIM_TABLE_NUM: number of tables
 *
 * Both keep profile 0 holding nothing; see the top of this file.
 */
enum ncoal_dim_table {
	NCOAL_DIM_TABLE_NET_DIM,
	NCOAL_DIM_TABLE_HALVING,
	NCOAL_DIM_TABLE_FRAMES,
	NCOAL_DIM_TABLE_NUM,
};

/**
 * struct ncoal_dim_params - policy parameters
 * @mode: &enum ncoal_mode
 * @gap_usecs: end-of-burst gap of every hold, in microseconds, see
 *	&ncoal_profile.gap_usecs; 0: off
 * @min_usecs: smallest delay an adaptive profile holds for, in
 *	microseconds (a floor on the timer rate); 0: 1 us
 * @table: &enum ncoal_dim_table
 */
struct ncoal_dim_params {
	u32 mode;
	u32 gap_usecs;
	u32 min_usecs;
	u32 table;
};

/**
 * struct ncoal_dim_rates - what one measuring window saw, per second
 * @bps: bytes
 * @pps: frames
 * @eps: notifications
 */
struct ncoal_dim_rates {
	u64 bps;
	u64 pps;
	u64 eps;
};

/**
 * struct ncoal_dim_window - the counters when a measuring window opened
 * @time: ns
 * @pkts: &ncoal_stats.packets
 * @bytes: &ncoal_dim.bytes
 * @sent: &ncoal_stats.sent
 */
struct ncoal_dim_window {
	u64 time;
	u64 pkts;
	u64 bytes;
	u64 sent;
};

/**
 * struct ncoal_dim - the policy of one ring; callers treat it as opaque
 * @dim: lib/dim's state machine: profile, direction, steps, tiredness
 * @params: parameters in effect
 * @prev: the window the last decision compared with
 * @win: the window being measured
 * @bytes: bytes reported by ncoal_dim_due()
 * @base_pps: frames/s at profile 0 since DIM last came there, 0: none yet
 * @base_pkts: frames in the windows at profile 0 since DIM last came there
 * @base_ns: their time
 * @bound_usecs: &ncoal_params.usecs the profile was mapped from
 * @bound_frames: &ncoal_params.max_frames the profile was mapped from
 * @moves: profile changes
 * @skip_from: notification count when the current pause began, or last
 *	started over below the gate
 * @skip: notifications to pause for, 0: none
 * @mark_pkts: frame count at the last profile move
 * @mark_sent: notification count at the last profile move
 * @backoff: windows of the next pause, grown fourfold by every probe
 *	whose holds covered single frames, cleared by a profile that batched
 * @measuring: @win is open
 * @dir: &enum ncoal_dim_dir
 */
struct ncoal_dim {
	struct dim dim;
	struct ncoal_dim_params params;
	struct ncoal_dim_rates prev;
	struct ncoal_dim_window win;
	u64 bytes;
	u64 base_pps;
	u64 base_pkts;
	u64 base_ns;
	u32 bound_usecs;
	u32 bound_frames;
	u64 moves;
	u64 skip_from;
	u64 mark_pkts;
	u64 mark_sent;
	u32 skip;
	u16 backoff;
	bool measuring;
	u8 dir;
};

/**
 * ncoal_dim_params_validate - check policy parameters
 * @p: parameters
 * @lim: the caps of the engine's parameters (&ncoal_limits.max_usecs)
 *
 * Return: 0 if @p is acceptable; -EINVAL for an unknown mode or table;
 * -ERANGE if @p->min_usecs or @p->gap_usecs exceeds @lim->max_usecs, or
 * a non-zero @p->gap_usecs is below @p->min_usecs.  -EINVAL takes
 * precedence.
 */
int ncoal_dim_params_validate(const struct ncoal_dim_params *p,
			      const struct ncoal_limits *lim);

/**
 * ncoal_dim_init - set up the policy of a ring
 * @d: the policy
 * @dir: which profile table it uses
 * @p: parameters, already checked with ncoal_dim_params_validate()
 * @c: the ring's engine, initialised with ncoal_init()
 *
 * Call once, or again after ncoal_dim_destroy(), and ncoal_dim_destroy()
 * before @d goes away.  Applies @p's mode to @c; adaptive mode starts at
 * profile 0 (nothing held) and lets DIM find out whether holding pays.
 */
void ncoal_dim_init(struct ncoal_dim *d, enum ncoal_dim_dir dir,
		    const struct ncoal_dim_params *p, struct ncoal *c);

/**
 * ncoal_dim_reset - start over after the engine was initialised again
 * @d: the policy
 * @c: the ring's engine, just reset with ncoal_init()
 *
 * Forgets what DIM learnt and applies the mode to @c again (which
 * ncoal_init() reset to the parameters' bounds).  Counters are kept.
 *
 * Return: true if the caller must notify now (counted in sent).
 */
bool ncoal_dim_reset(struct ncoal_dim *d, struct ncoal *c);

/**
 * ncoal_dim_set_params - change the policy of a running ring
 * @d: the policy
 * @c: the ring's engine
 * @p: parameters, already checked with ncoal_dim_params_validate()
 *
 * A change of mode or table restarts DIM's learning.  Held frames are
 * flushed as by ncoal_set_profile() when the hold in effect changes.
 *
 * Return: true if the caller must notify now (counted in sent).
 */
bool ncoal_dim_set_params(struct ncoal_dim *d, struct ncoal *c,
			  const struct ncoal_dim_params *p);

/**
 * ncoal_dim_due - a notification covering new frames is due
 * @d: the policy
 * @c: the ring's engine
 * @now: current time, ns, from ktime_get_ns()
 * @frames: frames it covers, as for ncoal_due()
 * @bytes: bytes in those frames (DIM judges bytes first: a caller that
 *	cannot count bytes passes @frames)
 *
 * Calls ncoal_due(), then measures and decides while the rate gate is
 * open, and applies the profile DIM moves to, or the new bounds after
 * ncoal_set_params().  If that flushes held frames the result is
 * NCOAL_SEND, and the engine forgot its timer.
 *
 * Return: as ncoal_due().
 */
enum ncoal_action ncoal_dim_due(struct ncoal_dim *d, struct ncoal *c,
				u64 now, u32 frames, u32 bytes);

/**
 * ncoal_dim_destroy - the ring goes away
 * @d: the policy
 *
 * The policy holds nothing to release today; callers call it where it
 * may sleep, so that it may wait for something later.
 */
void ncoal_dim_destroy(struct ncoal_dim *d);

/**
 * ncoal_dim_mode - the mode in effect
 * @d: the policy
 *
 * Return: &enum ncoal_mode.
 */
static inline enum ncoal_mode ncoal_dim_mode(const struct ncoal_dim *d)
{
	return d->params.mode;
}

/**
 * ncoal_dim_profile_ix - the DIM profile a ring is at
 * @d: the policy
 *
 * Return: 0 (nothing held) to NET_DIM_PARAMS_NUM_PROFILES - 1 (the
 * bound); meaningful in adaptive mode.  ncoal_get_profile() tells the
 * delay and frames it maps to.
 */
static inline u8 ncoal_dim_profile_ix(const struct ncoal_dim *d)
{
	return d->dim.profile_ix;
}

/**
 * ncoal_dim_moves - how often DIM moved the profile
 * @d: the policy
 *
 * Return: moves since ncoal_dim_init().
 */
static inline u64 ncoal_dim_moves(const struct ncoal_dim *d)
{
	return d->moves;
}

#endif /* _LINUX_NCOAL_DIM_H */
