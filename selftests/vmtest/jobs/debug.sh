#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "debug": the "check" job on the debug kernel (run.sh --kernel
# debug; make check runs it), with the selftests that stress lifetimes,
# locking, races, host state and event injection unless --tests names
# others; vmm.ko is built with VMM_DEBUG=y there (run.sh), so
# memslot_race_test widens the slot-update window with its delay hook.  KASAN, lockdep,
# kmemleak... report in the kernel log, which the host judges.

if [ -z "${VMM_TESTS:-}" ]; then
	VMM_TESTS=lifecycle_test,smp_test,memslot_test,memslot_race_test,thp_split_test,host_state_test,signal_test,misuse_test,dirty_test,genl_test,irq_test,debug_test
	# The fuzzer, where the suite has it.
	[ ! -x /vmm/selftests/fuzz_test ] || VMM_TESTS=$VMM_TESTS,fuzz_test
	# vmx_onoff.sh leaves the module unloaded: last.
	VMM_TESTS=$VMM_TESTS,hotplug.sh,vmx_onoff.sh
	export VMM_TESTS
fi
exec /bin/sh /vmm/jobs/check.sh
