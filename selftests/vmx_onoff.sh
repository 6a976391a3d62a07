#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VMX is on while a VM exists and off otherwise; the module loads and
# unloads 20 times in a row leaving every CPU out of VMX operation
# (VMM_ONOFF_CYCLES=N: N times; the debug-kernel job, where a load and an
# unload take tens of seconds of emulation, does a few).
. "$(dirname "$0")/lib/tap.sh"

[ -e "$VMM_KO" ] || skip_all "no vmm.ko at $VMM_KO"
vmm_unload
plan 6

cycles=${VMM_ONOFF_CYCLES:-20} bad=""
for i in $(seq $cycles); do
	vmm_load || { bad="$bad load$i"; break; }
	[ -z "$(vmx_cpus)" ] || bad="$bad idle$i"
	hold_vm /dev/vmm || bad="$bad vm$i"
	[ "$(vmx_cpus)" = "$(online_cpus)" ] || bad="$bad on$i"
	release_vm
	[ -z "$(vmx_cpus)" ] || bad="$bad off$i"
	vmm_unload || bad="$bad unload$i"
done
[ -z "$bad" ] || note "failures:$bad"
check "$cycles load/VM/unload cycles, VMX on only while a VM exists" [ -z "$bad" ]

# Several VMs share one VMX enable; off only after the last.
vmm_load
hold_vm /dev/vmm; p1=$hold_pid
hold_vm /dev/vmm; p2=$hold_pid
check "two VMs, VMX on" [ "$(vmx_cpus)" = "$(online_cpus)" ]
kill $p1; wait $p1
check "one VM closed, VMX still on" [ "$(vmx_cpus)" = "$(online_cpus)" ]
kill $p2; wait $p2
check "last VM closed, VMX off" [ -z "$(vmx_cpus)" ]
check "VM count back to 0" [ "$(cat $SYS/vms)" = 0 ]
vmm_unload

# After the last unload VMX really is off on every CPU: KVM, which refuses
# a CPU with CR4.VMXE set, can use all of them.
if kvm_load; then
	check "KVM runs a guest after vmm unloaded" "$BIN/vm_hold" -d /dev/kvm -r
	kvm_unload
else
	skip "KVM runs a guest after vmm unloaded" "kvm_intel not available"
fi
finish
