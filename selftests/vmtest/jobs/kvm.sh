#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "kvm": Debian's own KVM in the emulated host, the baseline the
# project compares with.  Loads irqbypass, kvm and kvm-intel in that
# order, checks /dev/kvm and unloads them again.

. /vmm/lib.sh

cpu_features()
{
	for f in vmx ept vpid ept_ad unrestricted_guest flexpriority; do
		grep -q -w $f /proc/cpuinfo && printf '%s ' $f
	done
	echo
	grep -q -w vmx /proc/cpuinfo
}

tap_begin
tap_run "vmx in /proc/cpuinfo" cpu_features
tap_run "insmod irqbypass kvm kvm-intel" kvm_load
if [ -c /dev/kvm ]; then
	tap_ok "/dev/kvm exists"
else
	tap_fail "/dev/kvm exists"
fi
tap_run "rmmod kvm-intel kvm irqbypass" kvm_unload
tap_end
exit $?
