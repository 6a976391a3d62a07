/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM entry and exit.
 *
 * int vmm_vmx_enter(struct vmm_entry_state *es, bool launched)
 *
 *   es:       %rdi, the guest GPRs (regs.h), CR2 and the last HOST_RSP
 *             written; guest values are loaded from it before entry and
 *             stored back into it after the exit.
 *   launched: %esi, 0 for VMLAUNCH (first entry after VMCLEAR), else
 *             VMRESUME.
 *
 * Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed (VM-Fail: the
 * reason is in VM_INSTRUCTION_ERROR), 2 if a VMX instruction faulted
 * because VMX operation was turned off under us (the reboot and crash
 * paths do that from an IPI or an NMI).  Must be called with interrupts off
 * and the vCPU's VMCS current on this CPU.  Guest values never survive in
 * registers past the return.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#include "regs.h"

#define ES(slot)	((slot) * 8)
#define REG(r)		ES(VMM_ES_REGS + VMM_##r)
#define VMCS_HOST_RSP	0x00006c14	/* SDM Vol. 3D B.4.4 */

	.text

SYM_FUNC_START(vmm_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* The exit path finds the state pointer at 0(%rsp). */
	push	%rdi

	/* HOST_RSP: the stack the CPU returns to; rewrite only on change. */
	cmp	%rsp, ES(VMM_ES_HOST_RSP)(%rdi)
	je	1f
	mov	%rsp, ES(VMM_ES_HOST_RSP)(%rdi)
	mov	$VMCS_HOST_RSP, %eax
.Lvmwrite_rsp:
	vmwrite	%rsp, %rax
	jna	.Lvmfail
1:
	/* CR2 is not in the VMCS; writing it is slow, so only on change. */
	mov	ES(VMM_ES_CR2)(%rdi), %rax
	mov	%cr2, %rdx
	cmp	%rax, %rdx
	je	2f
	mov	%rax, %cr2
2:
	/*
	 * CF selects VMLAUNCH (launched == 0); the MOVs below leave the
	 * flags alone, and VERW, which clears CPU buffers, only writes ZF.
	 */
	cmp	$1, %esi
	mov	REG(RAX)(%rdi), %rax
	mov	REG(RCX)(%rdi), %rcx
	mov	REG(RDX)(%rdi), %rdx
	mov	REG(RBX)(%rdi), %rbx
	mov	REG(RBP)(%rdi), %rbp
	mov	REG(RSI)(%rdi), %rsi
	mov	REG(R8)(%rdi), %r8
	mov	REG(R9)(%rdi), %r9
	mov	REG(R10)(%rdi), %r10
	mov	REG(R11)(%rdi), %r11
	mov	REG(R12)(%rdi), %r12
	mov	REG(R13)(%rdi), %r13
	mov	REG(R14)(%rdi), %r14
	mov	REG(R15)(%rdi), %r15
	mov	REG(RDI)(%rdi), %rdi

	/*
	 * On CPUs affected by MDS/TAA/MMIO stale data, clear the buffers
	 * the host filled, as the kernel's own mitigation state asks
	 * (a no-op otherwise; patched at boot by the kernel; Kbuild finds
	 * which macro this kernel has).
	 */
#if defined(VMM_VERW_VM)
	VM_CLEAR_CPU_BUFFERS
#elif defined(VMM_VERW)
	CLEAR_CPU_BUFFERS
#else
#error "this kernel has no CLEAR_CPU_BUFFERS: vmm cannot clear CPU buffers before VM entry"
#endif

	jnc	.Lresume
	UNWIND_HINT_SAVE
.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail
.Lresume:
	vmresume
	jmp	.Lvmfail

/* The CPU lands here on every VM exit (HOST_RIP), on the stack above. */
SYM_INNER_LABEL(vmm_vmx_exit_point, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rax
	mov	8(%rsp), %rax
	popq	REG(RAX)(%rax)
	mov	%rcx, REG(RCX)(%rax)
	mov	%rdx, REG(RDX)(%rax)
	mov	%rbx, REG(RBX)(%rax)
	mov	%rbp, REG(RBP)(%rax)
	mov	%rsi, REG(RSI)(%rax)
	mov	%rdi, REG(RDI)(%rax)
	mov	%r8, REG(R8)(%rax)
	mov	%r9, REG(R9)(%rax)
	mov	%r10, REG(R10)(%rax)
	mov	%r11, REG(R11)(%rax)
	mov	%r12, REG(R12)(%rax)
	mov	%r13, REG(R13)(%rax)
	mov	%r14, REG(R14)(%rax)
	mov	%r15, REG(R15)(%rax)
	mov	%cr2, %rcx
	mov	%rcx, ES(VMM_ES_CR2)(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
	mov	$1, %eax
	jmp	.Lout

	/*
	 * A VMX instruction raised #UD: VMX operation ended under us (an
	 * emergency reboot's NMI ran VMXOFF).  Nothing of the guest was
	 * loaded into the CPU: leave as for a VM-Fail, with its own code.
	 */
.Lfault:
	mov	$2, %eax

.Lout:
	/* Drop guest values so they cannot feed speculation in the host. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/*
	 * The guest may have filled the return stack buffer with its own
	 * targets; overwrite it where the kernel's mitigations ask for that.
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	_ASM_EXTABLE(.Lvmwrite_rsp, .Lfault)
	_ASM_EXTABLE(.Lvmlaunch, .Lfault)
	_ASM_EXTABLE(.Lresume, .Lfault)
SYM_FUNC_END(vmm_vmx_enter)

/*
 * void vmm_do_nmi(unsigned long handler)
 *
 * An NMI that arrived in the guest caused a VM exit and is blocked until
 * the next IRET.  Run the host's NMI handler as the CPU would have: build
 * an interrupt frame (SS, RSP, RFLAGS, CS; the CALL pushes RIP) so that
 * the handler's IRET returns here and unblocks NMIs.
 */
SYM_FUNC_START(vmm_do_nmi)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(vmm_do_nmi)
