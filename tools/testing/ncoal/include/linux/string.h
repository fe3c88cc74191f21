/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for lib/ncoal_kunit.c. */
#ifndef _NCOAL_SHIM_STRING_H
#define _NCOAL_SHIM_STRING_H

#include <string.h>

#endif
