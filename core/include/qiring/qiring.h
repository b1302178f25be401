/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring - a lock-free multi-producer ring for Intel VT-d queued
 * invalidation (QI) descriptors, with completions.
 *
 * Submitters reserve slots with a compare-and-swap, write their descriptors
 * without a lock, and publish them to the hardware tail register (IQT) in
 * ring order. One tail write may publish many submitters' descriptors (a
 * coalesced doorbell). Every submission ends in an invalidation wait
 * descriptor whose status write carries the slot's lap, so a waiter can never
 * mistake a stale value for its own completion. Owners free their own slots;
 * anyone may reclaim freed slots. Hardware faults (IQE, ITE, ICE) are handled
 * on a serialized slow path with the semantics of Linux's qi_check_fault().
 *
 * Concurrency contract (Y: may run concurrently on one ring, from any number
 * of threads; -: caller must exclude)
 *
 *                    submit  reserve/write/  reclaim  free_slots  init  enable/
 *                    _sync   publish/poll/            /stats             disable/
 *                            release                                     destroy
 *   submit_sync        Y        Y              Y         Y         -       Y
 *   split API          Y        Y (*)          Y         Y         -       Y (**)
 *   reclaim            Y        Y              Y         Y         -       Y
 *   free_slots/stats   Y        Y              Y         Y         -       Y
 *   enable/disable/    Y        Y (**)         Y         Y         -       -
 *   destroy
 *
 *   (*)  one ticket belongs to one thread at a time; different tickets are
 *        independent.
 *   (**) a ticket reserved before disable may still be written, published,
 *        waited for and released; disable reports -EBUSY until it is.
 *
 * Lifecycle: init leaves the ring enabled. disable (and destroy) refuse new
 * submissions with -ENODEV and wait, with an RCU grace period, for every
 * submitter already inside the ring to leave; nothing on the submission
 * path takes a lock for it. enable restarts a disabled ring from position 0,
 * as the hardware restarts from IQH = IQT = 0 after the queue is re-enabled
 * (dmar_reenable_qi). Calls to enable/disable/destroy must not overlap each
 * other.

 * Memory is the embedder's: the core never allocates. In the kernel all entry
 * points must run with interrupts disabled (see shim/), so that an interrupt
 * handler can never submit into a ring its own CPU is waiting on.
 */
#ifndef QIRING_QIRING_H
#define QIRING_QIRING_H

#include "port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ring geometry limits. VT-d hardware needs at least one 4 KiB page. */
#define QIRING_MIN_SLOTS	4u
#define QIRING_MAX_SLOTS	32768u
#define QIRING_DEFAULT_SLOTS	256u

/* FSTS bits (VT-d spec, Fault Status Register). */
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

/* submit options, as Linux's QI_OPT_* */
#define QIRING_OPT_WAIT_DRAIN	0x1ul

/* A descriptor, laid out like Linux's struct qi_desc. 16-byte rings use qw0/qw1. */
struct qiring_desc {
	u64 qw0;
	u64 qw1;
	u64 qw2;
	u64 qw3;
};

/*
 * What the embedder provides: the unit's registers. Register values are slot
 * indices (0 .. slots-1); the embedder shifts them into byte offsets.
 *
 * write_tail  IQT := index. Called only by the doorbell lease holder, with
 *             strictly increasing positions, so never backwards (H2). Every
 *             descriptor below the new tail is fully written, and those
 *             writes happen-before this call.
 * read_head   IQH.
 * read_fault  FSTS & (IQE | ITE | ICE).
 * clear_fault write 1 to clear the given FSTS bits.
 * relax       called once per wait-loop iteration; NULL means cpu_relax().
 *             A userspace device model may use it to make progress.
 *
 * The tail write is one indirect call per doorbell, next to an MMIO write;
 * nothing on the submission path makes any other indirect call.
 */
struct qiring_hw_ops {
	void (*write_tail)(void *hw, u32 index);
	u32 (*read_head)(void *hw);
	u32 (*read_fault)(void *hw);
	void (*clear_fault)(void *hw, u32 bits);
	void (*relax)(void *hw);
};

/* Who a stalled waiter is waiting for. */
enum qiring_blocker {
	QIRING_BLOCKER_OWNER_WRITING,	/* reserved, not yet written and published by its owner */
	QIRING_BLOCKER_DEVICE,		/* published, not yet completed by the hardware */
	QIRING_BLOCKER_OWNER_RELEASE,	/* completed, not yet released by its owner */
	QIRING_BLOCKER_FAULT,		/* the hardware is stopped on a fault nobody cleared */
};

/* A stall report: the waiter's position and the blocking slot. */
struct qiring_stall {
	u64 waiter_seq;		/* ring position the waiter waits on */
	u64 blocker_seq;	/* ring position of the blocking slot */
	u32 blocker_slot;	/* blocker_seq % slots */
	u32 fault;		/* FSTS at report time (QIRING_BLOCKER_FAULT) */
	u64 age_ns;		/* how long this waiter has been held by this blocker */
	enum qiring_blocker blocker;
	bool reserving;		/* waiting for free slots, not for completion */
};

struct qiring_config {
	u32 slots;		/* power of two, QIRING_MIN_SLOTS .. QIRING_MAX_SLOTS */
	u32 desc_size;		/* 16, or 32 in scalable mode */
	void *desc;		/* slots * desc_size bytes */
	qr_atomic32_t *status;	/* qiring_status_words(slots) words, 4-byte aligned */
	u64 status_dma;		/* bus address of status[0], as the device writes it */
	const struct qiring_hw_ops *ops;
	void *hw;
	/* 0 = defaults below */
	u64 fault_poll_ns;	/* min interval between FSTS reads by waiters (20 us) */
	u64 stall_ns;		/* report a waiter held longer than this (1 s) */
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;
};

struct qiring_stats {
	u64 submissions;	/* wait descriptors published (restarts count again) */
	u64 tail_writes;	/* IQT writes */
	u64 fault_reads;	/* FSTS reads */
	u64 restarts;		/* submissions restarted after an ITE abort */
	u64 cas_retries;	/* failed reservation / reclaim compare-and-swaps */
	u64 iqe;		/* IQE faults handled */
	u64 ite;		/* ITE faults handled */
	u64 ice;		/* ICE faults cleared */
	u64 stalls;		/* stall reports issued */
};

/* A reservation: count descriptor slots followed by one wait slot. */
struct qiring_ticket {
	u64 pos;		/* ring position of the first slot */
	u32 count;		/* descriptors, not counting the wait */
};

/*
 * The ring. Fields are private; the struct is public only so the embedder
 * can place it. Hot words sit on their own cache lines.
 */
struct qiring {
	qr_atomic64_t prod QR_CACHELINE_ALIGNED;	/* allocation frontier */

	qr_atomic64_t tail QR_CACHELINE_ALIGNED;	/* published << 1 | LEASE */
	qr_atomic64_t tail_writes;			/* written by the lease holder only */
	qr_atomic64_t submissions;			/* ditto */

	qr_atomic64_t cons QR_CACHELINE_ALIGNED;	/* reclaim frontier */

	qr_atomic32_t fault_lock QR_CACHELINE_ALIGNED;
	qr_atomic64_t fault_next_ns;			/* earliest next FSTS poll */
	qr_atomic64_t fault_reads;
	qr_atomic64_t restarts;
	qr_atomic64_t cas_retries;
	qr_atomic64_t iqe, ite, ice, stalls;
	/* read-mostly after init */
	u32 order QR_CACHELINE_ALIGNED;
	u32 mask;
	u32 desc_shift;
	u8 *desc;
	qr_atomic32_t *status;
	u64 status_dma;
	const struct qiring_hw_ops *ops;
	void *hw;
	u64 fault_poll_ns;
	u64 stall_ns;
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;
	qr_atomic32_t enabled;	/* written by enable/disable only */
	u32 slots;
};

/* Status words the embedder must provide: one per slot plus a scratch word. */
static inline u32 qiring_status_words(u32 slots)
{
	return slots + 1;
}

/* 0, or -EINVAL for a bad geometry or missing memory/ops. The ring starts enabled. */
int qiring_init(struct qiring *r, const struct qiring_config *cfg);

/*
 * Stop accepting submissions (they get -ENODEV) and wait for every submitter
 * inside the ring to leave (an RCU grace period; may sleep in the kernel).
 * 0: the ring is quiescent, every slot released: the embedder may stop the
 * hardware. -EBUSY: split-API tickets reserved before the call are not yet
 * released; the ring stays disabled, call again once they are. Waits for the
 * hardware to complete in-flight submissions, so it needs a running unit.
 */
int qiring_disable(struct qiring *r);

/*
 * qiring_disable() without the grace period, for callers that exclude
 * submitters by other means: the kernel's suspend/resume path runs on one
 * CPU with interrupts off (dmar_reenable_qi), where it cannot sleep. 0 when
 * every slot is released, else -EBUSY (someone is still inside: a caller
 * bug). Never sleeps.
 */
int qiring_disable_nowait(struct qiring *r);

/*
 * Restart a disabled ring from position 0 with every slot free. The embedder
 * resets the unit first (IQH = IQT = 0). -EBUSY if the ring is enabled.
 */
int qiring_enable(struct qiring *r);

/*
 * qiring_disable(), after which the ring's memory (struct qiring,
 * descriptors, status words) may be freed once no thread can still call in.
 * Late callers that might still reach the struct must be excluded by the
 * embedder; those that do before it is freed get -ENODEV.
 */
int qiring_destroy(struct qiring *r);

/*
 * Linux qi_submit_sync() semantics: write count descriptors and a wait
 * descriptor, publish them, wait for the hardware's status write. count == 0
 * is a lone wait (a drain). Restarts internally after an ITE abort.
 * Returns 0, -EINVAL when the hardware flagged one of this submission's
 * descriptors invalid (IQE) or for bad arguments (count > slots - 2,
 * desc == NULL with count > 0), -ENODEV when the ring is disabled.
 */
int qiring_submit_sync(struct qiring *r, const struct qiring_desc *desc,
		       unsigned int count, unsigned long options);

/*
 * qiring_submit_sync() with a bounded wait, for tests and diagnostics: after
 * timeout_ns without completion it returns -ETIMEDOUT and leaves the
 * submission in flight (its slots stay owned; the ring stays consistent).
 */
int qiring_submit_timeout(struct qiring *r, const struct qiring_desc *desc,
			  unsigned int count, unsigned long options,
			  u64 timeout_ns);

/*
 * Split API for asynchronous use. reserve -> write x count -> publish ->
 * poll until != -EINPROGRESS -> release. A ticket must be released exactly
 * once after publish, also after -EAGAIN (ITE abort: reserve again and
 * resubmit) and -EINVAL (IQE).
 */
int qiring_reserve(struct qiring *r, unsigned int count, struct qiring_ticket *t);
int qiring_write(struct qiring *r, const struct qiring_ticket *t, unsigned int i,
		 const struct qiring_desc *d);
void qiring_publish(struct qiring *r, const struct qiring_ticket *t,
		    unsigned long options);
/* 0, -EINVAL (IQE), -EAGAIN (ITE abort: release, reserve again), -EINPROGRESS */
int qiring_poll(struct qiring *r, const struct qiring_ticket *t);
/* Spin until poll() != -EINPROGRESS, polling faults and reporting stalls. */
int qiring_wait(struct qiring *r, const struct qiring_ticket *t);
/* Same, but give up with -ETIMEDOUT after timeout_ns (0 = never). */
int qiring_wait_timeout(struct qiring *r, const struct qiring_ticket *t,
			u64 timeout_ns);
/* The owner frees its slots: 0, -EBUSY (still in flight), -EINVAL (not ours). */
int qiring_release(struct qiring *r, const struct qiring_ticket *t);

/* Advance the reclaim frontier over released slots. Returns slots reclaimed. */
unsigned int qiring_reclaim(struct qiring *r);

/* Slots a reservation could take now, keeping the one-slot gap. */
unsigned int qiring_free_slots(struct qiring *r);

void qiring_get_stats(const struct qiring *r, struct qiring_stats *out);

/* Check FSTS now and handle any fault (serialized). Returns FSTS seen. */
u32 qiring_check_faults(struct qiring *r);

#ifdef __cplusplus
}
#endif

#endif /* QIRING_QIRING_H */
