/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Userspace stand-in for <linux/compiler.h>: branch hints, and READ_ONCE /
 * WRITE_ONCE from the backend's <asm/rwonce.h>, as in the kernel.
 */
#ifndef QIRING_PORT_LINUX_COMPILER_H
#define QIRING_PORT_LINUX_COMPILER_H

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#ifndef noinline
#define noinline	__attribute__((__noinline__))
#endif

#include <asm/rwonce.h>

#endif
