#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap_run.sh PROGRAM...: run test programs as TAP 13 subtests, the way
# kselftest's runner does: each program's output is passed through as
# "# " diagnostics, followed by one result line for it.  Exit codes:
# 0 pass, 4 skip, anything else (or a timeout) fail.  The script exits 1
# if any program failed, else 0.
#
# Environment: TAP_TIMEOUT seconds per program (default 300, 0 = none).

timeout_s=${TAP_TIMEOUT:-300}
pass=0
fail=0
skip=0
i=0

echo "TAP version 13"
echo "1..$#"
for prog in "$@"; do
	i=$((i + 1))
	name=$(basename "$prog")
	echo "# selftests: $name"
	if [ "$timeout_s" != 0 ] && command -v timeout >/dev/null; then
		timeout "$timeout_s" "$prog" 2>&1 | sed -u 's/^/# /'
	else
		"$prog" 2>&1 | sed -u 's/^/# /'
	fi
	rc=${PIPESTATUS[0]}
	case $rc in
	0)
		echo "ok $i $name"
		pass=$((pass + 1))
		;;
	4)
		echo "ok $i $name # SKIP"
		skip=$((skip + 1))
		;;
	124)
		echo "not ok $i $name # TIMEOUT ${timeout_s}s"
		fail=$((fail + 1))
		;;
	*)
		echo "not ok $i $name # exit=$rc"
		fail=$((fail + 1))
		;;
	esac
done
echo "# Totals: pass:$pass fail:$fail skip:$skip"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
