// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * weakmem: the real core (core/src/qiring.c, compiled as C++ against the
 * backend in port/) under Relacy, a checker of the C11 memory model
 * (docs/verification.md, "Weak memory"). The interleaving explorer
 * (tests/explore/) runs the same core under sequential consistency and
 * x86-TSO; here every access has exactly the order the core gives it, and
 * Relacy lets a load return any store the C11 model allows (stale relaxed
 * loads, loads reordered with each other, an acquire that reads a store that
 * is not a release and synchronizes with nothing) and reports a data race
 * on every descriptor hand-off that is not ordered by happens-before.
 *
 * Actors (Relacy threads): 1-3 submitters, the device, and in some
 * scenarios a controller (disable/enable) or an observer (free_slots). The
 * device executes descriptors by the VT-d rules of tests/lib/vtd.c and
 * synchronizes with the CPUs only where hardware does:
 *
 *   IQT      the lease holder's write_tail() is a release store (writel()
 *            orders the descriptor writes before the register write); the
 *            device fetches only after an acquire load of it;
 *   status   a wait's status write is a release store (a DMA write after
 *            every earlier descriptor completed), to the word's shadow;
 *   IQH      stored with release after each step, read with acquire
 *            (readl());
 *   FSTS     raised with a release RMW after the fetch that faulted, read
 *            with acquire, cleared with a release RMW; the device loads it
 *            with acquire before fetching (a descriptor rewritten before the
 *            clear is what it fetches).
 *
 * Nothing else: no lock, no shared variable of the harness adds
 * happens-before (the oracle's state is plain C++ that Relacy does not
 * see, and the harness's waits on it are yields).
 *
 * Checked on every execution, as the explorer does (P1-P6 there):
 *
 *   P1 exactly once, in order: every descriptor of a returned submission
 *      was executed, while its owner was waiting for that submission, in
 *      index order, at most once plus once per ITE; the wait completes
 *      only after every descriptor of the attempt ran;
 *   P2 no stale status accepted: a submission returns 0 only after the
 *      device wrote its own wait's status, -EINVAL only for the planted
 *      IQE; nobody but the owner (or the fault path's two transitions, or
 *      an orphan's claimer) changes a slot's word;
 *   P3 no slot reused before its owner released it: positions are owned
 *      from the prod cmpxchg to the owner's FREE store; cons passes only
 *      released positions; a reservation takes only slots cons passed; a
 *      descriptor is written only by its slot's owner (or the IQE
 *      handler); the device completes only waits whose owner holds them;
 *   P4 the tail moves forward, to submission ends, only over marked and
 *      written descriptors of owned positions, never past prod;
 *   P5 termination: a run longer than the depth limit is a livelock (a
 *      lost doorbell spins for ever);
 *   P6 at quiescence: nothing pending in the device, free_slots() is
 *      slots - 1, prod == cons == published, every word FREE of its last
 *      lap, and the counters the lease and the fault lock protect
 *      (tail_writes, submissions, iqe, ite, ice) match what the device saw;
 *   and Relacy's own: data races on descriptors, uninitialized reads.
 *
 * Usage: weakmem --scenario NAME [--random N] [--bound K] [--depth D]
 *        weakmem --list
 */
#include "wm_port.h"

#include <qiring/qiring.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <streambuf>
#include <string>

#include "vtd.h"

#define WM_MAX_SLOTS	8
#define WM_MAX_WORDS	(2 * WM_MAX_SLOTS + 1)
#define WM_MAX_SUB	3
#define WM_MAX_SUBS	3
#define WM_MAX_COUNT	4
#define WM_MAX_THREADS	5

/* Descriptor payloads: submitter, submission, index (as the explorer's). */
#define WM_PAYLOAD_MAGIC	0xc0de000000000000ull
#define WM_PAYLOAD(t, seq, i)	(WM_PAYLOAD_MAGIC | ((u64)(t) << 32) | \
				 ((u64)(seq) << 16) | (u64)(i))
#define WM_IS_PAYLOAD(q)	(((q) & 0xffff000000000000ull) == WM_PAYLOAD_MAGIC)
#define WM_THREAD(q)		((int)(((q) >> 32) & 0xff))
#define WM_SEQ(q)		((u32)(((q) >> 16) & 0xffff))
#define WM_INDEX(q)		((u32)((q) & 0xffff))
#define WM_TYPE_IOTLB		0x2ull
#define WM_TYPE_INVALID		0xfull	/* no such type: IQE */

#define FSTS_STOP	(QIRING_FSTS_IQE | QIRING_FSTS_ITE)
#define FSTS_ALL	(QIRING_FSTS_IQE | QIRING_FSTS_ITE | QIRING_FSTS_ICE)

/* ---- scenarios ------------------------------------------------------------ */

enum wm_kind {
	WM_PLAIN,	/* submitters with submit_sync */
	WM_LIFECYCLE,	/* T0 split API across disable/enable, T1 after enable */
	WM_ORPHAN,	/* T0 times out in flight (orphan), T1 reclaims it */
	WM_OBSERVER,	/* submitters and a free_slots() observer */
};

struct wm_scenario {
	const char *name;
	const char *what;
	wm_kind kind;
	u32 slots, desc_size;
	int nsub;
	u32 counts[WM_MAX_SUB];
	u32 subs;
	u32 ite, ice;
	int iqe_thread;		/* planted invalid last descriptor, -1: none */
	u64 ci_iters;		/* random executions in CI */
	bool gone;		/* the unit reports an ITE's device gone */
};

static const wm_scenario scenarios[] = {
	{ "handoff", "doorbell hand-off: 2 submitters, counts 1,0, 8 slots (O1, O2, O10, O11)",
	  WM_PLAIN, 8, 32, 2, { 1, 0 }, 1, 0, 0, -1, 20000 },
	{ "handoff3", "coalesced doorbell: 3 submitters, counts 0,1,0, 8 slots",
	  WM_PLAIN, 8, 32, 3, { 0, 1, 0 }, 1, 0, 0, -1, 10000 },
	{ "lonewait", "lone waits: 2 submitters, counts 0,0, 2 submissions, 4 slots (O1 on the wait)",
	  WM_PLAIN, 4, 32, 2, { 0, 0 }, 2, 0, 0, -1, 20000 },
	{ "wrap", "wrap-around, reclaim racing reserve: counts 2,1, 4 slots (O3-O6, O12)",
	  WM_PLAIN, 4, 32, 2, { 2, 1 }, 1, 0, 0, -1, 20000 },
	{ "wrap2", "wrap-around: counts 1,1, 2 submissions each, 4 slots",
	  WM_PLAIN, 4, 32, 2, { 1, 1 }, 2, 0, 0, -1, 10000 },
	{ "trio", "3 submitters, counts 1,0,1, 4 slots",
	  WM_PLAIN, 4, 32, 3, { 1, 0, 1 }, 1, 0, 0, -1, 10000 },
	{ "ite", "one ITE, wrap-around: counts 1,0, 2 submissions each, 4 slots (O7)",
	  WM_PLAIN, 4, 32, 2, { 1, 0 }, 2, 1, 0, -1, 20000 },
	{ "ite2", "two ITEs: counts 1,1, 2 submissions each, 8 slots (O8/O9: the fault handlers' counters)",
	  WM_PLAIN, 8, 32, 2, { 1, 1 }, 2, 2, 0, -1, 20000 },
	{ "gone", "one ITE whose device is gone: counts 1,0, 2 submissions each, 4 slots (GONE, -ETIMEDOUT)",
	  WM_PLAIN, 4, 32, 2, { 1, 0 }, 2, 1, 0, -1, 20000, true },
	{ "ite3", "one ITE, 3 submitters, counts 1,0,1, 8 slots",
	  WM_PLAIN, 8, 32, 3, { 1, 0, 1 }, 1, 1, 0, -1, 10000 },
	{ "iqe", "IQE on T0's last descriptor: counts 2,1, 8 slots",
	  WM_PLAIN, 8, 32, 2, { 2, 1 }, 1, 0, 0, 0, 10000 },
	{ "ice", "one ICE: counts 1,0, 2 submissions, 4 slots",
	  WM_PLAIN, 4, 32, 2, { 1, 0 }, 2, 0, 1, -1, 10000 },
	{ "desc16", "16-byte descriptors, one ITE: counts 1,0, 2 submissions, 4 slots",
	  WM_PLAIN, 4, 16, 2, { 1, 0 }, 2, 1, 0, -1, 10000 },
	{ "lifecycle", "the lifecycle gate: T0 split API across disable/enable, T1 after enable (O13, O14)",
	  WM_LIFECYCLE, 4, 32, 2, { 1, 1 }, 1, 0, 0, -1, 10000 },
	{ "orphan", "a timed-out owner (orphan) reclaimed by the other submitter (O16)",
	  WM_ORPHAN, 4, 32, 2, { 2, 1 }, 1, 0, 0, -1, 10000 },
	{ "freeslots", "free_slots() observer against reserve and reclaim (O15)",
	  WM_OBSERVER, 4, 32, 2, { 1, 1 }, 1, 0, 0, -1, 20000 },
};

static const wm_scenario *SC;
static bool wm_show;

static int wm_threads(const wm_scenario *s)
{
	return s->nsub + 1 + (s->kind == WM_LIFECYCLE || s->kind == WM_OBSERVER);
}

/* ---- the oracle: plain state, invisible to Relacy ------------------------- */

struct wm_slot {
	int owner;		/* thread, -1: released */
	u64 pos;		/* the last position that used the slot */
	u64 wait;		/* its submission's wait position */
	u64 start;		/* its submission's first position */
	bool written;		/* descriptor written since the device consumed it */
	bool orphan;		/* its owner timed out and left it to the ring */
	int claimer;		/* the reclaimer that claimed the orphan, -1 */
	int last_owner;		/* who reserved it last (not cleared on release) */
};

struct wm_thread {
	u32 seq;
	bool in_flight;
	bool orphaned;		/* its submission was left to the ring */
	u32 credits;		/* its own wait completed (this submission) */
	int last_idx;		/* last executed descriptor of this attempt */
	s64 cons_read;		/* last value it loaded from cons */
	u64 now;		/* virtual clock */
	bool done;
	bool gone;		/* its submission was aborted by an ITE, device gone */
};

static struct wm_oracle {
	u32 slots, mask, order, nwords;
	int nthreads, dev, extra;
	bool setup;		/* in before(): no checks */
	bool reset_phase;	/* qiring_enable() resetting the ring */
	wm_slot slot[WM_MAX_SLOTS];
	u32 word[WM_MAX_WORDS];	/* latest value of each status word */
	s64 prod, cons, tail;	/* latest values */
	u64 iqt_pos, head_pos;	/* the device's positions */
	u64 iqt_writes, waits_published;
	u32 raised_ite, raised_iqe, raised_ice, ite_left, ice_left;
	wm_thread th[WM_MAX_THREADS];
	u8 exec[WM_MAX_SUB][WM_MAX_SUBS][WM_MAX_COUNT];
	s64 fullest;		/* max over reservations of p + n - cons read */
	int lock_holder;
	int finished;
	bool rcu_on;
	bool t0_reserved, reenabled, t0_returned;
	u64 desc_version;
	/* what this execution exercised (coverage, counted in after()) */
	bool f_handoff, f_coalesce, f_reuse, f_ite_other, f_orphan, f_iqe, f_epoch, f_gone;
} O;

static struct {
	u64 runs, handoff, coalesce, reuse, ite_other, orphan, iqe, epoch, gone;
} COV;

static char wm_msg[512];

[[noreturn]] static void wm_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void wm_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(wm_msg, sizeof(wm_msg), fmt, ap);
	va_end(ap);
	rl::ctx().fail_test(wm_msg, rl::test_result_user_assert_failed, RL_INFO);
	abort();	/* fail_test() leaves the fiber for good */
}

static void wm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void wm_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!rl::ctx().collecting_history())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rl::ctx().exec_log_msg(RL_INFO, buf);
}

static int me(void)
{
	return (int)rl::thread_index();
}

static u32 lap_word(u64 pos, u32 state)
{
	return qiring_status_word(pos, O.order, state);
}

static const char *const state_name[8] = {
	"FREE", "DESC", "WAIT", "DONE", "ABORT", "BAD", "GONE", "?7",
};

static const char *word_str(u32 v)
{
	static char buf[4][32];
	static int n;
	char *b = buf[n++ & 3];

	snprintf(b, sizeof(buf[0]), "%s(lap %u)", state_name[v & QIRING_STATE_MASK],
		 v >> QIRING_STATE_BITS);
	return b;
}

/* ---- the Relacy side: shadows and device registers ------------------------ */

struct wm_world {
	rl::atomic<u32> status_sh[WM_MAX_WORDS];
	rl::atomic<u32> enabled_sh;
	rl::var<u64> desc_sh[WM_MAX_SLOTS];
	rl::atomic<u32> iqt, iqh, fsts, reset_req;
	rl::atomic<u32> rcu[WM_MAX_THREADS];
	struct qiring *ring;
	alignas(64) unsigned char ring_buf[sizeof(struct qiring) + 64];

	wm_world()
	{
		uintptr_t a = ((uintptr_t)ring_buf + 63) & ~(uintptr_t)63;

		ring = ::new ((void *)a) qiring();
	}

	~wm_world()
	{
		ring->~qiring();
	}
};

static wm_world *WW;
alignas(64) static u32 raw_status[WM_MAX_WORDS];
alignas(64) static u8 raw_desc[WM_MAX_SLOTS * 32];

/* ---- the backend: u32 words ----------------------------------------------- */

static rl::atomic<u32> *u32_shadow(const void *p, u32 **raw, int *word,
				   rl::debug_info_param info)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)raw_status;

	if (a >= lo && a < lo + O.nwords * sizeof(u32) && !((a - lo) & 3)) {
		*word = (int)((a - lo) / sizeof(u32));
		*raw = &raw_status[*word];
		return &WW->status_sh[*word];
	}
	if (p == &WW->ring->enabled) {
		*word = -1;
		*raw = &WW->ring->enabled;
		return &WW->enabled_sh;
	}
	rl::ctx().fail_test("weakmem: access to a u32 word the harness did not register",
			    rl::test_result_user_assert_failed, info);
	abort();
}

static void oracle_word_write(int w, u32 old, u32 v, bool rmw);
static void oracle_word_load(int w, u32 v, rl::debug_info_param info);

u32 wm_u32_load(const void *p, wm_mo mo, rl::debug_info_param info)
{
	u32 *raw;
	int w;
	rl::atomic<u32> *a = u32_shadow(p, &raw, &w, info);
	u32 v = a->load(mo, info);

	if (w >= 0)
		oracle_word_load(w, v, info);
	return v;
}

void wm_u32_store(void *p, u32 v, wm_mo mo, rl::debug_info_param info)
{
	u32 *raw;
	int w;
	rl::atomic<u32> *a = u32_shadow(p, &raw, &w, info);

	a->store(v, mo, info);
	if (w >= 0) {
		u32 old = O.word[w];

		O.word[w] = v;
		oracle_word_write(w, old, v, false);
	}
	*raw = v;
}

bool wm_u32_cmpxchg(void *p, u32 *oldp, u32 n, wm_mo mo, rl::debug_info_param info)
{
	u32 *raw;
	int w;
	rl::atomic<u32> *a = u32_shadow(p, &raw, &w, info);
	u32 expect = *oldp;
	bool ok = a->compare_exchange_strong(*oldp, n, mo, info, WM_RELAXED, info);

	if (ok) {
		if (w >= 0) {
			O.word[w] = n;
			oracle_word_write(w, expect, n, true);
		}
		*raw = n;
	}
	return ok;
}

/* ---- the backend: atomic64_t ---------------------------------------------- */

static void oracle_a64(const wm_atomic64 *v, s64 old, s64 n, bool rmw);

s64 wm_a64_load(const wm_atomic64 *v, wm_mo mo, rl::debug_info_param info)
{
	s64 x = v->counter.load(mo, info);

	if (v == &WW->ring->cons)
		O.th[me()].cons_read = x;
	return x;
}

void wm_a64_store(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info)
{
	v->counter.store(i, mo, info);
	oracle_a64(v, 0, i, false);
}

s64 wm_a64_fetch_add(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info)
{
	return v->counter.fetch_add(i, mo, info);
}

s64 wm_a64_fetch_or(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info)
{
	s64 old = v->counter.fetch_or(i, mo, info);

	oracle_a64(v, old, old | i, true);
	return old;
}

s64 wm_a64_xchg(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info)
{
	s64 old = v->counter.exchange(i, mo, info);

	oracle_a64(v, old, i, true);
	return old;
}

bool wm_a64_cmpxchg(wm_atomic64 *v, s64 *oldp, s64 n, wm_mo mo, rl::debug_info_param info)
{
	s64 expect = *oldp;
	bool ok = v->counter.compare_exchange_strong(*oldp, n, mo, info, WM_RELAXED, info);

	if (ok)
		oracle_a64(v, expect, n, true);
	else if (v == &WW->ring->cons)
		O.th[me()].cons_read = *oldp;
	return ok;
}

/* ---- the backend: the fault lock, RCU, time, relax ------------------------ */

#ifdef WM_FAULT_LOCK_RELAXED
#define WM_LOCK_ACQ	WM_RELAXED
#define WM_LOCK_REL	WM_RELAXED
#else
#define WM_LOCK_ACQ	WM_ACQUIRE
#define WM_LOCK_REL	WM_RELEASE
#endif

void wm_spin_init(wm_spinlock *l, rl::debug_info_param info)
{
	l->locked.store(0, WM_RELAXED, info);
}

void wm_spin_lock(wm_spinlock *l, rl::debug_info_param info)
{
	for (;;) {
		int z = 0;

		if (l->locked.compare_exchange_strong(z, 1, WM_LOCK_ACQ, info,
						      WM_RELAXED, info))
			break;
		rl::yield(1, info);
	}
	O.lock_holder = me();
}

bool wm_spin_trylock(wm_spinlock *l, rl::debug_info_param info)
{
	int z = 0;

	if (!l->locked.compare_exchange_strong(z, 1, WM_LOCK_ACQ, info, WM_RELAXED, info))
		return false;
	O.lock_holder = me();
	return true;
}

void wm_spin_unlock(wm_spinlock *l, rl::debug_info_param info)
{
	O.lock_holder = -1;
	l->locked.store(0, WM_LOCK_REL, info);
}

void wm_rcu_read_lock(rl::debug_info_param info)
{
	if (O.rcu_on)
		WW->rcu[me()].fetch_or(1u, WM_ACQUIRE, info);
}

void wm_rcu_read_unlock(rl::debug_info_param info)
{
	if (O.rcu_on)
		WW->rcu[me()].fetch_and(~1u, WM_RELEASE, info);
}

void wm_synchronize_rcu(rl::debug_info_param info)
{
	int i;

	if (!O.rcu_on)
		return;
	for (i = 0; i < O.nthreads; i++) {
		if (i == me())
			continue;
		for (;;) {
			u32 v = WW->rcu[i].load(WM_RELAXED, info);

			if (v & 1) {
				rl::yield(1, info);	/* a reader is inside */
				continue;
			}
			if (WW->rcu[i].compare_exchange_strong(v, v + 2, WM_ACQ_REL, info,
							       WM_RELAXED, info))
				break;
		}
	}
}

u64 wm_now_ns(void)
{
	return O.th[me()].now += 1000;
}

void wm_relax(rl::debug_info_param info)
{
	rl::yield(1, info);
}

/* ---- the backend: descriptor copies ---------------------------------------- */

void *wm_memcpy(void *dst, const void *src, size_t n)
{
	uintptr_t a = (uintptr_t)dst, lo = (uintptr_t)raw_desc;
	u32 s;
	int t = me();
	const struct qiring_desc *d;

	std::memcpy(dst, src, n);
	if (a < lo || a >= lo + (uintptr_t)O.slots * SC->desc_size)
		return dst;
	if ((a - lo) % SC->desc_size || n > SC->desc_size)
		wm_fail("descriptor copy of %zu bytes at offset %zu: not one slot",
			n, (size_t)(a - lo));
	s = (u32)((a - lo) / SC->desc_size);
	d = (const struct qiring_desc *)dst;
	WW->desc_sh[s](RL_INFO).store(++O.desc_version);
	O.slot[s].written = true;
	if (t == O.lock_holder) {
		/*
		 * The IQE handler's replacement: a copy of the owner's wait whose
		 * status write goes to the scratch word. The handler read that
		 * wait descriptor (wd->qw0) with a plain load Relacy cannot see;
		 * stand in for it here: nothing this thread did since (a relaxed
		 * cmpxchg) could have ordered it.
		 */
		if ((d->qw0 >> 32) != 0 && d->qw1 == (u64)(uintptr_t)&raw_status[O.slots]) {
			u32 ws = (u32)(O.slot[s].wait & O.mask);

			(void)WW->desc_sh[ws](RL_INFO).load();
		}
		return dst;
	}
	if (O.slot[s].owner != t)
		wm_fail("T%d wrote the descriptor in slot %u, which %s", t, s,
			O.slot[s].owner < 0 ? "nobody owns (released)" : "another thread owns");
	if (O.word[s] != lap_word(O.slot[s].pos - O.slots, QIRING_FREE))
		wm_fail("T%d wrote the descriptor at position %llu after publishing it (%s)",
			t, (unsigned long long)O.slot[s].pos, word_str(O.word[s]));
	return dst;
}

/* ---- the oracle's checks on words and positions --------------------------- */

/*
 * The owner that finds its wait GONE reads its own descriptors next
 * (qr_has_devtlb(): does the submission carry a device-TLB invalidation?),
 * plain reads Relacy cannot see; stand in for them here: the only access
 * between is this load.
 */
static void oracle_word_load(int w, u32 v, rl::debug_info_param info)
{
	wm_slot *sl;
	u64 q;

	if ((u32)w >= O.slots || (v & QIRING_STATE_MASK) != QIRING_GONE)
		return;
	sl = &O.slot[w];
	if (sl->owner != me() || sl->pos != sl->wait || v != lap_word(sl->pos, QIRING_GONE) ||
	    strcmp(info.func_, "__qr_poll"))
		return;
	for (q = sl->start; q < sl->wait; q++) {
		const struct qiring_desc *d = (const struct qiring_desc *)
			(raw_desc + (q & O.mask) * SC->desc_size);

		(void)WW->desc_sh[q & O.mask](RL_INFO).load();
		if (vtd_is_devtlb(d))
			break;
	}
}

static bool is_done_like(u32 st)
{
	return st == QIRING_DONE || st == QIRING_ABORT || st == QIRING_GONE;
}

static void oracle_word_write(int w, u32 old, u32 v, bool rmw)
{
	int t = me();
	u32 st = v & QIRING_STATE_MASK;
	wm_slot *sl;

	if (O.setup || O.reset_phase)
		return;
	if ((u32)w == O.slots)
		return;		/* IQE scratch word: the IQE copy's status write */
	if ((u32)w > O.slots) {	/* orphan words */
		u32 s = (u32)w - O.slots - 1;

		sl = &O.slot[s];
		if (v && !rmw && t == sl->owner && sl->start == sl->pos &&
		    v == sl->wait - sl->start + 1) {
			/* O16: the owner leaves its submission to the ring */
			u32 i;

			for (i = 0; i < v; i++)
				O.slot[(s + i) & O.mask].orphan = true;
			O.th[t].in_flight = false;
			O.th[t].orphaned = true;
			return;
		}
		if (!v && rmw && old) {		/* a reclaimer claims it */
			u32 i;

			for (i = 0; i < old; i++) {
				wm_slot *o = &O.slot[(s + i) & O.mask];

				if (!o->orphan)
					wm_fail("T%d claimed an orphan over slot %u, which is not orphaned",
						t, (s + i) & O.mask);
				o->claimer = t;
				if (o->owner != t)
					O.f_orphan = true;
			}
			return;
		}
		wm_fail("T%d wrote %u to the orphan word of slot %u", t, v, s);
	}
	sl = &O.slot[w];
	if (t == O.dev) {
		if (st != QIRING_DONE || v != lap_word(sl->pos, QIRING_DONE) ||
		    old != lap_word(sl->pos, QIRING_WAIT) || sl->owner < 0)
			wm_fail("the device wrote %s over %s in slot %u (position %llu, %s)",
				word_str(v), word_str(old), w, (unsigned long long)sl->pos,
				sl->owner < 0 ? "released" : "owned");
		return;
	}
	if (t == O.lock_holder && rmw &&
	    (((st == QIRING_ABORT || st == QIRING_GONE) && old == lap_word(sl->pos, QIRING_WAIT)) ||
	     (st == QIRING_BAD && old == lap_word(sl->pos, QIRING_DESC)))) {
		if (sl->owner < 0)
			wm_fail("the fault path marked released slot %u %s", w, word_str(v));
		if (st != QIRING_BAD && t != sl->owner)
			O.f_ite_other = true;
		if (st == QIRING_GONE)
			O.th[sl->owner].gone = O.f_gone = true;
		return;
	}
	if (st == QIRING_FREE && v == lap_word(sl->pos, QIRING_FREE) &&
	    sl->orphan && sl->claimer == t) {
		sl->owner = -1;
		sl->orphan = false;
		sl->claimer = -1;
		return;
	}
	if (t != sl->owner)
		wm_fail("T%d changed slot %u from %s to %s, but it belongs to %s (position %llu)",
			t, w, word_str(old), word_str(v),
			sl->owner < 0 ? "nobody" : sl->owner == 0 ? "T0" : sl->owner == 1 ? "T1" : "T2",
			(unsigned long long)sl->pos);
	if (sl->orphan)
		wm_fail("T%d changed slot %u after leaving it to the ring", t, w);
	if (st == QIRING_FREE) {
		if (v != lap_word(sl->pos, QIRING_FREE))
			wm_fail("T%d freed slot %u with %s, position %llu", t, w,
				word_str(v), (unsigned long long)sl->pos);
		if (sl->pos == sl->wait && !is_done_like(old & QIRING_STATE_MASK))
			wm_fail("T%d freed its wait slot %u while it read %s", t, w,
				word_str(old));
		sl->owner = -1;
		return;
	}
	if (v != lap_word(sl->pos, sl->pos == sl->wait ? QIRING_WAIT : QIRING_DESC) ||
	    old != lap_word(sl->pos - O.slots, QIRING_FREE))
		wm_fail("T%d marked slot %u %s over %s (position %llu)", t, w,
			word_str(v), word_str(old), (unsigned long long)sl->pos);
}

static void oracle_reserve(int t, s64 p, s64 n)
{
	s64 q;

	for (q = p; q < n; q++) {
		wm_slot *sl = &O.slot[q & O.mask];

		if (sl->owner >= 0 || sl->pos + O.slots != (u64)q)
			wm_fail("T%d reserved position %lld, but slot %u %s (position %llu)",
				t, (long long)q, (u32)(q & O.mask),
				sl->owner >= 0 ? "is still owned" : "was never used by the position before",
				(unsigned long long)sl->pos);
		if (q - (s64)O.slots >= O.cons)
			wm_fail("T%d reserved position %lld, but cons %lld has not passed %lld",
				t, (long long)q, (long long)O.cons, (long long)(q - O.slots));
		if (sl->last_owner >= 0 && sl->last_owner != t)
			O.f_reuse = true;
		sl->owner = t;
		sl->last_owner = t;
		sl->pos = (u64)q;
		sl->start = (u64)p;
		sl->wait = (u64)n - 1;
		sl->written = false;
		sl->orphan = false;
		sl->claimer = -1;
	}
	if (n - O.th[t].cons_read > O.fullest)
		O.fullest = n - O.th[t].cons_read;
	if (t == 0)
		O.t0_reserved = true;
}

static void oracle_reset(u64 base)
{
	u32 s;

	for (s = 0; s < O.slots; s++) {
		O.slot[s].owner = -1;
		O.slot[s].pos = base + s - O.slots;
		O.slot[s].wait = O.slot[s].pos;
		O.slot[s].written = false;
		O.slot[s].orphan = false;
		O.slot[s].claimer = -1;
		O.slot[s].last_owner = -1;
	}
	O.iqt_pos = O.head_pos = base;
	O.f_epoch = base != 0;
}

static void oracle_a64(const wm_atomic64 *v, s64 old, s64 n, bool rmw)
{
	struct qiring *r = WW->ring;
	int t = me();

	if (v == &r->prod) {
		if (!rmw) {		/* qiring_init(), qiring_enable() */
			O.prod = n;
			if (!O.setup)
				oracle_reset((u64)n);
			return;
		}
		if (old != O.prod)
			wm_fail("prod cmpxchg from %lld, but prod is %lld", (long long)old,
				(long long)O.prod);
		O.prod = n;
		oracle_reserve(t, old, n);
	} else if (v == &r->cons) {
		s64 q;

		if (!rmw) {
			O.cons = n;
			return;
		}
		for (q = old; q < n; q++) {
			wm_slot *sl = &O.slot[q & O.mask];

			if (sl->owner >= 0 || sl->pos != (u64)q)
				wm_fail("T%d moved cons %lld -> %lld past position %lld, which %s",
					t, (long long)old, (long long)n, (long long)q,
					sl->owner >= 0 ? "its owner still holds" : "was never reserved");
		}
		O.cons = n;
	} else if (v == &r->tail) {
		if (rmw && (n >> 1) < (O.tail >> 1))
			wm_fail("published moved backward: %lld -> %lld",
				(long long)(O.tail >> 1), (long long)(n >> 1));
		if (!rmw && !O.setup && !O.reset_phase && (n >> 1) < (O.tail >> 1))
			wm_fail("published moved backward: %lld -> %lld",
				(long long)(O.tail >> 1), (long long)(n >> 1));
		O.tail = n;
	}
}

/* ---- the device ------------------------------------------------------------ */

static void hw_write_tail(void *hw, u32 index)
{
	u64 from = O.iqt_pos, to, q, waits = 0;

	/* The MMIO write: writel() orders the descriptor writes before it. */
	WW->iqt.store(index, WM_RELEASE, RL_INFO);
	to = from + ((index - from) & O.mask);
	wm_log("IQT %u (position %llu -> %llu)", index, (unsigned long long)from,
	       (unsigned long long)to);
	if (to == from)
		wm_fail("an IQT write that does not move it (position %llu)",
			(unsigned long long)from);
	if ((s64)to > O.prod)
		wm_fail("IQT moved to position %llu, past the allocation frontier %lld",
			(unsigned long long)to, (long long)O.prod);
	for (q = from; q < to; q++) {
		wm_slot *sl = &O.slot[q & O.mask];
		u32 v = O.word[q & O.mask];

		if (sl->owner < 0 || sl->pos != q)
			wm_fail("IQT passed position %llu, which nobody owns", (unsigned long long)q);
		if (!sl->written)
			wm_fail("IQT passed position %llu, whose descriptor was never written",
				(unsigned long long)q);
		if (v != lap_word(q, QIRING_DESC) && v != lap_word(q, QIRING_WAIT))
			wm_fail("IQT passed position %llu, which reads %s (not marked)",
				(unsigned long long)q, word_str(v));
		if (q == sl->wait) {
			O.waits_published++;
			waits++;
		}
		if (sl->owner != me())
			O.f_handoff = true;
	}
	if (waits > 1)
		O.f_coalesce = true;
	if (O.slot[(to - 1) & O.mask].wait != to - 1)
		wm_fail("IQT stops at position %llu, inside a submission", (unsigned long long)to);
	O.iqt_pos = to;
	O.iqt_writes++;
}

static u32 hw_read_head(void *hw)
{
	return WW->iqh.load(WM_ACQUIRE, RL_INFO);
}

static u32 hw_read_fault(void *hw)
{
	return WW->fsts.load(WM_ACQUIRE, RL_INFO) & FSTS_ALL;
}

static void hw_clear_fault(void *hw, u32 bits)
{
	/* write 1 to clear; a release: a descriptor rewritten before is fetched */
	WW->fsts.fetch_and(~(bits & FSTS_ALL), WM_RELEASE, RL_INFO);
}

static void hw_relax(void *hw)
{
	rl::yield(1, RL_INFO);
}

static bool hw_target_gone(void *hw)
{
	return true;
}

static const struct qiring_hw_ops wm_hw_ops = {
	.write_tail = hw_write_tail,
	.read_head = hw_read_head,
	.read_fault = hw_read_fault,
	.clear_fault = hw_clear_fault,
	.relax = hw_relax,
	.ite_target_gone = NULL,
};

static const struct qiring_hw_ops wm_hw_ops_gone = {
	.write_tail = hw_write_tail,
	.read_head = hw_read_head,
	.read_fault = hw_read_fault,
	.clear_fault = hw_clear_fault,
	.relax = hw_relax,
	.ite_target_gone = hw_target_gone,
};

static u64 idx_pos(u32 idx)
{
	return O.head_pos + ((idx - (u32)O.head_pos) & O.mask);
}

static bool dev_fetched(void *arg, u32 idx, const struct qiring_desc *x)
{
	/* The fetch: a plain read of the descriptor, after the IQT acquire. */
	(void)WW->desc_sh[idx](RL_INFO).load();
	return true;
}

static bool dev_times_out(void *arg, u32 idx, const struct qiring_desc *x)
{
	if (!O.ite_left || !rl::rand(2))
		return false;
	O.ite_left--;
	return true;
}

static bool dev_raises_ice(void *arg, u32 idx, const struct qiring_desc *x)
{
	if (!O.ice_left || !rl::rand(2))
		return false;
	O.ice_left--;
	return true;
}

static void dev_status_write(void *arg, u32 *addr, u32 v)
{
	/* The DMA write: a release store, paired with the waiter's acquire. */
	wm_u32_store(addr, v, WM_RELEASE, RL_INFO);
}

static void dev_bad_status(void *arg, u64 addr)
{
	wm_fail("a wait descriptor writes status address %#llx, outside the status words",
		(unsigned long long)addr);
}

static void dev_exec_payload(u64 pos, const struct qiring_desc *d)
{
	int t = WM_THREAD(d->qw1);
	u32 seq = WM_SEQ(d->qw1), i = WM_INDEX(d->qw1), n;
	wm_thread *th;

	if (!WM_IS_PAYLOAD(d->qw1) || t >= SC->nsub || seq >= SC->subs || i >= SC->counts[t])
		wm_fail("the device executed a descriptor nobody submitted at position %llu "
			"(%#llx %#llx)", (unsigned long long)pos,
			(unsigned long long)d->qw0, (unsigned long long)d->qw1);
	th = &O.th[t];
	if ((!th->in_flight && !th->orphaned) || th->seq != seq)
		wm_fail("the device executed T%d#%u.%u at position %llu while T%d is %s", t,
			seq, i, (unsigned long long)pos, t,
			th->in_flight ? "in a later submission" : "not submitting it");
	if (i != 0 && (int)i != th->last_idx + 1)
		wm_fail("T%d#%u.%u executed after T%d#%u.%d: out of order", t, seq, i, t,
			seq, th->last_idx);
	th->last_idx = (int)i;
	n = ++O.exec[t][seq][i];
	if (n > 1 + O.raised_ite)
		wm_fail("T%d#%u.%u executed %u times (%u ITEs)", t, seq, i, n, O.raised_ite);
}

static void dev_event(void *arg, enum vtd_event kind, u32 idx, const struct qiring_desc *x)
{
	u64 pos = idx_pos(idx);
	wm_slot *sl = &O.slot[idx];

	switch (kind) {
	case VTD_EV_EXEC:
		wm_log("device executes position %llu: %#llx %#llx", (unsigned long long)pos,
		       (unsigned long long)x->qw0, (unsigned long long)x->qw1);
		if (pos >= O.iqt_pos)
			wm_fail("the device executed position %llu beyond IQT %llu",
				(unsigned long long)pos, (unsigned long long)O.iqt_pos);
		sl->written = false;
		if (!vtd_is_wait(x)) {
			dev_exec_payload(pos, x);
			return;
		}
		if ((x->qw1 & ~3ull) == (u64)(uintptr_t)&raw_status[O.slots])
			return;		/* the IQE handler's copy */
		if (sl->owner < 0 || sl->pos != pos)
			wm_fail("the device completes the wait at position %llu, but its slot %s",
				(unsigned long long)pos,
				sl->owner < 0 ? "was released" : "belongs to another position");
		{
			wm_thread *th = &O.th[sl->owner];
			u32 cnt = (u32)(sl->wait - sl->start);
			bool planted = sl->owner == SC->iqe_thread && th->seq == 0;

			if (th->in_flight && !planted && (int)cnt - 1 != th->last_idx &&
			    sl->owner < SC->nsub)
				wm_fail("T%d#%u's wait completes after %d of its %u descriptors ran",
					sl->owner, th->seq, th->last_idx + 1, cnt);
			if (th->in_flight)
				th->credits++;
		}
		return;
	case VTD_EV_DISCARD:
		wm_log("device discards position %llu (ITE)", (unsigned long long)pos);
		sl->written = false;
		return;
	case VTD_EV_ITE:
		O.raised_ite++;
		return;
	case VTD_EV_IQE:
		wm_log("device: IQE at position %llu", (unsigned long long)pos);
		O.raised_iqe++;
		return;
	case VTD_EV_ICE:
		O.raised_ice++;
		return;
	}
}

static bool others_finished(void)
{
	return O.finished == O.nthreads - 1;
}

/* The orphan scenario's device waits until T0 gave up (a slow device). */
static bool dev_gate(void)
{
	return SC->kind != WM_ORPHAN || O.t0_returned;
}

static void device_thread(void)
{
	const struct vtd_env env = {
		.arg = NULL,
		.fetched = dev_fetched,
		.times_out = dev_times_out,
		.raises_ice = dev_raises_ice,
		.status_write = dev_status_write,
		.bad_status = dev_bad_status,
		.event = dev_event,
	};
	struct vtd_queue q = {
		.desc = raw_desc, .slots = O.slots, .desc_size = SC->desc_size,
		.status = raw_status, .nstatus = O.nwords,
	};

	for (;;) {
		struct vtd_result res;
		u32 f, h, t;

		if (WW->reset_req.load(WM_ACQUIRE, RL_INFO)) {
			/* The unit restarted by its driver: IQH = IQT = 0. */
			WW->iqh.store(0, WM_RELEASE, RL_INFO);
			WW->iqt.store(0, WM_RELEASE, RL_INFO);
			WW->reset_req.store(0, WM_RELEASE, RL_INFO);
			continue;
		}
		f = WW->fsts.load(WM_ACQUIRE, RL_INFO);
		h = WW->iqh.load(WM_RELAXED, RL_INFO);
		t = WW->iqt.load(WM_ACQUIRE, RL_INFO);
		if ((f & FSTS_STOP) || h == t || !dev_gate()) {
			if (others_finished())
				break;
			rl::yield(1, RL_INFO);
			continue;
		}
		vtd_step(&q, h, t, &env, &res);
		O.head_pos += res.advanced;
		if (res.advanced)
			WW->iqh.store((h + res.advanced) & O.mask, WM_RELEASE, RL_INFO);
		if (res.fsts)
			WW->fsts.fetch_or(res.fsts, WM_RELEASE, RL_INFO);
	}
}

/* ---- the submitters and the other actors ---------------------------------- */

static void fill(int t, u32 seq, struct qiring_desc *d, u32 count, bool planted)
{
	u32 i;

	memset(d, 0, sizeof(*d) * WM_MAX_COUNT);
	for (i = 0; i < count; i++) {
		/* the first one a device-TLB invalidation an ITE may time out */
		d[i].qw0 = i ? WM_TYPE_IOTLB : SC->desc_size == 32 ?
			   QIRING_TYPE_DEIOTLB : QIRING_TYPE_DIOTLB;
		if (planted && i == count - 1)
			d[i].qw0 = WM_TYPE_INVALID;
		d[i].qw1 = WM_PAYLOAD(t, seq, i);
	}
}

static void sub_begin(int t, u32 seq)
{
	wm_thread *th = &O.th[t];

	th->seq = seq;
	th->in_flight = true;
	th->credits = 0;
	th->last_idx = -1;
	th->gone = false;
	wm_log("=== T%d submission #%u", t, seq);
}

static void sub_end(int t, u32 seq, u32 count, int rc, int want, bool planted)
{
	wm_thread *th = &O.th[t];
	u32 i;

	wm_log("=== T%d submission #%u returns %d", t, seq, rc);
	/* an ITE for a departed device ends a device-TLB submission */
	if (th->gone && count && !planted)
		want = -ETIMEDOUT;
	if (rc != want)
		wm_fail("T%d#%u returned %d, expected %d", t, seq, rc, want);
	if (rc == -ETIMEDOUT) {
		th->in_flight = false;
		return;		/* whether it ran is not known (Linux 6.12) */
	}
	for (i = 0; i < count; i++) {
		if (planted && i == count - 1) {
			if (O.exec[t][seq][i])
				wm_fail("T%d#%u.%u (invalid) was executed", t, seq, i);
			continue;
		}
		if (!O.exec[t][seq][i])
			wm_fail("lost: T%d#%u.%u was never executed, yet it returned %d", t, seq,
				i, rc);
	}
	if (!th->credits)
		wm_fail("T%d#%u returned %d before the device completed its wait", t, seq, rc);
	th->in_flight = false;
}

static void submitter(int t)
{
	struct qiring_desc d[WM_MAX_COUNT];
	u32 seq, count = SC->counts[t];

	for (seq = 0; seq < SC->subs; seq++) {
		bool planted = t == SC->iqe_thread && seq == 0 && count;
		int rc;

		fill(t, seq, d, count, planted);
		sub_begin(t, seq);
		rc = qiring_submit_sync(WW->ring, d, count, 0);
		sub_end(t, seq, count, rc, planted ? -EINVAL : 0, planted);
	}
}

/* Lifecycle T0: the split API, its ticket outliving a disable. */
static void split_owner(int t)
{
	struct qiring *r = WW->ring;
	struct qiring_desc d[WM_MAX_COUNT];
	struct qiring_ticket tk;
	u32 count = SC->counts[t], i;
	int rc;

	fill(t, 0, d, count, false);
	sub_begin(t, 0);
	rc = qiring_reserve(r, count, &tk);
	if (rc)
		wm_fail("T%d: qiring_reserve() returned %d", t, rc);
	for (i = 0; i < count; i++)
		if ((rc = qiring_write(r, &tk, i, &d[i])))
			wm_fail("T%d: qiring_write() returned %d", t, rc);
	if ((rc = qiring_publish(r, &tk, 0)))
		wm_fail("T%d: qiring_publish() returned %d", t, rc);
	rc = qiring_wait(r, &tk);
	if ((i = (u32)qiring_release(r, &tk)))
		wm_fail("T%d: qiring_release() returned %d", t, (int)i);
	sub_end(t, 0, count, rc, 0, false);
}

/*
 * Lifecycle T1: submits once the ring is enabled again. Orphan T1: once T0
 * holds its slots.
 */
static void late_submitter(int t)
{
	struct qiring_desc d[WM_MAX_COUNT];
	u32 count = SC->counts[t];
	int rc;

	while (SC->kind == WM_LIFECYCLE ? !O.reenabled : !O.t0_reserved)
		rl::yield(1, RL_INFO);
	fill(t, 0, d, count, false);
	sub_begin(t, 0);
	while ((rc = qiring_submit_sync(WW->ring, d, count, 0)) == -ENODEV)
		rl::yield(1, RL_INFO);
	sub_end(t, 0, count, rc, 0, false);
}

/* Lifecycle controller: disable (until drained), restart the unit, enable. */
static void controller(void)
{
	struct qiring *r = WW->ring;
	int rc;

	while (!O.t0_reserved)
		rl::yield(1, RL_INFO);
	while ((rc = qiring_disable(r)) == -EBUSY)
		rl::yield(1, RL_INFO);
	if (rc)
		wm_fail("qiring_disable() returned %d", rc);
	/* The driver restarts the unit: IQH = IQT = 0 (dmar_reenable_qi()). */
	WW->reset_req.store(1, WM_RELEASE, RL_INFO);
	while (WW->reset_req.load(WM_ACQUIRE, RL_INFO))
		rl::yield(1, RL_INFO);
	O.reset_phase = true;
	rc = qiring_enable(r);
	O.reset_phase = false;
	if (rc)
		wm_fail("qiring_enable() returned %d", rc);
	O.reenabled = true;
}

/* Orphan T0: gives up while the (gated) device has not run its submission. */
static void orphan_owner(int t)
{
	struct qiring_desc d[WM_MAX_COUNT];
	u32 count = SC->counts[t];
	int rc;

	fill(t, 0, d, count, false);
	sub_begin(t, 0);
	rc = qiring_submit_timeout(WW->ring, d, count, 0, 1);
	wm_log("=== T%d submission #0 returns %d", t, rc);
	if (rc != -ETIMEDOUT)
		wm_fail("T%d: qiring_submit_timeout() returned %d, expected -ETIMEDOUT", t, rc);
	if (!O.th[t].orphaned)
		wm_fail("T%d timed out without leaving an orphan", t);
	O.t0_returned = true;
}

/* free_slots() never reports less than the fullest reservation allows (O15). */
static void observer(void)
{
	int i;

	for (i = 0; i < 3; i++) {
		u32 f = qiring_free_slots(WW->ring);
		s64 min = (s64)O.mask - O.fullest;

		if (f > O.mask || (s64)f < min)
			wm_fail("free_slots() returned %u; every reservation left at least %lld free",
				f, (long long)(min < 0 ? 0 : min));
	}
}

/* ---- quiescence (P6) -------------------------------------------------------- */

static void quiescence(void)
{
	struct qiring *r = WW->ring;
	struct qiring_stats st;
	u32 f, s;
	s64 prod, cons, tail;

	if (O.head_pos != O.iqt_pos)
		wm_fail("at quiescence the device still has %llu descriptors to run",
			(unsigned long long)(O.iqt_pos - O.head_pos));
	f = qiring_free_slots(r);
	if (f != O.slots - 1)
		wm_fail("at quiescence free_slots() is %u, expected %u", f, O.slots - 1);
	prod = r->prod.counter.debug_value();
	cons = r->cons.counter.debug_value();
	tail = r->tail.counter.debug_value();
	if (cons != prod || tail != prod << 1)
		wm_fail("at quiescence prod %lld, cons %lld, tail %#llx", (long long)prod,
			(long long)cons, (unsigned long long)tail);
	if (O.iqt_pos != (u64)prod)
		wm_fail("at quiescence IQT is at %llu, prod %lld", (unsigned long long)O.iqt_pos,
			(long long)prod);
	for (s = 0; s < O.slots; s++) {
		if (O.slot[s].owner >= 0)
			wm_fail("at quiescence slot %u still belongs to T%d", s, O.slot[s].owner);
		if (O.word[s] != lap_word(O.slot[s].pos, QIRING_FREE))
			wm_fail("at quiescence slot %u reads %s, expected %s", s, word_str(O.word[s]),
				word_str(lap_word(O.slot[s].pos, QIRING_FREE)));
	}
	qiring_get_stats(r, &st);
	if (st.tail_writes != O.iqt_writes || st.submissions != O.waits_published)
		wm_fail("lease-protected counters: tail_writes %llu (device saw %llu), "
			"submissions %llu (published %llu)",
			(unsigned long long)st.tail_writes, (unsigned long long)O.iqt_writes,
			(unsigned long long)st.submissions, (unsigned long long)O.waits_published);
	/* an ICE does not stop the queue: nobody has to have looked yet */
	if (st.iqe != O.raised_iqe || st.ite != O.raised_ite ||
	    st.ice > O.raised_ice ||
	    (st.ice < O.raised_ice && !(WW->fsts.debug_value() & QIRING_FSTS_ICE)))
		wm_fail("fault counters: iqe %llu/%u, ite %llu/%u, ice %llu/%u (handled/raised)",
			(unsigned long long)st.iqe, O.raised_iqe, (unsigned long long)st.ite,
			O.raised_ite, (unsigned long long)st.ice, O.raised_ice);
}

/* ---- the test --------------------------------------------------------------- */

template <int N>
struct wm_test : rl::test_suite<wm_test<N>, N>, wm_world {
	void before()
	{
		struct qiring_config cfg;
		int i, rc;

		WW = this;
		memset(&O, 0, sizeof(O));
		O.slots = SC->slots;
		O.mask = SC->slots - 1;
		O.order = (u32)__builtin_ctz(SC->slots);
		O.nwords = qiring_status_words(SC->slots);
		O.nthreads = N;
		O.dev = SC->nsub;
		O.extra = SC->nsub + 1;
		O.lock_holder = -1;
		O.ite_left = SC->ite;
		O.ice_left = SC->ice;
		O.rcu_on = SC->kind == WM_LIFECYCLE;
		O.setup = true;
		oracle_reset(0);
		memset(raw_desc, 0, sizeof(raw_desc));
		for (i = 0; i < WM_MAX_THREADS; i++)
			O.th[i].cons_read = 0;

		memset(&cfg, 0, sizeof(cfg));
		cfg.slots = SC->slots;
		cfg.desc_size = SC->desc_size;
		cfg.desc = raw_desc;
		cfg.status = raw_status;
		cfg.status_dma = (u64)(uintptr_t)raw_status;
		cfg.ops = SC->gone ? &wm_hw_ops_gone : &wm_hw_ops;
		cfg.fault_poll_ns = 1;		/* every clock read (64 iterations) */
		cfg.stall_ns = 1ull << 60;	/* no stall reports */
		rc = qiring_init(ring, &cfg);
		if (rc)
			wm_fail("qiring_init() returned %d", rc);
		for (i = 0; i < (int)O.nwords; i++)
			O.word[i] = status_sh[i].debug_value();
		iqt.store(0, WM_RELAXED, RL_INFO);
		iqh.store(0, WM_RELAXED, RL_INFO);
		fsts.store(0, WM_RELAXED, RL_INFO);
		reset_req.store(0, WM_RELAXED, RL_INFO);
		for (i = 0; i < WM_MAX_THREADS; i++)
			rcu[i].store(0, WM_RELAXED, RL_INFO);
		O.setup = false;
	}

	void thread(unsigned idx)
	{
		int t = (int)idx;

		if (t < SC->nsub) {
			if (SC->kind == WM_LIFECYCLE)
				t == 0 ? split_owner(t) : late_submitter(t);
			else if (SC->kind == WM_ORPHAN && t == 0)
				orphan_owner(t);
			else if (SC->kind == WM_ORPHAN)
				late_submitter(t);	/* after T0 reserved */
			else
				submitter(t);
		} else if (t == SC->nsub) {
			device_thread();
			return;		/* not counted: it waits for the others */
		} else if (SC->kind == WM_LIFECYCLE) {
			controller();
		} else {
			observer();
		}
		O.th[t].done = true;
		O.finished++;
	}

	void after()
	{
		quiescence();
		COV.runs++;
		COV.handoff += O.f_handoff;
		COV.coalesce += O.f_coalesce;
		COV.reuse += O.f_reuse;
		COV.ite_other += O.f_ite_other;
		COV.orphan += O.f_orphan;
		COV.iqe += O.raised_iqe && WW->ring->iqe.counter.debug_value();
		COV.epoch += O.f_epoch;
		COV.gone += O.f_gone;
		if (wm_show)
			wm_fail("--show: the execution, as requested");
	}
};

/* ---- main ------------------------------------------------------------------ */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --scenario NAME [--random N] [--bound K] [--full] [--start I]\n"
		"          [--depth D] [--history] | --list\n"
		"  --random N   N executions of Relacy's random scheduler (default: the\n"
		"               scenario's CI count); --start I begins at execution I\n"
		"  --bound K    Relacy's context-bound search (K preemptions), exhaustive\n"
		"               over the loads' choices of stores too\n"
		"  --full       Relacy's full search (small scenarios only)\n"
		"  --depth D    scheduling points per execution before it is a livelock\n"
		"               (default 30000)\n"
		"  --history    print the failing execution's full history\n", prog);
	exit(2);
}

/*
 * Relacy replaces the global operator new while it simulates (its own
 * allocator, reset every execution), so its output cannot go to a
 * std::ostringstream that grows meanwhile: collect it in a fixed buffer.
 */
struct wm_outbuf : std::streambuf {
	static const size_t cap = 8u << 20;
	char *buf = (char *)std::malloc(cap);
	size_t len = 0;

	int_type overflow(int_type c) override
	{
		if (c != traits_type::eof() && len < cap - 1)
			buf[len++] = (char)c;
		return traits_type::not_eof(c);
	}

	std::streamsize xsputn(const char *s, std::streamsize n) override
	{
		size_t k = (size_t)n;

		if (k > cap - 1 - len)
			k = cap - 1 - len;
		std::memcpy(buf + len, s, k);
		len += k;
		return n;
	}

	const char *str()
	{
		buf[len] = 0;
		return buf;
	}
};

template <int N>
static bool run(rl::test_params &p)
{
	return rl::simulate<wm_test<N>>(p);
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	rl::test_params p;
	u64 iters = 0, start = 0;
	bool history = false, ok;
	static wm_outbuf ob;
	std::ostream out(&ob);
	int i;
	clock_t t0;

	p.search_type = rl::sched_random;
	p.execution_depth_limit = 30000;
	for (i = 1; i < argc; i++) {
		std::string a = argv[i];

		if (a == "--list") {
			for (const wm_scenario &s : scenarios)
				printf("%-10s %s\n", s.name, s.what);
			return 0;
		} else if (a == "--scenario" && i + 1 < argc) {
			name = argv[++i];
		} else if (a == "--random" && i + 1 < argc) {
			p.search_type = rl::sched_random;
			iters = strtoull(argv[++i], NULL, 0);
		} else if (a == "--start" && i + 1 < argc) {
			start = strtoull(argv[++i], NULL, 0);
		} else if (a == "--bound" && i + 1 < argc) {
			p.search_type = rl::sched_bound;
			p.context_bound = (unsigned)strtoul(argv[++i], NULL, 0);
		} else if (a == "--full") {
			p.search_type = rl::sched_full;
		} else if (a == "--depth" && i + 1 < argc) {
			p.execution_depth_limit = (unsigned)strtoul(argv[++i], NULL, 0);
		} else if (a == "--history") {
			history = true;
		} else if (a == "--show") {
			wm_show = history = true;
		} else {
			usage(argv[0]);
		}
	}
	if (!name)
		usage(argv[0]);
	for (const wm_scenario &s : scenarios)
		if (!strcmp(s.name, name))
			SC = &s;
	if (!SC) {
		fprintf(stderr, "weakmem: no scenario %s (--list)\n", name);
		return 2;
	}
	if (!iters)
		iters = SC->ci_iters;
	if (p.search_type == rl::sched_random) {
		p.iteration_count = start + iters;
		if (start)
			p.initial_state = std::to_string(start);
	}
	p.output_stream = &out;
	p.progress_stream = &out;

	t0 = clock();
	switch (wm_threads(SC)) {
	case 3: ok = run<3>(p); break;
	case 4: ok = run<4>(p); break;
	case 5: ok = run<5>(p); break;
	default: fprintf(stderr, "weakmem: bad thread count\n"); return 2;
	}
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

	if (ok) {
		printf("weakmem %s: PASS, %llu executions (%s), %.1f s\n", SC->name,
		       (unsigned long long)p.stop_iteration,
		       p.search_type == rl::sched_random ? "random" :
		       p.search_type == rl::sched_bound ? "context bound" : "full search",
		       secs);
		printf("  exercised in %llu: hand-off %llu, coalesced IQT write %llu, slot reused by "
		       "another thread %llu, ITE abort by another thread %llu, IQE handled %llu, "
		       "orphan freed by another thread %llu, new epoch %llu, GONE %llu\n",
		       (unsigned long long)COV.runs, (unsigned long long)COV.handoff,
		       (unsigned long long)COV.coalesce, (unsigned long long)COV.reuse,
		       (unsigned long long)COV.ite_other, (unsigned long long)COV.iqe,
		       (unsigned long long)COV.orphan, (unsigned long long)COV.epoch,
		       (unsigned long long)COV.gone);
		return 0;
	}
	{
		std::string s = ob.str(), first;
		size_t a = s.find('\n');

		/* the test name, then the result line */
		first = a == std::string::npos ? s : s.substr(a + 1, s.find('\n', a + 1) - a - 1);
		printf("weakmem %s: FAIL at execution %llu: %s (%.1f s)\n", SC->name,
		       (unsigned long long)p.stop_iteration, first.c_str(), secs);
		if (history)
			fputs(s.c_str(), stdout);
		else
			printf("(--history prints the execution; --random 1 --start %llu replays it)\n",
			       (unsigned long long)p.stop_iteration);
	}
	return 1;
}
