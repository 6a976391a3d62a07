/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSRs a vCPU emulates: their state, and the entry points that RDMSR and
 * WRMSR exits and the GET_MSRS/SET_MSRS ioctls share.
 */
#ifndef VMM_MSR_H
#define VMM_MSR_H

#include <linux/types.h>

#define VMM_NR_VAR_MTRR		8	/* variable ranges, as KVM */
#define VMM_NR_FIXED_MTRR	11	/* 64K, 2 x 16K, 8 x 4K */
#define VMM_MAX_MCE_BANKS	32	/* KVM's KVM_MAX_MCE_BANKS */

/* Plain per-vCPU state: nothing here reaches the hardware. */
struct vmm_msr_state {
	u64 mtrr_deftype;
	u64 mtrr_fixed[VMM_NR_FIXED_MTRR];
	u64 mtrr_var[2 * VMM_NR_VAR_MTRR];	/* base, mask, base, ... */
	u64 mcg_cap;
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mce_banks[4 * VMM_MAX_MCE_BANKS];	/* CTL, STATUS, ADDR, MISC */
	s64 tsc_adjust;
	u64 kvm_wall_clock;			/* MSR 0x11 */
	u64 kvm_system_time;			/* MSR 0x12 */
	u64 ucode_rev;				/* IA32_BIOS_SIGN_ID */
};

struct vmm_vcpu;
struct vmm_msrs;
struct vmm_msr_list;

void vmm_msr_reset(struct vmm_vcpu *vcpu);
bool vmm_apic_base_valid(struct vmm_vcpu *vcpu, u64 data, bool host);
int vmm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data, bool host);
int vmm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host);
long vmm_msr_index_list(struct vmm_msr_list __user *ulist);
int vmm_msr_ioctl(struct vmm_vcpu *vcpu, struct vmm_msrs __user *umsrs,
		  bool write);

#endif /* VMM_MSR_H */
