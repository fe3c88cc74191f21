/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two fuzzers of tools/testing/fuzz share: the admin's caps and
 * the module defaults of vhost_net, the clamps its model applies, and
 * the per-property results that become one TAP line each.
 *
 * Each fuzzer defines FZ_NPROPS (its number of properties) before
 * including this, and sets step as it goes (failures name the step
 * and seed).
 */
#ifndef _FUZZ_COMMON_H
#define _FUZZ_COMMON_H

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>

#include "coal_test.h"		/* tools/vhost_net_drv */
#include "fuzz_rand.h"

#ifndef FZ_NPROPS
#error "define FZ_NPROPS first"
#endif

#define RX		0
#define TX		1
#define NRINGS		2

/* Failures printed in full; the rest are only counted. */
#define FZ_SHOWN_MAX	25

/* The admin's caps and the module defaults (rings without explicit). */
struct caps {
	uint32_t min_usecs, max_usecs, max_frames;
	uint32_t def_usecs[NRINGS], def_frames[NRINGS];
	uint32_t def_threshold, def_interval;
};

static struct caps cap;
static uint64_t seed;
static bool have_seed, verbose;
static unsigned long step;
static unsigned int shown;
static struct {
	uint64_t checked[FZ_NPROPS], failed[FZ_NPROPS];
} res;

/* Read the caps and defaults; 0 or the errno of the first failure. */
static int caps_read(void)
{
	static const struct {
		const char *name;
		uint32_t *v;
	} p[] = {
		{ "coalesce_min_usecs", &cap.min_usecs },
		{ "coalesce_max_usecs", &cap.max_usecs },
		{ "coalesce_max_frames", &cap.max_frames },
		{ "rx_coalesce_usecs", &cap.def_usecs[RX] },
		{ "tx_coalesce_usecs", &cap.def_usecs[TX] },
		{ "rx_max_coalesced_frames", &cap.def_frames[RX] },
		{ "tx_max_coalesced_frames", &cap.def_frames[TX] },
		{ "coalesce_rate_threshold", &cap.def_threshold },
		{ "coalesce_rate_interval_ms", &cap.def_interval },
	};
	unsigned int i;
	int e;

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		e = coal_param_read(p[i].name, p[i].v);
		if (e)
			return e;
	}
	return 0;
}

static uint32_t clampu(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint32_t minu(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A delay vhost_net may hold: off, or within the admin's window. */
static bool usecs_in_caps(uint32_t u)
{
	return !u || (u >= cap.min_usecs && u <= cap.max_usecs);
}

/* The options of every fuzzer, first in its getopt_long() table. */
#define FZ_OPTIONS							\
	{ "seed", required_argument, NULL, 's' },			\
	{ "count", required_argument, NULL, 'n' },			\
	{ "verbose", no_argument, NULL, 'v' }

/*
 * One of FZ_OPTIONS (--seed N, --count N into *@count, -v): true if
 * @o was one of them.
 */
static bool fz_option(int o, unsigned long *count)
{
	switch (o) {
	case 's':
		seed = strtoull(optarg, NULL, 0);
		have_seed = true;
		return true;
	case 'n':
		*count = strtoul(optarg, NULL, 0);
		return true;
	case 'v':
		verbose = true;
		return true;
	}
	return false;
}

/* Seed the PRNG (the --seed given, else a fresh seed); the TAP header. */
static void fz_begin(void)
{
	if (!have_seed)
		seed = fz_fresh_seed();
	fz_seed(seed);
	printf("TAP version 13\n");
}

/*
 * Record one check of property @p; the first failures in detail.
 * Returns @cond.
 */
static bool __attribute__((format(printf, 3, 4)))
expect(int p, bool cond, const char *fmt, ...)
{
	va_list ap;

	res.checked[p]++;
	if (cond)
		return true;
	res.failed[p]++;
	if (shown++ < FZ_SHOWN_MAX) {
		printf("# FAIL step %lu (seed %" PRIu64 "): ", step,
		       seed);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
		fflush(stdout);
	}
	return false;
}

/*
 * TAP line @n for property @p named @name: not ok if a check failed or
 * none ran (a property never checked proves nothing). True if ok.
 */
static bool fz_tap_line(int n, int p, const char *name)
{
	if (res.failed[p] || !res.checked[p]) {
		printf("not ok %d %s (%" PRIu64 " of %" PRIu64 " checks failed)\n",
		       n, name, res.failed[p], res.checked[p]);
		return false;
	}
	printf("ok %d %s (%" PRIu64 " checks)\n", n, name, res.checked[p]);
	return true;
}

#endif /* _FUZZ_COMMON_H */
