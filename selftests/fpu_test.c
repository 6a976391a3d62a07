// SPDX-License-Identifier: GPL-2.0
/*
 * FPU state: the guest's and the host's x87/SSE registers are separate.
 *  - The host loads its XMM0-15, MXCSR, x87 control word and an ST0 and
 *    enters VMM_RUN from the same asm block; the guest loads other values
 *    into all of them; after the exit the host still has its own.
 *  - Between two runs the host uses other values; the guest, resumed,
 *    still has its own (stored to memory and compared).
 *  - GET_FPU shows the guest's values; values set with SET_FPU are what
 *    the guest then reads; SET_FPU/GET_FPU round trip; an MXCSR with
 *    reserved bits is refused.
 */
#include <stdlib.h>
#include <sys/syscall.h>

#include "test_util.h"

#define GIN	0x102000	/* guest's values: 16 XMM, MXCSR +0x100, FCW +0x104, ST0 +0x110 */
#define GOUT1	0x103000	/* what the guest stores after the host ran */
#define GOUT2	0x104000	/* ... after SET_FPU */

#define XMM_LD(b, n) "movdqu " TU_XSTR(b) "+" #n "*16, %xmm" #n "\n"
#define XMM_ST(b, n) "movdqu %xmm" #n ", " TU_XSTR(b) "+" #n "*16\n"
#define ALL16(M, b) M(b, 0) M(b, 1) M(b, 2) M(b, 3) M(b, 4) M(b, 5) M(b, 6) \
	M(b, 7) M(b, 8) M(b, 9) M(b, 10) M(b, 11) M(b, 12) M(b, 13) M(b, 14) M(b, 15)

#define STORE_ALL(b)							\
	ALL16(XMM_ST, b)						\
	"stmxcsr " TU_XSTR(b) "+0x100\n"				\
	"fnstcw " TU_XSTR(b) "+0x104\n"					\
	"fstpt " TU_XSTR(b) "+0x110\n"

GUEST_CODE(guest, 64,
	ALL16(XMM_LD, GIN)
	"ldmxcsr " TU_XSTR(GIN) "+0x100\n"
	"fninit\n"
	"fldcw " TU_XSTR(GIN) "+0x104\n"
	"fldt " TU_XSTR(GIN) "+0x110\n"
	GUEST_UCALL_REPORT
	STORE_ALL(GOUT1)
	GUEST_UCALL_REPORT
	STORE_ALL(GOUT2)
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

struct fpstate {
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint16_t fcw;
	uint8_t pad[10];
	uint8_t st0[16];	/* 80 bits used */
};

_Static_assert(offsetof(struct fpstate, mxcsr) == 0x100, "layout");
_Static_assert(offsetof(struct fpstate, fcw) == 0x104, "layout");
_Static_assert(offsetof(struct fpstate, st0) == 0x110, "layout");

static void fill(struct fpstate *s, uint8_t seed, uint32_t mxcsr, uint16_t fcw)
{
	long double v = 1.0L + seed / 1000.0L;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			s->xmm[i][j] = (uint8_t)(seed + i * 16 + j);
	s->mxcsr = mxcsr;
	s->fcw = fcw;
	memcpy(s->st0, &v, 10);
}

static bool same(const struct fpstate *a, const struct fpstate *b, const char *what)
{
	bool ok = true;

	for (int i = 0; i < 16; i++)
		if (memcmp(a->xmm[i], b->xmm[i], 16)) {
			tap_diag("%s: XMM%d differs", what, i);
			ok = false;
		}
	if (a->mxcsr != b->mxcsr) {
		tap_diag("%s: MXCSR %#x, want %#x", what, b->mxcsr, a->mxcsr);
		ok = false;
	}
	if (a->fcw != b->fcw) {
		tap_diag("%s: FCW %#x, want %#x", what, b->fcw, a->fcw);
		ok = false;
	}
	if (memcmp(a->st0, b->st0, 10)) {
		tap_diag("%s: ST0 differs", what);
		ok = false;
	}
	return ok;
}

/*
 * VMM_RUN with the host's FPU loaded from *in, stored to *out right
 * after the system call returns.
 */
static long run_with_host_fpu(int fd, const struct fpstate *in, struct fpstate *out)
{
	long ret = SYS_ioctl;

	*out = *in;
	__asm__ volatile(
		"movdqu 0*16(%[in]), %%xmm0\n movdqu 1*16(%[in]), %%xmm1\n"
		"movdqu 2*16(%[in]), %%xmm2\n movdqu 3*16(%[in]), %%xmm3\n"
		"movdqu 4*16(%[in]), %%xmm4\n movdqu 5*16(%[in]), %%xmm5\n"
		"movdqu 6*16(%[in]), %%xmm6\n movdqu 7*16(%[in]), %%xmm7\n"
		"movdqu 8*16(%[in]), %%xmm8\n movdqu 9*16(%[in]), %%xmm9\n"
		"movdqu 10*16(%[in]), %%xmm10\n movdqu 11*16(%[in]), %%xmm11\n"
		"movdqu 12*16(%[in]), %%xmm12\n movdqu 13*16(%[in]), %%xmm13\n"
		"movdqu 14*16(%[in]), %%xmm14\n movdqu 15*16(%[in]), %%xmm15\n"
		"ldmxcsr 0x100(%[in])\n"
		"fninit\n"
		"fldcw 0x104(%[in])\n"
		"fldt 0x110(%[in])\n"
		"syscall\n"
		"movdqu %%xmm0, 0*16(%[out])\n movdqu %%xmm1, 1*16(%[out])\n"
		"movdqu %%xmm2, 2*16(%[out])\n movdqu %%xmm3, 3*16(%[out])\n"
		"movdqu %%xmm4, 4*16(%[out])\n movdqu %%xmm5, 5*16(%[out])\n"
		"movdqu %%xmm6, 6*16(%[out])\n movdqu %%xmm7, 7*16(%[out])\n"
		"movdqu %%xmm8, 8*16(%[out])\n movdqu %%xmm9, 9*16(%[out])\n"
		"movdqu %%xmm10, 10*16(%[out])\n movdqu %%xmm11, 11*16(%[out])\n"
		"movdqu %%xmm12, 12*16(%[out])\n movdqu %%xmm13, 13*16(%[out])\n"
		"movdqu %%xmm14, 14*16(%[out])\n movdqu %%xmm15, 15*16(%[out])\n"
		"stmxcsr 0x100(%[out])\n"
		"fnstcw 0x104(%[out])\n"
		"fstpt 0x110(%[out])\n"
		"fninit\n"
		"movl $0x1f80, 0x200(%[out])\n"	/* scratch for the default */
		"ldmxcsr 0x200(%[out])\n"
		: "+a"(ret)
		: "D"((long)fd), "S"((long)VMM_RUN), "d"(0L), [in] "r"(in),
		  [out] "r"(out)
		: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3",
		  "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	return ret;
}

int main(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_fpu f, g;
	struct fpstate gin, host1, host2, out;
	struct {
		struct fpstate s;
		uint8_t scratch[0x100];
	} hout;
	struct ucall uc;
	long r;
	int fd;
	bool ok;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(guest), GUEST_CODE_LEN(guest));
	tap_plan(10);
	fd = vmm_vcpu_fd(vcpu);

	fill(&gin, 0x40, 0x3f80, 0x027f);	/* round down; 53-bit precision */
	memcpy(test_gpa(vm, GIN, sizeof(gin)), &gin, sizeof(gin));
	fill(&host1, 0x90, 0x7f80, 0x0e7f);	/* round to zero; round up */
	fill(&host2, 0xc0, 0x5f80, 0x0a7f);

	/* 1: the guest loads its values; the host's survive. */
	r = run_with_host_fpu(fd, &host1, &hout.s);
	ok = r == 0 && get_ucall(vcpu, &uc) == UCALL_REPORT;
	if (!ok)
		vcpu_dump_diag(vcpu);
	tap_ok(ok, "guest loaded its XMM0-15, MXCSR, FCW, ST0 (run %ld)", r);
	tap_ok(same(&host1, &hout.s, "host after run 1"),
	       "the host's XMM0-15, MXCSR, FCW and ST0 are unchanged by the guest's");

	TEST_ASSERT_OK(vmm_vcpu_get_fpu(vcpu, &g));
	memset(&out, 0, sizeof(out));
	memcpy(out.xmm, g.xmm, sizeof(out.xmm));
	out.mxcsr = g.mxcsr;
	out.fcw = g.fcw;
	memcpy(out.st0, g.fpr[0], 10);
	tap_ok(same(&gin, &out, "GET_FPU") && g.ftwx == 0x80 &&
	       ((g.fsw >> 11) & 7) == 7,
	       "GET_FPU shows the guest's values (ftwx %#x, TOP %u)", g.ftwx,
	       (g.fsw >> 11) & 7);

	/* 2: the host ran with other values; the guest still has its own. */
	r = run_with_host_fpu(fd, &host2, &hout.s);
	ok = r == 0 && get_ucall(vcpu, &uc) == UCALL_REPORT;
	tap_ok(ok && same(&gin, test_gpa(vm, GOUT1, sizeof(out)), "guest after run 2"),
	       "the guest's values survive an exit and the host's use of the FPU");
	tap_ok(same(&host2, &hout.s, "host after run 2"),
	       "the host's values survive the guest again");

	/* 3: SET_FPU, then the guest reads. */
	memset(&f, 0, sizeof(f));
	{
		struct fpstate s;

		fill(&s, 0x11, 0x1f80 | (1 << 15), 0x037f);	/* FZ */
		memcpy(f.xmm, s.xmm, sizeof(f.xmm));
		f.mxcsr = s.mxcsr;
		f.fcw = s.fcw;
		f.fsw = 7 << 11;	/* TOP = 7: one value on the stack */
		f.ftwx = 0x80;
		memcpy(f.fpr[0], s.st0, 10);
		r = vmm_vcpu_set_fpu(vcpu, &f);
		tap_ok(r == 0, "SET_FPU: %s", r ? strerror(-r) : "ok");
		r = vmm_vcpu_run(vcpu);
		ok = r == 0 && get_ucall(vcpu, &uc) == UCALL_REPORT;
		tap_ok(ok && same(&s, test_gpa(vm, GOUT2, sizeof(out)), "guest after SET_FPU"),
		       "the guest reads the XMM, MXCSR, FCW and ST0 that SET_FPU set");
	}

	/* 4: round trip without running. */
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 10; j++)
			f.fpr[i][j] = (uint8_t)(i * 10 + j + 1);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			f.xmm[i][j] = (uint8_t)(255 - i * 16 - j);
	f.fcw = 0x0f7f;
	f.fsw = 0x3800;
	f.ftwx = 0xff;
	f.last_opcode = 0x123;
	f.last_ip = 0x401000;
	f.last_dp = 0x602000;
	f.mxcsr = 0x9fc0 & 0xffbf;	/* FZ, masks, RC=0 */
	r = vmm_vcpu_set_fpu(vcpu, &f);
	memset(&g, 0xcc, sizeof(g));
	if (!r)
		r = vmm_vcpu_get_fpu(vcpu, &g);
	ok = !r && g.fcw == f.fcw && g.fsw == f.fsw && g.ftwx == f.ftwx &&
	     g.mxcsr == f.mxcsr && !memcmp(g.xmm, f.xmm, sizeof(f.xmm)) &&
	     g.last_opcode == f.last_opcode && g.last_ip == f.last_ip &&
	     g.last_dp == f.last_dp;
	for (int i = 0; i < 8; i++)
		ok = ok && !memcmp(g.fpr[i], f.fpr[i], 10);
	tap_ok(ok, "SET_FPU then GET_FPU returns the same state (fcw %#x fsw %#x ftwx %#x mxcsr %#x)",
	       g.fcw, g.fsw, g.ftwx, g.mxcsr);

	f.mxcsr = 0xffffffff;
	r = vmm_vcpu_set_fpu(vcpu, &f);
	tap_ok(r == -EINVAL, "SET_FPU with reserved MXCSR bits: %s",
	       r ? strerror(-r) : "accepted");

	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_DONE, "guest finished");
	test_vm_free(vm);
	return tap_finish();
}
