// SPDX-License-Identifier: GPL-2.0
/*
 * pty_run: run a command on a new pseudo-terminal and talk to it like a
 * user at a terminal, for the tests of interactive programs (vmmctl's
 * console).
 *
 *	pty_run [-t SECONDS] STEP... -- COMMAND [ARG...]
 *
 * Steps, in order: "-e TEXT" waits until the command's output so far
 * contains TEXT (after the point the previous -e matched); "-s TEXT"
 * types TEXT, where \n, \r, \\ and \xHH are escapes (\x01 is Ctrl-A);
 * "-k N" sends the command signal N.
 * Everything the command prints is copied to stdout.  When the steps
 * are done, pty_run waits for the command to exit.
 *
 * Exit status: the command's (128 + N if signal N killed it), or 124 if
 * a step or the exit did not come within the time limit (-t, default
 * 60 s per step), 125 if pty_run itself failed, 126 if the command left
 * the terminal in another mode than it found it (raw mode not undone).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char out[1 << 20];
static size_t out_len, matched;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what the command printed within ms; 0 on EOF (command gone). */
static int pump(int master, int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 1;
	n = read(master, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	if (out_len + (size_t)n < sizeof(out) - 1) {
		memcpy(out + out_len, buf, (size_t)n);
		out_len += (size_t)n;
		out[out_len] = '\0';
	}
	return 1;
}

static size_t unescape(const char *s, char *d)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\' || !s[1]) {
			d[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': d[n++] = '\n'; s++; break;
		case 'r': d[n++] = '\r'; s++; break;
		case 'x': {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };

			d[n++] = (char)strtol(hex, NULL, 16);
			s += 1 + strlen(hex);
			break;
		}
		default: d[n++] = *s++; break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct termios before, after;
	double limit = 60;
	int master, slave, i, status, first_cmd;
	pid_t pid;

	for (first_cmd = 1; first_cmd < argc; first_cmd++)
		if (!strcmp(argv[first_cmd], "--"))
			break;
	if (first_cmd + 1 >= argc) {
		fprintf(stderr, "usage: pty_run [-t S] [-e TEXT|-s TEXT|-k N]... -- COMMAND...\n");
		return 125;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("pty_run: posix_openpt");
		return 125;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || tcgetattr(slave, &before)) {
		perror("pty_run: slave");
		return 125;
	}
	pid = fork();
	if (pid < 0)
		return 125;
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		if (slave > 2)
			close(slave);
		execvp(argv[first_cmd + 1], argv + first_cmd + 1);
		perror("pty_run: exec");
		_exit(125);
	}

	for (i = 1; i < first_cmd; i++) {
		const char *opt = argv[i], *arg = i + 1 < first_cmd ? argv[i + 1] : NULL;

		if (!arg) {
			fprintf(stderr, "pty_run: %s needs an argument\n", opt);
			goto killed;
		}
		i++;
		if (!strcmp(opt, "-t")) {
			limit = atof(arg);
		} else if (!strcmp(opt, "-s")) {
			char buf[4096];
			size_t n = unescape(arg, buf);

			if (write(master, buf, n) != (ssize_t)n)
				goto killed;
		} else if (!strcmp(opt, "-k")) {
			if (kill(pid, atoi(arg)))
				goto killed;
		} else if (!strcmp(opt, "-e")) {
			double end = now() + limit;
			char *at;

			while (!(at = strstr(out + matched, arg))) {
				if (now() > end) {
					fprintf(stderr, "\npty_run: no \"%s\" within %.0f s\n",
						arg, limit);
					goto killed;
				}
				if (!pump(master, 100))
					break;
			}
			if (!at) {
				fprintf(stderr, "\npty_run: the command ended before \"%s\"\n", arg);
				goto wait;
			}
			matched = (size_t)(at - out) + strlen(arg);
		} else {
			fprintf(stderr, "pty_run: unknown step %s\n", opt);
			goto killed;
		}
	}

wait:
	{
		double end = now() + limit;

		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (now() > end) {
				fprintf(stderr, "\npty_run: the command did not exit within %.0f s\n",
					limit);
				goto killed;
			}
			pump(master, 100);
		}
		while (pump(master, 0) && out_len < sizeof(out) - 1 &&
		       poll(&(struct pollfd){ .fd = master, .events = POLLIN }, 1, 0) > 0)
			;
	}
	if (i < first_cmd)
		return 124;
	if (tcgetattr(slave, &after) == 0 &&
	    (before.c_lflag != after.c_lflag || before.c_iflag != after.c_iflag ||
	     before.c_oflag != after.c_oflag)) {
		fprintf(stderr, "\npty_run: the terminal was left in another mode (lflag %#x, was %#x)\n",
			after.c_lflag, before.c_lflag);
		return 126;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);

killed:
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 124;
}
