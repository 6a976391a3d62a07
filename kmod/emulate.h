/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction decoder and emulator for MMIO exits.
 *
 * The same source builds in the kernel module and in userspace (host unit
 * tests, fuzzing): it uses no allocation, no global state and no
 * recursion, and every loop is bounded by the 15-byte instruction limit.
 *
 * Intended call sequence in the module, on an EPT violation or
 * misconfiguration at an address that is not guest RAM:
 *
 *	emu_init(&c, mode, &ops, opaque);	mode: 16, 32 or 64
 *	copy the GPRs, RIP, RFLAGS and segment bases into c
 *	fetch up to 15 bytes at CS:RIP
 *	st = emu_decode(&c, bytes, n);		EMU_NEED_MORE: fetch more
 *	check c.insn.la (and c.insn.dst_la for MOVS and CMPS) against the
 *	faulting address; for MOVS and CMPS (EMU_INSN_TWO_MEM) set
 *	c.movs_mmio to the side or sides that are MMIO
 *	st = emu_start(&c);
 *	while (st == EMU_ACCESS) {
 *		perform c.access (an exit to userspace: size <= 8 bytes,
 *		for a write c.access.data holds the bytes)
 *		st = emu_complete(&c, data read for a read, else NULL);
 *	}
 *	EMU_DONE: copy c.gpr, c.rip and c.rflags back to the vCPU.
 *	EMU_EXCEPTION: inject c.exc_vector (c.exc_error_code if
 *	c.exc_has_error; for #PF c.exc_addr is the linear address of the
 *	failed read_mem/write_mem call); leave the registers alone.
 *	EMU_UNHANDLED: report an emulation failure; leave the registers alone.
 *
 * The context lives across the exit to userspace (keep it in the vCPU),
 * and c->ops and c->opaque must stay valid until the instruction ends.
 * Guest registers in c change only when EMU_DONE is returned, so a
 * caller may abandon an instruction at any earlier point.  A REP string
 * instruction is emulated one element per decode/start/complete round:
 * RCX and RSI/RDI step, and RIP moves past the instruction only when
 * the count reaches zero (or, for REPE/REPNE CMPS and SCAS, when ZF
 * ends the repetition), so the guest re-executes it for the next
 * element.
 *
 * Covered: MOV loads and stores (incl. moffs and imm), MOVZX/MOVSX/
 * MOVSXD, ADD OR ADC SBB AND SUB XOR CMP with a memory operand, TEST,
 * XCHG, the 128-bit SSE moves MOVUPS/MOVUPD/MOVAPS/MOVAPD/MOVDQU/
 * MOVDQA, and the string instructions STOS, LODS, SCAS, MOVS and CMPS,
 * single or with REP/REPE/REPNE, every operand and address size.
 *
 * Not modelled: segment limit and access-rights checks, alignment
 * checking (EFLAGS.AC), the atomicity of LOCKed read-modify-write
 * instructions (the read and the write are separate exits), RFLAGS.RF.
 */
#ifndef VMM_EMULATE_H
#define VMM_EMULATE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <string.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
#endif

/* The longest legal x86 instruction. */
#define EMU_MAX_INSN_LEN	15

/* Register numbers, as encoded in ModRM/SIB/REX. */
enum {
	EMU_RAX, EMU_RCX, EMU_RDX, EMU_RBX, EMU_RSP, EMU_RBP, EMU_RSI, EMU_RDI,
	EMU_R8, EMU_R9, EMU_R10, EMU_R11, EMU_R12, EMU_R13, EMU_R14, EMU_R15,
	EMU_NR_GPRS
};

/* Segment registers, in the encoding order of the sreg field. */
enum {
	EMU_SEG_ES, EMU_SEG_CS, EMU_SEG_SS, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS,
	EMU_NR_SEGS
};

/* RFLAGS bits the emulator reads or writes. */
#define EMU_FLAG_CF		0x0001ULL
#define EMU_FLAG_PF		0x0004ULL
#define EMU_FLAG_AF		0x0010ULL
#define EMU_FLAG_ZF		0x0040ULL
#define EMU_FLAG_SF		0x0080ULL
#define EMU_FLAG_DF		0x0400ULL
#define EMU_FLAG_OF		0x0800ULL
#define EMU_FLAGS_ARITH		(EMU_FLAG_CF | EMU_FLAG_PF | EMU_FLAG_AF | \
				 EMU_FLAG_ZF | EMU_FLAG_SF | EMU_FLAG_OF)

/* Exception vectors reported with EMU_EXCEPTION. */
#define EMU_VEC_UD		6
#define EMU_VEC_GP		13
#define EMU_VEC_PF		14

/* Results of emu_decode(), emu_start() and emu_complete(). */
enum emu_status {
	EMU_OK,		/* emu_decode: decoded; c->insn is valid */
	EMU_ACCESS,	/* perform c->access, then call emu_complete() */
	EMU_DONE,	/* finished: copy c->gpr/rip/rflags back */
	EMU_NEED_MORE,	/* emu_decode: the bytes ran out before the insn */
	EMU_UNHANDLED,	/* not emulated (or no memory operand) */
	EMU_EXCEPTION,	/* inject c->exc_vector instead */
	EMU_BAD_CALL,	/* API misuse: call out of sequence */
};

/*
 * c->movs_mmio: which operands of a MOVS or CMPS are MMIO (a bit mask).
 * An operand that is not MMIO is memory, accessed with read_mem (and
 * write_mem for the destination of MOVS).
 */
enum {
	EMU_MOVS_UNSET,		/* emu_start() fails with EMU_UNHANDLED */
	EMU_MOVS_SRC,		/* source seg:rSI is MMIO, ES:rDI is memory */
	EMU_MOVS_DST,		/* ES:rDI is MMIO, source seg:rSI is memory */
	EMU_MOVS_BOTH,		/* both are MMIO: two accesses per element */
};

/* c->insn.flags */
#define EMU_INSN_READ		0x01	/* reads the memory operand */
#define EMU_INSN_WRITE		0x02	/* writes the memory operand */
#define EMU_INSN_STRING		0x04	/* STOS, LODS, SCAS, MOVS or CMPS */
#define EMU_INSN_REP		0x08	/* with a REP prefix */
#define EMU_INSN_LOCK		0x10	/* with a LOCK prefix */
#define EMU_INSN_SSE		0x20	/* a 128-bit SSE move */
#define EMU_INSN_TWO_MEM	0x40	/* MOVS, CMPS: operands at la, dst_la */

/*
 * Callbacks.  read_mem/write_mem access guest memory (RAM, not MMIO) at a
 * guest-linear address: they translate through the guest's page tables
 * and return 0, or nonzero if the access must fault (the emulator then
 * returns EMU_EXCEPTION with #PF; the callback may record the exact
 * address and error code in its opaque data).  Only MOVS and CMPS use
 * them, for an operand that is not MMIO.
 * get_xmm/set_xmm read and write the guest's XMM register reg (0-15),
 * 16 bytes, little-endian.  Only the SSE moves use them.  A NULL callback
 * makes the instructions needing it EMU_UNHANDLED.
 */
struct emu_ops {
	int (*read_mem)(void *opaque, u64 la, void *buf, unsigned int len);
	int (*write_mem)(void *opaque, u64 la, const void *buf,
			 unsigned int len);
	void (*get_xmm)(void *opaque, unsigned int reg, u8 *val);
	void (*set_xmm)(void *opaque, unsigned int reg, const u8 *val);
};

/* The decoded instruction (c->insn), valid after emu_decode() == EMU_OK. */
struct emu_insn {
	u8 len;		/* instruction length, 1-15 */
	u8 opsize;	/* operand size in bytes: 1, 2, 4, 8, or 16 (SSE) */
	u8 addrsize;	/* address size in bytes: 2, 4 or 8 */
	u8 mem_size;	/* bytes accessed at la: 1, 2, 4, 8 or 16 */
	u8 seg;		/* segment of the memory operand, EMU_SEG_* */
	u8 flags;	/* EMU_INSN_* */
	u16 opcode;	/* one-byte opcode, or 0x0f00 | second byte */
	u64 ea;		/* effective address (offset) of the memory operand */
	u64 la;		/* its linear address: segment base + ea */
	u64 dst_ea;	/* MOVS, CMPS: destination ES:rDI offset ... */
	u64 dst_la;	/* ... and linear address; la/ea is the source */

	/* Private to the emulator. */
	u8 kind;
	u8 alu;		/* ALU operation, 0-7 = ADD OR ADC SBB AND SUB XOR CMP */
	u8 rex;
	u8 reg;		/* register operand (GPR or XMM), REX.R applied */
	u8 rep;		/* 0, 0xf2 or 0xf3 */
	u8 sext;	/* sign-extend a narrower load */
	u8 mem_dst;	/* the memory operand is the destination */
	u8 has_imm;	/* the source is imm, not reg */
	u8 aligned;	/* SSE: #GP unless 16-byte aligned */
	u64 imm;	/* immediate, sign-extended to the operand size */
};

/* One memory access for the caller to perform (c->access). */
struct emu_access {
	u64 la;		/* guest-linear address */
	u8 size;	/* 1, 2, 4 or 8 */
	u8 write;	/* 1 = write data[0..size), 0 = read */
	u8 piece;	/* 16-byte accesses: 0 = bytes 0-7, 1 = bytes 8-15 */
	u8 data[8];	/* write: little-endian bytes */
};

/* The emulation context: registers in, registers out, and the state. */
struct emu_ctxt {
	/* Filled by the caller before emu_decode(). */
	u64 gpr[EMU_NR_GPRS];	/* rax rcx rdx rbx rsp rbp rsi rdi r8-r15 */
	u64 rip;
	u64 rflags;
	u64 seg_base[EMU_NR_SEGS]; /* only FS and GS are used in 64-bit mode */
	u8 mode;		/* 16, 32 or 64 (from CS.L and CS.D) */
	u8 movs_mmio;		/* EMU_MOVS_*, set before emu_start() */
	const struct emu_ops *ops;
	void *opaque;

	/* Outputs. */
	struct emu_insn insn;
	struct emu_access access;	/* valid while EMU_ACCESS */
	u8 exc_vector;			/* valid after EMU_EXCEPTION */
	u8 exc_has_error;
	u32 exc_error_code;
	u64 exc_addr;			/* #PF: linear address of the access */
	u8 exc_write;			/* #PF: the access was a write */

	/* Private to the emulator. */
	u8 state;
	u8 step;
	u64 val[2];
};

/*
 * emu_init - reset @c for a new instruction
 * @mode: 16, 32 or 64, the code size of the guest's CS
 * @ops: callbacks (may be NULL: no MOVS, no SSE); must outlive @c's use
 * @opaque: passed to every callback
 *
 * Zeroes the registers, segment bases and all state.
 */
void emu_init(struct emu_ctxt *c, unsigned int mode,
	      const struct emu_ops *ops, void *opaque);

/*
 * emu_decode - decode the instruction at c->rip
 * @bytes: the instruction bytes fetched at CS:RIP
 * @avail: how many of them are valid (more than 15 are ignored)
 *
 * Uses c->mode, c->gpr, c->rip and c->seg_base to compute the memory
 * operand's address.  Returns EMU_OK (c->insn filled in), EMU_NEED_MORE
 * (@avail bytes end inside the instruction: fetch more, or treat it as
 * a fault if the next page is not mapped), EMU_UNHANDLED, or
 * EMU_EXCEPTION: #GP(0) for an instruction longer than 15 bytes, #UD for
 * LOCK on an instruction that does not allow it.
 */
enum emu_status emu_decode(struct emu_ctxt *c, const u8 *bytes,
			   unsigned int avail);

/*
 * emu_start - begin emulating the decoded instruction
 *
 * Call once after emu_decode() returned EMU_OK.  Returns EMU_ACCESS with
 * the first MMIO access in c->access, EMU_DONE if the instruction needs
 * no access (REP with a zero count), EMU_EXCEPTION (#GP(0) for a
 * misaligned MOVAPS/MOVAPD/MOVDQA, #PF if read_mem failed for MOVS or
 * CMPS: the operand in memory is read before any MMIO access), or
 * EMU_UNHANDLED.
 */
enum emu_status emu_start(struct emu_ctxt *c);

/*
 * emu_complete - finish the access in c->access
 * @data: for a read, the c->access.size bytes read (little-endian);
 *	ignored for a write
 *
 * Returns EMU_ACCESS with the next access (the write of a read-modify-
 * write instruction, the second half of a 16-byte access, the second
 * operand of a MOVS or CMPS with both in MMIO), EMU_DONE with
 * the registers, RIP and RFLAGS updated in c, or EMU_EXCEPTION (#PF if
 * write_mem failed for a MOVS from MMIO: the MMIO read has been done).
 */
enum emu_status emu_complete(struct emu_ctxt *c, const void *data);

/* emu_status_name - a constant string naming @st, for messages. */
const char *emu_status_name(enum emu_status st);

#endif /* VMM_EMULATE_H */
