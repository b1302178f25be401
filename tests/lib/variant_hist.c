// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qi_submit_sync() and qi_check_fault() as Linux runs them (dmar.c), shared
 * by the legacy, tbf and locked variants (see variant_hist.h). The kernel's
 * register accesses map onto the device model:
 *
 *   writel(IQT)          qr_dev_write_tail(), a slot index
 *   readl(IQH), (IQT)    qr_dev_read_head(), qr_dev_read_tail()
 *   readl(FSTS)          qr_dev_read_fault()
 *   writel(FSTS)         qr_dev_clear_fault()
 *   cpu_relax()          qr_dev_relax(), once per poll iteration: tests
 *                        hold a thread there to force a schedule
 *
 * Not in dmar.c: the bounded waits (cfg->stall_ns), which turn a hang into
 * a stall report and -ETIMEDOUT, and the argument checks.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "variant_hist.h"

#if defined(__SANITIZE_THREAD__)
#define QR_HIST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QR_HIST_TSAN 1
#endif
#endif

#ifdef QR_HIST_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#ifdef QIRING_PORT_SIM
/*
 * The explorer: the sim port's mutex. A thread that finds it held is
 * blocked (not spinning) until it is released; the node is not used.
 */
static void q_lock(struct qr_vring *r, struct ck_spinlock_mcs *node)
{
	qr_sim_mutex_lock(&r->q_lock);
}

static void q_unlock(struct qr_vring *r, struct ck_spinlock_mcs *node)
{
	qr_sim_mutex_unlock(&r->q_lock);
}
#else
/*
 * q_lock: ck's MCS queue lock, taken as ck_spinlock_mcs_lock() takes it
 * (swap ourselves in as the queue tail, link behind the predecessor, spin
 * on our own node until it hands the lock over), released with
 * ck_spinlock_mcs_unlock(). One difference: a waiter yields its CPU every
 * 64 spins. A kernel spinner runs with preemption off and a kernel lock
 * holder is never descheduled; userspace threads are, and a FIFO handoff
 * to a waiter that is not running stalls everyone queued behind it for a
 * scheduler time slice. With more submitters than CPUs (the stress tests:
 * 4 submitters on 2 CPUs) that costs every handoff: 10^4 submissions took
 * 38 s with ck's pure spin, 0.08 s with the yield.
 *
 * ck's x86-64 primitives are inline assembly, which ThreadSanitizer does not
 * see: tell it that taking q_lock acquires what the last holder released.
 */
static void q_lock(struct qr_vring *r, struct ck_spinlock_mcs *node)
{
	struct ck_spinlock_mcs *prev;
	unsigned int spins = 0;

	node->locked = true;
	node->next = NULL;
	ck_pr_fence_store_atomic();
	prev = ck_pr_fas_ptr(&r->q_lock, node);
	if (prev) {
		ck_pr_store_ptr(&prev->next, node);
		while (ck_pr_load_uint(&node->locked)) {
			if (++spins % 64)
				ck_pr_stall();
			else
				sched_yield();
		}
	}
	ck_pr_fence_lock();
#ifdef QR_HIST_TSAN
	__tsan_acquire(&r->q_lock);
#endif
}

static void q_unlock(struct qr_vring *r, struct ck_spinlock_mcs *node)
{
#ifdef QR_HIST_TSAN
	__tsan_release(&r->q_lock);
#endif
	ck_spinlock_mcs_unlock(&r->q_lock, node);
}
#endif /* QIRING_PORT_SIM */

static inline u8 *slot_desc(struct qr_vring *r, u32 slot)
{
	return r->desc + ((size_t)slot << r->shift);
}

/* A 16-byte ring holds qw0/qw1 only: never write into the next slot. */
static void put_desc(struct qr_vring *r, u32 slot, const struct qiring_desc *d)
{
	u64 *q = (u64 *)slot_desc(r, slot);

	q[0] = d->qw0;
	q[1] = d->qw1;
	if (r->shift == 5) {
		q[2] = d->qw2;
		q[3] = d->qw3;
	}
}

/* The bounded wait of one poll loop (not in dmar.c). */
struct stall_clock {
	u64 start;
	u32 spins;
};

/* Checks the clock every 8th iteration; true once stall_ns has passed. */
static bool stalled(struct qr_vring *r, struct stall_clock *c, u64 *age)
{
	u64 now;

	if (!r->stall_ns || (c->spins++ & 7))
		return false;
	now = ktime_get_ns();
	if (!c->start) {
		c->start = now;
		return false;
	}
	*age = now - c->start;
	return *age > r->stall_ns;
}

static void report_stall(struct qr_vring *r, const struct qiring_stall *s)
{
	qr_vring_report_stall(r->stall_report, r->stall_arg, "qi", "position %llu", s);
}

/*
 * The free-space loop gave up: free_tail is the slot reclaim cannot pass.
 * Its owner is either still waiting for the device, or done and not yet
 * freeing (or gone, after its own -ETIMEDOUT). q_lock held.
 */
static void stall_reserving(struct qr_vring *r, u64 age,
			    struct qiring_stall *s)
{
	u32 wait = r->slot_wait[r->free_tail];
	u32 st = qr_hist_status(r, wait);

	memset(s, 0, sizeof(*s));
	s->reserving = true;
	s->waiter_seq = r->head_seq;
	s->blocker_slot = r->free_tail;
	s->blocker_seq = r->slot_seq[r->free_tail];
	s->age_ns = age;
	s->fault = qr_dev_read_fault(r->dev);
	if (s->fault & (QIRING_FSTS_IQE | QIRING_FSTS_ITE))
		s->blocker = QIRING_BLOCKER_FAULT;
	else if (st == QR_QI_IN_USE)
		s->blocker = QIRING_BLOCKER_DEVICE;
	else
		s->blocker = QIRING_BLOCKER_OWNER_RELEASE;
}

/* The completion loop gave up on its own wait slot. q_lock held. */
static void stall_completion(struct qr_vring *r, u32 wait_index, u32 fault,
			     u64 age, struct qiring_stall *s)
{
	memset(s, 0, sizeof(*s));
	s->waiter_seq = r->slot_seq[wait_index];
	s->blocker_seq = s->waiter_seq;
	s->blocker_slot = wait_index;
	s->age_ns = age;
	s->fault = fault;
	s->blocker = fault & (QIRING_FSTS_IQE | QIRING_FSTS_ITE) ?
		     QIRING_BLOCKER_FAULT : QIRING_BLOCKER_DEVICE;
}

/*
 * qi_check_fault(), once per poll iteration with q_lock held. *fsts gets
 * the FSTS value read (0 if none was read).
 */
static int qi_check_fault(struct qr_vring *r, u32 index, u32 wait_index,
			  u32 *fsts)
{
	u32 fault, head, tail;

	*fsts = 0;
	/* Another waiter's ITE handling aborted us: no register access. */
	if (qr_hist_status(r, wait_index) == QR_QI_ABORT)
		return -EAGAIN;

	fault = qr_dev_read_fault(r->dev);
	*fsts = fault;

	/*
	 * IQE: fetching stopped at IQH, on the bad descriptor. Like Linux we
	 * act only when it is the first descriptor of our own submission:
	 * overwrite it with our wait descriptor, so the device completes
	 * something harmless there, and fail with -EINVAL. A bad descriptor
	 * further into a submission is nobody's to clear, in Linux as here.
	 *
	 * The device read the bad slot before raising IQE with a release
	 * RMW, which read_fault() acquired: rewriting it is not a race.
	 * clear_fault() is release, pairing with the device's acquire of
	 * FSTS before its next fetch: it fetches the rewritten slot.
	 *
	 * Linux returns at once; the device then runs the copy and the rest
	 * of the submission, whose wait writes DONE a second time, possibly
	 * after the owner freed the slots. With an asynchronous device that
	 * late write can land between the owner's step and reclaim and hold
	 * up reclaim (tbf, locked): a race of dmar.c itself, which fast
	 * hardware hides.
	 */
	if (fault & QIRING_FSTS_IQE) {
		head = qr_dev_read_head(r->dev);
		if (head == index) {
			memcpy(slot_desc(r, head), slot_desc(r, wait_index),
			       (size_t)1 << r->shift);
			qr_dev_clear_fault(r->dev, QIRING_FSTS_IQE);
			return -EINVAL;
		}
	}

	/*
	 * ITE: waits fetched but not completed were aborted and fetching
	 * stopped. Linux snapshots IQH and IQT, clears ITE, then walks
	 * backwards from the slot before IQH down to (not including) the
	 * slot before IQT, turning every IN_USE slot into ABORT: whoever
	 * owns it, our own wait and descriptors included. That walk covers
	 * the whole ring outside the still-pending [IQH, IQT), and the whole
	 * ring when IQH == IQT.
	 */
	if (fault & QIRING_FSTS_ITE) {
		head = (qr_dev_read_head(r->dev) + r->slots - 1) & r->mask;
		tail = (qr_dev_read_tail(r->dev) + r->slots - 1) & r->mask;
		qr_dev_clear_fault(r->dev, QIRING_FSTS_ITE);
		do {
			if (qr_hist_status(r, head) == QR_QI_IN_USE)
				qr_hist_set_status(r, head, QR_QI_ABORT);
			head = (head + r->slots - 1) & r->mask;
		} while (head != tail);
		if (qr_hist_status(r, wait_index) == QR_QI_ABORT)
			return -EAGAIN;
	}

	/* ICE: cleared, otherwise ignored. */
	if (fault & QIRING_FSTS_ICE)
		qr_dev_clear_fault(r->dev, QIRING_FSTS_ICE);

	return 0;
}

int qr_hist_submit(struct qr_vring *r, const struct qiring_desc *desc,
		   unsigned int count, unsigned long options)
{
	struct ck_spinlock_mcs node;
	struct qiring_desc wait_desc;
	struct qiring_stall s;
	struct stall_clock clk;
	u32 index, wait_index, i, fault;
	u64 age;
	int rc;

	/* Linux would spin forever on the first and oops on the second. */
	if (count > r->slots - 2 || (count && !desc)) {
		rc = -EINVAL;
		goto out;
	}

restart:
	rc = 0;
	q_lock(r, &node);

	/*
	 * count descriptors, one wait, one empty slot: IQH == IQT means
	 * empty, so the ring is never filled. Linux does not reclaim here:
	 * space comes back when the submitters ahead finish and reclaim.
	 */
	memset(&clk, 0, sizeof(clk));
	while (r->free_cnt < count + 2) {
		if (stalled(r, &clk, &age)) {
			stall_reserving(r, age, &s);
			q_unlock(r, &node);
			report_stall(r, &s);
			rc = -ETIMEDOUT;
			goto out;
		}
		q_unlock(r, &node);
		qr_dev_relax(r->dev);
		q_lock(r, &node);
	}

	index = r->free_head;
	wait_index = (index + count) & r->mask;

	for (i = 0; i < count; i++) {
		u32 slot = (index + i) & r->mask;

		put_desc(r, slot, &desc[i]);
		qr_hist_set_status(r, slot, QR_QI_IN_USE);
		r->slot_seq[slot] = r->head_seq + i;
		r->slot_wait[slot] = wait_index;
	}
	qr_hist_set_status(r, wait_index, QR_QI_IN_USE);
	r->slot_seq[wait_index] = r->head_seq + count;
	r->slot_wait[wait_index] = wait_index;

	/* The status write goes to this slot's own desc_status word. */
	memset(&wait_desc, 0, sizeof(wait_desc));
	wait_desc.qw0 = QIRING_IWD_STATUS_DATA(QR_QI_DONE) | QIRING_IWD_SW |
			QIRING_TYPE_IWD;
	if (options & QIRING_OPT_WAIT_DRAIN)
		wait_desc.qw0 |= QIRING_IWD_PRQ_DRAIN;
	wait_desc.qw1 = (u64)(uintptr_t)&r->desc_status[wait_index];
	put_desc(r, wait_index, &wait_desc);

	r->free_head = (r->free_head + count + 1) & r->mask;
	r->free_cnt -= count + 1;
	r->head_seq += count + 1;

	/*
	 * IQT: a release store in the model, paired with the device's acquire
	 * before it fetches; the descriptors written above are what it reads.
	 */
	qr_dev_write_tail(r->dev, r->free_head);

	memset(&clk, 0, sizeof(clk));
	while (qr_hist_status(r, wait_index) != QR_QI_DONE) {
		rc = qi_check_fault(r, index, wait_index, &fault);
		if (rc)
			break;
		if (stalled(r, &clk, &age)) {
			/* The ring is left as it is: the caller gives up. */
			stall_completion(r, wait_index, fault, age, &s);
			q_unlock(r, &node);
			report_stall(r, &s);
			rc = -ETIMEDOUT;
			goto out;
		}
		q_unlock(r, &node);
		qr_dev_relax(r->dev);
		q_lock(r, &node);
	}

	r->ops->owner_done(r, index, count);
	r->ops->reclaim(r);
	q_unlock(r, &node);

	if (rc == -EAGAIN) {
		atomic64_inc(&r->restarts);
		goto restart;
	}
out:
	atomic64_inc(&r->submissions);
	return rc;
}

unsigned int qr_hist_reclaim(struct qr_vring *r)
{
	struct ck_spinlock_mcs node;
	u32 n;

	q_lock(r, &node);
	n = r->ops->reclaim(r);
	q_unlock(r, &node);
	return n;
}

unsigned int qr_hist_free_slots(struct qr_vring *r)
{
	struct ck_spinlock_mcs node;
	u32 n;

	q_lock(r, &node);
	n = r->free_cnt;
	q_unlock(r, &node);
	return n;
}

void qr_hist_counters(struct qr_vring *r, struct qr_vcounters *c)
{
	struct qr_dev_counters d;

	qr_dev_get_counters(r->dev, &d);
	c->submissions = atomic64_read(&r->submissions);
	c->restarts = atomic64_read(&r->restarts);
	c->tail_writes = d.tail_writes;
	c->fault_reads = d.fault_reads;
	c->cas_retries = 0;
}

struct qr_vring *qr_hist_create(const struct qr_vring_config *cfg,
				const struct qr_hist_ops *ops)
{
	struct qr_vring *r;
	size_t bytes;
	u32 i;

	if (!cfg || !cfg->dev || !ops || cfg->slots < QIRING_MIN_SLOTS ||
	    cfg->slots > QIRING_MAX_SLOTS || (cfg->slots & (cfg->slots - 1)) ||
	    (cfg->desc_size != 16 && cfg->desc_size != 32))
		return NULL;
	if (posix_memalign((void **)&r, 64, sizeof(*r)))
		return NULL;
	memset(r, 0, sizeof(*r));
	bytes = (size_t)cfg->slots * cfg->desc_size;
	r->desc = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	r->desc_status = aligned_alloc(64, (cfg->slots * sizeof(*r->desc_status) +
					    63) & ~(size_t)63);
	r->slot_seq = calloc(cfg->slots, sizeof(*r->slot_seq));
	r->slot_wait = calloc(cfg->slots, sizeof(*r->slot_wait));
	if (!r->desc || !r->desc_status || !r->slot_seq || !r->slot_wait) {
		qr_hist_destroy(r);
		return NULL;
	}
	memset(r->desc, 0, bytes);
	for (i = 0; i < cfg->slots; i++)
		WRITE_ONCE(r->desc_status[i], QR_QI_FREE);

#ifdef QIRING_PORT_SIM
	qr_sim_mutex_init(&r->q_lock);
#else
	ck_spinlock_mcs_init(&r->q_lock);
#endif
	r->ops = ops;
	r->dev = cfg->dev;
	r->slots = cfg->slots;
	r->mask = cfg->slots - 1;
	r->shift = cfg->desc_size == 32 ? 5 : 4;
	r->stall_ns = cfg->stall_ns;
	r->stall_report = cfg->stall_report;
	r->stall_arg = cfg->stall_arg;
	/* __dmar_enable_qi(): head = tail = 0, every slot free. */
	r->free_cnt = cfg->slots;
	qr_dev_set_queue(cfg->dev, r->desc, cfg->slots, cfg->desc_size,
			 r->desc_status, cfg->slots);
	return r;
}

void qr_hist_destroy(struct qr_vring *r)
{
	if (!r)
		return;
	/*
	 * Take the queue away from the device first (IQA, under the model's
	 * execution lock): a device thread still working through descriptors
	 * left behind by a timed-out submission must not fetch from, or write
	 * status into, memory freed below.
	 */
	if (r->dev && r->desc)
		qr_dev_set_queue(r->dev, NULL, 0, 0, NULL, 0);
	free(r->desc);
	free(r->desc_status);
	free(r->slot_seq);
	free(r->slot_wait);
	free(r);
}
