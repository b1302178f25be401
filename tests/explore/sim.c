// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The explorer's scheduler (see sim.h) and the sim port's operations
 * (qiring-port-sim.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "sim.h"

#define STACK_SIZE	(256 * 1024)
#define SB_MAX		8		/* store-buffer entries per thread */
#define MAX_REGIONS	64
#define FAIL_MAX	4096
#define RS_MAX		48		/* read-set entries per spin iteration */
#define CACHE_MAX	((size_t)1 << 27)	/* state-cache entries (2 GiB) */

enum thread_state {
	T_RUN,		/* runnable */
	T_SPIN_HW,	/* in relax(): blocked until progress */
	T_SPIN_CPU,	/* in qr_cpu_relax(): blocked until any change */
	T_MUTEX,	/* blocked on a qr_sim_mutex */
	T_DONE,
};

struct sb_entry {
	void *addr;
	u64 v;
	u8 size;
	u8 op;
};

enum read_kind { RD_MEM, RD_PEEK, RD_LOCKED };

struct read_entry {
	const void *addr;
	u64 v;
	u8 size;
	u8 kind;
};

struct sim_thread {
	ucontext_t ctx;
	char *stack;
	enum thread_state state;
	u64 snap;
	/*
	 * The counters when the current spin-loop iteration began (the return
	 * of the previous relax): a change after that may not have been seen
	 * by this iteration's reads, so it must wake the thread.
	 */
	u64 hw_start, cpu_start;
	/*
	 * Precise wake-ups: what this spin-loop iteration read (since the last
	 * relax returned). A spinner is woken when one of these values
	 * changes; re-running an iteration whose reads all return what they
	 * returned before would repeat it step for step.
	 */
	struct read_entry rs[RS_MAX];
	int rs_n;
	bool rs_overflow;
	/*
	 * Every value this thread's shared reads returned, hashed in order:
	 * the thread is deterministic, so equal histories mean equal local
	 * states (the state cache relies on it).
	 */
	u64 hist;
	/*
	 * The thread's virtual clock: qr_now_ns() is 10 ns per step this
	 * thread took. Monotonic, and a function of the thread's own history
	 * (a global step clock would make a thread's state depend on the
	 * interleaving of others, which the state cache cannot see).
	 */
	u64 clock;
	qr_sim_mutex_t *mutex;
	struct sb_entry sb[SB_MAX];
	int sb_n;
};

/* One DFS choice point (only points with more than one enabled actor). */
struct choice {
	u16 enabled;
	u16 tried;
	s8 chosen;
	s8 cur;
	u8 pc;		/* preemptions before this choice */
	u8 cur_enabled;
};

enum ev_kind {
	EV_MEM,		/* a = value read or written, b = old (cmpxchg expected / rmw old), c = ok */
	EV_BUFFERED,	/* a store into the store buffer */
	EV_FLUSH,	/* a store-buffer commit */
	EV_RELAX,
	EV_CPU_RELAX,
	EV_LOCK,
	EV_UNLOCK,
	EV_TRYLOCK_FAIL,
	EV_BLOCK,
	EV_IDLE,	/* a = spinner let run in idle mode */
	EV_USER,
	EV_NOTE,	/* a violation; addr = message in the failure text */
};

struct ev {
	u64 step;
	s8 actor;
	u8 kind;
	u8 op;
	u8 size;
	u8 preempt;
	u16 code;
	const void *addr;
	u64 a, b, c;
};

struct region {
	const char *base;
	size_t elem, count;
	const char *name;
	unsigned int flags;
	sim_fmt_fn fmt;
	void *fmt_arg;
};

static struct {
	struct sim_config cfg;
	struct sim_hooks hooks;
	struct sim_thread thr[SIM_MAX_THREADS];
	ucontext_t main_ctx;
	void (*fn)(int thread, void *arg);
	void *fn_arg;

	bool active;
	int running;		/* thread whose stack we are on, or SIM_MAIN */
	int acting;		/* actor of the current access */
	int cur;		/* actor of the last step (preemption accounting) */
	int idle_runner;
	u64 idle_version;	/* version when idle mode began */
	u64 steps, version, progress, last_progress;
	unsigned int preemptions;
	u64 lock_hash;

	/* choices */
	struct choice *stack;
	size_t depth, len, cap;
	signed char *trace;	/* choices of this schedule */
	u64 rng;

	/* outcome */
	bool failed, livelock, pruned;
	size_t replay_len;	/* choices replayed from the previous schedule */

	/* state cache: hash -> fewest preemptions it was explored with */
	struct cache_entry {
		u64 key;
		u8 pc;
	} *cache;
	size_t cache_cap, cache_n;
	u64 cache_hits;
	char fail[FAIL_MAX];
	size_t fail_len;

	/* step log */
	struct ev *log;
	size_t nlog, logcap;
	u64 log_dropped;

	struct region regions[MAX_REGIONS];
	int nregions;
} S;

/*
 * Address -> region: an open-addressing table of every registered word,
 * filled by sim_region(); the linear scan is only a fallback for bytes
 * inside a word.
 */
#define ATAB_SIZE	1024

static struct {
	const void *addr;
	int region;
} atab[ATAB_SIZE];

static unsigned int atab_hash(const void *addr)
{
	uintptr_t a = (uintptr_t)addr >> 2;

	return (unsigned int)((a * 0x9e3779b97f4a7c15ull) >> 54) & (ATAB_SIZE - 1);
}

static unsigned int atab_used[ATAB_SIZE / 2];
static unsigned int atab_n;

static void atab_add(const void *addr, int region)
{
	unsigned int h = atab_hash(addr);

	while (atab[h].addr && atab[h].addr != addr)
		h = (h + 1) & (ATAB_SIZE - 1);
	if (!atab[h].addr)
		atab_used[atab_n++] = h;
	atab[h].addr = addr;
	atab[h].region = region;
}

/* ---- regions ------------------------------------------------------------ */

void sim_region(const void *base, size_t elem, size_t count, const char *name,
		unsigned int flags, sim_fmt_fn fmt, void *fmt_arg)
{
	struct region *r;
	size_t i;

	if (S.nregions == MAX_REGIONS)
		abort();
	r = &S.regions[S.nregions++];
	r->base = base;
	r->elem = elem;
	r->count = count;
	r->name = name;
	r->flags = flags;
	r->fmt = fmt;
	r->fmt_arg = fmt_arg;
	if (S.nregions * 2 + count > ATAB_SIZE / 2) {
		/* too many words for the table: the scan handles them */
		return;
	}
	for (i = 0; i < count; i++)
		atab_add(r->base + i * elem, S.nregions - 1);
}

void sim_regions_clear(void)
{
	S.nregions = 0;
	while (atab_n)
		atab[atab_used[--atab_n]].addr = NULL;
}

static const struct region *region_scan(const void *addr, size_t *idx)
{
	const char *a = addr;
	int i;

	for (i = 0; i < S.nregions; i++) {
		const struct region *r = &S.regions[i];

		if (a >= r->base && a < r->base + r->elem * r->count) {
			if (idx)
				*idx = (size_t)(a - r->base) / r->elem;
			return r;
		}
	}
	return NULL;
}

static const struct region *region_of(const void *addr, size_t *idx)
{
	unsigned int h = atab_hash(addr);

	while (atab[h].addr) {
		if (atab[h].addr == addr) {
			const struct region *r = &S.regions[atab[h].region];

			if (idx)
				*idx = (size_t)((const char *)addr - r->base) / r->elem;
			return r;
		}
		h = (h + 1) & (ATAB_SIZE - 1);
	}
	return region_scan(addr, idx);
}

static unsigned int addr_flags(const void *addr)
{
	const struct region *r = region_of(addr, NULL);

	/* Unknown words are watched: a change may be what someone waits for. */
	return r ? r->flags : SIM_WATCHED;
}

/* ---- raw memory --------------------------------------------------------- */

static u64 raw_load(const void *addr, unsigned int size)
{
	return size == 8 ? *(const u64 *)addr : *(const u32 *)addr;
}

static void raw_store(void *addr, unsigned int size, u64 v)
{
	if (size == 8)
		*(u64 *)addr = v;
	else
		*(u32 *)addr = (u32)v;
}

u64 sim_peek(const void *addr, unsigned int size)
{
	return raw_load(addr, size);
}

/* ---- step log ----------------------------------------------------------- */

static struct ev *log_ev(enum ev_kind kind, int actor)
{
	struct ev *e;

	if (!S.active)
		return NULL;
	if (S.nlog == S.logcap) {
		S.log_dropped++;
		return NULL;
	}
	e = &S.log[S.nlog++];
	memset(e, 0, sizeof(*e));
	e->step = S.steps;
	e->actor = (s8)actor;
	e->kind = (u8)kind;
	return e;
}

static void log_mem(enum ev_kind kind, int actor, enum qr_sim_op op,
		    const void *addr, unsigned int size, u64 a, u64 b, u64 c)
{
	struct ev *e;

	if (addr_flags(addr) & SIM_SILENT)
		return;
	e = log_ev(kind, actor);
	if (!e)
		return;
	e->op = (u8)op;
	e->addr = addr;
	e->size = (u8)size;
	e->a = a;
	e->b = b;
	e->c = c;
}

void sim_event(unsigned int code, const void *addr, u64 a, u64 b, u64 c)
{
	struct ev *e = log_ev(EV_USER, S.acting);

	if (!e)
		return;
	e->code = (u16)code;
	e->addr = addr;
	e->a = a;
	e->b = b;
	e->c = c;
}

/* ---- violations --------------------------------------------------------- */

static void add_failure(const char *fmt, va_list ap)
{
	struct ev *e = log_ev(EV_NOTE, S.acting);
	int n;

	if (e)
		e->a = S.fail_len;
	if (S.fail_len >= FAIL_MAX - 2)
		return;
	n = vsnprintf(S.fail + S.fail_len, FAIL_MAX - S.fail_len - 1, fmt, ap);
	if (n < 0)
		return;
	S.fail_len += (size_t)n;
	if (S.fail_len > FAIL_MAX - 2)
		S.fail_len = FAIL_MAX - 2;
	S.fail[S.fail_len++] = '\n';
	S.fail[S.fail_len] = 0;
}

static void leave_schedule(void);

void sim_flag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_failure(fmt, ap);
	va_end(ap);
	S.failed = true;
}

void sim_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_failure(fmt, ap);
	va_end(ap);
	S.failed = true;
	leave_schedule();
}

bool sim_failed(void)
{
	return S.failed;
}

const char *sim_failure(void)
{
	return S.fail;
}

bool sim_livelocked(void)
{
	return S.livelock;
}

bool sim_pruned(void)
{
	return S.pruned;
}

/* ---- scheduling --------------------------------------------------------- */

int sim_actor(void)
{
	return S.active ? S.acting : SIM_MAIN;
}

u64 sim_steps(void)
{
	return S.steps;
}

bool sim_running(void)
{
	return S.active;
}

void sim_progress(void)
{
	S.progress++;
	S.version++;
	S.last_progress = S.steps;
	S.idle_runner = -1;
}

static bool same_actor(int a, int b)
{
	if (a == b)
		return true;
	return (a == SIM_DEV || a == SIM_DEV_ALT) && (b == SIM_DEV || b == SIM_DEV_ALT);
}

static bool cur_is_enabled(u32 en)
{
	if (S.cur == SIM_DEV || S.cur == SIM_DEV_ALT)
		return en & ((1u << SIM_DEV) | (1u << SIM_DEV_ALT));
	return S.cur >= 0 && (en & (1u << S.cur));
}

static u64 current_value(int t, const struct read_entry *r)
{
	const struct sim_thread *th = &S.thr[t];
	int i;

	switch (r->kind) {
	case RD_LOCKED:
		return S.hooks.locked_state(S.hooks.arg);
	case RD_PEEK:
		return raw_load(r->addr, r->size);
	case RD_MEM:
	default:
		for (i = th->sb_n - 1; i >= 0; i--)
			if (th->sb[i].addr == r->addr)
				return th->sb[i].v;
		return raw_load(r->addr, r->size);
	}
}

/* May the spinner t see something new if it ran another iteration? */
static bool spinner_woken(int t, u64 counter)
{
	const struct sim_thread *th = &S.thr[t];
	int i;

	if (S.cfg.eager_wake || th->rs_overflow)
		return counter != th->snap;
	for (i = 0; i < th->rs_n; i++)
		if (current_value(t, &th->rs[i]) != th->rs[i].v)
			return true;
	return false;
}

/*
 * An address as the state hashes see it: region and offset, so that equal
 * states hash equal even when the harness allocates its memory anew for
 * every schedule. Unregistered words (the device's registers) are stable.
 */
static u64 addr_id(const void *addr)
{
	size_t idx;
	const struct region *r = region_of(addr, &idx);

	if (!r)
		return (u64)(uintptr_t)addr;
	return (u64)(r - S.regions + 1) << 40 |
	       (u64)((const char *)addr - r->base);
}

static void note_read(int kind, const void *addr, unsigned int size, u64 v)
{
	struct sim_thread *th;

	if (!S.active || S.running == SIM_MAIN || S.acting != S.running)
		return;
	th = &S.thr[S.running];
	th->hist = sim_mix(sim_mix(th->hist, kind == RD_LOCKED ? (u64)kind :
					     addr_id(addr) ^ (u64)kind), v);
	if (th->rs_n == RS_MAX) {
		th->rs_overflow = true;
		return;
	}
	th->rs[th->rs_n].addr = addr;
	th->rs[th->rs_n].v = v;
	th->rs[th->rs_n].size = (u8)size;
	th->rs[th->rs_n].kind = (u8)kind;
	th->rs_n++;
}

/*
 * A store advances its thread too. A store of the value a word already
 * holds leaves memory as it was, so only the history tells the thread
 * before it from the thread after it (the state cache would merge them).
 */
static void note_write(const void *addr, u64 v)
{
	struct sim_thread *th;

	if (!S.active || S.running == SIM_MAIN || S.acting != S.running ||
	    (addr_flags(addr) & SIM_SILENT))
		return;
	th = &S.thr[S.running];
	th->hist = sim_mix(sim_mix(th->hist, addr_id(addr) ^ 0x5717e5ull), v);
}

static void iteration_starts(struct sim_thread *th)
{
	th->rs_n = 0;
	th->rs_overflow = false;
}

void sim_note_read(const void *addr, unsigned int size, u64 v)
{
	note_read(RD_PEEK, addr, size, v);
}

/*
 * The enabled set depends on shared state (version), thread states and
 * store buffers; steps that change none of them (loads) reuse it.
 */
static u64 en_cache_version = ~0ull;
static u32 en_cache;

static void en_invalidate(void)
{
	en_cache_version = ~0ull;
}

static u32 enabled_set(void)
{
	u32 en = 0;
	int t;

	if (en_cache_version == S.version)
		return en_cache;

	for (t = 0; t < S.cfg.nthreads; t++) {
		struct sim_thread *th = &S.thr[t];

		switch (th->state) {
		case T_RUN:
			en |= 1u << t;
			break;
		case T_SPIN_HW:
			if (spinner_woken(t, S.progress))
				en |= 1u << t;
			break;
		case T_SPIN_CPU:
			if (spinner_woken(t, S.version))
				en |= 1u << t;
			break;
		case T_MUTEX:
			if (!th->mutex->owner)
				en |= 1u << t;
			break;
		case T_DONE:
			break;
		}
		if (th->sb_n)
			en |= 1u << (SIM_FLUSH0 + t);
	}
	if (S.hooks.dev_enabled(S.hooks.arg, false))
		en |= 1u << SIM_DEV;
	if (S.hooks.dev_enabled(S.hooks.arg, true))
		en |= 1u << SIM_DEV_ALT;
	en_cache = en;
	en_cache_version = S.version;
	return en;
}

static u64 rnd(void)
{
	u64 x = S.rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	S.rng = x;
	return x;
}

/*
 * Default policy: the current actor; else the next thread round-robin, the
 * device, the store buffers, and a fault injection last.
 */
static int default_choice(u32 en)
{
	int t, i;

	if (cur_is_enabled(en))
		return (S.cur == SIM_DEV_ALT) ? SIM_DEV : S.cur;
	for (i = 1; i <= S.cfg.nthreads; i++) {
		t = ((S.cur >= 0 && S.cur < S.cfg.nthreads ? S.cur : -1) + i) %
		    S.cfg.nthreads;
		if (en & (1u << t))
			return t;
	}
	if (en & (1u << SIM_DEV))
		return SIM_DEV;
	for (t = 0; t < S.cfg.nthreads; t++)
		if (en & (1u << (SIM_FLUSH0 + t)))
			return SIM_FLUSH0 + t;
	return __builtin_ctz(en);
}

static int nth_bit(u32 m, u64 n)
{
	while (n--)
		m &= m - 1;
	return __builtin_ctz(m);
}

static void push_trace(int c)
{
	if (S.depth >= S.cap) {
		S.cap = S.cap ? S.cap * 2 : 4096;
		S.stack = realloc(S.stack, S.cap * sizeof(*S.stack));
		S.trace = realloc(S.trace, S.cap);
		if (!S.stack || !S.trace)
			abort();
	}
	S.trace[S.depth] = (signed char)c;
}

u64 sim_state_hash(void)
{
	u64 h = S.hooks.state_hash ? S.hooks.state_hash(S.hooks.arg) : 0;
	int t, i;

	h = sim_mix(h, (u64)(S.cur + 2) | (u64)(S.idle_runner + 2) << 8);
	for (t = 0; t < S.cfg.nthreads; t++) {
		const struct sim_thread *th = &S.thr[t];

		h = sim_mix(h, th->hist);
		h = sim_mix(h, (u64)th->state | (u64)th->rs_n << 8 |
			       (u64)th->rs_overflow << 16 | (u64)th->sb_n << 24);
		for (i = 0; i < th->sb_n; i++)
			h = sim_mix(sim_mix(h, addr_id(th->sb[i].addr)),
				    th->sb[i].v);
	}
	return h | 1;	/* 0 marks an empty cache slot */
}

/* Double the table (rehash); past CACHE_MAX it stops taking new states. */
static void cache_grow(void)
{
	size_t cap = S.cache_cap * 2, mask = cap - 1, i, h;
	struct cache_entry *t = calloc(cap, sizeof(*t));

	if (!t)
		return;		/* keep the old one: fewer prunes, still sound */
	for (i = 0; i < S.cache_cap; i++) {
		if (!S.cache[i].key)
			continue;
		for (h = (size_t)(S.cache[i].key * 0x9e3779b97f4a7c15ull) & mask;
		     t[h].key; h = (h + 1) & mask)
			;
		t[h] = S.cache[i];
	}
	free(S.cache);
	S.cache = t;
	S.cache_cap = cap;
}

/* True when this state was explored before with as much budget: prune. */
static bool cache_seen(void)
{
	u64 key = sim_state_hash();
	size_t h, mask;

	if (!S.cache) {
		S.cache_cap = (size_t)1 << 20;
		S.cache = calloc(S.cache_cap, sizeof(*S.cache));
		if (!S.cache)
			abort();
	}
	if (S.cache_n >= S.cache_cap / 2 && S.cache_cap < CACHE_MAX)
		cache_grow();
	mask = S.cache_cap - 1;
	for (h = (size_t)(key * 0x9e3779b97f4a7c15ull) & mask; S.cache[h].key;
	     h = (h + 1) & mask) {
		if (S.cache[h].key != key)
			continue;
		if (S.cache[h].pc <= S.preemptions) {
			S.cache_hits++;
			return true;
		}
		S.cache[h].pc = (u8)S.preemptions;
		return false;
	}
	if (S.cache_n < S.cache_cap / 2) {	/* full: stop adding */
		S.cache[h].key = key;
		S.cache[h].pc = (u8)S.preemptions;
		S.cache_n++;
	}
	return false;
}

static int choose(u32 en)
{
	bool ce = cur_is_enabled(en);
	int c;

	if (!(en & (en - 1))) {
		c = __builtin_ctz(en);
	} else {
		size_t i = S.depth;

		push_trace(0);
		switch (S.cfg.mode) {
		case SIM_DFS:
			if (i >= S.replay_len && S.cfg.state_cache && cache_seen()) {
				S.pruned = true;
				S.depth = i;
				leave_schedule();
				return -1;
			}
			if (i < S.len) {
				struct choice *ch = &S.stack[i];

				if (ch->enabled != en || ch->cur != S.cur) {
					sim_fail("explorer: nondeterministic re-execution at choice %zu",
						 i);
					return -1;
				}
				c = ch->chosen;
			} else {
				struct choice *ch = &S.stack[i];

				c = default_choice(en);
				ch->enabled = (u16)en;
				ch->tried = (u16)(1u << c);
				ch->chosen = (s8)c;
				ch->cur = (s8)S.cur;
				ch->pc = (u8)S.preemptions;
				ch->cur_enabled = ce;
				S.len = i + 1;
			}
			break;
		case SIM_REPLAY:
			if (i < S.cfg.nreplay) {
				c = S.cfg.replay[i];
				if (c < 0 || c >= SIM_NACTORS || !(en & (1u << c))) {
					sim_fail("explorer: the trace does not apply at choice %zu (actor %d not enabled)",
						 i, c);
					return -1;
				}
			} else {
				c = default_choice(en);
			}
			break;
		case SIM_RANDOM:
		default:
			/*
			 * Mostly keep going, sometimes switch: long runs are
			 * where the interesting windows are.
			 */
			if (ce && rnd() % 4)
				c = default_choice(en);
			else
				c = nth_bit(en, rnd() % (u64)__builtin_popcount(en));
			break;
		}
		S.trace[i] = (signed char)c;
		S.depth = i + 1;
	}
	if (ce && !same_actor(c, S.cur))
		S.preemptions++;
	return c;
}

static void switch_to(int from, int to)
{
	ucontext_t *f = from == SIM_MAIN ? &S.main_ctx : &S.thr[from].ctx;
	ucontext_t *t = to == SIM_MAIN ? &S.main_ctx : &S.thr[to].ctx;

	S.running = to;
	S.acting = to;
	if (swapcontext(f, t))
		abort();
	S.running = from;
	S.acting = from;
}

/* The schedule is over (end, violation or bound): back to sim_run(). */
static void leave_schedule(void)
{
	int self = S.running;

	if (self == SIM_MAIN)
		return;
	S.running = SIM_MAIN;
	S.acting = SIM_MAIN;
	if (swapcontext(&S.thr[self].ctx, &S.main_ctx))
		abort();
	abort();	/* an abandoned schedule is never resumed */
}

static void commit(int actor, enum qr_sim_op op, void *addr, unsigned int size,
		   u64 v)
{
	u64 old = raw_load(addr, size);

	raw_store(addr, size, v);
	if (old != v) {
		S.version++;
		if (addr_flags(addr) & SIM_WATCHED)
			sim_progress();
	}
	if (S.hooks.on_write)
		S.hooks.on_write(S.hooks.arg, actor, op, addr, size, old, v);
}

static void flush_one(int t)
{
	struct sim_thread *th = &S.thr[t];
	struct sb_entry e = th->sb[0];
	int saved = S.acting;

	memmove(&th->sb[0], &th->sb[1], (size_t)(th->sb_n - 1) * sizeof(th->sb[0]));
	th->sb_n--;
	en_invalidate();
	log_mem(EV_FLUSH, t, e.op, e.addr, e.size, e.v, 0, 0);
	S.acting = t;
	commit(t, e.op, e.addr, e.size, e.v);
	S.acting = saved;
}

static void drain(int t)
{
	if (t < 0 || t >= SIM_MAX_THREADS)
		return;
	while (S.thr[t].sb_n)
		flush_one(t);
}

/*
 * The scheduler loop: choose who takes the next step until it is `self`
 * (return), another thread (switch to it), or the schedule is over.
 */
static void schedule(void)
{
	int self = S.running;

	for (;;) {
		bool idle = false;
		u32 en;
		int c, t;

		en = enabled_set();
		if (!en) {
			u32 spin = 0;
			bool all_done = true;

			for (t = 0; t < S.cfg.nthreads; t++) {
				if (S.thr[t].state != T_DONE)
					all_done = false;
				if (S.thr[t].state == T_SPIN_HW ||
				    S.thr[t].state == T_SPIN_CPU)
					spin |= 1u << t;
			}
			if (all_done) {
				leave_schedule();
				return;
			}
			if (!spin) {
				sim_fail("deadlock: every unfinished thread is blocked on a lock");
				return;
			}
			/*
			 * Idle mode: everyone waits and the device has nothing
			 * to do. One spinner (a free choice) runs on its own
			 * until something changes.
			 */
			idle = true;
			if (S.idle_runner >= 0 && (spin & (1u << S.idle_runner))) {
				en = 1u << S.idle_runner;
			} else {
				en = spin;
				S.cur = SIM_MAIN;
			}
		}
		c = choose(en);
		if (c < 0)
			return;
		if (idle && S.idle_runner != c) {
			S.idle_runner = c;
			S.idle_version = S.version;
			log_ev(EV_IDLE, c);
		}
		S.steps++;
		if (S.steps - S.last_progress > S.cfg.livelock_steps) {
			S.livelock = true;
			sim_fail("livelock: no progress for %llu steps (a thread waits for something that never happens)",
				 (unsigned long long)S.cfg.livelock_steps);
			return;
		}
		if (S.steps > S.cfg.max_steps) {
			S.livelock = true;
			sim_fail("depth bound: schedule longer than %llu steps (possible livelock)",
				 (unsigned long long)S.cfg.max_steps);
			return;
		}
		if (c == SIM_DEV || c == SIM_DEV_ALT) {
			int saved = S.acting;

			S.cur = c;
			S.acting = SIM_DEV;
			S.hooks.dev_step(S.hooks.arg, c == SIM_DEV_ALT);
			S.acting = saved;
			sim_progress();
			continue;
		}
		if (c >= SIM_FLUSH0) {
			flush_one(c - SIM_FLUSH0);
			continue;
		}
		S.cur = c;
		if (S.thr[c].state != T_MUTEX) {
			S.thr[c].state = T_RUN;
			en_invalidate();
		}
		if (c == self)
			return;
		switch_to(self, c);
		return;
	}
}

/*
 * Idle mode, nothing written since it began: nobody else can have become
 * enabled, so the spinner's next step needs no choice. Just count it.
 */
static bool idle_fast_path(void)
{
	if (S.idle_runner != S.running || S.version != S.idle_version)
		return false;
	S.steps++;
	if (S.steps - S.last_progress > S.cfg.livelock_steps) {
		S.livelock = true;
		sim_fail("livelock: no progress for %llu steps (a thread waits for something that never happens)",
			 (unsigned long long)S.cfg.livelock_steps);
	}
	if (S.steps > S.cfg.max_steps) {
		S.livelock = true;
		sim_fail("depth bound: schedule longer than %llu steps (possible livelock)",
			 (unsigned long long)S.cfg.max_steps);
	}
	return true;
}

/* A scheduling point before an access by the running thread. */
static void point(const void *addr)
{
	if (addr && (addr_flags(addr) & SIM_SILENT))
		return;
	S.thr[S.running].clock++;
	if (idle_fast_path())
		return;
	schedule();
}

static bool in_schedule(void)
{
	return S.active && S.running != SIM_MAIN;
}

static void trampoline(int t)
{
	S.fn(t, S.fn_arg);
	S.thr[t].state = T_DONE;
	en_invalidate();
	sim_progress();
	schedule();
	abort();	/* a finished thread is never chosen */
}

/* ---- the port's operations ---------------------------------------------- */

u64 qr_sim_load(enum qr_sim_op op, const void *addr, unsigned int size)
{
	u64 v;
	int self, i;

	if (!in_schedule()) {
		v = raw_load(addr, size);
		if (S.hooks.on_load)
			S.hooks.on_load(S.hooks.arg, SIM_MAIN, op, addr, size, v);
		return v;
	}
	point(addr);
	self = S.running;
	v = raw_load(addr, size);
	for (i = S.thr[self].sb_n - 1; i >= 0; i--)
		if (S.thr[self].sb[i].addr == addr) {
			v = S.thr[self].sb[i].v;
			break;
		}
	log_mem(EV_MEM, self, op, addr, size, v, 0, 0);
	/* statistics: never decide anything, never wake anyone */
	if (!(addr_flags(addr) & SIM_SILENT))
		note_read(RD_MEM, addr, size, v);
	if (S.hooks.on_load)
		S.hooks.on_load(S.hooks.arg, self, op, addr, size, v);
	return v;
}

void qr_sim_store(enum qr_sim_op op, void *addr, unsigned int size, u64 v)
{
	struct sim_thread *th;
	int self;

	if (!in_schedule()) {
		commit(SIM_MAIN, op, addr, size, v);
		return;
	}
	point(addr);
	self = S.running;
	th = &S.thr[self];
	note_write(addr, v);
	if (!S.cfg.tso || (addr_flags(addr) & SIM_SILENT)) {
		log_mem(EV_MEM, self, op, addr, size, v, raw_load(addr, size), 1);
		commit(self, op, addr, size, v);
		return;
	}
	if (th->sb_n == SB_MAX)
		flush_one(self);
	th->sb[th->sb_n].addr = addr;
	th->sb[th->sb_n].v = v;
	th->sb[th->sb_n].size = (u8)size;
	th->sb[th->sb_n].op = (u8)op;
	th->sb_n++;
	en_invalidate();
	log_mem(EV_BUFFERED, self, op, addr, size, v, 0, 0);
}

bool qr_sim_cmpxchg(enum qr_sim_op op, void *addr, unsigned int size,
		    u64 *old, u64 new)
{
	u64 cur, expect = *old;
	int self;

	if (in_schedule()) {
		point(addr);
		drain(S.running);
	}
	self = in_schedule() ? S.running : SIM_MAIN;
	cur = raw_load(addr, size);
	log_mem(EV_MEM, self, op, addr, size, cur == expect ? new : cur, expect,
		cur == expect);
	note_read(RD_MEM, addr, size, cur);
	if (cur != expect) {
		*old = cur;
		if (S.hooks.on_load)
			S.hooks.on_load(S.hooks.arg, self, op, addr, size, cur);
		return false;
	}
	if (S.hooks.on_load)
		S.hooks.on_load(S.hooks.arg, self, op, addr, size, cur);
	commit(self, op, addr, size, new);
	return true;
}

u64 qr_sim_rmw(enum qr_sim_op op, void *addr, unsigned int size, u64 arg)
{
	u64 old, new;
	int self;

	if (in_schedule()) {
		point(addr);
		drain(S.running);
	}
	self = in_schedule() ? S.running : SIM_MAIN;
	old = raw_load(addr, size);
	switch (op) {
	case QR_SIM_FETCH_OR:
		new = old | arg;
		break;
	case QR_SIM_XCHG:
		new = arg;
		break;
	case QR_SIM_FETCH_ADD:
	default:
		new = old + arg;
		break;
	}
	log_mem(EV_MEM, self, op, addr, size, new, old, 1);
	if (!(addr_flags(addr) & SIM_SILENT))
		note_read(RD_MEM, addr, size, old);
	if (S.hooks.on_load)
		S.hooks.on_load(S.hooks.arg, self, op, addr, size, old);
	commit(self, op, addr, size, new);
	return old;
}

void qr_sim_cpu_relax(void)
{
	struct sim_thread *th;

	if (!in_schedule())
		return;
	th = &S.thr[S.running];
	th->clock++;
	log_ev(EV_CPU_RELAX, S.running);
	th->state = T_SPIN_CPU;
	en_invalidate();
	th->snap = th->cpu_start;
	schedule();
	th->cpu_start = S.version;
}

void sim_relax(void)
{
	struct sim_thread *th;

	if (!in_schedule())
		return;
	th = &S.thr[S.running];
	th->clock++;
	log_ev(EV_RELAX, S.running);
	if (idle_fast_path()) {
		th->hw_start = S.progress;
		iteration_starts(th);
		return;
	}
	th->state = T_SPIN_HW;
	en_invalidate();
	th->snap = th->hw_start;
	schedule();
	th->hw_start = S.progress;
	iteration_starts(th);
}

void sim_mmio(void)
{
	if (!in_schedule())
		return;
	schedule();
	drain(S.running);
}

void sim_dev_write32(void *addr, u32 v)
{
	int saved = S.acting;

	S.acting = SIM_DEV;
	log_mem(EV_MEM, SIM_DEV, QR_SIM_STORE_RELEASE, addr, 4, v,
		raw_load(addr, 4), 1);
	commit(SIM_DEV, QR_SIM_STORE_RELEASE, addr, 4, v);
	S.acting = saved;
}

u64 qr_sim_now_ns(void)
{
	if (!in_schedule())
		return S.steps * 10 + 10;
	return S.thr[S.running].clock * 10 + 10;
}

void qr_sim_mutex_init(qr_sim_mutex_t *m)
{
	m->owner = 0;
}

void qr_sim_mutex_lock(qr_sim_mutex_t *m)
{
	int self;

	if (!in_schedule()) {
		m->owner = SIM_MAX_THREADS + 1;
		return;
	}
	point(NULL);
	self = S.running;
	drain(self);
	while (m->owner) {
		if (m->owner == self + 1) {
			sim_fail("T%d takes a lock it holds", self);
			return;
		}
		S.thr[self].state = T_MUTEX;
		en_invalidate();
		S.thr[self].mutex = m;
		log_ev(EV_BLOCK, self)->addr = m;
		schedule();
		S.thr[self].state = T_RUN;
		en_invalidate();
	}
	m->owner = self + 1;
	en_invalidate();
	log_ev(EV_LOCK, self)->addr = m;
	if (S.hooks.locked_state) {
		S.lock_hash = S.hooks.locked_state(S.hooks.arg);
		note_read(RD_LOCKED, m, 8, S.lock_hash);
	}
}

/*
 * A failed trylock is a read of the lock word: the caller goes back to its
 * wait loop, and its next relax waits for the holder to release it.
 */
bool qr_sim_mutex_trylock(qr_sim_mutex_t *m)
{
	int self;

	if (!in_schedule()) {
		if (m->owner)
			return false;
		m->owner = SIM_MAX_THREADS + 1;
		return true;
	}
	point(NULL);
	self = S.running;
	drain(self);
	note_read(RD_PEEK, &m->owner, sizeof(m->owner), (u64)(u32)m->owner);
	if (m->owner) {
		log_ev(EV_TRYLOCK_FAIL, self)->addr = m;
		return false;
	}
	m->owner = self + 1;
	en_invalidate();
	log_ev(EV_LOCK, self)->addr = m;
	if (S.hooks.locked_state) {
		S.lock_hash = S.hooks.locked_state(S.hooks.arg);
		note_read(RD_LOCKED, m, 8, S.lock_hash);
	}
	return true;
}

void qr_sim_mutex_unlock(qr_sim_mutex_t *m)
{
	int self;

	if (!in_schedule()) {
		m->owner = 0;
		return;
	}
	point(NULL);
	self = S.running;
	drain(self);
	if (m->owner != self + 1) {
		sim_fail("T%d releases a lock it does not hold", self);
		return;
	}
	m->owner = 0;
	en_invalidate();
	log_ev(EV_UNLOCK, self)->addr = m;
	/* A critical section that changed protected state is progress. */
	if (S.hooks.locked_state &&
	    S.hooks.locked_state(S.hooks.arg) != S.lock_hash)
		sim_progress();
}

/* ---- running schedules -------------------------------------------------- */

void sim_setup(const struct sim_config *cfg, const struct sim_hooks *hooks)
{
	int t;

	S.cfg = *cfg;
	S.hooks = *hooks;
	if (S.cfg.nthreads < 1 || S.cfg.nthreads > SIM_MAX_THREADS)
		abort();
	for (t = 0; t < SIM_MAX_THREADS; t++) {
		if (!S.thr[t].stack)
			S.thr[t].stack = malloc(STACK_SIZE);
		if (!S.thr[t].stack)
			abort();
	}
	S.len = 0;
	S.depth = 0;
	free(S.cache);
	S.cache = NULL;
	S.cache_n = 0;
	S.cache_hits = 0;
	free(S.log);
	S.logcap = (size_t)(S.cfg.max_steps * 3 + 4096);
	S.log = malloc(S.logcap * sizeof(*S.log));
	if (!S.log)
		abort();
	S.rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
}

static void make_thread(int t)
{
	struct sim_thread *th = &S.thr[t];

	if (getcontext(&th->ctx))
		abort();
	th->ctx.uc_stack.ss_sp = th->stack;
	th->ctx.uc_stack.ss_size = STACK_SIZE;
	th->ctx.uc_link = NULL;
	makecontext(&th->ctx, (void (*)(void))trampoline, 1, t);
	th->state = T_RUN;
	en_invalidate();
	th->sb_n = 0;
	th->mutex = NULL;
	th->hw_start = 0;
	th->cpu_start = 0;
	th->hist = (u64)t;
	th->clock = 0;
	iteration_starts(th);
}

enum sim_outcome sim_run(void (*fn)(int, void *), void *arg)
{
	int t;

	S.fn = fn;
	S.fn_arg = arg;
	S.steps = 0;
	S.version = 0;
	S.progress = 0;
	S.last_progress = 0;
	S.preemptions = 0;
	S.depth = 0;
	S.cur = SIM_MAIN;
	S.idle_runner = -1;
	S.failed = false;
	S.livelock = false;
	S.pruned = false;
	S.replay_len = S.len;
	S.fail_len = 0;
	S.fail[0] = 0;
	S.nlog = 0;
	S.log_dropped = 0;
	for (t = 0; t < S.cfg.nthreads; t++)
		make_thread(t);
	en_invalidate();
	S.active = true;
	S.running = SIM_MAIN;
	S.acting = SIM_MAIN;
	schedule();
	/*
	 * Every thread finished (or the schedule was cut): commit what is
	 * still buffered, in thread order, before the final checks.
	 */
	if (!S.pruned && (!S.failed || !S.livelock))
		for (t = 0; t < S.cfg.nthreads; t++)
			drain(t);
	S.active = false;
	S.running = SIM_MAIN;
	S.acting = SIM_MAIN;
	return S.failed ? SIM_FAIL : SIM_PASS;
}

void sim_set_seed(u64 seed)
{
	/* splitmix64, so that neighbouring seeds give unrelated walks */
	u64 z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	S.rng = (z ^ (z >> 31)) | 1;
}

bool sim_next(void)
{
	while (S.len > 0) {
		struct choice *ch = &S.stack[S.len - 1];
		u32 rem = (u32)ch->enabled & ~(u32)ch->tried;

		while (rem) {
			int a = __builtin_ctz(rem);
			unsigned int cost;

			rem &= rem - 1;
			ch->tried |= (u16)(1u << a);
			cost = ch->pc + ((ch->cur_enabled && !same_actor(a, ch->cur)) ? 1 : 0);
			if (cost <= S.cfg.pb) {
				ch->chosen = (s8)a;
				return true;
			}
		}
		S.len--;
	}
	return false;
}

/* ---- printing ----------------------------------------------------------- */

size_t sim_trace_len(void)
{
	return S.depth;
}

void sim_print_trace(FILE *f)
{
	size_t i;

	for (i = 0; i < S.depth; i++)
		fprintf(f, "%s%d", i ? "," : "", S.trace[i]);
	if (!S.depth)
		fprintf(f, "-");
}

static const char *const op_name[] = {
	[QR_SIM_READ_ONCE] = "read_once",
	[QR_SIM_LOAD_ACQUIRE] = "load_acquire",
	[QR_SIM_WRITE_ONCE] = "write_once",
	[QR_SIM_STORE_RELEASE] = "store_release",
	[QR_SIM_CMPXCHG_RELAXED] = "cmpxchg_relaxed",
	[QR_SIM_CMPXCHG_ACQUIRE] = "cmpxchg_acquire",
	[QR_SIM_CMPXCHG_RELEASE] = "cmpxchg_release",
	[QR_SIM_CMPXCHG] = "cmpxchg",
	[QR_SIM_FETCH_OR] = "fetch_or",
	[QR_SIM_XCHG] = "xchg",
	[QR_SIM_FETCH_ADD] = "fetch_add",
};

static void fmt_addr(const void *addr, char *buf, size_t n)
{
	size_t idx;
	const struct region *r = region_of(addr, &idx);

	if (!r)
		snprintf(buf, n, "%p", addr);
	else if (r->count > 1)
		snprintf(buf, n, "%s[%zu]", r->name, idx);
	else
		snprintf(buf, n, "%s", r->name);
}

static void fmt_val(const void *addr, u64 v, char *buf, size_t n)
{
	const struct region *r = region_of(addr, NULL);

	if (r && r->fmt)
		r->fmt(r->fmt_arg, addr, v, buf, n);
	else
		snprintf(buf, n, "%#llx", (unsigned long long)v);
}

static void actor_name(int a, char *buf, size_t n)
{
	if (a == SIM_DEV || a == SIM_DEV_ALT)
		snprintf(buf, n, "DEV");
	else if (a == SIM_MAIN)
		snprintf(buf, n, "---");
	else if (a >= SIM_FLUSH0)
		snprintf(buf, n, "SB%d", a - SIM_FLUSH0);
	else
		snprintf(buf, n, "T%d", a);
}

static void render(const struct ev *e, char *buf, size_t n)
{
	char an[40], v1[48], v2[48];

	switch (e->kind) {
	case EV_MEM:
		fmt_addr(e->addr, an, sizeof(an));
		fmt_val(e->addr, e->a, v1, sizeof(v1));
		if (e->op == QR_SIM_READ_ONCE || e->op == QR_SIM_LOAD_ACQUIRE) {
			snprintf(buf, n, "%-16s %-14s -> %s", op_name[e->op], an, v1);
		} else if (e->op >= QR_SIM_CMPXCHG_RELAXED &&
			   e->op <= QR_SIM_CMPXCHG) {
			fmt_val(e->addr, e->b, v2, sizeof(v2));
			if (e->c)
				snprintf(buf, n, "%-16s %-14s %s -> %s", op_name[e->op],
					 an, v2, v1);
			else
				snprintf(buf, n, "%-16s %-14s expected %s, found %s (fails)",
					 op_name[e->op], an, v2, v1);
		} else if (e->op >= QR_SIM_FETCH_OR) {
			fmt_val(e->addr, e->b, v2, sizeof(v2));
			snprintf(buf, n, "%-16s %-14s %s -> %s", op_name[e->op], an,
				 v2, v1);
		} else {
			snprintf(buf, n, "%-16s %-14s := %s", op_name[e->op], an, v1);
		}
		break;
	case EV_BUFFERED:
		fmt_addr(e->addr, an, sizeof(an));
		fmt_val(e->addr, e->a, v1, sizeof(v1));
		snprintf(buf, n, "%-16s %-14s := %s (into the store buffer)",
			 op_name[e->op], an, v1);
		break;
	case EV_FLUSH:
		fmt_addr(e->addr, an, sizeof(an));
		fmt_val(e->addr, e->a, v1, sizeof(v1));
		snprintf(buf, n, "%-16s %-14s := %s (store buffer -> memory)",
			 "commit", an, v1);
		break;
	case EV_RELAX:
		snprintf(buf, n, "relax (yields until something changes)");
		break;
	case EV_CPU_RELAX:
		snprintf(buf, n, "cpu_relax (yields until a word changes)");
		break;
	case EV_LOCK:
		fmt_addr(e->addr, an, sizeof(an));
		snprintf(buf, n, "lock %s", an);
		break;
	case EV_UNLOCK:
		fmt_addr(e->addr, an, sizeof(an));
		snprintf(buf, n, "unlock %s", an);
		break;
	case EV_TRYLOCK_FAIL:
		fmt_addr(e->addr, an, sizeof(an));
		snprintf(buf, n, "trylock %s fails: held", an);
		break;
	case EV_BLOCK:
		fmt_addr(e->addr, an, sizeof(an));
		snprintf(buf, n, "blocked on %s", an);
		break;
	case EV_IDLE:
		snprintf(buf, n, "(everyone waits, device idle: T%d spins on its own)",
			 e->actor);
		break;
	case EV_USER:
		if (S.hooks.render)
			S.hooks.render(S.hooks.arg, e->code, e->addr, e->a, e->b,
				       e->c, buf, n);
		else
			snprintf(buf, n, "event %u", e->code);
		break;
	case EV_NOTE: {
		const char *m = S.fail + e->a;
		const char *nl = strchr(m, '\n');
		int len = nl ? (int)(nl - m) : (int)strlen(m);

		snprintf(buf, n, "!!! %.*s", len, m);
		break;
	}
	default:
		snprintf(buf, n, "?");
	}
}

/*
 * The step log, with spin loops folded: a block of up to 12 lines that
 * repeats is printed once with its repeat count.
 */
void sim_print_log(FILE *f)
{
	enum { W = 320, MAXB = 12 };
	char (*lines)[W];
	char an[16];
	size_t i, n = S.nlog, k;

	lines = malloc(n * sizeof(*lines) + 1);
	if (!lines)
		return;
	for (i = 0; i < n; i++) {
		char body[W - 16];

		render(&S.log[i], body, sizeof(body));
		actor_name(S.log[i].actor, an, sizeof(an));
		snprintf(lines[i], W, "%-4s %s", an, body);
	}
	for (i = 0; i < n;) {
		size_t best_b = 0, best_r = 0, b;

		for (b = 1; b <= MAXB && i + 2 * b <= n; b++) {
			size_t r = 1;

			while (i + (r + 1) * b <= n) {
				for (k = 0; k < b; k++)
					if (strcmp(lines[i + k], lines[i + r * b + k]))
						break;
				if (k < b)
					break;
				r++;
			}
			if (r >= 3 && r * b > best_r * best_b) {
				best_b = b;
				best_r = r;
			}
		}
		if (best_b) {
			for (k = 0; k < best_b; k++)
				fprintf(f, "  %6llu  %s\n",
					(unsigned long long)S.log[i + k].step, lines[i + k]);
			fprintf(f, "          ... the %zu line%s above repeated %zu more times (steps %llu-%llu)\n",
				best_b, best_b > 1 ? "s" : "", best_r - 1,
				(unsigned long long)S.log[i + best_b].step,
				(unsigned long long)S.log[i + best_r * best_b - 1].step);
			i += best_r * best_b;
			continue;
		}
		fprintf(f, "  %6llu  %s\n", (unsigned long long)S.log[i].step, lines[i]);
		i++;
	}
	if (S.log_dropped)
		fprintf(f, "  (%llu later events not recorded)\n",
			(unsigned long long)S.log_dropped);
	free(lines);
}
