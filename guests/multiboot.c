// SPDX-License-Identifier: GPL-2.0
/*
 * multiboot: a Multiboot v1 kernel (ELF32, linked at 1 MiB).  It checks
 * the magic in EAX, prints what the information structure in EBX says
 * (memory, memory map, command line, loader name) over the UART, and
 * exits through the debug-exit port with code 0 (status 1) if all is
 * well, 1 (status 3) otherwise.
 *
 *	vmmctl run -m 16M multiboot.elf
 */
#include "guest.h"

#define MB_HEADER_MAGIC		0x1badb002U
#define MB_BOOTLOADER_MAGIC	0x2badb002U
#define MB_HEADER_FLAGS		0x00000003U	/* page align, memory info */

struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
	u32 mods_count, mods_addr, syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_mmap {
	u32 size;
	u32 base_lo, base_hi, len_lo, len_hi;
	u32 type;
} __attribute__((packed));

__attribute__((section(".multiboot"), used, aligned(4)))
static const u32 mb_header[3] = {
	MB_HEADER_MAGIC, MB_HEADER_FLAGS,
	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS),
};

void cmain(u32 magic, const struct mb_info *mbi)
{
	u32 off, n = 0;

	puts("multiboot: booted, eax ");
	puthex(magic);
	if (magic != MB_BOOTLOADER_MAGIC) {
		puts(" is not the Multiboot magic\n");
		debug_exit(1);
	}
	puts(", info at ");
	puthex((unsigned long)mbi);
	puts("\n");
	if (mbi->flags & 1) {
		puts("multiboot: mem_lower ");
		putu(mbi->mem_lower);
		puts(" KiB, mem_upper ");
		putu(mbi->mem_upper);
		puts(" KiB\n");
	}
	if (mbi->flags & (1 << 6)) {
		for (off = 0; off < mbi->mmap_length; n++) {
			const struct mb_mmap *e =
				(const void *)(unsigned long)(mbi->mmap_addr + off);

			puts("multiboot: mmap ");
			puthex(((u64)e->base_hi << 32) | e->base_lo);
			puts(" +");
			puthex(((u64)e->len_hi << 32) | e->len_lo);
			puts(e->type == 1 ? " available\n" : " reserved\n");
			off += e->size + 4;
		}
	}
	if (mbi->flags & (1 << 2)) {
		puts("multiboot: cmdline \"");
		puts((const char *)(unsigned long)mbi->cmdline);
		puts("\"\n");
	}
	if (mbi->flags & (1 << 9)) {
		puts("multiboot: loader ");
		puts((const char *)(unsigned long)mbi->boot_loader_name);
		puts("\n");
	}
	debug_exit((mbi->flags & 1) && n > 0 ? 0 : 1);
}

/* Multiboot entry: EAX magic, EBX info, flat 32-bit, the stack is ours. */
__asm__(".pushsection .text.start, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	mov $stack_top, %esp\n"
	"	push %ebx\n"
	"	push %eax\n"
	"	call cmain\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 16\n"
	"	.skip 8192\n"
	"stack_top:\n"
	".popsection\n");
