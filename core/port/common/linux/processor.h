/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Userspace stand-in for <linux/processor.h>: cpu_relax() is the spin-wait hint. */
#ifndef QIRING_PORT_LINUX_PROCESSOR_H
#define QIRING_PORT_LINUX_PROCESSOR_H

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
