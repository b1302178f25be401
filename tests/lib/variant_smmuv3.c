// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * smmuv3: Linux's ARM SMMUv3 command-queue insertion, rendered on the VT-d
 * device model: arm_smmu_cmdq_issue_cmdlist() and its helpers from
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c (6.1 and 6.12 run the same
 * algorithm; 6.12 only passes the cmdq explicitly for secondary queues).
 * Written from scratch; the function names are Linux's and the steps carry
 * the numbers of the block comment above Linux's insertion code, so the two
 * can be read side by side. In this file's words:
 *
 *	1. allocate: claim slots, and learn whether we own the queue head;
 *	2. write the commands (and the sync) into the claimed slots;
 *	3. mark the claimed slots in the valid map;
 *	4. as the owner only:
 *		a. wait until the previous owner is done;
 *		b. clear the owned flag: the claims gathered so far are ours
 *		   to publish;
 *		c. wait until every gathered slot is marked valid;
 *		d. advance the producer register over all of them;
 *		e. let the next owner go;
 *	5. wait for the sync to complete (every submitter, owner or not).
 *
 * What is kept as it is in Linux:
 *
 *  - one 64-bit word, llq, with the producer index in its low half and the
 *    consumer index in its high half, each an index plus a wrap bit (bit
 *    max_n_shift); the producer half carries CMDQ_PROD_OWNED_FLAG (bit 31,
 *    Q_OVERFLOW_FLAG). Step 1 claims slots with one cmpxchg on the whole
 *    word (queue_has_space(), queue_inc_prod_n()); whoever finds OWNED
 *    clear becomes the owner, and later claimers gather behind it;
 *  - commands written without a lock (step 2);
 *  - the valid bitmap, one bit per slot, whose valid value is the inverse
 *    of the slot's wrap bit, so a lap's marks are invalid again in the next
 *    lap: producers toggle their range with xor, owners poll their gathered
 *    range (__arm_smmu_cmdq_poll_set_valid_map());
 *  - the owner's steps 4a-4e: wait for owner_prod to reach its first slot,
 *    clear OWNED with a fetch_andnot on the prod word (which returns the end
 *    of what it gathered), wait for the whole range to be valid, write the
 *    producer register once for all of it, store owner_prod;
 *  - cmdq->lock, the "bastardised rwlock": every CMD_SYNC waiter holds it
 *    shared from before it marks its slots valid until its sync completed
 *    (arm_smmu_cmdq_shared_lock() / _tryunlock() / _unlock()), so the shadow
 *    consumer index cannot pass an in-flight sync and the queue cannot wrap
 *    twice under a waiter; the last waiter out (tryunlock fails) stores its
 *    own consumer index; a CPU that finds the queue full refreshes the
 *    consumer index from the hardware only if it gets the lock exclusively
 *    (arm_smmu_cmdq_exclusive_trylock_irqsave() in
 *    arm_smmu_cmdq_poll_until_not_full()), otherwise waits for someone else
 *    to do it;
 *  - step 5 as the MSI poll, __arm_smmu_cmdq_poll_until_msi(): the sync
 *    writes into its own queue slot, clearing the slot's first 32 bits, and
 *    its issuer polls that word for zero;
 *  - the layout: llq alone on its cache line; valid_map (the pointer),
 *    owner_prod and lock together on one line, as they sit at the end of
 *    struct arm_smmu_cmdq; the queue base and registers read-mostly on
 *    their own.
 *
 * What is adapted to VT-d, and why:
 *
 *  - A submission is `count` descriptors followed by one invalidation wait
 *    descriptor (type 5, status write), which plays CMD_SYNC: its status
 *    address is its own slot's first dword and its status data 0, exactly
 *    SMMUv3's MSI-into-the-command (msiaddr = the CMD_SYNC's slot, data 0).
 *    Every submission has its sync (Linux's sync = true): the VT-d contract
 *    of qi_submit_sync(). The device model accepts status writes only into
 *    memory it was given, so the whole queue, plus one scratch slot after
 *    it, is registered as status memory.
 *  - Registers: IQT (qr_dev_write_tail(), a slot index) is the producer
 *    register of step 4d; IQH (qr_dev_read_head()) the consumer register.
 *    IQH has no wrap bit: the refresh decodes it against the shadow prod,
 *    which it can be at most slots - 1 behind (next point).
 *  - Space. VT-d takes IQH == IQT as empty, so the queue is never filled:
 *    a submission needs count + 2 free slots (its descriptors, its wait and
 *    the gap), as Linux VT-d requires; queue_has_space() is asked for
 *    count + 2, and "full" (queue_full()) means less than 2 free, the room
 *    of the smallest submission, as SMMUv3's full is no room for one
 *    command. Linux's caller loop retries the exclusive trylock at once
 *    when the queue is not full but still too full for it; here each such
 *    pass pauses once (queue_poll()), as every wait loop of this project
 *    does.
 *  - The consumer index a completed sync stores is its own slot, not the
 *    slot after it (Linux: queue_inc_prod_n(llq, 1)): the device model, like
 *    hardware may, writes a wait's status before IQH moves past the wait,
 *    so a shadow cons one past IQH could let the queue fill up to the last
 *    slot and make IQH ambiguous to decode. One slot of space, until the
 *    next refresh.
 *  - Shared words are C11 atomics and orderings are on accesses, so that
 *    ThreadSanitizer sees the protocol. Where Linux relies on a control or
 *    address dependency, a dma_wmb() or an MMIO read's ordering, this file
 *    uses acquire/release on the access (the same instructions on x86):
 *      the step 1 cmpxchg is acquire (Linux: relaxed, "dependency
 *      ordering"), pairing with the release cons updates: a slot is
 *      overwritten only after the hardware's and its old waiter's last
 *      reads of it;
 *      step 3's xor is release (Linux: dma_wmb(); relaxed xor), pairing
 *      with step 4c's acquire polls (Linux: relaxed + control dependency);
 *      step 4a's poll of owner_prod is acquire, pairing with 4e's release
 *      (so IQT writes are ordered too);
 *      step 5's poll is acquire (Linux: relaxed + control dependency),
 *      pairing with the device's release status write;
 *      shared_tryunlock()'s read and exclusive_trylock() are acquire
 *      (Linux: relaxed; the readl before tryunlock orders it), pairing with
 *      the release unlocks: the last one out, and the refresher, inherit
 *      every other waiter's last read of its slot.
 *    Linux stores the consumer index with a 32-bit WRITE_ONCE into the high
 *    half of the llq word while others cmpxchg all 64 bits; C11 has no
 *    mixed-size atomics (and TSan would not connect the two), so the store
 *    is one release fetch_xor on the 64-bit word that flips only the cons
 *    half. That is exact because cons writers are serialized by cmdq->lock
 *    (the last shared holder, or the exclusive holder), so the old cons is
 *    known; concurrent changes only touch the prod half. Step 4b's 32-bit
 *    fetch_andnot on the prod half is likewise a 64-bit fetch_and that
 *    clears OWNED and keeps everything else (on x86 both are a cmpxchg
 *    loop: fetch-and with the old value has no single instruction).
 *  - Waiting: every wait loop (steps 4a and 4c, the shared lock, the full
 *    queue, step 5) calls qr_dev_relax() once per iteration, the strategy
 *    the other variants share (spin, yield every 64th); Linux's
 *    queue_poll() backs off with udelay() after ten spins, which is not
 *    modelled. The clock is read every 64th iteration, as the lockfree
 *    core reads it (Linux's queue_poll() reads it every time): struct
 *    qr_vring_config's stall_ns bounds the completion wait, which then
 *    reports the stall and returns -ETIMEDOUT, as Linux's
 *    ARM_SMMU_POLL_TIMEOUT_US does; the other waits report every stall_ns
 *    and keep waiting, as Linux's "CMDQ timeout" message does (4a and 4c
 *    have no timeout in Linux: giving up there would stop every later
 *    owner). A waiter that timed out still leaves the lock and, if last,
 *    stores its sync's slot as the consumer index, as Linux does: after a
 *    timeout the queue is not to be trusted.
 *  - Faults. In Linux they arrive as the GERROR interrupt, whose handler
 *    runs arm_smmu_cmdq_skip_err(); an interrupt handler does not nest with
 *    itself, and it touches no shadow state of the queue. Here the handler
 *    is polled: at every clock read a waiter (any wait loop above) may claim
 *    the gerror word, which holds the time of the next FSTS read and a busy
 *    bit: at most one FSTS read per 20 us across all waiters, and only by a
 *    waiter that has spun 64 times, the lockfree core's policy (its default
 *    fault_poll_ns, its QR_CLOCK_EVERY); one handler at a time. FSTS is an
 *    MMIO read (a VM exit under a vIOMMU), never read per iteration.
 *    cmdq->lock cannot serialize it: the waiters a fault holds up are the
 *    shared holders, so the exclusive lock would never be free.
 *      IQE is SMMUv3's CERROR_ILL, and is handled as skip_err handles it:
 *      the descriptor at IQH (the consumer register) is replaced by a sync,
 *      a wait descriptor whose status write goes to the scratch slot after
 *      the queue, and IQE is cleared (the GERRORN acknowledge). Not in
 *      Linux, the VT-d contract: the submitter of the bad descriptor gets
 *      -EINVAL once its own sync completed, as the lockfree core's does. The
 *      handler counts each skip; a submitter that sees the count move
 *      during its submission looks for the replacement in its own slots.
 *      ITE (a device-TLB invalidation timed out) is CERROR_ATC_INV, which
 *      Linux only acknowledges: its CMD_SYNC is then retried and completes.
 *      A VT-d unit instead discards everything from the timed-out
 *      descriptor through the next wait, whose status is never written, so
 *      that wait's issuer would poll for ever. The handler reads IQH (one
 *      past the discarded wait: IQT only ever lands on a submission's end,
 *      as every owner's range is whole allocations), clears ITE and marks
 *      that wait's word SYNC_ABORTED by cmpxchg from its pending value; its
 *      issuer goes through step 5's unlock as usual and submits again,
 *      once per abort (Linux VT-d's qi_check_fault() and restart).
 *      ICE is cleared.
 *  - Interrupt disabling (local_irq_save) is not modelled; the statistics
 *    (per-thread-sharded submission counts, restarts, cmpxchg retries) are
 *    not in Linux.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cache.h>

#include "variant.h"

#define CMDQ_PROD_OWNED_FLAG	(1u << 31)	/* Q_OVERFLOW_FLAG */
#define BITS_PER_LONG		64u

/* Step 5: the status data of our sync, and the ITE path's mark. */
#define SYNC_DONE		0u
#define SYNC_ABORTED		0xab0du	/* type 0xd: never a pending wait */

#define FAULT_POLL_NS		20000ull	/* the lockfree core's default */
#define GERROR_BUSY		1ull
#define CLOCK_EVERY		64u		/* iterations between clock reads */
#define STAT_SHARDS		16u

/*
 * A VT-d status write lands on the dword at its address: the low half of the
 * sync's qw0, its type and flags, only on a little-endian CPU (as VT-d's).
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian only");

/* struct arm_smmu_ll_queue: prod in the low half (as on little-endian Linux). */
struct arm_smmu_ll_queue {
	union {
		u64 val;
		struct {
			u32 prod;
			u32 cons;
		};
	};
};

struct qr_vring {
	/* struct arm_smmu_ll_queue, padded to its own line as in Linux. */
	_Atomic u64 llq ____cacheline_aligned_in_smp;

	/* Read-mostly: the rest of struct arm_smmu_queue. */
	u8 *base ____cacheline_aligned_in_smp;	/* the queue, then the scratch slot */
	struct qr_dev *dev;		/* prod_reg (IQT) and cons_reg (IQH) */
	u32 max_n_shift;
	u32 mask;			/* (1 << max_n_shift) - 1 */
	u32 shift;			/* log2 of the slot size: 4 or 5 */
	u32 map_shift;			/* log2 of the bits used per valid_map word */
	u64 scratch_dma;		/* status address of skip_err's syncs */
	u64 stall_ns;
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;

	/* struct arm_smmu_cmdq after its queue: one line, as in Linux. */
	_Atomic u64 *valid_map ____cacheline_aligned_in_smp;
	_Atomic u32 owner_prod;
	_Atomic int lock;

	/* Not in Linux: the polled gerror handler, the IQE skip count. */
	_Atomic u64 gerror ____cacheline_aligned_in_smp;	/* next_ns << 1 | BUSY */
	_Atomic u64 skipped;

	/* Not in Linux: statistics. */
	_Atomic u64 restarts ____cacheline_aligned_in_smp;
	_Atomic u64 cas_retries;
	struct {
		_Atomic u64 n;
	} ____cacheline_aligned_in_smp submissions[STAT_SHARDS];
};

/* ---- the llq encoding (Q_IDX, Q_WRP, Q_OVF, queue_inc_prod_n) ---------- */

static inline u32 Q_IDX(const struct qr_vring *r, u32 p)
{
	return p & r->mask;
}

static inline u32 Q_WRP(const struct qr_vring *r, u32 p)
{
	return p & (1u << r->max_n_shift);
}

static inline u32 Q_OVF(u32 p)
{
	return p & CMDQ_PROD_OWNED_FLAG;
}

static bool queue_has_space(const struct qr_vring *r,
			    const struct arm_smmu_ll_queue *q, u32 n)
{
	u32 space, prod = Q_IDX(r, q->prod), cons = Q_IDX(r, q->cons);

	if (Q_WRP(r, q->prod) == Q_WRP(r, q->cons))
		space = (1u << r->max_n_shift) - (prod - cons);
	else
		space = cons - prod;
	return space >= n;
}

/*
 * VT-d: IQH == IQT is empty, so the queue is full when the smallest
 * submission (a lone wait and the gap) does not fit.
 */
static bool queue_full(const struct qr_vring *r, const struct arm_smmu_ll_queue *q)
{
	return !queue_has_space(r, q, 2);
}

static u32 queue_inc_prod_n(const struct qr_vring *r, u32 p, u32 n)
{
	u32 prod = (Q_WRP(r, p) | Q_IDX(r, p)) + n;

	return Q_OVF(p) | Q_WRP(r, prod) | Q_IDX(r, prod);
}

static inline u8 *Q_ENT(const struct qr_vring *r, u32 p)
{
	return r->base + ((size_t)Q_IDX(r, p) << r->shift);
}

/* The first dword of a slot: where its sync's status write lands. */
static inline u32 *sync_word(const struct qr_vring *r, u32 p)
{
	return (u32 *)Q_ENT(r, p);
}

/* A 16-byte slot holds qw0/qw1 only: never write into the next slot. */
static void queue_write(const struct qr_vring *r, u32 p, const struct qiring_desc *d)
{
	/* Fixed sizes, copied inline, as Linux's CMDQ_ENT_DWORDS loop is. */
	if (r->shift == 4)
		memcpy(Q_ENT(r, p), d, 16);
	else
		memcpy(Q_ENT(r, p), d, 32);
}

static u64 llq_read(struct qr_vring *r)
{
	return atomic_load_explicit(&r->llq, memory_order_relaxed);	/* READ_ONCE */
}

/* ---- waiting: queue_poll(), the polled gerror handler, stall reports ---- */

struct queue_poll {
	u64 start;		/* first clock read, 0 before */
	u64 age;		/* with -ETIMEDOUT: how long */
	u32 spins;
};

static void report_stall(struct qr_vring *r, struct qiring_stall *s)
{
	/* Positions are prod words: index and wrap bit. */
	qr_vring_report_stall(r->stall_report, r->stall_arg, "smmuv3", "prod %#llx", s);
}

/*
 * arm_smmu_cmdq_skip_err() for IQE (CERROR_ILL): convert the descriptor the
 * unit stopped on into a sync that writes the scratch slot, then acknowledge.
 * The unit read the bad slot before raising IQE (a release RMW the FSTS read
 * acquired), so rewriting it is no race; clear_fault() is release, so the
 * unit fetches the rewritten slot.
 */
static void arm_smmu_cmdq_skip_err(struct qr_vring *r)
{
	u32 cons = qr_dev_read_head(r->dev);	/* CONS; IQER has it too */
	struct qiring_desc sync = {
		.qw0 = QIRING_IWD_STATUS_DATA(SYNC_DONE) | QIRING_IWD_SW |
		       QIRING_TYPE_IWD,
		.qw1 = r->scratch_dma,
	};

	queue_write(r, cons, &sync);
	/* Not in Linux: the submitter learns of it (-EINVAL). */
	atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
	qr_dev_clear_fault(r->dev, QIRING_FSTS_IQE);	/* writel(GERRORN) */
}

/*
 * ITE (CERROR_ATC_INV): the unit discarded the timed-out descriptor and
 * everything after it through the next wait, and IQH is past that wait.
 * Mark it aborted; its issuer (still in step 5, holding the lock shared, so
 * the slot is not reused) submits again.
 */
static void arm_smmu_cmdq_skip_ite(struct qr_vring *r)
{
	u32 head = qr_dev_read_head(r->dev);
	u32 *word = sync_word(r, head + r->mask);	/* the slot before IQH */
	u32 old = __atomic_load_n(word, __ATOMIC_RELAXED);

	qr_dev_clear_fault(r->dev, QIRING_FSTS_ITE);
	/*
	 * Only a pending sync: one of ours, still reading as we wrote it.
	 * Release, pairing with step 5's acquire: the unit's reads of the
	 * discarded slots (before its FSTS write, which we acquired) happen
	 * before the issuer lets the slots go.
	 */
	if ((old & QIRING_TYPE_MASK) == QIRING_TYPE_IWD && (old & QIRING_IWD_SW))
		__atomic_compare_exchange_n(word, &old, SYNC_ABORTED, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* arm_smmu_gerror_handler(), for the queue's errors. */
static void arm_smmu_gerror_handler(struct qr_vring *r)
{
	u32 fsts = qr_dev_read_fault(r->dev);

	/* Linux VT-d's order: IQE, then ITE, then ICE. */
	if (fsts & QIRING_FSTS_IQE)
		arm_smmu_cmdq_skip_err(r);
	if (fsts & QIRING_FSTS_ITE)
		arm_smmu_cmdq_skip_ite(r);
	if (fsts & QIRING_FSTS_ICE)
		qr_dev_clear_fault(r->dev, QIRING_FSTS_ICE);
}

/*
 * The interrupt, polled: claim the gerror word if the next FSTS read is due
 * and nobody is handling, run the handler, set the next due time. Acquire on
 * the claim, release on the hand-back: one handler at a time, each seeing
 * what the previous one did.
 */
static void gerror_poll(struct qr_vring *r, u64 now)
{
	u64 v = atomic_load_explicit(&r->gerror, memory_order_relaxed);

	if ((v & GERROR_BUSY) || now < v >> 1)
		return;
	if (!atomic_compare_exchange_strong_explicit(&r->gerror, &v, v | GERROR_BUSY,
						     memory_order_acquire,
						     memory_order_relaxed))
		return;
	arm_smmu_gerror_handler(r);
	atomic_store_explicit(&r->gerror, (now + FAULT_POLL_NS) << 1,
			      memory_order_release);
}

/*
 * queue_poll(): one wait-loop iteration. Returns -ETIMEDOUT each time
 * another stall_ns has passed (the caller reports; step 5 gives up).
 */
static int queue_poll(struct qr_vring *r, struct queue_poll *qp)
{
	u64 now;

	qr_dev_relax(r->dev);
	if (++qp->spins % CLOCK_EVERY)
		return 0;
	now = ktime_get_ns();
	gerror_poll(r, now);
	if (!qp->start) {
		qp->start = now;
		return 0;
	}
	if (!r->stall_ns || now - qp->start <= r->stall_ns)
		return 0;
	qp->age = now - qp->start;
	qp->start = now;
	return -ETIMEDOUT;
}

/*
 * A wait loop has waited another stall_ns: report who holds it up, with
 * FSTS. A wait for the device is held by a fault if the unit is stopped on
 * one; a full queue whose IQH is past cons, by a sync waiter that has yet
 * to leave cmdq->lock (nobody could refresh cons).
 */
static __attribute__((noinline, cold)) void
stall(struct qr_vring *r, const struct queue_poll *qp, u32 waiter, u32 blocker,
      enum qiring_blocker kind, bool reserving)
{
	struct qiring_stall s = {
		.waiter_seq = waiter, .blocker_seq = blocker,
		.blocker_slot = Q_IDX(r, blocker), .age_ns = qp->age,
		.blocker = kind, .reserving = reserving,
	};

	s.fault = qr_dev_read_fault(r->dev);
	if (kind == QIRING_BLOCKER_DEVICE) {
		if (s.fault & (QIRING_FSTS_IQE | QIRING_FSTS_ITE))
			s.blocker = QIRING_BLOCKER_FAULT;
		else if (reserving && qr_dev_read_head(r->dev) != s.blocker_slot)
			s.blocker = QIRING_BLOCKER_OWNER_RELEASE;
	}
	report_stall(r, &s);
}

/* ---- cmdq->lock --------------------------------------------------------- */

static void arm_smmu_cmdq_shared_lock(struct qr_vring *r)
{
	struct queue_poll qp = { 0 };

	/* Negative: held exclusive; our increment keeps it from being retaken. */
	if (atomic_fetch_add_explicit(&r->lock, 1, memory_order_relaxed) >= 0)
		return;
	/* atomic_cond_read_relaxed(&cmdq->lock, VAL > 0): a refresh, brief. */
	while (atomic_load_explicit(&r->lock, memory_order_relaxed) <= 0)
		queue_poll(r, &qp);
}

static void arm_smmu_cmdq_shared_unlock(struct qr_vring *r)
{
	atomic_fetch_sub_explicit(&r->lock, 1, memory_order_release);
}

/* Fails if we appear to be the last holder (racy, as in Linux). */
static bool arm_smmu_cmdq_shared_tryunlock(struct qr_vring *r)
{
	if (atomic_load_explicit(&r->lock, memory_order_acquire) == 1)
		return false;
	arm_smmu_cmdq_shared_unlock(r);
	return true;
}

static bool arm_smmu_cmdq_exclusive_trylock(struct qr_vring *r)
{
	int unlocked = 0;

	return atomic_compare_exchange_strong_explicit(&r->lock, &unlocked, INT_MIN,
						       memory_order_acquire,
						       memory_order_relaxed);
}

/* Clears only the sign bit: shared waiters go, nobody re-takes it in a loop. */
static void arm_smmu_cmdq_exclusive_unlock(struct qr_vring *r)
{
	atomic_fetch_and_explicit(&r->lock, INT_MAX, memory_order_release);
}

/* ---- the consumer index ------------------------------------------------- */

/*
 * WRITE_ONCE(cmdq->q.llq.cons, cons), as one release RMW on the whole word
 * that flips only the cons half. Caller: the last shared holder or the
 * exclusive holder, so nobody changes cons meanwhile (see the header).
 */
static void llq_write_cons(struct qr_vring *r, u32 cons)
{
	struct arm_smmu_ll_queue cur = { .val = llq_read(r) }, flip = { 0 };

	flip.cons = cur.cons ^ cons;
	atomic_fetch_xor_explicit(&r->llq, flip.val, memory_order_release);
}

/*
 * WRITE_ONCE(cmdq->q.llq.cons, readl_relaxed(cmdq->q.cons_reg)), exclusive
 * lock held. IQH is an index; its position is the one at most slots - 1
 * behind the shadow prod (read after IQH: shadow cons <= IQH <= published
 * <= prod, prod - cons <= slots - 1).
 */
static void arm_smmu_cmdq_update_cons(struct qr_vring *r)
{
	u32 head = qr_dev_read_head(r->dev);
	struct arm_smmu_ll_queue cur = { .val = llq_read(r) };
	u32 prod = cur.prod & ~CMDQ_PROD_OWNED_FLAG;
	u32 back = (Q_IDX(r, prod) - head) & r->mask;

	llq_write_cons(r, (prod - back) & ((2u << r->max_n_shift) - 1));
}

/* Wait for the command queue to become non-full. */
static int arm_smmu_cmdq_poll_until_not_full(struct qr_vring *r,
					     struct arm_smmu_ll_queue *llq,
					     struct queue_poll *qp)
{
	int ret = 0;

	/*
	 * Only the exclusive holder reads the hardware's consumer index; a
	 * submitter that cannot get the lock waits for the next update.
	 */
	if (arm_smmu_cmdq_exclusive_trylock(r)) {
		arm_smmu_cmdq_update_cons(r);
		arm_smmu_cmdq_exclusive_unlock(r);
		llq->val = llq_read(r);
		return 0;
	}
	do {
		llq->val = llq_read(r);
		if (!queue_full(r, llq))
			break;
		ret = queue_poll(r, qp);
	} while (!ret);
	return ret;
}

/* ---- the valid map ------------------------------------------------------ */

/*
 * Linux's words are BITS_PER_LONG slots; a queue smaller than that (Linux
 * requires 128 entries or more, this project goes down to 4) uses one word
 * of `slots` bits, 1 << map_shift bits per word in general.
 */
static void __arm_smmu_cmdq_poll_set_valid_map(struct qr_vring *r, u32 sprod,
					       u32 eprod, bool set, u32 waiter)
{
	u32 bits = 1u << r->map_shift, prod = sprod;
	u32 ewidx = Q_IDX(r, eprod) >> r->map_shift;
	u32 ebidx = Q_IDX(r, eprod) & (bits - 1);
	struct queue_poll qp = { 0 };

	while (prod != eprod) {
		u32 swidx = Q_IDX(r, prod) >> r->map_shift;
		u32 sbidx = Q_IDX(r, prod) & (bits - 1);
		_Atomic u64 *ptr = &r->valid_map[swidx];
		u32 limit = bits;
		u64 mask;

		if (swidx == ewidx && sbidx < ebidx)
			limit = ebidx;
		/* GENMASK(limit - 1, sbidx) */
		mask = (~0ull >> (BITS_PER_LONG - limit)) & (~0ull << sbidx);

		/*
		 * A slot is valid when its bit differs from its wrap bit:
		 * the zeroed map starts invalid, one toggle per lap.
		 */
		if (set) {
			/* Release: our commands before the mark (dma_wmb()). */
			atomic_fetch_xor_explicit(ptr, mask, memory_order_release);
		} else {
			u64 valid = (Q_WRP(r, prod) ? 0 : ~0ull) & mask;

			/* Acquire: the marked commands, for step 4d. */
			while ((atomic_load_explicit(ptr, memory_order_acquire) &
				mask) != valid)
				if (queue_poll(r, &qp))
					stall(r, &qp, waiter, prod,
					      QIRING_BLOCKER_OWNER_WRITING, false);
		}
		prod = queue_inc_prod_n(r, prod, limit - sbidx);
	}
}

/* Step 3: toggle [sprod, eprod) to this lap's valid value. */
static void arm_smmu_cmdq_set_valid_map(struct qr_vring *r, u32 sprod, u32 eprod)
{
	__arm_smmu_cmdq_poll_set_valid_map(r, sprod, eprod, true, 0);
}

/* Step 4c: spin until [sprod, eprod) all read this lap's valid value. */
static void arm_smmu_cmdq_poll_valid_map(struct qr_vring *r, u32 sprod,
					 u32 eprod)
{
	__arm_smmu_cmdq_poll_set_valid_map(r, sprod, eprod, false, sprod);
}

/* ---- step 5 -------------------------------------------------------------- */

/*
 * Wait until the unit writes our sync's status into its slot (or the ITE
 * path marks it aborted: -EAGAIN, not in Linux). Lock held shared.
 */
static int __arm_smmu_cmdq_poll_until_msi(struct qr_vring *r,
					  struct arm_smmu_ll_queue *llq)
{
	u32 *cmd = sync_word(r, llq->prod);
	struct queue_poll qp = { 0 };
	int ret = 0;
	u32 v;

	/* smp_cond_load_relaxed(cmd, !VAL || (ret = queue_poll(&qp))) */
	for (;;) {
		v = __atomic_load_n(cmd, __ATOMIC_ACQUIRE);
		if (v == SYNC_DONE)
			break;
		if (v == SYNC_ABORTED) {
			ret = -EAGAIN;
			break;
		}
		ret = queue_poll(r, &qp);
		if (ret) {
			/* "CMD_SYNC timeout" */
			stall(r, &qp, llq->prod, llq->prod, QIRING_BLOCKER_DEVICE,
			      false);
			break;
		}
	}
	/* Linux: ret ? llq->prod : queue_inc_prod_n(llq, 1); see the header. */
	llq->cons = llq->prod;
	return ret;
}

/* Not in Linux: did skip_err replace one of our descriptors? (-EINVAL) */
static bool arm_smmu_cmdq_was_skipped(struct qr_vring *r, u32 prod, u32 n)
{
	struct qiring_desc d = { 0 };
	u32 i;

	for (i = 0; i < n; i++) {
		memcpy(&d, Q_ENT(r, queue_inc_prod_n(r, prod, i)), 16);
		if ((d.qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD &&
		    d.qw1 == r->scratch_dma)
			return true;
	}
	return false;
}

/* ---- arm_smmu_cmdq_issue_cmdlist() ----------------------------------------- */

static void count_submission(struct qr_vring *r)
{
	static _Atomic unsigned int next_shard;
	static __thread unsigned int shard = UINT_MAX;

	if (shard == UINT_MAX)
		shard = atomic_fetch_add_explicit(&next_shard, 1,
						  memory_order_relaxed) % STAT_SHARDS;
	atomic_fetch_add_explicit(&r->submissions[shard].n, 1, memory_order_relaxed);
}

static int arm_smmu_cmdq_issue_cmdlist(struct qr_vring *r,
				       const struct qiring_desc *cmds,
				       unsigned int n, unsigned long options)
{
	const struct arm_smmu_ll_queue owned = { .prod = CMDQ_PROD_OWNED_FLAG };
	struct arm_smmu_ll_queue llq, head;
	struct qiring_desc cmd_sync = { 0 };
	struct queue_poll qp;
	u64 retries = 0, skipped;
	u32 start, prod, i;
	bool owner;
	int ret;

restart:
	/* 1. Allocate: n commands, the sync, and the VT-d gap. */
	memset(&qp, 0, sizeof(qp));
	llq.val = llq_read(r);
	for (;;) {
		u64 old;

		while (!queue_has_space(r, &llq, n + 2)) {
			if (arm_smmu_cmdq_poll_until_not_full(r, &llq, &qp) ||
			    (!queue_has_space(r, &llq, n + 2) &&
			     queue_poll(r, &qp)))
				/* "CMDQ timeout": report, keep waiting. */
				stall(r, &qp, llq.prod & ~CMDQ_PROD_OWNED_FLAG,
				      llq.cons, QIRING_BLOCKER_DEVICE, true);
		}

		head.cons = llq.cons;
		head.prod = queue_inc_prod_n(r, llq.prod, n + 1) |
			    CMDQ_PROD_OWNED_FLAG;

		/* Acquire (Linux: relaxed, dependency ordering): see header. */
		old = llq.val;
		if (atomic_compare_exchange_strong_explicit(&r->llq, &old, head.val,
							    memory_order_acquire,
							    memory_order_relaxed))
			break;
		retries++;
		llq.val = old;
	}
	owner = !(llq.prod & CMDQ_PROD_OWNED_FLAG);
	head.prod &= ~CMDQ_PROD_OWNED_FLAG;
	llq.prod &= ~CMDQ_PROD_OWNED_FLAG;
	start = llq.prod;
	skipped = atomic_load_explicit(&r->skipped, memory_order_relaxed);

	/* 2. The commands, then the sync. */
	for (i = 0; i < n; i++)
		queue_write(r, queue_inc_prod_n(r, llq.prod, i), &cmds[i]);
	prod = queue_inc_prod_n(r, llq.prod, n);
	/* arm_smmu_cmdq_build_sync_cmd(): the MSI goes into its own slot. */
	cmd_sync.qw0 = QIRING_IWD_STATUS_DATA(SYNC_DONE) | QIRING_IWD_SW |
		       QIRING_TYPE_IWD;
	if (options & QIRING_OPT_WAIT_DRAIN)
		cmd_sync.qw0 |= QIRING_IWD_PRQ_DRAIN;
	cmd_sync.qw1 = (u64)(uintptr_t)sync_word(r, prod);
	queue_write(r, prod, &cmd_sync);
	/*
	 * Held shared from before our slots are valid until our sync is seen:
	 * nobody can move cons past our sync meanwhile, so our slot is not
	 * reused (the queue does not lap us) before we read its completion.
	 */
	arm_smmu_cmdq_shared_lock(r);

	/* 3. Mark the slots valid (release: the commands come first). */
	arm_smmu_cmdq_set_valid_map(r, llq.prod, head.prod);

	/* 4. The owner publishes everything gathered behind it. */
	if (owner) {
		struct queue_poll qp4 = { 0 };

		/* a. Until owner_prod reaches our first slot. */
		while (atomic_load_explicit(&r->owner_prod, memory_order_acquire) !=
		       llq.prod) {
			if (queue_poll(r, &qp4))
				stall(r, &qp4, llq.prod,
				      atomic_load_explicit(&r->owner_prod,
							   memory_order_relaxed),
				      QIRING_BLOCKER_OWNER_WRITING, false);
		}

		/* b. Clear OWNED; the old prod ends the range we publish. */
		head.val = atomic_fetch_and_explicit(&r->llq, ~owned.val,
						     memory_order_relaxed);
		prod = head.prod & ~CMDQ_PROD_OWNED_FLAG;

		/*
		 * c. Every gathered slot valid; our own included, which gives
		 * the ordering (acquire, here) the register write of d needs.
		 */
		arm_smmu_cmdq_poll_valid_map(r, llq.prod, prod);

		/* d. Advance the hardware prod pointer: IQT, once for all. */
		qr_dev_write_tail(r->dev, Q_IDX(r, prod));

		/*
		 * e. After the register write, so that owners write IQT in
		 * order and it never moves backwards.
		 */
		atomic_store_explicit(&r->owner_prod, prod, memory_order_release);
	}

	/* 5. Every submission carries a sync: wait for ours. */
	llq.prod = queue_inc_prod_n(r, llq.prod, n);
	ret = __arm_smmu_cmdq_poll_until_msi(r, &llq);

	/*
	 * Not in Linux: -EINVAL if skip_err replaced one of ours. Before we
	 * unlock: once we are out, our slots may be reused.
	 */
	if (!ret && atomic_load_explicit(&r->skipped, memory_order_relaxed) != skipped &&
	    arm_smmu_cmdq_was_skipped(r, start, n))
		ret = -EINVAL;

	/*
	 * Leave the lock. If we seem to be the only holder left, first store
	 * our consumer index: no other sync is in flight to be overtaken.
	 */
	if (!arm_smmu_cmdq_shared_tryunlock(r)) {
		llq_write_cons(r, llq.cons);
		arm_smmu_cmdq_shared_unlock(r);
	}

	if (ret == -EAGAIN) {		/* ITE: submit again (not in Linux) */
		atomic_fetch_add_explicit(&r->restarts, 1, memory_order_relaxed);
		goto restart;
	}
	if (retries)
		atomic_fetch_add_explicit(&r->cas_retries, retries,
					  memory_order_relaxed);
	return ret;
}

/* ---- the variant interface ---------------------------------------------- */

static int smmu_submit(struct qr_vring *r, const struct qiring_desc *desc,
		       unsigned int count, unsigned long options)
{
	int ret = -EINVAL;

	/* Linux's batches are bounded by construction; ours by the caller. */
	if (count <= r->mask - 1 && (!count || desc))
		ret = arm_smmu_cmdq_issue_cmdlist(r, desc, count, options);
	count_submission(r);
	return ret;
}

/*
 * What a submitter that finds the queue full does first: refresh cons from
 * the hardware, if it gets the lock exclusively.
 */
static unsigned int smmu_reclaim(struct qr_vring *r)
{
	struct arm_smmu_ll_queue before, after;
	u32 moved;

	if (!arm_smmu_cmdq_exclusive_trylock(r))
		return 0;
	before.val = llq_read(r);
	arm_smmu_cmdq_update_cons(r);
	after.val = llq_read(r);
	arm_smmu_cmdq_exclusive_unlock(r);
	moved = (after.cons - before.cons) & ((2u << r->max_n_shift) - 1);
	return moved <= r->mask ? moved : 0;
}

static unsigned int smmu_free_slots(struct qr_vring *r)
{
	struct arm_smmu_ll_queue q;
	u32 prod, cons;

	smmu_reclaim(r);
	q.val = llq_read(r);
	prod = Q_IDX(r, q.prod);
	cons = Q_IDX(r, q.cons);
	if (Q_WRP(r, q.prod) == Q_WRP(r, q.cons))
		return (1u << r->max_n_shift) - (prod - cons);
	return cons - prod;
}

static void smmu_counters(struct qr_vring *r, struct qr_vcounters *c)
{
	struct qr_dev_counters d;
	unsigned int i;

	qr_dev_get_counters(r->dev, &d);
	c->submissions = 0;
	for (i = 0; i < STAT_SHARDS; i++)
		c->submissions += atomic_load_explicit(&r->submissions[i].n,
						       memory_order_relaxed);
	c->tail_writes = d.tail_writes;
	c->fault_reads = d.fault_reads;
	c->restarts = atomic_load_explicit(&r->restarts, memory_order_relaxed);
	c->cas_retries = atomic_load_explicit(&r->cas_retries, memory_order_relaxed);
}

static void smmu_destroy(struct qr_vring *r)
{
	if (!r)
		return;
	/*
	 * Take the queue away from the device first (IQA): a device thread
	 * still working through what a timed-out submission left must not
	 * touch memory freed below.
	 */
	if (r->dev && r->base)
		qr_dev_set_queue(r->dev, NULL, 0, 0, NULL, 0);
	free(r->base);
	free((void *)r->valid_map);
	free(r);
}

/* arm_smmu_init_one_queue() and arm_smmu_cmdq_init(), for one queue. */
static struct qr_vring *smmu_create(const struct qr_vring_config *cfg)
{
	struct qr_vring *r;
	size_t bytes, words;
	u32 i;

	if (!cfg || !cfg->dev || cfg->slots < QIRING_MIN_SLOTS ||
	    cfg->slots > QIRING_MAX_SLOTS || (cfg->slots & (cfg->slots - 1)) ||
	    (cfg->desc_size != 16 && cfg->desc_size != 32))
		return NULL;
	if (posix_memalign((void **)&r, SMP_CACHE_BYTES, sizeof(*r)))
		return NULL;
	memset(r, 0, sizeof(*r));
	r->max_n_shift = (u32)__builtin_ctz(cfg->slots);
	r->mask = cfg->slots - 1;
	r->shift = cfg->desc_size == 32 ? 5 : 4;
	r->map_shift = r->max_n_shift < 6 ? r->max_n_shift : 6;
	words = cfg->slots >> r->map_shift;

	/* The queue and one scratch slot after it (skip_err's status). */
	bytes = (size_t)(cfg->slots + 1) << r->shift;
	r->base = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	r->valid_map = aligned_alloc(SMP_CACHE_BYTES,
				     (words * sizeof(u64) + SMP_CACHE_BYTES - 1) &
				     ~(size_t)(SMP_CACHE_BYTES - 1));
	if (!r->base || !r->valid_map) {
		free(r->base);
		free((void *)r->valid_map);
		free(r);
		return NULL;
	}
	memset(r->base, 0, bytes);
	for (i = 0; i < words; i++)
		atomic_init(&r->valid_map[i], 0);
	r->scratch_dma = (u64)(uintptr_t)(r->base + ((size_t)cfg->slots << r->shift));
	r->dev = cfg->dev;
	r->stall_ns = cfg->stall_ns;
	r->stall_report = cfg->stall_report;
	r->stall_arg = cfg->stall_arg;
	atomic_init(&r->llq, 0);
	atomic_init(&r->owner_prod, 0);
	atomic_init(&r->lock, 0);
	atomic_init(&r->gerror, 0);
	atomic_init(&r->skipped, 0);
	atomic_init(&r->restarts, 0);
	atomic_init(&r->cas_retries, 0);
	for (i = 0; i < STAT_SHARDS; i++)
		atomic_init(&r->submissions[i].n, 0);
	/* IQA: every sync writes into its own slot, so the queue is status memory. */
	qr_dev_set_queue(cfg->dev, r->base, cfg->slots, cfg->desc_size,
			 (u32 *)r->base, (u32)(bytes / sizeof(u32)));
	return r;
}

const struct qr_variant qr_variant_smmuv3 = {
	.name = "smmuv3",
	.create = smmu_create,
	.destroy = smmu_destroy,
	.submit = smmu_submit,
	.reclaim = smmu_reclaim,
	.free_slots = smmu_free_slots,
	.counters = smmu_counters,
};
