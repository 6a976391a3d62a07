/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "vmm": inventory, statistics and events.
 */
#ifndef VMM_GENL_H
#define VMM_GENL_H

#include <linux/vmm_genl.h>

struct vmm_vm;
struct vmm_vcpu;

int vmm_genl_init(void);
void vmm_genl_exit(void);

/* Events for the "events" group; they cost nothing without listeners. */
void vmm_genl_vm_event(struct vmm_vm *vm, enum vmm_event type);
void vmm_genl_vcpu_created(struct vmm_vm *vm, u32 vcpu_id);
void vmm_genl_vcpu_stopped(struct vmm_vcpu *vcpu);

/* vm.c: the VMs, for the family's readers. */
typedef int (*vmm_vm_fn)(struct vmm_vm *vm, void *arg);
int vmm_vm_walk(unsigned long *pos, vmm_vm_fn fn, void *arg);
int vmm_vm_with(u32 id, vmm_vm_fn fn, void *arg);

#endif /* VMM_GENL_H */
