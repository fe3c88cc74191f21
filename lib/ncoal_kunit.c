// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the notification coalescing engine (lib/ncoal.c), with
 * a fake clock: the engine takes the time from its caller, so a test
 * passes the nanoseconds it wants and a fake timer where one is needed.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/ncoal.h>
#include <linux/string.h>

#define US	1000ULL
#define MS	1000000ULL
#define SEC	1000000000ULL

static const struct ncoal_limits lim = {
	.max_usecs = 10000,
	.max_frames = 1024,
	.min_interval_ms = 1,
	.max_interval_ms = 10000,
	.max_rate_threshold = 100000000,
};

static struct ncoal_params mkp(u32 usecs, u32 max_frames, u32 thr, u32 ival)
{
	struct ncoal_params p = {
		.usecs = usecs,
		.max_frames = max_frames,
		.rate_threshold = thr,
		.rate_interval_ms = ival,
	};

	return p;
}

static void init(struct ncoal *c, u32 usecs, u32 max_frames, u32 thr,
		 u32 ival, u64 now)
{
	struct ncoal_params p = mkp(usecs, max_frames, thr, ival);

	ncoal_init(c, &p, now);
}

static bool set(struct ncoal *c, u32 usecs, u32 max_frames, u32 thr,
		u32 ival)
{
	struct ncoal_params p = mkp(usecs, max_frames, thr, ival);

	return ncoal_set_params(c, &p);
}

/* xorshift64*: reproducible pseudo random numbers (cases run one by one) */
static u64 rng_state;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* uniform in [lo, hi] */
static u64 rnd_range(u64 lo, u64 hi)
{
	u64 rem;

	div64_u64_rem(rnd(), hi - lo + 1, &rem);
	return lo + rem;
}

/* ------------------------------------------------------------------ */

static void ncoal_test_off_every_due_sends(struct kunit *test)
{
	const struct ncoal_stats *s;
	u64 t, frames = 0;
	struct ncoal c;
	int i;

	init(&c, 0, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_OFF);
	/* 1 frame every 10 us: 100000 pps */
	for (i = 0; i < 3000; i++) {
		t = i * 10 * US;
		KUNIT_EXPECT_EQ(test, ncoal_due(&c, t, 1 + i % 3), NCOAL_SEND);
		frames += 1 + i % 3;
		KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	}
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_OFF);
	KUNIT_EXPECT_EQ(test, s->due, 3000);
	KUNIT_EXPECT_EQ(test, s->sent, 3000);
	KUNIT_EXPECT_EQ(test, s->packets, frames);
	KUNIT_EXPECT_EQ(test, s->deferred, 0);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 0);
	KUNIT_EXPECT_EQ(test, s->timer_fires, 0);
	KUNIT_EXPECT_EQ(test, s->activations, 0);
	KUNIT_EXPECT_EQ(test, s->deactivations, 0);
	/* the rate is still measured: 2000 frames per 10 ms window */
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 200000);
	KUNIT_EXPECT_FALSE(test, ncoal_timer_expired(&c));
}

static void ncoal_test_max_frames_one_is_off(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;
	int i;

	init(&c, 100, 1, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_OFF);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, ncoal_due(&c, i * US, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, s->sent, 100);
	KUNIT_EXPECT_EQ(test, s->deferred, 0);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 0);
}

static void ncoal_test_threshold_zero_always_active(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 8, 0, 10, 5 * SEC);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 100 * US);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 5 * SEC, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 5 * SEC + US, 1), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 2);
	/* a long idle gap does not close a gate without threshold */
	KUNIT_EXPECT_TRUE(test, ncoal_timer_expired(&c));
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 100 * SEC, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	/* initial state is not a transition */
	KUNIT_EXPECT_EQ(test, s->activations, 0);
	KUNIT_EXPECT_EQ(test, s->deactivations, 0);
	KUNIT_EXPECT_EQ(test, s->deferred, 3);
}

static void ncoal_test_below_threshold_no_deferral(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;
	int i;

	init(&c, 100, 64, 100000, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	/* 1 frame every 20 us: 50000 pps for 1 s */
	for (i = 0; i < 50000; i++)
		KUNIT_EXPECT_EQ(test, ncoal_due(&c, i * 20 * US, 1),
				NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 50000);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, s->deferred, 0);
	KUNIT_EXPECT_EQ(test, s->sent, 50000);
	KUNIT_EXPECT_EQ(test, s->activations, 0);
}

static void ncoal_test_crossing_up_activates_after_interval(struct kunit *test)
{
	const struct ncoal_stats *s;
	int i, first = -1;
	enum ncoal_action a;
	struct ncoal c;

	init(&c, 50, 1000, 100000, 10, 0);
	s = ncoal_read_stats(&c);
	/* 1 frame per us: 1e6 pps; the window closes at t = 10 ms */
	for (i = 0; i <= 10005; i++) {
		a = ncoal_due(&c, i * US, 1);
		if (a != NCOAL_SEND && first < 0)
			first = i;
		if (i == 10000)
			KUNIT_EXPECT_EQ(test, a, NCOAL_ARM);
		if (i > 10000)
			KUNIT_EXPECT_EQ(test, a, NCOAL_HOLD);
	}
	KUNIT_EXPECT_EQ(test, first, 10000);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 1000000);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	KUNIT_EXPECT_EQ(test, s->activations, 1);
	KUNIT_EXPECT_EQ(test, s->deferred, 6);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 6);
}

static void ncoal_test_sample_before_adding_frames(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	/* 1 s windows: the rate is the frame count of the last window */
	init(&c, 100, 1000, 1000, 1000, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 999), NCOAL_SEND);
	/* closes a window of 999 pps: these 5000 frames do not count yet */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC, 5000), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 999);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * SEC, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 5000);
	KUNIT_EXPECT_EQ(test, s->activations, 1);
}

static void ncoal_test_hysteresis_keeps_state_in_band(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	/* thr 80000 pps, band [70000, 80000), 1 s windows */
	init(&c, 100, 1000, 80000, 1000, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 79999);
	ncoal_due(&c, 1 * SEC, 75000);	/* rate 79999: stays idle */
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 79999);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	ncoal_due(&c, 2 * SEC, 80000);	/* rate 75000: in band, idle */
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	ncoal_due(&c, 3 * SEC, 75000);	/* rate 80000: activates */
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	ncoal_due(&c, 4 * SEC, 70000);	/* rate 75000: in band, active */
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	ncoal_due(&c, 5 * SEC, 1);	/* rate 70000 = 7/8 thr: active */
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 70000);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	KUNIT_EXPECT_EQ(test, s->activations, 1);
	KUNIT_EXPECT_EQ(test, s->deactivations, 0);
}

static void ncoal_test_hysteresis_deactivates_below_band(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 1000, 80000, 1000, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 80000);
	ncoal_due(&c, 1 * SEC, 69999);	/* rate 80000: activates */
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	/* rate 69999 < 7/8 thr: closes before deciding on this frame */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * SEC, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, s->activations, 1);
	KUNIT_EXPECT_EQ(test, s->deactivations, 1);
	KUNIT_EXPECT_EQ(test, s->deferred, 0);
}

static void ncoal_test_frame_bound_flush(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;
	int i;

	init(&c, 1000, 8, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	for (i = 1; i < 7; i++)
		KUNIT_EXPECT_EQ(test, ncoal_due(&c, i * US, 1), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 7);
	/* 8th frame */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 7 * US, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 1);
	KUNIT_EXPECT_EQ(test, s->sent, 1);
	KUNIT_EXPECT_EQ(test, s->deferred, 7);
	/* several frames at once: 3 pending + 5 >= 8 */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 8 * US, 3), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 9 * US, 5), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 2);
	/* one due larger than the bound */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 10 * US, 100), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 3);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
}

static void ncoal_test_stale_timer_after_frame_flush(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 4, 0, 10, 0);
	s = ncoal_read_stats(&c);
	/* timer: 100 us */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 3), NCOAL_SEND);
	/* the timer is still queued: holds rely on it, no re-arm */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * US, 1), NCOAL_HOLD);
	/* it fires at 100 us: early for that frame, fine */
	KUNIT_EXPECT_TRUE(test, ncoal_timer_expired(&c));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, s->timer_fires, 1);
	KUNIT_EXPECT_EQ(test, s->sent, 2);
	/* a second frame flush, then a stale expiry finding nothing */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 200 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 201 * US, 3), NCOAL_SEND);
	KUNIT_EXPECT_FALSE(test, ncoal_timer_expired(&c));
	KUNIT_EXPECT_EQ(test, s->timer_fires, 1);
	KUNIT_EXPECT_EQ(test, s->sent, 3);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 400 * US, 1), NCOAL_ARM);
}

static void ncoal_test_timer_expiry_flushes(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 2), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 100 * US);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 10 * US, 1), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 50 * US, 3), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 6);
	KUNIT_EXPECT_TRUE(test, ncoal_timer_expired(&c));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, s->timer_fires, 1);
	KUNIT_EXPECT_EQ(test, s->sent, 1);
	KUNIT_EXPECT_EQ(test, s->deferred, 3);
	KUNIT_EXPECT_EQ(test, s->due, 3);
	KUNIT_EXPECT_EQ(test, s->packets, 6);
	/* nothing pending: no-op, counters unchanged */
	KUNIT_EXPECT_FALSE(test, ncoal_timer_expired(&c));
	KUNIT_EXPECT_EQ(test, s->timer_fires, 1);
	KUNIT_EXPECT_EQ(test, s->sent, 1);
	/* next held frame arms a new timer */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 300 * US, 1), NCOAL_ARM);
}

static void ncoal_test_hold_never_rearms(struct kunit *test)
{
	const struct ncoal_stats *s;
	int i, arms = 0, holds = 0;
	enum ncoal_action a;
	struct ncoal c;

	init(&c, 1000, 1000, 0, 10, 0);
	s = ncoal_read_stats(&c);
	for (i = 0; i < 500; i++) {
		a = ncoal_due(&c, i * US, 1);
		arms += a == NCOAL_ARM;
		holds += a == NCOAL_HOLD;
	}
	KUNIT_EXPECT_EQ(test, arms, 1);
	KUNIT_EXPECT_EQ(test, holds, 499);
	KUNIT_EXPECT_EQ(test, s->sent, 0);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 500);
}

/*
 * Simulation of a caller: fake clock, a fake hrtimer that fires at its
 * deadline plus a random slack, random traffic in phases (bursts, medium
 * rate, slow, idle gaps), random reconfiguration and flushes.  A model of
 * the held frames checks the bound, the coverage of every frame and the
 * counter identities.
 */
struct sim {
	struct kunit *test;
	struct ncoal c;
	u64 now;
	bool tq;		/* fake timer queued */
	u64 tdl;		/* its expiry time */
	u64 slack;		/* max timer slack */
	u32 pend;		/* model: frames held */
	u64 first;		/* model: time of the first held frame */
	u64 bound;		/* model: delay in force when it was held */
	u64 frames_due, frames_covered;
	u64 sends, fires, forced, deferred;
	u64 max_wait;
};

static void sim_cover(struct sim *m)
{
	u64 wait;

	if (!m->pend)
		return;
	wait = m->now - m->first;
	if (wait > m->max_wait)
		m->max_wait = wait;
	KUNIT_ASSERT_LE_MSG(m->test, wait, m->bound + m->slack,
			    "frame held %llu ns, bound %llu + %llu", wait,
			    m->bound, m->slack);
	m->frames_covered += m->pend;
	m->pend = 0;
}

static void sim_fire(struct sim *m)
{
	m->now = m->tdl;
	m->tq = false;
	if (ncoal_timer_expired(&m->c)) {
		m->fires++;
		sim_cover(m);
	} else {
		KUNIT_ASSERT_EQ(m->test, m->pend, 0);
	}
	KUNIT_ASSERT_EQ(m->test, ncoal_pending(&m->c), 0);
}

static void sim_advance(struct sim *m, u64 to)
{
	while (m->tq && m->tdl <= to)
		sim_fire(m);
	m->now = to;
}

static void sim_due(struct sim *m, u32 frames)
{
	u32 f = frames ? frames : 1;
	enum ncoal_action a;

	a = ncoal_due(&m->c, m->now, frames);
	m->frames_due += f;
	switch (a) {
	case NCOAL_SEND:
		m->sends++;
		sim_cover(m);			/* held frames, if any */
		m->frames_covered += f;		/* and these, not held */
		KUNIT_ASSERT_EQ(m->test, ncoal_pending(&m->c), 0);
		return;
	case NCOAL_ARM:
		/* armed only at the first frame */
		KUNIT_ASSERT_EQ(m->test, m->pend, 0);
		m->tq = true;		/* hrtimer_start() (re)queues */
		m->tdl = m->now + ncoal_delay_ns(&m->c) +
			 rnd_range(0, m->slack);
		break;
	case NCOAL_HOLD:
		KUNIT_ASSERT_TRUE(m->test, m->tq);
		break;
	default:
		KUNIT_FAIL(m->test, "unexpected action");
		return;
	}
	m->deferred++;
	if (!m->pend) {
		m->first = m->now;
		m->bound = ncoal_delay_ns(&m->c);
	}
	m->pend += f;
	KUNIT_ASSERT_EQ(m->test, ncoal_pending(&m->c), m->pend);
	KUNIT_ASSERT_LT(m->test, m->pend, m->c.params.max_frames);
	/* the timer covering held frames expires within their bound */
	KUNIT_ASSERT_LE(m->test, m->tdl, m->first + m->bound + m->slack);
}

static void sim_check_counters(struct sim *m)
{
	const struct ncoal_stats *s = ncoal_read_stats(&m->c);

	KUNIT_ASSERT_EQ(m->test, s->packets, m->frames_due);
	KUNIT_ASSERT_EQ(m->test, s->deferred, m->deferred);
	KUNIT_ASSERT_EQ(m->test, s->timer_fires, m->fires);
	KUNIT_ASSERT_EQ(m->test, s->sent, m->sends + m->fires + m->forced);
	KUNIT_ASSERT_EQ(m->test,
			s->due - s->deferred + s->timer_fires + m->forced,
			s->sent);
	KUNIT_ASSERT_LE(m->test, s->sent, s->due);
	KUNIT_ASSERT_LE(m->test, s->frame_flushes, s->due - s->deferred);
	KUNIT_ASSERT_EQ(m->test, m->frames_due - m->frames_covered, m->pend);
}

static struct ncoal_params sim_rand_params(void)
{
	struct ncoal_params p;

	do {
		p = mkp(rnd_range(0, 6) ? rnd_range(1, 500) : 0,
			rnd_range(0, 64),
			rnd_range(0, 3) ? rnd_range(1, 400000) : 0,
			rnd_range(1, 50));
	} while (ncoal_params_validate(&p, &lim));
	return p;
}

static void sim_run(struct kunit *test, u64 seed, int events,
		    bool reconfigure, struct ncoal_stats *tot)
{
	struct sim m = { .test = test };
	const struct ncoal_stats *s;
	int i, phase = 0, left = 0;
	struct ncoal_params p;
	u64 gap;

	rng_state = seed;
	m.now = rnd_range(0, 1ULL << 40);
	m.slack = rnd_range(0, 1) ? rnd_range(0, 50 * US) : 0;
	p = mkp(rnd_range(10, 500), rnd_range(2, 64),
		rnd_range(0, 3) ? rnd_range(1000, 400000) : 0,
		rnd_range(1, 20));
	ncoal_init(&m.c, &p, m.now);
	s = ncoal_read_stats(&m.c);

	for (i = 0; i < events; i++) {
		if (!left--) {
			phase = rnd_range(0, 9);
			left = rnd_range(10, 2000);
		}
		switch (phase) {
		case 0 ... 3:	/* burst */
			gap = rnd_range(0, 3 * US);
			break;
		case 4 ... 6:	/* medium */
			gap = rnd_range(5 * US, 60 * US);
			break;
		case 7 ... 8:	/* slow */
			gap = rnd_range(100 * US, 3 * MS);
			break;
		default:	/* idle gaps */
			gap = rnd_range(1 * MS, 2 * SEC);
			break;
		}
		sim_advance(&m, m.now + gap);
		sim_due(&m, rnd_range(0, 9) ? rnd_range(1, 4) :
			rnd_range(0, 80));
		if (reconfigure && !rnd_range(0, 1999)) {
			p = sim_rand_params();
			if (ncoal_set_params(&m.c, &p)) {
				m.forced++;
				sim_cover(&m);
			}
			KUNIT_ASSERT_EQ(test, ncoal_pending(&m.c), m.pend);
		}
		if (reconfigure && !rnd_range(0, 4999)) {
			if (ncoal_flush(&m.c)) {
				m.forced++;
				sim_cover(&m);
			}
			if (rnd_range(0, 1))	/* caller cancels its timer */
				m.tq = false;
		}
		if (!(i % 256))
			sim_check_counters(&m);
	}
	/* final: let the timer expire, then force out anything left */
	if (m.tq)
		sim_advance(&m, m.tdl);
	if (ncoal_flush(&m.c)) {
		m.forced++;
		sim_cover(&m);
	}
	sim_check_counters(&m);
	KUNIT_ASSERT_EQ(test, ncoal_pending(&m.c), 0);
	KUNIT_ASSERT_EQ(test, m.pend, 0);
	KUNIT_ASSERT_EQ(test, m.frames_covered, m.frames_due);
	KUNIT_ASSERT_EQ(test, s->due, events);

	tot->due += s->due;
	tot->deferred += s->deferred;
	tot->timer_fires += s->timer_fires;
	tot->frame_flushes += s->frame_flushes;
	tot->activations += s->activations;
	tot->deactivations += s->deactivations;
}

static void ncoal_test_random_bound_simulation(struct kunit *test)
{
	struct ncoal_stats tot = { };
	u64 seed;

	for (seed = 1; seed <= 40; seed++)
		sim_run(test, seed * 0x9e3779b97f4a7c15ULL, 20000, false, &tot);
	/* the simulation exercised every path */
	KUNIT_EXPECT_GT(test, tot.deferred, div_u64(tot.due, 10));
	KUNIT_EXPECT_GT(test, tot.timer_fires, 1000);
	KUNIT_EXPECT_GT(test, tot.frame_flushes, 1000);
	KUNIT_EXPECT_GT(test, tot.activations, 10);
	KUNIT_EXPECT_GT(test, tot.deactivations, 10);
}

static void ncoal_test_random_invariants_with_reconfig(struct kunit *test)
{
	struct ncoal_stats tot = { };
	u64 seed;

	for (seed = 1; seed <= 40; seed++)
		sim_run(test, seed * 0xd1b54a32d192ed03ULL, 20000, true, &tot);
	KUNIT_EXPECT_GT(test, tot.deferred, div_u64(tot.due, 10));
	KUNIT_EXPECT_GT(test, tot.timer_fires, 1000);
}

static void ncoal_test_idle_gap_switches_off_first(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;
	u64 t;
	int i;

	init(&c, 100, 64, 100000, 10, 0);
	s = ncoal_read_stats(&c);
	/* 1e6 pps for 25 ms, the caller's timer firing every 100 us */
	for (i = 0; i < 25000; i++) {
		ncoal_due(&c, i * US, 1);
		if (i % 100 == 99)
			ncoal_timer_expired(&c);
	}
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	ncoal_timer_expired(&c);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	/* window open since 20 ms holds 5000 frames; 1 s idle */
	t = 24999 * US + SEC;
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, t, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c),
			div64_u64(5000ULL * SEC, t - 20 * MS));
	KUNIT_EXPECT_EQ(test, s->deactivations, 1);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, t + US, 1), NCOAL_SEND);
}

static void ncoal_test_gate_close_sends_pending(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 64, 1000, 10, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 100);
	/* 10000 pps */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 10 * MS, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 10 * MS + US, 2), NCOAL_HOLD);
	/* the timer's work is late; a low-rate window closes the gate */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 50 * MS, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, s->sent, 2);
	KUNIT_EXPECT_EQ(test, s->deferred, 2);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 0);
	KUNIT_EXPECT_EQ(test, s->deactivations, 1);
	KUNIT_EXPECT_FALSE(test, ncoal_timer_expired(&c));
}

static void ncoal_test_set_params_off_with_pending(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 1);
	ncoal_due(&c, US, 2);
	KUNIT_EXPECT_TRUE(test, set(&c, 0, 64, 0, 10));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_OFF);
	KUNIT_EXPECT_EQ(test, s->sent, 1);
	KUNIT_EXPECT_EQ(test, s->deactivations, 1);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * US, 1), NCOAL_SEND);
	/* the stale timer */
	KUNIT_EXPECT_FALSE(test, ncoal_timer_expired(&c));
	/* max_frames 1 is off too */
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 64, 0, 10));
	KUNIT_EXPECT_EQ(test, s->activations, 1);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 3 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_TRUE(test, set(&c, 100, 1, 0, 10));
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_OFF);
	KUNIT_EXPECT_EQ(test, s->deactivations, 2);
	/* nothing pending: nothing to send */
	KUNIT_EXPECT_FALSE(test, set(&c, 0, 0, 0, 0));
}

static void ncoal_test_set_params_usecs_change(struct kunit *test)
{
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	ncoal_due(&c, 0, 1);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 1), NCOAL_HOLD);
	/* the queued timer no longer matches: flush, re-arm next time */
	KUNIT_EXPECT_TRUE(test, set(&c, 50, 64, 0, 10));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 50 * US);
	/* same after a frame flush left the timer armed and nothing held */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 3 * US, 63), NCOAL_SEND);
	KUNIT_EXPECT_FALSE(test, set(&c, 20, 64, 0, 10));
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 4 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 20 * US);
}

static void ncoal_test_set_params_max_frames(struct kunit *test)
{
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	ncoal_due(&c, 0, 5);
	/* bound already reached */
	KUNIT_EXPECT_TRUE(test, set(&c, 100, 5, 0, 10));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 5), NCOAL_SEND);
	/* not reached: kept, the next frame reaches it */
	init(&c, 100, 64, 0, 10, 0);
	ncoal_due(&c, 0, 5);
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 6, 0, 10));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 5);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_read_stats(&c)->frame_flushes, 1);
}

static void ncoal_test_set_params_compatible_keeps_pending(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 3);
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 128, 0, 20));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 3);
	/* timer kept */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 1), NCOAL_HOLD);
	KUNIT_EXPECT_TRUE(test, ncoal_timer_expired(&c));
	KUNIT_EXPECT_EQ(test, s->sent, 1);
	KUNIT_EXPECT_EQ(test, s->activations, 0);
	KUNIT_EXPECT_EQ(test, s->deactivations, 0);
}

static void ncoal_test_set_params_threshold_reevaluates(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 64, 100000, 1000, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 50000);
	/* rate 50000 */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 64, 40000, 1000));
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	KUNIT_EXPECT_EQ(test, s->activations, 1);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC + US, 1), NCOAL_ARM);
	/* threshold 0: stays active, frames kept */
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 64, 0, 1000));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 1);
	/* above the rate: closes, pending frames sent */
	KUNIT_EXPECT_TRUE(test, set(&c, 100, 64, 1000000, 1000));
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, s->deactivations, 1);
	/* raising it within the hysteresis band keeps it active */
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 64, 50000, 1000));
	/* 7/8 * 57142 = 50000 */
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 64, 57142, 1000));
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	/* 50002 > 50000 */
	KUNIT_EXPECT_FALSE(test, set(&c, 100, 64, 57145, 1000));
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
}

static void ncoal_test_validate_einval(struct kunit *test)
{
	struct ncoal_params p;

	p = mkp(10, 0, 0, 10);		/* max_frames 0 */
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -EINVAL);
	p = mkp(10, 8, 0, 0);		/* interval 0 */
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -EINVAL);
	p = mkp(10, 8, 1000, 4);
	{
		struct ncoal_limits l = lim;

		l.min_interval_ms = 5;	/* below the minimum: -ERANGE */
		KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &l), -ERANGE);
		p.rate_interval_ms = 5;
		KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &l), 0);
		p.usecs = 0;		/* off: the minimum does not apply */
		p.rate_interval_ms = 4;
		KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &l), 0);
	}
	/* -EINVAL takes precedence over -ERANGE */
	p = mkp(lim.max_usecs + 1, 0, 0, 10);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -EINVAL);
}

static void ncoal_test_validate_erange(struct kunit *test)
{
	struct ncoal_params p;

	p = mkp(lim.max_usecs + 1, 8, 0, 10);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
	p = mkp(10, lim.max_frames + 1, 0, 10);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
	p = mkp(10, 8, lim.max_rate_threshold + 1, 10);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
	p = mkp(10, 8, 0, lim.max_interval_ms + 1);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
	p = mkp(U32_MAX, U32_MAX, U32_MAX, U32_MAX);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
	/* caps apply with coalescing off too */
	p = mkp(0, lim.max_frames + 1, 0, 10);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
	p = mkp(0, 8, 0, lim.max_interval_ms + 1);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), -ERANGE);
}

static void ncoal_test_validate_boundaries_pass(struct kunit *test)
{
	struct ncoal_params p;

	p = mkp(lim.max_usecs, lim.max_frames, lim.max_rate_threshold,
		lim.max_interval_ms);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), 0);
	p = mkp(1, 1, 0, lim.min_interval_ms);
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), 0);
	p = mkp(0, 0, 0, 0);		/* all zero: off */
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), 0);
	p = mkp(0, 64, 1000, 0);	/* off: interval not required */
	KUNIT_EXPECT_EQ(test, ncoal_params_validate(&p, &lim), 0);
}

static void ncoal_test_counters_add_up(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 4, 0, 10, 0);
	s = ncoal_read_stats(&c);
	ncoal_due(&c, 0, 1);		/* ARM */
	ncoal_due(&c, US, 1);		/* HOLD */
	ncoal_due(&c, 2 * US, 2);	/* SEND, frame flush */
	ncoal_due(&c, 3 * US, 1);	/* HOLD (stale timer) */
	ncoal_timer_expired(&c);	/* sent */
	ncoal_due(&c, 200 * US, 1);	/* ARM */
	ncoal_flush(&c);		/* sent, forced */
	ncoal_due(&c, 300 * US, 1);	/* ARM */
	set(&c, 0, 4, 0, 10);		/* sent, forced; off */
	ncoal_due(&c, 400 * US, 1);	/* SEND */
	KUNIT_EXPECT_EQ(test, s->packets, 8);
	KUNIT_EXPECT_EQ(test, s->due, 7);
	KUNIT_EXPECT_EQ(test, s->deferred, 5);
	KUNIT_EXPECT_EQ(test, s->sent, 5);
	KUNIT_EXPECT_EQ(test, s->timer_fires, 1);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 1);
	KUNIT_EXPECT_EQ(test, s->due - s->deferred + s->timer_fires + 2,
			s->sent);
	KUNIT_EXPECT_LE(test, s->sent, s->due);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_FALSE(test, ncoal_flush(&c));
	KUNIT_EXPECT_EQ(test, s->sent, 5);
}

static void ncoal_test_flush(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_FALSE(test, ncoal_flush(&c));
	ncoal_due(&c, 0, 1);
	ncoal_due(&c, US, 1);
	KUNIT_EXPECT_TRUE(test, ncoal_flush(&c));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, s->sent, 1);
	KUNIT_EXPECT_EQ(test, s->timer_fires, 0);
	/* the timer was forgotten: the next held frame arms again */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
}

static void ncoal_test_init_resets(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;
	int i;

	init(&c, 100, 64, 1000, 10, 0);
	for (i = 0; i < 100000; i++)
		ncoal_due(&c, i * US, 1);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	init(&c, 100, 64, 1000, 10, SEC);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 0);
	KUNIT_EXPECT_EQ(test, s->packets + s->due + s->sent + s->deferred +
		 s->timer_fires + s->frame_flushes + s->activations +
		 s->deactivations, 0);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC, 1), NCOAL_SEND);
}

static void ncoal_test_frames_zero_counts_as_one(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 100, 2, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 0), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 1);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 0), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, s->packets, 2);
}

/* Rate of a window of @pkts frames closed @elapsed ns after its start. */
static u32 rate_of(u64 pkts, u64 elapsed)
{
	struct ncoal c;

	init(&c, 0, 0, 0, 0, 0);	/* interval 0: every call samples */
	c.win_pkts = pkts;
	ncoal_due(&c, elapsed, 1);
	return ncoal_rate(&c);
}

static void ncoal_test_overflow_huge_counts(struct kunit *test)
{
	struct ncoal c;

	/* exact where pkts * 1e9 overflows 64 bits */
	KUNIT_EXPECT_EQ(test, rate_of(1ULL << 63, 1ULL << 62), 2000000000);
	KUNIT_EXPECT_EQ(test, rate_of(1000000000000ULL, 1000 * SEC),
			1000000000);
	KUNIT_EXPECT_EQ(test, rate_of(U64_MAX, U64_MAX - 1), 1000000000);
	KUNIT_EXPECT_EQ(test, rate_of(U64_MAX / 3, U64_MAX / 2), 666666666);
	/* saturation at U32_MAX, around the fast-path limit of 5/ns */
	KUNIT_EXPECT_EQ(test, rate_of(U32_MAX - 1ULL, SEC), U32_MAX - 1);
	KUNIT_EXPECT_EQ(test, rate_of(U32_MAX, SEC), U32_MAX);
	KUNIT_EXPECT_EQ(test, rate_of(U32_MAX + 1ULL, SEC), U32_MAX);
	KUNIT_EXPECT_EQ(test, rate_of(5 * SEC - 1, SEC), U32_MAX);
	KUNIT_EXPECT_EQ(test, rate_of(5 * SEC, SEC), U32_MAX);
	KUNIT_EXPECT_EQ(test, rate_of(U64_MAX, 1 * MS), U32_MAX);
	KUNIT_EXPECT_EQ(test, rate_of(U64_MAX, 1), U32_MAX);

	/* the window frame count saturates instead of wrapping */
	init(&c, 0, 0, 0, 1, 0);
	c.win_pkts = U64_MAX - 2;
	ncoal_due(&c, 0, U32_MAX);
	KUNIT_EXPECT_EQ(test, c.win_pkts, U64_MAX);
	ncoal_due(&c, MS, 1);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), U32_MAX);
	/* cumulative counters wrap at 2^64, as documented */
	c.stats.packets = U64_MAX;
	ncoal_due(&c, MS, 2);
	KUNIT_EXPECT_EQ(test, c.stats.packets, 1);

	/* pending + frames does not wrap with max_frames at U32_MAX */
	init(&c, 100, U32_MAX, 0, 10, 0);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, U32_MAX - 2), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), U32_MAX - 2);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 1, 1), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2, U32_MAX), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_read_stats(&c)->frame_flushes, 1);
	KUNIT_EXPECT_EQ(test, ncoal_read_stats(&c)->packets,
			2 * (u64)U32_MAX - 1);
}

static void ncoal_test_overflow_huge_elapsed(struct kunit *test)
{
	struct ncoal c;
	int i;

	/* active at 1e6 pps, then the clock jumps to its end */
	init(&c, 100, 64, 1000, 10, 0);
	for (i = 0; i < 20000; i++) {
		ncoal_due(&c, i * US, 1);
		if (i % 50 == 49)
			ncoal_timer_expired(&c);
	}
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, U64_MAX, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_IDLE);

	/* the longest interval and a window starting near the end */
	init(&c, 100, 64, 1, U32_MAX, U64_MAX - 2 * SEC);
	ncoal_due(&c, U64_MAX - 2 * SEC, 10);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, U64_MAX, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 0);	/* window still open */
	init(&c, 100, 64, 1, 1, U64_MAX - 2 * SEC);
	ncoal_due(&c, U64_MAX - 2 * SEC, 10);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, U64_MAX, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 5);

	/* a clock that does not move, or moves back: no division by 0 */
	init(&c, 0, 0, 0, 0, SEC);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC - 1, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC + 1, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_rate(&c), U32_MAX);	/* 11 frames in 1 ns */
}

/* ------------------------------------------------------------------ */
/* Profiles and the end-of-burst gap */

static bool set_prof(struct ncoal *c, u32 usecs, u32 frames, u32 gap)
{
	struct ncoal_profile pr = {
		.usecs = usecs, .frames = frames, .gap_usecs = gap,
	};

	return ncoal_set_profile(c, &pr);
}

/*
 * A caller with a fake timer: notifications, the oldest held frame's
 * wait, and the limit it had when it was first held.
 */
struct psim {
	struct ncoal c;
	bool timer_on;
	u64 timer_at;
	u64 oldest;
	u64 limit;
	u64 worst;
	u64 sent;
	bool over;
};

static void psim_notify(struct psim *s, u64 now)
{
	s->sent++;
	if (now - s->oldest > s->worst)
		s->worst = now - s->oldest;
	if (now - s->oldest > s->limit)
		s->over = true;
}

static void psim_due(struct psim *s, u64 now, u32 frames)
{
	u32 before = ncoal_pending(&s->c);
	struct ncoal_profile pr;

	ncoal_get_profile(&s->c, &pr);
	switch (ncoal_due(&s->c, now, frames)) {
	case NCOAL_SEND:
		if (before)
			psim_notify(s, now);
		else
			s->sent++;
		return;
	case NCOAL_ARM:
		s->timer_on = true;
		s->timer_at = now + ncoal_delay_ns(&s->c);
		break;
	case NCOAL_HOLD:
		break;
	}
	if (!before) {
		s->oldest = now;
		s->limit = (u64)pr.usecs * US;
	}
}

/* Run the fake timer up to @until. */
static void psim_run(struct psim *s, u64 until)
{
	u64 now;

	while (s->timer_on && s->timer_at <= until) {
		now = s->timer_at;
		s->timer_on = false;
		switch (ncoal_timer_expired_at(&s->c, now)) {
		case NCOAL_SEND:
			psim_notify(s, now);
			break;
		case NCOAL_ARM:
			s->timer_on = true;
			s->timer_at = now + ncoal_delay_ns(&s->c);
			break;
		case NCOAL_HOLD:
			break;
		}
	}
}

static void ncoal_test_profile_default_is_bound(struct kunit *test)
{
	struct ncoal_profile pr;
	struct ncoal c;

	init(&c, 300, 16, 0, 10, 0);
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.usecs, 300);
	KUNIT_EXPECT_EQ(test, pr.frames, 16);
	KUNIT_EXPECT_EQ(test, pr.gap_usecs, 0);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 300 * US);
	/* above the bound: the bound */
	KUNIT_EXPECT_FALSE(test, set_prof(&c, 5000, 5000, 0));
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.usecs, 300);
	KUNIT_EXPECT_EQ(test, pr.frames, 16);
	/* below: the profile; a new ARM uses it */
	KUNIT_EXPECT_FALSE(test, set_prof(&c, 40, 4, 0));
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 40 * US);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, US, 2), NCOAL_HOLD);
	/* 4 frames */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 2 * US, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_read_stats(&c)->frame_flushes, 1);
	/* a lower parameter bounds the profile again */
	KUNIT_EXPECT_FALSE(test, set(&c, 20, 16, 0, 10));
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.usecs, 20);
	KUNIT_EXPECT_EQ(test, pr.frames, 4);
	/* ncoal_init() forgets the profile */
	init(&c, 300, 16, 0, 10, 0);
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.usecs, 300);
}

static void ncoal_test_profile_zero_holds_nothing(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal_profile pr;
	struct ncoal c;
	int i;

	init(&c, 500, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_FALSE(test, set_prof(&c, 0, NCOAL_PROFILE_BOUND, 0));
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, ncoal_due(&c, i * US, 1), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, s->sent, 100);
	KUNIT_EXPECT_EQ(test, s->deferred, 0);
	KUNIT_EXPECT_EQ(test, s->frame_flushes, 0);
	/* the gate is the parameters': still active */
	KUNIT_EXPECT_EQ(test, ncoal_state(&c), NCOAL_STATE_ACTIVE);
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.usecs, 0);
	KUNIT_EXPECT_EQ(test, pr.frames, 0);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 0);
	/* frames 1 holds nothing either */
	KUNIT_EXPECT_FALSE(test, set_prof(&c, NCOAL_PROFILE_BOUND, 1, 0));
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC, 1), NCOAL_SEND);
	KUNIT_EXPECT_FALSE(test, set_prof(&c, NCOAL_PROFILE_BOUND,
					  NCOAL_PROFILE_BOUND, 0));
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, SEC + US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 500 * US);
}

static void ncoal_test_profile_change_flushes_held(struct kunit *test)
{
	const struct ncoal_stats *s;
	struct ncoal c;

	init(&c, 500, 64, 0, 10, 0);
	s = ncoal_read_stats(&c);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 3), NCOAL_ARM);
	/* same delay in effect (above the bound): kept */
	KUNIT_EXPECT_FALSE(test, set_prof(&c, 600, NCOAL_PROFILE_BOUND, 0));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 3);
	/* frame bound above the pending count: kept */
	KUNIT_EXPECT_FALSE(test, set_prof(&c, 600, 8, 0));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 3);
	/* frame bound down to the pending count: sent */
	KUNIT_EXPECT_TRUE(test, set_prof(&c, 600, 3, 0));
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	/* a shorter delay: sent, timer forgotten */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 10 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_TRUE(test, set_prof(&c, 100, 8, 0));
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 20 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 100 * US);
	/* a longer one too: the timer runs for the shorter */
	KUNIT_EXPECT_TRUE(test, set_prof(&c, 400, 8, 0));
	/* a gap switched on */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 30 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_TRUE(test, set_prof(&c, 400, 8, 50));
	KUNIT_EXPECT_EQ(test, s->sent, 4);
	KUNIT_EXPECT_EQ(test, s->deferred, 4);
}

static void ncoal_test_gap_lone_frame(struct kunit *test)
{
	struct ncoal c;

	init(&c, 500, 64, 0, 10, 0);
	KUNIT_EXPECT_FALSE(test, set_prof(&c, NCOAL_PROFILE_BOUND,
					  NCOAL_PROFILE_BOUND, 50));
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 50 * US);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 50 * US);
	KUNIT_EXPECT_EQ(test, ncoal_timer_expired_at(&c, 50 * US), NCOAL_SEND);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 0);
	KUNIT_EXPECT_EQ(test, ncoal_read_stats(&c)->timer_fires, 1);
	/* a stale expiry finds nothing */
	KUNIT_EXPECT_EQ(test, ncoal_timer_expired_at(&c, 60 * US), NCOAL_HOLD);
}

static void ncoal_test_gap_restarted_by_frames(struct kunit *test)
{
	struct ncoal c;

	init(&c, 500, 64, 0, 10, 0);
	set_prof(&c, NCOAL_PROFILE_BOUND, NCOAL_PROFILE_BOUND, 50);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 30 * US, 1), NCOAL_HOLD);
	/* at 50 us the last frame is 20 us old: 30 us more */
	KUNIT_EXPECT_EQ(test, ncoal_timer_expired_at(&c, 50 * US), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 30 * US);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&c), 2);
	KUNIT_EXPECT_EQ(test, ncoal_timer_expired_at(&c, 80 * US), NCOAL_SEND);
	/* the plain expiry ignores the gap: sends at once */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 100 * US, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 110 * US, 1), NCOAL_HOLD);
	KUNIT_EXPECT_TRUE(test, ncoal_timer_expired(&c));
}

static void ncoal_test_gap_bounded_by_delay(struct kunit *test)
{
	struct psim s = { };
	u64 t;

	init(&s.c, 500, 1000, 0, 10, 0);
	set_prof(&s.c, NCOAL_PROFILE_BOUND, NCOAL_PROFILE_BOUND, 50);
	/* a frame every 10 us for 2 ms: the gap never passes */
	for (t = 0; t < 2000 * US; t += 10 * US) {
		psim_run(&s, t);
		psim_due(&s, t, 1);
	}
	psim_run(&s, 10 * SEC);
	KUNIT_EXPECT_FALSE(test, s.over);
	KUNIT_EXPECT_EQ(test, s.worst, 500 * US);
	KUNIT_EXPECT_EQ(test, s.sent, 4);
	KUNIT_EXPECT_EQ(test, ncoal_pending(&s.c), 0);
	KUNIT_EXPECT_FALSE(test, s.timer_on);
}

static void ncoal_test_gap_not_below_delay_is_off(struct kunit *test)
{
	struct ncoal_profile pr;
	struct ncoal c;

	init(&c, 100, 64, 0, 10, 0);
	set_prof(&c, NCOAL_PROFILE_BOUND, NCOAL_PROFILE_BOUND, 100);
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.gap_usecs, 0);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 100 * US);
	/* a profile delay below the gap switches it off too */
	set_prof(&c, 40, NCOAL_PROFILE_BOUND, 50);
	ncoal_get_profile(&c, &pr);
	KUNIT_EXPECT_EQ(test, pr.usecs, 40);
	KUNIT_EXPECT_EQ(test, pr.gap_usecs, 0);
}

static void ncoal_test_expired_at_stale_rearms(struct kunit *test)
{
	struct ncoal c;

	/* without a gap: a stale expiry before the delay re-arms */
	init(&c, 100, 4, 0, 10, 0);
	/* timer: 100 us */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 0, 1), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 50 * US, 3), NCOAL_SEND);
	/* timer queued */
	KUNIT_EXPECT_EQ(test, ncoal_due(&c, 60 * US, 1), NCOAL_HOLD);
	KUNIT_EXPECT_EQ(test, ncoal_timer_expired_at(&c, 100 * US), NCOAL_ARM);
	KUNIT_EXPECT_EQ(test, ncoal_delay_ns(&c), 60 * US);
	KUNIT_EXPECT_EQ(test, ncoal_timer_expired_at(&c, 160 * US), NCOAL_SEND);
}

/* Random frames, gaps and profile changes: never held past the limit. */
static void ncoal_test_random_profiles_never_late(struct kunit *test)
{
	u64 seed, t, total_sent = 0;
	struct psim s;
	int i;

	for (seed = 1; seed <= 30; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15ULL;
		memset(&s, 0, sizeof(s));
		init(&s.c, rnd_range(20, 1000), rnd_range(2, 128), 0, 10, 0);
		t = 0;
		for (i = 0; i < 20000; i++) {
			t += rnd_range(0, 3) ? rnd_range(0, 30) * US :
					       rnd_range(0, 2000) * US;
			psim_run(&s, t);
			if (!rnd_range(0, 500) &&
			    set_prof(&s.c, rnd_range(0, 1200),
				     rnd_range(0, 200), rnd_range(0, 300)))
				psim_notify(&s, t);
			if (!rnd_range(0, 2000) &&
			    set(&s.c, rnd_range(0, 1000), rnd_range(1, 128),
				0, 10))
				psim_notify(&s, t);
			psim_due(&s, t, rnd_range(1, 4));
		}
		psim_run(&s, t + 10 * SEC);
		KUNIT_EXPECT_FALSE(test, s.over);
		KUNIT_EXPECT_EQ(test, ncoal_pending(&s.c), 0);
		KUNIT_EXPECT_EQ(test, s.sent, ncoal_read_stats(&s.c)->sent);
		total_sent += s.sent;
	}
	KUNIT_EXPECT_GT(test, total_sent, 0);
}

/* The names debugfs and sysfs show, one per state; "?" outside the enum. */
static void ncoal_test_state_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, ncoal_state_name(NCOAL_STATE_OFF), "off");
	KUNIT_EXPECT_STREQ(test, ncoal_state_name(NCOAL_STATE_IDLE), "idle");
	KUNIT_EXPECT_STREQ(test, ncoal_state_name(NCOAL_STATE_ACTIVE),
			   "active");
	KUNIT_EXPECT_STREQ(test, ncoal_state_name((enum ncoal_state)3), "?");
	KUNIT_EXPECT_STREQ(test, ncoal_state_name((enum ncoal_state)-1), "?");
}

/* ------------------------------------------------------------------ */

static struct kunit_case ncoal_test_cases[] = {
	KUNIT_CASE(ncoal_test_off_every_due_sends),
	KUNIT_CASE(ncoal_test_max_frames_one_is_off),
	KUNIT_CASE(ncoal_test_threshold_zero_always_active),
	KUNIT_CASE(ncoal_test_below_threshold_no_deferral),
	KUNIT_CASE(ncoal_test_crossing_up_activates_after_interval),
	KUNIT_CASE(ncoal_test_sample_before_adding_frames),
	KUNIT_CASE(ncoal_test_hysteresis_keeps_state_in_band),
	KUNIT_CASE(ncoal_test_hysteresis_deactivates_below_band),
	KUNIT_CASE(ncoal_test_frame_bound_flush),
	KUNIT_CASE(ncoal_test_stale_timer_after_frame_flush),
	KUNIT_CASE(ncoal_test_timer_expiry_flushes),
	KUNIT_CASE(ncoal_test_hold_never_rearms),
	KUNIT_CASE(ncoal_test_random_bound_simulation),
	KUNIT_CASE(ncoal_test_random_invariants_with_reconfig),
	KUNIT_CASE(ncoal_test_idle_gap_switches_off_first),
	KUNIT_CASE(ncoal_test_gate_close_sends_pending),
	KUNIT_CASE(ncoal_test_set_params_off_with_pending),
	KUNIT_CASE(ncoal_test_set_params_usecs_change),
	KUNIT_CASE(ncoal_test_set_params_max_frames),
	KUNIT_CASE(ncoal_test_set_params_compatible_keeps_pending),
	KUNIT_CASE(ncoal_test_set_params_threshold_reevaluates),
	KUNIT_CASE(ncoal_test_validate_einval),
	KUNIT_CASE(ncoal_test_validate_erange),
	KUNIT_CASE(ncoal_test_validate_boundaries_pass),
	KUNIT_CASE(ncoal_test_counters_add_up),
	KUNIT_CASE(ncoal_test_flush),
	KUNIT_CASE(ncoal_test_init_resets),
	KUNIT_CASE(ncoal_test_frames_zero_counts_as_one),
	KUNIT_CASE(ncoal_test_overflow_huge_counts),
	KUNIT_CASE(ncoal_test_overflow_huge_elapsed),
	KUNIT_CASE(ncoal_test_profile_default_is_bound),
	KUNIT_CASE(ncoal_test_profile_zero_holds_nothing),
	KUNIT_CASE(ncoal_test_profile_change_flushes_held),
	KUNIT_CASE(ncoal_test_gap_lone_frame),
	KUNIT_CASE(ncoal_test_gap_restarted_by_frames),
	KUNIT_CASE(ncoal_test_gap_bounded_by_delay),
	KUNIT_CASE(ncoal_test_gap_not_below_delay_is_off),
	KUNIT_CASE(ncoal_test_expired_at_stale_rearms),
	KUNIT_CASE(ncoal_test_random_profiles_never_late),
	KUNIT_CASE(ncoal_test_state_names),
	{}
};

static struct kunit_suite ncoal_test_suite = {
	.name = "ncoal",
	.test_cases = ncoal_test_cases,
};

kunit_test_suite(ncoal_test_suite);

MODULE_DESCRIPTION("KUnit tests of the notification coalescing engine");
MODULE_LICENSE("GPL");
