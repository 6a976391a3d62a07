/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run loop, exit handling and guest memory access.
 */
#ifndef VMM_RUN_H
#define VMM_RUN_H

#include <asm/desc_defs.h>

#include "vcpu.h"
#include "xstate.h"

/* The mapping of a vCPU fd: the run structure, then the port I/O data. */
#define VMM_RUN_PAGES		2
#define VMM_PIO_OFFSET		PAGE_SIZE

/* What an exit handler asks of the loop (run.c, debug.c). */
enum {
	EXIT_USER,	/* return to userspace; run->exit_reason is set */
	EXIT_RESUME,	/* enter the guest again */
	EXIT_SLOW,	/* call vcpu->slow() with preemption enabled */
	EXIT_CHECK,	/* a signal or a reschedule is pending */
	EXIT_MMIO,	/* emulate an MMIO access, outside the loop */
};

/* What the VMX-preemption timer starts from: it measures guest time. */
#define VMM_PT_START		0xffffffffU

extern u64 vmm_host_efer;
extern u64 vmm_host_xcr0;
extern u64 vmm_guest_xcr0;	/* XCR0 bits a guest may set */
extern struct desc_ptr vmm_host_idt;
extern bool vmm_l1d_flush;		/* flush L1D before each entry */

/* vcpu.c */
int vmm_vcpu_load(struct vmm_vcpu *vcpu);
int vmm_vcpu_get(struct vmm_vcpu *vcpu);
void vmm_vcpu_put(struct vmm_vcpu *vcpu);
void vmm_set_cr0(struct vmm_vcpu *vcpu, unsigned long cr0);
void vmm_set_cr4(struct vmm_vcpu *vcpu, unsigned long cr4);
void vmm_set_efer(struct vmm_vcpu *vcpu, u64 efer);
void vmm_set_xcr0(struct vmm_vcpu *vcpu, u64 xcr0);
bool vmm_cr4_write(struct vmm_vcpu *vcpu, unsigned long cr4);
unsigned long vmm_cr0_mask(void);
unsigned long vmm_cr4_mask(void);
bool vmm_cr0_valid(unsigned long cr0);

/* Decide once per CR4 or XCR0 change what the entry path switches. */
static inline void vmm_xstate_update(struct vmm_vcpu *vcpu)
{
	vcpu->xcr0_switch = vmm_xcr0_switch(vcpu->cr4, vcpu->xcr0,
					    vmm_host_xcr0);
	vcpu->pkru_switch = vmm_pkru_switch(boot_cpu_has(X86_FEATURE_OSPKE),
					    vcpu->cr4, vcpu->xcr0);
}

/* mmio.c */
int vmm_mmio_begin(struct vmm_vcpu *vcpu);
int vmm_mmio_complete(struct vmm_vcpu *vcpu);

/* run.c */
void vmm_inject_exception(struct vmm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error);
void vmm_clear_interrupt_shadow(void);
int vmm_vcpu_run(struct vmm_vcpu *vcpu);
void vmm_complete_pending(struct vmm_vcpu *vcpu, bool apply);
int vmm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data);
int vmm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host);
void vmm_walk_capture(struct vmm_walk *w);
int vmm_gva_to_gpa(struct vmm_vm *vm, const struct vmm_walk *w, u64 gva,
		   bool write, u64 *gpa, u32 *pf);
int vmm_read_guest(struct vmm_vm *vm, u64 gpa, void *buf, size_t len);
int vmm_write_guest(struct vmm_vm *vm, u64 gpa, const void *buf, size_t len);

#endif /* VMM_RUN_H */
