/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmctl: the generic netlink family "vmm" (uapi/linux/vmm_genl.h) with
 * libnl: opening and resolving it, one request with its replies, and
 * turning messages into the plain structs below, which the formatters
 * of list, stats and monitor take.
 */
#ifndef VMMCTL_GENL_H
#define VMMCTL_GENL_H

#include <stdbool.h>
#include <stdint.h>

struct nl_msg;
struct nl_sock;

/* VMX basic exit reasons 0..127: the kernel counts any above as 127. */
#define VCPU_NR_EXIT_REASONS	128
/* VMM_EXIT_* values 0..63; one above counts as 63 (none exists). */
#define VCPU_NR_USER_EXITS	64

/* One VM (VMM_CMD_VM_GET); an attribute that is absent reads as 0. */
struct vm_info {
	uint32_t id;
	uint32_t pid;
	uint32_t uid;
	uint32_t nr_vcpus;
	uint32_t nr_slots;
	uint32_t state;			/* enum vmm_vm_state */
	uint64_t mem_bytes;
	uint64_t mapped_bytes;
	uint64_t mapped_huge_bytes;	/* of them, by 2 MiB leaves */
	uint64_t created_ns;		/* CLOCK_REALTIME */
	uint64_t age_ns;
};

/* One vCPU's counters (VMM_CMD_STATS_GET). */
struct vcpu_stats {
	uint32_t vm_id;
	uint32_t vcpu_id;
	uint64_t runs;
	uint64_t exits;
	uint64_t entry_failures;
	uint64_t ept_violations;
	uint64_t ept_mmio;
	uint64_t ept_prefetch;		/* pages fault-around mapped */
	uint64_t guest_ns;		/* valid if has_guest_ns */
	uint64_t handler_ns;		/* valid if has_handler_ns */
	bool has_guest_ns;		/* the module measures guest time */
	bool has_handler_ns;
	uint64_t exit_count[VCPU_NR_EXIT_REASONS];	/* by VMX reason */
	uint64_t user_exit_count[VCPU_NR_USER_EXITS];	/* by VMM_EXIT_* */
};

/* One VMM_CMD_EVENT message; has_* says which attributes it carried. */
struct vm_event {
	uint32_t type;			/* enum vmm_event */
	uint32_t vm_id;
	uint32_t pid;
	uint32_t vcpu_id;
	uint32_t exit_reason;		/* VMM_EXIT_* */
	uint64_t time_ns;		/* CLOCK_REALTIME */
	uint64_t hw_reason;
	uint64_t rip;
	bool has_vm_id, has_pid, has_vcpu_id, has_exit_reason;
	bool has_time, has_hw_reason, has_rip;
};

/*
 * Parse a message of the family into the struct: 0, or -EINVAL when it
 * is malformed or lacks the identifying attributes (VMM_A_VM_ID; for a
 * vCPU also VMM_A_VCPU_ID; for an event VMM_A_EVENT_TYPE).  Attributes
 * this vmmctl does not know are ignored.
 */
int genl_parse_vm(struct nl_msg *msg, struct vm_info *vm);
int genl_parse_vcpu_stats(struct nl_msg *msg, struct vcpu_stats *st);
int genl_parse_event(struct nl_msg *msg, struct vm_event *ev);

/* A socket talking to the family. */
struct vmm_genl {
	struct nl_sock *sk;
	int family;		/* the family's id */
	int sys_err;		/* errno the kernel answered last, or 0 */
};

/*
 * Open a generic netlink socket and resolve "vmm".  Returns 0, or -1
 * after printing why (the module is not loaded, or a netlink error).
 */
int vmm_genl_open(struct vmm_genl *g);
void vmm_genl_close(struct vmm_genl *g);

/*
 * Called for each reply message: return NL_OK or NL_SKIP to go on, or a
 * negative libnl error (-NLE_NOMEM...) to fail the request (the other
 * replies are still read, so that the socket stays usable).
 */
typedef int (*genl_reply_fn)(struct nl_msg *msg, void *arg);

/*
 * Send cmd to the family, as a dump request if dump, with VMM_A_VM_ID
 * when vm_id is not 0, and call fn on each reply until the kernel's
 * acknowledgement or the end of the dump.  Returns 0 or a negative
 * libnl error code; when the kernel answered with an error, g->sys_err
 * holds its errno.
 */
int vmm_genl_request(struct vmm_genl *g, uint8_t cmd, bool dump,
		     uint32_t vm_id, genl_reply_fn fn, void *arg);

/*
 * The same request with the dump retried (up to 3 times) while the
 * kernel says it was interrupted by a change (NLM_F_DUMP_INTR); reset
 * is called before each attempt to forget what fn collected.
 */
int vmm_genl_dump(struct vmm_genl *g, uint8_t cmd, uint32_t vm_id,
		  genl_reply_fn fn, void (*reset)(void *arg), void *arg);

/*
 * "vmmctl: what: <nl_geterror(err)> (<strerror of the kernel's errno>)"
 * on stderr; without the parenthesis when there is no errno or libnl
 * says the same.
 */
void vmm_genl_perror(const struct vmm_genl *g, const char *what, int err);

#endif /* VMMCTL_GENL_H */
