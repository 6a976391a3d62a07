// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots (VMM_SET_USER_MEMORY_REGION).
 *
 * The ioctl's rules: add, adjacent slots, overlap (-EEXIST), alignment of
 * address, size and host address, slot number and address-space bits,
 * unknown flags, deleting a slot that does not exist, resizing or
 * re-pointing a live slot, wrap-around (-EINVAL), and the slot limit
 * (VMM_CAP_NR_MEMSLOTS slots fit, one more does not).
 *
 * What the guest sees: host writes and guest writes both ways, a page the
 * guest read as zero and the host then wrote, a slot moved (new address
 * has the data, the old one exits), MADV_DONTNEED (zeroes), a page
 * replaced with mmap(MAP_FIXED), a deleted slot (exits) and a slot added
 * again.  An access outside every slot exits with VMM_EXIT_MMIO or, while
 * the module has no MMIO emulation, VMM_EXIT_INTERNAL_ERROR/EMULATION.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define SLOT		1
#define SLOT_SIZE	0x10000ULL
#define GPA_A		0x10000000ULL
#define GPA_B		0x20000000ULL

GUEST_CODE(probe, 64,
	"read_at:\n"
	"mov (%rdi), %rbx\n"
	GUEST_UCALL_REPORT
	"hlt\n"
	"write_at:\n"
	"mov %rsi, (%rdi)\n"
	"xor %ebx, %ebx\n"
	GUEST_UCALL_REPORT
	"hlt\n");

extern const unsigned char read_at[], write_at[];

static int vm_fd;

static int set_region(uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, void *hva)
{
	struct vmm_userspace_memory_region m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm_fd, VMM_SET_USER_MEMORY_REGION, &m) ? -errno : 0;
}

static const char *err(int r)
{
	return r ? strerror(-r) : "success";
}

/* Guest access results. */
enum { ACC_OK, ACC_NO_SLOT, ACC_OTHER };

static int guest_access(struct vmm_vcpu *vcpu, bool write, uint64_t gpa,
			uint64_t *val)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	struct vmm_regs regs;
	struct ucall uc;
	int r;

	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	regs.rip = TEST_CODE_GPA + ((write ? write_at : read_at) - probe_start);
	regs.rdi = gpa;
	regs.rsi = *val;
	regs.rsp = TEST_STACK_TOP;
	TEST_ASSERT_OK(vmm_vcpu_set_regs(vcpu, &regs));
	r = vmm_vcpu_run(vcpu);
	if (r < 0) {
		tap_diag("VMM_RUN: %s", strerror(-r));
		return ACC_OTHER;
	}
	if (get_ucall(vcpu, &uc) == UCALL_REPORT) {
		if (!write)
			*val = uc.args[0];
		return ACC_OK;
	}
	if (run->exit_reason == VMM_EXIT_MMIO && run->mmio.phys_addr == gpa &&
	    run->mmio.is_write == write && run->mmio.len == 8)
		return ACC_NO_SLOT;
	if (run->exit_reason == VMM_EXIT_INTERNAL_ERROR &&
	    run->internal.suberror == VMM_INTERNAL_ERROR_EMULATION)
		return ACC_NO_SLOT;
	vcpu_dump_diag(vcpu);
	return ACC_OTHER;
}

static bool guest_reads(struct vmm_vcpu *vcpu, uint64_t gpa, uint64_t want,
			uint64_t *got)
{
	*got = 0;
	if (guest_access(vcpu, false, gpa, got) != ACC_OK)
		return false;
	if (*got != want)
		tap_diag("guest read %#llx at %#llx, want %#llx",
			 (unsigned long long)*got, (unsigned long long)gpa,
			 (unsigned long long)want);
	return *got == want;
}

static void test_ioctl_rules(struct vmm_dev *dev, void *mem)
{
	int nslots = vmm_check_extension(dev, VMM_CAP_NR_MEMSLOTS);
	struct timespec t0, t1;
	char *m = mem;
	int r;

	r = set_region(SLOT, 0, GPA_A, SLOT_SIZE, mem);
	tap_ok(r == 0, "add slot 1 at %#llx: %s", GPA_A, err(r));
	r = set_region(2, 0, GPA_A + 0x8000, SLOT_SIZE, m + 0x8000);
	tap_ok(r == -EEXIST, "slot overlapping slot 1's second half: %s", err(r));
	r = set_region(2, 0, GPA_A - 0x1000, 0x2000, mem);
	tap_ok(r == -EEXIST, "slot overlapping slot 1's first page: %s", err(r));
	r = set_region(2, 0, TEST_MEM_SIZE - 0x1000, 0x2000, mem);
	tap_ok(r == -EEXIST, "slot overlapping the end of slot 0: %s", err(r));
	r = set_region(2, 0, GPA_A + SLOT_SIZE, 0x1000, mem);
	tap_ok(r == 0, "slot right after slot 1 (no overlap): %s", err(r));
	r = set_region(2, 0, 0, 0, NULL);
	tap_ok(r == 0, "delete it: %s", err(r));
	r = set_region(2, 0, GPA_A + SLOT_SIZE + 0x800, 0x1000, mem);
	tap_ok(r == -EINVAL, "unaligned guest address: %s", err(r));
	r = set_region(2, 0, GPA_A + SLOT_SIZE, 0x1800, mem);
	tap_ok(r == -EINVAL, "unaligned size: %s", err(r));
	r = set_region(2, 0, GPA_A + SLOT_SIZE, 0x1000, m + 0x10);
	tap_ok(r == -EINVAL, "unaligned host address: %s", err(r));
	r = set_region(nslots, 0, GPA_A + SLOT_SIZE, 0x1000, mem);
	tap_ok(r == -EINVAL, "slot %d (= NR_MEMSLOTS): %s", nslots, err(r));
	r = set_region(1U << 16 | 2, 0, GPA_A + SLOT_SIZE, 0x1000, mem);
	tap_ok(r == -EINVAL, "address space 1: %s", err(r));
	r = set_region(2, 1U << 7, GPA_A + SLOT_SIZE, 0x1000, mem);
	tap_ok(r == -EINVAL, "unknown flag bit 7: %s", err(r));
	r = set_region(5, 0, 0, 0, NULL);
	tap_ok(r == -EINVAL, "delete a slot that does not exist: %s", err(r));
	r = set_region(SLOT, 0, GPA_A, SLOT_SIZE / 2, mem);
	tap_ok(r == -EINVAL, "shrink slot 1: %s", err(r));
	r = set_region(SLOT, 0, GPA_A, SLOT_SIZE, m + 0x1000);
	tap_ok(r == -EINVAL, "change slot 1's host address: %s", err(r));
	r = set_region(2, 0, -0x10000ULL, 0x20000, mem);
	tap_ok(r == -EINVAL, "guest range wrapping around: %s", err(r));

	/*
	 * The limit is on slot numbers: the highest one works, the next
	 * does not.  (Filling every slot would be the same check at one
	 * RCU grace period per call, which the emulated host makes slow.)
	 */
	tap_ok(nslots == VMM_DEFAULT_MAX_MEMSLOTS,
	       "CHECK_EXTENSION(NR_MEMSLOTS) is %d", nslots);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = set_region(nslots - 1, 0, 0x30000000ULL, 0x1000, m + 0x1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_diag("one SET_USER_MEMORY_REGION (add) took %.2f s",
		 t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tap_ok(!r, "slot %d (the last) added: %s", nslots - 1, err(r));
	r = set_region(nslots, 0, 0x30010000ULL, 0x1000, mem);
	tap_ok(r == -EINVAL, "slot %d beyond the limit: %s", nslots, err(r));
	r = set_region(nslots - 1, 0, 0, 0, NULL);
	tap_ok(!r, "slot %d deleted: %s", nslots - 1, err(r));
}

static void test_guest_view(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
			    char *mem)
{
	uint64_t *w = (uint64_t *)mem;
	uint64_t v = 0;
	bool ok;
	int a;

	w[0] = 0x1111;
	ok = guest_reads(vcpu, GPA_A, 0x1111, &v);
	tap_ok(ok,
	       "guest reads the host's write: %#llx", (unsigned long long)v);
	v = 0x2222;
	a = guest_access(vcpu, true, GPA_A + 8, &v);
	tap_ok(a == ACC_OK && w[1] == 0x2222, "host sees the guest's write: %#llx",
	       (unsigned long long)w[1]);

	/* A page first seen as zero (shared zero page), then written. */
	ok = guest_reads(vcpu, GPA_A + 0x2000, 0, &v);
	tap_ok(ok,
	       "guest reads an untouched page as zero (%#llx)", (unsigned long long)v);
	w[0x2000 / 8] = 0x3333;
	ok = guest_reads(vcpu, GPA_A + 0x2000, 0x3333, &v);
	tap_ok(ok,
	       "then sees the host's later write to it: %#llx", (unsigned long long)v);

	/* Move. */
	a = set_region(SLOT, 0, GPA_B, SLOT_SIZE, mem);
	tap_ok(a == 0, "move slot 1 to %#llx: %s", GPA_B, err(a));
	ok = guest_reads(vcpu, GPA_B, 0x1111, &v);
	tap_ok(ok,
	       "guest finds the data at the new address: %#llx", (unsigned long long)v);
	v = 0;
	a = guest_access(vcpu, false, GPA_A, &v);
	tap_ok(a == ACC_NO_SLOT, "guest access to the old address exits (%s)",
	       vmm_exit_reason_name(vmm_vcpu_run_data(vcpu)->exit_reason));

	/* MADV_DONTNEED: the page is gone, the guest must see zeroes. */
	TEST_ASSERT(madvise(mem, 0x1000, MADV_DONTNEED) == 0, "madvise");
	ok = guest_reads(vcpu, GPA_B, 0, &v);
	tap_ok(ok && w[0] == 0,
	       "after MADV_DONTNEED the guest reads zero (%#llx)", (unsigned long long)v);
	v = 0x4444;
	a = guest_access(vcpu, true, GPA_B, &v);
	tap_ok(a == ACC_OK && w[0] == 0x4444,
	       "guest writes the page again, host sees %#llx", (unsigned long long)w[0]);

	/* mmap(MAP_FIXED) over a page the guest has mapped. */
	v = 0x5555;
	guest_access(vcpu, true, GPA_B + 0x4000, &v);
	TEST_ASSERT(mmap(mem + 0x4000, 0x1000, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == mem + 0x4000,
		    "mmap MAP_FIXED");
	w[0x4000 / 8] = 0x6666;
	ok = guest_reads(vcpu, GPA_B + 0x4000, 0x6666, &v);
	tap_ok(ok,
	       "page replaced by mmap(MAP_FIXED): guest reads the new %#llx",
	       (unsigned long long)v);

	/* Delete, then add back. */
	a = set_region(SLOT, 0, 0, 0, NULL);
	tap_ok(a == 0, "delete slot 1: %s", err(a));
	v = 0;
	a = guest_access(vcpu, false, GPA_B, &v);
	tap_ok(a == ACC_NO_SLOT, "guest access to the deleted slot exits (%s)",
	       vmm_exit_reason_name(vmm_vcpu_run_data(vcpu)->exit_reason));
	v = 0x7777;
	a = guest_access(vcpu, true, GPA_B + 8, &v);
	tap_ok(a == ACC_NO_SLOT && w[1] == 0,
	       "guest write to the deleted slot exits and changes nothing (%s)",
	       vmm_exit_reason_name(vmm_vcpu_run_data(vcpu)->exit_reason));
	a = set_region(SLOT, 0, GPA_A, SLOT_SIZE, mem);
	ok = a == 0 && guest_reads(vcpu, GPA_A, 0x4444, &v);
	tap_ok(ok,
	       "slot added again at %#llx: guest reads %#llx", GPA_A,
	       (unsigned long long)v);
	ok = guest_reads(vcpu, 0x1000, *(uint64_t *)test_gpa(vm, 0x1000, 8), &v);
	tap_ok(ok,
	       "slot 0 unaffected throughout");
}

int main(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	char *mem;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(probe), GUEST_CODE_LEN(probe));
	vm_fd = vmm_vm_fd(vm);
	tap_plan(20 + 15);
	mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");

	test_ioctl_rules(vmm_vm_dev(vm), mem);
	test_guest_view(vm, vcpu, mem);

	test_vm_free(vm);
	munmap(mem, SLOT_SIZE);
	return tap_finish();
}
