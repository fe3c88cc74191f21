// SPDX-License-Identifier: GPL-2.0
/*
 * ncoal_dim: the hold profile of an ncoal engine chosen on lib/dim, see
 * include/linux/ncoal_dim.h.
 *
 * Linked into each user next to lib/ncoal.c; built in userspace by
 * tools/testing/ncoal with the kernel's own lib/dim.
 */

#include <linux/dim.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>

#define NCOAL_DIM_TOP	(NET_DIM_PARAMS_NUM_PROFILES - 1)
#define NCOAL_DIM_COST	32
/* Notifications after which a hold that does not batch ends a probe. */
#define NCOAL_DIM_EARLY	4

static struct dim_cq_moder ncoal_dim_moder(const struct ncoal_dim *d, int ix)
{
	u8 eqe = DIM_CQ_PERIOD_MODE_START_FROM_EQE;

	if (d->dir == NCOAL_DIM_TX)
		return net_dim_get_tx_moderation(eqe, ix);
	return net_dim_get_rx_moderation(eqe, ix);
}

/*
 * FRAMES table: 2^@ix frame gaps at the rate measured at profile 0
 * (a hold there cannot slow the peer down), @bound if none yet.
 */
static u32 ncoal_dim_gaps(const struct ncoal_dim *d, u32 bound, int ix)
{
	u32 gap;

	if (!d->base_pps)
		return bound;
	gap = div64_u64(USEC_PER_SEC + d->base_pps - 1, d->base_pps);
	return min_t(u64, (u64)gap << ix, bound);
}

/* @bound scaled for profile @ix (> 0) of @d's table; @pkts: frames. */
static u32 ncoal_dim_scale(const struct ncoal_dim *d, u32 bound, bool pkts)
{
	int ix = d->dim.profile_ix;
	struct dim_cq_moder m, top;

	if (d->params.table == NCOAL_DIM_TABLE_HALVING)
		return pkts ? bound : bound >> (NCOAL_DIM_TOP - ix);
	if (d->params.table == NCOAL_DIM_TABLE_FRAMES && ix < NCOAL_DIM_TOP)
		return pkts ? 1U << ix : ncoal_dim_gaps(d, bound, ix);
	if (d->params.table == NCOAL_DIM_TABLE_FRAMES)
		return bound;
	m = ncoal_dim_moder(d, ix);
	top = ncoal_dim_moder(d, NCOAL_DIM_TOP);
	if (pkts)
		return div_u64((u64)bound * m.pkts, top.pkts);
	return div_u64((u64)bound * m.usec, top.usec);
}

/* The profile of the mode (and DIM's index) for the engine's bounds. */
static void ncoal_dim_map(const struct ncoal_dim *d, const struct ncoal *c,
			  struct ncoal_profile *pr)
{
	u32 usecs = c->params.usecs, frames = c->params.max_frames;
	u32 lo;

	*pr = (struct ncoal_profile) {
		.usecs = NCOAL_PROFILE_BOUND,
		.frames = NCOAL_PROFILE_BOUND,
		.gap_usecs = d->params.gap_usecs,
	};
	if (d->params.mode == NCOAL_MODE_FIXED)
		return;
	if (d->params.mode != NCOAL_MODE_ADAPTIVE || !d->dim.profile_ix) {
		*pr = (struct ncoal_profile) { };
		return;
	}
	lo = min(max(d->params.min_usecs, 1U), usecs);
	pr->usecs = clamp(ncoal_dim_scale(d, usecs, false), lo, usecs);
	pr->frames = clamp(ncoal_dim_scale(d, frames, true), min(2U, frames),
			   frames);
}

/* Map the profile again; true if the caller must notify now. */
static bool ncoal_dim_apply(struct ncoal_dim *d, struct ncoal *c)
{
	struct ncoal_profile pr;

	d->bound_usecs = c->params.usecs;
	d->bound_frames = c->params.max_frames;
	ncoal_dim_map(d, c, &pr);
	return ncoal_set_profile(c, &pr);
}

/* Profile 0, parked, as net_dim() starts; the probe back-off stays. */
static void ncoal_dim_forget(struct ncoal_dim *d)
{
	struct dim *dim = &d->dim;

	dim->profile_ix = 0;
	dim->tune_state = DIM_PARKING_ON_TOP;
	dim->steps_right = 0;
	dim->steps_left = 0;
	dim->tired = 0;
	d->prev = (struct ncoal_dim_rates) { };
	d->measuring = false;
	d->base_pps = 0;
	d->base_pkts = 0;
	d->base_ns = 0;
}

/* Forget what was learnt, the probe back-off too. */
static void ncoal_dim_restart(struct ncoal_dim *d)
{
	ncoal_dim_forget(d);
	d->skip = 0;
	d->backoff = 0;
}

/* Frames and notifications so far, for the next move's window. */
static void ncoal_dim_mark(struct ncoal_dim *d, const struct ncoal *c)
{
	d->mark_pkts = c->stats.packets;
	d->mark_sent = c->stats.sent;
}

int ncoal_dim_params_validate(const struct ncoal_dim_params *p,
			      const struct ncoal_limits *lim)
{
	if (p->mode >= NCOAL_MODE_NUM || p->table >= NCOAL_DIM_TABLE_NUM)
		return -EINVAL;
	if (p->min_usecs > lim->max_usecs || p->gap_usecs > lim->max_usecs)
		return -ERANGE;
	if (p->gap_usecs && p->gap_usecs < p->min_usecs)
		return -ERANGE;
	return 0;
}

void ncoal_dim_init(struct ncoal_dim *d, enum ncoal_dim_dir dir,
		    const struct ncoal_dim_params *p, struct ncoal *c)
{
	*d = (struct ncoal_dim) {
		.params = *p,
		.dir = dir,
	};
	ncoal_dim_restart(d);
	ncoal_dim_apply(d, c);
}

bool ncoal_dim_reset(struct ncoal_dim *d, struct ncoal *c)
{
	ncoal_dim_restart(d);
	ncoal_dim_mark(d, c);
	return ncoal_dim_apply(d, c);
}

bool ncoal_dim_set_params(struct ncoal_dim *d, struct ncoal *c,
			  const struct ncoal_dim_params *p)
{
	if (p->mode != d->params.mode || p->table != d->params.table) {
		ncoal_dim_restart(d);
		ncoal_dim_mark(d, c);
	}
	d->params = *p;
	return ncoal_dim_apply(d, c);
}

/* Per-second rate of @n in @ns (> 0), saturated. */
static u64 ncoal_dim_per_sec(u64 n, u64 ns)
{
	if (n > U64_MAX / NSEC_PER_SEC)
		return U64_MAX;
	return div64_u64(n * NSEC_PER_SEC, ns);
}

/* As IS_SIGNIFICANT_DIFF(): more than 10% of @ref apart. */
static bool ncoal_dim_differ(u64 val, u64 ref)
{
	u64 diff = val > ref ? val - ref : ref - val;

	return diff > div64_u64(ref, 10);
}

/*
 * net_dim_stats_compare() on exact rates: throughput first (bytes,
 * then frames), then fewer notifications.
 */
static int ncoal_dim_compare(const struct ncoal_dim_rates *curr,
			     const struct ncoal_dim_rates *prev)
{
	if (!prev->bps)
		return curr->bps ? DIM_STATS_BETTER : DIM_STATS_SAME;
	if (ncoal_dim_differ(curr->bps, prev->bps))
		return curr->bps > prev->bps ? DIM_STATS_BETTER :
					       DIM_STATS_WORSE;
	if (!prev->pps)
		return curr->pps ? DIM_STATS_BETTER : DIM_STATS_SAME;
	if (ncoal_dim_differ(curr->pps, prev->pps))
		return curr->pps > prev->pps ? DIM_STATS_BETTER :
					       DIM_STATS_WORSE;
	if (!prev->eps)
		return DIM_STATS_SAME;
	if (ncoal_dim_differ(curr->eps, prev->eps))
		return curr->eps < prev->eps ? DIM_STATS_BETTER :
					       DIM_STATS_WORSE;
	return DIM_STATS_SAME;
}

/*
 * Whether the window's frame rate is down by more than 1/NCOAL_DIM_COST
 * from the rate at profile 0: the peer waits for our notifications.
 */
static bool ncoal_dim_costly(const struct ncoal_dim *d,
			     const struct ncoal_dim_rates *curr)
{
	u64 base;

	if (!d->base_ns)
		return false;
	base = ncoal_dim_per_sec(d->base_pkts, d->base_ns);
	return curr->pps < base - div64_u64(base, NCOAL_DIM_COST);
}

/* net_dim_step(). */
static int ncoal_dim_step(struct dim *dim)
{
	if (dim->tired == NET_DIM_PARAMS_NUM_PROFILES * 2)
		return DIM_TOO_TIRED;
	switch (dim->tune_state) {
	case DIM_PARKING_ON_TOP:
	case DIM_PARKING_TIRED:
		break;
	case DIM_GOING_RIGHT:
		if (dim->profile_ix == NCOAL_DIM_TOP)
			return DIM_ON_EDGE;
		dim->profile_ix++;
		dim->steps_right++;
		break;
	case DIM_GOING_LEFT:
		if (!dim->profile_ix)
			return DIM_ON_EDGE;
		dim->profile_ix--;
		dim->steps_left++;
		break;
	}
	dim->tired++;
	return DIM_STEPPED;
}

/* net_dim_exit_parking(). */
static void ncoal_dim_exit_parking(struct dim *dim)
{
	dim->tune_state = dim->profile_ix ? DIM_GOING_LEFT : DIM_GOING_RIGHT;
	ncoal_dim_step(dim);
}

/*
 * net_dim_decision(), on lib/dim's state machine, with the window's
 * exact rates in @curr; true if the profile moved.
 */
static bool ncoal_dim_decide(struct ncoal_dim *d,
			     const struct ncoal_dim_rates *curr)
{
	struct dim *dim = &d->dim;
	int prev_state = dim->tune_state;
	int prev_ix = dim->profile_ix;
	bool costly = dim->profile_ix && ncoal_dim_costly(d, curr);

	if (costly && (dim->tune_state == DIM_PARKING_ON_TOP ||
		       dim->tune_state == DIM_PARKING_TIRED)) {
		/* Parked where holding costs frames: start over from 0. */
		dim->profile_ix = 0;
		dim_park_on_top(dim);
		d->prev = *curr;
		return true;
	}
	switch (dim->tune_state) {
	case DIM_PARKING_ON_TOP:
		if (ncoal_dim_compare(curr, &d->prev) != DIM_STATS_SAME)
			ncoal_dim_exit_parking(dim);
		break;
	case DIM_PARKING_TIRED:
		dim->tired--;
		if (!dim->tired)
			ncoal_dim_exit_parking(dim);
		break;
	case DIM_GOING_RIGHT:
	case DIM_GOING_LEFT:
		if (ncoal_dim_compare(curr, &d->prev) != DIM_STATS_BETTER ||
		    (costly && dim->tune_state == DIM_GOING_RIGHT))
			dim_turn(dim);
		if (dim_on_top(dim)) {
			dim_park_on_top(dim);
			break;
		}
		switch (ncoal_dim_step(dim)) {
		case DIM_ON_EDGE:
			dim_park_on_top(dim);
			break;
		case DIM_TOO_TIRED:
			dim_park_tired(dim);
			break;
		}
		break;
	}
	if (prev_state != DIM_PARKING_ON_TOP ||
	    dim->tune_state != DIM_PARKING_ON_TOP)
		d->prev = *curr;
	return dim->profile_ix != prev_ix;
}

/* Pause probing for d->backoff windows from notification count @sent. */
static void ncoal_dim_pause(struct ncoal_dim *d, u64 sent)
{
	d->skip = d->backoff * DIM_NEVENTS;
	d->skip_from = sent;
}

/* Start a measuring window now. */
static void ncoal_dim_open(struct ncoal_dim *d, const struct ncoal *c,
			   u64 now)
{
	d->win.time = now;
	d->win.pkts = c->stats.packets;
	d->win.bytes = d->bytes;
	d->win.sent = c->stats.sent;
	d->measuring = true;
}

/* Measure, decide at the end of a window; true if the profile moved. */
static bool ncoal_dim_sample(struct ncoal_dim *d, const struct ncoal *c,
			     u64 now)
{
	const struct ncoal_stats *st = ncoal_read_stats(c);
	struct ncoal_dim_rates curr;
	u64 pkts, sent, ns;
	bool early;
	u8 old_ix;

	/*
	 * Below the gate no profile holds: nothing to learn from.  What
	 * comes back above it is new traffic, and starts from holding
	 * nothing: a profile a flood climbed to can hold one request in
	 * flight below the gate again before a window ends, and would
	 * then never be measured.  The probe back-off stays, and a pause
	 * counts notifications above the gate only: it starts over here,
	 * or a rate that dips below the gate between probes would use it
	 * up and let DIM probe again at once.
	 */
	if (ncoal_state(c) != NCOAL_STATE_ACTIVE) {
		d->measuring = false;
		if (d->backoff)
			ncoal_dim_pause(d, st->sent);
		if (!d->dim.profile_ix)
			return false;
		ncoal_dim_forget(d);
		ncoal_dim_mark(d, c);
		d->moves++;
		return true;
	}
	if (d->skip) {
		if (st->sent - d->skip_from < d->skip)
			return false;
		d->skip = 0;
		d->measuring = false;
	}
	if (!d->measuring) {
		ncoal_dim_open(d, c, now);
		return false;
	}
	sent = st->sent - d->win.sent;
	pkts = st->packets - d->win.pkts;
	if (now <= d->win.time)
		return false;
	old_ix = d->dim.profile_ix;
	/*
	 * A hold that covers a single frame is pure delay.  When the first
	 * NCOAL_DIM_EARLY notifications of a window held covered fewer
	 * than 1.25 frames each, the profile cannot pay (one request in
	 * flight): back to 0 now, not after DIM_NEVENTS of them.
	 */
	early = old_ix && sent >= NCOAL_DIM_EARLY && 4 * pkts < 5 * sent;
	if (sent < DIM_NEVENTS && !early)
		return false;
	ns = now - d->win.time;
	curr.bps = ncoal_dim_per_sec(d->bytes - d->win.bytes, ns);
	curr.pps = ncoal_dim_per_sec(pkts, ns);
	curr.eps = ncoal_dim_per_sec(sent, ns);
	if (!old_ix) {
		d->base_pkts += pkts;
		d->base_ns += ns;
		d->base_pps = ncoal_dim_per_sec(d->base_pkts, d->base_ns);
	}
	if (early) {
		/* As a step left to 0: the next window there parks DIM. */
		d->dim.profile_ix = 0;
		d->dim.tune_state = DIM_GOING_LEFT;
		d->prev = curr;
	} else if (!ncoal_dim_decide(d, &curr)) {
		ncoal_dim_open(d, c, now);
		return false;
	}
	/* The next window starts with the next frame, under the new hold. */
	d->measuring = false;
	if (!d->dim.profile_ix) {
		d->base_pkts = 0;
		d->base_ns = 0;
	}
	d->moves++;
	/* Frames per notification while the old profile held. */
	pkts = st->packets - d->mark_pkts;
	sent = st->sent - d->mark_sent;
	d->mark_pkts = st->packets;
	d->mark_sent = st->sent;
	if (old_ix && pkts >= 2 * sent) {
		d->backoff = 0;
	} else if (old_ix && !d->dim.profile_ix && 2 * pkts < 3 * sent) {
		/* Holds of single frames: wait longer before the next probe. */
		d->backoff = d->backoff ?
			     min_t(u16, d->backoff * 4, NCOAL_DIM_BACKOFF_MAX) :
			     1;
		ncoal_dim_pause(d, st->sent);
	}
	return true;
}

enum ncoal_action ncoal_dim_due(struct ncoal_dim *d, struct ncoal *c,
				u64 now, u32 frames, u32 bytes)
{
	enum ncoal_action act;
	bool remap;

	d->bytes += bytes;
	act = ncoal_due(c, now, frames);
	remap = c->params.usecs != d->bound_usecs ||
		c->params.max_frames != d->bound_frames;
	if (d->params.mode == NCOAL_MODE_ADAPTIVE &&
	    ncoal_dim_sample(d, c, now))
		remap = true;
	if (remap && ncoal_dim_apply(d, c))
		return NCOAL_SEND;
	return act;
}

void ncoal_dim_destroy(struct ncoal_dim *d)
{
}
