// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: built-in devices: a 16550A UART and a debug-exit port.
 *
 * The UART has no interrupt line and no timing: a transmitted byte goes
 * to the output fd at once, so the transmitter is always empty.  What a
 * driver probes (scratch register, IER read-back, FIFO bits in IIR,
 * loopback through MCR/MSR, divisor latch behind DLAB) behaves like the
 * real part.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Register offsets. */
#define UART_RBR	0	/* read, DLAB=0 */
#define UART_THR	0	/* write, DLAB=0 */
#define UART_DLL	0	/* DLAB=1 */
#define UART_IER	1	/* DLAB=0 */
#define UART_DLM	1	/* DLAB=1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define LCR_DLAB	0x80
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define IIR_NO_INT	0x01
#define IIR_RX_DATA	0x04
#define IIR_THRE	0x02
#define IIR_FIFO	0xc0
#define IER_RDI		0x01
#define IER_THRI	0x02
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define RX_FIFO		16

struct vmm_uart {
	pthread_mutex_t lock;	/* vCPUs may race on the registers */
	int in_fd, out_fd;
	bool in_eof;
	uint8_t ier, fcr, lcr, mcr, lsr_err, msr_delta, scr, dll, dlm;
	uint8_t last_msr;
	uint8_t rx[RX_FIFO];
	unsigned int rx_head, rx_len;
	bool thr_int;		/* a THRE interrupt is pending (IIR view) */
	uint64_t tx_count;
};

int vmm_uart_create(int in_fd, int out_fd, struct vmm_uart **uartp)
{
	struct vmm_uart *u;

	if (!uartp)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	pthread_mutex_init(&u->lock, NULL);
	u->in_fd = in_fd;
	u->out_fd = out_fd;
	u->dll = 0x0c;		/* 9600 baud, the usual reset divisor */
	u->lcr = 0x03;		/* 8N1 */
	*uartp = u;
	return 0;
}

void vmm_uart_free(struct vmm_uart *uart)
{
	if (!uart)
		return;
	pthread_mutex_destroy(&uart->lock);
	free(uart);
}

uint64_t vmm_uart_tx_count(const struct vmm_uart *uart)
{
	return uart ? __atomic_load_n(&uart->tx_count, __ATOMIC_RELAXED) : 0;
}

static void rx_push(struct vmm_uart *u, uint8_t c)
{
	if (u->rx_len == RX_FIFO) {
		u->lsr_err |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_len) % RX_FIFO] = c;
	u->rx_len++;
}

/* Fill the receive FIFO from in_fd, without blocking. */
static void rx_poll(struct vmm_uart *u)
{
	uint8_t buf[RX_FIFO];
	struct pollfd pfd;
	ssize_t n;

	if (u->in_fd < 0 || u->in_eof || (u->mcr & MCR_LOOP) ||
	    u->rx_len == RX_FIFO)
		return;
	pfd.fd = u->in_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
		return;
	n = read(u->in_fd, buf, RX_FIFO - u->rx_len);
	if (n == 0)
		u->in_eof = true;
	for (ssize_t i = 0; i < n; i++)
		rx_push(u, buf[i]);
}

static void tx(struct vmm_uart *u, uint8_t c)
{
	u->tx_count++;
	u->thr_int = true;
	if (u->mcr & MCR_LOOP) {
		rx_push(u, c);
		return;
	}
	if (u->out_fd < 0)
		return;
	while (write(u->out_fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* The modem status lines: in loopback they follow MCR's outputs. */
static uint8_t msr_lines(const struct vmm_uart *u)
{
	if (u->mcr & MCR_LOOP)
		return (uint8_t)(((u->mcr & 0x02) << 3) |	/* RTS -> CTS */
				 ((u->mcr & 0x01) << 5) |	/* DTR -> DSR */
				 ((u->mcr & 0x04) << 4) |	/* OUT1 -> RI */
				 ((u->mcr & 0x08) << 4));	/* OUT2 -> DCD */
	return 0xb0;	/* CTS, DSR, DCD: a terminal is connected */
}

static uint8_t uart_read(struct vmm_uart *u, unsigned int reg)
{
	uint8_t v, lines;

	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		rx_poll(u);
		if (!u->rx_len)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % RX_FIFO;
		u->rx_len--;
		return v;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		v = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
		rx_poll(u);
		if ((u->ier & IER_RDI) && u->rx_len)
			return v | IIR_RX_DATA;
		if ((u->ier & IER_THRI) && u->thr_int) {
			u->thr_int = false;	/* reading IIR clears it */
			return v | IIR_THRE;
		}
		return v | IIR_NO_INT;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		rx_poll(u);
		v = LSR_THRE | LSR_TEMT | u->lsr_err | (u->rx_len ? LSR_DR : 0);
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		lines = msr_lines(u);
		/* Delta bits: CTS, DSR, DCD changed; RI trailing edge. */
		v = (uint8_t)(((lines ^ u->last_msr) & 0xb0) >> 4);
		if ((u->last_msr & 0x40) && !(lines & 0x40))
			v |= 0x04;
		u->last_msr = lines;
		return lines | v;
	case UART_SCR:
	default:
		return u->scr;
	}
}

static void uart_write(struct vmm_uart *u, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case UART_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			tx(u, v);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			/* Enabling THRI with an empty THR raises it (8250). */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thr_int = true;
			u->ier = v & 0x0f;
		}
		break;
	case UART_FCR:
		if (v & FCR_CLEAR_RX) {
			u->rx_head = 0;
			u->rx_len = 0;
		}
		u->fcr = v & 0xc9;	/* enable, DMA mode, trigger level */
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break;		/* read-only */
	case UART_SCR:
	default:
		u->scr = v;
		break;
	}
}

static int uart_handler(void *opaque, const struct vmm_access *acc)
{
	struct vmm_uart *u = opaque;

	/* Wider accesses touch consecutive registers, byte by byte. */
	pthread_mutex_lock(&u->lock);
	for (uint32_t i = 0; i < acc->len; i++) {
		unsigned int reg = (unsigned int)((acc->offset + i) & 7);

		if (acc->is_write)
			uart_write(u, reg, acc->data[i]);
		else
			acc->data[i] = uart_read(u, reg);
	}
	pthread_mutex_unlock(&u->lock);
	return 0;
}

int vmm_uart_attach(struct vmm_uart *uart, struct vmm_bus *bus, uint16_t base)
{
	if (!uart || !bus)
		return -EINVAL;
	return vmm_bus_register(bus, base, 8, uart_handler, uart);
}

/* ---- debug exit ---- */

static int debug_exit_handler(void *opaque, const struct vmm_access *acc)
{
	uint32_t code = 0;

	(void)opaque;
	if (!acc->is_write)
		return 0;	/* reads see all ones */
	for (uint32_t i = acc->len; i-- > 0;)
		code = (code << 8) | acc->data[i];
	if (acc->vcpu)
		vmm_vcpu_stop_vm(acc->vcpu, VMM_STOP_DEBUG_EXIT, code);
	return 0;
}

int vmm_debug_exit_attach(struct vmm_bus *bus, uint16_t port)
{
	return vmm_bus_register(bus, port, 1, debug_exit_handler, NULL);
}
