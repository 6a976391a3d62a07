// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: vCPU handles, running, and register state.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int vmm_vcpu_create(struct vmm_vm *vm, uint32_t id, struct vmm_vcpu **vcpup)
{
	struct vmm_vcpu *vcpu;
	void *run;
	long fd;

	if (!vm || !vcpup)
		return -EINVAL;
	*vcpup = NULL;

	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;

	fd = vmm__ioctl(vm->fd, VMM_CREATE_VCPU, (void *)(uintptr_t)id);
	if (fd < 0) {
		free(vcpu);
		return (int)fd;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   (int)fd, 0);
	if (run == MAP_FAILED) {
		int err = -errno;

		close((int)fd);
		free(vcpu);
		return err;
	}

	vcpu->vm = vm;
	vcpu->fd = (int)fd;
	vcpu->id = id;
	vcpu->run = run;
	vcpu->run_size = vm->run_size;
	vcpu->next = vm->vcpus;
	vm->vcpus = vcpu;
	*vcpup = vcpu;
	return 0;
}

void vmm_vcpu_destroy(struct vmm_vcpu *vcpu)
{
	struct vmm_vcpu **pp;

	if (!vcpu)
		return;
	for (pp = &vcpu->vm->vcpus; *pp; pp = &(*pp)->next) {
		if (*pp == vcpu) {
			*pp = vcpu->next;
			break;
		}
	}
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

int vmm_vcpu_fd(const struct vmm_vcpu *vcpu)
{
	return vcpu->fd;
}

uint32_t vmm_vcpu_id(const struct vmm_vcpu *vcpu)
{
	return vcpu->id;
}

struct vmm_vm *vmm_vcpu_vm(const struct vmm_vcpu *vcpu)
{
	return vcpu->vm;
}

int vmm_vcpu_run(struct vmm_vcpu *vcpu)
{
	long ret = vmm__ioctl(vcpu->fd, VMM_RUN, NULL);

	return ret < 0 ? (int)ret : 0;
}

struct vmm_run *vmm_vcpu_run_data(const struct vmm_vcpu *vcpu)
{
	return vcpu->run;
}

void *vmm_vcpu_io_data(const struct vmm_vcpu *vcpu)
{
	const struct vmm_run *run = vcpu->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;

	if (run->exit_reason != VMM_EXIT_IO ||
	    run->io.data_offset > vcpu->run_size ||
	    bytes > vcpu->run_size - run->io.data_offset) {
		errno = EINVAL;
		return NULL;
	}
	return (uint8_t *)vcpu->run + run->io.data_offset;
}

/* An ioctl whose only result is success or failure. */
static int vcpu_ioctl(struct vmm_vcpu *vcpu, unsigned long req,
		      const void *arg)
{
	long ret = vmm__ioctl(vcpu->fd, req, (void *)arg);

	return ret < 0 ? (int)ret : 0;
}

int vmm_vcpu_get_regs(struct vmm_vcpu *vcpu, struct vmm_regs *regs)
{
	return vcpu_ioctl(vcpu, VMM_GET_REGS, regs);
}

int vmm_vcpu_set_regs(struct vmm_vcpu *vcpu, const struct vmm_regs *regs)
{
	return vcpu_ioctl(vcpu, VMM_SET_REGS, regs);
}

int vmm_vcpu_get_sregs(struct vmm_vcpu *vcpu, struct vmm_sregs *sregs)
{
	return vcpu_ioctl(vcpu, VMM_GET_SREGS, sregs);
}

int vmm_vcpu_set_sregs(struct vmm_vcpu *vcpu, const struct vmm_sregs *sregs)
{
	return vcpu_ioctl(vcpu, VMM_SET_SREGS, sregs);
}

int vmm_vcpu_get_fpu(struct vmm_vcpu *vcpu, struct vmm_fpu *fpu)
{
	return vcpu_ioctl(vcpu, VMM_GET_FPU, fpu);
}

int vmm_vcpu_set_fpu(struct vmm_vcpu *vcpu, const struct vmm_fpu *fpu)
{
	return vcpu_ioctl(vcpu, VMM_SET_FPU, fpu);
}

int vmm_vcpu_get_msrs(struct vmm_vcpu *vcpu, struct vmm_msrs *msrs)
{
	return (int)vmm__ioctl(vcpu->fd, VMM_GET_MSRS, msrs);
}

int vmm_vcpu_set_msrs(struct vmm_vcpu *vcpu, const struct vmm_msrs *msrs)
{
	return (int)vmm__ioctl(vcpu->fd, VMM_SET_MSRS, (void *)msrs);
}

/*
 * A heap vmm_msrs with one entry (a struct ending in a flexible array
 * cannot portably be embedded in another struct on the stack).
 */
static struct vmm_msrs *one_msr(uint32_t index, uint64_t value)
{
	struct vmm_msrs *m;

	m = calloc(1, sizeof(*m) + sizeof(m->entries[0]));
	if (m) {
		m->nmsrs = 1;
		m->entries[0].index = index;
		m->entries[0].data = value;
	}
	return m;
}

int vmm_vcpu_get_msr(struct vmm_vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct vmm_msrs *m = one_msr(index, 0);
	int ret;

	if (!m)
		return -ENOMEM;
	ret = vmm_vcpu_get_msrs(vcpu, m);
	if (ret == 1)
		*value = m->entries[0].data;
	free(m);
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -EINVAL;
}

int vmm_vcpu_set_msr(struct vmm_vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct vmm_msrs *m = one_msr(index, value);
	int ret;

	if (!m)
		return -ENOMEM;
	ret = vmm_vcpu_set_msrs(vcpu, m);
	free(m);
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -EINVAL;
}

int vmm_vcpu_set_cpuid(struct vmm_vcpu *vcpu, const struct vmm_cpuid2 *list)
{
	return vcpu_ioctl(vcpu, VMM_SET_CPUID2, list);
}

int vmm_vcpu_get_cpuid(struct vmm_vcpu *vcpu, struct vmm_cpuid2 **listp)
{
	uint32_t n = 64;

	*listp = NULL;
	for (;;) {
		struct vmm_cpuid2 *l;
		long ret;

		l = calloc(1, sizeof(*l) + n * sizeof(l->entries[0]));
		if (!l)
			return -ENOMEM;
		l->nent = n;
		ret = vmm__ioctl(vcpu->fd, VMM_GET_CPUID2, l);
		if (ret >= 0) {
			*listp = l;
			return 0;
		}
		free(l);
		if (ret != -E2BIG || n >= 65536)
			return (int)ret;
		n *= 2;
	}
}

/* The kernel's sigset on x86-64 is 64 bits, much smaller than glibc's. */
#define VMM_KERNEL_SIGSET_SIZE 8

int vmm_vcpu_prefault(struct vmm_vcpu *vcpu, uint64_t gpa, uint64_t size)
{
	struct vmm_pre_fault_memory range;

	memset(&range, 0, sizeof(range));
	range.gpa = gpa;
	range.size = size;
	/* The module returns 0 after part of the range: go on from there. */
	do {
		int ret = vcpu_ioctl(vcpu, VMM_PRE_FAULT_MEMORY, &range);

		if (ret)
			return ret;
	} while (range.size);
	return 0;
}

int vmm_vcpu_set_signal_mask(struct vmm_vcpu *vcpu, const sigset_t *set)
{
	struct vmm_signal_mask *m;
	int ret;

	if (!set)
		return vcpu_ioctl(vcpu, VMM_SET_SIGNAL_MASK, NULL);

	_Static_assert(sizeof(sigset_t) >= VMM_KERNEL_SIGSET_SIZE,
		       "sigset_t too small");
	m = calloc(1, sizeof(*m) + VMM_KERNEL_SIGSET_SIZE);
	if (!m)
		return -ENOMEM;
	m->len = VMM_KERNEL_SIGSET_SIZE;
	memcpy(m->sigset, set, VMM_KERNEL_SIGSET_SIZE);
	ret = vcpu_ioctl(vcpu, VMM_SET_SIGNAL_MASK, m);
	free(m);
	return ret;
}
