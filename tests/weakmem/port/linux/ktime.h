/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Weak-memory backend (wm_port.h): each thread's own virtual clock. */
#ifndef QIRING_WM_LINUX_KTIME_H
#define QIRING_WM_LINUX_KTIME_H

#include "../wm_port.h"

static inline u64 ktime_get_ns(void)
{
	return wm_now_ns();
}

#endif
