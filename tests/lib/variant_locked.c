// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * locked: the merged 2024 fix (v2, "iommu/vt-d: Fix potential lockup if
 * qi_submit_sync called with 0 count", Sanjay K Kumar and Jacob Pan, after
 * Kevin Tian's review in the seed thread), as Linux 6.1.y stable and
 * mainline run it. The owner, once its poll loop has ended, sets all of its
 * slots (the wait slot included) FREE; reclaim_free_desc() changes no state
 * at all, it only advances free_tail over FREE slots and must stop at
 * free_head, past which slots read FREE because they were never handed out.
 *
 * Only an owner (and the ITE path, on the hardware's behalf) changes an
 * owner's slots, so every owner sees its own DONE or ABORT. Slots freed by
 * a fast finisher behind a slow one stay unreclaimed until the slow one
 * frees and reclaims: head-of-line blocking, inherent in a FIFO ring.
 */
#include "variant_hist.h"

static void locked_owner_done(struct qr_vring *r, u32 index, u32 count)
{
	u32 i;

	for (i = 0; i <= count; i++)
		qr_hist_set_status(r, (index + i) & r->mask, QR_QI_FREE);
}

static u32 locked_reclaim(struct qr_vring *r)
{
	u32 n = 0;

	while (qr_hist_status(r, r->free_tail) == QR_QI_FREE &&
	       r->free_tail != r->free_head) {
		r->free_tail = (r->free_tail + 1) & r->mask;
		r->free_cnt++;
		n++;
	}
	return n;
}

static const struct qr_hist_ops locked_ops = {
	.owner_done = locked_owner_done,
	.reclaim = locked_reclaim,
};

static struct qr_vring *locked_create(const struct qr_vring_config *cfg)
{
	return qr_hist_create(cfg, &locked_ops);
}

const struct qr_variant qr_variant_locked = {
	.name = "locked",
	.create = locked_create,
	.destroy = qr_hist_destroy,
	.submit = qr_hist_submit,
	.reclaim = qr_hist_reclaim,
	.free_slots = qr_hist_free_slots,
	.counters = qr_hist_counters,
};
