// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl_args_test: `vmmctl run` option parsing (vmmctl/args.c, built
 * into this program): sizes with suffixes, formats and modes, limits,
 * and the messages a user gets for bad input; the decisions taken from
 * the image (format, memory, vCPUs, the Linux command line); and the
 * console's escape keys (vmmctl/console.c).
 */
#include "test_util.h"

#include "../../vmmctl/args.c"
#include "../../vmmctl/console.c"

static struct run_opts o;
static char err[256];

/* Parse a NULL-terminated list of arguments after "run". */
static int parse(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)"run";
	va_start(ap, first);
	for (a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return run_parse_args(argc, argv, &o, err, sizeof(err));
}

/* A buffer that starts like a bzImage: boot flag and "HdrS". */
static uint8_t bz[8192];

static void make_bzimage(void)
{
	memset(bz, 0, sizeof(bz));
	bz[0x1fe] = 0x55;
	bz[0x1ff] = 0xaa;
	memcpy(bz + 0x202, "HdrS", 4);
	bz[0x206] = 0x0f;	/* protocol 2.15 */
	bz[0x207] = 0x02;
}

/* Feed keys through the escape filter; the actions as letters. */
static void escape_keys(const char *keys, size_t n, char *acts, char *sent)
{
	bool esc = false;

	for (size_t i = 0; i < n; i++) {
		switch (console_escape(&esc, (uint8_t)keys[i])) {
		case CONSOLE_SEND:
			*acts++ = 's';
			*sent++ = keys[i];
			break;
		case CONSOLE_DROP:
			*acts++ = '-';
			break;
		case CONSOLE_QUIT:
			*acts++ = 'Q';
			break;
		case CONSOLE_HELP:
			*acts++ = 'H';
			break;
		}
	}
	*acts = '\0';
	*sent = '\0';
}

static void test_linux(void)
{
	static const char defaults[] =
		"console=ttyS0 earlyprintk=serial,ttyS0 noapic nolapic "
		"acpi=off pci=conf1 tsc=reliable i8042.noaux reboot=k panic=-1";
	char buf[VMMCTL_CMDLINE_MAX], small[sizeof(defaults) + 9];
	static const uint8_t elf[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	char acts[32], sent[32];
	int n;

	tap_ok(parse("--initrd", "initrd.gz", "--cmdline", "root=/dev/ram0 quiet",
		     "bzImage", NULL) == 0 &&
	       !strcmp(o.initrd, "initrd.gz") &&
	       !strcmp(o.cmdline, "root=/dev/ram0 quiet") &&
	       !strcmp(o.image, "bzImage") && o.format == VMM_IMAGE_AUTO &&
	       !o.mem_set && !o.verbose, "--initrd, --cmdline");
	tap_ok(parse("--linux", "-v", "k", NULL) == 0 &&
	       o.format == VMM_IMAGE_LINUX && o.verbose &&
	       parse("--format", "linux", "--verbose", "k", NULL) == 0 &&
	       o.format == VMM_IMAGE_LINUX && o.verbose &&
	       parse("--format=flat-32", "k", NULL) == 0 &&
	       o.format == VMM_IMAGE_FLAT && o.flat_mode == VMM_MODE_PROT32 &&
	       parse("--format", "auto", "k", NULL) == 0 &&
	       o.format == VMM_IMAGE_AUTO,
	       "--linux, --format linux/flat-32/auto, -v/--verbose");
	tap_ok(parse("--format", "pe", "k", NULL) == -1 &&
	       strstr(err, "--format 'pe'") && strstr(err, "linux") &&
	       parse("--linux", "--elf", "k", NULL) == -1 &&
	       strstr(err, "at most one") &&
	       parse("--format", "auto", "--multiboot", "k", NULL) == -1 &&
	       strstr(err, "at most one"),
	       "unknown --format, two formats with --linux/--format refused");

	make_bzimage();
	parse("k", NULL);
	tap_ok(run_detect_format(&o, bz, sizeof(bz)) == VMM_IMAGE_LINUX &&
	       run_detect_format(&o, bz, 0x205) == VMM_IMAGE_FLAT &&
	       run_detect_format(&o, elf, sizeof(elf)) == VMM_IMAGE_ELF,
	       "detection: the setup header makes a bzImage, ELF stays ELF");
	bz[0x205] = 's';
	tap_ok(run_detect_format(&o, bz, sizeof(bz)) == VMM_IMAGE_FLAT,
	       "detection: no \"HdrS\": flat");
	make_bzimage();
	bz[0x1fe] = 0;
	tap_ok(run_detect_format(&o, bz, sizeof(bz)) == VMM_IMAGE_FLAT,
	       "detection: no boot flag: flat");
	make_bzimage();
	parse("--elf", "k", NULL);
	tap_ok(run_detect_format(&o, bz, sizeof(bz)) == VMM_IMAGE_ELF &&
	       !parse("--linux", "k", NULL) &&
	       run_detect_format(&o, elf, sizeof(elf)) == VMM_IMAGE_LINUX,
	       "a format option wins over detection");

	parse("k", NULL);
	tap_ok(run_check_format(&o, VMM_IMAGE_LINUX, err, sizeof(err)) == 0 &&
	       o.mem_size == 256ULL << 20 && VMMCTL_MEM_LINUX_DEFAULT == o.mem_size,
	       "Linux without -m: 256M");
	parse("-m", "128M", "k", NULL);
	tap_ok(run_check_format(&o, VMM_IMAGE_LINUX, err, sizeof(err)) == 0 &&
	       o.mem_size == 128ULL << 20, "Linux with -m 128M: 128M");
	parse("-m", "64M", "k", NULL);
	tap_ok(o.mem_set &&
	       run_check_format(&o, VMM_IMAGE_LINUX, err, sizeof(err)) == 0 &&
	       o.mem_size == 64ULL << 20, "Linux with -m 64M (the default size, given): kept");
	parse("k", NULL);
	tap_ok(run_check_format(&o, VMM_IMAGE_FLAT, err, sizeof(err)) == 0 &&
	       o.mem_size == 64ULL << 20 &&
	       !parse("k", NULL) &&
	       run_check_format(&o, VMM_IMAGE_MULTIBOOT, err, sizeof(err)) == 0 &&
	       o.mem_size == 64ULL << 20, "other formats keep 64M");
	parse("-c", "2", "k", NULL);
	tap_ok(run_check_format(&o, VMM_IMAGE_LINUX, err, sizeof(err)) == -1 &&
	       strstr(err, "--cpus 2") && strstr(err, "one vCPU"),
	       "Linux: one vCPU only");
	tap_diag("%s", err);
	tap_ok(!parse("-c", "2", "k", NULL) &&
	       run_check_format(&o, VMM_IMAGE_ELF, err, sizeof(err)) == 0 &&
	       o.cpus == 2, "other formats: any number of vCPUs");
	parse("--initrd", "i.gz", "k", NULL);
	tap_ok(run_check_format(&o, VMM_IMAGE_FLAT, err, sizeof(err)) == -1 &&
	       strstr(err, "--initrd applies to Linux") &&
	       !parse("--initrd", "i.gz", "k", NULL) &&
	       run_check_format(&o, VMM_IMAGE_LINUX, err, sizeof(err)) == 0,
	       "--initrd needs a Linux image");

	n = run_linux_cmdline("root=/dev/ram0 rdinit=/bin/sh", buf, sizeof(buf));
	tap_ok(!strcmp(buf, "console=ttyS0 earlyprintk=serial,ttyS0 noapic "
			    "nolapic acpi=off pci=conf1 tsc=reliable i8042.noaux reboot=k "
			    "panic=-1 root=/dev/ram0 rdinit=/bin/sh") &&
	       n == (int)strlen(buf), "command line: the defaults, then the user's");
	tap_diag("%s", buf);
	tap_ok(run_linux_cmdline(NULL, buf, sizeof(buf)) ==
	       (int)sizeof(defaults) - 1 && !strcmp(buf, defaults) &&
	       run_linux_cmdline("", buf, sizeof(buf)) ==
	       (int)sizeof(defaults) - 1 && !strcmp(buf, defaults),
	       "command line: no --cmdline (or empty): the defaults alone");
	/* defaults + " " + 8 characters + NUL fits small exactly */
	tap_ok(run_linux_cmdline("12345678", small, sizeof(small)) ==
	       (int)sizeof(small) - 1 &&
	       !strcmp(small + sizeof(defaults), "12345678") &&
	       run_linux_cmdline("123456789", small, sizeof(small)) == -ENOSPC &&
	       small[0] == '\0' &&
	       run_linux_cmdline(NULL, small, sizeof(defaults) - 1) == -ENOSPC,
	       "command line: exact fit, one byte too long: -ENOSPC");

	tap_ok(strstr(run_usage, VMMCTL_LINUX_CMDLINE_1 "\n") &&
	       strstr(run_usage, VMMCTL_LINUX_CMDLINE_2 "\n") &&
	       strstr(run_usage, "--initrd FILE") &&
	       strstr(run_usage, "Ctrl-A x") && strstr(run_usage, "10 the guest reset"),
	       "the usage lists the Linux defaults, --initrd, the keys, status 10");
	tap_ok(VMMCTL_EXIT_RESET == 10 && VMMCTL_EXIT_QUIT == 130,
	       "exit statuses: reset 10, console quit 130");

	/* a b ^A^A c ^Az d ^Ah ^Ax e */
	escape_keys("ab\x01\x01" "c\x01zd\x01h\x01xe", 13, acts, sent);
	tap_ok(!strcmp(acts, "ss-ss--s-H-Qs") && !strcmp(sent, "ab\x01" "cde"),
	       "console keys: ^A^A sends ^A, ^A z dropped, ^A h help, ^A x quit");
	tap_diag("actions %s", acts);
	escape_keys("x\x03h\x01", 4, acts, sent);
	tap_ok(!strcmp(acts, "sss-") && !strcmp(sent, "x\x03h"),
	       "console keys: x, Ctrl-C, h alone go to the guest");
}

int main(void)
{
	uint64_t v;

	tap_plan(48);

	tap_ok(!parse_size("64M", &v) && v == 64ULL << 20, "parse_size 64M");
	tap_ok(!parse_size("512k", &v) && v == 512ULL << 10, "parse_size 512k");
	tap_ok(!parse_size("2G", &v) && v == 2ULL << 30, "parse_size 2G");
	tap_ok(!parse_size("1MiB", &v) && v == 1ULL << 20 &&
	       !parse_size("4096", &v) && v == 4096, "parse_size 1MiB, 4096");
	tap_ok(parse_size("12Q", &v) == -EINVAL && parse_size("", &v) == -EINVAL &&
	       parse_size("-1M", &v) == -EINVAL && parse_size("0", &v) == -EINVAL &&
	       parse_size("M", &v) == -EINVAL,
	       "parse_size refuses garbage, negatives, zero");
	tap_ok(parse_size("99999999999999999999", &v) == -ERANGE &&
	       parse_size("20000000000T", &v) == -ERANGE,
	       "parse_size overflow: -ERANGE");
	tap_ok(!parse_u64("0x7c00", &v) && v == 0x7c00 &&
	       parse_u64("7c00", &v) == -EINVAL, "parse_u64 hex");

	tap_ok(parse("guest.bin", NULL) == 0 && !strcmp(o.image, "guest.bin") &&
	       o.mem_size == VMMCTL_MEM_DEFAULT && o.cpus == 1 &&
	       o.format == VMM_IMAGE_AUTO && !o.console && !o.trace_exits &&
	       !o.timeout && !o.no_thp, "defaults");
	tap_ok(parse("--no-thp", "img", NULL) == 0 && o.no_thp &&
	       parse("--no-thp", "--huge", "img", NULL) == 0 && !o.no_thp &&
	       parse("--huge", "img", NULL) == 0 && !o.no_thp,
	       "--no-thp; --huge is the default and undoes it");
	tap_ok(parse("-m", "16M", "-c", "4", "--trace-exits", "--timeout", "30",
		     "--console", "out.txt", "img", NULL) == 0 &&
	       o.mem_size == 16ULL << 20 && o.cpus == 4 && o.trace_exits &&
	       o.timeout == 30 && !strcmp(o.console, "out.txt") &&
	       !strcmp(o.image, "img"), "all the usual options");
	tap_ok(parse("img", "--memory=1G", NULL) == 0 && o.mem_size == 1ULL << 30,
	       "options after IMAGE, --opt=value");
	tap_ok(parse("--flat-real", "img", NULL) == 0 &&
	       o.format == VMM_IMAGE_FLAT && o.flat_mode == VMM_MODE_REAL,
	       "--flat-real");
	tap_ok(parse("--flat-32", "img", NULL) == 0 &&
	       o.format == VMM_IMAGE_FLAT && o.flat_mode == VMM_MODE_PROT32,
	       "--flat-32");
	tap_ok(parse("--flat-long", "-a", "0x200000", "img", NULL) == 0 &&
	       o.format == VMM_IMAGE_FLAT && o.flat_mode == VMM_MODE_LONG64 &&
	       o.load_addr == 0x200000, "--flat-long with --load-addr");
	tap_ok(parse("--elf", "img", NULL) == 0 && o.format == VMM_IMAGE_ELF &&
	       parse("--multiboot", "--cmdline", "a b", "img", NULL) == 0 &&
	       o.format == VMM_IMAGE_MULTIBOOT && !strcmp(o.cmdline, "a b"),
	       "--elf, --multiboot --cmdline");
	tap_ok(parse("--elf", "--flat-real", "img", NULL) == -1 &&
	       strstr(err, "at most one"), "two formats refused");
	tap_ok(parse("--elf", "-a", "0x1000", "img", NULL) == -1 &&
	       strstr(err, "flat"), "--load-addr with --elf refused");

	tap_ok(parse("-m", "lots", "img", NULL) == -1 &&
	       strstr(err, "cannot parse memory size 'lots'") &&
	       strstr(err, "64M"), "unparsable memory size: says what to give");
	tap_diag("%s", err);
	tap_ok(parse("-m", "16G", "img", NULL) == -1 && strstr(err, "too large"),
	       "memory too large: says the limit");
	tap_diag("%s", err);
	tap_ok(parse("-m", "100K", "img", NULL) == -1 && strstr(err, "too small"),
	       "memory too small");
	tap_ok(parse("-m", "1025K", "img", NULL) == -1 && strstr(err, "4K"),
	       "memory not a multiple of 4K");
	tap_ok(parse("-c", "0", "img", NULL) == -1 &&
	       parse("-c", "65", "img", NULL) == -1 &&
	       parse("-c", "two", "img", NULL) == -1 && strstr(err, "--cpus"),
	       "bad vCPU counts");
	tap_ok(parse("--timeout", "0", "img", NULL) == -1 &&
	       parse("-t", "1.5", "img", NULL) == -1, "bad timeouts");
	tap_ok(parse(NULL) == -1 && strstr(err, "no IMAGE"), "no image");
	tap_ok(parse("a", "b", NULL) == -1 && strstr(err, "one IMAGE"),
	       "two images");
	tap_ok(parse("--frobnicate", "img", NULL) == -1 &&
	       strstr(err, "unknown option '--frobnicate'") &&
	       parse("img", "-m", NULL) == -1 && strstr(err, "needs a value"),
	       "unknown option, missing value");
	tap_ok(parse("--help", NULL) == 1 && parse("img", "-h", NULL) == 1 &&
	       strstr(run_usage, "exit status"), "--help, and the usage lists the exit statuses");
	test_linux();
	tap_exit();
}
