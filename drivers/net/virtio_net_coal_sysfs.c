// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net TX kick coalescing: the knobs in sysfs,
 * /sys/class/net/<dev>/virtio_coalesce/.  See virtio_net_coal.h and
 * Documentation/networking/virtio_net_coalesce.rst.
 *
 * Writes are serialised with ethtool by rtnl, so that each one changes
 * one value of the parameters in effect and nothing else.
 */

#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/ncoal.h>
#include <linux/ncoal_dim.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "virtio_net_coal.h"
#include "virtio_net_coal_sync.h"

/*
 * The device's own group is the first of its sysfs_groups: that is
 * &virtnet_coal.sysfs_group, virtnet_coal_sysfs_group() returned it.
 */
static struct virtnet_coal *virtnet_coal_from_dev(struct device *d)
{
	return container_of(to_net_dev(d)->sysfs_groups[0],
			    struct virtnet_coal, sysfs_group);
}

/**
 * struct virtnet_coal_attr - a u32 knob of the virtio_coalesce group
 * @dattr: the sysfs attribute
 * @get: reads the value
 * @set: validates and applies a new value, with rtnl held; NULL for a
 *	read-only knob
 * @arg: which value, for @get and @set
 */
struct virtnet_coal_attr {
	struct device_attribute dattr;
	u32 (*get)(struct virtnet_coal *vc, unsigned int arg);
	int (*set)(struct virtnet_coal *vc, unsigned int arg, u32 val);
	unsigned int arg;
};

static ssize_t virtnet_coal_attr_show(struct device *d,
				      struct device_attribute *attr, char *buf)
{
	const struct virtnet_coal_attr *ca =
		container_of(attr, struct virtnet_coal_attr, dattr);

	return sysfs_emit(buf, "%u\n", ca->get(virtnet_coal_from_dev(d),
						ca->arg));
}

/*
 * Bad input (not a decimal u32: -EINVAL or -ERANGE) and values the knob's
 * setter rejects change nothing.
 */
static ssize_t virtnet_coal_attr_store(struct device *d,
				       struct device_attribute *attr,
				       const char *buf, size_t len)
{
	const struct virtnet_coal_attr *ca =
		container_of(attr, struct virtnet_coal_attr, dattr);
	u32 val;
	int err;

	err = kstrtou32(buf, 10, &val);
	if (err)
		return err;

	/* Unregistering holds rtnl while it removes these files. */
	if (!rtnl_trylock())
		return restart_syscall();
	err = ca->set(virtnet_coal_from_dev(d), ca->arg, val);
	rtnl_unlock();

	return err ? err : len;
}

/*
 * The kick coalescer's own parameters: @off is the field's offset in
 * &struct virtnet_coal_params.
 */
static u32 virtnet_coal_param_get(struct virtnet_coal *vc, unsigned int off)
{
	struct virtnet_coal_params p;

	virtnet_coal_get_params(vc, &p);
	return *(u32 *)((u8 *)&p + off);
}

static int virtnet_coal_param_set(struct virtnet_coal *vc, unsigned int off,
				  u32 val)
{
	struct virtnet_coal_params p;

	virtnet_coal_get_params(vc, &p);
	*(u32 *)((u8 *)&p + off) = val;
	return virtnet_coal_set_params(vc, &p);
}

/* The synchronisation's: @knob is an enum virtnet_coal_sync_knob. */
static u32 virtnet_coal_knob_get(struct virtnet_coal *vc, unsigned int knob)
{
	return virtnet_coal_sync_get(vc, knob);
}

static int virtnet_coal_knob_set(struct virtnet_coal *vc, unsigned int knob,
				 u32 val)
{
	return virtnet_coal_sync_set(vc, knob, val);
}

#define VIRTNET_COAL_ATTR(_name, _mode, _get, _set, _arg)		\
static struct virtnet_coal_attr virtnet_coal_attr_##_name = {		\
	.dattr = __ATTR(_name, _mode, virtnet_coal_attr_show,		\
			virtnet_coal_attr_store),			\
	.get = _get,							\
	.set = _set,							\
	.arg = _arg,							\
}

#define VIRTNET_COAL_PARAM(_name, _field)				\
	VIRTNET_COAL_ATTR(_name, 0644, virtnet_coal_param_get,		\
			  virtnet_coal_param_set,			\
			  offsetof(struct virtnet_coal_params, _field))

#define VIRTNET_COAL_KNOB(_name, _knob)					\
	VIRTNET_COAL_ATTR(_name, 0644, virtnet_coal_knob_get,		\
			  virtnet_coal_knob_set, _knob)

#define VIRTNET_COAL_KNOB_RO(_name, _knob)				\
	VIRTNET_COAL_ATTR(_name, 0444, virtnet_coal_knob_get, NULL, _knob)

VIRTNET_COAL_PARAM(rate_threshold, kick.rate_threshold);
VIRTNET_COAL_PARAM(rate_interval_ms, kick.rate_interval_ms);
VIRTNET_COAL_PARAM(tx_kick_usecs, kick.usecs);
VIRTNET_COAL_PARAM(tx_kick_frames, kick.max_frames);
/* 0 off, 1 fixed, 2 adaptive: enum ncoal_mode */
VIRTNET_COAL_PARAM(tx_kick_mode, mode);
VIRTNET_COAL_KNOB(budget_usecs, VIRTNET_COAL_SYNC_BUDGET);
VIRTNET_COAL_KNOB(host_rx_usecs, VIRTNET_COAL_SYNC_HOST_RX_USECS);
VIRTNET_COAL_KNOB(host_rx_frames, VIRTNET_COAL_SYNC_HOST_RX_FRAMES);
VIRTNET_COAL_KNOB_RO(host_rx_usecs_applied,
		     VIRTNET_COAL_SYNC_RX_USECS_APPLIED);
VIRTNET_COAL_KNOB_RO(tx_kick_usecs_allowed,
		     VIRTNET_COAL_SYNC_TX_KICK_ALLOWED);

/*
 * One word per send queue, in queue order: off, idle or active.  A page
 * holds those of about 580 queues; the list stops there.
 */
static ssize_t state_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct virtnet_coal *vc = virtnet_coal_from_dev(d);
	struct virtnet_coal_txq *q;
	enum ncoal_state state;
	int len = 0;

	mutex_lock(&vc->lock);
	list_for_each_entry(q, &vc->txqs, node) {
		if (len > PAGE_SIZE - 16)
			break;
		__netif_tx_lock_bh(q->txq);
		state = ncoal_state(&q->nc);
		__netif_tx_unlock_bh(q->txq);
		len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "",
				     ncoal_state_name(state));
	}
	mutex_unlock(&vc->lock);
	len += sysfs_emit_at(buf, len, "\n");

	return len;
}
static DEVICE_ATTR_RO(state);

/* off (feature absent or no budget), synced or fallback (refused). */
static ssize_t sync_state_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  virtnet_coal_sync_state_name(virtnet_coal_from_dev(d)));
}
static DEVICE_ATTR_RO(sync_state);

static struct attribute *virtnet_coal_attrs[] = {
	&virtnet_coal_attr_rate_threshold.dattr.attr,
	&virtnet_coal_attr_rate_interval_ms.dattr.attr,
	&virtnet_coal_attr_tx_kick_usecs.dattr.attr,
	&virtnet_coal_attr_tx_kick_frames.dattr.attr,
	&virtnet_coal_attr_tx_kick_mode.dattr.attr,
	&dev_attr_state.attr,
	/* The synchronisation's, see virtio_net_coal_sync.c */
	&virtnet_coal_attr_budget_usecs.dattr.attr,
	&virtnet_coal_attr_host_rx_usecs.dattr.attr,
	&virtnet_coal_attr_host_rx_frames.dattr.attr,
	&dev_attr_sync_state.attr,
	&virtnet_coal_attr_host_rx_usecs_applied.dattr.attr,
	&virtnet_coal_attr_tx_kick_usecs_allowed.dattr.attr,
	NULL
};

/**
 * virtnet_coal_sysfs_group - the device's virtio_coalesce sysfs group
 * @vc: the device's state
 *
 * Return: the group, for the first of the netdev's sysfs_groups, the
 * device-specific one: the attributes find @vc through it.
 */
const struct attribute_group *
virtnet_coal_sysfs_group(struct virtnet_coal *vc)
{
	vc->sysfs_group = (struct attribute_group) {
		.name = "virtio_coalesce",
		.attrs = virtnet_coal_attrs,
	};
	return &vc->sysfs_group;
}
