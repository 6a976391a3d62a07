// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capabilities and VMX root operation.
 *
 * Policy: VMX is turned on, on every online CPU, when the first VM is
 * created and turned off when the last one is destroyed.  While no vmm VM
 * exists the CPUs are left alone, so another hypervisor (kvm_intel) can use
 * VMX.  A CPU whose CR4.VMXE is already set belongs to someone else: we fail
 * with -EBUSY and leave every CPU as we found it.  CPU hotplug, reboot,
 * crash and module unload all end with VMX off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>

#include "vmm.h"
#include "vmx_ops.h"
#include "vcpu.h"

struct vmm_caps vmm_caps __read_mostly;
bool vmm_rebooting;

/* VMX_BASIC (SDM Vol. 3D A.1): the fields we use. */
#define BASIC_REVISION_MASK	GENMASK_ULL(30, 0)
#define BASIC_SIZE_SHIFT	32
#define BASIC_SIZE_MASK		GENMASK_ULL(44, 32)
#define BASIC_32BIT_ADDR	BIT_ULL(48)
#define BASIC_MEMTYPE_SHIFT	50
#define BASIC_MEMTYPE_MASK	GENMASK_ULL(53, 50)
#define BASIC_MEMTYPE_WB	6
#define BASIC_TRUE_CTLS		BIT_ULL(55)

/* VMX_MISC (SDM Vol. 3D A.6): the TSC bit the preemption timer follows. */
#define MISC_PT_RATE_MASK	GENMASK_ULL(4, 0)

static DEFINE_PER_CPU(void *, vmxon_region);
static DEFINE_PER_CPU(bool, vmx_on);
/* Serialises get/put and the emergency-callback state below. */
static DEFINE_MUTEX(vmx_lock);
static unsigned int vmx_users;		/* VMs alive */
static int hp_state = -1;
static bool own_emergency_cb;		/* we hold the kernel's slot */
static int kvm_vendor = -1;		/* kvm_intel: -1 unknown, 0 gone, 1 there */

void vmm_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_err_ratelimited("vmwrite %#lx value %#lx failed: error %u\n",
			   field, value, vmcs_read32(VM_INSTRUCTION_ERROR));
}

void vmm_insn_error(const char *insn, u64 arg)
{
	pr_err_ratelimited("%s %#llx failed\n", insn, arg);
}

void vmm_insn_fault(const char *insn)
{
	/* Expected only once the reboot path has turned VMX off. */
	if (!READ_ONCE(vmm_rebooting))
		pr_err_ratelimited("%s faulted: VMX is off on CPU %d\n",
				   insn, raw_smp_processor_id());
}

/*
 * Combine the bits we require and the bits we would like with what the
 * capability MSR allows: its low word holds bits that must be 1, its high
 * word bits that may be 1 (SDM Vol. 3D A.3).
 */
static int adjust_ctls(u32 required, u32 optional, u32 msr, u32 *out,
		       const char *what)
{
	u32 lo, hi, ctl;

	rdmsr(msr, lo, hi);
	ctl = ((required | optional) & hi) | lo;
	if (required & ~ctl) {
		pr_err("CPU lacks required %s controls %#x\n", what,
		       required & ~ctl);
		return -EOPNOTSUPP;
	}
	*out = ctl;
	return 0;
}

/*
 * CPUs whose VMX-preemption timer does not count at the rate that
 * IA32_VMX_MISC reports (Intel errata AAJ124, AAK139, AAM126, AAN92,
 * AAO95, AAP86, AAT59, AAU65, AAX65, BA86, and the Xeon E3-1220 V2), by
 * CPUID.1:EAX with the reserved bits cleared.  They get no guest time.
 */
static const u32 pt_broken_signatures[] = {
	0x000106a0, 0x000106a1, 0x000106a4, 0x000106a5, 0x000106e5,
	0x00020652, 0x00020655, 0x000206e6, 0x000306a8,
};

static bool pt_usable(void)
{
	u32 sig = cpuid_eax(1) & ~(0x3U << 14 | 0xfU << 28);
	int i;

	for (i = 0; i < ARRAY_SIZE(pt_broken_signatures); i++)
		if (sig == pt_broken_signatures[i])
			return false;
	return true;
}

static int check_feature_control(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		return -ENODEV;
	/*
	 * The kernel's early CPU setup locks IA32_FEATURE_CONTROL with VMX
	 * enabled when firmware left it unlocked; anything else is the
	 * firmware's choice and we respect it.
	 */
	if (!(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX disabled by IA32_FEATURE_CONTROL (%#llx); enable it in the firmware\n",
		       fc);
		return -ENODEV;
	}
	return 0;
}

int vmm_caps_probe(void)
{
	struct vmm_caps *c = &vmm_caps;
	bool true_ctls;
	int r;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("CPU has no VMX (CPUID.1:ECX.VMX = 0)\n");
		return -ENODEV;
	}
	r = check_feature_control();
	if (r)
		return r;

	rdmsrl(MSR_IA32_VMX_BASIC, c->basic);
	c->revision_id = c->basic & BASIC_REVISION_MASK;
	c->vmcs_size = (c->basic & BASIC_SIZE_MASK) >> BASIC_SIZE_SHIFT;
	if (c->vmcs_size > PAGE_SIZE || (c->basic & BASIC_32BIT_ADDR) ||
	    ((c->basic & BASIC_MEMTYPE_MASK) >> BASIC_MEMTYPE_SHIFT) !=
	    BASIC_MEMTYPE_WB) {
		pr_err("unsupported VMX_BASIC %#llx\n", c->basic);
		return -EOPNOTSUPP;
	}
	true_ctls = c->basic & BASIC_TRUE_CTLS;

	/*
	 * Pin-based: host interrupts and NMIs always leave the guest.
	 * Interrupts are not acknowledged on exit; they stay pending and are
	 * taken by the host as soon as it enables interrupts again.  The
	 * guest's own NMIs are virtual: the CPU tracks their blocking.
	 */
	r = adjust_ctls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			PIN_BASED_VIRTUAL_NMIS,
			PIN_BASED_VMX_PREEMPTION_TIMER,
			true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				    MSR_IA32_VMX_PINBASED_CTLS,
			&c->pin_based, "pin-based");
	if (r)
		return r;

	/*
	 * Primary processor-based: exit on HLT, on every port access, on
	 * MOV DR, MWAIT/MONITOR and RDPMC (the guest never reaches host
	 * counters), and on CR8 accesses, which would otherwise reach the
	 * host's TPR (no TPR shadow is used).  CR3 exiting is not wanted
	 * with EPT; the TRUE MSRs let us clear it.
	 */
	r = adjust_ctls(CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
			CPU_BASED_MOV_DR_EXITING | CPU_BASED_MWAIT_EXITING |
			CPU_BASED_MONITOR_EXITING | CPU_BASED_RDPMC_EXITING |
			CPU_BASED_CR8_LOAD_EXITING |
			CPU_BASED_CR8_STORE_EXITING |
			CPU_BASED_USE_TSC_OFFSETTING |
			CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
			CPU_BASED_INTR_WINDOW_EXITING |
			CPU_BASED_NMI_WINDOW_EXITING,
			CPU_BASED_USE_MSR_BITMAPS,
			true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				    MSR_IA32_VMX_PROCBASED_CTLS,
			&c->cpu_based, "processor-based");
	if (r)
		return r;
	/* The windows must exist; they are opened per vCPU (event.c). */
	c->cpu_based &= ~(CPU_BASED_INTR_WINDOW_EXITING |
			  CPU_BASED_NMI_WINDOW_EXITING);
	if (c->cpu_based & (CPU_BASED_CR3_LOAD_EXITING |
			    CPU_BASED_CR3_STORE_EXITING)) {
		/* Harmless but slow: handled as a plain CR access exit. */
		pr_info("CPU forces CR3 exiting\n");
	}

	r = adjust_ctls(SECONDARY_EXEC_ENABLE_EPT |
			SECONDARY_EXEC_UNRESTRICTED_GUEST |
			SECONDARY_EXEC_WBINVD_EXITING,
			SECONDARY_EXEC_ENABLE_VPID,
			MSR_IA32_VMX_PROCBASED_CTLS2, &c->cpu_based2,
			"secondary");
	if (r)
		return r;

	/*
	 * Exit/entry: a 64-bit host; EFER and PAT switched by the CPU;
	 * debug controls saved and loaded (the guest's DR7 lives in the VMCS).
	 */
	r = adjust_ctls(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
			VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
			VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_DEBUG_CONTROLS,
			VM_EXIT_SAVE_VMX_PREEMPTION_TIMER,
			true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				    MSR_IA32_VMX_EXIT_CTLS,
			&c->exit_ctls, "VM-exit");
	if (r)
		return r;
	r = adjust_ctls(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
			VM_ENTRY_LOAD_DEBUG_CONTROLS, 0,
			true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				    MSR_IA32_VMX_ENTRY_CTLS,
			&c->entry_ctls, "VM-entry");
	if (r)
		return r;
	/* IA-32e mode guest is set per entry from the guest's EFER.LMA. */
	c->entry_ctls &= ~VM_ENTRY_IA32E_MODE;

	rdmsrl(MSR_IA32_VMX_MISC, c->misc);
	/*
	 * The VMX-preemption timer, with the exit control that saves its
	 * value (SDM Vol. 3C 25.5.1, 26.5.1), ends a guest's stretch after a
	 * tick of guest time, whatever the guest does: external-interrupt
	 * exiting alone should do that, but some implementations (Bochs)
	 * deliver no exit for a host interrupt while the guest runs with IF
	 * clear.  The statistics take the guest's time from it.  Only where
	 * it exists and counts right.
	 */
	c->pt_rate = c->misc & MISC_PT_RATE_MASK;
	/* Without a known TSC rate, the longest stretch the timer allows. */
	c->pt_period = tsc_khz ? clamp_t(u64, div_u64((u64)tsc_khz * 1000, HZ) >>
					 c->pt_rate, 1, U32_MAX) : U32_MAX;
	if (!(c->pin_based & PIN_BASED_VMX_PREEMPTION_TIMER) ||
	    !(c->exit_ctls & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) || !pt_usable()) {
		c->pin_based &= ~PIN_BASED_VMX_PREEMPTION_TIMER;
		c->exit_ctls &= ~VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	}
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, c->ept_vpid);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);

	if (!(c->ept_vpid & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(c->ept_vpid & VMX_EPTP_WB_BIT) ||
	    !(c->ept_vpid & VMX_EPT_INVEPT_BIT) ||
	    !(c->ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT |
			     VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("EPT lacks 4-level walks, WB tables or INVEPT (%#llx)\n",
		       c->ept_vpid);
		return -EOPNOTSUPP;
	}
	/*
	 * VPID is only worth it with a way to flush one VPID's entries:
	 * single-context INVVPID, the type every flush here uses.
	 */
	if (!(c->ept_vpid & (VMX_VPID_INVVPID_BIT << 32)) ||
	    !(c->ept_vpid & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT << 32)))
		c->cpu_based2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	pr_info("VMX revision %#x, EPT%s%s, VPID %s, guest time %s\n",
		c->revision_id, vmm_has_ept_2m() ? " 2M" : "",
		(c->ept_vpid & VMX_EPT_AD_BIT) ? " A/D" : "",
		vmm_has_vpid() ? "on" : "off",
		vmm_has_guest_time() ? "on" : "off");
	return 0;
}

/* Flush every EPT-derived translation on this CPU. */
static void ept_flush_all(void)
{
	if (vmm_caps.ept_vpid & VMX_EPT_EXTENT_GLOBAL_BIT)
		__invept(VMX_EPT_EXTENT_GLOBAL, 0, 0);
}

/* Runs on the CPU in question, with preemption disabled. */
static int vmx_cpu_on(void)
{
	int cpu = smp_processor_id();
	u64 pa = __pa(per_cpu(vmxon_region, cpu));
	int r;

	if (per_cpu(vmx_on, cpu))
		return 0;
	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;	/* another hypervisor is in VMX operation */
	/*
	 * VMXON requires CR0 and CR4 to respect the fixed-bit MSRs (SDM Vol.
	 * 3C 24.8); a running 64-bit kernel satisfies CR0, and CR4.VMXE is
	 * the only CR4 bit we change.
	 */
	if ((read_cr0() & vmm_caps.cr0_fixed0) != vmm_caps.cr0_fixed0 ||
	    ((cr4_read_shadow() | X86_CR4_VMXE) & vmm_caps.cr4_fixed0) !=
	    vmm_caps.cr4_fixed0)
		return -EOPNOTSUPP;

	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	r = __vmxon(pa);
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
		return r;
	}
	ept_flush_all();
	per_cpu(vmx_on, cpu) = true;
	return 0;
}

static void vmx_cpu_off(void)
{
	int cpu = smp_processor_id();

	if (!per_cpu(vmx_on, cpu))
		return;
	vmm_vcpu_clear_local();
	vmm_shared_msrs_drop();
	__vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
	per_cpu(vmx_on, cpu) = false;
}

static void vmx_cpu_on_ipi(void *arg)
{
	atomic_t *failed = arg;
	int r = vmx_cpu_on();

	if (r)
		atomic_cmpxchg(failed, 0, r);
}

static void vmx_cpu_off_ipi(void *arg)
{
	vmx_cpu_off();
}

/*
 * Crash and emergency reboot: called on each CPU with interrupts off, at a
 * time when nothing else will run.  VMCLEAR what is loaded so memory holds
 * the VMCS contents, then leave VMX operation so INIT works again.
 */
static void vmx_emergency_off(void)
{
	WRITE_ONCE(vmm_rebooting, true);
	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	vmm_vcpu_clear_local();
	__vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
}

/*
 * The kernel has a single slot for the emergency callback, and kvm_intel
 * takes it once it is loading (its init on 6.1; on 6.12 when it turns
 * VMX on: at its load, or at its first VM with enable_virt_at_load=0);
 * KVM's callback turns VMX off on any CPU that has CR4.VMXE set, which
 * covers us as well.  So we take the slot with our first VM unless
 * kvm_intel is there, and keep it until the module goes: giving it back
 * waits for an RCU grace period, and in the emulated 2-CPU host running
 * Debian's 6.12 one took seconds, on every close of the last VM.
 * vmx_module_event() gives the slot to a kvm_intel that is coming and
 * takes it back when it goes.
 */
static void emergency_cb_register(void)
{
	lockdep_assert_held(&vmx_lock);
	if (own_emergency_cb || kvm_vendor > 0)
		return;
	/*
	 * No kvm_intel event seen since we loaded: a KVM core already here
	 * means kvm_intel may be too (with 6.12's enable_virt_at_load=0 it
	 * takes the slot at its first VM, which would then WARN).
	 */
	if (kvm_vendor < 0 && __symbol_get("kvm_rebooting")) {
		__symbol_put("kvm_rebooting");
		return;
	}
	cpu_emergency_register_virt_callback(vmx_emergency_off);
	own_emergency_cb = true;
}

static void emergency_cb_unregister(void)
{
	lockdep_assert_held(&vmx_lock);
	if (!own_emergency_cb)
		return;
	cpu_emergency_unregister_virt_callback(vmx_emergency_off);
	own_emergency_cb = false;
}

/*
 * kvm_intel coming: give the slot back before its init can take it (a
 * second taker WARNs).  Going (unloaded, or its load failed, for
 * instance because we hold VMX): it has given the slot back, so take it
 * again if VMs of ours need it.  GOING only follows a COMING, and while
 * kvm_intel is COMING the KVM core is live.
 */
static int vmx_module_event(struct notifier_block *nb, unsigned long state,
			    void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm_intel"))
		return NOTIFY_DONE;
	mutex_lock(&vmx_lock);
	switch (state) {
	case MODULE_STATE_COMING:
		kvm_vendor = 1;
		emergency_cb_unregister();
		break;
	case MODULE_STATE_GOING:
		kvm_vendor = 0;
		if (vmx_users)
			emergency_cb_register();
		break;
	}
	mutex_unlock(&vmx_lock);
	return NOTIFY_OK;
}

static struct notifier_block vmx_module_nb = {
	.notifier_call = vmx_module_event,
};

/* Take a reference on VMX root operation: on for the first VM. */
int vmm_vmx_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	cpus_read_lock();
	mutex_lock(&vmx_lock);
	if (READ_ONCE(vmm_rebooting)) {
		r = -EIO;
		goto out;
	}
	if (vmx_users++)
		goto out;
	on_each_cpu(vmx_cpu_on_ipi, &failed, 1);
	r = atomic_read(&failed);
	if (r) {
		on_each_cpu(vmx_cpu_off_ipi, NULL, 1);
		vmx_users = 0;
		if (r == -EBUSY)
			pr_warn_ratelimited("VMX is in use by another hypervisor\n");
		goto out;
	}
	emergency_cb_register();
out:
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
	return r;
}

/* Drop a reference: off after the last VM. */
void vmm_vmx_put(void)
{
	cpus_read_lock();
	mutex_lock(&vmx_lock);
	if (!WARN_ON_ONCE(!vmx_users) && !--vmx_users)
		on_each_cpu(vmx_cpu_off_ipi, NULL, 1);
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
}

unsigned int vmm_vmx_users(void)
{
	return READ_ONCE(vmx_users);
}

void vmm_vmx_cpumask(struct cpumask *mask)
{
	int cpu;

	cpumask_clear(mask);
	for_each_online_cpu(cpu)
		if (READ_ONCE(per_cpu(vmx_on, cpu)))
			cpumask_set_cpu(cpu, mask);
}

/*
 * Hotplug callbacks run on the CPU coming up or going down, with the
 * hotplug lock held for writing: vmm_vmx_get/put hold it for reading, so
 * vmx_users cannot change under us.
 */
static int vmx_cpu_online(unsigned int cpu)
{
	int r = 0;

	if (vmx_users && !READ_ONCE(vmm_rebooting)) {
		preempt_disable();
		r = vmx_cpu_on();
		preempt_enable();
		if (r)
			pr_err("CPU %u: VMXON failed (%d)\n", cpu, r);
	}
	return r;
}

static int vmx_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	vmx_cpu_off();
	preempt_enable();
	return 0;
}

static int vmx_reboot(struct notifier_block *nb, unsigned long code,
		      void *unused)
{
	WRITE_ONCE(vmm_rebooting, true);
	on_each_cpu(vmx_cpu_off_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

static void free_vmxon_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

int vmm_vmx_init(void)
{
	int cpu, r;

	for_each_possible_cpu(cpu) {
		u32 *region = (u32 *)get_zeroed_page(GFP_KERNEL);

		if (!region) {
			r = -ENOMEM;
			goto out_free;
		}
		/* SDM Vol. 3C 24.11.5: the region starts with the revision. */
		region[0] = vmm_caps.revision_id;
		per_cpu(vmxon_region, cpu) = region;
	}

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "vmm:online",
			      vmx_cpu_online, vmx_cpu_offline);
	if (r < 0)
		goto out_free;
	hp_state = r;

	r = register_reboot_notifier(&vmx_reboot_nb);
	if (r)
		goto out_hp;
	r = register_module_notifier(&vmx_module_nb);
	if (r)
		goto out_reboot;
	return 0;

out_reboot:
	unregister_reboot_notifier(&vmx_reboot_nb);
out_hp:
	cpuhp_remove_state(hp_state);
out_free:
	free_vmxon_regions();
	return r;
}

void vmm_vmx_exit(void)
{
	/* Every VM holds a module reference, so none exists here. */
	WARN_ON(vmx_users);
	unregister_module_notifier(&vmx_module_nb);
	mutex_lock(&vmx_lock);
	emergency_cb_unregister();
	mutex_unlock(&vmx_lock);
	unregister_reboot_notifier(&vmx_reboot_nb);
	cpuhp_remove_state(hp_state);
	free_vmxon_regions();
}
