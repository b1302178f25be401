/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Userspace stand-in for <linux/spinlock.h>: the raw_spin_* calls the core uses. */
#ifndef QIRING_PORT_LINUX_SPINLOCK_H
#define QIRING_PORT_LINUX_SPINLOCK_H

#include <linux/spinlock_types.h>

static inline void raw_spin_lock_init(raw_spinlock_t *l)
{
	pthread_spin_init(&l->lock, PTHREAD_PROCESS_PRIVATE);
}

static inline void raw_spin_lock(raw_spinlock_t *l)
{
	pthread_spin_lock(&l->lock);
}

/* 1 when taken, as in the kernel */
static inline int raw_spin_trylock(raw_spinlock_t *l)
{
	return pthread_spin_trylock(&l->lock) == 0;
}

static inline void raw_spin_unlock(raw_spinlock_t *l)
{
	pthread_spin_unlock(&l->lock);
}

#endif
