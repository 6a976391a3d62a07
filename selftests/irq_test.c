// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt and NMI injection with the interrupt controller in userspace
 * (KVM's protocol: VMM_INTERRUPT, ready_for_interrupt_injection, if_flag,
 * request_interrupt_window, VMM_NMI, VCPU_EVENTS, MP_STATE and
 * sregs.interrupt_bitmap).  Every guest handler records its vector in a
 * per-vector counter and in a ring (guest memory), and the frame's RIP:
 *
 *  1. streams of injections in a known pseudo-random order over vectors
 *     32..255 in real mode (IVT), 32-bit protected mode and long mode,
 *     the guest exiting with IF=1 (OUT, HLT) and with IF=0 (CLI; OUT, so
 *     that the host has to ask for the interrupt window); sometimes the
 *     host asks for the window while it is open (an exit at once, no
 *     instruction run).  No vector lost, none twice, the order kept;
 *  2. the same with the IDT, the stack and the handlers on pages the EPT
 *     does not map when the vector is delivered: dropped by the host
 *     (MADV_DONTNEED on a memfd slot) before each entry, or on a memslot
 *     added again, with fresh memory, before each injection;
 *  3. STI;HLT (delivered after the HLT), an OUT in the MOV SS shadow
 *     (vmm completes it before the exit, so the shadow is over; KVM after,
 *     so it is not) and IF=0 then STI (the
 *     window opens after the instruction following STI), in each mode;
 *  4. NMIs: delivered to vector 2, one more held while one is in service
 *     and delivered after its IRET, more collapse by KVM's rule (one
 *     pending while one is in service, two when none is), nmi.masked and
 *     nmi.pending in VCPU_EVENTS, an NMI held by the MOV SS shadow;
 *  5. EINTR: immediate_exit and a pending signal with a vector queued,
 *     then a stream under a 1 ms timer with the EPT dropped before each
 *     entry, GET->SET->GET of VCPU_EVENTS and SREGS byte-identical at
 *     many points, and vectors queued through SET_SREGS' interrupt_bitmap
 *     and SET_VCPU_EVENTS as well as VMM_INTERRUPT;
 *  6. a guest spinning with IF=0 is stopped by a signal within 5 s;
 *  7. the ioctls' errors: VMM_INTERRUPT twice, irq 256, MP_STATE,
 *     SET_VCPU_EVENTS with unknown flags or an NMI as exception.
 *
 * The streams of 1, 2 and 5 are 2000, 1000, 300 and 1000 injections
 * long; $VMM_IRQ_STREAM caps them (the debug-kernel job, where each
 * injection costs far more emulation, uses 224: the first 224 of a stream
 * are every vector once; its EINTR stream still sees hundreds of EINTRs
 * there, each entry taking longer than the 1 ms timer).
 *
 * Where vmm's documented ABI differs from KVM's (VMM_INTERRUPT over a
 * queued vector: vmm -EEXIST, KVM replaces it) the test expects KVM's
 * behaviour when the device is KVM's own /dev/kvm, so that it can be
 * checked against KVM in the emulated host.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

/* Guest data: at DATA_GPA (32/64-bit), at DATA16_SEG:0 in real mode. */
#define DATA_GPA	0x200000
#define DATA16_GPA	0x30000
#define DATA16_SEG	0x3000
#define OFF_COUNTS	0x000	/* u32[256] */
#define OFF_RINGIDX	0x400	/* u32: vectors recorded */
#define OFF_DONE	0x404	/* u32: set by the host to end the loop */
#define OFF_LASTRIP	0x408	/* u64: RIP (IP) of the last handler's frame */
#define OFF_NMI_COUNT	0x410	/* u32 */
#define OFF_NMI_NEST	0x414	/* u32: inside the NMI handler */
#define OFF_NMI_BAD	0x418	/* u32: NMI handler entered while inside */
#define OFF_NMI_RIP	0x420	/* u64 */
#define OFF_RING	0x800	/* u8[RING_MAX] */
#define RING_MAX	4096

/* The same as assembler literals. */
#define A_COUNTS	0x200000
#define A_RINGIDX	0x200400
#define A_DONE		0x200404
#define A_LASTRIP	0x200408
#define A_NMI_COUNT	0x200410
#define A_NMI_NEST	0x200414
#define A_NMI_BAD	0x200418
#define A_NMI_RIP	0x200420
#define A_RING		0x200800

/* Where the handler blocks go in slot 0 (below 1 MiB for real mode). */
#define HANDLER_GPA	0x40000
#define FIRST_VEC	32
#define NR_VEC		224

/* Test 2: a memfd slot with IDT, stack and handlers. */
#define FRESH_SLOT	1
#define FRESH_GPA	0x4000000ULL	/* right after slot 0 */
#define FRESH_SIZE	0x4000
#define FRESH_IDT	(FRESH_GPA)
#define FRESH_STACK_TOP	(FRESH_GPA + 0x2000)
#define FRESH_HANDLERS	(FRESH_GPA + 0x2000)

#define PORT_IF1	0x81	/* OUT with IF=1 */
#define PORT_IF0	0x82	/* OUT with IF=0 */
#define PORT_NMI	0x83	/* OUT inside the NMI handler */
#define PORT_IDLE	0x84
#define PORT_NMI_SS	0x85	/* OUT in the MOV SS shadow (NMI guest) */
#define PORT_MARK	0x86
#define PORT_MOVSS	0x87	/* OUT in the MOV SS shadow */
#define PORT_CLI	0x88	/* OUT with IF=0 before STI */

#define S(x)	TU_XSTR(x)

/*
 * Handler blocks: 224 stubs of 16 bytes, stub i for vector 32 + i,
 * each pushing its vector and jumping to the common part, which counts
 * the vector, appends it to the ring, records the frame's RIP and
 * returns with IRET.  The common part follows the stubs (in real mode
 * each stub runs with CS = its address >> 4, so the jump must go
 * forwards).  Position-independent: copied wherever the test wants.
 */
#define STUBS(common)							\
	".set irq_v, " S(FIRST_VEC) "\n"				\
	".rept " S(NR_VEC) "\n"						\
	".balign 16\n"							\
	"push $irq_v\n"							\
	"jmp " common "\n"						\
	".set irq_v, irq_v + 1\n"					\
	".endr\n"							\
	".balign 16\n"

GUEST_CODE(irqh16, 16,
	STUBS("irqh16_common")
	"irqh16_common:\n"
	"push %bp\n mov %sp, %bp\n push %ds\n push %ax\n push %bx\n"
	"mov $" S(DATA16_SEG) ", %ax\n mov %ax, %ds\n"
	"mov 2(%bp), %ax\n"			/* vector */
	"mov %ax, %bx\n shl $2, %bx\n incl " S(OFF_COUNTS) "(%bx)\n"
	"mov 4(%bp), %bx\n"			/* frame IP */
	"movw %bx, " S(OFF_LASTRIP) "\n movw $0, " S(OFF_LASTRIP) "+2\n"
	"movl $0, " S(OFF_LASTRIP) "+4\n"
	"mov " S(OFF_RINGIDX) ", %bx\n cmp $" S(RING_MAX) ", %bx\n jae 1f\n"
	"mov %al, " S(OFF_RING) "(%bx)\n"
	"1: incl " S(OFF_RINGIDX) "\n"
	"pop %bx\n pop %ax\n pop %ds\n pop %bp\n add $2, %sp\n iret\n");

GUEST_CODE(irqh32, 32,
	STUBS("irqh32_common")
	"irqh32_common:\n"
	"push %eax\n push %ebx\n"
	"mov 8(%esp), %eax\n"			/* vector */
	"incl " S(A_COUNTS) "(,%eax,4)\n"
	"mov 12(%esp), %ebx\n mov %ebx, " S(A_LASTRIP) "\n"
	"movl $0, " S(A_LASTRIP) "+4\n"
	"mov " S(A_RINGIDX) ", %ebx\n cmp $" S(RING_MAX) ", %ebx\n jae 1f\n"
	"mov %al, " S(A_RING) "(%ebx)\n"
	"1: incl " S(A_RINGIDX) "\n"
	"pop %ebx\n pop %eax\n add $4, %esp\n iret\n");

GUEST_CODE(irqh64, 64,
	STUBS("irqh64_common")
	"irqh64_common:\n"
	"push %rax\n push %rbx\n"
	"mov 16(%rsp), %rax\n"			/* vector */
	"incl " S(A_COUNTS) "(,%rax,4)\n"
	"mov 24(%rsp), %rbx\n mov %rbx, " S(A_LASTRIP) "\n"
	"mov " S(A_RINGIDX) ", %ebx\n cmp $" S(RING_MAX) ", %ebx\n jae 1f\n"
	"mov %al, " S(A_RING) "(%rbx)\n"
	"1: incl " S(A_RINGIDX) "\n"
	"pop %rbx\n pop %rax\n add $8, %rsp\n iretq\n");

/*
 * The stream guest: exits with IF=1 (OUT), with IF=0 (CLI; OUT: the host
 * must ask for the window, which opens after STI; NOP), halts with IF=1,
 * until the host sets DONE.  It uses no stack (test 2 puts RSP on a page
 * the EPT does not map).
 */
#define STREAM_BODY(done_cmp)						\
	"sti\n nop\n"							\
	"2: outb %al, $" S(PORT_IF1) "\n"				\
	"mov $200, %ecx\n"						\
	"1: dec %ecx\n jnz 1b\n"					\
	"cli\n"								\
	"outb %al, $" S(PORT_IF0) "\n"					\
	"nop\n sti\n nop\n"						\
	"hlt\n"								\
	done_cmp "\n"							\
	"je 2b\n"							\
	GUEST_UCALL_DONE

GUEST_CODE(stream16, 16,
	"mov $" S(DATA16_SEG) ", %ax\n mov %ax, %es\n"
	STREAM_BODY("cmpl $0, %es:" S(OFF_DONE)));
GUEST_CODE(stream32, 32, STREAM_BODY("cmpl $0, " S(A_DONE)));
GUEST_CODE(stream64, 64, STREAM_BODY("cmpl $0, " S(A_DONE)));

/* Test 3: STI;HLT, MOV SS shadow, IF=0 then STI. */
#define SHADOW_BODY(p)							\
	"cli\n"								\
	"outb %al, $" S(PORT_MARK) "\n"					\
	"sti\n hlt\n"							\
	p "_after_hlt:\n"						\
	"outb %al, $" S(PORT_MARK) "\n"					\
	"mov %ss, %ax\n mov %ax, %ss\n"					\
	"outb %al, $" S(PORT_MOVSS) "\n"				\
	p "_after_movss:\n"						\
	"outb %al, $" S(PORT_MARK) "\n"					\
	"cli\n"								\
	"outb %al, $" S(PORT_CLI) "\n"					\
	"mov $1, %ecx\n inc %ecx\n"					\
	"sti\n nop\n"							\
	p "_after_sti:\n"						\
	"outb %al, $" S(PORT_MARK) "\n"					\
	GUEST_UCALL_DONE

GUEST_CODE(shadow16, 16, SHADOW_BODY("shadow16"));
GUEST_CODE(shadow32, 32, SHADOW_BODY("shadow32"));
GUEST_CODE(shadow64, 64, SHADOW_BODY("shadow64"));
extern const unsigned char shadow16_after_hlt[], shadow16_after_movss[],
	shadow16_after_sti[], shadow32_after_hlt[], shadow32_after_movss[],
	shadow32_after_sti[], shadow64_after_hlt[], shadow64_after_movss[],
	shadow64_after_sti[];

/* Test 4: NMIs. */
GUEST_CODE(nmi64, 64,
	"2: outb %al, $" S(PORT_IDLE) "\n"
	"nmi64_idle_next:\n"
	"cmpl $0, " S(A_DONE) "\n"
	"je 2b\n"
	"mov %ss, %ax\n mov %ax, %ss\n"
	"outb %al, $" S(PORT_NMI_SS) "\n"
	"nmi64_after_movss:\n"
	"outb %al, $" S(PORT_IDLE) "\n"
	GUEST_UCALL_DONE
	"nmi64_handler:\n"
	"push %rax\n"
	"cmpl $0, " S(A_NMI_NEST) "\n je 1f\n"
	"incl " S(A_NMI_BAD) "\n"
	"1: movl $1, " S(A_NMI_NEST) "\n"
	"incl " S(A_NMI_COUNT) "\n"
	"mov 8(%rsp), %rax\n mov %rax, " S(A_NMI_RIP) "\n"
	"outb %al, $" S(PORT_NMI) "\n"
	"movl $0, " S(A_NMI_NEST) "\n"
	"pop %rax\n iretq\n");
extern const unsigned char nmi64_idle_next[], nmi64_after_movss[],
	nmi64_handler[];

/* Test 6: IF=0 for about 3e9 instructions, then IF=1 for good. */
#define CLI_SPIN_ITERS	1500000000U
GUEST_CODE(clispin64, 64,
	"cli\n"
	"mov $" S(CLI_SPIN_ITERS) ", %ecx\n"
	"clispin64_loop:\n"
	"dec %ecx\n jnz clispin64_loop\n"
	"sti\n"
	"clispin64_after:\n"
	"jmp clispin64_after\n");
extern const unsigned char clispin64_loop[], clispin64_after[];

/* ------------------------------------------------------------------ */

struct mode_guest {
	enum vmm_mode mode;
	const unsigned char *stream, *stream_end;
	const unsigned char *handlers, *handlers_end;
};

static const struct mode_guest mode_guests[] = {
	{ VMM_MODE_REAL, stream16_start, stream16_end, irqh16_start, irqh16_end },
	{ VMM_MODE_PROT32, stream32_start, stream32_end, irqh32_start, irqh32_end },
	{ VMM_MODE_LONG64, stream64_start, stream64_end, irqh64_start, irqh64_end },
};

static const struct mode_guest *guest_for(enum vmm_mode mode)
{
	for (size_t i = 0; i < sizeof(mode_guests) / sizeof(mode_guests[0]); i++)
		if (mode_guests[i].mode == mode)
			return &mode_guests[i];
	TEST_ASSERT(0, "no guest for mode %d", mode);
	return NULL;
}

static bool kvm_semantics;

/* The device is KVM's own (not vmm registered as /dev/kvm). */
static bool device_is_kvm(void)
{
	const char *path = getenv("VMM_DEVICE");
	char c = 0;
	int fd;

	if (!path || !strstr(path, "kvm"))
		return false;
	fd = open("/sys/module/vmm/parameters/kvm_name", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = 0;
		close(fd);
	}
	return c != 'Y';
}

/* ioctls libvmm does not wrap: 0 or -errno. */
static int vcpu_ioctl(struct vmm_vcpu *vcpu, unsigned long req, void *arg)
{
	return ioctl(vmm_vcpu_fd(vcpu), req, arg) < 0 ? -errno : 0;
}

static int vcpu_interrupt(struct vmm_vcpu *vcpu, uint32_t irq)
{
	struct vmm_interrupt in = { .irq = irq };

	return vcpu_ioctl(vcpu, VMM_INTERRUPT, &in);
}

static int vcpu_nmi(struct vmm_vcpu *vcpu)
{
	return vcpu_ioctl(vcpu, VMM_NMI, NULL);
}

static int get_events(struct vmm_vcpu *vcpu, struct vmm_vcpu_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	return vcpu_ioctl(vcpu, VMM_GET_VCPU_EVENTS, ev);
}

static int set_events(struct vmm_vcpu *vcpu, struct vmm_vcpu_events *ev)
{
	return vcpu_ioctl(vcpu, VMM_SET_VCPU_EVENTS, ev);
}

static uint64_t data_gpa(enum vmm_mode mode)
{
	return mode == VMM_MODE_REAL ? DATA16_GPA : DATA_GPA;
}

static volatile uint32_t *data32(struct vmm_vm *vm, enum vmm_mode mode,
				 unsigned int off)
{
	return test_gpa(vm, data_gpa(mode) + off, 4);
}

static uint32_t vec_count(struct vmm_vm *vm, enum vmm_mode mode, unsigned int v)
{
	return *data32(vm, mode, OFF_COUNTS + 4 * v);
}

static uint64_t last_rip(struct vmm_vm *vm, enum vmm_mode mode)
{
	return *(volatile uint64_t *)test_gpa(vm, data_gpa(mode) + OFF_LASTRIP, 8);
}

/* A label's address as the guest sees RIP (IP in real mode). */
static uint64_t label_rip(enum vmm_mode mode, const unsigned char *start,
			  const unsigned char *label)
{
	return (uint64_t)(label - start) +
	       (mode == VMM_MODE_REAL ? 0 : TEST_CODE_GPA);
}

static uint64_t vcpu_rip(struct vmm_vcpu *vcpu)
{
	struct vmm_regs regs;

	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	return regs.rip;
}

/* Point vectors 32..255 of the table at idt_gpa to the stubs at handlers_gpa. */
static void set_stub_handlers(struct vmm_vcpu *vcpu, uint64_t idt_gpa,
			      uint64_t handlers_gpa)
{
	for (unsigned int v = FIRST_VEC; v < FIRST_VEC + NR_VEC; v++)
		vcpu_set_handler_at(vcpu, idt_gpa, v,
				    handlers_gpa + 16 * (v - FIRST_VEC));
}

/* A VM in mode running code, with the stub handlers in slot 0. */
static struct vmm_vm *irq_vm(struct vmm_vcpu **vcpup, enum vmm_mode mode,
			     const unsigned char *start,
			     const unsigned char *end)
{
	const struct mode_guest *g = guest_for(mode);
	struct vmm_vm *vm = vm_create_with_one_vcpu(vcpup, mode, start,
						    (size_t)(end - start));

	TEST_ASSERT_OK(vmm_load_flat(vm, HANDLER_GPA, g->handlers,
				     (size_t)(g->handlers_end - g->handlers)));
	set_stub_handlers(*vcpup, mode == VMM_MODE_REAL ? 0 : TEST_IDT_GPA,
			  HANDLER_GPA);
	return vm;
}

static const char *exit_name(struct vmm_vcpu *vcpu)
{
	return vmm_exit_reason_name(vmm_vcpu_run_data(vcpu)->exit_reason);
}

/* The last exit is an OUT to port. */
static bool is_out(struct vmm_vcpu *vcpu, uint16_t port)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);

	return run->exit_reason == VMM_EXIT_IO && run->io.port == port &&
	       run->io.direction == VMM_EXIT_IO_OUT;
}

/* ------------------------------------------------------------------ */
/* Steps: a sequence of test points that may end early                */
/* ------------------------------------------------------------------ */

static unsigned int steps_left;
static const char *steps_what;

static void steps_begin(const char *what, unsigned int n)
{
	steps_what = what;
	steps_left = n;
}

TU_PRINTF(2, 3) static bool step(bool ok, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	TEST_ASSERT(steps_left > 0, "%s: more steps than planned", steps_what);
	steps_left--;
	return tap_ok(ok, "%s: %s", steps_what, buf);
}

/* Fail the steps not reached. */
static void steps_end(void)
{
	while (steps_left) {
		steps_left--;
		tap_ok(false, "%s: not reached", steps_what);
	}
}

/* Run; on an error or another exit than a ucall-less OUT to port, say so. */
static bool run_to_out(struct vmm_vcpu *vcpu, uint16_t port)
{
	int r = vmm_vcpu_run(vcpu);

	if (r == 0 && is_out(vcpu, port))
		return true;
	tap_diag("expected OUT to port %#x, got %s, exit %s", port,
		 r ? strerror(-r) : "success", exit_name(vcpu));
	vcpu_dump_diag(vcpu);
	return false;
}

static bool run_to_exit(struct vmm_vcpu *vcpu, uint32_t reason)
{
	int r = vmm_vcpu_run(vcpu);

	if (r == 0 && vmm_vcpu_run_data(vcpu)->exit_reason == reason)
		return true;
	tap_diag("expected exit %s, got %s, exit %s",
		 vmm_exit_reason_name(reason), r ? strerror(-r) : "success",
		 exit_name(vcpu));
	vcpu_dump_diag(vcpu);
	return false;
}

/* ------------------------------------------------------------------ */
/* Streams of injections (tests 1, 2, 5)                               */
/* ------------------------------------------------------------------ */

enum queue_method { Q_IOCTL, Q_SREGS, Q_EVENTS, Q_COUNT };
static const char *const q_names[] = { "VMM_INTERRUPT", "SET_SREGS bitmap",
				       "SET_VCPU_EVENTS" };

struct stream {
	const char *name;
	struct vmm_vm *vm;
	struct vmm_vcpu *vcpu;
	enum vmm_mode mode;
	unsigned int n;
	uint8_t seq[RING_MAX];
	unsigned int methods;		/* bit mask of enum queue_method */
	bool roundtrip;			/* GET->SET->GET at many points */
	void (*before_run)(struct stream *s, bool queued);
	void *hva;			/* for before_run */
	uint32_t rnd;
	/* results */
	unsigned long runs, eintr, windows, probes, roundtrips, queued[Q_COUNT];
	char err[512];
};

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* The sequence: a permutation of all 224 vectors, then random ones. */
static void stream_init(struct stream *s, const char *name, unsigned int n,
			uint32_t seed)
{
	uint32_t x = seed;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->n = n;
	s->rnd = seed * 7 + 1;
	for (unsigned int i = 0; i < n; i++)
		s->seq[i] = (uint8_t)(FIRST_VEC + (i < NR_VEC ? i : xorshift(&x) % NR_VEC));
	for (unsigned int i = 0; i < NR_VEC && i < n; i++) {
		unsigned int j = i + xorshift(&x) % (NR_VEC - i);
		uint8_t t = s->seq[i];

		s->seq[i] = s->seq[j];
		s->seq[j] = t;
	}
	s->methods = 1U << Q_IOCTL;
}

TU_PRINTF(2, 3) static void stream_err(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* The queued vector as GET_SREGS and GET_VCPU_EVENTS show it: -1 none, -2 inconsistent. */
static int shown_vector(struct stream *s)
{
	struct vmm_vcpu_events ev;
	struct vmm_sregs sregs;
	int bit = -1, r;

	TEST_ASSERT_OK(vmm_vcpu_get_sregs(s->vcpu, &sregs));
	for (int i = 0; i < 256; i++) {
		if (!(sregs.interrupt_bitmap[i / 64] >> (i % 64) & 1))
			continue;
		if (bit >= 0) {
			stream_err(s, "interrupt_bitmap has bits %d and %d set", bit, i);
			return -2;
		}
		bit = i;
	}
	r = get_events(s->vcpu, &ev);
	if (r) {
		stream_err(s, "GET_VCPU_EVENTS: %s", strerror(-r));
		return -2;
	}
	if ((bit >= 0) != !!ev.interrupt.injected ||
	    (bit >= 0 && ev.interrupt.nr != bit)) {
		stream_err(s, "interrupt_bitmap shows %d, VCPU_EVENTS interrupt.injected %u nr %u",
			   bit, ev.interrupt.injected, ev.interrupt.nr);
		return -2;
	}
	return bit;
}

/* GET->SET->GET of VCPU_EVENTS and SREGS, byte-identical. */
static void roundtrip(struct stream *s, unsigned int idx)
{
	struct vmm_vcpu_events e1, e2;
	struct vmm_sregs s1, s2;
	int r;

	s->roundtrips++;
	r = get_events(s->vcpu, &e1);
	if (!r)
		r = set_events(s->vcpu, &e1);
	if (!r)
		r = get_events(s->vcpu, &e2);
	if (r) {
		stream_err(s, "VCPU_EVENTS round trip before vector #%u: %s", idx, strerror(-r));
		return;
	}
	if (memcmp(&e1, &e2, sizeof(e1)))
		stream_err(s, "VCPU_EVENTS GET->SET->GET differs before vector #%u (interrupt %u/%u -> %u/%u, nmi masked %u -> %u)",
			   idx, e1.interrupt.injected, e1.interrupt.nr,
			   e2.interrupt.injected, e2.interrupt.nr,
			   e1.nmi.masked, e2.nmi.masked);
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(s->vcpu, &s1));
	r = vmm_vcpu_set_sregs(s->vcpu, &s1);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(s->vcpu, &s2));
	if (r)
		stream_err(s, "SET_SREGS of what GET_SREGS gave before vector #%u: %s",
			   idx, strerror(-r));
	else if (memcmp(&s1, &s2, sizeof(s1)))
		stream_err(s, "SREGS GET->SET->GET differs before vector #%u (bitmap %#llx:%#llx:%#llx:%#llx -> %#llx:%#llx:%#llx:%#llx)",
			   idx,
			   (unsigned long long)s1.interrupt_bitmap[0], (unsigned long long)s1.interrupt_bitmap[1],
			   (unsigned long long)s1.interrupt_bitmap[2], (unsigned long long)s1.interrupt_bitmap[3],
			   (unsigned long long)s2.interrupt_bitmap[0], (unsigned long long)s2.interrupt_bitmap[1],
			   (unsigned long long)s2.interrupt_bitmap[2], (unsigned long long)s2.interrupt_bitmap[3]);
}

static bool stream_queue(struct stream *s, unsigned int idx)
{
	uint8_t v = s->seq[idx];
	enum queue_method m;
	struct vmm_vcpu_events ev;
	struct vmm_sregs sregs;
	int r;

	do
		m = (enum queue_method)(xorshift(&s->rnd) % Q_COUNT);
	while (!(s->methods & (1U << m)));
	s->queued[m]++;

	switch (m) {
	case Q_IOCTL:
		r = vcpu_interrupt(s->vcpu, v);
		break;
	case Q_SREGS:
		TEST_ASSERT_OK(vmm_vcpu_get_sregs(s->vcpu, &sregs));
		sregs.interrupt_bitmap[v / 64] |= 1ULL << (v % 64);
		r = vmm_vcpu_set_sregs(s->vcpu, &sregs);
		break;
	default:
		r = get_events(s->vcpu, &ev);
		if (r)
			break;
		ev.interrupt.injected = 1;
		ev.interrupt.nr = v;
		ev.interrupt.soft = 0;
		r = set_events(s->vcpu, &ev);
		break;
	}
	if (r) {
		stream_err(s, "queueing vector #%u (%u) with %s: %s", idx, v,
			   q_names[m], strerror(-r));
		return false;
	}
	if (m != Q_IOCTL || s->roundtrip) {
		int shown = shown_vector(s);

		if (shown != v) {
			stream_err(s, "vector #%u (%u) queued with %s, the vCPU shows %d",
				   idx, v, q_names[m], shown);
			return false;
		}
	}
	return true;
}

/* Ask for the window while it is open: an exit at once, RIP unchanged. */
static void window_probe(struct stream *s)
{
	struct vmm_run *run = vmm_vcpu_run_data(s->vcpu);
	uint64_t rip = vcpu_rip(s->vcpu);
	int r;

	s->probes++;
	run->request_interrupt_window = 1;
	if (s->before_run)
		s->before_run(s, false);
	r = vmm_vcpu_run(s->vcpu);
	run->request_interrupt_window = 0;
	s->runs++;
	if (r == -EINTR) {
		s->eintr++;
		return;
	}
	if (r || run->exit_reason != VMM_EXIT_IRQ_WINDOW_OPEN ||
	    !run->ready_for_interrupt_injection || vcpu_rip(s->vcpu) != rip)
		stream_err(s, "window asked for while open: %s, exit %s, ready %u, rip %#llx -> %#llx",
			   r ? strerror(-r) : "ok", exit_name(s->vcpu),
			   run->ready_for_interrupt_injection,
			   (unsigned long long)rip,
			   (unsigned long long)vcpu_rip(s->vcpu));
	s->windows++;
}

/* Check the exit against the protocol; false ends the stream. */
static bool stream_exit(struct stream *s, int r, bool asked, bool *done)
{
	struct vmm_run *run = vmm_vcpu_run_data(s->vcpu);
	bool ready = run->ready_for_interrupt_injection, iff = run->if_flag;
	struct ucall uc;

	if (r == -EINTR) {
		s->eintr++;
		if (run->exit_reason != VMM_EXIT_INTR)
			stream_err(s, "EINTR with exit %s", exit_name(s->vcpu));
		return !s->err[0];
	}
	if (r) {
		stream_err(s, "VMM_RUN: %s", strerror(-r));
		return false;
	}
	if (ready && !iff)
		stream_err(s, "ready_for_interrupt_injection 1 with if_flag 0 at exit %s",
			   exit_name(s->vcpu));
	switch (run->exit_reason) {
	case VMM_EXIT_IO:
		if (is_out(s->vcpu, PORT_IF1)) {
			if (!ready || !iff)
				stream_err(s, "OUT with IF=1: if_flag %u ready %u (want 1 1)", iff, ready);
		} else if (is_out(s->vcpu, PORT_IF0)) {
			if (ready || iff)
				stream_err(s, "OUT after CLI: if_flag %u ready %u (want 0 0)", iff, ready);
		} else if (get_ucall(s->vcpu, &uc) == UCALL_DONE) {
			*done = true;
		} else {
			stream_err(s, "unexpected I/O exit, port %#x", run->io.port);
		}
		break;
	case VMM_EXIT_HLT:
		if (!ready || !iff)
			stream_err(s, "HLT after STI;NOP: if_flag %u ready %u (want 1 1)", iff, ready);
		break;
	case VMM_EXIT_IRQ_WINDOW_OPEN:
		s->windows++;
		if (!asked)
			stream_err(s, "IRQ_WINDOW_OPEN exit not asked for");
		if (!ready || !iff)
			stream_err(s, "IRQ_WINDOW_OPEN with if_flag %u ready %u", iff, ready);
		break;
	default:
		stream_err(s, "unexpected exit %s", exit_name(s->vcpu));
	}
	if (s->err[0])
		vcpu_dump_diag(s->vcpu);
	return !s->err[0];
}

static void run_stream(struct stream *s)
{
	struct vmm_run *run = vmm_vcpu_run_data(s->vcpu);
	unsigned long max_runs = 30UL * s->n + 1000;
	unsigned int next = 0;
	bool done = false;

	run->request_interrupt_window = 0;
	while (!done) {
		bool queued = false, asked;
		int r;

		if (s->runs > max_runs) {
			stream_err(s, "no progress: %lu runs, %u of %u vectors queued",
				   s->runs, next, s->n);
			break;
		}
		if (next < s->n && run->ready_for_interrupt_injection) {
			uint32_t rr = xorshift(&s->rnd);

			if (rr % 16 == 0 &&
			    (run->exit_reason == VMM_EXIT_HLT ||
			     run->exit_reason == VMM_EXIT_IRQ_WINDOW_OPEN)) {
				window_probe(s);
				if (s->err[0])
					break;
				continue;
			}
			if (s->roundtrip && rr % 5 == 1)
				roundtrip(s, next);
			if (!stream_queue(s, next))
				break;
			if (s->roundtrip && rr % 3 == 0)
				roundtrip(s, next);
			next++;
			queued = true;
			run->request_interrupt_window = 0;
		} else if (next < s->n) {
			run->request_interrupt_window = 1;
			if (s->roundtrip && xorshift(&s->rnd) % 4 == 0)
				roundtrip(s, next);
		} else {
			run->request_interrupt_window = 0;
			*data32(s->vm, s->mode, OFF_DONE) = 1;
		}
		if (s->err[0])
			break;
		asked = run->request_interrupt_window;
		if (s->before_run)
			s->before_run(s, queued);
		r = vmm_vcpu_run(s->vcpu);
		s->runs++;
		if (!stream_exit(s, r, asked, &done))
			break;
	}
	run->request_interrupt_window = 0;
	if (next < s->n)
		tap_diag("%s: stopped after queueing %u of %u vectors", s->name, next, s->n);
}

/* Four test points: protocol, total, counts, order. */
static void stream_report(struct stream *s)
{
	uint32_t got = *data32(s->vm, s->mode, OFF_RINGIDX);
	const uint8_t *ring = test_gpa(s->vm, data_gpa(s->mode) + OFF_RING, RING_MAX);
	unsigned int want[256] = { 0 }, badv = 0, badi = 0;
	bool counts_ok = true, order_ok = true;

	tap_diag("%s: %lu runs, %lu EINTR, %lu window exits (%lu asked while open), %lu round trips, queued by ioctl %lu, sregs %lu, events %lu",
		 s->name, s->runs, s->eintr, s->windows, s->probes, s->roundtrips,
		 s->queued[Q_IOCTL], s->queued[Q_SREGS], s->queued[Q_EVENTS]);
	tap_ok(!s->err[0], "%s: the protocol held at every exit%s%s", s->name,
	       s->err[0] ? ": " : "", s->err);
	tap_ok(got == s->n, "%s: the guest took %u interrupts, %u injected", s->name, got, s->n);
	for (unsigned int i = 0; i < s->n; i++)
		want[s->seq[i]]++;
	for (unsigned int v = 0; v < 256 && counts_ok; v++) {
		if (vec_count(s->vm, s->mode, v) != want[v]) {
			counts_ok = false;
			badv = v;
		}
	}
	tap_ok(counts_ok, "%s: every vector delivered as often as injected%s", s->name,
	       counts_ok ? "" : " (first mismatch below)");
	if (!counts_ok)
		tap_diag("%s: vector %u delivered %u times, injected %u", s->name, badv,
			 vec_count(s->vm, s->mode, badv), want[badv]);
	for (unsigned int i = 0; i < s->n && i < got && order_ok; i++) {
		if (ring[i] != s->seq[i]) {
			order_ok = false;
			badi = i;
		}
	}
	tap_ok(order_ok && got >= s->n, "%s: delivered in the order injected%s", s->name,
	       order_ok ? "" : " (first difference below)");
	if (!order_ok)
		tap_diag("%s: delivery #%u was vector %u, injected #%u was %u (previous %u)",
			 s->name, badi, ring[badi], badi, s->seq[badi],
			 badi ? s->seq[badi - 1] : 0);
}
#define STREAM_POINTS	4

/* ------------------------------------------------------------------ */
/* 1. Streams in each mode                                             */
/* ------------------------------------------------------------------ */

static struct stream stream_buf;

/* A stream of N injections, or fewer with $VMM_IRQ_STREAM (see above). */
static unsigned int stream_len(unsigned int n)
{
	const char *cap = getenv("VMM_IRQ_STREAM");
	unsigned long c = cap ? strtoul(cap, NULL, 0) : 0;

	return c && c < n ? (unsigned int)c : n;
}

static void test_stream_mode(enum vmm_mode mode, unsigned int n)
{
	const struct mode_guest *g = guest_for(mode);
	struct stream *s = &stream_buf;
	char name[64];

	snprintf(name, sizeof(name), "%s stream", vmm_mode_name(mode));
	stream_init(s, name, n, 0x1234567u + mode);
	s->mode = mode;
	s->vm = irq_vm(&s->vcpu, mode, g->stream, g->stream_end);
	run_stream(s);
	stream_report(s);
	test_vm_free(s->vm);
}

/* ------------------------------------------------------------------ */
/* 2. EPT violations during delivery                                   */
/* ------------------------------------------------------------------ */

static uint8_t fresh_image[FRESH_SIZE];	/* IDT and handlers as set up */

static void drop_fresh(struct stream *s, bool queued)
{
	(void)queued;
	TEST_ASSERT(madvise(s->hva, FRESH_SIZE, MADV_DONTNEED) == 0, "madvise");
}

static void replace_fresh(struct stream *s, bool queued)
{
	if (!queued)
		return;
	TEST_ASSERT_OK(vmm_mem_remove(s->vm, FRESH_SLOT));
	TEST_ASSERT_OK(vmm_mem_add_memfd(s->vm, FRESH_SLOT, FRESH_GPA, FRESH_SIZE,
					 0, NULL, &s->hva));
	memcpy(s->hva, fresh_image, FRESH_SIZE);
}

/* A stream VM whose IDT, stack and handlers live in a memfd slot. */
static void fresh_vm(struct stream *s, enum vmm_mode mode)
{
	const struct mode_guest *g = guest_for(mode);
	struct vmm_regs regs;

	s->mode = mode;
	s->vm = vm_create_with_one_vcpu(&s->vcpu, mode, g->stream,
					(size_t)(g->stream_end - g->stream));
	TEST_ASSERT_OK(vmm_mem_add_memfd(s->vm, FRESH_SLOT, FRESH_GPA, FRESH_SIZE,
					 0, NULL, &s->hva));
	TEST_ASSERT_OK(vmm_load_flat(s->vm, FRESH_HANDLERS, g->handlers,
				     (size_t)(g->handlers_end - g->handlers)));
	set_stub_handlers(s->vcpu, FRESH_IDT, FRESH_HANDLERS);
	memcpy(fresh_image, s->hva, FRESH_SIZE);
	TEST_ASSERT_OK(vmm_vcpu_get_regs(s->vcpu, &regs));
	regs.rsp = FRESH_STACK_TOP;
	TEST_ASSERT_OK(vmm_vcpu_set_regs(s->vcpu, &regs));
}

static void test_ept_stream(enum vmm_mode mode, bool replace, unsigned int n)
{
	struct stream *s = &stream_buf;
	char name[96];

	snprintf(name, sizeof(name), "%s, IDT/stack/handlers %s before each entry",
		 vmm_mode_name(mode),
		 replace ? "on a memslot added anew" : "dropped (MADV_DONTNEED)");
	stream_init(s, name, n, 0xabcdef1u + mode + replace);
	fresh_vm(s, mode);
	s->before_run = replace ? replace_fresh : drop_fresh;
	run_stream(s);
	stream_report(s);
	test_vm_free(s->vm);
}

/* ------------------------------------------------------------------ */
/* 3. STI;HLT, MOV SS shadow, IF=0 then STI                            */
/* ------------------------------------------------------------------ */

/* Inject vec, run to the next mark: delivered once, frame RIP want_rip. */
static bool inject_to_mark(struct vmm_vcpu *vcpu, enum vmm_mode mode,
			   unsigned int vec, uint64_t want_rip, const char *when)
{
	struct vmm_vm *vm = vmm_vcpu_vm(vcpu);
	int r = vcpu_interrupt(vcpu, vec);
	bool ran = r == 0 && run_to_out(vcpu, PORT_MARK);

	return step(ran && vec_count(vm, mode, vec) == 1 &&
		    last_rip(vm, mode) == want_rip,
		    "vector %#x %s (%s): delivered %u time(s), frame rip %#llx (want %#llx)",
		    vec, when, r ? strerror(-r) : "ok", vec_count(vm, mode, vec),
		    (unsigned long long)last_rip(vm, mode),
		    (unsigned long long)want_rip);
}

#define SHADOW_POINTS	11

static void test_shadow(enum vmm_mode mode)
{
	static const struct {
		enum vmm_mode mode;
		const unsigned char *start, *end, *hlt, *movss, *sti;
	} guests[] = {
		{ VMM_MODE_REAL, shadow16_start, shadow16_end, shadow16_after_hlt,
		  shadow16_after_movss, shadow16_after_sti },
		{ VMM_MODE_PROT32, shadow32_start, shadow32_end, shadow32_after_hlt,
		  shadow32_after_movss, shadow32_after_sti },
		{ VMM_MODE_LONG64, shadow64_start, shadow64_end, shadow64_after_hlt,
		  shadow64_after_movss, shadow64_after_sti },
	};
	unsigned int gi = mode == VMM_MODE_REAL ? 0 : mode == VMM_MODE_PROT32 ? 1 : 2;
	const unsigned char *st = guests[gi].start;
	uint64_t after_hlt = label_rip(mode, st, guests[gi].hlt);
	uint64_t after_movss = label_rip(mode, st, guests[gi].movss);
	uint64_t after_sti = label_rip(mode, st, guests[gi].sti);
	struct vmm_vcpu_events ev;
	struct vmm_vcpu *vcpu;
	struct vmm_regs regs;
	struct vmm_run *run;
	struct vmm_vm *vm;
	char what[64];
	uint64_t rip;
	bool ok;
	int r;

	snprintf(what, sizeof(what), "%s shadows", vmm_mode_name(mode));
	steps_begin(what, SHADOW_POINTS);
	vm = irq_vm(&vcpu, mode, st, guests[gi].end);
	run = vmm_vcpu_run_data(vcpu);

	/* STI;HLT */
	ok = run_to_out(vcpu, PORT_MARK);
	if (!step(ok && !run->if_flag &&
		  !run->ready_for_interrupt_injection,
		  "after CLI: if_flag %u ready %u (want 0 0)", run->if_flag,
		  run->ready_for_interrupt_injection))
		goto out;
	r = run_to_exit(vcpu, VMM_EXIT_HLT);
	rip = vcpu_rip(vcpu);
	if (!step(r && rip == after_hlt && run->if_flag &&
		  run->ready_for_interrupt_injection,
		  "STI;HLT exits HLT at rip %#llx (want %#llx), if_flag %u ready %u (want 1 1)",
		  (unsigned long long)rip, (unsigned long long)after_hlt,
		  run->if_flag, run->ready_for_interrupt_injection))
		goto out;
	if (!inject_to_mark(vcpu, mode, 0x40, after_hlt, "injected at the HLT exit"))
		goto out;

	/*
	 * MOV SS shadow: the OUT right after MOV SS exits inside it.  KVM
	 * completes the OUT at the next RUN: at the exit RIP is still at
	 * it and the shadow in force (not ready).  vmm completes it before
	 * the exit: RIP is past it, so the shadow is over and an interrupt
	 * queued now goes in after the OUT, as on the CPU (ready).
	 */
	ok = run_to_out(vcpu, PORT_MOVSS);
	rip = vcpu_rip(vcpu);
	if (kvm_semantics) {
		if (!step(ok && run->if_flag &&
			  !run->ready_for_interrupt_injection,
			  "OUT right after MOV SS: if_flag %u ready %u (want 1 0)",
			  run->if_flag, run->ready_for_interrupt_injection))
			goto out;
	} else if (!step(ok && rip == after_movss && run->if_flag &&
			 run->ready_for_interrupt_injection,
			 "OUT right after MOV SS completes at its exit: rip %#llx (want %#llx), if_flag %u ready %u (want 1 1)",
			 (unsigned long long)rip, (unsigned long long)after_movss,
			 run->if_flag, run->ready_for_interrupt_injection)) {
		goto out;
	}
	r = get_events(vcpu, &ev);
	if (kvm_semantics)
		step(r == 0 && (ev.flags & VMM_VCPUEVENT_VALID_SHADOW) &&
		     (ev.interrupt.shadow & VMM_X86_SHADOW_INT_MOV_SS),
		     "VCPU_EVENTS in the MOV SS shadow: %s, flags %#x shadow %#x (want MOV_SS)",
		     r ? strerror(-r) : "ok", ev.flags, ev.interrupt.shadow);
	else
		step(r == 0 && (ev.flags & VMM_VCPUEVENT_VALID_SHADOW) &&
		     !ev.interrupt.shadow,
		     "VCPU_EVENTS after the OUT in the MOV SS shadow: %s, flags %#x shadow %#x (want VALID_SHADOW, none)",
		     r ? strerror(-r) : "ok", ev.flags, ev.interrupt.shadow);
	run->request_interrupt_window = 1;
	r = run_to_exit(vcpu, VMM_EXIT_IRQ_WINDOW_OPEN);
	run->request_interrupt_window = 0;
	rip = vcpu_rip(vcpu);
	if (!step(r && rip == after_movss && run->ready_for_interrupt_injection,
		  "window asked for in the MOV SS shadow opens after the OUT: rip %#llx (want %#llx), ready %u",
		  (unsigned long long)rip, (unsigned long long)after_movss,
		  run->ready_for_interrupt_injection))
		goto out;
	if (!inject_to_mark(vcpu, mode, 0x41, after_movss, "injected at the window exit"))
		goto out;

	/* IF=0, window asked for, then STI; NOP. */
	if (!run_to_out(vcpu, PORT_CLI) || run->if_flag ||
	    run->ready_for_interrupt_injection) {
		step(false, "OUT after CLI: if_flag %u ready %u (want 0 0)",
		     run->if_flag, run->ready_for_interrupt_injection);
		goto out;
	}
	run->request_interrupt_window = 1;
	r = run_to_exit(vcpu, VMM_EXIT_IRQ_WINDOW_OPEN);
	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	if (!step(r && regs.rip == after_sti && (uint32_t)regs.rcx == 2 &&
		  run->if_flag && run->ready_for_interrupt_injection,
		  "window asked for with IF=0 opens after STI;NOP: rip %#llx (want %#llx), ecx %u (want 2), if_flag %u ready %u",
		  (unsigned long long)regs.rip, (unsigned long long)after_sti,
		  (uint32_t)regs.rcx, run->if_flag, run->ready_for_interrupt_injection)) {
		run->request_interrupt_window = 0;
		goto out;
	}
	/* Asked again while open: at once, no instruction runs. */
	r = run_to_exit(vcpu, VMM_EXIT_IRQ_WINDOW_OPEN);
	run->request_interrupt_window = 0;
	rip = vcpu_rip(vcpu);
	step(r && rip == after_sti, "window asked for while open: exit at once, rip %#llx (want %#llx)",
	     (unsigned long long)rip, (unsigned long long)after_sti);
	inject_to_mark(vcpu, mode, 0x42, after_sti, "injected after STI;NOP");
	ok = vmm_vcpu_run(vcpu) == 0;
	step(ok && *data32(vm, mode, OFF_RINGIDX) == 3 &&
	     get_ucall(vcpu, NULL) == UCALL_DONE,
	     "the guest finishes with %u interrupts in all (want 3), exit %s",
	     *data32(vm, mode, OFF_RINGIDX), exit_name(vcpu));
out:
	steps_end();
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* 4. NMIs                                                             */
/* ------------------------------------------------------------------ */

#define NMI_POINTS	11

static void test_nmi(void)
{
	const enum vmm_mode mode = VMM_MODE_LONG64;
	uint64_t idle_next = label_rip(mode, nmi64_start, nmi64_idle_next);
	uint64_t after_movss = label_rip(mode, nmi64_start, nmi64_after_movss);
	struct vmm_vcpu_events ev, ev2;
	volatile uint32_t *count, *bad;
	volatile uint64_t *nmi_rip;
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	int r, r2, r3;
	bool ok;

	steps_begin("NMI", NMI_POINTS);
	vm = vm_create_with_one_vcpu(&vcpu, mode, GUEST_CODE_PTR(nmi64),
				     GUEST_CODE_LEN(nmi64));
	vcpu_set_handler(vcpu, 2, label_rip(mode, nmi64_start, nmi64_handler));
	count = data32(vm, mode, OFF_NMI_COUNT);
	bad = data32(vm, mode, OFF_NMI_BAD);
	nmi_rip = test_gpa(vm, DATA_GPA + OFF_NMI_RIP, 8);

	if (!run_to_out(vcpu, PORT_IDLE)) {
		step(false, "guest reached its idle loop");
		goto out;
	}
	r = get_events(vcpu, &ev);
	step(r == 0 && !ev.nmi.masked && !ev.nmi.pending && !ev.nmi.injected,
	     "idle: VCPU_EVENTS %s, nmi injected %u pending %u masked %u (want 0 0 0)",
	     r ? strerror(-r) : "ok", ev.nmi.injected, ev.nmi.pending, ev.nmi.masked);

	/* One NMI. */
	r = vcpu_nmi(vcpu);
	ok = r == 0 && run_to_out(vcpu, PORT_NMI);
	if (!step(ok && *count == 1 &&
		  *nmi_rip == idle_next,
		  "VMM_NMI (%s) reaches the vector-2 handler: count %u (want 1), frame rip %#llx (want %#llx)",
		  r ? strerror(-r) : "ok", *count, (unsigned long long)*nmi_rip,
		  (unsigned long long)idle_next))
		goto out;
	r = get_events(vcpu, &ev);
	step(r == 0 && ev.nmi.masked && !ev.nmi.pending && !ev.nmi.injected,
	     "in the handler: nmi injected %u pending %u masked %u (want 0 0 1)",
	     ev.nmi.injected, ev.nmi.pending, ev.nmi.masked);

	/* A second one while the first is in service: held until IRET. */
	r = vcpu_nmi(vcpu);
	r2 = get_events(vcpu, &ev);
	step(r == 0 && r2 == 0 && ev.nmi.masked && ev.nmi.pending == 1,
	     "VMM_NMI in the handler (%s): nmi pending %u masked %u (want 1 1)",
	     r ? strerror(-r) : "ok", ev.nmi.pending, ev.nmi.masked);
	r = set_events(vcpu, &ev);
	r2 = get_events(vcpu, &ev2);
	step(r == 0 && r2 == 0 && !memcmp(&ev, &ev2, sizeof(ev)),
	     "VCPU_EVENTS GET->SET->GET in the handler with one pending: %s, %s",
	     r ? strerror(-r) : "ok", memcmp(&ev, &ev2, sizeof(ev)) ? "differs" : "identical");
	ok = run_to_out(vcpu, PORT_NMI);
	if (!step(ok && *count == 2 && *bad == 0 &&
		  *nmi_rip == idle_next,
		  "the held NMI comes after the IRET: count %u (want 2), nested entries %u, frame rip %#llx (want %#llx)",
		  *count, *bad, (unsigned long long)*nmi_rip, (unsigned long long)idle_next))
		goto out;

	/* Three while one is in service: one more. */
	r = vcpu_nmi(vcpu);
	r2 = vcpu_nmi(vcpu);
	r3 = vcpu_nmi(vcpu);
	ok = !r && !r2 && !r3 && run_to_out(vcpu, PORT_NMI) && *count == 3 &&
	     run_to_out(vcpu, PORT_IDLE);
	if (!step(ok && *count == 3 && *bad == 0,
		  "three VMM_NMI in the handler collapse to one: count %u (want 3), nested %u",
		  *count, *bad))
		goto out;
	r = get_events(vcpu, &ev);
	step(r == 0 && !ev.nmi.masked && !ev.nmi.pending,
	     "back in the loop: nmi pending %u masked %u (want 0 0)",
	     ev.nmi.pending, ev.nmi.masked);

	/* Three with none in service: two (one now, one after its IRET). */
	r = vcpu_nmi(vcpu);
	r2 = vcpu_nmi(vcpu);
	r3 = vcpu_nmi(vcpu);
	ok = !r && !r2 && !r3 && run_to_out(vcpu, PORT_NMI) && *count == 4 &&
	     run_to_out(vcpu, PORT_NMI) && *count == 5 &&
	     run_to_out(vcpu, PORT_IDLE);
	if (!step(ok && *count == 5 && *bad == 0,
		  "three VMM_NMI with none in service: two delivered, count %u (want 5), nested %u",
		  *count, *bad))
		goto out;

	/* One during the MOV SS shadow: after the OUT. */
	*data32(vm, mode, OFF_DONE) = 1;
	if (!run_to_out(vcpu, PORT_NMI_SS)) {
		step(false, "guest reached its MOV SS; OUT");
		goto out;
	}
	r = vcpu_nmi(vcpu);
	ok = r == 0 && run_to_out(vcpu, PORT_NMI);
	step(ok && *count == 6 &&
	     *nmi_rip == after_movss,
	     "VMM_NMI in the MOV SS shadow is taken after the next instruction: count %u (want 6), frame rip %#llx (want %#llx)",
	     *count, (unsigned long long)*nmi_rip, (unsigned long long)after_movss);
	ok = run_to_out(vcpu, PORT_IDLE) && vmm_vcpu_run(vcpu) == 0 &&
	     get_ucall(vcpu, NULL) == UCALL_DONE;
	step(ok && *count == 6 && *bad == 0,
	     "guest finishes, %u NMIs in all (want 6), nested %u", *count, *bad);
out:
	steps_end();
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* 5. EINTR with a queued vector, round trips                          */
/* ------------------------------------------------------------------ */

#define EINTR_POINTS	5

static volatile sig_atomic_t nsig;
static void on_signal(int sig) { (void)sig; nsig++; }

static void test_eintr(void)
{
	struct stream *s = &stream_buf;
	struct vmm_vcpu_events ev;
	struct vmm_run *run;
	sigset_t usr1, none;
	int r, sig;
	bool ok;

	steps_begin("EINTR", EINTR_POINTS);
	stream_init(s, "EINTR", 1, 1);
	fresh_vm(s, VMM_MODE_LONG64);
	run = vmm_vcpu_run_data(s->vcpu);

	/* immediate_exit with a vector queued */
	if (!run_to_out(s->vcpu, PORT_IF1) || !run->ready_for_interrupt_injection) {
		step(false, "guest reached its first OUT with ready 1 (%u)",
		     run->ready_for_interrupt_injection);
		goto out;
	}
	r = vcpu_interrupt(s->vcpu, 0x60);
	run->immediate_exit = 1;
	r = r ? r : vmm_vcpu_run(s->vcpu);
	run->immediate_exit = 0;
	/* KVM 6.1 leaves exit_reason alone for immediate_exit. */
	step(r == -EINTR && (kvm_semantics || run->exit_reason == VMM_EXIT_INTR) &&
	     vec_count(s->vm, s->mode, 0x60) == 0,
	     "vector 0x60 queued, immediate_exit: %s, exit %s, delivered %u time(s) (want EINTR, INTR, 0)",
	     strerror(-r), exit_name(s->vcpu), vec_count(s->vm, s->mode, 0x60));
	r = get_events(s->vcpu, &ev);
	step(r == 0 && ev.interrupt.injected && ev.interrupt.nr == 0x60 &&
	     !run->ready_for_interrupt_injection,
	     "after EINTR the vector is still queued: interrupt.injected %u nr %#x, ready %u (want 1 0x60 0)",
	     ev.interrupt.injected, ev.interrupt.nr, run->ready_for_interrupt_injection);
	ok = vmm_vcpu_run(s->vcpu) == 0 && vec_count(s->vm, s->mode, 0x60) == 1 &&
	     vmm_vcpu_run(s->vcpu) == 0;
	if (!step(ok && vec_count(s->vm, s->mode, 0x60) == 1,
		  "the next VMM_RUN delivers it once: %u time(s) after two runs, exit %s",
		  vec_count(s->vm, s->mode, 0x60), exit_name(s->vcpu)))
		goto out;

	/* A pending signal, the IDT dropped from the EPT, a vector queued. */
	while (!run->ready_for_interrupt_injection || run->exit_reason != VMM_EXIT_IO) {
		r = vmm_vcpu_run(s->vcpu);
		TEST_ASSERT(r == 0, "run to a ready exit: %s", strerror(-r));
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	TEST_ASSERT_OK(vmm_vcpu_set_signal_mask(s->vcpu, &none));
	pthread_kill(pthread_self(), SIGUSR1);
	drop_fresh(s, true);
	r = vcpu_interrupt(s->vcpu, 0x61);
	r = r ? r : vmm_vcpu_run(s->vcpu);
	step(r == -EINTR && vec_count(s->vm, s->mode, 0x61) == 0,
	     "vector 0x61 queued with SIGUSR1 pending: %s, delivered %u time(s) (want EINTR, 0)",
	     strerror(-r), vec_count(s->vm, s->mode, 0x61));
	sigwait(&usr1, &sig);
	TEST_ASSERT_OK(vmm_vcpu_set_signal_mask(s->vcpu, NULL));
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	ok = vmm_vcpu_run(s->vcpu) == 0 && vmm_vcpu_run(s->vcpu) == 0;
	step(ok && vec_count(s->vm, s->mode, 0x61) == 1 &&
	     *data32(s->vm, s->mode, OFF_RINGIDX) == 2,
	     "then delivered once: %u time(s), %u interrupts in all (want 1, 2)",
	     vec_count(s->vm, s->mode, 0x61), *data32(s->vm, s->mode, OFF_RINGIDX));
out:
	steps_end();
	test_vm_free(s->vm);
}

/* The timer stream: SIGALRM every ms, the EPT dropped before each entry. */
static void test_eintr_stream(unsigned int n)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct stream *s = &stream_buf;

	sigaction(SIGALRM, &sa, NULL);
	stream_init(s, "long mode, 1 ms SIGALRM, round trips, three ways to queue",
		    n, 0x5eed);
	fresh_vm(s, VMM_MODE_LONG64);
	s->before_run = drop_fresh;
	s->roundtrip = true;
	s->methods = (1U << Q_IOCTL) | (1U << Q_SREGS) | (1U << Q_EVENTS);
	setitimer(ITIMER_REAL, &it, NULL);
	run_stream(s);
	setitimer(ITIMER_REAL, &off, NULL);
	stream_report(s);
	tap_ok(s->eintr > 0 && s->roundtrips > 0,
	       "%s: VMM_RUN returned EINTR %lu times, %lu round trips (want both > 0)",
	       s->name, s->eintr, s->roundtrips);
	test_vm_free(s->vm);
}

/* ------------------------------------------------------------------ */
/* 6. IF=0 spin stopped by a signal                                    */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_cli_spin(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t loop = label_rip(VMM_MODE_LONG64, clispin64_start, clispin64_loop);
	uint64_t after = label_rip(VMM_MODE_LONG64, clispin64_start, clispin64_after);
	struct vmm_vcpu *vcpu;
	struct vmm_regs regs;
	struct vmm_vm *vm;
	double t0, t;
	int r;

	if (getenv("IRQ_TEST_NO_CLI_SPIN")) {
		/* Bochs 2.7 takes no exit for a host interrupt while the
		 * guest has IF=0: KVM there never leaves this guest. */
		tap_skip("CLI; spin stopped by a signal: IRQ_TEST_NO_CLI_SPIN set");
		tap_skip("the guest was stopped inside its IF=0 loop");
		return;
	}
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(clispin64),
				     GUEST_CODE_LEN(clispin64));
	sigaction(SIGALRM, &sa, NULL);
	nsig = 0;
	t0 = now_s();
	setitimer(ITIMER_REAL, &it, NULL);
	r = vmm_vcpu_run(vcpu);
	t = now_s() - t0;
	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	tap_ok(r == -EINTR && nsig == 1 && t < 5.0,
	       "CLI; spin: SIGALRM after 100 ms ends VMM_RUN with %s after %.2f s (want EINTR within 5 s)",
	       strerror(-r), t);
	tap_ok(regs.rip >= loop && regs.rip < after && !(regs.rflags & 0x200) &&
	       (uint32_t)regs.rcx != 0,
	       "the guest was stopped inside its IF=0 loop: rip %#llx (loop %#llx..%#llx), rflags %#llx, %u iterations left",
	       (unsigned long long)regs.rip, (unsigned long long)loop,
	       (unsigned long long)after, (unsigned long long)regs.rflags,
	       (uint32_t)regs.rcx);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* 7. ioctl errors, MP_STATE                                           */
/* ------------------------------------------------------------------ */

static void test_ioctls(void)
{
	const enum vmm_mode mode = VMM_MODE_LONG64;
	struct vmm_mp_state mp = { .mp_state = 0xff };
	struct vmm_dev *dev = test_open_dev();
	struct vmm_vcpu_events ev;
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	uint32_t first, second;
	int r, r2;

	tap_ok(vmm_check_extension(dev, VMM_CAP_USER_NMI) > 0 &&
	       vmm_check_extension(dev, VMM_CAP_VCPU_EVENTS) > 0 &&
	       vmm_check_extension(dev, VMM_CAP_MP_STATE) > 0,
	       "CHECK_EXTENSION: USER_NMI %d, VCPU_EVENTS %d, MP_STATE %d (want all > 0)",
	       vmm_check_extension(dev, VMM_CAP_USER_NMI),
	       vmm_check_extension(dev, VMM_CAP_VCPU_EVENTS),
	       vmm_check_extension(dev, VMM_CAP_MP_STATE));
	vmm_close(dev);

	vm = irq_vm(&vcpu, mode, stream64_start, stream64_end);
	r = vcpu_ioctl(vcpu, VMM_GET_MP_STATE, &mp);
	tap_ok(r == 0 && mp.mp_state == VMM_MP_STATE_RUNNABLE,
	       "GET_MP_STATE of a new vCPU: %s, state %u (want RUNNABLE)",
	       r ? strerror(-r) : "ok", mp.mp_state);

	r = vcpu_interrupt(vcpu, 256);
	r2 = vcpu_interrupt(vcpu, 0xffffffffu);
	tap_ok(r == -EINVAL && r2 == -EINVAL,
	       "VMM_INTERRUPT irq 256: %s, irq 0xffffffff: %s (want EINVAL)",
	       r ? strerror(-r) : "accepted", r2 ? strerror(-r2) : "accepted");

	/* At the first OUT (IF=1, ready): two vectors, one after the other. */
	TEST_ASSERT(run_to_out(vcpu, PORT_IF1), "first OUT");
	r = vcpu_interrupt(vcpu, 0x50);
	r2 = vcpu_interrupt(vcpu, 0x51);
	if (kvm_semantics) {
		/* KVM without an in-kernel irqchip replaces the queued one. */
		first = 0x51;
		second = 0x50;
		tap_ok(r == 0 && r2 == 0,
		       "VMM_INTERRUPT 0x50 then 0x51: %s, %s (KVM: both accepted)",
		       r ? strerror(-r) : "ok", r2 ? strerror(-r2) : "ok");
	} else {
		first = 0x50;
		second = 0x51;
		tap_ok(r == 0 && r2 == -EEXIST,
		       "VMM_INTERRUPT 0x50 then 0x51: %s, %s (want ok, EEXIST)",
		       r ? strerror(-r) : "ok", r2 ? strerror(-r2) : "accepted");
	}
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && vec_count(vm, mode, first) == 1 &&
	       vec_count(vm, mode, second) == 0,
	       "one vector delivered: %#x %u time(s) (want 1), %#x %u time(s) (want 0)",
	       first, vec_count(vm, mode, first), second, vec_count(vm, mode, second));

	while ((r = vmm_vcpu_run(vcpu)) == 0 &&
	       vmm_vcpu_run_data(vcpu)->exit_reason != VMM_EXIT_HLT)
		;
	TEST_ASSERT(r == 0, "run to the HLT: %s", strerror(-r));
	mp.mp_state = 0xff;
	r = vcpu_ioctl(vcpu, VMM_GET_MP_STATE, &mp);
	tap_ok(r == 0 && mp.mp_state == VMM_MP_STATE_RUNNABLE,
	       "GET_MP_STATE at a HLT exit: %s, state %u (want RUNNABLE: HLT exits to userspace)",
	       r ? strerror(-r) : "ok", mp.mp_state);
	mp.mp_state = VMM_MP_STATE_RUNNABLE;
	r = vcpu_ioctl(vcpu, VMM_SET_MP_STATE, &mp);
	mp.mp_state = VMM_MP_STATE_HALTED;
	r2 = vcpu_ioctl(vcpu, VMM_SET_MP_STATE, &mp);
	tap_ok(r == 0 && r2 == -EINVAL,
	       "SET_MP_STATE RUNNABLE: %s; HALTED: %s (want ok, EINVAL: no in-kernel LAPIC)",
	       r ? strerror(-r) : "ok", r2 ? strerror(-r2) : "accepted");

	r = get_events(vcpu, &ev);
	if (r)
		tap_diag("GET_VCPU_EVENTS: %s", strerror(-r));
	ev.flags |= 1U << 31;
	r = set_events(vcpu, &ev);
	ev.flags &= ~(1U << 31);
	ev.exception.injected = 1;
	ev.exception.nr = 2;
	r2 = set_events(vcpu, &ev);
	tap_ok(r == -EINVAL && r2 == -EINVAL,
	       "SET_VCPU_EVENTS with an unknown flag: %s; with NMI as an exception: %s (want EINVAL)",
	       r ? strerror(-r) : "accepted", r2 ? strerror(-r2) : "accepted");
	ev.exception.injected = 0;
	ev.exception.nr = 0;
	r = set_events(vcpu, &ev);
	*data32(vm, mode, OFF_DONE) = 1;
	r2 = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && r2 == 0 && get_ucall(vcpu, NULL) == UCALL_DONE &&
	       *data32(vm, mode, OFF_RINGIDX) == 1,
	       "the guest finishes with %u interrupt(s) in all (want 1)",
	       *data32(vm, mode, OFF_RINGIDX));
	test_vm_free(vm);
}
#define IOCTL_POINTS	9

/* ------------------------------------------------------------------ */

int main(void)
{
	static const enum vmm_mode modes[] = {
		VMM_MODE_REAL, VMM_MODE_PROT32, VMM_MODE_LONG64,
	};
	const unsigned int nmodes = sizeof(modes) / sizeof(modes[0]);

	vmm_close(test_open_dev());	/* skips without the device */
	kvm_semantics = device_is_kvm();
	tap_plan(IOCTL_POINTS + nmodes * STREAM_POINTS + 3 * STREAM_POINTS +
		 nmodes * SHADOW_POINTS + NMI_POINTS + EINTR_POINTS +
		 STREAM_POINTS + 1 + 2);
	if (kvm_semantics)
		tap_diag("the device is KVM's: expecting KVM where vmm documents otherwise");

	test_ioctls();
	for (unsigned int i = 0; i < nmodes; i++)
		test_stream_mode(modes[i], stream_len(2000));
	test_ept_stream(VMM_MODE_LONG64, false, stream_len(1000));
	test_ept_stream(VMM_MODE_PROT32, false, stream_len(1000));
	test_ept_stream(VMM_MODE_LONG64, true, stream_len(300));
	for (unsigned int i = 0; i < nmodes; i++)
		test_shadow(modes[i]);
	test_nmi();
	test_eintr();
	test_eintr_stream(stream_len(1000));
	test_cli_spin();
	return tap_finish();
}
