// SPDX-License-Identifier: GPL-2.0
/*
 * emulate_test: host unit test of the MMIO instruction emulator
 * (kmod/emulate.c, linked in directly).
 *
 *  - a table of encodings: for each, the mode, the bytes, the registers
 *    that differ from a fixed pattern, the expected decode result and
 *    length, the exact sequence of accesses (with the data for reads),
 *    and the registers, RIP, RFLAGS, XMM or guest RAM afterwards;
 *  - ALU flags cross-checked against the host CPU executing the same
 *    operation, for edge values and random ones;
 *  - LODS, SCAS and CMPS (every size, REP/REPE/REPNE, DF, address size
 *    32 or 64, FS override) run element by element to the end, with the
 *    MMIO side(s) answered from ordinary memory, against the host CPU
 *    executing the same bytes on that memory: RAX, RCX, RSI, RDI, flags;
 *  - every one- and two-byte opcode in each mode with random trailing
 *    bytes: length at most 15, the state machine ends, no access is
 *    larger than 8 bytes.
 */
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "test_util.h"
#include "emulate.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Guest RAM reachable through read_mem/write_mem, at this linear address. */
#define RAM_LA		0x80000ULL
#define RAM_SIZE	0x1000

/* RFLAGS bits, short. */
#define CF	EMU_FLAG_CF
#define PF	EMU_FLAG_PF
#define AF	EMU_FLAG_AF
#define ZF	EMU_FLAG_ZF
#define SF	EMU_FLAG_SF
#define DF	EMU_FLAG_DF
#define OF	EMU_FLAG_OF
#define FL(x)	(0x2 | (x))

/* Segment bases: ignored in 64-bit mode except FS and GS. */
#define FS64	0x7f0000000000ULL
#define GS64	0xffff880000000000ULL
#define ES32	0x20000ULL
#define CS32	0x30000ULL
#define SS32	0x40000ULL
#define DS32	0x10000ULL
#define FS32	0x80000ULL
#define GS32	0x60000ULL

struct test_env {
	u8 ram[RAM_SIZE];
	u8 xmm[16][16];
	unsigned int mem_calls;
};

static int t_read_mem(void *opaque, u64 la, void *buf, unsigned int len)
{
	struct test_env *e = opaque;

	e->mem_calls++;
	if (len > 8 || la - RAM_LA >= RAM_SIZE ||
	    RAM_SIZE - (la - RAM_LA) < len)
		return -1;
	memcpy(buf, e->ram + (la - RAM_LA), len);
	return 0;
}

static int t_write_mem(void *opaque, u64 la, const void *buf, unsigned int len)
{
	struct test_env *e = opaque;

	e->mem_calls++;
	if (len > 8 || la - RAM_LA >= RAM_SIZE ||
	    RAM_SIZE - (la - RAM_LA) < len)
		return -1;
	memcpy(e->ram + (la - RAM_LA), buf, len);
	return 0;
}

static void t_get_xmm(void *opaque, unsigned int reg, u8 *val)
{
	struct test_env *e = opaque;

	memcpy(val, e->xmm[reg & 15], 16);
}

static void t_set_xmm(void *opaque, unsigned int reg, const u8 *val)
{
	struct test_env *e = opaque;

	memcpy(e->xmm[reg & 15], val, 16);
}

static const struct emu_ops test_ops = {
	.read_mem = t_read_mem,
	.write_mem = t_write_mem,
	.get_xmm = t_get_xmm,
	.set_xmm = t_set_xmm,
};

static void env_reset(struct test_env *e)
{
	unsigned int i, j;

	for (i = 0; i < RAM_SIZE; i++)
		e->ram[i] = (u8)(i + 0x40);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			e->xmm[i][j] = (u8)(i * 16 + j);
	e->mem_calls = 0;
}

/* The default register file: rax 0x0807060504030201, rcx 0x18..11, ... */
static u64 default_gpr(unsigned int i)
{
	return 0x0807060504030201ULL + i * 0x1010101010101010ULL;
}

#define RAX0	0x0807060504030201ULL
#define RCX0	0x1817161514131211ULL
#define RDX0	0x2827262524232221ULL
#define RBX0	0x3837363534333231ULL
#define RBP0	0x5857565554535251ULL
#define RSI0	0x6867666564636261ULL
#define RDI0	0x7877767574737271ULL
#define R8_0	0x8887868584838281ULL
#define R9_0	0x9897969594939291ULL
#define R15_0	0xf8f7f6f5f4f3f2f1ULL

struct regval {
	u8 reg;		/* EMU_R* + 1; 0 = unused */
	u64 val;
};

struct acc {
	u8 write;
	u8 size;	/* 0 = no more accesses */
	u64 la;
	u64 data;	/* read: returned to the emulator; write: expected */
};

struct tc {
	const char *name;
	u8 mode;
	const char *code;
	u8 ncode;
	u8 avail;		/* bytes given to the decoder; 0 = ncode */
	struct regval set[4];
	u64 rflags;		/* 0 = FL(0) */
	u64 rip;		/* 0 = 0x1000 */
	u8 movs;
	int dec;		/* expected emu_decode() result */
	int end;		/* expected final result; 0 = EMU_DONE */
	u8 vec;			/* expected exception vector */
	u8 len;			/* expected length; 0 = not checked */
	struct acc acc[3];
	struct regval want[4];	/* registers changed, with new values */
	u64 rflags_out;		/* 0 = unchanged */
	u8 has_rip;		/* rip_out is given; else rip + len */
	u64 rip_out;
	u8 xmm_check;
	u8 xmm_reg;
	u64 xmm_lo, xmm_hi;
	u8 ram_size;		/* check RAM after: ram_size bytes at ram_la */
	u64 ram_la, ram_val;
	u64 exc_addr;		/* #PF address, if nonzero */
};

#define C(s)		.code = (s), .ncode = sizeof(s) - 1
#define R(r, v)		{ EMU_##r + 1, (v) }
#define SET(...)	.set = { __VA_ARGS__ }
#define WANT(...)	.want = { __VA_ARGS__ }
#define RD(sz, la, d)	{ 0, (sz), (la), (d) }
#define WR(sz, la, d)	{ 1, (sz), (la), (d) }
#define ACC(...)	.acc = { __VA_ARGS__ }
#define RIP_OUT(v)	.has_rip = 1, .rip_out = (v)
#define RIP_SAME	RIP_OUT(0x1000)
#define XMM(r, lo, hi)	.xmm_check = 1, .xmm_reg = (r), .xmm_lo = (lo), .xmm_hi = (hi)
#define RAM(la, sz, v)	.ram_la = (la), .ram_size = (sz), .ram_val = (v)
#define UNH		.dec = EMU_UNHANDLED
#define EXC(v)		.dec = EMU_EXCEPTION, .vec = (v)

/* xmm1 as env_reset() leaves it, and xmm15. */
#define XMM1_LO		0x1716151413121110ULL
#define XMM1_HI		0x1f1e1d1c1b1a1918ULL
#define XMM15_LO	0xf7f6f5f4f3f2f1f0ULL
#define XMM15_HI	0xfffefdfcfbfaf9f8ULL

static const struct tc cases[] = {
	/* ---- MOV stores, 64-bit ---- */
	{ "mov [rax],ecx", 64, C("\x89\x08"), SET(R(RAX, 0x5000)), .len = 2,
	  ACC(WR(4, 0x5000, 0x14131211)) },
	{ "mov [rax],rcx", 64, C("\x48\x89\x08"), SET(R(RAX, 0x5000)), .len = 3,
	  ACC(WR(8, 0x5000, RCX0)) },
	{ "mov [rax],cx", 64, C("\x66\x89\x08"), SET(R(RAX, 0x5000)), .len = 3,
	  ACC(WR(2, 0x5000, 0x1211)) },
	{ "mov [rax],cl", 64, C("\x88\x08"), SET(R(RAX, 0x5000)),
	  ACC(WR(1, 0x5000, 0x11)) },
	{ "mov [rax],ch (no REX)", 64, C("\x88\x28"), SET(R(RAX, 0x5000)),
	  ACC(WR(1, 0x5000, 0x12)) },
	{ "mov [rax],bpl (REX 40)", 64, C("\x40\x88\x28"), SET(R(RAX, 0x5000)),
	  ACC(WR(1, 0x5000, 0x51)) },
	{ "mov [rax],r8d (REX.R)", 64, C("\x44\x89\x00"), SET(R(RAX, 0x5000)),
	  ACC(WR(4, 0x5000, 0x84838281)) },
	{ "mov [r8],eax (REX.B)", 64, C("\x41\x89\x00"), SET(R(R8, 0x6000)),
	  ACC(WR(4, 0x6000, 0x04030201)) },
	{ "mov [r9],r15 (REX.WRB)", 64, C("\x4d\x89\x39"), SET(R(R9, 0x6000)),
	  ACC(WR(8, 0x6000, R15_0)) },
	{ "REX before 66 is ignored", 64, C("\x48\x66\x89\x08"),
	  SET(R(RAX, 0x5000)), ACC(WR(2, 0x5000, 0x1211)) },
	{ "last of two REX counts", 64, C("\x41\x48\x89\x08"),
	  SET(R(RAX, 0x5000)), ACC(WR(8, 0x5000, RCX0)) },

	/* ---- MOV loads, 64-bit: partial registers ---- */
	{ "mov ecx,[rax] zero-extends", 64, C("\x8b\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0xdeadbeef)), WANT(R(RCX, 0xdeadbeef)) },
	{ "mov cx,[rax] keeps 63:16", 64, C("\x66\x8b\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(2, 0x5000, 0xbeef)), WANT(R(RCX, 0x181716151413beefULL)) },
	{ "mov cl,[rax]", 64, C("\x8a\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0xaa)), WANT(R(RCX, 0x18171615141312aaULL)) },
	{ "mov ch,[rax]", 64, C("\x8a\x28"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0xaa)), WANT(R(RCX, 0x181716151413aa11ULL)) },
	{ "mov bpl,[rax]", 64, C("\x40\x8a\x28"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0xaa)), WANT(R(RBP, 0x58575655545352aaULL)) },
	{ "mov rcx,[rax]", 64, C("\x48\x8b\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 0x1122334455667788ULL)),
	  WANT(R(RCX, 0x1122334455667788ULL)) },
	{ "mov r9,[rax]", 64, C("\x4c\x8b\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 0x99)), WANT(R(R9, 0x99)) },
	{ "mov r9b,[rax]", 64, C("\x44\x8a\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x5a)), WANT(R(R9, 0x989796959493925aULL)) },
	{ "mov al,[rax]", 64, C("\x8a\x00"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x77)), WANT(R(RAX, 0x5077)) },
	{ "mov ah,[rax]", 64, C("\x8a\x20"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x77)), WANT(R(RAX, 0x7700)) },

	/* ---- addressing, 64-bit ---- */
	{ "[rsp] (SIB)", 64, C("\x8b\x04\x24"), SET(R(RSP, 0x7000)), .len = 3,
	  ACC(RD(4, 0x7000, 1)), WANT(R(RAX, 1)) },
	{ "[r12] (SIB, REX.B)", 64, C("\x41\x8b\x04\x24"), SET(R(R12, 0x7100)),
	  .len = 4, ACC(RD(4, 0x7100, 1)), WANT(R(RAX, 1)) },
	{ "[rbp+8]", 64, C("\x8b\x45\x08"), SET(R(RBP, 0x7200)), .len = 3,
	  ACC(RD(4, 0x7208, 1)), WANT(R(RAX, 1)) },
	{ "[r13+0] (disp8)", 64, C("\x41\x8b\x45\x00"), SET(R(R13, 0x7300)),
	  .len = 4, ACC(RD(4, 0x7300, 1)), WANT(R(RAX, 1)) },
	{ "[disp32] (SIB no base, no index)", 64,
	  C("\x8b\x04\x25\x00\x80\x00\x00"), .len = 7,
	  ACC(RD(4, 0x8000, 1)), WANT(R(RAX, 1)) },
	{ "[rip+0x10]", 64, C("\x8b\x05\x10\x00\x00\x00"), .len = 6,
	  ACC(RD(4, 0x1016, 1)), WANT(R(RAX, 1)) },
	{ "[rip-0x10]", 64, C("\x8b\x05\xf0\xff\xff\xff"),
	  ACC(RD(4, 0xff6, 1)), WANT(R(RAX, 1)) },
	{ "[rip+x] with imm: next-insn base", 64,
	  C("\xc7\x05\x00\x01\x00\x00\x78\x56\x34\x12"), .len = 10,
	  ACC(WR(4, 0x110a, 0x12345678)) },
	{ "[rbx+rcx*4+0x10]", 64, C("\x8b\x44\x8b\x10"),
	  SET(R(RBX, 0x9000), R(RCX, 0x10)), .len = 4,
	  ACC(RD(4, 0x9050, 1)), WANT(R(RAX, 1)) },
	{ "[rax+r12*8] (REX.X)", 64, C("\x42\x8b\x04\xe0"),
	  SET(R(RAX, 0x1000), R(R12, 2)),
	  ACC(RD(4, 0x1010, 7)), WANT(R(RAX, 7)) },
	{ "[riz*2+0x100] (no index, no base)", 64,
	  C("\x8b\x04\x65\x00\x01\x00\x00"), .len = 7,
	  ACC(RD(4, 0x100, 7)), WANT(R(RAX, 7)) },
	{ "[r13+r12+8]", 64, C("\x43\x8b\x44\x25\x08"),
	  SET(R(R13, 0x3000), R(R12, 0x20)),
	  ACC(RD(4, 0x3028, 7)), WANT(R(RAX, 7)) },
	{ "[r13*1+0x1000] (mod 0 base 5: no base)", 64,
	  C("\x42\x8b\x04\x2d\x00\x10\x00\x00"), SET(R(R13, 0x3000)),
	  .len = 8, ACC(RD(4, 0x4000, 7)), WANT(R(RAX, 7)) },
	{ "[r12+rbp]", 64, C("\x41\x8b\x04\x2c"),
	  SET(R(R12, 0x100), R(RBP, 0x200)),
	  ACC(RD(4, 0x300, 7)), WANT(R(RAX, 7)) },
	{ "[rbp+rax*2+disp32]", 64, C("\x8b\x8c\x45\x00\x00\x01\x00"),
	  SET(R(RBP, 0x100), R(RAX, 0x10)), .len = 7,
	  ACC(RD(4, 0x10120, 7)), WANT(R(RCX, 7)) },
	{ "67: [eax]", 64, C("\x67\x8b\x00"),
	  SET(R(RAX, 0xffffffff00005000ULL)),
	  ACC(RD(4, 0x5000, 7)), WANT(R(RAX, 7)) },
	{ "67: [esp-4] wraps at 4G", 64, C("\x67\x8b\x44\x24\xfc"),
	  SET(R(RSP, 0x100000002ULL)),
	  ACC(RD(4, 0xfffffffeULL, 7)), WANT(R(RAX, 7)) },
	{ "67: [eip+0]", 64, C("\x67\x8b\x05\x00\x00\x00\x00"),
	  .rip = 0x100001000ULL, RIP_OUT(0x100001007ULL),
	  ACC(RD(4, 0x1007, 7)), WANT(R(RAX, 7)) },
	{ "fs:[rax]", 64, C("\x64\x8b\x00"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, FS64 + 0x5000, 7)), WANT(R(RAX, 7)) },
	{ "gs:[0x28]", 64, C("\x65\x48\x8b\x04\x25\x28\x00\x00\x00"),
	  .len = 9, ACC(RD(8, GS64 + 0x28, 7)), WANT(R(RAX, 7)) },
	{ "cs:[rax]: base ignored", 64, C("\x2e\x8b\x00"),
	  SET(R(RAX, 0x5000)), ACC(RD(4, 0x5000, 7)), WANT(R(RAX, 7)) },
	{ "fs gs: last override wins", 64, C("\x64\x65\x8b\x00"),
	  SET(R(RAX, 0x5000)), ACC(RD(4, GS64 + 0x5000, 7)),
	  WANT(R(RAX, 7)) },

	/* ---- moffs ---- */
	{ "mov eax,[moffs64]", 64,
	  C("\xa1\x00\x10\x00\x00\x00\x00\x00\x00"), .len = 9,
	  ACC(RD(4, 0x1000, 0x11223344)), WANT(R(RAX, 0x11223344)) },
	{ "mov [moffs64],rax", 64,
	  C("\x48\xa3\x08\x07\x06\x05\x04\x03\x02\x01"), .len = 10,
	  ACC(WR(8, 0x0102030405060708ULL, RAX0)) },
	{ "mov al,[moffs64]", 64,
	  C("\xa0\x00\x10\x00\x00\x00\x00\x00\x00"),
	  ACC(RD(1, 0x1000, 0xee)), WANT(R(RAX, 0x08070605040302eeULL)) },
	{ "mov [moffs64],al", 64,
	  C("\xa2\x00\x10\x00\x00\x00\x00\x00\x00"),
	  ACC(WR(1, 0x1000, 0x01)) },
	{ "67: mov eax,[moffs32]", 64, C("\x67\xa1\x00\x20\x00\x00"),
	  .len = 6, ACC(RD(4, 0x2000, 5)), WANT(R(RAX, 5)) },
	{ "fs: mov eax,[moffs64]", 64,
	  C("\x64\xa1\x10\x00\x00\x00\x00\x00\x00\x00"), .len = 10,
	  ACC(RD(4, FS64 + 0x10, 5)), WANT(R(RAX, 5)) },
	{ "mov eax,[moffs32] (32-bit)", 32, C("\xa1\x00\x20\x00\x00"),
	  .len = 5, ACC(RD(4, DS32 + 0x2000, 5)), WANT(R(RAX, 5)) },
	{ "66: mov [moffs32],ax (32-bit)", 32, C("\x66\xa3\x00\x20\x00\x00"),
	  .len = 6, ACC(WR(2, DS32 + 0x2000, 0x0201)) },
	{ "mov ax,[moffs16] (16-bit)", 16, C("\xa1\x34\x12"), .len = 3,
	  ACC(RD(2, DS32 + 0x1234, 0xabcd)),
	  WANT(R(RAX, 0x080706050403abcdULL)) },
	{ "67: mov al,[moffs32] (16-bit)", 16, C("\x67\xa0\x00\x00\x01\x00"),
	  .len = 6, ACC(RD(1, DS32 + 0x10000, 0xcd)),
	  WANT(R(RAX, 0x08070605040302cdULL)) },

	/* ---- MOV imm ---- */
	{ "mov dword [rax],imm32", 64, C("\xc7\x00\x78\x56\x34\x12"),
	  SET(R(RAX, 0x5000)), .len = 6, ACC(WR(4, 0x5000, 0x12345678)) },
	{ "mov qword [rax],-1 (imm32 sign-extended)", 64,
	  C("\x48\xc7\x00\xff\xff\xff\xff"), SET(R(RAX, 0x5000)), .len = 7,
	  ACC(WR(8, 0x5000, ~0ULL)) },
	{ "mov qword [rax],0x7fffffff", 64,
	  C("\x48\xc7\x00\xff\xff\xff\x7f"), SET(R(RAX, 0x5000)),
	  ACC(WR(8, 0x5000, 0x7fffffff)) },
	{ "mov word [rax],imm16", 64, C("\x66\xc7\x00\x34\x12"),
	  SET(R(RAX, 0x5000)), .len = 5, ACC(WR(2, 0x5000, 0x1234)) },
	{ "mov byte [rax],imm8", 64, C("\xc6\x00\xab"), SET(R(RAX, 0x5000)),
	  .len = 3, ACC(WR(1, 0x5000, 0xab)) },
	{ "mov dword [rax+disp32],imm32", 64,
	  C("\xc7\x80\x00\x01\x00\x00\x01\x00\x00\x00"), SET(R(RAX, 0x5000)),
	  .len = 10, ACC(WR(4, 0x5100, 1)) },
	{ "mov byte [rax-1],imm8", 64, C("\xc6\x40\xff\x5a"),
	  SET(R(RAX, 0x5000)), .len = 4, ACC(WR(1, 0x4fff, 0x5a)) },
	{ "mov word [bx],imm16 (16-bit)", 16, C("\xc7\x07\x34\x12"),
	  SET(R(RBX, 0x100)), .len = 4, ACC(WR(2, DS32 + 0x100, 0x1234)) },
	{ "C7 /1 unhandled", 64, C("\xc7\x08\x00\x00\x00\x00"), UNH },
	{ "C6 F8 (XABORT) unhandled", 64, C("\xc6\xf8\x00"), UNH },

	/* ---- MOVZX / MOVSX / MOVSXD ---- */
	{ "movzx eax,byte [rax]", 64, C("\x0f\xb6\x00"), SET(R(RAX, 0x5000)),
	  .len = 3, ACC(RD(1, 0x5000, 0x80)), WANT(R(RAX, 0x80)) },
	{ "movsx eax,byte [rax]", 64, C("\x0f\xbe\x00"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x80)), WANT(R(RAX, 0xffffff80)) },
	{ "movsx rax,byte [rax]", 64, C("\x48\x0f\xbe\x00"),
	  SET(R(RAX, 0x5000)), ACC(RD(1, 0x5000, 0x80)),
	  WANT(R(RAX, 0xffffffffffffff80ULL)) },
	{ "movsx ax,byte [rcx]", 64, C("\x66\x0f\xbe\x01"),
	  SET(R(RCX, 0x5000)), ACC(RD(1, 0x5000, 0x80)),
	  WANT(R(RAX, 0x080706050403ff80ULL)) },
	{ "movzx ax,byte [rcx]", 64, C("\x66\x0f\xb6\x01"),
	  SET(R(RCX, 0x5000)), ACC(RD(1, 0x5000, 0x80)),
	  WANT(R(RAX, 0x0807060504030080ULL)) },
	{ "movzx ecx,word [rax]", 64, C("\x0f\xb7\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(2, 0x5000, 0x8001)), WANT(R(RCX, 0x8001)) },
	{ "movsx rcx,word [rax]", 64, C("\x48\x0f\xbf\x08"),
	  SET(R(RAX, 0x5000)), ACC(RD(2, 0x5000, 0x8001)),
	  WANT(R(RCX, 0xffffffffffff8001ULL)) },
	{ "movsx ecx,word [rax]", 64, C("\x0f\xbf\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(2, 0x5000, 0x8001)), WANT(R(RCX, 0xffff8001ULL)) },
	{ "movsx r10,byte [rax] (REX.WR)", 64, C("\x4c\x0f\xbe\x10"),
	  SET(R(RAX, 0x5000)), ACC(RD(1, 0x5000, 0x7f)), WANT(R(R10, 0x7f)) },
	{ "movsxd rcx,dword [rax]", 64, C("\x48\x63\x08"), SET(R(RAX, 0x5000)),
	  .len = 3, ACC(RD(4, 0x5000, 0x80000000)),
	  WANT(R(RCX, 0xffffffff80000000ULL)) },
	{ "movsxd rcx,dword [rax] positive", 64, C("\x48\x63\x08"),
	  SET(R(RAX, 0x5000)), ACC(RD(4, 0x5000, 0x7fffffff)),
	  WANT(R(RCX, 0x7fffffff)) },
	{ "63 without REX.W: 32-bit load", 64, C("\x63\x08"),
	  SET(R(RAX, 0x5000)), ACC(RD(4, 0x5000, 0x80000000)),
	  WANT(R(RCX, 0x80000000)) },
	{ "63 in 32-bit mode (ARPL) unhandled", 32, C("\x63\x08"), UNH },
	{ "movzx eax,byte [bx] (16-bit, 66)", 16, C("\x66\x0f\xb6\x07"),
	  SET(R(RBX, 0x20)), ACC(RD(1, DS32 + 0x20, 0xff)),
	  WANT(R(RAX, 0xff)) },

	/* ---- ALU: results and flags ---- */
	{ "add [rax],ecx: CF AF", 64, C("\x01\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0xffffffff), WR(4, 0x5000, 0x14131210)),
	  .rflags_out = FL(CF | AF) },
	{ "add byte [rax],1: 7f+1 OF SF AF", 64, C("\x80\x00\x01"),
	  SET(R(RAX, 0x5000)), .len = 3,
	  ACC(RD(1, 0x5000, 0x7f), WR(1, 0x5000, 0x80)),
	  .rflags_out = FL(OF | SF | AF) },
	{ "add byte [rax],1: ff+1 CF ZF PF AF", 64, C("\x80\x00\x01"),
	  SET(R(RAX, 0x5000)), ACC(RD(1, 0x5000, 0xff), WR(1, 0x5000, 0)),
	  .rflags_out = FL(CF | ZF | PF | AF) },
	{ "add word [rax],cx: 8000+8000", 64, C("\x66\x01\x08"),
	  SET(R(RAX, 0x5000), R(RCX, 0x8000)),
	  ACC(RD(2, 0x5000, 0x8000), WR(2, 0x5000, 0)),
	  .rflags_out = FL(CF | OF | ZF | PF) },
	{ "add qword [rax],-1 (83 imm8)", 64, C("\x48\x83\x00\xff"),
	  SET(R(RAX, 0x5000)), .len = 4,
	  ACC(RD(8, 0x5000, 1), WR(8, 0x5000, 0)),
	  .rflags_out = FL(CF | ZF | PF | AF) },
	{ "add ecx,[rax] (reg dest)", 64, C("\x03\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 1)), WANT(R(RCX, 0x14131212)),
	  .rflags_out = FL(PF) },
	{ "add ch,[rax]: CF", 64, C("\x02\x28"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0xf0)), WANT(R(RCX, 0x1817161514130211ULL)),
	  .rflags_out = FL(CF) },
	{ "add [rax],r8 (REX.WR)", 64, C("\x4c\x01\x00"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 0x7777777777777777ULL),
	      WR(8, 0x5000, 0xfffefdfcfbfaf9f8ULL)),
	  .rflags_out = FL(SF) },
	{ "adc dword [rax],0 with CF: ffffffff+0+1", 64,
	  C("\x83\x10\x00"), SET(R(RAX, 0x5000)), .rflags = FL(CF),
	  ACC(RD(4, 0x5000, 0xffffffff), WR(4, 0x5000, 0)),
	  .rflags_out = FL(CF | ZF | PF | AF) },
	{ "sbb word [rax],0 with CF: 0-0-1", 64, C("\x66\x83\x18\x00"),
	  SET(R(RAX, 0x5000)), .rflags = FL(CF),
	  ACC(RD(2, 0x5000, 0), WR(2, 0x5000, 0xffff)),
	  .rflags_out = FL(CF | SF | PF | AF) },
	{ "sub dword [rax],1: 0-1", 64, C("\x83\x28\x01"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0), WR(4, 0x5000, 0xffffffff)),
	  .rflags_out = FL(CF | SF | PF | AF) },
	{ "sub dword [rax],1: 80000000-1 OF", 64, C("\x83\x28\x01"),
	  SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0x80000000), WR(4, 0x5000, 0x7fffffff)),
	  .rflags_out = FL(OF | PF | AF) },
	{ "sub dword [rax],0x10 (81)", 64, C("\x81\x28\x10\x00\x00\x00"),
	  SET(R(RAX, 0x5000)), .len = 6,
	  ACC(RD(4, 0x5000, 0x10), WR(4, 0x5000, 0)), .rflags_out = FL(ZF | PF) },
	{ "sub word [rax],cx: equal", 64, C("\x66\x29\x08"),
	  SET(R(RAX, 0x5000)), ACC(RD(2, 0x5000, 0x1211), WR(2, 0x5000, 0)),
	  .rflags_out = FL(ZF | PF) },
	{ "sub ecx,[rax] (2B)", 64, C("\x2b\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0x14131212)), WANT(R(RCX, 0xffffffff)),
	  .rflags_out = FL(CF | SF | PF | AF) },
	{ "cmp [rax],ecx: equal, no write", 64, C("\x39\x08"),
	  SET(R(RAX, 0x5000)), ACC(RD(4, 0x5000, 0x14131211)),
	  .rflags_out = FL(ZF | PF) },
	{ "cmp rcx,[rax]: 0 - 8000000000000000", 64, C("\x48\x3b\x08"),
	  SET(R(RAX, 0x5000), R(RCX, 0)),
	  ACC(RD(8, 0x5000, 0x8000000000000000ULL)),
	  .rflags_out = FL(CF | OF | SF | PF) },
	{ "cmp byte [rax],0x80: 7f", 64, C("\x80\x38\x80"),
	  SET(R(RAX, 0x5000)), ACC(RD(1, 0x5000, 0x7f)),
	  .rflags_out = FL(CF | OF | SF | PF) },
	{ "cmp [rax],cl (38)", 64, C("\x38\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x12)), .rflags_out = FL(0) },
	{ "cmp dword [rax],imm8 -1 (83 /7)", 64, C("\x83\x38\xff"),
	  SET(R(RAX, 0x5000)), ACC(RD(4, 0x5000, 0xffffffff)),
	  .rflags_out = FL(ZF | PF) },
	{ "and [rax],ecx: clears CF OF", 64, C("\x21\x08"),
	  SET(R(RAX, 0x5000)), .rflags = FL(CF | OF | AF | SF),
	  ACC(RD(4, 0x5000, 0xeaecedee), WR(4, 0x5000, 0)),
	  .rflags_out = FL(ZF | PF) },
	{ "and byte [rax],cl (20)", 64, C("\x20\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0xff), WR(1, 0x5000, 0x11)),
	  .rflags_out = FL(PF) },
	{ "or byte [rax],0x80", 64, C("\x80\x08\x80"), SET(R(RAX, 0x5000)),
	  .rflags = FL(CF | ZF),
	  ACC(RD(1, 0x5000, 0), WR(1, 0x5000, 0x80)), .rflags_out = FL(SF) },
	{ "or [rax],cl (08)", 64, C("\x08\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x03), WR(1, 0x5000, 0x13)), .rflags_out = FL(0) },
	{ "xor byte [rax],cl: ff", 64, C("\x30\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0xee), WR(1, 0x5000, 0xff)),
	  .rflags_out = FL(SF | PF) },
	{ "xor eax,[rax] (33)", 64, C("\x33\x00"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0x5000)), WANT(R(RAX, 0)),
	  .rflags_out = FL(ZF | PF) },
	{ "add keeps DF IF", 64, C("\x01\x08"), SET(R(RAX, 0x5000)),
	  .rflags = FL(DF | 0x200 | CF),
	  ACC(RD(4, 0x5000, 0), WR(4, 0x5000, 0x14131211)),
	  .rflags_out = FL(DF | 0x200 | PF) },
	{ "test dword [rax],0x80000000 (F7)", 64,
	  C("\xf7\x00\x00\x00\x00\x80"), SET(R(RAX, 0x5000)), .len = 6,
	  .rflags = FL(CF | OF),
	  ACC(RD(4, 0x5000, 0x80000000)), .rflags_out = FL(SF | PF) },
	{ "test byte [rax],1 (F6): ZF", 64, C("\xf6\x00\x01"),
	  SET(R(RAX, 0x5000)), .len = 3,
	  ACC(RD(1, 0x5000, 0xfe)), .rflags_out = FL(ZF | PF) },
	{ "test qword [rax],imm32 sign-extended", 64,
	  C("\x48\xf7\x00\x00\x00\x00\x80"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 0x8000000000000000ULL)),
	  .rflags_out = FL(SF | PF) },
	{ "test [rax],ecx (85)", 64, C("\x85\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0x00000001)), .rflags_out = FL(0) },
	{ "test [rax],ch (84)", 64, C("\x84\x28"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x02)), .rflags_out = FL(0) },
	{ "F7 /2 (NOT) unhandled", 64, C("\xf7\x10"), UNH },
	{ "add word [bx],0x1234 (16-bit 81)", 16, C("\x81\x07\x34\x12"),
	  SET(R(RBX, 0x10)), .len = 4,
	  ACC(RD(2, DS32 + 0x10, 0x1000), WR(2, DS32 + 0x10, 0x2234)),
	  .rflags_out = FL(0) },
	{ "sub word [bx],1 (16-bit 83)", 16, C("\x83\x2f\x01"),
	  SET(R(RBX, 0x10)),
	  ACC(RD(2, DS32 + 0x10, 0x8000), WR(2, DS32 + 0x10, 0x7fff)),
	  .rflags_out = FL(OF | PF | AF) },
	{ "82 /0 add (32-bit)", 32, C("\x82\x00\x01"), SET(R(RAX, 0x100)),
	  ACC(RD(1, DS32 + 0x100, 1), WR(1, DS32 + 0x100, 2)),
	  .rflags_out = FL(0) },
	{ "82 in 64-bit unhandled", 64, C("\x82\x00\x01"), UNH },

	/* ---- LOCK ---- */
	{ "lock add [rax],ecx", 64, C("\xf0\x01\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 1), WR(4, 0x5000, 0x14131212)),
	  .rflags_out = FL(PF) },
	{ "lock add byte [rax],imm", 64, C("\xf0\x80\x00\x01"),
	  SET(R(RAX, 0x5000)), ACC(RD(1, 0x5000, 1), WR(1, 0x5000, 2)),
	  .rflags_out = FL(0) },
	{ "lock xchg", 64, C("\xf0\x87\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 5), WR(4, 0x5000, 0x14131211)),
	  WANT(R(RCX, 5)) },
	{ "lock add ecx,[rax]: #UD", 64, C("\xf0\x03\x08"), EXC(EMU_VEC_UD) },
	{ "lock cmp [rax],ecx: #UD", 64, C("\xf0\x39\x08"), EXC(EMU_VEC_UD) },
	{ "lock cmp byte [rax],imm: #UD", 64, C("\xf0\x80\x38\x01"),
	  EXC(EMU_VEC_UD) },
	{ "lock mov: #UD", 64, C("\xf0\x89\x08"), EXC(EMU_VEC_UD) },
	{ "lock test: #UD", 64, C("\xf0\x85\x08"), EXC(EMU_VEC_UD) },
	{ "lock movups: #UD", 64, C("\xf0\x0f\x10\x00"), EXC(EMU_VEC_UD) },

	/* ---- XCHG ---- */
	{ "xchg [rax],ecx", 64, C("\x87\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(4, 0x5000, 0xcafebabe), WR(4, 0x5000, 0x14131211)),
	  WANT(R(RCX, 0xcafebabe)) },
	{ "xchg [rax],ch", 64, C("\x86\x28"), SET(R(RAX, 0x5000)),
	  ACC(RD(1, 0x5000, 0x99), WR(1, 0x5000, 0x12)),
	  WANT(R(RCX, 0x1817161514139911ULL)) },
	{ "xchg [rax],rcx", 64, C("\x48\x87\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 0x99), WR(8, 0x5000, RCX0)), WANT(R(RCX, 0x99)) },
	{ "xchg [rax],cx", 64, C("\x66\x87\x08"), SET(R(RAX, 0x5000)),
	  ACC(RD(2, 0x5000, 0x99), WR(2, 0x5000, 0x1211)),
	  WANT(R(RCX, 0x1817161514130099ULL)) },

	/* ---- STOS ---- */
	{ "stosb", 64, C("\xaa"), SET(R(RDI, 0x5000)), .len = 1,
	  ACC(WR(1, 0x5000, 0x01)), WANT(R(RDI, 0x5001)) },
	{ "stosd", 64, C("\xab"), SET(R(RDI, 0x5000)),
	  ACC(WR(4, 0x5000, 0x04030201)), WANT(R(RDI, 0x5004)) },
	{ "stosq", 64, C("\x48\xab"), SET(R(RDI, 0x5000)),
	  ACC(WR(8, 0x5000, RAX0)), WANT(R(RDI, 0x5008)) },
	{ "stosw", 64, C("\x66\xab"), SET(R(RDI, 0x5000)),
	  ACC(WR(2, 0x5000, 0x0201)), WANT(R(RDI, 0x5002)) },
	{ "stosd DF=1", 64, C("\xab"), SET(R(RDI, 0x5000)), .rflags = FL(DF),
	  ACC(WR(4, 0x5000, 0x04030201)), WANT(R(RDI, 0x4ffc)) },
	{ "rep stosd rcx=3: one element, RIP stays", 64, C("\xf3\xab"),
	  SET(R(RDI, 0x5000), R(RCX, 3)), RIP_SAME,
	  ACC(WR(4, 0x5000, 0x04030201)), WANT(R(RDI, 0x5004), R(RCX, 2)) },
	{ "rep stosd rcx=1: last element", 64, C("\xf3\xab"),
	  SET(R(RDI, 0x5000), R(RCX, 1)), RIP_OUT(0x1002),
	  ACC(WR(4, 0x5000, 0x04030201)), WANT(R(RDI, 0x5004), R(RCX, 0)) },
	{ "rep stosd rcx=0: nothing", 64, C("\xf3\xab"),
	  SET(R(RDI, 0x5000), R(RCX, 0)), RIP_OUT(0x1002) },
	{ "rep stosq DF=1", 64, C("\xf3\x48\xab"),
	  SET(R(RDI, 0x5000), R(RCX, 5)), .rflags = FL(DF), RIP_SAME,
	  ACC(WR(8, 0x5000, RAX0)), WANT(R(RDI, 0x4ff8), R(RCX, 4)) },
	{ "rep stosd a32: ecx count, edi wraps", 64, C("\xf3\x67\xab"),
	  SET(R(RDI, 0x00000001fffffffcULL), R(RCX, 0xffffffff00000001ULL)),
	  RIP_OUT(0x1003), ACC(WR(4, 0xfffffffcULL, 0x04030201)),
	  WANT(R(RDI, 0), R(RCX, 0)) },
	{ "rep stosd a32: upper rcx ignored for count 0", 64, C("\xf3\x67\xab"),
	  SET(R(RCX, 0xffffffff00000000ULL)), RIP_OUT(0x1003) },
	{ "repne stosb acts as rep (32-bit)", 32, C("\xf2\xaa"),
	  SET(R(RDI, 0x100), R(RCX, 2)), RIP_SAME,
	  ACC(WR(1, ES32 + 0x100, 0x01)), WANT(R(RDI, 0x101), R(RCX, 1)) },
	{ "fs stosd uses ES (32-bit)", 32, C("\x64\xab"), SET(R(RDI, 0x100)),
	  ACC(WR(4, ES32 + 0x100, 0x04030201)), WANT(R(RDI, 0x104)) },
	{ "stosw di wraps, upper bits kept (16-bit)", 16, C("\xab"),
	  SET(R(RDI, 0x1fffe)), ACC(WR(2, ES32 + 0xfffe, 0x0201)),
	  WANT(R(RDI, 0x10000)) },
	{ "rep stosw cx=1 (16-bit)", 16, C("\xf3\xab"),
	  SET(R(RDI, 0x10), R(RCX, 0xabcd0001)), RIP_OUT(0x1002),
	  ACC(WR(2, ES32 + 0x10, 0x0201)),
	  WANT(R(RDI, 0x12), R(RCX, 0xabcd0000)) },

	/* ---- MOVS (RAM at 0x80000) ---- */
	{ "movsd from MMIO to RAM", 64, C("\xa5"), .movs = EMU_MOVS_SRC,
	  SET(R(RSI, 0x5000), R(RDI, RAM_LA + 0x10)),
	  ACC(RD(4, 0x5000, 0xa1b2c3d4)),
	  WANT(R(RSI, 0x5004), R(RDI, RAM_LA + 0x14)),
	  RAM(RAM_LA + 0x10, 4, 0xa1b2c3d4) },
	{ "movsb from RAM to MMIO", 64, C("\xa4"), .movs = EMU_MOVS_DST,
	  SET(R(RSI, RAM_LA + 0x20), R(RDI, 0x6000)),
	  ACC(WR(1, 0x6000, 0x60)),
	  WANT(R(RSI, RAM_LA + 0x21), R(RDI, 0x6001)) },
	{ "movsq from RAM to MMIO", 64, C("\x48\xa5"), .movs = EMU_MOVS_DST,
	  SET(R(RSI, RAM_LA + 8), R(RDI, 0x6000)),
	  ACC(WR(8, 0x6000, 0x4f4e4d4c4b4a4948ULL)),
	  WANT(R(RSI, RAM_LA + 0x10), R(RDI, 0x6008)) },
	{ "movsw DF=1", 64, C("\x66\xa5"), .movs = EMU_MOVS_SRC,
	  .rflags = FL(DF), SET(R(RSI, 0x5000), R(RDI, RAM_LA + 0x10)),
	  ACC(RD(2, 0x5000, 0xbeef)),
	  WANT(R(RSI, 0x4ffe), R(RDI, RAM_LA + 0xe)),
	  RAM(RAM_LA + 0x10, 2, 0xbeef) },
	{ "rep movsd rcx=2", 64, C("\xf3\xa5"), .movs = EMU_MOVS_DST,
	  SET(R(RSI, RAM_LA), R(RDI, 0x6000), R(RCX, 2)), RIP_SAME,
	  ACC(WR(4, 0x6000, 0x43424140)),
	  WANT(R(RSI, RAM_LA + 4), R(RDI, 0x6004), R(RCX, 1)) },
	{ "rep movsb rcx=0", 64, C("\xf3\xa4"), .movs = EMU_MOVS_DST,
	  SET(R(RCX, 0)), RIP_OUT(0x1002) },
	{ "fs movsd: source segment override", 64, C("\x64\xa5"),
	  .movs = EMU_MOVS_SRC, SET(R(RSI, 0x10), R(RDI, RAM_LA)),
	  ACC(RD(4, FS64 + 0x10, 0x12345678)),
	  WANT(R(RSI, 0x14), R(RDI, RAM_LA + 4)),
	  RAM(RAM_LA, 4, 0x12345678) },
	{ "movsd RAM source faults: #PF", 64, C("\xa5"), .movs = EMU_MOVS_DST,
	  SET(R(RSI, 0x9000), R(RDI, 0x6000)), .end = EMU_EXCEPTION,
	  .vec = EMU_VEC_PF, .exc_addr = 0x9000 },
	{ "movsd RAM destination faults: #PF", 64, C("\xa5"),
	  .movs = EMU_MOVS_SRC, SET(R(RSI, 0x5000), R(RDI, 0x9000)),
	  ACC(RD(4, 0x5000, 1)), .end = EMU_EXCEPTION, .vec = EMU_VEC_PF,
	  .exc_addr = 0x9000 },
	{ "movsd without a side: unhandled", 64, C("\xa5"),
	  .end = EMU_UNHANDLED },
	{ "movsd ds:esi -> es:edi (32-bit)", 32, C("\xa5"),
	  .movs = EMU_MOVS_SRC,
	  SET(R(RSI, 0x100), R(RDI, RAM_LA - ES32 + 0x40)),
	  ACC(RD(4, DS32 + 0x100, 0x11223344)),
	  WANT(R(RSI, 0x104), R(RDI, RAM_LA - ES32 + 0x44)),
	  RAM(RAM_LA + 0x40, 4, 0x11223344) },
	{ "fs movsw fs:si -> es:di (16-bit)", 16, C("\x64\xa5"),
	  .movs = EMU_MOVS_DST, SET(R(RSI, 0x30), R(RDI, 0x200)),
	  ACC(WR(2, ES32 + 0x200, 0x7170)),
	  WANT(R(RSI, 0x32), R(RDI, 0x202)) },

	{ "movsw both MMIO: read, then write", 64, C("\x66\xa5"),
	  .movs = EMU_MOVS_BOTH, SET(R(RSI, 0x5000), R(RDI, 0x6000)),
	  ACC(RD(2, 0x5000, 0xbeef), WR(2, 0x6000, 0xbeef)),
	  WANT(R(RSI, 0x5002), R(RDI, 0x6002)) },
	{ "rep movsb both MMIO rcx=2: one element", 64, C("\xf3\xa4"),
	  .movs = EMU_MOVS_BOTH, SET(R(RSI, 0x5000), R(RDI, 0x6000), R(RCX, 2)),
	  RIP_SAME, ACC(RD(1, 0x5000, 0x99), WR(1, 0x6000, 0x99)),
	  WANT(R(RSI, 0x5001), R(RDI, 0x6001), R(RCX, 1)) },

	/* ---- LODS ---- */
	{ "lodsb", 64, C("\xac"), SET(R(RSI, 0x5000)), .len = 1,
	  ACC(RD(1, 0x5000, 0x99)),
	  WANT(R(RAX, 0x0807060504030299ULL), R(RSI, 0x5001)) },
	{ "lodsw", 64, C("\x66\xad"), SET(R(RSI, 0x5000)),
	  ACC(RD(2, 0x5000, 0xbeef)),
	  WANT(R(RAX, 0x080706050403beefULL), R(RSI, 0x5002)) },
	{ "lodsd zero-extends rax", 64, C("\xad"), SET(R(RSI, 0x5000)),
	  ACC(RD(4, 0x5000, 0xdeadbeef)),
	  WANT(R(RAX, 0xdeadbeef), R(RSI, 0x5004)) },
	{ "lodsq DF=1", 64, C("\x48\xad"), SET(R(RSI, 0x5000)),
	  .rflags = FL(DF), ACC(RD(8, 0x5000, 0x1122334455667788ULL)),
	  WANT(R(RAX, 0x1122334455667788ULL), R(RSI, 0x4ff8)) },
	{ "gs lodsb: source segment override", 64, C("\x65\xac"),
	  SET(R(RSI, 0x10)), ACC(RD(1, GS64 + 0x10, 0x5a)),
	  WANT(R(RAX, 0x080706050403025aULL), R(RSI, 0x11)) },
	{ "rep lodsd rcx=2: one element, RIP stays", 64, C("\xf3\xad"),
	  SET(R(RSI, 0x5000), R(RCX, 2)), RIP_SAME,
	  ACC(RD(4, 0x5000, 0x11111111)),
	  WANT(R(RAX, 0x11111111), R(RSI, 0x5004), R(RCX, 1)) },
	{ "repne lodsb acts as rep: last element", 64, C("\xf2\xac"),
	  SET(R(RSI, 0x5000), R(RCX, 1)), .rflags = FL(ZF), RIP_OUT(0x1002),
	  ACC(RD(1, 0x5000, 0x00)),
	  WANT(R(RAX, 0x0807060504030200ULL), R(RSI, 0x5001), R(RCX, 0)) },
	{ "rep lodsw rcx=0: nothing", 64, C("\xf3\x66\xad"), SET(R(RCX, 0)),
	  RIP_OUT(0x1003) },
	{ "lock lodsb: #UD", 64, C("\xf0\xac"), EXC(EMU_VEC_UD) },
	{ "lodsd ds:esi (32-bit)", 32, C("\xad"), SET(R(RSI, 0x100)),
	  ACC(RD(4, DS32 + 0x100, 0x11223344)),
	  WANT(R(RAX, 0x11223344), R(RSI, 0x104)) },
	{ "es lodsb: si wraps, upper bits kept (16-bit)", 16, C("\x26\xac"),
	  SET(R(RSI, 0x1ffff)), ACC(RD(1, ES32 + 0xffff, 0x77)),
	  WANT(R(RAX, 0x0807060504030277ULL), R(RSI, 0x10000)) },
	{ "rep lodsw cx=2 (16-bit)", 16, C("\xf3\xad"),
	  SET(R(RSI, 0x10), R(RCX, 0xabcd0002)), RIP_SAME,
	  ACC(RD(2, DS32 + 0x10, 0x1234)),
	  WANT(R(RAX, 0x0807060504031234ULL), R(RSI, 0x12),
	       R(RCX, 0xabcd0001)) },

	/* ---- SCAS: flags of rAX - ES:[rDI] ---- */
	{ "scasb equal: ZF", 64, C("\xae"), SET(R(RDI, 0x5000)), .len = 1,
	  ACC(RD(1, 0x5000, 0x01)), WANT(R(RDI, 0x5001)),
	  .rflags_out = FL(ZF | PF) },
	{ "scasd borrow: CF SF AF PF", 64, C("\xaf"), SET(R(RDI, 0x5000)),
	  .rflags = FL(ZF | OF), ACC(RD(4, 0x5000, 0x04030202)),
	  WANT(R(RDI, 0x5004)), .rflags_out = FL(CF | PF | AF | SF) },
	{ "scasq DF=1", 64, C("\x48\xaf"), SET(R(RDI, 0x5000)),
	  .rflags = FL(DF), ACC(RD(8, 0x5000, RAX0)), WANT(R(RDI, 0x4ff8)),
	  .rflags_out = FL(DF | ZF | PF) },
	{ "scasw: overflow", 64, C("\x66\xaf"),
	  SET(R(RDI, 0x5000), R(RAX, 0x8000)), ACC(RD(2, 0x5000, 1)),
	  WANT(R(RDI, 0x5002)), .rflags_out = FL(OF | PF | AF) },
	{ "repe scasb equal: next element", 64, C("\xf3\xae"),
	  SET(R(RDI, 0x5000), R(RCX, 3)), RIP_SAME, ACC(RD(1, 0x5000, 0x01)),
	  WANT(R(RDI, 0x5001), R(RCX, 2)), .rflags_out = FL(ZF | PF) },
	{ "repe scasb differs: ends", 64, C("\xf3\xae"),
	  SET(R(RDI, 0x5000), R(RCX, 3)), .rflags = FL(ZF | CF),
	  RIP_OUT(0x1002), ACC(RD(1, 0x5000, 0x00)),
	  WANT(R(RDI, 0x5001), R(RCX, 2)), .rflags_out = FL(0) },
	{ "repne scasb equal: ends", 64, C("\xf2\xae"),
	  SET(R(RDI, 0x5000), R(RCX, 3)), RIP_OUT(0x1002),
	  ACC(RD(1, 0x5000, 0x01)), WANT(R(RDI, 0x5001), R(RCX, 2)),
	  .rflags_out = FL(ZF | PF) },
	{ "repne scasb differs: next element", 64, C("\xf2\xae"),
	  SET(R(RDI, 0x5000), R(RCX, 3)), RIP_SAME, ACC(RD(1, 0x5000, 0x02)),
	  WANT(R(RDI, 0x5001), R(RCX, 2)),
	  .rflags_out = FL(CF | PF | AF | SF) },
	{ "repe scasb equal rcx=1: the count ends it", 64, C("\xf3\xae"),
	  SET(R(RDI, 0x5000), R(RCX, 1)), RIP_OUT(0x1002),
	  ACC(RD(1, 0x5000, 0x01)), WANT(R(RDI, 0x5001), R(RCX, 0)),
	  .rflags_out = FL(ZF | PF) },
	{ "repne scasb differs rcx=1: the count ends it", 64, C("\xf2\xae"),
	  SET(R(RDI, 0x5000), R(RCX, 1)), RIP_OUT(0x1002),
	  ACC(RD(1, 0x5000, 0x02)), WANT(R(RDI, 0x5001), R(RCX, 0)),
	  .rflags_out = FL(CF | PF | AF | SF) },
	{ "repe scasw rcx=0: nothing, flags kept", 64, C("\xf3\x66\xaf"),
	  SET(R(RCX, 0)), .rflags = FL(CF | ZF), RIP_OUT(0x1003) },
	{ "repe scasd a32: ecx count, edi wraps", 64, C("\xf3\x67\xaf"),
	  SET(R(RDI, 0x00000001fffffffcULL), R(RCX, 0xffffffff00000002ULL)),
	  RIP_SAME, ACC(RD(4, 0xfffffffcULL, 0x04030201)),
	  WANT(R(RDI, 0), R(RCX, 1)), .rflags_out = FL(ZF | PF) },
	{ "fs scasw uses ES (32-bit)", 32, C("\x64\x66\xaf"),
	  SET(R(RDI, 0x100)), ACC(RD(2, ES32 + 0x100, 0x0201)),
	  WANT(R(RDI, 0x102)), .rflags_out = FL(ZF | PF) },
	{ "repne scasb di, cx (16-bit)", 16, C("\xf2\xae"),
	  SET(R(RDI, 0x10), R(RCX, 0xabcd0002)), RIP_SAME,
	  ACC(RD(1, ES32 + 0x10, 0x33)),
	  WANT(R(RDI, 0x11), R(RCX, 0xabcd0001)),
	  .rflags_out = FL(CF | AF | SF) },

	/* ---- CMPS: flags of seg:[rSI] - ES:[rDI] (RAM at 0x80000) ---- */
	{ "cmpsb MMIO source, RAM destination", 64, C("\xa6"), .len = 1,
	  .movs = EMU_MOVS_SRC, SET(R(RSI, 0x5000), R(RDI, RAM_LA + 0x10)),
	  ACC(RD(1, 0x5000, 0x50)),
	  WANT(R(RSI, 0x5001), R(RDI, RAM_LA + 0x11)),
	  .rflags_out = FL(ZF | PF) },
	{ "cmpsd RAM source, MMIO destination", 64, C("\xa7"),
	  .movs = EMU_MOVS_DST, SET(R(RSI, RAM_LA), R(RDI, 0x6000)),
	  ACC(RD(4, 0x6000, 0x43424141)),
	  WANT(R(RSI, RAM_LA + 4), R(RDI, 0x6004)),
	  .rflags_out = FL(CF | PF | AF | SF) },
	{ "cmpsq both MMIO: source read first", 64, C("\x48\xa7"),
	  .movs = EMU_MOVS_BOTH, SET(R(RSI, 0x5000), R(RDI, 0x6000)),
	  ACC(RD(8, 0x5000, 0x8000000000000000ULL), RD(8, 0x6000, 1)),
	  WANT(R(RSI, 0x5008), R(RDI, 0x6008)),
	  .rflags_out = FL(OF | PF | AF) },
	{ "cmpsw both MMIO DF=1", 64, C("\x66\xa7"), .movs = EMU_MOVS_BOTH,
	  .rflags = FL(DF), SET(R(RSI, 0x5000), R(RDI, 0x6000)),
	  ACC(RD(2, 0x5000, 7), RD(2, 0x6000, 7)),
	  WANT(R(RSI, 0x4ffe), R(RDI, 0x5ffe)),
	  .rflags_out = FL(DF | ZF | PF) },
	{ "fs cmpsb: source override, destination ES", 64, C("\x64\xa6"),
	  .movs = EMU_MOVS_SRC, SET(R(RSI, 0x10), R(RDI, RAM_LA)),
	  .rflags = FL(ZF), ACC(RD(1, FS64 + 0x10, 0x41)),
	  WANT(R(RSI, 0x11), R(RDI, RAM_LA + 1)), .rflags_out = FL(0) },
	{ "repe cmpsb equal: next element", 64, C("\xf3\xa6"),
	  .movs = EMU_MOVS_BOTH,
	  SET(R(RSI, 0x5000), R(RDI, 0x6000), R(RCX, 5)), RIP_SAME,
	  ACC(RD(1, 0x5000, 9), RD(1, 0x6000, 9)),
	  WANT(R(RSI, 0x5001), R(RDI, 0x6001), R(RCX, 4)),
	  .rflags_out = FL(ZF | PF) },
	{ "repe cmpsb differs: ends", 64, C("\xf3\xa6"),
	  .movs = EMU_MOVS_BOTH, .rflags = FL(ZF | PF),
	  SET(R(RSI, 0x5000), R(RDI, 0x6000), R(RCX, 5)), RIP_OUT(0x1002),
	  ACC(RD(1, 0x5000, 9), RD(1, 0x6000, 8)),
	  WANT(R(RSI, 0x5001), R(RDI, 0x6001), R(RCX, 4)),
	  .rflags_out = FL(0) },
	{ "repne cmpsd equal: ends", 64, C("\xf2\xa7"), .movs = EMU_MOVS_DST,
	  SET(R(RSI, RAM_LA), R(RDI, 0x6000), R(RCX, 2)), RIP_OUT(0x1002),
	  ACC(RD(4, 0x6000, 0x43424140)),
	  WANT(R(RSI, RAM_LA + 4), R(RDI, 0x6004), R(RCX, 1)),
	  .rflags_out = FL(ZF | PF) },
	{ "repne cmpsd differs: next element", 64, C("\xf2\xa7"),
	  .movs = EMU_MOVS_DST, .rflags = FL(ZF),
	  SET(R(RSI, RAM_LA), R(RDI, 0x6000), R(RCX, 2)), RIP_SAME,
	  ACC(RD(4, 0x6000, 0)),
	  WANT(R(RSI, RAM_LA + 4), R(RDI, 0x6004), R(RCX, 1)),
	  .rflags_out = FL(0) },
	{ "repe cmpsq rcx=0: nothing", 64, C("\xf3\x48\xa7"),
	  .movs = EMU_MOVS_BOTH, SET(R(RCX, 0)), RIP_OUT(0x1003) },
	{ "cmpsd RAM source faults: #PF before any MMIO access", 64,
	  C("\xa7"), .movs = EMU_MOVS_DST, SET(R(RSI, 0x9000), R(RDI, 0x6000)),
	  .end = EMU_EXCEPTION, .vec = EMU_VEC_PF, .exc_addr = 0x9000 },
	{ "cmpsd RAM destination faults: #PF before any MMIO access", 64,
	  C("\xa7"), .movs = EMU_MOVS_SRC, SET(R(RSI, 0x5000), R(RDI, 0x9000)),
	  .end = EMU_EXCEPTION, .vec = EMU_VEC_PF, .exc_addr = 0x9000 },
	{ "cmpsb without a side: unhandled", 64, C("\xa6"),
	  .end = EMU_UNHANDLED },
	{ "lock cmpsb: #UD", 64, C("\xf0\xa6"), EXC(EMU_VEC_UD) },
	{ "repe cmpsw ds:esi, es:edi (32-bit)", 32, C("\xf3\x66\xa7"),
	  .movs = EMU_MOVS_SRC,
	  SET(R(RSI, 0x100), R(RDI, RAM_LA - ES32 + 0x20), R(RCX, 2)),
	  RIP_SAME, ACC(RD(2, DS32 + 0x100, 0x6160)),
	  WANT(R(RSI, 0x102), R(RDI, RAM_LA - ES32 + 0x22), R(RCX, 1)),
	  .rflags_out = FL(ZF | PF) },
	{ "cmpsb si, di both MMIO (16-bit)", 16, C("\xa6"),
	  .movs = EMU_MOVS_BOTH, SET(R(RSI, 0x30), R(RDI, 0x200)),
	  ACC(RD(1, DS32 + 0x30, 0x80), RD(1, ES32 + 0x200, 0x01)),
	  WANT(R(RSI, 0x31), R(RDI, 0x201)), .rflags_out = FL(OF | AF) },
	{ "ss cmpsb (a16 in 32-bit mode)", 32, C("\x36\x67\xa6"),
	  .movs = EMU_MOVS_BOTH, SET(R(RSI, 0x12340030), R(RDI, 0x5678ffff)),
	  ACC(RD(1, SS32 + 0x30, 0x10), RD(1, ES32 + 0xffff, 0x20)),
	  WANT(R(RSI, 0x12340031), R(RDI, 0x56780000)),
	  .rflags_out = FL(CF | PF | SF) },

	/* ---- SSE moves, as two 8-byte pieces ---- */
	{ "movups xmm0,[rax]", 64, C("\x0f\x10\x00"), SET(R(RAX, 0x5004)),
	  .len = 3,
	  ACC(RD(8, 0x5004, 0x1111111122222222ULL),
	      RD(8, 0x500c, 0x3333333344444444ULL)),
	  XMM(0, 0x1111111122222222ULL, 0x3333333344444444ULL) },
	{ "movups [rax],xmm1", 64, C("\x0f\x11\x08"), SET(R(RAX, 0x5004)),
	  ACC(WR(8, 0x5004, XMM1_LO), WR(8, 0x500c, XMM1_HI)) },
	{ "movupd [rax],xmm1", 64, C("\x66\x0f\x11\x08"), SET(R(RAX, 0x5004)),
	  .len = 4, ACC(WR(8, 0x5004, XMM1_LO), WR(8, 0x500c, XMM1_HI)) },
	{ "movaps xmm2,[rax]", 64, C("\x0f\x28\x10"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 1), RD(8, 0x5008, 2)), XMM(2, 1, 2) },
	{ "movaps [rax],xmm1", 64, C("\x0f\x29\x08"), SET(R(RAX, 0x5000)),
	  ACC(WR(8, 0x5000, XMM1_LO), WR(8, 0x5008, XMM1_HI)) },
	{ "movapd xmm3,[rax]", 64, C("\x66\x0f\x28\x18"), SET(R(RAX, 0x5000)),
	  ACC(RD(8, 0x5000, 5), RD(8, 0x5008, 6)), XMM(3, 5, 6) },
	{ "movaps misaligned: #GP", 64, C("\x0f\x28\x00"), SET(R(RAX, 0x5008)),
	  .end = EMU_EXCEPTION, .vec = EMU_VEC_GP },
	{ "movdqa xmm0,[rax]", 64, C("\x66\x0f\x6f\x00"), SET(R(RAX, 0x5000)),
	  .len = 4, ACC(RD(8, 0x5000, 7), RD(8, 0x5008, 8)), XMM(0, 7, 8) },
	{ "movdqa misaligned: #GP", 64, C("\x66\x0f\x6f\x00"),
	  SET(R(RAX, 0x5001)), .end = EMU_EXCEPTION, .vec = EMU_VEC_GP },
	{ "movdqu xmm0,[rax] misaligned ok", 64, C("\xf3\x0f\x6f\x00"),
	  SET(R(RAX, 0x5001)),
	  ACC(RD(8, 0x5001, 7), RD(8, 0x5009, 8)), XMM(0, 7, 8) },
	{ "movdqa [rax],xmm1", 64, C("\x66\x0f\x7f\x08"), SET(R(RAX, 0x5010)),
	  ACC(WR(8, 0x5010, XMM1_LO), WR(8, 0x5018, XMM1_HI)) },
	{ "movdqu [rax],xmm15 (REX.R)", 64, C("\xf3\x44\x0f\x7f\x38"),
	  SET(R(RAX, 0x5003)), .len = 5,
	  ACC(WR(8, 0x5003, XMM15_LO), WR(8, 0x500b, XMM15_HI)) },
	{ "movdqu xmm9,[rip+0x100]", 64,
	  C("\xf3\x44\x0f\x6f\x0d\x00\x01\x00\x00"), .len = 9,
	  ACC(RD(8, 0x1109, 9), RD(8, 0x1111, 10)), XMM(9, 9, 10) },
	{ "movups xmm1,[eax] (32-bit, DS base)", 32, C("\x0f\x10\x08"),
	  SET(R(RAX, 0x100)),
	  ACC(RD(8, DS32 + 0x100, 3), RD(8, DS32 + 0x108, 4)), XMM(1, 3, 4) },
	{ "MMX movq (0F 6F) unhandled", 64, C("\x0f\x6f\x00"), UNH },
	{ "movsd (F2 0F 10) unhandled", 64, C("\xf2\x0f\x10\x00"), UNH },
	{ "movss (F3 0F 11) unhandled", 64, C("\xf3\x0f\x11\x00"), UNH },
	{ "66 F3 0F 6F unhandled", 64, C("\x66\xf3\x0f\x6f\x00"), UNH },
	{ "movups xmm,xmm (no memory) unhandled", 64, C("\x0f\x10\xc1"), UNH },

	/* ---- 16-bit addressing ---- */
	{ "mov [bx],ax", 16, C("\x89\x07"), SET(R(RBX, 0x100)), .len = 2,
	  ACC(WR(2, DS32 + 0x100, 0x0201)) },
	{ "mov ax,[bx+si]", 16, C("\x8b\x00"), SET(R(RBX, 0x100), R(RSI, 0x20)),
	  ACC(RD(2, DS32 + 0x120, 0x1234)),
	  WANT(R(RAX, 0x0807060504031234ULL)) },
	{ "mov ax,[bx+di]", 16, C("\x8b\x01"), SET(R(RBX, 0x100), R(RDI, 0x30)),
	  ACC(RD(2, DS32 + 0x130, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[bp+si] (SS)", 16, C("\x8b\x02"),
	  SET(R(RBP, 0x100), R(RSI, 0x20)),
	  ACC(RD(2, SS32 + 0x120, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[bp+di] (SS)", 16, C("\x8b\x03"),
	  SET(R(RBP, 0x100), R(RDI, 0x30)),
	  ACC(RD(2, SS32 + 0x130, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[si]", 16, C("\x8b\x04"), SET(R(RSI, 0x40)),
	  ACC(RD(2, DS32 + 0x40, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[di]", 16, C("\x8b\x05"), SET(R(RDI, 0x50)),
	  ACC(RD(2, DS32 + 0x50, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[disp16]", 16, C("\x8b\x06\x34\x12"), .len = 4,
	  ACC(RD(2, DS32 + 0x1234, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[bp+2] (SS)", 16, C("\x8b\x46\x02"), SET(R(RBP, 0x300)),
	  .len = 3, ACC(RD(2, SS32 + 0x302, 1)),
	  WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[bx+si-1]", 16, C("\x8b\x40\xff"),
	  SET(R(RBX, 0x100), R(RSI, 0x20)),
	  ACC(RD(2, DS32 + 0x11f, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov ax,[bx+disp16]", 16, C("\x8b\x87\x00\x80"), SET(R(RBX, 0x100)),
	  .len = 4, ACC(RD(2, DS32 + 0x8100, 1)),
	  WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "[bx+si] wraps at 64K", 16, C("\x8b\x00"),
	  SET(R(RBX, 0xffff), R(RSI, 2)),
	  ACC(RD(2, DS32 + 1, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "mov al,[bx]", 16, C("\x8a\x07"), SET(R(RBX, 0x10)),
	  ACC(RD(1, DS32 + 0x10, 0x55)), WANT(R(RAX, 0x0807060504030255ULL)) },
	{ "66: mov eax,[bx] (16-bit)", 16, C("\x66\x8b\x07"),
	  SET(R(RBX, 0x10)), ACC(RD(4, DS32 + 0x10, 0x89abcdef)),
	  WANT(R(RAX, 0x89abcdef)) },
	{ "67: mov ax,[ebx] (16-bit)", 16, C("\x67\x8b\x03"),
	  SET(R(RBX, 0x12345)), ACC(RD(2, DS32 + 0x12345, 1)),
	  WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "66 67: mov eax,[ebx+ecx*4] (16-bit)", 16,
	  C("\x66\x67\x8b\x04\x8b"), SET(R(RBX, 0x100), R(RCX, 3)), .len = 5,
	  ACC(RD(4, DS32 + 0x10c, 1)), WANT(R(RAX, 1)) },
	{ "es: mov ax,[bx]", 16, C("\x26\x8b\x07"), SET(R(RBX, 0x10)),
	  ACC(RD(2, ES32 + 0x10, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "ds: mov ax,[bp+0]", 16, C("\x3e\x8b\x46\x00"), SET(R(RBP, 0x10)),
	  ACC(RD(2, DS32 + 0x10, 1)), WANT(R(RAX, 0x0807060504030001ULL)) },
	{ "IP wraps at 64K (16-bit)", 16, C("\x89\x07"), SET(R(RBX, 0x10)),
	  .rip = 0xffff, RIP_OUT(1), ACC(WR(2, DS32 + 0x10, 0x0201)) },

	/* ---- 32-bit mode ---- */
	{ "mov [eax],ecx", 32, C("\x89\x08"), SET(R(RAX, 0x5000)),
	  ACC(WR(4, DS32 + 0x5000, 0x14131211)) },
	{ "mov eax,[disp32]: absolute, not RIP-relative", 32,
	  C("\x8b\x05\x00\x50\x00\x00"), .len = 6,
	  ACC(RD(4, DS32 + 0x5000, 1)), WANT(R(RAX, 1)) },
	{ "mov eax,[esp+4] (SS)", 32, C("\x8b\x44\x24\x04"),
	  SET(R(RSP, 0x100)), ACC(RD(4, SS32 + 0x104, 1)), WANT(R(RAX, 1)) },
	{ "mov eax,[ebp+8] (SS)", 32, C("\x8b\x45\x08"), SET(R(RBP, 0x100)),
	  ACC(RD(4, SS32 + 0x108, 1)), WANT(R(RAX, 1)) },
	{ "mov eax,[ecx*4+disp32]", 32, C("\x8b\x04\x8d\x00\x10\x00\x00"),
	  SET(R(RCX, 4)), .len = 7, ACC(RD(4, DS32 + 0x1010, 1)),
	  WANT(R(RAX, 1)) },
	{ "linear address wraps at 4G (32-bit)", 32, C("\x8b\x00"),
	  SET(R(RAX, 0xffff0000ULL)), ACC(RD(4, DS32 - 0x10000, 1)),
	  WANT(R(RAX, 1)) },
	{ "66: mov [eax],cx (32-bit)", 32, C("\x66\x89\x08"),
	  SET(R(RAX, 0x10)), ACC(WR(2, DS32 + 0x10, 0x1211)) },
	{ "67: mov [bx],eax (32-bit)", 32, C("\x67\x89\x07"),
	  SET(R(RBX, 0x10010)), ACC(WR(4, DS32 + 0x10, 0x04030201)) },
	{ "gs: mov [eax],cl (32-bit)", 32, C("\x65\x88\x08"),
	  SET(R(RAX, 0x10)), ACC(WR(1, GS32 + 0x10, 0x11)) },
	{ "mov ah,[eax] (32-bit)", 32, C("\x8a\x20"), SET(R(RAX, 0x10)),
	  ACC(RD(1, DS32 + 0x10, 0x66)), WANT(R(RAX, 0x6610)) },
	{ "40 is INC in 32-bit mode: unhandled", 32, C("\x40\x89\x08"), UNH },
	{ "48 is DEC in 32-bit mode: unhandled", 32, C("\x48\x89\x08"), UNH },
	{ "RIP wraps at 4G (32-bit)", 32, C("\x89\x08"), SET(R(RAX, 0x10)),
	  .rip = 0xffffffffULL, RIP_OUT(1),
	  ACC(WR(4, DS32 + 0x10, 0x14131211)) },

	/* ---- prefixes, length, invalid ---- */
	{ "13 prefixes + 89 08: 15 bytes ok", 64,
	  C("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x3e\x89\x08"),
	  SET(R(RAX, 0x5000)), .len = 15, ACC(WR(2, 0x5000, 0x1211)) },
	{ "14 prefixes + 89 08: 16 bytes #GP", 64,
	  C("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x3e\x89\x08"),
	  EXC(EMU_VEC_GP) },
	{ "16 prefixes: #GP", 64,
	  C("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x89\x08"),
	  EXC(EMU_VEC_GP) },
	{ "15 prefixes, only 15 bytes: #GP", 32,
	  C("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"),
	  EXC(EMU_VEC_GP) },
	{ "long imm past 15: #GP", 64,
	  C("\x66\x66\x66\x66\x66\x66\x48\xc7\x84\x80\x00\x00\x00\x00\x00\x00\x00\x00"),
	  EXC(EMU_VEC_GP) },
	{ "truncated: no bytes", 64, C(""), .dec = EMU_NEED_MORE },
	{ "truncated: opcode only", 64, C("\x89"), .dec = EMU_NEED_MORE },
	{ "truncated: 0F only", 64, C("\x0f"), .dec = EMU_NEED_MORE },
	{ "truncated: disp32", 64, C("\x8b\x05\x10\x00"), .dec = EMU_NEED_MORE },
	{ "truncated: imm32", 64, C("\xc7\x00\x78\x56\x34"),
	  .dec = EMU_NEED_MORE },
	{ "truncated: moffs64", 64, C("\xa1\x00\x10\x00\x00\x00\x00\x00"),
	  .dec = EMU_NEED_MORE },
	{ "truncated: SIB", 64, C("\x8b\x04"), .dec = EMU_NEED_MORE },
	{ "truncated: prefixes only", 64, C("\x66\x48"), .dec = EMU_NEED_MORE },
	{ "avail smaller than buffer", 64, C("\x8b\x05\x10\x00\x00\x00"),
	  .avail = 5, .dec = EMU_NEED_MORE },
	{ "mov eax,ecx (no memory operand)", 64, C("\x8b\xc1"), UNH },
	{ "add eax,imm32 (no memory operand)", 64, C("\x05\x01\x00\x00\x00"),
	  UNH },
	{ "ud2", 64, C("\x0f\x0b"), UNH },
	{ "hlt", 64, C("\xf4"), UNH },
	{ "VEX C5", 64, C("\xc5\xf8\x10\x00"), UNH },
	{ "0F 38 map", 64, C("\x0f\x38\x00\x00"), UNH },
	{ "mov r/m,sreg", 64, C("\x8c\x00"), UNH },
	{ "mov r64,imm64", 64, C("\x48\xb8\x00\x00\x00\x00\x00\x00\x00\x00"),
	  UNH },
	{ "movsxd in 64 w/ 66 prefix: 16-bit load", 64, C("\x66\x63\x08"),
	  SET(R(RAX, 0x5000)), ACC(RD(2, 0x5000, 0x8000)),
	  WANT(R(RCX, 0x1817161514138000ULL)) },
	{ "rep prefix ignored on mov", 64, C("\xf3\x89\x08"),
	  SET(R(RAX, 0x5000), R(RCX, 0)), ACC(WR(4, 0x5000, 0)) },
};

static u64 seg_base(unsigned int mode, unsigned int seg)
{
	static const u64 b64[EMU_NR_SEGS] = {
		0x11110000, 0x22220000, 0x33330000, 0x44440000, FS64, GS64
	};
	static const u64 b32[EMU_NR_SEGS] = {
		ES32, CS32, SS32, DS32, FS32, GS32
	};

	return mode == 64 ? b64[seg] : b32[seg];
}

static struct test_env env;

static void ctxt_setup(struct emu_ctxt *c, unsigned int mode)
{
	unsigned int i;

	emu_init(c, mode, &test_ops, &env);
	for (i = 0; i < EMU_NR_GPRS; i++)
		c->gpr[i] = default_gpr(i);
	for (i = 0; i < EMU_NR_SEGS; i++)
		c->seg_base[i] = seg_base(mode, i);
	c->rip = 0x1000;
	c->rflags = FL(0);
}

#define FAIL(...) do {							\
	snprintf(why, whylen, __VA_ARGS__);				\
	return false;							\
} while (0)

static bool run_case(const struct tc *t, char *why, size_t whylen)
{
	u64 gpr0[EMU_NR_GPRS], want[EMU_NR_GPRS], rip0, rflags0, rip1, fl1;
	struct emu_ctxt c;
	enum emu_status st, want_end;
	unsigned int i, n;
	u8 buf[8];

	env_reset(&env);
	ctxt_setup(&c, t->mode);
	for (i = 0; i < ARRAY_SIZE(t->set); i++)
		if (t->set[i].reg)
			c.gpr[t->set[i].reg - 1] = t->set[i].val;
	if (t->rflags)
		c.rflags = t->rflags;
	if (t->rip)
		c.rip = t->rip;
	c.movs_mmio = t->movs;
	memcpy(gpr0, c.gpr, sizeof(gpr0));
	rip0 = c.rip;
	rflags0 = c.rflags;

	st = emu_decode(&c, (const u8 *)t->code, t->avail ? t->avail : t->ncode);
	if (st != (enum emu_status)t->dec)
		FAIL("decode: %s, want %s", emu_status_name(st),
		     emu_status_name(t->dec));
	if (st == EMU_EXCEPTION && c.exc_vector != t->vec)
		FAIL("vector %u, want %u", c.exc_vector, t->vec);
	if (st != EMU_OK)
		return true;
	if (t->len && c.insn.len != t->len)
		FAIL("length %u, want %u", c.insn.len, t->len);
	if (c.insn.len > t->ncode)
		FAIL("length %u beyond the %u bytes", c.insn.len, t->ncode);

	st = emu_start(&c);
	for (n = 0; st == EMU_ACCESS; n++) {
		const struct acc *a = &t->acc[n];

		if (n >= ARRAY_SIZE(t->acc) || !a->size)
			FAIL("unexpected access %u: %s %u at %#llx", n,
			     c.access.write ? "write" : "read",
			     c.access.size, (unsigned long long)c.access.la);
		if (c.access.write != a->write || c.access.size != a->size ||
		    c.access.la != a->la)
			FAIL("access %u: %s %u at %#llx, want %s %u at %#llx",
			     n, c.access.write ? "write" : "read",
			     c.access.size, (unsigned long long)c.access.la,
			     a->write ? "write" : "read", a->size,
			     (unsigned long long)a->la);
		if (a->write) {
			u64 v = 0;

			for (i = 0; i < a->size; i++)
				v |= (u64)c.access.data[i] << (8 * i);
			if (v != a->data)
				FAIL("access %u: wrote %#llx, want %#llx", n,
				     (unsigned long long)v,
				     (unsigned long long)a->data);
		}
		for (i = 0; i < 8; i++)
			buf[i] = (u8)(a->data >> (8 * i));
		if (memcmp(c.gpr, gpr0, sizeof(gpr0)) || c.rip != rip0 ||
		    c.rflags != rflags0)
			FAIL("registers changed before the end");
		st = emu_complete(&c, buf);
	}
	if (n < ARRAY_SIZE(t->acc) && t->acc[n].size)
		FAIL("only %u accesses: then %s", n, emu_status_name(st));
	want_end = t->end ? (enum emu_status)t->end : EMU_DONE;
	if (st != want_end)
		FAIL("end: %s, want %s", emu_status_name(st),
		     emu_status_name(want_end));
	if (emu_complete(&c, buf) != EMU_BAD_CALL)
		FAIL("emu_complete after the end accepted");

	memcpy(want, gpr0, sizeof(want));
	rip1 = rip0;
	fl1 = rflags0;
	if (st == EMU_EXCEPTION) {
		if (c.exc_vector != t->vec)
			FAIL("vector %u, want %u", c.exc_vector, t->vec);
		if (t->exc_addr && c.exc_addr != t->exc_addr)
			FAIL("fault address %#llx, want %#llx",
			     (unsigned long long)c.exc_addr,
			     (unsigned long long)t->exc_addr);
	} else if (st == EMU_DONE) {
		for (i = 0; i < ARRAY_SIZE(t->want); i++)
			if (t->want[i].reg)
				want[t->want[i].reg - 1] = t->want[i].val;
		rip1 = t->has_rip ? t->rip_out : rip0 + c.insn.len;
		if (t->rflags_out)
			fl1 = t->rflags_out;
	}
	for (i = 0; i < EMU_NR_GPRS; i++)
		if (c.gpr[i] != want[i])
			FAIL("gpr %u = %#llx, want %#llx", i,
			     (unsigned long long)c.gpr[i],
			     (unsigned long long)want[i]);
	if (c.rip != rip1)
		FAIL("rip %#llx, want %#llx", (unsigned long long)c.rip,
		     (unsigned long long)rip1);
	if (c.rflags != fl1)
		FAIL("rflags %#llx, want %#llx", (unsigned long long)c.rflags,
		     (unsigned long long)fl1);
	if (t->xmm_check) {
		u64 lo = 0, hi = 0;

		for (i = 0; i < 8; i++) {
			lo |= (u64)env.xmm[t->xmm_reg][i] << (8 * i);
			hi |= (u64)env.xmm[t->xmm_reg][8 + i] << (8 * i);
		}
		if (lo != t->xmm_lo || hi != t->xmm_hi)
			FAIL("xmm%u = %#llx:%#llx, want %#llx:%#llx",
			     t->xmm_reg, (unsigned long long)hi,
			     (unsigned long long)lo,
			     (unsigned long long)t->xmm_hi,
			     (unsigned long long)t->xmm_lo);
	}
	if (t->ram_size) {
		u64 v = 0;

		for (i = 0; i < t->ram_size; i++)
			v |= (u64)env.ram[t->ram_la - RAM_LA + i] << (8 * i);
		if (v != t->ram_val)
			FAIL("RAM %#llx = %#llx, want %#llx",
			     (unsigned long long)t->ram_la,
			     (unsigned long long)v,
			     (unsigned long long)t->ram_val);
	}
	return true;
}

/* ---- ALU flags against the host CPU ---- */

#define ARITH_MASK	(CF | PF | AF | ZF | SF | OF)

/*
 * Run "op b, a" (AT&T) natively with the given input flags; return the
 * result in *r and the flags.  The red zone is skipped before pushf.
 */
#define NATIVE_OP(name, insn, type, cons)				\
static u64 name(u64 a, u64 b, u64 fin, u64 *r)				\
{									\
	type x = (type)a, y = (type)b;					\
	u64 f = fin;							\
									\
	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"			\
			 "push %[f]\n\t"				\
			 "popf\n\t"					\
			 insn " %[y], %[x]\n\t"				\
			 "pushf\n\t"					\
			 "pop %[f]\n\t"					\
			 "lea 128(%%rsp), %%rsp"			\
			 : [x] "+" cons (x), [f] "+r" (f)		\
			 : [y] cons (y)					\
			 : "cc", "memory");				\
	*r = x;								\
	return f;							\
}

#define NATIVE_SIZES(op)						\
	NATIVE_OP(n_##op##b, #op "b", u8, "q")				\
	NATIVE_OP(n_##op##w, #op "w", u16, "r")				\
	NATIVE_OP(n_##op##l, #op "l", u32, "r")				\
	NATIVE_OP(n_##op##q, #op "q", u64, "r")

NATIVE_SIZES(add)
NATIVE_SIZES(or)
NATIVE_SIZES(adc)
NATIVE_SIZES(sbb)
NATIVE_SIZES(and)
NATIVE_SIZES(sub)
NATIVE_SIZES(xor)
NATIVE_SIZES(cmp)
NATIVE_SIZES(test)

typedef u64 (*native_fn)(u64 a, u64 b, u64 fin, u64 *r);

#define NATIVE_ROW(op)	{ n_##op##b, n_##op##w, n_##op##l, n_##op##q }

/* Indexed by ALU operation (0-7), then 8 = TEST; and by log2(size). */
static const native_fn native[9][4] = {
	NATIVE_ROW(add), NATIVE_ROW(or), NATIVE_ROW(adc), NATIVE_ROW(sbb),
	NATIVE_ROW(and), NATIVE_ROW(sub), NATIVE_ROW(xor), NATIVE_ROW(cmp),
	NATIVE_ROW(test),
};

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static u64 edge_value(unsigned int i, unsigned int size)
{
	u64 m = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	u64 sign = 1ULL << (8 * size - 1);
	const u64 v[] = { 0, 1, 2, 0xf, 0x10, sign - 1, sign, sign + 1,
			  m, m - 1, m ^ 0xf };

	if (i < ARRAY_SIZE(v))
		return v[i] & m;
	return rnd() & m;
}

/*
 * Emulate "op [rax], rcx" (memory destination) for op 0-7, or
 * "test [rax], rcx" for op 8, at the given size; compare the value
 * written (if any) and the flags with the host's.
 */
static bool alu_vs_native(unsigned int op, unsigned int lg, u64 a, u64 b,
			  u64 fin, char *why, size_t whylen)
{
	unsigned int size = 1u << lg, n = 0, i;
	u64 nr, nf, er = a, mask = ARITH_MASK;
	struct emu_ctxt c;
	enum emu_status st;
	u8 code[4], data[8];

	if (lg == 1)
		code[n++] = 0x66;
	else if (lg == 3)
		code[n++] = 0x48;
	code[n++] = (u8)((op == 8 ? 0x84 : op << 3) | (lg ? 1 : 0));
	code[n++] = 0x08;	/* [rax], rcx/ecx/cx/cl */

	ctxt_setup(&c, 64);
	c.gpr[EMU_RAX] = 0x5000;
	c.gpr[EMU_RCX] = b;
	c.rflags = fin;
	if (emu_decode(&c, code, n) != EMU_OK)
		FAIL("decode");
	for (i = 0; i < 8; i++)
		data[i] = (u8)(a >> (8 * i));
	st = emu_start(&c);
	if (st != EMU_ACCESS || c.access.write)
		FAIL("no read");
	st = emu_complete(&c, data);
	if (st == EMU_ACCESS) {
		er = 0;
		for (i = 0; i < size; i++)
			er |= (u64)c.access.data[i] << (8 * i);
		st = emu_complete(&c, NULL);
	}
	if (st != EMU_DONE)
		FAIL("end %s", emu_status_name(st));

	nf = native[op][lg](a, b, fin, &nr);
	if (op == 7 || op == 8)
		nr = a;	/* CMP/TEST write nothing */
	if (op == 1 || op == 4 || op == 6 || op == 8)
		mask &= ~AF;	/* undefined for logic ops */
	if (er != nr || ((c.rflags ^ nf) & mask) ||
	    ((c.rflags ^ fin) & ~ARITH_MASK))
		FAIL("op %u size %u a=%#llx b=%#llx fin=%#llx: result %#llx flags %#llx, native %#llx flags %#llx",
		     op, size, (unsigned long long)a, (unsigned long long)b,
		     (unsigned long long)fin, (unsigned long long)er,
		     (unsigned long long)c.rflags, (unsigned long long)nr,
		     (unsigned long long)nf);
	return true;
}

/* ---- string instructions against the host CPU ---- */

#define STR_ELEMS	48
#define STR_MAP		0x2000
#define STR_SRC		0x200		/* offsets in the mapping */
#define STR_DST		0x1200
#define STR_TRIALS	3000

struct str_regs {
	u64 rax, rcx, rsi, rdi, rflags;
};

static u8 *str_mem;		/* below 4 GiB: address size 32 works too */
static u8 *str_code;		/* executable: the instruction, then RET */
static u64 str_fsbase;

/* Reads of "MMIO" and of "RAM" alike come from str_mem. */
static int str_read(void *opaque, u64 la, void *buf, unsigned int len)
{
	(void)opaque;
	if (la < (uintptr_t)str_mem || la + len > (uintptr_t)str_mem + STR_MAP)
		return -1;
	memcpy(buf, (void *)(uintptr_t)la, len);
	return 0;
}

static const struct emu_ops str_ops = { .read_mem = str_read };

/* Run the bytes at str_code on the host CPU with the registers in r. */
static void str_native(struct str_regs *r)
{
	u64 a = r->rax, cx = r->rcx, si = r->rsi, di = r->rdi, f = r->rflags;

	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
			 "push %[f]\n\t"
			 "popf\n\t"
			 "call *%[fn]\n\t"
			 "pushf\n\t"
			 "pop %[f]\n\t"
			 "cld\n\t"
			 "lea 128(%%rsp), %%rsp"
			 : "+a" (a), "+c" (cx), "+S" (si), "+D" (di), [f] "+r" (f)
			 : [fn] "r" (str_code)
			 : "cc", "memory");
	r->rax = a;
	r->rcx = cx;
	r->rsi = si;
	r->rdi = di;
	r->rflags = f;
}

/*
 * Emulate the instruction as the module does: one element per round,
 * the guest re-executing it while RIP stays.  Returns the rounds, or 0
 * with why filled in.
 */
static unsigned int str_emulate(const u8 *code, unsigned int len,
				struct str_regs *r, char *why, size_t whylen)
{
	struct emu_ctxt c;
	enum emu_status st;
	unsigned int rounds;
	u8 buf[8];

	for (rounds = 1; rounds <= STR_ELEMS + 2; rounds++) {
		emu_init(&c, 64, &str_ops, NULL);
		c.gpr[EMU_RAX] = r->rax;
		c.gpr[EMU_RCX] = r->rcx;
		c.gpr[EMU_RSI] = r->rsi;
		c.gpr[EMU_RDI] = r->rdi;
		c.seg_base[EMU_SEG_FS] = str_fsbase;
		c.rip = 0x1000;
		c.rflags = r->rflags;
		c.movs_mmio = (u8)(1 + rnd() % 3);
		if (emu_decode(&c, code, len) != EMU_OK || c.insn.len != len)
			break;
		st = emu_start(&c);
		while (st == EMU_ACCESS) {
			if (c.access.write ||
			    str_read(NULL, c.access.la, buf, c.access.size))
				break;
			st = emu_complete(&c, buf);
		}
		if (st != EMU_DONE) {
			snprintf(why, whylen, "round %u: %s", rounds,
				 emu_status_name(st));
			return 0;
		}
		r->rax = c.gpr[EMU_RAX];
		r->rcx = c.gpr[EMU_RCX];
		r->rsi = c.gpr[EMU_RSI];
		r->rdi = c.gpr[EMU_RDI];
		r->rflags = c.rflags;
		if (c.rip != 0x1000)
			return c.rip == 0x1000 + len ? rounds : 0;
	}
	snprintf(why, whylen, "no end after %u rounds", rounds - 1);
	return 0;
}

static u8 str_byte(void)
{
	static const u8 v[] = { 0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xff };

	return v[rnd() % ARRAY_SIZE(v)];
}

/* kind: 0 LODS, 1 SCAS, 2 CMPS; lg: log2 of the operand size. */
static bool str_vs_native(unsigned int kind, unsigned int lg, char *why,
			  size_t whylen)
{
	static const u8 ops[3] = { 0xac, 0xae, 0xa6 };
	static const char *const pfx_name[3] = { "", "rep(e) ", "repne " };
	unsigned int size = 1u << lg, trial, n, i, pfx, rounds;
	u64 src = (uintptr_t)str_mem + STR_SRC, dst = (uintptr_t)str_mem + STR_DST;
	u64 mask = ARITH_MASK | DF;
	struct str_regs in, nat, emu;
	bool a32, fs, df;
	u8 code[8];

	for (trial = 0; trial < STR_TRIALS; trial++) {
		pfx = (unsigned int)(rnd() % 3);
		a32 = rnd() & 1;
		df = rnd() & 1;
		fs = !(rnd() & 3) && !a32;
		n = 0;
		if (fs)
			code[n++] = 0x64;
		if (a32)
			code[n++] = 0x67;
		if (pfx)
			code[n++] = pfx == 1 ? 0xf3 : 0xf2;
		if (lg == 1)
			code[n++] = 0x66;
		if (lg == 3)
			code[n++] = 0x48;
		code[n++] = (u8)(ops[kind] | (lg ? 1 : 0));
		memcpy(str_code, code, n);
		str_code[n] = 0xc3;	/* ret */

		/* Equal runs for REPE, independent data for REPNE. */
		for (i = 0; i < STR_ELEMS * 8; i++)
			str_mem[STR_SRC + i] = str_byte();
		if (rnd() & 1) {
			memcpy(str_mem + STR_DST, str_mem + STR_SRC, STR_ELEMS * 8);
			for (i = (unsigned int)(rnd() % 3); i; i--)
				str_mem[STR_DST + rnd() % (STR_ELEMS * 8)] =
					str_byte();
		} else {
			for (i = 0; i < STR_ELEMS * 8; i++)
				str_mem[STR_DST + i] = str_byte();
		}

		in.rax = rnd();
		if (kind == 1 && (rnd() & 1))
			memcpy(&in.rax, str_mem + STR_DST, size);
		in.rcx = pfx ? rnd() % 24 : rnd();
		if (pfx && !(rnd() % 8))
			in.rcx = 0;
		in.rsi = src + (df ? (STR_ELEMS - 1) * size : 0);
		in.rdi = dst + (df ? (STR_ELEMS - 1) * size : 0);
		if (fs)
			in.rsi -= str_fsbase;
		if (a32) {
			/* ignored above bit 31, cleared when written */
			in.rsi |= rnd() << 32;
			in.rdi |= rnd() << 32;
			if (pfx)
				in.rcx |= rnd() << 32;
		}
		in.rflags = FL(rnd() & ARITH_MASK) | (df ? DF : 0);

		nat = in;
		str_native(&nat);
		emu = in;
		rounds = str_emulate(code, n, &emu, why, whylen);
		if (!rounds ||
		    emu.rax != nat.rax || emu.rcx != nat.rcx ||
		    emu.rsi != nat.rsi || emu.rdi != nat.rdi ||
		    ((emu.rflags ^ nat.rflags) & mask) ||
		    ((emu.rflags ^ in.rflags) & ~mask)) {
			size_t l = strlen(why);

			snprintf(why + l, whylen - l,
				 "%s%s%s%s%s%c DF=%d rcx=%#llx: emulated rax %#llx rcx %#llx rsi %#llx rdi %#llx fl %#llx; native %#llx %#llx %#llx %#llx %#llx",
				 l ? "; " : "", fs ? "fs " : "", a32 ? "a32 " : "",
				 pfx_name[pfx], kind == 0 ? "lods" :
				 kind == 1 ? "scas" : "cmps", "bwlq"[lg], df,
				 (unsigned long long)in.rcx,
				 (unsigned long long)emu.rax,
				 (unsigned long long)emu.rcx,
				 (unsigned long long)emu.rsi,
				 (unsigned long long)emu.rdi,
				 (unsigned long long)(emu.rflags & mask),
				 (unsigned long long)nat.rax,
				 (unsigned long long)nat.rcx,
				 (unsigned long long)nat.rsi,
				 (unsigned long long)nat.rdi,
				 (unsigned long long)(nat.rflags & mask));
			return false;
		}
	}
	return true;
}

static bool str_setup(void)
{
	void *m, *x;

	m = mmap(NULL, STR_MAP, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	x = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || x == MAP_FAILED)
		return false;
	str_mem = m;
	str_code = x;
	memset(str_code, 0xcc, 4096);
	/* Written once per trial: keep it writable and executable. */
	if (mprotect(str_code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
		return false;
	return !syscall(SYS_arch_prctl, ARCH_GET_FS, &str_fsbase);
}

/* ---- every opcode with random trailing bytes ---- */

static bool sweep_mode(unsigned int mode, char *why, size_t whylen)
{
	static const u8 prefixes[] = { 0, 0x66, 0x67, 0xf3, 0xf2, 0xf0, 0x48,
				       0x4d, 0x64 };
	unsigned int op, rep, p, steps, i, n, decoded = 0, done = 0;
	struct emu_ctxt c;
	enum emu_status st;
	u8 code[20], data[8];

	for (op = 0; op < 512; op++) {
		for (rep = 0; rep < 64; rep++) {
			p = prefixes[rep % ARRAY_SIZE(prefixes)];
			n = 0;
			if (p && !(mode != 64 && p >= 0x40 && p <= 0x4f))
				code[n++] = (u8)p;
			if (op >= 256)
				code[n++] = 0x0f;
			code[n++] = (u8)op;
			while (n < sizeof(code))
				code[n++] = (u8)rnd();
			env_reset(&env);
			ctxt_setup(&c, mode);
			for (i = 0; i < EMU_NR_GPRS; i++)
				c.gpr[i] = rnd();
			c.rflags = FL(rnd() & (ARITH_MASK | DF));
			c.movs_mmio = (u8)(rnd() % 4);
			st = emu_decode(&c, code, 1 + (unsigned int)(rnd() % 20));
			if (st != EMU_OK)
				continue;
			decoded++;
			if (c.insn.len < 1 || c.insn.len > EMU_MAX_INSN_LEN)
				FAIL("opcode %#x: length %u", op, c.insn.len);
			st = emu_start(&c);
			for (steps = 0; st == EMU_ACCESS; steps++) {
				if (steps > 4)
					FAIL("opcode %#x: too many steps", op);
				if (c.access.size != 1 && c.access.size != 2 &&
				    c.access.size != 4 && c.access.size != 8)
					FAIL("opcode %#x: access size %u", op,
					     c.access.size);
				for (i = 0; i < 8; i++)
					data[i] = (u8)rnd();
				st = emu_complete(&c, data);
			}
			if (st != EMU_DONE && st != EMU_EXCEPTION &&
			    st != EMU_UNHANDLED)
				FAIL("opcode %#x: ends with %s", op,
				     emu_status_name(st));
			done += st == EMU_DONE;
		}
	}
	tap_diag("%u-bit: %u of %u decoded, %u emulated to the end", mode,
		 decoded, 512 * 64, done);
	return true;
}

/* ---- API misuse ---- */

static bool api_misuse(char *why, size_t whylen)
{
	struct emu_ctxt c;
	u8 d[8] = { 0 };

	ctxt_setup(&c, 64);
	if (emu_start(&c) != EMU_BAD_CALL)
		FAIL("start before decode");
	if (emu_complete(&c, d) != EMU_BAD_CALL)
		FAIL("complete before start");
	c.gpr[EMU_RAX] = 0x5000;
	if (emu_decode(&c, (const u8 *)"\x8b\x08", 2) != EMU_OK)
		FAIL("decode");
	if (emu_complete(&c, d) != EMU_BAD_CALL)
		FAIL("complete before start");
	if (emu_start(&c) != EMU_ACCESS)
		FAIL("start");
	if (emu_start(&c) != EMU_BAD_CALL)
		FAIL("start twice");
	if (emu_complete(&c, NULL) != EMU_BAD_CALL)
		FAIL("read completed without data");
	if (emu_complete(&c, d) != EMU_DONE)
		FAIL("complete");
	c.mode = 8;
	if (emu_decode(&c, (const u8 *)"\x8b\x08", 2) != EMU_BAD_CALL)
		FAIL("bad mode accepted");
	c.mode = 64;
	if (emu_decode(&c, NULL, 10) != EMU_NEED_MORE)
		FAIL("NULL bytes");
	/* Without callbacks the SSE moves and MOVS are unhandled. */
	emu_init(&c, 64, NULL, NULL);
	if (emu_decode(&c, (const u8 *)"\x0f\x10\x00", 3) != EMU_OK ||
	    emu_start(&c) != EMU_UNHANDLED)
		FAIL("movups without ops");
	c.movs_mmio = EMU_MOVS_DST;
	if (emu_decode(&c, (const u8 *)"\xa5", 1) != EMU_OK ||
	    emu_start(&c) != EMU_UNHANDLED)
		FAIL("movs without ops");
	return true;
}

int main(void)
{
	char why[256];
	unsigned int i, op, lg, k, fails;
	unsigned int modes[3] = { 16, 32, 64 };

	tap_plan((unsigned int)ARRAY_SIZE(cases) + 9 * 4 + 3 * 4 + 3 + 1);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool ok;

		why[0] = 0;
		ok = run_case(&cases[i], why, sizeof(why));
		tap_check(ok, "%s (%u-bit)%s%s", cases[i].name, cases[i].mode,
			  ok ? "" : ": ", why);
	}

	for (op = 0; op < 9; op++) {
		for (lg = 0; lg < 4; lg++) {
			fails = 0;
			for (k = 0; k < 2000 && !fails; k++) {
				u64 a = edge_value(k % 40, 1u << lg);
				u64 b = edge_value((k / 40) % 40, 1u << lg);
				u64 fin = FL(rnd() & ARITH_MASK);

				if (k >= 1600) {
					a = edge_value(99, 1u << lg);
					b = edge_value(99, 1u << lg);
				}
				if (!alu_vs_native(op, lg, a, b, fin, why,
						   sizeof(why)))
					fails++;
			}
			tap_check(!fails, "ALU op %u size %u vs host CPU%s%s",
				  op, 1u << lg, fails ? ": " : "",
				  fails ? why : "");
		}
	}

	if (!str_setup())
		tap_bail("no memory below 4 GiB or no executable page");
	for (op = 0; op < 3; op++) {
		for (lg = 0; lg < 4; lg++) {
			bool ok;

			why[0] = 0;
			ok = str_vs_native(op, lg, why, sizeof(why));
			tap_check(ok, "%s size %u, %u random forms vs host CPU%s%s",
				  op == 0 ? "LODS" : op == 1 ? "SCAS" : "CMPS",
				  1u << lg, STR_TRIALS, ok ? "" : ": ",
				  ok ? "" : why);
		}
	}

	for (i = 0; i < 3; i++) {
		bool ok = sweep_mode(modes[i], why, sizeof(why));

		tap_check(ok, "every opcode, %u-bit mode%s%s", modes[i],
			  ok ? "" : ": ", ok ? "" : why);
	}

	why[0] = 0;
	tap_check(api_misuse(why, sizeof(why)), "API misuse rejected%s%s",
		  why[0] ? ": " : "", why);
	return tap_finish();
}
