// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl_genl_test: `vmmctl list`, `stats` and `monitor` without the
 * module: fabricated structs through the formatters (exact table and
 * JSON text, sizes, ages, times, rates), fabricated generic netlink
 * messages built with libnl through the parsers (u64s after pad
 * attributes, repeated nests, absent guest time, unknown reasons), the
 * option parser, and the request plumbing against the kernel's own
 * "nlctrl" family.  Built with vmmctl's sources (see the Makefile).
 */
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/vmm.h>
#include <linux/vmm_genl.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "test_util.h"

#include "args.h"
#include "format.h"
#include "genl.h"
#include "genl_cmds.h"

#define GIB	(1ULL << 30)
#define MIB	(1ULL << 20)
#define SEC	1000000000ULL

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Output of the formatters goes to a memory stream. */
static char *out_buf;
static size_t out_len;

static FILE *out_open(void)
{
	FILE *f;

	free(out_buf);
	out_buf = NULL;
	f = open_memstream(&out_buf, &out_len);
	TEST_ASSERT(f, "open_memstream");
	return f;
}

static const char *out_close(FILE *f)
{
	fclose(f);
	return out_buf;
}

/* Compare, printing both texts as diagnostics when they differ. */
static bool same_text(const char *got, const char *want, const char *what)
{
	if (!strcmp(got, want))
		return tap_ok(true, "%s", what);
	tap_diag("got:\n%s", got);
	tap_diag("want:\n%s", want);
	return tap_ok(false, "%s", what);
}

static bool size_is(uint64_t bytes, const char *want)
{
	char buf[32];

	fmt_size(buf, sizeof(buf), bytes);
	if (strcmp(buf, want))
		tap_diag("fmt_size(%llu) = '%s', want '%s'",
			 (unsigned long long)bytes, buf, want);
	return !strcmp(buf, want);
}

static bool age_is(uint64_t ns, const char *want)
{
	char buf[32];

	fmt_age(buf, sizeof(buf), ns);
	if (strcmp(buf, want))
		tap_diag("fmt_age(%llu) = '%s', want '%s'",
			 (unsigned long long)ns, buf, want);
	return !strcmp(buf, want);
}

static bool duration_is(uint64_t ns, const char *want)
{
	char buf[32];

	fmt_duration(buf, sizeof(buf), ns);
	if (strcmp(buf, want))
		tap_diag("fmt_duration(%llu) = '%s', want '%s'",
			 (unsigned long long)ns, buf, want);
	return !strcmp(buf, want);
}

static bool near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

/* A message of the family as the kernel would build it. */
static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	TEST_ASSERT(msg, "nlmsg_alloc");
	TEST_ASSERT(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0,
				cmd, VMM_GENL_VERSION), "genlmsg_put");
	return msg;
}

static void put_u32(struct nl_msg *msg, int type, uint32_t v)
{
	TEST_ASSERT(!nla_put_u32(msg, type, v), "nla_put_u32");
}

/*
 * nla_put_u64_64bit: a zero-length VMM_A_PAD first when the payload
 * would not be 8-byte aligned, as the kernel does.
 */
static void put_u64(struct nl_msg *msg, int type, uint64_t v)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uintptr_t tail = (uintptr_t)nlh + NLMSG_ALIGN(nlh->nlmsg_len);

	if ((tail + NLA_HDRLEN) % 8)
		TEST_ASSERT(!nla_put(msg, VMM_A_PAD, 0, NULL), "pad");
	TEST_ASSERT(!nla_put_u64(msg, type, v), "nla_put_u64");
}

static void put_exit(struct nl_msg *msg, int type, uint32_t reason,
		     uint64_t count)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	TEST_ASSERT(nest, "nla_nest_start");
	put_u32(msg, VMM_A_EXIT_REASON, reason);
	put_u64(msg, VMM_A_EXIT_COUNT, count);
	nla_nest_end(msg, nest);
}

/* ------------------------------------------------------------------ */
/* Fabricated data                                                     */
/* ------------------------------------------------------------------ */

#define NOBODY_UID	424242	/* assumed to have no passwd entry */

static const struct vm_info vms[] = {
	{
		.id = 1, .pid = 1234, .uid = 0, .nr_vcpus = 1, .nr_slots = 1,
		.state = VMM_VM_STATE_RUNNING, .mem_bytes = 64 * MIB,
		.mapped_bytes = 4096, .mapped_huge_bytes = 0,
		.created_ns = 1736085787123456789ULL,
		.age_ns = 192 * SEC + 5,
	},
	{
		.id = 12, .pid = 98765, .uid = NOBODY_UID, .nr_vcpus = 4,
		.nr_slots = 2, .state = 7, .mem_bytes = 3 * GIB / 2,
		.mapped_bytes = 1073636966, .mapped_huge_bytes = 1 * GIB,
		.created_ns = 1,
		.age_ns = (2 * 3600 + 3 * 60 + 59) * SEC,
	},
};

/* vm 1 vcpu 0 now (a), two seconds before (b); vm 2 vcpu 1 is new. */
static struct vcpu_stats a1, a2, b1, b3;

static void fabricate_stats(void)
{
	a1 = (struct vcpu_stats){
		.vm_id = 1, .vcpu_id = 0, .runs = 1200, .exits = 3456,
		.entry_failures = 0, .ept_violations = 12, .ept_mmio = 10,
		.ept_prefetch = 40,
		.guest_ns = 1204000000, .has_guest_ns = true,
		.handler_ns = 35200000, .has_handler_ns = true,
	};
	a1.exit_count[1] = 20;
	a1.exit_count[10] = 100;
	a1.exit_count[30] = 1100;
	a1.exit_count[48] = 12;
	a1.exit_count[100] = 3;
	a1.user_exit_count[VMM_EXIT_IO] = 1100;
	a1.user_exit_count[VMM_EXIT_HLT] = 10;
	a1.user_exit_count[VMM_EXIT_MMIO] = 10;

	/* On a CPU that cannot measure guest time: no times at all. */
	a2 = (struct vcpu_stats){
		.vm_id = 2, .vcpu_id = 1, .runs = 5, .exits = 7,
		.entry_failures = 1,
	};

	b1 = a1;
	b1.runs = 1000;
	b1.exits = 3000;
	b1.ept_violations = 10;
	b1.ept_mmio = 8;
	b1.ept_prefetch = 30;
	b1.guest_ns = 204000000;
	b1.handler_ns = 15200000;
	b1.exit_count[1] = 10;
	b1.exit_count[30] = 900;
	b1.exit_count[48] = 10;
	b1.user_exit_count[VMM_EXIT_IO] = 900;
	b1.user_exit_count[VMM_EXIT_MMIO] = 8;

	/* Only in the first sample: a vCPU of a VM destroyed since. */
	b3 = (struct vcpu_stats){ .vm_id = 3, .vcpu_id = 0, .runs = 1 };
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_human(void)
{
	char buf[64];

	tap_ok(size_is(0, "0") && size_is(512, "512") &&
	       size_is(1023, "1023") && size_is(1024, "1K") &&
	       size_is(1536, "1.5K") && size_is(4096, "4K") &&
	       size_is(64 * MIB, "64M") && size_is(3 * GIB / 2, "1.5G") &&
	       size_is(10 * GIB, "10G") && size_is(1073636966, "1G") &&
	       size_is(10189, "10K") && size_is(150 * MIB, "150M") &&
	       size_is(1ULL << 40, "1T"),
	       "sizes: 512, 1K, 1.5K, 64M, 1.5G, 10G, 1023.9M as 1G");
	tap_ok(age_is(0, "0s") && age_is(5 * SEC + 999999999, "5s") &&
	       age_is(59 * SEC, "59s") && age_is(60 * SEC, "1m00s") &&
	       age_is(192 * SEC, "3m12s") && age_is(3599 * SEC, "59m59s") &&
	       age_is(3600 * SEC, "1h00m") &&
	       age_is((2 * 3600 + 3 * 60 + 59) * SEC, "2h03m") &&
	       age_is((4 * 86400 + 23 * 3600) * SEC, "4d"),
	       "ages: 5s, 3m12s, 2h03m, 4d");
	tap_ok(duration_is(950, "950ns") && duration_is(12500, "12.5us") &&
	       duration_is(35200000, "35.2ms") &&
	       duration_is(1204000000, "1.204s"),
	       "durations: 950ns, 12.5us, 35.2ms, 1.204s");

	setenv("TZ", "UTC", 1);
	tzset();
	fmt_iso_time(buf, sizeof(buf), 1736085787123456789ULL);
	tap_ok(!strcmp(buf, "2025-01-05T14:03:07.123+00:00"),
	       "ISO 8601 time with ms, UTC: %s", buf);
	setenv("TZ", "XYZ-5:30", 1);
	tzset();
	fmt_iso_time(buf, sizeof(buf), 1736085787999000000ULL);
	tap_ok(!strcmp(buf, "2025-01-05T19:33:07.999+05:30"),
	       "ISO 8601 time with ms, UTC+5:30: %s", buf);
	setenv("TZ", "UTC", 1);
	tzset();

	tap_ok(near(rate_per_sec(150, 100, 2.0), 25.0) &&
	       near(rate_per_sec(150, 100, 0.5), 100.0) &&
	       near(rate_per_sec(3, 0, 1.5), 2.0) &&
	       rate_per_sec(100, 150, 2.0) == 0 &&
	       rate_per_sec(150, 100, 0) == 0,
	       "rates: difference / seconds; 0 when going backwards or no time");
}

static void test_names(void)
{
	char buf[12];

	tap_ok(!strcmp(vmx_exit_name(0), "EXCEPTION_NMI") &&
	       !strcmp(vmx_exit_name(1), "EXTERNAL_INTERRUPT") &&
	       !strcmp(vmx_exit_name(2), "TRIPLE_FAULT") &&
	       !strcmp(vmx_exit_name(10), "CPUID") &&
	       !strcmp(vmx_exit_name(12), "HLT") &&
	       !strcmp(vmx_exit_name(30), "IO_INSTRUCTION") &&
	       !strcmp(vmx_exit_name(31), "MSR_READ") &&
	       !strcmp(vmx_exit_name(32), "MSR_WRITE") &&
	       !strcmp(vmx_exit_name(48), "EPT_VIOLATION") &&
	       !strcmp(vmx_exit_name(49), "EPT_MISCONFIG") &&
	       !strcmp(vmx_exit_name(55), "XSETBV") &&
	       !strcmp(vmx_exit_name(77), "TDCALL") &&
	       !vmx_exit_name(35) && !vmx_exit_name(127) &&
	       !vmx_exit_name(100000),
	       "VMX basic exit reason names (SDM Appendix C)");
	tap_ok(!strcmp(user_exit_name(VMM_EXIT_UNKNOWN), "UNKNOWN") &&
	       !strcmp(user_exit_name(VMM_EXIT_IO), "IO") &&
	       !strcmp(user_exit_name(VMM_EXIT_NMI), "NMI") &&
	       !strcmp(user_exit_name(VMM_EXIT_INTERNAL_ERROR),
		       "INTERNAL_ERROR") &&
	       !strcmp(user_exit_name(VMM_EXIT_SYSTEM_EVENT), "SYSTEM_EVENT") &&
	       !user_exit_name(63) && !user_exit_name(1000),
	       "exit-to-userspace names");
	tap_ok(!strcmp(vm_state_name(VMM_VM_STATE_CREATED), "created") &&
	       !strcmp(vm_state_name(VMM_VM_STATE_IDLE), "idle") &&
	       !strcmp(vm_state_name(VMM_VM_STATE_FAILED), "failed") &&
	       !vm_state_name(5) &&
	       !strcmp(vm_event_name(VMM_EVENT_VM_CREATED), "vm-created") &&
	       !strcmp(vm_event_name(VMM_EVENT_INTERNAL_ERROR),
		       "internal-error") &&
	       !vm_event_name(0) && !vm_event_name(7) &&
	       !strcmp(name_or_number(NULL, 42, buf, sizeof(buf)), "42"),
	       "state and event names, numbers for the unknown");
}

static void test_json_string(void)
{
	FILE *f = out_open();

	json_string(f, "a\"b\\c\n\x01\t\x7f\xc3\xa9");
	same_text(out_close(f), "\"a\\\"b\\\\c\\n\\u0001\\t\\u007f\xc3\xa9\"",
		  "JSON strings: quotes, backslashes, controls escaped; UTF-8 kept");
}

static void test_list(void)
{
	FILE *f;

	TEST_ASSERT(!getpwuid(NOBODY_UID), "uid %d has a name here",
		    NOBODY_UID);
	f = out_open();
	list_print(f, vms, 2, false);
	same_text(out_close(f),
		  "ID    PID  USER    VCPUS  SLOTS  MEMORY  MAPPED    AGE  STATE\n"
		  " 1   1234  root        1      1     64M      4K  3m12s  running\n"
		  "12  98765  424242      4      2    1.5G      1G  2h03m  7\n",
		  "list: the table");

	f = out_open();
	list_print(f, vms, 0, false);
	same_text(out_close(f),
		  "ID  PID  USER  VCPUS  SLOTS  MEMORY  MAPPED  AGE  STATE\n",
		  "list: no VMs, the header only");

	f = out_open();
	list_print(f, vms, 2, true);
	same_text(out_close(f),
		  "[{\"id\":1,\"pid\":1234,\"uid\":0,\"user\":\"root\",\"vcpus\":1,\"slots\":1,"
		  "\"mem_bytes\":67108864,\"mapped_bytes\":4096,\"mapped_huge_bytes\":0,"
		  "\"created_ns\":1736085787123456789,\"age_ns\":192000000005,"
		  "\"state\":\"running\"},"
		  "{\"id\":12,\"pid\":98765,\"uid\":424242,\"user\":\"424242\",\"vcpus\":4,"
		  "\"slots\":2,\"mem_bytes\":1610612736,\"mapped_bytes\":1073636966,"
		  "\"mapped_huge_bytes\":1073741824,"
		  "\"created_ns\":1,\"age_ns\":7439000000000,\"state\":\"7\"}]\n",
		  "list --json: one line, one object per VM");

	f = out_open();
	list_print(f, vms, 0, true);
	same_text(out_close(f), "[]\n", "list --json: no VMs, []");
}

static void test_stats(void)
{
	struct stats_sample cur = { NULL, 0, 0 }, prev = { NULL, 0, 0 };
	FILE *f;

	fabricate_stats();
	/* Added out of order: stats_sample_sort puts them right. */
	stats_sample_add(&cur, &a2);
	stats_sample_add(&cur, &a1);
	stats_sample_sort(&cur);
	tap_ok(cur.n == 2 && cur.v[0].vm_id == 1 && cur.v[1].vm_id == 2,
	       "samples sort by VM, then vCPU");
	stats_sample_add(&prev, &b3);
	stats_sample_add(&prev, &b1);
	stats_sample_sort(&prev);

	f = out_open();
	stats_print(f, &cur, NULL, 0, 0, false);
	same_text(out_close(f),
		  "vm 1 vcpu 0: runs 1200, exits 3456, entry failures 0, ept violations 12 (mmio 10, prefetch 40), guest time 1.204s, handler time 35.2ms\n"
		  "  EXIT REASON         COUNT\n"
		  "  EXTERNAL_INTERRUPT     20\n"
		  "  CPUID                 100\n"
		  "  IO_INSTRUCTION       1100\n"
		  "  EPT_VIOLATION          12\n"
		  "  100                     3\n"
		  "  USER EXIT           COUNT\n"
		  "  IO                   1100\n"
		  "  HLT                    10\n"
		  "  MMIO                   10\n"
		  "\n"
		  "vm 2 vcpu 1: runs 5, exits 7, entry failures 1, ept violations 0 (mmio 0, prefetch 0), guest time n/a, handler time n/a\n",
		  "stats: totals, exit tables by name, unknown reason as a number, no times");

	f = out_open();
	stats_print(f, &cur, NULL, 0, 0, true);
	same_text(out_close(f),
		  "[{\"vm\":1,\"vcpu\":0,\"runs\":1200,\"exits\":3456,\"entry_failures\":0,"
		  "\"ept_violations\":12,\"ept_mmio\":10,\"ept_prefetch\":40,"
		  "\"guest_ns\":1204000000,"
		  "\"handler_ns\":35200000,\"exit_reasons\":{\"EXTERNAL_INTERRUPT\":20,"
		  "\"CPUID\":100,\"IO_INSTRUCTION\":1100,\"EPT_VIOLATION\":12,\"100\":3},"
		  "\"user_exits\":{\"IO\":1100,\"HLT\":10,\"MMIO\":10}},"
		  "{\"vm\":2,\"vcpu\":1,\"runs\":5,\"exits\":7,\"entry_failures\":1,"
		  "\"ept_violations\":0,\"ept_mmio\":0,\"ept_prefetch\":0,"
		  "\"exit_reasons\":{},\"user_exits\":{}}]\n",
		  "stats --json: totals, guest_ns and handler_ns omitted when absent");

	f = out_open();
	stats_print(f, &cur, &prev, 2.0, 2, false);
	same_text(out_close(f),
		  "vm 1 vcpu 0: runs 100.0/s, exits 228.0/s, entry failures 0.0/s, ept violations 1.0/s (mmio 1.0/s, prefetch 5.0/s), guest time 50.0%, handler time 1.0%\n"
		  "  EXIT REASON         PER SEC\n"
		  "  EXTERNAL_INTERRUPT      5.0\n"
		  "  IO_INSTRUCTION        100.0\n"
		  "  EPT_VIOLATION           1.0\n"
		  "  USER EXIT           PER SEC\n"
		  "  IO                    100.0\n"
		  "  MMIO                    1.0\n",
		  "stats -i: rates of the vCPUs in both samples, unchanged reasons left out");

	f = out_open();
	stats_print(f, &cur, &prev, 0.5, 0.5, true);
	same_text(out_close(f),
		  "[{\"vm\":1,\"vcpu\":0,\"runs\":400.000,\"exits\":912.000,"
		  "\"entry_failures\":0.000,\"ept_violations\":4.000,\"ept_mmio\":4.000,"
		  "\"ept_prefetch\":20.000,"
		  "\"guest_ns\":2000000000.000,\"handler_ns\":40000000.000,"
		  "\"exit_reasons\":{\"EXTERNAL_INTERRUPT\":20.000,\"IO_INSTRUCTION\":400.000,"
		  "\"EPT_VIOLATION\":4.000},\"user_exits\":{\"IO\":400.000,\"MMIO\":4.000},"
		  "\"interval_s\":0.5}]\n",
		  "stats -i 0.5 --json: rates per second with decimals, interval_s");

	/* guest time in one sample only: not shown as a rate. */
	prev.v[0].has_guest_ns = false;
	f = out_open();
	stats_print(f, &cur, &prev, 1.0, 1, true);
	tap_ok(!strstr(out_close(f), "guest_ns") && strstr(out_buf, "handler_ns"),
	       "stats -i: no guest rate unless both samples have guest time");

	f = out_open();
	stats_print(f, &prev, &cur, 1.0, 1, false);
	tap_ok(!strstr(out_close(f), "vm 3"),
	       "stats -i: a vCPU missing from the first sample is left out");

	f = out_open();
	cur.n = 0;
	stats_print(f, &cur, NULL, 0, 0, true);
	same_text(out_close(f), "[]\n", "stats --json: no vCPUs, []");
	f = out_open();
	stats_print(f, &cur, NULL, 0, 0, false);
	same_text(out_close(f), "", "stats: no vCPUs, no output");

	stats_sample_free(&cur);
	stats_sample_free(&prev);
}

static void test_events(void)
{
	struct vm_event created = {
		.type = VMM_EVENT_VM_CREATED, .vm_id = 1, .pid = 1234,
		.time_ns = 1736085787123456789ULL,
		.has_vm_id = true, .has_pid = true, .has_time = true,
	};
	struct vm_event failed = {
		.type = VMM_EVENT_ENTRY_FAILED, .vm_id = 3, .pid = 77,
		.vcpu_id = 0, .exit_reason = VMM_EXIT_FAIL_ENTRY,
		.hw_reason = 0x21, .rip = 0xfff0,
		.time_ns = 1736085787000000000ULL,
		.has_vm_id = true, .has_pid = true, .has_vcpu_id = true,
		.has_exit_reason = true, .has_hw_reason = true,
		.has_rip = true, .has_time = true,
	};
	struct vm_event odd = {
		.type = 42, .vm_id = 5, .pid = 0, .exit_reason = 99,
		.has_vm_id = true, .has_pid = true, .has_exit_reason = true,
	};
	FILE *f = out_open();

	event_print(f, &created, false, 0);
	event_print(f, &failed, false, 0);
	event_print(f, &odd, false, 1736085788500000000ULL);
	same_text(out_close(f),
		  "2025-01-05T14:03:07.123+00:00 vm-created vm 1 pid 1234\n"
		  "2025-01-05T14:03:07.000+00:00 entry-failed vm 3 pid 77 vcpu 0 reason FAIL_ENTRY hw 0x21 rip 0xfff0\n"
		  "2025-01-05T14:03:08.500+00:00 42 vm 5 pid 0 reason 99\n",
		  "monitor: event lines (time of receipt when the event has none)");

	f = out_open();
	event_print(f, &created, true, 0);
	event_print(f, &failed, true, 0);
	event_print(f, &odd, true, 1736085788500000000ULL);
	same_text(out_close(f),
		  "{\"event\":\"vm-created\",\"time_ns\":1736085787123456789,\"vm\":1,\"pid\":1234}\n"
		  "{\"event\":\"entry-failed\",\"time_ns\":1736085787000000000,\"vm\":3,\"pid\":77,"
		  "\"vcpu\":0,\"exit_reason\":\"FAIL_ENTRY\",\"hw_reason\":33,\"rip\":65520}\n"
		  "{\"event\":\"42\",\"vm\":5,\"pid\":0,\"exit_reason\":\"99\"}\n",
		  "monitor --json: one object per line, keys of present attributes only");
}

static void test_parse_vm(void)
{
	struct nl_msg *msg = new_msg(VMM_CMD_VM_GET);
	struct vm_info vm;

	put_u32(msg, VMM_A_VM_ID, 7);
	put_u32(msg, VMM_A_VM_PID, 4321);
	put_u32(msg, VMM_A_VM_UID, 1000);
	put_u32(msg, VMM_A_VM_NR_VCPUS, 2);
	put_u32(msg, VMM_A_VM_NR_SLOTS, 3);
	put_u64(msg, VMM_A_VM_MEM_BYTES, 64 * MIB);
	put_u64(msg, VMM_A_VM_MAPPED_BYTES, 8192);
	put_u64(msg, VMM_A_VM_MAPPED_HUGE_BYTES, 4096);
	put_u64(msg, VMM_A_VM_CREATED_NS, 1736085787123456789ULL);
	put_u64(msg, VMM_A_VM_AGE_NS, 5 * SEC);
	put_u32(msg, VMM_A_VM_STATE, VMM_VM_STATE_IDLE);
	put_u32(msg, VMM_A_MAX + 5, 1);	/* from a newer module: ignored */
	tap_ok(!genl_parse_vm(msg, &vm) && vm.id == 7 && vm.pid == 4321 &&
	       vm.uid == 1000 && vm.nr_vcpus == 2 && vm.nr_slots == 3 &&
	       vm.mem_bytes == 64 * MIB && vm.mapped_bytes == 8192 &&
	       vm.mapped_huge_bytes == 4096 &&
	       vm.created_ns == 1736085787123456789ULL &&
	       vm.age_ns == 5 * SEC && vm.state == VMM_VM_STATE_IDLE,
	       "parse a VM: every attribute, u64s after pads, unknown ones ignored");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_VM_GET);
	put_u32(msg, VMM_A_VM_PID, 4321);
	tap_ok(genl_parse_vm(msg, &vm) == -EINVAL, "a VM without VMM_A_VM_ID is refused");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_VM_GET);
	put_u32(msg, VMM_A_VM_ID, 7);
	put_u32(msg, VMM_A_VM_MEM_BYTES, 5);	/* a u64 too short */
	tap_ok(genl_parse_vm(msg, &vm) == -EINVAL, "a truncated u64 is refused");
	nlmsg_free(msg);
}

static void test_parse_stats(void)
{
	struct nl_msg *msg = new_msg(VMM_CMD_STATS_GET);
	struct vcpu_stats st;
	bool others_zero = true;

	put_u32(msg, VMM_A_VM_ID, 3);
	put_u32(msg, VMM_A_VCPU_ID, 1);
	put_u64(msg, VMM_A_VCPU_RUNS, 1200);
	put_u64(msg, VMM_A_VCPU_EXITS, 3456);
	put_exit(msg, VMM_A_VCPU_EXIT, 10, 100);
	put_exit(msg, VMM_A_VCPU_EXIT, 30, 1100);
	put_exit(msg, VMM_A_VCPU_USER_EXIT, VMM_EXIT_IO, 1100);
	put_exit(msg, VMM_A_VCPU_EXIT, 100, 3);		/* no name */
	put_exit(msg, VMM_A_VCPU_EXIT, 300, 2);		/* counts as 127 */
	put_exit(msg, VMM_A_VCPU_EXIT, 127, 1);
	put_exit(msg, VMM_A_VCPU_USER_EXIT, VMM_EXIT_HLT, 10);
	put_exit(msg, VMM_A_VCPU_USER_EXIT, 1000, 4);	/* counts as 63 */
	put_u64(msg, VMM_A_VCPU_EPT_VIOLATIONS, 12);
	put_u64(msg, VMM_A_VCPU_EPT_MMIO, 10);
	put_u64(msg, VMM_A_VCPU_ENTRY_FAILURES, 1);
	put_u64(msg, VMM_A_VCPU_EPT_PREFETCH, 9);
	tap_ok(!genl_parse_vcpu_stats(msg, &st) && st.vm_id == 3 &&
	       st.vcpu_id == 1 && st.runs == 1200 && st.exits == 3456 &&
	       st.ept_violations == 12 && st.ept_mmio == 10 &&
	       st.ept_prefetch == 9 &&
	       st.entry_failures == 1 && !st.has_guest_ns &&
	       st.guest_ns == 0 && !st.has_handler_ns && st.handler_ns == 0,
	       "parse vCPU stats: counters, no guest or handler time");
	for (unsigned int i = 0; i < VCPU_NR_EXIT_REASONS; i++)
		if (i != 10 && i != 30 && i != 100 && i != 127 &&
		    st.exit_count[i])
			others_zero = false;
	for (unsigned int i = 0; i < VCPU_NR_USER_EXITS; i++)
		if (i != VMM_EXIT_IO && i != VMM_EXIT_HLT && i != 63 &&
		    st.user_exit_count[i])
			others_zero = false;
	tap_ok(st.exit_count[10] == 100 && st.exit_count[30] == 1100 &&
	       st.exit_count[100] == 3 && st.exit_count[127] == 3 &&
	       st.user_exit_count[VMM_EXIT_IO] == 1100 &&
	       st.user_exit_count[VMM_EXIT_HLT] == 10 &&
	       st.user_exit_count[63] == 4 && others_zero,
	       "parse vCPU stats: every repeated nest, out-of-range reasons in the last slot");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_STATS_GET);
	put_u32(msg, VMM_A_VM_ID, 3);
	put_u32(msg, VMM_A_VCPU_ID, 0);
	put_u64(msg, VMM_A_VCPU_GUEST_NS, 0);
	put_u64(msg, VMM_A_VCPU_HANDLER_NS, 35200000);
	tap_ok(!genl_parse_vcpu_stats(msg, &st) && st.has_guest_ns &&
	       st.guest_ns == 0 && st.has_handler_ns &&
	       st.handler_ns == 35200000 && st.vcpu_id == 0,
	       "parse vCPU stats: guest time present (even 0), handler time");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_STATS_GET);
	put_u32(msg, VMM_A_VM_ID, 3);
	tap_ok(genl_parse_vcpu_stats(msg, &st) == -EINVAL,
	       "vCPU stats without VMM_A_VCPU_ID are refused");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_STATS_GET);
	put_u32(msg, VMM_A_VM_ID, 3);
	put_u32(msg, VMM_A_VCPU_ID, 0);
	{
		struct nlattr *nest = nla_nest_start(msg, VMM_A_VCPU_EXIT);

		put_u32(msg, VMM_A_EXIT_REASON, 10);
		nla_nest_end(msg, nest);
	}
	tap_ok(genl_parse_vcpu_stats(msg, &st) == -EINVAL,
	       "an exit nest without a count is refused");
	nlmsg_free(msg);
}

static void test_parse_event(void)
{
	struct nl_msg *msg = new_msg(VMM_CMD_EVENT);
	struct vm_event ev;

	put_u32(msg, VMM_A_EVENT_TYPE, VMM_EVENT_INTERNAL_ERROR);
	put_u64(msg, VMM_A_EVENT_TIME_NS, 1736085787123456789ULL);
	put_u32(msg, VMM_A_VM_ID, 2);
	put_u32(msg, VMM_A_VM_PID, 99);
	put_u32(msg, VMM_A_EVENT_VCPU_ID, 1);
	put_u32(msg, VMM_A_EVENT_EXIT_REASON, VMM_EXIT_INTERNAL_ERROR);
	put_u64(msg, VMM_A_EVENT_HW_REASON, 1);
	put_u64(msg, VMM_A_EVENT_RIP, 0xffffffff81000000ULL);
	tap_ok(!genl_parse_event(msg, &ev) &&
	       ev.type == VMM_EVENT_INTERNAL_ERROR && ev.has_time &&
	       ev.time_ns == 1736085787123456789ULL && ev.has_vm_id &&
	       ev.vm_id == 2 && ev.has_pid && ev.pid == 99 &&
	       ev.has_vcpu_id && ev.vcpu_id == 1 && ev.has_exit_reason &&
	       ev.exit_reason == VMM_EXIT_INTERNAL_ERROR &&
	       ev.has_hw_reason && ev.hw_reason == 1 && ev.has_rip &&
	       ev.rip == 0xffffffff81000000ULL,
	       "parse an event: every attribute");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_EVENT);
	put_u32(msg, VMM_A_EVENT_TYPE, VMM_EVENT_VM_DESTROYED);
	put_u32(msg, VMM_A_VM_ID, 2);
	tap_ok(!genl_parse_event(msg, &ev) && ev.has_vm_id && !ev.has_pid &&
	       !ev.has_vcpu_id && !ev.has_exit_reason && !ev.has_time &&
	       !ev.has_hw_reason && !ev.has_rip,
	       "parse an event: absent attributes are marked absent");
	nlmsg_free(msg);

	msg = new_msg(VMM_CMD_VM_GET);
	put_u32(msg, VMM_A_EVENT_TYPE, VMM_EVENT_VM_DESTROYED);
	tap_ok(genl_parse_event(msg, &ev) == -EINVAL,
	       "a message that is not VMM_CMD_EVENT is no event");
	nlmsg_free(msg);
}

/* Parse a NULL-terminated list of arguments after cmd. */
static struct genl_opts go;
static char err[256];

static int parse(unsigned int accept, const char *cmd, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)cmd;
	va_start(ap, cmd);
	for (a = va_arg(ap, const char *); a && argc < 15;
	     a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return genl_parse_args(argc, argv, accept, &go, err, sizeof(err));
}

#define STATS	(GENL_ARG_VM_ID | GENL_OPT_INTERVAL)
#define MONITOR	GENL_OPT_COUNT

static void test_args(void)
{
	tap_ok(parse(0, "list", NULL) == 0 && !go.json &&
	       parse(0, "list", "--json", NULL) == 0 && go.json,
	       "list [--json]");
	tap_ok(parse(STATS, "stats", NULL) == 0 && !go.vm_id && !go.interval &&
	       parse(STATS, "stats", "3", "-i", "0.5", "--json", NULL) == 0 &&
	       go.vm_id == 3 && near(go.interval, 0.5) && go.json &&
	       parse(STATS, "stats", "--interval=2", "12", NULL) == 0 &&
	       go.vm_id == 12 && near(go.interval, 2) && !go.json,
	       "stats [VM-ID] [-i SEC] [--json], in any order");
	tap_ok(parse(STATS, "stats", "-i", "0", NULL) == -1 &&
	       strstr(err, "--interval") &&
	       parse(STATS, "stats", "-i", "-1", NULL) == -1 &&
	       parse(STATS, "stats", "-i", "1s", NULL) == -1 &&
	       parse(STATS, "stats", "-i", "nan", NULL) == -1 &&
	       parse(STATS, "stats", "-i", NULL) == -1 &&
	       strstr(err, "needs a value"),
	       "stats: bad intervals refused");
	tap_diag("%s", err);
	tap_ok(parse(STATS, "stats", "0", NULL) == -1 && strstr(err, "VM-ID") &&
	       parse(STATS, "stats", "vm1", NULL) == -1 &&
	       parse(STATS, "stats", "4294967296", NULL) == -1 &&
	       parse(STATS, "stats", "1", "2", NULL) == -1 &&
	       strstr(err, "unexpected argument '2'"),
	       "stats: bad VM-IDs, two VM-IDs refused");
	tap_ok(parse(MONITOR, "monitor", "--count", "5", "--json", NULL) == 0 &&
	       go.count == 5 && go.json &&
	       parse(MONITOR, "monitor", "--count", "0", NULL) == -1 &&
	       parse(MONITOR, "monitor", "3", NULL) == -1 &&
	       parse(MONITOR, "monitor", "-i", "1", NULL) == -1 &&
	       strstr(err, "--interval does not apply to monitor"),
	       "monitor [--json] [--count N]; stats' options refused");
	tap_ok(parse(0, "list", "--count", "3", NULL) == -1 &&
	       strstr(err, "--count does not apply to list") &&
	       parse(0, "list", "--frob", NULL) == -1 &&
	       strstr(err, "unknown option '--frob'") &&
	       parse(0, "list", "-h", NULL) == 1 &&
	       parse(STATS, "stats", "1", "--help", NULL) == 1,
	       "unknown and misplaced options, --help");
}

/* Run fn with stderr going to a file; return what it printed. */
static char stderr_text[1024];

static int with_stderr(int (*fn)(void *), void *arg)
{
	char path[] = "/tmp/vmmctl_genl_test.XXXXXX";
	int fd = mkstemp(path), saved, ret;
	ssize_t n;

	TEST_ASSERT(fd >= 0, "mkstemp");
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	ret = fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, stderr_text, sizeof(stderr_text) - 1, 0);
	stderr_text[n > 0 ? n : 0] = '\0';
	close(fd);
	return ret;
}

static int open_vmm(void *arg)
{
	return vmm_genl_open(arg);
}

static int count_msg(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(int *)arg)++;
	return NL_OK;
}

static int perror_notfound(void *arg)
{
	vmm_genl_perror(arg, "looking", -NLE_OBJ_NOTFOUND);
	return 0;
}

static void test_transport(void)
{
	struct vmm_genl g;
	int ret, n = 0;

	ret = with_stderr(open_vmm, &g);
	if (ret == 0) {
		vmm_genl_close(&g);
		tap_skip("the vmm family is registered on this host");
	} else {
		tap_ok(ret == -1 && !strcmp(stderr_text,
			"vmmctl: the vmm module is not loaded (no generic netlink family \"vmm\")\n"),
		       "no vmm family: the module is not loaded, says vmmctl");
	}

	/*
	 * The request plumbing against nlctrl, which every kernel has: a
	 * dump of the families, and a lookup of a family that does not
	 * exist (attribute 2, VMM_A_VM_ID here, is CTRL_ATTR_FAMILY_NAME
	 * there: the u32 1 reads as the name "\1").
	 */
	memset(&g, 0, sizeof(g));
	g.sk = nl_socket_alloc();
	if (!g.sk || genl_connect(g.sk) < 0) {
		vmm_genl_close(&g);
		tap_skip("no generic netlink socket here");
		tap_skip("no generic netlink socket here");
		tap_skip("no generic netlink socket here");
		return;
	}
	g.family = GENL_ID_CTRL;
	ret = vmm_genl_dump(&g, CTRL_CMD_GETFAMILY, 0, count_msg, NULL, &n);
	tap_ok(ret == 0 && n >= 1 && g.sys_err == 0,
	       "a dump: %d replies, until NLMSG_DONE", n);
	n = 0;
	ret = vmm_genl_request(&g, CTRL_CMD_GETFAMILY, false, 1, count_msg, &n);
	tap_ok(ret == -NLE_OBJ_NOTFOUND && g.sys_err == ENOENT && n == 0,
	       "a request the kernel refuses: %s, errno %d", nl_geterror(ret),
	       g.sys_err);
	with_stderr(perror_notfound, &g);
	tap_ok(!strcmp(stderr_text, "vmmctl: looking: Object not found (No such file or directory)\n"),
	       "errors say libnl's text and the errno's");
	vmm_genl_close(&g);
}

int main(void)
{
	tap_plan(46);
	test_human();
	test_names();
	test_json_string();
	test_list();
	test_stats();
	test_events();
	test_parse_vm();
	test_parse_stats();
	test_parse_event();
	test_args();
	test_transport();
	free(out_buf);
	tap_exit();
}
