/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * liburcu backend: READ_ONCE / WRITE_ONCE are CMM_LOAD_SHARED /
 * CMM_STORE_SHARED: single-copy atomic, not reordered by the compiler.
 *
 * This backend is for embedders that already live on liburcu. It is not the
 * one to run under ThreadSanitizer: CMM_* accesses are volatile, which TSan
 * does not treat as synchronisation (use the C11 backend there).
 */
#ifndef QIRING_PORT_URCU_ASM_RWONCE_H
#define QIRING_PORT_URCU_ASM_RWONCE_H

#include <urcu/system.h>

#define READ_ONCE(x)		CMM_LOAD_SHARED(x)
#define WRITE_ONCE(x, val)	CMM_STORE_SHARED(x, val)

#endif
