/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The explorer's VT-d queued-invalidation unit. It implements the register
 * API of tests/lib/devmodel.h (so the historical variants drive it
 * unchanged) and struct qiring_hw_ops (for the core), on the explorer's
 * scheduler:
 *
 *   - every register access (IQT write, IQH/IQT/FSTS read, FSTS clear) is
 *     a scheduling point of the calling thread and drains its store buffer;
 *     relax is a yield (sim_relax);
 *   - the device itself is an actor: one step executes the descriptor at
 *     IQH, strictly in order from IQH to IQT; a wait descriptor with SW
 *     writes its status data to its status address;
 *   - an invalid descriptor raises IQE and stops fetching; a device-TLB
 *     invalidation (type 0x8, or 0x3) may time out (the SIM_DEV_ALT step,
 *     while the ITE budget lasts): it and everything after it through the
 *     next wait are discarded, that wait is never written, IQH moves past
 *     it and ITE stops fetching; a wait may raise ICE (ICE budget);
 *   - an executed or discarded descriptor is overwritten with a poison
 *     pattern, so a tail that passes a slot nobody rewrote is caught when
 *     IQT moves over it (H2): IQT may only move over written descriptors,
 *     never backward, never past IQH from behind, and (when the embedder
 *     tells the frontier) never past the allocation frontier.
 *
 * Violations end the schedule through sim_fail().
 */
#ifndef QIRING_EXPLORE_SIMDEV_H
#define QIRING_EXPLORE_SIMDEV_H

#include "devmodel.h"
#include "sim.h"

/* Descriptor payloads the harness uses: submitter, submission, index. */
#define SD_PAYLOAD_MAGIC	0xc0de000000000000ull
#define SD_PAYLOAD(t, seq, i)	(SD_PAYLOAD_MAGIC | ((u64)(t) << 32) | \
				 ((u64)(seq) << 16) | (u64)(i))
#define SD_IS_PAYLOAD(q)	(((q) & 0xffff000000000000ull) == SD_PAYLOAD_MAGIC)
#define SD_THREAD(q)		((int)(((q) >> 32) & 0xff))
#define SD_SEQ(q)		((u32)(((q) >> 16) & 0xffff))
#define SD_INDEX(q)		((u32)((q) & 0xffff))
#define SD_TYPE_IOTLB		0x2ull
#define SD_TYPE_INVALID		0xfull	/* no such type: IQE */

/* The executed-descriptor poison. */
#define SD_POISON_QW0		0xdead00000000dea0ull	/* type 0: invalid */
#define SD_POISON_QW1		0xdeaddeaddeaddeadull

struct simdev_hooks {
	void *arg;
	/* IQT moved over pos (the descriptor there is now the hardware's) */
	void (*on_publish)(void *arg, u64 pos, const struct qiring_desc *d);
	/* executed (a wait: before its status write) */
	void (*on_exec)(void *arg, u64 pos, const struct qiring_desc *d);
	/* dropped by an ITE */
	void (*on_discard)(void *arg, u64 pos, const struct qiring_desc *d);
	/* an IQT write moved the tail from position old to new (after the
	 * on_publish calls for the positions between) */
	void (*on_tail)(void *arg, u64 old, u64 new_);
	/* allocation frontier: IQT may not pass it (NULL: not checked) */
	u64 (*frontier)(void *arg);
};

struct qr_dev *simdev_create(void);
void simdev_destroy(struct qr_dev *d);
/* Before each schedule: no queue, registers zero, fault budgets. */
void simdev_reset(struct qr_dev *d, u32 ite_budget, u32 ice_budget,
		  const struct simdev_hooks *hooks);

/* The device actor (sim_hooks.dev_enabled / dev_step). */
bool simdev_enabled(struct qr_dev *d, bool alt);
void simdev_step(struct qr_dev *d, bool alt);

/* State for the harness's checks (no scheduling point). */
u64 simdev_head_pos(const struct qr_dev *d);
u64 simdev_tail_pos(const struct qr_dev *d);
u32 simdev_fsts(const struct qr_dev *d);
u32 simdev_faults_raised(const struct qr_dev *d);	/* ITE + IQE so far */
u32 simdev_ites(const struct qr_dev *d);

/* Everything the device's future behaviour depends on (state cache). */
u64 simdev_hash(const struct qr_dev *d, u64 h);

/* Renders the device's step-log events (codes below SIMDEV_EV_END). */
enum {
	SIMDEV_EV_TAIL = 1,	/* a = old IQT, b = new IQT */
	SIMDEV_EV_HEAD,		/* a = IQH read */
	SIMDEV_EV_READ_TAIL,	/* a = IQT read */
	SIMDEV_EV_FAULT,	/* a = FSTS read */
	SIMDEV_EV_CLEAR,	/* a = bits, b = FSTS after */
	SIMDEV_EV_EXEC,		/* a = position, b = qw0, c = qw1 */
	SIMDEV_EV_IQE,		/* a = position, b = qw0, c = qw1 */
	SIMDEV_EV_ITE,		/* a = position, b = qw0, c = qw1 */
	SIMDEV_EV_DISCARD,	/* a = position, b = qw0, c = qw1 */
	SIMDEV_EV_ICE,		/* a = position */
	SIMDEV_EV_END,
};
void simdev_render(unsigned int code, u64 a, u64 b, u64 c, char *buf, size_t n);
void simdev_desc_str(u64 qw0, u64 qw1, char *buf, size_t n);

#endif /* QIRING_EXPLORE_SIMDEV_H */
