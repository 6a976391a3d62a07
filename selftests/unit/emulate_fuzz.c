// SPDX-License-Identifier: GPL-2.0
/*
 * emulate_fuzz: fuzz target for the MMIO instruction emulator
 * (kmod/emulate.c).  Each input chooses the mode, the MOVS/CMPS sides,
 * RFLAGS, the register values, up to 15 instruction bytes and how many of
 * them are available, and the data returned by every read; the input is run
 * through emu_decode/emu_start/emu_complete and the invariants of the
 * API are checked (abort() on a violation).
 *
 * Built with clang -fsanitize=fuzzer,address,undefined it is a libFuzzer
 * target.  Built with -DEMU_FUZZ_STANDALONE (any compiler; use
 * -fsanitize=address,undefined) it has its own main():
 *	emulate_fuzz_standalone [N]		N random inputs (fixed seed)
 *	emulate_fuzz_standalone FILE|DIR...	run these inputs
 *
 * Input layout: [0] mode/MOVS-CMPS sides/ops, [1] RFLAGS bits, [2]
 * available instruction bytes, [3..18] one byte per GPR, [19..33]
 * instruction bytes, then 8 bytes of data per read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulate.h"

#define HDR_LEN		19
#define INSN_OFF	HDR_LEN
#define DATA_OFF	(HDR_LEN + EMU_MAX_INSN_LEN)

#define RAM_LA		0x80000ULL
#define RAM_SIZE	0x1000

struct fuzz_env {
	u8 ram[RAM_SIZE];
	u8 xmm[16][16];
};

static struct fuzz_env fenv;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "emulate_fuzz: %s:%d: %s\n", __FILE__,	\
			__LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static int f_read_mem(void *opaque, u64 la, void *buf, unsigned int len)
{
	struct fuzz_env *e = opaque;

	CHECK(e == &fenv && buf);
	CHECK(len == 1 || len == 2 || len == 4 || len == 8);
	if (la - RAM_LA >= RAM_SIZE ||
	    RAM_SIZE - (la - RAM_LA) < len)
		return -1;
	memcpy(buf, e->ram + (la - RAM_LA), len);
	return 0;
}

static int f_write_mem(void *opaque, u64 la, const void *buf,
		       unsigned int len)
{
	struct fuzz_env *e = opaque;

	CHECK(e == &fenv && buf);
	CHECK(len == 1 || len == 2 || len == 4 || len == 8);
	if (la - RAM_LA >= RAM_SIZE ||
	    RAM_SIZE - (la - RAM_LA) < len)
		return -1;
	memcpy(e->ram + (la - RAM_LA), buf, len);
	return 0;
}

static void f_get_xmm(void *opaque, unsigned int reg, u8 *val)
{
	struct fuzz_env *e = opaque;

	CHECK(e == &fenv && reg < 16);
	memcpy(val, e->xmm[reg], 16);
}

static void f_set_xmm(void *opaque, unsigned int reg, const u8 *val)
{
	struct fuzz_env *e = opaque;

	CHECK(e == &fenv && reg < 16);
	memcpy(e->xmm[reg], val, 16);
}

static const struct emu_ops fuzz_ops = {
	.read_mem = f_read_mem,
	.write_mem = f_write_mem,
	.get_xmm = f_get_xmm,
	.set_xmm = f_set_xmm,
};

static const u64 interesting[8] = {
	0, 0x1000, 0xfff0, 0xfffffff0ULL, 0x7ffffffffffffff0ULL,
	0xfffffffffffffff0ULL, RAM_LA, 0xffff,
};

static u8 in_byte(const u8 *data, size_t size, size_t i)
{
	return i < size ? data[i] : 0;
}

static void run_one(const u8 *data, size_t size)
{
	static const unsigned int modes[3] = { 16, 32, 64 };
	u64 gpr0[EMU_NR_GPRS], rip0, rflags0, next;
	u8 insn[EMU_MAX_INSN_LEN], rd[8];
	unsigned int i, avail, steps;
	size_t dpos = DATA_OFF;
	struct emu_ctxt c, c2;
	enum emu_status st;
	u8 h0 = in_byte(data, size, 0), h1 = in_byte(data, size, 1);

	emu_init(&c, modes[h0 % 3], (h0 / 12) & 1 ? NULL : &fuzz_ops, &fenv);
	c.movs_mmio = (u8)((h0 / 3) % 4);
	c.rflags = 0x2 | (h1 & 1 ? EMU_FLAG_CF : 0) |
		   (h1 & 2 ? EMU_FLAG_PF : 0) | (h1 & 4 ? EMU_FLAG_AF : 0) |
		   (h1 & 8 ? EMU_FLAG_ZF : 0) | (h1 & 16 ? EMU_FLAG_SF : 0) |
		   (h1 & 32 ? EMU_FLAG_DF : 0) | (h1 & 64 ? EMU_FLAG_OF : 0);
	for (i = 0; i < EMU_NR_GPRS; i++) {
		u8 b = in_byte(data, size, 3 + i);

		c.gpr[i] = interesting[b & 7] + (b >> 3);
	}
	for (i = 0; i < EMU_NR_SEGS; i++)
		c.seg_base[i] = (u64)i << 16;
	c.rip = (h1 & 0x80) ? 0xfffffffffffffff8ULL : 0x1000;
	for (i = 0; i < EMU_MAX_INSN_LEN; i++)
		insn[i] = in_byte(data, size, INSN_OFF + i);
	avail = in_byte(data, size, 2) % (EMU_MAX_INSN_LEN + 2);
	if (size < INSN_OFF + avail)
		avail = size > INSN_OFF ? (unsigned int)(size - INSN_OFF) : 0;
	if (avail > EMU_MAX_INSN_LEN)
		avail = EMU_MAX_INSN_LEN;

	memcpy(gpr0, c.gpr, sizeof(gpr0));
	rip0 = c.rip;
	rflags0 = c.rflags;

	st = emu_decode(&c, insn, avail);
	c2 = c;
	CHECK(emu_decode(&c2, insn, avail) == st);	/* deterministic */
	CHECK(st == EMU_OK || st == EMU_NEED_MORE || st == EMU_UNHANDLED ||
	      st == EMU_EXCEPTION);
	CHECK(!memcmp(c.gpr, gpr0, sizeof(gpr0)) && c.rip == rip0 &&
	      c.rflags == rflags0);
	if (st == EMU_EXCEPTION)
		CHECK(c.exc_vector == EMU_VEC_GP || c.exc_vector == EMU_VEC_UD);
	if (st != EMU_OK)
		return;
	CHECK(c.insn.len >= 1 && c.insn.len <= avail);
	CHECK(c.insn.mem_size == 1 || c.insn.mem_size == 2 ||
	      c.insn.mem_size == 4 || c.insn.mem_size == 8 ||
	      c.insn.mem_size == 16);
	CHECK(c.insn.addrsize == 2 || c.insn.addrsize == 4 ||
	      c.insn.addrsize == 8);
	if (c.mode != 64)
		CHECK(c.insn.la <= 0xffffffffULL && c.insn.addrsize != 8);

	st = emu_start(&c);
	for (steps = 0; st == EMU_ACCESS; steps++) {
		CHECK(steps < 3);
		CHECK(c.access.size == 1 || c.access.size == 2 ||
		      c.access.size == 4 || c.access.size == 8);
		CHECK(c.access.size <= c.insn.mem_size);
		CHECK(!memcmp(c.gpr, gpr0, sizeof(gpr0)) && c.rip == rip0 &&
		      c.rflags == rflags0);
		for (i = 0; i < 8; i++)
			rd[i] = in_byte(data, size, dpos++);
		st = emu_complete(&c, c.access.write && (rd[0] & 1) ? NULL : rd);
	}
	CHECK(st == EMU_DONE || st == EMU_EXCEPTION || st == EMU_UNHANDLED);
	CHECK(emu_complete(&c, rd) == EMU_BAD_CALL);
	CHECK(emu_start(&c) == EMU_BAD_CALL);
	if (st != EMU_DONE) {
		CHECK(!memcmp(c.gpr, gpr0, sizeof(gpr0)) && c.rip == rip0 &&
		      c.rflags == rflags0);
		return;
	}
	next = rip0 + c.insn.len;
	if (c.mode == 16)
		next &= 0xffff;
	else if (c.mode == 32)
		next &= 0xffffffffULL;
	CHECK(c.rip == next ||
	      (c.rip == rip0 && (c.insn.flags & EMU_INSN_REP)));
	/* Only the arithmetic flags may change; no string but SCAS/CMPS. */
	CHECK(!((c.rflags ^ rflags0) & ~EMU_FLAGS_ARITH));
	if ((c.insn.flags & EMU_INSN_STRING) && (c.insn.opcode & 0xfe) != 0xa6 &&
	    (c.insn.opcode & 0xfe) != 0xae)
		CHECK(c.rflags == rflags0);
	if (c.mode != 64)
		for (i = 8; i < EMU_NR_GPRS; i++)
			CHECK(c.gpr[i] == gpr0[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_one(data, size);
	return 0;
}

#ifdef EMU_FUZZ_STANDALONE
#include <dirent.h>
#include <sys/stat.h>

static u64 rng = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Opcodes the emulator handles, to start instructions with more often. */
static const u8 hot[] = {
	0x01, 0x03, 0x08, 0x0b, 0x21, 0x29, 0x31, 0x39, 0x3b, 0x63, 0x80,
	0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0xa0,
	0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad,
	0xae, 0xaf, 0xc6, 0xc7, 0xf6, 0xf7,
	0x0f, 0x66, 0x67, 0xf3, 0xf2, 0xf0, 0x48, 0x41, 0x64, 0x65,
};
static const u8 hot0f[] = {
	0x10, 0x11, 0x28, 0x29, 0x6f, 0x7f, 0xb6, 0xb7, 0xbe, 0xbf,
};

static int run_file(const char *path)
{
	u8 buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	run_one(buf, n);
	return 0;
}

static int run_path(const char *path)
{
	char sub[4096];
	struct dirent *de;
	struct stat sb;
	int err = 0;
	DIR *d;

	if (stat(path, &sb)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(sb.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (!stat(sub, &sb) && S_ISREG(sb.st_mode))
			err |= run_file(sub);
	}
	closedir(d);
	return err;
}

int main(int argc, char **argv)
{
	unsigned long long iters = 200000, it;
	u8 buf[64];
	size_t len, i;
	char *end;
	int err = 0;

	if (argc > 1) {
		it = strtoull(argv[1], &end, 0);
		if (argc == 2 && *end == 0) {
			iters = it;
		} else {
			for (i = 1; i < (size_t)argc; i++)
				err |= run_path(argv[i]);
			return err;
		}
	}
	for (it = 0; it < iters; it++) {
		len = (size_t)(rnd() % sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = (u8)rnd();
		/* Bias the instruction towards what the emulator handles. */
		if (len > INSN_OFF + 2 && (rnd() & 3)) {
			unsigned int at = INSN_OFF + (unsigned int)(rnd() % 3);

			buf[at] = hot[rnd() % sizeof(hot)];
			if (buf[at] == 0x0f && at + 1 < len)
				buf[at + 1] = hot0f[rnd() % sizeof(hot0f)];
		}
		if (len > 2 && (rnd() & 1))
			buf[2] = EMU_MAX_INSN_LEN;
		run_one(buf, len);
	}
	printf("emulate_fuzz: %llu inputs, no failure\n", iters);
	return 0;
}
#endif
