/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmm: a small C library over the /dev/vmm ioctl interface.
 *
 * The device, a VM and a vCPU are opaque handles.  The library keeps no
 * global state: everything lives in the handles, and a handle owns exactly
 * what its comments say.  The same calls work on /dev/kvm, since /dev/vmm
 * speaks a subset of the KVM API.
 *
 * Conventions
 *  - Functions returning int return 0 (or a documented non-negative
 *    value) on success and a negative errno value on failure; errno itself
 *    is left as the failing system call set it but callers should not rely
 *    on it.
 *  - Functions returning a pointer return NULL on failure and then set
 *    errno; they never encode an errno in the pointer.
 *  - A handle must not be used by two threads at once, except that
 *    distinct vCPUs of one VM may run in parallel as long as no thread
 *    adds, moves or removes memory or creates/destroys vCPUs meanwhile.
 *    vmm_vm_stop() and vmm_vm_stopped() may be called from any thread
 *    and from signal handlers; bus lookups (the dispatch of exits) run
 *    from any number of vCPU threads once handlers are registered.
 *  - Parents outlive children: close a device only after destroying its
 *    VMs; vmm_vm_destroy() destroys the VM's remaining vCPUs itself.
 *  - The one process-wide change the library makes: vmm_vm_run() and
 *    vmm_vcpu_loop() install a do-nothing handler for the kick signal
 *    (VMM_KICK_SIGNAL unless told otherwise) if it has none.
 */
#ifndef LIBVMM_VMM_H
#define LIBVMM_VMM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/vmm.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMM_DEFAULT_DEVICE	"/dev/vmm"

struct vmm_dev;
struct vmm_vm;
struct vmm_vcpu;

/* ------------------------------------------------------------------ */
/* Device                                                              */
/* ------------------------------------------------------------------ */

/*
 * vmm_open: open the hypervisor device at path (NULL means
 * VMM_DEFAULT_DEVICE; "/dev/kvm" works too) and check that it speaks API
 * version VMM_API_VERSION.  On success *devp is a new handle the caller
 * releases with vmm_close().  Returns 0, -ENOENT if there is no such
 * device, -EPROTO on an API version mismatch, or another -errno.
 */
int vmm_open(const char *path, struct vmm_dev **devp);

/* vmm_close: close the device and free the handle.  NULL is ignored. */
void vmm_close(struct vmm_dev *dev);

/* vmm_dev_fd: the device's file descriptor (still owned by the handle). */
int vmm_dev_fd(const struct vmm_dev *dev);

/* vmm_dev_path: the path the device was opened with (owned by the handle). */
const char *vmm_dev_path(const struct vmm_dev *dev);

/* vmm_api_version: VMM_GET_API_VERSION; returns the version or -errno. */
int vmm_api_version(struct vmm_dev *dev);

/*
 * vmm_check_extension / vmm_vm_check_extension: VMM_CHECK_EXTENSION on the
 * device or on a VM.  Returns the capability's value (0 = unsupported; some
 * capabilities return a count or a mask) or -errno.
 */
int vmm_check_extension(struct vmm_dev *dev, unsigned int cap);
int vmm_vm_check_extension(struct vmm_vm *vm, unsigned int cap);

/* vmm_vcpu_mmap_size: VMM_GET_VCPU_MMAP_SIZE; returns bytes or -errno. */
int vmm_vcpu_mmap_size(struct vmm_dev *dev);

/*
 * vmm_get_supported_cpuid: VMM_GET_SUPPORTED_CPUID into a buffer the
 * library allocates (grown until the list fits).  On success *listp is the
 * list, which the caller frees with free().  Returns 0 or -errno.
 */
int vmm_get_supported_cpuid(struct vmm_dev *dev, struct vmm_cpuid2 **listp);

/*
 * vmm_get_msr_index_list: VMM_GET_MSR_INDEX_LIST, same allocation rules as
 * vmm_get_supported_cpuid (caller frees *listp with free()).
 */
int vmm_get_msr_index_list(struct vmm_dev *dev, struct vmm_msr_list **listp);

/*
 * vmm_cpuid_find: the entry for leaf function / subleaf index in list, or
 * NULL (errno = ENOENT).  index is ignored for entries without
 * VMM_CPUID_FLAG_SIGNIFCANT_INDEX.  The pointer points into list.
 */
struct vmm_cpuid_entry2 *vmm_cpuid_find(struct vmm_cpuid2 *list,
					uint32_t function, uint32_t index);

/* ------------------------------------------------------------------ */
/* VM                                                                  */
/* ------------------------------------------------------------------ */

/*
 * vmm_vm_create: VMM_CREATE_VM.  On success *vmp is a new VM handle owned
 * by the caller (release with vmm_vm_destroy()); it refers to dev, which
 * must stay open until then.  Returns 0 or -errno.
 */
int vmm_vm_create(struct vmm_dev *dev, struct vmm_vm **vmp);

/*
 * vmm_vm_destroy: destroy the VM's remaining vCPUs, close the VM fd, unmap
 * the memory the library allocated for it (vmm_mem_add) and free the
 * handle.  Memory passed in with vmm_mem_add_at stays the caller's.  NULL
 * is ignored.
 */
void vmm_vm_destroy(struct vmm_vm *vm);

/* vmm_vm_fd: the VM's file descriptor (still owned by the handle). */
int vmm_vm_fd(const struct vmm_vm *vm);

/* vmm_vm_dev: the device the VM was created on. */
struct vmm_dev *vmm_vm_dev(const struct vmm_vm *vm);

/* vmm_set_tss_addr: VMM_SET_TSS_ADDR (three pages at gpa).  0 or -errno. */
int vmm_set_tss_addr(struct vmm_vm *vm, uint64_t gpa);

/* vmm_set_identity_map_addr: VMM_SET_IDENTITY_MAP_ADDR.  0 or -errno. */
int vmm_set_identity_map_addr(struct vmm_vm *vm, uint64_t gpa);

/*
 * vmm_enable_cap: VMM_ENABLE_CAP on the VM with args[0] = arg0 (e.g.
 * VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with VMM_DIRTY_LOG_* bits).
 * Returns 0 or -errno.
 */
int vmm_enable_cap(struct vmm_vm *vm, unsigned int cap, uint64_t arg0);

/* ------------------------------------------------------------------ */
/* Guest memory                                                        */
/* ------------------------------------------------------------------ */

/*
 * Library-only flags (bits 16 and up, never passed to the module).
 *
 * vmm_mem_add backs a slot of 2 MiB or more with transparent huge pages
 * by default: it aligns the allocation to 2 MiB and advises MADV_HUGEPAGE
 * (the host's THP setting has the last word; "never" gives 4 KiB pages).
 * VMM_MEM_NO_HUGE opts out: 4 KiB pages, MADV_NOHUGEPAGE.
 * VMM_MEM_ALLOC_HUGE is the default for vmm_mem_add, accepted for
 * compatibility; for vmm_mem_add_memfd it asks for hugetlbfs pages.
 * Both at once are refused (-EINVAL).
 */
#define VMM_MEM_ALLOC_HUGE	(1U << 16)
#define VMM_MEM_NO_HUGE		(1U << 17)

/*
 * vmm_mem_add: allocate size bytes of zeroed anonymous memory and map it
 * as memory slot `slot` at guest-physical gpa with VMM_MEM_* flags (plus
 * VMM_MEM_NO_HUGE or VMM_MEM_ALLOC_HUGE, see above).  gpa and size must
 * be 4 KiB aligned.  On success,
 * if hvap is not NULL, *hvap is the host address of the memory, which the
 * VM owns: it is unmapped by vmm_mem_remove / vmm_vm_destroy.
 * Returns 0, -EEXIST if the library already has that slot, or -errno.
 */
int vmm_mem_add(struct vmm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		uint32_t flags, void **hvap);

/*
 * vmm_mem_add_at: like vmm_mem_add, but map the caller's memory at hva
 * (page aligned, size bytes).  The caller keeps ownership and must keep
 * the memory mapped while the slot exists.  Returns 0 or -errno.
 */
int vmm_mem_add_at(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		   uint64_t size, uint32_t flags, void *hva);

/*
 * vmm_mem_move: move slot to guest-physical new_gpa, keeping its host
 * memory and flags.  Returns 0, -ENOENT for an unknown slot, or -errno.
 */
int vmm_mem_move(struct vmm_vm *vm, uint32_t slot, uint64_t new_gpa);

/*
 * vmm_mem_set_flags: change a slot's VMM_MEM_* flags (e.g. start or stop
 * dirty logging).  Returns 0, -ENOENT for an unknown slot, or -errno.
 */
int vmm_mem_set_flags(struct vmm_vm *vm, uint32_t slot, uint32_t flags);

/*
 * vmm_mem_remove: delete slot from the VM and, if the library allocated
 * its memory, unmap it.  Returns 0, -ENOENT for an unknown slot, or -errno
 * (the memory is kept if the module refused the deletion).
 */
int vmm_mem_remove(struct vmm_vm *vm, uint32_t slot);

/*
 * vmm_gpa_to_hva: the host address of guest-physical [gpa, gpa + len)
 * (len 0 counts as 1), or NULL with errno = EFAULT if that range is not
 * entirely inside one slot.  The pointer is valid until the slot is moved
 * or removed.
 */
void *vmm_gpa_to_hva(struct vmm_vm *vm, uint64_t gpa, uint64_t len);

/*
 * vmm_load_flat: copy len bytes to guest-physical gpa (inside one slot).
 * Returns 0 or -EFAULT.
 */
int vmm_load_flat(struct vmm_vm *vm, uint64_t gpa, const void *bytes,
		  size_t len);

/*
 * vmm_get_dirty_log: VMM_GET_DIRTY_LOG for slot into bitmap, which must
 * hold one bit per 4 KiB page of the slot rounded up to 64 bits (see
 * vmm_dirty_bitmap_size).  Returns 0 or -errno.
 */
int vmm_get_dirty_log(struct vmm_vm *vm, uint32_t slot, void *bitmap);

/*
 * vmm_clear_dirty_log: VMM_CLEAR_DIRTY_LOG for num_pages pages of slot
 * starting at first_page, clearing those set in bitmap.  0 or -errno.
 */
int vmm_clear_dirty_log(struct vmm_vm *vm, uint32_t slot, uint64_t first_page,
			uint32_t num_pages, void *bitmap);

/* vmm_dirty_bitmap_size: bytes of bitmap for a slot of size bytes. */
size_t vmm_dirty_bitmap_size(uint64_t size);

/* ------------------------------------------------------------------ */
/* vCPUs                                                               */
/* ------------------------------------------------------------------ */

/*
 * vmm_vcpu_create: VMM_CREATE_VCPU with the given id, and map its run
 * structure.  On success *vcpup is a handle owned by the VM: release it
 * early with vmm_vcpu_destroy(), or let vmm_vm_destroy() do it.
 * Returns 0 or -errno.
 */
int vmm_vcpu_create(struct vmm_vm *vm, uint32_t id, struct vmm_vcpu **vcpup);

/* vmm_vcpu_destroy: unmap the run structure, close the fd, free.  NULL ok. */
void vmm_vcpu_destroy(struct vmm_vcpu *vcpu);

/* vmm_vcpu_fd, vmm_vcpu_id, vmm_vcpu_vm: the vCPU's fd, id and VM. */
int vmm_vcpu_fd(const struct vmm_vcpu *vcpu);
uint32_t vmm_vcpu_id(const struct vmm_vcpu *vcpu);
struct vmm_vm *vmm_vcpu_vm(const struct vmm_vcpu *vcpu);

/*
 * vmm_vcpu_run: VMM_RUN once.  Returns 0 after a VM exit (see
 * vmm_vcpu_run_data()->exit_reason), -EINTR if a signal or immediate_exit
 * stopped it, or another -errno.
 */
int vmm_vcpu_run(struct vmm_vcpu *vcpu);

/* vmm_vcpu_run_data: the mapped run structure (owned by the vCPU). */
struct vmm_run *vmm_vcpu_run_data(const struct vmm_vcpu *vcpu);

/*
 * vmm_vcpu_io_data: for a VMM_EXIT_IO exit, the address of the data
 * (io.count items of io.size bytes) inside the run structure, else NULL
 * with errno = EINVAL.
 */
void *vmm_vcpu_io_data(const struct vmm_vcpu *vcpu);

/* Register state.  Each returns 0 or -errno. */
int vmm_vcpu_get_regs(struct vmm_vcpu *vcpu, struct vmm_regs *regs);
int vmm_vcpu_set_regs(struct vmm_vcpu *vcpu, const struct vmm_regs *regs);
int vmm_vcpu_get_sregs(struct vmm_vcpu *vcpu, struct vmm_sregs *sregs);
int vmm_vcpu_set_sregs(struct vmm_vcpu *vcpu, const struct vmm_sregs *sregs);
int vmm_vcpu_get_fpu(struct vmm_vcpu *vcpu, struct vmm_fpu *fpu);
int vmm_vcpu_set_fpu(struct vmm_vcpu *vcpu, const struct vmm_fpu *fpu);

/*
 * vmm_vcpu_get_msrs / vmm_vcpu_set_msrs: VMM_GET_MSRS / VMM_SET_MSRS on
 * msrs->nmsrs entries.  Return how many entries were processed (it stops
 * at the first MSR the module refuses) or -errno.
 */
int vmm_vcpu_get_msrs(struct vmm_vcpu *vcpu, struct vmm_msrs *msrs);
int vmm_vcpu_set_msrs(struct vmm_vcpu *vcpu, const struct vmm_msrs *msrs);

/*
 * vmm_vcpu_get_msr / vmm_vcpu_set_msr: one MSR.  Return 0, -EINVAL if the
 * module refused that MSR, or -errno.
 */
int vmm_vcpu_get_msr(struct vmm_vcpu *vcpu, uint32_t index, uint64_t *value);
int vmm_vcpu_set_msr(struct vmm_vcpu *vcpu, uint32_t index, uint64_t value);

/*
 * vmm_vcpu_set_cpuid: VMM_SET_CPUID2 with the caller's list (which the
 * caller keeps).  Returns 0 or -errno.
 */
int vmm_vcpu_set_cpuid(struct vmm_vcpu *vcpu, const struct vmm_cpuid2 *list);

/*
 * vmm_vcpu_get_cpuid: VMM_GET_CPUID2 into a list the library allocates
 * (caller frees *listp with free()).  Returns 0 or -errno.
 */
int vmm_vcpu_get_cpuid(struct vmm_vcpu *vcpu, struct vmm_cpuid2 **listp);

/*
 * vmm_vcpu_set_signal_mask: VMM_SET_SIGNAL_MASK: the signals in *set are
 * blocked while the vCPU runs guest code; NULL removes the mask.
 * Returns 0 or -errno.
 */
int vmm_vcpu_set_signal_mask(struct vmm_vcpu *vcpu, const sigset_t *set);

/*
 * vmm_vcpu_prefault: VMM_PRE_FAULT_MEMORY until guest memory [gpa, gpa +
 * size) is all mapped, as the guest's reads would map it (host memory is
 * allocated as needed), so that the guest takes no EPT violation there
 * later: a launcher trades start-up time for faults.  gpa and size must be
 * 4 KiB aligned and size non-zero (else -EINVAL).  Returns 0, -ENOENT if
 * part of the range is in no slot, -EINTR if a signal came first (what was
 * done stays mapped: call again for the rest), -ENOTTY or -EINVAL where
 * the device lacks the ioctl (VMM_CAP_PRE_FAULT_MEMORY says), or -errno.
 * vCPUs of one VM may map parts of a range in parallel.
 */
int vmm_vcpu_prefault(struct vmm_vcpu *vcpu, uint64_t gpa, uint64_t size);

/* ------------------------------------------------------------------ */
/* Execution modes                                                     */
/* ------------------------------------------------------------------ */

enum vmm_mode {
	VMM_MODE_REAL,		/* real mode (needs unrestricted guest) */
	VMM_MODE_PROT32,	/* 32-bit protected mode, flat, no paging */
	VMM_MODE_PAGED32,	/* 32-bit paging, identity-mapped 4 GiB */
	VMM_MODE_PAE,		/* PAE paging, identity-mapped 4 GiB */
	VMM_MODE_LONG64,	/* IA-32e 64-bit mode, identity-mapped 4 GiB */
	VMM_MODE_COUNT
};

/* Flags for the setup functions. */
#define VMM_SETUP_SMALL_PAGES	(1U << 0)	/* first 4 MiB (32-bit) or
						 * 2 MiB (PAE, long) with
						 * 4 KiB pages */

/*
 * The scratch area: VMM_SCRATCH_SIZE bytes at a 4 KiB-aligned guest
 * address below 4 GiB, laid out as
 *   +0x0000  GDT (selectors below)
 *   +0x0800  TSS (104 bytes, no I/O bitmap)
 *   +0x1000  page tables: the top level at +0x1000, then lower levels
 * The GDT is always written; page tables only in paging modes.
 */
#define VMM_SCRATCH_SIZE	0x8000
#define VMM_SCRATCH_GDT		0x0000
#define VMM_SCRATCH_TSS		0x0800
#define VMM_SCRATCH_PGTABLE	0x1000

#define VMM_SEL_CODE32		0x08	/* flat 32-bit code, type 0xb */
#define VMM_SEL_DATA		0x10	/* flat 32-bit data, type 3 */
#define VMM_SEL_CODE64		0x18	/* 64-bit code, L=1 */
#define VMM_SEL_TSS		0x20	/* busy TSS (16 bytes in the GDT) */
#define VMM_SEL_CODE16		0x30	/* 64 KiB 16-bit code at base 0 */
#define VMM_SEL_DATA16		0x38	/* 64 KiB 16-bit data at base 0 */
#define VMM_GDT_ENTRIES		8

/* Control register and EFER bits the setup uses. */
#define VMM_CR0_PE	(1ULL << 0)
#define VMM_CR0_ET	(1ULL << 4)
#define VMM_CR0_NE	(1ULL << 5)
#define VMM_CR0_PG	(1ULL << 31)
#define VMM_CR4_PSE	(1ULL << 4)
#define VMM_CR4_PAE	(1ULL << 5)
#define VMM_CR4_OSFXSR	(1ULL << 9)
#define VMM_CR4_OSXMMEXCPT (1ULL << 10)
#define VMM_EFER_LME	(1ULL << 8)
#define VMM_EFER_LMA	(1ULL << 10)

/*
 * vmm_mode_build: the host-only half of mode setup, usable on any buffer.
 * Writes the GDT, TSS and (for paging modes) identity-mapping page tables
 * for guest-physical scratch_gpa into scratch (VMM_SCRATCH_SIZE bytes,
 * zeroed first), and fills in sregs (segments, GDTR/IDTR, CR0/CR3/CR4,
 * EFER; apic_base, cr2, cr8 and interrupt_bitmap are left alone) and regs
 * (rip, rsp, rflags = 2; other registers left alone) so that the vCPU
 * starts at rip with stack pointer rsp in that mode.
 *
 * In real mode rip and rsp are linear addresses below 1 MiB: every segment
 * gets the selector (rip >> 4) & 0xf000 (tiny model: CS = DS = ES = FS =
 * GS = SS, base = selector << 4), IP = rip - base and SP = rsp - base,
 * which must be in [0, 0x10000].  The IDT is the real-mode vector table at
 * 0 in real mode and empty (limit 0) otherwise, so any exception in a
 * protected mode becomes a triple fault (VMM_EXIT_SHUTDOWN).
 *
 * Returns 0 or -EINVAL (bad mode or flags, scratch_gpa unaligned or the
 * area not below 4 GiB, real-mode rip/rsp out of range).
 */
int vmm_mode_build(enum vmm_mode mode, unsigned int flags, void *scratch,
		   uint64_t scratch_gpa, uint64_t rip, uint64_t rsp,
		   struct vmm_sregs *sregs, struct vmm_regs *regs);

/*
 * vmm_vcpu_setup_mode: vmm_mode_build on the guest memory at scratch_gpa
 * (which must lie inside one slot), then load the result into the vCPU
 * with get/set sregs and regs.  Returns 0, -EFAULT if the scratch area is
 * not guest memory, -EINVAL as for vmm_mode_build, or -errno.
 */
int vmm_vcpu_setup_mode(struct vmm_vcpu *vcpu, enum vmm_mode mode,
			unsigned int flags, uint64_t scratch_gpa,
			uint64_t rip, uint64_t rsp);

/* vmm_mode_name: "real", "prot32", "paged32", "pae", "long64" or "?". */
const char *vmm_mode_name(enum vmm_mode mode);

/*
 * vmm_mode_parse: the mode named name (as vmm_mode_name spells it) in
 * *modep.  Returns 0 or -EINVAL.
 */
int vmm_mode_parse(const char *name, enum vmm_mode *modep);

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

/*
 * vmm_exit_reason_name: a static name for a VMM_EXIT_* value, e.g. "IO",
 * "HLT"; KVM's other exit numbers are named too; unknown ones give "?".
 */
const char *vmm_exit_reason_name(uint32_t reason);

/* vmm_internal_error_name: a static name for a VMM_INTERNAL_ERROR_* value. */
const char *vmm_internal_error_name(uint32_t suberror);

/*
 * vmm_exit_describe: one line (no newline) describing run's exit, e.g.
 * "IO out port 0xe9 size 1 count 1", into buf (always NUL-terminated).
 * Returns what snprintf returned.
 */
int vmm_exit_describe(const struct vmm_run *run, char *buf, size_t len);

/* vmm_regs_dump / vmm_sregs_dump: print registers to f, several lines. */
void vmm_regs_dump(FILE *f, const struct vmm_regs *regs);
void vmm_sregs_dump(FILE *f, const struct vmm_sregs *sregs);

/*
 * vmm_vcpu_dump: print the vCPU's registers and segment state to f.
 * Returns 0 or -errno if they could not be read.
 */
int vmm_vcpu_dump(struct vmm_vcpu *vcpu, FILE *f);

/* ------------------------------------------------------------------ */
/* File- and memfd-backed guest memory                                 */
/* ------------------------------------------------------------------ */

/*
 * vmm_mem_add_fd: map size bytes of the file fd from offset (both 4 KiB
 * aligned) shared, read-write, and add them as slot `slot` at gpa (flags
 * as for vmm_mem_add; VMM_MEM_ALLOC_HUGE and VMM_MEM_NO_HUGE are refused
 * here: the file decides, e.g. a hugetlbfs file).  The file must be at
 * least offset + size bytes long.  The VM owns the mapping (unmapped by
 * vmm_mem_remove / vmm_vm_destroy); the caller keeps fd and may close it
 * at once.  *hvap (if hvap is not NULL) is the mapping.  Returns 0,
 * -EEXIST, -EINVAL or -errno from mmap or the module.
 */
int vmm_mem_add_fd(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		   uint64_t size, uint32_t flags, int fd, uint64_t offset,
		   void **hvap);

/*
 * vmm_mem_add_memfd: create a memfd of size bytes (with MFD_HUGETLB and
 * 2 MiB pages if flags has VMM_MEM_ALLOC_HUGE; size must then be 2 MiB
 * aligned and the host must have huge pages reserved; without it, or
 * with VMM_MEM_NO_HUGE, a plain shmem memfd), and add it as with
 * vmm_mem_add_fd.  If fdp is not NULL, *fdp is the memfd, which the caller
 * then owns and closes (e.g. to share the memory with another process);
 * else the library closes it.  Returns 0 or -errno.
 */
int vmm_mem_add_memfd(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, uint32_t flags, int *fdp, void **hvap);

/* ------------------------------------------------------------------ */
/* Guest CPUID                                                         */
/* ------------------------------------------------------------------ */

/*
 * vmm_vcpu_setup_cpuid: give the vCPU the device's supported CPUID list,
 * with its initial APIC ID (leaf 1 EBX[31:24], leaves 0xb and 0x1f EDX)
 * set to the vCPU id, then with the n entries of overrides applied: an
 * override replaces the entry with the same function and index (index
 * compared only if the override has VMM_CPUID_FLAG_SIGNIFCANT_INDEX) or is
 * appended.  The caller keeps overrides (may be NULL when n is 0).
 * Returns 0 or -errno.
 */
int vmm_vcpu_setup_cpuid(struct vmm_vcpu *vcpu,
			 const struct vmm_cpuid_entry2 *overrides, size_t n);

/* ------------------------------------------------------------------ */
/* Device handlers: port I/O and MMIO buses                            */
/* ------------------------------------------------------------------ */

/*
 * A bus maps address ranges (I/O ports, or guest-physical addresses for
 * MMIO) to handlers.  Each VM has one of each kind (vmm_vm_bus); a bus can
 * also be created alone, e.g. to test a device model without /dev/vmm.
 * Registrations are kept in an array sorted by base, and every access is
 * looked up by binary search.  The bus is not locked: register and
 * unregister handlers before the vCPUs run, or while none runs; lookups
 * from any number of running vCPU threads are safe.
 *
 * An access to an address without a handler follows a fixed policy: a
 * read returns all ones (0xff in every byte), a write is dropped, and if
 * a log stream is set (vmm_bus_set_log) one line describing the access is
 * written there.
 */
struct vmm_bus;

enum vmm_bus_kind {
	VMM_BUS_PIO,		/* port I/O: addresses 0..0xffff */
	VMM_BUS_MMIO,		/* guest-physical addresses */
};

/* One access as a handler sees it. */
struct vmm_access {
	struct vmm_vcpu *vcpu;	/* the vCPU making it, NULL if none */
	uint64_t addr;		/* port or guest-physical address */
	uint64_t offset;	/* addr minus the base the handler registered */
	uint32_t len;		/* bytes: 1, 2, 4 (port I/O) or 1..8 (MMIO) */
	int is_write;		/* 1 for OUT / a store, 0 for IN / a load */
	uint8_t *data;		/* len bytes, little endian: read them for a
				 * write, fill them for a read (they hold all
				 * ones on entry) */
};

/*
 * A handler returns 0, or a negative errno value that stops the VM
 * (VMM_STOP_ERROR with that code).  It may call vmm_vcpu_stop_vm() on
 * acc->vcpu to stop the VM on purpose.
 */
typedef int (*vmm_io_handler_t)(void *opaque, const struct vmm_access *acc);

/*
 * vmm_bus_create: a new empty bus of the given kind, owned by the caller
 * (vmm_bus_free).  Returns 0, -EINVAL or -ENOMEM.
 */
int vmm_bus_create(enum vmm_bus_kind kind, struct vmm_bus **busp);

/* vmm_bus_free: free a bus made by vmm_bus_create.  NULL is ignored. */
void vmm_bus_free(struct vmm_bus *bus);

/*
 * vmm_vm_bus: the VM's own bus of the given kind (owned by the VM, freed
 * by vmm_vm_destroy), or NULL with errno = EINVAL.
 */
struct vmm_bus *vmm_vm_bus(struct vmm_vm *vm, enum vmm_bus_kind kind);

/*
 * vmm_bus_register: call fn(opaque, access) for every access to
 * [base, base + len).  An access starting in the range goes to its
 * handler whole.  The caller keeps opaque.  Returns 0, -EINVAL (len 0,
 * range wrapping around, or beyond port 0xffff on a port bus), -EEXIST if
 * the range overlaps a registered one, or -ENOMEM.
 */
int vmm_bus_register(struct vmm_bus *bus, uint64_t base, uint64_t len,
		     vmm_io_handler_t fn, void *opaque);

/*
 * vmm_bus_unregister: remove the registration starting at base.
 * Returns 0 or -ENOENT.
 */
int vmm_bus_unregister(struct vmm_bus *bus, uint64_t base);

/*
 * vmm_register_pio / vmm_register_mmio: vmm_bus_register on the VM's
 * port or MMIO bus.
 */
int vmm_register_pio(struct vmm_vm *vm, uint16_t base, uint32_t len,
		     vmm_io_handler_t fn, void *opaque);
int vmm_register_mmio(struct vmm_vm *vm, uint64_t base, uint64_t len,
		      vmm_io_handler_t fn, void *opaque);

/*
 * vmm_bus_set_log: write one line per access without a handler to f (the
 * caller keeps f; NULL turns logging off, the default).
 */
void vmm_bus_set_log(struct vmm_bus *bus, FILE *f);

/* vmm_bus_count: the number of registrations. */
size_t vmm_bus_count(const struct vmm_bus *bus);

/*
 * vmm_bus_access: one access of len bytes (1..8) at addr, through the
 * handler covering addr or through the unhandled policy.  For a read,
 * data is set to all ones first.  vcpu (may be NULL) is passed on.
 * Returns the handler's result, or 0 for an unhandled access.
 */
int vmm_bus_access(struct vmm_bus *bus, struct vmm_vcpu *vcpu, uint64_t addr,
		   void *data, uint32_t len, int is_write);

/*
 * vmm_bus_handled: 1 if some handler covers addr, else 0.
 */
int vmm_bus_handled(const struct vmm_bus *bus, uint64_t addr);

/*
 * vmm_dispatch_exit: handle the I/O or MMIO exit described by run (a run
 * structure of run_size bytes) with the handlers of pio and mmio.  A port
 * I/O exit is dispatched item by item: io.count items of io.size bytes at
 * run + io.data_offset (string I/O and REP prefixes give count > 1), in
 * order; an MMIO exit is one access of mmio.len bytes at
 * mmio.phys_addr with run->mmio.data.  Reads leave their results in the
 * run structure for the next VMM_RUN.  Usable on a run structure the
 * caller built (tests, replay).  Returns 0, -ENOSYS if the exit is
 * neither VMM_EXIT_IO nor VMM_EXIT_MMIO, -EINVAL for a malformed exit
 * (data outside the run structure, bad size), or a handler's -errno.
 */
int vmm_dispatch_exit(struct vmm_bus *pio, struct vmm_bus *mmio,
		      struct vmm_vcpu *vcpu, struct vmm_run *run,
		      size_t run_size);

/* vmm_vcpu_dispatch: vmm_dispatch_exit for the vCPU's last exit, with
 * its VM's buses. */
int vmm_vcpu_dispatch(struct vmm_vcpu *vcpu);

/* ------------------------------------------------------------------ */
/* Running and stopping                                                */
/* ------------------------------------------------------------------ */

/* Why a VM stopped. */
enum vmm_stop_reason {
	VMM_STOP_NONE,		/* still running / never stopped */
	VMM_STOP_HALT,		/* every vCPU executed HLT */
	VMM_STOP_DEBUG_EXIT,	/* guest wrote code to the debug-exit port */
	VMM_STOP_REQUEST,	/* vmm_vm_stop / vmm_vcpu_stop_vm by the caller */
	VMM_STOP_SHUTDOWN,	/* triple fault (VMM_EXIT_SHUTDOWN) */
	VMM_STOP_FAIL_ENTRY,	/* VM entry failed; code = hardware reason */
	VMM_STOP_INTERNAL_ERROR, /* VMM_EXIT_INTERNAL_ERROR; code = suberror */
	VMM_STOP_SYSTEM_EVENT,	/* VMM_EXIT_SYSTEM_EVENT; code = type */
	VMM_STOP_UNHANDLED,	/* an exit the library does not handle;
				 * code = exit reason */
	VMM_STOP_ERROR,		/* VMM_RUN or a handler failed; code = -errno */
	VMM_STOP_RESET,		/* the guest asked for a reset (port 0x92,
				 * the i8042's pulse command); code = port */
};

/* What stopped a VM: filled by vmm_vm_run / vmm_vcpu_loop. */
struct vmm_stop {
	enum vmm_stop_reason reason;
	int64_t code;		/* see enum vmm_stop_reason */
	int vcpu_id;		/* the vCPU concerned, -1 if none */
	uint32_t exit_reason;	/* its last VMM_EXIT_*, if vcpu_id >= 0 */
	uint64_t rip;		/* its RIP then (CS-relative in real mode) */
	uint64_t cs_base;	/* and the CS base, for the linear address */
	char exit[128];		/* vmm_exit_describe of that exit, or "" */
};

/* vmm_stop_reason_name: "halt", "debug-exit", ... or "?". */
const char *vmm_stop_reason_name(enum vmm_stop_reason reason);

/*
 * vmm_vm_set_trace: write one line per exit of any vCPU to f (vCPU id,
 * RIP, vmm_exit_describe), or stop tracing with NULL.  The caller keeps f.
 * Set it before running.
 */
void vmm_vm_set_trace(struct vmm_vm *vm, FILE *f);

/*
 * vmm_vcpu_loop: run the vCPU on the calling thread until its VM stops
 * or the vCPU halts, handling port I/O and MMIO exits with the VM's buses
 * (vmm_vcpu_dispatch) and turning every other exit into a stop of the
 * whole VM.  A HLT exit ends this vCPU's loop; the VM stops (reason
 * VMM_STOP_HALT) when the last running vCPU halts.  VMM_RUN returning
 * -EINTR with no stop requested (a stray signal) is retried.
 * If stop is not NULL and the VM has stopped, *stop says why (reason
 * VMM_STOP_NONE if only this vCPU halted).  Returns 0, or -errno if the
 * arguments are bad.
 */
int vmm_vcpu_loop(struct vmm_vcpu *vcpu, struct vmm_stop *stop);

/*
 * vmm_vm_run: run every vCPU of the VM on its own new thread
 * (vmm_vcpu_loop) and wait until they have all finished, i.e. until the
 * VM stops; then fill *stop (may be NULL).  Stopping uses immediate_exit
 * and the signal kick_signal (0 means VMM_KICK_SIGNAL) sent to the vCPU
 * threads: if that signal's disposition is the default one, the library
 * installs a handler that does nothing (a process-wide change, made once).
 * The vCPU threads have every other signal blocked, so signals such as
 * SIGINT reach the caller's threads.  Returns 0, -EINVAL (no vCPU), or
 * -errno if a thread could not be started (the VM is then stopped).
 */
#define VMM_KICK_SIGNAL		SIGUSR1
int vmm_vm_run(struct vmm_vm *vm, int kick_signal, struct vmm_stop *stop);

/*
 * vmm_vm_stop: ask the VM to stop with the given reason (normally
 * VMM_STOP_REQUEST) and code.  The first stop wins; later ones return
 * -EALREADY.  Every vCPU gets immediate_exit set and running vCPU
 * threads are kicked with the signal, so vmm_vm_run returns soon.
 * Async-signal-safe and thread-safe: call it from any thread or from a
 * signal handler.  Returns 0 or -EALREADY.
 */
int vmm_vm_stop(struct vmm_vm *vm, enum vmm_stop_reason reason, int64_t code);

/*
 * vmm_vcpu_stop_vm: vmm_vm_stop, recording vcpu's RIP and last exit in
 * the stop information.  For device handlers and vCPU threads, not for
 * signal handlers.  Returns 0 or -EALREADY.
 */
int vmm_vcpu_stop_vm(struct vmm_vcpu *vcpu, enum vmm_stop_reason reason,
		     int64_t code);

/* vmm_vm_stopped: 1 if a stop was requested, else 0.  Async-signal-safe. */
int vmm_vm_stopped(const struct vmm_vm *vm);

/*
 * vmm_vm_clear_stop: forget a stop (and clear immediate_exit), to run the
 * VM again.  Only while no vCPU runs.
 */
void vmm_vm_clear_stop(struct vmm_vm *vm);

/* ------------------------------------------------------------------ */
/* Guest loaders                                                       */
/* ------------------------------------------------------------------ */

/*
 * The loaders put an image into guest memory that starts at
 * guest-physical 0 (one slot) and describe how to start it.  They keep
 * [VMM_BOOT_RESERVED_START, VMM_BOOT_RESERVED_END) for themselves: the
 * mode-setup scratch area (GDT, TSS, page tables) at VMM_BOOT_SCRATCH_GPA
 * and the Multiboot information, or Linux's zero page (boot_params, 4 KiB)
 * followed by its command line (up to VMM_BOOT_RESERVED_END), at
 * VMM_BOOT_INFO_GPA; an image placed there is refused.  Protected and long mode stacks grow down from
 * VMM_BOOT_STACK_TOP (vCPU n: minus n * VMM_BOOT_STACK_SIZE); real-mode
 * ones from the top of the 64 KiB block of the entry point.
 */
#define VMM_BOOT_RESERVED_START	0x80000ULL
#define VMM_BOOT_RESERVED_END	0x90000ULL
#define VMM_BOOT_SCRATCH_GPA	0x80000ULL
#define VMM_BOOT_INFO_GPA	0x88000ULL
#define VMM_BOOT_STACK_TOP	0x80000ULL
#define VMM_BOOT_STACK_SIZE	0x1000ULL
#define VMM_BOOT_FLAT_ADDR_REAL	0x7c00ULL
#define VMM_BOOT_FLAT_ADDR	0x100000ULL
#define VMM_MULTIBOOT_MAGIC	0x1badb002U	/* in the image header */
#define VMM_MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002U /* in EAX at entry */

enum vmm_image_format {
	VMM_IMAGE_AUTO,		/* detect (vmm_image_detect) */
	VMM_IMAGE_FLAT,
	VMM_IMAGE_ELF,
	VMM_IMAGE_MULTIBOOT,
	VMM_IMAGE_LINUX,	/* x86 Linux boot protocol (bzImage) */
};

struct vmm_load_params {
	enum vmm_image_format format;
	enum vmm_mode flat_mode;  /* VMM_IMAGE_FLAT: the start mode
				   * (detection picks VMM_MODE_REAL) */
	uint64_t load_addr;	  /* VMM_IMAGE_FLAT: where it goes and
				   * starts; 0 = VMM_BOOT_FLAT_ADDR_REAL
				   * in real mode, else VMM_BOOT_FLAT_ADDR */
	const char *cmdline;	  /* Multiboot or Linux command line,
				   * NULL = "" */
	const void *initrd;	  /* VMM_IMAGE_LINUX: the initial RAM disk
				   * (initrd_len bytes), NULL = none */
	size_t initrd_len;
};

/* How to start a loaded image (vmm_vcpu_boot). */
struct vmm_boot {
	enum vmm_image_format format;	/* what was loaded */
	enum vmm_mode mode;
	uint64_t entry;			/* linear address of the first
					 * instruction */
	uint64_t stack_top;		/* vCPU 0's stack pointer */
	uint64_t low, high;		/* guest-physical [low, high) spanned
					 * by the image */
	uint64_t mem_size;		/* guest memory the loader saw */
	int set_ab;			/* 1: start with eax and ebx below */
	uint32_t eax, ebx;		/* Multiboot: magic and info address */
	uint64_t zero_page;		/* Linux: boot_params address (RSI at
					 * entry), else 0 */
	char error[256];		/* on failure: what is wrong */
};

/*
 * vmm_image_format_name: "auto", "flat", "elf", "multiboot", "linux" or
 * "?".
 */
const char *vmm_image_format_name(enum vmm_image_format format);

/*
 * vmm_image_detect: the format of image (len bytes): VMM_IMAGE_LINUX for a
 * bzImage ("HdrS" at 0x202 and the boot flag 0xaa55 at 0x1fe),
 * VMM_IMAGE_MULTIBOOT if a Multiboot v1 header (magic, valid checksum,
 * 4-byte aligned) lies in the first 8 KiB, VMM_IMAGE_ELF for the ELF
 * magic, else VMM_IMAGE_FLAT, tested in that order (an ELF file with a
 * Multiboot header is VMM_IMAGE_MULTIBOOT).
 */
enum vmm_image_format vmm_image_detect(const void *image, size_t len);

/*
 * vmm_image_load_mem: the host-only loader.  mem is the host view of
 * guest-physical [0, mem_size).  Places image as p says (p NULL means
 * detect, flat real mode at the default address) and fills *boot.
 *  - flat: the bytes at load_addr, entry = load_addr, in p->flat_mode;
 *  - ELF: ELFCLASS32 with EM_386 (32-bit protected mode) or ELFCLASS64
 *    with EM_X86_64 (64-bit long mode), ET_EXEC; each PT_LOAD segment at
 *    its p_paddr, filesz bytes copied and the rest up to memsz zeroed;
 *    entry = e_entry;
 *  - Multiboot v1: the header's a.out kludge addresses (flag 16) or else
 *    the ELF32 inside; flat 32-bit protected mode, paging off, EAX =
 *    VMM_MULTIBOOT_BOOTLOADER_MAGIC, EBX = VMM_BOOT_INFO_GPA where the
 *    information structure has mem_lower/mem_upper, a memory map, the
 *    command line and the loader's name.
 *  - Linux (x86 boot protocol 2.06 or later, bzImage: loadflags
 *    LOADED_HIGH): the protected-mode part (the file after its
 *    (setup_sects + 1) * 512 bytes of setup, setup_sects 0 meaning 4) at
 *    pref_address if [pref_address, + init_size) lies in guest memory
 *    from 1 MiB and below 4 GiB, else, for a relocatable kernel, at
 *    16 MiB or else 1 MiB rounded up to kernel_alignment (protocols
 *    before 2.10: at 1 MiB, init_size = the protected-mode part).  The
 *    initrd (p->initrd, p->initrd_len bytes) goes as high as possible,
 *    page aligned, below guest memory's end, initrd_addr_max + 1 and
 *    4 GiB, above the kernel's init_size area.  The zero page at
 *    VMM_BOOT_INFO_GPA (boot->zero_page) gets the image's setup header
 *    and type_of_loader 0xff (no assigned loader id), CAN_USE_HEAP with
 *    heap_end_ptr 0xfe00, code32_start = the load address,
 *    cmd_line_ptr, ramdisk_image/size (and their ext_ high halves),
 *    alt_mem_k (KiB above 1 MiB) and an E820 map: RAM [0, 0x9fc00),
 *    reserved [0x9fc00, 0xa0000) and [0xf0000, 0x100000), RAM
 *    [1 MiB, mem_size) (all of guest memory stays usable RAM in the
 *    slot; only the map marks the BIOS areas); screen_info stays zero
 *    (no VGA).  The command line follows at VMM_BOOT_INFO_GPA + 4 KiB and
 *    may have up to cmdline_size bytes.  Start: the 64-bit entry (long
 *    mode, entry = load address + 0x200) when xloadflags has
 *    XLF_KERNEL_64, else the 32-bit one (flat protected mode, entry =
 *    load address); [low, high) is the kernel's init_size area.
 * Returns 0, or -ENOEXEC (malformed or unsupported image: truncated,
 * wrong class or machine, unknown required Multiboot flags, Linux boot
 * protocol too old or not a bzImage), -ERANGE (a segment outside guest
 * memory or in the reserved area, a Linux kernel or initrd that does not
 * fit), -EEXIST (overlapping segments) or -EINVAL (bad parameters, a
 * command line longer than the kernel takes), with boot->error saying
 * what is wrong.  Memory may be partly written on failure.
 */
int vmm_image_load_mem(void *mem, uint64_t mem_size, const void *image,
		       size_t len, const struct vmm_load_params *p,
		       struct vmm_boot *boot);

/*
 * vmm_image_load: vmm_image_load_mem into the VM's slot at
 * guest-physical 0 (which must exist: -EFAULT otherwise).
 */
int vmm_image_load(struct vmm_vm *vm, const void *image, size_t len,
		   const struct vmm_load_params *p, struct vmm_boot *boot);

/*
 * vmm_image_load_file: read the file at path and vmm_image_load it.
 * Returns as vmm_image_load, or -errno from opening or reading the file
 * (boot->error names the file).
 */
int vmm_image_load_file(struct vmm_vm *vm, const char *path,
			const struct vmm_load_params *p,
			struct vmm_boot *boot);

/*
 * vmm_vcpu_boot: set the vCPU up to start the loaded image: the mode of
 * boot (vmm_vcpu_setup_mode with the scratch area at
 * VMM_BOOT_SCRATCH_GPA), RIP = entry, its own stack below
 * boot->stack_top (VMM_BOOT_STACK_SIZE per vCPU id), and EAX/EBX for
 * Multiboot.  Every vCPU starts at the entry point; the guest tells them
 * apart by their APIC ID (vmm_vcpu_setup_cpuid).  Linux: RSI (ESI) =
 * boot->zero_page, every other general register 0, RFLAGS = 2
 * (interrupts off), flat 4 GiB segments, and in long mode the identity
 * map of the first 4 GiB; only vCPU 0 may start Linux (other ids:
 * -EINVAL), so a Linux guest runs on one vCPU.  Returns 0 or -errno.
 */
int vmm_vcpu_boot(struct vmm_vcpu *vcpu, const struct vmm_boot *boot);

/* ------------------------------------------------------------------ */
/* Built-in devices                                                    */
/* ------------------------------------------------------------------ */

/*
 * A 16550A UART: the eight registers from base (0x3f8 for COM1): RBR/THR,
 * IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, with DLL/DLM behind LCR.DLAB,
 * a 16-byte receive FIFO, loopback (MCR bit 4) and the modem lines
 * echoed in MSR.  Transmitted bytes are written to out_fd at once, so
 * LSR always has THRE and TEMT set.  IIR reports the pending source that
 * IER enables, highest priority first: line status (an overrun in LSR;
 * only loopback can overrun), received data, THR empty (cleared by the
 * IIR read reporting it, pending again after every THR write, raised by
 * enabling IER.THRI), modem status (MSR deltas).  Accesses from several
 * vCPU threads are serialised by a lock in the device, so each byte
 * written reaches out_fd whole (lines from several vCPUs may still
 * interleave byte by byte).
 *
 * Without an interrupt line (as created), received bytes are read from
 * in_fd (non-blocking poll) when the guest looks at LSR, RBR or IIR, and
 * received data shows as IIR ID 0x04.
 *
 * With one (vmm_uart_set_irq below), in_fd is read only by
 * vmm_uart_poll_input, at most as much as the FIFO has room for (an
 * in_fd of -1 is input at its end); in loopback the FIFO takes no input
 * (vmm_uart_input_room 0), and leaving loopback calls the notify.  The
 * output is high while a source is pending and enabled and MCR.OUT2 is
 * set, outside loopback (in loopback the interrupts stay internal,
 * visible in IIR); fn sees level changes only.  Received data is reported
 * whenever the FIFO is not empty: ID 0x04 at or above the FCR trigger
 * level (1, 4, 8, 14 bytes; 1 without FIFO), else the character-timeout
 * ID 0x0c at once (the real part waits 4 character times).  fn is called
 * with the UART's lock held, so it must not access the UART; the notify
 * is called after the lock is dropped.
 */
#define VMM_UART_COM1		0x3f8
struct vmm_uart;

/*
 * vmm_uart_create: a UART writing to out_fd and reading from in_fd (-1
 * for either: output dropped / no input).  The caller keeps both fds
 * open while the UART exists and closes them afterwards.  *uartp is owned
 * by the caller (vmm_uart_free).  Returns 0 or -ENOMEM.
 */
int vmm_uart_create(int in_fd, int out_fd, struct vmm_uart **uartp);

/* vmm_uart_free: free it (unregister it first).  NULL is ignored. */
void vmm_uart_free(struct vmm_uart *uart);

/* vmm_uart_attach: register its 8 ports at base on a port bus.  0/-errno. */
int vmm_uart_attach(struct vmm_uart *uart, struct vmm_bus *bus,
		    uint16_t base);

/*
 * vmm_uart_tx_count: bytes the guest has transmitted so far (including
 * any that could not be written to out_fd).
 */
uint64_t vmm_uart_tx_count(const struct vmm_uart *uart);

/*
 * The debug-exit port, like QEMU's isa-debug-exit: a write of value v (1,
 * 2 or 4 bytes) stops the VM with VMM_STOP_DEBUG_EXIT, code v; a launcher
 * then exits with status (v << 1) | 1.  Reads return all ones.
 */
#define VMM_DEBUG_EXIT_PORT	0xf4

/* vmm_debug_exit_attach: register the port at port on a port bus. */
int vmm_debug_exit_attach(struct vmm_bus *bus, uint16_t port);

/* ------------------------------------------------------------------ */
/* PC devices                                                          */
/* ------------------------------------------------------------------ */

/*
 * The device models below are not locked: the caller serialises every
 * call into one model and every access through a bus to it (vmm_pc does
 * it with one lock for the whole machine).  Each can be tested alone on a
 * bus of its own with a fake clock.
 */

/* An interrupt output: irq is the line number given at wiring time,
 * level 1 = asserted.  Called with the caller's serialisation held. */
typedef void (*vmm_irq_fn)(void *opaque, unsigned int irq, int level);

/* A clock in nanoseconds; NULL as a clock means the library's default
 * (CLOCK_MONOTONIC for timers, CLOCK_REALTIME for the RTC). */
typedef uint64_t (*vmm_clock_fn)(void *opaque);

/* A device telling its owner that something changed (e.g. a deadline).
 * Must not call back into the device. */
typedef void (*vmm_notify_fn)(void *opaque);

#define VMM_DEADLINE_NONE	UINT64_MAX

/* ---- 8259A pair (pic.c) ---- */

/*
 * Master at 0x20-0x21, slave at 0xa0-0xa1 cascaded on master IRQ 2, and
 * the edge/level control registers (ELCR) at 0x4d0-0x4d1.  ICW1-ICW4,
 * OCW1-OCW3 (IMR read-back, IRR/ISR reads, poll mode), specific and
 * non-specific EOI, automatic EOI, rotation, special mask mode, edge and
 * level triggering, spurious IRQ 7 / 15.
 */
struct vmm_pic;

/* vmm_pic_create: a PIC pair in its power-on state.  0 or -ENOMEM. */
int vmm_pic_create(struct vmm_pic **picp);
void vmm_pic_free(struct vmm_pic *pic);

/* vmm_pic_attach: register its ports on a port bus.  0 or -errno. */
int vmm_pic_attach(struct vmm_pic *pic, struct vmm_bus *bus);

/*
 * vmm_pic_set_irq: drive input line irq (0-15) to level.  An edge-mode
 * line latches a request on 0->1; a level-mode one requests while high.
 * Its signature fits vmm_irq_fn (opaque = the PIC).
 */
void vmm_pic_set_irq(void *pic, unsigned int irq, int level);

/* vmm_pic_output: 1 if the master's INT output to the CPU is asserted. */
int vmm_pic_output(const struct vmm_pic *pic);

/*
 * vmm_pic_ack: the CPU's interrupt acknowledge: returns the vector to
 * deliver (a spurious IRQ 7 / 15 vector when the request went away) and
 * moves the request to in-service as the part does.  Call it only when
 * vmm_pic_output() is 1 and the vector will be delivered.
 */
int vmm_pic_ack(struct vmm_pic *pic);

/* vmm_pic_set_notify: fn(opaque) runs whenever the output may have
 * risen. */
void vmm_pic_set_notify(struct vmm_pic *pic, vmm_notify_fn fn, void *opaque);

/* vmm_pic_ack_count: acknowledges of line irq so far (tests, stats). */
uint64_t vmm_pic_ack_count(const struct vmm_pic *pic, unsigned int irq);

/* ---- 8254 PIT (pit.c) ---- */

#define VMM_PIT_HZ		1193182

/*
 * Three channels at 0x40-0x42, the control word at 0x43 (counter latch,
 * read-back, LSB/MSB/both access, binary and BCD), modes 0-5; channel 0
 * drives IRQ 0; channel 2's gate and output are bits 0 and 5 of system
 * control port B (0x61), which it also registers (bit 1, speaker data,
 * reads back; bit 4 toggles as the refresh bit does).
 */
struct vmm_pit;

/* vmm_pit_create: a PIT counting at VMM_PIT_HZ on clock (NULL: the
 * monotonic clock).  0 or -ENOMEM. */
int vmm_pit_create(vmm_clock_fn clock, void *clock_opaque,
		   struct vmm_pit **pitp);
void vmm_pit_free(struct vmm_pit *pit);

/* vmm_pit_attach: register 0x40-0x43 and 0x61 on a port bus. */
int vmm_pit_attach(struct vmm_pit *pit, struct vmm_bus *bus);

/* vmm_pit_set_irq: channel 0's OUT drives fn(opaque, irq, level). */
void vmm_pit_set_irq(struct vmm_pit *pit, vmm_irq_fn fn, void *opaque,
		     unsigned int irq);

/*
 * vmm_pit_deadline: the clock time at which channel 0's output next
 * changes, or VMM_DEADLINE_NONE.  vmm_pit_update: bring the output up to
 * the clock's now, driving the IRQ (periods missed while the host was
 * late are coalesced into one edge).  vmm_pit_set_notify: fn runs when a
 * guest write changed the deadline.
 */
uint64_t vmm_pit_deadline(struct vmm_pit *pit);
void vmm_pit_update(struct vmm_pit *pit);
void vmm_pit_set_notify(struct vmm_pit *pit, vmm_notify_fn fn, void *opaque);

/* ---- MC146818 RTC and CMOS (rtc.c) ---- */

/*
 * Index at 0x70 (bit 7 masks NMIs), data at 0x71; 128 bytes of CMOS.
 * Time and date from a wall clock, BCD or binary, 12 or 24 hours (status
 * B), update-in-progress (status A bit 7) and the SET bit, periodic,
 * alarm and update-ended interrupts on IRQ 8 with status C, status D
 * VRT, and the memory-size bytes.
 */
struct vmm_rtc;

/* vmm_rtc_create: an RTC on wall (ns since the epoch; NULL:
 * CLOCK_REALTIME).  0 or -ENOMEM. */
int vmm_rtc_create(vmm_clock_fn wall, void *wall_opaque,
		   struct vmm_rtc **rtcp);
void vmm_rtc_free(struct vmm_rtc *rtc);
int vmm_rtc_attach(struct vmm_rtc *rtc, struct vmm_bus *bus);
void vmm_rtc_set_irq(struct vmm_rtc *rtc, vmm_irq_fn fn, void *opaque,
		     unsigned int irq);

/* vmm_rtc_set_memory: the CMOS memory-size bytes for below bytes of RAM
 * under 4 GiB and above bytes over it. */
void vmm_rtc_set_memory(struct vmm_rtc *rtc, uint64_t below, uint64_t above);

/* vmm_rtc_nmi_masked: 1 if the guest set bit 7 of port 0x70. */
int vmm_rtc_nmi_masked(const struct vmm_rtc *rtc);

/* As for the PIT: the next interrupt or update-flag time, bringing the
 * device up to now, and a notify when a guest write changed it. */
uint64_t vmm_rtc_deadline(struct vmm_rtc *rtc);
void vmm_rtc_update(struct vmm_rtc *rtc);
void vmm_rtc_set_notify(struct vmm_rtc *rtc, vmm_notify_fn fn, void *opaque);

/* ---- 16550A UART interrupts (uart.c) ---- */

/*
 * vmm_uart_set_irq: give the UART an interrupt line (received data,
 * THRE, line status and modem status interrupts as IER enables them,
 * with the IIR priorities and OUT2 gating of the PC).  Input is then
 * taken only through vmm_uart_poll_input, never read by a guest access.
 */
void vmm_uart_set_irq(struct vmm_uart *uart, vmm_irq_fn fn, void *opaque,
		      unsigned int irq);

/*
 * vmm_uart_poll_input: read what in_fd has (without blocking) into the
 * receive FIFO, as much as fits, raising the interrupt.  Returns bytes
 * read, 0 if none was ready or the FIFO is full, -1 at end of input.
 * vmm_uart_input_room: 1 if the FIFO can take a byte.
 * vmm_uart_set_notify: fn runs when the guest made room in the FIFO.
 */
int vmm_uart_poll_input(struct vmm_uart *uart);
int vmm_uart_input_room(const struct vmm_uart *uart);
void vmm_uart_set_notify(struct vmm_uart *uart, vmm_notify_fn fn,
			 void *opaque);

/* ---- What else a PC kernel touches (pcmisc.c) ---- */

/*
 * Port 0x80 (POST codes, dropped), 0x92 (fast A20 read back, bit 0
 * resets), the i8042 at 0x60/0x64 (status, command byte, self-test,
 * output port; 0xfe and an output-port write with bit 0 clear reset),
 * and PCI configuration mechanism 1 at 0xcf8/0xcfc-0xcff with no device
 * (the address register reads back, data reads all ones), with the reset
 * control register at 0xcf9 (byte writes with bit 2 set reset).  A reset
 * stops the VM with VMM_STOP_RESET (code = the port) when the access has
 * a vCPU; it is counted in any case.
 */
struct vmm_pc_misc;

/*
 * vmm_pc_misc_attach: register those ports on a port bus, with their
 * state in a new *miscp owned by the caller: vmm_pc_misc_free once the
 * bus no longer uses it.  0, -EINVAL, -ENOMEM or the bus's -errno (then
 * nothing stays registered).
 */
int vmm_pc_misc_attach(struct vmm_bus *bus, struct vmm_pc_misc **miscp);
void vmm_pc_misc_free(struct vmm_pc_misc *misc);

/* vmm_pc_misc_resets: reset requests so far; *port (if port is not NULL)
 * gets the port of the last one, 0 if none. */
uint64_t vmm_pc_misc_resets(const struct vmm_pc_misc *misc, uint16_t *port);

/* ------------------------------------------------------------------ */
/* The PC machine (pc.c)                                               */
/* ------------------------------------------------------------------ */

/*
 * vmm_pc: the devices above on the VM's port bus, wired as on a PC (PIT
 * on IRQ 0, COM1 on IRQ 4, RTC on IRQ 8 through the PIC pair to vCPU 0),
 * one lock for all of them, and a thread that runs their timers and
 * reads the console input.  Interrupts reach vCPU 0 through
 * VMM_INTERRUPT when it is ready and request_interrupt_window otherwise;
 * a vCPU halted with interrupts enabled sleeps until one is due.
 */
struct vmm_pc;

struct vmm_pc_config {
	int in_fd;		/* COM1 input, -1 = none */
	int out_fd;		/* COM1 output, -1 = dropped */
	uint64_t mem_below_4g;	/* RAM sizes for the CMOS bytes */
	uint64_t mem_above_4g;
};

/*
 * vmm_pc_create: build the machine and attach it to vm, before the vCPUs
 * run: its ports on the VM's port bus, its interrupt hook, and its
 * thread, which starts at once.  *pcp is owned by the caller.  Returns 0
 * or -errno.
 */
int vmm_pc_create(struct vmm_vm *vm, const struct vmm_pc_config *cfg,
		  struct vmm_pc **pcp);

/*
 * vmm_pc_free: stop the thread, detach from the VM and free, while no
 * vCPU of the VM runs and before vmm_vm_destroy.  NULL is ignored.
 */
void vmm_pc_free(struct vmm_pc *pc);

/*
 * vmm_pc_setup_cpuid: vmm_vcpu_setup_cpuid with the CPUID of this
 * machine: no local APIC (so the kernel uses the PIC and the PIT), no
 * x2APIC or TSC deadline timer, and the TSC frequency in leaf 0x15 when
 * the device reports it (VMM_GET_TSC_KHZ).  Returns 0 or -errno.
 */
int vmm_pc_setup_cpuid(struct vmm_vcpu *vcpu);

/* The machine's devices (owned by it), e.g. for statistics. */
struct vmm_pic *vmm_pc_pic(struct vmm_pc *pc);
struct vmm_uart *vmm_pc_uart(struct vmm_pc *pc);

/*
 * The hook the run loop uses for an interrupt controller in userspace
 * (vmm_pc installs one).  Both run on the vCPU's thread.
 *  - prepare: just before every VMM_RUN: inject an interrupt or ask
 *    for an interrupt window through vcpu's run structure.
 *  - halted: after a HLT exit with RFLAGS.IF set: wait until an
 *    interrupt is due (return 1: run on) or the VM stops (return 0).
 */
struct vmm_intc_ops {
	int (*prepare)(void *opaque, struct vmm_vcpu *vcpu);
	int (*halted)(void *opaque, struct vmm_vcpu *vcpu);
};

/* vmm_vm_set_intc: install ops (NULL removes), before running. */
void vmm_vm_set_intc(struct vmm_vm *vm, const struct vmm_intc_ops *ops,
		     void *opaque);

/*
 * vmm_vcpu_kick: make vcpu leave VMM_RUN soon (or not enter it) and go
 * through its loop again, e.g. because an interrupt became due.  From
 * any thread; not from signal handlers.
 */
void vmm_vcpu_kick(struct vmm_vcpu *vcpu);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMM_VMM_H */
