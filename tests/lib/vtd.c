// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The VT-d queued-invalidation execution rules (see vtd.h). */
#include <string.h>

#include "vtd.h"

void vtd_fetch(const struct vtd_queue *q, u32 idx, struct qiring_desc *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out, q->desc + (size_t)idx * q->desc_size, q->desc_size);
}

u32 vtd_validate(const struct vtd_queue *q, const struct qiring_desc *x)
{
	u64 type = x->qw0 & QIRING_TYPE_MASK;
	u64 max = q->desc_size == 32 ? 0x9 : 0x5;

	if (type < 0x1 || type > max)
		return VTD_IQER_BAD_TYPE;
	if (x->qw0 & (0x7ull << 9))	/* type bits 11:9 must be 0 */
		return VTD_IQER_RESERVED;
	if (type == QIRING_TYPE_IWD && !(x->qw0 & (QIRING_IWD_SW | VTD_IWD_IF)))
		return VTD_IQER_BAD_WAIT;
	return 0;
}

static void emit(const struct vtd_env *env, enum vtd_event ev, u32 idx,
		 const struct qiring_desc *x)
{
	if (env->event)
		env->event(env->arg, ev, idx, x);
}

static bool fetch_checked(const struct vtd_queue *q, const struct vtd_env *env,
			  u32 idx, struct qiring_desc *x)
{
	vtd_fetch(q, idx, x);
	return !env->fetched || env->fetched(env->arg, idx, x);
}

static void status_write(const struct vtd_queue *q, const struct vtd_env *env,
			 const struct qiring_desc *x)
{
	uintptr_t addr = (uintptr_t)(x->qw1 & ~3ull);
	uintptr_t lo = (uintptr_t)q->status;
	uintptr_t hi = lo + (uintptr_t)q->nstatus * sizeof(*q->status);

	if (addr < lo || addr >= hi || (addr - lo) % sizeof(*q->status)) {
		if (env->bad_status)
			env->bad_status(env->arg, x->qw1);
		return;
	}
	env->status_write(env->arg, (u32 *)addr, (u32)(x->qw0 >> 32));
}

void vtd_step(const struct vtd_queue *q, u32 head, u32 tail,
	      const struct vtd_env *env, struct vtd_result *res)
{
	u32 mask = q->slots - 1, h = head, bad;
	struct qiring_desc x;

	memset(res, 0, sizeof(*res));
	if (!fetch_checked(q, env, h, &x)) {
		res->stopped = true;
		return;
	}
	bad = vtd_validate(q, &x);
	if (bad) {
		res->iqer = ((u64)h << 32) | bad;
		res->fsts = QIRING_FSTS_IQE;
		emit(env, VTD_EV_IQE, h, &x);
		return;			/* IQH stays on the bad descriptor */
	}
	if (vtd_is_devtlb(&x) && env->times_out && env->times_out(env->arg, h, &x)) {
		/*
		 * It and everything fetched with it through the next wait are
		 * dropped: that wait's status is never written. IQH moves
		 * past them; fetching stops until ITE is cleared.
		 */
		emit(env, VTD_EV_ITE, h, &x);
		for (;;) {
			emit(env, VTD_EV_DISCARD, h, &x);
			h = (h + 1) & mask;
			res->advanced++;
			if (vtd_is_wait(&x) || h == tail)
				break;
			if (!fetch_checked(q, env, h, &x)) {
				res->stopped = true;
				break;
			}
		}
		res->fsts = QIRING_FSTS_ITE;
		return;
	}
	emit(env, VTD_EV_EXEC, h, &x);
	res->executed = true;
	res->advanced = 1;
	if (vtd_is_wait(&x)) {
		res->wait = true;
		if (x.qw0 & QIRING_IWD_SW)
			status_write(q, env, &x);
		if (env->raises_ice && env->raises_ice(env->arg, h, &x)) {
			res->fsts = QIRING_FSTS_ICE;
			emit(env, VTD_EV_ICE, h, &x);
		}
	}
}
