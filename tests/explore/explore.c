// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * explore: systematic interleaving exploration of the real qiring core
 * (core/src/qiring.c) and of the historical qi_submit_sync() variants
 * (tests/lib/variant_hist.c), built with the sim port. See
 * docs/verification.md.
 *
 * 2-4 logical submitters each make `subs` submissions of `count`
 * descriptors (payloads name submitter, submission and index; the first
 * descriptor of each is a device-TLB invalidation, which an injected ITE
 * may time out). The simulated device (simdev.c) executes them. Checked on
 * every schedule:
 *
 *   P1 nothing lost or executed twice: every descriptor of a returned
 *      submission was executed, while its owner was waiting for it, at
 *      most once per ITE that could have restarted it;
 *   P2 every owner observes its own completion or abort: it returns only
 *      after the hardware completed its wait, and nobody else changes a
 *      completed or aborted wait slot before its owner has seen it (a
 *      "completion theft", the 2024 lockup's cause);
 *   P3 no slot is reclaimed while owned (lockfree: positions are tracked
 *      from the reservation to the owner's release; only the owner and the
 *      fault path, with its two transitions, change a slot's word);
 *   P4 the tail never moves backward and never passes an unwritten
 *      descriptor (checked by the device at every IQT write);
 *   P5 no deadlock or livelock: when the device runs, every submitter
 *      finishes;
 *   P6 at quiescence the free count matches the ring's contents, the
 *      device has nothing pending, and (lockfree) reclaim never looked
 *      past the allocation frontier;
 *   P7 (lockfree) bounded publication work: every IQT write carries the
 *      writer's own submission, so no submitter publishes for others
 *      more than once per submission of its own.
 *
 * Usage: explore --variant V [options]; see usage().
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "simdev.h"
#include "variant_hist.h"

#define MAX_SUBS	4
#define MAX_COUNT	16

enum { EV_BEGIN = 100, EV_END };

/* The lockfree core's status word encoding, from qiring.h. */
#define LF_STATE(v)	((v) & QIRING_STATE_MASK)
#define LF_LAP_BITS	(32 - QIRING_STATE_BITS)

static struct config {
	const char *variant;
	u32 slots, desc_size;
	int threads;
	u32 counts[SIM_MAX_THREADS];
	u32 subs;
	u32 ite, ice;
	int iqe_thread;
	bool tso;
	bool eager;
	bool cache;
	bool outcomes;
	bool check_cache;
	unsigned int pb;
	enum sim_mode mode;
	u64 seed, walks;
	signed char *replay;
	size_t nreplay;
	u64 max_steps, livelock;
	const char *expect;
	double max_seconds;
	bool quiet;
} C = {
	.slots = 4, .desc_size = 32, .threads = 2, .counts = { 1, 0, 1, 0 },
	.subs = 1, .iqe_thread = -1, .pb = 2, .mode = SIM_DFS, .seed = 1,
	.walks = 1000, .max_steps = 20000, .livelock = 2000,
};

/* ---- the system under test --------------------------------------------- */

static struct qr_dev *dev;
static bool lockfree;
static const struct qr_variant *hist_v;
static struct qr_vring *hist;
static struct qiring *ring;
static u8 *lf_desc;
static u32 *lf_status;
static u32 *status_words;	/* the words wait descriptors write */
static u32 nstatus_words;

/* ---- the oracle -------------------------------------------------------- */

struct word_state {		/* P2, any variant */
	s8 armer;		/* last thread to write a non-completion value */
	bool wait_target;	/* a published wait will complete it */
	bool pending;		/* completed or aborted, owner not yet seen it */
	bool observed;
	u32 value;
};

struct slot_owner {		/* P3, lockfree */
	s8 owner;		/* -1: released */
	u64 pos;
};

static struct {
	struct {
		u32 seq;
		bool in_flight;
		u32 credits;
		int rc;
	} th[SIM_MAX_THREADS];
	u8 exec[SIM_MAX_THREADS][MAX_SUBS][MAX_COUNT];
	struct word_state *w;
	struct slot_owner *own;
	bool final_reclaim;
	bool theft_done, theft_abort;
} O;

static const char *const lf_state_name[8] = {
	"FREE", "DESC", "WAIT", "DONE", "ABORT", "BAD", "GONE", "?7",
};

static const char *const hist_state_name[] = {
	[QR_QI_FREE] = "FREE", [QR_QI_IN_USE] = "IN_USE", [QR_QI_DONE] = "DONE",
	[QR_QI_ABORT] = "ABORT", [QR_QI_TO_BE_FREED] = "TO_BE_FREED",
};

static u32 lf_word(u64 pos, u32 state)
{
	return qiring_status_word(pos, __builtin_ctz(C.slots), state);
}

static void fmt_status(void *arg, const void *addr, u64 v, char *buf, size_t n)
{
	if (lockfree) {
		u32 lap = (u32)v >> QIRING_STATE_BITS;

		if (lap == (1u << LF_LAP_BITS) - 1)
			snprintf(buf, n, "%s(lap -1)", lf_state_name[LF_STATE(v)]);
		else
			snprintf(buf, n, "%s(lap %u)", lf_state_name[LF_STATE(v)], lap);
	} else if (v <= QR_QI_TO_BE_FREED) {
		snprintf(buf, n, "%s", hist_state_name[v]);
	} else {
		snprintf(buf, n, "%#llx", (unsigned long long)v);
	}
}

static void fmt_tail(void *arg, const void *addr, u64 v, char *buf, size_t n)
{
	snprintf(buf, n, "published %llu%s", (unsigned long long)(v >> 1),
		 (v & 1) ? "+LEASE" : "");
}

static void fmt_dec(void *arg, const void *addr, u64 v, char *buf, size_t n)
{
	snprintf(buf, n, "%llu", (unsigned long long)v);
}

static const char *actor_str(int a)
{
	static char b[4][16];
	static int i;

	i = (i + 1) % 4;
	if (a == SIM_DEV)
		return "the device";
	if (a == SIM_MAIN)
		return "set-up";
	snprintf(b[i], sizeof(b[i]), "T%d", a);
	return b[i];
}

static const char *val_str(u64 v)
{
	static char b[4][48];
	static int i;

	i = (i + 1) % 4;
	fmt_status(NULL, NULL, v, b[i], sizeof(b[i]));
	return b[i];
}

static bool is_completion(u32 v)
{
	if (lockfree)
		return LF_STATE(v) == QIRING_DONE || LF_STATE(v) == QIRING_ABORT ||
		       LF_STATE(v) == QIRING_GONE;
	return v == QR_QI_DONE || v == QR_QI_ABORT;
}

static bool is_abort(u32 v)
{
	return lockfree ? LF_STATE(v) == QIRING_ABORT || LF_STATE(v) == QIRING_GONE :
			  v == QR_QI_ABORT;
}

static int word_index(const void *addr)
{
	const u32 *a = addr;

	/* the slots' words and the scratch word; not the orphan words */
	if (!status_words || a < status_words || a >= status_words + nstatus_words ||
	    a > status_words + C.slots)
		return -1;
	return (int)(a - status_words);
}

/* P2: completion theft. */
static void word_write(int actor, int idx, u32 old, u32 new)
{
	struct word_state *w = &O.w[idx];

	if (actor == SIM_MAIN) {
		memset(w, 0, sizeof(*w));
		w->armer = -1;
		return;
	}
	if (is_completion(new)) {
		if (!w->wait_target)
			return;
		if (w->pending && !w->observed && w->value != new)
			sim_flag("status[%d]: %s by %s on top of %s, which its owner T%d has not seen",
				 idx, val_str(new), actor_str(actor), val_str(w->value),
				 w->armer);
		w->pending = true;
		w->observed = false;
		w->value = new;
		return;
	}
	if (w->wait_target && w->pending && !w->observed && actor != w->armer) {
		sim_flag("completion theft: %s overwrote the %s in status[%d] with %s before its owner T%d saw it",
			 actor_str(actor), val_str(w->value), idx, val_str(new),
			 w->armer);
		if (is_abort(w->value))
			O.theft_abort = true;
		else
			O.theft_done = true;
	}
	if (actor >= 0 && actor < SIM_MAX_THREADS)
		w->armer = (s8)actor;
	w->wait_target = false;
	w->pending = false;
	w->observed = false;
}

/* P3 (lockfree): who may change a slot's word. */
static void lf_status_write(int actor, u32 idx, u32 old, u32 new)
{
	struct slot_owner *o = &O.own[idx];
	u32 st = LF_STATE(new), ost = LF_STATE(old);

	if (actor == SIM_DEV || actor == SIM_MAIN)
		return;		/* the device: checked in dev_exec() */
	if (o->owner < 0) {
		sim_fail("%s wrote %s into slot %u, which nobody owns (last used at position %lld)",
			 actor_str(actor), val_str(new), idx, (long long)o->pos);
		return;
	}
	if (actor != o->owner) {
		bool fault_path = ((ost == QIRING_WAIT && st == QIRING_ABORT) ||
				   (ost == QIRING_WAIT && st == QIRING_GONE) ||
				   (ost == QIRING_DESC && st == QIRING_BAD)) &&
				  (old >> QIRING_STATE_BITS) == (new >> QIRING_STATE_BITS);

		if (!fault_path)
			sim_fail("slot %u changed by %s (%s -> %s), but it belongs to T%d (position %llu)",
				 idx, actor_str(actor), val_str(old), val_str(new),
				 o->owner, (unsigned long long)o->pos);
		return;
	}
	if (st == QIRING_FREE)
		o->owner = -1;		/* the owner's release */
}

static void lf_prod(int actor, u64 old, u64 new)
{
	u64 p, cons = sim_peek(&ring->cons.counter, 8);

	if (new < old) {
		sim_fail("prod moved backward: %llu -> %llu", (unsigned long long)old,
			 (unsigned long long)new);
		return;
	}
	if (new - cons > C.slots - 1) {
		sim_fail("reservation overfills the ring: prod %llu, cons %llu",
			 (unsigned long long)new, (unsigned long long)cons);
		return;
	}
	for (p = old; p < new; p++) {
		struct slot_owner *o = &O.own[p & (C.slots - 1)];

		if (o->owner >= 0) {
			sim_fail("%s reserved position %llu, but slot %llu still belongs to T%d (position %llu)",
				 actor_str(actor), (unsigned long long)p,
				 (unsigned long long)(p & (C.slots - 1)), o->owner,
				 (unsigned long long)o->pos);
			return;
		}
		o->owner = (s8)actor;
		o->pos = p;
	}
}

static void lf_cons(int actor, u64 old, u64 new)
{
	u64 p, prod = sim_peek(&ring->prod.counter, 8);
	u64 pub = sim_peek(&ring->tail.counter, 8) >> 1;

	if (new < old) {
		sim_fail("cons moved backward: %llu -> %llu", (unsigned long long)old,
			 (unsigned long long)new);
		return;
	}
	for (p = old; p < new; p++) {
		struct slot_owner *o = &O.own[p & (C.slots - 1)];

		if (o->owner >= 0 || o->pos != p) {
			sim_fail("reclaim by %s moved cons past position %llu (slot %llu), which T%d still owns",
				 actor_str(actor), (unsigned long long)p,
				 (unsigned long long)(p & (C.slots - 1)), o->owner);
			return;
		}
	}
	/*
	 * cons <= IQH <= IQT <= prod. Not cons <= published: the tail word
	 * lags IQT while the lease holder is between its IQT write and the
	 * xchg that records it, and the slots may complete and be reclaimed
	 * meanwhile.
	 */
	if (new > prod || new > simdev_head_pos(dev))
		sim_fail("cons %llu passed prod %llu or the device's head %llu (published %llu)",
			 (unsigned long long)new, (unsigned long long)prod,
			 (unsigned long long)simdev_head_pos(dev),
			 (unsigned long long)pub);
}

static void lf_tail(u64 old, u64 new)
{
	u64 prod = sim_peek(&ring->prod.counter, 8);

	if ((new >> 1) < (old >> 1))
		sim_fail("published moved backward: %llu -> %llu",
			 (unsigned long long)(old >> 1), (unsigned long long)(new >> 1));
	else if ((new >> 1) > prod)
		sim_fail("published %llu passed prod %llu",
			 (unsigned long long)(new >> 1), (unsigned long long)prod);
}

static void on_write(void *arg, int actor, enum qr_sim_op op, void *addr,
		     unsigned int size, u64 old, u64 new)
{
	int idx = word_index(addr);

	if (idx >= 0) {
		word_write(actor, idx, (u32)old, (u32)new);
		if (lockfree && (u32)idx < C.slots)
			lf_status_write(actor, (u32)idx, (u32)old, (u32)new);
		return;
	}
	if (!lockfree || actor == SIM_MAIN)
		return;
	if (addr == &ring->prod.counter)
		lf_prod(actor, old, new);
	else if (addr == &ring->cons.counter)
		lf_cons(actor, old, new);
	else if (addr == &ring->tail.counter)
		lf_tail(old, new);
}

static void on_load(void *arg, int actor, enum qr_sim_op op, const void *addr,
		    unsigned int size, u64 v)
{
	int idx = word_index(addr);
	struct word_state *w;

	if (idx < 0)
		return;
	if (O.final_reclaim && lockfree &&
	    (u32)idx == (sim_peek(&ring->prod.counter, 8) & (C.slots - 1)))
		sim_flag("reclaim read status[%d], the slot of position prod = %llu: past the allocation frontier",
			 idx, (unsigned long long)sim_peek(&ring->prod.counter, 8));
	w = &O.w[idx];
	if (w->pending && !w->observed && actor == w->armer && (u32)v == w->value)
		w->observed = true;
}

/*
 * The state cache's view of the harness: every word and byte the rest of a
 * schedule can depend on, and the oracle's records (so that a check never
 * sees a merged history). Statistics are left out.
 */
static u64 state_hash(void *arg)
{
	u64 h = 0x51ed27;
	u32 i;
	int t;

	for (i = 0; i < nstatus_words; i++)
		h = sim_mix(h, sim_peek(&status_words[i], 4));
	if (lockfree) {
		h = sim_mix(h, sim_peek(&ring->prod.counter, 8));
		h = sim_mix(h, sim_peek(&ring->tail.counter, 8));
		h = sim_mix(h, sim_peek(&ring->claim_from.counter, 8));
		h = sim_mix(h, sim_peek(&ring->cons.counter, 8));
		h = sim_mix(h, sim_peek(&ring->fault_lock.owner, 4));
		h = sim_mix(h, sim_peek(&ring->fault_next_ns.counter, 8));
		h = sim_mix(h, sim_peek(&ring->iqe.counter, 8));	/* owners decide on it */
		for (i = 0; i <= C.slots; i++)
			h = sim_mix(h, (u64)(O.own[i].owner + 1) << 56 ^ O.own[i].pos);
	} else {
		h = sim_mix(h, (u64)hist->free_head | (u64)hist->free_tail << 16 |
			       (u64)hist->free_cnt << 32);
		h = sim_mix(h, (u64)hist->q_lock.owner);
	}
	h = simdev_hash(dev, h);
	for (t = 0; t < C.threads; t++)
		h = sim_mix(h, (u64)O.th[t].seq | (u64)O.th[t].in_flight << 16 |
			       (u64)O.th[t].credits << 24 | (u64)(u32)O.th[t].rc << 32);
	h = sim_mix_bytes(h, O.exec, sizeof(O.exec));
	for (i = 0; i <= C.slots; i++)
		h = sim_mix(h, (u64)(O.w[i].armer + 1) | (u64)O.w[i].wait_target << 8 |
			       (u64)O.w[i].pending << 9 | (u64)O.w[i].observed << 10 |
			       (u64)O.w[i].value << 32);
	h = sim_mix(h, (u64)O.theft_done | (u64)O.theft_abort << 1 |
		       (u64)O.final_reclaim << 2);
	return h;
}

static u64 locked_state(void *arg)
{
	if (lockfree || !hist)
		return 0;
	return ((u64)hist->free_head << 40) ^ ((u64)hist->free_tail << 20) ^
	       hist->free_cnt;
}

/* ---- device hooks ------------------------------------------------------- */

static int wait_word(const struct qiring_desc *d)
{
	return word_index((const void *)(uintptr_t)(d->qw1 & ~3ull));
}

static bool desc_is_wait(const struct qiring_desc *d)
{
	return (d->qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD;
}

static void dev_publish(void *arg, u64 pos, const struct qiring_desc *d)
{
	int idx;

	if (lockfree) {
		struct slot_owner *o = &O.own[pos & (C.slots - 1)];

		if (o->owner < 0 || o->pos != pos) {
			sim_fail("IQT published position %llu, which nobody owns",
				 (unsigned long long)pos);
			return;
		}
	}
	if (!desc_is_wait(d))
		return;
	idx = wait_word(d);
	if (idx < 0)
		return;
	O.w[idx].wait_target = true;
	O.w[idx].pending = false;
	O.w[idx].observed = false;
}

static void dev_exec(void *arg, u64 pos, const struct qiring_desc *d)
{
	if (!desc_is_wait(d)) {
		int t = SD_THREAD(d->qw1);
		u32 seq = SD_SEQ(d->qw1), i = SD_INDEX(d->qw1);
		u32 n;

		if (!SD_IS_PAYLOAD(d->qw1) || t >= C.threads || seq >= C.subs ||
		    i >= C.counts[t]) {
			sim_fail("device executed a descriptor nobody submitted at position %llu",
				 (unsigned long long)pos);
			return;
		}
		if (!O.th[t].in_flight || O.th[t].seq != seq) {
			sim_fail("device executed T%d#%u.%u at position %llu while T%d is %s",
				 t, seq, i, (unsigned long long)pos, t,
				 O.th[t].in_flight ? "in a later submission" :
				 "not submitting it (returned already, or not yet)");
			return;
		}
		n = ++O.exec[t][seq][i];
		if (n > 1 + simdev_ites(dev))
			sim_fail("T%d#%u.%u executed %u times (%u ITE restarts)", t, seq,
				 i, n, simdev_ites(dev));
		return;
	}
	if (lockfree) {
		struct slot_owner *o = &O.own[pos & (C.slots - 1)];
		int idx = wait_word(d);

		if ((u32)idx == C.slots)
			return;		/* IQE copy: writes the scratch word */
		if (o->owner < 0 || o->pos != pos) {
			sim_fail("device completes the wait at position %llu, but slot %llu %s",
				 (unsigned long long)pos,
				 (unsigned long long)(pos & (C.slots - 1)),
				 o->owner < 0 ? "was released already" :
				 "belongs to another position");
			return;
		}
		if (idx != (int)(pos & (C.slots - 1))) {
			sim_fail("the wait at position %llu writes status[%d], not its own word",
				 (unsigned long long)pos, idx);
			return;
		}
		if (O.th[o->owner].in_flight)
			O.th[o->owner].credits++;
	} else {
		int idx = wait_word(d);

		if (idx >= 0 && O.w[idx].armer >= 0 && O.th[O.w[idx].armer].in_flight)
			O.th[O.w[idx].armer].credits++;
	}
}

/*
 * P7 (lockfree): bounded publication work. An IQT write carries the
 * writer's own submission: a doorbell never publishes only for others, so
 * a submitter writes IQT at most once per submission of its own.
 */
static void dev_tail(void *arg, u64 old, u64 new_)
{
	int actor = sim_actor();
	u64 p;

	if (!lockfree || actor < 0 || actor >= SIM_MAX_THREADS)
		return;
	for (p = old; p < new_; p++)
		if (O.own[p & (C.slots - 1)].owner == actor &&
		    O.own[p & (C.slots - 1)].pos == p)
			return;
	sim_fail("work bound: T%d wrote IQT %llu -> %llu, none of it its own",
		 actor, (unsigned long long)old, (unsigned long long)new_);
}

static u64 dev_frontier(void *arg)
{
	return sim_peek(&ring->prod.counter, 8);
}

static bool dev_enabled(void *arg, bool alt)
{
	return simdev_enabled(dev, alt);
}

static void dev_step(void *arg, bool alt)
{
	simdev_step(dev, alt);
}

static void render(void *arg, unsigned int code, const void *addr, u64 a,
		   u64 b, u64 c, char *buf, size_t n)
{
	if (code < SIMDEV_EV_END)
		simdev_render(code, a, b, c, buf, n);
	else if (code == EV_BEGIN)
		snprintf(buf, n, "=== submit #%llu: %llu descriptor%s + wait",
			 (unsigned long long)b, (unsigned long long)c, c == 1 ? "" : "s");
	else if (code == EV_END)
		snprintf(buf, n, "=== submit #%llu returns %lld", (unsigned long long)b,
			 (long long)(s64)c);
	else
		snprintf(buf, n, "event %u", code);
}

/* ---- the submitters ----------------------------------------------------- */

static void submitter(int t, void *arg)
{
	struct qiring_desc d[MAX_COUNT];
	u32 seq, i, count = C.counts[t];

	for (seq = 0; seq < C.subs; seq++) {
		bool planted = t == C.iqe_thread && seq == 0 && count;
		int want = planted ? -EINVAL : 0, rc;

		memset(d, 0, sizeof(d));
		for (i = 0; i < count; i++) {
			/* device-TLB: 0x8 in scalable mode, 0x3 in 16-byte rings */
			d[i].qw0 = i ? SD_TYPE_IOTLB : C.desc_size == 32 ?
				   QIRING_TYPE_DEIOTLB : QIRING_TYPE_DIOTLB;
			if (planted && i == count - 1)
				d[i].qw0 = SD_TYPE_INVALID;
			d[i].qw1 = SD_PAYLOAD(t, seq, i);
		}
		O.th[t].seq = seq;
		O.th[t].in_flight = true;
		O.th[t].credits = 0;
		sim_event(EV_BEGIN, NULL, (u64)t, seq, count);
		if (lockfree)
			rc = qiring_submit_sync(ring, d, count, 0);
		else
			rc = hist_v->submit(hist, d, count, 0);
		sim_event(EV_END, NULL, (u64)t, seq, (u64)(s64)rc);
		O.th[t].rc = rc;
		if (rc != want)
			sim_fail("T%d#%u returned %d, expected %d", t, seq, rc, want);
		for (i = 0; i < count; i++) {
			if (planted && i == count - 1) {
				if (O.exec[t][seq][i])
					sim_fail("T%d#%u.%u (invalid) was executed", t, seq, i);
				continue;
			}
			if (!O.exec[t][seq][i])
				sim_fail("lost: T%d#%u.%u was never executed, yet submit returned %d",
					 t, seq, i, rc);
		}
		if (!O.th[t].credits)
			sim_fail("T%d#%u returned %d before the hardware completed its wait",
				 t, seq, rc);
		O.th[t].in_flight = false;
	}
}

/* ---- one schedule -------------------------------------------------------- */

static void register_regions(void)
{
	sim_regions_clear();
	sim_region(status_words, sizeof(*status_words), lockfree ? C.slots : nstatus_words,
		   "status", SIM_WATCHED, fmt_status, NULL);
	if (!lockfree) {
		sim_region(&hist->submissions, 8, 1, "submissions", SIM_SILENT, NULL, NULL);
		sim_region(&hist->restarts, 8, 1, "restarts", SIM_SILENT, NULL, NULL);
		sim_region(&hist->q_lock, sizeof(hist->q_lock), 1, "q_lock", 0, NULL, NULL);
		return;
	}
	sim_region(&status_words[C.slots], 4, 1, "scratch", SIM_WATCHED, NULL, NULL);
	sim_region(&status_words[C.slots + 1], 4, C.slots, "orphan", SIM_WATCHED,
		   fmt_dec, NULL);
	sim_region(&ring->base, 8, 1, "base", SIM_WATCHED, fmt_dec, NULL);
	sim_region(&ring->prod, 8, 1, "prod", SIM_WATCHED, fmt_dec, NULL);
	sim_region(&ring->tail, 8, 1, "tail", SIM_WATCHED, fmt_tail, NULL);
	/* where the lease holder's claim starts (H11) */
	sim_region(&ring->claim_from, 8, 1, "claim_from", SIM_WATCHED, fmt_dec, NULL);
	sim_region(&ring->cons, 8, 1, "cons", SIM_WATCHED, fmt_dec, NULL);
	/* a raw_spinlock_t: the explorer's mutex, named in the step log */
	sim_region(&ring->fault_lock, sizeof(ring->fault_lock), 1, "fault_lock", 0, NULL, NULL);
	sim_region(&ring->fault_next_ns, 8, 1, "fault_next_ns", 0, fmt_dec, NULL);
	/* never written while exploring (no lifecycle calls): no point */
	sim_region(&ring->enabled, 4, 1, "enabled", SIM_SILENT, NULL, NULL);
	sim_region(&ring->tail_writes, 8, 1, "tail_writes", SIM_SILENT, NULL, NULL);
	sim_region(&ring->submissions, 8, 1, "submissions", SIM_SILENT, NULL, NULL);
	sim_region(&ring->fault_reads, 8, 1, "fault_reads", SIM_SILENT, NULL, NULL);
	sim_region(&ring->restarts, 8, 1, "restarts", SIM_SILENT, NULL, NULL);
	sim_region(&ring->cas_retries, 8, 1, "cas_retries", SIM_SILENT, NULL, NULL);
	/* read by every owner to decide whether to look for a BAD slot */
	sim_region(&ring->iqe, 8, 1, "iqe", 0, fmt_dec, NULL);
	sim_region(&ring->max_batch, 8, 1, "max_batch", SIM_SILENT, NULL, NULL);
	sim_region(&ring->ite, 8, 1, "ite", SIM_SILENT, NULL, NULL);
	sim_region(&ring->ice, 8, 1, "ice", SIM_SILENT, NULL, NULL);
	sim_region(&ring->stalls, 8, 1, "stalls", SIM_SILENT, NULL, NULL);
	sim_region(&ring->orphans, 8, 1, "orphans", SIM_SILENT, NULL, NULL);
}

static void setup_schedule(void)
{
	static const struct simdev_hooks dh_lf = {
		.on_publish = dev_publish, .on_exec = dev_exec,
		.on_tail = dev_tail, .frontier = dev_frontier,
	};
	static const struct simdev_hooks dh_hist = {
		.on_publish = dev_publish, .on_exec = dev_exec,
	};
	u32 i;

	memset(&O.th, 0, sizeof(O.th));
	memset(O.exec, 0, sizeof(O.exec));
	O.final_reclaim = false;
	O.theft_done = O.theft_abort = false;
	for (i = 0; i <= C.slots; i++) {
		memset(&O.w[i], 0, sizeof(O.w[i]));
		O.w[i].armer = -1;
		O.own[i].owner = -1;
		O.own[i].pos = (u64)i - C.slots;
	}
	simdev_reset(dev, C.ite, C.ice, lockfree ? &dh_lf : &dh_hist);
	status_words = NULL;
	if (lockfree) {
		struct qiring_config rc = {
			.slots = C.slots, .desc_size = C.desc_size, .desc = lf_desc,
			.status = lf_status, .status_dma = (u64)(uintptr_t)lf_status,
			.ops = &qr_dev_hw_ops, .hw = dev,
			.fault_poll_ns = 1,		/* every 64th wait iteration */
			.stall_ns = 1ull << 60,		/* no stall reports */
		};

		memset(lf_desc, 0, (size_t)C.slots * C.desc_size);
		if (qiring_init(ring, &rc)) {
			fprintf(stderr, "explore: qiring_init failed\n");
			exit(2);
		}
		qr_dev_set_queue(dev, lf_desc, C.slots, C.desc_size, lf_status,
				 qiring_status_words(C.slots));
		status_words = lf_status;
		nstatus_words = qiring_status_words(C.slots);
	} else {
		struct qr_vring_config vc = {
			.slots = C.slots, .desc_size = C.desc_size, .dev = dev,
			.stall_ns = 0,	/* wait forever: the explorer finds lockups */
		};

		hist = hist_v->create(&vc);
		if (!hist) {
			fprintf(stderr, "explore: cannot create %s\n", C.variant);
			exit(2);
		}
		status_words = hist->desc_status;
		nstatus_words = C.slots;
	}
	register_regions();
}

static void teardown_schedule(void)
{
	if (!lockfree && hist) {
		hist_v->destroy(hist);
		hist = NULL;
	}
	status_words = NULL;
}

/* P6, on the OS thread after every thread returned. */
static void quiescence_checks(void)
{
	u32 i, free;

	if (simdev_head_pos(dev) != simdev_tail_pos(dev))
		sim_flag("at quiescence the device still has %llu descriptors to run",
			 (unsigned long long)(simdev_tail_pos(dev) - simdev_head_pos(dev)));
	if (!lockfree) {
		hist_v->reclaim(hist);
		free = hist_v->free_slots(hist);
		if (free != C.slots)
			sim_flag("at quiescence free_cnt is %u, expected %u", free, C.slots);
		for (i = 0; i < C.slots; i++)
			if (sim_peek(&hist->desc_status[i], 4) != QR_QI_FREE)
				sim_flag("at quiescence slot %u reads %s", i,
					 val_str(sim_peek(&hist->desc_status[i], 4)));
		if (hist->free_head != hist->free_tail ||
		    hist->free_head != (u32)(simdev_tail_pos(dev) & (C.slots - 1)))
			sim_flag("at quiescence free_head %u, free_tail %u, IQT %llu",
				 hist->free_head, hist->free_tail,
				 (unsigned long long)(simdev_tail_pos(dev) & (C.slots - 1)));
		return;
	}
	O.final_reclaim = true;
	free = qiring_free_slots(ring);
	O.final_reclaim = false;
	if (free != C.slots - 1)	/* the largest reservation: all but the gap */
		sim_flag("at quiescence free_slots() is %u, expected %u", free,
			 C.slots - 1);
	{
		u64 prod = sim_peek(&ring->prod.counter, 8);
		u64 cons = sim_peek(&ring->cons.counter, 8);
		u64 tail = sim_peek(&ring->tail.counter, 8);

		if (cons != prod || tail != prod << 1)
			sim_flag("at quiescence prod %llu, cons %llu, tail %#llx",
				 (unsigned long long)prod, (unsigned long long)cons,
				 (unsigned long long)tail);
		if (simdev_tail_pos(dev) != prod)
			sim_flag("at quiescence IQT is at position %llu, prod %llu",
				 (unsigned long long)simdev_tail_pos(dev),
				 (unsigned long long)prod);
		for (i = 0; i < C.slots; i++) {
			/* the last position that used slot i (lap -1 if none) */
			u64 p = prod > i ? prod - 1 - ((prod - 1 - i) & (C.slots - 1)) :
				(u64)i - C.slots;
			u32 v = (u32)sim_peek(&lf_status[i], 4);

			if (v != lf_word(p, QIRING_FREE))
				sim_flag("at quiescence slot %u reads %s, expected %s", i,
					 val_str(v), val_str(lf_word(p, QIRING_FREE)));
			if (O.own[i].owner >= 0)
				sim_flag("at quiescence slot %u still belongs to T%d", i,
					 O.own[i].owner);
		}
	}
}

/* ---- outcome sets (--outcomes) -------------------------------------------- */

/*
 * The set of distinct end states (every thread's history included): a
 * search with --state-cache must reach exactly the set the plain search
 * reaches. Printed as a count and an order-independent digest.
 */
static struct {
	u64 *set;
	size_t cap, n;
	u64 digest;
} outcomes;

static void outcome_add(u64 h)
{
	size_t i;

	if (!outcomes.set) {
		outcomes.cap = (size_t)1 << 22;
		outcomes.set = calloc(outcomes.cap, sizeof(u64));
		if (!outcomes.set)
			exit(2);
	}
	if (outcomes.n >= outcomes.cap / 2)
		return;
	for (i = (size_t)(h * 0x9e3779b97f4a7c15ull) & (outcomes.cap - 1);
	     outcomes.set[i]; i = (i + 1) & (outcomes.cap - 1))
		if (outcomes.set[i] == h)
			return;
	outcomes.set[i] = h;
	outcomes.n++;
	outcomes.digest += sim_mix(h, 0);
}

static void outcome_reset(void)
{
	if (outcomes.set)
		memset(outcomes.set, 0, outcomes.cap * sizeof(u64));
	outcomes.n = 0;
	outcomes.digest = 0;
}

/* ---- driver ---------------------------------------------------------------- */

static void print_args(FILE *f)
{
	int t;

	fprintf(f, "--variant %s --slots %u --threads %d --counts ", C.variant,
		C.slots, C.threads);
	for (t = 0; t < C.threads; t++)
		fprintf(f, "%s%u", t ? "," : "", C.counts[t]);
	fprintf(f, " --subs %u --ite %u --ice %u", C.subs, C.ite, C.ice);
	if (C.iqe_thread >= 0)
		fprintf(f, " --iqe %d", C.iqe_thread);
	if (C.desc_size != 32)
		fprintf(f, " --desc-size %u", C.desc_size);
	if (C.tso)
		fprintf(f, " --tso");
	if (C.eager)
		fprintf(f, " --eager-wake");
	if (C.cache)
		fprintf(f, " --state-cache");
	fprintf(f, " --max-steps %llu --livelock %llu",
		(unsigned long long)C.max_steps, (unsigned long long)C.livelock);
}

static void report(FILE *f, u64 sched, const char *prog)
{
	fprintf(f, "\n=== violation (schedule %llu, %llu steps) ===\n%s",
		(unsigned long long)sched, (unsigned long long)sim_steps(),
		sim_failure());
	fprintf(f, "\nreplay: %s ", prog);
	print_args(f);
	fprintf(f, " --replay ");
	sim_print_trace(f);
	fprintf(f, "\n\nstep log (step, actor, action; T = submitter, DEV = device, SB = store-buffer commit):\n");
	sim_print_log(f);
	fprintf(f, "=== end of violation ===\n\n");
}

static bool matches_expect(void)
{
	if (!C.expect || !strcmp(C.expect, "fail"))
		return true;
	if (!strcmp(C.expect, "lockup"))
		return sim_livelocked();
	if (!strcmp(C.expect, "theft-done"))
		return O.theft_done && sim_livelocked();
	if (!strcmp(C.expect, "theft-abort"))
		return O.theft_abort && sim_livelocked();
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void usage(const char *prog)
{
	fprintf(stderr,
"usage: %s --variant lockfree|legacy|tbf|locked [options]\n"
"  --slots N        ring size (power of two, >= 4; default 4)\n"
"  --threads N      submitters, 1-%d (default 2)\n"
"  --counts a,b,..  descriptors per submission, per submitter (default 1,0)\n"
"  --subs N         submissions per submitter (default 1, max %d)\n"
"  --ite N          ITE budget: device-TLB invalidations that may time out\n"
"  --ice N          ICE budget: waits that may raise ICE\n"
"  --iqe T          submitter T's first submission ends in an invalid descriptor\n"
"  --tso            x86-TSO store buffers (default: sequential consistency)\n"
"  --eager-wake     wake spinning threads on any progress, not only when\n"
"                   something they read changed (many more schedules)\n"
"  --state-cache    DFS: prune a choice point reached before in the same\n"
"                   state with at least as much preemption budget left\n"
"  --outcomes       count the distinct end states (validates --state-cache)\n"
"  --check-cache    run the DFS without and with --state-cache, fail unless\n"
"                   both reach the same end states\n"
"  --desc-size N    32 (default, scalable mode) or 16\n"
"  --pb N           DFS preemption bound (default 2)\n"
"  --random N       N random walks instead of DFS (--seed S: first seed)\n"
"  --replay LIST    re-run one schedule from its printed choices\n"
"  --max-steps N    depth bound per schedule (default 20000)\n"
"  --livelock N     steps without progress that make a livelock (default 2000)\n"
"  --expect KIND    search for a failing schedule of KIND: fail, lockup,\n"
"                   theft-done, theft-abort; exit 0 when found\n"
"  --max-seconds S  stop after S seconds (reported as incomplete)\n"
"  --quiet          summary only\n", prog, SIM_MAX_THREADS, MAX_SUBS);
	exit(2);
}

static void parse_counts(const char *s)
{
	int t = 0;
	char *end;

	while (*s && t < SIM_MAX_THREADS) {
		C.counts[t++] = (u32)strtoul(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
	for (; t > 0 && t < SIM_MAX_THREADS; t++)
		C.counts[t] = C.counts[t - 1];
}

static void parse_replay(const char *s)
{
	size_t n = 1, i = 0;
	const char *p;
	char *end;

	for (p = s; *p; p++)
		n += *p == ',';
	C.replay = calloc(n, 1);
	if (!C.replay)
		exit(2);
	if (!strcmp(s, "-")) {
		C.nreplay = 0;
		return;
	}
	while (*s && i < n) {
		C.replay[i++] = (signed char)strtol(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
	C.nreplay = i;
}

/* One search (DFS, random walks or a replay) with the current config. */
static int search(const struct sim_config *sc, const struct sim_hooks *hk,
		  const char *prog)
{
	u64 sched = 0, nfail = 0, max_steps = 0, walk = 0, pruned = 0;
	bool found = false, complete = true;
	double t0, el;

	sim_setup(sc, hk);

	t0 = now_s();
	for (;;) {
		enum sim_outcome out;

		if (C.mode == SIM_RANDOM)
			sim_set_seed(C.seed + walk);
		setup_schedule();
		out = sim_run(submitter, NULL);
		if (sim_pruned())
			pruned++;
		else if (out == SIM_PASS)
			quiescence_checks();
		if (C.outcomes && !sim_pruned() && !sim_failed())
			outcome_add(sim_state_hash());
		sched++;
		if (sim_steps() > max_steps)
			max_steps = sim_steps();
		if (sim_failed()) {
			nfail++;
			if (matches_expect()) {
				found = true;
				if (!C.quiet || !C.expect)
					report(stdout, sched, prog);
				else
					printf("found: %s", sim_failure());
			} else if (nfail == 1 && !C.quiet) {
				printf("(schedule %llu fails differently than expected:\n%s)\n",
				       (unsigned long long)sched, sim_failure());
			}
		} else if (C.mode == SIM_REPLAY && !C.quiet) {
			printf("the replayed schedule passes; its step log:\n");
			sim_print_log(stdout);
		}
		teardown_schedule();
		if (found)
			break;
		if (C.mode == SIM_REPLAY)
			break;
		if (C.mode == SIM_DFS && !sim_next())
			break;
		if (C.mode == SIM_RANDOM && ++walk >= C.walks)
			break;
		if (C.max_seconds > 0 && now_s() - t0 > C.max_seconds) {
			complete = false;
			break;
		}
	}
	el = now_s() - t0;

	printf("explore: ");
	print_args(stdout);
	if (C.mode == SIM_DFS)
		printf(" --pb %u", C.pb);
	else if (C.mode == SIM_RANDOM)
		printf(" --random %llu --seed %llu", (unsigned long long)C.walks,
		       (unsigned long long)C.seed);
	printf("\n  %llu schedule%s%s, %llu failing, longest %llu steps, %.2f s",
	       (unsigned long long)sched, sched == 1 ? "" : "s",
	       C.mode == SIM_DFS && complete && !found ? " (exhaustive within the bound)" : "",
	       (unsigned long long)nfail, (unsigned long long)max_steps, el);
	if (!complete)
		printf(" (stopped at the time limit)");
	printf("\n");
	if (C.cache)
		printf("  state cache: %llu schedules cut short at a state explored before\n",
		       (unsigned long long)pruned);
	if (C.outcomes)
		printf("  outcomes: %llu distinct end states, digest %016llx\n",
		       (unsigned long long)outcomes.n,
		       (unsigned long long)outcomes.digest);

	if (C.expect) {
		printf("  expected %s: %s\n", C.expect, found ? "FOUND" : "NOT FOUND");
		return found ? 0 : 1;
	}
	return nfail ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "variant", 1, NULL, 'v' }, { "slots", 1, NULL, 's' },
		{ "threads", 1, NULL, 't' }, { "counts", 1, NULL, 'c' },
		{ "subs", 1, NULL, 'n' }, { "ite", 1, NULL, 'I' },
		{ "ice", 1, NULL, 'C' }, { "iqe", 1, NULL, 'Q' },
		{ "tso", 0, NULL, 'T' }, { "desc-size", 1, NULL, 'd' },
		{ "pb", 1, NULL, 'p' }, { "random", 1, NULL, 'r' },
		{ "seed", 1, NULL, 'S' }, { "replay", 1, NULL, 'R' },
		{ "max-steps", 1, NULL, 'M' }, { "livelock", 1, NULL, 'L' },
		{ "expect", 1, NULL, 'e' }, { "max-seconds", 1, NULL, 'x' },
		{ "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' },
		{ "eager-wake", 0, NULL, 'W' },
		{ "state-cache", 0, NULL, 'K' }, { "outcomes", 0, NULL, 'O' },
		{ "check-cache", 0, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_config sc = { 0 };
	struct sim_hooks hk = {
		.dev_enabled = dev_enabled, .dev_step = dev_step,
		.on_write = on_write, .on_load = on_load,
		.locked_state = locked_state, .render = render,
		.state_hash = state_hash,
	};
	int o, t;

	while ((o = getopt_long(argc, argv, "v:s:t:c:n:p:qh", opts, NULL)) != -1) {
		switch (o) {
		case 'v':
			C.variant = optarg;
			break;
		case 's':
			C.slots = (u32)strtoul(optarg, NULL, 0);
			break;
		case 't':
			C.threads = atoi(optarg);
			break;
		case 'c':
			parse_counts(optarg);
			break;
		case 'n':
			C.subs = (u32)strtoul(optarg, NULL, 0);
			break;
		case 'I':
			C.ite = (u32)strtoul(optarg, NULL, 0);
			break;
		case 'C':
			C.ice = (u32)strtoul(optarg, NULL, 0);
			break;
		case 'Q':
			C.iqe_thread = atoi(optarg);
			break;
		case 'T':
			C.tso = true;
			break;
		case 'd':
			C.desc_size = (u32)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			C.pb = (unsigned int)atoi(optarg);
			break;
		case 'r':
			C.mode = SIM_RANDOM;
			C.walks = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			C.seed = strtoull(optarg, NULL, 0);
			break;
		case 'R':
			C.mode = SIM_REPLAY;
			parse_replay(optarg);
			break;
		case 'M':
			C.max_steps = strtoull(optarg, NULL, 0);
			break;
		case 'L':
			C.livelock = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			C.expect = optarg;
			break;
		case 'x':
			C.max_seconds = atof(optarg);
			break;
		case 'q':
			C.quiet = true;
			break;
		case 'W':
			C.eager = true;
			break;
		case 'K':
			C.cache = true;
			break;
		case 'O':
			C.outcomes = true;
			break;
		case 'X':
			C.check_cache = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!C.variant || C.threads < 1 || C.threads > SIM_MAX_THREADS ||
	    C.slots < QIRING_MIN_SLOTS || (C.slots & (C.slots - 1)) ||
	    C.slots > 1024 || !C.subs || C.subs > MAX_SUBS ||
	    (C.desc_size != 16 && C.desc_size != 32) || C.iqe_thread >= C.threads)
		usage(argv[0]);
	for (t = 0; t < C.threads; t++)
		if (C.counts[t] > C.slots - 2 || C.counts[t] > MAX_COUNT)
			usage(argv[0]);
	if ((C.cache || C.check_cache) && (C.eager || C.mode != SIM_DFS)) {
		fprintf(stderr, "explore: --state-cache is for DFS without --eager-wake\n");
		exit(2);
	}
	lockfree = !strcmp(C.variant, "lockfree");
	if (!lockfree) {
		hist_v = !strcmp(C.variant, "legacy") ? &qr_variant_legacy :
			 !strcmp(C.variant, "tbf") ? &qr_variant_tbf :
			 !strcmp(C.variant, "locked") ? &qr_variant_locked : NULL;
		if (!hist_v)
			usage(argv[0]);
		if (C.iqe_thread >= 0) {
			fprintf(stderr, "explore: --iqe is for lockfree (Linux handles only a first-descriptor IQE)\n");
			exit(2);
		}
	}

	dev = simdev_create();
	O.w = calloc(C.slots + 1, sizeof(*O.w));
	O.own = calloc(C.slots + 1, sizeof(*O.own));
	if (posix_memalign((void **)&ring, 64, sizeof(*ring)) ||
	    posix_memalign((void **)&lf_desc, 4096, (size_t)C.slots * C.desc_size) ||
	    posix_memalign((void **)&lf_status, 64,
			   qiring_status_words(C.slots) * sizeof(*lf_status)) ||
	    !O.w || !O.own) {
		fprintf(stderr, "explore: out of memory\n");
		return 2;
	}
	memset(ring, 0, sizeof(*ring));

	sc.nthreads = C.threads;
	sc.tso = C.tso;
	sc.eager_wake = C.eager;
	sc.state_cache = C.cache;
	sc.pb = C.pb;
	sc.max_steps = C.max_steps;
	sc.livelock_steps = C.livelock;
	sc.mode = C.mode;
	sc.seed = C.seed;
	sc.replay = C.replay;
	sc.nreplay = C.nreplay;
	if (C.check_cache) {
		u64 n, digest;
		int rc;

		/* the same search twice in one process: same addresses */
		C.outcomes = true;
		C.cache = false;
		sc.state_cache = false;
		rc = search(&sc, &hk, argv[0]);
		n = outcomes.n;
		digest = outcomes.digest;
		outcome_reset();
		C.cache = true;
		sc.state_cache = true;
		rc |= search(&sc, &hk, argv[0]);
		if (n != outcomes.n || digest != outcomes.digest) {
			printf("  state cache check FAILED: %llu end states without the cache, %llu with it\n",
			       (unsigned long long)n, (unsigned long long)outcomes.n);
			return 1;
		}
		printf("  state cache check: both searches reach the same %llu end states\n",
		       (unsigned long long)n);
		return rc;
	}
	return search(&sc, &hk, argv[0]);
}

