/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks and a kselftest-style TAP runner for the ncoal unit tests.
 *
 * A test file defines its tests as static void test_NAME(void), lists
 * them with T(NAME) in a TESTS table, and ends with TAP_MAIN(TESTS).
 */
#ifndef _NCOAL_TAP_H
#define _NCOAL_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int cur_fail;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n",			\
		       __FILE__, __LINE__, #cond);			\
		cur_fail = 1;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
									\
	if (_a != _b) {							\
		printf("# %s:%d: %s == %llu, expected %s == %llu\n",	\
		       __FILE__, __LINE__, #a, _a, #b, _b);		\
		cur_fail = 1;						\
	}								\
} while (0)

struct tap_test {
	const char *name;
	void (*fn)(void);
};

#define T(name) { #name, test_##name }

static bool tap_selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

static int tap_main(const struct tap_test *tests, int ntests, int argc,
		    char **argv)
{
	int i, j, n = 0, pass = 0, fail = 0;

	for (j = 1; j < argc; j++) {
		for (i = 0; i < ntests; i++)
			if (!strcmp(argv[j], tests[i].name))
				break;
		if (i == ntests) {
			printf("Bail out! no test named %s\n", argv[j]);
			return 1;
		}
	}
	for (i = 0; i < ntests; i++)
		n += tap_selected(argc, argv, tests[i].name);
	printf("TAP version 13\n1..%d\n", n);
	n = 0;
	for (i = 0; i < ntests; i++) {
		if (!tap_selected(argc, argv, tests[i].name))
			continue;
		cur_fail = 0;
		tests[i].fn();
		printf("%sok %d %s\n", cur_fail ? "not " : "", ++n,
		       tests[i].name);
		if (cur_fail)
			fail++;
		else
			pass++;
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       pass, fail);
	return fail ? 1 : 0;
}

#define TAP_MAIN(tests)							\
int main(int argc, char **argv)						\
{									\
	return tap_main(tests, sizeof(tests) / sizeof(tests[0]),	\
			argc, argv);					\
}

#endif
