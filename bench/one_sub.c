// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qiring-one-sub: uncontended submissions, one thread, for instruction
 * counting under callgrind (scripts/callgrind.sh):
 *
 *   valgrind --tool=callgrind --collect-atstart=no \
 *            --toggle-collect=qr_measure qiring-one-sub VARIANT PROFILE N
 *
 * submits N warm-up submissions of COUNT (default 1) descriptors in
 * qr_warmup(), then N more inside qr_measure(), the only function whose
 * instructions are collected.
 * Ir / N is the cost of one submission, the device model's share included
 * (callgrind.sh reports that share separately).
 *
 * usage: qiring-one-sub VARIANT PROFILE [N] [COUNT]
 *        VARIANT: locked, tbf, smmuv3, lockfree, ckring; PROFILE: null, instant, ...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref_ckring.h"

/*
 * Real, separate functions, each with its own loop: not inlined, not folded
 * into one (GCC's noipa stops identical code folding), and no tail call
 * into shared code, which callgrind's toggle would follow for both.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define QR_NOINLINE __attribute__((__noinline__, __noipa__))
#else
#define QR_NOINLINE __attribute__((__noinline__))
#endif

QR_NOINLINE int qr_warmup(const struct qr_variant *v, struct qr_vring *r,
			  const struct qiring_desc *d, unsigned int count,
			  unsigned long n);
QR_NOINLINE int qr_measure(const struct qr_variant *v, struct qr_vring *r,
			   const struct qiring_desc *d, unsigned int count,
			   unsigned long n);

QR_NOINLINE int qr_warmup(const struct qr_variant *v, struct qr_vring *r,
			  const struct qiring_desc *d, unsigned int count,
			  unsigned long n)
{
	unsigned long i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = v->submit(r, d, count, 0);
	__asm__ __volatile__("" : : : "memory");
	return rc;
}

/* Callgrind collects inside this function only. */
QR_NOINLINE int qr_measure(const struct qr_variant *v, struct qr_vring *r,
			   const struct qiring_desc *d, unsigned int count,
			   unsigned long n)
{
	unsigned long i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = v->submit(r, d, count, 0);
	__asm__ __volatile__("" : : : "memory");
	return rc;
}

int main(int argc, char **argv)
{
	struct qiring_desc d[16];
	const struct qr_variant *v;
	const struct qr_dev_profile *p;
	struct qr_dev_config dc = { .mode = QR_DEV_LAZY };
	struct qr_vring_config vc = { .slots = 256, .desc_size = 16,
				      .stall_ns = 1000000000ull };
	struct qr_vcounters c;
	struct qr_vring *r;
	unsigned long n;
	unsigned int count, i;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s VARIANT PROFILE [N] [COUNT]\n", argv[0]);
		return 2;
	}
	v = strcmp(argv[1], "ckring") ? qr_variant_find(argv[1]) : &qr_ref_ckring;
	p = qr_bench_profile(argv[2]);
	n = argc > 3 ? strtoul(argv[3], NULL, 0) : 100000;
	count = argc > 4 ? (unsigned int)atoi(argv[4]) : 1;
	if (!v || !p || !n || count > 16) {
		fprintf(stderr, "unknown variant or profile, or bad N/COUNT\n");
		return 2;
	}
	for (i = 0; i < 16; i++) {
		d[i].qw0 = 0x2;		/* IOTLB invalidation */
		d[i].qw1 = (u64)i << 12;
		d[i].qw2 = d[i].qw3 = 0;
	}
	dc.profile = *p;
	vc.dev = qr_dev_create(&dc);
	r = vc.dev ? v->create(&vc) : NULL;
	if (!r) {
		fprintf(stderr, "cannot create %s\n", v->name);
		return 1;
	}
	rc = qr_warmup(v, r, d, count, n);
	if (!rc)
		rc = qr_measure(v, r, d, count, n);
	v->counters(r, &c);
	printf("%s %s count %u: %lu submissions, rc %d, tail writes %llu, "
	       "fault reads %llu\n", v->name, argv[2], count, 2 * n, rc,
	       (unsigned long long)c.tail_writes,
	       (unsigned long long)c.fault_reads);
	v->destroy(r);
	qr_dev_destroy(vc.dev);
	return rc ? 1 : 0;
}
