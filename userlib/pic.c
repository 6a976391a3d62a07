// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the 8259A interrupt controller pair.
 *
 * Two 8259As as on a PC/AT: the master at 0x20-0x21 and the slave at
 * 0xa0-0xa1, whose INT output drives the master's IR2 as a level, plus
 * the PIIX-style edge/level control registers (ELCR) at 0x4d0-0x4d1.
 *
 * Each chip keeps the datasheet registers: IRR (requests), ISR (in
 * service), IMR (mask), and a priority pointer (the line of lowest
 * priority, moved by the rotation commands).  A request is delivered only
 * if it is unmasked and of higher priority than every level in service
 * (fully nested mode); the master's IR2 in service therefore also holds
 * back every further slave request until it gets its EOI (special fully
 * nested mode is not modelled: ICW4's SFNM, BUF and M/S bits are stored
 * and ignored, as is ICW3, the cascade being wired).
 *
 * Triggering: an edge-mode line latches a request in IRR on a 0->1
 * change of its input, and the latch goes away when the request is
 * acknowledged or the input drops before that (the acknowledge then finds
 * nothing and gives the spurious IR7 vector of that chip).  A level-mode
 * line (ICW1.LTIM for all lines of a chip, or its ELCR bit) requests
 * while its input is high.  IRQ 0, 1, 2, 8 and 13 are always edge
 * triggered: their ELCR bits read 0 and cannot be set.
 *
 * Power-on state: both chips as a PC BIOS leaves them after its ICWs
 * (cascade, 8086 mode, vector bases 0x08 and 0x70), but with every line
 * masked, so nothing is delivered until the guest programs the pair.
 *
 * Port accesses wider than a byte are handled byte by byte: byte i of
 * the access goes to port addr + i, so a 2-byte access to 0x20 reaches
 * the even and the odd port in turn; bytes beyond the chip's two ports
 * are dropped (writes) or read as 0xff.
 */
#include <stdlib.h>

#include "internal.h"

#define PIC_MASTER_BASE	0x20
#define PIC_SLAVE_BASE	0xa0
#define PIC_ELCR_BASE	0x4d0
#define PIC_CASCADE_IR	2
#define PIC_SPURIOUS_IR	7

/* Commands written to the even port, told apart by bits 4 and 3. */
#define ICW1		0x10
#define ICW1_IC4	0x01	/* ICW4 follows */
#define ICW1_SNGL	0x02	/* single chip: no ICW3 */
#define ICW1_LTIM	0x08	/* level-triggered mode for every line */
#define OCW3		0x08

#define ICW4_AEOI	0x02

/* OCW2: bits 7-5 select the command, bits 2-0 the level. */
#define OCW2_CMD(v)	((v) & 0xe0)
#define OCW2_LEVEL(v)	((v) & 0x07)
#define OCW2_ROT_AEOI_CLEAR	0x00
#define OCW2_EOI		0x20
#define OCW2_NOP		0x40
#define OCW2_SPECIFIC_EOI	0x60
#define OCW2_ROT_AEOI_SET	0x80
#define OCW2_ROT_EOI		0xa0
#define OCW2_SET_PRIORITY	0xc0
#define OCW2_ROT_SPECIFIC_EOI	0xe0

#define OCW3_RIS	0x01	/* with RR: 1 = read ISR, 0 = read IRR */
#define OCW3_RR		0x02
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20	/* with ESMM: 1 = set special mask mode */
#define OCW3_ESMM	0x40

#define POLL_INT	0x80	/* poll word: an interrupt was pending */

/* ELCR bits that exist: IRQ 0, 1, 2 (master) and 8, 13 (slave) stay edge. */
#define ELCR_MASTER_MASK	0xf8
#define ELCR_SLAVE_MASK		0xde

enum { MASTER, SLAVE };

struct pic_chip {
	uint8_t irr;		/* requests: edge latches and level inputs */
	uint8_t isr;
	uint8_t imr;
	uint8_t pin;		/* input levels as last driven */
	uint8_t elcr;
	uint8_t elcr_mask;	/* ELCR bits that can be set */
	uint8_t base;		/* ICW2 with its low three bits cleared */
	uint8_t icw3;		/* stored only: the cascade is wired */
	uint8_t icw4;		/* only AEOI acts */
	uint8_t lowest;		/* the line of lowest priority */
	uint8_t init_step;	/* next ICW expected (2, 3, 4), 0: none */
	bool icw1_ic4;
	bool icw1_single;
	bool ltim;
	bool rotate_aeoi;	/* AEOI makes the acknowledged line lowest */
	bool read_isr;		/* the even port reads ISR, else IRR */
	bool poll;		/* the next even-port read is a poll */
	bool special_mask;
	uint8_t fixed_level;	/* lines always level triggered (master IR2) */
};

struct vmm_pic {
	struct pic_chip chip[2];
	bool out;		/* the master's INT, as last computed */
	vmm_notify_fn notify;
	void *notify_opaque;
	uint64_t acks[16];
};

static uint8_t bit(unsigned int line)
{
	return (uint8_t)(1u << line);
}

/* The lines of c whose IRR follows the input rather than latching. */
static uint8_t level_lines(const struct pic_chip *c)
{
	return (c->ltim ? 0xff : c->elcr) | c->fixed_level;
}

/* Level-mode lines: IRR is the input. */
static void chip_sync_levels(struct pic_chip *c)
{
	uint8_t lv = level_lines(c);

	c->irr = (uint8_t)((c->irr & ~lv) | (c->pin & lv));
}

/*
 * In-service bits that take part in priority resolution: in special mask
 * mode a masked level in service holds back nothing, so the levels below
 * it are enabled too.
 */
static uint8_t chip_isr_active(const struct pic_chip *c)
{
	return c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
}

/* The n-th line in priority order, 0 = the highest. */
static unsigned int chip_nth(const struct pic_chip *c, unsigned int n)
{
	return (c->lowest + 1 + n) & 7;
}

/*
 * The line the chip would ask the CPU for: the highest-priority unmasked
 * request above every active in-service level, or -1.
 */
static int chip_pending(const struct pic_chip *c)
{
	uint8_t req = c->irr & ~c->imr;
	uint8_t isr = chip_isr_active(c);

	if (!req)
		return -1;
	for (unsigned int n = 0; n < 8; n++) {
		unsigned int line = chip_nth(c, n);

		if (isr & bit(line))
			return -1;
		if (req & bit(line))
			return (int)line;
	}
	return -1;
}

/* The highest-priority active in-service line, or -1. */
static int chip_highest_isr(const struct pic_chip *c)
{
	uint8_t isr = chip_isr_active(c);

	for (unsigned int n = 0; n < 8; n++) {
		unsigned int line = chip_nth(c, n);

		if (isr & bit(line))
			return (int)line;
	}
	return -1;
}

/*
 * The acknowledge of line on c (INTA or poll): the edge latch is
 * consumed and the line goes in service, or with AEOI is done at once.
 */
static void chip_ack_line(struct pic_chip *c, unsigned int line)
{
	if (!(level_lines(c) & bit(line)))
		c->irr &= (uint8_t)~bit(line);
	if (c->icw4 & ICW4_AEOI) {
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)line;
	} else {
		c->isr |= bit(line);
	}
}

/* What ICW1 does before the other ICWs come. */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->icw1_ic4 = v & ICW1_IC4;
	c->icw1_single = v & ICW1_SNGL;
	c->ltim = v & ICW1_LTIM;
	c->imr = 0;
	c->isr = 0;
	/* The edge-sense circuit is reset: edge lines need a new 0->1. */
	c->irr = 0;
	chip_sync_levels(c);
	c->lowest = 7;
	c->read_isr = false;
	c->poll = false;
	c->special_mask = false;
	c->rotate_aeoi = false;
	c->icw4 = 0;		/* ICW4 functions are off unless it comes */
	c->init_step = 2;
}

static void chip_icw(struct pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->base = v & 0xf8;
		if (!c->icw1_single)
			c->init_step = 3;
		else
			c->init_step = c->icw1_ic4 ? 4 : 0;
		break;
	case 3:
		c->icw3 = v;
		c->init_step = c->icw1_ic4 ? 4 : 0;
		break;
	default:
		c->icw4 = v;
		c->init_step = 0;
		break;
	}
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	unsigned int level = OCW2_LEVEL(v);
	int line;

	switch (OCW2_CMD(v)) {
	case OCW2_EOI:
	case OCW2_ROT_EOI:
		/* In special mask mode a masked level is not ended. */
		line = chip_highest_isr(c);
		if (line < 0)
			break;
		c->isr &= (uint8_t)~bit((unsigned int)line);
		if (OCW2_CMD(v) == OCW2_ROT_EOI)
			c->lowest = (uint8_t)line;
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= (uint8_t)~bit(level);
		break;
	case OCW2_ROT_SPECIFIC_EOI:
		c->isr &= (uint8_t)~bit(level);
		c->lowest = (uint8_t)level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest = (uint8_t)level;
		break;
	case OCW2_ROT_AEOI_SET:
		c->rotate_aeoi = true;
		break;
	case OCW2_ROT_AEOI_CLEAR:
		c->rotate_aeoi = false;
		break;
	case OCW2_NOP:
	default:
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->special_mask = v & OCW3_SMM;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	c->poll = v & OCW3_POLL;
}

/*
 * Recompute the cascade (slave INT on master IR2) and the master's INT.
 * The notify runs if the output rose, or if it is high after a guest
 * access or an acknowledge (force), which may have changed what is due.
 */
static void pic_update(struct vmm_pic *pic, bool force)
{
	struct pic_chip *m = &pic->chip[MASTER];
	bool old = pic->out;
	uint8_t cas = bit(PIC_CASCADE_IR);

	if (chip_pending(&pic->chip[SLAVE]) >= 0)
		m->pin |= cas;
	else
		m->pin &= (uint8_t)~cas;
	chip_sync_levels(m);
	pic->out = chip_pending(m) >= 0;
	if (pic->out && (!old || force) && pic->notify)
		pic->notify(pic->notify_opaque);
}

static void pic_count(struct vmm_pic *pic, unsigned int irq)
{
	pic->acks[irq]++;
}

/* Poll command: the read acknowledges the chip's request, if any. */
static uint8_t chip_poll(struct vmm_pic *pic, unsigned int idx)
{
	struct pic_chip *c = &pic->chip[idx];
	int line = chip_pending(c);

	c->poll = false;
	if (line < 0)
		return 0;
	chip_ack_line(c, (unsigned int)line);
	/* A master poll of IR2 names the cascade, not a slave line. */
	if (idx == SLAVE)
		pic_count(pic, 8 + (unsigned int)line);
	else if (line != PIC_CASCADE_IR)
		pic_count(pic, (unsigned int)line);
	return (uint8_t)(POLL_INT | line);
}

static uint8_t pic_read_port(struct vmm_pic *pic, uint64_t port)
{
	struct pic_chip *c;
	unsigned int idx;

	switch (port) {
	case PIC_ELCR_BASE:
	case PIC_ELCR_BASE + 1:
		return pic->chip[port - PIC_ELCR_BASE].elcr;
	case PIC_MASTER_BASE:
	case PIC_MASTER_BASE + 1:
		idx = MASTER;
		break;
	case PIC_SLAVE_BASE:
	case PIC_SLAVE_BASE + 1:
		idx = SLAVE;
		break;
	default:
		return 0xff;
	}
	c = &pic->chip[idx];
	if (port & 1)
		return c->imr;
	if (c->poll)
		return chip_poll(pic, idx);
	return c->read_isr ? c->isr : c->irr;
}

static void pic_write_port(struct vmm_pic *pic, uint64_t port, uint8_t v)
{
	struct pic_chip *c;

	switch (port) {
	case PIC_ELCR_BASE:
	case PIC_ELCR_BASE + 1:
		c = &pic->chip[port - PIC_ELCR_BASE];
		c->elcr = v & c->elcr_mask;
		chip_sync_levels(c);
		return;
	case PIC_MASTER_BASE:
	case PIC_MASTER_BASE + 1:
		c = &pic->chip[MASTER];
		break;
	case PIC_SLAVE_BASE:
	case PIC_SLAVE_BASE + 1:
		c = &pic->chip[SLAVE];
		break;
	default:
		return;
	}
	if (port & 1) {
		if (c->init_step)
			chip_icw(c, v);
		else
			c->imr = v;
	} else if (v & ICW1) {
		chip_icw1(c, v);
	} else if (v & OCW3) {
		chip_ocw3(c, v);
	} else {
		chip_ocw2(c, v);
	}
}

static int pic_handler(void *opaque, const struct vmm_access *acc)
{
	struct vmm_pic *pic = opaque;

	for (uint32_t i = 0; i < acc->len; i++) {
		if (acc->is_write)
			pic_write_port(pic, acc->addr + i, acc->data[i]);
		else
			acc->data[i] = pic_read_port(pic, acc->addr + i);
	}
	pic_update(pic, true);
	return 0;
}

static void chip_power_on(struct pic_chip *c, uint8_t base, uint8_t icw3,
			  uint8_t elcr_mask)
{
	chip_icw1(c, ICW1 | ICW1_IC4);
	chip_icw(c, base);
	chip_icw(c, icw3);
	chip_icw(c, 0x01);	/* 8086 mode */
	c->imr = 0xff;
	c->elcr_mask = elcr_mask;
}

int vmm_pic_create(struct vmm_pic **picp)
{
	struct vmm_pic *pic;

	if (!picp)
		return -EINVAL;
	pic = calloc(1, sizeof(*pic));
	if (!pic)
		return -ENOMEM;
	/* The slave's INT is a level on IR2, whatever ICW1 and ELCR say. */
	pic->chip[MASTER].fixed_level = bit(PIC_CASCADE_IR);
	chip_power_on(&pic->chip[MASTER], 0x08, bit(PIC_CASCADE_IR),
		      ELCR_MASTER_MASK);
	chip_power_on(&pic->chip[SLAVE], 0x70, PIC_CASCADE_IR,
		      ELCR_SLAVE_MASK);
	*picp = pic;
	return 0;
}

void vmm_pic_free(struct vmm_pic *pic)
{
	free(pic);
}

int vmm_pic_attach(struct vmm_pic *pic, struct vmm_bus *bus)
{
	static const uint16_t bases[] = {
		PIC_MASTER_BASE, PIC_SLAVE_BASE, PIC_ELCR_BASE,
	};
	size_t i;
	int r = 0;

	if (!pic || !bus)
		return -EINVAL;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		r = vmm_bus_register(bus, bases[i], 2, pic_handler, pic);
		if (r < 0)
			break;
	}
	if (r < 0) {
		while (i-- > 0)
			vmm_bus_unregister(bus, bases[i]);
	}
	return r;
}

void vmm_pic_set_irq(void *opaque, unsigned int irq, int level)
{
	struct vmm_pic *pic = opaque;
	struct pic_chip *c;
	uint8_t b;

	/* IR2 of the master is the cascade: no outside input drives it. */
	if (irq >= 16 || irq == PIC_CASCADE_IR)
		return;
	c = &pic->chip[irq / 8];
	b = bit(irq % 8);
	if (level) {
		if (!(c->pin & b))
			c->irr |= b;	/* a rising edge */
		c->pin |= b;
	} else {
		c->irr &= (uint8_t)~b;	/* a request dropped before INTA */
		c->pin &= (uint8_t)~b;
	}
	chip_sync_levels(c);
	pic_update(pic, false);
}

int vmm_pic_output(const struct vmm_pic *pic)
{
	return pic->out;
}

int vmm_pic_ack(struct vmm_pic *pic)
{
	struct pic_chip *m = &pic->chip[MASTER], *s = &pic->chip[SLAVE];
	int line = chip_pending(m), sline;
	int vec;

	if (line < 0) {
		vec = m->base + PIC_SPURIOUS_IR;
	} else if (line == PIC_CASCADE_IR) {
		/* The master's IR2 goes in service even if the slave's
		 * request went away and it answers with its IR7. */
		chip_ack_line(m, PIC_CASCADE_IR);
		sline = chip_pending(s);
		if (sline < 0) {
			vec = s->base + PIC_SPURIOUS_IR;
		} else {
			chip_ack_line(s, (unsigned int)sline);
			pic_count(pic, 8 + (unsigned int)sline);
			vec = s->base + sline;
		}
	} else {
		chip_ack_line(m, (unsigned int)line);
		pic_count(pic, (unsigned int)line);
		vec = m->base + line;
	}
	pic_update(pic, true);
	return vec;
}

void vmm_pic_set_notify(struct vmm_pic *pic, vmm_notify_fn fn, void *opaque)
{
	pic->notify = fn;
	pic->notify_opaque = opaque;
}

uint64_t vmm_pic_ack_count(const struct vmm_pic *pic, unsigned int irq)
{
	return irq < 16 ? pic->acks[irq] : 0;
}
