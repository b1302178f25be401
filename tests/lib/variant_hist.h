/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The body shared by the three historical variants (legacy, tbf, locked):
 * a userspace rendering of Linux's qi_submit_sync() and qi_check_fault()
 * from drivers/iommu/intel/dmar.c. What differs between the three is only
 * what the owner does to its slots once it has seen its completion, and
 * what reclaim_free_desc() accepts as reclaimable; each variant file
 * supplies those two steps through struct qr_hist_ops.
 *
 * Locking, as in dmar.c: q_lock is held for the whole submission and
 * dropped only around the relax of each poll iteration (the free-space
 * loop and the completion loop). Everything in struct qr_vring except
 * desc_status[] and the statistics is protected by q_lock. desc_status[]
 * is also written by the device (the wait descriptor's status write, a
 * release store in the model), so it is an array of atomics; CPU-side
 * writes all happen under q_lock.
 *
 * q_lock is a Concurrency Kit MCS lock standing in for raw_spinlock_t
 * (its waiters yield now and then, see q_lock() in variant_hist.c);
 * interrupt disabling is not modelled.
 *
 * Built with QIRING_PORT_SIM (the interleaving explorer, tests/explore),
 * q_lock is the sim port's qr_sim_mutex_t instead: taking and dropping it
 * are scheduling points, and desc_status[] accesses, already port
 * operations, are scheduling points too.
 */
#ifndef QIRING_TESTS_VARIANT_HIST_H
#define QIRING_TESTS_VARIANT_HIST_H

#include <ck_spinlock.h>
#include <linux/compiler.h>

#include "variant.h"

/*
 * desc_status[] values: Linux's enum in iommu.h, in its order. The wait
 * descriptor's status data is QR_QI_DONE. QR_QI_TO_BE_FREED exists only in
 * the v1 patch (tbf).
 */
enum qr_qi_state {
	QR_QI_FREE,
	QR_QI_IN_USE,
	QR_QI_DONE,
	QR_QI_ABORT,
	QR_QI_TO_BE_FREED,
};

struct qr_hist_ops {
	/*
	 * The owner's step after its poll loop ended (completion seen, or
	 * -EINVAL / -EAGAIN from qi_check_fault): index is the first slot
	 * of the submission, count its descriptors; the wait is at
	 * index + count. q_lock held.
	 */
	void (*owner_done)(struct qr_vring *r, u32 index, u32 count);
	/* reclaim_free_desc(): q_lock held; returns slots made free. */
	u32 (*reclaim)(struct qr_vring *r);
};

struct qr_vring {
#ifdef QIRING_PORT_SIM
	qr_sim_mutex_t q_lock;
#else
	ck_spinlock_mcs_t q_lock;
#endif
	const struct qr_hist_ops *ops;
	struct qr_dev *dev;

	/* read-only after create */
	u8 *desc;			/* slots << shift bytes: the queue */
	u32 *desc_status;	/* one word per slot */
	u32 slots;			/* QI_LENGTH */
	u32 mask;
	u32 shift;			/* qi_shift(): 4 or 5 (32-byte) */
	u64 stall_ns;
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;

	/* under q_lock: Linux's struct q_inval */
	u32 free_head;			/* next slot to hand out (== IQT) */
	u32 free_tail;			/* first slot not yet reclaimed */
	u32 free_cnt;
	/*
	 * Not in Linux, for stall reports only: positions handed out so far,
	 * and for each slot the position it was handed out at and the wait
	 * slot of the submission that took it.
	 */
	u64 head_seq;
	u64 *slot_seq;
	u32 *slot_wait;

	/* statistics, relaxed atomics */
	atomic64_t submissions;
	atomic64_t restarts;
};

/* Accessors for the variant files (q_lock held). */
static inline u32 qr_hist_status(struct qr_vring *r, u32 slot)
{
	/*
	 * Acquire: pairs with the device model's release status write
	 * (status_write() in devmodel.c). A CPU that sees DONE has seen the
	 * device finish reading every descriptor up to that wait, so the
	 * slots may be handed out and rewritten.
	 */
	return smp_load_acquire(&r->desc_status[slot]);
}

static inline void qr_hist_set_status(struct qr_vring *r, u32 slot, u32 v)
{
	/* CPU writes are ordered by q_lock; the device never reads these. */
	WRITE_ONCE(r->desc_status[slot], v);
}

struct qr_vring *qr_hist_create(const struct qr_vring_config *cfg,
				const struct qr_hist_ops *ops);
void qr_hist_destroy(struct qr_vring *r);
int qr_hist_submit(struct qr_vring *r, const struct qiring_desc *desc,
		   unsigned int count, unsigned long options);
unsigned int qr_hist_reclaim(struct qr_vring *r);
unsigned int qr_hist_free_slots(struct qr_vring *r);
void qr_hist_counters(struct qr_vring *r, struct qr_vcounters *c);

#endif /* QIRING_TESTS_VARIANT_HIST_H */
