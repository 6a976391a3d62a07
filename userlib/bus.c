// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: device handler registries (port I/O and MMIO buses) and the
 * dispatch of I/O and MMIO exits to them.
 *
 * A bus is an array of registrations sorted by base address, with no
 * overlaps, so the handler of an address is found by one binary search.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct bus_entry {
	uint64_t base;
	uint64_t len;
	vmm_io_handler_t fn;
	void *opaque;
};

struct vmm_bus {
	enum vmm_bus_kind kind;
	struct bus_entry *e;
	size_t n;
	size_t cap;
	FILE *log;
};

int vmm_bus_create(enum vmm_bus_kind kind, struct vmm_bus **busp)
{
	struct vmm_bus *bus;

	if (!busp || (kind != VMM_BUS_PIO && kind != VMM_BUS_MMIO))
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->kind = kind;
	*busp = bus;
	return 0;
}

void vmm_bus_free(struct vmm_bus *bus)
{
	if (!bus)
		return;
	free(bus->e);
	free(bus);
}

struct vmm_bus *vmm_vm_bus(struct vmm_vm *vm, enum vmm_bus_kind kind)
{
	if (vm && kind == VMM_BUS_PIO)
		return vm->pio;
	if (vm && kind == VMM_BUS_MMIO)
		return vm->mmio;
	errno = EINVAL;
	return NULL;
}

/* Index of the first entry whose base is greater than addr. */
static size_t upper_bound(const struct vmm_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->e[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct bus_entry *bus_lookup(const struct vmm_bus *bus,
					  uint64_t addr)
{
	size_t i = upper_bound(bus, addr);
	const struct bus_entry *e;

	if (i == 0)
		return NULL;
	e = &bus->e[i - 1];
	return addr - e->base < e->len ? e : NULL;
}

int vmm_bus_register(struct vmm_bus *bus, uint64_t base, uint64_t len,
		     vmm_io_handler_t fn, void *opaque)
{
	uint64_t last;
	size_t i;

	if (!bus || !fn || !len)
		return -EINVAL;
	last = base + (len - 1);
	if (last < base)
		return -EINVAL;
	if (bus->kind == VMM_BUS_PIO && last > 0xffff)
		return -EINVAL;

	i = upper_bound(bus, base);
	/* The previous range must end before base, the next start after last. */
	if (i > 0 && base - bus->e[i - 1].base < bus->e[i - 1].len)
		return -EEXIST;
	if (i < bus->n && bus->e[i].base <= last)
		return -EEXIST;

	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? 2 * bus->cap : 8;
		struct bus_entry *n = realloc(bus->e, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->e = n;
		bus->cap = cap;
	}
	memmove(&bus->e[i + 1], &bus->e[i], (bus->n - i) * sizeof(*bus->e));
	bus->e[i] = (struct bus_entry){ base, len, fn, opaque };
	bus->n++;
	return 0;
}

int vmm_bus_unregister(struct vmm_bus *bus, uint64_t base)
{
	size_t i;

	if (!bus)
		return -EINVAL;
	i = upper_bound(bus, base);
	if (i == 0 || bus->e[i - 1].base != base)
		return -ENOENT;
	i--;
	memmove(&bus->e[i], &bus->e[i + 1],
		(bus->n - i - 1) * sizeof(*bus->e));
	bus->n--;
	return 0;
}

int vmm_register_pio(struct vmm_vm *vm, uint16_t base, uint32_t len,
		     vmm_io_handler_t fn, void *opaque)
{
	if (!vm)
		return -EINVAL;
	return vmm_bus_register(vm->pio, base, len, fn, opaque);
}

int vmm_register_mmio(struct vmm_vm *vm, uint64_t base, uint64_t len,
		      vmm_io_handler_t fn, void *opaque)
{
	if (!vm)
		return -EINVAL;
	return vmm_bus_register(vm->mmio, base, len, fn, opaque);
}

void vmm_bus_set_log(struct vmm_bus *bus, FILE *f)
{
	if (bus)
		bus->log = f;
}

size_t vmm_bus_count(const struct vmm_bus *bus)
{
	return bus ? bus->n : 0;
}

int vmm_bus_handled(const struct vmm_bus *bus, uint64_t addr)
{
	return bus && bus_lookup(bus, addr) != NULL;
}

static uint64_t le_value(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = len; i-- > 0;)
		v = (v << 8) | data[i];
	return v;
}

int vmm_bus_access(struct vmm_bus *bus, struct vmm_vcpu *vcpu, uint64_t addr,
		   void *data, uint32_t len, int is_write)
{
	const struct bus_entry *e;
	struct vmm_access acc;

	if (!bus || !data || len == 0 || len > 8)
		return -EINVAL;
	if (!is_write)
		memset(data, 0xff, len);
	e = bus_lookup(bus, addr);
	if (!e) {
		const char *kind = bus->kind == VMM_BUS_PIO ? "port" : "mmio";

		if (bus->log && is_write)
			fprintf(bus->log, "vmm: unhandled %s write %#" PRIx64
				" size %u value %#" PRIx64 " (dropped)\n",
				kind, addr, len, le_value(data, len));
		else if (bus->log)
			fprintf(bus->log, "vmm: unhandled %s read %#" PRIx64
				" size %u (all ones)\n", kind, addr, len);
		return 0;
	}
	acc.vcpu = vcpu;
	acc.addr = addr;
	acc.offset = addr - e->base;
	acc.len = len;
	acc.is_write = is_write ? 1 : 0;
	acc.data = data;
	return e->fn(e->opaque, &acc);
}

int vmm_dispatch_exit(struct vmm_bus *pio, struct vmm_bus *mmio,
		      struct vmm_vcpu *vcpu, struct vmm_run *run,
		      size_t run_size)
{
	int ret;

	if (!run)
		return -EINVAL;
	switch (run->exit_reason) {
	case VMM_EXIT_IO: {
		uint32_t size = run->io.size, count = run->io.count;
		uint64_t off = run->io.data_offset;
		int out = run->io.direction == VMM_EXIT_IO_OUT;
		uint8_t *p;

		if (!pio)
			return -EINVAL;
		if ((size != 1 && size != 2 && size != 4) || off > run_size ||
		    (uint64_t)size * count > run_size - off)
			return -EINVAL;
		p = (uint8_t *)run + off;
		for (uint32_t i = 0; i < count; i++, p += size) {
			ret = vmm_bus_access(pio, vcpu, run->io.port, p, size,
					     out);
			if (ret)
				return ret;
		}
		return 0;
	}
	case VMM_EXIT_MMIO:
		if (!mmio)
			return -EINVAL;
		if (run->mmio.len == 0 || run->mmio.len > 8)
			return -EINVAL;
		return vmm_bus_access(mmio, vcpu, run->mmio.phys_addr,
				      run->mmio.data, run->mmio.len,
				      run->mmio.is_write);
	default:
		return -ENOSYS;
	}
}

int vmm_vcpu_dispatch(struct vmm_vcpu *vcpu)
{
	if (!vcpu)
		return -EINVAL;
	return vmm_dispatch_exit(vcpu->vm->pio, vcpu->vm->mmio, vcpu,
				 vcpu->run, vcpu->run_size);
}
