/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/dim.h>: module macros are in kernel.h. */
#ifndef _NCOAL_SHIM_MODULE_H
#define _NCOAL_SHIM_MODULE_H

#include <linux/kernel.h>

#endif
