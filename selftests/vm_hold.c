// SPDX-License-Identifier: GPL-2.0
/*
 * vm_hold: create a VM on a KVM-API device, optionally run a tiny guest in
 * it, and optionally keep it alive until told to stop.  The shell tests
 * use it to put VMX into use (on vmm or on KVM) and to check that the
 * device works: it speaks only the KVM ABI, so /dev/kvm and /dev/vmm both
 * serve.
 *
 *   vm_hold [-d DEV] [-r] [-c N] [-m SIZE] [-w FILE]
 *     -d DEV   device (default /dev/vmm)
 *     -r       run a real-mode guest: OUT 0x42 to port 0x10, then HLT
 *              (on vCPU 0, in a memory slot of 64 KiB or -m SIZE)
 *     -c N     create N vCPUs, ids 0 to N-1 (default: 1 with -r, else 0)
 *     -m SIZE  give the VM memory slot 0 of SIZE bytes (suffix K, M or G;
 *              a multiple of 4 KiB, at least 64 KiB with -r)
 *     -w FILE  after setup, create FILE and wait for SIGTERM or SIGINT
 *
 * Exit status: 0 success, 2 VM creation failed with EBUSY (VMX owned by
 * someone else), 1 any other failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vmm.h>

static volatile sig_atomic_t stop;
static int sys_fd;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(const char *what)
{
	fprintf(stderr, "vm_hold: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Memory slot 0 of size bytes at guest-physical 0; its host address. */
static void *add_memory(int vm, unsigned long long size)
{
	struct vmm_userspace_memory_region mem = { 0 };
	void *ram;

	ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		fail("mmap");
		return NULL;
	}
	mem.memory_size = size;
	mem.userspace_addr = (unsigned long)ram;
	if (ioctl(vm, VMM_SET_USER_MEMORY_REGION, &mem) < 0) {
		fail("SET_USER_MEMORY_REGION");
		return NULL;
	}
	return ram;
}

static int run_guest(int vm, void *ram)
{
	/* mov $0x42,%al; out %al,$0x10; hlt */
	static const unsigned char code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };
	struct vmm_sregs sregs;
	struct vmm_regs regs;
	struct vmm_run *run;
	int vcpu, size;

	memcpy((char *)ram + 0x1000, code, sizeof(code));
	vcpu = ioctl(vm, VMM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("CREATE_VCPU");
	if (ioctl(vcpu, VMM_GET_SREGS, &sregs) < 0)
		return fail("GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, VMM_SET_SREGS, &sregs) < 0)
		return fail("SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, VMM_SET_REGS, &regs) < 0)
		return fail("SET_REGS");
	size = ioctl(sys_fd, VMM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 4096)
		return fail("GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap run");
	if (ioctl(vcpu, VMM_RUN, 0) < 0)
		return fail("RUN");
	if (run->exit_reason != VMM_EXIT_IO || run->io.port != 0x10 ||
	    run->io.direction != VMM_EXIT_IO_OUT ||
	    ((unsigned char *)run)[run->io.data_offset] != 0x42) {
		fprintf(stderr, "vm_hold: expected OUT 0x42 to 0x10, exit %u dir %u port %#x size %u count %u\n",
			run->exit_reason, run->io.direction, run->io.port,
			run->io.size, run->io.count);
		return 1;
	}
	if (ioctl(vcpu, VMM_RUN, 0) < 0)
		return fail("RUN");
	if (run->exit_reason != VMM_EXIT_HLT) {
		fprintf(stderr, "vm_hold: expected HLT, exit %u\n",
			run->exit_reason);
		return 1;
	}
	return 0;
}

/* SIZE with an optional K, M or G suffix; 0 if malformed. */
static unsigned long long parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	return *end ? 0 : v;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/vmm", *ready = NULL;
	unsigned long long mem = 0;
	int vm, opt, guest = 0, nvcpus = -1;
	void *ram = NULL;
	char *end;

	while ((opt = getopt(argc, argv, "d:rc:m:w:")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'r':
			guest = 1;
			break;
		case 'c':
			nvcpus = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || nvcpus < 0 || nvcpus > 1024) {
				fprintf(stderr, "vm_hold: bad vCPU count '%s'\n", optarg);
				return 1;
			}
			break;
		case 'm':
			mem = parse_size(optarg);
			if (!mem || mem & 0xfff) {
				fprintf(stderr, "vm_hold: bad memory size '%s'\n", optarg);
				return 1;
			}
			break;
		case 'w':
			ready = optarg;
			break;
		default:
			fprintf(stderr, "usage: vm_hold [-d DEV] [-r] [-c N] [-m SIZE] [-w FILE]\n");
			return 1;
		}
	}
	if (guest && !mem)
		mem = 0x10000;
	if (guest && mem < 0x10000) {
		fprintf(stderr, "vm_hold: -r needs at least 64 KiB of memory\n");
		return 1;
	}
	if (nvcpus < 0)
		nvcpus = guest;
	if (guest && nvcpus < 1) {
		fprintf(stderr, "vm_hold: -r needs a vCPU\n");
		return 1;
	}
	sys_fd = open(dev, O_RDWR);
	if (sys_fd < 0)
		return fail(dev);
	vm = ioctl(sys_fd, VMM_CREATE_VM, 0);
	if (vm < 0) {
		int busy = errno == EBUSY;

		fail("CREATE_VM");
		return busy ? 2 : 1;
	}
	if (mem && !(ram = add_memory(vm, mem)))
		return 1;
	if (guest && run_guest(vm, ram))
		return 1;
	/* vCPU 0 is the guest's with -r */
	for (int i = guest; i < nvcpus; i++)
		if (ioctl(vm, VMM_CREATE_VCPU, i) < 0)
			return fail("CREATE_VCPU");
	if (ready) {
		int f;

		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		f = open(ready, O_CREAT | O_WRONLY, 0644);
		if (f < 0)
			return fail(ready);
		close(f);
		while (!stop)
			pause();
	}
	return 0;
}
