// SPDX-License-Identifier: GPL-2.0
/*
 * loader_test: libvmm's guest loaders on a plain buffer standing for
 * guest memory: flat binaries in each mode, ELF32/ELF64 executables,
 * Multiboot v1 kernels (ELF and a.out kludge) with their information
 * structure, format detection, and every refusal: truncated files,
 * segments outside memory or in the reserved area, overlapping segments,
 * wrong class or machine, unknown Multiboot flags.
 */
#include <elf.h>
#include <stdlib.h>

#include "test_util.h"

#define MEM	(8ULL << 20)

static uint8_t *mem;
static uint8_t img[16384];

static int load(size_t len, const struct vmm_load_params *p,
		struct vmm_boot *b)
{
	int ret = vmm_image_load_mem(mem, MEM, img, len, p, b);

	if (ret)
		tap_diag("refused (%d): %s", ret, b->error);
	return ret;
}

/* An ELF with one or two PT_LOAD segments; returns its length. */
struct seg_spec {
	uint64_t paddr, off, filesz, memsz;
};

static size_t make_elf64(uint16_t machine, uint64_t entry,
			 const struct seg_spec *s, int n)
{
	Elf64_Ehdr *eh = (void *)img;
	Elf64_Phdr *ph = (void *)(img + sizeof(*eh));
	size_t end = 0;

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = (uint16_t)n;
	for (int i = 0; i < n; i++) {
		ph[i].p_type = PT_LOAD;
		ph[i].p_offset = s[i].off;
		ph[i].p_vaddr = s[i].paddr;
		ph[i].p_paddr = s[i].paddr;
		ph[i].p_filesz = s[i].filesz;
		ph[i].p_memsz = s[i].memsz;
		for (uint64_t j = 0; j < s[i].filesz && s[i].off + j < sizeof(img); j++)
			img[s[i].off + j] = (uint8_t)(0xa0 + i);
		if (s[i].off + s[i].filesz > end)
			end = s[i].off + s[i].filesz;
	}
	return end;
}

static size_t make_elf32(uint16_t machine, uint32_t entry,
			 const struct seg_spec *s, int n)
{
	Elf32_Ehdr *eh = (void *)img;
	Elf32_Phdr *ph = (void *)(img + sizeof(*eh));
	size_t end = sizeof(*eh) + n * sizeof(*ph);

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = (uint16_t)n;
	for (int i = 0; i < n; i++) {
		ph[i].p_type = PT_LOAD;
		ph[i].p_offset = (uint32_t)s[i].off;
		ph[i].p_vaddr = (uint32_t)s[i].paddr;
		ph[i].p_paddr = (uint32_t)s[i].paddr;
		ph[i].p_filesz = (uint32_t)s[i].filesz;
		ph[i].p_memsz = (uint32_t)s[i].memsz;
		for (uint64_t j = 0; j < s[i].filesz && s[i].off + j < sizeof(img); j++)
			img[s[i].off + j] = (uint8_t)(0xa0 + i);
		if (s[i].off + s[i].filesz > end)
			end = s[i].off + s[i].filesz;
	}
	return end;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, mem + gpa, 4);
	return v;
}

static void mb_header(size_t off, uint32_t flags)
{
	put32(img + off, VMM_MULTIBOOT_MAGIC);
	put32(img + off + 4, flags);
	put32(img + off + 8, -(VMM_MULTIBOOT_MAGIC + flags));
}

static void test_flat(void)
{
	struct vmm_load_params p = { .format = VMM_IMAGE_FLAT };
	struct vmm_boot b;

	memset(img, 0x90, 512);
	memset(mem, 0, MEM);
	p.flat_mode = VMM_MODE_REAL;
	tap_ok(load(512, &p, &b) == 0 && b.entry == 0x7c00 &&
	       b.mode == VMM_MODE_REAL && mem[0x7c00] == 0x90 &&
	       mem[0x7c00 + 511] == 0x90 && mem[0x7c00 + 512] == 0 &&
	       b.stack_top == 0x10000 && b.low == 0x7c00 && b.high == 0x7e00,
	       "flat real mode: at 0x7c00, stack at the top of its 64 KiB");
	p.flat_mode = VMM_MODE_LONG64;
	tap_ok(load(512, &p, &b) == 0 && b.entry == 0x100000 &&
	       b.mode == VMM_MODE_LONG64 && b.stack_top == VMM_BOOT_STACK_TOP &&
	       mem[0x100000] == 0x90,
	       "flat long mode: at 1 MiB");
	p.flat_mode = VMM_MODE_PROT32;
	p.load_addr = 0x200000;
	tap_ok(load(512, &p, &b) == 0 && b.entry == 0x200000 &&
	       b.mode == VMM_MODE_PROT32, "flat 32-bit at a given address");
	p.load_addr = MEM - 256;
	tap_ok(load(512, &p, &b) == -ERANGE && strstr(b.error, "outside guest memory"),
	       "flat image past the end of memory: -ERANGE");
	p.load_addr = 0x7f000;
	tap_ok(load(8192, &p, &b) == -ERANGE && strstr(b.error, "reserved"),
	       "flat image over the reserved area: -ERANGE");
	p.flat_mode = VMM_MODE_REAL;
	p.load_addr = 0xfff00;
	tap_ok(load(512, &p, &b) == -ERANGE && strstr(b.error, "1 MiB"),
	       "real-mode image crossing 1 MiB: -ERANGE");
	p.load_addr = 0;
	tap_ok(load(0, &p, &b) == -ENOEXEC, "empty image: -ENOEXEC");
	tap_ok(vmm_image_load_mem(mem, 0x10000, img, 16, NULL, &b) == -ERANGE,
	       "guest memory smaller than the reserved area: -ERANGE");
}

static void test_elf(void)
{
	struct vmm_load_params p = { .format = VMM_IMAGE_ELF };
	struct seg_spec s[2] = {
		{ 0x100000, 0x1000, 0x200, 0x400 },
		{ 0x300000, 0x1200, 0x100, 0x100 },
	};
	struct vmm_boot b;
	size_t len;

	memset(mem, 0x55, MEM);
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	tap_ok(vmm_image_detect(img, len) == VMM_IMAGE_ELF, "detect: ELF");
	tap_ok(load(len, &p, &b) == 0 && b.mode == VMM_MODE_LONG64 &&
	       b.entry == 0x100010 && b.format == VMM_IMAGE_ELF &&
	       b.low == 0x100000 && b.high == 0x300100,
	       "ELF64: long mode, entry from e_entry");
	tap_ok(mem[0x100000] == 0xa0 && mem[0x1001ff] == 0xa0 &&
	       mem[0x100200] == 0 && mem[0x1003ff] == 0 &&
	       mem[0x100400] == 0x55 && mem[0x300000] == 0xa1,
	       "ELF64: file bytes copied, bss zeroed, nothing else touched");
	tap_ok(load(0x1100, &p, &b) == -ENOEXEC && strstr(b.error, "truncated"),
	       "ELF64 cut inside a segment: truncated");
	tap_ok(load(40, &p, &b) == -ENOEXEC && strstr(b.error, "truncated"),
	       "ELF64 cut inside the header: truncated");

	len = make_elf64(EM_AARCH64, 0x100010, s, 2);
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "machine"),
	       "ELF64 for another machine: -ENOEXEC");
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	((Elf64_Ehdr *)img)->e_type = ET_DYN;
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "ET_EXEC"),
	       "ELF64 shared object: -ENOEXEC");
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	img[EI_CLASS] = 7;
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "class"),
	       "ELF of unknown class: -ENOEXEC");

	s[1].paddr = 0x100300;
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	tap_ok(load(len, &p, &b) == -EEXIST && strstr(b.error, "overlap"),
	       "overlapping segments: -EEXIST");
	s[1].paddr = MEM - 0x80;
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	tap_ok(load(len, &p, &b) == -ERANGE && strstr(b.error, "outside guest memory"),
	       "segment past the end of memory: -ERANGE");
	s[1].paddr = VMM_BOOT_SCRATCH_GPA;
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	tap_ok(load(len, &p, &b) == -ERANGE && strstr(b.error, "reserved"),
	       "segment on the loader's scratch area: -ERANGE");
	s[1].paddr = 0x300000;
	len = make_elf64(EM_X86_64, 0x500000, s, 2);
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "entry"),
	       "entry point outside the image: -ENOEXEC");
	s[0].filesz = 0x800;
	len = make_elf64(EM_X86_64, 0x100010, s, 2);
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "p_filesz"),
	       "p_filesz > p_memsz: -ENOEXEC");
	s[0].filesz = 0x200;

	len = make_elf32(EM_386, 0x100004, s, 2);
	tap_ok(load(len, &p, &b) == 0 && b.mode == VMM_MODE_PROT32 &&
	       b.entry == 0x100004 && mem[0x300000] == 0xa1,
	       "ELF32: 32-bit protected mode");
	len = make_elf32(EM_X86_64, 0x100004, s, 2);
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "i386"),
	       "ELF32 for x86-64: wrong machine");
	len = make_elf32(EM_386, 0x100004, s, 2);
	((Elf32_Ehdr *)img)->e_phnum = 200;
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "truncated"),
	       "program headers past the end of the file: truncated");
}

static void test_multiboot(void)
{
	struct vmm_load_params p = { .format = VMM_IMAGE_AUTO,
				     .cmdline = "root=/dev/vda quiet" };
	struct seg_spec s[1] = { { 0x100000, 0x1000, 0x800, 0x1000 } };
	struct vmm_boot b;
	uint32_t mmap_len, mmap_addr, info = (uint32_t)VMM_BOOT_INFO_GPA;
	size_t len;

	memset(mem, 0x55, MEM);
	len = make_elf32(EM_386, 0x100000, s, 1);
	mb_header(0x1000 + 0x40, 0x3);
	tap_ok(vmm_image_detect(img, len) == VMM_IMAGE_MULTIBOOT,
	       "detect: Multiboot header inside an ELF");
	tap_ok(load(len, &p, &b) == 0 && b.format == VMM_IMAGE_MULTIBOOT &&
	       b.mode == VMM_MODE_PROT32 && b.set_ab &&
	       b.eax == 0x2badb002 && b.ebx == info && b.entry == 0x100000,
	       "Multiboot ELF: protected mode, EAX magic, EBX info");
	mmap_len = get32(info + 44);
	mmap_addr = get32(info + 48);
	tap_ok((get32(info) & 0x245) == 0x245 && get32(info + 4) == 512 &&
	       get32(info + 8) == (MEM - 0x100000) / 1024,
	       "info: flags, mem_lower 512 KiB, mem_upper = memory above 1 MiB");
	tap_ok(mmap_len == 3 * 24 && get32(mmap_addr) == 20 &&
	       get32(mmap_addr + 24 * 2 + 4) == 0x100000 &&
	       get32(mmap_addr + 24 * 2 + 12) == MEM - 0x100000 &&
	       get32(mmap_addr + 24 * 2 + 20) == 1 &&
	       get32(mmap_addr + 24 + 20) == 2,
	       "info: memory map with low, reserved and high entries");
	tap_ok(!strcmp((char *)mem + get32(info + 16), "root=/dev/vda quiet") &&
	       !strcmp((char *)mem + get32(info + 64), "libvmm"),
	       "info: command line and loader name");

	/* The a.out kludge: header at file offset 0x40, loaded at 2 MiB. */
	memset(img, 0, sizeof(img));
	mb_header(0x40, 0x10003);
	put32(img + 0x4c, 0x200040);	/* header_addr */
	put32(img + 0x50, 0x200000);	/* load_addr */
	put32(img + 0x54, 0x200800);	/* load_end_addr */
	put32(img + 0x58, 0x201000);	/* bss_end_addr */
	put32(img + 0x5c, 0x200060);	/* entry_addr */
	img[0x60] = 0xf4;
	img[0x7ff] = 0xee;
	memset(mem + 0x200800, 0x55, 0x1000);
	tap_ok(load(0x800, &p, &b) == 0 && b.entry == 0x200060 &&
	       mem[0x200060] == 0xf4 && mem[0x2007ff] == 0xee &&
	       mem[0x200800] == 0 && mem[0x200fff] == 0 &&
	       mem[0x201000] == 0x55,
	       "a.out kludge: placed by the header, bss zeroed");
	tap_ok(load(0x400, &p, &b) == -ENOEXEC && strstr(b.error, "truncated"),
	       "a.out kludge with the file cut short: truncated");
	put32(img + 0x5c, 0x400000);
	tap_ok(load(0x800, &p, &b) == -ENOEXEC && strstr(b.error, "entry"),
	       "a.out kludge entry outside the kernel: -ENOEXEC");

	mb_header(0x40, 0x10003 | (1 << 5));
	tap_ok(load(0x800, &p, &b) == -ENOEXEC && strstr(b.error, "unknown"),
	       "unknown required Multiboot flag: -ENOEXEC");
	mb_header(0x40, 0x3);
	tap_ok(load(0x800, &p, &b) == -ENOEXEC,
	       "Multiboot without a.out kludge and not ELF: -ENOEXEC");

	len = make_elf64(EM_X86_64, 0x100000, s, 1);
	mb_header(0x1000, 0x3);
	tap_ok(load(len, &p, &b) == -ENOEXEC && strstr(b.error, "32-bit"),
	       "Multiboot kernel as ELF64: wrong class");

	memset(img, 0, sizeof(img));
	mb_header(8192, 0x10003);
	tap_ok(vmm_image_detect(img, sizeof(img)) == VMM_IMAGE_FLAT,
	       "a header past the first 8 KiB is not found");
	mb_header(0x100, 0x10003);
	put32(img + 0x108, 0x1234);
	tap_ok(vmm_image_detect(img, sizeof(img)) == VMM_IMAGE_FLAT,
	       "a header with a bad checksum is not found");
}

int main(void)
{
	mem = malloc(MEM);
	TEST_ASSERT(mem, "malloc");
	tap_plan(8 + 16 + 13 + 1);
	test_flat();
	test_elf();
	test_multiboot();
	tap_ok(!strcmp(vmm_image_format_name(VMM_IMAGE_MULTIBOOT), "multiboot") &&
	       !strcmp(vmm_image_format_name((enum vmm_image_format)9), "?"),
	       "format names");
	free(mem);
	tap_exit();
}
