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
 */
#define VMCS_WIDTH(f)		(((f) >> 13) & 3)
#define VMCS_CHECK(f, w)						\
	BUILD_BUG_ON_MSG(__builtin_constant_p(f) &&			\
			 (VMCS_WIDTH(f) != (w) || ((f) & 1)),		\
			 "VMCS field of the wrong width")

static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value = 0;

	/* A fault leaves 0 in value; a bad field is a bug caught by the checks. */
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
	asm goto("1: vmwrite %[value], %[field]\n\t"
			  "jna %l[fail]\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : : [field] "r" (field), [value] "rm" (value)
			  : "cc" : fail, fault);
	return;
fail:
	vmm_vmwrite_error(field, value);
	return;
fault:
	vmm_insn_fault("vmwrite");
}

#define vmcs_read16(f)	({ VMCS_CHECK(f, 0); (u16)__vmcs_read(f); })
#define vmcs_read64(f)	({ VMCS_CHECK(f, 1); (u64)__vmcs_read(f); })
#define vmcs_read32(f)	({ VMCS_CHECK(f, 2); (u32)__vmcs_read(f); })
#define vmcs_readl(f)	({ VMCS_CHECK(f, 3); __vmcs_read(f); })

#define vmcs_write16(f, v) do { VMCS_CHECK(f, 0); __vmcs_write(f, (u16)(v)); } while (0)
#define vmcs_write64(f, v) do { VMCS_CHECK(f, 1); __vmcs_write(f, (u64)(v)); } while (0)
#define vmcs_write32(f, v) do { VMCS_CHECK(f, 2); __vmcs_write(f, (u32)(v)); } while (0)
#define vmcs_writel(f, v)  do { VMCS_CHECK(f, 3); __vmcs_write(f, (unsigned long)(v)); } while (0)

/* VMXON, VMCLEAR and VMPTRLD take the physical address of a 4 KiB region. */
#define VMX_PA_INSN(name, insn)						\
static __always_inline int name(u64 pa)					\
{									\
	asm goto("1: " insn " %[pa]\n\t"			\
			  "jna %l[fail]\n\t"				\
			  _ASM_EXTABLE(1b, %l[fault])			\
			  : : [pa] "m" (pa) : "cc", "memory"		\
			  : fail, fault);				\
	return 0;							\
fail:									\
	vmm_insn_error(insn, pa);					\
	return -EIO;							\
fault:									\
	vmm_insn_fault(insn);						\
	return -EFAULT;							\
}

VMX_PA_INSN(__vmxon, "vmxon")
VMX_PA_INSN(vmcs_clear, "vmclear")
VMX_PA_INSN(vmcs_load, "vmptrld")

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

#define VMX_INV_INSN(name, insn)					\
static __always_inline void name(unsigned long type, u64 lo, u64 hi)	\
{									\
	struct vmm_inv_desc d = { lo, hi };				\
									\
	asm goto("1: " insn " %[d], %[type]\n\t"		\
			  "jna %l[fail]\n\t"				\
			  _ASM_EXTABLE(1b, %l[fault])			\
			  : : [d] "m" (d), [type] "r" (type)		\
			  : "cc", "memory" : fail, fault);		\
	return;								\
fail:									\
	vmm_insn_error(insn, type);					\
	return;								\
fault:									\
	vmm_insn_fault(insn);						\
}

VMX_INV_INSN(__invept, "invept")
VMX_INV_INSN(__invvpid, "invvpid")

#endif /* VMM_VMX_OPS_H */
