/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reference point: Concurrency Kit's ck_ring in MPMC mode behind the
 * variant interface, so the harness drives it exactly as it drives the QI
 * variants. See ref_ckring.c for what it measures and what it does not.
 */
#ifndef QIRING_BENCH_REF_CKRING_H
#define QIRING_BENCH_REF_CKRING_H

#include "variant.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct qr_variant qr_ref_ckring;

#ifdef __cplusplus
}
#endif

#endif /* QIRING_BENCH_REF_CKRING_H */
