// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Stress: T threads x M synchronous submissions with mixed counts (0..16),
 * every descriptor carrying (submitter, sequence, index). The device model's
 * event stream is checked online, in execution order:
 *
 *   - a submission's descriptors run contiguously, index 0..count-1, and are
 *     followed immediately by a wait (its own);
 *   - each submitter's submissions run in its program order, each exactly
 *     once (the checker knows every submission's count: it is a function of
 *     (submitter, sequence));
 *   - a lone wait (count == 0) is counted; at the end lone waits == count-0
 *     submissions and every submitter reached M;
 *   - when submit() returns, the checker has already seen that submission's
 *     wait (a submitter never returns before the hardware completed it).
 *
 * Fault mode (key=value options after SEED):
 *
 *   ite=N      each device-TLB descriptor times out with probability 1/N;
 *   burst=K    ...and then the next K device-TLB descriptors too;
 *   devtlb=N   a descriptor is a device-TLB invalidation with probability
 *              1/N (default 4 when ite is set, else never);
 *   ice=N      each wait raises ICE with probability 1/N;
 *   iqe=N      a submission carries one invalid descriptor with probability
 *              1/N (the lockfree core's and smmuv3's IQE semantics: the owner
 *              gets -EINVAL once its whole submission has drained).
 *   twice=NS   the unit runs the queue inside the tail write and stores each
 *              status DWORD twice, NS ns apart, as QEMU's emulated unit
 *              does (memcpy() of 4 bytes); a waiter held 2 s fails the run
 *              at once (a FREE lost to the second store stops reclaim for
 *              good: the ring fills and every submitter waits).
 *
 * An ITE discards the open submission through its wait: the checker rewinds
 * that submitter to index 0 of the same sequence, which its restart must
 * replay in full, in order. Every submission still returns exactly once (0,
 * or -EINVAL exactly when it carried an invalid descriptor), and the totals
 * must balance: timeouts injected = aborts seen = restarts, IQE raised = bad
 * submissions = -EINVAL returns.
 *
 * usage: stress VARIANT THREADS PER_THREAD SLOTS DESC_SIZE lazy|thread [SEED]
 *               [ite=N] [burst=K] [devtlb=N] [ice=N] [iqe=N] [twice=NS]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "variant.h"

#define MAX_THREADS	64
#define MAX_COUNT	16
#define MAGIC		0x51ull		/* 'Q', in qw0 bits 63:56 */

struct checker {
	/* written only by the device executor (serialized by the model) */
	u64 next_seq[MAX_THREADS];	/* next submission with count > 0 */
	u32 next_idx[MAX_THREADS];
	int open_tid;			/* group being executed, -1 if none */
	u64 lone_waits;
	u64 events;
	u64 aborts;			/* groups discarded by an ITE */
	u64 iqes;			/* IQE events, each on a planted descriptor */
	u64 iqes_aborted;		/* ...in an attempt an ITE then discarded */
	bool iqe_in_attempt[MAX_THREADS];
	int iqe_slot;			/* slot awaiting its replacement, or -1 */
	u64 errors;
	u64 lost, duplicated;		/* classified checker errors */
	char first_error[256];
	/* read by submitters after their submit() returned */
	_Atomic u64 completed[MAX_THREADS];	/* seq + 1 of the last closed group */
};

static struct checker chk;
static unsigned int nthreads;
static u64 per_thread;
static u32 max_count;
static u64 seed;
static const struct qr_variant *variant;
static struct qr_vring *vring;
static atomic_ulong submit_errors;
static atomic_ulong einval_returns, hangs;
static u64 opt_ite, opt_burst, opt_devtlb, opt_ice, opt_iqe, opt_twice;

/* The count of submission (t, s): a pure function, known to the checker. */
static u32 count_of(unsigned int t, u64 s)
{
	u64 x = (seed ^ ((u64)t << 40) ^ s) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	/* a quarter are lone waits (drains), the rest 1..max_count */
	return (x & 3) == 0 ? 0 : 1 + (u32)((x >> 8) % max_count);
}

static u64 mix(u64 x)
{
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

/* Does submission (t, s) carry an invalid descriptor, and where? */
static bool is_bad(unsigned int t, u64 s, u32 *where)
{
	u32 c = count_of(t, s);
	u64 x = mix(seed ^ 0x1bad ^ ((u64)t << 40) ^ s);

	if (!opt_iqe || !c || x % opt_iqe)
		return false;
	if (where)
		*where = (u32)((x >> 32) % c);
	return true;
}

/* The descriptor type of (t, s, i): an IOTLB (2) or device-TLB (3) flush. */
static u64 type_of(unsigned int t, u64 s, u32 i)
{
	u32 k;

	if (is_bad(t, s, &k) && k == i)
		return 0xf;			/* no such type: IQE */
	if (opt_devtlb && mix(seed ^ ((u64)t << 48) ^ (s << 8) ^ i) % opt_devtlb == 0)
		return QIRING_TYPE_DIOTLB;
	return 0x2;
}

static u64 next_nonzero(unsigned int t, u64 s)
{
	while (s < per_thread && count_of(t, s) == 0)
		s++;
	return s;
}

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

static void on_exec(void *arg, const struct qr_dev_event *ev)
{
	u64 type = ev->desc.qw0 & QIRING_TYPE_MASK;
	unsigned int t;
	u64 s;
	u32 i;

	(void)arg;
	chk.events++;
	if (ev->kind == QR_DEV_DISCARD && type == QIRING_TYPE_IWD) {
		/* The end of an ITE discard: that submission starts over. */
		if (chk.open_tid < 0) {
			fail("ITE discarded a lone wait at slot %u: only device-TLB "
			     "descriptors time out", ev->slot);
			return;
		}
		chk.next_idx[chk.open_tid] = 0;
		/* Its restart replays the invalid descriptor: IQE again. */
		if (chk.iqe_in_attempt[chk.open_tid])
			chk.iqes_aborted++;
		chk.iqe_in_attempt[chk.open_tid] = false;
		chk.open_tid = -1;
		chk.aborts++;
		return;
	}
	if (ev->kind == QR_DEV_EXEC && type == QIRING_TYPE_IWD &&
	    chk.iqe_slot == (int)ev->slot) {
		/* The owner's wait, copied over the invalid descriptor. */
		chk.iqe_slot = -1;
		chk.next_idx[chk.open_tid]++;
		return;
	}
	if (chk.iqe_slot >= 0) {
		fail("slot %u executed while IQE at slot %d was pending",
		     ev->slot, chk.iqe_slot);
		return;
	}
	if (type == QIRING_TYPE_IWD) {
		if (ev->kind != QR_DEV_EXEC) {
			fail("wait at slot %u: event kind %d", ev->slot, (int)ev->kind);
			return;
		}
		if (chk.open_tid < 0) {
			chk.lone_waits++;
			return;
		}
		t = (unsigned int)chk.open_tid;
		s = chk.next_seq[t];
		if (chk.next_idx[t] != count_of(t, s)) {
			fail("wait after %u of %u descriptors of (%u, %" PRIu64 ")",
			     chk.next_idx[t], count_of(t, s), t, s);
			return;
		}
		chk.iqe_in_attempt[t] = false;
		atomic_store_explicit(&chk.completed[t], s + 1, memory_order_release);
		chk.next_seq[t] = next_nonzero(t, s + 1);
		chk.next_idx[t] = 0;
		chk.open_tid = -1;
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
	if (t >= nthreads) {
		fail("bad submitter %u", t);
		return;
	}
	if (chk.open_tid >= 0 && chk.open_tid != (int)t) {
		fail("(%u, %" PRIu64 ") interleaved into the open group of submitter %d",
		     t, s, chk.open_tid);
		return;
	}
	if (s != chk.next_seq[t] || i != chk.next_idx[t]) {
		if (s < chk.next_seq[t] || (s == chk.next_seq[t] && i < chk.next_idx[t]))
			chk.duplicated++;
		else
			chk.lost++;
		fail("submitter %u: got (%" PRIu64 ", %u), expected (%" PRIu64 ", %u) "
		     "(lost, duplicated or reordered)", t, s, i, chk.next_seq[t],
		     chk.next_idx[t]);
		return;
	}
	if ((ev->desc.qw0 & QIRING_TYPE_MASK) != type_of(t, s, i)) {
		fail("(%u, %" PRIu64 ", %u): descriptor type changed", t, s, i);
		return;
	}
	chk.open_tid = (int)t;
	switch (ev->kind) {
	case QR_DEV_EXEC:
		chk.next_idx[t]++;
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
		if (type != QIRING_TYPE_DIOTLB)
			fail("ITE on a type %" PRIu64 " descriptor", type);
		break;
	case QR_DEV_DISCARD:
		chk.next_idx[t]++;		/* rewound at the group's wait */
		break;
	}
}

static void *submitter(void *arg)
{
	unsigned int t = (unsigned int)(uintptr_t)arg;
	struct qiring_desc d[MAX_COUNT];
	u64 s;
	u32 c, i;
	int rc;

	for (s = 0; s < per_thread; s++) {
		c = count_of(t, s);
		for (i = 0; i < c; i++) {
			/* An IOTLB invalidation (type 2) whose fields name us. */
			d[i].qw0 = type_of(t, s, i) | ((u64)t << 16) | (MAGIC << 56);
			d[i].qw1 = (s << 16) | i;
			d[i].qw2 = 0;
			d[i].qw3 = 0;
		}
		rc = variant->submit(vring, d, c, 0);
		if (rc == -EINVAL && is_bad(t, s, NULL)) {
			atomic_fetch_add(&einval_returns, 1);
		} else if (rc || is_bad(t, s, NULL)) {
			fprintf(stderr, "stress: submitter %u seq %" PRIu64
				" count %u: submit returned %d%s\n", t, s, c, rc,
				is_bad(t, s, NULL) ? " (expected -EINVAL)" : "");
			if (rc == -ETIMEDOUT)
				atomic_fetch_add(&hangs, 1);
			atomic_fetch_add(&submit_errors, 1);
			return NULL;
		}
		if (c && atomic_load_explicit(&chk.completed[t],
					      memory_order_acquire) != s + 1) {
			fprintf(stderr, "stress: submitter %u seq %" PRIu64
				" returned before its wait executed\n", t, s);
			atomic_fetch_add(&submit_errors, 1);
			return NULL;
		}
	}
	return NULL;
}

static void stall(void *arg, const struct qiring_stall *s)
{
	(void)arg;
	fprintf(stderr, "stress: stall: waiter seq %" PRIu64 " held %" PRIu64
		" ns by slot %u (seq %" PRIu64 "), blocker kind %d\n",
		s->waiter_seq, s->age_ns, s->blocker_slot, s->blocker_seq,
		(int)s->blocker);
	if (opt_twice) {
		fprintf(stderr, "stress: FAIL: a waiter is held for good\n");
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	struct qr_dev_config dc = { 0 };
	struct qr_vring_config vc = { 0 };
	struct qr_vcounters vcnt;
	struct qr_dev_counters dcnt;
	pthread_t th[MAX_THREADS];
	struct qr_dev *dev;
	u64 expected_lone = 0, expected_bad = 0, total = 0, stopped = 0, s;
	unsigned int t;
	int ok = 1;

	if (argc < 7) {
		fprintf(stderr, "usage: %s VARIANT THREADS PER_THREAD SLOTS DESC_SIZE "
			"lazy|thread [SEED]\n", argv[0]);
		return 2;
	}
	variant = qr_variant_find(argv[1]);
	nthreads = (unsigned int)strtoul(argv[2], NULL, 0);
	per_thread = strtoull(argv[3], NULL, 0);
	vc.slots = (u32)strtoul(argv[4], NULL, 0);
	vc.desc_size = (u32)strtoul(argv[5], NULL, 0);
	seed = argc > 7 ? strtoull(argv[7], NULL, 0) : 1;
	if (!variant || !nthreads || nthreads > MAX_THREADS) {
		fprintf(stderr, "stress: bad variant or thread count\n");
		return 2;
	}
	max_count = vc.slots - 2 < MAX_COUNT ? vc.slots - 2 : MAX_COUNT;
	for (t = 8; t < (unsigned int)argc; t++) {
		char *eq = strchr(argv[t], '=');
		u64 val = eq ? strtoull(eq + 1, NULL, 0) : 0;

		if (!eq || !val)
			goto bad_opt;
		*eq = 0;
		if (!strcmp(argv[t], "ite"))
			opt_ite = val;
		else if (!strcmp(argv[t], "burst"))
			opt_burst = val;
		else if (!strcmp(argv[t], "devtlb"))
			opt_devtlb = val;
		else if (!strcmp(argv[t], "ice"))
			opt_ice = val;
		else if (!strcmp(argv[t], "iqe"))
			opt_iqe = val;
		else if (!strcmp(argv[t], "twice"))
			opt_twice = val;
		else
			goto bad_opt;
		continue;
bad_opt:
		fprintf(stderr, "stress: bad option '%s' (ite=N burst=K devtlb=N "
			"ice=N iqe=N twice=NS, N > 0)\n", argv[t]);
		return 2;
	}
	if (opt_ite && !opt_devtlb)
		opt_devtlb = 4;

	chk.open_tid = -1;
	chk.iqe_slot = -1;
	for (t = 0; t < nthreads; t++)
		chk.next_seq[t] = next_nonzero(t, 0);

	dc.mode = strcmp(argv[6], "thread") ? QR_DEV_LAZY : QR_DEV_THREAD;
	dc.on_exec = on_exec;
	dc.ite_one_in = opt_ite;
	dc.ite_burst = (u32)opt_burst;
	dc.ice_one_in = opt_ice;
	dc.seed = seed;
	if (opt_twice) {
		/*
		 * A trapping tail write as under a vIOMMU, so that writes carry
		 * other owners' submissions (the only ones exposed).
		 */
		dc.profile.sync_exec = true;
		dc.profile.mmio_write_ns = 2000;
		dc.profile.status_twice_ns = opt_twice;
	}
	dev = qr_dev_create(&dc);
	vc.dev = dev;
	vc.stall_ns = 20ull * 1000 * 1000 * 1000;	/* a hang is a failure, not a timeout */
	if (opt_twice)
		vc.stall_ns = 2ull * 1000 * 1000 * 1000;
	vc.stall_report = stall;
	vring = dev ? variant->create(&vc) : NULL;
	if (!vring) {
		fprintf(stderr, "stress: cannot create %s\n", argv[1]);
		return 2;
	}

	for (t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, submitter, (void *)(uintptr_t)t);
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	qr_dev_run(dev);	/* nothing should be left; run it so a stray shows */

	for (t = 0; t < nthreads; t++)
		for (s = 0; s < per_thread; s++) {
			expected_lone += count_of(t, s) == 0;
			expected_bad += is_bad(t, s, NULL);
		}
	total = (u64)nthreads * per_thread;
	variant->counters(vring, &vcnt);
	qr_dev_get_counters(dev, &dcnt);

	if (atomic_load(&submit_errors)) {
		ok = 0;
	}
	if (chk.errors) {
		fprintf(stderr, "stress: %" PRIu64 " checker errors, first: %s\n",
			chk.errors, chk.first_error);
		ok = 0;
	}
	for (t = 0; t < nthreads; t++) {
		if (chk.next_seq[t] != per_thread || chk.next_idx[t]) {
			stopped++;
			fprintf(stderr, "stress: submitter %u stopped at seq %" PRIu64
				" idx %u of %" PRIu64 "\n", t, chk.next_seq[t],
				chk.next_idx[t], per_thread);
			ok = 0;
		}
	}
	if (ok && chk.lone_waits != expected_lone) {
		fprintf(stderr, "stress: %" PRIu64 " lone waits executed, %" PRIu64
			" submitted\n", chk.lone_waits, expected_lone);
		ok = 0;
	}
	/* Each IQE also executes the owner's wait copied over the bad slot. */
	if (ok && dcnt.waits_written != total + dcnt.iqe) {
		fprintf(stderr, "stress: %" PRIu64 " status writes for %" PRIu64
			" submissions and %" PRIu64 " IQE\n", dcnt.waits_written,
			total, dcnt.iqe);
		ok = 0;
	}
	if (ok && (dcnt.ite != chk.aborts || dcnt.aborted_waits != chk.aborts ||
		   vcnt.restarts != chk.aborts)) {
		fprintf(stderr, "stress: unbalanced ITE: %" PRIu64 " injected, %"
			PRIu64 " waits aborted, %" PRIu64 " groups discarded, %"
			PRIu64 " restarts\n", dcnt.ite, dcnt.aborted_waits,
			chk.aborts, vcnt.restarts);
		ok = 0;
	}
	if (ok && (dcnt.iqe != expected_bad + chk.iqes_aborted ||
		   chk.iqes != dcnt.iqe ||
		   atomic_load(&einval_returns) != expected_bad)) {
		fprintf(stderr, "stress: unbalanced IQE: %" PRIu64 " planted, %"
			PRIu64 " raised (%" PRIu64 " in attempts later aborted), %lu "
			"-EINVAL returns\n", expected_bad, dcnt.iqe,
			chk.iqes_aborted, atomic_load(&einval_returns));
		ok = 0;
	}
	if (ok && variant->free_slots(vring) != vc.slots) {
		fprintf(stderr, "stress: %u free slots at quiescence, ring has %u\n",
			variant->free_slots(vring), vc.slots);
		ok = 0;
	}
	printf("stress %s: %u threads x %" PRIu64 " submissions, %u slots x %uB, "
	       "%" PRIu64 " descriptors executed, %.3f tail writes/submission, "
	       "%.4f fault reads/submission, %" PRIu64 " CAS retries: %s\n",
	       variant->name, nthreads, per_thread, vc.slots, vc.desc_size,
	       chk.events, (double)dcnt.tail_writes / (double)total,
	       (double)dcnt.fault_reads / (double)total, vcnt.cas_retries,
	       ok ? "exactly once, in order" : "FAILED");
	if (opt_ite || opt_ice || opt_iqe)
		printf("soak %s: %" PRIu64 " submissions, %" PRIu64 " restarts, "
		       "faults injected: ITE %" PRIu64 " IQE %" PRIu64 " ICE %" PRIu64
		       ", -EINVAL %lu, lost %" PRIu64 ", duplicated %" PRIu64
		       ", hangs %lu\n", variant->name, total, vcnt.restarts,
		       dcnt.ite, dcnt.iqe, dcnt.ice, atomic_load(&einval_returns),
		       chk.lost, chk.duplicated,
		       atomic_load(&hangs));
	printf("%d passed, %d failed\n", ok, !ok);
	variant->destroy(vring);
	qr_dev_destroy(dev);
	return ok ? 0 : 1;
}
