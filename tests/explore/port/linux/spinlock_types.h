/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend: raw_spinlock_t is the explorer's mutex. */
#ifndef QIRING_SIM_LINUX_SPINLOCK_TYPES_H
#define QIRING_SIM_LINUX_SPINLOCK_TYPES_H

#include "../sim_port.h"

typedef qr_sim_mutex_t raw_spinlock_t;

#endif
