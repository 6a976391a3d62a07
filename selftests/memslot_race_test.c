// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slot updates racing the host unmapping the slot's memory, with
 * a vCPU that never stops touching it.
 *
 * The guest loops over the pages of slot 1 (at GPA_A), reading the first
 * word of each.  Before every pass it reads GONE, a word in slot 0 that
 * the host sets to n once round n's pages are unmapped.  In round n the
 * host fills the pages with PATTERN | n, adds slot 1 and waits until the
 * guest has read the pattern (the EPT maps the pages).  Then it deletes
 * slot 1 or moves it to GPA_B, while another thread drops the pages
 * (MADV_DONTNEED) or replaces them (mmap MAP_FIXED) and then sets
 * GONE = n.  Once the guest has seen GONE == n it must never read
 * PATTERN | n again: that would come from a page the host has freed,
 * through an EPT leaf or TLB entry that outlived the MMU notifier.  A
 * read outside every slot exits as MMIO and gets all-ones.
 *
 * The module's debug builds (Kbuild VMM_DEBUG=y) have a parameter that
 * pauses a slot delete or move inside its critical windows; the test
 * sets it, and lets the unmapping land just after the old range is
 * zapped (before the TLB flush), later in that window, or after the
 * flush, before the new slot set is published.  Production builds have no such parameter: the race is run
 * all the same, but its window is then a few instructions wide.  The
 * kernel log must stay clean (the harness checks it).
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

/* Plain numbers: the guest's assembly uses them too. */
#define SLOT		1
#define NPAGES		8
#define SLOT_SIZE	0x8000
#define GPA_A		0x10000000
#define GPA_B		0x20000000
#define PATTERN		0x5a5a5a5a00000000
#define ROUNDS		24	/* $VMM_MEMSLOT_ROUNDS, at least 12: each */
				/* delete/move x drop/replace x window once */
#define DELAY_MS	20

/* Control words in slot 0 (TEST_DATA_GPA). */
#define CTL_GONE	0	/* host: last round whose pages are unmapped */
#define CTL_STOP	1	/* host: 1 = guest reports done */
#define CTL_LAST	2	/* guest: last value read from slot 1 */
#define CTL_READS	3	/* guest: reads of slot 1 so far */
#define CTL_ADDR(i)	TU_XSTR(TEST_DATA_GPA) "+" TU_XSTR(i) "*8"

#define PARAM "/sys/module/vmm/parameters/debug_slot_delay_ms"

/*
 * RBX = the value read, RCX = GONE at the time, RDX = offset in the slot
 * when the guest reads a gone round's pattern (a ucall REPORT); then it
 * goes on.  The loop runs with RFLAGS.IF set (see smp_test.c).
 */
GUEST_CODE(reader, 64,
	"sti\n"
	"1: mov " CTL_ADDR(CTL_GONE) ", %r8\n"
	"movabs $" TU_XSTR(PATTERN) ", %r9\n"
	"or %r8, %r9\n"
	"xor %edx, %edx\n"
	"2: mov " TU_XSTR(GPA_A) "(%rdx), %rbx\n"
	"mov %rbx, " CTL_ADDR(CTL_LAST) "\n"
	"incq " CTL_ADDR(CTL_READS) "\n"
	"cmp %r9, %rbx\n"
	"jne 3f\n"
	"test %r8, %r8\n"
	"jz 3f\n"
	"mov %r8, %rcx\n"
	GUEST_UCALL_REPORT
	"jmp 1b\n"
	"3: add $0x1000, %edx\n"
	"cmp $" TU_XSTR(SLOT_SIZE) ", %edx\n"
	"jb 2b\n"
	"cmpq $0, " CTL_ADDR(CTL_STOP) "\n"
	"je 1b\n"
	GUEST_UCALL_DONE);

/* When the unmapping starts: percent of the pause (or microseconds). */
static const unsigned int pre_pct[] = { 1, 30, 130 };

static int vm_fd;
static volatile uint64_t *ctl;
static char *mem;

struct vcpu_state {
	struct vmm_vcpu *vcpu;
	volatile bool done;
	unsigned long stale, mmio;
	uint64_t stale_val, stale_gone, stale_off;
	char err[160];
};

/* Run the guest until it is done, answering MMIO reads with all-ones. */
static void *vcpu_thread(void *arg)
{
	struct vcpu_state *v = arg;
	struct vmm_run *run = vmm_vcpu_run_data(v->vcpu);
	struct ucall uc;
	int r;

	for (;;) {
		r = vmm_vcpu_run(v->vcpu);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			snprintf(v->err, sizeof(v->err), "VMM_RUN: %s",
				 strerror(-r));
			break;
		}
		switch (get_ucall(v->vcpu, &uc)) {
		case UCALL_REPORT:
			if (!v->stale++) {
				v->stale_val = uc.args[0];
				v->stale_gone = uc.args[1];
				v->stale_off = uc.args[2];
			}
			continue;
		case UCALL_DONE:
			goto out;
		default:
			break;
		}
		if (run->exit_reason == VMM_EXIT_MMIO) {
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			v->mmio++;
			continue;
		}
		vmm_exit_describe(run, v->err, sizeof(v->err));
		break;
	}
out:
	v->done = true;
	return NULL;
}

/* The unmapper: drops or replaces the pages once told, then sets GONE. */
struct unmapper {
	volatile uint64_t round;	/* set by the main thread: go */
	volatile uint64_t finished;	/* last round done */
	volatile bool quit;
	unsigned int pre_us;		/* wait before unmapping */
	bool replace;			/* mmap MAP_FIXED instead of madvise */
	int err;
};

static void *unmapper_thread(void *arg)
{
	struct unmapper *u = arg;
	uint64_t seen = 0;

	while (!u->quit) {
		uint64_t n = __atomic_load_n(&u->round, __ATOMIC_ACQUIRE);

		if (n == seen) {
			sched_yield();
			continue;
		}
		seen = n;
		if (u->pre_us)
			usleep(u->pre_us);
		if (u->replace) {
			if (mmap(mem, SLOT_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != mem)
				u->err = errno;
		} else if (madvise(mem, SLOT_SIZE, MADV_DONTNEED)) {
			u->err = errno;
		}
		/* The syscall has returned: the pages are the host's again. */
		__atomic_store_n(&ctl[CTL_GONE], n, __ATOMIC_RELEASE);
		__atomic_store_n(&u->finished, n, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int set_region(uint64_t gpa, uint64_t size)
{
	struct vmm_userspace_memory_region m = {
		.slot = SLOT, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = size ? (uintptr_t)mem : 0,
	};

	return ioctl(vm_fd, VMM_SET_USER_MEMORY_REGION, &m) ? -errno : 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Wait until *p >= want or the vCPU stopped; false after 30 s. */
static bool wait_for(volatile uint64_t *p, uint64_t want, bool equal,
		     struct vcpu_state *v)
{
	double end = now() + 30;

	while (equal ? *p != want : *p < want) {
		if (v->done || now() > end)
			return false;
		usleep(100);
	}
	return true;
}

/* Read and write the debug parameter; -1 when the module has none. */
static int param_get(void)
{
	FILE *f = fopen(PARAM, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static bool param_set(int ms)
{
	FILE *f = fopen(PARAM, "w");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%d\n", ms) > 0;
	return fclose(f) == 0 && ok;
}

int main(void)
{
	struct vcpu_state v = { 0 };
	struct unmapper u = { 0 };
	unsigned int rounds = 0, deletes = 0, moves = 0, nrounds = ROUNDS;
	const char *env = getenv("VMM_MEMSLOT_ROUNDS");
	pthread_t vt, ut;
	struct vmm_vm *vm;
	int delay, saved, r = 0;
	bool mapped = true;
	double t0;
	uint64_t n;

	if (env)
		nrounds = (unsigned int)strtoul(env, NULL, 0);
	if (nrounds < 12)
		nrounds = 12;

	vm = vm_create_with_one_vcpu(&v.vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(reader),
				     GUEST_CODE_LEN(reader));
	vm_fd = vmm_vm_fd(vm);
	tap_plan(3);
	ctl = test_gpa(vm, TEST_DATA_GPA, 0x100);
	mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");

	saved = param_get();
	delay = saved >= 0 && param_set(DELAY_MS) ? DELAY_MS : 0;
	if (delay)
		tap_diag("debug build: slot updates pause %d ms in their windows",
			 delay);
	else
		tap_diag("no %s (a production build): the race runs without a widened window",
			 PARAM);

	/* Round 1's pages, then the guest starts reading them. */
	for (int i = 0; i < NPAGES; i++)
		*(uint64_t *)(mem + i * 0x1000) = PATTERN | 1;
	TEST_ASSERT_OK(set_region(GPA_A, SLOT_SIZE));
	TEST_ASSERT(pthread_create(&vt, NULL, vcpu_thread, &v) == 0, "pthread_create");
	TEST_ASSERT(pthread_create(&ut, NULL, unmapper_thread, &u) == 0, "pthread_create");

	t0 = now();
	for (n = 1; n <= nrounds && !r && !u.err; n++) {
		bool move = n & 1;
		uint64_t reads;

		if (n > 1) {
			for (int i = 0; i < NPAGES; i++)
				*(uint64_t *)(mem + i * 0x1000) = PATTERN | n;
			r = set_region(GPA_A, SLOT_SIZE);
			if (r)
				break;
		}
		/* The guest has read this round's pages: EPT maps them. */
		if (!wait_for(&ctl[CTL_LAST], PATTERN | n, true, &v)) {
			mapped = false;
			tap_diag("round %llu: the guest never read the pages",
				 (unsigned long long)n);
			break;
		}
		/*
		 * A paused update has two windows (ept.c): zap to flush and
		 * flush to publish.  Unmap right after the zap (while a vCPU
		 * may still hold the old translation in its TLB), later in
		 * the first window, or in the second; without the pause, at
		 * once or a little later.
		 */
		u.replace = (n >> 1) & 1;
		u.pre_us = delay ? delay * 10 * pre_pct[(n >> 2) % 3] :
				   pre_pct[(n >> 2) % 3];
		__atomic_store_n(&u.round, n, __ATOMIC_RELEASE);
		r = move ? set_region(GPA_B, SLOT_SIZE) : set_region(0, 0);
		if (r)
			break;
		if (move)
			moves++;
		else
			deletes++;
		if (!wait_for(&u.finished, n, true, &v))
			break;
		/* Let the guest read a few times after GONE = n. */
		reads = ctl[CTL_READS];
		if (!wait_for(&ctl[CTL_READS], reads + 4 * NPAGES, false, &v)) {
			mapped = false;
			tap_diag("round %llu: the guest stopped reading",
				 (unsigned long long)n);
			break;
		}
		if (move)
			r = set_region(0, 0);
		rounds++;
	}
	if (r)
		tap_diag("round %llu: SET_USER_MEMORY_REGION: %s",
			 (unsigned long long)n, strerror(-r));
	if (u.err)
		tap_diag("unmapping: %s", strerror(u.err));

	ctl[CTL_STOP] = 1;
	u.quit = true;
	pthread_join(ut, NULL);
	pthread_join(vt, NULL);
	if (saved >= 0)
		param_set(saved);

	tap_ok(rounds == nrounds && !r && !u.err && mapped,
	       "%u of %u rounds (%u deletes, %u moves) raced MADV_DONTNEED / mmap(MAP_FIXED) in %.1f s",
	       rounds, nrounds, deletes, moves, now() - t0);
	if (v.stale)
		tap_diag("first stale read: %#llx at offset %#llx after round %llu was gone",
			 (unsigned long long)v.stale_val,
			 (unsigned long long)v.stale_off,
			 (unsigned long long)v.stale_gone);
	tap_ok(!v.stale,
	       "the guest never read a page after the host unmapped it (%lu stale reads)",
	       v.stale);
	if (v.err[0])
		tap_diag("vCPU: %s", v.err);
	tap_ok(!v.err[0] && v.done,
	       "the vCPU read the slot throughout (%llu reads, %lu MMIO exits) and ended cleanly",
	       (unsigned long long)ctl[CTL_READS], v.mmio);

	test_vm_free(vm);
	munmap(mem, SLOT_SIZE);
	return tap_finish();
}
