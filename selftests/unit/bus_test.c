// SPDX-License-Identifier: GPL-2.0
/*
 * bus_test: libvmm's device handler registries without a hypervisor:
 * registration (overlaps refused with -EEXIST, bounds), lookup by binary
 * search against a linear reference, the unhandled-access policy, and
 * the dispatch of port I/O (string I/O item by item) and MMIO exits from
 * hand-built run structures.
 */
#include <stdlib.h>

#include "test_util.h"

struct rec {
	int calls;
	uint64_t last_addr, last_off;
	uint32_t last_len;
	int last_write;
	uint8_t seen[64];
	int nseen;
	int ret;
	uint8_t fill;
};

static int rec_io(void *opaque, const struct vmm_access *a)
{
	struct rec *r = opaque;

	r->calls++;
	r->last_addr = a->addr;
	r->last_off = a->offset;
	r->last_len = a->len;
	r->last_write = a->is_write;
	if (a->is_write) {
		for (uint32_t i = 0; i < a->len && r->nseen < 64; i++)
			r->seen[r->nseen++] = a->data[i];
	} else {
		for (uint32_t i = 0; i < a->len; i++)
			a->data[i] = (uint8_t)(r->fill + r->calls - 1);
	}
	return r->ret;
}

static int tag_io(void *opaque, const struct vmm_access *a)
{
	/* Reads return the registration's tag in every byte. */
	if (!a->is_write)
		memset(a->data, (int)(uintptr_t)opaque, a->len);
	return 0;
}

static void test_register(void)
{
	struct vmm_bus *pio, *mmio;
	struct rec r = { 0 };

	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &pio));
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_MMIO, &mmio));
	tap_ok(vmm_bus_create((enum vmm_bus_kind)7, &(struct vmm_bus *){ 0 }) == -EINVAL,
	       "bus_create: unknown kind refused");

	tap_ok(vmm_bus_register(pio, 0x3f8, 8, rec_io, &r) == 0,
	       "register 0x3f8+8");
	tap_ok(vmm_bus_register(pio, 0x3f8, 8, rec_io, &r) == -EEXIST,
	       "same range again: -EEXIST");
	tap_ok(vmm_bus_register(pio, 0x3f0, 9, rec_io, &r) == -EEXIST,
	       "range ending inside: -EEXIST");
	tap_ok(vmm_bus_register(pio, 0x3ff, 4, rec_io, &r) == -EEXIST,
	       "range starting on the last port: -EEXIST");
	tap_ok(vmm_bus_register(pio, 0x3f0, 0x20, rec_io, &r) == -EEXIST,
	       "range covering it: -EEXIST");
	tap_ok(vmm_bus_register(pio, 0x3fa, 1, rec_io, &r) == -EEXIST,
	       "range inside it: -EEXIST");
	tap_ok(vmm_bus_register(pio, 0x3f0, 8, rec_io, &r) == 0 &&
	       vmm_bus_register(pio, 0x400, 1, rec_io, &r) == 0,
	       "adjacent ranges on both sides accepted");
	tap_ok(vmm_bus_register(pio, 0x10, 0, rec_io, &r) == -EINVAL,
	       "length 0: -EINVAL");
	tap_ok(vmm_bus_register(pio, 0xfff0, 0x20, rec_io, &r) == -EINVAL,
	       "port range past 0xffff: -EINVAL");
	tap_ok(vmm_bus_register(pio, 0x20, 1, NULL, &r) == -EINVAL,
	       "no handler: -EINVAL");
	tap_ok(vmm_bus_register(mmio, UINT64_MAX - 0xf, 0x20, rec_io, &r) == -EINVAL,
	       "MMIO range wrapping: -EINVAL");
	tap_ok(vmm_bus_register(mmio, UINT64_MAX - 0xf, 0x10, rec_io, &r) == 0,
	       "MMIO range ending at the top of the address space");
	tap_ok(vmm_bus_count(pio) == 3, "three registrations");
	tap_ok(vmm_bus_unregister(pio, 0x3f1) == -ENOENT &&
	       vmm_bus_unregister(pio, 0x3f0) == 0 && vmm_bus_count(pio) == 2 &&
	       !vmm_bus_handled(pio, 0x3f0) && vmm_bus_handled(pio, 0x3f8),
	       "unregister by base only");
	vmm_bus_free(pio);
	vmm_bus_free(mmio);
}

/* Many random ranges: binary-search lookup agrees with a linear scan. */
static void test_lookup(void)
{
	enum { N = 400 };
	struct { uint64_t base, len; } ref[N];
	struct vmm_bus *bus;
	unsigned int n = 0, refused = 0, bad = 0;
	uint64_t seed = 12345;

	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_MMIO, &bus));
	for (int i = 0; i < 4 * N && n < N; i++) {
		uint64_t base, len;
		bool overlap = false;
		int ret;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		base = (seed >> 20) % 0x100000;
		len = 1 + (seed >> 50) % 64;
		for (unsigned int j = 0; j < n; j++)
			if (base < ref[j].base + ref[j].len &&
			    ref[j].base < base + len)
				overlap = true;
		ret = vmm_bus_register(bus, base, len, tag_io,
				       (void *)(uintptr_t)(n % 200 + 1));
		if (overlap) {
			refused += ret == -EEXIST;
			bad += ret != -EEXIST;
			continue;
		}
		bad += ret != 0;
		ref[n].base = base;
		ref[n].len = len;
		n++;
	}
	tap_ok(!bad && refused > 0,
	       "%u ranges registered, %u overlapping ones refused with -EEXIST",
	       n, refused);

	bad = 0;
	for (uint64_t a = 0; a < 0x100000 + 64; a += 7) {
		int want = 0;
		uint8_t v;

		for (unsigned int j = 0; j < n; j++)
			if (a >= ref[j].base && a < ref[j].base + ref[j].len)
				want = (int)(j % 200 + 1);
		vmm_bus_access(bus, NULL, a, &v, 1, 0);
		if ((want && v != want) || (!want && v != 0xff))
			bad++;
	}
	tap_ok(!bad, "lookup matches a linear scan at every 7th address");
	vmm_bus_free(bus);
}

static void test_policy(void)
{
	struct vmm_bus *bus;
	uint8_t d[8];
	char *logbuf = NULL;
	size_t logsz = 0;
	FILE *log = open_memstream(&logbuf, &logsz);

	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	memset(d, 0, sizeof(d));
	tap_ok(vmm_bus_access(bus, NULL, 0x80, d, 4, 0) == 0 &&
	       d[0] == 0xff && d[3] == 0xff && d[4] == 0,
	       "unhandled read: all ones, only len bytes");
	d[0] = 0x12;
	tap_ok(vmm_bus_access(bus, NULL, 0x80, d, 1, 1) == 0,
	       "unhandled write: dropped");
	vmm_bus_set_log(bus, log);
	vmm_bus_access(bus, NULL, 0x80, d, 1, 1);
	vmm_bus_access(bus, NULL, 0x61, d, 2, 0);
	fclose(log);
	tap_ok(logbuf && strstr(logbuf, "unhandled port write 0x80 size 1 value 0x12") &&
	       strstr(logbuf, "unhandled port read 0x61 size 2"),
	       "unhandled accesses logged when asked");
	tap_diag("log: %s", logbuf ? logbuf : "(none)");
	free(logbuf);
	tap_ok(vmm_bus_access(bus, NULL, 0x80, d, 9, 0) == -EINVAL,
	       "access of 9 bytes refused");
	vmm_bus_free(bus);
}

static void test_dispatch(void)
{
	struct vmm_bus *pio, *mmio;
	struct rec r = { 0 }, m = { 0 };
	size_t size = 4096;
	struct vmm_run *run = calloc(1, size);
	uint8_t *data = (uint8_t *)run + 1024;

	TEST_ASSERT(run, "calloc");
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &pio));
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_MMIO, &mmio));
	TEST_ASSERT_OK(vmm_bus_register(pio, 0x3f8, 8, rec_io, &r));
	TEST_ASSERT_OK(vmm_bus_register(mmio, 0xd0000000, 0x1000, rec_io, &m));

	/* rep outsw of 5 words. */
	run->exit_reason = VMM_EXIT_IO;
	run->io.direction = VMM_EXIT_IO_OUT;
	run->io.size = 2;
	run->io.port = 0x3f9;
	run->io.count = 5;
	run->io.data_offset = 1024;
	for (int i = 0; i < 10; i++)
		data[i] = (uint8_t)(0x10 + i);
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == 0 &&
	       r.calls == 5 && r.nseen == 10 && r.seen[0] == 0x10 &&
	       r.seen[9] == 0x19 && r.last_len == 2 && r.last_off == 1 &&
	       r.last_write,
	       "string OUT: 5 items of 2 bytes dispatched in order");

	/* rep insb of 3 bytes: each item filled by its own call. */
	r = (struct rec){ .fill = 0x40 };
	run->io.direction = VMM_EXIT_IO_IN;
	run->io.size = 1;
	run->io.count = 3;
	run->io.port = 0x3f8;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == 0 &&
	       r.calls == 3 && data[0] == 0x40 && data[1] == 0x41 &&
	       data[2] == 0x42,
	       "string IN: 3 items filled one by one");

	run->io.port = 0x60;
	run->io.count = 2;
	run->io.size = 4;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == 0 &&
	       data[0] == 0xff && data[7] == 0xff,
	       "IN from a port without handler: all ones");

	run->io.size = 3;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == -EINVAL,
	       "IO size 3: -EINVAL");
	run->io.size = 4;
	run->io.count = 1000;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == -EINVAL,
	       "IO data past the run structure: -EINVAL");

	r = (struct rec){ .ret = -EIO };
	run->io.port = 0x3f8;
	run->io.count = 3;
	run->io.size = 1;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == -EIO &&
	       r.calls == 1,
	       "a handler error stops the dispatch and is returned");

	run->exit_reason = VMM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000010;
	run->mmio.len = 8;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == 0 &&
	       m.calls == 1 && m.last_off == 0x10 && m.last_len == 8 &&
	       m.last_write && m.seen[7] == 8,
	       "MMIO write of 8 bytes reaches the handler with its offset");
	m.fill = 0x77;
	run->mmio.is_write = 0;
	run->mmio.len = 4;
	memset(run->mmio.data, 0, 8);
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == 0 &&
	       run->mmio.data[0] == 0x78 && run->mmio.data[3] == 0x78 &&
	       run->mmio.data[4] == 0,
	       "MMIO read result left in run->mmio.data");
	run->mmio.phys_addr = 0xfee00000;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == 0 &&
	       run->mmio.data[0] == 0xff && run->mmio.data[3] == 0xff,
	       "MMIO read without handler: all ones");
	run->mmio.len = 0;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == -EINVAL,
	       "MMIO length 0: -EINVAL");
	run->exit_reason = VMM_EXIT_HLT;
	tap_ok(vmm_dispatch_exit(pio, mmio, NULL, run, size) == -ENOSYS,
	       "HLT is not for the buses: -ENOSYS");

	vmm_bus_free(pio);
	vmm_bus_free(mmio);
	free(run);
}

int main(void)
{
	tap_plan(15 + 2 + 4 + 11);
	test_register();
	test_lookup();
	test_policy();
	test_dispatch();
	tap_exit();
}
