/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's extended state controls: which XCR0 values XSETBV accepts,
 * and when XCR0 and PKRU must be switched around guest execution.
 *
 * Plain C with no kernel dependency, so that the host unit tests
 * (selftests/unit/xstate_test.c) check these rules on every machine, not
 * only where the hardware has AVX-512, AMX or protection keys.
 */
#ifndef VMM_XSTATE_H
#define VMM_XSTATE_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <linux/types.h>
typedef __u32 u32;
typedef __u64 u64;
#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* XCR0 bits (SDM Vol. 1 13.1); the kernel's XFEATURE_MASK_* agree. */
#define VMM_XF_X87		BIT_ULL(0)
#define VMM_XF_SSE		BIT_ULL(1)
#define VMM_XF_AVX		BIT_ULL(2)
#define VMM_XF_BNDREGS		BIT_ULL(3)
#define VMM_XF_BNDCSR		BIT_ULL(4)
#define VMM_XF_OPMASK		BIT_ULL(5)
#define VMM_XF_ZMM_HI256	BIT_ULL(6)
#define VMM_XF_HI16_ZMM		BIT_ULL(7)
#define VMM_XF_PKRU		BIT_ULL(9)
#define VMM_XF_TILECFG		BIT_ULL(17)
#define VMM_XF_TILEDATA		BIT_ULL(18)

#define VMM_XF_AVX512	(VMM_XF_OPMASK | VMM_XF_ZMM_HI256 | VMM_XF_HI16_ZMM)
#define VMM_XF_MPX	(VMM_XF_BNDREGS | VMM_XF_BNDCSR)
#define VMM_XF_AMX	(VMM_XF_TILECFG | VMM_XF_TILEDATA)

/* CR4 bits these rules look at. */
#define VMM_CR4_OSXSAVE		BIT(18)
#define VMM_CR4_PKE		BIT(22)

/*
 * The rules XSETBV enforces (SDM Vol. 1 13.3, Vol. 2C XSETBV), as a
 * table: if any bit of @any is set, every bit of @needs must be set.
 */
struct vmm_xcr0_rule {
	u64 any;
	u64 needs;
};

static const struct vmm_xcr0_rule vmm_xcr0_rules[] = {
	{ VMM_XF_AVX, VMM_XF_SSE },		/* AVX extends SSE */
	{ VMM_XF_MPX, VMM_XF_MPX },		/* MPX: both or neither */
	{ VMM_XF_AVX512, VMM_XF_AVX512 },	/* AVX-512: all or none, */
	{ VMM_XF_AVX512, VMM_XF_AVX | VMM_XF_SSE }, /* and it needs AVX */
	{ VMM_XF_AMX, VMM_XF_AMX },		/* AMX: both or neither */
};

/*
 * May a guest set XCR0 to @xcr0, given the state components @supported
 * (what the guest's CPUID.(EAX=0DH,ECX=0) reports)?  False means XSETBV
 * raises #GP(0) and XCR0 keeps its value.
 */
static inline bool vmm_xcr0_valid(u64 xcr0, u64 supported)
{
	unsigned int i;

	/* x87 state can never be disabled. */
	if ((xcr0 & ~supported) || !(xcr0 & VMM_XF_X87))
		return false;
	for (i = 0; i < ARRAY_SIZE(vmm_xcr0_rules); i++) {
		const struct vmm_xcr0_rule *r = &vmm_xcr0_rules[i];

		if ((xcr0 & r->any) && (xcr0 & r->needs) != r->needs)
			return false;
	}
	return true;
}

/*
 * XCR0 is the guest's while it runs with CR4.OSXSAVE set; with it clear
 * XSAVE, XRSTOR, XGETBV and VEX instructions raise #UD in the guest, so
 * the host's value may stay.
 */
static inline bool vmm_xcr0_switch(unsigned long guest_cr4, u64 guest_xcr0,
				   u64 host_xcr0)
{
	return (guest_cr4 & VMM_CR4_OSXSAVE) && guest_xcr0 != host_xcr0;
}

/*
 * PKRU can change in the guest when it can run WRPKRU (CR4.PKE) or
 * XRSTOR the PKRU component (XCR0.PKRU, with CR4.OSXSAVE): then the
 * guest's value is loaded before entry and read back after the exit.
 * Only on a host that uses protection keys; elsewhere neither bit can
 * be set by the guest.
 */
static inline bool vmm_pkru_switch(bool host_pku, unsigned long guest_cr4,
				   u64 guest_xcr0)
{
	return host_pku && ((guest_cr4 & VMM_CR4_PKE) ||
			    ((guest_cr4 & VMM_CR4_OSXSAVE) &&
			     (guest_xcr0 & VMM_XF_PKRU)));
}

#endif /* VMM_XSTATE_H */
