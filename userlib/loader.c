// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: guest loaders (flat binaries, ELF executables, Multiboot v1
 * kernels; Linux bzImages in linux.c) and the vCPU start state for what
 * they loaded.
 *
 * Every loader first collects the image's pieces as segments (guest
 * address, bytes from the file, bytes of memory), checks them all (inside
 * guest memory, clear of the reserved area, not overlapping each other)
 * and only then copies them, so a refused image leaves guest memory alone
 * unless the failure comes from the file itself being short.
 */
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MB_SEARCH		8192
#define MB_FLAG_PAGE_ALIGN	(1U << 0)
#define MB_FLAG_MEMORY_INFO	(1U << 1)
#define MB_FLAG_VIDEO_MODE	(1U << 2)
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)
/* Required flags (bits 0-15) this loader can honour. */
#define MB_FLAGS_KNOWN	(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | \
			 MB_FLAG_VIDEO_MODE)

/* Multiboot information flags the loader sets. */
#define MBI_MEM		(1U << 0)
#define MBI_CMDLINE	(1U << 2)
#define MBI_MMAP	(1U << 6)
#define MBI_LOADER_NAME	(1U << 9)

/* Offsets inside the information page at VMM_BOOT_INFO_GPA. */
#define MBI_OFF_MMAP	0x100
#define MBI_OFF_CMDLINE	0x200
#define MBI_CMDLINE_MAX	0xc00
#define MBI_OFF_NAME	0xe00

#define MAX_SEGS	64

struct seg {
	uint64_t gpa;
	uint64_t filesz;
	uint64_t memsz;
	const uint8_t *src;
};

struct load {
	uint8_t *mem;
	uint64_t mem_size;
	const uint8_t *img;
	size_t len;
	struct seg seg[MAX_SEGS];
	unsigned int nseg;
	struct vmm_boot *boot;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct vmm_boot *boot, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(boot->error, sizeof(boot->error), fmt, ap);
	va_end(ap);
	return err;
}

static const char *const format_names[] = {
	[VMM_IMAGE_AUTO]	= "auto",
	[VMM_IMAGE_FLAT]	= "flat",
	[VMM_IMAGE_ELF]		= "elf",
	[VMM_IMAGE_MULTIBOOT]	= "multiboot",
	[VMM_IMAGE_LINUX]	= "linux",
};

const char *vmm_image_format_name(enum vmm_image_format format)
{
	if ((unsigned int)format < sizeof(format_names) / sizeof(format_names[0]))
		return format_names[format];
	return "?";
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

/* Offset of a valid Multiboot header in the first 8 KiB, or -1. */
static long mb_find(const uint8_t *img, size_t len)
{
	size_t end = len < MB_SEARCH ? len : MB_SEARCH;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		uint32_t magic = rd32(img + off);

		if (magic != VMM_MULTIBOOT_MAGIC)
			continue;
		if ((uint32_t)(magic + rd32(img + off + 4) +
			       rd32(img + off + 8)) == 0)
			return (long)off;
	}
	return -1;
}

static bool is_elf(const uint8_t *img, size_t len)
{
	return len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}

enum vmm_image_format vmm_image_detect(const void *image, size_t len)
{
	if (!image)
		return VMM_IMAGE_FLAT;
	/* A bzImage has no Multiboot header and is no ELF: test it first. */
	if (vmm__linux_detect(image, len))
		return VMM_IMAGE_LINUX;
	if (mb_find(image, len) >= 0)
		return VMM_IMAGE_MULTIBOOT;
	if (is_elf(image, len))
		return VMM_IMAGE_ELF;
	return VMM_IMAGE_FLAT;
}

/* ---- segments ---- */

static int seg_add(struct load *l, uint64_t gpa, uint64_t filesz,
		   uint64_t memsz, const uint8_t *src)
{
	if (l->nseg == MAX_SEGS)
		return fail(l->boot, -ENOEXEC, "more than %d segments",
			    MAX_SEGS);
	l->seg[l->nseg++] = (struct seg){ gpa, filesz, memsz, src };
	return 0;
}

/* Check every segment, then copy them; fills boot->low/high. */
static int seg_place(struct load *l)
{
	struct vmm_boot *b = l->boot;
	uint64_t low = UINT64_MAX, high = 0;

	for (unsigned int i = 0; i < l->nseg; i++) {
		const struct seg *s = &l->seg[i];
		uint64_t end = s->gpa + s->memsz;

		if (!s->memsz)
			continue;
		if (end < s->gpa || end > l->mem_size)
			return fail(b, -ERANGE,
				    "segment %u [%#" PRIx64 ", %#" PRIx64
				    ") is outside guest memory (%#" PRIx64
				    " bytes); give the guest more memory",
				    i, s->gpa, end, l->mem_size);
		if (s->gpa < VMM_BOOT_RESERVED_END &&
		    end > VMM_BOOT_RESERVED_START)
			return fail(b, -ERANGE,
				    "segment %u [%#" PRIx64 ", %#" PRIx64
				    ") overlaps the loader's reserved area [%#llx, %#llx)",
				    i, s->gpa, end, VMM_BOOT_RESERVED_START,
				    VMM_BOOT_RESERVED_END);
		for (unsigned int j = 0; j < i; j++) {
			const struct seg *t = &l->seg[j];

			if (t->memsz && s->gpa < t->gpa + t->memsz &&
			    t->gpa < end)
				return fail(b, -EEXIST,
					    "segments %u and %u overlap at %#" PRIx64,
					    j, i,
					    s->gpa > t->gpa ? s->gpa : t->gpa);
		}
		if (s->gpa < low)
			low = s->gpa;
		if (end > high)
			high = end;
	}
	if (high == 0)
		return fail(b, -ENOEXEC, "the image has nothing to load");

	for (unsigned int i = 0; i < l->nseg; i++) {
		const struct seg *s = &l->seg[i];

		if (!s->memsz)
			continue;
		memcpy(l->mem + s->gpa, s->src, s->filesz);
		memset(l->mem + s->gpa + s->filesz, 0, s->memsz - s->filesz);
	}
	b->low = low;
	b->high = high;
	return 0;
}

/* ---- flat ---- */

static int load_flat(struct load *l, const struct vmm_load_params *p)
{
	struct vmm_boot *b = l->boot;
	enum vmm_mode mode = p ? p->flat_mode : VMM_MODE_REAL;
	uint64_t addr = p ? p->load_addr : 0;
	int ret;

	if ((unsigned int)mode >= VMM_MODE_COUNT)
		return fail(b, -EINVAL, "unknown start mode %d", (int)mode);
	if (!addr)
		addr = mode == VMM_MODE_REAL ? VMM_BOOT_FLAT_ADDR_REAL :
					       VMM_BOOT_FLAT_ADDR;
	if (!l->len)
		return fail(b, -ENOEXEC, "the image is empty");
	if (mode == VMM_MODE_REAL && addr + l->len > 0x100000)
		return fail(b, -ERANGE,
			    "a real-mode image must end below 1 MiB (load address %#" PRIx64 ", %zu bytes)",
			    addr, l->len);
	ret = seg_add(l, addr, l->len, l->len, l->img);
	if (!ret)
		ret = seg_place(l);
	if (ret)
		return ret;
	b->format = VMM_IMAGE_FLAT;
	b->mode = mode;
	b->entry = addr;
	return 0;
}

/* ---- ELF ---- */

/* Read the program headers of an ELF image into segments. */
static int load_elf(struct load *l, bool want32)
{
	const uint8_t *img = l->img;
	struct vmm_boot *b = l->boot;
	uint64_t phoff, entry;
	unsigned int phnum, phentsize, cls, machine, type;
	int ret;

	if (!is_elf(img, l->len) || l->len < EI_NIDENT)
		return fail(b, -ENOEXEC, "not an ELF file");
	cls = img[EI_CLASS];
	if (img[EI_DATA] != ELFDATA2LSB)
		return fail(b, -ENOEXEC, "ELF: not little endian");
	if (cls == ELFCLASS32) {
		const Elf32_Ehdr *eh = (const void *)img;

		if (l->len < sizeof(*eh))
			return fail(b, -ENOEXEC, "ELF: truncated header");
		machine = eh->e_machine;
		type = eh->e_type;
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		phentsize = eh->e_phentsize;
		entry = eh->e_entry;
		if (machine != EM_386)
			return fail(b, -ENOEXEC,
				    "ELF: 32-bit file for machine %u, not i386 (%u)",
				    machine, EM_386);
		if (phentsize != sizeof(Elf32_Phdr))
			return fail(b, -ENOEXEC, "ELF: bad e_phentsize %u",
				    phentsize);
	} else if (cls == ELFCLASS64) {
		const Elf64_Ehdr *eh = (const void *)img;

		if (want32)
			return fail(b, -ENOEXEC,
				    "Multiboot: the kernel must be a 32-bit ELF (ELFCLASS32), this one is 64-bit");
		if (l->len < sizeof(*eh))
			return fail(b, -ENOEXEC, "ELF: truncated header");
		machine = eh->e_machine;
		type = eh->e_type;
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		phentsize = eh->e_phentsize;
		entry = eh->e_entry;
		if (machine != EM_X86_64)
			return fail(b, -ENOEXEC,
				    "ELF: 64-bit file for machine %u, not x86-64 (%u)",
				    machine, EM_X86_64);
		if (phentsize != sizeof(Elf64_Phdr))
			return fail(b, -ENOEXEC, "ELF: bad e_phentsize %u",
				    phentsize);
	} else {
		return fail(b, -ENOEXEC, "ELF: unknown class %u", cls);
	}
	if (type != ET_EXEC)
		return fail(b, -ENOEXEC,
			    "ELF: type %u is not an executable (ET_EXEC); link with -static -no-pie",
			    type);
	if (!phnum)
		return fail(b, -ENOEXEC, "ELF: no program headers");
	if (phoff > l->len || (uint64_t)phnum * phentsize > l->len - phoff)
		return fail(b, -ENOEXEC,
			    "ELF: truncated: program headers end past the file (%zu bytes)",
			    l->len);

	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		uint64_t ptype, off, paddr, filesz, memsz;

		if (cls == ELFCLASS32) {
			const Elf32_Phdr *p = (const void *)ph;

			ptype = p->p_type;
			off = p->p_offset;
			paddr = p->p_paddr;
			filesz = p->p_filesz;
			memsz = p->p_memsz;
		} else {
			const Elf64_Phdr *p = (const void *)ph;

			ptype = p->p_type;
			off = p->p_offset;
			paddr = p->p_paddr;
			filesz = p->p_filesz;
			memsz = p->p_memsz;
		}
		if (ptype != PT_LOAD)
			continue;
		if (filesz > memsz)
			return fail(b, -ENOEXEC,
				    "ELF: segment %u has p_filesz > p_memsz", i);
		if (off > l->len || filesz > l->len - off)
			return fail(b, -ENOEXEC,
				    "ELF: truncated: segment %u needs bytes [%#" PRIx64 ", %#" PRIx64 ") of a %zu-byte file",
				    i, off, off + filesz, l->len);
		ret = seg_add(l, paddr, filesz, memsz, img + off);
		if (ret)
			return ret;
	}
	if (!l->nseg)
		return fail(b, -ENOEXEC, "ELF: no PT_LOAD segment");
	ret = seg_place(l);
	if (ret)
		return ret;
	if (entry < b->low || entry >= b->high)
		return fail(b, -ENOEXEC,
			    "ELF: entry point %#" PRIx64 " is outside the loaded image [%#" PRIx64 ", %#" PRIx64 ")",
			    entry, b->low, b->high);
	b->format = VMM_IMAGE_ELF;
	b->mode = cls == ELFCLASS32 ? VMM_MODE_PROT32 : VMM_MODE_LONG64;
	b->entry = entry;
	return 0;
}

/* ---- Multiboot v1 ---- */

static int mb_aout(struct load *l, long hoff)
{
	const uint8_t *h = l->img + hoff;
	struct vmm_boot *b = l->boot;
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
	uint64_t file_off, filesz, memsz;
	int ret;

	if ((size_t)hoff + 32 > l->len)
		return fail(b, -ENOEXEC,
			    "Multiboot: truncated header (a.out kludge fields missing)");
	header_addr = rd32(h + 12);
	load_addr = rd32(h + 16);
	load_end = rd32(h + 20);
	bss_end = rd32(h + 24);
	entry = rd32(h + 28);

	if (load_addr > header_addr ||
	    (uint64_t)header_addr - load_addr > (uint64_t)hoff)
		return fail(b, -ENOEXEC,
			    "Multiboot: header_addr %#x and load_addr %#x do not match the header's file offset %#lx",
			    header_addr, load_addr, hoff);
	file_off = (uint64_t)hoff - (header_addr - load_addr);
	if (load_end == 0) {
		filesz = l->len - file_off;
	} else {
		if (load_end < load_addr)
			return fail(b, -ENOEXEC,
				    "Multiboot: load_end_addr %#x below load_addr %#x",
				    load_end, load_addr);
		filesz = load_end - load_addr;
		if (filesz > l->len - file_off)
			return fail(b, -ENOEXEC,
				    "Multiboot: truncated: the kernel needs %#" PRIx64 " bytes from offset %#" PRIx64 ", the file has %zu",
				    filesz, file_off, l->len);
	}
	memsz = filesz;
	if (bss_end) {
		if (bss_end < load_addr + filesz)
			return fail(b, -ENOEXEC,
				    "Multiboot: bss_end_addr %#x below the end of the loaded data",
				    bss_end);
		memsz = bss_end - load_addr;
	}
	ret = seg_add(l, load_addr, filesz, memsz, l->img + file_off);
	if (!ret)
		ret = seg_place(l);
	if (ret)
		return ret;
	if (entry < b->low || entry >= b->high)
		return fail(b, -ENOEXEC,
			    "Multiboot: entry_addr %#x is outside the kernel [%#" PRIx64 ", %#" PRIx64 ")",
			    entry, b->low, b->high);
	b->entry = entry;
	return 0;
}

static void mb_info(struct load *l, const char *cmdline)
{
	uint8_t *info = l->mem + VMM_BOOT_INFO_GPA;
	uint8_t *mmap = info + MBI_OFF_MMAP;
	uint64_t top = l->mem_size;
	size_t n = 0;
	struct { uint64_t base, len; uint32_t type; } map[3];
	static const char name[] = "libvmm";
	size_t clen = cmdline ? strlen(cmdline) : 0;

	memset(info, 0, 0x1000);
	/* Low memory ends at the reserved area; 640 KiB to 1 MiB is ROM. */
	map[n++] = (typeof(map[0])){ 0, VMM_BOOT_RESERVED_START, 1 };
	map[n++] = (typeof(map[0])){ VMM_BOOT_RESERVED_START,
				     0xa0000 - VMM_BOOT_RESERVED_START, 2 };
	if (top > 0x100000)
		map[n++] = (typeof(map[0])){ 0x100000, top - 0x100000, 1 };

	for (size_t i = 0; i < n; i++) {
		uint8_t *e = mmap + i * 24;

		wr32(e, 20);		/* size of the rest of the entry */
		wr64(e + 4, map[i].base);
		wr64(e + 12, map[i].len);
		wr32(e + 20, map[i].type);
	}
	if (clen >= MBI_CMDLINE_MAX)
		clen = MBI_CMDLINE_MAX - 1;
	memcpy(info + MBI_OFF_CMDLINE, cmdline ? cmdline : "", clen);
	memcpy(info + MBI_OFF_NAME, name, sizeof(name));

	wr32(info + 0, MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME);
	wr32(info + 4, (uint32_t)(VMM_BOOT_RESERVED_START / 1024));
	wr32(info + 8, top > 0x100000 ?
	     (uint32_t)((top - 0x100000) / 1024 > UINT32_MAX ?
			UINT32_MAX : (top - 0x100000) / 1024) : 0);
	wr32(info + 16, (uint32_t)(VMM_BOOT_INFO_GPA + MBI_OFF_CMDLINE));
	wr32(info + 44, (uint32_t)(n * 24));
	wr32(info + 48, (uint32_t)(VMM_BOOT_INFO_GPA + MBI_OFF_MMAP));
	wr32(info + 64, (uint32_t)(VMM_BOOT_INFO_GPA + MBI_OFF_NAME));
}

static int load_multiboot(struct load *l, const struct vmm_load_params *p)
{
	struct vmm_boot *b = l->boot;
	long hoff = mb_find(l->img, l->len);
	uint32_t flags;
	int ret;

	if (hoff < 0)
		return fail(b, -ENOEXEC,
			    "Multiboot: no valid header (magic %#x with checksum) in the first 8 KiB",
			    VMM_MULTIBOOT_MAGIC);
	flags = rd32(l->img + hoff + 4);
	if (flags & 0xffff & ~MB_FLAGS_KNOWN)
		return fail(b, -ENOEXEC,
			    "Multiboot: the kernel requires unknown features (flags %#x)",
			    flags & 0xffff & ~MB_FLAGS_KNOWN);
	if (l->mem_size < VMM_BOOT_RESERVED_END + 0x1000)
		return fail(b, -ERANGE, "Multiboot: guest memory too small");

	if (flags & MB_FLAG_AOUT_KLUDGE)
		ret = mb_aout(l, hoff);
	else if (is_elf(l->img, l->len))
		ret = load_elf(l, true);
	else
		return fail(b, -ENOEXEC,
			    "Multiboot: neither the a.out kludge (flag 16) nor an ELF file");
	if (ret)
		return ret;

	mb_info(l, p ? p->cmdline : NULL);
	b->format = VMM_IMAGE_MULTIBOOT;
	b->mode = VMM_MODE_PROT32;
	b->set_ab = 1;
	b->eax = VMM_MULTIBOOT_BOOTLOADER_MAGIC;
	b->ebx = (uint32_t)VMM_BOOT_INFO_GPA;
	return 0;
}

/* ---- entry points ---- */

int vmm_image_load_mem(void *mem, uint64_t mem_size, const void *image,
		       size_t len, const struct vmm_load_params *p,
		       struct vmm_boot *boot)
{
	enum vmm_image_format fmt = p ? p->format : VMM_IMAGE_AUTO;
	struct load *l;
	int ret;

	if (!boot)
		return -EINVAL;
	memset(boot, 0, sizeof(*boot));
	if (!mem || (!image && len))
		return fail(boot, -EINVAL, "no guest memory or no image");
	if (mem_size < VMM_BOOT_RESERVED_END)
		return fail(boot, -ERANGE,
			    "guest memory (%#" PRIx64 " bytes) must reach past %#llx",
			    mem_size, VMM_BOOT_RESERVED_END);

	l = calloc(1, sizeof(*l));
	if (!l)
		return fail(boot, -ENOMEM, "out of memory");
	l->mem = mem;
	l->mem_size = mem_size;
	l->img = image;
	l->len = len;
	l->boot = boot;
	boot->mem_size = mem_size;

	if (fmt == VMM_IMAGE_AUTO)
		fmt = vmm_image_detect(image, len);
	switch (fmt) {
	case VMM_IMAGE_FLAT:
		ret = load_flat(l, p);
		break;
	case VMM_IMAGE_ELF:
		ret = load_elf(l, false);
		break;
	case VMM_IMAGE_MULTIBOOT:
		ret = load_multiboot(l, p);
		break;
	case VMM_IMAGE_LINUX:
		ret = vmm__linux_load(l->mem, l->mem_size, l->img, l->len, p,
				      boot);
		break;
	default:
		ret = fail(boot, -EINVAL, "unknown image format %d", (int)fmt);
		break;
	}
	free(l);
	if (ret)
		return ret;

	if (boot->mode == VMM_MODE_REAL)
		boot->stack_top = (boot->entry & ~0xffffULL) + 0x10000;
	else
		boot->stack_top = VMM_BOOT_STACK_TOP;
	return 0;
}

int vmm_image_load(struct vmm_vm *vm, const void *image, size_t len,
		   const struct vmm_load_params *p, struct vmm_boot *boot)
{
	const struct vmm_slot *s;

	if (!vm || !boot)
		return -EINVAL;
	s = vmm__slot_at(vm, 0);
	if (!s || s->gpa != 0) {
		memset(boot, 0, sizeof(*boot));
		return fail(boot, -EFAULT,
			    "the VM has no memory slot at guest-physical 0");
	}
	return vmm_image_load_mem(s->hva, s->size, image, len, p, boot);
}

int vmm_image_load_file(struct vmm_vm *vm, const char *path,
			const struct vmm_load_params *p,
			struct vmm_boot *boot)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, ret;

	if (!vm || !path || !boot)
		return -EINVAL;
	memset(boot, 0, sizeof(*boot));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return fail(boot, ret, "%s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return fail(boot, ret, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > (1ULL << 32)) {
		close(fd);
		return fail(boot, -EFBIG, "%s: larger than 4 GiB", path);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return fail(boot, -ENOMEM, "%s: out of memory", path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return fail(boot, ret, "%s: read failed", path);
		}
		done += (size_t)r;
	}
	close(fd);
	ret = vmm_image_load(vm, buf, done, p, boot);
	if (ret) {
		char msg[sizeof(boot->error)];
		size_t n;

		memcpy(msg, boot->error, sizeof(msg));
		n = (size_t)snprintf(boot->error, sizeof(boot->error), "%.*s: ",
				     (int)(sizeof(boot->error) / 2), path);
		if (n < sizeof(boot->error))
			snprintf(boot->error + n, sizeof(boot->error) - n,
				 "%s", msg);
	}
	free(buf);
	return ret;
}

/*
 * The boot protocol wants CS = __BOOT_CS (0x10) and DS = ES = SS =
 * __BOOT_DS (0x18), flat code and data in a loaded GDT; older 32-bit
 * kernels reload SS from __BOOT_DS before their own GDT is up.  The mode
 * setup's GDT has other selectors, so the Linux start gets its own GDT
 * after it, in the scratch area (the mode setup leaves the GDT's page
 * from +0x40 to the TSS at +0x800 free): null, null, the mode's code
 * descriptor at 0x10, flat data at 0x18, the TSS at 0x20 as before.
 */
#define LINUX_GDT_OFF	0x100

static int linux_segments(struct vmm_vcpu *vcpu)
{
	uint8_t *gdt = vmm_gpa_to_hva(vcpu->vm, VMM_BOOT_SCRATCH_GPA,
				      VMM_SCRATCH_TSS);
	struct vmm_sregs sregs;
	int ret;

	if (!gdt)
		return -EFAULT;
	ret = vmm_vcpu_get_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	memset(gdt + LINUX_GDT_OFF, 0, 0x30);
	memcpy(gdt + LINUX_GDT_OFF + 0x10, gdt + sregs.cs.selector, 8);
	memcpy(gdt + LINUX_GDT_OFF + 0x18, gdt + VMM_SEL_DATA, 8);
	memcpy(gdt + LINUX_GDT_OFF + VMM_SEL_TSS, gdt + VMM_SEL_TSS, 16);
	sregs.gdt.base = VMM_BOOT_SCRATCH_GPA + LINUX_GDT_OFF;
	sregs.gdt.limit = 0x2f;
	sregs.cs.selector = 0x10;
	sregs.ds.selector = sregs.es.selector = sregs.ss.selector = 0x18;
	sregs.fs.selector = sregs.gs.selector = 0x18;
	return vmm_vcpu_set_sregs(vcpu, &sregs);
}

int vmm_vcpu_boot(struct vmm_vcpu *vcpu, const struct vmm_boot *boot)
{
	bool is_linux = boot && boot->format == VMM_IMAGE_LINUX;
	uint64_t rsp;
	struct vmm_regs regs;
	int ret;

	if (!vcpu || !boot)
		return -EINVAL;
	/* Linux starts on the bootstrap processor only (no INIT/SIPI here). */
	if (is_linux && vcpu->id != 0)
		return -EINVAL;
	rsp = boot->stack_top - (uint64_t)vcpu->id * VMM_BOOT_STACK_SIZE;
	ret = vmm_vcpu_setup_mode(vcpu, boot->mode, 0, VMM_BOOT_SCRATCH_GPA,
				  boot->entry, rsp);
	if (ret || (!boot->set_ab && !is_linux))
		return ret;
	ret = vmm_vcpu_get_regs(vcpu, &regs);
	if (ret)
		return ret;
	if (is_linux) {
		/*
		 * The boot protocol's entry state: RSI (ESI) = boot_params,
		 * RBP, RDI and RBX zero (here every other register too),
		 * interrupts off (RFLAGS = 2).
		 */
		struct vmm_regs start = {
			.rip = regs.rip, .rsp = regs.rsp, .rflags = 0x2,
			.rsi = boot->zero_page,
		};

		ret = linux_segments(vcpu);
		if (ret)
			return ret;
		regs = start;
	} else {
		regs.rax = boot->eax;
		regs.rbx = boot->ebx;
	}
	return vmm_vcpu_set_regs(vcpu, &regs);
}
