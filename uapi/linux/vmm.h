/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmm: the ioctl interface of /dev/vmm.
 *
 * This is a binary-compatible subset of the KVM API (x86, API version 12):
 * every ioctl number, structure layout, exit reason and capability number
 * below equals its KVM counterpart, so a program built against
 * <linux/kvm.h> drives /dev/vmm unchanged.  selftests/unit/abi_test.c
 * checks that at compile time.  Anything KVM has that is not here is not
 * implemented: the module answers such ioctls with -ENOTTY (or -EINVAL for
 * unknown flags) and CHECK_EXTENSION returns 0 for unlisted capabilities.
 *
 * The header is shared by the kernel module and by userspace, so it uses
 * only the fixed-width types of <linux/types.h> and spells out all padding.
 * Field comments say which way data flows: "in" is written by userspace
 * and read by the module, "out" the reverse.
 */
#ifndef _UAPI_LINUX_VMM_H
#define _UAPI_LINUX_VMM_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VMM_API_VERSION		12

/* The ioctl "type" byte; KVM's. */
#define VMMIO			0xAE

/*
 * Limits of this implementation.  They are what the module is built with
 * today; a program must ask VMM_CHECK_EXTENSION (VMM_CAP_MAX_VCPUS,
 * VMM_CAP_MAX_VCPU_ID, VMM_CAP_NR_MEMSLOTS), which is the authority.
 */
#define VMM_DEFAULT_MAX_VCPUS		16
#define VMM_DEFAULT_MAX_VCPU_ID		1023	/* largest id; the cap says 1024 */
#define VMM_DEFAULT_MAX_MEMSLOTS	32	/* user slots 0..31 */

/* ------------------------------------------------------------------ */
/* Memory slots (VM fd)                                                */
/* ------------------------------------------------------------------ */

/*
 * VMM_SET_USER_MEMORY_REGION: map [userspace_addr, +memory_size) of the
 * caller's address space at guest-physical guest_phys_addr.  A size of 0
 * deletes the slot.  Addresses and size must be page aligned.
 */
struct vmm_userspace_memory_region {
	__u32 slot;		/* in: 0 .. NR_MEMSLOTS-1 */
	__u32 flags;		/* in: VMM_MEM_* */
	__u64 guest_phys_addr;	/* in */
	__u64 memory_size;	/* in: bytes */
	__u64 userspace_addr;	/* in: host virtual address */
};

#define VMM_MEM_LOG_DIRTY_PAGES	(1U << 0)	/* track writes for GET_DIRTY_LOG */
#define VMM_MEM_READONLY	(1U << 1)	/* guest writes exit as MMIO */

/*
 * VMM_GET_DIRTY_LOG: copy the slot's dirty bitmap (one bit per 4 KiB page,
 * bit n of byte n/8 for page n of the slot) to dirty_bitmap.
 */
struct vmm_dirty_log {
	__u32 slot;		/* in */
	__u32 padding1;
	union {
		void *dirty_bitmap;	/* in: buffer the module fills */
		__u64 padding2;
	};
};

/*
 * VMM_CLEAR_DIRTY_LOG: with manual dirty-log protection enabled, re-arm
 * tracking for the pages set in dirty_bitmap, which covers num_pages pages
 * starting at first_page (a multiple of 64) of the slot.
 */
struct vmm_clear_dirty_log {
	__u32 slot;		/* in */
	__u32 num_pages;	/* in */
	__u64 first_page;	/* in */
	union {
		void *dirty_bitmap;	/* in: pages to clear */
		__u64 padding2;
	};
};

/*
 * VMM_ENABLE_CAP: turn on an optional behaviour, on a VM fd:
 * VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with args[0] a mask of
 * VMM_DIRTY_LOG_* bits, or VMM_CAP_EXIT_HYPERCALL with args[0] a mask
 * of (1 << VMM_HC_*) bits: those hypercalls exit as VMM_EXIT_HYPERCALL.
 */
struct vmm_enable_cap {
	__u32 cap;		/* in: VMM_CAP_* */
	__u32 flags;		/* in: must be 0 */
	__u64 args[4];		/* in */
	__u8  pad[64];
};

#define VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1U << 0)
#define VMM_DIRTY_LOG_INITIALLY_SET		(1U << 1)

/*
 * VMM_PRE_FAULT_MEMORY (vCPU fd, VMM_CAP_PRE_FAULT_MEMORY): map guest
 * memory [gpa, gpa + size) now, as the guest's reads of it would, so
 * that the guest takes no EPT violation there later: host memory is
 * allocated as needed, taken for writing where the slot and the host
 * mapping allow it (the pages become dirty, as after a write), else
 * mapped read-only; read-only slots and slots that log dirty pages are
 * mapped read-only (a later write is logged).  gpa and size must be page
 * aligned, size non-zero, the range must not wrap, flags and padding
 * must be 0 (else -EINVAL).  On return
 * gpa and size describe what is left.  Returns 0 once part of the range
 * is done (call again while size is not 0), else -EINTR (a signal is
 * pending), -ENOENT (gpa is in no slot), -EFAULT (the host memory cannot
 * be faulted in) or another -errno.  vCPUs may call it in parallel.
 */
struct vmm_pre_fault_memory {
	__u64 gpa;		/* in/out: next guest-physical address */
	__u64 size;		/* in/out: bytes left */
	__u64 flags;		/* in: 0 */
	__u64 padding[5];	/* in: 0 */
};

/* ------------------------------------------------------------------ */
/* Registers (vCPU fd)                                                 */
/* ------------------------------------------------------------------ */

/* VMM_GET_REGS / VMM_SET_REGS: general-purpose registers, RIP, RFLAGS. */
struct vmm_regs {
	/* out (GET) / in (SET) */
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8,  r9,  r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * A segment register with its hidden part unpacked: type is the 4-bit
 * descriptor type, s the code/data (1) vs system (0) bit, db the D/B bit,
 * l the 64-bit code bit, g the granularity bit.  limit is in bytes
 * (already scaled by g).  unusable marks a null/unusable segment.
 */
struct vmm_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8  type;
	__u8  present, dpl, db, s, l, g, avl;
	__u8  unusable;
	__u8  padding;
};

/* GDTR / IDTR. */
struct vmm_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

#define VMM_NR_INTERRUPTS	256

/* VMM_GET_SREGS / VMM_SET_SREGS: segments, descriptor tables, CRs, EFER. */
struct vmm_sregs {
	/* out (GET) / in (SET) */
	struct vmm_segment cs, ds, es, fs, gs, ss;
	struct vmm_segment tr, ldt;
	struct vmm_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	/* a pending external interrupt (at most one bit set) */
	__u64 interrupt_bitmap[(VMM_NR_INTERRUPTS + 63) / 64];
};

/* VMM_GET_FPU / VMM_SET_FPU: x87 and SSE state in FXSAVE terms. */
struct vmm_fpu {
	/* out (GET) / in (SET) */
	__u8  fpr[8][16];	/* ST0..ST7, 80 bits each in 16 bytes */
	__u16 fcw;
	__u16 fsw;
	__u8  ftwx;		/* abridged tag word, as FXSAVE stores it */
	__u8  pad1;
	__u16 last_opcode;
	__u64 last_ip;
	__u64 last_dp;
	__u8  xmm[16][16];	/* XMM0..XMM15 */
	__u32 mxcsr;
	__u32 pad2;
};

/* One MSR: index and 64-bit value. */
struct vmm_msr_entry {
	__u32 index;		/* in */
	__u32 reserved;
	__u64 data;		/* out (GET) / in (SET) */
};

/*
 * VMM_GET_MSRS / VMM_SET_MSRS: nmsrs entries follow.  The ioctl returns
 * how many entries were processed; it stops at the first MSR it refuses.
 */
struct vmm_msrs {
	__u32 nmsrs;		/* in */
	__u32 pad;
	struct vmm_msr_entry entries[];
};

/*
 * VMM_GET_MSR_INDEX_LIST: nmsrs is the room in indices[] on input and the
 * number of MSRs on output (-E2BIG, with nmsrs set, if it did not fit).
 */
struct vmm_msr_list {
	__u32 nmsrs;		/* in: capacity, out: count */
	__u32 indices[];	/* out */
};

/* ------------------------------------------------------------------ */
/* CPUID (system fd and vCPU fd)                                       */
/* ------------------------------------------------------------------ */

/* One CPUID leaf (function) / subleaf (index) and its result registers. */
struct vmm_cpuid_entry2 {
	__u32 function;
	__u32 index;		/* subleaf; meaningful with SIGNIFCANT_INDEX */
	__u32 flags;		/* VMM_CPUID_FLAG_* */
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 padding[3];
};

/* The leaf's output depends on ECX (the spelling is KVM's). */
#define VMM_CPUID_FLAG_SIGNIFCANT_INDEX	(1U << 0)

/*
 * VMM_GET_SUPPORTED_CPUID (system fd), VMM_SET_CPUID2 / VMM_GET_CPUID2
 * (vCPU fd): nent entries follow.  For the GET calls nent is the room on
 * input and the count on output (-E2BIG if too small).
 */
struct vmm_cpuid2 {
	__u32 nent;		/* in / out */
	__u32 padding;
	struct vmm_cpuid_entry2 entries[];
};

/*
 * VMM_SET_GSI_ROUTING: KVM's interrupt routing table, which only an
 * in-kernel interrupt controller uses.  vmm has none: the ioctl fails
 * with -EINVAL, as KVM's does on a VM without one.
 */
struct vmm_irq_routing_entry {
	__u32 gsi;
	__u32 type;
	__u32 flags;
	__u32 pad;
	union {
		__u64 align;
		__u32 pad[8];
	} u;
};

struct vmm_irq_routing {
	__u32 nr;
	__u32 flags;
	struct vmm_irq_routing_entry entries[];
};

/* ------------------------------------------------------------------ */
/* Events and vCPU state (vCPU fd)                                     */
/* ------------------------------------------------------------------ */

/*
 * VMM_INTERRUPT: queue external interrupt vector irq for the next entry
 * (interrupt controller in userspace).  -EEXIST if one is already queued
 * and not yet delivered; -EINVAL for irq > 255.
 */
struct vmm_interrupt {
	__u32 irq;		/* in: vector */
};

/* VMM_GET_MP_STATE / VMM_SET_MP_STATE */
struct vmm_mp_state {
	__u32 mp_state;		/* VMM_MP_STATE_* */
};

#define VMM_MP_STATE_RUNNABLE		0
#define VMM_MP_STATE_UNINITIALIZED	1
#define VMM_MP_STATE_INIT_RECEIVED	2
#define VMM_MP_STATE_HALTED		3
#define VMM_MP_STATE_SIPI_RECEIVED	4

/*
 * VMM_GET_VCPU_EVENTS / VMM_SET_VCPU_EVENTS: the events a vCPU holds
 * between instructions.  "injected" events were being delivered when the
 * guest stopped and go in again on the next entry; "pending" ones have
 * not started delivery.  SET reads a group only if its VALID flag is set
 * (exception, interrupt and NMI injected/masked state are always read).
 */
struct vmm_vcpu_events {
	struct {
		__u8 injected;
		__u8 nr;
		__u8 has_error_code;
		__u8 pending;
		__u32 error_code;
	} exception;
	struct {
		__u8 injected;
		__u8 nr;
		__u8 soft;		/* INT n: re-executed, not re-injected */
		__u8 shadow;		/* VMM_X86_SHADOW_INT_* */
	} interrupt;
	struct {
		__u8 injected;
		__u8 pending;
		__u8 masked;		/* blocked until the next IRET */
		__u8 pad;
	} nmi;
	__u32 sipi_vector;
	__u32 flags;		/* VMM_VCPUEVENT_VALID_* */
	struct {
		__u8 smm;
		__u8 pending;
		__u8 smm_inside_nmi;
		__u8 latched_init;
	} smi;
	struct {
		__u8 pending;
	} triple_fault;
	__u8 reserved[26];
	__u8 exception_has_payload;
	__u64 exception_payload;
};

#define VMM_VCPUEVENT_VALID_NMI_PENDING	(1U << 0)
#define VMM_VCPUEVENT_VALID_SIPI_VECTOR	(1U << 1)
#define VMM_VCPUEVENT_VALID_SHADOW	(1U << 2)
#define VMM_VCPUEVENT_VALID_SMM		(1U << 3)
#define VMM_VCPUEVENT_VALID_PAYLOAD	(1U << 4)
#define VMM_VCPUEVENT_VALID_TRIPLE_FAULT (1U << 5)

#define VMM_X86_SHADOW_INT_MOV_SS	(1U << 0)
#define VMM_X86_SHADOW_INT_STI		(1U << 1)

/* VMM_GET_DEBUGREGS / VMM_SET_DEBUGREGS */
struct vmm_debugregs {
	__u64 db[4];
	__u64 dr6;
	__u64 dr7;
	__u64 flags;		/* in: 0 */
	__u64 reserved[9];
};

/* VMM_GET_XSAVE / VMM_SET_XSAVE: the standard (non-compacted) XSAVE image. */
struct vmm_xsave {
	__u32 region[1024];
	__u32 extra[];
};

#define VMM_MAX_XCRS	16

struct vmm_xcr {
	__u32 xcr;
	__u32 reserved;
	__u64 value;
};

/* VMM_GET_XCRS / VMM_SET_XCRS */
struct vmm_xcrs {
	__u32 nr_xcrs;
	__u32 flags;
	struct vmm_xcr xcrs[VMM_MAX_XCRS];
	__u64 padding[16];
};

/* ------------------------------------------------------------------ */
/* Signals (vCPU fd)                                                   */
/* ------------------------------------------------------------------ */

/*
 * VMM_SET_SIGNAL_MASK: signals blocked while in VMM_RUN (len is the size
 * of the kernel sigset, 8 on x86-64).  A NULL argument removes the mask.
 */
struct vmm_signal_mask {
	__u32 len;		/* in: bytes in sigset */
	__u8  sigset[];		/* in */
};

/* ------------------------------------------------------------------ */
/* The shared run structure (mmap of a vCPU fd at offset 0)           */
/* ------------------------------------------------------------------ */

/* Exit reasons (vmm_run.exit_reason). */
#define VMM_EXIT_UNKNOWN		0
#define VMM_EXIT_EXCEPTION		1
#define VMM_EXIT_IO			2
#define VMM_EXIT_HYPERCALL		3
#define VMM_EXIT_DEBUG			4
#define VMM_EXIT_HLT			5
#define VMM_EXIT_MMIO			6
#define VMM_EXIT_IRQ_WINDOW_OPEN	7
#define VMM_EXIT_SHUTDOWN		8
#define VMM_EXIT_FAIL_ENTRY		9
#define VMM_EXIT_INTR			10
#define VMM_EXIT_SET_TPR		11
#define VMM_EXIT_TPR_ACCESS		12
#define VMM_EXIT_NMI			16
#define VMM_EXIT_INTERNAL_ERROR		17
#define VMM_EXIT_SYSTEM_EVENT		24

/* internal.suberror for VMM_EXIT_INTERNAL_ERROR. */
#define VMM_INTERNAL_ERROR_EMULATION			1 /* cannot emulate */
#define VMM_INTERNAL_ERROR_SIMUL_EX			2 /* fault while delivering a fault */
#define VMM_INTERNAL_ERROR_DELIVERY_EV			3 /* exit during event delivery */
#define VMM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON	4 /* unhandled hardware exit */

/* io.direction for VMM_EXIT_IO. */
#define VMM_EXIT_IO_IN		0
#define VMM_EXIT_IO_OUT		1

/* system_event.type for VMM_EXIT_SYSTEM_EVENT. */
#define VMM_SYSTEM_EVENT_SHUTDOWN	1
#define VMM_SYSTEM_EVENT_RESET		2
#define VMM_SYSTEM_EVENT_CRASH		3

/* Debug exit details (x86). */
struct vmm_debug_exit_arch {
	__u32 exception;	/* vector: 1 (#DB) or 3 (#BP) */
	__u32 pad;
	__u64 pc;		/* linear RIP */
	__u64 dr6;
	__u64 dr7;
};

/* Size of the (unused) register-sync area at the end of vmm_run. */
#define VMM_SYNC_REGS_SIZE_BYTES	2048

/*
 * The per-vCPU page shared between the module and userspace: mmap the
 * vCPU fd at offset 0 for VMM_GET_VCPU_MMAP_SIZE bytes.  After VMM_RUN
 * returns 0, exit_reason says which member of the union is valid.
 */
struct vmm_run {
	/* in */
	__u8  request_interrupt_window;
	__u8  immediate_exit;		/* nonzero: return -EINTR at once */
	__u8  padding1[6];

	/* out */
	__u32 exit_reason;		/* VMM_EXIT_* */
	__u8  ready_for_interrupt_injection;
	__u8  if_flag;			/* guest RFLAGS.IF */
	__u16 flags;

	/* in (before VMM_RUN) and out (after) */
	__u64 cr8;
	__u64 apic_base;

	union {
		/* VMM_EXIT_UNKNOWN: the VMX basic exit reason */
		struct {
			__u64 hardware_exit_reason;
		} hw;
		/* VMM_EXIT_FAIL_ENTRY: VM-entry failure */
		struct {
			__u64 hardware_entry_failure_reason;
			__u32 cpu;
		} fail_entry;
		/* VMM_EXIT_EXCEPTION */
		struct {
			__u32 exception;
			__u32 error_code;
		} ex;
		/*
		 * VMM_EXIT_IO: count items of size bytes each sit at
		 * (char *)run + data_offset; for IN, userspace fills them
		 * before the next VMM_RUN.
		 */
		struct {
			__u8  direction;	/* VMM_EXIT_IO_IN / _OUT */
			__u8  size;		/* 1, 2 or 4 */
			__u16 port;
			__u32 count;
			__u64 data_offset;	/* from the start of vmm_run */
		} io;
		/* VMM_EXIT_DEBUG */
		struct {
			struct vmm_debug_exit_arch arch;
		} debug;
		/* VMM_EXIT_MMIO: for a read, userspace fills data[] */
		struct {
			__u64 phys_addr;
			__u8  data[8];
			__u32 len;
			__u8  is_write;
		} mmio;
		/* VMM_EXIT_HYPERCALL */
		struct {
			__u64 nr;
			__u64 args[6];
			__u64 ret;		/* in: result for the guest */
			union {
				struct {
					__u32 longmode;
					__u32 pad;
				};
				__u64 flags;
			};
		} hypercall;
		/* VMM_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;		/* VMM_INTERNAL_ERROR_* */
			__u32 ndata;		/* valid entries in data[] */
			__u64 data[16];
		} internal;
		/* VMM_EXIT_SYSTEM_EVENT */
		struct {
			__u32 type;		/* VMM_SYSTEM_EVENT_* */
			__u32 ndata;
			union {
				__u64 flags;
				__u64 data[16];
			};
		} system_event;
		/* fixes the size of the union */
		char padding[256];
	};

	/* Register sync is not implemented: both stay 0. */
	__u64 valid_regs;
	__u64 dirty_regs;
	union {
		char padding[VMM_SYNC_REGS_SIZE_BYTES];
	} s;
};

/* ------------------------------------------------------------------ */
/* Capabilities (VMM_CHECK_EXTENSION argument)                         */
/* ------------------------------------------------------------------ */

#define VMM_CAP_HLT				1
#define VMM_CAP_USER_MEMORY			3
#define VMM_CAP_SET_TSS_ADDR			4
#define VMM_CAP_EXT_CPUID			7
#define VMM_CAP_NR_VCPUS			9   /* recommended vCPUs per VM */
#define VMM_CAP_NR_MEMSLOTS			10  /* user memory slots per VM */
#define VMM_CAP_MP_STATE			14
#define VMM_CAP_SYNC_MMU			16  /* host mapping changes reach the guest */
#define VMM_CAP_DESTROY_MEMORY_REGION_WORKS	21
#define VMM_CAP_USER_NMI			22
#define VMM_CAP_IRQ_ROUTING			25  /* KVM's answer; see api.rst */
#define VMM_CAP_JOIN_MEMORY_REGIONS_WORKS	30
#define VMM_CAP_SET_IDENTITY_MAP_ADDR		37
#define VMM_CAP_INTERNAL_ERROR_DATA		40
#define VMM_CAP_VCPU_EVENTS			41
#define VMM_CAP_INTR_SHADOW			49
#define VMM_CAP_DEBUGREGS			50
#define VMM_CAP_XSAVE				55
#define VMM_CAP_XCRS				56
#define VMM_CAP_GET_TSC_KHZ			61
#define VMM_CAP_MAX_VCPUS			66  /* hard vCPU limit per VM */
#define VMM_CAP_READONLY_MEM			81
#define VMM_CAP_CHECK_EXTENSION_VM		105 /* CHECK_EXTENSION on a VM fd */
#define VMM_CAP_MAX_VCPU_ID			128 /* vCPU ids must be below this */
#define VMM_CAP_IMMEDIATE_EXIT			136
#define VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2	168 /* value: supported VMM_DIRTY_LOG_* */
#define VMM_CAP_EXIT_HYPERCALL			201 /* value: VMM_HC_* that can exit */
#define VMM_CAP_PRE_FAULT_MEMORY		236

/*
 * Hypercalls (VMCALL with the number in RAX), as KVM's <linux/kvm_para.h>:
 * the guest gets its result in RAX, a negative VMM_E* on failure.
 */
#define VMM_HC_VAPIC_POLL_IRQ			1
#define VMM_HC_MAP_GPA_RANGE			12  /* args: gpa, npages, attrs */
#define VMM_ENOSYS				1000
#define VMM_EINVAL				22
#define VMM_EPERM				1

/* ------------------------------------------------------------------ */
/* ioctls on the system fd (/dev/vmm)                                  */
/* ------------------------------------------------------------------ */

#define VMM_GET_API_VERSION	_IO(VMMIO,   0x00)	/* returns VMM_API_VERSION */
#define VMM_CREATE_VM		_IO(VMMIO,   0x01)	/* arg: type 0; returns a VM fd */
#define VMM_GET_MSR_INDEX_LIST	_IOWR(VMMIO, 0x02, struct vmm_msr_list)
#define VMM_CHECK_EXTENSION	_IO(VMMIO,   0x03)	/* arg: VMM_CAP_*; returns >= 0 */
#define VMM_GET_VCPU_MMAP_SIZE	_IO(VMMIO,   0x04)	/* returns bytes */
#define VMM_GET_SUPPORTED_CPUID	_IOWR(VMMIO, 0x05, struct vmm_cpuid2)

/* ------------------------------------------------------------------ */
/* ioctls on a VM fd (VMM_CHECK_EXTENSION works here too)              */
/* ------------------------------------------------------------------ */

#define VMM_CREATE_VCPU		_IO(VMMIO,   0x41)	/* arg: id; returns a vCPU fd */
#define VMM_GET_DIRTY_LOG	_IOW(VMMIO,  0x42, struct vmm_dirty_log)
#define VMM_SET_USER_MEMORY_REGION \
				_IOW(VMMIO,  0x46, struct vmm_userspace_memory_region)
#define VMM_SET_TSS_ADDR	_IO(VMMIO,   0x47)	/* arg: gpa of 3 pages */
#define VMM_SET_IDENTITY_MAP_ADDR _IOW(VMMIO, 0x48, __u64)
#define VMM_ENABLE_CAP		_IOW(VMMIO,  0xa3, struct vmm_enable_cap)
#define VMM_CLEAR_DIRTY_LOG	_IOWR(VMMIO, 0xc0, struct vmm_clear_dirty_log)
#define VMM_SET_GSI_ROUTING	_IOW(VMMIO,  0x6a, struct vmm_irq_routing)

/* ------------------------------------------------------------------ */
/* ioctls on a vCPU fd                                                 */
/* ------------------------------------------------------------------ */

#define VMM_RUN			_IO(VMMIO,   0x80)
#define VMM_GET_REGS		_IOR(VMMIO,  0x81, struct vmm_regs)
#define VMM_SET_REGS		_IOW(VMMIO,  0x82, struct vmm_regs)
#define VMM_GET_SREGS		_IOR(VMMIO,  0x83, struct vmm_sregs)
#define VMM_SET_SREGS		_IOW(VMMIO,  0x84, struct vmm_sregs)
#define VMM_GET_MSRS		_IOWR(VMMIO, 0x88, struct vmm_msrs)
#define VMM_SET_MSRS		_IOW(VMMIO,  0x89, struct vmm_msrs)
#define VMM_SET_SIGNAL_MASK	_IOW(VMMIO,  0x8b, struct vmm_signal_mask)
#define VMM_GET_FPU		_IOR(VMMIO,  0x8c, struct vmm_fpu)
#define VMM_SET_FPU		_IOW(VMMIO,  0x8d, struct vmm_fpu)
#define VMM_SET_CPUID2		_IOW(VMMIO,  0x90, struct vmm_cpuid2)
#define VMM_GET_CPUID2		_IOWR(VMMIO, 0x91, struct vmm_cpuid2)
#define VMM_INTERRUPT		_IOW(VMMIO,  0x86, struct vmm_interrupt)
#define VMM_GET_MP_STATE	_IOR(VMMIO,  0x98, struct vmm_mp_state)
#define VMM_SET_MP_STATE	_IOW(VMMIO,  0x99, struct vmm_mp_state)
#define VMM_NMI			_IO(VMMIO,   0x9a)
#define VMM_GET_VCPU_EVENTS	_IOR(VMMIO,  0x9f, struct vmm_vcpu_events)
#define VMM_SET_VCPU_EVENTS	_IOW(VMMIO,  0xa0, struct vmm_vcpu_events)
#define VMM_GET_DEBUGREGS	_IOR(VMMIO,  0xa1, struct vmm_debugregs)
#define VMM_SET_DEBUGREGS	_IOW(VMMIO,  0xa2, struct vmm_debugregs)
#define VMM_GET_TSC_KHZ		_IO(VMMIO,   0xa3)	/* returns kHz */
#define VMM_GET_XSAVE		_IOR(VMMIO,  0xa4, struct vmm_xsave)
#define VMM_SET_XSAVE		_IOW(VMMIO,  0xa5, struct vmm_xsave)
#define VMM_GET_XCRS		_IOR(VMMIO,  0xa6, struct vmm_xcrs)
#define VMM_SET_XCRS		_IOW(VMMIO,  0xa7, struct vmm_xcrs)
#define VMM_PRE_FAULT_MEMORY	_IOWR(VMMIO, 0xd5, struct vmm_pre_fault_memory)

#endif /* _UAPI_LINUX_VMM_H */
