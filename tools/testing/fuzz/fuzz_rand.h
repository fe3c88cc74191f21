/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seeded pseudo-random numbers for the fuzzers in tools/testing/fuzz:
 * the same seed gives the same sequence on every machine, so a failure
 * is replayed by passing the seed it printed.
 *
 * xorshift64* seeded through splitmix64 (a zero seed is fine).
 */
#ifndef _FUZZ_RAND_H
#define _FUZZ_RAND_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t fz_state;

static inline void fz_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	fz_state = (z ^ (z >> 31)) | 1;
}

/* A seed for runs that were not given one: time and pid. */
static inline uint64_t fz_fresh_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
}

static inline uint64_t fz_u64(void)
{
	fz_state ^= fz_state >> 12;
	fz_state ^= fz_state << 25;
	fz_state ^= fz_state >> 27;
	return fz_state * 0x2545f4914f6cdd1dULL;
}

static inline uint32_t fz_u32(void)
{
	return fz_u64() >> 32;
}

/* Uniform in [0, n), n > 0 (the bias of the modulo is irrelevant here). */
static inline uint32_t fz_below(uint32_t n)
{
	return (uint32_t)((fz_u64() >> 11) % n);
}

/* True with probability pct / 100. */
static inline int fz_chance(unsigned int pct)
{
	return fz_below(100) < pct;
}

/* One of the @n values of @v. */
static inline uint32_t fz_pick(const uint32_t *v, unsigned int n)
{
	return v[fz_below(n)];
}

#define FZ_PICK(...) ({						\
	static const uint32_t __v[] = { __VA_ARGS__ };			\
	fz_pick(__v, sizeof(__v) / sizeof(__v[0]));			\
})

/*
 * A 32-bit value that is likely to sit on a boundary: 0, 1, the
 * neighbours of each of @edges (caps, limits), the extremes, small
 * numbers, or anything.
 */
static inline uint32_t fz_edgy(const uint32_t *edges, unsigned int nedges)
{
	uint32_t e;

	switch (fz_below(8)) {
	case 0:
		return FZ_PICK(0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe,
			       0xffffffff);
	case 1:
	case 2:
		if (!nedges)
			return fz_u32();
		e = edges[fz_below(nedges)];
		return e + fz_below(3) - 1;
	case 3:
		return fz_below(16);
	case 4:
		return fz_below(5000);
	case 5:
		return fz_below(100000);
	default:
		return fz_u32();
	}
}

#endif /* _FUZZ_RAND_H */
