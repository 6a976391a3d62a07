// SPDX-License-Identifier: GPL-2.0
/*
 * xstate_test: the module's extended-state rules (kmod/xstate.h) on any
 * machine, including the AVX-512, AMX and protection-key cases that the
 * emulated VT-x host cannot reach.
 *
 *  - vmm_xcr0_valid() against the SDM's XSETBV rules, written out here
 *    independently, for every combination of the XCR0 bits that have a
 *    rule (0-9, 17, 18), with every CPU feature set of interest: the
 *    emulated host's (x87/SSE/AVX), AVX-512 and PKRU hosts, AMX, all.
 *  - No value it accepts could make the host's own XSETBV fault: each
 *    accepted value is a subset of the supported bits and keeps x87.
 *  - vmm_xcr0_switch() and vmm_pkru_switch() truth tables.
 */
#include <stdio.h>

#include "xstate.h"

static int failed, run;

static void check(int ok, const char *what, unsigned long long a,
		  unsigned long long b)
{
	run++;
	if (!ok) {
		failed++;
		printf("#   %s (%#llx, %#llx)\n", what, a, b);
	}
}

/* SDM Vol. 1 13.3 and Vol. 2C XSETBV, condition by condition. */
static int sdm_xcr0_ok(u64 x, u64 supported)
{
	unsigned int avx512 = (x >> 5) & 7;

	if (x & ~supported)
		return 0;			/* a bit the CPU does not support */
	if (!(x & 1))
		return 0;			/* x87 must stay enabled */
	if ((x & 4) && !(x & 2))
		return 0;			/* AVX requires SSE */
	if (((x >> 3) & 1) != ((x >> 4) & 1))
		return 0;			/* BNDREGS and BNDCSR together */
	if (avx512 && avx512 != 7)
		return 0;			/* opmask, ZMM_Hi256, Hi16_ZMM together */
	if (avx512 && !(x & 4))
		return 0;			/* AVX-512 requires AVX */
	if (((x >> 17) & 1) != ((x >> 18) & 1))
		return 0;			/* XTILECFG and XTILEDATA together */
	return 1;
}

/* Bit i of n, spread over the XCR0 bits that have rules. */
static u64 spread(unsigned int n)
{
	static const int bits[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 18 };
	u64 x = 0;
	unsigned int i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (n & (1U << i))
			x |= 1ULL << bits[i];
	return x;
}

static void xcr0_group(const char *name, u64 supported, int *tap)
{
	int f0 = failed, accepted = 0;
	unsigned int n;

	for (n = 0; n < (1U << 12); n++) {
		u64 x = spread(n);
		int ok = vmm_xcr0_valid(x, supported);

		check(ok == sdm_xcr0_ok(x, supported), "XCR0 rule mismatch",
		      x, supported);
		if (ok) {
			accepted++;
			check(!(x & ~supported) && (x & 1),
			      "accepted XCR0 the CPU would refuse", x, supported);
		}
	}
	/* Bits past 18 and the top bit: never supported here. */
	check(!vmm_xcr0_valid(supported | (1ULL << 63), supported),
	      "bit 63 accepted", supported, 0);
	printf("%sok %d - XCR0 rules, %s host (supported %#llx): 4096 values, %d accepted\n",
	       failed == f0 ? "" : "not ", ++*tap, name,
	       (unsigned long long)supported, accepted);
}

int main(void)
{
	static const struct {
		const char *name;
		u64 supported;
	} hosts[] = {
		{ "x87-only", 0x1 },
		{ "SSE", 0x3 },
		{ "AVX (the emulated host)", 0x7 },
		{ "MPX", 0x1f },
		{ "AVX-512", 0xe7 },
		{ "AVX-512 + PKRU", 0x2e7 },
		{ "AMX", 0x602e7 },
		{ "every ruled bit", 0x603ff },
	};
	unsigned long cr4s[] = { 0, VMM_CR4_OSXSAVE, VMM_CR4_PKE,
				 VMM_CR4_OSXSAVE | VMM_CR4_PKE };
	int tap = 0, f0;
	unsigned int i, j;

	printf("TAP version 13\n1..%d\n",
	       (int)(sizeof(hosts) / sizeof(hosts[0])) + 2);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		xcr0_group(hosts[i].name, hosts[i].supported, &tap);

	f0 = failed;
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 2; j++) {
			u64 g = j ? 0x3 : 0x7;
			int want = (cr4s[i] & VMM_CR4_OSXSAVE) && g != 0x7;

			check(vmm_xcr0_switch(cr4s[i], g, 0x7) == want,
			      "XCR0 switch", cr4s[i], g);
		}
		check(!vmm_xcr0_switch(cr4s[i], 0x7, 0x7),
		      "XCR0 switched to the same value", cr4s[i], 0x7);
	}
	printf("%sok %d - XCR0 is switched exactly when the guest has OSXSAVE and its own value\n",
	       failed == f0 ? "" : "not ", ++tap);

	f0 = failed;
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			u64 g = 0x7 | (j & 1 ? VMM_XF_PKRU : 0);
			int pku_host = j >> 1;
			int want = pku_host &&
				   ((cr4s[i] & VMM_CR4_PKE) ||
				    ((cr4s[i] & VMM_CR4_OSXSAVE) &&
				     (g & VMM_XF_PKRU)));

			check(vmm_pkru_switch(pku_host, cr4s[i], g) == want,
			      "PKRU switch", cr4s[i], g | (u64)pku_host << 32);
		}
	}
	printf("%sok %d - PKRU is switched when the guest can reach it (CR4.PKE, or XRSTOR with XCR0.PKRU), on PKU hosts only\n",
	       failed == f0 ? "" : "not ", ++tap);

	printf("# %d checks, %d failed\n", run, failed);
	return failed ? 1 : 0;
}
