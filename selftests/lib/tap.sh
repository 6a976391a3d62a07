# SPDX-License-Identifier: GPL-2.0
# TAP 13 helpers for the shell selftests (busybox sh compatible), and the
# paths they share.  Source it; call plan, then check/ok/not_ok/skip, then
# finish.

# In the emulated host the module is at /vmm/vmm.ko and Debian's KVM
# modules in /vmm/kvm; in a source tree the module is in ../kmod.
if [ -e /vmm/vmm.ko ]; then
	VMM_KO=${VMM_KO:-/vmm/vmm.ko}
	KVM_DIR=${KVM_DIR:-/vmm/kvm}
fi
VMM_KO=${VMM_KO:-$(dirname "$0")/../kmod/vmm.ko}
KVM_DIR=${KVM_DIR:-}		# where kvm*.ko live; empty: use modprobe
BIN=${BIN:-$(dirname "$0")}
SYS=/sys/class/misc/vmm

tap_n=0
tap_fail=0

plan() { echo "TAP version 13"; echo "1..$1"; }
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n $1 # SKIP $2"; }
note() { echo "# $*"; }
# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 4; }
finish() { [ "$tap_fail" -eq 0 ] && exit 0; exit 1; }

vmm_loaded() { [ -d /sys/module/vmm ]; }
vmm_load() { vmm_loaded || insmod "$VMM_KO" "$@"; }
vmm_unload() { ! vmm_loaded || rmmod vmm; }

# kvm_load [PARAM=VALUE...]: kvm_intel and what it needs; the parameters
# are kvm.ko's (taken when kvm is not loaded yet).
kvm_load() {
	if [ -n "$KVM_DIR" ]; then
		for m in irqbypass kvm kvm-intel; do
			[ -d "/sys/module/$(echo $m | tr - _)" ] && continue
			if [ $m = kvm ]; then
				insmod "$KVM_DIR/$m.ko" "$@" || return 1
			else
				insmod "$KVM_DIR/$m.ko" || return 1
			fi
		done
	else
		modprobe kvm "$@" && modprobe kvm_intel
	fi
}
kvm_unload() {
	for m in kvm_intel kvm irqbypass; do
		[ ! -d "/sys/module/$m" ] || rmmod $m || return 1
	done
}

# The CPUs vmm has in VMX operation, as a list ("0-1"), empty for none.
vmx_cpus() { cat $SYS/vmx_cpus; }
online_cpus() { cat /sys/devices/system/cpu/online; }

# hold_vm DEV: start vm_hold in the background holding a VM on DEV; sets
# hold_pid.  Fails if the VM could not be created.
hold_vm() {
	rm -f /tmp/vm_hold.ready
	"$BIN/vm_hold" -d "$1" -r -w /tmp/vm_hold.ready &
	hold_pid=$!
	i=0
	while [ ! -e /tmp/vm_hold.ready ] && [ $i -lt 600 ]; do
		kill -0 $hold_pid 2>/dev/null || { wait $hold_pid; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	[ -e /tmp/vm_hold.ready ]
}
release_vm() { kill $hold_pid && wait $hold_pid; }
