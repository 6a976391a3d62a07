# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the jobs of the emulated VT-x host (busybox sh), installed
# as /vmm/lib.sh.  A job sources this file, prints TAP 13 through
# tap_begin/tap_run/tap_ok/tap_skip and ends with "tap_end; exit $?".
# See Documentation/testing.rst.

VMM_KO=/vmm/vmm.ko
KVM_DIR=/vmm/kvm

tap_n=0
tap_failed=0
tap_rcfile=/tmp/.tap-rc

tap_begin()
{
	echo "TAP version 13"
}

# tap_result OK|"NOT OK" DESCRIPTION [DIRECTIVE]
tap_result()
{
	tap_n=$((tap_n + 1))
	if [ "$1" = ok ]; then
		echo "ok $tap_n $2${3:+ # $3}"
	else
		echo "not ok $tap_n $2${3:+ # $3}"
		tap_failed=1
	fi
}

tap_ok()   { tap_result ok "$1"; }
tap_fail() { tap_result "not ok" "$1"; }

# tap_skip DESCRIPTION REASON
tap_skip() { tap_result ok "$1" "SKIP $2"; }

# tap_diag TEXT...: a TAP comment line.
tap_diag() { echo "# $*"; }

# tap_run DESCRIPTION COMMAND [ARG...]: run COMMAND, its output shown as
# TAP comments while it runs, and report ok/not ok on its exit status.
tap_run()
{
	_desc=$1
	shift
	{ "$@" 2>&1; echo $? > "$tap_rcfile"; } | sed 's/^/# /'
	if [ "$(cat "$tap_rcfile")" = 0 ]; then
		tap_ok "$_desc"
	else
		tap_diag "exit status $(cat "$tap_rcfile")"
		tap_fail "$_desc"
	fi
}

# tap_end: the plan (TAP allows it last) and the job's exit status.
tap_end()
{
	echo "1..$tap_n"
	return $tap_failed
}

# Module helpers.  Each prints what went wrong and returns non-zero.
vmm_loaded() { [ -d /sys/module/vmm ]; }

vmm_load()
{
	vmm_loaded || insmod "$VMM_KO" "$@"
}

vmm_unload()
{
	! vmm_loaded || rmmod vmm
}

# run_guest STATUS ARGS...: `vmmctl run ARGS`, the guest's console and
# vmmctl's closing line shown; fails unless vmmctl exits with STATUS.
# $VMMCTL is the command (default vmmctl), e.g. one that runs it as
# another user.
run_guest()
{
	_want=$1
	shift
	echo "\$ vmmctl run $*"
	${VMMCTL:-vmmctl} run --timeout 120 "$@"
	_st=$?
	echo "exit status $_st (expected $_want)"
	[ "$_st" = "$_want" ]
}

# Debian's own KVM, the side-by-side baseline: irqbypass, kvm, kvm-intel.
kvm_load()
{
	for m in irqbypass kvm kvm-intel; do
		[ -d "/sys/module/$(echo $m | tr - _)" ] && continue
		insmod "$KVM_DIR/$m.ko" || return 1
	done
}

kvm_unload()
{
	for m in kvm_intel kvm irqbypass; do
		[ -d "/sys/module/$m" ] || continue
		rmmod "$m" || return 1
	done
}

# vmtest_error TEXT: a failure the host's verdict counts although it is
# no TAP result (a check around the tests rather than a test).
vmtest_error() { echo "vmtest-error: $*"; }

# The debug kernel's checkers (selftests/vmtest/debug-kernel.config);
# both do nothing on a kernel without them.
#
# debug_checks_on: lockdep stops at its first report; a report at boot
# (which the host sees in the console log) leaves the job unchecked.
debug_checks_on()
{
	[ -r /proc/lockdep_stats ] || return 0
	if grep -q 'debug_locks: *0$' /proc/lockdep_stats; then
		vmtest_error "lockdep is off (debug_locks 0) $1"
		return 1
	fi
}

# kmemleak_check START: a kmemleak scan after the module is gone, when
# whatever it allocated and lost is unreferenced.  START is the uptime
# (seconds) when the job began: only objects younger than the job count,
# older ones leaked at boot and are not ours.  A scan costs minutes of
# emulation on the debug kernel, so there is one, at the end; kmemleak
# skips objects younger than 5 s, hence the wait.  The job's leaks are
# printed and reported with vmtest_error.
kmemleak_check()
{
	_kml=/sys/kernel/debug/kmemleak
	[ -w $_kml ] || return 0
	# The wait and the scan use one CPU: with the second one offline,
	# Bochs skips the idle time it would otherwise emulate (the scan
	# took minutes of wall time on two CPUs).
	_cpu1=/sys/devices/system/cpu/cpu1/online
	_off=
	if [ -w $_cpu1 ] && [ "$(cat $_cpu1)" = 1 ] && echo 0 > $_cpu1; then
		_off=1
	fi
	sleep 6
	_t0=$(cut -d' ' -f1 /proc/uptime)
	if ! echo scan > $_kml; then
		echo "# kmemleak is off"
		[ -z "$_off" ] || echo 1 > $_cpu1
		return 0
	fi
	_t1=$(cut -d' ' -f1 /proc/uptime)
	[ -z "$_off" ] || echo 1 > $_cpu1 ||
		echo "vmtest-error: CPU 1 did not come back online after the kmemleak scan"
	# Ages are as of reading the report, i.e. now.
	awk -v start="$1" -v now="$(cut -d' ' -f1 /proc/uptime)" \
		-v took="$_t0 $_t1" '
	function flush() {
		if (rec == "") return
		if (age < now - start) { ours++; printf "%s", rec }
		else old++
		rec = ""
	}
	/^unreferenced object/ { flush() }
	/\(age [0-9.]+s\)/ {
		age = $0; sub(/.*\(age /, "", age); sub(/s\).*/, "", age)
		age += 0
	}
	{ rec = rec "#   " $0 "\n" }
	END {
		flush()
		split(took, t, " ")
		printf "# kmemleak: scan took %.1f s (guest time), %d leak(s) from the job, %d older (boot)\n", t[2] - t[1], ours, old
		if (ours) printf "vmtest-error: kmemleak: %d object(s) allocated during the job leaked\n", ours
	}' $_kml
}
