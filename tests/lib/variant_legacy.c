// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * legacy: qi_submit_sync() as Linux ran it before the mid-2024 fix
 * (v1 "iommu/vt-d: Fix potential soft lockup due to reclaim", reviewed in
 * the seed thread; merged as v2 "...potential lockup if qi_submit_sync
 * called with 0 count"). After its poll loop the owner marks its count descriptor
 * slots DONE (the hardware already wrote DONE into the wait slot, or the
 * fault path wrote ABORT), and reclaim_free_desc() frees every DONE or
 * ABORT slot from free_tail on, turning it FREE.
 *
 * The bug: reclaim does not know whose slots it frees. A wait slot reads
 * DONE as soon as the hardware wrote it, before its owner, spinning on it
 * with q_lock dropped, has looked. If another submitter's reclaim gets
 * there first, DONE becomes FREE and the owner polls forever: the soft
 * lockup. A lone wait (count == 0, a drain) is exposed whenever it sits
 * right behind a finished submission; a submission with descriptors is
 * shielded by its own IN_USE descriptor slots, except after an ITE, whose
 * handling turns those into ABORT too. The same theft hits an ABORT the
 * ITE path wrote for a waiter that has not yet seen it. In tests, a
 * bounded wait (stall_ns) turns the lockup into -ETIMEDOUT.
 */
#include "variant_hist.h"

static void legacy_owner_done(struct qr_vring *r, u32 index, u32 count)
{
	u32 i;

	/* The wait slot is left as the hardware (or the ITE path) set it. */
	for (i = 0; i < count; i++)
		qr_hist_set_status(r, (index + i) & r->mask, QR_QI_DONE);
}

static u32 legacy_reclaim(struct qr_vring *r)
{
	u32 n = 0, st;

	for (;;) {
		st = qr_hist_status(r, r->free_tail);
		if (st != QR_QI_DONE && st != QR_QI_ABORT)
			break;
		qr_hist_set_status(r, r->free_tail, QR_QI_FREE);
		r->free_tail = (r->free_tail + 1) & r->mask;
		r->free_cnt++;
		n++;
	}
	return n;
}

static const struct qr_hist_ops legacy_ops = {
	.owner_done = legacy_owner_done,
	.reclaim = legacy_reclaim,
};

static struct qr_vring *legacy_create(const struct qr_vring_config *cfg)
{
	return qr_hist_create(cfg, &legacy_ops);
}

const struct qr_variant qr_variant_legacy = {
	.name = "legacy",
	.create = legacy_create,
	.destroy = qr_hist_destroy,
	.submit = qr_hist_submit,
	.reclaim = qr_hist_reclaim,
	.free_slots = qr_hist_free_slots,
	.counters = qr_hist_counters,
};
