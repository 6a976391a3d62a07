#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything that can be tested, in one go.
#   1. the kernel-side static checks (checkpatch --strict, sparse, W=1)
#   2. the host unit tests, which need no VT-x
#   3. the selftests in the emulated VT-x host (one boot, 2 CPUs)
#   4. after 3, Debian's QEMU booting a guest on vmm and on KVM, in its
#      own boot of the emulated host (jobs/qemu.sh)
#   5. at the same time as 1-4, the lifetime/locking selftests on the
#      debug kernel (KASAN, lockdep, kmemleak...) in a second emulated
#      host; the first run builds that kernel (then cached)
# Prints the totals of each part and a final line for CI, and exits
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
mkdir -p "$log"
t0=$(date +%s)
fail=0

# The debug-kernel run goes on in the background from the start: the
# emulator is single-threaded, and on a new machine the kernel build is
# the longest part.  VMM_CHECK_DEBUG=0 leaves it out.
dpid=
if [ "${VMM_CHECK_DEBUG:-1}" != 0 ]; then
	echo "== debug kernel: in the background (log: $log/vmtest-debug.out)"
	VMTEST_DIR=${VMTEST_DIR:+$VMTEST_DIR-debug} \
		selftests/vmtest/run.sh --kernel debug --cpus 2 --job debug --timeout 3600 \
		> "$log/vmtest-debug.out" 2>&1 < /dev/null &
	dpid=$!
fi

echo "== lint"
if ! scripts/lint.sh; then
	fail=1
fi

echo "== host unit tests"
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

echo "== decoder fuzzing (fixed number of runs)"
if ! make -s -C selftests/unit fuzz > "$log/fuzz.out" 2>&1; then
	tail -n 20 "$log/fuzz.out"
	echo "fuzz: FAILED"
	fail=1
else
	tail -n 2 "$log/fuzz.out"
	echo "fuzz: ok"
fi

echo "== emulated VT-x host"
# The whole suite takes about 25 min of wall time on an idle 2-core
# machine, sharing it with the debug kernel's run; 3600 s leaves room
# for a loaded one.
selftests/vmtest/run.sh --cpus 2 --job check --timeout 3600 "$@" 2>&1 | tee "$log/vmtest.out"
if ! grep -q '^vmtest: PASS' "$log/vmtest.out"; then
	fail=1
fi
read -r vp vf vs <<EOF
$(counts "$log/vmtest.out")
EOF

# Debian's QEMU on vmm and on kvm_intel (jobs/qemu.sh), its own boot of
# the emulated host (1 CPU, 1 GiB, QEMU in the initramfs): about 1 min
# on an idle machine, 2 min beside the debug run, which it runs after
# the main one so that two emulators share the two cores, not three.
# The debug run takes longer than the main one, so this costs no wall
# time then.  VMM_CHECK_QEMU=0 leaves it out.
qp=0 qf=0 qs=0
if [ "${VMM_CHECK_QEMU:-1}" != 0 ]; then
	echo "== QEMU on vmm and on KVM (emulated VT-x host; log: $log/vmtest-qemu.out)"
	VMTEST_DIR=${VMTEST_DIR:+$VMTEST_DIR-qemu} \
		selftests/vmtest/run.sh --job qemu --timeout 900 \
		> "$log/vmtest-qemu.out" 2>&1 < /dev/null
	grep -E '^(ok|not ok) |^# qemu on |^vmtest: (FAIL|PASS|time)' "$log/vmtest-qemu.out"
	read -r qp qf qs <<EOF
$(counts "$log/vmtest-qemu.out")
EOF
	if ! grep -q '^vmtest: PASS' "$log/vmtest-qemu.out"; then
		fail=1
		[ "$qf" -gt 0 ] || qf=1
	fi
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
echo "check took $(( $(date +%s) - t0 )) s"
[ -n "$vp" ] || { vf=$((${vf:-0} + 1)); fail=1; }
[ "$fail" -eq 0 ] || [ "$((uf + ${vf:-0} + qf + df))" -gt 0 ] || uf=$((uf + 1))
echo "total: $((up + ${vp:-0} + qp + dp)) passed, $((uf + ${vf:-0} + qf + df)) failed, $((us + ${vs:-0} + qs + ds)) skipped"
exit $fail
