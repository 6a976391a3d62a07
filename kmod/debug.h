/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest debugging: debug registers, #DB and #AC intercepts (debug.c).
 */
#ifndef VMM_DEBUG_H
#define VMM_DEBUG_H

#include <linux/types.h>
#include <linux/vmm.h>

struct vmm_vcpu;

/* DR7 enable bits L0-G3: any of them set arms the guest's DR0-3. */
#define VMM_DR7_BP_ENABLED	0xffUL

bool vmm_debug_exception(struct vmm_vcpu *vcpu, u32 intr_info, int *ret);
void vmm_debug_fix_bs(void);
bool vmm_debug_mov_dr(struct vmm_vcpu *vcpu);
void vmm_debug_insn_done(struct vmm_vcpu *vcpu, unsigned long rflags);
void vmm_debug_load_guest(struct vmm_vcpu *vcpu);
int vmm_get_debugregs(struct vmm_vcpu *vcpu, struct vmm_debugregs __user *u);
int vmm_set_debugregs(struct vmm_vcpu *vcpu, struct vmm_debugregs __user *u);

#endif /* VMM_DEBUG_H */
