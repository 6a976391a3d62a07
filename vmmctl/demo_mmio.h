/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMMCTL_DEMO_MMIO_H
#define VMMCTL_DEMO_MMIO_H

#include "vmm.h"

#define DEMO_MMIO_ID		0x00
#define DEMO_MMIO_ACC		0x08
#define DEMO_MMIO_ADD		0x10
#define DEMO_MMIO_COUNT		0x18
#define DEMO_MMIO_ID_VALUE	0x444d4d56U	/* "VMMD" */

struct demo_mmio {
	uint64_t acc;
	uint64_t count;
};

/* The vmm_io_handler_t of the device; opaque is a struct demo_mmio. */
int demo_mmio_handler(void *opaque, const struct vmm_access *acc);

#endif /* VMMCTL_DEMO_MMIO_H */
