// SPDX-License-Identifier: GPL-2.0
/*
 * Control registers as the guest sees them: CR0.NE cleared and set again
 * (a bit VMX forces on in the real CR0), CR0.TS set and CLTS, CR4.TSD,
 * DE and PCE set and cleared, CR4.VMXE hidden from the guest and refused
 * with #GP, CR3 as set up, CR8 written and read by the guest, shared
 * with the host through run->cr8 and SREGS, CR8 > 15 refused with #GP;
 * the #GPs the module injects push RFLAGS with RF set, as a fault does.
 * GET_SREGS shows the guest's values; SET_SREGS with values the CPU
 * would refuse (PG without PE, NW without CD, VMXE, CR8 > 15, LMA
 * without paging, CR0 bits above 31) fails with EINVAL and changes
 * nothing; values set with SET_SREGS are what the guest then reads.
 */
#include <stdlib.h>

#include "test_util.h"

#define GP_COUNT_GPA	0x101000	/* u32: #GPs taken */
#define RESUME_GPA	0x101008	/* u64: where the #GP handler returns */
#define GP_RFLAGS_GPA	0x101010	/* u64: RFLAGS the last #GP pushed */
#define RFLAGS_RF	(1ULL << 16)

#define CR0_TS		(1ULL << 3)
#define CR0_NE		(1ULL << 5)
#define CR0_NW		(1ULL << 29)
#define CR0_CD		(1ULL << 30)
#define CR4_TSD		(1ULL << 2)
#define CR4_DE		(1ULL << 3)
#define CR4_PCE		(1ULL << 8)
#define CR4_VMXE	(1ULL << 13)

/* Execute insn expecting #GP: the handler resumes after it. */
#define EXPECT_GP(insn)							\
	"lea 1f(%rip), %r11\n"						\
	"mov %r11, " TU_XSTR(RESUME_GPA) "\n"				\
	insn "\n"							\
	"1:\n"

GUEST_CODE(guest, 64,
	"mov %cr0, %r12\n"
	/* 1: CR0.NE off */
	"mov %r12, %rax\n btr $5, %rax\n mov %rax, %cr0\n"
	"mov %cr0, %rbx\n"
	GUEST_UCALL_REPORT
	/* 2: CR0.NE on again */
	"mov %r12, %cr0\n mov %cr0, %rbx\n"
	GUEST_UCALL_REPORT
	/* 3: CR0.TS by MOV, then CLTS */
	"mov %r12, %rax\n bts $3, %rax\n mov %rax, %cr0\n"
	"mov %cr0, %rbx\n clts\n mov %cr0, %rcx\n"
	GUEST_UCALL_REPORT
	/* 4: CR4.TSD, DE, PCE on */
	"mov %cr4, %r13\n"
	"mov %r13, %rax\n or $0x10c, %rax\n mov %rax, %cr4\n"
	"mov %cr4, %rbx\n"
	GUEST_UCALL_REPORT
	/* 5: and off */
	"mov %r13, %cr4\n mov %cr4, %rbx\n"
	GUEST_UCALL_REPORT
	/* 6: CR4.VMXE: #GP, and still clear */
	"movl $0, " TU_XSTR(GP_COUNT_GPA) "\n"
	"mov %r13, %rax\n bts $13, %rax\n"
	EXPECT_GP("mov %rax, %cr4")
	"mov %cr4, %rbx\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %ecx\n"
	"mov " TU_XSTR(GP_RFLAGS_GPA) ", %rdx\n"
	GUEST_UCALL_REPORT
	/* 7: CR3 */
	"mov %cr3, %rbx\n"
	GUEST_UCALL_REPORT
	/* 8: CR8 = 5 */
	"mov $5, %eax\n mov %rax, %cr8\n mov %cr8, %rbx\n"
	GUEST_UCALL_REPORT
	/* 9: CR8 as the host left it in run->cr8 */
	"mov %cr8, %rbx\n"
	GUEST_UCALL_REPORT
	/* 10: CR8 = 16: #GP, CR8 unchanged */
	"movl $0, " TU_XSTR(GP_COUNT_GPA) "\n"
	"mov $16, %eax\n"
	EXPECT_GP("mov %rax, %cr8")
	"mov %cr8, %rbx\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %ecx\n"
	"mov " TU_XSTR(GP_RFLAGS_GPA) ", %rdx\n"
	GUEST_UCALL_REPORT
	/* 11: CR0 and CR4 as the host set them with SET_SREGS */
	"mov %cr0, %rbx\n mov %cr4, %rcx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE

	"gp_handler:\n"
	"push %rax\n"
	"mov 32(%rsp), %rax\n"		/* the pushed RFLAGS */
	"mov %rax, " TU_XSTR(GP_RFLAGS_GPA) "\n"
	"mov " TU_XSTR(RESUME_GPA) ", %rax\n"
	"mov %rax, 16(%rsp)\n"		/* over the saved RIP */
	"incl " TU_XSTR(GP_COUNT_GPA) "\n"
	"pop %rax\n"
	"add $8, %rsp\n"		/* the error code */
	"iretq\n");

extern const unsigned char gp_handler[];

static bool report(struct vmm_vcpu *vcpu, struct ucall *uc)
{
	int r = vmm_vcpu_run(vcpu);

	memset(uc, 0, sizeof(*uc));
	if (r < 0) {
		tap_diag("VMM_RUN: %s", strerror(-r));
		return false;
	}
	if (get_ucall(vcpu, uc) != UCALL_REPORT) {
		vcpu_dump_diag(vcpu);
		return false;
	}
	return true;
}

static bool sregs_equal(const struct vmm_sregs *a, const struct vmm_sregs *b)
{
	return a->cr0 == b->cr0 && a->cr3 == b->cr3 && a->cr4 == b->cr4 &&
	       a->cr8 == b->cr8 && a->efer == b->efer &&
	       !memcmp(&a->cs, &b->cs, sizeof(a->cs));
}

static void bad_sregs(struct vmm_vcpu *vcpu, const char *what,
		      void (*mod)(struct vmm_sregs *))
{
	struct vmm_sregs before, s, after;
	int r;

	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &before));
	s = before;
	mod(&s);
	r = vmm_vcpu_set_sregs(vcpu, &s);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &after));
	tap_ok(r == -EINVAL && sregs_equal(&before, &after),
	       "SET_SREGS with %s: %s, state unchanged", what,
	       r ? strerror(-r) : "accepted");
}

static void pg_no_pe(struct vmm_sregs *s) { s->cr0 &= ~VMM_CR0_PE; }
static void nw_no_cd(struct vmm_sregs *s) { s->cr0 |= CR0_NW; s->cr0 &= ~CR0_CD; }
static void vmxe(struct vmm_sregs *s) { s->cr4 |= CR4_VMXE; }
static void cr8_16(struct vmm_sregs *s) { s->cr8 = 16; }
static void cr0_high(struct vmm_sregs *s) { s->cr0 |= 1ULL << 32; }
static void lma_no_pg(struct vmm_sregs *s) { s->cr0 &= ~VMM_CR0_PG; }

int main(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_sregs s;
	struct vmm_run *run;
	struct ucall uc;
	uint64_t cr0, cr4;
	bool ok;

	vmm_close(test_open_dev());	/* skips without /dev/vmm */
	tap_plan(27);

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(guest), GUEST_CODE_LEN(guest));
	vcpu_set_handler(vcpu, 13, TEST_CODE_GPA + (gp_handler - guest_start));
	run = vmm_vcpu_run_data(vcpu);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	cr0 = s.cr0;
	cr4 = s.cr4;
	tap_ok((cr0 & CR0_NE) && !(cr4 & CR4_VMXE),
	       "initial SREGS: CR0 %#llx has NE, CR4 %#llx has no VMXE",
	       (unsigned long long)cr0, (unsigned long long)cr4);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == (cr0 & ~CR0_NE),
	       "guest clears CR0.NE and reads back %#llx", (unsigned long long)uc.args[0]);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	tap_ok(s.cr0 == (cr0 & ~CR0_NE), "GET_SREGS shows CR0 %#llx without NE",
	       (unsigned long long)s.cr0);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == cr0, "guest sets CR0.NE again: %#llx",
	       (unsigned long long)uc.args[0]);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	tap_ok(s.cr0 == cr0, "GET_SREGS shows CR0 %#llx", (unsigned long long)s.cr0);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == (cr0 | CR0_TS) && uc.args[1] == cr0,
	       "guest CR0.TS: %#llx after MOV, %#llx after CLTS",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == (cr4 | CR4_TSD | CR4_DE | CR4_PCE),
	       "guest sets CR4.TSD/DE/PCE: reads %#llx", (unsigned long long)uc.args[0]);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	tap_ok(s.cr4 == (cr4 | CR4_TSD | CR4_DE | CR4_PCE),
	       "GET_SREGS shows CR4 %#llx", (unsigned long long)s.cr4);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == cr4, "guest clears them: CR4 %#llx",
	       (unsigned long long)uc.args[0]);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[1] == 1 && !(uc.args[0] & CR4_VMXE),
	       "guest setting CR4.VMXE gets #GP (%llu), CR4 stays %#llx",
	       (unsigned long long)uc.args[1], (unsigned long long)uc.args[0]);
	/* A fault pushes RFLAGS with RF set (SDM Vol. 3A 18.3.1.1). */
	tap_ok(ok && (uc.args[2] & RFLAGS_RF),
	       "the #GP the module injects for CR4.VMXE pushes RFLAGS %#llx with RF",
	       (unsigned long long)uc.args[2]);

	ok = report(vcpu, &uc);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	tap_ok(ok && uc.args[0] == s.cr3 && s.cr3 == TEST_SCRATCH_GPA + VMM_SCRATCH_PGTABLE,
	       "guest CR3 %#llx is the one set up", (unsigned long long)uc.args[0]);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == 5, "guest MOV to/from CR8: %llu",
	       (unsigned long long)uc.args[0]);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	tap_ok(run->cr8 == 5 && s.cr8 == 5, "host sees CR8 5 in run->cr8 (%llu) and SREGS (%llu)",
	       (unsigned long long)run->cr8, (unsigned long long)s.cr8);

	run->cr8 = 9;
	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == 9, "guest reads the CR8 the host put in run->cr8: %llu",
	       (unsigned long long)uc.args[0]);

	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[1] == 1 && uc.args[0] == 9,
	       "guest CR8 = 16 gets #GP (%llu), CR8 stays %llu",
	       (unsigned long long)uc.args[1], (unsigned long long)uc.args[0]);
	tap_ok(ok && (uc.args[2] & RFLAGS_RF),
	       "the #GP for CR8 = 16 pushes RFLAGS %#llx with RF",
	       (unsigned long long)uc.args[2]);

	/* SET_SREGS: values the CPU would refuse. */
	bad_sregs(vcpu, "CR0.PG without PE", pg_no_pe);
	bad_sregs(vcpu, "CR0.NW without CD", nw_no_cd);
	bad_sregs(vcpu, "CR4.VMXE", vmxe);
	bad_sregs(vcpu, "CR8 16", cr8_16);
	bad_sregs(vcpu, "CR0 bit 32", cr0_high);
	bad_sregs(vcpu, "EFER.LMA without CR0.PG", lma_no_pg);

	/* What SET_SREGS sets is what the guest reads. */
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	s.cr0 &= ~CR0_NE;
	s.cr4 |= CR4_PCE;
	tap_ok(vmm_vcpu_set_sregs(vcpu, &s) == 0, "SET_SREGS with CR0.NE clear, CR4.PCE set");
	{
		struct vmm_sregs g;

		TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &g));
		tap_ok(g.cr0 == s.cr0 && g.cr4 == s.cr4,
		       "GET_SREGS returns them: CR0 %#llx CR4 %#llx",
		       (unsigned long long)g.cr0, (unsigned long long)g.cr4);
	}
	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == s.cr0 && uc.args[1] == s.cr4,
	       "guest reads CR0 %#llx CR4 %#llx (want %#llx %#llx)",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	       (unsigned long long)s.cr0, (unsigned long long)s.cr4);
	tap_ok(vmm_vcpu_run(vcpu) == 0 && get_ucall(vcpu, NULL) == UCALL_DONE,
	       "guest finished");
	test_vm_free(vm);
	return tap_finish();
}
