/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for lib/ncoal.c: EINVAL, ERANGE.  The uAPI's
 * <linux/errno.h> has them; <errno.h> would come back here through glibc.
 */
#ifndef _NCOAL_SHIM_ERRNO_H
#define _NCOAL_SHIM_ERRNO_H

#include_next <linux/errno.h>

#endif
