// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net TX kick coalescing: the data path and the life cycle of the
 * per-queue state.  See virtio_net_coal.h.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>
#include <linux/netdevice.h>
#include <linux/netpoll.h>
#include <linux/smp.h>

#include "virtio_net_coal.h"
#include "virtio_net_coal_sync.h"

static const struct ncoal_limits virtnet_coal_limits = {
	.max_usecs = VIRTNET_COAL_MAX_USECS,
	.max_frames = VIRTNET_COAL_MAX_FRAMES,
	.min_interval_ms = VIRTNET_COAL_MIN_INTERVAL_MS,
	.max_interval_ms = VIRTNET_COAL_MAX_INTERVAL_MS,
	.max_rate_threshold = VIRTNET_COAL_MAX_RATE_THRESHOLD,
};

/*
 * What applies to the queues: the parameters as limited by the
 * synchronisation with the device (virtnet_coal_sync_limit()), with the
 * engine off in mode off; and the policy of the mode.  With
 * &virtnet_coal.lock held.
 */
static void virtnet_coal_effective(struct virtnet_coal *vc,
				   struct ncoal_params *p,
				   struct ncoal_dim_params *dp)
{
	lockdep_assert_held(&vc->lock);

	*p = vc->params;
	virtnet_coal_sync_limit(vc, p);
	if (vc->mode == NCOAL_MODE_OFF)
		p->usecs = 0;
	*dp = (struct ncoal_dim_params) {
		.mode = vc->mode == NCOAL_MODE_ADAPTIVE ? NCOAL_MODE_ADAPTIVE :
							  NCOAL_MODE_FIXED,
		.min_usecs = VIRTNET_COAL_MIN_HOLD_USECS,
		.table = NCOAL_DIM_TABLE_FRAMES,
	};
}

/**
 * virtnet_coal_init - initialise the kick coalescing state of a device
 * @vc: the state, in the device's private data
 *
 * Sets the shipped defaults.  Call once, before the first
 * virtnet_coal_txq_init().
 */
void virtnet_coal_init(struct virtnet_coal *vc)
{
	vc->params = (struct ncoal_params) {
		.usecs = VIRTNET_COAL_TX_KICK_USECS,
		.max_frames = VIRTNET_COAL_TX_KICK_FRAMES,
		.rate_threshold = VIRTNET_COAL_RATE_THRESHOLD,
		.rate_interval_ms = VIRTNET_COAL_RATE_INTERVAL_MS,
	};
	vc->mode = VIRTNET_COAL_TX_KICK_MODE;
	mutex_init(&vc->lock);
	INIT_LIST_HEAD(&vc->txqs);
	virtnet_coal_sync_init(vc, NULL);
}

/* Send a held kick; the coalescing delay of the first held frame is over. */
static enum hrtimer_restart virtnet_coal_timer(struct hrtimer *timer)
{
	struct virtnet_coal_txq *q =
		container_of(timer, struct virtnet_coal_txq, timer);

	__netif_tx_lock(q->txq, smp_processor_id());
	if (ncoal_timer_expired(&q->nc))
		virtnet_coal_kick(q);
	__netif_tx_unlock(q->txq);

	return HRTIMER_NORESTART;
}

/**
 * virtnet_coal_txq_init - start kick coalescing on a send queue
 * @vc: the device's state
 * @q: the queue's state, in its send queue
 * @txq: the netdev queue whose TX lock serialises @q
 * @index: queue number
 *
 * Call once the send queue's virtqueue exists; virtnet_coal_txq_destroy()
 * undoes it before the virtqueue goes away.
 */
void virtnet_coal_txq_init(struct virtnet_coal *vc, struct virtnet_coal_txq *q,
			   struct netdev_queue *txq, u32 index)
{
	struct ncoal_dim_params dp;
	struct ncoal_params eff;

	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	q->timer.function = virtnet_coal_timer;
	q->vc = vc;
	q->txq = txq;
	q->index = index;
	q->unreported = 0;
	q->unreported_bytes = 0;
	q->forced = 0;

	mutex_lock(&vc->lock);
	virtnet_coal_effective(vc, &eff, &dp);
	ncoal_init(&q->nc, &eff, ktime_get_ns());
	ncoal_dim_init(&q->dim, NCOAL_DIM_TX, &dp, &q->nc);
	list_add_tail(&q->node, &vc->txqs);
	mutex_unlock(&vc->lock);
}

/**
 * virtnet_coal_txq_destroy - stop kick coalescing on a send queue for good
 * @q: the queue's state
 *
 * For a device being reset or removed: a held kick is dropped, not sent;
 * the frames it covered are freed with the ring.  No timer and no policy
 * work runs after this returns.  Sleeps.
 */
void virtnet_coal_txq_destroy(struct virtnet_coal_txq *q)
{
	struct virtnet_coal *vc = q->vc;

	hrtimer_cancel(&q->timer);

	mutex_lock(&vc->lock);
	__netif_tx_lock_bh(q->txq);
	ncoal_flush(&q->nc);
	__netif_tx_unlock_bh(q->txq);
	list_del(&q->node);
	mutex_unlock(&vc->lock);
	ncoal_dim_destroy(&q->dim);
}

/**
 * virtnet_coal_xmit - whether start_xmit kicks now
 * @q: the queue's state
 * @bytes: the frame's length (skb->len), for the adaptive mode
 * @kick: what the driver would do without coalescing: true to kick now
 *
 * Called with the TX lock held for every frame start_xmit handles.  While
 * coalescing is active, a due kick is held (for as long as the mode's
 * hold says) unless the queue is stopped (a
 * full ring, or BQL: the stack then waits for completions, which need
 * the kick) or netpoll transmits (IRQs off: at panic, after
 * smp_send_stop(), the timer never runs).  Below the rate threshold, or
 * with coalescing off, the result is @kick.
 *
 * Return: true if the caller must kick now.
 */
bool virtnet_coal_xmit(struct virtnet_coal_txq *q, u32 bytes, bool kick)
{
	enum ncoal_action action;
	u32 frames;

	q->unreported++;
	q->unreported_bytes += bytes;
	if (!kick)
		return false;

	frames = q->unreported;
	bytes = q->unreported_bytes;
	q->unreported = 0;
	q->unreported_bytes = 0;
	action = ncoal_dim_due(&q->dim, &q->nc, ktime_get_ns(), frames, bytes);
	if (action == NCOAL_SEND)
		return true;

	if (unlikely(netif_xmit_stopped(q->txq) ||
		     netpoll_tx_running(q->txq->dev))) {
		ncoal_flush(&q->nc);
		q->forced++;
		return true;
	}

	if (action == NCOAL_ARM)
		hrtimer_start(&q->timer, ns_to_ktime(ncoal_delay_ns(&q->nc)),
			      HRTIMER_MODE_REL_SOFT);
	return false;
}

/**
 * virtnet_coal_txq_flush - send a held kick now
 * @q: the queue's state
 *
 * For paths that must not wait, such as the TX watchdog.  Takes the TX
 * lock; the timer may still fire, harmlessly.
 */
void virtnet_coal_txq_flush(struct virtnet_coal_txq *q)
{
	__netif_tx_lock_bh(q->txq);
	if (ncoal_flush(&q->nc))
		virtnet_coal_kick(q);
	__netif_tx_unlock_bh(q->txq);
}

/**
 * virtnet_coal_txq_stop - send a held kick and cancel the timer
 * @q: the queue's state
 *
 * For a queue going down (close) or pausing (ring resize) while the
 * device still works: once the stack no longer transmits on the queue,
 * nothing is held after this returns.  Coalescing resumes by itself with
 * the next transmit.  Must not be called with the TX lock held.
 */
void virtnet_coal_txq_stop(struct virtnet_coal_txq *q)
{
	hrtimer_cancel(&q->timer);
	virtnet_coal_txq_flush(q);
}

/**
 * virtnet_coal_validate - check kick coalescing parameters
 * @p: the parameters
 *
 * Stricter than ncoal_params_validate(): the sampling interval and the
 * frame bound must be valid even while coalescing is off, so that
 * switching it on needs one change only.
 *
 * Return: 0 if @p is acceptable, -EINVAL if a value (the mode included)
 * is invalid, -ERANGE if one is out of range.
 */
int virtnet_coal_validate(const struct virtnet_coal_params *p)
{
	const struct ncoal_params *k = &p->kick;

	if (p->mode >= NCOAL_MODE_NUM || !k->max_frames ||
	    k->rate_interval_ms < VIRTNET_COAL_MIN_INTERVAL_MS)
		return -EINVAL;
	return ncoal_params_validate(k, &virtnet_coal_limits);
}

/**
 * virtnet_coal_apply - apply the parameters in effect to every send queue
 * @vc: the device's state, with &virtnet_coal.lock held
 *
 * The parameters in effect are &virtnet_coal.params as limited by the
 * synchronisation with the device (virtnet_coal_sync_limit()), and the
 * engine off in mode off.  A change of mode restarts the adaptive
 * policy's learning.  Held kicks the change makes due are sent.
 */
void virtnet_coal_apply(struct virtnet_coal *vc)
{
	struct virtnet_coal_txq *q;
	struct ncoal_dim_params dp;
	struct ncoal_params eff;
	bool kick;

	virtnet_coal_effective(vc, &eff, &dp);
	list_for_each_entry(q, &vc->txqs, node) {
		__netif_tx_lock_bh(q->txq);
		kick = ncoal_set_params(&q->nc, &eff);
		kick |= ncoal_dim_set_params(&q->dim, &q->nc, &dp);
		if (kick)
			virtnet_coal_kick(q);
		__netif_tx_unlock_bh(q->txq);
	}
}

/**
 * virtnet_coal_set_params - apply new kick coalescing parameters
 * @vc: the device's state
 * @p: the parameters, from any source (sysfs, ethtool)
 *
 * The one place where parameters change: validates @p and applies it to
 * every send queue, sending held kicks the change makes due, then
 * synchronises with the device, which may lower the kick delay in effect
 * (virtnet_coal_sync()).  Nothing changes if @p is invalid.  Sleeps.
 *
 * Return: 0, or the error of virtnet_coal_validate().
 */
int virtnet_coal_set_params(struct virtnet_coal *vc,
			    const struct virtnet_coal_params *p)
{
	int err;

	err = virtnet_coal_validate(p);
	if (err)
		return err;

	mutex_lock(&vc->lock);
	vc->params = p->kick;
	vc->mode = p->mode;
	virtnet_coal_apply(vc);
	mutex_unlock(&vc->lock);

	virtnet_coal_sync(vc);

	return 0;
}

/**
 * virtnet_coal_get_params - read the kick coalescing parameters
 * @vc: the device's state
 * @p: filled with the parameters in effect
 */
void virtnet_coal_get_params(struct virtnet_coal *vc,
			     struct virtnet_coal_params *p)
{
	mutex_lock(&vc->lock);
	p->kick = vc->params;
	p->mode = vc->mode;
	mutex_unlock(&vc->lock);
}
