#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-side static checks: checkpatch --strict on kmod/ and uapi/, and a
# sparse build of the module.  Installs what it needs from Debian's
# packages (linux-source-6.1 for checkpatch, sparse) when run as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tools=${VMM_TOOLS_DIR:-/tmp/vmm-tools}
kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-cloud-amd64 2>/dev/null | sort -V | head -n 1)}

need() { dpkg -s "$1" >/dev/null 2>&1 || apt-get install -y -q "$1" >/dev/null; }
need linux-source-6.1
need sparse

cp=$tools/linux-source-6.1/scripts/checkpatch.pl
if [ ! -f "$cp" ]; then
	mkdir -p "$tools"
	tar -C "$tools" -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/spelling.txt
fi

status=0
# uapi headers cannot use BIT(): that check does not apply to them.
for f in "$top"/kmod/*.[chS] "$top"/uapi/linux/*.h; do
	case $f in
	*.mod.c) continue ;;
	*/uapi/*) ignore=FILE_PATH_CHANGES,BIT_MACRO ;;
	*) ignore=FILE_PATH_CHANGES ;;
	esac
	perl "$cp" --no-tree --strict --terse --show-types \
		--ignore "$ignore" -f "$f" | grep -v '^total:' && status=1
done

out=$(make -s -C "$kdir" M="$top" C=2 CHECK=sparse W=1 modules 2>&1 |
	grep -E 'warning|error' || true)
if [ -n "$out" ]; then
	echo "$out"
	status=1
fi
# One version (VERSION): the Debian packages' (debian/changelog, without
# a Debian revision) and DKMS's (dkms.conf) must say the same; the
# Makefiles and the module read VERSION itself.
version=$(cat "$top/VERSION")
deb=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$top/debian/changelog")
dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
if [ "${deb%-*}" != "$version" ] || [ "$dkms" != "$version" ]; then
	echo "lint: versions differ: VERSION $version, debian/changelog $deb, dkms.conf PACKAGE_VERSION $dkms"
	status=1
fi

[ $status -eq 0 ] && echo "lint: checkpatch --strict and sparse clean"
exit $status
