// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: names and printable descriptions of exits and register state.
 */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

/*
 * Every exit number KVM defines, so the decoder is useful on /dev/kvm too;
 * /dev/vmm only produces the ones uapi/linux/vmm.h lists.
 */
static const char *const exit_names[] = {
	[0]  = "UNKNOWN",
	[1]  = "EXCEPTION",
	[2]  = "IO",
	[3]  = "HYPERCALL",
	[4]  = "DEBUG",
	[5]  = "HLT",
	[6]  = "MMIO",
	[7]  = "IRQ_WINDOW_OPEN",
	[8]  = "SHUTDOWN",
	[9]  = "FAIL_ENTRY",
	[10] = "INTR",
	[11] = "SET_TPR",
	[12] = "TPR_ACCESS",
	[13] = "S390_SIEIC",
	[14] = "S390_RESET",
	[15] = "DCR",
	[16] = "NMI",
	[17] = "INTERNAL_ERROR",
	[18] = "OSI",
	[19] = "PAPR_HCALL",
	[20] = "S390_UCONTROL",
	[21] = "WATCHDOG",
	[22] = "S390_TSCH",
	[23] = "EPR",
	[24] = "SYSTEM_EVENT",
	[25] = "S390_STSI",
	[26] = "IOAPIC_EOI",
	[27] = "HYPERV",
	[28] = "ARM_NISV",
	[29] = "X86_RDMSR",
	[30] = "X86_WRMSR",
	[31] = "DIRTY_RING_FULL",
	[32] = "AP_RESET_HOLD",
	[33] = "X86_BUS_LOCK",
	[34] = "XEN",
	[35] = "RISCV_SBI",
	[36] = "RISCV_CSR",
	[37] = "NOTIFY",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *vmm_exit_reason_name(uint32_t reason)
{
	if (reason >= ARRAY_LEN(exit_names) || !exit_names[reason])
		return "?";
	return exit_names[reason];
}

const char *vmm_internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case VMM_INTERNAL_ERROR_EMULATION:
		return "EMULATION";
	case VMM_INTERNAL_ERROR_SIMUL_EX:
		return "SIMUL_EX";
	case VMM_INTERNAL_ERROR_DELIVERY_EV:
		return "DELIVERY_EV";
	case VMM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "UNEXPECTED_EXIT_REASON";
	default:
		return "?";
	}
}

static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case VMM_SYSTEM_EVENT_SHUTDOWN:
		return "SHUTDOWN";
	case VMM_SYSTEM_EVENT_RESET:
		return "RESET";
	case VMM_SYSTEM_EVENT_CRASH:
		return "CRASH";
	default:
		return "?";
	}
}

int vmm_exit_describe(const struct vmm_run *run, char *buf, size_t len)
{
	const char *name = vmm_exit_reason_name(run->exit_reason);
	int n;

	if (!buf || !len)
		return 0;

	switch (run->exit_reason) {
	case VMM_EXIT_UNKNOWN:
		n = snprintf(buf, len, "%s hardware exit reason %#" PRIx64,
			     name, (uint64_t)run->hw.hardware_exit_reason);
		break;
	case VMM_EXIT_FAIL_ENTRY:
		n = snprintf(buf, len,
			     "%s hardware reason %#" PRIx64 " on cpu %u",
			     name, (uint64_t)run->fail_entry.hardware_entry_failure_reason,
			     run->fail_entry.cpu);
		break;
	case VMM_EXIT_EXCEPTION:
		n = snprintf(buf, len, "%s vector %u error code %#x", name,
			     run->ex.exception, run->ex.error_code);
		break;
	case VMM_EXIT_IO:
		n = snprintf(buf, len, "%s %s port %#x size %u count %u", name,
			     run->io.direction == VMM_EXIT_IO_OUT ? "out" : "in",
			     run->io.port, run->io.size, run->io.count);
		break;
	case VMM_EXIT_DEBUG:
		n = snprintf(buf, len, "%s vector %u pc %#" PRIx64
			     " dr6 %#" PRIx64 " dr7 %#" PRIx64, name,
			     run->debug.arch.exception,
			     (uint64_t)run->debug.arch.pc,
			     (uint64_t)run->debug.arch.dr6,
			     (uint64_t)run->debug.arch.dr7);
		break;
	case VMM_EXIT_MMIO: {
		uint64_t v = 0;
		uint32_t l = run->mmio.len > 8 ? 8 : run->mmio.len;

		for (uint32_t i = 0; i < l; i++)
			v |= (uint64_t)run->mmio.data[i] << (8 * i);
		n = snprintf(buf, len, "%s %s gpa %#" PRIx64 " len %u",
			     name, run->mmio.is_write ? "write" : "read",
			     (uint64_t)run->mmio.phys_addr, run->mmio.len);
		if (run->mmio.is_write && n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n,
				      " data %#" PRIx64, v);
		break;
	}
	case VMM_EXIT_HYPERCALL:
		n = snprintf(buf, len, "%s nr %#" PRIx64 " args %#" PRIx64
			     " %#" PRIx64 " %#" PRIx64, name,
			     (uint64_t)run->hypercall.nr,
			     (uint64_t)run->hypercall.args[0],
			     (uint64_t)run->hypercall.args[1],
			     (uint64_t)run->hypercall.args[2]);
		break;
	case VMM_EXIT_INTERNAL_ERROR:
		n = snprintf(buf, len, "%s %s (%u) ndata %u", name,
			     vmm_internal_error_name(run->internal.suberror),
			     run->internal.suberror, run->internal.ndata);
		for (uint32_t i = 0; i < run->internal.ndata && i < 16 &&
		     n >= 0 && (size_t)n < len; i++)
			n += snprintf(buf + n, len - (size_t)n, " %#" PRIx64,
				      (uint64_t)run->internal.data[i]);
		break;
	case VMM_EXIT_SYSTEM_EVENT:
		n = snprintf(buf, len, "%s %s (%u)", name,
			     system_event_name(run->system_event.type),
			     run->system_event.type);
		break;
	default:
		n = snprintf(buf, len, "%s (%u)", name, run->exit_reason);
		break;
	}
	return n;
}

void vmm_regs_dump(FILE *f, const struct vmm_regs *r)
{
	fprintf(f, "rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		r->rax, r->rbx, r->rcx, r->rdx);
	fprintf(f, "rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n",
		r->rsi, r->rdi, r->rsp, r->rbp);
	fprintf(f, "r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n",
		r->r8, r->r9, r->r10, r->r11);
	fprintf(f, "r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n",
		r->r12, r->r13, r->r14, r->r15);
	fprintf(f, "rip %016llx rflags %08llx\n", r->rip, r->rflags);
}

static void seg_dump(FILE *f, const char *name, const struct vmm_segment *s)
{
	fprintf(f, "%-3s sel %04x base %016llx limit %08x type %x s %u "
		"dpl %u p %u db %u l %u g %u%s\n", name, s->selector,
		s->base, s->limit, s->type, s->s, s->dpl, s->present, s->db,
		s->l, s->g, s->unusable ? " unusable" : "");
}

void vmm_sregs_dump(FILE *f, const struct vmm_sregs *s)
{
	seg_dump(f, "cs", &s->cs);
	seg_dump(f, "ds", &s->ds);
	seg_dump(f, "es", &s->es);
	seg_dump(f, "fs", &s->fs);
	seg_dump(f, "gs", &s->gs);
	seg_dump(f, "ss", &s->ss);
	seg_dump(f, "tr", &s->tr);
	seg_dump(f, "ldt", &s->ldt);
	fprintf(f, "gdt base %016llx limit %04x  idt base %016llx limit %04x\n",
		s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit);
	fprintf(f, "cr0 %016llx cr2 %016llx cr3 %016llx\n",
		s->cr0, s->cr2, s->cr3);
	fprintf(f, "cr4 %016llx cr8 %016llx efer %016llx apic_base %016llx\n",
		s->cr4, s->cr8, s->efer, s->apic_base);
}

int vmm_vcpu_dump(struct vmm_vcpu *vcpu, FILE *f)
{
	struct vmm_sregs sregs;
	struct vmm_regs regs;
	int ret;

	ret = vmm_vcpu_get_regs(vcpu, &regs);
	if (ret)
		return ret;
	ret = vmm_vcpu_get_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	fprintf(f, "vcpu %u:\n", vcpu->id);
	vmm_regs_dump(f, &regs);
	vmm_sregs_dump(f, &sregs);
	return 0;
}
