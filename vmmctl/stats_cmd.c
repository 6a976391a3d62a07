// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl stats: the counters of the vCPUs (VMM_CMD_STATS_GET), as totals
 * or as per-second rates between two samples.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/vmm_genl.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>

#include "args.h"
#include "format.h"
#include "genl_cmds.h"
#include "vmmctl.h"

const char stats_usage[] =
"usage: vmmctl stats [VM-ID] [-i SEC] [--json]\n"
"\n"
"Show the counters of every vCPU of VM-ID (default: of every VM you can\n"
"see): VMM_RUN calls, VM exits, failed VM entries, EPT violations (of\n"
"them, emulated MMIO; and the pages fault-around mapped next to them),\n"
"time in the guest and in the exit handlers, VM exits by VMX basic exit\n"
"reason and returns to userspace by exit reason.\n"
"\n"
"options:\n"
"  -i, --interval SEC  take two samples SEC seconds apart (fractions\n"
"                      allowed) and show per-second rates instead of totals;\n"
"                      guest and handler time then show as a share of the\n"
"                      interval (n/a where the CPU cannot measure them)\n"
"      --json          one JSON array of per-vCPU objects\n"
"  -h, --help          this text\n"
"\n"
"exit status: 0, or 1 if VM-ID does not exist or a netlink request failed.\n";

void stats_sample_add(struct stats_sample *s, const struct vcpu_stats *st)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->v = xnonnull(realloc(s->v, s->cap * sizeof(*s->v)));
	}
	s->v[s->n++] = *st;
}

static int by_vm_vcpu(const void *a, const void *b)
{
	const struct vcpu_stats *x = a, *y = b;

	if (x->vm_id != y->vm_id)
		return x->vm_id < y->vm_id ? -1 : 1;
	return (x->vcpu_id > y->vcpu_id) - (x->vcpu_id < y->vcpu_id);
}

void stats_sample_sort(struct stats_sample *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_vm_vcpu);
}

void stats_sample_free(struct stats_sample *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static const struct vcpu_stats *find_vcpu(const struct stats_sample *s,
					  uint32_t vm_id, uint32_t vcpu_id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].vm_id == vm_id && s->v[i].vcpu_id == vcpu_id)
			return &s->v[i];
	return NULL;
}

/*
 * What is shown of a vCPU: its totals (prev NULL), or the rates since
 * prev over secs seconds.  The macros below pick the same field of both
 * samples.
 */
struct view {
	const struct vcpu_stats *cur, *prev;
	double secs;
};

static double rate_of(const struct view *w, uint64_t now, uint64_t before)
{
	return rate_per_sec(now, before, w->secs);
}

/* A counter in the header line: "1200" or "12.0/s". */
static void text_count(const struct view *w, char *buf, size_t len,
		       uint64_t now, uint64_t before)
{
	if (w->prev)
		snprintf(buf, len, "%.1f/s", rate_of(w, now, before));
	else
		snprintf(buf, len, "%" PRIu64, now);
}

/* A time: "1.204s", or as a share of the interval: "91.2%". */
static void text_time(const struct view *w, char *buf, size_t len,
		      uint64_t now, uint64_t before)
{
	if (w->prev)
		snprintf(buf, len, "%.1f%%", rate_of(w, now, before) / 1e7);
	else
		fmt_duration(buf, len, now);
}

#define TEXT_COUNT(w, buf, field) \
	text_count(w, buf, sizeof(buf), (w)->cur->field, \
		   (w)->prev ? (w)->prev->field : 0)
#define TEXT_TIME(w, buf, field) \
	text_time(w, buf, sizeof(buf), (w)->cur->field, \
		  (w)->prev ? (w)->prev->field : 0)

/* A time is shown if measured now (and, for a rate, in prev too). */
#define HAS(w, flag)	((w)->cur->flag && (!(w)->prev || (w)->prev->flag))

static const uint64_t *vmx_counts(const struct vcpu_stats *s)
{
	return s->exit_count;
}

static const uint64_t *user_counts(const struct vcpu_stats *s)
{
	return s->user_exit_count;
}

/* The two tables of exits: their counts and how the reasons are named. */
static const struct exit_table {
	const char *title;
	const char *json_key;
	unsigned int n;
	const uint64_t *(*counts)(const struct vcpu_stats *s);
	const char *(*name)(uint32_t reason);
} exit_tables[] = {
	{ "EXIT REASON", "exit_reasons", VCPU_NR_EXIT_REASONS, vmx_counts,
	  vmx_exit_name },
	{ "USER EXIT", "user_exits", VCPU_NR_USER_EXITS, user_counts,
	  user_exit_name },
};

#define NR_EXIT_TABLES	(sizeof(exit_tables) / sizeof(exit_tables[0]))

/* Reason i is shown if its total, or its change since prev, is not 0. */
static bool shown(const struct view *w, const struct exit_table *x,
		  unsigned int i)
{
	if (!w->prev)
		return x->counts(w->cur)[i] != 0;
	return x->counts(w->cur)[i] > x->counts(w->prev)[i];
}

static uint64_t before_of(const struct view *w, const struct exit_table *x,
			  unsigned int i)
{
	return w->prev ? x->counts(w->prev)[i] : 0;
}

static void stats_text(FILE *f, const struct view *w)
{
	char runs[32], exits[32], fails[32], ept[32], mmio[32], prefetch[32];
	char guest[32] = "n/a", handler[32] = "n/a";
	struct table t;

	TEXT_COUNT(w, runs, runs);
	TEXT_COUNT(w, exits, exits);
	TEXT_COUNT(w, fails, entry_failures);
	TEXT_COUNT(w, ept, ept_violations);
	TEXT_COUNT(w, mmio, ept_mmio);
	TEXT_COUNT(w, prefetch, ept_prefetch);
	if (HAS(w, has_guest_ns))
		TEXT_TIME(w, guest, guest_ns);
	if (HAS(w, has_handler_ns))
		TEXT_TIME(w, handler, handler_ns);
	fprintf(f, "vm %" PRIu32 " vcpu %" PRIu32 ": runs %s, exits %s, entry failures %s, ept violations %s (mmio %s, prefetch %s), guest time %s, handler time %s\n",
		w->cur->vm_id, w->cur->vcpu_id, runs, exits, fails, ept, mmio,
		prefetch, guest, handler);

	table_init(&t, "lr");
	for (size_t k = 0; k < NR_EXIT_TABLES; k++) {
		const struct exit_table *x = &exit_tables[k];
		bool titled = false;

		for (unsigned int i = 0; i < x->n; i++) {
			char num[12], val[32];
			const char *row[2] = {
				name_or_number(x->name(i), i, num, sizeof(num)),
				val,
			};

			if (!shown(w, x, i))
				continue;
			if (!titled) {
				const char *head[2] = {
					x->title, w->prev ? "PER SEC" : "COUNT"
				};

				table_row(&t, head);
				titled = true;
			}
			if (w->prev)
				snprintf(val, sizeof(val), "%.1f",
					 rate_of(w, x->counts(w->cur)[i],
						 before_of(w, x, i)));
			else
				snprintf(val, sizeof(val), "%" PRIu64,
					 x->counts(w->cur)[i]);
			table_row(&t, row);
		}
	}
	table_print(&t, f, "  ");
	table_free(&t);
}

/* A counter as a JSON value: the total, or the rate since prev. */
static void json_count(struct json *j, const struct view *w, const char *key,
		       uint64_t now, uint64_t before)
{
	if (w->prev)
		json_double(j, key, rate_of(w, now, before));
	else
		json_u64(j, key, now);
}

#define JSON_COUNT(j, w, key, field) \
	json_count(j, w, key, (w)->cur->field, (w)->prev ? (w)->prev->field : 0)

static void stats_json(FILE *f, const struct view *w, double interval)
{
	struct json j;

	json_begin(&j, f);
	json_u64(&j, "vm", w->cur->vm_id);
	json_u64(&j, "vcpu", w->cur->vcpu_id);
	JSON_COUNT(&j, w, "runs", runs);
	JSON_COUNT(&j, w, "exits", exits);
	JSON_COUNT(&j, w, "entry_failures", entry_failures);
	JSON_COUNT(&j, w, "ept_violations", ept_violations);
	JSON_COUNT(&j, w, "ept_mmio", ept_mmio);
	JSON_COUNT(&j, w, "ept_prefetch", ept_prefetch);
	if (HAS(w, has_guest_ns))
		JSON_COUNT(&j, w, "guest_ns", guest_ns);
	if (HAS(w, has_handler_ns))
		JSON_COUNT(&j, w, "handler_ns", handler_ns);
	for (size_t k = 0; k < NR_EXIT_TABLES; k++) {
		const struct exit_table *x = &exit_tables[k];
		struct json reasons;

		json_key(&j, x->json_key);
		json_begin(&reasons, f);
		for (unsigned int i = 0; i < x->n; i++) {
			char num[12];

			if (!shown(w, x, i))
				continue;
			json_count(&reasons, w,
				   name_or_number(x->name(i), i, num, sizeof(num)),
				   x->counts(w->cur)[i], before_of(w, x, i));
		}
		json_end(&reasons);
	}
	if (w->prev) {
		json_key(&j, "interval_s");
		fprintf(f, "%g", interval);
	}
	json_end(&j);
}

void stats_print(FILE *f, const struct stats_sample *cur,
		 const struct stats_sample *prev, double elapsed,
		 double interval, bool json)
{
	bool first = true;

	if (json)
		fputc('[', f);
	for (size_t i = 0; i < cur->n; i++) {
		struct view w = { &cur->v[i], NULL, elapsed };

		if (prev) {
			w.prev = find_vcpu(prev, w.cur->vm_id, w.cur->vcpu_id);
			if (!w.prev)
				continue;
		}
		if (json) {
			if (!first)
				fputc(',', f);
			stats_json(f, &w, interval);
		} else {
			if (!first)
				fputc('\n', f);
			stats_text(f, &w);
		}
		first = false;
	}
	if (json)
		fputs("]\n", f);
}

static int collect_vcpu(struct nl_msg *msg, void *arg)
{
	struct vcpu_stats st;

	if (genl_parse_vcpu_stats(msg, &st))
		return NL_SKIP;
	stats_sample_add(arg, &st);
	return NL_OK;
}

static void forget_vcpus(void *arg)
{
	((struct stats_sample *)arg)->n = 0;
}

static int sample(struct vmm_genl *g, uint32_t vm_id, struct stats_sample *s,
		  double *when)
{
	struct timespec ts;
	int err;

	err = vmm_genl_dump(g, VMM_CMD_STATS_GET, vm_id, collect_vcpu,
			    forget_vcpus, s);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*when = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (err == -NLE_OBJ_NOTFOUND && vm_id) {
		/* The module says so for another user's VM too. */
		fprintf(stderr, "vmmctl: no VM %" PRIu32 " (none with that id, or not one of yours: see vmmctl list)\n",
			vm_id);
		return -1;
	}
	if (err == -NLE_OPNOTSUPP) {
		fprintf(stderr, "vmmctl: this vmm module keeps no statistics (built with VMM_STATS=n)\n");
		return -1;
	}
	if (err < 0) {
		vmm_genl_perror(g, "reading the vCPU statistics", err);
		return -1;
	}
	stats_sample_sort(s);
	return 0;
}

static void sleep_seconds(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9),
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_stats(int argc, char **argv)
{
	struct stats_sample a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	double t0, t1;
	struct genl_opts o;
	struct vmm_genl g;
	char err[256];
	int ret, status = 1;

	ret = genl_parse_args(argc, argv, GENL_ARG_VM_ID | GENL_OPT_INTERVAL,
			      &o, err, sizeof(err));
	if (ret == 1) {
		fputs(stats_usage, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "vmmctl stats: %s; see vmmctl stats --help\n",
			err);
		return 2;
	}
	if (vmm_genl_open(&g))
		return 1;
	if (sample(&g, o.vm_id, &a, &t0))
		goto out;
	if (!o.interval) {
		stats_print(stdout, &a, NULL, 0, 0, o.json);
	} else {
		sleep_seconds(o.interval);
		if (sample(&g, o.vm_id, &b, &t1))
			goto out;
		stats_print(stdout, &b, &a, t1 - t0, o.interval, o.json);
	}
	status = 0;
out:
	vmm_genl_close(&g);
	stats_sample_free(&a);
	stats_sample_free(&b);
	return status;
}
