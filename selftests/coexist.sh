#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Coexistence with kvm_intel: whoever holds VMX first keeps it, the other
# is refused cleanly with EBUSY, and both work again once it is released.
. "$(dirname "$0")/lib/tap.sh"

[ -e "$VMM_KO" ] || skip_all "no vmm.ko at $VMM_KO"
kvm_load || skip_all "kvm_intel not available"
vmm_load
plan 9

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
