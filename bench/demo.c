// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qiring-demo: the point of the project in under a minute. Every variant on
 * the userspace VT-d device model, first under the seed thread's forced
 * schedule (does the 2024 soft lockup happen?), then under a contended load
 * with a hardware-like device, side by side in one run.
 *
 * usage: qiring-demo [SECONDS_PER_LOAD]   (default 2)
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "profiles.h"
#include "seed_schedule.h"

#define SEED_STALL_NS	(300ull * 1000 * 1000)

struct row {
	const struct qr_variant *v;
	struct qr_seed_result seed;
	struct qr_load_result load[2];
};

static const unsigned int threads[2] = { 2, 4 };

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct row rows[8];
	unsigned int nrows = 0, i, k, step = 0, steps;
	const struct qr_variant *const *v;

	for (v = qr_variants; *v; v++)
		rows[nrows++].v = *v;
	steps = nrows * 3;

	printf("qiring demo: %u variants on the VT-d device model "
	       "(hardware-like profile: doorbell %llu ns, %llu ns/descriptor, "
	       "MMIO read %llu ns)\n\n", nrows,
	       (unsigned long long)qr_profile_hw.doorbell_ns,
	       (unsigned long long)qr_profile_hw.desc_ns,
	       (unsigned long long)qr_profile_hw.mmio_read_ns);
	for (i = 0; i < nrows; i++) {
		printf("[%2u/%u] %-8s seed schedule (T2 drains, T1 reclaims first) ...",
		       ++step, steps, rows[i].v->name);
		fflush(stdout);
		qr_seed_schedule(rows[i].v, SEED_STALL_NS, &rows[i].seed);
		printf(" %s\n", rows[i].seed.lockup ? "LOCKUP (bounded wait expired)" :
		       "completed");
		for (k = 0; k < 2; k++) {
			struct qr_load l = {
				.v = rows[i].v, .profile = qr_profile_hw,
				.mode = QR_DEV_LAZY, .threads = threads[k],
				.count = QR_COUNT_MIXED,
				.duration_ns = (u64)(secs * 1e9),
				.stall_ns = 300ull * 1000 * 1000,
			};

			printf("[%2u/%u] %-8s %u threads, counts 0..16, %.1f s ...",
			       ++step, steps, rows[i].v->name, threads[k], secs);
			fflush(stdout);
			if (qr_run_load(&l, &rows[i].load[k])) {
				printf(" cannot run\n");
				return 1;
			}
			printf(" %.0f submissions/s%s\n", rows[i].load[k].subs_per_s,
			       rows[i].load[k].hung ? " (hung: soft lockup)" : "");
		}
	}

	printf("\n| variant  | seed lockup | threads | submissions/s | tail writes/sub "
	       "| fault reads/sub | hung under load |\n");
	printf("|----------|-------------|---------|---------------|-----------------"
	       "|-----------------|-----------------|\n");
	for (i = 0; i < nrows; i++)
		for (k = 0; k < 2; k++) {
			const struct qr_load_result *r = &rows[i].load[k];

			printf("| %-8s | %-11s | %7u | %13.0f | %15.3f | %15.3f | %-15s |\n",
			       rows[i].v->name, rows[i].seed.lockup ? "yes" : "no",
			       threads[k], r->subs_per_s, r->tail_writes_per_sub,
			       r->fault_reads_per_sub, r->hung ? "yes" : "no");
		}
	printf("\nThreads above 2 oversubscribe this machine's cores when it has 2.\n");
	return 0;
}
