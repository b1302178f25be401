/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * C11 backend: the kernel's atomic64_t and try_cmpxchg() families on the
 * C11 memory model (GCC/Clang __atomic builtins). The kernel's meanings:
 *
 *   atomic64_read / _set               relaxed (READ_ONCE / WRITE_ONCE)
 *   atomic64_read_acquire / _set_release
 *   atomic64_add / _inc                relaxed, no return value
 *   atomic64_fetch_or / _xchg          value-returning: fully ordered
 *                                      (seq_cst RMWs)
 *   *_try_cmpxchg{,_relaxed,_acquire,_release}
 *                                      on failure *old is refreshed and
 *                                      the access is relaxed
 */
#ifndef QIRING_PORT_C11_LINUX_ATOMIC_H
#define QIRING_PORT_C11_LINUX_ATOMIC_H

#include <linux/types.h>
#include <asm/barrier.h>

typedef struct {
	s64 counter;
} atomic64_t;

#define ATOMIC64_INIT(i)	{ (i) }

static inline s64 atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline s64 atomic64_read_acquire(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void atomic64_set(atomic64_t *v, s64 i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic64_set_release(atomic64_t *v, s64 i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);
}

static inline void atomic64_add(s64 i, atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic64_inc(atomic64_t *v)
{
	atomic64_add(1, v);
}

static inline s64 atomic64_fetch_or(s64 i, atomic64_t *v)
{
	return __atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline s64 atomic64_xchg(atomic64_t *v, s64 i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline bool atomic64_try_cmpxchg(atomic64_t *v, s64 *old, s64 new_)
{
	return __atomic_compare_exchange_n(&v->counter, old, new_, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static inline bool atomic64_try_cmpxchg_relaxed(atomic64_t *v, s64 *old, s64 new_)
{
	return __atomic_compare_exchange_n(&v->counter, old, new_, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline bool atomic64_try_cmpxchg_acquire(atomic64_t *v, s64 *old, s64 new_)
{
	return __atomic_compare_exchange_n(&v->counter, old, new_, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline bool atomic64_try_cmpxchg_release(atomic64_t *v, s64 *old, s64 new_)
{
	return __atomic_compare_exchange_n(&v->counter, old, new_, false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* try_cmpxchg on a plain scalar (the status words) */
#define try_cmpxchg(p, oldp, n)		__atomic_compare_exchange_n((p), (oldp), (n), \
					false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
#define try_cmpxchg_relaxed(p, oldp, n)	__atomic_compare_exchange_n((p), (oldp), (n), \
					false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define try_cmpxchg_acquire(p, oldp, n)	__atomic_compare_exchange_n((p), (oldp), (n), \
					false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define try_cmpxchg_release(p, oldp, n)	__atomic_compare_exchange_n((p), (oldp), (n), \
					false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)

#endif
