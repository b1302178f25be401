/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend (sim_port.h): acquire loads and release stores. */
#ifndef QIRING_SIM_ASM_BARRIER_H
#define QIRING_SIM_ASM_BARRIER_H

#include "../sim_port.h"

#define smp_load_acquire(p)	QR_SIM_LOAD(QR_SIM_LOAD_ACQUIRE, *(p))
#define smp_store_release(p, v)	QR_SIM_STORE(QR_SIM_STORE_RELEASE, *(p), v)

#endif
