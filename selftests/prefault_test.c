// SPDX-License-Identifier: GPL-2.0
/*
 * Cheaper guest memory faults (issue 14): VMM_PRE_FAULT_MEMORY and
 * fault-around.
 *
 * VMM_PRE_FAULT_MEMORY (vCPU ioctl, as KVM's):
 *  - CHECK_EXTENSION(VMM_CAP_PRE_FAULT_MEMORY) is 1;
 *  - -EINVAL for flags or padding not 0, an unaligned gpa or size, size
 *    0, a range that wraps; -ENOENT in no slot; a range that runs past
 *    the end of a slot stops there (0, gpa and size say what is left)
 *    and the next call fails with -ENOENT, leaving them as they are;
 *  - a 4 MiB slot of 4 KiB pages, pre-faulted: the VM's mapped bytes grow
 *    by 4 MiB, and a guest writing every page takes no EPT violation;
 *  - a read-only slot is mapped for reads only: the guest's write still
 *    exits as MMIO, its reads take no EPT violation;
 *  - a writable slot over a PROT_READ host mapping pre-faults (read-only)
 *    and the guest reads it without an exit;
 *  - a slot logging dirty pages: nothing is dirty after the pre-fault,
 *    and after guest writes to N pages exactly those N are;
 *  - racing with MADV_DONTNEED and slot deletion from another thread,
 *    it returns only 0 or -ENOENT, and the guest then reads what the
 *    host wrote last.
 *
 * Fault-around (a guest read of a 4 KiB page the host process has):
 *  - with pages 0..7 of a 64 KiB window written by the host, a guest
 *    read of page 0 maps the other 7 (VMM_A_VCPU_EPT_PREFETCH counts 7,
 *    reading them takes no EPT violation, with the host's data), while
 *    pages 8..15, which the host never touched, stay absent from the
 *    host (mincore) and unmapped;
 *  - a guest write to a page mapped that way (read-only) faults once,
 *    and the host sees the value.
 *
 * Host memory the guest may not have: a guest read of a PROT_NONE page,
 * a guest write to a PROT_READ page and one where the process maps
 * nothing each make VMM_RUN fail with EFAULT (the fault path refuses
 * what get_user_pages refuses), and once the process maps the page the
 * same access completes.
 *
 * A page the host process wrote and then gave up with MADV_FREE (its
 * PTE clean but still writable): the guest reads it (GUP-fast finds it
 * and the leaf is writable), writes it, and MADV_PAGEOUT must not drop
 * that write: the module dirtied the page when it mapped it writable.
 *
 * 2 MiB leaves: a THP-backed slot touched by the guest, and another one
 * pre-faulted, show up in VMM_A_VM_MAPPED_HUGE_BYTES, as many bytes as
 * the host backs with huge pages (THP set to "madvise" for the test if
 * it is "never"; skipped where the kernel has no THP).
 *
 * The counters come from the "vmm" generic netlink family.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vmm_genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "test_util.h"

#define CMD_GPA		0x200000ULL
#define PF_SLOT		1
#define PF_GPA		0x10000000ULL
#define PF_SIZE		(4ULL << 20)
#define RO_SLOT		2
#define RO_GPA		0x11000000ULL
#define RO_PAGES	16
#define LOG_SLOT	3
#define LOG_GPA		0x12000000ULL
#define LOG_PAGES	64
#define FA_SLOT		4
#define FA_GPA		0x13000000ULL	/* 64 KiB aligned */
#define FA_PAGES	32
#define THP_SLOT	5
#define THP_GPA		0x14000000ULL	/* 2 MiB aligned */
#define THP2_SLOT	6
#define THP2_GPA	0x15000000ULL
#define THP_SIZE	(4ULL << 20)
#define RACE_SLOT	7
#define RACE_GPA	0x16000000ULL
#define RACE_PAGES	64
#define PR_SLOT		8
#define PR_GPA		0x17000000ULL
#define PR_PAGES	16
#define UB_SLOT		9
#define UB_GPA		0x18000000ULL
#define UB_PAGES	3
#define LF_SLOT		10
#define LF_GPA		0x19000000ULL
#define PAGE		4096ULL

#define OP_WRITE	1
#define OP_READ		2

/*
 * The guest serves commands the host leaves at CMD_GPA: [0] op, [1] the
 * first address, [2] how many pages, [3] a value, [4] the stride in
 * bytes.  OP_WRITE stores value, value + 1, ... one quadword a page;
 * OP_READ sums the quadwords it reads into RBX.  Then a report.
 */
GUEST_CODE(server, 64,
	"1: mov $" TU_XSTR(CMD_GPA) ", %esi\n"
	"mov (%rsi), %rax\n"
	"mov 8(%rsi), %rdi\n"
	"mov 16(%rsi), %rcx\n"
	"mov 24(%rsi), %rdx\n"
	"mov 32(%rsi), %r8\n"
	"xor %ebx, %ebx\n"
	"test %rcx, %rcx\n jz 4f\n"
	"cmp $" TU_XSTR(OP_WRITE) ", %rax\n jne 3f\n"
	"2: mov %rdx, (%rdi)\n inc %rdx\n add %r8, %rdi\n"
	"dec %rcx\n jnz 2b\n jmp 4f\n"
	"3: add (%rdi), %rbx\n add %r8, %rdi\n dec %rcx\n jnz 3b\n"
	"4:\n" GUEST_UCALL_REPORT
	"jmp 1b\n");

static struct vmm_vm *vm;
static struct vmm_vcpu *vcpu;

/* ------------------------------------------------------------------ */
/* Counters from the "vmm" generic netlink family                      */
/* ------------------------------------------------------------------ */

static struct nl_sock *nl;
static int nl_family;

struct counters {
	uint64_t violations;	/* VMM_A_VCPU_EPT_VIOLATIONS */
	uint64_t mmio;		/* VMM_A_VCPU_EPT_MMIO */
	uint64_t prefetch;	/* VMM_A_VCPU_EPT_PREFETCH */
	uint64_t mapped;	/* VMM_A_VM_MAPPED_BYTES */
	uint64_t huge;		/* VMM_A_VM_MAPPED_HUGE_BYTES */
	unsigned int seen;	/* of the five */
};

static int counters_cb(struct nl_msg *msg, void *arg)
{
	static const int attr[] = {
		VMM_A_VCPU_EPT_VIOLATIONS, VMM_A_VCPU_EPT_MMIO,
		VMM_A_VCPU_EPT_PREFETCH, VMM_A_VM_MAPPED_BYTES,
		VMM_A_VM_MAPPED_HUGE_BYTES,
	};
	struct nlattr *tb[VMM_A_MAX + 1];
	struct counters *c = arg;
	uint64_t *field[] = {
		&c->violations, &c->mmio, &c->prefetch, &c->mapped, &c->huge,
	};

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMM_A_MAX, NULL))
		return NL_SKIP;
	for (unsigned int i = 0; i < sizeof(attr) / sizeof(attr[0]); i++) {
		if (!tb[attr[i]] || nla_len(tb[attr[i]]) != 8)
			continue;
		*field[i] = nla_get_u64(tb[attr[i]]);
		c->seen++;
	}
	return NL_OK;
}

static void nl_ask(uint8_t cmd, int flags, struct counters *c)
{
	uint32_t id = test_fd_vm_id(vmm_vm_fd(vm));
	struct nl_msg *msg = nlmsg_alloc();
	int r;

	TEST_ASSERT(msg, "nlmsg_alloc");
	TEST_ASSERT(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl_family, 0,
				flags, cmd, VMM_GENL_VERSION) &&
		    !nla_put_u32(msg, VMM_A_VM_ID, id), "building a request");
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, counters_cb, c);
	r = nl_send_auto(nl, msg);
	nlmsg_free(msg);
	TEST_ASSERT(r >= 0, "nl_send_auto: %s", nl_geterror(r));
	r = nl_recvmsgs_default(nl);
	TEST_ASSERT(r >= 0, "netlink request %u: %s", cmd, nl_geterror(r));
}

/* The VM's two mapped figures and its one vCPU's three counters. */
static struct counters counters(void)
{
	struct counters c;

	memset(&c, 0, sizeof(c));
	nl_ask(VMM_CMD_VM_GET, 0, &c);
	nl_ask(VMM_CMD_STATS_GET, NLM_F_DUMP, &c);
	TEST_ASSERT(c.seen == 5,
		    "%u of the 5 counters in the replies (module built without statistics?)",
		    c.seen);
	return c;
}

static void nl_open(void)
{
	nl = nl_socket_alloc();
	TEST_ASSERT(nl && !genl_connect(nl), "generic netlink socket");
	nl_family = genl_ctrl_resolve(nl, VMM_GENL_NAME);
	TEST_REQUIRE(nl_family > 0, "no \"vmm\" generic netlink family");
	/* Replies only, no acknowledgements to read after them. */
	nl_socket_disable_auto_ack(nl);
}

/* ------------------------------------------------------------------ */
/* The guest                                                           */
/* ------------------------------------------------------------------ */

/*
 * Have the guest do op on count pages from gpa; returns its RBX.  Any
 * exit but the report fails the test, except an MMIO write, which
 * *mmio_gpa (when given) receives, once.
 */
static uint64_t guest_do_mmio(uint64_t op, uint64_t gpa, uint64_t count,
			      uint64_t value, uint64_t stride,
			      uint64_t *mmio_gpa)
{
	uint64_t *cmd = test_gpa(vm, CMD_GPA, 40);
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	struct ucall uc;

	cmd[0] = op;
	cmd[1] = gpa;
	cmd[2] = count;
	cmd[3] = value;
	cmd[4] = stride;
	for (;;) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, &uc) == UCALL_REPORT)
			return uc.args[0];
		if (mmio_gpa && run->exit_reason == VMM_EXIT_MMIO &&
		    run->mmio.is_write) {
			*mmio_gpa = run->mmio.phys_addr;
			mmio_gpa = NULL;
			continue;
		}
		vcpu_dump_diag(vcpu);
		tap_bail("unexpected exit during guest op %llu at %#llx",
			 (unsigned long long)op, (unsigned long long)gpa);
	}
}

static uint64_t guest_do(uint64_t op, uint64_t gpa, uint64_t count,
			 uint64_t value)
{
	return guest_do_mmio(op, gpa, count, value, PAGE, NULL);
}

/* VMM_PRE_FAULT_MEMORY itself: 0 or -errno; *range is updated. */
static int prefault(struct vmm_pre_fault_memory *range)
{
	return ioctl(vmm_vcpu_fd(vcpu), VMM_PRE_FAULT_MEMORY, range) ? -errno : 0;
}

static const char *err(int r)
{
	return r ? strerror(-r) : "success";
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */

static void test_errors(void)
{
	struct vmm_pre_fault_memory r, base = {
		.gpa = PF_GPA, .size = 16 * PAGE,
	};
	int ret;

	r = base;
	r.flags = 1;
	ret = prefault(&r);
	tap_ok(ret == -EINVAL, "flags 1: %s", err(ret));
	r = base;
	r.padding[4] = 1;
	ret = prefault(&r);
	tap_ok(ret == -EINVAL, "padding[4] 1: %s", err(ret));
	r = base;
	r.gpa += 8;
	ret = prefault(&r);
	tap_ok(ret == -EINVAL, "gpa not page aligned: %s", err(ret));
	r = base;
	r.size = 100;
	ret = prefault(&r);
	tap_ok(ret == -EINVAL, "size not page aligned: %s", err(ret));
	r = base;
	r.size = 0;
	ret = prefault(&r);
	tap_ok(ret == -EINVAL, "size 0: %s", err(ret));
	r = base;
	r.gpa = 0xfffffffffffff000ULL;
	r.size = 2 * PAGE;
	ret = prefault(&r);
	tap_ok(ret == -EINVAL, "range wrapping around: %s", err(ret));

	r = (struct vmm_pre_fault_memory){ .gpa = 0x40000000ULL, .size = PAGE };
	ret = prefault(&r);
	tap_ok(ret == -ENOENT && r.gpa == 0x40000000ULL && r.size == PAGE,
	       "a range in no slot: %s, gpa %#llx size %#llx", err(ret),
	       (unsigned long long)r.gpa, (unsigned long long)r.size);

	/* The last two pages of the slot and two pages after it. */
	r = (struct vmm_pre_fault_memory){
		.gpa = PF_GPA + PF_SIZE - 2 * PAGE, .size = 4 * PAGE,
	};
	ret = prefault(&r);
	tap_ok(ret == 0 && r.gpa == PF_GPA + PF_SIZE && r.size == 2 * PAGE,
	       "a range running past the slot stops at its end: %s, gpa %#llx size %#llx",
	       err(ret), (unsigned long long)r.gpa, (unsigned long long)r.size);
	ret = prefault(&r);
	tap_ok(ret == -ENOENT && r.gpa == PF_GPA + PF_SIZE && r.size == 2 * PAGE,
	       "... and the rest is -ENOENT, gpa and size kept: %s, gpa %#llx size %#llx",
	       err(ret), (unsigned long long)r.gpa, (unsigned long long)r.size);
}

static void test_prefault_write(uint64_t *mem)
{
	const uint64_t npages = PF_SIZE / PAGE, value = 0x5000;
	struct counters a, b;
	uint64_t bad = 0;
	int ret;

	a = counters();
	ret = vmm_vcpu_prefault(vcpu, PF_GPA, PF_SIZE);
	b = counters();
	tap_ok(ret == 0, "pre-fault of the 4 MiB slot: %s", err(ret));
	/* Two pages at the end were mapped by test_errors() already. */
	tap_ok(b.mapped - a.mapped == PF_SIZE - 2 * PAGE &&
	       b.huge == a.huge,
	       "mapped bytes grew by the slot's size less the 2 pages mapped before (%llu), huge bytes by 0 (%llu)",
	       (unsigned long long)(b.mapped - a.mapped),
	       (unsigned long long)(b.huge - a.huge));

	guest_do(OP_WRITE, PF_GPA, npages, value);
	a = counters();
	tap_ok(a.violations == b.violations,
	       "the guest writes all %llu pages with %llu EPT violations",
	       (unsigned long long)npages,
	       (unsigned long long)(a.violations - b.violations));
	for (uint64_t i = 0; i < npages; i++)
		bad += mem[i * PAGE / 8] != value + i;
	tap_ok(!bad, "the host sees the guest's values (%llu pages differ)",
	       (unsigned long long)bad);
}

/*
 * Pre-fault [gpa, gpa + size) of a fresh slot, as one test point: done,
 * and the VM's mapped bytes grew by size.  Returns the counters after.
 */
static struct counters prefault_slot(uint64_t gpa, uint64_t size,
				     const char *what)
{
	struct counters a, b;
	int ret;

	a = counters();
	ret = vmm_vcpu_prefault(vcpu, gpa, size);
	b = counters();
	tap_ok(ret == 0 && b.mapped - a.mapped == size,
	       "%s pre-faulted: %s, %llu bytes mapped", what, err(ret),
	       (unsigned long long)(b.mapped - a.mapped));
	return b;
}

/*
 * Fill pages of mem with values from base on, pre-fault the slot at gpa
 * and let the guest read them: the sum must come back with no EPT
 * violation.  Returns the counters after the reads.
 */
static struct counters prefault_and_read(uint64_t *mem, uint64_t gpa,
					 unsigned int pages, uint64_t base,
					 bool prot_read, const char *what)
{
	uint64_t sum, want = 0;
	struct counters a, b;

	for (unsigned int i = 0; i < pages; i++) {
		mem[i * PAGE / 8] = base + i;
		want += base + i;
	}
	if (prot_read)
		TEST_ASSERT(!mprotect(mem, pages * PAGE, PROT_READ), "mprotect");
	b = prefault_slot(gpa, pages * PAGE, what);
	sum = guest_do(OP_READ, gpa, pages, 0);
	a = counters();
	tap_ok(sum == want && a.violations == b.violations,
	       "guest reads of it: sum %#llx (want %#llx), %llu EPT violations",
	       (unsigned long long)sum, (unsigned long long)want,
	       (unsigned long long)(a.violations - b.violations));
	return a;
}

static void test_readonly(uint64_t *mem)
{
	struct counters a, b;
	uint64_t mmio = 0;

	a = prefault_and_read(mem, RO_GPA, RO_PAGES, 0x100, false,
			      "read-only slot");
	guest_do_mmio(OP_WRITE, RO_GPA + 5 * PAGE, 1, 0xbad, PAGE, &mmio);
	b = counters();
	tap_ok(mmio == RO_GPA + 5 * PAGE && b.mmio - a.mmio == 1 &&
	       mem[5 * PAGE / 8] == 0x105,
	       "a guest write to it exits as MMIO (at %#llx, %llu MMIO violations) and leaves the memory alone (%#llx)",
	       (unsigned long long)mmio, (unsigned long long)(b.mmio - a.mmio),
	       (unsigned long long)mem[5 * PAGE / 8]);
}

/*
 * A writable slot over a host mapping the process may only read: the
 * page cannot be taken for writing, so it is mapped read-only, and the
 * guest reads it without another exit.
 */
static void test_prot_read(uint64_t *mem)
{
	prefault_and_read(mem, PR_GPA, PR_PAGES, 0x200, true,
			  "writable slot over a PROT_READ mapping");
}

/*
 * One guest access the host refuses: VMM_RUN fails with EFAULT, and
 * after fix() the same access, run again, completes.  Returns what the
 * access returned (the value read), or ~0 if VMM_RUN did not fail so.
 */
static uint64_t refused_then_done(uint64_t op, uint64_t gpa, uint64_t value,
				  int *run_errno, void (*fix)(void))
{
	uint64_t *cmd = test_gpa(vm, CMD_GPA, 40);
	int ret;

	cmd[0] = op;
	cmd[1] = gpa;
	cmd[2] = 1;
	cmd[3] = value;
	cmd[4] = PAGE;
	ret = vmm_vcpu_run(vcpu);
	*run_errno = ret < 0 ? -ret : 0;
	fix();
	/* The guest is at the refused access, with the same command. */
	return guest_do(op, gpa, 1, value);
}

static uint64_t *ub_mem;

static void ub_fix_prot(void)
{
	TEST_ASSERT(!mprotect(ub_mem, 2 * PAGE, PROT_READ | PROT_WRITE),
		    "mprotect");
}

static void ub_fix_map(void)
{
	TEST_ASSERT(mmap(ub_mem + 2 * PAGE / 8, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    ub_mem + 2 * PAGE / 8, "mmap MAP_FIXED");
}

static void test_refused(void)
{
	uint64_t v;
	int e;

	ub_mem[0] = 0x300;
	ub_mem[PAGE / 8] = 0x301;
	TEST_ASSERT(!mprotect(ub_mem, PAGE, PROT_NONE) &&
		    !mprotect(ub_mem + PAGE / 8, PAGE, PROT_READ) &&
		    !munmap(ub_mem + 2 * PAGE / 8, PAGE), "mprotect, munmap");

	v = refused_then_done(OP_READ, UB_GPA, 0, &e, ub_fix_prot);
	tap_ok(e == EFAULT && v == 0x300,
	       "guest read of a PROT_NONE page: VMM_RUN %s; readable again, the read gives %#llx",
	       strerror(e), (unsigned long long)v);
	/* Page 1 is PROT_READ again for this one. */
	TEST_ASSERT(!mprotect(ub_mem + PAGE / 8, PAGE, PROT_READ), "mprotect");
	refused_then_done(OP_WRITE, UB_GPA + PAGE, 0x311, &e, ub_fix_prot);
	tap_ok(e == EFAULT && ub_mem[PAGE / 8] == 0x311,
	       "guest write to a PROT_READ page: VMM_RUN %s; writable again, the host sees %#llx",
	       strerror(e), (unsigned long long)ub_mem[PAGE / 8]);
	refused_then_done(OP_WRITE, UB_GPA + 2 * PAGE, 0x322, &e, ub_fix_map);
	tap_ok(e == EFAULT && ub_mem[2 * PAGE / 8] == 0x322,
	       "guest write where the process maps nothing: VMM_RUN %s; mapped again, the host sees %#llx",
	       strerror(e), (unsigned long long)ub_mem[2 * PAGE / 8]);
}

static void test_lazyfree(uint64_t *mem)
{
	uint64_t v;
	int r;

	mem[0] = 0x400;
	TEST_ASSERT(!madvise(mem, PAGE, MADV_FREE), "MADV_FREE: %s",
		    strerror(errno));
	v = guest_do(OP_READ, LF_GPA, 1, 0);
	guest_do(OP_WRITE, LF_GPA, 1, 0x401);
	r = madvise(mem, PAGE, MADV_PAGEOUT) ? errno : 0;
	tap_ok(v == 0x400 && mem[0] == 0x401 &&
	       guest_do(OP_READ, LF_GPA, 1, 0) == 0x401,
	       "guest write to an MADV_FREE page it read first survives MADV_PAGEOUT (%s): the guest read %#llx, the host now reads %#llx",
	       r ? strerror(r) : "done", (unsigned long long)v,
	       (unsigned long long)mem[0]);
}

static void test_dirty_log(void)
{
	static const unsigned int pages[] = { 1, 5, 6, 33, 63 };
	uint64_t bm[LOG_PAGES / 64], want[LOG_PAGES / 64] = { 0 };
	int ret;

	prefault_slot(LOG_GPA, LOG_PAGES * PAGE, "dirty-logged slot");
	memset(bm, 0xee, sizeof(bm));
	ret = vmm_get_dirty_log(vm, LOG_SLOT, bm);
	tap_ok(ret == 0 && !bm[0], "no page is dirty after it: %s, %016llx",
	       err(ret), (unsigned long long)bm[0]);

	for (unsigned int i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		guest_do(OP_WRITE, LOG_GPA + pages[i] * PAGE, 1, i);
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	}
	memset(bm, 0xee, sizeof(bm));
	ret = vmm_get_dirty_log(vm, LOG_SLOT, bm);
	tap_ok(ret == 0 && !memcmp(bm, want, sizeof(bm)),
	       "guest writes to %zu pages: exactly those are dirty (%s, %016llx, want %016llx)",
	       sizeof(pages) / sizeof(pages[0]), err(ret),
	       (unsigned long long)bm[0], (unsigned long long)want[0]);
}

/* Pages of [p, p + n pages) resident in the host, as a bit mask. */
static uint64_t resident(void *p, unsigned int n)
{
	unsigned char vec[64];
	uint64_t mask = 0;

	TEST_ASSERT(n <= 64 && !mincore(p, n * PAGE, vec), "mincore: %s",
		    strerror(errno));
	for (unsigned int i = 0; i < n; i++)
		if (vec[i] & 1)
			mask |= 1ULL << i;
	return mask;
}

static void test_fault_around(uint64_t *mem)
{
	uint64_t sum, want = 0, res;
	struct counters a, b, c;

	/* Pages 0..7 of the window, each with its own value. */
	for (unsigned int i = 0; i < 8; i++)
		mem[i * PAGE / 8] = 0x7000 + i;
	res = resident(mem, 16);
	tap_ok(res == 0xff, "host pages 0..7 resident, 8..15 not (%#llx)",
	       (unsigned long long)res);

	a = counters();
	sum = guest_do(OP_READ, FA_GPA, 1, 0);
	b = counters();
	tap_ok(sum == 0x7000 && b.violations - a.violations == 1 &&
	       b.prefetch - a.prefetch == 7,
	       "guest read of page 0: %#llx, %llu EPT violation(s), %llu pages fault-around (want 1, 7)",
	       (unsigned long long)sum,
	       (unsigned long long)(b.violations - a.violations),
	       (unsigned long long)(b.prefetch - a.prefetch));
	tap_ok(b.mapped - a.mapped == 8 * PAGE,
	       "8 pages mapped in all (%llu bytes)",
	       (unsigned long long)(b.mapped - a.mapped));

	for (unsigned int i = 1; i < 8; i++)
		want += 0x7000 + i;
	sum = guest_do(OP_READ, FA_GPA + PAGE, 7, 0);
	c = counters();
	tap_ok(sum == want && c.violations == b.violations,
	       "guest reads of pages 1..7: sum %#llx (want %#llx), %llu EPT violations",
	       (unsigned long long)sum, (unsigned long long)want,
	       (unsigned long long)(c.violations - b.violations));
	res = resident(mem, 16);
	tap_ok(res == 0xff,
	       "fault-around never maps a page the host process does not have: resident %#llx",
	       (unsigned long long)res);

	guest_do(OP_WRITE, FA_GPA + 3 * PAGE, 1, 0xabcdef);
	a = counters();
	tap_ok(mem[3 * PAGE / 8] == 0xabcdef &&
	       a.violations - c.violations == 1,
	       "guest write to page 3 (mapped read-only): the host reads %#llx, %llu EPT violation(s)",
	       (unsigned long long)mem[3 * PAGE / 8],
	       (unsigned long long)(a.violations - c.violations));
}

/* ---- Racing with the host's changes ---- */

struct race {
	volatile bool stop;
	unsigned int calls, ok, enoent, other;
	int other_err;
};

static void *race_prefault(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		int ret = vmm_vcpu_prefault(vcpu, RACE_GPA, RACE_PAGES * PAGE);

		r->calls++;
		if (!ret) {
			r->ok++;
		} else if (ret == -ENOENT) {
			r->enoent++;
		} else {
			r->other++;
			r->other_err = ret;
		}
	}
	return NULL;
}

static int set_region(uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct vmm_userspace_memory_region m = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vmm_vm_fd(vm), VMM_SET_USER_MEMORY_REGION, &m) ? -errno : 0;
}

static void test_race(void)
{
	const size_t size = RACE_PAGES * PAGE;
	uint64_t *mem, sum, want = 0;
	struct race r = { 0 };
	pthread_t t;
	int i;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	madvise(mem, size, MADV_NOHUGEPAGE);
	TEST_ASSERT_OK(set_region(RACE_SLOT, RACE_GPA, size, mem));
	TEST_ASSERT(!pthread_create(&t, NULL, race_prefault, &r),
		    "pthread_create");
	for (i = 0; i < 100; i++) {
		memset(mem, i, size);
		usleep(200);
		TEST_ASSERT(!madvise(mem, size / 2, MADV_DONTNEED),
			    "madvise: %s", strerror(errno));
		if (i % 10 == 9) {
			TEST_ASSERT_OK(set_region(RACE_SLOT, RACE_GPA, 0, mem));
			usleep(200);
			TEST_ASSERT_OK(set_region(RACE_SLOT, RACE_GPA, size,
						  mem));
		}
	}
	r.stop = true;
	pthread_join(t, NULL);
	tap_ok(!r.other && r.ok,
	       "pre-fault racing with MADV_DONTNEED and slot deletion: %u calls, %u done, %u -ENOENT, %u other (%s)",
	       r.calls, r.ok, r.enoent, r.other,
	       r.other ? strerror(-r.other_err) : "none");

	for (i = 0; i < RACE_PAGES; i++) {
		mem[i * PAGE / 8] = 0x9000 + i;
		want += 0x9000 + i;
	}
	sum = guest_do(OP_READ, RACE_GPA, RACE_PAGES, 0);
	tap_ok(sum == want, "then the guest reads what the host wrote last (sum %#llx, want %#llx)",
	       (unsigned long long)sum, (unsigned long long)want);
	TEST_ASSERT_OK(set_region(RACE_SLOT, RACE_GPA, 0, mem));
	munmap(mem, size);
}

/* ---- 2 MiB leaves ---- */

/*
 * Bytes of huge pages behind the slot memory at mem, once touched; 0,
 * after a skipped test point for what, if the host gave it none.
 */
static uint64_t host_huge_or_skip(void *mem, const char *what)
{
	long kb = test_anon_huge_kb(mem);
	uint64_t bytes = kb > 0 ? (uint64_t)kb << 10 : 0;

	tap_diag("%s: %llu bytes of huge pages behind it", what,
		 (unsigned long long)bytes);
	if (!bytes)
		tap_skip("%s: the host gave it no huge page", what);
	return bytes;
}

static void test_huge(void)
{
	static const char touched[] = "2 MiB leaves of a guest-touched slot";
	static const char prefaulted[] = "2 MiB leaves of a pre-faulted slot";
	static const char zapped[] = "a 2 MiB leaf zapped";
	uint64_t host_huge, sum;
	struct counters a, b;
	void *mem;
	int ret;

	ret = test_thp_enable();
	if (ret < 0) {
		tap_skip("%s: no transparent huge pages here", touched);
		tap_skip("%s: no transparent huge pages here", prefaulted);
		tap_skip("%s: no transparent huge pages here", zapped);
		return;
	}
	if (ret)
		tap_diag("THP was off; set to madvise for this test");
	/*
	 * Only the slots under test get huge pages: khugepaged collapsing
	 * the test memory, and the guest faulting it in again, would add
	 * 2 MiB leaves there.  The mapped bytes are no exact measure here:
	 * allocating a huge page may compact memory, which migrates pages
	 * of the other slots and so takes their 4 KiB leaves away.
	 */
	TEST_ASSERT(!madvise(test_gpa(vm, 0, TEST_MEM_SIZE), TEST_MEM_SIZE,
			     MADV_NOHUGEPAGE), "madvise: %s", strerror(errno));

	TEST_ASSERT_OK(vmm_mem_add(vm, THP_SLOT, THP_GPA, THP_SIZE, 0, &mem));
	a = counters();
	sum = guest_do_mmio(OP_READ, THP_GPA, 2, 0, 2ULL << 20, NULL);
	b = counters();
	host_huge = host_huge_or_skip(mem, touched);
	if (host_huge)
		tap_ok(sum == 0 && b.huge - a.huge == host_huge,
		       "%s: huge bytes grew by %llu (want %llu)",
		       touched, (unsigned long long)(b.huge - a.huge),
		       (unsigned long long)host_huge);

	TEST_ASSERT_OK(vmm_mem_add(vm, THP2_SLOT, THP2_GPA, THP_SIZE, 0, &mem));
	a = counters();
	ret = vmm_vcpu_prefault(vcpu, THP2_GPA, THP_SIZE);
	b = counters();
	host_huge = host_huge_or_skip(mem, prefaulted);
	if (host_huge)
		tap_ok(ret == 0 && b.huge - a.huge == host_huge,
		       "%s: %s, huge bytes grew by %llu (want %llu)",
		       prefaulted, err(ret),
		       (unsigned long long)(b.huge - a.huge),
		       (unsigned long long)host_huge);

	if (host_huge != THP_SIZE) {
		tap_skip("%s: the slot is not all huge pages", zapped);
	} else {
		/*
		 * One 4 KiB page of a huge page dropped: the host splits its
		 * PMD, and the 2 MiB leaf over it goes whole, which both
		 * figures say.
		 */
		TEST_ASSERT(!madvise((char *)mem + PAGE, PAGE, MADV_DONTNEED),
			    "madvise: %s", strerror(errno));
		a = counters();
		tap_ok(b.huge - a.huge == 2ULL << 20 &&
		       b.mapped - a.mapped >= 2ULL << 20,
		       "%s (MADV_DONTNEED of 4 KiB under it): huge bytes down by %lld (want 2 MiB), mapped by %lld",
		       zapped, (long long)(b.huge - a.huge),
		       (long long)(b.mapped - a.mapped));
	}
	test_thp_restore();
}

int main(void)
{
	uint64_t *pf_mem, *ro_mem, *fa_mem, *pr_mem, *lf_mem;
	int cap;

	tap_plan(38);
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(server),
				     GUEST_CODE_LEN(server));
	nl_open();
	cap = vmm_vm_check_extension(vm, VMM_CAP_PRE_FAULT_MEMORY);
	tap_ok(cap == 1, "CHECK_EXTENSION(VMM_CAP_PRE_FAULT_MEMORY): %d", cap);
	cap = vmm_check_extension(vmm_vm_dev(vm), VMM_CAP_PRE_FAULT_MEMORY);
	tap_ok(cap == 1, "... on the device too: %d", cap);

	TEST_ASSERT_OK(vmm_mem_add(vm, PF_SLOT, PF_GPA, PF_SIZE,
				   VMM_MEM_NO_HUGE, (void **)&pf_mem));
	TEST_ASSERT_OK(vmm_mem_add(vm, RO_SLOT, RO_GPA, RO_PAGES * PAGE,
				   VMM_MEM_READONLY | VMM_MEM_NO_HUGE,
				   (void **)&ro_mem));
	TEST_ASSERT_OK(vmm_mem_add(vm, LOG_SLOT, LOG_GPA, LOG_PAGES * PAGE,
				   VMM_MEM_LOG_DIRTY_PAGES | VMM_MEM_NO_HUGE,
				   NULL));
	TEST_ASSERT_OK(vmm_mem_add(vm, FA_SLOT, FA_GPA, FA_PAGES * PAGE,
				   VMM_MEM_NO_HUGE, (void **)&fa_mem));
	TEST_ASSERT_OK(vmm_mem_add(vm, PR_SLOT, PR_GPA, PR_PAGES * PAGE,
				   VMM_MEM_NO_HUGE, (void **)&pr_mem));
	TEST_ASSERT_OK(vmm_mem_add(vm, UB_SLOT, UB_GPA, UB_PAGES * PAGE,
				   VMM_MEM_NO_HUGE, (void **)&ub_mem));
	TEST_ASSERT_OK(vmm_mem_add(vm, LF_SLOT, LF_GPA, PAGE, VMM_MEM_NO_HUGE,
				   (void **)&lf_mem));
	/*
	 * The guest's page tables and its code and command pages are mapped
	 * before anything is counted: only the slots under test fault.
	 */
	TEST_ASSERT_OK(vmm_vcpu_prefault(vcpu, TEST_SCRATCH_GPA,
					 VMM_SCRATCH_SIZE));
	guest_do(OP_READ, 0, 0, 0);

	test_errors();
	test_prefault_write(pf_mem);
	test_readonly(ro_mem);
	test_prot_read(pr_mem);
	test_dirty_log();
	test_fault_around(fa_mem);
	test_refused();
	test_lazyfree(lf_mem);
	test_race();
	test_huge();

	test_vm_free(vm);
	nl_socket_free(nl);
	tap_exit();
}
