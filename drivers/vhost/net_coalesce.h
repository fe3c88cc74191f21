/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost-net guest notification coalescing.
 *
 * vhost_net signals the guest (call eventfd, an injected interrupt) each
 * time it adds used buffers to a ring.  With coalescing active on a ring,
 * vhost_net_coal_signal() holds that signal until max_frames used buffers
 * are pending or usecs have passed since the first held one; an hrtimer
 * then queues work on the ring's vhost worker, which sends the signal
 * (vhost_signal() reads guest memory for event-idx suppression, so it
 * runs in the worker, never in the timer).  The decisions are made by the
 * driver-agnostic engine in <linux/ncoal.h>; this file owns the timer,
 * the work, the module parameters, the ioctls and debugfs.
 *
 * All calls on one ring are serialised by its vq->mutex.
 */
#ifndef _VHOST_NET_COALESCE_H
#define _VHOST_NET_COALESCE_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>

#include "vhost.h"

struct dentry;

/**
 * struct vhost_net_coal - coalescing state of one vhost-net ring
 * @eng: the engine's state (decisions, rate gate, counters)
 * @dim: the policy: how long a hold lasts (fixed or adaptive)
 * @timer: fires when the oldest held signal is due
 * @work: sends a held signal from the ring's worker
 * @vq: the ring
 * @explicit: parameters set by VHOST_NET_SET_VRING_COALESCE
 * @has_explicit: @explicit is in use, not the module parameters
 * @explicit_adaptive: with @has_explicit: the ring is adaptive
 * @force: @work must signal even if the engine has nothing pending
 *	(the engine already accounted for the signal)
 * @flushes: held signals sent early because the ring stopped, its
 *	parameters changed or the guest had to hear at once (the engine's
 *	true returns of ncoal_flush() and ncoal_set_params()), so that
 *	signals_sent = signals_due - signals_deferred + timer_fires + @flushes
 * @descs: TX: descriptors of the buffers used since the last signal, at
 *	most (each buffer's iovec count; see vhost_net_coal_tx_descs())
 * @gen: module parameter generation @eng was last configured from
 * @node: in the list of every open device's rings
 * @debugfs: RX ring only: the device's debugfs directory
 * @id: the device's number, <n> of its debugfs directory and tracepoints
 * @index: ring index (VHOST_NET_VQ_RX or VHOST_NET_VQ_TX)
 */
struct vhost_net_coal {
	struct ncoal eng;
	struct ncoal_dim dim;
	struct hrtimer timer;
	struct vhost_work work;
	struct vhost_virtqueue *vq;
	struct ncoal_params explicit;
	bool has_explicit;
	bool explicit_adaptive;
	bool force;
	u64 flushes;
	unsigned int descs;
	struct list_head node;
	struct dentry *debugfs;
	unsigned int gen;
	unsigned int id;
	unsigned int index;
};

void vhost_net_coal_init(struct vhost_net_coal *c, struct vhost_virtqueue *vq,
			 unsigned int index);
void vhost_net_coal_signal(struct vhost_net_coal *c,
			   const struct vring_used_elem *heads,
			   unsigned int frames);
void vhost_net_coal_flush(struct vhost_net_coal *c);
void vhost_net_coal_restart(struct vhost_net_coal *c);
void vhost_net_coal_stop(struct vhost_net_coal *c);
void vhost_net_coal_reset(struct vhost_net_coal *c);
long vhost_net_coal_ioctl(struct vhost_dev *dev, struct vhost_net_coal *rx,
			  struct vhost_net_coal *tx, unsigned int ioctl,
			  void __user *argp);
void vhost_net_coal_dev_add(struct vhost_net_coal *rx,
			    struct vhost_net_coal *tx);
void vhost_net_coal_dev_remove(struct vhost_net_coal *rx,
			       struct vhost_net_coal *tx);
int vhost_net_coal_module_init(void);
void vhost_net_coal_module_exit(void);

/**
 * vhost_net_coal_tx_descs() - count the descriptors of a used TX buffer
 * @c: the TX ring's coalescing state
 * @iovs: the iovecs vhost_get_vq_desc() made of it, at least as many as
 *	the ring descriptors it takes
 *
 * A guest gets its TX descriptors back only when it reclaims used
 * buffers, and a guest that stopped its queue for want of them waits
 * for the signal: the signal goes at once when the buffers it would
 * report take half the ring.  Called with vq->mutex held.
 */
static inline void vhost_net_coal_tx_descs(struct vhost_net_coal *c,
					   unsigned int iovs)
{
	c->descs += iovs;
}

#endif /* _VHOST_NET_COALESCE_H */
