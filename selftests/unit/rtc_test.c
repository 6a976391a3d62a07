// SPDX-License-Identifier: GPL-2.0
/*
 * rtc_test: libvmm's MC146818 RTC on a port bus with a fake wall clock:
 * the clock registers in BCD and binary, 12 and 24 hours, across minute,
 * hour, day, month, year and leap-day boundaries; update-in-progress
 * timing; setting the time under SET and its running on; the periodic
 * (1024 Hz), alarm (with "don't care" bytes) and update-ended interrupts
 * through status C and the IRQ line; the memory-size bytes; the NMI mask.
 */
#include "test_util.h"

#define NS		1000000000ULL
/* 2026-12-07 05:59:58 UTC, a Monday. */
#define T0		1796623198ULL
/* 2026-12-31 23:59:58 UTC, a Thursday. */
#define T_NEW_YEAR	1798761598ULL
/* 2027-01-31 12:00:00 UTC. */
#define T_JAN31		1801396800ULL

#define REG_SEC		0x00
#define REG_MIN		0x02
#define REG_HOUR	0x04
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d
#define REG_CENTURY	0x32

static struct vmm_bus *bus;
static uint64_t now;		/* the fake wall clock, ns */

struct irq_rec {
	int level;
	int edges;		/* 0 -> 1 transitions */
	int calls;
	unsigned int irq;
};

static uint64_t fake_wall(void *opaque)
{
	(void)opaque;
	return now;
}

static void irq_fn(void *opaque, unsigned int irq, int level)
{
	struct irq_rec *r = opaque;

	r->calls++;
	if (level && !r->level)
		r->edges++;
	r->level = level;
	r->irq = irq;
}

static void notify_fn(void *opaque)
{
	(*(int *)opaque)++;
}

static uint8_t cmos_read(uint8_t reg)
{
	uint8_t v = reg;

	vmm_bus_access(bus, NULL, 0x70, &v, 1, 1);
	vmm_bus_access(bus, NULL, 0x71, &v, 1, 0);
	return v;
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	vmm_bus_access(bus, NULL, 0x70, &reg, 1, 1);
	vmm_bus_access(bus, NULL, 0x71, &v, 1, 1);
}

/* The clock registers, in the order sec min hour wday mday mon year cent. */
static void read_time(uint8_t t[8])
{
	static const uint8_t regs[8] = { REG_SEC, REG_MIN, REG_HOUR, REG_WDAY,
		REG_MDAY, REG_MON, REG_YEAR, REG_CENTURY };

	for (int i = 0; i < 8; i++)
		t[i] = cmos_read(regs[i]);
}

static bool time_is(const char *what, uint8_t s, uint8_t m, uint8_t h,
		    uint8_t wd, uint8_t d, uint8_t mo, uint8_t y, uint8_t c)
{
	const uint8_t want[8] = { s, m, h, wd, d, mo, y, c };
	uint8_t t[8];
	bool ok;

	read_time(t);
	ok = !memcmp(t, want, 8);
	if (!ok)
		tap_diag("%s: read %02x:%02x:%02x wday %02x %02x/%02x/%02x%02x",
			 what, t[2], t[1], t[0], t[3], t[4], t[5], t[7], t[6]);
	return tap_ok(ok, "%s", what);
}

static void test_clock(struct vmm_rtc *rtc)
{
	(void)rtc;
	now = T0 * NS + 100000000;	/* .1 s into the second */

	tap_ok(cmos_read(REG_A) == 0x26 && cmos_read(REG_B) == 0x02 &&
	       cmos_read(REG_D) == 0x80,
	       "power-on: A 0x26, B 0x02 (24 h, BCD), D 0x80 (VRT)");
	time_is("BCD 24 h: 2026-12-07 05:59:58, Monday (2)",
		0x58, 0x59, 0x05, 0x02, 0x07, 0x12, 0x26, 0x20);

	cmos_write(REG_B, 0x06);
	time_is("binary 24 h: the same time in binary",
		58, 59, 5, 2, 7, 12, 26, 20);

	cmos_write(REG_B, 0x00);
	tap_ok(cmos_read(REG_HOUR) == 0x05, "BCD 12 h: 05 AM is 0x05");
	now = (T0 + 2 + 6 * 3600 + 1800) * NS;	/* 12:30:00 */
	tap_ok(cmos_read(REG_HOUR) == 0x92, "BCD 12 h: 12:30 is 12 PM (0x92)");
	now = (T0 + 2 + 18 * 3600) * NS;	/* 2026-12-08 00:00:00 */
	tap_ok(cmos_read(REG_HOUR) == 0x12, "BCD 12 h: midnight is 12 AM (0x12)");
	now = (T0 + 2 + 17 * 3600) * NS;	/* 23:00 */
	tap_ok(cmos_read(REG_HOUR) == 0x91, "BCD 12 h: 23:00 is 11 PM (0x91)");
	cmos_write(REG_B, 0x04);
	tap_ok(cmos_read(REG_HOUR) == 0x8b, "binary 12 h: 23:00 is 0x8b");

	cmos_write(REG_B, 0x02);
	now = (T0 + 2) * NS;
	time_is("+2 s: minute and hour roll over to 06:00:00",
		0x00, 0x00, 0x06, 0x02, 0x07, 0x12, 0x26, 0x20);
	now = (T0 + 2 + 18 * 3600) * NS;
	time_is("+18 h: next day, Tuesday",
		0x00, 0x00, 0x00, 0x03, 0x08, 0x12, 0x26, 0x20);
	now = (T_NEW_YEAR + 1) * NS + 999999999;
	time_is("2026-12-31 23:59:59.999, Thursday",
		0x59, 0x59, 0x23, 0x05, 0x31, 0x12, 0x26, 0x20);
	now++;
	time_is("1 ns later: 2027-01-01 00:00:00, Friday",
		0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x27, 0x20);
}

static void test_uip(void)
{
	uint64_t sec = (T0 + 100) * NS;
	bool before, first, last, after;

	now = sec + NS - 244141 - 1;
	before = cmos_read(REG_A) & 0x80;
	now++;
	first = cmos_read(REG_A) & 0x80;
	now = sec + NS - 1;
	last = cmos_read(REG_A) & 0x80;
	now++;
	after = cmos_read(REG_A) & 0x80;
	tap_ok(!before && first && last && !after,
	       "UIP: set for the 244.14 us before each second only");
	tap_ok((cmos_read(REG_A) & 0x7f) == 0x26, "A: other bits as stored");
}

static void test_set(void)
{
	uint64_t w;

	/* Set 2000-02-28 23:59:58 from 2027-01-31, in Linux's order (year
	 * first, then month, then day): the day must not be normalised
	 * against the month in between (Feb 31). */
	now = T_JAN31 * NS + 123456789;
	cmos_write(REG_B, 0x82 | 0x10);
	tap_ok(cmos_read(REG_B) == 0x82, "SET clears UIE");
	cmos_write(REG_YEAR, 0x00);
	cmos_write(REG_CENTURY, 0x20);
	cmos_write(REG_MON, 0x02);
	cmos_write(REG_MDAY, 0x28);
	cmos_write(REG_HOUR, 0x23);
	cmos_write(REG_MIN, 0x59);
	cmos_write(REG_SEC, 0x58);
	cmos_write(REG_WDAY, 0x07);	/* wrong on purpose: it was a Monday */
	now += 5 * NS + 876543210;
	time_is("SET on: the clock stands still with the written time",
		0x58, 0x59, 0x23, 0x07, 0x28, 0x02, 0x00, 0x20);
	tap_ok(!(cmos_read(REG_A) & 0x80), "SET on: UIP stays clear");

	w = now;
	cmos_write(REG_B, 0x02);
	now = w + 2 * NS - 1;
	time_is("SET off + 1.999 s: the written time ran on one second",
		0x59, 0x59, 0x23, 0x07, 0x28, 0x02, 0x00, 0x20);
	tap_ok(cmos_read(REG_A) & 0x80, "UIP in the 244 us before its update");
	now = w + 2 * NS;
	time_is("SET off + 2 s: 2000-02-29 (leap day), weekday 7 -> 1",
		0x00, 0x00, 0x00, 0x01, 0x29, 0x02, 0x00, 0x20);

	/* Without SET a write takes effect at once, the time runs on. */
	cmos_write(REG_HOUR, 0x10);
	now += 61 * NS;
	time_is("hour written without SET: 10:01:01 the same day",
		0x01, 0x01, 0x10, 0x01, 0x29, 0x02, 0x00, 0x20);
}

static void test_periodic(struct vmm_rtc *rtc, struct irq_rec *irq,
			  int *notes)
{
	uint64_t t0 = T0 * NS, d;
	int n = 0, notes0 = *notes;
	bool all_edges = true;

	now = t0;
	tap_ok(vmm_rtc_deadline(rtc) == VMM_DEADLINE_NONE,
	       "no interrupt enabled: no deadline");
	cmos_write(REG_B, 0x42);		/* PIE, 24 h, BCD */
	tap_ok(*notes > notes0, "writing B notifies");
	d = vmm_rtc_deadline(rtc);
	tap_ok(d == t0 + 976563, "rate 6: first tick 976.5625 us on (%llu)",
	       (unsigned long long)(d - t0));
	now = d - 1;
	vmm_rtc_update(rtc);
	tap_ok(irq->level == 0 && irq->calls == 0, "1 ns early: IRQ low");
	now = d;
	vmm_rtc_update(rtc);
	tap_ok(irq->level == 1 && irq->edges == 1 && irq->irq == 8,
	       "at the tick: IRQ 8 raised");
	tap_ok(vmm_rtc_deadline(rtc) == VMM_DEADLINE_NONE,
	       "PF pending: no deadline until C is read");
	notes0 = *notes;
	tap_ok(cmos_read(REG_C) == 0xc0 && irq->level == 0,
	       "C reads IRQF | PF and the read lowers the IRQ");
	tap_ok(*notes > notes0 && cmos_read(REG_C) == 0x00,
	       "reading C notifies and clears it");
	tap_ok(vmm_rtc_deadline(rtc) == t0 + 1953125, "second tick at 1.953125 ms");

	/* Serve the interrupt for one second as a guest would. */
	for (d = vmm_rtc_deadline(rtc); d <= t0 + NS; d = vmm_rtc_deadline(rtc)) {
		now = d;
		vmm_rtc_update(rtc);
		all_edges &= irq->level == 1;
		/* UF joins PF at the end of the second. */
		all_edges &= (cmos_read(REG_C) & ~0x10) == 0xc0;
		n++;
	}
	tap_ok(n == 1023 && all_edges && irq->edges == 1024,
	       "1024 interrupts in the first second (%d more)", n);

	cmos_write(REG_A, 0x20);
	tap_ok(vmm_rtc_deadline(rtc) == VMM_DEADLINE_NONE,
	       "rate 0: no periodic interrupt");
	cmos_write(REG_A, 0x2f);
	now = t0 + NS + 1;
	cmos_read(REG_C);
	tap_ok(vmm_rtc_deadline(rtc) == t0 + NS + NS / 2, "rate 15: 2 Hz");
	cmos_write(REG_A, 0x21);
	tap_ok(vmm_rtc_deadline(rtc) == t0 + NS + 3906250,
	       "rate 1: 256 Hz, as rate 8 (32.768 kHz time base)");
	cmos_write(REG_A, 0x26);
	cmos_write(REG_B, 0x02);
}

static void test_alarm_update(struct vmm_rtc *rtc, struct irq_rec *irq)
{
	uint64_t t0 = T0 * NS;
	uint8_t c;

	now = t0 + 2 * NS;			/* 06:00:00 */
	cmos_read(REG_C);
	cmos_write(0x05, 0xff);			/* any hour */
	cmos_write(0x03, 0xc0);			/* any minute */
	cmos_write(0x01, 0x30);			/* second 30 */
	cmos_write(REG_B, 0x22);		/* AIE */
	tap_ok(vmm_rtc_deadline(rtc) == t0 + 32 * NS,
	       "alarm ??:??:30 from 06:00:00: due at 06:00:30");
	now = t0 + 32 * NS - 1;
	vmm_rtc_update(rtc);
	tap_ok(irq->level == 0, "no alarm 1 ns early");
	now = t0 + 32 * NS;
	vmm_rtc_update(rtc);
	tap_ok(irq->level == 1, "alarm: IRQ raised at 06:00:30");
	c = cmos_read(REG_C);
	tap_ok(irq->level == 0 && c == 0xf0,
	       "alarm: C = IRQF | PF | AF | UF (0x%02x), the disabled flags too",
	       c);

	cmos_write(0x05, 0x07);
	cmos_write(0x03, 0x00);
	cmos_write(0x01, 0x00);
	tap_ok(vmm_rtc_deadline(rtc) == t0 + 3602 * NS,
	       "alarm 07:00:00 exactly: in 3570 s");
	cmos_write(REG_B, 0x20);		/* 12 h: 07:00 AM is 0x07 too */
	tap_ok(vmm_rtc_deadline(rtc) == t0 + 3602 * NS,
	       "12 h mode: alarm 0x07 is 7 AM");
	cmos_write(0x05, 0x87);
	tap_ok(vmm_rtc_deadline(rtc) == t0 + (3602 + 12 * 3600) * NS,
	       "12 h mode: alarm 0x87 is 7 PM");
	cmos_write(0x05, 0x24);
	cmos_write(REG_B, 0x22);
	tap_ok(vmm_rtc_deadline(rtc) == VMM_DEADLINE_NONE,
	       "an alarm hour no time matches (0x24): no deadline");

	cmos_write(REG_B, 0x12);		/* UIE */
	now = t0 + 32 * NS + 400000000;
	tap_ok(vmm_rtc_deadline(rtc) == t0 + 33 * NS,
	       "update-ended: due at the next second");
	now = t0 + 33 * NS;
	vmm_rtc_update(rtc);
	tap_ok(irq->level == 1, "update-ended: IRQ raised");
	c = cmos_read(REG_C);
	tap_ok(c == 0xd0 && irq->level == 0,
	       "C = IRQF | PF | UF (0x%02x), IRQ lowered", c);
	now += NS / 2;
	tap_ok(cmos_read(REG_C) == 0x40, "half a second later: only PF");
	cmos_write(REG_B, 0x02);
}

static void check_bytes(const char *what, const uint8_t *regs,
			const uint8_t *want, int n)
{
	bool ok = true;

	for (int i = 0; i < n; i++) {
		uint8_t v = cmos_read(regs[i]);

		if (v != want[i]) {
			tap_diag("%s: CMOS 0x%02x = 0x%02x, want 0x%02x",
				 what, regs[i], v, want[i]);
			ok = false;
		}
	}
	tap_ok(ok, "%s", what);
}

static void test_memory(struct vmm_rtc *rtc)
{
	static const uint8_t regs[] = { 0x0f, 0x10, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x30, 0x31, 0x34, 0x35, 0x5b, 0x5c, 0x5d };
	static const uint8_t m64[] = { 0, 0, 0x02, 0x80, 0x02, 0x00, 0xfc,
		0x00, 0xfc, 0x00, 0x03, 0, 0, 0 };
	static const uint8_t g3[] = { 0, 0, 0x02, 0x80, 0x02, 0xff, 0xff,
		0xff, 0xff, 0x00, 0xbf, 0, 0, 0 };
	static const uint8_t g8[] = { 0, 0, 0x02, 0x80, 0x02, 0xff, 0xff,
		0xff, 0xff, 0x00, 0xbf, 0x00, 0x40, 0x01 };
	unsigned int sum = 0;

	vmm_rtc_set_memory(rtc, 64ULL << 20, 0);
	check_bytes("64 MiB: 640 KiB base, 63 MiB extended, 48 MiB over 16 MiB",
		    regs, m64, sizeof(regs));
	for (int i = 0x10; i <= 0x2d; i++)
		sum += cmos_read((uint8_t)i);
	tap_ok(cmos_read(0x2e) == (sum >> 8) && cmos_read(0x2f) == (sum & 0xff),
	       "checksum of 0x10-0x2d at 0x2e/0x2f (0x%04x)", sum);
	vmm_rtc_set_memory(rtc, 3ULL << 30, 0);
	check_bytes("3 GiB: extended capped at 0xffff, 3056 MiB over 16 MiB",
		    regs, g3, sizeof(regs));
	vmm_rtc_set_memory(rtc, 3ULL << 30, 5ULL << 30);
	check_bytes("8 GiB (3 + 5 over 4 GiB): 0x014000 64 KiB units at 0x5b",
		    regs, g8, sizeof(regs));
}

static void test_ports(struct vmm_rtc *rtc)
{
	uint8_t v = 0x8d, r;

	vmm_bus_access(bus, NULL, 0x70, &v, 1, 1);
	vmm_bus_access(bus, NULL, 0x71, &r, 1, 0);
	tap_ok(vmm_rtc_nmi_masked(rtc) == 1 && r == 0x80,
	       "0x70 bit 7 masks NMIs, the index is the low 7 bits (D)");
	vmm_bus_access(bus, NULL, 0x70, &r, 1, 0);
	tap_ok(r == 0xff, "0x70 is write-only: reads 0xff");
	cmos_write(0x40, 0xa5);
	cmos_write(0x7f, 0x5a);
	tap_ok(vmm_rtc_nmi_masked(rtc) == 0 && cmos_read(0x40) == 0xa5 &&
	       cmos_read(0x7f) == 0x5a, "CMOS RAM keeps bytes; NMIs unmasked");
	cmos_read(REG_C);		/* the clock is still; C stays 0 */
	cmos_write(REG_D, 0x00);
	cmos_write(REG_C, 0xff);
	tap_ok(cmos_read(REG_D) == 0x80 && cmos_read(REG_C) == 0x00,
	       "C and D are read-only");
}

int main(void)
{
	struct irq_rec irq = { 0 };
	struct vmm_rtc *rtc;
	int notes = 0;

	tap_plan(54);
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));

	now = T0 * NS;
	TEST_ASSERT_OK(vmm_rtc_create(fake_wall, NULL, &rtc));
	TEST_ASSERT_OK(vmm_rtc_attach(rtc, bus));
	test_clock(rtc);
	test_uip();
	test_set();
	test_memory(rtc);
	test_ports(rtc);
	vmm_bus_free(bus);
	vmm_rtc_free(rtc);

	/* A fresh one for the interrupts, created at a whole second. */
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	now = T0 * NS;
	TEST_ASSERT_OK(vmm_rtc_create(fake_wall, NULL, &rtc));
	TEST_ASSERT_OK(vmm_rtc_attach(rtc, bus));
	vmm_rtc_set_irq(rtc, irq_fn, &irq, 8);
	vmm_rtc_set_notify(rtc, notify_fn, &notes);
	test_periodic(rtc, &irq, &notes);
	test_alarm_update(rtc, &irq);
	vmm_bus_free(bus);
	vmm_rtc_free(rtc);
	tap_exit();
}
