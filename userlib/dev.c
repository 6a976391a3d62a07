// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the device handle and the system-wide queries.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

long vmm__ioctl(int fd, unsigned long req, void *arg)
{
	long ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

int vmm_open(const char *path, struct vmm_dev **devp)
{
	struct vmm_dev *dev;
	long ver;
	int fd;

	if (!devp)
		return -EINVAL;
	*devp = NULL;
	if (!path)
		path = VMM_DEFAULT_DEVICE;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	ver = vmm__ioctl(fd, VMM_GET_API_VERSION, NULL);
	if (ver != VMM_API_VERSION) {
		close(fd);
		return ver < 0 ? (int)ver : -EPROTO;
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev || !(dev->path = strdup(path))) {
		free(dev);
		close(fd);
		return -ENOMEM;
	}
	dev->fd = fd;
	*devp = dev;
	return 0;
}

void vmm_close(struct vmm_dev *dev)
{
	if (!dev)
		return;
	close(dev->fd);
	free(dev->path);
	free(dev);
}

int vmm_dev_fd(const struct vmm_dev *dev)
{
	return dev->fd;
}

const char *vmm_dev_path(const struct vmm_dev *dev)
{
	return dev->path;
}

int vmm_api_version(struct vmm_dev *dev)
{
	return (int)vmm__ioctl(dev->fd, VMM_GET_API_VERSION, NULL);
}

int vmm_check_extension(struct vmm_dev *dev, unsigned int cap)
{
	return (int)vmm__ioctl(dev->fd, VMM_CHECK_EXTENSION,
			       (void *)(uintptr_t)cap);
}

int vmm_vcpu_mmap_size(struct vmm_dev *dev)
{
	return (int)vmm__ioctl(dev->fd, VMM_GET_VCPU_MMAP_SIZE, NULL);
}

/* Upper bound on the entries we are willing to allocate for a list. */
#define VMM_LIST_MAX	65536U

int vmm_get_supported_cpuid(struct vmm_dev *dev, struct vmm_cpuid2 **listp)
{
	uint32_t n = 64;

	*listp = NULL;
	for (;;) {
		struct vmm_cpuid2 *l;
		long ret;

		l = calloc(1, sizeof(*l) + n * sizeof(l->entries[0]));
		if (!l)
			return -ENOMEM;
		l->nent = n;
		ret = vmm__ioctl(dev->fd, VMM_GET_SUPPORTED_CPUID, l);
		if (ret >= 0) {
			*listp = l;
			return 0;
		}
		free(l);
		if (ret != -E2BIG || n >= VMM_LIST_MAX)
			return (int)ret;
		n *= 2;
	}
}

int vmm_get_msr_index_list(struct vmm_dev *dev, struct vmm_msr_list **listp)
{
	uint32_t n = 64;

	*listp = NULL;
	for (;;) {
		struct vmm_msr_list *l;
		long ret;

		l = calloc(1, sizeof(*l) + n * sizeof(l->indices[0]));
		if (!l)
			return -ENOMEM;
		l->nmsrs = n;
		ret = vmm__ioctl(dev->fd, VMM_GET_MSR_INDEX_LIST, l);
		if (ret >= 0) {
			*listp = l;
			return 0;
		}
		if (ret != -E2BIG || n >= VMM_LIST_MAX) {
			free(l);
			return (int)ret;
		}
		/* The module reports the count it needs; at least double. */
		n = l->nmsrs > n ? l->nmsrs : 2 * n;
		free(l);
	}
}

struct vmm_cpuid_entry2 *vmm_cpuid_find(struct vmm_cpuid2 *list,
					uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; list && i < list->nent; i++) {
		struct vmm_cpuid_entry2 *e = &list->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & VMM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	errno = ENOENT;
	return NULL;
}
