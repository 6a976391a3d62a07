# SPDX-License-Identifier: GPL-2.0
#
# Verdict on one run of the emulated VT-x host, from its two serial logs.
# POSIX awk (mawk on a new Debian machine).  Called by run.sh as
#
#   awk -v timed_out=SECONDS -v headline=FILE -f verdict.awk channel.log serial.log
#
# With -v boot_strict=1 (the debug kernel, which is ours) the kernel's
# reports at boot, before the job started, fail the run too.
#
# channel.log is what the guest's /init and the job sent to the host
# (markers, TAP, the kernel log of the job): job.log, from port 0xe9,
# followed by jobtty.log, e9pipe's fallback serial port.  serial.log is
# the kernel console.
#
# Prints the problems it finds, one per line, then the totals line
# "vmtest: N passed, N failed, N skipped"; writes a one-line reason
# ("PASS" when there is none) to the file named by headline and exits 1
# on failure.
#
# Counting: a top-level result whose program printed nested TAP counts
# as its nested results (each nested ok/not ok/SKIP is one leaf); a
# top-level result without nested results is itself one leaf.  A program
# reported "not ok" although all its nested results passed adds one
# failure.  "not ok ... # TODO" counts as skipped.  See
# Documentation/testing.rst.

BEGIN {
	state = 0		# 0 boot, 1 job, 2 after job, 3 kmsg, 4 done
	plan = -1; cnt = 0
	npass = 0; nfail = 0; nskip = 0
	nested_reset()
	nprob = 0; best = 99; nkern = 0
	status = ""; isolinux = 0
	if (timed_out != "" && timed_out > 0)
		problem(1, "timeout: no end marker after " timed_out " s")
}

function nested_reset() {
	nplan = -1; ncnt = 0; np = 0; nf = 0; ns = 0
}

# problem(PRIORITY, TEXT): lower priorities make the headline.
function problem(prio, text) {
	print "vmtest: " text
	nprob++
	if (prio < best) {
		best = prio
		head = text
	}
}

function kernel_bad(s) {
	return s ~ /BUG:|WARNING:|Oops|general protection fault|Kernel panic|kernel BUG at|possible recursive locking|circular locking dependency|INFO: possible|blocked for more than|RCU stall|detected stall|self-detected stall|soft lockup|hard LOCKUP|UBSAN:|KASAN:|KFENCE:|Call Trace:|refcount_t:|list_add corruption|list_del corruption|double fault/ ||
		debug_bad(s)
}

# What only the debug kernel's checkers print (debug-kernel.config), when
# no BUG:/WARNING: line comes with it.
function debug_bad(s) {
	return s ~ /ODEBUG:|INFO: trying to register non-static key|DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|sleeping function called from invalid context|suspicious RCU usage|using smp_processor_id\(\) in preemptible|list_(add|del) corruption|slab-out-of-bounds|use-after-free/
}

function kernel_issue(s) {
	if (s in kseen)
		return
	kseen[s] = 1
	if (++nkern > 12) {
		if (nkern == 13)
			print "vmtest: kernel: more in the serial log"
		return
	}
	problem(s ~ /Kernel panic/ ? 2 : 5, (FILENAME != ARGV[1] && !console_job ? "kernel at boot: " : "kernel: ") s)
}

# 1 for bit B of N.
function bit(n, b) {
	return int(n / (2 ^ b)) % 2
}

function classify(s) {
	if (s ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
		return "skip"
	if (s ~ /^not ok/)
		return (s ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) ? "skip" : "fail"
	return "pass"
}

function tap(s,    depth, c, name, n) {
	depth = 0
	while (substr(s, 1, 2) == "# ") {
		s = substr(s, 3)
		depth++
	}
	if (depth > 1)
		return
	if (s ~ /^Bail out!/) {
		problem(8, "TAP: " s)
		return
	}
	if (s ~ /^1\.\.[0-9]+/) {
		n = s
		sub(/^1\.\./, "", n)
		n = int(n)
		if (depth == 1) {
			if (nplan >= 0)
				problem(8, "TAP: a second nested plan: " s)
			nplan = n
		} else {
			if (plan >= 0)
				problem(8, "TAP: a second plan: " s)
			plan = n
		}
		return
	}
	if (s !~ /^(not )?ok([ \t]|$)/)
		return

	c = classify(s)
	if (depth == 1) {
		ncnt++
		if (c == "pass") np++
		else if (c == "skip") ns++
		else nfailed[++nf] = s
		return
	}

	cnt++
	name = s
	sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(- )?/, "", name)
	sub(/[ \t]*#.*$/, "", name)
	if (ncnt > 0) {
		if (nplan < 0)
			problem(8, "TAP: " name ": nested results without a plan")
		else if (ncnt != nplan)
			problem(8, "TAP: " name ": planned " nplan " nested tests, ran " ncnt)
		npass += np; nskip += ns; nfail += nf
		for (i = 1; i <= nf; i++)
			problem(9, "failed: " name ": " nfailed[i])
		if (c == "fail" && nf == 0) {
			nfail++
			problem(9, "failed: " s)
		}
	} else {
		if (nplan > 0)
			problem(8, "TAP: " name ": planned " nplan " nested tests, ran none")
		if (c == "pass") npass++
		else if (c == "skip") nskip++
		else {
			nfail++
			problem(9, "failed: " s)
		}
	}
	nested_reset()
}

{
	gsub(/\r/, "")
	line = $0
}

# ---- the job channel (job.log): markers, the job's TAP, the kernel log

FILENAME == ARGV[1] && state == 0 {
	if (index(line, "<<<vmtest start ")) {
		state = 1
		started = 1
	}
	next
}
FILENAME == ARGV[1] && index(line, "<<<vmtest start ") {
	problem(3, "the guest started a second time (it rebooted)")
	next
}
FILENAME == ARGV[1] && index(line, "<<<vmtest status ") {
	status = line
	sub(/.*<<<vmtest status /, "", status)
	sub(/>>>.*/, "", status)
	state = 2
	next
}
FILENAME == ARGV[1] && index(line, "<<<vmtest taint ") {
	t = line
	sub(/.*before=/, "", t); tb = int(t)
	t = line
	sub(/.*after=/, "", t); ta = int(t)
	# D (died), W (warned), B (bad page), M (machine check), L (soft lockup)
	split("7 D 9 W 5 B 4 M 14 L", tbits, " ")
	for (i = 1; i < 10; i += 2)
		if (bit(ta, tbits[i]) && !bit(tb, tbits[i]))
			problem(6, "the kernel became tainted '" tbits[i + 1] "' during the job (taint " tb " -> " ta ")")
	next
}
FILENAME == ARGV[1] && index(line, "<<<vmtest kmsg begin>>>") {
	state = 3
	next
}
FILENAME == ARGV[1] && index(line, "<<<vmtest kmsg end>>>") {
	state = 2
	next
}
FILENAME == ARGV[1] && index(line, "<<<vmtest end>>>") {
	ended = 1
	state = 4
	next
}
# A check of the job that is not a TAP result (lib.sh: vmtest_error).
FILENAME == ARGV[1] && state >= 1 && state != 3 && line ~ /^(# )*vmtest-error: / {
	sub(/^(# )*vmtest-error: /, "", line)
	problem(6, line)
	next
}
FILENAME == ARGV[1] {
	if (state == 1)
		tap(line)
	else if (state == 3 && kernel_bad(line))
		kernel_issue(line)
	next
}

# ---- the kernel console (serial.log)

line ~ /^ISOLINUX [0-9]/ {
	if (++isolinux > 1)
		problem(3, "the guest rebooted")
	next
}
index(line, "<<<vmtest start ") {
	console_job = 1
	next
}
index(line, "vmtest: e9pipe: port 0xe9 access faulted") {
	problem(5, "user-space port I/O faulted in the guest (#GP on OUTSB): the TSS limit is not reloaded after VM exits?")
	next
}
console_job || line ~ /Kernel panic/ || boot_strict == 1 {
	if (kernel_bad(line))
		kernel_issue(substr(line, match(line, /\[ *[0-9]+\.[0-9]+\] /) ? RSTART : 1))
}

END {
	if (!started) {
		problem(4, "no start marker: the guest never reached /init")
	} else {
		if (ncnt > 0 || nplan >= 0)
			problem(8, "TAP: nested results after the last top-level result (a program did not finish)")
		if (plan < 0)
			problem(8, "TAP: no plan")
		else if (cnt != plan)
			problem(8, "TAP: planned " plan " tests, ran " cnt)
		if (status == "")
			problem(7, "the job did not finish (no status marker)")
		else if (status != "0")
			problem(10, "the job exited with status " status)
		if (!ended)
			problem(7, "no end marker: the guest stopped or hung before the end")
	}
	print "vmtest: " npass " passed, " nfail " failed, " nskip " skipped"
	if (nprob == 0)
		head = "PASS"
	else if (best == 9 && nfail > 1)
		head = nfail " tests failed, first: " substr(head, 9)
	if (headline != "")
		print head > headline
	exit nprob ? 1 : 0
}
