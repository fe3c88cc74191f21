/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ncoal: notification coalescing engine.
 *
 * A driver that notifies its peer (an interrupt, an eventfd signal, a
 * kick) each time it completes buffers can hold those notifications with
 * ncoal: a due notification is held until either @max_frames frames are
 * pending or @usecs microseconds have passed since the first held frame,
 * whichever comes first.  Holding is done only while the packet rate,
 * sampled every @rate_interval_ms, is at or above @rate_threshold, so that
 * low-rate traffic keeps the latency of an uncoalesced driver.
 *
 * The engine is a pure state machine: no timer, no lock, no allocation.
 * The caller serialises all calls on one instance, passes the current time
 * in nanoseconds (ktime_get_ns()), and owns the timer, which it starts
 * when told to (NCOAL_ARM) and whose expiry it reports back from its
 * serialised context with ncoal_timer_expired().
 *
 * Typical use::
 *
 *	switch (ncoal_due(&c, ktime_get_ns(), frames)) {
 *	case NCOAL_SEND:
 *		notify();
 *		break;
 *	case NCOAL_ARM:
 *		hrtimer_start(&t, ns_to_ktime(ncoal_delay_ns(&c)),
 *			      HRTIMER_MODE_REL);
 *		break;
 *	case NCOAL_HOLD:
 *		break;
 *	}
 *
 * and, from the serialised context the timer's expiry is deferred to::
 *
 *	if (ncoal_timer_expired(&c))
 *		notify();
 *
 * Whenever a function tells the caller to notify (NCOAL_SEND, or true from
 * ncoal_timer_expired(), ncoal_flush(), ncoal_set_params() or
 * ncoal_set_profile()), the engine has already counted that notification
 * in &ncoal_stats.sent and forgotten the pending frames: the caller must
 * then notify.
 *
 * A policy (include/linux/ncoal_dim.h) may hold for less than the
 * parameters allow, with a &struct ncoal_profile: the parameters stay the
 * upper bound of every hold.  A profile's end-of-burst gap needs the
 * expiry reported with ncoal_timer_expired_at() instead, which may ask
 * for the timer to be started again::
 *
 *	switch (ncoal_timer_expired_at(&c, ktime_get_ns())) {
 *	case NCOAL_SEND:
 *		notify();
 *		break;
 *	case NCOAL_ARM:
 *		hrtimer_start(&t, ns_to_ktime(ncoal_delay_ns(&c)),
 *			      HRTIMER_MODE_REL);
 *		break;
 *	case NCOAL_HOLD:
 *		break;
 *	}
 */
#ifndef _LINUX_NCOAL_H
#define _LINUX_NCOAL_H

#include <linux/limits.h>
#include <linux/time64.h>
#include <linux/types.h>

/*
 * Rate gate hysteresis: once active, the gate switches off only when the
 * rate falls below threshold - threshold / NCOAL_HYST_DIV (7/8 of it), so
 * a rate that hovers around the threshold does not flap.
 */
#define NCOAL_HYST_DIV	8

/**
 * struct ncoal_params - coalescing parameters
 * @usecs: maximum time a frame waits for its notification, in
 *	microseconds, measured from the first held frame; 0 switches
 *	coalescing off
 * @max_frames: notify at once when this many frames are pending; 1
 *	switches coalescing off, 0 is invalid when @usecs is not 0
 * @rate_threshold: packets per second at or above which coalescing is
 *	active; 0: always active
 * @rate_interval_ms: rate sampling interval in milliseconds
 */
struct ncoal_params {
	u32 usecs;
	u32 max_frames;
	u32 rate_threshold;
	u32 rate_interval_ms;
};

/**
 * struct ncoal_limits - administrator caps checked by ncoal_params_validate()
 * @max_usecs: largest accepted &ncoal_params.usecs
 * @max_frames: largest accepted &ncoal_params.max_frames
 * @min_interval_ms: smallest accepted &ncoal_params.rate_interval_ms
 *	while coalescing is on
 * @max_interval_ms: largest accepted &ncoal_params.rate_interval_ms
 * @max_rate_threshold: largest accepted &ncoal_params.rate_threshold
 */
struct ncoal_limits {
	u32 max_usecs;
	u32 max_frames;
	u32 min_interval_ms;
	u32 max_interval_ms;
	u32 max_rate_threshold;
};

/**
 * struct ncoal_stats - cumulative counters, reset only by ncoal_init()
 * @packets: frames reported by ncoal_due()
 * @due: calls to ncoal_due(), i.e. notifications an uncoalesced driver
 *	would have sent
 * @sent: notifications the caller was told to send: NCOAL_SEND results
 *	of ncoal_due() and ncoal_timer_expired_at() plus true returns of
 *	ncoal_timer_expired(), ncoal_flush(), ncoal_set_params() and
 *	ncoal_set_profile()
 * @deferred: ncoal_due() calls that held their frames (NCOAL_ARM and
 *	NCOAL_HOLD results)
 * @timer_fires: true returns of ncoal_timer_expired(), NCOAL_SEND results
 *	of ncoal_timer_expired_at()
 * @frame_flushes: NCOAL_SEND results caused by the frame bound in effect
 *	(&ncoal_params.max_frames, or a profile's lower one) while holding
 * @activations: transitions of the gate from idle to active, by the rate
 *	or by ncoal_set_params() (not the initial state set by ncoal_init())
 * @deactivations: transitions of the gate from active to idle or off, by
 *	the rate or by ncoal_set_params()
 *
 * They satisfy
 * @due - @deferred + @timer_fires + (true returns of ncoal_flush(),
 * ncoal_set_params() and ncoal_set_profile()) == @sent, hence
 * @sent <= @due.  The counters wrap at 2^64.
 */
struct ncoal_stats {
	u64 packets;
	u64 due;
	u64 sent;
	u64 deferred;
	u64 timer_fires;
	u64 frame_flushes;
	u64 activations;
	u64 deactivations;
};

/* A &struct ncoal_profile field that asks for the parameter's own bound. */
#define NCOAL_PROFILE_BOUND	U32_MAX

/**
 * struct ncoal_profile - how long a hold lasts, as a policy chooses it
 * @usecs: maximum delay from the first held frame, in microseconds; the
 *	delay in effect is the smaller of this and &ncoal_params.usecs;
 *	0: hold nothing
 * @frames: frame bound; the bound in effect is the smaller of this and
 *	&ncoal_params.max_frames; 0 or 1: hold nothing
 * @gap_usecs: end-of-burst gap, in microseconds: held frames are also
 *	sent once no new frame was held for this long (e1000's packet
 *	timer next to its absolute one); 0, or not below the delay in
 *	effect: off
 *
 * ncoal_init() starts with NCOAL_PROFILE_BOUND, NCOAL_PROFILE_BOUND, 0:
 * every hold lasts as long as the parameters allow.
 */
struct ncoal_profile {
	u32 usecs;
	u32 frames;
	u32 gap_usecs;
};

/**
 * enum ncoal_action - what the caller does with a due notification
 * @NCOAL_SEND: notify now; this covers all pending frames
 * @NCOAL_ARM: hold it, and start the timer for ncoal_delay_ns() from now
 *	(with hrtimer_start(), which also moves a timer still queued)
 * @NCOAL_HOLD: hold it; the timer already started will cover it
 */
enum ncoal_action {
	NCOAL_SEND,
	NCOAL_ARM,
	NCOAL_HOLD,
};

/**
 * enum ncoal_state - state of an instance, as reported to users
 * @NCOAL_STATE_OFF: coalescing switched off (@usecs 0 or @max_frames <= 1)
 * @NCOAL_STATE_IDLE: on, but the rate is below the threshold
 * @NCOAL_STATE_ACTIVE: coalescing
 */
enum ncoal_state {
	NCOAL_STATE_OFF = 0,
	NCOAL_STATE_IDLE = 1,
	NCOAL_STATE_ACTIVE = 2,
};

/**
 * struct ncoal - one coalescing instance; callers treat it as opaque
 * @params: parameters in effect
 * @prof: profile in effect, see ncoal_set_profile()
 * @stats: counters
 * @first: time of the first frame held since the last notification, ns
 * @last: time of the last frame held, ns
 * @delay_ns: timer delay for the caller's next NCOAL_ARM
 * @win_start: start of the current rate window, ns
 * @win_pkts: frames counted in the current rate window (saturating)
 * @rate: rate measured at the end of the last window, packets per second
 * @pending: frames held, not yet covered by a notification
 * @active: the gate is open: due notifications are held
 * @armed: the caller's timer is started and not yet reported expired
 *
 * Frames are pending only while @armed is set, so the timer always
 * started at the first held frame.
 */
struct ncoal {
	struct ncoal_params params;
	struct ncoal_profile prof;
	struct ncoal_stats stats;
	u64 first;
	u64 last;
	u64 delay_ns;
	u64 win_start;
	u64 win_pkts;
	u32 rate;
	u32 pending;
	bool active;
	bool armed;
};

/**
 * ncoal_init - initialise an instance
 * @c: the instance
 * @p: parameters, already checked with ncoal_params_validate()
 * @now: current time, ns
 *
 * Zeroes the counters, starts the first rate window at @now with a
 * measured rate of 0.  The gate starts active only if the threshold is 0.
 * The profile is reset to the parameters' bounds, without a gap.
 */
void ncoal_init(struct ncoal *c, const struct ncoal_params *p, u64 now);

/**
 * ncoal_params_validate - check parameters against the caps
 * @p: parameters
 * @lim: caps
 *
 * With @p->usecs 0 (coalescing off) only the upper caps are checked, so
 * an all-zero @p is valid.
 *
 * Return: 0 if @p is acceptable; -EINVAL if it is inconsistent
 * (@p->usecs set with @p->max_frames 0 or @p->rate_interval_ms 0);
 * -ERANGE if a value exceeds its cap or, with @p->usecs set,
 * @p->rate_interval_ms is below @lim->min_interval_ms.  -EINVAL takes
 * precedence.
 */
int ncoal_params_validate(const struct ncoal_params *p,
			  const struct ncoal_limits *lim);

/**
 * ncoal_set_params - change the parameters of a running instance
 * @c: the instance
 * @p: parameters, already checked with ncoal_params_validate()
 *
 * Counters, the rate window and the profile are kept; the gate is
 * re-evaluated against the last measured rate (with hysteresis), and a
 * transition is counted.  Pending frames are flushed, as by ncoal_flush(),
 * when coalescing is switched off, the gate closes, the delay or the gap
 * in effect changes or the frame bound in effect drops to the number
 * pending.  A change of the delay or gap in effect also forgets the
 * timer, even with nothing pending, so that the next held frame gets
 * NCOAL_ARM with the new delay.
 *
 * Return: true if the caller must notify now (counted in sent).
 */
bool ncoal_set_params(struct ncoal *c, const struct ncoal_params *p);

/**
 * ncoal_set_profile - change how long holds last, within the parameters
 * @c: the instance
 * @prof: the profile; any values (they are bounded by the parameters)
 *
 * Keeps counters, rate window and gate.  Pending frames are flushed, and
 * the timer forgotten, as by ncoal_set_params(): when the delay or gap in
 * effect changes, or the frame bound in effect drops to the number
 * pending.  So a hold never outlasts the delay in effect when it started.
 *
 * Return: true if the caller must notify now (counted in sent).
 */
bool ncoal_set_profile(struct ncoal *c, const struct ncoal_profile *prof);

/**
 * ncoal_due - a notification covering new frames is due
 * @c: the instance
 * @now: current time, ns
 * @frames: frames (used buffers, packets) it covers; 0 counts as 1
 *
 * If a rate interval has elapsed, samples the rate of the window that
 * ends now, before @frames are counted, and updates the gate: a packet
 * that follows a long idle gap sees the low rate of that gap and is sent
 * at once.  Then @frames are counted in the next window and the
 * notification is either sent, with all pending frames, or held.
 *
 * Return: NCOAL_SEND if the gate is closed, the profile holds nothing or
 * the frame bound in effect is reached; otherwise NCOAL_ARM if no timer
 * is started (always the case at the first held frame), NCOAL_HOLD if one
 * is.
 */
enum ncoal_action ncoal_due(struct ncoal *c, u64 now, u32 frames);

/**
 * ncoal_timer_expired - the caller's timer expired
 * @c: the instance
 *
 * Called from the caller's serialised context once per expiry.  A stale
 * expiry (the frames it was started for were already sent) is harmless:
 * it finds nothing pending, or sends frames held since, early.
 *
 * Return: true if frames were pending and the caller must notify now.
 */
bool ncoal_timer_expired(struct ncoal *c);

/**
 * ncoal_timer_expired_at - the caller's timer expired, with the time
 * @c: the instance
 * @now: current time, ns
 *
 * Like ncoal_timer_expired(), but held frames that are not due yet (a
 * new frame came within the profile's gap, or the expiry is stale and
 * frames were held since) stay held, and the caller starts the timer
 * again.  Frames are due once the gap passed since the last held frame
 * or the delay in effect since the first one, whichever comes first.
 *
 * Return: NCOAL_SEND if the caller must notify now; NCOAL_ARM if it must
 * start the timer for ncoal_delay_ns(); NCOAL_HOLD if nothing was
 * pending: nothing to do.
 */
enum ncoal_action ncoal_timer_expired_at(struct ncoal *c, u64 now);

/**
 * ncoal_flush - send pending frames now
 * @c: the instance
 *
 * For teardown or reconfiguration by the caller.  Forgets the timer: the
 * caller may cancel it or let it expire (a harmless stale expiry); the
 * next held frame returns NCOAL_ARM again.
 *
 * Return: true if frames were pending and the caller must notify now.
 */
bool ncoal_flush(struct ncoal *c);

/**
 * ncoal_delay_ns - timer delay to use on NCOAL_ARM
 * @c: the instance
 *
 * Return: the delay, ns, set by the last call that returned NCOAL_ARM or
 * changed the parameters or the profile (ncoal_init() included).  The
 * latter, and NCOAL_ARM from ncoal_due(), set the delay of a first held
 * frame: the delay in effect, or the gap if one is on; without a
 * profile, &ncoal_params.usecs.  NCOAL_ARM from ncoal_timer_expired_at()
 * sets what is left until the frames are due.
 */
static inline u64 ncoal_delay_ns(const struct ncoal *c)
{
	return c->delay_ns;
}

/**
 * ncoal_state - state for reporting
 * @c: the instance
 *
 * Return: NCOAL_STATE_OFF, NCOAL_STATE_IDLE or NCOAL_STATE_ACTIVE.
 */
enum ncoal_state ncoal_state(const struct ncoal *c);

/**
 * ncoal_state_name - the name users see for a state
 * @state: the state
 *
 * The one table of these names for debugfs and sysfs (a tracepoint's
 * format lists its own, as __print_symbolic() needs).
 *
 * Return: "off", "idle" or "active"; "?" for a value outside the enum.
 */
const char *ncoal_state_name(enum ncoal_state state);

/**
 * ncoal_pending - frames held, not yet covered by a notification
 * @c: the instance
 *
 * Return: the number of pending frames.
 */
static inline u32 ncoal_pending(const struct ncoal *c)
{
	return c->pending;
}

/**
 * ncoal_rate - rate measured in the last completed window
 * @c: the instance
 *
 * Return: packets per second, saturated at U32_MAX.
 */
static inline u32 ncoal_rate(const struct ncoal *c)
{
	return c->rate;
}

/**
 * ncoal_get_profile - the hold in effect
 * @c: the instance
 * @prof: filled with the delay, frame bound and gap in effect: the
 *	profile bounded by the parameters, 0 for what is off
 */
void ncoal_get_profile(const struct ncoal *c, struct ncoal_profile *prof);

/**
 * ncoal_read_stats - counters
 * @c: the instance
 *
 * Return: the counters of @c.
 */
static inline const struct ncoal_stats *
ncoal_read_stats(const struct ncoal *c)
{
	return &c->stats;
}

#endif /* _LINUX_NCOAL_H */
