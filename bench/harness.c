// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/*
 * Latency histogram: log-linear, 32 sub-buckets per power of two (<= 3%
 * error), per thread, merged at the end. No allocation while measuring.
 */
#define SUB_BITS	5
#define NBUCKETS	(64 << SUB_BITS)

struct worker {
	pthread_t th;
	unsigned int id;
	struct qr_run *run;
	u64 submissions;
	u64 descs;
	int error;
	bool hung;
	u64 *hist;
} __attribute__((aligned(64)));

struct qr_run {
	const struct qr_load *l;
	struct qr_vring *ring;
	pthread_barrier_t start;
	_Atomic int stop;
};

static unsigned int bucket_of(u64 ns)
{
	unsigned int msb;

	if (ns < (1u << SUB_BITS))
		return (unsigned int)ns;
	msb = 63 - (unsigned int)__builtin_clzll(ns);
	return ((msb - SUB_BITS + 1) << SUB_BITS) |
	       (unsigned int)((ns >> (msb - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

static double bucket_mid(unsigned int b)
{
	unsigned int e = b >> SUB_BITS, m = b & ((1u << SUB_BITS) - 1);

	if (!e)
		return m;
	/* bucket b covers [(32 + m) << (e - 1), (33 + m) << (e - 1)) */
	return ((double)((1u << SUB_BITS) + m) + 0.5) * (double)(1ull << (e - 1));
}

static u32 draw_count(u64 *x)
{
	/* xorshift64: cheap, and the same sequence for every variant */
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (u32)(*x % 17);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct qr_load *l = w->run->l;
	struct qiring_desc d[17];
	u64 rng = 0x9e3779b97f4a7c15ull * (w->id + 1), t0 = 0;
	u32 c = l->count == QR_COUNT_MIXED ? 0 : l->count, i;
	int rc;

	for (i = 0; i < 17; i++) {
		d[i].qw0 = 0x2 | ((u64)w->id << 16);	/* IOTLB invalidation */
		d[i].qw1 = (u64)i << 12;
		d[i].qw2 = d[i].qw3 = 0;
	}
	pthread_barrier_wait(&w->run->start);
	while (!atomic_load_explicit(&w->run->stop, memory_order_relaxed)) {
		if (l->count == QR_COUNT_MIXED)
			c = draw_count(&rng);
		if (w->hist)
			t0 = qr_now_ns();
		rc = l->v->submit(w->run->ring, d, c, 0);
		if (w->hist)
			w->hist[bucket_of(qr_now_ns() - t0)]++;
		if (rc == -ETIMEDOUT) {
			w->hung = true;
			break;
		}
		if (rc && !w->error)
			w->error = rc;
		w->submissions++;
		w->descs += c + 1;
	}
	/* A hang freezes the ring for everyone: stop the others too. */
	atomic_store_explicit(&w->run->stop, 1, memory_order_relaxed);
	return NULL;
}

static double percentile(const u64 *hist, u64 total, double p)
{
	u64 want = (u64)((double)total * p), seen = 0;
	unsigned int b;

	for (b = 0; b < NBUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return bucket_mid(b);
	}
	return 0;
}

int qr_run_load(const struct qr_load *l, struct qr_load_result *res)
{
	struct qr_dev_config dc = { .mode = l->mode, .profile = l->profile };
	struct qr_vring_config vc = {
		.slots = l->slots ? l->slots : 256,
		.desc_size = l->desc_size ? l->desc_size : 16,
		.stall_ns = l->stall_ns ? l->stall_ns : 1000000000ull,
	};
	struct qr_run run = { .l = l };
	struct qr_vcounters c;
	struct worker *w;
	struct timespec ts = { .tv_sec = (time_t)(l->duration_ns / 1000000000u),
			       .tv_nsec = (long)(l->duration_ns % 1000000000u) };
	u64 *hist = NULL, t0, t1, descs = 0;
	unsigned int i, b;

	memset(res, 0, sizeof(*res));
	vc.dev = qr_dev_create(&dc);
	run.ring = vc.dev ? l->v->create(&vc) : NULL;
	w = calloc(l->threads, sizeof(*w));
	if (!run.ring || !w) {
		if (vc.dev)
			qr_dev_destroy(vc.dev);
		free(w);
		return -EINVAL;
	}
	if (l->latency)
		hist = calloc((size_t)l->threads * NBUCKETS, sizeof(u64));
	pthread_barrier_init(&run.start, NULL, l->threads + 1);
	for (i = 0; i < l->threads; i++) {
		w[i].id = i;
		w[i].run = &run;
		w[i].hist = hist ? hist + (size_t)i * NBUCKETS : NULL;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	pthread_barrier_wait(&run.start);
	t0 = qr_now_ns();
	/* The run length is a measurement interval, not synchronisation. */
	nanosleep(&ts, NULL);
	atomic_store_explicit(&run.stop, 1, memory_order_relaxed);
	for (i = 0; i < l->threads; i++)
		pthread_join(w[i].th, NULL);
	t1 = qr_now_ns();

	for (i = 0; i < l->threads; i++) {
		res->submissions += w[i].submissions;
		descs += w[i].descs;
		res->hung |= w[i].hung;
		if (!res->error)
			res->error = w[i].error;
		if (hist && i)
			for (b = 0; b < NBUCKETS; b++)
				hist[b] += w[i].hist[b];
	}
	l->v->counters(run.ring, &c);
	res->seconds = (double)(t1 - t0) / 1e9;
	if (res->submissions) {
		double n = (double)res->submissions;

		res->subs_per_s = n / res->seconds;
		res->ns_per_sub = (double)(t1 - t0) * l->threads / n;
		res->tail_writes_per_sub = (double)c.tail_writes / n;
		res->fault_reads_per_sub = (double)c.fault_reads / n;
		res->cas_retries_per_sub = (double)c.cas_retries / n;
		res->descs_per_sub = (double)descs / n;
		if (hist) {
			res->p50_ns = percentile(hist, res->submissions, 0.50);
			res->p99_ns = percentile(hist, res->submissions, 0.99);
		}
	}
	pthread_barrier_destroy(&run.start);
	/* Every worker has returned (hung ones through their bounded wait). */
	l->v->destroy(run.ring);
	qr_dev_destroy(vc.dev);
	free(hist);
	free(w);
	return 0;
}
