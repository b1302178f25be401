// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The seed's soft lockup, forced deterministically (tests/lib/seed_schedule.h):
 * reproduced on `legacy` in every run, on no other variant in any run.
 */
#include <stdio.h>

#include "seed_schedule.h"

#define ROUNDS		20
#define STALL_NS	(200ull * 1000 * 1000)	/* the bounded wait: 200 ms */

static int passed, failed;

#define CHECK(cond, ...) do {							\
	if (cond) {								\
		passed++;							\
	} else {								\
		failed++;							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,		\
			__LINE__, #cond);					\
		fprintf(stderr, __VA_ARGS__);					\
		fputc('\n', stderr);						\
	}									\
} while (0)

int main(void)
{
	const struct qr_variant *const *v;
	struct qr_seed_result r;
	int round, hangs;

	for (v = qr_variants; *v; v++) {
		bool legacy = *v == &qr_variant_legacy;

		hangs = 0;
		for (round = 0; round < ROUNDS; round++) {
			qr_seed_schedule(*v, STALL_NS, &r);
			hangs += r.lockup;
			CHECK(r.reached, "%s round %d: schedule not forced", (*v)->name, round);
			CHECK(r.t1_rc == 0, "%s round %d: T1 returned %d", (*v)->name,
			      round, r.t1_rc);
			if (legacy) {
				CHECK(r.lockup, "legacy round %d: T2 returned %d, "
				      "expected the lockup", round, r.t2_rc);
				CHECK(r.stall_reports > 0, "legacy round %d: hang not reported",
				      round);
			} else {
				CHECK(r.t2_rc == 0, "%s round %d: T2 returned %d",
				      (*v)->name, round, r.t2_rc);
				CHECK(r.free_after == 256, "%s round %d: %u free slots after",
				      (*v)->name, round, r.free_after);
			}
		}
		printf("seed schedule, %-8s: lockup in %d of %d runs\n", (*v)->name,
		       hangs, ROUNDS);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
