/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Weak-memory backend (wm_port.h): atomic64_t holds a Relacy atomic; the
 * try_cmpxchg family on atomic64_t and on u32 words. Orders as the kernel
 * names them; value-returning RMWs without a suffix are fully ordered
 * (acq_rel here: Relacy's seq_cst adds a total order the core never relies
 * on); a failed cmpxchg is relaxed.
 */
#ifndef QIRING_WM_LINUX_ATOMIC_H
#define QIRING_WM_LINUX_ATOMIC_H

#include <asm/barrier.h>
#include "../wm_port.h"

typedef struct wm_atomic64 atomic64_t;

#define atomic64_read(v)		wm_a64_load((v), WM_RELAXED, WM_HERE)
#define atomic64_read_acquire(v)	wm_a64_load((v), WM_ACQUIRE, WM_HERE)
#define atomic64_set(v, i)		wm_a64_store((v), (i), WM_RELAXED, WM_HERE)
#define atomic64_set_release(v, i)	wm_a64_store((v), (i), WM_RELEASE, WM_HERE)
#define atomic64_add(i, v)		((void)wm_a64_fetch_add((v), (i), WM_RELAXED, WM_HERE))
#define atomic64_inc(v)			atomic64_add(1, (v))
#define atomic64_fetch_or(i, v)		wm_a64_fetch_or((v), (i), WM_ACQ_REL, WM_HERE)
#define atomic64_xchg(v, i)		wm_a64_xchg((v), (i), WM_ACQ_REL, WM_HERE)

#define atomic64_try_cmpxchg(v, o, n)		wm_a64_cmpxchg((v), (o), (n), WM_ACQ_REL, WM_HERE)
#define atomic64_try_cmpxchg_relaxed(v, o, n)	wm_a64_cmpxchg((v), (o), (n), WM_RELAXED, WM_HERE)
#define atomic64_try_cmpxchg_acquire(v, o, n)	wm_a64_cmpxchg((v), (o), (n), WM_ACQUIRE, WM_HERE)
#define atomic64_try_cmpxchg_release(v, o, n)	wm_a64_cmpxchg((v), (o), (n), WM_RELEASE, WM_HERE)

#define try_cmpxchg(p, o, n)		wm_try_cmpxchg((p), (o), (n), WM_ACQ_REL, WM_HERE)
#define try_cmpxchg_relaxed(p, o, n)	wm_try_cmpxchg((p), (o), (n), WM_RELAXED, WM_HERE)
#define try_cmpxchg_acquire(p, o, n)	wm_try_cmpxchg((p), (o), (n), WM_ACQUIRE, WM_HERE)
#define try_cmpxchg_release(p, o, n)	wm_try_cmpxchg((p), (o), (n), WM_RELEASE, WM_HERE)

#endif
