/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for lib/dim and lib/ncoal_dim.c: ktime_t on the test's
 * fake clock.  ktime_get() returns ncoal_shim_now, which the test sets to
 * the time it passes to the code under test.
 */
#ifndef _NCOAL_SHIM_KTIME_H
#define _NCOAL_SHIM_KTIME_H

#include <linux/types.h>
#include <linux/time64.h>

typedef s64 ktime_t;

extern u64 ncoal_shim_now;

static inline ktime_t ktime_get(void)
{
	return (ktime_t)ncoal_shim_now;
}

static inline ktime_t ns_to_ktime(u64 ns)
{
	return (ktime_t)ns;
}

static inline s64 ktime_us_delta(ktime_t later, ktime_t earlier)
{
	return (later - earlier) / NSEC_PER_USEC;
}

#endif
