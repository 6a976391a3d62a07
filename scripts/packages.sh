#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, end to end (make packages; make check runs it):
#   1. build them with dpkg-buildpackage from a clean copy of the tree
#      (the files git knows, with their uncommitted changes, and new files
#      not ignored);
#   2. lintian --fail-on error,warning;
#   3. install them here (the vmm-dkms postinst finds no headers for the
#      running kernel: that must not fail the install), then check what
#      they installed (vmmctl --version, the udev rule, a program built
#      with pkg-config libvmm);
#   4. dkms build for KERNEL (default: Debian's 6.1 cloud kernel whose
#      headers are installed);
#   5. the vermagic of the vmm.ko DKMS built names KERNEL, and its version
#      is the tree's.
# Leaves in WORKDIR (default /tmp/vmm-packages, or $VMM_PACKAGES_DIR) the
# .debs, their build log, vmm.ko and packages.env, which names the files
# the emulated host stages (selftests/vmtest/run.sh --packages WORKDIR).
# TAP output; exits non-zero if a step failed.
#
#   scripts/packages.sh [KERNEL]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
work=${VMM_PACKAGES_DIR:-/tmp/vmm-packages}
kver=${1:-}
version=$(cat "$top/VERSION")
t0=$(date +%s)

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $1"
	shift
	for l in "$@"; do echo "# $l"; done
}
# tail_log FILE: its last lines as TAP comments.
tail_log() { tail -n "${2:-25}" "$1" | sed 's/^/# /'; }
finish() {
	echo "1..$n"
	echo "# packages: $(( $(date +%s) - t0 )) s, work dir $work"
	exit $failed
}
bail() {
	not_ok "$@"
	finish
}

echo "TAP version 13"

# ---------------------------------------------------------------- setup
if [ "$(id -u)" -ne 0 ]; then
	bail "setup" "packages.sh installs packages and runs dkms: run it as root"
fi
need="dpkg-dev debhelper dh-dkms dkms lintian fakeroot gcc make pkg-config libnl-3-dev libnl-genl-3-dev"
missing=
for p in $need; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
		bail "setup" "apt-get install$missing failed"
fi
if [ -z "$kver" ]; then
	kver=$(ls -d /usr/src/linux-headers-6.1.*-cloud-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	[ -n "$kver" ] ||
		bail "setup" "no /usr/src/linux-headers-6.1.*-cloud-amd64: install linux-headers-cloud-amd64 or name a kernel"
fi
[ -f "/usr/src/linux-headers-$kver/Makefile" ] ||
	bail "setup" "no headers for kernel $kver in /usr/src/linux-headers-$kver"

mkdir -p "$work"
work=$(cd "$work" && pwd)
rm -rf "$work/src" "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo \
	"$work/vmm.ko" "$work/packages.env"
src=$work/src/vmm-$version

# ---------------------------------------------------------------- build
# A clean copy: what git tracks (as in the work tree) and new files it
# does not ignore, without build products.
if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	bail "build: copy the tree" "$top is not a git checkout"
fi
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ ! -e "$f" ] || printf "%s\0" "$f"; done' sh |
	cpio -0 -pdm --quiet "$src") ||
	bail "build: copy the tree" "copying the files of git ls-files to $src failed"

if (cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1; then
	ok "build: dpkg-buildpackage -us -uc -b ($(cd "$work/src" && ls -- *.deb | tr '\n' ' '))"
else
	tail_log "$work/build.log" 40
	bail "build: dpkg-buildpackage -us -uc -b failed (log: $work/build.log)"
fi
mv "$work/src"/*.deb "$work/src"/*.changes "$work/src"/*.buildinfo "$work/"
changes=$(ls "$work"/vmm_"$version"_*.changes)

# ---------------------------------------------------------------- lintian
# -I: the info tags are shown too, they do not fail.
if lintian -I --fail-on error,warning "$changes" > "$work/lintian.log" 2>&1; then
	ok "lintian --fail-on error,warning: clean; $(grep -c '^[IP]:' "$work/lintian.log" || true) info tag(s)"
	sed 's/^/# /' "$work/lintian.log"
else
	not_ok "lintian --fail-on error,warning" "$(cat "$work/lintian.log")"
fi

# ---------------------------------------------------------------- install
debs=$(for p in vmm-dkms libvmm0 libvmm-dev vmmctl; do ls "$work/${p}_$version"_*.deb; done)
# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	--reinstall $debs > "$work/install.log" 2>&1; then
	ok "install: apt-get install the four packages (running kernel $(uname -r))"
	grep -iE 'building|skipped|headers' "$work/install.log" | sed 's/^/# /' || true
else
	tail_log "$work/install.log"
	bail "install: apt-get install $(echo $debs | tr '\n' ' ') failed (log: $work/install.log)"
fi

vmmctl=$(dpkg -L vmmctl | grep '/bin/vmmctl$' || true)
out=$("${vmmctl:-/nonexistent}" --version 2>&1) || true
if [ "$out" = "vmmctl $version" ]; then
	ok "installed $vmmctl --version: $out"
else
	not_ok "installed vmmctl --version" "vmmctl from dpkg -L vmmctl: '$vmmctl'; it says '$out', expected 'vmmctl $version'"
fi

rule=$(dpkg -L vmm-dkms | grep '/udev/rules.d/.*vmm.*\.rules$' || true)
if [ -n "$rule" ] && [ -f "$rule" ] &&
	grep -q 'GROUP="kvm"' "$rule" && grep -q 'MODE="0660"' "$rule"; then
	ok "udev rule $rule: group kvm, mode 0660"
else
	not_ok "udev rule" "vmm-dkms installed no rule giving group kvm, mode 0660 (found '$rule')"
fi

# libvmm-dev: a program built and linked with pkg-config's flags only.
cat > "$work/pc_test.c" <<'EOF'
#include <stdio.h>
#include <vmm.h>

int main(void)
{
	struct vmm_dev *dev;

	return vmm_open("/nonexistent", &dev) < 0 ? 0 : 1;
}
EOF
# shellcheck disable=SC2046 # pkg-config's flags are words
if gcc -Wall -Werror -o "$work/pc_test" "$work/pc_test.c" \
	$(pkg-config --cflags --libs libvmm) > "$work/pc_test.log" 2>&1 &&
	"$work/pc_test" && ldd "$work/pc_test" | grep -q 'libvmm\.so\.0'; then
	ok "libvmm-dev: a program built with pkg-config libvmm ($(pkg-config --cflags --libs libvmm)) runs against libvmm.so.0"
else
	not_ok "libvmm-dev: a program built with pkg-config libvmm" "$(cat "$work/pc_test.log")"
fi

# ---------------------------------------------------------------- dkms
# The postinst may have built it for this kernel already (it builds for
# every kernel with headers on a first install): build it again, here.
if dkms status -m vmm -v "$version" -k "$kver" | grep -q .; then
	dkms remove -m vmm -v "$version" -k "$kver" > "$work/dkms.log" 2>&1 || true
fi
if dkms build -m vmm -v "$version" -k "$kver" >> "$work/dkms.log" 2>&1; then
	ok "dkms build -k $kver vmm/$version"
else
	tail_log "$work/dkms.log"
	tail_log "/var/lib/dkms/vmm/$version/build/make.log" 2>/dev/null || true
	bail "dkms build -k $kver vmm/$version failed (log: $work/dkms.log)"
fi

ko=$(ls /var/lib/dkms/vmm/"$version"/"$kver"/*/module/vmm.ko* 2>/dev/null | head -n 1)
case $ko in
*.ko) cp "$ko" "$work/vmm.ko" ;;
*.ko.xz) xz -dc "$ko" > "$work/vmm.ko" ;;
*.ko.zst) zstd -qdc "$ko" > "$work/vmm.ko" ;;
*) bail "DKMS-built vmm.ko" "dkms build left no vmm.ko in /var/lib/dkms/vmm/$version/$kver" ;;
esac
vermagic=$(modinfo -F vermagic "$work/vmm.ko")
modver=$(modinfo -F version "$work/vmm.ko")
if [ "${vermagic%% *}" = "$kver" ] && [ "$modver" = "$version" ]; then
	ok "DKMS-built $ko: vermagic $vermagic, version $modver"
else
	not_ok "DKMS-built vmm.ko" "$ko: vermagic '$vermagic' (want $kver), version '$modver' (want $version)"
fi

cat > "$work/packages.env" <<EOF
# Written by scripts/packages.sh: what selftests/vmtest/run.sh --packages stages.
VERSION=$version
KERNEL=$kver
MODULE=$work/vmm.ko
VMMCTL=$vmmctl
UDEV_RULE=$rule
EOF
finish
