/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Explorer backend: lifecycle is not explored; RCU is a no-op on one OS thread. */
#ifndef QIRING_SIM_LINUX_RCUPDATE_H
#define QIRING_SIM_LINUX_RCUPDATE_H

static inline void rcu_read_lock(void)
{
}

static inline void rcu_read_unlock(void)
{
}

static inline void synchronize_rcu(void)
{
}

#endif
