// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs on several host CPUs.
 *  - Two vCPUs of one VM, each run by its own thread pinned to its own
 *    CPU: they meet in guest memory (each waits for the other), pass a
 *    token back and forth, and add to a shared counter with LOCK INC;
 *    the total is exact and each thread stayed on its CPU.
 *  - One vCPU whose thread moves between the CPUs before every VMM_RUN,
 *    with the guest's register state (a count in R15) carried across;
 *    then moved by another thread while inside VMM_RUN.
 * Skipped with fewer than two online CPUs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define SH_GPA		0x105000
#define FLAG0		"0x105000"
#define FLAG1		"0x105008"
#define TOKEN		"0x105010"
#define SHARED		"0x105018"
#define STOP		"0x105020"
#define ROUNDS		500
#define INCS		20000
#define SPIN_LIMIT	"200000000"

/*
 * RDI = vCPU number (0 or 1).  The spinning guests run with RFLAGS.IF
 * set: in the emulated host a guest spinning with IF clear never exits
 * for host interrupts (see signal_test.c).
 */
GUEST_CODE(pair, 64,
	"sti\n"
	/* meet: set my flag, wait for the other's */
	"movq $1, " FLAG0 "(,%rdi,8)\n"
	"mov %rdi, %rax\n xor $1, %rax\n"
	"xor %ebx, %ebx\n"
	"mov $" SPIN_LIMIT ", %rcx\n"
	"1: cmpq $0, " FLAG0 "(,%rax,8)\n"
	"jne 2f\n"
	"pause\n"
	"loop 1b\n"
	"jmp 3f\n"
	"2: mov $1, %ebx\n"
	"3:\n"
	GUEST_UCALL_REPORT
	/* ping-pong: vCPU i waits for TOKEN == i, then hands it over */
	"mov $" TU_XSTR(ROUNDS) ", %r8\n"
	"4: mov $" SPIN_LIMIT ", %rcx\n"
	"5: cmp " TOKEN ", %rdi\n"
	"je 6f\n"
	"pause\n"
	"loop 5b\n"
	"mov %r8, %rbx\n"	/* rounds left: nonzero = timeout */
	"jmp 7f\n"
	"6: mov %rdi, %rax\n xor $1, %rax\n mov %rax, " TOKEN "\n"
	"dec %r8\n"
	"jnz 4b\n"
	"xor %ebx, %ebx\n"
	"7:\n"
	GUEST_UCALL_REPORT
	/* shared counter */
	"mov $" TU_XSTR(INCS) ", %ecx\n"
	"8: lock incq " SHARED "\n"
	"loop 8b\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

/* R15 counts VMM_RUNs; the spin phase runs until STOP is set. */
GUEST_CODE(migrate, 64,
	"sti\n"
	"xor %r15, %r15\n"
	"1: inc %r15\n"
	"mov %r15, %rbx\n"
	GUEST_UCALL_REPORT
	"cmpq $0, " STOP "\n"
	"je 1b\n"
	"xor %ecx, %ecx\n"
	"2: inc %rcx\n"
	"cmpq $1, " STOP "\n"
	"je 2b\n"
	"mov %r15, %rbx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

static int pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

struct worker {
	struct vmm_vcpu *vcpu;
	int cpu;
	uint64_t met, left, done;
	bool ok, stayed;
	char err[128];
};

static bool step(struct worker *w, uint64_t *val, uint64_t cmd)
{
	struct ucall uc;
	int r = vmm_vcpu_run(w->vcpu);

	if (sched_getcpu() != w->cpu)
		w->stayed = false;
	if (r < 0 || get_ucall(w->vcpu, &uc) != cmd) {
		snprintf(w->err, sizeof(w->err), "run %d exit %s", r,
			 vmm_exit_reason_name(vmm_vcpu_run_data(w->vcpu)->exit_reason));
		return false;
	}
	if (val)
		*val = uc.args[0];
	return true;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	w->stayed = pin(0, w->cpu) == 0;
	w->ok = step(w, &w->met, UCALL_REPORT) &&
		step(w, &w->left, UCALL_REPORT) &&
		step(w, NULL, UCALL_REPORT) &&
		step(w, NULL, UCALL_DONE);
	return NULL;
}

static void test_pair(void)
{
	struct worker w[2] = { 0 };
	struct vmm_vm *vm;
	struct vmm_vcpu *v1;
	struct vmm_regs regs;
	pthread_t t[2];
	uint64_t *shared;
	struct timespec a, b;

	vm = vm_create_with_one_vcpu(&w[0].vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(pair), GUEST_CODE_LEN(pair));
	TEST_ASSERT_OK(vmm_vcpu_create(vm, 1, &v1));
	{
		struct vmm_cpuid2 *cpuid;

		TEST_ASSERT_OK(vmm_vcpu_get_cpuid(w[0].vcpu, &cpuid));
		TEST_ASSERT_OK(vmm_vcpu_set_cpuid(v1, cpuid));
		free(cpuid);
	}
	TEST_ASSERT_OK(vmm_vcpu_setup_mode(v1, VMM_MODE_LONG64, 0, TEST_SCRATCH_GPA,
					   TEST_CODE_GPA, TEST_STACK_TOP - 0x10000));
	TEST_ASSERT_OK(vmm_vcpu_get_regs(v1, &regs));
	regs.rdi = 1;
	TEST_ASSERT_OK(vmm_vcpu_set_regs(v1, &regs));
	TEST_ASSERT_OK(vmm_vcpu_get_regs(w[0].vcpu, &regs));
	regs.rdi = 0;
	TEST_ASSERT_OK(vmm_vcpu_set_regs(w[0].vcpu, &regs));
	w[1].vcpu = v1;
	w[0].cpu = 0;
	w[1].cpu = 1;
	shared = test_gpa(vm, SH_GPA, 0x40);

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 2; i++)
		TEST_ASSERT(pthread_create(&t[i], NULL, work, &w[i]) == 0, "pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);

	for (int i = 0; i < 2; i++)
		if (!w[i].ok)
			tap_diag("vCPU %d: %s", i, w[i].err);
	tap_ok(w[0].ok && w[1].ok, "two vCPUs ran to the end in two threads (%.2f s)",
	       (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	tap_ok(w[0].stayed && w[1].stayed,
	       "each thread stayed pinned: vCPU 0 on CPU 0, vCPU 1 on CPU 1");
	tap_ok(w[0].met == 1 && w[1].met == 1,
	       "the vCPUs met in guest memory (each saw the other's flag: %llu %llu)",
	       (unsigned long long)w[0].met, (unsigned long long)w[1].met);
	tap_ok(w[0].ok && w[1].ok && !w[0].left && !w[1].left,
	       "they passed a token back and forth %d times (left %llu %llu)", ROUNDS,
	       (unsigned long long)w[0].left, (unsigned long long)w[1].left);
	tap_ok(shared[3] == 2 * INCS, "LOCK INC from both: %llu (want %d)",
	       (unsigned long long)shared[3], 2 * INCS);
	test_vm_free(vm);
}

struct mover {
	pid_t tid;
	volatile bool stop;
	volatile uint64_t *flag;
	unsigned int moves;
};

/* Move the vCPU thread 40 times, then let the guest stop spinning. */
static void *move_it(void *arg)
{
	struct mover *m = arg;

	while (!m->stop) {
		pin(m->tid, m->moves & 1);
		if (++m->moves == 40)
			*m->flag = 2;
		usleep(5000);
	}
	return NULL;
}

static void test_migrate(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct ucall uc;
	uint64_t *stop;
	unsigned int i, bad = 0, wrongcpu = 0;
	struct mover m = { 0 };
	pthread_t t;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(migrate), GUEST_CODE_LEN(migrate));
	stop = test_gpa(vm, SH_GPA + 0x20, 8);

	for (i = 0; i < 200; i++) {
		int cpu = i & 1;

		TEST_ASSERT(pin(0, cpu) == 0, "sched_setaffinity");
		r = vmm_vcpu_run(vcpu);
		if (sched_getcpu() != cpu)
			wrongcpu++;
		if (r < 0 || get_ucall(vcpu, &uc) != UCALL_REPORT || uc.args[0] != i + 1) {
			if (!bad)
				vcpu_dump_diag(vcpu);
			bad++;
			break;
		}
	}
	tap_ok(!bad && !wrongcpu,
	       "200 VMM_RUNs alternating between CPU 0 and 1: guest R15 counted each (%u bad, %u on the wrong CPU)",
	       bad, wrongcpu);

	/* Moved by another thread while inside VMM_RUN. */
	{
		cpu_set_t all;
		bool ok;

		CPU_ZERO(&all);
		CPU_SET(0, &all);
		CPU_SET(1, &all);
		sched_setaffinity(0, sizeof(all), &all);
		m.tid = gettid();
		m.flag = stop;
		*stop = 1;		/* the guest spins until it is 2 */
		TEST_ASSERT(pthread_create(&t, NULL, move_it, &m) == 0, "pthread_create");
		r = vmm_vcpu_run(vcpu);
		m.stop = true;
		pthread_join(t, NULL);
		ok = r == 0 && get_ucall(vcpu, &uc) == UCALL_REPORT && uc.args[0] == i;
		if (!ok)
			vcpu_dump_diag(vcpu);
		tap_ok(ok, "guest spinning while its thread was moved %u times between CPUs: state intact (R15 %llu, want %u)",
		       m.moves, (unsigned long long)uc.args[0], i);
	}
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_DONE, "migrated guest finished");
	test_vm_free(vm);
}

int main(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	vmm_close(test_open_dev());	/* skips without /dev/vmm */
	if (ncpus < 2)
		tap_skip_all("needs 2 online CPUs, have %ld", ncpus);
	tap_plan(8);
	test_pair();
	test_migrate();
	return tap_finish();
}
