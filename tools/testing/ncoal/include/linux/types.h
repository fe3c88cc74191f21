/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for lib/ncoal.c: the kernel's fixed-width types. */
#ifndef _NCOAL_SHIM_TYPES_H
#define _NCOAL_SHIM_TYPES_H

#include <stdbool.h>
#include_next <linux/types.h>	/* __u32, __u64 as the uAPI uses them */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#endif
