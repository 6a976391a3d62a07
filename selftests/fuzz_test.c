// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: a seeded, time-bounded fuzzer of the whole /dev/vmm ioctl
 * surface (host isolation: no local process may crash, read or change
 * the host through the module).
 *
 * A worker process runs several threads that share a pool of system, VM
 * and vCPU fds.  They call every ioctl the module implements, ioctls on
 * the wrong kind of fd and unknown numbers, with random and boundary
 * arguments and bad pointers (NULL, unmapped, PROT_NONE, read-only,
 * kernel and non-canonical addresses, structures straddling a guard
 * page).  Meanwhile they close fds, unmap and remap guest memory and run
 * mappings, mmap vCPU fds at odd offsets and sizes, write garbage into
 * the shared run page, run guests of random instruction bytes in every
 * mode, and fork children that poke the parent's fds (EIO), exhaust
 * their fd table (EMFILE) or die, killed or not, holding VMs of their
 * own.
 *
 * The parent process supervises.  Its test points: a regression test
 * for a WARN found while writing it (huge_slots()); the worker was not
 * killed by a signal it did not ask for and did not hang; every ioctl
 * returned success or an errno documented for it (Documentation/api.rst);
 * bad pointers failed and valid arguments succeeded; fork children saw
 * EIO and EMFILE where they must; SIGBUS exactly on vCPU mmap pages past
 * GET_VCPU_MMAP_SIZE; no VM and no module reference left once every fd
 * is closed; the module still runs known-good guests; the kernel log
 * gained no BUG, WARNING or Oops.
 *
 *   fuzz_test [-s SEED] [-t SECONDS] [-n ACTIONS] [-j THREADS] [-v] [-U]
 *
 * SECONDS is 40 by default, or $VMM_FUZZ_SECONDS: the debug-kernel job,
 * where every call costs many times more emulation, runs it for less.
 * The seed is always printed.  With -j 1 a seed replays the same action
 * sequence, up to the timing of the watchdog's kicks and of the fork
 * children; with more threads each thread replays its own sequence but
 * the interleaving differs.  -v logs every call (slow).  -U lets guests
 * clear RFLAGS.IF: only on real VT-x (see sanitize()).
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define VMS_PATH	"/sys/class/misc/vmm/vms"
#define REFCNT_PATH	"/sys/module/vmm/refcnt"

#define MAX_THREADS	8
#define POOL		32		/* fds the threads share */
#define MAX_VMS		6		/* VMs with guest memory at a time */
#define VM_CHUNK	(8UL << 20)	/* arena share of one VM */
#define NR_REGIONS	4		/* 2 MiB regions per chunk */
#define REGION		(2UL << 20)
#define ARENA_SIZE	(MAX_VMS * VM_CHUNK)
#define BUF_SIZE	(64UL << 10)	/* per-thread argument buffer */
#define RO_SIZE		(16UL << 10)	/* per-thread read-only buffer */
#define PG		4096UL
#define RING		32		/* last calls kept per thread */
#define MAX_EVENTS	32
#define KICK_NS		150000000ULL	/* a RUN longer than this is kicked */
#define RESCUE_NS	3000000000ULL	/* ...and this long, rescued */
#define TASK_TOP	0x00007ffffffff000ULL	/* x86-64 4-level TASK_SIZE */
#define MAX_SLOT_PAGES	((1ULL << 31) - 1)	/* api.rst, as KVM */

/* Guest layout in the main region (slot 0, guest-physical 0). */
#define G_SCRATCH	0x1000
#define G_CODE		0x10000
#define G_STACK16	0x20000
#define G_STACK		0x100000

#define X86_IF		0x200ULL	/* RFLAGS.IF */

#define E(x)		(1ULL << (x))
#define INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)
#define ADD(x, n)	__atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

#define MUST_OK		1
#define MUST_FAIL	2

/* ------------------------------------------------------------------ */
/* The ioctls                                                          */
/* ------------------------------------------------------------------ */

enum kind { K_NONE, K_SYS, K_VM, K_VCPU };
static const char *const kind_name[] = { "none", "sys", "vm", "vcpu" };

enum op {
	OP_GET_API_VERSION, OP_CREATE_VM, OP_CHECK_EXTENSION,
	OP_GET_VCPU_MMAP_SIZE, OP_GET_SUPPORTED_CPUID, OP_GET_MSR_INDEX_LIST,
	OP_CREATE_VCPU, OP_GET_DIRTY_LOG, OP_SET_USER_MEMORY_REGION,
	OP_SET_TSS_ADDR, OP_SET_IDENTITY_MAP_ADDR, OP_ENABLE_CAP,
	OP_CLEAR_DIRTY_LOG, OP_VM_CHECK_EXTENSION,
	OP_RUN, OP_GET_REGS, OP_SET_REGS, OP_GET_SREGS, OP_SET_SREGS,
	OP_GET_MSRS, OP_SET_MSRS, OP_SET_SIGNAL_MASK, OP_GET_FPU, OP_SET_FPU,
	OP_SET_CPUID2, OP_GET_CPUID2,
	OP_WRONG_FD, OP_UNKNOWN,
	NR_OPS
};

/*
 * Each ioctl with the fd it belongs to and the errnos Documentation/
 * api.rst allows for it when its arguments are random (before the EIO of
 * a foreign process, which only the fork children see).  ENOMEM is
 * allowed where the module allocates; EMFILE where it makes an fd.
 */
static const struct opinfo {
	const char *name;
	unsigned long req;
	enum kind kind;
	uint64_t errs;
} ops[NR_OPS] = {
#define O(n, k, e) [OP_##n] = { #n, VMM_##n, k, e }
	O(GET_API_VERSION, K_SYS, E(EINVAL)),
	O(CREATE_VM, K_SYS, E(EINVAL) | E(ENOMEM) | E(EMFILE) | E(ENFILE) | E(EBUSY)),
	O(CHECK_EXTENSION, K_SYS, 0),
	O(GET_VCPU_MMAP_SIZE, K_SYS, E(EINVAL)),
	O(GET_SUPPORTED_CPUID, K_SYS, E(E2BIG) | E(EFAULT) | E(ENOMEM)),
	O(GET_MSR_INDEX_LIST, K_SYS, E(E2BIG) | E(EFAULT)),
	O(CREATE_VCPU, K_VM, E(EINVAL) | E(EEXIST) | E(ENOMEM) | E(EMFILE) | E(ENFILE)),
	O(GET_DIRTY_LOG, K_VM, E(ENOENT) | E(EFAULT) | E(ENOMEM)),
	O(SET_USER_MEMORY_REGION, K_VM, E(EINVAL) | E(EEXIST) | E(EFAULT) | E(ENOMEM)),
	O(SET_TSS_ADDR, K_VM, E(EINVAL)),
	O(SET_IDENTITY_MAP_ADDR, K_VM, E(EINVAL) | E(EFAULT)),
	O(ENABLE_CAP, K_VM, E(EINVAL) | E(EFAULT)),
	O(CLEAR_DIRTY_LOG, K_VM, E(ENOENT) | E(EINVAL) | E(EFAULT) | E(ENOMEM)),
	[OP_VM_CHECK_EXTENSION] = { "VM_CHECK_EXTENSION", VMM_CHECK_EXTENSION, K_VM, 0 },
	/* RUN: EINVAL for an argument, EINTR, EFAULT for unbacked memory */
	O(RUN, K_VCPU, E(EINVAL) | E(EINTR) | E(EFAULT) | E(ENOMEM)),
	O(GET_REGS, K_VCPU, E(EFAULT)),
	O(SET_REGS, K_VCPU, E(EFAULT)),
	O(GET_SREGS, K_VCPU, E(EFAULT)),
	O(SET_SREGS, K_VCPU, E(EFAULT) | E(EINVAL)),
	O(GET_MSRS, K_VCPU, E(EFAULT) | E(E2BIG) | E(ENOMEM)),
	O(SET_MSRS, K_VCPU, E(EFAULT) | E(E2BIG) | E(ENOMEM)),
	O(SET_SIGNAL_MASK, K_VCPU, E(EFAULT) | E(EINVAL)),
	O(GET_FPU, K_VCPU, E(EFAULT) | E(ENOMEM)),
	/* the kernel's FPU code refuses reserved MXCSR bits with EINVAL */
	O(SET_FPU, K_VCPU, E(EFAULT) | E(ENOMEM) | E(EINVAL)),
	O(SET_CPUID2, K_VCPU, E(EFAULT) | E(E2BIG) | E(ENOMEM)),
	O(GET_CPUID2, K_VCPU, E(EFAULT) | E(E2BIG)),
#undef O
	[OP_WRONG_FD] = { "WRONG_FD", 0, K_NONE, E(ENOTTY) },
	[OP_UNKNOWN] = { "UNKNOWN", 0, K_NONE, E(ENOTTY) },
};

/* ------------------------------------------------------------------ */
/* State shared by the supervisor, the worker and its children          */
/* ------------------------------------------------------------------ */

struct rec {			/* one call, for the post-mortem */
	uint32_t seq;
	int16_t op;
	int16_t err;
	int32_t fd;
	int32_t pending;
	uint64_t req, arg;
	int64_t ret;
};

struct event {
	int thread;
	char text[200];
};

struct shared {
	uint64_t calls, actions;
	uint64_t op_calls[NR_OPS], op_ok[NR_OPS];
	uint64_t errnos[134];
	uint32_t op_errnos[NR_OPS][134];
	uint64_t unexpected, must_fail_ok, must_ok_failed, wrong_value;
	uint64_t exits[32], runs, guests, kicks;
	uint64_t vms, vcpus, sys_opens, closes, mem_ops, runmaps, oddmaps;
	uint64_t oddmap_fail, garbage, forks, kills;
	uint64_t child_checks, child_eio_bad, child_emfile_bad, child_bad_exit;
	uint64_t child_hung, sigbus_ok, sigbus_bad, sigbus_missing;
	uint64_t max_fds, harness_err, rescues;
	int nevents;
	struct event ev[MAX_EVENTS];
	uint32_t ring_pos[MAX_THREADS];
	struct rec ring[MAX_THREADS][RING];
};

static struct shared *sh;

/* ------------------------------------------------------------------ */
/* Worker state                                                        */
/* ------------------------------------------------------------------ */

struct thr {
	int idx;
	pthread_t tid;
	uint64_t rng;
	uint8_t *buf;		/* BUF_SIZE, then a PROT_NONE guard page */
	uint8_t *ro;		/* RO_SIZE, read-only but while we fill it */
	uint64_t run_start;	/* ns, while in VMM_RUN (the watchdog) */
	int run_chunk;		/* the arena chunk of that vCPU's VM */
	int rescued;		/* rescues of the current RUN */
	uint32_t seq;
	struct vmm_sregs sregs;	/* last GET_SREGS, a base for SET_SREGS */
	struct vmm_fpu fpu;
	bool have_sregs, have_fpu;
};

enum rstate { R_RW, R_NONE, R_RO };

struct vmstate {
	int refs;
	pthread_mutex_t lock;	/* regions and vm_fd */
	int chunk;
	uint8_t *base;
	enum rstate state[NR_REGIONS];
	int vm_fd;		/* while the VM's pool entry is open */
	uint32_t next_id;
};

struct obj {
	pthread_rwlock_t use;	/* shared: in use; exclusive: changing */
	enum kind kind;
	int fd;
	struct vmstate *vs;
	struct vmm_run *run;	/* the vCPU's run mapping, or NULL */
};

static struct obj pool[POOL];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vmstate *chunk_vs[MAX_VMS];	/* under pool_lock */
static uint8_t *arena;
static struct thr thr[MAX_THREADS];
static int nthreads = 3;
static int sys_fd = -1;
static int max_fd;
static long mmap_size;
static int stop;
static uint64_t deadline_ns;
static uint64_t max_actions;
static bool verbose;
static bool unsafe_guests;	/* -U: guests may clear IF (real VT-x only) */
static uint64_t seed;
static unsigned int seconds = 40;

static struct vmm_cpuid2 *sup_cpuid;	/* GET_SUPPORTED_CPUID, 80 entries room */
static uint32_t n_sup;
static uint32_t msr_list[64];
static uint32_t n_msrs;
static int64_t cap_seen[256];		/* CHECK_EXTENSION answers, -2 unknown */

static __thread sigjmp_buf *bus_jmp;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Sleep ns, resuming after the watchdog's kicks. */
static void nap(uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns += ts.tv_nsec;
	ts.tv_sec += ns / 1000000000ULL;
	ts.tv_nsec = ns % 1000000000ULL;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ------------------------------------------------------------------ */
/* Randomness                                                          */
/* ------------------------------------------------------------------ */

static uint64_t rnd64(struct thr *t)
{
	uint64_t z = (t->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct thr *t, uint32_t n)
{
	return n ? (uint32_t)(rnd64(t) % n) : 0;
}

static bool chance(struct thr *t, unsigned int pct)
{
	return rnd(t, 100) < pct;
}

#define PICK(t, arr)	((arr)[rnd(t, sizeof(arr) / sizeof((arr)[0]))])

static const uint64_t boundaries[] = {
	0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 80, 81, 255, 256, 257, 1023, 1024,
	4095, 4096, 4097, 0x7fff, 0xffff, 0x10000, 0xfffff, 0x7fffffff,
	0x80000000, 0xfffff000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 4095,
	1ULL << 47, 1ULL << 48, (1ULL << 48) - 4096, 0xffff800000000000ULL,
};

/* A boundary value, or a random one of random width. */
static uint64_t rval(struct thr *t)
{
	if (chance(t, 50))
		return PICK(t, boundaries);
	return rnd64(t) >> rnd(t, 64);
}

static void rfill(struct thr *t, void *p, size_t len)
{
	uint8_t *b = p;

	while (len >= 8) {
		uint64_t v = rnd64(t);

		memcpy(b, &v, 8);
		b += 8;
		len -= 8;
	}
	while (len--)
		*b++ = (uint8_t)rnd64(t);
}

/* ------------------------------------------------------------------ */
/* Events, the call wrapper                                            */
/* ------------------------------------------------------------------ */

static const char *errname(int e)
{
	static const char *const n[] = {
		[0] = "0", [EPERM] = "EPERM", [ENOENT] = "ENOENT",
		[EINTR] = "EINTR", [EIO] = "EIO", [E2BIG] = "E2BIG",
		[EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST", [ENODEV] = "ENODEV", [EINVAL] = "EINVAL",
		[ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
		[ENOSPC] = "ENOSPC", [ERANGE] = "ERANGE", [ENOSYS] = "ENOSYS",
	};

	if (e >= 0 && e < (int)(sizeof(n) / sizeof(n[0])) && n[e])
		return n[e];
	return "E?";
}

TU_PRINTF(2, 3) static void event(struct thr *t, const char *fmt, ...)
{
	int i = __atomic_fetch_add(&sh->nevents, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= MAX_EVENTS)
		return;
	sh->ev[i].thread = t ? t->idx : -1;
	va_start(ap, fmt);
	vsnprintf(sh->ev[i].text, sizeof(sh->ev[i].text), fmt, ap);
	va_end(ap);
}

/*
 * One ioctl, counted and judged: the errno must be in errs; with
 * MUST_OK it must succeed, with MUST_FAIL it must fail.  how says what
 * the argument was, for the report.  Returns the ioctl's result with
 * errno set.
 */
static long call(struct thr *t, enum op op, int fd, unsigned long req,
		 unsigned long arg, uint64_t errs, int must, const char *how)
{
	uint32_t pos = __atomic_fetch_add(&sh->ring_pos[t->idx], 1,
					  __ATOMIC_RELAXED) % RING;
	struct rec *r = &sh->ring[t->idx][pos];
	long ret;
	int e;

	r->seq = t->seq++;
	r->op = op;
	r->fd = fd;
	r->req = req;
	r->arg = arg;
	r->ret = 0;
	r->err = 0;
	__atomic_store_n(&r->pending, 1, __ATOMIC_RELEASE);

	errno = 0;
	ret = ioctl(fd, req, arg);
	e = ret < 0 ? errno : 0;

	r->ret = ret;
	r->err = (int16_t)e;
	__atomic_store_n(&r->pending, 0, __ATOMIC_RELEASE);

	INC(sh->calls);
	INC(sh->op_calls[op]);
	if (ret >= 0)
		INC(sh->op_ok[op]);
	else {
		INC(sh->errnos[e < 133 ? e : 133]);
		INC(sh->op_errnos[op][e < 133 ? e : 133]);
	}
	if (verbose)
		tap_diag("t%d %s fd %d req %#lx arg %#lx (%s) = %ld %s", t->idx,
			 ops[op].name, fd, req, arg, how, ret,
			 ret < 0 ? errname(e) : "");

	if (ret < 0 && !(e < 64 && (errs & E(e)))) {
		INC(sh->unexpected);
		event(t, "%s on fd %d (req %#lx arg %#lx, %s): errno %s (%d) not documented",
		      ops[op].name, fd, req, arg, how, errname(e), e);
	} else if (ret >= 0 && (must & MUST_FAIL)) {
		INC(sh->must_fail_ok);
		event(t, "%s on fd %d (req %#lx arg %#lx, %s): returned %ld, must fail",
		      ops[op].name, fd, req, arg, how, ret);
	} else if (ret < 0 && (must & MUST_OK)) {
		INC(sh->must_ok_failed);
		event(t, "%s on fd %d (req %#lx arg %#lx, %s): %s, must succeed",
		      ops[op].name, fd, req, arg, how, errname(e));
	}
	errno = e;
	return ret;
}

TU_PRINTF(3, 4) static void wrong(struct thr *t, enum op op, const char *fmt, ...)
{
	char text[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	INC(sh->wrong_value);
	event(t, "%s: %s", ops[op].name, text);
}

static void harness_error(struct thr *t, const char *what)
{
	INC(sh->harness_err);
	event(t, "harness: %s: %s", what, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Arguments: where a structure is put                                  */
/* ------------------------------------------------------------------ */

enum pcls { P_GOOD, P_RO, P_BAD, P_STRADDLE };
static const char *const pcls_name[] = { "valid", "read-only", "bad pointer",
					 "straddles a guard page" };

static enum pcls pick_cls(struct thr *t)
{
	unsigned int r = rnd(t, 100);

	return r < 74 ? P_GOOD : r < 84 ? P_RO : r < 96 ? P_BAD : P_STRADDLE;
}

/* Addresses no call may read or write through. */
static unsigned long bad_ptr(struct thr *t)
{
	static const uint64_t fixed[] = {
		0, 8, 0xfff, 0x10000, 0x100000,		/* never mapped */
		TASK_TOP, TASK_TOP - 8,			/* past user space */
		0x0000800000000000ULL, 0x8000000000000000ULL,
		0xffff800000000000ULL, 0xffffffff81000000ULL,
		0xfffffffffffff000ULL, ~0ULL - 7,
	};

	if (chance(t, 20))	/* the guard page: mapped, PROT_NONE */
		return (unsigned long)(t->buf + BUF_SIZE + rnd(t, PG - 64));
	return (unsigned long)PICK(t, fixed);
}

/*
 * Put len bytes of content where class c says and return the address to
 * pass: in the thread's buffer (at a random, sometimes unaligned, offset,
 * or ending right at the guard page), in its read-only buffer, at a bad
 * address, or across the guard page (4 bytes readable).
 */
static unsigned long place(struct thr *t, enum pcls c, const void *content,
			   size_t len)
{
	uint8_t *p;
	size_t off;

	switch (c) {
	case P_GOOD:
		if (chance(t, 25))
			off = BUF_SIZE - len;
		else if (chance(t, 15))
			off = rnd(t, (uint32_t)(BUF_SIZE / 2 - len));
		else
			off = rnd(t, (uint32_t)((BUF_SIZE / 2 - len) / 64)) * 64;
		p = t->buf + off;
		memcpy(p, content, len);
		return (unsigned long)p;
	case P_RO:
		off = chance(t, 30) ? RO_SIZE - len :
				      rnd(t, (uint32_t)(RO_SIZE - len) / 8) * 8;
		if (mprotect(t->ro, RO_SIZE, PROT_READ | PROT_WRITE))
			harness_error(t, "mprotect");
		memcpy(t->ro + off, content, len);
		if (mprotect(t->ro, RO_SIZE, PROT_READ))
			harness_error(t, "mprotect");
		return (unsigned long)(t->ro + off);
	case P_BAD:
		return bad_ptr(t);
	case P_STRADDLE:
		p = t->buf + BUF_SIZE - 4;
		memcpy(p, content, len < 4 ? len : 4);
		return (unsigned long)p;
	}
	return 0;
}

/*
 * Expectation for a structure the kernel only reads: a bad pointer
 * must give EFAULT, a straddling one must fail, anything else gets the
 * ioctl's documented set (and mustok when the content is valid).
 */
static int expect_in(enum op op, enum pcls c, int mustok, uint64_t *errs)
{
	*errs = ops[op].errs;
	if (c == P_BAD) {
		*errs = E(EFAULT) | (ops[op].errs & E(ENOMEM));
		return MUST_FAIL;
	}
	if (c == P_STRADDLE)
		return MUST_FAIL;
	return mustok;
}

/* For a structure the kernel writes: read-only must fail too. */
static int expect_out(enum op op, enum pcls c, uint64_t *errs)
{
	if (c == P_RO) {
		*errs = E(EFAULT) | (ops[op].errs & E(ENOMEM));
		return MUST_FAIL;
	}
	return expect_in(op, c, MUST_OK, errs);
}

/* ------------------------------------------------------------------ */
/* The pool                                                            */
/* ------------------------------------------------------------------ */

static void note_fd(int fd)
{
	int old = LOAD(max_fd);

	while (fd > old &&
	       !__atomic_compare_exchange_n(&max_fd, &old, fd, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* A random object of kind k, held shared (or exclusive); NULL if none. */
static struct obj *obj_get(struct thr *t, enum kind k, bool excl)
{
	uint32_t start = rnd(t, POOL), i;
	struct obj *o = NULL;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < POOL && !o; i++) {
		struct obj *c = &pool[(start + i) % POOL];

		if (c->kind != k)
			continue;
		if (!(excl ? pthread_rwlock_trywrlock(&c->use) :
			     pthread_rwlock_tryrdlock(&c->use)))
			o = c;
	}
	pthread_mutex_unlock(&pool_lock);
	return o;
}

static void obj_put(struct obj *o)
{
	pthread_rwlock_unlock(&o->use);
}

/* Add an object; false if the pool is full (the caller closes it). */
static bool obj_add(enum kind k, int fd, struct vmstate *vs,
		    struct vmm_run *run)
{
	bool ok = false;
	uint64_t n = 0;
	int i;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < POOL; i++) {
		struct obj *c = &pool[i];

		if (c->kind != K_NONE) {
			n++;
			continue;
		}
		if (ok || pthread_rwlock_trywrlock(&c->use))
			continue;
		c->kind = k;
		c->fd = fd;
		c->vs = vs;
		c->run = run;
		pthread_rwlock_unlock(&c->use);
		ok = true;
		n++;
	}
	pthread_mutex_unlock(&pool_lock);
	if (n > LOAD(sh->max_fds))
		__atomic_store_n(&sh->max_fds, n, __ATOMIC_RELAXED);
	return ok;
}

static void region_set(struct vmstate *vs, int i, enum rstate s)
{
	uint8_t *p = vs->base + i * REGION;
	void *m;

	if (s == R_NONE) {
		/* Keep the range reserved: nothing else may land in it. */
		m = mmap(p, REGION, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0);
	} else if (s == R_RW && vs->state[i] == R_RO) {
		m = mprotect(p, REGION, PROT_READ | PROT_WRITE) ? MAP_FAILED : p;
	} else if (s == R_RW) {
		m = mmap(p, REGION, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	} else {
		m = mprotect(p, REGION, PROT_READ) ? MAP_FAILED : p;
	}
	if (m == MAP_FAILED) {
		harness_error(NULL, "guest memory mmap/mprotect");
		return;
	}
	vs->state[i] = s;
}

static struct vmstate *vs_new(int vm_fd)
{
	struct vmstate *vs;
	int c, i;

	vs = calloc(1, sizeof(*vs));
	if (!vs)
		return NULL;
	pthread_mutex_lock(&pool_lock);
	for (c = 0; c < MAX_VMS && chunk_vs[c]; c++)
		;
	if (c < MAX_VMS)
		chunk_vs[c] = vs;
	pthread_mutex_unlock(&pool_lock);
	if (c == MAX_VMS) {
		free(vs);
		return NULL;
	}
	vs->refs = 1;
	pthread_mutex_init(&vs->lock, NULL);
	vs->chunk = c;
	vs->base = arena + c * VM_CHUNK;
	vs->vm_fd = vm_fd;
	for (i = 0; i < NR_REGIONS; i++)
		vs->state[i] = R_NONE;
	region_set(vs, 0, R_RW);
	return vs;
}

static void vs_put(struct vmstate *vs)
{
	int i;

	if (__atomic_sub_fetch(&vs->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* The watchdog may look at the regions until the chunk is free. */
	pthread_mutex_lock(&vs->lock);
	for (i = 0; i < NR_REGIONS; i++)
		region_set(vs, i, R_NONE);
	pthread_mutex_unlock(&vs->lock);
	pthread_mutex_lock(&pool_lock);
	chunk_vs[vs->chunk] = NULL;
	pthread_mutex_unlock(&pool_lock);
	pthread_mutex_destroy(&vs->lock);
	free(vs);
}

/* Close an object held exclusively; it leaves the pool first. */
static void obj_close(struct obj *o)
{
	enum kind k;
	int fd;

	pthread_mutex_lock(&pool_lock);
	k = o->kind;
	fd = o->fd;
	o->kind = K_NONE;
	pthread_mutex_unlock(&pool_lock);

	if (k == K_VCPU && o->run && munmap(o->run, mmap_size))
		harness_error(NULL, "munmap run");
	if (k == K_VM) {
		pthread_mutex_lock(&o->vs->lock);
		o->vs->vm_fd = -1;
		pthread_mutex_unlock(&o->vs->lock);
	}
	if (close(fd))
		harness_error(NULL, "close");
	if (k != K_SYS)
		vs_put(o->vs);
	o->run = NULL;
	o->vs = NULL;
	INC(sh->closes);
	pthread_rwlock_unlock(&o->use);
}

/* ------------------------------------------------------------------ */
/* System ioctls                                                       */
/* ------------------------------------------------------------------ */

static const uint64_t caps[] = {
	0, 1, 2, 3, 4, 7, 9, 10, 16, 21, 30, 37, 66, 81, 105, 128, 136, 168,
	169, 255, 256, 0x7fffffff, 0xffffffff, 0x100000003ULL, ~0ULL,
};

static void check_cap(struct thr *t, enum op op, uint64_t cap, long r)
{
	int64_t old = -2;

	if (r < 0 || cap >= 256)
		return;
	if (!__atomic_compare_exchange_n(&cap_seen[cap], &old, r, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
	    old != r)
		wrong(t, op, "capability %llu answered %ld, earlier %lld",
		      (unsigned long long)cap, r, (long long)old);
}

static void do_check_extension(struct thr *t, enum op op, int fd)
{
	uint64_t cap = chance(t, 70) ? PICK(t, caps) : rval(t);
	long r = call(t, op, fd, VMM_CHECK_EXTENSION, cap, 0, MUST_OK, "cap");

	check_cap(t, op, cap, r);
}

/* CREATE_VM on fd; a new VM gets guest memory and joins the pool. */
static void do_create_vm(struct thr *t, int fd)
{
	struct vmm_userspace_memory_region m = { .slot = 0 };
	bool zero = chance(t, 85);
	unsigned long type = zero ? 0 : (rval(t) | 1) << rnd(t, 8);
	struct vmstate *vs;
	long vm;

	vm = call(t, OP_CREATE_VM, fd, VMM_CREATE_VM, type,
		  zero ? ops[OP_CREATE_VM].errs : E(EINVAL),
		  zero ? 0 : MUST_FAIL, "type");
	if (vm < 0)
		return;
	note_fd((int)vm);
	INC(sh->vms);
	vs = vs_new((int)vm);
	if (!vs) {
		close((int)vm);
		return;
	}
	/* A fresh VM: a valid slot 0 must be accepted. */
	m.memory_size = REGION;
	m.userspace_addr = (unsigned long)vs->base;
	if (chance(t, 40))
		m.flags = VMM_MEM_LOG_DIRTY_PAGES;
	call(t, OP_SET_USER_MEMORY_REGION, (int)vm, VMM_SET_USER_MEMORY_REGION,
	     (unsigned long)&m, 0, MUST_OK, "slot 0 of a new VM");
	if (chance(t, 50)) {
		struct vmm_enable_cap c = {
			.cap = VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args[0] = 1 + 2 * rnd(t, 2),
		};

		call(t, OP_ENABLE_CAP, (int)vm, VMM_ENABLE_CAP,
		     (unsigned long)&c, 0, MUST_OK, "manual protect");
	}
	if (!obj_add(K_VM, (int)vm, vs, NULL)) {
		pthread_mutex_lock(&vs->lock);
		vs->vm_fd = -1;
		pthread_mutex_unlock(&vs->lock);
		close((int)vm);
		vs_put(vs);
	}
}

static void do_supported_cpuid(struct thr *t, int fd)
{
	static const uint32_t nents[] = { 0, 1, 2, 40, 79, 80, 81, 255,
					  0x7fffffff, 0xffffffff };
	struct {
		struct vmm_cpuid2 h;
		struct vmm_cpuid_entry2 e[81];
	} a;
	enum pcls c = pick_cls(t);
	size_t len = sizeof(a.h) + (n_sup ? n_sup : 80) * sizeof(a.e[0]);
	unsigned long p;
	uint64_t errs;
	int must;
	long r;

	a.h.nent = chance(t, 30) ? n_sup + rnd(t, 3) - 1 : PICK(t, nents);
	a.h.padding = 0;
	rfill(t, a.e, sizeof(a.e));
	p = place(t, c, &a, len);
	must = expect_in(OP_GET_SUPPORTED_CPUID, c, 0, &errs);
	if (c == P_GOOD && n_sup) {
		must = a.h.nent >= n_sup ? MUST_OK : MUST_FAIL;
		errs = a.h.nent >= n_sup ? E(ENOMEM) : E(E2BIG);
	}
	r = call(t, OP_GET_SUPPORTED_CPUID, fd, VMM_GET_SUPPORTED_CPUID, p,
		 errs, must, pcls_name[c]);
	if (r == 0 && c == P_GOOD && n_sup &&
	    ((struct vmm_cpuid2 *)p)->nent != n_sup)
		wrong(t, OP_GET_SUPPORTED_CPUID, "nent %u, first call said %u",
		      ((struct vmm_cpuid2 *)p)->nent, n_sup);
}

static void do_msr_index_list(struct thr *t, int fd)
{
	static const uint32_t caps_n[] = { 0, 1, 14, 15, 16, 64, 0xffffffff };
	struct {
		struct vmm_msr_list h;
		uint32_t idx[64];
	} a;
	enum pcls c = pick_cls(t);
	size_t len = sizeof(a.h) + (n_msrs ? n_msrs : 64) * sizeof(uint32_t);
	unsigned long p;
	uint64_t errs;
	int must;
	long r;

	a.h.nmsrs = chance(t, 30) ? n_msrs + rnd(t, 3) - 1 : PICK(t, caps_n);
	rfill(t, a.idx, sizeof(a.idx));
	p = place(t, c, &a, len);
	must = expect_in(OP_GET_MSR_INDEX_LIST, c, 0, &errs);
	if (c == P_GOOD && n_msrs) {
		must = a.h.nmsrs >= n_msrs ? MUST_OK : MUST_FAIL;
		errs = a.h.nmsrs >= n_msrs ? 0 : E(E2BIG);
	}
	r = call(t, OP_GET_MSR_INDEX_LIST, fd, VMM_GET_MSR_INDEX_LIST, p, errs,
		 must, pcls_name[c]);
	if ((r == 0 || errno == E2BIG) && c == P_GOOD && n_msrs &&
	    ((struct vmm_msr_list *)p)->nmsrs != n_msrs)
		wrong(t, OP_GET_MSR_INDEX_LIST, "nmsrs %u, first call said %u",
		      ((struct vmm_msr_list *)p)->nmsrs, n_msrs);
}

static void act_sys(struct thr *t)
{
	struct obj *o = chance(t, 50) ? obj_get(t, K_SYS, false) : NULL;
	int fd = o ? o->fd : sys_fd;
	bool zero = chance(t, 80);
	unsigned long arg = zero ? 0 : (rval(t) | 1);
	long r;

	switch (rnd(t, 6)) {
	case 0:
		r = call(t, OP_GET_API_VERSION, fd, VMM_GET_API_VERSION, arg,
			 zero ? 0 : E(EINVAL), zero ? MUST_OK : MUST_FAIL, "arg");
		if (r >= 0 && r != VMM_API_VERSION)
			wrong(t, OP_GET_API_VERSION, "returned %ld", r);
		break;
	case 1:
		do_create_vm(t, fd);
		break;
	case 2:
		do_check_extension(t, OP_CHECK_EXTENSION, fd);
		break;
	case 3:
		r = call(t, OP_GET_VCPU_MMAP_SIZE, fd, VMM_GET_VCPU_MMAP_SIZE,
			 arg, zero ? 0 : E(EINVAL), zero ? MUST_OK : MUST_FAIL,
			 "arg");
		if (r >= 0 && r != mmap_size)
			wrong(t, OP_GET_VCPU_MMAP_SIZE, "returned %ld, first %ld",
			      r, mmap_size);
		break;
	case 4:
		do_supported_cpuid(t, fd);
		break;
	case 5:
		do_msr_index_list(t, fd);
		break;
	}
	if (o)
		obj_put(o);
}

/* ------------------------------------------------------------------ */
/* VM ioctls                                                           */
/* ------------------------------------------------------------------ */

static void do_create_vcpu(struct thr *t, struct obj *o)
{
	static const uint64_t ids[] = { 0, 1, 15, 16, 1022, 1023, 1024, 1025,
					0xffff, 0xffffffff, 0x100000000ULL,
					~0ULL };
	struct vmstate *vs = o->vs;
	uint64_t id;
	void *run;
	long fd;
	int must = 0;

	if (chance(t, 70))
		id = __atomic_fetch_add(&vs->next_id, 1, __ATOMIC_RELAXED) % 1024;
	else
		id = chance(t, 50) ? PICK(t, ids) : rval(t);
	if (id > VMM_DEFAULT_MAX_VCPU_ID)
		must = MUST_FAIL;
	fd = call(t, OP_CREATE_VCPU, o->fd, VMM_CREATE_VCPU, id,
		  must ? E(EINVAL) : ops[OP_CREATE_VCPU].errs, must, "id");
	if (fd < 0)
		return;
	note_fd((int)fd);
	INC(sh->vcpus);
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   (int)fd, 0);
	if (run == MAP_FAILED) {
		INC(sh->unexpected);
		event(t, "mmap of a new vCPU fd (%ld bytes) failed: %s",
		      mmap_size, strerror(errno));
		run = NULL;
	}
	__atomic_add_fetch(&vs->refs, 1, __ATOMIC_ACQ_REL);
	if (!obj_add(K_VCPU, (int)fd, vs, run)) {
		if (run)
			munmap(run, mmap_size);
		close((int)fd);
		vs_put(vs);
	}
}

/* A host address for a memory slot: inside the arena, or rejected. */
static uint64_t slot_hva(struct thr *t, __u64 *size, bool *inval)
{
	uint64_t hva;

	switch (rnd(t, 10)) {
	case 0:		/* kernel half: access_ok fails */
		*inval = *inval || *size;
		return chance(t, 50) ? 0xffff800000000000ULL :
				       0xffffffff81000000ULL;
	case 1:		/* page 0, never mapped */
		if (*size > 16 * PG)
			*size = 16 * PG;
		return 0;
	case 2:		/* wraps */
		*inval = *inval || *size;
		return ~0ULL - 4095;
	case 3:		/* unaligned */
		*inval = true;
		return (unsigned long)arena + 1 + rnd(t, 4095);
	default:	/* arena, the whole range inside it */
		if (*size > ARENA_SIZE)
			*size = ARENA_SIZE;
		hva = (uint64_t)(unsigned long)arena +
		      rnd(t, (uint32_t)((ARENA_SIZE - (*size & ~(PG - 1))) / PG + 1)) * PG;
		return hva;
	}
}

static void do_set_memory(struct thr *t, struct obj *o)
{
	static const uint32_t slots[] = { 32, 33, 0x10000, 0x10001, 0x7fffffff,
					  0xffffffff };
	static const uint64_t gpas[] = { 0, 0x100000, 0xfec00000, 0xfee00000,
					 0xffff0000, 1ULL << 32, 1ULL << 47,
					 (1ULL << 48) - REGION, 1ULL << 48,
					 ~0ULL - 4095 };
	struct vmm_userspace_memory_region m;
	bool inval = false, huge = false;
	enum pcls c;
	uint64_t errs, end;
	unsigned long p;
	int must;
	long r;

	m.slot = chance(t, 80) ? rnd(t, 34) : PICK(t, slots);
	m.flags = chance(t, 85) ? rnd(t, 4) : (uint32_t)rnd64(t);
	if (chance(t, 15))
		m.memory_size = 0;
	else if (chance(t, 70))
		m.memory_size = (1 + rnd(t, 512)) * PG;
	else
		m.memory_size = chance(t, 50) ? REGION : rval(t);
	m.guest_phys_addr = chance(t, 70) ? rnd(t, 64 << 8) * PG :
		chance(t, 70) ? PICK(t, gpas) : rval(t);
	if (chance(t, 5))
		m.guest_phys_addr |= 1 + rnd(t, 4095);
	m.userspace_addr = slot_hva(t, &m.memory_size, &inval);
	if (chance(t, 3)) {
		/* 2^31 pages or more, over unmapped user space: refused */
		huge = true;
		m.memory_size = chance(t, 50) ? 1ULL << 46 :
			((1ULL << 31) + rnd(t, 1 << 20)) * PG;
		m.guest_phys_addr = 1ULL << 47;
		m.userspace_addr = PG * (1 + rnd(t, 16));
	}

	if (m.slot >= 32 || (m.flags & ~3U) ||
	    (m.memory_size | m.guest_phys_addr | m.userspace_addr) & (PG - 1))
		inval = true;
	if (m.memory_size) {
		if ((m.memory_size >> 12) > MAX_SLOT_PAGES ||
		    __builtin_add_overflow(m.guest_phys_addr, m.memory_size, &end) ||
		    end > (1ULL << 48))
			inval = true;
		if (__builtin_add_overflow(m.userspace_addr, m.memory_size, &end) ||
		    m.userspace_addr >= (1ULL << 63))
			inval = true;
	}

	c = pick_cls(t);
	p = place(t, c, &m, sizeof(m));
	must = expect_in(OP_SET_USER_MEMORY_REGION, c, 0, &errs);
	if (c != P_BAD && c != P_STRADDLE && inval) {
		must = MUST_FAIL;
		errs = E(EINVAL);
	}
	r = call(t, OP_SET_USER_MEMORY_REGION, o->fd, VMM_SET_USER_MEMORY_REGION,
		 p, errs, must, huge ? "huge region" :
		 inval ? "invalid region" : pcls_name[c]);
	if (r == 0 && huge) {
		/* It maps most of our address space: take it away at once. */
		m.memory_size = 0;
		call(t, OP_SET_USER_MEMORY_REGION, o->fd,
		     VMM_SET_USER_MEMORY_REGION, (unsigned long)&m,
		     ops[OP_SET_USER_MEMORY_REGION].errs, 0, "delete huge");
	}
}

/* A dirty bitmap pointer: room for any slot this fuzzer can make. */
static unsigned long bitmap_ptr(struct thr *t, const char **how)
{
	switch (rnd(t, 8)) {
	case 0:
		*how = "bad bitmap";
		return bad_ptr(t);
	case 1:
		*how = "read-only bitmap";
		return (unsigned long)t->ro;
	default:
		*how = "bitmap";
		rfill(t, t->buf + BUF_SIZE / 2, 64);
		return (unsigned long)(t->buf + BUF_SIZE / 2);
	}
}

static void do_dirty_log(struct thr *t, struct obj *o, bool clear)
{
	static const uint64_t firsts[] = { 0, 63, 64, 128, 512, 1ULL << 63,
					   ~0ULL - 63 };
	static const uint32_t nums[] = { 0, 1, 63, 64, 65, 128, 512, 513,
					 0xffffffff };
	enum op op = clear ? OP_CLEAR_DIRTY_LOG : OP_GET_DIRTY_LOG;
	const char *how = NULL;
	enum pcls c = pick_cls(t);
	unsigned long p;
	uint64_t errs;
	int must;
	uint32_t slot = chance(t, 50) ? 0 : chance(t, 80) ? rnd(t, 34) :
					  (uint32_t)rval(t);

	if (clear) {
		struct vmm_clear_dirty_log a = { .slot = slot };

		a.first_page = chance(t, 60) ? rnd(t, 8) * 64 : PICK(t, firsts);
		a.num_pages = chance(t, 60) ? (1 + rnd(t, 8)) * 64 :
					      PICK(t, nums);
		a.padding2 = bitmap_ptr(t, &how);
		p = place(t, c, &a, sizeof(a));
	} else {
		struct vmm_dirty_log a = { .slot = slot };

		a.padding2 = bitmap_ptr(t, &how);
		p = place(t, c, &a, sizeof(a));
	}
	must = expect_in(op, c, 0, &errs);
	call(t, op, o->fd, clear ? VMM_CLEAR_DIRTY_LOG : VMM_GET_DIRTY_LOG, p,
	     errs, must, c == P_GOOD ? how : pcls_name[c]);
}

static void do_enable_cap(struct thr *t, struct obj *o)
{
	struct vmm_enable_cap a;
	enum pcls c = pick_cls(t);
	unsigned long p;
	uint64_t errs;
	bool inval;
	int must;

	rfill(t, &a, sizeof(a));
	a.cap = chance(t, 70) ? VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2 :
				(uint32_t)PICK(t, caps);
	if (chance(t, 90))
		a.flags = 0;
	if (chance(t, 80))
		a.args[0] = rnd(t, 4);
	inval = a.flags || a.cap != VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2 ||
		(a.args[0] & ~3ULL) || a.args[0] == VMM_DIRTY_LOG_INITIALLY_SET;
	p = place(t, c, &a, sizeof(a));
	must = expect_in(OP_ENABLE_CAP, c, MUST_OK, &errs);
	if (c != P_BAD && c != P_STRADDLE && inval) {
		must = MUST_FAIL;
		errs = E(EINVAL);
	}
	call(t, OP_ENABLE_CAP, o->fd, VMM_ENABLE_CAP, p, errs, must,
	     inval ? "invalid cap" : pcls_name[c]);
}

static void act_vm(struct thr *t)
{
	struct obj *o = obj_get(t, K_VM, false);
	uint64_t v, errs;
	enum pcls c;
	unsigned long p;
	bool inval;
	int must;

	if (!o)
		return;
	switch (rnd(t, 10)) {
	case 0:
	case 1:
		do_create_vcpu(t, o);
		break;
	case 2:
	case 3:
		do_set_memory(t, o);
		break;
	case 4:
		v = rval(t);
		inval = v > 0xfffff000ULL - 3 * PG;
		call(t, OP_SET_TSS_ADDR, o->fd, VMM_SET_TSS_ADDR, v,
		     inval ? E(EINVAL) : 0, inval ? MUST_FAIL : MUST_OK, "gpa");
		break;
	case 5:
		v = chance(t, 50) ? rnd(t, 1 << 20) * PG : rval(t);
		inval = v > 0xffffffffULL - PG;
		c = pick_cls(t);
		p = place(t, c, &v, sizeof(v));
		must = expect_in(OP_SET_IDENTITY_MAP_ADDR, c, MUST_OK, &errs);
		if (c != P_BAD && c != P_STRADDLE && inval) {
			must = MUST_FAIL;
			errs = E(EINVAL);
		}
		call(t, OP_SET_IDENTITY_MAP_ADDR, o->fd,
		     VMM_SET_IDENTITY_MAP_ADDR, p, errs, must, pcls_name[c]);
		break;
	case 6:
		do_check_extension(t, OP_VM_CHECK_EXTENSION, o->fd);
		break;
	case 7:
		do_dirty_log(t, o, false);
		break;
	case 8:
		do_dirty_log(t, o, true);
		break;
	case 9:
		do_enable_cap(t, o);
		break;
	}
	obj_put(o);
}

/* ------------------------------------------------------------------ */
/* vCPU ioctls                                                         */
/* ------------------------------------------------------------------ */

static void get_out(struct thr *t, struct obj *o, enum op op, void *dst,
		    size_t len)
{
	enum pcls c = pick_cls(t);
	uint8_t tmp[1024];
	unsigned long p;
	uint64_t errs;
	int must;
	long r;

	rfill(t, tmp, len);
	p = place(t, c, tmp, len);
	must = expect_out(op, c, &errs);
	r = call(t, op, o->fd, ops[op].req, p, errs, must, pcls_name[c]);
	if (r == 0 && c == P_GOOD)
		memcpy(dst, (void *)p, len);
	if (r == 0 && op == OP_GET_SREGS && c == P_GOOD)
		t->have_sregs = true;
	if (r == 0 && op == OP_GET_FPU && c == P_GOOD)
		t->have_fpu = true;
}

/*
 * Values SET_SREGS must refuse whatever the CPU allows (api.rst): CR0
 * above 31 bits, PG without PE, NW without CD, CR4.VMXE/SMXE, unknown
 * EFER bits, LMA not matching LME and PG, CR8 above 15.
 */
static bool sregs_invalid(const struct vmm_sregs *s)
{
	bool lma = s->efer & VMM_EFER_LMA;

	if ((s->cr0 >> 32) || ((s->cr0 & VMM_CR0_PG) && !(s->cr0 & VMM_CR0_PE)) ||
	    ((s->cr0 & (1ULL << 29)) && !(s->cr0 & (1ULL << 30))))
		return true;
	if (s->cr4 & ((1ULL << 13) | (1ULL << 14)))
		return true;
	if (s->efer & ~0xd01ULL)
		return true;
	if ((s->efer & VMM_EFER_LME) && (s->cr0 & VMM_CR0_PG)) {
		if (!(s->cr4 & VMM_CR4_PAE) || !lma)
			return true;
	} else if (lma) {
		return true;
	}
	return s->cr8 > 15;
}

static void mutate_sregs(struct thr *t, struct vmm_sregs *s)
{
	static const uint64_t cr0s[] = { 0x10, 0x11, 0x60000010, 0x20000011,
					 0x80000011, 0x80000010, 0x80050033,
					 0xe0000011, 1ULL << 32, ~0ULL };
	static const uint64_t efers[] = { 0, 1, 0x100, 0x500, 0x400, 0xd01,
					  0x1000, ~0ULL };
	struct vmm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs,
				       &s->gs, &s->ss, &s->tr, &s->ldt };
	int n = 1 + rnd(t, 4);

	while (n--) {
		switch (rnd(t, 9)) {
		case 0:
			rfill(t, PICK(t, segs), sizeof(struct vmm_segment));
			break;
		case 1:
			s->cr0 = chance(t, 60) ? PICK(t, cr0s) : rval(t);
			break;
		case 2:
			s->cr4 = chance(t, 50) ? (1ULL << rnd(t, 24)) | s->cr4 :
						 rval(t);
			break;
		case 3:
			s->efer = chance(t, 70) ? PICK(t, efers) : rval(t);
			break;
		case 4:
			s->cr3 = rval(t);
			break;
		case 5:
			s->cr8 = rnd(t, 18);
			break;
		case 6:
			s->apic_base = rval(t);
			break;
		case 7:
			rfill(t, chance(t, 50) ? &s->gdt : &s->idt,
			      sizeof(s->gdt));
			break;
		case 8:
			rfill(t, s->interrupt_bitmap, sizeof(s->interrupt_bitmap));
			break;
		}
	}
}

static void do_set_sregs(struct thr *t, struct obj *o)
{
	struct vmm_sregs s;
	enum pcls c = pick_cls(t);
	unsigned long p;
	uint64_t errs;
	int must;

	if (t->have_sregs && chance(t, 80)) {
		s = t->sregs;
		if (chance(t, 80))
			mutate_sregs(t, &s);
	} else {
		rfill(t, &s, sizeof(s));
	}
	p = place(t, c, &s, sizeof(s));
	must = expect_in(OP_SET_SREGS, c, 0, &errs);
	if (c != P_BAD && c != P_STRADDLE && sregs_invalid(&s)) {
		must = MUST_FAIL;
		errs = E(EINVAL);
	}
	call(t, OP_SET_SREGS, o->fd, VMM_SET_SREGS, p, errs, must,
	     pcls_name[c]);
}

static void do_set_fpu(struct thr *t, struct obj *o)
{
	struct vmm_fpu f;
	enum pcls c = pick_cls(t);
	bool valid = t->have_fpu && chance(t, 70);
	unsigned long p;
	uint64_t errs;
	int must;

	if (valid) {
		f = t->fpu;
		if (chance(t, 50))
			rfill(t, f.xmm, sizeof(f.xmm));
		if (chance(t, 30))
			rfill(t, f.fpr, sizeof(f.fpr));
	} else {
		rfill(t, &f, sizeof(f));
		if (chance(t, 50))
			f.mxcsr &= 0xffbf;
	}
	p = place(t, c, &f, sizeof(f));
	must = expect_in(OP_SET_FPU, c, valid ? MUST_OK : 0, &errs);
	call(t, OP_SET_FPU, o->fd, VMM_SET_FPU, p, errs, must,
	     valid ? "state from GET_FPU" : pcls_name[c]);
}

static void do_msrs(struct thr *t, struct obj *o, bool set)
{
	static const uint32_t ns[] = { 0, 1, 2, 15, 16, 255, 256, 257, 1000,
				       0x7fffffff, 0xffffffff };
	static const uint32_t idx[] = { 0, 0x10, 0x1b, 0x3a, 0x48, 0x174, 0x175,
					0x176, 0x1a0, 0x277, 0x480, 0x6e0,
					0xc0000080, 0xc0000081, 0xc0000082,
					0xc0000084, 0xc0000100, 0xc0000101,
					0xc0000102, 0xc0000103, 0x40000000,
					0xffffffff };
	enum op op = set ? OP_SET_MSRS : OP_GET_MSRS;
	struct {
		struct vmm_msrs h;
		struct vmm_msr_entry e[260];
	} a;
	enum pcls c = pick_cls(t);
	uint32_t n, room, i;
	unsigned long p;
	uint64_t errs;
	int must;
	long r;

	n = chance(t, 60) ? rnd(t, 17) : PICK(t, ns);
	room = n < 260 ? n : 260;
	a.h.nmsrs = n;
	a.h.pad = 0;
	for (i = 0; i < room; i++) {
		a.e[i].index = chance(t, 60) && n_msrs ? msr_list[rnd(t, n_msrs)] :
			       chance(t, 70) ? PICK(t, idx) : (uint32_t)rnd64(t);
		a.e[i].reserved = 0;
		a.e[i].data = rval(t);
	}
	p = place(t, c, &a, sizeof(a.h) + room * sizeof(a.e[0]));
	must = expect_in(op, c, 0, &errs);
	if ((c == P_GOOD || (set && c == P_RO)) && n <= 256)
		must = MUST_OK;
	if (c != P_BAD && c != P_STRADDLE && n > 256) {
		must = MUST_FAIL;
		errs = E(E2BIG);
	}
	r = call(t, op, o->fd, ops[op].req, p, errs, must, pcls_name[c]);
	if (r > (long)n)
		wrong(t, op, "processed %ld of %u MSRs", r, n);
}

static void do_cpuid2(struct thr *t, struct obj *o, bool set)
{
	static const uint32_t ns[] = { 0, 1, 2, 79, 80, 81, 200, 0x7fffffff,
				       0xffffffff };
	enum op op = set ? OP_SET_CPUID2 : OP_GET_CPUID2;
	struct {
		struct vmm_cpuid2 h;
		struct vmm_cpuid_entry2 e[81];
	} a;
	enum pcls c = pick_cls(t);
	uint32_t n, room, i;
	unsigned long p;
	uint64_t errs;
	int must;
	long r;

	n = chance(t, 40) ? n_sup : chance(t, 50) ? rnd(t, 82) : PICK(t, ns);
	room = set ? (n < 81 ? n : 81) : 81;
	a.h.nent = n;
	a.h.padding = 0;
	for (i = 0; i < room; i++) {
		if (set && i < n_sup && chance(t, 80))
			a.e[i] = sup_cpuid->entries[i];
		else
			rfill(t, &a.e[i], sizeof(a.e[i]));
	}
	p = place(t, c, &a, sizeof(a.h) + room * sizeof(a.e[0]));
	must = expect_in(op, c, 0, &errs);
	if (set) {
		if ((c == P_GOOD || c == P_RO) && n <= 80)
			must = MUST_OK;
		if (c != P_BAD && c != P_STRADDLE && n > 80) {
			must = MUST_FAIL;
			errs = E(E2BIG);
		}
	} else if (c == P_GOOD && n >= 80) {
		must = MUST_OK;
	}
	r = call(t, op, o->fd, ops[op].req, p, errs, must, pcls_name[c]);
	if (!set && r == 0 && c == P_GOOD && ((struct vmm_cpuid2 *)p)->nent > 80)
		wrong(t, op, "nent %u", ((struct vmm_cpuid2 *)p)->nent);
}

static void do_signal_mask(struct thr *t, struct obj *o)
{
	static const uint32_t lens[] = { 0, 1, 4, 7, 9, 16, 128, 0xffffffff };
	struct {
		struct vmm_signal_mask h;
		uint8_t set[8];
	} a;
	enum pcls c = pick_cls(t);
	unsigned long p;
	uint64_t errs, mask;
	int must;

	if (chance(t, 15)) {
		call(t, OP_SET_SIGNAL_MASK, o->fd, VMM_SET_SIGNAL_MASK, 0, 0,
		     MUST_OK, "NULL: no mask");
		return;
	}
	a.h.len = chance(t, 80) ? 8 : PICK(t, lens);
	/* Never block the watchdog's kick while in RUN. */
	mask = rnd64(t) & ~(1ULL << (SIGUSR1 - 1));
	if (chance(t, 50))
		mask &= 1ULL << rnd(t, 64);
	memcpy(a.set, &mask, 8);
	p = place(t, c, &a, sizeof(a));
	must = expect_in(OP_SET_SIGNAL_MASK, c, a.h.len == 8 ? MUST_OK : 0, &errs);
	if (c == P_BAD && p == 0) {	/* NULL removes the mask */
		must = MUST_OK;
		errs = 0;
	} else if ((c == P_GOOD || c == P_RO) && a.h.len != 8) {
		must = MUST_FAIL;
		errs = E(EINVAL);
	}
	call(t, OP_SET_SIGNAL_MASK, o->fd, VMM_SET_SIGNAL_MASK, p, errs, must,
	     pcls_name[c]);
}

/* One VMM_RUN, watched by the watchdog. */
static long do_run(struct thr *t, struct obj *o, unsigned long arg,
		   const char *how)
{
	long r;

	t->run_chunk = o->vs->chunk;
	t->rescued = 0;
	__atomic_store_n(&t->run_start, now_ns(), __ATOMIC_RELAXED);
	r = call(t, OP_RUN, o->fd, VMM_RUN, arg,
		 arg ? E(EINVAL) : ops[OP_RUN].errs, arg ? MUST_FAIL : 0, how);
	__atomic_store_n(&t->run_start, 0, __ATOMIC_RELAXED);
	INC(sh->runs);
	return r;
}

static void act_vcpu(struct thr *t)
{
	struct obj *o = obj_get(t, K_VCPU, false);
	struct vmm_regs regs;
	enum pcls c;
	unsigned long p;
	uint64_t errs;
	int must;

	if (!o)
		return;
	switch (rnd(t, 15)) {
	case 0:
		do_run(t, o, chance(t, 85) ? 0 : rval(t) | 1, "raw run");
		break;
	case 1:
		get_out(t, o, OP_GET_REGS, &regs, sizeof(regs));
		break;
	case 2:
		rfill(t, &regs, sizeof(regs));
		if (!unsafe_guests)
			regs.rflags |= X86_IF;
		c = pick_cls(t);
		p = place(t, c, &regs, sizeof(regs));
		must = expect_in(OP_SET_REGS, c, MUST_OK, &errs);
		call(t, OP_SET_REGS, o->fd, VMM_SET_REGS, p, errs, must,
		     pcls_name[c]);
		break;
	case 3:
		get_out(t, o, OP_GET_SREGS, &t->sregs, sizeof(t->sregs));
		break;
	case 4:
	case 5:
		do_set_sregs(t, o);
		break;
	case 6:
		get_out(t, o, OP_GET_FPU, &t->fpu, sizeof(t->fpu));
		break;
	case 7:
		do_set_fpu(t, o);
		break;
	case 8:
		do_msrs(t, o, false);
		break;
	case 9:
	case 10:
		do_msrs(t, o, true);
		break;
	case 11:
		do_cpuid2(t, o, true);
		break;
	case 12:
		do_cpuid2(t, o, false);
		break;
	case 13:
	case 14:
		do_signal_mask(t, o);
		break;
	}
	obj_put(o);
}

/* ------------------------------------------------------------------ */
/* Wrong fds and unknown ioctls                                        */
/* ------------------------------------------------------------------ */

static bool implemented(unsigned long req)
{
	int i;

	for (i = 0; i < OP_WRONG_FD; i++)
		if (ops[i].req == req)
			return true;
	return false;
}

static void act_wrong_fd(struct thr *t)
{
	enum kind k = 1 + rnd(t, 3);
	struct obj *o = k == K_SYS ? NULL : obj_get(t, k, false);
	int fd = o ? o->fd : sys_fd;
	enum op op;

	if (!o)
		k = K_SYS;
	do {
		op = rnd(t, OP_WRONG_FD);
	} while (ops[op].kind == k || ops[op].req == VMM_CHECK_EXTENSION);
	call(t, OP_WRONG_FD, fd, ops[op].req,
	     chance(t, 50) ? (unsigned long)t->buf : rval(t), E(ENOTTY),
	     MUST_FAIL, ops[op].name);
	if (o)
		obj_put(o);
}

/* An ioctl number nobody implements, VFS's own numbers left out. */
static unsigned long unknown_req(struct thr *t)
{
	unsigned long req;
	unsigned int type;

	for (;;) {
		switch (rnd(t, 3)) {
		case 0:		/* vmm's type, any number, size, direction */
			req = _IOC(rnd(t, 4), VMMIO, rnd(t, 256), rnd(t, 1 << 14));
			break;
		case 1:		/* an implemented one with a wrong size */
			req = ops[rnd(t, OP_WRONG_FD)].req;
			req = _IOC(_IOC_DIR(req), _IOC_TYPE(req), _IOC_NR(req),
				   _IOC_SIZE(req) ^ (1U << rnd(t, 13)));
			break;
		default:	/* anything else */
			req = (uint32_t)rnd64(t);
			type = _IOC_TYPE(req);
			if (type == 'T' || type == 'f' || type == 'X' ||
			    type == 0x94 || type == 0x15 || type == 0 ||
			    type == VMMIO)
				continue;
			break;
		}
		if (!implemented(req))
			return req;
	}
}

static void act_unknown(struct thr *t)
{
	enum kind k = 1 + rnd(t, 3);
	struct obj *o = k == K_SYS ? NULL : obj_get(t, k, false);
	int fd = o ? o->fd : sys_fd;

	call(t, OP_UNKNOWN, fd, unknown_req(t),
	     chance(t, 50) ? (unsigned long)t->buf : rval(t), E(ENOTTY),
	     MUST_FAIL, kind_name[o ? k : K_SYS]);
	if (o)
		obj_put(o);
}

/* ------------------------------------------------------------------ */
/* Guests of random instruction bytes                                  */
/* ------------------------------------------------------------------ */

/* Instructions that exit, fault or touch state the module emulates. */
static const char *const snips[] = {
	"\xf4", "\xe6\x80", "\xe4\x80", "\xed", "\xef", "\xec", "\xee",
	"\xf3\x6c", "\xf3\x6e", "\xf3\x6d", "\xf3\x6f", "\x6c", "\x6f",
	"\x0f\xa2", "\x0f\x32", "\x0f\x30", "\x0f\x31", "\x0f\x01\xd0",
	"\x0f\x01\xd1", "\x0f\x01\xc1", "\x0f\x01\xc8", "\x0f\x01\xc9",
	"\x0f\x0b", "\xcc", "\xcd\x03", "\xcd\x80", "\xf1", "\x0f\x22\xc0",
	"\x0f\x22\xd8", "\x0f\x22\xe0", "\x0f\x20\xc0", "\x0f\x23\xf8",
	"\x0f\x21\xc0", "\x0f\x08", "\x0f\x09", "\x0f\x33", "\x0f\x01\xf9",
	"\xfa", "\xfb", "\x9c", "\x9d", "\xcf", "\x0f\x00\xd8",
	"\x0f\x01\x10", "\x0f\x01\x18", "\x8e\xd8", "\x8e\xd0", "\x0f\x05",
	"\x0f\x34", "\x0f\x07", "\x0f\x78\xc0", "\x0f\x01\xc4",
	"\x0f\x01\xc2", "\x0f\x01\xc3", "\x0f\x37", "\x0f\xae\x00",
	"\x0f\xae\x08", "\x0f\xae\x20", "\x0f\xae\x28", "\x0f\xc7\xf0",
	"\x89\x00", "\x8b\x00", "\x88\x00", "\x8a\x00", "\xf3\xa5",
	"\xf3\xa4", "\xa5", "\x0f\x10\x00", "\x0f\x11\x00", "\x66\x0f\x6f\x00",
	"\xc7\x00", "\x87\x00", "\xf0\x01\x00", "\x0f\xb1\x00", "\xff\x20",
	"\xea", "\x9a", "\xe8", "\xe9", "\xeb\xfe", "\xc3", "\xca", "\x66",
	"\x67", "\x48", "\xf3", "\xf2", "\x2e", "\x64",
};

/* Code: snippets, each followed by random immediates, and random bytes. */
static void gen_code(struct thr *t, uint8_t *p, size_t len)
{
	size_t i = 0;

	rfill(t, p, len);
	while (i < len) {
		if (chance(t, 25)) {		/* mov r32, imm32: an address */
			static const uint32_t addrs[] = {
				0xc0000000, 0xfee00000, 0xfec00000, 0x200000,
				0x100000, 0xa0000, 0x7000, 0xffff0000,
			};
			uint32_t a = PICK(t, addrs) + rnd(t, 4096);

			if (i + 5 > len)
				break;
			p[i] = 0xb8 + rnd(t, 8);
			memcpy(p + i + 1, &a, 4);
			i += 5;
		} else if (chance(t, 60)) {
			const char *s = PICK(t, snips);
			size_t n = strlen(s);

			if (i + n > len)
				break;
			memcpy(p + i, s, n);
			i += n + rnd(t, 3);	/* leave random bytes after */
		} else {
			i += 1 + rnd(t, 4);
		}
	}
}

/*
 * Bochs takes no VM exit for a host interrupt while the guest runs with
 * RFLAGS.IF clear (Documentation/testing.rst, Limits): a guest that
 * clears IF and then loops keeps an emulated CPU for good, where real
 * VT-x would exit.  Unless -U is given, guest code therefore holds no
 * instruction that clears IF (CLI, POPF, IRET, INT n, SYSCALL,
 * SYSENTER, SYSRET, SYSEXIT, RSM) nor LGDT/LIDT, wherever decoding
 * starts, and SET_REGS always sets IF.  Exceptions clear IF too: in the
 * protected modes the IDT is empty, so they end in a triple fault; in
 * real mode every vector points at "HLT; JMP back", which exits.  What
 * still gets stuck (a guest may write code) the watchdog rescues.
 */
static bool clears_if(const uint8_t *p, size_t left)
{
	switch (p[0]) {
	case 0x9d: case 0xfa: case 0xcf: case 0xcc: case 0xcd: case 0xce:
	case 0xf1:
		return true;
	case 0x0f:
		if (left < 2)
			return false;
		if (p[1] == 0x05 || p[1] == 0x07 || p[1] == 0x34 ||
		    p[1] == 0x35 || p[1] == 0xaa)
			return true;
		/* 0f 01 /2 and /3 with a memory operand: LGDT, LIDT */
		return p[1] == 0x01 && left >= 3 && (p[2] & 0xc0) != 0xc0 &&
		       ((p[2] >> 3) & 7) >= 2 && ((p[2] >> 3) & 7) <= 3;
	}
	return false;
}

static void sanitize(uint8_t *p, size_t len)
{
	size_t i;

	if (unsafe_guests)
		return;
	for (i = 0; i < len; i++)
		if (clears_if(p + i, len - i))
			p[i] = 0x90;
}

/* Real-mode vectors: all to 0000:0500, which is HLT; JMP back. */
static void real_mode_halt_vectors(uint8_t *mem)
{
	static const uint8_t halt_loop[] = { 0xf4, 0xeb, 0xfd };
	int v;

	for (v = 0; v < 256; v++) {
		mem[4 * v] = 0x00;
		mem[4 * v + 1] = 0x05;
		mem[4 * v + 2] = 0;
		mem[4 * v + 3] = 0;
	}
	memset(mem + 0x400, 0xf4, 0x100);
	memcpy(mem + 0x500, halt_loop, sizeof(halt_loop));
}

/* Set the vCPU up in a random mode over its VM's main region. */
static bool guest_setup(struct thr *t, struct obj *o)
{
	struct vmstate *vs = o->vs;
	enum vmm_mode mode = rnd(t, VMM_MODE_COUNT);
	struct vmm_userspace_memory_region m = { .slot = 0 };
	struct vmm_sregs sregs;
	struct vmm_regs regs;
	uint64_t stack = mode == VMM_MODE_REAL ? G_STACK16 : G_STACK;
	bool ok = true;
	size_t len;
	int r;

	if (call(t, OP_GET_SREGS, o->fd, VMM_GET_SREGS, (unsigned long)&sregs,
		 0, MUST_OK, "guest setup") < 0 ||
	    call(t, OP_GET_REGS, o->fd, VMM_GET_REGS, (unsigned long)&regs, 0,
		 MUST_OK, "guest setup") < 0)
		return false;

	pthread_mutex_lock(&vs->lock);
	if (vs->state[0] != R_RW || chance(t, 5)) {
		region_set(vs, 0, R_RW);
		/* Put slot 0 back where it belongs (it may be gone or moved). */
		m.memory_size = REGION;
		m.userspace_addr = (unsigned long)vs->base;
		if (vs->vm_fd >= 0 &&
		    call(t, OP_SET_USER_MEMORY_REGION, vs->vm_fd,
			 VMM_SET_USER_MEMORY_REGION, (unsigned long)&m,
			 ops[OP_SET_USER_MEMORY_REGION].errs, 0, "slot 0 again") < 0 &&
		    errno == EINVAL) {
			m.memory_size = 0;
			call(t, OP_SET_USER_MEMORY_REGION, vs->vm_fd,
			     VMM_SET_USER_MEMORY_REGION, (unsigned long)&m,
			     ops[OP_SET_USER_MEMORY_REGION].errs, 0, "delete slot 0");
			m.memory_size = REGION;
			call(t, OP_SET_USER_MEMORY_REGION, vs->vm_fd,
			     VMM_SET_USER_MEMORY_REGION, (unsigned long)&m,
			     ops[OP_SET_USER_MEMORY_REGION].errs, 0, "slot 0 again");
		}
	}
	len = 16 + rnd(t, mode == VMM_MODE_REAL ? 0x4000 : 0x8000);
	gen_code(t, vs->base + G_CODE, len);
	sanitize(vs->base + G_CODE, len);
	r = vmm_mode_build(mode, chance(t, 30) ? VMM_SETUP_SMALL_PAGES : 0,
			   vs->base + G_SCRATCH, G_SCRATCH, G_CODE, stack,
			   &sregs, &regs);
	if (!r && mode == VMM_MODE_REAL && !unsafe_guests) {
		/* No GDT in real mode: HLT over the scratch area too. */
		memset(vs->base + G_SCRATCH, 0xf4, VMM_SCRATCH_SIZE);
		real_mode_halt_vectors(vs->base);
	}
	pthread_mutex_unlock(&vs->lock);
	if (r) {
		errno = -r;
		harness_error(t, "vmm_mode_build");
		return false;
	}

	/* Random general registers; RIP, RSP and RFLAGS as built. */
	stack = regs.rsp;
	rfill(t, &regs, 16 * sizeof(uint64_t));
	regs.rsp = stack;
	if (!unsafe_guests || chance(t, 50))
		regs.rflags |= X86_IF;
	if (chance(t, 20)) {
		uint32_t n = n_sup;
		struct {
			struct vmm_cpuid2 h;
			struct vmm_cpuid_entry2 e[80];
		} a = { .h.nent = n };

		memcpy(a.e, sup_cpuid->entries, n * sizeof(a.e[0]));
		call(t, OP_SET_CPUID2, o->fd, VMM_SET_CPUID2, (unsigned long)&a,
		     0, MUST_OK, "supported CPUID");
	}
	/* PAE loads the PDPTEs from memory another thread may unmap. */
	if (call(t, OP_SET_SREGS, o->fd, VMM_SET_SREGS, (unsigned long)&sregs,
		 ops[OP_SET_SREGS].errs, 0, vmm_mode_name(mode)) < 0)
		ok = false;
	if (call(t, OP_SET_REGS, o->fd, VMM_SET_REGS, (unsigned long)&regs, 0,
		 MUST_OK, "guest setup") < 0)
		ok = false;
	return ok;
}

/* Run for a bounded number of exits, answering each with random data. */
static void guest_run(struct thr *t, struct obj *o, int nrun)
{
	struct vmm_run *run = o->run;
	int i;

	if (run)
		run->immediate_exit = chance(t, 3);
	for (i = 0; i < nrun && !LOAD(stop); i++) {
		uint64_t off, len;
		long r;

		r = do_run(t, o, 0, "guest");
		if (r < 0) {
			if (errno == EINTR && run && run->immediate_exit)
				run->immediate_exit = 0;
			else if (errno != EINTR)
				break;
			continue;
		}
		if (!run)
			continue;
		INC(sh->exits[run->exit_reason < 32 ? run->exit_reason : 31]);
		switch (run->exit_reason) {
		case VMM_EXIT_IO:
			off = run->io.data_offset;
			len = (uint64_t)run->io.size * run->io.count;
			if (run->io.direction == VMM_EXIT_IO_IN &&
			    off < (uint64_t)mmap_size &&
			    len <= (uint64_t)mmap_size - off)
				rfill(t, (uint8_t *)run + off, len);
			break;
		case VMM_EXIT_MMIO:
			if (!run->mmio.is_write)
				rfill(t, run->mmio.data, sizeof(run->mmio.data));
			break;
		case VMM_EXIT_HYPERCALL:
			run->hypercall.ret = rval(t);
			break;
		case VMM_EXIT_HLT:
			if (chance(t, 30))
				return;
			break;
		case VMM_EXIT_SHUTDOWN:
		case VMM_EXIT_FAIL_ENTRY:
		case VMM_EXIT_INTERNAL_ERROR:
		case VMM_EXIT_UNKNOWN:
			if (chance(t, 75))
				return;
			break;
		}
	}
}

static void act_guest(struct thr *t)
{
	struct obj *o = obj_get(t, K_VCPU, false);

	if (!o)
		return;
	INC(sh->guests);
	if (guest_setup(t, o) || chance(t, 30))
		guest_run(t, o, 1 + rnd(t, 24));
	obj_put(o);
}

/* ------------------------------------------------------------------ */
/* Memory, mappings, closing                                           */
/* ------------------------------------------------------------------ */

static void act_mem(struct thr *t)
{
	struct obj *o = obj_get(t, chance(t, 50) ? K_VM : K_VCPU, false);
	struct vmstate *vs;
	int i;

	if (!o)
		return;
	vs = o->vs;
	i = rnd(t, NR_REGIONS);
	INC(sh->mem_ops);
	pthread_mutex_lock(&vs->lock);
	switch (rnd(t, 7)) {
	case 6:		/* dirty logging on or off for slot 0, guests running */
		if (vs->vm_fd >= 0) {
			struct vmm_userspace_memory_region m = {
				.slot = 0,
				.flags = chance(t, 60) ? VMM_MEM_LOG_DIRTY_PAGES : 0,
				.memory_size = REGION,
				.userspace_addr = (unsigned long)vs->base,
			};

			call(t, OP_SET_USER_MEMORY_REGION, vs->vm_fd,
			     VMM_SET_USER_MEMORY_REGION, (unsigned long)&m,
			     ops[OP_SET_USER_MEMORY_REGION].errs, 0, "slot 0 logging");
		}
		break;
	case 0:		/* "munmap": the range stays reserved */
		region_set(vs, i, R_NONE);
		break;
	case 1:		/* fresh memory, maybe huge pages */
		region_set(vs, i, R_RW);
		if (chance(t, 50))
			madvise(vs->base + i * REGION, REGION, MADV_HUGEPAGE);
		break;
	case 2:
		if (vs->state[i] == R_RW)
			region_set(vs, i, R_RO);
		break;
	case 3:
		if (vs->state[i] == R_RW)
			madvise(vs->base + i * REGION, REGION, MADV_DONTNEED);
		break;
	case 4:
		if (vs->state[i] == R_RO)
			region_set(vs, i, R_RW);
		break;
	case 5:		/* a slot over this region */
		if (vs->vm_fd >= 0) {
			struct vmm_userspace_memory_region m = {
				.slot = 1 + rnd(t, 31),
				.flags = rnd(t, 4),
				.guest_phys_addr = (uint64_t)rnd(t, 128) * REGION,
				.memory_size = chance(t, 80) ? REGION : 0,
				.userspace_addr = (unsigned long)(vs->base + i * REGION),
			};

			call(t, OP_SET_USER_MEMORY_REGION, vs->vm_fd,
			     VMM_SET_USER_MEMORY_REGION, (unsigned long)&m,
			     ops[OP_SET_USER_MEMORY_REGION].errs, 0, "region slot");
		}
		break;
	}
	pthread_mutex_unlock(&vs->lock);
	obj_put(o);
}

static void act_close(struct thr *t)
{
	unsigned int r = rnd(t, 10);
	struct obj *o = obj_get(t, r < 4 ? K_VM : r < 8 ? K_VCPU : K_SYS, true);

	if (o)
		obj_close(o);
}

static void act_open_sys(struct thr *t)
{
	int fd = open("/dev/vmm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		harness_error(t, "open /dev/vmm");
		return;
	}
	note_fd(fd);
	INC(sh->sys_opens);
	if (!obj_add(K_SYS, fd, NULL, NULL))
		close(fd);
}

/* Unmap a vCPU's run mapping, or map it again. */
static void act_runmap(struct thr *t)
{
	struct obj *o = obj_get(t, K_VCPU, true);
	void *p;

	if (!o)
		return;
	INC(sh->runmaps);
	if (o->run) {
		if (munmap(o->run, mmap_size))
			harness_error(t, "munmap run");
		o->run = NULL;
	} else {
		p = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 o->fd, 0);
		if (p == MAP_FAILED) {
			INC(sh->unexpected);
			event(t, "mmap of vCPU fd %d again failed: %s", o->fd,
			      strerror(errno));
		} else {
			o->run = p;
		}
	}
	pthread_rwlock_unlock(&o->use);
}

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * mmap a vCPU fd with an odd size, offset, protection or sharing, and
 * touch every page: pages past GET_VCPU_MMAP_SIZE must raise SIGBUS,
 * the others must not.
 */
static void act_oddmap(struct thr *t)
{
	static const size_t lens[] = { 1, 4095, 4096, 4097, 8192, 8193, 12288,
				       65536 };
	static const uint64_t offs[] = { 0, 0, 4096, 8192, 12288, 1 << 20,
					 1ULL << 40, 4095, 1 };
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_WRITE, PROT_NONE,
				     PROT_READ | PROT_EXEC };
	struct obj *o = obj_get(t, K_VCPU, false);
	size_t len = PICK(t, lens), pages, k;
	uint64_t off = PICK(t, offs);
	int prot = PICK(t, prots);
	int flags = chance(t, 50) ? MAP_SHARED : MAP_PRIVATE;
	uint8_t *p;

	if (!o)
		return;
	INC(sh->oddmaps);
	p = mmap(NULL, len, prot, flags, o->fd, (off_t)off);
	if (p == MAP_FAILED) {
		INC(sh->oddmap_fail);
		obj_put(o);
		return;
	}
	pages = (len + PG - 1) / PG;
	for (k = 0; (prot & PROT_READ) && k < pages; k++) {
		bool expect = off / PG + k >= (uint64_t)mmap_size / PG;
		volatile bool got = false;
		sigjmp_buf jb;

		if (!sigsetjmp(jb, 1)) {
			bus_jmp = &jb;
			(void)*(volatile uint8_t *)(p + k * PG + rnd(t, PG));
			if ((prot & PROT_WRITE) && flags == MAP_PRIVATE)
				p[k * PG + rnd(t, PG)] = (uint8_t)rnd64(t);
		} else {
			got = true;
		}
		bus_jmp = NULL;
		if (got == expect) {
			INC(sh->sigbus_ok);
		} else if (got) {
			INC(sh->sigbus_bad);
			event(t, "SIGBUS on page %zu of a vCPU mmap at offset %#llx",
			      k, (unsigned long long)off);
		} else {
			INC(sh->sigbus_missing);
			event(t, "no SIGBUS on page %zu of a vCPU mmap at offset %#llx",
			      k, (unsigned long long)off);
		}
	}
	if (munmap(p, len))
		harness_error(t, "munmap odd");
	obj_put(o);
}

/* Random bytes into a vCPU's shared run page, maybe while it runs. */
static void act_garbage(struct thr *t)
{
	struct obj *o = obj_get(t, K_VCPU, false);
	int n;

	if (!o)
		return;
	if (o->run) {
		INC(sh->garbage);
		for (n = 1 + rnd(t, 8); n; n--)
			((uint8_t *)o->run)[rnd(t, (uint32_t)mmap_size)] =
				(uint8_t)rnd64(t);
	}
	obj_put(o);
}

/* ------------------------------------------------------------------ */
/* Fork children (async-signal-safe code only: the parent has threads) */
/* ------------------------------------------------------------------ */

enum { FD_OTHER, FD_SYS, FD_VM, FD_VCPU };

static int fd_kind(int fd)
{
	char path[32] = "/proc/self/fd/", link[64], digits[12];
	int n = 0, i = 14;
	ssize_t len;

	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd);
	while (n)
		path[i++] = digits[--n];
	path[i] = 0;
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return FD_OTHER;
	link[len] = 0;
	if (!strcmp(link, "anon_inode:vmm-vm"))
		return FD_VM;
	if (!strcmp(link, "anon_inode:vmm-vcpu"))
		return FD_VCPU;
	if (!strcmp(link, "/dev/vmm"))
		return FD_SYS;
	return FD_OTHER;
}

/* The parent's VM and vCPU fds: every vmm ioctl must be EIO here. */
static int child_foreign(struct thr *t)
{
	uint8_t buf[4096];
	int fd, top = LOAD(max_fd), bad = 0, i;

	for (fd = 3; fd <= top; fd++) {
		int k = fd_kind(fd);

		if (k != FD_VM && k != FD_VCPU)
			continue;
		for (i = 0; i < 3; i++) {
			unsigned long req = chance(t, 80) ?
					    ops[rnd(t, OP_WRONG_FD)].req :
					    unknown_req(t);

			memset(buf, 0, sizeof(buf));
			INC(sh->child_checks);
			if (ioctl(fd, req, chance(t, 70) ? (unsigned long)buf :
				  rval(t)) != -1 || errno != EIO) {
				INC(sh->child_eio_bad);
				bad = 1;
			}
		}
	}
	return bad;
}

/* A VM of the child's own, run until the parent kills it (or not). */
static int child_own_vm(struct thr *t)
{
	struct vmm_userspace_memory_region m = { .slot = 0 };
	struct vmm_sregs s;
	struct vmm_regs regs;
	struct vmm_run *run[4] = { NULL };
	int vm, vcpu[4], n = 1 + rnd(t, 4), i, j;
	uint8_t *mem;

	vm = ioctl(sys_fd, VMM_CREATE_VM, 0);
	if (vm < 0)
		return errno == ENOMEM || errno == EMFILE ? 0 : 10;
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 0;
	gen_code(t, mem, 1 << 16);
	sanitize(mem, 1 << 16);
	if (!unsafe_guests)
		real_mode_halt_vectors(mem);
	m.memory_size = 1 << 20;
	m.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, VMM_SET_USER_MEMORY_REGION, &m))
		return 11;
	for (i = 0; i < n; i++) {
		vcpu[i] = ioctl(vm, VMM_CREATE_VCPU, i);
		if (vcpu[i] < 0)
			return errno == ENOMEM ? 0 : 12;
		run[i] = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, vcpu[i], 0);
		if (run[i] == MAP_FAILED)
			return 13;
		if (ioctl(vcpu[i], VMM_GET_SREGS, &s))
			return 14;
		s.cs.base = 0;
		s.cs.selector = 0;
		if (ioctl(vcpu[i], VMM_SET_SREGS, &s))
			return 15;
		memset(&regs, 0, sizeof(regs));
		regs.rip = 0x1000 + rnd(t, 0xe000);
		regs.rflags = 2 | X86_IF;
		if (ioctl(vcpu[i], VMM_SET_REGS, &regs))
			return 16;
	}
	if (chance(t, 30))
		close(vm);
	for (j = 0; j < 64; j++) {
		i = rnd(t, n);
		if (j == 8 && chance(t, 30))
			munmap(mem, 1 << 20);
		if (ioctl(vcpu[i], VMM_RUN, 0))
			continue;
		if (run[i]->exit_reason == VMM_EXIT_IO &&
		    run[i]->io.direction == VMM_EXIT_IO_IN &&
		    run[i]->io.data_offset < (uint64_t)mmap_size &&
		    (uint64_t)run[i]->io.size * run[i]->io.count <=
		    (uint64_t)mmap_size - run[i]->io.data_offset)
			rfill(t, (uint8_t *)run[i] + run[i]->io.data_offset,
			      (size_t)run[i]->io.size * run[i]->io.count);
	}
	return 0;
}

/*
 * Fill the fd table: CREATE_VM and CREATE_VCPU must say EMFILE (and a
 * duplicate id still EEXIST, checked before the fd); with one fd free
 * CREATE_VCPU works again.
 */
static int child_fdlimit(struct thr *t)
{
	struct rlimit rl;
	int vm, d, last = -1, bad = 0;

	(void)t;
	vm = ioctl(sys_fd, VMM_CREATE_VM, 0);
	if (vm < 0)
		return 0;
	if (ioctl(vm, VMM_CREATE_VCPU, 0) < 0)
		return 20;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	rl.rlim_cur = (rlim_t)(vm > LOAD(max_fd) ? vm : LOAD(max_fd)) + 8;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	while ((d = dup(sys_fd)) >= 0)
		last = d;
	if (errno != EMFILE || last < 0)
		return 0;
	INC(sh->child_checks);
	if (ioctl(sys_fd, VMM_CREATE_VM, 0) != -1 || errno != EMFILE)
		bad |= 1;
	if (ioctl(vm, VMM_CREATE_VCPU, 1) != -1 || errno != EMFILE)
		bad |= 2;
	if (ioctl(vm, VMM_CREATE_VCPU, 0) != -1 || errno != EEXIST)
		bad |= 4;
	close(last);
	if (ioctl(vm, VMM_CREATE_VCPU, 1) < 0 && errno != ENOMEM)
		bad |= 8;
	if (bad)
		INC(sh->child_emfile_bad);
	return bad ? 20 + bad : 0;
}

static void act_fork(struct thr *t)
{
	static const char *const what[] = { "foreign fds", "own VM", "fd limit" };
	int variant = rnd(t, 3), status = 0;
	bool killed = false;
	uint64_t start;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		harness_error(t, "fork");
		return;
	}
	if (!pid) {
		int r;

		t->rng ^= 0x5555;
		r = variant == 0 ? child_foreign(t) :
		    variant == 1 ? child_own_vm(t) : child_fdlimit(t);
		_exit(r);
	}
	INC(sh->forks);
	nap(rnd(t, 40) * 1000000ULL);
	if (variant == 1 && chance(t, 60)) {
		kill(pid, SIGKILL);
		killed = true;
	}
	start = now_ns();
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			harness_error(t, "waitpid");
			return;
		}
		if (!killed && now_ns() - start > 500000000ULL) {
			kill(pid, SIGKILL);
			killed = true;
			start = now_ns();
		}
		if (killed && now_ns() - start > 30000000000ULL) {
			INC(sh->child_hung);
			event(t, "child %d (%s) not gone 30 s after SIGKILL",
			      (int)pid, what[variant]);
			return;
		}
		nap(5000000);
	}
	if (killed)
		INC(sh->kills);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && killed)
		return;
	INC(sh->child_bad_exit);
	if (WIFEXITED(status))
		event(t, "child (%s) exited with %d", what[variant],
		      WEXITSTATUS(status));
	else
		event(t, "child (%s) killed by signal %d", what[variant],
		      WTERMSIG(status));
}

/* ------------------------------------------------------------------ */
/* The worker                                                          */
/* ------------------------------------------------------------------ */

static const struct action {
	void (*fn)(struct thr *t);
	unsigned int weight;
} actions[] = {
	{ act_sys, 8 }, { act_vm, 16 }, { act_vcpu, 24 }, { act_guest, 14 },
	{ act_close, 4 }, { act_mem, 6 }, { act_runmap, 2 }, { act_oddmap, 3 },
	{ act_garbage, 2 }, { act_fork, 1 }, { act_wrong_fd, 4 },
	{ act_unknown, 4 }, { act_open_sys, 1 },
};

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	unsigned int total = 0, i, r;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		total += actions[i].weight;
	while (!LOAD(stop)) {
		if (max_actions && INC(sh->actions) >= max_actions)
			break;
		if (!max_actions)
			INC(sh->actions);
		/* Without VMs most actions have nothing to work on. */
		if (!chance(t, 90) || !LOAD(sh->vms)) {
			struct obj *o = obj_get(t, K_VM, false);

			if (o)
				obj_put(o);
			else
				do_create_vm(t, sys_fd);
		}
		r = rnd(t, total);
		for (i = 0; r >= actions[i].weight; i++)
			r -= actions[i].weight;
		actions[i].fn(t);
	}
	return NULL;
}

/*
 * A RUN that a kick does not end: on Bochs, a guest looping with IF
 * clear (see sanitize()).  Fill the guest memory of chunk c (all chunks
 * if c < 0: slots may alias any of them) with HLT, which exits whatever
 * IF says.  Under pool_lock, so that no chunk changes hands meanwhile.
 */
static void rescue(int c)
{
	int i, r;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < MAX_VMS; i++) {
		struct vmstate *vs = chunk_vs[i];

		if (!vs || (c >= 0 && i != c))
			continue;
		pthread_mutex_lock(&vs->lock);
		for (r = 0; r < NR_REGIONS; r++) {
			uint8_t *p = vs->base + r * REGION;

			if (vs->state[r] == R_RO)
				mprotect(p, REGION, PROT_READ | PROT_WRITE);
			if (vs->state[r] != R_NONE)
				memset(p, 0xf4, REGION);
			if (vs->state[r] == R_RO)
				mprotect(p, REGION, PROT_READ);
		}
		pthread_mutex_unlock(&vs->lock);
	}
	pthread_mutex_unlock(&pool_lock);
}

/* Kick RUNs that last too long; end the run at the deadline. */
static void *watchdog_main(void *arg)
{
	int *done = arg, i;

	while (!LOAD(*done)) {
		uint64_t now = now_ns();

		if (now >= deadline_ns)
			__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		for (i = 0; i < nthreads; i++) {
			uint64_t s = LOAD(thr[i].run_start);

			if (s && (LOAD(stop) || now - s > KICK_NS)) {
				pthread_kill(thr[i].tid, SIGUSR1);
				INC(sh->kicks);
			}
			if (s && !unsafe_guests &&
			    now - s > (thr[i].rescued + 1) * RESCUE_NS) {
				rescue(thr[i].rescued ? -1 : thr[i].run_chunk);
				thr[i].rescued++;
				INC(sh->rescues);
			}
		}
		nap(20000000);
	}
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig;
}

static void *map_or_die(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		harness_error(NULL, "mmap");
		_exit(2);
	}
	return p;
}

static int worker(void)
{
	struct sigaction sa = { 0 };
	pthread_t wd;
	int done = 0, i;
	uint8_t *a;

	sa.sa_handler = on_kick;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: RUN returns */
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sys_fd = open("/dev/vmm", O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		harness_error(NULL, "open /dev/vmm");
		return 2;
	}
	note_fd(sys_fd);
	mmap_size = ioctl(sys_fd, VMM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (long)PG) {
		harness_error(NULL, "GET_VCPU_MMAP_SIZE");
		return 2;
	}
	sup_cpuid = calloc(1, sizeof(*sup_cpuid) + 80 * sizeof(sup_cpuid->entries[0]));
	if (!sup_cpuid)
		return 2;
	sup_cpuid->nent = 80;
	if (ioctl(sys_fd, VMM_GET_SUPPORTED_CPUID, sup_cpuid) == 0)
		n_sup = sup_cpuid->nent;
	else
		harness_error(NULL, "GET_SUPPORTED_CPUID");
	{
		struct {
			struct vmm_msr_list h;
			uint32_t idx[64];
		} l = { .h.nmsrs = 64 };

		if (ioctl(sys_fd, VMM_GET_MSR_INDEX_LIST, &l) == 0 &&
		    l.h.nmsrs <= 64) {
			n_msrs = l.h.nmsrs;
			memcpy(msr_list, l.idx, n_msrs * sizeof(uint32_t));
		} else {
			harness_error(NULL, "GET_MSR_INDEX_LIST");
		}
	}
	for (i = 0; i < 256; i++)
		cap_seen[i] = -2;

	/* The arena: 2 MiB aligned, reserved, nothing else ever lands in it. */
	a = mmap(NULL, ARENA_SIZE + REGION, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == MAP_FAILED) {
		harness_error(NULL, "arena");
		return 2;
	}
	arena = (uint8_t *)(((unsigned long)a + REGION - 1) & ~(REGION - 1));

	for (i = 0; i < POOL; i++)
		pthread_rwlock_init(&pool[i].use, NULL);
	for (i = 0; i < nthreads; i++) {
		struct thr *t = &thr[i];

		t->idx = i;
		t->rng = seed ^ (0x9e3779b97f4a7c15ULL * (i + 1));
		t->buf = map_or_die(BUF_SIZE + PG, PROT_READ | PROT_WRITE);
		mprotect(t->buf + BUF_SIZE, PG, PROT_NONE);
		t->ro = map_or_die(RO_SIZE, PROT_READ);
	}
	deadline_ns = now_ns() + seconds * 1000000000ULL;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&thr[i].tid, NULL, thread_main, &thr[i])) {
			harness_error(NULL, "pthread_create");
			return 2;
		}
	if (pthread_create(&wd, NULL, watchdog_main, &done)) {
		harness_error(NULL, "pthread_create");
		return 2;
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(thr[i].tid, NULL);
	__atomic_store_n(&done, 1, __ATOMIC_RELAXED);
	pthread_join(wd, NULL);

	/* Close about half; process exit closes the rest. */
	for (i = 0; i < POOL; i++) {
		struct obj *o = &pool[i];

		if (o->kind != K_NONE && (seed >> (i % 64)) & 1 &&
		    !pthread_rwlock_trywrlock(&o->use))
			obj_close(o);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The supervisor                                                      */
/* ------------------------------------------------------------------ */

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Wait up to 10 s for the file to read want; returns the last value. */
static int wait_int(const char *path, int want)
{
	int v = read_int(path), i;

	for (i = 0; i < 100 && v != want; i++) {
		usleep(100000);
		v = read_int(path);
	}
	return v;
}

GUEST_CODE(known_good16, 16,
	"xor %ebx, %ebx\n"
	"mov $100, %ecx\n"
	"1: add %ecx, %ebx\n"
	"dec %ecx\n"
	"jnz 1b\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

GUEST_CODE(known_good32, 32,
	"xor %ebx, %ebx\n"
	"mov $100, %ecx\n"
	"1: add %ecx, %ebx\n"
	"loop 1b\n"
	"mov %ebx, 0x100000\n"
	"mov 0x100000, %ebx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

GUEST_CODE(known_good64, 64,
	"xor %ebx, %ebx\n"
	"mov $100, %ecx\n"
	"1: add %rcx, %rbx\n"
	"loop 1b\n"
	"mov %ebx, %esi\n"
	"xor %eax, %eax\n"
	"cpuid\n"
	"mov %esi, %ebx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

/* A fresh VM runs a guest that must report 5050; false with a diag. */
static bool known_good(enum vmm_mode mode, const void *code, size_t len)
{
	struct vmm_dev *dev = NULL;
	struct vmm_vm *vm = NULL;
	struct vmm_vcpu *vcpu;
	struct vmm_regs regs;
	struct vmm_run *run;
	bool ok = false;
	int r;

	r = vmm_open(VMM_DEFAULT_DEVICE, &dev);
	if (!r)
		r = vmm_vm_create(dev, &vm);
	if (!r)
		r = vmm_mem_add(vm, 0, 0, 4 << 20, VMM_MEM_NO_HUGE, NULL);
	if (!r)
		r = vmm_vcpu_create(vm, 0, &vcpu);
	if (!r)
		r = vmm_load_flat(vm, TEST_CODE_GPA, code, len);
	if (!r)
		r = vmm_vcpu_setup_mode(vcpu, mode, 0, TEST_SCRATCH_GPA,
					TEST_CODE_GPA,
					mode == VMM_MODE_REAL ? TEST_STACK_TOP16 :
								TEST_STACK_TOP);
	if (!r)
		r = vmm_vcpu_run(vcpu);
	if (r) {
		tap_diag("known-good %s guest: %s", vmm_mode_name(mode),
			 strerror(-r));
		goto out;
	}
	run = vmm_vcpu_run_data(vcpu);
	r = vmm_vcpu_get_regs(vcpu, &regs);
	ok = !r && run->exit_reason == VMM_EXIT_IO && run->io.port == UCALL_PORT &&
	     (uint32_t)regs.rax == UCALL_REPORT && (uint32_t)regs.rbx == 5050;
	if (!ok)
		tap_diag("known-good %s guest: exit %s, eax %#llx ebx %llu",
			 vmm_mode_name(mode), vmm_exit_reason_name(run->exit_reason),
			 (unsigned long long)regs.rax,
			 (unsigned long long)regs.rbx);
out:
	if (vm)
		vmm_vm_destroy(vm);
	if (dev)
		vmm_close(dev);
	return ok;
}

/*
 * Found while writing this fuzzer (and fixed on main meanwhile by the
 * slot size limit, which misuse_test checks too): a dirty-logged slot
 * of 64 TiB over unmapped user space made the module ask kvmalloc() for
 * a 2 GiB bitmap, and kvmalloc WARNs on that.  Slots are capped at
 * 2^31 - 1 pages now, as in KVM.
 */
static bool huge_slots(void)
{
	struct vmm_userspace_memory_region m = {
		.slot = 1, .userspace_addr = PG,
	};
	int sys, vm, r[4], e[4];

	sys = open("/dev/vmm", O_RDWR | O_CLOEXEC);
	vm = sys < 0 ? -1 : ioctl(sys, VMM_CREATE_VM, 0);
	if (vm < 0) {
		tap_diag("huge slots: no VM: %s", strerror(errno));
		if (sys >= 0)
			close(sys);
		return false;
	}
	m.flags = VMM_MEM_LOG_DIRTY_PAGES;
	m.memory_size = 1ULL << 46;		/* 2^34 pages, logged */
	r[0] = ioctl(vm, VMM_SET_USER_MEMORY_REGION, &m);
	e[0] = errno;
	m.flags = 0;
	m.memory_size = (MAX_SLOT_PAGES + 1) * PG;
	r[1] = ioctl(vm, VMM_SET_USER_MEMORY_REGION, &m);
	e[1] = errno;
	m.memory_size = MAX_SLOT_PAGES * PG;	/* the largest */
	r[2] = ioctl(vm, VMM_SET_USER_MEMORY_REGION, &m);
	e[2] = errno;
	m.memory_size = 0;
	r[3] = ioctl(vm, VMM_SET_USER_MEMORY_REGION, &m);
	e[3] = errno;
	tap_diag("huge slots: 64 TiB logged %d %s, 2^31 pages %d %s, 2^31 - 1 pages %d %s, delete %d %s",
		 r[0], r[0] ? errname(e[0]) : "", r[1], r[1] ? errname(e[1]) : "",
		 r[2], r[2] ? errname(e[2]) : "", r[3], r[3] ? errname(e[3]) : "");
	close(vm);
	close(sys);
	return r[0] == -1 && e[0] == EINVAL && r[1] == -1 && e[1] == EINVAL &&
	       !r[2] && !r[3];
}

/* Kernel log lines that mean the module (or the kernel) went wrong. */
static bool kmsg_bad(const char *l)
{
	static const char *const pats[] = {
		"BUG:", "WARNING:", "Oops", "general protection", "kernel BUG",
		"INFO: task", "lockdep", "KASAN", "UBSAN", "rcu_sched",
		"rcu: INFO", "refcount_t:", "list_add corruption",
		"list_del corruption", "Call Trace", "stack-protector",
		"unable to handle", "soft lockup", "hard LOCKUP", "kmemleak",
		"BUG kmalloc", "Bad page", "page dumped",
	};
	size_t i;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (strstr(l, pats[i]))
			return true;
	return false;
}

/* Read what the kernel log gained since fd was opened; count bad lines. */
static int kmsg_check(int fd)
{
	char rec[2048];
	int bad = 0, shown = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (kmsg_bad(rec)) {
			char *msg = strchr(rec, ';'), *nl;

			msg = msg ? msg + 1 : rec;
			nl = strchr(msg, '\n');
			if (nl)
				*nl = 0;
			bad++;
			if (shown++ < 20)
				tap_diag("kernel: %s", msg);
		}
	}
	return bad;
}

static void print_ring(int i)
{
	unsigned int p = sh->ring_pos[i], k;

	tap_diag("thread %d, its last calls (oldest first):", i);
	for (k = p > RING ? p - RING : 0; k < p; k++) {
		struct rec *r = &sh->ring[i][k % RING];

		tap_diag("  #%u %s fd %d req %#llx arg %#llx -> %s%lld %s",
			 r->seq, r->op < NR_OPS ? ops[r->op].name : "?", r->fd,
			 (unsigned long long)r->req, (unsigned long long)r->arg,
			 r->pending ? "(in progress) " : "", (long long)r->ret,
			 r->ret < 0 ? errname(r->err) : "");
	}
}

static void dump_stacks(pid_t pid)
{
	char path[320], line[256];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		tap_diag("task %s kernel stack:", de->d_name);
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			tap_diag("  %s", line);
		}
		fclose(f);
	}
	closedir(d);
}

static void print_stats(void)
{
	char line[512];
	size_t n;
	int i;

	for (i = 0; i < NR_OPS; i++) {
		int e;

		if (!sh->op_calls[i])
			continue;
		n = snprintf(line, sizeof(line), "%-22s %7llu calls %7llu ok",
			     ops[i].name, (unsigned long long)sh->op_calls[i],
			     (unsigned long long)sh->op_ok[i]);
		for (e = 0; e < 134 && n < sizeof(line) - 32; e++)
			if (sh->op_errnos[i][e])
				n += snprintf(line + n, sizeof(line) - n, " %s %u",
					      errname(e), sh->op_errnos[i][e]);
		tap_diag("  %s", line);
	}
	n = snprintf(line, sizeof(line), "errnos:");
	for (i = 0; i < 134 && n < sizeof(line) - 32; i++)
		if (sh->errnos[i])
			n += snprintf(line + n, sizeof(line) - n, " %s %llu",
				      errname(i), (unsigned long long)sh->errnos[i]);
	tap_diag("%s", line);
	n = snprintf(line, sizeof(line), "guest exits:");
	for (i = 0; i < 32 && n < sizeof(line) - 40; i++)
		if (sh->exits[i])
			n += snprintf(line + n, sizeof(line) - n, " %s %llu",
				      vmm_exit_reason_name(i),
				      (unsigned long long)sh->exits[i]);
	tap_diag("%s", line);
	tap_diag("watchdog rescues (guest memory filled with HLT after a kick did not end a RUN): %llu",
		 (unsigned long long)sh->rescues);
	tap_diag("actions %llu: VMs %llu, vCPUs %llu, /dev/vmm opens %llu, closes %llu, guests %llu, RUNs %llu, watchdog kicks %llu",
		 (unsigned long long)sh->actions, (unsigned long long)sh->vms,
		 (unsigned long long)sh->vcpus,
		 (unsigned long long)sh->sys_opens,
		 (unsigned long long)sh->closes,
		 (unsigned long long)sh->guests, (unsigned long long)sh->runs,
		 (unsigned long long)sh->kicks);
	tap_diag("memory changes %llu, run unmaps/remaps %llu, odd mmaps %llu (%llu refused), run page garbage %llu, forks %llu (%llu killed)",
		 (unsigned long long)sh->mem_ops,
		 (unsigned long long)sh->runmaps,
		 (unsigned long long)sh->oddmaps,
		 (unsigned long long)sh->oddmap_fail,
		 (unsigned long long)sh->garbage,
		 (unsigned long long)sh->forks, (unsigned long long)sh->kills);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-t SECONDS] [-n ACTIONS] [-j THREADS] [-v] [-U]\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	int base_vms, base_ref, vms, ref, kfd, status = 0, opt, i;
	bool seeded = false, hung = false, good;
	uint64_t start, limit;
	pid_t pid, w;

	if (getenv("VMM_FUZZ_SECONDS"))
		seconds = (unsigned int)strtoul(getenv("VMM_FUZZ_SECONDS"),
						NULL, 0);
	while ((opt = getopt(argc, argv, "s:t:n:j:vUh")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 't':
			seconds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			max_actions = strtoull(optarg, NULL, 0);
			break;
		case 'j':
			nthreads = atoi(optarg);
			if (nthreads < 1 || nthreads > MAX_THREADS)
				usage(argv[0]);
			break;
		case 'v':
			verbose = true;
			break;
		case 'U':
			unsafe_guests = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003ULL ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
	}
	if (access("/dev/vmm", F_OK))
		tap_skip_all("/dev/vmm not present (module not loaded?)");

	tap_plan(10);
	tap_diag("seed %llu: reproduce with %s -s %llu -t %u -j %d%s",
		 (unsigned long long)seed, argv[0], (unsigned long long)seed,
		 seconds, nthreads, max_actions ? " -n ..." : "");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(sh != MAP_FAILED, "mmap shared");
	base_vms = read_int(VMS_PATH);
	base_ref = read_int(REFCNT_PATH);
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);

	tap_ok(huge_slots(),
	       "slots of 2^31 pages or more are EINVAL (a 64 TiB dirty-logged one made kvmalloc WARN)");

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid)
		_exit(worker());

	start = now_ns();
	limit = start + (seconds + 120ULL) * 1000000000ULL;
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (now_ns() > limit && !hung) {
			hung = true;
			tap_diag("the worker did not finish %u s after its deadline",
				 120);
			dump_stacks(pid);
			for (i = 0; i < nthreads; i++)
				print_ring(i);
			kill(pid, SIGKILL);
			limit = now_ns() + 30000000000ULL;
		} else if (now_ns() > limit) {
			tap_diag("the worker is still there 30 s after SIGKILL: stuck in the kernel");
			dump_stacks(pid);
			break;
		}
		usleep(100000);
	}

	tap_ok(w == pid && !hung && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       sh->calls > 0,
	       "fuzz: %llu calls over %llu fds at most in %d threads for %u s, seed %llu",
	       (unsigned long long)sh->calls, (unsigned long long)sh->max_fds + 1,
	       nthreads, seconds, (unsigned long long)seed);
	tap_diag("the worker took %.1f s for a %u s run (it stops at the first action after the deadline)",
		 (now_ns() - start) / 1e9, seconds);
	print_stats();
	for (i = 0; i < sh->nevents && i < MAX_EVENTS; i++)
		tap_diag("event (thread %d): %s", sh->ev[i].thread,
			 sh->ev[i].text);
	if (sh->nevents > MAX_EVENTS)
		tap_diag("... and %d more events", sh->nevents - MAX_EVENTS);
	if (sh->harness_err)
		tap_diag("%llu harness errors (see events)",
			 (unsigned long long)sh->harness_err);

	if (w == pid && WIFSIGNALED(status)) {
		tap_diag("worker killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		for (i = 0; i < nthreads; i++)
			print_ring(i);
	}
	tap_ok(w == pid && !hung && !WIFSIGNALED(status) && !sh->child_bad_exit &&
	       !sh->child_hung,
	       "no process killed by a signal it did not ask for, none hung (children: %llu bad exits, %llu hung)",
	       (unsigned long long)sh->child_bad_exit,
	       (unsigned long long)sh->child_hung);
	tap_ok(!sh->unexpected && !sh->wrong_value,
	       "every ioctl returned success or a documented errno (%llu unexpected errnos, %llu wrong values)",
	       (unsigned long long)sh->unexpected,
	       (unsigned long long)sh->wrong_value);
	tap_ok(!sh->must_fail_ok && !sh->must_ok_failed,
	       "bad pointers and invalid arguments failed, valid ones succeeded (%llu wrongly succeeded, %llu wrongly failed)",
	       (unsigned long long)sh->must_fail_ok,
	       (unsigned long long)sh->must_ok_failed);
	tap_ok(!sh->child_eio_bad && !sh->child_emfile_bad,
	       "fork children: EIO on another process's VM and vCPU fds, EMFILE on a full fd table (%llu checks, %llu + %llu wrong)",
	       (unsigned long long)sh->child_checks,
	       (unsigned long long)sh->child_eio_bad,
	       (unsigned long long)sh->child_emfile_bad);
	tap_ok(!sh->sigbus_bad && !sh->sigbus_missing,
	       "vCPU mmaps: SIGBUS exactly past GET_VCPU_MMAP_SIZE (%llu pages right, %llu + %llu wrong)",
	       (unsigned long long)sh->sigbus_ok,
	       (unsigned long long)sh->sigbus_bad,
	       (unsigned long long)sh->sigbus_missing);

	if (w != pid)
		tap_bail("the worker is stuck in the kernel; the module cannot be checked further");
	start = now_ns();
	vms = wait_int(VMS_PATH, base_vms);
	ref = wait_int(REFCNT_PATH, base_ref);
	tap_diag("VMs gone %.1f s after the worker", (now_ns() - start) / 1e9);
	tap_ok(base_vms >= 0 && vms == base_vms && ref == base_ref,
	       "no VM left after every fd was closed (vms %d -> %d, module refcnt %d -> %d)",
	       base_vms, vms, base_ref, ref);

	good = known_good(VMM_MODE_REAL, GUEST_CODE_PTR(known_good16),
			  GUEST_CODE_LEN(known_good16));
	good &= known_good(VMM_MODE_PROT32, GUEST_CODE_PTR(known_good32),
			   GUEST_CODE_LEN(known_good32));
	good &= known_good(VMM_MODE_LONG64, GUEST_CODE_PTR(known_good64),
			   GUEST_CODE_LEN(known_good64));
	vms = wait_int(VMS_PATH, base_vms);
	tap_ok(good && vms == base_vms,
	       "the module still runs known-good real, prot32 and long64 guests (vms back to %d)",
	       vms);

	if (kfd < 0) {
		tap_skip("kernel log: /dev/kmsg not readable");
	} else {
		int bad = kmsg_check(kfd);

		tap_ok(!bad, "the kernel log gained no BUG, WARNING or Oops (%d bad lines)",
		       bad);
		close(kfd);
	}
	return tap_finish();
}
