/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The load harness: T submitter threads driving one variant on the device
 * model for a fixed time, in C. The demo and the Google Benchmark driver are
 * thin layers over qr_run_load().
 */
#ifndef QIRING_BENCH_HARNESS_H
#define QIRING_BENCH_HARNESS_H

#include "variant.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QR_COUNT_MIXED	(~0u)	/* each submission draws count from 0..16 */

struct qr_load {
	const struct qr_variant *v;
	struct qr_dev_profile profile;
	enum qr_dev_mode mode;	/* QR_DEV_LAZY unless measuring the device thread */
	unsigned int threads;
	unsigned int count;	/* descriptors per submission, or QR_COUNT_MIXED */
	u64 duration_ns;
	u32 slots;		/* 0 = 256 */
	u32 desc_size;		/* 0 = 16 */
	u64 stall_ns;		/* bounded waits (0 = 1 s): a hang ends the run */
	bool latency;		/* time every submission (p50/p99) */
};

struct qr_load_result {
	u64 submissions;
	double seconds;
	double subs_per_s;
	double ns_per_sub;	/* wall time x threads / submissions */
	double p50_ns, p99_ns;	/* per-submission latency (when timed) */
	double tail_writes_per_sub;
	double fault_reads_per_sub;
	double cas_retries_per_sub;
	double descs_per_sub;	/* average count + 1 (the wait) */
	bool hung;		/* a bounded wait expired */
	int error;		/* first submit error other than a hang */
};

/* 0, or -EINVAL when the variant/device could not be created. */
int qr_run_load(const struct qr_load *l, struct qr_load_result *res);

#ifdef __cplusplus
}
#endif

#endif /* QIRING_BENCH_HARNESS_H */
