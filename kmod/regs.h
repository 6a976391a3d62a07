/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Slots of the guest register array, shared by C and vmenter.S.
 * The order is the x86 register number, so an instruction's register
 * field indexes the array directly.
 */
#ifndef VMM_REGS_H
#define VMM_REGS_H

#define VMM_RAX		0
#define VMM_RCX		1
#define VMM_RDX		2
#define VMM_RBX		3
#define VMM_RSP		4	/* unused: the guest RSP lives in the VMCS */
#define VMM_RBP		5
#define VMM_RSI		6
#define VMM_RDI		7
#define VMM_R8		8
#define VMM_R9		9
#define VMM_R10		10
#define VMM_R11		11
#define VMM_R12		12
#define VMM_R13		13
#define VMM_R14		14
#define VMM_R15		15
#define VMM_NR_GPRS	16

/* Layout of struct vmm_entry_state (vcpu.h), in 8-byte words. */
#define VMM_ES_REGS	0			/* regs[16] */
#define VMM_ES_CR2	(VMM_NR_GPRS)		/* guest CR2 */
#define VMM_ES_HOST_RSP	(VMM_NR_GPRS + 1)	/* last HOST_RSP written */

#endif /* VMM_REGS_H */
