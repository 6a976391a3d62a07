// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: guest accesses to guest-physical addresses that no memory slot
 * backs (or writes to a read-only slot) become VMM_EXIT_MMIO exits.
 *
 * The faulting instruction is fetched through the guest's page tables,
 * decoded and emulated by emulate.c one memory access at a time: each
 * access is one exit to userspace, and the next VMM_RUN hands the data
 * back and continues.  This runs outside the run loop, with the guest's
 * FPU state in memory, so the SSE moves read and write it there.
 *
 * A string instruction's operand that is guest RAM (the other side of a
 * MOVS or CMPS) is read or written here directly, without an exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <asm/fpu/types.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "debug.h"

static int emu_read_mem(void *opaque, u64 la, void *buf, unsigned int len)
{
	struct vmm_vcpu *vcpu = opaque;
	u64 gpa;
	u32 pf;

	/* An element straddling a page: not emulated (no #PF to give). */
	if (offset_in_page(la) + len > PAGE_SIZE) {
		vcpu->emu_failed = true;
		return -EIO;
	}
	if (vmm_gva_to_gpa(vcpu->vm, &vcpu->walk, la, false, &gpa, &pf)) {
		vcpu->pf_gva = la;
		vcpu->pf_error = pf;
		return -EFAULT;
	}
	/* Not RAM after all: the slots changed since string_sides(). */
	if (vmm_read_guest(vcpu->vm, gpa, buf, len)) {
		vcpu->emu_failed = true;
		return -EFAULT;
	}
	return 0;
}

static int emu_write_mem(void *opaque, u64 la, const void *buf,
			 unsigned int len)
{
	struct vmm_vcpu *vcpu = opaque;
	u64 gpa;
	u32 pf;

	if (offset_in_page(la) + len > PAGE_SIZE) {
		vcpu->emu_failed = true;
		return -EIO;
	}
	if (vmm_gva_to_gpa(vcpu->vm, &vcpu->walk, la, true, &gpa, &pf)) {
		vcpu->pf_gva = la;
		vcpu->pf_error = pf;
		return -EFAULT;
	}
	/*
	 * string_sides() made a read-only destination MMIO; finding one
	 * here means the slots changed since: end it as an emulation
	 * failure rather than write the slot.
	 */
	if (vmm_write_guest(vcpu->vm, gpa, buf, len)) {
		vcpu->emu_failed = true;
		return -EPERM;
	}
	return 0;
}

/*
 * The guest's XMM registers live in the legacy area of its XSAVE state
 * while it is not running.  A clear SSE bit in the XSAVE header means the
 * registers hold their initial value, zero.
 */
static void emu_get_xmm(void *opaque, unsigned int reg, u8 *val)
{
	struct vmm_vcpu *vcpu = opaque;
	union fpregs_state *regs = &vcpu->fpu.fpstate->regs;

	if (!(regs->xsave.header.xfeatures & XFEATURE_MASK_SSE))
		memset(val, 0, 16);
	else
		memcpy(val, &regs->fxsave.xmm_space[reg * 4], 16);
}

static void emu_set_xmm(void *opaque, unsigned int reg, const u8 *val)
{
	struct vmm_vcpu *vcpu = opaque;
	union fpregs_state *regs = &vcpu->fpu.fpstate->regs;

	if (!(regs->xsave.header.xfeatures & XFEATURE_MASK_SSE)) {
		memset(regs->fxsave.xmm_space, 0,
		       sizeof(regs->fxsave.xmm_space));
		regs->xsave.header.xfeatures |= XFEATURE_MASK_SSE;
	}
	memcpy(&regs->fxsave.xmm_space[reg * 4], val, 16);
}

static const struct emu_ops vmm_emu_ops = {
	.read_mem = emu_read_mem,
	.write_mem = emu_write_mem,
	.get_xmm = emu_get_xmm,
	.set_xmm = emu_set_xmm,
};

static int emulation_failure(struct vmm_vcpu *vcpu, const u8 *bytes, int n)
{
	struct vmm_run *run = vcpu->run;

	/* data: the address, how many bytes were fetched, then the bytes. */
	run->exit_reason = VMM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = VMM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 4;
	run->internal.data[0] = vcpu->fault_gpa;
	run->internal.data[1] = n;
	run->internal.data[2] = 0;
	run->internal.data[3] = 0;
	if (n)
		memcpy(&run->internal.data[2], bytes, min(n, 16));
	vcpu->pending = VMM_PENDING_NONE;
	return 0;
}

static int inject(struct vmm_vcpu *vcpu, u8 vector, bool has_error, u32 error,
		  u64 cr2)
{
	int r = vmm_vcpu_get(vcpu);

	if (r)
		return r;
	if (vector == X86_TRAP_PF)
		vcpu->es.cr2 = cr2;
	vmm_inject_exception(vcpu, vector, has_error, error);
	vmm_vcpu_put(vcpu);
	vcpu->pending = VMM_PENDING_NONE;
	return 1;
}

/* The instruction is done: its registers go back into the vCPU. */
static int writeback(struct vmm_vcpu *vcpu)
{
	struct emu_ctxt *c = &vcpu->emu;
	int i, r = vmm_vcpu_get(vcpu);

	if (r)
		return r;
	for (i = 0; i < VMM_NR_GPRS; i++)
		if (i != VMM_RSP)
			vcpu->es.regs[i] = c->gpr[i];
	vmcs_writel(GUEST_RSP, c->gpr[VMM_RSP]);
	vmcs_writel(GUEST_RFLAGS, c->rflags);
	vmm_retire_insn(vcpu, c->rip);
	vmm_vcpu_put(vcpu);
	vcpu->pending = VMM_PENDING_NONE;
	return 1;
}

/*
 * Act on what the emulator asks for.  Returns 0 to go to userspace (the
 * run structure is filled in), 1 to enter the guest, or -errno.
 */
static int mmio_step(struct vmm_vcpu *vcpu, enum emu_status st)
{
	struct emu_ctxt *c = &vcpu->emu;
	struct vmm_run *run = vcpu->run;
	u64 gpa;
	u32 pf;

	switch (st) {
	case EMU_ACCESS:
		/*
		 * The access is on the faulting page, whose guest-physical
		 * address the exit gave; anything else (the second page of a
		 * straddling access) goes through the guest's page tables.
		 */
		if ((c->access.la >> PAGE_SHIFT) == (vcpu->fault_la >> PAGE_SHIFT))
			gpa = (vcpu->fault_gpa & PAGE_MASK) |
			      offset_in_page(c->access.la);
		else if (vmm_gva_to_gpa(vcpu->vm, &vcpu->walk, c->access.la,
					c->access.write, &gpa, &pf))
			return inject(vcpu, X86_TRAP_PF, true, pf, c->access.la);
		run->exit_reason = VMM_EXIT_MMIO;
		run->mmio.phys_addr = gpa;
		run->mmio.len = c->access.size;
		run->mmio.is_write = c->access.write;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		if (c->access.write)
			memcpy(run->mmio.data, c->access.data, c->access.size);
		vcpu->pending = VMM_PENDING_MMIO;
		return 0;
	case EMU_DONE:
		return writeback(vcpu);
	case EMU_EXCEPTION:
		if (vcpu->emu_failed)
			return emulation_failure(vcpu, NULL, 0);
		if (c->exc_vector == X86_TRAP_PF)
			return inject(vcpu, X86_TRAP_PF, true, vcpu->pf_error,
				      vcpu->pf_gva);
		return inject(vcpu, c->exc_vector, c->exc_has_error,
			      c->exc_error_code, 0);
	default:
		return emulation_failure(vcpu, NULL, 0);
	}
}

/* Fetch up to 15 bytes at CS:RIP; returns how many, stopping at a fault. */
static int fetch(struct vmm_vcpu *vcpu, u64 la, u8 *bytes, u32 *pf)
{
	int n = 0;

	*pf = 0;
	while (n < EMU_MAX_INSN_LEN) {
		int chunk = min_t(int, EMU_MAX_INSN_LEN - n,
				  PAGE_SIZE - offset_in_page(la + n));
		u64 gpa;

		if (vmm_gva_to_gpa(vcpu->vm, &vcpu->walk, la + n, false, &gpa,
				   pf)) {
			*pf |= X86_PF_INSTR;
			break;
		}
		if (vmm_read_guest(vcpu->vm, gpa, bytes + n, chunk))
			break;	/* code in MMIO: not emulated */
		n += chunk;
	}
	return n;
}

/*
 * Is the guest-linear address la of an access MMIO: not backed by a
 * memory slot, or a write to a read-only slot?  An address that does not
 * translate is not: the emulator's read_mem/write_mem then raise the #PF.
 */
static bool la_is_mmio(struct vmm_vcpu *vcpu, u64 la, bool write)
{
	const struct vmm_memslot *s;
	bool mmio;
	u64 gpa;
	u32 pf;
	int idx;

	if (vmm_gva_to_gpa(vcpu->vm, &vcpu->walk, la, write, &gpa, &pf))
		return false;
	idx = srcu_read_lock(&vcpu->vm->srcu);
	s = vmm_find_slot(vmm_slots(vcpu->vm), gpa >> PAGE_SHIFT);
	mmio = !s || (write && (s->flags & VMM_MEM_READONLY));
	srcu_read_unlock(&vcpu->vm->srcu, idx);
	return mmio;
}

/*
 * MOVS and CMPS have two memory operands, either or both of which may be
 * MMIO: the exit names one of them (or none, without a valid guest-linear
 * address), so ask the memory slots about each.  Should neither look like
 * MMIO (the slots changed since the exit), the faulting page decides.
 */
static u8 string_sides(struct vmm_vcpu *vcpu)
{
	const struct emu_insn *in = &vcpu->emu.insn;
	u8 sides = 0;

	if (la_is_mmio(vcpu, in->la, false))
		sides |= EMU_MOVS_SRC;
	if (la_is_mmio(vcpu, in->dst_la, in->flags & EMU_INSN_WRITE))
		sides |= EMU_MOVS_DST;
	if (!sides)
		sides = (in->la >> PAGE_SHIFT) == (vcpu->fault_la >> PAGE_SHIFT) ?
			EMU_MOVS_SRC : EMU_MOVS_DST;
	return sides;
}

/*
 * An EPT violation outside guest RAM: begin emulating the instruction.
 * Called from VMM_RUN with the guest's FPU state saved.  Returns 0 to
 * exit to userspace, 1 to enter the guest again, or -errno.
 */
int vmm_mmio_begin(struct vmm_vcpu *vcpu)
{
	struct emu_ctxt *c = &vcpu->emu;
	u8 bytes[EMU_MAX_INSN_LEN];
	enum emu_status st;
	u32 cs_ar, pf;
	u64 la;
	int i, n, r;

	r = vmm_vcpu_get(vcpu);
	if (r)
		return r;
	vcpu->emu_failed = false;
	vmm_walk_capture(&vcpu->walk);
	cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
	emu_init(c, (cs_ar & VMX_AR_L_MASK) ? 64 :
		    (cs_ar & VMX_AR_DB_MASK) ? 32 : 16, &vmm_emu_ops, vcpu);
	for (i = 0; i < VMM_NR_GPRS; i++)
		c->gpr[i] = vcpu->es.regs[i];
	c->gpr[VMM_RSP] = vmcs_readl(GUEST_RSP);
	c->rip = vmcs_readl(GUEST_RIP);
	c->rflags = vmcs_readl(GUEST_RFLAGS);
	/* ES, CS, SS, DS, FS, GS: the VMCS has them in this order too. */
	for (i = 0; i < EMU_NR_SEGS; i++)
		c->seg_base[i] = __vmcs_read(GUEST_ES_BASE + 2 * i);
	/* Bit 7: the guest-linear address field is valid (SDM 28.2.1). */
	vcpu->fault_la = (vcpu->fault_qual & BIT(7)) ?
			 vmcs_readl(GUEST_LINEAR_ADDRESS) : ~0ULL;
	vmm_vcpu_put(vcpu);

	la = c->seg_base[EMU_SEG_CS] + c->rip;
	if (c->mode != 64)
		la = (u32)la;
	n = fetch(vcpu, la, bytes, &pf);
	st = emu_decode(c, bytes, n);
	if (st == EMU_NEED_MORE && pf)
		return inject(vcpu, X86_TRAP_PF, true, pf, la + n);
	if (st == EMU_EXCEPTION)
		return inject(vcpu, c->exc_vector, c->exc_has_error,
			      c->exc_error_code, 0);
	if (st != EMU_OK)
		return emulation_failure(vcpu, bytes, n);

	if (c->insn.flags & EMU_INSN_TWO_MEM)
		c->movs_mmio = string_sides(vcpu);
	return mmio_step(vcpu, emu_start(c));
}

/* VMM_RUN after an MMIO exit: hand the data over and go on. */
int vmm_mmio_complete(struct vmm_vcpu *vcpu)
{
	struct emu_ctxt *c = &vcpu->emu;

	return mmio_step(vcpu, emu_complete(c, c->access.write ? NULL :
					       vcpu->run->mmio.data));
}
