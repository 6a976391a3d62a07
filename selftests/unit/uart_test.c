// SPDX-License-Identifier: GPL-2.0
/*
 * uart_test: libvmm's 16550A on a port bus, driven the way Linux's 8250
 * driver probes and uses it: scratch register, IER read-back, divisor
 * latch behind DLAB, FIFO bits in IIR after FCR, loopback through MCR and
 * MSR, LSR THRE/TEMT and DR, transmit to a pipe, receive from a pipe.
 *
 * Then a second UART with an interrupt line, as the PC machine wires it:
 * the same probe, the THRE, received-data, line-status and modem-status
 * interrupts with their IIR IDs and priorities, OUT2 gating, loopback
 * keeping them internal, input only through vmm_uart_poll_input (as much
 * as fits, -1 at EOF) and the notify when the guest frees a full FIFO.
 */
#include <fcntl.h>
#include <unistd.h>

#include "test_util.h"

#define BASE	0x3f8

static struct vmm_bus *bus;

static uint8_t in8(unsigned int reg)
{
	uint8_t v;

	vmm_bus_access(bus, NULL, BASE + reg, &v, 1, 0);
	return v;
}

static void out8(unsigned int reg, uint8_t v)
{
	vmm_bus_access(bus, NULL, BASE + reg, &v, 1, 1);
}

/* Without an interrupt line: input is read when the guest looks. */
static void test_polled(void)
{
	int txp[2], rxp[2];
	struct vmm_uart *u;
	char buf[64];
	ssize_t n;
	uint8_t a, b;

	TEST_ASSERT(pipe(txp) == 0 && pipe(rxp) == 0, "pipe");
	fcntl(txp[0], F_SETFL, O_NONBLOCK);
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	TEST_ASSERT_OK(vmm_uart_create(rxp[0], txp[1], &u));
	TEST_ASSERT_OK(vmm_uart_attach(u, bus, BASE));
	tap_ok(vmm_uart_attach(u, bus, BASE + 4) == -EEXIST,
	       "a second UART over the first: -EEXIST");

	out8(7, 0xa5);
	a = in8(7);
	out8(7, 0x5a);
	b = in8(7);
	tap_ok(a == 0xa5 && b == 0x5a, "scratch register keeps what is written");

	out8(1, 0x00);
	a = in8(1);
	out8(1, 0x0f);
	b = in8(1);
	tap_ok(a == 0 && b == 0x0f, "IER reads back 0 and 0x0f (8250 autoconfig)");
	out8(1, 0);

	out8(3, 0x80);			/* DLAB */
	out8(0, 0x01);
	out8(1, 0x00);
	a = in8(0);
	b = in8(1);
	out8(3, 0x03);			/* 8N1, DLAB off */
	tap_ok(a == 0x01 && b == 0x00 && in8(3) == 0x03,
	       "DLL/DLM behind DLAB (115200 baud), LCR reads back");
	tap_ok(in8(1) == 0 && in8(7) == 0x5a,
	       "with DLAB off, offset 1 is IER again");

	tap_ok((in8(2) & 0xcf) == 0x01, "IIR: no interrupt, no FIFO yet");
	out8(2, 0xc7);			/* enable + clear FIFOs, 14-byte trigger */
	tap_ok((in8(2) & 0xc0) == 0xc0, "IIR bits 7:6 set after FCR enable: a 16550A");

	tap_ok((in8(5) & 0x60) == 0x60, "LSR: THRE and TEMT set");
	tap_ok((in8(5) & 0x01) == 0, "LSR: DR clear with no input");

	for (const char *s = "hi!\n"; *s; s++)
		out8(0, (uint8_t)*s);
	n = read(txp[0], buf, sizeof(buf));
	tap_ok(n == 4 && !memcmp(buf, "hi!\n", 4) && vmm_uart_tx_count(u) == 4,
	       "THR writes reach the output fd");

	TEST_ASSERT(write(rxp[1], "ok", 2) == 2, "write");
	tap_ok(in8(5) & 0x01, "input waiting: LSR.DR set");
	a = in8(0);
	b = in8(0);
	tap_ok(a == 'o' && b == 'k' && !(in8(5) & 0x01),
	       "RBR returns the input in order, then DR clears");

	out8(1, 0x01);			/* RDI */
	TEST_ASSERT(write(rxp[1], "x", 1) == 1, "write");
	tap_ok((in8(2) & 0x0f) == 0x04, "IIR: received-data interrupt with IER.RDI");
	in8(0);
	tap_ok((in8(2) & 0x0f) == 0x01, "IIR: none once the byte is read");
	out8(1, 0x02);			/* THRI */
	tap_ok((in8(2) & 0x0f) == 0x02 && (in8(2) & 0x0f) == 0x01,
	       "IIR: THRE interrupt on enabling THRI, cleared by reading IIR");
	out8(1, 0);

	/* Loopback as the 8250 driver tests it: MCR = LOOP | OUT2 | RTS. */
	out8(4, 0x1a);
	tap_ok((in8(6) & 0xf0) == 0x90, "loopback: MSR follows MCR (0x90)");
	out8(4, 0x1f);
	tap_ok((in8(6) & 0xf0) == 0xf0, "loopback: all four lines");
	out8(0, 'L');
	n = read(txp[0], buf, sizeof(buf));
	a = in8(0);
	tap_ok(n < 0 && a == 'L', "loopback: THR goes to RBR, not to the fd");
	out8(4, 0x0b);
	tap_ok((in8(6) & 0xb0) == 0xb0 && in8(4) == 0x0b,
	       "out of loopback: CTS, DSR, DCD asserted; MCR reads back");

	vmm_bus_free(bus);
	vmm_uart_free(u);
	close(txp[0]);
	close(txp[1]);
	close(rxp[0]);
	close(rxp[1]);
}

/* What the interrupt line saw: every call, and whether one repeated the
 * level (a PIC behind it wants changes only). */
static struct {
	unsigned int calls, irq;
	int level;
	bool repeated;
	void *opaque;
} line;
static unsigned int notified;

static void record_irq(void *opaque, unsigned int irq, int level)
{
	if (line.calls && level == line.level)
		line.repeated = true;
	if (!line.calls && level == 0)
		line.repeated = true;	/* the line starts low */
	line.calls++;
	line.irq = irq;
	line.level = level;
	line.opaque = opaque;
}

static void record_notify(void *opaque)
{
	(void)opaque;
	notified++;
}

/* The 8250 driver's autoconfig steps; true if it would see a 16550A. */
static bool probe_16550a(void)
{
	uint8_t scr, ier0, ier1, msr, iir, efr_b, efr_a, iir64, uue;

	out8(7, 0xa5);
	scr = in8(7);
	out8(1, 0);
	ier0 = in8(1) & 0x0f;
	out8(1, 0x0f);
	ier1 = in8(1) & 0x0f;
	out8(1, 0);
	out8(4, 0x1a);			/* LOOP | OUT2 | RTS */
	msr = in8(6) & 0xf0;
	out8(4, 0);
	out8(2, 0x01);			/* FIFO on */
	iir = in8(2);
	out8(3, 0xbf);			/* no EFR there on a 16550A */
	efr_b = in8(2);
	out8(3, 0x80);
	efr_a = in8(2);
	out8(2, 0x21);			/* a 16750 would show a 64-byte FIFO */
	iir64 = in8(2);
	out8(3, 0x03);
	out8(1, 0x40);			/* an XScale keeps IER bit 6 */
	uue = in8(1);
	out8(1, 0);
	out8(2, 0);
	return scr == 0xa5 && ier0 == 0 && ier1 == 0x0f && msr == 0x90 &&
	       (iir & 0xc0) == 0xc0 && efr_b && efr_a && !(iir64 & 0x20) &&
	       uue == 0;
}

/* Read up to len bytes from RBR while LSR.DR says there are some. */
static size_t drain(char *buf, size_t len)
{
	size_t n = 0;

	while (n < len && (in8(5) & 0x01))
		buf[n++] = (char)in8(0);
	return n;
}

/* With an interrupt line, as the PC machine uses it. */
static void test_irq(void)
{
	int txp[2], rxp[2], cookie;
	struct vmm_uart *u;
	char buf[64];
	unsigned int calls;
	size_t n;
	int r, r2;
	uint8_t a, b, c;

	TEST_ASSERT(pipe(txp) == 0 && pipe(rxp) == 0, "pipe");
	fcntl(txp[0], F_SETFL, O_NONBLOCK);
	TEST_ASSERT_OK(vmm_bus_create(VMM_BUS_PIO, &bus));
	TEST_ASSERT_OK(vmm_uart_create(rxp[0], txp[1], &u));
	TEST_ASSERT_OK(vmm_uart_attach(u, bus, BASE));
	vmm_uart_set_irq(u, record_irq, &cookie, 4);
	vmm_uart_set_notify(u, record_notify, NULL);
	tap_ok(line.calls == 0, "irq: nothing pending at set_irq, no call");

	tap_ok(probe_16550a(), "irq: the 8250 probe still finds a 16550A");
	tap_ok(line.calls == 0 && notified == 1,
	       "irq: probe: no IRQ (no OUT2); leaving loopback notified");
	notified = 0;

	/* THRE: pending on enabling THRI, but gated by OUT2. */
	out8(4, 0x03);			/* DTR | RTS, no OUT2 */
	out8(1, 0x02);
	tap_ok(line.calls == 0 && (in8(2) & 0x0f) == 0x02,
	       "irq: THRE pending in IIR but no IRQ without OUT2");
	out8(1, 0);
	out8(1, 0x02);			/* pending again, still gated */
	out8(4, 0x0b);			/* OUT2 opens the gate */
	tap_ok(line.calls == 1 && line.level == 1 && line.irq == 4 &&
	       line.opaque == &cookie,
	       "irq: setting OUT2 with THRE pending raises IRQ 4");
	a = in8(2);
	b = in8(2);
	tap_ok(a == 0x02 && b == 0x01 && line.calls == 2 && line.level == 0,
	       "irq: THRE reported once by IIR (0x02, then 0x01), line low");
	out8(0, 'a');
	tap_ok(line.calls == 3 && line.level == 1,
	       "irq: THRE raised again after a THR write");
	out8(0, 'b');
	tap_ok(line.calls == 3 && line.level == 1,
	       "irq: another THR write while pending: no new call");
	out8(0, 'c');
	a = in8(2);
	out8(1, 0);
	r = (int)read(txp[0], buf, sizeof(buf));
	tap_ok(a == 0x02 && line.calls == 4 && line.level == 0 && r == 3 &&
	       !memcmp(buf, "abc", 3),
	       "irq: IIR read clears it; the bytes reached out_fd");

	/* Received data, FIFO on with an 8-byte trigger (as Linux sets). */
	out8(2, 0x87);
	out8(1, 0x01);
	TEST_ASSERT(write(rxp[1], "012", 3) == 3, "write");
	a = in8(5);
	tap_ok(!(a & 0x01) && line.calls == 4,
	       "irq: guest LSR reads do not take input from in_fd");
	r = vmm_uart_poll_input(u);
	a = in8(2);
	tap_ok(r == 3 && line.calls == 5 && line.level == 1 && a == 0xcc,
	       "irq: 3 bytes polled, below the trigger: IRQ, IIR 0xcc");
	TEST_ASSERT(write(rxp[1], "34567", 5) == 5, "write");
	r = vmm_uart_poll_input(u);
	a = in8(2);
	tap_ok(r == 5 && line.calls == 5 && a == 0xc4,
	       "irq: 8 bytes, at the trigger: IIR 0xc4 (data), no new call");
	n = drain(buf, sizeof(buf));
	a = in8(2);
	tap_ok(n == 8 && !memcmp(buf, "01234567", 8) && a == 0xc1 &&
	       line.calls == 6 && line.level == 0,
	       "irq: FIFO drained in order: IIR 0xc1, line low");

	/* Priority: received data before THRE. */
	out8(1, 0x03);			/* RDI | THRI: THRE pending */
	TEST_ASSERT(write(rxp[1], "p", 1) == 1, "write");
	r = vmm_uart_poll_input(u);
	a = in8(2);
	b = in8(0);
	c = in8(2);
	tap_ok(r == 1 && a == 0xcc && b == 'p' && c == 0xc2 &&
	       (in8(2) & 0x0f) == 0x01,
	       "irq: IIR gives RX (0xcc) before THRE (0xc2), then none");
	tap_ok(line.calls == 8 && line.level == 0,
	       "irq: one rise and one fall for the two sources");
	out8(1, 0x01);

	/* poll_input takes what fits; reading a full FIFO notifies. */
	TEST_ASSERT(write(rxp[1], "ABCDEFGHIJKLMNOPQRST", 20) == 20, "write");
	r = vmm_uart_poll_input(u);
	r2 = vmm_uart_poll_input(u);
	tap_ok(r == 16 && r2 == 0 && vmm_uart_input_room(u) == 0 &&
	       !(in8(5) & 0x02) && line.calls == 9 && line.level == 1,
	       "irq: poll_input fills 16, then 0 with the FIFO full, no OE");
	a = in8(0);
	tap_ok(a == 'A' && notified == 1 && vmm_uart_input_room(u) == 1,
	       "irq: reading RBR from a full FIFO notifies, room again");
	a = in8(0);
	tap_ok(a == 'B' && notified == 1,
	       "irq: no notify for a read from a FIFO that was not full");
	r = vmm_uart_poll_input(u);
	tap_ok(r == 2 && vmm_uart_input_room(u) == 0,
	       "irq: poll_input takes only the 2 free places");
	n = drain(buf, sizeof(buf));
	tap_ok(n == 16 && !memcmp(buf, "CDEFGHIJKLMNOPQR", 16) &&
	       notified == 2 && line.calls == 10 && line.level == 0,
	       "irq: the 16 following bytes in order, notified once more");
	r = vmm_uart_poll_input(u);
	n = drain(buf, sizeof(buf));
	tap_ok(r == 2 && n == 2 && !memcmp(buf, "ST", 2) && line.calls == 12,
	       "irq: the rest of the input, one more rise and fall");

	/* Loopback: interrupts internal, no input taken, overrun in LSR. */
	out8(1, 0x05);			/* RDI | RLSI */
	out8(4, 0x1b);			/* LOOP | OUT2 | RTS | DTR */
	TEST_ASSERT(write(rxp[1], "w", 1) == 1, "write");
	r = vmm_uart_poll_input(u);
	tap_ok(r == 0 && vmm_uart_input_room(u) == 0,
	       "irq: in loopback poll_input takes nothing, no room");
	for (int i = 0; i < 17; i++)
		out8(0, (uint8_t)('a' + i));
	a = in8(2);
	b = in8(5);
	c = in8(2);
	tap_ok(a == 0xc6 && (b & 0x03) == 0x03 && c == 0xc4,
	       "irq: loopback overrun: IIR 0xc6 (line status) before data");
	tap_ok(line.calls == 12 && line.level == 0,
	       "irq: loopback keeps the interrupts off the line");
	n = drain(buf, sizeof(buf));
	tap_ok(n == 16 && !memcmp(buf, "abcdefghijklmnop", 16) &&
	       (in8(2) & 0x0f) == 0x01,
	       "irq: the FIFO kept the first 16 bytes, the 17th was lost");
	tap_ok(notified == 2, "irq: no notify while in loopback");

	/* Modem status: the lines follow MCR in loopback. */
	out8(1, 0x08);			/* MSI */
	in8(6);
	out8(4, 0x18);			/* LOOP | OUT2: CTS and DSR drop */
	a = in8(2);
	b = in8(6);
	c = in8(2);
	tap_ok(a == 0xc0 && b == 0x83 && c == 0xc1,
	       "irq: MSR deltas (0x83) give IIR 0xc0 until MSR is read");
	out8(4, 0x1c);			/* OUT1 -> RI rises: no delta */
	a = in8(2);
	out8(4, 0x18);			/* RI falls: TERI */
	b = in8(2);
	c = in8(6);
	tap_ok(a == 0xc1 && b == 0xc0 && c == 0x84,
	       "irq: RI trailing edge only sets TERI (0x04)");
	out8(4, 0x08);			/* out of loopback, OUT2 */
	a = in8(2);
	calls = line.calls;
	b = in8(6);
	tap_ok(calls == 13 && a == 0xc0 && b == 0xb3 && line.calls == 14 &&
	       line.level == 0,
	       "irq: leaving loopback changes CTS/DSR: IRQ until MSR read");
	tap_ok(notified == 3 && vmm_uart_input_room(u) == 1,
	       "irq: leaving loopback notifies: room for input again");

	/* Input waiting in the pipe, then EOF. */
	out8(1, 0x01);
	close(rxp[1]);
	r = vmm_uart_poll_input(u);
	a = in8(0);
	r2 = vmm_uart_poll_input(u);
	tap_ok(r == 1 && a == 'w' && r2 == -1 && vmm_uart_poll_input(u) == -1,
	       "irq: the byte kept through loopback, then -1 at EOF");
	tap_ok(!line.repeated && line.calls == 16,
	       "irq: every call changed the level");

	vmm_bus_free(bus);
	vmm_uart_free(u);
	close(txp[0]);
	close(txp[1]);
	close(rxp[0]);
}

int main(void)
{
	tap_plan(51);
	test_polled();
	test_irq();
	tap_exit();
}
