/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend (sim_port.h): atomic64_t and try_cmpxchg as scheduling points. */
#ifndef QIRING_SIM_LINUX_ATOMIC_H
#define QIRING_SIM_LINUX_ATOMIC_H

#include <asm/barrier.h>
#include "../sim_port.h"

typedef struct {
	s64 counter;
} atomic64_t;

#define ATOMIC64_INIT(i)	{ (i) }

#define atomic64_read(v)		QR_SIM_LOAD(QR_SIM_READ_ONCE, (v)->counter)
#define atomic64_read_acquire(v)	QR_SIM_LOAD(QR_SIM_LOAD_ACQUIRE, (v)->counter)
#define atomic64_set(v, i)		QR_SIM_STORE(QR_SIM_WRITE_ONCE, (v)->counter, i)
#define atomic64_set_release(v, i)	QR_SIM_STORE(QR_SIM_STORE_RELEASE, (v)->counter, i)

static inline void atomic64_add(s64 i, atomic64_t *v)
{
	qr_sim_rmw(QR_SIM_FETCH_ADD, &v->counter, 8, (u64)i);
}

static inline void atomic64_inc(atomic64_t *v)
{
	atomic64_add(1, v);
}

static inline s64 atomic64_fetch_or(s64 i, atomic64_t *v)
{
	return (s64)qr_sim_rmw(QR_SIM_FETCH_OR, &v->counter, 8, (u64)i);
}

static inline s64 atomic64_xchg(atomic64_t *v, s64 i)
{
	return (s64)qr_sim_rmw(QR_SIM_XCHG, &v->counter, 8, (u64)i);
}

#define atomic64_try_cmpxchg(v, o, n) \
	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG, &(v)->counter, o, n)
#define atomic64_try_cmpxchg_relaxed(v, o, n) \
	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG_RELAXED, &(v)->counter, o, n)
#define atomic64_try_cmpxchg_acquire(v, o, n) \
	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG_ACQUIRE, &(v)->counter, o, n)
#define atomic64_try_cmpxchg_release(v, o, n) \
	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG_RELEASE, &(v)->counter, o, n)

#define try_cmpxchg(p, o, n)		QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG, p, o, n)
#define try_cmpxchg_relaxed(p, o, n)	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG_RELAXED, p, o, n)
#define try_cmpxchg_acquire(p, o, n)	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG_ACQUIRE, p, o, n)
#define try_cmpxchg_release(p, o, n)	QR_SIM_TRY_CMPXCHG(QR_SIM_CMPXCHG_RELEASE, p, o, n)

#endif
