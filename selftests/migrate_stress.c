// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_stress: vCPU threads that move between CPUs while VMs come and
 * go, for hotplug.sh to take CPUs offline and online underneath.
 *
 * Each thread creates a VM with one vCPU, runs its guest (a loop of
 * ucalls: an exit to userspace each time), pins itself to another CPU
 * every few runs (so its VMCS is cleared on the CPU it leaves, by IPI,
 * while that CPU may be going offline), and replaces its VM with a new
 * one every few dozen runs.  A CPU that went offline is skipped.
 *
 *   migrate_stress [-t THREADS] [-s SECONDS]
 *
 * Prints the runs, migrations and VMs of all threads; exit 0 when every
 * RUN ended in the guest's ucall, 1 otherwise.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

GUEST_CODE(loop, 64, "1:\n" GUEST_UCALL_REPORT "jmp 1b\n");

static int ncpu;
static time_t stop_at;

struct worker {
	pthread_t tid;
	unsigned int seed;
	unsigned long runs, moves, vms, bad;
};

static void move(struct worker *w)
{
	cpu_set_t set;
	int tries;

	for (tries = 0; tries < ncpu; tries++) {
		CPU_ZERO(&set);
		CPU_SET(rand_r(&w->seed) % ncpu, &set);
		if (!sched_setaffinity(0, sizeof(set), &set)) {
			w->moves++;
			return;
		}
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;

	while (time(NULL) < stop_at) {
		struct vmm_vcpu *vcpu;
		struct vmm_vm *vm;
		int i;

		vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
					     GUEST_CODE_PTR(loop),
					     GUEST_CODE_LEN(loop));
		w->vms++;
		for (i = 0; i < 40 && time(NULL) < stop_at; i++) {
			struct ucall uc;
			int r = vmm_vcpu_run(vcpu);

			if (r || get_ucall(vcpu, &uc) != UCALL_REPORT) {
				w->bad++;
				tap_diag("RUN: %d, exit reason %u", r,
					 vmm_vcpu_run_data(vcpu)->exit_reason);
			}
			w->runs++;
			if (i % 4 == 0)
				move(w);
		}
		test_vm_free(vm);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long runs = 0, moves = 0, vms = 0, bad = 0;
	int nthreads = 3, secs = 20, opt, i;
	struct worker *w;

	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 's')
			secs = atoi(optarg);
		else
			return 2;
	}
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	stop_at = time(NULL) + secs;
	w = calloc(nthreads, sizeof(*w));
	TEST_ASSERT(w, "calloc");
	for (i = 0; i < nthreads; i++) {
		w[i].seed = 1 + i;
		TEST_ASSERT(!pthread_create(&w[i].tid, NULL, work, &w[i]),
			    "pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		runs += w[i].runs;
		moves += w[i].moves;
		vms += w[i].vms;
		bad += w[i].bad;
	}
	printf("migrate_stress: %d threads, %lu runs, %lu migrations, %lu VMs, %lu bad runs\n",
	       nthreads, runs, moves, vms, bad);
	return bad || !runs ? 1 : 0;
}
