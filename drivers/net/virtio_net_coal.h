/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_net TX kick coalescing.
 *
 * Without it, virtio_net kicks the device (a doorbell write, a VM exit)
 * at the end of every transmit burst.  With it, while a send queue's
 * packet rate is at or above a threshold, the kick is held until
 * tx_kick_frames frames are pending or tx_kick_usecs have passed since
 * the first held frame, whichever comes first.  Below the threshold the
 * driver kicks exactly as it would without it.  That is the fixed mode;
 * in the adaptive mode lib/dim's decision picks each queue's hold from
 * what it measures (frames, bytes, kicks), from holding nothing up to
 * those bounds (include/linux/ncoal_dim.h, the frames table).  The decisions are made by the
 * shared engine in include/linux/ncoal.h and its policy; this code owns
 * the timer, the locking and the driver's knobs.
 *
 * virtio_net.c embeds a &struct virtnet_coal in its device and a
 * &struct virtnet_coal_txq in each send queue, and calls in through the
 * functions below; the knobs are in virtio_net_coal_sysfs.c and
 * virtio_net_coal_ethtool.c.  See
 * Documentation/networking/virtio_net_coalesce.rst.
 *
 * Locking: the state of one queue (its engine and timer) is serialised by
 * that queue's TX lock (__netif_tx_lock); &virtnet_coal.lock protects the
 * parameters and the list of queues.  Order: rtnl, &virtnet_coal.lock,
 * TX lock.
 */
#ifndef _VIRTIO_NET_COAL_H
#define _VIRTIO_NET_COAL_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>
#include <linux/sysfs.h>
#include <linux/types.h>

#include "virtio_net_coal_sync.h"

struct ethtool_coalesce;
struct kernel_ethtool_coalesce;
struct net_device;
struct netdev_queue;
struct netlink_ext_ack;

/*
 * Shipped defaults: kick coalescing off (0 us), because the benchmark
 * (Documentation/benchmarks/results.rst) measured held kicks costing
 * request/response traffic with one request in flight.  Once an admin sets
 * a delay, it is active on a queue that sends 10,000 packets per second
 * or more, up to 32 frames, far below the usual 256-entry TX ring.
 */
#define VIRTNET_COAL_RATE_THRESHOLD	10000
#define VIRTNET_COAL_RATE_INTERVAL_MS	1000
#define VIRTNET_COAL_TX_KICK_USECS	0
#define VIRTNET_COAL_TX_KICK_FRAMES	32
#define VIRTNET_COAL_TX_KICK_MODE	NCOAL_MODE_FIXED

/*
 * Adaptive mode: the shortest hold a profile below the bound has, in
 * microseconds; a timer much shorter than that costs about what the kick
 * it saves costs.
 */
#define VIRTNET_COAL_MIN_HOLD_USECS	10

/* Accepted ranges of the knobs. */
#define VIRTNET_COAL_MAX_RATE_THRESHOLD	100000000
#define VIRTNET_COAL_MIN_INTERVAL_MS	10
#define VIRTNET_COAL_MAX_INTERVAL_MS	60000
#define VIRTNET_COAL_MAX_USECS		10000
#define VIRTNET_COAL_MAX_FRAMES		256

/* Per-queue counters in ethtool -S, after all of virtio_net's own. */
#define VIRTNET_COAL_TXQ_STATS		10

struct virtnet_coal_txq;

/**
 * struct virtnet_coal_params - kick coalescing settings of a device
 * @kick: the engine's parameters: the bounds of every hold, the gate
 * @mode: &enum ncoal_mode: 0 off, 1 fixed (hold for the bounds), 2
 *	adaptive (lib/dim's decision picks the hold within the bounds)
 */
struct virtnet_coal_params {
	struct ncoal_params kick;
	u32 mode;
};

/**
 * struct virtnet_coal - kick coalescing state of one device
 * @params: parameters of every send queue
 * @mode: &enum ncoal_mode of every send queue
 * @lock: protects @params, @mode and @txqs
 * @txqs: the send queues' &struct virtnet_coal_txq, in queue order
 * @sysfs_group: the device's virtio_coalesce group, see
 *	virtnet_coal_sysfs_group()
 * @sync: synchronisation with the device, see virtio_net_coal_sync.h;
 *	protected by @lock
 */
struct virtnet_coal {
	struct ncoal_params params;
	u32 mode;
	struct mutex lock;	/* protects params, mode and txqs */
	struct list_head txqs;
	struct attribute_group sysfs_group;
	struct virtnet_coal_sync sync;
};

/**
 * struct virtnet_coal_txq - kick coalescing state of one send queue
 * @nc: the engine
 * @dim: its policy
 * @timer: sends a held kick when its delay is over
 * @vc: the device's state
 * @txq: the queue whose TX lock serialises @nc
 * @node: entry in &virtnet_coal.txqs
 * @index: queue number
 * @unreported: frames queued since the last kick decision
 * @unreported_bytes: their bytes
 * @forced: held kicks sent at once because the queue stopped or netpoll
 *	transmitted
 */
struct virtnet_coal_txq {
	struct ncoal nc;
	struct ncoal_dim dim;
	struct hrtimer timer;
	struct virtnet_coal *vc;
	struct netdev_queue *txq;
	struct list_head node;
	u32 index;
	u32 unreported;
	u32 unreported_bytes;
	u64 forced;
};

/* virtio_net.c: the driver's kick of a send queue, with its TX lock held */
void virtnet_coal_kick(struct virtnet_coal_txq *q);

/* virtio_net_coal.c: the data path and the life cycle */
void virtnet_coal_init(struct virtnet_coal *vc);
void virtnet_coal_txq_init(struct virtnet_coal *vc, struct virtnet_coal_txq *q,
			   struct netdev_queue *txq, u32 index);
void virtnet_coal_txq_destroy(struct virtnet_coal_txq *q);
bool virtnet_coal_xmit(struct virtnet_coal_txq *q, u32 bytes, bool kick);
void virtnet_coal_txq_flush(struct virtnet_coal_txq *q);
void virtnet_coal_txq_stop(struct virtnet_coal_txq *q);
int virtnet_coal_validate(const struct virtnet_coal_params *p);
int virtnet_coal_set_params(struct virtnet_coal *vc,
			    const struct virtnet_coal_params *p);
void virtnet_coal_get_params(struct virtnet_coal *vc,
			     struct virtnet_coal_params *p);
void virtnet_coal_apply(struct virtnet_coal *vc);

/* virtio_net_coal_sysfs.c: /sys/class/net/<dev>/virtio_coalesce/ */
const struct attribute_group *
virtnet_coal_sysfs_group(struct virtnet_coal *vc);

/* virtio_net_coal_ethtool.c: ethtool -S and ethtool -C */
void virtnet_coal_txq_get_strings(u32 index, u8 **data);
u64 *virtnet_coal_txq_get_stats(struct virtnet_coal_txq *q, u64 *data);

#define VIRTNET_COAL_ETHTOOL_PARAMS (ETHTOOL_COALESCE_PKT_RATE_LOW |	\
				     ETHTOOL_COALESCE_RATE_SAMPLE_INTERVAL |\
				     ETHTOOL_COALESCE_TX_AGGR_MAX_FRAMES |	\
				     ETHTOOL_COALESCE_TX_AGGR_TIME_USECS |\
				     ETHTOOL_COALESCE_USE_ADAPTIVE_TX)

void virtnet_coal_ethtool_get(struct virtnet_coal *vc,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec);
bool virtnet_coal_ethtool_in_queue(const struct ethtool_coalesce *ec);
int virtnet_coal_ethtool_check(struct virtnet_coal *vc,
			       const struct ethtool_coalesce *ec,
			       const struct kernel_ethtool_coalesce *kec,
			       struct virtnet_coal_params *p,
			       struct netlink_ext_ack *extack);

#endif /* _VIRTIO_NET_COAL_H */
