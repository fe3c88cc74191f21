/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/dim.h>: BIT() and friends. */
#ifndef _NCOAL_SHIM_BITS_H
#define _NCOAL_SHIM_BITS_H

#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define BITS_PER_TYPE(t)	(sizeof(t) * 8)

#endif
