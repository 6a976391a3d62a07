/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmm: the generic netlink family "vmm" (Documentation/netlink.rst).
 *
 * Not part of the KVM-compatible ioctl ABI: a monitoring interface of
 * vmm's own, for operators who want to see what runs on a host without
 * holding the VM's file descriptors.
 *
 *   VMM_CMD_VM_GET     do: one VM (VMM_A_VM_ID); dump: every visible VM
 *   VMM_CMD_STATS_GET  dump only: one message per vCPU, of every visible
 *                      VM or of the VM named by VMM_A_VM_ID
 *   VMM_CMD_EVENT      sent to the multicast group "events", never asked
 *
 * A caller sees the VMs created by processes of its own (real) user id;
 * with CAP_NET_ADMIN it sees all of them.  Joining "events" needs
 * CAP_NET_ADMIN.  All attributes live in one space (enum vmm_attr),
 * except the pairs nested in VMM_A_VCPU_EXIT and VMM_A_VCPU_USER_EXIT
 * (enum vmm_exit_attr).
 */
#ifndef _UAPI_LINUX_VMM_GENL_H
#define _UAPI_LINUX_VMM_GENL_H

#define VMM_GENL_NAME		"vmm"
#define VMM_GENL_VERSION	1
#define VMM_GENL_MCGRP_EVENTS	"events"

enum vmm_cmd {
	VMM_CMD_UNSPEC,
	VMM_CMD_VM_GET,
	VMM_CMD_STATS_GET,
	VMM_CMD_EVENT,

	__VMM_CMD_MAX,
	VMM_CMD_MAX = __VMM_CMD_MAX - 1
};

/* VMM_A_VM_STATE */
enum vmm_vm_state {
	VMM_VM_STATE_CREATED,	/* no vCPU has run yet */
	VMM_VM_STATE_RUNNING,	/* a vCPU is inside VMM_RUN */
	VMM_VM_STATE_IDLE,	/* no vCPU is inside VMM_RUN */
	VMM_VM_STATE_SHUTDOWN,	/* the last exit of a vCPU was a triple fault */
	VMM_VM_STATE_FAILED,	/* ... an entry failure or internal error */
};

/* VMM_A_EVENT_TYPE */
enum vmm_event {
	VMM_EVENT_VM_CREATED = 1,
	VMM_EVENT_VM_DESTROYED,
	VMM_EVENT_VCPU_CREATED,
	VMM_EVENT_SHUTDOWN,	/* VMM_EXIT_SHUTDOWN returned to userspace */
	VMM_EVENT_ENTRY_FAILED,	/* VMM_EXIT_FAIL_ENTRY */
	VMM_EVENT_INTERNAL_ERROR, /* VMM_EXIT_INTERNAL_ERROR */
};

enum vmm_attr {
	VMM_A_UNSPEC,
	VMM_A_PAD,

	/* A VM (VMM_CMD_VM_GET replies; also in stats and events). */
	VMM_A_VM_ID,		/* u32, from 1 */
	/*
	 * u32: the creator's thread group id, in the reader's pid namespace
	 * (events: the initial one); 0 if it is not visible there.
	 */
	VMM_A_VM_PID,
	VMM_A_VM_UID,		/* u32: creator's real uid (initial userns) */
	VMM_A_VM_NR_VCPUS,	/* u32 */
	VMM_A_VM_NR_SLOTS,	/* u32: memory slots in use */
	VMM_A_VM_MEM_BYTES,	/* u64: bytes of guest memory in those slots */
	VMM_A_VM_MAPPED_BYTES,	/* u64: of them, mapped in EPT right now */
	VMM_A_VM_CREATED_NS,	/* u64: CLOCK_REALTIME at creation */
	VMM_A_VM_AGE_NS,	/* u64: time since creation (CLOCK_BOOTTIME) */
	VMM_A_VM_STATE,		/* u32: enum vmm_vm_state */

	/* A vCPU's statistics (VMM_CMD_STATS_GET, with VMM_A_VM_ID). */
	VMM_A_VCPU_ID,		/* u32 */
	VMM_A_VCPU_RUNS,	/* u64: VMM_RUN calls */
	VMM_A_VCPU_EXITS,	/* u64: VM exits, all reasons */
	/*
	 * Nest, repeated: VM exits of one basic exit reason (SDM Vol. 3D
	 * Appendix C), for each reason seen; reasons above 127 count as 127.
	 */
	VMM_A_VCPU_EXIT,
	/*
	 * Nest, repeated: returns of VMM_RUN by run->exit_reason (VMM_EXIT_*),
	 * for each reason seen; reasons above 63 count as 63.
	 */
	VMM_A_VCPU_USER_EXIT,
	VMM_A_VCPU_EPT_VIOLATIONS, /* u64 */
	VMM_A_VCPU_EPT_MMIO,	/* u64: of them, emulated as MMIO */
	VMM_A_VCPU_ENTRY_FAILURES, /* u64: VM entries that failed */
	/*
	 * u64: time in the guest, and time in VMM_RUN outside the guest with
	 * the thread on a CPU; both absent where the CPU gives no way to tell
	 * them apart (no usable VMX-preemption timer).
	 */
	VMM_A_VCPU_GUEST_NS,
	VMM_A_VCPU_HANDLER_NS,

	/* An event (VMM_CMD_EVENT), with VMM_A_VM_ID and VMM_A_VM_PID. */
	VMM_A_EVENT_TYPE,	/* u32: enum vmm_event */
	VMM_A_EVENT_TIME_NS,	/* u64: CLOCK_REALTIME */
	VMM_A_EVENT_VCPU_ID,	/* u32: vCPU events and failures */
	VMM_A_EVENT_EXIT_REASON, /* u32: VMM_EXIT_* of a failure */
	/* u64: fail_entry.hardware_entry_failure_reason or internal.suberror */
	VMM_A_EVENT_HW_REASON,
	VMM_A_EVENT_RIP,	/* u64: guest RIP at a failure */

	/* Added later, hence out of their groups above. */
	VMM_A_VM_MAPPED_HUGE_BYTES, /* u64: of MAPPED_BYTES, by 2 MiB leaves */
	/*
	 * u64: 4 KiB leaves that fault-around added next to the pages of
	 * this vCPU's EPT violations (read-only, host pages present).
	 */
	VMM_A_VCPU_EPT_PREFETCH,

	__VMM_A_MAX,
	VMM_A_MAX = __VMM_A_MAX - 1
};

/* Inside VMM_A_VCPU_EXIT and VMM_A_VCPU_USER_EXIT. */
enum vmm_exit_attr {
	VMM_A_EXIT_UNSPEC,
	VMM_A_EXIT_REASON,	/* u32 */
	VMM_A_EXIT_COUNT,	/* u64 */

	__VMM_A_EXIT_MAX,
	VMM_A_EXIT_MAX = __VMM_A_EXIT_MAX - 1
};

#endif /* _UAPI_LINUX_VMM_GENL_H */
