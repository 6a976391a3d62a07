// SPDX-License-Identifier: GPL-2.0
/*
 * Guest execution modes: a guest in real mode, 32-bit flat protected
 * mode, 32-bit paging, PAE paging and 64-bit long mode each reads its
 * control registers, writes guest memory, reports through a ucall, halts
 * (VMM_EXIT_HLT) and finally reports done.  The host checks the values
 * and that the mode is really the one asked for (CR0.PE/PG, CR4.PAE, a
 * 64-bit value arriving whole).
 */
#include <stdlib.h>

#include "test_util.h"

#define REAL_DATA_OFF	0xc000		/* DS:0xc000 = GPA 0x1c000 */
#define DATA_GPA	0x3000000	/* 48 MiB: beyond the code and stack */
#define MAGIC16		0x1616
#define MAGIC32		0x32323232
#define MAGIC64		0x0123456789abcdefULL

GUEST_CODE(guest16, 16,
	"mov %cr0, %eax\n"
	"mov %eax, %ecx\n"
	"mov %cr4, %eax\n"
	"mov %eax, %edx\n"
	"movl $0x5aa5f00d, " TU_XSTR(REAL_DATA_OFF) "\n"
	"mov $" TU_XSTR(MAGIC16) ", %ebx\n"
	GUEST_UCALL_REPORT
	"hlt\n"
	GUEST_UCALL_DONE);

GUEST_CODE(guest32, 32,
	"mov %cr0, %eax\n"
	"mov %eax, %ecx\n"
	"mov %cr4, %eax\n"
	"mov %eax, %edx\n"
	"movl $0x5aa5f00d, " TU_XSTR(DATA_GPA) "\n"
	"mov $" TU_XSTR(MAGIC32) ", %ebx\n"
	GUEST_UCALL_REPORT
	"hlt\n"
	GUEST_UCALL_DONE);

GUEST_CODE(guest64, 64,
	"mov %cr0, %rcx\n"
	"mov %cr4, %rdx\n"
	"movl $0x5aa5f00d, " TU_XSTR(DATA_GPA) "\n"
	"movabs $" TU_XSTR(MAGIC64) ", %rbx\n"
	GUEST_UCALL_REPORT
	"hlt\n"
	GUEST_UCALL_DONE);

/* Run once; true if the exit is a ucall with command cmd. */
static bool run_ucall(struct vmm_vcpu *vcpu, struct ucall *uc, uint64_t cmd)
{
	int r = vmm_vcpu_run(vcpu);

	if (r < 0) {
		tap_diag("VMM_RUN: %s", strerror(-r));
		return false;
	}
	if (get_ucall(vcpu, uc) != cmd) {
		vcpu_dump_diag(vcpu);
		return false;
	}
	return true;
}

static void test_mode(enum vmm_mode mode)
{
	const char *name = vmm_mode_name(mode);
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_sregs sregs;
	struct ucall uc;
	uint64_t magic, cr0, cr4, want_cr0, want_cr4;
	uint32_t *data;
	bool ok;
	int r;

	switch (mode) {
	case VMM_MODE_REAL:
		vm = vm_create_with_one_vcpu(&vcpu, mode,
					     GUEST_CODE_PTR(guest16),
					     GUEST_CODE_LEN(guest16));
		data = test_gpa(vm, TEST_CODE_GPA + REAL_DATA_OFF, 4);
		magic = MAGIC16;
		break;
	case VMM_MODE_LONG64:
		vm = vm_create_with_one_vcpu(&vcpu, mode,
					     GUEST_CODE_PTR(guest64),
					     GUEST_CODE_LEN(guest64));
		data = test_gpa(vm, DATA_GPA, 4);
		magic = MAGIC64;
		break;
	default:
		vm = vm_create_with_one_vcpu(&vcpu, mode,
					     GUEST_CODE_PTR(guest32),
					     GUEST_CODE_LEN(guest32));
		data = test_gpa(vm, DATA_GPA, 4);
		magic = MAGIC32;
		break;
	}

	want_cr0 = VMM_CR0_PE | VMM_CR0_PG;
	want_cr4 = VMM_CR4_PAE;
	switch (mode) {
	case VMM_MODE_REAL:	cr0 = 0; cr4 = 0; break;
	case VMM_MODE_PROT32:	cr0 = VMM_CR0_PE; cr4 = 0; break;
	case VMM_MODE_PAGED32:	cr0 = want_cr0; cr4 = 0; break;
	default:		cr0 = want_cr0; cr4 = VMM_CR4_PAE; break;
	}

	ok = run_ucall(vcpu, &uc, UCALL_REPORT);
	if (ok && (uc.args[0] != magic ||
		   (uc.args[1] & want_cr0) != cr0 ||
		   (uc.args[2] & want_cr4) != cr4 ||
		   (uc.args[2] & (1 << 13)))) {
		tap_diag("%s: rbx %#llx (want %#llx) cr0 %#llx cr4 %#llx",
			 name, (unsigned long long)uc.args[0],
			 (unsigned long long)magic,
			 (unsigned long long)uc.args[1],
			 (unsigned long long)uc.args[2]);
		ok = false;
	}
	tap_ok(ok, "%s: ucall with value %#llx, CR0 %#llx CR4 %#llx as the mode has them",
	       name, (unsigned long long)magic,
	       (unsigned long long)uc.args[1], (unsigned long long)uc.args[2]);

	tap_ok(ok && *data == 0x5aa5f00d,
	       "%s: guest write seen by the host (%#x)", name, *data);

	/* The mode the host sees agrees. */
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &sregs));
	tap_ok((sregs.cr0 & want_cr0) == cr0 &&
	       !!(sregs.efer & VMM_EFER_LMA) == (mode == VMM_MODE_LONG64) &&
	       sregs.cs.l == (mode == VMM_MODE_LONG64),
	       "%s: SREGS cr0 %#llx efer %#llx cs.l %u", name,
	       (unsigned long long)sregs.cr0, (unsigned long long)sregs.efer,
	       sregs.cs.l);

	r = ok ? vmm_vcpu_run(vcpu) : -1;
	ok = r == 0 && vmm_vcpu_run_data(vcpu)->exit_reason == VMM_EXIT_HLT;
	if (!ok && r == 0)
		vcpu_dump_diag(vcpu);
	tap_ok(ok, "%s: HLT exits with VMM_EXIT_HLT", name);

	ok = ok && run_ucall(vcpu, &uc, UCALL_DONE);
	tap_ok(ok, "%s: resumes after HLT and reports done", name);
	test_vm_free(vm);
}

int main(void)
{
	test_vm_free(NULL);
	vmm_close(test_open_dev());	/* skips without /dev/vmm */

	tap_plan(5 * VMM_MODE_COUNT);
	for (int m = 0; m < VMM_MODE_COUNT; m++)
		test_mode((enum vmm_mode)m);
	return tap_finish();
}
