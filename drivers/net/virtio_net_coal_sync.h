/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_net: synchronised notification coalescing, driver side of
 * VIRTIO_NET_CTRL_NOTF_COAL_SYNC.  See
 * Documentation/networking/virtio_net_coalesce_sync.rst.
 *
 * Nothing is sent until the administrator sets a budget (budget_usecs);
 * then the driver proposes it with its own TX kick values and the RX
 * values the standard commands set (ethtool -C rx-usecs, rx-frames),
 * and the device answers what it applied; the answer becomes what
 * ethtool -c shows, and the kick coalescer (virtio_net_coal.c) delays
 * kicks by no more than the answer allows.  Without the feature, or when
 * the device answers VIRTIO_NET_ERR, kicks are coalesced within the
 * budget alone.
 *
 * Locking: everything here is protected by &virtnet_coal.lock.
 */
#ifndef _VIRTIO_NET_COAL_SYNC_H
#define _VIRTIO_NET_COAL_SYNC_H

#include <linux/types.h>
#include <linux/virtio_net_coalesce.h>

struct ncoal_params;
struct virtnet_coal;

/**
 * enum virtnet_coal_sync_state - outcome of the last synchronisation
 * @VIRTNET_COAL_SYNC_OFF: the feature is not negotiated, or no budget set
 * @VIRTNET_COAL_SYNC_SYNCED: the device accepted the last proposal
 * @VIRTNET_COAL_SYNC_FALLBACK: the device answered VIRTIO_NET_ERR or the
 *	command failed: guest-only coalescing within the budget
 */
enum virtnet_coal_sync_state {
	VIRTNET_COAL_SYNC_OFF,
	VIRTNET_COAL_SYNC_SYNCED,
	VIRTNET_COAL_SYNC_FALLBACK,
};

/**
 * typedef virtnet_coal_sync_send_t - send one SYNC command to the device
 * @vc: the device's kick coalescing state
 * @prop: the proposal (device-readable)
 * @ans: filled with the answer (device-writable, after the ack)
 *
 * On success the RX values of @ans are what the device applies to its
 * RX queues; the driver then shows them (ethtool -c) and gives back
 * their own values to queues that had some (VQ_SET, DIM).
 *
 * Return: 0 on VIRTIO_NET_OK with the whole answer written, -EIO if the
 * device refused or wrote less, -EBUSY if @prop changes the RX values
 * while adaptive RX coalescing is on (nothing sent), or -ENOMEM.
 */
typedef int virtnet_coal_sync_send_t(struct virtnet_coal *vc,
				     const struct virtio_net_ctrl_coal_sync *prop,
				     struct virtio_net_ctrl_coal_sync *ans);

/**
 * struct virtnet_coal_sync - synchronisation state of one device
 * @send: sends the command; NULL while the feature is not negotiated
 * @budget_usecs: the latency budget; 0: none set, nothing is sent
 * @host_rx_usecs: the device's RX notification delay, as ethtool -c
 *	shows it (rx-usecs)
 * @host_rx_frames: the device's RX frame bound, as ethtool -c shows it
 *	(rx-frames)
 * @state: outcome of the last command
 * @rx_usecs_applied: RX delay the device applied (last answer)
 * @tx_kick_usecs_allowed: largest kick delay the budget leaves
 * @rate_threshold: rate threshold of the last answer
 * @rate_interval_ms: rate interval of the last answer
 * @reported: the fallback has been reported in the kernel log
 */
struct virtnet_coal_sync {
	virtnet_coal_sync_send_t *send;
	u32 budget_usecs;
	u32 host_rx_usecs;
	u32 host_rx_frames;
	enum virtnet_coal_sync_state state;
	u32 rx_usecs_applied;
	u32 tx_kick_usecs_allowed;
	u32 rate_threshold;
	u32 rate_interval_ms;
	bool reported;
};

void virtnet_coal_sync_init(struct virtnet_coal *vc,
			    virtnet_coal_sync_send_t *send);
void virtnet_coal_sync_limit(struct virtnet_coal *vc, struct ncoal_params *p);
void virtnet_coal_sync(struct virtnet_coal *vc);
int virtnet_coal_sync_check_rx(struct virtnet_coal *vc, u32 usecs, u32 frames);
void virtnet_coal_sync_set_rx(struct virtnet_coal *vc, u32 usecs, u32 frames);

/**
 * enum virtnet_coal_sync_knob - the values behind the sysfs knobs
 * @VIRTNET_COAL_SYNC_BUDGET: budget_usecs (read-write)
 * @VIRTNET_COAL_SYNC_HOST_RX_USECS: host_rx_usecs (read-write)
 * @VIRTNET_COAL_SYNC_HOST_RX_FRAMES: host_rx_frames (read-write)
 * @VIRTNET_COAL_SYNC_RX_USECS_APPLIED: host_rx_usecs_applied (read-only)
 * @VIRTNET_COAL_SYNC_TX_KICK_ALLOWED: tx_kick_usecs_allowed (read-only)
 */
enum virtnet_coal_sync_knob {
	VIRTNET_COAL_SYNC_BUDGET,
	VIRTNET_COAL_SYNC_HOST_RX_USECS,
	VIRTNET_COAL_SYNC_HOST_RX_FRAMES,
	VIRTNET_COAL_SYNC_RX_USECS_APPLIED,
	VIRTNET_COAL_SYNC_TX_KICK_ALLOWED,
};

u32 virtnet_coal_sync_get(struct virtnet_coal *vc,
			  enum virtnet_coal_sync_knob knob);
int virtnet_coal_sync_set(struct virtnet_coal *vc,
			  enum virtnet_coal_sync_knob knob, u32 val);
const char *virtnet_coal_sync_state_name(struct virtnet_coal *vc);

#endif /* _VIRTIO_NET_COAL_SYNC_H */
