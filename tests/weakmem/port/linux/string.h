/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Weak-memory backend (wm_port.h): memcpy() records a descriptor write on
 * the slot's shadow when its destination is the registered descriptor ring.
 */
#ifndef QIRING_WM_LINUX_STRING_H
#define QIRING_WM_LINUX_STRING_H

#include <string.h>
#include "../wm_port.h"

#define memcpy(d, s, n)		wm_memcpy((d), (s), (n))

#endif
