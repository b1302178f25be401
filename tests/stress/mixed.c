// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Mixed stress: short timeouts, every fault kind and disable/enable cycles
 * in one run, on the lock-free core through its own API.
 *
 * T submitters make M submissions each (counts 0..16, every descriptor
 * naming (submitter, sequence, index) as stress.c does). Each submission
 * takes one road, a pure function of (submitter, sequence) so the checker
 * knows it:
 *
 *   short   qiring_submit_timeout() with a short bound (tmin..tmax, spread
 *           evenly over the octaves): a fraction of them expire, while
 *           waiting for room or while in flight (an orphan);
 *   sync    qiring_submit_sync();
 *   long    qiring_submit_timeout() with a bound no healthy run reaches
 *           (a hang becomes an error, not a stuck test);
 *   split   reserve / write / publish, then either qiring_poll() until done
 *           or qiring_wait_timeout() with a short bound and, when it
 *           expires, qiring_wait() on the ticket it still owns; release;
 *           -EAGAIN (ITE) is resubmitted by the test.
 *
 * Faults, all at once: ITE on device-TLB descriptors (types 0x3 and, on
 * 32-byte rings, 0x8) in bursts, ICE on waits, IQE on planted descriptors
 * of an invalid type; with gone=N the ring has an ite_target_gone hook that
 * says "the device is gone" for 1/N of the ITEs. Meanwhile the main thread
 * runs disable/enable cycles spread over the run: disable (-EBUSY while a
 * timed-out submission or a split ticket is still in flight: the device
 * keeps running, call again), check free_slots == slots - 1, IQH == IQT and
 * that the unit has nothing left to execute, reset the unit, enable. Every
 * other cycle the unit is slowed to milliseconds per descriptor and the
 * controller leaves an orphan of its own (a lone wait with a 1 us bound)
 * right before disabling, so that disable meets an orphan in flight.
 * Submitters that get -ENODEV retry the same submission after the enable.
 *
 * The device model's event stream is checked online, in execution order
 * (on_exec, serialized by the model):
 *
 *   - an attempt runs contiguously, index 0..count-1, then its own wait; no
 *     other submitter's descriptor interleaves; an IQE replacement wait is
 *     the only thing that runs while an IQE is pending;
 *   - each submitter's attempts run in its program order; a sequence runs
 *     again only after an ITE discarded its previous attempt, and never
 *     after a full run (exactly once), never after an ITE whose device was
 *     reported gone, never after an ITE that came after its owner had
 *     already returned (a timed-out submission never restarts).
 *
 * Each submitter checks, when its call returns: 0 and -EINVAL only after
 * the device ran that submission's wait; -EINVAL only for planted ones;
 * -ETIMEDOUT only on the short road, or with a departed device.
 *
 * At the end, per submission: 0 ran in full exactly once, as its last
 * attempt; -EINVAL is planted and ran in full with its IQE; -ETIMEDOUT on
 * the short road ran in full at most once (late: the owner had left), or
 * its last attempt was discarded by an ITE, or it never reached the ring;
 * on any other road -ETIMEDOUT means exactly "the last attempt was
 * discarded by a departed-device ITE" (and such submissions never return
 * anything else). The books:
 *
 *   ITE injected = waits aborted = attempts discarded = ITEs handled =
 *   hook questions; hook "gone" answers = discards marked gone;
 *   IQE raised = IQE handled = replacement waits = IQE events on planted
 *   descriptors; -EINVAL returns = planted submissions whose last attempt
 *   ran in full on the sync, long and split roads;
 *   status writes = full runs + lone waits + replacement waits;
 *   waits published (stats.submissions) = full runs + lone waits + discards;
 *   restarts: the discards on the sync and long roads are restarts, except
 *   the departed-device ones; on the short road the rest are restarts,
 *   orphans discarded, or seen by the owner at its deadline;
 *   orphans (stats.orphans) = short submissions that ran in full after
 *   their owner returned -ETIMEDOUT + lone waits that did so + short
 *   submissions discarded after their owner left, the last term bounded
 *   below by the discards the checker saw after the owner's return and
 *   above by the short discards that were not restarts.
 *
 *   (The controller's own lone waits count as the short road's.)
 *
 * What it cannot see: a restart made after the owner's deadline passed but
 * before it returned looks, in the device's order, like one made in time
 * (only a restart after an ITE that came after the return is visibly
 * wrong).
 *
 * Finally, with the submitters gone: a published ticket the controller
 * holds makes disable and enable say -EBUSY until it is released; with the
 * device on its own thread held, an orphan makes disable wait stall_ns and
 * say -EBUSY; then, the device finished, disable returns 0 at once,
 * destroy returns 0, the queue and status words are freed at once (ASan:
 * any later access is a use-after-free), and a late submission gets
 * -ENODEV without touching them.
 *
 * usage: mixed THREADS PER_THREAD SLOTS DESC_SIZE thread|lazy SEED [key=value...]
 *   cycles=N   disable/enable cycles (default 20)
 *   tmo=N      1/N of submissions take the short road (default 4)
 *   tmin=NS tmax=NS  the short bounds (default 2000 .. 300000)
 *   split=N    1/N of the others take the split API (default 8)
 *   ite=N burst=K devtlb=N ice=N iqe=N   as stress.c
 *   gone=N     the ite_target_gone hook, "gone" for 1/N of ITEs
 *   profile=P  device latencies: hw (default), slow, instant, viommu
 *   stall=NS   the ring's stall_ns (default 1 ms: also disable's wait for
 *              orphans)
 *   slow=N     every N-th cycle slows the unit to 2 * stall_ns per event
 *              until disable says -EBUSY (default 2; 0: never)
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devmodel.h"
#include "profiles.h"

#define MAX_THREADS	16
#define MAX_COUNT	16
#define MAGIC		0x51ull		/* 'Q', in qw0 bits 63:56 */
#define US		1000ull
#define MS		(1000 * US)
#define SEC		(1000 * MS)
#define HANG_NS		(60 * SEC)	/* no progress for this long: a hang */

static const struct qr_dev_profile profile_slow = {
	.mmio_read_ns = 500,
	.mmio_write_ns = 200,
	.doorbell_ns = 5000,
	.desc_ns = 1000,
};

enum road { R_SHORT, R_SYNC, R_LONG, R_SPLIT_POLL, R_SPLIT_WAIT, R_NR };
static const char *const road_name[R_NR] = {
	"short", "sync", "long", "split-poll", "split-wait"
};

/* ---- configuration ------------------------------------------------------ */

static unsigned int nthreads;
static u64 per_thread;
static u32 slots, dsize, max_count;
static u64 seed;
static u64 opt_cycles = 20, opt_tmo = 4, opt_tmin = 2 * US, opt_tmax = 300 * US;
static u64 opt_split = 8, opt_ite, opt_burst, opt_devtlb, opt_ice, opt_iqe;
static u64 opt_gone, opt_stall = 1 * MS, opt_slow = 2;
static const struct qr_dev_profile *profile = &qr_profile_hw;
static const char *profile_name = "hw";

static struct qiring ring;
static struct qr_dev *dev;
static struct qiring_hw_ops ops;
static void *desc_mem;
static u32 *status_mem;

/* ---- what each submission is: pure functions of (t, s) ------------------ */

static u64 mix(u64 x)
{
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

static u64 hash3(u64 salt, unsigned int t, u64 s)
{
	return mix(seed ^ salt ^ ((u64)t << 40) ^ mix(s));
}

/* A quarter are lone waits (drains), the rest 1..max_count. */
static u32 count_of(unsigned int t, u64 s)
{
	u64 x = hash3(0xc0117, t, s);

	return (x & 3) == 0 ? 0 : 1 + (u32)((x >> 8) % max_count);
}

static enum road road_of(unsigned int t, u64 s)
{
	u64 x = hash3(0x50ad, t, s);

	if (opt_tmo && x % opt_tmo == 0)
		return R_SHORT;
	x >>= 20;
	if (opt_split && x % opt_split == 0)
		return (x >> 12) & 1 ? R_SPLIT_WAIT : R_SPLIT_POLL;
	return (x >> 13) & 1 ? R_SYNC : R_LONG;
}

/* A short bound: an octave above tmin at random, then a point inside it. */
static u64 timeout_of(unsigned int t, u64 s)
{
	u64 x = hash3(0x7173, t, s), v = opt_tmin, octaves = 0;

	while ((v << (octaves + 1)) <= opt_tmax)
		octaves++;
	v <<= x % (octaves + 1);
	v += (x >> 16) % v;
	return v > opt_tmax ? opt_tmax : v;
}

static unsigned long options_of(unsigned int t, u64 s)
{
	return hash3(0xd7a1, t, s) % 8 == 0 ? QIRING_OPT_WAIT_DRAIN : 0;
}

/* Does submission (t, s) carry an invalid descriptor, and where? */
static bool is_bad(unsigned int t, u64 s, u32 *where)
{
	u32 c = count_of(t, s);
	u64 x = hash3(0x1bad, t, s);

	if (!opt_iqe || !c || x % opt_iqe)
		return false;
	if (where)
		*where = (u32)((x >> 32) % c);
	return true;
}

static u64 type_of(unsigned int t, u64 s, u32 i)
{
	u64 x;
	u32 k;

	if (is_bad(t, s, &k) && k == i)
		return 0xf;			/* no such type: IQE */
	x = mix(hash3(0xde7, t, s) ^ i);
	if (opt_devtlb && x % opt_devtlb == 0)
		/* a device-TLB invalidation; the extended one needs 32 bytes */
		return dsize == 32 && ((x >> 40) & 1) ? QIRING_TYPE_DEIOTLB :
							 QIRING_TYPE_DIOTLB;
	return 0x2;				/* an IOTLB invalidation */
}

/* Is the device of the ITE that hit attempt a of (t, s) gone? */
static bool gone_of(unsigned int t, u64 s, u32 a)
{
	return opt_gone && mix(hash3(0x60e, t, s) ^ a) % opt_gone == 0;
}

/* ---- the checker: device side, serialized by the model ------------------ */

enum { LAST_NONE, LAST_FULL, LAST_DISCARD };
#define F_GONE	0x1	/* an ITE whose device was gone discarded it */
#define F_DEAD	0x2	/* an ITE discarded it after its owner had returned */
#define F_IQE	0x4	/* its full run raised IQE (its planted descriptor) */
#define F_LATE	0x8	/* its full run came after its owner had returned */

struct rec {
	u16 attempts;		/* attempts the device started */
	u16 discards;		/* ...that an ITE discarded */
	u8 full;		/* full runs: descriptors and own wait */
	u8 last;		/* LAST_* */
	u8 flags;		/* F_* */
	s8 rc;			/* what the owner's call returned (submitter side) */
};

static struct rec *recs;
#define REC(t, s)	(recs[(u64)(t) * per_thread + (s)])

static struct {
	int open_tid;			/* attempt being executed, -1 if none */
	u64 cur_seq[MAX_THREADS];
	u32 cur_idx[MAX_THREADS];
	u64 last_seq[MAX_THREADS];	/* last attempt started */
	bool started[MAX_THREADS];
	bool iqe_in_attempt[MAX_THREADS];
	int iqe_slot;			/* slot awaiting its replacement, or -1 */
	bool ite_gone;			/* the open attempt's ITE: device gone */
	u64 events, lone_waits, full_runs, discards, gone_discards;
	u64 dead_discards, late_full, ites, iqes, iqes_aborted, replacements;
	u64 errors;
	char first_error[256];
} chk;

/* Written by submitters, read by the checker. */
static _Atomic u64 done_seq[MAX_THREADS];	/* s + 1 once (t, s) returned */
static _Atomic u64 completed[MAX_THREADS];	/* s + 1 once (t, s)'s wait ran */
static _Atomic bool pending_gone;		/* the last ITE's answer, for the hook */
static _Atomic u64 hook_calls, hook_gone;
static _Atomic u64 slow_ns;			/* set by the controller */
static _Atomic bool held;			/* ditto */

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (chk.errors++)
		return;
	va_start(ap, fmt);
	vsnprintf(chk.first_error, sizeof(chk.first_error), fmt, ap);
	va_end(ap);
}

static void on_wait(const struct qr_dev_event *ev)
{
	unsigned int t;
	struct rec *r;
	u64 s;

	if (chk.iqe_slot >= 0) {
		if (ev->kind != QR_DEV_EXEC || chk.iqe_slot != (int)ev->slot ||
		    chk.open_tid < 0) {
			fail("wait at slot %u (event %d) while IQE at slot %d was "
			     "pending", ev->slot, (int)ev->kind, chk.iqe_slot);
			return;
		}
		/* The owner's wait, copied over the invalid descriptor. */
		chk.iqe_slot = -1;
		chk.replacements++;
		chk.cur_idx[chk.open_tid]++;
		return;
	}
	if (chk.open_tid < 0) {
		if (ev->kind != QR_DEV_EXEC)
			fail("lone wait at slot %u: event %d (only device-TLB "
			     "descriptors time out)", ev->slot, (int)ev->kind);
		else
			chk.lone_waits++;
		return;
	}
	t = (unsigned int)chk.open_tid;
	s = chk.cur_seq[t];
	r = &REC(t, s);
	chk.open_tid = -1;
	if (chk.cur_idx[t] != count_of(t, s)) {
		fail("wait after %u of %u descriptors of (%u, %" PRIu64 ")",
		     chk.cur_idx[t], count_of(t, s), t, s);
		return;
	}
	if (ev->kind == QR_DEV_DISCARD) {
		/* The end of an ITE discard: this attempt is over. */
		r->discards++;
		r->last = LAST_DISCARD;
		chk.discards++;
		if (chk.ite_gone) {
			r->flags |= F_GONE;
			chk.gone_discards++;
		}
		if (atomic_load_explicit(&done_seq[t], memory_order_acquire) > s) {
			r->flags |= F_DEAD;
			chk.dead_discards++;
		}
		if (chk.iqe_in_attempt[t])
			chk.iqes_aborted++;
		chk.iqe_in_attempt[t] = false;
		chk.ite_gone = false;
		return;
	}
	if (ev->kind != QR_DEV_EXEC) {
		fail("wait of (%u, %" PRIu64 "): event %d", t, s, (int)ev->kind);
		return;
	}
	if (r->full) {
		fail("(%u, %" PRIu64 ") ran in full twice", t, s);
		return;
	}
	r->full = 1;
	r->last = LAST_FULL;
	chk.full_runs++;
	if (chk.iqe_in_attempt[t])
		r->flags |= F_IQE;
	chk.iqe_in_attempt[t] = false;
	if (atomic_load_explicit(&done_seq[t], memory_order_acquire) > s) {
		r->flags |= F_LATE;
		chk.late_full++;
	}
	atomic_store_explicit(&completed[t], s + 1, memory_order_release);
}

static void on_exec(void *arg, const struct qr_dev_event *ev)
{
	u64 type = ev->desc.qw0 & QIRING_TYPE_MASK, s;
	unsigned int t;
	struct rec *r;
	u32 i;

	(void)arg;
	chk.events++;
	/* A slowed unit: every event takes this long (the executor spins). */
	if ((s = atomic_load_explicit(&slow_ns, memory_order_relaxed)))
		qr_dev_spin_ns(s);
	/* A held unit (the end of the run): until the controller lets go. */
	for (s = ktime_get_ns(); atomic_load_explicit(&held, memory_order_acquire) &&
	     ktime_get_ns() - s < 10 * SEC;)
		cpu_relax();
	if (type == QIRING_TYPE_IWD) {
		on_wait(ev);
		return;
	}
	if (chk.iqe_slot >= 0) {
		fail("slot %u executed while IQE at slot %d was pending",
		     ev->slot, chk.iqe_slot);
		return;
	}
	if ((ev->desc.qw0 >> 56) != MAGIC) {
		fail("descriptor without payload at slot %u (qw0 %" PRIx64 ")",
		     ev->slot, ev->desc.qw0);
		return;
	}
	t = (unsigned int)((ev->desc.qw0 >> 16) & 0xffff);
	s = ev->desc.qw1 >> 16;
	i = (u32)(ev->desc.qw1 & 0xffff);
	if (t >= nthreads || s >= per_thread || i >= MAX_COUNT) {
		fail("bad payload (%u, %" PRIu64 ", %u) at slot %u", t, s, i, ev->slot);
		return;
	}
	if (chk.open_tid >= 0 && chk.open_tid != (int)t) {
		fail("(%u, %" PRIu64 ", %u) interleaved into the open attempt of "
		     "submitter %d", t, s, i, chk.open_tid);
		return;
	}
	r = &REC(t, s);
	if (chk.open_tid < 0) {
		/* A new attempt. */
		if (i != 0)
			fail("attempt of (%u, %" PRIu64 ") starts at index %u", t, s, i);
		else if (!count_of(t, s))
			fail("(%u, %" PRIu64 ") has no descriptors", t, s);
		else if (chk.started[t] && s < chk.last_seq[t])
			fail("submitter %u: (%" PRIu64 ") after (%" PRIu64 "): out of "
			     "program order", t, s, chk.last_seq[t]);
		else if (chk.started[t] && s == chk.last_seq[t]) {
			if (r->last != LAST_DISCARD)
				fail("(%u, %" PRIu64 ") ran again after it completed",
				     t, s);
			else if (r->flags & F_GONE)
				fail("(%u, %" PRIu64 ") restarted after an ITE whose "
				     "device is gone", t, s);
			else if (r->flags & F_DEAD)
				fail("(%u, %" PRIu64 ") restarted after its owner "
				     "returned", t, s);
		}
		chk.started[t] = true;
		chk.last_seq[t] = s;
		chk.cur_seq[t] = s;
		chk.cur_idx[t] = 0;
		chk.open_tid = (int)t;
		r->attempts++;
	} else if (s != chk.cur_seq[t] || i != chk.cur_idx[t]) {
		fail("submitter %u: got (%" PRIu64 ", %u), expected (%" PRIu64 ", %u) "
		     "(lost, duplicated or reordered)", t, s, i, chk.cur_seq[t],
		     chk.cur_idx[t]);
		return;
	}
	if (type != type_of(t, s, i)) {
		fail("(%u, %" PRIu64 ", %u): descriptor type changed", t, s, i);
		return;
	}
	switch (ev->kind) {
	case QR_DEV_EXEC:
		chk.cur_idx[t]++;
		break;
	case QR_DEV_IQE:
		if (type != 0xf) {
			fail("IQE on a valid descriptor at slot %u", ev->slot);
			break;
		}
		chk.iqes++;
		chk.iqe_in_attempt[t] = true;
		chk.iqe_slot = (int)ev->slot;	/* replaced, then re-fetched */
		break;
	case QR_DEV_ITE:
		if (type != QIRING_TYPE_DIOTLB && type != QIRING_TYPE_DEIOTLB)
			fail("ITE on a type %" PRIu64 " descriptor", type);
		chk.ites++;
		/* Whether this ITE's device is gone: the hook's answer. */
		chk.ite_gone = gone_of(t, s, r->attempts);
		atomic_store_explicit(&pending_gone, chk.ite_gone, memory_order_release);
		break;
	case QR_DEV_DISCARD:
		chk.cur_idx[t]++;		/* ends at the attempt's wait */
		break;
	}
}

/* Asked by the ring's ITE handler, once per ITE, while ITE is set. */
static bool ite_target_gone(void *hw)
{
	/* Pairs with the release above; the model raised ITE after it. */
	bool g = atomic_load_explicit(&pending_gone, memory_order_acquire);

	(void)hw;
	atomic_fetch_add_explicit(&hook_calls, 1, memory_order_relaxed);
	if (g)
		atomic_fetch_add_explicit(&hook_gone, 1, memory_order_relaxed);
	return g;
}

/* ---- submitters ----------------------------------------------------------- */

static _Atomic u32 generation;		/* bumped by every enable */
static _Atomic u64 finished;		/* submissions returned for good */
static _Atomic unsigned int stopped;	/* submitters done */
static _Atomic u64 enodev, split_wait_timeouts, split_restarts, stall_reports;
static _Atomic u64 sub_errors;
static pthread_mutex_t sub_err_lock = PTHREAD_MUTEX_INITIALIZER;
static char sub_first_error[256];

__attribute__((format(printf, 1, 2)))
static void sub_fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&sub_errors, 1))
		return;
	pthread_mutex_lock(&sub_err_lock);
	va_start(ap, fmt);
	vsnprintf(sub_first_error, sizeof(sub_first_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&sub_err_lock);
}

/*
 * The split API, to the end: 0, -EINVAL (IQE), -ETIMEDOUT (departed
 * device) or -ENODEV (disabled before a reservation: nothing held).
 */
static int split_submit(unsigned int t, u64 s, const struct qiring_desc *d,
			u32 c, enum road road)
{
	struct qiring_ticket tk;
	u32 i;
	int rc;

	for (;;) {
		rc = qiring_reserve(&ring, c, &tk);
		if (rc)
			return rc;
		for (i = 0; i < c; i++)
			if (qiring_write(&ring, &tk, i, &d[i]))
				sub_fail("(%u, %" PRIu64 "): write %u refused", t, s, i);
		if (qiring_publish(&ring, &tk, options_of(t, s)))
			sub_fail("(%u, %" PRIu64 "): publish refused", t, s);
		if (road == R_SPLIT_POLL) {
			while ((rc = qiring_poll(&ring, &tk)) == -EINPROGRESS)
				qr_dev_relax(dev);
		} else {
			rc = qiring_wait_timeout(&ring, &tk, timeout_of(t, s));
			if (rc == -ETIMEDOUT) {
				/* The bound passed, or the device is gone. */
				rc = qiring_poll(&ring, &tk);
				if (rc == -EINPROGRESS) {
					/* Still ours, in flight: wait it out. */
					atomic_fetch_add(&split_wait_timeouts, 1);
					rc = qiring_wait(&ring, &tk);
				}
			}
		}
		if (qiring_release(&ring, &tk))
			sub_fail("(%u, %" PRIu64 "): release after %d refused", t, s, rc);
		if (qiring_release(&ring, &tk) != -EINVAL)
			sub_fail("(%u, %" PRIu64 "): second release accepted", t, s);
		if (rc != -EAGAIN)
			return rc;
		atomic_fetch_add(&split_restarts, 1);	/* ITE: resubmit */
	}
}

static void *submitter(void *arg)
{
	unsigned int t = (unsigned int)(uintptr_t)arg;
	struct qiring_desc d[MAX_COUNT];
	enum road road;
	u32 c, i, gen;
	u64 s;
	int rc;

	for (s = 0; s < per_thread; s++) {
		c = count_of(t, s);
		road = road_of(t, s);
		for (i = 0; i < c; i++) {
			d[i].qw0 = type_of(t, s, i) | ((u64)t << 16) | (MAGIC << 56);
			d[i].qw1 = (s << 16) | i;
			d[i].qw2 = 0;
			d[i].qw3 = 0;
		}
		for (;;) {
			gen = atomic_load_explicit(&generation, memory_order_acquire);
			switch (road) {
			case R_SHORT:
				rc = qiring_submit_timeout(&ring, d, c, options_of(t, s),
							   timeout_of(t, s));
				break;
			case R_SYNC:
				rc = qiring_submit_sync(&ring, d, c, options_of(t, s));
				break;
			case R_LONG:
				rc = qiring_submit_timeout(&ring, d, c, options_of(t, s),
							   HANG_NS);
				break;
			default:
				rc = split_submit(t, s, d, c, road);
				break;
			}
			if (rc != -ENODEV)
				break;
			/* Disabled: it never ran; retry it after the next enable. */
			atomic_fetch_add(&enodev, 1);
			while (atomic_load_explicit(&generation, memory_order_acquire) == gen)
				sched_yield();
		}
		REC(t, s).rc = (s8)rc;
		if (rc == 0 || rc == -EINVAL) {
			if ((rc == -EINVAL) != is_bad(t, s, NULL))
				sub_fail("(%u, %" PRIu64 ") %s returned %d%s", t, s,
					 road_name[road], rc, rc ? " (not planted)" :
					 " (planted: expected -EINVAL)");
			if (c && atomic_load_explicit(&completed[t], memory_order_acquire)
				 != s + 1)
				sub_fail("(%u, %" PRIu64 ") %s returned %d before its wait "
					 "ran", t, s, road_name[road], rc);
		} else if (rc == -ETIMEDOUT) {
			if (road != R_SHORT && !opt_gone)
				sub_fail("(%u, %" PRIu64 ") %s returned -ETIMEDOUT (no "
					 "departed device)", t, s, road_name[road]);
		} else {
			sub_fail("(%u, %" PRIu64 ") %s returned %d", t, s,
				 road_name[road], rc);
		}
		/* Pairs with the checker's acquire: a later discard is an orphan's. */
		atomic_store_explicit(&done_seq[t], s + 1, memory_order_release);
		atomic_fetch_add_explicit(&finished, 1, memory_order_relaxed);
	}
	atomic_fetch_add(&stopped, 1);
	return NULL;
}

static void stall(void *arg, const struct qiring_stall *st)
{
	(void)arg;
	(void)st;
	atomic_fetch_add_explicit(&stall_reports, 1, memory_order_relaxed);
}

/* ---- the controller --------------------------------------------------------- */

static void hang(const char *where)
{
	unsigned int t;

	fprintf(stderr, "mixed: no progress for %llu s %s: %" PRIu64 " of %" PRIu64
		" submissions returned, %u submitters done, IQH %u IQT %u FSTS %#x\n",
		HANG_NS / SEC, where, atomic_load(&finished),
		(u64)nthreads * per_thread, atomic_load(&stopped),
		qr_dev_read_head(dev), qr_dev_read_tail(dev), qr_dev_read_fault(dev));
	for (t = 0; t < nthreads; t++)
		fprintf(stderr, "mixed: submitter %u returned %" PRIu64 ", last wait ran "
			"%" PRIu64 "\n", t, atomic_load(&done_seq[t]),
			atomic_load(&completed[t]));
	fprintf(stderr, "mixed: seed %" PRIu64 ": FAILED (hang)\n", seed);
	_exit(1);	/* threads may still be inside the ring */
}

/* Until `target` submissions returned (or every submitter is done). */
static void progress_to(u64 target)
{
	while (atomic_load_explicit(&finished, memory_order_relaxed) < target &&
	       atomic_load(&stopped) < nthreads)
		usleep(100);
}

static struct qr_dev_counters counters(void)
{
	struct qr_dev_counters c;

	qr_dev_get_counters(dev, &c);
	return c;
}

static u64 disable_busy, ticket_busy, ctl_lone, slowed_cycles, quiesce_errors;
static u64 ctl_ran, ctl_tmo;		/* the controller's lone waits, 1 us bound */
static u64 orphan_busy, busy_cycles;
static _Atomic u64 ctl_steps;		/* the controller's progress */

/*
 * Disable until 0 (the device keeps running), or just once, then check
 * quiescence. A slowed unit gets its speed back after the first -EBUSY.
 */
static int disable_quiescent(const char *when, bool slowed, bool once)
{
	u64 start = ktime_get_ns(), executed, tries = 0;
	int rc;

	while ((rc = qiring_disable(&ring)) == -EBUSY && !once) {
		busy_cycles += !tries++;
		disable_busy++;
		atomic_fetch_add_explicit(&ctl_steps, 1, memory_order_relaxed);
		if (slowed) {
			atomic_store(&slow_ns, 0);
			slowed = false;
		}
		if (ktime_get_ns() - start > HANG_NS)
			hang("in disable (-EBUSY)");
		sched_yield();
	}
	if (slowed)
		atomic_store(&slow_ns, 0);
	if (rc) {
		fprintf(stderr, "mixed: %s: disable returned %d\n", when, rc);
		quiesce_errors++;
		return rc;
	}
	/*
	 * Every slot is released: the unit has nothing left. Take the model's
	 * execution lock (an executor may still be between a status write and
	 * its IQH update) and make sure it finds nothing to run.
	 */
	executed = counters().executed;
	qr_dev_run(dev);
	if (counters().executed != executed ||
	    qiring_free_slots(&ring) != slots - 1 ||
	    qr_dev_read_head(dev) != qr_dev_read_tail(dev) ||
	    (qr_dev_read_fault(dev) & (QIRING_FSTS_IQE | QIRING_FSTS_ITE))) {
		fprintf(stderr, "mixed: %s: disabled but not quiescent: %u free of "
			"%u, IQH %u IQT %u FSTS %#x, %" PRIu64 " executed after\n",
			when, qiring_free_slots(&ring), slots - 1,
			qr_dev_read_head(dev), qr_dev_read_tail(dev),
			qr_dev_read_fault(dev), counters().executed - executed);
		quiesce_errors++;
		return -EIO;
	}
	return 0;
}

/* Resume: the unit programmed again (IQH = IQT = 0), then the ring. */
static void resume(void)
{
	qr_dev_set_queue(dev, desc_mem, slots, dsize, status_mem,
			 qiring_status_words(slots));
	if (qiring_enable(&ring) != 0 || qiring_enable(&ring) != -EBUSY) {
		fprintf(stderr, "mixed: enable failed\n");
		quiesce_errors++;
	}
	atomic_fetch_add_explicit(&generation, 1, memory_order_release);
}

/*
 * One suspend/resume cycle. On every slow-th cycle the unit takes
 * 2 * stall_ns per descriptor (as a device-TLB invalidation may take
 * milliseconds) until disable first says -EBUSY, and the controller leaves
 * an orphan of its own just before disabling (a lone wait with a 1 us
 * bound), so that an orphan outlives disable's wait for it.
 */
static void cycle(u64 c)
{
	bool slowed = opt_slow && c % opt_slow == opt_slow - 1;
	int rc;

	if (slowed) {
		atomic_store(&slow_ns, 2 * opt_stall);
		slowed_cycles++;
		rc = qiring_submit_timeout(&ring, NULL, 0, 0, 1 * US);
		if (rc == 0) {
			ctl_ran++;
		} else if (rc == -ETIMEDOUT) {
			ctl_tmo++;
		} else {
			fprintf(stderr, "mixed: cycle %" PRIu64 ": own submission %d\n",
				c, rc);
			quiesce_errors++;
		}
	}
	disable_quiescent("cycle", slowed, false);	/* errors counted; go on */
	resume();
}

/*
 * Orphans may still be in flight, perhaps behind an ITE nobody polls for
 * now. Let the device finish them, as an embedder's fault interrupt would
 * (check faults, reclaim).
 */
static void device_finish(void)
{
	while (qiring_free_slots(&ring) != slots - 1) {
		qiring_check_faults(&ring);
		qr_dev_relax(dev);
	}
}

/*
 * With the submitters gone: a published ticket nobody released keeps the
 * ring busy; disable and enable say -EBUSY until its owner releases it.
 * (Under load the controller cannot hold one across disable: submitters
 * behind it wait for room inside the ring, and disable waits for them.)
 */
static void held_ticket(void)
{
	struct qiring_ticket tk;
	int rc;

	if (qiring_reserve(&ring, 0, &tk) || qiring_publish(&ring, &tk, 0)) {
		fprintf(stderr, "mixed: no ticket at the end\n");
		quiesce_errors++;
		return;
	}
	rc = qiring_disable(&ring);
	if (rc != -EBUSY || qiring_enable(&ring) != -EBUSY) {
		fprintf(stderr, "mixed: disable %d with a ticket held\n", rc);
		quiesce_errors++;
	}
	ticket_busy++;
	rc = qiring_wait(&ring, &tk);
	if (rc || qiring_release(&ring, &tk)) {
		fprintf(stderr, "mixed: own ticket %d\n", rc);
		quiesce_errors++;
	}
	ctl_lone++;
}

/*
 * With the submitters gone and the device on its own thread: hold the unit,
 * leave an orphan (a lone wait with a 1 us bound), and disable must wait
 * for it (stall_ns) and say -EBUSY; let the unit go, and disable says 0.
 * (Under load the same happens only by chance: submitters waiting for room
 * reserve behind the orphan, and disable's grace period waits for them.)
 */
static void held_orphan(void)
{
	int rc;

	atomic_store_explicit(&held, true, memory_order_release);
	rc = qiring_submit_timeout(&ring, NULL, 0, 0, 1 * US);
	if (rc == -ETIMEDOUT) {
		ctl_tmo++;
		rc = qiring_disable(&ring);
		if (rc != -EBUSY) {
			fprintf(stderr, "mixed: disable %d with an orphan in flight\n", rc);
			quiesce_errors++;
		} else {
			orphan_busy++;
		}
	} else if (rc == 0) {
		ctl_ran++;	/* the unit took it before it was held */
	} else {
		fprintf(stderr, "mixed: own submission %d at the end\n", rc);
		quiesce_errors++;
	}
	atomic_store_explicit(&held, false, memory_order_release);
}

/*
 * The hang detector, on its own thread: nothing returned, nothing executed
 * and the controller did not move for HANG_NS.
 */
static _Atomic bool watching = true;

static void *watchdog(void *arg)
{
	u64 last = ~0ull, since = ktime_get_ns(), now, v;

	(void)arg;
	while (atomic_load_explicit(&watching, memory_order_relaxed)) {
		v = atomic_load_explicit(&finished, memory_order_relaxed) +
		    counters().executed +
		    atomic_load_explicit(&ctl_steps, memory_order_relaxed);
		now = ktime_get_ns();
		if (v != last) {
			last = v;
			since = now;
		} else if (now - since > HANG_NS) {
			hang("in the run");
		}
		usleep(10000);
	}
	return NULL;
}

/* ---- main -------------------------------------------------------------------- */

static int parse_opt(char *arg)
{
	char *eq = strchr(arg, '=');
	u64 v;

	if (!eq)
		return -1;
	*eq++ = 0;
	if (!strcmp(arg, "profile")) {
		profile_name = eq;
		profile = !strcmp(eq, "slow") ? &profile_slow : qr_profile_find(eq);
		return profile ? 0 : -1;
	}
	v = strtoull(eq, NULL, 0);
	if (!strcmp(arg, "cycles"))
		opt_cycles = v;
	else if (!strcmp(arg, "tmo"))
		opt_tmo = v;
	else if (!strcmp(arg, "tmin") && v)
		opt_tmin = v;
	else if (!strcmp(arg, "tmax") && v)
		opt_tmax = v;
	else if (!strcmp(arg, "split"))
		opt_split = v;
	else if (!strcmp(arg, "ite"))
		opt_ite = v;
	else if (!strcmp(arg, "burst"))
		opt_burst = v;
	else if (!strcmp(arg, "devtlb"))
		opt_devtlb = v;
	else if (!strcmp(arg, "ice"))
		opt_ice = v;
	else if (!strcmp(arg, "iqe"))
		opt_iqe = v;
	else if (!strcmp(arg, "gone"))
		opt_gone = v;
	else if (!strcmp(arg, "slow"))
		opt_slow = v;
	else if (!strcmp(arg, "stall") && v)
		opt_stall = v;
	else
		return -1;
	return 0;
}

#define CHECK_EQ(what, a, b) do {						\
	u64 a_ = (a), b_ = (b);							\
	if (a_ != b_) {								\
		fprintf(stderr, "mixed: books: %s: %" PRIu64 " != %" PRIu64 "\n",	\
			what, a_, b_);						\
		books++;							\
	}									\
} while (0)

int main(int argc, char **argv)
{
	struct qr_dev_config dc = { 0 };
	struct qiring_config cfg = { 0 };
	struct qr_dev_counters dcnt;
	struct qiring_stats st;
	pthread_t th[MAX_THREADS], wd;
	u64 by_road[R_NR][3] = { { 0 } };	/* 0, -EINVAL, -ETIMEDOUT */
	u64 total, s, start_ns, elapsed_ns, cycles_done = 0, books = 0, bad = 0;
	u64 tmo_full = 0, tmo_discarded = 0, tmo_gone = 0, tmo_unreached = 0;
	u64 tmo_lone = 0, lone_ok = 0, planted_einval = 0, d_short = 0;
	u64 d_other = 0, gone_other = 0, tmo_dead = 0, tmo_restarted = 0;
	u64 lone_late, attempts = 0, planted_full = 0, iqe_full = 0, nr_known = 0;
	s64 restarts_short, orphans_discarded, not_restarted;
	unsigned int t;
	int rc, ok;

	if (argc < 7) {
		fprintf(stderr, "usage: %s THREADS PER_THREAD SLOTS DESC_SIZE "
			"thread|lazy SEED [key=value...]\n", argv[0]);
		return 2;
	}
	nthreads = (unsigned int)strtoul(argv[1], NULL, 0);
	per_thread = strtoull(argv[2], NULL, 0);
	slots = (u32)strtoul(argv[3], NULL, 0);
	dsize = (u32)strtoul(argv[4], NULL, 0);
	seed = strtoull(argv[6], NULL, 0);
	if (!nthreads || nthreads > MAX_THREADS || !per_thread ||
	    per_thread >= (1ull << 40) || slots < QIRING_MIN_SLOTS ||
	    (dsize != 16 && dsize != 32)) {
		fprintf(stderr, "mixed: 1..%d threads, slots >= %u, 16 or 32 bytes\n",
			MAX_THREADS, QIRING_MIN_SLOTS);
		return 2;
	}
	for (t = 7; t < (unsigned int)argc; t++) {
		if (parse_opt(argv[t])) {
			fprintf(stderr, "mixed: bad option '%s'\n", argv[t]);
			return 2;
		}
	}
	if (opt_ite && !opt_devtlb)
		opt_devtlb = 4;
	if (opt_tmin > opt_tmax)
		opt_tmax = opt_tmin;
	max_count = slots - 2 < MAX_COUNT ? slots - 2 : MAX_COUNT;
	total = (u64)nthreads * per_thread;

	recs = calloc(total, sizeof(*recs));
	desc_mem = aligned_alloc(4096, ((size_t)slots * dsize + 4095) & ~(size_t)4095);
	status_mem = aligned_alloc(64, (qiring_status_words(slots) * 4 + 63) & ~63u);
	if (!recs || !desc_mem || !status_mem)
		return 2;
	memset(desc_mem, 0, (size_t)slots * dsize);
	chk.open_tid = -1;
	chk.iqe_slot = -1;

	dc.mode = strcmp(argv[5], "lazy") ? QR_DEV_THREAD : QR_DEV_LAZY;
	dc.profile = *profile;
	dc.on_exec = on_exec;
	dc.ite_one_in = opt_ite;
	dc.ite_burst = (u32)opt_burst;
	dc.ice_one_in = opt_ice;
	dc.seed = seed;
	dev = qr_dev_create(&dc);
	if (!dev)
		return 2;
	ops = qr_dev_hw_ops;
	if (opt_gone)
		ops.ite_target_gone = ite_target_gone;
	cfg.slots = slots;
	cfg.desc_size = dsize;
	cfg.desc = desc_mem;
	cfg.status = status_mem;
	cfg.status_dma = (u64)(uintptr_t)status_mem;
	cfg.ops = &ops;
	cfg.hw = dev;
	cfg.stall_ns = opt_stall;
	cfg.stall_report = stall;
	if (qiring_init(&ring, &cfg)) {
		fprintf(stderr, "mixed: qiring_init failed\n");
		return 2;
	}
	qr_dev_set_queue(dev, desc_mem, slots, dsize, status_mem,
			 qiring_status_words(slots));

	start_ns = ktime_get_ns();
	pthread_create(&wd, NULL, watchdog, NULL);
	for (t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, submitter, (void *)(uintptr_t)t);

	/* Disable/enable cycles spread over the run, by progress. */
	for (cycles_done = 0; cycles_done < opt_cycles; cycles_done++) {
		progress_to((cycles_done + 1) * total / (opt_cycles + 1));
		cycle(cycles_done);
		atomic_fetch_add_explicit(&ctl_steps, 1, memory_order_relaxed);
	}
	progress_to(total);
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);

	device_finish();
	held_ticket();
	if (dc.mode == QR_DEV_THREAD) {
		disable_quiescent("after the held ticket", false, false);
		resume();
		held_orphan();
		device_finish();
	}
	/* The device finished everything: disable says 0 at once. */
	disable_quiescent("end", false, true);
	rc = qiring_destroy(&ring);
	if (rc) {
		fprintf(stderr, "mixed: destroy returned %d\n", rc);
		quiesce_errors++;
	}
	/* Freed at once: the ring and the unit must be done with them. */
	free(desc_mem);
	free(status_mem);
	if (qiring_submit_sync(&ring, NULL, 0, 0) != -ENODEV ||
	    qiring_enable(&ring) != -EINVAL)
		quiesce_errors++;
	if (qr_dev_read_head(dev) != qr_dev_read_tail(dev))
		quiesce_errors++;
	elapsed_ns = ktime_get_ns() - start_ns;
	atomic_store(&watching, false);
	pthread_join(wd, NULL);
	dcnt = counters();
	qr_dev_destroy(dev);	/* joins the device thread: its writes are ours */
	qiring_get_stats(&ring, &st);

	/* ---- per submission ---- */
	for (t = 0; t < nthreads; t++) {
		for (s = 0; s < per_thread; s++) {
			const struct rec *r = &REC(t, s);
			enum road road = road_of(t, s);
			u32 c = count_of(t, s);
			bool planted = is_bad(t, s, NULL);
			const char *why = NULL;

			attempts += r->attempts;
			iqe_full += !!(r->flags & F_IQE);
			planted_full += planted && road != R_SHORT && r->last == LAST_FULL;
			nr_known += road == R_SHORT && r->last == LAST_DISCARD &&
				    (r->flags & (F_GONE | F_DEAD));
			if (road == R_SHORT)
				d_short += r->discards;
			else
				d_other += r->discards;
			if (r->attempts != r->full + r->discards || r->full > 1)
				why = "attempts do not add up";
			switch (r->rc) {
			case 0:
				by_road[road][0]++;
				if (!c)
					lone_ok++;
				else if (r->full != 1 || r->last != LAST_FULL ||
					 (r->flags & (F_GONE | F_LATE)))
					why = "returned 0 without exactly one final full run";
				break;
			case -EINVAL:
				by_road[road][1]++;
				planted_einval += road != R_SHORT;
				if (!planted || r->full != 1 || r->last != LAST_FULL ||
				    !(r->flags & F_IQE) || (r->flags & F_LATE))
					why = "-EINVAL without its IQE and its wait";
				break;
			case -ETIMEDOUT:
				by_road[road][2]++;
				if (road != R_SHORT) {
					gone_other++;
					if (r->last != LAST_DISCARD || !(r->flags & F_GONE))
						why = "-ETIMEDOUT without a departed device";
					break;
				}
				if (!c) {
					tmo_lone++;
				} else if (r->last == LAST_FULL) {
					tmo_full++;	/* ran after its owner left */
					if (planted && !(r->flags & F_IQE))
						why = "planted, ran in full without IQE";
				} else if (r->last == LAST_DISCARD) {
					tmo_discarded++;
					tmo_gone += !!(r->flags & F_GONE);
					tmo_dead += !!(r->flags & F_DEAD);
				} else {
					tmo_unreached++;
				}
				tmo_restarted += r->discards > 1 ||
						 (r->discards && r->last == LAST_FULL);
				break;
			default:
				why = "no or bad return value";
				break;
			}
			/* A departed device's submission never ends otherwise. */
			if ((r->flags & F_GONE) &&
			    (r->rc != -ETIMEDOUT || r->last != LAST_DISCARD))
				why = "aborted by a departed-device ITE, not -ETIMEDOUT";
			if (why && !bad++)
				fprintf(stderr, "mixed: (%u, %" PRIu64 ") %s, count %u, "
					"rc %d: %s (attempts %u, discards %u, full %u, "
					"last %u, flags %#x)\n", t, s, road_name[road], c,
					r->rc, why, r->attempts, r->discards, r->full,
					r->last, r->flags);
		}
	}

	/* ---- the books ---- */
	CHECK_EQ("ITE injected vs waits aborted", dcnt.ite, dcnt.aborted_waits);
	CHECK_EQ("ITE injected vs attempts discarded", dcnt.ite, chk.discards);
	CHECK_EQ("ITE injected vs ITE events", dcnt.ite, chk.ites);
	CHECK_EQ("ITE injected vs ITE handled", dcnt.ite, st.ite);
	if (opt_gone) {
		CHECK_EQ("ITE handled vs hook questions", st.ite, atomic_load(&hook_calls));
		CHECK_EQ("hook 'gone' vs discards marked gone", atomic_load(&hook_gone),
			 chk.gone_discards);
	}
	CHECK_EQ("IQE raised vs IQE events", dcnt.iqe, chk.iqes);
	CHECK_EQ("IQE raised vs IQE handled", dcnt.iqe, st.iqe);
	CHECK_EQ("IQE raised vs replacement waits", dcnt.iqe, chk.replacements);
	CHECK_EQ("IQE events vs full runs with IQE + IQE in discarded attempts",
		 chk.iqes, iqe_full + chk.iqes_aborted);
	CHECK_EQ("-EINVAL returns (no deadline) vs planted that ran in full",
		 planted_einval, planted_full);
	CHECK_EQ("status writes", dcnt.waits_written,
		 chk.full_runs + chk.lone_waits + chk.replacements);
	CHECK_EQ("waits published", st.submissions,
		 chk.full_runs + chk.lone_waits + chk.discards);
	CHECK_EQ("attempts", attempts, chk.full_runs + chk.discards);
	CHECK_EQ("discards", chk.discards, d_short + d_other);
	CHECK_EQ("bad status addresses", dcnt.bad_status_addr, 0);
	/*
	 * Restarts. On the sync and long roads every discard is a restart but
	 * the departed-device ones; the split roads restart in the test. What
	 * is left of the core's count is the short road's.
	 */
	{
		u64 split_d = 0, nosplit_gone = 0;

		for (t = 0; t < nthreads; t++)
			for (s = 0; s < per_thread; s++) {
				enum road road = road_of(t, s);

				if (road == R_SPLIT_POLL || road == R_SPLIT_WAIT)
					split_d += REC(t, s).discards;
				else if (road != R_SHORT && REC(t, s).rc == -ETIMEDOUT)
					nosplit_gone++;
			}
		CHECK_EQ("split discards vs test restarts + departed",
			 split_d, atomic_load(&split_restarts) +
			 by_road[R_SPLIT_POLL][2] + by_road[R_SPLIT_WAIT][2]);
		restarts_short = (s64)st.restarts -
				 (s64)(d_other - split_d - nosplit_gone);
	}
	not_restarted = (s64)d_short - restarts_short;
	/* Lone waits are never discarded: one that ran and timed out is an orphan. */
	/* the controller's lone waits count as the short road's */
	lone_ok += ctl_lone + ctl_ran;
	tmo_lone += ctl_tmo;
	lone_late = chk.lone_waits - lone_ok;
	orphans_discarded = (s64)st.orphans - (s64)tmo_full - (s64)lone_late;
	if (restarts_short < 0 || not_restarted < (s64)nr_known ||
	    chk.lone_waits < lone_ok || lone_late > tmo_lone ||
	    orphans_discarded < (s64)tmo_dead ||
	    orphans_discarded > not_restarted ||
	    orphans_discarded > (s64)tmo_discarded) {
		fprintf(stderr, "mixed: books: short road: %" PRId64 " restarts, %"
			PRId64 " discards not restarted, orphans %" PRIu64 " = %" PRIu64
			" ran late + %" PRIu64 " lone + %" PRId64 " discarded (at least "
			"%" PRIu64 ", at most min(%" PRId64 ", %" PRIu64 "))\n",
			restarts_short, not_restarted, st.orphans, tmo_full,
			lone_late, orphans_discarded, tmo_dead,
			not_restarted, tmo_discarded);
		books++;
	}
	if (chk.open_tid != -1 || chk.iqe_slot != -1) {
		fprintf(stderr, "mixed: an attempt was left open at the end\n");
		books++;
	}

	ok = !chk.errors && !atomic_load(&sub_errors) && !bad && !books &&
	     !quiesce_errors && cycles_done == opt_cycles;
	if (chk.errors)
		fprintf(stderr, "mixed: %" PRIu64 " checker errors, first: %s\n",
			chk.errors, chk.first_error);
	if (atomic_load(&sub_errors))
		fprintf(stderr, "mixed: %" PRIu64 " submitter errors, first: %s\n",
			atomic_load(&sub_errors), sub_first_error);
	if (quiesce_errors || cycles_done != opt_cycles)
		fprintf(stderr, "mixed: %" PRIu64 " quiescence errors, %" PRIu64 " of %"
			PRIu64 " cycles\n", quiesce_errors, cycles_done, opt_cycles);

	printf("mixed: %u threads x %" PRIu64 " submissions, %u slots x %uB, device "
	       "%s/%s, seed %" PRIu64 ", %.2f s\n", nthreads, per_thread, slots, dsize,
	       argv[5], profile_name, seed, (double)elapsed_ns / 1e9);
	printf("  returned: 0 %" PRIu64 ", -EINVAL %" PRIu64 ", -ETIMEDOUT %" PRIu64
	       ", -ENODEV (retried) %" PRIu64 "\n",
	       by_road[0][0] + by_road[1][0] + by_road[2][0] + by_road[3][0] + by_road[4][0],
	       by_road[0][1] + by_road[1][1] + by_road[2][1] + by_road[3][1] + by_road[4][1],
	       by_road[0][2] + by_road[1][2] + by_road[2][2] + by_road[3][2] + by_road[4][2],
	       atomic_load(&enodev));
	for (t = 0; t < R_NR; t++)
		printf("  %-10s 0 %" PRIu64 ", -EINVAL %" PRIu64 ", -ETIMEDOUT %" PRIu64
		       "\n", road_name[t], by_road[t][0], by_road[t][1], by_road[t][2]);
	printf("  timed out (short): %" PRIu64 " ran in full after the owner left, %"
	       PRIu64 " discarded by an ITE (%" PRIu64 " device gone, %" PRIu64
	       " after the owner left), %" PRIu64 " never reached the ring, %" PRIu64
	       " lone waits (%" PRIu64 " ran after the owner left); %" PRIu64
	       " had restarted first\n", tmo_full, tmo_discarded, tmo_gone, tmo_dead,
	       tmo_unreached, tmo_lone, lone_late, tmo_restarted);
	printf("  orphans %" PRIu64 " = %" PRIu64 " ran late + %" PRIu64 " lone + %"
	       PRId64 " discarded (bounds %" PRIu64 "..%" PRId64 "); restarts %" PRIu64
	       " (short road %" PRId64 "), split: %" PRIu64 " restarts, %" PRIu64
	       " wait timeouts\n", st.orphans, tmo_full, lone_late,
	       orphans_discarded, tmo_dead,
	       not_restarted < (s64)tmo_discarded ? not_restarted : (s64)tmo_discarded,
	       st.restarts, restarts_short, atomic_load(&split_restarts),
	       atomic_load(&split_wait_timeouts));
	printf("  faults: ITE %" PRIu64 " (gone %" PRIu64 ", -ETIMEDOUT off the short "
	       "road %" PRIu64 "), IQE %" PRIu64 " (%" PRIu64 " in discarded attempts), "
	       "ICE %" PRIu64 " raised / %" PRIu64 " cleared\n", dcnt.ite,
	       chk.gone_discards, gone_other, dcnt.iqe, chk.iqes_aborted, dcnt.ice,
	       st.ice);
	printf("  cycles %" PRIu64 " (%" PRIu64 " with the unit slowed): disable "
	       "said -EBUSY in %" PRIu64 " (%" PRIu64 " calls: orphans or split "
	       "tickets in flight); at the end %" PRIu64 " with a ticket held, %"
	       PRIu64 " with an orphan held; the controller's 1 us lone waits: %"
	       PRIu64 " timed out, %" PRIu64 " in time\n", cycles_done,
	       slowed_cycles, busy_cycles, disable_busy, ticket_busy, orphan_busy,
	       ctl_tmo, ctl_ran);
	printf("  events %" PRIu64 ", full runs %" PRIu64 ", lone waits %" PRIu64
	       ", waits published %" PRIu64 ", tail writes %" PRIu64 ", stall "
	       "reports %" PRIu64 "\n", chk.events, chk.full_runs, chk.lone_waits,
	       st.submissions, st.tail_writes, atomic_load(&stall_reports));
	printf("mixed: %s\n", ok ? "exactly once, in order, books balanced, quiescent"
				 : "FAILED");
	printf("%d passed, %d failed\n", ok, !ok);
	free(recs);
	return ok ? 0 : 1;
}
