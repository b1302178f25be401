/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Weak-memory backend (wm_port.h): a spin-wait iteration yields. */
#ifndef QIRING_WM_LINUX_PROCESSOR_H
#define QIRING_WM_LINUX_PROCESSOR_H

#include "../wm_port.h"

#define cpu_relax()	wm_relax(WM_HERE)

#endif
