// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_coal_ioctl_test: kselftest-style (TAP 13) test of the vhost-net
 * notification coalescing uAPI (include/uapi/linux/vhost_net_coalesce.h)
 * against /dev/vhost-net.
 *
 * Every check is one TAP line.  A check of a rejected request asserts the
 * exact errno and that afterwards VHOST_NET_GET_VRING_COALESCE and
 * VHOST_NET_GET_VRING_COALESCE_STATS of both rings show nothing changed
 * (both rings carry an explicit, non-default setting beforehand, so a
 * partial apply or a reset would show).
 *
 * Some checks write the module parameters in
 * /sys/module/vhost_net/parameters/; every parameter is restored to the
 * value it had when the test started, also on early exit.
 *
 * Exit status: 0 all passed, 1 a check failed, 4 skipped (no
 * /dev/vhost-net, or a vhost_net without VHOST_BACKEND_F_NET_COALESCE).
 *
 * Needs root.  Build: make -C tools/vhost_net_drv
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vhost.h>

#include "coal_test.h"	/* paths, limits, diag, errname, parameters */

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define NRINGS		2	/* VHOST_NET_VQ_RX, VHOST_NET_VQ_TX */
#define RING_RX		0
#define RING_TX		1

/* ------------------------------------------------------------------ */
/* Diagnostics                                                          */

static char skip_why[256];

static int __attribute__((format(printf, 1, 2))) skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_why, sizeof(skip_why), fmt, ap);
	va_end(ap);
	return KSFT_SKIP;
}

static const char *state_name(uint32_t s)
{
	switch (s) {
	case VHOST_VRING_COALESCE_STATE_OFF: return "OFF";
	case VHOST_VRING_COALESCE_STATE_IDLE: return "IDLE";
	case VHOST_VRING_COALESCE_STATE_ACTIVE: return "ACTIVE";
	default: return "?";
	}
}

static void show_coal(const char *what, const struct vhost_vring_coalesce *c)
{
	diag("%s: index %u flags %#x usecs %u max_frames %u rate_threshold %u rate_interval_ms %u reserved %#x %#x",
	     what, c->index, c->flags, c->usecs, c->max_frames,
	     c->rate_threshold, c->rate_interval_ms, c->reserved[0],
	     c->reserved[1]);
}

static void show_stats(const char *what,
		       const struct vhost_vring_coalesce_stats *s)
{
	diag("%s: index %u state %u (%s) rate %u reserved %u packets %llu due %llu sent %llu deferred %llu timer_fires %llu frame_flushes %llu activations %llu deactivations %llu flushes %llu mode %u profile %u profile_moves %llu",
	     what, s->index, s->state, state_name(s->state), s->rate,
	     s->reserved, (unsigned long long)s->packets,
	     (unsigned long long)s->signals_due,
	     (unsigned long long)s->signals_sent,
	     (unsigned long long)s->signals_deferred,
	     (unsigned long long)s->timer_fires,
	     (unsigned long long)s->frame_flushes,
	     (unsigned long long)s->activations,
	     (unsigned long long)s->deactivations,
	     (unsigned long long)s->flushes, s->mode, s->profile,
	     (unsigned long long)s->profile_moves);
}

/* ------------------------------------------------------------------ */
/* Module parameters                                                    */

enum {
	P_RX_USECS, P_RX_FRAMES, P_TX_USECS, P_TX_FRAMES, P_THRESHOLD,
	P_INTERVAL, P_MAX_USECS, P_MIN_USECS, P_MAX_FRAMES, P_NUM
};

static const char *const param_names[P_NUM] = {
	[P_RX_USECS] = "rx_coalesce_usecs",
	[P_RX_FRAMES] = "rx_max_coalesced_frames",
	[P_TX_USECS] = "tx_coalesce_usecs",
	[P_TX_FRAMES] = "tx_max_coalesced_frames",
	[P_THRESHOLD] = "coalesce_rate_threshold",
	[P_INTERVAL] = "coalesce_rate_interval_ms",
	[P_MAX_USECS] = "coalesce_max_usecs",
	[P_MIN_USECS] = "coalesce_min_usecs",
	[P_MAX_FRAMES] = "coalesce_max_frames",
};

static unsigned int saved_params[P_NUM];
static bool params_saved;
static bool params_writable;
static bool params_bad;		/* a read failed: the values are unknown */

static int param_read(int i, unsigned int *v)
{
	return coal_param_read(param_names[i], v);
}

/* The current value of a parameter (0 and params_bad set on failure). */
static unsigned int pv(int i)
{
	unsigned int v;
	int e = param_read(i, &v);

	if (e) {
		diag("cannot read %s/%s: %s", PARAM_DIR, param_names[i],
		     strerror(e));
		params_bad = true;
		return 0;
	}
	return v;
}

/* Write a parameter; returns 0 or the errno of the write. */
static int param_write(int i, unsigned int v)
{
	return coal_param_write(param_names[i], v);
}

/* Write a parameter and report failure as a diagnostic. */
static bool pset(int i, unsigned int v)
{
	int e = param_write(i, v);

	if (e)
		diag("writing %u to %s: %s", v, param_names[i], strerror(e));
	return !e;
}

/*
 * Put every parameter back to its saved value.  The setters check the
 * parameters against each other, so an order that works may not exist
 * in one pass: retry until nothing is left or nothing moves.
 */
static bool params_restore(void)
{
	bool done[P_NUM] = { false };
	int pass, i, left = P_NUM;

	if (!params_saved)
		return true;
	for (pass = 0; pass < P_NUM && left; pass++) {
		int before = left;

		for (i = 0; i < P_NUM; i++) {
			unsigned int cur;

			if (done[i])
				continue;
			if (!param_read(i, &cur) && cur == saved_params[i]) {
				done[i] = true;
				left--;
				continue;
			}
			if (!param_write(i, saved_params[i])) {
				done[i] = true;
				left--;
			}
		}
		if (left == before)
			break;
	}
	for (i = 0; i < P_NUM; i++)
		if (!done[i])
			diag("could not restore %s to %u", param_names[i],
			     saved_params[i]);
	return !left;
}

static void params_restore_atexit(void)
{
	params_restore();
}

static void on_signal(int sig)
{
	params_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void params_save(void)
{
	int i;

	for (i = 0; i < P_NUM; i++)
		if (param_read(i, &saved_params[i]))
			return;
	params_saved = true;
	/* Writable: rewriting a value with itself is accepted. */
	params_writable = !param_write(P_THRESHOLD, saved_params[P_THRESHOLD]);
	atexit(params_restore_atexit);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

/* ------------------------------------------------------------------ */
/* Device helpers                                                       */

static int dev_open(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		diag("open(%s): %s", DEV_PATH, strerror(errno));
	return fd;
}

static int dev_open_owned(void)
{
	int fd = dev_open();

	if (fd < 0)
		return -1;
	if (ioctl(fd, VHOST_SET_OWNER, NULL)) {
		diag("VHOST_SET_OWNER: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The ioctls; each returns 0 or the errno. */
static int coal_set(int fd, const struct vhost_vring_coalesce *c)
{
	struct vhost_vring_coalesce tmp = *c;

	return ioctl(fd, VHOST_NET_SET_VRING_COALESCE, &tmp) ? errno : 0;
}

static int coal_get(int fd, uint32_t idx, struct vhost_vring_coalesce *c)
{
	memset(c, 0, sizeof(*c));
	c->index = idx;
	return ioctl(fd, VHOST_NET_GET_VRING_COALESCE, c) ? errno : 0;
}

static int coal_stats(int fd, uint32_t idx,
		      struct vhost_vring_coalesce_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->index = idx;
	return ioctl(fd, VHOST_NET_GET_VRING_COALESCE_STATS, s) ? errno : 0;
}

static struct vhost_vring_coalesce mk(uint32_t idx, uint32_t flags,
				      uint32_t usecs, uint32_t frames,
				      uint32_t thr, uint32_t ivl)
{
	struct vhost_vring_coalesce c = {
		.index = idx, .flags = flags, .usecs = usecs,
		.max_frames = frames, .rate_threshold = thr,
		.rate_interval_ms = ivl,
	};

	return c;
}

static unsigned int clampu(unsigned int v, unsigned int lo, unsigned int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * A valid explicit setting for ring @idx that differs from the defaults
 * and between the rings, within the current caps.
 */
static struct vhost_vring_coalesce good(uint32_t idx)
{
	unsigned int min = pv(P_MIN_USECS), max = pv(P_MAX_USECS);
	unsigned int cap = pv(P_MAX_FRAMES);

	return mk(idx, 0, clampu(300 + 10 * idx, min, max),
		  clampu(32 + idx, 1, cap), 5000 + idx, 500 + idx);
}

/* What the kernel reports for @c after the caps are applied. */
static void clamp_like_kernel(struct vhost_vring_coalesce *c)
{
	unsigned int min = pv(P_MIN_USECS), max = pv(P_MAX_USECS);
	unsigned int cap = pv(P_MAX_FRAMES);

	if (c->usecs)
		c->usecs = clampu(c->usecs, min, max);
	if (c->max_frames > cap)
		c->max_frames = cap;
}

/* GET of a ring that follows the module parameters. */
static struct vhost_vring_coalesce expect_default(uint32_t idx)
{
	bool rx = idx == RING_RX;
	struct vhost_vring_coalesce c = mk(idx, F_DEFAULT,
		pv(rx ? P_RX_USECS : P_TX_USECS),
		pv(rx ? P_RX_FRAMES : P_TX_FRAMES),
		pv(P_THRESHOLD), pv(P_INTERVAL));

	clamp_like_kernel(&c);
	return c;
}

/* GET of a ring with explicit setting @set. */
static struct vhost_vring_coalesce expect_explicit(
	const struct vhost_vring_coalesce *set)
{
	struct vhost_vring_coalesce c = *set;

	c.flags = 0;
	c.reserved[0] = c.reserved[1] = 0;
	clamp_like_kernel(&c);
	return c;
}

/* State of a ring whose rate was never sampled (rate 0). */
static uint32_t expect_state_unsampled(const struct vhost_vring_coalesce *eff)
{
	if (!eff->usecs || eff->max_frames <= 1)
		return VHOST_VRING_COALESCE_STATE_OFF;
	return eff->rate_threshold ? VHOST_VRING_COALESCE_STATE_IDLE :
				     VHOST_VRING_COALESCE_STATE_ACTIVE;
}

static bool coal_eq(const struct vhost_vring_coalesce *got,
		    const struct vhost_vring_coalesce *want, const char *what)
{
	if (!memcmp(got, want, sizeof(*got)))
		return true;
	diag("%s: GET differs", what);
	show_coal("  got ", got);
	show_coal("  want", want);
	return false;
}

/* GET ring @idx and compare it with @want. */
static bool get_is(int fd, uint32_t idx,
		   const struct vhost_vring_coalesce *want, const char *what)
{
	struct vhost_vring_coalesce got;
	int e = coal_get(fd, idx, &got);

	if (e) {
		diag("%s: GET ring %u: %s", what, idx, errname(e));
		return false;
	}
	return coal_eq(&got, want, what);
}

/*
 * Every counter, @packets to @flushes, @profile_moves and what is still
 * reserved (the struct may grow); @mode and @profile are not counters.
 */
static bool counters_zero(const struct vhost_vring_coalesce_stats *s)
{
	const __u64 *p = &s->packets, *end = (const __u64 *)(s + 1);

	for (; p < end; p++)
		if (*p && (const void *)p != (const void *)&s->mode)
			return false;
	return true;
}

/*
 * STATS of a ring without traffic: index echoed, reserved 0, rate 0,
 * state @state, and counters zero (@zero) or anything.
 */
static bool stats_is(int fd, uint32_t idx, uint32_t state, bool zero,
		     const char *what)
{
	struct vhost_vring_coalesce_stats s;
	int e = coal_stats(fd, idx, &s);
	bool ok;

	if (e) {
		diag("%s: STATS ring %u: %s", what, idx, errname(e));
		return false;
	}
	ok = s.index == idx && !s.reserved && !s.rate && s.state == state &&
	     (state == VHOST_VRING_COALESCE_STATE_OFF) ==
	     (s.mode == VHOST_VRING_COALESCE_MODE_OFF) &&
	     (!zero || counters_zero(&s));
	if (!ok) {
		diag("%s: want index %u, state %s, rate 0, reserved 0%s", what,
		     idx, state_name(state), zero ? ", all counters 0" : "");
		show_stats("  got", &s);
	}
	return ok;
}

/* Everything a request could change: GET and STATS of both rings. */
struct snap {
	struct vhost_vring_coalesce c[NRINGS];
	struct vhost_vring_coalesce_stats s[NRINGS];
};

static bool snap_take(int fd, struct snap *sn)
{
	uint32_t i;
	int e;

	for (i = 0; i < NRINGS; i++) {
		e = coal_get(fd, i, &sn->c[i]);
		if (!e)
			e = coal_stats(fd, i, &sn->s[i]);
		if (e) {
			diag("snapshot of ring %u: %s", i, errname(e));
			return false;
		}
	}
	return true;
}

static bool snap_same(int fd, const struct snap *before)
{
	struct snap after;
	bool ok = true;
	uint32_t i;

	if (!snap_take(fd, &after))
		return false;
	for (i = 0; i < NRINGS; i++) {
		if (memcmp(&after.c[i], &before->c[i], sizeof(after.c[i]))) {
			diag("ring %u: GET changed", i);
			show_coal("  before", &before->c[i]);
			show_coal("  after ", &after.c[i]);
			ok = false;
		}
		if (memcmp(&after.s[i], &before->s[i], sizeof(after.s[i]))) {
			diag("ring %u: STATS changed", i);
			show_stats("  before", &before->s[i]);
			show_stats("  after ", &after.s[i]);
			ok = false;
		}
	}
	return ok;
}

/* Give both rings an explicit, distinct, non-default setting. */
static bool setup_explicit(int fd)
{
	uint32_t i;
	int e;

	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce c = good(i);

		e = coal_set(fd, &c);
		if (e) {
			diag("setup: SET ring %u: %s", i, errname(e));
			show_coal("  request", &c);
			return false;
		}
	}
	return true;
}

/*
 * The core of the rejection checks: on an owned device with explicit
 * settings on both rings, SET @req fails with @want and changes nothing.
 */
static int bad_set(const struct vhost_vring_coalesce *req, int want)
{
	struct snap before;
	int fd, e, ret = KSFT_FAIL;

	if (params_bad)
		return KSFT_FAIL;
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd) || !snap_take(fd, &before))
		goto out;
	e = coal_set(fd, req);
	if (e != want) {
		diag("SET: got %s, want %s", errname(e), errname(want));
		show_coal("  request", req);
		goto out;
	}
	if (snap_same(fd, &before))
		ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

/* SET @req is accepted and GET then reports it (flags 0, caps applied). */
static int good_set(const struct vhost_vring_coalesce *req, int *fdp)
{
	struct vhost_vring_coalesce want = expect_explicit(req);
	struct snap before;
	uint32_t other = !req->index;
	int fd, e, ret = KSFT_FAIL;

	if (params_bad)
		return KSFT_FAIL;
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd) || !snap_take(fd, &before))
		goto out;
	e = coal_set(fd, req);
	if (e) {
		diag("SET: got %s, want success", errname(e));
		show_coal("  request", req);
		goto out;
	}
	if (!get_is(fd, req->index, &want, "after SET") ||
	    !get_is(fd, other, &before.c[other], "the other ring"))
		goto out;
	ret = KSFT_PASS;
out:
	if (fdp && ret == KSFT_PASS)
		*fdp = fd;
	else
		close(fd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks: discovery                                                    */

static int t_backend_feature(void)
{
	uint64_t f = 0;
	int fd = dev_open(), ret = KSFT_FAIL;

	if (fd < 0)
		return KSFT_FAIL;
	if (ioctl(fd, VHOST_GET_BACKEND_FEATURES, &f))
		diag("VHOST_GET_BACKEND_FEATURES: %s", strerror(errno));
	else if (!(f & (1ULL << VHOST_BACKEND_F_NET_COALESCE)))
		diag("backend features %#llx lack bit %d", (unsigned long long)f,
		     VHOST_BACKEND_F_NET_COALESCE);
	else
		ret = KSFT_PASS;
	close(fd);
	return ret;
}

static int t_set_backend_feature(void)
{
	uint64_t f, want[] = {
		1ULL << VHOST_BACKEND_F_NET_COALESCE,
		(1ULL << VHOST_BACKEND_F_NET_COALESCE) |
		(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2),
	};
	int fd, ret = KSFT_PASS;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		fd = dev_open_owned();
		if (fd < 0)
			return KSFT_FAIL;
		f = want[i];
		if (ioctl(fd, VHOST_SET_BACKEND_FEATURES, &f)) {
			diag("VHOST_SET_BACKEND_FEATURES(%#llx): %s",
			     (unsigned long long)want[i], strerror(errno));
			ret = KSFT_FAIL;
		} else {
			struct vhost_vring_coalesce d = expect_default(RING_RX);

			/* The ioctls work with the feature acked. */
			if (!get_is(fd, RING_RX, &d, "feature acked"))
				ret = KSFT_FAIL;
		}
		close(fd);
	}
	return ret;
}

static int t_set_backend_unknown(void)
{
	/* Bit 10: not advertised by vhost-net. */
	uint64_t f = (1ULL << VHOST_BACKEND_F_NET_COALESCE) | (1ULL << 10);
	int fd = dev_open_owned(), ret = KSFT_FAIL;

	if (fd < 0)
		return KSFT_FAIL;
	if (!ioctl(fd, VHOST_SET_BACKEND_FEATURES, &f))
		diag("VHOST_SET_BACKEND_FEATURES(%#llx) accepted",
		     (unsigned long long)f);
	else if (errno != EOPNOTSUPP)
		diag("VHOST_SET_BACKEND_FEATURES(%#llx): %s, want EOPNOTSUPP",
		     (unsigned long long)f, errname(errno));
	else
		ret = KSFT_PASS;
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks: ownership                                                    */

/*
 * Not the owner: @op fails with EPERM and leaves the user buffer alone;
 * once the device is owned both rings still follow the defaults with
 * zero counters.
 */
static int no_owner(unsigned long op)
{
	union {
		struct vhost_vring_coalesce c;
		struct vhost_vring_coalesce_stats s;
		unsigned char b[128];
	} u, orig;
	uint32_t i;
	int fd, e, ret = KSFT_FAIL;

	if (params_bad)
		return KSFT_FAIL;
	fd = dev_open();
	if (fd < 0)
		return KSFT_FAIL;
	memset(&u, 0xa5, sizeof(u));
	if (op == VHOST_NET_SET_VRING_COALESCE)
		u.c = good(RING_RX);
	else
		u.c.index = RING_RX;
	orig = u;
	e = ioctl(fd, op, &u) ? errno : 0;
	if (e != EPERM) {
		diag("without VHOST_SET_OWNER: got %s, want EPERM", errname(e));
		goto out;
	}
	if (memcmp(&u, &orig, sizeof(u))) {
		diag("the failed ioctl wrote to the user buffer");
		goto out;
	}
	if (ioctl(fd, VHOST_SET_OWNER, NULL)) {
		diag("VHOST_SET_OWNER: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce d = expect_default(i);

		if (!get_is(fd, i, &d, "after SET_OWNER") ||
		    !stats_is(fd, i, expect_state_unsampled(&d), true,
			      "after SET_OWNER"))
			goto out;
	}
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

static int t_no_owner_set(void)
{
	return no_owner(VHOST_NET_SET_VRING_COALESCE);
}

static int t_no_owner_get(void)
{
	return no_owner(VHOST_NET_GET_VRING_COALESCE);
}

static int t_no_owner_stats(void)
{
	return no_owner(VHOST_NET_GET_VRING_COALESCE_STATS);
}

/* A forked child (another mm) is not the owner either. */
static int t_other_process(void)
{
	struct snap before;
	int fd, st, ret = KSFT_FAIL;
	pid_t pid;

	if (params_bad)
		return KSFT_FAIL;
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd) || !snap_take(fd, &before))
		goto out;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		diag("fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		struct vhost_vring_coalesce c = mk(RING_RX, F_DEFAULT, 0, 0, 0, 0);
		struct vhost_vring_coalesce_stats s;
		int bad = 0, e;

		e = coal_set(fd, &c);
		if (e != EPERM) {
			diag("child: SET: %s, want EPERM", errname(e));
			bad = 1;
		}
		e = coal_get(fd, RING_RX, &c);
		if (e != EPERM) {
			diag("child: GET: %s, want EPERM", errname(e));
			bad = 1;
		}
		e = coal_stats(fd, RING_TX, &s);
		if (e != EPERM) {
			diag("child: STATS: %s, want EPERM", errname(e));
			bad = 1;
		}
		fflush(stdout);
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		goto out;
	if (snap_same(fd, &before))
		ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

/* After VHOST_RESET_OWNER the caller is no longer the owner. */
static int t_reset_owner_eperm(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);
	struct vhost_vring_coalesce_stats s;
	int fd, e, ret = KSFT_FAIL;

	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (ioctl(fd, VHOST_RESET_OWNER, NULL)) {
		diag("VHOST_RESET_OWNER: %s", strerror(errno));
		goto out;
	}
	e = coal_set(fd, &c);
	if (e != EPERM) {
		diag("SET after RESET_OWNER: %s, want EPERM", errname(e));
		goto out;
	}
	e = coal_get(fd, RING_RX, &c);
	if (e != EPERM) {
		diag("GET after RESET_OWNER: %s, want EPERM", errname(e));
		goto out;
	}
	e = coal_stats(fd, RING_TX, &s);
	if (e != EPERM) {
		diag("STATS after RESET_OWNER: %s, want EPERM", errname(e));
		goto out;
	}
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks: bad ring index                                               */

static int bad_index(unsigned long op, uint32_t idx)
{
	union {
		struct vhost_vring_coalesce c;
		struct vhost_vring_coalesce_stats s;
		unsigned char b[128];
	} u, orig;
	struct snap before;
	int fd, e, ret = KSFT_FAIL;

	if (params_bad)
		return KSFT_FAIL;
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd) || !snap_take(fd, &before))
		goto out;
	memset(&u, 0x5a, sizeof(u));
	if (op == VHOST_NET_SET_VRING_COALESCE)
		u.c = good(RING_RX);
	u.c.index = idx;
	orig = u;
	e = ioctl(fd, op, &u) ? errno : 0;
	if (e != EINVAL) {
		diag("ring %#x: got %s, want EINVAL", idx, errname(e));
		goto out;
	}
	if (memcmp(&u, &orig, sizeof(u))) {
		diag("the failed ioctl wrote to the user buffer");
		goto out;
	}
	if (snap_same(fd, &before))
		ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

static int t_idx2_set(void)
{
	return bad_index(VHOST_NET_SET_VRING_COALESCE, 2);
}

static int t_idx2_get(void)
{
	return bad_index(VHOST_NET_GET_VRING_COALESCE, 2);
}

static int t_idx2_stats(void)
{
	return bad_index(VHOST_NET_GET_VRING_COALESCE_STATS, 2);
}

static int t_idxmax_set(void)
{
	return bad_index(VHOST_NET_SET_VRING_COALESCE, 0xffffffffu);
}

static int t_idxmax_get(void)
{
	return bad_index(VHOST_NET_GET_VRING_COALESCE, 0xffffffffu);
}

static int t_idxmax_stats(void)
{
	return bad_index(VHOST_NET_GET_VRING_COALESCE_STATS, 0xffffffffu);
}

/* ------------------------------------------------------------------ */
/* Checks: rejected values                                              */

/* The lowest flag bit the uAPI does not define. */
static uint32_t unknown_flag(void)
{
	uint32_t u = ~(uint32_t)VHOST_VRING_COALESCE_F_ALL;

	return u & -u;
}

static int t_flag_unknown(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.flags = unknown_flag();
	return bad_set(&c, EINVAL);
}

static int t_flag_unknown_clamp(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.flags = F_CLAMP | unknown_flag();
	return bad_set(&c, EINVAL);
}

static int t_flag_bit31(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.flags = F_DEFAULT | (1u << 31);
	c.usecs = c.max_frames = c.rate_threshold = c.rate_interval_ms = 0;
	return bad_set(&c, EINVAL);
}

static int t_reserved0(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.reserved[0] = 1;
	return bad_set(&c, EINVAL);
}

static int t_reserved1(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.reserved[1] = 0x80000000u;
	return bad_set(&c, EINVAL);
}

static int t_reserved_default(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, F_DEFAULT, 0, 0, 0, 0);

	c.reserved[1] = 1;
	return bad_set(&c, EINVAL);
}

static int t_default_usecs(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, F_DEFAULT, 100, 0, 0, 0);

	return bad_set(&c, EINVAL);
}

static int t_default_frames(void)
{
	struct vhost_vring_coalesce c = mk(RING_TX, F_DEFAULT, 0, 1, 0, 0);

	return bad_set(&c, EINVAL);
}

static int t_default_threshold(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, F_DEFAULT, 0, 0, 1, 0);

	return bad_set(&c, EINVAL);
}

static int t_default_interval(void)
{
	struct vhost_vring_coalesce c = mk(RING_TX, F_DEFAULT, 0, 0, 0, 1000);

	return bad_set(&c, EINVAL);
}

static int t_usecs_above_max(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.usecs = pv(P_MAX_USECS) + 1;
	return bad_set(&c, ERANGE);
}

static int t_usecs_u32max(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.usecs = UINT32_MAX;
	return bad_set(&c, ERANGE);
}

static int t_usecs_below_min(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);
	unsigned int min = pv(P_MIN_USECS);

	if (min < 2)
		return skip("coalesce_min_usecs is %u", min);
	c.usecs = min - 1;
	return bad_set(&c, ERANGE);
}

static int t_usecs_one(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);
	unsigned int min = pv(P_MIN_USECS);

	if (min < 2)
		return skip("coalesce_min_usecs is %u", min);
	c.usecs = 1;
	return bad_set(&c, ERANGE);
}

static int t_frames_zero(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.max_frames = 0;
	return bad_set(&c, EINVAL);
}

static int t_frames_above_cap(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.max_frames = pv(P_MAX_FRAMES) + 1;
	return bad_set(&c, ERANGE);
}

static int t_interval_zero(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.rate_interval_ms = 0;
	return bad_set(&c, EINVAL);
}

static int t_interval_zero_off(void)
{
	struct vhost_vring_coalesce c = mk(RING_TX, 0, 0, 1, 0, 0);

	return bad_set(&c, EINVAL);
}

/*
 * Below the minimum interval while coalescing is on: EINVAL, as
 * ncoal_params_validate() documents (not ERANGE).
 */
static int t_interval_below_min(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.rate_interval_ms = INTERVAL_MIN - 1;
	return bad_set(&c, ERANGE);
}

static int t_interval_above_max(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.rate_interval_ms = INTERVAL_MAX + 1;
	return bad_set(&c, ERANGE);
}

static int t_interval_above_max_off(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, 0, 0, 1, 0, INTERVAL_MAX + 1);

	return bad_set(&c, ERANGE);
}

static int t_threshold_above(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.rate_threshold = RATE_LIMIT + 1;
	return bad_set(&c, ERANGE);
}

static int t_threshold_u32max(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.rate_threshold = UINT32_MAX;
	return bad_set(&c, ERANGE);
}

/* "-EINVAL takes precedence" (ncoal_params_validate()). */
static int t_einval_first(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.usecs = pv(P_MAX_USECS) + 1;
	c.max_frames = 0;
	return bad_set(&c, EINVAL);
}

static int t_efault(void)
{
	struct snap before;
	unsigned long ops[] = {
		VHOST_NET_SET_VRING_COALESCE, VHOST_NET_GET_VRING_COALESCE,
		VHOST_NET_GET_VRING_COALESCE_STATS,
	};
	int fd, e, ret = KSFT_FAIL;
	size_t i;

	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd) || !snap_take(fd, &before))
		goto out;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		e = ioctl(fd, ops[i], NULL) ? errno : 0;
		if (e != EFAULT) {
			diag("ioctl %#lx(NULL): %s, want EFAULT", ops[i],
			     errname(e));
			goto out;
		}
	}
	if (snap_same(fd, &before))
		ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks: accepted values                                              */

static int t_roundtrip_rx(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.usecs = clampu(c.usecs + 100, pv(P_MIN_USECS), pv(P_MAX_USECS));
	c.max_frames = clampu(17, 1, pv(P_MAX_FRAMES));
	c.rate_threshold = 12345;
	c.rate_interval_ms = 250;
	return good_set(&c, NULL);
}

static int t_roundtrip_tx(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.usecs = clampu(c.usecs + 200, pv(P_MIN_USECS), pv(P_MAX_USECS));
	c.max_frames = clampu(9, 1, pv(P_MAX_FRAMES));
	c.rate_threshold = 54321;
	c.rate_interval_ms = 750;
	return good_set(&c, NULL);
}

/* GET takes only the index from the caller, and fills in everything. */
static int t_get_ignores_input(void)
{
	struct vhost_vring_coalesce c, want = good(RING_TX);
	int fd, ret = KSFT_FAIL;

	want = expect_explicit(&want);
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd))
		goto out;
	memset(&c, 0xff, sizeof(c));
	c.index = RING_TX;
	if (ioctl(fd, VHOST_NET_GET_VRING_COALESCE, &c)) {
		diag("GET with garbage in the other fields: %s",
		     errname(errno));
		goto out;
	}
	if (coal_eq(&c, &want, "GET with garbage in the other fields"))
		ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

static int t_fresh_get(void)
{
	int fd, ret = KSFT_PASS;
	uint32_t i;

	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce d = expect_default(i);

		if (!get_is(fd, i, &d, "fresh device"))
			ret = KSFT_FAIL;
	}
	close(fd);
	return ret;
}

static int t_fresh_stats(void)
{
	int fd, ret = KSFT_PASS;
	uint32_t i;

	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce d = expect_default(i);

		if (!stats_is(fd, i, expect_state_unsampled(&d), true,
			      "fresh device"))
			ret = KSFT_FAIL;
	}
	close(fd);
	return ret;
}

/* A fresh device with rx_coalesce_usecs=0 reports RX OFF, TX per params. */
static int t_fresh_stats_off(void)
{
	struct vhost_vring_coalesce d;
	int fd, ret = KSFT_FAIL;
	uint32_t i;

	if (!params_writable)
		return skip("module parameters not writable");
	if (!pset(P_RX_USECS, 0))
		goto restore;
	fd = dev_open_owned();
	if (fd < 0)
		goto restore;
	ret = KSFT_PASS;
	for (i = 0; i < NRINGS; i++) {
		d = expect_default(i);
		if (i == RING_RX && d.usecs) {
			diag("rx_coalesce_usecs did not become 0");
			ret = KSFT_FAIL;
		}
		if (!get_is(fd, i, &d, "rx_coalesce_usecs=0") ||
		    !stats_is(fd, i, expect_state_unsampled(&d), true,
			      "rx_coalesce_usecs=0"))
			ret = KSFT_FAIL;
	}
	close(fd);
restore:
	if (!params_restore())
		ret = KSFT_FAIL;
	return ret;
}

static int t_set_default(void)
{
	int fd, e, ret = KSFT_FAIL;
	uint32_t i;

	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd))
		goto out;
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce c = mk(i, F_DEFAULT, 0, 0, 0, 0);
		struct vhost_vring_coalesce d = expect_default(i);

		e = coal_set(fd, &c);
		if (e) {
			diag("SET F_DEFAULT ring %u: %s", i, errname(e));
			goto out;
		}
		if (!get_is(fd, i, &d, "after SET F_DEFAULT"))
			goto out;
	}
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

/* usecs 0 and threshold 0: coalescing off; accepted, state OFF. */
static int t_off(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, 0, 0, 1, 0, 1000);
	int fd = -1, ret;

	ret = good_set(&c, &fd);
	if (ret)
		return ret;
	if (!stats_is(fd, RING_RX, VHOST_VRING_COALESCE_STATE_OFF, false,
		      "usecs 0"))
		ret = KSFT_FAIL;
	close(fd);
	return ret;
}

/*
 * uAPI: max_frames "must not be 0 when @usecs is not 0"; ncoal.h: "an
 * all-zero @p is valid"; net_coalesce.c: "'Off' needs no other value".
 * So with usecs 0 a max_frames of 0 is accepted.
 */
static int t_off_frames_zero(void)
{
	struct vhost_vring_coalesce c = mk(RING_TX, 0, 0, 0, 0, 1000);

	return good_set(&c, NULL);
}

/* The minimum interval only applies while coalescing is on (ncoal.h). */
static int t_off_interval_below_min(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, 0, 0, 1, 0,
					   INTERVAL_MIN - 1);

	return good_set(&c, NULL);
}

/* Threshold 0: always active, counted as an activation by SET. */
static int t_threshold_zero(void)
{
	struct vhost_vring_coalesce c = good(RING_TX), c2;
	struct vhost_vring_coalesce_stats s;
	int fd = -1, ret, e;

	c.rate_threshold = 0;
	ret = good_set(&c, &fd);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	if (!stats_is(fd, RING_TX, VHOST_VRING_COALESCE_STATE_ACTIVE, false,
		      "rate_threshold 0"))
		goto out;
	e = coal_stats(fd, RING_TX, &s);
	if (e || s.activations != 1 || s.deactivations) {
		diag("want activations 1, deactivations 0");
		show_stats("  got", &s);
		goto out;
	}
	/* Back to a threshold: IDLE, and SET does not reset counters. */
	c2 = good(RING_TX);
	e = coal_set(fd, &c2);
	if (e) {
		diag("SET: %s", errname(e));
		goto out;
	}
	if (!stats_is(fd, RING_TX, VHOST_VRING_COALESCE_STATE_IDLE, false,
		      "threshold back"))
		goto out;
	e = coal_stats(fd, RING_TX, &s);
	if (e || s.activations != 1 || s.deactivations != 1) {
		diag("want activations 1, deactivations 1 (SET keeps counters)");
		show_stats("  got", &s);
		goto out;
	}
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

static int t_usecs_eq_min(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.usecs = pv(P_MIN_USECS);
	return good_set(&c, NULL);
}

static int t_usecs_eq_max(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.usecs = pv(P_MAX_USECS);
	return good_set(&c, NULL);
}

/* max_frames 1 is accepted and switches coalescing off. */
static int t_frames_one(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);
	int fd = -1, ret;

	c.max_frames = 1;
	c.rate_threshold = 0;
	ret = good_set(&c, &fd);
	if (ret)
		return ret;
	if (!stats_is(fd, RING_RX, VHOST_VRING_COALESCE_STATE_OFF, false,
		      "max_frames 1"))
		ret = KSFT_FAIL;
	close(fd);
	return ret;
}

static int t_frames_eq_cap(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.max_frames = pv(P_MAX_FRAMES);
	return good_set(&c, NULL);
}

static int t_interval_eq_min(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.rate_interval_ms = INTERVAL_MIN;
	return good_set(&c, NULL);
}

static int t_interval_eq_max(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.rate_interval_ms = INTERVAL_MAX;
	return good_set(&c, NULL);
}

static int t_threshold_eq_max(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.rate_threshold = RATE_LIMIT;
	return good_set(&c, NULL);
}

/* ------------------------------------------------------------------ */
/* Checks: VHOST_VRING_COALESCE_F_CLAMP                                 */

/* SET @req (with F_CLAMP) is accepted and GET reports @want. */
static int clamp_set(const struct vhost_vring_coalesce *req,
		     const struct vhost_vring_coalesce *want)
{
	struct snap before;
	uint32_t other = !req->index;
	int fd, e, ret = KSFT_FAIL;

	if (params_bad)
		return KSFT_FAIL;
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!setup_explicit(fd) || !snap_take(fd, &before))
		goto out;
	e = coal_set(fd, req);
	if (e) {
		diag("SET: got %s, want success", errname(e));
		show_coal("  request", req);
		goto out;
	}
	if (!get_is(fd, req->index, want, "after SET F_CLAMP") ||
	    !get_is(fd, other, &before.c[other], "the other ring"))
		goto out;
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

static int t_clamp_above(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, F_CLAMP,
		pv(P_MAX_USECS) + 1000, pv(P_MAX_FRAMES) + 1, UINT32_MAX,
		INTERVAL_MAX + 10000);
	struct vhost_vring_coalesce want = mk(RING_RX, 0, pv(P_MAX_USECS),
		pv(P_MAX_FRAMES), RATE_LIMIT, INTERVAL_MAX);

	return clamp_set(&c, &want);
}

static int t_clamp_below(void)
{
	unsigned int min = pv(P_MIN_USECS);
	struct vhost_vring_coalesce c = mk(RING_TX, F_CLAMP, 1, 2, 1,
					   INTERVAL_MIN - 9);
	struct vhost_vring_coalesce want = mk(RING_TX, 0, min, 2, 1,
					      INTERVAL_MIN);

	if (min < 2)
		return skip("coalesce_min_usecs is %u", min);
	return clamp_set(&c, &want);
}

static int t_clamp_in_range(void)
{
	struct vhost_vring_coalesce c = good(RING_RX), want;

	c.usecs = clampu(c.usecs + 50, pv(P_MIN_USECS), pv(P_MAX_USECS));
	want = expect_explicit(&c);
	c.flags = F_CLAMP;
	return clamp_set(&c, &want);
}

static int t_clamp_off(void)
{
	struct vhost_vring_coalesce c = mk(RING_TX, F_CLAMP, 0, 1, 0, 1000);
	struct vhost_vring_coalesce want = mk(RING_TX, 0, 0, 1, 0, 1000);

	return clamp_set(&c, &want);
}

static int t_clamp_default(void)
{
	struct vhost_vring_coalesce c = mk(RING_RX, F_DEFAULT | F_CLAMP,
					   0, 0, 0, 0);
	struct vhost_vring_coalesce want = expect_default(RING_RX);

	return clamp_set(&c, &want);
}

static int t_clamp_default_value(void)
{
	struct vhost_vring_coalesce c = mk(RING_TX, F_DEFAULT | F_CLAMP,
					   pv(P_MAX_USECS) + 1, 0, 0, 0);

	return bad_set(&c, EINVAL);
}

static int t_clamp_frames_zero(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.flags = F_CLAMP;
	c.usecs = pv(P_MAX_USECS) + 1;
	c.max_frames = 0;
	return bad_set(&c, EINVAL);
}

static int t_clamp_interval_zero(void)
{
	struct vhost_vring_coalesce c = good(RING_TX);

	c.flags = F_CLAMP;
	c.rate_interval_ms = 0;
	return bad_set(&c, EINVAL);
}

static int t_clamp_reserved(void)
{
	struct vhost_vring_coalesce c = good(RING_RX);

	c.flags = F_CLAMP;
	c.usecs = pv(P_MAX_USECS) + 1;
	c.reserved[0] = 1;
	return bad_set(&c, EINVAL);
}

/* ------------------------------------------------------------------ */
/* Checks: module parameters seen through the ioctls                    */

/*
 * coalesce_max_usecs lowered below an explicit setting: GET reports the
 * clamped value (still flags 0), SET of the old value is now ERANGE, and
 * raising the cap again brings the explicit value back.
 */
static int t_clamp_max_usecs(void)
{
	struct vhost_vring_coalesce c, want;
	unsigned int rx, tx, min, max, cap;
	int fd, e, ret = KSFT_FAIL;

	if (!params_writable)
		return skip("module parameters not writable");
	rx = pv(P_RX_USECS);
	tx = pv(P_TX_USECS);
	min = pv(P_MIN_USECS);
	max = pv(P_MAX_USECS);
	cap = rx > tx ? rx : tx;
	if (cap < min)
		cap = min;
	if (cap >= max)
		return skip("no room below coalesce_max_usecs %u", max);
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	c = good(RING_RX);
	c.usecs = max;
	e = coal_set(fd, &c);
	if (e) {
		diag("SET usecs %u: %s", max, errname(e));
		goto out;
	}
	if (!pset(P_MAX_USECS, cap))
		goto out;
	want = expect_explicit(&c);
	want.usecs = cap;
	if (!get_is(fd, RING_RX, &want, "coalesce_max_usecs lowered"))
		goto out;
	e = coal_set(fd, &c);
	if (e != ERANGE) {
		diag("SET usecs %u above the lowered cap %u: %s, want ERANGE",
		     c.usecs, cap, errname(e));
		goto out;
	}
	if (!get_is(fd, RING_RX, &want, "after the rejected SET"))
		goto out;
	if (!pset(P_MAX_USECS, max))
		goto out;
	want.usecs = max;
	if (!get_is(fd, RING_RX, &want, "coalesce_max_usecs raised again"))
		goto out;
	ret = KSFT_PASS;
out:
	close(fd);
	if (!params_restore())
		ret = KSFT_FAIL;
	return ret;
}

static int t_clamp_max_frames(void)
{
	struct vhost_vring_coalesce c, want;
	unsigned int rxf, txf, cap, low;
	int fd, e, ret = KSFT_FAIL;

	if (!params_writable)
		return skip("module parameters not writable");
	rxf = pv(P_RX_FRAMES);
	txf = pv(P_TX_FRAMES);
	cap = pv(P_MAX_FRAMES);
	low = rxf > txf ? rxf : txf;
	if (low >= cap)
		return skip("no room below coalesce_max_frames %u", cap);
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	c = good(RING_TX);
	c.max_frames = cap;
	e = coal_set(fd, &c);
	if (e) {
		diag("SET max_frames %u: %s", cap, errname(e));
		goto out;
	}
	if (!pset(P_MAX_FRAMES, low))
		goto out;
	want = expect_explicit(&c);
	want.max_frames = low;
	if (!get_is(fd, RING_TX, &want, "coalesce_max_frames lowered"))
		goto out;
	ret = KSFT_PASS;
out:
	close(fd);
	if (!params_restore())
		ret = KSFT_FAIL;
	return ret;
}

/* coalesce_min_usecs raised above an explicit usecs: clamped up; 0 stays. */
static int t_clamp_min_usecs(void)
{
	struct vhost_vring_coalesce c, off, want;
	unsigned int rx, tx, min, max, raise;
	int fd, e, ret = KSFT_FAIL;

	if (!params_writable)
		return skip("module parameters not writable");
	rx = pv(P_RX_USECS);
	tx = pv(P_TX_USECS);
	min = pv(P_MIN_USECS);
	max = pv(P_MAX_USECS);
	/* The new minimum must stay at or below the non-zero defaults. */
	raise = max;
	if (rx && rx < raise)
		raise = rx;
	if (tx && tx < raise)
		raise = tx;
	if (raise <= min)
		return skip("no room above coalesce_min_usecs %u", min);
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	c = good(RING_RX);
	c.usecs = min;
	off = mk(RING_TX, 0, 0, 1, 0, 1000);
	e = coal_set(fd, &c);
	if (!e)
		e = coal_set(fd, &off);
	if (e) {
		diag("SET: %s", errname(e));
		goto out;
	}
	if (!pset(P_MIN_USECS, raise))
		goto out;
	want = expect_explicit(&c);
	want.usecs = raise;
	if (!get_is(fd, RING_RX, &want, "coalesce_min_usecs raised"))
		goto out;
	want = expect_explicit(&off);
	if (!get_is(fd, RING_TX, &want, "coalesce_min_usecs raised, usecs 0"))
		goto out;
	ret = KSFT_PASS;
out:
	close(fd);
	if (!params_restore())
		ret = KSFT_FAIL;
	return ret;
}

/*
 * A default parameter change shows in GET of a ring that follows the
 * defaults, and not in a ring with an explicit setting.
 */
static int t_default_param_change(void)
{
	struct vhost_vring_coalesce c, want;
	unsigned int rx, min, max, nv;
	int fd, e, ret = KSFT_FAIL;

	if (!params_writable)
		return skip("module parameters not writable");
	rx = pv(P_RX_USECS);
	min = pv(P_MIN_USECS);
	max = pv(P_MAX_USECS);
	nv = rx + 123 <= max ? rx + 123 : min;
	if (nv == rx)
		return skip("no other valid rx_coalesce_usecs");
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	c = good(RING_TX);
	e = coal_set(fd, &c);
	if (e) {
		diag("SET ring 1: %s", errname(e));
		goto out;
	}
	if (!pset(P_RX_USECS, nv) ||
	    !pset(P_RX_FRAMES, pv(P_RX_FRAMES) == 2 ? 3 : 2) ||
	    !pset(P_THRESHOLD, pv(P_THRESHOLD) + 1) ||
	    !pset(P_INTERVAL, pv(P_INTERVAL) == INTERVAL_MAX ?
			      INTERVAL_MIN : pv(P_INTERVAL) + 1) ||
	    !pset(P_TX_USECS, pv(P_TX_USECS) ? 0 : min))
		goto out;
	want = expect_default(RING_RX);
	if (want.usecs != nv) {
		diag("rx_coalesce_usecs reads %u after writing %u",
		     want.usecs, nv);
		goto out;
	}
	if (!get_is(fd, RING_RX, &want, "defaults changed (ring 0 default)"))
		goto out;
	want = expect_explicit(&c);
	if (!get_is(fd, RING_TX, &want, "defaults changed (ring 1 explicit)"))
		goto out;
	ret = KSFT_PASS;
out:
	close(fd);
	if (!params_restore())
		ret = KSFT_FAIL;
	return ret;
}

/*
 * STATS.state of an existing device follows a module parameter change as
 * GET does (no traffic in between): rx_coalesce_usecs=0 makes RX OFF,
 * coalesce_rate_threshold=0 makes TX ACTIVE.
 */
static int t_stats_follow_params(void)
{
	struct vhost_vring_coalesce d;
	int fd, ret = KSFT_FAIL;
	uint32_t i;

	if (!params_writable)
		return skip("module parameters not writable");
	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	if (!pset(P_RX_USECS, 0) || !pset(P_THRESHOLD, 0))
		goto out;
	ret = KSFT_PASS;
	for (i = 0; i < NRINGS; i++) {
		d = expect_default(i);
		if (!get_is(fd, i, &d, "after the parameter change"))
			ret = KSFT_FAIL;
		if (!stats_is(fd, i, expect_state_unsampled(&d), false,
			      "after the parameter change"))
			ret = KSFT_FAIL;
	}
out:
	close(fd);
	if (!params_restore())
		ret = KSFT_FAIL;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks: VHOST_RESET_OWNER                                            */

static int t_reset_owner(void)
{
	struct vhost_vring_coalesce c;
	struct vhost_vring_coalesce_stats s;
	int fd, e, ret = KSFT_FAIL;
	uint32_t i;

	fd = dev_open_owned();
	if (fd < 0)
		return KSFT_FAIL;
	/* Explicit settings on both rings; a nonzero counter on each. */
	for (i = 0; i < NRINGS; i++) {
		c = good(i);
		c.rate_threshold = 0;
		e = coal_set(fd, &c);
		if (e) {
			diag("SET ring %u: %s", i, errname(e));
			goto out;
		}
		e = coal_stats(fd, i, &s);
		if (e || s.activations != 1) {
			diag("precondition: ring %u activations 1", i);
			show_stats("  got", &s);
			goto out;
		}
	}
	if (ioctl(fd, VHOST_RESET_OWNER, NULL)) {
		diag("VHOST_RESET_OWNER: %s", strerror(errno));
		goto out;
	}
	if (ioctl(fd, VHOST_SET_OWNER, NULL)) {
		diag("VHOST_SET_OWNER after RESET_OWNER: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce d = expect_default(i);

		if (!get_is(fd, i, &d, "after RESET_OWNER") ||
		    !stats_is(fd, i, expect_state_unsampled(&d), true,
			      "after RESET_OWNER"))
			goto out;
	}
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------ */

struct test {
	const char *name;
	int (*fn)(void);
};

static const struct test tests[] = {
	{ "GET_BACKEND_FEATURES has VHOST_BACKEND_F_NET_COALESCE", t_backend_feature },
	{ "SET_BACKEND_FEATURES accepts VHOST_BACKEND_F_NET_COALESCE (alone, with IOTLB_MSG_V2)", t_set_backend_feature },
	{ "SET_BACKEND_FEATURES with an unadvertised bit -> EOPNOTSUPP", t_set_backend_unknown },
	{ "no owner: SET -> EPERM, defaults intact after SET_OWNER", t_no_owner_set },
	{ "no owner: GET -> EPERM, buffer untouched", t_no_owner_get },
	{ "no owner: STATS -> EPERM, buffer untouched", t_no_owner_stats },
	{ "another process (not the owner): SET/GET/STATS -> EPERM, nothing changed", t_other_process },
	{ "after RESET_OWNER without SET_OWNER: SET/GET/STATS -> EPERM", t_reset_owner_eperm },
	{ "SET ring 2 -> EINVAL, nothing changed", t_idx2_set },
	{ "GET ring 2 -> EINVAL, buffer untouched", t_idx2_get },
	{ "STATS ring 2 -> EINVAL, buffer untouched", t_idx2_stats },
	{ "SET ring 0xffffffff -> EINVAL, nothing changed", t_idxmax_set },
	{ "GET ring 0xffffffff -> EINVAL, buffer untouched", t_idxmax_get },
	{ "STATS ring 0xffffffff -> EINVAL, buffer untouched", t_idxmax_stats },
	{ "SET lowest undefined flag bit -> EINVAL, nothing changed", t_flag_unknown },
	{ "SET F_CLAMP with an undefined flag bit -> EINVAL, nothing changed", t_flag_unknown_clamp },
	{ "SET F_DEFAULT|1<<31 -> EINVAL, nothing changed", t_flag_bit31 },
	{ "SET reserved[0] != 0 -> EINVAL, nothing changed", t_reserved0 },
	{ "SET reserved[1] != 0 -> EINVAL, nothing changed", t_reserved1 },
	{ "SET F_DEFAULT with reserved[1] != 0 -> EINVAL, nothing changed", t_reserved_default },
	{ "SET F_DEFAULT with usecs -> EINVAL, nothing changed", t_default_usecs },
	{ "SET F_DEFAULT with max_frames -> EINVAL, nothing changed", t_default_frames },
	{ "SET F_DEFAULT with rate_threshold -> EINVAL, nothing changed", t_default_threshold },
	{ "SET F_DEFAULT with rate_interval_ms -> EINVAL, nothing changed", t_default_interval },
	{ "SET usecs coalesce_max_usecs+1 -> ERANGE, nothing changed", t_usecs_above_max },
	{ "SET usecs 0xffffffff -> ERANGE, nothing changed", t_usecs_u32max },
	{ "SET usecs coalesce_min_usecs-1 -> ERANGE, nothing changed", t_usecs_below_min },
	{ "SET usecs 1 (below coalesce_min_usecs) -> ERANGE, nothing changed", t_usecs_one },
	{ "SET max_frames 0 with usecs -> EINVAL, nothing changed", t_frames_zero },
	{ "SET max_frames coalesce_max_frames+1 -> ERANGE, nothing changed", t_frames_above_cap },
	{ "SET rate_interval_ms 0 -> EINVAL, nothing changed", t_interval_zero },
	{ "SET rate_interval_ms 0 with usecs 0 -> EINVAL, nothing changed", t_interval_zero_off },
	{ "SET rate_interval_ms 9 with usecs -> ERANGE, nothing changed", t_interval_below_min },
	{ "SET rate_interval_ms 60001 -> ERANGE, nothing changed", t_interval_above_max },
	{ "SET rate_interval_ms 60001 with usecs 0 -> ERANGE, nothing changed", t_interval_above_max_off },
	{ "SET rate_threshold 100000001 -> ERANGE, nothing changed", t_threshold_above },
	{ "SET rate_threshold 0xffffffff -> ERANGE, nothing changed", t_threshold_u32max },
	{ "SET usecs above cap and max_frames 0 -> EINVAL (takes precedence)", t_einval_first },
	{ "SET/GET/STATS with a NULL argument -> EFAULT, nothing changed", t_efault },
	{ "SET RX round-trips through GET (flags 0), TX untouched", t_roundtrip_rx },
	{ "SET TX round-trips through GET (flags 0), RX untouched", t_roundtrip_tx },
	{ "GET uses only the index of its argument", t_get_ignores_input },
	{ "fresh device: GET reports the module parameters with F_DEFAULT", t_fresh_get },
	{ "fresh device: STATS counters 0, rate 0, state per parameters", t_fresh_stats },
	{ "fresh device with rx_coalesce_usecs=0: RX state OFF", t_fresh_stats_off },
	{ "SET F_DEFAULT: GET reports the module parameters with F_DEFAULT", t_set_default },
	{ "SET usecs 0, rate_threshold 0 (off) accepted, state OFF", t_off },
	{ "SET usecs 0, max_frames 0 (off) accepted (uAPI)", t_off_frames_zero },
	{ "SET usecs 0, rate_interval_ms 9 accepted (minimum applies while on)", t_off_interval_below_min },
	{ "SET rate_threshold 0: state ACTIVE; SET keeps counters", t_threshold_zero },
	{ "SET usecs == coalesce_min_usecs accepted", t_usecs_eq_min },
	{ "SET usecs == coalesce_max_usecs accepted", t_usecs_eq_max },
	{ "SET max_frames 1 accepted, state OFF", t_frames_one },
	{ "SET max_frames == coalesce_max_frames accepted", t_frames_eq_cap },
	{ "SET rate_interval_ms 10 accepted", t_interval_eq_min },
	{ "SET rate_interval_ms 60000 accepted", t_interval_eq_max },
	{ "SET rate_threshold 100000000 accepted", t_threshold_eq_max },
	{ "SET F_CLAMP: usecs/max_frames/threshold/interval above caps brought down, GET shows them", t_clamp_above },
	{ "SET F_CLAMP: usecs below coalesce_min_usecs and interval 1 brought up", t_clamp_below },
	{ "SET F_CLAMP: values inside the caps applied unchanged", t_clamp_in_range },
	{ "SET F_CLAMP: usecs 0 (off) stays 0", t_clamp_off },
	{ "SET F_CLAMP|F_DEFAULT: follows the module parameters", t_clamp_default },
	{ "SET F_CLAMP|F_DEFAULT with a value -> EINVAL, nothing changed", t_clamp_default_value },
	{ "SET F_CLAMP, max_frames 0 with usecs -> EINVAL, nothing changed", t_clamp_frames_zero },
	{ "SET F_CLAMP, rate_interval_ms 0 -> EINVAL, nothing changed", t_clamp_interval_zero },
	{ "SET F_CLAMP, reserved[0] != 0 -> EINVAL, nothing changed", t_clamp_reserved },
	{ "coalesce_max_usecs lowered: GET clamps explicit usecs, old value ERANGE, restored after", t_clamp_max_usecs },
	{ "coalesce_max_frames lowered: GET clamps explicit max_frames", t_clamp_max_frames },
	{ "coalesce_min_usecs raised: GET clamps explicit usecs up, usecs 0 stays 0", t_clamp_min_usecs },
	{ "default parameters changed: GET of a default ring follows, explicit ring does not", t_default_param_change },
	{ "STATS state follows a parameter change like GET (no traffic)", t_stats_follow_params },
	{ "RESET_OWNER: explicit settings back to F_DEFAULT, counters 0", t_reset_owner },
};

int main(void)
{
	unsigned int pass = 0, fail = 0, nskip = 0;
	const char *why = NULL;
	char whybuf[256];
	uint64_t f = 0;
	size_t i;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("1..%zu\n", ARRAY_SIZE(tests));

	/* Support discovery decides between running and skipping. */
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(whybuf, sizeof(whybuf), "cannot open %s: %s",
			 DEV_PATH, strerror(errno));
		why = whybuf;
	} else {
		if (ioctl(fd, VHOST_GET_BACKEND_FEATURES, &f) ||
		    !(f & (1ULL << VHOST_BACKEND_F_NET_COALESCE)))
			why = "vhost_net without VHOST_BACKEND_F_NET_COALESCE";
		close(fd);
	}
	if (why) {
		for (i = 0; i < ARRAY_SIZE(tests); i++)
			printf("ok %zu %s # SKIP %s\n", i + 1, tests[i].name, why);
		printf("# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:%zu error:0\n",
		       ARRAY_SIZE(tests));
		return KSFT_SKIP;
	}

	params_save();
	if (!params_saved)
		diag("module parameters not readable in %s", PARAM_DIR);
	else if (!params_writable)
		diag("module parameters not writable: those checks skip");

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		int r;

		skip_why[0] = '\0';
		params_bad = false;
		r = tests[i].fn();
		if (r == KSFT_PASS && params_bad)
			r = KSFT_FAIL;
		switch (r) {
		case KSFT_PASS:
			pass++;
			printf("ok %zu %s\n", i + 1, tests[i].name);
			break;
		case KSFT_SKIP:
			nskip++;
			printf("ok %zu %s # SKIP %s\n", i + 1, tests[i].name,
			       skip_why);
			break;
		default:
			fail++;
			printf("not ok %zu %s\n", i + 1, tests[i].name);
			break;
		}
	}
	if (!params_restore()) {
		diag("module parameters not restored");
		fail++;
	}
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       pass, fail, nskip);
	return fail ? KSFT_FAIL : KSFT_PASS;
}
