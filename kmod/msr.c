// SPDX-License-Identifier: GPL-2.0
/*
 * MSR emulation: what a guest's RDMSR/WRMSR and userspace's GET_MSRS/
 * SET_MSRS see.  Every MSR access of the guest exits (the MSR bitmap in
 * vcpu.c passes only FS/GS base through); the run loop (run.c) calls
 * vmm_get_msr()/vmm_set_msr() and turns a non-zero return into #GP(0).
 *
 * @host is true for userspace's accesses.  As in KVM, userspace may write
 * what the guest may not (read-only state it restores after a migration),
 * while both see the same values.  The MSRs that are only plain state
 * here (MTRRs, machine-check banks, the paravirtual clock MSRs) have no
 * effect on the guest beyond what it reads back: EPT maps guest memory
 * write-back whatever the MTRRs say, and no machine check is ever
 * injected.
 */
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmm.h>
#include <asm/apicdef.h>
#include <asm/msr.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "msr.h"

/* Paravirtual clock MSRs of the KVM interface (KVM's api.rst, msr.rst). */
#define VMM_MSR_KVM_WALL_CLOCK	0x11
#define VMM_MSR_KVM_SYSTEM_TIME	0x12

/* IA32_MTRRCAP: 8 variable ranges, fixed ranges, write-combining (as KVM). */
#define VMM_MTRRCAP		(VMM_NR_VAR_MTRR | BIT(8) | BIT(10))

/* IA32_MCG_CAP bits userspace may set beyond the bank count. */
#define VMM_MCG_CTL_P		BIT_ULL(8)
#define VMM_MCG_SER_P		BIT_ULL(24)
#define VMM_MCG_CAP_OK		(0xffULL | VMM_MCG_CTL_P | VMM_MCG_SER_P)

/* IA32_MISC_ENABLE bits the guest cannot change (KVM's PMU_RO_MASK). */
#define VMM_MISC_ENABLE_RO	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

/* MTRR MSRs (SDM Vol. 3A 12.11.2): the kernel's names are CamelCase. */
#define VMM_MSR_MTRR_DEF_TYPE	0x2ff
#define VMM_MSR_MTRR_VAR	0x200	/* PhysBase0, PhysMask0, ... */

/* The fixed-range MTRRs: one 64K, two 16K, eight 4K. */
static const u32 fixed_mtrrs[VMM_NR_FIXED_MTRR] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
	0x26e, 0x26f,
};

/* The MSRs whose GET and SET both work, whatever the vCPU's state. */
static const u32 vmm_msrs[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_TSC_AUX,
	MSR_IA32_MISC_ENABLE, MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_TSC_ADJUST,
	MSR_IA32_APICBASE, VMM_MSR_KVM_WALL_CLOCK, VMM_MSR_KVM_SYSTEM_TIME,
	VMM_MSR_MTRR_DEF_TYPE, MSR_IA32_MCG_CAP, MSR_IA32_MCG_STATUS,
	MSR_IA32_MCG_CTL, MSR_IA32_UCODE_REV,
};

#define VMM_NR_LISTED	(ARRAY_SIZE(vmm_msrs) + VMM_NR_FIXED_MTRR + \
			 2 * VMM_NR_VAR_MTRR + 4 * VMM_MAX_MCE_BANKS)

/* Power-on values (SDM Vol. 3A 9.1.1, Table 9-1) and KVM's defaults. */
void vmm_msr_reset(struct vmm_vcpu *vcpu)
{
	struct vmm_msr_state *m = &vcpu->msr;
	int i;

	memset(m, 0, sizeof(*m));
	/*
	 * KVM gives a new vCPU all its banks without MCG_CTL_P and leaves
	 * the rest to KVM_X86_SETUP_MCE, which vmm does not have: the vCPU
	 * starts as SETUP_MCE would leave it (MCG_CTL present, every CTL
	 * all ones), which is what QEMU then writes back.
	 */
	/* The microcode revision KVM reports: bits 63:32, "no update". */
	m->ucode_rev = 0x100000000ULL;
	m->mcg_cap = VMM_MAX_MCE_BANKS | VMM_MCG_CTL_P;
	m->mcg_ctl = ~0ULL;
	for (i = 0; i < VMM_MAX_MCE_BANKS; i++)
		m->mce_banks[4 * i] = ~0ULL;
}

static bool is_canonical(u64 v)
{
	return (u64)((s64)(v << 16) >> 16) == v;
}

static const struct vmm_cpuid_entry2 *guest_cpuid(struct vmm_vcpu *vcpu,
						  u32 fn, u32 index)
{
	int i;

	for (i = 0; i < vcpu->ncpuid; i++) {
		const struct vmm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function == fn &&
		    (!(e->flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

/* Physical-address bits above the guest's MAXPHYADDR (36 if unknown). */
static u64 reserved_pa_bits(struct vmm_vcpu *vcpu)
{
	const struct vmm_cpuid_entry2 *e = guest_cpuid(vcpu, 0x80000008, 0);
	unsigned int bits = e && (e->eax & 0xff) ? e->eax & 0xff : 36;

	return bits >= 64 ? 0 : GENMASK_ULL(63, bits);
}

/* Memory types of MTRRs: UC, WC, WT, WP, WB (SDM Vol. 3A 12.11.1). */
static bool mtrr_type_valid(u64 t)
{
	return t < 8 && (BIT(t) & 0x73);
}

static bool pat_valid(u64 pat)
{
	int i;

	/* Each byte a memory type: 0, 1, 4, 5, 6 or 7 (SDM Vol. 3A 12.12.2). */
	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static u64 *mtrr_slot(struct vmm_vcpu *vcpu, u32 index)
{
	int i;

	if (index == VMM_MSR_MTRR_DEF_TYPE)
		return &vcpu->msr.mtrr_deftype;
	if (index >= VMM_MSR_MTRR_VAR &&
	    index < VMM_MSR_MTRR_VAR + 2 * VMM_NR_VAR_MTRR)
		return &vcpu->msr.mtrr_var[index - VMM_MSR_MTRR_VAR];
	for (i = 0; i < VMM_NR_FIXED_MTRR; i++)
		if (fixed_mtrrs[i] == index)
			return &vcpu->msr.mtrr_fixed[i];
	return NULL;
}

/* SDM Vol. 3A 12.11.2-12.11.3: reserved bits and memory types. */
static bool mtrr_valid(struct vmm_vcpu *vcpu, u32 index, u64 data)
{
	int i;

	if (index == VMM_MSR_MTRR_DEF_TYPE)
		return !(data & ~0xcffULL) && mtrr_type_valid(data & 0xff);
	if (index >= VMM_MSR_MTRR_VAR &&
	    index < VMM_MSR_MTRR_VAR + 2 * VMM_NR_VAR_MTRR) {
		if (index & 1)		/* PhysMask: bits 0-10 reserved */
			return !(data & (reserved_pa_bits(vcpu) | 0x7ff));
		return !(data & (reserved_pa_bits(vcpu) | 0xf00)) &&
		       mtrr_type_valid(data & 0xff);
	}
	for (i = 0; i < 8; i++)		/* fixed: eight types per MSR */
		if (!mtrr_type_valid((data >> (8 * i)) & 0xff))
			return false;
	return true;
}

static u64 *mce_bank(struct vmm_vcpu *vcpu, u32 index)
{
	u32 n = 4 * (vcpu->msr.mcg_cap & 0xff);
	u32 off = index - MSR_IA32_MC0_CTL;

	if (index < MSR_IA32_MC0_CTL || off >= n)
		return NULL;
	return &vcpu->msr.mce_banks[array_index_nospec(off, n)];
}

static int get_mce(struct vmm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	struct vmm_msr_state *m = &vcpu->msr;
	u64 *bank;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		*data = m->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = m->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(m->mcg_cap & VMM_MCG_CTL_P) && !host)
			return -EINVAL;
		*data = m->mcg_ctl;
		return 0;
	}
	bank = mce_bank(vcpu, index);
	if (!bank)
		return -ENOENT;
	*data = *bank;
	return 0;
}

static int set_mce(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vmm_msr_state *m = &vcpu->msr;
	u64 *bank;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		/*
		 * Read-only to the guest (SDM Vol. 3B 16.3.1.1).  Userspace
		 * sets it here, where KVM has KVM_X86_SETUP_MCE: 1 to 32
		 * banks, MCG_CTL_P and MCG_SER_P only.
		 */
		if (!host || (data & ~VMM_MCG_CAP_OK) || !(data & 0xff) ||
		    (data & 0xff) > VMM_MAX_MCE_BANKS)
			return -EINVAL;
		m->mcg_cap = data;
		return 0;
	case MSR_IA32_MCG_STATUS:
		m->mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		/* All ones or all zeroes; zero from userspace without CTL_P. */
		if (!(m->mcg_cap & VMM_MCG_CTL_P) && (data || !host))
			return -EINVAL;
		if (data && data != ~0ULL)
			return -EINVAL;
		m->mcg_ctl = data;
		return 0;
	}
	bank = mce_bank(vcpu, index);
	if (!bank)
		return -ENOENT;
	switch ((index - MSR_IA32_MC0_CTL) & 3) {
	case 0:
		/*
		 * MCi_CTL: 0 or all ones; bits 0 and 10 may be clear, as KVM
		 * allows for guests (UnixWare, old Linux on K8) that do so.
		 */
		if (data && (data | BIT_ULL(10) | BIT_ULL(0)) != ~0ULL)
			return -EINVAL;
		break;
	case 1:
		/* MCi_STATUS: the guest may only clear it (SDM 16.3.2.2). */
		if (!host && data)
			return -EINVAL;
		break;
	}
	*bank = data;
	return 0;
}

static u64 guest_tsc(void)
{
	return rdtsc() + vmcs_read64(TSC_OFFSET);
}

static void adjust_tsc_offset(s64 delta)
{
	vmcs_write64(TSC_OFFSET, vmcs_read64(TSC_OFFSET) + delta);
}

/*
 * IA32_APIC_BASE without a local APIC in the kernel: the value is kept
 * and reported in run->apic_base.  Reserved: bits 0-7 and 9, bits at
 * and above MAXPHYADDR, x2APIC enable without x2APIC in CPUID and
 * x2APIC enable without the global enable (SDM Vol. 3A 11.4.4, 11.12.5).
 * The guest may not go from x2APIC back to xAPIC, nor from disabled to
 * x2APIC; userspace may.
 */
bool vmm_apic_base_valid(struct vmm_vcpu *vcpu, u64 data, bool host)
{
	const struct vmm_cpuid_entry2 *e = guest_cpuid(vcpu, 1, 0);
	u64 rsvd = reserved_pa_bits(vcpu) | 0x2ff;
	u64 en = MSR_IA32_APICBASE_ENABLE, x2 = X2APIC_ENABLE;
	u64 old = vcpu->apic_base;

	if (!e || !(e->ecx & BIT(21)))
		rsvd |= x2;
	if ((data & rsvd) || (data & (en | x2)) == x2)
		return false;
	return host || !(((old & x2) && !(data & x2) && (data & en)) ||
			 (!(old & en) && (data & x2)));
}

/*
 * The value of MSR @index, 0 on success; non-zero for an MSR the vCPU
 * does not have (or may not read): #GP for the guest.
 */
int vmm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u64 *p;

	switch (index) {
	case MSR_EFER:
		*data = vmcs_read64(GUEST_IA32_EFER);
		return 0;
	case MSR_STAR:
		*data = vcpu->shared_msrs[VMM_MSR_STAR];
		return 0;
	case MSR_LSTAR:
		*data = vcpu->shared_msrs[VMM_MSR_LSTAR];
		return 0;
	case MSR_CSTAR:
		*data = vcpu->shared_msrs[VMM_MSR_CSTAR];
		return 0;
	case MSR_SYSCALL_MASK:
		*data = vcpu->shared_msrs[VMM_MSR_SFMASK];
		return 0;
	case MSR_KERNEL_GS_BASE:
		if (vcpu->kgs_loaded)
			rdmsrl(MSR_KERNEL_GS_BASE, *data);
		else
			*data = vcpu->shared_msrs[VMM_MSR_KERNEL_GS_BASE];
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read32(GUEST_SYSENTER_CS);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_readl(GUEST_SYSENTER_ESP);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_readl(GUEST_SYSENTER_EIP);
		return 0;
	case MSR_FS_BASE:
		*data = vmcs_readl(GUEST_FS_BASE);
		return 0;
	case MSR_GS_BASE:
		*data = vmcs_readl(GUEST_GS_BASE);
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read64(GUEST_IA32_PAT);
		return 0;
	case MSR_IA32_TSC:
		*data = guest_tsc();
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*data = vcpu->msr.tsc_adjust;
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = vcpu->msr.ucode_rev;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_MTRRcap:
		*data = VMM_MTRRCAP;
		return 0;
	case VMM_MSR_KVM_WALL_CLOCK:
	case VMM_MSR_KVM_SYSTEM_TIME:
		/* See vmm_set_msr(). */
		if (!host)
			return -EINVAL;
		*data = index == VMM_MSR_KVM_WALL_CLOCK ?
			vcpu->msr.kvm_wall_clock : vcpu->msr.kvm_system_time;
		return 0;
	}
	p = mtrr_slot(vcpu, index);
	if (p) {
		*data = *p;
		return 0;
	}
	return get_mce(vcpu, index, data, host);
}

/*
 * Write @data to MSR @index, 0 on success; non-zero for an MSR the vCPU
 * does not have, a reserved bit or a value the MSR does not take: #GP
 * for the guest, the end of a SET_MSRS batch for userspace.
 */
int vmm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 *p;

	switch (index) {
	case MSR_EFER: {
		u64 cur = vmcs_read64(GUEST_IA32_EFER);

		if (data & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
			return -EINVAL;
		if (!host) {
			/* LMA is the CPU's; LME may not change under paging. */
			data = (data & ~EFER_LMA) | (cur & EFER_LMA);
			if (((data ^ cur) & EFER_LME) &&
			    (vmcs_readl(GUEST_CR0) & X86_CR0_PG))
				return -EINVAL;
		}
		vmm_set_efer(vcpu, data);
		vcpu->check_state = true;
		return 0;
	}
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
		if (!is_canonical(data))
			return -EINVAL;
		fallthrough;
	case MSR_SYSCALL_MASK:
		/* IA32_FMASK bits 63:32 are reserved: WRMSR would fault. */
		if (index == MSR_SYSCALL_MASK && (data >> 32))
			return -EINVAL;
		fallthrough;
	case MSR_STAR: {
		int i = index == MSR_STAR ? VMM_MSR_STAR :
			index == MSR_LSTAR ? VMM_MSR_LSTAR :
			index == MSR_CSTAR ? VMM_MSR_CSTAR :
			index == MSR_SYSCALL_MASK ? VMM_MSR_SFMASK :
			VMM_MSR_KERNEL_GS_BASE;

		vcpu->shared_msrs[i] = data;
		if (i == VMM_MSR_KERNEL_GS_BASE && vcpu->kgs_loaded)
			wrmsrl(MSR_KERNEL_GS_BASE, data);
		return 0;
	}
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, data);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!is_canonical(data))
			return -EINVAL;
		__vmcs_write(index == MSR_IA32_SYSENTER_ESP ? GUEST_SYSENTER_ESP :
			     index == MSR_IA32_SYSENTER_EIP ? GUEST_SYSENTER_EIP :
			     index == MSR_FS_BASE ? GUEST_FS_BASE : GUEST_GS_BASE,
			     data);
		return 0;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		vmcs_write64(GUEST_IA32_PAT, data);
		return 0;
	case MSR_IA32_TSC:
		/*
		 * A guest's WRMSR moves IA32_TSC_ADJUST by the same amount
		 * (SDM Vol. 3B 18.17.3); userspace sets the counter alone.
		 */
		if (host) {
			vmcs_write64(TSC_OFFSET, data - rdtsc());
		} else {
			s64 delta = data - guest_tsc();

			adjust_tsc_offset(delta);
			vcpu->msr.tsc_adjust += delta;
		}
		return 0;
	case MSR_IA32_TSC_ADJUST: {
		const struct vmm_cpuid_entry2 *e = guest_cpuid(vcpu, 7, 0);

		/*
		 * The guest's write moves its TSC by the change; as KVM, a
		 * write is ignored (no #GP) where CPUID lacks the MSR.
		 */
		if (!host) {
			if (!e || !(e->ebx & BIT(1)))
				return 0;
			adjust_tsc_offset(data - vcpu->msr.tsc_adjust);
		}
		vcpu->msr.tsc_adjust = data;
		return 0;
	}
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->tsc_aux = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		if (!host) {
			/* BTS/PEBS unavailable are read-only, EMON is ignored. */
			if ((data ^ vcpu->misc_enable) & VMM_MISC_ENABLE_RO)
				return -EINVAL;
			data = (data & ~MSR_IA32_MISC_ENABLE_EMON) |
			       (vcpu->misc_enable & MSR_IA32_MISC_ENABLE_EMON);
		}
		vcpu->misc_enable = data;
		return 0;
	case MSR_IA32_UCODE_REV:
		/*
		 * A guest writes 0 before CPUID to have the revision loaded
		 * (SDM Vol. 3A 10.11.7.1): nothing to load, the write is
		 * dropped.  Userspace sets the revision the guest reads.
		 */
		if (host)
			vcpu->msr.ucode_rev = data;
		return 0;
	case MSR_IA32_APICBASE:
		if (!vmm_apic_base_valid(vcpu, data, host))
			return -EINVAL;
		vcpu->apic_base = data;
		return 0;
	case VMM_MSR_KVM_WALL_CLOCK:
	case VMM_MSR_KVM_SYSTEM_TIME:
		/*
		 * vmm does not advertise KVM's paravirtual clock (its CPUID
		 * signature is its own), so the guest gets #GP, as KVM with
		 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID gives it without the
		 * feature.  Userspace restores them as plain values.
		 */
		if (!host)
			return -EINVAL;
		if (index == VMM_MSR_KVM_WALL_CLOCK)
			vcpu->msr.kvm_wall_clock = data;
		else
			vcpu->msr.kvm_system_time = data;
		return 0;
	}
	p = mtrr_slot(vcpu, index);
	if (p) {
		if (!mtrr_valid(vcpu, index, data))
			return -EINVAL;
		*p = data;
		return 0;
	}
	return set_mce(vcpu, index, data, host);
}

long vmm_msr_index_list(struct vmm_msr_list __user *ulist)
{
	struct vmm_msr_list l;
	u32 *idx, n = 0;
	long r;
	int i;

	if (copy_from_user(&l, ulist, sizeof(l)))
		return -EFAULT;
	if (put_user((u32)VMM_NR_LISTED, &ulist->nmsrs))
		return -EFAULT;
	if (l.nmsrs < VMM_NR_LISTED)
		return -E2BIG;
	idx = kmalloc_array(VMM_NR_LISTED, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(vmm_msrs); i++)
		idx[n++] = vmm_msrs[i];
	for (i = 0; i < VMM_NR_FIXED_MTRR; i++)
		idx[n++] = fixed_mtrrs[i];
	for (i = 0; i < 2 * VMM_NR_VAR_MTRR; i++)
		idx[n++] = VMM_MSR_MTRR_VAR + i;
	for (i = 0; i < 4 * VMM_MAX_MCE_BANKS; i++)
		idx[n++] = MSR_IA32_MC0_CTL + i;
	r = copy_to_user(ulist->indices, idx, n * sizeof(*idx)) ? -EFAULT : 0;
	kfree(idx);
	return r;
}

int vmm_msr_ioctl(struct vmm_vcpu *vcpu, struct vmm_msrs __user *umsrs,
		  bool write)
{
	struct vmm_msrs hdr;
	struct vmm_msr_entry *e;
	u32 i;
	int r;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs > 256)	/* as KVM's limit per call */
		return -E2BIG;
	e = memdup_user(umsrs->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	r = vmm_vcpu_get(vcpu);
	if (r)
		goto out;
	/* Like KVM: stop at the first MSR that fails, return how many went. */
	for (i = 0; i < hdr.nmsrs; i++) {
		if (write ? vmm_set_msr(vcpu, e[i].index, e[i].data, true) :
			    vmm_get_msr(vcpu, e[i].index, &e[i].data, true))
			break;
	}
	vmm_vcpu_put(vcpu);
	r = i;
	if (!write && copy_to_user(umsrs->entries, e, i * sizeof(*e)))
		r = -EFAULT;
out:
	kfree(e);
	return r;
}
