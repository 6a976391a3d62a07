// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vmm" (uapi/linux/vmm_genl.h), through
 * libnl-genl-3:
 *  - VMs: three child processes create five VMs with known vCPUs and
 *    memory slots; a VM_GET dump lists them in increasing id order with
 *    the right pid, uid, vCPU and slot counts, memory, state and creation
 *    time, VM_GET per id agrees, and they are gone once the children
 *    exit.  100 VMs of one vCPU (VMM_GENL_VMS, at least 40): dumps
 *    spanning several messages list every VM and every vCPU exactly once;
 *  - statistics: a guest looping a while, then doing 5 CPUIDs (handled
 *    in the kernel), 3 OUTs (to user space), 2 HLTs, 4 MMIO writes and
 *    3 MMIO reads gives exactly those counts of VM exits by basic reason,
 *    of VMM_RUN returns by exit reason, of runs and of MMIO EPT
 *    violations; guest and handler time are counted; an idle vCPU counts
 *    nothing; a dump filtered by VM id holds that VM's vCPUs only; VM
 *    states CREATED, RUNNING (a spinning guest) and IDLE, and a signal's
 *    EINTR counted as VMM_EXIT_INTR;
 *  - events: VM_CREATED, VCPU_CREATED, ENTRY_FAILED (hardware reason 33),
 *    INTERNAL_ERROR (emulation), SHUTDOWN (triple fault) and VM_DESTROYED
 *    arrive in order with the VM id, pid, vCPU id, exit and hardware
 *    reason and guest RIP; the VM state follows (FAILED, IDLE, SHUTDOWN);
 *  - permissions: a process of uid 65534 sees only its own VMs (dumps,
 *    VM_GET and stats of root's VM: ENOENT) and cannot join "events"
 *    (EPERM); root sees both;
 *  - malformed requests: unknown command, VM_GET without an id, with an
 *    8-byte id, with id 0, with an unknown attribute, STATS_GET without
 *    the dump flag, unknown ids: the errors, and the family still works;
 *  - dumps (and an event listener) racing VM creation and destruction
 *    in another thread for at least two seconds (VMM_GENL_RACE_MS, at
 *    least 500) and ten cycles.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/vmm_genl.h>

#include "test_util.h"

#define DEV_PATH	"/dev/vmm"
#define VMS_PATH	"/sys/class/misc/vmm/vms"
#define RECV_BUF	16384
#define NOBODY		65534

/* VMX basic exit reasons */
#define XR_EXT_INTR	1
#define XR_TRIPLE_FAULT	2
#define XR_CPUID	10
#define XR_HLT		12
#define XR_IO		30
#define XR_ENTRY_GUEST	33
#define XR_EPT		48
#define XR_PREEMPT	52	/* the VMX-preemption timer: a tick of guest time */

#define MMIO_BASE	0xd0000000ULL

static int family = -1;
static int events_grp = -1;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint32_t vm_id_of(struct vmm_vm *vm)
{
	uint32_t id = test_fd_vm_id(vmm_vm_fd(vm));

	TEST_ASSERT(id, "no vm_id in /proc/self/fdinfo/%d", vmm_vm_fd(vm));
	return id;
}

static int vms_count(void)
{
	FILE *f = fopen(VMS_PATH, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "success";
	case -EINVAL: return "EINVAL";
	case -ERANGE: return "ERANGE";
	case -ENOENT: return "ENOENT";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	case -EPERM: return "EPERM";
	case -EPROTO: return "EPROTO (bad reply)";
	case -EBADMSG: return "EBADMSG (malformed message)";
	case -ETIMEDOUT: return "ETIMEDOUT (no reply)";
	default: return strerror(-e);
	}
}

/* ------------------------------------------------------------------ */
/* Netlink                                                             */
/* ------------------------------------------------------------------ */

/* One parsed message of the family. */
struct gmsg {
	uint8_t cmd;
	uint64_t have;			/* bit per enum vmm_attr */
	uint64_t v[VMM_A_MAX + 1];
	uint64_t exit_cnt[128];		/* VMM_A_VCPU_EXIT by basic reason */
	uint64_t user_cnt[64];		/* VMM_A_VCPU_USER_EXIT by VMM_EXIT_* */
	unsigned int nexit, nuser;	/* nests seen */
};

#define HAVE(a)		(1ULL << (a))
#define VM_ATTRS	(HAVE(VMM_A_VM_ID) | HAVE(VMM_A_VM_PID) |	\
			 HAVE(VMM_A_VM_UID) | HAVE(VMM_A_VM_NR_VCPUS) |	\
			 HAVE(VMM_A_VM_NR_SLOTS) | HAVE(VMM_A_VM_MEM_BYTES) | \
			 HAVE(VMM_A_VM_MAPPED_BYTES) |			\
			 HAVE(VMM_A_VM_CREATED_NS) | HAVE(VMM_A_VM_AGE_NS) | \
			 HAVE(VMM_A_VM_STATE) | HAVE(VMM_A_VM_MAPPED_HUGE_BYTES))
#define STATS_ATTRS	(HAVE(VMM_A_VM_ID) | HAVE(VMM_A_VCPU_ID) |	\
			 HAVE(VMM_A_VCPU_RUNS) | HAVE(VMM_A_VCPU_EXITS) |	\
			 HAVE(VMM_A_VCPU_EPT_VIOLATIONS) |		\
			 HAVE(VMM_A_VCPU_EPT_MMIO) |			\
			 HAVE(VMM_A_VCPU_ENTRY_FAILURES) |		\
			 HAVE(VMM_A_VCPU_EPT_PREFETCH))
#define EVENT_ATTRS	(HAVE(VMM_A_EVENT_TYPE) | HAVE(VMM_A_EVENT_TIME_NS) | \
			 HAVE(VMM_A_VM_ID) | HAVE(VMM_A_VM_PID))

struct gmsgs {
	uint8_t cmd;			/* the command replies must carry */
	struct gmsg *m;
	unsigned int n, cap;
};

static void gmsgs_free(struct gmsgs *c)
{
	free(c->m);
	c->m = NULL;
	c->n = c->cap = 0;
}

/* Attribute payload size: 4 or 8, 0 for PAD, -1 for the nests. */
static int attr_size(int type)
{
	switch (type) {
	case VMM_A_PAD:
		return 0;
	case VMM_A_VCPU_EXIT:
	case VMM_A_VCPU_USER_EXIT:
		return -1;
	case VMM_A_VM_ID:
	case VMM_A_VM_PID:
	case VMM_A_VM_UID:
	case VMM_A_VM_NR_VCPUS:
	case VMM_A_VM_NR_SLOTS:
	case VMM_A_VM_STATE:
	case VMM_A_VCPU_ID:
	case VMM_A_EVENT_TYPE:
	case VMM_A_EVENT_VCPU_ID:
	case VMM_A_EVENT_EXIT_REASON:
		return 4;
	default:
		return 8;
	}
}

static int parse_exit_nest(struct nlattr *nest, struct gmsg *g, bool user)
{
	uint64_t *cnt = user ? g->user_cnt : g->exit_cnt;
	unsigned int max = user ? 64 : 128;
	bool have_r = false, have_c = false;
	uint32_t reason = 0;
	uint64_t count = 0;
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) == VMM_A_EXIT_REASON && nla_len(a) == 4) {
			reason = nla_get_u32(a);
			have_r = true;
		} else if (nla_type(a) == VMM_A_EXIT_COUNT && nla_len(a) == 8) {
			count = nla_get_u64(a);
			have_c = true;
		} else if (nla_type(a) == VMM_A_EXIT_REASON ||
			   nla_type(a) == VMM_A_EXIT_COUNT) {
			tap_diag("exit nest: attribute %d of %d bytes",
				 nla_type(a), nla_len(a));
			return -EBADMSG;
		}
	}
	if (!have_r || !have_c || reason >= max || cnt[reason]) {
		tap_diag("bad %s nest: reason %s%u count %s%llu%s",
			 user ? "USER_EXIT" : "EXIT", have_r ? "" : "(none) ",
			 reason, have_c ? "" : "(none) ",
			 (unsigned long long)count,
			 have_r && reason < max && cnt[reason] ? " (repeated)" : "");
		return -EBADMSG;
	}
	if (!count) {
		tap_diag("%s nest for reason %u with count 0",
			 user ? "USER_EXIT" : "EXIT", reason);
		return -EBADMSG;
	}
	cnt[reason] = count;
	if (user)
		g->nuser++;
	else
		g->nexit++;
	return 0;
}

/* Parse one message of the family; -EBADMSG (with a diagnostic) if bad. */
static int parse_msg(struct nlmsghdr *h, uint8_t want_cmd, struct gmsg *g)
{
	struct genlmsghdr *gh;
	struct nlattr *a;
	int rem;

	memset(g, 0, sizeof(*g));
	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		tap_diag("message of %u bytes", h->nlmsg_len);
		return -EBADMSG;
	}
	gh = genlmsg_hdr(h);
	g->cmd = gh->cmd;
	if (gh->cmd != want_cmd) {
		tap_diag("message with command %u, expected %u", gh->cmd, want_cmd);
		return -EBADMSG;
	}
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		int t = nla_type(a), sz;

		if (t > VMM_A_MAX)	/* newer than this test */
			continue;
		sz = attr_size(t);
		if (sz == 0)
			continue;
		if (sz < 0) {
			if (parse_exit_nest(a, g, t == VMM_A_VCPU_USER_EXIT))
				return -EBADMSG;
			continue;
		}
		if (nla_len(a) != sz || (g->have & HAVE(t))) {
			tap_diag("attribute %d: %d bytes (want %d)%s", t,
				 nla_len(a), sz,
				 g->have & HAVE(t) ? ", repeated" : "");
			return -EBADMSG;
		}
		g->have |= HAVE(t);
		g->v[t] = sz == 4 ? nla_get_u32(a) : nla_get_u64(a);
	}
	if (rem) {
		tap_diag("%d bytes of trailing garbage after the attributes", rem);
		return -EBADMSG;
	}
	return 0;
}

static int collect_cb(struct nlmsghdr *h, void *arg)
{
	struct gmsgs *c = arg;

	if (c->n == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 16;
		struct gmsg *m = realloc(c->m, cap * sizeof(*m));

		TEST_ASSERT(m, "realloc");
		c->m = m;
		c->cap = cap;
	}
	if (parse_msg(h, c->cmd, &c->m[c->n]))
		return -EBADMSG;
	c->n++;
	return 0;
}

static struct nl_sock *gsock_open(void)
{
	struct timeval tv = { .tv_sec = 30 };
	struct nl_sock *sk = nl_socket_alloc();

	TEST_ASSERT(sk, "nl_socket_alloc");
	TEST_ASSERT(genl_connect(sk) == 0, "genl_connect");
	nl_socket_disable_auto_ack(sk);
	nl_socket_disable_seq_check(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return sk;
}

static struct nl_msg *req_new(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	TEST_ASSERT(msg, "nlmsg_alloc");
	TEST_ASSERT(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				flags, cmd, VMM_GENL_VERSION), "genlmsg_put");
	return msg;
}

/*
 * Send msg (and free it), then read the replies: each message of the
 * family goes to cb (which may be NULL) until the ack (requests without
 * NLM_F_DUMP get NLM_F_ACK) or NLMSG_DONE.  Returns 0, the kernel's
 * -errno, -EBADMSG if cb found a malformed message, or -EPROTO /
 * -ETIMEDOUT for transport trouble.  *nrecv (if given) counts datagrams.
 */
static int genl_xfer(struct nl_sock *sk, struct nl_msg *msg,
		     int (*cb)(struct nlmsghdr *, void *), void *arg,
		     unsigned int *nrecv)
{
	static __thread char buf[RECV_BUF] __attribute__((aligned(8)));
	struct nlmsghdr *req = nlmsg_hdr(msg);
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	int fd = nl_socket_get_fd(sk), r, cbret = 0;
	uint32_t seq;

	if (!dump)
		req->nlmsg_flags |= NLM_F_ACK;
	r = nl_send_auto(sk, msg);
	seq = req->nlmsg_seq;
	nlmsg_free(msg);
	if (r < 0) {
		tap_diag("nl_send_auto: %s", nl_geterror(r));
		return -EPROTO;
	}
	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct nlmsghdr *h;
		ssize_t n = recvmsg(fd, &mh, 0);
		int rem;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			tap_diag("recvmsg: %s", strerror(errno));
			return errno == EAGAIN ? -ETIMEDOUT : -EPROTO;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			tap_diag("reply truncated (more than %d bytes)", RECV_BUF);
			return -EPROTO;
		}
		if (nrecv)
			(*nrecv)++;
		rem = (int)n;
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
			if (h->nlmsg_seq != seq) {
				tap_diag("reply with seq %u, expected %u (type %u)",
					 h->nlmsg_seq, seq, h->nlmsg_type);
				return -EPROTO;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				if (e->error > 0) {
					tap_diag("positive error %d", e->error);
					return -EPROTO;
				}
				return e->error ? e->error : cbret;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (!dump) {
					tap_diag("NLMSG_DONE for a request that is no dump");
					return -EPROTO;
				}
				if (nlmsg_datalen(h) >= (int)sizeof(int))
					memcpy(&err, nlmsg_data(h), sizeof(err));
				return err ? err : cbret;
			}
			if (h->nlmsg_type != family) {
				tap_diag("reply of type %u", h->nlmsg_type);
				return -EPROTO;
			}
			if (cb && !cbret)
				cbret = cb(h, arg);
		}
		if (rem) {
			tap_diag("%d bytes of a partial netlink message", rem);
			return -EPROTO;
		}
	}
}

static int vm_dump(struct nl_sock *sk, struct gmsgs *out, unsigned int *nrecv)
{
	out->cmd = VMM_CMD_VM_GET;
	return genl_xfer(sk, req_new(VMM_CMD_VM_GET, NLM_F_DUMP), collect_cb,
			 out, nrecv);
}

static int vm_get(struct nl_sock *sk, uint32_t id, struct gmsg *out)
{
	struct nl_msg *msg = req_new(VMM_CMD_VM_GET, 0);
	struct gmsgs c = { .cmd = VMM_CMD_VM_GET };
	int r;

	TEST_ASSERT(nla_put_u32(msg, VMM_A_VM_ID, id) == 0, "nla_put_u32");
	r = genl_xfer(sk, msg, collect_cb, &c, NULL);
	if (!r && c.n != 1) {
		tap_diag("VM_GET %u: %u replies", id, c.n);
		r = -EPROTO;
	}
	if (!r && out)
		*out = c.m[0];
	gmsgs_free(&c);
	return r;
}

/* STATS_GET dump of every visible VM (id 0) or of VM id. */
static int stats_dump(struct nl_sock *sk, uint32_t id, struct gmsgs *out,
		      unsigned int *nrecv)
{
	struct nl_msg *msg = req_new(VMM_CMD_STATS_GET, NLM_F_DUMP);

	if (id)
		TEST_ASSERT(nla_put_u32(msg, VMM_A_VM_ID, id) == 0, "nla_put_u32");
	out->cmd = VMM_CMD_STATS_GET;
	return genl_xfer(sk, msg, collect_cb, out, nrecv);
}

static struct gmsg *find_vm(struct gmsgs *c, uint32_t id)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->m[i].v[VMM_A_VM_ID] == id)
			return &c->m[i];
	return NULL;
}

static struct gmsg *find_vcpu(struct gmsgs *c, uint32_t vm, uint32_t vcpu)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->m[i].v[VMM_A_VM_ID] == vm &&
		    c->m[i].v[VMM_A_VCPU_ID] == vcpu)
			return &c->m[i];
	return NULL;
}

/* Every VM message complete and the ids strictly increasing. */
static bool vm_dump_sane(struct gmsgs *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		if ((c->m[i].have & VM_ATTRS) != VM_ATTRS) {
			tap_diag("VM message %u lacks attributes: have %#llx want %#llx",
				 i, (unsigned long long)c->m[i].have,
				 (unsigned long long)VM_ATTRS);
			return false;
		}
		if (!c->m[i].v[VMM_A_VM_ID] ||
		    (i && c->m[i].v[VMM_A_VM_ID] <= c->m[i - 1].v[VMM_A_VM_ID])) {
			tap_diag("VM ids out of order: %llu after %llu",
				 (unsigned long long)c->m[i].v[VMM_A_VM_ID],
				 i ? (unsigned long long)c->m[i - 1].v[VMM_A_VM_ID] : 0ULL);
			return false;
		}
		if (c->m[i].v[VMM_A_VM_STATE] > VMM_VM_STATE_FAILED ||
		    c->m[i].v[VMM_A_VM_MAPPED_BYTES] > c->m[i].v[VMM_A_VM_MEM_BYTES]) {
			tap_diag("VM %llu: state %llu, mapped %llu of %llu bytes",
				 (unsigned long long)c->m[i].v[VMM_A_VM_ID],
				 (unsigned long long)c->m[i].v[VMM_A_VM_STATE],
				 (unsigned long long)c->m[i].v[VMM_A_VM_MAPPED_BYTES],
				 (unsigned long long)c->m[i].v[VMM_A_VM_MEM_BYTES]);
			return false;
		}
	}
	return true;
}

/* Every stats message complete, the nests adding up. */
static bool stats_sane(struct gmsgs *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		struct gmsg *g = &c->m[i];
		uint64_t sum = 0, usum = 0;

		if ((g->have & STATS_ATTRS) != STATS_ATTRS) {
			tap_diag("stats message %u lacks attributes: have %#llx want %#llx",
				 i, (unsigned long long)g->have,
				 (unsigned long long)STATS_ATTRS);
			return false;
		}
		for (int r = 0; r < 128; r++)
			sum += g->exit_cnt[r];
		for (int r = 0; r < 64; r++)
			usum += g->user_cnt[r];
		if (sum != g->v[VMM_A_VCPU_EXITS] ||
		    g->exit_cnt[XR_EPT] != g->v[VMM_A_VCPU_EPT_VIOLATIONS] ||
		    g->v[VMM_A_VCPU_EPT_MMIO] > g->v[VMM_A_VCPU_EPT_VIOLATIONS] ||
		    usum > g->v[VMM_A_VCPU_RUNS]) {
			tap_diag("VM %llu vCPU %llu: exits %llu, sum of reasons %llu, EPT %llu/%llu, mmio %llu, runs %llu, sum of returns %llu",
				 (unsigned long long)g->v[VMM_A_VM_ID],
				 (unsigned long long)g->v[VMM_A_VCPU_ID],
				 (unsigned long long)g->v[VMM_A_VCPU_EXITS],
				 (unsigned long long)sum,
				 (unsigned long long)g->exit_cnt[XR_EPT],
				 (unsigned long long)g->v[VMM_A_VCPU_EPT_VIOLATIONS],
				 (unsigned long long)g->v[VMM_A_VCPU_EPT_MMIO],
				 (unsigned long long)g->v[VMM_A_VCPU_RUNS],
				 (unsigned long long)usum);
			return false;
		}
	}
	return true;
}

static void stats_diag(const struct gmsg *g)
{
	char buf[512];
	int n = 0;

	for (int r = 0; r < 128; r++)
		if (g->exit_cnt[r])
			n += snprintf(buf + n, sizeof(buf) - n, " %d:%llu", r,
				      (unsigned long long)g->exit_cnt[r]);
	buf[n] = 0;
	tap_diag("  VM %llu vCPU %llu: runs %llu exits %llu ept %llu mmio %llu entry-fail %llu guest %s%llu ns handler %llu ns; reasons%s",
		 (unsigned long long)g->v[VMM_A_VM_ID],
		 (unsigned long long)g->v[VMM_A_VCPU_ID],
		 (unsigned long long)g->v[VMM_A_VCPU_RUNS],
		 (unsigned long long)g->v[VMM_A_VCPU_EXITS],
		 (unsigned long long)g->v[VMM_A_VCPU_EPT_VIOLATIONS],
		 (unsigned long long)g->v[VMM_A_VCPU_EPT_MMIO],
		 (unsigned long long)g->v[VMM_A_VCPU_ENTRY_FAILURES],
		 g->have & HAVE(VMM_A_VCPU_GUEST_NS) ? "" : "(absent) ",
		 (unsigned long long)g->v[VMM_A_VCPU_GUEST_NS],
		 (unsigned long long)g->v[VMM_A_VCPU_HANDLER_NS], buf);
	n = 0;
	for (int r = 0; r < 64; r++)
		if (g->user_cnt[r])
			n += snprintf(buf + n, sizeof(buf) - n, " %s:%llu",
				      vmm_exit_reason_name(r),
				      (unsigned long long)g->user_cnt[r]);
	buf[n] = 0;
	tap_diag("  returns to user space:%s", buf);
}

static void vm_diag(const struct gmsg *g)
{
	tap_diag("  VM %llu: pid %llu uid %llu vcpus %llu slots %llu mem %llu mapped %llu created %llu age %llu state %llu",
		 (unsigned long long)g->v[VMM_A_VM_ID],
		 (unsigned long long)g->v[VMM_A_VM_PID],
		 (unsigned long long)g->v[VMM_A_VM_UID],
		 (unsigned long long)g->v[VMM_A_VM_NR_VCPUS],
		 (unsigned long long)g->v[VMM_A_VM_NR_SLOTS],
		 (unsigned long long)g->v[VMM_A_VM_MEM_BYTES],
		 (unsigned long long)g->v[VMM_A_VM_MAPPED_BYTES],
		 (unsigned long long)g->v[VMM_A_VM_CREATED_NS],
		 (unsigned long long)g->v[VMM_A_VM_AGE_NS],
		 (unsigned long long)g->v[VMM_A_VM_STATE]);
}

static const char *state_name(uint64_t s)
{
	static const char *const n[] = { "CREATED", "RUNNING", "IDLE",
					 "SHUTDOWN", "FAILED" };

	return s < 5 ? n[s] : "?";
}

/* VM_GET id and compare its state; false (with a diagnostic) otherwise. */
static bool vm_state_is(struct nl_sock *sk, uint32_t id, uint32_t want)
{
	struct gmsg g;
	int r = vm_get(sk, id, &g);

	if (r) {
		tap_diag("VM_GET %u: %s", id, err_name(r));
		return false;
	}
	if (!(g.have & HAVE(VMM_A_VM_STATE)) || g.v[VMM_A_VM_STATE] != want) {
		tap_diag("VM %u: state %s, want %s", id,
			 g.have & HAVE(VMM_A_VM_STATE) ?
			 state_name(g.v[VMM_A_VM_STATE]) : "(absent)",
			 state_name(want));
		return false;
	}
	return true;
}

/* ---- events ---- */

static struct nl_sock *events_open(int *err)
{
	struct nl_sock *sk = gsock_open();
	int g = events_grp;

	*err = 0;
	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &g, sizeof(g)) < 0) {
		*err = -errno;
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/*
 * The next event whose VM_PID is pid (others are skipped), within ms
 * milliseconds (0: only one already queued).  0, -ETIMEDOUT, -EBADMSG,
 * or -errno of recv (ENOBUFS).
 */
static int event_next(struct nl_sock *sk, uint32_t pid, struct gmsg *ev, int ms)
{
	static __thread char buf[RECV_BUF] __attribute__((aligned(8)));
	uint64_t end = now_ns(CLOCK_MONOTONIC) + ms * 1000000ULL;
	int fd = nl_socket_get_fd(sk);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		ssize_t n;
		int r;

		r = poll(&p, 1, now >= end ? 0 : (int)((end - now) / 1000000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (!nlmsg_ok(h, (int)n) || h->nlmsg_type != family ||
		    NLMSG_ALIGN(h->nlmsg_len) < (size_t)n) {
			tap_diag("event datagram of %zd bytes: type %u len %u",
				 n, h->nlmsg_type, h->nlmsg_len);
			return -EBADMSG;
		}
		if (parse_msg(h, VMM_CMD_EVENT, ev))
			return -EBADMSG;
		if ((ev->have & EVENT_ATTRS) != EVENT_ATTRS) {
			tap_diag("event lacks attributes: have %#llx want %#llx",
				 (unsigned long long)ev->have,
				 (unsigned long long)EVENT_ATTRS);
			return -EBADMSG;
		}
		if (ev->v[VMM_A_VM_PID] == pid)
			return 0;
	}
}

static const char *event_name(uint64_t t)
{
	static const char *const n[] = { "?", "VM_CREATED", "VM_DESTROYED",
		"VCPU_CREATED", "SHUTDOWN", "ENTRY_FAILED", "INTERNAL_ERROR" };

	return t < 7 ? n[t] : "?";
}

static void event_diag(const struct gmsg *e)
{
	tap_diag("  event %s vm %llu pid %llu time %llu vcpu %s%llu exit %s%llu hw %s%#llx rip %s%#llx",
		 event_name(e->v[VMM_A_EVENT_TYPE]),
		 (unsigned long long)e->v[VMM_A_VM_ID],
		 (unsigned long long)e->v[VMM_A_VM_PID],
		 (unsigned long long)e->v[VMM_A_EVENT_TIME_NS],
		 e->have & HAVE(VMM_A_EVENT_VCPU_ID) ? "" : "-",
		 (unsigned long long)e->v[VMM_A_EVENT_VCPU_ID],
		 e->have & HAVE(VMM_A_EVENT_EXIT_REASON) ? "" : "-",
		 (unsigned long long)e->v[VMM_A_EVENT_EXIT_REASON],
		 e->have & HAVE(VMM_A_EVENT_HW_REASON) ? "" : "-",
		 (unsigned long long)e->v[VMM_A_EVENT_HW_REASON],
		 e->have & HAVE(VMM_A_EVENT_RIP) ? "" : "-",
		 (unsigned long long)e->v[VMM_A_EVENT_RIP]);
}

/*
 * Expect the next event of this process: type for VM vm_id, sent between
 * t0 and now (CLOCK_REALTIME); vcpu >= 0 asks for that VCPU_ID.  Prints
 * one test point; *out gets the event.
 */
static bool expect_event(struct nl_sock *sk, uint32_t type, uint32_t vm_id,
			 int vcpu, uint64_t t0, struct gmsg *out,
			 const char *what)
{
	uint64_t t1;
	struct gmsg e;
	bool ok;
	int r;

	r = event_next(sk, getpid(), &e, 10000);
	t1 = now_ns(CLOCK_REALTIME);
	if (r) {
		memset(out, 0, sizeof(*out));
		return tap_ok(false, "event %s (%s): %s", event_name(type),
			      what, err_name(r));
	}
	*out = e;
	ok = e.v[VMM_A_EVENT_TYPE] == type && e.v[VMM_A_VM_ID] == vm_id &&
	     e.v[VMM_A_EVENT_TIME_NS] >= t0 && e.v[VMM_A_EVENT_TIME_NS] <= t1 &&
	     (!(e.have & HAVE(VMM_A_VM_UID)) || e.v[VMM_A_VM_UID] == getuid());
	if (vcpu >= 0)
		ok = ok && (e.have & HAVE(VMM_A_EVENT_VCPU_ID)) &&
		     e.v[VMM_A_EVENT_VCPU_ID] == (uint32_t)vcpu;
	if (!ok) {
		tap_diag("want %s vm %u vcpu %d time in [%llu, %llu]",
			 event_name(type), vm_id, vcpu,
			 (unsigned long long)t0, (unsigned long long)t1);
		event_diag(&e);
	}
	return tap_ok(ok, "event %s (%s): VM %u, pid, time%s", event_name(type),
		      what, vm_id, vcpu >= 0 ? ", vCPU id" : "");
}

/* Check the failure attributes of an event (one test point). */
static void check_fail_event(const struct gmsg *e, uint32_t exit_reason,
			     bool check_hw, uint64_t hw, uint64_t rip,
			     const char *what)
{
	bool ok = (e->have & HAVE(VMM_A_EVENT_EXIT_REASON)) &&
		  e->v[VMM_A_EVENT_EXIT_REASON] == exit_reason &&
		  (e->have & HAVE(VMM_A_EVENT_RIP)) && e->v[VMM_A_EVENT_RIP] == rip;

	if (check_hw)
		ok = ok && (e->have & HAVE(VMM_A_EVENT_HW_REASON)) &&
		     e->v[VMM_A_EVENT_HW_REASON] == hw;
	if (!ok) {
		tap_diag("want exit %u hw %#llx rip %#llx", exit_reason,
			 (unsigned long long)hw, (unsigned long long)rip);
		event_diag(e);
	}
	tap_ok(ok, "%s event: exit reason %s%s, RIP %#llx", what,
	       vmm_exit_reason_name(exit_reason),
	       check_hw ? ", hardware reason" : "", (unsigned long long)rip);
}

/* ------------------------------------------------------------------ */
/* Results of a child process, through shared memory                   */
/* ------------------------------------------------------------------ */

#define BOARD_MAX	16

struct board {
	unsigned int n;
	struct {
		bool ok;
		char desc[200];
	} r[BOARD_MAX];
};

static struct board *board_new(void)
{
	struct board *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(b != MAP_FAILED, "mmap");
	memset(b, 0, sizeof(*b));
	return b;
}

TU_PRINTF(3, 4)
static bool board_ok(struct board *b, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (b->n >= BOARD_MAX)
		return ok;
	va_start(ap, fmt);
	vsnprintf(b->r[b->n].desc, sizeof(b->r[b->n].desc), fmt, ap);
	va_end(ap);
	b->r[b->n].ok = ok;
	__atomic_store_n(&b->n, b->n + 1, __ATOMIC_SEQ_CST);
	return ok;
}

/* Print the board as test points; want of them, missing ones failed. */
static void board_report(struct board *b, unsigned int want, const char *who)
{
	for (unsigned int i = 0; i < want; i++) {
		if (i < b->n)
			tap_ok(b->r[i].ok, "%s: %s", who, b->r[i].desc);
		else
			tap_ok(false, "%s: check %u not reported", who, i + 1);
	}
	munmap(b, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* (a) VMs of several processes                                        */
/* ------------------------------------------------------------------ */

struct vm_spec {
	int child;
	unsigned int nvcpus, nslots;
	uint64_t slot[3];
};

static const struct vm_spec a_specs[] = {
	{ 0, 1, 1, { 1 << 20 } },
	{ 1, 2, 2, { 2 << 20, 512 << 10 } },
	{ 1, 3, 3, { 4 << 20, 64 << 10, 12 << 10 } },
	{ 2, 0, 0, { 0 } },
	{ 2, 4, 1, { 8 << 20 } },
};
#define A_NSPECS	5
#define A_NCHILD	3

struct a_report {
	int spec;
	uint32_t vm_id;
	int err;
};

static uint64_t spec_mem(const struct vm_spec *s)
{
	uint64_t m = 0;

	for (unsigned int i = 0; i < s->nslots; i++)
		m += s->slot[i];
	return m;
}

/* Create a VM per spec; NULL (errno-ish code in *err) on failure. */
static struct vmm_vm *make_vm(struct vmm_dev *dev, const struct vm_spec *s,
			      int *err)
{
	struct vmm_vm *vm;
	struct vmm_vcpu *vcpu;
	int r;

	r = vmm_vm_create(dev, &vm);
	if (r) {
		*err = r;
		return NULL;
	}
	for (unsigned int i = 0; i < s->nslots; i++) {
		r = vmm_mem_add(vm, i, (uint64_t)i << 24, s->slot[i], 0, NULL);
		if (r)
			goto fail;
	}
	for (unsigned int i = 0; i < s->nvcpus; i++) {
		r = vmm_vcpu_create(vm, i, &vcpu);
		if (r)
			goto fail;
	}
	*err = 0;
	return vm;
fail:
	vmm_vm_destroy(vm);
	*err = r;
	return NULL;
}

static void a_child(int child, int wfd, int gofd)
{
	struct vmm_dev *dev;
	char c;

	if (vmm_open(DEV_PATH, &dev))
		_exit(1);
	for (int i = 0; i < A_NSPECS; i++) {
		struct a_report rep = { .spec = i };
		struct vmm_vm *vm;

		if (a_specs[i].child != child)
			continue;
		vm = make_vm(dev, &a_specs[i], &rep.err);
		if (vm)
			rep.vm_id = test_fd_vm_id(vmm_vm_fd(vm));
		if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
			_exit(1);
	}
	close(wfd);
	/* hold the VMs until the parent closes the pipe */
	while (read(gofd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static bool vm_matches(const struct gmsg *g, const struct vm_spec *s,
		       pid_t pid, uint64_t t0, uint64_t t1)
{
	return (g->have & VM_ATTRS) == VM_ATTRS &&
	       g->v[VMM_A_VM_PID] == (uint64_t)pid &&
	       g->v[VMM_A_VM_UID] == getuid() &&
	       g->v[VMM_A_VM_NR_VCPUS] == s->nvcpus &&
	       g->v[VMM_A_VM_NR_SLOTS] == s->nslots &&
	       g->v[VMM_A_VM_MEM_BYTES] == spec_mem(s) &&
	       g->v[VMM_A_VM_MAPPED_BYTES] <= spec_mem(s) &&
	       g->v[VMM_A_VM_STATE] == VMM_VM_STATE_CREATED &&
	       g->v[VMM_A_VM_CREATED_NS] >= t0 && g->v[VMM_A_VM_CREATED_NS] <= t1;
}

static void test_processes(struct nl_sock *sk)
{
	struct a_report reps[A_NSPECS] = { 0 };
	pid_t pids[A_NCHILD], spec_pid[A_NSPECS];
	int rep_pipe[2], go_pipe[2], nrep = 0;
	struct gmsgs dump = { 0 };
	uint64_t t0, t1, tq0, tq1;
	bool ok, gone;
	int r;

	for (int i = 0; i < A_NSPECS; i++)
		reps[i].err = -ECHILD;
	TEST_ASSERT(pipe(rep_pipe) == 0 && pipe(go_pipe) == 0, "pipe");
	t0 = now_ns(CLOCK_REALTIME);
	fflush(stdout);
	for (int c = 0; c < A_NCHILD; c++) {
		pids[c] = fork();
		TEST_ASSERT(pids[c] >= 0, "fork");
		if (!pids[c]) {
			close(rep_pipe[0]);
			close(go_pipe[1]);
			a_child(c, rep_pipe[1], go_pipe[0]);
		}
	}
	close(rep_pipe[1]);
	close(go_pipe[0]);
	for (;;) {
		struct a_report rep;
		ssize_t n = read(rep_pipe[0], &rep, sizeof(rep));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(rep))
			break;
		if (rep.spec >= 0 && rep.spec < A_NSPECS) {
			reps[rep.spec] = rep;
			nrep++;
		}
	}
	close(rep_pipe[0]);
	t1 = now_ns(CLOCK_REALTIME);
	for (int i = 0; i < A_NSPECS; i++)
		spec_pid[i] = pids[a_specs[i].child];
	tap_diag("%d VMs reported by %d children", nrep, A_NCHILD);

	tq0 = now_ns(CLOCK_REALTIME);
	r = vm_dump(sk, &dump, NULL);
	tq1 = now_ns(CLOCK_REALTIME);
	ok = r == 0 && vm_dump_sane(&dump);
	if (r)
		tap_diag("VM_GET dump: %s", err_name(r));
	tap_ok(ok, "VM_GET dump: complete messages in increasing id order (%u VMs)",
	       dump.n);

	for (int i = 0; i < A_NSPECS; i++) {
		const struct vm_spec *s = &a_specs[i];
		struct gmsg *g = reps[i].vm_id ? find_vm(&dump, reps[i].vm_id) : NULL;
		bool age_ok = false;

		if (reps[i].err)
			tap_diag("child %d: VM of spec %d: %s", s->child, i,
				 err_name(reps[i].err));
		else if (!reps[i].vm_id)
			tap_diag("child %d: no vm_id in the VM fd's fdinfo", s->child);
		else if (!g)
			tap_diag("VM %u not in the dump", reps[i].vm_id);
		else {
			uint64_t end = g->v[VMM_A_VM_CREATED_NS] + g->v[VMM_A_VM_AGE_NS];

			/* created + age is "now" during the dump, within 100 ms */
			age_ok = end + 100000000ULL >= tq0 && end <= tq1 + 100000000ULL;
			if (!vm_matches(g, s, spec_pid[i], t0, t1) || !age_ok) {
				tap_diag("want pid %d uid %u vcpus %u slots %u mem %llu state CREATED created in [%llu, %llu], created+age in [%llu, %llu]",
					 spec_pid[i], getuid(), s->nvcpus, s->nslots,
					 (unsigned long long)spec_mem(s),
					 (unsigned long long)t0, (unsigned long long)t1,
					 (unsigned long long)tq0, (unsigned long long)tq1);
				vm_diag(g);
			}
		}
		tap_ok(g && vm_matches(g, s, spec_pid[i], t0, t1) && age_ok,
		       "child %d, VM %u (%u vCPUs, %u slots, %llu bytes): dump shows pid, uid, vCPUs, slots, memory, state, times",
		       s->child, reps[i].vm_id, s->nvcpus, s->nslots,
		       (unsigned long long)spec_mem(s));
	}

	for (int i = 0; i < A_NSPECS; i++) {
		const struct vm_spec *s = &a_specs[i];
		struct gmsg *d = reps[i].vm_id ? find_vm(&dump, reps[i].vm_id) : NULL;
		struct gmsg g;

		r = reps[i].vm_id ? vm_get(sk, reps[i].vm_id, &g) : -ENOENT;
		ok = r == 0 && d && vm_matches(&g, s, spec_pid[i], t0, t1) &&
		     g.v[VMM_A_VM_ID] == reps[i].vm_id &&
		     g.v[VMM_A_VM_CREATED_NS] == d->v[VMM_A_VM_CREATED_NS] &&
		     g.v[VMM_A_VM_AGE_NS] >= d->v[VMM_A_VM_AGE_NS];
		if (r)
			tap_diag("VM_GET %u: %s", reps[i].vm_id, err_name(r));
		else if (!ok)
			vm_diag(&g);
		tap_ok(ok, "VM_GET %u agrees with the dump (age grew)", reps[i].vm_id);
	}

	/* The VMs of the children, found by pid, are the ones reported. */
	ok = nrep == A_NSPECS;
	for (unsigned int i = 0; i < dump.n && ok; i++) {
		bool ours = false, reported = false;

		for (int c = 0; c < A_NCHILD; c++)
			ours |= dump.m[i].v[VMM_A_VM_PID] == (uint64_t)pids[c];
		for (int s = 0; s < A_NSPECS; s++)
			reported |= dump.m[i].v[VMM_A_VM_ID] == reps[s].vm_id &&
				    dump.m[i].v[VMM_A_VM_PID] == (uint64_t)spec_pid[s];
		if (ours != reported) {
			tap_diag("VM %llu of pid %llu: %s", (unsigned long long)dump.m[i].v[VMM_A_VM_ID],
				 (unsigned long long)dump.m[i].v[VMM_A_VM_PID],
				 ours ? "not reported by its child" : "?");
			ok = false;
		}
	}
	tap_ok(ok, "the children's VMs in the dump (by pid) are exactly the %d they reported (fdinfo vm_id)",
	       A_NSPECS);
	gmsgs_free(&dump);

	/* Let the children go; their VMs go with them. */
	close(go_pipe[1]);
	ok = true;
	for (int c = 0; c < A_NCHILD; c++) {
		int st;

		if (waitpid(pids[c], &st, 0) != pids[c] || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			tap_diag("child %d: status %#x", c, st);
			ok = false;
		}
	}
	gone = false;
	for (int tries = 0; tries < 50 && !gone; tries++) {
		if (tries)
			msleep(100);
		r = vm_dump(sk, &dump, NULL);
		gone = r == 0;
		for (unsigned int i = 0; i < dump.n; i++)
			for (int c = 0; c < A_NCHILD; c++)
				if (dump.m[i].v[VMM_A_VM_PID] == (uint64_t)pids[c])
					gone = false;
		gmsgs_free(&dump);
	}
	tap_ok(ok && gone, "children exited: none of their VMs is left in the dump");
}

/*
 * env_uint(NAME, DEFAULT, MIN, MAX): a count from the environment (the
 * debug kernel's job runs fewer), within MIN..MAX.
 */
static unsigned int env_uint(const char *name, unsigned int def,
			     unsigned int min, unsigned int max)
{
	const char *s = getenv(name);
	unsigned long v = s ? strtoul(s, NULL, 0) : def;

	return v < min ? min : v > max ? max : (unsigned int)v;
}

/*
 * 100 VMs of one vCPU each: the dumps span several messages (about 34
 * VMs fit in one, so 40 is the least that still needs two).
 */
#define MANY_VMS	100
#define MANY_VMS_MIN	40

static void test_many(void)
{
	unsigned int nvms = env_uint("VMM_GENL_VMS", MANY_VMS, MANY_VMS_MIN,
				     MANY_VMS);
	struct vmm_vm *vms[MANY_VMS];
	uint32_t ids[MANY_VMS];
	struct gmsgs dump = { 0 };
	struct vmm_dev *dev = test_open_dev();
	unsigned int nrecv = 0;
	struct nl_sock *sk;
	bool ok;
	int r;

	for (unsigned int i = 0; i < nvms; i++) {
		struct vmm_vcpu *vcpu;

		TEST_ASSERT_OK(vmm_vm_create(dev, &vms[i]));
		TEST_ASSERT_OK(vmm_vcpu_create(vms[i], 0, &vcpu));
		ids[i] = vm_id_of(vms[i]);
	}

	/* A fresh socket: its first dump message is at most a page. */
	sk = gsock_open();
	r = vm_dump(sk, &dump, &nrecv);
	ok = r == 0 && vm_dump_sane(&dump);
	for (unsigned int i = 0; i < nvms && ok; i++) {
		unsigned int seen = 0;

		for (unsigned int j = 0; j < dump.n; j++)
			if (dump.m[j].v[VMM_A_VM_ID] == ids[i]) {
				seen++;
				if (dump.m[j].v[VMM_A_VM_PID] != (uint64_t)getpid() ||
				    dump.m[j].v[VMM_A_VM_NR_VCPUS] != 1)
					seen = 99;
			}
		if (seen != 1) {
			tap_diag("VM %u: seen %u times (99: wrong pid or vCPU count)", ids[i], seen);
			ok = false;
		}
	}
	if (r)
		tap_diag("dump: %s", err_name(r));
	tap_ok(ok, "%u VMs: the VM dump (%u messages in %u datagrams) lists each once, in order",
	       nvms, dump.n, nrecv);
	gmsgs_free(&dump);
	nl_socket_free(sk);

	sk = gsock_open();
	nrecv = 0;
	r = stats_dump(sk, 0, &dump, &nrecv);
	ok = r == 0 && stats_sane(&dump);
	for (unsigned int i = 0; i < nvms && ok; i++) {
		unsigned int seen = 0;

		for (unsigned int j = 0; j < dump.n; j++)
			if (dump.m[j].v[VMM_A_VM_ID] == ids[i])
				seen += dump.m[j].v[VMM_A_VCPU_ID] == 0 &&
					dump.m[j].v[VMM_A_VCPU_RUNS] == 0 ? 1 : 99;
		if (seen != 1) {
			tap_diag("VM %u: %u stats messages (99+: a wrong one)", ids[i], seen);
			ok = false;
		}
	}
	if (r)
		tap_diag("dump: %s", err_name(r));
	tap_ok(ok, "%u VMs: the stats dump (%u messages in %u datagrams) lists each vCPU once",
	       nvms, dump.n, nrecv);
	gmsgs_free(&dump);

	for (unsigned int i = 0; i < nvms; i++)
		vmm_vm_destroy(vms[i]);
	vmm_close(dev);
	ok = false;
	for (int tries = 0; tries < 50 && !ok; tries++) {
		if (tries)
			msleep(100);
		r = vm_dump(sk, &dump, NULL);
		ok = r == 0;
		for (unsigned int j = 0; j < dump.n; j++)
			if (dump.m[j].v[VMM_A_VM_PID] == (uint64_t)getpid())
				ok = false;
		gmsgs_free(&dump);
	}
	tap_ok(ok, "%u VMs destroyed: none left in the dump", nvms);
	nl_socket_free(sk);
}

/* ------------------------------------------------------------------ */
/* (b) Statistics of a known guest                                     */
/* ------------------------------------------------------------------ */

#define N_CPUID		5
#define N_OUT		3
#define N_HLT		2
#define N_MMIO_W	4
#define N_MMIO_R	3
#define OUT_PORT	0x10

GUEST_CODE(counts, 64,
	/* some guest time to measure: 10000 iterations, no exit */
	"mov $10000, %ecx\n 3: loop 3b\n"
	"mov $0xd0000000, %edi\n"
	"mov $" TU_XSTR(N_CPUID) ", %r8d\n"
	"1: xor %eax, %eax\n xor %ecx, %ecx\n cpuid\n dec %r8d\n jnz 1b\n"
	"mov $" TU_XSTR(N_OUT) ", %r8d\n"
	"2: mov %r8d, %eax\n outb %al, $" TU_XSTR(OUT_PORT) "\n dec %r8d\n jnz 2b\n"
	"hlt\n hlt\n"
	"movl $0x11111111, 0x0(%rdi)\n"
	"movl $0x22222222, 0x4(%rdi)\n"
	"movq $0x33333333, 0x8(%rdi)\n"
	"movb $0x44, 0x10(%rdi)\n"
	"mov 0x20(%rdi), %ebx\n"
	"mov 0x28(%rdi), %rcx\n"
	"movzbl 0x30(%rdi), %edx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

GUEST_CODE(spin, 64, "sti\n 1: jmp 1b\n");

static void on_usr1(int sig) { (void)sig; }

/* Run the counting guest; true if every exit came as expected. */
static bool run_counts(struct vmm_vcpu *vcpu)
{
	struct vmm_run *run = vmm_vcpu_run_data(vcpu);
	unsigned int outs = 0, hlts = 0, mw = 0, mr = 0, steps = 0;
	struct ucall uc;

	for (;;) {
		int r = vmm_vcpu_run(vcpu);
		uint64_t cmd;

		if (r) {
			tap_diag("VMM_RUN: %s", strerror(-r));
			return false;
		}
		if (++steps > 14) {
			tap_diag("more VMM_RUN returns than expected");
			vcpu_dump_diag(vcpu);
			return false;
		}
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_REPORT) {
			if (uc.args[0] != 0xa1a2a3a4 || uc.args[1] != 0xb1b2b3b4b5b6b7b8ULL ||
			    uc.args[2] != 0xc1) {
				tap_diag("guest read %#llx %#llx %#llx",
					 (unsigned long long)uc.args[0],
					 (unsigned long long)uc.args[1],
					 (unsigned long long)uc.args[2]);
				return false;
			}
			continue;
		}
		if (cmd == UCALL_DONE)
			break;
		if (cmd != UCALL_NONE) {
			vcpu_dump_diag(vcpu);
			return false;
		}
		switch (run->exit_reason) {
		case VMM_EXIT_IO:
			if (run->io.port != OUT_PORT || run->io.direction != VMM_EXIT_IO_OUT ||
			    run->io.size != 1 || run->io.count != 1 || hlts ||
			    *(uint8_t *)vmm_vcpu_io_data(vcpu) != N_OUT - outs) {
				vcpu_dump_diag(vcpu);
				return false;
			}
			outs++;
			break;
		case VMM_EXIT_HLT:
			if (outs != N_OUT || mw) {
				vcpu_dump_diag(vcpu);
				return false;
			}
			hlts++;
			break;
		case VMM_EXIT_MMIO: {
			static const uint64_t wdata[] = { 0x11111111, 0x22222222,
							  0x33333333, 0x44 };
			static const uint64_t rdata[] = { 0xa1a2a3a4,
							  0xb1b2b3b4b5b6b7b8ULL, 0xc1 };
			static const unsigned int woff[] = { 0, 4, 8, 0x10 }, wlen[] = { 4, 4, 8, 1 };
			static const unsigned int roff[] = { 0x20, 0x28, 0x30 }, rlen[] = { 4, 8, 1 };
			uint64_t v = 0;

			if (hlts != N_HLT) {
				vcpu_dump_diag(vcpu);
				return false;
			}
			if (run->mmio.is_write && mw < N_MMIO_W && !mr) {
				memcpy(&v, run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
				if (run->mmio.phys_addr != MMIO_BASE + woff[mw] ||
				    run->mmio.len != wlen[mw] || v != wdata[mw]) {
					vcpu_dump_diag(vcpu);
					return false;
				}
				mw++;
			} else if (!run->mmio.is_write && mw == N_MMIO_W && mr < N_MMIO_R) {
				if (run->mmio.phys_addr != MMIO_BASE + roff[mr] ||
				    run->mmio.len != rlen[mr]) {
					vcpu_dump_diag(vcpu);
					return false;
				}
				memcpy(run->mmio.data, &rdata[mr], rlen[mr]);
				mr++;
			} else {
				vcpu_dump_diag(vcpu);
				return false;
			}
			break;
		}
		default:
			vcpu_dump_diag(vcpu);
			return false;
		}
	}
	if (outs != N_OUT || hlts != N_HLT || mw != N_MMIO_W || mr != N_MMIO_R || steps != 14) {
		tap_diag("outs %u hlts %u mmio writes %u reads %u runs %u", outs,
			 hlts, mw, mr, steps);
		return false;
	}
	return true;
}

struct spinner {
	struct vmm_vcpu *vcpu;
	int ret;
	volatile int done;
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	s->ret = vmm_vcpu_run(s->vcpu);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_stats(struct nl_sock *sk)
{
	/* runs: 3 OUT + 2 HLT + 7 MMIO + report + done */
	const uint64_t runs = N_OUT + N_HLT + N_MMIO_W + N_MMIO_R + 2;
	struct vmm_vcpu *vcpu, *idle, *vcpu2;
	struct vmm_vm *vm, *vm2;
	struct gmsgs st = { 0 }, all = { 0 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct spinner spinner = { 0 };
	struct gmsg *g, vg;
	uint32_t id, id2;
	uint64_t other = 0, usum = 0;
	pthread_t th;
	bool ok;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(counts), GUEST_CODE_LEN(counts));
	TEST_ASSERT_OK(vmm_vcpu_create(vm, 3, &idle));
	id = vm_id_of(vm);
	vm2 = vm_create_with_one_vcpu(&vcpu2, VMM_MODE_LONG64,
				      GUEST_CODE_PTR(spin), GUEST_CODE_LEN(spin));
	id2 = vm_id_of(vm2);

	tap_ok(vm_state_is(sk, id, VMM_VM_STATE_CREATED),
	       "VM %u: state CREATED before any vCPU ran", id);
	tap_ok(run_counts(vcpu), "guest: %d CPUID, %d OUT, %d HLT, %d MMIO writes, %d MMIO reads, as expected",
	       N_CPUID, N_OUT, N_HLT, N_MMIO_W, N_MMIO_R);

	r = stats_dump(sk, id, &st, NULL);
	if (r)
		tap_diag("STATS_GET dump of VM %u: %s", id, err_name(r));
	ok = r == 0 && stats_sane(&st) && st.n == 2 &&
	     find_vcpu(&st, id, 0) && find_vcpu(&st, id, 3);
	for (unsigned int i = 0; i < st.n; i++)
		stats_diag(&st.m[i]);
	tap_ok(ok, "stats dump filtered by VM %u: exactly vCPUs 0 and 3, consistent sums (%u messages)",
	       id, st.n);

	g = find_vcpu(&st, id, 0);
	if (!g) {
		static struct gmsg zero;

		g = &zero;
	}
	tap_ok(g->v[VMM_A_VCPU_RUNS] == runs, "runs: %llu (want %llu)",
	       (unsigned long long)g->v[VMM_A_VCPU_RUNS], (unsigned long long)runs);
	for (int i = 0; i < 64; i++)
		usum += g->user_cnt[i];
	tap_ok(g->user_cnt[VMM_EXIT_IO] == N_OUT + 2 && g->user_cnt[VMM_EXIT_HLT] == N_HLT &&
	       g->user_cnt[VMM_EXIT_MMIO] == N_MMIO_W + N_MMIO_R && g->nuser == 3 &&
	       usum == runs,
	       "returns to user space: IO %llu (want %d), HLT %llu (want %d), MMIO %llu (want %d), nothing else",
	       (unsigned long long)g->user_cnt[VMM_EXIT_IO], N_OUT + 2,
	       (unsigned long long)g->user_cnt[VMM_EXIT_HLT], N_HLT,
	       (unsigned long long)g->user_cnt[VMM_EXIT_MMIO], N_MMIO_W + N_MMIO_R);
	for (int i = 0; i < 128; i++)
		if (i != XR_CPUID && i != XR_HLT && i != XR_IO && i != XR_EPT &&
		    i != XR_EXT_INTR && i != XR_PREEMPT && g->exit_cnt[i]) {
			tap_diag("unexpected VM exits of basic reason %d: %llu", i,
				 (unsigned long long)g->exit_cnt[i]);
			other += g->exit_cnt[i];
		}
	tap_ok(g->exit_cnt[XR_CPUID] == N_CPUID && g->exit_cnt[XR_HLT] == N_HLT &&
	       g->exit_cnt[XR_IO] == N_OUT + 2 && !other,
	       "VM exits: CPUID %llu (want %d), HLT %llu (want %d), IO %llu (want %d), others only EPT, external interrupts, preemption timer",
	       (unsigned long long)g->exit_cnt[XR_CPUID], N_CPUID,
	       (unsigned long long)g->exit_cnt[XR_HLT], N_HLT,
	       (unsigned long long)g->exit_cnt[XR_IO], N_OUT + 2);
	tap_ok(g->v[VMM_A_VCPU_EPT_MMIO] == N_MMIO_W + N_MMIO_R &&
	       g->exit_cnt[XR_EPT] >= N_MMIO_W + N_MMIO_R &&
	       g->v[VMM_A_VCPU_EPT_VIOLATIONS] == g->exit_cnt[XR_EPT] &&
	       g->v[VMM_A_VCPU_ENTRY_FAILURES] == 0,
	       "EPT violations %llu (= reason 48: %llu), of them MMIO %llu (want %d), no entry failures (%llu)",
	       (unsigned long long)g->v[VMM_A_VCPU_EPT_VIOLATIONS],
	       (unsigned long long)g->exit_cnt[XR_EPT],
	       (unsigned long long)g->v[VMM_A_VCPU_EPT_MMIO], N_MMIO_W + N_MMIO_R,
	       (unsigned long long)g->v[VMM_A_VCPU_ENTRY_FAILURES]);
	/* Both times are absent when the CPU cannot measure guest time. */
	if (g->have & (HAVE(VMM_A_VCPU_GUEST_NS) | HAVE(VMM_A_VCPU_HANDLER_NS))) {
		tap_ok((g->have & HAVE(VMM_A_VCPU_GUEST_NS)) && g->v[VMM_A_VCPU_GUEST_NS] > 0,
		       "guest time %s%llu ns > 0",
		       g->have & HAVE(VMM_A_VCPU_GUEST_NS) ? "" : "(absent) ",
		       (unsigned long long)g->v[VMM_A_VCPU_GUEST_NS]);
		tap_ok((g->have & HAVE(VMM_A_VCPU_HANDLER_NS)) && g->v[VMM_A_VCPU_HANDLER_NS] > 0,
		       "handler time %s%llu ns > 0",
		       g->have & HAVE(VMM_A_VCPU_HANDLER_NS) ? "" : "(absent) ",
		       (unsigned long long)g->v[VMM_A_VCPU_HANDLER_NS]);
	} else {
		tap_skip("guest time: not measured on this CPU (no usable VMX-preemption timer)");
		tap_skip("handler time: not measured on this CPU");
	}

	g = find_vcpu(&st, id, 3);
	tap_ok(g && g->v[VMM_A_VCPU_RUNS] == 0 && g->v[VMM_A_VCPU_EXITS] == 0 &&
	       !g->nexit && !g->nuser && g->v[VMM_A_VCPU_EPT_VIOLATIONS] == 0 &&
	       g->v[VMM_A_VCPU_EPT_MMIO] == 0 && g->v[VMM_A_VCPU_ENTRY_FAILURES] == 0 &&
	       (!(g->have & HAVE(VMM_A_VCPU_GUEST_NS)) || g->v[VMM_A_VCPU_GUEST_NS] == 0),
	       "vCPU 3 never ran: all its counters 0");
	gmsgs_free(&st);

	r = stats_dump(sk, 0, &all, NULL);
	ok = r == 0 && stats_sane(&all) && find_vcpu(&all, id, 0) &&
	     find_vcpu(&all, id, 3) && find_vcpu(&all, id2, 0);
	if (r)
		tap_diag("STATS_GET dump: %s", err_name(r));
	tap_ok(ok, "unfiltered stats dump: both VMs' vCPUs (%u messages)", all.n);
	gmsgs_free(&all);

	r = vm_get(sk, id, &vg);
	ok = r == 0 && vg.v[VMM_A_VM_STATE] == VMM_VM_STATE_IDLE &&
	     vg.v[VMM_A_VM_NR_VCPUS] == 2 && vg.v[VMM_A_VM_NR_SLOTS] == 1 &&
	     vg.v[VMM_A_VM_MEM_BYTES] == TEST_MEM_SIZE &&
	     vg.v[VMM_A_VM_MAPPED_BYTES] > 0 &&
	     vg.v[VMM_A_VM_MAPPED_BYTES] <= TEST_MEM_SIZE &&
	     vg.v[VMM_A_VM_PID] == (uint64_t)getpid();
	if (r)
		tap_diag("VM_GET %u: %s", id, err_name(r));
	else if (!ok)
		vm_diag(&vg);
	tap_ok(ok, "VM %u after the guest: IDLE, 2 vCPUs, 1 slot of 64 MiB, part of it mapped (%llu bytes)",
	       id, (unsigned long long)vg.v[VMM_A_VM_MAPPED_BYTES]);

	/* A spinning guest: RUNNING while inside VMM_RUN. */
	tap_ok(vm_state_is(sk, id2, VMM_VM_STATE_CREATED),
	       "VM %u: state CREATED before any vCPU ran", id2);
	sigaction(SIGUSR1, &sa, NULL);
	spinner.vcpu = vcpu2;
	TEST_ASSERT(pthread_create(&th, NULL, spin_thread, &spinner) == 0, "pthread_create");
	ok = false;
	for (int i = 0; i < 200 && !ok && !spinner.done; i++) {
		r = vm_get(sk, id2, &vg);
		ok = r == 0 && vg.v[VMM_A_VM_STATE] == VMM_VM_STATE_RUNNING;
		if (!ok)
			msleep(20);
	}
	tap_ok(ok, "VM %u: state RUNNING while its vCPU spins in VMM_RUN", id2);
	for (int i = 0; i < 100 && !spinner.done; i++) {
		pthread_kill(th, SIGUSR1);
		msleep(50);
	}
	TEST_ASSERT(spinner.done, "the spinning vCPU did not stop on SIGUSR1");
	pthread_join(th, NULL);
	ok = spinner.ret == -EINTR &&
	     vmm_vcpu_run_data(vcpu2)->exit_reason == VMM_EXIT_INTR;
	if (!ok)
		tap_diag("VMM_RUN: %s, exit %s", err_name(spinner.ret),
			 vmm_exit_reason_name(vmm_vcpu_run_data(vcpu2)->exit_reason));
	tap_ok(ok && vm_state_is(sk, id2, VMM_VM_STATE_IDLE),
	       "VM %u: SIGUSR1 ends VMM_RUN with EINTR, state IDLE after", id2);
	r = stats_dump(sk, id2, &st, NULL);
	g = r == 0 && st.n == 1 ? find_vcpu(&st, id2, 0) : NULL;
	if (g)
		stats_diag(g);
	else
		tap_diag("STATS_GET dump of VM %u: %s, %u messages", id2, err_name(r), st.n);
	tap_ok(g && stats_sane(&st) && g->v[VMM_A_VCPU_RUNS] == 1 &&
	       g->user_cnt[VMM_EXIT_INTR] == 1 && g->nuser == 1 &&
	       g->v[VMM_A_VCPU_EXITS] >= 1 && g->exit_cnt[XR_EXT_INTR] >= 1,
	       "VM %u: 1 run, returned as INTR, external-interrupt exits counted", id2);
	gmsgs_free(&st);

	test_vm_free(vm2);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* (c) Events                                                          */
/* ------------------------------------------------------------------ */

GUEST_CODE(evg, 64,
	"ud2\n"
	"evg_hello:\n"
	"mov $0x600d, %ebx\n"
	GUEST_UCALL_REPORT
	"jmp evg_hello\n"
	"evg_mmio:\n"
	"mov $0xd0000000, %edi\n"
	"evg_incl:\n"
	"incl 0x10(%rdi)\n"
	GUEST_UCALL_DONE);

extern const unsigned char evg_hello[], evg_mmio[], evg_incl[];
#define EVG_GPA(label)	(TEST_CODE_GPA + (uint64_t)((label) - evg_start))

static uint64_t guest_rip(struct vmm_vcpu *vcpu)
{
	struct vmm_regs regs;

	TEST_ASSERT_OK(vmm_vcpu_get_regs(vcpu, &regs));
	return regs.rip;
}

static void bad_cs(struct vmm_sregs *s) { s->cs.type = 1; }	/* data, RO */

/* Another vCPU of vm, with v0's CPUID, in long mode at rip. */
static struct vmm_vcpu *add_vcpu(struct vmm_vm *vm, struct vmm_vcpu *v0,
				 uint32_t id, uint64_t rip, uint64_t rsp)
{
	struct vmm_cpuid2 *cpuid;
	struct vmm_vcpu *v;

	TEST_ASSERT_OK(vmm_vcpu_create(vm, id, &v));
	if (vmm_vcpu_get_cpuid(v0, &cpuid) == 0) {
		TEST_ASSERT_OK(vmm_vcpu_set_cpuid(v, cpuid));
		free(cpuid);
	}
	TEST_ASSERT_OK(vmm_vcpu_setup_mode(v, VMM_MODE_LONG64, 0, TEST_SCRATCH_GPA,
					   rip, rsp));
	return v;
}

static void test_events(struct nl_sock *sk)
{
	struct vmm_vcpu *v0, *v1, *v5;
	struct vmm_sregs good, bad;
	struct vmm_run *run;
	struct nl_sock *ev;
	struct gmsgs st = { 0 };
	struct gmsg e, *g;
	uint64_t t0, rip;
	struct vmm_vm *vm;
	uint32_t id;
	int r;

	ev = events_open(&r);
	tap_ok(ev != NULL, "root joins the \"events\" group: %s", err_name(r));
	if (!ev)
		tap_bail("no events");

	t0 = now_ns(CLOCK_REALTIME);
	vm = vm_create_with_one_vcpu(&v0, VMM_MODE_LONG64, GUEST_CODE_PTR(evg),
				     GUEST_CODE_LEN(evg));
	id = vm_id_of(vm);
	expect_event(ev, VMM_EVENT_VM_CREATED, id, -1, t0, &e, "VMM_CREATE_VM");
	expect_event(ev, VMM_EVENT_VCPU_CREATED, id, 0, t0, &e, "vCPU 0");

	t0 = now_ns(CLOCK_REALTIME);
	v1 = add_vcpu(vm, v0, 1, EVG_GPA(evg_hello), TEST_STACK_TOP - 0x10000);
	expect_event(ev, VMM_EVENT_VCPU_CREATED, id, 1, t0, &e, "vCPU 1");
	t0 = now_ns(CLOCK_REALTIME);
	v5 = add_vcpu(vm, v0, 5, EVG_GPA(evg_mmio), TEST_STACK_TOP - 0x20000);
	expect_event(ev, VMM_EVENT_VCPU_CREATED, id, 5, t0, &e, "vCPU 5");
	tap_ok(vm_state_is(sk, id, VMM_VM_STATE_CREATED), "VM %u: state CREATED", id);

	/* vCPU 1: a data segment in CS fails the VM entry (reason 33). */
	run = vmm_vcpu_run_data(v1);
	TEST_ASSERT_OK(vmm_vcpu_get_sregs(v1, &good));
	bad = good;
	bad_cs(&bad);
	TEST_ASSERT_OK(vmm_vcpu_set_sregs(v1, &bad));
	t0 = now_ns(CLOCK_REALTIME);
	r = vmm_vcpu_run(v1);
	rip = guest_rip(v1);
	tap_ok(r == 0 && run->exit_reason == VMM_EXIT_FAIL_ENTRY &&
	       run->fail_entry.hardware_entry_failure_reason == XR_ENTRY_GUEST &&
	       rip == EVG_GPA(evg_hello),
	       "vCPU 1 with CS of a data type: FAIL_ENTRY, hardware reason 33 (%s, exit %s, rip %#llx)",
	       err_name(r), vmm_exit_reason_name(run->exit_reason),
	       (unsigned long long)rip);
	if (expect_event(ev, VMM_EVENT_ENTRY_FAILED, id, 1, t0, &e, "vCPU 1"))
		check_fail_event(&e, VMM_EXIT_FAIL_ENTRY, true, XR_ENTRY_GUEST,
				 EVG_GPA(evg_hello), "ENTRY_FAILED");
	else
		tap_ok(false, "ENTRY_FAILED event: attributes");
	tap_ok(vm_state_is(sk, id, VMM_VM_STATE_FAILED), "VM %u: state FAILED after the entry failure", id);
	TEST_ASSERT_OK(vmm_vcpu_set_sregs(v1, &good));
	r = vmm_vcpu_run(v1);
	tap_ok(r == 0 && get_ucall(v1, NULL) == UCALL_REPORT &&
	       vm_state_is(sk, id, VMM_VM_STATE_IDLE),
	       "vCPU 1 fixed runs its guest; VM %u IDLE again", id);

	/* vCPU 5: INC on MMIO, which the emulator does not handle. */
	run = vmm_vcpu_run_data(v5);
	t0 = now_ns(CLOCK_REALTIME);
	r = vmm_vcpu_run(v5);
	rip = guest_rip(v5);
	tap_ok(r == 0 && run->exit_reason == VMM_EXIT_INTERNAL_ERROR &&
	       run->internal.suberror == VMM_INTERNAL_ERROR_EMULATION &&
	       rip == EVG_GPA(evg_incl),
	       "vCPU 5, INC on MMIO: INTERNAL_ERROR/EMULATION at the INC (%s, exit %s, rip %#llx)",
	       err_name(r), vmm_exit_reason_name(run->exit_reason),
	       (unsigned long long)rip);
	if (expect_event(ev, VMM_EVENT_INTERNAL_ERROR, id, 5, t0, &e, "vCPU 5"))
		check_fail_event(&e, VMM_EXIT_INTERNAL_ERROR, true,
				 VMM_INTERNAL_ERROR_EMULATION, EVG_GPA(evg_incl),
				 "INTERNAL_ERROR");
	else
		tap_ok(false, "INTERNAL_ERROR event: attributes");
	tap_ok(vm_state_is(sk, id, VMM_VM_STATE_FAILED), "VM %u: state FAILED after the internal error", id);
	{
		struct vmm_regs regs;

		TEST_ASSERT_OK(vmm_vcpu_get_regs(v5, &regs));
		regs.rip += 3;	/* over incl 0x10(%rdi) */
		TEST_ASSERT_OK(vmm_vcpu_set_regs(v5, &regs));
	}
	r = vmm_vcpu_run(v5);
	tap_ok(r == 0 && get_ucall(v5, NULL) == UCALL_DONE &&
	       vm_state_is(sk, id, VMM_VM_STATE_IDLE),
	       "vCPU 5 stepped over the INC finishes; VM %u IDLE again", id);

	/* vCPU 0: UD2 without an IDT, a triple fault. */
	run = vmm_vcpu_run_data(v0);
	t0 = now_ns(CLOCK_REALTIME);
	r = vmm_vcpu_run(v0);
	rip = guest_rip(v0);
	tap_ok(r == 0 && run->exit_reason == VMM_EXIT_SHUTDOWN,
	       "vCPU 0, UD2 without IDT: SHUTDOWN (%s, exit %s, rip %#llx)",
	       err_name(r), vmm_exit_reason_name(run->exit_reason),
	       (unsigned long long)rip);
	if (expect_event(ev, VMM_EVENT_SHUTDOWN, id, 0, t0, &e, "vCPU 0"))
		check_fail_event(&e, VMM_EXIT_SHUTDOWN, true, 0, rip, "SHUTDOWN");
	else
		tap_ok(false, "SHUTDOWN event: attributes");
	tap_ok(vm_state_is(sk, id, VMM_VM_STATE_SHUTDOWN), "VM %u: state SHUTDOWN after the triple fault", id);

	/* The counters of the failures. */
	r = stats_dump(sk, id, &st, NULL);
	if (r)
		tap_diag("STATS_GET dump of VM %u: %s", id, err_name(r));
	for (unsigned int i = 0; i < st.n; i++)
		stats_diag(&st.m[i]);
	g = find_vcpu(&st, id, 0);
	tap_ok(r == 0 && stats_sane(&st) && st.n == 3 && g &&
	       g->v[VMM_A_VCPU_RUNS] == 1 && g->user_cnt[VMM_EXIT_SHUTDOWN] == 1 &&
	       g->nuser == 1 && g->exit_cnt[XR_TRIPLE_FAULT] == 1 &&
	       g->v[VMM_A_VCPU_ENTRY_FAILURES] == 0,
	       "stats vCPU 0: 1 run, returned as SHUTDOWN, 1 triple-fault exit");
	g = find_vcpu(&st, id, 1);
	tap_ok(g && g->v[VMM_A_VCPU_RUNS] == 2 && g->v[VMM_A_VCPU_ENTRY_FAILURES] == 1 &&
	       g->user_cnt[VMM_EXIT_FAIL_ENTRY] == 1 && g->user_cnt[VMM_EXIT_IO] == 1 &&
	       g->nuser == 2 && !g->exit_cnt[XR_ENTRY_GUEST],
	       "stats vCPU 1: 2 runs, 1 entry failure (not counted as an exit), FAIL_ENTRY and IO returns");
	g = find_vcpu(&st, id, 5);
	tap_ok(g && g->v[VMM_A_VCPU_RUNS] == 2 && g->v[VMM_A_VCPU_ENTRY_FAILURES] == 0 &&
	       g->user_cnt[VMM_EXIT_INTERNAL_ERROR] == 1 && g->user_cnt[VMM_EXIT_IO] == 1 &&
	       g->nuser == 2 && g->exit_cnt[XR_EPT] >= 1,
	       "stats vCPU 5: 2 runs, INTERNAL_ERROR and IO returns, the EPT violation counted");
	gmsgs_free(&st);

	t0 = now_ns(CLOCK_REALTIME);
	test_vm_free(vm);
	expect_event(ev, VMM_EVENT_VM_DESTROYED, id, -1, t0, &e, "last fd closed");
	r = event_next(ev, getpid(), &e, 300);
	if (!r)
		event_diag(&e);
	tap_ok(r == -ETIMEDOUT, "no further event: %s", r ? err_name(r) : event_name(e.v[VMM_A_EVENT_TYPE]));
	nl_socket_free(ev);
}

/* ------------------------------------------------------------------ */
/* (d) An unprivileged user                                            */
/* ------------------------------------------------------------------ */

static mode_t dev_mode_saved;
static bool dev_mode_changed;

static void restore_dev_mode(void)
{
	if (dev_mode_changed && chmod(DEV_PATH, dev_mode_saved) == 0)
		dev_mode_changed = false;
}

#define D_CHILD_CHECKS	8

static void d_child(struct board *b, int rfd, int wfd)
{
	struct gmsgs c = { 0 };
	struct vmm_dev *dev;
	struct vmm_vm *vm;
	struct nl_sock *sk;
	uint32_t root_id = 0, own = 0;
	bool ok;
	int r, err;
	char go;

	if (read(rfd, &root_id, sizeof(root_id)) != sizeof(root_id))
		_exit(1);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		board_ok(b, false, "dropping to uid %d: %s", NOBODY, strerror(errno));
		_exit(1);
	}
	/* /proc/self/fdinfo stays readable */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

	sk = gsock_open();
	r = vm_dump(sk, &c, NULL);
	ok = r == 0 && vm_dump_sane(&c) && !find_vm(&c, root_id);
	for (unsigned int i = 0; i < c.n; i++)
		ok = ok && c.m[i].v[VMM_A_VM_UID] == NOBODY;
	board_ok(b, ok, "dump (%s) shows neither root's VM %u nor any other user's", err_name(r), root_id);
	gmsgs_free(&c);

	r = vm_get(sk, root_id, NULL);
	board_ok(b, r == -ENOENT, "VM_GET of root's VM %u: %s (want ENOENT)", root_id, err_name(r));
	r = stats_dump(sk, root_id, &c, NULL);
	board_ok(b, r == -ENOENT && c.n == 0, "STATS_GET dump of root's VM %u: %s, %u messages (want ENOENT)",
		 root_id, err_name(r), c.n);
	gmsgs_free(&c);
	r = stats_dump(sk, 0, &c, NULL);
	ok = r == 0;
	for (unsigned int i = 0; i < c.n; i++)
		ok = ok && c.m[i].v[VMM_A_VM_ID] != root_id;
	board_ok(b, ok, "unfiltered STATS_GET dump (%s, %u messages) has no vCPU of root's VM", err_name(r), c.n);
	gmsgs_free(&c);

	{
		struct nl_sock *ev = events_open(&err);

		board_ok(b, !ev && err == -EPERM, "joining \"events\": %s (want EPERM)",
			 ev ? "allowed" : err_name(err));
		if (ev)
			nl_socket_free(ev);
	}

	/* A VM of its own. */
	r = vmm_open(DEV_PATH, &dev);
	if (!r) {
		static const struct vm_spec s = { 0, 1, 1, { 1 << 20 } };

		vm = make_vm(dev, &s, &r);
		if (vm)
			own = test_fd_vm_id(vmm_vm_fd(vm));
	}
	r = vm_dump(sk, &c, NULL);
	{
		struct gmsg *g = own ? find_vm(&c, own) : NULL;

		ok = r == 0 && g && g->v[VMM_A_VM_UID] == NOBODY &&
		     g->v[VMM_A_VM_PID] == (uint64_t)getpid() &&
		     g->v[VMM_A_VM_NR_VCPUS] == 1 && g->v[VMM_A_VM_NR_SLOTS] == 1 &&
		     g->v[VMM_A_VM_MEM_BYTES] == 1 << 20 && !find_vm(&c, root_id);
		if (g && !ok)
			vm_diag(g);
		board_ok(b, ok, "its own VM %u in its dump: uid %d, its pid, 1 vCPU, 1 slot of 1 MiB",
			 own, NOBODY);
	}
	gmsgs_free(&c);
	{
		struct gmsg g;

		r = own ? vm_get(sk, own, &g) : -ENOENT;
		board_ok(b, r == 0 && g.v[VMM_A_VM_UID] == NOBODY &&
			 g.v[VMM_A_VM_ID] == own,
			 "VM_GET of its own VM %u: %s", own, err_name(r));
	}
	r = own ? stats_dump(sk, own, &c, NULL) : -ENOENT;
	board_ok(b, r == 0 && c.n == 1 && find_vcpu(&c, own, 0),
		 "STATS_GET dump of its own VM: %s, %u messages", err_name(r), c.n);
	gmsgs_free(&c);
	nl_socket_free(sk);

	/* Tell the parent, wait until it has looked. */
	if (write(wfd, &own, sizeof(own)) != sizeof(own))
		_exit(1);
	while (read(rfd, &go, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void test_unprivileged(struct nl_sock *sk)
{
	int down[2], up[2], st = 0;
	struct board *b = board_new();
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct gmsgs c = { 0 };
	struct stat sb;
	uint32_t root_id, child_id = 0;
	struct gmsg g;
	pid_t pid;
	bool ok;
	int r;

	TEST_ASSERT(stat(DEV_PATH, &sb) == 0, "stat %s", DEV_PATH);
	dev_mode_saved = sb.st_mode & 07777;
	TEST_ASSERT(chmod(DEV_PATH, 0666) == 0, "chmod %s", DEV_PATH);
	dev_mode_changed = true;

	TEST_ASSERT(pipe(down) == 0 && pipe(up) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		close(down[1]);
		close(up[0]);
		d_child(b, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);

	/* root's VM, created after the fork: the child holds none of it */
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64, NULL, 0);
	root_id = vm_id_of(vm);
	TEST_ASSERT(write(down[1], &root_id, sizeof(root_id)) == sizeof(root_id), "write");
	if (read(up[0], &child_id, sizeof(child_id)) != sizeof(child_id))
		child_id = 0;

	r = child_id ? vm_get(sk, child_id, &g) : -ENOENT;
	ok = r == 0 && g.v[VMM_A_VM_UID] == NOBODY && g.v[VMM_A_VM_PID] == (uint64_t)pid;
	if (r)
		tap_diag("VM_GET %u: %s", child_id, err_name(r));
	else if (!ok)
		vm_diag(&g);
	tap_ok(ok, "root (CAP_NET_ADMIN) sees the child's VM %u: uid %d, the child's pid",
	       child_id, NOBODY);
	r = vm_dump(sk, &c, NULL);
	ok = r == 0 && find_vm(&c, root_id) && child_id && find_vm(&c, child_id);
	tap_ok(ok, "root's dump lists its VM %u and the child's VM %u", root_id, child_id);
	gmsgs_free(&c);

	close(down[1]);
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child of uid %d exited 0 (status %#x)", NOBODY, st);
	board_report(b, D_CHILD_CHECKS, "uid 65534");
	close(up[0]);
	test_vm_free(vm);
	restore_dev_mode();
	TEST_ASSERT(stat(DEV_PATH, &sb) == 0, "stat %s", DEV_PATH);
	tap_ok(!dev_mode_changed && (sb.st_mode & 07777) == dev_mode_saved,
	       "%s mode restored to %04o", DEV_PATH, (unsigned int)dev_mode_saved);
}

/* ------------------------------------------------------------------ */
/* (e) Malformed requests                                              */
/* ------------------------------------------------------------------ */

static bool err_is(int r, int a, int b)
{
	return r == a || r == b;
}

static void test_malformed(struct nl_sock *sk)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64, NULL, 0);
	uint32_t id = vm_id_of(vm), none = 1000000;
	struct gmsgs c = { 0 };
	struct nl_msg *msg;
	struct gmsg g;
	int r;

	msg = req_new(0x7e, 0);
	r = genl_xfer(sk, msg, NULL, NULL, NULL);
	tap_ok(r == -EOPNOTSUPP, "unknown command 0x7e: %s (want EOPNOTSUPP)", err_name(r));

	msg = req_new(VMM_CMD_VM_GET, 0);
	r = genl_xfer(sk, msg, NULL, NULL, NULL);
	tap_ok(r == -EINVAL, "VM_GET without VMM_A_VM_ID: %s (want EINVAL)", err_name(r));

	msg = req_new(VMM_CMD_VM_GET, 0);
	TEST_ASSERT(nla_put_u64(msg, VMM_A_VM_ID, id) == 0, "nla_put_u64");
	r = genl_xfer(sk, msg, NULL, NULL, NULL);
	tap_ok(err_is(r, -EINVAL, -ERANGE), "VM_GET with an 8-byte VMM_A_VM_ID (%u): %s (want EINVAL or ERANGE)",
	       id, err_name(r));

	msg = req_new(VMM_CMD_VM_GET, 0);
	TEST_ASSERT(nla_put_u32(msg, VMM_A_VM_ID, 0) == 0, "nla_put_u32");
	r = genl_xfer(sk, msg, NULL, NULL, NULL);
	tap_ok(err_is(r, -EINVAL, -ERANGE), "VM_GET with VMM_A_VM_ID 0: %s (want EINVAL or ERANGE)",
	       err_name(r));

	msg = req_new(VMM_CMD_VM_GET, 0);
	TEST_ASSERT(nla_put_u32(msg, VMM_A_VM_ID, id) == 0, "nla_put_u32");
	TEST_ASSERT(nla_put_u32(msg, VMM_A_MAX + 10, 1) == 0, "nla_put_u32");
	r = genl_xfer(sk, msg, NULL, NULL, NULL);
	tap_ok(err_is(r, -EINVAL, -ERANGE), "VM_GET %u with an unknown attribute type %d: %s (want EINVAL or ERANGE)",
	       id, VMM_A_MAX + 10, err_name(r));

	msg = req_new(VMM_CMD_STATS_GET, 0);
	TEST_ASSERT(nla_put_u32(msg, VMM_A_VM_ID, id) == 0, "nla_put_u32");
	r = genl_xfer(sk, msg, NULL, NULL, NULL);
	tap_ok(r == -EOPNOTSUPP, "STATS_GET without NLM_F_DUMP: %s (want EOPNOTSUPP)", err_name(r));

	r = vm_get(sk, none, NULL);
	tap_ok(r == -ENOENT, "VM_GET of VM %u, which does not exist: %s (want ENOENT)", none, err_name(r));
	r = stats_dump(sk, none, &c, NULL);
	tap_ok(r == -ENOENT && c.n == 0, "STATS_GET dump of VM %u, which does not exist: %s (want ENOENT), %u messages",
	       none, err_name(r), c.n);
	gmsgs_free(&c);

	/* The family (and this socket) still answer. */
	r = vm_get(sk, id, &g);
	tap_ok(r == 0 && g.v[VMM_A_VM_ID] == id && g.v[VMM_A_VM_PID] == (uint64_t)getpid() &&
	       g.v[VMM_A_VM_NR_VCPUS] == 1 && g.v[VMM_A_VM_MEM_BYTES] == TEST_MEM_SIZE,
	       "after the bad requests VM_GET %u answers correctly: %s", id, err_name(r));
	r = vm_dump(sk, &c, NULL);
	tap_ok(r == 0 && vm_dump_sane(&c) && find_vm(&c, id), "and the VM dump works: %s", err_name(r));
	gmsgs_free(&c);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* (f) Dumps racing creation and destruction                           */
/* ------------------------------------------------------------------ */

/*
 * The race lasts at least STRESS_MS (VMM_GENL_RACE_MS, at least
 * STRESS_MS_MIN) and at least STRESS_MIN cycles and one dump of each
 * kind, however slow the host (the emulator can stall a thread for
 * seconds), but no longer than STRESS_LIMIT_NS.
 */
#define STRESS_MS	2000
#define STRESS_MS_MIN	500
#define STRESS_MIN	10
#define STRESS_LIMIT_NS	120000000000ULL
#define STRESS_MAX	300

static volatile int stress_stop;

struct creator {
	unsigned int cycles, errors;
	uint32_t ids[STRESS_MAX];
	uint64_t ns[4], max_ns[4];	/* create, slot, vCPU, destroy */
};

static void creator_time(struct creator *c, int step, uint64_t *t)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	c->ns[step] += now - *t;
	if (now - *t > c->max_ns[step])
		c->max_ns[step] = now - *t;
	*t = now;
}

static void creator_diag(struct creator *c, const char *what)
{
	static const char *const step[] = { "VMM_CREATE_VM", "memory slot",
					    "VMM_CREATE_VCPU", "destroy" };
	char buf[256];
	int n = 0;

	for (int i = 0; i < 4; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s %s %llu us (max %llu)",
			      i ? "," : "", step[i],
			      c->cycles ? (unsigned long long)(c->ns[i] / c->cycles / 1000) : 0ULL,
			      (unsigned long long)(c->max_ns[i] / 1000));
	tap_diag("creator %s: %u cycles; on average%s", what, c->cycles, buf);
}

static void *creator_thread(void *arg)
{
	struct creator *c = arg;
	struct vmm_dev *dev;

	if (vmm_open(DEV_PATH, &dev)) {
		c->errors++;
		return NULL;
	}
	while (!stress_stop && c->cycles < STRESS_MAX) {
		uint64_t t = now_ns(CLOCK_MONOTONIC);
		struct vmm_vcpu *vcpu;
		struct vmm_vm *vm;
		int r = vmm_vm_create(dev, &vm);

		if (r) {
			c->errors++;
			break;
		}
		c->ids[c->cycles] = test_fd_vm_id(vmm_vm_fd(vm));
		creator_time(c, 0, &t);
		if (vmm_mem_add(vm, 0, 0, 64 << 10, 0, NULL))
			c->errors++;
		creator_time(c, 1, &t);
		if (vmm_vcpu_create(vm, 0, &vcpu))
			c->errors++;
		creator_time(c, 2, &t);
		vmm_vm_destroy(vm);
		creator_time(c, 3, &t);
		c->cycles++;
	}
	vmm_close(dev);
	__atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct dumper {
	unsigned int vm_dumps, stats_dumps, gets, filtered, enoent, errors;
	uint64_t ns[4], max_ns[4];	/* per kind of request */
};

static void dumper_time(struct dumper *d, int kind, uint64_t *t)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	d->ns[kind] += now - *t;
	if (now - *t > d->max_ns[kind])
		d->max_ns[kind] = now - *t;
	*t = now;
}

static void *dumper_thread(void *arg)
{
	struct dumper *d = arg;
	struct nl_sock *sk = gsock_open();
	uint32_t last = 0;

	while (!stress_stop) {
		uint64_t t = now_ns(CLOCK_MONOTONIC);
		struct gmsgs c = { 0 };
		int r;

		r = vm_dump(sk, &c, NULL);
		dumper_time(d, 0, &t);
		if (r || !vm_dump_sane(&c)) {
			tap_diag("racing VM dump: %s", err_name(r));
			d->errors++;
		}
		d->vm_dumps++;
		if (c.n)
			last = c.m[c.n - 1].v[VMM_A_VM_ID];
		gmsgs_free(&c);

		t = now_ns(CLOCK_MONOTONIC);
		r = stats_dump(sk, 0, &c, NULL);
		dumper_time(d, 1, &t);
		if (r || !stats_sane(&c)) {
			tap_diag("racing stats dump: %s", err_name(r));
			d->errors++;
		}
		d->stats_dumps++;
		gmsgs_free(&c);

		if (!last)
			continue;
		t = now_ns(CLOCK_MONOTONIC);
		r = vm_get(sk, last, NULL);
		dumper_time(d, 2, &t);
		d->gets++;
		if (r == -ENOENT)
			d->enoent++;
		else if (r) {
			tap_diag("racing VM_GET %u: %s", last, err_name(r));
			d->errors++;
		}
		r = stats_dump(sk, last, &c, NULL);
		dumper_time(d, 3, &t);
		d->filtered++;
		if (r == -ENOENT)
			d->enoent++;
		else if (r || !stats_sane(&c)) {
			tap_diag("racing stats dump of VM %u: %s", last, err_name(r));
			d->errors++;
		}
		gmsgs_free(&c);
	}
	nl_socket_free(sk);
	return NULL;
}

/* Record one event of the race; the order is checked afterwards. */
struct ev_log {
	unsigned int n, bad;
	uint32_t type[3 * STRESS_MAX + 8], id[3 * STRESS_MAX + 8];
};

static bool ev_log_next(struct nl_sock *ev, struct ev_log *l, int ms)
{
	struct gmsg e;
	int r = event_next(ev, getpid(), &e, ms);

	if (r == -ETIMEDOUT)
		return false;
	if (r) {
		tap_diag("events during the race: %s", err_name(r));
		l->bad++;
		return false;
	}
	if (l->n < 3 * STRESS_MAX + 8) {
		l->type[l->n] = e.v[VMM_A_EVENT_TYPE];
		l->id[l->n] = e.v[VMM_A_VM_ID];
	}
	l->n++;
	return true;
}

static void test_stress(struct nl_sock *sk)
{
	static const uint32_t want_type[3] = { VMM_EVENT_VM_CREATED,
		VMM_EVENT_VCPU_CREATED, VMM_EVENT_VM_DESTROYED };
	struct creator *cr = calloc(1, sizeof(*cr));
	struct ev_log *el = calloc(1, sizeof(*el));
	uint64_t race_ns = env_uint("VMM_GENL_RACE_MS", STRESS_MS, STRESS_MS_MIN,
				    STRESS_LIMIT_NS / 1000000) * 1000000ULL;
	struct dumper du = { 0 };
	struct gmsgs c = { 0 };
	pthread_t tc, td;
	struct nl_sock *ev;
	uint64_t start;
	struct vmm_vcpu *bg_vcpu;
	struct vmm_vm *bg;
	int base, r, left, rcvbuf = 16 << 20;
	unsigned int nev, bad_ev;
	bool ok;

	TEST_ASSERT(cr && el, "calloc");
	/*
	 * A VM held all along keeps VMX on: the cycles measure the VM's
	 * life, not VMX being turned on and off on every CPU each time.
	 */
	bg = vm_create_with_one_vcpu(&bg_vcpu, VMM_MODE_LONG64, NULL, 0);
	base = vms_count();

	ev = events_open(&r);
	TEST_ASSERT(ev, "joining events: %s", err_name(r));
	setsockopt(nl_socket_get_fd(ev), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	stress_stop = 0;
	TEST_ASSERT(pthread_create(&td, NULL, dumper_thread, &du) == 0, "pthread_create");
	TEST_ASSERT(pthread_create(&tc, NULL, creator_thread, cr) == 0, "pthread_create");
	/*
	 * Meanwhile, collect the events, polling without sleeping: in the
	 * emulated host a thread woken on an idle CPU may wait for that
	 * CPU's next timer interrupt (MWAIT idle), which would leave the
	 * other threads a handful of turns; a busy CPU gets an IPI.
	 */
	start = now_ns(CLOCK_MONOTONIC);
	while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST) && !el->bad) {
		uint64_t t = now_ns(CLOCK_MONOTONIC) - start;
		bool enough = t >= race_ns &&
			__atomic_load_n(&cr->cycles, __ATOMIC_RELAXED) >= STRESS_MIN &&
			__atomic_load_n(&du.vm_dumps, __ATOMIC_RELAXED) &&
			__atomic_load_n(&du.stats_dumps, __ATOMIC_RELAXED);

		if (enough || t >= STRESS_LIMIT_NS)
			__atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
		else if (!ev_log_next(ev, el, 0))
			sched_yield();
	}
	__atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(tc, NULL);
	pthread_join(td, NULL);
	/* The rest, then nothing more. */
	while (el->n < 3 * cr->cycles && !el->bad && ev_log_next(ev, el, 3000))
		;
	while (!el->bad && ev_log_next(ev, el, 300))
		;
	nl_socket_free(ev);
	nev = el->n;
	bad_ev = el->bad;
	for (unsigned int i = 0; i < nev && i < 3 * cr->cycles; i++) {
		if (el->type[i] == want_type[i % 3] && el->id[i] == cr->ids[i / 3])
			continue;
		if (bad_ev++ < 3)
			tap_diag("event %u: %s of VM %u, want %s of VM %u", i,
				 event_name(el->type[i]), el->id[i],
				 event_name(want_type[i % 3]), cr->ids[i / 3]);
	}
	free(el);

	tap_diag("%u create/destroy cycles; %u VM dumps, %u stats dumps, %u VM_GETs, %u filtered stats dumps, %u ENOENT; %u events",
		 cr->cycles, du.vm_dumps, du.stats_dumps, du.gets, du.filtered,
		 du.enoent, nev);
	creator_diag(cr, "racing the dumps");
	{
		static const char *const kind[] = { "VM dump", "stats dump",
						    "VM_GET", "filtered stats dump" };
		unsigned int n[4] = { du.vm_dumps, du.stats_dumps, du.gets, du.filtered };

		for (int i = 0; i < 4; i++)
			tap_diag("dumper: %s %llu us on average, at most %llu us", kind[i],
				 n[i] ? (unsigned long long)(du.ns[i] / n[i] / 1000) : 0ULL,
				 (unsigned long long)(du.max_ns[i] / 1000));
	}
	tap_ok(cr->cycles >= STRESS_MIN && cr->errors == 0,
	       "creator thread: %u VMs created (with a slot and a vCPU) and destroyed, %u errors",
	       cr->cycles, cr->errors);
	tap_ok(du.vm_dumps > 0 && du.stats_dumps > 0 && du.errors == 0,
	       "dumper thread: %u VM dumps and %u stats dumps, all complete and ordered; VM_GET/filtered dumps only succeed or ENOENT; %u errors",
	       du.vm_dumps, du.stats_dumps, du.errors);
	tap_ok(bad_ev == 0 && nev == 3 * cr->cycles,
	       "events during the race: %u, want 3 per cycle (%u) in order with the VM ids of fdinfo",
	       nev, 3 * cr->cycles);
	free(cr);

	ok = false;
	for (int tries = 0; tries < 50 && !ok; tries++) {
		if (tries)
			msleep(100);
		r = vm_dump(sk, &c, NULL);
		ok = r == 0 && vm_dump_sane(&c);
		left = 0;
		for (unsigned int i = 0; i < c.n; i++)
			left += c.m[i].v[VMM_A_VM_PID] == (uint64_t)getpid() &&
				c.m[i].v[VMM_A_VM_ID] != vm_id_of(bg);
		ok = ok && !left && vms_count() == base;
		gmsgs_free(&c);
	}
	tap_ok(ok, "afterwards: none of the VMs left, %s shows %d (was %d)", VMS_PATH,
	       vms_count(), base);
	test_vm_free(bg);

	{
		struct vmm_vcpu *vcpu;
		struct vmm_vm *vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
							    GUEST_CODE_PTR(evg),
							    GUEST_CODE_LEN(evg));
		uint32_t id = vm_id_of(vm);
		struct gmsg g;

		TEST_ASSERT_OK(vmm_vcpu_setup_mode(vcpu, VMM_MODE_LONG64, 0, TEST_SCRATCH_GPA,
						   EVG_GPA(evg_hello), TEST_STACK_TOP));
		r = vmm_vcpu_run(vcpu);
		ok = r == 0 && get_ucall(vcpu, NULL) == UCALL_REPORT;
		r = vm_get(sk, id, &g);
		tap_ok(ok && r == 0 && g.v[VMM_A_VM_STATE] == VMM_VM_STATE_IDLE &&
		       g.v[VMM_A_VM_NR_VCPUS] == 1,
		       "the module still works: a new VM %u runs a guest, VM_GET shows it IDLE", id);
		test_vm_free(vm);
	}
}

/* ------------------------------------------------------------------ */

#define PLAN_A		(1 + 2 * A_NSPECS + 2 + 3)
#define PLAN_B		16
#define PLAN_C		25
#define PLAN_D		(3 + D_CHILD_CHECKS + 1)
#define PLAN_E		10
#define PLAN_F		5

int main(void)
{
	struct nl_sock *sk;

	vmm_close(test_open_dev());	/* skips without /dev/vmm */
	TEST_ASSERT(getuid() == 0, "genl_test runs as root");
	atexit(restore_dev_mode);

	sk = nl_socket_alloc();
	TEST_ASSERT(sk && genl_connect(sk) == 0, "generic netlink socket");
	family = genl_ctrl_resolve(sk, VMM_GENL_NAME);
	TEST_ASSERT(family > 0, "family \"%s\" not registered: %s",
		    VMM_GENL_NAME, nl_geterror(family));
	events_grp = genl_ctrl_resolve_grp(sk, VMM_GENL_NAME, VMM_GENL_MCGRP_EVENTS);
	TEST_ASSERT(events_grp > 0, "group \"%s\" not found: %s",
		    VMM_GENL_MCGRP_EVENTS, nl_geterror(events_grp));
	nl_socket_free(sk);

	tap_plan(PLAN_A + PLAN_B + PLAN_C + PLAN_D + PLAN_E + PLAN_F);
	tap_diag("family \"%s\" id %d, group \"%s\" id %d", VMM_GENL_NAME, family,
		 VMM_GENL_MCGRP_EVENTS, events_grp);
	sk = gsock_open();

	tap_diag("--- VMs of three processes");
	test_processes(sk);
	test_many();
	tap_diag("--- statistics");
	test_stats(sk);
	tap_diag("--- events");
	test_events(sk);
	tap_diag("--- an unprivileged user");
	test_unprivileged(sk);
	tap_diag("--- malformed requests");
	test_malformed(sk);
	tap_diag("--- dumps racing VM creation and destruction");
	test_stress(sk);

	nl_socket_free(sk);
	return tap_finish();
}
