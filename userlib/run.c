// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the run loop of a vCPU, running every vCPU on its own thread,
 * stopping a VM (from any thread or a signal handler), and the guest's
 * CPUID.
 *
 * Stopping: the first vmm_vm_stop() wins a compare-and-swap on
 * vm->stopping, records why, sets immediate_exit in every vCPU's run
 * structure and sends the kick signal to every vCPU thread.  A vCPU in
 * the guest leaves it because of the signal; one about to enter returns
 * -EINTR at once because of immediate_exit; one in userspace sees
 * vm->stopping before its next VMM_RUN.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void kick_setup(struct vmm_vm *vm, int sig);

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static const char *const stop_names[] = {
	[VMM_STOP_NONE]			= "none",
	[VMM_STOP_HALT]			= "halt",
	[VMM_STOP_DEBUG_EXIT]		= "debug-exit",
	[VMM_STOP_REQUEST]		= "request",
	[VMM_STOP_SHUTDOWN]		= "shutdown",
	[VMM_STOP_FAIL_ENTRY]		= "entry-failure",
	[VMM_STOP_INTERNAL_ERROR]	= "internal-error",
	[VMM_STOP_SYSTEM_EVENT]		= "system-event",
	[VMM_STOP_UNHANDLED]		= "unhandled-exit",
	[VMM_STOP_ERROR]		= "error",
	[VMM_STOP_RESET]		= "reset",
};

const char *vmm_stop_reason_name(enum vmm_stop_reason reason)
{
	if ((unsigned int)reason < sizeof(stop_names) / sizeof(stop_names[0]))
		return stop_names[reason];
	return "?";
}

void vmm_vm_set_trace(struct vmm_vm *vm, FILE *f)
{
	if (vm)
		vm->trace = f;
}

/* ---- stopping ---- */

/*
 * thread and thread_live change under kick_lock, which a kick holds
 * around pthread_kill: a kick never signals a thread that has left the
 * loop (and may be gone).  The holders block every signal but the
 * kick, whose handler does nothing, so no handler spins on it.
 */
static void kick_lock(struct vmm_vcpu *vcpu)
{
	while (__atomic_exchange_n(&vcpu->kick_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void kick_unlock(struct vmm_vcpu *vcpu)
{
	__atomic_store_n(&vcpu->kick_lock, 0, __ATOMIC_RELEASE);
}

/* The calling thread starts (live 1) or ends (0) vcpu's loop. */
static void set_live(struct vmm_vcpu *vcpu, int live)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	kick_lock(vcpu);
	vcpu->thread = pthread_self();
	vcpu->thread_live = live;
	kick_unlock(vcpu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void vmm_vcpu_kick(struct vmm_vcpu *vcpu)
{
	STORE(&vcpu->run->immediate_exit, 1);
	kick_lock(vcpu);
	if (vcpu->thread_live)
		pthread_kill(vcpu->thread, vcpu->vm->kick_signal ?
			     vcpu->vm->kick_signal : VMM_KICK_SIGNAL);
	kick_unlock(vcpu);
}

static void kick_all(struct vmm_vm *vm)
{
	struct vmm_vcpu *v;

	/* stopping before immediate_exit (see the loop head). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (v = vm->vcpus; v; v = v->next)
		vmm_vcpu_kick(v);
}

/* Claim the stop; 1 if this caller won and must fill vm->stop. */
static int stop_claim(struct vmm_vm *vm)
{
	int expected = 0;

	return __atomic_compare_exchange_n(&vm->stopping, &expected, 1, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

int vmm_vm_stop(struct vmm_vm *vm, enum vmm_stop_reason reason, int64_t code)
{
	if (!vm)
		return -EINVAL;
	if (!stop_claim(vm))
		return -EALREADY;
	vm->stop.reason = reason;
	vm->stop.code = code;
	vm->stop.vcpu_id = -1;
	vm->stop.exit_reason = 0;
	vm->stop.rip = 0;
	vm->stop.cs_base = 0;
	vm->stop.exit[0] = '\0';
	STORE(&vm->stop_ready, 1);
	kick_all(vm);
	return 0;
}

int vmm_vcpu_stop_vm(struct vmm_vcpu *vcpu, enum vmm_stop_reason reason,
		     int64_t code)
{
	struct vmm_stop st;
	struct vmm_sregs sregs;
	struct vmm_regs regs;
	struct vmm_vm *vm;

	if (!vcpu)
		return -EINVAL;
	vm = vcpu->vm;
	if (LOAD(&vm->stopping))
		return -EALREADY;

	memset(&st, 0, sizeof(st));
	st.reason = reason;
	st.code = code;
	st.vcpu_id = (int)vcpu->id;
	st.exit_reason = vcpu->run->exit_reason;
	if (!vmm_vcpu_get_regs(vcpu, &regs))
		st.rip = regs.rip;
	if (!vmm_vcpu_get_sregs(vcpu, &sregs))
		st.cs_base = sregs.cs.base;
	vmm_exit_describe(vcpu->run, st.exit, sizeof(st.exit));

	if (!stop_claim(vm))
		return -EALREADY;
	vm->stop = st;
	STORE(&vm->stop_ready, 1);
	kick_all(vm);
	return 0;
}

int vmm_vm_stopped(const struct vmm_vm *vm)
{
	return vm && LOAD(&vm->stopping) ? 1 : 0;
}

void vmm_vm_clear_stop(struct vmm_vm *vm)
{
	struct vmm_vcpu *v;

	if (!vm)
		return;
	for (v = vm->vcpus; v; v = v->next)
		STORE(&v->run->immediate_exit, 0);
	memset(&vm->stop, 0, sizeof(vm->stop));
	STORE(&vm->stop_ready, 0);
	STORE(&vm->stopping, 0);
}

/* Copy the stop record once its writer has finished. */
static void stop_collect(struct vmm_vm *vm, struct vmm_stop *stop)
{
	if (!stop)
		return;
	if (!LOAD(&vm->stopping)) {
		memset(stop, 0, sizeof(*stop));
		stop->reason = VMM_STOP_NONE;
		stop->vcpu_id = -1;
		return;
	}
	while (!LOAD(&vm->stop_ready))
		sched_yield();
	*stop = vm->stop;
}

/* ---- the loop ---- */

static void trace_exit(struct vmm_vcpu *vcpu)
{
	struct vmm_regs regs;
	char buf[160];

	vmm_exit_describe(vcpu->run, buf, sizeof(buf));
	if (vmm_vcpu_get_regs(vcpu, &regs))
		regs.rip = 0;
	fprintf(vcpu->vm->trace, "vcpu%u rip %#" PRIx64 ": %s\n", vcpu->id,
		(uint64_t)regs.rip, buf);
}

/* Handle the vCPU's last exit; returns 1 to keep running, 0 to leave. */
static int handle_exit(struct vmm_vcpu *vcpu)
{
	struct vmm_run *run = vcpu->run;
	int ret;

	switch (run->exit_reason) {
	case VMM_EXIT_IO:
	case VMM_EXIT_MMIO:
		ret = vmm_vcpu_dispatch(vcpu);
		if (ret) {
			vmm_vcpu_stop_vm(vcpu, VMM_STOP_ERROR, ret);
			return 0;
		}
		return 1;
	case VMM_EXIT_HLT:
		/* With IF set an interrupt can end the halt. */
		if (vcpu->vm->intc && run->if_flag)
			return vcpu->vm->intc->halted(vcpu->vm->intc_opaque,
						      vcpu);
		return 0;
	case VMM_EXIT_IRQ_WINDOW_OPEN:
		/* The interrupt controller injects at the loop head. */
		return 1;
	case VMM_EXIT_SHUTDOWN:
		vmm_vcpu_stop_vm(vcpu, VMM_STOP_SHUTDOWN, 0);
		return 0;
	case VMM_EXIT_FAIL_ENTRY:
		vmm_vcpu_stop_vm(vcpu, VMM_STOP_FAIL_ENTRY,
				 (int64_t)run->fail_entry.hardware_entry_failure_reason);
		return 0;
	case VMM_EXIT_INTERNAL_ERROR:
		vmm_vcpu_stop_vm(vcpu, VMM_STOP_INTERNAL_ERROR,
				 run->internal.suberror);
		return 0;
	case VMM_EXIT_SYSTEM_EVENT:
		vmm_vcpu_stop_vm(vcpu, VMM_STOP_SYSTEM_EVENT,
				 run->system_event.type);
		return 0;
	case VMM_EXIT_INTR:
		/* Interrupted by a signal with nothing to do: go on. */
		return 1;
	default:
		vmm_vcpu_stop_vm(vcpu, VMM_STOP_UNHANDLED, run->exit_reason);
		return 0;
	}
}

/* The caller has counted this loop in vm->loops already. */
static void vcpu_loop(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	int ret;

	for (;;) {
		if (LOAD(&vm->stopping))
			break;
		if (vm->intc) {
			/*
			 * A kick sets immediate_exit to get here; clear it
			 * before looking at the stop flag, so a stop that
			 * comes later keeps its immediate_exit, and before
			 * prepare, so a kick after prepare stops the entry.
			 */
			STORE(&vcpu->run->immediate_exit, 0);
			/* The store before the load, as vmm_vm_stop orders
			 * its own: one of the two sees the other. */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (LOAD(&vm->stopping))
				break;
			ret = vm->intc->prepare(vm->intc_opaque, vcpu);
			if (ret) {
				vmm_vcpu_stop_vm(vcpu, VMM_STOP_ERROR, ret);
				break;
			}
		}
		ret = vmm_vcpu_run(vcpu);
		if (ret == -EINTR || ret == -EAGAIN)
			continue;	/* the loop head decides */
		if (ret) {
			vmm_vcpu_stop_vm(vcpu, VMM_STOP_ERROR, ret);
			break;
		}
		if (vm->trace)
			trace_exit(vcpu);
		if (!handle_exit(vcpu)) {
			/* A HLT ends this vCPU; the last one stops the VM. */
			break;
		}
	}

	if (__atomic_sub_fetch(&vm->loops, 1, __ATOMIC_ACQ_REL) == 0 &&
	    vcpu->run->exit_reason == VMM_EXIT_HLT && !LOAD(&vm->stopping))
		vmm_vcpu_stop_vm(vcpu, VMM_STOP_HALT, 0);
}

int vmm_vcpu_loop(struct vmm_vcpu *vcpu, struct vmm_stop *stop)
{
	if (!vcpu)
		return -EINVAL;
	/* Let vmm_vm_stop kick this thread too. */
	kick_setup(vcpu->vm, vcpu->vm->kick_signal ? vcpu->vm->kick_signal :
		   VMM_KICK_SIGNAL);
	set_live(vcpu, 1);
	__atomic_add_fetch(&vcpu->vm->loops, 1, __ATOMIC_ACQ_REL);
	vcpu_loop(vcpu);
	set_live(vcpu, 0);
	stop_collect(vcpu->vm, stop);
	return 0;
}

void vmm_vm_set_intc(struct vmm_vm *vm, const struct vmm_intc_ops *ops,
		     void *opaque)
{
	if (!vm)
		return;
	vm->intc = ops;
	vm->intc_opaque = opaque;
}

/* ---- one thread per vCPU ---- */

static void kick_handler(int sig)
{
	(void)sig;
}

/* A no-op handler, so the kick interrupts VMM_RUN but kills nothing. */
static void kick_setup(struct vmm_vm *vm, int sig)
{
	struct sigaction sa;

	vm->kick_signal = sig;
	if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = kick_handler;
		sigemptyset(&sa.sa_mask);
		sigaction(sig, &sa, NULL);
	}
}

static void *vcpu_thread(void *arg)
{
	set_live(arg, 1);
	vcpu_loop(arg);
	set_live(arg, 0);
	return NULL;
}

int vmm_vm_run(struct vmm_vm *vm, int kick_signal, struct vmm_stop *stop)
{
	sigset_t all, old;
	struct vmm_vcpu *v;
	size_t n = 0, started = 0;
	int ret = 0;

	if (!vm || !vm->vcpus)
		return -EINVAL;
	if (!kick_signal)
		kick_signal = VMM_KICK_SIGNAL;

	kick_setup(vm, kick_signal);

	/*
	 * The vCPU threads inherit a mask with everything blocked but the
	 * kick, so other signals go to the caller's threads.  Every loop is
	 * counted before any thread starts: a vCPU halting at once must not
	 * stop the VM while the others are still starting.
	 */
	for (v = vm->vcpus; v; v = v->next)
		n++;
	__atomic_add_fetch(&vm->loops, (int)n, __ATOMIC_ACQ_REL);
	sigfillset(&all);
	sigdelset(&all, kick_signal);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (v = vm->vcpus; v; v = v->next) {
		int err = pthread_create(&v->join, NULL, vcpu_thread, v);

		if (err) {
			ret = -err;
			break;
		}
		v->join_ok = true;
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		vmm_vm_stop(vm, VMM_STOP_ERROR, ret);
		__atomic_sub_fetch(&vm->loops, (int)(n - started),
				   __ATOMIC_ACQ_REL);
	}

	for (v = vm->vcpus; v; v = v->next) {
		if (!v->join_ok)
			continue;
		pthread_join(v->join, NULL);
		v->join_ok = false;
	}
	stop_collect(vm, stop);
	return ret;
}

/* ---- CPUID ---- */

/*
 * The vCPU's APIC ID; and no local APIC in CPUID.1:EDX bit 9: the
 * module offers it for VMMs that emulate one (QEMU), libvmm has none.
 */
static void set_apic_id(struct vmm_cpuid2 *list, uint32_t id)
{
	for (uint32_t i = 0; i < list->nent; i++) {
		struct vmm_cpuid_entry2 *e = &list->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffU) | (id << 24);
			e->edx &= ~(1U << 9);
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = id;
		}
	}
}

int vmm_vcpu_setup_cpuid(struct vmm_vcpu *vcpu,
			 const struct vmm_cpuid_entry2 *overrides, size_t n)
{
	struct vmm_cpuid2 *list, *grown;
	int ret;

	if (!vcpu || (n && !overrides))
		return -EINVAL;
	ret = vmm_get_supported_cpuid(vcpu->vm->dev, &list);
	if (ret)
		return ret;
	grown = realloc(list, sizeof(*list) +
			(list->nent + n) * sizeof(list->entries[0]));
	if (!grown) {
		free(list);
		return -ENOMEM;
	}
	list = grown;
	set_apic_id(list, vcpu->id);

	for (size_t i = 0; i < n; i++) {
		const struct vmm_cpuid_entry2 *o = &overrides[i];
		bool idx = o->flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX;
		uint32_t j;

		for (j = 0; j < list->nent; j++) {
			struct vmm_cpuid_entry2 *e = &list->entries[j];

			if (e->function == o->function &&
			    (!idx || e->index == o->index))
				break;
		}
		list->entries[j] = *o;
		if (j == list->nent)
			list->nent++;
	}
	ret = vmm_vcpu_set_cpuid(vcpu, list);
	free(list);
	return ret;
}
