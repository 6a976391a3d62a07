#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "irq_kvm": irq_test against Debian's kvm_intel (no in-kernel
# irqchip), to check the test's expectations against KVM itself.  The
# IF=0 spin is skipped: Bochs 2.7 takes no exit for a host interrupt
# while the guest has IF clear, and KVM has no timer of its own there.
. /vmm/lib.sh
cd /vmm/selftests || exit 1
if ! kvm_load; then
	echo "Bail out! kvm_intel does not load"
	exit 1
fi
IRQ_TEST_NO_CLI_SPIN=1 VMM_DEVICE=/dev/kvm ./irq_test
rc=$?
kvm_unload
exit $rc
