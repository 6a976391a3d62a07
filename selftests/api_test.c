// SPDX-License-Identifier: GPL-2.0
/*
 * The system file descriptor: API version, capability queries, unknown
 * ioctls and many opens and closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/vmm.h>

#include "test_util.h"

static const char *dev = "/dev/vmm";

int main(int argc, char **argv)
{
	struct stat st;
	int fd, i, r;

	if (argc > 1)
		dev = argv[1];
	tap_plan(9);

	fd = open(dev, O_RDWR);
	if (fd < 0)
		tap_bail("open %s: %s", dev, strerror(errno));

	r = ioctl(fd, VMM_GET_API_VERSION, 0);
	tap_check(r == VMM_API_VERSION, "GET_API_VERSION is 12 (got %d)", r);

	r = ioctl(fd, VMM_GET_API_VERSION, 1);
	tap_check(r == -1 && errno == EINVAL,
		  "GET_API_VERSION with an argument is EINVAL");

	r = ioctl(fd, _IO(VMMIO, 0xff), 0);
	tap_check(r == -1 && errno == ENOTTY, "unknown ioctl number is ENOTTY");

	r = ioctl(fd, _IO('T', 0x01), 0);
	tap_check(r == -1 && errno == ENOTTY, "foreign ioctl type is ENOTTY");

	r = ioctl(fd, VMM_CHECK_EXTENSION, VMM_CAP_USER_MEMORY);
	tap_check(r == 1, "CHECK_EXTENSION(USER_MEMORY) is 1 (got %d)", r);

	r = ioctl(fd, VMM_CHECK_EXTENSION, 100000);
	tap_check(r == 0, "CHECK_EXTENSION of an unknown cap is 0 (got %d)", r);

	r = ioctl(fd, VMM_GET_VCPU_MMAP_SIZE, 0);
	tap_check(r >= 8192 && r % 4096 == 0,
		  "GET_VCPU_MMAP_SIZE holds run page and I/O page (got %d)", r);
	close(fd);

	r = 0;
	for (i = 0; i < 1000; i++) {
		int f = open(dev, O_RDWR);

		if (f < 0 || ioctl(f, VMM_GET_API_VERSION, 0) != VMM_API_VERSION) {
			r = -1;
			break;
		}
		close(f);
	}
	tap_check(r == 0, "open, query and close 1000 times (failed at %d)", i);

	r = stat(dev, &st);
	tap_check(r == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 0777) == 0600,
		  "%s is a character device with mode 0600 (mode %o)", dev,
		  st.st_mode & 0777);
	return tap_finish();
}
