#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug while VMX is on: an offlined CPU leaves VMX operation, an
# onlined one enters it, and guests still run there.  Then CPU 1 goes
# offline and online again and again while vCPU threads migrate between
# the CPUs and VMs are created and destroyed (migrate_stress): the CPU
# going down clears the VMCSs loaded on it while other CPUs send it clear
# IPIs for the same list.  VMM_HOTPLUG_SECS: how long (default 20 s of
# this machine's clock; the debug-kernel job, where a CPU takes seconds of
# emulation to go down and up, uses less).
. "$(dirname "$0")/lib/tap.sh"

[ -e "$VMM_KO" ] || skip_all "no vmm.ko at $VMM_KO"
cpu1=/sys/devices/system/cpu/cpu1/online
[ -w $cpu1 ] || skip_all "needs a second, hot-pluggable CPU"
vmm_load
plan 8

check "VM held" hold_vm /dev/vmm
check "VMX on both CPUs" [ "$(vmx_cpus)" = "0-1" ]
echo 0 > $cpu1
check "CPU 1 offline: VMX on CPU 0 only (got '$(vmx_cpus)')" [ "$(vmx_cpus)" = "0" ]
echo 1 > $cpu1
check "CPU 1 back: VMX on both (got '$(vmx_cpus)')" [ "$(vmx_cpus)" = "0-1" ]
check "a guest runs on the re-onlined CPU" taskset -c 1 "$BIN/vm_hold" -r
release_vm
check "VMX off after the last VM" [ -z "$(vmx_cpus)" ]

"$BIN/migrate_stress" -t 3 -s "${VMM_HOTPLUG_SECS:-20}" > /tmp/migrate_stress.out 2>&1 &
stress=$!
toggles=0
while kill -0 $stress 2>/dev/null; do
	echo 0 > $cpu1 && echo 1 > $cpu1 && toggles=$((toggles + 1))
done
wait $stress
rc=$?
sed 's/^/# /' /tmp/migrate_stress.out
stress_ok() { [ $rc = 0 ] && [ $toggles -gt 0 ]; }
all_off() { [ -z "$(vmx_cpus)" ] && [ "$(cat $cpu1)" = 1 ]; }
check "vCPUs migrating and VMs churning while CPU 1 went offline and online $toggles times" stress_ok
check "VMX off after the last VM, CPU 1 online" all_off
vmm_unload
finish
