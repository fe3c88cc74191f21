/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for lib/ncoal*.c: the 64-bit division helpers of the
 * kernel's <linux/math64.h>.  They abort where the kernel would fault:
 * division by zero, and a quotient of mul_u64_u64_div_u64() that does not
 * fit in 64 bits (#DE on x86-64, whose version is a mulq/divq pair).
 */
#ifndef _NCOAL_SHIM_MATH64_H
#define _NCOAL_SHIM_MATH64_H

#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>

static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	if (!divisor) {
		fprintf(stderr, "div64_u64: division by zero\n");
		abort();
	}
	return dividend / divisor;
}

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return div64_u64(dividend, divisor);
}

static inline u64 div64_u64_rem(u64 dividend, u64 divisor, u64 *remainder)
{
	*remainder = dividend - div64_u64(dividend, divisor) * divisor;
	return dividend / divisor;
}

static inline u64 mul_u64_u64_div_u64(u64 a, u64 mul, u64 div)
{
	unsigned __int128 q;

	if (!div) {
		fprintf(stderr, "mul_u64_u64_div_u64: division by zero\n");
		abort();
	}
	q = (unsigned __int128)a * mul / div;
	if (q >> 64) {
		fprintf(stderr, "mul_u64_u64_div_u64: quotient overflow\n");
		abort();
	}
	return (u64)q;
}

#endif
