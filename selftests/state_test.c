// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state that a launcher saves and restores (as QEMU does):
 *  - every MSR of GET_MSR_INDEX_LIST: GET then SET of the same values
 *    processes them all, and a second GET reads the same bytes;
 *  - SET_MSRS refuses reserved bits and invalid memory types (MTRRs),
 *    bad bank counts and control values (machine check), reserved
 *    APIC_BASE bits; MTRRCAP reads 8 variable ranges, fixed, WC and is
 *    read-only;
 *  - the guest's RDMSR/WRMSR of those MSRs: values visible both ways,
 *    #GP for reserved bits, IA32_TSC_ADJUST readable and moving the TSC;
 *  - XSAVE/XCRS on a running guest that holds SSE and AVX state: the
 *    image has the guest's registers where CPUID says, a changed image
 *    reaches the guest, the rest of its registers stay intact; bad
 *    images and XCR0 values are EINVAL;
 *  - CPUID 0xD sizes follow from the sub-leaves of the components, in
 *    GET_SUPPORTED_CPUID and in the guest for its current XCR0;
 *  - GET_TSC_KHZ.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "test_util.h"

#define RESUME_GPA	0x101000	/* u64: where #GP returns to */
#define GP_COUNT_GPA	0x101008	/* u64: #GPs taken */
#define XMM_PAT_GPA	0x101100	/* 32 bytes: pattern for YMM0 */
#define OUT_GPA		0x101200	/* guest stores YMM0, XMM2 here */

#define MSR_MTRRCAP	0xfe
#define MSR_MTRR_BASE0	0x200
#define MSR_MTRR_DEF	0x2ff
#define MSR_MCG_CAP	0x179
#define MSR_MCG_CTL	0x17b
#define MSR_MC0_CTL	0x400
#define MSR_MC0_STATUS	0x401
#define MSR_TSC		0x10
#define MSR_TSC_ADJUST	0x3b
#define MSR_APIC_BASE	0x1b

/* Record a #GP and go on at RESUME_GPA. */
#define TRY(insn)							\
	"lea 1f(%rip), %r11\n mov %r11, " TU_XSTR(RESUME_GPA) "\n"	\
	insn "\n1:\n"

#define WRMSR(idx, lo, hi)						\
	TRY("mov $" #idx ", %ecx\n mov $" #lo ", %eax\n mov $" #hi ", %edx\n wrmsr")

GUEST_CODE(msrs, 64,
	/* 1: a variable MTRR the host then reads; MCG_CAP and MTRRCAP. */
	WRMSR(0x200, 0x80000006, 0)
	WRMSR(0x201, 0xc0000800, 0)
	"mov $0x179, %ecx\n rdmsr\n mov %rax, %rbx\n"
	"mov $0xfe, %ecx\n rdmsr\n mov %rax, %rcx\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %rdx\n"
	GUEST_UCALL_REPORT
	/* 2: each of these must #GP (reserved bits, bad types, RO). */
	WRMSR(0x2ff, 0x1006, 0)		/* MTRRdefType bit 12 */
	WRMSR(0x2ff, 0x2, 0)		/* type 2 */
	WRMSR(0x200, 0x6, 0x80000000)	/* base above MAXPHYADDR */
	WRMSR(0x201, 0x400, 0)		/* mask bit 10 */
	WRMSR(0x250, 0x03030303, 0)	/* fixed: type 3 */
	WRMSR(0xfe, 0x508, 0)		/* MTRRCAP */
	WRMSR(0x179, 0x20, 0)		/* MCG_CAP */
	WRMSR(0x401, 0x1, 0)		/* MC0_STATUS non-zero */
	WRMSR(0x400, 0x1234, 0)		/* MC0_CTL not 0 / all ones */
	WRMSR(0x11, 0x1000, 0)		/* KVM wall clock */
	WRMSR(0x1b, 0xfee00901, 0)	/* APIC_BASE bit 0 */
	"mov " TU_XSTR(GP_COUNT_GPA) ", %rbx\n"
	GUEST_UCALL_REPORT
	/* 3: these must not; then TSC_ADJUST read and written. */
	WRMSR(0x401, 0, 0)
	WRMSR(0x400, 0, 0)
	WRMSR(0x17a, 0x5, 0)		/* MCG_STATUS */
	WRMSR(0x2ff, 0xc06, 0)
	WRMSR(0x1b, 0xfec00800, 0)	/* APIC_BASE moved, no BSP */
	TRY("mov $0x3b, %ecx\n rdmsr")
	WRMSR(0x3b, 0, 0x100)		/* TSC_ADJUST = 1 << 40 */
	"rdtsc\n shl $32, %rdx\n or %rax, %rdx\n mov %rdx, %rcx\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %rbx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE

	"gp_handler:\n"
	"push %rax\n"
	"incq " TU_XSTR(GP_COUNT_GPA) "\n"
	"mov " TU_XSTR(RESUME_GPA) ", %rax\n"
	"mov %rax, 16(%rsp)\n"
	"pop %rax\n"
	"add $8, %rsp\n"
	"iretq\n");

extern const unsigned char gp_handler[];

static int set1(struct vmm_vcpu *vcpu, uint32_t idx, uint64_t v)
{
	return vmm_vcpu_set_msr(vcpu, idx, v);
}

static uint64_t get1(struct vmm_vcpu *vcpu, uint32_t idx)
{
	uint64_t v = 0xbad;

	if (vmm_vcpu_get_msr(vcpu, idx, &v))
		return 0xbad;
	return v;
}

/* 4 results. */
static void test_index_list(struct vmm_dev *dev, struct vmm_vcpu *vcpu)
{
	struct vmm_msr_list *list;
	struct vmm_msrs *a, *b;
	uint32_t i, done = 0, n;
	bool got_all = true, set_all = true, same = true;
	int r;

	r = vmm_get_msr_index_list(dev, &list);
	TEST_ASSERT(r == 0, "GET_MSR_INDEX_LIST: %d", r);
	n = list->nmsrs;
	a = calloc(1, sizeof(*a) + 256 * sizeof(a->entries[0]));
	b = calloc(1, sizeof(*b) + 256 * sizeof(b->entries[0]));
	TEST_ASSERT(a && b, "calloc");
	while (done < n) {
		uint32_t k = n - done > 256 ? 256 : n - done;

		a->nmsrs = k;
		b->nmsrs = k;
		for (i = 0; i < k; i++) {
			a->entries[i].index = list->indices[done + i];
			b->entries[i].index = list->indices[done + i];
		}
		r = vmm_vcpu_get_msrs(vcpu, a);
		if (r != (int)k) {
			tap_diag("GET_MSRS of %u from %#x: %d", k,
				 a->entries[0].index, r);
			got_all = false;
		}
		r = vmm_vcpu_set_msrs(vcpu, a);
		if (r != (int)k) {
			tap_diag("SET_MSRS: %d of %u (stopped at %#x = %#llx)", r, k,
				 r >= 0 && r < (int)k ? a->entries[r].index : 0,
				 r >= 0 && r < (int)k ?
				 (unsigned long long)a->entries[r].data : 0ULL);
			set_all = false;
		}
		r = vmm_vcpu_get_msrs(vcpu, b);
		for (i = 0; i < k && r == (int)k; i++) {
			/* The TSC runs on between the two reads. */
			if (a->entries[i].index == MSR_TSC)
				continue;
			if (a->entries[i].data != b->entries[i].data) {
				tap_diag("MSR %#x: %#llx then %#llx",
					 a->entries[i].index,
					 (unsigned long long)a->entries[i].data,
					 (unsigned long long)b->entries[i].data);
				same = false;
			}
		}
		if (r != (int)k)
			same = false;
		done += k;
	}
	tap_ok(n > 40, "index list has %u MSRs (MTRRs and MCE banks among them)", n);
	tap_ok(got_all, "GET_MSRS reads every listed MSR");
	tap_ok(set_all, "SET_MSRS of the values read sets every listed MSR");
	tap_ok(same, "a second GET_MSRS reads the same values");
	free(a);
	free(b);
	free(list);
}

/* 9 results. */
static void test_host_checks(struct vmm_vcpu *vcpu)
{
	uint64_t v;

	tap_ok(get1(vcpu, MSR_MTRRCAP) == 0x508,
	       "MTRRCAP = 8 variable, fixed, WC (%#llx)",
	       (unsigned long long)get1(vcpu, MSR_MTRRCAP));
	tap_ok(set1(vcpu, MSR_MTRRCAP, 0x508) != 0, "MTRRCAP is read-only");
	tap_ok(set1(vcpu, MSR_MTRR_DEF, 0x2) != 0 &&
	       set1(vcpu, MSR_MTRR_DEF, 0x1006) != 0 &&
	       set1(vcpu, MSR_MTRR_DEF, 0xc06) == 0 &&
	       get1(vcpu, MSR_MTRR_DEF) == 0xc06,
	       "MTRRdefType: bad type and reserved bit refused, 0xc06 kept");
	tap_ok(set1(vcpu, MSR_MTRR_BASE0, 0x7) != 0 &&
	       set1(vcpu, MSR_MTRR_BASE0, 1ULL << 63 | 6) != 0 &&
	       set1(vcpu, MSR_MTRR_BASE0 + 1, 0x7ff) != 0 &&
	       set1(vcpu, MSR_MTRR_BASE0, 0x40000006) == 0,
	       "variable MTRRs: type 7, bits above MAXPHYADDR, mask low bits refused");
	v = get1(vcpu, MSR_MCG_CAP);
	tap_ok((v & 0xff) == 32 && set1(vcpu, MSR_MCG_CAP, v & ~0xffULL) != 0 &&
	       set1(vcpu, MSR_MCG_CAP, (v & ~0xffULL) | 33) != 0 &&
	       set1(vcpu, MSR_MCG_CAP, v | (1ULL << 9)) != 0 &&
	       set1(vcpu, MSR_MCG_CAP, (v & ~0xffULL) | 10) == 0 &&
	       get1(vcpu, MSR_MC0_CTL + 4 * 10) == 0xbad &&
	       set1(vcpu, MSR_MCG_CAP, v) == 0,
	       "MCG_CAP: 32 banks (%#llx); 0, 33 banks or unknown bits refused; 10 banks hides bank 10",
	       (unsigned long long)v);
	tap_ok(set1(vcpu, MSR_MCG_CTL, 0x1) != 0 && set1(vcpu, MSR_MCG_CTL, 0) == 0 &&
	       set1(vcpu, MSR_MC0_CTL, 0x1234) != 0 &&
	       set1(vcpu, MSR_MC0_CTL, ~0ULL & ~(1ULL << 10)) == 0 &&
	       set1(vcpu, MSR_MC0_STATUS, 0x8000000000000000ULL) == 0,
	       "MCG_CTL and MCi_CTL: 0 or all ones; MCi_STATUS settable by userspace");
	tap_ok(set1(vcpu, MSR_APIC_BASE, 0xfee00901) != 0 &&
	       set1(vcpu, MSR_APIC_BASE, 0xfee00000ULL | (1ULL << 40) | 0x800) != 0 &&
	       set1(vcpu, MSR_APIC_BASE, 0xfee00400) != 0 &&
	       set1(vcpu, MSR_APIC_BASE, 0xfee00900) == 0 &&
	       get1(vcpu, MSR_APIC_BASE) == 0xfee00900,
	       "APIC_BASE: reserved bits, MAXPHYADDR, x2APIC without enable refused");
	tap_ok(set1(vcpu, 0x11, 0x123000) == 0 && get1(vcpu, 0x11) == 0x123000 &&
	       set1(vcpu, 0x12, 0x456001) == 0 && get1(vcpu, 0x12) == 0x456001,
	       "KVM clock MSRs 0x11/0x12 kept as plain values from userspace");
	v = get1(vcpu, MSR_TSC);
	tap_ok(set1(vcpu, MSR_TSC_ADJUST, 12345) == 0 &&
	       get1(vcpu, MSR_TSC_ADJUST) == 12345 &&
	       get1(vcpu, MSR_TSC) - v < (1ULL << 32) &&
	       set1(vcpu, MSR_TSC_ADJUST, 0) == 0,
	       "TSC_ADJUST from userspace is a plain value (the TSC does not move)");
}

static bool guest_has_tsc_adjust(struct vmm_vcpu *vcpu)
{
	struct vmm_cpuid2 *c;
	struct vmm_cpuid_entry2 *e;
	bool r;

	TEST_ASSERT(vmm_vcpu_get_cpuid(vcpu, &c) == 0, "GET_CPUID2");
	e = vmm_cpuid_find(c, 7, 0);
	r = e && (e->ebx & 2);
	free(c);
	return r;
}

/* 7 results. */
static void test_guest_msrs(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
						    GUEST_CODE_PTR(msrs),
						    GUEST_CODE_LEN(msrs));
	bool adj = guest_has_tsc_adjust(vcpu);
	struct ucall uc;

	vcpu_set_handler(vcpu, 13, TEST_CODE_GPA + (gp_handler - msrs_start));
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_REPORT, "report 1");
	tap_ok(uc.args[2] == 0, "guest writes a variable MTRR pair (%llu #GP)",
	       (unsigned long long)uc.args[2]);
	tap_ok(get1(vcpu, MSR_MTRR_BASE0) == 0x80000006 &&
	       get1(vcpu, MSR_MTRR_BASE0 + 1) == 0xc0000800,
	       "the host reads the guest's MTRR values");
	tap_ok(uc.args[0] == get1(vcpu, MSR_MCG_CAP) && uc.args[1] == 0x508,
	       "guest reads MCG_CAP %#llx and MTRRCAP %#llx",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_REPORT, "report 2");
	tap_ok(uc.args[0] == 11, "11 bad guest WRMSRs: 11 #GP (%llu)",
	       (unsigned long long)uc.args[0]);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_REPORT, "report 3");
	tap_ok(uc.args[0] == 11, "valid guest WRMSRs and RDMSR TSC_ADJUST: no #GP (%llu)",
	       (unsigned long long)uc.args[0] - 11);
	tap_ok(get1(vcpu, MSR_MTRR_DEF) == 0xc06 && get1(vcpu, 0x17a) == 5 &&
	       get1(vcpu, MSR_APIC_BASE) == 0xfec00800 &&
	       vmm_vcpu_run_data(vcpu)->apic_base == 0xfec00800,
	       "the host reads MTRRdefType, MCG_STATUS, APIC_BASE (also in run->apic_base)");
	if (adj)
		tap_ok(uc.args[1] >= (1ULL << 40) &&
		       get1(vcpu, MSR_TSC_ADJUST) == (1ULL << 40) &&
		       get1(vcpu, MSR_TSC) >= (1ULL << 40),
		       "guest's TSC_ADJUST write moves its TSC by 2^40 (TSC %#llx)",
		       (unsigned long long)uc.args[1]);
	else
		tap_skip("guest CPUID has no TSC_ADJUST");
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "done");
	test_vm_free(vm);
}

/*
 * XSAVE guest: CR4.OSXSAVE, CPUID.(0DH,0).EBX before and after XSETBV
 * to x87|SSE|AVX, YMM0/XMM2 loaded, report; then store them and report.
 */
GUEST_CODE(xs, 64,
	"mov %cr4, %rax\n or $0x40000, %rax\n mov %rax, %cr4\n"
	"mov $0xd, %eax\n xor %ecx, %ecx\n cpuid\n mov %rbx, %rsi\n"
	"xor %ecx, %ecx\n mov $7, %eax\n xor %edx, %edx\n xsetbv\n"
	"mov $0xd, %eax\n xor %ecx, %ecx\n cpuid\n mov %rbx, %rcx\n"
	"vmovdqu " TU_XSTR(XMM_PAT_GPA) ", %ymm0\n"
	"vpcmpeqd %xmm2, %xmm2, %xmm2\n"
	"mov %rsi, %rbx\n"
	GUEST_UCALL_REPORT
	"vmovdqu %ymm0, " TU_XSTR(OUT_GPA) "\n"
	"movdqu %xmm2, " TU_XSTR(OUT_GPA) "+32\n"
	"xor %ecx, %ecx\n xgetbv\n mov %rax, %rbx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

/* 9 results. */
static void test_xsave(struct vmm_dev *dev)
{
	struct vmm_cpuid2 *sup;
	struct vmm_cpuid_entry2 *d0, *d2;
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_xsave xs, bad;
	struct vmm_xcrs xcrs;
	uint8_t pat[32], *out, newx2[16];
	uint32_t avx_off, avx_size;
	struct ucall uc;
	int fd, i;

	TEST_ASSERT(vmm_get_supported_cpuid(dev, &sup) == 0, "GET_SUPPORTED_CPUID");
	d0 = vmm_cpuid_find(sup, 0xd, 0);
	d2 = vmm_cpuid_find(sup, 0xd, 2);
	if (!d0 || !(d0->eax & 4) || !d2 ||
	    vmm_check_extension(dev, VMM_CAP_XSAVE) != 1 ||
	    vmm_check_extension(dev, VMM_CAP_XCRS) != 1) {
		for (i = 0; i < 9; i++)
			tap_skip("no AVX state for guests (or no XSAVE)");
		free(sup);
		return;
	}
	avx_size = d2->eax;
	avx_off = d2->ebx;
	free(sup);

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64, GUEST_CODE_PTR(xs),
				     GUEST_CODE_LEN(xs));
	fd = vmm_vcpu_fd(vcpu);
	for (i = 0; i < 32; i++)
		pat[i] = 0x40 + i;
	memcpy(test_gpa(vm, XMM_PAT_GPA, 32), pat, 32);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_REPORT, "xs report 1");
	tap_ok(uc.args[0] == 576 && uc.args[1] == avx_off + avx_size,
	       "guest CPUID.(0DH,0).EBX: %llu for x87, %llu for x87|SSE|AVX",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);

	memset(&xcrs, 0, sizeof(xcrs));
	TEST_ASSERT(ioctl(fd, VMM_GET_XCRS, &xcrs) == 0, "GET_XCRS");
	tap_ok(xcrs.nr_xcrs == 1 && xcrs.xcrs[0].xcr == 0 && xcrs.xcrs[0].value == 7,
	       "GET_XCRS: XCR0 = %#llx", (unsigned long long)xcrs.xcrs[0].value);
	TEST_ASSERT(ioctl(fd, VMM_GET_XSAVE, &xs) == 0, "GET_XSAVE");
	{
		uint8_t *img = (uint8_t *)xs.region;
		uint64_t bv = *(uint64_t *)(img + 512);
		uint8_t ones[16];

		memset(ones, 0xff, 16);
		tap_ok((bv & 6) == 6 && !memcmp(img + 160, pat, 16) &&
		       !memcmp(img + avx_off, pat + 16, 16) &&
		       !memcmp(img + 160 + 32, ones, 16),
		       "GET_XSAVE: XSTATE_BV %#llx, YMM0 at 160 and %u, XMM2 all ones",
		       (unsigned long long)bv, avx_off);
	}
	/* Rejections, then the same XCR0 and a changed XMM2 written back. */
	bad = xs;
	*(uint64_t *)((uint8_t *)bad.region + 512) |= 1ULL << 62;
	tap_ok(ioctl(fd, VMM_SET_XSAVE, &bad) == -1 && errno == EINVAL,
	       "SET_XSAVE with an unknown component in XSTATE_BV: EINVAL");
	bad = xs;
	*(uint64_t *)((uint8_t *)bad.region + 520) = 1ULL << 63 | 7;
	tap_ok(ioctl(fd, VMM_SET_XSAVE, &bad) == -1 && errno == EINVAL,
	       "SET_XSAVE with XCOMP_BV set: EINVAL");
	xcrs.xcrs[0].value = 4;
	i = ioctl(fd, VMM_SET_XCRS, &xcrs) == -1 && errno == EINVAL;
	xcrs.xcrs[0].value = 1ULL << 62 | 7;
	i &= ioctl(fd, VMM_SET_XCRS, &xcrs) == -1 && errno == EINVAL;
	xcrs.xcrs[0].value = 7;
	xcrs.flags = 1;
	i &= ioctl(fd, VMM_SET_XCRS, &xcrs) == -1 && errno == EINVAL;
	xcrs.flags = 0;
	tap_ok(i, "SET_XCRS: AVX without x87, unknown bits, flags: EINVAL");
	for (i = 0; i < 16; i++)
		newx2[i] = 0xa0 + i;
	memcpy((uint8_t *)xs.region + 160 + 32, newx2, 16);
	tap_ok(ioctl(fd, VMM_SET_XCRS, &xcrs) == 0 &&
	       ioctl(fd, VMM_SET_XSAVE, &xs) == 0,
	       "SET_XCRS and SET_XSAVE of the (changed) image");
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_REPORT, "xs report 2");
	out = test_gpa(vm, OUT_GPA, 48);
	tap_ok(!memcmp(out, pat, 32) && !memcmp(out + 32, newx2, 16),
	       "the guest goes on with YMM0 intact and the new XMM2");
	tap_ok(uc.args[0] == 7, "the guest's XGETBV: %#llx", (unsigned long long)uc.args[0]);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE, "xs done");
	test_vm_free(vm);
}

/* 3 results. */
static void test_cpuid_d(struct vmm_dev *dev)
{
	struct vmm_cpuid2 *sup;
	struct vmm_cpuid_entry2 *d0, *d1, *e;
	uint64_t mask;
	uint32_t std = 576, cmp = 576;
	bool all = true;
	int i;

	TEST_ASSERT(vmm_get_supported_cpuid(dev, &sup) == 0, "GET_SUPPORTED_CPUID");
	d0 = vmm_cpuid_find(sup, 0xd, 0);
	d1 = vmm_cpuid_find(sup, 0xd, 1);
	if (!d0) {
		for (i = 0; i < 3; i++)
			tap_skip("no CPUID leaf 0xD");
		free(sup);
		return;
	}
	mask = d0->eax | (uint64_t)d0->edx << 32;
	for (i = 2; i < 64; i++) {
		if (!(mask >> i & 1))
			continue;
		e = vmm_cpuid_find(sup, 0xd, i);
		if (!e || !e->eax) {
			all = false;
			continue;
		}
		if (e->ebx + e->eax > std)
			std = e->ebx + e->eax;
		if (e->ecx & 2)
			cmp = (cmp + 63) & ~63U;
		cmp += e->eax;
	}
	tap_ok(all && (mask & 3) == 3, "XCR0 mask %#llx: x87, SSE and a sub-leaf per component",
	       (unsigned long long)mask);
	tap_ok(d0->ecx == std && d0->ebx == std,
	       "0xD.0 EBX %u, ECX %u: the end of the last component (%u)",
	       d0->ebx, d0->ecx, std);
	tap_ok(d1 && (!(d1->eax & 2) || d1->ebx == cmp),
	       "0xD.1 EBX %u: compacted size %u", d1 ? d1->ebx : 0, cmp);
	free(sup);
}

int main(void)
{
	struct vmm_dev *dev = test_open_dev();
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	int khz;

	tap_plan(4 + 9 + 7 + 9 + 3 + 2);

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(msrs), GUEST_CODE_LEN(msrs));
	test_index_list(dev, vcpu);
	test_host_checks(vcpu);
	tap_ok(vmm_check_extension(dev, VMM_CAP_GET_TSC_KHZ) == 1,
	       "CAP_GET_TSC_KHZ");
	khz = ioctl(vmm_vcpu_fd(vcpu), VMM_GET_TSC_KHZ, 0);
	tap_ok(khz >= 100000 && khz <= 10000000, "GET_TSC_KHZ: %d kHz", khz);
	test_vm_free(vm);

	test_guest_msrs();
	test_xsave(dev);
	test_cpuid_d(dev);
	vmm_close(dev);
	return tap_finish();
}
