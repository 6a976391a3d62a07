// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: a small hosted hypervisor for Intel VT-x.
 *
 * The module's entry points and the /dev/vmm system file descriptor.  The
 * ioctl ABI is a binary-compatible subset of KVM's (uapi/linux/vmm.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/vmm.h>

#include "vmm.h"
#include "vcpu.h"
#include "run.h"
#include "genl.h"

static bool kvm_name;
module_param(kvm_name, bool, 0444);
MODULE_PARM_DESC(kvm_name,
		 "Register the device as /dev/kvm (minor 232), for programs with a fixed path; only when kvm.ko is not loaded");

static long vmm_dev_ioctl(struct file *f, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case VMM_GET_API_VERSION:
		return arg ? -EINVAL : VMM_API_VERSION;
	case VMM_CREATE_VM:
		return vmm_vm_create(arg);
	case VMM_CHECK_EXTENSION:
		return vmm_check_extension(arg);
	case VMM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : VMM_RUN_PAGES * PAGE_SIZE;
	case VMM_GET_SUPPORTED_CPUID:
		return vmm_supported_cpuid((void __user *)arg);
	case VMM_GET_MSR_INDEX_LIST:
		return vmm_msr_index_list((void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations vmm_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmm_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* sysfs, under /sys/class/misc/vmm/: the module's VMX state, read-only. */
static ssize_t vmx_cpus_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	cpumask_var_t mask;
	ssize_t n;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	vmm_vmx_cpumask(mask);
	n = sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(mask));
	free_cpumask_var(mask);
	return n;
}
static DEVICE_ATTR_RO(vmx_cpus);

static ssize_t vms_show(struct device *dev, struct device_attribute *a,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", vmm_vm_count());
}
static DEVICE_ATTR_RO(vms);

static ssize_t caps_show(struct device *dev, struct device_attribute *a,
			 char *buf)
{
	const struct vmm_caps *c = &vmm_caps;

	return sysfs_emit(buf,
			  "revision %#x\nvmcs_size %u\npin %#x\ncpu %#x\ncpu2 %#x\nexit %#x\nentry %#x\nept_vpid %#llx\nvpid %d\nept_2m %d\n",
			  c->revision_id, c->vmcs_size, c->pin_based,
			  c->cpu_based, c->cpu_based2, c->exit_ctls,
			  c->entry_ctls, c->ept_vpid, vmm_has_vpid(),
			  vmm_has_ept_2m());
}
static DEVICE_ATTR_RO(caps);

static struct attribute *vmm_attrs[] = {
	&dev_attr_vmx_cpus.attr,
	&dev_attr_vms.attr,
	&dev_attr_caps.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmm);

static struct miscdevice vmm_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmm",
	.fops = &vmm_dev_fops,
	.groups = vmm_groups,
	.mode = 0600,
};

static int __init vmm_init(void)
{
	int r;

	r = vmm_caps_probe();
	if (r)
		return r;
	r = vmm_vcpu_init_module();
	if (r)
		return r;
	r = vmm_vmx_init();
	if (r)
		goto out_vcpu;
	r = vmm_genl_init();
	if (r) {
		pr_err("cannot register the generic netlink family: %d\n", r);
		goto out_vmx;
	}
	if (kvm_name) {
		vmm_dev.name = "kvm";
		vmm_dev.minor = KVM_MINOR;
	}
	r = misc_register(&vmm_dev);
	if (r) {
		pr_err("cannot register /dev/%s: %d\n", vmm_dev.name, r);
		goto out_genl;
	}
	return 0;

out_genl:
	vmm_genl_exit();
out_vmx:
	vmm_vmx_exit();
out_vcpu:
	vmm_vcpu_exit_module();
	return r;
}

static void __exit vmm_exit(void)
{
	misc_deregister(&vmm_dev);
	vmm_genl_exit();
	vmm_vmx_exit();
	vmm_vcpu_exit_module();
}

module_init(vmm_init);
module_exit(vmm_exit);
MODULE_DESCRIPTION("vmm: a small hosted hypervisor for Intel VT-x");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMM_VERSION);
