// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The slot hand-off, for ThreadSanitizer: a slot is reused by a new owner
 * whom nothing but the core's reuse chain orders after the last use of
 * that slot:
 *
 *	unit: fetches T0's descriptor in slot 1
 *	T0:   sees its wait end (O12: DONE; or GONE from its own ITE
 *	      handler, O7), reads its descriptors if GONE (does the submission
 *	      carry a device-TLB invalidation?), releases its slots (O3); its
 *	      reclaim stops at slot 0, still held by M
 *	T1:   waits for room (the ring is full: slot 0 is M's), polling the
 *	      unit as every waiter does
 *	M:    releases slot 0; its reclaim (or T1's) passes T0's FREE words
 *	      (O4) and moves cons over them (O6)
 *	T1:   reserves from that cons (O5): its wait descriptor goes to slot 1
 *
 * Three threads on a 4-slot ring (M is the main thread, with the split
 * API), stepping through phases on relaxed atomics, which order nothing
 * for TSan; T1 is created first, so it inherits nothing either, and T0
 * outlives T1 (a thread's exit unregisters it from liburcu-bp under a mutex
 * that a first rcu_read_lock() takes: a happens-before path of its own).
 * With every link in place T1's write of slot 1 happens after the unit's
 * fetch and after T0's reads; with one of them relaxed it does not, and
 * TSan reports the race on slot 1 (the weakenings of
 * tests/weakmem/weaken/; which ones TSan can see: docs/verification.md).
 *
 * T1's polls are where the device model's own lock used to order it after
 * the unit's fetch: a lazy unit is advanced by whoever polls, under one
 * mutex. 16-byte descriptors: GCC 12's ThreadSanitizer does not check the
 * __tsan_read_range/__tsan_write_range accesses it emits for the core's
 * constant 32-byte descriptor copies. The unit runs on its own thread,
 * then lazily in the waiters' polls: the device model keeps its own locking
 * out of TSan's happens-before (tests/lib/devmodel.c), so neither mode
 * orders T1 after the fetch by the back door. Without TSan this is a
 * functional test of the same sequences.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"

#include "check.h"

#define SLOTS	4u
#define DSIZE	16u

static struct qiring ring;
static struct qr_dev *dev;
static u8 *desc;
static u32 *status;
static bool gone;		/* T0's descriptor times out, its device is gone */
/* phases: relaxed on purpose, they must not order anything */
static _Atomic int phase;
static _Atomic int rc0, rc1;
static _Atomic unsigned int polls;	/* T1's relax calls while it waits for room */

static void count_poll(void *arg)
{
	if (atomic_load_explicit(&phase, memory_order_relaxed) == 2)
		atomic_fetch_add_explicit(&polls, 1, memory_order_relaxed);
}

static bool target_gone(void *hw)
{
	return true;
}

static struct qiring_hw_ops gone_ops;

static void wait_phase(int p)
{
	while (atomic_load_explicit(&phase, memory_order_relaxed) < p)
		sched_yield();
}

static void set_phase(int p)
{
	atomic_store_explicit(&phase, p, memory_order_relaxed);
}

static struct qiring_desc iotlb(u64 tag)
{
	struct qiring_desc d = { .qw0 = 0x2 | (tag << 32), .qw1 = tag << 12 };
	return d;
}

static void *t0(void *arg)
{
	struct qiring_desc d = iotlb(1);

	if (gone)
		d.qw0 = QIRING_TYPE_DIOTLB | (1ull << 32);	/* device-TLB (16-byte) */
	wait_phase(1);
	/* positions 1 (slot 1) and 2 (its wait) */
	atomic_store_explicit(&rc0, qiring_submit_sync(&ring, &d, 1, 0),
			      memory_order_relaxed);
	set_phase(2);
	wait_phase(4);		/* outlive T1 (see above) */
	return NULL;
}

static void *t1(void *arg)
{
	struct qiring_desc d[2] = { iotlb(2), iotlb(3) };

	wait_phase(2);
	/* positions 3, 4 (slot 0) and its wait at 5 (slot 1): reuses T0's slot */
	atomic_store_explicit(&rc1, qiring_submit_sync(&ring, d, 2, 0),
			      memory_order_relaxed);
	return NULL;
}

static void round_trip(enum qr_dev_mode mode, bool gone_round)
{
	struct qr_dev_config dc = { .mode = mode, .on_relax = count_poll };
	struct qiring_config c = {
		.slots = SLOTS, .desc_size = DSIZE, .ops = &qr_dev_hw_ops,
		.fault_poll_ns = 1,	/* waiters handle the ITE at once */
	};
	struct qiring_ticket m;
	pthread_t th0, th1;

	gone = gone_round;
	desc = aligned_alloc(4096, 4096);
	status = aligned_alloc(64, 64 * ((qiring_status_words(SLOTS) * 4 + 63) / 64));
	dev = qr_dev_create(&dc);
	c.desc = desc;
	c.status = status;
	c.status_dma = (u64)(uintptr_t)status;
	c.hw = dev;
	if (gone) {
		gone_ops = qr_dev_hw_ops;
		gone_ops.ite_target_gone = target_gone;
		c.ops = &gone_ops;
	}
	CHECK(dev && qiring_init(&ring, &c) == 0);
	qr_dev_set_queue(dev, desc, SLOTS, DSIZE, status, qiring_status_words(SLOTS));
	if (gone)
		qr_dev_inject_ite_at(dev, 1);
	set_phase(0);
	atomic_store_explicit(&polls, 0, memory_order_relaxed);
	pthread_create(&th1, NULL, t1, NULL);	/* first: it inherits nothing */

	/* M holds slot 0: a lone wait, published, not yet released */
	CHECK(qiring_reserve(&ring, 0, &m) == 0 && m.pos == 0);
	CHECK(qiring_publish(&ring, &m, 0) == 0);
	pthread_create(&th0, NULL, t0, NULL);
	set_phase(1);
	wait_phase(2);
	CHECK(atomic_load_explicit(&rc0, memory_order_relaxed) == (gone ? -ETIMEDOUT : 0));
	/* T0's reclaim stopped at M's slot: cons is still 0 */
	CHECK(atomic64_read(&ring.cons) == 0);
	while (atomic_load_explicit(&polls, memory_order_relaxed) < 8)
		sched_yield();		/* T1 waits for room, polling */
	CHECK(qiring_wait(&ring, &m) == 0);
	CHECK(qiring_release(&ring, &m) == 0);	/* reclaim, or T1's, passes T0's slots */
	set_phase(3);
	pthread_join(th1, NULL);
	set_phase(4);
	pthread_join(th0, NULL);
	CHECK(atomic_load_explicit(&rc1, memory_order_relaxed) == 0);
	CHECK(qiring_free_slots(&ring) == SLOTS - 1);
	qr_dev_destroy(dev);
	free(desc);
	free(status);
}

int main(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		round_trip(QR_DEV_THREAD, false);
		round_trip(QR_DEV_LAZY, false);
		round_trip(QR_DEV_THREAD, true);
		round_trip(QR_DEV_LAZY, true);
	}
	return check_exit();
}
