/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Userspace model of a VT-d queued-invalidation unit.
 *
 * Registers: IQA (qr_dev_set_queue), IQH, IQT, FSTS (IQE/ICE/ITE), IQER.
 * The model fetches and executes descriptors strictly in ring order from IQH
 * to IQT, by the VT-d rules in vtd.c (shared with the explorer's device). A
 * wait descriptor with SW set writes its 32-bit status data to its status
 * address with a release store, as a DMA write is seen by a CPU (twice,
 * status_twice_ns apart, when the profile asks for QEMU's memcpy()).
 * IQT is a C11 atomic: the writer's store is release, the model's load is
 * acquire, so ThreadSanitizer sees the descriptor hand-off (H10).
 *
 * Three ways to run:
 *   QR_DEV_THREAD  its own thread executes, honouring latencies;
 *   QR_DEV_LAZY    whoever calls relax / read_head / read_fault advances it
 *                  up to "now" (many submitters on few cores);
 *   QR_DEV_MANUAL  nothing executes until qr_dev_run() (forced schedules).
 * In every mode, profile.sync_exec makes a tail write execute everything
 * published inside the write, as QEMU's emulated unit does.
 */
#ifndef QIRING_TESTS_DEVMODEL_H
#define QIRING_TESTS_DEVMODEL_H

#include <linux/ktime.h>
#include <linux/processor.h>
#include <qiring/qiring.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qr_dev;

/* Latencies, in nanoseconds, all busy-waited (never slept). */
struct qr_dev_profile {
	u64 mmio_read_ns;	/* charged to the CPU that reads IQH / FSTS */
	u64 mmio_write_ns;	/* charged to the CPU that writes IQT or FSTS */
	u64 doorbell_ns;	/* from a tail write to fetch start, when idle */
	u64 desc_ns;		/* execution time per descriptor */
	bool sync_exec;		/* execute inside the tail write (vIOMMU/QEMU) */
	/*
	 * Nonzero: the status DWORD is stored twice, this many ns apart, as
	 * QEMU's emulated unit does (its memcpy() of 4 bytes is two stores of
	 * the same value; a descheduled vCPU thread can sit between them).
	 */
	u64 status_twice_ns;
};

enum qr_dev_mode { QR_DEV_THREAD, QR_DEV_LAZY, QR_DEV_MANUAL };

/* What on_exec reports, in execution order. */
enum qr_dev_event_kind {
	QR_DEV_EXEC,		/* descriptor executed (wait: status written) */
	QR_DEV_IQE,		/* invalid descriptor at IQH: IQE raised, fetching stopped */
	QR_DEV_ITE,		/* device-TLB invalidation timed out: ITE raised */
	QR_DEV_DISCARD,		/* fetched but discarded by an ITE (waits: aborted) */
};

struct qr_dev_event {
	enum qr_dev_event_kind kind;
	u32 slot;		/* ring index */
	u64 order;		/* 0, 1, 2, ... over all events of this device */
	struct qiring_desc desc;	/* qw2/qw3 are 0 on 16-byte rings */
};

struct qr_dev_config {
	enum qr_dev_mode mode;
	struct qr_dev_profile profile;
	/* Fault injection. A rate of 1/N means: each eligible descriptor
	 * faults with probability 1/N (0 = never). ITE is eligible on
	 * device-TLB descriptors (types 0x3 and 0x8) only. */
	u64 ite_one_in;
	u32 ite_burst;		/* after a random ITE, the next ite_burst
				 * eligible descriptors time out too */
	u64 ice_one_in;		/* eligible: wait descriptors; still completes */
	u64 seed;		/* xorshift seed for injection */
	/* Called for every event, from the context executing the device. */
	void (*on_exec)(void *arg, const struct qr_dev_event *ev);
	void *on_exec_arg;
	/* Called first thing in qr_dev_relax(): every variant's poll loop
	 * passes there once per iteration, so a test can hold a thread at
	 * exactly that point (forced schedules). */
	void (*on_relax)(void *arg);
	void *on_relax_arg;
};

struct qr_dev_counters {
	u64 tail_writes;	/* IQT writes */
	u64 head_reads;		/* IQH reads */
	u64 fault_reads;	/* FSTS reads */
	u64 fault_clears;	/* FSTS writes */
	u64 executed;		/* descriptors executed (QR_DEV_EXEC) */
	u64 waits_written;	/* status writes */
	u64 iqe, ite, ice;	/* faults raised */
	u64 aborted_waits;	/* waits discarded by ITE */
	u64 bad_status_addr;	/* status address outside registered memory: a bug */
	u64 max_batch;		/* the most wait descriptors one tail write published */
	u64 max_tail_write_ns;	/* the longest tail write, trap and in-trap execution
				 * included (profiles with latencies only) */
};

struct qr_dev *qr_dev_create(const struct qr_dev_config *cfg);
void qr_dev_destroy(struct qr_dev *dev);	/* stops the thread, if any */

/*
 * IQA: where the queue is. Resets IQH = IQT = 0 and clears FSTS. status/
 * nstatus is the only memory a status write may hit (bad_status_addr
 * counts the others, which are not written).
 */
void qr_dev_set_queue(struct qr_dev *dev, void *desc, u32 slots, u32 desc_size,
		      u32 *status, u32 nstatus);

/* The unit's registers, as struct qiring_hw_ops with hw = the qr_dev. */
extern const struct qiring_hw_ops qr_dev_hw_ops;
void qr_dev_write_tail(void *dev, u32 index);
u32 qr_dev_read_head(void *dev);
u32 qr_dev_read_fault(void *dev);
void qr_dev_clear_fault(void *dev, u32 bits);
void qr_dev_relax(void *dev);
u32 qr_dev_read_tail(struct qr_dev *dev);	/* IQT, for tests (not counted) */
u64 qr_dev_read_iqer(struct qr_dev *dev);

/* Execute everything executable now, ignoring latencies (any mode). */
void qr_dev_run(struct qr_dev *dev);
/* Execute at most n descriptors (QR_DEV_MANUAL), returns how many. */
u32 qr_dev_step(struct qr_dev *dev, u32 n);

/* One-shot injections at slot index `slot`: */
void qr_dev_inject_ite_at(struct qr_dev *dev, u32 slot);	/* the next device-TLB
								 * invalidation executed
								 * there times out (ITE) */
void qr_dev_inject_ice_at(struct qr_dev *dev, u32 slot);	/* the next wait executed
								 * there raises ICE */

/* Change the profile between runs (benchmarks). */
void qr_dev_set_profile(struct qr_dev *dev, const struct qr_dev_profile *p);

void qr_dev_get_counters(struct qr_dev *dev, struct qr_dev_counters *c);

/* Spin for ns nanoseconds (the model's notion of a latency). */
void qr_dev_spin_ns(u64 ns);

#ifdef __cplusplus
}
#endif

#endif /* QIRING_TESTS_DEVMODEL_H */
