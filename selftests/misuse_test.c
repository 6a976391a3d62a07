// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl misuse: every ioctl on the wrong kind of fd is ENOTTY; vCPU ids
 * out of range, duplicated, or one vCPU too many are EINVAL/EEXIST;
 * CREATE_VM with a type other than 0 is EINVAL; another process (a fork
 * child) using the VM or vCPU fds gets EIO, while it may still create
 * VMs of its own; oversized lists are E2BIG; bad pointers are EFAULT;
 * VMM_RUN with an argument is EINVAL.
 *
 * Slot sizes: as KVM, a slot has at most 2^31 - 1 pages (8 TiB - 4 KiB):
 * 2^31 pages and a 64 TiB slot with dirty logging (whose bitmap, 2 GiB,
 * once made kvmalloc WARN) are EINVAL; the largest slot is accepted,
 * also with dirty logging (a 256 MiB bitmap; ENOMEM is accepted where
 * the host lacks the memory, and the kernel log must stay clean).  The
 * slots are backed by a PROT_NONE, MAP_NORESERVE reservation: nothing is
 * ever touched.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

static bool fails(int fd, unsigned long req, unsigned long arg, int err)
{
	errno = 0;
	return ioctl(fd, req, arg) == -1 && errno == err;
}

/* Report a fails() check with the errno it saw (evaluated first). */
#define EXPECT_ERR(fd, req, arg, err, ...) do {				\
	bool __ok = fails(fd, req, arg, err);				\
	int __e = errno;						\
	char __d[160];							\
									\
	snprintf(__d, sizeof(__d), __VA_ARGS__);			\
	tap_ok(__ok, "%s: %s", __d, strerror(__e));			\
} while (0)

#define MAX_SLOT_PAGES	((1ULL << 31) - 1)

static int set_slot(int vm, uint32_t flags, uint64_t gpa, uint64_t size,
		    void *hva)
{
	struct vmm_userspace_memory_region m = {
		.slot = 1, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, VMM_SET_USER_MEMORY_REGION, &m) ? -errno : 0;
}

/* Create slot 1 as given and delete it again; the creation's result. */
static int try_slot(int vm, uint32_t flags, uint64_t gpa, uint64_t size,
		    void *hva)
{
	int r = set_slot(vm, flags, gpa, size, hva);

	if (!r)
		TEST_ASSERT_OK(set_slot(vm, 0, 0, 0, NULL));
	return r;
}

static void test_slot_size(int vm)
{
	uint64_t max = MAX_SLOT_PAGES << 12, gpa = 1ULL << 40;
	size_t len = max + 0x1000;
	void *res;
	int r;

	res = mmap(NULL, len, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(res != MAP_FAILED, "reserving 8 TiB of address space");

	r = try_slot(vm, 0, gpa, max + 0x1000, res);
	tap_ok(r == -EINVAL, "slot of 2^31 pages (8 TiB): %s", strerror(-r));
	/*
	 * The module checks no mapping, only that the range is user space:
	 * [1 TiB, 65 TiB) is, so only the size can refuse this one.
	 */
	r = try_slot(vm, VMM_MEM_LOG_DIRTY_PAGES, gpa, 1ULL << 46,
		     (void *)(1ULL << 40));
	tap_ok(r == -EINVAL, "slot of 2^34 pages (64 TiB) with dirty logging: %s",
	       strerror(-r));
	r = try_slot(vm, 0, gpa, max, res);
	tap_ok(!r, "slot of 2^31 - 1 pages (the largest): %s",
	       r ? strerror(-r) : "ok");
	r = try_slot(vm, VMM_MEM_LOG_DIRTY_PAGES, gpa, max, res);
	if (r == -ENOMEM)
		tap_diag("no 256 MiB for the dirty bitmap in this host: ENOMEM");
	tap_ok(!r || r == -ENOMEM,
	       "the largest slot with dirty logging: %s (no kernel warning)",
	       r ? strerror(-r) : "ok");
	munmap(res, len);
}

int main(void)
{
	struct vmm_dev *dev = test_open_dev();
	int sys = vmm_dev_fd(dev), vm, vcpu, r, i, n;
	struct vmm_regs regs;
	pid_t pid;
	int status;

	tap_plan(28 + 4);

	vm = ioctl(sys, VMM_CREATE_VM, 0);
	TEST_ASSERT(vm >= 0, "CREATE_VM");
	vcpu = ioctl(vm, VMM_CREATE_VCPU, 0);
	TEST_ASSERT(vcpu >= 0, "CREATE_VCPU");

	/* wrong fd kinds */
	EXPECT_ERR(sys, VMM_CREATE_VCPU, 0, ENOTTY, "CREATE_VCPU on /dev/vmm");
	EXPECT_ERR(sys, VMM_RUN, 0, ENOTTY, "RUN on /dev/vmm");
	EXPECT_ERR(sys, VMM_GET_REGS, (unsigned long)&regs, ENOTTY, "GET_REGS on /dev/vmm");
	EXPECT_ERR(vm, VMM_CREATE_VM, 0, ENOTTY, "CREATE_VM on a VM fd");
	EXPECT_ERR(vm, VMM_RUN, 0, ENOTTY, "RUN on a VM fd");
	EXPECT_ERR(vm, VMM_GET_API_VERSION, 0, ENOTTY, "GET_API_VERSION on a VM fd");
	EXPECT_ERR(vcpu, VMM_CREATE_VCPU, 1, ENOTTY, "CREATE_VCPU on a vCPU fd");
	EXPECT_ERR(vcpu, VMM_SET_USER_MEMORY_REGION, 0, ENOTTY, "SET_USER_MEMORY_REGION on a vCPU fd");
	EXPECT_ERR(vcpu, VMM_GET_SUPPORTED_CPUID, 0, ENOTTY, "GET_SUPPORTED_CPUID on a vCPU fd");
	EXPECT_ERR(vcpu, _IO(VMMIO, 0xff), 0, ENOTTY, "unknown ioctl on a vCPU fd");

	/* CREATE_VM types */
	EXPECT_ERR(sys, VMM_CREATE_VM, 1, EINVAL, "CREATE_VM type 1");
	EXPECT_ERR(sys, VMM_CREATE_VM, 0xffffffffUL, EINVAL, "CREATE_VM type 0xffffffff");

	/* vCPU ids and count */
	EXPECT_ERR(vm, VMM_CREATE_VCPU, VMM_DEFAULT_MAX_VCPU_ID + 1, EINVAL, "CREATE_VCPU id %d", VMM_DEFAULT_MAX_VCPU_ID + 1);
	EXPECT_ERR(vm, VMM_CREATE_VCPU, 1UL << 32, EINVAL, "CREATE_VCPU id 1<<32");
	EXPECT_ERR(vm, VMM_CREATE_VCPU, 0, EEXIST, "CREATE_VCPU id 0 again");
	r = ioctl(vm, VMM_CREATE_VCPU, VMM_DEFAULT_MAX_VCPU_ID);
	tap_ok(r >= 0, "CREATE_VCPU id %d (the largest): %s", VMM_DEFAULT_MAX_VCPU_ID,
	       r < 0 ? strerror(errno) : "ok");
	EXPECT_ERR(vm, VMM_CREATE_VCPU, VMM_DEFAULT_MAX_VCPU_ID, EEXIST, "CREATE_VCPU id %d again", VMM_DEFAULT_MAX_VCPU_ID);
	n = ioctl(vm, VMM_CHECK_EXTENSION, VMM_CAP_MAX_VCPUS);
	for (i = 2, r = 0; i < n && r >= 0; i++)
		r = ioctl(vm, VMM_CREATE_VCPU, i);
	tap_ok(r >= 0 && n == VMM_DEFAULT_MAX_VCPUS, "vCPUs up to MAX_VCPUS (%d) created", n);
	EXPECT_ERR(vm, VMM_CREATE_VCPU, 500, EINVAL, "one vCPU more than MAX_VCPUS");

	/* sizes, pointers, arguments */
	{
		struct vmm_cpuid2 c = { .nent = 81 };
		struct vmm_msrs m = { .nmsrs = 257 };

		EXPECT_ERR(vcpu, VMM_SET_CPUID2, (unsigned long)&c, E2BIG, "SET_CPUID2 with 81 entries");
		EXPECT_ERR(vcpu, VMM_SET_MSRS, (unsigned long)&m, E2BIG, "SET_MSRS with 257 entries");
	}
	EXPECT_ERR(vcpu, VMM_GET_REGS, 0, EFAULT, "GET_REGS to NULL");
	EXPECT_ERR(vcpu, VMM_SET_SREGS, 8, EFAULT, "SET_SREGS from address 8");
	EXPECT_ERR(vcpu, VMM_RUN, 1, EINVAL, "RUN with argument 1");
	EXPECT_ERR(sys, VMM_GET_VCPU_MMAP_SIZE, 1, EINVAL, "GET_VCPU_MMAP_SIZE with an argument");

	test_slot_size(vm);

	/* another process */
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct vmm_userspace_memory_region m = { .slot = 1 };
		int bits = 0, v2;

		bits |= !fails(vm, VMM_CREATE_VCPU, 7, EIO) << 0;
		bits |= !fails(vm, VMM_SET_USER_MEMORY_REGION, (unsigned long)&m, EIO) << 1;
		bits |= !fails(vm, VMM_CHECK_EXTENSION, VMM_CAP_USER_MEMORY, EIO) << 2;
		bits |= !fails(vcpu, VMM_GET_REGS, (unsigned long)&regs, EIO) << 3;
		bits |= !fails(vcpu, VMM_RUN, 0, EIO) << 4;
		v2 = ioctl(sys, VMM_CREATE_VM, 0);
		bits |= (v2 < 0 || ioctl(v2, VMM_CREATE_VCPU, 0) < 0) << 5;
		_exit(bits);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	r = WIFEXITED(status) ? WEXITSTATUS(status) : 0xff;
	tap_ok(!(r & 0x1f), "fork child: VM and vCPU ioctls (CREATE_VCPU, SET_USER_MEMORY_REGION, CHECK_EXTENSION, GET_REGS, RUN) are EIO (failed mask %#x)",
	       r & 0x1f);
	tap_ok(!(r & 0x20), "fork child: creates and uses a VM of its own on the inherited /dev/vmm");
	tap_ok(ioctl(vcpu, VMM_GET_REGS, &regs) == 0, "the parent still uses its vCPU");

	close(vcpu);
	close(vm);
	vmm_close(dev);
	return tap_finish();
}
