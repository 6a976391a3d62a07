#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "qemu": Debian's unmodified QEMU (qemu-system-x86_64 7.2) boots a
# Linux guest on vmm, then the same command on Debian's kvm_intel (the
# baseline).  vmm is loaded with kvm_name=1, so it is /dev/kvm and QEMU
# uses it as it would use KVM; the in-kernel irqchip is off (QEMU's own
# PIC, IOAPIC, local APIC and PIT, KVM's "userspace irqchip" protocol).
# The guest is the emulated host's own kernel with a busybox initramfs
# (selftests/vmtest/qemu-guest-init) that prints a marker with a nonce
# and powers off.  A run passes when QEMU exits with status 0 within the
# time limit and the guest's serial console holds the marker.  Times are
# the emulated host's clock.  run.sh stages QEMU, its libraries, its
# firmware and the guest in /vmm/qemu for this job only.
#
# When the vmm run fails, it is repeated under strace (ioctls only) and
# the capabilities QEMU found missing, the failed ioctls and the last
# ioctls are shown: what vmm lacks for QEMU.

. /vmm/lib.sh

Q=/vmm/qemu
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
# vmtest.qemu_cpu=MODEL on the kernel command line (VMTEST_CMDLINE): the
# -cpu of both runs, to compare the hypervisors with other CPU models.
QEMU_CPU=$(sed -n 's/.*vmtest\.qemu_cpu=\([^ ]*\).*/\1/p' /proc/cmdline)
QEMU_CPU=${QEMU_CPU:-qemu64,-mce,-mca,-mtrr}

# uptime_cs: the emulated host's uptime in hundredths of a second.
uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# qemu_cmd NAME NONCE [WRAPPER...]: the QEMU command line, the same for
# vmm and KVM.
qemu_cmd()
{
	_name=$1 _nonce=$2
	shift 2
	"$@" qemu-system-x86_64 -L $Q/firmware \
		-accel kvm,kernel-irqchip=off -M pc -cpu "$QEMU_CPU" \
		-m 128 -nodefaults -display none -no-reboot \
		-serial file:/tmp/qemu-$_name.serial \
		-kernel $Q/vmlinuz -initrd $Q/guest.cpio.gz \
		-append "console=ttyS0 panic=-1 nokaslr mitigations=off lpj=1000000 cryptomgr.notests vmtest.nonce=$_nonce"
}

# trim FILE: at most the first 15 and the last 25 lines, without CRs.
trim()
{
	tr -d '\r' < "$1" | awk '{ l[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++)
				if (NR <= 40 || i <= 15 || i > NR - 25)
					print "  " l[i]
				else if (i == 16)
					printf "  [... %d lines ...]\n", NR - 40
		}'
}

# notes FILE: the guest kernel's complaints (unchecked MSR accesses,
# warnings, errors), to compare the two hypervisors' runs.
notes()
{
	_n=$(tr -d '\r' < "$1" |
		grep -c -i -E 'unchecked MSR|WARNING|BUG|Oops|error|fail|hpet increased')
	echo "the guest kernel's complaints: $_n"
	tr -d '\r' < "$1" |
		grep -i -E 'unchecked MSR|WARNING|BUG|Oops|error|fail|hpet increased' |
		head -n 12 | sed 's/^/  /'
	# vmtest.qemu_grep=REGEX (VMTEST_CMDLINE): more lines to compare.
	_re=$(sed -n 's/.*vmtest\.qemu_grep=\([^ ]*\).*/\1/p' /proc/cmdline)
	if [ -n "$_re" ]; then
		echo "the guest's console lines matching $_re:"
		tr -d '\r' < "$1" | grep -E "$_re" | head -n 60 | sed 's/^/  /'
	fi
}

# run_qemu NAME: boot the guest on /dev/kvm (vmm or KVM, whichever is
# loaded), report the time, judge exit status and marker.
run_qemu()
{
	_nonce=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	rm -f /tmp/qemu-$1.serial /tmp/qemu-$1.err
	_t0=$(uptime_cs)
	qemu_cmd "$1" "$_nonce" timeout -s KILL "$QEMU_TIMEOUT" \
		</dev/null >/tmp/qemu-$1.err 2>&1
	_rc=$?
	_t1=$(uptime_cs)
	_d=$((_t1 - _t0))
	echo "qemu on $1: $((_d / 100)).$((_d % 100 / 10)) s (exit status $_rc)"
	_ok=1
	if [ $_rc = 137 ]; then
		echo "QEMU did not finish within $QEMU_TIMEOUT s and was killed"
		_ok=0
	elif [ $_rc != 0 ]; then
		echo "QEMU exited with status $_rc"
		_ok=0
	fi
	if ! grep -q "^vmtest-qemu-guest: user space reached, .*, nonce $_nonce" /tmp/qemu-$1.serial 2>/dev/null; then
		echo "no marker with nonce $_nonce on the guest's serial console"
		_ok=0
	fi
	if [ $_ok = 1 ]; then
		# vmm's run shows the whole console: the README quotes it.
		if [ "$1" = vmm ]; then
			echo "the guest's serial console:"
			trim /tmp/qemu-$1.serial
		else
			grep '^vmtest-qemu-guest: ' /tmp/qemu-$1.serial | tr -d '\r'
		fi
		notes /tmp/qemu-$1.serial
		return 0
	fi
	echo "QEMU's output:"
	trim /tmp/qemu-$1.err
	echo "the guest's serial console:"
	if [ -s /tmp/qemu-$1.serial ]; then
		trim /tmp/qemu-$1.serial
	else
		echo "  (nothing)"
	fi
	return 1
}

# strace_qemu NAME: run QEMU again under strace, ioctls only, and show
# the capabilities that KVM_CHECK_EXTENSION found missing, the ioctls
# that failed, and the last ones before QEMU stopped; with "all", every
# ioctl QEMU used, with its count, in the order of first use.
strace_qemu()
{
	_s=/tmp/qemu-$1.strace
	rm -f "$_s"
	_k=
	[ "${2:-}" != all ] || _k=--kvm=vcpu
	qemu_cmd "strace-$1" 0 timeout -s KILL "$QEMU_TIMEOUT" \
		strace -f -qq $_k -e trace=ioctl -o "$_s" \
		</dev/null >/dev/null 2>&1
	echo "$(grep -c 'ioctl(' "$_s") ioctls; KVM_CHECK_EXTENSION calls that returned 0:"
	grep -E 'ioctl\(.*KVM_CHECK_EXTENSION.*= 0$' "$_s" |
		sed 's/.*KVM_CHECK_EXTENSION, //; s/) = 0$//' | sort -u | sed 's/^/  /'
	echo "failed ioctls:"
	grep -E '= -1 ' "$_s" | sed 's/^[0-9]* *ioctl([0-9]*, /  /' | sort | uniq -c | head -n 30
	if [ "${2:-}" = all ]; then
		echo "every ioctl, with its count, in the order of first use:"
		sed -n 's/^[0-9]* *ioctl([0-9]*, \([A-Z0-9_]*\).*/\1/p' "$_s" |
			awk '!($0 in n) { o[++k] = $0 } { n[$0]++ }
				END { for (i = 1; i <= k; i++) printf "  %6d %s\n", n[o[i]], o[i] }'
		echo "KVM_RUN exit reasons:"
		grep 'KVM_RUN' "$_s" | grep -o 'KVM_EXIT_[A-Z0-9_]*' | sort | uniq -c | sort -rn
		echo "KVM_CHECK_EXTENSION, every capability asked for and the answer:"
		grep -E 'KVM_CHECK_EXTENSION' "$_s" |
			sed 's/.*KVM_CHECK_EXTENSION, //; s/) *= */ = /' | awk '!($0 in s) { s[$0]; print "  " $0 }'
	else
		echo "the last ioctls:"
		tail -n 12 "$_s" | sed 's/^/  /'
	fi
}

tap_begin
if [ ! -x /vmm/bin/qemu-system-x86_64 ]; then
	tap_fail "QEMU staged in /vmm/bin (run.sh --job qemu stages it)"
	tap_end
	exit $?
fi
tap_diag "$(qemu-system-x86_64 --version | head -n 1)"
tap_run "insmod vmm.ko kvm_name=1 (/dev/kvm is vmm)" \
	sh -c '. /vmm/lib.sh && vmm_load kvm_name=1 && ls -l /dev/kvm'
if [ -c /dev/kvm ] && vmm_loaded; then
	tap_run "qemu on vmm: the guest reaches user space and powers off" run_qemu vmm
	if [ "$(cat "$tap_rcfile")" != 0 ]; then
		tap_diag "the same under strace, what vmm lacks for QEMU:"
		strace_qemu vmm 2>&1 | sed 's/^/# /'
	fi
else
	tap_fail "qemu on vmm: the guest reaches user space and powers off"
fi
tap_run "rmmod vmm" vmm_unload
tap_run "insmod irqbypass kvm kvm-intel" kvm_load
if [ -c /dev/kvm ] && [ -d /sys/module/kvm_intel ]; then
	tap_run "qemu on kvm: the guest reaches user space and powers off" run_qemu kvm
else
	tap_fail "qemu on kvm: the guest reaches user space and powers off"
fi
# vmtest.qemu_strace=1 on the kernel command line (VMTEST_CMDLINE): every
# ioctl QEMU uses with KVM, the list of what vmm has to offer.
if grep -q -w 'vmtest.qemu_strace=1' /proc/cmdline && [ -d /sys/module/kvm_intel ]; then
	tap_diag "QEMU on kvm under strace:"
	strace_qemu kvm all 2>&1 | sed 's/^/# /'
fi
tap_run "rmmod kvm-intel kvm irqbypass" kvm_unload
tap_end
exit $?
