// SPDX-License-Identifier: GPL-2.0
/*
 * pcmisc_test: libvmm's small PC ports on a port bus: port 0x80 takes
 * POST codes without a word, fast A20 in port 0x92 reads back and its
 * bit 0 resets, the i8042 answers Linux's probe (self-test, command byte
 * round trip, interface tests and enables, aux loop-back) and resets by
 * pulse and by output port, PCI mechanism 1's address register reads
 * back and its data window finds nothing.
 */
#include <stdlib.h>

#include "test_util.h"

static struct vmm_bus *bus;

/* One access of len (1 or 4) bytes; returns what a read gave. */
static uint32_t pio(uint16_t port, uint32_t len, int is_write, uint32_t v)
{
	TEST_ASSERT_OK(vmm_bus_access(bus, NULL, port, &v, len, is_write));
	return len == 4 ? v : v & 0xff;
}

#define in8(port)	((uint8_t)pio(port, 1, 0, 0))
#define out8(port, v)	pio(port, 1, 1, v)
#define in32(port)	pio(port, 4, 0, 0)
#define out32(port, v)	pio(port, 4, 1, v)

/* An i8042 command with its reply, as Linux's i8042_command does it:
 * input buffer empty, command, output buffer full, read. -1 if none. */
static int kbc_cmd(uint8_t cmd, int param)
{
	if (in8(0x64) & 0x02)
		return -2;
	out8(0x64, cmd);
	if (param >= 0)
		out8(0x60, (uint8_t)param);
	if (!(in8(0x64) & 0x01))
		return -1;
	return in8(0x60);
}

static void test_post_and_a20(struct vmm_pc_misc *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&buf, &len);
	uint16_t port = 0;

	TEST_ASSERT(log, "open_memstream");
	vmm_bus_set_log(bus, log);
	out8(0x80, 0x55);
	tap_ok(in8(0x80) == 0xff, "0x80: reads 0xff");
	out8(0x92, in8(0x92));
	fflush(log);
	tap_ok(len == 0, "0x80, 0x92: handled, nothing logged");
	vmm_bus_set_log(bus, NULL);
	fclose(log);
	free(buf);

	tap_ok(in8(0x92) == 0x02, "0x92: A20 enabled at power-on");
	out8(0x92, 0x00);
	tap_ok(in8(0x92) == 0x00, "0x92: A20 off reads back");
	out8(0x92, 0x02);
	tap_ok(in8(0x92) == 0x02 && vmm_pc_misc_resets(m, &port) == 0 &&
	       port == 0, "0x92: A20 on reads back, no reset so far");
	out8(0x92, 0x03);
	tap_ok(vmm_pc_misc_resets(m, &port) == 1 && port == 0x92 &&
	       in8(0x92) == 0x02,
	       "0x92 bit 0: reset from port 0x92, the bit does not stick");
}

static void test_i8042(struct vmm_pc_misc *m)
{
	uint16_t port = 0;
	uint8_t st = in8(0x64);
	int ctr;

	tap_ok((st & 0x17) == 0x14,
	       "status: system flag, not locked, buffers empty (0x%02x)", st);
	tap_ok(kbc_cmd(0xaa, -1) == 0x55, "0xaa self-test: 0x55");
	tap_ok(!(in8(0x64) & 0x01), "reading 0x60 empties the output buffer");
	tap_ok(kbc_cmd(0xab, -1) == 0x00 && kbc_cmd(0xa9, -1) == 0x00,
	       "0xab, 0xa9 interface tests: 0x00");
	ctr = kbc_cmd(0x20, -1);
	tap_ok(ctr == 0x65, "0x20: command byte 0x65 (0x%02x)", ctr);
	tap_ok(kbc_cmd(0x60, 0x70) == -1 && kbc_cmd(0x20, -1) == 0x70,
	       "0x60 writes the command byte, 0x20 reads it back");
	tap_ok(!(in8(0x64) & 0x04), "status bit 2 follows command byte bit 2");
	kbc_cmd(0x60, 0x65);
	kbc_cmd(0xa8, -1);
	tap_ok(!(kbc_cmd(0x20, -1) & 0x20), "0xa8 clears AUXDIS");
	kbc_cmd(0xa7, -1);
	tap_ok(kbc_cmd(0x20, -1) & 0x20, "0xa7 sets AUXDIS");
	kbc_cmd(0xad, -1);
	tap_ok(kbc_cmd(0x20, -1) == 0x75, "0xad sets KBDDIS");
	kbc_cmd(0xae, -1);
	tap_ok(kbc_cmd(0x20, -1) == 0x65, "0xae clears KBDDIS");
	out8(0x64, 0xd3);
	out8(0x60, 0x5a);
	st = in8(0x64);
	tap_ok((st & 0x21) == 0x21 && in8(0x60) == 0x5a,
	       "0xd3 loop-back: the byte comes back as aux data");
	out8(0x60, 0xf2);		/* to the keyboard: nobody answers */
	tap_ok(!(in8(0x64) & 0x01), "no keyboard: no reply");

	tap_ok(kbc_cmd(0xd0, -1) == 0x03, "0xd0: output port, reset high, A20");
	tap_ok(kbc_cmd(0xd1, 0x01) == -1 && kbc_cmd(0xd0, -1) == 0x01 &&
	       vmm_pc_misc_resets(m, NULL) == 1,
	       "0xd1 with bit 0 set: stored, no reset");
	kbc_cmd(0xff, -1);
	kbc_cmd(0xf1, -1);
	tap_ok(vmm_pc_misc_resets(m, NULL) == 1, "0xff, 0xf1 pulses: no reset");
	out8(0x64, 0xfe);
	tap_ok(vmm_pc_misc_resets(m, &port) == 2 && port == 0x64,
	       "0xfe: reset from port 0x64");
	out8(0x64, 0xd1);
	out8(0x60, 0x02);
	tap_ok(vmm_pc_misc_resets(m, &port) == 3 && port == 0x64,
	       "0xd1 with bit 0 clear: reset");
}

static void test_pci(struct vmm_pc_misc *m)
{
	uint16_t port = 0;
	uint32_t v;

	tap_ok(in32(0xcf8) == 0, "0xcf8: 0 at power-on");
	out32(0xcf8, 0x80000000);
	tap_ok(in32(0xcf8) == 0x80000000, "0xcf8: 0x80000000 reads back");
	out32(0xcf8, 0x80123457);
	tap_ok(in32(0xcf8) == 0x80123454, "0xcf8: bits 1:0 read as 0");
	v = in32(0xcfc);
	out32(0xcfc, 0);
	tap_ok(v == 0xffffffff && in32(0xcfc) == 0xffffffff &&
	       in8(0xcfe) == 0xff, "0xcfc: no device, all ones, writes dropped");
	out8(0xcf8, 0x00);
	out8(0xcfa, 0x00);
	tap_ok(in8(0xcf8) == 0xff && in8(0xcfa) == 0xff &&
	       in32(0xcf8) == 0x80123454,
	       "byte accesses are not the address register (no mechanism 2)");
	out8(0xcf9, 0x02);
	tap_ok(in8(0xcf9) == 0x02 && vmm_pc_misc_resets(m, NULL) == 3,
	       "0xcf9: bit 1 alone reads back, no reset");
	out8(0xcf9, 0x06);
	tap_ok(vmm_pc_misc_resets(m, &port) == 4 && port == 0xcf9,
	       "0xcf9 bit 2: reset");
}

static int nop_io(void *opaque, const struct vmm_access *acc)
{
	(void)opaque;
	(void)acc;
	return 0;
}

int main(void)
{
	struct vmm_pc_misc *m, *m2;
	struct vmm_bus *other;

	tap_plan(33);
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	TEST_ASSERT_OK(vmm_pc_misc_attach(bus, &m));
	tap_ok(vmm_bus_count(bus) == 5 && vmm_bus_handled(bus, 0xcff) &&
	       !vmm_bus_handled(bus, 0x61) && !vmm_bus_handled(bus, 0xd00),
	       "five ranges, not 0x61 (the PIT's)");

	test_post_and_a20(m);
	test_i8042(m);
	test_pci(m);

	/* A port taken: nothing stays registered. */
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &other));
	TEST_ASSERT_OK(vmm_bus_register(other, 0x92, 1, nop_io, NULL));
	tap_ok(vmm_pc_misc_attach(other, &m2) == -EEXIST &&
	       vmm_bus_count(other) == 1, "0x92 taken: -EEXIST, undone");
	vmm_bus_free(other);

	vmm_bus_free(bus);
	vmm_pc_misc_free(m);
	tap_exit();
}
