/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Device profiles shared by the demo, the benchmarks and the tests.
 *
 * instant   the ring alone: nothing ever waits on the device;
 * hw        hardware-like: a doorbell takes ~2 us to start the engine, each
 *           descriptor ~300 ns (Linux's dmar_perf_latency puts most
 *           invalidations between 0.1 and 10 us); an uncached MMIO read
 *           (FSTS, IQH) costs the CPU ~300 ns, a posted write ~100 ns;
 *  viommu   vIOMMU-like: every IQT write and FSTS read traps to the VMM
 *           (tens of us / several us), which executes the queue inside the
 *           trap, as QEMU's emulated unit does.
 */
#ifndef QIRING_TESTS_PROFILES_H
#define QIRING_TESTS_PROFILES_H

#include <string.h>

#include "devmodel.h"

static const struct qr_dev_profile qr_profile_instant = { 0 };

static const struct qr_dev_profile qr_profile_hw = {
	.mmio_read_ns = 300,
	.mmio_write_ns = 100,
	.doorbell_ns = 2000,
	.desc_ns = 300,
};

static const struct qr_dev_profile qr_profile_viommu = {
	.mmio_read_ns = 5000,
	.mmio_write_ns = 20000,
	.desc_ns = 200,
	.sync_exec = true,
};

static inline const struct qr_dev_profile *qr_profile_find(const char *name)
{
	if (!strcmp(name, "instant"))
		return &qr_profile_instant;
	if (!strcmp(name, "hw"))
		return &qr_profile_hw;
	if (!strcmp(name, "viommu"))
		return &qr_profile_viommu;
	return NULL;
}

#endif /* QIRING_TESTS_PROFILES_H */
