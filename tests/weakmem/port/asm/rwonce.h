/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Weak-memory backend (wm_port.h): READ_ONCE / WRITE_ONCE are relaxed accesses to a u32 word's shadow. */
#ifndef QIRING_WM_ASM_RWONCE_H
#define QIRING_WM_ASM_RWONCE_H

#include "../wm_port.h"

#define READ_ONCE(x)		wm_read_once(&(x), WM_HERE)
#define WRITE_ONCE(x, val)	wm_write_once(&(x), (val), WM_HERE)

#endif
