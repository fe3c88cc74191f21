/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for lib/ncoal*.c: min(), max(), clamp() and their _t forms. */
#ifndef _NCOAL_SHIM_MINMAX_H
#define _NCOAL_SHIM_MINMAX_H

#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a > _b ? _a : _b; })
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define clamp_t(t, v, lo, hi) clamp((t)(v), (t)(lo), (t)(hi))

#endif
