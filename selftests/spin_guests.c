// SPDX-License-Identifier: GPL-2.0
/*
 * spin_guests: leave a guest spinning on every online CPU, for the
 * emulated host's last act: powering off with guests running.
 *
 * The reboot notifier turns VMX off on every CPU with an IPI while these
 * vCPUs sit in their run loops; each RUN must then end with an error (EIO)
 * and the host must power off without an oops (the harness reads the
 * console until the emulator stops).  One child per CPU, pinned there,
 * runs a long-mode guest "sti; jmp ." with VMM_RUN until RUN fails; this
 * program returns once every child has entered its guest.
 *
 *   spin_guests          exit 0 when all children spin, 1 otherwise
 */
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>

#include "test_util.h"

/* IF set: Bochs takes host interrupts in the guest only with IF set. */
GUEST_CODE(spin, 64, "sti\n" "1: jmp 1b\n");

static void child(int cpu, int ready)
{
	struct vmm_vcpu *vcpu;
	cpu_set_t set;
	struct vmm_vm *vm;
	int null, r;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(1);
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(spin), GUEST_CODE_LEN(spin));
	/* Let the harness see the end of the job's output. */
	null = open("/dev/null", O_RDWR);
	dup2(null, 1);
	dup2(null, 2);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	do {
		r = vmm_vcpu_run(vcpu);
	} while (!r || r == -EINTR);
	test_vm_free(vm);
	_exit(r == -EIO ? 0 : 1);
}

int main(void)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu, p[2], n = 0;
	char c;

	if (pipe(p))
		return 1;
	fflush(stdout);
	for (cpu = 0; cpu < ncpu; cpu++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(p[0]);
			child(cpu, p[1]);
		}
	}
	close(p[1]);
	while (n < ncpu && read(p[0], &c, 1) == 1)
		n++;
	/* The children are in VMM_RUN by now, or about to be. */
	usleep(200000);
	printf("spin_guests: %d of %d CPUs run a spinning guest\n", n, ncpu);
	return n == ncpu ? 0 : 1;
}
