// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The explorer's VT-d queued-invalidation unit (see simdev.h). Registers are
 * plain fields: every access to them goes through a scheduling point first,
 * and the device's own steps run between scheduling points, so nothing here
 * races.
 */
#include <stdlib.h>
#include <string.h>

#include "simdev.h"
#include "vtd.h"

#define FSTS_STOP	(QIRING_FSTS_IQE | QIRING_FSTS_ITE)
#define FSTS_ALL	(QIRING_FSTS_IQE | QIRING_FSTS_ITE | QIRING_FSTS_ICE)

struct qr_dev {
	struct vtd_queue q;	/* IQA; q.desc NULL: no queue */
	u32 mask;

	/* registers, and the 64-bit positions behind IQH and IQT */
	u32 iqh, iqt, fsts;
	u64 head_pos, tail_pos;

	u32 ite_left, ice_left;
	int alt_cache;		/* simdev_enabled(alt): -1 unknown, 0, 1 */
	u32 ites, iqes;
	struct simdev_hooks hooks;
	struct qr_dev_counters cnt;
};

static struct qr_dev *cur_dev;	/* for rendering the step log */

struct qr_dev *simdev_create(void)
{
	struct qr_dev *d = calloc(1, sizeof(*d));

	if (!d)
		abort();
	return d;
}

void simdev_destroy(struct qr_dev *d)
{
	if (cur_dev == d)
		cur_dev = NULL;
	free(d);
}

void simdev_reset(struct qr_dev *d, u32 ite_budget, u32 ice_budget,
		  const struct simdev_hooks *hooks)
{
	memset(d, 0, sizeof(*d));
	d->alt_cache = -1;
	d->ite_left = ite_budget;
	d->ice_left = ice_budget;
	if (hooks)
		d->hooks = *hooks;
	cur_dev = d;
}

u64 simdev_head_pos(const struct qr_dev *d)
{
	return d->head_pos;
}

u64 simdev_tail_pos(const struct qr_dev *d)
{
	return d->tail_pos;
}

u32 simdev_fsts(const struct qr_dev *d)
{
	return d->fsts;
}

u32 simdev_faults_raised(const struct qr_dev *d)
{
	return d->ites + d->iqes;
}

u32 simdev_ites(const struct qr_dev *d)
{
	return d->ites;
}


/* ---- descriptors ------------------------------------------------------- */

static u64 *slot_q(struct qr_dev *d, u32 idx)
{
	return (u64 *)(d->q.desc + (size_t)idx * d->q.desc_size);
}

u64 simdev_hash(const struct qr_dev *d, u64 h)
{
	u32 i;

	h = sim_mix(h, d->head_pos);
	h = sim_mix(h, d->tail_pos);
	h = sim_mix(h, (u64)d->fsts | (u64)d->ite_left << 8 |
		       (u64)d->ice_left << 16 | (u64)d->ites << 24 |
		       (u64)d->iqes << 32);
	/*
	 * The descriptors, executed ones poisoned; a wait's status address
	 * as the index of its status word (the memory is the harness's and
	 * may move between schedules).
	 */
	for (i = 0; d->q.desc && i < d->q.slots; i++) {
		const u64 *q = slot_q((struct qr_dev *)d, i);
		uintptr_t a = (uintptr_t)(q[1] & ~3ull);

		h = sim_mix(h, q[0]);
		if ((q[0] & QIRING_TYPE_MASK) == QIRING_TYPE_IWD &&
		    a >= (uintptr_t)d->q.status &&
		    a < (uintptr_t)(d->q.status + d->q.nstatus))
			h = sim_mix(h, (a - (uintptr_t)d->q.status) | 1ull << 63);
		else
			h = sim_mix(h, q[1]);
		if (d->q.desc_size == 32)
			h = sim_mix(sim_mix(h, q[2]), q[3]);
	}
	return h;
}

static void poison(struct qr_dev *d, u32 idx)
{
	u64 *q = slot_q(d, idx);

	q[0] = SD_POISON_QW0;
	q[1] = SD_POISON_QW1;
}

static bool is_poison(const struct qiring_desc *x)
{
	return x->qw0 == SD_POISON_QW0 && x->qw1 == SD_POISON_QW1;
}

static bool is_blank(const struct qiring_desc *x)
{
	return !x->qw0 && !x->qw1;
}

void simdev_desc_str(u64 qw0, u64 qw1, char *buf, size_t n)
{
	u64 type = qw0 & QIRING_TYPE_MASK;

	if (qw0 == SD_POISON_QW0 && qw1 == SD_POISON_QW1) {
		snprintf(buf, n, "(executed: poison)");
	} else if (!qw0 && !qw1) {
		snprintf(buf, n, "(never written)");
	} else if (type == QIRING_TYPE_IWD) {
		uintptr_t a = (uintptr_t)(qw1 & ~3ull);
		struct qr_dev *d = cur_dev;
		u32 data = (u32)(qw0 >> 32);

		if (d && d->q.status && a >= (uintptr_t)d->q.status &&
		    a < (uintptr_t)(d->q.status + d->q.nstatus))
			snprintf(buf, n, "wait (status[%u] := %#x)",
				 (unsigned int)((a - (uintptr_t)d->q.status) / 4), data);
		else
			snprintf(buf, n, "wait (status %#llx := %#x)",
				 (unsigned long long)a, data);
	} else if (SD_IS_PAYLOAD(qw1)) {
		snprintf(buf, n, "%s T%d#%u.%u",
			 type == QIRING_TYPE_DEIOTLB ? "dev-tlb" :
			 type == SD_TYPE_IOTLB ? "iotlb" :
			 type == SD_TYPE_INVALID ? "INVALID" : "desc",
			 SD_THREAD(qw1), SD_SEQ(qw1), SD_INDEX(qw1));
	} else {
		snprintf(buf, n, "desc %#llx:%#llx", (unsigned long long)qw0,
			 (unsigned long long)qw1);
	}
}

void simdev_render(unsigned int code, u64 a, u64 b, u64 c, char *buf, size_t n)
{
	char ds[96];

	switch (code) {
	case SIMDEV_EV_TAIL:
		snprintf(buf, n, "%-16s IQT            %llu -> %llu", "write_tail",
			 (unsigned long long)a, (unsigned long long)b);
		break;
	case SIMDEV_EV_HEAD:
		snprintf(buf, n, "%-16s IQH            -> %llu", "read_head",
			 (unsigned long long)a);
		break;
	case SIMDEV_EV_READ_TAIL:
		snprintf(buf, n, "%-16s IQT            -> %llu", "read_tail",
			 (unsigned long long)a);
		break;
	case SIMDEV_EV_FAULT:
		snprintf(buf, n, "%-16s FSTS           -> %#llx%s%s%s", "read_fault",
			 (unsigned long long)a, a & QIRING_FSTS_IQE ? " IQE" : "",
			 a & QIRING_FSTS_ITE ? " ITE" : "",
			 a & QIRING_FSTS_ICE ? " ICE" : "");
		break;
	case SIMDEV_EV_CLEAR:
		snprintf(buf, n, "%-16s FSTS           %#llx cleared -> %#llx",
			 "clear_fault", (unsigned long long)a,
			 (unsigned long long)b);
		break;
	case SIMDEV_EV_EXEC:
		simdev_desc_str(b, c, ds, sizeof(ds));
		snprintf(buf, n, "executes slot %llu (position %llu): %s",
			 (unsigned long long)(cur_dev ? a & cur_dev->mask : a),
			 (unsigned long long)a, ds);
		break;
	case SIMDEV_EV_IQE:
		simdev_desc_str(b, c, ds, sizeof(ds));
		snprintf(buf, n, "IQE: invalid descriptor at slot %llu (position %llu): %s; fetching stops",
			 (unsigned long long)(cur_dev ? a & cur_dev->mask : a),
			 (unsigned long long)a, ds);
		break;
	case SIMDEV_EV_ITE:
		simdev_desc_str(b, c, ds, sizeof(ds));
		snprintf(buf, n, "ITE: %s at slot %llu (position %llu) times out; fetching stops",
			 ds, (unsigned long long)(cur_dev ? a & cur_dev->mask : a),
			 (unsigned long long)a);
		break;
	case SIMDEV_EV_DISCARD:
		simdev_desc_str(b, c, ds, sizeof(ds));
		snprintf(buf, n, "  discards slot %llu (position %llu): %s",
			 (unsigned long long)(cur_dev ? a & cur_dev->mask : a),
			 (unsigned long long)a, ds);
		break;
	case SIMDEV_EV_ICE:
		snprintf(buf, n, "ICE raised after the wait at position %llu",
			 (unsigned long long)a);
		break;
	default:
		snprintf(buf, n, "device event %u", code);
	}
}

/* ---- the device actor --------------------------------------------------- */

/*
 * What the next device step covers: from IQH through the next wait (or up
 * to IQT). Between two waits nothing software can see changes (IQH is
 * read only by fault handlers, while the device is stopped), so one step
 * per batch loses no behaviour and saves a scheduling choice per
 * descriptor. The alternative step injects a fault into the batch: an ITE
 * on its device-TLB invalidation if the ITE budget lasts, else an ICE on
 * its wait if the ICE budget lasts.
 */
static bool batch_has(struct qr_dev *d, bool devtlb)
{
	struct qiring_desc x;
	u64 pos;

	for (pos = d->head_pos; pos < d->tail_pos; pos++) {
		vtd_fetch(&d->q, (u32)(pos & d->mask), &x);
		if (vtd_validate(&d->q, &x))
			return false;
		if (devtlb && vtd_is_devtlb(&x))
			return true;
		if (vtd_is_wait(&x))
			return !devtlb;
	}
	return false;
}

bool simdev_enabled(struct qr_dev *d, bool alt)
{
	if (!d->q.desc || (d->fsts & FSTS_STOP) || d->head_pos == d->tail_pos)
		return false;
	if (!alt)
		return true;
	/*
	 * The batch only changes with IQT, IQH or a fault clear (after which
	 * software may have rewritten a descriptor): cached until then.
	 */
	if (d->alt_cache < 0)
		d->alt_cache = d->ite_left ? batch_has(d, true) :
			       d->ice_left && batch_has(d, false);
	return d->alt_cache;
}

/* ---- the VT-d rules (vtd.c), with this device's choices ------------------ */

struct step_ctx {
	struct qr_dev *d;
	bool ite, ice;		/* this step's fault injection */
};

/* Only a written descriptor may be fetched: IQT passed it after a write. */
static bool sd_fetched(void *arg, u32 idx, const struct qiring_desc *x)
{
	struct qr_dev *d = ((struct step_ctx *)arg)->d;

	if (!is_poison(x) && !is_blank(x))
		return true;
	sim_fail("device: fetched slot %u (position %llu) that holds no new descriptor %s",
		 idx, (unsigned long long)d->head_pos,
		 is_poison(x) ? "(executed before, never rewritten)" :
				"(never written)");
	return false;
}

static bool sd_times_out(void *arg, u32 idx, const struct qiring_desc *x)
{
	return ((struct step_ctx *)arg)->ite;
}

static bool sd_raises_ice(void *arg, u32 idx, const struct qiring_desc *x)
{
	return ((struct step_ctx *)arg)->ice;
}

static void sd_status_write(void *arg, u32 *addr, u32 v)
{
	struct qr_dev *d = ((struct step_ctx *)arg)->d;

	sim_dev_write32(addr, v);
	d->cnt.waits_written++;
}

static void sd_bad_status(void *arg, u64 addr)
{
	struct qr_dev *d = ((struct step_ctx *)arg)->d;

	d->cnt.bad_status_addr++;
	sim_fail("device: wait descriptor writes status outside the status words (%#llx)",
		 (unsigned long long)addr);
}

/* Positions: the event's slot is pos_of(idx), between IQH and IQT. */
static u64 pos_of(const struct qr_dev *d, u32 idx)
{
	return d->head_pos + ((idx - d->iqh) & d->mask);
}

static void sd_event(void *arg, enum vtd_event ev, u32 idx,
		     const struct qiring_desc *x)
{
	struct qr_dev *d = ((struct step_ctx *)arg)->d;
	u64 pos = pos_of(d, idx);

	switch (ev) {
	case VTD_EV_EXEC:
		sim_event(SIMDEV_EV_EXEC, NULL, pos, x->qw0, x->qw1);
		if (d->hooks.on_exec)
			d->hooks.on_exec(d->hooks.arg, pos, x);
		d->cnt.executed++;
		poison(d, idx);
		break;
	case VTD_EV_IQE:
		d->iqes++;
		d->cnt.iqe++;
		sim_event(SIMDEV_EV_IQE, NULL, pos, x->qw0, x->qw1);
		break;
	case VTD_EV_ITE:
		d->ite_left--;
		d->ites++;
		d->cnt.ite++;
		sim_event(SIMDEV_EV_ITE, NULL, pos, x->qw0, x->qw1);
		break;
	case VTD_EV_DISCARD:
		sim_event(SIMDEV_EV_DISCARD, NULL, pos, x->qw0, x->qw1);
		if (d->hooks.on_discard)
			d->hooks.on_discard(d->hooks.arg, pos, x);
		poison(d, idx);
		if (vtd_is_wait(x))
			d->cnt.aborted_waits++;
		break;
	case VTD_EV_ICE:
		d->ice_left--;
		d->cnt.ice++;
		sim_event(SIMDEV_EV_ICE, NULL, pos, 0, 0);
		break;
	}
}

/* One descriptor; false when the batch (or the device) stops here. */
static bool step_one(struct qr_dev *d, bool ite, bool ice)
{
	struct step_ctx ctx = { .d = d, .ite = ite, .ice = ice };
	const struct vtd_env env = {
		.arg = &ctx,
		.fetched = sd_fetched,
		.times_out = sd_times_out,
		.raises_ice = sd_raises_ice,
		.status_write = sd_status_write,
		.bad_status = sd_bad_status,
		.event = sd_event,
	};
	struct vtd_result res;

	d->alt_cache = -1;
	vtd_step(&d->q, d->iqh, d->iqt, &env, &res);
	d->head_pos += res.advanced;
	d->iqh = (d->iqh + res.advanced) & d->mask;
	d->fsts |= res.fsts;
	if (!res.executed || res.wait)
		return false;
	return d->head_pos != d->tail_pos;
}

void simdev_step(struct qr_dev *d, bool alt)
{
	bool ite = alt && d->ite_left;
	bool ice = alt && !ite && d->ice_left;

	while (step_one(d, ite, ice) && !sim_failed())
		;
}

/* ---- registers: the devmodel.h API ---------------------------------------- */

void qr_dev_set_queue(struct qr_dev *d, void *desc, u32 slots, u32 desc_size,
		      u32 *status, u32 nstatus)
{
	d->q = (struct vtd_queue){ .desc = desc, .slots = slots,
				   .desc_size = desc_size, .status = status,
				   .nstatus = nstatus };
	d->mask = slots ? slots - 1 : 0;
	d->iqh = d->iqt = d->fsts = 0;
	d->head_pos = d->tail_pos = 0;
	d->alt_cache = -1;
}

void qr_dev_write_tail(void *hw, u32 index)
{
	struct qr_dev *d = hw;
	u64 pos, end;
	u32 fwd;

	sim_mmio();
	d->cnt.tail_writes++;
	sim_event(SIMDEV_EV_TAIL, NULL, d->iqt, index, 0);
	if (index >= d->q.slots) {
		sim_fail("IQT written with %u, outside the ring", index);
		return;
	}
	fwd = (index - d->iqt) & d->mask;
	if (!fwd)
		return;
	end = d->tail_pos + fwd;
	if (end - d->head_pos > d->mask) {
		sim_fail("IQT moved backward or over IQH: %u -> %u with IQH at %u (reads as %u new descriptors on top of %llu pending)",
			 d->iqt, index, d->iqh, fwd,
			 (unsigned long long)(d->tail_pos - d->head_pos));
		return;
	}
	if (d->hooks.frontier && end > d->hooks.frontier(d->hooks.arg)) {
		sim_fail("IQT moved backward or past the allocation frontier: %u -> %u reads as position %llu, frontier %llu",
			 d->iqt, index, (unsigned long long)end,
			 (unsigned long long)d->hooks.frontier(d->hooks.arg));
		return;
	}
	for (pos = d->tail_pos; pos < end; pos++) {
		struct qiring_desc x;

		vtd_fetch(&d->q, (u32)(pos & d->mask), &x);
		if (is_poison(&x) || is_blank(&x)) {
			sim_fail("IQT passed an unwritten descriptor: slot %u (position %llu) %s",
				 (unsigned int)(pos & d->mask), (unsigned long long)pos,
				 is_poison(&x) ? "was executed before and not rewritten" :
						 "was never written");
			return;
		}
		if (d->hooks.on_publish)
			d->hooks.on_publish(d->hooks.arg, pos, &x);
	}
	if (d->hooks.on_tail)
		d->hooks.on_tail(d->hooks.arg, d->tail_pos, end);
	d->iqt = index;
	d->tail_pos = end;
	d->alt_cache = -1;
	sim_progress();
}

u32 qr_dev_read_head(void *hw)
{
	struct qr_dev *d = hw;

	sim_mmio();
	d->cnt.head_reads++;
	sim_event(SIMDEV_EV_HEAD, NULL, d->iqh, 0, 0);
	sim_note_read(&d->iqh, 4, d->iqh);
	return d->iqh;
}

u32 qr_dev_read_tail(struct qr_dev *d)
{
	sim_mmio();
	sim_event(SIMDEV_EV_READ_TAIL, NULL, d->iqt, 0, 0);
	sim_note_read(&d->iqt, 4, d->iqt);
	return d->iqt;
}

u32 qr_dev_read_fault(void *hw)
{
	struct qr_dev *d = hw;

	sim_mmio();
	d->cnt.fault_reads++;
	sim_event(SIMDEV_EV_FAULT, NULL, d->fsts & FSTS_ALL, 0, 0);
	sim_note_read(&d->fsts, 4, d->fsts);
	return d->fsts & FSTS_ALL;
}

void qr_dev_clear_fault(void *hw, u32 bits)
{
	struct qr_dev *d = hw;
	u32 old;

	sim_mmio();
	d->cnt.fault_clears++;
	old = d->fsts;
	d->fsts &= ~(bits & FSTS_ALL);
	d->alt_cache = -1;
	sim_event(SIMDEV_EV_CLEAR, NULL, bits, d->fsts, 0);
	if (old != d->fsts)
		sim_progress();
}

void qr_dev_relax(void *hw)
{
	sim_relax();
}

void qr_dev_get_counters(struct qr_dev *d, struct qr_dev_counters *c)
{
	*c = d->cnt;
}

const struct qiring_hw_ops qr_dev_hw_ops = {
	.write_tail = qr_dev_write_tail,
	.read_head = qr_dev_read_head,
	.read_fault = qr_dev_read_fault,
	.clear_fault = qr_dev_clear_fault,
	.relax = qr_dev_relax,
};
