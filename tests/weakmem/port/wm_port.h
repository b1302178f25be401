/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The weak-memory checker's backend for the kernel names the core uses
 * (tests/weakmem/port/, in front of core/port/common/ on the include path).
 * The core is compiled as C++ against it and runs under Relacy, a checker of
 * the C++11 (C11) memory model: every ordering the core states on an access
 * becomes the same order on a Relacy atomic, and Relacy explores what the
 * model allows, not only interleavings of a sequentially consistent memory.
 *
 * What Relacy does with an access (relacy/thread.hpp, atomic.hpp, var.hpp):
 *
 *   - every atomic access is a scheduling point; threads are fibers on one
 *     OS thread;
 *   - a load (relaxed or acquire) may return an older store than the
 *     latest, unless happens-before or coherence forbids it (one store back
 *     in the tree searches, two in the random one): a stale relaxed load,
 *     two loads of different words reordered, and an acquire that reads a
 *     store that is not a release and so synchronizes with nothing;
 *   - happens-before is tracked with vector clocks: release/acquire pairs,
 *     release sequences through read-modify-writes, locks;
 *   - a plain (non-atomic) variable, rl::var, reports a data race when two
 *     accesses, one a write, are not ordered by happens-before.
 *
 * How each kernel name maps, and why:
 *
 *   atomic64_t       holds an rl::atomic<s64> directly: the backend defines
 *                    the type. atomic64_read/_set are relaxed, _acquire /
 *                    _release as named, add/inc relaxed RMWs, the
 *                    try_cmpxchg family strong (no spurious failure, as the
 *                    kernel's) with the named order on success and relaxed
 *                    on failure (the kernel's failed cmpxchg orders nothing).
 *   u32 words        the status words, the IQE scratch word, the orphan
 *                    words (all in the embedder's status array) and
 *                    struct qiring.enabled are plain u32 in kernel memory, so
 *                    they cannot hold a checker atomic. The harness registers
 *                    each such region with a shadow array of rl::atomic<u32>;
 *                    READ_ONCE, WRITE_ONCE, smp_load_acquire,
 *                    smp_store_release and try_cmpxchg* find the shadow by
 *                    address (an access to an unregistered word fails the
 *                    run: every shared word must be modelled). The plain
 *                    word is kept equal to the latest store, for debugging.
 *   descriptors      the core writes them with memcpy() (qr_put_desc): this
 *                    backend's <linux/string.h> routes memcpy to
 *                    wm_memcpy(), which copies and, for a destination in the
 *                    registered descriptor ring, records a write of that
 *                    slot's rl::var shadow. The device's fetch reads the
 *                    shadow, so a descriptor handed over without a
 *                    release/acquire chain (O1/O2, the IQT write, O3/O4,
 *                    O5/O6, O7, O12, O13/O14) is a data race. The core's own
 *                    plain reads through a struct qiring_desc pointer cannot
 *                    be intercepted; the harness stands in for the one that
 *                    matters (the IQE handler's copy of the owner's wait, see
 *                    wm_memcpy()) and says which it does not see.
 *   raw_spinlock_t   a spinlock on an rl::atomic<int>: acquire cmpxchg,
 *                    release store (O8/O9). -DWM_FAULT_LOCK_RELAXED makes
 *                    both relaxed: still mutual exclusion, no happens-before
 *                    (the O8/O9 weakening: a lock is not a patch to the core).
 *   RCU              per-thread reader words: rcu_read_lock() is an acquire
 *                    RMW of the reader's own word, rcu_read_unlock() a
 *                    release RMW; synchronize_rcu() waits for each reader to
 *                    be outside and bumps its word with an acq_rel cmpxchg.
 *                    So a section that ended before the grace period happens
 *                    before its end, and everything before the grace period
 *                    happens before a section that starts after it, RCU's two
 *                    guarantees, and no more: readers never synchronize with
 *                    each other. Off (no-ops) in scenarios without lifecycle
 *                    calls.
 *   ktime_get_ns()   each thread's own virtual clock, 1 us per read: the
 *                    core's waits read it every 64 iterations; a function of
 *                    the thread's history, as Relacy needs for replay.
 *   cpu_relax()      rl::yield(): the thread steps aside; its next loads
 *                    cannot return what it had already seen before the yield,
 *                    so a spin loop makes progress (and a spin that never
 *                    ends is reported as a livelock at the depth limit).
 *
 * The harness (tests/weakmem/weakmem.cpp) implements the wm_* functions and
 * sees every access through them (its oracle watches prod, cons, tail and
 * the status words). Nothing here, and nothing the oracle does, adds
 * happens-before: it uses plain C++ state Relacy does not know about.
 */
#ifndef QIRING_WM_PORT_H
#define QIRING_WM_PORT_H

#ifndef __cplusplus
#error "the weakmem backend is Relacy (C++): compile the core with -x c++"
#endif

#include <relacy/relacy.hpp>

/*
 * relacy.hpp rewrites new, delete, malloc, assert, errno and the
 * memory_order names for test code written against it; the core and libc
 * headers must see the real ones.
 */
#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef assert
#undef errno
#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#include <errno.h>

#include <linux/types.h>

typedef rl::memory_order wm_mo;
#define WM_RELAXED	rl::mo_relaxed
#define WM_ACQUIRE	rl::mo_acquire
#define WM_RELEASE	rl::mo_release
#define WM_ACQ_REL	rl::mo_acq_rel
#define WM_HERE		RL_INFO

/* u32 words: shadowed by address (wm_port.h header comment). */
u32 wm_u32_load(const void *p, wm_mo mo, rl::debug_info_param info);
void wm_u32_store(void *p, u32 v, wm_mo mo, rl::debug_info_param info);
bool wm_u32_cmpxchg(void *p, u32 *oldp, u32 n, wm_mo mo,
		    rl::debug_info_param info);

/* READ_ONCE/WRITE_ONCE take an lvalue: only 32-bit words are shared. */
template <typename T>
static inline T wm_read_once(const T *p, rl::debug_info_param info)
{
	static_assert(sizeof(T) == 4, "weakmem: READ_ONCE on a non-u32 object");
	return (T)wm_u32_load(p, WM_RELAXED, info);
}

template <typename T, typename V>
static inline void wm_write_once(T *p, V v, rl::debug_info_param info)
{
	static_assert(sizeof(T) == 4, "weakmem: WRITE_ONCE on a non-u32 object");
	wm_u32_store(p, (u32)v, WM_RELAXED, info);
}

template <typename T>
static inline T wm_load_acquire(const T *p, rl::debug_info_param info)
{
	static_assert(sizeof(T) == 4, "weakmem: smp_load_acquire on a non-u32 object");
	return (T)wm_u32_load(p, WM_ACQUIRE, info);
}

template <typename T, typename V>
static inline void wm_store_release(T *p, V v, rl::debug_info_param info)
{
	static_assert(sizeof(T) == 4, "weakmem: smp_store_release on a non-u32 object");
	wm_u32_store(p, (u32)v, WM_RELEASE, info);
}

template <typename T, typename V>
static inline bool wm_try_cmpxchg(T *p, T *oldp, V n, wm_mo mo,
				  rl::debug_info_param info)
{
	static_assert(sizeof(T) == 4, "weakmem: try_cmpxchg on a non-u32 object");
	return wm_u32_cmpxchg(p, (u32 *)oldp, (u32)n, mo, info);
}

/* atomic64_t (linux/atomic.h) */
struct wm_atomic64 {
	rl::atomic<s64> counter;
};

s64 wm_a64_load(const wm_atomic64 *v, wm_mo mo, rl::debug_info_param info);
void wm_a64_store(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info);
s64 wm_a64_fetch_add(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info);
s64 wm_a64_fetch_or(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info);
s64 wm_a64_xchg(wm_atomic64 *v, s64 i, wm_mo mo, rl::debug_info_param info);
bool wm_a64_cmpxchg(wm_atomic64 *v, s64 *oldp, s64 n, wm_mo mo,
		    rl::debug_info_param info);

/* raw_spinlock_t */
struct wm_spinlock {
	rl::atomic<int> locked;
};

void wm_spin_init(wm_spinlock *l, rl::debug_info_param info);
void wm_spin_lock(wm_spinlock *l, rl::debug_info_param info);
bool wm_spin_trylock(wm_spinlock *l, rl::debug_info_param info);
void wm_spin_unlock(wm_spinlock *l, rl::debug_info_param info);

/* RCU, time, relax, descriptor copies */
void wm_rcu_read_lock(rl::debug_info_param info);
void wm_rcu_read_unlock(rl::debug_info_param info);
void wm_synchronize_rcu(rl::debug_info_param info);
u64 wm_now_ns(void);
void wm_relax(rl::debug_info_param info);
void *wm_memcpy(void *dst, const void *src, size_t n);

#endif
