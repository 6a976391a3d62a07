/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmctl: the interactive console of `vmmctl run`: the terminal in raw
 * mode, its keys through an escape filter into a pipe that the guest's
 * UART reads.
 */
#ifndef VMMCTL_CONSOLE_H
#define VMMCTL_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

/* The escape key, Ctrl-A, and the keys after it. */
#define CONSOLE_ESCAPE		0x01
#define CONSOLE_KEY_QUIT	'x'
#define CONSOLE_KEY_HELP	'h'

/* What to do with a key from the terminal (console_escape). */
enum console_key {
	CONSOLE_SEND,	/* pass the byte to the guest */
	CONSOLE_DROP,	/* nothing: the escape key, or an unknown command */
	CONSOLE_QUIT,	/* Ctrl-A x */
	CONSOLE_HELP,	/* Ctrl-A h */
};

/*
 * console_escape: the escape filter, one byte c at a time; *escaped
 * (false at the start) says whether the previous byte was a lone
 * Ctrl-A.  Ctrl-A Ctrl-A sends one Ctrl-A (c itself).
 */
enum console_key console_escape(bool *escaped, uint8_t c);

struct console;

/*
 * console_open: decide where the UART's input comes from.  If standard
 * input is a terminal and vmmctl is in its foreground process group,
 * *consp is a new console and *in_fd the read end of its pipe; otherwise
 * *consp is NULL and *in_fd is STDIN_FILENO, so that piped input reaches
 * the guest byte for byte.  Nothing changes in the terminal yet.
 * Returns 0 or -errno.
 */
int console_open(struct console **consp, int *in_fd);

/*
 * console_start: raw mode and the thread that reads the terminal, just
 * before vm runs.  Ctrl-A x stops vm with VMM_STOP_REQUEST, code
 * VMMCTL_EXIT_QUIT.  The terminal is restored by console_stop, and at
 * exit if vmmctl leaves another way.  NULL cons: nothing.  0 or -errno.
 */
int console_start(struct console *cons, struct vmm_vm *vm);

/* console_stop: end the thread and restore the terminal.  Idempotent. */
void console_stop(struct console *cons);

/* console_quit: true if the VM stopped because of Ctrl-A x. */
bool console_quit(const struct console *cons);

/*
 * console_close: console_stop, close the pipe and free cons (after the
 * UART reading it is gone).  NULL is ignored.
 */
void console_close(struct console *cons);

#endif /* VMMCTL_CONSOLE_H */
