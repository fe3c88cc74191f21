/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for lib/ncoal.c: the kernel's NSEC_PER_* (vdso/time64.h). */
#ifndef _NCOAL_SHIM_TIME64_H
#define _NCOAL_SHIM_TIME64_H

#define MSEC_PER_SEC	1000L
#define USEC_PER_MSEC	1000L
#define NSEC_PER_USEC	1000L
#define NSEC_PER_MSEC	1000000L
#define USEC_PER_SEC	1000000L
#define NSEC_PER_SEC	1000000000L

#endif
