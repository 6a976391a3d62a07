// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: names of VMX exit reasons, exits to userspace, VM states and
 * events, for list, stats and monitor.
 */
#include <linux/vmm.h>
#include <linux/vmm_genl.h>

#include "format.h"
#include "vmm.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * VMX basic exit reasons, Intel SDM Vol. 3D Appendix C (Table C-1).
 * Where Linux names a reason (VMX_EXIT_REASONS in <asm/vmx.h>, which
 * perf kvm stat prints) the name is Linux's; the others follow the SDM
 * in the same style.  35, 38 and 42 are not used.
 */
static const char *const vmx_exit_names[] = {
	[0]  = "EXCEPTION_NMI",
	[1]  = "EXTERNAL_INTERRUPT",
	[2]  = "TRIPLE_FAULT",
	[3]  = "INIT_SIGNAL",
	[4]  = "SIPI_SIGNAL",
	[5]  = "IO_SMI",
	[6]  = "OTHER_SMI",
	[7]  = "INTERRUPT_WINDOW",
	[8]  = "NMI_WINDOW",
	[9]  = "TASK_SWITCH",
	[10] = "CPUID",
	[11] = "GETSEC",
	[12] = "HLT",
	[13] = "INVD",
	[14] = "INVLPG",
	[15] = "RDPMC",
	[16] = "RDTSC",
	[17] = "RSM",
	[18] = "VMCALL",
	[19] = "VMCLEAR",
	[20] = "VMLAUNCH",
	[21] = "VMPTRLD",
	[22] = "VMPTRST",
	[23] = "VMREAD",
	[24] = "VMRESUME",
	[25] = "VMWRITE",
	[26] = "VMOFF",
	[27] = "VMON",
	[28] = "CR_ACCESS",
	[29] = "DR_ACCESS",
	[30] = "IO_INSTRUCTION",
	[31] = "MSR_READ",
	[32] = "MSR_WRITE",
	[33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL",
	[36] = "MWAIT_INSTRUCTION",
	[37] = "MONITOR_TRAP_FLAG",
	[39] = "MONITOR_INSTRUCTION",
	[40] = "PAUSE_INSTRUCTION",
	[41] = "MCE_DURING_VMENTRY",
	[43] = "TPR_BELOW_THRESHOLD",
	[44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED",
	[46] = "GDTR_IDTR",
	[47] = "LDTR_TR",
	[48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG",
	[50] = "INVEPT",
	[51] = "RDTSCP",
	[52] = "PREEMPTION_TIMER",
	[53] = "INVVPID",
	[54] = "WBINVD",
	[55] = "XSETBV",
	[56] = "APIC_WRITE",
	[57] = "RDRAND",
	[58] = "INVPCID",
	[59] = "VMFUNC",
	[60] = "ENCLS",
	[61] = "RDSEED",
	[62] = "PML_FULL",
	[63] = "XSAVES",
	[64] = "XRSTORS",
	[65] = "PCONFIG",
	[66] = "SPP_EVENT",
	[67] = "UMWAIT",
	[68] = "TPAUSE",
	[69] = "LOADIWKEY",
	[70] = "ENCLV",
	[71] = "SGX_CONFLICT",
	[72] = "ENQCMD_PASID_FAIL",
	[73] = "ENQCMDS_PASID_FAIL",
	[74] = "BUS_LOCK",
	[75] = "NOTIFY",
	[76] = "SEAMCALL",
	[77] = "TDCALL",
	[78] = "RDMSRLIST",
	[79] = "WRMSRLIST",
};

const char *vmx_exit_name(uint32_t reason)
{
	if (reason >= ARRAY_LEN(vmx_exit_names))
		return NULL;
	return vmx_exit_names[reason];
}

/* libvmm knows every KVM exit number; "?" is its word for none. */
const char *user_exit_name(uint32_t reason)
{
	const char *name = vmm_exit_reason_name(reason);

	return name[0] == '?' ? NULL : name;
}

static const char *const state_names[] = {
	[VMM_VM_STATE_CREATED] = "created",
	[VMM_VM_STATE_RUNNING] = "running",
	[VMM_VM_STATE_IDLE] = "idle",
	[VMM_VM_STATE_SHUTDOWN] = "shutdown",
	[VMM_VM_STATE_FAILED] = "failed",
};

const char *vm_state_name(uint32_t state)
{
	if (state >= ARRAY_LEN(state_names))
		return NULL;
	return state_names[state];
}

static const char *const event_names[] = {
	[VMM_EVENT_VM_CREATED] = "vm-created",
	[VMM_EVENT_VM_DESTROYED] = "vm-destroyed",
	[VMM_EVENT_VCPU_CREATED] = "vcpu-created",
	[VMM_EVENT_SHUTDOWN] = "shutdown",
	[VMM_EVENT_ENTRY_FAILED] = "entry-failed",
	[VMM_EVENT_INTERNAL_ERROR] = "internal-error",
};

const char *vm_event_name(uint32_t type)
{
	if (type >= ARRAY_LEN(event_names))
		return NULL;
	return event_names[type];
}
