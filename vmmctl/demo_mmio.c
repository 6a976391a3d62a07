// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: the example MMIO device, a complete libvmm device model in a
 * few lines (also shown in libvmm(3)).  Registers, 8 bytes apart:
 *   +0x00 ID     read: 0x444d4d56 ("VMMD")
 *   +0x08 ACC    read/write: an accumulator
 *   +0x10 ADD    write: ACC += value
 *   +0x18 COUNT  read: accesses handled so far
 * Accesses of 1 to 8 bytes at a register's offset; others read as zero
 * and are ignored on write.
 */
#include <stdint.h>
#include <string.h>

#include "demo_mmio.h"

static uint64_t get_le(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = len; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static void put_le(uint8_t *p, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

int demo_mmio_handler(void *opaque, const struct vmm_access *acc)
{
	struct demo_mmio *d = opaque;
	uint64_t v = 0;

	d->count++;
	if (acc->is_write) {
		v = get_le(acc->data, acc->len);
		if (acc->offset == DEMO_MMIO_ACC)
			d->acc = v;
		else if (acc->offset == DEMO_MMIO_ADD)
			d->acc += v;
		return 0;
	}
	switch (acc->offset) {
	case DEMO_MMIO_ID:
		v = DEMO_MMIO_ID_VALUE;
		break;
	case DEMO_MMIO_ACC:
		v = d->acc;
		break;
	case DEMO_MMIO_COUNT:
		v = d->count;
		break;
	default:
		break;
	}
	put_le(acc->data, acc->len, v);
	return 0;
}
