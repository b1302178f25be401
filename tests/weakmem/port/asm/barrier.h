/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Weak-memory backend (wm_port.h): an acquire load, a release store on a u32 word's shadow. */
#ifndef QIRING_WM_ASM_BARRIER_H
#define QIRING_WM_ASM_BARRIER_H

#include "../wm_port.h"

#define smp_load_acquire(p)	wm_load_acquire((p), WM_HERE)
#define smp_store_release(p, v)	wm_store_release((p), (v), WM_HERE)

#endif
