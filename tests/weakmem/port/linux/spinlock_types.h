/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Weak-memory backend (wm_port.h): raw_spinlock_t is a spinlock on a Relacy atomic. */
#ifndef QIRING_WM_LINUX_SPINLOCK_TYPES_H
#define QIRING_WM_LINUX_SPINLOCK_TYPES_H

#include "../wm_port.h"

typedef struct wm_spinlock raw_spinlock_t;

#endif
