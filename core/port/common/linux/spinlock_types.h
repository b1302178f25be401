/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Userspace stand-in for <linux/spinlock_types.h>: raw_spinlock_t is a
 * POSIX spinlock. glibc's implementation is well kept, and ThreadSanitizer
 * intercepts it, so the happens-before a lock gives is visible to it.
 */
#ifndef QIRING_PORT_LINUX_SPINLOCK_TYPES_H
#define QIRING_PORT_LINUX_SPINLOCK_TYPES_H

#include <pthread.h>

typedef struct {
	pthread_spinlock_t lock;
} raw_spinlock_t;

#endif
