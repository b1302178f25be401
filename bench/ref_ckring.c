// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reference workload: Concurrency Kit's ck_ring, MPMC mode, as the best
 * general-purpose ring a user might pick instead of a QI-specific one.
 *
 * One "submission" of count descriptors is count + 1 16-byte entries (the
 * descriptors and a stand-in for the wait descriptor), each enqueued with
 * ck_ring_enqueue_mpmc (typed, so the entry is copied into the ring as a
 * descriptor is), followed by count + 1 ck_ring_dequeue_mpmc calls. The
 * consumer side is played by the submitters themselves, as the lazy device
 * model is executed by whoever polls it: T threads in total, like the QI
 * variants. Every submitter dequeues as many entries as it enqueued, so the
 * ring never fills (T * 17 < 256 entries) and a dequeue finds an entry as
 * soon as the producers ahead of it have committed theirs.
 *
 * What it measures: moving descriptors through one shared ring, contended
 * producer and consumer counters included: per entry one CAS on the
 * producer head, the copy, an in-order wait for earlier producers and a
 * store of the producer tail; one copy out and one CAS on the consumer
 * head. A bound on the cost of ring mechanics.
 *
 * What it does not measure: completions (nobody waits for "its" entries to
 * be consumed, there is no status write and no lap tag), the doorbell (no
 * MMIO tail write, hence no coalescing), fault-register polling, reclaim
 * by owners. Entries of one submission are reserved one at a time (ck has
 * no multi-entry MPMC reservation), so they may interleave with other
 * submitters' entries; a QI wait descriptor would still cover them.
 *
 * ck's producers wait for their predecessors to commit by pure spinning
 * (ck_pr_stall); a preempted producer holds up every later one. Only this
 * file's own waits (ring full or empty) spin then yield.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>

#include "ref_ckring.h"

struct qr_ckdesc {
	u64 qw0;
	u64 qw1;
};

CK_RING_PROTOTYPE(qr_ckdesc, qr_ckdesc)

struct qr_vring {
	struct ck_ring ring;
	struct qr_ckdesc *buf;
	u32 slots;
	u64 stall_ns;
};

struct ck_wait {
	u32 spins;
	u64 start;
};

/* Spin, then yield; true once the bounded wait expired. */
static bool ck_wait(const struct qr_vring *v, struct ck_wait *w)
{
	u64 now;

	if (++w->spins % 64) {
		cpu_relax();
		return false;
	}
	sched_yield();
	if (!v->stall_ns)
		return false;
	now = ktime_get_ns();
	if (!w->start)
		w->start = now;
	return now - w->start > v->stall_ns;
}

static struct qr_vring *ck_create(const struct qr_vring_config *cfg)
{
	struct qr_vring *v;

	if (!cfg || cfg->slots < 4 || (cfg->slots & (cfg->slots - 1)))
		return NULL;
	if (posix_memalign((void **)&v, 64, sizeof(*v)))
		return NULL;
	memset(v, 0, sizeof(*v));
	v->buf = aligned_alloc(64, (size_t)cfg->slots * sizeof(*v->buf));
	if (!v->buf) {
		free(v);
		return NULL;
	}
	memset(v->buf, 0, (size_t)cfg->slots * sizeof(*v->buf));
	ck_ring_init(&v->ring, cfg->slots);
	v->slots = cfg->slots;
	v->stall_ns = cfg->stall_ns;
	return v;
}

static void ck_destroy(struct qr_vring *v)
{
	if (!v)
		return;
	free(v->buf);
	free(v);
}

static int ck_submit(struct qr_vring *v, const struct qiring_desc *desc,
		     unsigned int count, unsigned long options)
{
	struct ck_wait w = { 0 };
	struct qr_ckdesc e;
	unsigned int i;

	if (count + 2 > v->slots || (count && !desc))
		return -EINVAL;
	for (i = 0; i <= count; i++) {
		if (i < count) {
			e.qw0 = desc[i].qw0;
			e.qw1 = desc[i].qw1;
		} else {
			e.qw0 = QIRING_IWD_SW | QIRING_TYPE_IWD;
			e.qw1 = 0;
		}
		while (!ck_ring_enqueue_mpmc_qr_ckdesc(&v->ring, v->buf, &e))
			if (ck_wait(v, &w))
				return -ETIMEDOUT;
	}
	for (i = 0; i <= count; i++) {
		while (!ck_ring_dequeue_mpmc_qr_ckdesc(&v->ring, v->buf, &e))
			if (ck_wait(v, &w))
				return -ETIMEDOUT;
		/* Consume the copy, so it cannot be optimised away. */
		__asm__ __volatile__("" : : "r"(e.qw0), "r"(e.qw1));
	}
	return 0;
}

static unsigned int ck_reclaim(struct qr_vring *v)
{
	return 0;
}

static unsigned int ck_free_slots(struct qr_vring *v)
{
	return v->slots - 1 - ck_ring_size(&v->ring);
}

/* No device, no doorbell, no fault register; the harness counts calls. */
static void ck_counters(struct qr_vring *v, struct qr_vcounters *c)
{
	memset(c, 0, sizeof(*c));
}

const struct qr_variant qr_ref_ckring = {
	.name = "ckring",
	.create = ck_create,
	.destroy = ck_destroy,
	.submit = ck_submit,
	.reclaim = ck_reclaim,
	.free_slots = ck_free_slots,
	.counters = ck_counters,
};
