// SPDX-License-Identifier: GPL-2.0
/*
 * EPT: guest-physical to host-physical tables, built on demand.
 *
 * A leaf is installed when the guest first touches a page (EPT violation);
 * the host page is found in the slot's userspace range with GUP-fast, or
 * faulted in first (ept_fault_in()), and its reference is dropped at
 * once.  What keeps the mapping honest is the MMU notifier: whenever the
 * process unmaps, remaps, migrates or reclaims a page of a slot, the leaf
 * goes away before the page does.  Table pages are freed with the VM.
 *
 * Two things map more than the page the guest touched.  Fault-around: a
 * 4 KiB read (or fetch) fault on a page the process already had also
 * maps, read-only, the neighbours in an aligned window of EPT_AROUND
 * frames that the process maps at that moment (GUP-fast only: nothing is
 * allocated for the guest that it did not touch); their first write
 * faults as any write to a read-only leaf does.  VMM_PRE_FAULT_MEMORY
 * maps a range as the guest's reads would, through the same code as a
 * fault (ept_map_gfn()).
 *
 * The rules, all under vm->mmu_lock unless said otherwise:
 *
 * 1. No MMU notifier returns while the range it is given is still mapped
 *    by a leaf or may be cached in a TLB.  It zaps the leaves the slot set
 *    maps for the range, and flushes if any leaf of the VM was changed
 *    without a flush having covered it yet, its own or another path's.
 *    Every update that changes present leaves (clears or write-protects
 *    them) counts in tlb_changes before it lets mmu_lock go, whether to
 *    finish or halfway (rule 4); a path samples the count under mmu_lock,
 *    drops the lock, flushes every CPU, and then raises tlb_flushed to
 *    what it sampled.  So a notifier that finds a leaf already cleared by
 *    a slot update or a dirty-log harvest that has not flushed yet still
 *    flushes before returning.  VM destruction flushes unconditionally
 *    before it frees the tables: paging-structure caches outlive the
 *    leaves.
 *
 * 2. The fault path samples mmu_seq, then (smp_rmb) the slot set, looks
 *    the page (and fault-around's neighbours) up, and installs the leaves
 *    only if mmu_seq is unchanged and no invalidation is in progress
 *    (mmu_invalidating is 0); otherwise it installs nothing and the guest
 *    faults again through the run loop (which sees signals and
 *    reschedules), or VMM_PRE_FAULT_MEMORY tries the page again.  A leaf
 *    another vCPU installed meanwhile keeps its permissions.  An
 *    invalidation raises mmu_invalidating and mmu_seq before it zaps
 *    and, at its end, mmu_seq again before it lowers mmu_invalidating: a
 *    page looked up before or during it is never installed.
 *
 * 3. A slot update that removes a guest range (delete, move) is such an
 *    invalidation, bracketing the publication of the new slot set: it
 *    zaps the old range and flushes (rule 1) while the old set is still
 *    the published one, publishes the new set, and only then ends.  While
 *    it runs no fault can map anything, so the old range stays unmapped
 *    from the zap on, and a notifier finds nothing to do in it whichever
 *    set it looks at; once it ends, the old range is in no slot.  Its
 *    mmu_seq bumps also keep a fault from using a dirty bitmap that the
 *    update frees.  Adding a slot or changing its flags publishes first
 *    and bumps mmu_seq after: nothing of the new set is mapped yet.
 *
 * 4. A long walk that may sleep lets mmu_lock go halfway when someone
 *    needs it or the CPU (vmm_ept_yield_locked()), having counted its
 *    changes (rule 1): a zap while its invalidation is open (no fault maps
 *    anything meanwhile), the write protection that starts dirty logging
 *    (a fault meanwhile maps from the logged slot, read-only or with its
 *    dirty bit set, and a writable leaf from before that the walk has not
 *    reached yet it protects when it gets there), and a dirty-log harvest
 *    between bitmap words (each word's bits are taken and its pages
 *    protected in one hold).  The MMU notifier's release zaps everything
 *    and never ends its invalidation: nothing is mapped again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"

#define EPT_LEVELS	4
#define EPT_ENTRIES	512
#define EPT_PFN_MASK	GENMASK_ULL(51, 12)
#define EPT_LARGE	BIT_ULL(7)
#define EPT_RWX		VMX_EPT_RWX_MASK
#define EPT_RX		(VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK)
/* Leaves: write-back memory, the host PAT ignored (the guest's PAT rules). */
#define EPT_LEAF_WB	(VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT)
/*
 * Fault-around looks at this many frames around a 4 KiB fault, aligned:
 * one last-level table, inside one 2 MiB region.
 */
#define EPT_AROUND	16

/*
 * A long walk offers to let mmu_lock go every EPT_YIELD_EVERY steps (rule
 * 4).  Debug builds (the debug job's lockdep and might_sleep checks) let
 * it go at every such chance, every 64 steps, not only when someone waits.
 */
#ifdef VMM_DEBUG
#define EPT_YIELD_ALWAYS	true
#else
#define EPT_YIELD_ALWAYS	false
#endif
#define EPT_YIELD_EVERY		(EPT_YIELD_ALWAYS ? 64 : EPT_ENTRIES)

/*
 * Rule 4: let mmu_lock and the CPU go if another CPU or the scheduler
 * wants either.  The caller may sleep and has counted its leaf changes in
 * tlb_changes.
 */
void vmm_ept_yield_locked(struct vmm_vm *vm)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (!EPT_YIELD_ALWAYS && !need_resched() &&
	    !spin_needbreak(&vm->mmu_lock))
		return;
	spin_unlock(&vm->mmu_lock);
	cond_resched();
	spin_lock(&vm->mmu_lock);
}

/* 6.12 has user shadow stacks (writable by the CPU's CALL only); 6.1 not. */
#ifndef VM_SHADOW_STACK
#define VM_SHADOW_STACK	VM_NONE
#endif

static inline int ept_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (EPT_ENTRIES - 1);
}

static u64 *ept_table(u64 entry)
{
	return __va(entry & EPT_PFN_MASK);
}

int vmm_ept_init(struct vmm_vm *vm)
{
	vm->ept_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->ept_root)
		return -ENOMEM;
	vm->ept_pages = 1;
	/* EPTP (SDM Vol. 3C 25.6.11): WB tables, 4-level walk. */
	vm->eptp = __pa(vm->ept_root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

static void ept_free_table(u64 *table, int level)
{
	int i;

	for (i = 0; level > 1 && i < EPT_ENTRIES; i++)
		if ((table[i] & EPT_RWX) && !(table[i] & EPT_LARGE))
			ept_free_table(ept_table(table[i]), level - 1);
	free_page((unsigned long)table);
}

static void ept_flush_ipi(void *arg)
{
	struct vmm_vm *vm = arg;

	/* Only CPUs in VMX operation can hold EPT-derived translations. */
	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	if (vmm_caps.ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT)
		__invept(VMX_EPT_EXTENT_CONTEXT, vm->eptp, 0);
	else
		__invept(VMX_EPT_EXTENT_GLOBAL, 0, 0);
}

/*
 * The vCPUs are gone and so is the notifier.  CPUs may still cache
 * paging-structure entries of these tables even when no leaf is left
 * (SDM Vol. 3C 29.4.3): flush before the pages go back to the allocator,
 * where a later VM could get the same root, hence the same EPTP.
 */
void vmm_ept_destroy(struct vmm_vm *vm)
{
	if (!vm->ept_root)
		return;
	on_each_cpu(ept_flush_ipi, vm, 1);
	ept_free_table(vm->ept_root, EPT_LEVELS);
	vm->ept_root = NULL;
}

/*
 * Under mmu_lock: the count of leaf changes that a flush must cover, or 0
 * when every change so far has been flushed (the count starts at 0 and
 * the first change makes it 1).
 */
u64 vmm_ept_flush_pending_locked(struct vmm_vm *vm)
{
	lockdep_assert_held(&vm->mmu_lock);
	return vm->tlb_changes != vm->tlb_flushed ? vm->tlb_changes : 0;
}

/*
 * Flush the TLBs of every CPU for this VM, covering the leaf changes up to
 * upto (from vmm_ept_flush_pending_locked(); 0: nothing to do).  INVEPT
 * acts on the executing CPU only, so every CPU runs it; a CPU in the guest
 * leaves it for the IPI and re-enters with the new tables.  Called without
 * mmu_lock (the IPIs wait).
 */
void vmm_ept_flush_upto(struct vmm_vm *vm, u64 upto)
{
	if (!upto)
		return;
	on_each_cpu(ept_flush_ipi, vm, 1);
	spin_lock(&vm->mmu_lock);
	if (upto > vm->tlb_flushed)
		vm->tlb_flushed = upto;
	spin_unlock(&vm->mmu_lock);
}

/*
 * Walk the leaves of [gfn, gfn + npages) under mmu_lock.  Each present
 * leaf is cleared, or, with write_protect, a 4 KiB leaf only loses write
 * access (dirty logging re-arms it).  A 2 MiB leaf overlapping the range
 * goes whole either way: the guest faults the rest back in, and logged
 * slots are mapped in 4 KiB pages.  A change counts in tlb_changes: the
 * caller, or any path that needs a range gone, then flushes.
 *
 * A walk over a large populated range (a slot of many GiB, the whole
 * address space at exit) would hold mmu_lock for as long as it takes to
 * change millions of leaves.  With may_yield, which only the callers of
 * rule 4 set, the walk may drop and retake mmu_lock halfway, having
 * counted what it changed so far.  Tables are only freed with the VM, so
 * the walk goes on from where it was, from the root.
 */
static void ept_update_range(struct vmm_vm *vm, u64 gfn, u64 npages,
			     bool write_protect, bool may_yield)
{
	u64 end = gfn + npages;
	unsigned int steps = 0;
	bool changed = false;

	lockdep_assert_held(&vm->mmu_lock);
	while (gfn < end) {
		u64 *table = vm->ept_root, *e = NULL, old;
		int level;

		if (may_yield && !(++steps % EPT_YIELD_EVERY)) {
			if (changed)
				vm->tlb_changes++;
			changed = false;
			vmm_ept_yield_locked(vm);
		}

		for (level = EPT_LEVELS; level >= 1; level--) {
			e = &table[ept_index(gfn, level)];
			if (!(*e & EPT_RWX) || level == 1 || (*e & EPT_LARGE))
				break;
			table = ept_table(*e);
		}
		old = *e;
		if ((old & EPT_RWX) && (level == 1 || (old & EPT_LARGE))) {
			u64 new = 0;

			if (write_protect && level == 1)
				new = old & ~VMX_EPT_WRITABLE_MASK;
			if (!new && level == 1) {
				vm->ept_mapped--;
			} else if (!new) {
				vm->ept_mapped -= 512;
				vm->ept_mapped_huge -= 512;
			}
			if (new != old) {
				WRITE_ONCE(*e, new);
				changed = true;
			}
		}
		/* Skip to the next entry at the level where the walk stopped. */
		gfn = (gfn | ((1ULL << (9 * (level - 1))) - 1)) + 1;
	}
	if (changed)
		vm->tlb_changes++;
}

/*
 * Take write access from the 4 KiB leaves of a range, for dirty logging;
 * with may_yield (rule 4) it may drop and retake mmu_lock.
 */
void vmm_ept_write_protect_locked(struct vmm_vm *vm, u64 gfn, u64 npages,
				  bool may_yield)
{
	ept_update_range(vm, gfn, npages, true, may_yield);
}

/*
 * Start removing [gfn, gfn + npages) from the guest (rule 3 above): no
 * fault installs a leaf until vmm_ept_zap_end(), and the range's leaves
 * are cleared.  Returns what the caller passes to vmm_ept_flush_upto()
 * before it publishes the slot set without the range.
 */
u64 vmm_ept_zap_begin(struct vmm_vm *vm, u64 gfn, u64 npages)
{
	u64 upto;

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	ept_update_range(vm, gfn, npages, false, true);
	upto = vmm_ept_flush_pending_locked(vm);
	spin_unlock(&vm->mmu_lock);
	return upto;
}

/* The new slot set is published: faults may map again, from it. */
void vmm_ept_zap_end(struct vmm_vm *vm)
{
	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/*
 * Install a leaf for gfn at level 1 (4 KiB) or 2 (2 MiB), allocating
 * tables on the way.  Table pages are allocated before taking mmu_lock;
 * *spare holds one that the caller supplies and this consumes (-ENOMEM:
 * one more is needed; -EEXIST: a 2 MiB leaf cannot go where a 4 KiB
 * table is).  Returns the level of the leaf that maps gfn now: leaf_level,
 * or 2 where another vCPU's 2 MiB leaf was there first.
 */
static int ept_map_locked(struct vmm_vm *vm, u64 gfn, u64 leaf, int leaf_level,
			  u64 **spare)
{
	u64 *table = vm->ept_root;
	int level;

	for (level = EPT_LEVELS; level > leaf_level; level--) {
		u64 *e = &table[ept_index(gfn, level)];

		if (*e & EPT_LARGE)
			return level;	/* raced with a 2 MiB mapping: done */
		if (!(*e & EPT_RWX)) {
			if (!*spare)
				return -ENOMEM;
			WRITE_ONCE(*e, __pa(*spare) | EPT_RWX);
			*spare = NULL;
			vm->ept_pages++;
		}
		table = ept_table(*e);
	}
	table += ept_index(gfn, leaf_level);
	/* A 2 MiB leaf only where no 4 KiB table exists yet. */
	if (leaf_level == 2 && (*table & EPT_RWX))
		return -EEXIST;
	if (!(*table & EPT_RWX) && leaf_level == 2) {
		vm->ept_mapped += 512;
		vm->ept_mapped_huge += 512;
	} else if (!(*table & EPT_RWX)) {
		vm->ept_mapped++;
	} else {
		/*
		 * Another vCPU mapped the page first, from the same slot set
		 * (same mmu_seq): never take away what its leaf allows, or a
		 * write through a TLB entry that no flush covers goes unseen
		 * by dirty logging.
		 */
		if (WARN_ON_ONCE((*table ^ leaf) & PAGE_MASK))
			return leaf_level; /* keep it: no flush covers a switch */
		leaf |= *table & EPT_RWX;
	}
	WRITE_ONCE(*table, leaf);
	return leaf_level;
}

/*
 * Is hva mapped by a 2 MiB or larger leaf in the process's page tables?
 * Walked without locks and with interrupts off, as GUP-fast does, so no
 * table is freed under the walk; a change after it bumps mmu_seq and the
 * fault is retried.
 */
static bool host_pmd_mapped(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	bool huge = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		huge = true;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	huge = pmd_present(pmd) && pmd_leaf(pmd);
out:
	local_irq_restore(flags);
	return huge;
}

/*
 * Fault-around: take a reference on the host page of each of the n
 * frames whose host addresses start at hva, where the process maps one
 * right now, without faulting anything in: GUP-fast only, so no page is
 * allocated, read from swap or copied for COW, and special mappings (the
 * zero page) are refused.  pages[i] is NULL where there is none, and at
 * index skip, the faulting page, which the caller holds already.  Read
 * access only (gup_flags 0): these pages are mapped read-only, so the
 * guest's first write to one faults and gets write access through
 * FOLL_WRITE, which breaks COW and dirties the host page; the host's
 * dirty tracking stays exact without looking at its PTEs.  Returns how
 * many references were taken.
 */
static int ept_around_get(unsigned long hva, int n, int skip,
			  struct page **pages)
{
	int i = 0, got = 0;

	while (i < n) {
		int len, r;

		if (i == skip) {
			pages[i++] = NULL;
			continue;
		}
		len = (i < skip ? skip : n) - i;
		r = get_user_pages_fast_only(hva + ((unsigned long)i << PAGE_SHIFT),
					     len, 0, pages + i);
		r = max(r, 0);
		got += r;
		i += r;
		/* GUP-fast stops at the first page it cannot take: skip it. */
		if (r < len)
			pages[i++] = NULL;
	}
	return got;
}

/*
 * Fault-around, under mmu_lock, once the faulting page's 4 KiB leaf is
 * in: map pages[0..n) (ept_around_get()) at the frames from first on,
 * read and execute only, where the last-level table has no leaf yet.  A
 * leaf already there is never changed, whatever it allows, and no dirty
 * bit is set: nothing was written.  The window lies in the table the
 * faulting leaf needed, so no table is allocated here.  Only entries that
 * were not present change, and the CPU caches no translation from a
 * not-present EPT entry (SDM Vol. 3C 29.4.2), so no flush is owed; the
 * guest's first write through one of these leaves is an EPT violation,
 * which itself drops the read-only translation cached for that address
 * (29.4.3.1) before the fault path grants write access.  Returns how
 * many leaves were installed.
 */
static unsigned int ept_map_around_locked(struct vmm_vm *vm, u64 first,
					  struct page **pages, int n)
{
	u64 *table = vm->ept_root;
	unsigned int mapped = 0;
	int level, i;

	lockdep_assert_held(&vm->mmu_lock);
	for (level = EPT_LEVELS; level > 1; level--) {
		u64 e = table[ept_index(first, level)];

		/* Raced with a 2 MiB leaf (the faulting leaf went into it). */
		if (!(e & EPT_RWX) || (e & EPT_LARGE))
			return 0;
		table = ept_table(e);
	}
	for (i = 0; i < n; i++) {
		u64 *e = &table[ept_index(first + i, 1)];

		if (!pages[i] || (*e & EPT_RWX))
			continue;
		WRITE_ONCE(*e, ((u64)page_to_pfn(pages[i]) << PAGE_SHIFT) |
			   EPT_RX | EPT_LEAF_WB);
		mapped++;
	}
	vm->ept_mapped += mapped;
	return mapped;
}

/* Would get_user_pages(), without FOLL_FORCE, refuse this VMA? */
static bool vma_gup_refuses(struct vm_area_struct *vma, bool write)
{
	vm_flags_t f = vma->vm_flags;

	if (f & (VM_IO | VM_PFNMAP))
		return true;
	if (write ? !(f & VM_WRITE) || (f & VM_SHADOW_STACK) : !(f & VM_READ))
		return true;
	/* memfd_secret(); vma_is_secretmem() is not exported. */
	return vma->vm_file &&
	       file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC;
}

/*
 * Fault the host page at hva in as the process's own access would, and
 * take a reference on it: what get_user_pages() does, with one
 * page-table walk where its slow path makes two under mmap_lock, before
 * the fault and after (in the emulated host, about 400 ticks less on
 * every fault of fresh memory).  The VMA is checked as get_user_pages()
 * checks it without FOLL_FORCE, before any fault (vma_gup_refuses()),
 * and handle_mm_fault() checks protection keys.  GUP-fast then takes the
 * page.  A fault that had to let mmap_lock go (a page lock, I/O,
 * userfaultfd) or failed, and a page GUP-fast cannot take (the zero page,
 * a special entry, one that changed again), go to
 * get_user_pages_unlocked(), whose answer counts.  Runs in the process
 * (mm is current->mm).
 */
static int ept_fault_in(unsigned long hva, unsigned int gup_flags,
			struct page **page)
{
	struct mm_struct *mm = current->mm;
	bool write = gup_flags & FOLL_WRITE;
	struct vm_area_struct *vma;
	vm_fault_t ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, hva);
	if (!vma || vma_gup_refuses(vma, write)) {
		mmap_read_unlock(mm);
		return -EFAULT;
	}
	ret = handle_mm_fault(vma, hva,
			      (write ? FAULT_FLAG_WRITE : 0) |
			      FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE,
			      NULL);
	/* Otherwise handle_mm_fault() has let the lock go. */
	if (!(ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)))
		mmap_read_unlock(mm);
	if (!(ret & (VM_FAULT_ERROR | VM_FAULT_RETRY)) &&
	    get_user_pages_fast_only(hva, 1, gup_flags, page) == 1)
		return 1;
	return get_user_pages_unlocked(hva, 1, page, gup_flags);
}

/* A guest access to this slot (NULL: none) is MMIO. */
static bool slot_mmio(const struct vmm_memslot *slot, bool write)
{
	return !slot || (write && (slot->flags & VMM_MEM_READONLY));
}

/* What ept_map_gfn() did. */
enum {
	EPT_MAPPED,		/* a leaf maps the frame */
	EPT_MMIO,		/* in no slot, or a write to a read-only slot */
	EPT_RETRY,		/* an invalidation ran meanwhile: nothing done */
};

/* One guest frame for ept_map_gfn(). */
struct ept_map {
	u64 gfn;
	bool write;		/* in: map it as a write would need */
	bool probe;		/* in: the host page is likely there already */
	bool around;		/* in: fault-around for a 4 KiB leaf */
	int level;		/* out: the leaf's level, 1 or 2 */
	unsigned int prefetched; /* out: leaves that fault-around added */
};

/*
 * Map m->gfn as a guest access would need it: look the slot up, get the
 * host page (faulting it in, which may sleep), build the leaf, and
 * install it under mmu_lock only if mmu_seq, sampled first, is unchanged
 * and no invalidation is in progress (rule 2).  The one path for EPT
 * violations and VMM_PRE_FAULT_MEMORY.  Returns EPT_MAPPED, EPT_MMIO,
 * EPT_RETRY or -errno.  Runs with preemption enabled.
 */
static int ept_map_gfn(struct vmm_vm *vm, struct ept_map *m)
{
	struct page *page, *around[EPT_AROUND];
	const struct vmm_memslot *slot;
	u64 gfn = m->gfn, base_gfn, npages, leaf, perm, first = 0;
	bool readonly, logged, try_around = m->around;
	unsigned long hva, seq, slot_hva, *dirty;
	unsigned int gup_flags;
	int level, r, idx, i, n = 0;
	u64 *spare = NULL;

	/* The window must stay inside one last-level table. */
	BUILD_BUG_ON(EPT_ENTRIES % EPT_AROUND);
	might_sleep();
	m->level = 0;
	m->prefetched = 0;
	seq = READ_ONCE(vm->mmu_seq);
	/* Sample the sequence before the slots: pairs with vm_set_memory(). */
	smp_rmb();
	idx = srcu_read_lock(&vm->srcu);
	slot = vmm_find_slot(vmm_slots(vm), gfn);
	/* A write to a read-only slot is MMIO: the device model sees it. */
	if (slot_mmio(slot, m->write)) {
		srcu_read_unlock(&vm->srcu, idx);
		return EPT_MMIO;
	}
	base_gfn = slot->base_gfn;
	npages = slot->npages;
	slot_hva = slot->hva;
	readonly = slot->flags & VMM_MEM_READONLY;
	dirty = slot->dirty_bitmap;
	srcu_read_unlock(&vm->srcu, idx);
	logged = dirty;

	hva = slot_hva + ((gfn - base_gfn) << PAGE_SHIFT);
	gup_flags = readonly ? 0 : FOLL_WRITE;
	/*
	 * GUP-fast first where the page is likely there (m->probe).
	 * Fault-around only where the process had the page already (loaded
	 * images, memory the host filled, leaves an invalidation took away):
	 * a guest touching fresh memory would find none of the neighbours
	 * there either, and should not pay for looking.
	 */
	if (!m->probe ||
	    get_user_pages_fast_only(hva, 1, gup_flags, &page) != 1) {
		r = ept_fault_in(hva, gup_flags, &page);
		try_around = false;
		/*
		 * A read (or a pre-fault) takes the page for writing so that
		 * the guest's next write does not fault again; where the host
		 * will not give it for writing (a PROT_READ mapping, a file
		 * that cannot allocate the block), it is mapped read-only, as
		 * a read needs no more.
		 */
		if ((r == -EFAULT || !r) && gup_flags && !m->write) {
			gup_flags = 0;
			r = get_user_pages_fast(hva, 1, 0, &page);
		}
		if (r != 1)
			return r < 0 ? r : -EFAULT;
	}

	/*
	 * A 2 MiB mapping where the host maps a 2 MiB huge page there (a
	 * PMD, not only a compound page: one whose PMD was split may have
	 * subpages the process no longer maps), lined up with the guest
	 * frame and wholly inside the slot.
	 */
	level = 1;
	if (!logged && vmm_has_ept_2m() && PageCompound(page) &&
	    compound_order(compound_head(page)) >= 9 &&
	    host_pmd_mapped(vm->mm, hva) &&
	    ((hva >> PAGE_SHIFT) & 511) == (gfn & 511) &&
	    ALIGN_DOWN(gfn, 512) >= base_gfn &&
	    ALIGN_DOWN(gfn, 512) + 512 <= base_gfn + npages &&
	    IS_ALIGNED(page_to_pfn(page) - (gfn & 511), 512))
		level = 2;

	/*
	 * Read-only slots never get write access; logged slots get it on
	 * the first write after each harvest, which marks the page dirty.
	 */
	perm = EPT_RWX;
	if (!gup_flags || (logged && !m->write))
		perm &= ~VMX_EPT_WRITABLE_MASK;
	if (level == 2)
		leaf = ((u64)(page_to_pfn(page) - (gfn & 511)) << PAGE_SHIFT) |
		       EPT_LARGE;
	else
		leaf = (u64)page_to_pfn(page) << PAGE_SHIFT;
	leaf |= perm | EPT_LEAF_WB;

	if (try_around && level == 1) {
		u64 lo = ALIGN_DOWN(gfn, EPT_AROUND);

		first = max(lo, base_gfn);
		n = min(lo + EPT_AROUND, base_gfn + npages) - first;
		if (!ept_around_get(slot_hva + ((first - base_gfn) << PAGE_SHIFT),
				    n, gfn - first, around))
			n = 0;
	}

	for (;;) {
		/*
		 * Not even the lock while an invalidation runs: a long one
		 * lets the lock go for whoever waits (rule 4), not for us.
		 */
		if (READ_ONCE(vm->mmu_invalidating) ||
		    READ_ONCE(vm->mmu_seq) != seq) {
			r = EPT_RETRY;
			break;
		}
		spin_lock(&vm->mmu_lock);
		if (vm->mmu_invalidating || vm->mmu_seq != seq) {
			/* The host is changing the process's mappings. */
			spin_unlock(&vm->mmu_lock);
			r = EPT_RETRY;
			break;
		}
		r = ept_map_locked(vm, level == 2 ? ALIGN_DOWN(gfn, 512) : gfn,
				   leaf, level, &spare);
		if (r > 0) {
			m->level = r;
			r = EPT_MAPPED;
		}
		/*
		 * The guest's writes through a writable leaf never dirty the
		 * host page, whose PTE may be writable and clean (a shmem
		 * page the process read, an MADV_FREE page, a fault that
		 * lost a race and left the PTE as it was): reclaim would drop
		 * them.  Dirty the page now, under mmu_lock with mmu_seq
		 * unchanged, so the host still maps it writable and nothing
		 * has cleaned it since; whatever cleans it later takes the
		 * leaf away first.
		 */
		if (!r && (perm & VMX_EPT_WRITABLE_MASK) && !PageReserved(page))
			folio_mark_dirty(page_folio(page));
		/* Same mmu_seq: the bitmap is still this slot's (vm.c). */
		if (!r && logged && m->write)
			set_bit(gfn - base_gfn, dirty);
		if (!r && m->level == 1 && n)
			m->prefetched = ept_map_around_locked(vm, first, around,
							      n);
		spin_unlock(&vm->mmu_lock);
		if (r == -EEXIST) {
			/* Fall back to a 4 KiB leaf for this very page. */
			level = 1;
			leaf = ((u64)page_to_pfn(page) << PAGE_SHIFT) |
			       perm | EPT_LEAF_WB;
			continue;
		}
		if (r != -ENOMEM)
			break;
		/* A table is missing: allocate it without the lock. */
		spare = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!spare)
			break;
	}
	/* The MMU notifier, not a page reference, protects the mappings. */
	put_page(page);
	for (i = 0; i < n; i++)
		if (around[i])
			put_page(around[i]);
	if (spare)
		free_page((unsigned long)spare);
	return r;
}

/*
 * Is a guest access to gpa MMIO: in no slot, or a write to a read-only
 * one?  Callable with preemption disabled (an SRCU read side may be), so
 * that the run loop hands MMIO to the emulator from its atomic part.
 * The slot set may change right after: ept_map_gfn() looks again.
 */
bool vmm_ept_is_mmio(struct vmm_vm *vm, u64 gpa, bool write)
{
	bool mmio;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	mmio = slot_mmio(vmm_find_slot(vmm_slots(vm), gpa >> PAGE_SHIFT), write);
	srcu_read_unlock(&vm->srcu, idx);
	return mmio;
}

/*
 * Resolve an EPT violation on guest memory.  Returns 0 when the guest can
 * retry the access, 1 when the address is in no slot (MMIO), or -errno.
 * Runs with preemption enabled: get_user_pages may sleep.
 */
int vmm_ept_fault(struct vmm_vcpu *vcpu, u64 gpa, unsigned long qual)
{
	bool write = qual & EPT_VIOLATION_ACC_WRITE;
	/*
	 * The host page is likely there for a read or a fetch (an image
	 * the launcher loaded), and for a write where a leaf maps the frame
	 * already (read-only: fault-around, dirty logging): bits 3 to 5 of
	 * the qualification are what the EPT allowed (SDM Vol. 3C 28.2.1).
	 * A write with no leaf is most often to fresh memory, where
	 * GUP-fast's look costs about 340 ticks for nothing.  Fault-around
	 * only on reads and fetches, for the same reason.
	 */
	struct ept_map m = {
		.gfn = gpa >> PAGE_SHIFT,
		.write = write,
		.probe = !write || (qual & EPT_VIOLATION_RWX_MASK),
		.around = !write,
	};
	int r = ept_map_gfn(vcpu->vm, &m);

	vmm_stat_add(&vcpu->stats.ept_prefetch, m.prefetched);
	switch (r) {
	case EPT_MMIO:
		return 1;
	case EPT_RETRY:
		/*
		 * Let the guest fault again, through the run loop, which
		 * sees signals and reschedules.
		 */
		return 0;
	default:
		return r;
	}
}

/*
 * VMM_PRE_FAULT_MEMORY: map [range->gpa, range->gpa + range->size) as
 * the guest's reads would, page by page (or 2 MiB at a time where a
 * 2 MiB leaf maps the page, its own or one a vCPU installed first),
 * moving gpa and size on past what is done.  A
 * read fault takes the host page for writing unless the slot is
 * read-only or the host will not give it so, so host memory is
 * allocated (and COW broken) as needed, and the permissions are the
 * fault path's: read-only slots, pages the host gives for reading only
 * and slots that log dirty pages are mapped read-only, the others
 * writable; nothing is marked in a dirty log.  A race with an
 * invalidation retries the page.  As KVM's: 0 once some of the range is
 * done (the caller asks again for the rest), else -EINTR (a signal is
 * pending), -ENOENT (gpa is in no slot), -EFAULT or another -errno.
 */
int vmm_ept_prefault(struct vmm_vm *vm, struct vmm_pre_fault_memory *range)
{
	bool progress = false;
	int r = 0;

	while (range->size) {
		struct ept_map m = { .gfn = range->gpa >> PAGE_SHIFT };
		u64 step;

		if (signal_pending(current)) {
			r = -EINTR;
			break;
		}
		r = ept_map_gfn(vm, &m);
		if (r == EPT_RETRY) {
			cond_resched();
			continue;
		}
		if (r == EPT_MMIO)
			r = -ENOENT;
		if (r)
			break;
		step = PAGE_SIZE;
		if (m.level == 2)
			step = SZ_2M - (range->gpa & (SZ_2M - 1));
		step = min(step, range->size);
		range->gpa += step;
		range->size -= step;
		progress = true;
		cond_resched();
	}
	return progress ? 0 : r;
}

/*
 * Clear the leaves of every slot's part of [start, end) (host addresses),
 * inside an invalidation; may_yield as for ept_update_range().
 */
static void ept_zap_hva(struct vmm_vm *vm, unsigned long start,
			unsigned long end, bool may_yield)
{
	struct vmm_memslots *slots;
	int i, idx;

	idx = srcu_read_lock(&vm->srcu);
	slots = vmm_slots(vm);
	for (i = 0; i < slots->nr; i++) {
		const struct vmm_memslot *s = &slots->slots[i];
		unsigned long s_end = s->hva + (s->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s->hva), hi = min(end, s_end);

		if (lo >= hi)
			continue;
		ept_update_range(vm, s->base_gfn + ((lo - s->hva) >> PAGE_SHIFT),
				 (ALIGN(hi, PAGE_SIZE) - ALIGN_DOWN(lo, PAGE_SIZE)) >>
				 PAGE_SHIFT, false, may_yield);
	}
	srcu_read_unlock(&vm->srcu, idx);
}

static int ept_mn_invalidate_start(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct vmm_vm *vm = container_of(mn, struct vmm_vm, mn);
	u64 upto;

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	ept_zap_hva(vm, range->start, range->end,
		    mmu_notifier_range_blockable(range));
	/* Ours, or a leaf another path cleared and has not flushed yet. */
	upto = vmm_ept_flush_pending_locked(vm);
	spin_unlock(&vm->mmu_lock);
	vmm_ept_flush_upto(vm, upto);
	return 0;
}

static void ept_mn_invalidate_end(struct mmu_notifier *mn,
				  const struct mmu_notifier_range *range)
{
	struct vmm_vm *vm = container_of(mn, struct vmm_vm, mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/*
 * The address space is going away (the process exits), or the VM does
 * (mmu_notifier_unregister() from its destruction, once no vCPU is
 * left): no guest access may reach it again.  The invalidation opened
 * here is never closed, so nothing is mapped again whatever happens, and
 * the zap may let the lock go (rule 4; both callers may sleep).  Both
 * may run at once, which only raises mmu_invalidating twice.
 */
static void ept_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vmm_vm *vm = container_of(mn, struct vmm_vm, mn);
	u64 upto;

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	ept_zap_hva(vm, 0, ULONG_MAX, true);
	upto = vmm_ept_flush_pending_locked(vm);
	spin_unlock(&vm->mmu_lock);
	vmm_ept_flush_upto(vm, upto);
}

const struct mmu_notifier_ops vmm_ept_mn_ops = {
	.invalidate_range_start = ept_mn_invalidate_start,
	.invalidate_range_end = ept_mn_invalidate_end,
	.release = ept_mn_release,
};
