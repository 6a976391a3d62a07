// SPDX-License-Identifier: GPL-2.0
/*
 * e9pipe: copy standard input to I/O port 0xe9, which Bochs (with
 * "port_e9_hack: enabled=1") writes to its standard output at once.
 *
 * The guest's /init sends the job's output through it.  A UART would
 * have to be emulated at 115200 baud, which costs emulated time for every
 * character (and much more with two CPUs, where Bochs cannot skip idle
 * time), and it loses what is still in its buffer when the guest
 * crashes.  Port 0xe9 has neither problem.
 *
 * Exits 0 at the end of its input, 2 if it may not use the port, 3 if
 * the port is not Bochs' (reading it does not give 0xe9).  Built without
 * libc: gcc -static -nostdlib.
 */

#define SYS_read	0
#define SYS_exit	60
#define SYS_ioperm	173
#define EINTR		4
#define E9		0xe9

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

static void __attribute__((noreturn)) sys_exit(int status)
{
	for (;;)
		syscall3(SYS_exit, status, 0, 0);
}

static char buf[4096];

void __attribute__((noreturn, force_align_arg_pointer)) _start(void)
{
	unsigned char probe;
	const char *p;
	long n;

	if (syscall3(SYS_ioperm, E9, 1, 1) < 0)
		sys_exit(2);
	asm volatile("inb %w1, %0" : "=a"(probe) : "Nd"(E9));
	if (probe != E9)
		sys_exit(3);

	for (;;) {
		n = syscall3(SYS_read, 0, (long)buf, sizeof(buf));
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		p = buf;
		asm volatile("rep outsb"
			     : "+S"(p), "+c"(n)
			     : "d"(E9)
			     : "memory");
	}
	sys_exit(n < 0);
}
