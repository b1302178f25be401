/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring port backend: Linux. Selected by -DQIRING_PORT_KERNEL with shim/include
 * on the include path (see shim/kbuild/Kbuild and the dmar.c patch).
 *
 *   qr_read_once / qr_write_once         READ_ONCE / WRITE_ONCE, atomic64_read/set
 *   qr_load_acquire / qr_store_release   smp_load_acquire / smp_store_release,
 *                                        atomic64_read_acquire / _set_release
 *   qr_cmpxchg*_{relaxed,acquire,release} try_cmpxchg_*, atomic64_try_cmpxchg_*
 *   qr_fetch_or64 / qr_xchg64            atomic64_fetch_or / atomic64_xchg
 *                                        (value-returning: fully ordered)
 *   qr_fetch_add64_relaxed               atomic64_add (statistics only)
 *   qr_rcu_*                             rcu_read_lock / synchronize_rcu
 *
 * 64-bit words are atomic64_t, so 32-bit x86 (which VT-d also runs on)
 * gets single-copy atomic 64-bit accesses. 32-bit status words are plain
 * u32 in a struct: the hardware writes them by DMA, so they must be
 * ordinary memory, accessed only through the ops below (KCSAN sees every
 * access as marked).
 */
#ifndef QIRING_PORT_KERNEL_H
#define QIRING_PORT_KERNEL_H

#ifndef QIRING_PORT_INSIDE
#error "include <qiring/port.h>, not a port backend"
#endif

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/processor.h>
#include <linux/rcupdate.h>
#include <linux/ktime.h>
#include <linux/types.h>
#include <asm/barrier.h>

/*
 * The core names its shared words qr_atomic32_t / qr_atomic64_t. Kernel
 * code adds no typedefs: here the names stand for plain struct types.
 */
struct qr_atomic32 {
	u32 v;
};

struct qr_atomic64 {
	atomic64_t v;
};

#define qr_atomic32_t	struct qr_atomic32
#define qr_atomic64_t	struct qr_atomic64

#define QR_CACHELINE_ALIGNED	____cacheline_aligned
#define qr_likely(x)		likely(x)
#define qr_unlikely(x)		unlikely(x)

static inline u32 qr_read_once32(const qr_atomic32_t *a)
{
	return READ_ONCE(a->v);
}

static inline void qr_write_once32(qr_atomic32_t *a, u32 v)
{
	WRITE_ONCE(a->v, v);
}

static inline u32 qr_load_acquire32(const qr_atomic32_t *a)
{
	/* pairs with the release named at the core's call site (O2, O4, O12) */
	return smp_load_acquire(&a->v);
}

static inline void qr_store_release32(qr_atomic32_t *a, u32 v)
{
	/* pairs with the acquire named at the core's call site (O1, O3) */
	smp_store_release(&a->v, v);
}

static inline bool qr_cmpxchg32_relaxed(qr_atomic32_t *a, u32 *old, u32 new)
{
	return try_cmpxchg_relaxed(&a->v, old, new);
}

static inline bool qr_cmpxchg32_acquire(qr_atomic32_t *a, u32 *old, u32 new)
{
	return try_cmpxchg_acquire(&a->v, old, new);
}

static inline bool qr_cmpxchg32_release(qr_atomic32_t *a, u32 *old, u32 new)
{
	return try_cmpxchg_release(&a->v, old, new);
}

static inline u64 qr_read_once64(const qr_atomic64_t *a)
{
	return (u64)atomic64_read(&a->v);
}

static inline void qr_write_once64(qr_atomic64_t *a, u64 v)
{
	atomic64_set(&a->v, (s64)v);
}

static inline u64 qr_load_acquire64(const qr_atomic64_t *a)
{
	return (u64)atomic64_read_acquire(&a->v);
}

static inline void qr_store_release64(qr_atomic64_t *a, u64 v)
{
	atomic64_set_release(&a->v, (s64)v);
}

static inline bool qr_cmpxchg64_relaxed(qr_atomic64_t *a, u64 *old, u64 new)
{
	return atomic64_try_cmpxchg_relaxed(&a->v, (s64 *)old, (s64)new);
}

static inline bool qr_cmpxchg64_release(qr_atomic64_t *a, u64 *old, u64 new)
{
	return atomic64_try_cmpxchg_release(&a->v, (s64 *)old, (s64)new);
}

static inline u64 qr_fetch_or64(qr_atomic64_t *a, u64 bits)
{
	return (u64)atomic64_fetch_or((s64)bits, &a->v);
}

static inline u64 qr_xchg64(qr_atomic64_t *a, u64 v)
{
	return (u64)atomic64_xchg(&a->v, (s64)v);
}

static inline void qr_fetch_add64_relaxed(qr_atomic64_t *a, u64 v)
{
	atomic64_add((s64)v, &a->v);
}

static inline void qr_cpu_relax(void)
{
	cpu_relax();
}

static inline u64 qr_now_ns(void)
{
	return ktime_get_ns();
}

/*
 * Submitters run in RCU read-side critical sections so that disable and
 * destroy can wait for them (synchronize_rcu) with nothing on the fast path
 * but a preempt count. Every entry point already runs with interrupts
 * disabled (H8), which is itself an RCU read-side section; the explicit
 * markers keep lockdep and the argument independent of that.
 */
static inline void qr_rcu_read_lock(void)
{
	rcu_read_lock();
}

static inline void qr_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

static inline void qr_synchronize_rcu(void)
{
	synchronize_rcu();
}

#endif /* QIRING_PORT_KERNEL_H */
