// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the x86 Linux boot protocol (bzImage).
 *
 * A bzImage is a real-mode setup part ((setup_sects + 1) sectors of 512
 * bytes, starting with the boot sector that holds the setup header at
 * 0x1f1) followed by the protected-mode kernel (a decompressor with the
 * compressed kernel inside).  We skip the real-mode part: the loader does
 * what it would do (fill in boot_params, the "zero page") and enters the
 * protected-mode kernel directly, through its 64-bit entry at load + 0x200
 * when the kernel has one (xloadflags XLF_KERNEL_64), else through the
 * 32-bit entry at the load address.
 *
 * Guest memory is laid out as:
 *   [VMM_BOOT_INFO_GPA, +4 KiB)		the zero page
 *   [VMM_BOOT_INFO_GPA + 4 KiB, VMM_BOOT_RESERVED_END) the command line
 *   [load, load + init_size)			the kernel; it decompresses
 *						itself inside this area
 *   [initrd, initrd + len)			the initrd, as high as allowed
 * The kernel area starts at 1 MiB or above and the zero page and command
 * line lie inside the loader's reserved area below 1 MiB, so they never
 * meet; the initrd is placed above the kernel area by construction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The setup header: offsets in the file and in boot_params alike. */
#define HDR_START		0x1f1
#define HDR_SETUP_SECTS		0x1f1
#define HDR_SYSSIZE		0x1f4
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP_OFFSET		0x201	/* the header ends at 0x202 + this */
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_HEAP_END_PTR	0x224
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_SETUP_DATA		0x250
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260
#define HDR_ROOM_END		0x290	/* boot_params has room up to here */

/* The rest of boot_params that the loader fills in. */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_ALT_MEM_K		0x1e0
#define BP_E820_ENTRIES		0x1e8
#define BP_E820_TABLE		0x2d0
#define BP_SIZE			0x1000

#define BOOT_FLAG		0xaa55
#define LOADED_HIGH		(1U << 0)
#define CAN_USE_HEAP		(1U << 7)
#define XLF_KERNEL_64		(1U << 0)
#define HEAP_END		0xfe00	/* the usual value, setup code only */
#define LOADER_UNDEFINED	0xff	/* type_of_loader: no assigned id */
#define ENTRY64_OFFSET		0x200

/* Protocol versions that brought the fields used here. */
#define PROTO_MIN		0x206	/* cmdline_size */
#define PROTO_PREF_INIT		0x20a	/* pref_address, init_size */
#define PROTO_XLOADFLAGS	0x20c

#define E820_RAM		1
#define E820_RESERVED		2
#define EBDA_START		0x9fc00ULL
#define LOW_RAM_END		0xa0000ULL
#define BIOS_START		0xf0000ULL

#define CMDLINE_GPA		(VMM_BOOT_INFO_GPA + BP_SIZE)
#define CMDLINE_ROOM		(VMM_BOOT_RESERVED_END - CMDLINE_GPA)

#define SZ_1M			0x100000ULL
#define SZ_16M			0x1000000ULL
#define SZ_4G			0x100000000ULL
#define PAGE_MASK		(VMM_PAGE_SIZE - 1)

#define MIB_UP(x)		((uint64_t)(((x) + SZ_1M - 1) >> 20))

#define fail(b, err, ...) \
	(snprintf((b)->error, sizeof((b)->error), "Linux: " __VA_ARGS__), \
	 (err))

/* What the loader needs from the setup header. */
struct bzimage {
	unsigned int version;
	size_t setup_len;	/* real-mode part, boot sector included */
	size_t hdr_end;		/* file offset where the header ends */
	const uint8_t *pm;	/* the protected-mode part */
	size_t pm_len;
	uint64_t init_size;	/* memory the kernel needs from its start */
	uint64_t pref;		/* where it wants to be loaded */
	uint64_t align;
	bool relocatable;
	unsigned int xloadflags;
	uint64_t cmdline_size;
	uint64_t initrd_top;	/* initrd_addr_max + 1 */
};

/* Little-endian field of n bytes. */
static uint64_t get(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put(uint8_t *p, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

bool vmm__linux_detect(const void *image, size_t len)
{
	const uint8_t *img = image;

	return img && len >= HDR_MAGIC + 4 &&
	       get(img + HDR_BOOT_FLAG, 2) == BOOT_FLAG &&
	       !memcmp(img + HDR_MAGIC, "HdrS", 4);
}

static int parse(const uint8_t *img, size_t len, struct bzimage *k,
		 struct vmm_boot *b)
{
	unsigned int sects;
	uint64_t sys_len;

	if (!vmm__linux_detect(img, len))
		return fail(b, -ENOEXEC,
			    "not a bzImage (no \"HdrS\" at 0x202 with 0xaa55 at 0x1fe)");
	sects = img[HDR_SETUP_SECTS];
	if (!sects)
		sects = 4;	/* what 0 has always meant */
	k->setup_len = (size_t)(sects + 1) * 512;
	if (len < k->setup_len)
		return fail(b, -ENOEXEC,
			    "truncated: the setup part is %zu bytes (setup_sects %u), the file only %zu",
			    k->setup_len, sects, len);

	/* The whole header is in the file from here on (setup_len >= 1 KiB). */
	k->version = (unsigned int)get(img + HDR_VERSION, 2);
	if (k->version < PROTO_MIN)
		return fail(b, -ENOEXEC,
			    "boot protocol %u.%02u is too old: 2.06 or later is needed (cmdline_size, initrd_addr_max, relocatable kernels)",
			    k->version >> 8, k->version & 0xff);
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return fail(b, -ENOEXEC,
			    "not a bzImage: loadflags LOADED_HIGH is clear (a zImage wants to be loaded at 0x10000)");

	k->pm = img + k->setup_len;
	k->pm_len = len - k->setup_len;
	sys_len = get(img + HDR_SYSSIZE, 4) * 16;
	if (!sys_len)
		return fail(b, -ENOEXEC, "syssize is 0: no protected-mode kernel");
	if (k->pm_len < sys_len)
		return fail(b, -ENOEXEC,
			    "truncated: the protected-mode part is %zu bytes, syssize says %" PRIu64,
			    k->pm_len, sys_len);

	k->hdr_end = HDR_MAGIC + img[HDR_JUMP_OFFSET];
	if (k->hdr_end > HDR_ROOM_END)
		k->hdr_end = HDR_ROOM_END;
	k->cmdline_size = get(img + HDR_CMDLINE_SIZE, 4);
	k->initrd_top = get(img + HDR_INITRD_ADDR_MAX, 4) + 1;
	k->align = get(img + HDR_KERNEL_ALIGNMENT, 4);
	k->relocatable = img[HDR_RELOCATABLE];
	k->xloadflags = k->version >= PROTO_XLOADFLAGS ?
			(unsigned int)get(img + HDR_XLOADFLAGS, 2) : 0;
	if (k->version >= PROTO_PREF_INIT) {
		k->pref = get(img + HDR_PREF_ADDRESS, 8);
		k->init_size = get(img + HDR_INIT_SIZE, 4);
	} else {
		/*
		 * Before 2.10 a bzImage went to 1 MiB and did not say how
		 * much memory it needs there: reserve what it brings.
		 */
		k->pref = SZ_1M;
		k->init_size = k->pm_len;
	}
	if (k->pm_len > k->init_size)
		return fail(b, -ENOEXEC,
			    "the protected-mode part (%zu bytes) is larger than init_size (%" PRIu64 ")",
			    k->pm_len, k->init_size);
	return 0;
}

/*
 * Does the kernel fit at addr?  Below 1 MiB are the loader's area and the
 * BIOS holes of the E820 map; above 4 GiB the identity map of long mode
 * and the 32-bit fields of the zero page end.
 */
static bool kernel_fits(uint64_t addr, uint64_t size, uint64_t mem_size)
{
	uint64_t top = mem_size < SZ_4G ? mem_size : SZ_4G;

	return addr >= SZ_1M && addr <= top && size <= top - addr;
}

static int place_kernel(const struct bzimage *k, uint64_t mem_size,
			uint64_t *loadp, struct vmm_boot *b)
{
	static const uint64_t floors[] = { SZ_16M, SZ_1M };

	if (kernel_fits(k->pref, k->init_size, mem_size)) {
		*loadp = k->pref;
		return 0;
	}
	if (!k->relocatable)
		return fail(b, -ERANGE,
			    "the kernel is not relocatable and needs [%#" PRIx64 ", %#" PRIx64 ") (pref_address + init_size) in %" PRIu64 " MiB of guest memory",
			    k->pref, k->pref + k->init_size, mem_size >> 20);
	if (!k->align || (k->align & (k->align - 1)))
		return fail(b, -ENOEXEC,
			    "kernel_alignment %#" PRIx64 " is not a power of two",
			    k->align);
	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		uint64_t addr = (floors[i] + k->align - 1) & ~(k->align - 1);

		if (kernel_fits(addr, k->init_size, mem_size)) {
			*loadp = addr;
			return 0;
		}
	}
	return fail(b, -ERANGE,
		    "%" PRIu64 " MiB of guest memory is too small: the kernel needs %" PRIu64 " MiB (init_size) above 1 MiB",
		    mem_size >> 20, MIB_UP(k->init_size));
}

/* As high as allowed, page aligned, above the kernel's area. */
static int place_initrd(const struct bzimage *k, uint64_t mem_size,
			uint64_t kernel_end, size_t len, uint64_t *addrp,
			struct vmm_boot *b)
{
	uint64_t top = k->initrd_top;

	if (top > mem_size)
		top = mem_size;
	if (top > SZ_4G)
		top = SZ_4G;
	if (len > top || ((top - len) & ~PAGE_MASK) < kernel_end)
		return fail(b, -ERANGE,
			    "the initrd of %" PRIu64 " MiB does not fit in %" PRIu64 " MiB of guest memory above the kernel (which ends at %#" PRIx64 "; initrd_addr_max %#" PRIx64 ")",
			    MIB_UP(len), mem_size >> 20, kernel_end,
			    k->initrd_top - 1);
	*addrp = (top - len) & ~PAGE_MASK;
	return 0;
}

static void put_e820(uint8_t *zp, uint64_t mem_size)
{
	const struct { uint64_t start, end; uint32_t type; } map[] = {
		{ 0, EBDA_START, E820_RAM },
		{ EBDA_START, LOW_RAM_END, E820_RESERVED },
		{ BIOS_START, SZ_1M, E820_RESERVED },
		{ SZ_1M, mem_size, E820_RAM },
	};
	size_t n = sizeof(map) / sizeof(map[0]);

	for (size_t i = 0; i < n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;

		put(e, 8, map[i].start);
		put(e + 8, 8, map[i].end - map[i].start);
		put(e + 16, 4, map[i].type);
	}
	zp[BP_E820_ENTRIES] = (uint8_t)n;
}

/*
 * The zero page: the image's setup header, then what a loader provides.
 * type_of_loader is 0xff, "undefined", since libvmm has no assigned id;
 * ext_loader_type/ext_loader_ver stay 0.
 */
static void put_zero_page(uint8_t *zp, const uint8_t *img,
			  const struct bzimage *k, uint64_t mem_size,
			  uint64_t load, uint64_t initrd, uint64_t initrd_len)
{
	uint64_t high_k = (mem_size - SZ_1M) >> 10;

	memset(zp, 0, BP_SIZE);
	memcpy(zp + HDR_START, img + HDR_START, k->hdr_end - HDR_START);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	put(zp + HDR_HEAP_END_PTR, 2, HEAP_END);
	put(zp + HDR_CODE32_START, 4, load);
	put(zp + HDR_CMD_LINE_PTR, 4, CMDLINE_GPA);
	put(zp + BP_EXT_CMD_LINE_PTR, 4, CMDLINE_GPA >> 32);
	put(zp + HDR_RAMDISK_IMAGE, 4, initrd);
	put(zp + HDR_RAMDISK_SIZE, 4, initrd_len);
	put(zp + BP_EXT_RAMDISK_IMAGE, 4, initrd >> 32);
	put(zp + BP_EXT_RAMDISK_SIZE, 4, initrd_len >> 32);
	put(zp + HDR_SETUP_DATA, 8, 0);	/* no setup_data chain */
	put(zp + BP_ALT_MEM_K, 4, high_k > UINT32_MAX ? UINT32_MAX : high_k);
	put_e820(zp, mem_size);
}

int vmm__linux_load(uint8_t *mem, uint64_t mem_size, const void *image,
		    size_t len, const struct vmm_load_params *p,
		    struct vmm_boot *b)
{
	const char *cmdline = p && p->cmdline ? p->cmdline : "";
	const void *initrd = p ? p->initrd : NULL;
	size_t initrd_len = initrd ? p->initrd_len : 0;
	size_t clen = strlen(cmdline);
	uint64_t load, initrd_gpa = 0, kernel_end;
	struct bzimage k;
	int ret;

	if (p && !p->initrd && p->initrd_len)
		return fail(b, -EINVAL, "initrd_len %zu without an initrd",
			    p->initrd_len);
	ret = parse(image, len, &k, b);
	if (ret)
		return ret;
	if (clen > k.cmdline_size)
		return fail(b, -EINVAL,
			    "the command line is %zu bytes long, the kernel takes at most %" PRIu64 " (cmdline_size)",
			    clen, k.cmdline_size);
	if (clen >= CMDLINE_ROOM)
		return fail(b, -EINVAL,
			    "the command line is %zu bytes long, the loader has room for %llu",
			    clen, CMDLINE_ROOM - 1);
	ret = place_kernel(&k, mem_size, &load, b);
	if (ret)
		return ret;
	kernel_end = load + k.init_size;
	if (initrd_len) {
		ret = place_initrd(&k, mem_size, kernel_end, initrd_len,
				   &initrd_gpa, b);
		if (ret)
			return ret;
	}

	/*
	 * The rest of [load, kernel_end) is left as it is: the decompressor
	 * clears what it uses.
	 */
	memcpy(mem + load, k.pm, k.pm_len);
	if (initrd_len)
		memcpy(mem + initrd_gpa, initrd, initrd_len);
	put_zero_page(mem + VMM_BOOT_INFO_GPA, image, &k, mem_size, load,
		      initrd_gpa, initrd_len);
	memcpy(mem + CMDLINE_GPA, cmdline, clen + 1);

	b->format = VMM_IMAGE_LINUX;
	if (k.xloadflags & XLF_KERNEL_64) {
		b->mode = VMM_MODE_LONG64;
		b->entry = load + ENTRY64_OFFSET;
	} else {
		b->mode = VMM_MODE_PROT32;
		b->entry = load;
	}
	b->zero_page = VMM_BOOT_INFO_GPA;
	b->low = load;
	b->high = kernel_end;
	return 0;
}
