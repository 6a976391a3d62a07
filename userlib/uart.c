// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: built-in devices: a 16550A UART and a debug-exit port.
 *
 * The UART has no timing: a transmitted byte goes to the output fd at
 * once, so the transmitter is always empty.  What a driver probes
 * (scratch register, IER read-back, FIFO bits in IIR, loopback through
 * MCR/MSR, divisor latch behind DLAB) behaves like the real part.
 *
 * Alone (as launchers use it) it has no interrupt line and takes input
 * from in_fd whenever the guest looks at RBR, LSR or IIR.  Given a line
 * (vmm_uart_set_irq, the PC machine) it raises the four 16550A interrupt
 * sources and takes input only from vmm_uart_poll_input, which the
 * machine's thread calls when in_fd is readable: a vCPU then never
 * touches in_fd.
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
#define FCR_TRIGGER	0xc0
#define IIR_NO_INT	0x01
#define IIR_MSI		0x00	/* the interrupt IDs, lowest priority first */
#define IIR_THRE	0x02
#define IIR_RX_DATA	0x04
#define IIR_RLSI	0x06
#define IIR_RX_TIMEOUT	0x0c
#define IIR_FIFO	0xc0
#define IER_RDI		0x01
#define IER_THRI	0x02
#define IER_RLSI	0x04
#define IER_MSI		0x08
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_ERRORS	0x1e	/* OE, PE, FE, BI: the line status source */
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define RX_FIFO		16

struct vmm_uart {
	pthread_mutex_t lock;	/* vCPUs may race on the registers */
	int in_fd, out_fd;
	bool in_eof;
	uint8_t ier, fcr, lcr, mcr, lsr_err, msr_delta, scr, dll, dlm;
	uint8_t last_msr;	/* the modem lines, bits 7:4 of MSR */
	uint8_t rx[RX_FIFO];
	unsigned int rx_head, rx_len;
	bool thr_int;		/* a THRE interrupt is pending (IIR view) */
	uint64_t tx_count;
	struct vmm_vcpu *vcpu;	/* making the current access, or NULL */

	/* The interrupt line, if any, and the level last driven on it. */
	vmm_irq_fn irq_fn;
	void *irq_opaque;
	unsigned int irq;
	int irq_level;

	vmm_notify_fn notify_fn;
	void *notify_opaque;
};

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
	/* Reset clears the deltas: the lines as they are count as seen. */
	u->last_msr = msr_lines(u);
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

/*
 * Room for input from in_fd.  In loopback the serial input is cut off
 * from the receiver, so there is none: in_fd keeps its bytes until the
 * guest leaves loopback.
 */
static unsigned int rx_room(const struct vmm_uart *u)
{
	return (u->mcr & MCR_LOOP) ? 0 : RX_FIFO - u->rx_len;
}

static void rx_push(struct vmm_uart *u, uint8_t c)
{
	/* Only loopback can overrun: input is read only as far as it fits. */
	if (u->rx_len == RX_FIFO) {
		u->lsr_err |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_len) % RX_FIFO] = c;
	u->rx_len++;
}

/*
 * Move what in_fd has, at most the FIFO's room, into the FIFO without
 * blocking: poll with no timeout, then one read, so that in_fd's flags
 * (a terminal, a pipe shared with others) stay as the caller set them.
 * Returns bytes read, 0 if none, -1 at end of input (EOF, a read error
 * other than a transient one, no in_fd).
 */
static int rx_fill(struct vmm_uart *u)
{
	uint8_t buf[RX_FIFO];
	unsigned int room = rx_room(u);
	struct pollfd pfd;
	ssize_t n;

	if (u->in_fd < 0 || u->in_eof)
		return -1;
	if (!room)
		return 0;
	pfd.fd = u->in_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & POLLNVAL) {
		u->in_eof = true;
		return -1;
	}
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = read(u->in_fd, buf, room);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return 0;
	if (n <= 0) {
		u->in_eof = true;
		return -1;
	}
	for (ssize_t i = 0; i < n; i++)
		rx_push(u, buf[i]);
	return (int)n;
}

/* Without a line, input is read when the guest looks for it. */
static void rx_poll(struct vmm_uart *u)
{
	if (!u->irq_fn)
		rx_fill(u);
}

/* The receive FIFO's trigger level (FCR bits 7:6), 1 without FIFO. */
static unsigned int rx_trigger(const struct vmm_uart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	if (!(u->fcr & FCR_ENABLE))
		return 1;
	return level[(u->fcr & FCR_TRIGGER) >> 6];
}

/*
 * The highest-priority pending and enabled source as an IIR ID, or
 * IIR_NO_INT.  Received data is reported whenever the FIFO holds some:
 * below the trigger level as a character timeout, which the real part
 * raises 4 character times after the last byte; here that time has
 * always passed.  Without a line, bytes are read from in_fd at the
 * moment the guest looks, so there is no timeout to report: the plain
 * data-available ID is kept, as before the line existed.
 */
static uint8_t iir_id(const struct vmm_uart *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr_err & LSR_ERRORS))
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_len) {
		if (u->irq_fn && u->rx_len < rx_trigger(u))
			return IIR_RX_TIMEOUT;
		return IIR_RX_DATA;
	}
	if ((u->ier & IER_THRI) && u->thr_int)
		return IIR_THRE;
	if ((u->ier & IER_MSI) && u->msr_delta)
		return IIR_MSI;
	return IIR_NO_INT;
}

/*
 * Drive the line: a PC gates the UART's interrupt output with OUT2, and
 * in loopback the part forces OUT2 inactive and keeps its interrupts
 * internal (IIR still shows them).  fn sees changes only, so an edge-
 * triggered PIC gets a clean rising edge per new interrupt.
 */
static void irq_update(struct vmm_uart *u)
{
	int level;

	if (!u->irq_fn)
		return;
	level = iir_id(u) != IIR_NO_INT &&
		(u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
	if (level == u->irq_level)
		return;
	u->irq_level = level;
	u->irq_fn(u->irq_opaque, u->irq, level);
}

static void tx(struct vmm_uart *u, uint8_t c)
{
	u->tx_count++;
	/* Sent at once: THR is empty again, a new THRE interrupt. */
	u->thr_int = true;
	if (u->mcr & MCR_LOOP) {
		rx_push(u, c);
		return;
	}
	if (u->out_fd < 0)
		return;
	/*
	 * A full pipe blocks the vCPU here; a stop's kick interrupts the
	 * write, and then the byte is dropped so that the VM can stop.
	 */
	while (write(u->out_fd, &c, 1) < 0 && errno == EINTR &&
	       !(u->vcpu && vmm_vm_stopped(vmm_vcpu_vm(u->vcpu))))
		;
}

/* MCR changed: the modem lines may have, which sets MSR's deltas. */
static void msr_update(struct vmm_uart *u)
{
	uint8_t lines = msr_lines(u);

	/* Delta bits: CTS, DSR, DCD changed; RI trailing edge. */
	u->msr_delta |= (uint8_t)(((lines ^ u->last_msr) & 0xb0) >> 4);
	if ((u->last_msr & 0x40) && !(lines & 0x40))
		u->msr_delta |= 0x04;
	u->last_msr = lines;
}

static uint8_t uart_read(struct vmm_uart *u, unsigned int reg)
{
	uint8_t v;

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
		rx_poll(u);
		v = iir_id(u);
		if (v == IIR_THRE)
			u->thr_int = false;	/* reading IIR clears it */
		return v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
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
		v = u->last_msr | u->msr_delta;
		u->msr_delta = 0;
		return v;
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
		/* Switching the FIFOs on or off empties them, as the part. */
		if ((v & FCR_CLEAR_RX) || ((v ^ u->fcr) & FCR_ENABLE)) {
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
		msr_update(u);
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
	vmm_notify_fn notify = NULL;
	void *notify_opaque = NULL;
	bool had_room;

	/* Wider accesses touch consecutive registers, byte by byte. */
	pthread_mutex_lock(&u->lock);
	u->vcpu = acc->vcpu;
	had_room = rx_room(u) > 0;
	for (uint32_t i = 0; i < acc->len; i++) {
		unsigned int reg = (unsigned int)((acc->offset + i) & 7);

		if (acc->is_write)
			uart_write(u, reg, acc->data[i]);
		else
			acc->data[i] = uart_read(u, reg);
		irq_update(u);
	}
	/* Room again (RBR read from a full FIFO, FIFO reset, loopback
	 * off): the owner may resume polling in_fd. */
	if (!had_room && rx_room(u)) {
		notify = u->notify_fn;
		notify_opaque = u->notify_opaque;
	}
	pthread_mutex_unlock(&u->lock);
	/* Outside the lock: a notify may look at the UART again. */
	if (notify)
		notify(notify_opaque);
	return 0;
}

int vmm_uart_attach(struct vmm_uart *uart, struct vmm_bus *bus, uint16_t base)
{
	if (!uart || !bus)
		return -EINVAL;
	return vmm_bus_register(bus, base, 8, uart_handler, uart);
}

void vmm_uart_set_irq(struct vmm_uart *uart, vmm_irq_fn fn, void *opaque,
		      unsigned int irq)
{
	if (!uart)
		return;
	pthread_mutex_lock(&uart->lock);
	uart->irq_fn = fn;
	uart->irq_opaque = opaque;
	uart->irq = irq;
	uart->irq_level = 0;	/* the new line starts low */
	irq_update(uart);
	pthread_mutex_unlock(&uart->lock);
}

int vmm_uart_poll_input(struct vmm_uart *uart)
{
	int n;

	if (!uart)
		return -1;
	pthread_mutex_lock(&uart->lock);
	n = rx_fill(uart);
	irq_update(uart);
	pthread_mutex_unlock(&uart->lock);
	return n;
}

int vmm_uart_input_room(const struct vmm_uart *uart)
{
	pthread_mutex_t *lock;
	int room;

	if (!uart)
		return 0;
	/* The lock is not part of the state const protects. */
	lock = (pthread_mutex_t *)&uart->lock;
	pthread_mutex_lock(lock);
	room = rx_room(uart) > 0;
	pthread_mutex_unlock(lock);
	return room;
}

void vmm_uart_set_notify(struct vmm_uart *uart, vmm_notify_fn fn,
			 void *opaque)
{
	if (!uart)
		return;
	pthread_mutex_lock(&uart->lock);
	uart->notify_fn = fn;
	uart->notify_opaque = opaque;
	pthread_mutex_unlock(&uart->lock);
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
