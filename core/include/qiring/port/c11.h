/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring port backend: C11 <stdatomic.h>. The default userspace backend and
 * the one ThreadSanitizer understands: every ordering is on an atomic
 * access, there are no standalone fences.
 */
#ifndef QIRING_PORT_C11_H
#define QIRING_PORT_C11_H

#ifndef QIRING_PORT_INSIDE
#error "include <qiring/port.h>, not a port backend"
#endif

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <urcu/urcu-bp.h>

#if defined(__SANITIZE_THREAD__)
#define QR_PORT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QR_PORT_TSAN 1
#endif
#endif

#ifdef QR_PORT_TSAN
#include <sanitizer/tsan_interface.h>
/* An address for TSan's happens-before edges; never read or written. */
static char qr_rcu_tsan_token __attribute__((unused));
#endif

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

typedef struct { _Atomic uint32_t v; } qr_atomic32_t;
typedef struct { _Atomic uint64_t v; } qr_atomic64_t;

#define QR_CACHELINE_ALIGNED __attribute__((aligned(64)))
#define qr_likely(x)	__builtin_expect(!!(x), 1)
#define qr_unlikely(x)	__builtin_expect(!!(x), 0)

#define QR_RLX memory_order_relaxed
#define QR_ACQ memory_order_acquire
#define QR_REL memory_order_release
#define QR_SC  memory_order_seq_cst

static inline u32 qr_read_once32(const qr_atomic32_t *a)
{
	return atomic_load_explicit(&((qr_atomic32_t *)a)->v, QR_RLX);
}

static inline void qr_write_once32(qr_atomic32_t *a, u32 v)
{
	atomic_store_explicit(&a->v, v, QR_RLX);
}

static inline u32 qr_load_acquire32(const qr_atomic32_t *a)
{
	return atomic_load_explicit(&((qr_atomic32_t *)a)->v, QR_ACQ);
}

static inline void qr_store_release32(qr_atomic32_t *a, u32 v)
{
	atomic_store_explicit(&a->v, v, QR_REL);
}

static inline bool qr_cmpxchg32_relaxed(qr_atomic32_t *a, u32 *old, u32 new)
{
	return atomic_compare_exchange_strong_explicit(&a->v, old, new,
						       QR_RLX, QR_RLX);
}

static inline bool qr_cmpxchg32_acquire(qr_atomic32_t *a, u32 *old, u32 new)
{
	return atomic_compare_exchange_strong_explicit(&a->v, old, new,
						       QR_ACQ, QR_RLX);
}

static inline bool qr_cmpxchg32_release(qr_atomic32_t *a, u32 *old, u32 new)
{
	return atomic_compare_exchange_strong_explicit(&a->v, old, new,
						       QR_REL, QR_RLX);
}

static inline u64 qr_read_once64(const qr_atomic64_t *a)
{
	return atomic_load_explicit(&((qr_atomic64_t *)a)->v, QR_RLX);
}

static inline void qr_write_once64(qr_atomic64_t *a, u64 v)
{
	atomic_store_explicit(&a->v, v, QR_RLX);
}

static inline u64 qr_load_acquire64(const qr_atomic64_t *a)
{
	return atomic_load_explicit(&((qr_atomic64_t *)a)->v, QR_ACQ);
}

static inline void qr_store_release64(qr_atomic64_t *a, u64 v)
{
	atomic_store_explicit(&a->v, v, QR_REL);
}

static inline bool qr_cmpxchg64_relaxed(qr_atomic64_t *a, u64 *old, u64 new)
{
	return atomic_compare_exchange_strong_explicit(&a->v, old, new,
						       QR_RLX, QR_RLX);
}

static inline bool qr_cmpxchg64_release(qr_atomic64_t *a, u64 *old, u64 new)
{
	return atomic_compare_exchange_strong_explicit(&a->v, old, new,
						       QR_REL, QR_RLX);
}

static inline u64 qr_fetch_or64(qr_atomic64_t *a, u64 bits)
{
	return atomic_fetch_or_explicit(&a->v, bits, QR_SC);
}

static inline u64 qr_xchg64(qr_atomic64_t *a, u64 v)
{
	return atomic_exchange_explicit(&a->v, v, QR_SC);
}

static inline void qr_fetch_add64_relaxed(qr_atomic64_t *a, u64 v)
{
	atomic_fetch_add_explicit(&a->v, v, QR_RLX);
}

static inline void qr_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline u64 qr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

/*
 * RCU for disable/destroy: liburcu's "bulletproof" flavour (urcu-bp). A
 * library cannot ask its callers to register their threads with RCU, and
 * urcu-bp needs no registration: a thread registers itself on its first
 * read-side section (one allocation per thread, ever). Read-side sections
 * are a call each, cheap next to an MMIO write; synchronize_rcu() is slow,
 * and runs only on disable/destroy.
 *
 * ThreadSanitizer does not see liburcu's grace periods (its own asm and
 * volatile accesses), so tell it what RCU guarantees: everything a reader
 * did before leaving its section happens-before synchronize_rcu() returns.
 */
static inline void qr_rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

static inline void qr_rcu_read_unlock(void)
{
#ifdef QR_PORT_TSAN
	__tsan_release(&qr_rcu_tsan_token);
#endif
	urcu_bp_read_unlock();
}

static inline void qr_synchronize_rcu(void)
{
	urcu_bp_synchronize_rcu();
#ifdef QR_PORT_TSAN
	__tsan_acquire(&qr_rcu_tsan_token);
#endif
}

#endif /* QIRING_PORT_C11_H */
