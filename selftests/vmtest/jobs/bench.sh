#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "bench": the same KVM-API benchmark binary against vmm and against
# Debian's kvm_intel in one boot, then both side by side (ratio vmm/kvm;
# below 1 means vmm is faster).  Figures are emulated TSC ticks.  The two
# TAP lines only say whether each run completed; the figures are comments.
cd /vmm/selftests || exit 1
args=${VMM_BENCH_ARGS:--n 20000 -m 64 -r 2}
echo "TAP version 13"
echo "1..2"
if insmod /vmm/vmm.ko && ./vmm_bench -d /dev/vmm $args > /tmp/vmm.txt &&
   rmmod vmm; then
	echo "ok 1 vmm_bench on /dev/vmm"
else
	echo "not ok 1 vmm_bench on /dev/vmm"
fi
ok=1
for m in irqbypass kvm kvm-intel; do insmod /vmm/kvm/$m.ko || ok=0; done
if [ $ok = 1 ] && ./vmm_bench -d /dev/kvm $args > /tmp/kvm.txt; then
	echo "ok 2 vmm_bench on /dev/kvm"
else
	echo "not ok 2 vmm_bench on /dev/kvm"
fi
for m in kvm_intel kvm irqbypass; do rmmod $m 2>/dev/null; done
{
	cat /tmp/vmm.txt /tmp/kvm.txt
	./vmm_bench -c /tmp/vmm.txt /tmp/kvm.txt
} 2>&1 | sed 's/^/# /'
