/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Weak-memory backend (wm_port.h): RCU's two guarantees on per-reader words. */
#ifndef QIRING_WM_LINUX_RCUPDATE_H
#define QIRING_WM_LINUX_RCUPDATE_H

#include "../wm_port.h"

#define rcu_read_lock()		wm_rcu_read_lock(WM_HERE)
#define rcu_read_unlock()	wm_rcu_read_unlock(WM_HERE)
#define synchronize_rcu()	wm_synchronize_rcu(WM_HERE)

#endif
