// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the 8254 interval timer.
 *
 * Nothing ticks here: every counter is a function of the clock.  Clock
 * time is turned into input clocks of the part (VMM_PIT_HZ) counted on
 * one fixed grid that starts when the PIT is created, so reprogramming a
 * channel never accumulates rounding drift.  A counting element that
 * runs is described by the tick at which it was loaded and the count it
 * was loaded with; its count, its OUT level and the next change of OUT
 * all follow from the ticks elapsed since then.  A low gate stops the
 * elapsed ticks (modes 0, 2, 3, 4); a rising gate restarts them (modes
 * 1, 2, 3, 5) or lets them go on (modes 0, 4).
 *
 * Channel 0's OUT drives an interrupt line.  vmm_pit_update() reports the
 * changes the line has not seen yet.  A one-tick low pulse (modes 2, 4
 * and 5) is reported as 0 then 1 from the tick it starts, so that an
 * edge-triggered PIC latches one request per pulse even when the host
 * looks later than the pulse's 838 ns; pulses or square-wave periods
 * missed while the host was late are coalesced into one rising edge.
 */
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define PIT_BASE	0x40	/* counters 0-2, then the control word */
#define PIT_NPORTS	4
#define PIT_CTRL	3
#define PORT_B		0x61	/* system control port B */

#define PORTB_GATE2	0x01
#define PORTB_SPEAKER	0x02
#define PORTB_REFRESH	0x10
#define PORTB_OUT2	0x20

/*
 * The refresh request of a PC comes from counter 1 in mode 2 with a
 * count of 18 (15.08 us); port B bit 4 toggles with each of them.
 */
#define REFRESH_TICKS	18

#define NSEC_PER_SEC	1000000000ULL
#define NO_EVENT	UINT64_MAX

/* Control word fields. */
#define CW_SC(b)	(((b) >> 6) & 3)
#define CW_RW(b)	(((b) >> 4) & 3)
#define CW_MODE(b)	(((b) >> 1) & 7)
#define CW_BCD		0x01
#define SC_READBACK	3
#define RW_LATCH	0
#define RW_LSB		1
#define RW_MSB		2
#define RW_WORD		3
/* Read-back command: the bits are active low. */
#define RB_NO_COUNT	0x20
#define RB_NO_STATUS	0x10
/* Status byte. */
#define ST_OUT		0x80
#define ST_NULL		0x40

enum chan_state {
	CH_IDLE,	/* not counting: OUT and the count stand still */
	CH_RUN,		/* counting since tick t0 */
	CH_PAUSED,	/* loaded, held by a low gate after 'frozen' ticks */
};

struct pit_chan {
	/* What the control word and the count writes set. */
	uint8_t mode;		/* 0-5: modes 6 and 7 act as 2 and 3 */
	uint8_t mode_bits;	/* as written, for the status byte */
	uint8_t rw;		/* RW_LSB, RW_MSB or RW_WORD */
	bool bcd;
	bool wr_msb;		/* RW_WORD: the next write is the MSB */
	uint8_t wr_lsb;		/* RW_WORD: the LSB already written */
	bool rd_msb;		/* RW_WORD: the next live read is the MSB */
	uint32_t count;		/* 1..65536, or 1..10000 in BCD */
	bool armed;		/* a whole count followed the control word */
	bool null_count;	/* the count is not in the element yet */

	/* Latches. */
	uint16_t latch;		/* as read: BCD-encoded in BCD mode */
	unsigned int latch_bytes; /* bytes of it left to read */
	bool latch_msb;		/* the next latched byte is the MSB */
	uint8_t status;
	bool status_latched;

	/* The counting element. */
	enum chan_state state;
	bool gate;
	uint32_t n;		/* the count it was loaded with */
	uint64_t t0;		/* CH_RUN: the tick of elapsed 0 */
	uint64_t frozen;	/* CH_PAUSED: elapsed ticks */
	uint64_t load_tick;	/* when it was last loaded */
	uint32_t idle_count;	/* CH_IDLE: what the element holds */
	bool idle_out;		/* CH_IDLE: OUT */

	/* Channel 0: the interrupt line as reported. */
	uint64_t rep_e;		/* elapsed ticks reported so far */
	bool rep_level;
};

struct vmm_pit {
	vmm_clock_fn clock;
	void *clock_opaque;
	uint64_t epoch;		/* clock time of tick 0 */
	struct pit_chan ch[3];
	bool speaker;		/* port B bit 1 */
	vmm_irq_fn irq_fn;
	void *irq_opaque;
	unsigned int irq;
	vmm_notify_fn notify_fn;
	void *notify_opaque;
};

static uint64_t monotonic_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The tick the clock is in now: floor((now - epoch) * HZ / 1e9). */
static uint64_t pit_tick(const struct vmm_pit *pit)
{
	uint64_t now = pit->clock(pit->clock_opaque);

	if (now <= pit->epoch)
		return 0;
	return (uint64_t)((unsigned __int128)(now - pit->epoch) * VMM_PIT_HZ /
			  NSEC_PER_SEC);
}

/* The first clock time at which pit_tick() reaches tick. */
static uint64_t tick_to_ns(const struct vmm_pit *pit, uint64_t tick)
{
	unsigned __int128 ns;

	ns = ((unsigned __int128)tick * NSEC_PER_SEC + VMM_PIT_HZ - 1) /
	     VMM_PIT_HZ + pit->epoch;
	if (ns >= VMM_DEADLINE_NONE)
		return VMM_DEADLINE_NONE - 1;
	return (uint64_t)ns;
}

static uint32_t modulus(const struct pit_chan *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 |
			  (v / 10 % 10) << 4 | (v % 10));
}

static uint32_t from_bcd(uint16_t v)
{
	return (v >> 12 & 0xf) * 1000 + (v >> 8 & 0xf) * 100 +
	       (v >> 4 & 0xf) * 10 + (v & 0xf);
}

static uint64_t elapsed(const struct pit_chan *c, uint64_t tick)
{
	if (c->state == CH_PAUSED)
		return c->frozen;
	if (c->state == CH_RUN && tick > c->t0)
		return tick - c->t0;
	return 0;
}

/* Modes 2 and 3 stop counting and hold OUT high while the gate is low. */
static bool gate_forces_high(const struct pit_chan *c)
{
	return (c->mode == 2 || c->mode == 3) && !c->gate;
}

/* The counting element after e ticks (binary, 0..modulus). */
static uint32_t element(const struct pit_chan *c, uint64_t e)
{
	uint32_t n = c->n, m = modulus(c), hi, p, h;

	switch (c->mode) {
	case 2:
		return n - (uint32_t)(e % n);
	case 3:
		/*
		 * Steps of two; an odd count first loses one (high half)
		 * or three (low half) so that the halves are (n+1)/2 and
		 * (n-1)/2 ticks long.
		 */
		hi = (n + 1) / 2;
		p = (uint32_t)(e % n);
		h = p < hi ? p : p - hi;
		if (!(n & 1) || !h)
			return n - 2 * h;
		return p < hi ? n + 1 - 2 * h : n - 1 - 2 * h;
	default:
		/* Counts down through 0 and wraps, OUT or not. */
		return (n + m - (uint32_t)(e % m)) % m;
	}
}

/* OUT as the part drives it, the one-tick pulses included. */
static bool out_level(const struct pit_chan *c, uint64_t tick)
{
	uint64_t e;

	if (c->state == CH_IDLE)
		return c->idle_out;
	if (gate_forces_high(c))
		return true;
	e = elapsed(c, tick);
	switch (c->mode) {
	case 0:
	case 1:
		return e >= c->n;
	case 2:
		return e % c->n != c->n - 1;
	case 3:
		return e % c->n < (c->n + 1) / 2;
	default:
		return e != c->n;
	}
}

/*
 * For the interrupt line: the rising edges OUT made within the first e
 * ticks (a pulse counts from its first tick), and OUT once they are over.
 */
static uint64_t rises(const struct pit_chan *c, uint64_t e)
{
	switch (c->mode) {
	case 2:
		return (e + 1) / c->n;
	case 3:
		return e / c->n;
	default:
		return e >= c->n;
	}
}

static bool settled_level(const struct pit_chan *c, uint64_t e)
{
	if (gate_forces_high(c))
		return true;
	switch (c->mode) {
	case 0:
	case 1:
		return e >= c->n;
	case 3:
		return e % c->n < (c->n + 1) / 2;
	default:
		return true;
	}
}

/* The first elapsed tick after e at which the line changes, or NO_EVENT. */
static uint64_t next_event(const struct pit_chan *c, uint64_t e)
{
	uint64_t base;

	switch (c->mode) {
	case 2:
		return (e + 1) / c->n * c->n + c->n - 1;
	case 3:
		base = e - e % c->n;
		if (e % c->n < (c->n + 1) / 2)
			return base + (c->n + 1) / 2;
		return base + c->n;
	default:
		return e < c->n ? c->n : NO_EVENT;
	}
}

static uint32_t read_element(const struct pit_chan *c, uint64_t tick)
{
	uint32_t v = c->state == CH_IDLE ? c->idle_count :
					   element(c, elapsed(c, tick));

	v %= modulus(c);
	return c->bcd ? to_bcd(v) : v;
}

/* Load the counting element with the count register at tick. */
static void load(struct pit_chan *c, uint64_t tick)
{
	c->n = c->count;
	/* A count of 1 is not allowed in modes 2 and 3: run it as 2. */
	if ((c->mode == 2 || c->mode == 3) && c->n < 2)
		c->n = 2;
	c->t0 = tick;
	c->load_tick = tick;
	c->null_count = false;
	c->rep_e = 0;
	if (!c->gate && c->mode != 1 && c->mode != 5) {
		c->state = CH_PAUSED;
		c->frozen = 0;
	} else {
		c->state = CH_RUN;
	}
}

static void stop(struct pit_chan *c, uint64_t tick, bool out)
{
	if (c->state != CH_IDLE)
		c->idle_count = element(c, elapsed(c, tick));
	c->state = CH_IDLE;
	c->idle_out = out;
}

static void set_gate(struct pit_chan *c, bool gate, uint64_t tick)
{
	if (gate == c->gate)
		return;
	if (!gate) {
		if (c->state == CH_RUN && c->mode != 1 && c->mode != 5) {
			c->frozen = elapsed(c, tick);
			c->state = CH_PAUSED;
		}
		c->gate = false;
		return;
	}
	c->gate = true;
	if (c->mode == 0 || c->mode == 4) {
		if (c->state == CH_PAUSED) {
			c->t0 = tick >= c->frozen ? tick - c->frozen : 0;
			c->state = CH_RUN;
		}
	} else if (c->armed) {
		/* Modes 1 and 5 trigger, modes 2 and 3 start over. */
		load(c, tick);
	}
}

static uint8_t status_byte(struct pit_chan *c, uint64_t tick)
{
	/* The element is loaded on the clock after the write. */
	bool null = c->null_count ||
		    (c->state != CH_IDLE && tick <= c->load_tick);

	return (uint8_t)((out_level(c, tick) ? ST_OUT : 0) |
			 (null ? ST_NULL : 0) | c->rw << 4 |
			 c->mode_bits << 1 | (c->bcd ? 1 : 0));
}

static void latch_count(struct pit_chan *c, uint64_t tick)
{
	/* A latch holds until it was read whole. */
	if (c->latch_bytes)
		return;
	c->latch = (uint16_t)read_element(c, tick);
	c->latch_bytes = c->rw == RW_WORD ? 2 : 1;
	c->latch_msb = c->rw == RW_MSB;
}

static void latch_status(struct pit_chan *c, uint64_t tick)
{
	if (c->status_latched)
		return;
	c->status = status_byte(c, tick);
	c->status_latched = true;
}

static void write_control(struct vmm_pit *pit, uint8_t v, uint64_t tick)
{
	struct pit_chan *c;
	unsigned int i;

	if (CW_SC(v) == SC_READBACK) {
		for (i = 0; i < 3; i++) {
			if (!(v & (2 << i)))
				continue;
			if (!(v & RB_NO_STATUS))
				latch_status(&pit->ch[i], tick);
			if (!(v & RB_NO_COUNT))
				latch_count(&pit->ch[i], tick);
		}
		return;
	}
	c = &pit->ch[CW_SC(v)];
	if (CW_RW(v) == RW_LATCH) {
		latch_count(c, tick);
		return;
	}
	/* The element stops and waits for a count; OUT takes its initial
	 * level: low in mode 0, high in the others. */
	stop(c, tick, false);
	c->mode_bits = CW_MODE(v);
	c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
	c->idle_out = c->mode != 0;
	c->rw = CW_RW(v);
	c->bcd = v & CW_BCD;
	c->wr_msb = false;
	c->rd_msb = false;
	c->latch_bytes = 0;
	c->status_latched = false;
	c->armed = false;
	c->null_count = true;
}

static void write_count(struct pit_chan *c, uint8_t v, uint64_t tick)
{
	uint16_t raw;

	switch (c->rw) {
	case RW_LSB:
		raw = v;
		break;
	case RW_MSB:
		raw = (uint16_t)(v << 8);
		break;
	default:
		if (!c->wr_msb) {
			c->wr_lsb = v;
			c->wr_msb = true;
			/* In mode 0 the first byte already stops the
			 * count and drops OUT. */
			if (c->mode == 0)
				stop(c, tick, false);
			return;
		}
		c->wr_msb = false;
		raw = (uint16_t)(c->wr_lsb | v << 8);
		break;
	}
	c->count = c->bcd ? from_bcd(raw) : raw;
	if (!c->count)
		c->count = modulus(c);
	c->armed = true;
	c->null_count = true;
	/* Modes 1 and 5 wait for a gate trigger; a running one-shot goes
	 * on with the count it had. */
	if (c->mode != 1 && c->mode != 5)
		load(c, tick);
}

static uint8_t read_count(struct pit_chan *c, uint64_t tick)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latch_bytes) {
		v = c->latch;
		msb = c->latch_msb;
		c->latch_msb = !c->latch_msb;
		c->latch_bytes--;
	} else {
		v = (uint16_t)read_element(c, tick);
		msb = c->rw == RW_MSB || (c->rw == RW_WORD && c->rd_msb);
		if (c->rw == RW_WORD)
			c->rd_msb = !c->rd_msb;
	}
	return msb ? v >> 8 : v & 0xff;
}

static void report(struct vmm_pit *pit, bool level)
{
	struct pit_chan *c = &pit->ch[0];

	c->rep_level = level;
	if (pit->irq_fn)
		pit->irq_fn(pit->irq_opaque, pit->irq, level);
}

/* Bring the interrupt line up to tick. */
static void update_irq(struct vmm_pit *pit, uint64_t tick)
{
	struct pit_chan *c = &pit->ch[0];
	bool level;
	uint64_t e;

	if (c->state == CH_IDLE) {
		level = c->idle_out;
	} else {
		e = elapsed(c, tick);
		if (e < c->rep_e)
			e = c->rep_e;	/* the clock went back */
		if (rises(c, e) > rises(c, c->rep_e)) {
			if (c->rep_level)
				report(pit, false);
			report(pit, true);
		}
		level = settled_level(c, e);
		c->rep_e = e;
	}
	if (level != c->rep_level)
		report(pit, level);
}

static uint64_t deadline(const struct vmm_pit *pit)
{
	const struct pit_chan *c = &pit->ch[0];
	uint64_t x;

	if (c->state != CH_RUN)
		return VMM_DEADLINE_NONE;
	x = next_event(c, c->rep_e);
	if (x == NO_EVENT || x > UINT64_MAX - c->t0)
		return VMM_DEADLINE_NONE;
	return tick_to_ns(pit, c->t0 + x);
}

static void pit_write(struct vmm_pit *pit, unsigned int port, uint8_t v,
		      uint64_t tick)
{
	/* Programming counter 0 notifies even with the deadline unchanged:
	 * the owner cannot miss one that way, and a spare one costs it a
	 * look at the deadline. */
	bool ch0 = port == 0 || (port == PIT_CTRL && CW_SC(v) == 0 &&
				 CW_RW(v) != RW_LATCH);
	uint64_t old;

	/* What happened on the line until now belongs to the old
	 * programming; what the write changes is reported at once. */
	update_irq(pit, tick);
	old = deadline(pit);
	if (port == PIT_CTRL)
		write_control(pit, v, tick);
	else
		write_count(&pit->ch[port], v, tick);
	update_irq(pit, tick);
	if (pit->notify_fn && (ch0 || deadline(pit) != old))
		pit->notify_fn(pit->notify_opaque);
}

static int pit_io(void *opaque, const struct vmm_access *acc)
{
	struct vmm_pit *pit = opaque;
	uint64_t tick = pit_tick(pit);
	uint32_t i;

	for (i = 0; i < acc->len; i++) {
		uint64_t port = acc->offset + i;

		if (acc->is_write) {
			if (port < PIT_NPORTS)
				pit_write(pit, (unsigned int)port,
					  acc->data[i], tick);
		} else if (port < PIT_CTRL) {
			acc->data[i] = read_count(&pit->ch[port], tick);
		} else {
			/* The control word cannot be read. */
			acc->data[i] = 0xff;
		}
	}
	return 0;
}

static int port_b_io(void *opaque, const struct vmm_access *acc)
{
	struct vmm_pit *pit = opaque;
	struct pit_chan *c2 = &pit->ch[2];
	uint64_t tick = pit_tick(pit);
	uint8_t v;

	if (acc->is_write) {
		v = acc->data[0];
		pit->speaker = v & PORTB_SPEAKER;
		set_gate(c2, v & PORTB_GATE2, tick);
		return 0;
	}
	v = (c2->gate ? PORTB_GATE2 : 0) | (pit->speaker ? PORTB_SPEAKER : 0) |
	    ((tick / REFRESH_TICKS) & 1 ? PORTB_REFRESH : 0) |
	    (out_level(c2, tick) ? PORTB_OUT2 : 0);
	acc->data[0] = v;
	for (uint32_t i = 1; i < acc->len; i++)
		acc->data[i] = 0xff;
	return 0;
}

int vmm_pit_create(vmm_clock_fn clock, void *clock_opaque,
		   struct vmm_pit **pitp)
{
	struct vmm_pit *pit;
	unsigned int i;

	if (!pitp)
		return -EINVAL;
	pit = calloc(1, sizeof(*pit));
	if (!pit)
		return -ENOMEM;
	pit->clock = clock ? clock : monotonic_ns;
	pit->clock_opaque = clock ? clock_opaque : NULL;
	pit->epoch = pit->clock(pit->clock_opaque);
	/* Nothing programmed: no counting, OUT low, so no interrupt. */
	for (i = 0; i < 3; i++) {
		pit->ch[i].rw = RW_WORD;
		pit->ch[i].count = 65536;
		/* Counters 0 and 1 have their gates tied high; counter
		 * 2's comes from port B, clear at reset. */
		pit->ch[i].gate = i != 2;
	}
	*pitp = pit;
	return 0;
}

void vmm_pit_free(struct vmm_pit *pit)
{
	free(pit);
}

int vmm_pit_attach(struct vmm_pit *pit, struct vmm_bus *bus)
{
	int r;

	if (!pit || !bus)
		return -EINVAL;
	r = vmm_bus_register(bus, PIT_BASE, PIT_NPORTS, pit_io, pit);
	if (r)
		return r;
	r = vmm_bus_register(bus, PORT_B, 1, port_b_io, pit);
	if (r)
		vmm_bus_unregister(bus, PIT_BASE);
	return r;
}

void vmm_pit_set_irq(struct vmm_pit *pit, vmm_irq_fn fn, void *opaque,
		     unsigned int irq)
{
	pit->irq_fn = fn;
	pit->irq_opaque = opaque;
	pit->irq = irq;
}

void vmm_pit_set_notify(struct vmm_pit *pit, vmm_notify_fn fn, void *opaque)
{
	pit->notify_fn = fn;
	pit->notify_opaque = opaque;
}

uint64_t vmm_pit_deadline(struct vmm_pit *pit)
{
	return deadline(pit);
}

void vmm_pit_update(struct vmm_pit *pit)
{
	update_irq(pit, pit_tick(pit));
}
