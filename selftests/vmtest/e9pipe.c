// SPDX-License-Identifier: GPL-2.0
/*
 * e9pipe [FALLBACK]: copy standard input to I/O port 0xe9, which Bochs
 * (with "port_e9_hack: enabled=1") writes to its standard output at once.
 *
 * The guest's /init sends the job's output through it.  A UART would
 * have to be emulated at 115200 baud, which costs emulated time for every
 * character (and much more with two CPUs, where Bochs cannot skip idle
 * time), and it loses what is still in its buffer when the guest
 * crashes.  Port 0xe9 has neither problem.
 *
 * User-space port I/O depends on the I/O bitmap at the end of the TSS.
 * A VM exit sets the TR limit to 0x67, which cuts the bitmap off; a
 * hypervisor must have Linux reload TR (invalidate_tss_limit()) before
 * user space runs again.  If that is missing, OUTSB raises #GP here: then
 * the rest of the output goes to FALLBACK (a serial port), nothing is
 * lost, and one line on standard error says what happened.
 *
 * Exits 0 at the end of its input, 2 if it may not use the port, 3 if
 * the port is not Bochs' (reading it does not give 0xe9).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <ucontext.h>
#include <unistd.h>

#define E9 0xe9

/* The address of the OUTSB below, to recognise its #GP. */
extern const char e9_outsb[];

static volatile sig_atomic_t faulted;
static int fallback = -1;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *rip = &uc->uc_mcontext.gregs[REG_RIP];

	(void)si;
	if (*rip != (greg_t)e9_outsb) {
		signal(sig, SIG_DFL);	/* not ours: fault again, die */
		return;
	}
	/* Skip REP OUTSB (f3 6e); RSI and RCX say what is left. */
	*rip += 2;
	faulted = 1;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

/* Send n bytes to port 0xe9; returns how many were not sent. */
static __attribute__((noinline)) size_t outsb_e9(const char *p, size_t n)
{
	asm volatile(".globl e9_outsb\n"
		     "e9_outsb: rep outsb"
		     : "+S"(p), "+c"(n)
		     : "d"((unsigned short)E9)
		     : "memory");
	return n;
}

static int put(const char *p, size_t n)
{
	size_t left;

	if (!faulted) {
		left = outsb_e9(p, n);
		if (!faulted)
			return 0;
		fprintf(stderr, "vmtest: e9pipe: port 0xe9 access faulted (#GP): "
			"user-space port I/O is broken, is the TSS limit reloaded "
			"after VM exits? The job's output goes on on ttyS1.\n");
		p += n - left;
		n = left;
	}
	return fallback < 0 ? -1 : write_all(fallback, p, n);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	static char buf[4096];
	ssize_t n;

	if (ioperm(E9, 1, 1))
		return 2;
	if (inb(E9) != E9)
		return 3;
	if (argc > 1)
		fallback = open(argv[1], O_WRONLY | O_NOCTTY);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (put(buf, n))
			return 1;
	}
	return n < 0;
}
