/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One interface, five submission algorithms, all driving the same device
 * model (devmodel.h):
 *
 *   legacy    Linux before mid-2024: reclaim turns DONE/ABORT into FREE
 *             (has the seed soft lockup: run it with a stall bound);
 *   tbf       the v1 fix: owners mark TO_BE_FREED, reclaim frees those;
 *   locked    the merged fix (Linux 6.1.y, mainline): owners free their own
 *             slots, reclaim only advances; ck MCS lock for q_lock;
 *   smmuv3    Linux's ARM SMMUv3 command queue (arm_smmu_cmdq_issue_cmdlist):
 *             cmpxchg on a prod/cons word, an owner that publishes what
 *             others gathered behind it, a valid bitmap, a shared/exclusive
 *             lock for the consumer index; adapted to VT-d;
 *   lockfree  the qiring core.
 *
 * The three historical variants are faithful renderings of dmar.c: the whole
 * submission under q_lock, which the poll loop drops for one cpu_relax() per
 * iteration, reading FSTS (qi_check_fault) once per iteration. smmuv3 is a
 * faithful rendering of arm-smmu-v3.c; variant_smmuv3.c says what it adapts.
 */
#ifndef QIRING_TESTS_VARIANT_H
#define QIRING_TESTS_VARIANT_H

#include <stdio.h>

#include "devmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qr_vring;

struct qr_vring_config {
	u32 slots;		/* power of two */
	u32 desc_size;		/* 16 or 32 */
	struct qr_dev *dev;	/* the variant calls qr_dev_set_queue() on it */
	/* Bounded waits: a poll loop (completion or free space) that waits
	 * longer than this reports the blocker through stall_report (or
	 * stderr) and returns -ETIMEDOUT. 0 = wait forever (never in tests). */
	u64 stall_ns;
	void (*stall_report)(void *arg, const struct qiring_stall *s);
	void *stall_arg;
};

/*
 * A stall report for a variant's bounded wait: to the config's
 * stall_report when set, else one line on stderr, "NAME: reservation (or
 * completion wait) stalled AGE ns: WAITER waits on slot S (BLOCKER, why,
 * FSTS x)", the waiter's and the blocker's positions printed with pos_fmt
 * ("position %llu"; "prod %#llx" for a producer word that carries a wrap
 * bit).
 */
static inline void
qr_vring_report_stall(void (*report)(void *arg, const struct qiring_stall *s),
		      void *arg, const char *name, const char *pos_fmt,
		      const struct qiring_stall *s)
{
	static const char *const why[] = {
		[QIRING_BLOCKER_OWNER_WRITING] = "owner writing",
		[QIRING_BLOCKER_DEVICE] = "device",
		[QIRING_BLOCKER_OWNER_RELEASE] = "owner release",
		[QIRING_BLOCKER_FAULT] = "fault",
	};
	char waiter[32], blocker[32];

	if (report) {
		report(arg, s);
		return;
	}
	snprintf(waiter, sizeof(waiter), pos_fmt, (unsigned long long)s->waiter_seq);
	snprintf(blocker, sizeof(blocker), pos_fmt, (unsigned long long)s->blocker_seq);
	fprintf(stderr, "%s: %s stalled %llu ns: %s waits on slot %u (%s, %s, FSTS %#x)\n",
		name, s->reserving ? "reservation" : "completion wait",
		(unsigned long long)s->age_ns, waiter, s->blocker_slot, blocker,
		why[s->blocker], s->fault);
}

struct qr_vcounters {
	u64 submissions;	/* submit calls that returned */
	u64 tail_writes;	/* from the device model */
	u64 fault_reads;	/* from the device model (FSTS reads) */
	u64 restarts;		/* ITE-abort restarts */
	u64 cas_retries;	/* lockfree and smmuv3; 0 for locked variants */
};

struct qr_variant {
	const char *name;
	struct qr_vring *(*create)(const struct qr_vring_config *cfg);
	void (*destroy)(struct qr_vring *v);
	/* Linux qi_submit_sync() contract: 0, -EINVAL (IQE on one of these
	 * descriptors, or bad arguments), -ETIMEDOUT (bounded wait expired). */
	int (*submit)(struct qr_vring *v, const struct qiring_desc *desc,
		      unsigned int count, unsigned long options);
	/* The variant's reclaim, run as its submitters run it (under its lock). */
	unsigned int (*reclaim)(struct qr_vring *v);
	/* Free slots, counting the one-slot gap, as Linux's free_cnt: an
	 * empty ring reports slots (qiring_free_slots() + 1 for the core,
	 * which counts what the largest reservation could take). */
	unsigned int (*free_slots)(struct qr_vring *v);
	void (*counters)(struct qr_vring *v, struct qr_vcounters *c);
};

extern const struct qr_variant qr_variant_legacy;
extern const struct qr_variant qr_variant_tbf;
extern const struct qr_variant qr_variant_locked;
extern const struct qr_variant qr_variant_smmuv3;
extern const struct qr_variant qr_variant_lockfree;

/* NULL-terminated list, in the order above; lookup by name. */
extern const struct qr_variant *const qr_variants[];
const struct qr_variant *qr_variant_find(const char *name);

/* The lockfree variant's core ring, for tests that use the split API. */
struct qiring *qr_vring_lockfree_core(struct qr_vring *v);

#ifdef __cplusplus
}
#endif

#endif /* QIRING_TESTS_VARIANT_H */
