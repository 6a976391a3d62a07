// SPDX-License-Identifier: GPL-2.0
/*
 * x86 instruction decoder and emulator for MMIO exits; see emulate.h for
 * the interface.  Encodings and flag rules are from the Intel SDM,
 * volume 2 (instruction formats, opcode maps, instruction pages).
 *
 * Decoding runs in one pass over at most 15 bytes: legacy prefixes and
 * REX, the opcode (one-byte map or 0F map), ModRM, SIB, displacement and
 * immediate.  Only instructions with a memory operand are accepted; the
 * memory operand's address is computed at decode time.  Emulation is a
 * small state machine: each step either asks the caller for one access
 * of at most 8 bytes or finishes the instruction.
 */
#include "emulate.h"

/* insn.kind */
enum {
	K_NONE,
	K_LOAD,		/* reg <- [mem], maybe zero- or sign-extended */
	K_STORE,	/* [mem] <- reg or imm */
	K_ALU,		/* ADD..CMP with a memory source or destination */
	K_TEST,		/* AND for the flags only */
	K_XCHG,		/* [mem] <-> reg */
	K_STOS,		/* ES:[rDI] <- rAX */
	K_MOVS,		/* ES:[rDI] <- seg:[rSI] */
	K_LODS,		/* rAX <- seg:[rSI] */
	K_SCAS,		/* flags of rAX - ES:[rDI] */
	K_CMPS,		/* flags of seg:[rSI] - ES:[rDI] */
	K_SSE_LOAD,	/* xmm <- [mem], 16 bytes */
	K_SSE_STORE,	/* [mem] <- xmm, 16 bytes */
};

/* insn.alu */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* ctxt.state */
enum {
	S_IDLE,		/* nothing decoded, or the instruction finished */
	S_DECODED,	/* emu_decode() succeeded; emu_start() is next */
	S_ACCESS,	/* c->access is pending; emu_complete() is next */
};

/* Where the decoder reads instruction bytes from. */
struct fetch {
	const u8 *buf;
	unsigned int avail;
	unsigned int pos;
};

/* A decoded memory operand before its address is computed. */
struct memop {
	int base;	/* GPR number, or -1 */
	int index;	/* GPR number, or -1 */
	unsigned int scale;
	u64 disp;	/* sign-extended */
	bool riprel;
	u8 seg;		/* the default segment */
};

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static u64 sign_extend(u64 v, unsigned int size)
{
	switch (size) {
	case 1:
		return (u64)(s64)(s8)v;
	case 2:
		return (u64)(s64)(s16)v;
	case 4:
		return (u64)(s64)(s32)v;
	default:
		return v;
	}
}

static u64 load_le(const u8 *p, unsigned int size)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < size && i < 8; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void store_le(u8 *p, unsigned int size, u64 v)
{
	unsigned int i;

	for (i = 0; i < size && i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static enum emu_status raise_exc(struct emu_ctxt *c, unsigned int vector,
				 bool has_error, u32 error_code)
{
	c->exc_vector = (u8)vector;
	c->exc_has_error = has_error;
	c->exc_error_code = error_code;
	c->state = S_IDLE;
	return EMU_EXCEPTION;
}

static enum emu_status raise_pf(struct emu_ctxt *c, u64 la, bool write)
{
	c->exc_addr = la;
	c->exc_write = write;
	return raise_exc(c, EMU_VEC_PF, false, 0);
}

/*
 * Take the next n (1-8) instruction bytes, little-endian.  An
 * instruction running past 15 bytes is #GP(0) whatever was fetched.
 */
static enum emu_status fetch(struct emu_ctxt *c, struct fetch *f,
			     unsigned int n, u64 *out)
{
	if (f->pos + n > EMU_MAX_INSN_LEN)
		return raise_exc(c, EMU_VEC_GP, true, 0);
	if (f->pos + n > f->avail)
		return EMU_NEED_MORE;
	*out = load_le(f->buf + f->pos, n);
	f->pos += n;
	return EMU_OK;
}

/* ---- registers ---- */

/* Read a GPR operand of size bytes; AH..BH are 4..7 without REX. */
static u64 get_reg(const struct emu_ctxt *c, unsigned int reg,
		   unsigned int size)
{
	reg &= 15;
	if (size == 1 && !c->insn.rex && reg >= 4 && reg < 8)
		return (c->gpr[reg - 4] >> 8) & 0xff;
	return c->gpr[reg] & size_mask(size);
}

/*
 * Write a GPR operand: 8- and 16-bit writes keep the other bits, 32-bit
 * writes zero bits 63:32, 64-bit writes replace the register.
 */
static void set_reg(struct emu_ctxt *c, unsigned int reg, unsigned int size,
		    u64 val)
{
	u64 *r;

	reg &= 15;
	if (size == 1 && !c->insn.rex && reg >= 4 && reg < 8) {
		r = &c->gpr[reg - 4];
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	r = &c->gpr[reg];
	switch (size) {
	case 1:
		*r = (*r & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*r = (*r & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*r = val & 0xffffffffULL;
		break;
	default:
		*r = val;
		break;
	}
}

/* Write a register used as an address or count, at the address size. */
static void set_addr_reg(struct emu_ctxt *c, unsigned int reg, u64 val)
{
	unsigned int size = c->insn.addrsize;

	c->gpr[reg & 15] = size == 2 ?
		(c->gpr[reg & 15] & ~0xffffULL) | (val & 0xffff) :
		val & size_mask(size);
}

/* The linear address of seg:ea. */
static u64 linear(const struct emu_ctxt *c, unsigned int seg, u64 ea)
{
	if (c->mode == 64) {
		if (seg == EMU_SEG_FS || seg == EMU_SEG_GS)
			return c->seg_base[seg] + ea;
		return ea;
	}
	return (c->seg_base[seg % EMU_NR_SEGS] + ea) & 0xffffffffULL;
}

/* ---- decoding ---- */

/* ModRM with mod != 3, 16-bit addressing. */
static enum emu_status decode_mem16(struct emu_ctxt *c, struct fetch *f,
				    u8 modrm, struct memop *m)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	enum emu_status st;
	u64 v;

	m->seg = EMU_SEG_DS;
	if (mod == 0 && rm == 6) {
		st = fetch(c, f, 2, &v);
		m->disp = v;
		return st;
	}
	switch (rm) {
	case 0:
		m->base = EMU_RBX;
		m->index = EMU_RSI;
		break;
	case 1:
		m->base = EMU_RBX;
		m->index = EMU_RDI;
		break;
	case 2:
		m->base = EMU_RBP;
		m->index = EMU_RSI;
		m->seg = EMU_SEG_SS;
		break;
	case 3:
		m->base = EMU_RBP;
		m->index = EMU_RDI;
		m->seg = EMU_SEG_SS;
		break;
	case 4:
		m->base = EMU_RSI;
		break;
	case 5:
		m->base = EMU_RDI;
		break;
	case 6:
		m->base = EMU_RBP;
		m->seg = EMU_SEG_SS;
		break;
	default:
		m->base = EMU_RBX;
		break;
	}
	if (mod == 1) {
		st = fetch(c, f, 1, &v);
		m->disp = sign_extend(v, 1);
		return st;
	}
	if (mod == 2) {
		st = fetch(c, f, 2, &v);
		m->disp = v;
		return st;
	}
	return EMU_OK;
}

/* ModRM with mod != 3, 32- or 64-bit addressing (SIB, RIP-relative). */
static enum emu_status decode_mem32(struct emu_ctxt *c, struct fetch *f,
				    u8 modrm, struct memop *m)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	u8 rex = c->insn.rex;
	enum emu_status st;
	bool disp32 = mod == 2;
	u64 v;

	m->seg = EMU_SEG_DS;
	if (rm == 4) {
		st = fetch(c, f, 1, &v);
		if (st != EMU_OK)
			return st;
		m->scale = (unsigned int)(v >> 6);
		m->index = (int)(((v >> 3) & 7) | ((rex & 2) << 2));
		if (m->index == EMU_RSP)
			m->index = -1;	/* no index; r12 is a valid one */
		/* base 5 with mod 0: no base, for rBP and r13 alike */
		if ((v & 7) == 5 && mod == 0)
			disp32 = true;
		else
			m->base = (int)((v & 7) | ((rex & 1) << 3));
	} else if (rm == 5 && mod == 0) {
		disp32 = true;
		m->riprel = c->mode == 64;
	} else {
		m->base = (int)(rm | ((rex & 1) << 3));
	}
	if (m->base == EMU_RSP || m->base == EMU_RBP)
		m->seg = EMU_SEG_SS;
	if (mod == 1) {
		st = fetch(c, f, 1, &v);
		m->disp = sign_extend(v, 1);
		return st;
	}
	if (disp32) {
		st = fetch(c, f, 4, &v);
		m->disp = sign_extend(v, 4);
		return st;
	}
	return EMU_OK;
}

/* Immediate of "iz" form: 16 bits with a 16-bit operand, else 32. */
static unsigned int imm_z(unsigned int opsize)
{
	return opsize == 2 ? 2 : 4;
}

/*
 * Classify the opcode.  Returns EMU_OK with in->kind and the sizes set,
 * *modrm_needed and *immsize (bytes; 0 none), or EMU_UNHANDLED.
 */
static enum emu_status classify(struct emu_ctxt *c, bool op66,
				bool *modrm_needed, unsigned int *immsize)
{
	struct emu_insn *in = &c->insn;
	unsigned int op = in->opcode;
	bool f3 = in->rep == 0xf3;

	*modrm_needed = true;
	*immsize = 0;
	in->mem_size = in->opsize;

	if (op < 0x40 && (op & 7) < 4) {
		/* ADD OR ADC SBB AND SUB XOR CMP: 00-03, 08-0b, ... 38-3b */
		in->kind = K_ALU;
		in->alu = (u8)(op >> 3);
		in->mem_dst = !(op & 2);
		if (!(op & 1))
			in->opsize = 1;
		in->mem_size = in->opsize;
		return EMU_OK;
	}

	switch (op) {
	case 0x63:
		/* MOVSXD r64, r/m32; without REX.W a plain 16/32-bit load */
		if (c->mode != 64)
			return EMU_UNHANDLED;	/* ARPL */
		in->kind = K_LOAD;
		if (in->opsize == 8) {
			in->mem_size = 4;
			in->sext = 1;
		}
		return EMU_OK;
	case 0x82:
		if (c->mode == 64)
			return EMU_UNHANDLED;	/* #UD in 64-bit mode */
		in->opsize = 1;
		in->mem_size = 1;
		*immsize = 1;
		in->kind = K_ALU;
		return EMU_OK;
	case 0x80:
		in->opsize = 1;
		in->mem_size = 1;
		*immsize = 1;
		in->kind = K_ALU;
		return EMU_OK;
	case 0x81:
		*immsize = imm_z(in->opsize);
		in->kind = K_ALU;
		return EMU_OK;
	case 0x83:
		*immsize = 1;
		in->kind = K_ALU;
		return EMU_OK;
	case 0x84:
	case 0x85:
		in->kind = K_TEST;
		break;
	case 0x86:
	case 0x87:
		in->kind = K_XCHG;
		break;
	case 0x88:
	case 0x89:
		in->kind = K_STORE;
		break;
	case 0x8a:
	case 0x8b:
		in->kind = K_LOAD;
		break;
	case 0xa0:
	case 0xa1:
		in->kind = K_LOAD;
		*modrm_needed = false;
		*immsize = in->addrsize;
		break;
	case 0xa2:
	case 0xa3:
		in->kind = K_STORE;
		*modrm_needed = false;
		*immsize = in->addrsize;
		break;
	case 0xa4:
	case 0xa5:
		in->kind = K_MOVS;
		*modrm_needed = false;
		break;
	case 0xa6:
	case 0xa7:
		in->kind = K_CMPS;
		*modrm_needed = false;
		break;
	case 0xaa:
	case 0xab:
		in->kind = K_STOS;
		*modrm_needed = false;
		break;
	case 0xac:
	case 0xad:
		in->kind = K_LODS;
		*modrm_needed = false;
		break;
	case 0xae:
	case 0xaf:
		in->kind = K_SCAS;
		*modrm_needed = false;
		break;
	case 0xc6:
		in->kind = K_STORE;
		*immsize = 1;
		break;
	case 0xc7:
		in->kind = K_STORE;
		*immsize = imm_z(in->opsize);
		break;
	case 0xf6:
		in->kind = K_TEST;
		*immsize = 1;
		break;
	case 0xf7:
		in->kind = K_TEST;
		*immsize = imm_z(in->opsize);
		break;
	case 0x0fb6:
	case 0x0fbe:
		in->kind = K_LOAD;
		in->mem_size = 1;
		in->sext = op == 0x0fbe;
		return EMU_OK;
	case 0x0fb7:
	case 0x0fbf:
		in->kind = K_LOAD;
		in->mem_size = 2;
		in->sext = op == 0x0fbf;
		return EMU_OK;
	case 0x0f10:	/* MOVUPS, 66: MOVUPD (F3/F2: MOVSS/MOVSD) */
	case 0x0f11:
	case 0x0f28:	/* MOVAPS, 66: MOVAPD */
	case 0x0f29:
		if (in->rep)
			return EMU_UNHANDLED;
		in->aligned = (op & 0xf0) == 0x20;
		goto sse;
	case 0x0f6f:	/* 66: MOVDQA, F3: MOVDQU (none: MMX MOVQ) */
	case 0x0f7f:
		/* exactly one of 66 (MOVDQA) and F3 (MOVDQU) */
		if (in->rep == 0xf2 || op66 == f3)
			return EMU_UNHANDLED;
		in->aligned = op66;
		goto sse;
	default:
		return EMU_UNHANDLED;
	}
	/* 8-bit forms have an even opcode here. */
	if (!(op & 1)) {
		in->opsize = 1;
		in->mem_size = 1;
	}
	return EMU_OK;

sse:
	/* loads: 0F 10, 0F 28, 0F 6F; stores: 0F 11, 0F 29, 0F 7F */
	if (op == 0x0f6f)
		in->kind = K_SSE_LOAD;
	else if (op == 0x0f7f)
		in->kind = K_SSE_STORE;
	else
		in->kind = (op & 1) ? K_SSE_STORE : K_SSE_LOAD;
	in->opsize = 16;
	in->mem_size = 16;
	in->flags |= EMU_INSN_SSE;
	return EMU_OK;
}

/* Checks and fields that need the ModRM.reg field. */
static enum emu_status check_group(struct emu_ctxt *c, u8 modrm)
{
	struct emu_insn *in = &c->insn;
	unsigned int regf = (modrm >> 3) & 7;

	switch (in->opcode) {
	case 0x80:
	case 0x81:
	case 0x82:
	case 0x83:
		in->alu = (u8)regf;
		in->mem_dst = 1;
		in->has_imm = 1;
		break;
	case 0xc6:
	case 0xc7:
	case 0xf6:
	case 0xf7:
		/* C6/C7 /0 MOV, F6/F7 /0 TEST; the rest are not handled */
		if (regf != 0)
			return EMU_UNHANDLED;
		in->has_imm = 1;
		break;
	default:
		break;
	}
	return EMU_OK;
}

/* Is LOCK allowed: a read-modify-write of the memory destination. */
static bool lockable(const struct emu_insn *in)
{
	if (in->kind == K_XCHG)
		return true;
	return in->kind == K_ALU && in->mem_dst && in->alu != ALU_CMP;
}

static void set_insn_flags(struct emu_insn *in)
{
	switch (in->kind) {
	case K_LOAD:
	case K_TEST:
	case K_SSE_LOAD:
		in->flags |= EMU_INSN_READ;
		break;
	case K_STORE:
	case K_SSE_STORE:
		in->flags |= EMU_INSN_WRITE;
		break;
	case K_STOS:
		in->flags |= EMU_INSN_WRITE | EMU_INSN_STRING;
		break;
	case K_MOVS:
		in->flags |= EMU_INSN_READ | EMU_INSN_WRITE | EMU_INSN_STRING |
			     EMU_INSN_TWO_MEM;
		break;
	case K_CMPS:
		in->flags |= EMU_INSN_READ | EMU_INSN_STRING | EMU_INSN_TWO_MEM;
		break;
	case K_LODS:
	case K_SCAS:
		in->flags |= EMU_INSN_READ | EMU_INSN_STRING;
		break;
	case K_ALU:
		in->flags |= EMU_INSN_READ;
		if (in->mem_dst && in->alu != ALU_CMP)
			in->flags |= EMU_INSN_WRITE;
		break;
	default:
		in->flags |= EMU_INSN_READ | EMU_INSN_WRITE;
		break;
	}
	if (in->rep && (in->flags & EMU_INSN_STRING))
		in->flags |= EMU_INSN_REP;
}

static u64 next_rip(const struct emu_ctxt *c)
{
	u64 rip = c->rip + c->insn.len;

	if (c->mode == 16)
		return rip & 0xffff;
	if (c->mode == 32)
		return rip & 0xffffffffULL;
	return rip;
}

enum emu_status emu_decode(struct emu_ctxt *c, const u8 *bytes,
			   unsigned int avail)
{
	struct emu_insn *in = &c->insn;
	struct fetch f = { bytes, avail, 0 };
	struct memop m = { -1, -1, 0, 0, false, EMU_SEG_DS };
	bool op66 = false, ad67 = false, lock = false, modrm_needed;
	int seg_override = -1;
	unsigned int immsize, i;
	enum emu_status st;
	u8 modrm = 0;
	u64 v, ea, amask;

	memset(in, 0, sizeof(*in));
	c->state = S_IDLE;
	c->step = 0;
	c->exc_vector = 0;
	c->exc_has_error = 0;
	c->exc_error_code = 0;
	c->exc_addr = 0;
	c->exc_write = 0;
	if (c->mode != 16 && c->mode != 32 && c->mode != 64)
		return EMU_BAD_CALL;
	if (!bytes)
		f.avail = 0;
	if (f.avail > EMU_MAX_INSN_LEN)
		f.avail = EMU_MAX_INSN_LEN;

	/* Prefixes: each takes a byte, so fetch() ends this after 15. */
	for (i = 0; i <= EMU_MAX_INSN_LEN; i++) {
		st = fetch(c, &f, 1, &v);
		if (st != EMU_OK)
			return st;
		switch (v) {
		case 0x66:
			op66 = true;
			break;
		case 0x67:
			ad67 = true;
			break;
		case 0xf0:
			lock = true;
			break;
		case 0xf2:
		case 0xf3:
			in->rep = (u8)v;
			break;
		case 0x26:
			seg_override = EMU_SEG_ES;
			break;
		case 0x2e:
			seg_override = EMU_SEG_CS;
			break;
		case 0x36:
			seg_override = EMU_SEG_SS;
			break;
		case 0x3e:
			seg_override = EMU_SEG_DS;
			break;
		case 0x64:
			seg_override = EMU_SEG_FS;
			break;
		case 0x65:
			seg_override = EMU_SEG_GS;
			break;
		case 0x40 ... 0x4f:
			if (c->mode == 64) {
				in->rex = (u8)v;
				continue;	/* counts only if last */
			}
			goto opcode;
		default:
			goto opcode;
		}
		in->rex = 0;	/* a legacy prefix after REX cancels it */
	}
	return raise_exc(c, EMU_VEC_GP, true, 0);	/* not reached */

opcode:
	in->opcode = (u16)v;
	if (v == 0x0f) {
		st = fetch(c, &f, 1, &v);
		if (st != EMU_OK)
			return st;
		in->opcode = (u16)(0x0f00 | v);
	}

	if (c->mode == 64)
		in->opsize = (in->rex & 8) ? 8 : op66 ? 2 : 4;
	else
		in->opsize = (c->mode == 32) != op66 ? 4 : 2;
	if (c->mode == 64)
		in->addrsize = ad67 ? 4 : 8;
	else
		in->addrsize = (c->mode == 32) != ad67 ? 4 : 2;
	amask = size_mask(in->addrsize);

	st = classify(c, op66, &modrm_needed, &immsize);
	if (st != EMU_OK)
		return st;

	if (modrm_needed) {
		st = fetch(c, &f, 1, &v);
		if (st != EMU_OK)
			return st;
		modrm = (u8)v;
		if ((modrm >> 6) == 3)
			return EMU_UNHANDLED;	/* no memory operand */
		in->reg = (u8)(((modrm >> 3) & 7) | ((in->rex & 4) << 1));
		st = check_group(c, modrm);
		if (st != EMU_OK)
			return st;
		if (in->addrsize == 2)
			st = decode_mem16(c, &f, modrm, &m);
		else
			st = decode_mem32(c, &f, modrm, &m);
		if (st != EMU_OK)
			return st;
	}

	if (immsize) {
		st = fetch(c, &f, immsize, &v);
		if (st != EMU_OK)
			return st;
		in->imm = immsize < in->opsize ? sign_extend(v, immsize) : v;
	}
	in->len = (u8)f.pos;

	if (lock) {
		in->flags |= EMU_INSN_LOCK;
		if (!lockable(in))
			return raise_exc(c, EMU_VEC_UD, false, 0);
	}

	/* The memory operand's address. */
	switch (in->kind) {
	case K_STOS:
	case K_SCAS:
		/* ES:rDI, which no prefix overrides */
		ea = c->gpr[EMU_RDI] & amask;
		in->seg = EMU_SEG_ES;
		break;
	case K_LODS:
		ea = c->gpr[EMU_RSI] & amask;
		in->seg = seg_override >= 0 ? (u8)seg_override : EMU_SEG_DS;
		break;
	case K_MOVS:
	case K_CMPS:
		ea = c->gpr[EMU_RSI] & amask;
		in->seg = seg_override >= 0 ? (u8)seg_override : EMU_SEG_DS;
		in->dst_ea = c->gpr[EMU_RDI] & amask;
		in->dst_la = linear(c, EMU_SEG_ES, in->dst_ea);
		break;
	default:
		if (!modrm_needed) {
			ea = in->imm & amask;	/* moffs */
			in->imm = 0;
		} else if (m.riprel) {
			ea = (c->rip + in->len + m.disp) & amask;
		} else {
			ea = m.disp;
			if (m.base >= 0)
				ea += c->gpr[m.base];
			if (m.index >= 0)
				ea += c->gpr[m.index] << m.scale;
			ea &= amask;
		}
		in->seg = seg_override >= 0 ? (u8)seg_override : m.seg;
		break;
	}
	in->ea = ea;
	in->la = linear(c, in->seg, ea);
	if (in->kind == K_STOS || in->kind == K_SCAS) {
		in->dst_ea = in->ea;
		in->dst_la = in->la;
	}

	set_insn_flags(in);
	c->state = S_DECODED;
	return EMU_OK;
}

/* ---- emulation ---- */

static u8 parity_even(u64 r)
{
	u8 b = (u8)r;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

/*
 * a op b at size bytes; returns the result and sets *flags to the new
 * CF PF AF ZF SF OF (the other RFLAGS bits are not in *flags).
 */
static u64 alu(unsigned int op, u64 a, u64 b, unsigned int size,
	       u64 rflags, u64 *flags)
{
	u64 m = size_mask(size), sign = 1ULL << (8 * size - 1);
	u64 r, cin, cf = 0, of = 0, af = 0;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		cin = op == ALU_ADC && (rflags & EMU_FLAG_CF);
		r = (a + b + cin) & m;
		cf = ((a & b) | ((a | b) & ~r)) & sign;
		of = ~(a ^ b) & (a ^ r) & sign;
		af = (a ^ b ^ r) & 0x10;
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		cin = op == ALU_SBB && (rflags & EMU_FLAG_CF);
		r = (a - b - cin) & m;
		cf = ((~a & b) | (~(a ^ b) & r)) & sign;
		of = (a ^ b) & (a ^ r) & sign;
		af = (a ^ b ^ r) & 0x10;
		break;
	case ALU_OR:
		r = a | b;
		break;
	case ALU_AND:
		r = a & b;
		break;
	default:
		r = a ^ b;
		break;
	}
	*flags = (cf ? EMU_FLAG_CF : 0) | (parity_even(r) ? EMU_FLAG_PF : 0) |
		 (af ? EMU_FLAG_AF : 0) | (r ? 0 : EMU_FLAG_ZF) |
		 ((r & sign) ? EMU_FLAG_SF : 0) | (of ? EMU_FLAG_OF : 0);
	return r;
}

static void set_flags(struct emu_ctxt *c, u64 flags)
{
	c->rflags = (c->rflags & ~EMU_FLAGS_ARITH) | (flags & EMU_FLAGS_ARITH);
}

static enum emu_status req_access(struct emu_ctxt *c, u64 la,
				  unsigned int size, bool write, u64 val)
{
	memset(&c->access, 0, sizeof(c->access));
	c->access.la = la;
	c->access.size = (u8)size;
	c->access.write = write;
	c->access.piece = c->insn.mem_size == 16 ? c->step : 0;
	if (write)
		store_le(c->access.data, size, val);
	c->state = S_ACCESS;
	return EMU_ACCESS;
}

static enum emu_status finish(struct emu_ctxt *c)
{
	c->rip = next_rip(c);
	c->state = S_IDLE;
	return EMU_DONE;
}

/* The second 8 bytes of a 16-byte operand. */
static u64 high_la(const struct emu_ctxt *c)
{
	u64 la = c->insn.la + 8;

	return c->mode == 64 ? la : la & 0xffffffffULL;
}

/* The source operand of an ALU/TEST/XCHG/STORE: imm or register. */
static u64 src_val(const struct emu_ctxt *c)
{
	const struct emu_insn *in = &c->insn;

	return in->has_imm ? in->imm : get_reg(c, in->reg, in->opsize);
}

/*
 * A string element is done: step rSI and rDI (those the instruction
 * uses) by the operand size, downwards with DF; under REP count it in
 * rCX and leave RIP on the instruction while elements remain.  REPE
 * (F3) and REPNE (F2) CMPS and SCAS also end when the element just
 * compared leaves ZF 0 and 1 respectively (SDM Vol. 2B, REP/REPE/REPNE:
 * the count is tested before ZF, and both after the element).  The
 * other string instructions take F2 as REP.
 */
static enum emu_status string_done(struct emu_ctxt *c)
{
	struct emu_insn *in = &c->insn;
	u64 delta = (c->rflags & EMU_FLAG_DF) ? -(u64)in->opsize : in->opsize;
	bool zf, repe = in->rep == 0xf3;

	if (in->kind != K_STOS && in->kind != K_SCAS)
		set_addr_reg(c, EMU_RSI, c->gpr[EMU_RSI] + delta);
	if (in->kind != K_LODS)
		set_addr_reg(c, EMU_RDI, c->gpr[EMU_RDI] + delta);
	if (in->flags & EMU_INSN_REP) {
		set_addr_reg(c, EMU_RCX, c->gpr[EMU_RCX] - 1);
		if (!(c->gpr[EMU_RCX] & size_mask(in->addrsize)))
			return finish(c);
		if (in->kind == K_CMPS || in->kind == K_SCAS) {
			zf = c->rflags & EMU_FLAG_ZF;
			if (zf != repe)
				return finish(c);
		}
		c->state = S_IDLE;
		return EMU_DONE;	/* RIP stays: next element */
	}
	return finish(c);
}

/*
 * CMPS: c->val[0] is the source operand (seg:rSI), c->val[1] the
 * destination (ES:rDI).  The one in RAM is read first, so that a #PF on
 * it comes before any MMIO access has been made; with both in MMIO the
 * source is read first, as the SDM lists the operands.
 */
static enum emu_status cmps_start(struct emu_ctxt *c)
{
	const struct emu_ops *ops = c->ops;
	struct emu_insn *in = &c->insn;
	bool src_mmio = c->movs_mmio == EMU_MOVS_SRC;
	u8 buf[8];
	u64 la;

	if (c->movs_mmio == EMU_MOVS_BOTH)
		return req_access(c, in->la, in->mem_size, false, 0);
	if (c->movs_mmio != EMU_MOVS_SRC && c->movs_mmio != EMU_MOVS_DST)
		return EMU_UNHANDLED;
	if (!ops || !ops->read_mem)
		return EMU_UNHANDLED;
	la = src_mmio ? in->dst_la : in->la;
	memset(buf, 0, sizeof(buf));
	if (ops->read_mem(c->opaque, la, buf, in->mem_size))
		return raise_pf(c, la, false);
	c->val[src_mmio] = load_le(buf, in->mem_size);
	return req_access(c, src_mmio ? in->la : in->dst_la, in->mem_size,
			  false, 0);
}

/* CMPS: an MMIO operand v has been read. */
static enum emu_status cmps_read_done(struct emu_ctxt *c, u64 v)
{
	struct emu_insn *in = &c->insn;
	u64 flags;

	if (c->movs_mmio == EMU_MOVS_BOTH && c->step == 0) {
		c->val[0] = v;
		c->step = 1;
		return req_access(c, in->dst_la, in->mem_size, false, 0);
	}
	c->val[c->movs_mmio != EMU_MOVS_SRC] = v;
	alu(ALU_SUB, c->val[0], c->val[1], in->opsize, c->rflags, &flags);
	set_flags(c, flags);
	return string_done(c);
}

enum emu_status emu_start(struct emu_ctxt *c)
{
	const struct emu_ops *ops = c->ops;
	struct emu_insn *in = &c->insn;
	u8 buf[16];

	if (c->state != S_DECODED)
		return EMU_BAD_CALL;
	c->state = S_IDLE;
	c->step = 0;
	c->val[0] = 0;
	c->val[1] = 0;

	if ((in->flags & EMU_INSN_REP) &&
	    !(c->gpr[EMU_RCX] & size_mask(in->addrsize)))
		return finish(c);	/* REP with a zero count: no access */

	switch (in->kind) {
	case K_LOAD:
	case K_ALU:
	case K_TEST:
	case K_XCHG:
		return req_access(c, in->la, in->mem_size, false, 0);
	case K_STORE:
		return req_access(c, in->la, in->mem_size, true, src_val(c));
	case K_STOS:
		return req_access(c, in->la, in->mem_size, true,
			      get_reg(c, EMU_RAX, in->opsize));
	case K_LODS:
	case K_SCAS:
		return req_access(c, in->la, in->mem_size, false, 0);
	case K_CMPS:
		return cmps_start(c);
	case K_MOVS:
		if (c->movs_mmio == EMU_MOVS_BOTH)
			return req_access(c, in->la, in->mem_size, false, 0);
		if (c->movs_mmio == EMU_MOVS_SRC) {
			if (!ops || !ops->write_mem)
				return EMU_UNHANDLED;
			return req_access(c, in->la, in->mem_size, false, 0);
		}
		if (c->movs_mmio != EMU_MOVS_DST || !ops || !ops->read_mem)
			return EMU_UNHANDLED;
		memset(buf, 0, sizeof(buf));
		if (ops->read_mem(c->opaque, in->la, buf, in->mem_size))
			return raise_pf(c, in->la, false);
		return req_access(c, in->dst_la, in->mem_size, true,
			      load_le(buf, in->mem_size));
	case K_SSE_LOAD:
	case K_SSE_STORE:
		if (in->aligned && (in->la & 15))
			return raise_exc(c, EMU_VEC_GP, true, 0);
		if (in->kind == K_SSE_LOAD) {
			if (!ops || !ops->set_xmm)
				return EMU_UNHANDLED;
			return req_access(c, in->la, 8, false, 0);
		}
		if (!ops || !ops->get_xmm)
			return EMU_UNHANDLED;
		memset(buf, 0, sizeof(buf));
		ops->get_xmm(c->opaque, in->reg & 15, buf);
		c->val[0] = load_le(buf, 8);
		c->val[1] = load_le(buf + 8, 8);
		return req_access(c, in->la, 8, true, c->val[0]);
	default:
		return EMU_UNHANDLED;
	}
}

/* ALU or TEST: the memory value v has been read. */
static enum emu_status alu_read_done(struct emu_ctxt *c, u64 v)
{
	struct emu_insn *in = &c->insn;
	unsigned int op = in->kind == K_TEST ? ALU_AND : in->alu;
	u64 a, b, r, flags;

	if (in->mem_dst || in->kind == K_TEST) {
		a = v;
		b = src_val(c);
	} else {
		a = get_reg(c, in->reg, in->opsize);
		b = v;
	}
	r = alu(op, a, b, in->opsize, c->rflags, &flags);
	if (in->kind == K_TEST || op == ALU_CMP) {
		set_flags(c, flags);
		return finish(c);
	}
	if (in->mem_dst) {
		c->val[1] = flags;
		c->step = 1;
		return req_access(c, in->la, in->mem_size, true, r);
	}
	set_reg(c, in->reg, in->opsize, r);
	set_flags(c, flags);
	return finish(c);
}

enum emu_status emu_complete(struct emu_ctxt *c, const void *data)
{
	const struct emu_ops *ops = c->ops;
	struct emu_insn *in = &c->insn;
	u8 buf[16];
	u64 v = 0, flags;

	if (c->state != S_ACCESS)
		return EMU_BAD_CALL;
	if (!c->access.write) {
		if (!data)
			return EMU_BAD_CALL;
		v = load_le(data, c->access.size);
	}
	c->state = S_IDLE;

	switch (in->kind) {
	case K_LOAD:
		if (in->sext)
			v = sign_extend(v, in->mem_size);
		set_reg(c, in->reg, in->opsize, v);
		return finish(c);
	case K_STORE:
		return finish(c);
	case K_ALU:
	case K_TEST:
		if (c->step == 0)
			return alu_read_done(c, v);
		set_flags(c, c->val[1]);
		return finish(c);
	case K_XCHG:
		if (c->step == 0) {
			c->val[0] = v;
			c->step = 1;
			return req_access(c, in->la, in->mem_size, true,
				      get_reg(c, in->reg, in->opsize));
		}
		set_reg(c, in->reg, in->opsize, c->val[0]);
		return finish(c);
	case K_STOS:
		return string_done(c);
	case K_LODS:
		set_reg(c, EMU_RAX, in->opsize, v);
		return string_done(c);
	case K_SCAS:
		alu(ALU_SUB, get_reg(c, EMU_RAX, in->opsize), v, in->opsize,
		    c->rflags, &flags);
		set_flags(c, flags);
		return string_done(c);
	case K_CMPS:
		return cmps_read_done(c, v);
	case K_MOVS:
		if (c->movs_mmio == EMU_MOVS_BOTH && c->step == 0) {
			c->step = 1;
			return req_access(c, in->dst_la, in->mem_size, true, v);
		}
		if (c->movs_mmio == EMU_MOVS_SRC) {
			store_le(buf, in->mem_size, v);
			if (ops->write_mem(c->opaque, in->dst_la, buf,
					   in->mem_size))
				return raise_pf(c, in->dst_la, true);
		}
		return string_done(c);
	case K_SSE_LOAD:
		if (c->step == 0) {
			c->val[0] = v;
			c->step = 1;
			return req_access(c, high_la(c), 8, false, 0);
		}
		store_le(buf, 8, c->val[0]);
		store_le(buf + 8, 8, v);
		ops->set_xmm(c->opaque, in->reg & 15, buf);
		return finish(c);
	case K_SSE_STORE:
		if (c->step == 0) {
			c->step = 1;
			return req_access(c, high_la(c), 8, true, c->val[1]);
		}
		return finish(c);
	default:
		return EMU_BAD_CALL;
	}
}

void emu_init(struct emu_ctxt *c, unsigned int mode,
	      const struct emu_ops *ops, void *opaque)
{
	memset(c, 0, sizeof(*c));
	c->mode = (u8)mode;
	c->ops = ops;
	c->opaque = opaque;
}

const char *emu_status_name(enum emu_status st)
{
	switch (st) {
	case EMU_OK:
		return "ok";
	case EMU_ACCESS:
		return "access";
	case EMU_DONE:
		return "done";
	case EMU_NEED_MORE:
		return "need more bytes";
	case EMU_UNHANDLED:
		return "unhandled";
	case EMU_EXCEPTION:
		return "exception";
	case EMU_BAD_CALL:
		return "bad call";
	}
	return "?";
}
