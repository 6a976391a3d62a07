/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wrappers for the VMX instructions.
 *
 * Every wrapper carries an exception-table entry: a VMX instruction faults
 * (#UD) once VMX has been turned off behind our back by the reboot or crash
 * path, and that must not take the host down.  VM-Fail (CF or ZF set, SDM
 * Vol. 3C 31.2) is reported to a per-instruction error hook.
 */
#ifndef VMM_VMX_OPS_H
#define VMM_VMX_OPS_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <asm/asm.h>
#include <asm/vmx.h>

void vmm_vmwrite_error(unsigned long field, unsigned long value);
void vmm_insn_error(const char *insn, u64 arg);
void vmm_insn_fault(const char *insn);

/*
 * Field encodings carry their width in bits 14:13 (SDM Vol. 3D B.0):
 * 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural width.  Bit 0 set
 * selects the high half of a 64-bit field, which a 64-bit host never uses.
 * The accessors check a constant field at compile time.
 */
static __always_inline void vmcs_check(unsigned long field, int width)
{
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&
			 (((field >> 13) & 3) != width || (field & 1)),
			 "VMCS field of the wrong width");
}

static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value = 0;

	/* A fault (VMX turned off by the reboot path) leaves 0. */
	asm volatile("1: vmread %[field], %[value]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "+r" (value)
		     : [field] "r" (field)
		     : "cc");
	return value;
}

static __always_inline void __vmcs_write(unsigned long field,
					 unsigned long value)
{
	/* A fault means VMX was turned off for a reboot: the write is moot. */
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 "jna %l[fail]\n\t"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [field] "r" (field), [value] "rm" (value)
		 : "cc" : fail);
	return;
fail:
	vmm_vmwrite_error(field, value);
}

static __always_inline u16 vmcs_read16(unsigned long field)
{
	vmcs_check(field, 0);
	return __vmcs_read(field);
}

static __always_inline u64 vmcs_read64(unsigned long field)
{
	vmcs_check(field, 1);
	return __vmcs_read(field);
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	vmcs_check(field, 2);
	return __vmcs_read(field);
}

static __always_inline unsigned long vmcs_readl(unsigned long field)
{
	vmcs_check(field, 3);
	return __vmcs_read(field);
}

static __always_inline void vmcs_write16(unsigned long field, u16 value)
{
	vmcs_check(field, 0);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_write64(unsigned long field, u64 value)
{
	vmcs_check(field, 1);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_write32(unsigned long field, u32 value)
{
	vmcs_check(field, 2);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_writel(unsigned long field,
					unsigned long value)
{
	vmcs_check(field, 3);
	__vmcs_write(field, value);
}

/*
 * VMXON, VMCLEAR and VMPTRLD take the physical address of a 4 KiB region.
 * fault starts at 1 and is cleared only if the instruction did not fault.
 */
#define VMX_PA_ASM(insn, pa, fail, fault)				\
	({								\
		asm volatile("1: " insn " %[p]\n\t"			\
			     "setna %[f]\n\t"				\
			     "movb $0, %[x]\n\t"			\
			     "2:\n\t"					\
			     _ASM_EXTABLE(1b, 2b)			\
			     : [f] "+qm" (fail), [x] "+qm" (fault)	\
			     : [p] "m" (pa) : "cc", "memory");		\
	})

static inline int vmx_pa_result(const char *insn, u64 pa, u8 fail, u8 fault)
{
	if (unlikely(fault)) {
		vmm_insn_fault(insn);
		return -EFAULT;
	}
	if (unlikely(fail)) {
		vmm_insn_error(insn, pa);
		return -EIO;
	}
	return 0;
}

static __always_inline int __vmxon(u64 pa)
{
	u8 fail = 0, fault = 1;

	VMX_PA_ASM("vmxon", pa, fail, fault);
	return vmx_pa_result("vmxon", pa, fail, fault);
}

static __always_inline int vmcs_clear(u64 pa)
{
	u8 fail = 0, fault = 1;

	VMX_PA_ASM("vmclear", pa, fail, fault);
	return vmx_pa_result("vmclear", pa, fail, fault);
}

static __always_inline int vmcs_load(u64 pa)
{
	u8 fail = 0, fault = 1;

	VMX_PA_ASM("vmptrld", pa, fail, fault);
	return vmx_pa_result("vmptrld", pa, fail, fault);
}

/* VMXOFF: a fault means VMX is already off, which is what we want. */
static __always_inline void __vmxoff(void)
{
	asm volatile("1: vmxoff\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : : "cc", "memory");
}

/* INVEPT and INVVPID take a type in a register and a 128-bit descriptor. */
struct vmm_inv_desc {
	u64 lo;
	u64 hi;
};

static_assert(sizeof(struct vmm_inv_desc) == 16);

#define VMX_INV_ASM(insn, type, desc, fail)				\
	({								\
		asm volatile("1: " insn " %[d], %[t]\n\t"		\
			     "setna %[f]\n\t"				\
			     "2:\n\t"					\
			     _ASM_EXTABLE(1b, 2b)			\
			     : [f] "+qm" (fail)				\
			     : [d] "m" (desc), [t] "r" (type)		\
			     : "cc", "memory");				\
	})

static __always_inline void __invept(unsigned long type, u64 eptp, u64 gpa)
{
	struct vmm_inv_desc d = { eptp, gpa };
	u8 fail = 0;

	VMX_INV_ASM("invept", type, d, fail);
	if (unlikely(fail))
		vmm_insn_error("invept", type);
}

static __always_inline void __invvpid(unsigned long type, u16 vpid, u64 gva)
{
	struct vmm_inv_desc d = { vpid, gva };
	u8 fail = 0;

	VMX_INV_ASM("invvpid", type, d, fail);
	if (unlikely(fail))
		vmm_insn_error("invvpid", type);
}

#endif /* VMM_VMX_OPS_H */
