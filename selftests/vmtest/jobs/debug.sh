#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "debug": the "check" job on the debug kernel (run.sh --kernel
# debug; make check runs it), with the selftests that stress lifetimes,
# locking, races, host state and event injection unless --tests names
# others; vmm.ko is built with VMM_DEBUG=y there (run.sh), so
# memslot_race_test widens the slot-update window with its delay hook.  KASAN, lockdep,
# kmemleak... report in the kernel log, which the host judges.
#
# Every test runs, but the loops that only repeat a path run fewer times
# than in the "check" job: on this kernel each iteration costs many times
# the emulation (KASAN, lockdep, kmemleak), and the checkers catch a
# lifetime or locking bug on the first pass through a path.  The counts,
# unless the environment sets them:
#   VMM_ONOFF_CYCLES  vmx_onoff.sh load/VM/unload cycles (8 in "check")
#   VMM_HOTPLUG_SECS  hotplug.sh CPU 1 off/on under migrate_stress (6 s)
#   VMM_FUZZ_SECONDS  fuzz_test's run (5 s)
#   VMM_IRQ_STREAM    irq_test's injection streams (2000, 1000, 300, and
#                     1000 under a 1 ms timer): 224 is every vector once
#   VMM_LIFECYCLE_VMS lifecycle_test's VMs for the MemFree check (16)
#   VMM_MEMSLOT_ROUNDS memslot_race_test's rounds (24; 12 covers each
#                     delete/move x drop/replace x window once)
#   VMM_GENL_VMS      genl_test's VMs for the multi-message dumps (100; 40
#                     still need two messages)
#   VMM_GENL_RACE_MS  genl_test's dumps racing VM churn (2000 ms)
: "${VMM_ONOFF_CYCLES:=2}" "${VMM_HOTPLUG_SECS:=3}" "${VMM_FUZZ_SECONDS:=2}"
: "${VMM_IRQ_STREAM:=224}" "${VMM_LIFECYCLE_VMS:=6}" "${VMM_MEMSLOT_ROUNDS:=12}"
: "${VMM_GENL_VMS:=40}" "${VMM_GENL_RACE_MS:=1000}"
export VMM_ONOFF_CYCLES VMM_HOTPLUG_SECS VMM_FUZZ_SECONDS VMM_IRQ_STREAM \
	VMM_LIFECYCLE_VMS VMM_MEMSLOT_ROUNDS VMM_GENL_VMS VMM_GENL_RACE_MS

if [ -z "${VMM_TESTS:-}" ]; then
	VMM_TESTS=lifecycle_test,smp_test,memslot_test,memslot_race_test,thp_split_test,prefault_test,host_state_test,signal_test,misuse_test,dirty_test,genl_test,irq_test,debug_test
	# The fuzzer, where the suite has it.
	[ ! -x /vmm/selftests/fuzz_test ] || VMM_TESTS=$VMM_TESTS,fuzz_test
	# vmx_onoff.sh leaves the module unloaded: last.
	VMM_TESTS=$VMM_TESTS,hotplug.sh,vmx_onoff.sh
	export VMM_TESTS
fi
exec /bin/sh /vmm/jobs/check.sh
