/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * liburcu backend: one-way barriers from liburcu's fences.
 *
 *   acquire = CMM_LOAD_SHARED, then cmm_smp_rmb(): orders the load before
 *             later loads (and, on every architecture liburcu supports,
 *             before later stores: x86 TSO, arm64 "dmb ishld").
 *   release = cmm_smp_mb(), then CMM_STORE_SHARED: earlier loads and stores
 *             complete first. A full barrier, heavier than needed on x86,
 *             but liburcu offers no release-only barrier that also orders
 *             earlier loads on every architecture.
 */
#ifndef QIRING_PORT_URCU_ASM_BARRIER_H
#define QIRING_PORT_URCU_ASM_BARRIER_H

#include <urcu/arch.h>
#include <urcu/system.h>

#define smp_load_acquire(p) ({				\
	__typeof__(*(p)) ___v = CMM_LOAD_SHARED(*(p));	\
	cmm_smp_rmb();					\
	___v;						\
})

#define smp_store_release(p, v) do {			\
	cmm_smp_mb();					\
	CMM_STORE_SHARED(*(p), (v));			\
} while (0)

#endif
