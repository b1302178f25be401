// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "profiles.h"
#include "ref_ckring.h"

const struct qr_dev_profile qr_bench_profile_null = { .sync_exec = true };

const struct qr_dev_profile *qr_bench_profile(const char *name)
{
	if (!strcmp(name, "null"))
		return &qr_bench_profile_null;
	return qr_profile_find(name);
}

/*
 * The device's ceiling, from the cost rules of tests/lib/devmodel.c, with
 * n = descs_per_sub descriptors per submission and T = threads:
 *
 * Engine (lazy and thread modes; the hw profile). A tail write costs the
 * writer mmio_write_ns. If it finds the engine idle, the engine starts
 * doorbell_ns after the write and then takes desc_ns per descriptor; if
 * the engine is still busy with earlier descriptors, new ones follow at
 * desc_ns each with no doorbell cost.
 *   T == 1: a synchronous submitter always finds the engine idle:
 *           B = 1 / (mmio_write_ns + doorbell_ns + n * desc_ns)
 *   T >= 2: at best the engine never goes idle (every doorbell hidden
 *           behind earlier work):  B = 1 / (n * desc_ns)
 *
 * Trapping tail write (sync_exec; the viommu profile). The write traps for
 * mmio_write_ns, then runs every published descriptor at desc_ns each
 * before it returns; writes are serialized. A synchronous submitter can
 * share a write only with those that marked their submissions while the
 * previous write was in flight: in the steady state T/2 submissions ride
 * each write (one half waits in the trap while the other half gathers), so
 * with k = max(1, T/2) the pipeline bound is
 *           B = k / (mmio_write_ns + k * n * desc_ns)
 *   (one submission per write, as under a lock: k = 1).
 *
 * MMIO reads (FSTS, IQH) are CPU costs of the polling algorithm, not
 * device costs, and are left out. Zero-cost profiles have no bound (0).
 */
double qr_device_bound(const struct qr_dev_profile *p, unsigned int threads,
		       double descs_per_sub)
{
	double n = descs_per_sub, t = threads ? threads : 1, ns;

	if (p->sync_exec) {
		double k = t >= 2 ? t / 2 : 1;

		ns = (double)p->mmio_write_ns + k * n * (double)p->desc_ns;
		return ns > 0 ? 1e9 * k / ns : 0;
	}
	if (threads <= 1)
		ns = (double)(p->mmio_write_ns + p->doorbell_ns) +
		     n * (double)p->desc_ns;
	else
		ns = n * (double)p->desc_ns;
	return ns > 0 ? 1e9 / ns : 0;
}

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
	u64 timed;
	u64 max_ns;
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
	u64 rng = 0x9e3779b97f4a7c15ull * (w->id + 1), t0 = 0, dt;
	u32 c = l->count == QR_COUNT_MIXED ? 0 : l->count, i;
	u32 every = l->latency_every ? l->latency_every : 1, k = 0;
	bool timed = false;
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
		/* One submission in `every` is timed: a clock read costs about
		 * as much as a submission on a zero-latency device. */
		if (w->hist && ++k >= every) {
			k = 0;
			timed = true;
			t0 = ktime_get_ns();
		}
		rc = l->v->submit(w->run->ring, d, c, 0);
		if (timed) {
			dt = ktime_get_ns() - t0;
			w->hist[bucket_of(dt)]++;
			w->timed++;
			if (dt > w->max_ns)
				w->max_ns = dt;
			timed = false;
		}
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

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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
	struct qr_dev_counters devc;
	struct worker *w;
	struct timespec ts = { .tv_sec = (time_t)(l->duration_ns / 1000000000u),
			       .tv_nsec = (long)(l->duration_ns % 1000000000u) };
	u64 *hist = NULL, t0, t1, descs = 0, timed = 0, fewest = ~0ull;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double cpu0, cpu1;
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
	cpu0 = cpu_seconds();
	t0 = ktime_get_ns();
	/* The run length is a measurement interval, not synchronisation. */
	nanosleep(&ts, NULL);
	atomic_store_explicit(&run.stop, 1, memory_order_relaxed);
	for (i = 0; i < l->threads; i++)
		pthread_join(w[i].th, NULL);
	t1 = ktime_get_ns();
	cpu1 = cpu_seconds();

	for (i = 0; i < l->threads; i++) {
		res->submissions += w[i].submissions;
		if (w[i].submissions < fewest)
			fewest = w[i].submissions;
		descs += w[i].descs;
		res->hung |= w[i].hung;
		timed += w[i].timed;
		if ((double)w[i].max_ns > res->max_ns)
			res->max_ns = (double)w[i].max_ns;
		if (!res->error)
			res->error = w[i].error;
		if (hist && i)
			for (b = 0; b < NBUCKETS; b++)
				hist[b] += w[i].hist[b];
	}
	l->v->counters(run.ring, &c);
	qr_dev_get_counters(vc.dev, &devc);
	res->max_batch = (double)devc.max_batch;
	res->max_write_ns = (double)devc.max_tail_write_ns;
	res->seconds = (double)(t1 - t0) / 1e9;
	if (ncpu < 1)
		ncpu = 1;
	res->cpu_share = (cpu1 - cpu0) /
			 (res->seconds * (double)(l->threads < ncpu ? l->threads : ncpu));
	if (res->submissions) {
		double n = (double)res->submissions;

		res->subs_per_s = n / res->seconds;
		res->ns_per_sub = (double)(t1 - t0) * l->threads / n;
		res->tail_writes_per_sub = (double)c.tail_writes / n;
		res->fault_reads_per_sub = (double)c.fault_reads / n;
		res->cas_retries_per_sub = (double)c.cas_retries / n;
		res->descs_per_sub = (double)descs / n;
		res->fairness = (double)fewest * l->threads / n;
		if (hist && timed) {
			res->latency_samples = timed;
			res->p50_ns = percentile(hist, timed, 0.50);
			res->p99_ns = percentile(hist, timed, 0.99);
		}
		res->device_bound = qr_device_bound(&l->profile, l->threads,
						    res->descs_per_sub);
		if (res->device_bound > 0)
			res->efficiency = res->subs_per_s / res->device_bound;
	}
	pthread_barrier_destroy(&run.start);
	/* Every worker has returned (hung ones through their bounded wait). */
	l->v->destroy(run.ring);
	qr_dev_destroy(vc.dev);
	free(hist);
	free(w);
	return 0;
}

int qr_bench_run(const struct qr_bench_case *c, struct qr_bench_result *r)
{
	const struct qr_dev_profile *p = qr_bench_profile(c->profile);
	const struct qr_variant *v = strcmp(c->variant, "ckring") ?
				     qr_variant_find(c->variant) : &qr_ref_ckring;
	struct qr_load l = {
		.v = v, .mode = QR_DEV_LAZY, .threads = c->threads,
		.count = c->count, .duration_ns = (u64)(c->seconds * 1e9),
		.latency = true,
	};
	struct qr_load_result res;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!v || !p)
		return -ENOENT;
	l.profile = *p;
	if (!p->mmio_read_ns && !p->mmio_write_ns && !p->doorbell_ns &&
	    !p->desc_ns)
		l.latency_every = 16;
	rc = qr_run_load(&l, &res);
	if (rc)
		return rc;
	r->submissions = res.submissions;
	r->latency_samples = res.latency_samples;
	r->seconds = res.seconds;
	r->subs_per_s = res.subs_per_s;
	r->ns_per_sub = res.ns_per_sub;
	r->p50_ns = res.p50_ns;
	r->p99_ns = res.p99_ns;
	r->max_ns = res.max_ns;
	r->tail_writes_per_sub = res.tail_writes_per_sub;
	r->fault_reads_per_sub = res.fault_reads_per_sub;
	r->cas_retries_per_sub = res.cas_retries_per_sub;
	r->descs_per_sub = res.descs_per_sub;
	r->device_bound = res.device_bound;
	r->efficiency = res.efficiency;
	r->cpu_share = res.cpu_share;
	r->fairness = res.fairness;
	r->max_batch = res.max_batch;
	r->max_write_ns = res.max_write_ns;
	r->hung = res.hung;
	r->error = res.error;
	return 0;
}

void qr_bench_profile_text(const char *profile, char *buf, size_t len)
{
	const struct qr_dev_profile *p = qr_bench_profile(profile);

	if (!p) {
		snprintf(buf, len, "unknown");
		return;
	}
	snprintf(buf, len, "mmio_read %llu ns, mmio_write %llu ns, "
		 "doorbell %llu ns, desc %llu ns%s",
		 (unsigned long long)p->mmio_read_ns,
		 (unsigned long long)p->mmio_write_ns,
		 (unsigned long long)p->doorbell_ns,
		 (unsigned long long)p->desc_ns,
		 p->sync_exec ? ", executed inside the tail write" : "");
}
