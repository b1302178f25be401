/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend: a spin-wait iteration yields until a word it read changes. */
#ifndef QIRING_SIM_LINUX_PROCESSOR_H
#define QIRING_SIM_LINUX_PROCESSOR_H

#include "../sim_port.h"

static inline void cpu_relax(void)
{
	qr_sim_cpu_relax();
}

#endif
