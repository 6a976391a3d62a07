// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debugging (kmod/debug.c), seen by a guest with its own #DB and
 * #AC handlers:
 *  - instruction breakpoints fire with DR6.B0/B1 and RIP at the
 *    instruction, also on an instruction the module completes (CPUID)
 *    and on the one right after it (RF is cleared when the module skips
 *    an instruction);
 *  - a data write breakpoint fires after the write, not on a read;
 *  - single-stepping with TF gives one #DB (DR6.BS) per instruction,
 *    also after STI (on real hardware the #DB exit there leaves STI
 *    blocking with TF set, and VM entry fails unless the module sets BS
 *    in the pending debug exceptions; Bochs 2.7 does not make that entry
 *    check, SDM Vol. 3C 27.3.1.5, so in the emulated host this step
 *    passes with or without the module's fix),
 *    one instruction late after MOV SS (SDM Vol. 3A 6.8.3), and after
 *    instructions the module completes: CPUID, and an OUT that exits to
 *    userspace;
 *  - ICEBP (0xf1) delivers #DB past the instruction, DR6 untouched;
 *  - DR7.GD: a MOV DR raises #DB with BD, and delivery clears GD;
 *  - DR0-3, DR6 and DR7 read back what was written, with DR6's and
 *    DR7's fixed bits;
 *  - VMM_GET_DEBUGREGS / VMM_SET_DEBUGREGS: the guest's values both
 *    ways, EINVAL for flags or bits above 31 of DR6/DR7;
 *  - #AC with CR0.AM and EFLAGS.AC at CPL 3 (not at CPL 0) reaches the
 *    guest with error code 0 (#AC is intercepted; the host side of a
 *    split-lock #AC needs split lock detection, which the emulated host
 *    lacks: that path is not exercised here);
 *  - in 32-bit protected mode: an instruction breakpoint and single
 *    steps over NOP and CPUID.
 */
#include <sys/ioctl.h>

#include "test_util.h"

#define DB_COUNT	0x101000	/* u32: #DBs logged */
#define DB_LOG		0x101100	/* {u64 rip, u64 dr6}[DB_MAX] */
#define DB_MAX		32
#define DATA_VAR	0x102000	/* u32: the data breakpoint's target */
#define USER_STACK	0x180000
#define KERNEL_STACK	0xf0000		/* TSS.RSP0 */
#define SEL_UCODE	0x40		/* GDT entries the test adds */
#define SEL_UDATA	0x48
#define PORT_STEP	0x80		/* an OUT that exits to userspace */

#define DR6_OK		0xffff0ff0ULL	/* DR6 with no cause set */
#define DR6_BS		0x4000ULL
#define DR6_BD		0x2000ULL

#define S(x)		TU_XSTR(x)
#define RESET_LOG	"movl $0, " S(DB_COUNT) "\n"

GUEST_CODE(dbg64, 64,
	/* A: instruction breakpoints (L0, L1; R/W and LEN 0). */
	RESET_LOG
	"lea a_bp(%rip), %rax\n mov %rax, %dr0\n"
	"mov $1, %eax\n mov %rax, %dr7\n"
	"a_bp: nop\n"
	"lea a_cpuid(%rip), %rax\n mov %rax, %dr0\n"
	"lea a_after(%rip), %rax\n mov %rax, %dr1\n"
	"mov $5, %eax\n mov %rax, %dr7\n"
	"xor %eax, %eax\n"
	"a_cpuid: cpuid\n"
	"a_after: nop\n"
	"xor %eax, %eax\n mov %rax, %dr7\n"
	GUEST_UCALL_REPORT

	/* B: a 4-byte write breakpoint (L1, R/W1 = 01, LEN1 = 11). */
	RESET_LOG
	"mov $" S(DATA_VAR) ", %eax\n mov %rax, %dr1\n"
	"mov $0xd00004, %eax\n mov %rax, %dr7\n"
	"mov " S(DATA_VAR) ", %ecx\n"
	"movl $5, " S(DATA_VAR) "\n"
	"b_after: nop\n"
	"xor %eax, %eax\n mov %rax, %dr7\n"
	GUEST_UCALL_REPORT

	/* C: single steps. */
	RESET_LOG
	"pushfq\n orq $0x100, (%rsp)\n popfq\n"
	"c0: nop\n"
	"c1: nop\n"
	"c2: sti\n"
	"c3: nop\n"
	"c4: mov %ss, %eax\n"
	"c5: mov %eax, %ss\n"
	"c6: nop\n"
	"c7: cpuid\n"
	"c8: outb %al, $" S(PORT_STEP) "\n"
	"c9: nop\n"
	"c10: pushfq\n andq $~0x100, (%rsp)\n popfq\n"
	"cli\n"
	GUEST_UCALL_REPORT

	/* D: ICEBP. */
	RESET_LOG
	".byte 0xf1\n"
	"d_after: nop\n"
	GUEST_UCALL_REPORT

	/* E: general detect. */
	RESET_LOG
	"mov $0x2000, %eax\n mov %rax, %dr7\n"
	"e_mov: mov %dr0, %rax\n"
	"mov %dr7, %rbx\n"
	GUEST_UCALL_REPORT

	/* G: read back (DR0 gets a 64-bit value). */
	"movabs $0x123456789a, %rax\n mov %rax, %dr0\n"
	"mov $0x2222, %eax\n mov %rax, %dr1\n"
	"mov $0x3333, %eax\n mov %rax, %dr2\n"
	"mov $0x4444, %eax\n mov %rax, %dr3\n"
	"mov %dr0, %rbx\n movabs $0x123456789a, %rax\n cmp %rax, %rbx\n je 1f\n" GUEST_FAIL "1:\n"
	"mov %dr1, %rbx\n cmp $0x2222, %rbx\n je 1f\n" GUEST_FAIL "1:\n"
	"mov %dr2, %rbx\n cmp $0x3333, %rbx\n je 1f\n" GUEST_FAIL "1:\n"
	"mov %dr3, %rbx\n cmp $0x4444, %rbx\n je 1f\n" GUEST_FAIL "1:\n"
	"xor %eax, %eax\n mov %rax, %dr6\n mov %dr6, %rbx\n"
	"mov $0x4001, %eax\n mov %rax, %dr6\n mov %dr6, %rcx\n"
	"mov $0xf00002, %eax\n mov %rax, %dr7\n mov %dr7, %rdx\n"
	"xor %eax, %eax\n mov %rax, %dr7\n"
	GUEST_UCALL_REPORT

	/* H: what the host set with SET_DEBUGREGS. */
	"mov %dr2, %rbx\n mov %dr6, %rcx\n mov %dr7, %rdx\n"
	GUEST_UCALL_REPORT

	/* I: alignment checks: CR0.AM, EFLAGS.AC; none at CPL 0... */
	"mov %cr0, %rax\n or $0x40000, %rax\n mov %rax, %cr0\n"
	"pushfq\n orq $0x40000, (%rsp)\n popfq\n"
	"mov " S(USER_STACK) "+1, %ecx\n"
	/* ...then at CPL 3. */
	"push $" S(SEL_UDATA) "+3\n"
	"push $" S(USER_STACK) "\n"
	"pushfq\n"
	"push $" S(SEL_UCODE) "+3\n"
	"lea i_user(%rip), %rax\n push %rax\n"
	"iretq\n"
	"i_user: mov $" S(USER_STACK) "+1, %eax\n"
	"i_ac: mov (%rax), %ecx\n"
	"ud2\n"

	"ac_handler64:\n"
	"mov (%rsp), %rbx\n mov 8(%rsp), %rcx\n mov 16(%rsp), %rdx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE

	/* Log RIP and DR6, reset DR6, resume with RF set. */
	"db_handler64:\n"
	"push %rax\n push %rbx\n"
	"mov " S(DB_COUNT) ", %eax\n"
	"cmp $" S(DB_MAX) ", %eax\n jae 1f\n"
	"shl $4, %eax\n"
	"mov 16(%rsp), %rbx\n mov %rbx, " S(DB_LOG) "(%rax)\n"
	"mov %dr6, %rbx\n mov %rbx, " S(DB_LOG) "+8(%rax)\n"
	"incl " S(DB_COUNT) "\n"
	"1: mov $" S(DR6_OK) ", %ebx\n mov %rbx, %dr6\n"
	"orq $0x10000, 32(%rsp)\n"
	"pop %rbx\n pop %rax\n"
	"iretq\n");

extern const unsigned char a_bp[], a_cpuid[], a_after[], b_after[],
	c1[], c2[], c3[], c4[], c5[], c7[], c8[], c9[], c10[], d_after[],
	e_mov[], i_ac[], db_handler64[], ac_handler64[];

#define GPA64(label)	(TEST_CODE_GPA + (uint64_t)((label) - dbg64_start))

GUEST_CODE(dbg32, 32,
	RESET_LOG
	"call 1f\n 1: pop %esi\n"		/* EIP-relative base */
	"lea p_bp-1b(%esi), %eax\n mov %eax, %dr0\n"
	"mov $1, %eax\n mov %eax, %dr7\n"
	"p_bp: nop\n"
	"xor %eax, %eax\n mov %eax, %dr7\n"
	"pushf\n orl $0x100, (%esp)\n popf\n"
	"p0: nop\n"
	"p1: cpuid\n"
	"p2: nop\n"
	"p3: pushf\n andl $~0x100, (%esp)\n popf\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE

	"db_handler32:\n"
	"push %eax\n push %ebx\n"
	"mov " S(DB_COUNT) ", %eax\n"
	"cmp $" S(DB_MAX) ", %eax\n jae 1f\n"
	"shl $4, %eax\n"
	"mov 8(%esp), %ebx\n mov %ebx, " S(DB_LOG) "(%eax)\n"
	"movl $0, " S(DB_LOG) "+4(%eax)\n"
	"mov %dr6, %ebx\n mov %ebx, " S(DB_LOG) "+8(%eax)\n"
	"movl $0, " S(DB_LOG) "+12(%eax)\n"
	"incl " S(DB_COUNT) "\n"
	"1: mov $" S(DR6_OK) ", %ebx\n mov %ebx, %dr6\n"
	"orl $0x10000, 16(%esp)\n"
	"pop %ebx\n pop %eax\n"
	"iret\n");

extern const unsigned char p_bp[], p1[], p2[], p3[], db_handler32[];

#define GPA32(label)	(TEST_CODE_GPA + (uint64_t)((label) - dbg32_start))

struct db_entry {
	uint64_t rip;
	uint64_t dr6;
};

static unsigned int port_steps;

/* Run to the next ucall; OUTs to PORT_STEP are counted and resumed. */
static uint64_t run_to_ucall(struct vmm_vcpu *vcpu, struct ucall *uc)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == VMM_EXIT_IO &&
		    run->io.port == PORT_STEP) {
			port_steps++;
			continue;
		}
		break;
	}
	if (get_ucall(vcpu, uc) == UCALL_NONE)
		vcpu_dump_diag(vcpu);
	TEST_ASSERT(uc->cmd == UCALL_REPORT || uc->cmd == UCALL_DONE,
		    "guest: ucall %llu, line %llu",
		    (unsigned long long)uc->cmd,
		    (unsigned long long)uc->args[0]);
	return uc->cmd;
}

/* Compare the #DB log with what is expected; diagnostics on mismatch. */
static bool log_is(struct vmm_vm *vm, const struct db_entry *want,
		   unsigned int n, unsigned int max_extra)
{
	uint32_t count = *(uint32_t *)test_gpa(vm, DB_COUNT, 4);
	struct db_entry *log = test_gpa(vm, DB_LOG, DB_MAX * sizeof(*log));
	bool ok = count >= n && count <= n + max_extra;
	unsigned int i;

	for (i = 0; ok && i < n; i++)
		ok = log[i].rip == want[i].rip && log[i].dr6 == want[i].dr6;
	if (!ok) {
		tap_diag("%u #DBs logged (want %u%s):", count, n,
			 max_extra ? " or a few more" : "");
		for (i = 0; i < count && i < DB_MAX; i++)
			tap_diag("  rip %#llx dr6 %#llx%s", (unsigned long long)log[i].rip,
				 (unsigned long long)log[i].dr6,
				 i < n && (log[i].rip != want[i].rip ||
					   log[i].dr6 != want[i].dr6) ? " (wrong)" : "");
		for (i = 0; i < n; i++)
			tap_diag("  want rip %#llx dr6 %#llx",
				 (unsigned long long)want[i].rip,
				 (unsigned long long)want[i].dr6);
	}
	return ok;
}

/* Add a 64-bit user code and a user data segment; set TSS.RSP0. */
static void setup_user(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vmm_vcpu_vm(vcpu);
	uint64_t ucode = 0x00affb000000ffffULL, udata = 0x00cff3000000ffffULL;
	uint64_t rsp0 = KERNEL_STACK;
	struct vmm_sregs s;

	memcpy(test_gpa(vm, TEST_SCRATCH_GPA + VMM_SCRATCH_GDT + SEL_UCODE, 8),
	       &ucode, 8);
	memcpy(test_gpa(vm, TEST_SCRATCH_GPA + VMM_SCRATCH_GDT + SEL_UDATA, 8),
	       &udata, 8);
	memcpy(test_gpa(vm, TEST_SCRATCH_GPA + VMM_SCRATCH_TSS + 4, 8), &rsp0, 8);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &s));
	s.gdt.limit = SEL_UDATA + 7;
	TEST_ASSERT_OK(vmm_vcpu_set_sregs(vcpu, &s));
}

static int debugregs(struct vmm_vcpu *vcpu, unsigned long ioc,
		     struct vmm_debugregs *d)
{
	return ioctl(vmm_vcpu_fd(vcpu), ioc, d) ? -errno : 0;
}

static void test_debugregs_ioctls(struct vmm_vcpu *vcpu)
{
	struct vmm_debugregs d, bad, after;
	int r1, r2, r3;

	memset(&d, 0xcc, sizeof(d));
	TEST_ASSERT_OK(debugregs(vcpu, VMM_GET_DEBUGREGS, &d));
	tap_ok(d.db[0] == 0x123456789aULL && d.db[1] == 0x2222 &&
	       d.db[2] == 0x3333 && d.db[3] == 0x4444 &&
	       d.dr6 == (DR6_OK | DR6_BS | 1) && d.dr7 == 0x400 && d.flags == 0,
	       "GET_DEBUGREGS: the guest's values (db %#llx %#llx %#llx %#llx dr6 %#llx dr7 %#llx flags %#llx)",
	       (unsigned long long)d.db[0], (unsigned long long)d.db[1],
	       (unsigned long long)d.db[2], (unsigned long long)d.db[3],
	       (unsigned long long)d.dr6, (unsigned long long)d.dr7,
	       (unsigned long long)d.flags);

	bad = d;
	bad.flags = 1;
	r1 = debugregs(vcpu, VMM_SET_DEBUGREGS, &bad);
	bad = d;
	bad.dr6 |= 1ULL << 32;
	r2 = debugregs(vcpu, VMM_SET_DEBUGREGS, &bad);
	bad = d;
	bad.dr7 |= 1ULL << 40;
	r3 = debugregs(vcpu, VMM_SET_DEBUGREGS, &bad);
	TEST_ASSERT_OK(debugregs(vcpu, VMM_GET_DEBUGREGS, &after));
	tap_ok(r1 == -EINVAL && r2 == -EINVAL && r3 == -EINVAL &&
	       !memcmp(&after, &d, sizeof(d)),
	       "SET_DEBUGREGS: EINVAL for flags (%d), DR6 bit 32 (%d), DR7 bit 40 (%d); nothing changed",
	       r1, r2, r3);

	d.db[2] = 0xabcdef;
	d.dr6 = DR6_OK | 8;
	d.dr7 = 0x400 | 0x200;		/* GE: no breakpoint enabled */
	TEST_ASSERT_OK(debugregs(vcpu, VMM_SET_DEBUGREGS, &d));
	TEST_ASSERT_OK(debugregs(vcpu, VMM_GET_DEBUGREGS, &after));
	tap_ok(!memcmp(&after, &d, sizeof(d)),
	       "SET_DEBUGREGS then GET_DEBUGREGS: same values");
}

static void test_long(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(dbg64), GUEST_CODE_LEN(dbg64));
	vcpu_set_handler(vcpu, 1, GPA64(db_handler64));
	vcpu_set_handler(vcpu, 17, GPA64(ac_handler64));
	setup_user(vcpu);

	run_to_ucall(vcpu, &uc);
	{
		const struct db_entry want[] = {
			{ GPA64(a_bp), DR6_OK | 1 },
			{ GPA64(a_cpuid), DR6_OK | 1 },
			{ GPA64(a_after), DR6_OK | 2 },
		};

		tap_ok(log_is(vm, want, 3, 0),
		       "instruction breakpoints: on NOP, on CPUID and right after it (B0, B0, B1)");
	}

	run_to_ucall(vcpu, &uc);
	{
		const struct db_entry want[] = { { GPA64(b_after), DR6_OK | 2 } };

		tap_ok(log_is(vm, want, 1, 0),
		       "data write breakpoint: one trap after the write (B1), none on the read");
	}

	port_steps = 0;
	run_to_ucall(vcpu, &uc);
	{
		const struct db_entry want[] = {
			{ GPA64(c1), DR6_OK | DR6_BS },
			{ GPA64(c2), DR6_OK | DR6_BS },
			{ GPA64(c3), DR6_OK | DR6_BS },		/* after STI */
			{ GPA64(c4), DR6_OK | DR6_BS },
			{ GPA64(c5), DR6_OK | DR6_BS },
			/* none after MOV SS: the next one covers both */
			{ GPA64(c7), DR6_OK | DR6_BS },
			{ GPA64(c8), DR6_OK | DR6_BS },		/* after CPUID */
			{ GPA64(c9), DR6_OK | DR6_BS },		/* after OUT */
			{ GPA64(c10), DR6_OK | DR6_BS },
		};

		/* PUSHF, AND and the POPF that clears TF add 2 or 3. */
		tap_ok(log_is(vm, want, 9, 3) && port_steps == 1,
		       "single step: one #DB (BS) per instruction, after STI, late after MOV SS, after CPUID and OUT (%u OUT exits)",
		       port_steps);
	}

	run_to_ucall(vcpu, &uc);
	{
		const struct db_entry want[] = { { GPA64(d_after), DR6_OK } };

		tap_ok(log_is(vm, want, 1, 0),
		       "ICEBP: #DB with RIP past it, DR6 unchanged");
	}

	run_to_ucall(vcpu, &uc);
	{
		const struct db_entry want[] = { { GPA64(e_mov), DR6_OK | DR6_BD } };

		tap_ok(log_is(vm, want, 1, 0) && uc.args[0] == 0x400,
		       "DR7.GD: MOV DR faults with BD, delivery clears GD (DR7 then %#llx)",
		       (unsigned long long)uc.args[0]);
	}

	run_to_ucall(vcpu, &uc);
	tap_ok(uc.args[0] == DR6_OK && uc.args[1] == (DR6_OK | DR6_BS | 1) &&
	       uc.args[2] == 0xf00402,
	       "DR0-3 read back; DR6 0 -> %#llx, 0x4001 -> %#llx; DR7 0xf00002 -> %#llx",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	       (unsigned long long)uc.args[2]);

	test_debugregs_ioctls(vcpu);
	run_to_ucall(vcpu, &uc);
	tap_ok(uc.args[0] == 0xabcdef && uc.args[1] == (DR6_OK | 8) &&
	       uc.args[2] == 0x600,
	       "the guest reads what SET_DEBUGREGS set: DR2 %#llx DR6 %#llx DR7 %#llx",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	       (unsigned long long)uc.args[2]);

	run_to_ucall(vcpu, &uc);
	tap_ok(uc.cmd == UCALL_REPORT && uc.args[0] == 0 &&
	       uc.args[1] == GPA64(i_ac) && uc.args[2] == SEL_UCODE + 3,
	       "#AC at CPL 3 with CR0.AM and EFLAGS.AC: error code %llu, RIP %#llx, CS %#llx (none at CPL 0)",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	       (unsigned long long)uc.args[2]);
	test_vm_free(vm);
}

static void test_prot32(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct ucall uc;
	const struct db_entry want[] = {
		{ GPA32(p_bp), DR6_OK | 1 },
		{ GPA32(p1), DR6_OK | DR6_BS },
		{ GPA32(p2), DR6_OK | DR6_BS },		/* after CPUID */
		{ GPA32(p3), DR6_OK | DR6_BS },
	};

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_PROT32,
				     GUEST_CODE_PTR(dbg32), GUEST_CODE_LEN(dbg32));
	vcpu_set_handler(vcpu, 1, GPA32(db_handler32));
	run_to_ucall(vcpu, &uc);
	tap_ok(log_is(vm, want, 4, 3),
	       "32-bit: instruction breakpoint (B0), single steps over NOP and CPUID");
	test_vm_free(vm);
}

static void test_cap(void)
{
	struct vmm_dev *dev = test_open_dev();

	tap_ok(vmm_check_extension(dev, VMM_CAP_DEBUGREGS) == 1,
	       "CHECK_EXTENSION(DEBUGREGS) is 1");
	vmm_close(dev);
}

int main(void)
{
	tap_plan(13);
	test_cap();
	test_long();
	test_prot32();
	tap_exit();
}
