# SPDX-License-Identifier: GPL-2.0
#
# Top-level build of vmm: the kernel module (through Kbuild), libvmm,
# vmmctl and the selftests.  `make check` runs every test, `make demo`
# boots the emulated VT-x host and runs the example guests.

# Headers to build the module against: the running kernel's, else the
# newest Debian headers package installed.
ifeq ($(origin KDIR),undefined)
KDIR := $(wildcard /lib/modules/$(shell uname -r)/build)
ifeq ($(KDIR),)
KDIR := $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
endif
endif

VMTEST := selftests/vmtest/run.sh

.PHONY: all kmod userlib vmmctl selftests check unit demo bench lint clean install
.PHONY: guests deps

all: kmod userlib vmmctl selftests guests

kmod:
ifeq ($(KDIR),)
	@echo "vmm: no kernel headers found; install linux-headers-$$(uname -r) (or linux-headers-cloud-amd64) or set KDIR=" >&2; exit 1
endif
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userlib:
	$(MAKE) -C userlib

vmmctl: userlib
	$(MAKE) -C vmmctl

# Example guests (freestanding, no libc), also staged into the emulated host.
guests:
	$(MAKE) -C guests

selftests: userlib
	$(MAKE) -C selftests

unit: userlib
	$(MAKE) -C selftests unit

# Debian packages the userspace builds need (libnl for netlink).
deps:
	scripts/deps.sh

# Host unit tests first, then the whole suite in the emulated VT-x host.
check: deps
	$(MAKE) userlib vmmctl guests selftests
	selftests/check.sh

demo: deps
	$(MAKE) userlib vmmctl guests selftests
	$(VMTEST) --job demo

# The same KVM-API benchmark against vmm and kvm_intel in one boot, and
# vmm against itself with its statistics built out.
bench: deps
	$(MAKE) userlib selftests
	$(VMTEST) --job bench

lint:
	scripts/lint.sh

install: all
	$(MAKE) -C userlib install
	$(MAKE) -C vmmctl install

clean:
	-$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	$(MAKE) -C userlib clean
	$(MAKE) -C vmmctl clean
	$(MAKE) -C selftests clean
	$(MAKE) -C guests clean
