/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-net: synchronised notification coalescing (proposal).
 *
 * The driver proposes one latency budget and how it wants to split it
 * between the device's RX notification delay (interrupt coalescing on
 * the receive queues) and its own TX kick delay; the device answers with
 * what it applied after its own limits, and the driver then fits its kick
 * delay into what is left of the budget.  Both sides use the same rate
 * threshold, below which neither coalesces.
 *
 * Written as an addition to <linux/virtio_net.h>; see
 * Documentation/networking/virtio_net_coalesce_sync.rst for the spec text.
 */
#ifndef _UAPI_LINUX_VIRTIO_NET_COALESCE_H
#define _UAPI_LINUX_VIRTIO_NET_COALESCE_H

#include <linux/types.h>
#include <linux/virtio_types.h>

/*
 * Feature bit: the device accepts VIRTIO_NET_CTRL_NOTF_COAL_SYNC.
 * Requires VIRTIO_NET_F_CTRL_VQ and VIRTIO_NET_F_NOTF_COAL.
 */
#define VIRTIO_NET_F_NOTF_COAL_SYNC	58

/* Command in class VIRTIO_NET_CTRL_NOTF_COAL (6). */
#define VIRTIO_NET_CTRL_NOTF_COAL_SYNC	4

/**
 * struct virtio_net_ctrl_coal_sync - one coalescing proposal or answer
 * @budget_usecs: largest delay, in microseconds, coalescing may add to a
 *	round trip (device RX notification delay plus driver TX kick delay);
 *	0: the driver wants no coalescing on either side
 * @rx_usecs: RX notification delay the driver asks the device for
 * @rx_max_packets: RX packets after which the device notifies at once
 * @tx_kick_usecs: TX kick delay the driver intends to use
 * @tx_kick_packets: TX packets after which the driver kicks at once
 * @rate_threshold: packets per second per queue at or above which both
 *	sides coalesce; 0: always
 * @rate_interval_ms: rate sampling interval, milliseconds
 * @reserved: zero
 *
 * The command carries this structure twice: the driver's proposal is
 * its command-specific data (device-readable); the device's answer is its
 * command-specific result (device-writable), after the ack byte as for
 * every command with a result.  In the answer @rx_usecs, @rx_max_packets,
 * @rate_threshold and @rate_interval_ms are the values the device
 * applied; @tx_kick_usecs is the largest kick delay that still fits the
 * budget (@budget_usecs - applied @rx_usecs, and no more than proposed);
 * @tx_kick_packets and @budget_usecs echo the proposal.
 */
struct virtio_net_ctrl_coal_sync {
	__le32 budget_usecs;
	__le32 rx_usecs;
	__le32 rx_max_packets;
	__le32 tx_kick_usecs;
	__le32 tx_kick_packets;
	__le32 rate_threshold;
	__le32 rate_interval_ms;
	__le32 reserved;
};

#endif /* _UAPI_LINUX_VIRTIO_NET_COALESCE_H */
