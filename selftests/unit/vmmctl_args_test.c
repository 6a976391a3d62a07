// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl_args_test: `vmmctl run` option parsing (vmmctl/args.c, built
 * into this program): sizes with suffixes, formats and modes, limits,
 * and the messages a user gets for bad input.
 */
#include "test_util.h"

#include "../../vmmctl/args.c"

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

int main(void)
{
	uint64_t v;

	tap_plan(26);

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
	       !o.timeout, "defaults");
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
	tap_exit();
}
