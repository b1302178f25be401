/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The explorer's scheduler: logical threads as coroutines (ucontext) on one
 * OS thread, a simulated device, and a choice at every scheduling point of
 * who takes the next step. See docs/verification.md.
 *
 * Actors: logical threads 0..nthreads-1; the device (SIM_DEV), and the
 * device taking its step with a fault injected (SIM_DEV_ALT: an ITE on a
 * device-TLB invalidation, an ICE on a wait); and, with store buffering,
 * one "commit the oldest buffered store of thread t" actor per thread
 * (SIM_FLUSH0 + t).
 *
 * A step is one shared-memory access of a thread (with the local
 * computation up to its next access), one device step (the descriptors from
 * IQH through the next wait: see simdev.c), or one store-buffer commit.
 * Three ways to choose:
 *
 *   SIM_DFS     exhaustive depth-first search over the choices, with a
 *               preemption bound (CHESS): only switching away from an
 *               actor that could have continued counts; switches at a
 *               relax (yield), at a block or at the end of a thread are
 *               free;
 *   SIM_RANDOM  random walks, one seed per walk;
 *   SIM_REPLAY  the choices of a printed trace, then the default policy.
 *
 * Spin loops. A thread in a wait loop's relax (the device ops' relax, or
 * qr_cpu_relax) yields, and stays blocked until one of the values its last
 * loop iteration read (shared words, device registers, the state a lock
 * protects) changes: running the iteration again would repeat it step for
 * step. (--eager-wake: until anything changes; more schedules.) When every
 * thread is blocked and the device is idle, one spinner (a free choice)
 * runs on its own ("idle mode"): a wait loop may have local work, such as
 * polling FSTS every 64 iterations. No progress (no change to a watched
 * word, no device step, no finished thread) for livelock_steps steps is
 * reported as a livelock, i.e. a lockup; a schedule longer than max_steps
 * as a possible livelock.
 *
 * Steps with no scheduling point: accesses to words registered SIM_SILENT
 * (statistics, written and never read by the algorithm, and words never
 * written while exploring); store-buffer entries are committed at a point
 * of their own.
 */
#ifndef QIRING_EXPLORE_SIM_H
#define QIRING_EXPLORE_SIM_H

#include <stdio.h>

#include <qiring/qiring.h>

typedef int8_t s8;
typedef uint16_t u16;

#define SIM_MAX_THREADS	4
#define SIM_DEV		SIM_MAX_THREADS
#define SIM_DEV_ALT	(SIM_MAX_THREADS + 1)
#define SIM_FLUSH0	(SIM_MAX_THREADS + 2)
#define SIM_NACTORS	(SIM_FLUSH0 + SIM_MAX_THREADS)
#define SIM_MAIN	(-1)

enum sim_mode { SIM_DFS, SIM_RANDOM, SIM_REPLAY };

struct sim_config {
	int nthreads;
	bool tso;		/* x86-TSO store buffers (see qiring-port-sim.h) */
	bool eager_wake;	/* wake spinners on any progress (more schedules) */
	/*
	 * SIM_DFS: prune a choice point whose state was reached before with
	 * at least as much preemption budget left (its subtree is done).
	 */
	bool state_cache;
	unsigned int pb;	/* DFS preemption bound */
	u64 max_steps;		/* per schedule */
	u64 livelock_steps;	/* steps without progress before a livelock */
	enum sim_mode mode;
	u64 seed;		/* SIM_RANDOM: this walk's seed */
	const signed char *replay;	/* SIM_REPLAY: the choices */
	size_t nreplay;
};

/* Address regions: names for the step log, and how the scheduler treats them. */
#define SIM_WATCHED	1u	/* a change is progress (wakes relax() spinners) */
#define SIM_SILENT	2u	/* statistics: no scheduling point, not logged */

typedef void (*sim_fmt_fn)(void *arg, const void *addr, u64 v, char *buf,
			   size_t n);

void sim_region(const void *base, size_t elem, size_t count, const char *name,
		unsigned int flags, sim_fmt_fn fmt, void *fmt_arg);
void sim_regions_clear(void);

/* What the harness plugs in. */
struct sim_hooks {
	void *arg;
	bool (*dev_enabled)(void *arg, bool alt);
	void (*dev_step)(void *arg, bool alt);
	/* every committed write (after it took effect) and every load */
	void (*on_write)(void *arg, int actor, enum qr_sim_op op, void *addr,
			 unsigned int size, u64 old, u64 new);
	void (*on_load)(void *arg, int actor, enum qr_sim_op op,
			const void *addr, unsigned int size, u64 v);
	/* a hash of plain state protected by a qr_sim_mutex (0: none) */
	u64 (*locked_state)(void *arg);
	/* renders a harness event of the step log (sim_event) */
	void (*render)(void *arg, unsigned int code, const void *addr, u64 a,
		       u64 b, u64 c, char *buf, size_t n);
	/*
	 * State caching (sim_config.state_cache): a hash of everything the
	 * harness holds that the future of a schedule depends on: shared
	 * words, plain shared memory (descriptors, lock-protected fields),
	 * the device, the oracle's records.
	 */
	u64 (*state_hash)(void *arg);
};

/* A 64-bit mixer for state hashes. */
static inline u64 sim_mix(u64 h, u64 x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

static inline u64 sim_mix_bytes(u64 h, const void *p, size_t n)
{
	const u8 *b = p;
	u64 w;

	while (n >= 8) {
		__builtin_memcpy(&w, b, 8);
		h = sim_mix(h, w);
		b += 8;
		n -= 8;
	}
	while (n--)
		h = sim_mix(h, *b++);
	return h;
}

void sim_setup(const struct sim_config *cfg, const struct sim_hooks *hooks);

/* Runs one schedule of fn(thread, arg) on every logical thread. */
enum sim_outcome { SIM_PASS, SIM_FAIL };
enum sim_outcome sim_run(void (*fn)(int thread, void *arg), void *arg);

/* SIM_RANDOM: the seed of the next walk. */
void sim_set_seed(u64 seed);

/* SIM_DFS: prepare the next schedule; false when the search is exhausted. */
bool sim_next(void);

/* Violations. sim_fail() ends the schedule; sim_flag() records and goes on. */
void sim_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_flag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool sim_failed(void);
const char *sim_failure(void);		/* every violation of the schedule */
bool sim_livelocked(void);		/* the schedule ended in a livelock */
bool sim_pruned(void);			/* cut by the state cache: no checks */
u64 sim_state_hash(void);		/* the current state (for outcome sets) */

/* For the device model and the harness. */
int sim_actor(void);			/* thread, SIM_DEV or SIM_MAIN */
void sim_mmio(void);			/* an MMIO access: point + drain */
void sim_relax(void);			/* a wait loop's relax: yield */
void sim_note_read(const void *addr, unsigned int size, u64 v);	/* a register read */
void sim_progress(void);		/* state a waiter may wait on changed */
void sim_dev_write32(void *addr, u32 v);	/* DMA write, by the device */
u64 sim_peek(const void *addr, unsigned int size);	/* memory, no point */
void sim_event(unsigned int code, const void *addr, u64 a, u64 b, u64 c);
u64 sim_steps(void);
bool sim_running(void);			/* inside a schedule */

/* The trace of the last schedule: its choices, and its step log. */
void sim_print_trace(FILE *f);
void sim_print_log(FILE *f);
size_t sim_trace_len(void);

#endif /* QIRING_EXPLORE_SIM_H */
