// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vmm" (uapi/linux/vmm_genl.h,
 * Documentation/netlink.rst): what VMs exist and whose they are, what
 * their vCPUs exit for, and events when VMs come, go or fail.
 *
 * Who sees what: a request shows the VMs created by processes of the
 * sender's real uid, or all of them if the sender has CAP_NET_ADMIN (the
 * check GENL_ADMIN_PERM makes, done per VM because that flag would shut
 * users out of their own VMs).  Joining "events" needs CAP_NET_ADMIN,
 * enforced by genetlink where the kernel has multicast group permissions.
 * The family lives in the initial network namespace only: VMs belong to
 * no namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/math64.h>
#include <linux/pid_namespace.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <asm/tsc.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"
#include "run.h"
#include "genl.h"

enum vmm_genl_mcgrp {
	VMM_MCGRP_EVENTS,
};

static const struct genl_multicast_group vmm_mcgrps[] = {
	[VMM_MCGRP_EVENTS] = {
		.name = VMM_GENL_MCGRP_EVENTS,
#ifdef GENL_MCAST_CAP_NET_ADMIN
		.flags = GENL_MCAST_CAP_NET_ADMIN,
#endif
	},
};

static const struct nla_policy vmm_exit_policy[VMM_A_EXIT_MAX + 1] = {
	[VMM_A_EXIT_REASON] = { .type = NLA_U32 },
	[VMM_A_EXIT_COUNT] = { .type = NLA_U64 },
};

/*
 * Every attribute of the family.  Requests carry only VMM_A_VM_ID; the
 * rest are replies and events, but a request holding one is still
 * checked against its type (strict validation: unknown or malformed
 * attributes are errors).
 */
static const struct nla_policy vmm_policy[VMM_A_MAX + 1] = {
	[VMM_A_PAD] = { .type = NLA_UNSPEC },
	[VMM_A_VM_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VMM_A_VM_PID] = { .type = NLA_U32 },
	[VMM_A_VM_UID] = { .type = NLA_U32 },
	[VMM_A_VM_NR_VCPUS] = { .type = NLA_U32 },
	[VMM_A_VM_NR_SLOTS] = { .type = NLA_U32 },
	[VMM_A_VM_MEM_BYTES] = { .type = NLA_U64 },
	[VMM_A_VM_MAPPED_BYTES] = { .type = NLA_U64 },
	[VMM_A_VM_CREATED_NS] = { .type = NLA_U64 },
	[VMM_A_VM_AGE_NS] = { .type = NLA_U64 },
	[VMM_A_VM_STATE] = NLA_POLICY_MAX(NLA_U32, VMM_VM_STATE_FAILED),
	[VMM_A_VCPU_ID] = { .type = NLA_U32 },
	[VMM_A_VCPU_RUNS] = { .type = NLA_U64 },
	[VMM_A_VCPU_EXITS] = { .type = NLA_U64 },
	[VMM_A_VCPU_EXIT] = NLA_POLICY_NESTED(vmm_exit_policy),
	[VMM_A_VCPU_USER_EXIT] = NLA_POLICY_NESTED(vmm_exit_policy),
	[VMM_A_VCPU_EPT_VIOLATIONS] = { .type = NLA_U64 },
	[VMM_A_VCPU_EPT_MMIO] = { .type = NLA_U64 },
	[VMM_A_VCPU_ENTRY_FAILURES] = { .type = NLA_U64 },
	[VMM_A_VCPU_GUEST_NS] = { .type = NLA_U64 },
	[VMM_A_VCPU_HANDLER_NS] = { .type = NLA_U64 },
	[VMM_A_EVENT_TYPE] = NLA_POLICY_RANGE(NLA_U32, VMM_EVENT_VM_CREATED,
					      VMM_EVENT_INTERNAL_ERROR),
	[VMM_A_EVENT_TIME_NS] = { .type = NLA_U64 },
	[VMM_A_EVENT_VCPU_ID] = { .type = NLA_U32 },
	[VMM_A_EVENT_EXIT_REASON] = { .type = NLA_U32 },
	[VMM_A_EVENT_HW_REASON] = { .type = NLA_U64 },
	[VMM_A_EVENT_RIP] = { .type = NLA_U64 },
	[VMM_A_VM_MAPPED_HUGE_BYTES] = { .type = NLA_U64 },
	[VMM_A_VCPU_EPT_PREFETCH] = { .type = NLA_U64 },
};

static struct genl_family vmm_genl_family;

/* ---- Who may see a VM ---- */

static bool may_see(const struct sk_buff *req, const struct vmm_vm *vm)
{
	return uid_eq(vm->uid, NETLINK_CB(req).creds.uid) ||
	       netlink_capable(req, CAP_NET_ADMIN);
}

static int put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, VMM_A_PAD);
}

/* ---- VMM_CMD_VM_GET ---- */

/*
 * Readers take no VM lock: a dump must not wait behind a VM's ioctls (a
 * memory slot change holds vm->lock across an RCU grace period).  Slots
 * are read under RCU; vCPUs are published with a release store of
 * nr_vcpus and live as long as the VM, which vmm_vm_walk() keeps.
 */
static int vm_nr_vcpus(struct vmm_vm *vm)
{
	/* Pairs with the release in vmm_vcpu_create(). */
	return smp_load_acquire(&vm->nr_vcpus);
}

static u32 vm_state(struct vmm_vm *vm, int nr_vcpus)
{
	u32 state = VMM_VM_STATE_CREATED;
	int i;

	for (i = 0; i < nr_vcpus; i++) {
		const struct vmm_vcpu *v = vm->vcpus[i];
		u32 last = READ_ONCE(v->last_exit);

		if (READ_ONCE(v->in_run))
			return VMM_VM_STATE_RUNNING;
		if (!READ_ONCE(v->ran))
			continue;
		if (last == VMM_EXIT_SHUTDOWN)
			state = VMM_VM_STATE_SHUTDOWN;
		else if ((last == VMM_EXIT_FAIL_ENTRY ||
			  last == VMM_EXIT_INTERNAL_ERROR) &&
			 state != VMM_VM_STATE_SHUTDOWN)
			state = VMM_VM_STATE_FAILED;
		else if (state == VMM_VM_STATE_CREATED)
			state = VMM_VM_STATE_IDLE;
	}
	return state;
}

static int vm_put_info(struct sk_buff *skb, struct vmm_vm *vm)
{
	struct vmm_memslots *slots;
	u64 bytes = 0;
	u32 nr_slots, nr_vcpus, state;
	int i, idx;

	idx = srcu_read_lock(&vm->srcu);
	slots = vmm_slots(vm);
	nr_slots = slots->nr;
	for (i = 0; i < slots->nr; i++)
		bytes += slots->slots[i].npages << PAGE_SHIFT;
	srcu_read_unlock(&vm->srcu, idx);
	nr_vcpus = vm_nr_vcpus(vm);
	state = vm_state(vm, nr_vcpus);

	if (nla_put_u32(skb, VMM_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, VMM_A_VM_PID,
			pid_nr_ns(vm->owner, task_active_pid_ns(current))) ||
	    nla_put_u32(skb, VMM_A_VM_UID,
			from_kuid_munged(&init_user_ns, vm->uid)) ||
	    nla_put_u32(skb, VMM_A_VM_NR_VCPUS, nr_vcpus) ||
	    nla_put_u32(skb, VMM_A_VM_NR_SLOTS, nr_slots) ||
	    put_u64(skb, VMM_A_VM_MEM_BYTES, bytes) ||
	    put_u64(skb, VMM_A_VM_MAPPED_BYTES,
		    (u64)READ_ONCE(vm->ept_mapped) << PAGE_SHIFT) ||
	    put_u64(skb, VMM_A_VM_MAPPED_HUGE_BYTES,
		    (u64)READ_ONCE(vm->ept_mapped_huge) << PAGE_SHIFT) ||
	    put_u64(skb, VMM_A_VM_CREATED_NS, vm->created_ns) ||
	    put_u64(skb, VMM_A_VM_AGE_NS,
		    ktime_get_boottime_ns() - vm->created_boot_ns) ||
	    nla_put_u32(skb, VMM_A_VM_STATE, state))
		return -EMSGSIZE;
	return 0;
}

/* One reply or dump message about one VM. */
struct vm_msg {
	struct sk_buff *skb;
	const struct sk_buff *req;	/* the request: who asks */
	u32 portid, seq;
	int flags;
};

static int vm_msg_fill(struct vmm_vm *vm, void *arg)
{
	struct vm_msg *m = arg;
	void *hdr;

	if (!may_see(m->req, vm))
		return 0;
	hdr = genlmsg_put(m->skb, m->portid, m->seq, &vmm_genl_family,
			  m->flags, VMM_CMD_VM_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (vm_put_info(m->skb, vm)) {
		genlmsg_cancel(m->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(m->skb, hdr);
	return 0;
}

static int vm_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vm_msg m = {
		.req = skb,
		.portid = info->snd_portid,
		.seq = info->snd_seq,
	};
	int r;

	if (GENL_REQ_ATTR_CHECK(info, VMM_A_VM_ID))
		return -EINVAL;
	m.skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!m.skb)
		return -ENOMEM;
	r = vmm_vm_with(nla_get_u32(info->attrs[VMM_A_VM_ID]), vm_msg_fill,
			&m);
	/* Another user's VM does not exist, as far as this caller knows. */
	if (!r && !m.skb->len)
		r = -ENOENT;
	if (r) {
		nlmsg_free(m.skb);
		return r;
	}
	return genlmsg_reply(m.skb, info);
}

/* cb->args[0]: the id to go on from. */
static int vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vm_msg m = {
		.skb = skb,
		.req = cb->skb,
		.portid = NETLINK_CB(cb->skb).portid,
		.seq = cb->nlh->nlmsg_seq,
		.flags = NLM_F_MULTI,
	};
	unsigned long pos = max(cb->args[0], 1L);
	int r;

	r = vmm_vm_walk(&pos, vm_msg_fill, &m);
	cb->args[0] = pos;
	/* A full skb: send what fits, come back for the rest. */
	if (r == -EMSGSIZE && skb->len)
		return skb->len;
	return r ? r : skb->len;
}

/* ---- VMM_CMD_STATS_GET ---- */

#ifdef VMM_STATS
static u64 tsc_to_ns(u64 tsc)
{
	return tsc_khz ? mul_u64_u32_div(tsc, NSEC_PER_MSEC, tsc_khz) : 0;
}

static int put_exits(struct sk_buff *skb, int type, const u64 *counts, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		u64 c = READ_ONCE(counts[i]);
		struct nlattr *nest;

		if (!c)
			continue;
		nest = nla_nest_start(skb, type);
		if (!nest || nla_put_u32(skb, VMM_A_EXIT_REASON, i) ||
		    put_u64(skb, VMM_A_EXIT_COUNT, c))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int vcpu_put_stats(struct sk_buff *skb, const struct vmm_vcpu *vcpu)
{
	const struct vmm_vcpu_stats *s = &vcpu->stats;
	u64 exits = 0;
	int i;

	for (i = 0; i < VMM_STAT_EXIT_REASONS; i++)
		exits += READ_ONCE(s->exit[i]);
	if (nla_put_u32(skb, VMM_A_VM_ID, vcpu->vm->id) ||
	    nla_put_u32(skb, VMM_A_VCPU_ID, vcpu->id) ||
	    put_u64(skb, VMM_A_VCPU_RUNS, READ_ONCE(s->runs)) ||
	    put_u64(skb, VMM_A_VCPU_EXITS, exits) ||
	    put_u64(skb, VMM_A_VCPU_EPT_VIOLATIONS,
		    READ_ONCE(s->exit[EXIT_REASON_EPT_VIOLATION])) ||
	    put_u64(skb, VMM_A_VCPU_EPT_MMIO, READ_ONCE(s->ept_mmio)) ||
	    put_u64(skb, VMM_A_VCPU_EPT_PREFETCH, READ_ONCE(s->ept_prefetch)) ||
	    put_u64(skb, VMM_A_VCPU_ENTRY_FAILURES,
		    READ_ONCE(s->entry_failures)))
		return -EMSGSIZE;
	/* Handler time is RUN time less guest time: both or neither. */
	if (vmm_has_guest_time() &&
	    (put_u64(skb, VMM_A_VCPU_GUEST_NS,
		     tsc_to_ns(READ_ONCE(s->guest_tsc))) ||
	     put_u64(skb, VMM_A_VCPU_HANDLER_NS,
		     tsc_to_ns(READ_ONCE(s->handler_tsc)))))
		return -EMSGSIZE;
	if (put_exits(skb, VMM_A_VCPU_EXIT, s->exit, VMM_STAT_EXIT_REASONS) ||
	    put_exits(skb, VMM_A_VCPU_USER_EXIT, s->user_exit,
		      VMM_STAT_USER_REASONS))
		return -EMSGSIZE;
	return 0;
}

/*
 * The dump's position: cb->args[0] the VM id to go on from, cb->args[1]
 * the vCPU index in VM cb->args[3] (that VM may be gone when the dump
 * resumes), cb->args[2] the one VM asked for (0: all).
 */
struct stats_dump {
	struct netlink_callback *cb;
	struct sk_buff *skb;
};

static int stats_fill_vm(struct vmm_vm *vm, void *arg)
{
	struct stats_dump *d = arg;
	struct netlink_callback *cb = d->cb;
	int r = 0;

	if (cb->args[2] && vm->id != cb->args[2])
		return 1;		/* past the one VM asked for */
	if (!may_see(cb->skb, vm))
		return 0;
	if (cb->args[3] != vm->id) {
		cb->args[3] = vm->id;
		cb->args[1] = 0;
	}
	for (; cb->args[1] < vm_nr_vcpus(vm); cb->args[1]++) {
		void *hdr = genlmsg_put(d->skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &vmm_genl_family,
					NLM_F_MULTI, VMM_CMD_STATS_GET);

		if (!hdr) {
			r = -EMSGSIZE;
			break;
		}
		if (vcpu_put_stats(d->skb, vm->vcpus[cb->args[1]])) {
			genlmsg_cancel(d->skb, hdr);
			r = -EMSGSIZE;
			break;
		}
		genlmsg_end(d->skb, hdr);
	}
	if (!r)
		cb->args[1] = 0;
	return r;
}

static int stats_check_vm(struct vmm_vm *vm, void *arg)
{
	return may_see(arg, vm) ? 0 : -ENOENT;
}

/* The parsed attributes of a dump request (Linux 6.6 moved them). */
static struct nlattr **dump_attrs(struct netlink_callback *cb)
{
#ifdef VMM_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

static int stats_start(struct netlink_callback *cb)
{
	const struct nlattr *id = dump_attrs(cb)[VMM_A_VM_ID];
	int r;

	if (!id)
		return 0;
	r = vmm_vm_with(nla_get_u32(id), stats_check_vm, (void *)cb->skb);
	if (r)
		return r;
	cb->args[0] = nla_get_u32(id);
	cb->args[2] = nla_get_u32(id);
	/* Room for one vCPU with every exit reason counted. */
	cb->min_dump_alloc = 8192;
	return 0;
}

static int stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct stats_dump d = { .cb = cb, .skb = skb };
	unsigned long pos = max(cb->args[0], 1L);
	int r;

	r = vmm_vm_walk(&pos, stats_fill_vm, &d);
	cb->args[0] = pos;
	if (r == 1)			/* the one VM is done */
		return skb->len;
	if (r == -EMSGSIZE && skb->len)
		return skb->len;
	return r ? r : skb->len;
}
#else
static int stats_start(struct netlink_callback *cb)
{
	return -EOPNOTSUPP;	/* built with VMM_STATS=n */
}

static int stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return -EOPNOTSUPP;
}
#endif

static const struct genl_ops vmm_genl_ops[] = {
	{
		.cmd = VMM_CMD_VM_GET,
		.doit = vm_get_doit,
		.dumpit = vm_get_dumpit,
	},
	{
		/* Dump only: one vCPU per message keeps messages small. */
		.cmd = VMM_CMD_STATS_GET,
		.start = stats_start,
		.dumpit = stats_dumpit,
	},
};

static struct genl_family vmm_genl_family __ro_after_init = {
	.name = VMM_GENL_NAME,
	.version = VMM_GENL_VERSION,
	.maxattr = VMM_A_MAX,
	.policy = vmm_policy,
	.module = THIS_MODULE,
	.ops = vmm_genl_ops,
	.n_ops = ARRAY_SIZE(vmm_genl_ops),
	.resv_start_op = VMM_CMD_VM_GET,	/* strict checks for all */
	.mcgrps = vmm_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vmm_mcgrps),
};

/* ---- Events ---- */

struct vmm_event_msg {
	u32 type;
	s32 vcpu_id;			/* -1: none */
	bool failure;
	u32 exit_reason;
	u64 hw_reason;
	u64 rip;
};

static void event_send(struct vmm_vm *vm, const struct vmm_event_msg *e)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&vmm_genl_family, &init_net, VMM_MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &vmm_genl_family, 0, VMM_CMD_EVENT);
	if (!hdr)
		goto fail;
	if (nla_put_u32(skb, VMM_A_EVENT_TYPE, e->type) ||
	    put_u64(skb, VMM_A_EVENT_TIME_NS, ktime_get_real_ns()) ||
	    nla_put_u32(skb, VMM_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, VMM_A_VM_PID, pid_nr(vm->owner)) ||
	    nla_put_u32(skb, VMM_A_VM_UID,
			from_kuid_munged(&init_user_ns, vm->uid)))
		goto fail;
	if (e->vcpu_id >= 0 &&
	    nla_put_u32(skb, VMM_A_EVENT_VCPU_ID, e->vcpu_id))
		goto fail;
	if (e->failure &&
	    (nla_put_u32(skb, VMM_A_EVENT_EXIT_REASON, e->exit_reason) ||
	     put_u64(skb, VMM_A_EVENT_HW_REASON, e->hw_reason) ||
	     put_u64(skb, VMM_A_EVENT_RIP, e->rip)))
		goto fail;
	genlmsg_end(skb, hdr);
	/* -ESRCH: the last listener just left.  Events are best effort. */
	genlmsg_multicast(&vmm_genl_family, skb, 0, VMM_MCGRP_EVENTS,
			  GFP_KERNEL);
	return;
fail:
	nlmsg_free(skb);
}

void vmm_genl_vm_event(struct vmm_vm *vm, enum vmm_event type)
{
	struct vmm_event_msg e = { .type = type, .vcpu_id = -1 };

	event_send(vm, &e);
}

void vmm_genl_vcpu_created(struct vmm_vm *vm, u32 vcpu_id)
{
	struct vmm_event_msg e = {
		.type = VMM_EVENT_VCPU_CREATED,
		.vcpu_id = vcpu_id,
	};

	event_send(vm, &e);
}

/* VMM_RUN returned a shutdown, an entry failure or an internal error. */
void vmm_genl_vcpu_stopped(struct vmm_vcpu *vcpu)
{
	const struct vmm_run *run = vcpu->run;
	struct vmm_event_msg e = {
		.vcpu_id = vcpu->id,
		.failure = true,
		.exit_reason = run->exit_reason,
	};

	if (!genl_has_listeners(&vmm_genl_family, &init_net, VMM_MCGRP_EVENTS))
		return;
	switch (run->exit_reason) {
	case VMM_EXIT_SHUTDOWN:
		e.type = VMM_EVENT_SHUTDOWN;
		break;
	case VMM_EXIT_FAIL_ENTRY:
		e.type = VMM_EVENT_ENTRY_FAILED;
		e.hw_reason = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		e.type = VMM_EVENT_INTERNAL_ERROR;
		e.hw_reason = run->internal.suberror;
		break;
	}
	if (!vmm_vcpu_get(vcpu)) {
		e.rip = vmcs_readl(GUEST_RIP);
		vmm_vcpu_put(vcpu);
	}
	event_send(vcpu->vm, &e);
}

int vmm_genl_init(void)
{
	return genl_register_family(&vmm_genl_family);
}

/*
 * Listeners may still be subscribed: unregistering drops them from the
 * group, and no event can be in flight (every VM pins the module).
 */
void vmm_genl_exit(void)
{
	genl_unregister_family(&vmm_genl_family);
}
