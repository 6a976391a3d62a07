/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMs and vCPUs.
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/vmm.h>
#include <asm/fpu/api.h>

#include "emulate.h"
#include "msr.h"
#include "regs.h"

#define VMM_MAX_VCPUS		16
#define VMM_MAX_VCPU_ID		1023
#define VMM_USER_MEM_SLOTS	32
/*
 * Pages in one slot, as KVM: a dirty bitmap's bit numbers must fit the
 * int that bitops take, and its size stays far below kvmalloc's INT_MAX.
 */
#define VMM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)
#define VMM_MAX_CPUID_ENTRIES	80
#define VMM_MAX_IRQ_ROUTES	4096	/* KVM's answer to CAP_IRQ_ROUTING */
/* The hypercalls that userspace may take over (as KVM: MAP_GPA_RANGE). */
#define VMM_HC_EXIT_MASK	BIT_ULL(VMM_HC_MAP_GPA_RANGE)

struct vmm_memslot {
	u64 base_gfn;
	u64 npages;
	unsigned long hva;
	unsigned long *dirty_bitmap;	/* with VMM_MEM_LOG_DIRTY_PAGES */
	u32 flags;
	u16 id;
};

/*
 * The slot set is read locklessly (the VM's SRCU) by the fault path and
 * replaced whole by SET_USER_MEMORY_REGION: slots[] is sorted by base_gfn.
 */
struct vmm_memslots {
	struct rcu_head rcu;
	int nr;
	struct vmm_memslot slots[];
};

struct vmm_vm {
	u32 id;				/* in vmm_vms (vm.c) */
	struct mm_struct *mm;		/* the creator's; mmgrab'ed */
	struct pid *owner;		/* the creator's thread group */
	kuid_t uid;			/* the creator's real uid */
	struct mutex lock;		/* slots and vCPU creation */
	struct vmm_memslots __rcu *slots;
	struct srcu_struct srcu;	/* readers of slots */

	/*
	 * EPT: tables under mmu_lock, seq/invalidating for the fault race,
	 * leaf changes counted against the flushes that covered them (the
	 * protocol is described at the top of ept.c).
	 */
	spinlock_t mmu_lock;
	u64 *ept_root;
	u64 eptp;
	unsigned long mmu_seq;
	long mmu_invalidating;
	u64 tlb_changes;		/* leaves cleared or write-protected */
	u64 tlb_flushed;		/* tlb_changes a finished flush covers */
	unsigned long ept_pages;	/* table pages in use */
	unsigned long ept_mapped;	/* 4 KiB pages mapped by leaves */
	unsigned long ept_mapped_huge;	/* ... of them by 2 MiB leaves */
	struct mmu_notifier mn;

	bool manual_protect;		/* VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	u64 hypercall_exit;		/* VMM_CAP_EXIT_HYPERCALL: BIT(VMM_HC_*) */
	bool initially_set;

	int nr_vcpus;
	struct vmm_vcpu *vcpus[VMM_MAX_VCPUS];
	refcount_t users;		/* VM fd + one per vCPU fd */
	u64 created_ns;			/* CLOCK_REALTIME */
	u64 created_boot_ns;		/* CLOCK_BOOTTIME */
};

/*
 * Statistics of one vCPU, read through netlink (genl.c).  Only the vCPU's
 * own thread writes them, with plain increments and no atomics in the
 * exit path; a reader loads each counter once (READ_ONCE), so no counter
 * is ever torn, but a set of counters is not one instant's snapshot.
 * Guest time comes from the VMX-preemption timer (run.c) and costs
 * nothing per exit.  "make VMM_STATS=n" builds the counters out, to
 * measure what they cost.
 */
#define VMM_STAT_EXIT_REASONS	128U	/* basic exit reasons; 127: the rest */
#define VMM_STAT_USER_REASONS	64U	/* VMM_EXIT_*; 63: the rest */

struct vmm_vcpu_stats {
	u64 runs;
	u64 entry_failures;
	u64 ept_mmio;
	u64 ept_prefetch;		/* leaves fault-around added */
	u64 guest_tsc;			/* TSC ticks in the guest */
	u64 handler_tsc;		/* ... in RUN, outside the guest */
	u64 exit[VMM_STAT_EXIT_REASONS];
	u64 user_exit[VMM_STAT_USER_REASONS];
};

static inline void vmm_stat_inc(u64 *counter)
{
	if (VMM_STATS_ON)
		(*counter)++;
}

static inline void vmm_stat_add(u64 *counter, u64 n)
{
	if (VMM_STATS_ON)
		*counter += n;
}

/* Laid out for vmenter.S: see regs.h. */
struct vmm_entry_state {
	unsigned long regs[VMM_NR_GPRS];
	unsigned long cr2;
	unsigned long host_rsp;
};

/* MSRs the CPU does not switch for us, swapped around guest execution. */
enum vmm_shared_msr {
	VMM_MSR_STAR,
	VMM_MSR_LSTAR,
	VMM_MSR_CSTAR,
	VMM_MSR_SFMASK,
	VMM_MSR_KERNEL_GS_BASE,
	VMM_NR_SHARED_MSRS,
};

/* What the last exit to userspace left for the next VMM_RUN to finish. */
enum vmm_pending {
	VMM_PENDING_NONE,
	VMM_PENDING_PIO_IN,	/* IN: data to RAX, then RIP moves */
	VMM_PENDING_PIO_INS,	/* INS: data to guest memory */
	VMM_PENDING_HYPERCALL,	/* VMCALL: the result to RAX */
	VMM_PENDING_MMIO,	/* MMIO: the access done, emulation goes on */
};

/*
 * The guest's paging state, captured at an exit for walks of its page
 * tables once the VMCS may no longer be current.
 */
struct vmm_walk {
	u64 cr0, cr3, cr4, efer;
	u64 pdptr[4];
	bool user;			/* CPL 3 */
};

/* What a string I/O instruction needs after the exit. */
struct vmm_pio_string {
	u64 seg_base;
	unsigned long addr_mask;
	bool down;			/* EFLAGS.DF */
	bool rep;
	int reg;			/* VMM_RSI (OUTS) or VMM_RDI (INS) */
	u32 count;			/* elements this round */
	u64 next_rip;			/* where the guest goes when done */
	bool done;			/* this round ends the instruction */
};

/* Events between instructions (event.c describes them). */
struct vmm_events {
	u32 inj;			/* VM-entry interruption info, or 0 */
	u32 inj_error;
	u32 inj_len;			/* software events: instruction length */
	u32 exc;			/* raised by the module, or 0 */
	u32 exc_error;
	int irq;			/* VMM_INTERRUPT's vector, or -1 */
	u8 nmis;			/* VMM_NMIs waiting: 0..2 */
	bool user_window;		/* run->request_interrupt_window */
	bool triple_fault;		/* a fault while delivering #DF */
	bool work;			/* any of the above */
};

struct vmm_vcpu {
	struct vmm_entry_state es;	/* first: hot in the exit path */
	bool launched;
	bool regs_dirty_rip;
	int cpu;			/* where the VMCS is active, or -1 */
	struct list_head loaded_node;	/* per-CPU list while active */
	void *vmcs;
	u64 vmcs_pa;
	struct vmm_run *run;
	struct vmm_vm *vm;
	struct vmm_events ev;
	bool check_state;		/* userspace set state: check it first */
	bool retired;			/* since the last entry: RFLAGS below */
	unsigned long retired_rflags;
	u32 cpu_based;			/* CPU_BASED_VM_EXEC_CONTROL */
	u32 id;
	u16 vpid;
	struct mutex mutex;		/* one ioctl at a time */

	/* Guest state kept outside the VMCS. */
	unsigned long cr0;		/* as the guest sees it */
	unsigned long cr4;		/* as the guest sees it */
	unsigned long cr8;
	u64 efer;
	u64 apic_base;
	unsigned long host_cr3;		/* last HOST_CR3 written */
	unsigned long host_cr4;		/* last HOST_CR4 written */
	u64 shared_msrs[VMM_NR_SHARED_MSRS];
	u64 tsc_aux;
	u64 misc_enable;
	struct vmm_msr_state msr;	/* msr.c */
	u64 dr[4];
	u64 dr6;
	u64 dr7;
	u64 xcr0;
	u32 pkru;			/* the guest's, switched around entry */
	bool xcr0_switch;		/* load xcr0 for the guest (xstate.h) */
	bool pkru_switch;		/* load pkru for the guest */
	struct fpu_guest fpu;

	/* Exit state. */
	u32 exit_reason;
	enum vmm_pending pending;
	u8 pio_size;
	struct vmm_pio_string pio_str;
	struct vmm_walk walk;
	int (*slow)(struct vmm_vcpu *vcpu);	/* EXIT_SLOW work */
	u64 fault_gpa;
	u64 fault_la;			/* guest-linear, or ~0 if unknown */
	unsigned long fault_qual;
	struct emu_ctxt emu;		/* the MMIO instruction in flight */
	bool emu_failed;		/* a callback hit non-RAM */
	u64 pf_gva;
	u32 pf_error;

	/* Host state around guest execution (run.c, struct host_state). */
	unsigned long host_fsbase;
	unsigned long host_debugctl;
	u64 host_kgs;
	bool kgs_loaded;
	unsigned long rcu_jiffies;	/* last quiescent state reported */

	bool sigmask_set;
	sigset_t sigmask;

	int ncpuid;
	struct vmm_cpuid_entry2 *cpuid;

	/* What a monitor sees (genl.c); written by the vCPU's thread. */
	bool in_run;			/* inside VMM_RUN */
	bool ran;			/* VMM_RUN was called once */
	u32 last_exit;			/* run->exit_reason of the last RUN */
	struct vmm_vcpu_stats stats;
};

/* vcpu.c */
void vmm_vcpu_clear_local(void);
int vmm_vcpu_create(struct vmm_vm *vm, unsigned long id);
void vmm_vcpu_free(struct vmm_vcpu *vcpu);
long vmm_supported_cpuid(struct vmm_cpuid2 __user *ucpuid);
int vmm_vcpu_init_module(void);
void vmm_vcpu_exit_module(void);

/* The slot set, inside vm->srcu's read side or under vm->lock. */
static inline struct vmm_memslots *vmm_slots(struct vmm_vm *vm)
{
	return srcu_dereference_check(vm->slots, &vm->srcu,
				      lockdep_is_held(&vm->lock));
}

/* vm.c */
long vmm_vm_create(unsigned long type);
void vmm_vm_put(struct vmm_vm *vm);
int vmm_vm_count(void);
long vmm_check_extension(unsigned long cap);
const struct vmm_memslot *vmm_find_slot(struct vmm_memslots *slots, u64 gfn);

/* ept.c */
int vmm_ept_init(struct vmm_vm *vm);
void vmm_ept_destroy(struct vmm_vm *vm);
bool vmm_ept_is_mmio(struct vmm_vm *vm, u64 gpa, bool write);
int vmm_ept_fault(struct vmm_vcpu *vcpu, u64 gpa, unsigned long qual);
int vmm_ept_prefault(struct vmm_vm *vm, struct vmm_pre_fault_memory *range);
u64 vmm_ept_zap_begin(struct vmm_vm *vm, u64 gfn, u64 npages);
void vmm_ept_zap_end(struct vmm_vm *vm);
void vmm_ept_write_protect_locked(struct vmm_vm *vm, u64 gfn, u64 npages,
				  bool may_yield);
u64 vmm_ept_flush_pending_locked(struct vmm_vm *vm);
void vmm_ept_yield_locked(struct vmm_vm *vm);
void vmm_ept_flush_upto(struct vmm_vm *vm, u64 upto);
extern const struct mmu_notifier_ops vmm_ept_mn_ops;

/* vmenter.S */
int vmm_vmx_enter(struct vmm_entry_state *es, bool launched);
void vmm_vmx_exit_point(void);
void vmm_do_nmi(unsigned long handler);

#endif /* VMM_VCPU_H */
