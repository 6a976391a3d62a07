// SPDX-License-Identifier: GPL-2.0
/*
 * abi_test: uapi/linux/vmm.h must be a binary-compatible subset of the
 * system's <linux/kvm.h>.
 *
 * Every check is a _Static_assert, so a mismatch stops the build; the same
 * comparisons are repeated at run time only to count them and to print one
 * TAP line per group.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/kvm.h>
#include <errno.h>		/* KVM_EINVAL, KVM_EPERM are errno values */
#include <linux/kvm_para.h>
#include <linux/vmm.h>

static int nchecks;
static int nfailed;

static void check(int ok, const char *what)
{
	nchecks++;
	if (!ok) {
		nfailed++;
		printf("# mismatch: %s\n", what);
	}
}

#define FIELD_SIZE(type, member) sizeof(((type *)0)->member)

/* A constant (exit reason, cap, flag, ...): VMM_x == KVM_x. */
#define SAME_CONST(name) do {						\
	_Static_assert(VMM_##name == KVM_##name, "constant " #name);	\
	check(VMM_##name == KVM_##name, "constant " #name);		\
} while (0)

/* An ioctl request number (encodes direction, type, nr and size). */
#define SAME_IOCTL(name) do {						\
	_Static_assert(VMM_##name == KVM_##name, "ioctl " #name);	\
	check(VMM_##name == KVM_##name, "ioctl " #name);		\
} while (0)

/* A whole structure: size and alignment. */
#define SAME_STRUCT(s) do {						\
	_Static_assert(sizeof(struct vmm_##s) == sizeof(struct kvm_##s),\
		       "sizeof " #s);					\
	_Static_assert(_Alignof(struct vmm_##s) ==			\
		       _Alignof(struct kvm_##s), "alignof " #s);	\
	check(sizeof(struct vmm_##s) == sizeof(struct kvm_##s),		\
	      "sizeof " #s);						\
} while (0)

/* A member under a different name in each header: offset and size. */
#define SAME_FIELD2(s, ours, theirs) do {				\
	_Static_assert(offsetof(struct vmm_##s, ours) ==		\
		       offsetof(struct kvm_##s, theirs),		\
		       "offsetof " #s "." #ours);			\
	_Static_assert(FIELD_SIZE(struct vmm_##s, ours) ==		\
		       FIELD_SIZE(struct kvm_##s, theirs),		\
		       "sizeof " #s "." #ours);				\
	check(offsetof(struct vmm_##s, ours) ==				\
	      offsetof(struct kvm_##s, theirs), #s "." #ours);		\
} while (0)

#define SAME_FIELD(s, f) SAME_FIELD2(s, f, f)

/* A flexible array member: offset only (it has no size). */
#define SAME_OFFSET(s, f) do {						\
	_Static_assert(offsetof(struct vmm_##s, f) ==			\
		       offsetof(struct kvm_##s, f), "offsetof " #s "." #f); \
	check(offsetof(struct vmm_##s, f) == offsetof(struct kvm_##s, f), \
	      #s "." #f);						\
} while (0)

static void check_versions(void)
{
	SAME_CONST(API_VERSION);
	_Static_assert(VMMIO == KVMIO, "ioctl type");
	check(VMMIO == KVMIO, "ioctl type");
}

static void check_system_ioctls(void)
{
	SAME_IOCTL(GET_API_VERSION);
	SAME_IOCTL(CREATE_VM);
	SAME_IOCTL(GET_MSR_INDEX_LIST);
	SAME_IOCTL(CHECK_EXTENSION);
	SAME_IOCTL(GET_VCPU_MMAP_SIZE);
	SAME_IOCTL(GET_SUPPORTED_CPUID);
}

static void check_vm_ioctls(void)
{
	SAME_IOCTL(CREATE_VCPU);
	SAME_IOCTL(GET_DIRTY_LOG);
	SAME_IOCTL(SET_USER_MEMORY_REGION);
	SAME_IOCTL(SET_TSS_ADDR);
	SAME_IOCTL(SET_IDENTITY_MAP_ADDR);
	SAME_IOCTL(ENABLE_CAP);
	SAME_IOCTL(CLEAR_DIRTY_LOG);
}

static void check_vcpu_ioctls(void)
{
	SAME_IOCTL(RUN);
	SAME_IOCTL(GET_REGS);
	SAME_IOCTL(SET_REGS);
	SAME_IOCTL(GET_SREGS);
	SAME_IOCTL(SET_SREGS);
	SAME_IOCTL(GET_MSRS);
	SAME_IOCTL(SET_MSRS);
	SAME_IOCTL(SET_SIGNAL_MASK);
	SAME_IOCTL(GET_FPU);
	SAME_IOCTL(SET_FPU);
	SAME_IOCTL(SET_CPUID2);
	SAME_IOCTL(GET_CPUID2);
	SAME_IOCTL(INTERRUPT);
	SAME_IOCTL(GET_MP_STATE);
	SAME_IOCTL(SET_MP_STATE);
	SAME_IOCTL(NMI);
	SAME_IOCTL(GET_VCPU_EVENTS);
	SAME_IOCTL(SET_VCPU_EVENTS);
	SAME_IOCTL(GET_DEBUGREGS);
	SAME_IOCTL(SET_DEBUGREGS);
	SAME_IOCTL(GET_TSC_KHZ);
	SAME_IOCTL(GET_XSAVE);
	SAME_IOCTL(SET_XSAVE);
	SAME_IOCTL(GET_XCRS);
	SAME_IOCTL(SET_XCRS);
}

static void check_event_structs(void)
{
	SAME_STRUCT(interrupt);
	SAME_FIELD(interrupt, irq);
	SAME_STRUCT(mp_state);
	SAME_CONST(MP_STATE_RUNNABLE);
	SAME_CONST(MP_STATE_UNINITIALIZED);
	SAME_CONST(MP_STATE_INIT_RECEIVED);
	SAME_CONST(MP_STATE_HALTED);
	SAME_CONST(MP_STATE_SIPI_RECEIVED);

	SAME_STRUCT(vcpu_events);
	SAME_FIELD(vcpu_events, exception);
	SAME_FIELD(vcpu_events, exception.error_code);
	SAME_FIELD(vcpu_events, interrupt);
	SAME_FIELD(vcpu_events, interrupt.shadow);
	SAME_FIELD(vcpu_events, nmi);
	SAME_FIELD(vcpu_events, nmi.masked);
	SAME_FIELD(vcpu_events, sipi_vector);
	SAME_FIELD(vcpu_events, flags);
	SAME_FIELD(vcpu_events, smi);
	SAME_FIELD(vcpu_events, triple_fault);
	SAME_FIELD(vcpu_events, exception_has_payload);
	SAME_FIELD(vcpu_events, exception_payload);
	SAME_CONST(VCPUEVENT_VALID_NMI_PENDING);
	SAME_CONST(VCPUEVENT_VALID_SIPI_VECTOR);
	SAME_CONST(VCPUEVENT_VALID_SHADOW);
	SAME_CONST(VCPUEVENT_VALID_SMM);
	SAME_CONST(VCPUEVENT_VALID_PAYLOAD);
	SAME_CONST(VCPUEVENT_VALID_TRIPLE_FAULT);
	SAME_CONST(X86_SHADOW_INT_MOV_SS);
	SAME_CONST(X86_SHADOW_INT_STI);

	SAME_STRUCT(debugregs);
	SAME_FIELD(debugregs, db);
	SAME_FIELD(debugregs, dr6);
	SAME_FIELD(debugregs, dr7);
	SAME_FIELD(debugregs, flags);
	SAME_STRUCT(xsave);
	SAME_FIELD(xsave, region);
	SAME_CONST(MAX_XCRS);
	SAME_STRUCT(xcr);
	SAME_FIELD(xcr, xcr);
	SAME_FIELD(xcr, value);
	SAME_IOCTL(SET_GSI_ROUTING);
	SAME_STRUCT(irq_routing);
	SAME_FIELD(irq_routing, nr);
	SAME_FIELD(irq_routing, flags);
	SAME_STRUCT(irq_routing_entry);
	SAME_FIELD(irq_routing_entry, gsi);
	SAME_FIELD(irq_routing_entry, type);
	SAME_FIELD(irq_routing_entry, flags);
	SAME_FIELD(irq_routing_entry, u);
	SAME_STRUCT(xcrs);
	SAME_FIELD(xcrs, nr_xcrs);
	SAME_FIELD(xcrs, flags);
	SAME_FIELD(xcrs, xcrs);
	SAME_FIELD(xcrs, padding);
}

static void check_memory_structs(void)
{
	SAME_STRUCT(userspace_memory_region);
	SAME_FIELD(userspace_memory_region, slot);
	SAME_FIELD(userspace_memory_region, flags);
	SAME_FIELD(userspace_memory_region, guest_phys_addr);
	SAME_FIELD(userspace_memory_region, memory_size);
	SAME_FIELD(userspace_memory_region, userspace_addr);
	SAME_CONST(MEM_LOG_DIRTY_PAGES);
	SAME_CONST(MEM_READONLY);

	SAME_STRUCT(dirty_log);
	SAME_FIELD(dirty_log, slot);
	SAME_FIELD(dirty_log, dirty_bitmap);

	SAME_STRUCT(clear_dirty_log);
	SAME_FIELD(clear_dirty_log, slot);
	SAME_FIELD(clear_dirty_log, num_pages);
	SAME_FIELD(clear_dirty_log, first_page);
	SAME_FIELD(clear_dirty_log, dirty_bitmap);

	SAME_STRUCT(enable_cap);
	SAME_FIELD(enable_cap, cap);
	SAME_FIELD(enable_cap, flags);
	SAME_FIELD(enable_cap, args);
	SAME_FIELD(enable_cap, pad);
	SAME_CONST(DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	SAME_CONST(DIRTY_LOG_INITIALLY_SET);
}

static void check_register_structs(void)
{
	SAME_STRUCT(regs);
	SAME_FIELD(regs, rax);
	SAME_FIELD(regs, rbx);
	SAME_FIELD(regs, rcx);
	SAME_FIELD(regs, rdx);
	SAME_FIELD(regs, rsi);
	SAME_FIELD(regs, rdi);
	SAME_FIELD(regs, rsp);
	SAME_FIELD(regs, rbp);
	SAME_FIELD(regs, r8);
	SAME_FIELD(regs, r15);
	SAME_FIELD(regs, rip);
	SAME_FIELD(regs, rflags);

	SAME_STRUCT(segment);
	SAME_FIELD(segment, base);
	SAME_FIELD(segment, limit);
	SAME_FIELD(segment, selector);
	SAME_FIELD(segment, type);
	SAME_FIELD(segment, present);
	SAME_FIELD(segment, dpl);
	SAME_FIELD(segment, db);
	SAME_FIELD(segment, s);
	SAME_FIELD(segment, l);
	SAME_FIELD(segment, g);
	SAME_FIELD(segment, avl);
	SAME_FIELD(segment, unusable);

	SAME_STRUCT(dtable);
	SAME_FIELD(dtable, base);
	SAME_FIELD(dtable, limit);

	SAME_STRUCT(sregs);
	SAME_FIELD(sregs, cs);
	SAME_FIELD(sregs, ds);
	SAME_FIELD(sregs, es);
	SAME_FIELD(sregs, fs);
	SAME_FIELD(sregs, gs);
	SAME_FIELD(sregs, ss);
	SAME_FIELD(sregs, tr);
	SAME_FIELD(sregs, ldt);
	SAME_FIELD(sregs, gdt);
	SAME_FIELD(sregs, idt);
	SAME_FIELD(sregs, cr0);
	SAME_FIELD(sregs, cr2);
	SAME_FIELD(sregs, cr3);
	SAME_FIELD(sregs, cr4);
	SAME_FIELD(sregs, cr8);
	SAME_FIELD(sregs, efer);
	SAME_FIELD(sregs, apic_base);
	SAME_FIELD(sregs, interrupt_bitmap);

	SAME_STRUCT(fpu);
	SAME_FIELD(fpu, fpr);
	SAME_FIELD(fpu, fcw);
	SAME_FIELD(fpu, fsw);
	SAME_FIELD(fpu, ftwx);
	SAME_FIELD(fpu, last_opcode);
	SAME_FIELD(fpu, last_ip);
	SAME_FIELD(fpu, last_dp);
	SAME_FIELD(fpu, xmm);
	SAME_FIELD(fpu, mxcsr);

	SAME_STRUCT(msr_entry);
	SAME_FIELD(msr_entry, index);
	SAME_FIELD(msr_entry, data);
	SAME_STRUCT(msrs);
	SAME_FIELD(msrs, nmsrs);
	SAME_OFFSET(msrs, entries);
	SAME_STRUCT(msr_list);
	SAME_FIELD(msr_list, nmsrs);
	SAME_OFFSET(msr_list, indices);

	SAME_STRUCT(signal_mask);
	SAME_FIELD(signal_mask, len);
	SAME_OFFSET(signal_mask, sigset);
}

static void check_cpuid_structs(void)
{
	SAME_STRUCT(cpuid_entry2);
	SAME_FIELD(cpuid_entry2, function);
	SAME_FIELD(cpuid_entry2, index);
	SAME_FIELD(cpuid_entry2, flags);
	SAME_FIELD(cpuid_entry2, eax);
	SAME_FIELD(cpuid_entry2, ebx);
	SAME_FIELD(cpuid_entry2, ecx);
	SAME_FIELD(cpuid_entry2, edx);
	SAME_STRUCT(cpuid2);
	SAME_FIELD(cpuid2, nent);
	SAME_OFFSET(cpuid2, entries);
	SAME_CONST(CPUID_FLAG_SIGNIFCANT_INDEX);
}

static void check_run_struct(void)
{
	SAME_STRUCT(run);
	SAME_FIELD(run, request_interrupt_window);
	SAME_FIELD(run, immediate_exit);
	SAME_FIELD(run, exit_reason);
	SAME_FIELD(run, ready_for_interrupt_injection);
	SAME_FIELD(run, if_flag);
	SAME_FIELD(run, flags);
	SAME_FIELD(run, cr8);
	SAME_FIELD(run, apic_base);

	SAME_FIELD(run, hw.hardware_exit_reason);
	SAME_FIELD(run, fail_entry.hardware_entry_failure_reason);
	SAME_FIELD(run, fail_entry.cpu);
	SAME_FIELD(run, ex.exception);
	SAME_FIELD(run, ex.error_code);
	SAME_FIELD(run, io.direction);
	SAME_FIELD(run, io.size);
	SAME_FIELD(run, io.port);
	SAME_FIELD(run, io.count);
	SAME_FIELD(run, io.data_offset);
	SAME_FIELD(run, debug.arch.exception);
	SAME_FIELD(run, debug.arch.pc);
	SAME_FIELD(run, debug.arch.dr6);
	SAME_FIELD(run, debug.arch.dr7);
	SAME_FIELD(run, mmio.phys_addr);
	SAME_FIELD(run, mmio.data);
	SAME_FIELD(run, mmio.len);
	SAME_FIELD(run, mmio.is_write);
	SAME_FIELD(run, hypercall.nr);
	SAME_FIELD(run, hypercall.args);
	SAME_FIELD(run, hypercall.ret);
	SAME_FIELD(run, hypercall.longmode);
	SAME_FIELD(run, internal.suberror);
	SAME_FIELD(run, internal.ndata);
	SAME_FIELD(run, internal.data);
	SAME_FIELD(run, system_event.type);
	SAME_FIELD(run, system_event.ndata);
	SAME_FIELD(run, system_event.flags);
	SAME_FIELD(run, system_event.data);
	SAME_FIELD(run, padding);

	SAME_FIELD2(run, valid_regs, kvm_valid_regs);
	SAME_FIELD2(run, dirty_regs, kvm_dirty_regs);
	SAME_FIELD(run, s);
	SAME_FIELD(run, s.padding);

	SAME_CONST(EXIT_IO_IN);
	SAME_CONST(EXIT_IO_OUT);
	SAME_CONST(SYSTEM_EVENT_SHUTDOWN);
	SAME_CONST(SYSTEM_EVENT_RESET);
	SAME_CONST(SYSTEM_EVENT_CRASH);
}

static void check_exit_reasons(void)
{
	SAME_CONST(EXIT_UNKNOWN);
	SAME_CONST(EXIT_EXCEPTION);
	SAME_CONST(EXIT_IO);
	SAME_CONST(EXIT_HYPERCALL);
	SAME_CONST(EXIT_DEBUG);
	SAME_CONST(EXIT_HLT);
	SAME_CONST(EXIT_MMIO);
	SAME_CONST(EXIT_IRQ_WINDOW_OPEN);
	SAME_CONST(EXIT_SHUTDOWN);
	SAME_CONST(EXIT_FAIL_ENTRY);
	SAME_CONST(EXIT_INTR);
	SAME_CONST(EXIT_SET_TPR);
	SAME_CONST(EXIT_TPR_ACCESS);
	SAME_CONST(EXIT_NMI);
	SAME_CONST(EXIT_INTERNAL_ERROR);
	SAME_CONST(EXIT_SYSTEM_EVENT);

	SAME_CONST(INTERNAL_ERROR_EMULATION);
	SAME_CONST(INTERNAL_ERROR_SIMUL_EX);
	SAME_CONST(INTERNAL_ERROR_DELIVERY_EV);
	SAME_CONST(INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

static void check_caps(void)
{
	SAME_CONST(CAP_HLT);
	SAME_CONST(CAP_USER_MEMORY);
	SAME_CONST(CAP_SET_TSS_ADDR);
	SAME_CONST(CAP_EXT_CPUID);
	SAME_CONST(CAP_NR_VCPUS);
	SAME_CONST(CAP_NR_MEMSLOTS);
	SAME_CONST(CAP_SYNC_MMU);
	SAME_CONST(CAP_DESTROY_MEMORY_REGION_WORKS);
	SAME_CONST(CAP_JOIN_MEMORY_REGIONS_WORKS);
	SAME_CONST(CAP_SET_IDENTITY_MAP_ADDR);
	SAME_CONST(CAP_MAX_VCPUS);
	SAME_CONST(CAP_READONLY_MEM);
	SAME_CONST(CAP_CHECK_EXTENSION_VM);
	SAME_CONST(CAP_MAX_VCPU_ID);
	SAME_CONST(CAP_IMMEDIATE_EXIT);
	SAME_CONST(CAP_MANUAL_DIRTY_LOG_PROTECT2);
	SAME_CONST(CAP_MP_STATE);
	SAME_CONST(CAP_USER_NMI);
	SAME_CONST(CAP_VCPU_EVENTS);
	SAME_CONST(CAP_INTR_SHADOW);
	SAME_CONST(CAP_DEBUGREGS);
	SAME_CONST(CAP_XSAVE);
	SAME_CONST(CAP_XCRS);
	SAME_CONST(CAP_GET_TSC_KHZ);
	SAME_CONST(CAP_IRQ_ROUTING);
	SAME_CONST(CAP_INTERNAL_ERROR_DATA);
	SAME_CONST(CAP_EXIT_HYPERCALL);
	SAME_CONST(HC_VAPIC_POLL_IRQ);
	SAME_CONST(HC_MAP_GPA_RANGE);
	SAME_CONST(ENOSYS);
	SAME_CONST(EINVAL);
	SAME_CONST(EPERM);
}

/*
 * KVM_PRE_FAULT_MEMORY came with Linux 6.11.  An older <linux/kvm.h>
 * (Debian 12's) lacks it: there the numbers are KVM's documented ones,
 * spelled out.
 */
static void check_pre_fault(void)
{
#ifdef KVM_PRE_FAULT_MEMORY
	SAME_IOCTL(PRE_FAULT_MEMORY);
	SAME_STRUCT(pre_fault_memory);
	SAME_FIELD(pre_fault_memory, gpa);
	SAME_FIELD(pre_fault_memory, size);
	SAME_FIELD(pre_fault_memory, flags);
	SAME_FIELD(pre_fault_memory, padding);
	SAME_CONST(CAP_PRE_FAULT_MEMORY);
#else
	_Static_assert(sizeof(struct vmm_pre_fault_memory) == 64,
		       "sizeof pre_fault_memory");
	_Static_assert(VMM_PRE_FAULT_MEMORY == _IOWR(KVMIO, 0xd5, __u64[8]),
		       "ioctl PRE_FAULT_MEMORY");
	_Static_assert(VMM_CAP_PRE_FAULT_MEMORY == 236,
		       "constant CAP_PRE_FAULT_MEMORY");
	check(sizeof(struct vmm_pre_fault_memory) == 64,
	      "sizeof pre_fault_memory");
	check(VMM_PRE_FAULT_MEMORY == _IOWR(KVMIO, 0xd5, __u64[8]),
	      "ioctl PRE_FAULT_MEMORY");
	check(VMM_CAP_PRE_FAULT_MEMORY == 236, "constant CAP_PRE_FAULT_MEMORY");
#endif
}

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "API version and ioctl type",	check_versions },
	{ "system ioctl numbers",	check_system_ioctls },
	{ "VM ioctl numbers",		check_vm_ioctls },
	{ "vCPU ioctl numbers",		check_vcpu_ioctls },
	{ "memory slot and dirty log structures", check_memory_structs },
	{ "register, FPU, MSR and signal structures", check_register_structs },
	{ "CPUID structures",		check_cpuid_structs },
	{ "event and vCPU state structures", check_event_structs },
	{ "struct vmm_run layout",	check_run_struct },
	{ "exit reasons and internal-error suberrors", check_exit_reasons },
	{ "capability numbers",		check_caps },
	{ "PRE_FAULT_MEMORY (Linux 6.11)", check_pre_fault },
};

int main(void)
{
	size_t n = sizeof(groups) / sizeof(groups[0]);
	int failed = 0;

	printf("TAP version 13\n");
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		nchecks = 0;
		nfailed = 0;
		groups[i].fn();
		printf("%sok %zu %s (%d checks)\n", nfailed ? "not " : "",
		       i + 1, groups[i].name, nchecks);
		if (nfailed)
			failed++;
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
