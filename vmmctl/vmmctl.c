// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: the command-line tool of vmm.
 *
 * Subcommands come from one table; the help text is generated from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vmm.h>

static const char *dev_path = "/dev/vmm";

static int open_dev(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		fprintf(stderr, "vmmctl: %s missing: is vmm.ko loaded? see README\n",
			dev_path);
	else if (errno == EACCES)
		fprintf(stderr, "vmmctl: %s: permission denied (root, or a udev rule granting access)\n",
			dev_path);
	else
		fprintf(stderr, "vmmctl: %s: %s\n", dev_path, strerror(errno));
	return -1;
}

static const struct {
	int cap;
	const char *name;
} caps[] = {
	{ VMM_CAP_HLT, "HLT" },
	{ VMM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ VMM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
	{ VMM_CAP_EXT_CPUID, "EXT_CPUID" },
	{ VMM_CAP_NR_VCPUS, "NR_VCPUS" },
	{ VMM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS" },
	{ VMM_CAP_SYNC_MMU, "SYNC_MMU" },
	{ VMM_CAP_DESTROY_MEMORY_REGION_WORKS, "DESTROY_MEMORY_REGION_WORKS" },
	{ VMM_CAP_JOIN_MEMORY_REGIONS_WORKS, "JOIN_MEMORY_REGIONS_WORKS" },
	{ VMM_CAP_SET_IDENTITY_MAP_ADDR, "SET_IDENTITY_MAP_ADDR" },
	{ VMM_CAP_MAX_VCPUS, "MAX_VCPUS" },
	{ VMM_CAP_READONLY_MEM, "READONLY_MEM" },
	{ VMM_CAP_CHECK_EXTENSION_VM, "CHECK_EXTENSION_VM" },
	{ VMM_CAP_MAX_VCPU_ID, "MAX_VCPU_ID" },
	{ VMM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "MANUAL_DIRTY_LOG_PROTECT2" },
};

static int cmd_info(int argc, char **argv)
{
	char line[256];
	FILE *f;
	size_t i;
	int fd, v;

	(void)argc;
	(void)argv;
	fd = open_dev();
	if (fd < 0)
		return 1;
	v = ioctl(fd, VMM_GET_API_VERSION, 0);
	printf("device          %s\n", dev_path);
	printf("api version     %d\n", v);
	printf("capabilities\n");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		printf("  %-30s %d\n", caps[i].name,
		       ioctl(fd, VMM_CHECK_EXTENSION, caps[i].cap));
	close(fd);

	/* The VMX features the module found, from its sysfs directory. */
	f = fopen("/sys/class/misc/vmm/caps", "r");
	if (f) {
		printf("host VMX\n");
		while (fgets(line, sizeof(line), f))
			printf("  %s", line);
		fclose(f);
	}
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "info", cmd_info, "API version, capabilities and host VMX features" },
	{ "help", cmd_help, "this text" },
};

static int cmd_help(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	printf("usage: vmmctl [-d DEVICE] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc > 2 && !strcmp(argv[1], "-d")) {
		dev_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv) || argc < 2;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vmmctl: unknown command '%s'; see vmmctl --help\n",
		argv[1]);
	return 2;
}
