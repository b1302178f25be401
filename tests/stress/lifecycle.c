// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Disable, enable and destroy with submitters in flight.
 *
 * T threads submit M submissions each (counts 0..4, payloads naming
 * submitter, sequence and index) through qiring_submit_sync(). Meanwhile the
 * main thread runs C suspend/resume cycles, as dmar_disable_qi() and
 * dmar_reenable_qi() do around suspend: disable (waits for every submitter
 * in the ring to leave), check the ring and the unit are quiescent, reset the
 * unit (IQA written again: IQH = IQT = 0), enable. A submitter that gets
 * -ENODEV retries the same submission after the next enable. Finally it
 * destroys the ring under load and frees the descriptor ring and the status
 * words at once: under AddressSanitizer any late access by a submitter is a
 * use-after-free report.
 *
 * Checked: every submission that returned 0 ran exactly once, in its
 * submitter's order, its descriptors in index order; none that returned
 * -ENODEV ran; no other return value; every disable found the ring
 * quiescent (free_slots == slots - 1, IQH == IQT).
 *
 * usage: lifecycle THREADS PER_THREAD CYCLES
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"

#define MAX_THREADS	16
#define SLOTS		64
#define DSIZE		16
#define MAGIC		0x51ull

static struct qiring ring;
static struct qr_dev *dev;
static void *desc_mem;
static u32 *status_mem;
static unsigned int nthreads;
static u64 per_thread;

static _Atomic u64 done_total;		/* submissions that returned 0 */
static _Atomic u32 generation;		/* bumped by every enable */
static _Atomic bool destroyed;
static _Atomic u64 enodev;
static _Atomic unsigned int stopped;	/* submitters that finished or gave up */

struct worker {
	pthread_t th;
	unsigned int id;
	u64 completed;			/* returned 0 */
	int bad_rc;			/* first unexpected return value */
};

/* Written only by the device's executor (serialized by the model). */
static struct {
	u64 next_seq[MAX_THREADS];
	u32 next_idx[MAX_THREADS];
	u64 errors;
} chk;

static unsigned int count_of(unsigned int t, u64 s)
{
	return (unsigned int)((s * 7 + t) % 5);	/* 0..4, lone waits included */
}

static void on_exec(void *arg, const struct qr_dev_event *ev)
{
	unsigned int t;
	u64 s;
	u32 i;

	if (ev->kind != QR_DEV_EXEC || (ev->desc.qw0 >> 56) != MAGIC)
		return;
	t = (unsigned int)((ev->desc.qw0 >> 16) & 0xff);
	s = ev->desc.qw1 >> 16;
	i = (u32)(ev->desc.qw1 & 0xffff);
	if (t >= nthreads) {
		chk.errors++;
		return;
	}
	/* Skip over count-0 submissions, which have no descriptors. */
	while (chk.next_idx[t] == 0 && chk.next_seq[t] < s &&
	       count_of(t, chk.next_seq[t]) == 0)
		chk.next_seq[t]++;
	if (s != chk.next_seq[t] || i != chk.next_idx[t]) {
		if (chk.errors++ < 5)
			fprintf(stderr, "lifecycle: submitter %u ran (%" PRIu64 ", %u), "
				"expected (%" PRIu64 ", %u)\n", t, s, i,
				chk.next_seq[t], chk.next_idx[t]);
		return;
	}
	if (++chk.next_idx[t] == count_of(t, s)) {
		chk.next_idx[t] = 0;
		chk.next_seq[t]++;
	}
}

static void *submitter(void *arg)
{
	struct worker *w = arg;
	struct qiring_desc d[4];
	u64 s = 0;
	u32 i, c, gen;
	int rc;

	while (s < per_thread) {
		c = count_of(w->id, s);
		for (i = 0; i < c; i++) {
			d[i].qw0 = 0x2 | ((u64)w->id << 16) | (MAGIC << 56);
			d[i].qw1 = (s << 16) | i;
			d[i].qw2 = d[i].qw3 = 0;
		}
		gen = atomic_load_explicit(&generation, memory_order_acquire);
		/* Bounded: a submission stranded by a broken disable must not hang us. */
		rc = qiring_submit_timeout(&ring, d, c, 0, 10ull * 1000 * 1000 * 1000);
		if (rc == 0) {
			w->completed++;
			s++;
			atomic_fetch_add_explicit(&done_total, 1, memory_order_relaxed);
			continue;
		}
		if (rc != -ENODEV) {
			w->bad_rc = rc;
			break;
		}
		atomic_fetch_add_explicit(&enodev, 1, memory_order_relaxed);
		/* Disabled: retry the same submission after the next enable. */
		while (atomic_load_explicit(&generation, memory_order_acquire) == gen) {
			if (atomic_load_explicit(&destroyed, memory_order_acquire))
				goto out;
			sched_yield();
		}
	}
out:
	atomic_fetch_add_explicit(&stopped, 1, memory_order_relaxed);
	return NULL;
}

/*
 * Block until the submitters completed `target` submissions (or all of them
 * stopped). A hang detector, not a timer: after 60 s without reaching the
 * target it reports where progress stopped and fails.
 */
static bool progress_to(u64 target)
{
	u64 all = (u64)nthreads * per_thread, start = ktime_get_ns();
	unsigned int spins = 0;

	if (target > all)
		target = all;
	while (atomic_load_explicit(&done_total, memory_order_relaxed) < target &&
	       atomic_load_explicit(&stopped, memory_order_relaxed) < nthreads) {
		sched_yield();
		if (++spins % 1024 == 0 && ktime_get_ns() - start > 60ull * 1000 * 1000 * 1000) {
			fprintf(stderr, "lifecycle: no progress for 60 s: %" PRIu64
				" of %" PRIu64 " completed, %" PRIu64 " -ENODEV, "
				"%u submitters stopped\n",
				atomic_load_explicit(&done_total, memory_order_relaxed),
				target, atomic_load_explicit(&enodev, memory_order_relaxed),
				atomic_load_explicit(&stopped, memory_order_relaxed));
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	struct qr_dev_config dc = { .mode = QR_DEV_LAZY, .on_exec = on_exec };
	struct qiring_config cfg = { 0 };
	struct worker w[MAX_THREADS];
	unsigned int cycles, c, t;
	u64 completed = 0, quiesce_errors = 0;
	int failed = 0, rc;

	if (argc != 4) {
		fprintf(stderr, "usage: %s THREADS PER_THREAD CYCLES\n", argv[0]);
		return 2;
	}
	nthreads = (unsigned int)strtoul(argv[1], NULL, 0);
	per_thread = strtoull(argv[2], NULL, 0);
	cycles = (unsigned int)strtoul(argv[3], NULL, 0);
	if (!nthreads || nthreads > MAX_THREADS || per_thread >= (1ull << 40)) {
		fprintf(stderr, "lifecycle: 1..%d threads\n", MAX_THREADS);
		return 2;
	}

	desc_mem = aligned_alloc(4096, 4096);	/* one page, as VT-d needs */
	status_mem = aligned_alloc(64, (qiring_status_words(SLOTS) * 4 + 63) & ~63u);
	dev = qr_dev_create(&dc);
	if (!desc_mem || !status_mem || !dev)
		return 2;
	memset(desc_mem, 0, SLOTS * DSIZE);
	cfg.slots = SLOTS;
	cfg.desc_size = DSIZE;
	cfg.desc = desc_mem;
	cfg.status = status_mem;
	cfg.status_dma = (u64)(uintptr_t)status_mem;
	cfg.ops = &qr_dev_hw_ops;
	cfg.hw = dev;
	if (qiring_init(&ring, &cfg))
		return 2;
	qr_dev_set_queue(dev, desc_mem, SLOTS, DSIZE, status_mem,
			 qiring_status_words(SLOTS));

	for (t = 0; t < nthreads; t++) {
		w[t] = (struct worker){ .id = t };
		pthread_create(&w[t].th, NULL, submitter, &w[t]);
	}

	/* Suspend/resume cycles spread over the run, by progress, not time. */
	for (c = 0; c < cycles; c++) {
		if (!progress_to((c + 1) * (u64)nthreads * per_thread / (cycles + 2))) {
			quiesce_errors++;
			break;
		}
		rc = qiring_disable(&ring);
		if (rc || qiring_free_slots(&ring) != SLOTS - 1 ||
		    qr_dev_read_head(dev) != qr_dev_read_tail(dev)) {
			fprintf(stderr, "lifecycle: cycle %u: disable %d, %u free, "
				"IQH %u IQT %u\n", c, rc, qiring_free_slots(&ring),
				qr_dev_read_head(dev), qr_dev_read_tail(dev));
			quiesce_errors++;
		}
		/* Resume: the unit is programmed again (IQH = IQT = 0), then the ring. */
		qr_dev_set_queue(dev, desc_mem, SLOTS, DSIZE, status_mem,
				 qiring_status_words(SLOTS));
		if (qiring_enable(&ring) != 0)
			quiesce_errors++;
		if (qiring_enable(&ring) != -EBUSY)	/* already enabled */
			quiesce_errors++;
		atomic_fetch_add_explicit(&generation, 1, memory_order_release);
	}

	/* Destroy under load, then free the DMA memory at once. */
	if (!progress_to((cycles + 1) * (u64)nthreads * per_thread / (cycles + 2)))
		quiesce_errors++;
	rc = qiring_destroy(&ring);
	if (rc) {
		fprintf(stderr, "lifecycle: destroy returned %d\n", rc);
		quiesce_errors++;
	}
	if (qr_dev_read_head(dev) != qr_dev_read_tail(dev))
		quiesce_errors++;
	qr_dev_destroy(dev);
	free(desc_mem);
	free(status_mem);
	atomic_store_explicit(&destroyed, true, memory_order_release);
	if (qiring_enable(&ring) != -EINVAL)
		quiesce_errors++;

	for (t = 0; t < nthreads; t++) {
		pthread_join(w[t].th, NULL);
		if (w[t].bad_rc) {
			fprintf(stderr, "lifecycle: submitter %u got %d\n", t, w[t].bad_rc);
			failed = 1;
		}
		/* Ran exactly the submissions that returned 0, in order. */
		while (chk.next_idx[t] == 0 && chk.next_seq[t] < w[t].completed &&
		       count_of(t, chk.next_seq[t]) == 0)
			chk.next_seq[t]++;
		if (chk.next_seq[t] != w[t].completed || chk.next_idx[t]) {
			fprintf(stderr, "lifecycle: submitter %u: %" PRIu64 " returned 0, "
				"device ran through (%" PRIu64 ", %u)\n", t,
				w[t].completed, chk.next_seq[t], chk.next_idx[t]);
			failed = 1;
		}
		completed += w[t].completed;
	}
	if (chk.errors || quiesce_errors)
		failed = 1;
	printf("lifecycle: %u threads, %u suspend/resume cycles then destroy under load: "
	       "%" PRIu64 " submissions completed, %" PRIu64 " refused (-ENODEV), "
	       "%" PRIu64 " order errors, %" PRIu64 " quiescence errors: %s\n",
	       nthreads, cycles, completed,
	       atomic_load_explicit(&enodev, memory_order_relaxed), chk.errors,
	       quiesce_errors, failed ? "FAILED" : "ok");
	return failed;
}
