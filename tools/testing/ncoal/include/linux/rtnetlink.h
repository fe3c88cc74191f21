/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for lib/dim/net_dim.c: what its per-device profile
 * functions (net_dim_init_irq_moder() and friends, unused by ncoal) need
 * to compile: struct net_device's irq_moder, RCU as plain pointers,
 * allocation with libc.
 */
#ifndef _NCOAL_SHIM_RTNETLINK_H
#define _NCOAL_SHIM_RTNETLINK_H

#include <stdlib.h>
#include <string.h>
#include <linux/errno.h>
#include <linux/dim.h>

struct net_device {
	struct dim_irq_moder *irq_moder;
};

#define GFP_KERNEL			0
#define rcu_read_lock()			do { } while (0)
#define rcu_read_unlock()		do { } while (0)
#define rcu_dereference(p)		(p)
#define rtnl_dereference(p)		(p)
#define rcu_assign_pointer(p, v)	((p) = (v))
#define kfree(p)			free(p)
#define kfree_rcu(p, field)		free(p)

static inline void *kzalloc(size_t size, int gfp)
{
	return calloc(1, size);
}

static inline void *kmemdup(const void *src, size_t len, int gfp)
{
	void *p = malloc(len);

	if (p)
		memcpy(p, src, len);
	return p;
}

#endif
