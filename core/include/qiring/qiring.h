/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring - a lock-free multi-producer ring for Intel VT-d queued invalidation
 * (QI) descriptors, with completions.
 *
 * Submitters reserve slots with a cmpxchg, write their descriptors without a
 * lock, and publish them to the invalidation queue tail register (IQT) in
 * ring order; one IQT write may publish many submitters' descriptors (a
 * coalesced doorbell). Every submission ends in an invalidation wait
 * descriptor whose status write carries the slot's lap, so a waiter never
 * mistakes a stale value for its own completion. Owners free their own
 * slots; anyone may reclaim freed slots. Queue faults (IQE, ITE, ICE: VT-d
 * spec 6.5.2.10) are handled on a serialized slow path with the semantics of
 * Linux's qi_check_fault(). qiring.c describes the protocol.
 *
 * Concurrency contract (Y: may run concurrently on one ring, from any number
 * of CPUs; -: the caller must exclude)
 *
 *                    submit  reserve/write/  reclaim  free_slots  init  enable/
 *                    _sync   publish/poll/            /stats             disable/
 *                            release                                     destroy
 *   submit_sync        Y        Y              Y         Y         -       Y
 *   split API          Y        Y (1)          Y         Y         -       Y (2)
 *   reclaim            Y        Y              Y         Y         -       Y
 *   free_slots/stats   Y        Y              Y         Y         -       Y
 *   enable/disable/    Y        Y (2)          Y         Y         -       -
 *   destroy
 *
 *   (1) one ticket belongs to one thread at a time; different tickets are
 *       independent.
 *   (2) a ticket reserved before disable may still be written, published,
 *       waited for and released; disable reports -EBUSY until it is.
 *
 * Context: every entry point except qiring_init(), qiring_disable() and
 * qiring_destroy() may be called with interrupts disabled, and in the kernel
 * submitters must call them so (as qi_submit_sync() does): an interrupt
 * handler must never submit into a ring its own CPU is waiting on. They never
 * sleep and never allocate; the memory is the embedder's.
 */
#ifndef _QIRING_H_
#define _QIRING_H_

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

/* Ring geometry limits. VT-d needs at least one 4 KiB page of queue. */
#define QIRING_MIN_SLOTS	4u
#define QIRING_MAX_SLOTS	32768u
#define QIRING_DEFAULT_SLOTS	256u

/* FSTS queue fault bits (VT-d spec 11.4.9.2, Fault Status Register). */
#define QIRING_FSTS_IQE		0x10u
#define QIRING_FSTS_ICE		0x20u
#define QIRING_FSTS_ITE		0x40u

/* Descriptor fields the core builds or inspects (VT-d spec 6.5.2). */
#define QIRING_TYPE_MASK	0xfull
#define QIRING_TYPE_DIOTLB	0x3ull
#define QIRING_TYPE_IWD		0x5ull
#define QIRING_TYPE_DEIOTLB	0x8ull
#define QIRING_IWD_SW		0x20ull	/* status write */
#define QIRING_IWD_FENCE	0x40ull
#define QIRING_IWD_PRQ_DRAIN	0x80ull
#define QIRING_IWD_STATUS_DATA(d)	((u64)(d) << 32)

/* qiring_submit_sync() options, as Linux's QI_OPT_* */
#define QIRING_OPT_WAIT_DRAIN	0x1ul

/*
 * Status words: one 32-bit word per slot, the slot's state tagged with the
 * lap of the ring position using it, (lap << QIRING_STATE_BITS) | state. The
 * wait descriptor's status data is QIRING_DONE for its own position, so the
 * hardware's status write is the completion and can never be confused with a
 * value from another lap (hazards H1, H4 in qiring.c).
 */
enum qiring_slot_state {
	QIRING_FREE = 0,	/* released by its owner in this lap */
	QIRING_DESC = 1,	/* descriptor written, owner waiting */
	QIRING_WAIT = 2,	/* wait descriptor written, owner waiting */
	QIRING_DONE = 3,	/* the hardware's status write: complete */
	QIRING_ABORT = 4,	/* fault path: wait aborted by an ITE */
	QIRING_BAD = 5,		/* fault path: descriptor flagged by IQE */
	QIRING_GONE = 6,	/* fault path: wait aborted by an ITE whose device is gone */
};

#define QIRING_STATE_BITS	3
#define QIRING_STATE_MASK	((1u << QIRING_STATE_BITS) - 1)

/**
 * qiring_status_word() - the status word of a ring position in a given state
 * @pos: ring position (a 64-bit sequence number, never wraps)
 * @order: log2 of the number of slots
 * @state: one of enum qiring_slot_state
 *
 * Return: (lap << QIRING_STATE_BITS) | state, with lap = @pos >> @order
 * truncated to 29 bits.
 */
static inline u32 qiring_status_word(u64 pos, unsigned int order, u32 state)
{
	return (u32)((pos >> order) << QIRING_STATE_BITS) | state;
}

/* A descriptor, laid out like Linux's struct qi_desc. 16-byte rings use qw0/qw1. */
struct qiring_desc {
	u64 qw0;
	u64 qw1;
	u64 qw2;
	u64 qw3;
};

/**
 * struct qiring_hw_ops - the remapping unit's queue registers
 * @write_tail: IQT := @index. Called only by the doorbell lease holder,
 *	with strictly increasing positions, so IQT never moves backward (H2).
 *	Every descriptor below the new tail is fully written and those writes
 *	happen before the call; the embedder's MMIO write must keep them
 *	before the register write (writel() does).
 * @read_head: IQH.
 * @read_fault: FSTS & (IQE | ITE | ICE).
 * @clear_fault: write 1 to clear the given FSTS bits.
 * @relax: called once per wait-loop iteration; NULL means cpu_relax(). A
 *	userspace device model may use it to make progress.
 * @ite_target_gone: optional. Asked once per ITE by the fault handler,
 *	while ITE is still set (the IQER ITE source-id is valid only then:
 *	VT-d spec 11.4.9.9): true when the device whose device-TLB
 *	invalidation timed out is no longer present (Linux 6.12
 *	qi_check_fault(): device_rbtree_find(), pci_device_is_present()). The
 *	submissions that ITE aborted then end with -ETIMEDOUT instead of
 *	being resubmitted, if they carry a device-TLB invalidation; the others
 *	are resubmitted as after any ITE. NULL: every aborted submission is
 *	resubmitted (Linux 6.1).
 *
 * Register values are slot indices (0 .. slots - 1); the embedder shifts
 * them into byte offsets. The tail write is the only indirect call on the
 * submission path, next to an MMIO write.
 */
struct qiring_hw_ops {
	void (*write_tail)(void *hw, u32 index);
	u32 (*read_head)(void *hw);
	u32 (*read_fault)(void *hw);
	void (*clear_fault)(void *hw, u32 bits);
	void (*relax)(void *hw);
	bool (*ite_target_gone)(void *hw);
};

/* Who a stalled waiter is waiting for. */
enum qiring_blocker {
	QIRING_BLOCKER_OWNER_WRITING,	/* reserved, not yet written and published by its owner */
	QIRING_BLOCKER_DEVICE,		/* published, not yet completed by the hardware */
	QIRING_BLOCKER_OWNER_RELEASE,	/* completed, not yet released by its owner */
	QIRING_BLOCKER_FAULT,		/* the hardware is stopped on a fault nobody cleared */
};

/**
 * struct qiring_stall - a stall report: a waiter and the slot holding it up
 * @waiter_seq: ring position the waiter waits on
 * @blocker_seq: ring position of the blocking slot
 * @blocker_slot: @blocker_seq modulo the number of slots
 * @fault: FSTS at report time (%QIRING_BLOCKER_FAULT)
 * @age_ns: how long the waiter has been waiting, in nanoseconds
 * @blocker: who holds the blocking slot
 * @reserving: the waiter waits for free slots, not for a completion
 */
struct qiring_stall {
	u64 waiter_seq;
	u64 blocker_seq;
	u32 blocker_slot;
	u32 fault;
	u64 age_ns;
	enum qiring_blocker blocker;
	bool reserving;
};

/**
 * struct qiring_config - what qiring_init() needs
 * @slots: number of slots, a power of two in QIRING_MIN_SLOTS ..
 *	QIRING_MAX_SLOTS (Linux: QI_LENGTH, 256)
 * @desc_size: 16, or 32 in scalable mode (1 << qi_shift())
 * @desc: the queue, @slots * @desc_size bytes, as programmed in IQA
 * @status: qiring_status_words(@slots) 32-bit words, 4-byte aligned,
 *	zeroed or not: the ring writes them
 * @status_dma: bus address of @status[0], as the hardware writes it
 * @ops: the unit's registers
 * @hw: first argument of every @ops call
 * @fault_poll_ns: a waiter reads FSTS only once it has waited this long, and
 *	at most one waiter per interval across the ring (0: 100 us)
 * @stall_ns: report a waiter held longer than this (0: 1 s)
 * @stall_report: called with a report, from the waiter's context (may be NULL)
 * @stall_arg: first argument of @stall_report
 */
struct qiring_config {
	u32 slots;
	u32 desc_size;
	void *desc;
	u32 *status;
	u64 status_dma;
	const struct qiring_hw_ops *ops;
	void *hw;
	u64 fault_poll_ns;
	u64 stall_ns;
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;
};

/**
 * struct qiring_stats - counters, read with qiring_get_stats()
 * @submissions: wait descriptors published (restarts count again)
 * @tail_writes: IQT writes
 * @max_batch: the most submissions one IQT write published
 * @fault_reads: FSTS reads
 * @restarts: submissions restarted after an ITE abort
 * @cas_retries: failed reservation and reclaim compare-and-swaps
 * @iqe: IQE faults handled
 * @ite: ITE faults handled
 * @ice: ICE faults cleared
 * @stalls: stall reports issued
 * @orphans: submissions whose owner's deadline passed while in flight
 */
struct qiring_stats {
	u64 submissions;
	u64 tail_writes;
	u64 max_batch;
	u64 fault_reads;
	u64 restarts;
	u64 cas_retries;
	u64 iqe;
	u64 ite;
	u64 ice;
	u64 stalls;
	u64 orphans;
};

/**
 * struct qiring_ticket - a reservation: @count descriptor slots and a wait slot
 * @pos: ring position of the first slot
 * @count: descriptors, not counting the wait
 */
struct qiring_ticket {
	u64 pos;
	u32 count;
};

/*
 * The ring. Fields are private; the struct is public only so the embedder
 * can place it. Words written by different parties sit on their own cache
 * lines.
 */
struct qiring {
	atomic64_t prod ____cacheline_aligned_in_smp;	/* allocation frontier */

	atomic64_t tail ____cacheline_aligned_in_smp;	/* published << 1 | LEASE */
	atomic64_t claim_from;				/* first position of the last claim */
	atomic64_t tail_writes;				/* lease holder only */
	atomic64_t max_batch;				/* ditto */
	atomic64_t submissions;				/* ditto */

	atomic64_t cons ____cacheline_aligned_in_smp;	/* reclaim frontier */

	raw_spinlock_t fault_lock ____cacheline_aligned_in_smp;
	atomic64_t fault_next_ns;			/* earliest next FSTS poll */
	atomic64_t fault_reads;
	atomic64_t restarts;
	atomic64_t cas_retries;
	atomic64_t ite, ice, stalls, orphans;

	/*
	 * Read-mostly: iqe is read by every submission and written by the
	 * IQE handler only; base by qiring_enable() only.
	 */
	atomic64_t iqe ____cacheline_aligned_in_smp;
	atomic64_t base;				/* first position of the epoch */
	u32 order;
	u32 mask;
	u32 reclaim_shift;
	u32 desc_shift;
	void *desc;
	u32 *status;
	u64 status_dma;
	const struct qiring_hw_ops *ops;
	void *hw;
	u64 fault_poll_ns;
	u64 stall_ns;
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;
	u32 enabled;		/* written by enable/disable/destroy only */
	u32 slots;
};

/**
 * qiring_status_words() - status words the embedder provides for a ring
 * @slots: number of slots
 *
 * Return: 2 * @slots + 1: one status word per slot (the hardware writes
 * them, at status_dma), a scratch word that the IQE handler's replacement
 * descriptor writes, and one orphan word per slot (software only).
 */
static inline u32 qiring_status_words(u32 slots)
{
	return 2 * slots + 1;
}

int qiring_init(struct qiring *r, const struct qiring_config *cfg);
int qiring_disable(struct qiring *r);
int qiring_disable_nowait(struct qiring *r);
int qiring_enable(struct qiring *r);
int qiring_destroy(struct qiring *r);

int qiring_submit_sync(struct qiring *r, const struct qiring_desc *desc,
		       unsigned int count, unsigned long options);
int qiring_submit_timeout(struct qiring *r, const struct qiring_desc *desc,
			  unsigned int count, unsigned long options,
			  u64 timeout_ns);

int qiring_reserve(struct qiring *r, unsigned int count, struct qiring_ticket *t);
int qiring_write(struct qiring *r, const struct qiring_ticket *t, unsigned int i,
		 const struct qiring_desc *d);
int qiring_publish(struct qiring *r, const struct qiring_ticket *t,
		   unsigned long options);
int qiring_poll(struct qiring *r, const struct qiring_ticket *t);
int qiring_wait(struct qiring *r, const struct qiring_ticket *t);
int qiring_wait_timeout(struct qiring *r, const struct qiring_ticket *t,
			u64 timeout_ns);
int qiring_release(struct qiring *r, const struct qiring_ticket *t);

unsigned int qiring_reclaim(struct qiring *r);
unsigned int qiring_free_slots(struct qiring *r);
void qiring_get_stats(const struct qiring *r, struct qiring_stats *out);
u32 qiring_check_faults(struct qiring *r);

#endif /* _QIRING_H_ */
