// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID and MSRs.
 *
 * CPUID: GET_SUPPORTED_CPUID (hypervisor bit, no VMX, the 0x40000000
 * signature), a guest answered from SET_CPUID2 (custom leaf, subleaves of
 * the index-significant leaves 4 and 7, the index ignored elsewhere),
 * GET_CPUID2 round trip and its E2BIG.
 *
 * MSRs: GET_MSR_INDEX_LIST; GET/SET_MSRS round trips of EFER, the SYSCALL
 * MSRs, KERNEL_GS_BASE, SYSENTER_*, PAT, TSC, TSC_AUX and MISC_ENABLE,
 * refusals of bad values and unknown MSRs (the count stops there); the
 * guest reading what the host set and writing values the host reads
 * back; RDMSR/WRMSR of an unknown MSR and WRMSR of a bad value raising
 * #GP, caught by a handler in the guest's IDT; SWAPGS seeing
 * KERNEL_GS_BASE; the host's FS/GS bases untouched by a guest that
 * changes its own.
 */
#include <asm/prctl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_util.h"

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_IA32_TSC		0x10
#define MSR_SYSENTER_CS		0x174
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176
#define MSR_MISC_ENABLE		0x1a0
#define MSR_PAT			0x277
#define MSR_BOGUS		0x4b564dff	/* nobody's MSR */

#define TABLE_GPA	0x100000	/* struct msr_row[] for the guest */
#define GP_COUNT_GPA	0x101000	/* u32: #GPs taken */
#define GP_ERR_GPA	0x101008	/* u64: last error code */
#define GP_RIP_GPA	0x101010	/* u64: last faulting RIP */

#define GUEST_KGS	0x00007f0012345000ULL
#define GUEST_FS	0x00007f00abcd0000ULL

/* One MSR for the guest: it reads it into got, then writes newval. */
struct msr_row {
	uint32_t index;
	uint32_t pad;
	uint64_t expect;	/* for the host's check */
	uint64_t newval;
	uint64_t got;
};

GUEST_CODE(guest, 64,
	/* CPUID: custom leaf with a nonzero index; EAX:EBX in RBX */
	"mov $0x40000001, %eax\n mov $5, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"mov $4, %eax\n mov $1, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"mov $4, %eax\n mov $0, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"mov $7, %eax\n mov $1, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"mov $7, %eax\n mov $0, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"mov $1, %eax\n mov $0, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT
	"mov $0x40000000, %eax\n mov $0, %ecx\n cpuid\n"
	"shl $32, %rax\n or %rax, %rbx\n"
	GUEST_UCALL_REPORT

	/* The MSR table: read each, then write its new value. */
	"mov $" TU_XSTR(TABLE_GPA) ", %rsi\n"
	"1: mov (%rsi), %ecx\n"
	"test %ecx, %ecx\n"
	"jz 2f\n"
	"rdmsr\n"
	"shl $32, %rdx\n mov %eax, %eax\n or %rdx, %rax\n"
	"mov %rax, 24(%rsi)\n"
	"mov 16(%rsi), %rax\n mov %rax, %rdx\n shr $32, %rdx\n"
	"wrmsr\n"
	"add $32, %rsi\n"
	"jmp 1b\n"
	"2: mov " TU_XSTR(GP_COUNT_GPA) ", %ebx\n"
	GUEST_UCALL_REPORT

	/* #GP: RDMSR and WRMSR of an unknown MSR, non-canonical LSTAR. */
	"movl $0, " TU_XSTR(GP_COUNT_GPA) "\n"
	"mov $" TU_XSTR(MSR_BOGUS) ", %ecx\n"
	"rdmsr\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %ebx\n"
	"mov " TU_XSTR(GP_ERR_GPA) ", %rcx\n"
	"mov " TU_XSTR(GP_RIP_GPA) ", %rdx\n"
	GUEST_UCALL_REPORT
	"mov $" TU_XSTR(MSR_BOGUS) ", %ecx\n"
	"xor %eax, %eax\n xor %edx, %edx\n"
	"wrmsr\n"
	"mov $" TU_XSTR(MSR_LSTAR) ", %ecx\n"
	"xor %eax, %eax\n mov $0x8000, %edx\n"
	"wrmsr\n"
	"mov " TU_XSTR(GP_COUNT_GPA) ", %ebx\n"
	GUEST_UCALL_REPORT

	/* SWAPGS exchanges GS_BASE with KERNEL_GS_BASE. */
	"mov $" TU_XSTR(MSR_GS_BASE) ", %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov $" TU_XSTR(MSR_KERNEL_GS_BASE) ", %ecx\n"
	"mov $0x12345000, %eax\n mov $0x7f00, %edx\n wrmsr\n"
	"swapgs\n"
	"mov $" TU_XSTR(MSR_GS_BASE) ", %ecx\n rdmsr\n"
	"shl $32, %rdx\n mov %eax, %eax\n or %rdx, %rax\n mov %rax, %rbx\n"
	"swapgs\n"
	"mov $" TU_XSTR(MSR_KERNEL_GS_BASE) ", %ecx\n rdmsr\n"
	"shl $32, %rdx\n mov %eax, %eax\n or %rdx, %rax\n mov %rax, %rcx\n"
	"push %rcx\n"
	/* Change the guest's FS base too; the host's must survive. */
	"mov $" TU_XSTR(MSR_FS_BASE) ", %ecx\n"
	"mov $0xabcd0000, %eax\n mov $0x7f00, %edx\n wrmsr\n"
	"pop %rcx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE

	"gp_handler:\n"
	"push %rax\n"
	"mov 8(%rsp), %rax\n mov %rax, " TU_XSTR(GP_ERR_GPA) "\n"
	"mov 16(%rsp), %rax\n mov %rax, " TU_XSTR(GP_RIP_GPA) "\n"
	"addq $2, 16(%rsp)\n"		/* RDMSR and WRMSR are 2 bytes */
	"incl " TU_XSTR(GP_COUNT_GPA) "\n"
	"pop %rax\n"
	"add $8, %rsp\n"		/* the error code */
	"iretq\n");

extern const unsigned char gp_handler[];

static struct vmm_cpuid_entry2 *upsert(struct vmm_cpuid2 **listp, uint32_t fn,
				       uint32_t index, uint32_t flags)
{
	struct vmm_cpuid2 *l = *listp;
	struct vmm_cpuid_entry2 *e;

	for (uint32_t i = 0; i < l->nent; i++) {
		e = &l->entries[i];
		if (e->function == fn &&
		    (!(e->flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			goto found;
	}
	l = realloc(l, sizeof(*l) + (l->nent + 1) * sizeof(*e));
	TEST_ASSERT(l, "realloc");
	*listp = l;
	e = &l->entries[l->nent++];
found:
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = index;
	e->flags = flags;
	return e;
}

static void set_regs4(struct vmm_cpuid_entry2 *e, uint32_t a, uint32_t b,
		      uint32_t c, uint32_t d)
{
	e->eax = a;
	e->ebx = b;
	e->ecx = c;
	e->edx = d;
}

/* Run until the next ucall; false (with diagnostics) if it is not REPORT. */
static bool report(struct vmm_vcpu *vcpu, struct ucall *uc)
{
	int r = vmm_vcpu_run(vcpu);

	if (r < 0) {
		tap_diag("VMM_RUN: %s", strerror(-r));
		return false;
	}
	if (get_ucall(vcpu, uc) != UCALL_REPORT) {
		vcpu_dump_diag(vcpu);
		memset(uc, 0, sizeof(*uc));
		return false;
	}
	return true;
}

static bool check_cpuid_report(struct vmm_vcpu *vcpu, const char *what,
			       uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct ucall uc;
	bool ok = report(vcpu, &uc);

	ok = ok && uc.args[0] == ((uint64_t)a << 32 | b) &&
	     (uint32_t)uc.args[1] == c && (uint32_t)uc.args[2] == d;
	tap_ok(ok, "guest CPUID %s: %08llx %08llx %08x %08x", what,
	       (unsigned long long)(uc.args[0] >> 32),
	       (unsigned long long)(uint32_t)uc.args[0],
	       (uint32_t)uc.args[1], (uint32_t)uc.args[2]);
	return ok;
}

static int set_msrs(struct vmm_vcpu *vcpu, const uint32_t *idx,
		    const uint64_t *val, unsigned int n)
{
	struct vmm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	int r;

	TEST_ASSERT(m, "calloc");
	m->nmsrs = n;
	for (unsigned int i = 0; i < n; i++) {
		m->entries[i].index = idx[i];
		m->entries[i].data = val[i];
	}
	r = vmm_vcpu_set_msrs(vcpu, m);
	free(m);
	return r;
}

static uint64_t host_base(int code)
{
	unsigned long v = 0;

	syscall(SYS_arch_prctl, code, &v);
	return v;
}

int main(void)
{
	struct vmm_cpuid2 *sup, *set, *got;
	struct vmm_cpuid_entry2 *e;
	struct vmm_msr_list *ml;
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct vmm_dev *dev;
	struct ucall uc;
	char sig[13] = { 0 };
	bool ok;
	int r;

	dev = test_open_dev();
	tap_plan(39);

	/* ---- supported CPUID ---- */
	TEST_ASSERT_OK(vmm_get_supported_cpuid(dev, &sup));
	e = vmm_cpuid_find(sup, 1, 0);
	tap_ok(e && (e->ecx & (1U << 31)) && !(e->ecx & (1U << 5)),
	       "supported CPUID.1: hypervisor bit set, VMX clear (ecx %#x)",
	       e ? e->ecx : 0);
	e = vmm_cpuid_find(sup, 0x40000000, 0);
	if (e) {
		memcpy(sig, &e->ebx, 4);
		memcpy(sig + 4, &e->ecx, 4);
		memcpy(sig + 8, &e->edx, 4);
	}
	tap_ok(e && e->eax >= 0x40000000 && !memcmp(sig, "VMMVMMVMM\0\0\0", 12),
	       "supported CPUID.0x40000000: signature \"%s\", max leaf %#x",
	       sig, e ? e->eax : 0);
	e = vmm_cpuid_find(sup, 4, 0);
	tap_ok(!e || (e->flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX),
	       "supported CPUID.4 is marked index-significant");

	/* ---- the vCPU's CPUID ---- */
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(guest), GUEST_CODE_LEN(guest));
	vcpu_set_handler(vcpu, 13, TEST_CODE_GPA + (gp_handler - guest_start));

	set = malloc(sizeof(*set) + sup->nent * sizeof(sup->entries[0]));
	TEST_ASSERT(set, "malloc");
	memcpy(set, sup, sizeof(*set) + sup->nent * sizeof(sup->entries[0]));
	/* Drop the supported subleaves of 4 and 7; add our own. */
	for (uint32_t i = 0; i < set->nent; i++)
		if (set->entries[i].function == 4 || set->entries[i].function == 7)
			set->entries[i--] = set->entries[--set->nent];
	set_regs4(upsert(&set, 0x40000001, 0, 0),
		  0x11111111, 0x22222222, 0x33333333, 0x44444444);
	set_regs4(upsert(&set, 4, 0, VMM_CPUID_FLAG_SIGNIFCANT_INDEX),
		  0x40000121, 0x01c0003f, 0x3f, 0x40);
	set_regs4(upsert(&set, 4, 1, VMM_CPUID_FLAG_SIGNIFCANT_INDEX),
		  0x40000122, 0x01c0003f, 0x7f, 0x41);
	set_regs4(upsert(&set, 7, 0, VMM_CPUID_FLAG_SIGNIFCANT_INDEX),
		  1, 0x700, 0x7000, 0x70000);
	set_regs4(upsert(&set, 7, 1, VMM_CPUID_FLAG_SIGNIFCANT_INDEX),
		  0x71, 0x711, 0x7111, 0x71111);
	r = vmm_vcpu_set_cpuid(vcpu, set);
	tap_ok(r == 0, "SET_CPUID2 with %u entries (%s)", set->nent,
	       strerror(-r));

	r = vmm_vcpu_get_cpuid(vcpu, &got);
	ok = r == 0 && got->nent == set->nent;
	for (uint32_t i = 0; ok && i < set->nent; i++) {
		struct vmm_cpuid_entry2 *s = &set->entries[i];
		struct vmm_cpuid_entry2 *g = vmm_cpuid_find(got, s->function,
							    s->index);

		if (!g || g->eax != s->eax || g->ebx != s->ebx ||
		    g->ecx != s->ecx || g->edx != s->edx ||
		    g->flags != s->flags) {
			tap_diag("GET_CPUID2: leaf %#x.%u differs", s->function,
				 s->index);
			ok = false;
		}
	}
	tap_ok(ok, "GET_CPUID2 returns what SET_CPUID2 set (%u entries)",
	       r ? 0 : got->nent);
	if (!r)
		free(got);
	{
		struct vmm_cpuid2 *small = calloc(1, sizeof(*small) +
						  2 * sizeof(small->entries[0]));

		small->nent = 2;
		r = ioctl(vmm_vcpu_fd(vcpu), VMM_GET_CPUID2, small);
		tap_ok(r == -1 && errno == E2BIG && small->nent == set->nent,
		       "GET_CPUID2 with room for 2: E2BIG, nent %u", small->nent);
		free(small);
	}

	check_cpuid_report(vcpu, "0x40000001 (ecx=5, index ignored)",
			   0x11111111, 0x22222222, 0x33333333, 0x44444444);
	check_cpuid_report(vcpu, "4.1", 0x40000122, 0x01c0003f, 0x7f, 0x41);
	check_cpuid_report(vcpu, "4.0", 0x40000121, 0x01c0003f, 0x3f, 0x40);
	check_cpuid_report(vcpu, "7.1", 0x71, 0x711, 0x7111, 0x71111);
	check_cpuid_report(vcpu, "7.0", 1, 0x700, 0x7000, 0x70000);
	ok = report(vcpu, &uc);
	tap_ok(ok && ((uint32_t)uc.args[1] & (1U << 31)) &&
	       !((uint32_t)uc.args[1] & (1U << 5)),
	       "guest CPUID.1: hypervisor bit, no VMX (ecx %#x)",
	       (uint32_t)uc.args[1]);
	ok = report(vcpu, &uc);
	{
		uint32_t b = (uint32_t)uc.args[0], c = uc.args[1], d = uc.args[2];

		memcpy(sig, &b, 4);
		memcpy(sig + 4, &c, 4);
		memcpy(sig + 8, &d, 4);
	}
	tap_ok(ok && !memcmp(sig, "VMMVMMVMM", 10),
	       "guest CPUID.0x40000000: \"%s\"", sig);

	/* ---- MSR index list ---- */
	TEST_ASSERT_OK(vmm_get_msr_index_list(dev, &ml));
	{
		static const uint32_t need[] = {
			MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
			MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE, MSR_SYSENTER_CS,
			MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_PAT,
			MSR_IA32_TSC, MSR_TSC_AUX, MSR_MISC_ENABLE,
		};
		unsigned int missing = 0;

		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
			uint32_t j;

			for (j = 0; j < ml->nmsrs && ml->indices[j] != need[i]; j++)
				;
			if (j == ml->nmsrs) {
				tap_diag("MSR %#x not in the index list", need[i]);
				missing++;
			}
		}
		tap_ok(!missing, "GET_MSR_INDEX_LIST has the %zu MSRs (%u listed)",
		       sizeof(need) / sizeof(need[0]), ml->nmsrs);
	}
	{
		struct vmm_msr_list *small = calloc(1, sizeof(*small) + 4);

		small->nmsrs = 1;
		r = ioctl(vmm_dev_fd(dev), VMM_GET_MSR_INDEX_LIST, small);
		tap_ok(r == -1 && errno == E2BIG && small->nmsrs == ml->nmsrs,
		       "GET_MSR_INDEX_LIST with room for 1: E2BIG, nmsrs %u",
		       small->nmsrs);
		free(small);
	}

	/* ---- host round trips ---- */
	uint64_t efer;

	TEST_ASSERT_OK(vmm_vcpu_get_msr(vcpu, MSR_EFER, &efer));
	struct msr_row rows[] = {
		{ MSR_EFER, 0, efer | 1, efer | 1, 0 },	/* + SCE */
		{ MSR_STAR, 0, 0x0023001000000000ULL, 0x001b000800000000ULL, 0 },
		{ MSR_LSTAR, 0, 0xffffffff81000000ULL, 0xffffffff82000000ULL, 0 },
		{ MSR_CSTAR, 0, 0xffffffff81000100ULL, 0xffffffff82000100ULL, 0 },
		{ MSR_SYSCALL_MASK, 0, 0x47700, 0x257fd5, 0 },
		{ MSR_KERNEL_GS_BASE, 0, 0xffff888012345000ULL, 0x00007fff00001000ULL, 0 },
		{ MSR_SYSENTER_CS, 0, 0x10, 0x8, 0 },
		{ MSR_SYSENTER_ESP, 0, 0xffffc90000001000ULL, 0x2000, 0 },
		{ MSR_SYSENTER_EIP, 0, 0xffffffff81001000ULL, 0x3000, 0 },
		{ MSR_PAT, 0, 0x0007010600070106ULL, 0x0007040600070406ULL, 0 },
		{ MSR_TSC_AUX, 0, 0x42, 0x1234, 0 },
		/* The guest keeps BTS unavailable (bit 11): read-only to it. */
		{ MSR_MISC_ENABLE, 0, 0x801, 0x800, 0 },
		{ MSR_IA32_TSC, 0, 1ULL << 40, 1ULL << 44, 0 },
	};
	const unsigned int nrows = sizeof(rows) / sizeof(rows[0]);
	struct msr_row *grows;

	for (unsigned int i = 0; i < nrows; i++) {
		uint64_t v = 0;

		r = vmm_vcpu_set_msr(vcpu, rows[i].index, rows[i].expect);
		if (!r)
			r = vmm_vcpu_get_msr(vcpu, rows[i].index, &v);
		if (rows[i].index == MSR_IA32_TSC)
			ok = !r && v >= rows[i].expect &&
			     v - rows[i].expect < (1ULL << 36);
		else
			ok = !r && v == rows[i].expect;
		tap_ok(ok, "SET/GET_MSRS %#x: set %#llx, read %#llx (%s)",
		       rows[i].index, (unsigned long long)rows[i].expect,
		       (unsigned long long)v, r ? strerror(-r) : "ok");
	}
	{
		uint32_t idx[] = { MSR_LSTAR, MSR_PAT, MSR_TSC_AUX, MSR_BOGUS };
		uint64_t val[] = { 0x0000800000000000ULL, 0x0002000000000000ULL,
				   1ULL << 32, 0 };
		unsigned int refused = 0;

		for (int i = 0; i < 4; i++)
			refused += set_msrs(vcpu, &idx[i], &val[i], 1) == 0;
		tap_ok(refused == 4,
		       "SET_MSRS refuses non-canonical LSTAR, bad PAT, TSC_AUX >32 bits, unknown MSR (%u of 4)",
		       refused);
	}
	{
		uint32_t idx[] = { MSR_STAR, MSR_BOGUS, MSR_LSTAR };
		uint64_t val[] = { 0x0023001000000000ULL, 0, 0 };

		r = set_msrs(vcpu, idx, val, 3);
		tap_ok(r == 1, "SET_MSRS stops at the unknown MSR: returns %d of 3", r);
	}

	/* ---- the guest reads the host's values and writes new ones ---- */
	grows = test_gpa(vm, TABLE_GPA, (nrows + 1) * sizeof(*grows));
	memcpy(grows, rows, nrows * sizeof(*grows));
	memset(&grows[nrows], 0, sizeof(*grows));
	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == 0, "guest RDMSR/WRMSR of %u MSRs without #GP (%llu taken)",
	       nrows, (unsigned long long)uc.args[0]);
	{
		unsigned int bad = 0;

		for (unsigned int i = 0; ok && i < nrows; i++) {
			bool tsc = grows[i].index == MSR_IA32_TSC;

			if (tsc ? grows[i].got < grows[i].expect
				: grows[i].got != grows[i].expect) {
				tap_diag("guest RDMSR %#x: %#llx, host set %#llx",
					 grows[i].index,
					 (unsigned long long)grows[i].got,
					 (unsigned long long)grows[i].expect);
				bad++;
			}
		}
		tap_ok(ok && !bad, "guest RDMSR sees the host's values (%u wrong)", bad);
		bad = 0;
		for (unsigned int i = 0; ok && i < nrows; i++) {
			uint64_t v = 0;
			bool tsc = grows[i].index == MSR_IA32_TSC;

			vmm_vcpu_get_msr(vcpu, grows[i].index, &v);
			if (tsc ? (v < grows[i].newval ||
				   v - grows[i].newval > (1ULL << 36))
				: v != grows[i].newval) {
				tap_diag("after guest WRMSR %#x of %#llx the host reads %#llx",
					 grows[i].index,
					 (unsigned long long)grows[i].newval,
					 (unsigned long long)v);
				bad++;
			}
		}
		tap_ok(ok && !bad, "host GET_MSRS sees the guest's WRMSR values (%u wrong)", bad);
	}

	/* ---- #GP ---- */
	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == 1 && uc.args[1] == 0,
	       "guest RDMSR of unknown MSR %#x: #GP(0) delivered to its handler (count %llu, error %#llx, rip %#llx)",
	       MSR_BOGUS, (unsigned long long)uc.args[0],
	       (unsigned long long)uc.args[1], (unsigned long long)uc.args[2]);
	ok = report(vcpu, &uc);
	tap_ok(ok && uc.args[0] == 3,
	       "guest WRMSR of unknown MSR and of non-canonical LSTAR: #GP each (count %llu of 3)",
	       (unsigned long long)uc.args[0]);

	/* ---- SWAPGS, and the host's own bases ---- */
	{
		uint64_t fs = host_base(ARCH_GET_FS), gs;

		syscall(SYS_arch_prctl, ARCH_SET_GS, 0x7f1234567000UL);
		gs = host_base(ARCH_GET_GS);
		ok = report(vcpu, &uc);
		tap_ok(ok && uc.args[0] == GUEST_KGS && uc.args[1] == GUEST_KGS,
		       "guest SWAPGS: GS_BASE %#llx, KERNEL_GS_BASE after the second %#llx (want %#llx)",
		       (unsigned long long)uc.args[0],
		       (unsigned long long)uc.args[1],
		       (unsigned long long)GUEST_KGS);
		tap_ok(host_base(ARCH_GET_FS) == fs && host_base(ARCH_GET_GS) == gs,
		       "host FS base %#llx and GS base %#llx unchanged by the guest's",
		       (unsigned long long)host_base(ARCH_GET_FS),
		       (unsigned long long)host_base(ARCH_GET_GS));
		uint64_t gfs = 0;

		vmm_vcpu_get_msr(vcpu, MSR_FS_BASE, &gfs);
		tap_ok(gfs == GUEST_FS, "GET_MSRS FS_BASE is the guest's %#llx",
		       (unsigned long long)gfs);
	}
	r = vmm_vcpu_run(vcpu);
	tap_ok(r == 0 && get_ucall(vcpu, NULL) == UCALL_DONE, "guest finished");

	free(ml);
	free(set);
	free(sup);
	test_vm_free(vm);
	vmm_close(dev);
	return tap_finish();
}
