/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The VT-d queued-invalidation execution rules, written once and shared by
 * the userspace device model (devmodel.c) and the interleaving explorer's
 * device (tests/explore/simdev.c): fetch, validate, execute, status write,
 * fault raise (VT-d spec 6.5.2).
 *
 * vtd_step() executes the descriptor at IQH, or faults on it:
 *
 *  - invalid (type outside 1 .. 5, or 1 .. 9 with 32-byte descriptors;
 *    reserved type bits 11:9 set; a wait with neither SW nor IF): IQE is
 *    raised, IQER records the index and reason, IQH stays on it;
 *  - a device-TLB invalidation (types 0x3 and 0x8) the device decides times
 *    out: ITE is raised, it and everything after it through the next wait
 *    descriptor are discarded (that wait's status is never written) and
 *    IQH moves past them;
 *  - otherwise it executes; a wait descriptor with SW writes its 32-bit
 *    status data to its status address, and may raise ICE.
 *
 * Each device decides which invalidations time out and which waits raise
 * ICE, how a status write reaches memory, and what it records of each
 * event; struct vtd_env carries those choices.
 */
#ifndef QIRING_TESTS_VTD_H
#define QIRING_TESTS_VTD_H

#include <qiring/qiring.h>

/* IQER reasons (low bits); the faulting index goes in bits 63:32. */
#define VTD_IQER_BAD_TYPE	1u
#define VTD_IQER_RESERVED	2u
#define VTD_IQER_BAD_WAIT	3u

#define VTD_IWD_IF		0x10ull	/* wait descriptor: interrupt flag */

/* IQA: where the queue and the status words are. */
struct vtd_queue {
	u8 *desc;
	u32 slots;		/* power of two */
	u32 desc_size;		/* 16 or 32 */
	u32 *status;		/* the only memory a status write may hit */
	u32 nstatus;
};

enum vtd_event {
	VTD_EV_EXEC,		/* executed (a wait: before its status write) */
	VTD_EV_IQE,		/* invalid: IQE raised, fetching stops */
	VTD_EV_ITE,		/* a device-TLB invalidation timed out */
	VTD_EV_DISCARD,		/* dropped by that ITE (one per descriptor) */
	VTD_EV_ICE,		/* a wait raised ICE (after its status write) */
};

struct vtd_env {
	void *arg;
	/* A fetched descriptor; false stops the unit here (NULL: accept). */
	bool (*fetched)(void *arg, u32 idx, const struct qiring_desc *x);
	/* Does this device-TLB invalidation time out? (NULL: never) */
	bool (*times_out)(void *arg, u32 idx, const struct qiring_desc *x);
	/* Does this wait raise ICE? (NULL: never) */
	bool (*raises_ice)(void *arg, u32 idx, const struct qiring_desc *x);
	/* The status write, a DMA write: the memory model's release store. */
	void (*status_write)(void *arg, u32 *addr, u32 v);
	/* A wait whose status address is outside the status words (a bug). */
	void (*bad_status)(void *arg, u64 addr);
	/* Every event, in execution order (NULL: none recorded). */
	void (*event)(void *arg, enum vtd_event ev, u32 idx,
		      const struct qiring_desc *x);
};

struct vtd_result {
	u32 advanced;		/* slots IQH moved forward */
	u32 fsts;		/* QIRING_FSTS_* bits raised */
	u64 iqer;		/* with IQE: (index << 32) | reason */
	bool executed;		/* a descriptor executed */
	bool wait;		/* ...and it was a wait descriptor */
	bool stopped;		/* env->fetched refused it */
};

void vtd_fetch(const struct vtd_queue *q, u32 idx, struct qiring_desc *out);
/* 0 when valid, else a VTD_IQER_* reason. */
u32 vtd_validate(const struct vtd_queue *q, const struct qiring_desc *x);

static inline bool vtd_is_wait(const struct qiring_desc *x)
{
	return (x->qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD;
}

static inline bool vtd_is_devtlb(const struct qiring_desc *x)
{
	u64 type = x->qw0 & QIRING_TYPE_MASK;

	return type == QIRING_TYPE_DIOTLB || type == QIRING_TYPE_DEIOTLB;
}

/*
 * One step of a unit that is not stopped, with IQH = head != IQT = tail
 * (slot indices). The caller moves IQH by res->advanced and raises
 * res->fsts.
 */
void vtd_step(const struct vtd_queue *q, u32 head, u32 tail,
	      const struct vtd_env *env, struct vtd_result *res);

#endif /* QIRING_TESTS_VTD_H */
