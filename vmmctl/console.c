// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: the interactive console of `vmmctl run`.
 *
 * The UART (or the PC machine's thread) reads its input file descriptor
 * by itself, so the escape keys cannot be caught there: a thread of ours
 * reads the terminal, acts on Ctrl-A sequences and writes every other
 * byte into a pipe whose read end is the UART's input.
 *
 * The terminal is raw on the input side only (no line editing, no echo,
 * no signals from Ctrl-C/Ctrl-Z/Ctrl-\, no CR-to-NL or flow control, 8
 * bits): every key reaches the guest, which echoes what it wants.  Output
 * processing is kept as it was (normally OPOST with ONLCR): a Linux
 * serial console sends CR LF anyway, and the bare-metal guests that send
 * a lone LF still get their lines started at the left margin.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "args.h"
#include "console.h"

struct console {
	int pipe_rd, pipe_wr;	/* the UART reads pipe_rd */
	int wake_rd, wake_wr;	/* console_stop wakes the thread up */
	struct vmm_vm *vm;
	pthread_t thread;
	bool running;		/* the thread exists */
	bool escaped;		/* the thread's escape state */
	bool quit;		/* written by the thread, read after join */
};

/*
 * The terminal's settings before raw mode, for every way out: console_stop,
 * and exit() through atexit when vmmctl leaves another way.  SIGINT,
 * SIGTERM, SIGHUP and SIGALRM stop the VM (run_cmd.c), which goes through
 * console_stop; with ISIG off the keyboard sends no signal at all.  A
 * signal that kills (SIGQUIT from kill(1), a crash) restores it in
 * fatal_signal() and then kills as it would have.
 */
static struct termios saved_tio;
static volatile sig_atomic_t tio_raw;

static void restore_terminal(void)
{
	if (tio_raw) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		tio_raw = 0;
	}
}

/* tcsetattr() is async-signal-safe; the default action follows. */
static void fatal_signal(int sig)
{
	restore_terminal();
	raise(sig);
}

static const int fatal_signals[] = {
	SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
};

static int raw_terminal(void)
{
	static bool registered;
	struct sigaction sa = {
		.sa_handler = fatal_signal,
		/* Back to the default first, and raise() delivers at once. */
		.sa_flags = SA_RESETHAND | SA_NODEFER,
	};
	struct termios tio;
	size_t i;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	if (!registered) {
		if (atexit(restore_terminal))
			return -ENOMEM;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
			sigaction(fatal_signals[i], &sa, NULL);
		registered = true;
	}
	tio = saved_tio;
	tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				   IGNCR | ICRNL | IXON | IXOFF);
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	tio.c_cflag |= CS8;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	tio_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) < 0) {
		tio_raw = 0;
		return -errno;
	}
	return 0;
}

enum console_key console_escape(bool *escaped, uint8_t c)
{
	if (!*escaped) {
		if (c != CONSOLE_ESCAPE)
			return CONSOLE_SEND;
		*escaped = true;
		return CONSOLE_DROP;
	}
	*escaped = false;
	switch (c) {
	case CONSOLE_ESCAPE:
		return CONSOLE_SEND;
	case CONSOLE_KEY_QUIT:
		return CONSOLE_QUIT;
	case CONSOLE_KEY_HELP:
		return CONSOLE_HELP;
	default:
		return CONSOLE_DROP;
	}
}

static const char console_help[] =
"\nvmmctl console keys:\n"
"  Ctrl-A x       quit: stop the guest (exit status 130)\n"
"  Ctrl-A Ctrl-A  send Ctrl-A to the guest\n"
"  Ctrl-A h       this help\n";

/*
 * Write buf to the pipe.  Its write end does not block, so that a guest
 * that reads nothing cannot keep the thread from seeing console_stop:
 * wait for room or for the wake-up.  0, or -1 to end the thread.
 */
static int send_bytes(struct console *c, const uint8_t *buf, size_t len)
{
	while (len) {
		struct pollfd pfd[2] = {
			{ .fd = c->pipe_wr, .events = POLLOUT },
			{ .fd = c->wake_rd, .events = POLLIN },
		};
		ssize_t n = write(c->pipe_wr, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return -1;
		if (pfd[1].revents)
			return -1;
	}
	return 0;
}

static void *console_thread(void *arg)
{
	struct console *c = arg;
	uint8_t in[256], out[256];

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = c->wake_rd, .events = POLLIN },
		};
		size_t len = 0;
		bool quit = false;
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		n = read(STDIN_FILENO, in, sizeof(in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;	/* the terminal went away */
		for (ssize_t i = 0; i < n && !quit; i++) {
			switch (console_escape(&c->escaped, in[i])) {
			case CONSOLE_SEND:
				out[len++] = in[i];
				break;
			case CONSOLE_DROP:
				break;
			case CONSOLE_HELP:
				fputs(console_help, stderr);
				break;
			case CONSOLE_QUIT:
				quit = true;
				break;
			}
		}
		if (len && send_bytes(c, out, len))
			break;
		if (quit) {
			/* A stop that came first (timeout, signal) wins. */
			if (!vmm_vm_stop(c->vm, VMM_STOP_REQUEST,
					 VMMCTL_EXIT_QUIT))
				c->quit = true;
			fputc('\n', stderr);
			break;
		}
	}
	return NULL;
}

int console_open(struct console **consp, int *in_fd)
{
	struct console *c;
	int p[2], w[2];

	*consp = NULL;
	*in_fd = STDIN_FILENO;
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(c);
		return -errno;
	}
	/* Only the write end is non-blocking: the UART polls the read end. */
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0 ||
	    pipe2(w, O_CLOEXEC | O_NONBLOCK) < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		free(c);
		return err;
	}
	c->pipe_rd = p[0];
	c->pipe_wr = p[1];
	c->wake_rd = w[0];
	c->wake_wr = w[1];
	*consp = c;
	*in_fd = c->pipe_rd;
	return 0;
}

int console_start(struct console *c, struct vmm_vm *vm)
{
	sigset_t all, old;
	int ret;

	if (!c)
		return 0;
	c->vm = vm;
	ret = raw_terminal();
	if (ret)
		return ret;
	/* Signals are for the main thread: the thread inherits this mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&c->thread, NULL, console_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		restore_terminal();
		return ret;
	}
	c->running = true;
	return 0;
}

void console_stop(struct console *c)
{
	if (c && c->running) {
		if (write(c->wake_wr, "", 1) < 0)
			perror("vmmctl: waking the console thread");
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	restore_terminal();
}

bool console_quit(const struct console *c)
{
	return c && c->quit;
}

void console_close(struct console *c)
{
	if (!c)
		return;
	console_stop(c);
	close(c->pipe_rd);
	close(c->pipe_wr);
	close(c->wake_rd);
	close(c->wake_wr);
	free(c);
}
