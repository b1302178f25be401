// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The qiring core behind the variant interface: allocation and the device
 * hook-up only; the algorithm is all in core/src/qiring.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "variant.h"

struct qr_vring {
	struct qiring ring;
	void *desc;
	u32 *status;
	struct qr_dev *dev;
	u64 timeout_ns;
};

static struct qr_vring *lf_create(const struct qr_vring_config *cfg)
{
	struct qiring_config rc = { 0 };
	struct qr_vring *v;
	u32 nstatus;

	if (!cfg || !cfg->dev || cfg->slots < QIRING_MIN_SLOTS ||
	    cfg->slots > QIRING_MAX_SLOTS || (cfg->slots & (cfg->slots - 1)) ||
	    (cfg->desc_size != 16 && cfg->desc_size != 32))
		return NULL;
	if (posix_memalign((void **)&v, 64, sizeof(*v)))
		return NULL;
	memset(v, 0, sizeof(*v));
	nstatus = qiring_status_words(cfg->slots);
	v->desc = aligned_alloc(4096, ((size_t)cfg->slots * cfg->desc_size + 4095) & ~(size_t)4095);
	v->status = aligned_alloc(64, ((nstatus * sizeof(*v->status)) + 63) & ~(size_t)63);
	if (!v->desc || !v->status)
		goto fail;
	memset(v->desc, 0, (size_t)cfg->slots * cfg->desc_size);
	v->dev = cfg->dev;

	rc.slots = cfg->slots;
	rc.desc_size = cfg->desc_size;
	rc.desc = v->desc;
	rc.status = v->status;
	rc.status_dma = (u64)(uintptr_t)v->status;
	rc.ops = &qr_dev_hw_ops;
	rc.hw = cfg->dev;
	/* Report at half the bound, give up (-ETIMEDOUT) at the bound. */
	rc.stall_ns = cfg->stall_ns ? cfg->stall_ns / 2 : 0;
	rc.stall_report = cfg->stall_report;
	rc.stall_arg = cfg->stall_arg;
	if (qiring_init(&v->ring, &rc))
		goto fail;
	v->timeout_ns = cfg->stall_ns;
	qr_dev_set_queue(cfg->dev, v->desc, cfg->slots, cfg->desc_size,
			 v->status, nstatus);
	return v;
fail:
	free(v->desc);
	free(v->status);
	free(v);
	return NULL;
}

static void lf_destroy(struct qr_vring *v)
{
	if (!v)
		return;
	free(v->desc);
	free(v->status);
	free(v);
}

static int lf_submit(struct qr_vring *v, const struct qiring_desc *desc,
		     unsigned int count, unsigned long options)
{
	if (v->timeout_ns)
		return qiring_submit_timeout(&v->ring, desc, count, options,
					     v->timeout_ns);
	return qiring_submit_sync(&v->ring, desc, count, options);
}

static unsigned int lf_reclaim(struct qr_vring *v)
{
	return qiring_reclaim(&v->ring);
}

static unsigned int lf_free_slots(struct qr_vring *v)
{
	return qiring_free_slots(&v->ring) + 1;	/* the gap too, as free_cnt */
}

static void lf_counters(struct qr_vring *v, struct qr_vcounters *c)
{
	struct qiring_stats s;
	struct qr_dev_counters d;

	qiring_get_stats(&v->ring, &s);
	qr_dev_get_counters(v->dev, &d);
	/* Every returned submission published exactly one wait that was not restarted. */
	c->submissions = s.submissions - s.restarts;
	c->tail_writes = d.tail_writes;
	c->fault_reads = d.fault_reads;
	c->restarts = s.restarts;
	c->cas_retries = s.cas_retries;
}

struct qiring *qr_vring_lockfree_core(struct qr_vring *v)
{
	return &v->ring;
}

const struct qr_variant qr_variant_lockfree = {
	.name = "lockfree",
	.create = lf_create,
	.destroy = lf_destroy,
	.submit = lf_submit,
	.reclaim = lf_reclaim,
	.free_slots = lf_free_slots,
	.counters = lf_counters,
};
