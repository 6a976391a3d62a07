/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmctl: option parsing of `vmmctl run`, and of `vmmctl list`, `stats`
 * and `monitor`, kept apart from everything that needs /dev/vmm or
 * netlink so the host unit tests can exercise it.
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
#define VMMCTL_EXIT_TIMEOUT	124	/* --timeout expired */
#define VMMCTL_EXIT_SIGNAL	130	/* stopped by SIGINT / SIGTERM */
/* A debug-exit write of code c exits with (c << 1) | 1 (odd). */

#define VMMCTL_MEM_DEFAULT	(64ULL << 20)
#define VMMCTL_MEM_MIN		(1ULL << 20)
#define VMMCTL_MEM_MAX		(3ULL << 30)	/* below the MMIO window */
#define VMMCTL_CPUS_MAX		64

/* vmmctl's example MMIO device (demo_mmio.c). */
#define VMMCTL_DEMO_MMIO_BASE	0xd0000000ULL
#define VMMCTL_DEMO_MMIO_SIZE	0x1000ULL

struct run_opts {
	const char *image;
	const char *device;		/* NULL: the global -d or /dev/vmm */
	uint64_t mem_size;
	unsigned int cpus;
	enum vmm_image_format format;
	enum vmm_mode flat_mode;
	uint64_t load_addr;		/* 0 = the loader's default */
	const char *console;		/* NULL: the terminal */
	const char *cmdline;
	bool trace_exits;
	bool log_unhandled;
	bool huge;
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
