#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Linux booted by `vmmctl run bzImage --initrd ...` on libvmm's PC
# machine: Debian's kernel (the emulated host's own) and a busybox
# initramfs (selftests/vmtest/linux-guest-init) that prints a marker with
# a nonce.  Checks: the guest reaches user space and powers off (status
# 0, as a halt), its timer and serial interrupts are counted in
# /proc/interrupts, a shell on the console answers what is typed through
# a pseudo-terminal and vmmctl gives the terminal back as it found it,
# a guest reboot gives the reset status, and Ctrl-A x quits.
. "$(dirname "$0")/lib/tap.sh"

L=${VMM_LINUX:-/vmm/linux}
VMMCTL=${VMMCTL:-$(command -v vmmctl || echo "$BIN/../vmmctl/vmmctl")}
PTY_RUN=${PTY_RUN:-$BIN/pty_run}
T=${TMPDIR:-/tmp}/linux_guest.$$
# vmmctl's statuses (vmmctl.8): power-off is a halt, reboot a reset.
ST_HALT=0
ST_RESET=10
ST_QUIT=130
# The guest kernel's crypto self-tests take 2 s of its 4 s boot.
FAST=cryptomgr.notests

if [ ! -f "$L/vmlinuz" ] || [ ! -f "$L/initrd.gz" ]; then
	# The emulated host always has them (run.sh stages them).
	[ ! -d /vmm ] || { echo "# no Linux guest in $L"; exit 1; }
	skip_all "no guest kernel: set VMM_LINUX to a directory with vmlinuz and initrd.gz"
fi
[ -c /dev/vmm ] || vmm_load || { echo "# insmod $VMM_KO failed"; exit 1; }
[ -x "$VMMCTL" ] || { echo "# no vmmctl at $VMMCTL"; exit 1; }
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
plan 11

nonce() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }
show() { tr -d '\r' < "$1" | sed "s/^/  $2: /"; }

# boot NAME MODE: vmmctl with the console on stdout ($T/NAME.out); sets
# st and n (the nonce).
boot() {
	n=$(nonce)
	"$VMMCTL" run --timeout 60 --initrd "$L/initrd.gz" \
		--cmdline "vmtest.mode=$2 vmtest.nonce=$n $FAST" "$L/vmlinuz" \
		< /dev/null > "$T/$1.out" 2> "$T/$1.err"
	st=$?
	show "$T/$1.out" console
	show "$T/$1.err" stderr
	note "exit status $st"
}
marker() { tr -d '\r' < "$T/$1.out" | grep -q "^vmtest-linux-guest: user space reached, .*, nonce $n,"; }
# irqs NAME IRQ: the guest's count of IRQ on CPU0 in /proc/interrupts.
irqs() { tr -d '\r' < "$T/$1.out" | awk -v q="$2:" '$1 == q { print $2; exit }'; }
clean() { ! tr -d '\r' < "$T/$1.out" | grep -E -q 'Kernel panic|WARNING:|BUG:|Oops|Call Trace'; }

boot report report
check "report: the guest reached user space (marker with nonce $n)" marker report
check "report: it powered off: vmmctl status $ST_HALT" [ "$st" = $ST_HALT ]
t=$(irqs report 0) s=$(irqs report 4)
note "IRQ 0 (timer) ${t:-none}, IRQ 4 (serial) ${s:-none}"
check "report: the timer interrupt reached the guest (IRQ 0: ${t:-none})" [ "${t:-0}" -gt 0 ]
check "report: the serial interrupt reached the guest (IRQ 4: ${s:-none})" [ "${s:-0}" -gt 0 ]
check "report: no panic, warning or oops on the console" clean report

# The shell, typed at through a pseudo-terminal; the guest then reboots.
n=$(nonce)
"$PTY_RUN" -t 60 -e "vmtest-linux-guest: shell" -e "# " \
	-s 'echo $((6 * 7))-answer\n' -e "42-answer" \
	-s 'reboot -f\n' -- \
	"$VMMCTL" run --timeout 60 --initrd "$L/initrd.gz" \
	--cmdline "vmtest.mode=shell vmtest.nonce=$n $FAST" "$L/vmlinuz" \
	> "$T/shell.out" 2>&1
st=$?
show "$T/shell.out" pty
check "shell: marker with nonce $n" marker shell
check "shell: the answer 42 on the terminal" grep -q "42-answer" "$T/shell.out"
check "shell: typed input reached the guest's shell, then its reboot gave status $ST_RESET (status $st)" [ "$st" = $ST_RESET ]

# Ctrl-A x while the kernel is still printing its boot messages: that
# the guest is busy does not matter, and the test needs no second boot.
n=$(nonce)
"$PTY_RUN" -t 60 -e "Linux version" -s '\x01x' -- \
	"$VMMCTL" run --timeout 60 --initrd "$L/initrd.gz" \
	--cmdline "vmtest.mode=shell vmtest.nonce=$n $FAST" "$L/vmlinuz" \
	> "$T/quit.out" 2>&1
st=$?
show "$T/quit.out" pty
check "quit: Ctrl-A x during the boot ends vmmctl with status $ST_QUIT and the terminal restored (status $st)" [ "$st" = $ST_QUIT ]

# The errors a user meets.
"$VMMCTL" run --initrd "$T/missing.gz" "$L/vmlinuz" < /dev/null > "$T/e1.out" 2>&1
st=$?
show "$T/e1.out" out
check "a missing initrd: status 2 and its name" sh -c "[ $st = 2 ] && grep -q missing.gz '$T/e1.out'"
"$VMMCTL" run -m 16M --initrd "$L/initrd.gz" "$L/vmlinuz" < /dev/null > "$T/e2.out" 2>&1
st=$?
show "$T/e2.out" out
check "16 MiB is too small for the kernel: status 2 with the reason" sh -c "[ $st = 2 ] && grep -qi 'memory' '$T/e2.out'"
finish
