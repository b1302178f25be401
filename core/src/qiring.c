// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qiring: a lock-free ring for VT-d queued invalidation (QI) descriptors.
 *
 * It keeps the contract of Linux's qi_submit_sync(): count descriptors
 * followed by one invalidation wait descriptor (VT-d spec 6.5.2.8) whose
 * status write means every earlier descriptor completed; count + 2 free
 * slots per submission (the descriptors, the wait, and the gap that keeps
 * IQT from reaching IQH from behind); 0, or -EINVAL when the hardware flagged
 * one of the submission's own descriptors (IQE); an internal restart after
 * an ITE aborted its wait.
 *
 * State. Positions are 64-bit sequence numbers that never wrap and are never
 * reused, not even across disable and enable (H5); a slot index is
 * pos & mask and a lap is pos >> order. Five positions describe the ring,
 * with head and iqt the positions of the hardware's IQH and IQT:
 *
 *	base <= cons <= head <= iqt <= published <= prod,
 *	prod - cons <= slots - 1
 *
 *	base		first position of this epoch (since the last enable), a
 *			multiple of the ring size: tickets below it are stale;
 *	prod		allocation frontier: a reservation takes
 *			[p, p + count + 1) by moving prod with a cmpxchg;
 *	published	everything below was claimed by a doorbell, which
 *			writes IQT over it: it lives in tail, shifted left over
 *			the LEASE bit, and runs ahead of iqt while the lease
 *			holder is writing IQT;
 *	cons		reclaim frontier: everything below was released by its
 *			owner and may be reserved again.
 *
 * Each slot has a 32-bit status word, its state tagged with the lap of the
 * position using it (qiring_status_word()). The wait descriptor's status
 * data is DONE tagged with its position's lap, so the hardware's status
 * write is the completion itself.
 *
 *	FREE(lap-1) --reserve--> (unchanged: no reader of lap accepts it, H1)
 *	            --publish (O1)--> DESC(lap) (descriptor slots), WAIT(lap)
 *	WAIT(lap) --hardware status write--> DONE(lap)
 *	WAIT(lap) --ITE, fault path cmpxchg (O7)--> ABORT(lap), or GONE(lap)
 *	          when the embedder reports the ITE's device gone
 *	DESC(lap) --IQE, fault path cmpxchg--> BAD(lap)
 *	any of them --owner's release (O3)--> FREE(lap): reclaim may pass it
 *
 * Only the owner (the reserver), the hardware and the fault path, by cmpxchg
 * from the exact expected value, ever change a word. Reclaim only moves
 * cons; it never writes a word on its own account: the 2024 completion
 * theft (one submitter's reclaim freeing another's completed slot before its
 * owner saw it) cannot happen by construction (H4). The one exception is an
 * owner that gave up waiting (a timeout): it leaves an orphan word, and the
 * reclaimer that finds it at the frontier, once the hardware is done with
 * the submission, releases the slots in the owner's place (O16).
 *
 * The steps of a submission (qiring_submit_sync()):
 *
 *  1. Reserve: load cons (O5); if p + count + 1 - cons <= slots - 1,
 *     cmpxchg prod from p to p + count + 1 (O15). If there is no room,
 *     reclaim; if reclaim frees nothing, wait (H6).
 *  2. Write the descriptors: plain stores into slots only we own.
 *  3. Publish: build the wait descriptor (status data DONE(lap), address the
 *     wait slot's own word), mark the descriptor slots DESC(lap) and the wait
 *     WAIT(lap) (O1), then ring the doorbell.
 *  4. Doorbell: when the lease is free, scan from published over marked
 *     slots of their lap (O2), stopping after the last marked wait; if the
 *     run reaches our own wait, claim the run and the lease with one
 *     cmpxchg of tail (O10), write IQT once for all of it, and release the
 *     lease with a store (O11). Otherwise (an earlier submission is not yet
 *     marked, or the lease is held) go on to wait, and ring again from the
 *     wait loop until a claim covers our submission (H3).
 *  5. Wait: load the wait slot's word (O12) until DONE, ABORT or GONE (a
 *     DONE counts once the IQT write that ran it has returned: O17, O18,
 *     H11); a waiter held for fault_poll_ns reads FSTS and handles faults,
 *     at most one per fault_poll_ns; a waiter held longer than stall_ns
 *     reports who holds it. With a deadline, a waiter that runs out of
 *     time leaves an orphan word instead (O16, relaxed).
 *  6. Release: store FREE(lap) into every slot we own (O3); after an
 *     ABORT, reserve and submit again.
 *  7. Reclaim, every slots / 8 positions (at most 32) by the owner whose
 *     release crosses the boundary, and when a reservation finds the ring
 *     full: walk from cons over FREE(lap) words (O4), never past prod, and
 *     cmpxchg cons forward (O6).
 *
 * Ordering points. Every ordering is on an access; each names its partner.
 *
 *  O1  smp_store_release(status, WAIT) in __qr_publish(), pairs with O2:
 *      a lease holder that sees the wait's mark sees every descriptor of
 *      the submission, written before it, and hands them to the hardware
 *      through write_tail().
 *  O2  smp_load_acquire(status) in the doorbell scan, pairs with O1: as
 *      above.
 *  O3  smp_store_release(status, FREE) in qr_release() (by the owner, or
 *      for an orphan by its reclaimer), pairs with O4: the owner's and
 *      (through O12) the hardware's use of the slot happen before a new
 *      owner's writes.
 *  O4  smp_load_acquire(status) in qiring_reclaim(), pairs with O3.
 *  O5  atomic64_read_acquire(cons) in reserve and reclaim, pairs with O6: a
 *      reserver may overwrite every slot below the cons it read.
 *  O6  atomic64_try_cmpxchg_release(cons) in qiring_reclaim(), pairs with
 *      O5: hands the slots it passed, and their O3 history, to reservers.
 *  O7  try_cmpxchg_release(status, WAIT -> ABORT/GONE) in the ITE handler,
 *      pairs with O12: the handler read FSTS and IQH after the hardware
 *      stopped, so the hardware is done with the aborted submission's slots;
 *      the owner that sees ABORT inherits that before it releases them (O3).
 *  O8  raw_spin_lock/raw_spin_trylock of fault_lock, pairs with O9
 *      raw_spin_unlock: one fault handler at a time clears FSTS bits and
 *      rewrites descriptors (H7).
 *  O10 atomic64_try_cmpxchg_acquire(tail) in qr_doorbell(), claiming the
 *      scanned run and the lease, pairs with O11 of the previous holder:
 *      its IQT write happens before ours, so IQT only moves forward (H2).
 *      The cmpxchg fails if published moved since it was read, so the run
 *      it claims is still unpublished.
 *  O11 atomic64_set_release(tail, q << 1), releasing the lease after the
 *      IQT write, pairs with the next holder's O10.
 *  O12 smp_load_acquire(status) when polling, pairs with the hardware's
 *      status write (a DMA write after every earlier descriptor completed)
 *      and with O7: on DONE the owner may release the slots.
 *  O13 smp_load_acquire(enabled) when entering the ring, pairs with O14 in
 *      qiring_enable(): a submitter that sees the ring enabled sees the
 *      positions and status words that enable reset.
 *  O14 smp_store_release(enabled, ENABLED) in qiring_enable(), pairs with
 *      O13. Disable needs no ordering of its own: synchronize_rcu() waits for
 *      every submitter that could have seen the old value.
 *  O15 atomic64_try_cmpxchg_release(prod) in reserve, pairs with the
 *      atomic64_read_acquire(prod) in qiring_free_slots(): a reader that sees
 *      the new prod then reads a cons at least as new as the one the
 *      reserver checked, so prod - cons never exceeds the ring. The claim
 *      carries no data: what may be overwritten was settled by O5, what is
 *      written is published by O1.
 *  O17 atomic64_read_acquire(tail) in qr_carrier_done(), before a DONE
 *      counts (the owner's poll, a reclaimer's orphan), pairs with O11 of
 *      the carrier, directly or through the later holders' O10/O11: the
 *      carrier's IQT write, and every store the unit made inside it,
 *      happen before the FREE (O3) (H11).
 *  O18 atomic64_read_acquire(claim_from) in qr_carrier_done(), pairs with
 *      O19: a claim that starts after our wait was made after the carrier
 *      let go (through that holder's O10), so O17's guarantee holds.
 *  O19 atomic64_set_release(claim_from, from) by the lease holder, after
 *      its O10 and before its IQT write, pairs with O18.
 *
 * Accesses left relaxed on purpose (each was checked under the C11 memory
 * model with an acquire/release in its place and without: nothing needs it):
 *
 *  --  WRITE_ONCE(status, DESC) in __qr_publish(): the doorbell publishes
 *      only up to a marked wait, whose O1 covers every descriptor of the
 *      submission; a scan that reads a DESC mark late stops before the
 *      submission, whose owner rings again (H3). Other readers of DESC
 *      marks compare words and read no data on their account.
 *  --  READ_ONCE(status) in the IQE handler's scan for the owner's wait:
 *      the handler read FSTS.IQE after the hardware raised it, which the
 *      hardware did after fetching from an IQT that covers the whole
 *      submission (IQT stops only at submission ends), written by a lease
 *      holder after its O2 of the wait's mark.
 *  --  atomic64_read(cons) in qiring_free_slots(): it follows the acquire
 *      of prod (O15), so it returns at least the cons the reserver checked
 *      (read coherence); a later one only makes the snapshot smaller.
 *  --  WRITE_ONCE(orphan, count + 1) in qr_orphan() and READ_ONCE(orphan)
 *      in qr_free_orphan() and qr_flush() (O16): the word carries only the
 *      count. After publishing, the owner touches its slots only through
 *      atomics; the reclaimer releases an orphan only after its acquire of
 *      the wait's word (as O12, or O7), which orders everything the owner
 *      and the hardware did to the slots.
 *  --  try_cmpxchg_relaxed(status, DESC -> BAD) in the IQE handler: the
 *      owner reads BAD after its O12; the hardware writes DONE only after
 *      the handler's FSTS write (an MMIO write, ordered after the store).
 *  --  try_cmpxchg_relaxed(orphan, o -> 0) in qr_free_orphan(): only picks
 *      the one reclaimer that releases an orphan; O12 (or O7) orders the
 *      rest.
 *
 * Hazards, and what rules each out:
 *
 *  H1  stale FREE: a reserved, unwritten slot still reads FREE(lap-1); every
 *      reader accepts only words of its position's own lap.
 *  H2  tail regression: one lease holder at a time writes IQT, with
 *      positions it moved forward itself, only over marked slots, and only
 *      to the end of a submission.
 *  H3  lost doorbell: no submitter leaves its submission to another CPU:
 *      each rings from its wait loop until a claim covers it, so there is
 *      no store->load hand-off to lose.
 *  H4  completion theft: only the owner (or, for an orphan, the one
 *      reclaimer that claimed it after the hardware finished) and the fault
 *      path change an owner's words; reclaim writes none on its own account.
 *  H5  ABA: 64-bit positions, never reused across epochs; the lap tag only
 *      has to tell adjacent laps apart, since a slot is reused only after
 *      cons passed it; orphan words are cleared when used.
 *  H6  ring full behind a stalled owner: reservers wait, reclaim when they
 *      can, and report the blocking slot, position, age and kind of blocker
 *      after stall_ns; a deadline bounds the wait.
 *  H7  faults under concurrency: one handler at a time (fault_lock); it
 *      changes words only by cmpxchg from exact expected values.
 *  H8  interrupt context: callers submit with interrupts disabled, so an
 *      interrupt handler never submits into a ring its CPU is waiting on.
 *  H9  teardown: submitters run inside an RCU read-side section from their
 *      check of enabled (O13) until they leave; disable and destroy clear
 *      enabled and wait for a grace period, then for the hardware to finish
 *      orphans. Nothing on the fast path takes a lock for it.
 *  H10 device writes: the hardware's status write is the release half of
 *      O12; descriptors reach it only through write_tail() after O2.
 *  H11 status written twice: a unit that runs the queue inside the IQT
 *      write may store the status DWORD more than once (QEMU copies it with
 *      memcpy(), two stores for 4 bytes); a FREE stored between the two is
 *      lost and reclaim stops at that slot for good. Slots are freed only
 *      after the IQT write that carried them returned (O17, O18): when
 *      the lease is free, or the holder's claim starts after them, at once;
 *      else once that holder, the carrier, lets go.
 */
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/processor.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "qiring.h"

/* struct qiring.enabled */
#define QR_DISABLED	0u
#define QR_ENABLED	1u
#define QR_DESTROYED	2u

#define QR_LEASE	1ll	/* tail bit 0: someone is writing IQT */
#define QR_CLOCK_EVERY	64u	/* wait-loop iterations between clock reads */
#define QR_IQE_UNKNOWN	(~0ull)	/* no IQE count read before publishing */

#define QR_DEFAULT_FAULT_POLL_NS	100000ull
#define QR_DEFAULT_STALL_NS		1000000000ull

static inline u32 qr_word(const struct qiring *r, u64 pos, u32 state)
{
	return qiring_status_word(pos, r->order, state);
}

static inline u32 *qr_slot_word(const struct qiring *r, u64 pos)
{
	return &r->status[pos & r->mask];
}

/* The slot's descriptor: 16 bytes (qw0, qw1) or 32 in scalable mode. */
static inline struct qiring_desc *qr_slot_desc(const struct qiring *r, u64 pos)
{
	return (struct qiring_desc *)((char *)r->desc +
				      ((pos & r->mask) << r->desc_shift));
}

static inline u64 qr_slot_dma(const struct qiring *r, u64 pos)
{
	return r->status_dma + ((pos & r->mask) << 2);
}

/* The orphan word of the submission that starts at pos (after the scratch word). */
static inline u32 *qr_orphan_word(const struct qiring *r, u64 pos)
{
	return &r->status[r->slots + 1 + (pos & r->mask)];
}

/* A 16-byte ring holds qw0/qw1 only: never touch the next slot. */
static inline void qr_put_desc(const struct qiring *r, u64 pos,
			       const struct qiring_desc *d)
{
	if (r->desc_shift == 5)
		memcpy(qr_slot_desc(r, pos), d, 32);
	else
		memcpy(qr_slot_desc(r, pos), d, 16);
}

/* Statistics written by one holder at a time (lease or fault lock). */
static inline void qr_stat_add_excl(atomic64_t *s, s64 v)
{
	atomic64_set(s, atomic64_read(s) + v);
}

/*
 * An epoch starts at base, a multiple of the ring size (the unit restarts at
 * slot 0), above every position of earlier epochs: positions are never
 * reused, so a ticket or a status word from an earlier epoch can never
 * match one of this epoch. Every slot reads FREE for the lap before base's:
 * position p looks for FREE(lap(p)), which only its owner's release writes.
 */
static void qr_reset_positions(struct qiring *r, u64 base)
{
	u32 i;

	for (i = 0; i < r->slots; i++) {
		WRITE_ONCE(r->status[(base + i) & r->mask],
			   qr_word(r, base + i - r->slots, QIRING_FREE));
		WRITE_ONCE(*qr_orphan_word(r, i), 0);
	}
	WRITE_ONCE(r->status[r->slots], 0);	/* IQE scratch word */
	atomic64_set(&r->base, base);
	atomic64_set(&r->prod, base);
	atomic64_set(&r->tail, base << 1);
	atomic64_set(&r->claim_from, base);
	atomic64_set(&r->cons, base);
}

/**
 * qiring_init() - set up a ring over the embedder's memory
 * @r: the ring
 * @cfg: geometry, memory, registers and reporting; copied
 *
 * The ring starts enabled, at position 0: the embedder programs the unit
 * with IQH = IQT = 0 (as __dmar_enable_qi() does) before the first
 * submission.
 *
 * Context: process context; the ring is not yet shared.
 * Return: 0, or -EINVAL for a bad geometry (@cfg->slots not a power of two
 * in QIRING_MIN_SLOTS .. QIRING_MAX_SLOTS, @cfg->desc_size not 16 or 32),
 * missing memory or ops, or a status area that is not 4-byte aligned.
 */
int qiring_init(struct qiring *r, const struct qiring_config *cfg)
{
	const struct qiring_hw_ops *ops;

	if (!r || !cfg || !cfg->desc || !cfg->status || !cfg->ops)
		return -EINVAL;
	ops = cfg->ops;
	if (!ops->write_tail || !ops->read_head || !ops->read_fault ||
	    !ops->clear_fault)
		return -EINVAL;
	if (cfg->slots < QIRING_MIN_SLOTS || cfg->slots > QIRING_MAX_SLOTS ||
	    !is_power_of_2(cfg->slots))
		return -EINVAL;
	if (cfg->desc_size != 16 && cfg->desc_size != 32)
		return -EINVAL;
	if ((cfg->status_dma & 3) || ((unsigned long)cfg->status & 3))
		return -EINVAL;

	r->order = ilog2(cfg->slots);
	r->mask = cfg->slots - 1;
	/* reclaim every slots / 8 positions, at most 32 (see qr_release()) */
	r->reclaim_shift = r->order > 8 ? 5 : (r->order > 3 ? r->order - 3 : 0);
	r->desc_shift = ilog2(cfg->desc_size);
	r->desc = cfg->desc;
	r->status = cfg->status;
	r->status_dma = cfg->status_dma;
	r->ops = ops;
	r->hw = cfg->hw;
	r->fault_poll_ns = cfg->fault_poll_ns ? cfg->fault_poll_ns :
			   QR_DEFAULT_FAULT_POLL_NS;
	r->stall_ns = cfg->stall_ns ? cfg->stall_ns : QR_DEFAULT_STALL_NS;
	r->stall_report = cfg->stall_report;
	r->stall_arg = cfg->stall_arg;
	r->slots = cfg->slots;

	qr_reset_positions(r, 0);
	raw_spin_lock_init(&r->fault_lock);
	atomic64_set(&r->fault_next_ns, 0);
	atomic64_set(&r->tail_writes, 0);
	atomic64_set(&r->max_batch, 0);
	atomic64_set(&r->submissions, 0);
	atomic64_set(&r->fault_reads, 0);
	atomic64_set(&r->restarts, 0);
	atomic64_set(&r->cas_retries, 0);
	atomic64_set(&r->iqe, 0);
	atomic64_set(&r->ite, 0);
	atomic64_set(&r->ice, 0);
	atomic64_set(&r->stalls, 0);
	atomic64_set(&r->orphans, 0);
	WRITE_ONCE(r->enabled, QR_ENABLED);
	return 0;
}

/* ---- the lifecycle gate -------------------------------------------------- */

/*
 * Submitters run inside an RCU read-side section from their check of
 * enabled until they leave the ring. qr_enter() is that check.
 */
static inline bool qr_enter(struct qiring *r)
{
	rcu_read_lock();
	/* O13: pairs with O14 in qiring_enable(). */
	if (likely(smp_load_acquire(&r->enabled) == QR_ENABLED))
		return true;
	rcu_read_unlock();
	return false;
}

static inline void qr_leave(void)
{
	rcu_read_unlock();
}

/* ---- faults ------------------------------------------------------------- */

/*
 * Map the hardware head index to a ring position. cons is read first: then
 * cons <= head <= prod <= cons + mask, which makes the position unique
 * while the unit is stopped on IQE or ITE (the only time this is called).
 */
static u64 qr_head_pos(struct qiring *r)
{
	u64 c = atomic64_read(&r->cons);
	u32 h = r->ops->read_head(r->hw);

	return c + ((h - (u32)c) & r->mask);
}

/*
 * IQE: the descriptor at IQH is invalid and the hardware stopped on it. As
 * Linux does, replace it with its owner's wait descriptor and clear IQE; the
 * owner returns -EINVAL. Unlike Linux, the copy's status write goes to the
 * scratch word, so the owner's own status word is written only by its own
 * wait descriptor, after all of its descriptors ran: when the owner returns,
 * the hardware is done with the submission. And any waiter may handle it,
 * whichever descriptor of the submission is the bad one.
 */
static void qr_handle_iqe(struct qiring *r)
{
	u64 h = qr_head_pos(r);
	u64 pub = (u64)atomic64_read(&r->tail) >> 1;
	struct qiring_desc nop = {};
	u32 old = qr_word(r, h, QIRING_DESC);
	u64 w;

	for (w = h; w < pub; w++) {
		/*
		 * Relaxed: FSTS.IQE already orders the owner's wait descriptor
		 * before us (see "--" IQE scan in the header).
		 */
		if (READ_ONCE(*qr_slot_word(r, w)) == qr_word(r, w, QIRING_WAIT))
			break;
	}
	/*
	 * The owner reads BAD after it sees its DONE, which the hardware
	 * writes after our clear_fault(): the MMIO write orders this store.
	 */
	try_cmpxchg_relaxed(qr_slot_word(r, h), &old, qr_word(r, h, QIRING_BAD));
	if (w < pub && w != h) {
		const struct qiring_desc *wd = qr_slot_desc(r, w);

		nop.qw0 = wd->qw0;
	} else {
		/* Not ours to explain (no owner wait found): keep the ring alive. */
		nop.qw0 = QIRING_IWD_STATUS_DATA(0) | QIRING_IWD_SW | QIRING_TYPE_IWD;
	}
	nop.qw1 = r->status_dma + ((u64)r->slots << 2);
	qr_put_desc(r, h, &nop);
	/*
	 * Counted before the clear, like the BAD mark: an owner that sees its
	 * DONE sees the count moved, and only then looks for a BAD slot.
	 */
	qr_stat_add_excl(&r->iqe, 1);
	r->ops->clear_fault(r->hw, QIRING_FSTS_IQE);
}

/*
 * ITE: a device-TLB invalidation timed out. Wait descriptors the hardware
 * fetched (below IQH) but never completed are aborted: their status will
 * never be written. Mark them ABORT so their owners restart, or GONE when
 * the embedder says the device that did not answer is gone (Linux 6.12
 * qi_check_fault(): the IQER source-id is valid only while ITE is set, so
 * ask before clearing it). Only waits of this lap that still read WAIT
 * change, by cmpxchg: a completed wait reads DONE, a reused slot carries
 * another lap.
 */
static void qr_handle_ite(struct qiring *r)
{
	u64 q = atomic64_read(&r->cons);
	u64 head = qr_head_pos(r);
	u32 state = QIRING_ABORT;

	if (r->ops->ite_target_gone && r->ops->ite_target_gone(r->hw))
		state = QIRING_GONE;
	r->ops->clear_fault(r->hw, QIRING_FSTS_ITE);
	for (; q < head; q++) {
		u32 old = qr_word(r, q, QIRING_WAIT);

		/*
		 * O7: pairs with O12. We read FSTS and IQH after the hardware
		 * stopped, so the hardware is done with every slot below head;
		 * the owner that sees ABORT must inherit that, because it
		 * releases its slots for reuse (O3).
		 */
		try_cmpxchg_release(qr_slot_word(r, q), &old, qr_word(r, q, state));
	}
	qr_stat_add_excl(&r->ite, 1);
}

/* fault_lock held. */
static u32 __qr_check_faults(struct qiring *r)
{
	u32 fsts = r->ops->read_fault(r->hw);

	atomic64_inc(&r->fault_reads);
	/* Linux's order: IQE, then ITE, then ICE. */
	if (fsts & QIRING_FSTS_IQE)
		qr_handle_iqe(r);
	if (fsts & QIRING_FSTS_ITE)
		qr_handle_ite(r);
	if (fsts & QIRING_FSTS_ICE) {
		r->ops->clear_fault(r->hw, QIRING_FSTS_ICE);
		qr_stat_add_excl(&r->ice, 1);
	}
	return fsts;
}

/**
 * qiring_check_faults() - read FSTS now and handle any queue fault
 * @r: the ring
 *
 * Waiters do this by themselves, at most once per fault_poll_ns across all
 * of them. Serialized with every other fault handler (H7).
 *
 * Context: any context with interrupts disabled (the fault lock is a raw
 * spinlock); never sleeps.
 * Return: the FSTS queue fault bits seen.
 */
u32 qiring_check_faults(struct qiring *r)
{
	u32 fsts;

	/* O8/O9: one fault handler at a time. */
	raw_spin_lock(&r->fault_lock);
	fsts = __qr_check_faults(r);
	raw_spin_unlock(&r->fault_lock);
	return fsts;
}

/*
 * A stopped queue (IQE/ITE) only restarts when someone clears it, but FSTS
 * is an uncached MMIO read (a VM exit under a vIOMMU): one waiter polls it
 * per fault_poll_ns, whoever claims the slot first. A waiter that finds
 * another handling faults goes back to polling (O8).
 */
static void qr_poll_faults(struct qiring *r, u64 now)
{
	s64 next = atomic64_read(&r->fault_next_ns);

	if (now >= (u64)next &&
	    atomic64_try_cmpxchg_relaxed(&r->fault_next_ns, &next,
					 now + r->fault_poll_ns) &&
	    raw_spin_trylock(&r->fault_lock)) {
		__qr_check_faults(r);
		raw_spin_unlock(&r->fault_lock);	/* O9 */
	}
}

/* ---- waiting: relax, fault polling, stall reports, deadlines ------------ */

/*
 * A call's bound: timeout_ns (0: none), counted from the first clock read
 * of the call, which its first wait makes after QR_CLOCK_EVERY iterations:
 * a call that never waits never reads the clock. One for the whole call:
 * every wait and every restart checks the same one.
 */
struct qr_deadline {
	u64 timeout_ns;
	u64 at;			/* absolute ktime_get_ns(), 0: not started */
};

/* True when the deadline has passed; starts it at its first check. */
static bool qr_expired(struct qr_deadline *dl, u64 now)
{
	if (!dl || !dl->timeout_ns)
		return false;
	if (!dl->at)
		dl->at = now + dl->timeout_ns;
	return now >= dl->at;
}

struct qr_waitstate {
	u32 spins;
	u64 start_ns;		/* first clock read, 0 before */
	u64 next_report_ns;
	struct qr_deadline *dl;	/* NULL: none */
};

/*
 * Who holds a waiter up. Completion waiters wait on pos (their wait slot),
 * reservers on the slot at cons.
 */
static void qr_find_blocker(struct qiring *r, u64 pos, bool reserving,
			    struct qiring_stall *s)
{
	u64 b = reserving ? (u64)atomic64_read(&r->cons) : pos;
	u64 pub = (u64)atomic64_read(&r->tail) >> 1;
	u32 v;

	if (b >= pub) {
		/* Not yet published: the first unpublished slot's owner. */
		b = pub;
		s->blocker = QIRING_BLOCKER_OWNER_WRITING;
	} else {
		u64 w = b;

		/* A descriptor slot is as far along as its submission's wait. */
		for (; w < pub; w++) {
			v = READ_ONCE(*qr_slot_word(r, w));
			if (v != qr_word(r, w, QIRING_DESC) &&
			    v != qr_word(r, w, QIRING_BAD))
				break;
		}
		v = w < pub ? READ_ONCE(*qr_slot_word(r, w)) : 0;
		if (v == qr_word(r, w, QIRING_DONE) ||
		    v == qr_word(r, w, QIRING_ABORT) ||
		    v == qr_word(r, w, QIRING_GONE)) {
			s->blocker = QIRING_BLOCKER_OWNER_RELEASE;
		} else {
			s->fault = r->ops->read_fault(r->hw);
			atomic64_inc(&r->fault_reads);
			s->blocker = (s->fault & (QIRING_FSTS_IQE | QIRING_FSTS_ITE)) ?
				     QIRING_BLOCKER_FAULT : QIRING_BLOCKER_DEVICE;
		}
	}
	s->blocker_seq = b;
	s->blocker_slot = (u32)(b & r->mask);
}

/*
 * One wait-loop iteration: relax; every QR_CLOCK_EVERY iterations poll
 * faults (rate-limited), report a stall, and check the deadline. Returns
 * true when the deadline has passed.
 */
static bool qr_wait_tick(struct qiring *r, struct qr_waitstate *ws, u64 pos,
			 bool reserving)
{
	u64 now;

	if (r->ops->relax)
		r->ops->relax(r->hw);
	else
		cpu_relax();
	if (++ws->spins % QR_CLOCK_EVERY)
		return false;

	now = ktime_get_ns();
	if (!ws->start_ns) {
		ws->start_ns = now;
		ws->next_report_ns = now + r->stall_ns;
	}
	/*
	 * Only a waiter held for fault_poll_ns suspects a fault: a short wait
	 * never costs an FSTS read (a VM exit under a vIOMMU).
	 */
	if (now - ws->start_ns >= r->fault_poll_ns)
		qr_poll_faults(r, now);

	if (unlikely(now >= ws->next_report_ns)) {
		struct qiring_stall s = {
			.waiter_seq = pos,
			.age_ns = now - ws->start_ns,
			.reserving = reserving,
		};

		qr_find_blocker(r, pos, reserving, &s);
		atomic64_inc(&r->stalls);
		if (r->stall_report)
			r->stall_report(r->stall_arg, &s);
		ws->next_report_ns = now + r->stall_ns;
	}
	return qr_expired(ws->dl, now);
}

/* ---- reclaim ------------------------------------------------------------ */

/*
 * H11: a slot the unit wrote is freed only once the IQT write that carried
 * it has returned. A unit that runs the queue inside the IQT write (QEMU's
 * emulated VT-d) may store the status DWORD more than once: QEMU copies it
 * with memcpy(), which for 4 bytes stores the same value twice. An owner
 * that saw the first store and freed its slots would have its FREE
 * overwritten by the second: the slot never reads FREE again, and reclaim
 * stops there for good (the ring fills, every reserver waits). So a wait
 * that reads DONE counts as complete only once this is true.
 *
 * The holder that carried the wait w claimed (O10) before the unit could
 * run it, and lets go of the lease (O11) after its IQT write returned;
 * claims follow one another under the lease, each starting where the last
 * ended. So the carrier has let go when tail reads no lease, or when the
 * holder's claim starts after w (claim_from, stored by each holder after
 * its claim: a stale value is an earlier claim's, which starts at or
 * before w, and only makes the waiter poll again). An owner whose own
 * doorbell carried it finds the lease free, or a later claim, at once.
 */
static __always_inline bool qr_carrier_done(struct qiring *r, u64 w)
{
	/*
	 * O17: pairs with O11 of the carrier (directly, or through the later
	 * holders' O10/O11): every store the unit made inside the carrier's
	 * IQT write happens before our FREE (O3).
	 */
	if (likely(!(atomic64_read_acquire(&r->tail) & QR_LEASE)))
		return true;
	/* O18: pairs with the holder's O19 (its claim, after its O10) */
	return (u64)atomic64_read_acquire(&r->claim_from) > w;
}

/*
 * The owner frees its slots (O3). Also done, in its place, by the reclaimer
 * that frees an orphan.
 */
static __always_inline void __qr_release(struct qiring *r, u64 pos, u64 w)
{
	u32 *status = r->status, mask = r->mask, order = r->order;
	u64 q;

	for (q = pos; q <= w; q++) {
		/*
		 * O3: pairs with O4 in qiring_reclaim(). The owner's reads of
		 * the slots, and the hardware's (ordered before O12), happen
		 * before a new owner's writes.
		 */
		smp_store_release(&status[q & mask],
				  qiring_status_word(q, order, QIRING_FREE));
	}
}

/*
 * The owner's release. Every reclaim_chunk positions, the owner whose
 * release crosses the boundary also reclaims: the scan cost is spread
 * evenly over the submissions instead of landing on the one reservation
 * that finds the ring full (a latency spike once per lap).
 */
static __always_inline void qr_release(struct qiring *r, u64 pos, u64 w)
{
	__qr_release(r, pos, w);
	if ((pos ^ (w + 1)) >> r->reclaim_shift)
		qiring_reclaim(r);
}

/*
 * A submission whose owner gave up waiting starts at pos (the reclaim
 * frontier). Once the hardware is done with it (its wait reads DONE, ABORT
 * or GONE), the first reclaimer to claim the orphan word releases its slots
 * as the owner would have. True when it did.
 */
static bool qr_free_orphan(struct qiring *r, u64 pos, u64 limit)
{
	u32 *ow = qr_orphan_word(r, pos);
	/* O16, relaxed: the acquire of the wait's word below orders the rest. */
	u32 o = READ_ONCE(*ow);
	u64 w = pos + o - 1;
	u32 v;

	if (!o || w >= limit)
		return false;
	/* As O12: the hardware's status write, or O7. */
	v = smp_load_acquire(qr_slot_word(r, w));
	if (v != qr_word(r, w, QIRING_ABORT) && v != qr_word(r, w, QIRING_GONE) &&
	    (v != qr_word(r, w, QIRING_DONE) || !qr_carrier_done(r, w)))
		return false;
	/* Exactly one reclaimer releases it (see "--" orphan in the header). */
	if (!try_cmpxchg_relaxed(ow, &o, 0))
		return false;
	__qr_release(r, pos, w);
	return true;
}

/**
 * qiring_reclaim() - advance the reclaim frontier over released slots
 * @r: the ring
 *
 * Reservations reclaim by themselves when they find the ring full; this is
 * for callers that want the space accounted now. It also frees orphaned
 * submissions (their owner timed out) the hardware has finished.
 *
 * Context: any context; never sleeps.
 * Return: the number of slots this call made reservable.
 */
unsigned int qiring_reclaim(struct qiring *r)
{
	u32 *status = r->status, mask = r->mask, order = r->order;
	/* O5: pairs with O6 of the previous reclaimer. */
	s64 c = atomic64_read_acquire(&r->cons);
	u64 q, limit, retries = 0;
	unsigned int got = 0;

	for (;;) {
		/*
		 * Never past the allocation frontier: beyond prod no slot has
		 * an owner for this lap.
		 */
		limit = atomic64_read(&r->prod);
		for (q = c; q < limit; q++) {
			/*
			 * O4: pairs with O3, the owner's release of its slots.
			 * The hardware and the owner are done with every slot
			 * we pass.
			 */
			if (smp_load_acquire(&status[q & mask]) ==
			    qiring_status_word(q, order, QIRING_FREE))
				continue;
			if (!qr_free_orphan(r, q, limit))
				break;
			q--;	/* its slots read FREE now: walk over them */
		}
		if (q == (u64)c)
			break;
		/*
		 * O6: pairs with O5 in qr_reserve() and here. A reserver that
		 * sees the new frontier may overwrite the slots. Reclaim never
		 * changes a slot's state on its own account (H4): it moves cons.
		 */
		if (atomic64_try_cmpxchg_release(&r->cons, &c, q)) {
			got = (unsigned int)(q - c);
			break;
		}
		retries++;	/* c now holds the newer frontier: rescan */
	}
	if (retries)
		atomic64_add(retries, &r->cas_retries);
	return got;
}

/**
 * qiring_free_slots() - how many slots the largest reservation could take now
 * @r: the ring
 *
 * Reclaims first. A reservation of count descriptors takes count + 1 slots
 * and always leaves one slot free (IQT never reaches IQH from behind), so
 * an empty ring reports slots - 1. The value is a snapshot: other CPUs may
 * reserve or release at any time.
 *
 * Context: any context; never sleeps.
 * Return: 0 .. slots - 1.
 */
unsigned int qiring_free_slots(struct qiring *r)
{
	s64 p, c;
	int tries = 0;

	qiring_reclaim(r);
	/*
	 * A consistent snapshot: prod, then cons, then prod again; when prod
	 * did not move, both values held together when cons was read. O15:
	 * the acquire of prod pairs with the reserver's release, so the cons
	 * read after it is at least the one that reserver checked.
	 */
	p = atomic64_read_acquire(&r->prod);
	for (;;) {
		s64 again;

		/* relaxed: after O15's acquire of prod (see the header) */
		c = atomic64_read(&r->cons);
		again = atomic64_read_acquire(&r->prod);
		if (again == p || ++tries == 4)
			break;
		p = again;
	}
	if (p - c <= 0)
		return r->mask;
	if (p - c >= r->mask)
		return 0;
	return (unsigned int)(r->mask - (p - c));
}

/* ---- reservation and tickets ------------------------------------------ */

static void qr_flush(struct qiring *r);

/* A reservation whose first cmpxchg lost, or that found the ring full. */
static noinline int qr_reserve_slow(struct qiring *r, unsigned int count,
				    struct qiring_ticket *t,
				    struct qr_deadline *dl)
{
	struct qr_waitstate ws = { .dl = dl };
	u64 n = (u64)count + 1, retries = 0;
	s64 p, c;

	p = atomic64_read(&r->prod);
	for (;;) {
		/*
		 * O5: pairs with O6 in qiring_reclaim(). Slots below cons were
		 * released after the hardware finished with them; our
		 * descriptor writes come after this load.
		 */
		c = atomic64_read_acquire(&r->cons);
		if (likely(p + n - c <= r->mask)) {
			/* O15: pairs with the acquire in qiring_free_slots(). */
			if (atomic64_try_cmpxchg_release(&r->prod, &p, p + n))
				break;
			retries++;
			continue;
		}
		if (p - c < 0) {	/* p is stale: cons moved past it */
			p = atomic64_read(&r->prod);
			continue;
		}
		/*
		 * H6: full behind an owner; the deadline bounds the wait. The
		 * ring may be full of orphans that nobody published (their
		 * owners left before a doorbell could cover them, and later
		 * owners are all here): publish what is marked.
		 */
		if (!qiring_reclaim(r)) {
			qr_flush(r);
			if (qr_wait_tick(r, &ws, p, true))
				return -ETIMEDOUT;
		}
		p = atomic64_read(&r->prod);
	}
	if (retries)
		atomic64_add(retries, &r->cas_retries);
	t->pos = p;
	t->count = count;
	return 0;
}

static __always_inline int qr_reserve(struct qiring *r, unsigned int count,
				      struct qiring_ticket *t,
				      struct qr_deadline *dl)
{
	u64 n = (u64)count + 1;
	s64 p, c;

	/* count descriptors + the wait + the one-slot gap must fit (count + 2) */
	if (unlikely(!t || count > r->mask - 1))
		return -EINVAL;
	p = atomic64_read(&r->prod);
	/* O5 and O15, as in qr_reserve_slow() */
	c = atomic64_read_acquire(&r->cons);
	if (likely(p + n - c <= r->mask) &&
	    likely(atomic64_try_cmpxchg_release(&r->prod, &p, p + n))) {
		t->pos = p;
		t->count = count;
		return 0;
	}
	return qr_reserve_slow(r, count, t, dl);
}

/*
 * A ticket of this epoch that names reserved positions reclaim has not
 * passed: anything else (NULL, a forged count, a ticket from before the
 * last enable, or one released and reclaimed) is refused with -EINVAL.
 */
static bool qr_ticket_ok(struct qiring *r, const struct qiring_ticket *t)
{
	if (unlikely(!t || t->count > r->mask - 1))
		return false;
	return t->pos >= (u64)atomic64_read(&r->base) &&
	       t->pos >= (u64)atomic64_read(&r->cons) &&
	       t->pos + t->count + 1 <= (u64)atomic64_read(&r->prod);
}

/* Reserved and not yet published: the wait slot still reads FREE(lap - 1). */
static bool qr_ticket_unpublished(struct qiring *r, const struct qiring_ticket *t)
{
	u64 w;

	if (!qr_ticket_ok(r, t))
		return false;
	w = t->pos + t->count;
	return READ_ONCE(*qr_slot_word(r, w)) == qr_word(r, w - r->slots, QIRING_FREE);
}

/**
 * qiring_reserve() - reserve slots for a submission (split API)
 * @r: the ring
 * @count: descriptors, not counting the wait; at most slots - 2
 * @t: the ticket, filled in
 *
 * Takes @count + 1 slots, waiting for room when the ring is full (reporting
 * a stall every stall_ns; there is no deadline: a caller that must bound it
 * uses qiring_submit_timeout()). Then qiring_write() each descriptor,
 * qiring_publish(), qiring_poll() or qiring_wait() until the result is not
 * -EINPROGRESS, and qiring_release() exactly once.
 *
 * Context: any context, interrupts disabled in the kernel; never sleeps.
 * Return: 0; -EINVAL for @count > slots - 2 or a NULL @t; -ENODEV when the
 * ring is disabled.
 */
int qiring_reserve(struct qiring *r, unsigned int count, struct qiring_ticket *t)
{
	int rc;

	if (unlikely(!qr_enter(r)))
		return -ENODEV;
	rc = qr_reserve(r, count, t, NULL);
	qr_leave();
	return rc;
}

/**
 * qiring_write() - write one descriptor of a reservation (split API)
 * @r: the ring
 * @t: the ticket, reserved and not yet published
 * @i: index of the descriptor in the reservation, 0 .. @t->count - 1
 * @d: the descriptor (qw0/qw1 only on a 16-byte ring)
 *
 * Context: any context; never sleeps.
 * Return: 0, or -EINVAL for a NULL argument, @i out of range, or a ticket
 * that is not reserved and unpublished in this epoch.
 */
int qiring_write(struct qiring *r, const struct qiring_ticket *t, unsigned int i,
		 const struct qiring_desc *d)
{
	if (unlikely(!d || !qr_ticket_unpublished(r, t) || i >= t->count))
		return -EINVAL;
	qr_put_desc(r, t->pos + i, d);
	return 0;
}

/* ---- publication: marks and the doorbell -------------------------------- */

/*
 * The published end of the marked run starting at q: the position after the
 * last submission in it whose wait is marked. The tail stops only at
 * submission boundaries, so a submission's descriptors and its wait reach
 * the hardware in one IQT write, as in Linux. Were IQT to land between a
 * device-TLB invalidation and its wait, an ITE could fire before the wait
 * was fetched: the wait would not be aborted, and would later complete as
 * if the timed-out invalidation had succeeded.
 */
static __always_inline u64 qr_complete_end(struct qiring *r, u64 q, u64 *waits)
{
	u32 *status = r->status, mask = r->mask, order = r->order;
	u64 end = q;
	u32 v, tag;

	for (;;) {
		/*
		 * O2: pairs with O1, the owner's wait mark in __qr_publish().
		 * Seeing it, the lease holder sees every descriptor of the
		 * submission, and hands them to the hardware. (A DESC mark's
		 * acquire orders nothing the wait's does not.)
		 */
		v = smp_load_acquire(&status[q & mask]);
		tag = qiring_status_word(q, order, 0);
		if (v == (tag | QIRING_WAIT)) {
			end = ++q;
			(*waits)++;
		} else if (v == (tag | QIRING_DESC)) {
			q++;
		} else {
			return end;
		}
	}
}

/*
 * The doorbell (H2, H3). An owner publishes its own submission, [pos, end):
 * when the lease is free and the run of marked submissions from published
 * reaches end, it claims that whole run and the lease with one
 * cmpxchg of tail (O10), writes IQT once for all of it, and releases the
 * lease (O11). True once a claim covers end (ours, or another owner's).
 *
 * The work is bounded: one IQT write per call, only when it carries the
 * caller's own submission, for at most the submissions marked before it.
 * Nothing is left behind: an owner whose submission is not yet claimed
 * (an earlier one is not yet marked, or the lease is held) calls again
 * from its wait loop until a claim covers it, so no hand-off between CPUs
 * is needed, and the lease is a plain release.
 */
static __always_inline bool __qr_doorbell(struct qiring *r, u64 pos, u64 end,
					  s64 t)
{
	u64 from = (u64)t >> 1, waits = 0, q;

	if (from >= end)
		return true;
	if (t & QR_LEASE)
		return false;
	if (from == pos) {
		/* Ours is next and complete: we marked it. Scan what follows. */
		waits = 1;
		q = qr_complete_end(r, end, &waits);
	} else {
		q = qr_complete_end(r, from, &waits);
		if (q < end)
			return false;
	}
	/*
	 * O10: claims [from, q) and the lease; fails if anyone moved
	 * published or took the lease since we read it, so the run we
	 * scanned is still unpublished. Acquire: pairs with O11 of the
	 * previous holder, whose IQT write comes before ours (H2).
	 */
	if (!atomic64_try_cmpxchg_acquire(&r->tail, &t, (s64)(q << 1) | QR_LEASE))
		return (u64)t >> 1 >= end;
	/* O19: pairs with O18 in qr_carrier_done() (H11). */
	atomic64_set_release(&r->claim_from, from);
	r->ops->write_tail(r->hw, (u32)(q & r->mask));
	qr_stat_add_excl(&r->tail_writes, 1);
	qr_stat_add_excl(&r->submissions, waits);
	if (waits > (u64)atomic64_read(&r->max_batch))
		atomic64_set(&r->max_batch, waits);
	/*
	 * O11: releases the lease, after the IQT write: pairs with the next
	 * holder's O10. The unit sees the register writes in that order: an
	 * x86 uncached store is performed before any later store of the same
	 * CPU is visible (as writel() before spin_unlock() in the kernel).
	 */
	atomic64_set_release(&r->tail, q << 1);
	return true;
}

static noinline bool qr_doorbell(struct qiring *r, u64 pos, u64 end)
{
	return __qr_doorbell(r, pos, end, atomic64_read(&r->tail));
}

/*
 * Publish the run of marked submissions that starts at published, when the
 * first of them is an orphan: its owner left before its doorbell could
 * cover it (the lease was held, or an earlier submission was not yet
 * marked). Normally the next owner's doorbell covers it; when no owner can
 * reserve any more (the ring is full behind it) or the ring is disabled,
 * this does. A submission whose owner is still here is left to its owner,
 * which publishes its own (P7: no IQT write carries only live owners'
 * work for them).
 */
static void qr_flush(struct qiring *r)
{
	u64 pub = (u64)atomic64_read(&r->tail) >> 1;

	/* O16, relaxed: a word not yet visible is seen on the next tick. */
	if (READ_ONCE(*qr_orphan_word(r, pub)))
		qr_doorbell(r, ~0ull, pub + 1);
}

static __always_inline void __qr_publish(struct qiring *r,
					 const struct qiring_ticket *t,
					 unsigned long options)
{
	u64 w = t->pos + t->count, q;
	struct qiring_desc wd = {};

	/* The wait's status data is DONE tagged with this lap (H1, H4). */
	wd.qw0 = QIRING_IWD_STATUS_DATA(qr_word(r, w, QIRING_DONE)) |
		 QIRING_IWD_SW | QIRING_TYPE_IWD;
	if (options & QIRING_OPT_WAIT_DRAIN)
		wd.qw0 |= QIRING_IWD_PRQ_DRAIN;
	wd.qw1 = qr_slot_dma(r, w);
	qr_put_desc(r, w, &wd);
	/*
	 * Mark the slots. The DESC marks say "this slot's descriptor is
	 * written"; the wait's mark (O1, pairs with O2 in the lease holder's
	 * scan) says the whole submission is: a lease holder that sees it
	 * sees every descriptor written before it, and hands them on to the
	 * hardware. The scan stops at the last marked wait, so the DESC marks
	 * need no ordering of their own.
	 */
	for (q = t->pos; q < w; q++) {
		/* relaxed: the wait's O1 below covers them (see the header) */
		WRITE_ONCE(*qr_slot_word(r, q), qr_word(r, q, QIRING_DESC));
	}
	/* O1, the wait slot, last: the submission is complete */
	smp_store_release(qr_slot_word(r, w), qr_word(r, w, QIRING_WAIT));
	/* Inline here, on every submission; out of line for the other callers. */
	__qr_doorbell(r, t->pos, w + 1, atomic64_read(&r->tail));
}

/**
 * qiring_publish() - hand a written reservation to the hardware (split API)
 * @r: the ring
 * @t: the ticket, reserved and not yet published; every descriptor written
 * @options: QIRING_OPT_WAIT_DRAIN sets the wait descriptor's PRQ-drain bit
 *
 * Appends the wait descriptor and publishes the submission: by the time
 * this returns, IQT covers it or another CPU holding the doorbell lease
 * will write IQT over it.
 *
 * Context: any context, interrupts disabled in the kernel; never sleeps.
 * Return: 0, or -EINVAL for a ticket that is not reserved and unpublished
 * in this epoch (NULL, published already, released, stale).
 */
int qiring_publish(struct qiring *r, const struct qiring_ticket *t,
		   unsigned long options)
{
	if (unlikely(!qr_ticket_unpublished(r, t)))
		return -EINVAL;
	__qr_publish(r, t, options);
	return 0;
}

/* ---- completion ---------------------------------------------------------- */

/* A submission that carries a device-TLB invalidation (after its completion). */
static bool qr_has_devtlb(const struct qiring *r, const struct qiring_ticket *t)
{
	u64 q, type;

	for (q = t->pos; q < t->pos + t->count; q++) {
		type = qr_slot_desc(r, q)->qw0 & QIRING_TYPE_MASK;
		if (type == QIRING_TYPE_DIOTLB || type == QIRING_TYPE_DEIOTLB)
			return true;
	}
	return false;
}

/*
 * The owner's view of its published submission; *v is the wait's word;
 * iqe_seen is the IQE count read before it was published (QR_IQE_UNKNOWN:
 * look for BAD slots anyway). An ITE for a departed device (GONE) ends a
 * submission that carries a
 * device-TLB invalidation with -ETIMEDOUT: its device will never answer,
 * resubmitting would only time out again. Any other aborted submission is
 * resubmitted.
 */
static __always_inline int __qr_poll(struct qiring *r,
				     const struct qiring_ticket *t, u32 *v,
				     u64 iqe_seen)
{
	u64 w = t->pos + t->count, q;

	/*
	 * O12: pairs with the hardware's status write (every descriptor of
	 * ours was executed before it) or with O7 (ABORT, GONE: the hardware
	 * is done with every slot of ours).
	 */
	*v = smp_load_acquire(qr_slot_word(r, w));
	if (likely(*v == qr_word(r, w, QIRING_DONE))) {
		/* H11: not before the write that ran it returned */
		if (unlikely(!qr_carrier_done(r, w)))
			return -EINPROGRESS;
		/* No IQE handled since before we published: nothing is BAD. */
		if (likely((u64)atomic64_read(&r->iqe) == iqe_seen))
			return 0;
		for (q = t->pos; q < w; q++)
			if (READ_ONCE(*qr_slot_word(r, q)) == qr_word(r, q, QIRING_BAD))
				return -EINVAL;
		return 0;
	}
	if (*v == qr_word(r, w, QIRING_ABORT))
		return -EAGAIN;
	if (*v == qr_word(r, w, QIRING_GONE))
		return qr_has_devtlb(r, t) ? -ETIMEDOUT : -EAGAIN;
	return -EINPROGRESS;
}

/**
 * qiring_poll() - has a published submission completed? (split API)
 * @r: the ring
 * @t: the ticket
 *
 * While the submission is in flight, also rings the doorbell for it if no
 * IQT write covers it yet (qiring_publish() could not: an earlier
 * submission was not yet published, or the doorbell was busy), and polls
 * FSTS (at most one caller per fault_poll_ns across the ring) and handles
 * queue faults, so that polling until the result is not -EINPROGRESS ends,
 * after a fault too.
 *
 * Context: any context; never sleeps.
 * Return: 0 when the hardware completed it; -EINVAL when it completed and
 * one of its descriptors was invalid (IQE), or for a ticket that is not
 * published and unreleased in this epoch; -EAGAIN when an ITE aborted it
 * (release, reserve again and resubmit); -ETIMEDOUT when an ITE aborted it,
 * the embedder reports the device that did not answer gone and the
 * submission carries a device-TLB invalidation (release, do not resubmit);
 * -EINPROGRESS otherwise.
 */
int qiring_poll(struct qiring *r, const struct qiring_ticket *t)
{
	u64 w;
	u32 v;
	int rc;

	if (unlikely(!qr_ticket_ok(r, t)))
		return -EINVAL;
	rc = __qr_poll(r, t, &v, QR_IQE_UNKNOWN);
	if (rc != -EINPROGRESS)
		return rc;
	w = t->pos + t->count;
	/* DONE here: its carrier's IQT write has not returned yet (H11) */
	if (v != qr_word(r, w, QIRING_WAIT) && v != qr_word(r, w, QIRING_DONE))
		return -EINVAL;		/* not published, or released */
	qr_doorbell(r, t->pos, w + 1);
	qr_poll_faults(r, ktime_get_ns());
	return __qr_poll(r, t, &v, QR_IQE_UNKNOWN);
}

/*
 * Wait for the completion; until an IQT write covers the submission, ring
 * the doorbell for it on every iteration (H3: nobody else has to).
 */
static noinline int qr_wait_slow(struct qiring *r,
				 const struct qiring_ticket *t,
				 struct qr_deadline *dl, u64 iqe_seen)
{
	struct qr_waitstate ws = { .dl = dl };
	u64 end = t->pos + t->count + 1;
	bool claimed = false;
	u32 v;
	int rc;

	while ((rc = __qr_poll(r, t, &v, iqe_seen)) == -EINPROGRESS) {
		if (!claimed)
			claimed = qr_doorbell(r, t->pos, end);
		if (qr_wait_tick(r, &ws, end - 1, false))
			return -ETIMEDOUT;
	}
	return rc;
}

static __always_inline int qr_wait(struct qiring *r,
				   const struct qiring_ticket *t,
				   struct qr_deadline *dl, u64 iqe_seen)
{
	u32 v;
	int rc = __qr_poll(r, t, &v, iqe_seen);

	if (likely(rc != -EINPROGRESS))
		return rc;
	return qr_wait_slow(r, t, dl, iqe_seen);
}

/**
 * qiring_wait_timeout() - wait for a published submission (split API)
 * @r: the ring
 * @t: the ticket
 * @timeout_ns: give up after this many nanoseconds, counted as for
 *	qiring_submit_timeout(); 0 waits for ever
 *
 * Spins on the completion, polling FSTS (at most one waiter per
 * fault_poll_ns) and reporting a stall every stall_ns.
 *
 * Context: any context, interrupts disabled in the kernel; never sleeps.
 * Return: as qiring_poll(), never -EINPROGRESS; -ETIMEDOUT also when
 * @timeout_ns passed first: the submission is still in flight and the
 * caller still owns the ticket (wait again, or poll until done, then
 * release it).
 */
int qiring_wait_timeout(struct qiring *r, const struct qiring_ticket *t,
			u64 timeout_ns)
{
	struct qr_deadline dl = { .timeout_ns = timeout_ns };
	int rc = qiring_poll(r, t);

	if (rc != -EINPROGRESS)
		return rc;
	return qr_wait(r, t, &dl, QR_IQE_UNKNOWN);
}

/**
 * qiring_wait() - qiring_wait_timeout() without a timeout
 * @r: the ring
 * @t: the ticket
 *
 * Context: any context, interrupts disabled in the kernel; never sleeps.
 * Return: as qiring_poll(), never -EINPROGRESS.
 */
int qiring_wait(struct qiring *r, const struct qiring_ticket *t)
{
	return qiring_wait_timeout(r, t, 0);
}

/**
 * qiring_release() - the owner frees its slots (split API)
 * @r: the ring
 * @t: the ticket
 *
 * Exactly once per published ticket, after qiring_poll() returned 0,
 * -EINVAL, -EAGAIN or -ETIMEDOUT.
 *
 * Context: any context; never sleeps.
 * Return: 0; -EBUSY while the submission is in flight; -EINVAL for a ticket
 * that is not a finished submission of this epoch (never published, already
 * released, from before the last enable) or a NULL @t.
 */
int qiring_release(struct qiring *r, const struct qiring_ticket *t)
{
	u64 w;
	u32 v;

	if (unlikely(!qr_ticket_ok(r, t)))
		return -EINVAL;
	w = t->pos + t->count;
	v = READ_ONCE(*qr_slot_word(r, w));

	/* Only a finished submission of this lap is its owner's to free (H4). */
	if (v == qr_word(r, w, QIRING_WAIT))
		return -EBUSY;
	if (v != qr_word(r, w, QIRING_DONE) && v != qr_word(r, w, QIRING_ABORT) &&
	    v != qr_word(r, w, QIRING_GONE))
		return -EINVAL;
	qr_release(r, t->pos, w);
	return 0;
}

/* ---- submission ------------------------------------------------------- */

/*
 * The owner's deadline passed with its submission in flight. If it finished
 * after all, end it as usual (a completion counts; an abort is not retried
 * past the deadline). Otherwise leave it to the ring: the orphan word says
 * which slots it holds, and the reclaimer that finds it once the hardware
 * is done with it releases them (O16). The owner never touches them again.
 */
static int qr_orphan(struct qiring *r, const struct qiring_ticket *t)
{
	u32 v;
	int rc;

	/* never leave it unpublished */
	qr_doorbell(r, t->pos, t->pos + t->count + 1);
	rc = __qr_poll(r, t, &v, QR_IQE_UNKNOWN);

	if (rc != -EINPROGRESS) {
		qr_release(r, t->pos, t->pos + t->count);
		return rc == -EAGAIN ? -ETIMEDOUT : rc;
	}
	/* O16, relaxed: carries only the count (see "--" orphan in the header). */
	WRITE_ONCE(*qr_orphan_word(r, t->pos), t->count + 1);
	atomic64_inc(&r->orphans);
	return -ETIMEDOUT;
}

static int qr_submit(struct qiring *r, const struct qiring_desc *desc,
		     unsigned int count, unsigned long options, u64 timeout_ns)
{
	struct qr_deadline dl = { .timeout_ns = timeout_ns };
	struct qiring_ticket t;
	unsigned int i;
	u64 iqe_seen;
	int rc;

	if (unlikely(count && !desc))
		return -EINVAL;
	/* The whole submission is one RCU read-side section (disable waits). */
	if (unlikely(!qr_enter(r)))
		return -ENODEV;
	for (;;) {
		/* 1. Reserve count + 1 slots. */
		rc = qr_reserve(r, count, &t, &dl);
		if (rc)
			break;
		/* 2. Write the descriptors. */
		for (i = 0; i < count; i++)
			qr_put_desc(r, t.pos + i, &desc[i]);
		/* 3, 4. Append the wait, mark, ring the doorbell. */
		iqe_seen = atomic64_read(&r->iqe);
		__qr_publish(r, &t, options);
		/* 5. Wait (ringing again until an IQT write covers us). */
		rc = qr_wait(r, &t, &dl, iqe_seen);
		if (rc == -ETIMEDOUT) {
			rc = qr_orphan(r, &t);
			break;
		}
		/* 6, 7. Release (and reclaim at a boundary). */
		qr_release(r, t.pos, t.pos + t.count);
		if (rc != -EAGAIN)
			break;
		if (timeout_ns && qr_expired(&dl, ktime_get_ns())) {
			rc = -ETIMEDOUT;	/* one deadline for every attempt */
			break;
		}
		atomic64_inc(&r->restarts);	/* ITE: resubmit */
	}
	qr_leave();
	return rc;
}

/**
 * qiring_submit_sync() - submit descriptors and wait for their completion
 * @r: the ring
 * @desc: @count descriptors (qw0/qw1 only on a 16-byte ring)
 * @count: descriptors, at most slots - 2; 0 submits a lone wait (a drain)
 * @options: QIRING_OPT_WAIT_DRAIN sets the wait descriptor's PRQ-drain bit
 *
 * Linux's qi_submit_sync() contract: the descriptors and a wait descriptor
 * are published, and the call returns once the hardware's status write
 * says every one of them completed. After an ITE aborted the wait, the
 * submission is made again.
 *
 * Context: any context, interrupts disabled in the kernel; never sleeps.
 * Return: 0; -EINVAL when the hardware flagged one of these descriptors
 * invalid (IQE), or for bad arguments (@count > slots - 2, @desc NULL with
 * @count > 0); -ETIMEDOUT when an ITE aborted it, the embedder reports the
 * device that did not answer gone (struct qiring_hw_ops.ite_target_gone)
 * and it carries a device-TLB invalidation (not resubmitted); -ENODEV when
 * the ring is disabled.
 */
int qiring_submit_sync(struct qiring *r, const struct qiring_desc *desc,
		       unsigned int count, unsigned long options)
{
	return qr_submit(r, desc, count, options, 0);
}

/**
 * qiring_submit_timeout() - qiring_submit_sync() with a bounded wait
 * @r: the ring
 * @desc: @count descriptors
 * @count: descriptors, at most slots - 2
 * @options: QIRING_OPT_* flags
 * @timeout_ns: the whole call's bound, in nanoseconds: waiting for room,
 *	waiting for the completion and every restart after an ITE, counted
 *	from the call's first clock read (its first wait reads the clock
 *	after 64 iterations; a call that never waits never reads it); 0 waits
 *	for ever
 *
 * Context: any context, interrupts disabled in the kernel; never sleeps.
 * Return: as qiring_submit_sync(), or -ETIMEDOUT when @timeout_ns passed
 * first. The caller then owns nothing: a submission still in flight is
 * left to the ring, which frees its slots once the hardware is done with
 * it; whether the hardware executed it is not known.
 */
int qiring_submit_timeout(struct qiring *r, const struct qiring_desc *desc,
			  unsigned int count, unsigned long options,
			  u64 timeout_ns)
{
	return qr_submit(r, desc, count, options, timeout_ns);
}

/* ---- lifecycle: disable, enable, destroy ------------------------------- */

/*
 * Every submitter is quiet or gone. Reclaim; while an orphan holds the
 * frontier, wait (up to stall_ns, handling faults) for the hardware to
 * finish it. A split-API ticket still held is the caller's to release.
 */
static int qr_drain(struct qiring *r, bool can_wait)
{
	struct qr_deadline dl = { .timeout_ns = r->stall_ns };
	struct qr_waitstate ws = { .dl = &dl };
	s64 c;

	for (;;) {
		qiring_reclaim(r);
		c = atomic64_read(&r->cons);
		if (c == atomic64_read(&r->prod))
			return 0;
		if (!can_wait || !READ_ONCE(*qr_orphan_word(r, c)))
			return -EBUSY;
		/* An orphan its owner could not publish (see qr_flush()). */
		qr_flush(r);
		if (qr_wait_tick(r, &ws, c, false))
			return -EBUSY;
	}
}

static int qr_quiesce(struct qiring *r, u32 state, bool wait)
{
	/*
	 * No ordering needed: synchronize_rcu() below waits for every section
	 * that may have seen the old value, and a section that starts after
	 * it returns sees the new one (RCU's grace-period guarantee).
	 */
	WRITE_ONCE(r->enabled, state);
	if (wait)
		synchronize_rcu();
	return qr_drain(r, wait);
}

/**
 * qiring_disable() - stop accepting submissions and wait for the ring to drain
 * @r: the ring
 *
 * New submissions and reservations get -ENODEV. Waits (an RCU grace period)
 * for every submitter already inside the ring to leave, then up to stall_ns
 * for the hardware to finish submissions whose owners timed out.
 * Submitters wait for the hardware, so the unit must still be running.
 *
 * Context: process context, may sleep. Not concurrent with qiring_enable(),
 * qiring_disable_nowait() or qiring_destroy().
 * Return: 0 when the ring is quiescent with every slot released: the
 * embedder may stop the unit. -EBUSY when split-API tickets reserved before
 * the call are not yet released, or the hardware did not finish a timed-out
 * submission in time; the ring stays disabled, call again later. -EINVAL
 * for a NULL or destroyed ring.
 */
int qiring_disable(struct qiring *r)
{
	if (!r)
		return -EINVAL;
	if (READ_ONCE(r->enabled) == QR_DESTROYED)
		return -EINVAL;
	return qr_quiesce(r, QR_DISABLED, true);
}

/**
 * qiring_disable_nowait() - qiring_disable() without waiting
 * @r: the ring
 *
 * For callers that exclude submitters by other means, such as the resume
 * path (dmar_reenable_qi()), which runs on one CPU with interrupts off and
 * cannot sleep. No grace period, no wait for the hardware.
 *
 * Context: any context; never sleeps.
 * Return: 0 when every slot is released, else -EBUSY (someone is still
 * inside, or a timed-out submission is still in flight). -EINVAL for a
 * NULL or destroyed ring.
 */
int qiring_disable_nowait(struct qiring *r)
{
	if (!r)
		return -EINVAL;
	if (READ_ONCE(r->enabled) == QR_DESTROYED)
		return -EINVAL;
	return qr_quiesce(r, QR_DISABLED, false);
}

/**
 * qiring_destroy() - disable the ring for good
 * @r: the ring
 *
 * qiring_disable(), after which the ring's memory (struct qiring, the queue
 * and the status words) may be freed once no thread can still call in.
 * Callers that might still reach the struct must be excluded by the
 * embedder; those that do before it is freed get -ENODEV.
 *
 * Context: process context, may sleep.
 * Return: as qiring_disable().
 */
int qiring_destroy(struct qiring *r)
{
	if (!r)
		return -EINVAL;
	return qr_quiesce(r, QR_DESTROYED, true);
}

/**
 * qiring_enable() - restart a disabled ring at slot 0 of a new epoch
 * @r: the ring
 *
 * Every slot is free afterwards. The embedder resets the unit first
 * (IQH = IQT = 0), as the hardware restarts from slot 0 when queued
 * invalidation is re-enabled (dmar_reenable_qi()). Positions go on from
 * the next multiple of the ring size: tickets of earlier epochs never
 * match again.
 *
 * Context: any context; never sleeps. Not concurrent with qiring_disable()
 * or qiring_destroy().
 * Return: 0; -EBUSY if the ring is enabled or a ticket is still not
 * released; -EINVAL for a NULL or destroyed ring.
 */
int qiring_enable(struct qiring *r)
{
	u64 p;
	u32 e;

	if (!r)
		return -EINVAL;
	e = READ_ONCE(r->enabled);
	if (e == QR_DESTROYED)
		return -EINVAL;
	if (e == QR_ENABLED)
		return -EBUSY;
	/* A disable that returned -EBUSY left tickets in flight. */
	if (qr_drain(r, false))
		return -EBUSY;
	p = atomic64_read(&r->prod);
	qr_reset_positions(r, (p + r->mask) & ~(u64)r->mask);
	/* O14: pairs with O13 in qr_enter(). */
	smp_store_release(&r->enabled, QR_ENABLED);
	return 0;
}

/**
 * qiring_get_stats() - read the ring's counters
 * @r: the ring
 * @out: filled in
 *
 * Each counter is read on its own: a snapshot, not a consistent cut.
 *
 * Context: any context; never sleeps.
 */
void qiring_get_stats(const struct qiring *r, struct qiring_stats *out)
{
	out->submissions = atomic64_read(&r->submissions);
	out->tail_writes = atomic64_read(&r->tail_writes);
	out->max_batch = atomic64_read(&r->max_batch);
	out->fault_reads = atomic64_read(&r->fault_reads);
	out->restarts = atomic64_read(&r->restarts);
	out->cas_retries = atomic64_read(&r->cas_retries);
	out->iqe = atomic64_read(&r->iqe);
	out->ite = atomic64_read(&r->ite);
	out->ice = atomic64_read(&r->ice);
	out->stalls = atomic64_read(&r->stalls);
	out->orphans = atomic64_read(&r->orphans);
}
