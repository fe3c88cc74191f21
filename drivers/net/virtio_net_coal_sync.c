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
#include <linux/ncoal_dim.h>
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
 * No budget, so nothing is sent until one is set; the RX values are the
 * standard commands' defaults (0 us, 0 frames).  virtnet_coal_init()
 * calls it with @send NULL; the driver calls it again once the features
 * are known.
 */
void virtnet_coal_sync_init(struct virtnet_coal *vc,
			    virtnet_coal_sync_send_t *send)
{
	vc->sync = (struct virtnet_coal_sync) {
		.send = send,
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
 * Otherwise the kick delay is at most a budget that is set.
 */
void virtnet_coal_sync_limit(struct virtnet_coal *vc, struct ncoal_params *p)
{
	struct virtnet_coal_params gate = { .mode = vc->mode };
	struct virtnet_coal_sync *s = &vc->sync;

	lockdep_assert_held(&vc->lock);

	if (s->state != VIRTNET_COAL_SYNC_SYNCED) {
		if (s->budget_usecs)
			p->usecs = min(p->usecs, s->budget_usecs);
		return;
	}

	p->usecs = min(p->usecs, s->tx_kick_usecs_allowed);
	gate.kick = *p;
	gate.kick.rate_threshold = s->rate_threshold;
	gate.kick.rate_interval_ms = s->rate_interval_ms;
	if (!virtnet_coal_validate(&gate))
		*p = gate.kick;
}

/*
 * Fill @prop from the budget, the RX values and the kick parameters; in
 * mode off the driver holds no kick.
 */
static void virtnet_coal_sync_proposal(struct virtnet_coal *vc,
				       struct virtio_net_ctrl_coal_sync *prop,
				       u32 rx_usecs, u32 rx_frames)
{
	*prop = (struct virtio_net_ctrl_coal_sync) {
		.budget_usecs = cpu_to_le32(vc->sync.budget_usecs),
		.rx_usecs = cpu_to_le32(rx_usecs),
		.rx_max_packets = cpu_to_le32(rx_frames),
		.tx_kick_usecs = cpu_to_le32(vc->mode == NCOAL_MODE_OFF ? 0 :
					     vc->params.usecs),
		.tx_kick_packets = cpu_to_le32(vc->params.max_frames),
		.rate_threshold = cpu_to_le32(vc->params.rate_threshold),
		.rate_interval_ms = cpu_to_le32(vc->params.rate_interval_ms),
	};
}

/* Once per device, not per change: the cause does not go away. */
static void virtnet_coal_sync_report(struct virtnet_coal *vc, int err)
{
	struct virtnet_coal_sync *s = &vc->sync;
	struct virtnet_coal_txq *q;

	q = list_first_entry_or_null(&vc->txqs, struct virtnet_coal_txq, node);
	if (s->reported || !q)
		return;
	s->reported = true;
	if (s->send)
		netdev_info(q->txq->dev,
			    "coalescing sync refused by the device (%d): guest-only TX kick coalescing within %u us\n",
			    err, s->budget_usecs);
	else
		netdev_info(q->txq->dev,
			    "no coalescing sync with the device: guest-only TX kick coalescing within budget_usecs\n");
}

/*
 * Propose @rx_usecs/@rx_frames for the device's RX queues, with &vc->lock
 * held.  A refused proposal of new RX values (@rx_write) changes nothing
 * and returns the error; any other refusal falls back to guest-only kick
 * coalescing within the budget.
 */
static int virtnet_coal_sync_locked(struct virtnet_coal *vc, u32 rx_usecs,
				    u32 rx_frames, bool rx_write)
{
	struct virtio_net_ctrl_coal_sync prop, ans;
	struct virtnet_coal_sync *s = &vc->sync;
	u32 budget = s->budget_usecs;
	int err = 0;

	if (s->send && budget) {
		virtnet_coal_sync_proposal(vc, &prop, rx_usecs, rx_frames);
		err = s->send(vc, &prop, &ans);
		if (err && rx_write)
			return err;
	}
	if (!s->send || !budget) {
		s->state = VIRTNET_COAL_SYNC_OFF;
		if (budget)
			virtnet_coal_sync_report(vc, -EOPNOTSUPP);
		s->rx_usecs_applied = 0;
		s->tx_kick_usecs_allowed = budget;
	} else if (!err) {
		s->state = VIRTNET_COAL_SYNC_SYNCED;
		s->host_rx_usecs = le32_to_cpu(ans.rx_usecs);
		s->host_rx_frames = le32_to_cpu(ans.rx_max_packets);
		s->rx_usecs_applied = s->host_rx_usecs;
		/* Trust the device no further than the budget allows. */
		s->tx_kick_usecs_allowed =
			min(le32_to_cpu(ans.tx_kick_usecs),
			    budget - min(budget, s->rx_usecs_applied));
		s->rate_threshold = le32_to_cpu(ans.rate_threshold);
		s->rate_interval_ms = le32_to_cpu(ans.rate_interval_ms);
	} else {
		s->state = VIRTNET_COAL_SYNC_FALLBACK;
		s->rx_usecs_applied = 0;
		s->tx_kick_usecs_allowed = budget;
		virtnet_coal_sync_report(vc, err);
	}
	virtnet_coal_apply(vc);

	return 0;
}

/**
 * virtnet_coal_sync - synchronise the coalescing settings with the device
 * @vc: the device's kick coalescing state
 *
 * With a budget set and the feature negotiated, sends the proposal (the
 * RX values ethtool -c shows) and applies the answer; on VIRTIO_NET_ERR
 * or a failed command falls back to guest-only coalescing within the
 * budget.  Without a budget nothing is sent.  Called after every change
 * of the settings and after a restore, with rtnl held.  Sleeps.
 */
void virtnet_coal_sync(struct virtnet_coal *vc)
{
	struct virtnet_coal_sync *s = &vc->sync;

	mutex_lock(&vc->lock);
	virtnet_coal_sync_locked(vc, s->host_rx_usecs, s->host_rx_frames,
				 false);
	mutex_unlock(&vc->lock);
}

/* Whether the sync command can carry @usecs/@frames; with vc->lock held. */
static int virtnet_coal_sync_rx_ok(struct virtnet_coal_sync *s, u32 usecs,
				   u32 frames)
{
	if (!s->send || !s->budget_usecs)
		return 0;
	if (usecs > s->budget_usecs || frames > VIRTNET_COAL_MAX_FRAMES)
		return -ERANGE;
	/* The command has no "off" spelled 0 frames: rx_usecs 0 is off. */
	if (usecs && !frames)
		return -EINVAL;
	return 0;
}

/**
 * virtnet_coal_sync_check_rx - whether ethtool -C may set these RX values
 * @vc: the device's kick coalescing state
 * @usecs: RX notification delay (ethtool rx-usecs)
 * @frames: RX frame bound (ethtool rx-frames)
 *
 * While a budget is synchronised, the RX values must fit the budget and
 * the command.  Changes nothing.
 *
 * Return: 0, -ERANGE if @usecs is above the budget or @frames above
 * %VIRTNET_COAL_MAX_FRAMES, -EINVAL for a delay without a frame bound.
 */
int virtnet_coal_sync_check_rx(struct virtnet_coal *vc, u32 usecs, u32 frames)
{
	int err;

	mutex_lock(&vc->lock);
	err = virtnet_coal_sync_rx_ok(&vc->sync, usecs, frames);
	mutex_unlock(&vc->lock);

	return err;
}

/**
 * virtnet_coal_sync_set_rx - the RX values the standard commands set
 * @vc: the device's kick coalescing state
 * @usecs: RX notification delay the device was given (RX_SET)
 * @frames: RX frame bound the device was given
 *
 * For ethtool -C, once VIRTIO_NET_CTRL_NOTF_COAL_RX_SET succeeded: the
 * next proposal carries them, so that it does not undo the command.
 */
void virtnet_coal_sync_set_rx(struct virtnet_coal *vc, u32 usecs, u32 frames)
{
	mutex_lock(&vc->lock);
	vc->sync.host_rx_usecs = usecs;
	vc->sync.host_rx_frames = frames;
	mutex_unlock(&vc->lock);
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
 * The budget holds the RX delay: each is checked against the other.  The
 * RX values are the device's, as ethtool -C sets them; they change only
 * when the device accepts them, and only while a budget is synchronised.
 * Called with rtnl held.  Sleeps.
 *
 * Return: 0; -ERANGE or -EINVAL if @val is out of range, -EOPNOTSUPP for
 * an RX value without a budget or the feature, the error of the command
 * if the device refused new RX values (nothing changes then).
 */
int virtnet_coal_sync_set(struct virtnet_coal *vc,
			  enum virtnet_coal_sync_knob knob, u32 val)
{
	struct virtnet_coal_sync *s = &vc->sync;
	u32 usecs, frames;
	int err;

	mutex_lock(&vc->lock);
	usecs = s->host_rx_usecs;
	frames = s->host_rx_frames;
	switch (knob) {
	case VIRTNET_COAL_SYNC_BUDGET:
		if (val > VIRTNET_COAL_MAX_USECS ||
		    (val && val < s->host_rx_usecs)) {
			err = -ERANGE;
			break;
		}
		if (val && s->host_rx_usecs && !s->host_rx_frames) {
			err = -EINVAL;
			break;
		}
		s->budget_usecs = val;
		err = virtnet_coal_sync_locked(vc, usecs, frames, false);
		break;
	case VIRTNET_COAL_SYNC_HOST_RX_USECS:
	case VIRTNET_COAL_SYNC_HOST_RX_FRAMES:
		if (knob == VIRTNET_COAL_SYNC_HOST_RX_USECS)
			usecs = val;
		else
			frames = val;
		err = -EOPNOTSUPP;
		if (s->send && s->budget_usecs)
			err = virtnet_coal_sync_rx_ok(s, usecs, frames);
		if (!err)
			err = virtnet_coal_sync_locked(vc, usecs, frames, true);
		break;
	default:
		err = -EINVAL;
		break;
	}
	mutex_unlock(&vc->lock);

	return err;
}

/**
 * virtnet_coal_sync_state_name - outcome of the last synchronisation
 * @vc: the device's kick coalescing state
 *
 * Return: "off" (feature absent or no budget), "synced" or "fallback"
 * (the device refused the last command).
 */
const char *virtnet_coal_sync_state_name(struct virtnet_coal *vc)
{
	enum virtnet_coal_sync_state state;

	mutex_lock(&vc->lock);
	state = vc->sync.state;
	mutex_unlock(&vc->lock);

	return virtnet_coal_sync_state_names[state];
}
