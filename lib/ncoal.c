// SPDX-License-Identifier: GPL-2.0
/*
 * ncoal: notification coalescing engine, see include/linux/ncoal.h.
 *
 * Knows nothing of its users: it is linked into each of them and also
 * built in userspace by tools/testing/ncoal.
 */

#include <linux/array_size.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/ncoal.h>
#include <linux/time64.h>

static bool ncoal_enabled(const struct ncoal_params *p)
{
	return p->usecs && p->max_frames > 1;
}

static u32 ncoal_hold_usecs(const struct ncoal *c)
{
	return min(c->params.usecs, c->prof.usecs);
}

static u32 ncoal_hold_frames(const struct ncoal *c)
{
	return min(c->params.max_frames, c->prof.frames);
}

/* The gap in effect: 0 if off or not shorter than the delay. */
static u32 ncoal_gap_usecs(const struct ncoal *c)
{
	u32 gap = c->prof.gap_usecs;

	return gap < ncoal_hold_usecs(c) ? gap : 0;
}

/* Whether a due notification is held now. */
static bool ncoal_holding(const struct ncoal *c)
{
	return c->active && ncoal_hold_usecs(c) && ncoal_hold_frames(c) > 1;
}

/* Timer delay for a first held frame. */
static u64 ncoal_first_delay(const struct ncoal *c)
{
	u32 us = ncoal_gap_usecs(c) ?: ncoal_hold_usecs(c);

	return (u64)us * NSEC_PER_USEC;
}

static u64 ncoal_since(u64 now, u64 then)
{
	return now > then ? now - then : 0;
}

/* ns from @now until the pending frames are due; 0: due now. */
static u64 ncoal_remaining(const struct ncoal *c, u64 now)
{
	u64 delay = (u64)ncoal_hold_usecs(c) * NSEC_PER_USEC;
	u64 gap = (u64)ncoal_gap_usecs(c) * NSEC_PER_USEC;
	u64 held = ncoal_since(now, c->first);
	u64 idle = ncoal_since(now, c->last);

	if (held >= delay || (gap && idle >= gap))
		return 0;
	return gap ? min(delay - held, gap - idle) : delay - held;
}

/* Whether the gate should be open at the last measured rate. */
static bool ncoal_gate(const struct ncoal *c)
{
	u32 thr = c->params.rate_threshold;

	if (!ncoal_enabled(&c->params))
		return false;
	if (!thr || c->rate >= thr)
		return true;
	/* Hysteresis: once open, close only below 7/8 of the threshold. */
	return c->active && c->rate >= thr - thr / NCOAL_HYST_DIV;
}

static void ncoal_update_gate(struct ncoal *c)
{
	bool active = ncoal_gate(c);

	if (active == c->active)
		return;
	c->active = active;
	if (active)
		c->stats.activations++;
	else
		c->stats.deactivations++;
}

/* Packets per second for @pkts in @elapsed ns (> 0), saturated. */
static u32 ncoal_calc_rate(u64 pkts, u64 elapsed)
{
	u64 rate;

	/*
	 * pkts / elapsed >= 5 means a rate above 5e9 > U32_MAX.  Below,
	 * the quotient is < 5e9 and mul_u64_u64_div_u64() cannot overflow
	 * (on x86-64 an overflowing quotient traps).
	 */
	if (div64_u64(pkts, elapsed) >= 5)
		return U32_MAX;
	rate = mul_u64_u64_div_u64(pkts, NSEC_PER_SEC, elapsed);
	return rate > U32_MAX ? U32_MAX : rate;
}

/* Close the rate window if its interval elapsed, update the gate. */
static void ncoal_sample(struct ncoal *c, u64 now)
{
	u64 interval = (u64)c->params.rate_interval_ms * NSEC_PER_MSEC;
	u64 elapsed;

	if (now <= c->win_start)
		return;
	elapsed = now - c->win_start;
	if (elapsed < interval)
		return;
	c->rate = ncoal_calc_rate(c->win_pkts, elapsed);
	c->win_start = now;
	c->win_pkts = 0;
	ncoal_update_gate(c);
}

void ncoal_init(struct ncoal *c, const struct ncoal_params *p, u64 now)
{
	*c = (struct ncoal) {
		.params = *p,
		.prof = {
			.usecs = NCOAL_PROFILE_BOUND,
			.frames = NCOAL_PROFILE_BOUND,
		},
		.win_start = now,
	};
	c->active = ncoal_gate(c);
	c->delay_ns = ncoal_first_delay(c);
}

int ncoal_params_validate(const struct ncoal_params *p,
			  const struct ncoal_limits *lim)
{
	if (p->usecs && (!p->max_frames || !p->rate_interval_ms))
		return -EINVAL;
	if (p->usecs && p->rate_interval_ms < lim->min_interval_ms)
		return -ERANGE;
	if (p->usecs > lim->max_usecs || p->max_frames > lim->max_frames ||
	    p->rate_threshold > lim->max_rate_threshold ||
	    p->rate_interval_ms > lim->max_interval_ms)
		return -ERANGE;
	return 0;
}

bool ncoal_flush(struct ncoal *c)
{
	c->armed = false;
	if (!c->pending)
		return false;
	c->pending = 0;
	c->stats.sent++;
	return true;
}

/* After a change of params or profile: flush what may not stay held. */
static bool ncoal_reconfigured(struct ncoal *c, u32 usecs, u32 gap)
{
	bool flush = ncoal_hold_usecs(c) != usecs ||
		     ncoal_gap_usecs(c) != gap ||
		     c->pending >= ncoal_hold_frames(c);

	ncoal_update_gate(c);
	c->delay_ns = ncoal_first_delay(c);
	if (flush || !c->active)
		return ncoal_flush(c);
	return false;
}

bool ncoal_set_params(struct ncoal *c, const struct ncoal_params *p)
{
	u32 usecs = ncoal_hold_usecs(c);
	u32 gap = ncoal_gap_usecs(c);

	c->params = *p;
	return ncoal_reconfigured(c, usecs, gap);
}

bool ncoal_set_profile(struct ncoal *c, const struct ncoal_profile *prof)
{
	u32 usecs = ncoal_hold_usecs(c);
	u32 gap = ncoal_gap_usecs(c);

	c->prof = *prof;
	return ncoal_reconfigured(c, usecs, gap);
}

enum ncoal_action ncoal_due(struct ncoal *c, u64 now, u32 frames)
{
	u64 total;

	if (!frames)
		frames = 1;
	c->stats.due++;
	c->stats.packets += frames;

	/* The decision for these frames uses the rate up to now. */
	ncoal_sample(c, now);
	if (c->win_pkts > U64_MAX - frames)
		c->win_pkts = U64_MAX;
	else
		c->win_pkts += frames;

	total = (u64)c->pending + frames;
	if (ncoal_holding(c) && total < ncoal_hold_frames(c)) {
		/* A stale timer may still be queued: early, it re-arms. */
		if (!c->pending)
			c->first = now;
		c->last = now;
		c->pending = total;
		c->stats.deferred++;
		if (c->armed)
			return NCOAL_HOLD;
		c->armed = true;
		c->delay_ns = ncoal_first_delay(c);
		return NCOAL_ARM;
	}
	if (ncoal_holding(c))
		c->stats.frame_flushes++;
	c->pending = 0;
	c->stats.sent++;
	return NCOAL_SEND;
}

bool ncoal_timer_expired(struct ncoal *c)
{
	if (!ncoal_flush(c))
		return false;
	c->stats.timer_fires++;
	return true;
}

enum ncoal_action ncoal_timer_expired_at(struct ncoal *c, u64 now)
{
	u64 left = c->pending ? ncoal_remaining(c, now) : 0;

	if (left) {
		c->delay_ns = left;
		return NCOAL_ARM;
	}
	return ncoal_timer_expired(c) ? NCOAL_SEND : NCOAL_HOLD;
}

void ncoal_get_profile(const struct ncoal *c, struct ncoal_profile *prof)
{
	prof->usecs = ncoal_hold_usecs(c);
	prof->frames = ncoal_hold_frames(c);
	prof->gap_usecs = ncoal_gap_usecs(c);
	if (!prof->usecs || prof->frames <= 1)
		*prof = (struct ncoal_profile) { };
}

enum ncoal_state ncoal_state(const struct ncoal *c)
{
	if (!ncoal_enabled(&c->params))
		return NCOAL_STATE_OFF;
	return c->active ? NCOAL_STATE_ACTIVE : NCOAL_STATE_IDLE;
}

const char *ncoal_state_name(enum ncoal_state state)
{
	static const char * const names[] = {
		[NCOAL_STATE_OFF] = "off",
		[NCOAL_STATE_IDLE] = "idle",
		[NCOAL_STATE_ACTIVE] = "active",
	};

	return (unsigned int)state < ARRAY_SIZE(names) ? names[state] : "?";
}
