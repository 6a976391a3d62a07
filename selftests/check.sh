#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything that can be tested, in one go.
#   1. the kernel-side static checks (checkpatch --strict, sparse, W=1),
#      the host unit tests (no VT-x needed) and the decoder fuzzing
#   2. the selftests in the emulated VT-x host, on Debian's 6.1 and 6.12
#      cloud kernels: the tests listed in selftests/smp.list (cross-CPU
#      kicks, races, per-CPU VMX state, hotplug) in a 2-CPU host, the
#      rest in a 1-CPU host, where Bochs skips the guest's idle time
#      (with two CPUs it cannot: a test that waits costs several times
#      more)
#   3. the lifetime/locking selftests on the debug kernel (KASAN, lockdep,
#      kmemleak...), 2 CPUs; the first run builds that kernel (then cached)
#   4. Debian's QEMU booting a guest on vmm and on KVM (jobs/qemu.sh)
# Each emulator is single-threaded: two workers, one per core, take the
# emulated-host runs from one queue, longest first (the debug kernel's
# on the first worker, while the second does 1 and then the rest).
# Prints the totals of each part, the wall time each part took and the
# slowest tests of each emulated-host run (every test's time is in the
# logs, "vmtest-time: NAME SECONDS s"), then a final line for CI; exits
# non-zero if anything failed.
#   5. the Debian packages: built, lintian, installed, DKMS builds the
#      module (scripts/packages.sh); a 1-CPU host runs the example guests
#      with that module and the packaged vmmctl (jobs/packages.sh)
# VMM_CHECK_DEBUG=0, VMM_CHECK_612=0, VMM_CHECK_QEMU=0, VMM_CHECK_PACKAGES=0
# leave a part out.
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

# The emulated-host runs, longest first: NAME, then run.sh's arguments.
# On 6.12 the time-bounded stress loops run shorter: 6.1 runs them
# longer, and the debug kernel with every checker on.
runs()
{
	_smp=$(paste -s -d, selftests/smp.list)
	_up=$(grep -v -x -F -f selftests/smp.list selftests/tests.list |
		paste -s -d,)
	[ "${VMM_CHECK_DEBUG:-1}" = 0 ] ||
		echo "debug --kernel debug --cpus 2 --job debug"
	echo "6.1-smp --kernel 6.1 --cpus 2 --tests $_smp"
	[ "${VMM_CHECK_612:-1}" = 0 ] ||
		echo "6.12-smp --kernel 6.12 --cpus 2 --tests $_smp --env VMM_FUZZ_SECONDS=3 --env VMM_ONOFF_CYCLES=2 --env VMM_HOTPLUG_SECS=3"
	echo "6.1-up --kernel 6.1 --cpus 1 --tests $_up"
	[ "${VMM_CHECK_612:-1}" = 0 ] ||
		echo "6.12-up --kernel 6.12 --cpus 1 --tests $_up"
	[ "${VMM_CHECK_QEMU:-1}" = 0 ] ||
		echo "qemu --job qemu"
	[ "${VMM_CHECK_PACKAGES:-1}" = 0 ] ||
		echo "packages --cpus 1 --job packages --packages $log/packages"
}

# run_one NAME ARGS...: one emulated-host run, its output (with the
# tests' times) in $log/vmtest-NAME.out.
run_one()
{
	_n=$1
	shift
	_t=$(date +%s)
	echo "== $_n: run.sh $*" | cut -c1-150
	# A work directory per run: two runs may share a kernel and a CPU
	# count (6.1-up and packages), and run.sh's default would collide.
	VMTEST_DIR=${VMTEST_DIR:-/tmp/vmtest-check}-$_n \
		selftests/vmtest/run.sh --timeout 3600 "$@" 2>&1 < /dev/null |
		stamp > "$log/vmtest-$_n.out"
	took "$_n" "$_t"
	grep -E '^vmtest: (PASS|FAIL|time)' "$log/vmtest-$_n.out" |
		sed "s/^/   $_n: /"
}

# worker: the runs nobody has claimed yet (mkdir is atomic), in order.
worker()
{
	runs | while read -r _n _args; do
		mkdir "$log/claim.$_n" 2>/dev/null || continue
		# The packages run needs what scripts/packages.sh built.
		if [ "$_n" = packages ]; then
			while [ ! -e "$log/packages.rc" ]; do sleep 5; done
			if [ "$(cat "$log/packages.rc")" != 0 ]; then
				echo "vmtest: FAIL: scripts/packages.sh failed: nothing to boot with" > "$log/vmtest-$_n.out"
				continue
			fi
		fi
		# shellcheck disable=SC2086
		run_one "$_n" $_args
	done
}

mkdir -p "$log"
rm -rf "$log"/claim.* "$log/times" "$log"/vmtest-*.out "$log/packages.rc"
t0=$(date +%s)
fail=0

# The first worker starts at once, with the longest run.
echo "== emulated VT-x hosts: two workers (logs: $log/vmtest-*.out)"
worker &
wpid=$!

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

# The Debian packages: built, checked with lintian, installed here, the
# module built by DKMS for the 6.1 cloud kernel; the "packages" run boots
# with that module and the packaged vmmctl.
pp=0 pf=0
if [ "${VMM_CHECK_PACKAGES:-1}" != 0 ]; then
	echo "== Debian packages and DKMS (log: $log/packages.out)"
	t=$(date +%s)
	VMM_PACKAGES_DIR=$log/packages scripts/packages.sh > "$log/packages.out" 2>&1
	echo $? > "$log/packages.rc"
	grep -E '^(not ok|# packages:)' "$log/packages.out"
	pp=$(grep -c '^ok ' "$log/packages.out")
	pf=$(grep -c '^not ok ' "$log/packages.out")
	[ "$(cat "$log/packages.rc")" = 0 ] || { fail=1; [ "$pf" -gt 0 ] || pf=1; }
	took packages "$t"
fi

# The second worker.
worker
wait "$wpid"

# Every run's verdict: the problems, the totals, the times.
vp=0 vf=0 vs=0
summary=
for _n in $(runs | cut -d' ' -f1); do
	_o=$log/vmtest-$_n.out
	echo "== $_n ($_o)"
	grep -E '^vmtest: ' "$_o" 2>/dev/null |
		grep -v -E '^vmtest: (apt-get|installing|building|booting|image)' |
		tail -n 30
	read -r p f k <<EOF
$(counts "$_o" 2>/dev/null)
EOF
	if ! grep -q '^vmtest: PASS' "$_o" 2>/dev/null; then
		fail=1
		# A kernel report fails a run with every test passed.
		[ "$f" -gt 0 ] || f=1
	fi
	vp=$((vp + p)) vf=$((vf + f)) vs=$((vs + k))
	summary="$summary$_n: $p passed, $f failed, $k skipped
"
done

echo
echo "unit: $up passed, $uf failed, $us skipped"
[ "${VMM_CHECK_PACKAGES:-1}" = 0 ] ||
	echo "packages (build, lintian, install, dkms): $pp passed, $pf failed"
printf '%s' "$summary"
echo "times: $(awk '{ printf "%s%s %d s", (NR > 1) ? ", " : "", $1, $2 }' "$log/times" 2>/dev/null)"
for _n in $(runs | cut -d' ' -f1); do
	[ "$_n" = qemu ] ||
		echo "slowest tests, $_n: $(slowest "$log/vmtest-$_n.out")"
done
echo "check took $(( $(date +%s) - t0 )) s"
[ "$fail" -eq 0 ] || [ "$((uf + vf + pf))" -gt 0 ] || uf=$((uf + 1))
echo "total: $((up + vp + pp)) passed, $((uf + vf + pf)) failed, $((us + vs)) skipped"
exit $fail
