// SPDX-License-Identifier: GPL-2.0
/*
 * Faults, failed entries and hypercalls:
 *  - an exception without an IDT (#UD -> #GP -> #DF -> shutdown) is a
 *    triple fault: VMM_EXIT_SHUTDOWN, in long mode and 32-bit mode;
 *  - guest state the module accepts but the VM-entry checks refuse (a
 *    data-segment type in CS, TR unusable in long mode) ends in
 *    VMM_EXIT_FAIL_ENTRY with hardware reason 33, on a fresh vCPU and on
 *    one that ran already, and the vCPU runs again once fixed; so does
 *    RFLAGS.VM in long mode, which the module refuses before any entry;
 *  - SET_SREGS with CR0.PG without PE is EINVAL;
 *  - every VMX instruction (and MONITOR/MWAIT) raises #UD in the guest,
 *    RDPMC #GP, WBINVD/INVD just complete: seen by handlers in the
 *    guest's IDT;
 *  - VMCALL follows KVM's hypercall ABI (long and 32-bit mode): an
 *    unknown number gives RAX = -VMM_ENOSYS and the guest goes on;
 *    MAP_GPA_RANGE exits as VMM_EXIT_HYPERCALL (gpa, npages, attrs) only
 *    after VMM_ENABLE_CAP(VMM_CAP_EXIT_HYPERCALL), RAX is hypercall.ret
 *    after the next VMM_RUN (32 bits outside long mode), and an unaligned
 *    gpa is -VMM_EINVAL without an exit.
 */
#include <stdlib.h>

#include "test_util.h"

#define CUR_GPA		0x101000	/* u32: number of the instruction */
#define RESUME_GPA	0x101008	/* u64: where the handlers return */
#define UD_MASK_GPA	0x101010	/* u64: instructions that raised #UD */
#define GP_MASK_GPA	0x101018	/* u64: ... #GP */
#define SCRATCH_MEM	"0x101100"	/* memory operand for VMX insns */

GUEST_CODE(ud64, 64, "ud2\n" GUEST_UCALL_DONE);
GUEST_CODE(ud32, 32, "ud2\n" GUEST_UCALL_DONE);
GUEST_CODE(hello64, 64, "mov $0x600d, %ebx\n" GUEST_UCALL_REPORT "jmp hello64_start\n");

/* Instruction n: record it, arrange the handlers' return address. */
#define TRY(n, insn)							\
	"movl $" #n ", " TU_XSTR(CUR_GPA) "\n"				\
	"lea 1f(%rip), %r11\n"						\
	"mov %r11, " TU_XSTR(RESUME_GPA) "\n"				\
	insn "\n"							\
	"1:\n"

static const char *const insn_names[] = {
	"VMXON", "VMXOFF", "VMCLEAR", "VMPTRLD", "VMPTRST", "VMREAD",
	"VMWRITE", "VMLAUNCH", "VMRESUME", "INVEPT", "INVVPID", "MONITOR",
	"MWAIT", "RDPMC", "WBINVD", "INVD",
};
#define NR_UD	13	/* the first 13 raise #UD */
#define I_RDPMC	13

GUEST_CODE(insns, 64,
	"xor %eax, %eax\n xor %ecx, %ecx\n xor %edx, %edx\n"
	TRY(0, "vmxon " SCRATCH_MEM)
	TRY(1, "vmxoff")
	TRY(2, "vmclear " SCRATCH_MEM)
	TRY(3, "vmptrld " SCRATCH_MEM)
	TRY(4, "vmptrst " SCRATCH_MEM)
	TRY(5, "vmread %rax, %rbx")
	TRY(6, "vmwrite %rbx, %rax")
	TRY(7, "vmlaunch")
	TRY(8, "vmresume")
	TRY(9, "invept " SCRATCH_MEM ", %rax")
	TRY(10, "invvpid " SCRATCH_MEM ", %rax")
	TRY(11, "mov $" SCRATCH_MEM ", %eax\n xor %ecx, %ecx\n xor %edx, %edx\n monitor")
	TRY(12, "xor %eax, %eax\n xor %ecx, %ecx\n mwait")
	TRY(13, "xor %ecx, %ecx\n rdpmc")
	TRY(14, "wbinvd")
	TRY(15, "invd")
	"mov " TU_XSTR(UD_MASK_GPA) ", %rbx\n"
	"mov " TU_XSTR(GP_MASK_GPA) ", %rcx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE

	"ud_handler:\n"
	"push %rax\n"
	"mov " TU_XSTR(CUR_GPA) ", %eax\n"
	"bts %rax, " TU_XSTR(UD_MASK_GPA) "\n"
	"mov " TU_XSTR(RESUME_GPA) ", %rax\n"
	"mov %rax, 8(%rsp)\n"
	"pop %rax\n"
	"iretq\n"
	"gp_handler:\n"
	"push %rax\n"
	"mov " TU_XSTR(CUR_GPA) ", %eax\n"
	"bts %rax, " TU_XSTR(GP_MASK_GPA) "\n"
	"mov " TU_XSTR(RESUME_GPA) ", %rax\n"
	"mov %rax, 16(%rsp)\n"
	"pop %rax\n"
	"add $8, %rsp\n"
	"iretq\n");

extern const unsigned char ud_handler[], gp_handler[];

#define HC_CALL(ax, bx, nr, a0, a1)					\
	"mov $" #nr ", %eax\n mov $" #a0 ", %ebx\n mov $" #a1 ", %ecx\n"	\
	"mov $0x10, %edx\n mov $0x44, %esi\n mov $0x55, %edi\n"		\
	"vmcall\n"							\
	"mov " ax ", " bx "\n"						\
	GUEST_UCALL_REPORT

#define HC_BODY(ax, bx)							\
	HC_CALL(ax, bx, 0x1234, 0x11, 0x22)				\
	HC_CALL(ax, bx, 12, 0x200000, 3)				\
	HC_CALL(ax, bx, 12, 0x200001, 1)				\
	GUEST_UCALL_DONE

GUEST_CODE(hc64, 64, HC_BODY("%rax", "%rbx"));
GUEST_CODE(hc32, 32, HC_BODY("%eax", "%ebx"));

static void test_triple_fault(enum vmm_mode mode, const void *code, size_t len)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm = vm_create_with_one_vcpu(&vcpu, mode, code, len);
	uint32_t reason;
	int r;

	r = vmm_vcpu_run(vcpu);
	reason = vmm_vcpu_run_data(vcpu)->exit_reason;
	if (r || reason != VMM_EXIT_SHUTDOWN)
		vcpu_dump_diag(vcpu);
	tap_ok(r == 0 && reason == VMM_EXIT_SHUTDOWN,
	       "%s: UD2 without an IDT is a triple fault: exit %s",
	       vmm_mode_name(mode), vmm_exit_reason_name(reason));
	test_vm_free(vm);
}

static void bad_cs(struct vmm_sregs *s) { s->cs.type = 1; }	/* data, RO */
static void bad_tr(struct vmm_sregs *s) { s->tr.unusable = 1; s->tr.present = 0; }

static void test_fail_entry(const char *what, void (*mod)(struct vmm_sregs *),
			    bool run_first)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_sregs good, bad;
	struct vmm_regs regs;
	struct vmm_run *run;
	struct ucall uc;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(hello64),
				     GUEST_CODE_LEN(hello64));
	run = vmm_vcpu_run_data(vcpu);
	if (run_first) {
		r = vmm_vcpu_run(vcpu);
		TEST_ASSERT(r == 0 && get_ucall(vcpu, NULL) == UCALL_REPORT,
			    "first run");
	}
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &good));
	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	bad = good;
	if (mod) {
		mod(&bad);
	} else {
		/*
		 * RFLAGS.VM in long mode (SDM Vol. 3C 27.3.1.4): SET_REGS
		 * takes it, the module's check before entry refuses it.
		 */
		struct vmm_regs br = regs;

		br.rflags |= 1ULL << 17;
		TEST_ASSERT_OK(vmm_vcpu_set_regs(vcpu, &br));
	}
	r = vmm_vcpu_set_sregs(vcpu, &bad);
	if (r) {
		tap_ok(false, "%s%s: SET_SREGS refused it (%s): cannot reach the entry check",
		       what, run_first ? " after a run" : "", strerror(-r));
		tap_skip("recovery");
		test_vm_free(vm);
		return;
	}
	r = vmm_vcpu_run(vcpu);
	if (r || run->exit_reason != VMM_EXIT_FAIL_ENTRY)
		vcpu_dump_diag(vcpu);
	tap_ok(r == 0 && run->exit_reason == VMM_EXIT_FAIL_ENTRY &&
	       run->fail_entry.hardware_entry_failure_reason == 33,
	       "%s%s: VMM_EXIT_FAIL_ENTRY, hardware reason %llu (want 33)",
	       what, run_first ? " after a run" : "",
	       r == 0 && run->exit_reason == VMM_EXIT_FAIL_ENTRY ?
	       (unsigned long long)run->fail_entry.hardware_entry_failure_reason : 0ULL);

	TEST_ASSERT_OK(vmm_vcpu_set_sregs(vcpu, &good));
	TEST_ASSERT_OK(vmm_vcpu_set_regs(vcpu, &regs));
	r = vmm_vcpu_run(vcpu);
	if (r || get_ucall(vcpu, &uc) != UCALL_REPORT)
		memset(&uc, 0, sizeof(uc));
	tap_ok(uc.args[0] == 0x600d,
	       "%s%s: with the state fixed the vCPU runs again", what,
	       run_first ? " after a run" : "");
	test_vm_free(vm);
}

static void test_bad_cr0(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_sregs s;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_PROT32, NULL, 0);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	s.cr0 = (s.cr0 & ~VMM_CR0_PE) | VMM_CR0_PG;
	r = vmm_vcpu_set_sregs(vcpu, &s);
	tap_ok(r == -EINVAL, "SET_SREGS with CR0.PG without PE: %s",
	       r ? strerror(-r) : "accepted");
	test_vm_free(vm);
}

static void test_insns(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct ucall uc;
	uint64_t ud, gp;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(insns), GUEST_CODE_LEN(insns));
	vcpu_set_handler(vcpu, 6, TEST_CODE_GPA + (ud_handler - insns_start));
	vcpu_set_handler(vcpu, 13, TEST_CODE_GPA + (gp_handler - insns_start));
	r = vmm_vcpu_run(vcpu);
	if (r || get_ucall(vcpu, &uc) != UCALL_REPORT) {
		vcpu_dump_diag(vcpu);
		tap_ok(false, "instruction guest reached its report");
		for (int i = 0; i < 16; i++)
			tap_ok(false, "%s", insn_names[i]);
		test_vm_free(vm);
		return;
	}
	tap_ok(true, "instruction guest reached its report");
	ud = uc.args[0];
	gp = uc.args[1];
	for (int i = 0; i < 16; i++) {
		bool got_ud = ud >> i & 1, got_gp = gp >> i & 1;
		const char *got = got_ud ? "#UD" : got_gp ? "#GP" : "no exception";

		if (i < NR_UD)
			tap_ok(got_ud && !got_gp, "guest %s: #UD (got %s)", insn_names[i], got);
		else if (i == I_RDPMC)
			tap_ok(got_gp && !got_ud, "guest %s: #GP (got %s)", insn_names[i], got);
		else
			tap_ok(!got_gp && !got_ud, "guest %s completes (got %s)", insn_names[i], got);
	}
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_DONE, "instruction guest finished");
	test_vm_free(vm);
}

static uint64_t hc_report(struct vmm_vcpu *vcpu)
{
	struct ucall uc;

	if (vmm_vcpu_run(vcpu) || get_ucall(vcpu, &uc) != UCALL_REPORT) {
		vcpu_dump_diag(vcpu);
		return 0xdead;
	}
	return uc.args[0];
}

/* 6 results. */
static void test_hypercall(enum vmm_mode mode, const void *code, size_t len,
			   bool optin)
{
	const char *m = vmm_mode_name(mode);
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm = vm_create_with_one_vcpu(&vcpu, mode, code, len);
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	bool lm = mode == VMM_MODE_LONG64;
	uint64_t mask = lm ? ~0ULL : 0xffffffffULL;
	uint64_t ret = 0xfeedface12345678ULL, got;
	int r;

	r = vmm_vm_check_extension(vm, VMM_CAP_EXIT_HYPERCALL);
	if (optin)
		r = r == (1 << VMM_HC_MAP_GPA_RANGE) ?
		    vmm_enable_cap(vm, VMM_CAP_EXIT_HYPERCALL,
				   1 << VMM_HC_MAP_GPA_RANGE) : -1;
	else
		r = r == (1 << VMM_HC_MAP_GPA_RANGE) &&
		    vmm_enable_cap(vm, VMM_CAP_EXIT_HYPERCALL, 1 << 3) == -EINVAL ?
		    0 : -1;
	tap_ok(r == 0, "%s: CAP_EXIT_HYPERCALL is MAP_GPA_RANGE only%s", m,
	       optin ? ", enabled" : "; other bits are EINVAL");

	got = hc_report(vcpu);
	tap_ok(got == (-(uint64_t)VMM_ENOSYS & mask),
	       "%s: unknown hypercall: RAX -ENOSYS, no exit (%#llx)", m,
	       (unsigned long long)got);

	if (!optin) {
		got = hc_report(vcpu);
		tap_ok(got == (-(uint64_t)VMM_ENOSYS & mask),
		       "%s: MAP_GPA_RANGE without opt-in: -ENOSYS (%#llx)", m,
		       (unsigned long long)got);
		tap_ok(true, "%s: (no exit to complete)", m);
	} else {
		r = vmm_vcpu_run(vcpu);
		if (r || run->exit_reason != VMM_EXIT_HYPERCALL)
			vcpu_dump_diag(vcpu);
		tap_ok(r == 0 && run->exit_reason == VMM_EXIT_HYPERCALL &&
		       run->hypercall.nr == VMM_HC_MAP_GPA_RANGE &&
		       run->hypercall.args[0] == 0x200000 &&
		       run->hypercall.args[1] == 3 &&
		       run->hypercall.args[2] == 0x10 &&
		       run->hypercall.longmode == lm,
		       "%s: MAP_GPA_RANGE exits: nr %llu args %#llx %#llx %#llx longmode %u",
		       m, (unsigned long long)run->hypercall.nr,
		       (unsigned long long)run->hypercall.args[0],
		       (unsigned long long)run->hypercall.args[1],
		       (unsigned long long)run->hypercall.args[2],
		       run->hypercall.longmode);
		run->hypercall.ret = ret;
		got = hc_report(vcpu);
		tap_ok(got == (ret & mask),
		       "%s: guest RAX after the exit is hypercall.ret (%#llx)",
		       m, (unsigned long long)got);
	}
	got = hc_report(vcpu);
	tap_ok(got == ((optin ? -(uint64_t)VMM_EINVAL : -(uint64_t)VMM_ENOSYS) & mask),
	       "%s: MAP_GPA_RANGE, unaligned gpa: %s without an exit (%#llx)",
	       m, optin ? "-EINVAL" : "-ENOSYS", (unsigned long long)got);
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_DONE, "%s: hypercall guest finished", m);
	test_vm_free(vm);
}

int main(void)
{
	vmm_close(test_open_dev());	/* skips without /dev/vmm */
	tap_plan(2 + 6 * 2 + 1 + 18 + 3 * 6);

	test_triple_fault(VMM_MODE_LONG64, GUEST_CODE_PTR(ud64), GUEST_CODE_LEN(ud64));
	test_triple_fault(VMM_MODE_PROT32, GUEST_CODE_PTR(ud32), GUEST_CODE_LEN(ud32));
	test_fail_entry("CS type 1 (data)", bad_cs, false);
	test_fail_entry("CS type 1 (data)", bad_cs, true);
	test_fail_entry("TR unusable in long mode", bad_tr, false);
	test_fail_entry("TR unusable in long mode", bad_tr, true);
	test_fail_entry("RFLAGS.VM in long mode", NULL, false);
	test_fail_entry("RFLAGS.VM in long mode", NULL, true);
	test_bad_cr0();
	test_insns();
	test_hypercall(VMM_MODE_LONG64, GUEST_CODE_PTR(hc64), GUEST_CODE_LEN(hc64), true);
	test_hypercall(VMM_MODE_PROT32, GUEST_CODE_PTR(hc32), GUEST_CODE_LEN(hc32), true);
	test_hypercall(VMM_MODE_LONG64, GUEST_CODE_PTR(hc64), GUEST_CODE_LEN(hc64), false);
	return tap_finish();
}
