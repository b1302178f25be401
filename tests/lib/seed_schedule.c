// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Gates: a thread-local role and the device model's on_relax hook. A gated
 * thread yields on an atomic until the schedule opens its gate; the schedule
 * waits for a thread to arrive with a deadline, so a schedule that cannot be
 * forced is reported instead of hanging.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_schedule.h"

#define ARRIVE_DEADLINE_NS	(10ull * 1000 * 1000 * 1000)

struct gate {
	_Atomic int open;
	_Atomic int arrived;
};

struct schedule {
	struct gate gates[3];	/* by role: 0 unused, T1, T2 */
	_Atomic unsigned int stalls;
};

static __thread int role;	/* 0: not gated, 1: T1, 2: T2 */

static void on_relax(void *arg)
{
	struct schedule *s = arg;
	struct gate *g = &s->gates[role];

	if (!role || atomic_load_explicit(&g->open, memory_order_acquire))
		return;
	atomic_store_explicit(&g->arrived, 1, memory_order_release);
	while (!atomic_load_explicit(&g->open, memory_order_acquire))
		sched_yield();
}

static bool wait_arrived(struct schedule *s, int r)
{
	u64 end = ktime_get_ns() + ARRIVE_DEADLINE_NS;

	while (!atomic_load_explicit(&s->gates[r].arrived, memory_order_acquire))
		if (ktime_get_ns() > end)
			return false;
	return true;
}

static void on_stall(void *arg, const struct qiring_stall *st)
{
	struct schedule *s = arg;

	atomic_fetch_add(&s->stalls, 1);
}

struct submitter {
	int role;
	const struct qr_variant *v;
	struct qr_vring *ring;
	unsigned int count;
	int rc;
};

static void *submitter_main(void *p)
{
	struct submitter *a = p;
	struct qiring_desc d = { .qw0 = 0x2, .qw1 = 0x1000 };

	role = a->role;
	a->rc = a->v->submit(a->ring, &d, a->count, 0);
	/* step 4 for T1 (legacy and locked already reclaimed inside submit) */
	if (a->role == 1)
		a->v->reclaim(a->ring);
	return NULL;
}

void qr_seed_schedule(const struct qr_variant *v, u64 stall_ns,
		      struct qr_seed_result *res)
{
	struct schedule *s = calloc(1, sizeof(*s));
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL, .on_relax = on_relax,
				    .on_relax_arg = s };
	struct qr_vring_config vc = {
		.slots = 256, .desc_size = 16, .stall_ns = stall_ns,
		.stall_report = on_stall, .stall_arg = s,
	};
	struct submitter t1 = { .role = 1, .v = v, .count = 1 };
	struct submitter t2 = { .role = 2, .v = v, .count = 0 };
	pthread_t th1, th2;

	memset(res, 0, sizeof(*res));
	vc.dev = qr_dev_create(&dc);
	t1.ring = t2.ring = vc.dev ? v->create(&vc) : NULL;
	if (!t1.ring) {
		fprintf(stderr, "seed schedule: cannot create %s\n", v->name);
		exit(2);
	}
	pthread_create(&th1, NULL, submitter_main, &t1);	/* step 1 */
	res->reached = wait_arrived(s, 1);
	pthread_create(&th2, NULL, submitter_main, &t2);	/* step 2 */
	res->reached &= wait_arrived(s, 2);
	qr_dev_run(vc.dev);					/* step 3 */
	atomic_store_explicit(&s->gates[1].open, 1, memory_order_release);
	pthread_join(th1, NULL);				/* step 4 */
	atomic_store_explicit(&s->gates[2].open, 1, memory_order_release);
	pthread_join(th2, NULL);				/* step 5 */

	res->t1_rc = t1.rc;
	res->t2_rc = t2.rc;
	res->lockup = t2.rc == -ETIMEDOUT;
	res->free_after = t2.rc == 0 ? v->free_slots(t1.ring) : 0;
	res->stall_reports = atomic_load(&s->stalls);
	v->destroy(t1.ring);
	qr_dev_destroy(vc.dev);
	free(s);
}
