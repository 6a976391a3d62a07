// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O: IN and OUT of 1, 2 and 4 bytes with the port in DX and as an
 * immediate (port, size and data checked both ways: for IN the host fills
 * the run data and the guest gets it in AL/AX/EAX), and the string forms
 * (REP OUTSB, REP INSW, OUTSW, INSL, REP OUTSB backwards, REP OUTSL) in
 * real mode, 32-bit flat, 32-bit paged, PAE and long mode.  The module
 * moves at most one page of data per exit and re-executes REP for the
 * rest, so the host handles several exits per instruction and checks the
 * counts, the data, the final RSI/RDI/RCX and, in the paging modes, that
 * the guest's own page tables (which map the buffers to other physical
 * pages, in reverse order) are followed.
 */
#include <stdlib.h>

#include "test_util.h"

/* ---- IN / OUT ---- */

GUEST_CODE(basic64, 64,
	"mov $0xab, %al\n"
	"out %al, $0x80\n"
	"mov $0x1234, %dx\n"
	"mov $0xbeef, %ax\n"
	"out %ax, %dx\n"
	"mov $0xdeadbeef, %eax\n"
	"out %eax, $0x84\n"
	"mov $0xfffe, %dx\n"
	"mov $0x77, %al\n"
	"out %al, %dx\n"
	"movabs $0x1122334455667788, %rax\n"
	"mov $0x60, %dx\n"
	"in %dx, %al\n"
	"mov %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"movabs $0x1122334455667788, %rax\n"
	"in $0x62, %ax\n"
	"mov %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"movabs $0x1122334455667788, %rax\n"
	"mov $0xcfc, %dx\n"
	"in %dx, %eax\n"
	"mov %rax, %rbx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

/* ---- String I/O ---- */

/* Buffers: offsets in real mode (DS = ES = 0x1000), linear addresses else. */
#define OUT16	"0x4000"
#define IN16	"0x6000"
#define OUTVA	0x180000
#define INVA	0x190000
#define OUT32	TU_XSTR(OUTVA)
#define IN32	TU_XSTR(INVA)

#define REPORT_REGS							\
	"mov %esi, %ebx\n"						\
	"mov %edi, %edx\n"						\
	GUEST_UCALL_REPORT

/* The same text assembles as 16-, 32- and 64-bit code. */
#define STRIO_ASM(OUT, IN)						\
	"cld\n"								\
	"mov $" OUT ", %esi\n mov $5000, %ecx\n mov $0x500, %dx\n"	\
	"rep outsb\n" REPORT_REGS					\
	"mov $" IN ", %edi\n mov $3000, %ecx\n mov $0x502, %dx\n"	\
	"rep insw\n" REPORT_REGS					\
	"mov $(" OUT " + 2), %esi\n mov $0x77, %ecx\n mov $0x504, %dx\n" \
	"outsw\n" REPORT_REGS						\
	"mov $(" IN " + 0x2000), %edi\n mov $0x77, %ecx\n mov $0x506, %dx\n" \
	"insl\n" REPORT_REGS						\
	"std\n"								\
	"mov $(" OUT " + 15), %esi\n mov $16, %ecx\n mov $0x508, %dx\n" \
	"rep outsb\n"							\
	"cld\n" REPORT_REGS						\
	"mov $" OUT ", %esi\n mov $1500, %ecx\n mov $0x50a, %dx\n"	\
	"rep outsl\n" REPORT_REGS					\
	GUEST_UCALL_DONE

GUEST_CODE(strio16, 16, STRIO_ASM(OUT16, IN16));
GUEST_CODE(strio32, 32, STRIO_ASM(OUT32, IN32));
GUEST_CODE(strio64, 64, STRIO_ASM(OUT32, IN32));

struct strop {
	const char *name;
	uint8_t dir, size;
	uint16_t port;
	uint32_t count;
	uint64_t start;		/* offset from the buffer base */
	bool down;
	bool in_buf;		/* uses the IN buffer */
	uint32_t ecx_after;
};

static const struct strop strops[] = {
	{ "rep outsb x5000", VMM_EXIT_IO_OUT, 1, 0x500, 5000, 0, false, false, 0 },
	{ "rep insw x3000", VMM_EXIT_IO_IN, 2, 0x502, 3000, 0, false, true, 0 },
	{ "outsw", VMM_EXIT_IO_OUT, 2, 0x504, 1, 2, false, false, 0x77 },
	{ "insl", VMM_EXIT_IO_IN, 4, 0x506, 1, 0x2000, false, true, 0x77 },
	{ "std; rep outsb x16", VMM_EXIT_IO_OUT, 1, 0x508, 16, 15, true, false, 0 },
	{ "rep outsl x1500", VMM_EXIT_IO_OUT, 4, 0x50a, 1500, 0, false, false, 0 },
};

#define NSTROPS (sizeof(strops) / sizeof(strops[0]))

struct layout {
	enum vmm_mode mode;
	struct vmm_vm *vm;
	uint64_t out_base, in_base;	/* guest addresses (offsets in real mode) */
	bool remapped;
};

/* Guest-physical address of a buffer address, as the guest maps it. */
static uint64_t to_gpa(const struct layout *l, uint64_t va)
{
	uint64_t page = va & ~0xfffULL, off = va & 0xfff;

	if (l->mode == VMM_MODE_REAL)
		return TEST_CODE_GPA + va;
	if (!l->remapped)
		return va;
	/* Pages swapped in pairs by remap() below. */
	if (page == OUTVA)
		return 0x1a1000 + off;
	if (page == OUTVA + 0x1000)
		return 0x1a0000 + off;
	if (page == INVA)
		return 0x1b1000 + off;
	if (page == INVA + 0x1000)
		return 0x1b0000 + off;
	return va;
}

static uint8_t *byte_at(const struct layout *l, uint64_t va)
{
	return test_gpa(l->vm, to_gpa(l, va), 1);
}

/* Nonzero pattern: a guest reading the wrong page reads zeroes. */
static uint8_t out_pattern(uint64_t va)
{
	return (uint8_t)(va % 251 + 1);
}

static uint8_t in_pattern(uint64_t i)
{
	return (uint8_t)((i * 13) % 253 + 2);
}

/* Point the 4 KiB page-table entries of the buffers at other pages. */
static void remap(struct layout *l, struct vmm_vcpu *vcpu)
{
	static const uint64_t map[][2] = {
		{ OUTVA, 0x1a1000 }, { OUTVA + 0x1000, 0x1a0000 },
		{ INVA, 0x1b1000 }, { INVA + 0x1000, 0x1b0000 },
	};
	uint64_t pt_off;
	int width;

	switch (l->mode) {
	case VMM_MODE_PAGED32: pt_off = 0x2000; width = 4; break;
	case VMM_MODE_PAE:     pt_off = 0x6000; width = 8; break;
	case VMM_MODE_LONG64:  pt_off = 0x7000; width = 8; break;
	default: return;
	}
	TEST_ASSERT_OK(vmm_vcpu_setup_mode(vcpu, l->mode, VMM_SETUP_SMALL_PAGES,
					   TEST_SCRATCH_GPA, TEST_CODE_GPA,
					   TEST_STACK_TOP));
	for (size_t i = 0; i < 4; i++) {
		uint64_t gpa = TEST_SCRATCH_GPA + pt_off + (map[i][0] >> 12) * width;
		uint64_t pte = map[i][1] | 0x67;	/* P RW US A D */
		void *p = test_gpa(l->vm, gpa, width);

		memcpy(p, &pte, width);
	}
	l->remapped = true;
}

/*
 * Run one string instruction to its end: answer every I/O exit for it,
 * then expect the guest's report of RSI, RCX and RDI.
 */
static void run_strop(struct layout *l, struct vmm_vcpu *vcpu,
		      const struct strop *op)
{
	const char *mode = vmm_mode_name(l->mode);
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	uint64_t base = op->in_buf ? l->in_base : l->out_base;
	uint64_t bytes = (uint64_t)op->count * op->size, done = 0;
	uint64_t step = op->down ? -1ULL : 1;
	unsigned int exits = 0, min_exits = (bytes + 4095) / 4096;
	bool ok = true, data_ok = true;
	uint64_t ptr_end;
	struct ucall uc;

	/* Fill the source; poison the destination. */
	if (op->dir == VMM_EXIT_IO_OUT)
		for (uint64_t i = 0; i < 6000; i++)
			*byte_at(l, base + i) = out_pattern(base + i);
	else
		for (uint64_t i = 0; i < bytes; i++)
			*byte_at(l, base + op->start + i) = 0;

	for (;;) {
		int r = vmm_vcpu_run(vcpu);
		uint8_t *data;

		if (r < 0) {
			tap_diag("%s %s: VMM_RUN: %s", mode, op->name, strerror(-r));
			ok = false;
			break;
		}
		if (get_ucall(vcpu, &uc) == UCALL_REPORT)
			break;
		if (run->exit_reason != VMM_EXIT_IO || run->io.port != op->port ||
		    run->io.direction != op->dir || run->io.size != op->size ||
		    !run->io.count || run->io.count * op->size > 4096 ||
		    done + (uint64_t)run->io.count * op->size > bytes) {
			tap_diag("%s %s: unexpected exit (port %#x dir %u size %u count %u after %llu bytes)",
				 mode, op->name, run->io.port, run->io.direction,
				 run->io.size, run->io.count,
				 (unsigned long long)done);
			vcpu_dump_diag(vcpu);
			ok = false;
			break;
		}
		exits++;
		data = vmm_vcpu_io_data(vcpu);
		for (uint64_t i = 0; i < (uint64_t)run->io.count * op->size; i++) {
			uint64_t n = done + i;	/* byte number in the transfer */

			if (op->dir == VMM_EXIT_IO_IN) {
				data[i] = in_pattern(n);
				continue;
			}
			/* Element-wise: direction applies to elements. */
			uint64_t el = n / op->size, b = n % op->size;
			uint64_t va = base + op->start + el * step * op->size + b;

			if (data[i] != out_pattern(va)) {
				if (data_ok)
					tap_diag("%s %s: byte %llu is %#x, want %#x",
						 mode, op->name,
						 (unsigned long long)n, data[i],
						 out_pattern(va));
				data_ok = false;
			}
		}
		done += (uint64_t)run->io.count * op->size;
	}

	if (ok && op->dir == VMM_EXIT_IO_IN)
		for (uint64_t i = 0; i < bytes; i++) {
			uint8_t got = *byte_at(l, base + op->start + i);

			if (got != in_pattern(i)) {
				tap_diag("%s %s: guest byte %llu is %#x, want %#x",
					 mode, op->name, (unsigned long long)i,
					 got, in_pattern(i));
				data_ok = false;
				break;
			}
		}

	ptr_end = base + op->start + (op->down ? -bytes : bytes);
	if (l->mode == VMM_MODE_REAL)
		ptr_end &= 0xffff;
	if (ok && ((op->in_buf ? uc.args[2] : uc.args[0]) != ptr_end ||
		   (uint32_t)uc.args[1] != op->ecx_after)) {
		tap_diag("%s %s: rsi %#llx rcx %#llx rdi %#llx, want %s %#llx rcx %#x",
			 mode, op->name, (unsigned long long)uc.args[0],
			 (unsigned long long)uc.args[1],
			 (unsigned long long)uc.args[2],
			 op->in_buf ? "rdi" : "rsi",
			 (unsigned long long)ptr_end, op->ecx_after);
		ok = false;
	}
	if (ok && (done != bytes || exits < min_exits)) {
		tap_diag("%s %s: %llu of %llu bytes in %u exits (at least %u expected)",
			 mode, op->name, (unsigned long long)done,
			 (unsigned long long)bytes, exits, min_exits);
		ok = false;
	}
	tap_ok(ok && data_ok, "%s: %s: %llu bytes in %u exits, data, count and %s checked",
	       mode, op->name, (unsigned long long)bytes, exits,
	       op->in_buf ? "rdi" : "rsi");
}

static void test_string_io(enum vmm_mode mode)
{
	struct layout l = { .mode = mode };
	struct vmm_vcpu *vcpu;
	const void *code;
	size_t len;
	int r;

	switch (mode) {
	case VMM_MODE_REAL:
		code = GUEST_CODE_PTR(strio16);
		len = GUEST_CODE_LEN(strio16);
		l.out_base = strtoul(OUT16, NULL, 0);
		l.in_base = strtoul(IN16, NULL, 0);
		break;
	case VMM_MODE_LONG64:
		code = GUEST_CODE_PTR(strio64);
		len = GUEST_CODE_LEN(strio64);
		l.out_base = OUTVA;
		l.in_base = INVA;
		break;
	default:
		code = GUEST_CODE_PTR(strio32);
		len = GUEST_CODE_LEN(strio32);
		l.out_base = OUTVA;
		l.in_base = INVA;
		break;
	}
	l.vm = vm_create_with_one_vcpu(&vcpu, mode, code, len);
	remap(&l, vcpu);

	for (size_t i = 0; i < NSTROPS; i++)
		run_strop(&l, vcpu, &strops[i]);

	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_DONE,
	       "%s: string I/O guest finished", vmm_mode_name(mode));
	test_vm_free(l.vm);
}

/* Expect an OUT exit; check port, size and data. */
static bool expect_out(struct vmm_vcpu *vcpu, uint16_t port, uint8_t size,
		       uint32_t val)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	uint32_t got = 0;
	int r = vmm_vcpu_run(vcpu);

	if (r < 0 || run->exit_reason != VMM_EXIT_IO ||
	    run->io.direction != VMM_EXIT_IO_OUT || run->io.port != port ||
	    run->io.size != size || run->io.count != 1) {
		vcpu_dump_diag(vcpu);
		return false;
	}
	memcpy(&got, vmm_vcpu_io_data(vcpu), size);
	if (got != val)
		tap_diag("OUT port %#x: data %#x, want %#x", port, got, val);
	return got == val;
}

/* Expect an IN exit; answer val and check what the guest reports. */
static bool expect_in(struct vmm_vcpu *vcpu, uint16_t port, uint8_t size,
		      uint32_t val, uint64_t want_rax)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	struct ucall uc;
	int r = vmm_vcpu_run(vcpu);

	if (r < 0 || run->exit_reason != VMM_EXIT_IO ||
	    run->io.direction != VMM_EXIT_IO_IN || run->io.port != port ||
	    run->io.size != size || run->io.count != 1) {
		vcpu_dump_diag(vcpu);
		return false;
	}
	memcpy(vmm_vcpu_io_data(vcpu), &val, size);
	r = vmm_vcpu_run(vcpu);
	if (r < 0 || get_ucall(vcpu, &uc) != UCALL_REPORT) {
		vcpu_dump_diag(vcpu);
		return false;
	}
	if (uc.args[0] != want_rax)
		tap_diag("IN port %#x size %u: guest RAX %#llx, want %#llx",
			 port, size, (unsigned long long)uc.args[0],
			 (unsigned long long)want_rax);
	return uc.args[0] == want_rax;
}

static void test_basic(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(basic64),
				     GUEST_CODE_LEN(basic64));
	tap_ok(expect_out(vcpu, 0x80, 1, 0xab), "outb $0x80: port, size, data");
	tap_ok(expect_out(vcpu, 0x1234, 2, 0xbeef), "outw %%dx (0x1234): port, size, data");
	tap_ok(expect_out(vcpu, 0x84, 4, 0xdeadbeef), "outl $0x84: port, size, data");
	tap_ok(expect_out(vcpu, 0xfffe, 1, 0x77), "outb %%dx (0xfffe): port, size, data");
	tap_ok(expect_in(vcpu, 0x60, 1, 0xffffff5a, 0x112233445566775aULL),
	       "inb %%dx (0x60): guest gets AL, upper RAX kept");
	tap_ok(expect_in(vcpu, 0x62, 2, 0xffffa55a, 0x112233445566a55aULL),
	       "inw $0x62: guest gets AX, upper RAX kept");
	tap_ok(expect_in(vcpu, 0xcfc, 4, 0xcafef00d, 0xcafef00dULL),
	       "inl %%dx (0xcfc): guest gets EAX zero-extended");
	tap_ok(vmm_vcpu_run(vcpu) == 0 && get_ucall(vcpu, NULL) == UCALL_DONE,
	       "IN/OUT guest finished");
	test_vm_free(vm);
}

int main(void)
{
	static const enum vmm_mode modes[] = {
		VMM_MODE_REAL, VMM_MODE_PROT32, VMM_MODE_PAGED32,
		VMM_MODE_PAE, VMM_MODE_LONG64,
	};

	vmm_close(test_open_dev());	/* skips without /dev/vmm */
	tap_plan(8 + 5 * (NSTROPS + 1));
	test_basic();
	for (size_t i = 0; i < 5; i++)
		test_string_io(modes[i]);
	return tap_finish();
}
