// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * tbf: v1 of the 2024 fix ("iommu/vt-d: Fix potential soft lockup due to
 * reclaim", Sanjay K Kumar and Jacob Pan; the seed thread reviews it). A
 * new state, TO_BE_FREED, is written only by an owner, into all of its
 * slots (the wait slot included) once its poll loop has ended;
 * reclaim_free_desc() frees only TO_BE_FREED slots. DONE and ABORT are no
 * longer reclaimable, so nobody but the owner can consume its completion:
 * the lockup of legacy is gone.
 *
 * Review (Kevin Tian) asked for no new state: let the owner write FREE and
 * have reclaim stop at free_head instead, which became the merged fix
 * (locked). Jacob Pan's v1 kept the extra state because reclaim, unaware
 * of owners, could not otherwise tell "freed by its owner" from "never
 * handed out".
 */
#include "variant_hist.h"

static void tbf_owner_done(struct qr_vring *r, u32 index, u32 count)
{
	u32 i;

	for (i = 0; i <= count; i++)
		qr_hist_set_status(r, (index + i) & r->mask, QR_QI_TO_BE_FREED);
}

static u32 tbf_reclaim(struct qr_vring *r)
{
	u32 n = 0;

	while (qr_hist_status(r, r->free_tail) == QR_QI_TO_BE_FREED) {
		qr_hist_set_status(r, r->free_tail, QR_QI_FREE);
		r->free_tail = (r->free_tail + 1) & r->mask;
		r->free_cnt++;
		n++;
	}
	return n;
}

static const struct qr_hist_ops tbf_ops = {
	.owner_done = tbf_owner_done,
	.reclaim = tbf_reclaim,
};

static struct qr_vring *tbf_create(const struct qr_vring_config *cfg)
{
	return qr_hist_create(cfg, &tbf_ops);
}

const struct qr_variant qr_variant_tbf = {
	.name = "tbf",
	.create = tbf_create,
	.destroy = qr_hist_destroy,
	.submit = qr_hist_submit,
	.reclaim = qr_hist_reclaim,
	.free_slots = qr_hist_free_slots,
	.counters = qr_hist_counters,
};
