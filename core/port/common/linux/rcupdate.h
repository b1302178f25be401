/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Userspace stand-in for <linux/rcupdate.h>, on liburcu's "bulletproof"
 * flavour (urcu-bp). A library cannot ask its callers to register their
 * threads with RCU, and urcu-bp needs no registration: a thread registers
 * itself on its first read-side section. Only qiring_disable() and
 * qiring_destroy() wait for a grace period.
 *
 * The read side is liburcu's inline one (_LGPL_SOURCE: a few lines that
 * load a thread-local pointer and store a counter; with sys_membarrier, no
 * fence), not two calls into the shared library per submission. Its
 * thread-local variable lives in liburcu-bp.so: position-dependent code
 * reaches it with the initial-exec model, so the core is built without
 * -fPIC unless a shared library needs it (__tls_get_addr otherwise).
 *
 * ThreadSanitizer does not see liburcu's grace periods (its own asm and
 * volatile accesses), so tell it what RCU guarantees: everything a reader
 * did before leaving its section happens before synchronize_rcu() returns.
 */
#ifndef QIRING_PORT_LINUX_RCUPDATE_H
#define QIRING_PORT_LINUX_RCUPDATE_H

/*
 * Not under AddressSanitizer: the inline read side dereferences liburcu's
 * reader struct, which UBSan's alignment check (run with ASan here) finds
 * misaligned; the library's own calls are the same code, unchecked.
 */
#if !defined(_LGPL_SOURCE) && !defined(__SANITIZE_ADDRESS__)
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-bp.h>

#if defined(__SANITIZE_THREAD__)
#define QIRING_PORT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QIRING_PORT_TSAN 1
#endif
#endif

#ifdef QIRING_PORT_TSAN
#include <sanitizer/tsan_interface.h>
/* An address for TSan's happens-before edges; never read or written. */
static char qiring_rcu_tsan_token __attribute__((unused));
#endif

static inline void rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

static inline void rcu_read_unlock(void)
{
#ifdef QIRING_PORT_TSAN
	__tsan_release(&qiring_rcu_tsan_token);
#endif
	urcu_bp_read_unlock();
}

static inline void synchronize_rcu(void)
{
	urcu_bp_synchronize_rcu();
#ifdef QIRING_PORT_TSAN
	__tsan_acquire(&qiring_rcu_tsan_token);
#endif
}

#endif
