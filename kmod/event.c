// SPDX-License-Identifier: GPL-2.0
/*
 * Events: the exceptions, NMIs and external interrupts a vCPU holds
 * between two instructions, and their delivery through VM entry.
 *
 * The interrupt controller lives in userspace (KVM's protocol without an
 * in-kernel irqchip).  Userspace queues a vector with VMM_INTERRUPT when
 * the run structure says the guest is ready for one, or asks for an
 * interrupt window; VMM_NMI queues an NMI.  The module queues the
 * exceptions it raises itself (#GP, #UD, #PF, ...).
 *
 * State, in struct vmm_events:
 *
 *  inj      One event whose delivery has begun: it was cut short by a VM
 *           exit (IDT-vectoring information, SDM Vol. 3C 28.2.4), or
 *           userspace restored it (SET_VCPU_EVENTS).  It goes in again at
 *           the next entry whatever the guest's IF, and is never lost:
 *           an entry that does not happen hands it back (events_cancel).
 *  exc      An exception the module raised, not yet delivered.
 *  irq      The vector of VMM_INTERRUPT, delivered when RFLAGS.IF is set
 *           and no STI or MOV-SS shadow is in force.
 *  nmis     VMM_NMIs not yet delivered (at most two, or one while an NMI
 *           is being handled: the CPU latches one NMI behind the one in
 *           service).
 *
 * Each entry delivers at most one event (the VM-entry interruption-
 * information field), by priority: inj, exc, NMI, interrupt.  Whatever
 * remains waits for the window that lets it in: interrupt-window exiting
 * (the guest can take an interrupt) or NMI-window exiting (virtual-NMI
 * blocking ended with the guest's IRET, SDM Vol. 3C 25.3, 26.7.6).
 *
 * Everything here runs in the vCPU's thread with its VMCS current.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/trapnr.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "debug.h"

#define SHADOW		(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)
#define INFO_KEEP	(INTR_INFO_VECTOR_MASK | INTR_INFO_INTR_TYPE_MASK | \
			 INTR_INFO_DELIVER_CODE_MASK | INTR_INFO_VALID_MASK)
#define NMI_INFO	(X86_TRAP_NMI | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK)

static void events_update(struct vmm_events *ev)
{
	ev->work = ev->inj || ev->exc || ev->irq >= 0 || ev->nmis ||
		   ev->user_window || ev->triple_fault;
}

static void intr_change(u32 clear, u32 set)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, (intr & ~clear) | set);
}

void vmm_events_reset(struct vmm_vcpu *vcpu)
{
	struct vmm_events *ev = &vcpu->ev;

	ev->inj = 0;
	ev->exc = 0;
	ev->irq = -1;
	ev->nmis = 0;
	ev->user_window = false;
	ev->triple_fault = false;
	events_update(ev);
}

static bool has_error_code(u8 vector)
{
	return vector == X86_TRAP_DF || vector == X86_TRAP_TS ||
	       vector == X86_TRAP_NP || vector == X86_TRAP_SS ||
	       vector == X86_TRAP_GP || vector == X86_TRAP_PF ||
	       vector == X86_TRAP_AC;
}

/* Contributory exceptions (SDM Vol. 3A 6.15, table 6-5). */
static bool contributory(u8 vector)
{
	return vector == X86_TRAP_DE || vector == X86_TRAP_TS ||
	       vector == X86_TRAP_NP || vector == X86_TRAP_SS ||
	       vector == X86_TRAP_GP;
}

/* Faults push RFLAGS with RF set (SDM Vol. 3A 18.3.1.1); traps do not. */
static bool fault_class(u8 vector)
{
	return vector != X86_TRAP_DB && vector != X86_TRAP_BP &&
	       vector != X86_TRAP_OF && vector != X86_TRAP_DF &&
	       vector != X86_TRAP_MC && vector != X86_TRAP_NMI;
}

/*
 * The module raises an exception in the guest.  One raised while another
 * event was being delivered follows the SDM's double-fault rules (Vol. 3A
 * 6.15, table 6-5): a contributory or page fault on top of a contributory
 * or page fault is #DF, anything on top of #DF shuts the guest down; an
 * interrupt or NMI cut short goes back to its queue.
 */
void vmm_inject_exception(struct vmm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error)
{
	struct vmm_events *ev = &vcpu->ev;
	u32 type = ev->inj & INTR_INFO_INTR_TYPE_MASK;
	u8 prev = ev->inj & INTR_INFO_VECTOR_MASK;

	if (ev->inj && type == INTR_TYPE_HARD_EXCEPTION) {
		if (prev == X86_TRAP_DF) {
			ev->inj = 0;
			ev->triple_fault = true;
			events_update(ev);
			return;
		}
		/* Contributory then #PF is handled serially (table 6-5). */
		if ((contributory(prev) && contributory(vector)) ||
		    (prev == X86_TRAP_PF &&
		     (contributory(vector) || vector == X86_TRAP_PF))) {
			vector = X86_TRAP_DF;
			has_error = true;
			error = 0;
		}
		/* Benign pairs: the first is lost and comes back on retry. */
		ev->inj = 0;
	} else if (ev->inj) {
		/* Never both: VMM_INTERRUPT refuses while one goes in. */
		if (type == INTR_TYPE_EXT_INTR && !WARN_ON_ONCE(ev->irq >= 0))
			ev->irq = prev;
		else if (type == INTR_TYPE_NMI_INTR)
			ev->nmis = min(ev->nmis + 1, 2);
		/* A software interrupt's INT n runs again. */
		ev->inj = 0;
	}
	ev->exc = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;
	if (has_error)
		ev->exc |= INTR_INFO_DELIVER_CODE_MASK;
	ev->exc_error = error;
	events_update(ev);
}

/*
 * An event the CPU stopped at the exit and that goes in as it is (ICEBP:
 * a privileged software exception, with its instruction's length).
 */
void vmm_inject_event(struct vmm_vcpu *vcpu, u32 info, u32 len)
{
	struct vmm_events *ev = &vcpu->ev;

	ev->inj = info & INFO_KEEP;
	ev->inj_error = 0;
	ev->inj_len = len;
	events_update(ev);
}

/*
 * After an exit that can interrupt event delivery: take the event back
 * from the IDT-vectoring information.  Called with the VMCS current.
 */
void vmm_events_exit(struct vmm_vcpu *vcpu)
{
	struct vmm_events *ev = &vcpu->ev;
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	ev->inj = info & INFO_KEEP;
	if (info & VECTORING_INFO_DELIVER_CODE_MASK)
		ev->inj_error = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		ev->inj_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	/*
	 * An NMI cut short left virtual-NMI blocking set; injecting it again
	 * needs it clear (SDM Vol. 3C 27.3.1.5) and sets it again.
	 */
	if (type == INTR_TYPE_NMI_INTR)
		intr_change(GUEST_INTR_STATE_NMI, 0);
	events_update(ev);
}

/*
 * A fault in the guest's IRET (an exception or EPT violation exit with
 * "NMI unblocking due to IRET" set, and no event being delivered) undid
 * the IRET, so NMI blocking comes back (SDM Vol. 3C 28.2.3).
 */
void vmm_events_iret_fault(void)
{
	if (!(vmcs_read32(IDT_VECTORING_INFO_FIELD) & VECTORING_INFO_VALID_MASK))
		intr_change(0, GUEST_INTR_STATE_NMI);
}

static void set_window(struct vmm_vcpu *vcpu, u32 want)
{
	u32 ctl = (vcpu->cpu_based & ~(CPU_BASED_INTR_WINDOW_EXITING |
				       CPU_BASED_NMI_WINDOW_EXITING)) | want;

	if (ctl != vcpu->cpu_based) {
		vcpu->cpu_based = ctl;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, ctl);
	}
}

/* The VM-entry fields for one event, checked as VM entry would. */
static void write_event(struct vmm_vcpu *vcpu, u32 info, u32 error, u32 len)
{
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = info & INTR_INFO_VECTOR_MASK;
	bool pe = vmcs_readl(GUEST_CR0) & X86_CR0_PE;

	/*
	 * An error code goes with the vectors that have one, and never in
	 * real mode (SDM Vol. 3C 27.2.1.3; Bochs sets the bit for a #GP cut
	 * short in real mode, the SDM's entry check wins).
	 */
	info &= ~INTR_INFO_DELIVER_CODE_MASK;
	if (type == INTR_TYPE_HARD_EXCEPTION && pe && has_error_code(vector)) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, len);
	if (type == INTR_TYPE_HARD_EXCEPTION && fault_class(vector))
		vmcs_writel(GUEST_RFLAGS,
			    vmcs_readl(GUEST_RFLAGS) | X86_EFLAGS_RF);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

static bool irq_allowed(u32 intr)
{
	return (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF) && !(intr & SHADOW);
}

/*
 * Just before VM entry, interrupts off, when ev->work: put the most urgent
 * event in the VM-entry fields and open the windows the rest waits for.
 */
void vmm_events_inject(struct vmm_vcpu *vcpu)
{
	struct vmm_events *ev = &vcpu->ev;
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	u32 want = 0, info = 0, type;

	if (ev->inj) {
		info = ev->inj;
		type = info & INTR_INFO_INTR_TYPE_MASK;
		/*
		 * Userspace may have changed RFLAGS or the shadow since: an
		 * entry with an interrupt the guest cannot take, or an NMI
		 * in a MOV-SS shadow, would fail (SDM Vol. 3C 27.3.1.5).
		 * Such an event waits in its queue instead.
		 */
		if (type == INTR_TYPE_EXT_INTR && !irq_allowed(intr)) {
			if (!WARN_ON_ONCE(ev->irq >= 0))
				ev->irq = info & INTR_INFO_VECTOR_MASK;
			info = 0;
		} else if (type == INTR_TYPE_NMI_INTR &&
			   (intr & (SHADOW | GUEST_INTR_STATE_NMI))) {
			ev->nmis = min(ev->nmis + 1, 2);
			info = 0;
		}
		if (info)
			write_event(vcpu, info, ev->inj_error, ev->inj_len);
		ev->inj = 0;
	} else if (ev->exc) {
		info = ev->exc;
		write_event(vcpu, info, ev->exc_error, 0);
		ev->exc = 0;
	}

	if (ev->nmis) {
		if (!info && !(intr & (SHADOW | GUEST_INTR_STATE_NMI))) {
			info = NMI_INFO;
			write_event(vcpu, info, 0, 0);
			ev->nmis--;
		}
		if (ev->nmis)
			want |= CPU_BASED_NMI_WINDOW_EXITING;
	}
	if (ev->irq >= 0) {
		if (!info && irq_allowed(intr)) {
			info = ev->irq | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK;
			write_event(vcpu, info, 0, 0);
			ev->irq = -1;
		} else {
			want |= CPU_BASED_INTR_WINDOW_EXITING;
		}
	}
	if (ev->user_window)
		want |= CPU_BASED_INTR_WINDOW_EXITING;
	set_window(vcpu, want);
	events_update(ev);
}

/*
 * The entry did not happen after all (a signal, a reschedule): the event
 * in the VM-entry fields goes back to ev->inj, where GET_VCPU_EVENTS sees
 * it and the next entry finds it.
 */
void vmm_events_cancel(struct vmm_vcpu *vcpu)
{
	struct vmm_events *ev = &vcpu->ev;
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);

	if (!(info & INTR_INFO_VALID_MASK))
		return;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	ev->inj = info & INFO_KEEP;
	ev->inj_error = vmcs_read32(VM_ENTRY_EXCEPTION_ERROR_CODE);
	ev->inj_len = vmcs_read32(VM_ENTRY_INSTRUCTION_LEN);
	events_update(ev);
}

/* Would a vector queued now go in at the next entry? */
static bool ready_for_irq(struct vmm_vcpu *vcpu)
{
	const struct vmm_events *ev = &vcpu->ev;

	return !ev->inj && !ev->exc && ev->irq < 0 &&
	       irq_allowed(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO));
}

/*
 * Before an entry, when ev->work: should the vCPU go to userspace instead?
 * Yes after a fault during #DF delivery (VMM_EXIT_SHUTDOWN), and when
 * userspace asked for an interrupt window and the guest can take an
 * interrupt now (VMM_EXIT_IRQ_WINDOW_OPEN).
 */
bool vmm_events_stop(struct vmm_vcpu *vcpu)
{
	struct vmm_events *ev = &vcpu->ev;

	if (ev->triple_fault) {
		ev->triple_fault = false;
		events_update(ev);
		vcpu->run->exit_reason = VMM_EXIT_SHUTDOWN;
		return true;
	}
	if (!ev->user_window || !ready_for_irq(vcpu))
		return false;
	vcpu->run->exit_reason = VMM_EXIT_IRQ_WINDOW_OPEN;
	return true;
}

int vmm_handle_irq_window(struct vmm_vcpu *vcpu)
{
	/* The next entry opens the window again if still wanted. */
	set_window(vcpu, vcpu->cpu_based & CPU_BASED_NMI_WINDOW_EXITING);
	if (vmm_events_stop(vcpu))
		return EXIT_USER;
	return EXIT_RESUME;
}

int vmm_handle_nmi_window(struct vmm_vcpu *vcpu)
{
	set_window(vcpu, vcpu->cpu_based & CPU_BASED_INTR_WINDOW_EXITING);
	return EXIT_RESUME;
}

/*
 * Before the first entry after userspace changed registers, the mode or
 * the events (SET_REGS, SET_SREGS, SET_MSRS, SET_VCPU_EVENTS: in any
 * order, so only now is the state final): what VM entry would refuse
 * (SDM Vol. 3C 27.3.1.1, 27.3.1.4-5) is refused here, never handed to
 * the CPU.  Returns false, with a VMM_EXIT_FAIL_ENTRY for userspace,
 * when the state is invalid: RFLAGS.VM outside protected mode or in
 * IA-32e mode, EFER.LMA against the IA-32e mode control, CR0.PG and
 * CR4.PAE.  What the CPU itself would keep consistent is made so: STI
 * blocking needs IF set; under STI or MOV-SS blocking, BS in the
 * pending debug exceptions follows TF.
 */
bool vmm_events_check_state(struct vmm_vcpu *vcpu)
{
	unsigned long rflags = vmcs_readl(GUEST_RFLAGS);
	unsigned long cr0 = vmcs_readl(GUEST_CR0);
	bool ia32e = vmcs_read32(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE;
	u64 efer = vmcs_read64(GUEST_IA32_EFER);
	bool bad;

	vcpu->check_state = false;
	bad = ((rflags & X86_EFLAGS_VM) && (!(cr0 & X86_CR0_PE) || ia32e)) ||
	      !!(efer & EFER_LMA) != ia32e ||
	      (ia32e && (!(cr0 & X86_CR0_PG) ||
			 !(vmcs_readl(GUEST_CR4) & X86_CR4_PAE))) ||
	      ((cr0 & X86_CR0_PG) && !!(efer & EFER_LME) != ia32e);
	if (bad) {
		vcpu->check_state = true;	/* until userspace fixes it */
		vcpu->run->exit_reason = VMM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason =
			EXIT_REASON_INVALID_STATE;
		vcpu->run->fail_entry.cpu = raw_smp_processor_id();
		return false;
	}
	if (!(rflags & X86_EFLAGS_IF))
		intr_change(GUEST_INTR_STATE_STI, 0);
	vmm_debug_fix_bs();
	return true;
}

/* Fill if_flag and ready_for_interrupt_injection for userspace. */
void vmm_events_report(struct vmm_vcpu *vcpu)
{
	const struct vmm_events *ev = &vcpu->ev;
	struct vmm_run *run = vcpu->run;
	unsigned long rflags;
	u32 intr = 0;

	/* An instruction completed since the last entry: no shadow left. */
	if (likely(vcpu->retired)) {
		rflags = vcpu->retired_rflags;
	} else if (!vmm_vcpu_get(vcpu)) {
		rflags = vmcs_readl(GUEST_RFLAGS);
		intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
		vmm_vcpu_put(vcpu);
	} else {
		rflags = 0;
	}
	run->if_flag = !!(rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = run->if_flag && !(intr & SHADOW) &&
		!ev->inj && !ev->exc && ev->irq < 0;
}

/* Start of VMM_RUN: what userspace asked for in the run structure. */
void vmm_events_run(struct vmm_vcpu *vcpu)
{
	vcpu->ev.user_window = READ_ONCE(vcpu->run->request_interrupt_window);
	events_update(&vcpu->ev);
}

/* ---- ioctls ---- */

static int queue_irq(struct vmm_vcpu *vcpu, u32 irq)
{
	struct vmm_events *ev = &vcpu->ev;

	if (irq > 255)
		return -EINVAL;
	/*
	 * One external interrupt at a time, queued or going in again: an
	 * interrupt cut short never has to wait behind a second one.
	 */
	if (ev->irq >= 0 ||
	    (ev->inj && (ev->inj & INTR_INFO_INTR_TYPE_MASK) ==
	     INTR_TYPE_EXT_INTR))
		return -EEXIST;
	ev->irq = irq;
	events_update(ev);
	return 0;
}

static int queue_nmi(struct vmm_vcpu *vcpu)
{
	struct vmm_events *ev = &vcpu->ev;
	int limit = 2, r = vmm_vcpu_get(vcpu);

	if (r)
		return r;
	/* One NMI in service (or going in) leaves room for one more. */
	if ((vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI) ||
	    (ev->inj & ~INTR_INFO_DELIVER_CODE_MASK) == NMI_INFO)
		limit = 1;
	vmm_vcpu_put(vcpu);
	ev->nmis = min(ev->nmis + 1, limit);
	events_update(ev);
	return 0;
}

/* A soft event (INT n, INT3, INTO) runs again from its instruction. */
static bool inj_soft(u32 info)
{
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	return type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	       type == INTR_TYPE_PRIV_SW_EXCEPTION;
}

static void events_get(struct vmm_vcpu *vcpu, struct vmm_vcpu_events *e)
{
	const struct vmm_events *ev = &vcpu->ev;
	u32 type = ev->inj & INTR_INFO_INTR_TYPE_MASK;
	u32 exc = 0, error = 0, intr;

	memset(e, 0, sizeof(*e));
	if (ev->inj && type == INTR_TYPE_HARD_EXCEPTION) {
		exc = ev->inj;
		error = ev->inj_error;
	} else if (ev->exc) {
		/* Without KVM_CAP_EXCEPTION_PAYLOAD, pending reads as injected. */
		exc = ev->exc;
		error = ev->exc_error;
	}
	if (exc) {
		e->exception.injected = 1;
		e->exception.nr = exc & INTR_INFO_VECTOR_MASK;
		e->exception.has_error_code =
			!!(exc & INTR_INFO_DELIVER_CODE_MASK);
		e->exception.error_code = error;
	}
	if (ev->inj && type == INTR_TYPE_EXT_INTR) {
		e->interrupt.injected = 1;
		e->interrupt.nr = ev->inj & INTR_INFO_VECTOR_MASK;
	} else if (ev->irq >= 0) {
		/* Queued and not yet delivered: vmm shows it, KVM does not. */
		e->interrupt.injected = 1;
		e->interrupt.nr = ev->irq;
	}
	intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & GUEST_INTR_STATE_STI)
		e->interrupt.shadow |= VMM_X86_SHADOW_INT_STI;
	if (intr & GUEST_INTR_STATE_MOV_SS)
		e->interrupt.shadow |= VMM_X86_SHADOW_INT_MOV_SS;
	e->nmi.injected = ev->inj && type == INTR_TYPE_NMI_INTR;
	e->nmi.pending = ev->nmis != 0;
	e->nmi.masked = !!(intr & GUEST_INTR_STATE_NMI);
	e->flags = VMM_VCPUEVENT_VALID_NMI_PENDING | VMM_VCPUEVENT_VALID_SHADOW;
}

#define EVENTS_FLAGS	(VMM_VCPUEVENT_VALID_NMI_PENDING | \
			 VMM_VCPUEVENT_VALID_SIPI_VECTOR | \
			 VMM_VCPUEVENT_VALID_SHADOW)

static int events_check(const struct vmm_vcpu_events *e)
{
	if (e->flags & ~EVENTS_FLAGS)
		return -EINVAL;
	/* Exception vectors are 0..31 and NMI is not one (SDM 27.2.1.3). */
	if (e->exception.injected &&
	    (e->exception.nr > 31 || e->exception.nr == X86_TRAP_NMI))
		return -EINVAL;
	if ((e->flags & VMM_VCPUEVENT_VALID_SHADOW) &&
	    (e->interrupt.shadow & ~(VMM_X86_SHADOW_INT_STI |
				     VMM_X86_SHADOW_INT_MOV_SS)))
		return -EINVAL;
	return 0;
}

/*
 * Restore: at most one event can be mid-delivery in hardware; with more
 * than one marked injected, the exception goes first and the others wait
 * in their queues.
 */
static void events_set(struct vmm_vcpu *vcpu, const struct vmm_vcpu_events *e)
{
	struct vmm_events *ev = &vcpu->ev;
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	ev->inj = 0;
	ev->exc = 0;
	ev->irq = -1;
	if (e->exception.injected) {
		ev->inj = e->exception.nr | INTR_TYPE_HARD_EXCEPTION |
			  INTR_INFO_VALID_MASK;
		if (e->exception.has_error_code)
			ev->inj |= INTR_INFO_DELIVER_CODE_MASK;
		ev->inj_error = e->exception.error_code;
	}
	/* Without VALID_NMI_PENDING the NMIs waiting stay, as in KVM. */
	if (e->flags & VMM_VCPUEVENT_VALID_NMI_PENDING)
		ev->nmis = !!e->nmi.pending;
	if (e->nmi.injected) {
		if (ev->inj)
			ev->nmis++;
		else
			ev->inj = NMI_INFO;
	}
	if (e->interrupt.injected && !e->interrupt.soft) {
		if (ev->inj)
			ev->irq = e->interrupt.nr;
		else
			ev->inj = e->interrupt.nr | INTR_TYPE_EXT_INTR |
				  INTR_INFO_VALID_MASK;
	}
	ev->nmis = min_t(u8, ev->nmis, 2);
	intr &= ~GUEST_INTR_STATE_NMI;
	if (e->nmi.masked)
		intr |= GUEST_INTR_STATE_NMI;
	if (e->flags & VMM_VCPUEVENT_VALID_SHADOW) {
		intr &= ~SHADOW;
		/* Both at once is not a state the CPU can be in (27.3.1.5). */
		if (e->interrupt.shadow & VMM_X86_SHADOW_INT_MOV_SS)
			intr |= GUEST_INTR_STATE_MOV_SS;
		else if (e->interrupt.shadow & VMM_X86_SHADOW_INT_STI)
			intr |= GUEST_INTR_STATE_STI;
	}
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr);
	vcpu->check_state = true;
	/* An injected NMI goes in with blocking clear, and sets it. */
	if ((ev->inj & ~INTR_INFO_DELIVER_CODE_MASK) == NMI_INFO)
		intr_change(GUEST_INTR_STATE_NMI, 0);
	events_update(ev);
}

/* sregs.interrupt_bitmap: the interrupt going in, one bit at most. */
void vmm_events_get_bitmap(struct vmm_vcpu *vcpu, u64 *bitmap)
{
	const struct vmm_events *ev = &vcpu->ev;
	int v = -1;

	if (ev->inj && (ev->inj & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_EXT_INTR)
		v = ev->inj & INTR_INFO_VECTOR_MASK;
	else if (ev->irq >= 0)
		v = ev->irq;
	if (v >= 0)
		bitmap[v / 64] |= 1ULL << (v % 64);
}

/*
 * SET_SREGS: the lowest set bit, if any, becomes the one external
 * interrupt the vCPU holds (it goes in at the next entry); an all-zero
 * bitmap changes nothing, as in KVM.
 */
void vmm_events_set_bitmap(struct vmm_vcpu *vcpu, const u64 *bitmap)
{
	struct vmm_events *ev = &vcpu->ev;
	u32 type = ev->inj & INTR_INFO_INTR_TYPE_MASK;
	int i, v;

	for (i = 0; i < 4 && !bitmap[i]; i++)
		;
	if (i == 4)
		return;
	v = i * 64 + __ffs64(bitmap[i]);
	ev->irq = -1;
	if (!ev->exc &&
	    (!ev->inj || type == INTR_TYPE_EXT_INTR || inj_soft(ev->inj)))
		ev->inj = v | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK;
	else
		ev->irq = v;	/* behind the exception or NMI going in */
	events_update(ev);
}

long vmm_events_ioctl(struct vmm_vcpu *vcpu, unsigned int ioctl,
		      void __user *argp)
{
	struct vmm_vcpu_events e;
	struct vmm_mp_state mp;
	struct vmm_interrupt irq;
	int r;

	switch (ioctl) {
	case VMM_INTERRUPT:
		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		return queue_irq(vcpu, irq.irq);
	case VMM_NMI:
		return queue_nmi(vcpu);
	case VMM_GET_MP_STATE:
		/* Without an in-kernel LAPIC userspace keeps HLT state. */
		mp.mp_state = VMM_MP_STATE_RUNNABLE;
		return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
	case VMM_SET_MP_STATE:
		if (copy_from_user(&mp, argp, sizeof(mp)))
			return -EFAULT;
		return mp.mp_state == VMM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
	case VMM_GET_VCPU_EVENTS:
		r = vmm_vcpu_get(vcpu);
		if (r)
			return r;
		events_get(vcpu, &e);
		vmm_vcpu_put(vcpu);
		return copy_to_user(argp, &e, sizeof(e)) ? -EFAULT : 0;
	case VMM_SET_VCPU_EVENTS:
		if (copy_from_user(&e, argp, sizeof(e)))
			return -EFAULT;
		r = events_check(&e);
		if (r)
			return r;
		r = vmm_vcpu_get(vcpu);
		if (r)
			return r;
		events_set(vcpu, &e);
		vmm_vcpu_put(vcpu);
		return 0;
	}
	return -ENOTTY;
}
