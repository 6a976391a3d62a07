#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Coexistence with kvm_intel: whoever holds VMX first keeps it, the other
# is refused cleanly with EBUSY, and both work again once it is released.
. "$(dirname "$0")/lib/tap.sh"

[ -e "$VMM_KO" ] || skip_all "no vmm.ko at $VMM_KO"
kvm_load || skip_all "kvm_intel not available"
vmm_load
# Since Linux 6.12, kvm_intel turns VMX on when it loads and keeps it
# until it is unloaded (kvm.enable_virt_at_load, on by default).
at_load=$(cat /sys/module/kvm/parameters/enable_virt_at_load 2>/dev/null || echo N)
if [ "$at_load" = Y ]; then
	plan 13
	"$BIN/vm_hold" -d /dev/vmm; r=$?
	check "kvm_intel holds VMX from its load (enable_virt_at_load): vmm refuses with EBUSY, no KVM VM needed (status $r)" [ $r -eq 2 ]
	check "no CPU left half-enabled" [ -z "$(vmx_cpus)" ]
	kvm_unload
	check "vmm works once kvm_intel is gone" "$BIN/vm_hold" -d /dev/vmm -r
	hold_vm /dev/vmm
	if kvm_load 2>/dev/null; then r=0; else r=1; fi
	check "kvm_intel cannot load while vmm holds VMX (load status $r)" [ $r -ne 0 ]
	release_vm
	# The rest with VMX on only while KVM has a VM, as before 6.12.
	kvm_unload
	kvm_load enable_virt_at_load=0 || { not_ok "kvm enable_virt_at_load=0"; finish; }
else
	plan 9
fi

# KVM first.
check "KVM VM created and run" hold_vm /dev/kvm
"$BIN/vm_hold" -d /dev/vmm; r=$?
check "vmm refuses with EBUSY while KVM holds VMX (status $r)" [ $r -eq 2 ]
check "no CPU left half-enabled" [ -z "$(vmx_cpus)" ]
release_vm
check "vmm works once KVM's VM is gone" "$BIN/vm_hold" -d /dev/vmm -r

# vmm first.
check "vmm VM created and run" hold_vm /dev/vmm
"$BIN/vm_hold" -d /dev/kvm; r=$?
check "KVM cannot create a VM while vmm holds VMX (status $r)" [ $r -ne 0 ]
release_vm
check "KVM works once vmm's VM is gone" "$BIN/vm_hold" -d /dev/kvm -r
kvm_unload

# An unmodified KVM program at the path /dev/kvm, served by vmm.
vmm_unload
vmm_load kvm_name=1
check "vmm registered as /dev/kvm with kvm_name=1" [ -c /dev/kvm ]
check "a KVM program runs a guest on vmm through /dev/kvm" \
	"$BIN/vm_hold" -d /dev/kvm -r
vmm_unload
finish
