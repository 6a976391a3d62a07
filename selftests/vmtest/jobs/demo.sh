#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Job "demo": load vmm.ko, show what it exposes, query it with vmmctl and
# run the example guests.  Every step is one TAP result, its output shown
# as comments, so the host judges the demo like any test run.

. /vmm/lib.sh

show_files()
{
	for f in "$@"; do
		[ -f "$f" ] && [ -r "$f" ] || continue
		echo "$f: $(head -c 512 "$f" | tr '\n' ' ')"
	done
	return 0
}

tap_begin
tap_run "insmod vmm.ko" vmm_load
tap_run "vmm misc device" sh -c 'ls -l /dev/vmm && grep -w vmm /proc/misc && ls /sys/class/misc/vmm/ && cat /sys/class/misc/vmm/dev'
tap_run "module files" show_files /sys/module/vmm/parameters/* /sys/class/misc/vmm/* $(find /sys/kernel/debug/vmm -type f 2>/dev/null)
if [ -x /vmm/bin/vmmctl ]; then
	tap_run "vmmctl info" vmmctl info
else
	tap_skip "vmmctl info" "no /vmm/bin/vmmctl"
fi

# Example guests: add them here, one tap_run each.
G=/vmm/selftests/guests

# Two vCPUs, console to a file, one line per exit to another: show both.
trace_two()
{
	echo "\$ vmmctl run -c 2 --trace-exits --console /tmp/hello2.txt $G/hello-real.bin"
	vmmctl run -c 2 --trace-exits --console /tmp/hello2.txt \
		$G/hello-real.bin 2>/tmp/trace2.txt
	_st=$?
	cat /tmp/hello2.txt
	head -n 4 /tmp/trace2.txt
	echo "..."
	tail -n 3 /tmp/trace2.txt
	echo "$(grep -c '^vcpu' /tmp/trace2.txt) exits traced; exit status $_st"
	# The greetings may interleave byte by byte: count the H of Hello.
	[ "$_st" = 0 ] && [ "$(tr -cd H < /tmp/hello2.txt | wc -c)" = 2 ]
}

if [ -x /vmm/bin/vmmctl ] && [ -f $G/hello-real.bin ]; then
	tap_run "hello-real.bin: real mode, UART, HLT (status 0)" \
		run_guest 0 $G/hello-real.bin
	tap_run "multiboot.elf: Multiboot v1 kernel, debug-exit 0 (status 1)" \
		run_guest 1 --cmdline "hello from vmmctl" $G/multiboot.elf
	tap_run "mmio64.elf: 64-bit C guest, MMIO device, debug-exit 42 (status 85)" \
		run_guest 85 $G/mmio64.elf
	tap_run "hello-real.bin on 2 vCPU threads, exits traced" trace_two
else
	tap_skip "example guests" "no /vmm/bin/vmmctl or no guests in $G"
fi

# Linux: Debian's cloud kernel (the emulated host's own) and the
# project's busybox initramfs, which runs `uname -a` and
# `cat /proc/interrupts` and powers off; timer and serial interrupts
# must have reached the guest.
linux_demo()
{
	echo "\$ vmmctl run --initrd /vmm/linux/initrd.gz /vmm/linux/vmlinuz"
	vmmctl run --timeout 300 --initrd /vmm/linux/initrd.gz \
		/vmm/linux/vmlinuz < /dev/null > /tmp/linux.txt 2>&1
	_st=$?
	tr -d '\r' < /tmp/linux.txt
	echo "exit status $_st (expected 0)"
	_t=$(tr -d '\r' < /tmp/linux.txt | awk '$1 == "0:" { print $2; exit }')
	_s=$(tr -d '\r' < /tmp/linux.txt | awk '$1 == "4:" { print $2; exit }')
	[ "$_st" = 0 ] && [ "${_t:-0}" -gt 0 ] && [ "${_s:-0}" -gt 0 ]
}
if [ -x /vmm/bin/vmmctl ] && [ -f /vmm/linux/vmlinuz ]; then
	tap_run "Linux: Debian's kernel boots to a busybox init, uname and /proc/interrupts (status 0)" \
		linux_demo
fi

# The generic netlink family, through vmmctl: events while two guests
# run (one triple faults), then a VM held alive seen by list and stats.
netlink_demo()
{
	vmmctl monitor > /tmp/events.txt 2> /tmp/monitor.err &
	_mon=$!
	_i=0
	while ! grep -q following /tmp/monitor.err 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -le 600 ] || { cat /tmp/monitor.err; return 1; }
		sleep 0.1
	done
	vmmctl run $G/hello-real.bin > /dev/null 2>&1
	# Real mode, IDT limit 0, INT3: #GP, #DF, triple fault.
	printf '\017\001\036\010\174\314\364\000\000\000\000\000\000\000' > /tmp/tf.bin
	vmmctl run /tmp/tf.bin > /dev/null 2>&1
	_tf=$?
	/vmm/selftests/vm_hold -r -w /tmp/held &
	_hold=$!
	_i=0
	while [ ! -e /tmp/held ]; do
		_i=$((_i + 1))
		[ $_i -le 600 ] || return 1
		sleep 0.1
	done
	echo "\$ vmmctl list"
	vmmctl list || return 1
	echo "\$ vmmctl list --json"
	vmmctl list --json || return 1
	echo "\$ vmmctl stats"
	vmmctl stats || return 1
	kill $_hold
	wait $_hold
	sleep 1
	kill $_mon
	wait $_mon
	echo "\$ vmmctl monitor    (while the above ran)"
	cat /tmp/events.txt
	[ "$_tf" = 4 ] && grep -q shutdown /tmp/events.txt &&
		[ "$(grep -c vm-destroyed /tmp/events.txt)" = 3 ]
}

if [ -x /vmm/bin/vmmctl ] && [ -f $G/hello-real.bin ]; then
	tap_run "vmmctl monitor, list and stats (generic netlink)" netlink_demo
fi

tap_run "rmmod vmm" vmm_unload
tap_end
exit $?
