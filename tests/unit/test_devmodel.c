// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The device model is the oracle every other test trusts: check it on its
 * own, by writing descriptors and registers by hand as a driver would.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n",	\
			__FILE__, __LINE__, __func__, #c);		\
		failures++;						\
	}								\
} while (0)

#define SLOTS	16
#define MAXEV	256

struct rig {
	struct qr_dev *dev;
	u64 desc[SLOTS * 4];
	u32 status[SLOTS + 1];
	u32 dsize;
	struct qr_dev_event ev[MAXEV];
	_Atomic u32 nev;
};

static void log_ev(void *arg, const struct qr_dev_event *e)
{
	struct rig *r = arg;
	u32 n = atomic_load_explicit(&r->nev, memory_order_relaxed);

	if (n < MAXEV)
		r->ev[n] = *e;
	/* Release: the event is visible to whoever acquires nev. */
	atomic_store_explicit(&r->nev, n + 1, memory_order_release);
}

static struct rig *rig_new(enum qr_dev_mode mode, u32 dsize,
			   const struct qr_dev_profile *p)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct qr_dev_config c = { .mode = mode, .on_exec = log_ev,
				   .on_exec_arg = r };

	if (p)
		c.profile = *p;
	r->dsize = dsize;
	r->dev = qr_dev_create(&c);
	if (!r->dev)
		abort();
	qr_dev_set_queue(r->dev, r->desc, SLOTS, dsize, r->status, SLOTS + 1);
	return r;
}

static void rig_free(struct rig *r)
{
	qr_dev_destroy(r->dev);
	free(r);
}

static void put(struct rig *r, u32 idx, u64 qw0, u64 qw1)
{
	u64 *q = &r->desc[idx * (r->dsize / 8)];

	q[0] = qw0;
	q[1] = qw1;
}

static void put_wait(struct rig *r, u32 idx, u32 data, u32 sidx)
{
	put(r, idx, QIRING_IWD_STATUS_DATA(data) | QIRING_IWD_SW | QIRING_TYPE_IWD,
	    (u64)(uintptr_t)&r->status[sidx]);
}

static u32 status(struct rig *r, u32 i)
{
	return smp_load_acquire(&r->status[i]);
}

static u32 nev(struct rig *r)
{
	return atomic_load_explicit(&r->nev, memory_order_acquire);
}

/* Bounded poll: a model that never completes fails the test, never hangs it. */
#define DEADLINE_NS	(10ull * 1000 * 1000 * 1000)

static bool wait_status(struct rig *r, u32 i, u32 want)
{
	u64 start = ktime_get_ns();

	while (status(r, i) != want) {
		if (ktime_get_ns() - start > DEADLINE_NS) {
			fprintf(stderr, "status[%u] = %#x, want %#x: device stuck at IQH %u IQT %u FSTS %#x\n",
				i, status(r, i), want, qr_dev_read_head(r->dev),
				qr_dev_read_tail(r->dev), qr_dev_read_fault(r->dev));
			failures++;
			return false;
		}
		qr_dev_relax(r->dev);
	}
	return true;
}

/* In-order execution, status writes, counters, nothing runs before IQT. */
static void test_exec_in_order(u32 dsize)
{
	struct rig *r = rig_new(QR_DEV_MANUAL, dsize, NULL);
	struct qr_dev_counters c;
	u32 i;

	put(r, 0, 0x2, 0x100);
	put(r, 1, 0x1, 0x200);
	put_wait(r, 2, 0xabc, 2);
	qr_dev_run(r->dev);
	CHECK(nev(r) == 0);			/* nothing published yet */
	qr_dev_write_tail(r->dev, 3);
	CHECK(qr_dev_read_tail(r->dev) == 3);
	CHECK(qr_dev_read_head(r->dev) == 0);	/* manual: nothing ran */
	CHECK(qr_dev_step(r->dev, 2) == 2);
	CHECK(qr_dev_read_head(r->dev) == 2);
	CHECK(status(r, 2) == 0);
	qr_dev_run(r->dev);
	CHECK(qr_dev_read_head(r->dev) == 3);
	CHECK(status(r, 2) == 0xabc);
	CHECK(nev(r) == 3);
	for (i = 0; i < 3; i++) {
		CHECK(r->ev[i].kind == QR_DEV_EXEC);
		CHECK(r->ev[i].slot == i);
		CHECK(r->ev[i].order == i);
	}
	CHECK(r->ev[0].desc.qw1 == 0x100 && r->ev[1].desc.qw1 == 0x200);
	qr_dev_get_counters(r->dev, &c);
	CHECK(c.tail_writes == 1 && c.executed == 3 && c.waits_written == 1);
	CHECK(c.head_reads == 3 && c.fault_reads == 0 && c.bad_status_addr == 0);
	rig_free(r);
}

/* The head wraps; the queue empties exactly at IQT. */
static void test_wrap(void)
{
	struct rig *r = rig_new(QR_DEV_MANUAL, 16, NULL);
	u32 i;

	for (i = 0; i < SLOTS - 2; i++)
		put(r, i, 0x2, i);
	qr_dev_write_tail(r->dev, SLOTS - 2);
	qr_dev_run(r->dev);
	for (i = 0; i < 4; i++)
		put(r, (SLOTS - 2 + i) % SLOTS, 0x2, 100 + i);
	qr_dev_write_tail(r->dev, 2);
	qr_dev_run(r->dev);
	CHECK(qr_dev_read_head(r->dev) == 2);
	CHECK(nev(r) == SLOTS + 2);
	CHECK(r->ev[SLOTS - 2].slot == SLOTS - 2 && r->ev[SLOTS - 1].slot == SLOTS - 1);
	CHECK(r->ev[SLOTS].slot == 0 && r->ev[SLOTS + 1].desc.qw1 == 103);
	rig_free(r);
}

/* Invalid descriptors raise IQE and stop at IQH until cleared. */
static void test_iqe(u32 dsize, u64 bad_qw0)
{
	struct rig *r = rig_new(QR_DEV_MANUAL, dsize, NULL);
	struct qr_dev_counters c;

	put(r, 0, 0x2, 0);
	put(r, 1, bad_qw0, 0);
	put_wait(r, 2, 7, 2);
	qr_dev_write_tail(r->dev, 3);
	qr_dev_run(r->dev);
	CHECK(qr_dev_read_fault(r->dev) == QIRING_FSTS_IQE);
	CHECK(qr_dev_read_head(r->dev) == 1);
	CHECK((qr_dev_read_iqer(r->dev) >> 32) == 1);
	CHECK(nev(r) == 2 && r->ev[1].kind == QR_DEV_IQE && r->ev[1].slot == 1);
	qr_dev_run(r->dev);			/* still stopped */
	CHECK(nev(r) == 2 && status(r, 2) == 0);
	put(r, 1, 0x2, 0);			/* software repairs it... */
	qr_dev_clear_fault(r->dev, QIRING_FSTS_IQE);	/* ...and clears */
	CHECK(qr_dev_read_fault(r->dev) == 0);
	qr_dev_run(r->dev);
	CHECK(nev(r) == 4 && r->ev[2].slot == 1 && r->ev[2].kind == QR_DEV_EXEC);
	CHECK(status(r, 2) == 7);
	qr_dev_get_counters(r->dev, &c);
	CHECK(c.iqe == 1 && c.fault_clears == 1 && c.executed == 3);
	rig_free(r);
}

static void test_valid_types(void)
{
	struct rig *r16 = rig_new(QR_DEV_MANUAL, 16, NULL);
	struct rig *r32 = rig_new(QR_DEV_MANUAL, 32, NULL);
	u32 t;

	/* 0x1..0x4 on both; 0x6..0x9 only on 32-byte (scalable mode) rings. */
	for (t = 1; t <= 9; t++) {
		if (t == 5) {
			put_wait(r16, 5, 1, 5);
			put_wait(r32, 5, 1, 5);
			continue;
		}
		put(r16, t, t, 0);
		put(r32, t, t, 0);
	}
	put(r16, 0, 0x2, 0);
	put(r32, 0, 0x2, 0);
	qr_dev_write_tail(r16->dev, 10);
	qr_dev_write_tail(r32->dev, 10);
	qr_dev_run(r16->dev);
	qr_dev_run(r32->dev);
	CHECK(qr_dev_read_head(r16->dev) == 6);
	CHECK(qr_dev_read_fault(r16->dev) == QIRING_FSTS_IQE);
	CHECK(qr_dev_read_head(r32->dev) == 10);
	CHECK(qr_dev_read_fault(r32->dev) == 0);
	rig_free(r16);
	rig_free(r32);
}

/* ITE: drop through the next wait, IQH past it, stop until cleared. */
static void test_ite(void)
{
	struct rig *r = rig_new(QR_DEV_MANUAL, 16, NULL);
	struct qr_dev_counters c;

	put(r, 0, QIRING_TYPE_DIOTLB, 0);
	put(r, 1, 0x2, 0);
	put_wait(r, 2, 1, 2);
	put(r, 3, 0x2, 0);
	put_wait(r, 4, 2, 4);
	qr_dev_inject_ite_at(r->dev, 0);
	qr_dev_write_tail(r->dev, 5);
	qr_dev_run(r->dev);
	CHECK(qr_dev_read_fault(r->dev) == QIRING_FSTS_ITE);
	CHECK(qr_dev_read_head(r->dev) == 3);
	CHECK(status(r, 2) == 0);
	CHECK(nev(r) == 4);
	CHECK(r->ev[0].kind == QR_DEV_ITE && r->ev[0].slot == 0);
	CHECK(r->ev[1].kind == QR_DEV_DISCARD && r->ev[3].kind == QR_DEV_DISCARD);
	CHECK(r->ev[3].slot == 2);
	qr_dev_clear_fault(r->dev, QIRING_FSTS_ITE);
	qr_dev_run(r->dev);
	CHECK(status(r, 4) == 2 && status(r, 2) == 0);
	qr_dev_get_counters(r->dev, &c);
	CHECK(c.ite == 1 && c.aborted_waits == 1 && c.waits_written == 1);
	/* One-shot: the next device-TLB descriptor executes normally. */
	put(r, 5, QIRING_TYPE_DIOTLB, 0);
	put_wait(r, 6, 3, 6);
	qr_dev_write_tail(r->dev, 7);
	qr_dev_run(r->dev);
	CHECK(status(r, 6) == 3 && qr_dev_read_fault(r->dev) == 0);
	rig_free(r);
}

/* ICE on a wait: raised, the wait still completes, nothing stops. */
static void test_ice(void)
{
	struct rig *r = rig_new(QR_DEV_MANUAL, 16, NULL);

	put_wait(r, 0, 5, 0);
	put_wait(r, 1, 6, 1);
	qr_dev_inject_ice_at(r->dev, 0);
	qr_dev_write_tail(r->dev, 2);
	qr_dev_run(r->dev);
	CHECK(status(r, 0) == 5 && status(r, 1) == 6);
	CHECK(qr_dev_read_fault(r->dev) == QIRING_FSTS_ICE);
	qr_dev_clear_fault(r->dev, QIRING_FSTS_ICE);
	CHECK(qr_dev_read_fault(r->dev) == 0);
	rig_free(r);
}

/* A status address outside the registered words is counted, not written. */
static void test_bad_status_addr(void)
{
	struct rig *r = rig_new(QR_DEV_MANUAL, 16, NULL);
	u32 outside = 0;
	struct qr_dev_counters c;

	put(r, 0, QIRING_IWD_STATUS_DATA(9) | QIRING_IWD_SW | QIRING_TYPE_IWD,
	    (u64)(uintptr_t)&outside);
	qr_dev_write_tail(r->dev, 1);
	qr_dev_run(r->dev);
	qr_dev_get_counters(r->dev, &c);
	CHECK(c.bad_status_addr == 1 && c.waits_written == 0 && outside == 0);
	rig_free(r);
}

/* Random ITE only ever hits device-TLB descriptors. */
static void test_ite_rate_eligibility(void)
{
	struct qr_dev_config cfg = { .mode = QR_DEV_MANUAL, .ite_one_in = 1,
				     .seed = 42 };
	struct qr_dev *d = qr_dev_create(&cfg);
	u64 desc[SLOTS * 2] = { 0 };
	u32 st[SLOTS + 1] = { 0 };
	struct qr_dev_counters c;
	u32 i;

	qr_dev_set_queue(d, desc, SLOTS, 16, st, SLOTS + 1);
	for (i = 0; i < 8; i++)
		desc[2 * i] = 0x2;
	desc[16] = QIRING_TYPE_DIOTLB;
	qr_dev_write_tail(d, 9);
	qr_dev_run(d);
	qr_dev_get_counters(d, &c);
	CHECK(c.executed == 8 && c.ite == 1);
	CHECK(qr_dev_read_fault(d) == QIRING_FSTS_ITE);
	qr_dev_destroy(d);
}

/* Latencies: lazy mode runs nothing before the doorbell delay, then all. */
static void test_lazy_latency(void)
{
	struct qr_dev_profile p = { .doorbell_ns = 20 * 1000 * 1000,
				    .desc_ns = 1000 };
	struct rig *r = rig_new(QR_DEV_LAZY, 16, &p);
	u64 start = ktime_get_ns();
	u32 polls = 0;

	put_wait(r, 0, 1, 0);
	qr_dev_write_tail(r->dev, 1);
	while (!status(r, 0) && ktime_get_ns() - start < DEADLINE_NS) {
		qr_dev_relax(r->dev);
		polls++;
	}
	CHECK(status(r, 0) == 1);
	CHECK(ktime_get_ns() - start >= p.doorbell_ns);
	CHECK(polls > 1);
	rig_free(r);
}

/* sync_exec: the tail write returns with the queue executed. */
static void test_sync_exec(void)
{
	struct qr_dev_profile p = { .sync_exec = true };
	struct rig *r = rig_new(QR_DEV_MANUAL, 16, &p);

	put(r, 0, 0x2, 0);
	put_wait(r, 1, 4, 1);
	qr_dev_write_tail(r->dev, 2);
	CHECK(status(r, 1) == 4 && nev(r) == 2);
	rig_free(r);
}

/* Thread mode: another thread executes; a poller sees the status word. */
static void test_thread_mode(void)
{
	struct qr_dev_profile p = { .desc_ns = 100 };
	struct rig *r = rig_new(QR_DEV_THREAD, 16, &p);
	u32 round, i;

	for (round = 1; round <= 200; round++) {
		u32 base = ((round - 1) * 4) % SLOTS;

		for (i = 0; i < 3; i++)
			put(r, base + i, 0x2, round * 10 + i);
		put_wait(r, base + 3, round, base + 3);
		qr_dev_write_tail(r->dev, (base + 4) % SLOTS);
		if (!wait_status(r, base + 3, round))
			break;
		/* the log is complete up to this wait */
		CHECK(nev(r) == round * 4);
		if (round * 4 <= MAXEV)
			CHECK(r->ev[round * 4 - 2].desc.qw1 == round * 10 + 2);
	}
	rig_free(r);
}

/* on_relax runs first, in every mode. */
static void count_relax(void *arg)
{
	(*(int *)arg)++;
}

static void test_on_relax(void)
{
	enum qr_dev_mode modes[] = { QR_DEV_MANUAL, QR_DEV_LAZY, QR_DEV_THREAD };
	unsigned int m;

	for (m = 0; m < 3; m++) {
		int n = 0;
		struct qr_dev_config c = { .mode = modes[m], .on_relax = count_relax,
					   .on_relax_arg = &n };
		struct qr_dev *d = qr_dev_create(&c);

		qr_dev_relax(d);
		qr_dev_relax(d);
		CHECK(n == 2);
		qr_dev_destroy(d);
	}
}

int main(void)
{
	test_exec_in_order(16);
	test_exec_in_order(32);
	test_wrap();
	test_iqe(16, 0xf);			/* no such type */
	test_iqe(16, 0x6);			/* 32-byte-only type on a 16-byte ring */
	test_iqe(32, 0x2 | (1ull << 10));	/* reserved type bits */
	test_iqe(16, QIRING_TYPE_IWD);		/* wait with neither SW nor IF */
	test_valid_types();
	test_ite();
	test_ice();
	test_bad_status_addr();
	test_ite_rate_eligibility();
	test_lazy_latency();
	test_sync_exec();
	test_thread_mode();
	test_on_relax();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("devmodel: all checks passed\n");
	return 0;
}
