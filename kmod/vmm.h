/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm: internal declarations shared by the module's files.
 */
#ifndef VMM_H
#define VMM_H

#include <linux/types.h>
#include <linux/cache.h>
#include <asm/vmx.h>

#define VMM_NAME "vmm"

/* Per-vCPU statistics are built in (Kbuild: VMM_STATS=y, the default). */
#ifdef VMM_STATS
#define VMM_STATS_ON	1
#else
#define VMM_STATS_ON	0
#endif

/* Debug register bits that always read as one (SDM Vol. 3B 18.2). */
#define VMM_DR6_FIXED	0xffff0ff0UL
#define VMM_DR7_FIXED	0x400UL

/*
 * What the CPU offers, probed once at load from the VMX capability MSRs
 * (SDM Vol. 3D Appendix A).  The control words hold the values the VMCS
 * gets: our required and optional bits, adjusted to what the CPU allows.
 * Nothing else reads a VMX capability MSR.
 */
struct vmm_caps {
	u64 basic;
	u32 revision_id;
	u32 vmcs_size;
	u32 pin_based;
	u32 cpu_based;
	u32 cpu_based2;
	u32 exit_ctls;
	u32 entry_ctls;
	u64 misc;
	u64 ept_vpid;
	u64 cr0_fixed0;
	u64 cr0_fixed1;
	u64 cr4_fixed0;
	u64 cr4_fixed1;
	u8 pt_rate;		/* VMX-preemption timer: TSC bit it follows */
	u32 pt_period;		/* ... and its start value: one tick */
};

extern struct vmm_caps vmm_caps __read_mostly;

static inline bool vmm_has_vpid(void)
{
	return vmm_caps.cpu_based2 & SECONDARY_EXEC_ENABLE_VPID;
}

static inline bool vmm_has_ept_2m(void)
{
	return vmm_caps.ept_vpid & VMX_EPT_2MB_PAGE_BIT;
}

/* The VMX-preemption timer bounds each stretch in the guest (run.c). */
static inline bool vmm_has_pt(void)
{
	return vmm_caps.pin_based & PIN_BASED_VMX_PREEMPTION_TIMER;
}

/* Guest time is measured (statistics) with the same timer. */
static inline bool vmm_has_guest_time(void)
{
	return VMM_STATS_ON && vmm_has_pt();
}

static inline bool vmm_has_msr_bitmap(void)
{
	return vmm_caps.cpu_based & CPU_BASED_USE_MSR_BITMAPS;
}

/* vmx.c: probing, and VMX root operation on every online CPU. */
int vmm_caps_probe(void);
int vmm_vmx_init(void);
void vmm_vmx_exit(void);
int vmm_vmx_get(void);
void vmm_vmx_put(void);
unsigned int vmm_vmx_users(void);
void vmm_vmx_cpumask(struct cpumask *mask);
extern bool vmm_rebooting;

/* run.c */
void vmm_shared_msrs_drop(void);

#endif /* VMM_H */
