// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Userspace model of a VT-d queued-invalidation unit (see devmodel.h).
 *
 * Synchronisation inside the model:
 *
 *   iqt   written by submitters with a release store, loaded by the executor
 *         with acquire: everything written to the descriptors below the new
 *         tail happens-before their fetch (the MMIO write's ordering, H10).
 *   iqh   stored by the executor with release after a descriptor executed,
 *         loaded with acquire by read_head: a reader of IQH sees that
 *         descriptor's effects (its status write).
 *   fsts  fault bits are set with a release RMW after the executor stopped,
 *         and cleared with a release RMW by software; the executor loads it
 *         with acquire before every fetch, so a descriptor software
 *         rewrote before clearing IQE is seen rewritten.
 *   exec  a mutex serialises execution: the device thread, lazy pollers
 *         (trylock: a poller that finds the device busy just goes on
 *         polling), qr_dev_run/step and sync_exec tail writes.
 *
 * Those are the only places the unit synchronizes with the CPUs, as
 * hardware does. The exec mutex is the model's own business, and under
 * ThreadSanitizer it must not become a happens-before path the hardware
 * does not have: every poller that advances a lazy device takes it, so
 * with a plain mutex a descriptor write and the device's earlier fetch of
 * that slot were always ordered through it, and TSan could not tell a
 * correct release (O3) from a relaxed one. So, under TSan only:
 *
 *   - the mutex is taken and released with TSan's synchronization ignored
 *     (AnnotateIgnoreSyncBegin/End): exclusion, no happens-before;
 *   - the unit runs in a TSan context of its own (a TSan fiber, switched
 *     to on the executing CPU's stack, without synchronization): its fetches,
 *     status writes and private state belong to "the unit", whichever
 *     thread happens to execute it, and a lazy poller's own later accesses
 *     are not ordered after them by its program order;
 *   - the unit's context synchronizes with the caller only where the test
 *     asks the unit to act and waits (qr_dev_run, qr_dev_step,
 *     qr_dev_set_queue, qr_dev_set_profile, qr_dev_get_counters,
 *     qr_dev_destroy: a test's or a driver's synchronous command), never on
 *     the submission path.
 *
 * So TSan sees the unit exactly through the atomics above. Without TSan
 * the mutex is an ordinary one and nothing changes.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "devmodel.h"
#include "vtd.h"

#if defined(__SANITIZE_THREAD__)
#define QR_DEV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QR_DEV_TSAN 1
#endif
#endif

#ifdef QR_DEV_TSAN
#include <sanitizer/tsan_interface.h>
#include <ucontext.h>
/* libtsan's dynamic annotations (not in a GCC header) */
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
#define TSAN_IGNORE_SYNC(stmt) do {					\
	AnnotateIgnoreSyncBegin(__FILE__, __LINE__);			\
	stmt;								\
	AnnotateIgnoreSyncEnd(__FILE__, __LINE__);			\
} while (0)
#else
#define TSAN_IGNORE_SYNC(stmt) do { stmt; } while (0)
#endif

#define FSTS_STOP	(QIRING_FSTS_IQE | QIRING_FSTS_ITE)
#define FSTS_ALL	(QIRING_FSTS_IQE | QIRING_FSTS_ITE | QIRING_FSTS_ICE)

struct qr_dev {
	struct qr_dev_config cfg;
	struct qr_dev_profile prof;	/* written only between runs */

	struct vtd_queue q;		/* IQA; q.desc NULL: no queue */

	/* registers */
	_Atomic u32 iqt __attribute__((aligned(64)));
	_Atomic u64 doorbell_at;	/* time of the last tail write */
	_Atomic u32 iqh __attribute__((aligned(64)));
	_Atomic u32 fsts;
	_Atomic u64 iqer;

	/* one-shot injections: slot + 1, 0 = none */
	_Atomic u32 ite_at;
	_Atomic u32 ice_at;

	/* executor state, under exec */
	pthread_mutex_t exec;
	bool idle;
	u64 next_due;
	u64 order;
	u64 rng;
	u32 burst_left;

	/* counters: relaxed, statistics only */
	_Atomic u64 tail_writes, head_reads, fault_reads, fault_clears;
	_Atomic u64 executed, waits_written, iqe, ite, ice, aborted_waits;
	_Atomic u64 bad_status_addr;
	_Atomic u64 max_batch, max_tail_write_ns;

	pthread_t thread;
	_Atomic bool stop;
	bool has_thread;
#ifdef QR_DEV_TSAN
	/*
	 * The unit's own TSan context (a fiber) and the stack it runs on: a
	 * call as the unit switches to both, on whichever thread makes it.
	 * The hand-over fields are relaxed atomics (exec orders them, but TSan
	 * must not see that).
	 */
	void *tsan_unit;
	ucontext_t unit_uc, caller_uc;
	void *unit_stack;
	_Atomic(void (*)(struct qr_dev *, void *)) unit_fn;
	_Atomic(void *) unit_arg;
	_Atomic(void *) unit_caller;
	_Atomic unsigned int unit_flags;
#endif
};

/* The model's serialization (see the header comment): exclusion only. */
static void exec_lock(struct qr_dev *d)
{
	TSAN_IGNORE_SYNC(pthread_mutex_lock(&d->exec));
}

static bool exec_trylock(struct qr_dev *d)
{
	int rc;

	TSAN_IGNORE_SYNC(rc = pthread_mutex_trylock(&d->exec));
	return rc == 0;
}

static void exec_unlock(struct qr_dev *d)
{
	TSAN_IGNORE_SYNC(pthread_mutex_unlock(&d->exec));
}

/*
 * as_unit(d, sync, fn, arg): fn(d, arg) as the unit, exec held. sync: the
 * caller waits for the unit and sees what it did, and the unit sees what
 * the caller did (a synchronous command); otherwise no happens-before
 * either way. Without TSan, a plain call.
 */
#define UNIT_STACK	(256u << 10)

#ifdef QR_DEV_TSAN
static void unit_main(unsigned int hi, unsigned int lo)
{
	struct qr_dev *d = (struct qr_dev *)(((uintptr_t)hi << 32) | lo);

	for (;;) {
		atomic_load_explicit(&d->unit_fn, memory_order_relaxed)(
			d, atomic_load_explicit(&d->unit_arg, memory_order_relaxed));
		__tsan_switch_to_fiber(atomic_load_explicit(&d->unit_caller,
							    memory_order_relaxed),
				       atomic_load_explicit(&d->unit_flags,
							    memory_order_relaxed));
		swapcontext(&d->unit_uc, &d->caller_uc);
	}
}

static bool unit_create(struct qr_dev *d)
{
	uintptr_t p = (uintptr_t)d;

	d->unit_stack = malloc(UNIT_STACK);
	if (!d->unit_stack || getcontext(&d->unit_uc)) {
		free(d->unit_stack);
		return false;
	}
	d->unit_uc.uc_stack.ss_sp = d->unit_stack;
	d->unit_uc.uc_stack.ss_size = UNIT_STACK;
	d->unit_uc.uc_link = NULL;
	makecontext(&d->unit_uc, (void (*)(void))unit_main, 2,
		    (unsigned int)((uint64_t)p >> 32), (unsigned int)p);
	/* created last: the unit starts out knowing its configuration */
	d->tsan_unit = __tsan_create_fiber(0);
	__tsan_set_fiber_name(d->tsan_unit, "VT-d unit (devmodel)");
	return true;
}

static void unit_destroy(struct qr_dev *d)
{
	__tsan_destroy_fiber(d->tsan_unit);
	free(d->unit_stack);
}

static void as_unit(struct qr_dev *d, bool sync,
		    void (*fn)(struct qr_dev *, void *), void *arg)
{
	unsigned int fl = sync ? 0 : __tsan_switch_to_fiber_no_sync;

	atomic_store_explicit(&d->unit_fn, fn, memory_order_relaxed);
	atomic_store_explicit(&d->unit_arg, arg, memory_order_relaxed);
	atomic_store_explicit(&d->unit_caller, __tsan_get_current_fiber(),
			      memory_order_relaxed);
	atomic_store_explicit(&d->unit_flags, fl, memory_order_relaxed);
	__tsan_switch_to_fiber(d->tsan_unit, fl);
	swapcontext(&d->caller_uc, &d->unit_uc);
}
#else
static bool unit_create(struct qr_dev *d)
{
	return true;
}

static void unit_destroy(struct qr_dev *d)
{
}

static void as_unit(struct qr_dev *d, bool sync,
		    void (*fn)(struct qr_dev *, void *), void *arg)
{
	fn(d, arg);
}
#endif

#define CNT_INC(d, f) atomic_fetch_add_explicit(&(d)->f, 1, memory_order_relaxed)

void qr_dev_spin_ns(u64 ns)
{
	u64 end;

	if (!ns)
		return;
	end = ktime_get_ns() + ns;
	while (ktime_get_ns() < end)
		cpu_relax();
}

static u64 xorshift(struct qr_dev *d)
{
	u64 x = d->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	d->rng = x;
	return x;
}

static bool roll(struct qr_dev *d, u64 one_in)
{
	return one_in && xorshift(d) % one_in == 0;
}

static bool take_injection(_Atomic u32 *at, u32 idx)
{
	u32 want = idx + 1;

	return atomic_compare_exchange_strong_explicit(at, &want, 0,
						       memory_order_relaxed,
						       memory_order_relaxed);
}

/* ---- the VT-d rules (vtd.c), with this model's choices ------------------- */

/* An injected ITE, else a random one, in bursts when configured. */
static bool dev_times_out(void *arg, u32 idx, const struct qiring_desc *x)
{
	struct qr_dev *d = arg;

	if (take_injection(&d->ite_at, idx))
		return true;
	if (d->burst_left) {
		d->burst_left--;
		return true;
	}
	if (!roll(d, d->cfg.ite_one_in))
		return false;
	d->burst_left = d->cfg.ite_burst;
	return true;
}

static bool dev_raises_ice(void *arg, u32 idx, const struct qiring_desc *x)
{
	struct qr_dev *d = arg;

	return take_injection(&d->ice_at, idx) || roll(d, d->cfg.ice_one_in);
}

/* The DMA write: a release store, paired with the waiter's acquire load. */
static void dev_status_write(void *arg, u32 *addr, u32 v)
{
	struct qr_dev *d = arg;

	smp_store_release(addr, v);
	if (d->prof.status_twice_ns) {
		/* QEMU's memcpy(): the same value again, a moment later */
		qr_dev_spin_ns(d->prof.status_twice_ns);
		smp_store_release(addr, v);
	}
	CNT_INC(d, waits_written);
}

static void dev_bad_status(void *arg, u64 addr)
{
	struct qr_dev *d = arg;

	CNT_INC(d, bad_status_addr);
}

static void dev_event(void *arg, enum vtd_event kind, u32 idx,
		      const struct qiring_desc *x)
{
	static const enum qr_dev_event_kind map[] = {
		[VTD_EV_EXEC] = QR_DEV_EXEC, [VTD_EV_IQE] = QR_DEV_IQE,
		[VTD_EV_ITE] = QR_DEV_ITE, [VTD_EV_DISCARD] = QR_DEV_DISCARD,
	};
	struct qr_dev *d = arg;
	struct qr_dev_event ev;

	switch (kind) {
	case VTD_EV_EXEC:
		CNT_INC(d, executed);
		break;
	case VTD_EV_IQE:
		CNT_INC(d, iqe);
		break;
	case VTD_EV_ITE:
		CNT_INC(d, ite);
		break;
	case VTD_EV_DISCARD:
		if (vtd_is_wait(x))
			CNT_INC(d, aborted_waits);
		break;
	case VTD_EV_ICE:
		CNT_INC(d, ice);
		return;		/* counted, not an execution-log event */
	}
	ev = (struct qr_dev_event){ .kind = map[kind], .slot = idx,
				    .order = d->order++, .desc = *x };
	if (d->cfg.on_exec)
		d->cfg.on_exec(d->cfg.on_exec_arg, &ev);
}

/*
 * Execute the descriptor at IQH, exec held. Returns false when there is
 * nothing to execute (queue empty or stopped on a fault).
 */
static bool exec_one(struct qr_dev *d)
{
	const struct vtd_env env = {
		.arg = d,
		.times_out = dev_times_out,
		.raises_ice = dev_raises_ice,
		.status_write = dev_status_write,
		.bad_status = dev_bad_status,
		.event = dev_event,
	};
	struct vtd_result res;
	u32 h, t;

	if (!d->q.desc)
		return false;
	/* Pairs with the release in clear_fault: see rewritten descriptors. */
	if (atomic_load_explicit(&d->fsts, memory_order_acquire) & FSTS_STOP)
		return false;
	h = atomic_load_explicit(&d->iqh, memory_order_relaxed);
	/* Pairs with the release store in write_tail (H10). */
	t = atomic_load_explicit(&d->iqt, memory_order_acquire);
	if (h == t)
		return false;

	vtd_step(&d->q, h, t, &env, &res);
	if (res.fsts & QIRING_FSTS_IQE)
		atomic_store_explicit(&d->iqer, res.iqer, memory_order_relaxed);
	if (res.advanced)
		/* Pairs with the acquire in read_head. */
		atomic_store_explicit(&d->iqh, (h + res.advanced) & (d->q.slots - 1),
				      memory_order_release);
	if (res.fsts)
		/* Pairs with the acquire in read_fault and here. */
		atomic_fetch_or_explicit(&d->fsts, res.fsts, memory_order_release);
	return res.executed;
}

/* Everything executable now, ignoring latencies; exec held. */
static u32 exec_all(struct qr_dev *d, u32 max)
{
	u32 n = 0;

	while (n < max && exec_one(d))
		n++;
	return n;
}

/*
 * QR_DEV_LAZY: advance to "now" in virtual time. The engine starts
 * doorbell_ns after the tail write that found it idle and takes desc_ns per
 * descriptor. Whoever polls does the work; a poller that finds another one
 * executing goes back to polling.
 */
static void lazy_run(struct qr_dev *d, void *unused)
{
	u64 now = ktime_get_ns();

	for (;;) {
		u32 h = atomic_load_explicit(&d->iqh, memory_order_relaxed);
		u32 t = atomic_load_explicit(&d->iqt, memory_order_acquire);

		if (h == t) {
			d->idle = true;
			break;
		}
		if (d->idle) {
			d->idle = false;
			d->next_due = atomic_load_explicit(&d->doorbell_at,
							   memory_order_relaxed) +
				      d->prof.doorbell_ns + d->prof.desc_ns;
		}
		if (d->next_due > now || !exec_one(d))
			break;
		d->next_due += d->prof.desc_ns;
	}
}

static void lazy_advance(struct qr_dev *d)
{
	/*
	 * A trapping tail write (sync_exec) runs the queue itself, as a VMM
	 * does; a poller has nothing to advance, and must not contend with
	 * the trapped writer for the model's lock (a vIOMMU's status words
	 * are guest memory: polling them does not trap).
	 */
	if (d->prof.sync_exec || !exec_trylock(d))
		return;
	as_unit(d, false, lazy_run, NULL);
	exec_unlock(d);
}

/* The sync_exec tail write or fault clear: the VMM runs the queue, then returns. */
static void sync_run(struct qr_dev *d, void *unused)
{
	while (exec_one(d))
		qr_dev_spin_ns(d->prof.desc_ns);
}

static void get_profile(struct qr_dev *d, void *p)
{
	*(struct qr_dev_profile *)p = d->prof;
}

static void run_one(struct qr_dev *d, void *ran)
{
	*(bool *)ran = exec_one(d);
}

/* in: how many at most; out: how many ran */
static void run_n(struct qr_dev *d, void *n)
{
	*(u32 *)n = exec_all(d, *(u32 *)n);
}

static void nothing(struct qr_dev *d, void *unused)
{
}

static void *dev_thread(void *arg)
{
	struct qr_dev *d = arg;
	unsigned int spins = 0;
	bool idle = true;

	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		u32 h = atomic_load_explicit(&d->iqh, memory_order_relaxed);
		u32 t = atomic_load_explicit(&d->iqt, memory_order_acquire);
		struct qr_dev_profile p;
		bool ran;

		if (h == t ||
		    (atomic_load_explicit(&d->fsts, memory_order_relaxed) & FSTS_STOP)) {
			idle = true;
			if (++spins % 64 == 0)
				sched_yield();
			else
				cpu_relax();
			continue;
		}
		/*
		 * The device thread is the unit's own engine (it touches no
		 * memory of the CPUs'): it may synchronize with the unit.
		 */
		exec_lock(d);
		as_unit(d, true, get_profile, &p);
		exec_unlock(d);
		if (idle) {
			u64 due = atomic_load_explicit(&d->doorbell_at,
						       memory_order_relaxed) +
				  p.doorbell_ns;

			while (ktime_get_ns() < due)
				cpu_relax();
			idle = false;
		}
		qr_dev_spin_ns(p.desc_ns);
		exec_lock(d);
		as_unit(d, true, run_one, &ran);
		exec_unlock(d);
		if (!ran)
			idle = true;
	}
	return NULL;
}

struct qr_dev *qr_dev_create(const struct qr_dev_config *cfg)
{
	struct qr_dev *d;

	if (!cfg)
		return NULL;
	if (posix_memalign((void **)&d, 64, sizeof(*d)))
		return NULL;
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->prof = cfg->profile;
	d->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
	d->idle = true;
	pthread_mutex_init(&d->exec, NULL);
	if (!unit_create(d)) {
		pthread_mutex_destroy(&d->exec);
		free(d);
		return NULL;
	}
	if (cfg->mode == QR_DEV_THREAD) {
		if (pthread_create(&d->thread, NULL, dev_thread, d)) {
			unit_destroy(d);
			pthread_mutex_destroy(&d->exec);
			free(d);
			return NULL;
		}
		d->has_thread = true;
	}
	return d;
}

void qr_dev_destroy(struct qr_dev *d)
{
	if (!d)
		return;
	if (d->has_thread) {
		atomic_store_explicit(&d->stop, true, memory_order_relaxed);
		pthread_join(d->thread, NULL);
	}
	/* The driver stops the unit: the caller sees everything it did. */
	exec_lock(d);
	as_unit(d, true, nothing, NULL);
	exec_unlock(d);
	unit_destroy(d);
	pthread_mutex_destroy(&d->exec);
	free(d);
}

static void set_queue(struct qr_dev *d, void *q)
{
	d->q = *(const struct vtd_queue *)q;
	d->idle = true;
	atomic_store_explicit(&d->iqh, 0, memory_order_relaxed);
	atomic_store_explicit(&d->iqt, 0, memory_order_relaxed);
	atomic_store_explicit(&d->fsts, 0, memory_order_relaxed);
	atomic_store_explicit(&d->iqer, 0, memory_order_relaxed);
}

/* The driver programs IQA (and resets the unit): a synchronous command. */
void qr_dev_set_queue(struct qr_dev *d, void *desc, u32 slots, u32 desc_size,
		      u32 *status, u32 nstatus)
{
	struct vtd_queue q = { .desc = desc, .slots = slots, .desc_size = desc_size,
			       .status = status, .nstatus = nstatus };

	exec_lock(d);
	as_unit(d, true, set_queue, &q);
	exec_unlock(d);
}

/* Raise a relaxed maximum. */
static void cnt_max(_Atomic u64 *m, u64 v)
{
	u64 old = atomic_load_explicit(m, memory_order_relaxed);

	while (v > old &&
	       !atomic_compare_exchange_weak_explicit(m, &old, v, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

/*
 * Wait descriptors in [from, to): the submissions one tail write publishes.
 * The writer's own context, after its writes: plain reads are ordered.
 */
static u32 count_waits(const struct qr_dev *d, u32 from, u32 to)
{
	u32 mask = d->q.slots - 1, n = 0;

	for (; from != to; from = (from + 1) & mask)
		n += vtd_is_wait((const struct qiring_desc *)
				 (d->q.desc + (size_t)from * d->q.desc_size));
	return n;
}

void qr_dev_write_tail(void *hw, u32 index)
{
	struct qr_dev *d = hw;
	bool timed = d->prof.mmio_write_ns || d->prof.desc_ns || d->prof.doorbell_ns;
	u64 t0 = timed ? ktime_get_ns() : 0;
	u32 old = atomic_load_explicit(&d->iqt, memory_order_relaxed);

	CNT_INC(d, tail_writes);
	if (d->q.desc)
		cnt_max(&d->max_batch, count_waits(d, old, index & (d->q.slots - 1)));
	qr_dev_spin_ns(d->prof.mmio_write_ns);
	atomic_store_explicit(&d->doorbell_at, ktime_get_ns(), memory_order_relaxed);
	/* Pairs with the executor's acquire: descriptors below are visible. */
	atomic_store_explicit(&d->iqt, index & (d->q.slots - 1), memory_order_release);
	if (d->prof.sync_exec) {
		/* A trapping tail write: the VMM runs the queue, then returns. */
		exec_lock(d);
		as_unit(d, false, sync_run, NULL);
		exec_unlock(d);
	}
	if (timed)
		cnt_max(&d->max_tail_write_ns, ktime_get_ns() - t0);
}

u32 qr_dev_read_head(void *hw)
{
	struct qr_dev *d = hw;

	if (d->cfg.mode == QR_DEV_LAZY)
		lazy_advance(d);
	CNT_INC(d, head_reads);
	qr_dev_spin_ns(d->prof.mmio_read_ns);
	/* Pairs with the executor's release after each descriptor. */
	return atomic_load_explicit(&d->iqh, memory_order_acquire);
}

u32 qr_dev_read_fault(void *hw)
{
	struct qr_dev *d = hw;

	if (d->cfg.mode == QR_DEV_LAZY)
		lazy_advance(d);
	CNT_INC(d, fault_reads);
	qr_dev_spin_ns(d->prof.mmio_read_ns);
	/* Pairs with the release RMW that raised the fault. */
	return atomic_load_explicit(&d->fsts, memory_order_acquire) & FSTS_ALL;
}

void qr_dev_clear_fault(void *hw, u32 bits)
{
	struct qr_dev *d = hw;

	CNT_INC(d, fault_clears);
	qr_dev_spin_ns(d->prof.mmio_write_ns);
	/* Write-1-to-clear. Release: a descriptor rewritten before this is
	 * what the executor fetches after it (pairs with exec_one's acquire). */
	atomic_fetch_and_explicit(&d->fsts, ~(bits & FSTS_ALL), memory_order_release);
	if (d->prof.sync_exec && (bits & FSTS_STOP)) {
		exec_lock(d);
		as_unit(d, false, sync_run, NULL);
		exec_unlock(d);
	}
}

void qr_dev_relax(void *hw)
{
	struct qr_dev *d = hw;
	static __thread unsigned int spins;

	if (d->cfg.on_relax)
		d->cfg.on_relax(d->cfg.on_relax_arg);
	if (d->cfg.mode == QR_DEV_LAZY)
		lazy_advance(d);
	if (++spins % 64 == 0) {
		/*
		 * Spin, then yield: with more runnable threads than CPUs the
		 * one we wait for (the device thread, or a preempted owner
		 * that still has to write and publish its slots) needs ours.
		 */
		sched_yield();
		return;
	}
	cpu_relax();
}

const struct qiring_hw_ops qr_dev_hw_ops = {
	.write_tail = qr_dev_write_tail,
	.read_head = qr_dev_read_head,
	.read_fault = qr_dev_read_fault,
	.clear_fault = qr_dev_clear_fault,
	.relax = qr_dev_relax,
};

u32 qr_dev_read_tail(struct qr_dev *d)
{
	return atomic_load_explicit(&d->iqt, memory_order_acquire);
}

u64 qr_dev_read_iqer(struct qr_dev *d)
{
	return atomic_load_explicit(&d->iqer, memory_order_relaxed);
}

/* A test's synchronous "run now": the caller waits and sees the result. */
void qr_dev_run(struct qr_dev *d)
{
	u32 n = UINT32_MAX;

	exec_lock(d);
	as_unit(d, true, run_n, &n);
	exec_unlock(d);
}

u32 qr_dev_step(struct qr_dev *d, u32 n)
{
	exec_lock(d);
	as_unit(d, true, run_n, &n);
	exec_unlock(d);
	return n;
}

void qr_dev_inject_ite_at(struct qr_dev *d, u32 slot)
{
	atomic_store_explicit(&d->ite_at, slot + 1, memory_order_relaxed);
}

void qr_dev_inject_ice_at(struct qr_dev *d, u32 slot)
{
	atomic_store_explicit(&d->ice_at, slot + 1, memory_order_relaxed);
}

static void set_profile(struct qr_dev *d, void *p)
{
	d->prof = *(const struct qr_dev_profile *)p;
}

void qr_dev_set_profile(struct qr_dev *d, const struct qr_dev_profile *p)
{
	exec_lock(d);
	as_unit(d, true, set_profile, (void *)p);
	exec_unlock(d);
}

/*
 * Counters are atomics; the call also lets the caller see what the unit's
 * callbacks recorded (a test reads its checker after the run).
 */
void qr_dev_get_counters(struct qr_dev *d, struct qr_dev_counters *c)
{
	exec_lock(d);
	as_unit(d, true, nothing, NULL);
	exec_unlock(d);

#define LD(f) atomic_load_explicit(&d->f, memory_order_relaxed)
	c->tail_writes = LD(tail_writes);
	c->head_reads = LD(head_reads);
	c->fault_reads = LD(fault_reads);
	c->fault_clears = LD(fault_clears);
	c->executed = LD(executed);
	c->waits_written = LD(waits_written);
	c->iqe = LD(iqe);
	c->ite = LD(ite);
	c->ice = LD(ice);
	c->aborted_waits = LD(aborted_waits);
	c->bad_status_addr = LD(bad_status_addr);
	c->max_batch = LD(max_batch);
	c->max_tail_write_ns = LD(max_tail_write_ns);
#undef LD
}
