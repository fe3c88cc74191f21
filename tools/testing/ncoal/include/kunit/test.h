/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for the part of <kunit/test.h> that lib/ncoal_kunit.c
 * uses, so that make check runs the same test source as KUnit does (make
 * kunit), with ASan/UBSan.  A failed expectation prints and fails its
 * case; a failed assertion also ends the case, as in KUnit.  kunit_main.c
 * runs the suite.
 */
#ifndef _NCOAL_SHIM_KUNIT_TEST_H
#define _NCOAL_SHIM_KUNIT_TEST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/kernel.h>
#include <linux/types.h>

struct kunit {
	bool failed;
	jmp_buf end;		/* a failed assertion ends the case */
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)	{ .run_case = fn, .name = #fn }

extern struct kunit_suite *const kunit_shim_suite;
#define kunit_test_suite(suite) \
	struct kunit_suite *const kunit_shim_suite = &(suite)

#define KUNIT_SHIM_FAILED(test, stop) do {				\
	(test)->failed = true;						\
	if (stop)							\
		longjmp((test)->end, 1);				\
} while (0)

#define KUNIT_SHIM_BINARY(test, stop, l, op, r, fmt, ...) do {		\
	const typeof(l) __l = (l);					\
	const typeof(r) __r = (r);					\
									\
	if (!(__l op __r)) {						\
		printf("# %s:%d: expected %s %s %s, but %s == %llu, "	\
		       "%s == %llu" fmt "\n", __FILE__, __LINE__, #l,	\
		       #op, #r, #l, (unsigned long long)__l, #r,	\
		       (unsigned long long)__r, ##__VA_ARGS__);		\
		KUNIT_SHIM_FAILED(test, stop);				\
	}								\
} while (0)

#define KUNIT_SHIM_TRUE(test, stop, cond, what) do {			\
	if (!(cond) == (what)) {					\
		printf("# %s:%d: expected %s to be %s\n", __FILE__,	\
		       __LINE__, #cond, (what) ? "true" : "false");	\
		KUNIT_SHIM_FAILED(test, stop);				\
	}								\
} while (0)

#define KUNIT_SHIM_STREQ(test, stop, l, r) do {			\
	const char *__l = (l);						\
	const char *__r = (r);						\
									\
	if (strcmp(__l, __r)) {						\
		printf("# %s:%d: expected %s == %s, but %s == \"%s\", "	\
		       "%s == \"%s\"\n", __FILE__, __LINE__, #l, #r,	\
		       #l, __l, #r, __r);				\
		KUNIT_SHIM_FAILED(test, stop);				\
	}								\
} while (0)

#define KUNIT_FAIL(test, fmt, ...) do {					\
	printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__);\
	KUNIT_SHIM_FAILED(test, false);					\
} while (0)

#define KUNIT_EXPECT_TRUE(test, c)	KUNIT_SHIM_TRUE(test, false, c, true)
#define KUNIT_EXPECT_FALSE(test, c)	KUNIT_SHIM_TRUE(test, false, c, false)
#define KUNIT_ASSERT_TRUE(test, c)	KUNIT_SHIM_TRUE(test, true, c, true)
#define KUNIT_ASSERT_FALSE(test, c)	KUNIT_SHIM_TRUE(test, true, c, false)

#define KUNIT_EXPECT_EQ(t, l, r)	KUNIT_SHIM_BINARY(t, false, l, ==, r, "")
#define KUNIT_EXPECT_GT(t, l, r)	KUNIT_SHIM_BINARY(t, false, l, >, r, "")
#define KUNIT_EXPECT_GE(t, l, r)	KUNIT_SHIM_BINARY(t, false, l, >=, r, "")
#define KUNIT_EXPECT_LT(t, l, r)	KUNIT_SHIM_BINARY(t, false, l, <, r, "")
#define KUNIT_EXPECT_LE(t, l, r)	KUNIT_SHIM_BINARY(t, false, l, <=, r, "")
#define KUNIT_ASSERT_EQ(t, l, r)	KUNIT_SHIM_BINARY(t, true, l, ==, r, "")
#define KUNIT_ASSERT_GT(t, l, r)	KUNIT_SHIM_BINARY(t, true, l, >, r, "")
#define KUNIT_ASSERT_GE(t, l, r)	KUNIT_SHIM_BINARY(t, true, l, >=, r, "")
#define KUNIT_ASSERT_LT(t, l, r)	KUNIT_SHIM_BINARY(t, true, l, <, r, "")
#define KUNIT_ASSERT_LE(t, l, r)	KUNIT_SHIM_BINARY(t, true, l, <=, r, "")
#define KUNIT_EXPECT_STREQ(t, l, r)	KUNIT_SHIM_STREQ(t, false, l, r)
#define KUNIT_ASSERT_LE_MSG(t, l, r, fmt, ...)				\
	KUNIT_SHIM_BINARY(t, true, l, <=, r, ": " fmt, ##__VA_ARGS__)

#endif
