/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_net: synchronised notification coalescing, driver side of
 * VIRTIO_NET_CTRL_NOTF_COAL_SYNC.  See
 * Documentation/networking/virtio_net_coalesce_sync.rst.
 *
 * The driver proposes one latency budget, the device RX notification
 * delay it wants and its own TX kick values; the device answers what it
 * applied, and the kick coalescer (virtio_net_coal.c) then delays kicks by
 * no more than the answer allows.  Without the feature, or when the device
 * answers VIRTIO_NET_ERR, kicks are coalesced within the budget alone.
 *
 * Locking: everything here is protected by &virtnet_coal.lock.
 */
#ifndef _VIRTIO_NET_COAL_SYNC_H
#define _VIRTIO_NET_COAL_SYNC_H

#include <linux/types.h>
#include <linux/virtio_net_coalesce.h>

struct ncoal_params;
struct virtnet_coal;

/*
 * Defaults.  600 us keeps the coalescing share of a round trip below a
 * millisecond, the order of a virtualised request/response exchange over
 * vhost-net; 400 us of it for the device's RX interrupts, which cost the
 * guest most, leaves 200 us for the kicks, above their own 100 us default.
 * 32 frames is a fraction of the 256-entry RX ring.
 */
#define VIRTNET_COAL_SYNC_BUDGET_USECS	600
#define VIRTNET_COAL_SYNC_RX_USECS	400
#define VIRTNET_COAL_SYNC_RX_FRAMES	32

/**
 * enum virtnet_coal_sync_state - outcome of the last synchronisation
 * @VIRTNET_COAL_SYNC_OFF: the feature is not negotiated
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
 * @ans: filled with the answer (device-writable)
 *
 * Return: 0 on VIRTIO_NET_OK, a negative error otherwise.
 */
typedef int virtnet_coal_sync_send_t(struct virtnet_coal *vc,
				     const struct virtio_net_ctrl_coal_sync *prop,
				     struct virtio_net_ctrl_coal_sync *ans);

/**
 * struct virtnet_coal_sync - synchronisation state of one device
 * @send: sends the command; NULL while the feature is not negotiated
 * @budget_usecs: the latency budget, 0: no coalescing either side
 * @host_rx_usecs: RX notification delay the driver asks the device for
 * @host_rx_frames: RX frame bound the driver asks the device for
 * @state: outcome of the last command
 * @rx_usecs_applied: RX delay the device applied (last answer)
 * @rx_frames_applied: RX frame bound the device applied (last answer)
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
	u32 rx_frames_applied;
	u32 tx_kick_usecs_allowed;
	u32 rate_threshold;
	u32 rate_interval_ms;
	bool reported;
};

void virtnet_coal_sync_init(struct virtnet_coal *vc,
			    virtnet_coal_sync_send_t *send);
void virtnet_coal_sync_limit(struct virtnet_coal *vc, struct ncoal_params *p);
void virtnet_coal_sync(struct virtnet_coal *vc);
int virtnet_coal_sync_set_rx(struct virtnet_coal *vc, u32 usecs, u32 frames);

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
