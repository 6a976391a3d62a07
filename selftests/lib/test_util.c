// SPDX-License-Identifier: GPL-2.0
/*
 * Test support for vmm selftests; see test_util.h.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"

/* TAP state for this test program. */
static bool tap_header_done;
static bool tap_plan_done;
static unsigned int tap_planned;
static unsigned int tap_count;
static unsigned int tap_npass;
static unsigned int tap_nfail;
static unsigned int tap_nskip;

static void tap_header(void)
{
	if (!tap_header_done) {
		printf("TAP version 13\n");
		tap_header_done = true;
	}
}

void tap_plan(unsigned int n)
{
	tap_header();
	printf("1..%u\n", n);
	tap_plan_done = true;
	tap_planned = n;
	fflush(stdout);
}

static void tap_vline(const char *prefix, const char *fmt, va_list ap,
		      const char *suffix)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	fputs(suffix, stdout);
	fflush(stdout);
}

bool tap_ok(bool ok, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	tap_header();
	tap_count++;
	if (ok)
		tap_npass++;
	else
		tap_nfail++;
	snprintf(prefix, sizeof(prefix), "%sok %u ", ok ? "" : "not ",
		 tap_count);
	va_start(ap, fmt);
	tap_vline(prefix, fmt, ap, "\n");
	va_end(ap);
	return ok;
}

void tap_skip(const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	tap_header();
	tap_count++;
	tap_nskip++;
	snprintf(prefix, sizeof(prefix), "ok %u ", tap_count);
	va_start(ap, fmt);
	tap_vline(prefix, fmt, ap, " # SKIP\n");
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline("# ", fmt, ap, "\n");
	va_end(ap);
}

void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	tap_header();
	va_start(ap, fmt);
	if (!tap_plan_done)
		tap_vline("1..0 # SKIP ", fmt, ap, "\n");
	else
		tap_vline("# SKIP ", fmt, ap, "\n");
	va_end(ap);
	exit(KSFT_SKIP);
}

void tap_fail_exit(const char *fmt, ...)
{
	va_list ap;

	tap_header();
	va_start(ap, fmt);
	tap_vline("Bail out! ", fmt, ap, "\n");
	va_end(ap);
	exit(KSFT_FAIL);
}

unsigned int tap_count_passed(void)
{
	return tap_npass;
}

unsigned int tap_count_failed(void)
{
	return tap_nfail;
}

unsigned int tap_count_skipped(void)
{
	return tap_nskip;
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	tap_header();
	va_start(ap, fmt);
	tap_vline("# ", fmt, ap, "\n");
	va_end(ap);
	while (tap_plan_done && tap_count < tap_planned)
		tap_ok(false, "not run");
	fflush(stdout);
	exit(KSFT_FAIL);
}

int tap_finish(void)
{
	bool plan_ok = !tap_plan_done || tap_planned == tap_count;

	tap_header();
	if (!tap_plan_done)
		printf("1..%u\n", tap_count);
	else if (!plan_ok)
		printf("# planned %u tests but ran %u\n", tap_planned,
		       tap_count);
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       tap_npass, tap_nfail, tap_nskip);
	fflush(stdout);
	if (tap_nfail || !plan_ok)
		return KSFT_FAIL;
	if (tap_count && tap_nskip == tap_count)
		return KSFT_SKIP;
	return KSFT_PASS;
}

void tap_exit(void)
{
	exit(tap_finish());
}

void test_assert_fail(const char *file, int line, const char *expr, int err,
		      const char *fmt, ...)
{
	va_list ap;

	tap_header();
	printf("# ==== Test assertion failure ====\n");
	printf("#   %s:%d: %s\n", file, line, expr);
	printf("#   errno=%d (%s)\n", err, strerror(err));
	va_start(ap, fmt);
	tap_vline("#   ", fmt, ap, "\n");
	va_end(ap);
	printf("Bail out! assertion failed at %s:%d\n", file, line);
	fflush(stdout);
	exit(KSFT_FAIL);
}

/* ------------------------------------------------------------------ */

uint64_t get_ucall(struct vmm_vcpu *vcpu, struct ucall *uc)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	struct vmm_regs regs;

	if (uc)
		memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != VMM_EXIT_IO ||
	    run->io.port != UCALL_PORT ||
	    run->io.direction != VMM_EXIT_IO_OUT)
		return UCALL_NONE;

	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	if (uc) {
		uc->cmd = (uint32_t)regs.rax;
		uc->args[0] = regs.rbx;
		uc->args[1] = regs.rcx;
		uc->args[2] = regs.rdx;
	}
	return (uint32_t)regs.rax;
}

struct vmm_dev *test_open_dev(void)
{
	const char *path = getenv("VMM_DEVICE");
	struct vmm_dev *dev;
	int ret;

	if (!path || !*path)
		path = VMM_DEFAULT_DEVICE;
	ret = vmm_open(path, &dev);
	if (ret == -ENOENT)
		tap_skip_all("%s not present (module not loaded?)", path);
	TEST_ASSERT(ret == 0, "vmm_open(%s): %s", path, strerror(-ret));
	return dev;
}

struct vmm_vm *vm_create_with_one_vcpu(struct vmm_vcpu **vcpup,
				       enum vmm_mode mode,
				       const void *code, size_t len)
{
	uint64_t stack = mode == VMM_MODE_REAL ? TEST_STACK_TOP16
					       : TEST_STACK_TOP;
	size_t max = mode == VMM_MODE_REAL ? TEST_CODE_MAX16 : TEST_CODE_MAX;
	struct vmm_dev *dev = test_open_dev();
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;

	TEST_ASSERT(len <= max, "guest code of %zu bytes exceeds %zu in %s mode",
		    len, max, vmm_mode_name(mode));

	TEST_ASSERT_OK(vmm_vm_create(dev, &vm));
	/*
	 * 4 KiB pages, not libvmm's THP default: a test guest touches a few
	 * pages of its 64 MiB, the EPT paths under test are the 4 KiB ones,
	 * and in the emulated host zeroing a 2 MiB page for each region a
	 * guest touches doubled the time of the tests that create many VMs.
	 * THP has its own tests (thp_split_test, prefault_test, vmmctl's).
	 */
	TEST_ASSERT_OK(vmm_mem_add(vm, TEST_MEM_SLOT, 0, TEST_MEM_SIZE,
				   VMM_MEM_NO_HUGE, NULL));
	TEST_ASSERT_OK(vmm_vcpu_create(vm, 0, &vcpu));

	if (vmm_check_extension(dev, VMM_CAP_EXT_CPUID) > 0) {
		struct vmm_cpuid2 *cpuid;

		TEST_ASSERT_OK(vmm_get_supported_cpuid(dev, &cpuid));
		TEST_ASSERT_OK(vmm_vcpu_set_cpuid(vcpu, cpuid));
		free(cpuid);
	}

	if (len)
		TEST_ASSERT_OK(vmm_load_flat(vm, TEST_CODE_GPA, code, len));
	TEST_ASSERT_OK(vmm_vcpu_setup_mode(vcpu, mode, 0, TEST_SCRATCH_GPA,
					   TEST_CODE_GPA, stack));
	*vcpup = vcpu;
	return vm;
}

void test_vm_free(struct vmm_vm *vm)
{
	struct vmm_dev *dev;

	if (!vm)
		return;
	dev = vmm_vm_dev(vm);
	vmm_vm_destroy(vm);
	vmm_close(dev);
}

void *test_gpa(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	void *p = vmm_gpa_to_hva(vm, gpa, len);

	TEST_ASSERT(p, "gpa %#llx (+%#llx) is not guest memory",
		    (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

uint32_t test_fd_vm_id(int fd)
{
	char path[64], line[256];
	unsigned long id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "vm_id: %lu", &id) == 1)
			break;
	fclose(f);
	return (uint32_t)id;
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

static bool thp_turned_on;

static bool thp_write(const char *mode)
{
	FILE *f = fopen(THP_ENABLED, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(mode, f) >= 0;
	return !fclose(f) && ok;
}

int test_thp_enable(void)
{
	char buf[128] = "";
	FILE *f = fopen(THP_ENABLED, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (!strstr(buf, "[never]"))
		return 0;
	if (!thp_write("madvise"))
		return -1;
	thp_turned_on = true;
	return 1;
}

void test_thp_restore(void)
{
	if (thp_turned_on && thp_write("never"))
		thp_turned_on = false;
}

long test_anon_huge_kb(void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[256];
	long kb = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

void vcpu_dump_diag(struct vmm_vcpu *vcpu)
{
	char *buf = NULL, *line, *save = NULL;
	size_t size = 0;
	char desc[256];
	FILE *f;

	vmm_exit_describe(vmm_vcpu_run_data(vcpu), desc, sizeof(desc));
	tap_diag("last exit: %s", desc);

	f = open_memstream(&buf, &size);
	if (!f)
		return;
	if (vmm_vcpu_dump(vcpu, f) < 0)
		fprintf(f, "(registers unreadable)\n");
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		tap_diag("%s", line);
	free(buf);
}

void vcpu_run(struct vmm_vcpu *vcpu)
{
	int ret = vmm_vcpu_run(vcpu);

	if (ret < 0) {
		vcpu_dump_diag(vcpu);
		test_assert_fail(__FILE__, __LINE__, "vmm_vcpu_run(vcpu)",
				 -ret, "VMM_RUN failed: %s", strerror(-ret));
	}
}

void vcpu_assert_exit(struct vmm_vcpu *vcpu, uint32_t reason)
{
	uint32_t got = vmm_vcpu_run_data(vcpu)->exit_reason;

	if (got == reason)
		return;
	vcpu_dump_diag(vcpu);
	test_assert_fail(__FILE__, __LINE__, "exit_reason == expected", 0,
			 "exit %s (%u), expected %s (%u)",
			 vmm_exit_reason_name(got), got,
			 vmm_exit_reason_name(reason), reason);
}

uint64_t vcpu_run_ucall(struct vmm_vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	uint64_t cmd;

	if (!uc)
		uc = &tmp;
	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, uc);
	if (cmd == UCALL_NONE) {
		vcpu_dump_diag(vcpu);
		tap_fail_exit("expected a ucall, got exit %s",
			      vmm_exit_reason_name(
				      vmm_vcpu_run_data(vcpu)->exit_reason));
	}
	if (cmd == UCALL_ASSERT_FAIL) {
		vcpu_dump_diag(vcpu);
		tap_fail_exit("guest assertion failed at line %llu "
			      "(rcx %#llx rdx %#llx)",
			      (unsigned long long)uc->args[0],
			      (unsigned long long)uc->args[1],
			      (unsigned long long)uc->args[2]);
	}
	return cmd;
}

void vcpu_set_handler(struct vmm_vcpu *vcpu, unsigned int vector,
		      uint64_t handler_gpa)
{
	struct vmm_sregs sregs;

	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &sregs));
	vcpu_set_handler_at(vcpu, sregs.cr0 & VMM_CR0_PE ? TEST_IDT_GPA : 0,
			    vector, handler_gpa);
}

void vcpu_set_handler_at(struct vmm_vcpu *vcpu, uint64_t idt_gpa,
			 unsigned int vector, uint64_t handler_gpa)
{
	struct vmm_vm *vm = vmm_vcpu_vm(vcpu);
	struct vmm_sregs sregs;
	uint8_t *idt;

	TEST_ASSERT(vector < 256, "vector %u", vector);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &sregs));

	if (!(sregs.cr0 & VMM_CR0_PE)) {
		/* Real mode: segment:offset pairs at the table's base. */
		uint16_t *ivt = test_gpa(vm, idt_gpa, 1024);

		ivt[2 * vector] = handler_gpa & 0xf;
		ivt[2 * vector + 1] = (uint16_t)(handler_gpa >> 4);
		sregs.idt.base = idt_gpa;
		sregs.idt.limit = 0x3ff;
		TEST_ASSERT_OK(vmm_vcpu_set_sregs(vcpu, &sregs));
		return;
	}
	idt = test_gpa(vm, idt_gpa, 4096);
	if (sregs.efer & VMM_EFER_LMA) {
		uint8_t *g = idt + 16 * vector;
		uint64_t lo = (handler_gpa & 0xffff) |
			      (uint64_t)VMM_SEL_CODE64 << 16 |
			      0x8eULL << 40 |	/* present, DPL 0, intr gate */
			      ((handler_gpa >> 16) & 0xffff) << 48;
		uint64_t hi = handler_gpa >> 32;

		memcpy(g, &lo, 8);
		memcpy(g + 8, &hi, 8);
		sregs.idt.base = idt_gpa;
		sregs.idt.limit = 16 * 256 - 1;
	} else {
		uint64_t d = (handler_gpa & 0xffff) |
			     (uint64_t)VMM_SEL_CODE32 << 16 |
			     0x8eULL << 40 |	/* present, DPL 0, 32-bit gate */
			     ((handler_gpa >> 16) & 0xffff) << 48;

		memcpy(idt + 8 * vector, &d, 8);
		sregs.idt.base = idt_gpa;
		sregs.idt.limit = 8 * 256 - 1;
	}
	TEST_ASSERT_OK(vmm_vcpu_set_sregs(vcpu, &sregs));
}

uint8_t bus_in8(struct vmm_bus *bus, uint64_t port)
{
	uint8_t v;

	TEST_ASSERT_OK(vmm_bus_access(bus, NULL, port, &v, 1, 0));
	return v;
}

void bus_out8(struct vmm_bus *bus, uint64_t port, uint8_t v)
{
	TEST_ASSERT_OK(vmm_bus_access(bus, NULL, port, &v, 1, 1));
}
