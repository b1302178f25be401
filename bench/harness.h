/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The load harness: T submitter threads driving one variant on the device
 * model for a fixed time, in C. The demo and the Google Benchmark driver are
 * thin layers over qr_run_load().
 */
#ifndef QIRING_BENCH_HARNESS_H
#define QIRING_BENCH_HARNESS_H

#ifdef __cplusplus
#include <cstddef>
extern "C" {
#else
#include <stdbool.h>
#include <stddef.h>
#endif

/*
 * By-name entry point with plain types, for the Google Benchmark driver
 * (C++ cannot include the C11 port layer). One load of `seconds` on a fresh
 * ring and device model (lazy mode, 256 slots, 16-byte descriptors),
 * latencies timed (one submission in 16 on zero-cost devices, where a clock
 * read costs a third of a submission; every one otherwise).
 */
struct qr_bench_case {
	const char *variant;	/* locked, tbf, smmuv3, lockfree, legacy, ckring */
	const char *profile;	/* null, instant, hw, viommu */
	unsigned int threads;
	unsigned int count;
	double seconds;
};

struct qr_bench_result {
	unsigned long long submissions;
	unsigned long long latency_samples;
	double seconds;
	double subs_per_s;
	double ns_per_sub;
	double p50_ns, p99_ns, max_ns;
	double tail_writes_per_sub;
	double fault_reads_per_sub;
	double cas_retries_per_sub;
	double descs_per_sub;
	double device_bound;
	double efficiency;
	double cpu_share;
	double fairness;
	double max_batch;
	double max_write_ns;
	bool hung;
	int error;
};

/* 0; -ENOENT for an unknown variant or profile; -EINVAL if not created. */
int qr_bench_run(const struct qr_bench_case *c, struct qr_bench_result *r);

/* The profile's parameters as text (for the benchmark context). */
void qr_bench_profile_text(const char *profile, char *buf, size_t len);

#ifndef __cplusplus

#include "variant.h"

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
	bool latency;		/* time submissions (p50/p99) */
	u32 latency_every;	/* with latency: time one submission in N (0 = 1) */
};

struct qr_load_result {
	u64 submissions;
	double seconds;
	double subs_per_s;
	double ns_per_sub;	/* wall time x threads / submissions */
	double p50_ns, p99_ns;	/* per-submission latency (when timed) */
	double max_ns;		/* longest timed submission */
	u64 latency_samples;	/* submissions timed */
	double tail_writes_per_sub;
	double fault_reads_per_sub;
	double cas_retries_per_sub;
	double descs_per_sub;	/* average count + 1 (the wait) */
	double device_bound;	/* qr_device_bound() for this load, 0 = none */
	double efficiency;	/* subs_per_s / device_bound, 0 when unbounded */
	/*
	 * CPU time the process got over what its threads could use (wall x
	 * min(threads, online CPUs)). Every waiter spins, so below ~0.9 means
	 * something else on the machine took CPU during the run.
	 */
	double cpu_share;
	/* Fewest submissions by one thread over the mean per thread: 1 is
	 * fair, near 0 means a thread was starved. */
	double fairness;
	/* Bounded publication work, as the device sees it: the most
	 * submissions (wait descriptors) one tail write published, and the
	 * longest tail write (zero-latency profiles: not timed). */
	double max_batch;
	double max_write_ns;
	bool hung;		/* a bounded wait expired */
	int error;		/* first submit error other than a hang */
};

/* 0, or -EINVAL when the variant/device could not be created. */
int qr_run_load(const struct qr_load *l, struct qr_load_result *res);

/*
 * The null device: no latency anywhere, and a tail write executes what it
 * publishes before it returns (sync_exec), so a submitter's first poll
 * already sees its completion and nobody ever waits. What is left is the
 * ring alone (and the model's bookkeeping of the execution).
 */
extern const struct qr_dev_profile qr_bench_profile_null;

/* "null", or a profile of tests/lib/profiles.h; NULL if unknown. */
const struct qr_dev_profile *qr_bench_profile(const char *name);

/*
 * The most submissions per second the device model allows `threads`
 * synchronous submitters whose submissions carry descs_per_sub descriptors
 * each (count + the wait), from the model's cost rules; 0 when the profile
 * has no device cost (no bound). See the comment in harness.c and
 * docs/benchmarks.md for the formulas.
 */
double qr_device_bound(const struct qr_dev_profile *p, unsigned int threads,
		       double descs_per_sub);

#endif /* !__cplusplus */

#ifdef __cplusplus
}
#endif

#endif /* QIRING_BENCH_HARNESS_H */
