// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the qiring core: every entry point and every error path,
 * against the device model. Deterministic: the device runs only when a test
 * says so (QR_DEV_MANUAL), or inside the core's own wait loop (QR_DEV_LAZY).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"

#include "check.h"

#define MAX_EVENTS 4096

struct fixture {
	struct qiring ring;
	struct qr_dev *dev;
	u8 *desc;
	u32 *status;
	u32 slots;
	u32 dsize;
	/* device event log */
	struct qr_dev_event ev[MAX_EVENTS];
	_Atomic u32 nev;
	/* stall reports: the first one is kept (later ones repeat it while
	 * the test reads it) */
	_Atomic u32 nstall;
	_Atomic u32 stall_kept;
	struct qiring_stall last_stall;
};

static void log_event(void *arg, const struct qr_dev_event *e)
{
	struct fixture *f = arg;
	u32 n = atomic_load_explicit(&f->nev, memory_order_relaxed);

	if (n < MAX_EVENTS)
		f->ev[n] = *e;
	atomic_store_explicit(&f->nev, n + 1, memory_order_release);
}

static void on_stall(void *arg, const struct qiring_stall *s)
{
	struct fixture *f = arg;

	u32 no = 0;

	if (atomic_compare_exchange_strong_explicit(&f->stall_kept, &no, 1,
						    memory_order_relaxed,
						    memory_order_relaxed))
		f->last_stall = *s;
	atomic_fetch_add_explicit(&f->nstall, 1, memory_order_release);
}

static struct qiring_config make_cfg(struct fixture *f)
{
	struct qiring_config c = {
		.slots = f->slots,
		.desc_size = f->dsize,
		.desc = f->desc,
		.status = f->status,
		.status_dma = (u64)(uintptr_t)f->status,
		.ops = &qr_dev_hw_ops,
		.hw = f->dev,
		.stall_report = on_stall,
		.stall_arg = f,
	};
	return c;
}

static struct fixture *setup(u32 slots, u32 dsize, enum qr_dev_mode mode,
			     u64 stall_ns)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct qr_dev_config dc = { .mode = mode, .on_exec = log_event, .on_exec_arg = f };
	struct qiring_config c;

	f->slots = slots;
	f->dsize = dsize;
	f->desc = aligned_alloc(4096, 4096 > slots * dsize ? 4096 : slots * dsize);
	f->status = aligned_alloc(64, (qiring_status_words(slots) * 4 + 63) & ~63u);
	f->dev = qr_dev_create(&dc);
	c = make_cfg(f);
	c.stall_ns = stall_ns;
	if (qiring_init(&f->ring, &c)) {
		fprintf(stderr, "setup: qiring_init failed\n");
		exit(2);
	}
	qr_dev_set_queue(f->dev, f->desc, slots, dsize, f->status,
			 qiring_status_words(slots));
	return f;
}

static void teardown(struct fixture *f)
{
	qr_dev_destroy(f->dev);
	free(f->desc);
	free((void *)f->status);
	free(f);
}

static struct qiring_desc iotlb(u64 tag)
{
	struct qiring_desc d = { .qw0 = 0x2 | (tag << 32), .qw1 = tag << 12 };
	return d;
}

static u32 nev(struct fixture *f)
{
	return atomic_load_explicit(&f->nev, memory_order_acquire);
}

/* ---- init ------------------------------------------------------------- */

static void test_init_rejects_bad_config(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_MANUAL, 0);
	struct qiring r;
	struct qiring_config c;
	struct qiring_hw_ops no_tail = qr_dev_hw_ops;
	static const u32 bad_slots[] = { 0, 2, 3, 6, 12, 100, 65536 };
	unsigned int i;

	no_tail.write_tail = NULL;
	CHECK(qiring_init(NULL, NULL) == -EINVAL);
	c = make_cfg(f);
	CHECK(qiring_init(&r, NULL) == -EINVAL);
	for (i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++) {
		c = make_cfg(f);
		c.slots = bad_slots[i];
		CHECK(qiring_init(&r, &c) == -EINVAL);
	}
	c = make_cfg(f);
	c.desc_size = 24;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c.desc_size = 64;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c = make_cfg(f);
	c.desc = NULL;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c = make_cfg(f);
	c.status = NULL;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c = make_cfg(f);
	c.status_dma |= 2;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c = make_cfg(f);
	c.ops = NULL;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c.ops = &no_tail;
	CHECK(qiring_init(&r, &c) == -EINVAL);
	c = make_cfg(f);
	c.slots = 4;
	CHECK(qiring_init(&r, &c) == 0);
	c.slots = QIRING_MAX_SLOTS;
	c.status = NULL;	/* geometry fine, memory missing */
	CHECK(qiring_init(&r, &c) == -EINVAL);
	teardown(f);
}

/* ---- submit_sync ---------------------------------------------------- */

static void check_submission_events(struct fixture *f, u32 first, u32 count,
				    u64 tag0, unsigned long options)
{
	u32 i;

	CHECK(nev(f) == first + count + 1);
	for (i = 0; i < count && first + i < MAX_EVENTS; i++) {
		CHECK(f->ev[first + i].kind == QR_DEV_EXEC);
		CHECK(f->ev[first + i].desc.qw0 == iotlb(tag0 + i).qw0);
	}
	if (first + count < MAX_EVENTS) {
		const struct qiring_desc *w = &f->ev[first + count].desc;

		CHECK((w->qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD);
		CHECK(w->qw0 & QIRING_IWD_SW);
		CHECK(!!(w->qw0 & QIRING_IWD_PRQ_DRAIN) ==
		      !!(options & QIRING_OPT_WAIT_DRAIN));
		/* the status address is the wait slot's own word */
		CHECK(w->qw1 == (u64)(uintptr_t)&f->status[f->ev[first + count].slot]);
	}
}

static void test_submit_sync_counts(u32 dsize)
{
	struct fixture *f = setup(64, dsize, QR_DEV_LAZY, 0);
	static const u32 counts[] = { 0, 1, 4, 16, 62, 0, 3 };
	struct qiring_desc d[64];
	struct qiring_stats st;
	u32 i, k, first;

	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		for (i = 0; i < counts[k]; i++)
			d[i] = iotlb(k * 100 + i);
		first = nev(f);
		CHECK(qiring_submit_sync(&f->ring, d, counts[k],
					 k == 1 ? QIRING_OPT_WAIT_DRAIN : 0) == 0);
		check_submission_events(f, first, counts[k], k * 100,
					k == 1 ? QIRING_OPT_WAIT_DRAIN : 0);
	}
	qiring_get_stats(&f->ring, &st);
	CHECK(st.submissions == k);
	CHECK(st.tail_writes == k);
	CHECK(st.restarts == 0 && st.iqe == 0 && st.ite == 0);
	CHECK(qiring_free_slots(&f->ring) == 63);
	teardown(f);
}

static void test_bad_arguments_leave_ring_usable(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_LAZY, 0);
	struct qiring_desc d[16] = { { 0 } };
	struct qiring_ticket t;
	unsigned int i;

	for (i = 0; i < 16; i++)
		d[i] = iotlb(i);
	CHECK(qiring_submit_sync(&f->ring, d, 15, 0) == -EINVAL);	/* > slots - 2 */
	CHECK(qiring_submit_sync(&f->ring, d, 0xffffffffu, 0) == -EINVAL);
	CHECK(qiring_submit_sync(&f->ring, NULL, 1, 0) == -EINVAL);
	CHECK(qiring_reserve(&f->ring, 15, &t) == -EINVAL);
	CHECK(qiring_reserve(&f->ring, 1, NULL) == -EINVAL);
	CHECK(nev(f) == 0);
	CHECK(qiring_free_slots(&f->ring) == 15);
	CHECK(qiring_submit_sync(&f->ring, NULL, 0, 0) == 0);		/* a drain */
	CHECK(qiring_submit_sync(&f->ring, d, 14, 0) == 0);		/* the largest */
	CHECK(nev(f) == 1 + 15);
	teardown(f);
}

/* ---- split API ------------------------------------------------------- */

static void test_split_api_lifecycle(void)
{
	struct fixture *f = setup(16, 32, QR_DEV_MANUAL, 0);
	struct qiring_desc d = iotlb(7);
	struct qiring_ticket t;

	CHECK(qiring_reserve(&f->ring, 2, &t) == 0);
	CHECK(t.pos == 0 && t.count == 2);
	CHECK(qiring_write(&f->ring, &t, 2, &d) == -EINVAL);	/* index out of range */
	CHECK(qiring_write(&f->ring, &t, 0, NULL) == -EINVAL);
	CHECK(qiring_write(&f->ring, NULL, 0, &d) == -EINVAL);
	CHECK(qiring_poll(&f->ring, NULL) == -EINVAL);
	CHECK(qiring_wait(&f->ring, NULL) == -EINVAL);
	CHECK(qiring_release(&f->ring, NULL) == -EINVAL);
	qiring_publish(&f->ring, NULL, 0);			/* ignored */
	CHECK(qr_dev_read_tail(f->dev) == 0);
	CHECK(qiring_write(&f->ring, &t, 0, &d) == 0);
	CHECK(qiring_write(&f->ring, &t, 1, &d) == 0);
	CHECK(qiring_release(&f->ring, &t) == -EINVAL);		/* not even published */
	qiring_publish(&f->ring, &t, 0);
	CHECK(qr_dev_read_tail(f->dev) == 3);
	CHECK(qiring_poll(&f->ring, &t) == -EINPROGRESS);
	CHECK(qiring_release(&f->ring, &t) == -EBUSY);		/* in flight: not yours yet */
	CHECK(qiring_free_slots(&f->ring) == 12);
	qr_dev_run(f->dev);
	CHECK(nev(f) == 3);
	CHECK(qiring_poll(&f->ring, &t) == 0);
	CHECK(qiring_wait(&f->ring, &t) == 0);
	CHECK(qiring_free_slots(&f->ring) == 12);		/* done, not released */
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qiring_release(&f->ring, &t) == -EINVAL);		/* twice */
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

/*
 * In-order publication and coalescing: B reserved after A but published
 * first cannot reach the hardware past A's unwritten slots (H2). When A
 * publishes, one tail write covers both (coalesced doorbell).
 */
static void test_publish_in_order_and_coalesced(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_MANUAL, 0);
	struct qiring_desc d = iotlb(1);
	struct qiring_ticket a, b;
	struct qiring_stats st;

	CHECK(qiring_reserve(&f->ring, 1, &a) == 0);
	CHECK(qiring_reserve(&f->ring, 0, &b) == 0);
	CHECK(b.pos == 2);
	qiring_publish(&f->ring, &b, 0);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.tail_writes == 0);			/* nothing before A is ready */
	CHECK(qr_dev_read_tail(f->dev) == 0);
	CHECK(qiring_write(&f->ring, &a, 0, &d) == 0);
	qiring_publish(&f->ring, &a, 0);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.tail_writes == 1);			/* one doorbell for both */
	CHECK(st.submissions == 2);
	CHECK(qr_dev_read_tail(f->dev) == 3);
	qr_dev_run(f->dev);
	CHECK(qiring_poll(&f->ring, &a) == 0 && qiring_poll(&f->ring, &b) == 0);
	/* B finishing first cannot free A's slots: reclaim stops at A (H4). */
	CHECK(qiring_release(&f->ring, &b) == 0);
	CHECK(qiring_reclaim(&f->ring) == 0);
	CHECK(qiring_free_slots(&f->ring) == 12);
	/* A's release crosses a reclaim boundary: it reclaims both. */
	CHECK(qiring_release(&f->ring, &a) == 0);
	CHECK(qiring_reclaim(&f->ring) == 0);
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

/*
 * H1: after the ring wrapped, a reserved but unwritten slot still holds the
 * FREE its previous owner left. Reclaim must not take it.
 */
static void test_stale_free_is_not_reclaimed(void)
{
	struct fixture *f = setup(4, 16, QR_DEV_LAZY, 0);
	struct qiring_ticket t;
	int i;

	for (i = 0; i < 6; i++)			/* 6 lone waits: 1.5 laps */
		CHECK(qiring_submit_sync(&f->ring, NULL, 0, 0) == 0);
	CHECK(qiring_free_slots(&f->ring) == 3);
	CHECK(qiring_reserve(&f->ring, 0, &t) == 0);
	CHECK(t.pos == 6);
	CHECK(qiring_reclaim(&f->ring) == 0);	/* slot 2 reads FREE of lap 0 */
	CHECK(qiring_free_slots(&f->ring) == 2);
	qiring_publish(&f->ring, &t, 0);
	CHECK(qiring_wait(&f->ring, &t) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qiring_free_slots(&f->ring) == 3);
	teardown(f);
}

/* ---- faults --------------------------------------------------------- */

static void test_iqe_returns_einval_to_owner_only(u32 bad_index)
{
	struct fixture *f = setup(16, 16, QR_DEV_LAZY, 0);
	struct qiring_desc d[3] = { iotlb(1), iotlb(2), iotlb(3) };
	struct qiring_stats st;
	u32 i, n;

	d[bad_index].qw0 = 0xf;			/* no such descriptor type */
	CHECK(qiring_submit_sync(&f->ring, d, 3, 0) == -EINVAL);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.iqe == 1);
	CHECK((qr_dev_read_fault(f->dev) & QIRING_FSTS_IQE) == 0);
	/* The ring keeps working and the next submission is clean. */
	d[bad_index] = iotlb(9);
	n = nev(f);
	CHECK(qiring_submit_sync(&f->ring, d, 3, 0) == 0);
	CHECK(nev(f) == n + 4);
	for (i = 0; i < n && i < MAX_EVENTS; i++)
		if (f->ev[i].kind == QR_DEV_IQE)
			CHECK(f->ev[i].slot == bad_index);
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

static void test_ite_aborts_and_restarts(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_LAZY, 0);
	struct qiring_desc d[2] = { { .qw0 = QIRING_TYPE_DIOTLB, .qw1 = 0x1000 }, iotlb(5) };
	struct qr_dev_counters dc;
	struct qiring_stats st;

	qr_dev_inject_ite_at(f->dev, 0);
	CHECK(qiring_submit_sync(&f->ring, d, 2, 0) == 0);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.ite == 1);
	CHECK(st.restarts == 1);
	CHECK(st.submissions == 2);		/* published twice */
	qr_dev_get_counters(f->dev, &dc);
	CHECK(dc.ite == 1 && dc.aborted_waits == 1);
	CHECK(dc.waits_written == 1);
	CHECK(qiring_free_slots(&f->ring) == 15);
	CHECK(qiring_submit_sync(&f->ring, d, 2, 0) == 0);
	teardown(f);
}

static void test_ice_is_cleared(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_LAZY, 0);
	struct qiring_stats st;

	qr_dev_inject_ice_at(f->dev, 0);
	CHECK(qiring_submit_sync(&f->ring, NULL, 0, 0) == 0);
	CHECK(qr_dev_read_fault(f->dev) & QIRING_FSTS_ICE);
	CHECK(qiring_check_faults(&f->ring) & QIRING_FSTS_ICE);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.ice == 1);
	CHECK(qr_dev_read_fault(f->dev) == 0);
	CHECK(qiring_check_faults(&f->ring) == 0);
	teardown(f);
}

/* ---- H6: a full ring behind a stalled owner is reported, then proceeds -- */

struct reserver {
	struct fixture *f;
	_Atomic int done;
	int rc;
};

static void *reserve_thread(void *arg)
{
	struct reserver *r = arg;

	r->rc = qiring_submit_sync(&r->f->ring, NULL, 0, 0);
	atomic_store_explicit(&r->done, 1, memory_order_release);
	return NULL;
}

static int wait_until(_Atomic u32 *v, u32 at_least, u64 timeout_ns)
{
	u64 end = ktime_get_ns() + timeout_ns;

	while (atomic_load_explicit(v, memory_order_acquire) < at_least)
		if (ktime_get_ns() > end)
			return 0;
	return 1;
}

static void test_full_ring_stall_is_reported(void)
{
	struct fixture *f = setup(4, 16, QR_DEV_LAZY, 2 * 1000 * 1000);	/* 2 ms */
	struct qiring_desc d[2] = { iotlb(1), iotlb(2) };
	struct reserver rs = { .f = f };
	struct qiring_ticket t;
	pthread_t th;

	/* Take 3 of 4 slots and sit on them: completed, never released. */
	CHECK(qiring_reserve(&f->ring, 2, &t) == 0);
	CHECK(qiring_write(&f->ring, &t, 0, &d[0]) == 0);
	CHECK(qiring_write(&f->ring, &t, 1, &d[1]) == 0);
	qiring_publish(&f->ring, &t, 0);
	CHECK(qiring_wait(&f->ring, &t) == 0);

	pthread_create(&th, NULL, reserve_thread, &rs);
	CHECK(wait_until(&f->nstall, 1, 10ull * 1000 * 1000 * 1000));
	CHECK(!atomic_load_explicit(&rs.done, memory_order_acquire));
	CHECK(f->last_stall.reserving);
	CHECK(f->last_stall.blocker == QIRING_BLOCKER_OWNER_RELEASE);
	CHECK(f->last_stall.blocker_seq == 0 && f->last_stall.blocker_slot == 0);
	CHECK(f->last_stall.age_ns >= 2 * 1000 * 1000);
	CHECK(qiring_release(&f->ring, &t) == 0);
	pthread_join(th, NULL);
	CHECK(rs.rc == 0);
	CHECK(qiring_free_slots(&f->ring) == 3);
	teardown(f);
}

/* A waiter held by a submission that is reserved but never written. */
static void test_unpublished_owner_stall_is_reported(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_LAZY, 2 * 1000 * 1000);
	struct reserver rs = { .f = f };
	struct qiring_ticket t;
	pthread_t th;

	CHECK(qiring_reserve(&f->ring, 1, &t) == 0);	/* then "stall" mid-submission */
	pthread_create(&th, NULL, reserve_thread, &rs);
	CHECK(wait_until(&f->nstall, 1, 10ull * 1000 * 1000 * 1000));
	CHECK(!f->last_stall.reserving);
	CHECK(f->last_stall.blocker == QIRING_BLOCKER_OWNER_WRITING);
	CHECK(f->last_stall.blocker_seq == t.pos);
	CHECK(f->last_stall.waiter_seq == 2);
	CHECK(qiring_write(&f->ring, &t, 0, &(struct qiring_desc){ .qw0 = 2 }) == 0);
	qiring_publish(&f->ring, &t, 0);	/* publishes both: ours and the waiter's */
	pthread_join(th, NULL);
	CHECK(rs.rc == 0);
	CHECK(qiring_wait(&f->ring, &t) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	teardown(f);
}

/* A waiter held by the hardware: published, never executed. */
static void test_device_stall_is_reported(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_MANUAL, 2 * 1000 * 1000);
	struct reserver rs = { .f = f };
	pthread_t th;

	pthread_create(&th, NULL, reserve_thread, &rs);	/* a lone wait at position 0 */
	CHECK(wait_until(&f->nstall, 1, 10ull * 1000 * 1000 * 1000));
	CHECK(!atomic_load_explicit(&rs.done, memory_order_acquire));
	CHECK(!f->last_stall.reserving);
	CHECK(f->last_stall.blocker == QIRING_BLOCKER_DEVICE);
	CHECK(f->last_stall.waiter_seq == 0 && f->last_stall.blocker_seq == 0);
	CHECK(f->last_stall.fault == 0);
	CHECK(f->last_stall.age_ns >= 2 * 1000 * 1000);
	CHECK(qr_dev_read_tail(f->dev) == 1);		/* it was published */
	qr_dev_run(f->dev);				/* the hardware wakes up */
	pthread_join(th, NULL);
	CHECK(rs.rc == 0);
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

static void test_wait_timeout(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_MANUAL, 0);
	struct qiring_ticket t;

	CHECK(qiring_reserve(&f->ring, 0, &t) == 0);
	qiring_publish(&f->ring, &t, 0);
	CHECK(qiring_wait_timeout(&f->ring, &t, 1000 * 1000) == -ETIMEDOUT);
	qr_dev_run(f->dev);
	CHECK(qiring_wait_timeout(&f->ring, &t, 1000 * 1000) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	teardown(f);
}

/* ---- lifecycle: disable / enable / destroy ----------------------------- */

static void test_lifecycle_api(void)
{
	struct fixture *f = setup(16, 16, QR_DEV_LAZY, 0);
	struct qiring_desc d = iotlb(7);
	struct qiring_ticket t, u;

	CHECK(qiring_disable(NULL) == -EINVAL);
	CHECK(qiring_enable(NULL) == -EINVAL);
	CHECK(qiring_destroy(NULL) == -EINVAL);
	CHECK(qiring_enable(&f->ring) == -EBUSY);		/* init leaves it enabled */
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == 0);

	/* A split-API ticket outstanding: disable refuses to call it quiescent. */
	CHECK(qiring_reserve(&f->ring, 1, &t) == 0);
	CHECK(qiring_disable(&f->ring) == -EBUSY);
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == -ENODEV);
	CHECK(qiring_submit_sync(&f->ring, NULL, 0, 0) == -ENODEV);
	CHECK(qiring_reserve(&f->ring, 0, &u) == -ENODEV);
	CHECK(qiring_enable(&f->ring) == -EBUSY);		/* ticket still owned */
	/* ...but the ticket itself can still finish. */
	CHECK(qiring_write(&f->ring, &t, 0, &d) == 0);
	qiring_publish(&f->ring, &t, 0);
	CHECK(qiring_wait(&f->ring, &t) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qiring_disable(&f->ring) == 0);
	CHECK(qiring_free_slots(&f->ring) == 15);
	CHECK(qr_dev_read_head(f->dev) == qr_dev_read_tail(f->dev));

	/*
	 * Resume: unit reset, the ring restarts at slot 0 of a new epoch.
	 * Three submissions took positions 0..5; the epoch starts at 16.
	 */
	qr_dev_set_queue(f->dev, f->desc, 16, 16, f->status, qiring_status_words(16));
	CHECK(qiring_enable(&f->ring) == 0);
	CHECK(qiring_reserve(&f->ring, 2, &u) == 0 && u.pos == 16);
	CHECK(qiring_write(&f->ring, &u, 0, &d) == 0);
	CHECK(qiring_write(&f->ring, &u, 1, &d) == 0);
	qiring_publish(&f->ring, &u, 0);
	CHECK(qiring_wait(&f->ring, &u) == 0);
	CHECK(qiring_release(&f->ring, &u) == 0);
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == 0);

	/* The no-wait form, as the kernel's resume path uses it. */
	CHECK(qiring_disable_nowait(NULL) == -EINVAL);
	CHECK(qiring_reserve(&f->ring, 0, &t) == 0);
	CHECK(qiring_disable_nowait(&f->ring) == -EBUSY);	/* t is still owned */
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == -ENODEV);
	qiring_publish(&f->ring, &t, 0);
	CHECK(qiring_wait(&f->ring, &t) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qiring_disable_nowait(&f->ring) == 0);
	qr_dev_set_queue(f->dev, f->desc, 16, 16, f->status, qiring_status_words(16));
	CHECK(qiring_enable(&f->ring) == 0);
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == 0);

	CHECK(qiring_destroy(&f->ring) == 0);
	CHECK(qiring_disable_nowait(&f->ring) == -EINVAL);
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == -ENODEV);
	CHECK(qiring_enable(&f->ring) == -EINVAL);
	CHECK(qiring_disable(&f->ring) == -EINVAL);
	teardown(f);
}

int main(void)
{
	test_init_rejects_bad_config();
	test_submit_sync_counts(16);
	test_submit_sync_counts(32);
	test_bad_arguments_leave_ring_usable();
	test_split_api_lifecycle();
	test_publish_in_order_and_coalesced();
	test_stale_free_is_not_reclaimed();
	test_iqe_returns_einval_to_owner_only(0);
	test_iqe_returns_einval_to_owner_only(1);
	test_iqe_returns_einval_to_owner_only(2);
	test_ite_aborts_and_restarts();
	test_ice_is_cleared();
	test_full_ring_stall_is_reported();
	test_unpublished_owner_stall_is_reported();
	test_wait_timeout();
	test_device_stall_is_reported();
	test_lifecycle_api();
	return check_exit();
}
