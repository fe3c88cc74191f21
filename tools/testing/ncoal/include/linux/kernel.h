/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for lib/dim (dim.c, net_dim.c, <linux/dim.h>) and
 * lib/ncoal_dim.c: the few kernel.h, compiler and module helpers they
 * use.
 */
#ifndef _NCOAL_SHIM_KERNEL_H
#define _NCOAL_SHIM_KERNEL_H

#include <stdlib.h>
#include <linux/types.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/ktime.h>

#define __rcu
#define fallthrough		__attribute__((__fallthrough__))
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define DIV_ROUND_DOWN_ULL(ll, d) ((unsigned long long)(ll) / (d))
#define container_of(p, type, member) \
	((type *)((char *)(p) - __builtin_offsetof(type, member)))

/* File-scope macros that must expand to a declaration. */
#define EXPORT_SYMBOL(sym)	extern int ncoal_shim_decl
#define MODULE_DESCRIPTION(s)	extern int ncoal_shim_decl
#define MODULE_LICENSE(s)	extern int ncoal_shim_decl

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

#endif
