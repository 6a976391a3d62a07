#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug while VMX is on: an offlined CPU leaves VMX operation, an
# onlined one enters it, and guests still run there.
. "$(dirname "$0")/lib/tap.sh"

[ -e "$VMM_KO" ] || skip_all "no vmm.ko at $VMM_KO"
cpu1=/sys/devices/system/cpu/cpu1/online
[ -w $cpu1 ] || skip_all "needs a second, hot-pluggable CPU"
vmm_load
plan 6

check "VM held" hold_vm /dev/vmm
check "VMX on both CPUs" [ "$(vmx_cpus)" = "0-1" ]
echo 0 > $cpu1
check "CPU 1 offline: VMX on CPU 0 only (got '$(vmx_cpus)')" [ "$(vmx_cpus)" = "0" ]
echo 1 > $cpu1
check "CPU 1 back: VMX on both (got '$(vmx_cpus)')" [ "$(vmx_cpus)" = "0-1" ]
check "a guest runs on the re-onlined CPU" taskset -c 1 "$BIN/vm_hold" -r
release_vm
check "VMX off after the last VM" [ -z "$(vmx_cpus)" ]
vmm_unload
finish
