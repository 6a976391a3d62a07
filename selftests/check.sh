#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything that can be tested, in one go.
#   1. the kernel-side static checks (checkpatch --strict, sparse, W=1)
#   2. the host unit tests, which need no VT-x
#   3. the selftests in the emulated VT-x host (one boot, 2 CPUs)
#   4. at the same time as 1-3, the lifetime/locking selftests on the
#      debug kernel (KASAN, lockdep, kmemleak...) in a second emulated
#      host; the first run builds that kernel (then cached)
#   5. Debian's QEMU booting a guest on vmm and on KVM, in its own boot of
#      the emulated host (jobs/qemu.sh), after 3 or after 4, whichever
#      ends first: each emulator is single-threaded, so two of them keep
#      the two cores busy, and three never share them
# Prints the totals of each part, the wall time each part took and the
# slowest tests of each emulated-host run (every test's time is in the
# logs, "vmtest-time: NAME SECONDS s"), then a final line for CI; exits
# non-zero if anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
log=${VMM_CHECK_LOG:-/tmp/vmm-check}

# counts FILE: "passed failed skipped" from an emulated-host run's
# summary line ("vmtest: N passed, N failed, N skipped"), 0 0 0 if none.
counts()
{
	_c=$(sed -n 's/^vmtest: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' "$1" | tail -n 1)
	echo "${_c:-0 0 0}"
}

# stamp: copy an emulated-host run's output, adding after each selftest's
# result line "vmtest-time: NAME SECONDS s (emulator CPU SECONDS s)": the
# wall time on this host from the runner's "# selftests: vmm: NAME" to
# the result, and the CPU time the emulator (one thread) used meanwhile,
# which is about what the wall time would be on an idle machine.  (The
# guest's own clock, in the "# time:" lines, follows Bochs' instruction
# count.)  mawk reads a pipe in blocks unless told it is interactive.
stamp()
{
	_aw=
	! awk -W version 2>/dev/null | grep -q mawk || _aw="-W interactive"
	# shellcheck disable=SC2086
	awk $_aw -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" '
	function now(   c, t) {
		c = "date +%s.%N"; c | getline t; close(c); return t + 0
	}
	# utime + stime of the emulator, in seconds; -1 once it is gone.
	function cpu(   f, l, a) {
		f = "/proc/" pid "/stat"
		if (pid == "" || (getline l < f) <= 0)
			return -1
		close(f)
		sub(/^.*\) /, "", l); split(l, a, " ")
		return (a[12] + a[13]) / hz
	}
	{ print; fflush() }
	/^vmtest: booting \(bochs pid [0-9]+/ {
		pid = $0; sub(/.*bochs pid /, "", pid); sub(/[^0-9].*/, "", pid)
	}
	/^# selftests: vmm: / { t0 = now(); c0 = cpu() }
	/^(not )?ok [0-9]+ selftests: vmm: / && t0 != "" {
		n = $0
		sub(/.*selftests: vmm: /, "", n); sub(/ .*/, "", n)
		c = cpu()
		printf "vmtest-time: %s %.1f s (emulator CPU %s s)\n", n,
			now() - t0, (c >= 0 && c0 >= 0) ? sprintf("%.1f", c - c0) : "?"
		fflush(); t0 = ""
	}'
}

# slowest FILE: the six slowest tests of a run by wall time, on one line,
# each with the emulator's CPU time.
slowest()
{
	sed -n 's/^vmtest-time: \([^ ]*\) \([0-9.]*\) s (emulator CPU \([0-9.?]*\) s)$/\2 \1 \3/p' \
		"$1" 2>/dev/null | sort -rn | head -n 6 |
		awk '{ printf "%s%s %d s (CPU %s)", (NR > 1) ? ", " : "", $2, $1, $3 }'
}

# took PART START: how long PART took, from START (date +%s) to now.
took() { echo "$1 $(($(date +%s) - $2))" >> "$log/times"; }

# The QEMU job runs after the main run or after the debug run, whichever
# ends first: the one that makes this directory (mkdir is atomic) runs
# it.  VMM_CHECK_QEMU=0 leaves it out.
qemu_claim()
{
	[ "${VMM_CHECK_QEMU:-1}" != 0 ] && mkdir "$log/qemu.claim" 2>/dev/null
}

# run_qemu LANE: Debian's QEMU on vmm and on kvm_intel (jobs/qemu.sh),
# its own boot of the emulated host (1 CPU, 1 GiB, QEMU in the
# initramfs): about 2 min beside another emulator.
run_qemu()
{
	_tq=$(date +%s)
	echo "$1" > "$log/qemu.claim/lane"
	VMTEST_DIR=${VMTEST_DIR:+$VMTEST_DIR-qemu} \
		selftests/vmtest/run.sh --job qemu --timeout 900 \
		> "$log/vmtest-qemu.out" 2>&1 < /dev/null
	took qemu "$_tq"
}

mkdir -p "$log"
rm -rf "$log/qemu.claim" "$log/times" "$log/vmtest-qemu.out"
t0=$(date +%s)
fail=0

# The debug-kernel run goes on in the background from the start: the
# emulator is single-threaded, and on a new machine the kernel build is
# the longest part.  VMM_CHECK_DEBUG=0 leaves it out.
dpid=
if [ "${VMM_CHECK_DEBUG:-1}" != 0 ]; then
	echo "== debug kernel: in the background (log: $log/vmtest-debug.out)"
	(
		_td=$(date +%s)
		VMTEST_DIR=${VMTEST_DIR:+$VMTEST_DIR-debug} \
			selftests/vmtest/run.sh --kernel debug --cpus 2 --job debug --timeout 3600 \
			2>&1 < /dev/null | stamp > "$log/vmtest-debug.out"
		took debug "$_td"
		! qemu_claim || run_qemu "after the debug run"
	) &
	dpid=$!
fi

echo "== lint"
t=$(date +%s)
if ! scripts/lint.sh; then
	fail=1
fi
took lint "$t"

echo "== host unit tests"
t=$(date +%s)
make -s -C selftests unit 2>&1 | tee "$log/unit.out"
unit_rc=$?
# Leaf results only: nested lines start with "# ok" / "# not ok".
up=$(grep -c -E '^# ok [0-9]+' "$log/unit.out")
uf=$(grep -c -E '^# not ok [0-9]+' "$log/unit.out")
us=$(grep -c -E '^# ok [0-9]+ .*# SKIP' "$log/unit.out")
up=$((up - us))
if [ "$unit_rc" -ne 0 ] || [ "$uf" -ne 0 ]; then
	fail=1
fi
took unit "$t"

echo "== decoder fuzzing (fixed number of runs)"
t=$(date +%s)
if ! make -s -C selftests/unit fuzz > "$log/fuzz.out" 2>&1; then
	tail -n 20 "$log/fuzz.out"
	echo "fuzz: FAILED"
	fail=1
else
	tail -n 2 "$log/fuzz.out"
	echo "fuzz: ok"
fi
took fuzz "$t"

echo "== emulated VT-x host"
# About 15 min of wall time on an idle 2-core machine, sharing it with
# the debug kernel's run; 3600 s leaves room for a loaded one.
t=$(date +%s)
selftests/vmtest/run.sh --cpus 2 --job check --timeout 3600 "$@" 2>&1 |
	stamp | tee "$log/vmtest.out"
took main "$t"
if ! grep -q '^vmtest: PASS' "$log/vmtest.out"; then
	fail=1
fi
read -r vp vf vs <<EOF
$(counts "$log/vmtest.out")
EOF

if qemu_claim; then
	echo "== QEMU on vmm and on KVM: after the main run (log: $log/vmtest-qemu.out)"
	run_qemu "after the main run"
fi

dp=0 df=0 ds=0
if [ -n "$dpid" ]; then
	echo "== debug kernel (emulated VT-x host; waiting for it)"
	wait "$dpid"
	# Its verdict: the problems, the totals, the times.
	grep -E '^vmtest: ' "$log/vmtest-debug.out" | grep -v -E '^vmtest: (apt-get|installing|building|booting|image)' | tail -n 40
	read -r dp df ds <<EOF
$(counts "$log/vmtest-debug.out")
EOF
	if ! grep -q '^vmtest: PASS' "$log/vmtest-debug.out"; then
		fail=1
		# A kernel report fails the run with every test passed.
		[ "$df" -gt 0 ] || df=1
	fi
fi

qp=0 qf=0 qs=0
if [ "${VMM_CHECK_QEMU:-1}" != 0 ]; then
	echo "== QEMU on vmm and on KVM ($(cat "$log/qemu.claim/lane" 2>/dev/null || echo "did not run"); log: $log/vmtest-qemu.out)"
	grep -E '^(ok|not ok) |^# qemu on |^vmtest: (FAIL|PASS|time)' "$log/vmtest-qemu.out" 2>/dev/null
	read -r qp qf qs <<EOF
$(counts "$log/vmtest-qemu.out" 2>/dev/null)
EOF
	if ! grep -q '^vmtest: PASS' "$log/vmtest-qemu.out" 2>/dev/null; then
		fail=1
		[ "$qf" -gt 0 ] || qf=1
	fi
fi

echo
echo "unit: $up passed, $uf failed, $us skipped"
echo "emulated host: ${vp:-0} passed, ${vf:-0} failed, ${vs:-0} skipped"
if [ "${VMM_CHECK_QEMU:-1}" != 0 ]; then
	echo "qemu: $qp passed, $qf failed, $qs skipped"
else
	echo "qemu: not run (VMM_CHECK_QEMU=0)"
fi
if [ -n "$dpid" ]; then
	echo "debug kernel: $dp passed, $df failed, $ds skipped"
else
	echo "debug kernel: not run (VMM_CHECK_DEBUG=0)"
fi
# The debug run, and QEMU after whichever ran first, overlap the rest.
echo "times: $(awk '{ printf "%s%s %d s", (NR > 1) ? ", " : "", $1, $2 }' "$log/times" 2>/dev/null)"
echo "slowest tests, main run: $(slowest "$log/vmtest.out")"
[ -z "$dpid" ] || echo "slowest tests, debug kernel: $(slowest "$log/vmtest-debug.out")"
echo "check took $(( $(date +%s) - t0 )) s"
[ -n "$vp" ] || { vf=$((${vf:-0} + 1)); fail=1; }
[ "$fail" -eq 0 ] || [ "$((uf + ${vf:-0} + qf + df))" -gt 0 ] || uf=$((uf + 1))
echo "total: $((up + ${vp:-0} + qp + dp)) passed, $((uf + ${vf:-0} + qf + df)) failed, $((us + ${vs:-0} + qs + ds)) skipped"
exit $fail
