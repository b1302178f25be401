// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * KUnit tests for qiring, the lock-free invalidation queue ring (qiring.c).
 *
 * The ring runs against a small fake remapping unit. Its registers (IQH,
 * IQT, FSTS) are variables, its queue and status words are the ring's
 * memory, and like QEMU's emulated VT-d it executes the queue inside the IQT
 * write, and again when a fault is cleared, one descriptor at a time under
 * its own lock. A wait descriptor with the status-write bit writes its
 * status data to the status word its address names (bus addresses start at
 * FAKE_DMA_BASE). Faults are injected by descriptor:
 *
 *  - a descriptor of type FAKE_BAD_TYPE is invalid: IQE, IQH stays on it;
 *  - while ite_left > 0, a device-TLB invalidation times out: ITE, and it
 *    and everything after it through the ite_waits-th wait are dropped
 *    (those waits never write their status) and IQH moves past them;
 *  - while ice_left > 0, a wait raises ICE after its status write.
 *
 * Every other descriptor is recorded: its qw1 is a payload id, and a run
 * checks that each id ran exactly once and, per submitter, in order.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "qiring.h"

#define FAKE_DMA_BASE		0x10000000ull
#define FAKE_BAD_TYPE		0xfull
#define FAKE_TYPE_IOTLB		0x2ull
#define FAKE_ID(t, s)		(((u64)(t) << 20) | (s))
#define FAKE_ID_THREAD(id)	((u32)((id) >> 20))
#define FAKE_ID_SEQ(id)		((u32)((id) & 0xfffff))
#define FAKE_MAX_THREADS	16
#define FAKE_MAX_LOG		64

struct fake_unit {
	raw_spinlock_t lock;	/* the unit runs one descriptor at a time */
	u8 *desc;
	u32 slots;
	u32 desc_size;
	u32 *status;
	u32 nstatus;
	u32 head;		/* IQH, IQT: slot indices */
	u32 tail;
	u32 fsts;
	bool paused;		/* a stalled unit: fetches nothing */
	int ite_left;		/* device-TLB invalidations that will time out */
	u32 ite_waits;		/* waits an ITE drops (default 1) */
	int ice_left;		/* waits that will raise ICE */
	bool gone;		/* ite_target_gone()'s answer */

	/* what it did */
	u32 tail_writes;
	u32 executed;		/* non-wait descriptors executed */
	u32 waits;		/* wait descriptors executed */
	u32 dropped;		/* descriptors dropped by an ITE */
	u32 devtlb;		/* device-TLB invalidations executed */
	u32 bad_status;		/* status writes outside the status words */
	u32 bad_tail;		/* IQT beyond the ring */
	u32 corrupt;		/* a 32-byte descriptor's upper half lost */
	u32 dup;		/* a payload id ran twice */
	u32 order;		/* a submitter's ids ran out of order */
	u32 unfinished_ite;	/* ite_target_gone() asked without ITE set */
	atomic_t gone_asked;
	u64 last_wait_qw0;
	u64 log[FAKE_MAX_LOG];	/* qw1 of the first non-wait descriptors */
	u32 nlog;

	/* exactly-once bookkeeping for the concurrent test */
	unsigned long *seen;
	u32 per_thread;
	s32 last_seq[FAKE_MAX_THREADS];

	/* stall reports */
	atomic_t stalls;
	struct qiring_stall last_stall;
};

static bool fake_is_devtlb(u64 qw0)
{
	u64 type = qw0 & QIRING_TYPE_MASK;

	return type == QIRING_TYPE_DIOTLB || type == QIRING_TYPE_DEIOTLB;
}

static void fake_fetch(struct fake_unit *u, u32 idx, struct qiring_desc *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d, u->desc + (size_t)idx * u->desc_size, u->desc_size);
}

static void fake_record(struct fake_unit *u, const struct qiring_desc *d)
{
	u32 t = FAKE_ID_THREAD(d->qw1), s = FAKE_ID_SEQ(d->qw1);

	if (u->desc_size == 32 && d->qw3 != ~d->qw1)
		u->corrupt++;
	if (u->nlog < FAKE_MAX_LOG)
		u->log[u->nlog++] = d->qw1;
	if (!u->seen || t >= FAKE_MAX_THREADS || s >= u->per_thread)
		return;
	if (__test_and_set_bit(t * u->per_thread + s, u->seen))
		u->dup++;
	if ((s32)s <= u->last_seq[t])
		u->order++;
	u->last_seq[t] = s;
}

static void fake_status_write(struct fake_unit *u, const struct qiring_desc *d)
{
	u64 off = d->qw1 - FAKE_DMA_BASE;

	if (d->qw1 < FAKE_DMA_BASE || (off & 3) || off / 4 >= u->nstatus) {
		u->bad_status++;
		return;
	}
	/* A DMA write after every earlier descriptor ran: a release. */
	smp_store_release(&u->status[off / 4], (u32)(d->qw0 >> 32));
}

/* Run the queue from IQH to IQT until it is empty, paused or stopped. Lock held. */
static void fake_run(struct fake_unit *u)
{
	u32 mask = u->slots - 1, waits;
	struct qiring_desc d;
	u64 type;

	while (!u->paused && u->head != u->tail &&
	       !(u->fsts & (QIRING_FSTS_IQE | QIRING_FSTS_ITE))) {
		fake_fetch(u, u->head, &d);
		type = d.qw0 & QIRING_TYPE_MASK;
		if (type == 0 || type == FAKE_BAD_TYPE) {
			u->fsts |= QIRING_FSTS_IQE;
			return;
		}
		if (fake_is_devtlb(d.qw0) && u->ite_left > 0) {
			u->ite_left--;
			for (waits = 0; u->head != u->tail;) {
				fake_fetch(u, u->head, &d);
				u->head = (u->head + 1) & mask;
				u->dropped++;
				if ((d.qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD &&
				    ++waits == u->ite_waits)
					break;
			}
			u->fsts |= QIRING_FSTS_ITE;
			return;
		}
		if (type == QIRING_TYPE_IWD) {
			u->waits++;
			u->last_wait_qw0 = d.qw0;
			if (d.qw0 & QIRING_IWD_SW)
				fake_status_write(u, &d);
			if (u->ice_left > 0) {
				u->ice_left--;
				u->fsts |= QIRING_FSTS_ICE;
			}
		} else {
			u->executed++;
			if (fake_is_devtlb(d.qw0))
				u->devtlb++;
			fake_record(u, &d);
		}
		u->head = (u->head + 1) & mask;
	}
}

static struct fake_unit *fake_of(void *hw)
{
	return hw;
}

static void fake_write_tail(void *hw, u32 index)
{
	struct fake_unit *u = fake_of(hw);
	unsigned long flags;

	raw_spin_lock_irqsave(&u->lock, flags);
	if (index >= u->slots)
		u->bad_tail++;
	u->tail = index & (u->slots - 1);
	u->tail_writes++;
	fake_run(u);
	raw_spin_unlock_irqrestore(&u->lock, flags);
}

static u32 fake_read_head(void *hw)
{
	struct fake_unit *u = fake_of(hw);
	unsigned long flags;
	u32 h;

	raw_spin_lock_irqsave(&u->lock, flags);
	h = u->head;
	raw_spin_unlock_irqrestore(&u->lock, flags);
	return h;
}

static u32 fake_read_fault(void *hw)
{
	struct fake_unit *u = fake_of(hw);
	unsigned long flags;
	u32 f;

	raw_spin_lock_irqsave(&u->lock, flags);
	f = u->fsts;
	raw_spin_unlock_irqrestore(&u->lock, flags);
	return f;
}

static void fake_clear_fault(void *hw, u32 bits)
{
	struct fake_unit *u = fake_of(hw);
	unsigned long flags;

	raw_spin_lock_irqsave(&u->lock, flags);
	u->fsts &= ~bits;
	fake_run(u);
	raw_spin_unlock_irqrestore(&u->lock, flags);
}

static bool fake_ite_target_gone(void *hw)
{
	struct fake_unit *u = fake_of(hw);

	atomic_inc(&u->gone_asked);
	if (!(fake_read_fault(hw) & QIRING_FSTS_ITE))
		u->unfinished_ite++;
	return READ_ONCE(u->gone);
}

static const struct qiring_hw_ops fake_ops = {
	.write_tail	= fake_write_tail,
	.read_head	= fake_read_head,
	.read_fault	= fake_read_fault,
	.clear_fault	= fake_clear_fault,
};

static const struct qiring_hw_ops fake_ops_gone = {
	.write_tail		= fake_write_tail,
	.read_head		= fake_read_head,
	.read_fault		= fake_read_fault,
	.clear_fault		= fake_clear_fault,
	.ite_target_gone	= fake_ite_target_gone,
};

static void fake_stall_report(void *arg, const struct qiring_stall *s)
{
	struct fake_unit *u = arg;
	unsigned long flags;

	raw_spin_lock_irqsave(&u->lock, flags);
	u->last_stall = *s;
	raw_spin_unlock_irqrestore(&u->lock, flags);
	atomic_inc(&u->stalls);
}

/* Pause or resume the unit; resuming runs what was published meanwhile. */
static void fake_pause(struct fake_unit *u, bool paused)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&u->lock, flags);
	u->paused = paused;
	fake_run(u);
	raw_spin_unlock_irqrestore(&u->lock, flags);
}

struct qr_ctx {
	struct qiring ring;
	struct fake_unit unit;
	struct qiring_config cfg;
};

/* A ring of @slots slots of @desc_size bytes over a fake unit, not yet initialized. */
static struct qr_ctx *qr_ctx_new(struct kunit *test, u32 slots, u32 desc_size,
				 const struct qiring_hw_ops *ops)
{
	struct qr_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct fake_unit *u;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	u = &c->unit;
	raw_spin_lock_init(&u->lock);
	u->slots = slots;
	u->desc_size = desc_size;
	u->nstatus = qiring_status_words(slots);
	u->desc = kunit_kzalloc(test, (size_t)slots * desc_size, GFP_KERNEL);
	u->status = kunit_kcalloc(test, u->nstatus, sizeof(u32), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, u->desc);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, u->status);
	u->ite_waits = 1;
	atomic_set(&u->gone_asked, 0);
	atomic_set(&u->stalls, 0);

	c->cfg.slots = slots;
	c->cfg.desc_size = desc_size;
	c->cfg.desc = u->desc;
	c->cfg.status = u->status;
	c->cfg.status_dma = FAKE_DMA_BASE;
	c->cfg.ops = ops;
	c->cfg.hw = u;
	c->cfg.fault_poll_ns = 1;	/* handle a fault at the first poll */
	c->cfg.stall_report = fake_stall_report;
	c->cfg.stall_arg = u;
	return c;
}

static struct qr_ctx *qr_new(struct kunit *test, u32 slots, u32 desc_size,
			     const struct qiring_hw_ops *ops)
{
	struct qr_ctx *c = qr_ctx_new(test, slots, desc_size, ops);

	KUNIT_ASSERT_EQ(test, qiring_init(&c->ring, &c->cfg), 0);
	return c;
}

/* A payload descriptor: an IOTLB invalidation (or device-TLB) carrying an id. */
static struct qiring_desc payload(u64 type, u64 id)
{
	struct qiring_desc d = {
		.qw0 = type,
		.qw1 = id,
		.qw2 = 0,
		.qw3 = ~id,
	};

	return d;
}

/* As qi_submit_sync() does: interrupts off around the ring. */
static int submit(struct qr_ctx *c, const struct qiring_desc *d,
		  unsigned int count, unsigned long options)
{
	unsigned long flags;
	int rc;

	local_irq_save(flags);
	rc = qiring_submit_sync(&c->ring, d, count, options);
	local_irq_restore(flags);
	return rc;
}

static int submit_timeout(struct qr_ctx *c, const struct qiring_desc *d,
			  unsigned int count, u64 timeout_ns)
{
	unsigned long flags;
	int rc;

	local_irq_save(flags);
	rc = qiring_submit_timeout(&c->ring, d, count, 0, timeout_ns);
	local_irq_restore(flags);
	return rc;
}

/* Poll a published ticket until it is no longer in flight. */
static int poll_done(struct qr_ctx *c, const struct qiring_ticket *t)
{
	unsigned long flags;
	int rc, i;

	for (i = 0; i < 1000000; i++) {
		local_irq_save(flags);
		rc = qiring_poll(&c->ring, t);
		local_irq_restore(flags);
		if (rc != -EINPROGRESS)
			return rc;
		cpu_relax();
	}
	return rc;
}

static void expect_clean(struct kunit *test, struct qr_ctx *c)
{
	struct fake_unit *u = &c->unit;

	KUNIT_EXPECT_EQ(test, u->bad_status, 0u);
	KUNIT_EXPECT_EQ(test, u->bad_tail, 0u);
	KUNIT_EXPECT_EQ(test, u->corrupt, 0u);
	KUNIT_EXPECT_EQ(test, u->dup, 0u);
	KUNIT_EXPECT_EQ(test, u->order, 0u);
	KUNIT_EXPECT_EQ(test, fake_read_fault(u), 0u);
	KUNIT_EXPECT_EQ(test, qiring_free_slots(&c->ring), u->slots - 1);
}

/* ---- the contract ------------------------------------------------------ */

static void qiring_test_init_rejects_bad_config(struct kunit *test)
{
	struct qr_ctx *c = qr_ctx_new(test, 16, 16, &fake_ops);
	struct qiring_hw_ops no_tail = fake_ops;
	struct qiring_config cfg;
	static const u32 bad_slots[] = { 0, 2, 6, 24, 65536 };
	static const u32 bad_sizes[] = { 0, 8, 24, 64 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_slots); i++) {
		cfg = c->cfg;
		cfg.slots = bad_slots[i];
		KUNIT_EXPECT_EQ_MSG(test, qiring_init(&c->ring, &cfg), -EINVAL,
				    "slots %u", bad_slots[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		cfg = c->cfg;
		cfg.desc_size = bad_sizes[i];
		KUNIT_EXPECT_EQ_MSG(test, qiring_init(&c->ring, &cfg), -EINVAL,
				    "desc_size %u", bad_sizes[i]);
	}
	cfg = c->cfg;
	cfg.desc = NULL;
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), -EINVAL);
	cfg = c->cfg;
	cfg.status = NULL;
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), -EINVAL);
	cfg = c->cfg;
	cfg.ops = NULL;
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), -EINVAL);
	cfg = c->cfg;
	no_tail.write_tail = NULL;
	cfg.ops = &no_tail;
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), -EINVAL);
	cfg = c->cfg;
	cfg.status_dma = FAKE_DMA_BASE + 2;
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), -EINVAL);
	cfg = c->cfg;
	cfg.status = (u32 *)((u8 *)c->unit.status + 1);
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_init(NULL, &c->cfg), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, NULL), -EINVAL);

	cfg = c->cfg;
	cfg.slots = QIRING_MIN_SLOTS;
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &cfg), 0);
	KUNIT_EXPECT_EQ(test, qiring_free_slots(&c->ring), QIRING_MIN_SLOTS - 1);
	KUNIT_EXPECT_EQ(test, qiring_init(&c->ring, &c->cfg), 0);
	KUNIT_EXPECT_EQ(test, qiring_free_slots(&c->ring), 15u);
}

/* Submissions of every size run once, in order, each with one wait, on both ring widths. */
static void submit_sizes(struct kunit *test, u32 desc_size)
{
	struct qr_ctx *c = qr_new(test, 16, desc_size, &fake_ops);
	struct fake_unit *u = &c->unit;
	static const unsigned int counts[] = { 0, 1, 3, 14, 2, 0, 5 };
	struct qiring_desc d[14];
	unsigned int i, k, n = 0, waits = 0;
	struct qiring_stats st;

	for (k = 0; k < ARRAY_SIZE(counts); k++) {
		for (i = 0; i < counts[k]; i++)
			d[i] = payload(FAKE_TYPE_IOTLB, n + i);
		KUNIT_ASSERT_EQ(test, submit(c, d, counts[k], 0), 0);
		n += counts[k];
		waits++;
		KUNIT_EXPECT_EQ(test, u->waits, waits);
		KUNIT_EXPECT_EQ(test, u->executed, n);
	}
	for (i = 0; i < min_t(unsigned int, n, FAKE_MAX_LOG); i++)
		KUNIT_EXPECT_EQ(test, u->log[i], (u64)i);
	/* Laps: the ring wrapped more than once and every word stayed sane. */
	for (k = 0; k < 3 * 16; k++) {
		d[0] = payload(FAKE_TYPE_IOTLB, n);
		KUNIT_ASSERT_EQ(test, submit(c, d, 1, 0), 0);
		n++;
	}
	KUNIT_EXPECT_EQ(test, u->executed, n);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.submissions, (u64)u->waits);
	KUNIT_EXPECT_EQ(test, st.tail_writes, (u64)u->tail_writes);
	KUNIT_EXPECT_EQ(test, st.restarts + st.iqe + st.ite + st.ice, 0ull);
	expect_clean(test, c);
}

static void qiring_test_submit_16(struct kunit *test)
{
	submit_sizes(test, 16);
}

static void qiring_test_submit_32(struct kunit *test)
{
	submit_sizes(test, 32);
}

static void qiring_test_bad_arguments(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops);
	struct qiring_desc d[16] = {};
	struct qiring_ticket t;

	/* count + 2 slots must fit: 14 is the most a 16-slot ring takes */
	KUNIT_EXPECT_EQ(test, submit(c, d, 15, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, submit(c, NULL, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, submit(c, NULL, 0, 0), 0);	/* a drain */
	KUNIT_EXPECT_EQ(test, qiring_reserve(&c->ring, 15, &t), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_reserve(&c->ring, 1, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, c->unit.executed, 0u);
	KUNIT_EXPECT_EQ(test, c->unit.waits, 1u);
	expect_clean(test, c);
}

/* The wait descriptor: its own status word, lap-tagged DONE, drain bit on request. */
static void qiring_test_wait_descriptor(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 32, &fake_ops);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d = payload(FAKE_TYPE_IOTLB, 1);
	u64 w;

	KUNIT_ASSERT_EQ(test, submit(c, &d, 1, 0), 0);
	w = u->last_wait_qw0;
	KUNIT_EXPECT_EQ(test, w & QIRING_TYPE_MASK, QIRING_TYPE_IWD);
	KUNIT_EXPECT_TRUE(test, w & QIRING_IWD_SW);
	KUNIT_EXPECT_FALSE(test, w & QIRING_IWD_PRQ_DRAIN);
	KUNIT_EXPECT_EQ(test, (u32)(w >> 32), qiring_status_word(1, 4, QIRING_DONE));
	KUNIT_EXPECT_EQ(test, u->status[1] & QIRING_STATE_MASK, (u32)QIRING_FREE);

	KUNIT_ASSERT_EQ(test, submit(c, &d, 1, QIRING_OPT_WAIT_DRAIN), 0);
	KUNIT_EXPECT_TRUE(test, u->last_wait_qw0 & QIRING_IWD_PRQ_DRAIN);
	expect_clean(test, c);
}

/* ---- faults ---------------------------------------------------------- */

/* IQE on descriptor @bad of three: that submission alone gets -EINVAL. */
static void iqe_at(struct kunit *test, unsigned int bad)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d[3];
	struct qiring_stats st;
	unsigned int i;

	for (i = 0; i < 3; i++)
		d[i] = payload(FAKE_TYPE_IOTLB, i);
	d[bad].qw0 = FAKE_BAD_TYPE;
	KUNIT_EXPECT_EQ(test, submit(c, d, 3, 0), -EINVAL);
	/* The others of the submission ran; the bad one was replaced. */
	KUNIT_EXPECT_EQ(test, u->executed, 2u);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.iqe, 1ull);

	d[bad].qw0 = FAKE_TYPE_IOTLB;
	KUNIT_EXPECT_EQ(test, submit(c, d, 3, 0), 0);
	KUNIT_EXPECT_EQ(test, u->executed, 5u);
	expect_clean(test, c);
}

static void qiring_test_iqe_first(struct kunit *test)
{
	iqe_at(test, 0);
}

static void qiring_test_iqe_middle(struct kunit *test)
{
	iqe_at(test, 1);
}

static void qiring_test_iqe_last(struct kunit *test)
{
	iqe_at(test, 2);
}

/*
 * IQE handled by another submitter's poll: A's bad descriptor stops the
 * unit, B is published behind it; polling B clears the fault. A gets
 * -EINVAL, B 0.
 */
static void qiring_test_iqe_other_waiter(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops);
	struct qiring_desc bad = payload(FAKE_BAD_TYPE, 1);
	struct qiring_desc good = payload(FAKE_TYPE_IOTLB, 2);
	struct qiring_ticket a, b;

	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 1, &a), 0);
	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 1, &b), 0);
	KUNIT_ASSERT_EQ(test, qiring_write(&c->ring, &a, 0, &bad), 0);
	KUNIT_ASSERT_EQ(test, qiring_write(&c->ring, &b, 0, &good), 0);
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &a, 0), 0);
	KUNIT_EXPECT_EQ(test, fake_read_fault(&c->unit), QIRING_FSTS_IQE);
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &b, 0), 0);
	KUNIT_EXPECT_EQ(test, poll_done(c, &b), 0);
	KUNIT_EXPECT_EQ(test, poll_done(c, &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &a), 0);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &b), 0);
	KUNIT_EXPECT_EQ(test, c->unit.executed, 1u);
	expect_clean(test, c);
}

/* ITE: the aborted submission is made again; the device-TLB invalidation runs once. */
static void ite_restart(struct kunit *test, const struct qiring_hw_ops *ops)
{
	struct qr_ctx *c = qr_new(test, 16, 16, ops);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d[2] = {
		payload(QIRING_TYPE_DIOTLB, 1),
		payload(FAKE_TYPE_IOTLB, 2),
	};
	struct qiring_stats st;

	u->ite_left = 1;
	KUNIT_EXPECT_EQ(test, submit(c, d, 2, 0), 0);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.ite, 1ull);
	KUNIT_EXPECT_EQ(test, st.restarts, 1ull);
	KUNIT_EXPECT_EQ(test, u->dropped, 3u);
	KUNIT_EXPECT_EQ(test, u->devtlb, 1u);
	KUNIT_EXPECT_EQ(test, u->executed, 2u);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->gone_asked), ops->ite_target_gone ? 1 : 0);
	expect_clean(test, c);
}

static void qiring_test_ite_restart(struct kunit *test)
{
	ite_restart(test, &fake_ops);
}

static void qiring_test_ite_restart_device_present(struct kunit *test)
{
	ite_restart(test, &fake_ops_gone);
}

/* ITE for a departed device: a device-TLB submission ends with -ETIMEDOUT, not resubmitted. */
static void qiring_test_ite_departed_device(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 32, &fake_ops_gone);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d = payload(QIRING_TYPE_DEIOTLB, 1);
	struct qiring_stats st;

	u->ite_left = 1;
	u->gone = true;
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), -ETIMEDOUT);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.ite, 1ull);
	KUNIT_EXPECT_EQ(test, st.restarts, 0ull);
	KUNIT_EXPECT_EQ(test, u->devtlb, 0u);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->gone_asked), 1);
	KUNIT_EXPECT_EQ(test, u->unfinished_ite, 0u);
	/* the ring goes on */
	d = payload(FAKE_TYPE_IOTLB, 2);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), 0);
	expect_clean(test, c);
}

/*
 * One ITE aborts two submissions: A carries the departed device's
 * invalidation (-ETIMEDOUT), B does not (-EAGAIN: resubmit). The hook is
 * asked once.
 */
static void qiring_test_ite_departed_split(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops_gone);
	struct fake_unit *u = &c->unit;
	struct qiring_desc da = payload(QIRING_TYPE_DIOTLB, 1);
	struct qiring_desc db = payload(FAKE_TYPE_IOTLB, 2);
	struct qiring_ticket a, b;

	u->ite_left = 1;
	u->ite_waits = 2;
	u->gone = true;
	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 1, &a), 0);
	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 1, &b), 0);
	KUNIT_ASSERT_EQ(test, qiring_write(&c->ring, &a, 0, &da), 0);
	KUNIT_ASSERT_EQ(test, qiring_write(&c->ring, &b, 0, &db), 0);
	/* B first: the doorbell waits for A, then one IQT write covers both */
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &b, 0), 0);
	KUNIT_EXPECT_EQ(test, c->unit.tail_writes, 0u);
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &a, 0), 0);
	KUNIT_EXPECT_EQ(test, c->unit.tail_writes, 1u);
	KUNIT_EXPECT_EQ(test, poll_done(c, &a), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, poll_done(c, &b), -EAGAIN);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &a), 0);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &b), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->gone_asked), 1);
	KUNIT_EXPECT_EQ(test, u->dropped, 4u);
	KUNIT_EXPECT_EQ(test, u->executed, 0u);
	expect_clean(test, c);
}

static void qiring_test_ice(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops);
	struct qiring_desc d = payload(FAKE_TYPE_IOTLB, 1);
	struct qiring_stats st;

	c->unit.ice_left = 1;
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), 0);
	/* ICE does not stop the unit; a waiter or an explicit check clears it */
	KUNIT_EXPECT_EQ(test, qiring_check_faults(&c->ring), QIRING_FSTS_ICE);
	KUNIT_EXPECT_EQ(test, qiring_check_faults(&c->ring), 0u);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.ice, 1ull);
	expect_clean(test, c);
}

/* ---- the split API and its misuse ---------------------------------------- */

static void qiring_test_split_api(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d = payload(FAKE_TYPE_IOTLB, 7);
	struct qiring_ticket t, forged;

	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 2, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_free_slots(&c->ring), 15u - 3u);
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, &t, 0, &d), 0);
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, &t, 1, &d), 0);
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, &t, 2, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, &t, 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, NULL, 0, &d), -EINVAL);
	forged = t;
	forged.count = 5;
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, &forged, 0, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_poll(&c->ring, &t), -EINVAL);	/* not published */
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &t), -EINVAL);

	fake_pause(u, true);
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &t, 0), 0);
	KUNIT_EXPECT_EQ(test, qiring_publish(&c->ring, &t, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_write(&c->ring, &t, 0, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_poll(&c->ring, &t), -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, qiring_wait_timeout(&c->ring, &t, 1000000), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &t), -EBUSY);
	fake_pause(u, false);
	KUNIT_EXPECT_EQ(test, qiring_wait(&c->ring, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &t), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_poll(&c->ring, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, u->executed, 2u);
	expect_clean(test, c);
}

/* ---- lifecycle --------------------------------------------------------- */

static void qiring_test_lifecycle(struct kunit *test)
{
	struct qr_ctx *c = qr_new(test, 16, 16, &fake_ops);
	struct qiring_desc d = payload(FAKE_TYPE_IOTLB, 1);
	struct qiring_ticket t, stale;

	KUNIT_EXPECT_EQ(test, qiring_enable(&c->ring), -EBUSY);
	KUNIT_EXPECT_EQ(test, qiring_disable(&c->ring), 0);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, qiring_reserve(&c->ring, 1, &t), -ENODEV);
	KUNIT_EXPECT_EQ(test, qiring_enable(&c->ring), 0);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), 0);

	/* A ticket held across disable: -EBUSY until released. */
	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 1, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_disable_nowait(&c->ring), -EBUSY);
	KUNIT_EXPECT_EQ(test, qiring_enable(&c->ring), -EBUSY);
	KUNIT_ASSERT_EQ(test, qiring_write(&c->ring, &t, 0, &d), 0);
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &t, 0), 0);
	KUNIT_ASSERT_EQ(test, qiring_wait(&c->ring, &t), 0);
	KUNIT_ASSERT_EQ(test, qiring_release(&c->ring, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_disable_nowait(&c->ring), 0);

	/* A new epoch restarts at slot 0, as the unit does after a reset. */
	c->unit.head = 0;
	c->unit.tail = 0;
	stale = t;
	KUNIT_EXPECT_EQ(test, qiring_enable(&c->ring), 0);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, c->unit.head, 2u);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &stale), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_poll(&c->ring, &stale), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_publish(&c->ring, &stale, 0), -EINVAL);

	KUNIT_EXPECT_EQ(test, qiring_destroy(&c->ring), 0);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, qiring_enable(&c->ring), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_disable(&c->ring), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_disable_nowait(&c->ring), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_enable(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_disable(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, qiring_destroy(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, c->unit.executed, 3u);
}

/* ---- bounded waits: timeouts, orphans, stall reports ---------------------- */

static void qiring_test_timeout_orphan(struct kunit *test)
{
	struct qr_ctx *c = qr_ctx_new(test, 16, 16, &fake_ops);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d = payload(FAKE_TYPE_IOTLB, 1);
	struct qiring_stats st;
	u64 t0, dt;

	c->cfg.stall_ns = 2 * NSEC_PER_MSEC;
	KUNIT_ASSERT_EQ(test, qiring_init(&c->ring, &c->cfg), 0);
	fake_pause(u, true);
	t0 = ktime_get_ns();
	KUNIT_EXPECT_EQ(test, submit_timeout(c, &d, 1, 20 * NSEC_PER_MSEC), -ETIMEDOUT);
	dt = ktime_get_ns() - t0;
	KUNIT_EXPECT_GE(test, dt, 20 * NSEC_PER_MSEC);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.orphans, 1ull);
	KUNIT_EXPECT_GE(test, atomic_read(&u->stalls), 1);
	KUNIT_EXPECT_EQ(test, u->last_stall.blocker, QIRING_BLOCKER_DEVICE);
	KUNIT_EXPECT_FALSE(test, u->last_stall.reserving);
	KUNIT_EXPECT_EQ(test, u->last_stall.waiter_seq, 1ull);
	/* The orphan holds its slots until the unit is done with it. */
	KUNIT_EXPECT_EQ(test, qiring_free_slots(&c->ring), 13u);
	fake_pause(u, false);
	KUNIT_EXPECT_EQ(test, u->executed, 1u);
	KUNIT_EXPECT_EQ(test, qiring_reclaim(&c->ring), 2u);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, qiring_disable(&c->ring), 0);
	expect_clean(test, c);
}

/* A ring full behind an owner that never publishes: the deadline covers the wait for room. */
static void qiring_test_timeout_full_ring(struct kunit *test)
{
	struct qr_ctx *c = qr_ctx_new(test, 8, 16, &fake_ops);
	struct fake_unit *u = &c->unit;
	struct qiring_desc d = payload(FAKE_TYPE_IOTLB, 1);
	struct qiring_ticket t;
	unsigned int i;

	c->cfg.stall_ns = 2 * NSEC_PER_MSEC;
	KUNIT_ASSERT_EQ(test, qiring_init(&c->ring, &c->cfg), 0);
	KUNIT_ASSERT_EQ(test, qiring_reserve(&c->ring, 5, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_free_slots(&c->ring), 1u);
	KUNIT_EXPECT_EQ(test, submit_timeout(c, &d, 1, 10 * NSEC_PER_MSEC), -ETIMEDOUT);
	KUNIT_EXPECT_GE(test, atomic_read(&u->stalls), 1);
	KUNIT_EXPECT_TRUE(test, u->last_stall.reserving);
	KUNIT_EXPECT_EQ(test, u->last_stall.blocker, QIRING_BLOCKER_OWNER_WRITING);
	KUNIT_EXPECT_EQ(test, u->last_stall.blocker_seq, 0ull);
	KUNIT_EXPECT_EQ(test, u->executed, 0u);
	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_EQ(test, qiring_write(&c->ring, &t, i, &d), 0);
	KUNIT_ASSERT_EQ(test, qiring_publish(&c->ring, &t, 0), 0);
	KUNIT_EXPECT_EQ(test, qiring_wait(&c->ring, &t), 0);
	KUNIT_EXPECT_EQ(test, qiring_release(&c->ring, &t), 0);
	KUNIT_EXPECT_EQ(test, submit(c, &d, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, u->executed, 6u);
	expect_clean(test, c);
}

/* ---- many submitters: exactly once, in order ------------------------------ */

struct qr_worker {
	struct qr_ctx *c;
	struct completion *start;
	unsigned int id;
	unsigned int rounds;
	unsigned int devtlb_every;
	int errors;
	int first_error;
	unsigned int ids;
	struct completion done;
};

static int qr_worker_fn(void *arg)
{
	struct qr_worker *w = arg;
	struct qiring_desc d[4];
	unsigned int k, i, count, seq = 0;
	int rc;

	wait_for_completion(w->start);
	for (k = 0; k < w->rounds; k++) {
		count = k % 5;
		for (i = 0; i < count; i++)
			d[i] = payload(FAKE_TYPE_IOTLB, FAKE_ID(w->id, seq++));
		/* A device-TLB invalidation first: an ITE drops all of them. */
		if (count && w->devtlb_every && !(k % w->devtlb_every))
			d[0].qw0 = QIRING_TYPE_DIOTLB;
		rc = submit(w->c, d, count, 0);
		if (rc && !w->errors++)
			w->first_error = rc;
		if (!(k % 32))
			cond_resched();
	}
	w->ids = seq;
	complete(&w->done);
	return 0;
}

static void concurrent(struct kunit *test, u32 slots, u32 desc_size, int ite,
		       int ice)
{
	struct qr_ctx *c = qr_new(test, slots, desc_size, &fake_ops_gone);
	struct fake_unit *u = &c->unit;
	unsigned int n = clamp_t(unsigned int, 2 * num_online_cpus(), 4, FAKE_MAX_THREADS);
	unsigned int rounds = 5000, i, ids = 0;
	struct completion start;
	int cpu = -1;
	struct qr_worker *w;
	struct task_struct *task;
	struct qiring_stats st;

	w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w);
	u->per_thread = rounds * 4;
	u->seen = kunit_kcalloc(test, BITS_TO_LONGS(n * u->per_thread),
				sizeof(unsigned long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, u->seen);
	for (i = 0; i < FAKE_MAX_THREADS; i++)
		u->last_seq[i] = -1;
	u->ite_left = ite;
	u->ice_left = ice;

	/* One submitter per CPU at least, spread over the CPUs, all let go at once. */
	init_completion(&start);
	for (i = 0; i < n; i++) {
		w[i].c = c;
		w[i].start = &start;
		w[i].id = i;
		w[i].rounds = rounds;
		w[i].devtlb_every = ite ? 7 : 0;
		init_completion(&w[i].done);
		task = kthread_create(qr_worker_fn, &w[i], "qiring_test/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		kthread_bind(task, cpu);
		wake_up_process(task);
	}
	complete_all(&start);
	for (i = 0; i < n; i++) {
		wait_for_completion(&w[i].done);
		KUNIT_EXPECT_EQ_MSG(test, w[i].errors, 0, "worker %u: first error %d",
				    i, w[i].first_error);
		ids += w[i].ids;
	}
	/* Every id ran: the bitmap is full, no id twice (dup), in order (order). */
	KUNIT_EXPECT_EQ(test, u->executed, ids);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, (u32)(u->last_seq[i] + 1), w[i].ids);
	qiring_get_stats(&c->ring, &st);
	KUNIT_EXPECT_EQ(test, st.ite, (u64)ite);
	KUNIT_EXPECT_EQ(test, st.restarts, (u64)ite);
	KUNIT_EXPECT_EQ(test, u->ite_left, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->gone_asked), ite);
	KUNIT_EXPECT_LE(test, st.tail_writes, st.submissions);
	KUNIT_EXPECT_EQ(test, st.submissions, (u64)n * rounds + st.restarts);
	kunit_info(test, "%u threads x %u submissions on %u CPUs, %u x %u B: %llu tail writes, %llu restarts, %llu ICE, %llu CAS retries\n",
		   n, rounds, num_online_cpus(), slots, desc_size, st.tail_writes,
		   st.restarts, st.ice, st.cas_retries);
	/* Clear a last ICE nobody polled for. */
	qiring_check_faults(&c->ring);
	expect_clean(test, c);
}

static void qiring_test_concurrent_exactly_once(struct kunit *test)
{
	concurrent(test, 16, 16, 0, 0);
}

static void qiring_test_concurrent_faults(struct kunit *test)
{
	concurrent(test, 64, 32, 40, 40);
}

static struct kunit_case qiring_test_cases[] = {
	KUNIT_CASE(qiring_test_init_rejects_bad_config),
	KUNIT_CASE(qiring_test_submit_16),
	KUNIT_CASE(qiring_test_submit_32),
	KUNIT_CASE(qiring_test_bad_arguments),
	KUNIT_CASE(qiring_test_wait_descriptor),
	KUNIT_CASE(qiring_test_iqe_first),
	KUNIT_CASE(qiring_test_iqe_middle),
	KUNIT_CASE(qiring_test_iqe_last),
	KUNIT_CASE(qiring_test_iqe_other_waiter),
	KUNIT_CASE(qiring_test_ite_restart),
	KUNIT_CASE(qiring_test_ite_restart_device_present),
	KUNIT_CASE(qiring_test_ite_departed_device),
	KUNIT_CASE(qiring_test_ite_departed_split),
	KUNIT_CASE(qiring_test_ice),
	KUNIT_CASE(qiring_test_split_api),
	KUNIT_CASE(qiring_test_lifecycle),
	KUNIT_CASE(qiring_test_timeout_orphan),
	KUNIT_CASE(qiring_test_timeout_full_ring),
	KUNIT_CASE(qiring_test_concurrent_exactly_once),
	KUNIT_CASE(qiring_test_concurrent_faults),
	{}
};

static struct kunit_suite qiring_test_suite = {
	.name = "intel_iommu_qiring",
	.test_cases = qiring_test_cases,
};

kunit_test_suite(qiring_test_suite);
