// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl list: the VMs the vmm module reports over generic netlink.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <linux/vmm_genl.h>
#include <netlink/handlers.h>

#include "args.h"
#include "format.h"
#include "genl_cmds.h"
#include "vmmctl.h"

const char list_usage[] =
"usage: vmmctl list [--json]\n"
"\n"
"List the VMs of this host: those created by your user, or all of them\n"
"with CAP_NET_ADMIN.  Needs the vmm module (generic netlink family \"vmm\").\n"
"\n"
"columns: ID, PID (creator's process), USER (creator), VCPUS, SLOTS (memory\n"
"slots), MEMORY (in the slots), MAPPED (in EPT now), AGE, STATE (created,\n"
"running, idle, shutdown, failed).\n"
"\n"
"options:\n"
"      --json   one JSON array of objects (id, pid, uid, user, vcpus, slots,\n"
"               mem_bytes, mapped_bytes, mapped_huge_bytes: of them by\n"
"               2 MiB EPT leaves, created_ns, age_ns, state)\n"
"  -h, --help   this text\n";

static const char *state_text(uint32_t state, char *buf, size_t len)
{
	return name_or_number(vm_state_name(state), state, buf, len);
}

static void list_table(FILE *f, const struct vm_info *vms, size_t n)
{
	static const char *const head[] = {
		"ID", "PID", "USER", "VCPUS", "SLOTS", "MEMORY", "MAPPED",
		"AGE", "STATE",
	};
	struct table t;

	table_init(&t, "rrlrrrrrl");
	table_row(&t, head);
	for (size_t i = 0; i < n; i++) {
		const struct vm_info *vm = &vms[i];
		char id[12], pid[12], user[64], vcpus[12], slots[12];
		char mem[16], mapped[16], age[24], st[12];
		const char *row[] = {
			id, pid, user, vcpus, slots, mem, mapped, age,
			state_text(vm->state, st, sizeof(st)),
		};

		snprintf(id, sizeof(id), "%" PRIu32, vm->id);
		snprintf(pid, sizeof(pid), "%" PRIu32, vm->pid);
		fmt_user(user, sizeof(user), vm->uid);
		snprintf(vcpus, sizeof(vcpus), "%" PRIu32, vm->nr_vcpus);
		snprintf(slots, sizeof(slots), "%" PRIu32, vm->nr_slots);
		fmt_size(mem, sizeof(mem), vm->mem_bytes);
		fmt_size(mapped, sizeof(mapped), vm->mapped_bytes);
		fmt_age(age, sizeof(age), vm->age_ns);
		table_row(&t, row);
	}
	table_print(&t, f, "");
	table_free(&t);
}

static void list_json(FILE *f, const struct vm_info *vms, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		const struct vm_info *vm = &vms[i];
		char user[64], st[12];
		struct json j;

		if (i)
			fputc(',', f);
		fmt_user(user, sizeof(user), vm->uid);
		json_begin(&j, f);
		json_u64(&j, "id", vm->id);
		json_u64(&j, "pid", vm->pid);
		json_u64(&j, "uid", vm->uid);
		json_str(&j, "user", user);
		json_u64(&j, "vcpus", vm->nr_vcpus);
		json_u64(&j, "slots", vm->nr_slots);
		json_u64(&j, "mem_bytes", vm->mem_bytes);
		json_u64(&j, "mapped_bytes", vm->mapped_bytes);
		json_u64(&j, "mapped_huge_bytes", vm->mapped_huge_bytes);
		json_u64(&j, "created_ns", vm->created_ns);
		json_u64(&j, "age_ns", vm->age_ns);
		json_str(&j, "state", state_text(vm->state, st, sizeof(st)));
		json_end(&j);
	}
	fputs("]\n", f);
}

void list_print(FILE *f, const struct vm_info *vms, size_t n, bool json)
{
	if (json)
		list_json(f, vms, n);
	else
		list_table(f, vms, n);
}

/* The VMs of a dump, as they come. */
struct vm_list {
	struct vm_info *v;
	size_t n, cap;
};

static int collect_vm(struct nl_msg *msg, void *arg)
{
	struct vm_list *l = arg;
	struct vm_info vm;

	if (genl_parse_vm(msg, &vm))
		return NL_SKIP;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xnonnull(realloc(l->v, l->cap * sizeof(*l->v)));
	}
	l->v[l->n++] = vm;
	return NL_OK;
}

static void forget_vms(void *arg)
{
	((struct vm_list *)arg)->n = 0;
}

static int by_id(const void *a, const void *b)
{
	const struct vm_info *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int cmd_list(int argc, char **argv)
{
	struct vm_list l = { NULL, 0, 0 };
	struct genl_opts o;
	struct vmm_genl g;
	char err[256];
	int ret;

	ret = genl_parse_args(argc, argv, 0, &o, err, sizeof(err));
	if (ret == 1) {
		fputs(list_usage, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "vmmctl list: %s; see vmmctl list --help\n", err);
		return 2;
	}
	if (vmm_genl_open(&g))
		return 1;
	ret = vmm_genl_dump(&g, VMM_CMD_VM_GET, 0, collect_vm, forget_vms, &l);
	if (ret < 0) {
		vmm_genl_perror(&g, "listing the VMs", ret);
	} else {
		if (l.n)
			qsort(l.v, l.n, sizeof(*l.v), by_id);
		list_print(stdout, l.v, l.n, o.json);
	}
	vmm_genl_close(&g);
	free(l.v);
	return ret < 0 ? 1 : 0;
}
