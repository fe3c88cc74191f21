// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a KUnit suite built against include/kunit/test.h in userspace:
 * TAP output in the form of tap.h's.
 *
 * Usage: ncoal_test [name...]   run all cases, or only those named.
 */
#include <stdio.h>
#include <string.h>
#include <kunit/test.h>

static bool selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

/* Run one case; a failed assertion longjmp()s back here. */
static bool run_failed(const struct kunit_case *c)
{
	static struct kunit test;

	memset(&test, 0, sizeof(test));
	if (!setjmp(test.end))
		c->run_case(&test);
	return test.failed;
}

int main(int argc, char **argv)
{
	struct kunit_case *cases = kunit_shim_suite->test_cases, *c;
	int i, n = 0, pass = 0, fail = 0;
	bool failed;

	for (i = 1; i < argc; i++) {
		for (c = cases; c->run_case; c++)
			if (!strcmp(argv[i], c->name))
				break;
		if (!c->run_case) {
			printf("Bail out! no test named %s\n", argv[i]);
			return 1;
		}
	}
	for (c = cases; c->run_case; c++)
		n += selected(argc, argv, c->name);
	printf("TAP version 13\n# %s\n1..%d\n", kunit_shim_suite->name, n);
	n = 0;
	for (c = cases; c->run_case; c++) {
		if (!selected(argc, argv, c->name))
			continue;
		failed = run_failed(c);
		printf("%sok %d %s\n", failed ? "not " : "", ++n, c->name);
		if (failed)
			fail++;
		else
			pass++;
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       pass, fail);
	return fail ? 1 : 0;
}
