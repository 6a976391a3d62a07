// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl monitor: follow the "events" multicast group of the vmm family,
 * one line per event.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <linux/vmm_genl.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>

#include "args.h"
#include "format.h"
#include "genl_cmds.h"
#include "vmmctl.h"

const char monitor_usage[] =
"usage: vmmctl monitor [--json] [--count N]\n"
"\n"
"Print one line per event of the vmm module as it happens (VMs created\n"
"and destroyed, vCPUs created, shutdowns, failed entries, internal\n"
"errors) until SIGINT or SIGTERM.  Needs CAP_NET_ADMIN.\n"
"\n"
"  TIME EVENT vm ID pid PID [vcpu N] [reason NAME] [hw 0xHW] [rip 0xRIP]\n"
"\n"
"options:\n"
"      --count N  stop after N events\n"
"      --json     one JSON object per line (event, time_ns, vm, pid, vcpu,\n"
"                 exit_reason, hw_reason, rip: those the event carries)\n"
"  -h, --help     this text\n"
"\n"
"exit status: 0 after SIGINT, SIGTERM or N events; 1 on an error.\n";

static void event_text(FILE *f, const struct vm_event *ev, uint64_t now_ns)
{
	char when[48], num[12];

	fmt_iso_time(when, sizeof(when), ev->has_time ? ev->time_ns : now_ns);
	fprintf(f, "%s %s", when,
		name_or_number(vm_event_name(ev->type), ev->type, num,
			       sizeof(num)));
	if (ev->has_vm_id)
		fprintf(f, " vm %" PRIu32, ev->vm_id);
	if (ev->has_pid)
		fprintf(f, " pid %" PRIu32, ev->pid);
	if (ev->has_vcpu_id)
		fprintf(f, " vcpu %" PRIu32, ev->vcpu_id);
	if (ev->has_exit_reason)
		fprintf(f, " reason %s",
			name_or_number(user_exit_name(ev->exit_reason),
				       ev->exit_reason, num, sizeof(num)));
	if (ev->has_hw_reason)
		fprintf(f, " hw 0x%" PRIx64, ev->hw_reason);
	if (ev->has_rip)
		fprintf(f, " rip 0x%" PRIx64, ev->rip);
	fputc('\n', f);
}

static void event_json(FILE *f, const struct vm_event *ev)
{
	char num[12];
	struct json j;

	json_begin(&j, f);
	json_str(&j, "event", name_or_number(vm_event_name(ev->type),
					     ev->type, num, sizeof(num)));
	if (ev->has_time)
		json_u64(&j, "time_ns", ev->time_ns);
	if (ev->has_vm_id)
		json_u64(&j, "vm", ev->vm_id);
	if (ev->has_pid)
		json_u64(&j, "pid", ev->pid);
	if (ev->has_vcpu_id)
		json_u64(&j, "vcpu", ev->vcpu_id);
	if (ev->has_exit_reason)
		json_str(&j, "exit_reason",
			 name_or_number(user_exit_name(ev->exit_reason),
					ev->exit_reason, num, sizeof(num)));
	if (ev->has_hw_reason)
		json_u64(&j, "hw_reason", ev->hw_reason);
	if (ev->has_rip)
		json_u64(&j, "rip", ev->rip);
	json_end(&j);
	fputc('\n', f);
}

void event_print(FILE *f, const struct vm_event *ev, bool json,
		 uint64_t now_ns)
{
	if (json)
		event_json(f, ev);
	else
		event_text(f, ev, now_ns);
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct monitor {
	const struct genl_opts *o;
	uint64_t printed;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct monitor *m = arg;
	struct vm_event ev;
	struct timespec ts;

	if (genl_parse_event(msg, &ev))
		return NL_SKIP;
	clock_gettime(CLOCK_REALTIME, &ts);
	event_print(stdout, &ev, m->o->json,
		    (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	fflush(stdout);
	m->printed++;
	return m->o->count && m->printed >= m->o->count ? NL_STOP : NL_OK;
}

/* Join "events"; 0, or -1 after saying why. */
static int join_events(struct vmm_genl *g)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(g->sk, VMM_GENL_NAME,
				    VMM_GENL_MCGRP_EVENTS);
	if (grp == -NLE_OBJ_NOTFOUND) {
		fprintf(stderr, "vmmctl: the vmm module has no \"%s\" multicast group (is it older than this vmmctl?)\n",
			VMM_GENL_MCGRP_EVENTS);
		return -1;
	}
	if (grp < 0) {
		vmm_genl_perror(g, "cannot look up the vmm events group", grp);
		return -1;
	}
	err = nl_socket_add_membership(g->sk, grp);
	if (err == -NLE_PERM || err == -NLE_NOACCESS) {
		fprintf(stderr, "vmmctl: joining the vmm events group needs CAP_NET_ADMIN\n");
		return -1;
	}
	if (err < 0) {
		g->sys_err = errno;
		vmm_genl_perror(g, "cannot join the vmm events group", err);
		return -1;
	}
	return 0;
}

/* Print events until a signal, count events, or an error (then 1). */
static int follow(struct vmm_genl *g, struct monitor *m,
		  const sigset_t *waitmask)
{
	struct pollfd p = { .fd = nl_socket_get_fd(g->sk), .events = POLLIN };
	int err;

	while (!stop_signal && !(m->o->count && m->printed >= m->o->count)) {
		if (ppoll(&p, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vmmctl: waiting for events: %s\n",
				strerror(errno));
			return 1;
		}
		err = nl_recvmsgs_default(g->sk);
		if (err == -NLE_AGAIN)
			continue;
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the socket's buffer overflowed. */
			fprintf(stderr, "vmmctl: events were lost (vmmctl could not keep up)\n");
			continue;
		}
		if (err < 0) {
			vmm_genl_perror(g, "receiving events", err);
			return 1;
		}
	}
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor m = { NULL, 0 };
	sigset_t block, waitmask;
	struct sigaction sa;
	struct genl_opts o;
	struct vmm_genl g;
	char err[256];
	int ret;

	ret = genl_parse_args(argc, argv, GENL_OPT_COUNT, &o, err,
			      sizeof(err));
	if (ret == 1) {
		fputs(monitor_usage, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "vmmctl monitor: %s; see vmmctl monitor --help\n",
			err);
		return 2;
	}
	m.o = &o;

	/*
	 * SIGINT and SIGTERM stay blocked but while waiting in ppoll, so
	 * that one arriving at any moment ends the wait (libnl itself
	 * retries reads that a signal interrupts).
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (vmm_genl_open(&g))
		return 1;
	if (join_events(&g)) {
		vmm_genl_close(&g);
		return 1;
	}
	/* Events are not answers: they carry no sequence number of ours. */
	nl_socket_disable_seq_check(g.sk);
	nl_socket_modify_cb(g.sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	nl_socket_set_nonblocking(g.sk);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "vmmctl: following vmm events\n");

	ret = follow(&g, &m, &waitmask);
	vmm_genl_close(&g);
	return ret;
}
