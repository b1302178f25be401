/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring port backend: liburcu. Plain shared accesses are CMM_LOAD_SHARED /
 * CMM_STORE_SHARED (single-copy atomic, not reordered by the compiler);
 * orderings are liburcu's barriers; RMWs are uatomic_* (fully ordered).
 *
 *   acquire  = CMM_LOAD_SHARED, then cmm_smp_rmb(): orders the load before
 *              later loads (and, on every architecture liburcu supports,
 *              before later stores: x86 TSO, arm64 "dmb ishld").
 *   release  = cmm_smp_mb(), then CMM_STORE_SHARED: earlier loads and stores
 *              complete first. A full barrier, heavier than needed on x86,
 *              but liburcu offers no release-only barrier that also orders
 *              earlier loads on every architecture.
 *
 * This backend is for embedders that already live on liburcu. It is not
 * the one to run under ThreadSanitizer: CMM_* accesses are volatile, which
 * TSan does not treat as synchronisation (use the C11 backend there).
 */
#ifndef QIRING_PORT_URCU_H
#define QIRING_PORT_URCU_H

#ifndef QIRING_PORT_INSIDE
#error "include <qiring/port.h>, not a port backend"
#endif

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <urcu/arch.h>
#include <urcu/system.h>
#include <urcu/uatomic.h>
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

typedef struct { uint32_t v; } qr_atomic32_t;
typedef struct { uint64_t v; } qr_atomic64_t;

#define QR_CACHELINE_ALIGNED __attribute__((aligned(64)))
#define qr_likely(x)	caa_likely(x)
#define qr_unlikely(x)	caa_unlikely(x)

static inline u32 qr_read_once32(const qr_atomic32_t *a)
{
	return CMM_LOAD_SHARED(a->v);
}

static inline void qr_write_once32(qr_atomic32_t *a, u32 v)
{
	CMM_STORE_SHARED(a->v, v);
}

static inline u32 qr_load_acquire32(const qr_atomic32_t *a)
{
	u32 v = CMM_LOAD_SHARED(a->v);

	cmm_smp_rmb();
	return v;
}

static inline void qr_store_release32(qr_atomic32_t *a, u32 v)
{
	cmm_smp_mb();
	CMM_STORE_SHARED(a->v, v);
}

static inline bool qr_cmpxchg32_relaxed(qr_atomic32_t *a, u32 *old, u32 new)
{
	u32 seen = uatomic_cmpxchg(&a->v, *old, new);

	if (seen == *old)
		return true;
	*old = seen;
	return false;
}

#define qr_cmpxchg32_acquire qr_cmpxchg32_relaxed	/* uatomic_cmpxchg is fully ordered */
#define qr_cmpxchg32_release qr_cmpxchg32_relaxed

static inline u64 qr_read_once64(const qr_atomic64_t *a)
{
	return CMM_LOAD_SHARED(a->v);
}

static inline void qr_write_once64(qr_atomic64_t *a, u64 v)
{
	CMM_STORE_SHARED(a->v, v);
}

static inline u64 qr_load_acquire64(const qr_atomic64_t *a)
{
	u64 v = CMM_LOAD_SHARED(a->v);

	cmm_smp_rmb();
	return v;
}

static inline void qr_store_release64(qr_atomic64_t *a, u64 v)
{
	cmm_smp_mb();
	CMM_STORE_SHARED(a->v, v);
}

static inline bool qr_cmpxchg64_relaxed(qr_atomic64_t *a, u64 *old, u64 new)
{
	u64 seen = uatomic_cmpxchg(&a->v, *old, new);

	if (seen == *old)
		return true;
	*old = seen;
	return false;
}

#define qr_cmpxchg64_release qr_cmpxchg64_relaxed	/* fully ordered */

static inline u64 qr_fetch_or64(qr_atomic64_t *a, u64 bits)
{
	u64 old = CMM_LOAD_SHARED(a->v), seen;

	/* liburcu's uatomic_or returns nothing: build fetch_or from cmpxchg. */
	while ((seen = uatomic_cmpxchg(&a->v, old, old | bits)) != old)
		old = seen;
	return old;
}

static inline u64 qr_xchg64(qr_atomic64_t *a, u64 v)
{
	return uatomic_xchg(&a->v, v);
}

static inline void qr_fetch_add64_relaxed(qr_atomic64_t *a, u64 v)
{
	uatomic_add(&a->v, v);
}

static inline void qr_cpu_relax(void)
{
	caa_cpu_relax();
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

#endif /* QIRING_PORT_URCU_H */
