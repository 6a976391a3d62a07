/* SPDX-License-Identifier: GPL-2.0 */
/* vmmctl: what the subcommands share. */
#ifndef VMMCTL_H
#define VMMCTL_H

#include "vmm.h"

/* The device of the global -d option (default /dev/vmm). */
extern const char *vmmctl_device;

/*
 * Open the device at path with libvmm; on failure print what the user
 * should do and return -1.
 */
int vmmctl_open(const char *path, struct vmm_dev **devp);

int cmd_run(int argc, char **argv);
/* The generic netlink commands (list_cmd.c, stats_cmd.c, monitor_cmd.c). */
int cmd_list(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

#endif /* VMMCTL_H */
