/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * liburcu backend: the kernel's atomic64_t and try_cmpxchg() families on
 * liburcu's uatomic_* (every value-returning uatomic operation is fully
 * ordered, as the kernel's are), CMM_LOAD_SHARED / CMM_STORE_SHARED and the
 * barriers of <asm/barrier.h>. The _relaxed/_acquire/_release forms of
 * cmpxchg use the fully ordered one: stronger than asked, never weaker.
 */
#ifndef QIRING_PORT_URCU_LINUX_ATOMIC_H
#define QIRING_PORT_URCU_LINUX_ATOMIC_H

#include <linux/types.h>
#include <asm/barrier.h>
#include <urcu/uatomic.h>

typedef struct {
	s64 counter;
} atomic64_t;

#define ATOMIC64_INIT(i)	{ (i) }

static inline s64 atomic64_read(const atomic64_t *v)
{
	return CMM_LOAD_SHARED(v->counter);
}

static inline s64 atomic64_read_acquire(const atomic64_t *v)
{
	return smp_load_acquire(&v->counter);
}

static inline void atomic64_set(atomic64_t *v, s64 i)
{
	CMM_STORE_SHARED(v->counter, i);
}

static inline void atomic64_set_release(atomic64_t *v, s64 i)
{
	smp_store_release(&v->counter, i);
}

static inline void atomic64_add(s64 i, atomic64_t *v)
{
	uatomic_add(&v->counter, i);
}

static inline void atomic64_inc(atomic64_t *v)
{
	uatomic_inc(&v->counter);
}

static inline s64 atomic64_fetch_or(s64 i, atomic64_t *v)
{
	s64 old = CMM_LOAD_SHARED(v->counter), seen;

	/* liburcu's uatomic_or returns nothing: fetch_or from cmpxchg. */
	while ((seen = uatomic_cmpxchg(&v->counter, old, old | i)) != old)
		old = seen;
	return old;
}

static inline s64 atomic64_xchg(atomic64_t *v, s64 i)
{
	return uatomic_xchg(&v->counter, i);
}

static inline bool atomic64_try_cmpxchg(atomic64_t *v, s64 *old, s64 new_)
{
	s64 seen = uatomic_cmpxchg(&v->counter, *old, new_);

	if (seen == *old)
		return true;
	*old = seen;
	return false;
}

#define atomic64_try_cmpxchg_relaxed	atomic64_try_cmpxchg
#define atomic64_try_cmpxchg_acquire	atomic64_try_cmpxchg
#define atomic64_try_cmpxchg_release	atomic64_try_cmpxchg

/* try_cmpxchg on a plain scalar (the status words), fully ordered */
#define try_cmpxchg(p, oldp, n) ({					\
	__typeof__(*(p)) ___o = *(oldp);				\
	__typeof__(*(p)) ___s = uatomic_cmpxchg((p), ___o, (n));	\
	*(oldp) = ___s;							\
	___s == ___o;							\
})
#define try_cmpxchg_relaxed	try_cmpxchg
#define try_cmpxchg_acquire	try_cmpxchg
#define try_cmpxchg_release	try_cmpxchg

#endif
