// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: the VM file descriptor, guest memory slots and the VM list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vmm.h"
#include "vcpu.h"
#include "genl.h"

/*
 * Every VM by id.  An id is reserved at creation and the VM stored under
 * it once it is complete; it leaves the array before it is torn down.
 * Ids are handed out cyclically, so a monitor does not see a new VM
 * under the id of one that just ended.  vmm_vms_lock serialises the
 * store and the erase with readers that keep a VM alive while they look
 * at it (the netlink dumps).
 */
static DEFINE_XARRAY_ALLOC1(vmm_vms);
static DEFINE_MUTEX(vmm_vms_lock);
static u32 vmm_vm_next_id;
static int vmm_nr_vms;

int vmm_vm_count(void)
{
	return READ_ONCE(vmm_nr_vms);
}

/*
 * Call fn for each VM with an id >= *pos, in id order, with the VM kept
 * alive.  A non-zero return of fn ends the walk with *pos at that VM, so
 * that a netlink dump resumes there; after a whole walk *pos is past the
 * last id.
 */
int vmm_vm_walk(unsigned long *pos, vmm_vm_fn fn, void *arg)
{
	struct vmm_vm *vm;
	unsigned long id;
	int r = 0;

	mutex_lock(&vmm_vms_lock);
	xa_for_each_start(&vmm_vms, id, vm, *pos) {
		r = fn(vm, arg);
		*pos = r ? id : id + 1;
		if (r)
			break;
	}
	mutex_unlock(&vmm_vms_lock);
	return r;
}

/* fn on the VM with this id, kept alive; -ENOENT if there is none. */
int vmm_vm_with(u32 id, vmm_vm_fn fn, void *arg)
{
	struct vmm_vm *vm;
	int r = -ENOENT;

	mutex_lock(&vmm_vms_lock);
	vm = xa_load(&vmm_vms, id);
	if (vm)
		r = fn(vm, arg);
	mutex_unlock(&vmm_vms_lock);
	return r;
}

long vmm_check_extension(unsigned long cap)
{
	switch (cap) {
	case VMM_CAP_USER_MEMORY:
	case VMM_CAP_SET_TSS_ADDR:
	case VMM_CAP_EXT_CPUID:
	case VMM_CAP_SYNC_MMU:
	case VMM_CAP_HLT:
	case VMM_CAP_SET_IDENTITY_MAP_ADDR:
	case VMM_CAP_IMMEDIATE_EXIT:
	case VMM_CAP_CHECK_EXTENSION_VM:
	case VMM_CAP_READONLY_MEM:
	case VMM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case VMM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case VMM_CAP_MP_STATE:
	case VMM_CAP_USER_NMI:
	case VMM_CAP_VCPU_EVENTS:
	case VMM_CAP_INTR_SHADOW:
	case VMM_CAP_XSAVE:
	case VMM_CAP_DEBUGREGS:
	case VMM_CAP_PRE_FAULT_MEMORY:
		return 1;
	case VMM_CAP_XCRS:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case VMM_CAP_GET_TSC_KHZ:
		return tsc_khz != 0;
	case VMM_CAP_EXIT_HYPERCALL:
		return VMM_HC_EXIT_MASK;
	case VMM_CAP_INTERNAL_ERROR_DATA:
		return 1;
	case VMM_CAP_IRQ_ROUTING:
		/* As KVM answers it on a VM without an irqchip (api.rst). */
		return VMM_MAX_IRQ_ROUTES;
	case VMM_CAP_NR_VCPUS:
	case VMM_CAP_MAX_VCPUS:
		return VMM_MAX_VCPUS;
	case VMM_CAP_MAX_VCPU_ID:
		return VMM_MAX_VCPU_ID + 1;
	case VMM_CAP_NR_MEMSLOTS:
		return VMM_USER_MEM_SLOTS;
	case VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       VMM_DIRTY_LOG_INITIALLY_SET;
	default:
		return 0;
	}
}

const struct vmm_memslot *vmm_find_slot(struct vmm_memslots *slots, u64 gfn)
{
	int lo = 0, hi = slots->nr;

	/* Binary search over slots sorted by base_gfn. */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		const struct vmm_memslot *s = &slots->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

#ifdef VMM_DEBUG
/*
 * Debug builds only (Kbuild: VMM_DEBUG=y): a pause inside a slot delete
 * or move, where a concurrent MMU notifier or EPT fault must not be able
 * to leave the old range mapped.  memslot_race_test sets it so that its
 * host-side unmapping lands in those windows.
 */
static unsigned int debug_slot_delay_ms;
module_param(debug_slot_delay_ms, uint, 0644);
MODULE_PARM_DESC(debug_slot_delay_ms,
		 "debug: pause in ms inside a memory slot delete or move");

static void vm_debug_slot_delay(void)
{
	unsigned int ms = READ_ONCE(debug_slot_delay_ms);

	if (ms)
		msleep(ms);
}
#else
static inline void vm_debug_slot_delay(void)
{
}
#endif

static int slot_cmp(const void *a, const void *b)
{
	const struct vmm_memslot *x = a, *y = b;

	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

/*
 * SET_USER_MEMORY_REGION, with KVM's rules: a slot is created, deleted
 * (size 0), moved (new guest address) or has its flags changed; changing
 * the size or the host address of a live slot is -EINVAL (delete it and
 * create it again); ranges may not overlap another slot (-EEXIST).
 */
static long vm_set_memory(struct vmm_vm *vm,
			  const struct vmm_userspace_memory_region *m)
{
	struct vmm_memslots *old_set, *new_set;
	struct vmm_memslot *old = NULL, s;
	u32 valid_flags = VMM_MEM_LOG_DIRTY_PAGES | VMM_MEM_READONLY;
	unsigned long *free_bitmap = NULL;
	int i, j;
	long r;

	if (m->slot >= VMM_USER_MEM_SLOTS)	/* also rejects address spaces */
		return -EINVAL;
	if (m->flags & ~valid_flags)
		return -EINVAL;
	if (!PAGE_ALIGNED(m->memory_size) || !PAGE_ALIGNED(m->guest_phys_addr) ||
	    !PAGE_ALIGNED(m->userspace_addr))
		return -EINVAL;
	if (m->memory_size >> PAGE_SHIFT > VMM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	if (m->memory_size) {
		if (m->guest_phys_addr + m->memory_size < m->guest_phys_addr ||
		    m->userspace_addr + m->memory_size < m->userspace_addr ||
		    !access_ok((void __user *)(unsigned long)m->userspace_addr,
			       m->memory_size))
			return -EINVAL;
		/* The guest-physical space is 52 bits wide; EPT maps 48. */
		if (m->guest_phys_addr + m->memory_size > (1ULL << 48))
			return -EINVAL;
	}

	s = (struct vmm_memslot) {
		.base_gfn = m->guest_phys_addr >> PAGE_SHIFT,
		.npages = m->memory_size >> PAGE_SHIFT,
		.hva = m->userspace_addr,
		.flags = m->flags,
		.id = m->slot,
	};

	mutex_lock(&vm->lock);
	old_set = rcu_dereference_protected(vm->slots,
					    lockdep_is_held(&vm->lock));
	for (i = 0; i < old_set->nr; i++)
		if (old_set->slots[i].id == s.id)
			old = &old_set->slots[i];

	r = -EINVAL;
	if (!s.npages && !old)
		goto out;
	if (s.npages && old && (s.npages != old->npages || s.hva != old->hva ||
				((s.flags ^ old->flags) & VMM_MEM_READONLY)))
		goto out;

	r = -EEXIST;
	for (i = 0; s.npages && i < old_set->nr; i++) {
		const struct vmm_memslot *o = &old_set->slots[i];

		if (o->id != s.id && s.base_gfn < o->base_gfn + o->npages &&
		    o->base_gfn < s.base_gfn + s.npages)
			goto out;
	}

	/* A slot keeps its dirty bitmap for as long as it logs. */
	if (old && s.npages && (s.flags & VMM_MEM_LOG_DIRTY_PAGES))
		s.dirty_bitmap = old->dirty_bitmap;
	if (old && old->dirty_bitmap != s.dirty_bitmap)
		free_bitmap = old->dirty_bitmap;

	/* Up to 256 MiB, sized by userspace: a failure is its -ENOMEM. */
	r = -ENOMEM;
	if ((s.flags & VMM_MEM_LOG_DIRTY_PAGES) && !s.dirty_bitmap) {
		s.dirty_bitmap = kvcalloc(BITS_TO_LONGS(s.npages), sizeof(long),
					  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!s.dirty_bitmap)
			goto out;
		if (vm->initially_set)
			bitmap_set(s.dirty_bitmap, 0, s.npages);
	}
	new_set = kzalloc(struct_size(new_set, slots, old_set->nr + 1),
			  GFP_KERNEL_ACCOUNT);
	if (!new_set) {
		if (!old || s.dirty_bitmap != old->dirty_bitmap)
			kvfree(s.dirty_bitmap);
		goto out;
	}
	for (i = 0, j = 0; i < old_set->nr; i++)
		if (old_set->slots[i].id != s.id)
			new_set->slots[j++] = old_set->slots[i];
	if (s.npages)
		new_set->slots[j++] = s;
	new_set->nr = j;
	sort(new_set->slots, j, sizeof(s), slot_cmp, NULL);

	if (old && (!s.npages || old->base_gfn != s.base_gfn)) {
		u64 upto;

		/*
		 * Delete or move (ept.c, rule 3): the old range leaves the
		 * EPT and every TLB while the old set is still published, and
		 * no fault maps anything until the new set is.  An MMU
		 * notifier in between finds the leaves gone, and flushes if
		 * this has not yet.
		 */
		upto = vmm_ept_zap_begin(vm, old->base_gfn, old->npages);
		vm_debug_slot_delay();
		vmm_ept_flush_upto(vm, upto);
		vm_debug_slot_delay();
		rcu_assign_pointer(vm->slots, new_set);
		/* The set before the sequence: pairs with vmm_ept_fault(). */
		smp_wmb();
		vmm_ept_zap_end(vm);
	} else {
		u64 upto = 0;

		/*
		 * Nothing of the new set is mapped yet.  Bumping mmu_seq
		 * makes a fault that looked at the old set retry, so it
		 * cannot mark a bitmap that is about to be freed.
		 */
		rcu_assign_pointer(vm->slots, new_set);
		/* The set before the sequence: pairs with vmm_ept_fault(). */
		smp_wmb();
		spin_lock(&vm->mmu_lock);
		vm->mmu_seq++;
		if (old && s.dirty_bitmap && !old->dirty_bitmap &&
		    !vm->initially_set) {
			/* Logging starts: the next write to every page is recorded. */
			vmm_ept_write_protect_locked(vm, s.base_gfn, s.npages,
						     true);
			upto = vmm_ept_flush_pending_locked(vm);
		}
		spin_unlock(&vm->mmu_lock);
		vmm_ept_flush_upto(vm, upto);
	}
	/*
	 * Slot changes are rare and a VMM waits for each (QEMU makes dozens
	 * while a guest boots).  Only this VM's readers are waited for, and
	 * expedited: no IPI to the rest of the system, and no wait for
	 * ticks (a system-wide grace period took from 0.3 to 1.7 s in the
	 * emulated host).
	 */
	synchronize_srcu_expedited(&vm->srcu);
	kfree(old_set);
	kvfree(free_bitmap);
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

static const struct vmm_memslot *slot_by_id(struct vmm_vm *vm, u32 id)
{
	struct vmm_memslots *set;
	int i;

	set = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	for (i = 0; i < set->nr; i++)
		if (set->slots[i].id == id)
			return &set->slots[i];
	return NULL;
}

/*
 * Harvest (or, with manual protection, clear) dirty bits of one slot in
 * 64-page words starting at word first: each word's bits are taken (and
 * cleared when clear is set, writes are re-armed by write protection).
 * mask, when given, limits which bits are cleared.  Under vm->lock.
 */
static void dirty_harvest(struct vmm_vm *vm, const struct vmm_memslot *s,
			  unsigned long *out, const unsigned long *mask,
			  u64 first, u64 words, bool clear)
{
	u64 i, upto;

	spin_lock(&vm->mmu_lock);
	for (i = 0; i < words; i++) {
		unsigned long *w = &s->dirty_bitmap[first + i], bits;
		int b;

		/*
		 * Between words the lock may go (ept.c, rule 4): the pages
		 * harvested so far are write-protected and counted in
		 * tlb_changes, a write to one faults and is logged again, and
		 * the flush below covers them all before the caller sees the
		 * bits.
		 */
		if (i && !(i % 64))
			vmm_ept_yield_locked(vm);
		if (!clear) {
			out[i] = READ_ONCE(*w);
			continue;
		}
		bits = mask ? mask[i] & READ_ONCE(*w) : READ_ONCE(*w);
		if (!bits) {
			if (out)
				out[i] = 0;
			continue;
		}
		bits = atomic_long_fetch_andnot(bits, (atomic_long_t *)w) & bits;
		if (out)
			out[i] = bits;
		for_each_set_bit(b, &bits, BITS_PER_LONG)
			vmm_ept_write_protect_locked(vm, s->base_gfn +
						     (first + i) * BITS_PER_LONG + b,
						     1, false);
	}
	upto = vmm_ept_flush_pending_locked(vm);
	spin_unlock(&vm->mmu_lock);
	/* Writes after this return fault and are logged again. */
	vmm_ept_flush_upto(vm, upto);
}

static long vm_get_dirty_log(struct vmm_vm *vm, struct vmm_dirty_log *log)
{
	const struct vmm_memslot *s;
	unsigned long *buf;
	u64 words;
	long r;

	mutex_lock(&vm->lock);
	s = slot_by_id(vm, log->slot);
	r = -ENOENT;
	if (!s || !s->dirty_bitmap)
		goto out;
	words = BITS_TO_LONGS(s->npages);
	r = -ENOMEM;
	buf = kvcalloc(words, sizeof(long), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!buf)
		goto out;
	dirty_harvest(vm, s, buf, NULL, 0, words, !vm->manual_protect);
	r = 0;
	if (copy_to_user((void __user *)log->dirty_bitmap, buf,
			 words * sizeof(long)))
		r = -EFAULT;
	kvfree(buf);
out:
	mutex_unlock(&vm->lock);
	return r;
}

static long vm_clear_dirty_log(struct vmm_vm *vm,
			       struct vmm_clear_dirty_log *c)
{
	const struct vmm_memslot *s;
	unsigned long *mask;
	u64 words;
	long r;

	mutex_lock(&vm->lock);
	s = slot_by_id(vm, c->slot);
	r = -ENOENT;
	if (!s || !s->dirty_bitmap)
		goto out;
	/* Whole 64-page words, except that the last may end the slot. */
	r = -EINVAL;
	if (!vm->manual_protect || (c->first_page & 63) ||
	    c->first_page >= s->npages || c->num_pages > s->npages ||
	    c->first_page + c->num_pages > s->npages ||
	    ((c->num_pages & 63) && c->first_page + c->num_pages != s->npages))
		goto out;
	words = BITS_TO_LONGS(c->num_pages);
	mask = memdup_user((void __user *)c->dirty_bitmap,
			   words * sizeof(long));
	if (IS_ERR(mask)) {
		r = PTR_ERR(mask);
		goto out;
	}
	dirty_harvest(vm, s, NULL, mask, c->first_page / 64, words, true);
	kfree(mask);
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

static long vm_enable_cap(struct vmm_vm *vm, const struct vmm_enable_cap *c)
{
	u64 ok = VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		 VMM_DIRTY_LOG_INITIALLY_SET;

	if (!c->flags && c->cap == VMM_CAP_EXIT_HYPERCALL) {
		/* As KVM: the mask replaces the last one; vCPUs see it next. */
		if (c->args[0] & ~VMM_HC_EXIT_MASK)
			return -EINVAL;
		WRITE_ONCE(vm->hypercall_exit, c->args[0]);
		return 0;
	}
	if (c->flags || c->cap != VMM_CAP_MANUAL_DIRTY_LOG_PROTECT2 ||
	    (c->args[0] & ~ok))
		return -EINVAL;
	/* INITIALLY_SET only makes sense with manual protection. */
	if (c->args[0] == VMM_DIRTY_LOG_INITIALLY_SET)
		return -EINVAL;
	mutex_lock(&vm->lock);
	vm->manual_protect = c->args[0] & VMM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	vm->initially_set = c->args[0] & VMM_DIRTY_LOG_INITIALLY_SET;
	mutex_unlock(&vm->lock);
	return 0;
}

static bool vm_owned(struct vmm_vm *vm)
{
	/* As KVM: only the creating process may drive the VM. */
	return current->mm == vm->mm;
}

static long vm_ioctl(struct file *f, unsigned int ioctl, unsigned long arg)
{
	struct vmm_vm *vm = f->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (!vm_owned(vm))
		return -EIO;

	switch (ioctl) {
	case VMM_SET_USER_MEMORY_REGION: {
		struct vmm_userspace_memory_region m;

		r = -EFAULT;
		if (copy_from_user(&m, argp, sizeof(m)))
			break;
		r = vm_set_memory(vm, &m);
		break;
	}
	case VMM_CREATE_VCPU:
		r = vmm_vcpu_create(vm, arg);
		break;
	case VMM_SET_TSS_ADDR:
		/* Unrestricted guest needs no real-mode TSS: accepted. */
		r = arg > 0xfffff000UL - 3 * PAGE_SIZE ? -EINVAL : 0;
		break;
	case VMM_SET_IDENTITY_MAP_ADDR: {
		u64 addr;

		/* Likewise no identity map is needed; validate and accept. */
		r = -EFAULT;
		if (copy_from_user(&addr, argp, sizeof(addr)))
			break;
		r = addr > 0xffffffffULL - PAGE_SIZE ? -EINVAL : 0;
		break;
	}
	case VMM_CHECK_EXTENSION:
		r = vmm_check_extension(arg);
		break;
	case VMM_SET_GSI_ROUTING:
		/* Routes lead to an in-kernel irqchip; there is none. */
		r = -EINVAL;
		break;
	case VMM_GET_DIRTY_LOG: {
		struct vmm_dirty_log log;

		r = -EFAULT;
		if (copy_from_user(&log, argp, sizeof(log)))
			break;
		r = vm_get_dirty_log(vm, &log);
		break;
	}
	case VMM_CLEAR_DIRTY_LOG: {
		struct vmm_clear_dirty_log c;

		r = -EFAULT;
		if (copy_from_user(&c, argp, sizeof(c)))
			break;
		r = vm_clear_dirty_log(vm, &c);
		break;
	}
	case VMM_ENABLE_CAP: {
		struct vmm_enable_cap c;

		r = -EFAULT;
		if (copy_from_user(&c, argp, sizeof(c)))
			break;
		r = vm_enable_cap(vm, &c);
		break;
	}
	default:
		r = -ENOTTY;
	}
	return r;
}

static void vm_destroy(struct vmm_vm *vm)
{
	struct vmm_memslots *slots;
	int i;

	mutex_lock(&vmm_vms_lock);
	xa_erase(&vmm_vms, vm->id);
	vmm_nr_vms--;
	mutex_unlock(&vmm_vms_lock);
	vmm_genl_vm_event(vm, VMM_EVENT_VM_DESTROYED);

	for (i = 0; i < vm->nr_vcpus; i++)
		vmm_vcpu_free(vm->vcpus[i]);
	mmu_notifier_unregister(&vm->mn, vm->mm);
	vmm_ept_destroy(vm);
	slots = rcu_dereference_protected(vm->slots, true);
	for (i = 0; i < slots->nr; i++)
		kvfree(slots->slots[i].dirty_bitmap);
	kfree(slots);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	put_pid(vm->owner);
	kfree(vm);
	vmm_vmx_put();
	module_put(THIS_MODULE);
}

void vmm_vm_put(struct vmm_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		vm_destroy(vm);
}

static int vm_release(struct inode *inode, struct file *f)
{
	vmm_vm_put(f->private_data);
	return 0;
}

/* /proc/PID/fdinfo/FD: the id that netlink and vmmctl know the VM by. */
static void vm_show_fdinfo(struct seq_file *m, struct file *f)
{
	const struct vmm_vm *vm = f->private_data;

	seq_printf(m, "vm_id:\t%u\n", vm->id);
}

static const struct file_operations vm_fops = {
	.owner = THIS_MODULE,
	.release = vm_release,
	.show_fdinfo = vm_show_fdinfo,
	.unlocked_ioctl = vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

long vmm_vm_create(unsigned long type)
{
	struct vmm_memslots *slots;
	struct vmm_vm *vm;
	struct file *file;
	int r, fd;

	if (type)
		return -EINVAL;
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;

	r = vmm_vmx_get();
	if (r)
		goto out_module;

	r = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto out_vmx;
	slots = kzalloc(sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		goto out_vm;
	RCU_INIT_POINTER(vm->slots, slots);
	r = init_srcu_struct(&vm->srcu);
	if (r)
		goto out_slots_mem;
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	refcount_set(&vm->users, 1);
	vm->created_ns = ktime_get_real_ns();
	vm->created_boot_ns = ktime_get_boottime_ns();
	vm->owner = get_task_pid(current, PIDTYPE_TGID);
	vm->uid = current_uid();

	/* Reserve the id; the VM is stored under it once complete. */
	r = xa_alloc_cyclic(&vmm_vms, &vm->id, NULL, xa_limit_31b,
			    &vmm_vm_next_id, GFP_KERNEL);
	if (r < 0)
		goto out_slots;

	r = vmm_ept_init(vm);
	if (r)
		goto out_id;

	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->mn.ops = &vmm_ept_mn_ops;
	r = mmu_notifier_register(&vm->mn, vm->mm);
	if (r)
		goto out_mm;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_notifier;
	}
	file = anon_inode_getfile("vmm-vm", &vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto out_notifier;
	}

	mutex_lock(&vmm_vms_lock);
	xa_store(&vmm_vms, vm->id, vm, 0);	/* reserved: cannot fail */
	vmm_nr_vms++;
	mutex_unlock(&vmm_vms_lock);
	vmm_genl_vm_event(vm, VMM_EVENT_VM_CREATED);

	/* From here the file owns the VM: vm_release() frees it. */
	fd_install(fd, file);
	return fd;

out_notifier:
	mmu_notifier_unregister(&vm->mn, vm->mm);
out_mm:
	mmdrop(vm->mm);
	vmm_ept_destroy(vm);
out_id:
	xa_erase(&vmm_vms, vm->id);
out_slots:
	put_pid(vm->owner);
	cleanup_srcu_struct(&vm->srcu);
out_slots_mem:
	kfree(slots);
out_vm:
	kfree(vm);
out_vmx:
	vmm_vmx_put();
out_module:
	module_put(THIS_MODULE);
	return r;
}
