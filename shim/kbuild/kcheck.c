// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qiring_kcheck: the core built as kernel code, exercised at module load
 * against a software queue that executes descriptors when the tail is
 * written. It proves the core builds and links as a module against the
 * installed kernel headers; the real hardware path is the dmar.c patch
 * (shim/patches) and its boot test.
 */
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "qiring.h"

#define KC_SLOTS	16

struct kc_unit {
	struct qiring_desc *desc;
	u32 *status;
	u32 head;
	u32 executed;
};

/* Execute everything up to the new tail: a wait writes its status data. */
static void kc_write_tail(void *hw, u32 index)
{
	struct kc_unit *u = hw;

	while (u->head != index) {
		struct qiring_desc *d = &u->desc[u->head];

		if ((d->qw0 & QIRING_TYPE_MASK) == QIRING_TYPE_IWD) {
			u32 slot = (u32)((d->qw1 - (u64)(uintptr_t)u->status) >> 2);

			/* the DMA status write: pairs with O12 in qiring_poll() */
			smp_store_release(&u->status[slot], (u32)(d->qw0 >> 32));
		}
		u->executed++;
		u->head = (u->head + 1) % KC_SLOTS;
	}
}

static u32 kc_read_head(void *hw)
{
	return ((struct kc_unit *)hw)->head;
}

static u32 kc_read_fault(void *hw)
{
	return 0;
}

static void kc_clear_fault(void *hw, u32 bits)
{
}

static const struct qiring_hw_ops kc_ops = {
	.write_tail = kc_write_tail,
	.read_head = kc_read_head,
	.read_fault = kc_read_fault,
	.clear_fault = kc_clear_fault,
};

static int __init kc_init(void)
{
	struct qiring_desc d = { .qw0 = QIRING_TYPE_DIOTLB };
	struct qiring_config cfg = { 0 };
	struct qiring_stats st;
	struct kc_unit u = { 0 };
	struct qiring *r;
	unsigned long flags;
	int i, rc = -ENOMEM;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	u.desc = kcalloc(KC_SLOTS, sizeof(*u.desc), GFP_KERNEL);
	u.status = kcalloc(qiring_status_words(KC_SLOTS), sizeof(*u.status),
			   GFP_KERNEL);
	if (!r || !u.desc || !u.status)
		goto out;

	cfg.slots = KC_SLOTS;
	cfg.desc_size = 32;
	cfg.desc = u.desc;
	cfg.status = u.status;
	cfg.status_dma = (u64)(uintptr_t)u.status;
	cfg.ops = &kc_ops;
	cfg.hw = &u;
	rc = qiring_init(r, &cfg);
	if (rc)
		goto out;

	for (i = 0; i < 100 && !rc; i++) {
		local_irq_save(flags);
		rc = qiring_submit_sync(r, &d, i % 4, 0);
		local_irq_restore(flags);
	}
	qiring_get_stats(r, &st);
	if (!rc && (st.submissions != 100 || u.executed != 100 + 150))
		rc = -EIO;
	pr_info("qiring_kcheck: %s: %llu submissions, %u descriptors, %llu tail writes\n",
		rc ? "FAIL" : "ok", st.submissions, u.executed, st.tail_writes);
out:
	kfree(u.status);
	kfree(u.desc);
	kfree(r);
	return rc;
}

static void __exit kc_exit(void)
{
}

module_init(kc_init);
module_exit(kc_exit);
MODULE_DESCRIPTION("qiring core built with the kernel port: self-test");
MODULE_LICENSE("Dual BSD/GPL");
