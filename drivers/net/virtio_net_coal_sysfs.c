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
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "virtio_net_coal.h"

/*
 * The device's own group is the first of its sysfs_groups: that is
 * &virtnet_coal.sysfs_group, virtnet_coal_sysfs_group() returned it.
 */
static struct virtnet_coal *virtnet_coal_from_dev(struct device *d)
{
	return container_of(to_net_dev(d)->sysfs_groups[0],
			    struct virtnet_coal, sysfs_group);
}

static ssize_t virtnet_coal_show(struct device *d, char *buf, size_t off)
{
	struct ncoal_params p;

	virtnet_coal_get_params(virtnet_coal_from_dev(d), &p);
	return sysfs_emit(buf, "%u\n", *(u32 *)((u8 *)&p + off));
}

/*
 * Set the u32 at @off in the parameters.  Bad input (not a decimal u32:
 * -EINVAL or -ERANGE) and values virtnet_coal_set_params() rejects change
 * nothing.
 */
static ssize_t virtnet_coal_store(struct device *d, const char *buf,
				  size_t len, size_t off)
{
	struct virtnet_coal *vc = virtnet_coal_from_dev(d);
	struct ncoal_params p;
	u32 val;
	int err;

	err = kstrtou32(buf, 10, &val);
	if (err)
		return err;

	/* Unregistering holds rtnl while it removes these files. */
	if (!rtnl_trylock())
		return restart_syscall();
	virtnet_coal_get_params(vc, &p);
	*(u32 *)((u8 *)&p + off) = val;
	err = virtnet_coal_set_params(vc, &p);
	rtnl_unlock();

	return err ? err : len;
}

#define VIRTNET_COAL_ATTR(_name, _field)				\
static const size_t _name##_off = offsetof(struct ncoal_params, _field);\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return virtnet_coal_show(d, buf, _name##_off);			\
}									\
static ssize_t _name##_store(struct device *d,				\
			     struct device_attribute *attr,		\
			     const char *buf, size_t len)		\
{									\
	return virtnet_coal_store(d, buf, len, _name##_off);		\
}									\
static DEVICE_ATTR_RW(_name)

VIRTNET_COAL_ATTR(rate_threshold, rate_threshold);
VIRTNET_COAL_ATTR(rate_interval_ms, rate_interval_ms);
VIRTNET_COAL_ATTR(tx_kick_usecs, usecs);
VIRTNET_COAL_ATTR(tx_kick_frames, max_frames);

static const char * const virtnet_coal_state_names[] = {
	[NCOAL_STATE_OFF] = "off",
	[NCOAL_STATE_IDLE] = "idle",
	[NCOAL_STATE_ACTIVE] = "active",
};

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
				     virtnet_coal_state_names[state]);
	}
	mutex_unlock(&vc->lock);
	len += sysfs_emit_at(buf, len, "\n");

	return len;
}
static DEVICE_ATTR_RO(state);

static struct attribute *virtnet_coal_attrs[] = {
	&dev_attr_rate_threshold.attr,
	&dev_attr_rate_interval_ms.attr,
	&dev_attr_tx_kick_usecs.attr,
	&dev_attr_tx_kick_frames.attr,
	&dev_attr_state.attr,
	/* The synchronisation's, in virtio_net_coal_sync.c */
	&dev_attr_budget_usecs.attr,
	&dev_attr_host_rx_usecs.attr,
	&dev_attr_host_rx_frames.attr,
	&dev_attr_sync_state.attr,
	&dev_attr_host_rx_usecs_applied.attr,
	&dev_attr_tx_kick_usecs_allowed.attr,
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
