#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "check": the whole selftest suite, kselftest style.  vmm.ko is
# loaded before /vmm/selftests/run_tests.sh runs and unloaded after it, so
# the unload path is exercised on every run; a failing insmod or rmmod
# fails the job.  On the debug kernel the job also checks that lockdep is
# still on and runs a kmemleak scan.  Then vmm is loaded again and left
# with a guest spinning on every CPU, so that the power-off that follows
# the job runs the module's reboot path under running vCPUs.  Until the
# selftests provide the runner, a minimal check (load, /dev/vmm, unload)
# stands in.

. /vmm/lib.sh

# The time-bounded stress loops run on the emulated host's clock, which
# with two emulated CPUs costs 10 to 20 s of wall time per second: the
# emulated host runs them for a fraction of what a real machine does
# (fuzz_test 40 s, hotplug.sh 20 s, 20 load/unload cycles), the same
# paths with fewer random draws; each run draws a new seed, so the runs
# add up.  jobs/debug.sh sets less for the debug kernel.
: "${VMM_FUZZ_SECONDS:=5}" "${VMM_HOTPLUG_SECS:=6}" "${VMM_ONOFF_CYCLES:=8}"
export VMM_FUZZ_SECONDS VMM_HOTPLUG_SECS VMM_ONOFF_CYCLES

if [ -x /vmm/selftests/run_tests.sh ]; then
	status=0
	start=$(cut -d' ' -f1 /proc/uptime)
	if ! vmm_load; then
		echo "# vmtest: insmod $VMM_KO failed"
		exit 1
	fi
	debug_checks_on "when the job started" || status=1
	(cd /vmm/selftests && ./run_tests.sh) || status=1
	# For the addresses in a kmemleak backtrace, once vmm is gone.
	[ ! -w /sys/kernel/debug/kmemleak ] || ! vmm_loaded ||
		echo "# vmm .text was at $(cat /sys/module/vmm/sections/.text)"
	if ! vmm_unload; then
		echo "# vmtest: rmmod vmm failed"
		status=1
	fi
	kmemleak_check "$start" | tee /tmp/.kmemleak
	! grep -q '^vmtest-error:' /tmp/.kmemleak || status=1
	debug_checks_on "at the end of the job" || status=1
	# The machine powers off after the job: with a guest spinning on
	# every CPU, the reboot notifier turns VMX off under running vCPUs
	# (run.sh reads the console until the emulator stops).
	if [ -x /vmm/selftests/spin_guests ]; then
		if vmm_load && /vmm/selftests/spin_guests; then
			echo "# vmtest: powering off with guests spinning on every CPU"
		else
			echo "# vmtest: could not leave guests spinning for the power-off"
			status=1
		fi
	fi
	exit $status
fi

tap_begin
tap_diag "no /vmm/selftests/run_tests.sh: minimal module check"
tap_run "insmod vmm.ko" vmm_load
if [ -c /dev/vmm ]; then
	tap_ok "/dev/vmm exists"
else
	tap_fail "/dev/vmm exists"
fi
tap_run "rmmod vmm" vmm_unload
tap_end
exit $?
