// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net: synchronised notification coalescing, the driver side of
 * VIRTIO_NET_CTRL_NOTF_COAL_SYNC: the proposal, the answer, the limits it
 * puts on the TX kick coalescer, and the values behind its knobs in
 * /sys/class/net/<dev>/virtio_coalesce/.  See virtio_net_coal_sync.h and
 * Documentation/networking/virtio_net_coalesce_sync.rst.
 */

#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/ncoal.h>
#include <linux/netdevice.h>

#include "virtio_net_coal.h"
#include "virtio_net_coal_sync.h"

static const char * const virtnet_coal_sync_state_names[] = {
	[VIRTNET_COAL_SYNC_OFF] = "off",
	[VIRTNET_COAL_SYNC_SYNCED] = "synced",
	[VIRTNET_COAL_SYNC_FALLBACK] = "fallback",
};

/**
 * virtnet_coal_sync_init - set the synchronisation defaults
 * @vc: the device's kick coalescing state
 * @send: sends the command to the device; NULL if the device does not
 *	offer VIRTIO_NET_F_NOTF_COAL_SYNC with the features it requires
 *
 * virtnet_coal_init() calls it with @send NULL; the driver calls it again
 * once the features are known, before the first virtnet_coal_sync().
 */
void virtnet_coal_sync_init(struct virtnet_coal *vc,
			    virtnet_coal_sync_send_t *send)
{
	vc->sync = (struct virtnet_coal_sync) {
		.send = send,
		.budget_usecs = VIRTNET_COAL_SYNC_BUDGET_USECS,
		.host_rx_usecs = VIRTNET_COAL_SYNC_RX_USECS,
		.host_rx_frames = VIRTNET_COAL_SYNC_RX_FRAMES,
		.state = VIRTNET_COAL_SYNC_OFF,
	};
}

/**
 * virtnet_coal_sync_limit - limit kick parameters by the synchronisation
 * @vc: the device's kick coalescing state, with &virtnet_coal.lock held
 * @p: the driver's own parameters; changed into those in effect
 *
 * Synchronised, the kick delay is at most the answer's tx_kick_usecs and
 * the rate gate is the answer's (if the kick coalescer accepts it).
 * Otherwise the kick delay is at most the budget: 0 switches kick
 * coalescing off.
 */
void virtnet_coal_sync_limit(struct virtnet_coal *vc, struct ncoal_params *p)
{
	struct virtnet_coal_sync *s = &vc->sync;
	struct ncoal_params gate;

	lockdep_assert_held(&vc->lock);

	if (s->state != VIRTNET_COAL_SYNC_SYNCED) {
		p->usecs = min(p->usecs, s->budget_usecs);
		return;
	}

	p->usecs = min(p->usecs, s->tx_kick_usecs_allowed);
	gate = *p;
	gate.rate_threshold = s->rate_threshold;
	gate.rate_interval_ms = s->rate_interval_ms;
	if (!virtnet_coal_validate(&gate))
		*p = gate;
}

/* Fill @prop from the knobs and the driver's own kick parameters. */
static void virtnet_coal_sync_proposal(struct virtnet_coal *vc,
				       struct virtio_net_ctrl_coal_sync *prop)
{
	struct virtnet_coal_sync *s = &vc->sync;
	u32 rx_usecs;

	/* A zero budget: no RX delay, as the device must apply anyway. */
	rx_usecs = s->budget_usecs ? s->host_rx_usecs : 0;
	*prop = (struct virtio_net_ctrl_coal_sync) {
		.budget_usecs = cpu_to_le32(s->budget_usecs),
		.rx_usecs = cpu_to_le32(rx_usecs),
		.rx_max_packets = cpu_to_le32(s->host_rx_frames),
		.tx_kick_usecs = cpu_to_le32(vc->params.usecs),
		.tx_kick_packets = cpu_to_le32(vc->params.max_frames),
		.rate_threshold = cpu_to_le32(vc->params.rate_threshold),
		.rate_interval_ms = cpu_to_le32(vc->params.rate_interval_ms),
	};
}

/**
 * virtnet_coal_sync - synchronise the coalescing settings with the device
 * @vc: the device's kick coalescing state
 *
 * Sends the proposal and applies the answer to the send queues; on
 * VIRTIO_NET_ERR or a failed command falls back to guest-only coalescing
 * within the budget.  Without the feature it only says, as for the
 * fallback, once in the kernel log that kicks are coalesced alone.  Called
 * at probe, after every change of the settings and after a restore, with
 * rtnl held.  Sleeps.
 */
void virtnet_coal_sync(struct virtnet_coal *vc)
{
	struct virtio_net_ctrl_coal_sync prop, ans;
	struct virtnet_coal_sync *s = &vc->sync;
	struct virtnet_coal_txq *q;
	int err = -EOPNOTSUPP;
	u32 budget;

	mutex_lock(&vc->lock);
	budget = s->budget_usecs;
	if (s->send) {
		virtnet_coal_sync_proposal(vc, &prop);
		err = s->send(vc, &prop, &ans);
	}
	if (!err) {
		s->state = VIRTNET_COAL_SYNC_SYNCED;
		s->rx_usecs_applied = le32_to_cpu(ans.rx_usecs);
		s->rx_frames_applied = le32_to_cpu(ans.rx_max_packets);
		/* Trust the device no further than the budget allows. */
		s->tx_kick_usecs_allowed =
			min(le32_to_cpu(ans.tx_kick_usecs),
			    budget - min(budget, s->rx_usecs_applied));
		s->rate_threshold = le32_to_cpu(ans.rate_threshold);
		s->rate_interval_ms = le32_to_cpu(ans.rate_interval_ms);
	} else {
		s->state = s->send ? VIRTNET_COAL_SYNC_FALLBACK :
				     VIRTNET_COAL_SYNC_OFF;
		s->rx_usecs_applied = 0;
		s->rx_frames_applied = 0;
		s->tx_kick_usecs_allowed = budget;
	}
	if (s->send)
		virtnet_coal_apply(vc);

	/* Once per device, not per change: the cause does not go away. */
	q = list_first_entry_or_null(&vc->txqs, struct virtnet_coal_txq, node);
	if (err && !s->reported && q) {
		s->reported = true;
		if (s->send)
			netdev_info(q->txq->dev,
				    "coalescing sync refused by the device (%d): guest-only TX kick coalescing within %u us\n",
				    err, budget);
		else
			netdev_info(q->txq->dev,
				    "no coalescing sync with the device: guest-only TX kick coalescing within budget_usecs\n");
	}
	mutex_unlock(&vc->lock);
}

/**
 * virtnet_coal_sync_set_rx - take ethtool's RX values as the proposal's
 * @vc: the device's kick coalescing state
 * @usecs: RX notification delay (ethtool rx-usecs)
 * @frames: RX frame bound (ethtool rx-frames); 0 keeps the current one
 *
 * For ethtool -C while the feature is negotiated: the next proposal asks
 * the device for these values, so that the command does not undo the
 * standard VIRTIO_NET_CTRL_NOTF_COAL_RX_SET ethtool sends.
 *
 * Return: 0, or -ERANGE if @usecs is above a non-zero budget (nothing
 * changes then).
 */
int virtnet_coal_sync_set_rx(struct virtnet_coal *vc, u32 usecs, u32 frames)
{
	struct virtnet_coal_sync *s = &vc->sync;
	int err = 0;

	mutex_lock(&vc->lock);
	if (s->send && s->budget_usecs && usecs > s->budget_usecs) {
		err = -ERANGE;
	} else if (s->send) {
		s->host_rx_usecs = usecs;
		if (frames)
			s->host_rx_frames = frames;
	}
	mutex_unlock(&vc->lock);

	return err;
}

/**
 * virtnet_coal_sync_get - read one of the synchronisation's values
 * @vc: the device's kick coalescing state
 * @knob: which
 *
 * Return: the value; for %VIRTNET_COAL_SYNC_TX_KICK_ALLOWED the answer's
 * while synchronised, the budget otherwise.
 */
u32 virtnet_coal_sync_get(struct virtnet_coal *vc,
			  enum virtnet_coal_sync_knob knob)
{
	struct virtnet_coal_sync *s = &vc->sync;
	u32 val = 0;

	mutex_lock(&vc->lock);
	switch (knob) {
	case VIRTNET_COAL_SYNC_BUDGET:
		val = s->budget_usecs;
		break;
	case VIRTNET_COAL_SYNC_HOST_RX_USECS:
		val = s->host_rx_usecs;
		break;
	case VIRTNET_COAL_SYNC_HOST_RX_FRAMES:
		val = s->host_rx_frames;
		break;
	case VIRTNET_COAL_SYNC_RX_USECS_APPLIED:
		val = s->rx_usecs_applied;
		break;
	case VIRTNET_COAL_SYNC_TX_KICK_ALLOWED:
		val = s->state == VIRTNET_COAL_SYNC_SYNCED ?
		      s->tx_kick_usecs_allowed : s->budget_usecs;
		break;
	}
	mutex_unlock(&vc->lock);

	return val;
}

/**
 * virtnet_coal_sync_set - change one knob of the proposal, then synchronise
 * @vc: the device's kick coalescing state
 * @knob: %VIRTNET_COAL_SYNC_BUDGET, %VIRTNET_COAL_SYNC_HOST_RX_USECS or
 *	%VIRTNET_COAL_SYNC_HOST_RX_FRAMES
 * @val: the new value
 *
 * The budget holds the host RX delay: each is checked against the other.
 * Called with rtnl held.  Sleeps.
 *
 * Return: 0, -ERANGE if @val is out of range (nothing changes then), or
 * -EINVAL if @knob cannot be set.
 */
int virtnet_coal_sync_set(struct virtnet_coal *vc,
			  enum virtnet_coal_sync_knob knob, u32 val)
{
	struct virtnet_coal_sync *s = &vc->sync;
	bool bad;

	mutex_lock(&vc->lock);
	switch (knob) {
	case VIRTNET_COAL_SYNC_BUDGET:
		bad = val > VIRTNET_COAL_MAX_USECS ||
		      (val && val < s->host_rx_usecs);
		if (!bad)
			s->budget_usecs = val;
		break;
	case VIRTNET_COAL_SYNC_HOST_RX_USECS:
		bad = val > VIRTNET_COAL_MAX_USECS || val > s->budget_usecs;
		if (!bad)
			s->host_rx_usecs = val;
		break;
	case VIRTNET_COAL_SYNC_HOST_RX_FRAMES:
		bad = !val || val > VIRTNET_COAL_MAX_FRAMES;
		if (!bad)
			s->host_rx_frames = val;
		break;
	default:
		mutex_unlock(&vc->lock);
		return -EINVAL;
	}
	if (!bad)
		virtnet_coal_apply(vc);
	mutex_unlock(&vc->lock);
	if (bad)
		return -ERANGE;

	virtnet_coal_sync(vc);
	return 0;
}

/**
 * virtnet_coal_sync_state_name - outcome of the last synchronisation
 * @vc: the device's kick coalescing state
 *
 * Return: "off" (feature absent), "synced" or "fallback" (the device
 * answered VIRTIO_NET_ERR).
 */
const char *virtnet_coal_sync_state_name(struct virtnet_coal *vc)
{
	enum virtnet_coal_sync_state state;

	mutex_lock(&vc->lock);
	state = vc->sync.state;
	mutex_unlock(&vc->lock);

	return virtnet_coal_sync_state_names[state];
}
