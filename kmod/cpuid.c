// SPDX-License-Identifier: GPL-2.0
/*
 * GET_SUPPORTED_CPUID: the host's CPUID, filtered down to what a guest of
 * this module can actually use.  A bit is kept only where the hardware
 * runs the feature for the guest unaided, or the module emulates it.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "vmm.h"
#include "vcpu.h"
#include "run.h"

u64 vmm_guest_xcr0 __read_mostly;

/*
 * Where each state component the guest may use sits in the standard
 * XSAVE format, and whether it is 64-byte aligned in the compacted one
 * (CPUID.(EAX=0DH,ECX=i), SDM Vol. 1 13.4.3): the sizes that leaf 0xD
 * reports are computed from these, never taken from the host's own
 * totals, which count components the guest does not get.
 */
static u32 xs_offset[64], xs_size[64];
static u64 xs_align64;

void vmm_cpuid_init(void)
{
	u32 a, b, c, d;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(vmm_guest_xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &a, &b, &c, &d);
		xs_size[i] = a;
		xs_offset[i] = b;
		if (c & BIT(1))
			xs_align64 |= BIT_ULL(i);
	}
}

/*
 * Bytes of an XSAVE area holding the components of @xcr0: standard
 * format (CPUID.(0DH,0).EBX/ECX) or compacted (CPUID.(0DH,1).EBX).
 * The legacy area and the header (576 bytes) are always there.
 */
u32 vmm_xsave_size(u64 xcr0, bool compacted)
{
	u32 size = 576;
	int i;

	xcr0 &= vmm_guest_xcr0;
	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		if (!compacted) {
			size = max(size, xs_offset[i] + xs_size[i]);
			continue;
		}
		if (xs_align64 & BIT_ULL(i))
			size = ALIGN(size, 64);
		size += xs_size[i];
	}
	return size;
}

/* The signature at leaf 0x40000000, as other hypervisors have theirs. */
static const char vmm_signature[12] = "VMMVMMVMM\0\0\0";

struct cpuid_list {
	struct vmm_cpuid_entry2 *e;
	int n;
};

static struct vmm_cpuid_entry2 *add(struct cpuid_list *l, u32 fn, u32 idx,
				    bool indexed)
{
	struct vmm_cpuid_entry2 *e;

	if (l->n >= VMM_MAX_CPUID_ENTRIES)
		return NULL;
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = indexed ? VMM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	cpuid_count(fn, idx, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

static void filter(struct vmm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		/*
		 * ECX: no VMX/SMX, no MONITOR (it exits to #UD), no thermal,
		 * debug-store or perfmon capability bits, no x2APIC or TSC
		 * deadline (no local APIC in the kernel); OSXSAVE follows
		 * the guest's CR4; the hypervisor bit is set.
		 */
		e->ecx &= ~(BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) |
			    BIT(7) | BIT(8) | BIT(15) | BIT(21) | BIT(24) |
			    BIT(27));
		e->ecx |= BIT(31);
		/*
		 * EDX: no debug store, ACPI, TM, PBE.  The APIC stays, as in
		 * KVM: a VMM with its own local APIC (QEMU's, irqchip in
		 * userspace) gets its MMIO page and IA32_APIC_BASE and CR8
		 * kept for it (libvmm, which has none, clears the bit).  MCE
		 * and MCA stay: msr.c has the machine-check MSRs (no machine
		 * check is ever delivered), as MTRR and PAT for theirs.
		 */
		e->edx &= ~(BIT(21) | BIT(22) | BIT(29) | BIT(31));
		e->ebx &= 0x00ffffff;	/* APIC ID 0: userspace sets its own */
		break;
	case 7:
		if (e->index) {
			e->eax = 0;
			e->ebx = 0;
			e->ecx = 0;
			e->edx = 0;
			break;
		}
		e->eax = 0;		/* only subleaf 0 */
		/* EBX: no SGX, INVPCID (not enabled), RDT, MPX, PT. */
		e->ebx &= ~(BIT(2) | BIT(10) | BIT(12) | BIT(14) | BIT(15) |
			    BIT(25));
		if (!(vmm_guest_xcr0 & XFEATURE_MASK_AVX512))
			e->ebx &= ~(BIT(16) | BIT(17) | BIT(21) | BIT(26) |
				    BIT(27) | BIT(28) | BIT(30) | BIT(31));
		/*
		 * ECX: PKU only where the host uses protection keys (run.c
		 * switches PKRU); OSPKE follows the guest's CR4; no WAITPKG,
		 * SGX-LC.
		 */
		e->ecx &= ~(BIT(4) | BIT(5) | BIT(30));
		if (!boot_cpu_has(X86_FEATURE_OSPKE))
			e->ecx &= ~BIT(3);
		/*
		 * EDX: only FSRM, MD_CLEAR and SERIALIZE.  The speculation
		 * control MSRs are not exposed: the guest runs with the
		 * host's SPEC_CTRL.
		 */
		e->edx &= BIT(4) | BIT(10) | BIT(14);
		break;
	case 0xd:
		if (e->index == 0) {
			/*
			 * ECX: the size for every component the guest may
			 * use; EBX too, as KVM reports it (the CPUID exit
			 * answers for the guest's current XCR0).
			 */
			e->eax = (u32)vmm_guest_xcr0;
			e->edx = vmm_guest_xcr0 >> 32;
			e->ecx = vmm_xsave_size(vmm_guest_xcr0, false);
			e->ebx = e->ecx;
		} else if (e->index == 1) {
			/* XSAVEOPT, XSAVEC, XGETBV1; no XSAVES or XFD. */
			e->eax &= BIT(0) | BIT(1) | BIT(2);
			e->ebx = e->eax & BIT(1) ?
				 vmm_xsave_size(vmm_guest_xcr0, true) : 0;
			e->ecx = 0;
			e->edx = 0;
		}
		break;
	case 0x80000001:
		e->edx &= ~BIT(27);	/* RDTSCP is not enabled */
		break;
	}
}

long vmm_supported_cpuid(struct vmm_cpuid2 __user *u)
{
	struct cpuid_list l;
	struct vmm_cpuid2 hdr;
	struct vmm_cpuid_entry2 *e;
	u32 max, i, sub;
	long r;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	l.e = kcalloc(VMM_MAX_CPUID_ENTRIES, sizeof(*l.e), GFP_KERNEL);
	if (!l.e)
		return -ENOMEM;
	l.n = 0;

	max = min_t(u32, cpuid_eax(0), 0xd);
	for (i = 0; i <= max; i++) {
		switch (i) {
		case 3: case 5: case 6: case 8: case 9: case 0xa: case 0xc:
			continue;	/* serial, monitor, power, PMU: none */
		case 4:
		case 0xb:
			for (sub = 0; sub < 8; sub++) {
				e = add(&l, i, sub, true);
				/* The list ends with a null type. */
				if (!e || (i == 4 ? !(e->eax & 31) :
						    !((e->ecx >> 8) & 0xff)))
					break;
			}
			continue;
		case 7:
			e = add(&l, i, 0, true);
			break;
		case 0xd:
			for (sub = 0; sub < 64; sub++) {
				if (sub > 1 && !(vmm_guest_xcr0 & BIT_ULL(sub)))
					continue;
				e = add(&l, i, sub, true);
				if (e)
					filter(e);
			}
			continue;
		default:
			e = add(&l, i, 0, false);
		}
		if (e) {
			if (i == 0)
				e->eax = max;
			filter(e);
		}
	}

	e = add(&l, 0x40000000, 0, false);
	if (e) {
		e->eax = 0x40000000;
		memcpy(&e->ebx, vmm_signature, 4);
		memcpy(&e->ecx, vmm_signature + 4, 4);
		memcpy(&e->edx, vmm_signature + 8, 4);
	}

	max = min_t(u32, cpuid_eax(0x80000000), 0x80000008);
	for (i = 0x80000000; i <= max; i++) {
		e = add(&l, i, 0, false);
		if (e && i == 0x80000000)
			e->eax = max;
		if (e)
			filter(e);
	}

	r = -E2BIG;
	if (hdr.nent < l.n)
		goto out;
	r = -EFAULT;
	if (put_user(l.n, &u->nent) ||
	    copy_to_user(u->entries, l.e, l.n * sizeof(*l.e)))
		goto out;
	r = 0;
out:
	kfree(l.e);
	return r;
}
