/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * C11 backend: READ_ONCE / WRITE_ONCE are relaxed atomic accesses (the GCC
 * and Clang __atomic builtins, which work on plain kernel-typed objects and
 * which ThreadSanitizer sees as atomics). Like the kernel's, they are
 * single-copy atomic for naturally aligned scalars and give no ordering.
 */
#ifndef QIRING_PORT_C11_ASM_RWONCE_H
#define QIRING_PORT_C11_ASM_RWONCE_H

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#endif
