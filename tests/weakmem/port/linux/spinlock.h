/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Weak-memory backend (wm_port.h): the raw_spin_* calls. Lock and trylock
 * are an acquire cmpxchg (O8), unlock a release store (O9);
 * -DWM_FAULT_LOCK_RELAXED keeps the exclusion and drops both orders.
 */
#ifndef QIRING_WM_LINUX_SPINLOCK_H
#define QIRING_WM_LINUX_SPINLOCK_H

#include <linux/spinlock_types.h>

#define raw_spin_lock_init(l)	wm_spin_init((l), WM_HERE)
#define raw_spin_lock(l)	wm_spin_lock((l), WM_HERE)
#define raw_spin_trylock(l)	wm_spin_trylock((l), WM_HERE)
#define raw_spin_unlock(l)	wm_spin_unlock((l), WM_HERE)

#endif
