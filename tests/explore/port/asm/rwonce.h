/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend (sim_port.h): READ_ONCE / WRITE_ONCE are scheduling points. */
#ifndef QIRING_SIM_ASM_RWONCE_H
#define QIRING_SIM_ASM_RWONCE_H

#include "../sim_port.h"

#define READ_ONCE(x)		QR_SIM_LOAD(QR_SIM_READ_ONCE, x)
#define WRITE_ONCE(x, val)	QR_SIM_STORE(QR_SIM_WRITE_ONCE, x, val)

#endif
