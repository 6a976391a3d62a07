// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: the VM file descriptor, guest memory slots and the VM list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "vmm.h"
#include "vcpu.h"

static LIST_HEAD(vmm_vms);
static DEFINE_MUTEX(vmm_vms_lock);
static DEFINE_IDA(vmm_vm_ida);
static int vmm_nr_vms;

int vmm_vm_count(void)
{
	return READ_ONCE(vmm_nr_vms);
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
	case VMM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case VMM_CAP_JOIN_MEMORY_REGIONS_WORKS:
		return 1;
	case VMM_CAP_NR_VCPUS:
	case VMM_CAP_MAX_VCPUS:
		return VMM_MAX_VCPUS;
	case VMM_CAP_MAX_VCPU_ID:
		return VMM_MAX_VCPU_ID + 1;
	case VMM_CAP_NR_MEMSLOTS:
		return VMM_USER_MEM_SLOTS;
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
	u32 valid_flags = 0;
	int i, j;
	long r;

	if (m->slot >= VMM_USER_MEM_SLOTS)	/* also rejects address spaces */
		return -EINVAL;
	if (m->flags & ~valid_flags)
		return -EINVAL;
	if (!PAGE_ALIGNED(m->memory_size) || !PAGE_ALIGNED(m->guest_phys_addr) ||
	    !PAGE_ALIGNED(m->userspace_addr))
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
	if (s.npages && old && (s.npages != old->npages || s.hva != old->hva))
		goto out;

	r = -EEXIST;
	for (i = 0; s.npages && i < old_set->nr; i++) {
		const struct vmm_memslot *o = &old_set->slots[i];

		if (o->id != s.id && s.base_gfn < o->base_gfn + o->npages &&
		    o->base_gfn < s.base_gfn + s.npages)
			goto out;
	}

	r = -ENOMEM;
	new_set = kzalloc(struct_size(new_set, slots, old_set->nr + 1),
			  GFP_KERNEL_ACCOUNT);
	if (!new_set)
		goto out;
	for (i = 0, j = 0; i < old_set->nr; i++)
		if (old_set->slots[i].id != s.id)
			new_set->slots[j++] = old_set->slots[i];
	if (s.npages)
		new_set->slots[j++] = s;
	new_set->nr = j;
	sort(new_set->slots, j, sizeof(s), slot_cmp, NULL);

	rcu_assign_pointer(vm->slots, new_set);
	/* Publish the new set before the EPT entries of the old go away. */
	smp_wmb();
	if (old && (!s.npages || old->base_gfn != s.base_gfn)) {
		vmm_ept_zap(vm, old->base_gfn, old->npages);
		vmm_ept_flush(vm);
	}
	synchronize_rcu();
	kfree(old_set);
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
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
	default:
		r = -ENOTTY;
	}
	return r;
}

static void vm_destroy(struct vmm_vm *vm)
{
	int i;

	mutex_lock(&vmm_vms_lock);
	list_del(&vm->node);
	vmm_nr_vms--;
	mutex_unlock(&vmm_vms_lock);

	for (i = 0; i < vm->nr_vcpus; i++)
		vmm_vcpu_free(vm->vcpus[i]);
	mmu_notifier_unregister(&vm->mn, vm->mm);
	vmm_ept_destroy(vm);
	kfree(rcu_dereference_protected(vm->slots, true));
	mmdrop(vm->mm);
	put_pid(vm->owner);
	ida_free(&vmm_vm_ida, vm->id);
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

static const struct file_operations vm_fops = {
	.owner = THIS_MODULE,
	.release = vm_release,
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
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	refcount_set(&vm->users, 1);
	vm->created_ns = ktime_get_real_ns();
	vm->owner = get_task_pid(current, PIDTYPE_TGID);

	r = ida_alloc_min(&vmm_vm_ida, 1, GFP_KERNEL);
	if (r < 0)
		goto out_slots;
	vm->id = r;

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
	list_add_tail(&vm->node, &vmm_vms);
	vmm_nr_vms++;
	mutex_unlock(&vmm_vms_lock);

	/* From here the file owns the VM: vm_release() frees it. */
	fd_install(fd, file);
	return fd;

out_notifier:
	mmu_notifier_unregister(&vm->mn, vm->mm);
out_mm:
	mmdrop(vm->mm);
	vmm_ept_destroy(vm);
out_id:
	ida_free(&vmm_vm_ida, vm->id);
out_slots:
	put_pid(vm->owner);
	kfree(slots);
out_vm:
	kfree(vm);
out_vmx:
	vmm_vmx_put();
out_module:
	module_put(THIS_MODULE);
	return r;
}
