// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes of devices, VMs and vCPUs.
 *  - The /dev/vmm fd, the VM fd, the vCPU fd and the run mapping closed
 *    in all 24 orders: while the vCPU fd is open its guest still runs;
 *    /sys/class/misc/vmm/vms counts the VM until the last of them goes.
 *  - A child process killed with SIGKILL in the middle of VMM_RUN (one
 *    vCPU, then two vCPU threads), and one that exits without closing
 *    anything: the VM count comes back.
 *  - 16 VMs created, run (the guest touches 2 MiB) and destroyed:
 *    MemFree comes back (within a tolerance), no VM is left.
 *    $VMM_LIFECYCLE_VMS sets the number, at least 5 so that the guest
 *    memory of every VM lost still exceeds the tolerance (the debug-kernel
 *    job, where kmemleak and KASAN track every allocation, uses 6).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define VMS_PATH "/sys/class/misc/vmm/vms"

/* STI: see signal_test.c */
GUEST_CODE(spin, 64, "sti\n 1: incq 0x101000\n jmp 1b\n");
GUEST_CODE(touch, 64,
	"mov $0x200000, %rdi\n"
	"mov $512, %ecx\n"
	"1: movb $1, (%rdi)\n"
	"add $4096, %rdi\n"
	"loop 1b\n"
	GUEST_UCALL_DONE);

static int read_int(const char *path, const char *key)
{
	char line[256];
	int v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = atoi(line);
			break;
		}
		if (!strncmp(line, key, strlen(key))) {
			v = atoi(line + strlen(key));
			break;
		}
	}
	fclose(f);
	return v;
}

static int vms(void)
{
	return read_int(VMS_PATH, NULL);
}

/* Wait up to 3 s for the VM count to reach want. */
static int vms_wait(int want)
{
	int v = vms();

	for (int i = 0; i < 60 && v != want; i++) {
		usleep(50000);
		v = vms();
	}
	return v;
}

/* ---- close orders ---- */

enum { O_DEV, O_VM, O_VCPU, O_MAP, NOBJ };
static const char *const obj_names[NOBJ] = { "dev", "vm", "vcpu", "map" };

struct objs {
	int fd[3];
	struct vmm_run *run;
	size_t run_size;
	void *mem;
};

static void make_objs(struct objs *o)
{
	/* hlt at 0x1000, real mode */
	static const unsigned char code[] = { 0xf4 };
	struct vmm_userspace_memory_region m = { .slot = 0, .memory_size = 0x10000 };
	struct vmm_sregs s;

	o->fd[O_DEV] = open("/dev/vmm", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(o->fd[O_DEV] >= 0, "open");
	o->fd[O_VM] = ioctl(o->fd[O_DEV], VMM_CREATE_VM, 0);
	TEST_ASSERT(o->fd[O_VM] >= 0, "CREATE_VM");
	o->mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(o->mem != MAP_FAILED, "mmap");
	memcpy((char *)o->mem + 0x1000, code, sizeof(code));
	m.userspace_addr = (uintptr_t)o->mem;
	TEST_ASSERT(ioctl(o->fd[O_VM], VMM_SET_USER_MEMORY_REGION, &m) == 0, "memory");
	o->fd[O_VCPU] = ioctl(o->fd[O_VM], VMM_CREATE_VCPU, 0);
	TEST_ASSERT(o->fd[O_VCPU] >= 0, "CREATE_VCPU");
	o->run_size = ioctl(o->fd[O_DEV], VMM_GET_VCPU_MMAP_SIZE, 0);
	o->run = mmap(NULL, o->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      o->fd[O_VCPU], 0);
	TEST_ASSERT(o->run != MAP_FAILED, "mmap run");
	TEST_ASSERT(ioctl(o->fd[O_VCPU], VMM_GET_SREGS, &s) == 0, "GET_SREGS");
	s.cs.base = 0;
	s.cs.selector = 0;
	TEST_ASSERT(ioctl(o->fd[O_VCPU], VMM_SET_SREGS, &s) == 0, "SET_SREGS");
}

/* Run the HLT guest from the start; true on a HLT exit. */
static bool run_hlt(struct objs *o)
{
	struct vmm_regs r = { .rip = 0x1000, .rflags = 2 };
	struct vmm_run *run = o->run;
	bool ok;

	if (ioctl(o->fd[O_VCPU], VMM_SET_REGS, &r))
		return false;
	if (ioctl(o->fd[O_VCPU], VMM_RUN, 0))
		return false;
	if (!run) {
		/* unmapped already: look through a fresh mapping */
		run = mmap(NULL, o->run_size, PROT_READ, MAP_SHARED, o->fd[O_VCPU], 0);
		if (run == MAP_FAILED)
			return false;
	}
	ok = run->exit_reason == VMM_EXIT_HLT;
	if (run != o->run)
		munmap(run, o->run_size);
	return ok;
}

static void close_obj(struct objs *o, int which)
{
	if (which == O_MAP) {
		munmap(o->run, o->run_size);
		o->run = NULL;
	} else {
		close(o->fd[which]);
		o->fd[which] = -1;
	}
}

static void test_close_orders(int base)
{
	int perm[NOBJ] = { 0, 1, 2, 3 };

	for (int n = 0; n < 24; n++) {
		struct objs o;
		char order[64] = "";
		bool ok = true;
		int k = n, left[NOBJ] = { 0, 1, 2, 3 }, nleft = NOBJ;

		/* the n-th permutation */
		for (int i = 0; i < NOBJ; i++) {
			int f = 1;

			for (int j = 2; j < nleft; j++)
				f *= j;
			perm[i] = left[k / f];
			for (int j = k / f; j < nleft - 1; j++)
				left[j] = left[j + 1];
			nleft--;
			k %= f;
		}

		make_objs(&o);
		ok = run_hlt(&o) && vms() == base + 1;
		for (int i = 0; i < NOBJ && ok; i++) {
			close_obj(&o, perm[i]);
			strcat(order, obj_names[perm[i]]);
			strcat(order, i < NOBJ - 1 ? "," : "");
			if (o.fd[O_VCPU] >= 0 && !run_hlt(&o)) {
				tap_diag("guest does not run after closing %s", order);
				ok = false;
			}
			/* the VM lives while its fd or the vCPU's is open */
			if ((o.fd[O_VM] >= 0 || o.fd[O_VCPU] >= 0) && vms() != base + 1) {
				tap_diag("VM count %d after closing %s", vms(), order);
				ok = false;
			}
		}
		for (int i = 0; i < 3; i++)
			if (o.fd[i] >= 0)
				close(o.fd[i]);
		if (o.run)
			munmap(o.run, o.run_size);
		munmap(o.mem, 0x10000);
		tap_ok(ok && vms_wait(base) == base,
		       "close order %s: guest runs while the vCPU fd is open, VM count back to %d",
		       order, base);
	}
}

/* ---- killed children ---- */

struct spinner {
	struct vmm_vcpu *vcpu;
	int pipe;
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	if (write(s->pipe, "r", 1) != 1)
		_exit(3);
	vmm_vcpu_run(s->vcpu);
	_exit(2);	/* VMM_RUN never returns on its own */
}

static void child_spin(int pipe_w, int nvcpus)
{
	struct spinner s[2];
	struct vmm_vm *vm;
	pthread_t t;

	vm = vm_create_with_one_vcpu(&s[0].vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(spin), GUEST_CODE_LEN(spin));
	s[0].pipe = pipe_w;
	if (nvcpus > 1) {
		struct vmm_cpuid2 *c;

		TEST_ASSERT_OK(vmm_vcpu_create(vm, 1, &s[1].vcpu));
		TEST_ASSERT_OK(vmm_vcpu_get_cpuid(s[0].vcpu, &c));
		TEST_ASSERT_OK(vmm_vcpu_set_cpuid(s[1].vcpu, c));
		TEST_ASSERT_OK(vmm_vcpu_setup_mode(s[1].vcpu, VMM_MODE_LONG64, 0,
						   TEST_SCRATCH_GPA, TEST_CODE_GPA,
						   TEST_STACK_TOP - 0x10000));
		s[1].pipe = pipe_w;
		pthread_create(&t, NULL, spin_thread, &s[1]);
	}
	spin_thread(&s[0]);
}

static void test_kill(int base, int nvcpus)
{
	int p[2], status, during, after;
	char c;
	pid_t pid;

	TEST_ASSERT(pipe(p) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		close(p[0]);
		child_spin(p[1], nvcpus);
		_exit(1);
	}
	close(p[1]);
	for (int i = 0; i < nvcpus; i++)
		TEST_ASSERT(read(p[0], &c, 1) == 1, "child did not start");
	close(p[0]);
	usleep(300000);
	during = vms();
	kill(pid, SIGKILL);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	after = vms_wait(base);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && during == base + 1 &&
	       after == base,
	       "child killed inside VMM_RUN (%d vCPU thread%s): VM count %d while it ran, %d after",
	       nvcpus, nvcpus > 1 ? "s" : "", during, after);
}

static void test_exit_open(int base)
{
	struct vmm_vcpu *vcpu;
	int status, after;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
					GUEST_CODE_PTR(touch), GUEST_CODE_LEN(touch));
		vmm_vcpu_run(vcpu);
		_exit(get_ucall(vcpu, NULL) == UCALL_DONE ? 0 : 1);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	after = vms_wait(base);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && after == base,
	       "child exits with its VM open: VM count %d after (want %d)", after, base);
}

/* ---- memory ---- */

static void one_vm(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(touch), GUEST_CODE_LEN(touch));
	vcpu_run(vcpu);
	TEST_ASSERT(get_ucall(vcpu, NULL) == UCALL_DONE, "touch guest");
	test_vm_free(vm);
}

static void test_memory(int base)
{
	const char *env = getenv("VMM_LIFECYCLE_VMS");
	int n = env ? atoi(env) : 16;
	int before, after;

	if (n < 5)
		n = 5;

	one_vm();	/* warm up caches and slabs */
	sync();
	before = read_int("/proc/meminfo", "MemFree:");
	for (int i = 0; i < n; i++)
		one_vm();
	after = read_int("/proc/meminfo", "MemFree:");
	tap_ok(before - after < 8192,
	       "%d VMs (2 MiB touched each) created and destroyed: MemFree %d -> %d kB",
	       n, before, after);
	tap_ok(vms_wait(base) == base, "VM count back to %d", base);
}

int main(void)
{
	int base;

	vmm_close(test_open_dev());	/* skips without /dev/vmm */
	base = vms();
	if (base < 0)
		tap_skip_all("no %s", VMS_PATH);
	tap_plan(24 + 3 + 2);
	tap_diag("VM count at the start: %d", base);
	test_close_orders(base);
	test_kill(base, 1);
	test_kill(base, 2);
	test_exit_open(base);
	test_memory(base);
	return tap_finish();
}
