/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The interleaving explorer's backend for the kernel names the core uses
 * (tests/explore/port/, in front of core/port/common/ on the include path).
 *
 * Every access to a shared word (READ_ONCE, WRITE_ONCE, smp_load_acquire,
 * smp_store_release, the atomic64_* and try_cmpxchg* families) is a
 * scheduling point: before it runs, the explorer's scheduler (sim.c) may
 * switch to another logical thread or let the simulated device take a step.
 * All logical threads are coroutines on one OS thread, so the words are
 * plain integers underneath and no access needs a real atomic.
 *
 * Memory model. By default the explorer is sequentially consistent: an
 * access takes effect when it runs. With store buffering enabled (x86-TSO,
 * sim_config.tso), WRITE_ONCE and smp_store_release go into the storing
 * thread's FIFO store buffer; the storer's own loads see its buffer, other
 * threads and the device see memory, and the oldest entry is committed to
 * memory when the scheduler chooses to (a scheduling choice of its own),
 * when the buffer is full, or before any read-modify-write, lock operation
 * or MMIO access by the storer (x86 locked instructions and uncached
 * accesses drain the store buffer). That is the one reordering x86 allows
 * (a store passing a later load) and the one the doorbell hand-off (H3,
 * O10/O11) must survive.
 *
 * raw_spinlock_t is the explorer's mutex: taking it is a scheduling point,
 * a thread that finds it held is blocked until it is released, a failed
 * trylock is a read the thread's next wait-loop iteration may wait on.
 *
 * Outside a running schedule (set-up and the final checks, on the OS
 * thread's own stack) the operations act on memory directly. RCU is a
 * no-op: one OS thread, no grace periods to wait for.
 */
#ifndef QIRING_SIM_PORT_H
#define QIRING_SIM_PORT_H

#include <linux/types.h>

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

/* The kinds of access the scheduler sees (and the step log prints). */
enum qr_sim_op {
	QR_SIM_READ_ONCE,
	QR_SIM_LOAD_ACQUIRE,
	QR_SIM_WRITE_ONCE,
	QR_SIM_STORE_RELEASE,
	QR_SIM_CMPXCHG_RELAXED,
	QR_SIM_CMPXCHG_ACQUIRE,
	QR_SIM_CMPXCHG_RELEASE,
	QR_SIM_CMPXCHG,
	QR_SIM_FETCH_OR,
	QR_SIM_XCHG,
	QR_SIM_FETCH_ADD,
};

/* Implemented by the explorer (tests/explore/sim.c). */
u64 qr_sim_load(enum qr_sim_op op, const void *addr, unsigned int size);
void qr_sim_store(enum qr_sim_op op, void *addr, unsigned int size, u64 v);
bool qr_sim_cmpxchg(enum qr_sim_op op, void *addr, unsigned int size,
		    u64 *old, u64 new_);
u64 qr_sim_rmw(enum qr_sim_op op, void *addr, unsigned int size, u64 arg);
void qr_sim_cpu_relax(void);
u64 qr_sim_now_ns(void);

typedef struct {
	int owner;		/* logical thread + 1, 0 = free */
} qr_sim_mutex_t;

void qr_sim_mutex_init(qr_sim_mutex_t *m);
void qr_sim_mutex_lock(qr_sim_mutex_t *m);
bool qr_sim_mutex_trylock(qr_sim_mutex_t *m);
void qr_sim_mutex_unlock(qr_sim_mutex_t *m);

#define QR_SIM_LOAD(op, x) \
	((__typeof__(x))qr_sim_load((op), &(x), sizeof(x)))
#define QR_SIM_STORE(op, x, val) \
	qr_sim_store((op), &(x), sizeof(x), (u64)(val))
#define QR_SIM_TRY_CMPXCHG(op, p, oldp, n) ({				\
	u64 ___o = (u64)*(oldp);					\
	bool ___ok = qr_sim_cmpxchg((op), (p), sizeof(*(p)), &___o,	\
				    (u64)(n));				\
	*(oldp) = (__typeof__(*(oldp)))___o;				\
	___ok;								\
})

#endif
