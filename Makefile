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
.PHONY: guests deps uninstall dkms-source dkms-install dkms-uninstall packages

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
# vmm against itself with its statistics built out.  768 MiB: guests
# touch up to 256 MiB, and the host touches as much for the floor.
bench: deps
	$(MAKE) userlib selftests
	$(VMTEST) --job bench --mem 768

lint:
	scripts/lint.sh

# PREFIX (default /usr/local) and DESTDIR: libvmm, vmmctl, their man pages
# and vmmctl's bash completion.  uninstall removes exactly those files.
install: userlib vmmctl
	$(MAKE) -C userlib install
	$(MAKE) -C vmmctl install

uninstall:
	$(MAKE) -C userlib uninstall
	$(MAKE) -C vmmctl uninstall

# The module through DKMS, from this source tree (the vmm-dkms package
# does the same): its sources in /usr/src/vmm-VERSION, built and installed
# for the running kernel and rebuilt on kernel upgrades; the udev rule
# gives /dev/vmm group kvm, mode 0660.  dkms-source is the copy alone
# (DESTDIR for packaging).
VERSION := $(shell cat VERSION)
DKMS_SRC := /usr/src/vmm-$(VERSION)
UDEVRULESDIR := /usr/lib/udev/rules.d
DKMS_FILES := Kbuild VERSION dkms.conf kmod/Kbuild \
	$(filter-out %.mod.c,$(wildcard kmod/*.[chS])) $(wildcard uapi/linux/*.h)

dkms-source:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	for f in $(DKMS_FILES); do \
		install -D -m 644 $$f $(DESTDIR)$(DKMS_SRC)/$$f || exit 1; \
	done

dkms-install:
	@command -v dkms >/dev/null || { echo "vmm: no dkms: apt-get install dkms" >&2; exit 1; }
	if dkms status vmm/$(VERSION) | grep -q .; then dkms remove vmm/$(VERSION) --all; fi
	$(MAKE) dkms-source DESTDIR=
	dkms add vmm/$(VERSION)
	dkms build vmm/$(VERSION)
	dkms install vmm/$(VERSION)
	install -D -m 644 udev/60-vmm.rules $(UDEVRULESDIR)/60-vmm.rules
	@getent group kvm >/dev/null || echo "vmm: no group kvm: create it (addgroup --system kvm)" >&2
	@echo "vmm: installed; load it with 'modprobe vmm', join group kvm with 'sudo adduser \$$USER kvm' and log in again"

dkms-uninstall:
	if dkms status vmm/$(VERSION) | grep -q .; then dkms remove vmm/$(VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	rm -f $(UDEVRULESDIR)/60-vmm.rules

# The Debian packages, built, checked with lintian, installed here and
# the module built by DKMS for the emulated host's kernel.
packages:
	scripts/packages.sh

clean:
	-$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	$(MAKE) -C userlib clean
	$(MAKE) -C vmmctl clean
	$(MAKE) -C selftests clean
	$(MAKE) -C guests clean
