// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the historical variants (legacy, tbf, locked: the dmar.c
 * renderings in tests/lib/variant_hist.c) and of smmuv3 (the arm-smmu-v3.c
 * command queue on VT-d, tests/lib/variant_smmuv3.c), with the lockfree core
 * alongside for comparison where the contract is the same. smmuv3 keeps
 * lockfree's contract where dmar.c's differs: IQE anywhere in a submission
 * is skipped and answered with -EINVAL, and a full queue is waited for
 * without giving up (Linux's SMMUv3 driver only reports "CMDQ timeout").
 *
 * Every check looks at what the device executed (the on_exec log), not just
 * at return codes: each descriptor carries its submission and index, and
 * a submission must show up as its descriptors exactly once, in order, in
 * consecutive slots, followed by its own wait. Device execution is either
 * inside the submitter's poll loop (QR_DEV_LAZY: deterministic), on the
 * model's own thread (QR_DEV_THREAD: racing the submitter), or nowhere
 * (QR_DEV_MANUAL: stalls). Nothing sleeps to synchronise.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "variant.h"

static int passed, failed;

#define CHECK(cond, ...) do {							\
	if (cond) {								\
		passed++;							\
	} else {								\
		failed++;							\
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed: ", __FILE__,	\
			__LINE__, __func__, #cond);				\
		fprintf(stderr, __VA_ARGS__);					\
		fputc('\n', stderr);						\
	}									\
} while (0)

#define MAGIC		0x5aull		/* qw0 bits 63:56 of every test descriptor */
#define TYPE_IOTLB	0x2ull
#define TYPE_BAD	0x0ull		/* no such type on either ring size */
#define QI_DONE		2u		/* Linux's QI_DONE: the historical status data */
#define SMMU_MSI_DONE	0u		/* smmuv3: the sync's MSI data, into its own slot */
#define STALL_NS	(50ull * 1000 * 1000)
#define HANG_NS		(5ull * 1000 * 1000 * 1000)	/* a hang fails, not times out */

/* ---- fixture: one device, one ring, an event log, stall reports -------- */

struct fixture {
	const struct qr_variant *v;
	struct qr_dev *dev;
	struct qr_vring *ring;
	u32 slots, dsize;
	bool hist;		/* legacy, tbf or locked */
	bool smmu;		/* smmuv3 */

	pthread_mutex_t lock;	/* the log: written by whoever runs the device */
	struct qr_dev_event *ev;
	unsigned int nev, maxev, lost;

	unsigned int nstall;	/* stall reports (from the submitting thread) */
	struct qiring_stall stall;
};

static void on_exec(void *arg, const struct qr_dev_event *e)
{
	struct fixture *f = arg;

	pthread_mutex_lock(&f->lock);
	if (f->nev < f->maxev)
		f->ev[f->nev++] = *e;
	else
		f->lost++;
	pthread_mutex_unlock(&f->lock);
}

static void on_stall(void *arg, const struct qiring_stall *s)
{
	struct fixture *f = arg;

	f->stall = *s;
	f->nstall++;
}

static struct fixture *fx_open(const struct qr_variant *v, enum qr_dev_mode mode,
			       u32 slots, u32 dsize, u64 stall_ns,
			       unsigned int maxev)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct qr_dev_config dc = { .mode = mode, .on_exec = on_exec };
	struct qr_vring_config vc = {
		.slots = slots, .desc_size = dsize,
		.stall_ns = stall_ns ? stall_ns : HANG_NS,
		.stall_report = on_stall,
	};

	if (!f)
		exit(2);
	f->v = v;
	f->slots = slots;
	f->dsize = dsize;
	f->hist = v == &qr_variant_legacy || v == &qr_variant_tbf ||
		  v == &qr_variant_locked;
	f->smmu = v == &qr_variant_smmuv3;
	f->maxev = maxev ? maxev : 4096;
	f->ev = calloc(f->maxev, sizeof(*f->ev));
	pthread_mutex_init(&f->lock, NULL);
	dc.on_exec_arg = f;
	vc.stall_arg = f;
	f->dev = qr_dev_create(&dc);
	vc.dev = f->dev;
	f->ring = f->dev ? v->create(&vc) : NULL;
	if (!f->ev || !f->ring) {
		fprintf(stderr, "%s: cannot create a %ux%u ring\n", v->name,
			slots, dsize);
		exit(2);
	}
	return f;
}

static void fx_close(struct fixture *f)
{
	struct qr_dev_counters d;

	qr_dev_get_counters(f->dev, &d);
	CHECK(d.bad_status_addr == 0, "%s: %" PRIu64 " status writes outside "
	      "desc_status[]", f->v->name, d.bad_status_addr);
	CHECK(f->lost == 0, "%s: event log overflowed", f->v->name);
	f->v->destroy(f->ring);
	qr_dev_destroy(f->dev);
	pthread_mutex_destroy(&f->lock);
	free(f->ev);
	free(f);
}

static unsigned int fx_nev(struct fixture *f)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = f->nev;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static struct qr_dev_event fx_ev(struct fixture *f, unsigned int i)
{
	struct qr_dev_event e;

	pthread_mutex_lock(&f->lock);
	e = f->ev[i];
	pthread_mutex_unlock(&f->lock);
	return e;
}

static void fx_clear(struct fixture *f)
{
	pthread_mutex_lock(&f->lock);
	f->nev = 0;
	pthread_mutex_unlock(&f->lock);
}

/*
 * Wait for the device to finish the descriptor it may still be executing
 * (qr_dev_run() takes the executor's lock): a device thread writes a wait's
 * status before it moves IQH past the wait, and smmuv3 frees the queue only
 * as far as IQH says, so right after a submission returns one slot may
 * still be the device's.
 */
static void fx_settle(struct fixture *f)
{
	qr_dev_run(f->dev);
}

/* The next slot a submission will take: IQT, once the ring is idle. */
static u32 fx_next_slot(struct fixture *f)
{
	return qr_dev_read_tail(f->dev);
}

/* ---- payloads ---------------------------------------------------------- */

/* Descriptor i of submission `tag`: every field says who it is. */
static struct qiring_desc mkdesc(u64 type, u32 tag, u32 i)
{
	struct qiring_desc d = {
		.qw0 = type | ((u64)(i & 0xff) << 16) | ((u64)tag << 24) |
		       (MAGIC << 56),
		.qw1 = ((u64)tag << 32) | 0xd0000000u | i,
		.qw2 = ~((u64)tag << 32 | i),
		.qw3 = 0x3333000000000000ull | ((u64)tag << 16) | i,
	};

	return d;
}

static void mkdescs(struct qiring_desc *d, u32 tag, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		d[i] = mkdesc(TYPE_IOTLB, tag, i);
}

/* What the device fetches of d on this ring: 16-byte slots hold qw0/qw1. */
static bool same_desc(const struct fixture *f, const struct qiring_desc *seen,
		      const struct qiring_desc *d)
{
	if (seen->qw0 != d->qw0 || seen->qw1 != d->qw1)
		return false;
	if (f->dsize == 16)
		return !seen->qw2 && !seen->qw3;
	return seen->qw2 == d->qw2 && seen->qw3 == d->qw3;
}

static bool is_wait(const struct qiring_desc *d)
{
	return (d->qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD;
}

/*
 * Events from..from+count must be d[0..count-1] executed in consecutive
 * slots, then event from+count the submission's own wait (status write on,
 * drain bit as asked; for the historical variants status data QI_DONE, for
 * smmuv3 status data 0 written into the wait's own slot, as SMMUv3's MSI is).
 * Returns the first descriptor's slot, or -1 after reporting.
 */
static long expect_run(struct fixture *f, unsigned int from,
		       const struct qiring_desc *d, unsigned int count,
		       unsigned long options, const char *what)
{
	struct qr_dev_event e;
	u32 first = 0;
	unsigned int i;

	if (fx_nev(f) < from + count + 1) {
		CHECK(0, "%s %s: %u events, expected at least %u", f->v->name,
		      what, fx_nev(f), from + count + 1);
		return -1;
	}
	for (i = 0; i <= count; i++) {
		e = fx_ev(f, from + i);
		if (i == 0)
			first = e.slot;
		if (e.kind != QR_DEV_EXEC ||
		    e.slot != ((first + i) & (f->slots - 1))) {
			CHECK(0, "%s %s: event %u: kind %d at slot %u, expected "
			      "an execution at slot %u", f->v->name, what,
			      from + i, (int)e.kind, e.slot,
			      (first + i) & (f->slots - 1));
			return -1;
		}
		if (i < count && !same_desc(f, &e.desc, &d[i])) {
			CHECK(0, "%s %s: slot %u ran %016" PRIx64 " %016" PRIx64
			      ", expected descriptor %u (%016" PRIx64 " %016"
			      PRIx64 ")", f->v->name, what, e.slot, e.desc.qw0,
			      e.desc.qw1, i, d[i].qw0, d[i].qw1);
			return -1;
		}
	}
	/* e is the wait */
	if (!is_wait(&e.desc) || !(e.desc.qw0 & QIRING_IWD_SW) ||
	    !(e.desc.qw0 & QIRING_IWD_PRQ_DRAIN) !=
	    !(options & QIRING_OPT_WAIT_DRAIN) ||
	    (f->dsize == 32 && (e.desc.qw2 || e.desc.qw3)) ||
	    (f->hist && (u32)(e.desc.qw0 >> 32) != QI_DONE) ||
	    /* smmuv3: the queue is page-aligned (IQA), the address its slot's */
	    (f->smmu && ((u32)(e.desc.qw0 >> 32) != SMMU_MSI_DONE ||
			 e.desc.qw1 < (u64)f->dsize * e.slot ||
			 (e.desc.qw1 - (u64)f->dsize * e.slot) % 4096))) {
		CHECK(0, "%s %s: slot %u: bad wait descriptor %016" PRIx64
		      " %016" PRIx64, f->v->name, what, e.slot, e.desc.qw0,
		      e.desc.qw1);
		return -1;
	}
	passed++;
	return first;
}

/* ---- tests ------------------------------------------------------------- */

static void test_create_errors(const struct qr_variant *v)
{
	static const struct { u32 slots, dsize; } bad[] = {
		{ 0, 16 }, { 1, 16 }, { 2, 16 }, { 3, 16 }, { 6, 16 },
		{ 48, 32 }, { 257, 16 }, { 16, 0 }, { 16, 8 }, { 16, 24 },
		{ 16, 64 },
	};
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL };
	struct qr_vring_config vc = { .slots = 16, .desc_size = 16 };
	struct qr_dev *dev = qr_dev_create(&dc);
	struct qr_vring *r;
	unsigned int i;

	CHECK(!v->create(NULL), "%s: created a ring without a config", v->name);
	vc.dev = dev;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vc.slots = bad[i].slots;
		vc.desc_size = bad[i].dsize;
		r = v->create(&vc);
		CHECK(!r, "%s: created a ring of %u x %u bytes", v->name,
		      bad[i].slots, bad[i].dsize);
		if (r)
			v->destroy(r);
	}
	vc.slots = 16;
	vc.desc_size = 16;
	vc.dev = NULL;
	r = v->create(&vc);
	CHECK(!r, "%s: created a ring without a device", v->name);
	if (r)
		v->destroy(r);
	/* The smallest good geometry is accepted, on either slot size. */
	vc.dev = dev;
	vc.slots = 4;
	for (vc.desc_size = 16; vc.desc_size <= 32; vc.desc_size += 16) {
		r = v->create(&vc);
		CHECK(r && v->free_slots(r) == 4, "%s: 4 x %u bytes: %s",
		      v->name, vc.desc_size, r ? "wrong free slots" : "refused");
		if (r)
			v->destroy(r);
	}
	qr_dev_destroy(dev);
}

/*
 * Counts 0, 1 and 16 (and a few others), with and without the drain bit,
 * over enough submissions to wrap the ring several times. Each one runs
 * exactly once, in order, then its wait; the ring is whole afterwards.
 */
static void test_basic(const struct qr_variant *v, enum qr_dev_mode mode,
		       u32 dsize)
{
	static const unsigned int counts[] = { 0, 1, 16, 3, 0, 7, 16, 1, 30 };
	const char *mname = mode == QR_DEV_LAZY ? "lazy" : "thread";
	struct qiring_desc d[32];
	struct fixture *f = fx_open(v, mode, 32, dsize, 0, 0);
	unsigned int k, count, nev;
	unsigned long opt;
	char what[64];
	u32 expect_slot = 0;
	long first;
	int rc;

	CHECK(v->free_slots(f->ring) == 32, "%s: %u free slots on a new ring",
	      v->name, v->free_slots(f->ring));
	for (k = 0; k < 60; k++) {
		count = counts[k % (sizeof(counts) / sizeof(counts[0]))];
		opt = (k % 5 == 2) ? QIRING_OPT_WAIT_DRAIN : 0;
		snprintf(what, sizeof(what), "%s %uB #%u (count %u%s)", mname,
			 dsize, k, count, opt ? ", drain" : "");
		mkdescs(d, k, count);
		fx_clear(f);
		rc = v->submit(f->ring, d, count, opt);
		CHECK(rc == 0, "%s %s: submit returned %d", v->name, what, rc);
		nev = fx_nev(f);
		CHECK(nev == count + 1, "%s %s: %u events, expected %u",
		      v->name, what, nev, count + 1);
		first = expect_run(f, 0, d, count, opt, what);
		CHECK(first == (long)expect_slot, "%s %s: ran from slot %ld, "
		      "expected %u", v->name, what, first, expect_slot);
		expect_slot = (expect_slot + count + 1) & 31;
		fx_settle(f);
		v->reclaim(f->ring);
		CHECK(v->free_slots(f->ring) == 32, "%s %s: %u free slots after "
		      "reclaim", v->name, what, v->free_slots(f->ring));
	}
	fx_close(f);
}

/* The smallest ring (4 slots: count <= 2) wraps on every other call. */
static void test_small_ring(const struct qr_variant *v)
{
	struct qiring_desc d[2];
	struct fixture *f = fx_open(v, QR_DEV_LAZY, 4, 32, 0, 0);
	unsigned int k, count;
	int rc;

	for (k = 0; k < 30; k++) {
		count = k % 3;
		mkdescs(d, 1000 + k, count);
		fx_clear(f);
		rc = v->submit(f->ring, d, count, 0);
		CHECK(rc == 0, "%s: 4-slot ring #%u: submit returned %d",
		      v->name, k, rc);
		CHECK(fx_nev(f) == count + 1, "%s: 4-slot ring #%u: %u events",
		      v->name, k, fx_nev(f));
		expect_run(f, 0, d, count, 0, "4-slot ring");
		v->reclaim(f->ring);
		CHECK(v->free_slots(f->ring) == 4, "%s: 4-slot ring #%u: %u "
		      "free slots", v->name, k, v->free_slots(f->ring));
	}
	fx_close(f);
}

/* Bad arguments fail without touching the ring or the device. */
static void test_arg_errors(const struct qr_variant *v)
{
	struct qiring_desc d[16];
	struct fixture *f = fx_open(v, QR_DEV_THREAD, 16, 16, 0, 0);
	struct qr_vcounters c;
	struct qr_dev_counters dc;
	int rc;

	mkdescs(d, 77, 16);
	rc = v->submit(f->ring, d, 15, 0);	/* 15 + wait + gap > 16 */
	CHECK(rc == -EINVAL, "%s: count 15 on 16 slots returned %d", v->name, rc);
	rc = v->submit(f->ring, d, 16, 0);
	CHECK(rc == -EINVAL, "%s: count 16 on 16 slots returned %d", v->name, rc);
	rc = v->submit(f->ring, d, UINT_MAX, 0);
	CHECK(rc == -EINVAL, "%s: count UINT_MAX returned %d", v->name, rc);
	rc = v->submit(f->ring, NULL, 1, 0);
	CHECK(rc == -EINVAL, "%s: NULL desc returned %d", v->name, rc);

	qr_dev_get_counters(f->dev, &dc);
	CHECK(dc.tail_writes == 0 && fx_nev(f) == 0, "%s: bad arguments reached "
	      "the device (%" PRIu64 " tail writes, %u events)", v->name,
	      dc.tail_writes, fx_nev(f));
	CHECK(v->free_slots(f->ring) == 16, "%s: %u free slots after bad "
	      "arguments", v->name, v->free_slots(f->ring));

	/* Still works: the largest submission, and a lone wait without desc. */
	rc = v->submit(f->ring, d, 14, 0);
	CHECK(rc == 0, "%s: count 14 on 16 slots returned %d", v->name, rc);
	expect_run(f, 0, d, 14, 0, "largest");
	rc = v->submit(f->ring, NULL, 0, 0);
	CHECK(rc == 0, "%s: lone wait without desc returned %d", v->name, rc);
	CHECK(fx_nev(f) == 16, "%s: %u events after two submissions", v->name,
	      fx_nev(f));
	fx_settle(f);
	v->reclaim(f->ring);
	CHECK(v->free_slots(f->ring) == 16, "%s: %u free slots at the end",
	      v->name, v->free_slots(f->ring));

	v->counters(f->ring, &c);
	if (f->hist || f->smmu) {
		CHECK(c.submissions == 6, "%s: %" PRIu64 " submissions counted, "
		      "6 returned", v->name, c.submissions);
		CHECK(c.tail_writes == 2, "%s: %" PRIu64 " tail writes for 2 "
		      "published submissions", v->name, c.tail_writes);
	}
	CHECK(c.restarts == 0 && (f->v == &qr_variant_lockfree || c.cas_retries == 0),
	      "%s: restarts %" PRIu64 ", CAS retries %" PRIu64, v->name,
	      c.restarts, c.cas_retries);
	fx_close(f);
}

/*
 * IQE on the first descriptor of a submission: the submitter gets -EINVAL,
 * the bad descriptor never executes, the device goes on, and the next
 * submission works. The historical variants copy their wait descriptor over
 * the bad one (Linux); the rest of the failed submission still executes.
 * Lazy device: execution happens inside the pollers, so the failed
 * submission's late status writes land after its owner is done with its
 * slots, every time. With an asynchronous device they race with the owner
 * (in dmar.c too: see qi_check_fault() in variant_hist.c).
 */
static void test_iqe_first(const struct qr_variant *v, u32 dsize)
{
	struct qiring_desc d[3], e[2], smmu_skip = { 0 }, smmu_wait = { 0 };
	struct fixture *f = fx_open(v, QR_DEV_LAZY, 16, dsize, 0, 0);
	struct qr_dev_counters dc;
	struct qr_dev_event ev;
	unsigned int i, n, execs_bad = 0, execs[3] = { 0 };
	u32 s;
	long first;
	int rc;

	mkdescs(d, 5, 1);
	CHECK(v->submit(f->ring, d, 1, 0) == 0, "%s: warm-up failed", v->name);
	fx_clear(f);
	s = fx_next_slot(f);

	mkdescs(d, 6, 3);
	d[0].qw0 = (d[0].qw0 & ~QIRING_TYPE_MASK) | TYPE_BAD;
	rc = v->submit(f->ring, d, 3, 0);
	CHECK(rc == -EINVAL, "%s %uB: invalid first descriptor returned %d",
	      v->name, dsize, rc);
	ev = fx_ev(f, 0);
	CHECK(fx_nev(f) >= 1 && ev.kind == QR_DEV_IQE && ev.slot == s &&
	      same_desc(f, &ev.desc, &d[0]), "%s %uB: first event kind %d at "
	      "slot %u, expected IQE at slot %u", v->name, dsize, (int)ev.kind,
	      ev.slot, s);

	mkdescs(e, 7, 2);
	rc = v->submit(f->ring, e, 2, 0);
	CHECK(rc == 0, "%s %uB: submission after IQE returned %d", v->name,
	      dsize, rc);
	n = fx_nev(f);
	/* The follow-up ran last, whole, in order, right after s + 3. */
	first = n >= 3 ? expect_run(f, n - 3, e, 2, 0, "after IQE") : -1;
	CHECK(first == (long)((s + 4) & 15), "%s %uB: follow-up ran from slot "
	      "%ld, expected %u", v->name, dsize, first, (s + 4) & 15);
	for (i = 0; i < n - 3 && n >= 3; i++) {
		ev = fx_ev(f, i);
		if (ev.kind != QR_DEV_EXEC)
			continue;
		if (same_desc(f, &ev.desc, &d[0]))
			execs_bad++;
		if (same_desc(f, &ev.desc, &d[1]))
			execs[1]++;
		if (same_desc(f, &ev.desc, &d[2]))
			execs[2]++;
		/* Linux: the owner's wait, copied over the bad slot. */
		if (f->hist && ev.slot == s)
			CHECK(is_wait(&ev.desc) &&
			      (u32)(ev.desc.qw0 >> 32) == QI_DONE,
			      "%s %uB: slot %u ran %016" PRIx64 " after IQE, "
			      "expected the owner's wait", v->name, dsize, s,
			      ev.desc.qw0);
		/* skip_err: a sync whose status write is not the owner's. */
		if (f->smmu && ev.slot == s)
			smmu_skip = ev.desc;
		if (f->smmu && ev.slot == ((s + 3) & 15))
			smmu_wait = ev.desc;
	}
	if (f->smmu)
		CHECK(is_wait(&smmu_skip) && (smmu_skip.qw0 & QIRING_IWD_SW) &&
		      is_wait(&smmu_wait) && smmu_skip.qw1 != smmu_wait.qw1,
		      "%s %uB: slot %u ran %016" PRIx64 " %016" PRIx64 " after "
		      "IQE, expected a sync that does not write the owner's "
		      "status (owner's wait %016" PRIx64 " %016" PRIx64 ")",
		      v->name, dsize, s, smmu_skip.qw0, smmu_skip.qw1,
		      smmu_wait.qw0, smmu_wait.qw1);
	CHECK(execs_bad == 0, "%s %uB: the invalid descriptor executed",
	      v->name, dsize);
	CHECK(execs[1] == 1 && execs[2] == 1, "%s %uB: descriptors 1, 2 of the "
	      "failed submission executed %u, %u times", v->name, dsize,
	      execs[1], execs[2]);
	qr_dev_get_counters(f->dev, &dc);
	CHECK(dc.iqe == 1 && dc.fault_clears >= 1, "%s %uB: %" PRIu64 " IQE, "
	      "%" PRIu64 " FSTS clears", v->name, dsize, dc.iqe, dc.fault_clears);
	CHECK(qr_dev_read_fault(f->dev) == 0, "%s %uB: FSTS %#x left set",
	      v->name, dsize, qr_dev_read_fault(f->dev));

	/* And the ring is whole: a full wrap of lone waits and pairs. */
	for (i = 0; i < 20; i++) {
		mkdescs(e, 100 + i, 2);
		rc = v->submit(f->ring, e, i & 1 ? 2 : 0, 0);
		CHECK(rc == 0, "%s %uB: submission %u after IQE returned %d",
		      v->name, dsize, i, rc);
	}
	v->reclaim(f->ring);
	CHECK(v->free_slots(f->ring) == 16, "%s %uB: %u free slots after IQE",
	      v->name, dsize, v->free_slots(f->ring));
	fx_close(f);
}

/*
 * IQE on a descriptor after the first. Linux's qi_check_fault() acts only
 * when IQH is the submission's first slot, so the historical variants
 * cannot clear it: the queue stays stopped and the owner spins until the
 * bounded wait reports a FAULT stall. The lockfree core answers -EINVAL,
 * and so does smmuv3 (skip_err replaces whichever descriptor IQH is on).
 */
static void test_iqe_middle(const struct qr_variant *v)
{
	struct qiring_desc d[3];
	struct fixture *f = fx_open(v, QR_DEV_LAZY, 16, 16, STALL_NS, 0);
	u32 s = fx_next_slot(f);
	int rc;

	mkdescs(d, 9, 3);
	d[1].qw0 = (d[1].qw0 & ~QIRING_TYPE_MASK) | TYPE_BAD;
	rc = v->submit(f->ring, d, 3, 0);
	if (!f->hist) {
		CHECK(rc == -EINVAL, "%s: invalid second descriptor returned %d",
		      v->name, rc);
		fx_close(f);
		return;
	}
	CHECK(rc == -ETIMEDOUT, "%s: invalid second descriptor returned %d "
	      "(Linux cannot clear it)", v->name, rc);
	CHECK(f->nstall == 1 && f->stall.blocker == QIRING_BLOCKER_FAULT &&
	      (f->stall.fault & QIRING_FSTS_IQE) && !f->stall.reserving &&
	      f->stall.blocker_slot == ((s + 3) & 15),
	      "%s: %u stall reports, last: blocker %d fault %#x slot %u "
	      "reserving %d", v->name, f->nstall, (int)f->stall.blocker,
	      f->stall.fault, f->stall.blocker_slot, f->stall.reserving);
	fx_close(f);
}

/*
 * ITE on a device-TLB descriptor: the device discards the submission
 * through its wait; the submitter's fault check marks it ABORT, it
 * restarts and the whole submission runs again, exactly once, in order.
 */
static void test_ite(const struct qr_variant *v, enum qr_dev_mode mode)
{
	struct qiring_desc d[3];
	struct fixture *f = fx_open(v, mode, 32, 16, 0, 0);
	struct qr_vcounters c;
	struct qr_dev_counters dc;
	struct qr_dev_event ev;
	unsigned int i, n;
	u32 s;
	long first;
	int rc;

	mkdescs(d, 11, 2);
	CHECK(v->submit(f->ring, d, 2, 0) == 0, "%s: warm-up failed", v->name);
	fx_clear(f);
	s = fx_next_slot(f);

	mkdescs(d, 12, 3);
	d[1].qw0 = (d[1].qw0 & ~QIRING_TYPE_MASK) | QIRING_TYPE_DIOTLB;
	qr_dev_inject_ite_at(f->dev, (s + 1) & 31);
	rc = v->submit(f->ring, d, 3, 0);
	CHECK(rc == 0, "%s: submission hit by ITE returned %d", v->name, rc);

	v->counters(f->ring, &c);
	qr_dev_get_counters(f->dev, &dc);
	CHECK(c.restarts == 1, "%s: %" PRIu64 " restarts after one ITE",
	      v->name, c.restarts);
	CHECK(dc.ite == 1 && dc.aborted_waits == 1, "%s: device saw %" PRIu64
	      " ITE, %" PRIu64 " aborted waits", v->name, dc.ite,
	      dc.aborted_waits);

	/* d0 ran, d1 timed out, d1 d2 wait discarded, then d0 d1 d2 wait. */
	n = fx_nev(f);
	CHECK(n == 9, "%s: %u events around an ITE, expected 9", v->name, n);
	if (n == 9) {
		static const enum qr_dev_event_kind kind[5] = {
			QR_DEV_EXEC, QR_DEV_ITE, QR_DEV_DISCARD, QR_DEV_DISCARD,
			QR_DEV_DISCARD,
		};
		static const u32 off[5] = { 0, 1, 1, 2, 3 };

		for (i = 0; i < 5; i++) {
			ev = fx_ev(f, i);
			CHECK(ev.kind == kind[i] && ev.slot == ((s + off[i]) & 31),
			      "%s: event %u: kind %d at slot %u, expected kind "
			      "%d at slot %u", v->name, i, (int)ev.kind, ev.slot,
			      (int)kind[i], (s + off[i]) & 31);
			CHECK(i == 4 ? is_wait(&ev.desc) :
			      same_desc(f, &ev.desc, &d[off[i]]),
			      "%s: event %u carries the wrong descriptor",
			      v->name, i);
		}
		first = expect_run(f, 5, d, 3, 0, "restart after ITE");
		CHECK(first >= 0 && first != (long)s, "%s: restart ran from slot "
		      "%ld (the aborted one started at %u)", v->name, first, s);
	}
	fx_settle(f);
	v->reclaim(f->ring);
	CHECK(v->free_slots(f->ring) == 32, "%s: %u free slots after ITE",
	      v->name, v->free_slots(f->ring));
	CHECK(v->submit(f->ring, d, 3, 0) == 0, "%s: submission after ITE "
	      "failed", v->name);
	fx_close(f);
}

/*
 * A device that never runs: the completion wait gives up after stall_ns,
 * reporting the device as the blocker. Then the free-space wait: first
 * blocked by the device, then, once the device ran, by an owner that is
 * gone without freeing its slots.
 */
static void test_stall(const struct qr_variant *v)
{
	struct qiring_desc d[13];
	struct fixture *f = fx_open(v, QR_DEV_MANUAL, 16, 16, STALL_NS, 0);
	u64 t0 = ktime_get_ns(), took;
	int rc;

	mkdescs(d, 21, 13);
	rc = v->submit(f->ring, d, 1, 0);
	took = ktime_get_ns() - t0;
	CHECK(rc == -ETIMEDOUT, "%s: stuck device: submit returned %d",
	      v->name, rc);
	CHECK(took >= STALL_NS && took < 100 * STALL_NS, "%s: gave up after "
	      "%" PRIu64 " ns, bound %llu", v->name, took, STALL_NS);
	CHECK(f->nstall >= 1 && (f->hist || f->smmu ? f->nstall == 1 : 1),
	      "%s: %u stall reports", v->name, f->nstall);
	CHECK(f->stall.blocker == QIRING_BLOCKER_DEVICE && !f->stall.reserving &&
	      f->stall.blocker_slot == 1 && f->stall.waiter_seq == 1,
	      "%s: stall: blocker %d reserving %d slot %u waiter %" PRIu64,
	      v->name, (int)f->stall.blocker, f->stall.reserving,
	      f->stall.blocker_slot, f->stall.waiter_seq);
	if (f->hist || f->smmu)
		CHECK(f->stall.age_ns >= STALL_NS, "%s: stall age %" PRIu64,
		      v->name, f->stall.age_ns);

	/*
	 * The lockfree core and smmuv3 bound only completion waits (their
	 * reservation waits report stalls but never give up: Linux's SMMUv3
	 * driver prints "CMDQ timeout" and goes on waiting), so the rest is
	 * for the historical variants, whose free-space loop is bounded too.
	 */
	if (!f->hist) {
		fx_close(f);
		return;
	}

	/* 14 slots left; 13 + wait + gap do not fit. */
	f->nstall = 0;
	rc = v->submit(f->ring, d, 13, 0);
	CHECK(rc == -ETIMEDOUT, "%s: full ring: submit returned %d", v->name, rc);
	CHECK(f->nstall >= 1 && f->stall.reserving &&
	      f->stall.blocker == QIRING_BLOCKER_DEVICE &&
	      f->stall.blocker_slot == 0,
	      "%s: full ring, device stuck: %u reports, blocker %d slot %u "
	      "reserving %d", v->name, f->nstall, (int)f->stall.blocker,
	      f->stall.blocker_slot, f->stall.reserving);

	qr_dev_run(f->dev);		/* the first submission completes */
	f->nstall = 0;
	rc = v->submit(f->ring, d, 13, 0);
	CHECK(rc == -ETIMEDOUT, "%s: full ring: submit returned %d", v->name, rc);
	CHECK(f->nstall >= 1 && f->stall.reserving &&
	      f->stall.blocker == QIRING_BLOCKER_OWNER_RELEASE &&
	      f->stall.blocker_slot == 0,
	      "%s: full ring, owner gone: %u reports, blocker %d slot %u "
	      "reserving %d", v->name, f->nstall, (int)f->stall.blocker,
	      f->stall.blocker_slot, f->stall.reserving);
	fx_close(f);
}

/* ---- concurrent submitters --------------------------------------------- */

#define THREADS		4
#define PER_THREAD	1500

struct worker {
	struct fixture *f;
	unsigned int tid;
	unsigned int min_count;
	int bad_rc;
	unsigned int bad_seq;
};

static unsigned int count_of(unsigned int tid, unsigned int seq,
			     unsigned int min_count)
{
	unsigned int x = (tid * 2654435761u) ^ (seq * 40503u);

	x ^= x >> 13;
	return min_count + x % (9 - min_count);	/* min_count .. 8 */
}

static void *worker_main(void *p)
{
	struct worker *w = p;
	struct qiring_desc d[8];
	unsigned int seq, count;
	int rc;

	for (seq = 0; seq < PER_THREAD; seq++) {
		count = count_of(w->tid, seq, w->min_count);
		mkdescs(d, (w->tid << 16) | seq, count);
		rc = w->f->v->submit(w->f->ring, d, count, 0);
		if (rc) {
			w->bad_rc = rc;
			w->bad_seq = seq;
			break;
		}
	}
	return NULL;
}

/*
 * Submitters racing each other and the device thread. Afterwards the log
 * must hold every submission exactly once: its descriptors contiguous and
 * in order, then its wait, and each submitter's submissions in program
 * order. legacy runs only count >= 1: its own IN_USE descriptor slots then
 * shield each wait from other submitters' reclaim (count == 0 is the seed
 * lockup, which test_seed_schedule forces).
 */
static void test_threads(const struct qr_variant *v)
{
	unsigned int min_count = v == &qr_variant_legacy ? 1 : 0;
	struct fixture *f = fx_open(v, QR_DEV_THREAD, 64, 16, 0,
				    THREADS * PER_THREAD * 10);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	unsigned int next_seq[THREADS] = { 0 }, lone = 0, want_lone = 0;
	unsigned int t, i, n, idx = 0, count = 0;
	int open = -1;
	bool ok = true;
	struct qr_vcounters c;

	for (t = 0; t < THREADS; t++) {
		w[t] = (struct worker){ .f = f, .tid = t, .min_count = min_count };
		pthread_create(&th[t], NULL, worker_main, &w[t]);
	}
	for (t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		CHECK(w[t].bad_rc == 0, "%s: thread %u seq %u: submit returned %d",
		      v->name, t, w[t].bad_seq, w[t].bad_rc);
	}

	n = fx_nev(f);
	for (i = 0; i < n && ok; i++) {
		struct qr_dev_event ev = fx_ev(f, i);
		unsigned int tag, seq;

		if (ev.kind != QR_DEV_EXEC) {
			CHECK(0, "%s: event %u: kind %d", v->name, i, (int)ev.kind);
			ok = false;
			break;
		}
		if (is_wait(&ev.desc)) {
			if (open < 0) {
				lone++;
			} else if (idx != count) {
				CHECK(0, "%s: wait after %u of %u descriptors",
				      v->name, idx, count);
				ok = false;
			} else {
				next_seq[open]++;
				open = -1;
			}
			continue;
		}
		tag = (unsigned int)(ev.desc.qw0 >> 24) & 0xffffffu;
		t = tag >> 16;
		seq = tag & 0xffff;
		if (open < 0) {
			if (t >= THREADS) {
				CHECK(0, "%s: stray descriptor %016" PRIx64,
				      v->name, ev.desc.qw0);
				ok = false;
				break;
			}
			/* skip this thread's lone waits: they have no tag */
			while (next_seq[t] < PER_THREAD &&
			       count_of(t, next_seq[t], min_count) == 0)
				next_seq[t]++;
			open = (int)t;
			idx = 0;
			count = count_of(t, next_seq[t], min_count);
		}
		{
			struct qiring_desc want = mkdesc(TYPE_IOTLB, (t << 16) |
							 next_seq[t], idx);

			if ((int)t != open || seq != next_seq[t] ||
			    !same_desc(f, &ev.desc, &want)) {
				CHECK(0, "%s: event %u: thread %u seq %u, "
				      "expected thread %d seq %u index %u "
				      "(lost, duplicated, interleaved or "
				      "reordered)", v->name, i, t, seq, open,
				      next_seq[open], idx);
				ok = false;
				break;
			}
		}
		idx++;
	}
	for (t = 0; t < THREADS; t++) {
		unsigned int s;

		for (s = 0; s < PER_THREAD; s++)
			want_lone += count_of(t, s, min_count) == 0;
		while (ok && next_seq[t] < PER_THREAD &&
		       count_of(t, next_seq[t], min_count) == 0)
			next_seq[t]++;
		CHECK(!ok || next_seq[t] == PER_THREAD, "%s: thread %u stopped "
		      "at seq %u", v->name, t, next_seq[t]);
	}
	CHECK(!ok || (open < 0 && lone == want_lone), "%s: %u lone waits "
	      "executed, %u submitted%s", v->name, lone, want_lone,
	      open >= 0 ? ", a group left open" : "");
	fx_settle(f);
	v->reclaim(f->ring);
	CHECK(v->free_slots(f->ring) == 64, "%s: %u free slots at quiescence",
	      v->name, v->free_slots(f->ring));
	v->counters(f->ring, &c);
	if (f->hist || f->smmu)
		CHECK(c.submissions == THREADS * PER_THREAD && c.restarts == 0,
		      "%s: counted %" PRIu64 " submissions, %" PRIu64
		      " restarts", v->name, c.submissions, c.restarts);
	fx_close(f);
}

int main(void)
{
	static const struct qr_variant *const variants[] = {
		&qr_variant_legacy, &qr_variant_tbf, &qr_variant_locked,
		&qr_variant_smmuv3, &qr_variant_lockfree,
	};
	unsigned int i;
	int before;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct qr_variant *v = variants[i];

		before = failed;
		test_create_errors(v);
		test_basic(v, QR_DEV_LAZY, 16);
		test_basic(v, QR_DEV_LAZY, 32);
		test_basic(v, QR_DEV_THREAD, 16);
		test_basic(v, QR_DEV_THREAD, 32);
		test_small_ring(v);
		test_arg_errors(v);
		test_iqe_first(v, 16);
		test_iqe_first(v, 32);
		test_iqe_middle(v);
		test_ite(v, QR_DEV_LAZY);
		test_ite(v, QR_DEV_THREAD);
		test_stall(v);
		test_threads(v);
		printf("variant %-8s: %s\n", v->name,
		       failed == before ? "ok" : "FAILED");
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
