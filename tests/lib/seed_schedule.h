/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The 2024 soft lockup (the seed thread) as one forced schedule, runnable on
 * every variant:
 *
 *   1. T1 submits one descriptor and stops at its poll loop's relax point;
 *   2. T2 submits a lone wait (count == 0, a drain) and stops at the same
 *      point, having seen its wait still pending;
 *   3. the device executes everything: T1's and T2's waits are both DONE;
 *   4. T1 runs to the end of its submission and then reclaims;
 *   5. T2 looks at its status.
 *
 * In `legacy`, T1's reclaim turns T2's DONE into FREE and T2 polls forever;
 * the variant's bounded wait (stall_ns) turns that into -ETIMEDOUT.
 */
#ifndef QIRING_TESTS_SEED_SCHEDULE_H
#define QIRING_TESTS_SEED_SCHEDULE_H

#include "variant.h"

struct qr_seed_result {
	bool reached;		/* both threads reached their relax points */
	int t1_rc, t2_rc;	/* submit() results */
	unsigned int free_after;	/* free slots afterwards (when T2 returned 0) */
	unsigned int stall_reports;
	bool lockup;		/* T2 never saw its completion */
};

/* Runs the schedule once on a fresh 256-slot ring; stall_ns bounds T2's wait. */
void qr_seed_schedule(const struct qr_variant *v, u64 stall_ns,
		      struct qr_seed_result *res);

#endif /* QIRING_TESTS_SEED_SCHEDULE_H */
