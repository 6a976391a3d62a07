// SPDX-License-Identifier: GPL-2.0
/*
 * mmio64: a 64-bit long-mode C guest (ELF64, linked at 1 MiB) that talks
 * to vmmctl's example MMIO device at 0xd0000000 and leaves through the
 * debug-exit port with the device's answer as exit code:
 *
 *	vmmctl run mmio64.elf; echo $?		# 85 = (42 << 1) | 1
 *
 * The device (see vmmctl(8)): +0x00 ID (reads "VMMD"), +0x08 ACC
 * (read/write), +0x10 ADD (a write adds to ACC), +0x18 COUNT (accesses
 * so far).
 */
#include "guest.h"

#define DEMO_MMIO	0xd0000000UL
#define DEMO_ID		0x444d4d56U	/* "VMMD" little endian */

static inline u32 mmio_read32(unsigned long off)
{
	return *(volatile u32 *)(DEMO_MMIO + off);
}

static inline u64 mmio_read64(unsigned long off)
{
	return *(volatile u64 *)(DEMO_MMIO + off);
}

static inline void mmio_write64(unsigned long off, u64 v)
{
	*(volatile u64 *)(DEMO_MMIO + off) = v;
}

void cmain(void)
{
	u32 id;
	u64 acc;

	puts("mmio64: hello from 64-bit long mode\n");
	id = mmio_read32(0x00);
	puts("mmio64: device id ");
	puthex(id);
	puts(id == DEMO_ID ? " (VMMD)\n" : " (unexpected)\n");
	if (id != DEMO_ID)
		debug_exit(0x7f);
	mmio_write64(0x08, 40);
	mmio_write64(0x10, 2);
	acc = mmio_read64(0x08);
	puts("mmio64: 40 + 2 = ");
	putu(acc);
	puts(", exiting with it\n");
	debug_exit((u32)acc);
}

/* The loader sets RSP; keep the ABI's 16-byte alignment at the call. */
__asm__(".pushsection .text.start, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	and $-16, %rsp\n"
	"	call cmain\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n");
