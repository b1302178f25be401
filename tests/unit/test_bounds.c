// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Every wait bounded, nothing leaked: the core's promises about timeouts,
 * departed devices, stale tickets, snapshots and the split-API recipe under
 * faults (docs/reliability.md, "Every wait"). Each test starts from an input
 * that once broke a promise, and checks the right result. None of them
 * waits on a sleep: a test that would hang on a broken core runs the
 * suspect call on a thread and gives up (failing) after a generous bound.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"

#include "check.h"

#define MS	(1000ull * 1000)
#define SEC	(1000ull * MS)

struct fixture {
	struct qiring ring;
	struct qr_dev *dev;
	struct qiring_hw_ops ops;
	u8 *desc;
	u32 *status;
	u32 slots;
	_Atomic bool gone;		/* what ite_target_gone answers */
	_Atomic u32 gone_asked;
	/* a thread that runs the device (QR_DEV_MANUAL) until stopped */
	pthread_t runner;
	_Atomic bool run, running;
};

static struct fixture *the_fixture;	/* for ite_target_gone */

static bool ite_gone(void *hw)
{
	atomic_fetch_add(&the_fixture->gone_asked, 1);
	return atomic_load(&the_fixture->gone);
}

static struct fixture *setup(u32 slots, const struct qr_dev_config *dc,
			     u64 stall_ns)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct qiring_config c = { 0 };

	f->slots = slots;
	f->desc = aligned_alloc(4096, 4096 > slots * 32 ? 4096 : slots * 32);
	f->status = aligned_alloc(64, (qiring_status_words(slots) * 4 + 63) & ~63u);
	f->dev = qr_dev_create(dc);
	f->ops = qr_dev_hw_ops;
	f->ops.ite_target_gone = ite_gone;
	the_fixture = f;
	c.slots = slots;
	c.desc_size = 32;
	c.desc = f->desc;
	c.status = f->status;
	c.status_dma = (u64)(uintptr_t)f->status;
	c.ops = &f->ops;
	c.hw = f->dev;
	c.stall_ns = stall_ns;
	if (!f->dev || qiring_init(&f->ring, &c)) {
		fprintf(stderr, "setup failed\n");
		exit(2);
	}
	qr_dev_set_queue(f->dev, f->desc, slots, 32, f->status,
			 qiring_status_words(slots));
	return f;
}

static void *runner(void *arg)
{
	struct fixture *f = arg;

	while (atomic_load(&f->run)) {
		qr_dev_run(f->dev);
		cpu_relax();
	}
	return NULL;
}

/* The "stalled" device starts executing (QR_DEV_MANUAL). */
static void start_device(struct fixture *f)
{
	atomic_store(&f->run, true);
	pthread_create(&f->runner, NULL, runner, f);
	atomic_store(&f->running, true);
}

static void teardown(struct fixture *f)
{
	if (atomic_load(&f->running)) {
		atomic_store(&f->run, false);
		pthread_join(f->runner, NULL);
	}
	qr_dev_destroy(f->dev);
	free(f->desc);
	free(f->status);
	free(f);
}

static struct qiring_desc iotlb(u64 tag)
{
	struct qiring_desc d = { .qw0 = 0x2 | (tag << 32), .qw1 = tag << 12 };

	return d;
}

static struct qiring_desc devtlb(u64 tag)
{
	struct qiring_desc d = { .qw0 = QIRING_TYPE_DIOTLB | (tag << 32),
				 .qw1 = tag << 12 };

	return d;
}

/*
 * Run fn(arg) on a thread and wait up to bound_ns for it: a call that
 * should return but does not is a failure, not a hang of the test.
 */
struct bounded_call {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	_Atomic bool done;
};

static void *bounded_main(void *p)
{
	struct bounded_call *b = p;

	b->rc = b->fn(b->arg);
	atomic_store_explicit(&b->done, true, memory_order_release);
	return NULL;
}

static bool call_within(struct bounded_call *b, u64 bound_ns)
{
	u64 end = ktime_get_ns() + bound_ns;
	pthread_t th;

	pthread_create(&th, NULL, bounded_main, b);
	while (!atomic_load_explicit(&b->done, memory_order_acquire)) {
		if (ktime_get_ns() > end) {
			pthread_detach(th);
			return false;
		}
		sched_yield();
	}
	pthread_join(th, NULL);
	return true;
}

/* ---- 1. a timeout never leaks the ring --------------------------------- */

struct burst {
	struct fixture *f;
	unsigned int id, n, ok;
};

static void *burst_main(void *arg)
{
	struct burst *b = arg;
	struct qiring_desc d = iotlb(b->id);
	unsigned int i;

	for (i = 0; i < b->n; i++)
		b->ok += qiring_submit_timeout(&b->f->ring, &d, 1, 0, 10 * SEC) == 0;
	return NULL;
}

/*
 * 16 slots, the device stalled: a submission times out while in flight.
 * Once the device runs, 2 x 80 submissions all complete (the timed-out one
 * is freed by the ring when its wait completes), and disable, enable and
 * destroy all succeed. Before: the ring filled behind the abandoned slots,
 * the 7th submission blocked for ever, disable/enable said -EBUSY and
 * destroy never returned.
 */
static void test_timeout_leaks_nothing(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL };
	struct fixture *f = setup(16, &dc, 0);
	struct qiring_desc d = iotlb(1);
	struct burst b[2] = { { f, 0, 80, 0 }, { f, 1, 80, 0 } };
	struct qiring_stats st;
	pthread_t th[2];
	int i;

	CHECK(qiring_submit_timeout(&f->ring, &d, 1, 0, 10 * MS) == -ETIMEDOUT);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.orphans == 1);
	CHECK(qiring_free_slots(&f->ring) == 13);	/* held until the device runs */
	start_device(f);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, burst_main, &b[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(b[0].ok == 80 && b[1].ok == 80);
	CHECK(qiring_free_slots(&f->ring) == 15);
	CHECK(qiring_disable_nowait(&f->ring) == 0);
	qr_dev_set_queue(f->dev, f->desc, 16, 32, f->status, qiring_status_words(16));
	CHECK(qiring_enable(&f->ring) == 0);
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == 0);
	CHECK(qiring_destroy(&f->ring) == 0);
	teardown(f);
}

/*
 * disable waits for the hardware to finish a timed-out submission, up to
 * stall_ns: -EBUSY while the device is stalled, 0 once it ran.
 */
static void test_disable_waits_for_orphans(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL };
	struct fixture *f = setup(16, &dc, 20 * MS);
	struct qiring_desc d = iotlb(2);

	CHECK(qiring_submit_timeout(&f->ring, &d, 1, 0, 1 * MS) == -ETIMEDOUT);
	CHECK(qiring_disable(&f->ring) == -EBUSY);	/* after stall_ns */
	CHECK(qiring_disable_nowait(&f->ring) == -EBUSY);
	qr_dev_run(f->dev);
	CHECK(qiring_disable(&f->ring) == 0);
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

/* ---- 2. one deadline, whatever happens inside --------------------------- */

struct timed_submit {
	struct fixture *f;
	struct qiring_desc d;
	unsigned int count;
	u64 timeout_ns;
	u64 took_ns;
};

static int timed_submit(void *arg)
{
	struct timed_submit *s = arg;
	u64 t0 = ktime_get_ns();
	int rc = qiring_submit_timeout(&s->f->ring, &s->d, s->count, 0,
				       s->timeout_ns);

	s->took_ns = ktime_get_ns() - t0;
	return rc;
}

/*
 * Every device-TLB invalidation raises ITE: the submission restarts again
 * and again, and the 100 ms bound still ends it. Before: every restart
 * started a fresh clock, and the call ran for ever.
 */
static void test_deadline_spans_restarts(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_THREAD, .ite_one_in = 1 };
	struct fixture *f = setup(16, &dc, 0);
	struct timed_submit s = { .f = f, .d = devtlb(3), .count = 1,
				  .timeout_ns = 100 * MS };
	struct bounded_call b = { .fn = timed_submit, .arg = &s };
	struct qiring_stats st;

	if (!call_within(&b, 5 * SEC)) {
		CHECK(!"submit_timeout(100 ms) still running after 5 s");
		exit(1);		/* the thread still owns the ring */
	}
	CHECK(b.rc == -ETIMEDOUT);
	CHECK(s.took_ns >= 100 * MS);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.restarts > 0);
	teardown(f);
}

/*
 * A full ring behind an owner that never publishes: the bound covers the
 * wait for room too, and the caller then holds nothing.
 */
static void test_deadline_covers_reservation(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL };
	struct fixture *f = setup(4, &dc, 0);
	struct timed_submit s = { .f = f, .count = 0, .timeout_ns = 50 * MS };
	struct bounded_call b = { .fn = timed_submit, .arg = &s };
	struct qiring_ticket t;

	CHECK(qiring_reserve(&f->ring, 2, &t) == 0);	/* 3 of 4 slots */
	CHECK(call_within(&b, 5 * SEC));
	CHECK(b.rc == -ETIMEDOUT);
	CHECK(s.took_ns >= 50 * MS);
	CHECK(qiring_free_slots(&f->ring) == 0);	/* nothing more taken */
	s.d = iotlb(4);
	CHECK(qiring_write(&f->ring, &t, 0, &s.d) == 0);
	CHECK(qiring_write(&f->ring, &t, 1, &s.d) == 0);
	CHECK(qiring_publish(&f->ring, &t, 0) == 0);
	qr_dev_run(f->dev);
	CHECK(qiring_wait(&f->ring, &t) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qiring_free_slots(&f->ring) == 3);
	teardown(f);
}

/* ---- 3. a device that is gone ------------------------------------------- */

/*
 * An ITE whose device the embedder reports gone ends a submission that
 * carries a device-TLB invalidation with -ETIMEDOUT, without a restart;
 * the hook is asked once per ITE. With the device present it restarts.
 */
static void test_departed_device(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_LAZY };
	struct fixture *f = setup(16, &dc, 0);
	struct qiring_desc d[2] = { devtlb(5), iotlb(6) };
	struct qiring_stats st;

	atomic_store(&f->gone, true);
	qr_dev_inject_ite_at(f->dev, 0);
	CHECK(qiring_submit_sync(&f->ring, d, 2, 0) == -ETIMEDOUT);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.ite == 1 && st.restarts == 0);
	CHECK(atomic_load(&f->gone_asked) == 1);
	CHECK(qiring_free_slots(&f->ring) == 15);
	CHECK(qiring_submit_sync(&f->ring, d, 2, 0) == 0);	/* usable */

	atomic_store(&f->gone, false);
	qr_dev_inject_ite_at(f->dev, 6);	/* positions 6..8: the next submission */
	CHECK(qiring_submit_sync(&f->ring, d, 2, 0) == 0);
	qiring_get_stats(&f->ring, &st);
	CHECK(st.ite == 2 && st.restarts == 1);
	CHECK(atomic_load(&f->gone_asked) == 2);
	teardown(f);
}

/*
 * The split API sees the same outcome: poll says -ETIMEDOUT, the ticket is
 * released as usual. A GONE abort of a submission with no device-TLB
 * invalidation is resubmitted: poll says -EAGAIN (the word is written here
 * as the ITE handler would, since the device model aborts only the
 * submission that timed out).
 */
static void test_departed_device_split_api(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL };
	struct fixture *f = setup(16, &dc, 0);
	struct qiring_desc d = devtlb(7), e = iotlb(8);
	struct qiring_ticket t, u;
	u64 w;
	int rc, spins = 0;

	atomic_store(&f->gone, true);
	CHECK(qiring_reserve(&f->ring, 1, &t) == 0);
	CHECK(qiring_write(&f->ring, &t, 0, &d) == 0);
	CHECK(qiring_publish(&f->ring, &t, 0) == 0);
	qr_dev_inject_ite_at(f->dev, (u32)(t.pos & 15));
	qr_dev_run(f->dev);
	while ((rc = qiring_poll(&f->ring, &t)) == -EINPROGRESS && ++spins < 10000000)
		cpu_relax();
	CHECK(rc == -ETIMEDOUT);
	CHECK(qiring_release(&f->ring, &t) == 0);

	CHECK(qiring_reserve(&f->ring, 1, &u) == 0);
	CHECK(qiring_write(&f->ring, &u, 0, &e) == 0);
	CHECK(qiring_publish(&f->ring, &u, 0) == 0);
	w = u.pos + 1;
	f->status[w & 15] = qiring_status_word(w, 4, QIRING_GONE);
	CHECK(qiring_poll(&f->ring, &u) == -EAGAIN);
	CHECK(qiring_release(&f->ring, &u) == 0);
	teardown(f);
}

/* ---- 4. a ticket of an earlier epoch never matches ---------------------- */

/*
 * Release a ticket, disable, enable; a new owner takes the first slot and
 * completes; the old ticket released again must be refused. Before: it
 * returned 0 and freed the new owner's slots (the 2024 completion theft by
 * another road).
 */
static void test_stale_ticket_across_enable(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_LAZY };
	struct fixture *f = setup(16, &dc, 0);
	struct qiring_desc d = iotlb(9);
	struct qiring_ticket old, nu;

	CHECK(qiring_reserve(&f->ring, 1, &old) == 0);
	CHECK(qiring_write(&f->ring, &old, 0, &d) == 0);
	CHECK(qiring_publish(&f->ring, &old, 0) == 0);
	CHECK(qiring_wait(&f->ring, &old) == 0);
	CHECK(qiring_release(&f->ring, &old) == 0);
	CHECK(qiring_disable(&f->ring) == 0);
	qr_dev_set_queue(f->dev, f->desc, 16, 32, f->status, qiring_status_words(16));
	CHECK(qiring_enable(&f->ring) == 0);

	CHECK(qiring_reserve(&f->ring, 1, &nu) == 0);
	CHECK((nu.pos & 15) == (old.pos & 15));		/* the same slots */
	CHECK(qiring_write(&f->ring, &nu, 0, &d) == 0);
	CHECK(qiring_publish(&f->ring, &nu, 0) == 0);
	CHECK(qiring_wait(&f->ring, &nu) == 0);

	CHECK(qiring_release(&f->ring, &old) == -EINVAL);
	CHECK(qiring_poll(&f->ring, &old) == -EINVAL);
	CHECK(qiring_write(&f->ring, &old, 0, &d) == -EINVAL);
	CHECK(qiring_publish(&f->ring, &old, 0) == -EINVAL);
	CHECK(qiring_poll(&f->ring, &nu) == 0);		/* untouched */
	CHECK(qiring_release(&f->ring, &nu) == 0);
	CHECK(qiring_release(&f->ring, &nu) == -EINVAL);
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

/* Tickets out of their state: a clear error, and the ring still works. */
static void test_ticket_misuse(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_MANUAL };
	struct fixture *f = setup(16, &dc, 0);
	struct qiring_desc d = iotlb(10);
	struct qiring_ticket t, forged;

	CHECK(qiring_reserve(&f->ring, 1, &t) == 0);
	CHECK(qiring_poll(&f->ring, &t) == -EINVAL);		/* not published */
	CHECK(qiring_wait(&f->ring, &t) == -EINVAL);		/* would never end */
	forged = t;
	forged.pos += 2;					/* not reserved */
	CHECK(qiring_write(&f->ring, &forged, 0, &d) == -EINVAL);
	CHECK(qiring_publish(&f->ring, &forged, 0) == -EINVAL);
	forged = t;
	forged.count = 100;
	CHECK(qiring_write(&f->ring, &forged, 0, &d) == -EINVAL);
	CHECK(qiring_write(&f->ring, &t, 0, &d) == 0);
	CHECK(qiring_publish(&f->ring, &t, 0) == 0);
	CHECK(qiring_publish(&f->ring, &t, 0) == -EINVAL);	/* twice */
	CHECK(qiring_write(&f->ring, &t, 0, &d) == -EINVAL);	/* after publish */
	CHECK(qiring_wait_timeout(&f->ring, &t, 1 * MS) == -ETIMEDOUT);
	CHECK(qiring_release(&f->ring, &t) == -EBUSY);		/* still the caller's */
	qr_dev_run(f->dev);
	CHECK(qiring_wait_timeout(&f->ring, &t, 1 * MS) == 0);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qiring_poll(&f->ring, &t) == -EINVAL);		/* released */
	CHECK(qiring_free_slots(&f->ring) == 15);
	teardown(f);
}

/* ---- 5. a consistent free-slot snapshot --------------------------------- */

struct hammer {
	struct fixture *f;
	_Atomic bool *stop;
	unsigned int id;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct qiring_desc d[2] = { iotlb(h->id), iotlb(h->id) };

	/* counts 0..2: the array holds the largest */
	while (!atomic_load_explicit(h->stop, memory_order_relaxed))
		qiring_submit_sync(&h->f->ring, d, h->id % 3, 0);
	return NULL;
}

/*
 * A 4-slot ring, three threads submitting: every free-slot reading is in
 * [0, slots - 1], and an empty ring reads slots - 1, what the largest
 * reservation takes. Before: cons was read before prod, and a reading
 * could come out as 4294967293.
 */
static void test_free_slots_snapshot(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_LAZY };
	struct fixture *f = setup(4, &dc, 0);
	struct hammer h[3];
	_Atomic bool stop = false;
	pthread_t th[3];
	unsigned int i, v, lo = ~0u, hi = 0, bad = 0;

	CHECK(qiring_free_slots(&f->ring) == 3);
	for (i = 0; i < 3; i++) {
		h[i] = (struct hammer){ f, &stop, i };
		pthread_create(&th[i], NULL, hammer_main, &h[i]);
	}
	for (i = 0; i < 2000000; i++) {
		v = qiring_free_slots(&f->ring);
		bad += v > 3;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	atomic_store(&stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CHECK(bad == 0);
	if (bad)
		fprintf(stderr, "free_slots out of range %u times (%u..%u)\n", bad, lo, hi);
	CHECK(qiring_free_slots(&f->ring) == 3);
	teardown(f);
}

/* ---- 6. the split-API recipe ends on a fault ----------------------------- */

/* Publish, then poll until not -EINPROGRESS: true when it ended in time. */
static bool poll_until_done(struct fixture *f, struct qiring_ticket *t, int *rc)
{
	u64 end = ktime_get_ns() + 2 * SEC;

	while ((*rc = qiring_poll(&f->ring, t)) == -EINPROGRESS)
		if (ktime_get_ns() > end)
			return false;
	return true;
}

/*
 * With ITE (or IQE) raised, polling alone ends with -EAGAIN (-EINVAL): poll
 * handles queue faults, rate-limited. Before: it returned -EINPROGRESS for
 * ever with FSTS = 0x40 (0x10).
 */
static void test_split_recipe_ends_on_fault(void)
{
	struct qr_dev_config dc = { .mode = QR_DEV_THREAD };
	struct fixture *f = setup(16, &dc, 0);
	struct qiring_desc d = devtlb(11), bad = { .qw0 = 0xf };
	struct qiring_ticket t;
	int rc;

	CHECK(qiring_reserve(&f->ring, 1, &t) == 0);
	qr_dev_inject_ite_at(f->dev, (u32)(t.pos & 15));
	CHECK(qiring_write(&f->ring, &t, 0, &d) == 0);
	CHECK(qiring_publish(&f->ring, &t, 0) == 0);
	CHECK(poll_until_done(f, &t, &rc));
	CHECK(rc == -EAGAIN);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qr_dev_read_fault(f->dev) == 0);

	CHECK(qiring_reserve(&f->ring, 1, &t) == 0);
	CHECK(qiring_write(&f->ring, &t, 0, &bad) == 0);
	CHECK(qiring_publish(&f->ring, &t, 0) == 0);
	CHECK(poll_until_done(f, &t, &rc));
	CHECK(rc == -EINVAL);
	CHECK(qiring_release(&f->ring, &t) == 0);
	CHECK(qr_dev_read_fault(f->dev) == 0);
	CHECK(qiring_submit_sync(&f->ring, &d, 1, 0) == 0);
	teardown(f);
}

int main(void)
{
	test_timeout_leaks_nothing();
	test_disable_waits_for_orphans();
	test_deadline_spans_restarts();
	test_deadline_covers_reservation();
	test_departed_device();
	test_departed_device_split_api();
	test_stale_ticket_across_enable();
	test_ticket_misuse();
	test_free_slots_snapshot();
	test_split_recipe_ends_on_fault();
	return check_exit();
}
