#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every example guest through `vmmctl run`, checking its console output
# and exit status, and the exit statuses of the ways a guest can stop
# (halt, debug-exit, triple fault, timeout, SIGINT) and of the errors a
# user meets (missing or malformed image, bad memory size).
. "$(dirname "$0")/lib/tap.sh"

G=${VMM_GUESTS:-$BIN/guests}
VMMCTL=${VMMCTL:-$(command -v vmmctl || echo "$BIN/../vmmctl/vmmctl")}
PTY_RUN=${PTY_RUN:-$BIN/pty_run}
T=${TMPDIR:-/tmp}/guests_test.$$

# Load the module if a test before this one unloaded it; a missing vmmctl
# or missing guests is a build problem, not a reason to skip.
[ -e "$VMM_KO" ] || [ -c /dev/vmm ] || skip_all "no vmm.ko at $VMM_KO and no /dev/vmm"
[ -c /dev/vmm ] || vmm_load || { echo "# insmod $VMM_KO failed"; exit 1; }
[ -x "$VMMCTL" ] || { echo "# no vmmctl at $VMMCTL"; exit 1; }
[ -f "$G/hello-real.bin" ] || { echo "# no example guests in $G"; exit 1; }
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
plan 15

# vrun NAME ARGS...: vmmctl run ARGS with the console in $T/NAME.out and
# stderr in $T/NAME.err; sets st to the exit status and shows both.
vrun() {
	n=$1
	shift
	"$VMMCTL" run --timeout 120 --console "$T/$n.out" "$@" 2>"$T/$n.err"
	st=$?
	sed 's/^/  console: /' "$T/$n.out" 2>/dev/null
	sed 's/^/  stderr: /' "$T/$n.err"
	note "exit status $st"
}
has() { grep -q "$2" "$T/$1.out" 2>/dev/null; }
err_has() { grep -q "$2" "$T/$1.err"; }

vrun hello "$G/hello-real.bin"
check "hello-real: greeting on the UART" has hello "Hello from real mode"
check "hello-real: halted, status 0" [ "$st" = 0 ]

vrun mb --cmdline "console=ttyS0 demo" "$G/multiboot.elf"
check "multiboot: magic, memory map and cmdline seen" \
	sh -c "grep -q 'eax 0x2badb002' '$T/mb.out' && grep -q 'mmap 0x100000' '$T/mb.out' && grep -q 'cmdline \"console=ttyS0 demo\"' '$T/mb.out'"
check "multiboot: debug-exit 0, status 1" [ "$st" = 1 ]

vrun mmio "$G/mmio64.elf"
check "mmio64: 40 + 2 through the MMIO device, status 85" \
	sh -c "[ $st = 85 ] && grep -q '40 + 2 = 42' '$T/mmio.out'"

# The same hello with four vCPUs: all print, all halt.
vrun hello4 -c 4 "$G/hello-real.bin"
# The four greetings may interleave byte by byte: count the H of Hello.
check "hello-real on 4 vCPUs: 4 greetings, status 0" \
	sh -c "[ $st = 0 ] && [ \$(tr -cd H < '$T/hello4.out' | wc -c) = 4 ]"

printf '\017\013' > "$T/ud2.bin"	# ud2 with no IDT: triple fault
vrun ud2 --flat-long "$T/ud2.bin"
check "ud2 in long mode: shutdown, status 4, RIP reported" \
	sh -c "[ $st = 4 ] && grep -q 'triple fault.*rip 0x100000' '$T/ud2.err'"

vrun missing "$T/no-such-image"
check "missing image: status 2 and the reason" \
	sh -c "[ $st = 2 ] && grep -q 'No such file' '$T/missing.err'"

head -c 100 "$G/mmio64.elf" > "$T/short.elf"
vrun short "$T/short.elf"
check "truncated ELF: status 2, 'truncated'" \
	sh -c "[ $st = 2 ] && grep -q 'truncated' '$T/short.err'"

vrun badmem -m 12Q "$G/hello-real.bin"
check "unparsable memory size: status 2" \
	sh -c "[ $st = 2 ] && grep -q 'cannot parse memory size' '$T/badmem.err'"

vrun bigmem -m 64G "$G/hello-real.bin"
check "memory size too large: status 2" \
	sh -c "[ $st = 2 ] && grep -q 'too large' '$T/bigmem.err'"

"$VMMCTL" run --trace-exits --console "$T/trace.out" "$G/hello-real.bin" 2>"$T/trace.err"
check "--trace-exits: one line per exit with RIP" \
	sh -c "grep -q '^vcpu0 rip 0x7c[0-9a-f]*: IO out port 0x3f8' '$T/trace.err' && grep -q 'HLT' '$T/trace.err'"
head -n 3 "$T/trace.err" | sed 's/^/  /'

# Guests that never stop by themselves, last.
# sti; jmp . -- Bochs 2.7 takes no VM exit for host interrupts while a
# guest runs with IF clear (kvm_intel hangs the same way there), so the
# spinning guests enable interrupts.
printf '\373\353\376' > "$T/spin.bin"
vrun spin --timeout 2 "$T/spin.bin"
check "spinning guest: --timeout 2 stops it, status 124" [ "$st" = 124 ]

# Four vCPU threads on two CPUs, stopped by SIGINT.
"$VMMCTL" run -c 4 --console "$T/int.out" "$T/spin.bin" 2>"$T/int.err" &
pid=$!
sleep 2
kill -INT $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	st=killed
else
	wait $pid
	st=$?
fi
sed 's/^/  stderr: /' "$T/int.err"
check "4 spinning vCPUs: SIGINT stops vmmctl within 10 s, status 130" [ "$st" = 130 ]

# A signal that kills vmmctl while its console holds the terminal raw
# (SIGQUIT from kill(1); a crash would be the same): the terminal comes
# back as it was and the signal still kills it.  The guest prints "@"
# (mov dx, 0x3f8; mov al, '@'; out dx, al), then spins.  pty_run: 131
# is 128 + SIGQUIT, 126 a terminal left raw.
printf '\272\370\003\260\100\356\373\353\376' > "$T/say.bin"
"$PTY_RUN" -t 60 -e @ -k 3 -- "$VMMCTL" run --timeout 120 "$T/say.bin" \
	> "$T/quit.out" 2>&1
st=$?
# The guest's "@" ends no line: one more, before the TAP line.
{ cat "$T/quit.out"; echo; } | sed 's/^/  pty: /'
check "SIGQUIT with the console in raw mode: terminal restored, killed by the signal (status $st, want 131)" [ "$st" = 131 ]

finish
