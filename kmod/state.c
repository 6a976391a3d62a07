// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state that userspace saves and restores beyond the registers:
 * the XSAVE image of the guest's extended state, XCR0, and the TSC rate.
 * Semantics as KVM's KVM_GET/SET_XSAVE, KVM_GET/SET_XCRS and
 * KVM_GET_TSC_KHZ (Documentation/api.rst).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmm.h>
#include <asm/fpu/api.h>
#include <asm/tsc.h>

#include "vmm.h"
#include "vcpu.h"
#include "run.h"

/*
 * The standard-format image of every component the guest may use.  The
 * guest's components (vmm_guest_xcr0: x87 to AVX-512, PKRU) all end
 * within the 4 KiB of struct vmm_xsave; AMX, which would not, is never
 * given to a guest.
 */
static long get_xsave(struct vmm_vcpu *vcpu, struct vmm_xsave __user *u)
{
	struct vmm_xsave *x;
	long r = 0;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, x->region,
				       sizeof(x->region), vmm_guest_xcr0,
				       vcpu->pkru);
	if (copy_to_user(u, x, sizeof(*x)))
		r = -EFAULT;
	kfree(x);
	return r;
}

/*
 * The kernel's FPU code checks the image as for ptrace and signal
 * frames: -EINVAL for a component outside @vmm_guest_xcr0 in XSTATE_BV,
 * a non-zero XCOMP_BV or reserved header bytes, and MXCSR bits the CPU
 * reserves.  PKRU, when XSTATE_BV has it, goes to the vCPU's PKRU.
 */
static long set_xsave(struct vmm_vcpu *vcpu, struct vmm_xsave __user *u)
{
	struct vmm_xsave *x;
	long r;

	x = memdup_user(u, sizeof(*x));
	if (IS_ERR(x))
		return PTR_ERR(x);
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, x->region,
					   vmm_guest_xcr0, &vcpu->pkru);
	kfree(x);
	return r;
}

static long get_xcrs(struct vmm_vcpu *vcpu, struct vmm_xcrs __user *u)
{
	struct vmm_xcrs x;

	memset(&x, 0, sizeof(x));
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		x.nr_xcrs = 1;
		x.xcrs[0].xcr = 0;	/* XCR0, the only one there is */
		x.xcrs[0].value = vcpu->xcr0;
	}
	return copy_to_user(u, &x, sizeof(x)) ? -EFAULT : 0;
}

/*
 * XCR0 is checked as the guest's XSETBV would be (xstate.h); entries for
 * other XCRs are ignored, as KVM does.
 */
static long set_xcrs(struct vmm_vcpu *vcpu, struct vmm_xcrs __user *u)
{
	struct vmm_xcrs x;
	u32 i;

	if (copy_from_user(&x, u, sizeof(x)))
		return -EFAULT;
	if (!boot_cpu_has(X86_FEATURE_XSAVE) || x.flags ||
	    x.nr_xcrs > VMM_MAX_XCRS)
		return -EINVAL;
	for (i = 0; i < x.nr_xcrs; i++) {
		if (x.xcrs[i].xcr != 0)
			continue;
		if (!vmm_xcr0_valid(x.xcrs[i].value, vmm_guest_xcr0))
			return -EINVAL;
		vmm_set_xcr0(vcpu, x.xcrs[i].value);
		break;
	}
	return 0;
}

long vmm_state_ioctl(struct vmm_vcpu *vcpu, unsigned int ioctl,
		     void __user *argp)
{
	switch (ioctl) {
	case VMM_GET_XSAVE:
		return get_xsave(vcpu, argp);
	case VMM_SET_XSAVE:
		return set_xsave(vcpu, argp);
	case VMM_GET_XCRS:
		return get_xcrs(vcpu, argp);
	case VMM_SET_XCRS:
		return set_xcrs(vcpu, argp);
	case VMM_GET_TSC_KHZ:
		/* The guest's TSC is the host's plus an offset: no scaling. */
		return tsc_khz ? tsc_khz : -EIO;
	}
	return -ENOTTY;
}
