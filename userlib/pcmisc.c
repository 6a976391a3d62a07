// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the small PC ports (0x80, 0x92, i8042, PCI configuration).
 *
 * What a PC kernel pokes at besides the timers and the console, modelled
 * just enough that it finds nothing behind them without waiting or
 * complaining, and that its ways of resetting the machine work:
 *
 *  - 0x80, the POST-code port Linux also writes for I/O delays: writes
 *    are dropped, reads give 0xff, and nothing is logged.
 *  - 0x92, system control port A: bit 1 (fast A20) reads back; writing
 *    bit 0 = 1 resets.  A20 is enabled at power-on, as on any modern PC,
 *    and is not emulated: addresses never wrap at 1 MiB.
 *  - The i8042 keyboard controller at 0x60 (data) and 0x64 (status /
 *    command), with no keyboard and no mouse attached: its command byte
 *    and internal RAM, self-tests, interface enables, the output port,
 *    the loop-back commands and the reset pulses.  It raises no
 *    interrupt.  Bytes for the devices go nowhere and get no reply.
 *  - PCI configuration mechanism 1: the 32-bit address register at
 *    0xcf8 and the data window at 0xcfc-0xcff, with no device on any bus
 *    (data reads all ones, writes are dropped).  Byte and word accesses
 *    to 0xcf8-0xcfb are not the address register, as on Intel chipsets:
 *    they read all ones, except 0xcf9, the reset control register.
 *
 * The reset ports stop the VM with VMM_STOP_RESET and the port as code;
 * an access without a vCPU (a test) only counts the request.
 */
#include <stdlib.h>

#include "internal.h"

#define PORT_KBD_DATA	0x60
#define PORT_KBD_CMD	0x64	/* status when read */
#define PORT_POST	0x80
#define PORT_SYSCTL_A	0x92
#define PORT_PCI_ADDR	0xcf8
#define PORT_PCI_RCR	0xcf9
#define PORT_PCI_DATA	0xcfc

#define SYSCTL_RESET	0x01
#define SYSCTL_A20	0x02

#define RCR_RESET	0x04	/* reset the CPU (with bit 1: the system) */
#define RCR_KEEP	0x0a	/* bits that read back */

/* i8042 status register. */
#define STS_OBF		0x01	/* output buffer full */
#define STS_SYS		0x04	/* system flag, a copy of CTR bit 2 */
#define STS_CMD		0x08	/* last write went to 0x64 */
#define STS_UNLOCKED	0x10	/* keyboard not inhibited by the keylock */
#define STS_AUXDATA	0x20	/* the output byte is from the aux port */

/* i8042 command byte (CTR), RAM byte 0. */
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20

/* i8042 output port. */
#define OUT_RESET	0x01	/* active low: 0 resets the CPU */
#define OUT_A20		0x02

struct vmm_pc_misc {
	uint8_t sysctl_a;	/* port 0x92 without its reset bit */
	uint8_t rcr;		/* 0xcf9 */
	uint32_t pci_addr;	/* 0xcf8 */

	/* i8042 */
	uint8_t ram[32];	/* ram[0] is the command byte */
	uint8_t outport;
	uint8_t obuf;		/* output buffer (kept after it is read) */
	bool obf, obf_aux;
	bool last_cmd;		/* last write was to 0x64 */
	uint8_t pending;	/* command waiting for its data byte, or 0 */

	uint64_t resets;
	uint16_t reset_port;
};

static void misc_reset(struct vmm_pc_misc *m, const struct vmm_access *acc,
		       uint16_t port)
{
	m->resets++;
	m->reset_port = port;
	if (acc->vcpu)
		vmm_vcpu_stop_vm(acc->vcpu, VMM_STOP_RESET, port);
}

static void kbc_reply(struct vmm_pc_misc *m, uint8_t v, bool aux)
{
	m->obuf = v;
	m->obf = true;
	m->obf_aux = aux;
}

static uint8_t kbc_status(const struct vmm_pc_misc *m)
{
	uint8_t v = STS_UNLOCKED;

	if (m->obf)
		v |= STS_OBF | (m->obf_aux ? STS_AUXDATA : 0);
	if (m->ram[0] & CTR_SYS)
		v |= STS_SYS;
	if (m->last_cmd)
		v |= STS_CMD;
	return v;	/* the input buffer is never full */
}

static void kbc_command(struct vmm_pc_misc *m, const struct vmm_access *acc,
			uint8_t cmd)
{
	m->last_cmd = true;
	m->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3f) {	/* read RAM byte */
		kbc_reply(m, m->ram[cmd & 0x1f], false);
		return;
	}
	if (cmd >= 0xf0) {
		/* Pulse the output port lines whose bit is clear; line 0 is
		 * the CPU reset. */
		if (!(cmd & OUT_RESET))
			misc_reset(m, acc, PORT_KBD_CMD);
		return;
	}
	switch (cmd) {
	case 0x60 ... 0x7f:	/* write RAM byte */
	case 0xd1:		/* write output port */
	case 0xd2:		/* write keyboard output buffer */
	case 0xd3:		/* write aux output buffer (loop-back) */
	case 0xd4:		/* write to the aux device */
		m->pending = cmd;
		break;
	case 0xa7:
		m->ram[0] |= CTR_AUXDIS;
		break;
	case 0xa8:
		m->ram[0] &= ~CTR_AUXDIS;
		break;
	case 0xa9:		/* aux interface test: passed */
	case 0xab:		/* keyboard interface test: passed */
		kbc_reply(m, 0x00, false);
		break;
	case 0xaa:		/* controller self-test: passed */
		kbc_reply(m, 0x55, false);
		break;
	case 0xad:
		m->ram[0] |= CTR_KBDDIS;
		break;
	case 0xae:
		m->ram[0] &= ~CTR_KBDDIS;
		break;
	case 0xd0:
		kbc_reply(m, m->outport, false);
		break;
	case 0xdd:		/* A20 off, on some controllers */
		m->outport &= ~OUT_A20;
		break;
	case 0xdf:		/* A20 on */
		m->outport |= OUT_A20;
		break;
	default:		/* not implemented: ignored */
		break;
	}
}

static void kbc_data(struct vmm_pc_misc *m, const struct vmm_access *acc,
		     uint8_t v)
{
	uint8_t cmd = m->pending;

	m->last_cmd = false;
	m->pending = 0;
	switch (cmd) {
	case 0x60 ... 0x7f:
		m->ram[cmd & 0x1f] = v;
		break;
	case 0xd1:
		m->outport = v;
		if (!(v & OUT_RESET))
			misc_reset(m, acc, PORT_KBD_CMD);
		break;
	case 0xd2:
	case 0xd3:
		kbc_reply(m, v, cmd == 0xd3);
		break;
	default:
		/* For the keyboard (0) or the mouse (0xd4): neither is
		 * there, and no reply comes. */
		break;
	}
}

static void pci_io(struct vmm_pc_misc *m, const struct vmm_access *acc)
{
	uint32_t v = 0;

	if (acc->addr == PORT_PCI_ADDR && acc->len == 4) {
		if (!acc->is_write) {
			for (int i = 0; i < 4; i++)
				acc->data[i] = (uint8_t)(m->pci_addr >> (8 * i));
			return;
		}
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)acc->data[i] << (8 * i);
		m->pci_addr = v & ~3u;
		return;
	}
	if (acc->addr == PORT_PCI_RCR && acc->len == 1) {
		if (!acc->is_write) {
			acc->data[0] = m->rcr;
			return;
		}
		m->rcr = acc->data[0] & RCR_KEEP;
		if (acc->data[0] & RCR_RESET)
			misc_reset(m, acc, PORT_PCI_RCR);
	}
	/* Anything else, the data window included: nothing there. */
}

/*
 * One handler for every port: an access wider than a byte to one of the
 * byte ports uses its first byte (the others read all ones).
 */
static int misc_io(void *opaque, const struct vmm_access *acc)
{
	struct vmm_pc_misc *m = opaque;
	uint8_t *d = acc->data;

	switch (acc->addr) {
	case PORT_POST:
		return 0;
	case PORT_SYSCTL_A:
		if (!acc->is_write) {
			d[0] = m->sysctl_a;
			return 0;
		}
		m->sysctl_a = d[0] & ~SYSCTL_RESET;
		if (d[0] & SYSCTL_RESET)
			misc_reset(m, acc, PORT_SYSCTL_A);
		return 0;
	case PORT_KBD_DATA:
		if (acc->is_write) {
			kbc_data(m, acc, d[0]);
		} else {
			d[0] = m->obuf;
			m->obf = false;
		}
		return 0;
	case PORT_KBD_CMD:
		if (acc->is_write)
			kbc_command(m, acc, d[0]);
		else
			d[0] = kbc_status(m);
		return 0;
	}
	pci_io(m, acc);
	return 0;
}

static const struct {
	uint16_t base, len;
} misc_ports[] = {
	{ PORT_KBD_DATA, 1 },
	{ PORT_KBD_CMD, 1 },
	{ PORT_POST, 1 },
	{ PORT_SYSCTL_A, 1 },
	{ PORT_PCI_ADDR, 8 },	/* 0xcf8-0xcfb and the data window */
};

#define N_PORTS	(sizeof(misc_ports) / sizeof(misc_ports[0]))

int vmm_pc_misc_attach(struct vmm_bus *bus, struct vmm_pc_misc **miscp)
{
	struct vmm_pc_misc *m;
	size_t i;
	int ret = 0;

	if (!bus || !miscp)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sysctl_a = SYSCTL_A20;
	/* As a BIOS leaves it: keyboard interrupt, system flag, aux port
	 * disabled, scan-code translation. */
	m->ram[0] = 0x65;
	m->outport = OUT_RESET | OUT_A20;

	for (i = 0; i < N_PORTS; i++) {
		ret = vmm_bus_register(bus, misc_ports[i].base,
				       misc_ports[i].len, misc_io, m);
		if (ret)
			break;
	}
	if (ret) {
		while (i--)
			vmm_bus_unregister(bus, misc_ports[i].base);
		free(m);
		return ret;
	}
	*miscp = m;
	return 0;
}

void vmm_pc_misc_free(struct vmm_pc_misc *misc)
{
	free(misc);
}

uint64_t vmm_pc_misc_resets(const struct vmm_pc_misc *misc, uint16_t *port)
{
	if (port)
		*port = misc->reset_port;
	return misc->resets;
}
