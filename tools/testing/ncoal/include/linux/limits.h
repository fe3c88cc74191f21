/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for lib/ncoal.c: U32_MAX, U64_MAX as in the kernel. */
#ifndef _NCOAL_SHIM_LIMITS_H
#define _NCOAL_SHIM_LIMITS_H

#include <linux/types.h>

#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)

#endif
