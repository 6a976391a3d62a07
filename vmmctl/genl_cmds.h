/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmctl list, stats and monitor: their help texts and their output, kept
 * apart from the netlink socket so the host unit tests can feed them
 * fabricated structs (selftests/unit/vmmctl_genl_test.c).
 * Their options are parsed by genl_parse_args() (args.c).
 */
#ifndef VMMCTL_GENL_CMDS_H
#define VMMCTL_GENL_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "genl.h"

/* ---- vmmctl list ------------------------------------------------- */

extern const char list_usage[];
/*
 * The table (header line, then one line per VM, in the order given) or
 * the JSON array of the VMs on one line.
 */
void list_print(FILE *f, const struct vm_info *vms, size_t n, bool json);

/* ---- vmmctl stats ------------------------------------------------ */

/* The vCPUs of one dump. */
struct stats_sample {
	struct vcpu_stats *v;
	size_t n, cap;
};

extern const char stats_usage[];
/* Add a copy of st to s. */
void stats_sample_add(struct stats_sample *s, const struct vcpu_stats *st);
/* In the order of VM id, then vCPU id. */
void stats_sample_sort(struct stats_sample *s);
void stats_sample_free(struct stats_sample *s);

/*
 * Print the vCPUs of cur in its order.  Without prev: their totals.
 * With prev: per-second rates over elapsed seconds, of the vCPUs found
 * in both samples only, and JSON objects get "interval_s": interval.
 */
void stats_print(FILE *f, const struct stats_sample *cur,
		 const struct stats_sample *prev, double elapsed,
		 double interval, bool json);

/* ---- vmmctl monitor ---------------------------------------------- */

extern const char monitor_usage[];
/*
 * One line for the event; a text line shows now_ns (CLOCK_REALTIME)
 * when the event carries no time.
 */
void event_print(FILE *f, const struct vm_event *ev, bool json,
		 uint64_t now_ns);

#endif /* VMMCTL_GENL_CMDS_H */
