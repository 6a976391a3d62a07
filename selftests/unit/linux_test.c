// SPDX-License-Identifier: GPL-2.0
/*
 * linux_test: libvmm's Linux (bzImage) loader on a plain buffer standing
 * for guest memory.  A synthesized image (setup sectors with a setup
 * header, then a small protected-mode blob) gives exact checks of the
 * placement, the entry, the zero page, the command line, the initrd and
 * every refusal; the Debian kernels in /boot, when present, check that
 * real images load where they want to be.
 */
#include <glob.h>
#include <stdlib.h>

#include "test_util.h"

#define MIB		(1ULL << 20)
#define MEM		(64 * MIB)
#define REAL_MEM	(256 * MIB)

#define SETUP_SECTS	4
#define SETUP_LEN	((SETUP_SECTS + 1) * 512)
#define PM_LEN		0x1000
#define IMG_LEN		(SETUP_LEN + PM_LEN)
#define PREF		(16 * MIB)
#define INIT_SIZE	(8 * MIB)
#define HDR_END		0x26c
#define ZP		VMM_BOOT_INFO_GPA
#define CMDLINE		(VMM_BOOT_INFO_GPA + 0x1000)

static uint8_t *mem;
static uint8_t img[IMG_LEN];

static void put(uint8_t *p, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get(uint64_t gpa, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | mem[gpa + n];
	return v;
}

/* A protocol-2.15-like bzImage of IMG_LEN bytes, 64-bit entry. */
static void make_bz(void)
{
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memset(img + 0x1f1, 0, 0x290 - 0x1f1);
	img[0x1f1] = SETUP_SECTS;
	put(img + 0x1f2, 2, 1);			/* root_flags */
	put(img + 0x1f4, 4, PM_LEN / 16);	/* syssize */
	put(img + 0x1fa, 2, 0xffff);		/* vid_mode */
	put(img + 0x1fe, 2, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = HDR_END - 0x202;
	memcpy(img + 0x202, "HdrS", 4);
	put(img + 0x206, 2, 0x20f);
	put(img + 0x20e, 2, 0x1234);		/* kernel_version */
	img[0x211] = 0x01;			/* LOADED_HIGH */
	put(img + 0x214, 4, 0x100000);		/* code32_start */
	put(img + 0x22c, 4, 0x7fffffff);	/* initrd_addr_max */
	put(img + 0x230, 4, 2 * MIB);		/* kernel_alignment */
	img[0x234] = 1;				/* relocatable_kernel */
	img[0x235] = 21;			/* min_alignment */
	put(img + 0x236, 2, 0x3);		/* XLF_KERNEL_64, above 4G */
	put(img + 0x238, 4, 0x7ff);		/* cmdline_size */
	put(img + 0x258, 8, PREF);		/* pref_address */
	put(img + 0x260, 4, INIT_SIZE);
	put(img + 0x264, 4, 0x190);		/* handover_offset */
	/* Beyond the header's end: must not be copied. */
	memset(img + HDR_END, 0xcc, 0x290 - HDR_END);
}

static int load_with(uint64_t mem_size, size_t len,
		     const struct vmm_load_params *p, struct vmm_boot *b)
{
	int ret;

	memset(mem, 0x55, mem_size);
	ret = vmm_image_load_mem(mem, mem_size, img, len, p, b);
	if (ret)
		tap_diag("refused (%d): %s", ret, b->error);
	return ret;
}

/* Is the zero page's header img's, but for the fields a loader sets? */
static bool header_copied(void)
{
	static const struct { unsigned int off, len; } set[] = {
		{ 0x210, 2 },	/* type_of_loader, loadflags */
		{ 0x214, 4 },	/* code32_start */
		{ 0x218, 8 },	/* ramdisk_image, ramdisk_size */
		{ 0x224, 2 },	/* heap_end_ptr */
		{ 0x228, 4 },	/* cmd_line_ptr */
	};

	for (unsigned int off = 0x1f1; off < 0x290; off++) {
		bool skip = false;

		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			if (off >= set[i].off && off < set[i].off + set[i].len)
				skip = true;
		if (skip)
			continue;
		if (mem[ZP + off] != (off < HDR_END ? img[off] : 0)) {
			tap_diag("zero page byte %#x: %#x", off, mem[ZP + off]);
			return false;
		}
	}
	return true;
}

static bool zero(uint64_t gpa, size_t n)
{
	while (n--)
		if (mem[gpa++])
			return false;
	return true;
}

static bool e820_is(uint64_t mem_size)
{
	static const uint64_t want[4][3] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
		{ 0xf0000, 0x10000, 2 },
		{ 0x100000, 0, 1 },
	};

	if (mem[ZP + 0x1e8] != 4)
		return false;
	for (int i = 0; i < 4; i++) {
		uint64_t e = ZP + 0x2d0 + 20 * i;
		uint64_t len = i == 3 ? mem_size - 0x100000 : want[i][1];

		if (get(e, 8) != want[i][0] || get(e + 8, 8) != len ||
		    get(e + 16, 4) != want[i][2])
			return false;
	}
	return zero(ZP + 0x2d0 + 20 * 4, 20);
}

static void test_load(void)
{
	static const char cmd[] = "console=ttyS0 root=/dev/vda";
	static uint8_t rd[10000];
	struct vmm_load_params p = { .cmdline = cmd, .initrd = rd,
				     .initrd_len = sizeof(rd) };
	uint64_t rd_gpa = (MEM - sizeof(rd)) & ~0xfffULL;
	struct vmm_boot b;

	make_bz();
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 13 + 1);
	tap_ok(vmm_image_detect(img, sizeof(img)) == VMM_IMAGE_LINUX,
	       "detect: HdrS and 0xaa55");
	tap_ok(!strcmp(vmm_image_format_name(VMM_IMAGE_LINUX), "linux"),
	       "format name: linux");
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == 0 &&
	       b.format == VMM_IMAGE_LINUX && b.mode == VMM_MODE_LONG64 &&
	       b.entry == PREF + 0x200 && b.zero_page == ZP &&
	       b.low == PREF && b.high == PREF + INIT_SIZE &&
	       b.stack_top == VMM_BOOT_STACK_TOP && !b.set_ab,
	       "load: 64-bit entry at pref_address + 0x200");
	tap_ok(!memcmp(mem + PREF, img + SETUP_LEN, PM_LEN) &&
	       mem[PREF - 1] == 0x55 && mem[PREF + PM_LEN] == 0x55,
	       "protected-mode part copied to pref_address, nothing around");
	tap_ok(header_copied(), "zero page: the setup header copied to 0x1f1");
	tap_ok(mem[ZP + 0x210] == 0xff && mem[ZP + 0x211] == 0x81 &&
	       get(ZP + 0x224, 2) == 0xfe00 && get(ZP + 0x214, 4) == PREF,
	       "zero page: type_of_loader, loadflags, heap_end_ptr, code32_start");
	tap_ok(get(ZP + 0x228, 4) == CMDLINE && get(ZP + 0xc8, 4) == 0 &&
	       !strcmp((char *)mem + CMDLINE, cmd),
	       "zero page: cmd_line_ptr and the command line");
	tap_ok(get(ZP + 0x218, 4) == rd_gpa &&
	       get(ZP + 0x21c, 4) == sizeof(rd) &&
	       get(ZP + 0xc0, 4) == 0 && get(ZP + 0xc4, 4) == 0 &&
	       !memcmp(mem + rd_gpa, rd, sizeof(rd)) &&
	       mem[rd_gpa - 1] == 0x55 && mem[rd_gpa + sizeof(rd)] == 0x55,
	       "initrd: page aligned at the top of memory, fields, bytes");
	tap_ok(e820_is(MEM), "zero page: the E820 map, exact");
	tap_ok(get(ZP + 0x1e0, 4) == (MEM - MIB) / 1024 &&
	       zero(ZP, 0x40) && zero(ZP + 0x290, 0x2d0 - 0x290) &&
	       zero(ZP + 0x2d0 + 20 * 4, 0x1000 - 0x2d0 - 20 * 4) &&
	       mem[ZP + 0x1ef] == 0,
	       "zero page: alt_mem_k, screen_info and sentinel zero");

	/* initrd_addr_max below the end of memory. */
	put(img + 0x22c, 4, 48 * MIB - 1);
	rd_gpa = (48 * MIB - sizeof(rd)) & ~0xfffULL;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == 0 &&
	       get(ZP + 0x218, 4) == rd_gpa &&
	       !memcmp(mem + rd_gpa, rd, sizeof(rd)),
	       "initrd: highest page below initrd_addr_max");
	put(img + 0x22c, 4, 0x7fffffff);

	/* No initrd, no command line. */
	tap_ok(load_with(MEM, sizeof(img), NULL, &b) == 0 &&
	       get(ZP + 0x218, 8) == 0 && mem[CMDLINE] == 0 &&
	       get(ZP + 0x228, 4) == CMDLINE,
	       "no initrd, no command line: zero ramdisk fields, empty line");

	/* setup_sects 0 means 4. */
	img[0x1f1] = 0;
	tap_ok(load_with(MEM, sizeof(img), NULL, &b) == 0 &&
	       !memcmp(mem + PREF, img + SETUP_LEN, PM_LEN),
	       "setup_sects 0 means 4 setup sectors");
	img[0x1f1] = SETUP_SECTS;

	/* The 32-bit entry when the 64-bit one is missing. */
	put(img + 0x236, 2, 0);
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == 0 &&
	       b.mode == VMM_MODE_PROT32 && b.entry == PREF &&
	       get(ZP + 0x214, 4) == PREF,
	       "no XLF_KERNEL_64: 32-bit entry at the load address");
	put(img + 0x236, 2, 0x3);

	/* pref_address + init_size past the end: relocated to 2 MiB. */
	tap_ok(load_with(20 * MIB, sizeof(img), NULL, &b) == 0 &&
	       b.entry == 2 * MIB + 0x200 && b.low == 2 * MIB &&
	       b.high == 10 * MIB && get(ZP + 0x214, 4) == 2 * MIB &&
	       !memcmp(mem + 2 * MIB, img + SETUP_LEN, PM_LEN) &&
	       e820_is(20 * MIB),
	       "relocatable kernel in 20 MiB: at 2 MiB (1 MiB aligned up)");
	put(img + 0x258, 8, 0x80000);
	put(img + 0x260, 4, 20 * MIB);
	tap_ok(load_with(MEM, sizeof(img), NULL, &b) == 0 &&
	       b.low == 16 * MIB && b.high == 36 * MIB &&
	       b.entry == 16 * MIB + 0x200,
	       "pref_address below 1 MiB: relocated to 16 MiB, not 2 MiB");
	put(img + 0x258, 8, PREF);
	put(img + 0x260, 4, INIT_SIZE);
}

static void test_refusals(void)
{
	static char longcmd[0x800 + 1];
	struct vmm_load_params p = { 0 };
	struct vmm_boot b;

	make_bz();
	put(img + 0x206, 2, 0x205);
	tap_ok(load_with(MEM, sizeof(img), NULL, &b) == -ENOEXEC &&
	       strstr(b.error, "2.05") && strstr(b.error, "2.06"),
	       "protocol 2.05: refused, saying which");
	put(img + 0x206, 2, 0x20f);

	tap_ok(load_with(MEM, SETUP_LEN - 1, NULL, &b) == -ENOEXEC &&
	       strstr(b.error, "truncated") && strstr(b.error, "setup"),
	       "truncated setup part: -ENOEXEC");
	tap_ok(load_with(MEM, sizeof(img) - 16, NULL, &b) == -ENOEXEC &&
	       strstr(b.error, "truncated") &&
	       strstr(b.error, "protected-mode"),
	       "truncated protected-mode part: -ENOEXEC");

	img[0x211] = 0;
	tap_ok(load_with(MEM, sizeof(img), NULL, &b) == -ENOEXEC &&
	       strstr(b.error, "LOADED_HIGH"),
	       "loadflags without LOADED_HIGH (zImage): -ENOEXEC");
	img[0x211] = 1;

	memset(longcmd, 'x', 0x800);
	p.cmdline = longcmd;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == -EINVAL &&
	       strstr(b.error, "2048") && strstr(b.error, "2047"),
	       "command line longer than cmdline_size: both lengths said");
	longcmd[0x7ff] = 0;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == 0 &&
	       strlen((char *)mem + CMDLINE) == 0x7ff,
	       "command line of exactly cmdline_size: accepted");
	p.cmdline = NULL;

	p.initrd = calloc(1, 41 * MIB);
	TEST_ASSERT(p.initrd, "calloc");
	p.initrd_len = 41 * MIB;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == -ERANGE &&
	       strstr(b.error, "initrd of 41 MiB does not fit in 64 MiB"),
	       "initrd too large above the kernel: -ERANGE");
	p.initrd_len = 40 * MIB;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == 0 &&
	       get(ZP + 0x218, 4) == 24 * MIB,
	       "initrd just fitting: right above the kernel's area");
	free((void *)p.initrd);
	p.initrd = NULL;
	p.initrd_len = 5;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == -EINVAL,
	       "initrd_len without an initrd: -EINVAL");
	p.initrd_len = 0;

	put(img + 0x260, 4, 64 * MIB);
	tap_ok(load_with(MEM, sizeof(img), NULL, &b) == -ERANGE &&
	       strstr(b.error, "too small"),
	       "guest memory too small for init_size: -ERANGE");
	put(img + 0x260, 4, INIT_SIZE);
	img[0x234] = 0;
	tap_ok(load_with(20 * MIB, sizeof(img), NULL, &b) == -ERANGE &&
	       strstr(b.error, "not relocatable"),
	       "non-relocatable kernel past the end of memory: -ERANGE");
	img[0x234] = 1;

	put(img + 0x1fe, 2, 0xaa56);
	tap_ok(vmm_image_detect(img, sizeof(img)) == VMM_IMAGE_FLAT,
	       "no boot flag: not detected as Linux");
	p.format = VMM_IMAGE_LINUX;
	tap_ok(load_with(MEM, sizeof(img), &p, &b) == -ENOEXEC &&
	       strstr(b.error, "bzImage"),
	       "forced Linux format on a non-bzImage: -ENOEXEC");
}

/* The whole file at path (*lenp bytes), or NULL if it cannot be opened. */
static uint8_t *read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	uint8_t *buf;
	long len;

	if (!f)
		return NULL;
	TEST_ASSERT(!fseek(f, 0, SEEK_END) && (len = ftell(f)) >= 0,
		    "%s: size", path);
	rewind(f);
	buf = malloc(len ? (size_t)len : 1);
	TEST_ASSERT(buf && fread(buf, 1, (size_t)len, f) == (size_t)len,
		    "%s: read", path);
	fclose(f);
	*lenp = (size_t)len;
	return buf;
}

/* A Debian kernel from /boot (and its initrd) in 256 MiB. */
static void test_real(const char *pattern)
{
	struct vmm_load_params p = { .cmdline = "console=ttyS0" };
	uint8_t *file = NULL, *rd = NULL;
	size_t len = 0, rd_len = 0, setup;
	char rd_path[512];
	struct vmm_boot b;
	glob_t g;
	int ret;

	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
		for (int i = 0; i < 4; i++)
			tap_skip("%s: no such kernel", pattern);
		globfree(&g);
		return;
	}
	file = read_file(g.gl_pathv[0], &len);
	TEST_ASSERT(file, "%s", g.gl_pathv[0]);

	/* Its initrd, if there is one, goes along. */
	snprintf(rd_path, sizeof(rd_path), "/boot/initrd.img-%s",
		 g.gl_pathv[0] + strlen("/boot/vmlinuz-"));
	rd = read_file(rd_path, &rd_len);
	if (rd) {
		p.initrd = rd;
		p.initrd_len = rd_len;
	}
	tap_diag("%s (%zu bytes), initrd %zu bytes", g.gl_pathv[0], len,
		 rd_len);

	setup = ((file[0x1f1] ? file[0x1f1] : 4) + 1) * 512;
	memset(mem, 0, REAL_MEM);
	ret = vmm_image_load_mem(mem, REAL_MEM, file, len, &p, &b);
	if (ret)
		tap_diag("refused (%d): %s", ret, b.error);
	tap_ok(vmm_image_detect(file, len) == VMM_IMAGE_LINUX && !ret &&
	       get(ZP + 0x206, 2) >= 0x20f,
	       "%s: detected, loaded, protocol %#x >= 2.15", g.gl_pathv[0],
	       (unsigned int)get(ZP + 0x206, 2));
	tap_ok(!ret && b.mode == VMM_MODE_LONG64 && b.entry == 0x1000200,
	       "%s: 64-bit entry at 0x1000200", g.gl_pathv[0]);
	tap_ok(!ret && !memcmp(mem + 0x1000000, file + setup, len - setup),
	       "%s: protected-mode bytes equal the file's", g.gl_pathv[0]);
	if (rd) {
		uint64_t gpa = get(ZP + 0x218, 4);

		tap_ok(!ret && gpa == ((REAL_MEM - rd_len) & ~0xfffULL) &&
		       get(ZP + 0x21c, 4) == rd_len && gpa >= b.high &&
		       !memcmp(mem + gpa, rd, rd_len),
		       "%s: initrd at the top of memory", rd_path);
	} else {
		tap_skip("%s: no initrd", rd_path);
	}
	free(rd);
	free(file);
	globfree(&g);
}

int main(void)
{
	mem = malloc(REAL_MEM);
	TEST_ASSERT(mem, "malloc");
	tap_plan(16 + 13 + 2 * 4);
	test_load();
	test_refusals();
	test_real("/boot/vmlinuz-6.1.0-*-cloud-amd64");
	test_real("/boot/vmlinuz-6.12.*-cloud-amd64");
	free(mem);
	tap_exit();
}
