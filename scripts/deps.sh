#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What the userspace builds need (vmmctl and the selftests read the vmm
# generic netlink family through libnl), installed from Debian's packages
# when missing.  `make check`, `make demo` and `make bench` run this
# first; the emulated host's own needs are installed by
# selftests/vmtest/run.sh.  Debian's cloud kernel is here too: the
# bzImage loader's unit tests load the real /boot/vmlinuz-* (the
# emulated host boots the same package).
set -eu
pkgs="gcc make pkg-config libnl-3-dev libnl-genl-3-dev linux-image-cloud-amd64"
missing=
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (install them as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq $missing >/dev/null 2>&1 ||
	{ apt-get update -qq && apt-get install -y -qq $missing >/dev/null; }
