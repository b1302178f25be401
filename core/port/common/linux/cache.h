/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Userspace stand-in for <linux/cache.h>: 64-byte cache lines. */
#ifndef QIRING_PORT_LINUX_CACHE_H
#define QIRING_PORT_LINUX_CACHE_H

#define SMP_CACHE_BYTES			64
#define ____cacheline_aligned		__attribute__((__aligned__(SMP_CACHE_BYTES)))
#define ____cacheline_aligned_in_smp	____cacheline_aligned

#endif
