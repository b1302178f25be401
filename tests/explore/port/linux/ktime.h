/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend: virtual time, advanced by the scheduler. */
#ifndef QIRING_SIM_LINUX_KTIME_H
#define QIRING_SIM_LINUX_KTIME_H

#include "../sim_port.h"

static inline u64 ktime_get_ns(void)
{
	return qr_sim_now_ns();
}

#endif
