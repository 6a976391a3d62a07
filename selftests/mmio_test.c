// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation: a userspace device answers VMM_EXIT_MMIO exits.
 *
 * For every instruction form the module's emulator covers (kmod/emulate.h)
 * the guest touches a device region outside guest RAM and the host checks
 * each exit (address, length, direction, data for a write) and answers
 * reads with known values.  The guest then reports the registers the
 * instruction produced and, for ALU forms, the flags: it first runs the
 * same instruction natively on RAM holding the same value, captures those
 * flags as the reference, inverts every arithmetic flag, and only then
 * runs the emulated instruction, so a flag the emulator forgets shows up.
 *
 *  - real mode (device at 0xd0000; RAM is 0..0xa0000), 32-bit paged mode
 *    and long mode (device at 0xd0000000, beyond the 64 MiB slot): MOV to
 *    and from memory, moffs, MOV imm, MOVZX/MOVSX, ADD/OR/AND/SUB/XOR/CMP
 *    with memory destination and source, TEST, XCHG, STOS, MOVS, LODS,
 *    SCAS and CMPS, single and REP/REPE/REPNE (CMPS with MMIO on either
 *    side or both, REPE/REPNE ended by ZF or by the count); in long mode
 *    also 64-bit operands, REX registers, LOCK, DF = 1, and
 *    MOVDQU/MOVDQA/MOVAPS/MOVUPS loads and stores (two 8-byte exits);
 *  - a REP CMPS stopped at each of its exits: RIP stays on it and RCX,
 *    RSI and RDI count the elements done, as an interrupt would find them;
 *  - accesses straddling a page boundary (MMIO/MMIO and RAM/MMIO);
 *  - MMIO from CPL 3 in long mode;
 *  - a read-only slot: reads from memory, writes exit, memory unchanged;
 *    MOVS from MMIO into it: a read and a write exit per element;
 *  - instructions the emulator does not handle: INTERNAL_ERROR/EMULATION
 *    with the instruction bytes;
 *  - CHECK_EXTENSION(READONLY_MEM).
 */
#include <stdlib.h>

#include "test_util.h"

#define MMIO64		0xd0000000ULL
#define MMIO16		0xd0000ULL
#define RAM16_SIZE	0xa0000ULL
#define RO_GPA		0x8000000ULL
#define RO_SIZE		0x2000ULL

/* Arithmetic flags compared, and the same without AF (undefined for logic). */
#define FL_ARITH	0x8d5ULL
#define FL_LOGIC	0x8c5ULL

/*
 * Guest helpers.  REFn: save the flags of the native reference in DX and
 * load their complement; EMUn: save the flags of the emulated instruction
 * in CX and report (RBX, RCX, RDX).
 */
#define REF64	"pushf\n pop %rdx\n mov %rdx, %rax\n xor $0x8d5, %rax\n" \
		"push %rax\n popf\n"
#define EMU64	"pushf\n pop %rcx\n" GUEST_UCALL_REPORT
#define REF32	"pushf\n pop %edx\n mov %edx, %eax\n xor $0x8d5, %eax\n" \
		"push %eax\n popf\n"
#define EMU32	"pushf\n pop %ecx\n" GUEST_UCALL_REPORT
#define REF16	"pushf\n pop %dx\n mov %dx, %ax\n xor $0x8d5, %ax\n" \
		"push %ax\n popf\n"
#define EMU16	"pushf\n pop %cx\n" GUEST_UCALL_REPORT

/* Memory destination: "ins" is the instruction up to its memory operand. */
#define DST64(ins, mm)	ins " (%rsi)\n" REF64 ins " " mm "\n" EMU64
#define DST32(ins, mm)	ins " 0x200000\n" REF32 ins " " mm "\n" EMU32
#define DST16(ins, mm)	ins " 0x8000\n" REF16 ins " " mm "\n" EMU16
/* Memory source into reg; the reference runs on a copy in (R/E)DX. */
#define SRC64(op, mm, nreg, reg) "mov %rbx, %rdx\n" op " (%rsi), " nreg "\n" \
	REF64 op " " mm ", " reg "\n" EMU64
#define SRC32(op, mm, nreg, reg) "mov %ebx, %edx\n" op " 0x200000, " nreg "\n" \
	REF32 op " " mm ", " reg "\n" EMU32
#define SRC16(op, mm, nreg, reg) "mov %ebx, %edx\n" op " 0x8000, " nreg "\n" \
	REF16 op " " mm ", " reg "\n" EMU16

#define RBX64	"movabs $0x1122334455667788, %rbx\n"
#define RAX64	"movabs $0x1122334455667788, %rax\n"
#define BASE64	"mov $0xd0000000, %edi\n mov $0x200000, %esi\n"
#define REP64	"mov %rdi, %rbx\n mov %rsi, %rdx\n" GUEST_UCALL_REPORT
#define REP32	"mov %edi, %ebx\n mov %esi, %edx\n" GUEST_UCALL_REPORT
/* After SCAS/CMPS: RBX = RSI, RCX, RDX = arithmetic flags << 32 | EDI. */
#define STR64	"pushf\n pop %rdx\n and $0x8d5, %edx\n shl $32, %rdx\n" \
		"or %rdi, %rdx\n mov %rsi, %rbx\n" GUEST_UCALL_REPORT

/* ------------------------------------------------------------------ */
/* Long mode: the full set                                             */
/* ------------------------------------------------------------------ */

GUEST_CODE(g64, 64,
	BASE64
	/* stores */
	RAX64 "mov %al, 0x0(%rdi)\n" GUEST_UCALL_REPORT
	RAX64 "mov %ax, 0x2(%rdi)\n" GUEST_UCALL_REPORT
	RAX64 "mov %eax, 0x4(%rdi)\n" GUEST_UCALL_REPORT
	RAX64 "mov %rax, 0x8(%rdi)\n" GUEST_UCALL_REPORT
	RAX64 "mov %ah, 0x1(%rdi)\n" GUEST_UCALL_REPORT
	"mov $0xcafef00d, %r10d\n mov %r10d, 0x10(%rdi)\n" GUEST_UCALL_REPORT
	"mov $0xbeef, %r11d\n mov $2, %ecx\n mov %r11w, 0x14(%rdi,%rcx,2)\n"
	GUEST_UCALL_REPORT
	/* loads */
	RBX64 "mov 0x20(%rdi), %bl\n" GUEST_UCALL_REPORT
	RBX64 "mov 0x22(%rdi), %bx\n" GUEST_UCALL_REPORT
	RBX64 "mov 0x24(%rdi), %ebx\n" GUEST_UCALL_REPORT
	RBX64 "mov 0x28(%rdi), %rbx\n" GUEST_UCALL_REPORT
	RBX64 "mov 0x21(%rdi), %bh\n" GUEST_UCALL_REPORT
	"mov 0x30(%rdi), %r11\n mov %r11, %rbx\n" GUEST_UCALL_REPORT
	/* moffs */
	RAX64 "movabs 0xd0000040, %al\n mov %rax, %rbx\n" GUEST_UCALL_REPORT
	RAX64 "movabs 0xd0000042, %ax\n mov %rax, %rbx\n" GUEST_UCALL_REPORT
	RAX64 "movabs 0xd0000044, %eax\n mov %rax, %rbx\n" GUEST_UCALL_REPORT
	RAX64 "movabs 0xd0000048, %rax\n mov %rax, %rbx\n" GUEST_UCALL_REPORT
	RAX64 "movabs %al, 0xd0000050\n" GUEST_UCALL_REPORT
	RAX64 "movabs %ax, 0xd0000052\n" GUEST_UCALL_REPORT
	RAX64 "movabs %eax, 0xd0000054\n" GUEST_UCALL_REPORT
	RAX64 "movabs %rax, 0xd0000058\n" GUEST_UCALL_REPORT
	/* MOV imm */
	"movb $0x5a, 0x60(%rdi)\n" GUEST_UCALL_REPORT
	"movw $0x1234, 0x62(%rdi)\n" GUEST_UCALL_REPORT
	"movl $0x89abcdef, 0x64(%rdi)\n" GUEST_UCALL_REPORT
	"movq $-2, 0x68(%rdi)\n" GUEST_UCALL_REPORT
	/* MOVZX / MOVSX / MOVSXD */
	RBX64 "movzbl 0x70(%rdi), %ebx\n" GUEST_UCALL_REPORT
	RBX64 "movsbl 0x71(%rdi), %ebx\n" GUEST_UCALL_REPORT
	RBX64 "movzwl 0x72(%rdi), %ebx\n" GUEST_UCALL_REPORT
	RBX64 "movswq 0x74(%rdi), %rbx\n" GUEST_UCALL_REPORT
	RBX64 "movsbq 0x76(%rdi), %rbx\n" GUEST_UCALL_REPORT
	RBX64 "movslq 0x78(%rdi), %rbx\n" GUEST_UCALL_REPORT
	RBX64 "movsbw 0x7c(%rdi), %bx\n" GUEST_UCALL_REPORT
	RBX64 "movzbw 0x7d(%rdi), %bx\n" GUEST_UCALL_REPORT
	/* ALU, memory destination */
	"movl $0x7fffffff, (%rsi)\n mov $1, %ebx\n"
	DST64("addl %ebx,", "0x80(%rdi)")
	"movq $-1, (%rsi)\n" DST64("addq $1,", "0x88(%rdi)")
	"movb $0x0f, (%rsi)\n mov $0xf0, %ebx\n" DST64("orb %bl,", "0x90(%rdi)")
	"movw $0xf0f0, (%rsi)\n" DST64("andw $0x0ff0,", "0x92(%rdi)")
	"movq $5, (%rsi)\n mov $7, %ebx\n" DST64("subq %rbx,", "0x98(%rdi)")
	"movl $0x12345678, (%rsi)\n" DST64("xorl $0x12345678,", "0xa0(%rdi)")
	"movl $3, (%rsi)\n mov $5, %ebx\n" DST64("cmpl %ebx,", "0xa4(%rdi)")
	"movb $0x7f, (%rsi)\n" DST64("cmpb $0x80,", "0xa8(%rdi)")
	"movl $0xfffffff0, (%rsi)\n mov $0x20, %ebx\n"
	DST64("lock addl %ebx,", "0xac(%rdi)")
	"movw $0, (%rsi)\n" DST64("subw $1,", "0xb0(%rdi)")
	/* ALU, memory source */
	"movl $0x80000000, (%rsi)\n mov $0x80000000, %ebx\n"
	SRC64("addl", "0xb4(%rdi)", "%edx", "%ebx")
	"movb $0x80, (%rsi)\n" RBX64 "mov $0x01, %bl\n"
	SRC64("orb", "0xb8(%rdi)", "%dl", "%bl")
	"movabs $0x0ff00ff00ff00ff0, %rax\n mov %rax, (%rsi)\n"
	"movabs $0xff00ff00ff00ff00, %rbx\n"
	SRC64("andq", "0xc0(%rdi)", "%rdx", "%rbx")
	"movw $2, (%rsi)\n" RBX64 "mov $1, %bx\n"
	SRC64("subw", "0xc8(%rdi)", "%dx", "%bx")
	"movl $0x0f0f0f0f, (%rsi)\n mov $0xffffffff, %ebx\n"
	SRC64("xorl", "0xcc(%rdi)", "%edx", "%ebx")
	"movl $5, (%rsi)\n mov $5, %ebx\n"
	SRC64("cmpl", "0xd0(%rdi)", "%edx", "%ebx")
	/* TEST */
	"movl $0x80000001, (%rsi)\n mov $0x80000000, %ebx\n"
	DST64("testl %ebx,", "0xd4(%rdi)")
	"movb $0x02, (%rsi)\n" DST64("testb $0x01,", "0xd8(%rdi)")
	"movq $0, (%rsi)\n" DST64("testq $-1,", "0xe0(%rdi)")
	/* XCHG */
	"mov $0x11223344, %ebx\n xchg %ebx, 0xe8(%rdi)\n" GUEST_UCALL_REPORT
	RBX64 "xchg 0xec(%rdi), %bl\n" GUEST_UCALL_REPORT
	/* STOS */
	"cld\n mov $0xd0000100, %edi\n xor %esi, %esi\n mov $7, %ecx\n"
	RAX64 "stosb\n" REP64
	RAX64 "stosw\n" REP64
	RAX64 "stosl\n" REP64
	RAX64 "stosq\n" REP64
	"mov $0xd0000110, %edi\n mov $3, %ecx\n mov $0xa5a5a5a5, %eax\n"
	"rep stosl\n" REP64
	"std\n mov $0xd000012f, %edi\n mov $2, %ecx\n mov $0x3c, %al\n"
	"rep stosb\n cld\n" REP64
	/* MOVS */
	"movl $0xdeadbeef, 0x200000\n mov $0x200000, %esi\n"
	"mov $0xd0000140, %edi\n mov $9, %ecx\n movsl\n" REP64
	"movl $0x00332211, 0x200000\n mov $0x200000, %esi\n"
	"mov $0xd0000150, %edi\n mov $3, %ecx\n rep movsb\n" REP64
	"mov $0xd0000160, %esi\n mov $0x201000, %edi\n mov $3, %ecx\n"
	"rep movsl\n" REP64
	"mov 0x201000, %ebx\n mov 0x201004, %ecx\n mov 0x201008, %edx\n"
	GUEST_UCALL_REPORT
	"mov $0xd0000170, %esi\n mov $0x201010, %edi\n movsq\n"
	"mov 0x201010, %rbx\n" GUEST_UCALL_REPORT
	/* LODS */
	"mov $0xd0000200, %esi\n mov $5, %ecx\n" RAX64
	"lodsb\n mov %rax, %rbx\n mov %rsi, %rdx\n" GUEST_UCALL_REPORT
	"mov $0xd0000210, %esi\n mov $3, %ecx\n" RAX64
	"rep lodsl\n mov %rax, %rbx\n mov %rsi, %rdx\n" GUEST_UCALL_REPORT
	/* SCAS */
	"mov $0xd0000230, %edi\n mov $8, %ecx\n mov $0x42, %eax\n"
	"repne scasb\n" STR64
	"mov $0xd0000240, %edi\n mov $4, %ecx\n mov $0x1234, %eax\n"
	"repe scasw\n" STR64
	"std\n mov $0xd0000258, %edi\n mov $1, %eax\n scasq\n cld\n" STR64
	/* CMPS */
	"movl $0x44434241, 0x200000\n mov $0x200000, %esi\n"
	"mov $0xd0000260, %edi\n mov $4, %ecx\n repe cmpsb\n" STR64
	"movl $0x11111111, 0x201100\n movl $0x22222222, 0x201104\n"
	"movl $0x33333333, 0x201108\n mov $0xd0000270, %esi\n"
	"mov $0x201100, %edi\n mov $5, %ecx\n repne cmpsl\n" STR64
	"mov $0xd0000280, %esi\n mov $0xd0000290, %edi\n mov $7, %ecx\n"
	"cmpsq\n" STR64
	"std\n mov $0xd00002a6, %esi\n mov $0xd00002b6, %edi\n mov $3, %ecx\n"
	"repe cmpsw\n cld\n" STR64
	/* SSE */
	BASE64
	"movdqu 0x180(%rdi), %xmm0\n movq %xmm0, %rbx\n movhlps %xmm0, %xmm1\n"
	"movq %xmm1, %rcx\n" GUEST_UCALL_REPORT
	"movdqa 0x190(%rdi), %xmm2\n movq %xmm2, %rbx\n movhlps %xmm2, %xmm1\n"
	"movq %xmm1, %rcx\n" GUEST_UCALL_REPORT
	"movaps 0x1a0(%rdi), %xmm3\n movq %xmm3, %rbx\n movhlps %xmm3, %xmm1\n"
	"movq %xmm1, %rcx\n" GUEST_UCALL_REPORT
	"movups 0x1b0(%rdi), %xmm6\n movq %xmm6, %rbx\n movhlps %xmm6, %xmm1\n"
	"movq %xmm1, %rcx\n" GUEST_UCALL_REPORT
	"movabs $0x5555666677778888, %rax\n movq %rax, %xmm4\n"
	"movabs $0x1111222233334444, %rax\n movq %rax, %xmm5\n"
	"punpcklqdq %xmm5, %xmm4\n"
	"movdqu %xmm4, 0x1c3(%rdi)\n" GUEST_UCALL_REPORT
	"movdqa %xmm4, 0x1d0(%rdi)\n" GUEST_UCALL_REPORT
	"movaps %xmm4, 0x1e0(%rdi)\n" GUEST_UCALL_REPORT
	"movups %xmm4, 0x1f0(%rdi)\n" GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

/* ------------------------------------------------------------------ */
/* 32-bit paged mode                                                   */
/* ------------------------------------------------------------------ */

#define RBX32	"mov $0x11223344, %ebx\n"
#define RAX32	"mov $0x11223344, %eax\n"

GUEST_CODE(g32, 32,
	RBX32 "mov %bl, 0xd0000000\n" GUEST_UCALL_REPORT
	RBX32 "mov %bx, 0xd0000002\n" GUEST_UCALL_REPORT
	RBX32 "mov %ebx, 0xd0000004\n" GUEST_UCALL_REPORT
	RAX32 "mov $0xd0000000, %edi\n mov $3, %ecx\n"
	"mov %ah, 0x8(%edi,%ecx,4)\n" GUEST_UCALL_REPORT
	RBX32 "mov 0xd0000020, %bl\n" GUEST_UCALL_REPORT
	RBX32 "mov 0xd0000022, %bx\n" GUEST_UCALL_REPORT
	RBX32 "mov 0xd0000024, %ebx\n" GUEST_UCALL_REPORT
	RAX32 "mov 0xd0000040, %al\n mov %eax, %ebx\n" GUEST_UCALL_REPORT
	RAX32 "mov 0xd0000044, %eax\n mov %eax, %ebx\n" GUEST_UCALL_REPORT
	RAX32 "mov %ax, 0xd0000048\n" GUEST_UCALL_REPORT
	RAX32 "mov %eax, 0xd000004c\n" GUEST_UCALL_REPORT
	"movb $0xa5, 0xd0000060\n" GUEST_UCALL_REPORT
	"movw $0x4321, 0xd0000062\n" GUEST_UCALL_REPORT
	"movl $0xfeedface, 0xd0000064\n" GUEST_UCALL_REPORT
	RBX32 "movzbl 0xd0000070, %ebx\n" GUEST_UCALL_REPORT
	RBX32 "movswl 0xd0000072, %ebx\n" GUEST_UCALL_REPORT
	"movl $0x7fffffff, 0x200000\n mov $1, %ebx\n"
	DST32("addl %ebx,", "0xd0000080")
	"movb $0x0f, 0x200000\n" DST32("orb $0xf0,", "0xd0000084")
	"movl $1, 0x200000\n" DST32("subl $2,", "0xd0000088")
	"movw $3, 0x200000\n mov $5, %ebx\n" DST32("cmpw %bx,", "0xd000008c")
	"movl $0xff00ff00, 0x200000\n mov $0x0ff00ff0, %ebx\n"
	DST32("andl %ebx,", "0xd0000090")
	"movl $0xffffffff, 0x200000\n mov $0xffffffff, %ebx\n"
	DST32("xorl %ebx,", "0xd0000094")
	"movl $0x80000000, 0x200000\n mov $0x80000000, %ebx\n"
	SRC32("addl", "0xd0000098", "%edx", "%ebx")
	"movb $0x10, 0x200000\n" RBX32
	SRC32("subb", "0xd000009c", "%dl", "%bl")
	"movl $0x00ff0000, 0x200000\n mov $0x00f00000, %ebx\n"
	DST32("testl %ebx,", "0xd00000a0")
	"mov $0xaabbccdd, %ebx\n xchg %ebx, 0xd00000a4\n" GUEST_UCALL_REPORT
	"cld\n mov $0xd0000100, %edi\n xor %esi, %esi\n mov $7, %ecx\n"
	RAX32 "stosb\n" REP32
	"mov $0xd0000110, %edi\n mov $2, %ecx\n mov $0x5a5a5a5a, %eax\n"
	"rep stosl\n" REP32
	"movl $0xbbbbaaaa, 0x200000\n mov $0x200000, %esi\n"
	"mov $0xd0000120, %edi\n mov $2, %ecx\n rep movsw\n" REP32
	"mov $0xd0000130, %esi\n mov $0x201000, %edi\n movsl\n" REP32
	"mov 0x201000, %ebx\n" GUEST_UCALL_REPORT
	"xor %esi, %esi\n mov $0xd0000140, %edi\n mov $3, %ecx\n"
	"mov $0x11223344, %eax\n repne scasl\n" REP32
	"movl $0x41, 0x200000\n mov $0x200000, %esi\n mov $0xd0000150, %edi\n"
	"mov $1, %ecx\n repe cmpsb\n" REP32
	"mov $0xd0000160, %esi\n lodsl\n mov %eax, %edi\n" REP32
	GUEST_UCALL_DONE);

/* ------------------------------------------------------------------ */
/* Real mode: ES = 0xd000 is the device, DS = SS = CS = 0x1000          */
/* ------------------------------------------------------------------ */

GUEST_CODE(g16, 16,
	"mov $0xd000, %ax\n mov %ax, %es\n"
	RBX32 "mov %bl, %es:0x0\n" GUEST_UCALL_REPORT
	RBX32 "mov %bx, %es:0x2\n" GUEST_UCALL_REPORT
	RBX32 "mov %ebx, %es:0x4\n" GUEST_UCALL_REPORT
	"mov $0x11223344, %ecx\n mov $0x20, %ebx\n mov $0x4, %esi\n"
	"mov %ecx, %es:0x10(%bx,%si)\n" GUEST_UCALL_REPORT
	RBX32 "mov %es:0x20, %bl\n" GUEST_UCALL_REPORT
	RBX32 "mov %es:0x22, %bx\n" GUEST_UCALL_REPORT
	RBX32 "mov %es:0x24, %ebx\n" GUEST_UCALL_REPORT
	RAX32 "mov %es:0x40, %ax\n mov %eax, %ebx\n" GUEST_UCALL_REPORT
	RAX32 "mov %al, %es:0x42\n" GUEST_UCALL_REPORT
	"movb $0x42, %es:0x60\n" GUEST_UCALL_REPORT
	"movw $0x2468, %es:0x62\n" GUEST_UCALL_REPORT
	"movl $0x13579bdf, %es:0x64\n" GUEST_UCALL_REPORT
	RBX32 "movzbl %es:0x70, %ebx\n" GUEST_UCALL_REPORT
	RBX32 "movsbw %es:0x71, %bx\n" GUEST_UCALL_REPORT
	"movl $0x7fffffff, 0x8000\n mov $1, %ebx\n"
	DST16("addl %ebx,", "%es:0x80")
	"movw $0, 0x8000\n" DST16("subw $1,", "%es:0x84")
	"movb $0x7f, 0x8000\n" DST16("cmpb $0x80,", "%es:0x86")
	"movl $0x0000ffff, 0x8000\n mov $0xffff0000, %ebx\n"
	DST16("orl %ebx,", "%es:0x88")
	"movw $0x1234, 0x8000\n mov $0x1234, %bx\n" DST16("xorw %bx,", "%es:0x8c")
	"movw $0x8000, 0x8000\n mov $0x8000, %ebx\n"
	SRC16("addw", "%es:0x90", "%dx", "%bx")
	"movl $0xf0f0f0f0, 0x8000\n mov $0xff00ff00, %ebx\n"
	SRC16("andl", "%es:0x94", "%edx", "%ebx")
	"movb $0x40, 0x8000\n" DST16("testb $0x40,", "%es:0x98")
	"mov $0x1111, %ebx\n xchg %bx, %es:0xa0\n" GUEST_UCALL_REPORT
	"cld\n mov $0x100, %edi\n xor %esi, %esi\n mov $7, %ecx\n"
	RAX32 "stosb\n" REP32
	"mov $0x110, %edi\n mov $2, %ecx\n mov $0x9876, %ax\n rep stosw\n" REP32
	"movl $0x00443322, 0x8000\n mov $0x8000, %esi\n mov $0x120, %edi\n"
	"mov $2, %ecx\n rep movsb\n" REP32
	"mov $0x130, %esi\n mov $7, %ecx\n" RAX32
	"lodsb %es:(%si), %al\n mov %eax, %ebx\n mov %esi, %edx\n"
	GUEST_UCALL_REPORT
	"mov $0x140, %esi\n mov $0x150, %edi\n mov $3, %ecx\n"
	"repe cmpsb %es:(%di), %es:(%si)\n" REP32
	"mov $0x160, %edi\n mov $4, %ecx\n" RAX32 "repne scasb\n" REP32
	GUEST_UCALL_DONE);

/* ------------------------------------------------------------------ */
/* The host side                                                       */
/* ------------------------------------------------------------------ */

/* Checks of a report: registers (masked) and flags. */
#define C_RBX	1
#define C_RCX	2
#define C_RDX	4
#define C_FL	8	/* (rcx ^ rdx) & FL_ARITH == 0 */
#define C_FLL	16	/* the same with FL_LOGIC */
#define C_REP	(C_RBX | C_RCX | C_RDX)

struct step {
	char kind;		/* 'R' read, 'W' write, 'U' report */
	uint8_t len;
	uint32_t off;		/* R/W: offset from the device base */
	uint64_t val;		/* R: answer; W: expected data */
	const char *name;	/* U */
	unsigned int chk;	/* U: C_* */
	uint64_t rbx, rcx, rdx;	/* U */
};

#define R(o, l, v)	{ .kind = 'R', .off = (o), .len = (l), .val = (v) }
#define W(o, l, v)	{ .kind = 'W', .off = (o), .len = (l), .val = (v) }
#define U(n, c, b, x, d) { .kind = 'U', .name = (n), .chk = (c), \
			   .rbx = (b), .rcx = (x), .rdx = (d) }
#define UN(n)		U(n, 0, 0, 0, 0)
#define UB(n, b)	U(n, C_RBX, b, 0, 0)
#define UF(n)		U(n, C_FL, 0, 0, 0)
#define UL(n)		U(n, C_FLL, 0, 0, 0)

#define B8	0x1122334455667788ULL
/* STR64's RDX: the arithmetic flags and EDI. */
#define FLS(f, edi)	((uint64_t)(f) << 32 | (edi))

static const struct step steps64[] = {
	W(0x0, 1, 0x88), UN("mov r8 -> m8 (88)"),
	W(0x2, 2, 0x7788), UN("mov r16 -> m16 (66 89)"),
	W(0x4, 4, 0x55667788), UN("mov r32 -> m32 (89)"),
	W(0x8, 8, B8), UN("mov r64 -> m64 (REX.W 89)"),
	W(0x1, 1, 0x77), UN("mov %ah -> m8"),
	W(0x10, 4, 0xcafef00d), UN("mov %r10d -> m32 (REX.R)"),
	W(0x18, 2, 0xbeef), UN("mov %r11w -> m16, SIB base+index*2+disp"),
	R(0x20, 1, 0xaa), UB("mov m8 -> %bl (8a), upper bits kept", 0x11223344556677aaULL),
	R(0x22, 2, 0xbbcc), UB("mov m16 -> %bx", 0x112233445566bbccULL),
	R(0x24, 4, 0xddccbbaa), UB("mov m32 -> %ebx, zero-extended", 0xddccbbaaULL),
	R(0x28, 8, 0x0102030405060708ULL), UB("mov m64 -> %rbx", 0x0102030405060708ULL),
	R(0x21, 1, 0x5a), UB("mov m8 -> %bh", 0x1122334455665a88ULL),
	R(0x30, 8, 0xfedcba9876543210ULL), UB("mov m64 -> %r11", 0xfedcba9876543210ULL),
	R(0x40, 1, 0x99), UB("mov moffs64 -> %al (a0)", 0x1122334455667799ULL),
	R(0x42, 2, 0x1234), UB("mov moffs64 -> %ax (66 a1)", 0x1122334455661234ULL),
	R(0x44, 4, 0x89abcdef), UB("mov moffs64 -> %eax (a1)", 0x89abcdefULL),
	R(0x48, 8, 0x8877665544332211ULL), UB("mov moffs64 -> %rax (48 a1)", 0x8877665544332211ULL),
	W(0x50, 1, 0x88), UN("mov %al -> moffs64 (a2)"),
	W(0x52, 2, 0x7788), UN("mov %ax -> moffs64 (66 a3)"),
	W(0x54, 4, 0x55667788), UN("mov %eax -> moffs64 (a3)"),
	W(0x58, 8, B8), UN("mov %rax -> moffs64 (48 a3)"),
	W(0x60, 1, 0x5a), UN("mov imm8 -> m8 (c6)"),
	W(0x62, 2, 0x1234), UN("mov imm16 -> m16 (66 c7)"),
	W(0x64, 4, 0x89abcdef), UN("mov imm32 -> m32 (c7)"),
	W(0x68, 8, 0xfffffffffffffffeULL), UN("mov simm32 -> m64 (48 c7)"),
	R(0x70, 1, 0x80), UB("movzbl", 0x80),
	R(0x71, 1, 0x80), UB("movsbl", 0xffffff80ULL),
	R(0x72, 2, 0x8001), UB("movzwl", 0x8001),
	R(0x74, 2, 0x8001), UB("movswq", 0xffffffffffff8001ULL),
	R(0x76, 1, 0x7f), UB("movsbq", 0x7f),
	R(0x78, 4, 0x80000000), UB("movslq (63)", 0xffffffff80000000ULL),
	R(0x7c, 1, 0xfe), UB("movsbw", 0x112233445566fffeULL),
	R(0x7d, 1, 0xfe), UB("movzbw", 0x11223344556600feULL),
	R(0x80, 4, 0x7fffffff), W(0x80, 4, 0x80000000), UF("add r32 -> m32 (01): data, flags"),
	R(0x88, 8, ~0ULL), W(0x88, 8, 0), UF("add simm8 -> m64 (48 83 /0): data, flags"),
	R(0x90, 1, 0x0f), W(0x90, 1, 0xff), UL("or r8 -> m8 (08): data, flags"),
	R(0x92, 2, 0xf0f0), W(0x92, 2, 0x00f0), UL("and imm16 -> m16 (66 81 /4): data, flags"),
	R(0x98, 8, 5), W(0x98, 8, 0xfffffffffffffffeULL), UF("sub r64 -> m64 (48 29): data, flags"),
	R(0xa0, 4, 0x12345678), W(0xa0, 4, 0), UL("xor imm32 -> m32 (81 /6): data, flags"),
	R(0xa4, 4, 3), UF("cmp r32, m32 (39): read only, flags"),
	R(0xa8, 1, 0x7f), UF("cmp imm8, m8 (80 /7): read only, flags"),
	R(0xac, 4, 0xfffffff0), W(0xac, 4, 0x10), UF("lock add r32 -> m32: data, flags"),
	R(0xb0, 2, 0), W(0xb0, 2, 0xffff), UF("sub simm8 -> m16 (66 83 /5): data, flags"),
	R(0xb4, 4, 0x80000000), U("add m32 -> r32 (03): result, flags", C_RBX | C_FL, 0, 0, 0),
	R(0xb8, 1, 0x80), U("or m8 -> r8 (0a): result, flags", C_RBX | C_FLL, 0x1122334455667781ULL, 0, 0),
	R(0xc0, 8, 0x0ff00ff00ff00ff0ULL), U("and m64 -> r64 (48 23): result, flags", C_RBX | C_FLL, 0x0f000f000f000f00ULL, 0, 0),
	R(0xc8, 2, 2), U("sub m16 -> r16 (66 2b): result, flags", C_RBX | C_FL, 0x112233445566ffffULL, 0, 0),
	R(0xcc, 4, 0x0f0f0f0f), U("xor m32 -> r32 (33): result, flags", C_RBX | C_FLL, 0xf0f0f0f0ULL, 0, 0),
	R(0xd0, 4, 5), U("cmp m32, r32 (3b): register kept, flags", C_RBX | C_FL, 5, 0, 0),
	R(0xd4, 4, 0x80000001), UL("test r32, m32 (85): flags"),
	R(0xd8, 1, 0x02), UL("test imm8, m8 (f6 /0): flags"),
	R(0xe0, 8, 0), UL("test simm32, m64 (48 f7 /0): flags"),
	R(0xe8, 4, 0xaabbccdd), W(0xe8, 4, 0x11223344), UB("xchg r32, m32 (87)", 0xaabbccddULL),
	R(0xec, 1, 0x99), W(0xec, 1, 0x88), UB("xchg m8, r8 (86)", 0x1122334455667799ULL),
	W(0x100, 1, 0x88), U("stosb", C_REP, MMIO64 + 0x101, 7, 0),
	W(0x101, 2, 0x7788), U("stosw", C_REP, MMIO64 + 0x103, 7, 0),
	W(0x103, 4, 0x55667788), U("stosl", C_REP, MMIO64 + 0x107, 7, 0),
	W(0x107, 8, B8), U("stosq", C_REP, MMIO64 + 0x10f, 7, 0),
	W(0x110, 4, 0xa5a5a5a5), W(0x114, 4, 0xa5a5a5a5), W(0x118, 4, 0xa5a5a5a5),
	U("rep stosl x3", C_REP, MMIO64 + 0x11c, 0, 0),
	W(0x12f, 1, 0x3c), W(0x12e, 1, 0x3c),
	U("std; rep stosb x2 (downwards)", C_REP, MMIO64 + 0x12d, 0, 0),
	W(0x140, 4, 0xdeadbeef), U("movsl RAM -> MMIO", C_REP, MMIO64 + 0x144, 9, 0x200004),
	W(0x150, 1, 0x11), W(0x151, 1, 0x22), W(0x152, 1, 0x33),
	U("rep movsb x3 RAM -> MMIO", C_REP, MMIO64 + 0x153, 0, 0x200003),
	R(0x160, 4, 0x01010101), R(0x164, 4, 0x02020202), R(0x168, 4, 0x03030303),
	U("rep movsl x3 MMIO -> RAM: registers", C_REP, 0x20100c, 0, MMIO64 + 0x16c),
	U("rep movsl x3 MMIO -> RAM: data", C_REP, 0x01010101, 0x02020202, 0x03030303),
	R(0x170, 8, 0x0123456789abcdefULL), UB("movsq MMIO -> RAM", 0x0123456789abcdefULL),
	R(0x200, 1, 0x5a), U("lodsb: al, rsi; rcx kept", C_REP, 0x112233445566775aULL, 5, MMIO64 + 0x201),
	R(0x210, 4, 1), R(0x214, 4, 2), R(0x218, 4, 0x80000003),
	U("rep lodsl x3: eax zero-extended, rcx, rsi", C_REP, 0x80000003, 0, MMIO64 + 0x21c),
	R(0x230, 1, 0x10), R(0x231, 1, 0x20), R(0x232, 1, 0x42),
	U("repne scasb: found at the 3rd of 8 (ZF ends it)", C_REP, MMIO64 + 0x21c, 5, FLS(0x44, MMIO64 + 0x233)),
	R(0x240, 2, 0x1234), R(0x242, 2, 0x1234), R(0x244, 2, 0x1235),
	U("repe scasw: differs at the 3rd of 4, flags of ax - m16", C_REP, MMIO64 + 0x21c, 1, FLS(0x95, MMIO64 + 0x246)),
	R(0x258, 8, 2), U("std; scasq: flags, rdi down", C_REP, MMIO64 + 0x21c, 1, FLS(0x95, MMIO64 + 0x250)),
	R(0x260, 1, 0x41), R(0x261, 1, 0x42), R(0x262, 1, 0x58),
	U("repe cmpsb RAM -> MMIO: differs at the 3rd of 4", C_REP, 0x200003, 1, FLS(0x95, MMIO64 + 0x263)),
	R(0x270, 4, 0), R(0x274, 4, 0), R(0x278, 4, 0x33333333),
	U("repne cmpsl MMIO -> RAM: equal at the 3rd of 5", C_REP, MMIO64 + 0x27c, 2, FLS(0x44, 0x20110c)),
	R(0x280, 8, 0x8000000000000000ULL), R(0x290, 8, 1),
	U("cmpsq both MMIO: source, then destination; OF", C_REP, MMIO64 + 0x288, 7, FLS(0x814, MMIO64 + 0x298)),
	R(0x2a6, 2, 5), R(0x2b6, 2, 5), R(0x2a4, 2, 6), R(0x2b4, 2, 6), R(0x2a2, 2, 7), R(0x2b2, 2, 7),
	U("std; repe cmpsw both MMIO x3: the count ends it", C_REP, MMIO64 + 0x2a0, 0, FLS(0x44, MMIO64 + 0x2b0)),
	R(0x180, 8, 0x1010101020202020ULL), R(0x188, 8, 0x3030303040404040ULL),
	U("movdqu m128 -> xmm (f3 0f 6f): two 8-byte reads", C_RBX | C_RCX, 0x1010101020202020ULL, 0x3030303040404040ULL, 0),
	R(0x190, 8, 0x5050505060606060ULL), R(0x198, 8, 0x7070707080808080ULL),
	U("movdqa m128 -> xmm (66 0f 6f)", C_RBX | C_RCX, 0x5050505060606060ULL, 0x7070707080808080ULL, 0),
	R(0x1a0, 8, 0x9090909aa0a0a0a0ULL), R(0x1a8, 8, 0xb0b0b0b0c0c0c0c0ULL),
	U("movaps m128 -> xmm (0f 28)", C_RBX | C_RCX, 0x9090909aa0a0a0a0ULL, 0xb0b0b0b0c0c0c0c0ULL, 0),
	R(0x1b0, 8, 0xd0d0d0d0e0e0e0e0ULL), R(0x1b8, 8, 0xf0f0f0f001010101ULL),
	U("movups m128 -> xmm (0f 10)", C_RBX | C_RCX, 0xd0d0d0d0e0e0e0e0ULL, 0xf0f0f0f001010101ULL, 0),
	W(0x1c3, 8, 0x5555666677778888ULL), W(0x1cb, 8, 0x1111222233334444ULL),
	UN("movdqu xmm -> m128 (f3 0f 7f), unaligned: two 8-byte writes"),
	W(0x1d0, 8, 0x5555666677778888ULL), W(0x1d8, 8, 0x1111222233334444ULL),
	UN("movdqa xmm -> m128 (66 0f 7f)"),
	W(0x1e0, 8, 0x5555666677778888ULL), W(0x1e8, 8, 0x1111222233334444ULL),
	UN("movaps xmm -> m128 (0f 29)"),
	W(0x1f0, 8, 0x5555666677778888ULL), W(0x1f8, 8, 0x1111222233334444ULL),
	UN("movups xmm -> m128 (0f 11)"),
};

#define B4	0x11223344ULL

static const struct step steps32[] = {
	W(0x0, 1, 0x44), UN("mov r8 -> m8 (88), disp32"),
	W(0x2, 2, 0x3344), UN("mov r16 -> m16 (66 89)"),
	W(0x4, 4, B4), UN("mov r32 -> m32 (89)"),
	W(0x14, 1, 0x33), UN("mov %ah -> m8, SIB base+index*4+disp8"),
	R(0x20, 1, 0xaa), UB("mov m8 -> %bl", 0x112233aa),
	R(0x22, 2, 0xbbcc), UB("mov m16 -> %bx", 0x1122bbcc),
	R(0x24, 4, 0xddccbbaa), UB("mov m32 -> %ebx", 0xddccbbaa),
	R(0x40, 1, 0x99), UB("mov moffs32 -> %al (a0)", 0x11223399),
	R(0x44, 4, 0x89abcdef), UB("mov moffs32 -> %eax (a1)", 0x89abcdef),
	W(0x48, 2, 0x3344), UN("mov %ax -> moffs32 (66 a3)"),
	W(0x4c, 4, B4), UN("mov %eax -> moffs32 (a3)"),
	W(0x60, 1, 0xa5), UN("mov imm8 -> m8 (c6)"),
	W(0x62, 2, 0x4321), UN("mov imm16 -> m16 (66 c7)"),
	W(0x64, 4, 0xfeedface), UN("mov imm32 -> m32 (c7)"),
	R(0x70, 1, 0xf0), UB("movzbl", 0xf0),
	R(0x72, 2, 0x8000), UB("movswl", 0xffff8000),
	R(0x80, 4, 0x7fffffff), W(0x80, 4, 0x80000000), UF("add r32 -> m32: data, flags"),
	R(0x84, 1, 0x0f), W(0x84, 1, 0xff), UL("or imm8 -> m8 (80 /1): data, flags"),
	R(0x88, 4, 1), W(0x88, 4, 0xffffffff), UF("sub simm8 -> m32 (83 /5): data, flags"),
	R(0x8c, 2, 3), UF("cmp r16, m16 (66 39): read only, flags"),
	R(0x90, 4, 0xff00ff00), W(0x90, 4, 0x0f000f00), UL("and r32 -> m32 (21): data, flags"),
	R(0x94, 4, 0xffffffff), W(0x94, 4, 0), UL("xor r32 -> m32 (31): data, flags"),
	R(0x98, 4, 0x80000000), U("add m32 -> r32 (03): result, flags", C_RBX | C_FL, 0, 0, 0),
	R(0x9c, 1, 0x10), U("sub m8 -> r8 (2a): result, flags", C_RBX | C_FL, 0x11223334, 0, 0),
	R(0xa0, 4, 0x00ff0000), UL("test r32, m32 (85): flags"),
	R(0xa4, 4, 0x12345678), W(0xa4, 4, 0xaabbccdd), UB("xchg r32, m32 (87)", 0x12345678),
	W(0x100, 1, 0x44), U("stosb", C_REP, MMIO64 + 0x101, 7, 0),
	W(0x110, 4, 0x5a5a5a5a), W(0x114, 4, 0x5a5a5a5a),
	U("rep stosl x2", C_REP, MMIO64 + 0x118, 0, 0),
	W(0x120, 2, 0xaaaa), W(0x122, 2, 0xbbbb),
	U("rep movsw x2 RAM -> MMIO", C_REP, MMIO64 + 0x124, 0, 0x200004),
	R(0x130, 4, 0x76543210), U("movsl MMIO -> RAM: registers", C_RBX | C_RDX, 0x201004, 0, MMIO64 + 0x134),
	UB("movsl MMIO -> RAM: data", 0x76543210),
	R(0x140, 4, 0), R(0x144, 4, 0x11223344),
	U("repne scasl: found at the 2nd of 3", C_REP, MMIO64 + 0x148, 1, 0),
	R(0x150, 1, 0x41), U("repe cmpsb RAM -> MMIO x1", C_REP, MMIO64 + 0x151, 0, 0x200001),
	R(0x160, 4, 0xcafebabe), U("lodsl", C_RBX | C_RDX, 0xcafebabe, 0, MMIO64 + 0x164),
};

static const struct step steps16[] = {
	W(0x0, 1, 0x44), UN("mov r8 -> m8 (26 88), disp16"),
	W(0x2, 2, 0x3344), UN("mov r16 -> m16 (89)"),
	W(0x4, 4, B4), UN("mov r32 -> m32 (66 89)"),
	W(0x34, 4, B4), UN("mov r32 -> m32, [bx+si+disp8]"),
	R(0x20, 1, 0xaa), UB("mov m8 -> %bl", 0x112233aa),
	R(0x22, 2, 0xbbcc), UB("mov m16 -> %bx", 0x1122bbcc),
	R(0x24, 4, 0xddccbbaa), UB("mov m32 -> %ebx (66 8b)", 0xddccbbaa),
	R(0x40, 2, 0x5678), UB("mov moffs16 -> %ax (26 a1)", 0x11225678),
	W(0x42, 1, 0x44), UN("mov %al -> moffs16 (26 a2)"),
	W(0x60, 1, 0x42), UN("mov imm8 -> m8 (c6)"),
	W(0x62, 2, 0x2468), UN("mov imm16 -> m16 (c7)"),
	W(0x64, 4, 0x13579bdf), UN("mov imm32 -> m32 (66 c7)"),
	R(0x70, 1, 0x81), UB("movzbl", 0x81),
	R(0x71, 1, 0x81), UB("movsbw", 0x1122ff81),
	R(0x80, 4, 0x7fffffff), W(0x80, 4, 0x80000000), UF("add r32 -> m32: data, flags"),
	R(0x84, 2, 0), W(0x84, 2, 0xffff), UF("sub simm8 -> m16 (83 /5): data, flags"),
	R(0x86, 1, 0x7f), UF("cmp imm8, m8 (80 /7): read only, flags"),
	R(0x88, 4, 0x0000ffff), W(0x88, 4, 0xffffffff), UL("or r32 -> m32: data, flags"),
	R(0x8c, 2, 0x1234), W(0x8c, 2, 0), UL("xor r16 -> m16: data, flags"),
	R(0x90, 2, 0x8000), U("add m16 -> r16: result, flags", C_RBX | C_FL, 0, 0, 0),
	R(0x94, 4, 0xf0f0f0f0), U("and m32 -> r32: result, flags", C_RBX | C_FLL, 0xf000f000, 0, 0),
	R(0x98, 1, 0x40), UL("test imm8, m8 (f6 /0): flags"),
	R(0xa0, 2, 0x2222), W(0xa0, 2, 0x1111), U("xchg r16, m16 (87)", C_RBX, 0x2222, 0, 0),
	W(0x100, 1, 0x44), U("stosb", C_REP, 0x101, 7, 0),
	W(0x110, 2, 0x9876), W(0x112, 2, 0x9876), U("rep stosw x2", C_REP, 0x114, 0, 0),
	W(0x120, 1, 0x22), W(0x121, 1, 0x33), U("rep movsb x2 RAM -> MMIO", C_REP, 0x122, 0, 0x8002),
	R(0x130, 1, 0x99), U("es lodsb: source segment override", C_REP, 0x11223399, 7, 0x131),
	R(0x140, 1, 1), R(0x150, 1, 1), R(0x141, 1, 2), R(0x151, 1, 3),
	U("repe cmpsb es:si, es:di both MMIO: differs at the 2nd of 3", C_REP, 0x152, 1, 0x142),
	R(0x160, 1, 0), R(0x161, 1, 0x44), U("repne scasb: found at the 2nd of 4", C_REP, 0x162, 2, 0x142),
};

#define NSTEPS(a)	(sizeof(a) / sizeof((a)[0]))

static unsigned int count_reports(const struct step *s, size_t n)
{
	unsigned int k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i].kind == 'U';
	return k;
}

static const char *exit_str(struct vmm_vcpu *vcpu)
{
	static char buf[256];

	vmm_exit_describe(vmm_vcpu_run_data(vcpu), buf, sizeof(buf));
	return buf;
}

/*
 * Run the guest through the steps: check every MMIO exit, answer the
 * reads, and turn each report into one test point.  Ends at UCALL_DONE.
 */
static void run_steps(struct vmm_vcpu *vcpu, const char *mode, uint64_t base,
		      const struct step *steps, size_t n, uint64_t regmask)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	bool ok = true;
	struct ucall uc;

	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];

		vcpu_run(vcpu);
		if (s->kind == 'U') {
			uint64_t cmd = get_ucall(vcpu, &uc);
			uint64_t bx = uc.args[0] & regmask, cx = uc.args[1] & regmask;
			uint64_t dx = uc.args[2] & regmask;

			if (cmd != UCALL_REPORT) {
				vcpu_dump_diag(vcpu);
				tap_bail("%s: %s: expected a report, got %s", mode,
					 s->name, exit_str(vcpu));
			}
			if ((s->chk & C_RBX) && bx != (s->rbx & regmask)) {
				tap_diag("rbx %#llx, want %#llx", (unsigned long long)bx,
					 (unsigned long long)(s->rbx & regmask));
				ok = false;
			}
			if ((s->chk & C_RCX) && cx != (s->rcx & regmask)) {
				tap_diag("rcx %#llx, want %#llx", (unsigned long long)cx,
					 (unsigned long long)(s->rcx & regmask));
				ok = false;
			}
			if ((s->chk & C_RDX) && dx != (s->rdx & regmask)) {
				tap_diag("rdx %#llx, want %#llx", (unsigned long long)dx,
					 (unsigned long long)(s->rdx & regmask));
				ok = false;
			}
			if ((s->chk & (C_FL | C_FLL)) &&
			    ((cx ^ dx) & (s->chk & C_FL ? FL_ARITH : FL_LOGIC))) {
				tap_diag("flags %#llx, native %#llx (mask %#llx)",
					 (unsigned long long)(cx & FL_ARITH),
					 (unsigned long long)(dx & FL_ARITH),
					 s->chk & C_FL ? FL_ARITH : FL_LOGIC);
				ok = false;
			}
			tap_ok(ok, "%s: %s", mode, s->name);
			ok = true;
			continue;
		}
		if (run->exit_reason != VMM_EXIT_MMIO) {
			vcpu_dump_diag(vcpu);
			tap_bail("%s: step %zu: expected MMIO %s at +%#x, got %s",
				 mode, i, s->kind == 'W' ? "write" : "read",
				 s->off, exit_str(vcpu));
		}
		if (run->mmio.phys_addr != base + s->off || run->mmio.len != s->len ||
		    !!run->mmio.is_write != (s->kind == 'W')) {
			tap_diag("%s: step %zu: MMIO %s %#llx len %u, want %s %#llx len %u",
				 mode, i, run->mmio.is_write ? "write" : "read",
				 (unsigned long long)run->mmio.phys_addr, run->mmio.len,
				 s->kind == 'W' ? "write" : "read",
				 (unsigned long long)(base + s->off), s->len);
			ok = false;
		}
		if (s->kind == 'W') {
			uint64_t got = 0, want = s->val;

			memcpy(&got, run->mmio.data, s->len < 8 ? s->len : 8);
			if (s->len < 8)
				want &= (1ULL << (8 * s->len)) - 1;
			if (got != want) {
				tap_diag("%s: step %zu: wrote %#llx, want %#llx", mode,
					 i, (unsigned long long)got,
					 (unsigned long long)want);
				ok = false;
			}
		} else {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			memcpy(run->mmio.data, &s->val, s->len <= 8 ? s->len : 8);
		}
	}
	vcpu_run(vcpu);
	if (get_ucall(vcpu, NULL) != UCALL_DONE) {
		vcpu_dump_diag(vcpu);
		tap_bail("%s: expected the final ucall, got %s", mode,
			 exit_str(vcpu));
	}
}

/* Real mode: RAM only below 0xa0000, so 0xd0000 is a hole. */
static struct vmm_vm *create_real(struct vmm_vcpu **vcpup)
{
	struct vmm_vm *vm = vm_create_with_one_vcpu(vcpup, VMM_MODE_REAL,
						    GUEST_CODE_PTR(g16),
						    GUEST_CODE_LEN(g16));

	TEST_ASSERT_OK(vmm_mem_remove(vm, TEST_MEM_SLOT));
	TEST_ASSERT_OK(vmm_mem_add(vm, TEST_MEM_SLOT, 0, RAM16_SIZE, 0, NULL));
	TEST_ASSERT_OK(vmm_load_flat(vm, TEST_CODE_GPA, GUEST_CODE_PTR(g16),
				     GUEST_CODE_LEN(g16)));
	TEST_ASSERT_OK(vmm_vcpu_setup_mode(*vcpup, VMM_MODE_REAL, 0,
					   TEST_SCRATCH_GPA, TEST_CODE_GPA,
					   TEST_STACK_TOP16));
	return vm;
}

static void test_forms(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;

	vm = create_real(&vcpu);
	run_steps(vcpu, "real", MMIO16, steps16, NSTEPS(steps16), 0xffffffff);
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_PAGED32, GUEST_CODE_PTR(g32),
				     GUEST_CODE_LEN(g32));
	run_steps(vcpu, "paged32", MMIO64, steps32, NSTEPS(steps32), 0xffffffff);
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64, GUEST_CODE_PTR(g64),
				     GUEST_CODE_LEN(g64));
	run_steps(vcpu, "long64", MMIO64, steps64, NSTEPS(steps64), ~0ULL);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* Straddling accesses, recorded                                       */
/* ------------------------------------------------------------------ */

GUEST_CODE(straddle, 64,
	BASE64
	"movl $0x11223344, 0xffe(%rdi)\n" GUEST_UCALL_REPORT
	"mov 0xffc(%rdi), %rbx\n" GUEST_UCALL_REPORT
	"mov $0x3fffffe, %esi\n movl $0x55667788, (%rsi)\n" GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

#define MAX_REC 8

struct rec {
	unsigned int n;
	struct { uint64_t gpa; uint32_t len; bool write; uint64_t data; } a[MAX_REC];
	struct ucall uc;
};

/*
 * Run to the next ucall, recording every MMIO exit; reads are answered
 * with bytes 0xa0, 0xa1, ... counted from the first byte of the access.
 */
static uint64_t run_record(struct vmm_vcpu *vcpu, struct rec *r)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	uint64_t cmd;

	memset(r, 0, sizeof(*r));
	for (;;) {
		vcpu_run(vcpu);
		cmd = get_ucall(vcpu, &r->uc);
		if (cmd != UCALL_NONE)
			return cmd;
		if (run->exit_reason != VMM_EXIT_MMIO || r->n == MAX_REC) {
			vcpu_dump_diag(vcpu);
			tap_bail("unexpected exit %s", exit_str(vcpu));
		}
		r->a[r->n].gpa = run->mmio.phys_addr;
		r->a[r->n].len = run->mmio.len;
		r->a[r->n].write = run->mmio.is_write;
		if (run->mmio.is_write) {
			memcpy(&r->a[r->n].data, run->mmio.data,
			       run->mmio.len <= 8 ? run->mmio.len : 8);
		} else {
			for (unsigned int i = 0; i < 8; i++)
				run->mmio.data[i] = 0xa0 + i;
			memcpy(&r->a[r->n].data, run->mmio.data,
			       run->mmio.len <= 8 ? run->mmio.len : 8);
		}
		tap_diag("  MMIO %s gpa %#llx len %u data %#llx (answered for a read)",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			 (unsigned long long)r->a[r->n].data);
		r->n++;
	}
}

static void test_straddle(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct rec r;
	uint8_t *ram;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(straddle),
				     GUEST_CODE_LEN(straddle));
	tap_diag("4-byte write at MMIO base + 0xffe (two MMIO pages):");
	TEST_ASSERT_EQ(run_record(vcpu, &r), UCALL_REPORT);
	tap_ok(r.n == 1 && r.a[0].write && r.a[0].gpa == MMIO64 + 0xffe &&
	       r.a[0].len == 4 && r.a[0].data == 0x11223344,
	       "straddling MMIO write: one 4-byte exit at the first page's gpa");

	tap_diag("8-byte read at MMIO base + 0xffc:");
	TEST_ASSERT_EQ(run_record(vcpu, &r), UCALL_REPORT);
	tap_ok(r.n == 1 && !r.a[0].write && r.a[0].gpa == MMIO64 + 0xffc &&
	       r.a[0].len == 8 && r.uc.args[0] == 0xa7a6a5a4a3a2a1a0ULL,
	       "straddling MMIO read: one 8-byte exit, data reaches %%rbx (%#llx)",
	       (unsigned long long)r.uc.args[0]);

	/* Observation only: KVM writes the RAM half and exits for the rest. */
	ram = test_gpa(vm, 0x3fffffe, 2);
	ram[0] = ram[1] = 0;
	tap_diag("4-byte write at 0x3fffffe (last 2 bytes of RAM + 2 of MMIO):");
	TEST_ASSERT_EQ(run_record(vcpu, &r), UCALL_REPORT);
	tap_diag("  RAM bytes after it: %02x %02x (KVM would write 88 77 and exit"
		 " for 2 bytes at 0x4000000)", ram[0], ram[1]);
	tap_ok(r.n >= 1, "RAM/MMIO straddling write completes (%u MMIO exits)", r.n);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, NULL), UCALL_DONE);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* CPL 3                                                               */
/* ------------------------------------------------------------------ */

GUEST_CODE(user64, 64,
	BASE64
	"movl $0x600df00d, 0x10(%rdi)\n"
	"mov 0x20(%rdi), %ebx\n"
	"mov $0xd0000030, %edi\n mov $2, %ecx\n mov $0x77, %al\n rep stosb\n"
	"mov %cs, %ecx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

static const struct step steps_user[] = {
	W(0x10, 4, 0x600df00d), R(0x20, 4, 0x12345678),
	W(0x30, 1, 0x77), W(0x31, 1, 0x77),
	U("CPL 3: mov store, mov load, rep stosb; CS.RPL = 3", C_RBX | C_RCX,
	  0x12345678, 0x43, 0),
};

static void test_user(void)
{
	struct vmm_segment cs = {
		.limit = 0xffffffff, .selector = 0x43, .type = 0xb,
		.present = 1, .dpl = 3, .s = 1, .l = 1, .g = 1,
	};
	struct vmm_segment ds = {
		.limit = 0xffffffff, .selector = 0x4b, .type = 0x3,
		.present = 1, .dpl = 3, .s = 1, .db = 1, .g = 1,
	};
	struct vmm_vcpu *vcpu;
	struct vmm_sregs sregs;
	struct vmm_regs regs;
	struct vmm_vm *vm;
	uint64_t *gdt;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(user64),
				     GUEST_CODE_LEN(user64));
	/* The library's page tables set U/S everywhere; add user segments. */
	gdt = test_gpa(vm, TEST_SCRATCH_GPA + VMM_SCRATCH_GDT, 0x50);
	gdt[8] = 0x00affb000000ffffULL;		/* 0x40: 64-bit code, DPL 3 */
	gdt[9] = 0x00cff3000000ffffULL;		/* 0x48: data, DPL 3 */
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(vcpu, &sregs));
	sregs.gdt.limit = 0x4f;
	sregs.cs = cs;
	sregs.ss = sregs.ds = sregs.es = sregs.fs = sregs.gs = ds;
	TEST_ASSERT_OK(vmm_vcpu_set_sregs(vcpu, &sregs));
	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	regs.rflags = 0x3002;	/* IOPL 3: the ucall's OUT is allowed */
	TEST_ASSERT_OK(vmm_vcpu_set_regs(vcpu, &regs));
	run_steps(vcpu, "long64 CPL 3", MMIO64, steps_user, NSTEPS(steps_user),
		  0xffffffff);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* A read-only slot                                                    */
/* ------------------------------------------------------------------ */

GUEST_CODE(ro64, 64,
	"mov $0x8000000, %esi\n"
	"mov (%rsi), %rbx\n" GUEST_UCALL_REPORT
	"movl $0xcafebabe, 8(%rsi)\n mov 8(%rsi), %rbx\n" GUEST_UCALL_REPORT
	"movq $0x55, 0x1000(%rsi)\n mov 0x1000(%rsi), %rbx\n" GUEST_UCALL_REPORT
	"mov $0x200000, %esi\n movl $0x44332211, (%rsi)\n"
	"mov $0x8000020, %edi\n mov $2, %ecx\n cld\n rep movsw\n"
	"mov -4(%rdi), %ebx\n" GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

static const struct step steps_ro[] = {
	UB("read-only slot: guest read sees the slot's memory, no exit",
	   0x0123456789abcdefULL),
	W(0x8, 4, 0xcafebabe),
	UB("read-only slot: write exits as MMIO write (gpa, len, data), memory unchanged",
	   0x1111111122222222ULL),
	W(0x1000, 8, 0x55),
	UB("read-only slot: write to a page never read before exits too",
	   0x3333333344444444ULL),
	W(0x20, 2, 0x2211), W(0x22, 2, 0x4433),
	UB("read-only slot: rep movsw RAM -> slot exits per element, memory unchanged",
	   0x5555555566666666ULL & 0xffffffff),
};

static void test_readonly(struct vmm_dev *dev)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	uint64_t *ro;

	tap_ok(vmm_check_extension(dev, VMM_CAP_READONLY_MEM) == 1,
	       "CHECK_EXTENSION(READONLY_MEM) == 1 on /dev");
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64, GUEST_CODE_PTR(ro64),
				     GUEST_CODE_LEN(ro64));
	tap_ok(vmm_vm_check_extension(vm, VMM_CAP_READONLY_MEM) == 1,
	       "CHECK_EXTENSION(READONLY_MEM) == 1 on the VM");
	TEST_ASSERT_OK(vmm_mem_add(vm, 2, RO_GPA, RO_SIZE, VMM_MEM_READONLY,
				   (void **)&ro));
	ro[0] = 0x0123456789abcdefULL;
	ro[1] = 0x1111111122222222ULL;
	ro[4] = 0x5555555566666666ULL;
	ro[6] = 0x7777777788888888ULL;
	ro[512] = 0x3333333344444444ULL;
	run_steps(vcpu, "long64", RO_GPA, steps_ro, NSTEPS(steps_ro), ~0ULL);
	test_vm_free(vm);
}

/*
 * MOVS from MMIO into a read-only slot: MMIO on both sides.  As with KVM,
 * each element is an MMIO read and an MMIO write exit (the write names
 * the slot's address) and the slot's memory stays as it was.
 */
GUEST_CODE(ro_movs, 64,
	"mov $0xd0000000, %esi\n mov $0x8000030, %edi\n mov $2, %ecx\n"
	"cld\n rep movsb\n" GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

static void test_readonly_movs(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	uint64_t *ro;
	struct rec r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(ro_movs),
				     GUEST_CODE_LEN(ro_movs));
	TEST_ASSERT_OK(vmm_mem_add(vm, 2, RO_GPA, RO_SIZE, VMM_MEM_READONLY,
				   (void **)&ro));
	ro[6] = 0x7777777788888888ULL;
	tap_diag("rep movsb x2 from MMIO 0xd0000000 to read-only 0x8000030:");
	TEST_ASSERT_EQ(run_record(vcpu, &r), UCALL_REPORT);
	tap_ok(r.n == 4 &&
	       !r.a[0].write && r.a[0].gpa == MMIO64 && r.a[0].len == 1 &&
	       r.a[1].write && r.a[1].gpa == RO_GPA + 0x30 && r.a[1].len == 1 &&
	       r.a[1].data == 0xa0 &&
	       !r.a[2].write && r.a[2].gpa == MMIO64 + 1 &&
	       r.a[3].write && r.a[3].gpa == RO_GPA + 0x31 &&
	       r.a[3].data == 0xa0,
	       "rep movsb MMIO -> read-only slot: read and write exit per element (%u exits)",
	       r.n);
	tap_ok(ro[6] == 0x7777777788888888ULL,
	       "rep movsb MMIO -> read-only slot leaves the slot unchanged (%#llx)",
	       (unsigned long long)ro[6]);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, NULL), UCALL_DONE);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* A REP instruction between its elements                              */
/* ------------------------------------------------------------------ */

GUEST_CODE(rep_cmps, 64,
	"mov $0xd0000300, %esi\n mov $0xd0000310, %edi\n mov $4, %ecx\n"
	"cld\n repe cmpsb\n" STR64
	GUEST_UCALL_DONE);

/*
 * repe cmpsb x4 with both operands in MMIO: two exits per element.  At
 * each exit the vCPU's registers are those between elements, which is
 * what an interrupt taken there would find: RIP on the instruction, RCX
 * counting down, RSI and RDI stepped once per element done.
 */
static void test_rep_stops(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_regs regs;
	struct vmm_run *run;
	struct vmm_vm *vm;
	struct ucall uc;
	uint64_t rip0 = 0;
	unsigned int i, el;
	bool ok = true;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(rep_cmps),
				     GUEST_CODE_LEN(rep_cmps));
	run = vmm_vcpu_run_data(vcpu);
	for (i = 0; i < 8 && ok; i++) {
		el = i / 2;
		vcpu_run(vcpu);
		if (run->exit_reason != VMM_EXIT_MMIO) {
			tap_diag("exit %u: %s", i, exit_str(vcpu));
			ok = false;
			break;
		}
		TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
		if (i == 0)
			rip0 = regs.rip;
		if (run->mmio.is_write || run->mmio.len != 1 ||
		    run->mmio.phys_addr != MMIO64 + (i & 1 ? 0x310 : 0x300) + el ||
		    regs.rip != rip0 || regs.rcx != 4 - el ||
		    regs.rsi != MMIO64 + 0x300 + el ||
		    regs.rdi != MMIO64 + 0x310 + el) {
			tap_diag("exit %u: MMIO %s %#llx len %u; rip %#llx (first %#llx) rcx %llu rsi %#llx rdi %#llx",
				 i, run->mmio.is_write ? "write" : "read",
				 (unsigned long long)run->mmio.phys_addr,
				 run->mmio.len, (unsigned long long)regs.rip,
				 (unsigned long long)rip0,
				 (unsigned long long)regs.rcx,
				 (unsigned long long)regs.rsi,
				 (unsigned long long)regs.rdi);
			ok = false;
		}
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		run->mmio.data[0] = (uint8_t)(0x30 + el);	/* equal */
	}
	tap_ok(ok, "repe cmpsb x4, both MMIO: at each of 8 exits RIP stays, RCX/RSI/RDI count the elements done");
	vcpu_run(vcpu);
	ok = get_ucall(vcpu, &uc) == UCALL_REPORT &&
	     uc.args[0] == MMIO64 + 0x304 && uc.args[1] == 0 &&
	     uc.args[2] == FLS(0x44, MMIO64 + 0x314);
	if (!ok)
		tap_diag("report %#llx %#llx %#llx",
			 (unsigned long long)uc.args[0],
			 (unsigned long long)uc.args[1],
			 (unsigned long long)uc.args[2]);
	tap_ok(ok, "repe cmpsb x4, both MMIO: ends with RCX 0, ZF, RSI/RDI past the 4 elements");
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, NULL), UCALL_DONE);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* Instructions the emulator does not handle                           */
/* ------------------------------------------------------------------ */

GUEST_CODE(unhandled, 64,
	BASE64
	"incl 0x10(%rdi)\n"		/* ff 47 10 */
	"negl 0x14(%rdi)\n"		/* f7 5f 14 */
	GUEST_UCALL_DONE);

static void expect_emulation_error(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
				   const char *name, uint64_t gpa,
				   const uint8_t *insn, unsigned int len)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	struct vmm_regs regs;
	uint8_t bytes[16], *code;
	unsigned int n;
	bool ok;

	vcpu_run(vcpu);
	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	ok = run->exit_reason == VMM_EXIT_INTERNAL_ERROR &&
	     run->internal.suberror == VMM_INTERNAL_ERROR_EMULATION;
	if (!ok)
		tap_diag("exit %s", exit_str(vcpu));
	n = ok ? (unsigned int)run->internal.data[1] : 0;
	memcpy(bytes, &run->internal.data[2], 16);
	if (ok) {
		tap_diag("ndata %u data[0] %#llx data[1] %u bytes %02x %02x %02x %02x",
			 run->internal.ndata,
			 (unsigned long long)run->internal.data[0], n,
			 bytes[0], bytes[1], bytes[2], bytes[3]);
		code = test_gpa(vm, regs.rip, 16);
		ok = run->internal.ndata >= 4 && n >= len && n <= 15 &&
		     !memcmp(bytes, insn, len) && !memcmp(bytes, code, n) &&
		     run->internal.data[0] == gpa;
	}
	tap_ok(ok, "%s on MMIO: INTERNAL_ERROR/EMULATION, gpa and instruction bytes",
	       name);
	/* Step over it and go on. */
	regs.rip += len;
	TEST_ASSERT_OK(vmm_vcpu_set_regs(vcpu, &regs));
}

static void test_unhandled(void)
{
	static const uint8_t inc[] = { 0xff, 0x47, 0x10 };
	static const uint8_t neg[] = { 0xf7, 0x5f, 0x14 };
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(unhandled),
				     GUEST_CODE_LEN(unhandled));
	expect_emulation_error(vm, vcpu, "incl m32", MMIO64 + 0x10, inc, 3);
	expect_emulation_error(vm, vcpu, "negl m32", MMIO64 + 0x14, neg, 3);
	tap_ok(vcpu_run_ucall(vcpu, NULL) == UCALL_DONE,
	       "the vCPU runs on after the emulation failures");
	test_vm_free(vm);
}

int main(void)
{
	struct vmm_dev *dev = test_open_dev();
	unsigned int n;

	n = count_reports(steps16, NSTEPS(steps16)) +
	    count_reports(steps32, NSTEPS(steps32)) +
	    count_reports(steps64, NSTEPS(steps64)) +
	    count_reports(steps_user, NSTEPS(steps_user)) +
	    count_reports(steps_ro, NSTEPS(steps_ro));
	tap_plan(n + 3 + 2 + 2 + 2 + 3);
	test_forms();
	test_straddle();
	test_user();
	test_readonly(dev);
	test_readonly_movs();
	test_rep_stops();
	test_unhandled();
	vmm_close(dev);
	tap_exit();
}
