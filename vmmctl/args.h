/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmctl: option parsing of `vmmctl run`, and of `vmmctl list`, `stats`
 * and `monitor`, and the decisions `run` takes from the options and the
 * image (format, memory, Linux command line), kept apart from everything
 * that needs /dev/vmm or netlink so the host unit tests can exercise it.
 */
#ifndef VMMCTL_ARGS_H
#define VMMCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

/* Exit statuses of `vmmctl run` (see vmmctl(8)). */
#define VMMCTL_EXIT_HALT	0	/* every vCPU halted */
#define VMMCTL_EXIT_USAGE	2	/* bad option, image or device */
#define VMMCTL_EXIT_SHUTDOWN	4	/* triple fault */
#define VMMCTL_EXIT_ENTRY	6	/* VM entry failed */
#define VMMCTL_EXIT_INTERNAL	8	/* internal error / unhandled exit */
#define VMMCTL_EXIT_RESET	10	/* the guest reset itself (reboot) */
#define VMMCTL_EXIT_TIMEOUT	124	/* --timeout expired */
#define VMMCTL_EXIT_SIGNAL	130	/* stopped by SIGINT / SIGTERM */
#define VMMCTL_EXIT_QUIT	VMMCTL_EXIT_SIGNAL /* Ctrl-A x on the console */
/* A debug-exit write of code c exits with (c << 1) | 1 (odd). */

#define VMMCTL_MEM_DEFAULT	(64ULL << 20)
#define VMMCTL_MEM_LINUX_DEFAULT (256ULL << 20)	/* without -m */
#define VMMCTL_MEM_MIN		(1ULL << 20)
#define VMMCTL_MEM_MAX		(3ULL << 30)	/* below the MMIO window */
#define VMMCTL_CPUS_MAX		64

/* vmmctl's example MMIO device (demo_mmio.c). */
#define VMMCTL_DEMO_MMIO_BASE	0xd0000000ULL
#define VMMCTL_DEMO_MMIO_SIZE	0x1000ULL

/*
 * What vmmctl puts before the user's --cmdline for a Linux guest, for
 * the machine it builds: one vCPU, the legacy PC devices on ports (PIC,
 * PIT, RTC, COM1, the i8042's reset line, PCI configuration mechanism 1
 * with no device), no firmware tables and no APIC.
 *  - console=ttyS0 earlyprintk=serial,ttyS0: everything on COM1, from
 *    the first messages of the decompressed kernel on;
 *  - noapic nolapic: no I/O APIC and no local APIC to look for (CPUID
 *    does not advertise one either), so the 8259A pair and the PIT are
 *    the interrupt and timer hardware;
 *  - acpi=off: there are no ACPI tables, do not scan for them;
 *  - pci=conf1: use configuration mechanism 1 directly (there is no
 *    BIOS to ask); it finds no device;
 *  - tsc=reliable: no clocksource watchdog demoting the TSC when the
 *    host delays the vCPU thread;
 *  - i8042.noaux: the i8042 has no mouse port; without this the kernel
 *    waits 250 ms for a mouse interrupt that cannot come;
 *  - reboot=k: reboot through the i8042's reset line, which stops the VM
 *    with VMM_STOP_RESET (exit status VMMCTL_EXIT_RESET) instead of a
 *    round of methods ending in a triple fault;
 *  - panic=-1: a panicking kernel reboots at once, so vmmctl exits
 *    (status VMMCTL_EXIT_RESET) rather than the guest spinning forever.
 * Two halves so the help text can show it within 80 columns.
 */
#define VMMCTL_LINUX_CMDLINE_1 \
	"console=ttyS0 earlyprintk=serial,ttyS0 noapic nolapic"
#define VMMCTL_LINUX_CMDLINE_2 \
	"acpi=off pci=conf1 tsc=reliable i8042.noaux reboot=k panic=-1"
#define VMMCTL_LINUX_CMDLINE \
	VMMCTL_LINUX_CMDLINE_1 " " VMMCTL_LINUX_CMDLINE_2
/* The longest command line vmmctl builds (with the NUL). */
#define VMMCTL_CMDLINE_MAX	4096

struct run_opts {
	const char *image;
	const char *device;		/* NULL: the global -d or /dev/vmm */
	uint64_t mem_size;
	bool mem_set;			/* -m given (else the default) */
	unsigned int cpus;
	enum vmm_image_format format;
	enum vmm_mode flat_mode;
	uint64_t load_addr;		/* 0 = the loader's default */
	const char *console;		/* NULL: the terminal */
	const char *cmdline;		/* Multiboot: all; Linux: appended */
	const char *initrd;		/* Linux: the initial RAM disk */
	bool trace_exits;
	bool verbose;			/* -v: the boot summary and cmdline */
	bool log_unhandled;
	bool no_thp;			/* --no-thp: 4 KiB pages, not THP */
	bool quiet;
	unsigned int timeout;		/* seconds, 0 = none */
};

/*
 * parse_size: "64M", "512k", "1G", "1048576" (bytes; K/M/G/T suffixes,
 * either case, optional trailing "B"/"iB").  Returns 0 or -EINVAL
 * (unparsable, zero) or -ERANGE (overflow).
 */
int parse_size(const char *s, uint64_t *out);

/* parse_u64: decimal, 0x hex or 0 octal, whole string.  0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);

/*
 * run_parse_args: parse `run`'s argv (argv[0] is "run").  Returns 0 on
 * success, 1 if --help was asked for (nothing else parsed), or -1 with a
 * message for the user in err (errlen bytes).
 */
int run_parse_args(int argc, char **argv, struct run_opts *o, char *err,
		   size_t errlen);

/* The help text of `vmmctl run`. */
extern const char run_usage[];

/*
 * run_detect_format: the format to load the image as, from the options
 * and the image's first bytes (head, len of them; 8 KiB is enough): a
 * format option wins, else vmm_image_detect.  vmmctl decides it before
 * the VM exists, since memory and devices depend on it.
 */
enum vmm_image_format run_detect_format(const struct run_opts *o,
					const void *head, size_t len);

/*
 * run_check_format: check the options against the image's format fmt
 * and settle what depends on it: a Linux guest gets
 * VMMCTL_MEM_LINUX_DEFAULT unless -m was given, and one vCPU only;
 * --initrd needs a Linux image.  Returns 0 (o->mem_size updated) or -1
 * with a message in err.
 */
int run_check_format(struct run_opts *o, enum vmm_image_format fmt,
		     char *err, size_t errlen);

/*
 * run_linux_cmdline: the kernel command line of a Linux guest into buf
 * (len bytes): VMMCTL_LINUX_CMDLINE, then a space and user unless user
 * is NULL or empty.  Returns its length, or -ENOSPC if it does not fit
 * (buf then holds "").
 */
int run_linux_cmdline(const char *user, char *buf, size_t len);

/*
 * The options of list, stats and monitor, which share one parser: each
 * command says which of the optional ones it takes.
 */
#define GENL_ARG_VM_ID		0x1u	/* an optional VM-ID operand */
#define GENL_OPT_INTERVAL	0x2u	/* -i, --interval SEC */
#define GENL_OPT_COUNT		0x4u	/* --count N */
#define GENL_INTERVAL_MAX	86400.0	/* seconds */

struct genl_opts {
	uint32_t vm_id;		/* 0: none given (every visible VM) */
	double interval;	/* seconds, 0: none given */
	uint64_t count;		/* 0: none given */
	bool json;		/* --json */
};

/*
 * genl_parse_args: parse argv of list, stats or monitor (argv[0] is the
 * command's name), accepting --json, --help and the options in accept
 * (GENL_*).  Returns 0, 1 if --help was asked for, or -1 with a message
 * for the user in err.
 */
int genl_parse_args(int argc, char **argv, unsigned int accept,
		    struct genl_opts *o, char *err, size_t errlen);

#endif /* VMMCTL_ARGS_H */
