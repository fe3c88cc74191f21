// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-net guest notification coalescing: timer, work, module
 * parameters, ioctls and debugfs around the ncoal engine.
 *
 * Locking: everything that touches a ring's &struct vhost_net_coal runs
 * under that ring's vq->mutex: the signal path (handle_rx/handle_tx),
 * the timer's work, the ioctls, debugfs and teardown.  The hrtimer
 * callback itself only queues the work.
 */
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>
#include <linux/net.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/vhost_net_coalesce.h>

#include "net_coalesce.h"

#define CREATE_TRACE_POINTS
#include "net_coalesce_trace.h"

/* Hard limits of the parameters themselves (not admin tunable). */
#define VHOST_NET_COAL_USECS_LIMIT		1000000U	/* 1 s */
#define VHOST_NET_COAL_FRAMES_LIMIT	4096U
#define VHOST_NET_COAL_RATE_LIMIT		100000000U	/* 100 Mpps */
#define VHOST_NET_COAL_INTERVAL_MIN_MS	10U
#define VHOST_NET_COAL_INTERVAL_MAX_MS	60000U

/*
 * Module parameters.  The first six are the defaults of rings without an
 * explicit setting; the coalesce_{min,max}_usecs and coalesce_max_frames
 * caps bound every value, including those a VMM (or, through it, a
 * guest) asks for.  The delays ship as 0, off: held signals cost
 * request/response traffic with one request in flight.
 */
static unsigned int rx_coalesce_usecs;
static unsigned int rx_max_coalesced_frames = 64;
static unsigned int tx_coalesce_usecs;
static unsigned int tx_max_coalesced_frames = 64;
static unsigned int coalesce_rate_threshold = 10000;
static unsigned int coalesce_rate_interval_ms = 1000;
static unsigned int coalesce_max_usecs = 2000;
static unsigned int coalesce_min_usecs = 10;
static unsigned int coalesce_max_frames = 1024;
/*
 * Policy of rings without an explicit setting: 0 holds nothing, 1 holds
 * for the full delay (fixed), 2 lets net_dim choose the hold below it
 * (adaptive).  coalesce_gap_usecs: end-of-burst gap (0: none).
 */
static unsigned int coalesce_mode = NCOAL_MODE_FIXED;
static unsigned int coalesce_gap_usecs;

/*
 * Set once the module is initialised: before, parameters from the insmod
 * line are stored as they come and checked as a set by
 * vhost_net_coal_module_init(), so their order does not matter.
 */
static bool vhost_net_coal_params_live;

/* Bumped on every parameter write; rings reload when it moves. */
static atomic_t vhost_net_coal_gen = ATOMIC_INIT(0);

static struct dentry *vhost_net_coal_debugfs_root;
static atomic_t vhost_net_coal_dev_ids = ATOMIC_INIT(0);

/* Every ring of every open device, for parameter writes to reach them. */
static DEFINE_MUTEX(vhost_net_coal_rings_lock);
static LIST_HEAD(vhost_net_coal_rings);

static bool vhost_net_coal_usecs_ok(unsigned int usecs, unsigned int min,
				    unsigned int max)
{
	return !usecs || (usecs >= min && usecs <= max);
}

/* Every module parameter, to check a set of values at once. */
struct vhost_net_coal_knobs {
	unsigned int rx_usecs, rx_frames, tx_usecs, tx_frames;
	unsigned int rate_threshold, rate_interval_ms;
	unsigned int max_usecs, min_usecs, max_frames;
	unsigned int mode, gap_usecs;
};

static void vhost_net_coal_knobs_read(struct vhost_net_coal_knobs *k)
{
	k->rx_usecs = rx_coalesce_usecs;
	k->rx_frames = rx_max_coalesced_frames;
	k->tx_usecs = tx_coalesce_usecs;
	k->tx_frames = tx_max_coalesced_frames;
	k->rate_threshold = coalesce_rate_threshold;
	k->rate_interval_ms = coalesce_rate_interval_ms;
	k->max_usecs = coalesce_max_usecs;
	k->min_usecs = coalesce_min_usecs;
	k->max_frames = coalesce_max_frames;
	k->mode = coalesce_mode;
	k->gap_usecs = coalesce_gap_usecs;
}

/* -EINVAL for a value no setting allows, -ERANGE for one out of bounds. */
static int vhost_net_coal_knobs_check(const struct vhost_net_coal_knobs *k)
{
	if (!k->rx_frames || !k->tx_frames || !k->rate_interval_ms ||
	    !k->min_usecs || !k->max_frames || k->mode >= NCOAL_MODE_NUM)
		return -EINVAL;
	if (k->rate_threshold > VHOST_NET_COAL_RATE_LIMIT ||
	    k->rate_interval_ms < VHOST_NET_COAL_INTERVAL_MIN_MS ||
	    k->rate_interval_ms > VHOST_NET_COAL_INTERVAL_MAX_MS ||
	    k->max_usecs > VHOST_NET_COAL_USECS_LIMIT || k->min_usecs > k->max_usecs ||
	    k->max_frames > VHOST_NET_COAL_FRAMES_LIMIT)
		return -ERANGE;
	if (!vhost_net_coal_usecs_ok(k->rx_usecs, k->min_usecs, k->max_usecs) ||
	    !vhost_net_coal_usecs_ok(k->tx_usecs, k->min_usecs, k->max_usecs) ||
	    k->rx_frames > k->max_frames || k->tx_frames > k->max_frames ||
	    !vhost_net_coal_usecs_ok(k->gap_usecs, k->min_usecs, k->max_usecs))
		return -ERANGE;
	return 0;
}

static unsigned int *vhost_net_coal_knob(struct vhost_net_coal_knobs *k,
					 const unsigned int *p)
{
	if (p == &rx_coalesce_usecs)
		return &k->rx_usecs;
	if (p == &rx_max_coalesced_frames)
		return &k->rx_frames;
	if (p == &tx_coalesce_usecs)
		return &k->tx_usecs;
	if (p == &tx_max_coalesced_frames)
		return &k->tx_frames;
	if (p == &coalesce_rate_threshold)
		return &k->rate_threshold;
	if (p == &coalesce_rate_interval_ms)
		return &k->rate_interval_ms;
	if (p == &coalesce_max_usecs)
		return &k->max_usecs;
	if (p == &coalesce_min_usecs)
		return &k->min_usecs;
	if (p == &coalesce_mode)
		return &k->mode;
	if (p == &coalesce_gap_usecs)
		return &k->gap_usecs;
	return &k->max_frames;
}

/*
 * Validate a write to one parameter: the set with the new value must
 * hold.  Called with the module's parameter lock held (sysfs), so the
 * other values cannot change meanwhile.
 */
static int vhost_net_coal_param_check(const unsigned int *p, unsigned int v)
{
	struct vhost_net_coal_knobs k;

	vhost_net_coal_knobs_read(&k);
	*vhost_net_coal_knob(&k, p) = v;
	return vhost_net_coal_knobs_check(&k);
}

static void vhost_net_coal_apply_all(void);

static int vhost_net_coal_param_set(const char *val,
				    const struct kernel_param *kp)
{
	unsigned int *p = kp->arg;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (vhost_net_coal_params_live) {
		ret = vhost_net_coal_param_check(p, v);
		if (ret)
			return ret;
	}
	WRITE_ONCE(*p, v);
	/* Full barrier: a ring that sees the new generation sees @v. */
	atomic_inc_return(&vhost_net_coal_gen);
	if (vhost_net_coal_params_live)
		vhost_net_coal_apply_all();
	return 0;
}

static const struct kernel_param_ops vhost_net_coal_param_ops = {
	.set = vhost_net_coal_param_set,
	.get = param_get_uint,
};

module_param_cb(rx_coalesce_usecs, &vhost_net_coal_param_ops,
		&rx_coalesce_usecs, 0644);
MODULE_PARM_DESC(rx_coalesce_usecs,
		 "Default max delay of an RX (guest receive) interrupt, us; 0: off (default 0)");
module_param_cb(rx_max_coalesced_frames, &vhost_net_coal_param_ops,
		&rx_max_coalesced_frames, 0644);
MODULE_PARM_DESC(rx_max_coalesced_frames,
		 "Default RX buffers pending before the interrupt is sent at once (default 64)");
module_param_cb(tx_coalesce_usecs, &vhost_net_coal_param_ops,
		&tx_coalesce_usecs, 0644);
MODULE_PARM_DESC(tx_coalesce_usecs,
		 "Default max delay of a TX completion interrupt, us; 0: off (default 0)");
module_param_cb(tx_max_coalesced_frames, &vhost_net_coal_param_ops,
		&tx_max_coalesced_frames, 0644);
MODULE_PARM_DESC(tx_max_coalesced_frames,
		 "Default TX completions pending before the interrupt is sent at once (default 64)");
module_param_cb(coalesce_rate_threshold, &vhost_net_coal_param_ops,
		&coalesce_rate_threshold, 0644);
MODULE_PARM_DESC(coalesce_rate_threshold,
		 "Default packet rate (pps) at or above which a ring coalesces; 0: always (default 10000)");
module_param_cb(coalesce_rate_interval_ms, &vhost_net_coal_param_ops,
		&coalesce_rate_interval_ms, 0644);
MODULE_PARM_DESC(coalesce_rate_interval_ms,
		 "Default rate sampling interval, ms, 10-60000 (default 1000)");
module_param_cb(coalesce_max_usecs, &vhost_net_coal_param_ops,
		&coalesce_max_usecs, 0644);
MODULE_PARM_DESC(coalesce_max_usecs,
		 "Cap on any delay a VMM or guest asks for, us (default 2000)");
module_param_cb(coalesce_min_usecs, &vhost_net_coal_param_ops,
		&coalesce_min_usecs, 0644);
MODULE_PARM_DESC(coalesce_min_usecs,
		 "Smallest non-zero delay accepted, us: bounds the timer rate (default 10)");
module_param_cb(coalesce_max_frames, &vhost_net_coal_param_ops,
		&coalesce_max_frames, 0644);
MODULE_PARM_DESC(coalesce_max_frames,
		 "Cap on any frame bound a VMM or guest asks for (default 1024)");
module_param_cb(coalesce_mode, &vhost_net_coal_param_ops, &coalesce_mode, 0644);
MODULE_PARM_DESC(coalesce_mode,
		 "Default policy: 0 off, 1 fixed (hold for the full delay), 2 adaptive (net_dim picks the hold, the delay and frames its bound) (default 1)");
module_param_cb(coalesce_gap_usecs, &vhost_net_coal_param_ops,
		&coalesce_gap_usecs, 0644);
MODULE_PARM_DESC(coalesce_gap_usecs,
		 "End-of-burst gap, us: held signals go once no new buffer came for this long; 0: off, else within the usecs caps (default 0)");

/* The module parameters that apply to ring @index. */
static void vhost_net_coal_defaults(unsigned int index, struct ncoal_params *p)
{
	bool rx = index == 0;	/* VHOST_NET_VQ_RX */

	p->usecs = rx ? READ_ONCE(rx_coalesce_usecs) :
			READ_ONCE(tx_coalesce_usecs);
	if (READ_ONCE(coalesce_mode) == NCOAL_MODE_OFF)
		p->usecs = 0;
	p->max_frames = rx ? READ_ONCE(rx_max_coalesced_frames) :
			     READ_ONCE(tx_max_coalesced_frames);
	p->rate_threshold = READ_ONCE(coalesce_rate_threshold);
	p->rate_interval_ms = READ_ONCE(coalesce_rate_interval_ms);
}

/*
 * An explicit setting was valid when it was made; the caps may have been
 * lowered since, so they are applied again whenever a ring reloads.
 */
static void vhost_net_coal_clamp(struct ncoal_params *p)
{
	unsigned int max = READ_ONCE(coalesce_max_usecs);
	unsigned int min = READ_ONCE(coalesce_min_usecs);

	if (p->usecs)
		p->usecs = clamp(p->usecs, min, max);
	p->max_frames = min(p->max_frames, READ_ONCE(coalesce_max_frames));
}

/*
 * What applies to the ring now: its explicit setting or the defaults,
 * inside the caps, and while the ring runs (has a backend) a frame bound
 * of at most half its size, so a guest never waits for a signal with
 * most of its ring used.  Caller holds vq->mutex (vq->num is fixed while
 * the ring has a backend; vhost_net_coal_restart() applies a new one).
 */
static void vhost_net_coal_effective(const struct vhost_net_coal *c,
				     struct ncoal_params *p)
{
	if (c->has_explicit)
		*p = c->explicit;
	else
		vhost_net_coal_defaults(c->index, p);
	vhost_net_coal_clamp(p);
	if (vhost_vq_get_backend(c->vq))
		p->max_frames = min(p->max_frames, max(c->vq->num / 2, 1U));
}

/* Caller holds vq->mutex and runs in the worker. */
static void vhost_net_coal_send(struct vhost_net_coal *c)
{
	c->descs = 0;
	vhost_signal(c->vq->dev, c->vq);
}

/* The policy that applies to the ring: its explicit mode or the default. */
static void vhost_net_coal_policy(const struct vhost_net_coal *c,
				  struct ncoal_dim_params *dp)
{
	bool adaptive = c->has_explicit ? c->explicit_adaptive :
			READ_ONCE(coalesce_mode) == NCOAL_MODE_ADAPTIVE;

	*dp = (struct ncoal_dim_params) {
		.mode = adaptive ? NCOAL_MODE_ADAPTIVE : NCOAL_MODE_FIXED,
		.gap_usecs = READ_ONCE(coalesce_gap_usecs),
		.min_usecs = READ_ONCE(coalesce_min_usecs),
		.table = NCOAL_DIM_TABLE_FRAMES,
	};
	/* The caps may have moved since the gap was checked against them. */
	if (dp->gap_usecs)
		dp->gap_usecs = clamp(dp->gap_usecs, dp->min_usecs,
				      READ_ONCE(coalesce_max_usecs));
}

/*
 * Apply the parameters and the policy in effect.  Returns true if held
 * signals must go now (counted in flushes).
 */
static bool vhost_net_coal_apply(struct vhost_net_coal *c)
{
	struct ncoal_dim_params dp;
	struct ncoal_params p;
	bool flush;

	c->gen = atomic_read_acquire(&vhost_net_coal_gen);
	vhost_net_coal_effective(c, &p);
	vhost_net_coal_policy(c, &dp);
	flush = ncoal_set_params(&c->eng, &p);
	flush |= ncoal_dim_set_params(&c->dim, &c->eng, &dp);
	if (flush)
		c->flushes++;
	return flush;
}

/*
 * Apply the current parameters when the module parameters changed since
 * this ring last looked.  Returns true if held signals must go now.
 */
static bool vhost_net_coal_reload(struct vhost_net_coal *c)
{
	if (likely(atomic_read_acquire(&vhost_net_coal_gen) == c->gen))
		return false;
	return vhost_net_coal_apply(c);
}

/*
 * The guest must hear at once: the ring has no backend (the VMM is
 * stopping it, nothing more will come to batch with), the buffers it
 * would hear of take half the ring's descriptors (TX: it may have none
 * left to send with), or it negotiated VIRTIO_F_NOTIFY_ON_EMPTY and the
 * device used every buffer it was given.
 */
static bool vhost_net_coal_urgent(const struct vhost_net_coal *c)
{
	struct vhost_virtqueue *vq = c->vq;

	if (!vhost_vq_get_backend(vq) || c->descs >= max(vq->num / 2, 1U))
		return true;
	return vhost_has_feature(vq, VIRTIO_F_NOTIFY_ON_EMPTY) &&
	       vq->avail_idx == vq->last_avail_idx;
}

/* Send what is held now, from the caller's context. */
static void vhost_net_coal_flush_held(struct vhost_net_coal *c,
				      enum vhost_net_coal_flush_why why)
{
	bool force = c->force;

	hrtimer_cancel(&c->timer);
	c->force = false;
	if (ncoal_flush(&c->eng)) {
		c->flushes++;
		trace_vhost_net_coal_flush(c->id, c->index, why);
		vhost_net_coal_send(c);
	}
	if (force)
		vhost_net_coal_send(c);
}

/**
 * vhost_net_coal_signal() - the guest is due a signal for new used buffers
 * @c: the ring's coalescing state
 * @heads: the used elements just added, or NULL for one of length 0
 * @frames: how many
 *
 * Replaces vhost_signal() after vhost_add_used_n() in vhost_net: sends
 * the signal now, or holds it and makes sure the timer covers it.  The
 * lengths are the bytes adaptive moderation measures (RX; TX completions
 * carry none, so their frames count instead).  Called with vq->mutex
 * held.
 */
void vhost_net_coal_signal(struct vhost_net_coal *c,
			   const struct vring_used_elem *heads,
			   unsigned int frames)
{
	enum ncoal_state old = ncoal_state(&c->eng);
	u32 pending = ncoal_pending(&c->eng);
	u32 bytes = 0;
	unsigned int i;

	for (i = 0; heads && i < frames; i++)
		bytes += vhost32_to_cpu(c->vq, heads[i].len);
	if (!bytes)
		bytes = frames;
	if (vhost_net_coal_reload(c))
		vhost_net_coal_send(c);
	switch (ncoal_dim_due(&c->dim, &c->eng, ktime_get_ns(), frames,
			      bytes)) {
	case NCOAL_SEND:
		if (pending)
			trace_vhost_net_coal_flush(c->id, c->index,
						   ncoal_state(&c->eng) ==
						   NCOAL_STATE_ACTIVE ?
						   VHOST_NET_COAL_FLUSH_FRAMES :
						   VHOST_NET_COAL_FLUSH_GATE);
		vhost_net_coal_send(c);
		break;
	case NCOAL_ARM:
		if (vhost_net_coal_urgent(c)) {
			vhost_net_coal_flush_held(c, VHOST_NET_COAL_FLUSH_URGENT);
			break;
		}
		/* Always: the engine counts on the timer once it said so. */
		hrtimer_start(&c->timer, ns_to_ktime(ncoal_delay_ns(&c->eng)),
			      HRTIMER_MODE_REL);
		trace_vhost_net_coal_arm(c->id, c->index, ncoal_pending(&c->eng),
					 ncoal_delay_ns(&c->eng));
		break;
	case NCOAL_HOLD:
		if (vhost_net_coal_urgent(c))
			vhost_net_coal_flush_held(c, VHOST_NET_COAL_FLUSH_URGENT);
		break;
	}
	if (old != ncoal_state(&c->eng))
		trace_vhost_net_coal_state(c->id, c->index, old,
					   ncoal_state(&c->eng),
					   ncoal_rate(&c->eng));
}

/**
 * vhost_net_coal_flush() - send a held signal now
 * @c: the ring's coalescing state
 *
 * For a guest that must not wait: RX found no buffer for a packet (the
 * guest refills only once it hears of the ones it gave).  Cancels the
 * timer and signals from the caller's context, the ring's worker or a
 * VMM ioctl, as stock vhost_net does.  Called with vq->mutex held.
 */
void vhost_net_coal_flush(struct vhost_net_coal *c)
{
	vhost_net_coal_flush_held(c, VHOST_NET_COAL_FLUSH_STARVED);
}

/**
 * vhost_net_coal_restart() - the ring's backend was attached or detached
 * @c: the ring's coalescing state
 *
 * The VMM stops a ring (VM stop, migration, link down, reset, a queue's
 * RING_RESET) by detaching its backend, and then may close the call
 * eventfd: what is held is signalled before VHOST_NET_SET_BACKEND
 * returns.  The ring's size may have changed while it was stopped, so
 * the parameters are applied again.  Called with vq->mutex held, from
 * the ioctl.
 */
void vhost_net_coal_restart(struct vhost_net_coal *c)
{
	vhost_net_coal_flush_held(c, VHOST_NET_COAL_FLUSH_BACKEND);
	vhost_net_coal_apply(c);	/* nothing is held now: nothing to send */
}

static void vhost_net_coal_work(struct vhost_work *work)
{
	struct vhost_net_coal *c = container_of(work, struct vhost_net_coal,
						work);
	enum ncoal_action act;

	mutex_lock_nested(&c->vq->mutex, c->index);
	act = ncoal_timer_expired_at(&c->eng, ktime_get_ns());
	trace_vhost_net_coal_fire(c->id, c->index, act == NCOAL_SEND);
	if (act == NCOAL_SEND)
		vhost_net_coal_send(c);
	else if (act == NCOAL_ARM)	/* a gap: more came since it was armed */
		hrtimer_start(&c->timer, ns_to_ktime(ncoal_delay_ns(&c->eng)),
			      HRTIMER_MODE_REL);
	if (vhost_net_coal_reload(c))
		vhost_net_coal_send(c);
	if (c->force) {
		c->force = false;
		vhost_net_coal_send(c);
	}
	mutex_unlock(&c->vq->mutex);
}

/*
 * A parameter write reaches every ring at once, not at its next signal:
 * a lowered cap must not leave a signal held for the old, longer delay.
 * What a ring holds then goes out from its worker (this writer may not
 * own the guest's memory).  Lock order: the module's parameter lock,
 * vhost_net_coal_rings_lock, vq->mutex.
 */
static void vhost_net_coal_apply_all(void)
{
	struct vhost_net_coal *c;

	mutex_lock(&vhost_net_coal_rings_lock);
	list_for_each_entry(c, &vhost_net_coal_rings, node) {
		mutex_lock(&c->vq->mutex);
		if (vhost_net_coal_reload(c)) {
			hrtimer_cancel(&c->timer);
			c->force = true;
			vhost_vq_work_queue(c->vq, &c->work);
		}
		mutex_unlock(&c->vq->mutex);
	}
	mutex_unlock(&vhost_net_coal_rings_lock);
}

static enum hrtimer_restart vhost_net_coal_timer_fn(struct hrtimer *t)
{
	struct vhost_net_coal *c = container_of(t, struct vhost_net_coal,
						timer);

	/*
	 * No worker (not set up, or its owner is exiting): nobody is left to
	 * run the ring, and teardown flushes what is held.
	 */
	vhost_vq_work_queue(c->vq, &c->work);
	return HRTIMER_NORESTART;
}

/*
 * Back to the module parameters, nothing held, counters at zero, the
 * policy starting over (its work is not pending: see the callers).
 */
static void vhost_net_coal_forget(struct vhost_net_coal *c)
{
	struct ncoal_dim_params dp;
	struct ncoal_params p;

	c->has_explicit = false;
	c->explicit_adaptive = false;
	c->force = false;
	c->flushes = 0;
	c->gen = atomic_read(&vhost_net_coal_gen);
	vhost_net_coal_defaults(c->index, &p);
	ncoal_init(&c->eng, &p, ktime_get_ns());
	vhost_net_coal_policy(c, &dp);
	ncoal_dim_init(&c->dim, c->index ? NCOAL_DIM_TX : NCOAL_DIM_RX, &dp,
		       &c->eng);
}

/**
 * vhost_net_coal_init() - set up a ring's coalescing state
 * @c: the state, embedded in the ring's vhost_net_virtqueue
 * @vq: the ring
 * @index: its index (0: RX, 1: TX)
 *
 * Called once when the device is opened.
 */
void vhost_net_coal_init(struct vhost_net_coal *c, struct vhost_virtqueue *vq,
			 unsigned int index)
{
	c->vq = vq;
	c->index = index;
	vhost_net_coal_forget(c);
	hrtimer_init(&c->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	c->timer.function = vhost_net_coal_timer_fn;
	vhost_work_init(&c->work, vhost_net_coal_work);
}

/**
 * vhost_net_coal_stop() - the ring stops: nothing may stay held
 * @c: the ring's coalescing state
 *
 * Cancels the timer and hands any held signal to the ring's worker, so
 * the caller's following device flush sends it from the process that
 * owns the guest's memory (release may run in another one).  Called with
 * vq->mutex held when the backend is detached (release, reset owner).
 */
void vhost_net_coal_stop(struct vhost_net_coal *c)
{
	hrtimer_cancel(&c->timer);
	if (ncoal_flush(&c->eng)) {
		c->flushes++;
		trace_vhost_net_coal_flush(c->id, c->index, VHOST_NET_COAL_FLUSH_STOP);
		c->force = true;
		vhost_vq_work_queue(c->vq, &c->work);
	}
}

/**
 * vhost_net_coal_reset() - forget settings and counters
 * @c: the ring's coalescing state
 *
 * For VHOST_RESET_OWNER and release, after the device was stopped and
 * flushed: the ring follows the module parameters again and its counters
 * restart from zero.  Sleeps.
 */
void vhost_net_coal_reset(struct vhost_net_coal *c)
{
	/* Not under the mutex: ncoal_dim_destroy() may sleep. */
	ncoal_dim_destroy(&c->dim);
	mutex_lock(&c->vq->mutex);
	hrtimer_cancel(&c->timer);
	vhost_net_coal_forget(c);
	mutex_unlock(&c->vq->mutex);
}

static int vhost_net_coal_validate(const struct vhost_vring_coalesce *vc)
{
	const struct ncoal_limits lim = {
		.max_usecs = READ_ONCE(coalesce_max_usecs),
		.max_frames = READ_ONCE(coalesce_max_frames),
		.min_interval_ms = VHOST_NET_COAL_INTERVAL_MIN_MS,
		.max_interval_ms = VHOST_NET_COAL_INTERVAL_MAX_MS,
		.max_rate_threshold = VHOST_NET_COAL_RATE_LIMIT,
	};
	const struct ncoal_params p = {
		.usecs = vc->usecs,
		.max_frames = vc->max_frames,
		.rate_threshold = vc->rate_threshold,
		.rate_interval_ms = vc->rate_interval_ms,
	};
	int ret;

	/* Unknown flags were refused by vhost_net_coal_set(), before F_CLAMP acted. */
	if (vc->reserved[0] || vc->reserved[1])
		return -EINVAL;
	if (vc->flags & VHOST_VRING_COALESCE_F_DEFAULT)
		return vc->usecs || vc->max_frames || vc->rate_threshold ||
		       vc->rate_interval_ms ||
		       vc->flags & VHOST_VRING_COALESCE_F_ADAPTIVE ?
		       -EINVAL : 0;
	/* "Off" needs no other value; a zero interval still makes no sense. */
	if (!vc->usecs && !vc->rate_interval_ms)
		return -EINVAL;
	ret = ncoal_params_validate(&p, &lim);
	if (ret)
		return ret;
	if (!vhost_net_coal_usecs_ok(vc->usecs, READ_ONCE(coalesce_min_usecs),
				     lim.max_usecs))
		return -ERANGE;
	return 0;
}

/* F_CLAMP: bring values inside the caps and limits; EINVAL cases stay. */
static void vhost_net_coal_clamp_request(struct vhost_vring_coalesce *vc)
{
	if (!(vc->flags & VHOST_VRING_COALESCE_F_CLAMP))
		return;
	vc->flags &= ~VHOST_VRING_COALESCE_F_CLAMP;
	if (vc->usecs)
		vc->usecs = clamp(vc->usecs, READ_ONCE(coalesce_min_usecs),
				  READ_ONCE(coalesce_max_usecs));
	if (vc->max_frames)
		vc->max_frames = min(vc->max_frames,
				     READ_ONCE(coalesce_max_frames));
	vc->rate_threshold = min(vc->rate_threshold, VHOST_NET_COAL_RATE_LIMIT);
	if (vc->rate_interval_ms)
		vc->rate_interval_ms = clamp(vc->rate_interval_ms,
					     VHOST_NET_COAL_INTERVAL_MIN_MS,
					     VHOST_NET_COAL_INTERVAL_MAX_MS);
}

static long vhost_net_coal_set(struct vhost_net_coal *c,
			       struct vhost_vring_coalesce *vc)
{
	int ret;

	if (vc->flags & ~VHOST_VRING_COALESCE_F_ALL)
		return -EINVAL;
	vhost_net_coal_clamp_request(vc);
	ret = vhost_net_coal_validate(vc);
	if (ret)
		return ret;
	if (vc->flags & VHOST_VRING_COALESCE_F_DEFAULT) {
		c->has_explicit = false;
	} else {
		c->explicit.usecs = vc->usecs;
		c->explicit.max_frames = vc->max_frames;
		c->explicit.rate_threshold = vc->rate_threshold;
		c->explicit.rate_interval_ms = vc->rate_interval_ms;
		c->explicit_adaptive = vc->flags &
				       VHOST_VRING_COALESCE_F_ADAPTIVE;
		c->has_explicit = true;
	}
	if (vhost_net_coal_apply(c)) {
		trace_vhost_net_coal_flush(c->id, c->index,
					   VHOST_NET_COAL_FLUSH_RECONFIGURE);
		vhost_net_coal_send(c);
	}
	return 0;
}

static void vhost_net_coal_get(const struct vhost_net_coal *c,
			       struct vhost_vring_coalesce *vc)
{
	struct ncoal_dim_params dp;
	struct ncoal_params p;

	vhost_net_coal_effective(c, &p);
	vhost_net_coal_policy(c, &dp);
	vc->flags = c->has_explicit ? 0 : VHOST_VRING_COALESCE_F_DEFAULT;
	if (dp.mode == NCOAL_MODE_ADAPTIVE)
		vc->flags |= VHOST_VRING_COALESCE_F_ADAPTIVE;
	vc->usecs = p.usecs;
	vc->max_frames = p.max_frames;
	vc->rate_threshold = p.rate_threshold;
	vc->rate_interval_ms = p.rate_interval_ms;
	vc->reserved[0] = 0;
	vc->reserved[1] = 0;
}

static void vhost_net_coal_stats(const struct vhost_net_coal *c,
				 struct vhost_vring_coalesce_stats *s)
{
	const struct ncoal_stats *st = ncoal_read_stats(&c->eng);

	s->state = ncoal_state(&c->eng);
	s->rate = ncoal_rate(&c->eng);
	s->reserved = 0;
	s->packets = st->packets;
	s->signals_due = st->due;
	s->signals_sent = st->sent;
	s->signals_deferred = st->deferred;
	s->timer_fires = st->timer_fires;
	s->frame_flushes = st->frame_flushes;
	s->activations = st->activations;
	s->deactivations = st->deactivations;
	s->flushes = c->flushes;
	s->mode = s->state == NCOAL_STATE_OFF ? NCOAL_MODE_OFF :
		  ncoal_dim_mode(&c->dim);
	s->profile = s->mode == NCOAL_MODE_ADAPTIVE ?
		     ncoal_dim_profile_ix(&c->dim) :
		     NET_DIM_PARAMS_NUM_PROFILES - 1;
	s->profile_moves = ncoal_dim_moves(&c->dim);
	memset(s->reserved2, 0, sizeof(s->reserved2));
}

/**
 * vhost_net_coal_ioctl() - the per-ring coalescing ioctls
 * @dev: the vhost device
 * @rx: its RX ring's coalescing state
 * @tx: its TX ring's
 * @ioctl: VHOST_NET_{SET,GET}_VRING_COALESCE or ..._STATS
 * @argp: user argument
 *
 * Return: 0, -EFAULT, -EPERM (not the owner), -EINVAL (bad ring index,
 * flags, reserved fields or combination) or -ERANGE (a value outside the
 * admin's caps); nothing changes on error.
 */
long vhost_net_coal_ioctl(struct vhost_dev *dev, struct vhost_net_coal *rx,
			  struct vhost_net_coal *tx, unsigned int ioctl,
			  void __user *argp)
{
	struct vhost_vring_coalesce_stats st;
	struct vhost_vring_coalesce vc;
	struct vhost_net_coal *rc;
	long ret;
	u32 idx;

	BUILD_BUG_ON(NCOAL_STATE_OFF != VHOST_VRING_COALESCE_STATE_OFF);
	BUILD_BUG_ON(NCOAL_STATE_IDLE != VHOST_VRING_COALESCE_STATE_IDLE);
	BUILD_BUG_ON(NCOAL_STATE_ACTIVE != VHOST_VRING_COALESCE_STATE_ACTIVE);
	BUILD_BUG_ON(NCOAL_MODE_OFF != VHOST_VRING_COALESCE_MODE_OFF);
	BUILD_BUG_ON(NCOAL_MODE_FIXED != VHOST_VRING_COALESCE_MODE_FIXED);
	BUILD_BUG_ON(NCOAL_MODE_ADAPTIVE != VHOST_VRING_COALESCE_MODE_ADAPTIVE);

	if (get_user(idx, (u32 __user *)argp))
		return -EFAULT;

	mutex_lock(&dev->mutex);
	ret = vhost_dev_check_owner(dev);
	if (ret)
		goto out;
	if (idx != rx->index && idx != tx->index) {
		ret = -EINVAL;
		goto out;
	}
	rc = idx == rx->index ? rx : tx;
	mutex_lock(&rc->vq->mutex);
	/* Report, and change from, what the module parameters say now. */
	if (vhost_net_coal_reload(rc))
		vhost_net_coal_send(rc);
	switch (ioctl) {
	case VHOST_NET_SET_VRING_COALESCE:
		if (copy_from_user(&vc, argp, sizeof(vc)))
			ret = -EFAULT;
		else
			ret = vhost_net_coal_set(rc, &vc);
		break;
	case VHOST_NET_GET_VRING_COALESCE:
		vc.index = idx;
		vhost_net_coal_get(rc, &vc);
		ret = copy_to_user(argp, &vc, sizeof(vc)) ? -EFAULT : 0;
		break;
	default:	/* VHOST_NET_GET_VRING_COALESCE_STATS */
		st.index = idx;
		vhost_net_coal_stats(rc, &st);
		ret = copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
		break;
	}
	mutex_unlock(&rc->vq->mutex);
out:
	mutex_unlock(&dev->mutex);
	return ret;
}

static const char * const vhost_net_coal_mode_names[] = {
	[NCOAL_MODE_OFF] = "off",
	[NCOAL_MODE_FIXED] = "fixed",
	[NCOAL_MODE_ADAPTIVE] = "adaptive",
};

/*
 * Besides the ioctl's counters: "pending", the used buffers whose signal
 * is held right now; read together under the ring's mutex,
 * signals_sent = signals_due - signals_deferred + timer_fires + flushes,
 * and a ring that saw no new buffers for longer than its usecs has
 * nothing pending: a held signal that never goes out shows as pending
 * that stays.  A read changes nothing; a module parameter write reaches
 * the engine by itself (vhost_net_coal_apply_all()).
 */
static int vhost_net_coal_debugfs_show(struct seq_file *m, void *v)
{
	struct vhost_net_coal *c = m->private;
	struct vhost_vring_coalesce_stats st;
	struct vhost_vring_coalesce vc;
	struct ncoal_profile hold;
	u32 pending;

	mutex_lock(&c->vq->mutex);
	vhost_net_coal_get(c, &vc);
	vhost_net_coal_stats(c, &st);
	pending = ncoal_pending(&c->eng);
	ncoal_get_profile(&c->eng, &hold);
	mutex_unlock(&c->vq->mutex);

	seq_printf(m, "source: %s\n", vc.flags ? "module parameters" :
		   "explicit");
	seq_printf(m, "usecs: %u\nmax_frames: %u\n", vc.usecs, vc.max_frames);
	seq_printf(m, "rate_threshold: %u\nrate_interval_ms: %u\n",
		   vc.rate_threshold, vc.rate_interval_ms);
	seq_printf(m, "state: %s\nrate: %u\n", ncoal_state_name(st.state),
		   st.rate);
	seq_printf(m, "packets: %llu\nsignals_due: %llu\nsignals_sent: %llu\n",
		   st.packets, st.signals_due, st.signals_sent);
	seq_printf(m, "signals_deferred: %llu\ntimer_fires: %llu\n",
		   st.signals_deferred, st.timer_fires);
	seq_printf(m, "flushes: %llu\npending: %u\n", st.flushes, pending);
	seq_printf(m, "frame_flushes: %llu\nactivations: %llu\n",
		   st.frame_flushes, st.activations);
	seq_printf(m, "deactivations: %llu\n", st.deactivations);
	seq_printf(m, "mode: %s\nprofile: %u\nprofile_moves: %llu\n",
		   vhost_net_coal_mode_names[st.mode], st.profile, st.profile_moves);
	seq_printf(m, "hold_usecs: %u\nhold_frames: %u\ngap_usecs: %u\n",
		   hold.usecs, hold.frames, hold.gap_usecs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_net_coal_debugfs);

/**
 * vhost_net_coal_dev_add() - a device was opened
 * @rx: its RX ring's coalescing state
 * @tx: its TX ring's
 *
 * Makes module parameter writes reach its rings and creates its
 * counters for operators, vhost_net/<pid>-<n>/{rx,tx} in debugfs, <pid>
 * being the process that opened /dev/vhost-net (the VMM).
 */
void vhost_net_coal_dev_add(struct vhost_net_coal *rx,
			    struct vhost_net_coal *tx)
{
	struct dentry *dir;
	char name[32];

	rx->id = atomic_inc_return(&vhost_net_coal_dev_ids);
	tx->id = rx->id;
	snprintf(name, sizeof(name), "%d-%u", task_tgid_vnr(current), rx->id);
	dir = debugfs_create_dir(name, vhost_net_coal_debugfs_root);
	debugfs_create_file("rx", 0400, dir, rx, &vhost_net_coal_debugfs_fops);
	debugfs_create_file("tx", 0400, dir, tx, &vhost_net_coal_debugfs_fops);
	rx->debugfs = dir;
	mutex_lock(&vhost_net_coal_rings_lock);
	list_add(&rx->node, &vhost_net_coal_rings);
	list_add(&tx->node, &vhost_net_coal_rings);
	mutex_unlock(&vhost_net_coal_rings_lock);
}

/**
 * vhost_net_coal_dev_remove() - a device is being released
 * @rx: what was passed to vhost_net_coal_dev_add()
 * @tx: likewise
 *
 * Waits for debugfs readers and parameter writers; called before the
 * device is stopped and freed.
 */
void vhost_net_coal_dev_remove(struct vhost_net_coal *rx,
			       struct vhost_net_coal *tx)
{
	mutex_lock(&vhost_net_coal_rings_lock);
	list_del(&rx->node);
	list_del(&tx->node);
	mutex_unlock(&vhost_net_coal_rings_lock);
	debugfs_remove(rx->debugfs);
}

/**
 * vhost_net_coal_module_init() - module load: check the parameters
 *
 * The insmod line's values were stored in its order without the checks
 * a later write gets; they must hold as a set.
 *
 * Return: 0, or -EINVAL/-ERANGE as a write of the offending set would
 * fail, and the module does not load.
 */
int vhost_net_coal_module_init(void)
{
	struct vhost_net_coal_knobs k;
	int ret;

	vhost_net_coal_knobs_read(&k);
	ret = vhost_net_coal_knobs_check(&k);
	if (ret) {
		pr_err("vhost_net: coalescing module parameters out of range (%d)\n",
		       ret);
		return ret;
	}
	vhost_net_coal_params_live = true;
	vhost_net_coal_debugfs_root = debugfs_create_dir("vhost_net", NULL);
	return 0;
}

/**
 * vhost_net_coal_module_exit() - module unload
 */
void vhost_net_coal_module_exit(void)
{
	debugfs_remove(vhost_net_coal_debugfs_root);
}
