/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello-real: a flat real-mode guest.  Loaded at 0x7c00 with CS = DS = 0,
 * it prints a greeting on the 16550A UART at 0x3f8 (waiting for THRE in
 * LSR before each byte, as a driver would) and halts.  vmmctl exits 0
 * when every vCPU has halted.
 *
 *	vmmctl run hello-real.bin
 */
	.code16
	.section .text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$msg, %si
	cld
1:	lodsb
	test	%al, %al
	jz	3f
	mov	%al, %bl
	mov	$0x3fd, %dx		/* LSR */
2:	in	%dx, %al
	test	$0x20, %al		/* THRE */
	jz	2b
	mov	$0x3f8, %dx		/* THR */
	mov	%bl, %al
	out	%al, %dx
	jmp	1b
3:	hlt
	jmp	3b

msg:	.asciz	"Hello from real mode over the 16550A UART!\r\n"
