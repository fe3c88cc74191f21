// SPDX-License-Identifier: GPL-2.0
/*
 * ncoal_dim: the hold profile of an ncoal engine chosen by net_dim(), see
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
#include <linux/workqueue.h>

#define NCOAL_DIM_TOP	(NET_DIM_PARAMS_NUM_PROFILES - 1)

static struct dim_cq_moder ncoal_dim_moder(const struct ncoal_dim *d, int ix)
{
	u8 eqe = DIM_CQ_PERIOD_MODE_START_FROM_EQE;

	if (d->dir == NCOAL_DIM_TX)
		return net_dim_get_tx_moderation(eqe, ix);
	return net_dim_get_rx_moderation(eqe, ix);
}

/* @bound scaled for profile @ix (> 0) of @d's table; @pkts: frames. */
static u32 ncoal_dim_scale(const struct ncoal_dim *d, u32 bound, bool pkts)
{
	int ix = d->dim.profile_ix;
	struct dim_cq_moder m, top;

	if (d->params.table == NCOAL_DIM_TABLE_HALVING)
		return pkts ? bound : bound >> (NCOAL_DIM_TOP - ix);
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

/* Forget what net_dim() learnt; the work may be queued, keep it. */
static void ncoal_dim_restart(struct ncoal_dim *d)
{
	struct dim *dim = &d->dim;

	dim->state = DIM_START_MEASURE;
	dim->prev_stats = (struct dim_stats) { };
	dim->start_sample = (struct dim_sample) { };
	dim->profile_ix = 0;
	dim->tune_state = DIM_PARKING_ON_TOP;
	dim->steps_right = 0;
	dim->steps_left = 0;
	dim->tired = 0;
	d->skip = 0;
	d->backoff = 0;
}

/* Frames and notifications so far, for the next move's window. */
static void ncoal_dim_mark(struct ncoal_dim *d, const struct ncoal *c)
{
	d->mark_pkts = c->stats.packets;
	d->mark_sent = c->stats.sent;
}

/* Scheduled by net_dim() on a move, which ncoal_dim_due() applied. */
static void ncoal_dim_work(struct work_struct *work)
{
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
	INIT_WORK(&d->dim.work, ncoal_dim_work);
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

/* Feed net_dim(); true if it moved. */
static bool ncoal_dim_sample(struct ncoal_dim *d, const struct ncoal *c,
			     u64 now)
{
	const struct ncoal_stats *st = ncoal_read_stats(c);
	struct dim_sample s = {
		.time = ns_to_ktime(now),
		.pkt_ctr = st->packets,
		.byte_ctr = d->bytes,
		.event_ctr = st->sent,
	};
	u64 pkts, sent;
	u8 old_ix;

	/* Below the gate no profile holds: nothing to learn from. */
	if (ncoal_state(c) != NCOAL_STATE_ACTIVE) {
		d->dim.state = DIM_START_MEASURE;
		return false;
	}
	if (d->skip) {
		if (st->sent - d->skip_from < d->skip)
			return false;
		d->skip = 0;
		d->dim.state = DIM_START_MEASURE;
	}
	old_ix = d->dim.profile_ix;
	net_dim(&d->dim, s);
	if (d->dim.state != DIM_APPLY_NEW_PROFILE)
		return false;
	d->dim.state = DIM_START_MEASURE;
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
			     min_t(u16, d->backoff * 2, NCOAL_DIM_BACKOFF_MAX) :
			     1;
		d->skip = d->backoff * DIM_NEVENTS;
		d->skip_from = st->sent;
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
	net_dim_work_cancel(&d->dim);
}
