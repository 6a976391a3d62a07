// SPDX-License-Identifier: GPL-2.0
/*
 * as_user: run a command as another user, for the shell tests (the
 * emulated host has busybox only, whose su needs a passwd entry).
 *
 *   as_user UID[:GID] COMMAND [ARG...]
 *
 * Drops the supplementary groups, sets the real, effective and saved
 * group id to GID (default: UID) and user id to UID, then executes
 * COMMAND (looked up in PATH).  Exit status 126 if the switch or the
 * exec fails, else that of COMMAND.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *v > 0xfffffffeUL ? -1 : (int)(end - s);
}

int main(int argc, char **argv)
{
	unsigned long uid, gid;
	int n;

	if (argc < 3) {
		fprintf(stderr, "usage: as_user UID[:GID] COMMAND [ARG...]\n");
		return 126;
	}
	n = parse_id(argv[1], &uid);
	if (n < 0 || (argv[1][n] && argv[1][n] != ':')) {
		fprintf(stderr, "as_user: bad UID[:GID] '%s'\n", argv[1]);
		return 126;
	}
	gid = uid;
	if (argv[1][n] == ':' &&
	    (parse_id(argv[1] + n + 1, &gid) < 0 ||
	     argv[1][n + 1 + parse_id(argv[1] + n + 1, &gid)])) {
		fprintf(stderr, "as_user: bad GID in '%s'\n", argv[1]);
		return 126;
	}
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "as_user: switching to %lu:%lu: %s\n", uid, gid,
			strerror(errno));
		return 126;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "as_user: %s: %s\n", argv[2], strerror(errno));
	return 126;
}
