/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The unit tests' one check: CHECK(cond) counts a pass or prints where it
 * failed and counts a failure; check_exit() prints the totals and gives the
 * test's exit status (1 when any check failed). One per test program.
 */
#ifndef QIRING_TEST_CHECK_H
#define QIRING_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond) do {							\
	if (cond) {								\
		passed++;							\
	} else {								\
		failed++;							\
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, __func__, #cond);			\
	}									\
} while (0)

static inline int check_exit(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
