// SPDX-License-Identifier: GPL-2.0
/*
 * pit_test: libvmm's 8254 on a port bus with a fake clock moved by hand:
 * channel 0's interrupt line in modes 0, 2, 3 and 4 (levels, deadlines,
 * one edge per period, coalescing when the host is late), counter latch
 * and read-back, LSB-only, MSB-only and BCD access, channel 2 gated by
 * port 0x61 as Linux's TSC calibration uses it, the gate-triggered modes
 * 1 and 5, the refresh bit, and the notification of a new deadline.
 *
 * The fake clock starts at 0 with the PIT, so tick x of the part begins
 * at ns(x) = ceil(x * 1e9 / 1193182) and the clock time t is in tick
 * floor(t * 1193182 / 1e9).
 */
#include "test_util.h"

#define CH0	0x40
#define CH1	0x41
#define CH2	0x42
#define CTRL	0x43
#define PORT_B	0x61
#define IRQ	0

static struct vmm_bus *bus;
static struct vmm_pit *pit;
static uint64_t now;

/* What the interrupt line saw. */
static unsigned int irq_calls, irq_rises, bad_irq;
static int irq_level;
static unsigned int notifies;

static uint64_t fake_clock(void *opaque)
{
	(void)opaque;
	return now;
}

static void irq_fn(void *opaque, unsigned int irq, int level)
{
	if (opaque != &irq_calls || irq != IRQ)
		bad_irq++;
	irq_calls++;
	if (level && !irq_level)
		irq_rises++;
	irq_level = level;
}

static void notify_fn(void *opaque)
{
	if (opaque != &notifies)
		bad_irq++;
	notifies++;
}

static void irq_reset(void)
{
	irq_calls = 0;
	irq_rises = 0;
}

static uint64_t ns(uint64_t tick)
{
	return (uint64_t)(((unsigned __int128)tick * 1000000000ULL +
			   VMM_PIT_HZ - 1) / VMM_PIT_HZ);
}

static uint64_t tick_of(uint64_t t)
{
	return (uint64_t)((unsigned __int128)t * VMM_PIT_HZ / 1000000000ULL);
}

static uint8_t in8(uint16_t port)
{
	return bus_in8(bus, port);
}

static void out8(uint16_t port, uint8_t v)
{
	bus_out8(bus, port, v);
}

static void write16(uint16_t port, uint16_t v)
{
	out8(port, v & 0xff);
	out8(port, v >> 8);
}

static uint16_t read16(uint16_t port)
{
	uint16_t v = in8(port);

	return v | in8(port) << 8;
}

/* At clock time t, write control word cw and a count (LSB then MSB) to
 * counter port; returns the tick the count was loaded in. */
static uint64_t program(uint64_t t, uint8_t cw, uint16_t port, uint16_t count)
{
	now = t;
	out8(CTRL, cw);
	write16(port, count);
	return tick_of(t);
}

/* Read-back of counter ch's status alone. */
static uint8_t status(unsigned int ch)
{
	out8(CTRL, 0xe0 | 2 << ch);
	return in8(CH0 + ch);
}

static void test_power_on(void)
{
	vmm_pit_update(pit);
	tap_ok(vmm_pit_deadline(pit) == VMM_DEADLINE_NONE && irq_calls == 0,
	       "power on: no deadline, the line stays low");
}

/* Mode 2 at 1000 Hz for one second, updated at every deadline. */
static void test_mode2(void)
{
	uint64_t t0 = tick_of(now), d, prev = 0;
	unsigned int early = 0, updates = 0, calls;
	bool mono = true;

	notifies = 0;
	out8(CTRL, 0x34);
	write16(CH0, 1193);
	tap_ok(irq_calls == 1 && irq_level == 1 && notifies >= 1,
	       "mode 2: the control word raises OUT at once, notify ran");
	irq_reset();

	d = vmm_pit_deadline(pit);
	tap_ok(d == ns(t0 + 1192),
	       "mode 2: first deadline at the pulse (tick 1192): %llu",
	       (unsigned long long)d);
	while ((d = vmm_pit_deadline(pit)) <= 1000000000ULL) {
		if (d <= prev)
			mono = false;
		prev = d;
		now = d - 1;
		calls = irq_calls;
		vmm_pit_update(pit);
		if (irq_calls != calls)
			early++;
		now = d;
		vmm_pit_update(pit);
		updates++;
	}
	tap_ok(irq_rises == 1000 && irq_calls == 2000 && updates == 1000 &&
	       !early && mono,
	       "mode 2: 1000 edges in 1 s, none early (%u, %u calls, %u early)",
	       irq_rises, irq_calls, early);

	/* Host late by ten periods: one coalesced edge. */
	t0 = program(2000000000ULL, 0x34, CH0, 1193); /* tick 2386364 */
	irq_reset();
	now = ns(t0 + 10 * 1193 + 100);
	vmm_pit_update(pit);
	tap_ok(irq_calls == 2 && irq_rises == 1 && irq_level == 1,
	       "mode 2: ten missed periods give one edge (0 then 1)");
	tap_ok(vmm_pit_deadline(pit) == ns(t0 + 11 * 1193 - 1),
	       "mode 2: the next deadline is the next pulse");
	irq_reset();
	vmm_pit_update(pit);
	tap_ok(irq_calls == 0, "mode 2: a second update reports nothing");
}

static void test_mode3(void)
{
	uint64_t t0;
	bool ok = true;
	unsigned int i;

	/* Even count: 500 ticks high, 500 low. */
	t0 = program(3000000000ULL, 0x36, CH0, 1000);
	irq_reset();
	tap_ok(vmm_pit_deadline(pit) == ns(t0 + 500) &&
	       (status(0) & 0x80),
	       "mode 3: OUT high, deadline after half the period");
	now = ns(t0 + 500) - 1;
	vmm_pit_update(pit);
	ok = irq_calls == 0 && (status(0) & 0x80);
	now = ns(t0 + 500);
	vmm_pit_update(pit);
	ok = ok && irq_calls == 1 && irq_level == 0 && !(status(0) & 0x80) &&
	     vmm_pit_deadline(pit) == ns(t0 + 1000);
	now = ns(t0 + 1000);
	vmm_pit_update(pit);
	ok = ok && irq_calls == 2 && irq_level == 1 && (status(0) & 0x80) &&
	     vmm_pit_deadline(pit) == ns(t0 + 1500);
	tap_ok(ok, "mode 3, count 1000: low at 500, high at 1000");

	/* The count steps by two: 1000 - 2 * 100 after 100 ticks. */
	now = ns(t0 + 1100);
	out8(CTRL, 0x00);
	tap_ok(read16(CH0) == 800, "mode 3: the count goes down by two");

	/* Late by a whole period while low: one rising edge, ends low. */
	now = ns(t0 + 1600);
	vmm_pit_update(pit);
	irq_reset();
	now = ns(t0 + 2700);
	vmm_pit_update(pit);
	tap_ok(irq_calls == 2 && irq_rises == 1 && irq_level == 0,
	       "mode 3: a period missed while low gives 1 then 0");

	/* Odd count 5: three ticks high, two low. */
	t0 = program(4000000000ULL, 0x36, CH0, 5);
	vmm_pit_update(pit);
	irq_reset();
	ok = true;
	for (i = 0; i < 4; i++) {
		uint64_t want = t0 + 5 * (i / 2) + (i & 1 ? 5 : 3);

		if (vmm_pit_deadline(pit) != ns(want))
			ok = false;
		now = ns(want);
		vmm_pit_update(pit);
		if (irq_level != (int)(i & 1))
			ok = false;
	}
	tap_ok(ok && irq_calls == 4 && irq_rises == 2,
	       "mode 3, count 5: high 3 ticks, low 2, with their deadlines");
}

static void test_mode0(void)
{
	uint64_t t0;
	uint8_t s0, s1;

	now = 5000000000ULL;
	t0 = tick_of(now);
	out8(CTRL, 0x30);
	tap_ok(irq_level == 0 && vmm_pit_deadline(pit) == VMM_DEADLINE_NONE,
	       "mode 0: control word drops OUT, no deadline, no count");
	write16(CH0, 0x1000);
	irq_reset();
	s0 = status(0);
	tap_ok(vmm_pit_deadline(pit) == ns(t0 + 0x1000) && s0 == 0x70,
	       "mode 0: deadline at terminal count, status 0x%02x (null count)",
	       s0);
	now = ns(t0 + 0x1000) - 1;
	vmm_pit_update(pit);
	s0 = status(0);
	now = ns(t0 + 0x1000);
	vmm_pit_update(pit);
	s1 = status(0);
	tap_ok(s0 == 0x30 && s1 == 0xb0 && irq_calls == 1 && irq_level == 1,
	       "mode 0: OUT up at terminal count (0x%02x -> 0x%02x), one IRQ",
	       s0, s1);
	now += 100000000ULL;
	vmm_pit_update(pit);
	out8(CTRL, 0x00);
	tap_ok(irq_calls == 1 && vmm_pit_deadline(pit) == VMM_DEADLINE_NONE &&
	       read16(CH0) == ((0x1000 - (tick_of(now) - t0)) & 0xffff),
	       "mode 0: OUT stays high, no deadline, the count wraps on");

	/* A new count (Linux's one-shot) drops OUT again. */
	irq_reset();
	t0 = tick_of(now);
	write16(CH0, 100);
	now = ns(t0 + 100);
	vmm_pit_update(pit);
	tap_ok(irq_calls == 2 && irq_rises == 1 && irq_level == 1,
	       "mode 0: a new count lowers OUT, then one edge at its end");
}

static void test_mode4(void)
{
	uint64_t t0;
	uint8_t s0, s1;

	t0 = program(6000000000ULL, 0x38, CH0, 100);
	vmm_pit_update(pit);
	irq_reset();
	tap_ok(irq_level == 1 && vmm_pit_deadline(pit) == ns(t0 + 100),
	       "mode 4: OUT high, deadline at terminal count");
	now = ns(t0 + 100);
	s0 = status(0);
	now = ns(t0 + 101);
	s1 = status(0);
	tap_ok(!(s0 & 0x80) && (s1 & 0x80) && (s1 & 0x0e) == 0x08,
	       "mode 4: OUT low for the one tick of terminal count");
	vmm_pit_update(pit);
	tap_ok(irq_calls == 2 && irq_rises == 1 && irq_level == 1 &&
	       vmm_pit_deadline(pit) == VMM_DEADLINE_NONE,
	       "mode 4: one strobe (0 then 1), then no deadline");
}

static void test_latch(void)
{
	uint64_t t0;
	uint16_t latched, live;

	/* Counter 1, LSB then MSB, mode 2. */
	t0 = program(7000000000ULL, 0x74, CH1, 50000);
	now = ns(t0 + 12345) + 300;
	out8(CTRL, 0x40);		/* latch counter 1 */
	now = ns(t0 + 13345);
	out8(CTRL, 0x40);		/* ignored: the latch holds */
	latched = in8(CH1);
	now = ns(t0 + 20000);
	latched |= in8(CH1) << 8;
	live = read16(CH1);
	tap_ok(latched == 50000 - 12345 && live == 50000 - 20000,
	       "latch: %u held while the clock moved, then live %u",
	       latched, live);
}

static void test_readback(void)
{
	uint64_t t0;
	uint8_t s0, s1;
	uint16_t c0, c1;

	t0 = program(8000000000ULL, 0x34, CH0, 30000);	/* mode 2 */
	program(now, 0x76, CH1, 40000);			/* mode 3 */
	now = ns(t0 + 1000);
	out8(CTRL, 0xc6);		/* count and status of 0 and 1 */
	now = ns(t0 + 5000);
	s0 = in8(CH0);
	c0 = read16(CH0);
	s1 = in8(CH1);
	c1 = read16(CH1);
	tap_ok(s0 == 0xb4 && c0 == 29000 && s1 == 0xb6 && c1 == 38000,
	       "read-back of two counters: status 0x%02x 0x%02x, counts %u %u",
	       s0, s1, c0, c1);
	tap_ok(read16(CH0) == 25000, "after the read-back, counter 0 is live");
}

static void test_byte_access(void)
{
	uint64_t t0;
	uint8_t a, b;

	now = 9000000000ULL;
	t0 = tick_of(now);
	out8(CTRL, 0x50);		/* counter 1, LSB only, mode 0 */
	out8(CH1, 200);
	now = ns(t0 + 50);
	a = in8(CH1);
	b = in8(CH1);
	tap_ok(a == 150 && b == 150 && (status(1) & 0x30) == 0x10,
	       "LSB only: one byte loads, reads give the LSB each time");

	out8(CTRL, 0x60);		/* counter 1, MSB only, mode 0 */
	out8(CH1, 0x12);
	now = ns(t0 + 50 + 0x100);
	a = in8(CH1);
	out8(CTRL, 0x40);
	b = in8(CH1);
	tap_ok(a == 0x11 && b == 0x11 && (status(1) & 0x30) == 0x20,
	       "MSB only: 0x1200 loads, reads give the MSB (0x%02x 0x%02x)",
	       a, b);
}

static void test_bcd(void)
{
	uint64_t t0;
	uint16_t a, b;

	/* Counter 1, mode 0, BCD. */
	t0 = program(10000000000ULL, 0x71, CH1, 0x1234);
	now = ns(t0 + 35);
	a = read16(CH1);
	write16(CH1, 0);		/* 10000 in BCD */
	now = ns(t0 + 35 + 10001);
	b = read16(CH1);
	tap_ok(a == 0x1199 && b == 0x9999 && (status(1) & 0x01),
	       "BCD: 1234 - 35 reads 0x%04x, 0 is 10000 and wraps to 0x%04x",
	       a, b);
}

/* Channel 2 as Linux's PIT calibration of the TSC drives it. */
static void test_channel2(void)
{
	uint64_t t0, t, end, hit = 0;
	uint16_t a, b;
	uint8_t msb;
	bool ok = true;

	now = 11000000000ULL;
	out8(PORT_B, (in8(PORT_B) & ~0x02) | 0x01);
	tap_ok((in8(PORT_B) & 0x03) == 0x01, "0x61: gate 2 on, speaker off");
	t0 = tick_of(now);
	out8(CTRL, 0xb0);
	out8(CH2, 0xff);
	out8(CH2, 0xff);
	/* The quick calibration: the MSB follows the clock. */
	end = now + 20000000ULL;
	for (t = now; t < end; t += 777777) {
		uint64_t e;

		now = t;
		e = tick_of(now) - t0;
		in8(CH2);
		msb = in8(CH2);
		if (msb != ((0xffff - e) >> 8))
			ok = false;
	}
	tap_ok(ok, "channel 2: the MSB of the count follows the clock");

	/* The slow calibration: poll bit 5 for a 50 ms count. */
	t0 = program(now, 0xb0, CH2, 59659);
	ok = !(in8(PORT_B) & 0x20);
	for (t = now; t < ns(t0) + 60000000ULL; t += 1000) {
		now = t;
		if (in8(PORT_B) & 0x20) {
			hit = t;
			break;
		}
	}
	tap_ok(ok && hit >= ns(t0 + 59659) && hit < ns(t0 + 59659) + 1000,
	       "channel 2: 0x61 bit 5 rises after 59659 ticks (%llu ns)",
	       (unsigned long long)(hit - ns(t0)));

	/* The gate holds the count and OUT; raising it goes on. */
	t0 = program(now, 0xb0, CH2, 1000);
	now = ns(t0 + 400);
	out8(PORT_B, 0x00);
	now = ns(t0 + 5000);
	a = read16(CH2);
	ok = !(in8(PORT_B) & 0x21);
	out8(PORT_B, 0x01);
	now = ns(t0 + 5000 + 100);
	b = read16(CH2);
	ok = ok && !(in8(PORT_B) & 0x20);
	now = ns(t0 + 5000 + 600);
	ok = ok && (in8(PORT_B) & 0x20);
	tap_ok(ok && a == 600 && b == 500,
	       "channel 2: gate low stops (%u), gate high resumes (%u)",
	       a, b);

	/* Mode 2 with the gate low: OUT high; a rising gate reloads. */
	out8(PORT_B, 0x00);
	t0 = program(now, 0xb4, CH2, 300);
	now = ns(t0 + 1000);
	ok = (in8(PORT_B) & 0x20) && read16(CH2) == 300;
	out8(PORT_B, 0x01);
	t0 = tick_of(now);
	now = ns(t0 + 299);
	ok = ok && !(in8(PORT_B) & 0x20);
	now = ns(t0 + 310);
	tap_ok(ok && read16(CH2) == 290 && (in8(PORT_B) & 0x20),
	       "channel 2: mode 2 waits for the gate, which restarts it");
}

/* The gate-triggered modes, on channel 2, and mode 7 acting as mode 3. */
static void test_triggered(void)
{
	uint64_t t0;
	bool ok;

	now = 11500000000ULL;
	out8(PORT_B, 0x00);
	out8(CTRL, 0xb2);		/* mode 1 */
	write16(CH2, 100);
	now += 1000000;
	ok = in8(PORT_B) & 0x20;
	out8(PORT_B, 0x01);		/* trigger */
	t0 = tick_of(now);
	ok = ok && !(in8(PORT_B) & 0x20);
	now = ns(t0 + 60);
	out8(PORT_B, 0x00);		/* a low gate does not stop mode 1 */
	ok = ok && read16(CH2) == 40;
	now = ns(t0 + 99);
	ok = ok && !(in8(PORT_B) & 0x20);
	now = ns(t0 + 100);
	ok = ok && (in8(PORT_B) & 0x20);
	out8(PORT_B, 0x01);		/* retrigger */
	ok = ok && !(in8(PORT_B) & 0x20);
	tap_ok(ok, "mode 1: OUT low from the gate's rising edge for the count");

	out8(PORT_B, 0x00);
	out8(CTRL, 0xba);		/* mode 5 */
	write16(CH2, 50);
	now += 1000000;
	ok = in8(PORT_B) & 0x20;
	out8(PORT_B, 0x01);
	t0 = tick_of(now);
	now = ns(t0 + 49);
	ok = ok && (in8(PORT_B) & 0x20) && read16(CH2) == 1;
	now = ns(t0 + 50);
	ok = ok && !(in8(PORT_B) & 0x20);
	now = ns(t0 + 51);
	ok = ok && (in8(PORT_B) & 0x20);
	tap_ok(ok, "mode 5: one-tick strobe at the count after the trigger");

	t0 = program(now, 0xbe, CH2, 10);	/* mode 7 = mode 3 */
	now = ns(t0 + 4);
	ok = (in8(PORT_B) & 0x20) && read16(CH2) == 2;
	now = ns(t0 + 5);
	tap_ok(ok && !(in8(PORT_B) & 0x20), "mode 7 is a square wave");
	out8(PORT_B, 0x00);
}

static void test_port_b(void)
{
	uint64_t base;
	uint8_t v[4];
	bool ok = true;
	unsigned int k;

	out8(PORT_B, 0xff);
	now = 12000000000ULL;
	base = (tick_of(now) / 18 + 1) * 18;
	for (k = 0; k < 4; k++) {
		uint64_t first = base + k * 18;

		now = ns(first);
		v[k] = in8(PORT_B);
		now = ns(first + 17);
		if ((in8(PORT_B) ^ v[k]) & 0x10)
			ok = false;
	}
	tap_ok(ok && ((v[0] ^ v[1]) & 0x10) && ((v[1] ^ v[2]) & 0x10) &&
	       ((v[2] ^ v[3]) & 0x10),
	       "0x61 bit 4 toggles every 18 ticks (15 us)");
	tap_ok((v[0] & ~0x30) == 0x03,
	       "0x61: gate and speaker read back, bits 2, 3, 6, 7 read 0");
	out8(PORT_B, 0x00);
}

static void test_notify(void)
{
	unsigned int before;

	now = 13000000000ULL;
	notifies = 0;
	out8(CTRL, 0x34);
	before = notifies;
	write16(CH0, 5000);
	tap_ok(before >= 1 && notifies > before,
	       "notify: a control word and a count for counter 0");
	notifies = 0;
	out8(CTRL, 0x74);
	write16(CH1, 5000);
	out8(CTRL, 0x00);
	read16(CH0);
	tap_ok(notifies == 0, "notify: not for counter 1 or a latch");
	out8(CTRL, 0x30);
	tap_ok(notifies == 1 && vmm_pit_deadline(pit) == VMM_DEADLINE_NONE,
	       "notify: when reprogramming removes the deadline");
}

int main(void)
{
	tap_plan(41);
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	TEST_ASSERT_OK(vmm_pit_create(fake_clock, NULL, &pit));
	TEST_ASSERT_OK(vmm_pit_attach(pit, bus));
	tap_ok(vmm_bus_handled(bus, 0x40) && vmm_bus_handled(bus, 0x43) &&
	       vmm_bus_handled(bus, 0x61) && !vmm_bus_handled(bus, 0x44),
	       "ports 0x40-0x43 and 0x61 registered");
	vmm_pit_set_irq(pit, irq_fn, &irq_calls, IRQ);
	vmm_pit_set_notify(pit, notify_fn, &notifies);

	test_power_on();
	test_mode2();
	test_mode3();
	test_mode0();
	test_mode4();
	test_latch();
	test_readback();
	test_byte_access();
	test_bcd();
	test_channel2();
	test_triggered();
	test_port_b();
	test_notify();
	tap_ok(bad_irq == 0, "callbacks got their opaque and IRQ number");

	vmm_bus_free(bus);
	vmm_pit_free(pit);
	tap_exit();
}
