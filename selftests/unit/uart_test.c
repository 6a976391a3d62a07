// SPDX-License-Identifier: GPL-2.0
/*
 * uart_test: libvmm's 16550A on a port bus, driven the way Linux's 8250
 * driver probes and uses it: scratch register, IER read-back, divisor
 * latch behind DLAB, FIFO bits in IIR after FCR, loopback through MCR and
 * MSR, LSR THRE/TEMT and DR, transmit to a pipe, receive from a pipe.
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

int main(void)
{
	int txp[2], rxp[2];
	struct vmm_uart *u;
	char buf[64];
	ssize_t n;
	uint8_t a, b;

	tap_plan(19);
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
	tap_exit();
}
