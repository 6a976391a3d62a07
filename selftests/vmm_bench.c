// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_bench: exit-path and start-up figures through the KVM API only, so
 * the same binary measures /dev/vmm and /dev/kvm.
 *
 *   vmm_bench [-d DEV] [-n ITER] [-m MIB] [-r REPS] [-s MIB,MIB...]
 *       print "name ticks" lines: TSC ticks per iteration of
 *         cpuid_exit    a CPUID exit handled in the kernel
 *         out_exit      an OUT exit to userspace and back
 *         hlt_exit      a HLT exit to userspace and back
 *         mmio_write_exit  an MMIO write exit to userspace and back
 *         mmio_read_exit   an MMIO read exit to userspace and back
 *                          (a 4-byte MOV at MMIO_GPA, outside every slot)
 *         vm_touch      create a VM with one vCPU and MIB MiB, let the
 *                       guest write one byte in every 4 KiB page, destroy it
 *         floor_B_SM    the floor of mem_B_SM: the benchmark process
 *                       itself maps SIZE MiB with backing B, writes one
 *                       byte in every 4 KiB page and unmaps it (host page
 *                       allocation and zeroing, which no hypervisor can
 *                       go below); best of REPS
 *         mem_B_SM      for each SIZE of -s (default 16,64,256) and each
 *                       backing B, 4k (MADV_NOHUGEPAGE) and thp (2 MiB
 *                       aligned, MADV_HUGEPAGE): one VM with one vCPU
 *                       whose guest writes one byte in every 4 KiB page
 *                       of SIZE MiB, created, run and destroyed, in total
 *                       (best of REPS); then on the same line "floor" and
 *                       the floor's ticks, "faults" (EPT violations of
 *                       the VM, from the vmm generic netlink statistics),
 *                       "faults/MiB" of the touched memory, "ticks/fault"
 *                       (the VM's total over them), "over_floor/fault"
 *                       (the VM's total less the floor, over them),
 *                       "handler/fault" (vmm's time in VMM_RUN outside the
 *                       guest, from the same statistics, in ticks, over
 *                       them: what a fault costs in the module, the
 *                       host's allocation included) and "guest/fault"
 *                       (the guest time the statistics count, likewise):
 *                       "-" where the device gives no statistics (/dev/kvm,
 *                       a module built with VMM_STATS=n)
 *                       "destroy" is the part of the total that the
 *                       VM's destruction took (munmap of its memory, then
 *                       closing the vCPU and the VM) and "floor_unmap" the
 *                       floor's munmap
 *         prefault_B_MM  the same VM of MIB MiB (-m) with backing B, its
 *                       memory all mapped by VMM_PRE_FAULT_MEMORY before
 *                       the guest runs; then "prefault" (the ioctl's
 *                       ticks), "destroy" and "faults" (EPT violations
 *                       left).  A device without the ioctl prints a "#"
 *                       line instead
 *         irq_inject    VMM_INTERRUPT at a HLT exit, the guest's handler
 *                       counts it and IRETs, the guest halts again: an
 *                       injected interrupt and a HLT exit, round trip
 *                       (last: a device without VMM_INTERRUPT prints a
 *                       "#" line instead)
 *   vmm_bench -c A.txt B.txt
 *       print two such outputs side by side with the ratio A/B
 *
 * The guest runs in 64-bit mode with identity-mapped 2 MiB pages.  Under
 * the emulator (clock: sync=none) TSC ticks count emulated work, not
 * wall time.  A benchmark, not a test: it prints figures and judges
 * nothing but its own errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <linux/vmm.h>
#include <linux/vmm_genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "test_util.h"

#define GDT_GPA		0x1000
#define PML4_GPA	0x2000
#define PDPT_GPA	0x3000
#define PD_GPA		0x4000
#define CODE_GPA	0x10000
#define STACK_GPA	0x80000
#define TOUCH_GPA	0x200000
#define MMIO_GPA	0x10000000	/* mapped by the guest, in no slot */
#define IDT_GPA		0x5000
#define IRQ_COUNT_GPA	0x6000
#define IRQ_VECTOR	0x30

/* Guest code: position-independent snippets copied to CODE_GPA. */
#define GUEST(name, body)					\
	asm(".pushsection .rodata\n"				\
	    ".code64\n"						\
	    #name "_start:\n" body "\n" #name "_end:\n"		\
	    ".popsection");					\
	extern const unsigned char name##_start[], name##_end[]

/* r8 = iterations */
GUEST(g_cpuid, "1: xor %eax, %eax; cpuid; dec %r8; jnz 1b; hlt");
GUEST(g_out, "1: out %al, $0x80; jmp 1b");
GUEST(g_hlt, "1: hlt; jmp 1b");
/* rdi = MMIO_GPA */
GUEST(g_mmiow, "1: mov %eax, (%rdi); jmp 1b");
GUEST(g_mmior, "1: mov (%rdi), %eax; jmp 1b");
/* rdi = first byte, r9 = pages */
GUEST(g_touch, "1: movb $1, (%rdi); add $4096, %rdi; dec %r9; jnz 1b; hlt");
/* Interrupt handler at g_irq_handler: counts at IRQ_COUNT_GPA. */
GUEST(g_irq, "sti; 1: hlt; jmp 1b; g_irq_handler: incl 0x6000; iretq");
extern const unsigned char g_irq_handler[];

#define HUGE_SIZE	(2UL << 20)

/* How the guest's memory (or the floor's mapping) is backed. */
enum backing {
	BACK_PLAIN,	/* an anonymous mapping as it comes (vm_touch) */
	BACK_4K,	/* MADV_NOHUGEPAGE */
	BACK_THP,	/* 2 MiB aligned, MADV_HUGEPAGE */
};

static int sys_fd;
static struct vmm_cpuid2 *cpuid;
static int mmap_size;

struct vm {
	int fd, vcpu;
	struct vmm_run *run;
	unsigned char *mem;
	size_t size;
};

static void die(const char *what)
{
	fprintf(stderr, "vmm_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Anonymous memory of size bytes (page aligned; 2 MiB aligned for BACK_THP)
 * backed as asked; munmap(p, size) frees it.
 */
static unsigned char *mem_map(size_t size, enum backing b)
{
	int prot = PROT_READ | PROT_WRITE;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	unsigned char *p, *start;
	size_t extra = b == BACK_THP ? HUGE_SIZE : 0;

	p = mmap(NULL, size + extra, prot, flags, -1, 0);
	if (p == MAP_FAILED)
		die("mmap guest memory");
	start = p;
	if (b == BACK_THP) {
		start = (unsigned char *)(((uintptr_t)p + HUGE_SIZE - 1) &
					  ~(uintptr_t)(HUGE_SIZE - 1));
		if (start > p)
			munmap(p, (size_t)(start - p));
		if (p + extra > start)
			munmap(start + size, (size_t)(p + extra - start));
		if (madvise(start, size, MADV_HUGEPAGE))
			die("MADV_HUGEPAGE");
	} else if (b == BACK_4K && madvise(start, size, MADV_NOHUGEPAGE)) {
		die("MADV_NOHUGEPAGE");
	}
	return start;
}

static void vm_create(struct vm *v, size_t size, enum backing backing,
		      const unsigned char *code, size_t code_len)
{
	struct vmm_userspace_memory_region mem = { 0 };
	struct vmm_segment cs = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 11,
		.present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct vmm_segment ds = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct vmm_segment tr = {
		.limit = 0x67, .selector = 0x18, .type = 11, .present = 1,
	};
	struct vmm_sregs sregs;
	struct vmm_regs regs = { 0 };
	uint64_t *gdt, *pml4, *pdpt, *pd;
	int i;

	v->size = size;
	v->fd = ioctl(sys_fd, VMM_CREATE_VM, 0);
	if (v->fd < 0)
		die("CREATE_VM");
	v->mem = mem_map(size, backing);
	mem.memory_size = size;
	mem.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->fd, VMM_SET_USER_MEMORY_REGION, &mem) < 0)
		die("SET_USER_MEMORY_REGION");

	/* Flat GDT: null, 64-bit code, data, and a TSS slot for TR. */
	gdt = (uint64_t *)(v->mem + GDT_GPA);
	gdt[1] = 0x00af9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	gdt[3] = 0x00008b0000000067ULL;
	/* Identity map of the first GiB in 2 MiB pages. */
	pml4 = (uint64_t *)(v->mem + PML4_GPA);
	pdpt = (uint64_t *)(v->mem + PDPT_GPA);
	pd = (uint64_t *)(v->mem + PD_GPA);
	pml4[0] = PDPT_GPA | 3;
	pdpt[0] = PD_GPA | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	memcpy(v->mem + CODE_GPA, code, code_len);

	v->vcpu = ioctl(v->fd, VMM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		die("CREATE_VCPU");
	v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		die("mmap run");
	/* KVM wants the CPUID set before long mode is entered. */
	if (ioctl(v->vcpu, VMM_SET_CPUID2, cpuid) < 0)
		die("SET_CPUID2");
	if (ioctl(v->vcpu, VMM_GET_SREGS, &sregs) < 0)
		die("GET_SREGS");
	sregs.cs = cs;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
	sregs.tr = tr;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 0x620;		/* OSXMMEXCPT OSFXSR PAE */
	sregs.efer = 0x500;		/* LMA LME */
	if (ioctl(v->vcpu, VMM_SET_SREGS, &sregs) < 0)
		die("SET_SREGS");
	regs.rip = CODE_GPA;
	regs.rsp = STACK_GPA;
	regs.rflags = 2;
	regs.rdi = TOUCH_GPA;
	regs.r8 = 1;
	regs.r9 = 1;
	if (ioctl(v->vcpu, VMM_SET_REGS, &regs) < 0)
		die("SET_REGS");
}

static void vm_destroy(struct vm *v)
{
	munmap(v->run, mmap_size);
	munmap(v->mem, v->size);
	close(v->vcpu);
	close(v->fd);
}

/* Restart the guest at its first instruction with r8 or r9 = val. */
static void set_reg(struct vm *v, int r8, uint64_t val)
{
	struct vmm_regs regs;

	if (ioctl(v->vcpu, VMM_GET_REGS, &regs) < 0)
		die("GET_REGS");
	regs.rip = CODE_GPA;
	if (r8)
		regs.r8 = val;
	else
		regs.r9 = val;
	if (ioctl(v->vcpu, VMM_SET_REGS, &regs) < 0)
		die("SET_REGS");
}

static void run_expect(struct vm *v, unsigned int reason)
{
	if (ioctl(v->vcpu, VMM_RUN, 0) < 0)
		die("RUN");
	if (v->run->exit_reason != reason) {
		struct vmm_regs regs;

		ioctl(v->vcpu, VMM_GET_REGS, &regs);
		fprintf(stderr, "vmm_bench: exit reason %u, expected %u; rip %#llx",
			v->run->exit_reason, reason, (unsigned long long)regs.rip);
		if (v->run->exit_reason == VMM_EXIT_INTERNAL_ERROR)
			fprintf(stderr, " suberror %u data %#llx %#llx",
				v->run->internal.suberror,
				(unsigned long long)v->run->internal.data[0],
				(unsigned long long)v->run->internal.data[1]);
		fprintf(stderr, "\n");
		exit(1);
	}
}

#define SNIPPET(n) n##_start, (size_t)(n##_end - n##_start)

static uint64_t bench_cpuid(long n)
{
	struct vm v;
	uint64_t t;

	vm_create(&v, 2 << 20, BACK_PLAIN, SNIPPET(g_cpuid));
	set_reg(&v, 1, 1000);
	run_expect(&v, VMM_EXIT_HLT);	/* warm-up: EPT faults, caches */
	set_reg(&v, 1, n);
	t = __rdtsc();
	run_expect(&v, VMM_EXIT_HLT);
	t = __rdtsc() - t;
	vm_destroy(&v);
	return t / n;
}

static uint64_t bench_loop(long n, const unsigned char *code, size_t len,
			   unsigned int reason)
{
	struct vmm_regs regs;
	struct vm v;
	uint64_t t;
	long i;

	vm_create(&v, 2 << 20, BACK_PLAIN, code, len);
	if (ioctl(v.vcpu, VMM_GET_REGS, &regs) < 0)
		die("GET_REGS");
	regs.rdi = MMIO_GPA;
	if (ioctl(v.vcpu, VMM_SET_REGS, &regs) < 0)
		die("SET_REGS");
	for (i = 0; i < 100; i++)
		run_expect(&v, reason);
	t = __rdtsc();
	for (i = 0; i < n; i++)
		run_expect(&v, reason);
	t = __rdtsc() - t;
	vm_destroy(&v);
	return t / n;
}

/* ---- EPT violations from the "vmm" generic netlink family ---- */

static struct nl_sock *nl;
static int nl_family = -1;	/* -1: not tried yet, 0: none */

struct ept_count {
	uint64_t violations;
	uint64_t handler_ns;
	uint64_t guest_ns;
	bool seen;
};

static int stats_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VMM_A_MAX + 1];
	struct ept_count *c = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMM_A_MAX, NULL) ||
	    !tb[VMM_A_VCPU_EPT_VIOLATIONS])
		return NL_SKIP;
	c->violations += nla_get_u64(tb[VMM_A_VCPU_EPT_VIOLATIONS]);
	if (tb[VMM_A_VCPU_HANDLER_NS])
		c->handler_ns += nla_get_u64(tb[VMM_A_VCPU_HANDLER_NS]);
	if (tb[VMM_A_VCPU_GUEST_NS])
		c->guest_ns += nla_get_u64(tb[VMM_A_VCPU_GUEST_NS]);
	c->seen = true;
	return NL_OK;
}

/*
 * The EPT violations of the VM behind fd and its vCPUs' handler and
 * guest time, summed over its vCPUs: false where there is no such
 * figure (another device, no statistics).
 */
static bool ept_violations(int fd, uint64_t *n, uint64_t *handler_ns,
			   uint64_t *guest_ns)
{
	struct ept_count c = { 0 };
	uint32_t id = test_fd_vm_id(fd);
	struct nl_msg *msg;
	int r;

	if (!id)
		return false;
	if (nl_family < 0) {
		nl_family = 0;
		nl = nl_socket_alloc();
		if (nl && !genl_connect(nl))
			nl_family = genl_ctrl_resolve(nl, VMM_GENL_NAME);
		if (nl_family < 0)
			nl_family = 0;
	}
	if (!nl_family)
		return false;
	msg = nlmsg_alloc();
	if (!msg)
		return false;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl_family, 0,
			 NLM_F_DUMP, VMM_CMD_STATS_GET, VMM_GENL_VERSION) ||
	    nla_put_u32(msg, VMM_A_VM_ID, id)) {
		nlmsg_free(msg);
		return false;
	}
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, stats_cb, &c);
	r = nl_send_auto(nl, msg);
	nlmsg_free(msg);
	if (r < 0 || nl_recvmsgs_default(nl) < 0 || !c.seen)
		return false;
	*n = c.violations;
	*handler_ns = c.handler_ns;
	*guest_ns = c.guest_ns;
	return true;
}

/* ---- guest memory: VMs touching their memory, and the host's floor ---- */

static const char *const backing_name[] = {
	[BACK_PLAIN] = "plain", [BACK_4K] = "4k", [BACK_THP] = "thp",
};

/*
 * Write one byte in every 4 KiB page of [p, p + size).  The stores stay:
 * p came from mmap and goes to munmap.
 */
static void touch_pages(unsigned char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += 4096)
		p[off] = 1;
}

/* The floor of one size: in total, and of it, the munmap. */
struct floor {
	uint64_t ticks;
	uint64_t unmap;
};

/* The host's own cost of mib MiB backed as b: map, touch, unmap. */
static void bench_floor(int mib, enum backing b, int reps, struct floor *f)
{
	size_t size = (size_t)mib << 20;
	uint64_t t, u;
	unsigned char *p;
	int i;

	f->ticks = UINT64_MAX;
	f->unmap = 0;
	for (i = 0; i < reps; i++) {
		t = __rdtsc();
		p = mem_map(size, b);
		touch_pages(p, size);
		u = __rdtsc();
		munmap(p, size);
		u = __rdtsc() - u;
		t = __rdtsc() - t;
		if (t < f->ticks) {
			f->ticks = t;
			f->unmap = u;
		}
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct mem_result {
	uint64_t ticks;		/* best total of create + touch + destroy */
	uint64_t destroy;	/* of which the destruction */
	uint64_t prefault;	/* of which VMM_PRE_FAULT_MEMORY (prefault) */
	uint64_t faults;	/* EPT violations of that run */
	uint64_t handler;	/* its vCPU's handler time, in ticks */
	uint64_t guest;		/* and its guest time */
	bool have_faults;
};

/*
 * VMM_PRE_FAULT_MEMORY of [gpa, gpa + size) until all of it is done: its
 * ticks, or 0 where the device has no such ioctl.
 */
static uint64_t prefault(struct vm *v, uint64_t gpa, uint64_t size)
{
	struct vmm_pre_fault_memory range = { .gpa = gpa, .size = size };
	uint64_t t = __rdtsc();

	while (range.size)
		if (ioctl(v->vcpu, VMM_PRE_FAULT_MEMORY, &range) < 0) {
			if (errno == ENOTTY || errno == EINVAL)
				return 0;
			if (errno != EINTR && errno != EAGAIN)
				die("PRE_FAULT_MEMORY");
		}
	return __rdtsc() - t;
}

/*
 * A VM whose guest touches mib MiB backed as b, from VM creation to its
 * destruction (with pre_fault, all of it mapped with VMM_PRE_FAULT_MEMORY
 * before the guest runs); the statistics are read between the guest's
 * HLT and the destruction, outside the time.  res->ticks stays
 * UINT64_MAX when pre_fault is asked and the device has no such ioctl.
 */
static void bench_mem(int mib, enum backing b, int reps, bool pre_fault,
		      struct mem_result *res)
{
	uint64_t t0, run, destroy, faults = 0, handler_ns = 0, guest_ns = 0;
	uint64_t ns0, run_ns, pf = 0;
	bool have;
	struct vm v;
	int i;

	res->ticks = UINT64_MAX;
	res->destroy = 0;
	res->prefault = 0;
	for (i = 0; i < reps; i++) {
		ns0 = mono_ns();
		t0 = __rdtsc();
		vm_create(&v, TOUCH_GPA + ((size_t)mib << 20), b,
			  SNIPPET(g_touch));
		set_reg(&v, 0, (uint64_t)mib << 8);
		if (pre_fault) {
			pf = prefault(&v, TOUCH_GPA, (uint64_t)mib << 20);
			if (!pf) {
				vm_destroy(&v);
				return;
			}
		}
		run_expect(&v, VMM_EXIT_HLT);
		run = __rdtsc() - t0;
		run_ns = mono_ns() - ns0;
		have = ept_violations(v.fd, &faults, &handler_ns, &guest_ns);
		t0 = __rdtsc();
		vm_destroy(&v);
		destroy = __rdtsc() - t0;
		if (run + destroy < res->ticks) {
			res->ticks = run + destroy;
			res->destroy = destroy;
			res->prefault = pf;
			res->faults = faults;
			/* The statistics count ns: ticks at this run's rate. */
			res->handler = run_ns ? (uint64_t)((double)handler_ns *
							   run / run_ns) : 0;
			res->guest = run_ns ? (uint64_t)((double)guest_ns *
							 run / run_ns) : 0;
			res->have_faults = have;
		}
	}
}

/* The floor and the VM figures of one size and backing, one line each. */
static void print_mem(int mib, enum backing b, int reps)
{
	const char *name = backing_name[b];
	struct mem_result r;
	struct floor f;

	bench_floor(mib, b, reps, &f);
	bench_mem(mib, b, reps, false, &r);
	printf("floor_%s_%dM %llu\n", name, mib, (unsigned long long)f.ticks);
	printf("mem_%s_%dM %llu floor %llu destroy %llu floor_unmap %llu",
	       name, mib, (unsigned long long)r.ticks,
	       (unsigned long long)f.ticks, (unsigned long long)r.destroy,
	       (unsigned long long)f.unmap);
	if (r.have_faults && r.faults)
		printf(" faults %llu faults/MiB %.1f ticks/fault %llu over_floor/fault %lld handler/fault %llu guest/fault %llu\n",
		       (unsigned long long)r.faults, (double)r.faults / mib,
		       (unsigned long long)(r.ticks / r.faults),
		       ((long long)r.ticks - (long long)f.ticks) /
		       (long long)r.faults,
		       (unsigned long long)(r.handler / r.faults),
		       (unsigned long long)(r.guest / r.faults));
	else
		printf(" faults - faults/MiB - ticks/fault - over_floor/fault - handler/fault - guest/fault -\n");
}

/* The same VM with all of its memory pre-faulted before the guest runs. */
static void print_prefault(int mib, enum backing b, int reps)
{
	struct mem_result r;

	bench_mem(mib, b, reps, true, &r);
	if (r.ticks == UINT64_MAX) {
		printf("# prefault_%s_%dM: the device has no VMM_PRE_FAULT_MEMORY\n",
		       backing_name[b], mib);
		return;
	}
	printf("prefault_%s_%dM %llu prefault %llu destroy %llu",
	       backing_name[b], mib, (unsigned long long)r.ticks,
	       (unsigned long long)r.prefault, (unsigned long long)r.destroy);
	if (r.have_faults)
		printf(" faults %llu\n", (unsigned long long)r.faults);
	else
		printf(" faults -\n");
}

/* The host's THP setting, as a comment: "madvise" lets BACK_THP work. */
static void print_thp_setting(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "(no transparent huge pages)\n";

	if (f) {
		if (!fgets(line, sizeof(line), f))
			strcpy(line, "?\n");
		fclose(f);
	}
	printf("# transparent_hugepage/enabled: %s", line);
}

/* Injection round trip; 0 if the device has no VMM_INTERRUPT. */
static uint64_t bench_irq(long n)
{
	struct vmm_interrupt irq = { .irq = IRQ_VECTOR };
	uint64_t handler = CODE_GPA + (uint64_t)(g_irq_handler - g_irq_start);
	uint64_t gate[2], t;
	struct vmm_sregs sregs;
	struct vm v;
	long i;

	vm_create(&v, 2 << 20, BACK_PLAIN, SNIPPET(g_irq));
	/* A 64-bit interrupt gate, selector 0x08, DPL 0. */
	gate[0] = (handler & 0xffff) | 0x08ULL << 16 | 0x8eULL << 40 |
		  ((handler >> 16) & 0xffff) << 48;
	gate[1] = handler >> 32;
	memcpy(v.mem + IDT_GPA + 16 * IRQ_VECTOR, gate, sizeof(gate));
	if (ioctl(v.vcpu, VMM_GET_SREGS, &sregs) < 0)
		die("GET_SREGS");
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 16 * 256 - 1;
	if (ioctl(v.vcpu, VMM_SET_SREGS, &sregs) < 0)
		die("SET_SREGS");
	run_expect(&v, VMM_EXIT_HLT);
	if (ioctl(v.vcpu, VMM_INTERRUPT, &irq) < 0) {
		printf("# irq_inject: VMM_INTERRUPT: %s\n", strerror(errno));
		vm_destroy(&v);
		return 0;
	}
	run_expect(&v, VMM_EXIT_HLT);
	for (i = 0; i < 100; i++) {
		if (ioctl(v.vcpu, VMM_INTERRUPT, &irq) < 0)
			die("INTERRUPT");
		run_expect(&v, VMM_EXIT_HLT);
	}
	t = __rdtsc();
	for (i = 0; i < n; i++) {
		if (ioctl(v.vcpu, VMM_INTERRUPT, &irq) < 0)
			die("INTERRUPT");
		run_expect(&v, VMM_EXIT_HLT);
	}
	t = __rdtsc() - t;
	if (*(uint32_t *)(v.mem + IRQ_COUNT_GPA) != (uint32_t)n + 101) {
		fprintf(stderr, "vmm_bench: the guest counted %u interrupts, %ld injected\n",
			*(uint32_t *)(v.mem + IRQ_COUNT_GPA), n + 101);
		exit(1);
	}
	vm_destroy(&v);
	return t / n;
}

/*
 * -c: two result files side by side, the figures of A that B has too, in
 * A's order (B may have fewer: another -s list).
 */
static int compare(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	char la[512], lb[512], na[64], nb[64];
	unsigned long long va, vb;
	bool found;

	if (!fa || !fb)
		die("open results");
	printf("%-16s %14s %14s %8s\n", "figure", a, b, "ratio");
	while (fgets(la, sizeof(la), fa)) {
		if (la[0] == '#' || sscanf(la, "%63s %llu", na, &va) != 2)
			continue;
		rewind(fb);
		found = false;
		while (!found && fgets(lb, sizeof(lb), fb))
			found = lb[0] != '#' &&
				sscanf(lb, "%63s %llu", nb, &vb) == 2 &&
				!strcmp(na, nb);
		if (found)
			printf("%-16s %14llu %14llu %8.3f\n", na, va, vb,
			       vb ? (double)va / vb : 0.0);
	}
	fclose(fa);
	fclose(fb);
	return 0;
}

#define MAX_SIZES	8

/* -s: a comma-separated list of sizes in MiB; the count, or -1. */
static int parse_sizes(const char *arg, int *sizes)
{
	const char *p = arg;
	char *end;
	int n = 0;
	long v;

	do {
		if (n == MAX_SIZES)
			return -1;
		v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > 1000 || (*end && *end != ','))
			return -1;
		sizes[n++] = (int)v;
		p = end + 1;
	} while (*end);
	return n;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/vmm";
	int sizes[MAX_SIZES] = { 16, 64, 256 }, nsizes = 3;
	long n = 20000;
	int mib = 64, reps = 2, opt, i;
	struct mem_result touch;
	uint64_t t;

	while ((opt = getopt(argc, argv, "d:n:m:r:s:c")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'm': mib = atoi(optarg); break;
		case 'r': reps = atoi(optarg); break;
		case 's':
			nsizes = parse_sizes(optarg, sizes);
			if (nsizes < 0)
				goto usage;
			break;
		case 'c':
			if (argc - optind != 2)
				goto usage;
			return compare(argv[optind], argv[optind + 1]);
		default:
			goto usage;
		}
	}
	if (n <= 0 || mib <= 0 || mib > 1000 || reps <= 0)
		goto usage;

	sys_fd = open(dev, O_RDWR);
	if (sys_fd < 0)
		die(dev);
	mmap_size = ioctl(sys_fd, VMM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die("GET_VCPU_MMAP_SIZE");
	cpuid = calloc(1, sizeof(*cpuid) + 100 * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = 100;
	if (ioctl(sys_fd, VMM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("GET_SUPPORTED_CPUID");

	printf("# vmm_bench %s: TSC ticks per iteration, %ld iterations, %d MiB touched\n",
	       dev, n, mib);
	print_thp_setting();
	printf("cpuid_exit %llu\n", (unsigned long long)bench_cpuid(n));
	printf("out_exit %llu\n", (unsigned long long)
	       bench_loop(n, SNIPPET(g_out), VMM_EXIT_IO));
	printf("hlt_exit %llu\n", (unsigned long long)
	       bench_loop(n, SNIPPET(g_hlt), VMM_EXIT_HLT));
	printf("mmio_write_exit %llu\n", (unsigned long long)
	       bench_loop(n, SNIPPET(g_mmiow), VMM_EXIT_MMIO));
	printf("mmio_read_exit %llu\n", (unsigned long long)
	       bench_loop(n, SNIPPET(g_mmior), VMM_EXIT_MMIO));
	bench_mem(mib, BACK_PLAIN, reps, false, &touch);
	printf("vm_touch %llu\n", (unsigned long long)touch.ticks);
	for (i = 0; i < nsizes; i++) {
		print_mem(sizes[i], BACK_4K, reps);
		print_mem(sizes[i], BACK_THP, reps);
	}
	print_prefault(mib, BACK_4K, reps);
	print_prefault(mib, BACK_THP, reps);
	t = bench_irq(n);
	if (t)
		printf("irq_inject %llu\n", (unsigned long long)t);
	return 0;
usage:
	fprintf(stderr, "usage: vmm_bench [-d DEV] [-n ITER] [-m MIB] [-r REPS]"
		" [-s MIB,MIB...] | -c A B\n");
	return 2;
}
