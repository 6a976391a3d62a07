/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run loop, exit handling and guest memory access.
 */
#ifndef VMM_RUN_H
#define VMM_RUN_H

#include <asm/desc_defs.h>

#include "vcpu.h"
#include "msr.h"
#include "xstate.h"

/* What an exit handler asks of the loop. */
enum {
	EXIT_USER,	/* return to userspace; run->exit_reason is set */
	EXIT_RESUME,	/* enter the guest again */
	EXIT_SLOW,	/* call vcpu->slow() with preemption enabled */
	EXIT_CHECK,	/* a signal or a reschedule is pending */
	EXIT_MMIO,	/* emulate an MMIO access, outside the loop */
};

/* The mapping of a vCPU fd: the run structure, then the port I/O data. */
#define VMM_RUN_PAGES		2
#define VMM_PIO_OFFSET		PAGE_SIZE

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

/* cpuid.c */
void vmm_cpuid_init(void);
u32 vmm_xsave_size(u64 xcr0, bool compacted);

/* state.c */
long vmm_state_ioctl(struct vmm_vcpu *vcpu, unsigned int ioctl,
		     void __user *argp);

/* mmio.c */
int vmm_mmio_begin(struct vmm_vcpu *vcpu);
int vmm_mmio_complete(struct vmm_vcpu *vcpu);

/* event.c */
void vmm_inject_exception(struct vmm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error);
void vmm_inject_event(struct vmm_vcpu *vcpu, u32 info, u32 len);
void vmm_events_reset(struct vmm_vcpu *vcpu);
void vmm_events_exit(struct vmm_vcpu *vcpu);
void vmm_events_iret_fault(void);
void vmm_events_inject(struct vmm_vcpu *vcpu);
void vmm_events_cancel(struct vmm_vcpu *vcpu);
bool vmm_events_stop(struct vmm_vcpu *vcpu);
int vmm_handle_irq_window(struct vmm_vcpu *vcpu);
int vmm_handle_nmi_window(struct vmm_vcpu *vcpu);
void vmm_events_run(struct vmm_vcpu *vcpu);
void vmm_events_report(struct vmm_vcpu *vcpu);
bool vmm_events_check_state(struct vmm_vcpu *vcpu);
void vmm_events_get_bitmap(struct vmm_vcpu *vcpu, u64 *bitmap);
void vmm_events_set_bitmap(struct vmm_vcpu *vcpu, const u64 *bitmap);
long vmm_events_ioctl(struct vmm_vcpu *vcpu, unsigned int ioctl,
		      void __user *argp);

/* run.c */
void vmm_clear_interrupt_shadow(void);
void vmm_retire_insn(struct vmm_vcpu *vcpu, unsigned long next);
int vmm_vcpu_run(struct vmm_vcpu *vcpu);
void vmm_complete_pending(struct vmm_vcpu *vcpu, bool apply);
void vmm_walk_capture(struct vmm_walk *w);
int vmm_gva_to_gpa(struct vmm_vm *vm, const struct vmm_walk *w, u64 gva,
		   bool write, u64 *gpa, u32 *pf);
int vmm_read_guest(struct vmm_vm *vm, u64 gpa, void *buf, size_t len);
int vmm_write_guest(struct vmm_vm *vm, u64 gpa, const void *buf, size_t len);

#endif /* VMM_RUN_H */
