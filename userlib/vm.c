// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: VM handles and guest memory slots.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB	(21U << 26)	/* log2(2 MiB) << MFD_HUGE_SHIFT */
#endif
#include <unistd.h>

#include "internal.h"

int vmm_vm_create(struct vmm_dev *dev, struct vmm_vm **vmp)
{
	struct vmm_vm *vm;
	long fd, size;

	if (!dev || !vmp)
		return -EINVAL;
	*vmp = NULL;

	size = vmm__ioctl(dev->fd, VMM_GET_VCPU_MMAP_SIZE, NULL);
	if (size < 0)
		return (int)size;
	if ((size_t)size < sizeof(struct vmm_run))
		return -EPROTO;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	if (vmm_bus_create(VMM_BUS_PIO, &vm->pio) ||
	    vmm_bus_create(VMM_BUS_MMIO, &vm->mmio)) {
		vmm_bus_free(vm->pio);
		free(vm);
		return -ENOMEM;
	}

	fd = vmm__ioctl(dev->fd, VMM_CREATE_VM, NULL);
	if (fd < 0) {
		vmm_bus_free(vm->pio);
		vmm_bus_free(vm->mmio);
		free(vm);
		return (int)fd;
	}
	vm->dev = dev;
	vm->fd = (int)fd;
	vm->run_size = (size_t)size;
	*vmp = vm;
	return 0;
}

static void slot_unmap(struct vmm_slot *s)
{
	if (s->map_base)
		munmap(s->map_base, s->map_len);
	s->map_base = NULL;
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
	if (!vm)
		return;
	while (vm->vcpus)
		vmm_vcpu_destroy(vm->vcpus);
	/* Closing the fd drops the module's references to our memory. */
	close(vm->fd);
	for (size_t i = 0; i < vm->nslots; i++)
		slot_unmap(&vm->slots[i]);
	free(vm->slots);
	vmm_bus_free(vm->pio);
	vmm_bus_free(vm->mmio);
	free(vm);
}

int vmm_vm_fd(const struct vmm_vm *vm)
{
	return vm->fd;
}

struct vmm_dev *vmm_vm_dev(const struct vmm_vm *vm)
{
	return vm->dev;
}

int vmm_vm_check_extension(struct vmm_vm *vm, unsigned int cap)
{
	return (int)vmm__ioctl(vm->fd, VMM_CHECK_EXTENSION,
			       (void *)(uintptr_t)cap);
}

int vmm_set_tss_addr(struct vmm_vm *vm, uint64_t gpa)
{
	long ret = vmm__ioctl(vm->fd, VMM_SET_TSS_ADDR, (void *)(uintptr_t)gpa);

	return ret < 0 ? (int)ret : 0;
}

int vmm_set_identity_map_addr(struct vmm_vm *vm, uint64_t gpa)
{
	__u64 addr = gpa;
	long ret = vmm__ioctl(vm->fd, VMM_SET_IDENTITY_MAP_ADDR, &addr);

	return ret < 0 ? (int)ret : 0;
}

int vmm_enable_cap(struct vmm_vm *vm, unsigned int cap, uint64_t arg0)
{
	struct vmm_enable_cap ec;
	long ret;

	memset(&ec, 0, sizeof(ec));
	ec.cap = cap;
	ec.args[0] = arg0;
	ret = vmm__ioctl(vm->fd, VMM_ENABLE_CAP, &ec);
	return ret < 0 ? (int)ret : 0;
}

/* ---- memory slots ---- */

static struct vmm_slot *slot_find(struct vmm_vm *vm, uint32_t slot)
{
	for (size_t i = 0; i < vm->nslots; i++)
		if (vm->slots[i].slot == slot)
			return &vm->slots[i];
	return NULL;
}

static int set_region(struct vmm_vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, void *hva)
{
	struct vmm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	long ret = vmm__ioctl(vm->fd, VMM_SET_USER_MEMORY_REGION, &r);

	return ret < 0 ? (int)ret : 0;
}

static bool page_aligned(uint64_t v)
{
	return (v & (VMM_PAGE_SIZE - 1)) == 0;
}

/* Make room for one more slot record; 0 or -ENOMEM. */
static int slots_reserve(struct vmm_vm *vm)
{
	struct vmm_slot *n;
	size_t cap;

	if (vm->nslots < vm->slots_cap)
		return 0;
	cap = vm->slots_cap ? 2 * vm->slots_cap : 8;
	n = realloc(vm->slots, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	vm->slots = n;
	vm->slots_cap = cap;
	return 0;
}

/* Record a slot and tell the module; on failure nothing is recorded. */
static int slot_install(struct vmm_vm *vm, const struct vmm_slot *s)
{
	int ret;

	if (slot_find(vm, s->slot))
		return -EEXIST;
	ret = slots_reserve(vm);
	if (ret)
		return ret;
	ret = set_region(vm, s->slot, s->flags, s->gpa, s->size, s->hva);
	if (ret)
		return ret;
	vm->slots[vm->nslots++] = *s;
	return 0;
}

/* The library's own flags (bits 16 and up), never passed to the module. */
#define MEM_LIB_FLAGS	(VMM_MEM_ALLOC_HUGE | VMM_MEM_NO_HUGE)

/* Check the arguments common to vmm_mem_add and vmm_mem_add_at. */
static int mem_args_ok(uint64_t gpa, uint64_t size, uint32_t flags)
{
	if (!size || !page_aligned(gpa) || !page_aligned(size) ||
	    gpa + size < gpa || size > SIZE_MAX)
		return 0;
	/* Huge pages asked for and refused at once: make up your mind. */
	if ((flags & MEM_LIB_FLAGS) == MEM_LIB_FLAGS)
		return 0;
	return (flags & ~0xffffU & ~MEM_LIB_FLAGS) == 0;
}

/*
 * Anonymous zeroed memory for a slot.  With huge set (the default) and at
 * least 2 MiB, over-allocate by 2 MiB, keep a 2 MiB-aligned window and
 * advise transparent huge pages (best effort: the host's THP setting has
 * the last word).  Without, advise against them, so that the slot gets
 * 4 KiB pages even where THP is "always".
 */
static void *mem_alloc(size_t size, bool huge)
{
	int prot = PROT_READ | PROT_WRITE;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint8_t *p, *start, *end;
	size_t len;

	if (!huge || size < VMM_HUGE_SIZE) {
		p = mmap(NULL, size, prot, mflags, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
#ifdef MADV_NOHUGEPAGE
		if (!huge)
			madvise(p, size, MADV_NOHUGEPAGE);
#endif
		return p;
	}

	len = size + VMM_HUGE_SIZE;
	if (len < size) {
		errno = ENOMEM;
		return NULL;
	}
	p = mmap(NULL, len, prot, mflags, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)p + VMM_HUGE_SIZE - 1) &
			    ~(uintptr_t)(VMM_HUGE_SIZE - 1));
	end = start + size;
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (p + len > end)
		munmap(end, (size_t)(p + len - end));
#ifdef MADV_HUGEPAGE
	madvise(start, size, MADV_HUGEPAGE);
#endif
	return start;
}

int vmm_mem_add(struct vmm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		uint32_t flags, void **hvap)
{
	struct vmm_slot s;
	void *p;
	int ret;

	if (!mem_args_ok(gpa, size, flags))
		return -EINVAL;
	if (slot_find(vm, slot))
		return -EEXIST;

	p = mem_alloc((size_t)size, !(flags & VMM_MEM_NO_HUGE));
	if (!p)
		return -errno;

	memset(&s, 0, sizeof(s));
	s.slot = slot;
	s.flags = flags & ~MEM_LIB_FLAGS;
	s.gpa = gpa;
	s.size = size;
	s.hva = p;
	s.map_base = p;
	s.map_len = (size_t)size;

	ret = slot_install(vm, &s);
	if (ret) {
		munmap(p, (size_t)size);
		return ret;
	}
	if (hvap)
		*hvap = p;
	return 0;
}

int vmm_mem_add_at(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		   uint64_t size, uint32_t flags, void *hva)
{
	struct vmm_slot s;

	if (!mem_args_ok(gpa, size, flags) || (flags & MEM_LIB_FLAGS) ||
	    !hva || !page_aligned((uintptr_t)hva))
		return -EINVAL;

	memset(&s, 0, sizeof(s));
	s.slot = slot;
	s.flags = flags;
	s.gpa = gpa;
	s.size = size;
	s.hva = hva;
	return slot_install(vm, &s);
}

int vmm_mem_add_fd(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		   uint64_t size, uint32_t flags, int fd, uint64_t offset,
		   void **hvap)
{
	struct vmm_slot s;
	void *p;
	int ret;

	if (!mem_args_ok(gpa, size, flags) || (flags & MEM_LIB_FLAGS) ||
	    fd < 0 || !page_aligned(offset) || offset > INT64_MAX)
		return -EINVAL;
	if (slot_find(vm, slot))
		return -EEXIST;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;

	memset(&s, 0, sizeof(s));
	s.slot = slot;
	s.flags = flags;
	s.gpa = gpa;
	s.size = size;
	s.hva = p;
	s.map_base = p;
	s.map_len = (size_t)size;
	ret = slot_install(vm, &s);
	if (ret) {
		munmap(p, (size_t)size);
		return ret;
	}
	if (hvap)
		*hvap = p;
	return 0;
}

int vmm_mem_add_memfd(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, uint32_t flags, int *fdp, void **hvap)
{
	unsigned int mfd_flags = MFD_CLOEXEC;
	int fd, ret;

	if (!mem_args_ok(gpa, size, flags))
		return -EINVAL;
	if (flags & VMM_MEM_ALLOC_HUGE) {
		if (size & (VMM_HUGE_SIZE - 1))
			return -EINVAL;
		mfd_flags |= MFD_HUGETLB | MFD_HUGE_2MB;
	}
	if (slot_find(vm, slot))
		return -EEXIST;
	fd = memfd_create("vmm-guest", mfd_flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = vmm_mem_add_fd(vm, slot, gpa, size, flags & ~MEM_LIB_FLAGS,
			     fd, 0, hvap);
	if (ret || !fdp)
		close(fd);
	else
		*fdp = fd;
	return ret;
}

const struct vmm_slot *vmm__slot_at(struct vmm_vm *vm, uint64_t gpa)
{
	for (size_t i = 0; i < vm->nslots; i++) {
		const struct vmm_slot *s = &vm->slots[i];

		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

int vmm_mem_move(struct vmm_vm *vm, uint32_t slot, uint64_t new_gpa)
{
	struct vmm_slot *s = slot_find(vm, slot);
	int ret;

	if (!s)
		return -ENOENT;
	if (!page_aligned(new_gpa) || new_gpa + s->size < new_gpa)
		return -EINVAL;
	ret = set_region(vm, slot, s->flags, new_gpa, s->size, s->hva);
	if (!ret)
		s->gpa = new_gpa;
	return ret;
}

int vmm_mem_set_flags(struct vmm_vm *vm, uint32_t slot, uint32_t flags)
{
	struct vmm_slot *s = slot_find(vm, slot);
	int ret;

	if (!s)
		return -ENOENT;
	if (flags & ~0xffffU)
		return -EINVAL;
	ret = set_region(vm, slot, flags, s->gpa, s->size, s->hva);
	if (!ret)
		s->flags = flags;
	return ret;
}

int vmm_mem_remove(struct vmm_vm *vm, uint32_t slot)
{
	struct vmm_slot *s = slot_find(vm, slot);
	int ret;

	if (!s)
		return -ENOENT;
	ret = set_region(vm, slot, s->flags, s->gpa, 0, s->hva);
	if (ret)
		return ret;
	slot_unmap(s);
	*s = vm->slots[--vm->nslots];
	return 0;
}

void *vmm_gpa_to_hva(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	if (!len)
		len = 1;
	for (size_t i = 0; i < vm->nslots; i++) {
		const struct vmm_slot *s = &vm->slots[i];

		if (gpa < s->gpa || len > s->size ||
		    gpa - s->gpa > s->size - len)
			continue;
		return (uint8_t *)s->hva + (gpa - s->gpa);
	}
	errno = EFAULT;
	return NULL;
}

int vmm_load_flat(struct vmm_vm *vm, uint64_t gpa, const void *bytes,
		  size_t len)
{
	void *dst = vmm_gpa_to_hva(vm, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, bytes, len);
	return 0;
}

/* ---- dirty logging ---- */

size_t vmm_dirty_bitmap_size(uint64_t size)
{
	uint64_t pages = (size + VMM_PAGE_SIZE - 1) / VMM_PAGE_SIZE;

	return (size_t)((pages + 63) / 64 * 8);
}

int vmm_get_dirty_log(struct vmm_vm *vm, uint32_t slot, void *bitmap)
{
	struct vmm_dirty_log d;
	long ret;

	memset(&d, 0, sizeof(d));
	d.slot = slot;
	d.dirty_bitmap = bitmap;
	ret = vmm__ioctl(vm->fd, VMM_GET_DIRTY_LOG, &d);
	return ret < 0 ? (int)ret : 0;
}

int vmm_clear_dirty_log(struct vmm_vm *vm, uint32_t slot, uint64_t first_page,
			uint32_t num_pages, void *bitmap)
{
	struct vmm_clear_dirty_log c;
	long ret;

	memset(&c, 0, sizeof(c));
	c.slot = slot;
	c.num_pages = num_pages;
	c.first_page = first_page;
	c.dirty_bitmap = bitmap;
	ret = vmm__ioctl(vm->fd, VMM_CLEAR_DIRTY_LOG, &c);
	return ret < 0 ? (int)ret : 0;
}
