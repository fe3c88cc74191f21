// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net TX kick coalescing: ethtool glue.  See virtio_net_coal.h.
 */

#include <linux/ethtool.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>
#include <linux/netdevice.h>

#include "virtio_net_coal.h"

/* ethtool -S names, txN_<name>, in the order of ..._get_stats(). */
static const char * const virtnet_coal_txq_stat_names[] = {
	"kick_due",
	"kick_deferred",
	"kick_timer",
	"kick_frames",
	"kick_forced",
	"kick_gate_on",
	"kick_gate_off",
	"kick_rate",
	"kick_profile",
	"kick_profile_moves",
};

static_assert(ARRAY_SIZE(virtnet_coal_txq_stat_names) ==
	      VIRTNET_COAL_TXQ_STATS);

/**
 * virtnet_coal_txq_get_strings - ethtool -S names of a queue's counters
 * @index: queue number
 * @data: where to write the VIRTNET_COAL_TXQ_STATS names; advanced past
 *	them
 */
void virtnet_coal_txq_get_strings(u32 index, u8 **data)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(virtnet_coal_txq_stat_names); i++)
		ethtool_sprintf(data, "tx%u_%s", index,
				virtnet_coal_txq_stat_names[i]);
}

/**
 * virtnet_coal_txq_get_stats - ethtool -S values of a queue's counters
 * @q: the queue's state
 * @data: where to write VIRTNET_COAL_TXQ_STATS values
 *
 * kick_due counts the kicks the driver would have sent without
 * coalescing (before the device's own notification suppression);
 * kick_deferred those it held, of which kick_timer were sent by the
 * timer and kick_frames on reaching tx_kick_frames; kick_forced counts
 * kicks sent at once, while active, because the queue stopped or netpoll
 * transmitted.
 * kick_gate_on/off count rate gate transitions; kick_rate is the rate
 * measured last, in packets per second.  Frames are buffers added to
 * the ring: a GSO packet counts once.  kick_profile is the hold in
 * effect as a DIM profile: in adaptive mode the one DIM picked, 0
 * (nothing held) to 4 (the bounds); 4 in fixed mode, 0 in mode off.
 * kick_profile_moves counts DIM's moves since the queue was set up.
 *
 * Return: @data advanced past the values.
 */
u64 *virtnet_coal_txq_get_stats(struct virtnet_coal_txq *q, u64 *data)
{
	const struct ncoal_stats *st = ncoal_read_stats(&q->nc);
	u64 profile;

	__netif_tx_lock_bh(q->txq);
	if (ncoal_state(&q->nc) == NCOAL_STATE_OFF)
		profile = 0;
	else if (ncoal_dim_mode(&q->dim) == NCOAL_MODE_ADAPTIVE)
		profile = ncoal_dim_profile_ix(&q->dim);
	else
		profile = NET_DIM_PARAMS_NUM_PROFILES - 1;
	*data++ = st->due;
	*data++ = st->deferred - q->forced;
	*data++ = st->timer_fires;
	*data++ = st->frame_flushes;
	*data++ = q->forced;
	*data++ = st->activations;
	*data++ = st->deactivations;
	*data++ = ncoal_rate(&q->nc);
	*data++ = profile;
	*data++ = ncoal_dim_moves(&q->dim);
	__netif_tx_unlock_bh(q->txq);

	return data;
}

/*
 * ethtool -C: pkt-rate-low is rate_threshold, sample-interval is
 * rate_interval_ms in seconds, tx-aggr-max-frames is tx_kick_frames,
 * tx-aggr-time-usecs is tx_kick_usecs and adaptive-tx is tx_kick_mode
 * 2 (adaptive): on selects it, off leaves it for the fixed mode and
 * leaves modes 0 and 1 as they are.  The values are the ones sysfs shows;
 * there is no second copy.
 */

#define VIRTNET_COAL_MAX_INTERVAL_SECS	(VIRTNET_COAL_MAX_INTERVAL_MS / 1000U)

/* rate_interval_ms as ethtool's sample-interval: seconds, rounded up. */
static u32 virtnet_coal_interval_secs(u32 ms)
{
	return DIV_ROUND_UP(ms, 1000U);
}

/**
 * virtnet_coal_ethtool_get - report kick coalescing to ethtool -c
 * @vc: the device's state
 * @ec: filled in: pkt_rate_low, rate_sample_interval,
 *	use_adaptive_tx_coalesce
 * @kec: filled in: tx_aggr_max_frames, tx_aggr_time_usecs
 *
 * A sampling interval that is not a whole number of seconds reads as the
 * next whole second.
 */
void virtnet_coal_ethtool_get(struct virtnet_coal *vc,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec)
{
	struct virtnet_coal_params p;

	virtnet_coal_get_params(vc, &p);
	ec->pkt_rate_low = p.kick.rate_threshold;
	ec->rate_sample_interval =
		virtnet_coal_interval_secs(p.kick.rate_interval_ms);
	ec->use_adaptive_tx_coalesce = p.mode == NCOAL_MODE_ADAPTIVE;
	kec->tx_aggr_max_frames = p.kick.max_frames;
	kec->tx_aggr_time_usecs = p.kick.usecs;
}

/* Say which value virtnet_coal_validate() rejected. */
static void virtnet_coal_ethtool_explain(const struct ncoal_params *p,
					 struct netlink_ext_ack *extack)
{
	/* The mode comes from a boolean: always valid. */
	if (p->usecs > VIRTNET_COAL_MAX_USECS)
		NL_SET_ERR_MSG_FMT_MOD(extack, "tx-aggr-time-usecs above %u",
				       VIRTNET_COAL_MAX_USECS);
	else if (!p->max_frames || p->max_frames > VIRTNET_COAL_MAX_FRAMES)
		NL_SET_ERR_MSG_FMT_MOD(extack, "tx-aggr-max-frames not in 1..%u",
				       VIRTNET_COAL_MAX_FRAMES);
	else if (p->rate_threshold > VIRTNET_COAL_MAX_RATE_THRESHOLD)
		NL_SET_ERR_MSG_FMT_MOD(extack, "pkt-rate-low above %u",
				       VIRTNET_COAL_MAX_RATE_THRESHOLD);
	else
		NL_SET_ERR_MSG_FMT_MOD(extack, "sample-interval not in 1..%u",
				       VIRTNET_COAL_MAX_INTERVAL_SECS);
}

/**
 * virtnet_coal_ethtool_in_queue - a per-queue request sets kick coalescing
 * @ec: the request (ethtool -Q ... --coalesce), completed by ethtool from
 *	the per-queue values, which have no kick coalescing parameters
 *
 * Kick coalescing is per device: the caller rejects such a request
 * (EOPNOTSUPP) rather than ignore these values.
 *
 * Return: true if @ec sets pkt-rate-low, sample-interval or adaptive-tx.
 */
bool virtnet_coal_ethtool_in_queue(const struct ethtool_coalesce *ec)
{
	return ec->pkt_rate_low || ec->rate_sample_interval ||
	       ec->use_adaptive_tx_coalesce;
}

/**
 * virtnet_coal_ethtool_check - kick coalescing parameters of an ethtool -C
 * @vc: the device's state
 * @ec: the request, as completed by ethtool from virtnet_coal_ethtool_get()
 * @kec: the request's kernel part
 * @cp: filled in with the parameters to pass to virtnet_coal_set_params()
 * @extack: for an error message
 *
 * Changes nothing, so that the caller can check the rest of the request
 * before it applies anything.  A sample-interval equal to what
 * virtnet_coal_ethtool_get() reports keeps rate_interval_ms as it is,
 * sub-second part included; another is taken as whole seconds.
 *
 * Return: 0, -ERANGE if a value does not fit, or the error of
 * virtnet_coal_validate().
 */
int virtnet_coal_ethtool_check(struct virtnet_coal *vc,
			       const struct ethtool_coalesce *ec,
			       const struct kernel_ethtool_coalesce *kec,
			       struct virtnet_coal_params *cp,
			       struct netlink_ext_ack *extack)
{
	u32 secs = ec->rate_sample_interval;
	struct ncoal_params *p = &cp->kick;
	int err;

	virtnet_coal_get_params(vc, cp);
	if (secs != virtnet_coal_interval_secs(p->rate_interval_ms)) {
		if (secs > VIRTNET_COAL_MAX_INTERVAL_SECS) {
			NL_SET_ERR_MSG_FMT_MOD(extack,
					       "sample-interval not in 1..%u",
					       VIRTNET_COAL_MAX_INTERVAL_SECS);
			return -ERANGE;
		}
		p->rate_interval_ms = secs * 1000;
	}
	p->rate_threshold = ec->pkt_rate_low;
	p->max_frames = kec->tx_aggr_max_frames;
	p->usecs = kec->tx_aggr_time_usecs;
	if (ec->use_adaptive_tx_coalesce)
		cp->mode = NCOAL_MODE_ADAPTIVE;
	else if (cp->mode == NCOAL_MODE_ADAPTIVE)
		cp->mode = NCOAL_MODE_FIXED;

	err = virtnet_coal_validate(cp);
	if (err)
		virtnet_coal_ethtool_explain(p, extack);
	return err;
}
