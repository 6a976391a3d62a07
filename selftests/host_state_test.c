// SPDX-License-Identifier: GPL-2.0
/*
 * The host after a VM ran: a process on the CPU where a guest ran must
 * see and be able to do exactly what it could before.
 *
 *  - On every online CPU: the descriptor-table registers a process can
 *    read (GDTR and IDTR base and limit, LDTR, TR), its segment selectors
 *    (DS, ES, SS, GS set to a selector of its own LDT), its FS and GS
 *    bases, XCR0 and PKRU are the same before and after VM runs whose
 *    guest loaded its own XCR0, SYSCALL MSRs and KERNEL_GS_BASE (the
 *    process's system calls and its GS base show the host's came back);
 *    the process's LDT still works.
 *  - A selector past the end of the host GDT (0x7003) makes the process
 *    that loads it after a VM run get SIGSEGV, as it does before any VM
 *    ran: the same process and another process on that CPU.  (With a GDT
 *    limit left at the VM exit's 0xffff the CPU reads the descriptor from
 *    past the GDT page, in kernel mode: a host oops.)
 *  - The guest's XCR0 is its own: XSETBV then XGETBV in the guest reads
 *    the guest's value back, CPUID.1:ECX.OSXSAVE follows the guest's
 *    CR4, GET_SREGS shows CR4.OSXSAVE; XSETBV with a value the SDM's
 *    rules refuse (no x87, AVX without SSE, a bit the CPU lacks,
 *    ECX != 0) raises #GP in the guest and leaves XCR0 alone.
 *  - CR4.PKE on a host without protection keys: MOV to CR4 raises #GP in
 *    the guest and SET_SREGS is EINVAL.
 */
#include <cpuid.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "test_util.h"

#define X86_CR4_OSXSAVE	(1UL << 18)
#define X86_CR4_PKE	(1UL << 22)

/* Guest data (long mode, identity mapped). */
#define GP_COUNT_GPA	0x101000	/* u64: #GPs taken */
#define RESUME_GPA	0x101008	/* u64: where the #GP handler returns */
#define XCR0_ARG_GPA	0x101010	/* u64: value the host asks to load */

/* Instruction expected to fault: the #GP handler resumes after it. */
#define TRY(insn)							\
	"lea 1f(%rip), %r11\n"						\
	"mov %r11, " TU_XSTR(RESUME_GPA) "\n"				\
	insn "\n"							\
	"1:\n"

/*
 * CR4.OSXSAVE on; report 1: XGETBV (the guest's reset XCR0).  The
 * invalid XSETBVs; report 2: #GP count, XCR0, CPUID.1:ECX.  XSETBV of the
 * value the host asks for; report 3: XGETBV.  CR4.PKE; report 4: #GP
 * count, CR4.  Then CPUID exits, handled in the kernel, and done.
 */
GUEST_CODE(xg, 64,
	"movq $0, " TU_XSTR(GP_COUNT_GPA) "\n"
	/* SYSCALL MSRs and KERNEL_GS_BASE of its own: the host's come back */
	"mov $0xc0000080, %ecx\n rdmsr\n or $1, %eax\n wrmsr\n"
	"mov $0xc0000081, %ecx\n xor %eax, %eax\n mov $0x00230010, %edx\n wrmsr\n"
	"mov $0xc0000082, %ecx\n mov $0x1000, %eax\n mov $0xffff8000, %edx\n wrmsr\n"
	"mov $0xc0000084, %ecx\n mov $0x47700, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov $0xc0000102, %ecx\n mov $0x5a5a0000, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov %cr4, %rax\n"
	"or $" TU_XSTR(X86_CR4_OSXSAVE) ", %rax\n"
	"mov %rax, %cr4\n"
	"xor %ecx, %ecx\n xgetbv\n mov %eax, %ebx\n"
	GUEST_UCALL_REPORT
	/* ECX = 1: no such XCR */
	TRY("mov $3, %eax\n xor %edx, %edx\n mov $1, %ecx\n xsetbv")
	/* x87 off */
	TRY("mov $2, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv")
	/* AVX without SSE */
	TRY("mov $5, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv")
	/* a bit no CPU has (bit 63) */
	TRY("mov $3, %eax\n mov $0x80000000, %edx\n xor %ecx, %ecx\n xsetbv")
	/* AVX-512 state without AVX (unsupported here, or refused) */
	TRY("mov $0xe3, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv")
	"xor %ecx, %ecx\n xgetbv\n mov %eax, %ecx\n"
	"mov $1, %eax\n push %rcx\n cpuid\n mov %ecx, %edx\n pop %rcx\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %rbx\n"
	GUEST_UCALL_REPORT
	"mov " TU_XSTR(XCR0_ARG_GPA) ", %rax\n"
	"mov %rax, %rdx\n shr $32, %rdx\n xor %ecx, %ecx\n xsetbv\n"
	"xor %ecx, %ecx\n xgetbv\n mov %eax, %ebx\n mov %edx, %ecx\n"
	GUEST_UCALL_REPORT
	/* CR4.PKE: #GP where the host has no protection keys */
	"mov %cr4, %rax\n"
	TRY("or $" TU_XSTR(X86_CR4_PKE) ", %rax\n mov %rax, %cr4")
	"mov " TU_XSTR(GP_COUNT_GPA) ", %rbx\n"
	"mov %cr4, %rcx\n"
	GUEST_UCALL_REPORT
	"mov $8, %r12d\n"
	"2: mov $0, %eax\n cpuid\n"
	"dec %r12d\n jnz 2b\n"
	GUEST_UCALL_DONE

	"xg_gp_handler:\n"
	"incq " TU_XSTR(GP_COUNT_GPA) "\n"
	"push %rax\n"
	"mov " TU_XSTR(RESUME_GPA) ", %rax\n"
	"mov %rax, 16(%rsp)\n"
	"pop %rax\n"
	"add $8, %rsp\n"
	"iretq\n");

extern const unsigned char xg_gp_handler[];

struct desc_reg {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* What a process can see of the host state on the CPU it runs on. */
struct host_view {
	struct desc_reg gdt, idt;
	uint16_t ldt, tr, ds, es, ss, fs, gs;
	unsigned long fsbase, gsbase;
	uint64_t xcr0;
	uint32_t pkru;
};

static bool has_osxsave, has_ospke, has_umip;
static uint64_t host_xcr0;

static void probe_cpu(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	has_osxsave = c & (1U << 27);
	__cpuid_count(7, 0, a, b, c, d);
	has_umip = c & (1U << 2);
	has_ospke = c & (1U << 4);
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static uint32_t rdpkru(void)
{
	uint32_t pkru, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee"
			 : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

static void host_view_read(struct host_view *v)
{
	memset(v, 0, sizeof(*v));
	__asm__ volatile("sgdt %0" : "=m"(v->gdt));
	__asm__ volatile("sidt %0" : "=m"(v->idt));
	__asm__ volatile("sldt %0" : "=r"(v->ldt));
	__asm__ volatile("str %0" : "=r"(v->tr));
	__asm__ volatile("mov %%ds, %0" : "=r"(v->ds));
	__asm__ volatile("mov %%es, %0" : "=r"(v->es));
	__asm__ volatile("mov %%ss, %0" : "=r"(v->ss));
	__asm__ volatile("mov %%fs, %0" : "=r"(v->fs));
	__asm__ volatile("mov %%gs, %0" : "=r"(v->gs));
	syscall(SYS_arch_prctl, ARCH_GET_FS, &v->fsbase);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &v->gsbase);
	if (has_osxsave)
		v->xcr0 = xgetbv0();
	if (has_ospke)
		v->pkru = rdpkru();
}

static bool host_view_same(const struct host_view *a,
			   const struct host_view *b, int cpu)
{
	bool ok = true;

#define SAME(f) do {							\
	if (a->f != b->f) {						\
		tap_diag("cpu %d: " #f " %#llx before, %#llx after", cpu,	\
			 (unsigned long long)a->f,			\
			 (unsigned long long)b->f);			\
		ok = false;						\
	}								\
} while (0)
	SAME(gdt.limit);
	SAME(gdt.base);
	SAME(idt.limit);
	SAME(idt.base);
	SAME(ldt);
	SAME(tr);
	SAME(ds);
	SAME(es);
	SAME(ss);
	SAME(fs);
	SAME(gs);
	SAME(fsbase);
	SAME(gsbase);
	SAME(xcr0);
	SAME(pkru);
#undef SAME
	return ok;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "sched_setaffinity(cpu %d): %s", cpu, strerror(errno));
}

/* ---- the process's own LDT, used through GS ---- */

#define LDT_ENTRY	0
#define LDT_SEL		((LDT_ENTRY << 3) | 4 | 3)	/* TI = LDT, RPL 3 */
#define LDT_BASE	0x12345000UL

static bool have_ldt;

/* The process's LDT; a kernel without modify_ldt(2) has none to check. */
static void ldt_install(void)
{
	struct user_desc d = {
		.entry_number = LDT_ENTRY,
		.base_addr = LDT_BASE,
		.limit = 0xfffff,
		.seg_32bit = 1,
		.contents = 0,			/* data */
		.read_exec_only = 0,
		.limit_in_pages = 1,
		.seg_not_present = 0,
		.useable = 1,
	};

	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d))) {
		TEST_ASSERT(errno == ENOSYS, "modify_ldt: %s", strerror(errno));
		tap_diag("no modify_ldt in this kernel: the LDT is not checked");
		return;
	}
	have_ldt = true;
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

/* Load SEL into GS; false if that raised SIGSEGV. */
static bool gs_load(uint16_t sel)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	volatile bool ok = true;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_jmp, 1) == 0)
		__asm__ volatile("mov %0, %%gs" : : "r"(sel));
	else
		ok = false;
	sigaction(SIGSEGV, &old, NULL);
	return ok;
}

/* ---- the guest ---- */

static struct vmm_vm *xg_vm(struct vmm_vcpu **vcpu)
{
	struct vmm_vm *vm;

	vm = vm_create_with_one_vcpu(vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(xg), GUEST_CODE_LEN(xg));
	vcpu_set_handler(*vcpu, 13, TEST_CODE_GPA + (xg_gp_handler - xg_start));
	return vm;
}

/* The XCR0 the guest loads: x87 and SSE only where AVX is on. */
static uint64_t guest_xcr0(void)
{
	return (host_xcr0 & 4) ? 3 : 1;
}

/* Run the guest to its end; false (with diagnostics) if it went astray. */
static bool xg_run_all(struct vmm_vcpu *vcpu, struct ucall *rep, int nrep)
{
	struct vmm_vm *vm = vmm_vcpu_vm(vcpu);
	uint64_t *arg = test_gpa(vm, XCR0_ARG_GPA, 8);
	struct ucall uc;
	int n = 0;

	*arg = guest_xcr0();
	for (;;) {
		uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

		if (cmd == UCALL_DONE)
			break;
		if (cmd != UCALL_REPORT || n >= nrep) {
			vcpu_dump_diag(vcpu);
			return false;
		}
		rep[n++] = uc;
	}
	return n == nrep;
}

static void test_guest_xcr0(void)
{
	struct vmm_vcpu *vcpu;
	struct ucall rep[4];
	struct vmm_sregs s;
	struct vmm_vm *vm;
	bool ran;

	if (!has_osxsave) {
		tap_skip("guest XCR0: the host does not use XSAVE");
		tap_skip("guest XSETBV rules");
		tap_skip("CPUID OSXSAVE");
		tap_skip("GET_SREGS OSXSAVE");
		tap_skip("guest CR4.PKE");
		return;
	}
	vm = xg_vm(&vcpu);
	ran = xg_run_all(vcpu, rep, 4);
	tap_ok(ran && rep[2].args[0] == guest_xcr0() && rep[2].args[1] == 0,
	       "guest XGETBV reads the guest's XCR0 %#llx (got %#llx)",
	       (unsigned long long)guest_xcr0(),
	       ran ? (unsigned long long)rep[2].args[0] : 0ULL);
	tap_ok(ran && rep[1].args[0] == 5 && rep[1].args[1] == rep[0].args[0],
	       "5 invalid XSETBVs raise #GP and leave XCR0 alone (#GP %llu, XCR0 %#llx -> %#llx)",
	       ran ? (unsigned long long)rep[1].args[0] : 0ULL,
	       ran ? (unsigned long long)rep[0].args[0] : 0ULL,
	       ran ? (unsigned long long)rep[1].args[1] : 0ULL);
	tap_ok(ran && (rep[1].args[2] & (1U << 27)),
	       "CPUID.1:ECX.OSXSAVE follows the guest's CR4");
	tap_ok(!vmm_vcpu_get_sregs(vcpu, &s) && (s.cr4 & X86_CR4_OSXSAVE),
	       "GET_SREGS shows the guest's CR4.OSXSAVE");
	if (has_ospke) {
		tap_skip("guest CR4.PKE: the host has protection keys");
	} else {
		s.cr4 |= X86_CR4_PKE;
		tap_ok(ran && rep[3].args[0] == 6 &&
		       !(rep[3].args[1] & X86_CR4_PKE) &&
		       vmm_vcpu_set_sregs(vcpu, &s) == -EINVAL,
		       "CR4.PKE without host protection keys: #GP in the guest, EINVAL from SET_SREGS");
	}
	test_vm_free(vm);
}

/* ---- the host after the guest ran, on every CPU ---- */

static bool host_same_after_run(int cpu)
{
	struct host_view before, after;
	struct vmm_vcpu *vcpu;
	struct ucall rep[4];
	struct vmm_vm *vm;
	uint16_t ds = 0x2b;	/* __USER_DS: 64-bit tasks usually hold 0 */
	bool ran, ok;

	pin(cpu);
	__asm__ volatile("mov %0, %%ds\n\tmov %0, %%es" : : "r"(ds));
	TEST_ASSERT(!have_ldt || gs_load(LDT_SEL),
		    "loading the LDT selector before any run");
	host_view_read(&before);

	vm = xg_vm(&vcpu);
	ran = xg_run_all(vcpu, rep, 4);
	test_vm_free(vm);

	host_view_read(&after);
	ok = host_view_same(&before, &after, cpu);
	if (!ran)
		tap_diag("cpu %d: the guest did not run to its end", cpu);
	/* Reloading the LDT selector needs LDTR to point at our LDT. */
	if (have_ldt && !gs_load(LDT_SEL)) {
		tap_diag("cpu %d: the process's LDT selector faults after the run", cpu);
		ok = false;
	}
	gs_load(0);
	return ran && ok;
}

/* In a child: a VM run on CPU, then GS = 0x7003.  Exit 0 on SIGSEGV. */
static int child_bad_selector(int cpu, bool run_vm)
{
	struct vmm_vcpu *vcpu;
	struct ucall rep[4];
	struct vmm_vm *vm;

	pin(cpu);
	if (run_vm) {
		vm = xg_vm(&vcpu);
		xg_run_all(vcpu, rep, 4);
		test_vm_free(vm);
	}
	if (!gs_load(0x7003))
		return 0;
	return 3;	/* the selector loaded: not what the host allows */
}

static void test_bad_selector(int cpu, bool run_vm, bool self)
{
	int status = -1;
	pid_t pid;

	/* self: the VM runs in the child; else in this process first. */
	if (!self) {
		struct vmm_vcpu *vcpu;
		struct ucall rep[4];
		struct vmm_vm *vm;

		pin(cpu);
		vm = xg_vm(&vcpu);
		xg_run_all(vcpu, rep, 4);
		test_vm_free(vm);
	}
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(child_bad_selector(cpu, run_vm && self));
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		tap_diag("child killed by signal %d", WTERMSIG(status));
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "cpu %d: selector 0x7003 raises SIGSEGV %s", cpu,
	       !run_vm ? "before any VM ran" :
	       self ? "in the process that ran a VM" :
		      "in another process after a VM ran");
}

int main(void)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	struct vmm_dev *dev;

	probe_cpu();
	if (has_osxsave)
		host_xcr0 = xgetbv0();
	dev = test_open_dev();		/* skips the test without /dev/vmm */
	vmm_close(dev);

	tap_plan(5 + ncpu * 3 + 1);
	tap_diag("host: %d CPUs, XCR0 %#llx, OSPKE %d, UMIP %d", ncpu,
		 (unsigned long long)host_xcr0, has_ospke, has_umip);
	if (has_umip)
		tap_diag("UMIP: SGDT/SIDT/SLDT/STR are emulated by the kernel; the selector checks still apply");

	test_guest_xcr0();

	test_bad_selector(0, false, true);
	ldt_install();
	for (cpu = 0; cpu < ncpu; cpu++) {
		tap_ok(host_same_after_run(cpu),
		       "cpu %d: host descriptor tables, selectors, bases, XCR0, PKRU and LDT unchanged by VM runs",
		       cpu);
		test_bad_selector(cpu, true, true);
		test_bad_selector(cpu, true, false);
	}
	tap_exit();
}
