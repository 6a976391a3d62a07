// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and VMM_RUN.  The guest counts in memory forever (and makes a
 * ucall when the host raises a flag in guest memory), so only a signal
 * or the flag ends a VMM_RUN:
 *  - SIGALRM from a timer: VMM_RUN fails with EINTR, exit reason
 *    VMM_EXIT_INTR, the handler ran, the guest had progressed, and the
 *    next VMM_RUN continues where it stopped;
 *  - pthread_kill(SIGUSR1) from another thread: the same;
 *  - run->immediate_exit: EINTR at once, the guest does not run;
 *  - VMM_SET_SIGNAL_MASK: a signal blocked in the thread but not in the
 *    vCPU's mask interrupts VMM_RUN and stays pending afterwards; one
 *    blocked in the vCPU's mask does not interrupt it and is delivered
 *    once VMM_RUN returns; a NULL mask removes it; a bad length is EINVAL.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define COUNTER_GPA	0x101000
#define FLAG_GPA	0x101008

/*
 * STI: the emulated host (Bochs 2.7) takes the VM exit for a host
 * interrupt only while the guest has RFLAGS.IF set, although VT-x exits
 * on external interrupts whatever the guest's IF.  A guest spinning with
 * IF clear holds its host CPU until it exits for another reason; KVM in
 * the same emulator behaves the same way, so the emulator is at fault.
 */
GUEST_CODE(counter, 64,
	"sti\n"
	"mov $" TU_XSTR(COUNTER_GPA) ", %rdi\n"
	"1: incq (%rdi)\n"
	"cmpl $0, " TU_XSTR(FLAG_GPA) "\n"
	"je 1b\n"
	"movl $0, " TU_XSTR(FLAG_GPA) "\n"
	"mov (%rdi), %rbx\n"
	GUEST_UCALL_REPORT
	"jmp 1b\n");

static volatile sig_atomic_t nalrm, nusr1;
static pthread_t main_thread;
static volatile uint64_t *counter;
static volatile uint32_t *flag;

static void on_alrm(int sig) { (void)sig; nalrm++; }
static void on_usr1(int sig) { (void)sig; nusr1++; }

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Helper thread: after delay_ms send SIGUSR1, after flag_ms more set the flag. */
struct kicker {
	unsigned int delay_ms, flag_ms;
	bool send;
	volatile bool sent;
};

static void *kick(void *arg)
{
	struct kicker *k = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	msleep(k->delay_ms);
	if (k->send)
		pthread_kill(main_thread, SIGUSR1);
	k->sent = true;
	if (k->flag_ms) {
		msleep(k->flag_ms);
		*flag = 1;
	}
	return NULL;
}

static int run_with_kicker(struct vmm_vcpu *vcpu, struct kicker *k)
{
	pthread_t t;
	int r;

	TEST_ASSERT(pthread_create(&t, NULL, kick, k) == 0, "pthread_create");
	r = vmm_vcpu_run(vcpu);
	pthread_join(t, NULL);
	return r;
}

int main(void)
{
	struct sigaction sa = { 0 };
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_run *run;
	struct kicker k;
	sigset_t usr1, pend, none;
	uint64_t c0, c1;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(counter),
				     GUEST_CODE_LEN(counter));
	tap_plan(14);
	run = vmm_vcpu_run_data(vcpu);
	counter = test_gpa(vm, COUNTER_GPA, 8);
	flag = test_gpa(vm, FLAG_GPA, 4);
	main_thread = pthread_self();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);

	sa.sa_handler = on_alrm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	/* SIGALRM */
	setitimer(ITIMER_REAL, &it, NULL);
	r = vmm_vcpu_run(vcpu);
	c0 = *counter;
	tap_ok(r == -EINTR && run->exit_reason == VMM_EXIT_INTR && nalrm == 1,
	       "SIGALRM interrupts VMM_RUN: %s, exit %s, handler ran %d time(s)",
	       strerror(-r), vmm_exit_reason_name(run->exit_reason), nalrm);
	tap_ok(c0 > 0, "the guest ran meanwhile (count %llu)", (unsigned long long)c0);
	setitimer(ITIMER_REAL, &it, NULL);
	r = vmm_vcpu_run(vcpu);
	c1 = *counter;
	tap_ok(r == -EINTR && nalrm == 2 && c1 > c0,
	       "VMM_RUN again continues the guest (count %llu -> %llu)",
	       (unsigned long long)c0, (unsigned long long)c1);

	/* pthread_kill */
	k = (struct kicker){ .delay_ms = 50, .send = true };
	r = run_with_kicker(vcpu, &k);
	tap_ok(r == -EINTR && run->exit_reason == VMM_EXIT_INTR && nusr1 == 1,
	       "pthread_kill(SIGUSR1) from another thread interrupts VMM_RUN: %s, handler ran %d time(s)",
	       strerror(-r), nusr1);

	/* immediate_exit */
	c0 = *counter;
	run->immediate_exit = 1;
	r = vmm_vcpu_run(vcpu);
	c1 = *counter;
	tap_ok(r == -EINTR && run->exit_reason == VMM_EXIT_INTR && c1 == c0,
	       "immediate_exit: %s at once, guest did not run (count %llu -> %llu)",
	       strerror(-r), (unsigned long long)c0, (unsigned long long)c1);
	run->immediate_exit = 0;
	*flag = 1;
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_REPORT,
	       "immediate_exit cleared: the guest runs to its ucall");

	/* Blocked in the thread, not in the vCPU mask: interrupts RUN. */
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	r = vmm_vcpu_set_signal_mask(vcpu, &none);
	tap_ok(r == 0, "SET_SIGNAL_MASK (empty): %s", r ? strerror(-r) : "ok");
	k = (struct kicker){ .delay_ms = 50, .send = true };
	r = run_with_kicker(vcpu, &k);
	sigpending(&pend);
	tap_ok(r == -EINTR && nusr1 == 1 && sigismember(&pend, SIGUSR1),
	       "SIGUSR1 unblocked only by the vCPU mask interrupts VMM_RUN (%s), stays pending (%d), handler not run",
	       strerror(-r), sigismember(&pend, SIGUSR1));
	{
		int sig;

		sigwait(&usr1, &sig);
	}
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);

	/* Blocked in the vCPU mask: the run ends by the flag, then delivery. */
	r = vmm_vcpu_set_signal_mask(vcpu, &usr1);
	tap_ok(r == 0, "SET_SIGNAL_MASK (SIGUSR1): %s", r ? strerror(-r) : "ok");
	k = (struct kicker){ .delay_ms = 50, .flag_ms = 150, .send = true };
	r = run_with_kicker(vcpu, &k);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_REPORT && k.sent,
	       "SIGUSR1 blocked by the vCPU mask does not interrupt VMM_RUN (%s, exit %s)",
	       r ? strerror(-r) : "ok", vmm_exit_reason_name(run->exit_reason));
	tap_ok(nusr1 == 2, "it is delivered once VMM_RUN returns (handler ran %d time(s))",
	       nusr1);

	/* NULL removes the mask. */
	r = vmm_vcpu_set_signal_mask(vcpu, NULL);
	k = (struct kicker){ .delay_ms = 50, .send = true };
	if (!r)
		r = run_with_kicker(vcpu, &k);
	tap_ok(r == -EINTR && nusr1 == 3,
	       "with the mask removed SIGUSR1 interrupts VMM_RUN again (%s)",
	       strerror(-r));
	{
		struct {
			struct vmm_signal_mask m;
			uint8_t set[16];
		} bad = { .m.len = 4 };

		r = ioctl(vmm_vcpu_fd(vcpu), VMM_SET_SIGNAL_MASK, &bad);
		tap_ok(r == -1 && errno == EINVAL, "SET_SIGNAL_MASK with len 4: %s",
		       r ? strerror(errno) : "accepted");
	}
	*flag = 1;
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_REPORT,
	       "guest still runs to its ucall at the end");
	test_vm_free(vm);
	return tap_finish();
}
