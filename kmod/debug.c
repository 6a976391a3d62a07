// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debugging: the debug registers, and the #DB and #AC intercepts.
 *
 * The guest's DR0-3, DR6 and DR7 live in the vCPU (vcpu->dr[], dr6,
 * dr7); DR7 also lives in GUEST_DR7, which VM entry loads and VM exit
 * saves (the debug controls, vmx.c).  Every MOV DR exits, so what the
 * guest reads is always the vCPU's copy.  DR0-3 reach the hardware only
 * while the guest's DR7 enables a breakpoint: they are loaded with
 * interrupts off just before entry, and the host's come back after the
 * exit (run.c, hw_breakpoint_restore()).
 *
 * #DB and #AC are always intercepted.  Both are benign exceptions, and a
 * guest whose IDT makes their delivery raise the same exception again
 * would otherwise keep the CPU in VMX non-root operation for good, with
 * host interrupts never taken (CVE-2015-5307, CVE-2015-8104).  An
 * intercepted exception is given back to the guest by VM entry, and
 * every entry is a point where the host can stop.  The CPU does not
 * update DR6 for a #DB that exits (SDM Vol. 3C 27.1): the exit
 * qualification holds what it would have set, and the vCPU's DR6 is
 * updated here before the #DB is injected.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uaccess.h>
#include <asm/cpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "debug.h"

/*
 * DR6 (SDM Vol. 3B 18.2.3): B0-B3 say which breakpoint matched, BD a
 * general-detect fault, BS a single step, BT a task switch.  RTM (bit 16)
 * and BLD (bit 11) are active low: 0 means the #DB came from inside a
 * transaction / from a bus lock.  Neither feature is given to guests,
 * so both read as 1 with the other fixed bits (VMM_DR6_FIXED); bit 12
 * reads as 0.
 */
#define DR6_B_BITS	0xfUL
#define DR6_BD		BIT(13)
#define DR6_BS		BIT(14)
#define DR6_BT		BIT(15)
#define DR6_WRITABLE	(DR6_B_BITS | DR6_BD | DR6_BS | DR6_BT)
/*
 * The exit qualification of a #DB and the pending debug exceptions field
 * use the same layout as DR6, but every bit is active high (SDM Vol. 3C
 * 28.2.1, 26.4.2): the RTM and BLD bits there are set for a #DB in a
 * transaction or from a bus lock.
 */
#define DBG_QUAL_BITS	(DR6_B_BITS | BIT(11) | DR6_BD | DR6_BS | BIT(16))
#define DR6_ACTIVE_LOW	VMM_DR6_FIXED

/*
 * DR7 (SDM Vol. 3B 18.2.4): bit 10 reads as 1; bits 12, 14 and 15 as 0.
 * GD makes every MOV DR fault with #DB (BD) first.
 */
#define DR7_GD		BIT(13)
#define DR7_WRITABLE	0xffff2bffUL

/* The guest's CPL: SS.DPL (SDM Vol. 3A 5.5). */
static int guest_cpl(void)
{
	return VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES));
}

static void dr7_write(struct vmm_vcpu *vcpu, unsigned long val)
{
	vcpu->dr7 = (val & DR7_WRITABLE) | VMM_DR7_FIXED;
	vmcs_writel(GUEST_DR7, vcpu->dr7);
}

/*
 * Give the guest a #DB whose causes are @payload (exit-qualification
 * layout).  DR6 gets them the way the CPU would set them on delivery:
 * B0-B3 replaced, BD, BS and BT added (never cleared by the CPU), the
 * active-low bits cleared for a set cause.  Delivering a #DB clears
 * DR7.GD, so the handler can use the debug registers (SDM Vol. 3B
 * 18.2.4); injection through VM entry does neither, so it is done here.
 */
static void queue_db(struct vmm_vcpu *vcpu, unsigned long payload)
{
	payload &= DBG_QUAL_BITS;
	vcpu->dr6 &= ~DR6_B_BITS;
	vcpu->dr6 |= DR6_ACTIVE_LOW | payload;
	vcpu->dr6 ^= payload & DR6_ACTIVE_LOW;
	vcpu->dr6 &= ~BIT(12);
	if (vcpu->dr7 & DR7_GD)
		dr7_write(vcpu, vcpu->dr7 & ~DR7_GD);
	vmm_inject_exception(vcpu, X86_TRAP_DB, false, 0);
}

/*
 * VM entry refuses a guest with RFLAGS.TF set and blocking by STI or
 * MOV SS unless the pending debug exceptions field has BS set (SDM Vol.
 * 3C 27.3.1.5).  The CPU keeps that field right on every exit but one
 * that an intercepted #DB caused, where it leaves the single step to
 * the VMM.  Blocking means the step cannot have been armed by the last
 * instruction (STI and MOV SS do not change TF), so the step is due:
 * say so in the field.  The same check wants BS clear with TF clear
 * (userspace may have cleared TF): with blocking, BS is exactly TF
 * (DEBUGCTL.BTF is always 0 for the guest).  (Bochs 2.7 does not make
 * this entry check; the SDM's rule is followed regardless.)
 */
void vmm_debug_fix_bs(void)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	unsigned long pend, want;

	if (!(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		return;
	pend = vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS);
	want = pend & ~DR6_BS;
	if (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_TF)
		want |= DR6_BS;
	if (want != pend)
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, want);
}

static int handle_db(struct vmm_vcpu *vcpu, u32 intr_info)
{
	vmm_debug_fix_bs();
	if ((intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION) {
		/*
		 * ICEBP (INT1, 0xf1): the exit happens on the instruction
		 * itself, RIP still at it.  It is delivered again as what it
		 * is, a privileged software exception with the instruction's
		 * length, so the guest's handler returns past it; it sets no
		 * DR6 bit.
		 */
		vmm_inject_event(vcpu, X86_TRAP_DB |
				 INTR_TYPE_PRIV_SW_EXCEPTION | INTR_INFO_VALID_MASK,
				 vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
		return EXIT_RESUME;
	}
	/*
	 * A breakpoint (a fault for an instruction breakpoint, RIP at the
	 * instruction; a trap for the rest, RIP past it) or a single step.
	 */
	queue_db(vcpu, vmcs_readl(EXIT_QUALIFICATION));
	return EXIT_RESUME;
}

/*
 * #AC that the guest did not ask for is a split lock the host's split
 * lock detection caught.  The kernel decides, and may sleep doing it
 * (hence the slow path): warn and let the task go on without detection,
 * or refuse, in which case userspace gets the exception (and the task
 * its SIGBUS), as KVM does.
 */
static int split_lock_slow(struct vmm_vcpu *vcpu)
{
	unsigned long rip;
	int r = vmm_vcpu_get(vcpu);

	if (r)
		return r;
	rip = vmcs_readl(GUEST_RIP);
	vmm_vcpu_put(vcpu);
	if (handle_guest_split_lock(rip))
		return EXIT_RESUME;
	vcpu->run->exit_reason = VMM_EXIT_EXCEPTION;
	vcpu->run->ex.exception = X86_TRAP_AC;
	vcpu->run->ex.error_code = 0;
	return EXIT_USER;
}

static int handle_ac(struct vmm_vcpu *vcpu)
{
	unsigned long cr0 = (vcpu->cr0 & vmm_cr0_mask()) |
			    (vmcs_readl(GUEST_CR0) & ~vmm_cr0_mask());

	/*
	 * Alignment checking is the guest's when CR0.AM, RFLAGS.AC and CPL 3
	 * are all set (SDM Vol. 3A 6.15, interrupt 17).  Without split lock
	 * detection on the host every #AC is the guest's.
	 */
	if (!boot_cpu_has(X86_FEATURE_SPLIT_LOCK_DETECT) ||
	    ((cr0 & X86_CR0_AM) && guest_cpl() == 3 &&
	     (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_AC))) {
		/* The error code of #AC is always 0. */
		vmm_inject_exception(vcpu, X86_TRAP_AC, true, 0);
		return EXIT_RESUME;
	}
	vcpu->slow = split_lock_slow;
	return EXIT_SLOW;
}

/*
 * An exception exit: true if it is a #DB or an #AC, handled, with *ret
 * the exit handler's answer.  A #DB exit that cut the delivery of
 * another event short is left to the caller, which delivers that event
 * again; the #DB trap is then lost (only a data breakpoint on the
 * event's own stack writes could do that).  An #AC is handled either
 * way, or the event would raise it again forever: the guest's own goes
 * in by the double-fault rules (vmm_inject_exception), a split lock is
 * the host's, and the event follows.
 */
bool vmm_debug_exception(struct vmm_vcpu *vcpu, u32 intr_info, int *ret)
{
	u32 type = intr_info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = intr_info & INTR_INFO_VECTOR_MASK;

	if (type == INTR_TYPE_NMI_INTR ||
	    (vector != X86_TRAP_DB && vector != X86_TRAP_AC) ||
	    (vector == X86_TRAP_DB &&
	     (vmcs_read32(IDT_VECTORING_INFO_FIELD) & VECTORING_INFO_VALID_MASK)))
		return false;
	*ret = vector == X86_TRAP_DB ? handle_db(vcpu, intr_info) :
				       handle_ac(vcpu);
	return true;
}

/*
 * The module completed an instruction for the guest (skipped it, or
 * emulated it): what the CPU does at the end of every instruction
 * (SDM Vol. 3B 18.3.1.1, 18.3.1.4).  RF is cleared, and with TF set a
 * single-step #DB follows; a data breakpoint that the CPU held back
 * after MOV SS goes with it.
 */
void vmm_debug_insn_done(struct vmm_vcpu *vcpu, unsigned long rflags)
{
	unsigned long pending;

	if (likely(!(rflags & (X86_EFLAGS_TF | X86_EFLAGS_RF))))
		return;
	if (rflags & X86_EFLAGS_RF)
		vmcs_writel(GUEST_RFLAGS, rflags & ~X86_EFLAGS_RF);
	if (!(rflags & X86_EFLAGS_TF))
		return;
	pending = vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS);
	if (pending)
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	queue_db(vcpu, DR6_BS | (pending & DR6_B_BITS));
}

/*
 * A MOV to or from a debug register exited.  Returns true if the
 * instruction completed (the caller moves RIP past it), false if it
 * raised an exception instead.
 */
bool vmm_debug_mov_dr(struct vmm_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int dr = qual & 7, reg = (qual >> 8) & 15;
	bool read = qual & 16;
	unsigned long *g = vcpu->es.regs, val;

	/*
	 * The CPU checks CPL 0 (#GP) before the exit; the exit then comes
	 * before the general-detect #DB, which is raised here.
	 */
	if (guest_cpl()) {
		vmm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return false;
	}
	/* DR4/5 alias DR6/7 unless CR4.DE (SDM Vol. 3B 18.2.2). */
	if (dr == 4 || dr == 5) {
		if (vcpu->cr4 & X86_CR4_DE ||
		    vmcs_readl(GUEST_CR4) & X86_CR4_DE) {
			vmm_inject_exception(vcpu, X86_TRAP_UD, false, 0);
			return false;
		}
		dr += 2;
	}
	if (vcpu->dr7 & DR7_GD) {
		queue_db(vcpu, DR6_BD);
		return false;
	}
	if (read) {
		val = dr < 4 ? vcpu->dr[dr] : dr == 6 ? vcpu->dr6 : vcpu->dr7;
		if (!(vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
			val = (u32)val;
		if (reg == VMM_RSP)
			vmcs_writel(GUEST_RSP, val);
		else
			g[reg] = val;
		return true;
	}
	val = reg == VMM_RSP ? vmcs_readl(GUEST_RSP) : g[reg];
	/* Outside 64-bit mode the operand is 32 bits. */
	if (!(vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
		val = (u32)val;
	if (dr >= 6 && (val >> 32)) {
		vmm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return false;
	}
	if (dr < 4)
		vcpu->dr[dr] = val;
	else if (dr == 6)
		vcpu->dr6 = (val & DR6_WRITABLE) | VMM_DR6_FIXED;
	else
		dr7_write(vcpu, val);
	return true;
}

/*
 * Interrupts off, just before entry, when the guest's DR7 enables a
 * breakpoint: its DR0-3 go into the hardware (DR7 comes from the VMCS).
 * A host breakpoint must not fire on a guest address meanwhile: the
 * host's DR7 is cleared first if it has any; the exit path restores it.
 */
void vmm_debug_load_guest(struct vmm_vcpu *vcpu)
{
	if (hw_breakpoint_active())
		set_debugreg(0UL, 7);
	set_debugreg(vcpu->dr[0], 0);
	set_debugreg(vcpu->dr[1], 1);
	set_debugreg(vcpu->dr[2], 2);
	set_debugreg(vcpu->dr[3], 3);
}

int vmm_get_debugregs(struct vmm_vcpu *vcpu, struct vmm_debugregs __user *u)
{
	struct vmm_debugregs d;

	memset(&d, 0, sizeof(d));
	memcpy(d.db, vcpu->dr, sizeof(d.db));
	d.dr6 = vcpu->dr6;
	d.dr7 = vcpu->dr7;
	return copy_to_user(u, &d, sizeof(d)) ? -EFAULT : 0;
}

/* As KVM: flags must be 0, and DR6/DR7 have no bits above 31. */
int vmm_set_debugregs(struct vmm_vcpu *vcpu, struct vmm_debugregs __user *u)
{
	struct vmm_debugregs d;
	int r;

	if (copy_from_user(&d, u, sizeof(d)))
		return -EFAULT;
	if (d.flags || (d.dr6 >> 32) || (d.dr7 >> 32))
		return -EINVAL;
	r = vmm_vcpu_get(vcpu);
	if (r)
		return r;
	memcpy(vcpu->dr, d.db, sizeof(vcpu->dr));
	vcpu->dr6 = (d.dr6 & DR6_WRITABLE) | VMM_DR6_FIXED;
	dr7_write(vcpu, d.dr7);
	vmm_vcpu_put(vcpu);
	return 0;
}
