// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qiring: lock-free VT-d queued-invalidation ring. See docs/design.md for the
 * slot state machine, the invariants and the hazards H1-H10; every ordering
 * point below is labelled (O1..O9) and names its partner.
 *
 * Positions are 64-bit sequence numbers that never wrap (H5); a slot index
 * is pos & mask and a lap is pos >> order. Four positions describe the ring:
 *
 *   cons <= hardware head <= published <= prod,   prod - cons <= slots - 1
 *
 *   prod       allocation frontier: reservations take [p, p + count + 1)
 *              with a cmpxchg;
 *   published  everything below was handed to the hardware (IQT); it lives
 *              in `tail` with the doorbell lease bit;
 *   cons       reclaim frontier: everything below was released by its
 *              owner and may be reserved again.
 *
 * Each slot has a 32-bit status word, tagged with the lap of the position
 * using it: (lap << 3) | state. The hardware writes the wait slot's word
 * with DONE(lap) when the submission completes. Because every state carries
 * its lap, a reclaimer, publisher or waiter can never mistake a value left
 * from the previous lap for a current one (H1, H4).
 */
#include "qiring/qiring.h"

/*
 * Mutation testing (scripts/mutants.sh, docs/verification.md): building
 * with -DQIRING_MUTANT=N plants bug N; 0, the default, is the algorithm.
 */
#ifndef QIRING_MUTANT
#define QIRING_MUTANT 0
#endif

enum qr_state {
	QR_FREE = 0,	/* released by its owner in this lap */
	QR_DESC = 1,	/* descriptor written, owner waiting */
	QR_WAIT = 2,	/* wait descriptor written, owner waiting */
	QR_DONE = 3,	/* the hardware's status write: submission complete */
	QR_ABORT = 4,	/* fault path: wait aborted by an ITE, owner restarts */
	QR_BAD = 5,	/* fault path: descriptor flagged by IQE, owner gets -EINVAL */
};

#define QR_STATE_BITS	3

/* struct qiring.enabled */
#define QR_DISABLED	0u
#define QR_ENABLED	1u
#define QR_DESTROYED	2u
#define QR_LEASE	1ull	/* tail bit 0: someone is writing IQT */
#define QR_CLOCK_EVERY	64u	/* wait-loop iterations between clock reads */

#define QR_DEFAULT_FAULT_POLL_NS	20000ull
#define QR_DEFAULT_STALL_NS		1000000000ull

static inline u32 qr_word(const struct qiring *r, u64 pos, u32 state)
{
#if QIRING_MUTANT == 1
	return state;	/* M1: no lap tag */
#endif
	return (u32)((pos >> r->order) << QR_STATE_BITS) | state;
}

static inline qr_atomic32_t *qr_slot_word(const struct qiring *r, u64 pos)
{
	return &r->status[pos & r->mask];
}

static inline struct qiring_desc *qr_slot_desc(const struct qiring *r, u64 pos)
{
	return (struct qiring_desc *)(r->desc + ((pos & r->mask) << r->desc_shift));
}

static inline u64 qr_slot_dma(const struct qiring *r, u64 pos)
{
	return r->status_dma + ((pos & r->mask) << 2);
}

/* A 16-byte ring holds qw0/qw1 only: never touch the next slot. */
static inline void qr_put_desc(const struct qiring *r, u64 pos,
			       const struct qiring_desc *d)
{
	struct qiring_desc *s = qr_slot_desc(r, pos);

	s->qw0 = d->qw0;
	s->qw1 = d->qw1;
	if (r->desc_shift == 5) {
		s->qw2 = d->qw2;
		s->qw3 = d->qw3;
	}
}

/* Statistics written by one holder at a time (lease or fault lock). */
static inline void qr_stat_add_excl(qr_atomic64_t *s, u64 v)
{
	qr_write_once64(s, qr_read_once64(s) + v);
}

/*
 * Positions restart at 0 and every slot is FREE for lap -1: position p of
 * lap 0 looks for FREE(0), which only its owner's release can write.
 */
static void qr_reset_positions(struct qiring *r)
{
	u32 i;

	for (i = 0; i < r->slots; i++)
		qr_write_once32(&r->status[i],
				qr_word(r, (u64)i - r->slots, QR_FREE));
	qr_write_once32(&r->status[r->slots], 0);	/* IQE scratch word */
	qr_write_once64(&r->prod, 0);
	qr_write_once64(&r->tail, 0);
	qr_write_once64(&r->cons, 0);
}

int qiring_init(struct qiring *r, const struct qiring_config *cfg)
{
	const struct qiring_hw_ops *ops;
	u32 order = 0;

	if (!r || !cfg || !cfg->desc || !cfg->status || !cfg->ops)
		return -EINVAL;
	ops = cfg->ops;
	if (!ops->write_tail || !ops->read_head || !ops->read_fault ||
	    !ops->clear_fault)
		return -EINVAL;
	if (cfg->slots < QIRING_MIN_SLOTS || cfg->slots > QIRING_MAX_SLOTS ||
	    (cfg->slots & (cfg->slots - 1)))
		return -EINVAL;
	if (cfg->desc_size != 16 && cfg->desc_size != 32)
		return -EINVAL;
	if ((cfg->status_dma & 3) || ((unsigned long)cfg->status & 3))
		return -EINVAL;
	while ((1u << order) < cfg->slots)
		order++;

	r->order = order;
	r->mask = cfg->slots - 1;
	r->desc_shift = cfg->desc_size == 32 ? 5 : 4;
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

	qr_reset_positions(r);
	qr_write_once32(&r->fault_lock, 0);
	qr_write_once64(&r->fault_next_ns, 0);
	qr_write_once64(&r->tail_writes, 0);
	qr_write_once64(&r->submissions, 0);
	qr_write_once64(&r->fault_reads, 0);
	qr_write_once64(&r->restarts, 0);
	qr_write_once64(&r->cas_retries, 0);
	qr_write_once64(&r->iqe, 0);
	qr_write_once64(&r->ite, 0);
	qr_write_once64(&r->ice, 0);
	qr_write_once64(&r->stalls, 0);
	qr_write_once32(&r->enabled, QR_ENABLED);
	return 0;
}

/* ---- lifecycle: disable, enable, destroy ------------------------------- */

/*
 * Submitters run inside an RCU read-side section from their check of
 * `enabled` until they leave the ring. qr_enter() is that check.
 */
static inline bool qr_enter(struct qiring *r)
{
	qr_rcu_read_lock();
	/*
	 * O13 (acquire): pairs with O14 in qiring_enable(). A submitter that
	 * sees the ring enabled sees the positions and status words enable
	 * reset.
	 */
	if (qr_likely(qr_load_acquire32(&r->enabled) == QR_ENABLED))
		return true;
	qr_rcu_read_unlock();
	return false;
}

static inline void qr_leave(void)
{
	qr_rcu_read_unlock();
}

static int qr_quiesce(struct qiring *r, u32 state, bool wait)
{
	/*
	 * Relaxed is enough: synchronize_rcu() below waits for every section
	 * that may have seen the old value, and a section that starts after
	 * it returns sees the new one (RCU's grace-period guarantee).
	 */
	qr_write_once32(&r->enabled, state);
	if (wait)
		qr_synchronize_rcu();
	/*
	 * Every submit_sync has left; only split-API tickets reserved before
	 * the disable can still own slots. The ring is quiescent when reclaim
	 * reaches the allocation frontier.
	 */
	qiring_reclaim(r);
	if (qr_read_once64(&r->cons) != qr_read_once64(&r->prod))
		return -EBUSY;
	return 0;
}

int qiring_disable(struct qiring *r)
{
	if (!r)
		return -EINVAL;
	if (qr_read_once32(&r->enabled) == QR_DESTROYED)
		return -EINVAL;
	return qr_quiesce(r, QR_DISABLED, true);
}

int qiring_disable_nowait(struct qiring *r)
{
	if (!r)
		return -EINVAL;
	if (qr_read_once32(&r->enabled) == QR_DESTROYED)
		return -EINVAL;
	return qr_quiesce(r, QR_DISABLED, false);
}

int qiring_destroy(struct qiring *r)
{
	if (!r)
		return -EINVAL;
	return qr_quiesce(r, QR_DESTROYED, true);
}

int qiring_enable(struct qiring *r)
{
	u32 e;

	if (!r)
		return -EINVAL;
	e = qr_read_once32(&r->enabled);
	if (e == QR_DESTROYED)
		return -EINVAL;
	if (e == QR_ENABLED)
		return -EBUSY;
	/* A disable that returned -EBUSY left tickets in flight. */
	qiring_reclaim(r);
	if (qr_read_once64(&r->cons) != qr_read_once64(&r->prod))
		return -EBUSY;
	qr_reset_positions(r);
	/*
	 * O14 (release): pairs with O13. Publishes the reset positions and
	 * status words to every submitter that sees the ring enabled.
	 */
	qr_store_release32(&r->enabled, QR_ENABLED);
	return 0;
}

unsigned int qiring_reclaim(struct qiring *r)
{
	/* O5 (acquire): pairs with O6 of the previous reclaimer. */
	u64 c = qr_load_acquire64(&r->cons), q, limit;
	u64 retries = 0;
	unsigned int got = 0;

	for (;;) {
		/*
		 * Never past the allocation frontier: beyond prod no slot has
		 * an owner for this lap.
		 */
		limit = qr_read_once64(&r->prod);
#if QIRING_MUTANT == 2
		limit = ~0ull;	/* M2: no allocation-frontier bound */
#endif
		q = c;
		/*
		 * O4 (acquire): pairs with O3, the owner's release of its slots
		 * in qiring_release(). The hardware and the owner are done with
		 * every slot we pass.
		 */
		while (q < limit &&
		       qr_load_acquire32(qr_slot_word(r, q)) == qr_word(r, q, QR_FREE))
			q++;
#if QIRING_MUTANT == 5
		/* M5: reclaim frees a completed wait itself, as legacy's did */
		if (q < limit &&
		    qr_load_acquire32(qr_slot_word(r, q)) == qr_word(r, q, QR_DONE))
			qr_store_release32(qr_slot_word(r, q), qr_word(r, q, QR_FREE));
#endif
		if (q == c)
			break;
		/*
		 * O6 (release): pairs with O5 in qiring_reserve() and here. A
		 * reserver that sees the new frontier may overwrite the slots.
		 * Reclaim never changes a slot's state (H4): it only moves cons.
		 */
		if (qr_cmpxchg64_release(&r->cons, &c, q)) {
			got = (unsigned int)(q - c);
			break;
		}
		retries++;	/* c now holds the newer frontier: rescan */
	}
	if (retries)
		qr_fetch_add64_relaxed(&r->cas_retries, retries);
	return got;
}

unsigned int qiring_free_slots(struct qiring *r)
{
	u64 c, p;

	qiring_reclaim(r);
	c = qr_read_once64(&r->cons);
	p = qr_read_once64(&r->prod);
	if ((s64)(p - c) < 0)	/* raced: prod read after cons moved past it */
		return r->mask + 1;
	return (unsigned int)(r->mask + 1 - (p - c));
}

/* ---- waiting: relax, fault polling, stall reports ---------------------- */

struct qr_waitstate {
	u32 spins;
	u64 start_ns;		/* first clock read, 0 before */
	u64 next_report_ns;
};

static void qr_fault_lock(struct qiring *r)
{
	u32 old = 0;

	/*
	 * O8 (acquire) / O9 (release) below: the fault path is a plain
	 * critical section; one handler at a time clears FSTS bits and
	 * rewrites descriptors (H7).
	 */
	while (!qr_cmpxchg32_acquire(&r->fault_lock, &old, 1)) {
		old = 0;
		qr_cpu_relax();
	}
}

static void qr_fault_unlock(struct qiring *r)
{
	qr_store_release32(&r->fault_lock, 0);
}

/*
 * Map the hardware head index to a ring position. Valid while the hardware
 * is stopped on IQE or ITE: then cons <= head <= published <= cons + mask.
 */
static u64 qr_head_pos(struct qiring *r)
{
	u32 h = r->ops->read_head(r->hw);
	u64 c = qr_read_once64(&r->cons);

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
	u64 pub = qr_read_once64(&r->tail) >> 1;
	u64 w;
	u32 old = qr_word(r, h, QR_DESC);
	struct qiring_desc *bad = qr_slot_desc(r, h);

	/*
	 * O2 (acquire) again: pairs with O1, so we may read the owner's wait
	 * descriptor below.
	 */
	for (w = h; w < pub; w++)
		if (qr_load_acquire32(qr_slot_word(r, w)) == qr_word(r, w, QR_WAIT))
			break;
	/*
	 * The owner reads QR_BAD after it sees its DONE, which the hardware
	 * writes after our clear_fault(): the MMIO write orders this store.
	 */
	qr_cmpxchg32_relaxed(qr_slot_word(r, h), &old, qr_word(r, h, QR_BAD));
	if (w < pub && w != h) {
		const struct qiring_desc *wd = qr_slot_desc(r, w);

		bad->qw0 = wd->qw0;
	} else {
		/* Not ours to explain (no owner wait found): keep the ring alive. */
		bad->qw0 = QIRING_IWD_STATUS_DATA(0) | QIRING_IWD_SW | QIRING_TYPE_IWD;
	}
	bad->qw1 = r->status_dma + ((u64)(r->mask + 1) << 2);
	if (r->desc_shift == 5) {
		bad->qw2 = 0;
		bad->qw3 = 0;
	}
	r->ops->clear_fault(r->hw, QIRING_FSTS_IQE);
	qr_stat_add_excl(&r->iqe, 1);
}

/*
 * ITE: a device-TLB invalidation timed out. Wait descriptors the hardware
 * fetched (below IQH) but never completed are aborted: their status will
 * never be written. Mark them ABORT so their owners restart. Only waits of
 * this lap that still read WAIT change, by cmpxchg: a completed wait reads
 * DONE, a reused slot carries another lap.
 */
static void qr_handle_ite(struct qiring *r)
{
	u64 head = qr_head_pos(r);
	u64 q = qr_read_once64(&r->cons);

	r->ops->clear_fault(r->hw, QIRING_FSTS_ITE);
#if QIRING_MUTANT == 11
	head = qr_read_once64(&r->tail) >> 1;	/* M11: abort past the hardware head */
#endif
	for (; q < head; q++) {
		u32 old = qr_word(r, q, QR_WAIT);

		/*
		 * O7 (release): pairs with O12 in qiring_poll(). We read FSTS
		 * and IQH after the hardware stopped, so the hardware is done
		 * with every slot below head; the owner that sees ABORT must
		 * inherit that, because it releases its slots for reuse (O3).
		 * Relaxed here let a new owner's descriptor writes race with
		 * the hardware's fetch of the aborted submission (TSan found
		 * it in the fault stress).
		 */
		qr_cmpxchg32_release(qr_slot_word(r, q), &old,
				     qr_word(r, q, QR_ABORT));
	}
	qr_stat_add_excl(&r->ite, 1);
}

u32 qiring_check_faults(struct qiring *r)
{
	u32 fsts;

	qr_fault_lock(r);
	fsts = r->ops->read_fault(r->hw);
	qr_fetch_add64_relaxed(&r->fault_reads, 1);
	/* Linux's order: IQE, then ITE, then ICE. */
	if (fsts & QIRING_FSTS_IQE)
		qr_handle_iqe(r);
	if (fsts & QIRING_FSTS_ITE)
		qr_handle_ite(r);
	if (fsts & QIRING_FSTS_ICE) {
		r->ops->clear_fault(r->hw, QIRING_FSTS_ICE);
		qr_stat_add_excl(&r->ice, 1);
	}
	qr_fault_unlock(r);
	return fsts;
}

/*
 * Who holds a waiter up. Completion waiters wait on `pos` (their wait slot),
 * reservers on the slot at cons.
 */
static void qr_find_blocker(struct qiring *r, u64 pos, bool reserving,
			    struct qiring_stall *s)
{
	u64 pub = qr_read_once64(&r->tail) >> 1;
	u64 b = reserving ? qr_read_once64(&r->cons) : pos;
	u32 v;

	if (b >= pub) {
		/* Not yet published: the first unpublished slot's owner. */
		b = pub;
		s->blocker = QIRING_BLOCKER_OWNER_WRITING;
	} else {
		u64 w = b;

		/* A descriptor slot is as far along as its submission's wait. */
		while (w < pub && (qr_read_once32(qr_slot_word(r, w)) == qr_word(r, w, QR_DESC) ||
				   qr_read_once32(qr_slot_word(r, w)) == qr_word(r, w, QR_BAD)))
			w++;
		v = w < pub ? qr_read_once32(qr_slot_word(r, w)) : 0;
		if (v == qr_word(r, w, QR_DONE) || v == qr_word(r, w, QR_ABORT)) {
			s->blocker = QIRING_BLOCKER_OWNER_RELEASE;
		} else {
			s->fault = r->ops->read_fault(r->hw);
			qr_fetch_add64_relaxed(&r->fault_reads, 1);
			s->blocker = (s->fault & (QIRING_FSTS_IQE | QIRING_FSTS_ITE)) ?
				     QIRING_BLOCKER_FAULT : QIRING_BLOCKER_DEVICE;
		}
	}
	s->blocker_seq = b;
	s->blocker_slot = (u32)(b & r->mask);
}

static void qr_wait_tick(struct qiring *r, struct qr_waitstate *ws, u64 pos,
			 bool reserving)
{
	u64 now, next;

	if (r->ops->relax)
		r->ops->relax(r->hw);
	else
		qr_cpu_relax();
	if (++ws->spins % QR_CLOCK_EVERY)
		return;

	now = qr_now_ns();
	if (!ws->start_ns) {
		ws->start_ns = now;
		ws->next_report_ns = now + r->stall_ns;
	}

	/*
	 * A stopped queue (IQE/ITE) only restarts when someone clears it, but
	 * FSTS is an uncached MMIO read (a VM exit under a vIOMMU): one waiter
	 * polls it per fault_poll_ns, whoever claims the slot first.
	 */
	next = qr_read_once64(&r->fault_next_ns);
	if (now >= next &&
	    qr_cmpxchg64_relaxed(&r->fault_next_ns, &next, now + r->fault_poll_ns))
		qiring_check_faults(r);

	if (qr_unlikely(now >= ws->next_report_ns)) {
		struct qiring_stall s = {
			.waiter_seq = pos,
			.age_ns = now - ws->start_ns,
			.reserving = reserving,
		};

		qr_find_blocker(r, pos, reserving, &s);
		qr_fetch_add64_relaxed(&r->stalls, 1);
		if (r->stall_report)
			r->stall_report(r->stall_arg, &s);
		ws->next_report_ns = now + r->stall_ns;
	}
}

/* ---- submission -------------------------------------------------------- */

static int qr_reserve(struct qiring *r, unsigned int count, struct qiring_ticket *t)
{
	struct qr_waitstate ws = { 0 };
	u64 n = (u64)count + 1, p, c;
	u64 retries = 0;

	/* count descriptors + the wait + the one-slot gap must fit (count + 2) */
	if (qr_unlikely(!t || count > r->mask - 1))
		return -EINVAL;

	p = qr_read_once64(&r->prod);
	for (;;) {
		/*
		 * O5 (acquire): pairs with O6 in qiring_reclaim(). Slots below
		 * cons were released after the hardware finished with them;
		 * our descriptor writes come after this load.
		 */
		c = qr_load_acquire64(&r->cons);
#if QIRING_MUTANT == 10
		if (p + n - c <= r->mask + 1) {	/* M10: no one-slot gap */
#else
		if (qr_likely(p + n - c <= r->mask)) {
#endif
			/*
			 * Relaxed: the claim carries no data. What we may
			 * overwrite was settled by O5; what we write is
			 * published by O1.
			 */
			if (qr_cmpxchg64_relaxed(&r->prod, &p, p + n))
				break;
			retries++;
			continue;
		}
		if ((s64)(p - c) < 0) {	/* p is stale: cons moved past it */
			p = qr_read_once64(&r->prod);
			continue;
		}
		if (!qiring_reclaim(r))
			qr_wait_tick(r, &ws, p, true);	/* H6: full behind an owner */
		p = qr_read_once64(&r->prod);
	}
	if (qr_unlikely(retries))
		qr_fetch_add64_relaxed(&r->cas_retries, retries);
	t->pos = p;
	t->count = count;
	return 0;
}

int qiring_reserve(struct qiring *r, unsigned int count, struct qiring_ticket *t)
{
	int rc;

	if (qr_unlikely(!qr_enter(r)))
		return -ENODEV;
	rc = qr_reserve(r, count, t);
	qr_leave();
	return rc;
}

int qiring_write(struct qiring *r, const struct qiring_ticket *t, unsigned int i,
		 const struct qiring_desc *d)
{
	if (qr_unlikely(!t || !d || i >= t->count))
		return -EINVAL;
	qr_put_desc(r, t->pos + i, d);
	return 0;
}

/*
 * The published end of the marked run starting at q: the position after the
 * last submission in it whose wait is marked. The tail stops only at
 * submission boundaries, so a submission's descriptors and its wait reach
 * the hardware in one IQT write, as in Linux. Were IQT to land between a
 * device-TLB invalidation and its wait, an ITE could fire before the wait
 * was fetched: the wait would not be aborted, and would later complete as
 * if the timed-out invalidation had succeeded.
 */
static u64 qr_complete_end(struct qiring *r, u64 q, u64 *waits)
{
	u64 end = q;
	u32 v;

	for (;;) {
		/*
		 * O2 (acquire): pairs with O1, the owner's release marks in
		 * qiring_publish(). Seeing the mark, the lease holder sees the
		 * descriptor it covers, and hands both to the hardware.
		 */
		v = qr_load_acquire32(qr_slot_word(r, q));
		if (v == qr_word(r, q, QR_WAIT)) {
			end = ++q;
			(*waits)++;
		} else if (v == qr_word(r, q, QR_DESC)) {
			q++;
		} else {
			return end;
		}
	}
}

/*
 * The doorbell. Whoever holds the lease publishes every complete submission
 * from `published` on with one IQT write, so the tail only moves forward and
 * only over written descriptors (H2), and one write covers many submitters.
 * A submitter that finds the lease held leaves its slots to the holder (H3).
 */
static void qr_doorbell(struct qiring *r)
{
	/*
	 * O10 (fully ordered RMW): our marks (O1) are ordered before it. If the
	 * lease is held, this is a release the holder acquires at O11, so its
	 * re-check sees our marks; a plain load here could miss the hand-off
	 * (store->load ordering, H3).
	 */
#if QIRING_MUTANT == 7
	/* M7: leave at once when the lease looks held: a plain load after our marks */
	u64 t = qr_load_acquire64(&r->tail);

	if (t & QR_LEASE)
		return;
	t = qr_fetch_or64(&r->tail, QR_LEASE);
#else
	u64 t = qr_fetch_or64(&r->tail, QR_LEASE);
#endif
#if QIRING_MUTANT == 4
	t &= ~QR_LEASE;	/* M4: no lease: racing IQT writers, the tail can go back */
#endif

	while (!(t & QR_LEASE)) {
		u64 from = t >> 1, waits = 0, q;

		q = qr_complete_end(r, from, &waits);
		if (q != from) {
			r->ops->write_tail(r->hw, (u32)(q & r->mask));
			qr_stat_add_excl(&r->tail_writes, 1);
			qr_stat_add_excl(&r->submissions, waits);
		}
		/*
		 * O11 (fully ordered RMW): releases the lease. Pairs with O10
		 * of every submitter that found it held: they synchronize with
		 * us here, so the re-check below sees their marks. A submission
		 * still being marked is not ours to wait for: its owner rings
		 * after its last mark.
		 */
#if QIRING_MUTANT == 6
		qr_store_release64(&r->tail, q << 1);	/* M6: O11 a plain release */
#else
		qr_xchg64(&r->tail, q << 1);
#endif
		if (qr_complete_end(r, q, &waits) == q)
			return;
		t = qr_fetch_or64(&r->tail, QR_LEASE);	/* O10 again */
	}
}

void qiring_publish(struct qiring *r, const struct qiring_ticket *t,
		    unsigned long options)
{
	struct qiring_desc *d;
	u64 w, q;

	if (qr_unlikely(!t))
		return;
	w = t->pos + t->count;
	d = qr_slot_desc(r, w);

	/* The wait's status data is DONE tagged with this lap (H1, H4). */
	d->qw0 = QIRING_IWD_STATUS_DATA(qr_word(r, w, QR_DONE)) | QIRING_IWD_SW |
		 QIRING_TYPE_IWD;
	if (options & QIRING_OPT_WAIT_DRAIN)
		d->qw0 |= QIRING_IWD_PRQ_DRAIN;
	d->qw1 = qr_slot_dma(r, w);
	if (r->desc_shift == 5) {
		d->qw2 = 0;
		d->qw3 = 0;
	}
	/*
	 * O1 (release): pairs with O2 in the lease holder's scan. The mark
	 * says "this slot's descriptor is complete"; a lease holder that sees
	 * it sees the descriptor, and hands it on to the hardware.
	 */
	for (q = t->pos; q < w; q++)
		qr_store_release32(qr_slot_word(r, q), qr_word(r, q, QR_DESC));
	qr_store_release32(qr_slot_word(r, w), qr_word(r, w, QR_WAIT));
	qr_doorbell(r);
}

int qiring_poll(struct qiring *r, const struct qiring_ticket *t)
{
	u64 w, q;
	u32 v;

	if (qr_unlikely(!t))
		return -EINVAL;
	w = t->pos + t->count;
	/*
	 * O12 (acquire): pairs with the hardware's status write (a DMA write;
	 * a release store in the device model): every descriptor of ours was
	 * executed before it. Or with O7 (ABORT): the hardware is done with
	 * every slot of ours.
	 */
	v = qr_load_acquire32(qr_slot_word(r, w));

	if (qr_likely(v == qr_word(r, w, QR_DONE))) {
		for (q = t->pos; q < w; q++)
			if (qr_read_once32(qr_slot_word(r, q)) == qr_word(r, q, QR_BAD))
				return -EINVAL;
		return 0;
	}
	if (v == qr_word(r, w, QR_ABORT))
		return -EAGAIN;
	return -EINPROGRESS;
}

int qiring_wait_timeout(struct qiring *r, const struct qiring_ticket *t,
			u64 timeout_ns)
{
	struct qr_waitstate ws = { 0 };
	int rc;

	while ((rc = qiring_poll(r, t)) == -EINPROGRESS) {
		qr_wait_tick(r, &ws, t->pos + t->count, false);
		if (timeout_ns && ws.start_ns &&
		    !(ws.spins % QR_CLOCK_EVERY) &&
		    qr_now_ns() - ws.start_ns >= timeout_ns)
			return -ETIMEDOUT;
	}
	return rc;
}

int qiring_wait(struct qiring *r, const struct qiring_ticket *t)
{
	return qiring_wait_timeout(r, t, 0);
}

int qiring_release(struct qiring *r, const struct qiring_ticket *t)
{
	u64 w, q;
	u32 v;

	if (qr_unlikely(!t))
		return -EINVAL;
	w = t->pos + t->count;
	v = qr_read_once32(qr_slot_word(r, w));

	/* Only a finished submission of this lap is its owner's to free (H4). */
	if (v == qr_word(r, w, QR_DESC) || v == qr_word(r, w, QR_WAIT))
		return -EBUSY;
	if (v != qr_word(r, w, QR_DONE) && v != qr_word(r, w, QR_ABORT))
		return -EINVAL;
	/*
	 * O3 (release): pairs with O4 in qiring_reclaim(). Our reads of the
	 * slots, and the hardware's (ordered before O12), happen-before a new
	 * owner's writes.
	 */
#if QIRING_MUTANT == 9
	w++;	/* M9: also frees the next slot, someone else's */
#endif
	for (q = t->pos; q <= w; q++)
		qr_store_release32(qr_slot_word(r, q), qr_word(r, q, QR_FREE));
	return 0;
}

static int qr_submit(struct qiring *r, const struct qiring_desc *desc,
		     unsigned int count, unsigned long options, u64 timeout_ns)
{
	struct qiring_ticket t;
	unsigned int i;
	int rc;

	if (qr_unlikely(count && !desc))
		return -EINVAL;
	/* The whole submission is one RCU read-side section (disable waits). */
	if (qr_unlikely(!qr_enter(r)))
		return -ENODEV;
	for (;;) {
		rc = qr_reserve(r, count, &t);
		if (rc)
			break;
#if QIRING_MUTANT == 3
		qiring_publish(r, &t, options);	/* M3: publish, then write */
#endif
		for (i = 0; i < count; i++)
			qr_put_desc(r, t.pos + i, &desc[i]);
#if QIRING_MUTANT != 3
		qiring_publish(r, &t, options);
#endif
		rc = qiring_wait_timeout(r, &t, timeout_ns);
		if (rc == -ETIMEDOUT)
			break;	/* still in flight: the ticket stays owned */
		qiring_release(r, &t);
#if QIRING_MUTANT == 8
		if (rc == -EAGAIN)
			rc = 0;	/* M8: an aborted submission is not restarted */
#endif
		if (rc != -EAGAIN)
			break;
		qr_fetch_add64_relaxed(&r->restarts, 1);	/* ITE: resubmit */
	}
	qr_leave();
	return rc;
}

int qiring_submit_sync(struct qiring *r, const struct qiring_desc *desc,
		       unsigned int count, unsigned long options)
{
	return qr_submit(r, desc, count, options, 0);
}

int qiring_submit_timeout(struct qiring *r, const struct qiring_desc *desc,
			  unsigned int count, unsigned long options,
			  u64 timeout_ns)
{
	return qr_submit(r, desc, count, options, timeout_ns);
}

void qiring_get_stats(const struct qiring *r, struct qiring_stats *out)
{
	out->submissions = qr_read_once64(&r->submissions);
	out->tail_writes = qr_read_once64(&r->tail_writes);
	out->fault_reads = qr_read_once64(&r->fault_reads);
	out->restarts = qr_read_once64(&r->restarts);
	out->cas_retries = qr_read_once64(&r->cas_retries);
	out->iqe = qr_read_once64(&r->iqe);
	out->ite = qr_read_once64(&r->ite);
	out->ice = qr_read_once64(&r->ice);
	out->stalls = qr_read_once64(&r->stalls);
}
