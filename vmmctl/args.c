// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: option parsing of `vmmctl run`, and of list, stats, monitor.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"

const char run_usage[] =
"usage: vmmctl run [OPTIONS] IMAGE\n"
"       vmmctl run [OPTIONS] [--initrd FILE] [--cmdline TEXT] bzImage\n"
"\n"
"Boot IMAGE in a new VM with a 16550A UART at 0x3f8 (the console), a\n"
"debug-exit port at 0xf4 and the example MMIO device at 0xd0000000.\n"
"A Linux kernel (bzImage) gets a PC instead: 8259A PICs, 8254 PIT, RTC,\n"
"COM1 with its interrupt, the i8042's reset line; one vCPU, no APIC, no\n"
"ACPI, no PCI device.\n"
"\n"
"options:\n"
"  -m, --memory SIZE     guest memory, K/M/G suffixes (default 64M, 256M for\n"
"                        Linux; 1M..3G)\n"
"  -c, --cpus N          vCPUs, each on its own thread (default 1; a Linux\n"
"                        guest runs on one)\n"
"      --flat-real       IMAGE is a flat binary started in real mode\n"
"      --flat-32         ... in 32-bit protected mode (flat, no paging)\n"
"      --flat-long       ... in 64-bit long mode (identity-mapped 4 GiB)\n"
"      --elf             IMAGE is an ELF32 (i386) or ELF64 (x86-64) executable\n"
"      --multiboot       IMAGE is a Multiboot v1 kernel\n"
"      --linux           IMAGE is a Linux kernel (x86 boot protocol, bzImage)\n"
"      --format FMT      the same: flat-real, flat-32, flat-long, elf,\n"
"                        multiboot, linux or auto\n"
"                        (default: detect: the Linux setup header, a\n"
"                        Multiboot header in the first 8 KiB, ELF magic,\n"
"                        else flat real mode)\n"
"  -a, --load-addr ADDR  where a flat binary goes and starts (default 0x7c00\n"
"                        in real mode, 0x100000 otherwise)\n"
"      --cmdline TEXT    the Multiboot command line; for Linux, appended to\n"
"                        vmmctl's defaults:\n"
"                          " VMMCTL_LINUX_CMDLINE_1 "\n"
"                          " VMMCTL_LINUX_CMDLINE_2 "\n"
"      --initrd FILE     Linux: the initial RAM disk\n"
"      --console FILE    UART output to FILE instead of the terminal (and\n"
"                        no input)\n"
"      --trace-exits     one line per VM exit on stderr\n"
"      --log-unhandled   log accesses to ports/MMIO without a device\n"
"      --no-thp          back guest memory with 4 KiB pages (default: 2 MiB\n"
"                        transparent huge pages where the host allows)\n"
"      --huge            the default (undoes an earlier --no-thp)\n"
"  -t, --timeout SEC     stop the guest after SEC seconds\n"
"  -v, --verbose         say what is booted: format, entry, memory, and\n"
"                        the Linux command line\n"
"  -q, --quiet           no closing message on stderr\n"
"  -d, --device PATH     the hypervisor device (default /dev/vmm)\n"
"  -h, --help            this text\n"
"\n"
"console: when standard input is a terminal (and no --console), it is\n"
"put in raw mode and every key goes to the guest (Ctrl-C too), except\n"
"Ctrl-A, the escape key:\n"
"  Ctrl-A x              quit (stop the guest, exit status 130)\n"
"  Ctrl-A Ctrl-A         send Ctrl-A to the guest\n"
"  Ctrl-A h              this list of keys, on stderr\n"
"Other input (a pipe, a file) reaches the guest unchanged.\n"
"\n"
"exit status: the guest's debug-exit code c as (c << 1) | 1; 0 if every\n"
"vCPU halted (a Linux power-off); 2 usage, image or device error; 4\n"
"triple fault (shutdown); 6 VM entry failure; 8 internal error or\n"
"unhandled exit; 10 the guest reset itself (a Linux reboot or panic);\n"
"124 timeout; 130 stopped by SIGINT, SIGTERM or SIGHUP, or Ctrl-A x.\n";

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
		end += strlen(end);
	else if (!shift && !strcasecmp(end, "B"))
		end++;
	if (*end)
		return -EINVAL;
	if (!v)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

enum {
	OPT_FLAT_REAL = 256,
	OPT_FLAT_32,
	OPT_FLAT_LONG,
	OPT_ELF,
	OPT_MULTIBOOT,
	OPT_CONSOLE,
	OPT_TRACE,
	OPT_CMDLINE,
	OPT_LOG_UNHANDLED,
	OPT_HUGE,
	OPT_NO_THP,
	OPT_LINUX,
	OPT_AUTO,	/* --format auto */
	OPT_FORMAT,
	OPT_INITRD,
};

static const struct option run_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "flat-real", no_argument, NULL, OPT_FLAT_REAL },
	{ "flat-32", no_argument, NULL, OPT_FLAT_32 },
	{ "flat-long", no_argument, NULL, OPT_FLAT_LONG },
	{ "elf", no_argument, NULL, OPT_ELF },
	{ "multiboot", no_argument, NULL, OPT_MULTIBOOT },
	{ "linux", no_argument, NULL, OPT_LINUX },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "load-addr", required_argument, NULL, 'a' },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "trace-exits", no_argument, NULL, OPT_TRACE },
	{ "log-unhandled", no_argument, NULL, OPT_LOG_UNHANDLED },
	{ "huge", no_argument, NULL, OPT_HUGE },
	{ "no-thp", no_argument, NULL, OPT_NO_THP },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "device", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The names of --format, each with the option it stands for. */
static const struct {
	const char *name;
	int opt;
} format_names[] = {
	{ "flat-real", OPT_FLAT_REAL },
	{ "flat-32", OPT_FLAT_32 },
	{ "flat-long", OPT_FLAT_LONG },
	{ "elf", OPT_ELF },
	{ "multiboot", OPT_MULTIBOOT },
	{ "linux", OPT_LINUX },
	{ "auto", OPT_AUTO },
};

/* The option --format NAME stands for, or -1 if unknown. */
static int format_option(const char *name)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]);
	     i++)
		if (!strcmp(name, format_names[i].name))
			return format_names[i].opt;
	return -1;
}

int run_parse_args(int argc, char **argv, struct run_opts *o, char *err,
		   size_t errlen)
{
	bool format_set = false;
	uint64_t v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->mem_size = VMMCTL_MEM_DEFAULT;
	o->cpus = 1;
	o->format = VMM_IMAGE_AUTO;
	o->flat_mode = VMM_MODE_REAL;
	if (errlen)
		err[0] = '\0';

	optind = 0;	/* full reset: parse this argv from its start */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:c:a:t:d:vqh", run_options,
				NULL)) != -1) {
		if (c == OPT_FORMAT) {
			c = format_option(optarg);
			if (c < 0)
				return fail(err, errlen,
					    "--format '%s': give flat-real, flat-32, flat-long, elf, multiboot, linux or auto",
					    optarg);
		}
		switch (c) {
		case 'm':
			r = parse_size(optarg, &v);
			if (r == -ERANGE || (!r && v > VMMCTL_MEM_MAX))
				return fail(err, errlen,
					    "memory size '%s' is too large: at most %lluM (guest RAM ends below the MMIO window at %#llx)",
					    optarg, VMMCTL_MEM_MAX >> 20,
					    VMMCTL_DEMO_MMIO_BASE);
			if (r)
				return fail(err, errlen,
					    "cannot parse memory size '%s': give bytes or a number with K, M or G (e.g. 64M)",
					    optarg);
			if (v < VMMCTL_MEM_MIN)
				return fail(err, errlen,
					    "memory size '%s' is too small: at least 1M",
					    optarg);
			if (v & 0xfff)
				return fail(err, errlen,
					    "memory size '%s' is not a multiple of 4K",
					    optarg);
			o->mem_size = v;
			o->mem_set = true;
			break;
		case 'c':
			if (parse_u64(optarg, &v) || v < 1 ||
			    v > VMMCTL_CPUS_MAX)
				return fail(err, errlen,
					    "--cpus '%s': give a number from 1 to %d",
					    optarg, VMMCTL_CPUS_MAX);
			o->cpus = (unsigned int)v;
			break;
		case OPT_FLAT_REAL:
		case OPT_FLAT_32:
		case OPT_FLAT_LONG:
		case OPT_ELF:
		case OPT_MULTIBOOT:
		case OPT_LINUX:
		case OPT_AUTO:
			if (format_set)
				return fail(err, errlen,
					    "give at most one of --flat-real, --flat-32, --flat-long, --elf, --multiboot, --linux, --format");
			format_set = true;
			o->format = c == OPT_ELF ? VMM_IMAGE_ELF :
				    c == OPT_MULTIBOOT ? VMM_IMAGE_MULTIBOOT :
				    c == OPT_LINUX ? VMM_IMAGE_LINUX :
				    c == OPT_AUTO ? VMM_IMAGE_AUTO :
				    VMM_IMAGE_FLAT;
			o->flat_mode = c == OPT_FLAT_32 ? VMM_MODE_PROT32 :
				       c == OPT_FLAT_LONG ? VMM_MODE_LONG64 :
				       VMM_MODE_REAL;
			break;
		case 'a':
			if (parse_u64(optarg, &v) || !v)
				return fail(err, errlen,
					    "--load-addr '%s': give a non-zero address (e.g. 0x7c00)",
					    optarg);
			o->load_addr = v;
			break;
		case OPT_CMDLINE:
			o->cmdline = optarg;
			break;
		case OPT_INITRD:
			o->initrd = optarg;
			break;
		case OPT_CONSOLE:
			o->console = optarg;
			break;
		case OPT_TRACE:
			o->trace_exits = true;
			break;
		case OPT_LOG_UNHANDLED:
			o->log_unhandled = true;
			break;
		case OPT_HUGE:
			o->no_thp = false;
			break;
		case OPT_NO_THP:
			o->no_thp = true;
			break;
		case 't':
			if (parse_u64(optarg, &v) || !v || v > 86400 * 365)
				return fail(err, errlen,
					    "--timeout '%s': give whole seconds (at least 1)",
					    optarg);
			o->timeout = (unsigned int)v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'h':
			return 1;
		case ':':
			return fail(err, errlen, "option '%s' needs a value",
				    argv[optind - 1]);
		default:
			return fail(err, errlen, "unknown option '%s'",
				    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fail(err, errlen, "no IMAGE given");
	if (optind + 1 < argc)
		return fail(err, errlen, "one IMAGE only (extra '%s')",
			    argv[optind + 1]);
	o->image = argv[optind];
	if (o->load_addr && o->format != VMM_IMAGE_FLAT &&
	    o->format != VMM_IMAGE_AUTO)
		return fail(err, errlen,
			    "--load-addr applies to flat binaries only");
	return 0;
}

enum vmm_image_format run_detect_format(const struct run_opts *o,
					const void *head, size_t len)
{
	if (o->format != VMM_IMAGE_AUTO)
		return o->format;
	return vmm_image_detect(head, len);
}

int run_check_format(struct run_opts *o, enum vmm_image_format fmt,
		     char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (fmt != VMM_IMAGE_LINUX) {
		if (o->initrd)
			return fail(err, errlen,
				    "--initrd applies to Linux images only (%s is not a bzImage; --linux forces it)",
				    o->image ? o->image : "IMAGE");
		return 0;
	}
	if (o->cpus > 1)
		return fail(err, errlen,
			    "--cpus %u: a Linux guest runs on one vCPU (SMP needs an in-kernel APIC, which vmm does not have)",
			    o->cpus);
	if (!o->mem_set)
		o->mem_size = VMMCTL_MEM_LINUX_DEFAULT;
	return 0;
}

int run_linux_cmdline(const char *user, char *buf, size_t len)
{
	int n;

	if (user && *user)
		n = snprintf(buf, len, "%s %s", VMMCTL_LINUX_CMDLINE, user);
	else
		n = snprintf(buf, len, "%s", VMMCTL_LINUX_CMDLINE);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

enum {
	OPT_JSON = 256,
	OPT_COUNT,
};

static const struct option genl_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Seconds: a positive decimal number, fractions allowed ("0.5", "2"). */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 ||
	    v > GENL_INTERVAL_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

int genl_parse_args(int argc, char **argv, unsigned int accept,
		    struct genl_opts *o, char *err, size_t errlen)
{
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	if (errlen)
		err[0] = '\0';

	optind = 0;	/* full reset: parse this argv from its start */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", genl_options,
				NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case 'i':
			if (!(accept & GENL_OPT_INTERVAL))
				return fail(err, errlen,
					    "--interval does not apply to %s",
					    argv[0]);
			if (parse_seconds(optarg, &o->interval))
				return fail(err, errlen,
					    "--interval '%s': give seconds, more than 0 and at most %.0f (fractions allowed, e.g. 0.5)",
					    optarg, GENL_INTERVAL_MAX);
			break;
		case OPT_COUNT:
			if (!(accept & GENL_OPT_COUNT))
				return fail(err, errlen,
					    "--count does not apply to %s",
					    argv[0]);
			if (parse_u64(optarg, &v) || !v)
				return fail(err, errlen,
					    "--count '%s': give a number of events, at least 1",
					    optarg);
			o->count = v;
			break;
		case 'h':
			return 1;
		case ':':
			return fail(err, errlen, "option '%s' needs a value",
				    argv[optind - 1]);
		default:
			return fail(err, errlen, "unknown option '%s'",
				    argv[optind - 1]);
		}
	}
	if (optind < argc && (accept & GENL_ARG_VM_ID)) {
		if (parse_u64(argv[optind], &v) || !v || v > UINT32_MAX)
			return fail(err, errlen,
				    "VM-ID '%s': give the number vmmctl list shows (from 1)",
				    argv[optind]);
		o->vm_id = (uint32_t)v;
		optind++;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'",
			    argv[optind]);
	return 0;
}
