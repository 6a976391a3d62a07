// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: creation, the VMCS, register access and the vCPU ioctls.
 *
 * A vCPU's VMCS is active on at most one CPU at a time (SDM Vol. 3C 25.1).
 * vcpu_load() makes it current on this CPU, VMCLEARing it first on the CPU
 * that last ran it; each CPU keeps the list of VMCSs active on it so that
 * they can be VMCLEARed before that CPU leaves VMX operation.  Everything
 * that touches the VMCS runs between vcpu_get() and vcpu_put(), with
 * preemption disabled.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "genl.h"
#include "xstate.h"
#include "debug.h"

struct vmm_pcpu {
	struct list_head loaded;	/* VMCSs active here */
	struct vmm_vcpu *current_vcpu;	/* whose VMCS is current here */
	u32 last_vm;			/* id of the VM that last ran here */
};

static DEFINE_PER_CPU(struct vmm_pcpu, vmm_pcpu);
static DEFINE_IDA(vmm_vpid_ida);
static unsigned long *vmm_msr_bitmap;
u64 vmm_host_efer __read_mostly;
u64 vmm_host_xcr0 __read_mostly;
struct desc_ptr vmm_host_idt __read_mostly;
bool vmm_l1d_flush __read_mostly;
static u64 host_pat, host_sysenter_cs, host_sysenter_eip;

/* Runs on the CPU where the VMCS is active, interrupts off. */
static void vcpu_clear(struct vmm_vcpu *vcpu)
{
	struct vmm_pcpu *pc = this_cpu_ptr(&vmm_pcpu);

	if (vcpu->cpu != smp_processor_id())
		return;
	vmcs_clear(vcpu->vmcs_pa);
	if (pc->current_vcpu == vcpu)
		pc->current_vcpu = NULL;
	list_del(&vcpu->loaded_node);
	vcpu->launched = false;
	/* The list removal must be visible before the vCPU looks free. */
	smp_wmb();
	WRITE_ONCE(vcpu->cpu, -1);
}

static void vcpu_clear_ipi(void *arg)
{
	vcpu_clear(arg);
}

/*
 * VMCLEAR every VMCS active on this CPU.  Interrupts stay off for the
 * walk: a clear IPI from a CPU that wants one of these vCPUs deletes from
 * the same list (CPU offline calls this with interrupts on).
 */
void vmm_vcpu_clear_local(void)
{
	struct vmm_pcpu *pc = this_cpu_ptr(&vmm_pcpu);
	struct vmm_vcpu *v, *n;
	unsigned long flags;

	local_irq_save(flags);
	list_for_each_entry_safe(v, n, &pc->loaded, loaded_node)
		vcpu_clear(v);
	local_irq_restore(flags);
}

/*
 * A guest can train the branch predictors against the next guest on this
 * CPU: when the VMCS made current belongs to another VM than the last
 * one, issue an IBPB where the kernel's Spectre v2 mitigation enables it
 * (X86_FEATURE_USE_IBPB; a no-op elsewhere).
 */
static void vcpu_switch_vm(struct vmm_pcpu *pc, struct vmm_vcpu *vcpu)
{
	if (likely(pc->last_vm == vcpu->vm->id))
		return;
	pc->last_vm = vcpu->vm->id;
	indirect_branch_prediction_barrier();
}

/* Host state that differs from CPU to CPU. */
static void vcpu_load_host_percpu(int cpu)
{
	u64 v;

	vmcs_writel(HOST_TR_BASE,
		    (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_writel(HOST_GDTR_BASE, (unsigned long)get_cpu_gdt_ro(cpu));
	rdmsrl(MSR_GS_BASE, v);
	vmcs_writel(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, v);
}

/*
 * Make the vCPU's VMCS current on this CPU.  Preemption disabled.  Returns
 * -EAGAIN if this CPU is not in VMX operation (it is going offline: the
 * caller reschedules and the scheduler moves us away).
 */
int vmm_vcpu_load(struct vmm_vcpu *vcpu)
{
	struct vmm_pcpu *pc = this_cpu_ptr(&vmm_pcpu);
	int cpu = smp_processor_id(), old = READ_ONCE(vcpu->cpu);
	unsigned long flags;

	if (likely(old == cpu)) {
		if (likely(pc->current_vcpu == vcpu))
			return 0;
		if (vmcs_load(vcpu->vmcs_pa))
			return -EIO;
		pc->current_vcpu = vcpu;
		vcpu_switch_vm(pc, vcpu);
		return 0;
	}
	if (!(cr4_read_shadow() & X86_CR4_VMXE))
		return -EAGAIN;
	if (old >= 0)
		smp_call_function_single(old, vcpu_clear_ipi, vcpu, 1);
	/* Pairs with the smp_wmb() in vcpu_clear(). */
	smp_rmb();
	if (READ_ONCE(vcpu->cpu) >= 0)
		return -EAGAIN;	/* the old CPU is going offline; retry */

	local_irq_save(flags);
	list_add(&vcpu->loaded_node, &pc->loaded);
	vcpu->cpu = cpu;
	local_irq_restore(flags);
	if (vmcs_load(vcpu->vmcs_pa))
		return -EIO;
	pc->current_vcpu = vcpu;
	vcpu_switch_vm(pc, vcpu);
	vcpu_load_host_percpu(cpu);
	/* Translations tagged with this VPID may be stale on this CPU. */
	if (vmm_has_vpid())
		__invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid, 0);
	return 0;
}

int vmm_vcpu_get(struct vmm_vcpu *vcpu)
{
	int r;

	for (;;) {
		preempt_disable();
		r = vmm_vcpu_load(vcpu);
		if (r != -EAGAIN)
			break;
		preempt_enable();
		/*
		 * This CPU is leaving VMX operation: wait for the scheduler
		 * to move us, but not past a reboot (VMX stays off then).
		 */
		if (READ_ONCE(vmm_rebooting))
			return -EIO;
		schedule();
	}
	if (r)
		preempt_enable();
	return r;
}

void vmm_vcpu_put(struct vmm_vcpu *vcpu)
{
	preempt_enable();
}

/* Access rights of a segment in the VMCS format (SDM Vol. 3C 25.4.1). */
static u32 seg_to_ar(const struct vmm_segment *s)
{
	if (s->unusable || !s->present)
		return VMX_AR_UNUSABLE_MASK;
	return (s->type & 15) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
	       1 << 7 | (s->avl & 1) << 12 | (s->l & 1) << 13 |
	       (s->db & 1) << 14 | (s->g & 1) << 15;
}

static void ar_to_seg(u32 ar, struct vmm_segment *s)
{
	s->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	s->type = ar & 15;
	s->s = (ar >> 4) & 1;
	s->dpl = (ar >> 5) & 3;
	s->present = !s->unusable && ((ar >> 7) & 1);
	s->avl = (ar >> 12) & 1;
	s->l = (ar >> 13) & 1;
	s->db = (ar >> 14) & 1;
	s->g = (ar >> 15) & 1;
	s->padding = 0;
}

/* VMCS encodings of one segment register: selector, base, limit, rights. */
struct seg_fields {
	u32 sel, base, limit, ar;
};

enum {
	SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SEG_TR, SEG_LDTR,
	NR_SEGS
};

static const struct seg_fields seg_fields[NR_SEGS] = {
	[SEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT,
		     GUEST_CS_AR_BYTES },
	[SEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT,
		     GUEST_DS_AR_BYTES },
	[SEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT,
		     GUEST_ES_AR_BYTES },
	[SEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT,
		     GUEST_FS_AR_BYTES },
	[SEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT,
		     GUEST_GS_AR_BYTES },
	[SEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT,
		     GUEST_SS_AR_BYTES },
	[SEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT,
		     GUEST_TR_AR_BYTES },
	[SEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
		       GUEST_LDTR_AR_BYTES },
};

static void seg_write(int i, const struct vmm_segment *s)
{
	const struct seg_fields *f = &seg_fields[i];

	__vmcs_write(f->sel, s->selector);
	__vmcs_write(f->base, s->base);
	__vmcs_write(f->limit, s->limit);
	__vmcs_write(f->ar, seg_to_ar(s));
}

static void seg_read(int i, struct vmm_segment *s)
{
	const struct seg_fields *f = &seg_fields[i];

	s->selector = __vmcs_read(f->sel);
	s->base = __vmcs_read(f->base);
	s->limit = __vmcs_read(f->limit);
	ar_to_seg(__vmcs_read(f->ar), s);
}

/*
 * CR0 and CR4 as the CPU holds them: the guest's value with the bits VMX
 * forces (SDM Vol. 3C 24.8, A.7, A.8).  Unrestricted guest lifts the
 * PE and PG requirements.  The forced bits are owned by the host: the
 * guest sees its own values through the read shadows.
 */
static unsigned long cr0_forced(void)
{
	return vmm_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
}

unsigned long vmm_cr0_mask(void)
{
	return cr0_forced() | (~vmm_caps.cr0_fixed1 & 0xffffffffUL);
}

/*
 * CR4 bits the host owns: writes to them exit and reads see the shadow.
 * Beyond the VMX-fixed bits: OSXSAVE and PKE, because XCR0 and PKRU are
 * switched on entry and exit only when the module knows the guest's
 * values of these bits (and CPUID mirrors them), and MCE, which stays the
 * host's in the hardware CR4 so a guest cannot turn a machine check into
 * a shutdown of the CPU (SDM Vol. 3B 15.10.1).
 */
#define CR4_HOST_OWNED	(X86_CR4_OSXSAVE | X86_CR4_PKE | X86_CR4_MCE)

/*
 * The CR4 bits a guest may ever set (an allow-list: a new CR4 feature
 * whose state vmm does not switch, such as CET, KL, UINTR, PKS, LAM or
 * FRED, stays off until it is handled), further limited by the CPU's
 * VMX_CR4_FIXED1 and by the host's own use of XSAVE and protection keys.
 */
#define CR4_GUEST_BITS	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |	\
			 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |	\
			 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |	\
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |		\
			 X86_CR4_UMIP | X86_CR4_LA57 | X86_CR4_FSGSBASE | \
			 X86_CR4_PCIDE | X86_CR4_OSXSAVE | X86_CR4_SMEP | \
			 X86_CR4_SMAP | X86_CR4_PKE)

/*
 * Every bit outside CR4_GUEST_BITS is the host's too, whatever the CPU
 * allows: a guest write that sets one exits and is refused, instead of
 * reaching the hardware CR4 unseen (the shadow holds 0 there).
 */
unsigned long vmm_cr4_mask(void)
{
	return vmm_caps.cr4_fixed0 |
	       ~(vmm_caps.cr4_fixed1 & CR4_GUEST_BITS) | CR4_HOST_OWNED;
}

void vmm_set_cr0(struct vmm_vcpu *vcpu, unsigned long cr0)
{
	vcpu->cr0 = cr0;
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, (cr0 | cr0_forced()) & vmm_caps.cr0_fixed1);
}

void vmm_set_cr4(struct vmm_vcpu *vcpu, unsigned long cr4)
{
	unsigned long hw = (cr4 & ~X86_CR4_MCE) | (cr4_read_shadow() & X86_CR4_MCE);

	vcpu->cr4 = cr4;
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR4, (hw | vmm_caps.cr4_fixed0) & vmm_caps.cr4_fixed1);
	vmm_xstate_update(vcpu);
}

void vmm_set_xcr0(struct vmm_vcpu *vcpu, u64 xcr0)
{
	vcpu->xcr0 = xcr0;
	vmm_xstate_update(vcpu);
}

void vmm_set_efer(struct vmm_vcpu *vcpu, u64 efer)
{
	u32 entry = vmm_caps.entry_ctls;

	vcpu->efer = efer;
	vmcs_write64(GUEST_IA32_EFER, efer);
	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
}

/* Bits of CR4 a guest may set (CR4_GUEST_BITS). */
static bool cr4_valid(unsigned long cr4)
{
	unsigned long allowed = vmm_caps.cr4_fixed1 & CR4_GUEST_BITS;

	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		allowed &= ~X86_CR4_OSXSAVE;
	if (!boot_cpu_has(X86_FEATURE_OSPKE))
		allowed &= ~X86_CR4_PKE;
	return !(cr4 & ~allowed);
}

bool vmm_cr0_valid(unsigned long cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	return true;
}

/*
 * A guest's MOV to CR4 that changed a host-owned bit (the others the CPU
 * handles itself): the checks and the TLB flush the instruction does
 * (SDM Vol. 2B MOV, Vol. 3A 4.10.4.1).  False: #GP, nothing changed.
 */
bool vmm_cr4_write(struct vmm_vcpu *vcpu, unsigned long cr4)
{
	unsigned long mask = vmm_cr4_mask();
	unsigned long old = (vmcs_readl(GUEST_CR4) & ~mask) | (vcpu->cr4 & mask);
	bool lma = vmcs_read64(GUEST_IA32_EFER) & EFER_LMA;

	if (!cr4_valid(cr4))
		return false;
	if (lma && (!(cr4 & X86_CR4_PAE) || ((cr4 ^ old) & X86_CR4_LA57)))
		return false;
	/* PCIDE: IA-32e mode only, and set only with CR3[11:0] clear. */
	if ((cr4 & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!lma || (vmcs_readl(GUEST_CR3) & 0xfff)))
		return false;
	vmm_set_cr4(vcpu, cr4);
	if (((cr4 ^ old) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE |
			    X86_CR4_PCIDE | X86_CR4_SMEP)) && vmm_has_vpid())
		__invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid, 0);
	return true;
}

/* Reset state, as the CPU has it after power-on (SDM Vol. 3A 9.1.1). */
static void vmcs_init_guest(struct vmm_vcpu *vcpu)
{
	struct vmm_segment cs = {
		.selector = 0xf000, .base = 0xffff0000, .limit = 0xffff,
		.type = 0xb, .s = 1, .present = 1,
	};
	struct vmm_segment data = {
		.limit = 0xffff, .type = 3, .s = 1, .present = 1,
	};
	struct vmm_segment tr = { .limit = 0xffff, .type = 0xb, .present = 1 };
	struct vmm_segment ldt = { .limit = 0xffff, .type = 2, .present = 1 };
	int i;

	seg_write(SEG_CS, &cs);
	for (i = SEG_DS; i <= SEG_SS; i++)
		seg_write(i, &data);
	seg_write(SEG_TR, &tr);
	seg_write(SEG_LDTR, &ldt);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);

	vmm_set_cr0(vcpu, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmm_set_cr4(vcpu, 0);
	vmcs_writel(GUEST_CR3, 0);
	vmm_set_efer(vcpu, 0);
	vmcs_writel(GUEST_RIP, 0xfff0);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_writel(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_writel(GUEST_DR7, VMM_DR7_FIXED);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ULL);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmm_events_reset(vcpu);
	/* The guest's TSC starts at 0. */
	vmcs_write64(TSC_OFFSET, -rdtsc());
	vcpu->dr6 = VMM_DR6_FIXED;
	vcpu->dr7 = VMM_DR7_FIXED;
	vmm_set_xcr0(vcpu, XFEATURE_MASK_FP);
	vmm_msr_reset(vcpu);
	vcpu->misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING |
			    MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |
			    MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL;
	vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			  (vcpu->id ? 0 : MSR_IA32_APICBASE_BSP);
}

/* The VMCS fields that never change after creation. */
static void vmcs_init(struct vmm_vcpu *vcpu)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmm_caps.pin_based);
	vcpu->cpu_based = vmm_caps.cpu_based;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vcpu->cpu_based);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmm_caps.cpu_based2);
	vmcs_write32(VM_EXIT_CONTROLS, vmm_caps.exit_ctls);
	/*
	 * Machine checks are the host's: one raised in the guest exits and
	 * goes to the host's handler (run.c), never to the guest's IDT.
	 * #DB and #AC always exit, so that no guest can hold the CPU in an
	 * endless chain of them (debug.c).
	 */
	vmcs_write32(EXCEPTION_BITMAP, BIT(X86_TRAP_MC) | BIT(X86_TRAP_DB) |
		     BIT(X86_TRAP_AC));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write64(EPT_POINTER, vcpu->vm->eptp);
	if (vmm_has_pt())
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, vmm_caps.pt_period);
	if (vmm_has_vpid())
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vcpu->vpid);
	if (vmm_has_msr_bitmap())
		vmcs_write64(MSR_BITMAP, __pa(vmm_msr_bitmap));
	/* No shadow VMCS: the link pointer must be all ones (SDM 27.3.1.5). */
	vmcs_write64(VMCS_LINK_POINTER, -1ULL);
	vmcs_writel(CR0_GUEST_HOST_MASK, vmm_cr0_mask());
	vmcs_writel(CR4_GUEST_HOST_MASK, vmm_cr4_mask());

	/* Host state: where and how the CPU comes back on a VM exit. */
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_writel(HOST_CR3, __read_cr3());
	vmcs_writel(HOST_CR4, cr4_read_shadow());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	/* Selectors need RPL 0 (SDM 27.2.3); user DS/ES are put back by run. */
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_writel(HOST_IDTR_BASE, vmm_host_idt.address);
	vmcs_writel(HOST_RIP, (unsigned long)vmm_vmx_exit_point);
	vmcs_write32(HOST_IA32_SYSENTER_CS, host_sysenter_cs);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, host_sysenter_eip);
	vmcs_write64(HOST_IA32_EFER, vmm_host_efer);
	vmcs_write64(HOST_IA32_PAT, host_pat);
	vmcs_writel(HOST_FS_BASE, 0);
	vcpu->host_cr3 = __read_cr3();
	vcpu->host_cr4 = cr4_read_shadow();

	vmcs_init_guest(vcpu);
}

/* ---- Registers ---- */

static void regs_read(struct vmm_vcpu *vcpu, struct vmm_regs *r)
{
	unsigned long *g = vcpu->es.regs;

	r->rax = g[VMM_RAX]; r->rbx = g[VMM_RBX];
	r->rcx = g[VMM_RCX]; r->rdx = g[VMM_RDX];
	r->rsi = g[VMM_RSI]; r->rdi = g[VMM_RDI];
	r->rbp = g[VMM_RBP]; r->r8 = g[VMM_R8];
	r->r9 = g[VMM_R9]; r->r10 = g[VMM_R10];
	r->r11 = g[VMM_R11]; r->r12 = g[VMM_R12];
	r->r13 = g[VMM_R13]; r->r14 = g[VMM_R14];
	r->r15 = g[VMM_R15];
	r->rsp = vmcs_readl(GUEST_RSP);
	r->rip = vmcs_readl(GUEST_RIP);
	r->rflags = vmcs_readl(GUEST_RFLAGS);
}

static int regs_write(struct vmm_vcpu *vcpu, const struct vmm_regs *r)
{
	unsigned long *g = vcpu->es.regs;

	g[VMM_RAX] = r->rax; g[VMM_RBX] = r->rbx;
	g[VMM_RCX] = r->rcx; g[VMM_RDX] = r->rdx;
	g[VMM_RSI] = r->rsi; g[VMM_RDI] = r->rdi;
	g[VMM_RBP] = r->rbp; g[VMM_R8] = r->r8;
	g[VMM_R9] = r->r9; g[VMM_R10] = r->r10;
	g[VMM_R11] = r->r11; g[VMM_R12] = r->r12;
	g[VMM_R13] = r->r13; g[VMM_R14] = r->r14;
	g[VMM_R15] = r->r15;
	vmcs_writel(GUEST_RSP, r->rsp);
	vmcs_writel(GUEST_RIP, r->rip);
	/* Bit 1 reads as one; reserved bits are kept clear. */
	vmcs_writel(GUEST_RFLAGS, (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED);
	return 0;
}

static void sregs_read(struct vmm_vcpu *vcpu, struct vmm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	seg_read(SEG_CS, &s->cs);
	seg_read(SEG_DS, &s->ds);
	seg_read(SEG_ES, &s->es);
	seg_read(SEG_FS, &s->fs);
	seg_read(SEG_GS, &s->gs);
	seg_read(SEG_SS, &s->ss);
	seg_read(SEG_TR, &s->tr);
	seg_read(SEG_LDTR, &s->ldt);
	s->gdt.base = vmcs_readl(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_readl(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	s->cr0 = (vmcs_readl(GUEST_CR0) & ~vmm_cr0_mask()) |
		 (vcpu->cr0 & vmm_cr0_mask());
	s->cr2 = vcpu->es.cr2;
	s->cr3 = vmcs_readl(GUEST_CR3);
	s->cr4 = (vmcs_readl(GUEST_CR4) & ~vmm_cr4_mask()) |
		 (vcpu->cr4 & vmm_cr4_mask());
	s->cr8 = vcpu->cr8;
	s->efer = vmcs_read64(GUEST_IA32_EFER);
	s->apic_base = vcpu->apic_base;
	vmm_events_get_bitmap(vcpu, s->interrupt_bitmap);
}

/*
 * Checks the CPU would not make, or would make only as a failed entry:
 * reject them here with -EINVAL, as KVM does for the same values.
 */
static int sregs_check(const struct vmm_sregs *s)
{
	bool lma = s->efer & EFER_LMA;
	u64 efer_ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;

	if (!vmm_cr0_valid(s->cr0) || !cr4_valid(s->cr4))
		return -EINVAL;
	if (s->efer & ~efer_ok)
		return -EINVAL;
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !lma)
			return -EINVAL;
	} else if (lma) {
		return -EINVAL;
	}
	if (s->cr8 > 15)
		return -EINVAL;
	return 0;
}

static int sregs_write(struct vmm_vcpu *vcpu, const struct vmm_sregs *s,
		       const u64 *pdptrs)
{
	int i;

	seg_write(SEG_CS, &s->cs);
	seg_write(SEG_DS, &s->ds);
	seg_write(SEG_ES, &s->es);
	seg_write(SEG_FS, &s->fs);
	seg_write(SEG_GS, &s->gs);
	seg_write(SEG_SS, &s->ss);
	seg_write(SEG_TR, &s->tr);
	seg_write(SEG_LDTR, &s->ldt);
	vmcs_writel(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_writel(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, s->idt.limit);
	vmm_set_cr0(vcpu, s->cr0);
	vmm_set_cr4(vcpu, s->cr4);
	vmcs_writel(GUEST_CR3, s->cr3);
	vcpu->es.cr2 = s->cr2;
	vcpu->cr8 = s->cr8;
	vmm_set_efer(vcpu, s->efer);
	vcpu->apic_base = s->apic_base;
	for (i = 0; pdptrs && i < 4; i++)
		__vmcs_write(GUEST_PDPTR0 + 2 * i, pdptrs[i]);
	vmm_events_set_bitmap(vcpu, s->interrupt_bitmap);
	return 0;
}

/*
 * PAE paging without long mode: the CPU takes the four PDPTEs from the
 * VMCS on entry (SDM Vol. 3C 27.3.2.4), so read them from guest memory now.
 */
static int load_pdptrs(struct vmm_vcpu *vcpu, const struct vmm_sregs *s,
		       u64 *pdptrs)
{
	int i;

	if (vmm_read_guest(vcpu->vm, s->cr3 & 0xffffffe0UL, pdptrs,
			   4 * sizeof(u64)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		/* Reserved bits set: the MOV to CR3 would have raised #GP. */
		if ((pdptrs[i] & 1) && (pdptrs[i] & 0xfff00000000001e6ULL))
			return -EINVAL;
	return 0;
}

/* ---- CPUID ---- */

static int cpuid_cmp(const void *a, const void *b)
{
	const struct vmm_cpuid_entry2 *x = a, *y = b;

	if (x->function != y->function)
		return x->function < y->function ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static long set_cpuid2(struct vmm_vcpu *vcpu, struct vmm_cpuid2 __user *u)
{
	struct vmm_cpuid2 hdr;
	struct vmm_cpuid_entry2 *e, *old;
	u32 i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > VMM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = memdup_user(u->entries, hdr.nent * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nent; i++)
		if (!(e[i].flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX))
			e[i].index = 0;
	/* Sorted, so that a CPUID exit is a binary search. */
	sort(e, hdr.nent, sizeof(*e), cpuid_cmp, NULL);
	old = vcpu->cpuid;
	vcpu->cpuid = e;
	vcpu->ncpuid = hdr.nent;
	kfree(old);
	return 0;
}

static long get_cpuid2(struct vmm_vcpu *vcpu, struct vmm_cpuid2 __user *u)
{
	struct vmm_cpuid2 hdr;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->ncpuid) {
		put_user(vcpu->ncpuid, &u->nent);
		return -E2BIG;
	}
	if (put_user(vcpu->ncpuid, &u->nent) ||
	    copy_to_user(u->entries, vcpu->cpuid,
			 vcpu->ncpuid * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}

/* ---- Guest memory ---- */

/*
 * VMM_PRE_FAULT_MEMORY (ept.c does the work).  The EPT is the VM's, so
 * nothing of the vCPU is used: it is a vCPU ioctl, as KVM's, so that
 * vCPUs can map parts of a large range in parallel.  What is left of
 * the range goes back to userspace whatever the outcome.
 */
static long pre_fault_memory(struct vmm_vcpu *vcpu,
			     struct vmm_pre_fault_memory __user *u)
{
	struct vmm_pre_fault_memory range;
	long r;

	if (copy_from_user(&range, u, sizeof(range)))
		return -EFAULT;
	if (range.flags || memchr_inv(range.padding, 0, sizeof(range.padding)))
		return -EINVAL;
	if (!range.size || !PAGE_ALIGNED(range.gpa) ||
	    !PAGE_ALIGNED(range.size) || range.gpa + range.size < range.gpa)
		return -EINVAL;
	r = vmm_ept_prefault(vcpu->vm, &range);
	if (copy_to_user(u, &range, sizeof(range)))
		return -EFAULT;
	return r;
}

/* ---- FPU ---- */

static int fpu_ioctl(struct vmm_vcpu *vcpu, struct vmm_fpu __user *ufpu,
		     bool write)
{
	struct fxregs_state *fx;
	struct vmm_fpu f;
	void *buf;
	int r = 0;

	/* The guest's state in the user ABI format: legacy area first. */
	buf = vzalloc(vcpu->fpu.uabi_size);
	if (!buf)
		return -ENOMEM;
	fx = buf;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, buf, vcpu->fpu.uabi_size,
				       vmm_guest_xcr0, vcpu->pkru);
	if (!write) {
		memset(&f, 0, sizeof(f));
		memcpy(f.fpr, fx->st_space, sizeof(f.fpr));
		f.fcw = fx->cwd;
		f.fsw = fx->swd;
		f.ftwx = fx->twd;
		f.last_opcode = fx->fop;
		f.last_ip = fx->rip;
		f.last_dp = fx->rdp;
		memcpy(f.xmm, fx->xmm_space, sizeof(f.xmm));
		f.mxcsr = fx->mxcsr;
		if (copy_to_user(ufpu, &f, sizeof(f)))
			r = -EFAULT;
		goto out;
	}
	r = -EFAULT;
	if (copy_from_user(&f, ufpu, sizeof(f)))
		goto out;
	memcpy(fx->st_space, f.fpr, sizeof(f.fpr));
	fx->cwd = f.fcw;
	fx->swd = f.fsw;
	fx->twd = f.ftwx;
	fx->fop = f.last_opcode;
	fx->rip = f.last_ip;
	fx->rdp = f.last_dp;
	memcpy(fx->xmm_space, f.xmm, sizeof(f.xmm));
	fx->mxcsr = f.mxcsr;
	/* Mark x87 and SSE present in the XSAVE header. */
	if (vcpu->fpu.uabi_size > 512 + 8)
		*(u64 *)(buf + 512) |= XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	/*
	 * The header may carry PKRU (the guest's state was saved with it):
	 * its value goes to the vCPU's PKRU, which run.c switches.
	 */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, buf, vmm_guest_xcr0,
					   &vcpu->pkru);
out:
	vfree(buf);
	return r;
}

/* ---- The vCPU file ---- */

static vm_fault_t vcpu_fault(struct vm_fault *vmf)
{
	struct vmm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff >= VMM_RUN_PAGES)
		return VM_FAULT_SIGBUS;
	page = virt_to_page((void *)vcpu->run + vmf->pgoff * PAGE_SIZE);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vcpu_vm_ops = {
	.fault = vcpu_fault,
};

static int vcpu_mmap(struct file *f, struct vm_area_struct *vma)
{
	vma->vm_ops = &vcpu_vm_ops;
	return 0;
}

static long vcpu_ioctl(struct file *f, unsigned int ioctl, unsigned long arg)
{
	struct vmm_vcpu *vcpu = f->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (ioctl) {
	case VMM_RUN:
		r = -EINVAL;
		if (arg)
			break;
		r = vmm_vcpu_run(vcpu);
		break;
	case VMM_GET_REGS: {
		struct vmm_regs regs;

		r = vmm_vcpu_get(vcpu);
		if (r)
			break;
		regs_read(vcpu, &regs);
		vmm_vcpu_put(vcpu);
		r = copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
		break;
	}
	case VMM_SET_REGS: {
		struct vmm_regs regs;

		r = -EFAULT;
		if (copy_from_user(&regs, argp, sizeof(regs)))
			break;
		r = vmm_vcpu_get(vcpu);
		if (r)
			break;
		vmm_complete_pending(vcpu, false);
		r = regs_write(vcpu, &regs);
		vcpu->check_state = true;
		vmm_vcpu_put(vcpu);
		break;
	}
	case VMM_GET_SREGS: {
		struct vmm_sregs sregs;

		r = vmm_vcpu_get(vcpu);
		if (r)
			break;
		sregs_read(vcpu, &sregs);
		vmm_vcpu_put(vcpu);
		r = copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
		break;
	}
	case VMM_SET_SREGS: {
		struct vmm_sregs sregs;
		u64 pdptrs[4];
		bool pae;

		r = -EFAULT;
		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			break;
		r = sregs_check(&sregs);
		if (r)
			break;
		r = -EINVAL;	/* as WRMSR from userspace (msr.c) */
		if (!vmm_apic_base_valid(vcpu, sregs.apic_base, true))
			break;
		pae = (sregs.cr0 & X86_CR0_PG) && (sregs.cr4 & X86_CR4_PAE) &&
		      !(sregs.efer & EFER_LMA);
		if (pae) {
			r = load_pdptrs(vcpu, &sregs, pdptrs);
			if (r)
				break;
		}
		r = vmm_vcpu_get(vcpu);
		if (r)
			break;
		r = sregs_write(vcpu, &sregs, pae ? pdptrs : NULL);
		vcpu->check_state = true;
		vmm_vcpu_put(vcpu);
		break;
	}
	case VMM_GET_FPU:
	case VMM_SET_FPU:
		r = fpu_ioctl(vcpu, argp, ioctl == VMM_SET_FPU);
		break;
	case VMM_GET_MSRS:
	case VMM_SET_MSRS:
		r = vmm_msr_ioctl(vcpu, argp, ioctl == VMM_SET_MSRS);
		break;
	case VMM_GET_XSAVE:
	case VMM_SET_XSAVE:
	case VMM_GET_XCRS:
	case VMM_SET_XCRS:
	case VMM_GET_TSC_KHZ:
		r = vmm_state_ioctl(vcpu, ioctl, argp);
		break;
	case VMM_GET_DEBUGREGS:
		r = vmm_get_debugregs(vcpu, argp);
		break;
	case VMM_SET_DEBUGREGS:
		r = vmm_set_debugregs(vcpu, argp);
		break;
	case VMM_SET_CPUID2:
		r = set_cpuid2(vcpu, argp);
		break;
	case VMM_GET_CPUID2:
		r = get_cpuid2(vcpu, argp);
		break;
	case VMM_PRE_FAULT_MEMORY:
		r = pre_fault_memory(vcpu, argp);
		break;
	case VMM_SET_SIGNAL_MASK: {
		struct vmm_signal_mask __user *um = argp;
		struct vmm_signal_mask m;
		sigset_t set;

		if (!argp) {
			vcpu->sigmask_set = false;
			r = 0;
			break;
		}
		r = -EFAULT;
		if (copy_from_user(&m, um, sizeof(m)))
			break;
		r = -EINVAL;
		if (m.len != sizeof(set))
			break;
		r = -EFAULT;
		if (copy_from_user(&set, um->sigset, sizeof(set)))
			break;
		sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
		vcpu->sigmask = set;
		vcpu->sigmask_set = true;
		r = 0;
		break;
	}
	default:
		r = vmm_events_ioctl(vcpu, ioctl, argp);
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static int vcpu_release(struct inode *inode, struct file *f)
{
	struct vmm_vcpu *vcpu = f->private_data;

	vmm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vcpu_fops = {
	.owner = THIS_MODULE,
	.release = vcpu_release,
	.unlocked_ioctl = vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vcpu_mmap,
	.llseek = noop_llseek,
};

void vmm_vcpu_free(struct vmm_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vcpu_clear_ipi, vcpu, 1);
	WARN_ON_ONCE(READ_ONCE(vcpu->cpu) >= 0);
	if (vcpu->vpid)
		ida_free(&vmm_vpid_ida, vcpu->vpid);
	fpu_free_guest_fpstate(&vcpu->fpu);	/* copes with none allocated */
	if (vcpu->run)
		free_pages_exact(vcpu->run, VMM_RUN_PAGES * PAGE_SIZE);
	free_page((unsigned long)vcpu->vmcs);
	kfree(vcpu->cpuid);
	kfree(vcpu);
}

int vmm_vcpu_create(struct vmm_vm *vm, unsigned long id)
{
	struct vmm_vcpu *vcpu;
	int i, r, fd;

	if (id > VMM_MAX_VCPU_ID)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->id = id;
	vcpu->vm = vm;
	vcpu->cpu = -1;
	INIT_LIST_HEAD(&vcpu->loaded_node);
	mutex_init(&vcpu->mutex);

	r = -ENOMEM;
	vcpu->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	/* Order-0 pages, each with its own count: vcpu_fault() maps them. */
	vcpu->run = alloc_pages_exact(VMM_RUN_PAGES * PAGE_SIZE,
				      GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->vmcs || !vcpu->run || !fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto out_free;
	/* SDM Vol. 3C 25.2: the region starts with the VMCS revision. */
	*(u32 *)vcpu->vmcs = vmm_caps.revision_id;
	vcpu->vmcs_pa = __pa(vcpu->vmcs);

	if (vmm_has_vpid()) {
		/* VPID 0 is the host's (SDM Vol. 3C 29.1). */
		r = ida_alloc_range(&vmm_vpid_ida, 1, 0xffff, GFP_KERNEL);
		if (r < 0)
			goto out_free;
		vcpu->vpid = r;
	}

	/*
	 * VMCLEAR initialises a new region (launch state "clear") and must run
	 * on a CPU in VMX operation; then load it here and fill it in.
	 */
	for (;;) {
		preempt_disable();
		if (cr4_read_shadow() & X86_CR4_VMXE)
			break;
		preempt_enable();
		schedule();
	}
	r = vmcs_clear(vcpu->vmcs_pa);
	if (!r)
		r = vmm_vcpu_load(vcpu);
	if (!r)
		vmcs_init(vcpu);
	preempt_enable();
	if (r)
		goto out_free;

	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->nr_vcpus >= VMM_MAX_VCPUS)
		goto out_unlock;
	r = -EEXIST;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			goto out_unlock;

	refcount_inc(&vm->users);
	fd = anon_inode_getfd("vmm-vcpu", &vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		refcount_dec(&vm->users);
		goto out_unlock;
	}
	/* The fd is live: the VM owns the vCPU and frees it with itself. */
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* Lockless readers (genl.c) see the slot before the count. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	mutex_unlock(&vm->lock);
	/* The caller's VM fd keeps vm alive; vcpu may be gone already. */
	vmm_genl_vcpu_created(vm, id);
	return fd;

out_unlock:
	mutex_unlock(&vm->lock);
out_free:
	vmm_vcpu_free(vcpu);
	return r;
}

/*
 * L1TF (SDM-independent, Intel's L1 Terminal Fault guidance): on affected
 * CPUs a guest can read what the host left in the L1 data cache, so it is
 * flushed before every entry, unless the kernel's l1tf= mitigation is
 * off or the CPU says no flush is needed on VM entry.
 */
static void l1tf_setup(void)
{
	u64 caps = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) ||
	    l1tf_mitigation == L1TF_MITIGATION_OFF)
		return;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	if (caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		return;
	if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		pr_warn("L1TF: the CPU has no L1D flush command; guests may read host data from L1D (update the microcode)\n");
		return;
	}
	vmm_l1d_flush = true;
}

int vmm_vcpu_init_module(void)
{
	int cpu;

	l1tf_setup();
	for_each_possible_cpu(cpu) {
		INIT_LIST_HEAD(&per_cpu(vmm_pcpu, cpu).loaded);
		/* No VM has that id: the first VMCS loaded gets an IBPB. */
		per_cpu(vmm_pcpu, cpu).last_vm = U32_MAX;
	}

	rdmsrl(MSR_EFER, vmm_host_efer);
	rdmsrl(MSR_IA32_CR_PAT, host_pat);
	rdmsrl(MSR_IA32_SYSENTER_CS, host_sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_EIP, host_sysenter_eip);
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		vmm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	/* x87, SSE, AVX and AVX-512: the state the guest fpstate holds. */
	/*
	 * x87, SSE, AVX and AVX-512: the state the guest fpstate holds; PKRU,
	 * which run.c switches by hand, where the host uses protection keys.
	 */
	vmm_guest_xcr0 = vmm_host_xcr0 & (XFEATURE_MASK_FPSSE |
					  XFEATURE_MASK_YMM |
					  XFEATURE_MASK_AVX512);
	if (boot_cpu_has(X86_FEATURE_OSPKE))
		vmm_guest_xcr0 |= vmm_host_xcr0 & XFEATURE_MASK_PKRU;
	vmm_cpuid_init();
	store_idt(&vmm_host_idt);

	/* Every MSR access exits, but for the bases that live in the VMCS. */
	vmm_msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!vmm_msr_bitmap)
		return -ENOMEM;
	memset(vmm_msr_bitmap, 0xff, PAGE_SIZE);
	/* SDM Vol. 3C 25.6.9: read-high at 1024, write-high at 3072 bytes. */
	for (cpu = 0; cpu < 2; cpu++) {
		unsigned long *half = (void *)vmm_msr_bitmap + 1024 + cpu * 2048;

		__clear_bit(MSR_FS_BASE & 0x1fff, half);
		__clear_bit(MSR_GS_BASE & 0x1fff, half);
	}
	return 0;
}

void vmm_vcpu_exit_module(void)
{
	free_page((unsigned long)vmm_msr_bitmap);
}
