/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: ARRAY_SIZE() for lib/ncoal.c. */
#ifndef _NCOAL_SHIM_ARRAY_SIZE_H
#define _NCOAL_SHIM_ARRAY_SIZE_H

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

#endif
