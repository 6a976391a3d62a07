// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: the generic netlink family "vmm" through libnl: the socket,
 * requests with their replies, and messages parsed into plain structs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/vmm_genl.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "genl.h"

/* Types of the attributes vmmctl reads; libnl checks their sizes. */
static const struct nla_policy vmm_policy[VMM_A_MAX + 1] = {
	[VMM_A_VM_ID] = { .type = NLA_U32 },
	[VMM_A_VM_PID] = { .type = NLA_U32 },
	[VMM_A_VM_UID] = { .type = NLA_U32 },
	[VMM_A_VM_NR_VCPUS] = { .type = NLA_U32 },
	[VMM_A_VM_NR_SLOTS] = { .type = NLA_U32 },
	[VMM_A_VM_MEM_BYTES] = { .type = NLA_U64 },
	[VMM_A_VM_MAPPED_BYTES] = { .type = NLA_U64 },
	[VMM_A_VM_CREATED_NS] = { .type = NLA_U64 },
	[VMM_A_VM_AGE_NS] = { .type = NLA_U64 },
	[VMM_A_VM_STATE] = { .type = NLA_U32 },
	[VMM_A_VCPU_ID] = { .type = NLA_U32 },
	[VMM_A_VCPU_RUNS] = { .type = NLA_U64 },
	[VMM_A_VCPU_EXITS] = { .type = NLA_U64 },
	[VMM_A_VCPU_EXIT] = { .type = NLA_NESTED },
	[VMM_A_VCPU_USER_EXIT] = { .type = NLA_NESTED },
	[VMM_A_VCPU_EPT_VIOLATIONS] = { .type = NLA_U64 },
	[VMM_A_VCPU_EPT_MMIO] = { .type = NLA_U64 },
	[VMM_A_VCPU_ENTRY_FAILURES] = { .type = NLA_U64 },
	[VMM_A_VCPU_GUEST_NS] = { .type = NLA_U64 },
	[VMM_A_VCPU_HANDLER_NS] = { .type = NLA_U64 },
	[VMM_A_EVENT_TYPE] = { .type = NLA_U32 },
	[VMM_A_EVENT_TIME_NS] = { .type = NLA_U64 },
	[VMM_A_EVENT_VCPU_ID] = { .type = NLA_U32 },
	[VMM_A_EVENT_EXIT_REASON] = { .type = NLA_U32 },
	[VMM_A_EVENT_HW_REASON] = { .type = NLA_U64 },
	[VMM_A_EVENT_RIP] = { .type = NLA_U64 },
	[VMM_A_VM_MAPPED_HUGE_BYTES] = { .type = NLA_U64 },
	[VMM_A_VCPU_EPT_PREFETCH] = { .type = NLA_U64 },
};

static const struct nla_policy exit_policy[VMM_A_EXIT_MAX + 1] = {
	[VMM_A_EXIT_REASON] = { .type = NLA_U32 },
	[VMM_A_EXIT_COUNT] = { .type = NLA_U64 },
};

static int parse_attrs(struct nl_msg *msg, struct nlattr **tb)
{
	return genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMM_A_MAX, vmm_policy) ?
		-EINVAL : 0;
}

static uint32_t get_u32(const struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static uint64_t get_u64(const struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

int genl_parse_vm(struct nl_msg *msg, struct vm_info *vm)
{
	struct nlattr *tb[VMM_A_MAX + 1];

	memset(vm, 0, sizeof(*vm));
	if (parse_attrs(msg, tb) || !tb[VMM_A_VM_ID])
		return -EINVAL;
	vm->id = get_u32(tb[VMM_A_VM_ID]);
	vm->pid = get_u32(tb[VMM_A_VM_PID]);
	vm->uid = get_u32(tb[VMM_A_VM_UID]);
	vm->nr_vcpus = get_u32(tb[VMM_A_VM_NR_VCPUS]);
	vm->nr_slots = get_u32(tb[VMM_A_VM_NR_SLOTS]);
	vm->state = get_u32(tb[VMM_A_VM_STATE]);
	vm->mem_bytes = get_u64(tb[VMM_A_VM_MEM_BYTES]);
	vm->mapped_bytes = get_u64(tb[VMM_A_VM_MAPPED_BYTES]);
	vm->mapped_huge_bytes = get_u64(tb[VMM_A_VM_MAPPED_HUGE_BYTES]);
	vm->created_ns = get_u64(tb[VMM_A_VM_CREATED_NS]);
	vm->age_ns = get_u64(tb[VMM_A_VM_AGE_NS]);
	return 0;
}

/* One VMM_A_VCPU_EXIT / VMM_A_VCPU_USER_EXIT nest added to count[]. */
static int add_exit(struct nlattr *nest, uint64_t *count, uint32_t n)
{
	struct nlattr *tb[VMM_A_EXIT_MAX + 1];
	uint32_t reason;

	if (nla_parse_nested(tb, VMM_A_EXIT_MAX, nest, exit_policy) ||
	    !tb[VMM_A_EXIT_REASON] || !tb[VMM_A_EXIT_COUNT])
		return -EINVAL;
	reason = nla_get_u32(tb[VMM_A_EXIT_REASON]);
	if (reason >= n)
		reason = n - 1;
	count[reason] += nla_get_u64(tb[VMM_A_EXIT_COUNT]);
	return 0;
}

int genl_parse_vcpu_stats(struct nl_msg *msg, struct vcpu_stats *st)
{
	struct nlattr *tb[VMM_A_MAX + 1], *a;
	struct genlmsghdr *gh;
	int rem, err = 0;

	memset(st, 0, sizeof(*st));
	if (parse_attrs(msg, tb) || !tb[VMM_A_VM_ID] || !tb[VMM_A_VCPU_ID])
		return -EINVAL;
	st->vm_id = get_u32(tb[VMM_A_VM_ID]);
	st->vcpu_id = get_u32(tb[VMM_A_VCPU_ID]);
	st->runs = get_u64(tb[VMM_A_VCPU_RUNS]);
	st->exits = get_u64(tb[VMM_A_VCPU_EXITS]);
	st->entry_failures = get_u64(tb[VMM_A_VCPU_ENTRY_FAILURES]);
	st->ept_violations = get_u64(tb[VMM_A_VCPU_EPT_VIOLATIONS]);
	st->ept_mmio = get_u64(tb[VMM_A_VCPU_EPT_MMIO]);
	st->ept_prefetch = get_u64(tb[VMM_A_VCPU_EPT_PREFETCH]);
	st->has_guest_ns = tb[VMM_A_VCPU_GUEST_NS] != NULL;
	st->guest_ns = get_u64(tb[VMM_A_VCPU_GUEST_NS]);
	st->has_handler_ns = tb[VMM_A_VCPU_HANDLER_NS] != NULL;
	st->handler_ns = get_u64(tb[VMM_A_VCPU_HANDLER_NS]);

	/* The nests repeat, so walk them all (tb[] holds only the last). */
	gh = genlmsg_hdr(nlmsg_hdr(msg));
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(a) == VMM_A_VCPU_EXIT)
			err = add_exit(a, st->exit_count, VCPU_NR_EXIT_REASONS);
		else if (nla_type(a) == VMM_A_VCPU_USER_EXIT)
			err = add_exit(a, st->user_exit_count,
				       VCPU_NR_USER_EXITS);
		if (err)
			return err;
	}
	return 0;
}

int genl_parse_event(struct nl_msg *msg, struct vm_event *ev)
{
	struct nlattr *tb[VMM_A_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	if (genlmsg_hdr(nlmsg_hdr(msg))->cmd != VMM_CMD_EVENT ||
	    parse_attrs(msg, tb) || !tb[VMM_A_EVENT_TYPE])
		return -EINVAL;
	ev->type = get_u32(tb[VMM_A_EVENT_TYPE]);
	ev->has_vm_id = tb[VMM_A_VM_ID] != NULL;
	ev->vm_id = get_u32(tb[VMM_A_VM_ID]);
	ev->has_pid = tb[VMM_A_VM_PID] != NULL;
	ev->pid = get_u32(tb[VMM_A_VM_PID]);
	ev->has_vcpu_id = tb[VMM_A_EVENT_VCPU_ID] != NULL;
	ev->vcpu_id = get_u32(tb[VMM_A_EVENT_VCPU_ID]);
	ev->has_exit_reason = tb[VMM_A_EVENT_EXIT_REASON] != NULL;
	ev->exit_reason = get_u32(tb[VMM_A_EVENT_EXIT_REASON]);
	ev->has_time = tb[VMM_A_EVENT_TIME_NS] != NULL;
	ev->time_ns = get_u64(tb[VMM_A_EVENT_TIME_NS]);
	ev->has_hw_reason = tb[VMM_A_EVENT_HW_REASON] != NULL;
	ev->hw_reason = get_u64(tb[VMM_A_EVENT_HW_REASON]);
	ev->has_rip = tb[VMM_A_EVENT_RIP] != NULL;
	ev->rip = get_u64(tb[VMM_A_EVENT_RIP]);
	return 0;
}

void vmm_genl_perror(const struct vmm_genl *g, const char *what, int err)
{
	const char *nl = nl_geterror(err);
	const char *sys = g && g->sys_err ? strerror(g->sys_err) : NULL;

	/* The errno's meaning, unless libnl's text says just that. */
	if (sys && strcmp(sys, nl))
		fprintf(stderr, "vmmctl: %s: %s (%s)\n", what, nl, sys);
	else
		fprintf(stderr, "vmmctl: %s: %s\n", what, nl);
}

int vmm_genl_open(struct vmm_genl *g)
{
	int err;

	memset(g, 0, sizeof(*g));
	g->sk = nl_socket_alloc();
	if (!g->sk) {
		fprintf(stderr, "vmmctl: out of memory\n");
		return -1;
	}
	err = genl_connect(g->sk);
	if (err < 0) {
		g->sys_err = errno;
		vmm_genl_perror(g, "cannot open a generic netlink socket", err);
		goto fail;
	}
	err = genl_ctrl_resolve(g->sk, VMM_GENL_NAME);
	if (err == -NLE_OBJ_NOTFOUND) {
		fprintf(stderr, "vmmctl: the vmm module is not loaded (no generic netlink family \"%s\")\n",
			VMM_GENL_NAME);
		goto fail;
	}
	if (err < 0) {
		vmm_genl_perror(g, "cannot look up the generic netlink family \"" VMM_GENL_NAME "\"",
				err);
		goto fail;
	}
	g->family = err;
	return 0;
fail:
	vmm_genl_close(g);
	return -1;
}

void vmm_genl_close(struct vmm_genl *g)
{
	nl_socket_free(g->sk);	/* NULL is fine */
	g->sk = NULL;
}

/* One request in flight. */
struct request {
	genl_reply_fn fn;
	void *arg;
	int fn_err;		/* the first error fn returned */
	int sys_err;		/* the kernel's errno */
	bool done;		/* acknowledged, or the dump ended */
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct request *r = arg;
	int ret = r->fn ? r->fn(msg, r->arg) : NL_OK;

	if (ret < 0) {
		if (!r->fn_err)
			r->fn_err = ret;
		return NL_SKIP;
	}
	return ret;
}

/*
 * NLMSG_DONE: the dump ended.  A dump that failed after it started
 * carries the error in the int that follows the header; libnl does not
 * look at it.
 */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct request *r = arg;
	int e;

	r->done = true;
	if (nlmsg_datalen(nlh) >= (int)sizeof(e)) {
		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e < 0)
			r->sys_err = -e;
	}
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct request *r = arg;

	(void)who;
	r->sys_err = -e->error;
	r->done = true;
	return NL_STOP;
}

int vmm_genl_request(struct vmm_genl *g, uint8_t cmd, bool dump,
		     uint32_t vm_id, genl_reply_fn fn, void *arg)
{
	struct request r = { .fn = fn, .arg = arg };
	struct nl_msg *msg = NULL;
	struct nl_cb *cb;
	int err = -NLE_NOMEM;

	g->sys_err = 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	msg = nlmsg_alloc();
	if (!cb || !msg)
		goto out;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
			 NLM_F_ACK | (dump ? NLM_F_DUMP : 0), cmd,
			 VMM_GENL_VERSION))
		goto out;
	if (vm_id && nla_put_u32(msg, VMM_A_VM_ID, vm_id) < 0)
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);

	err = nl_send_auto(g->sk, msg);
	while (err >= 0 && !r.done)
		err = nl_recvmsgs(g->sk, cb);
	if (err >= 0)
		err = r.sys_err ? -nl_syserr2nlerr(r.sys_err) : r.fn_err;
	g->sys_err = r.sys_err;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	return err < 0 ? err : 0;
}

int vmm_genl_dump(struct vmm_genl *g, uint8_t cmd, uint32_t vm_id,
		  genl_reply_fn fn, void (*reset)(void *arg), void *arg)
{
	int err, tries = 0;

	do {
		if (reset)
			reset(arg);
		err = vmm_genl_request(g, cmd, true, vm_id, fn, arg);
	} while (err == -NLE_DUMP_INTR && ++tries < 3);
	return err;
}
