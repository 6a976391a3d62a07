#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "bench": the same KVM-API benchmark binary against vmm and against
# Debian's kvm_intel in one boot, then both side by side (ratio vmm/kvm;
# below 1 means vmm is faster).  Figures are emulated TSC ticks.
cd /vmm/selftests || exit 1
args=${VMM_BENCH_ARGS:--n 20000 -m 64 -r 2}
insmod /vmm/vmm.ko || exit 1
./vmm_bench -d /dev/vmm $args > /tmp/vmm.txt || exit 1
rmmod vmm || exit 1
for m in irqbypass kvm kvm-intel; do insmod /vmm/kvm/$m.ko || exit 1; done
./vmm_bench -d /dev/kvm $args > /tmp/kvm.txt || exit 1
for m in kvm_intel kvm irqbypass; do rmmod $m; done
cat /tmp/vmm.txt /tmp/kvm.txt
./vmm_bench -c /tmp/vmm.txt /tmp/kvm.txt
