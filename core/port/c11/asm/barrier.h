/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * C11 backend: the kernel's one-way barriers on an access. An acquire load
 * and a release store in the C11 memory model, with the kernel's meaning.
 * No standalone fences are provided: ThreadSanitizer does not model them,
 * and the core does not use them.
 */
#ifndef QIRING_PORT_C11_ASM_BARRIER_H
#define QIRING_PORT_C11_ASM_BARRIER_H

#define smp_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)		__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#endif
