/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test support for vmm selftests: TAP output, assertions, a one-vCPU VM
 * built on libvmm, guest code written inline in assembly, and "ucalls"
 * (guest-to-host messages through an I/O port).
 *
 * A typical test:
 *
 *	GUEST_CODE(hello, 64,
 *		"mov $42, %ebx\n"
 *		GUEST_UCALL_REPORT
 *		GUEST_UCALL_DONE);
 *
 *	int main(void)
 *	{
 *		struct vmm_vcpu *vcpu;
 *		struct vmm_vm *vm;
 *		struct ucall uc;
 *
 *		tap_plan(1);
 *		vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
 *					     GUEST_CODE_PTR(hello),
 *					     GUEST_CODE_LEN(hello));
 *		vcpu_run_ucall(vcpu, &uc);
 *		TEST_ASSERT_EQ(uc.cmd, UCALL_REPORT);
 *		tap_ok(uc.args[0] == 42, "guest reported 42");
 *		test_vm_free(vm);
 *		tap_exit();
 *	}
 *
 * Exit codes follow kselftest: 0 pass, 1 fail, 4 skip.  When /dev/vmm
 * (or $VMM_DEVICE) does not exist, vm_create_with_one_vcpu() skips the
 * whole test.
 */
#ifndef SELFTESTS_TEST_UTIL_H
#define SELFTESTS_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

/*
 * tap.h is the header-only TAP helper of the first selftests; this file
 * offers the same calls (tap_plan, tap_check, tap_skip, tap_skip_all,
 * tap_bail, tap_finish), so a test includes one or the other.
 */
#ifdef VMM_SELFTEST_TAP_H
#error "include either lib/tap.h or lib/test_util.h, not both"
#endif

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define TU_STR(x)	#x
#define TU_XSTR(x)	TU_STR(x)

#define TU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TU_NORETURN	__attribute__((noreturn))

/* ------------------------------------------------------------------ */
/* TAP 13                                                              */
/* ------------------------------------------------------------------ */

/* Print "TAP version 13" (once) and the plan "1..n". */
void tap_plan(unsigned int n);

/* Print "ok N desc" or "not ok N desc"; returns ok. */
TU_PRINTF(2, 3) bool tap_ok(bool ok, const char *fmt, ...);

/* Print "ok N desc # SKIP" (a skipped test point). */
TU_PRINTF(1, 2) void tap_skip(const char *fmt, ...);

/* Print a "# ..." diagnostic line. */
TU_PRINTF(1, 2) void tap_diag(const char *fmt, ...);

/*
 * Skip the whole program: prints "1..0 # SKIP reason" if no plan was
 * printed yet (else one "# SKIP" diagnostic) and exits KSFT_SKIP.
 */
TU_PRINTF(1, 2) TU_NORETURN void tap_skip_all(const char *fmt, ...);

/* Fail the whole program: prints "Bail out! reason" and exits KSFT_FAIL. */
TU_PRINTF(1, 2) TU_NORETURN void tap_fail_exit(const char *fmt, ...);

/*
 * Finish: prints "# Totals: pass:P fail:F skip:S", warns if the plan was
 * not met, and exits KSFT_FAIL if any test point failed or the plan was
 * not met, KSFT_SKIP if every test point was skipped, else KSFT_PASS.
 */
TU_NORETURN void tap_exit(void);

/* tap.h compatibility: tap_check is tap_ok without the return value. */
#define tap_check(ok, ...)	((void)tap_ok((ok), __VA_ARGS__))

/*
 * Give up on the rest: print the reason as a diagnostic, a failed test
 * point for each planned one not run, and exit KSFT_FAIL.
 */
TU_PRINTF(1, 2) TU_NORETURN void tap_bail(const char *fmt, ...);

/*
 * Like tap_exit() but returning the exit code instead of exiting, for
 * "return tap_finish();" at the end of main.
 */
int tap_finish(void);

/* Counters, for tests that want to decide themselves. */
unsigned int tap_count_passed(void);
unsigned int tap_count_failed(void);
unsigned int tap_count_skipped(void);

/* ------------------------------------------------------------------ */
/* Assertions                                                          */
/* ------------------------------------------------------------------ */

TU_PRINTF(5, 6) TU_NORETURN
void test_assert_fail(const char *file, int line, const char *expr,
		      int err, const char *fmt, ...);

/*
 * TEST_ASSERT(cond, fmt, ...): if cond is false, print file:line, the
 * expression, errno and its text, and the message as TAP diagnostics,
 * then "Bail out!" and exit KSFT_FAIL.
 */
#define TEST_ASSERT(cond, ...) do {					\
	if (!(cond))							\
		test_assert_fail(__FILE__, __LINE__, #cond, errno,	\
				 __VA_ARGS__);				\
} while (0)

/* Both values are printed on failure (as unsigned 64-bit). */
#define TEST_ASSERT_EQ(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a != __b)							\
		test_assert_fail(__FILE__, __LINE__, #a " == " #b,	\
				 errno, "%#llx != %#llx",		\
				 (unsigned long long)__a,		\
				 (unsigned long long)__b);		\
} while (0)

/* A libvmm call returning 0 / -errno: ASSERT_OK(vmm_xxx(...)). */
#define TEST_ASSERT_OK(call) do {					\
	int __r = (call);						\
	if (__r < 0)							\
		test_assert_fail(__FILE__, __LINE__, #call, -__r,	\
				 "returned %d (%s)", __r,		\
				 strerror(-__r));			\
} while (0)

/* Skip the whole test unless cond holds (a missing feature, not a bug). */
#define TEST_REQUIRE(cond, ...) do {					\
	if (!(cond))							\
		tap_skip_all(__VA_ARGS__);				\
} while (0)

/* ------------------------------------------------------------------ */
/* Guest code                                                          */
/* ------------------------------------------------------------------ */

/*
 * GUEST_CODE(name, bits, "asm"...): assemble the given text as .code16,
 * .code32 or .code64 into its own section, between the symbols
 * name_start and name_end.  Use at file scope.  The bytes are copied to
 * TEST_CODE_GPA, so the code must not use absolute addresses of its own
 * labels: jumps and calls are relative already, 64-bit code can use
 * RIP-relative operands, and GUEST_GPA / GUEST_OFF16 give a label's
 * guest address / real-mode offset as an assembler expression.
 */
#define GUEST_CODE(name, bits, text)					\
	extern const unsigned char name##_start[], name##_end[];	\
	__asm__(".pushsection .text.guest." #name ", \"ax\", @progbits\n" \
		".balign 16\n"						\
		".globl " #name "_start\n"				\
		".hidden " #name "_start\n"				\
		#name "_start:\n"					\
		".code" #bits "\n"					\
		text "\n"						\
		".code64\n"						\
		".globl " #name "_end\n"				\
		".hidden " #name "_end\n"				\
		#name "_end:\n"						\
		".popsection\n")

#define GUEST_CODE_PTR(name)	((const void *)name##_start)
#define GUEST_CODE_LEN(name)	((size_t)(name##_end - name##_start))

/* Guest-physical address of label inside GUEST_CODE(name, ...). */
#define GUEST_GPA(name, label)						\
	"(" #label " - " #name "_start + " TU_XSTR(TEST_CODE_GPA) ")"

/* Real-mode offset of label (CS = DS = TEST_CODE_GPA >> 4). */
#define GUEST_OFF16(name, label) "(" #label " - " #name "_start)"

/* ------------------------------------------------------------------ */
/* Ucalls: guest -> host messages                                      */
/* ------------------------------------------------------------------ */

/*
 * The guest writes EAX (the command) to UCALL_PORT with a 4-byte OUT;
 * RBX, RCX and RDX carry up to three values.  The host reads them from
 * the vCPU registers.
 */
#define UCALL_PORT		0xe9
#define UCALL_NONE		0	/* not a ucall exit */
#define UCALL_DONE		1	/* test finished */
#define UCALL_ASSERT_FAIL	2	/* args[0] = source line, [1],[2] free */
#define UCALL_REPORT		3	/* args = values for the host */

#define GUEST_UCALL(cmd)						\
	"mov $" TU_XSTR(cmd) ", %eax\n\t"				\
	"outl %eax, $" TU_XSTR(UCALL_PORT) "\n\t"

#define GUEST_UCALL_REPORT	GUEST_UCALL(UCALL_REPORT)

/* Report done, then halt forever should the host resume the vCPU. */
#define GUEST_UCALL_DONE						\
	GUEST_UCALL(UCALL_DONE)						\
	"1001: hlt\n\tjmp 1001b\n\t"

/*
 * Report an assertion failure at this source line (in EBX), keeping ECX
 * and EDX as the guest left them, then halt.  Typical use:
 *	"cmp $5, %eax\n" "je 1f\n" GUEST_FAIL "1:\n"
 */
#define GUEST_FAIL							\
	"mov $" TU_XSTR(__LINE__) ", %ebx\n\t"				\
	GUEST_UCALL(UCALL_ASSERT_FAIL)					\
	"1002: hlt\n\tjmp 1002b\n\t"

struct ucall {
	uint64_t cmd;		/* UCALL_* */
	uint64_t args[3];	/* guest RBX, RCX, RDX */
};

/*
 * get_ucall: if the vCPU's last exit is an OUT to UCALL_PORT, fill *uc
 * (may be NULL) and return its command; else return UCALL_NONE.
 */
uint64_t get_ucall(struct vmm_vcpu *vcpu, struct ucall *uc);

/* ------------------------------------------------------------------ */
/* VMs                                                                 */
/* ------------------------------------------------------------------ */

/*
 * Guest-physical layout of vm_create_with_one_vcpu(): one slot of
 * TEST_MEM_SIZE at 0; the mode-setup scratch area (GDT, TSS, page
 * tables) at TEST_SCRATCH_GPA; the code at TEST_CODE_GPA; the stack
 * growing down from TEST_STACK_TOP (TEST_STACK_TOP16 in real mode, where
 * CS = DS = ES = SS = TEST_CODE_GPA >> 4 and IP = 0); free memory for the
 * test from TEST_DATA_GPA on.
 */
#define TEST_MEM_SLOT		0
#define TEST_MEM_SIZE		(64ULL << 20)
#define TEST_SCRATCH_GPA	0x1000
#define TEST_CODE_GPA		0x10000
#define TEST_CODE_MAX16		0xc000	/* leaves 16 KiB of real-mode stack */
#define TEST_CODE_MAX		0x70000
#define TEST_STACK_TOP16	0x20000
#define TEST_STACK_TOP		0x100000
#define TEST_DATA_GPA		0x100000

/*
 * The device to use: $VMM_DEVICE if set (e.g. /dev/kvm), else /dev/vmm.
 * Skips the whole test (exit 4) if it does not exist; fails on other
 * errors.  The caller owns the handle.
 */
struct vmm_dev *test_open_dev(void);

/*
 * vm_create_with_one_vcpu: open the device, create a VM with
 * TEST_MEM_SIZE of memory at 0, vCPU 0 with the supported CPUID, copy
 * len bytes of code to TEST_CODE_GPA and set the vCPU up in mode to start
 * there with the stack described above.  Any failure fails the test.
 * *vcpup is the vCPU; release everything with test_vm_free().
 */
struct vmm_vm *vm_create_with_one_vcpu(struct vmm_vcpu **vcpup,
				       enum vmm_mode mode,
				       const void *code, size_t len);

/* Destroy the VM and close the device it was created on. */
void test_vm_free(struct vmm_vm *vm);

/* The host address of guest-physical gpa (len bytes); fails the test if unmapped. */
void *test_gpa(struct vmm_vm *vm, uint64_t gpa, uint64_t len);

/*
 * The VM id the module shows in /proc/self/fdinfo/<fd> for a VM fd (the
 * netlink family's VMM_A_VM_ID); 0 if none, e.g. a VM of /dev/kvm.
 */
uint32_t test_fd_vm_id(int fd);

/*
 * Transparent huge pages for a test.  test_thp_enable: where the host's
 * /sys/kernel/mm/transparent_hugepage/enabled says "never" (the kernel's
 * default below 512 MiB of memory, as in the emulated host), set it to
 * "madvise"; returns 1 if it did, 0 if THP was on already, -1 if the
 * kernel has no THP or it could not be turned on.  test_thp_restore puts
 * "never" back if test_thp_enable turned it on.
 */
int test_thp_enable(void);
void test_thp_restore(void);

/* Kilobytes of AnonHugePages in the mapping that contains addr, or -1. */
long test_anon_huge_kb(void *addr);

/*
 * One-byte port accesses through a bus (vmm_bus_access), for the device
 * models' unit tests; an error from the handler fails the test.
 */
uint8_t bus_in8(struct vmm_bus *bus, uint64_t port);
void bus_out8(struct vmm_bus *bus, uint64_t port, uint8_t v);

/* Run once; fails the test if VMM_RUN returns an error. */
void vcpu_run(struct vmm_vcpu *vcpu);

/*
 * Fail the test (printing the exit and the registers) unless the last
 * exit has the given VMM_EXIT_* reason.
 */
void vcpu_assert_exit(struct vmm_vcpu *vcpu, uint32_t reason);

/*
 * Run until the guest makes a ucall and return its command.  A guest
 * assertion failure, or any exit that is not a ucall, fails the test.
 */
uint64_t vcpu_run_ucall(struct vmm_vcpu *vcpu, struct ucall *uc);

/* Print the vCPU's state as TAP diagnostics. */
void vcpu_dump_diag(struct vmm_vcpu *vcpu);

/* ------------------------------------------------------------------ */
/* Guest exception handlers                                            */
/* ------------------------------------------------------------------ */

/* Where vcpu_set_handler() keeps the guest's IDT (one page). */
#define TEST_IDT_GPA		0xa000

/*
 * vcpu_set_handler: make the guest's exception or interrupt `vector` go
 * to guest-physical (= linear) address handler_gpa, in the vCPU's current
 * mode: a 16-byte interrupt gate in long mode, an 8-byte one in protected
 * mode, a vector-table entry in real mode.  The first call points IDTR at
 * TEST_IDT_GPA (vectors without a handler stay not present).  Call it
 * after the mode is set up; any failure fails the test.
 */
void vcpu_set_handler(struct vmm_vcpu *vcpu, unsigned int vector,
		      uint64_t handler_gpa);

/*
 * vcpu_set_handler_at: the same with the table at idt_gpa (in real mode
 * the vector table's base, normally 0), which IDTR then points at.  The
 * table must lie in guest memory.
 */
void vcpu_set_handler_at(struct vmm_vcpu *vcpu, uint64_t idt_gpa,
			 unsigned int vector, uint64_t handler_gpa);

#endif /* SELFTESTS_TEST_UTIL_H */
