#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "bench": the same KVM-API benchmark binary against vmm and against
# Debian's kvm_intel in one boot, then both side by side (ratio vmm/kvm;
# below 1 means vmm is faster).  Then vmm again, built with its per-vCPU
# statistics compiled out (VMM_STATS=n), to show what the statistics
# cost (ratio stats/nostats; its memory figures at 64 MiB only).
# Figures are emulated TSC ticks.  The guest-memory figures (VM created,
# guest touching 16, 64 and 256 MiB, VM destroyed; 4 KiB and THP
# backing; the host's own floor) also come as one table per size.  The
# TAP lines say whether each run completed and whether the statistics
# stay within their budget of 2 % on the exit handled in the kernel.
cd /vmm/selftests || exit 1
args=${VMM_BENCH_ARGS:--n 20000 -m 64 -r 2}
echo "TAP version 13"
echo "1..6"

# bench_vmm N MODULE OUT [ARGS]: vmm_bench on /dev/vmm with that build
# loaded.
bench_vmm()
{
	if insmod "$2" && ./vmm_bench -d /dev/vmm $args $4 > "$3" && rmmod vmm; then
		echo "ok $1 vmm_bench on /dev/vmm ($(basename "$2"))"
	else
		echo "not ok $1 vmm_bench on /dev/vmm ($(basename "$2"))"
		rmmod vmm 2>/dev/null
	fi
}

bench_vmm 1 /vmm/vmm.ko /tmp/vmm.txt
ok=1
for m in irqbypass kvm kvm-intel; do insmod /vmm/kvm/$m.ko || ok=0; done
if [ $ok = 1 ] && ./vmm_bench -d /dev/kvm $args > /tmp/kvm.txt; then
	echo "ok 2 vmm_bench on /dev/kvm"
else
	echo "not ok 2 vmm_bench on /dev/kvm"
fi
for m in kvm_intel kvm irqbypass; do rmmod $m 2>/dev/null; done
bench_vmm 3 /vmm/vmm-nostats.ko /tmp/nostats.txt "-s 64"

# Linux booted by vmmctl (the emulated host's kernel, the busybox guest
# of selftests/linux_guest.sh) on vmm and on kvm_intel with the same
# vmmctl: the emulated host's time from `vmmctl run` to the guest init's
# marker line and to vmmctl's exit after the guest's power-off, and the
# guest's own uptime at its init and at power-off.  Two boots each; every figure is printed.  The guest skips
# its crypto self-tests (cryptomgr.notests): 2 s of guest CPU work that
# costs the same on both and would only dilute the difference.
L=/vmm/linux
uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
linux_boots()
{
	_dev=$1 _i=0 _ok=1
	while [ $_i -lt 2 ]; do
		_i=$((_i + 1))
		rm -f /tmp/linux.init
		_t0=$(uptime_cs)
		# The host's clock when the marker line comes out.
		{ vmmctl run -d "$_dev" --timeout 300 --initrd $L/initrd.gz \
			--cmdline "vmtest.nonce=$_i cryptomgr.notests" $L/vmlinuz \
			< /dev/null 2>&1 || echo "vmmctl failed: $?"; } |
			while IFS= read -r _l; do
				case $_l in
				*"user space reached"*) uptime_cs > /tmp/linux.init ;;
				esac
				echo "$_l"
			done > /tmp/linux.out
		_t1=$(uptime_cs)
		! grep -q '^vmmctl failed' /tmp/linux.out || _ok=0
		_ti=$(( $(cat /tmp/linux.init 2>/dev/null || echo "$_t0") - _t0 ))
		_init=$(tr -d '\r' < /tmp/linux.out | sed -n 's/^vmtest-linux-guest: user space reached, .*uptime \([0-9.]*\) s$/\1/p')
		_off=$(tr -d '\r' < /tmp/linux.out | sed -n 's/^vmtest-linux-guest: powering off at uptime \([0-9.]*\) s$/\1/p')
		[ -n "$_init" ] && [ -n "$_off" ] || { _ok=0; sed 's/^/# /' /tmp/linux.out | tail -n 20; }
		_d=$((_t1 - _t0))
		echo "linux_boot $(basename "$_dev") run $_i: vmmctl run to init $((_ti / 100)).$(printf %02d $((_ti % 100))) s, to exit $((_d / 100)).$(printf %02d $((_d % 100))) s; guest uptime at init ${_init:-?} s, at power-off ${_off:-?} s" >> /tmp/linux-boot.txt
	done
	[ $_ok = 1 ]
}
# Where a boot's exits go: one more boot on vmm with every exit traced,
# counted by kind (not timed: tracing costs more than the exits).
linux_exits()
{
	vmmctl run --trace-exits --timeout 300 --initrd $L/initrd.gz \
		--cmdline "cryptomgr.notests" $L/vmlinuz < /dev/null \
		2>&1 >/dev/null | awk '/^vcpu/ { sub(/^vcpu[0-9]+ rip [^:]*: /, "");
			sub(/ (size|count|gpa|len) .*/, ""); n[$0]++; t++ }
		END { printf "linux_exits total %d:", t;
			for (k in n) if (n[k] * 100 >= t) printf " %s %d;", k, n[k];
			print "" }' >> /tmp/linux-boot.txt
}
if insmod /vmm/vmm.ko && linux_boots /dev/vmm && linux_exits && rmmod vmm; then
	echo "ok 5 Linux under vmmctl on /dev/vmm"
else
	echo "not ok 5 Linux under vmmctl on /dev/vmm"
	rmmod vmm 2>/dev/null
fi
ok=1
for m in irqbypass kvm kvm-intel; do insmod /vmm/kvm/$m.ko || ok=0; done
if [ $ok = 1 ] && linux_boots /dev/kvm; then
	echo "ok 6 Linux under vmmctl on /dev/kvm"
else
	echo "not ok 6 Linux under vmmctl on /dev/kvm"
fi
for m in kvm_intel kvm irqbypass; do rmmod $m 2>/dev/null; done

# The in-kernel round trip (CPUID) with statistics over without them.
on=$(awk '$1 == "cpuid_exit" { print $2 }' /tmp/vmm.txt)
off=$(awk '$1 == "cpuid_exit" { print $2 }' /tmp/nostats.txt)
if [ -n "$on" ] && [ -n "$off" ] && [ "$off" -gt 0 ] &&
   [ $((on * 100)) -le $((off * 102)) ]; then
	echo "ok 4 statistics cost at most 2% of an in-kernel exit ($on vs $off ticks)"
else
	echo "not ok 4 statistics cost at most 2% of an in-kernel exit (${on:-?} vs ${off:-?} ticks)"
fi
# Guest memory, one row per size: each backing on vmm and on KVM with
# the ratio, vmm's THP against KVM's 4 KiB, the host's floors, and vmm's
# EPT violations per MiB.
mem_table()
{
	awk 'FNR == 1 { f++ }
	     /^(mem|floor)_/ { v[f, $1] = $2 }
	     f == 1 && /^mem_/ {
		for (j = 3; j < NF; j += 2)
			if ($j == "faults/MiB")
				fpm[$1] = $(j + 1)
	     }
	     f == 1 && /^mem_4k_/ { n++; size[n] = substr($1, 8) }
	     function r(a, b) { return b ? sprintf("%.3f", a / b) : "-" }
	     END {
		printf "%-6s %11s %11s %6s %11s %11s %6s %9s %11s %11s %8s %8s\n",
		       "size", "vmm_4k", "kvm_4k", "ratio", "vmm_thp", "kvm_thp",
		       "ratio", "thp/kvm4k", "floor_4k", "floor_thp",
		       "flt/MiB", "thp_f/M"
		for (i = 1; i <= n; i++) {
			s = size[i]; a = "mem_4k_" s; b = "mem_thp_" s
			printf "%-6s %11.0f %11.0f %6s %11.0f %11.0f %6s %9s %11.0f %11.0f %8s %8s\n",
			       s, v[1, a], v[2, a], r(v[1, a], v[2, a]),
			       v[1, b], v[2, b], r(v[1, b], v[2, b]),
			       r(v[1, b], v[2, a]), v[1, "floor_4k_" s],
			       v[1, "floor_thp_" s], fpm[a], fpm[b]
		}
	     }' /tmp/vmm.txt /tmp/kvm.txt
}
{
	cat /tmp/vmm.txt /tmp/kvm.txt
	./vmm_bench -c /tmp/vmm.txt /tmp/kvm.txt
	mem_table
	cat /tmp/nostats.txt
	./vmm_bench -c /tmp/vmm.txt /tmp/nostats.txt
	cat /tmp/linux-boot.txt
} 2>&1 | sed 's/^/# /'
