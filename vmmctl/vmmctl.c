// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: the command-line tool of vmm.
 *
 * Subcommands come from one table; the help text is generated from it.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/vmm.h>

#include "genl_cmds.h"
#include "vmm.h"
#include "vmmctl.h"

const char *vmmctl_device = VMM_DEFAULT_DEVICE;

/*
 * The group that may use the device: kvm, as for /dev/kvm, set by vmm's
 * udev rule (udev/60-vmm.rules); or the group the device has, if it has
 * one with access.
 */
#define VMMCTL_GROUP "kvm"

static void permission_hint(const char *path)
{
	const char *group = VMMCTL_GROUP;
	struct group *gr;
	struct stat st;

	if (!stat(path, &st) && (st.st_mode & S_IRWXG) && st.st_gid) {
		gr = getgrgid(st.st_gid);
		if (gr)
			group = gr->gr_name;
	}
	fprintf(stderr, "vmmctl: %s: permission denied: it is for root and the members of group %s; join the group (sudo adduser $USER %s) and log in again\n",
		path, group, group);
}

int vmmctl_open(const char *path, struct vmm_dev **devp)
{
	int ret = vmm_open(path, devp);

	if (!ret)
		return 0;
	if (ret == -ENOENT)
		fprintf(stderr, "vmmctl: %s missing: is vmm.ko loaded? see README\n",
			path);
	else if (ret == -EACCES || ret == -EPERM)
		permission_hint(path);
	else if (ret == -EPROTO)
		fprintf(stderr, "vmmctl: %s: API version mismatch: rebuild vmmctl against this module's headers\n",
			path);
	else
		fprintf(stderr, "vmmctl: %s: %s\n", path, strerror(-ret));
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

static const char info_usage[] =
"usage: vmmctl info\n"
"\n"
"Print the device's API version, the capabilities it reports and the\n"
"host VMX features the module found (/sys/class/misc/vmm/caps).\n";

static int cmd_info(int argc, char **argv)
{
	struct vmm_dev *dev;
	char line[256];
	FILE *f;
	size_t i;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "vmmctl info: no arguments expected; see vmmctl info --help\n");
		return 2;
	}
	if (vmmctl_open(vmmctl_device, &dev))
		return 1;
	printf("device          %s\n", vmmctl_device);
	printf("api version     %d\n", vmm_api_version(dev));
	printf("capabilities\n");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		printf("  %-30s %d\n", caps[i].name,
		       vmm_check_extension(dev, (unsigned int)caps[i].cap));
	vmm_close(dev);

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

static const char help_usage[] =
"usage: vmmctl help [COMMAND]\n"
"\n"
"List the commands, or show the help of one.\n";

/* The one table of subcommands; the help text comes from it. */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;		/* NULL: the command prints its own */
} commands[] = {
	{ "run", cmd_run, "boot a guest image or a Linux kernel with a serial console", NULL },
	{ "info", cmd_info, "API version, capabilities and host VMX features", info_usage },
	{ "list", cmd_list, "the VMs on this host, with their owner, memory and state", list_usage },
	{ "stats", cmd_stats, "per-vCPU run and exit counters, totals or rates", stats_usage },
	{ "monitor", cmd_monitor, "follow VM events (created, destroyed, failures) as they happen", monitor_usage },
	{ "help", cmd_help, "this text, or the help of one command", help_usage },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmmctl [-d DEVICE] COMMAND [ARGS]\n"
		"       vmmctl COMMAND --help\n\n"
		"options:\n"
		"  -d DEVICE   the hypervisor device (default %s)\n"
		"  -h, --help  this text\n"
		"  --version   vmmctl's version\n\n"
		"commands:\n", VMM_DEFAULT_DEVICE);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nSee vmmctl(8).\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	char *h[] = { NULL, (char *)"--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "vmmctl: unknown command '%s'; see vmmctl --help\n",
			argv[1]);
		return 2;
	}
	if (c->usage) {
		fputs(c->usage, stdout);
		return 0;
	}
	h[0] = (char *)c->name;
	return c->fn(2, h);
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc > 2 && !strcmp(argv[1], "-d")) {
		vmmctl_device = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmmctl %s\n", VMM_VERSION);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "vmmctl: unknown command '%s'; see vmmctl --help\n",
			argv[1]);
		return 2;
	}
	if (c->usage && argc > 2 &&
	    (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		fputs(c->usage, stdout);
		return 0;
	}
	return c->fn(argc - 1, argv + 1);
}
