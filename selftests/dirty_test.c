// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page logging: VMM_MEM_LOG_DIRTY_PAGES, GET_DIRTY_LOG,
 * ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2) and CLEAR_DIRTY_LOG.
 *
 * A long-mode guest serves commands the host leaves in RAM: write, read
 * (or fill with REP INSB, or copy from MMIO with REP MOVSB) a list of
 * pages of a 128-page slot that logs.  After each command the host reads
 * the log and checks it bit for bit:
 *  - exactly the pages written, for two different sets in a row, then
 *    nothing when nothing was written; reads never dirty a page;
 *  - logging turned off and on again between runs (flags of the live
 *    slot): -ENOENT while off, a clean log after, and pages written while
 *    it was off are tracked again;
 *  - pages written by the module on the guest's behalf (REP INSB, REP
 *    MOVSB from MMIO) are dirty too, as with KVM;
 *  - manual protection: GET_DIRTY_LOG only reads, CLEAR_DIRTY_LOG clears
 *    the pages given and re-arms them, the others stay; INITIALLY_SET;
 *  - errors: -ENOENT for a slot without logging or no slot, -EINVAL for a
 *    misaligned first_page, a range past the slot, a partial last word.
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "test_util.h"

#define SLOT		1
#define SLOT_GPA	0x10000000ULL
#define NPAGES		128
#define SLOT_SIZE	(NPAGES * 4096ULL)
#define CMD_GPA		0x200000ULL
#define MMIO_GPA	0xd0000000ULL
#define IO_PORT		0x80

enum { OP_WRITE = 1, OP_READ = 2, OP_INSB = 3, OP_MOVS_MMIO = 4 };

/* The command: [0] op, [1] count, [2..] guest addresses. */
GUEST_CODE(server, 64,
	"1: mov $" TU_XSTR(CMD_GPA) ", %esi\n"
	"mov (%rsi), %rax\n"
	"mov 8(%rsi), %rcx\n"
	"lea 16(%rsi), %rdx\n"
	"test %rcx, %rcx\n jz 5f\n"
	"2: mov (%rdx), %rdi\n"
	"cmp $1, %rax\n jne 3f\n"
	"mov %rcx, (%rdi)\n jmp 4f\n"
	"3: cmp $2, %rax\n jne 6f\n"
	"mov (%rdi), %rbx\n jmp 4f\n"
	"6: cmp $3, %rax\n jne 7f\n"
	"push %rcx\n push %rdx\n mov $16, %ecx\n mov $" TU_XSTR(IO_PORT) ", %edx\n"
	"cld\n rep insb\n pop %rdx\n pop %rcx\n jmp 4f\n"
	"7: push %rcx\n mov $" TU_XSTR(MMIO_GPA) ", %esi\n mov $8, %ecx\n"
	"cld\n rep movsb\n pop %rcx\n"
	"4: add $8, %rdx\n dec %rcx\n jnz 2b\n"
	"5:\n" GUEST_UCALL_REPORT
	"jmp 1b\n");

struct ctx {
	struct vmm_vm *vm;
	struct vmm_vcpu *vcpu;
	uint8_t *mem;		/* the logged slot */
};

static uint64_t page_addr(unsigned int page)
{
	/* A different offset in each page, 8-byte aligned. */
	return SLOT_GPA + page * 4096ULL + ((page * 72) & 0xff8);
}

/* Have the guest do op on the pages; answer its I/O and MMIO exits. */
static void guest_do(struct ctx *c, uint64_t op, const unsigned int *pages,
		     unsigned int n)
{
	struct vmm_run *run = vmm_vcpu_run_data(c->vcpu);
	uint64_t *cmd = test_gpa(c->vm, CMD_GPA, 16 + 8 * n);
	struct ucall uc;

	cmd[0] = op;
	cmd[1] = n;
	for (unsigned int i = 0; i < n; i++)
		cmd[2 + i] = page_addr(pages[i]);
	for (;;) {
		vcpu_run(c->vcpu);
		if (get_ucall(c->vcpu, &uc) == UCALL_REPORT)
			return;
		if (run->exit_reason == VMM_EXIT_IO && run->io.port == IO_PORT &&
		    run->io.direction == VMM_EXIT_IO_IN) {
			memset(vmm_vcpu_io_data(c->vcpu), 0x5a,
			       run->io.size * run->io.count);
			continue;
		}
		if (run->exit_reason == VMM_EXIT_MMIO && !run->mmio.is_write) {
			memset(run->mmio.data, 0xa5, sizeof(run->mmio.data));
			continue;
		}
		vcpu_dump_diag(c->vcpu);
		tap_bail("unexpected exit during guest command %llu",
			 (unsigned long long)op);
	}
}

static int get_log(struct ctx *c, uint32_t slot, uint64_t *bm)
{
	memset(bm, 0xee, NPAGES / 8);
	return vmm_get_dirty_log(c->vm, slot, bm);
}

static void set_bits(uint64_t *bm, const unsigned int *pages, unsigned int n)
{
	memset(bm, 0, NPAGES / 8);
	for (unsigned int i = 0; i < n; i++)
		bm[pages[i] / 64] |= 1ULL << (pages[i] % 64);
}

/* GET_DIRTY_LOG must return exactly the given pages. */
static bool log_is(struct ctx *c, const unsigned int *pages, unsigned int n,
		   const char *what)
{
	uint64_t want[NPAGES / 64], got[NPAGES / 64];
	int r = get_log(c, SLOT, got);

	set_bits(want, pages, n);
	if (r) {
		tap_diag("GET_DIRTY_LOG: %s", strerror(-r));
		return tap_ok(false, "%s", what);
	}
	if (memcmp(want, got, sizeof(want)))
		tap_diag("bitmap %016llx %016llx, want %016llx %016llx",
			 (unsigned long long)got[0], (unsigned long long)got[1],
			 (unsigned long long)want[0], (unsigned long long)want[1]);
	return tap_ok(!memcmp(want, got, sizeof(want)), "%s", what);
}

static bool data_written(struct ctx *c, const unsigned int *pages,
			 unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, c->mem + (page_addr(pages[i]) - SLOT_GPA), 8);
		if (v != n - i) {
			tap_diag("page %u holds %#llx, want %u", pages[i],
				 (unsigned long long)v, n - i);
			return false;
		}
	}
	return true;
}

static int clear_log(struct ctx *c, uint32_t slot, uint64_t first,
		     uint32_t num, const unsigned int *pages, unsigned int n)
{
	uint64_t bm[NPAGES / 64];

	memset(bm, 0, sizeof(bm));
	/* Bits relative to first_page. */
	for (unsigned int i = 0; i < n; i++)
		bm[(pages[i] - first) / 64] |= 1ULL << ((pages[i] - first) % 64);
	return vmm_clear_dirty_log(c->vm, slot, first, num, bm);
}

static void create(struct ctx *c, uint64_t cap_arg)
{
	c->vm = vm_create_with_one_vcpu(&c->vcpu, VMM_MODE_LONG64,
					GUEST_CODE_PTR(server),
					GUEST_CODE_LEN(server));
	if (cap_arg)
		TEST_ASSERT_OK(vmm_enable_cap(c->vm,
					      VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					      cap_arg));
	TEST_ASSERT_OK(vmm_mem_add(c->vm, SLOT, SLOT_GPA, SLOT_SIZE,
				   VMM_MEM_LOG_DIRTY_PAGES, (void **)&c->mem));
}

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define LIST(...)	((const unsigned int[]){ __VA_ARGS__ })
#define DO(c, op, ...)	guest_do(c, op, LIST(__VA_ARGS__), \
				 N(LIST(__VA_ARGS__)))
#define IS(c, what, ...) log_is(c, LIST(__VA_ARGS__), \
				N(LIST(__VA_ARGS__)), what)

static void test_auto_clear(void)
{
	static const unsigned int a[] = { 0, 1, 5, 63, 64, 100, 127 };
	static const unsigned int b[] = { 2, 64, 65, 126 };
	uint64_t bm[NPAGES / 64];
	struct ctx c;
	int r;

	create(&c, 0);
	log_is(&c, NULL, 0, "fresh slot: empty log");

	r = get_log(&c, TEST_MEM_SLOT, bm);
	tap_ok(r == -ENOENT, "GET_DIRTY_LOG on a slot without logging: %s",
	       strerror(-r));
	r = get_log(&c, 7, bm);
	tap_ok(r == -ENOENT, "GET_DIRTY_LOG on a slot that does not exist: %s",
	       strerror(-r));

	guest_do(&c, OP_WRITE, a, N(a));
	tap_ok(data_written(&c, a, N(a)), "guest writes landed in the slot");
	log_is(&c, a, N(a), "set A written: log is exactly A (both words)");
	guest_do(&c, OP_WRITE, b, N(b));
	log_is(&c, b, N(b), "set B written next: log is exactly B");
	guest_do(&c, OP_WRITE, NULL, 0);
	log_is(&c, NULL, 0, "nothing written: log is empty");
	DO(&c, OP_READ, 3, 4, 0, 64, 127, 90);
	log_is(&c, NULL, 0, "reads (new and harvested pages) do not dirty");
	DO(&c, OP_WRITE, 3, 64, 64, 3);
	IS(&c, "write to read-mapped page 3 and page 64 twice: {3, 64}", 3, 64);

	/* Logging off and on again on the live slot, between runs. */
	TEST_ASSERT_OK(vmm_mem_set_flags(c.vm, SLOT, 0));
	r = get_log(&c, SLOT, bm);
	tap_ok(r == -ENOENT, "logging off: GET_DIRTY_LOG is -ENOENT (%s)",
	       strerror(-r));
	DO(&c, OP_WRITE, 10, 11, 3);
	tap_ok(data_written(&c, LIST(10, 11, 3), 3),
	       "logging off: guest writes work");
	TEST_ASSERT_OK(vmm_mem_set_flags(c.vm, SLOT, VMM_MEM_LOG_DIRTY_PAGES));
	log_is(&c, NULL, 0, "logging on again: empty log");
	DO(&c, OP_WRITE, 10, 12, 3);
	IS(&c, "pages written while logging was off are tracked again: {3, 10, 12}",
	   3, 10, 12);

	/* Writes the module does for the guest. */
	DO(&c, OP_INSB, 20);
	tap_diag("page 20 byte: %#x", c.mem[page_addr(20) - SLOT_GPA]);
	IS(&c, "REP INSB into page 20 dirties it", 20);
	DO(&c, OP_MOVS_MMIO, 21);
	tap_diag("page 21 byte: %#x", c.mem[page_addr(21) - SLOT_GPA]);
	IS(&c, "REP MOVSB from MMIO into page 21 dirties it", 21);
	test_vm_free(c.vm);
}

static void test_manual(void)
{
	uint64_t bm[NPAGES / 64];
	struct ctx c;
	int r;

	create(&c, VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	DO(&c, OP_WRITE, 1, 2, 70);
	IS(&c, "manual: writes {1, 2, 70} logged", 1, 2, 70);
	IS(&c, "manual: GET_DIRTY_LOG again does not clear", 1, 2, 70);
	DO(&c, OP_WRITE, 1, 3);
	IS(&c, "manual: write {1, 3}: {1, 2, 3, 70}", 1, 2, 3, 70);

	r = clear_log(&c, SLOT, 0, NPAGES, LIST(1, 70), 2);
	tap_ok(r == 0, "CLEAR_DIRTY_LOG {1, 70} of pages 0-127: %s",
	       strerror(-r));
	IS(&c, "manual: after CLEAR: {2, 3}", 2, 3);
	DO(&c, OP_WRITE, 1);
	IS(&c, "manual: cleared page 1 re-armed (written again), 70 stays clear",
	   1, 2, 3);
	r = clear_log(&c, SLOT, 64, 64, NULL, 0);
	tap_ok(r == 0, "CLEAR_DIRTY_LOG of pages 64-127 with an empty mask: %s",
	       strerror(-r));
	IS(&c, "manual: empty mask clears nothing", 1, 2, 3);
	r = clear_log(&c, SLOT, 0, 64, LIST(2, 3), 2);
	tap_ok(r == 0, "CLEAR_DIRTY_LOG {2, 3} of pages 0-63: %s", strerror(-r));
	DO(&c, OP_WRITE, 3, 70);
	IS(&c, "manual: pages 3 and 70 written again: {1, 3, 70}", 1, 3, 70);

	r = clear_log(&c, SLOT, 1, 64, NULL, 0);
	tap_ok(r == -EINVAL, "CLEAR_DIRTY_LOG first_page 1: %s", strerror(-r));
	r = clear_log(&c, SLOT, 32, 64, NULL, 0);
	tap_ok(r == -EINVAL, "CLEAR_DIRTY_LOG first_page 32: %s", strerror(-r));
	r = clear_log(&c, SLOT, 0, 10, NULL, 0);
	tap_ok(r == -EINVAL, "CLEAR_DIRTY_LOG 10 pages not ending the slot: %s",
	       strerror(-r));
	r = clear_log(&c, SLOT, 64, 128, NULL, 0);
	tap_ok(r == -EINVAL, "CLEAR_DIRTY_LOG past the end of the slot: %s",
	       strerror(-r));
	r = clear_log(&c, TEST_MEM_SLOT, 0, 64, NULL, 0);
	tap_ok(r == -ENOENT, "CLEAR_DIRTY_LOG on a slot without logging: %s",
	       strerror(-r));
	r = get_log(&c, SLOT, bm);
	tap_ok(r == 0 && bm[0] == 0xaULL && bm[1] == 0x40ULL,
	       "failed CLEARs changed nothing (%#llx %#llx)",
	       (unsigned long long)bm[0], (unsigned long long)bm[1]);
	test_vm_free(c.vm);
}

static void test_initially_set(void)
{
	uint64_t bm[NPAGES / 64];
	struct ctx c;
	int r;

	create(&c, VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		   VMM_DIRTY_LOG_INITIALLY_SET);
	r = get_log(&c, SLOT, bm);
	tap_ok(r == 0 && bm[0] == ~0ULL && bm[1] == ~0ULL,
	       "INITIALLY_SET: every page starts dirty");
	DO(&c, OP_WRITE, 5, 80);
	memset(bm, 0xff, sizeof(bm));
	r = vmm_clear_dirty_log(c.vm, SLOT, 0, NPAGES, bm);
	tap_ok(r == 0, "CLEAR_DIRTY_LOG of every page: %s", strerror(-r));
	log_is(&c, NULL, 0, "INITIALLY_SET: empty after CLEAR");
	DO(&c, OP_WRITE, 5, 6);
	IS(&c, "INITIALLY_SET: writes after CLEAR logged: {5, 6}", 5, 6);
	test_vm_free(c.vm);
}

int main(void)
{
	struct vmm_dev *dev = test_open_dev();
	int caps = vmm_check_extension(dev, VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	tap_plan(36);
	tap_ok(caps == (VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			VMM_DIRTY_LOG_INITIALLY_SET),
	       "CHECK_EXTENSION(MANUAL_DIRTY_LOG_PROTECT2) = %d", caps);
	vmm_close(dev);
	test_auto_clear();
	test_manual();
	test_initially_set();
	tap_exit();
}
