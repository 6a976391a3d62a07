// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the MC146818 real-time clock and CMOS.
 *
 * The clock is not a set of counters: the guest's time is the wall clock
 * plus an offset (zero until the guest sets the time), and every clock
 * register is computed from it when read.  Setting the time moves the
 * offset.  While status B's SET bit is on, the clock registers are plain
 * storage (the guest writes the new time there) and the new time starts
 * running, at the start of its second, when SET is cleared.
 *
 * The clock fields are kept in binary, whatever the data mode: a read
 * encodes them in the current mode (BCD or binary, 12 or 24 hours), a
 * write decodes the byte in the current mode.  So changing the mode in
 * status B changes how the time reads, not the time (on the part, the
 * stored bytes would be reinterpreted).  The alarm bytes, though, are
 * kept as written and compared with the encoded time, as the part does,
 * so that the "don't care" codes 0xc0-0xff work in either mode.
 *
 * The three interrupt flags of status C are computed lazily: each time
 * the device is brought up to "now" (a read of C, vmm_rtc_update, any
 * write that changes the timing), the events that happened since the
 * last time set their flags.  An update (end of a second, UF; alarm
 * match, AF) happens at each whole second of guest time, instantly;
 * update-in-progress (status A bit 7) is on for the 244 us before it.
 * The periodic flag (PF) is set at every multiple of its period, counted
 * from the start of the guest's second as the part's divider chain does.
 *
 * Simplifications: the divider bits of status A are stored but the clock
 * runs whatever they say (on the part, anything but 010 stops or resets
 * the chain); daylight saving (DSE) and the square-wave output (SQWE) are
 * stored only; the update cycle itself takes no time (the part takes
 * about 2 ms, during which UIP stays on).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define NS_PER_SEC	1000000000LL
/* UIP rises 8 cycles of the 32.768 kHz time base (244.140625 us) before
 * the update. */
#define UIP_NS		244141

/* Register indices. */
#define REG_SEC		0x00
#define REG_SEC_ALARM	0x01
#define REG_MIN		0x02
#define REG_MIN_ALARM	0x03
#define REG_HOUR	0x04
#define REG_HOUR_ALARM	0x05
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d
#define REG_CENTURY	0x32

#define A_UIP		0x80
#define A_RATE		0x0f
#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_DM_BINARY	0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10
#define C_FLAGS		(C_PF | C_AF | C_UF)
#define D_VRT		0x80

#define HOUR_PM		0x80	/* in 12-hour mode */
#define ALARM_ANY	0xc0	/* alarm bytes 0xc0-0xff match any value */

/* The clock registers in binary; year is 0-99, cent the century. */
struct rtc_fields {
	int sec, min, hour, wday, mday, mon, year, cent;
};

/* A point of guest time: sec since the epoch, nsec in [0, 1e9). */
struct gtime {
	int64_t sec;
	int64_t nsec;
};

struct vmm_rtc {
	vmm_clock_fn wall;
	void *wall_opaque;

	uint8_t cmos[128];	/* RAM; also the three alarm bytes */
	uint8_t index;
	bool nmi_masked;
	uint8_t a, b, c;	/* status A (without UIP), B, C (flags) */

	/* Guest time = wall clock + off_sec s + off_nsec ns. */
	int64_t off_sec;
	int64_t off_nsec;	/* [0, 1e9) */
	int wday_adj;		/* guest's day of week minus the real one */
	struct rtc_fields set;	/* the clock registers while SET is on */

	uint64_t last;		/* wall time the flags are computed up to */

	int irq_level;
	vmm_irq_fn irq_fn;
	void *irq_opaque;
	unsigned int irq;
	vmm_notify_fn notify_fn;
	void *notify_opaque;
};

static uint64_t rtc_wall(const struct vmm_rtc *rtc)
{
	struct timespec ts;

	if (rtc->wall)
		return rtc->wall(rtc->wall_opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static struct gtime guest_time(const struct vmm_rtc *rtc, uint64_t wall)
{
	struct gtime g;

	g.sec = (int64_t)(wall / NS_PER_SEC) + rtc->off_sec;
	g.nsec = (int64_t)(wall % NS_PER_SEC) + rtc->off_nsec;
	if (g.nsec >= NS_PER_SEC) {
		g.nsec -= NS_PER_SEC;
		g.sec++;
	}
	return g;
}

/* The wall time at which the guest's clock shows g. */
static uint64_t wall_time(const struct vmm_rtc *rtc, struct gtime g)
{
	return (uint64_t)((g.sec - rtc->off_sec) * NS_PER_SEC +
			  (g.nsec - rtc->off_nsec));
}

/* Make the guest's clock show g.sec, at the start of that second, now. */
static void set_guest_time(struct vmm_rtc *rtc, uint64_t wall, int64_t sec)
{
	int64_t wsec = (int64_t)(wall / NS_PER_SEC);
	int64_t wnsec = (int64_t)(wall % NS_PER_SEC);

	rtc->off_sec = sec - wsec;
	rtc->off_nsec = 0;
	if (wnsec) {
		rtc->off_sec--;
		rtc->off_nsec = NS_PER_SEC - wnsec;
	}
}

/* Day of week 0-6 (Sunday = 0) of a day counted from 1970-01-01, a
 * Thursday. */
static int weekday(int64_t sec)
{
	return (int)floor_mod(floor_div(sec, 86400) + 4, 7);
}

static void fields_of(const struct vmm_rtc *rtc, int64_t sec,
		      struct rtc_fields *f)
{
	time_t t = (time_t)sec;
	struct tm tm;
	int64_t year;

	gmtime_r(&t, &tm);
	year = (int64_t)tm.tm_year + 1900;
	f->sec = tm.tm_sec;
	f->min = tm.tm_min;
	f->hour = tm.tm_hour;
	f->wday = (int)floor_mod(tm.tm_wday + rtc->wday_adj, 7) + 1;
	f->mday = tm.tm_mday;
	f->mon = tm.tm_mon + 1;
	f->year = (int)floor_mod(year, 100);
	f->cent = (int)floor_div(year, 100);
}

/* Seconds since the epoch of f (day of week aside); out-of-range fields
 * carry over as timegm does them. */
static int64_t seconds_of(const struct rtc_fields *f)
{
	struct tm tm = {
		.tm_sec = f->sec,
		.tm_min = f->min,
		.tm_hour = f->hour,
		.tm_mday = f->mday,
		.tm_mon = f->mon - 1,
		.tm_year = f->cent * 100 + f->year - 1900,
	};

	return (int64_t)timegm(&tm);
}

/* The guest's day-of-week offset that makes sec fall on wday (1-7). */
static int wday_adjust(int64_t sec, int wday)
{
	return (int)floor_mod(wday - 1 - weekday(sec), 7);
}

static uint8_t to_bcd(int v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode(const struct vmm_rtc *rtc, int v)
{
	return (rtc->b & B_DM_BINARY) ? (uint8_t)v : to_bcd(v);
}

static int decode(const struct vmm_rtc *rtc, uint8_t v)
{
	return (rtc->b & B_DM_BINARY) ? v : from_bcd(v);
}

static uint8_t encode_hour(const struct vmm_rtc *rtc, int hour)
{
	int h12;

	if (rtc->b & B_24H)
		return encode(rtc, hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return encode(rtc, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static int decode_hour(const struct vmm_rtc *rtc, uint8_t v)
{
	if (rtc->b & B_24H)
		return decode(rtc, v);
	return decode(rtc, v & ~HOUR_PM) % 12 + ((v & HOUR_PM) ? 12 : 0);
}

/* The field of f behind clock register reg, or NULL. */
static int *field(struct rtc_fields *f, unsigned int reg)
{
	switch (reg) {
	case REG_SEC:
		return &f->sec;
	case REG_MIN:
		return &f->min;
	case REG_HOUR:
		return &f->hour;
	case REG_WDAY:
		return &f->wday;
	case REG_MDAY:
		return &f->mday;
	case REG_MON:
		return &f->mon;
	case REG_YEAR:
		return &f->year;
	case REG_CENTURY:
		return &f->cent;
	}
	return NULL;
}

/* Periodic rate: log2 of its frequency, or -1 for none.  With the
 * 32.768 kHz time base, rates 1 and 2 give 256 and 128 Hz (as rates 8
 * and 9 do), rate r >= 3 gives 32768 >> (r - 1) Hz. */
static int pf_shift(const struct vmm_rtc *rtc)
{
	int rate = rtc->a & A_RATE;

	if (!rate)
		return -1;
	if (rate < 3)
		rate += 7;
	return 16 - rate;
}

/* Periodic ticks from the epoch to g (the tick at a point counts). */
static int64_t pf_ticks(struct gtime g, int shift)
{
	return g.sec * (1LL << shift) + (g.nsec << shift) / NS_PER_SEC;
}

/* The first integer nanosecond of guest time at which tick i counts. */
static struct gtime pf_tick_time(int64_t i, int shift)
{
	int64_t per_sec = 1LL << shift;
	struct gtime g;
	int64_t frac;

	g.sec = floor_div(i, per_sec);
	frac = i - g.sec * per_sec;
	g.nsec = (frac * NS_PER_SEC + per_sec - 1) >> shift;
	return g;
}

/*
 * The first second after sec at which the time matches the three alarm
 * bytes, or INT64_MAX if no time can.  The search walks forward, a whole
 * hour or minute at a time when that field does not match, so it takes
 * at most some hundreds of steps for a day.
 */
static int64_t next_alarm(const struct vmm_rtc *rtc, int64_t sec)
{
	bool sec_ok[60], min_ok[60], hour_ok[24];
	bool any_s = false, any_m = false, any_h = false;
	uint8_t as = rtc->cmos[REG_SEC_ALARM];
	uint8_t am = rtc->cmos[REG_MIN_ALARM];
	uint8_t ah = rtc->cmos[REG_HOUR_ALARM];
	int64_t t;

	for (int i = 0; i < 60; i++) {
		sec_ok[i] = as >= ALARM_ANY || as == encode(rtc, i);
		min_ok[i] = am >= ALARM_ANY || am == encode(rtc, i);
		any_s |= sec_ok[i];
		any_m |= min_ok[i];
	}
	for (int i = 0; i < 24; i++) {
		hour_ok[i] = ah >= ALARM_ANY || ah == encode_hour(rtc, i);
		any_h |= hour_ok[i];
	}
	if (!any_s || !any_m || !any_h)
		return INT64_MAX;

	for (t = sec + 1;;) {
		int64_t sod = floor_mod(t, 86400);

		if (!hour_ok[sod / 3600])
			t += 3600 - sod % 3600;
		else if (!min_ok[sod / 60 % 60])
			t += 60 - sod % 60;
		else if (!sec_ok[sod % 60])
			t++;
		else
			return t;
	}
}

/* Set the flags of the events between rtc->last and wall. */
static void catch_up(struct vmm_rtc *rtc, uint64_t wall)
{
	struct gtime from, to;
	int shift = pf_shift(rtc);

	if (wall <= rtc->last)
		return;
	from = guest_time(rtc, rtc->last);
	to = guest_time(rtc, wall);
	rtc->last = wall;

	if (shift >= 0 && pf_ticks(to, shift) > pf_ticks(from, shift))
		rtc->c |= C_PF;
	if (rtc->b & B_SET)
		return;		/* no updates while the time is being set */
	if (to.sec > from.sec)
		rtc->c |= C_UF;
	if (!(rtc->c & C_AF) && next_alarm(rtc, from.sec) <= to.sec)
		rtc->c |= C_AF;
}

/* Drive the interrupt line from IRQF (flags that are also enabled). */
static void sync_irq(struct vmm_rtc *rtc)
{
	int level = (rtc->c & rtc->b & C_FLAGS) != 0;

	if (level == rtc->irq_level)
		return;
	rtc->irq_level = level;
	if (rtc->irq_fn)
		rtc->irq_fn(rtc->irq_opaque, rtc->irq, level);
}

static void notify(struct vmm_rtc *rtc)
{
	if (rtc->notify_fn)
		rtc->notify_fn(rtc->notify_opaque);
}

/* The clock registers as they read now. */
static void current_fields(const struct vmm_rtc *rtc, uint64_t wall,
			   struct rtc_fields *f)
{
	if (rtc->b & B_SET)
		*f = rtc->set;
	else
		fields_of(rtc, guest_time(rtc, wall).sec, f);
}

static uint8_t read_clock(struct vmm_rtc *rtc, unsigned int reg)
{
	struct rtc_fields f;

	current_fields(rtc, rtc_wall(rtc), &f);
	if (reg == REG_HOUR)
		return encode_hour(rtc, f.hour);
	return encode(rtc, *field(&f, reg));
}

/*
 * A write to a clock register: while SET is on it is only stored; else
 * the time changes at once, keeping its fraction of a second.
 */
static void write_clock(struct vmm_rtc *rtc, unsigned int reg, uint8_t v)
{
	uint64_t wall = rtc_wall(rtc);
	int value = reg == REG_HOUR ? decode_hour(rtc, v) : decode(rtc, v);
	struct rtc_fields f;
	int64_t old;

	if (rtc->b & B_SET) {
		*field(&rtc->set, reg) = value;
		return;
	}
	catch_up(rtc, wall);
	old = guest_time(rtc, wall).sec;
	fields_of(rtc, old, &f);
	if (reg == REG_WDAY) {
		rtc->wday_adj = wday_adjust(old, value);
		return;
	}
	*field(&f, reg) = value;
	rtc->off_sec += seconds_of(&f) - old;
	notify(rtc);
}

static void write_b(struct vmm_rtc *rtc, uint8_t v)
{
	uint64_t wall = rtc_wall(rtc);
	int64_t sec;

	/* Setting SET clears UIE on the part. */
	if (v & B_SET)
		v &= ~B_UIE;
	catch_up(rtc, wall);
	if ((v & B_SET) && !(rtc->b & B_SET)) {
		fields_of(rtc, guest_time(rtc, wall).sec, &rtc->set);
	} else if (!(v & B_SET) && (rtc->b & B_SET)) {
		sec = seconds_of(&rtc->set);
		set_guest_time(rtc, wall, sec);
		rtc->wday_adj = wday_adjust(sec, rtc->set.wday);
	}
	rtc->b = v;
	sync_irq(rtc);
	notify(rtc);
}

static uint8_t read_c(struct vmm_rtc *rtc)
{
	uint8_t v;

	catch_up(rtc, rtc_wall(rtc));
	v = rtc->c;
	if (v & rtc->b & C_FLAGS)
		v |= C_IRQF;
	rtc->c = 0;
	sync_irq(rtc);
	if (v & rtc->b & C_FLAGS)
		notify(rtc);	/* the flags that hid deadlines are clear */
	return v;
}

static bool in_update(const struct vmm_rtc *rtc)
{
	if (rtc->b & B_SET)
		return false;
	return guest_time(rtc, rtc_wall(rtc)).nsec >= NS_PER_SEC - UIP_NS;
}

static uint8_t rtc_read(struct vmm_rtc *rtc, unsigned int reg)
{
	switch (reg) {
	case REG_SEC_ALARM:
	case REG_MIN_ALARM:
	case REG_HOUR_ALARM:
		return rtc->cmos[reg];
	case REG_A:
		return rtc->a | (in_update(rtc) ? A_UIP : 0);
	case REG_B:
		return rtc->b;
	case REG_C:
		return read_c(rtc);
	case REG_D:
		return D_VRT;
	}
	if (reg < REG_A || reg == REG_CENTURY)
		return read_clock(rtc, reg);
	return rtc->cmos[reg];
}

static void rtc_write(struct vmm_rtc *rtc, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case REG_SEC_ALARM:
	case REG_MIN_ALARM:
	case REG_HOUR_ALARM:
		catch_up(rtc, rtc_wall(rtc));
		rtc->cmos[reg] = v;
		notify(rtc);
		return;
	case REG_A:
		catch_up(rtc, rtc_wall(rtc));
		rtc->a = v & ~A_UIP;
		notify(rtc);
		return;
	case REG_B:
		write_b(rtc, v);
		return;
	case REG_C:
	case REG_D:
		return;		/* read-only */
	}
	if (reg < REG_A || reg == REG_CENTURY)
		write_clock(rtc, reg, v);
	else
		rtc->cmos[reg] = v;
}

/*
 * Port 0x70 is write-only on a PC chipset: it reads as 0xff here (the
 * bus's value for nothing), and its bit 7 masks NMIs.  A wider access
 * is taken as one byte per port, as the ISA bus splits it.
 */
static int rtc_io(void *opaque, const struct vmm_access *acc)
{
	struct vmm_rtc *rtc = opaque;

	for (uint32_t i = 0; i < acc->len && acc->offset + i < 2; i++) {
		if (acc->offset + i == 0) {
			if (acc->is_write) {
				rtc->index = acc->data[i] & 0x7f;
				rtc->nmi_masked = acc->data[i] >> 7;
			}
		} else if (acc->is_write) {
			rtc_write(rtc, rtc->index, acc->data[i]);
		} else {
			acc->data[i] = rtc_read(rtc, rtc->index);
		}
	}
	return 0;
}

int vmm_rtc_create(vmm_clock_fn wall, void *wall_opaque,
		   struct vmm_rtc **rtcp)
{
	struct vmm_rtc *rtc;

	if (!rtcp)
		return -EINVAL;
	rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return -ENOMEM;
	rtc->wall = wall;
	rtc->wall_opaque = wall_opaque;
	/* What a BIOS leaves: 32.768 kHz divider, 1024 Hz rate, 24-hour
	 * BCD, no interrupt enabled. */
	rtc->a = 0x26;
	rtc->b = B_24H;
	rtc->last = rtc_wall(rtc);
	vmm_rtc_set_memory(rtc, 0, 0);
	*rtcp = rtc;
	return 0;
}

void vmm_rtc_free(struct vmm_rtc *rtc)
{
	free(rtc);
}

int vmm_rtc_attach(struct vmm_rtc *rtc, struct vmm_bus *bus)
{
	if (!rtc)
		return -EINVAL;
	return vmm_bus_register(bus, 0x70, 2, rtc_io, rtc);
}

void vmm_rtc_set_irq(struct vmm_rtc *rtc, vmm_irq_fn fn, void *opaque,
		     unsigned int irq)
{
	rtc->irq_fn = fn;
	rtc->irq_opaque = opaque;
	rtc->irq = irq;
}

void vmm_rtc_set_notify(struct vmm_rtc *rtc, vmm_notify_fn fn, void *opaque)
{
	rtc->notify_fn = fn;
	rtc->notify_opaque = opaque;
}

int vmm_rtc_nmi_masked(const struct vmm_rtc *rtc)
{
	return rtc->nmi_masked;
}

static void put16(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * The memory bytes as a PC BIOS fills them, in KiB or 64 KiB units, each
 * capped at what its bytes hold.  Also: shutdown status 0 (a normal
 * reset), no floppy drive, no hard disk of the old CMOS types, and the
 * equipment byte 0x02: a math coprocessor, no floppy (bit 0 clear, so
 * the drive count in bits 7-6 means nothing), and primary display type
 * 00, "adapter with its own BIOS or none", the only honest value with
 * no video card; bits 2-3 are reserved or vendor-specific, left clear.
 * The standard checksum of bytes 0x10-0x2d is at 0x2e (high), 0x2f.
 */
void vmm_rtc_set_memory(struct vmm_rtc *rtc, uint64_t below, uint64_t above)
{
	const uint64_t kib = 1024, mib = 1024 * kib;
	uint64_t ext, high, sum = 0;

	below = min_u64(below, 4096 * mib);
	ext = below > mib ? min_u64((below - mib) / kib, 0xffff) : 0;
	high = below > 16 * mib ?
		min_u64((below - 16 * mib) / (64 * kib), 0xffff) : 0;

	rtc->cmos[0x0f] = 0;
	rtc->cmos[0x10] = 0;
	rtc->cmos[0x12] = 0;
	rtc->cmos[0x14] = 0x02;
	put16(&rtc->cmos[0x15], min_u64(below, 640 * kib) / kib);
	put16(&rtc->cmos[0x17], ext);
	put16(&rtc->cmos[0x30], ext);
	put16(&rtc->cmos[0x34], high);
	above = min_u64(above / (64 * kib), 0xffffff);
	put16(&rtc->cmos[0x5b], above);
	rtc->cmos[0x5d] = (uint8_t)(above >> 16);

	for (int i = 0x10; i <= 0x2d; i++)
		sum += rtc->cmos[i];
	rtc->cmos[0x2e] = (uint8_t)(sum >> 8);
	rtc->cmos[0x2f] = (uint8_t)sum;
}

/*
 * The next time an enabled interrupt's flag will be set.  A flag already
 * set has no deadline: setting it again changes nothing (the line is
 * already up) until the guest reads C.  Flags of disabled interrupts are
 * computed when C is read.
 */
uint64_t vmm_rtc_deadline(struct vmm_rtc *rtc)
{
	uint8_t want = rtc->b & C_FLAGS & ~rtc->c;
	struct gtime g = guest_time(rtc, rtc->last);
	uint64_t next = VMM_DEADLINE_NONE;
	int shift = pf_shift(rtc);

	if ((want & C_PF) && shift >= 0)
		next = wall_time(rtc, pf_tick_time(pf_ticks(g, shift) + 1,
						   shift));
	if (rtc->b & B_SET)
		return next;
	if (want & C_UF) {
		struct gtime u = { g.sec + 1, 0 };

		next = min_u64(next, wall_time(rtc, u));
	}
	if (want & C_AF) {
		struct gtime a = { next_alarm(rtc, g.sec), 0 };

		if (a.sec != INT64_MAX)
			next = min_u64(next, wall_time(rtc, a));
	}
	return next;
}

void vmm_rtc_update(struct vmm_rtc *rtc)
{
	catch_up(rtc, rtc_wall(rtc));
	sync_irq(rtc);
}
