// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU run loop and VM-exit handling.
 *
 * Fast path: an exit the kernel can answer (CPUID, an MSR, a CR access)
 * is handled with preemption disabled and the guest re-entered at once;
 * nothing on that path allocates, sleeps or takes a lock.  Work that may
 * sleep (EPT faults, copying string I/O from guest memory) runs with
 * preemption enabled, after which the VMCS is loaded again if the thread
 * moved.  Exits that need userspace fill in the run structure and return.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/context_tracking.h>
#include <linux/hw_breakpoint.h>
#include <linux/jiffies.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/user-return-notifier.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/idtentry.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "genl.h"
#include "xstate.h"
#include "debug.h"

/* The host's NMI entry for hypervisors: renamed in Linux 6.6 (Kbuild). */
#ifdef VMM_HAVE_NMI_KVM_VMX
#define vmm_host_nmi_entry	asm_exc_nmi_kvm_vmx
#else
#define vmm_host_nmi_entry	asm_exc_nmi_noist
#endif

/* ---- MSRs the CPU does not switch: loaded lazily, put back lazily ---- */

static const u32 shared_msr_index[VMM_NR_SHARED_MSRS] = {
	[VMM_MSR_STAR] = MSR_STAR,
	[VMM_MSR_LSTAR] = MSR_LSTAR,
	[VMM_MSR_CSTAR] = MSR_CSTAR,
	[VMM_MSR_SFMASK] = MSR_SYSCALL_MASK,
	[VMM_MSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
};

/*
 * STAR, LSTAR, CSTAR and SFMASK are the same for every host task, so once
 * the guest's values are loaded they stay until this CPU next returns to
 * userspace (a user-return notifier puts the host's back).  KERNEL_GS_BASE
 * is per task, so it is put back before preemption is enabled.
 */
struct shared_msrs {
	struct user_return_notifier urn;
	bool registered;
	u64 host[VMM_NR_SHARED_MSRS];
	u64 curr[VMM_NR_SHARED_MSRS];
};

static DEFINE_PER_CPU(struct shared_msrs, shared_msrs);

static void shared_msrs_restore(struct user_return_notifier *urn)
{
	struct shared_msrs *s = container_of(urn, struct shared_msrs, urn);
	unsigned long flags;
	int i;

	local_irq_save(flags);
	for (i = 0; i < VMM_MSR_KERNEL_GS_BASE; i++) {
		if (s->curr[i] != s->host[i]) {
			wrmsrl(shared_msr_index[i], s->host[i]);
			s->curr[i] = s->host[i];
		}
	}
	user_return_notifier_unregister(urn);
	s->registered = false;
	local_irq_restore(flags);
}

/*
 * VMX is going off on this CPU (last VM gone, CPU offline): put the host
 * values back now, so no notifier of ours outlives the module.
 */
void vmm_shared_msrs_drop(void)
{
	struct shared_msrs *s = this_cpu_ptr(&shared_msrs);

	if (s->registered)
		shared_msrs_restore(&s->urn);
}

static void shared_msr_load(struct shared_msrs *s, int i, u64 val)
{
	if (likely(s->curr[i] == val))
		return;
	if (!s->registered) {
		int j;

		for (j = 0; j < VMM_MSR_KERNEL_GS_BASE; j++) {
			rdmsrl(shared_msr_index[j], s->host[j]);
			s->curr[j] = s->host[j];
		}
		s->urn.on_user_return = shared_msrs_restore;
		user_return_notifier_register(&s->urn);
		s->registered = true;
		if (s->curr[i] == val)
			return;
	}
	wrmsrl(shared_msr_index[i], val);
	s->curr[i] = val;
}

/* Interrupts off, just before entry. */
static void guest_msrs_load(struct vmm_vcpu *vcpu)
{
	struct shared_msrs *s = this_cpu_ptr(&shared_msrs);
	int i;

	/* SYSCALL MSRs matter to the guest only once it enables SYSCALL. */
	if (vcpu->efer & EFER_SCE)
		for (i = 0; i < VMM_MSR_KERNEL_GS_BASE; i++)
			shared_msr_load(s, i, vcpu->shared_msrs[i]);
	/* SWAPGS exists only in 64-bit mode. */
	if ((vcpu->efer & EFER_LME) && !vcpu->kgs_loaded) {
		u64 g = vcpu->shared_msrs[VMM_MSR_KERNEL_GS_BASE];

		rdmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kgs);
		if (g != vcpu->host_kgs)
			wrmsrl(MSR_KERNEL_GS_BASE, g);
		vcpu->kgs_loaded = true;
	}
}

/* Before preemption is enabled: the scheduler saves KERNEL_GS_BASE. */
static void guest_kgs_put(struct vmm_vcpu *vcpu)
{
	u64 g;

	if (!vcpu->kgs_loaded)
		return;
	rdmsrl(MSR_KERNEL_GS_BASE, g);
	vcpu->shared_msrs[VMM_MSR_KERNEL_GS_BASE] = g;
	if (g != vcpu->host_kgs)
		wrmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kgs);
	vcpu->kgs_loaded = false;
}

/* ---- Guest memory ---- */

/* A write the module made for the guest is a write for dirty logging. */
static void mark_dirty(struct vmm_vm *vm, u64 gfn)
{
	const struct vmm_memslot *s;
	int idx = srcu_read_lock(&vm->srcu);

	s = vmm_find_slot(vmm_slots(vm), gfn);
	if (s && s->dirty_bitmap)
		set_bit(gfn - s->base_gfn, s->dirty_bitmap);
	srcu_read_unlock(&vm->srcu, idx);
}

/*
 * Copy to or from guest-physical memory.  -EFAULT outside every slot,
 * -EPERM for a write to a read-only slot (the caller's emulation cannot
 * complete it: it is not RAM).
 */
static int guest_copy(struct vmm_vm *vm, u64 gpa, void *buf, size_t len,
		      bool write)
{
	while (len) {
		const struct vmm_memslot *s;
		size_t n = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));
		unsigned long hva = 0;
		bool ro = false;
		int r, idx;

		idx = srcu_read_lock(&vm->srcu);
		s = vmm_find_slot(vmm_slots(vm), gpa >> PAGE_SHIFT);
		if (s) {
			hva = s->hva + (gpa - (s->base_gfn << PAGE_SHIFT));
			ro = s->flags & VMM_MEM_READONLY;
		}
		srcu_read_unlock(&vm->srcu, idx);
		if (!hva)
			return -EFAULT;
		if (write && ro)
			return -EPERM;
		if (write)
			r = copy_to_user((void __user *)hva, buf, n);
		else
			r = copy_from_user(buf, (void __user *)hva, n);
		if (r)
			return -EFAULT;
		if (write)
			mark_dirty(vm, gpa >> PAGE_SHIFT);
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int vmm_read_guest(struct vmm_vm *vm, u64 gpa, void *buf, size_t len)
{
	return guest_copy(vm, gpa, buf, len, false);
}

int vmm_write_guest(struct vmm_vm *vm, u64 gpa, const void *buf, size_t len)
{
	return guest_copy(vm, gpa, (void *)buf, len, true);
}

/* ---- Events (event.c) ---- */

static int inject_gp(struct vmm_vcpu *vcpu)
{
	vmm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
	return EXIT_RESUME;
}

static int inject_ud(struct vmm_vcpu *vcpu)
{
	vmm_inject_exception(vcpu, X86_TRAP_UD, false, 0);
	return EXIT_RESUME;
}

/* ---- Instruction completion ---- */

/* An instruction retired: STI / MOV SS blocking ends with it. */
void vmm_clear_interrupt_shadow(void)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if (unlikely(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     intr & ~(GUEST_INTR_STATE_STI |
				      GUEST_INTR_STATE_MOV_SS));
}

/*
 * The instruction completed and the guest goes on at @next: the shadow
 * of an STI or MOV SS before it is over, and a single step is due.  The
 * RFLAGS read here also answers vmm_events_report() for this exit.
 */
void vmm_retire_insn(struct vmm_vcpu *vcpu, unsigned long next)
{
	unsigned long rflags = vmcs_readl(GUEST_RFLAGS);

	vmcs_writel(GUEST_RIP, next);
	vmm_clear_interrupt_shadow();
	vmm_debug_insn_done(vcpu, rflags);
	vcpu->retired_rflags = rflags & ~X86_EFLAGS_RF;
	vcpu->retired = true;
}

static void skip_instruction(struct vmm_vcpu *vcpu)
{
	unsigned long rip = vmcs_readl(GUEST_RIP);
	unsigned long next = rip + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);

	/* Outside 64-bit mode RIP wraps at 4 GiB; only a crossing matters. */
	if (unlikely((next ^ rip) >> 32) &&
	    !(vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
		next = (u32)next;
	vmm_retire_insn(vcpu, next);
}

static int internal_error(struct vmm_vcpu *vcpu, u32 suberror, u32 reason,
			  unsigned long qual);

/* ---- String port I/O ---- */

/* Capture the guest's paging state from the current VMCS. */
void vmm_walk_capture(struct vmm_walk *w)
{
	int i;

	w->cr0 = vmcs_readl(GUEST_CR0);
	w->cr3 = vmcs_readl(GUEST_CR3);
	w->cr4 = vmcs_readl(GUEST_CR4);
	w->efer = vmcs_read64(GUEST_IA32_EFER);
	for (i = 0; i < 4; i++)
		w->pdptr[i] = __vmcs_read(GUEST_PDPTR0 + 2 * i);
	w->user = ((vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3) == 3;
}

/*
 * Translate a guest linear address through the guest's own page tables
 * (32-bit, PAE or 4-level, SDM Vol. 3A 4.3-4.5).  Returns 0 and the
 * guest-physical address, -EFAULT with a #PF error code, or -EIO if a
 * table is outside guest memory.
 */
int vmm_gva_to_gpa(struct vmm_vm *vm, const struct vmm_walk *p, u64 gva,
		   bool write, u64 *gpa, u32 *pf)
{
	u32 err = (write ? X86_PF_WRITE : 0) | (p->user ? X86_PF_USER : 0);
	bool wp = p->cr0 & X86_CR0_WP;
	u64 table, e = 0, mask;
	int level, shift;

	if (!(p->cr0 & X86_CR0_PG)) {
		*gpa = (p->efer & EFER_LMA) ? gva : (u32)gva;
		return 0;
	}
	if (p->efer & EFER_LMA) {
		level = 4;
		table = p->cr3 & GENMASK_ULL(51, 12);
	} else if (p->cr4 & X86_CR4_PAE) {
		e = p->pdptr[(gva >> 30) & 3];
		if (!(e & 1))
			goto fault;
		level = 2;
		table = e & GENMASK_ULL(51, 12);
	} else {
		/* Two levels of 4-byte entries. */
		u32 pde, pte;

		if (vmm_read_guest(vm, (p->cr3 & ~0xfffULL) + ((gva >> 22) & 1023) * 4,
				   &pde, 4))
			return -EIO;
		if (!(pde & 1))
			goto fault;
		if (((write && (wp || p->user)) && !(pde & 2)) ||
		    (p->user && !(pde & 4)))
			goto prot;
		if ((pde & 0x80) && (p->cr4 & X86_CR4_PSE)) {
			*gpa = ((u64)(pde & 0xffc00000) |
				((u64)(pde >> 13) & 0xff) << 32) |
			       (gva & 0x3fffff);
			return 0;
		}
		if (vmm_read_guest(vm, (pde & ~0xfffULL) + ((gva >> 12) & 1023) * 4,
				   &pte, 4))
			return -EIO;
		if (!(pte & 1))
			goto fault;
		if (((write && (wp || p->user)) && !(pte & 2)) ||
		    (p->user && !(pte & 4)))
			goto prot;
		*gpa = (pte & ~0xfffULL) | (gva & 0xfff);
		return 0;
	}

	for (; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (vmm_read_guest(vm, table + ((gva >> shift) & 511) * 8, &e, 8))
			return -EIO;
		if (!(e & 1))
			goto fault;
		if (((write && (wp || p->user)) && !(e & 2)) ||
		    (p->user && !(e & 4)))
			goto prot;
		if (level == 1 || (level <= 3 && (e & 0x80))) {
			mask = (1ULL << shift) - 1;
			*gpa = (e & GENMASK_ULL(51, 12) & ~mask) | (gva & mask);
			return 0;
		}
		table = e & GENMASK_ULL(51, 12);
	}
fault:
	*pf = err;
	return -EFAULT;
prot:
	*pf = err | X86_PF_PROT;
	return -EFAULT;
}

/* Copy one round of a string instruction between guest and data page. */
static int pio_string_copy(struct vmm_vcpu *vcpu, bool to_guest)
{
	struct vmm_pio_string *p = &vcpu->pio_str;
	u8 *data = (u8 *)vcpu->run + VMM_PIO_OFFSET;
	unsigned long *reg = &vcpu->es.regs[p->reg];
	unsigned long off = *reg;
	int size = vcpu->pio_size, i, r;
	long step = p->down ? -size : size;

	for (i = 0; i < p->count; i++) {
		u64 gva = p->seg_base + (off & p->addr_mask), gpa;
		u32 pf;

		/* An element never straddles a page in practice; check anyway. */
		r = vmm_gva_to_gpa(vcpu->vm, &vcpu->walk, gva, to_guest, &gpa,
				   &pf);
		if (!r && offset_in_page(gpa) + size > PAGE_SIZE)
			r = -EIO;
		if (r == -EFAULT) {
			vcpu->pf_gva = gva;
			vcpu->pf_error = pf;
			return -EFAULT;
		}
		if (!r)
			r = to_guest ? vmm_write_guest(vcpu->vm, gpa, data, size) :
				       vmm_read_guest(vcpu->vm, gpa, data, size);
		if (r)
			return -EIO;
		data += size;
		off += step;
	}
	/* Update only the address-size part of RSI/RDI and RCX. */
	*reg = (*reg & ~p->addr_mask) | (off & p->addr_mask);
	if (p->rep)
		vcpu->es.regs[VMM_RCX] = (vcpu->es.regs[VMM_RCX] & ~p->addr_mask) |
			((vcpu->es.regs[VMM_RCX] - p->count) & p->addr_mask);
	return 0;
}

/* Slow path: VMCS not current.  Set RIP and, for faults, inject #PF. */
static int pio_finish(struct vmm_vcpu *vcpu, int copy_result)
{
	struct vmm_pio_string *p = &vcpu->pio_str;
	int r = vmm_vcpu_get(vcpu);

	if (r)
		return r;
	if (copy_result == -EFAULT) {
		vcpu->es.cr2 = vcpu->pf_gva;
		vmm_inject_exception(vcpu, X86_TRAP_PF, true, vcpu->pf_error);
	} else if (!copy_result && p->done) {
		vmm_retire_insn(vcpu, p->next_rip);
	}
	vmm_vcpu_put(vcpu);
	if (copy_result == -EIO) {
		internal_error(vcpu, VMM_INTERNAL_ERROR_EMULATION,
			       EXIT_REASON_IO_INSTRUCTION, 0);
		return EXIT_USER;
	}
	return EXIT_RESUME;
}

static int pio_outs_slow(struct vmm_vcpu *vcpu)
{
	int r = pio_string_copy(vcpu, false);
	int f = pio_finish(vcpu, r);

	/* Data in the page: now userspace consumes it. */
	if (r || f != EXIT_RESUME)
		return f;
	vcpu->run->exit_reason = VMM_EXIT_IO;
	return EXIT_USER;
}

static int handle_io(struct vmm_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	struct vmm_run *run = vcpu->run;
	int size = (qual & 7) + 1;
	bool in = qual & 8, string = qual & 16;
	struct vmm_pio_string *p = &vcpu->pio_str;
	u32 info;
	u64 count;

	run->io.direction = in ? VMM_EXIT_IO_IN : VMM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = qual >> 16;
	run->io.count = 1;
	run->io.data_offset = VMM_PIO_OFFSET;
	vcpu->pio_size = size;

	if (!string) {
		if (in) {
			/* RAX is written on the next VMM_RUN, then RIP moves. */
			vcpu->pending = VMM_PENDING_PIO_IN;
		} else {
			memcpy((u8 *)run + VMM_PIO_OFFSET,
			       &vcpu->es.regs[VMM_RAX], size);
			skip_instruction(vcpu);
		}
		run->exit_reason = VMM_EXIT_IO;
		return EXIT_USER;
	}

	/* INS/OUTS: capture what the copy needs (SDM Vol. 3C 28.2.5). */
	info = vmcs_read32(VMX_INSTRUCTION_INFO);
	vmm_walk_capture(&vcpu->walk);
	p->addr_mask = (info >> 7 & 7) == 0 ? 0xffff :
		       (info >> 7 & 7) == 1 ? 0xffffffffUL : ~0UL;
	p->down = vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_DF;
	p->rep = qual & 32;
	p->reg = in ? VMM_RDI : VMM_RSI;
	if (in)
		p->seg_base = vmcs_readl(GUEST_ES_BASE);
	else
		p->seg_base = __vmcs_read(GUEST_ES_BASE + 2 * ((info >> 15) & 7));
	/* In 64-bit mode only FS and GS have a base. */
	if ((vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK) &&
	    (in || ((info >> 15) & 7) < 4))
		p->seg_base = 0;

	count = p->rep ? vcpu->es.regs[VMM_RCX] & p->addr_mask : 1;
	p->next_rip = vmcs_readl(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	if (!(vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
		p->next_rip = (u32)p->next_rip;
	if (!count) {
		vmm_retire_insn(vcpu, p->next_rip);
		return EXIT_RESUME;
	}
	/* One data page per round; a REP instruction restarts for the rest. */
	p->count = min_t(u64, count, PAGE_SIZE / size);
	p->done = p->count == count;
	run->io.count = p->count;
	if (in) {
		vcpu->pending = VMM_PENDING_PIO_INS;
		run->exit_reason = VMM_EXIT_IO;
		return EXIT_USER;
	}
	vcpu->slow = pio_outs_slow;
	return EXIT_SLOW;
}

/*
 * Finish what the last exit to userspace started: an IN's data, a
 * hypercall's result.  Called at the start of VMM_RUN (apply) or when
 * userspace overwrites the registers first (drop it).
 */
void vmm_complete_pending(struct vmm_vcpu *vcpu, bool apply)
{
	unsigned long *rax = &vcpu->es.regs[VMM_RAX];
	u8 *data = (u8 *)vcpu->run + VMM_PIO_OFFSET;
	int pending = vcpu->pending;

	vcpu->pending = VMM_PENDING_NONE;
	if (!apply)
		return;
	switch (pending) {
	case VMM_PENDING_PIO_IN:
		if (vcpu->pio_size == 4)
			*rax = *(u32 *)data;	/* 32-bit writes zero-extend */
		else
			memcpy(rax, data, vcpu->pio_size);
		skip_instruction(vcpu);
		break;
	case VMM_PENDING_HYPERCALL:
		*rax = vcpu->run->hypercall.ret;
		/* Outside 64-bit mode the result is 32 bits, as KVM's. */
		if (!(vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
			*rax = (u32)*rax;
		break;
	}
}

static int complete_ins(struct vmm_vcpu *vcpu)
{
	int r = pio_string_copy(vcpu, true);

	return pio_finish(vcpu, r);
}

/* ---- Handlers ---- */

static const struct vmm_cpuid_entry2 *cpuid_find(struct vmm_vcpu *vcpu,
						 u32 fn, u32 index)
{
	int lo = 0, hi = vcpu->ncpuid;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		const struct vmm_cpuid_entry2 *e = &vcpu->cpuid[mid];
		u32 ei = (e->flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX) ? index : 0;

		if (fn < e->function || (fn == e->function && ei < e->index))
			hi = mid;
		else if (fn > e->function || ei > e->index)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}

static int handle_cpuid(struct vmm_vcpu *vcpu)
{
	unsigned long *g = vcpu->es.regs;
	const struct vmm_cpuid_entry2 *e = cpuid_find(vcpu, g[VMM_RAX],
						      g[VMM_RCX]);
	u32 a = 0, b = 0, c = 0, d = 0;

	if (e) {
		a = e->eax;
		b = e->ebx;
		c = e->ecx;
		d = e->edx;
		/* OSXSAVE and OSPKE mirror the guest's CR4 (SDM Vol. 2A CPUID). */
		if (e->function == 1) {
			c &= ~BIT(27);
			if (vcpu->cr4 & X86_CR4_OSXSAVE)
				c |= BIT(27);
		} else if (e->function == 7 && e->index == 0) {
			c &= ~BIT(4);
			if (vcpu->cr4 & X86_CR4_PKE)
				c |= BIT(4);
		} else if (e->function == 0xd && e->index < 2) {
			/* The XSAVE area size for the guest's XCR0. */
			if (e->index == 0)
				b = vmm_xsave_size(vcpu->xcr0, false);
			else if (a & BIT(1))
				b = vmm_xsave_size(vcpu->xcr0, true);
		}
	}
	g[VMM_RAX] = a;
	g[VMM_RBX] = b;
	g[VMM_RCX] = c;
	g[VMM_RDX] = d;
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_hlt(struct vmm_vcpu *vcpu)
{
	skip_instruction(vcpu);
	vcpu->run->exit_reason = VMM_EXIT_HLT;
	return EXIT_USER;
}

static int handle_triple_fault(struct vmm_vcpu *vcpu)
{
	vcpu->run->exit_reason = VMM_EXIT_SHUTDOWN;
	return EXIT_USER;
}

/*
 * VMCALL, with KVM's hypercall ABI: number in RAX, arguments in RBX, RCX,
 * RDX, RSI, the result in RAX; in a 32-bit or 16-bit code segment only
 * the low 32 bits of each count and the result is zero-extended.  Only
 * CPL 0 may call (-VMM_EPERM otherwise).  VAPIC_POLL_IRQ does nothing;
 * MAP_GPA_RANGE exits to userspace where the VM opted in with
 * VMM_CAP_EXIT_HYPERCALL, and userspace's hypercall.ret becomes RAX;
 * every other number is -VMM_ENOSYS.  The guest always continues after
 * the VMCALL.
 */
static int handle_vmcall(struct vmm_vcpu *vcpu)
{
	struct vmm_run *run = vcpu->run;
	unsigned long *g = vcpu->es.regs;
	bool lm = vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK;
	u64 mask = lm ? ~0ULL : U32_MAX;
	u64 nr = g[VMM_RAX] & mask, gpa = g[VMM_RBX] & mask;
	u64 npages = g[VMM_RCX] & mask;
	s64 ret = -VMM_ENOSYS;

	if (VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES))) {
		ret = -VMM_EPERM;
	} else if (nr == VMM_HC_VAPIC_POLL_IRQ) {
		ret = 0;
	} else if (nr == VMM_HC_MAP_GPA_RANGE &&
		   (READ_ONCE(vcpu->vm->hypercall_exit) & VMM_HC_EXIT_MASK)) {
		ret = -VMM_EINVAL;
		if ((gpa & ~PAGE_MASK) || !npages ||
		    (gpa >> PAGE_SHIFT) + npages <= (gpa >> PAGE_SHIFT))
			goto out;
		memset(&run->hypercall, 0, sizeof(run->hypercall));
		run->exit_reason = VMM_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		run->hypercall.args[0] = gpa;
		run->hypercall.args[1] = npages;
		run->hypercall.args[2] = g[VMM_RDX] & mask;
		run->hypercall.longmode = lm;
		skip_instruction(vcpu);
		vcpu->pending = VMM_PENDING_HYPERCALL;
		return EXIT_USER;
	}
out:
	g[VMM_RAX] = ret & mask;
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_skip(struct vmm_vcpu *vcpu)
{
	/* INVD, WBINVD: caches are coherent for the guest's memory. */
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_resume(struct vmm_vcpu *vcpu)
{
	return EXIT_RESUME;
}

static int handle_exception_nmi(struct vmm_vcpu *vcpu)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO);
	int r;

	/*
	 * NMIs and machine checks were handed to the host already.  A
	 * fault in the guest's IRET undoes its NMI unblocking.
	 */
	if ((info & INTR_INFO_UNBLOCK_NMI) &&
	    (info & INTR_INFO_VECTOR_MASK) != X86_TRAP_DF)
		vmm_events_iret_fault();
	/* #DB and #AC: debug.c. */
	if (vmm_debug_exception(vcpu, info, &r))
		return r;
	return EXIT_RESUME;
}

static int handle_extint(struct vmm_vcpu *vcpu)
{
	return EXIT_RESUME;	/* the host took it when IRQs came back */
}

static int handle_cr(struct vmm_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	unsigned long *g = vcpu->es.regs, val;

	/* RSP is not in the register array. */
	if (reg == VMM_RSP)
		val = vmcs_readl(GUEST_RSP);
	else
		val = g[reg];

	switch (type) {
	case 0:		/* MOV to CR */
		switch (cr) {
		case 0: {
			/* PE and PG are the guest's: the CPU holds them. */
			unsigned long old = (vcpu->cr0 & vmm_cr0_mask()) |
				(vmcs_readl(GUEST_CR0) & ~vmm_cr0_mask());
			u64 efer = vmcs_read64(GUEST_IA32_EFER);

			if (!vmm_cr0_valid(val))
				return inject_gp(vcpu);
			/* Paging on with EFER.LME: IA-32e mode begins. */
			if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) &&
			    (efer & EFER_LME)) {
				if (!(vmcs_readl(GUEST_CR4) & X86_CR4_PAE))
					return inject_gp(vcpu);
				vmm_set_efer(vcpu, efer | EFER_LMA);
			} else if (!(val & X86_CR0_PG) && (old & X86_CR0_PG) &&
				   (efer & EFER_LMA)) {
				vmm_set_efer(vcpu, efer & ~EFER_LMA);
			}
			vmm_set_cr0(vcpu, val);
			break;
		}
		case 3:
			vmcs_writel(GUEST_CR3, val);
			break;
		case 4:
			if (!vmm_cr4_write(vcpu, val))
				return inject_gp(vcpu);
			break;
		case 8:
			if (val & ~15UL)
				return inject_gp(vcpu);
			vcpu->cr8 = val;
			break;
		default:
			return inject_ud(vcpu);
		}
		break;
	case 1:		/* MOV from CR */
		if (cr == 3)
			val = vmcs_readl(GUEST_CR3);
		else if (cr == 8)
			val = vcpu->cr8;
		else
			return inject_ud(vcpu);
		if (reg == VMM_RSP)
			vmcs_writel(GUEST_RSP, val);
		else
			g[reg] = val;
		break;
	case 2:		/* CLTS */
		vmm_set_cr0(vcpu, (vcpu->cr0 & vmm_cr0_mask()) |
			    (vmcs_readl(GUEST_CR0) & ~vmm_cr0_mask() & ~X86_CR0_TS));
		break;
	default: {	/* LMSW: low four bits; it cannot clear PE */
		unsigned long cr0 = (vcpu->cr0 & vmm_cr0_mask()) |
				    (vmcs_readl(GUEST_CR0) & ~vmm_cr0_mask());
		unsigned long src = (qual >> 16) & 0xf;

		vmm_set_cr0(vcpu, (cr0 & ~0xeUL) | (src & 0xe) |
			    ((cr0 | src) & X86_CR0_PE));
	}
	}
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_dr(struct vmm_vcpu *vcpu)
{
	if (vmm_debug_mov_dr(vcpu))
		skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_rdmsr(struct vmm_vcpu *vcpu)
{
	unsigned long *g = vcpu->es.regs;
	u64 data;

	if (vmm_get_msr(vcpu, g[VMM_RCX], &data, false))
		return inject_gp(vcpu);
	g[VMM_RAX] = (u32)data;
	g[VMM_RDX] = data >> 32;
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_wrmsr(struct vmm_vcpu *vcpu)
{
	unsigned long *g = vcpu->es.regs;
	u64 data = (u32)g[VMM_RAX] | (g[VMM_RDX] << 32);

	if (vmm_set_msr(vcpu, g[VMM_RCX], data, false))
		return inject_gp(vcpu);
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static int handle_xsetbv(struct vmm_vcpu *vcpu)
{
	unsigned long *g = vcpu->es.regs;
	u64 x = (u32)g[VMM_RAX] | (g[VMM_RDX] << 32);

	/*
	 * The value is loaded into the CPU at the next entry, with
	 * interrupts off: it must obey every rule of XSETBV (xstate.h), or
	 * the host's own XSETBV would fault.  CR4.OSXSAVE (#UD) is checked
	 * by the CPU before the exit; CPL (#GP) is checked here as well.
	 */
	if ((u32)g[VMM_RCX] != 0 || !vmm_xcr0_valid(x, vmm_guest_xcr0) ||
	    VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES)))
		return inject_gp(vcpu);
	vmm_set_xcr0(vcpu, x);
	skip_instruction(vcpu);
	return EXIT_RESUME;
}

static void dump_vmcs(u32 reason)
{
	pr_err("VMCS dump, exit reason %#x qual %#lx\n", reason,
	       vmcs_readl(EXIT_QUALIFICATION));
	pr_err(" RIP %#lx RSP %#lx RFLAGS %#lx\n", vmcs_readl(GUEST_RIP),
	       vmcs_readl(GUEST_RSP), vmcs_readl(GUEST_RFLAGS));
	pr_err(" CR0 %#lx CR3 %#lx CR4 %#lx EFER %#llx\n",
	       vmcs_readl(GUEST_CR0), vmcs_readl(GUEST_CR3),
	       vmcs_readl(GUEST_CR4), vmcs_read64(GUEST_IA32_EFER));
	pr_err(" CS %#x base %#lx limit %#x ar %#x\n",
	       vmcs_read16(GUEST_CS_SELECTOR), vmcs_readl(GUEST_CS_BASE),
	       vmcs_read32(GUEST_CS_LIMIT), vmcs_read32(GUEST_CS_AR_BYTES));
	pr_err(" SS %#x ar %#x TR %#x ar %#x LDTR ar %#x\n",
	       vmcs_read16(GUEST_SS_SELECTOR), vmcs_read32(GUEST_SS_AR_BYTES),
	       vmcs_read16(GUEST_TR_SELECTOR), vmcs_read32(GUEST_TR_AR_BYTES),
	       vmcs_read32(GUEST_LDTR_AR_BYTES));
	pr_err(" controls pin %#x cpu %#x cpu2 %#x entry %#x exit %#x\n",
	       vmcs_read32(PIN_BASED_VM_EXEC_CONTROL),
	       vmcs_read32(CPU_BASED_VM_EXEC_CONTROL),
	       vmcs_read32(SECONDARY_VM_EXEC_CONTROL),
	       vmcs_read32(VM_ENTRY_CONTROLS), vmcs_read32(VM_EXIT_CONTROLS));
	pr_err(" intr info %#x vectoring %#x insn error %u\n",
	       vmcs_read32(VM_EXIT_INTR_INFO),
	       vmcs_read32(IDT_VECTORING_INFO_FIELD),
	       vmcs_read32(VM_INSTRUCTION_ERROR));
}

static int internal_error(struct vmm_vcpu *vcpu, u32 suberror, u32 reason,
			  unsigned long qual)
{
	struct vmm_run *run = vcpu->run;

	run->exit_reason = VMM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 3;
	run->internal.data[0] = reason;
	run->internal.data[1] = qual;
	run->internal.data[2] = raw_smp_processor_id();
	return EXIT_USER;
}

static int handle_unexpected(struct vmm_vcpu *vcpu)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 1);
	u32 reason = (u16)vcpu->exit_reason;

	vmm_stat_inc(&vcpu->stats.exit[min(reason, VMM_STAT_EXIT_REASONS - 1)]);
	if (__ratelimit(&rs))
		dump_vmcs(reason);
	return internal_error(vcpu, VMM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
			      reason, vmcs_readl(EXIT_QUALIFICATION));
}

/* An EPT violation outside guest RAM: the access goes to the emulator. */
static int ept_mmio(struct vmm_vcpu *vcpu)
{
	/*
	 * The IDT, a gate's stack or a TSS in MMIO: there is no instruction
	 * to emulate, the access was the CPU's own event delivery.
	 */
	if (unlikely(vcpu->ev.inj))
		return internal_error(vcpu, VMM_INTERNAL_ERROR_DELIVERY_EV,
				      EXIT_REASON_EPT_VIOLATION,
				      vcpu->fault_qual);
	vmm_stat_inc(&vcpu->stats.ept_mmio);
	return EXIT_MMIO;
}

static int ept_slow(struct vmm_vcpu *vcpu)
{
	int r = vmm_ept_fault(vcpu, vcpu->fault_gpa, vcpu->fault_qual);

	if (r < 0)
		return r;
	if (r == 0)
		return EXIT_RESUME;
	/* The slots changed since handle_ept_violation() looked. */
	return ept_mmio(vcpu);
}

static int handle_ept_violation(struct vmm_vcpu *vcpu)
{
	vcpu->fault_qual = vmcs_readl(EXIT_QUALIFICATION);
	vcpu->fault_gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	/* Bit 12: NMI unblocking due to IRET (SDM Vol. 3C 28.2.1). */
	if (vcpu->fault_qual & BIT(12))
		vmm_events_iret_fault();
	/* MMIO needs no host page, so no trip through the sleepable part. */
	if (vmm_ept_is_mmio(vcpu->vm, vcpu->fault_gpa,
			    vcpu->fault_qual & EPT_VIOLATION_ACC_WRITE))
		return ept_mmio(vcpu);
	vcpu->slow = ept_slow;
	return EXIT_SLOW;
}

#ifdef VMM_STATS
/*
 * Guest time comes from the VMX-preemption timer, which counts down only
 * in VMX non-root operation, by one each time bit pt_rate of the TSC
 * changes, and which the CPU saves at every exit (SDM Vol. 3C 26.5.1):
 * it costs the exit path nothing.  It is folded in here, where the
 * vCPU's thread leaves the guest loop, and when it runs out.
 */
static void guest_time_fold(struct vmm_vcpu *vcpu)
{
	u32 left;

	if (!vmm_has_guest_time())
		return;
	left = vmcs_read32(VMX_PREEMPTION_TIMER_VALUE);
	vcpu->stats.guest_tsc += (u64)(vmm_caps.pt_period - left) <<
				 vmm_caps.pt_rate;
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, vmm_caps.pt_period);
}

static int handle_preemption_timer(struct vmm_vcpu *vcpu)
{
	guest_time_fold(vcpu);
	return EXIT_RESUME;
}

/* A stint: a stretch of RUN work on the CPU, with the guest's time in it. */
struct stint {
	u64 tsc;
	u64 guest_tsc;
};

static void stint_begin(struct vmm_vcpu *vcpu, struct stint *st)
{
	st->tsc = rdtsc();
	st->guest_tsc = vcpu->stats.guest_tsc;
}

/* @in_guest_loop: the VMCS is current here and the timer is folded in. */
static void stint_end(struct vmm_vcpu *vcpu, const struct stint *st,
		      bool in_guest_loop)
{
	u64 spent, ran;

	if (in_guest_loop)
		guest_time_fold(vcpu);
	spent = rdtsc() - st->tsc;
	ran = vcpu->stats.guest_tsc - st->guest_tsc;
	if (spent > ran)
		vcpu->stats.handler_tsc += spent - ran;
}
#else
static int handle_preemption_timer(struct vmm_vcpu *vcpu)
{
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, vmm_caps.pt_period);
	return EXIT_RESUME;
}

struct stint {
};

static void stint_begin(struct vmm_vcpu *vcpu, struct stint *st)
{
}

static void stint_end(struct vmm_vcpu *vcpu, const struct stint *st,
		      bool in_guest_loop)
{
}
#endif

typedef int (*exit_handler_t)(struct vmm_vcpu *vcpu);

/*
 * Exit handlers, by basic exit reason.  Each returns EXIT_RESUME to enter
 * the guest again, EXIT_USER after filling in the run structure, or
 * EXIT_SLOW after setting vcpu->slow.  A reason without a handler ends
 * in VMM_EXIT_INTERNAL_ERROR with the VMCS dumped to the log.
 */
static const exit_handler_t exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_extint,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW] = vmm_handle_irq_window,
	[EXIT_REASON_NMI_WINDOW] = vmm_handle_nmi_window,
	[EXIT_REASON_INIT_SIGNAL] = handle_resume,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_skip,
	[EXIT_REASON_RDPMC] = inject_gp,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = inject_ud,
	[EXIT_REASON_VMLAUNCH] = inject_ud,
	[EXIT_REASON_VMPTRLD] = inject_ud,
	[EXIT_REASON_VMPTRST] = inject_ud,
	[EXIT_REASON_VMREAD] = inject_ud,
	[EXIT_REASON_VMRESUME] = inject_ud,
	[EXIT_REASON_VMWRITE] = inject_ud,
	[EXIT_REASON_VMOFF] = inject_ud,
	[EXIT_REASON_VMON] = inject_ud,
	[EXIT_REASON_CR_ACCESS] = handle_cr,
	[EXIT_REASON_DR_ACCESS] = handle_dr,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_rdmsr,
	[EXIT_REASON_MSR_WRITE] = handle_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION] = inject_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION] = inject_ud,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_INVEPT] = inject_ud,
	[EXIT_REASON_INVVPID] = inject_ud,
	[EXIT_REASON_WBINVD] = handle_skip,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_VMFUNC] = inject_ud,
	[EXIT_REASON_ENCLS] = inject_ud,
	[11 /* GETSEC */] = inject_ud,
};

static int handle_exit(struct vmm_vcpu *vcpu, int fail)
{
	struct vmm_run *run = vcpu->run;
	u32 reason;

	if (unlikely(fail)) {
		/* VM-Fail: our own bug in controls or host state. */
		static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 1);

		if (__ratelimit(&rs))
			dump_vmcs(0);
		vmm_stat_inc(&vcpu->stats.entry_failures);
		vmm_events_cancel(vcpu);
		run->exit_reason = VMM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason =
			vmcs_read32(VM_INSTRUCTION_ERROR);
		run->fail_entry.cpu = raw_smp_processor_id();
		return EXIT_USER;
	}
	reason = vcpu->exit_reason;
	if (unlikely(reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
		/* The guest state failed the entry checks (SDM 27.8). */
		vmm_stat_inc(&vcpu->stats.entry_failures);
		vmm_events_cancel(vcpu);
		run->exit_reason = VMM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = reason & 0xffff;
		run->fail_entry.cpu = raw_smp_processor_id();
		return EXIT_USER;
	}
	reason &= 0xffff;
	/*
	 * The common exits first, without an indirect call; each branch
	 * counts its exit with a constant index (one instruction).
	 */
	if (reason == EXIT_REASON_IO_INSTRUCTION) {
		vmm_stat_inc(&vcpu->stats.exit[EXIT_REASON_IO_INSTRUCTION]);
		return handle_io(vcpu);
	}
	if (reason == EXIT_REASON_CPUID) {
		vmm_stat_inc(&vcpu->stats.exit[EXIT_REASON_CPUID]);
		return handle_cpuid(vcpu);
	}
	if (reason == EXIT_REASON_HLT) {
		vmm_stat_inc(&vcpu->stats.exit[EXIT_REASON_HLT]);
		return handle_hlt(vcpu);
	}
	/*
	 * The exits above never interrupt event delivery; any other may
	 * (SDM Vol. 3C 28.2.4): take the event back first.
	 */
	vmm_events_exit(vcpu);
	BUILD_BUG_ON(ARRAY_SIZE(exit_handlers) > VMM_STAT_EXIT_REASONS);
	if (reason < ARRAY_SIZE(exit_handlers)) {
		exit_handler_t h;

		reason = array_index_nospec(reason, ARRAY_SIZE(exit_handlers));
		h = exit_handlers[reason];
		if (h) {
			vmm_stat_inc(&vcpu->stats.exit[reason]);
			return h(vcpu);
		}
	}
	return handle_unexpected(vcpu);
}

/* ---- The loop ---- */

/*
 * Host state that a VM exit changes and the VMCS host-state area cannot
 * restore, or can only restore to a fixed value (SDM Vol. 3C 28.5):
 * the segment selectors that need RPL 0 there (the task's may be user
 * selectors), the GDTR and IDTR limits (0xffff after an exit), LDTR
 * (null after an exit).  Documentation/design.rst, "Host state", lists
 * all of what is switched and where.
 */
struct host_segs {
	unsigned short ds, es, fs, gs;
};

static void host_segs_save(struct host_segs *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
}

/*
 * After the guest loop, before preemption is enabled: no other task may
 * run with what the exit left.  Above all the GDT limit: at 0xffff, any
 * process on this CPU could load a selector past the end of the GDT and
 * make the CPU read unmapped memory in kernel mode.
 */
static void host_segs_restore(struct vmm_vcpu *vcpu, const struct host_segs *h)
{
	load_fixmap_gdt(raw_smp_processor_id());
	load_idt(&vmm_host_idt);
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	/* The process's LDT, if it has one, is the GDT's LDT descriptor. */
	if (unlikely(READ_ONCE(current->mm->context.ldt)))
		asm volatile("lldt %w0" : : "q" (GDT_ENTRY_LDT * 8));
#endif
	if (unlikely(h->ds | h->es)) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	/* A selector load also loads the base: put the task's back. */
	if (unlikely(h->fs)) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, vcpu->host_fsbase);
	}
	if (unlikely(h->gs)) {
		u64 kgs;

		rdmsrl(MSR_KERNEL_GS_BASE, kgs);
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, kgs);
	}
}

/*
 * A machine check that exited from the guest belongs to the host.  It is
 * handled as if raised in user mode: poisoned guest memory ends in
 * SIGBUS for the VMM process, not in a kernel-mode machine check (which
 * would panic).  Without CONFIG_X86_MCE the host runs with CR4.MCE clear
 * and the guest too (vmm_set_cr4).
 */
static void host_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/* After an exit with interrupts still off: NMIs and machine checks. */
static void exit_host_events(struct vmm_vcpu *vcpu)
{
	u16 basic = vcpu->exit_reason;
	u32 info;

	if (unlikely(basic == EXIT_REASON_MCE_DURING_VMENTRY)) {
		host_machine_check();
		return;
	}
	if (likely(basic != EXIT_REASON_EXCEPTION_NMI))
		return;
	info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		vmm_do_nmi((unsigned long)vmm_host_nmi_entry);
	else if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)
		host_machine_check();
}

/*
 * One entry and exit, with interrupts off from the last check of pending
 * work to the read of the exit reason.  NMIs and machine checks that
 * caused the exit are handed to the host's handlers before interrupts
 * come back on.  Returns 0 after an exit, 1 after a VM-Fail, -EAGAIN when
 * a signal or a reschedule is pending, -EIO when VMX is gone (reboot).
 */
static int vcpu_enter_exit(struct vmm_vcpu *vcpu)
{
	unsigned long cr3, cr4;
	bool xcr0_switch, pkru_switch, ct;
	u32 host_pkru = 0;

	int fail;

	local_irq_disable();
	if (unlikely(signal_pending(current) || need_resched())) {
		local_irq_enable();
		return -EAGAIN;
	}
	/* The reboot path turns VMX off with an IPI between two entries. */
	if (unlikely(READ_ONCE(vmm_rebooting))) {
		local_irq_enable();
		return -EIO;
	}
	/* After the last check that can abort the entry: the event goes in. */
	if (unlikely(vcpu->ev.work))
		vmm_events_inject(vcpu);
	/* The host's CR3 (PCID) and CR4 can change between entries. */
	cr3 = __read_cr3();
	if (unlikely(cr3 != vcpu->host_cr3)) {
		vmcs_writel(HOST_CR3, cr3);
		vcpu->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (unlikely(cr4 != vcpu->host_cr4)) {
		vmcs_writel(HOST_CR4, cr4);
		vcpu->host_cr4 = cr4;
	}
	/* Kernel FPU use since the last entry left the guest's state in memory. */
	if (unlikely(test_thread_flag(TIF_NEED_FPU_LOAD)))
		switch_fpu_return();
	/*
	 * The guest's XCR0 and PKRU, where it can see them: decided when its
	 * CR4 or XCR0 changed (vmm_xstate_update).
	 */
	xcr0_switch = vcpu->xcr0_switch;
	if (xcr0_switch)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	pkru_switch = vcpu->pkru_switch;
	if (unlikely(pkru_switch)) {
		host_pkru = rdpkru();
		if (vcpu->pkru != host_pkru)
			wrpkru(vcpu->pkru);
	}
	guest_msrs_load(vcpu);
	/* The guest's breakpoints, only while its DR7 enables one. */
	if (unlikely(vcpu->dr7 & VMM_DR7_BP_ENABLED))
		vmm_debug_load_guest(vcpu);
	/*
	 * The guest holds no host RCU references.  On a nohz_full CPU say
	 * so through context tracking, as for user mode; elsewhere report a
	 * quiescent state once per tick, so that a vCPU that never leaves
	 * this loop does not stall RCU.
	 */
	ct = context_tracking_guest_enter();
	if (!ct && unlikely(time_after(jiffies, vcpu->rcu_jiffies))) {
		rcu_note_context_switch(false);
		vcpu->rcu_jiffies = jiffies;
	}
	/* L1TF: flush what the host left in L1D, last thing before entry. */
	if (unlikely(vmm_l1d_flush))
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);

	fail = vmm_vmx_enter(&vcpu->es, vcpu->launched);
	vcpu->retired = false;

	context_tracking_guest_exit();
	/*
	 * A VM exit leaves TR's limit at 0x67 (SDM Vol. 3C 28.5.2), which
	 * cuts off the I/O permission bitmap of tasks using ioperm().
	 */
	invalidate_tss_limit();

	if (likely(!fail)) {
		vcpu->exit_reason = vmcs_read32(VM_EXIT_REASON);
		exit_host_events(vcpu);
		if (!(vcpu->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			vcpu->launched = true;
	}
	if (unlikely(pkru_switch)) {
		vcpu->pkru = rdpkru();
		if (vcpu->pkru != host_pkru)
			wrpkru(host_pkru);
	}
	if (xcr0_switch)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vmm_host_xcr0);
	/* VM exit clears DR7 and DEBUGCTL (SDM Vol. 3C 28.5.1). */
	if (unlikely(vcpu->host_debugctl))
		update_debugctlmsr(vcpu->host_debugctl);
	if (unlikely(hw_breakpoint_active()))
		hw_breakpoint_restore();
	local_irq_enable();
	/*
	 * A VMX instruction faulted: VMX was turned off under us, which only
	 * the reboot and crash paths may do.
	 */
	if (unlikely(fail == 2)) {
		WARN_ON_ONCE(!READ_ONCE(vmm_rebooting));
		return -EIO;
	}
	return fail;
}

static int run_loop(struct vmm_vcpu *vcpu, const struct host_segs *hs)
{
	unsigned long fsbase;
	struct stint st;
	int r;

	for (;;) {
		preempt_disable();
		r = vmm_vcpu_load(vcpu);
		if (unlikely(r)) {
			preempt_enable();
			if (r != -EAGAIN || READ_ONCE(vmm_rebooting))
				return -EIO;
			schedule();
			continue;
		}
		/* The user FS base comes back with the VM exit. */
		rdmsrl(MSR_FS_BASE, fsbase);
		if (fsbase != vcpu->host_fsbase) {
			vmcs_writel(HOST_FS_BASE, fsbase);
			vcpu->host_fsbase = fsbase;
		}
		stint_begin(vcpu, &st);
		do {
			int fail;

			if (unlikely(vcpu->ev.work) && vmm_events_stop(vcpu)) {
				r = EXIT_USER;
				break;
			}
			fail = vcpu_enter_exit(vcpu);
			if (likely(fail >= 0))
				r = handle_exit(vcpu, fail);
			else
				r = fail == -EAGAIN ? EXIT_CHECK : fail;
		} while (r == EXIT_RESUME);
		stint_end(vcpu, &st, true);
		guest_kgs_put(vcpu);
		host_segs_restore(vcpu, hs);
		preempt_enable();

		if (r == EXIT_SLOW) {
			stint_begin(vcpu, &st);
			r = vcpu->slow(vcpu);
			stint_end(vcpu, &st, false);
			if (r == EXIT_RESUME)
				continue;
		}
		if (r == EXIT_CHECK) {
			if (signal_pending(current)) {
				vcpu->run->exit_reason = VMM_EXIT_INTR;
				return -EINTR;
			}
			cond_resched();
			continue;
		}
		return r == EXIT_USER ? 0 : r;
	}
}

/* Guest execution with the guest's FPU state loaded. */
static int run_guest(struct vmm_vcpu *vcpu)
{
	struct host_segs hs;
	int r;

	fpu_swap_kvm_fpstate(&vcpu->fpu, true);
	/* The task's selectors: only the ioctl's own exits change them. */
	host_segs_save(&hs);
	vcpu->host_debugctl = get_debugctlmsr();

	r = run_loop(vcpu, &hs);

	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
	return r;
}

/*
 * Account one return of VMM_RUN: the statistics, the state a monitor
 * sees, and an event when the guest stopped for good.  Errors that are
 * not exits (-EFAULT, -ENOMEM...) leave exit_reason stale: not counted.
 */
static void run_done(struct vmm_vcpu *vcpu, int r)
{
	u32 reason = vcpu->run->exit_reason;

	if (r && r != -EINTR)
		return;
	vmm_stat_inc(&vcpu->stats.user_exit[min(reason, VMM_STAT_USER_REASONS - 1)]);
	WRITE_ONCE(vcpu->last_exit, reason);
	if (reason == VMM_EXIT_SHUTDOWN || reason == VMM_EXIT_FAIL_ENTRY ||
	    reason == VMM_EXIT_INTERNAL_ERROR)
		vmm_genl_vcpu_stopped(vcpu);
}

int vmm_vcpu_run(struct vmm_vcpu *vcpu)
{
	struct vmm_run *run = vcpu->run;
	struct stint st;
	int r;

	vmm_stat_inc(&vcpu->stats.runs);
	WRITE_ONCE(vcpu->ran, true);
	WRITE_ONCE(vcpu->in_run, true);
	if (vcpu->sigmask_set)
		sigprocmask(SIG_SETMASK, &vcpu->sigmask, &current->real_blocked);

	/* Userspace may have changed CR8 in the run structure. */
	vcpu->cr8 = run->cr8 & 15;
	vcpu->retired = false;
	vmm_events_run(vcpu);
	if (unlikely(vcpu->check_state)) {
		r = vmm_vcpu_get(vcpu);
		if (r)
			goto out;
		r = vmm_events_check_state(vcpu) ? 0 : 1;
		vmm_vcpu_put(vcpu);
		if (r) {
			r = 0;
			goto out;
		}
	}

	if (vcpu->pending == VMM_PENDING_PIO_INS) {
		vcpu->pending = VMM_PENDING_NONE;
		r = complete_ins(vcpu);
		if (r != EXIT_RESUME) {
			r = r < 0 ? r : 0;
			goto out;
		}
	} else if (vcpu->pending == VMM_PENDING_MMIO) {
		r = vmm_mmio_complete(vcpu);
		if (r <= 0)
			goto out;
	} else if (vcpu->pending) {
		r = vmm_vcpu_get(vcpu);
		if (r)
			goto out;
		vmm_complete_pending(vcpu, true);
		vmm_vcpu_put(vcpu);
	}

	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = VMM_EXIT_INTR;
		r = -EINTR;
		goto out;
	}

	/* MMIO is emulated with the guest's FPU state in memory. */
	while ((r = run_guest(vcpu)) == EXIT_MMIO) {
		stint_begin(vcpu, &st);
		r = vmm_mmio_begin(vcpu);
		stint_end(vcpu, &st, false);
		if (r <= 0)
			break;
	}
out:
	run->cr8 = vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	vmm_events_report(vcpu);
	if (vcpu->sigmask_set) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
	WRITE_ONCE(vcpu->in_run, false);
	run_done(vcpu, r);
	return r;
}
