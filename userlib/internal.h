/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmm internals: the layout of the opaque handles, shared by the
 * library's source files and invisible outside the library.
 */
#ifndef LIBVMM_INTERNAL_H
#define LIBVMM_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

#define VMM_HIDDEN __attribute__((visibility("hidden")))

#define VMM_PAGE_SIZE	4096ULL
#define VMM_HUGE_SIZE	(2ULL << 20)

struct vmm_dev {
	int fd;
	char *path;
};

/* One memory slot as the library set it up. */
struct vmm_slot {
	uint32_t slot;
	uint32_t flags;		/* VMM_MEM_* as given to the module */
	uint64_t gpa;
	uint64_t size;
	void *hva;		/* where the guest memory starts */
	void *map_base;		/* what to munmap, NULL if caller-owned */
	size_t map_len;
};

struct vmm_vm {
	struct vmm_dev *dev;
	int fd;
	size_t run_size;	/* GET_VCPU_MMAP_SIZE, asked once */
	struct vmm_slot *slots;
	size_t nslots;
	size_t slots_cap;
	struct vmm_vcpu *vcpus;	/* singly linked through next */

	/* Device handlers (bus.c) and the run loop (run.c). */
	struct vmm_bus *pio;
	struct vmm_bus *mmio;
	FILE *trace;
	int kick_signal;	/* sent to vCPU threads to stop them */
	int loops;		/* vCPU loops running (atomic) */
	int stopping;		/* a stop was requested (atomic) */
	int stop_ready;		/* stop below is filled in (atomic) */
	struct vmm_stop stop;

	/* An interrupt controller in userspace (vmm_vm_set_intc). */
	const struct vmm_intc_ops *intc;
	void *intc_opaque;
};

struct vmm_vcpu {
	struct vmm_vm *vm;
	struct vmm_vcpu *next;
	int fd;
	uint32_t id;
	struct vmm_run *run;
	size_t run_size;
	pthread_t thread;	/* the thread running its loop, valid */
	int thread_live;	/* while thread_live; both under kick_lock */
	int kick_lock;		/* (atomic) a spinlock: kicks vs loop end */
	pthread_t join;		/* vmm_vm_run's thread, if join_ok */
	bool join_ok;
};

/* The slot holding guest-physical gpa, or NULL. */
VMM_HIDDEN const struct vmm_slot *vmm__slot_at(struct vmm_vm *vm,
					       uint64_t gpa);

/* linux.c: is image a bzImage (boot sector flag and "HdrS")? */
VMM_HIDDEN bool vmm__linux_detect(const void *image, size_t len);

/*
 * linux.c: the Linux loader of vmm_image_load_mem, on guest memory mem of
 * mem_size bytes; boot comes zeroed and is filled in (error on failure).
 */
VMM_HIDDEN int vmm__linux_load(uint8_t *mem, uint64_t mem_size,
			       const void *image, size_t len,
			       const struct vmm_load_params *p,
			       struct vmm_boot *boot);

/* ioctl() returning the result, or -errno on failure. */
VMM_HIDDEN long vmm__ioctl(int fd, unsigned long req, void *arg);

#endif /* LIBVMM_INTERNAL_H */
