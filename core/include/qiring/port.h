/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * qiring port layer: the only place where the core meets an environment.
 *
 * The algorithm in qiring.c uses nothing but the operations below. Each
 * backend maps them onto one set of primitives and refuses direct
 * inclusion. The build selects exactly one backend with a macro:
 *
 *   QIRING_PORT_C11     C11 <stdatomic.h> (default; what ThreadSanitizer sees)
 *   QIRING_PORT_URCU    liburcu uatomic / CMM_LOAD_SHARED / cmm_smp_mb
 *   QIRING_PORT_SIM     the interleaving explorer: every access is a
 *                       scheduling point (tests/explore)
 *   QIRING_PORT_KERNEL  Linux: READ_ONCE/WRITE_ONCE, smp_load_acquire,
 *                       atomic64_try_cmpxchg, cpu_relax (shim/)
 *
 * Every shared word is wrapped in a struct (qr_atomic32_t, qr_atomic64_t)
 * so that a stray plain access does not compile. Orderings use the
 * kernel's names and meanings:
 *
 *   qr_read_once / qr_write_once          relaxed, single-copy atomic
 *   qr_load_acquire / qr_store_release    one-way barriers on the access
 *   qr_cmpxchg{32,64}_{relaxed,release}   try_cmpxchg: on failure *old is
 *                                         refreshed, no ordering
 *   qr_fetch_or64 / qr_xchg64             fully ordered RMW (kernel
 *                                         value-returning atomics are)
 *   qr_fetch_add64_relaxed                statistics only
 *
 * Backend-provided helpers: qr_cpu_relax(), qr_now_ns() (wait loops only,
 * never on the submission fast path), QR_CACHELINE_ALIGNED, qr_likely(),
 * qr_unlikely(), and the integer types u8/u32/u64/s64, bool, NULL, EINVAL,
 * EAGAIN, EBUSY, EINPROGRESS, ETIMEDOUT, ENODEV.
 */
#ifndef QIRING_PORT_H
#define QIRING_PORT_H

#define QIRING_PORT_INSIDE 1

#if defined(QIRING_PORT_KERNEL)
#include "qiring-port-kernel.h"	/* lives in shim/, on the module's include path */
#elif defined(QIRING_PORT_SIM)
#include "qiring-port-sim.h"	/* lives in tests/explore/ */
#elif defined(QIRING_PORT_URCU)
#include "port/urcu.h"
#else
#include "port/c11.h"
#endif

#undef QIRING_PORT_INSIDE

#endif /* QIRING_PORT_H */
