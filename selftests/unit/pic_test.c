// SPDX-License-Identifier: GPL-2.0
/*
 * pic_test: libvmm's 8259A pair on a port bus, programmed the way Linux's
 * i8259 driver does it (masks, ICW1-ICW4, IMR read-back probe) and then
 * driven through its input lines: edge and level delivery, fully nested
 * priorities, the cascade on IR2, specific and non-specific EOI, spurious
 * IR7, ELCR, AEOI, rotation, poll mode, special mask mode, IRR/ISR reads,
 * masking, the notify callback and the acknowledge counters.
 */
#include <stdlib.h>

#include "test_util.h"

#define M_CMD	0x20
#define M_IMR	0x21
#define S_CMD	0xa0
#define S_IMR	0xa1
#define ELCR_M	0x4d0
#define ELCR_S	0x4d1

#define EOI		0x20
#define READ_IRR	0x0a
#define READ_ISR	0x0b
#define POLL		0x0c

static struct vmm_bus *bus;
static struct vmm_pic *pic;
static int notified;

static uint8_t in8(uint16_t port)
{
	return bus_in8(bus, port);
}

static void out8(uint16_t port, uint8_t v)
{
	bus_out8(bus, port, v);
}

static void on_notify(void *opaque)
{
	(*(int *)opaque)++;
}

/* Read IRR or ISR of the chip at cmd, leaving IRR selected. */
static uint8_t read_reg(uint16_t cmd, uint8_t sel)
{
	uint8_t v;

	out8(cmd, sel);
	v = in8(cmd);
	out8(cmd, READ_IRR);
	return v;
}

/* Linux's init_8259A with auto_eoi = 0 (or 1), then all lines unmasked. */
static void linux_init(int auto_eoi)
{
	out8(M_IMR, 0xff);
	out8(S_IMR, 0xff);
	out8(M_CMD, 0x11);		/* ICW1: edge, cascade, ICW4 */
	out8(M_IMR, 0x30);		/* ICW2: vectors 0x30-0x37 */
	out8(M_IMR, 0x04);		/* ICW3: slave on IR2 */
	out8(M_IMR, auto_eoi ? 0x03 : 0x01);
	out8(S_CMD, 0x11);
	out8(S_IMR, 0x38);
	out8(S_IMR, 0x02);		/* ICW3: slave ID 2 */
	out8(S_IMR, 0x01);
	out8(M_IMR, 0x00);
	out8(S_IMR, 0x00);
}

static void all_low(void)
{
	for (unsigned int i = 0; i < 16; i++)
		vmm_pic_set_irq(pic, i, 0);
}

static void pulse(unsigned int irq)
{
	vmm_pic_set_irq(pic, irq, 1);
	vmm_pic_set_irq(pic, irq, 0);
}

static void test_init(void)
{
	uint8_t a, b, c, d;

	out8(M_IMR, 0xff);
	out8(S_IMR, 0xff);
	a = in8(M_IMR);
	b = in8(S_IMR);
	out8(M_CMD, 0x11);
	out8(M_IMR, 0x30);
	out8(M_IMR, 0x04);
	out8(M_IMR, 0x01);
	out8(S_CMD, 0x11);
	out8(S_IMR, 0x38);
	out8(S_IMR, 0x02);
	out8(S_IMR, 0x01);
	c = in8(M_IMR);
	d = in8(S_IMR);
	tap_ok(a == 0xff && b == 0xff && c == 0x00 && d == 0x00,
	       "init: 0xff masks read back, ICW1 clears IMR (%#x %#x %#x %#x)",
	       a, b, c, d);

	/* probe_8259A: slave all masked, master all but the cascade. */
	out8(S_IMR, 0xff);
	out8(M_IMR, 0xfb);
	a = in8(M_IMR);
	b = in8(S_IMR);
	out8(M_IMR, 0x5a);
	c = in8(M_IMR);
	tap_ok(a == 0xfb && b == 0xff && c == 0x5a,
	       "IMR reads back exactly (%#x %#x %#x)", a, b, c);
	tap_ok(!vmm_pic_output(pic) && in8(M_CMD) == 0 && in8(S_CMD) == 0,
	       "after init: no output, IRR reads 0 on both chips");
}

static void test_edge_irq0(void)
{
	int vec, out_after_ack, again;

	linux_init(0);
	vmm_pic_set_irq(pic, 0, 1);
	tap_ok(vmm_pic_output(pic), "IRQ 0 rising edge raises the output");
	vec = vmm_pic_ack(pic);
	out_after_ack = vmm_pic_output(pic);
	tap_ok(vec == 0x30 && !out_after_ack &&
	       read_reg(M_CMD, READ_ISR) == 0x01 &&
	       read_reg(M_CMD, READ_IRR) == 0x00,
	       "IRQ 0 acked as vector 0x30, in service, latch consumed (vec %#x)",
	       vec);

	/* Still high: no new edge, nothing requested. */
	vmm_pic_set_irq(pic, 0, 1);
	again = vmm_pic_output(pic);
	vmm_pic_set_irq(pic, 0, 0);
	vmm_pic_set_irq(pic, 0, 1);	/* a new edge, same level in service */
	vmm_pic_set_irq(pic, 3, 1);	/* a lower priority */
	tap_ok(!again && !vmm_pic_output(pic) &&
	       read_reg(M_CMD, READ_IRR) == 0x09,
	       "IRQ 0 in service holds back IRQ 0 and IRQ 3 (requested in IRR)");
	out8(M_CMD, EOI);
	tap_ok(vmm_pic_output(pic) && vmm_pic_ack(pic) == 0x30,
	       "after EOI, IRQ 0 again before IRQ 3");
	out8(M_CMD, EOI);
	vec = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
	tap_ok(vec == 0x33 && !vmm_pic_output(pic) &&
	       read_reg(M_CMD, READ_ISR) == 0,
	       "then IRQ 3 (vec %#x), and nothing once it has its EOI", vec);

	/* ICW1 resets the edge sense: a line held high needs a new edge. */
	vmm_pic_set_irq(pic, 6, 1);
	linux_init(0);
	tap_ok(!vmm_pic_output(pic) && read_reg(M_CMD, READ_IRR) == 0,
	       "ICW1 clears an edge latched before it");
	all_low();
}

static void test_nesting(void)
{
	int v1, v2;

	linux_init(0);
	pulse(4);
	vmm_pic_set_irq(pic, 4, 1);
	v1 = vmm_pic_ack(pic);
	vmm_pic_set_irq(pic, 1, 1);
	tap_ok(v1 == 0x34 && vmm_pic_output(pic),
	       "IRQ 1 interrupts IRQ 4 in service");
	v2 = vmm_pic_ack(pic);
	tap_ok(v2 == 0x31 && read_reg(M_CMD, READ_ISR) == 0x12,
	       "nested: vector 0x31, ISR 0x12");
	out8(M_CMD, EOI);
	tap_ok(read_reg(M_CMD, READ_ISR) == 0x10,
	       "non-specific EOI ends the highest level in service (IRQ 1)");
	out8(M_CMD, EOI);

	/* Specific EOI ends a level that is not the highest. */
	vmm_pic_set_irq(pic, 3, 1);
	v1 = vmm_pic_ack(pic);
	vmm_pic_set_irq(pic, 1, 0);
	vmm_pic_set_irq(pic, 1, 1);
	v2 = vmm_pic_ack(pic);
	out8(M_CMD, 0x60 | 3);
	tap_ok(v1 == 0x33 && v2 == 0x31 &&
	       read_reg(M_CMD, READ_ISR) == 0x02,
	       "specific EOI 3 leaves IRQ 1 in service");
	out8(M_CMD, 0x60 | 1);
	tap_ok(read_reg(M_CMD, READ_ISR) == 0, "specific EOI 1 ends it");
	all_low();
}

static void test_slave(void)
{
	int v1, out12, v2;

	linux_init(0);
	vmm_pic_set_irq(pic, 8, 1);
	tap_ok(vmm_pic_output(pic) && read_reg(M_CMD, READ_IRR) == 0x04,
	       "IRQ 8 requests master IR2");
	v1 = vmm_pic_ack(pic);
	tap_ok(v1 == 0x38 && read_reg(M_CMD, READ_ISR) == 0x04 &&
	       read_reg(S_CMD, READ_ISR) == 0x01 && !vmm_pic_output(pic),
	       "IRQ 8 acked: vector 0x38, master IR2 and slave IR0 in service");
	vmm_pic_set_irq(pic, 12, 1);
	out12 = vmm_pic_output(pic);
	out8(S_CMD, EOI);
	tap_ok(!out12 && !vmm_pic_output(pic),
	       "IRQ 12 waits for the EOI of both chips");
	out8(M_CMD, EOI);
	tap_ok(vmm_pic_output(pic), "EOI to slave and master: IRQ 12 due");
	v2 = vmm_pic_ack(pic);
	out8(S_CMD, 0x60 | 4);
	out8(M_CMD, 0x60 | 2);
	tap_ok(v2 == 0x3c && read_reg(M_CMD, READ_ISR) == 0 &&
	       read_reg(S_CMD, READ_ISR) == 0,
	       "IRQ 12 acked as 0x3c, specific EOIs clear both (vec %#x)", v2);

	/* A master line above IR2 interrupts a slave line in service. */
	vmm_pic_set_irq(pic, 8, 0);
	vmm_pic_set_irq(pic, 8, 1);
	v1 = vmm_pic_ack(pic);
	vmm_pic_set_irq(pic, 1, 1);
	v2 = vmm_pic_ack(pic);
	tap_ok(v1 == 0x38 && v2 == 0x31, "IRQ 1 nests over IRQ 8 in service");
	out8(M_CMD, EOI);
	out8(S_CMD, EOI);
	out8(M_CMD, EOI);
	all_low();
}

static void test_spurious(void)
{
	uint64_t n5 = vmm_pic_ack_count(pic, 5), n7 = vmm_pic_ack_count(pic, 7);
	int was, vec;

	linux_init(0);
	vmm_pic_set_irq(pic, 5, 1);
	was = vmm_pic_output(pic);
	vmm_pic_set_irq(pic, 5, 0);
	tap_ok(was && !vmm_pic_output(pic),
	       "an edge request goes away when its line drops");
	vec = vmm_pic_ack(pic);
	tap_ok(vec == 0x37 && read_reg(M_CMD, READ_ISR) == 0 &&
	       vmm_pic_ack_count(pic, 5) == n5 &&
	       vmm_pic_ack_count(pic, 7) == n7,
	       "ack then gives spurious IR7 (%#x), nothing in service or counted",
	       vec);
	all_low();
}

static void test_level(void)
{
	uint8_t em, es;
	int v1, v2;

	linux_init(0);
	out8(ELCR_M, 0xff);
	out8(ELCR_S, 0xff);
	em = in8(ELCR_M);
	es = in8(ELCR_S);
	tap_ok(em == 0xf8 && es == 0xde,
	       "ELCR: IRQ 0, 1, 2, 8, 13 stay edge (%#x %#x)", em, es);
	out8(ELCR_M, 0x20);		/* IRQ 5 level */
	out8(ELCR_S, 0x04);		/* IRQ 10 level */
	tap_ok(in8(ELCR_M) == 0x20 && in8(ELCR_S) == 0x04,
	       "ELCR reads back");

	vmm_pic_set_irq(pic, 5, 1);
	v1 = vmm_pic_ack(pic);
	tap_ok(v1 == 0x35 && read_reg(M_CMD, READ_IRR) == 0x20,
	       "level IRQ 5: IRR stays set after the ack");
	out8(M_CMD, EOI);
	tap_ok(vmm_pic_output(pic) && vmm_pic_ack(pic) == 0x35,
	       "level IRQ 5 still high: requested again after EOI");
	vmm_pic_set_irq(pic, 5, 0);
	out8(M_CMD, EOI);
	tap_ok(!vmm_pic_output(pic) && read_reg(M_CMD, READ_IRR) == 0,
	       "level IRQ 5 low: no request");

	vmm_pic_set_irq(pic, 10, 1);
	v1 = vmm_pic_ack(pic);
	out8(S_CMD, EOI);
	out8(M_CMD, EOI);
	v2 = vmm_pic_ack(pic);
	out8(S_CMD, EOI);
	out8(M_CMD, EOI);
	vmm_pic_set_irq(pic, 10, 0);
	tap_ok(v1 == 0x3a && v2 == 0x3a && !vmm_pic_output(pic),
	       "level IRQ 10 through the slave, twice while high");

	/* ICW1.LTIM makes every line of the chip level triggered. */
	out8(ELCR_M, 0);
	out8(ELCR_S, 0);
	out8(M_CMD, 0x19);
	out8(M_IMR, 0x30);
	out8(M_IMR, 0x04);
	out8(M_IMR, 0x01);
	vmm_pic_set_irq(pic, 1, 1);
	v1 = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
	tap_ok(v1 == 0x31 && vmm_pic_output(pic),
	       "LTIM: IRQ 1 level triggered");
	all_low();
}

static void test_aeoi(void)
{
	int v1, v2, v3;

	linux_init(1);
	pulse(3);
	vmm_pic_set_irq(pic, 3, 1);
	v1 = vmm_pic_ack(pic);
	tap_ok(v1 == 0x33 && read_reg(M_CMD, READ_ISR) == 0,
	       "AEOI: nothing stays in service");
	vmm_pic_set_irq(pic, 4, 1);
	vmm_pic_set_irq(pic, 0, 1);
	out8(M_CMD, 0x80);		/* rotate in AEOI set */
	v1 = vmm_pic_ack(pic);		/* IRQ 0, now lowest */
	vmm_pic_set_irq(pic, 0, 0);
	vmm_pic_set_irq(pic, 0, 1);
	v2 = vmm_pic_ack(pic);		/* IRQ 4 before IRQ 0 */
	v3 = vmm_pic_ack(pic);
	tap_ok(v1 == 0x30 && v2 == 0x34 && v3 == 0x30,
	       "rotate in AEOI: the acked line goes lowest (%#x %#x %#x)",
	       v1, v2, v3);
	out8(M_CMD, 0x00);		/* rotate in AEOI clear */
	all_low();
}

/* Raise two master lines at once; the vectors in the order delivered. */
static void race(unsigned int a, unsigned int b, int *first, int *second)
{
	vmm_pic_set_irq(pic, a, 1);
	vmm_pic_set_irq(pic, b, 1);
	*first = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
	*second = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
}

static void test_rotation(void)
{
	int v1, v2, v3;

	linux_init(0);
	race(7, 0, &v1, &v2);
	tap_ok(v1 == 0x30 && v2 == 0x37,
	       "after init IRQ 0 is highest, IRQ 7 lowest (%#x %#x)", v1, v2);
	all_low();

	vmm_pic_set_irq(pic, 1, 1);
	vmm_pic_ack(pic);
	out8(M_CMD, 0xa0);		/* rotate on non-specific EOI */
	race(0, 3, &v1, &v2);
	tap_ok(v1 == 0x33 && v2 == 0x30,
	       "rotate on EOI of IRQ 1: IRQ 3 before IRQ 0 (%#x %#x)", v1, v2);

	out8(M_CMD, 0xc0 | 4);		/* set priority: IRQ 4 lowest */
	pulse(3);
	vmm_pic_set_irq(pic, 3, 1);
	pulse(6);
	vmm_pic_set_irq(pic, 6, 1);
	v1 = vmm_pic_ack(pic);
	out8(M_CMD, 0xe0 | 7);		/* rotate on specific EOI 7 (none) */
	vmm_pic_set_irq(pic, 0, 0);
	vmm_pic_set_irq(pic, 0, 1);
	v2 = vmm_pic_ack(pic);		/* 0 now highest, above 6's ISR */
	out8(M_CMD, 0x60);
	out8(M_CMD, 0x66);
	v3 = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
	tap_ok(v1 == 0x36 && v2 == 0x30 && v3 == 0x33,
	       "set priority and rotate on specific EOI (%#x %#x %#x)",
	       v1, v2, v3);
	out8(M_CMD, 0xc7);		/* back to IRQ 0 highest */
	all_low();
}

static void test_poll_and_smm(void)
{
	uint8_t p1, p2, isr, irr;
	int vec;

	linux_init(0);
	vmm_pic_set_irq(pic, 3, 1);
	vmm_pic_set_irq(pic, 6, 1);
	irr = read_reg(M_CMD, READ_IRR);
	out8(M_CMD, POLL);
	p1 = in8(M_CMD);
	isr = read_reg(M_CMD, READ_ISR);
	tap_ok(irr == 0x48 && p1 == 0x83 && isr == 0x08,
	       "IRR 0x48; poll returns 0x83 and puts IRQ 3 in service");
	out8(M_CMD, POLL);
	p2 = in8(M_CMD);
	tap_ok(p2 == 0x00 && in8(M_CMD) == 0x40,
	       "poll with IRQ 6 held back: 0; the next read is IRR again");

	/* Special mask mode: mask IRQ 3 in service, IRQ 6 gets through. */
	out8(M_IMR, 0x08);
	out8(M_CMD, 0x68);
	vec = vmm_pic_output(pic) ? vmm_pic_ack(pic) : -1;
	tap_ok(vec == 0x36, "special mask mode enables lower levels (%#x)",
	       vec);
	out8(M_CMD, 0x66);
	out8(M_CMD, 0x48);		/* special mask mode off */
	out8(M_IMR, 0x00);
	vmm_pic_set_irq(pic, 5, 1);
	tap_ok(!vmm_pic_output(pic),
	       "special mask mode off: IRQ 3 in service blocks IRQ 5 again");
	out8(M_CMD, 0x63);
	vec = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
	tap_ok(vec == 0x35, "and IRQ 5 comes after its EOI");

	vmm_pic_set_irq(pic, 9, 1);
	out8(S_CMD, POLL);
	p1 = in8(S_CMD);
	tap_ok(p1 == 0x81 && read_reg(S_CMD, READ_ISR) == 0x02,
	       "slave poll: 0x81, IRQ 9 in service on the slave");
	out8(S_CMD, EOI);
	all_low();
}

static void test_mask_notify_counts(void)
{
	uint64_t n4 = vmm_pic_ack_count(pic, 4), n12 = vmm_pic_ack_count(pic, 12);
	int before, masked_out, vec;
	uint8_t two[2] = { 0, 0 };

	linux_init(0);
	out8(M_IMR, 0x10);
	notified = 0;
	vmm_pic_set_irq(pic, 4, 1);
	masked_out = vmm_pic_output(pic);
	tap_ok(!masked_out && notified == 0 &&
	       read_reg(M_CMD, READ_IRR) == 0x10,
	       "masked IRQ 4: latched in IRR, no output, no notify");
	vmm_pic_set_irq(pic, 4, 0);
	vmm_pic_set_irq(pic, 4, 1);
	before = notified;
	out8(M_IMR, 0x00);
	tap_ok(vmm_pic_output(pic) && notified > before,
	       "unmasking raises the output and notifies");
	vec = vmm_pic_ack(pic);
	out8(M_CMD, EOI);
	tap_ok(vec == 0x34 && vmm_pic_ack_count(pic, 4) == n4 + 1,
	       "the latched edge is delivered once, counted once");

	before = notified;
	vmm_pic_set_irq(pic, 12, 1);
	tap_ok(notified == before + 1, "a slave request notifies once");
	vmm_pic_ack(pic);
	out8(S_CMD, EOI);
	out8(M_CMD, EOI);
	vmm_pic_set_irq(pic, 12, 0);
	vmm_pic_set_irq(pic, 12, 1);
	vmm_pic_ack(pic);
	out8(S_CMD, EOI);
	out8(M_CMD, EOI);
	tap_ok(vmm_pic_ack_count(pic, 12) == n12 + 2 &&
	       vmm_pic_ack_count(pic, 2) == 0,
	       "IRQ 12 counted twice, the cascade line never");

	/* A 2-byte read of 0x20 gives the even port then the odd one. */
	out8(M_IMR, 0xa5);
	vmm_pic_set_irq(pic, 5, 1);
	TEST_ASSERT_OK(vmm_bus_access(bus, NULL, M_CMD, two, 2, 0));
	tap_ok(two[0] == 0x20 && two[1] == 0xa5,
	       "2-byte read: IRR then IMR (%#x %#x)", two[0], two[1]);
	all_low();
}

int main(void)
{
	tap_plan(48);
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	TEST_ASSERT_OK(vmm_pic_create(&pic));
	TEST_ASSERT_OK(vmm_pic_attach(pic, bus));
	vmm_pic_set_notify(pic, on_notify, &notified);
	tap_ok(vmm_bus_count(bus) == 3 && !vmm_pic_output(pic) &&
	       in8(M_IMR) == 0xff && in8(S_IMR) == 0xff,
	       "power-on: three ranges, no output, every line masked");
	tap_ok(vmm_pic_attach(pic, bus) == -EEXIST && vmm_bus_count(bus) == 3,
	       "a second attach fails with -EEXIST and leaves the bus as it was");

	test_init();
	test_edge_irq0();
	test_nesting();
	test_slave();
	test_spurious();
	test_level();
	test_aeoi();
	test_rotation();
	test_poll_and_smm();
	test_mask_notify_counts();

	vmm_bus_free(bus);
	vmm_pic_free(pic);
	tap_exit();
}
