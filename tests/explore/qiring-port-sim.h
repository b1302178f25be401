/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring port backend for the interleaving explorer (QIRING_PORT_SIM).
 *
 * Every operation on a shared word (qr_atomic32_t, qr_atomic64_t) is a
 * scheduling point: before it runs, the explorer's scheduler (sim.c) may
 * switch to another logical thread or let the simulated device take a
 * step. All logical threads are coroutines on one OS thread, so the words
 * are plain integers underneath and no access needs a real atomic.
 *
 * Memory model. By default the explorer is sequentially consistent: an
 * access takes effect when it runs. With store buffering enabled (x86-TSO,
 * sim_config.tso), qr_write_once and qr_store_release go into the storing
 * thread's FIFO store buffer; the storer's own loads see its buffer, other
 * threads and the device see memory, and the oldest entry is committed to
 * memory when the scheduler chooses to (a scheduling choice of its own),
 * when the buffer is full, or before any read-modify-write, mutex operation
 * or MMIO access by the storer (x86 locked instructions and uncached
 * accesses drain the store buffer). That is the one reordering x86 allows
 * (a store passing a later load) and the one the doorbell hand-off (H3,
 * O10/O11) must survive.
 *
 * Outside a running schedule (set-up and the final checks, on the OS
 * thread's own stack) the operations act on memory directly.
 *
 * Lifecycle (qiring_enable/disable/destroy) is not explored: the RCU
 * operations are no-ops here, and the explorer never disables a ring.
 */
#ifndef QIRING_PORT_SIM_H
#define QIRING_PORT_SIM_H

#ifndef QIRING_PORT_INSIDE
#error "include <qiring/port.h>, not a port backend"
#endif

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

typedef struct { uint32_t v; } qr_atomic32_t;
typedef struct { uint64_t v; } qr_atomic64_t;

#define QR_CACHELINE_ALIGNED __attribute__((aligned(64)))
#define qr_likely(x)	__builtin_expect(!!(x), 1)
#define qr_unlikely(x)	__builtin_expect(!!(x), 0)

/* The kinds of access the scheduler sees (and the step log prints). */
enum qr_sim_op {
	QR_SIM_READ_ONCE,
	QR_SIM_LOAD_ACQUIRE,
	QR_SIM_WRITE_ONCE,
	QR_SIM_STORE_RELEASE,
	QR_SIM_CMPXCHG_RELAXED,
	QR_SIM_CMPXCHG_ACQUIRE,
	QR_SIM_CMPXCHG_RELEASE,
	QR_SIM_FETCH_OR,
	QR_SIM_XCHG,
	QR_SIM_FETCH_ADD,
};

/* Implemented by the explorer (tests/explore/sim.c). */
u64 qr_sim_load(enum qr_sim_op op, const void *addr, unsigned int size);
void qr_sim_store(enum qr_sim_op op, void *addr, unsigned int size, u64 v);
bool qr_sim_cmpxchg(enum qr_sim_op op, void *addr, unsigned int size,
		    u64 *old, u64 new);
u64 qr_sim_rmw(enum qr_sim_op op, void *addr, unsigned int size, u64 arg);
void qr_sim_cpu_relax(void);
u64 qr_sim_now_ns(void);

/*
 * A mutex for code that needs a lock (the historical variants' q_lock):
 * lock and unlock are scheduling points, a thread that finds it held is
 * blocked until it is released, and both drain the store buffer.
 */
typedef struct {
	int owner;		/* logical thread + 1, 0 = free */
} qr_sim_mutex_t;

void qr_sim_mutex_init(qr_sim_mutex_t *m);
void qr_sim_mutex_lock(qr_sim_mutex_t *m);
void qr_sim_mutex_unlock(qr_sim_mutex_t *m);

static inline u32 qr_read_once32(const qr_atomic32_t *a)
{
	return (u32)qr_sim_load(QR_SIM_READ_ONCE, &a->v, 4);
}

static inline void qr_write_once32(qr_atomic32_t *a, u32 v)
{
	qr_sim_store(QR_SIM_WRITE_ONCE, &a->v, 4, v);
}

static inline u32 qr_load_acquire32(const qr_atomic32_t *a)
{
	return (u32)qr_sim_load(QR_SIM_LOAD_ACQUIRE, &a->v, 4);
}

static inline void qr_store_release32(qr_atomic32_t *a, u32 v)
{
	qr_sim_store(QR_SIM_STORE_RELEASE, &a->v, 4, v);
}

static inline bool qr_sim_cmpxchg32(enum qr_sim_op op, qr_atomic32_t *a,
				    u32 *old, u32 new)
{
	u64 o = *old;
	bool ok = qr_sim_cmpxchg(op, &a->v, 4, &o, new);

	*old = (u32)o;
	return ok;
}

static inline bool qr_cmpxchg32_relaxed(qr_atomic32_t *a, u32 *old, u32 new)
{
	return qr_sim_cmpxchg32(QR_SIM_CMPXCHG_RELAXED, a, old, new);
}

static inline bool qr_cmpxchg32_acquire(qr_atomic32_t *a, u32 *old, u32 new)
{
	return qr_sim_cmpxchg32(QR_SIM_CMPXCHG_ACQUIRE, a, old, new);
}

static inline bool qr_cmpxchg32_release(qr_atomic32_t *a, u32 *old, u32 new)
{
	return qr_sim_cmpxchg32(QR_SIM_CMPXCHG_RELEASE, a, old, new);
}

static inline u64 qr_read_once64(const qr_atomic64_t *a)
{
	return qr_sim_load(QR_SIM_READ_ONCE, &a->v, 8);
}

static inline void qr_write_once64(qr_atomic64_t *a, u64 v)
{
	qr_sim_store(QR_SIM_WRITE_ONCE, &a->v, 8, v);
}

static inline u64 qr_load_acquire64(const qr_atomic64_t *a)
{
	return qr_sim_load(QR_SIM_LOAD_ACQUIRE, &a->v, 8);
}

static inline void qr_store_release64(qr_atomic64_t *a, u64 v)
{
	qr_sim_store(QR_SIM_STORE_RELEASE, &a->v, 8, v);
}

static inline bool qr_cmpxchg64_relaxed(qr_atomic64_t *a, u64 *old, u64 new)
{
	return qr_sim_cmpxchg(QR_SIM_CMPXCHG_RELAXED, &a->v, 8, old, new);
}

static inline bool qr_cmpxchg64_release(qr_atomic64_t *a, u64 *old, u64 new)
{
	return qr_sim_cmpxchg(QR_SIM_CMPXCHG_RELEASE, &a->v, 8, old, new);
}

static inline u64 qr_fetch_or64(qr_atomic64_t *a, u64 bits)
{
	return qr_sim_rmw(QR_SIM_FETCH_OR, &a->v, 8, bits);
}

static inline u64 qr_xchg64(qr_atomic64_t *a, u64 v)
{
	return qr_sim_rmw(QR_SIM_XCHG, &a->v, 8, v);
}

static inline void qr_fetch_add64_relaxed(qr_atomic64_t *a, u64 v)
{
	qr_sim_rmw(QR_SIM_FETCH_ADD, &a->v, 8, v);
}

/* A spin-wait iteration: the thread yields until some shared word changes. */
static inline void qr_cpu_relax(void)
{
	qr_sim_cpu_relax();
}

/* Virtual time: advanced by the scheduler, one tick per step. */
static inline u64 qr_now_ns(void)
{
	return qr_sim_now_ns();
}

/* Lifecycle is not explored: one OS thread, no grace periods to wait for. */
static inline void qr_rcu_read_lock(void)
{
}

static inline void qr_rcu_read_unlock(void)
{
}

static inline void qr_synchronize_rcu(void)
{
}

#endif /* QIRING_PORT_SIM_H */
