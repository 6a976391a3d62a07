#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest-style runner: runs every test in tests.list (one per line, in
# order), nests each one's TAP output under "# ", and prints one result
# line per test.  Exit 0 when none failed.  Before each result line,
# "# time: N.N s (guest clock)": the test's duration on this machine's
# clock (in the emulated host, emulated seconds: Bochs' clock follows the
# instruction count, not the wall clock).
cd "$(dirname "$0")" || exit 1
# VMM_TESTS=a,b,c runs only those (vmtest.sh --tests).
if [ -n "${VMM_TESTS:-}" ]; then
	tests=$(echo "$VMM_TESTS" | tr ',' ' ')
else
	tests=$(grep -v '^#' tests.list)
fi
set -- $tests
echo "TAP version 13"
echo "1..$#"
i=0 rc=0
tmo=${VMM_TEST_TIMEOUT:-900}
uptime() { cut -d' ' -f1 /proc/uptime 2>/dev/null || echo 0; }
for t in "$@"; do
	i=$((i + 1))
	echo "# selftests: vmm: $t"
	t0=$(uptime)
	{ timeout "$tmo" "./$t" 2>&1; echo $? > /tmp/vmm-test.rc; } |
		while IFS= read -r l; do echo "# $l"; done
	s=$(cat /tmp/vmm-test.rc)
	echo "# time: $(awk -v a="$t0" -v b="$(uptime)" 'BEGIN { printf "%.1f", b - a }') s (guest clock)"
	case $s in
	0) echo "ok $i selftests: vmm: $t" ;;
	4) echo "ok $i selftests: vmm: $t # SKIP" ;;
	*) echo "not ok $i selftests: vmm: $t # exit=$s"; rc=1 ;;
	esac
done
exit $rc
