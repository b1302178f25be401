/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend: the raw_spin_* calls on the explorer's mutex. */
#ifndef QIRING_SIM_LINUX_SPINLOCK_H
#define QIRING_SIM_LINUX_SPINLOCK_H

#include <linux/spinlock_types.h>

#define raw_spin_lock_init(l)	qr_sim_mutex_init(l)
#define raw_spin_lock(l)	qr_sim_mutex_lock(l)
#define raw_spin_trylock(l)	qr_sim_mutex_trylock(l)
#define raw_spin_unlock(l)	qr_sim_mutex_unlock(l)

#endif
