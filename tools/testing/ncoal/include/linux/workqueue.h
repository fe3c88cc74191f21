/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for lib/dim and lib/ncoal_dim.c: work items that are
 * only counted.  The test runs a scheduled work's function itself if it
 * wants to (the kernel's would run later, in process context).
 */
#ifndef _NCOAL_SHIM_WORKQUEUE_H
#define _NCOAL_SHIM_WORKQUEUE_H

#include <stdbool.h>

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	bool pending;
};

extern unsigned long ncoal_shim_works_scheduled;

#define INIT_WORK(w, f) do {			\
	(w)->func = (f);			\
	(w)->pending = false;			\
} while (0)

static inline bool schedule_work(struct work_struct *work)
{
	if (!work->func)
		abort();	/* the kernel would oops: never initialised */
	ncoal_shim_works_scheduled++;
	if (work->pending)
		return false;
	work->pending = true;
	return true;
}

static inline bool cancel_work_sync(struct work_struct *work)
{
	bool was = work->pending;

	work->pending = false;
	return was;
}

#endif
